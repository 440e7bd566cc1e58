/* test-config.c: rules.yaml into struct config, key by key and condition by
 * condition; the exact wording of errors is pinned by tests/rules-broken. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "api-list.h"
#include "api.h"
#include "config.h"
#include "matcher.h"
#include "util.h"

#define HEADER                                                                                     \
        "version: 1\n"                                                                             \
        "api:\n"                                                                                   \
        "  base_url: https://api.appxite.com\n"                                                    \
        "  token_url: https://login.example/oauth2/token\n"

/* Loads HEADER + api_extra (indented under api:) + rest; returns the
 * config or NULL, and the number of error lines in *ret_errors. */
static struct config *load(const char *api_extra, const char *rest, unsigned *ret_errors)
{
        _cleanup_free_ char *text = NULL, *errors = NULL;
        size_t errors_size = 0;
        struct config *c = NULL;
        unsigned lines = 0;
        FILE *f;
        int r;

        assert_true(asprintf(&text, HEADER "%s\n%s\n", api_extra, rest) > 0);
        f = open_memstream(&errors, &errors_size);
        assert_non_null(f);
        r = config_load_buffer(TEST_DATA_DIR "/test.yaml", text, strlen(text), f, &c);
        fclose(f);
        for (const char *p = errors; p && *p; p++)
                lines += *p == '\n';
        if (ret_errors)
                *ret_errors = lines;
        if (r < 0) {
                assert_int_equal(r, -EINVAL);
                assert_null(c);
                assert_true(lines > 0);
                return NULL;
        }
        assert_int_equal(lines, 0);
        return c;
}

static struct config *load_ok(const char *api_extra, const char *rest)
{
        struct config *c = load(api_extra, rest, NULL);

        assert_non_null(c);
        return c;
}

static void test_defaults(void **state)
{
        struct config *c = load_ok("", "rules: []");

        assert_int_equal(c->version, 1);
        assert_string_equal(c->api.base_url, "https://api.appxite.com");
        assert_string_equal(c->api.token_url, "https://login.example/oauth2/token");
        assert_string_equal(c->api.api_version, "3.1");
        assert_null(c->api.referer);
        assert_null(c->api.on_behalf_of);
        assert_null(c->api.credentials_dir);
        assert_null(c->api.ca_file);
        assert_int_equal(c->api.timeout_ms, 30000);
        assert_int_equal(c->api.max_parallel, 8);
        for (size_t i = 0; i < _FIELD_MAX; i++)
                assert_string_equal(c->api.fields[i], order_field_defaults[i]);
        assert_int_equal(c->poll.interval_ms, 60000);
        assert_int_equal(c->poll.page_size, 100);
        assert_int_equal(c->mode, MODE_ENFORCE);
        assert_int_equal(c->n_lists, 0);
        assert_int_equal(c->credit.window_s, 30 * 86400);
        assert_int_equal(c->credit.dflt.n_items, 0);
        assert_int_equal(c->n_rules, 0);
        assert_int_equal(c->dflt, ACTION_HOLD);
        config_free(c);
}

static int64_t get_timeout(const struct config *c)
{
        return c->api.timeout_ms;
}
static int64_t get_max_parallel(const struct config *c)
{
        return c->api.max_parallel;
}
static int64_t get_interval(const struct config *c)
{
        return c->poll.interval_ms;
}
static int64_t get_page_size(const struct config *c)
{
        return c->poll.page_size;
}
static int64_t get_mode(const struct config *c)
{
        return c->mode;
}
static int64_t get_default(const struct config *c)
{
        return c->dflt;
}
static int64_t get_window(const struct config *c)
{
        return c->credit.window_s;
}

