/* test-sandbox-units.c: the sandbox's modules on their own: the store's
 * ordering and lookup, the request parsers (table-driven), money rendering,
 * the fault limiter, seeding, the approval tiers, the request shapes and
 * the cursors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sb-cursor.h"
#include "sb-faults.h"
#include "sb-options.h"
#include "sb-parse.h"
#include "sb-seed.h"
#include "sb-store.h"
#include "sb-tiers.h"

static struct sb_order *order(const char *id, int64_t at)
{
        struct sb_order *o = calloc(1, sizeof(*o));

        assert_non_null(o);
        snprintf(o->id, sizeof(o->id), "%s", id);
        o->created_at = at;
        return o;
}

static void test_store_order_and_lookup(void **state)
{
        static const struct {
                const char *id;
                int64_t at;
        } in[] = { { "B", 20 }, { "A", 20 }, { "C", 10 }, { "ORD-000041", 30 }, { "D", 5 } };
        static const char *const sorted[] = { "D", "C", "A", "B", "ORD-000041" };
        struct sb_store *s;
        struct sb_order *dup = order("A", 1);
        char next[SB_ID_MAX];

        assert_int_equal(sb_store_new(&s), 0);
        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                assert_int_equal(sb_store_add(s, order(in[i].id, in[i].at)), 0);
        assert_int_equal(sb_store_add(s, dup), -EEXIST);
        sb_order_free(dup);
        assert_int_equal(sb_store_count(s), ELEMENTSOF(sorted));
        for (size_t i = 0; i < ELEMENTSOF(sorted); i++)
                assert_string_equal(sb_store_at(s, i)->id, sorted[i]);
        assert_ptr_equal(sb_store_get(s, "C"), sb_store_at(s, 1));
        assert_null(sb_store_get(s, "E"));
        sb_store_next_id(s, next);
        assert_string_equal(next, "ORD-000042");
        sb_store_free(s);
}

static void test_store_many(void **state)
{
        struct sb_store *s;
        struct sb_rng rng;
        char id[SB_ID_MAX];

        assert_int_equal(sb_store_new(&s), 0);
        sb_rng_init(&rng, 3);
        assert_int_equal(sb_seed_generate(s, &rng, 100000, 1767225600), 0);
        assert_int_equal(sb_store_count(s), 100000);
        for (size_t i = 1; i < sb_store_count(s); i++)
                assert_true(sb_store_at(s, i - 1)->created_at < sb_store_at(s, i)->created_at);
        for (int i = 1; i <= 100000; i += 997) {
                snprintf(id, sizeof(id), "ORD-%06d", i);
                assert_non_null(sb_store_get(s, id));
        }
        for (size_t i = 0; i < sb_store_count(s); i += 101) {
                const struct sb_order *o = sb_store_at(s, i);

                assert_in_range(o->total_cents, 1000, 10000000);
                assert_in_range(o->n_items, 1, 5);
        }
        sb_store_free(s);
}

static void test_form(void **state)
{
        static const struct {
                const char *body, *key, *value;
                int r;
        } cases[] = {
                { "a=1&b=2", "b", "2", 0 },          { "a=1&b=2", "c", NULL, -ENOENT },
                { "ab=1&a=x+y%21", "a", "x y!", 0 }, { "a", "a", "", 0 },
                { "a=%4", "a", NULL, -EINVAL },      { "a=%zz", "a", NULL, -EINVAL },
                { "a=%00", "a", NULL, -EINVAL },     { "&&a=%41%42", "a", "AB", 0 },
                { "", "a", NULL, -ENOENT },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *v = NULL;
                int r = sb_form_get(cases[i].body, strlen(cases[i].body), cases[i].key, &v);

                assert_int_equal(r, cases[i].r);
                if (r == 0)
                        assert_string_equal(v, cases[i].value);
                free(v);
        }
}

static void test_list_query(void **state)
{
        static const struct {
                const char *status, *page, *size;
                int r;
                int64_t want_page, want_size;
        } cases[] = {
                { NULL, NULL, NULL, 0, 1, 50 },
                { "Approved", "3", "500", 0, 3, 500 },
                { NULL, "1000000000", "1", 0, 1000000000, 1 },
                { NULL, "0", NULL, -EINVAL, 0, 0 },
                { NULL, NULL, "501", -EINVAL, 0, 0 },
                { NULL, " 1", NULL, -EINVAL, 0, 0 },
                { NULL, "1x", NULL, -EINVAL, 0, 0 },
                { "pending", NULL, NULL, -EINVAL, 0, 0 },
                { NULL, NULL, "", -EINVAL, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sb_list_query q;

                assert_int_equal(
                        sb_list_query_parse(cases[i].status, cases[i].page, cases[i].size, &q),
                        cases[i].r);
                if (cases[i].r == 0) {
                        assert_int_equal(q.page, cases[i].want_page);
                        assert_int_equal(q.page_size, cases[i].want_size);
                }
        }
}

static void test_bearer_and_options(void **state)
{
        struct sockaddr_in sa;
        double d;

        assert_string_equal(sb_bearer_token("Bearer abc"), "abc");
        assert_string_equal(sb_bearer_token("bearer  abc"), "abc");
        assert_null(sb_bearer_token("Basic abc"));
        assert_null(sb_bearer_token("Bearer "));
        assert_null(sb_bearer_token(NULL));
        assert_int_equal(sb_parse_listen("127.0.0.1:0", &sa), 0);
        assert_int_equal(sb_parse_listen("8080", &sa), 0);
        assert_int_equal(sb_parse_listen("localhost:80", &sa), -EINVAL);
        assert_int_equal(sb_parse_listen("127.0.0.1:", &sa), -EINVAL);
        assert_int_equal(sb_parse_fraction("0.25", &d), 0);
        assert_true(d == 0.25);
        assert_int_equal(sb_parse_fraction("1.01", &d), -EINVAL);
        assert_int_equal(sb_parse_fraction("nan", &d), -EINVAL);
        assert_int_equal(sb_parse_fraction("", &d), -EINVAL);
        assert_true(sb_webhook_url_valid("http://127.0.0.1:8787/webhook"));
        assert_true(sb_webhook_url_valid("HTTPS://example.com/"));
        assert_false(sb_webhook_url_valid("ftp://example.com/"));
        assert_false(sb_webhook_url_valid("http://a b/"));
        assert_false(sb_webhook_url_valid("http://a/\r\nX: y"));
        assert_false(sb_webhook_url_valid("example.com"));
}

static void test_order_money(void **state)
{
        static const char body[] = "{\"customer\":{\"id\":\"C\"},\"items\":["
                                   "{\"quantity\":3,\"unitPrice\":0.1},"
                                   "{\"quantity\":1,\"unitPrice\":1234.5}]}";
        struct sb_order *o = NULL;
        const char *why = NULL;
        cJSON *j;
        char *text;

        assert_int_equal(sb_order_parse_create(body, strlen(body), &o, &why), 0);
        assert_int_equal(o->total_cents, 123480);
        snprintf(o->id, sizeof(o->id), "ORD-000001");
        j = sb_order_to_json(o, "http://127.0.0.1:1");
        text = cJSON_PrintUnformatted(j);
        assert_non_null(strstr(text, "\"price\":{\"total\":1234.80,\"currency\":\"EUR\"}"));
        assert_non_null(strstr(text, "\"unitPrice\":0.10,\"total\":0.30"));
        assert_non_null(
                strstr(text, "\"approve\":\"http://127.0.0.1:1/orders/ORD-000001/approve\""));
        free(text);
        cJSON_Delete(j);
        sb_order_free(o);
}

static void test_rate_window(void **state)
{
        struct sb_faults f;

        sb_faults_init(&f, 2, 0, 1);
        assert_int_equal(sb_faults_rate_check(&f, 1000000), 0);
        assert_int_equal(sb_faults_rate_check(&f, 1100000), 0);
        assert_int_equal(sb_faults_rate_check(&f, 1200000), 1);
        assert_int_equal(sb_faults_rate_check(&f, 2000001), 0); /* next window */
        assert_false(sb_faults_fail(&f));
}

