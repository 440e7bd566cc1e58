/* test-rules.c: the rule engine, table-driven over hand-built configs:
 * every condition with its boundaries, any/not, first match, the default,
 * the missing-field hold, and what history makes of new_customer,
 * orders_within and the credit limit. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Tables leave unused fields out on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "test-api.h"
#include "matcher.h"
#include "rules.h"
#include "util.h"

/* Hand-built values get the indexes config_load() would build, so that
 * the real matcher (globs, case rules) takes part. */
static void when_index(struct when *w, bool build)
{
        for (size_t i = 0; i < w->n_conds; i++) {
                struct cond *cd = &w->conds[i];

                switch (cd->kind) {
                case COND_CUSTOMER:
                case COND_CUSTOMER_NAME:
                case COND_COUNTRY:
                case COND_CURRENCY:
                case COND_PRODUCT:
                        if (build)
                                assert_int_equal(values_index_build(&cd->values, cd->kind), 0);
                        else
                                values_index_free(&cd->values);
                        break;
                case COND_ANY:
                        for (size_t j = 0; j < cd->any.n_items; j++)
                                when_index(&cd->any.items[j], build);
                        break;
                case COND_NOT:
                        when_index(cd->not, build);
                        break;
                default:
                        break;
                }
        }
}

static void rules_index(struct rule *rules, size_t n, bool build)
{
        for (size_t i = 0; i < n; i++)
                when_index(&rules[i].when, build);
}

#define NOW INT64_C(1795687200) /* 2026-11-26T10:00:00Z */
#define DAY INT64_C(86400)

#define ORDER(cust, total, cur)                                                                    \
        "{\"id\":\"ORD-1\",\"customer\":{\"id\":" cust ",\"name\":\"Contoso Ltd\","                \
        "\"countryCode\":\"SE\"},\"price\":{\"total\":" total ",\"currency\":" cur "},"            \
        "\"items\":[{\"sku\":\"MS-M365-E3\",\"offerId\":\"OFF-7\",\"name\":\"Microsoft 365 E3\","  \
        "\"quantity\":10},{\"sku\":\"AZ-1\",\"name\":\"Azure\",\"quantity\":3}]}"
#define STD ORDER("\"CUS-1\"", "3100", "\"EUR\"")

static struct list blocked = { .name = "blocked",
                               .entries = (char *[]){ "CUS-9", "CUS-1" },
                               .n_entries = 2 };
static struct limit dflt_limits[] = { { "EUR", 1000000 }, { "USD", 1200000 } };
static struct limit big_limits[] = { { "EUR", 5000000 } };
static struct customer_limits cust_limits[] = {
        { "BIG", { big_limits, ELEMENTSOF(big_limits) } },
};

#define VALUES(...)                                                                                \
        .values = { .entries = (char *[]){ __VA_ARGS__ },                                          \
                    .n_entries = ELEMENTSOF(((char *[]){ __VA_ARGS__ })) }
#define WHEN(...)                                                                                  \
        (struct when)                                                                              \
        {                                                                                          \
                .conds = (struct cond[]){ __VA_ARGS__ },                                           \
                .n_conds = ELEMENTSOF(((struct cond[]){ __VA_ARGS__ }))                            \
        }

enum expect {
        HOLDS, /* the rule decided */
        FAILS, /* the default decided */
        MISSING, /* hold for a missing field */
};

/* History: BIG has 48200.00 EUR (and 1000 USD) approved an hour ago; EDGE
 * has 90.00 EUR exactly 30 days ago (outside the window) and 10.00 EUR one
 * second later (inside); OLD has approvals exactly 24h ago (outside),
 * 24h - 1s ago and now (inside), and one in the future (inside too: the
 * clock was ahead when it was made). */
static struct history *make_history(void)
{
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, "BIG", NOW - 3600, 4820000, "EUR"), 0);
        assert_int_equal(history_add(h, "BIG", NOW - 3600, 100000, "USD"), 0);
        assert_int_equal(history_add(h, "EDGE", NOW - 30 * DAY, 900000, "EUR"), 0);
        assert_int_equal(history_add(h, "EDGE", NOW - 30 * DAY + 1, 100000, "EUR"), 0);
        assert_int_equal(history_add(h, "OLD", NOW - DAY, 100, "EUR"), 0);
        assert_int_equal(history_add(h, "OLD", NOW - DAY + 1, 100, "EUR"), 0);
        assert_int_equal(history_add(h, "OLD", NOW, 100, "EUR"), 0);
        assert_int_equal(history_add(h, "OLD", NOW + 1, 100, "EUR"), 0);
        return h;
}

