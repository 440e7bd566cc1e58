/* test-order.c: JSON pointers and reading orders through api.fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test-api.h"
#include "order.h"
#include "util.h"

static const char sandbox_order[] =
        "{\"id\":\"ORD-000123\",\"status\":\"PendingApproval\","
        "\"createdAt\":\"2026-11-26T10:00:00Z\","
        "\"customer\":{\"id\":\"CUS-42\",\"name\":\"Contoso Ltd\",\"countryCode\":\"SE\","
        "\"domain\":\"contoso.example\"},"
        "\"price\":{\"total\":1234.5,\"currency\":\"EUR\"},"
        "\"items\":[{\"offerId\":\"OFF-7\",\"sku\":\"MS-M365-E3\",\"name\":\"Microsoft 365 E3\","
        "\"quantity\":10,\"unitPrice\":32.5,\"total\":325.0},"
        "{\"offerId\":\"OFF-8\",\"sku\":\"X\",\"name\":\"Y\",\"quantity\":2}],"
        "\"links\":{\"approve\":\"http://127.0.0.1:8080/orders/ORD-000123/approve\","
        "\"reject\":\"http://127.0.0.1:8080/orders/ORD-000123/reject\"}}";

static void test_pointer(void **state)
{
        static const char doc[] = "{\"Customer\":{\"ID\":\"A\",\"id\":\"exact\"},"
                                  "\"a/b\":1,\"m~n\":2,\"arr\":[10,20,{\"x\":3}],\"\":4}";
        static const struct {
                const char *ptr;
                const char *expect; /* printed value, NULL when absent */
        } cases[] = {
                { "/customer/id", "\"exact\"" }, /* exact case preferred */
                { "/CUSTOMER/Id", "\"A\"" }, /* else the first ignoring case */
                { "/a~1b", "1" },
                { "/A~1B", "1" },
                { "/m~0n", "2" },
                { "/m~2n", NULL },
                { "/m~", NULL },
                { "/arr/0", "10" },
                { "/arr/1", "20" },
                { "/arr/2/X", "3" },
                { "/arr/3", NULL },
                { "/arr/01", NULL },
                { "/arr/-", NULL },
                { "/arr/x", NULL },
                { "/", "4" },
                { "/nope", NULL },
                { "/customer/id/deeper", NULL },
                { "customer", NULL },
        };
        cJSON *json = cJSON_Parse(doc);

        assert_non_null(json);
        assert_ptr_equal(json_pointer_get(json, ""), json);
        assert_null(json_pointer_get(NULL, "/x"));
        assert_null(json_pointer_get(json, NULL));
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const cJSON *v = json_pointer_get(json, cases[i].ptr);
                char *s;

                print_message("case '%s'\n", cases[i].ptr);
                if (!cases[i].expect) {
                        assert_null(v);
                        continue;
                }
                assert_non_null(v);
                s = cJSON_PrintUnformatted(v);
                assert_string_equal(s, cases[i].expect);
                free(s);
        }
        cJSON_Delete(json);
}

static void test_sandbox_order(void **state)
{
        struct api_config api = { 0 };
        struct order o;

        test_api_defaults(&api);
        assert_int_equal(order_parse(sandbox_order, strlen(sandbox_order), &api, &o), 0);
        assert_string_equal(o.id, "ORD-000123");
        assert_string_equal(o.status, "PendingApproval");
        assert_true(o.has_created_at);
        assert_int_equal(o.created_at, 1795687200);
        assert_string_equal(o.customer_id, "CUS-42");
        assert_string_equal(o.customer_name, "Contoso Ltd");
        assert_string_equal(o.country, "SE");
        assert_true(o.has_total);
        assert_int_equal(o.total, 123450);
        assert_string_equal(o.currency, "EUR");
        assert_int_equal(o.n_items, 2);
        assert_string_equal(o.items[0].sku, "MS-M365-E3");
        assert_string_equal(o.items[0].offer_id, "OFF-7");
        assert_string_equal(o.items[0].name, "Microsoft 365 E3");
        assert_int_equal(o.items[0].quantity, 10);
        assert_int_equal(o.items[1].quantity, 2);
        assert_string_equal(o.approve_link, "http://127.0.0.1:8080/orders/ORD-000123/approve");
        assert_string_equal(o.reject_link, "http://127.0.0.1:8080/orders/ORD-000123/reject");
        assert_null(o.bad_field);
        order_done(&o);
        assert_null(o.json);
        order_done(&o); /* twice is harmless */
}