static void test_utf8_length(void **state)
{
        assert_int_equal(sb_utf8_length(""), 0);
        assert_int_equal(sb_utf8_length("abc"), 3);
        assert_int_equal(sb_utf8_length("\xc3\xa9t\xc3\xa9"), 3);
        assert_int_equal(sb_utf8_length("\xf0\x9f\x98\x80"), 1);
}

/* cJSON turns \u0000 into a NUL that silently ends the C string: such a
 * reason or order text would be stored cut short, so the body is refused;
 * an escaped backslash before "u0000" is plain text and stays fine. */
static void test_nul_escapes(void **state)
{
        static const char *const create_bad[] = {
                "{\"customer\":{\"id\":\"C\\u0000X\"},\"items\":[{\"quantity\":1,\"unitPrice\":1}]"
                "}",
                "{\"customer\":{\"id\":\"C\",\"name\":\"a\\\\\\u0000\"},\"items\":[{\"quantity\":1,"
                "\"unitPrice\":1}]}",
        };
        static const char create_ok[] = "{\"customer\":{\"id\":\"C\",\"name\":\"a\\\\u0000\"},"
                                        "\"items\":[{\"quantity\":1,\"unitPrice\":1}]}";
        struct sb_order *o = NULL;
        const char *why = NULL;
        char *reason = NULL;
        const char *body;

        body = "{\"reason\":\"a\\u0000b\"}";
        assert_int_equal(sb_reject_parse(body, strlen(body), &reason, &why), -EINVAL);
        assert_null(reason);
        body = "{\"reason\":\"a\\\\u0000b\"}";
        assert_int_equal(sb_reject_parse(body, strlen(body), &reason, &why), 0);
        assert_string_equal(reason, "a\\u0000b");
        free(reason);
        for (size_t i = 0; i < sizeof(create_bad) / sizeof(create_bad[0]); i++) {
                assert_int_equal(
                        sb_order_parse_create(create_bad[i], strlen(create_bad[i]), &o, &why),
                        -EINVAL);
                assert_null(o);
        }
        assert_int_equal(sb_order_parse_create(create_ok, strlen(create_ok), &o, &why), 0);
        assert_string_equal(o->customer_name, "a\\u0000");
        sb_order_free(o);
}

