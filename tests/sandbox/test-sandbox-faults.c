/* test-sandbox-faults.c: the fault flags (--rate-limit, --fail-rate,
 * --latency-ms, --foreign-links) and 64 concurrent keep-alive clients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox-harness.h"

static const char *jstr(const cJSON *j, const char *name)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_rate_limit(void **state)
{
        static const char *const args[] = { "--rate-limit", "5", NULL };
        struct sbx s;
        char *t, h[32], *end;
        int ok = 0, limited = 0;

        sbx_start(&s, args);
        t = sbx_token(&s);
        for (int i = 0; i < 20; i++) {
                struct sbx_resp r;

                sbx_api(&r, &s, "GET", "/orders", t, NULL);
                if (r.status == 200) {
                        ok++;
                } else {
                        assert_int_equal(r.status, 429);
                        assert_non_null(sbx_header(&r, "Retry-After", h, sizeof(h)));
                        assert_true(strtol(h, &end, 10) >= 1 && *end == '\0');
                        assert_int_equal(
                                (int)cJSON_GetObjectItem(r.json, "statusCode")->valuedouble, 429);
                        assert_non_null(strstr(jstr(r.json, "message"),
                                               "Rate limit is exceeded. Try again in "));
                        limited++;
                }
                sbx_resp_done(&r);
        }
        /* 20 quick requests span at most a few one-second windows of 5. */
        assert_true(ok >= 5 && ok <= 15);
        assert_true(limited >= 5);
        free(t);
        sbx_stop(&s);
}

static void test_fail_rate(void **state)
{
        static const char *const args[] = { "--fail-rate", "0.3", "--rng-seed", "42", NULL };
        struct sbx s;
        char *t;
        int failed = 0, n = 400;

        sbx_start(&s, args);
        t = sbx_token(&s); /* the token endpoint never fails */
        for (int i = 0; i < n; i++) {
                struct sbx_resp r;

                sbx_api(&r, &s, "GET", "/orders?pageSize=1", t, NULL);
                assert_true(r.status == 200 || r.status == 503);
                if (r.status == 503) {
                        assert_string_equal(jstr(r.json, "error"), "service_unavailable");
                        failed++;
                }
                sbx_resp_done(&r);
        }
        /* Binomial(400, 0.3): mean 120, sd 9.2; [80, 160] is over 4 sd. */
        assert_in_range(failed, 80, 160);
        free(t);
        sbx_stop(&s);
}

static void test_latency(void **state)
{
        static const char *const args[] = { "--latency-ms", "300", NULL };
        struct sbx s;
        struct sbx_resp r;
        char *t;
        double t0;

        sbx_start(&s, args);
        t0 = now_s();
        t = sbx_token(&s);
        assert_true(now_s() - t0 >= 0.29);
        t0 = now_s();
        sbx_api(&r, &s, "GET", "/orders/ORD-000404", t, NULL);
        assert_int_equal(r.status, 404);
        assert_true(now_s() - t0 >= 0.29);
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
}

struct multi_buf {
        char *p;
        size_t n;
};

static size_t sink(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct multi_buf *b = userdata;

        b->n += size * nmemb;
        return size * nmemb;
}

/* Runs one request on each handle at once; returns the seconds taken. */
static double run_multi(CURLM *m, CURL **h, size_t n)
{
        double t0 = now_s();
        int running = 1;

        for (size_t i = 0; i < n; i++)
                assert_int_equal(curl_multi_add_handle(m, h[i]), CURLM_OK);
        while (running) {
                assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
                if (running)
                        curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        for (size_t i = 0; i < n; i++) {
                long code = 0;

                curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &code);
                assert_int_equal(code, 200);
                curl_multi_remove_handle(m, h[i]);
        }
        return now_s() - t0;
}

/* 64 clients each wait 400 ms for their answer; served one after another
 * that would take 25 s, side by side well under 5 s.  The second round
 * reuses the kept-alive connections. */