static void config_init(struct config *c, struct rule *rules, size_t n_rules, enum action dflt)
{
        *c = (struct config){ .rules = rules, .n_rules = n_rules, .dflt = dflt };
        test_api_defaults(&c->api);
        c->credit = (struct credit){ .window_s = 30 * DAY,
                                     .dflt = { dflt_limits, ELEMENTSOF(dflt_limits) },
                                     .customers = cust_limits,
                                     .n_customers = ELEMENTSOF(cust_limits) };
        assert_int_equal(credit_index_build(&c->credit), 0);
}

static void config_fini(struct config *c)
{
        credit_index_free(&c->credit);
}

struct cond_case {
        const char *name;
        struct when when;
        const char *order;
        enum expect expect;
        const char *missing; /* MISSING: the field the reason names */
};

static void run_cond_case(const struct cond_case *k, const struct history *h)
{
        struct rule rule = {
                .name = "the rule", .when = k->when, .then = ACTION_REJECT, .reason = "because"
        };
        struct config c;
        struct order o;
        struct verdict v;

        print_message("case %s\n", k->name);
        config_init(&c, &rule, 1, ACTION_APPROVE);
        when_index(&rule.when, true);
        assert_int_equal(order_parse(k->order, strlen(k->order), &c.api, &o), 0);
        assert_int_equal(rules_evaluate(&c, h, &o, NOW, &v, NULL), 0);
        switch (k->expect) {
        case HOLDS:
                assert_int_equal(v.decision, ACTION_REJECT);
                assert_ptr_equal(v.rule, &rule);
                assert_string_equal(v.reason, "because");
                break;
        case FAILS:
                assert_int_equal(v.decision, ACTION_APPROVE);
                assert_null(v.rule);
                assert_string_equal(v.reason, "no rule matched: default approve");
                break;
        case MISSING:
                assert_int_equal(v.decision, ACTION_HOLD);
                assert_null(v.rule);
                print_message("  reason: %s\n", v.reason);
                assert_non_null(strstr(v.reason, k->missing));
                break;
        }
        order_done(&o);
        when_index(&rule.when, false);
        config_fini(&c);
}