/* Variations of one small order: what each field reads as. */
static void test_fields(void **state)
{
        static const struct {
                const char *json;
                bool has_total;
                int64_t total;
                const char *bad;
                const char *currency;
                int64_t quantity; /* of the first item; -2: no items */
        } cases[] = {
                { "{\"price\":{\"total\":1000,\"currency\":\"EUR\"}}", true, 100000, NULL, "EUR",
                  -2 },
                { "{\"price\":{\"total\":1000.01,\"currency\":\"EUR\"}}", true, 100001, NULL, "EUR",
                  -2 },
                { "{\"price\":{\"total\":\"1000.01\",\"currency\":\"EUR\"}}", true, 100001, NULL,
                  "EUR", -2 },
                { "{\"price\":{\"total\":\"abc\",\"currency\":\"EUR\"}}", false, 0, "total", "EUR",
                  -2 },
                { "{\"price\":{\"total\":1.005,\"currency\":\"EUR\"}}", false, 0, "total", "EUR",
                  -2 },
                { "{\"price\":{\"total\":true}}", false, 0, "total", NULL, -2 },
                { "{\"price\":{\"total\":null}}", false, 0, NULL, NULL, -2 },
                { "{\"price\":{}}", false, 0, NULL, NULL, -2 },
                { "{\"price\":{\"total\":1e20}}", false, 0, "total", NULL, -2 },
                { "{\"price\":{\"currency\":\"EURO-DOLLAR\"}}", false, 0, "currency", NULL, -2 },
                { "{\"price\":{\"currency\":\"\"}}", false, 0, "currency", NULL, -2 },
                { "{\"price\":{\"currency\":7}}", false, 0, "currency", NULL, -2 },
                { "{\"items\":[{\"quantity\":3}]}", false, 0, NULL, NULL, 3 },
                { "{\"items\":[{\"quantity\":3.5}]}", false, 0, "item_quantity", NULL, -1 },
                { "{\"items\":[{\"quantity\":\"3\"}]}", false, 0, "item_quantity", NULL, -1 },
                { "{\"items\":[{\"quantity\":-1}]}", false, 0, "item_quantity", NULL, -1 },
                { "{\"items\":[{}]}", false, 0, NULL, NULL, -1 },
                { "{\"items\":{}}", false, 0, "items", NULL, -2 },
                { "{\"createdAt\":\"yesterday\"}", false, 0, "created_at", NULL, -2 },
                { "{\"customer\":{\"id\":42}}", false, 0, "customer_id", NULL, -2 },
                { "{\"PRICE\":{\"Total\":5,\"CURRENCY\":\"usd\"}}", true, 500, NULL, "usd", -2 },
        };
        struct api_config api = { 0 };

        test_api_defaults(&api);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct order o;

                print_message("case %s\n", cases[i].json);
                assert_int_equal(order_parse(cases[i].json, strlen(cases[i].json), &api, &o), 0);
                assert_int_equal(o.has_total, cases[i].has_total);
                if (o.has_total)
                        assert_int_equal(o.total, cases[i].total);
                if (cases[i].bad)
                        assert_string_equal(o.bad_field, cases[i].bad);
                else
                        assert_null(o.bad_field);
                if (cases[i].currency)
                        assert_string_equal(o.currency, cases[i].currency);
                else
                        assert_null(o.currency);
                if (cases[i].quantity == -2)
                        assert_int_equal(o.n_items, 0);
                else
                        assert_int_equal(o.items[0].quantity, cases[i].quantity);
                order_done(&o);
        }
}

