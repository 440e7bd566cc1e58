/* test-sandbox-webhook.c: the sandbox's OrderPendingApproval webhook
 * (--webhook), against a receiver in this test: a small libmicrohttpd
 * server that records each request and answers as a test tells it to (a
 * status, failures first, or holding the request until released). */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "sandbox-harness.h"

#define RECORDS_MAX 64
#define WAIT_S 20 /* how long a test waits for the sandbox's sender */

static const char order_body[] =
        "{\"customer\":{\"id\":\"CUS-W\"},\"items\":[{\"quantity\":2,\"unitPrice\":10.25}]}";

struct record {
        char *auth; /* NULL when absent */
        char *content_type;
        char *body;
};

struct receiver {
        struct MHD_Daemon *daemon;
        char url[64];
        pthread_mutex_t lock;
        pthread_cond_t changed;
        struct record records[RECORDS_MAX];
        size_t n; /* requests answered */
        unsigned status; /* answer */
        unsigned fail_first; /* answer 503 to that many requests first */
        bool hold; /* keep requests waiting until released */
        unsigned held; /* requests waiting now */
};

static struct receiver rcv;
static bool rcv_up;
static pid_t sandbox_pid; /* the running sandbox, 0 when none */

struct upload {
        char *body;
        size_t len;
};

static char *dup_header(struct MHD_Connection *c, const char *name)
{
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

        return v ? strdup(v) : NULL;
}

/* Records the request, then answers (after the hold is released). */
static unsigned answer(struct receiver *r, struct MHD_Connection *c, struct upload *u)
{
        struct record rec = { dup_header(c, "Authorization"), dup_header(c, "Content-Type"),
                              u->body ? u->body : strdup("") };
        unsigned status;

        u->body = NULL;
        pthread_mutex_lock(&r->lock);
        r->held++;
        pthread_cond_broadcast(&r->changed);
        while (r->hold)
                pthread_cond_wait(&r->changed, &r->lock);
        r->held--;
        status = r->fail_first > 0 ? 503 : r->status;
        if (r->fail_first > 0)
                r->fail_first--;
        if (r->n < RECORDS_MAX)
                r->records[r->n++] = rec;
        else
                free(rec.body);
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        return status;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
        struct upload *u = *con_cls;
        struct MHD_Response *resp;
        enum MHD_Result ret;
        unsigned status;

        if (!u) {
                *con_cls = calloc(1, sizeof(struct upload));
                return *con_cls ? MHD_YES : MHD_NO;
        }
        if (*size > 0) {
                u->body = realloc(u->body, u->len + *size + 1);
                assert_non_null(u->body);
                memcpy(u->body + u->len, data, *size);
                u->len += *size;
                u->body[u->len] = '\0';
                *size = 0;
                return MHD_YES;
        }
        status = answer(cls, c, u);
        resp = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
        ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct upload *u = *con_cls;

        if (u)
                free(u->body);
        free(u);
        *con_cls = NULL;
}

static void receiver_start(unsigned status, unsigned fail_first)
{
        const union MHD_DaemonInfo *info;

        memset(&rcv, 0, sizeof(rcv));
        pthread_mutex_init(&rcv.lock, NULL);
        pthread_cond_init(&rcv.changed, NULL);
        rcv.status = status;
        rcv.fail_first = fail_first;
        rcv.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                              MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
                                      0, NULL, NULL, on_request, &rcv, MHD_OPTION_NOTIFY_COMPLETED,
                                      on_completed, NULL, MHD_OPTION_END);
        assert_non_null(rcv.daemon);
        info = MHD_get_daemon_info(rcv.daemon, MHD_DAEMON_INFO_BIND_PORT);
        assert_non_null(info);
        snprintf(rcv.url, sizeof(rcv.url), "http://127.0.0.1:%u/hook", info->port);
        rcv_up = true;
}

static void receiver_release(void)
{
        pthread_mutex_lock(&rcv.lock);
        rcv.hold = false;
        pthread_cond_broadcast(&rcv.changed);
        pthread_mutex_unlock(&rcv.lock);
}

static void receiver_stop(void)
{
        rcv_up = false;
        receiver_release();
        MHD_stop_daemon(rcv.daemon);
        for (size_t i = 0; i < rcv.n; i++) {
                free(rcv.records[i].auth);
                free(rcv.records[i].content_type);
                free(rcv.records[i].body);
        }
        pthread_cond_destroy(&rcv.changed);
        pthread_mutex_destroy(&rcv.lock);
}

/* Waits until *counter (read under the receiver's lock) reaches n; a
 * sender that never gets there fails the test after WAIT_S. */
