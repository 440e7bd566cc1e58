/* test-sandbox-api.c: drives every operation and error path of the
 * contract (docs/appxite-api.md) through libcurl against a running
 * appxite-sandbox. */
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

#define N_SEED 1200

/* The shared sandbox: N_SEED seeded orders, default credentials. */
static struct sbx shared;
static char *shared_token;

static int group_setup(void **state)
{
        static const char *const args[] = { "--seed", "1200", "--rng-seed", "7", NULL };

        curl_global_init(CURL_GLOBAL_DEFAULT);
        sbx_start(&shared, args);
        shared_token = sbx_token(&shared);
        return 0;
}

static int group_teardown(void **state)
{
        sbx_stop(&shared);
        free(shared_token);
        curl_global_cleanup();
        return 0;
}

static const char *jstr(const cJSON *j, const char *name)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

static double jnum(const cJSON *j, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

        assert_true(cJSON_IsNumber(v));
        return v->valuedouble;
}

static void assert_error(const struct sbx_resp *r, long status, const char *code)
{
        assert_int_equal(r->status, status);
        assert_non_null(r->json);
        assert_string_equal(jstr(r->json, "error"), code);
}

static void token_request(struct sbx_resp *r, struct sbx *s, const char *form, const char *basic)
{
        char url[128], auth[256];
        const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", auth, NULL };

        snprintf(url, sizeof(url), "%s/oauth2/token", s->origin);
        snprintf(auth, sizeof(auth), "%s%s",
                 basic ? "Authorization: Basic " : "X-None: ", basic ? basic : "1");
        sbx_http(r, "POST", url, headers, form, strlen(form));
}

/* ---- token ---- */

static void test_token_form(void **state)
{
        struct sbx_resp r;
        char h[64];

        token_request(
                &r, &shared,
                "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
                NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "token_type"), "Bearer");
        assert_true(strlen(jstr(r.json, "access_token")) > 16);
        assert_int_equal((int)jnum(r.json, "expires_in"), 3600);
        assert_non_null(sbx_header(&r, "Content-Type", h, sizeof(h)));
        assert_string_equal(h, "application/json");
        sbx_resp_done(&r);
}

static void test_token_basic(void **state)
{
        struct sbx_resp r;

        /* base64("demo-client:demo-secret") */
        token_request(&r, &shared, "grant_type=client_credentials",
                      "ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=");
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "token_type"), "Bearer");
        sbx_resp_done(&r);
        /* base64("demo-client:wrong") */
        token_request(&r, &shared, "grant_type=client_credentials", "ZGVtby1jbGllbnQ6d3Jvbmc=");
        assert_error(&r, 401, "invalid_client");
        sbx_resp_done(&r);
}

