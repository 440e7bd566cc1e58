/* test-config-digest.c: the same rules written in different ways digest
 * alike; changing any one value that can change a decision changes the
 * digest (one case per kind of value); what cannot change a decision
 * (api addresses, timeouts, poll, mode, comments) does not; and the
 * canonical form is pinned by a known value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "config-digest.h"
#include "config.h"
#include "util.h"

/* The rules every case starts from: every kind of condition, a list used
 * by reference, limits, per-customer limits, a default. */
#define API                                                                                        \
        "version: 1\n"                                                                             \
        "api:\n"                                                                                   \
        "  base_url: https://api.appxite.com\n"                                                    \
        "  token_url: https://login.example/oauth2/token\n"

#define RULE_BLOCKED                                                                               \
        "  - name: blocked\n"                                                                      \
        "    when: {customer: \"@vip\", country: [SE, NO]}\n"                                      \
        "    then: reject\n"                                                                       \
        "    reason: Blocked\n"

#define RULE_BIG                                                                                   \
        "  - name: big\n"                                                                          \
        "    when: {total_above: 250, any: [{currency: EUR}, {product: \"X*\"}],\n"                \
        "           not: {new_customer: true}}\n"                                                  \
        "    then: hold\n"

#define RULE_BUSY                                                                                  \
        "  - name: busy\n"                                                                         \
        "    when: {orders_within: {window: 1h, above: 3}, quantity_above: 5,\n"                   \
        "           customer_name: \"A*\", total_at_most: 999}\n"                                  \
        "    then: approve\n"

#define RULE_CREDIT                                                                                \
        "  - name: credit\n"                                                                       \
        "    when: {over_credit_limit: true}\n"                                                    \
        "    then: reject\n"

static const char base[] =
        API "lists:\n"
            "  vip: [C1, C2]\n"
            "credit:\n"
            "  window: 30d\n"
            "  default: {EUR: 1000, USD: 1200}\n"
            "  customers:\n"
            "    C9: {EUR: 5000}\n"
            "    C8: {SEK: 100}\n"
            "rules:\n" RULE_BLOCKED RULE_BIG RULE_BUSY RULE_CREDIT "default: approve\n";

/* The same decisions written otherwise: keys and entries in another order,
 * block style for flow style, comments, the list from a file (written
 * unsorted, with a comment), a condition naming the entries inline instead
 * of the list, the default reason spelt out, an unused list, api.fields
 * set to their defaults, and everything that cannot change a decision set
 * to something else. */
static const char same[] =
        "# the same rules, written by someone else\n"
        "mode: dry-run\n"
        "default: approve   # as before\n"
        "rules:\n"
        "  - then: reject\n"
        "    reason: Blocked\n"
        "    when:\n"
        "      country: [NO, SE]\n"
        "      customer: \"@vips\"\n"
        "    name: blocked\n"
        "  - name: big\n"
        "    reason: Held for a person to decide\n"
        "    when:\n"
        "      not: {new_customer: true}\n"
        "      any:\n"
        "        - product: X*\n"
        "        - {currency: [EUR]}\n"
        "      total_above: 250.00\n"
        "    then: hold\n"
        "  - name: busy\n"
        "    when: {total_at_most: 999, customer_name: \"A*\", quantity_above: 5,\n"
        "           orders_within: {above: 3, window: 60m}}\n"
        "    then: approve\n"
        "  - {name: credit, then: reject, when: {over_credit_limit: true}}\n"
        "credit:\n"
        "  customers:\n"
        "    C8: {SEK: 100.00}\n"
        "    C9: {eur: 5000}\n"
        "  default: {USD: 1200, EUR: 1000}\n"
        "  window: 720h\n"
        "lists:\n"
        "  unused: [Z1]\n"
        "  vips: {file: vip.txt}\n"
        "poll: {interval: 5m, page_size: 7}\n"
        "api:\n"
        "  token_url: https://other.example/token\n"
        "  base_url: https://api.example.org\n"
        "  timeout: 5s\n"
        "  max_parallel: 2\n"
        "  api_version: \"9.9\"\n"
        "  on_behalf_of: ORG-7\n"
        "  fields: {total: /price/total, customer_id: /customer/id}\n"
        "version: 1\n";

static char dir[] = "/tmp/test-config-digest-XXXXXX";

