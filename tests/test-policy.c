/* test-policy.c: the one approval policy: which order ids pass, what an
 * approval needs (whoever decided it: a rule or the default), that
 * rejections need only what the rules read, and that the history grows
 * only through policy_count_approval(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "util.h"

#define NOW INT64_C(1795687200) /* 2026-11-26T10:00:00Z */

/* An allow list that reads only the customer, a country rule that
 * rejects, and a default that approves: the paths by which an order
 * without a price could be approved before the policy. */
static const char rules_yaml[] = "version: 1\n"
                                 "api:\n"
                                 "  base_url: http://127.0.0.1:1\n"
                                 "  token_url: http://127.0.0.1:1/token\n"
                                 "rules:\n"
                                 "  - name: trusted\n"
                                 "    when: {customer: [CUS-T]}\n"
                                 "    then: approve\n"
                                 "  - name: embargo\n"
                                 "    when: {country: [NO]}\n"
                                 "    then: reject\n"
                                 "default: approve\n";

static struct config *load(void)
{
        struct config *c = NULL;

        assert_int_equal(
                config_load_buffer("policy.yaml", rules_yaml, strlen(rules_yaml), stderr, &c), 0);
        return c;
}

static void test_ids(void **state)
{
        static const struct {
                const char *id;
                bool ok;
        } cases[] = {
                { "ORD-1", true },
                { "ORD-é", true },
                { "", false },
                { ".", false },
                { "..", false },
                { "...", true },
                { "ORD-\x01x", false },
                { "ORD\n", false },
                { "ORD-\x7f", false },
                { "ORD-\xc2\x85", false },
                /* C1 NEL */ { "ORD-\xff", false },
                { "ORD-\xc3", false },
                { "a/b", true },
        };
        char *longest = malloc(POLICY_TEXT_MAX + 2);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *why = policy_id_problem(cases[i].id);

                if ((why == NULL) != cases[i].ok)
                        fail_msg("id #%zu: %s", i, why ? why : "accepted");
        }
        assert_non_null(policy_id_problem(NULL));
        memset(longest, 'x', POLICY_TEXT_MAX + 1);
        longest[POLICY_TEXT_MAX + 1] = '\0';
        assert_non_null(policy_id_problem(longest));
        longest[POLICY_TEXT_MAX] = '\0';
        assert_null(policy_id_problem(longest));
        free(longest);
}

static void decide(const char *json, struct verdict *v)
{
        struct config *c = load();
        struct history *h = NULL;
        struct order o;

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(order_parse(json, strlen(json), &c->api, &o), 0);
        assert_int_equal(policy_decide(c, h, &o, NOW, v, NULL), 0);
        order_done(&o);
        history_free(h);
        config_free(c);
}