static void test_token_refused(void **state)
{
        static const struct {
                const char *form;
                long status;
                const char *error;
        } cases[] = {
                { "grant_type=client_credentials&client_id=demo-client&client_secret=nope", 401,
                  "invalid_client" },
                { "grant_type=client_credentials&client_id=other&client_secret=demo-secret", 401,
                  "invalid_client" },
                { "grant_type=client_credentials&client_id=demo-client", 401, "invalid_client" },
                { "grant_type=client_credentials", 401, "invalid_client" },
                { "grant_type=password&client_id=demo-client&client_secret=demo-secret", 400,
                  "unsupported_grant_type" },
                { "grant_type=authorization_code", 400, "unsupported_grant_type" },
                { "client_id=demo-client&client_secret=demo-secret", 400, "invalid_request" },
                { "grant_type=%zz", 400, "invalid_request" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sbx_resp r;

                token_request(&r, &shared, cases[i].form, NULL);
                assert_error(&r, cases[i].status, cases[i].error);
                sbx_resp_done(&r);
        }
}

/* ---- the gate ---- */

static void test_subscription_key(void **state)
{
        static const char *const missing[] = { "api-version: 3.1", NULL };
        static const char *const wrong[] = { "Ocp-Apim-Subscription-Key: nope", "api-version: 3.1",
                                             NULL };
        struct sbx_resp r;
        char url[128];

        snprintf(url, sizeof(url), "%s/orders", shared.origin);
        sbx_http(&r, "GET", url, missing, NULL, 0);
        assert_int_equal(r.status, 401);
        assert_int_equal((int)jnum(r.json, "statusCode"), 401);
        assert_non_null(strstr(jstr(r.json, "message"), "missing subscription key"));
        sbx_resp_done(&r);
        sbx_http(&r, "GET", url, wrong, NULL, 0);
        assert_int_equal(r.status, 401);
        assert_int_equal((int)jnum(r.json, "statusCode"), 401);
        assert_non_null(strstr(jstr(r.json, "message"), "invalid subscription key"));
        sbx_resp_done(&r);
}

static void assert_invalid_token(struct sbx_resp *r)
{
        char h[128];

        assert_error(r, 401, "invalid_token");
        assert_non_null(sbx_header(r, "WWW-Authenticate", h, sizeof(h)));
        assert_string_equal(h, "Bearer error=\"invalid_token\"");
}

static void test_bearer_missing_unknown(void **state)
{
        static const char *const no_auth[] = { "Ocp-Apim-Subscription-Key: demo-key",
                                               "api-version: 3.1", NULL };
        struct sbx_resp r;
        char url[128];

        snprintf(url, sizeof(url), "%s/orders", shared.origin);
        sbx_http(&r, "GET", url, no_auth, NULL, 0);
        assert_invalid_token(&r);
        sbx_resp_done(&r);
        sbx_api(&r, &shared, "GET", "/orders", "not-a-token", NULL);
        assert_invalid_token(&r);
        sbx_resp_done(&r);
        sbx_api(&r, &shared, "GET", "/orders/ORD-000001",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
        assert_invalid_token(&r);
        sbx_resp_done(&r);
}

static void test_bearer_expired(void **state)
{
        static const char *const args[] = { "--token-ttl", "1", NULL };
        struct sbx s;
        struct sbx_resp r;
        char *t;

        sbx_start(&s, args);
        t = sbx_token(&s);
        sbx_api(&r, &s, "GET", "/orders", t, NULL);
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        usleep(1300 * 1000);
        sbx_api(&r, &s, "GET", "/orders", t, NULL);
        assert_invalid_token(&r);
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
}

static void test_api_version(void **state)
{
        char url[128], auth[256];
        const char *missing[] = { "Ocp-Apim-Subscription-Key: demo-key", auth, NULL };
        const char *other[] = { "Ocp-Apim-Subscription-Key: demo-key", auth, "api-version: 3.0",
                                NULL };
        struct sbx_resp r;

        snprintf(url, sizeof(url), "%s/orders", shared.origin);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", shared_token);
        sbx_http(&r, "GET", url, missing, NULL, 0);
        assert_error(&r, 400, "unsupported_api_version");
        sbx_resp_done(&r);
        sbx_http(&r, "GET", url, other, NULL, 0);
        assert_error(&r, 400, "unsupported_api_version");
        sbx_resp_done(&r);
}

/* ---- list ---- */

static int list_page(struct sbx_resp *r, const char *query)
{
        char path[256];

        snprintf(path, sizeof(path), "/orders%s", query);
        sbx_api(r, &shared, "GET", path, shared_token, NULL);
        assert_int_equal(r->status, 200);
        return cJSON_GetArraySize(cJSON_GetObjectItem(r->json, "items"));
}

static void test_list_default_page(void **state)
{
        struct sbx_resp r;

        assert_int_equal(list_page(&r, ""), 50);
        assert_int_equal((int)jnum(r.json, "page"), 1);
        assert_int_equal((int)jnum(r.json, "pageSize"), 50);
        assert_true(jnum(r.json, "totalCount") >= N_SEED);
        sbx_resp_done(&r);
}

/* Walks every page of 500 and checks (createdAt, id) order and totals. */
static void test_list_pages_ordered(void **state)
{
        char prev_at[32] = "", prev_id[64] = "", q[64];
        int seen = 0, total = -1;

        for (int page = 1;; page++) {
                struct sbx_resp r;
                const cJSON *o;
                int n;

                snprintf(q, sizeof(q), "?status=PendingApproval&pageSize=500&page=%d", page);
                n = list_page(&r, q);
                assert_int_equal((int)jnum(r.json, "pageSize"), 500);
                total = (int)jnum(r.json, "totalCount");
                cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "items"))
                {
                        int c = strcmp(prev_at, jstr(o, "createdAt"));

                        assert_true(c < 0 || (c == 0 && strcmp(prev_id, jstr(o, "id")) < 0));
                        assert_string_equal(jstr(o, "status"), "PendingApproval");
                        snprintf(prev_at, sizeof(prev_at), "%s", jstr(o, "createdAt"));
                        snprintf(prev_id, sizeof(prev_id), "%s", jstr(o, "id"));
                        seen++;
                }
                sbx_resp_done(&r);
                if (n < 500) /* the last page: short (or empty if total % 500 == 0) */
                        break;
        }
        assert_int_equal(seen, total);
}