/* The 500-character cap on a reject reason counts code points, so bytes
 * that are not UTF-8 must not slip past it uncounted. */
static void test_reject_reason_not_utf8(void **state)
{
        static char body[2048];
        const char *why = NULL;
        char *reason = NULL;
        size_t n;

        n = (size_t)snprintf(body, sizeof(body), "{\"reason\":\"a");
        memset(body + n, 0x80, 1200);
        n += 1200;
        n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
        assert_int_equal(sb_reject_parse(body, n, &reason, &why), -EINVAL);
        assert_null(reason);
        n = (size_t)snprintf(body, sizeof(body), "{\"reason\":\"caf\xe9\"}");
        assert_int_equal(sb_reject_parse(body, n, &reason, &why), -EINVAL);
        n = (size_t)snprintf(body, sizeof(body), "{\"reason\":\"\xed\xa0\x80\"}");
        assert_int_equal(sb_reject_parse(body, n, &reason, &why), -EINVAL);
        assert_null(reason);
        assert_int_equal(sb_utf8_length("\xc0\xaf"), SIZE_MAX);
        assert_int_equal(sb_utf8_length("\xf4\x90\x80\x80"), SIZE_MAX);
        assert_int_equal(sb_utf8_length("\xe2\x82"), SIZE_MAX);
}

