/* test-sandbox-tiers.c: multi-tier approval (--tiers distributor,seller)
 * and the control call that decides an order as any party, through
 * libcurl against a running appxite-sandbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox-harness.h"

static const char order_body[] =
        "{\"customer\":{\"id\":\"CUS-T\"},\"items\":[{\"quantity\":2,\"unitPrice\":10}]}";

/* The shared sandbox: two tiers, the distributor first. */
static struct sbx two;
static char *two_token;

static int group_setup(void **state)
{
        static const char *const args[] = { "--seed", "5", "--tiers", "distributor,seller", NULL };

        curl_global_init(CURL_GLOBAL_DEFAULT);
        sbx_start(&two, args);
        two_token = sbx_token(&two);
        return 0;
}

static int group_teardown(void **state)
{
        sbx_stop(&two);
        free(two_token);
        curl_global_cleanup();
        return 0;
}

static char *create(struct sbx *s, const char *token)
{
        struct sbx_resp r;
        char *id;

        sbx_api(&r, s, "POST", "/orders", token, order_body);
        assert_int_equal(r.status, 201);
        id = strdup(sbx_jstr(r.json, "id"));
        sbx_resp_done(&r);
        return id;
}

/* The order's link call, as the seller's approvald makes it. */
static void by_link(struct sbx_resp *r, struct sbx *s, const char *token, const char *id,
                    const char *action, const char *body)
{
        char path[128];

        snprintf(path, sizeof(path), "/orders/%s/%s", id, action);
        sbx_api(r, s, "POST", path, token, body);
}

/* The control call: party decides the order. */
static void as_party(struct sbx_resp *r, struct sbx *s, const char *id, const char *party,
                     const char *action, const char *body)
{
        char path[160];

        snprintf(path, sizeof(path), "/_sandbox/orders/%s/%s/%s", id, party, action);
        sbx_control(r, s, "POST", path, body);
}

/* Asserts the approvals list: parties and statuses, in that order. */
static void assert_approvals(const cJSON *order, const char *first_party, const char *first,
                             const char *second_party, const char *second)
{
        const cJSON *a = cJSON_GetObjectItem(order, "approvals");

        assert_true(cJSON_IsArray(a));
        assert_int_equal(cJSON_GetArraySize(a), 2);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(a, 0), "party"), first_party);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(a, 0), "status"), first);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(a, 1), "party"), second_party);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(a, 1), "status"), second);
}

/* The order's entry in the stats. */
static cJSON *stats_entry(struct sbx *s, const char *id, struct sbx_resp *r)
{
        sbx_control(r, s, "GET", "/_sandbox/stats", NULL);
        assert_int_equal(r->status, 200);
        return cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "orders"), id);
}

static int stat_number(const cJSON *e, const char *name)
{
        const cJSON *v = cJSON_GetObjectItem(e, name);

        assert_true(cJSON_IsNumber(v));
        return (int)v->valuedouble;
}

static void test_seeded_orders_list_approvals(void **state)
{
        struct sbx_resp r;
        const cJSON *o;

        sbx_api(&r, &two, "GET", "/orders?status=PendingApproval&pageSize=5", two_token, NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 5);
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "items"))
                assert_approvals(o, "distributor", "Pending", "seller", "Pending");
        sbx_resp_done(&r);
}