static const struct cond_case cond_cases[] = {
        /* customer: exact ids, lists, @list */
        { "customer hit", WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-1") }), STD, HOLDS },
        { "customer is exact", WHEN({ .kind = COND_CUSTOMER, VALUES("cus-1") }), STD, FAILS },
        { "customer miss", WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-2", "CUS-3") }), STD, FAILS },
        { "customer @list", WHEN({ .kind = COND_CUSTOMER, .values = { .list = &blocked } }), STD,
          HOLDS },
        { "customer missing", WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-1") }),
          ORDER("null", "1", "\"EUR\""), MISSING, "customer_id" },
        { "customer not a string", WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-1") }),
          ORDER("7", "1", "\"EUR\""), MISSING, "malformed 'customer_id'" },
        /* customer_name: globs */
        { "name glob", WHEN({ .kind = COND_CUSTOMER_NAME, VALUES("contoso*") }), STD, HOLDS },
        { "name miss", WHEN({ .kind = COND_CUSTOMER_NAME, VALUES("fabrikam*") }), STD, FAILS },
        { "name missing", WHEN({ .kind = COND_CUSTOMER_NAME, VALUES("x") }), "{}", MISSING,
          "customer_name" },
        /* country */
        { "country hit", WHEN({ .kind = COND_COUNTRY, VALUES("KP", "SE") }), STD, HOLDS },
        { "country ignores case", WHEN({ .kind = COND_COUNTRY, VALUES("se") }), STD, HOLDS },
        { "country miss", WHEN({ .kind = COND_COUNTRY, VALUES("KP") }), STD, FAILS },
        { "country missing", WHEN({ .kind = COND_COUNTRY, VALUES("KP") }), "{}", MISSING,
          "country" },
        /* currency */
        { "currency hit", WHEN({ .kind = COND_CURRENCY, VALUES("EUR") }), STD, HOLDS },
        { "currency miss", WHEN({ .kind = COND_CURRENCY, VALUES("USD") }), STD, FAILS },
        { "currency missing", WHEN({ .kind = COND_CURRENCY, VALUES("USD") }),
          ORDER("\"CUS-1\"", "1", "null"), MISSING, "currency" },
        /* total_above / total_at_most: exact money */
        { "above 1000 with 1000.00", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 100000 }),
          ORDER("\"CUS-1\"", "1000.00", "\"EUR\""), FAILS },
        { "above 1000 with 1000.01", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 100000 }),
          ORDER("\"CUS-1\"", "1000.01", "\"EUR\""), HOLDS },
        { "above 1000 with \"1000.01\"", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 100000 }),
          ORDER("\"CUS-1\"", "\"1000.01\"", "\"EUR\""), HOLDS },
        { "above 0.1+0.2", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 30 }),
          ORDER("\"CUS-1\"", "0.3", "\"EUR\""), FAILS },
        { "at most 1000 with 1000.00", WHEN({ .kind = COND_TOTAL_AT_MOST, .amount = 100000 }),
          ORDER("\"CUS-1\"", "1000.00", "\"EUR\""), HOLDS },
        { "at most 1000 with 1000.01", WHEN({ .kind = COND_TOTAL_AT_MOST, .amount = 100000 }),
          ORDER("\"CUS-1\"", "1000.01", "\"EUR\""), FAILS },
        { "total missing", WHEN({ .kind = COND_TOTAL_AT_MOST, .amount = 100000 }),
          ORDER("\"CUS-1\"", "null", "\"EUR\""), MISSING, "has no 'total'" },
        { "total unparseable", WHEN({ .kind = COND_TOTAL_AT_MOST, .amount = 100000 }),
          ORDER("\"CUS-1\"", "\"12,50\"", "\"EUR\""), MISSING, "malformed 'total'" },
        { "total three decimals", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 100000 }),
          ORDER("\"CUS-1\"", "1000.005", "\"EUR\""), MISSING, "malformed 'total'" },
        { "total without currency", WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 100 }),
          ORDER("\"CUS-1\"", "5", "null"), MISSING, "currency" },
        /* quantity_above */
        { "quantity 10 > 9", WHEN({ .kind = COND_QUANTITY_ABOVE, .quantity = 9 }), STD, HOLDS },
        { "quantity 10 > 10", WHEN({ .kind = COND_QUANTITY_ABOVE, .quantity = 10 }), STD, FAILS },
        { "quantity no lines", WHEN({ .kind = COND_QUANTITY_ABOVE, .quantity = 0 }),
          "{\"items\":[]}", FAILS },
        { "quantity items missing", WHEN({ .kind = COND_QUANTITY_ABOVE, .quantity = 0 }), "{}",
          MISSING, "items" },
        { "quantity not integer", WHEN({ .kind = COND_QUANTITY_ABOVE, .quantity = 0 }),
          "{\"items\":[{\"quantity\":1},{\"quantity\":1.5}]}", MISSING, "item_quantity" },
        /* product: sku, offerId or name, globs, any case */
        { "product sku", WHEN({ .kind = COND_PRODUCT, VALUES("ms-m365-*") }), STD, HOLDS },
        { "product offer", WHEN({ .kind = COND_PRODUCT, VALUES("OFF-7") }), STD, HOLDS },
        { "product name", WHEN({ .kind = COND_PRODUCT, VALUES("azure") }), STD, HOLDS },
        { "product miss", WHEN({ .kind = COND_PRODUCT, VALUES("OFF-8") }), STD, FAILS },
        { "product items missing", WHEN({ .kind = COND_PRODUCT, VALUES("x") }), "{}", MISSING,
          "items" },
        /* new_customer */
        { "new: true, unknown", WHEN({ .kind = COND_NEW_CUSTOMER, .flag = true }), STD, HOLDS },
        { "new: true, known", WHEN({ .kind = COND_NEW_CUSTOMER, .flag = true }),
          ORDER("\"OLD\"", "1", "\"EUR\""), FAILS },
        { "new: false, known", WHEN({ .kind = COND_NEW_CUSTOMER, .flag = false }),
          ORDER("\"OLD\"", "1", "\"EUR\""), HOLDS },
        { "new: false, unknown", WHEN({ .kind = COND_NEW_CUSTOMER, .flag = false }), STD, FAILS },
        { "new: missing", WHEN({ .kind = COND_NEW_CUSTOMER, .flag = true }), "{}", MISSING,
          "customer_id" },
        /* orders_within: now - window < t, future-stamped included */
        { "within 24h: 3 > 2",
          WHEN({ .kind = COND_ORDERS_WITHIN, .within = { .window_s = DAY, .above = 2 } }),
          ORDER("\"OLD\"", "1", "\"EUR\""), HOLDS },
        { "within 24h: 3 > 3",
          WHEN({ .kind = COND_ORDERS_WITHIN, .within = { .window_s = DAY, .above = 3 } }),
          ORDER("\"OLD\"", "1", "\"EUR\""), FAILS },
        { "within 24h+1s: 4 > 3",
          WHEN({ .kind = COND_ORDERS_WITHIN, .within = { .window_s = DAY + 1, .above = 3 } }),
          ORDER("\"OLD\"", "1", "\"EUR\""), HOLDS },
        { "within: unknown customer",
          WHEN({ .kind = COND_ORDERS_WITHIN, .within = { .window_s = DAY, .above = 0 } }), STD,
          FAILS },
        /* over_credit_limit: exposure in the order's currency + total > limit */
        { "credit 48200 + 3100 > 50000", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"BIG\"", "3100", "\"EUR\""), HOLDS },
        { "credit 48200 + 1800 = limit", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"BIG\"", "1800.00", "\"EUR\""), FAILS },
        { "credit 48200 + 1800.01", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"BIG\"", "1800.01", "\"EUR\""), HOLDS },
        { "credit false, under", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = false }),
          ORDER("\"BIG\"", "1800.00", "\"EUR\""), HOLDS },
        { "credit false, over", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = false }),
          ORDER("\"BIG\"", "1800.01", "\"EUR\""), FAILS },
        { "credit: own limits replace default (no USD)",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }), ORDER("\"BIG\"", "1", "\"USD\""),
          HOLDS },
        { "credit: no limit in SEK counts as over",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"CUS-1\"", "1", "\"SEK\""), HOLDS },
        { "credit: no limit, false", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = false }),
          ORDER("\"CUS-1\"", "1", "\"SEK\""), FAILS },
        { "credit: default limit 10000 with 10000.00",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"CUS-1\"", "10000.00", "\"EUR\""), FAILS },
        { "credit: window edge 1000 + 9000 = 10000",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"EDGE\"", "9000", "\"EUR\""), FAILS },
        { "credit: window edge 1000 + 9000.01",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"EDGE\"", "9000.01", "\"EUR\""), HOLDS },
        { "credit: exposure per currency (USD 1000 only)",
          WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }), ORDER("\"BIG\"", "1", "\"EUR\""),
          FAILS },
        { "credit: missing total", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
          ORDER("\"BIG\"", "null", "\"EUR\""), MISSING, "total" },
        { "credit: missing customer", WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = false }),
          ORDER("null", "1", "\"EUR\""), MISSING, "customer_id" },
        /* conjunctions */
        { "no conditions always hold", { 0 }, "{}", HOLDS },
        { "all hold",
          WHEN({ .kind = COND_COUNTRY, VALUES("SE") }, { .kind = COND_CURRENCY, VALUES("EUR") }),
          STD, HOLDS },
        { "one fails",
          WHEN({ .kind = COND_COUNTRY, VALUES("SE") }, { .kind = COND_CURRENCY, VALUES("USD") }),
          STD, FAILS },
        { "missing in a later condition still holds the order",
          WHEN({ .kind = COND_COUNTRY, VALUES("KP") }, { .kind = COND_TOTAL_ABOVE, .amount = 1 }),
          ORDER("\"CUS-1\"", "\"x\"", "\"EUR\""), MISSING, "total" },
};