static void write_file(const char *name, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* Loads text as DIR/rules.yaml (list files beside it); it must be valid. */
static uint64_t digest_of(const char *text)
{
        char path[256];
        struct config *c = NULL;
        uint64_t d;

        snprintf(path, sizeof(path), "%s/rules.yaml", dir);
        assert_int_equal(config_load_buffer(path, text, strlen(text), stderr, &c), 0);
        d = config_digest(c);
        assert_int_equal(config_digest(c), d); /* a function of the config */
        config_free(c);
        return d;
}

/* text with the first `from` replaced by `to` (from must occur). */
static char *replaced(const char *text, const char *from, const char *to)
{
        const char *at = strstr(text, from);
        char *out = NULL;

        assert_non_null(at);
        assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
        return out;
}

static int setup(void **state)
{
        assert_non_null(mkdtemp(dir));
        write_file("vip.txt", "# the VIPs\nC2\n\nC1   # since 2020\n");
        write_file("vip3.txt", "C3\nC1\n");
        write_file("vip4.txt", "C1\nC4\n");
        return 0;
}

static int teardown(void **state)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/vip.txt", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/vip3.txt", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/vip4.txt", dir);
        unlink(path);
        return rmdir(dir);
}

static void test_same_rules_written_otherwise(void **state)
{
        _cleanup_free_ char *inline_list = replaced(base, "vip: [C1, C2]", "vip: [C1, C3]");
        _cleanup_free_ char *file_list = replaced(base, "vip: [C1, C2]", "vip: {file: vip3.txt}");

        assert_true(digest_of(base) == digest_of(same));
        assert_true(digest_of(inline_list) == digest_of(file_list));
        assert_true(digest_of(inline_list) != digest_of(base));
}

/* Values that cannot change a decision, changed one at a time. */
static void test_irrelevant_values(void **state)
{
        static const struct {
                const char *from, *to;
        } cases[] = {
                { "base_url: https://api.appxite.com", "base_url: https://api.example.org" },
                { "token_url: https://login.example/oauth2/token",
                  "token_url: https://x.example/t\n  timeout: 3s\n  max_parallel: 1\n"
                  "  referer: https://portal.example\n  ca_file: /etc/os-release\n"
                  "  credentials_dir: /srv/c\n  api_version: \"3.2\"" },
                { "default: approve\n", "default: approve\nmode: dry-run\n" },
                { "default: approve\n", "default: approve\npoll: {interval: 10s, page_size: 3}\n" },
                { "lists:\n", "lists:\n  spare: [A, B]\n" },
                { "rules:\n", "# a comment\nrules:   # another\n" },
        };
        uint64_t want = digest_of(base);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = replaced(base, cases[i].from, cases[i].to);

                if (digest_of(text) != want)
                        fail_msg("case %zu (%s) changed the digest", i, cases[i].to);
        }
}

/* Each value that can change a decision, changed alone, changes the
 * digest; and no two of these changes digest alike. */