static void test_approval_needs(void **state)
{
        static const struct {
                const char *json;
                enum action want;
                const char *field; /* named in the reason when held */
        } cases[] = {
                /* the allow list approves without a price: held */
                { "{\"id\":\"A\",\"customer\":{\"id\":\"CUS-T\"}}", ACTION_HOLD, "total" },
                /* the default approves without a currency: held */
                { "{\"id\":\"B\",\"customer\":{\"id\":\"C\",\"countryCode\":\"SE\"},\"price\":{"
                  "\"total\":5}}",
                  ACTION_HOLD, "currency" },
                /* a negative total would lower the exposure: held */
                { "{\"id\":\"C\",\"customer\":{\"id\":\"C\",\"countryCode\":\"SE\"},\"price\":{"
                  "\"total\":-1000000,"
                  "\"currency\":\"EUR\"}}",
                  ACTION_HOLD, "total" },
                /* three decimals: malformed, held */
                { "{\"id\":\"D\",\"customer\":{\"id\":\"CUS-T\"},\"price\":{\"total\":1.005,"
                  "\"currency\":\"EUR\"}}",
                  ACTION_HOLD, "total" },
                /* no customer id, by default: held */
                { "{\"id\":\"E\",\"customer\":{\"countryCode\":\"SE\"},\"price\":{\"total\":1,"
                  "\"currency\":\"EUR\"}}",
                  ACTION_HOLD, "customer_id" },
                /* a rejection needs only what the rules read: no price, no currency */
                { "{\"id\":\"F\",\"customer\":{\"id\":\"X\",\"countryCode\":\"NO\"}}",
                  ACTION_REJECT, NULL },
                /* a complete order is approved */
                { "{\"id\":\"G\",\"customer\":{\"id\":\"C\",\"countryCode\":\"SE\"},\"price\":{"
                  "\"total\":0,"
                  "\"currency\":\"EUR\"}}",
                  ACTION_APPROVE, NULL },
                /* a bad id is held before any rule */
                { "{\"id\":\"..\",\"customer\":{\"id\":\"CUS-T\"},\"price\":{\"total\":1,"
                  "\"currency\":\"EUR\"}}",
                  ACTION_HOLD, "id" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct verdict v;

                decide(cases[i].json, &v);
                if (v.decision != cases[i].want)
                        fail_msg("case %zu: %s, want %s (%s)", i, action_to_string(v.decision),
                                 action_to_string(cases[i].want), v.reason);
                if (cases[i].field && (!strstr(v.reason, cases[i].field) || !v.problem))
                        fail_msg("case %zu: reason '%s' does not name %s", i, v.reason,
                                 cases[i].field);
        }
}

static void test_count(void **state)
{
        struct history *h = NULL;
        char *longest = malloc(POLICY_TEXT_MAX + 2);

        memset(longest, 'c', POLICY_TEXT_MAX + 1);
        longest[POLICY_TEXT_MAX + 1] = '\0';
        assert_int_equal(history_new(&h), 0);
        assert_int_equal(policy_count_approval(h, NULL, 1, "EUR", NOW), -EINVAL);
        assert_int_equal(policy_count_approval(h, "", 1, "EUR", NOW), -EINVAL);
        assert_int_equal(policy_count_approval(h, "C", 1, NULL, NOW), -EINVAL);
        assert_int_equal(policy_count_approval(h, "C", -1, "EUR", NOW), -EINVAL);
        assert_int_equal(policy_count_approval(h, longest, 1, "EUR", NOW), -EINVAL);
        assert_false(history_known(h, "C"));
        assert_int_equal(policy_count_approval(h, "C", 250, "EUR", NOW), 0);
        assert_true(history_known(h, "C"));
        assert_int_equal(history_exposure(h, "C", "EUR", NOW - 10, NOW), 250);
        history_free(h);
        free(longest);
}

static struct config *load_text(const char *yaml)
{
        struct config *c = NULL;

        assert_int_equal(config_load_buffer("timeout.yaml", yaml, strlen(yaml), stderr, &c), 0);
        return c;
}

#define TIMEOUT_HEAD                                                                               \
        "version: 1\n"                                                                             \
        "api: {base_url: http://127.0.0.1:1, token_url: http://127.0.0.1:1/token}\n"               \
        "rules: []\n"

/* A timeout decides with the policy's checks: a reject needs nothing, an
 * approve needs what every approval needs and, once credit limits exist,
 * room under the customer's limit (no limit in the currency: over). */
static void test_timeout(void **state)
{
        static const char order_c[] =
                "{\"id\":\"T1\",\"customer\":{\"id\":\"C\"},\"price\":{\"total\":400,"
                "\"currency\":\"EUR\"}}";
        static const char order_usd[] =
                "{\"id\":\"T2\",\"customer\":{\"id\":\"C\"},\"price\":{\"total\":1,"
                "\"currency\":\"USD\"}}";
        static const char order_bare[] = "{\"id\":\"T3\",\"customer\":{\"id\":\"C\"}}";
        static const struct {
                const char *yaml, *order;
                enum action want;
                const char *reason; /* a part of it */
        } cases[] = {
                { TIMEOUT_HEAD, order_c, ACTION_HOLD, "no holds.timeout" },
                { TIMEOUT_HEAD "holds: {timeout: {after: 2s, then: reject}}\n", order_bare,
                  ACTION_REJECT, "No decision within 2s" },
                { TIMEOUT_HEAD "holds: {timeout: {after: 1h, then: reject, reason: Late}}\n",
                  order_c, ACTION_REJECT, "Late" },
                /* no credit limits at all: an approve needs only what approvals need */
                { TIMEOUT_HEAD "holds: {timeout: {after: 1h, then: approve}}\n", order_c,
                  ACTION_APPROVE, "No decision within 1h" },
                { TIMEOUT_HEAD "holds: {timeout: {after: 1h, then: approve}}\n", order_bare,
                  ACTION_HOLD, "total" },
                /* 600 approved + 400 = 1000: within a 1000 limit, past a 900 one */
                { TIMEOUT_HEAD "credit: {default: {EUR: 1000}}\n"
                               "holds: {timeout: {after: 1h, then: approve}}\n",
                  order_c, ACTION_APPROVE, "No decision" },
                { TIMEOUT_HEAD "credit: {default: {EUR: 900}}\n"
                               "holds: {timeout: {after: 1h, then: approve}}\n",
                  order_c, ACTION_HOLD, "would pass the limit 900.00 EUR" },
                { TIMEOUT_HEAD "credit: {default: {EUR: 1000}}\n"
                               "holds: {timeout: {after: 1h, then: approve}}\n",
                  order_usd, ACTION_HOLD, "no credit limit in USD" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct config *c = load_text(cases[i].yaml);
                struct history *h = NULL;
                struct verdict v;
                struct order o;

                assert_int_equal(history_new(&h), 0);
                assert_int_equal(policy_count_approval(h, "C", 60000, "EUR", NOW - 60), 0);
                assert_int_equal(order_parse(cases[i].order, strlen(cases[i].order), &c->api, &o),
                                 0);
                assert_int_equal(policy_timeout(c, h, &o, NOW, &v), 0);
                if (v.decision != cases[i].want || !v.reason || !strstr(v.reason, cases[i].reason))
                        fail_msg("case %zu: %s '%s', want %s '%s'", i, action_to_string(v.decision),
                                 v.reason ? v.reason : "(null)", action_to_string(cases[i].want),
                                 cases[i].reason);
                order_done(&o);
                history_free(h);
                config_free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_approval_needs),
                cmocka_unit_test(test_count),
                cmocka_unit_test(test_timeout),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