static void test_conditions(void **state)
{
        struct history *h = make_history();

        for (size_t i = 0; i < ELEMENTSOF(cond_cases); i++)
                run_cond_case(&cond_cases[i], h);
        history_free(h);
}

static struct when alt_country_kp = WHEN({ .kind = COND_COUNTRY, VALUES("KP") });
static struct when alt_big_total = WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 300000 });
static struct when alts_2[] = { WHEN({ .kind = COND_COUNTRY, VALUES("KP") }),
                                WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 300000 }) };
static struct when alts_none[] = { WHEN({ .kind = COND_COUNTRY, VALUES("KP") }),
                                   WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 310000 }) };
static struct when not_se = WHEN({ .kind = COND_COUNTRY, VALUES("SE") });
static struct when not_cust = WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-1") });

static const struct cond_case logic_cases[] = {
        { "any: second holds", WHEN({ .kind = COND_ANY, .any = { alts_2, 2 } }), STD, HOLDS },
        { "any: none holds", WHEN({ .kind = COND_ANY, .any = { alts_none, 2 } }), STD, FAILS },
        { "any: one alternative", WHEN({ .kind = COND_ANY, .any = { &alt_big_total, 1 } }), STD,
          HOLDS },
        { "any: missing in any alternative holds the order",
          WHEN({ .kind = COND_ANY, .any = { alts_2, 2 } }), ORDER("\"CUS-1\"", "null", "\"EUR\""),
          MISSING, "total" },
        { "not: inner holds", WHEN({ .kind = COND_NOT, .not = &not_se }), STD, FAILS },
        { "not: inner fails", WHEN({ .kind = COND_NOT, .not = &alt_country_kp }), STD, HOLDS },
        { "not: missing never makes not hold", WHEN({ .kind = COND_NOT, .not = &not_cust }),
          ORDER("null", "1", "\"EUR\""), MISSING, "customer_id" },
        { "not any",
          WHEN({ .kind = COND_NOT, .not = &WHEN({ .kind = COND_ANY, .any = { alts_none, 2 } }) }),
          STD, HOLDS },
};