static void test_list_boundaries(void **state)
{
        struct sbx_resp r;
        int total;
        char q[64];

        assert_int_equal(list_page(&r, "?pageSize=1"), 1);
        total = (int)jnum(r.json, "totalCount");
        sbx_resp_done(&r);
        assert_int_equal(list_page(&r, "?pageSize=500"), 500);
        sbx_resp_done(&r);
        snprintf(q, sizeof(q), "?pageSize=1&page=%d", total);
        assert_int_equal(list_page(&r, q), 1); /* last page */
        sbx_resp_done(&r);
        snprintf(q, sizeof(q), "?pageSize=1&page=%d", total + 1);
        assert_int_equal(list_page(&r, q), 0); /* past the end */
        assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.json, "items")));
        assert_int_equal((int)jnum(r.json, "totalCount"), total);
        sbx_resp_done(&r);
        assert_int_equal(list_page(&r, "?page=1000000"), 0);
        sbx_resp_done(&r);
        assert_int_equal(list_page(&r, "?status=Approved&pageSize=500&unknown=1"),
                         cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")));
        sbx_resp_done(&r);
}

static void test_list_bad_params(void **state)
{
        static const char *const bad[] = {
                "?page=0",
                "?page=-1",
                "?page=abc",
                "?page=",
                "?page=1.5",
                "?pageSize=0",
                "?pageSize=501",
                "?pageSize=x",
                "?pageSize=",
                "?status=Pending",
                "?status=",
                "?status=approved",
                "?page=99999999999999999999",
                "?page",
                "?pageSize",
                "?status",
                "?page=%0A2",
                "?page=%202",
                "?page=1%002",
                "?createdFrom=",
                "?createdFrom",
                "?createdFrom=yesterday",
                "?createdFrom=2026-13-01T00:00:00Z",
                "?createdFrom=2026-01-01",
                "?createdFrom=2026-01-01T00:00:00Z&status=Pending",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sbx_resp r;
                char path[128];

                snprintf(path, sizeof(path), "/orders%s", bad[i]);
                sbx_api(&r, &shared, "GET", path, shared_token, NULL);
                assert_error(&r, 400, "bad_request");
                sbx_resp_done(&r);
        }
}

/* createdFrom keeps the orders created at or after it; seeded orders are
 * created strictly one after the other, so the n-th order starts a
 * listing of total - n + 1. */