static void test_custom_pointers(void **state)
{
        static const char doc[] = "{\"Order\":{\"Number\":\"N-1\"},\"Buyer\":{\"Ref\":\"B-7\"},"
                                  "\"Lines\":[{\"Qty\":4}]}";
        struct api_config api = { 0 };
        struct order o;

        test_api_defaults(&api);
        api.fields[FIELD_ID] = "/order/number";
        api.fields[FIELD_CUSTOMER_ID] = "/buyer/ref";
        api.fields[FIELD_ITEMS] = "/lines";
        api.fields[FIELD_ITEM_QUANTITY] = "/qty";
        assert_int_equal(order_parse(doc, strlen(doc), &api, &o), 0);
        assert_string_equal(o.id, "N-1");
        assert_string_equal(o.customer_id, "B-7");
        assert_int_equal(o.n_items, 1);
        assert_int_equal(o.items[0].quantity, 4);
        order_done(&o);

        /* Pointers through an array and with escapes, sharing a prefix; a
         * missing parent leaves its siblings missing too. */
        api.fields[FIELD_CUSTOMER_ID] = "/parties/1/a~1b";
        api.fields[FIELD_CUSTOMER_NAME] = "/Parties/1/m~0n";
        api.fields[FIELD_COUNTRY] = "/parties/0/cc";
        api.fields[FIELD_APPROVE_LINK] = "/nope/approve";
        api.fields[FIELD_REJECT_LINK] = "/nope/reject";
        static const char doc2[] =
                "{\"parties\":[{\"cc\":\"SE\"},{\"A/B\":\"C-1\",\"m~n\":\"N\"}]}";
        assert_int_equal(order_parse(doc2, strlen(doc2), &api, &o), 0);
        assert_string_equal(o.customer_id, "C-1");
        assert_string_equal(o.customer_name, "N");
        assert_string_equal(o.country, "SE");
        assert_null(o.approve_link);
        assert_null(o.reject_link);
        assert_null(o.bad_field);
        order_done(&o);
}

/* A reader compiles api.fields once; a pointer deeper than it compiles
 * (nine tokens) is walked the slow way with the same result. */
static void test_reader(void **state)
{
        static const char doc[] = "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":"
                                  "{\"i\":\"deep\"}}}}}}}},\"customer\":{\"id\":\"C\"}}";
        struct api_config api = { 0 };
        struct order_reader *rd;
        struct order o;

        test_api_defaults(&api);
        api.fields[FIELD_ID] = "/a/b/c/d/e/f/g/h/i";
        assert_int_equal(order_reader_new(&api, &rd), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(order_reader_parse(rd, doc, strlen(doc), &o), 0);
                assert_string_equal(o.id, "deep");
                assert_string_equal(o.customer_id, "C");
                order_done(&o);
        }
        assert_int_equal(order_reader_parse(rd, "[]", 2, &o), -EBADMSG);
        order_reader_free(rd);
        order_reader_free(NULL);
}

static void test_parse_errors(void **state)
{
        static const char *const bad[] = {
                "", "[]", "42", "\"x\"", "{", "{\"a\":1} x", "{\"a\":1}{}", "nul",
        };
        struct api_config api = { 0 };
        struct order o;
        char *big;

        test_api_defaults(&api);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                print_message("case '%s'\n", bad[i]);
                assert_int_equal(order_parse(bad[i], strlen(bad[i]), &api, &o), -EBADMSG);
        }
        /* Not NUL-terminated: only len bytes count. */
        assert_int_equal(order_parse("{\"id\":\"A\"}xxxx", 10, &api, &o), 0);
        assert_string_equal(o.id, "A");
        order_done(&o);
        assert_int_equal(order_parse("{\"id\":\"A\"} \n", 12, &api, &o), 0);
        order_done(&o);

        big = malloc(2 * 1024 * 1024);
        assert_non_null(big);
        memset(big, ' ', 2 * 1024 * 1024);
        big[0] = '{';
        big[2 * 1024 * 1024 - 1] = '}';
        assert_int_equal(order_parse(big, 2 * 1024 * 1024, &api, &o), -EFBIG);
        free(big);
}

static void test_too_many_items(void **state)
{
        struct api_config api = { 0 };
        struct order o;
        size_t n = 0, cap = 64 * 1024;
        char *s = malloc(cap);

        assert_non_null(s);
        test_api_defaults(&api);
        n += (size_t)snprintf(s + n, cap - n, "{\"items\":[");
        for (int i = 0; i < 1001; i++)
                n += (size_t)snprintf(s + n, cap - n, "%s{\"quantity\":1}", i ? "," : "");
        n += (size_t)snprintf(s + n, cap - n, "]}");
        assert_true(n < cap);
        assert_int_equal(order_parse(s, n, &api, &o), 0);
        assert_string_equal(o.bad_field, "items");
        assert_int_equal(o.n_items, 0);
        order_done(&o);
        free(s);
}

/* cJSON ends a string at a decoded NUL: "ORD-\u0000a" would read as "ORD-",
 * and two ids would become one.  The reader keeps the escape visible as
 * U+0001, so the id keeps its length and shows a control character. */