static void test_any_not(void **state)
{
        struct history *h = make_history();

        for (size_t i = 0; i < ELEMENTSOF(logic_cases); i++)
                run_cond_case(&logic_cases[i], h);
        history_free(h);
}

/* First match decides; unreachable rules' fields do not matter; the
 * default's reason; a missing field hold names no rule. */
static void test_order_of_rules(void **state)
{
        struct rule rules[] = {
                { .name = "swedes",
                  .when = WHEN({ .kind = COND_COUNTRY, VALUES("SE") }),
                  .then = ACTION_APPROVE,
                  .reason = "rule 'swedes'" },
                { .name = "blocked",
                  .when = WHEN({ .kind = COND_CUSTOMER, VALUES("CUS-1") }),
                  .then = ACTION_REJECT,
                  .reason = "Customer account is blocked" },
                { .name = "catch all", .then = ACTION_HOLD },
        };
        static const struct {
                const char *order;
                size_t n_rules;
                enum action dflt;
                enum action decision;
                int rule; /* index, -1 none */
                const char *reason;
        } cases[] = {
                { STD, 3, ACTION_REJECT, ACTION_APPROVE, 0, "rule 'swedes'" },
                /* rule 2 never reached: no customer id needed */
                { "{\"customer\":{\"countryCode\":\"se\"}}", 3, ACTION_REJECT, ACTION_APPROVE, 0,
                  "rule 'swedes'" },
                { "{\"customer\":{\"id\":\"CUS-1\",\"countryCode\":\"NO\"}}", 3, ACTION_APPROVE,
                  ACTION_REJECT, 1, "Customer account is blocked" },
                { "{\"customer\":{\"id\":\"CUS-2\",\"countryCode\":\"NO\"}}", 3, ACTION_APPROVE,
                  ACTION_HOLD, 2, "rule 'catch all'" },
                { "{\"customer\":{\"id\":\"CUS-2\",\"countryCode\":\"NO\"}}", 2, ACTION_APPROVE,
                  ACTION_APPROVE, -1, "no rule matched: default approve" },
                { "{\"customer\":{\"id\":\"CUS-2\",\"countryCode\":\"NO\"}}", 2, ACTION_HOLD,
                  ACTION_HOLD, -1, "no rule matched: default hold" },
                { "{\"customer\":{\"id\":\"CUS-2\",\"countryCode\":\"NO\"}}", 2, ACTION_REJECT,
                  ACTION_REJECT, -1, "no rule matched: default reject" },
                { "{\"customer\":{\"countryCode\":\"NO\"}}", 3, ACTION_APPROVE, ACTION_HOLD, -1,
                  "order has no 'customer_id', which rule 'blocked' reads" },
                { "{}", 0, ACTION_APPROVE, ACTION_APPROVE, -1, "no rule matched: default approve" },
        };
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        rules_index(rules, ELEMENTSOF(rules), true);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct config c;
                struct order o;
                struct verdict v;

                print_message("case %zu\n", i);
                config_init(&c, rules, cases[i].n_rules, cases[i].dflt);
                assert_int_equal(order_parse(cases[i].order, strlen(cases[i].order), &c.api, &o),
                                 0);
                assert_int_equal(rules_evaluate(&c, h, &o, NOW, &v, NULL), 0);
                assert_int_equal(v.decision, cases[i].decision);
                if (cases[i].rule < 0)
                        assert_null(v.rule);
                else
                        assert_ptr_equal(v.rule, &rules[cases[i].rule]);
                assert_string_equal(v.reason, cases[i].reason);
                order_done(&o);
                config_fini(&c);
        }
        rules_index(rules, ELEMENTSOF(rules), false);
        history_free(h);
}