static void test_list_created_from(void **state)
{
        struct sbx_resp r;
        char at[32], id[64], q[160];
        const cJSON *o;
        int total;

        list_page(&r, "?status=PendingApproval&pageSize=500");
        total = (int)jnum(r.json, "totalCount");
        o = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 99);
        snprintf(at, sizeof(at), "%s", jstr(o, "createdAt"));
        snprintf(id, sizeof(id), "%s", jstr(o, "id"));
        sbx_resp_done(&r);

        snprintf(q, sizeof(q), "?status=PendingApproval&pageSize=2&createdFrom=%s", at);
        assert_int_equal(list_page(&r, q), 2);
        assert_int_equal((int)jnum(r.json, "totalCount"), total - 99);
        o = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0);
        assert_string_equal(jstr(o, "id"), id);
        assert_true(strcmp(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 1),
                                "createdAt"),
                           at) > 0);
        sbx_resp_done(&r);
        /* the same instant written with an offset (the '+' percent-encoded) */
        at[19] = '\0';
        snprintf(q, sizeof(q), "?status=PendingApproval&pageSize=1&createdFrom=%s%%2B00:00", at);
        assert_int_equal(list_page(&r, q), 1);
        assert_int_equal((int)jnum(r.json, "totalCount"), total - 99);
        sbx_resp_done(&r);
        assert_int_equal(list_page(&r, "?createdFrom=2999-01-01T00:00:00Z"), 0);
        assert_int_equal((int)jnum(r.json, "totalCount"), 0);
        sbx_resp_done(&r);
        list_page(&r, "?pageSize=1&createdFrom=1970-01-01T00:00:00Z");
        total = (int)jnum(r.json, "totalCount");
        sbx_resp_done(&r);
        list_page(&r, "?pageSize=1");
        assert_int_equal((int)jnum(r.json, "totalCount"), total);
        sbx_resp_done(&r);
}

/* ---- create, retrieve ---- */

static const char good_order[] =
        "{\"customer\":{\"id\":\"CUS-T1\",\"name\":\"Test AB\",\"countryCode\":\"SE\","
        "\"domain\":\"test.example\"},\"currency\":\"SEK\",\"items\":["
        "{\"offerId\":\"OFF-1\",\"sku\":\"S1\",\"name\":\"One\",\"quantity\":3,\"unitPrice\":0.1,"
        "\"billingFrequency\":\"Monthly\",\"termDuration\":\"P1M\"},"
        "{\"offerId\":\"OFF-2\",\"sku\":\"S2\",\"name\":\"Two\",\"quantity\":10,\"unitPrice\":32.5,"
        "\"billingFrequency\":\"Annual\",\"termDuration\":\"P1Y\"}]}";

static char *create(struct sbx *s, const char *token)
{
        struct sbx_resp r;
        char *id;

        sbx_api(&r, s, "POST", "/orders", token, good_order);
        assert_int_equal(r.status, 201);
        id = strdup(jstr(r.json, "id"));
        sbx_resp_done(&r);
        return id;
}

static void test_create_then_list(void **state)
{
        struct sbx_resp r;
        const cJSON *o, *price, *links, *item;
        char url[256], q[64], links_path[300];
        const char *id;
        int total;

        sbx_api(&r, &shared, "POST", "/orders", shared_token, good_order);
        assert_int_equal(r.status, 201);
        o = r.json;
        id = jstr(o, "id");
        assert_true(strncmp(id, "ORD-", 4) == 0);
        assert_string_equal(jstr(o, "status"), "PendingApproval");
        assert_non_null(jstr(o, "createdAt"));
        price = cJSON_GetObjectItem(o, "price");
        assert_string_equal(jstr(price, "currency"), "SEK");
        /* 3 x 0.10 + 10 x 32.50 = 325.30, printed from cents, no float noise */
        assert_non_null(strstr(r.body, "\"total\":325.30") ?: strstr(r.body, "\"total\":325.3"));
        assert_null(strstr(r.body, "0.30000000000000004"));
        item = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "items"), 1);
        assert_int_equal((int)jnum(item, "quantity"), 10);
        assert_true(jnum(item, "total") == 325.0);
        links = cJSON_GetObjectItem(o, "links");
        snprintf(url, sizeof(url), "%s/orders/%s/approve", shared.origin, id);
        assert_string_equal(jstr(links, "approve"), url);
        snprintf(url, sizeof(url), "%s/orders/%s/reject", shared.origin, id);
        assert_string_equal(jstr(links, "reject"), url);
        snprintf(url, sizeof(url), "%s", id);
        sbx_resp_done(&r);

        /* Created now, so it is the newest: the last item of the last page. */
        list_page(&r, "?pageSize=1");
        total = (int)jnum(r.json, "totalCount");
        sbx_resp_done(&r);
        snprintf(q, sizeof(q), "?pageSize=1&page=%d", total);
        assert_int_equal(list_page(&r, q), 1);
        assert_string_equal(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0), "id"),
                            url);
        sbx_resp_done(&r);

        snprintf(links_path, sizeof(links_path), "/orders/%s", url);
        sbx_api(&r, &shared, "GET", links_path, shared_token, NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "id"), url);
        sbx_resp_done(&r);
}