static void test_relevant_values(void **state)
{
        static const struct {
                const char *what, *from, *to;
        } cases[] = {
                { "rule name", "name: blocked", "name: blocked2" },
                { "then", "then: reject\n    reason: Blocked", "then: hold\n    reason: Blocked" },
                { "reason", "reason: Blocked", "reason: Blocked!" },
                { "default reason spelt otherwise", "  - name: credit\n",
                  "  - name: credit\n    reason: Over the limit\n" },
                { "rule order", RULE_BUSY RULE_CREDIT, RULE_CREDIT RULE_BUSY },
                { "a rule fewer", RULE_CREDIT, "" },
                { "list entry", "vip: [C1, C2]", "vip: [C1, C3]" },
                { "list entry added", "vip: [C1, C2]", "vip: [C1, C2, C3]" },
                { "list from a file with other entries", "vip: [C1, C2]", "vip: {file: vip4.txt}" },
                { "values", "country: [SE, NO]", "country: [SE, DK]" },
                { "condition kind, same values", "country: [SE, NO]", "customer_name: [SE, NO]" },
                { "condition added", "country: [SE, NO]", "country: [SE, NO], currency: EUR" },
                { "total_above", "total_above: 250", "total_above: 250.01" },
                { "total_at_most", "total_at_most: 999", "total_at_most: 998" },
                { "quantity_above", "quantity_above: 5", "quantity_above: 6" },
                { "new_customer", "not: {new_customer: true}", "not: {new_customer: false}" },
                { "over_credit_limit", "over_credit_limit: true", "over_credit_limit: false" },
                { "orders_within window", "window: 1h, above: 3", "window: 2h, above: 3" },
                { "orders_within count", "window: 1h, above: 3", "window: 1h, above: 4" },
                { "any alternative", "{currency: EUR}", "{currency: USD}" },
                { "any alternative added", "{currency: EUR}, {product: \"X*\"}",
                  "{currency: EUR}, {product: \"X*\"}, {country: SE}" },
                { "not map", "not: {new_customer: true}",
                  "not: {new_customer: true, country: SE}" },
                { "product glob", "product: \"X*\"", "product: \"Y*\"" },
                { "customer_name glob", "customer_name: \"A*\"", "customer_name: \"B*\"" },
                { "default", "default: approve", "default: hold" },
                { "credit window", "window: 30d", "window: 31d" },
                { "default limit", "EUR: 1000,", "EUR: 1001," },
                { "default limit currency", "EUR: 1000,", "GBP: 1000," },
                { "default limit added", "USD: 1200}", "USD: 1200, SEK: 1}" },
                { "customer limit", "C9: {EUR: 5000}", "C9: {EUR: 5001}" },
                { "customer id", "C9: {EUR: 5000}", "C7: {EUR: 5000}" },
                { "customer added", "C8: {SEK: 100}", "C8: {SEK: 100}\n    C6: {EUR: 1}" },
                { "api.fields pointer", "  token_url: https://login.example/oauth2/token\n",
                  "  token_url: https://login.example/oauth2/token\n"
                  "  fields: {total: /price/gross}\n" },
                { "api.fields approve link", "  token_url: https://login.example/oauth2/token\n",
                  "  token_url: https://login.example/oauth2/token\n"
                  "  fields: {approve_link: /links/ok}\n" },
        };
        uint64_t digests[ELEMENTSOF(cases) + 1];

        digests[0] = digest_of(base);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = replaced(base, cases[i].from, cases[i].to);

                digests[i + 1] = digest_of(text);
                for (size_t k = 0; k <= i; k++)
                        if (digests[i + 1] == digests[k])
                                fail_msg("'%s' digests as %s", cases[i].what,
                                         k ? cases[k - 1].what : "the base rules");
        }
}

/* Moving a value between two places changes the digest even where the
 * parts themselves are unordered. */
static void test_structure_counts(void **state)
{
        static const char *const texts[] = {
                API "rules:\n  - {name: a, when: {country: SE, currency: EUR}, then: hold}\n",
                API "rules:\n  - {name: a, when: {country: EUR, currency: SE}, then: hold}\n",
                API "rules:\n  - {name: a, when: {any: [{country: SE, currency: EUR}]}, then: "
                    "hold}\n",
                API "rules:\n  - {name: a, when: {any: [{country: SE}, {currency: EUR}]}, then: "
                    "hold}\n",
                API "rules:\n  - {name: a, when: {not: {country: SE}}, then: hold}\n",
                API "rules:\n  - {name: a, when: {country: SE}, then: hold}\n",
                API "rules:\n  - {name: a, when: {country: [SE, SE]}, then: hold}\n",
                API "rules:\n  - {name: a, then: hold}\n",
                API "rules: []\n",
                API "rules: []\ndefault: reject\n",
        };
        uint64_t d[ELEMENTSOF(texts)];

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                d[i] = digest_of(texts[i]);
                for (size_t k = 0; k < i; k++)
                        if (d[i] == d[k])
                                fail_msg("texts %zu and %zu digest alike", k, i);
        }
}

/* The canonical form is part of the journal: holds carry the digest across
 * restarts and upgrades.  If this value changes, every hold is decided
 * again once after an upgrade; bump DIGEST_FORM and this value together,
 * on purpose. */
static void test_known_value(void **state)
{
        char buf[32];

        snprintf(buf, sizeof(buf), CONFIG_DIGEST_FMT, digest_of(API "rules: []\n"));
        assert_string_equal(buf, "8acda8d7ddb27233");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_rules_written_otherwise),
                cmocka_unit_test(test_irrelevant_values),
                cmocka_unit_test(test_relevant_values),
                cmocka_unit_test(test_structure_counts),
                cmocka_unit_test(test_known_value),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