static void test_tiers_parse(void **state)
{
        static const struct {
                const char *text;
                int r;
                size_t n;
                enum sb_party first;
        } cases[] = {
                { "seller", 0, 1, SB_PARTY_SELLER },
                { "distributor,seller", 0, 2, SB_PARTY_DISTRIBUTOR },
                { "seller,distributor", 0, 2, SB_PARTY_SELLER },
                { "distributor", -EINVAL, 0, 0 }, /* the seller always approves */
                { "seller,seller", -EINVAL, 0, 0 },
                { "seller,", -EINVAL, 0, 0 },
                { ",seller", -EINVAL, 0, 0 },
                { "", -EINVAL, 0, 0 },
                { "seller,buyer", -EINVAL, 0, 0 },
                { "Seller", -EINVAL, 0, 0 },
                { "distributor,seller,distributor", -EINVAL, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sb_tiers t;

                assert_int_equal(sb_tiers_parse(cases[i].text, &t), cases[i].r);
                if (cases[i].r < 0)
                        continue;
                assert_int_equal(t.n, cases[i].n);
                assert_int_equal(t.list[0], cases[i].first);
                assert_true(sb_tiers_listed(&t) == (t.n > 1));
        }
}

/* The one rule: every party must approve; one rejection rejects; a party
 * decides once; a decided order stays decided. */
static void test_tiers_decide(void **state)
{
        struct sb_tiers two, one;
        struct sb_order *o = order("ORD-1", 0);
        char *reason = strdup("no");

        assert_int_equal(sb_tiers_parse("distributor,seller", &two), 0);
        sb_tiers_default(&one);
        sb_tiers_init_order(o);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_SELLER, true, NULL), 0);
        assert_int_equal(o->status, SB_STATUS_PENDING);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_SELLER, true, NULL), -EALREADY);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_SELLER, false, &reason), -EALREADY);
        assert_non_null(reason); /* not taken */
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_DISTRIBUTOR, true, NULL), 0);
        assert_int_equal(o->status, SB_STATUS_APPROVED);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_DISTRIBUTOR, false, &reason), -EBUSY);

        o->status = SB_STATUS_PENDING;
        sb_tiers_init_order(o);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_SELLER, true, NULL), 0);
        assert_int_equal(sb_tiers_decide(&two, o, SB_PARTY_DISTRIBUTOR, false, &reason), 0);
        assert_null(reason);
        assert_int_equal(o->status, SB_STATUS_REJECTED);
        assert_string_equal(o->rejection_reason, "no");
        assert_int_equal(o->approvals[SB_PARTY_SELLER], SB_STATUS_APPROVED);
        assert_int_equal(o->approvals[SB_PARTY_DISTRIBUTOR], SB_STATUS_REJECTED);

        /* a file's approved order is approved by every party; a rejected
         * one carries the seller's rejection */
        sb_tiers_init_order(o);
        assert_int_equal(o->approvals[SB_PARTY_SELLER], SB_STATUS_REJECTED);
        assert_int_equal(o->approvals[SB_PARTY_DISTRIBUTOR], SB_STATUS_PENDING);
        o->status = SB_STATUS_APPROVED;
        sb_tiers_init_order(o);
        assert_int_equal(o->approvals[SB_PARTY_DISTRIBUTOR], SB_STATUS_APPROVED);

        /* one tier: the seller's approval decides at once */
        o->status = SB_STATUS_PENDING;
        sb_tiers_init_order(o);
        assert_int_equal(sb_tiers_decide(&one, o, SB_PARTY_SELLER, true, NULL), 0);
        assert_int_equal(o->status, SB_STATUS_APPROVED);
        sb_order_free(o);
}