static void test_create_validation(void **state)
{
        static const char *const bad[] = {
                "",
                "not json",
                "[]",
                "{\"currency\":\"EUR\",\"items\":[{\"quantity\":1,\"unitPrice\":1}]}",
                "{\"customer\":{},\"items\":[{\"quantity\":1,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"\"},\"items\":[{\"quantity\":1,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":7},\"items\":[{\"quantity\":1,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[]}",
                "{\"customer\":{\"id\":\"C\"}}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":0,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":-2,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1.5,\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1,\"unitPrice\":-0.01}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1,\"unitPrice\":1.001}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1,\"unitPrice\":\"1\"}]}",
                "{\"customer\":{\"id\":\"C\"},\"currency\":\"euro\",\"items\":[{\"quantity\":1,"
                "\"unitPrice\":1}]}",
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1000000,"
                "\"unitPrice\":999999999999}]}",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sbx_resp r;

                sbx_api(&r, &shared, "POST", "/orders", shared_token, bad[i]);
                if (r.status != 400)
                        fprintf(stderr, "case %zu: %ld %s\n", i, r.status, r.body);
                assert_error(&r, 400, "bad_request");
                assert_non_null(jstr(r.json, "message"));
                sbx_resp_done(&r);
        }
}

static void test_retrieve_unknown(void **state)
{
        static const char *const paths[] = { "/orders/ORD-999999", "/orders/nope",
                                             "/orders/ORD-999999/approve/x" };

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                struct sbx_resp r;

                sbx_api(&r, &shared, "GET", paths[i], shared_token, NULL);
                assert_error(&r, 404, "not_found");
                sbx_resp_done(&r);
        }
}

/* ---- approve, reject ---- */

static void post(struct sbx_resp *r, const char *id, const char *what, const char *body)
{
        char path[128];

        snprintf(path, sizeof(path), "/orders/%s/%s", id, what);
        sbx_api(r, &shared, "POST", path, shared_token, body);
}

static void test_approve_then_reject(void **state)
{
        char *id = create(&shared, shared_token);
        struct sbx_resp r;

        post(&r, id, "approve", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "status"), "Approved");
        sbx_resp_done(&r);
        post(&r, id, "reject", "{\"reason\":\"too late\"}");
        assert_error(&r, 409, "conflict");
        assert_string_equal(jstr(r.json, "status"), "Approved");
        assert_string_equal(jstr(r.json, "message"), "order is Approved");
        sbx_resp_done(&r);
        post(&r, id, "approve", "{}");
        assert_error(&r, 409, "conflict");
        sbx_resp_done(&r);
        free(id);
}

static void test_reject_then_approve(void **state)
{
        char *id = create(&shared, shared_token), path[128];
        struct sbx_resp r;

        post(&r, id, "reject", "{\"reason\":\"over the customer's limit\"}");
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "status"), "Rejected");
        assert_string_equal(jstr(r.json, "rejectionReason"), "over the customer's limit");
        sbx_resp_done(&r);
        post(&r, id, "approve", "");
        assert_error(&r, 409, "conflict");
        assert_string_equal(jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        snprintf(path, sizeof(path), "/orders/%s", id);
        sbx_api(&r, &shared, "GET", path, shared_token, NULL);
        assert_string_equal(jstr(r.json, "status"), "Rejected");
        assert_string_equal(jstr(r.json, "rejectionReason"), "over the customer's limit");
        sbx_resp_done(&r);
        free(id);
}