static void test_trace(void **state)
{
        struct rule rules[] = {
                { .name = "big orders",
                  .when = WHEN({ .kind = COND_TOTAL_ABOVE, .amount = 2500000 }),
                  .then = ACTION_HOLD },
                { .name = "credit limit",
                  .when = WHEN({ .kind = COND_OVER_CREDIT_LIMIT, .flag = true }),
                  .then = ACTION_REJECT,
                  .reason = "over" },
        };
        static const char order[] = ORDER("\"BIG\"", "3100", "\"EUR\"");
        struct history *h = make_history();
        struct trace *t;
        struct config c;
        struct order o;
        struct verdict v;
        char *text = NULL, *js;
        size_t size = 0;
        FILE *f;
        cJSON *json;

        config_init(&c, rules, 2, ACTION_APPROVE);
        assert_int_equal(rules_trace_new(&t), 0);
        assert_int_equal(order_parse(order, strlen(order), &c.api, &o), 0);
        assert_int_equal(rules_evaluate(&c, h, &o, NOW, &v, t), 0);
        assert_int_equal(v.decision, ACTION_REJECT);
        f = open_memstream(&text, &size);
        assert_non_null(f);
        rules_trace_print(t, f);
        fclose(f);
        print_message("%s", text);
        assert_non_null(strstr(text, "  total 3100.00 EUR > 25000.00? no\n"));
        assert_non_null(strstr(
                text, "  exposure 48200.00 + 3100.00 = 51300.00 > limit 50000.00 EUR: yes\n"));
        assert_non_null(strstr(text, "rule 'credit limit': holds -> reject\n"));
        free(text);
        assert_int_equal(rules_trace_to_json(t, &json), 0);
        js = cJSON_PrintUnformatted(json);
        assert_string_equal(
                js,
                "[{\"rule\":\"big orders\",\"held\":false,\"missing\":null,"
                "\"text\":\"rule 'big orders': does not hold\",\"conditions\":[{\"depth\":0,"
                "\"held\":false,\"text\":\"total 3100.00 EUR > 25000.00? no\"}]},"
                "{\"rule\":\"credit limit\",\"held\":true,\"missing\":null,"
                "\"text\":\"rule 'credit limit': holds -> reject\",\"conditions\":[{\"depth\":0,"
                "\"held\":true,\"text\":\"exposure 48200.00 + 3100.00 = 51300.00 > limit "
                "50000.00 EUR: yes\"}]}]");
        free(js);
        cJSON_Delete(json);
        /* The same trace object is refilled by the next evaluation. */
        assert_int_equal(rules_evaluate(&c, h, &o, NOW, &v, t), 0);
        assert_int_equal(rules_trace_to_json(t, &json), 0);
        assert_int_equal(cJSON_GetArraySize(json), 2);
        cJSON_Delete(json);
        order_done(&o);
        config_fini(&c);
        rules_trace_free(t);
        rules_trace_free(NULL);
        history_free(h);
}

static void test_longest_window(void **state)
{
        struct when inner = WHEN(
                { .kind = COND_ORDERS_WITHIN, .within = { .window_s = 90 * DAY, .above = 1 } });
        struct rule rules[] = {
                { .name = "a",
                  .when = WHEN({ .kind = COND_ORDERS_WITHIN,
                                 .within = { .window_s = DAY, .above = 1 } }) },
                { .name = "b", .when = WHEN({ .kind = COND_NOT, .not = &inner }) },
        };
        struct config c;

        config_init(&c, rules, 1, ACTION_HOLD);
        assert_int_equal(rules_longest_window(&c), 30 * DAY); /* credit.window */
        config_fini(&c);
        config_init(&c, rules, 2, ACTION_HOLD);
        assert_int_equal(rules_longest_window(&c), 90 * DAY);
        config_fini(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conditions),     cmocka_unit_test(test_any_not),
                cmocka_unit_test(test_order_of_rules), cmocka_unit_test(test_trace),
                cmocka_unit_test(test_longest_window),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