static void test_concurrent_keepalive(void **state)
{
        static const char *const args[] = { "--latency-ms", "400", NULL };
        enum { N = 64 };
        struct sbx s;
        CURL *h[N];
        CURLM *m = curl_multi_init();
        struct curl_slist *list = NULL;
        struct multi_buf sinks[N] = {};
        char url[128], auth[256], *t;
        double secs;

        sbx_start(&s, args);
        t = sbx_token(&s);
        snprintf(url, sizeof(url), "%s/orders?pageSize=1", s.origin);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t);
        list = curl_slist_append(list, "Ocp-Apim-Subscription-Key: demo-key");
        list = curl_slist_append(list, "api-version: 3.1");
        list = curl_slist_append(list, auth);
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
        for (int i = 0; i < N; i++) {
                h[i] = curl_easy_init();
                curl_easy_setopt(h[i], CURLOPT_URL, url);
                curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, list);
                curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, sink);
                curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &sinks[i]);
                curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 30L);
        }
        secs = run_multi(m, h, N);
        assert_true(secs < 5.0);
        secs = run_multi(m, h, N);
        assert_true(secs < 5.0);
        for (int i = 0; i < N; i++) {
                long connects = -1;

                curl_easy_getinfo(h[i], CURLINFO_NUM_CONNECTS, &connects);
                assert_int_equal(connects, 0); /* the connection was kept alive */
                curl_easy_cleanup(h[i]);
        }
        curl_multi_cleanup(m);
        curl_slist_free_all(list);
        free(t);
        sbx_stop(&s);
}

/* Posts to an order's foreign approve link with the bearer token and checks
 * that the foreign listener recorded the request, Authorization included,
 * and left the order alone. */
static void test_foreign_links(void **state)
{
        static const char *const args[] = { "--foreign-links", "0.5", "--seed", "40", NULL };
        struct sbx s;
        struct sbx_resp r;
        const cJSON *o, *rec;
        char *t, link[256] = "", id[64] = "", path[128];
        int foreign = 0, local = 0;

        sbx_start(&s, args);
        assert_true(strncmp(s.foreign_origin, "http://127.0.0.1:", 17) == 0);
        assert_string_not_equal(s.foreign_origin, s.origin);
        t = sbx_token(&s);
        sbx_api(&r, &s, "GET", "/orders?pageSize=500", t, NULL);
        assert_int_equal(r.status, 200);
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "items"))
        {
                const char *approve = jstr(cJSON_GetObjectItem(o, "links"), "approve");

                if (strncmp(approve, s.foreign_origin, strlen(s.foreign_origin)) == 0) {
                        foreign++;
                        snprintf(link, sizeof(link), "%s", approve);
                        snprintf(id, sizeof(id), "%s", jstr(o, "id"));
                } else {
                        assert_true(strncmp(approve, s.origin, strlen(s.origin)) == 0);
                        local++;
                }
        }
        sbx_resp_done(&r);
        assert_true(foreign >= 5 && local >= 5);

        sbx_api(&r, &s, "POST", link, t, "{}");
        assert_int_equal(r.status, 403);
        sbx_resp_done(&r);

        snprintf(path, sizeof(path), "%s/_sandbox/stats", s.origin);
        sbx_http(&r, "GET", path, NULL, NULL, 0);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "foreignRequests")), 1);
        rec = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "foreignRequests"), 0);
        assert_string_equal(jstr(rec, "method"), "POST");
        snprintf(path, sizeof(path), "/orders/%s/approve", id);
        assert_string_equal(jstr(rec, "path"), path);
        assert_true(strncmp(jstr(rec, "authorization"), "Bearer ", 7) == 0);
        assert_string_equal(jstr(cJSON_GetObjectItem(rec, "headers"), "Ocp-Apim-Subscription-Key"),
                            "demo-key");
        o = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "orders"), id);
        assert_string_equal(jstr(o, "status"), "PendingApproval");
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
}

static int setup(void **state)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return 0;
}

static int teardown(void **state)
{
        curl_global_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rate_limit),    cmocka_unit_test(test_fail_rate),
                cmocka_unit_test(test_latency),       cmocka_unit_test(test_concurrent_keepalive),
                cmocka_unit_test(test_foreign_links),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