/* Each status lists only its own orders, and the three make up the whole
 * unfiltered list. */
static void test_list_any_status(void **state)
{
        static const char *const statuses[] = { "PendingApproval", "Approved", "Rejected" };
        char *approved = create(&shared, shared_token), *rejected = create(&shared, shared_token);
        int sum = 0, all;
        struct sbx_resp r;

        post(&r, approved, "approve", NULL);
        sbx_resp_done(&r);
        post(&r, rejected, "reject", "{\"reason\":\"no\"}");
        sbx_resp_done(&r);
        for (size_t i = 0; i < 3; i++) {
                bool found_a = false, found_r = false;
                int n = 500;

                for (int page = 1; n == 500; page++) {
                        const cJSON *o;
                        char q[96];

                        snprintf(q, sizeof(q), "?status=%s&pageSize=500&page=%d", statuses[i],
                                 page);
                        n = list_page(&r, q);
                        if (page == 1)
                                sum += (int)jnum(r.json, "totalCount");
                        cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "items"))
                        {
                                assert_string_equal(jstr(o, "status"), statuses[i]);
                                found_a = found_a || strcmp(jstr(o, "id"), approved) == 0;
                                found_r = found_r || strcmp(jstr(o, "id"), rejected) == 0;
                        }
                        sbx_resp_done(&r);
                }
                assert_true(found_a == (i == 1));
                assert_true(found_r == (i == 2));
        }
        list_page(&r, "?pageSize=1");
        all = (int)jnum(r.json, "totalCount");
        sbx_resp_done(&r);
        assert_int_equal(sum, all);
        free(approved);
        free(rejected);
}

static void test_decide_unknown(void **state)
{
        struct sbx_resp r;

        post(&r, "ORD-999999", "approve", "{}");
        assert_error(&r, 404, "not_found");
        sbx_resp_done(&r);
        post(&r, "ORD-999999", "reject", "{\"reason\":\"x\"}");
        assert_error(&r, 404, "not_found");
        sbx_resp_done(&r);
}

static void test_reject_reason(void **state)
{
        char *id = create(&shared, shared_token);
        char body[2200];
        struct sbx_resp r;
        int n;

        static const char *const bad[] = {
                "", "{}", "{\"reason\":\"\"}", "{\"reason\":5}", "{\"reason\":null}", "[\"reason\"]"
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                post(&r, id, "reject", bad[i]);
                assert_error(&r, 400, "bad_request");
                sbx_resp_done(&r);
        }
        n = snprintf(body, sizeof(body), "{\"reason\":\"");
        memset(body + n, 'x', 501);
        snprintf(body + n + 501, sizeof(body) - (size_t)n - 501, "\"}");
        post(&r, id, "reject", body); /* 501 characters */
        assert_error(&r, 400, "bad_request");
        sbx_resp_done(&r);
        /* 500 two-byte characters: 1000 bytes but 500 characters, accepted */
        for (int i = 0; i < 500; i++)
                memcpy(body + n + 2 * i, "\xc3\xa9", 2);
        snprintf(body + n + 1000, sizeof(body) - (size_t)n - 1000, "\"}");
        post(&r, id, "reject", body);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        free(id);
}

static void test_approve_bad_body(void **state)
{
        char *id = create(&shared, shared_token);
        struct sbx_resp r;

        post(&r, id, "approve", "nonsense");
        assert_error(&r, 400, "bad_request");
        sbx_resp_done(&r);
        post(&r, id, "approve", "{}");
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        free(id);
}