/* The distributor approves first: our approve completes the order. */
static void test_distributor_first(void **state)
{
        char *id = create(&two, two_token);
        struct sbx_resp r;
        cJSON *e;

        as_party(&r, &two, id, "distributor", "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "PendingApproval");
        assert_approvals(r.json, "distributor", "Approved", "seller", "Pending");
        sbx_resp_done(&r);
        by_link(&r, &two, two_token, id, "approve", "{}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Approved");
        assert_approvals(r.json, "distributor", "Approved", "seller", "Approved");
        sbx_resp_done(&r);
        e = stats_entry(&two, id, &r);
        assert_string_equal(sbx_jstr(e, "status"), "Approved");
        assert_int_equal(stat_number(e, "approveCalls"), 1); /* the control call is not counted */
        assert_string_equal(sbx_jstr(cJSON_GetObjectItem(e, "approvals"), "distributor"),
                            "Approved");
        sbx_resp_done(&r);
        free(id);
}

/* Our approve first: the order waits for the distributor, a second
 * approve is a conflict, and the distributor's approval completes it. */
static void test_seller_first(void **state)
{
        char *id = create(&two, two_token), path[96];
        struct sbx_resp r;
        cJSON *e;

        by_link(&r, &two, two_token, id, "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "PendingApproval");
        assert_approvals(r.json, "distributor", "Pending", "seller", "Approved");
        sbx_resp_done(&r);
        by_link(&r, &two, two_token, id, "approve", NULL);
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "error"), "conflict");
        assert_string_equal(sbx_jstr(r.json, "status"), "PendingApproval");
        sbx_resp_done(&r);
        by_link(&r, &two, two_token, id, "reject", "{\"reason\":\"changed my mind\"}");
        assert_int_equal(r.status, 409);
        sbx_resp_done(&r);
        /* still listed as pending */
        snprintf(path, sizeof(path), "/orders/%s", id);
        sbx_api(&r, &two, "GET", path, two_token, NULL);
        assert_string_equal(sbx_jstr(r.json, "status"), "PendingApproval");
        sbx_resp_done(&r);
        as_party(&r, &two, id, "distributor", "approve", "{}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Approved");
        sbx_resp_done(&r);
        e = stats_entry(&two, id, &r);
        assert_int_equal(stat_number(e, "approveCalls"), 2);
        assert_int_equal(stat_number(e, "rejectCalls"), 1);
        sbx_resp_done(&r);
        free(id);
}

/* The distributor rejects after our approve: the order is Rejected, our
 * approval stays on record. */
static void test_distributor_rejects_after_us(void **state)
{
        char *id = create(&two, two_token);
        struct sbx_resp r;

        by_link(&r, &two, two_token, id, "approve", NULL);
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        as_party(&r, &two, id, "distributor", "reject", "{\"reason\":\"over the credit line\"}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        assert_string_equal(sbx_jstr(r.json, "rejectionReason"), "over the credit line");
        assert_approvals(r.json, "distributor", "Rejected", "seller", "Approved");
        sbx_resp_done(&r);
        as_party(&r, &two, id, "distributor", "approve", NULL);
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        free(id);
}

/* One rejection rejects the order for every party. */
static void test_distributor_rejects_first(void **state)
{
        char *id = create(&two, two_token);
        struct sbx_resp r;

        as_party(&r, &two, id, "distributor", "reject", "{\"reason\":\"no\"}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        assert_approvals(r.json, "distributor", "Rejected", "seller", "Pending");
        sbx_resp_done(&r);
        by_link(&r, &two, two_token, id, "approve", NULL);
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "message"), "order is Rejected");
        sbx_resp_done(&r);
        free(id);
}

/* A person in the seller's portal is the seller party's control call:
 * it decides like our link, but is not counted as a call. */
