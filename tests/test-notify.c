/* test-notify.c: the notification sender on a real sd-event loop against
 * an in-process libmicrohttpd server (its own threads, here only) whose
 * answer the URL's first path segment chooses: /ok, /500, /429, /408,
 * /400, /404, /302, or /hang (never answers until the test ends).  The
 * body is parsed back with cJSON for each kind; what reaches the server
 * and the log is checked for the header values and the targets' paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "notify.h"
#include "utf8.h"
#include "util.h"

/* ---- the receiver ---- */

#define REQS_MAX 1024
#define BODY_MAX (1024 * 1024)

struct req {
        char path[256];
        char auth[256]; /* the Authorization header, "" when none */
        char content_type[64];
        char *body;
};

static struct server {
        struct MHD_Daemon *d;
        uint16_t port;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned generation; /* a test's end: what hangs is let go */
        struct req reqs[REQS_MAX];
        size_t n_reqs;
        size_t n_hanging;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

struct conn {
        char *body;
        size_t size;
};

static void copy(char *dst, size_t size, const char *s)
{
        snprintf(dst, size, "%s", s ? s : "");
}

static void record(struct MHD_Connection *c, const char *url, struct conn *k)
{
        struct req *q;

        pthread_mutex_lock(&srv.lock);
        if (srv.n_reqs < REQS_MAX) {
                q = &srv.reqs[srv.n_reqs++];
                copy(q->path, sizeof(q->path), url);
                copy(q->auth, sizeof(q->auth),
                     MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
                copy(q->content_type, sizeof(q->content_type),
                     MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
                q->body = k->body ? strdup(k->body) : strdup("");
        }
        pthread_mutex_unlock(&srv.lock);
}

static enum MHD_Result hang(void)
{
        unsigned gen;

        pthread_mutex_lock(&srv.lock);
        gen = srv.generation;
        srv.n_hanging++;
        pthread_cond_broadcast(&srv.cond);
        while (srv.generation == gen)
                pthread_cond_wait(&srv.cond, &srv.lock);
        pthread_mutex_unlock(&srv.lock);
        return MHD_NO; /* drops the connection */
}

static unsigned status_for(const char *url)
{
        static const struct {
                const char *prefix;
                unsigned status;
        } table[] = { { "/ok", 200 },  { "/500", 500 }, { "/429", 429 }, { "/408", 408 },
                      { "/400", 400 }, { "/404", 404 }, { "/302", 302 } };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strncmp(url, table[i].prefix, strlen(table[i].prefix)) == 0)
                        return table[i].status;
        return 404;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
        struct conn *k = *req_cls;
        struct MHD_Response *resp;
        enum MHD_Result ret;
        unsigned status;

        if (!k) {
                *req_cls = calloc(1, sizeof(struct conn));
                return *req_cls ? MHD_YES : MHD_NO;
        }
        if (*upload_size > 0) {
                if (k->size + *upload_size < BODY_MAX) {
                        k->body = realloc(k->body, k->size + *upload_size + 1);
                        memcpy(k->body + k->size, upload, *upload_size);
                        k->size += *upload_size;
                        k->body[k->size] = '\0';
                }
                *upload_size = 0;
                return MHD_YES;
        }
        record(c, url, k);
        if (strncmp(url, "/hang", 5) == 0)
                return hang();
        status = status_for(url);
        resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
        if (status == 302)
                MHD_add_response_header(resp, "Location", "http://127.0.0.1:1/elsewhere");
        ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
        struct conn *k = *req_cls;

        if (k) {
                free(k->body);
                free(k);
                *req_cls = NULL;
        }
}

static void server_reset(void)
{
        pthread_mutex_lock(&srv.lock);
        srv.generation++;
        pthread_cond_broadcast(&srv.cond);
        for (size_t i = 0; i < srv.n_reqs; i++)
                free(srv.reqs[i].body);
        srv.n_reqs = 0;
        srv.n_hanging = 0;
        pthread_mutex_unlock(&srv.lock);
}

static size_t server_count(const char *prefix)
{
        size_t n = 0;

        pthread_mutex_lock(&srv.lock);
        for (size_t i = 0; i < srv.n_reqs; i++)
                if (strncmp(srv.reqs[i].path, prefix, strlen(prefix)) == 0)
                        n++;
        pthread_mutex_unlock(&srv.lock);
        return n;
}

static size_t server_hanging(void)
{
        size_t n;

        pthread_mutex_lock(&srv.lock);
        n = srv.n_hanging;
        pthread_mutex_unlock(&srv.lock);
        return n;
}

/* ---- fixtures ---- */

#define TOKEN "Bearer s3cret-token-value"
#define SECRET_PATH "T000/B000/XXsecretXX"

struct fixture {
        sd_event *e;
        char dir[64];
        struct notify_header headers[1];
        struct notify_target targets[2];
        char urls[2][256];
        struct config c;
};

static void put(const char *dir, const char *name, const char *data)
{
        char p[128];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
        close(fd);
}

/* Target i posts to /PREFIX/SECRET_PATH for events; with auth, it sends
 * Authorization from the file notify-ops-token. */
static void target(struct fixture *fx, size_t i, const char *prefix, unsigned events, bool auth)
{
        snprintf(fx->urls[i], sizeof(fx->urls[i]), "http://127.0.0.1:%u%s/" SECRET_PATH,
                 (unsigned)srv.port, prefix);
        fx->targets[i] = (struct notify_target){ .url = fx->urls[i], .events = events };
        if (auth) {
                fx->targets[i].headers = fx->headers;
                fx->targets[i].n_headers = 1;
        }
        if (fx->c.notify.n_targets < i + 1)
                fx->c.notify.n_targets = i + 1;
}

static int setup(void **state)
{
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        assert_int_equal(sd_event_new(&fx->e), 0);
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-notify-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        put(fx->dir, "notify-ops-token", TOKEN "\n");
        fx->headers[0] = (struct notify_header){ .name = (char *)"Authorization",
                                                 .credential = (char *)"notify-ops-token" };
        fx->c.notify.targets = fx->targets;
        fx->c.notify.api_down_after_s = 600;
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *fx = *state;
        char p[128];

        server_reset();
        snprintf(p, sizeof(p), "%s/notify-ops-token", fx->dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/empty", fx->dir);
        unlink(p);
        rmdir(fx->dir);
        sd_event_unref(fx->e);
        free(fx);
        return 0;
}

static struct notify *new_notify(struct fixture *fx)
{
        _cleanup_free_ char *path = NULL;
        struct notify *n = NULL;

        assert_int_equal(notify_new(&n, fx->e, &fx->c, fx->dir, &path), 0);
        assert_null(path);
        assert_non_null(n);
        return n;
}

static struct notify_stats stats(struct notify *n)
{
        struct notify_stats s;

        notify_get_stats(n, &s);
        return s;
}

/* Runs the loop until nothing waits (bounded by iterations, not by time:
 * each iteration waits at most 100 ms). */
static void run_until_idle(struct fixture *fx, struct notify *n)
{
        for (int i = 0; i < 600 && stats(n).waiting > 0; i++)
                assert_true(sd_event_run(fx->e, 100 * UINT64_C(1000)) >= 0);
        assert_int_equal(stats(n).waiting, 0);
}

static void run_until_hanging(struct fixture *fx, size_t want)
{
        for (int i = 0; i < 600 && server_hanging() < want; i++)
                assert_true(sd_event_run(fx->e, 100 * UINT64_C(1000)) >= 0);
        assert_int_equal(server_hanging(), want);
}

static const struct notify_event hold_event = {
        .kind = NOTIFY_HOLD,
        .order_id = "ORD-7",
        .customer_id = "C-1",
        .customer_name = "Contoso",
        .has_total = true,
        .total = 120000,
        .currency = "EUR",
        .rule = "big orders",
        .reason = "Needs a look",
        .since = 1796205600, /* 2026-12-02T10:00:00Z */
        .link = "https://api.example/orders/ORD-7",
};

/* ---- stderr, captured to check log lines ---- */

struct capture {
        int saved;
        char path[64];
};

static void capture_start(struct capture *cap)
{
        int fd;

        snprintf(cap->path, sizeof(cap->path), "/tmp/test-notify-log-XXXXXX");
        fd = mkstemp(cap->path);
        assert_true(fd >= 0);
        fflush(stderr);
        cap->saved = dup(2);
        assert_true(cap->saved >= 0);
        assert_true(dup2(fd, 2) == 2);
        close(fd);
}

static char *capture_end(struct capture *cap)
{
        char *text = NULL;

        fflush(stderr);
        assert_true(dup2(cap->saved, 2) == 2);
        close(cap->saved);
        assert_int_equal(read_file_capped(cap->path, 1024 * 1024, &text, NULL), 0);
        unlink(cap->path);
        fputs(text, stderr); /* still shown with the test's output */
        return text;
}

/* ---- the body ---- */

static cJSON *parse(const char *body)
{
        cJSON *j;

        assert_non_null(body);
        j = cJSON_Parse(body);
        assert_non_null(j);
        return j;
}

static const char *str(const cJSON *j, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void assert_valid_utf8(const char *s)
{
        while (*s) {
                size_t l = utf8_decode(s, NULL);

                assert_true(l > 0);
                s += l;
        }
}

static void test_body_kinds(void **state)
{
        static const struct {
                struct notify_event ev;
                const char *text;
        } table[] = {
                { { .kind = NOTIFY_HOLD,
                    .order_id = "ORD-7",
                    .customer_name = "Contoso",
                    .has_total = true,
                    .total = 120000,
                    .currency = "EUR",
                    .rule = "big orders",
                    .reason = "Needs a look" },
                  "Order ORD-7 (Contoso, 1200.00 EUR) is held for a person: rule 'big orders': "
                  "Needs a look" },
                { { .kind = NOTIFY_HOLD,
                    .order_id = "ORD-8",
                    .customer_id = "C-9",
                    .reason = "No rule matched" },
                  "Order ORD-8 (C-9) is held for a person: the default rule: No rule matched" },
                { { .kind = NOTIFY_REJECT,
                    .order_id = "ORD-7",
                    .has_total = true,
                    .total = 5,
                    .currency = "USD",
                    .rule = "blocked",
                    .reason = "On the block list",
                    .decision = "reject" },
                  "Order ORD-7 (0.05 USD) was rejected: rule 'blocked': On the block list" },
                { { .kind = NOTIFY_MANUAL,
                    .order_id = "ORD-7",
                    .decision = "approve",
                    .by = "alice",
                    .reason = "Known customer" },
                  "Order ORD-7 was approved by alice: Known customer" },
                { { .kind = NOTIFY_MANUAL, .order_id = "ORD-7", .decision = "reject" },
                  "Order ORD-7 was rejected by a person" },
                { { .kind = NOTIFY_STALE_HOLD,
                    .order_id = "ORD-7",
                    .rule = "big orders",
                    .since = 1796205600 },
                  "Order ORD-7 has waited for a person since 2026-12-02T10:00:00Z: rule 'big "
                  "orders'" },
                { { .kind = NOTIFY_TIMEOUT,
                    .order_id = "ORD-7",
                    .decision = "reject",
                    .reason = "Nobody decided in 48h",
                    .since = 1796205600 },
                  "Order ORD-7 was rejected by timeout, held since 2026-12-02T10:00:00Z: Nobody "
                  "decided in 48h" },
                { { .kind = NOTIFY_API_DOWN, .since = 1796205600 },
                  "approvald cannot reach the AppXite API since 2026-12-02T10:00:00Z" },
                { { .kind = NOTIFY_API_DOWN }, "approvald cannot reach the AppXite API" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const struct notify_event *ev = &table[i].ev;
                _cleanup_free_ char *body = notify_body(ev, "host-1", 1796209200);
                cJSON *j = parse(body);

                assert_string_equal(str(j, "text"), table[i].text);
                assert_string_equal(str(j, "event"), notify_kind_names[ev->kind]);
                assert_string_equal(str(j, "host"), "host-1");
                assert_string_equal(str(j, "time"), "2026-12-02T11:00:00Z");
                /* each fact there exactly when given */
                assert_true(!ev->order_id == !str(j, "order"));
                assert_true(!ev->customer_id == !str(j, "customer"));
                assert_true(!ev->customer_name == !str(j, "customerName"));
                assert_true(!ev->has_total == !str(j, "total"));
                assert_true(!ev->currency == !str(j, "currency"));
                assert_true(!ev->rule == !cJSON_HasObjectItem(j, "rule"));
                assert_true(!ev->reason == !str(j, "reason"));
                assert_true(!ev->decision == !str(j, "decision"));
                assert_true(!ev->by == !str(j, "by"));
                assert_true(!ev->since == !str(j, "since"));
                assert_false(cJSON_HasObjectItem(j, "link"));
                cJSON_Delete(j);
        }
}

static void test_body_fields(void **state)
{
        _cleanup_free_ char *body = notify_body(&hold_event, NULL, 1796209200);
        cJSON *j = parse(body);

        assert_string_equal(str(j, "order"), "ORD-7");
        assert_string_equal(str(j, "customer"), "C-1");
        assert_string_equal(str(j, "customerName"), "Contoso");
        assert_string_equal(str(j, "total"), "1200.00");
        assert_string_equal(str(j, "currency"), "EUR");
        assert_string_equal(str(j, "rule"), "big orders");
        assert_string_equal(str(j, "reason"), "Needs a look");
        assert_string_equal(str(j, "since"), "2026-12-02T10:00:00Z");
        assert_string_equal(str(j, "link"), "https://api.example/orders/ORD-7");
        assert_false(cJSON_HasObjectItem(j, "host")); /* NULL: left out */
        /* "text" comes first, for receivers that show the start */
        assert_true(strncmp(body, "{\"text\":", 8) == 0);
        cJSON_Delete(j);
}

/* Outside text: JSON-escaped in the fields, one Slack-safe line in text,
 * and invalid UTF-8 never makes invalid JSON. */
static void test_body_escaping(void **state)
{
        struct notify_event ev = hold_event;
        char long_reason[1001];
        _cleanup_free_ char *body = NULL, *body2 = NULL;
        cJSON *j;

        ev.customer_name = "<!channel> & \"Bob\"\n\\ \xff\xc3(";
        ev.rule = "r\x01";
        body = notify_body(&ev, "h", 0);
        assert_valid_utf8(body);
        j = parse(body);
        assert_string_equal(str(j, "customerName"),
                            "<!channel> & \"Bob\"\n\\ \xef\xbf\xbd\xef\xbf\xbd(");
        assert_string_equal(str(j, "text"), "Order ORD-7 (&lt;!channel&gt; &amp; \"Bob\" \\ ?"
                                            "?(, 1200.00 EUR) is "
                                            "held for a person: rule 'r ': Needs a look");
        assert_string_equal(str(j, "rule"), "r\x01");
        cJSON_Delete(j);

        memset(long_reason, 'x', 1000);
        long_reason[1000] = '\0';
        ev = hold_event;
        ev.reason = long_reason;
        body2 = notify_body(&ev, "h", 0);
        j = parse(body2);
        assert_string_equal(str(j, "reason"), long_reason); /* whole in its field */
        assert_non_null(strstr(str(j, "text"), "xxx..."));
        assert_true(strlen(str(j, "text")) < 400); /* cut in the text line */
        cJSON_Delete(j);
}

/* ---- sending ---- */

static void test_no_targets(void **state)
{
        struct fixture *fx = *state;
        struct notify *n = new_notify(fx);

        for (int k = 0; k < _NOTIFY_KIND_MAX; k++)
                assert_false(notify_wants(n, (enum notify_kind)k));
        assert_int_equal(notify_send(n, &hold_event), 0);
        assert_int_equal(stats(n).queued, 0);
        assert_int_equal(stats(n).dropped, 0);
        notify_free(n);
}

static void test_send_ok(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;
        struct capture cap;
        _cleanup_free_ char *log = NULL;
        cJSON *j;

        target(fx, 0, "/ok", 1u << NOTIFY_HOLD, true);
        target(fx, 1, "/404", 1u << NOTIFY_REJECT, false); /* does not want holds */
        n = new_notify(fx);
        assert_true(notify_wants(n, NOTIFY_HOLD));
        assert_true(notify_wants(n, NOTIFY_REJECT));
        assert_false(notify_wants(n, NOTIFY_TIMEOUT));

        capture_start(&cap);
        assert_int_equal(notify_send(n, &hold_event), 1);
        /* queued, nothing sent: notify_send() returned without the loop */
        assert_int_equal(stats(n).queued, 1);
        assert_int_equal(stats(n).waiting, 1);
        assert_int_equal(server_count("/"), 0);
        run_until_idle(fx, n);
        log = capture_end(&cap);

        assert_int_equal(stats(n).sent, 1);
        assert_int_equal(stats(n).failed, 0);
        assert_int_equal(stats(n).retried, 0);
        assert_int_equal(server_count("/"), 1);
        assert_string_equal(srv.reqs[0].path, "/ok/" SECRET_PATH);
        assert_string_equal(srv.reqs[0].auth, TOKEN);
        assert_string_equal(srv.reqs[0].content_type, "application/json");
        assert_null(strstr(srv.reqs[0].body, "s3cret"));
        j = parse(srv.reqs[0].body);
        assert_string_equal(str(j, "event"), "hold");
        assert_string_equal(str(j, "order"), "ORD-7");
        cJSON_Delete(j);
        /* the debug line names the target by number and origin only */
        assert_non_null(strstr(log, "to target 1 (http://127.0.0.1:"));
        assert_null(strstr(log, "XXsecretXX"));
        assert_null(strstr(log, "s3cret"));
        notify_free(n);
}

/* What each answer leads to: retried until the attempts are spent, or
 * given up at once. */
static void test_answers(void **state)
{
        static const struct {
                const char *prefix;
                unsigned attempts;
        } table[] = {
                { "/500", NOTIFY_ATTEMPTS_MAX },
                { "/429", NOTIFY_ATTEMPTS_MAX },
                { "/408", NOTIFY_ATTEMPTS_MAX },
                { "/400", 1 },
                { "/404", 1 },
                { "/302", 1 },
        };
        struct fixture *fx = *state;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct notify *n;
                struct capture cap;
                _cleanup_free_ char *log = NULL;

                server_reset();
                target(fx, 0, table[i].prefix, 1u << NOTIFY_HOLD, true);
                n = new_notify(fx);
                notify_set_timing(n, 5, 5000);
                capture_start(&cap);
                assert_int_equal(notify_send(n, &hold_event), 1);
                run_until_idle(fx, n);
                log = capture_end(&cap);
                assert_int_equal(server_count(table[i].prefix), table[i].attempts);
                assert_int_equal(server_count("/elsewhere"), 0); /* 302 not followed */
                assert_int_equal(stats(n).failed, 1);
                assert_int_equal(stats(n).sent, 0);
                assert_int_equal(stats(n).retried, table[i].attempts - 1);
                /* one give-up line, naming the event, the order and the
                 * target by number and origin; no path, no header value */
                assert_non_null(strstr(log, "hold notification for order ORD-7 to target 1 "
                                            "(http://127.0.0.1:"));
                assert_non_null(strstr(log, "HTTP "));
                assert_null(strstr(log, "XXsecretXX"));
                assert_null(strstr(log, "s3cret"));
                notify_free(n);
        }
}

static void test_hang_times_out(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;

        target(fx, 0, "/hang", 1u << NOTIFY_HOLD, false);
        n = new_notify(fx);
        notify_set_timing(n, 5, 200);
        assert_int_equal(notify_send(n, &hold_event), 1);
        run_until_idle(fx, n);
        assert_int_equal(server_count("/hang"), NOTIFY_ATTEMPTS_MAX);
        assert_int_equal(stats(n).failed, 1);
        assert_int_equal(stats(n).retried, NOTIFY_ATTEMPTS_MAX - 1);
        notify_free(n);
}

/* A target that hangs holds its own slots only: the items queued behind
 * its busy ones for another target go out meanwhile. */
static void test_hang_does_not_starve(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;

        target(fx, 0, "/hang", 1u << NOTIFY_HOLD, false);
        target(fx, 1, "/ok", 1u << NOTIFY_HOLD, false);
        n = new_notify(fx);
        for (size_t i = 0; i < 3 * NOTIFY_TARGET_PARALLEL_MAX; i++)
                assert_int_equal(notify_send(n, &hold_event), 2);
        for (int i = 0; i < 600 && stats(n).sent < 3 * NOTIFY_TARGET_PARALLEL_MAX; i++)
                assert_true(sd_event_run(fx->e, 100 * UINT64_C(1000)) >= 0);
        assert_int_equal(stats(n).sent, 3 * NOTIFY_TARGET_PARALLEL_MAX);
        assert_int_equal(server_count("/ok"), 3 * NOTIFY_TARGET_PARALLEL_MAX);
        /* meanwhile the hanging target holds its own slots, no more (its
         * last connection may still be reaching the server) */
        assert_true(server_hanging() <= NOTIFY_TARGET_PARALLEL_MAX);
        run_until_hanging(fx, NOTIFY_TARGET_PARALLEL_MAX);
        notify_free(n);
}

/* A run that ends right after its decisions lets its notifications out
 * first: the loop ends with the last one sent, or at the grace's end with
 * what still waits left to notify_free(). */
static void test_exit_when_sent(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;

        target(fx, 0, "/ok", 1u << NOTIFY_HOLD, false);
        target(fx, 1, "/hang", 1u << NOTIFY_REJECT, false);
        n = new_notify(fx);
        assert_int_equal(notify_send(n, &hold_event), 1);
        assert_int_equal(notify_exit_when_sent(n, 7, 60 * UINT64_C(1000000)), 0);
        assert_int_equal(sd_event_loop(fx->e), 7);
        assert_int_equal(stats(n).sent, 1);
        assert_int_equal(stats(n).waiting, 0);
        notify_free(n);

        sd_event_unref(fx->e);
        assert_int_equal(sd_event_new(&fx->e), 0);
        n = new_notify(fx);
        assert_int_equal(notify_send(n, &(struct notify_event){ .kind = NOTIFY_REJECT,
                                                                .order_id = "ORD-8" }),
                         1);
        assert_int_equal(notify_exit_when_sent(n, 9, 300 * UINT64_C(1000)), 0);
        assert_int_equal(sd_event_loop(fx->e), 9); /* the grace ended it: the post hangs */
        assert_int_equal(stats(n).waiting, 1);
        notify_free(n);

        /* a long grace, a receiver that hangs: no attempt ends, so the loop
         * ends after the idle period, long before the attempt's own 10 s
         * bound would have made a retry */
        sd_event_unref(fx->e);
        assert_int_equal(sd_event_new(&fx->e), 0);
        n = new_notify(fx);
        assert_int_equal(notify_send(n, &(struct notify_event){ .kind = NOTIFY_REJECT,
                                                                .order_id = "ORD-9" }),
                         1);
        assert_int_equal(notify_exit_when_sent(n, 3, 60 * UINT64_C(1000000)), 0);
        assert_int_equal(sd_event_loop(fx->e), 3);
        assert_int_equal(stats(n).waiting, 1);
        assert_int_equal(stats(n).retried, 0);
        assert_int_equal(stats(n).failed, 0);
        notify_free(n);
}

static void test_overflow(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;
        struct capture cap;
        _cleanup_free_ char *log = NULL;
        size_t queued = 0;

        target(fx, 0, "/hang", 1u << NOTIFY_HOLD, false);
        n = new_notify(fx);
        capture_start(&cap);
        for (size_t i = 0; i < NOTIFY_QUEUE_MAX + 10; i++)
                queued += notify_send(n, &hold_event);
        /* all returned without the loop having run */
        assert_int_equal(queued, NOTIFY_QUEUE_MAX);
        assert_int_equal(stats(n).queued, NOTIFY_QUEUE_MAX);
        assert_int_equal(stats(n).waiting, NOTIFY_QUEUE_MAX);
        assert_int_equal(stats(n).dropped, 10);
        assert_int_equal(server_count("/"), 0);

        /* at most NOTIFY_TARGET_PARALLEL_MAX in flight to the one target */
        run_until_hanging(fx, NOTIFY_TARGET_PARALLEL_MAX);
        for (int i = 0; i < 5; i++)
                (void)sd_event_run(fx->e, 20 * UINT64_C(1000));
        assert_int_equal(server_hanging(), NOTIFY_TARGET_PARALLEL_MAX);
        assert_int_equal(stats(n).waiting, NOTIFY_QUEUE_MAX);

        notify_free(n); /* what waits is dropped and said so */
        log = capture_end(&cap);
        /* the queue-full line once (not once per drop), the stop line once */
        assert_non_null(strstr(log, "the queue is full"));
        assert_null(strstr(strstr(log, "the queue is full") + 1, "the queue is full"));
        assert_non_null(strstr(log, "(1 dropped so far)"));
        assert_non_null(strstr(log, "stopping with 1024 notifications not sent: dropped (1034 "
                                    "dropped in all)"));
}

static void test_credentials(void **state)
{
        struct fixture *fx = *state;
        struct notify *n = (struct notify *)0x1;
        char *path = NULL, want[128];

        target(fx, 0, "/ok", 1u << NOTIFY_HOLD, true);
        fx->headers[0].credential = (char *)"missing-token";
        assert_int_equal(notify_new(&n, fx->e, &fx->c, fx->dir, &path), -ENOENT);
        snprintf(want, sizeof(want), "%s/missing-token", fx->dir);
        assert_string_equal(path, want);
        assert_ptr_equal(n, (struct notify *)0x1); /* untouched */
        free(path);

        put(fx->dir, "empty", "\n");
        fx->headers[0].credential = (char *)"empty";
        assert_int_equal(notify_new(&n, fx->e, &fx->c, fx->dir, &path), -EINVAL);
        assert_non_null(strstr(path, "/empty"));
        free(path);

        path = NULL;
        assert_int_equal(notify_new(&n, fx->e, &fx->c, NULL, &path), -ENXIO);
        assert_null(path);

        /* a URL check would refuse is refused here too */
        fx->headers[0].credential = (char *)"notify-ops-token";
        fx->targets[0].url = (char *)"http://192.0.2.1/hook";
        assert_int_equal(notify_new(&n, fx->e, &fx->c, fx->dir, &path), -EPROTONOSUPPORT);
        assert_ptr_equal(n, (struct notify *)0x1);
}

static void test_reload(void **state)
{
        struct fixture *fx = *state;
        struct notify *n;
        char *path = NULL;

        target(fx, 0, "/hang", 1u << NOTIFY_HOLD, false);
        n = new_notify(fx);
        notify_set_timing(n, 5, 300);
        assert_int_equal(notify_send(n, &hold_event), 1);
        run_until_hanging(fx, 1);

        /* a failed reload changes nothing */
        target(fx, 0, "/ok", 1u << NOTIFY_REJECT, true);
        fx->headers[0].credential = (char *)"missing-token";
        assert_int_equal(notify_reload(n, &fx->c, fx->dir, &path), -ENOENT);
        assert_non_null(strstr(path, "/missing-token"));
        free(path);
        assert_true(notify_wants(n, NOTIFY_HOLD));
        assert_false(notify_wants(n, NOTIFY_REJECT));

        fx->headers[0].credential = (char *)"notify-ops-token";
        assert_int_equal(notify_reload(n, &fx->c, fx->dir, &path), 0);
        assert_null(path);
        assert_false(notify_wants(n, NOTIFY_HOLD));
        assert_int_equal(notify_send(n, &hold_event), 0);
        assert_int_equal(notify_send(n, &(struct notify_event){ .kind = NOTIFY_REJECT }), 1);
        run_until_idle(fx, n);
        /* the held item kept its old target through all its attempts */
        assert_int_equal(server_count("/hang"), NOTIFY_ATTEMPTS_MAX);
        assert_int_equal(server_count("/ok"), 1);
        assert_int_equal(stats(n).sent, 1);
        assert_int_equal(stats(n).failed, 1);
        notify_free(n);
}

/* ---- the server's life ---- */

static int group_setup(void **state)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
        const union MHD_DaemonInfo *info;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
        log_open(LOG_TARGET_STDERR);
        log_set_max_priority(LOG_DEBUG);
        srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                 NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &a,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
        if (!srv.d)
                return -1;
        info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || info->port == 0)
                return -1;
        srv.port = info->port;
        return 0;
}

static int group_teardown(void **state)
{
        server_reset();
        MHD_stop_daemon(srv.d);
        curl_global_cleanup();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_body_kinds),
                cmocka_unit_test(test_body_fields),
                cmocka_unit_test(test_body_escaping),
                cmocka_unit_test_setup_teardown(test_no_targets, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hang_times_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hang_does_not_starve, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exit_when_sent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