static void test_too_large(void **state)
{
        size_t n = 1024 * 1024 + 1;
        char *big = malloc(n + 1), url[128];
        const char *headers[] = { "Ocp-Apim-Subscription-Key: demo-key", "api-version: 3.1",
                                  "Content-Type: application/json", NULL };
        struct sbx_resp r;

        assert_non_null(big);
        memset(big, ' ', n);
        big[n] = '\0';
        snprintf(url, sizeof(url), "%s/orders", shared.origin);
        sbx_http(&r, "POST", url, headers, big, n);
        assert_error(&r, 413, "payload_too_large");
        sbx_resp_done(&r);
        snprintf(url, sizeof(url), "%s/oauth2/token", shared.origin);
        sbx_http(&r, "POST", url, headers, big, n);
        assert_error(&r, 413, "payload_too_large");
        sbx_resp_done(&r);
        free(big);
        /* still serving */
        list_page(&r, "?pageSize=1");
        sbx_resp_done(&r);
}

static void test_method_and_path(void **state)
{
        struct sbx_resp r;
        char h[64];

        sbx_api(&r, &shared, "DELETE", "/orders", shared_token, NULL);
        assert_error(&r, 405, "method_not_allowed");
        assert_non_null(sbx_header(&r, "Allow", h, sizeof(h)));
        sbx_resp_done(&r);
        sbx_api(&r, &shared, "GET", "/nowhere", shared_token, NULL);
        assert_error(&r, 404, "not_found");
        sbx_resp_done(&r);
}

/* ---- control ---- */

static void test_sandbox_orders_and_stats(void **state)
{
        const char *headers[] = { "Content-Type: application/json", NULL };
        struct sbx_resp r;
        const cJSON *e;
        char url[128], *id;

        snprintf(url, sizeof(url), "%s/_sandbox/orders", shared.origin);
        sbx_http(&r, "POST", url, headers, good_order, strlen(good_order));
        assert_int_equal(r.status, 201);
        id = strdup(jstr(r.json, "id"));
        sbx_resp_done(&r);
        post(&r, id, "approve", NULL);
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        post(&r, id, "approve", NULL);
        assert_int_equal(r.status, 409);
        sbx_resp_done(&r);
        post(&r, id, "reject", "{\"reason\":\"x\"}");
        assert_int_equal(r.status, 409);
        sbx_resp_done(&r);

        snprintf(url, sizeof(url), "%s/_sandbox/stats", shared.origin);
        sbx_http(&r, "GET", url, NULL, NULL, 0);
        assert_int_equal(r.status, 200);
        e = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "orders"), id);
        assert_non_null(e);
        assert_string_equal(jstr(e, "status"), "Approved");
        assert_int_equal((int)jnum(e, "approveCalls"), 2);
        assert_int_equal((int)jnum(e, "rejectCalls"), 1);
        e = cJSON_GetObjectItem(r.json, "requests");
        assert_true(jnum(e, "200") >= 1);
        assert_true(jnum(e, "409") >= 2);
        assert_true(jnum(e, "201") >= 1);
        assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.json, "foreignRequests")));
        assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "orders"), "ORD-000001"));
        sbx_resp_done(&r);
        free(id);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_token_form),
                cmocka_unit_test(test_token_basic),
                cmocka_unit_test(test_token_refused),
                cmocka_unit_test(test_subscription_key),
                cmocka_unit_test(test_bearer_missing_unknown),
                cmocka_unit_test(test_bearer_expired),
                cmocka_unit_test(test_api_version),
                cmocka_unit_test(test_list_default_page),
                cmocka_unit_test(test_list_pages_ordered),
                cmocka_unit_test(test_list_boundaries),
                cmocka_unit_test(test_list_bad_params),
                cmocka_unit_test(test_list_created_from),
                cmocka_unit_test(test_create_then_list),
                cmocka_unit_test(test_create_validation),
                cmocka_unit_test(test_retrieve_unknown),
                cmocka_unit_test(test_approve_then_reject),
                cmocka_unit_test(test_reject_then_approve),
                cmocka_unit_test(test_list_any_status),
                cmocka_unit_test(test_decide_unknown),
                cmocka_unit_test(test_reject_reason),
                cmocka_unit_test(test_approve_bad_body),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_method_and_path),
                cmocka_unit_test(test_sandbox_orders_and_stats),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