static void test_portal_person(void **state)
{
        char *id = create(&two, two_token);
        struct sbx_resp r;
        cJSON *e;

        as_party(&r, &two, id, "seller", "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_approvals(r.json, "distributor", "Pending", "seller", "Approved");
        sbx_resp_done(&r);
        by_link(&r, &two, two_token, id, "approve", NULL);
        assert_int_equal(r.status, 409);
        sbx_resp_done(&r);
        e = stats_entry(&two, id, &r);
        assert_int_equal(stat_number(e, "approveCalls"), 1);
        assert_string_equal(sbx_jstr(cJSON_GetObjectItem(e, "approvals"), "seller"), "Approved");
        assert_string_equal(sbx_jstr(cJSON_GetObjectItem(e, "approvals"), "distributor"),
                            "Pending");
        sbx_resp_done(&r);
        free(id);
}

static void test_control_errors(void **state)
{
        static const struct {
                const char *method, *path, *body;
                long status;
                const char *error;
        } cases[] = {
                { "POST", "/_sandbox/orders/ORD-999999/seller/approve", NULL, 404, "not_found" },
                { "POST", "/_sandbox/orders/ORD-000001/buyer/approve", NULL, 404, "not_found" },
                { "POST", "/_sandbox/orders/ORD-000001/seller/cancel", NULL, 404, "not_found" },
                { "POST", "/_sandbox/orders/ORD-000001/seller", NULL, 404, "not_found" },
                { "POST", "/_sandbox/orders/ORD-000001", NULL, 404, "not_found" },
                { "POST", "/_sandbox/orders/ORD-000001/seller/approve/x", NULL, 404, "not_found" },
                { "GET", "/_sandbox/orders/ORD-000001/seller/approve", NULL, 405,
                  "method_not_allowed" },
                { "POST", "/_sandbox/orders/ORD-000001/seller/reject", "{}", 400, "bad_request" },
                { "POST", "/_sandbox/orders/ORD-000001/seller/approve", "x", 400, "bad_request" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sbx_resp r;

                sbx_control(&r, &two, cases[i].method, cases[i].path, cases[i].body);
                if (r.status != cases[i].status)
                        fprintf(stderr, "case %zu: %ld %s\n", i, r.status, r.body);
                assert_int_equal(r.status, cases[i].status);
                assert_string_equal(sbx_jstr(r.json, "error"), cases[i].error);
                sbx_resp_done(&r);
        }
}

/* With the default single tier, orders look as they always did, the
 * seller's control call decides at once, and no distributor exists. */
static void test_single_tier(void **state)
{
        static const char *const args[] = { "--seed", "2", NULL };
        struct sbx s;
        struct sbx_resp r;
        char *t;

        sbx_start(&s, args);
        t = sbx_token(&s);
        sbx_api(&r, &s, "GET", "/orders/ORD-000001", t, NULL);
        assert_int_equal(r.status, 200);
        assert_null(cJSON_GetObjectItem(r.json, "approvals"));
        sbx_resp_done(&r);
        as_party(&r, &s, "ORD-000001", "distributor", "approve", NULL);
        assert_int_equal(r.status, 404);
        sbx_resp_done(&r);
        as_party(&r, &s, "ORD-000001", "seller", "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Approved");
        assert_null(cJSON_GetObjectItem(r.json, "approvals"));
        sbx_resp_done(&r);
        as_party(&r, &s, "ORD-000002", "seller", "reject", "{\"reason\":\"by hand\"}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        sbx_control(&r, &s, "GET", "/_sandbox/stats", NULL);
        assert_null(cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "orders"), "ORD-000001"),
                "approvals"));
        /* the token and the retrieve; control calls are not API answers */
        assert_int_equal(stat_number(cJSON_GetObjectItem(r.json, "requests"), "200"), 2);
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "requests"), "404"));
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
}

/* The approvals list follows the order of --tiers. */
static void test_tier_order(void **state)
{
        static const char *const args[] = { "--seed", "1", "--tiers", "seller,distributor", NULL };
        struct sbx s;
        struct sbx_resp r;
        char *t;

        sbx_start(&s, args);
        t = sbx_token(&s);
        by_link(&r, &s, t, "ORD-000001", "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_approvals(r.json, "seller", "Approved", "distributor", "Pending");
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seeded_orders_list_approvals),
                cmocka_unit_test(test_distributor_first),
                cmocka_unit_test(test_seller_first),
                cmocka_unit_test(test_distributor_rejects_after_us),
                cmocka_unit_test(test_distributor_rejects_first),
                cmocka_unit_test(test_portal_person),
                cmocka_unit_test(test_control_errors),
                cmocka_unit_test(test_single_tier),
                cmocka_unit_test(test_tier_order),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