static void wait_for(const size_t *n_answered, const unsigned *n_held, size_t n)
{
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WAIT_S;
        pthread_mutex_lock(&rcv.lock);
        while ((n_answered ? *n_answered : *n_held) < n)
                if (pthread_cond_timedwait(&rcv.changed, &rcv.lock, &until) != 0)
                        break;
        pthread_mutex_unlock(&rcv.lock);
        pthread_mutex_lock(&rcv.lock);
        assert_true((n_answered ? *n_answered : *n_held) >= n);
        pthread_mutex_unlock(&rcv.lock);
}

/* The sandbox's webhook counters. */
static cJSON *webhook_stats(struct sbx *s, struct sbx_resp *r)
{
        sbx_control(r, s, "GET", "/_sandbox/stats", NULL);
        assert_int_equal(r->status, 200);
        return cJSON_GetObjectItem(r->json, "webhook");
}

static int num(const cJSON *j, const char *name)
{
        const cJSON *v = cJSON_GetObjectItem(j, name);

        assert_true(cJSON_IsNumber(v));
        return (int)v->valuedouble;
}

/* Waits until the stats counter name reaches n. */
static void wait_stat(struct sbx *s, const char *name, int n)
{
        for (int i = 0; i < WAIT_S * 20; i++) {
                struct sbx_resp r;
                int v = num(webhook_stats(s, &r), name);

                sbx_resp_done(&r);
                if (v >= n)
                        return;
                nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        fail_msg("webhook counter %s never reached %d", name, n);
}

static void start(struct sbx *s, const char *authorization, const char *url)
{
        const char *args[] = { "--seed",
                               "3",
                               "--webhook",
                               url ? url : rcv.url,
                               authorization ? "--webhook-authorization" : NULL,
                               authorization,
                               NULL };

        sbx_start(s, args);
        sandbox_pid = s->pid;
}

/* Stops the sandbox, asserting a clean exit. */
static void stop(struct sbx *s)
{
        sandbox_pid = 0;
        sbx_stop(s);
}

/* After a failed test: nothing of it may linger into the next one. */
static int teardown(void **state)
{
        if (sandbox_pid > 0) {
                kill(sandbox_pid, SIGKILL);
                waitpid(sandbox_pid, NULL, 0);
                sandbox_pid = 0;
        }
        if (rcv_up)
                receiver_stop();
        return 0;
}

static char *create(struct sbx *s, const char *token, char *created_at, size_t size)
{
        struct sbx_resp r;
        char *id;

        sbx_api(&r, s, "POST", "/orders", token, order_body);
        assert_int_equal(r.status, 201);
        id = strdup(sbx_jstr(r.json, "id"));
        if (created_at)
                snprintf(created_at, size, "%s", sbx_jstr(r.json, "createdAt"));
        sbx_resp_done(&r);
        return id;
}

static void assert_event(const struct record *rec, const char *id, const char *created_at)
{
        cJSON *j = cJSON_Parse(rec->body);
        const cJSON *amount;

        assert_non_null(j);
        assert_string_equal(sbx_jstr(j, "eventType"), "OrderPendingApproval");
        assert_string_equal(sbx_jstr(j, "reqID"), id);
        amount = cJSON_GetObjectItem(j, "totalOrderAmount");
        assert_true(cJSON_IsNumber(amount) && amount->valuedouble == 20.5);
        assert_string_equal(sbx_jstr(j, "currency"), "EUR");
        if (created_at)
                assert_string_equal(sbx_jstr(j, "createdAt"), created_at);
        assert_string_equal(rec->content_type, "application/json");
        cJSON_Delete(j);
}

/* Every order the create calls add gets one event; seeded ones none. */
static void test_events_for_new_orders(void **state)
{
        struct sbx s;
        struct sbx_resp r;
        char at[32], *t, *a, *b;
        const cJSON *w;

        receiver_start(200, 0);
        start(&s, "Key s3cr3t value", NULL);
        t = sbx_token(&s);
        a = create(&s, t, at, sizeof(at));
        sbx_control(&r, &s, "POST", "/_sandbox/orders", order_body);
        assert_int_equal(r.status, 201);
        b = strdup(sbx_jstr(r.json, "id"));
        sbx_resp_done(&r);
        wait_for(&rcv.n, NULL, 2);
        /* one sender, in order: seeded orders' events would have come first */
        assert_event(&rcv.records[0], a, at);
        assert_string_equal(rcv.records[0].auth, "Key s3cr3t value");
        assert_event(&rcv.records[1], b, NULL);
        wait_stat(&s, "delivered", 2); /* counted once the answer is back */
        w = webhook_stats(&s, &r);
        assert_int_equal(num(w, "delivered"), 2);
        assert_int_equal(num(w, "attempts"), 2);
        assert_int_equal(num(w, "dropped"), 0);
        assert_null(strstr(r.body, "s3cr3t")); /* the secret is not in the stats */
        sbx_resp_done(&r);
        pthread_mutex_lock(&rcv.lock);
        assert_int_equal(rcv.n, 2);
        pthread_mutex_unlock(&rcv.lock);
        stop(&s);
        receiver_stop();
        free(a);
        free(b);
        free(t);
}

/* 503 twice, then 200: delivered at the third attempt, same body. */
static void test_retried_with_backoff(void **state)
{
        struct sbx s;
        struct sbx_resp r;
        char *t, *id;
        const cJSON *w;

        receiver_start(200, 2);
        start(&s, NULL, NULL);
        t = sbx_token(&s);
        id = create(&s, t, NULL, 0);
        wait_for(&rcv.n, NULL, 3);
        wait_stat(&s, "delivered", 1);
        for (size_t i = 0; i < 3; i++) {
                assert_event(&rcv.records[i], id, NULL);
                assert_null(rcv.records[i].auth); /* no --webhook-authorization */
        }
        w = webhook_stats(&s, &r);
        assert_int_equal(num(w, "attempts"), 3);
        assert_int_equal(num(w, "failed"), 0);
        sbx_resp_done(&r);
        stop(&s);
        receiver_stop();
        free(id);
        free(t);
}

/* A client error is not retried; a server error five times, then the
 * event counts as failed. */
static void test_refused_and_failed(void **state)
{
        struct sbx s;
        struct sbx_resp r;
        char *t, *id;
        const cJSON *w;

        receiver_start(401, 0);
        start(&s, NULL, NULL);
        t = sbx_token(&s);
        id = create(&s, t, NULL, 0);
        wait_stat(&s, "refused", 1);
        free(id);
        pthread_mutex_lock(&rcv.lock);
        rcv.status = 500;
        pthread_mutex_unlock(&rcv.lock);
        id = create(&s, t, NULL, 0);
        wait_stat(&s, "failed", 1);
        w = webhook_stats(&s, &r);
        assert_int_equal(num(w, "attempts"), 1 + 5);
        assert_int_equal(num(w, "delivered"), 0);
        sbx_resp_done(&r);
        pthread_mutex_lock(&rcv.lock);
        assert_int_equal(rcv.n, 6);
        pthread_mutex_unlock(&rcv.lock);
        stop(&s);
        receiver_stop();
        free(id);
        free(t);
}

/* A receiver that holds every request: the API answers as ever, the
 * queue fills up to its bound and then drops (counted), and the sandbox
 * still stops at once with exit 0. */
static void test_hanging_receiver(void **state)
{
        char body[160], *t, *id;
        struct sbx s;
        struct sbx_resp r;
        const cJSON *w;
        int dropped;

        receiver_start(200, 0);
        rcv.hold = true;
        start(&s, NULL, NULL);
        t = sbx_token(&s);
        id = create(&s, t, NULL, 0);
        wait_for(NULL, &rcv.held, 1); /* the sender is stuck in its first event */
        for (int i = 0; i < 50; i++)
                free(create(&s, t, NULL, 0));
        sbx_api(&r, &s, "GET", "/orders?pageSize=100", t, NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 3 + 51);
        sbx_resp_done(&r);
        snprintf(body, sizeof(body), "{\"kind\":\"duplicate\",\"id\":\"%s\",\"count\":10000}", id);
        sbx_control(&r, &s, "POST", "/_sandbox/webhook", body);
        assert_int_equal(r.status, 202);
        dropped = num(r.json, "dropped");
        assert_int_equal(num(r.json, "queued") + dropped, 10000);
        assert_true(dropped >= 10000 - 4096);
        sbx_resp_done(&r);
        w = webhook_stats(&s, &r);
        assert_int_equal(num(w, "dropped"), dropped);
        assert_true(num(w, "queued") <= 4096 && num(w, "queued") > 4000);
        assert_int_equal(num(w, "delivered"), 0);
        sbx_resp_done(&r);
        pthread_mutex_lock(&rcv.lock);
        assert_int_equal(rcv.n, 0);
        pthread_mutex_unlock(&rcv.lock);
        stop(&s); /* exit 0, the transfer in flight aborted */
        receiver_stop();
        free(id);
        free(t);
}

/* Nothing listens: the API is unaffected and the event fails. */
static void test_receiver_down(void **state)
{
        struct sbx s;
        char *t;

        start(&s, NULL, "http://127.0.0.1:1/hook");
        t = sbx_token(&s);
        free(create(&s, t, NULL, 0));
        wait_stat(&s, "failed", 1);
        free(t);
        stop(&s);
}

static void control(struct sbx *s, const char *body, long status)
{
        struct sbx_resp r;

        sbx_control(&r, s, "POST", "/_sandbox/webhook", body);
        if (r.status != status)
                fprintf(stderr, "%s: %ld %s\n", body, r.status, r.body);
        assert_int_equal(r.status, status);
        sbx_resp_done(&r);
}

/* Broken events on demand, each as documented. */
static void test_broken_events(void **state)
{
        struct sbx s;
        cJSON *j;
        char *t, *id, body[160];

        receiver_start(200, 0);
        start(&s, "Bearer right", NULL);
        t = sbx_token(&s);
        id = create(&s, t, NULL, 0);
        wait_for(&rcv.n, NULL, 1);
        snprintf(body, sizeof(body), "{\"kind\":\"wrong-auth\",\"id\":\"%s\"}", id);
        control(&s, body, 202);
        wait_for(&rcv.n, NULL, 2);
        assert_string_equal(rcv.records[1].auth, "wrong-authorization");
        assert_string_equal(rcv.records[1].body, rcv.records[0].body);
        snprintf(body, sizeof(body), "{\"kind\":\"no-auth\",\"id\":\"%s\"}", id);
        control(&s, body, 202);
        wait_for(&rcv.n, NULL, 3);
        assert_null(rcv.records[2].auth);
        control(&s, "{\"kind\":\"bad-json\"}", 202);
        wait_for(&rcv.n, NULL, 4);
        j = cJSON_Parse(rcv.records[3].body);
        assert_null(j);
        assert_string_equal(rcv.records[3].auth, "Bearer right");
        control(&s, "{\"kind\":\"unknown-order\"}", 202);
        control(&s, "{\"kind\":\"unknown-order\",\"id\":\"X-9\"}", 202);
        wait_for(&rcv.n, NULL, 6);
        j = cJSON_Parse(rcv.records[4].body);
        assert_string_equal(sbx_jstr(j, "reqID"), "ORD-UNKNOWN");
        assert_string_equal(sbx_jstr(j, "eventType"), "OrderPendingApproval");
        cJSON_Delete(j);
        j = cJSON_Parse(rcv.records[5].body);
        assert_string_equal(sbx_jstr(j, "reqID"), "X-9");
        cJSON_Delete(j);
        snprintf(body, sizeof(body), "{\"kind\":\"duplicate\",\"id\":\"%s\",\"count\":3}", id);
        control(&s, body, 202);
        wait_for(&rcv.n, NULL, 9);
        for (size_t i = 6; i < 9; i++) {
                assert_string_equal(rcv.records[i].body, rcv.records[0].body);
                assert_string_equal(rcv.records[i].auth, "Bearer right");
        }

        control(&s, "", 400);
        control(&s, "{}", 400);
        control(&s, "{\"kind\":\"other\"}", 400);
        control(&s, "{\"kind\":\"duplicate\"}", 400);
        control(&s, "{\"kind\":\"duplicate\",\"id\":\"ORD-999999\"}", 404);
        snprintf(body, sizeof(body), "{\"kind\":\"unknown-order\",\"id\":\"%s\"}", id);
        control(&s, body, 400);
        snprintf(body, sizeof(body), "{\"kind\":\"duplicate\",\"id\":\"%s\",\"count\":0}", id);
        control(&s, body, 400);
        snprintf(body, sizeof(body), "{\"kind\":\"duplicate\",\"id\":\"%s\",\"count\":10001}", id);
        control(&s, body, 400);
        snprintf(body, sizeof(body), "{\"kind\":\"duplicate\",\"id\":\"%s\",\"count\":1.5}", id);
        control(&s, body, 400);
        control(&s, "{\"kind\":\"bad-json\",\"id\":5}", 400);
        stop(&s);
        receiver_stop();
        free(id);
        free(t);
}

/* Without --webhook there is nothing to send with. */
static void test_no_webhook(void **state)
{
        static const char *const args[] = { "--seed", "1", NULL };
        struct sbx s;
        struct sbx_resp r;

        sbx_start(&s, args);
        sbx_control(&r, &s, "POST", "/_sandbox/webhook", "{\"kind\":\"bad-json\"}");
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "error"), "no_webhook");
        sbx_resp_done(&r);
        sbx_control(&r, &s, "GET", "/_sandbox/stats", NULL);
        assert_null(cJSON_GetObjectItem(r.json, "webhook"));
        sbx_resp_done(&r);
        sbx_stop(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_events_for_new_orders, teardown),
                cmocka_unit_test_teardown(test_retried_with_backoff, teardown),
                cmocka_unit_test_teardown(test_refused_and_failed, teardown),
                cmocka_unit_test_teardown(test_hanging_receiver, teardown),
                cmocka_unit_test_teardown(test_receiver_down, teardown),
                cmocka_unit_test_teardown(test_broken_events, teardown),
                cmocka_unit_test_teardown(test_no_webhook, teardown),
        };
        int r;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return r;
}