/* Each shape's own parameters and status names. */
static void test_list_params(void **state)
{
        static const struct {
                enum sb_shape shape;
                struct sb_list_params p;
                int r;
                int status;
                int64_t skip, size;
        } cases[] = {
                { SB_SHAPE_PAGE, { .position = "3", .size = "20" }, 0, -1, 40, 20 },
                { SB_SHAPE_PAGE, { .status = "Rejected" }, 0, SB_STATUS_REJECTED, 0, 50 },
                { SB_SHAPE_PAGE, { .status = "rejected" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_PAGE, { .position = "0" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_OFFSET, { .position = "0", .size = "500" }, 0, -1, 0, 500 },
                { SB_SHAPE_OFFSET, { .position = "1000000000000" }, 0, -1, 1000000000000, 50 },
                { SB_SHAPE_OFFSET, { .position = "1000000000001" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_OFFSET, { .position = "-1" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_OFFSET, { .status = "Approved", .size = "0" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_NEXT, { .status = "pending", .size = "7" }, 0, SB_STATUS_PENDING, 0, 7 },
                { SB_SHAPE_NEXT, { .status = "PendingApproval" }, -EINVAL, 0, 0, 0 },
                { SB_SHAPE_NEXT,
                  { .position = "2" },
                  -EINVAL,
                  0,
                  0,
                  0 }, /* no position in a cursor API */
                { SB_SHAPE_NEXT, { .created_from = "2026-01-01T00:00:00+01:00" }, 0, -1, 0, 50 },
                { SB_SHAPE_NEXT, { .created_from = "" }, -EINVAL, 0, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sb_list_query q;

                assert_int_equal(sb_list_params_parse(cases[i].shape, &cases[i].p, &q), cases[i].r);
                if (cases[i].r < 0)
                        continue;
                assert_int_equal(q.status, cases[i].status);
                assert_int_equal(q.skip, cases[i].skip);
                assert_int_equal(q.page_size, cases[i].size);
                assert_true(q.created_from == (cases[i].p.created_from ? 1767222000 : INT64_MIN));
        }
        assert_int_equal(sb_shape_from_string("offset"), SB_SHAPE_OFFSET);
        assert_int_equal(sb_shape_from_string("Offset"), -EINVAL);
        assert_string_equal(sb_shape_info(SB_SHAPE_OFFSET)->prefix, "/api/v3/orders");
}

/* Cursors are found by token until forgotten or pushed out of the ring. */
static void test_cursors(void **state)
{
        struct sb_list_query q = { .status = SB_STATUS_PENDING, .page_size = 5 };
        char first[SB_CURSOR_LEN + 1], token[SB_CURSOR_LEN + 1];
        const struct sb_cursor *c;
        struct sb_cursors *cs;

        assert_int_equal(sb_cursors_new(&cs), 0);
        assert_int_equal(sb_cursors_add(cs, &q, 42, "ORD-7", first), 0);
        assert_true(sb_cursor_token_valid(first));
        c = sb_cursors_find(cs, first);
        assert_non_null(c);
        assert_int_equal(c->last_at, 42);
        assert_string_equal(c->last_id, "ORD-7");
        assert_int_equal(c->query.page_size, 5);
        assert_null(sb_cursors_find(cs, "AAAAAAAAAAAAAAAAAAAAAA"));
        assert_null(sb_cursors_find(cs, ""));
        assert_false(sb_cursor_token_valid("short"));
        assert_false(sb_cursor_token_valid("AAAAAAAAAAAAAAAAAAAAA/"));
        for (size_t i = 0; i < SB_CURSORS_MAX - 1; i++)
                assert_int_equal(sb_cursors_add(cs, &q, 1, "X", token), 0);
        assert_non_null(sb_cursors_find(cs, first)); /* still the oldest kept */
        assert_int_equal(sb_cursors_add(cs, &q, 1, "X", token), 0);
        assert_null(sb_cursors_find(cs, first)); /* pushed out */
        assert_int_equal(sb_cursors_forget(cs), SB_CURSORS_MAX);
        assert_null(sb_cursors_find(cs, token));
        assert_int_equal(sb_cursors_forget(cs), 0);
        sb_cursors_free(cs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_store_order_and_lookup),
                cmocka_unit_test(test_store_many),
                cmocka_unit_test(test_form),
                cmocka_unit_test(test_list_query),
                cmocka_unit_test(test_bearer_and_options),
                cmocka_unit_test(test_order_money),
                cmocka_unit_test(test_rate_window),
                cmocka_unit_test(test_utf8_length),
                cmocka_unit_test(test_nul_escapes),
                cmocka_unit_test(test_reject_reason_not_utf8),
                cmocka_unit_test(test_tiers_parse),
                cmocka_unit_test(test_tiers_decide),
                cmocka_unit_test(test_list_params),
                cmocka_unit_test(test_cursors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