static void test_numeric_keys(void **state)
{
        static const struct {
                const char *api, *rest;
                int64_t (*get)(const struct config *c);
                int64_t want; /* -1: the file must be refused */
        } cases[] = {
                { "  timeout: 90s", "", get_timeout, 90000 },
                { "  timeout: 2m", "", get_timeout, 120000 },
                { "  timeout: 0s", "", get_timeout, -1 },
                { "  timeout: 30", "", get_timeout, -1 },
                { "  max_parallel: 1", "", get_max_parallel, 1 },
                { "  max_parallel: 64", "", get_max_parallel, 64 },
                { "  max_parallel: \"16\"", "", get_max_parallel, 16 },
                { "  max_parallel: 0", "", get_max_parallel, -1 },
                { "  max_parallel: 65", "", get_max_parallel, -1 },
                { "  max_parallel: 8.5", "", get_max_parallel, -1 },
                { "", "poll: {interval: 1s}", get_interval, 1000 },
                { "", "poll: {interval: 5m}", get_interval, 300000 },
                { "", "poll: {interval: 1d}", get_interval, 86400000 },
                { "", "poll: {interval: 500ms}", get_interval, -1 },
                { "", "poll: {page_size: 1}", get_page_size, 1 },
                { "", "poll: {page_size: 500}", get_page_size, 500 },
                { "", "poll: {page_size: 0}", get_page_size, -1 },
                { "", "poll: {page_size: 501}", get_page_size, -1 },
                { "", "mode: enforce", get_mode, MODE_ENFORCE },
                { "", "mode: dry-run", get_mode, MODE_DRY_RUN },
                { "", "mode: dry_run", get_mode, -1 },
                { "", "default: approve", get_default, ACTION_APPROVE },
                { "", "default: reject", get_default, ACTION_REJECT },
                { "", "default: hold", get_default, ACTION_HOLD },
                { "", "default: Approve", get_default, -1 },
                { "", "credit: {window: 7d}", get_window, 7 * 86400 },
                { "", "credit: {window: 90s}", get_window, 90 },
                { "", "credit: {window: 30}", get_window, -1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *rest = NULL;
                struct config *c;

                assert_true(asprintf(&rest, "%s\nrules: []", cases[i].rest) > 0);
                c = load(cases[i].api, rest, NULL);
                if (cases[i].want < 0) {
                        if (c)
                                fail_msg("case %zu (%s%s) was accepted", i, cases[i].api,
                                         cases[i].rest);
                        continue;
                }
                if (!c)
                        fail_msg("case %zu (%s%s) was refused", i, cases[i].api, cases[i].rest);
                assert_int_equal(cases[i].get(c), cases[i].want);
                config_free(c);
        }
}

static void test_string_keys(void **state)
{
        struct config *c = load_ok("  api_version: \"3.2\"\n"
                                   "  referer: https://portal.example.com\n"
                                   "  on_behalf_of: ORG-123\n"
                                   "  credentials_dir: /run/creds\n"
                                   "  ca_file: " TEST_DATA_DIR "/rules-valid/ca.pem\n"
                                   "  fields: {customer_id: /Customer/Id, item_sku: /a~1b~0c}",
                                   "rules: []");

        assert_string_equal(c->api.api_version, "3.2");
        assert_string_equal(c->api.referer, "https://portal.example.com");
        assert_string_equal(c->api.on_behalf_of, "ORG-123");
        assert_string_equal(c->api.credentials_dir, "/run/creds");
        assert_string_equal(c->api.ca_file, TEST_DATA_DIR "/rules-valid/ca.pem");
        assert_string_equal(c->api.fields[FIELD_CUSTOMER_ID], "/Customer/Id");
        assert_string_equal(c->api.fields[FIELD_ITEM_SKU], "/a~1b~0c");
        assert_string_equal(c->api.fields[FIELD_TOTAL], "/price/total");
        config_free(c);
}

static void test_field_names(void **state)
{
        /* Every field can be overridden by its name, and names are unique. */
        for (size_t i = 0; i < _FIELD_MAX; i++) {
                _cleanup_free_ char *api = NULL;
                struct config *c;

                assert_non_null(order_field_names[i]);
                assert_true(order_field_defaults[i][0] == '/');
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(order_field_names[i], order_field_names[j]);
                assert_true(asprintf(&api, "  fields: {%s: /X/Y}", order_field_names[i]) > 0);
                c = load_ok(api, "rules: []");
                assert_string_equal(c->api.fields[i], "/X/Y");
                config_free(c);
        }
}

static void test_urls(void **state)
{
        static const struct {
                const char *url;
                bool ok;
        } cases[] = {
                { "https://api.appxite.com", true },
                { "http://127.0.0.1:8080", true },
                { "https://api.appxite.com/v3/", true },
                { "HTTPS://API.APPXITE.COM", true },
                { "ftp://api.appxite.com", false },
                { "https://", false },
                { "https:///path", false },
                { "https://user@host", false },
                { "https://host/a b", false },
                { "api.appxite.com", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *api = NULL;
                struct config *c;

                assert_true(asprintf(&api, "  referer: \"%s\"", cases[i].url) > 0);
                c = load(api, "rules: []", NULL);
                if (cases[i].ok != (c != NULL))
                        fail_msg("%s: %s", cases[i].url, c ? "accepted" : "refused");
                config_free(c);
        }
}

/* Parses one rule with the given `when` and returns the config. */
static struct config *load_when(const char *when, unsigned *ret_errors)
{
        _cleanup_free_ char *rest = NULL;

        assert_true(asprintf(&rest,
                             "lists:\n  ids: [CUS-1, CUS-2]\n"
                             "rules:\n  - name: r\n    when: %s\n    then: hold",
                             when) > 0);
        return load("", rest, ret_errors);
}

static void test_conditions(void **state)
{
        static const struct {
                const char *when;
                enum cond_kind kind;
                int64_t num; /* amount, quantity, flag, window */
                int64_t num2; /* orders_within.above */
                size_t n_entries; /* values */
                const char *first; /* values: first entry, or "@list" */
        } cases[] = {
                { "{customer: CUS-1}", COND_CUSTOMER, 0, 0, 1, "CUS-1" },
                { "{customer: [CUS-1, CUS-2, 42]}", COND_CUSTOMER, 0, 0, 3, "CUS-1" },
                { "{customer: \"@ids\"}", COND_CUSTOMER, 0, 0, 0, "@ids" },
                { "{customer_name: \"*GmbH\"}", COND_CUSTOMER_NAME, 0, 0, 1, "*GmbH" },
                { "{customer_name: [\"a*\", b]}", COND_CUSTOMER_NAME, 0, 0, 2, "a*" },
                { "{country: de}", COND_COUNTRY, 0, 0, 1, "de" },
                { "{country: \"@ids\"}", COND_COUNTRY, 0, 0, 0, "@ids" },
                { "{currency: [EUR, usd]}", COND_CURRENCY, 0, 0, 2, "EUR" },
                { "{total_above: 1000}", COND_TOTAL_ABOVE, 100000, 0, 0, NULL },
                { "{total_above: 1000.5}", COND_TOTAL_ABOVE, 100050, 0, 0, NULL },
                { "{total_above: \"0.01\"}", COND_TOTAL_ABOVE, 1, 0, 0, NULL },
                { "{total_at_most: 0}", COND_TOTAL_AT_MOST, 0, 0, 0, NULL },
                { "{total_at_most: 25000.99}", COND_TOTAL_AT_MOST, 2500099, 0, 0, NULL },
                { "{quantity_above: 0}", COND_QUANTITY_ABOVE, 0, 0, 0, NULL },
                { "{quantity_above: 250}", COND_QUANTITY_ABOVE, 250, 0, 0, NULL },
                { "{product: \"Windows*\"}", COND_PRODUCT, 0, 0, 1, "Windows*" },
                { "{product: \"@ids\"}", COND_PRODUCT, 0, 0, 0, "@ids" },
                { "{new_customer: true}", COND_NEW_CUSTOMER, 1, 0, 0, NULL },
                { "{new_customer: false}", COND_NEW_CUSTOMER, 0, 0, 0, NULL },
                { "{orders_within: {window: 24h, above: 3}}", COND_ORDERS_WITHIN, 86400, 3, 0,
                  NULL },
                { "{orders_within: {above: 0, window: 15m}}", COND_ORDERS_WITHIN, 900, 0, 0, NULL },
                { "{over_credit_limit: true}", COND_OVER_CREDIT_LIMIT, 1, 0, 0, NULL },
                { "{over_credit_limit: false}", COND_OVER_CREDIT_LIMIT, 0, 0, 0, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct config *c = load_when(cases[i].when, NULL);
                const struct cond *cond;

                if (!c)
                        fail_msg("%s refused", cases[i].when);
                assert_int_equal(c->n_rules, 1);
                assert_int_equal(c->rules[0].when.n_conds, 1);
                cond = &c->rules[0].when.conds[0];
                assert_int_equal(cond->kind, cases[i].kind);
                switch (cond->kind) {
                case COND_TOTAL_ABOVE:
                case COND_TOTAL_AT_MOST:
                        assert_int_equal(cond->amount, cases[i].num);
                        break;
                case COND_QUANTITY_ABOVE:
                        assert_int_equal(cond->quantity, cases[i].num);
                        break;
                case COND_NEW_CUSTOMER:
                case COND_OVER_CREDIT_LIMIT:
                        assert_int_equal(cond->flag, cases[i].num);
                        break;
                case COND_ORDERS_WITHIN:
                        assert_int_equal(cond->within.window_s, cases[i].num);
                        assert_int_equal(cond->within.above, cases[i].num2);
                        break;
                default:
                        assert_non_null(cond->values.index);
                        if (cases[i].first[0] == '@') {
                                assert_ptr_equal(cond->values.list,
                                                 config_find_list(c, cases[i].first + 1));
                                assert_int_equal(cond->values.n_entries, 0);
                        } else {
                                assert_null(cond->values.list);
                                assert_int_equal(cond->values.n_entries, cases[i].n_entries);
                                assert_string_equal(cond->values.entries[0], cases[i].first);
                        }
                }
                config_free(c);
        }
}

static void test_bad_conditions(void **state)
{
        static const struct {
                const char *when;
                unsigned errors;
        } cases[] = {
                { "{totl_above: 5}", 1 },
                { "{customer: \"@nope\"}", 1 },
                { "{customer: []}", 1 },
                { "{customer: [CUS-1, \"@ids\"]}", 1 },
                { "{total_above: -1}", 1 },
                { "{total_above: 1.001}", 1 },
                { "{total_above: 5, total_at_most: 5}", 1 },
                { "{total_above: 6, total_at_most: 5}", 1 },
                { "{quantity_above: -1}", 1 },
                { "{new_customer: 1}", 1 },
                { "{new_customer: true, orders_within: {window: 1d, above: 2}}", 1 },
                { "{orders_within: {window: 1d}}", 1 },
                { "{orders_within: {window: 1w, above: x}}", 2 },
                { "{any: []}", 1 },
                { "{any: [a]}", 1 },
                { "{not: {}}", 1 },
                { "{not: []}", 1 },
                { "[]", 1 },
                { "{a: 1, b: 2, total_above: x}", 3 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                unsigned errors;
                struct config *c = load_when(cases[i].when, &errors);

                if (c)
                        fail_msg("%s accepted", cases[i].when);
                if (errors != cases[i].errors)
                        fail_msg("%s: %u errors, expected %u", cases[i].when, errors,
                                 cases[i].errors);
        }
}

static void test_any_not(void **state)
{
        struct config *c = load_when("{any: [{customer: CUS-1, total_above: 5}, "
                                     "{not: {country: [KP]}}], currency: EUR}",
                                     NULL);
        const struct when *w;
        const struct cond *any, *not ;

        assert_non_null(c);
        w = &c->rules[0].when;
        assert_int_equal(w->n_conds, 2);
        any = &w->conds[0];
        assert_int_equal(any->kind, COND_ANY);
        assert_int_equal(any->any.n_items, 2);
        assert_int_equal(any->any.items[0].n_conds, 2);
        assert_int_equal(any->any.items[0].conds[0].kind, COND_CUSTOMER);
        assert_int_equal(any->any.items[0].conds[1].kind, COND_TOTAL_ABOVE);
        assert_int_equal(any->any.items[1].n_conds, 1);
        not = &any->any.items[1].conds[0];
        assert_int_equal(not ->kind, COND_NOT);
        assert_int_equal(not ->not ->n_conds, 1);
        assert_int_equal(not ->not ->conds[0].kind, COND_COUNTRY);
        assert_non_null(not ->not ->conds[0].values.index);
        assert_int_equal(w->conds[1].kind, COND_CURRENCY);
        config_free(c);
}

static void test_rules(void **state)
{
        struct config *c = load_ok("", "rules:\n"
                                       "  - name: first\n"
                                       "    then: reject\n"
                                       "    reason: Blocked\n"
                                       "  - name: second\n"
                                       "    when: {}\n"
                                       "    then: approve\n"
                                       "  - {name: third, then: hold}\n"
                                       "default: approve");

        assert_int_equal(c->n_rules, 3);
        assert_string_equal(c->rules[0].name, "first");
        assert_int_equal(c->rules[0].then, ACTION_REJECT);
        assert_string_equal(c->rules[0].reason, "Blocked");
        assert_int_equal(c->rules[0].when.n_conds, 0);
        assert_int_equal(c->rules[0].mark.line, 7);
        assert_string_equal(c->rules[1].name, "second");
        assert_int_equal(c->rules[1].then, ACTION_APPROVE);
        assert_string_equal(c->rules[1].reason, "Approved by the seller's approval rules");
        assert_int_equal(c->rules[2].then, ACTION_HOLD);
        assert_string_equal(c->rules[2].reason, "Held for a person to decide");
        assert_int_equal(c->dflt, ACTION_APPROVE);
        config_free(c);
}

static void test_lists_and_credit(void **state)
{
        struct config *c = load_ok("", "lists:\n"
                                       "  inline: [A, b]\n"
                                       "  file: {file: rules-valid/lists/blocked.txt}\n"
                                       "  none: []\n"
                                       "credit:\n"
                                       "  default: {eur: 10000, USD: \"12000.50\"}\n"
                                       "  customers:\n"
                                       "    CUS-42: {EUR: 50000}\n"
                                       "    CUS-43: {}\n"
                                       "rules: []");
        const struct list *l;

        assert_int_equal(c->n_lists, 3);
        l = config_find_list(c, "inline");
        assert_non_null(l);
        assert_int_equal(l->n_entries, 2);
        assert_string_equal(l->entries[1], "b");
        assert_null(l->file);
        l = config_find_list(c, "file");
        assert_non_null(l);
        assert_string_equal(l->file, TEST_DATA_DIR "/rules-valid/lists/blocked.txt");
        assert_int_equal(l->n_entries, 3);
        assert_string_equal(l->entries[0], "CUS-666");
        assert_string_equal(l->entries[1], "CUS-1313");
        assert_string_equal(l->entries[2], "CUS#7");
        assert_int_equal(config_find_list(c, "none")->n_entries, 0);
        assert_null(config_find_list(c, "missing"));

        assert_int_equal(c->credit.dflt.n_items, 2);
        assert_string_equal(c->credit.dflt.items[0].currency, "EUR");
        assert_int_equal(c->credit.dflt.items[0].amount, 1000000);
        assert_string_equal(c->credit.dflt.items[1].currency, "USD");
        assert_int_equal(c->credit.dflt.items[1].amount, 1200050);
        assert_int_equal(c->credit.n_customers, 2);
        assert_string_equal(c->credit.customers[0].customer_id, "CUS-42");
        assert_int_equal(c->credit.customers[0].limits.n_items, 1);
        assert_int_equal(c->credit.customers[1].limits.n_items, 0);
        assert_non_null(c->credit.index);
        config_free(c);
}

static void test_example_file(void **state)
{
        struct config *c = NULL;

        assert_int_equal(config_load(TEST_DATA_DIR "/../conf/rules.yaml", NULL, &c), 0);
        assert_int_equal(c->n_rules, 6);
        assert_int_equal(c->n_lists, 3);
        assert_int_equal(c->dflt, ACTION_APPROVE);
        assert_string_equal(c->rules[0].reason, "Customer account is blocked");
        assert_string_equal(c->rules[1].reason, "Rejected by the seller's approval rules");
        assert_int_equal(c->rules[5].when.n_conds, 2);
        assert_true(config_find_list(c, "blocked")->n_entries >= 2);
        config_free(c);

        c = NULL;
        assert_int_equal(config_load(TEST_DATA_DIR "/no-such-file.yaml", NULL, &c), -ENOENT);
        assert_null(c);
        assert_int_equal(config_load(TEST_DATA_DIR, NULL, &c), -EISDIR);
        assert_int_equal(config_load(TEST_DATA_DIR "/rules-broken/empty.yaml", NULL, &c), -EINVAL);
        assert_null(c);
}

/* A 10,000-entry list file loads and is indexed: lookups hit by hash. */
static void test_big_list_file(void **state)
{
        char dir[] = "/tmp/test-config-XXXXXX";
        _cleanup_free_ char *list = NULL, *rules = NULL;
        struct config *c = NULL;
        const struct values *v;
        uint64_t start;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&list, "%s/blocked.txt", dir) > 0);
        assert_true(asprintf(&rules, "%s/rules.yaml", dir) > 0);
        f = fopen(list, "we");
        assert_non_null(f);
        fputs("# generated\n", f);
        for (int i = 0; i < 10000; i++)
                fprintf(f, "CUS-%05d\n", i);
        fclose(f);
        f = fopen(rules, "we");
        assert_non_null(f);
        fputs(HEADER "lists: {blocked: {file: blocked.txt}}\n"
                     "rules: [{name: b, when: {customer: \"@blocked\"}, then: reject}]\n",
              f);
        fclose(f);

        start = now_monotonic_us();
        assert_int_equal(config_load(rules, NULL, &c), 0);
        printf("# loading a 10,000-entry list file: %.1f ms\n",
               (now_monotonic_us() - start) / 1000.0);
        assert_int_equal(c->lists[0].n_entries, 10000);
        v = &c->rules[0].when.conds[0].values;
        assert_true(values_match(v, "CUS-00000"));
        assert_true(values_match(v, "CUS-09999"));
        assert_false(values_match(v, "CUS-10000"));
        assert_false(values_match(v, "cus-00001"));
        config_free(c);
        assert_int_equal(unlink(list), 0);
        assert_int_equal(unlink(rules), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_actions(void **state)
{
        enum action a;

        assert_string_equal(action_to_string(ACTION_APPROVE), "approve");
        assert_string_equal(action_to_string(ACTION_REJECT), "reject");
        assert_string_equal(action_to_string(ACTION_HOLD), "hold");
        assert_null(action_to_string(_ACTION_MAX));
        for (enum action i = 0; i < _ACTION_MAX; i++) {
                assert_int_equal(action_from_string(action_to_string(i), &a), 0);
                assert_int_equal(a, i);
        }
        assert_int_equal(action_from_string("deny", &a), -EINVAL);
        assert_int_equal(action_from_string(NULL, &a), -EINVAL);
        config_free(NULL);
}

/* base_url and token_url: https, or http only to this machine.  Whatever
 * the config accepts, the API client (api_check_url()) must accept too,
 * since check stands for the daemon. */
static void test_api_urls(void **state)
{
        static const struct {
                const char *url;
                bool ok;
        } cases[] = {
                { "https://api.example.com", true },
                { "https://10.0.0.1:8443/x", true },
                { "http://127.0.0.1", true },
                { "http://127.255.1.2:9/path", true },
                { "http://localhost/", true },
                { "http://LocalHost:80", true },
                { "HTTP://[::1]:8080/t", true },
                { "http://[::1]", true },
                { "http://128.0.0.1", false },
                { "http://0.0.0.0:1", false },
                { "http://localhost.example.com", false },
                { "http://127.1", false },
                { "http://[::2]", false },
                { "http://[::1", false },
                { "http://api.example.com", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL;
                struct config *c = NULL;
                FILE *sink = fopen("/dev/null", "we");
                int r;

                assert_non_null(sink);
                assert_true(asprintf(&text,
                                     "version: 1\napi:\n  base_url: \"%s\"\n"
                                     "  token_url: \"%s\"\nrules: []\n",
                                     cases[i].url, cases[i].url) > 0);
                r = config_load_buffer("t.yaml", text, strlen(text), sink, &c);
                fclose(sink);
                if (cases[i].ok != (r >= 0))
                        fail_msg("%s: %s", cases[i].url, r >= 0 ? "accepted" : "refused");
                if (r >= 0)
                        assert_int_equal(api_check_url(cases[i].url), 0);
                config_free(c);
        }
}

static void test_list_parse(void **state)
{
        static const char text[] = "CUS-1\n"
                                   "  CUS-2  \t\r\n"
                                   "\n"
                                   "# a comment\n"
                                   "CUS#7\n"
                                   "CUS-8 # note\n"
                                   "CUS-9\t# tab note\n"
                                   "   #\n"
                                   "last";
        struct list l = { 0 }, big = { 0 }, nul = { 0 };
        static const char *const want[] = { "CUS-1", "CUS-2", "CUS#7", "CUS-8", "CUS-9", "last" };
        char *many;

        assert_int_equal(config_list_parse(text, strlen(text), &l), 0);
        assert_int_equal(l.n_entries, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(l.entries[i], want[i]);
        for (size_t i = 0; i < l.n_entries; i++)
                free(l.entries[i]);
        free(l.entries);
        /* Only len bytes count: "la" of "last". */
        l = (struct list){ 0 };
        assert_int_equal(config_list_parse(text, strlen(text) - 2, &l), 0);
        assert_string_equal(l.entries[l.n_entries - 1], "la");
        for (size_t i = 0; i < l.n_entries; i++)
                free(l.entries[i]);
        free(l.entries);

        assert_int_equal(config_list_parse("a\n\0b\n", 5, &nul), -EINVAL);
        assert_int_equal(nul.n_entries, 0);
        assert_int_equal(config_list_parse("", 0, &nul), 0);
        assert_int_equal(nul.n_entries, 0);

        /* 1,000 entries: the array grows past several doublings. */
        many = malloc(1000 * 3);
        assert_non_null(many);
        for (int i = 0; i < 1000; i++) {
                many[3 * i] = (char)('a' + i % 26);
                many[3 * i + 1] = (char)('a' + i / 26 % 26);
                many[3 * i + 2] = '\n';
        }
        assert_int_equal(config_list_parse(many, 3000, &big), 0);
        assert_int_equal(big.n_entries, 1000);
        assert_string_equal(big.entries[999], "lm");
        for (size_t i = 0; i < big.n_entries; i++)
                free(big.entries[i]);
        free(big.entries);
        free(many);
}

/* api.list, api.retrieve, api.statuses, api.token: defaults are today's
 * requests; keys that do not fit the paging are errors. */
static void test_request_shape(void **state)
{
        struct list_request q = { .page = 3, .page_size = 50 };
        struct config *c = load_ok("", "rules: []");
        char *url = NULL;
        unsigned n = 0;

        assert_int_equal(c->api.list.paging, PAGING_PAGE);
        assert_string_equal(c->api.retrieve, "/orders/{id}");
        assert_string_equal(c->api.list.items, "/items");
        assert_int_equal(c->api.client_auth, CLIENT_AUTH_BODY);
        assert_int_equal(c->api.token_form.n, 0);
        assert_int_equal(api_list_url(&c->api, &q, &url), 0);
        assert_string_equal(url, "https://api.appxite.com/orders?status=PendingApproval&page=3"
                                 "&pageSize=50");
        free(url);
        q.status = c->api.statuses[ORDER_STATUS_APPROVED];
        q.created_from = "2026-01-01T00:00:00Z";
        assert_int_equal(api_list_url(&c->api, &q, &url), 0);
        assert_string_equal(url, "https://api.appxite.com/orders?status=Approved&createdFrom="
                                 "2026-01-01T00%3A00%3A00Z&page=3&pageSize=50");
        free(url);
        config_free(c);

        c = load_ok("  list: {path: /api/v3/orders, paging: offset, offset_param: $skip,\n"
                    "         size_param: $top, items: /value}\n"
                    "  statuses: {pending: open}",
                    "rules: []");
        q = (struct list_request){ .page = 3, .page_size = 50 };
        assert_int_equal(api_list_url(&c->api, &q, &url), 0);
        assert_string_equal(
                url, "https://api.appxite.com/api/v3/orders?status=open&%24skip=100&%24top=50");
        free(url);
        assert_string_equal(config_status_canonical(&c->api, "open"), "PendingApproval");
        assert_string_equal(config_status_canonical(&c->api, "Approved"), "Approved");
        assert_string_equal(config_status_canonical(&c->api, "PendingApproval"),
                            "PendingApproval"); /* not a configured name: as is */
        assert_null(config_status_canonical(&c->api, NULL));
        config_free(c);

        assert_null(load("  list: {paging: next}", "rules: []", &n)); /* next needs next */
        assert_int_equal(n, 1);
        assert_null(load("  list: {paging: page, next: /n, offset_param: o}", "rules: []", &n));
        assert_int_equal(n, 2);
        assert_null(
                load("  list: {paging: offset, size_param: x, offset_param: x}", "rules: []", &n));
        assert_int_equal(n, 1);
        assert_null(load("  retrieve: /orders", "rules: []", &n));
        assert_int_equal(n, 1);
        assert_null(load("  statuses: {pending: a, approved: a}", "rules: []", &n));
        assert_int_equal(n, 1);
        assert_null(load("  token: {form: {grant_type: x}, client_auth: none}", "rules: []", &n));
        assert_int_equal(n, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),       cmocka_unit_test(test_numeric_keys),
                cmocka_unit_test(test_string_keys),    cmocka_unit_test(test_field_names),
                cmocka_unit_test(test_urls),           cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_bad_conditions), cmocka_unit_test(test_any_not),
                cmocka_unit_test(test_rules),          cmocka_unit_test(test_lists_and_credit),
                cmocka_unit_test(test_example_file),   cmocka_unit_test(test_big_list_file),
                cmocka_unit_test(test_actions),        cmocka_unit_test(test_api_urls),
                cmocka_unit_test(test_list_parse),     cmocka_unit_test(test_request_shape),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