static void test_nul_escape(void **state)
{
        static const char a[] = "{\"id\":\"ORD-\\u0000a\"}", b[] = "{\"id\":\"ORD-\\u0000b\"}";
        struct api_config api = { 0 };
        struct order oa, ob;

        test_api_defaults(&api);
        assert_int_equal(order_parse(a, strlen(a), &api, &oa), 0);
        assert_int_equal(order_parse(b, strlen(b), &api, &ob), 0);
        assert_int_equal(strlen(oa.id), 6);
        assert_memory_equal(oa.id,
                            "ORD-\x01"
                            "a",
                            6);
        assert_memory_equal(ob.id,
                            "ORD-\x01"
                            "b",
                            6);
        assert_string_not_equal(oa.id, ob.id);
        order_done(&oa);
        order_done(&ob);
}

/* Only an escape inside a string is rewritten, and "\\u0000" is an escaped
 * backslash followed by the text u0000. */
static void test_json_parse(void **state)
{
        static const struct {
                const char *json;
                const char *key;
                const char *expect; /* NULL: the parse fails */
        } cases[] = {
                { "{\"k\":\"\\u0000\"}", "k", "\x01" },
                { "{\"k\":\"\\\\u0000\"}", "k", "\\u0000" },
                { "{\"k\":\"\\\\\\u0000\"}", "k", "\\\x01" },
                { "{\"k\":\"x\\\"\\u0000\"}", "k", "x\"\x01" },
                { "{\"k\":\"\\u00000\"}", "k",
                  "\x01"
                  "0" },
                { "{\"k\":\"\\u0001\"}", "k", "\x01" },
                { "{\"\\u0000\":\"v\"}", "\x01", "v" },
                { "{\"k\":\"a\"} ", "k", "a" },
                { "{\"k\":\"a\"} x", "k", NULL },
                { "{\"k\":\"\\u000", "k", NULL },
                { "{\"k\":\"\\", "k", NULL },
                { "", "k", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cJSON *j = NULL;
                int r;

                print_message("case %zu '%s'\n", i, cases[i].json);
                r = order_json_parse(cases[i].json, strlen(cases[i].json), &j);
                if (!cases[i].expect) {
                        assert_int_equal(r, -EBADMSG);
                        assert_null(j);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, cases[i].key)),
                                    cases[i].expect);
                cJSON_Delete(j);
        }
}

/* The text is const: a rewrite happens in a copy, and a text that is not
 * NUL-terminated is read only up to len. */
static void test_json_parse_const(void **state)
{
        static const char text[] = "[\"\\u0000\",1]garbage";
        cJSON *j = NULL;

        assert_int_equal(order_json_parse(text, 12, &j), 0);
        assert_true(cJSON_IsArray(j));
        assert_string_equal(cJSON_GetArrayItem(j, 0)->valuestring, "\x01");
        assert_string_equal(text, "[\"\\u0000\",1]garbage");
        cJSON_Delete(j);
}

/* A reader given an arena takes the items from it, and order_done()
 * leaves them to the arena's reset; without one they are malloc()ed. */
static void test_reader_arena(void **state)
{
        struct api_config api = { 0 };
        struct order_reader *rd;
        struct arena *a;
        struct order o;

        test_api_defaults(&api);
        assert_int_equal(arena_new(4096, &a), 0);
        assert_int_equal(order_reader_new(&api, &rd), 0);
        order_reader_set_arena(rd, a);
        assert_int_equal(order_reader_parse(rd, sandbox_order, strlen(sandbox_order), &o), 0);
        assert_int_equal(o.n_items, 2);
        assert_ptr_equal(o.arena, a);
        assert_true(arena_holds_all(a));
        order_done(&o);
        assert_null(o.arena);
        arena_reset(a);
        order_reader_set_arena(rd, NULL);
        assert_int_equal(order_reader_parse(rd, sandbox_order, strlen(sandbox_order), &o), 0);
        assert_null(o.arena);
        assert_string_equal(o.items[1].sku, "X");
        order_done(&o); /* free(): a leak checker would see it otherwise */
        order_reader_free(rd);
        arena_free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pointer),        cmocka_unit_test(test_sandbox_order),
                cmocka_unit_test(test_fields),         cmocka_unit_test(test_custom_pointers),
                cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_reader),
                cmocka_unit_test(test_too_many_items), cmocka_unit_test(test_nul_escape),
                cmocka_unit_test(test_json_parse),     cmocka_unit_test(test_json_parse_const),
                cmocka_unit_test(test_reader_arena),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
