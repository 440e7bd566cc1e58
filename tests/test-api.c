/* test-api.c: the API client.  The pure parts (which URLs may be followed,
 * Retry-After parsing, the backoff) table-driven; the client itself on a
 * real sd-event loop against a small HTTP server that lives on the same
 * loop (below), so that every test sees exactly what went over the wire
 * and when a callback ran.  Also the id map and the credential files. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "api.h"
#include "credentials.h"
#include "idmap.h"
#include "util.h"

/* ---- faults: libcurl calls that fail on demand ----
 * The test program defines these two libcurl functions itself, so the
 * client (linked statically into this program) calls them; they hand over
 * to libcurl's own unless a test asked for a failure. */

static bool fail_easy_init, fail_add_handle;

CURL *curl_easy_init(void)
{
        static CURL *(*real)(void);

        if (fail_easy_init)
                return NULL;
        if (!real)
                *(void **)&real = dlsym(RTLD_NEXT, "curl_easy_init");
        return real();
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
        static CURLMcode (*real)(CURLM *, CURL *);

        if (fail_add_handle)
                return CURLM_OUT_OF_MEMORY;
        if (!real)
                *(void **)&real = dlsym(RTLD_NEXT, "curl_multi_add_handle");
        return real(m, e);
}

/* ---- a small HTTP/1.1 server on the test's loop ----
 * One request per connection (each answer says Connection: close).  A
 * test gives a handler that looks at the request line and queues the
 * answer's bytes; the server writes them out (one byte per tick when
 * trickling) and records every request line it read. */

#define SRV_MAX_REQUESTS 64

struct conn;
typedef void (*srv_handler_t)(struct conn *c, const char *method, const char *path);

struct srv {
        sd_event *e;
        int fd;
        sd_event_source *io;
        char url[64];
        srv_handler_t handler;
        unsigned n_requests, n_token;
        char paths[SRV_MAX_REQUESTS][160]; /* "METHOD PATH" as read */
        unsigned n_open; /* connections not yet closed */
        unsigned invalid_token_left; /* /protected answers 401 invalid_token this often */
        const char *retry_after; /* /limited answers 429 with this Retry-After */
        bool token_429; /* /token answers 429 with Retry-After: 3600 */
};

struct conn {
        struct srv *srv;
        int fd;
        sd_event_source *io, *tick;
        char in[8192];
        size_t in_len;
        char *out;
        size_t out_len, out_off;
        bool replied, trickle, hold; /* hold: never answer */
};

static struct srv srv;
static char filler[1024]; /* 'a' */

static void conn_close(struct conn *c)
{
        c->io = sd_event_source_disable_unref(c->io);
        c->tick = sd_event_source_disable_unref(c->tick);
        close(c->fd);
        free(c->out);
        c->srv->n_open--;
        free(c);
}

/* Queues bytes of the answer. */
static void conn_write(struct conn *c, const void *data, size_t n)
{
        c->out = realloc(c->out, c->out_len + n);
        assert_non_null(c->out);
        memcpy(c->out + c->out_len, data, n);
        c->out_len += n;
}

static void conn_reply(struct conn *c, int status, const char *headers, const char *body)
{
        char head[512];
        int n;

        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     status, strlen(body), headers ? headers : "");
        assert_true(n > 0 && (size_t)n < sizeof(head));
        conn_write(c, head, (size_t)n);
        conn_write(c, body, strlen(body));
}

static int conn_flush(struct conn *c)
{
        size_t n = c->trickle ? 1 : c->out_len - c->out_off;
        ssize_t k;

        if (c->out_off == c->out_len)
                return 0;
        k = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k < 0)
                return -errno; /* the client hung up */
        c->out_off += (size_t)k;
        return 0;
}

static int on_conn_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct conn *c = userdata;

        if (conn_flush(c) < 0 || c->out_off == c->out_len) {
                conn_close(c);
                return 0;
        }
        (void)sd_event_source_set_time_relative(s, 200000);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* The request is complete once its headers and Content-Length bytes are in. */
static bool request_complete(struct conn *c)
{
        const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4), *cl;
        size_t head, body = 0;

        if (!end)
                return false;
        head = (size_t)(end - c->in) + 4;
        cl = strcasestr(c->in, "\r\nContent-Length:");
        if (cl && cl < end)
                body = strtoul(cl + 17, NULL, 10);
        return c->in_len >= head + body;
}

static void conn_handle(struct conn *c)
{
        char method[16], path[128];
        const char *sp1 = memchr(c->in, ' ', c->in_len), *sp2;
        struct srv *s = c->srv;

        assert_non_null(sp1);
        sp2 = memchr(sp1 + 1, ' ', c->in_len - (size_t)(sp1 + 1 - c->in));
        assert_non_null(sp2);
        snprintf(method, sizeof(method), "%.*s", (int)(sp1 - c->in), c->in);
        snprintf(path, sizeof(path), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
        if (s->n_requests < SRV_MAX_REQUESTS)
                snprintf(s->paths[s->n_requests], sizeof(s->paths[0]), "%s %s", method, path);
        s->n_requests++;
        if (streq(path, "/token")) {
                s->n_token++;
                if (strstr(c->in, "grant_type=client_credentials") == NULL)
                        conn_reply(c, 400, NULL, "{\"error\":\"invalid_request\"}");
                else if (s->token_429)
                        conn_reply(c, 429, "Retry-After: 3600\r\n", "{\"statusCode\":429}");
                else if (strstr(c->in, "client_secret=right-secret"))
                        conn_reply(c, 200, NULL,
                                   "{\"access_token\":\"tok\",\"token_type\":\"Bearer\","
                                   "\"expires_in\":3600}");
                else
                        conn_reply(c, 401, NULL,
                                   "{\"error\":\"invalid_client\",\"message\":\"wrong secret\"}");
        } else
                s->handler(c, method, path);
        c->replied = true;
}

static int on_conn_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
        struct conn *c = userdata;

        if (!c->replied && (revents & EPOLLIN)) {
                ssize_t k =
                        recv(fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);

                if (k <= 0) {
                        if (k < 0 && errno == EAGAIN)
                                return 0;
                        conn_close(c);
                        return 0;
                }
                c->in_len += (size_t)k;
                c->in[c->in_len] = '\0';
                if (!request_complete(c))
                        return 0;
                conn_handle(c);
                if (c->hold) /* wait for the client to hang up */
                        return 0;
                if (c->trickle) {
                        (void)sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
                        return sd_event_add_time_relative(c->srv->e, &c->tick, CLOCK_MONOTONIC, 0,
                                                          1, on_conn_tick, c);
                }
                return sd_event_source_set_io_events(c->io, EPOLLOUT);
        }
        if (c->hold) {
                char b[64];

                if (recv(fd, b, sizeof(b), MSG_DONTWAIT) == 0)
                        conn_close(c);
                return 0;
        }
        if (conn_flush(c) < 0 || c->out_off == c->out_len)
                conn_close(c);
        return 0;
}

static int on_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
        struct srv *s = userdata;
        struct conn *c;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (cfd < 0)
                return 0;
        c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->srv = s;
        c->fd = cfd;
        s->n_open++;
        return sd_event_add_io(s->e, &c->io, cfd, EPOLLIN, on_conn_io, c);
}

static void srv_start(sd_event *e, srv_handler_t handler)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);

        memset(&srv, 0, sizeof(srv));
        srv.e = e;
        srv.handler = handler;
        srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(srv.fd >= 0);
        assert_int_equal(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(srv.fd, 64), 0);
        assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&sa, &len), 0);
        snprintf(srv.url, sizeof(srv.url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
        assert_int_equal(sd_event_add_io(e, &srv.io, srv.fd, EPOLLIN, on_accept, &srv), 0);
}

static void srv_stop(void)
{
        srv.io = sd_event_source_disable_unref(srv.io);
        close(srv.fd);
}

/* ---- the client on a loop ---- */

struct result {
        unsigned calls;
        int status, error;
        char detail[512];
        char body[256];
        char api_error[API_ERROR_MAX + 8]; /* "(null)" when none */
};

static void on_done(struct api *a, const struct api_response *r, void *userdata)
{
        struct result *res = userdata;

        res->calls++;
        res->status = r->status;
        res->error = r->error;
        snprintf(res->detail, sizeof(res->detail), "%s", r->detail ? r->detail : "");
        snprintf(res->body, sizeof(res->body), "%.*s", (int)r->body_size, r->body);
        snprintf(res->api_error, sizeof(res->api_error), "%s",
                 r->api_error ? r->api_error : "(null)");
}

struct fixture {
        sd_event *e;
        struct api *a;
        struct api_options opt;
        struct api_config cfg;
        char token_url[96];
};

static struct fixture fx;

/* A loop and a server with handler; fx.cfg and fx.opt for a client of it. */
static void fx_start(srv_handler_t handler)
{
        memset(&fx, 0, sizeof(fx));
        memset(filler, 'a', sizeof(filler));
        fail_easy_init = fail_add_handle = false;
        assert_int_equal(sd_event_new(&fx.e), 0);
        srv_start(fx.e, handler);
        snprintf(fx.token_url, sizeof(fx.token_url), "%s/token", srv.url);
        fx.cfg.base_url = srv.url;
        fx.cfg.token_url = fx.token_url;
        fx.cfg.timeout_ms = 10000;
        fx.cfg.max_parallel = 4;
        fx.opt.max_attempts = 2;
        fx.opt.backoff_base_usec = 1000;
        fx.opt.backoff_cap_usec = 2000;
}

/* The client, with fx.cfg and fx.opt, sending secret to /token. */
static void fx_api_secret(const char *secret)
{
        struct credentials creds = { .subscription_key = (char *)"key",
                                     .client_id = (char *)"id",
                                     .client_secret = (char *)secret };

        assert_int_equal(api_new(&fx.a, fx.e, &fx.cfg, &creds, &fx.opt), 0);
}

static void fx_api(void)
{
        fx_api_secret("right-secret");
}

static void fx_stop(void)
{
        api_free(fx.a);
        fx.a = NULL;
        /* let the server see the client hang up, then close what is left */
        while (srv.n_open > 0 && sd_event_run(fx.e, 100000) > 0)
                ;
        srv_stop();
        fx.e = sd_event_unref(fx.e);
}

/* Runs the loop until *calls reaches want.  A loop that goes quiet for
 * 20 s has hung: that fails the test (a guard, not a timing assertion). */
static void run_until(const unsigned *calls, unsigned want)
{
        while (*calls < want) {
                int r = sd_event_run(fx.e, 20 * UINT64_C(1000000));

                assert_true(r >= 0);
                if (r == 0)
                        fail_msg("the loop went quiet with %u of %u callbacks", *calls, want);
        }
}

static void reply_ok(struct conn *c, const char *method, const char *path)
{
        if (streq(path, "/hold"))
                c->hold = true;
        else if (streq(path, "/protected") && srv.invalid_token_left > 0) {
                srv.invalid_token_left--;
                conn_reply(c, 401, "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n",
                           "{\"statusCode\":401}");
        } else if (streq(path, "/redirect")) {
                conn_reply(c, 307, "Location: /steal\r\n", "{}");
        } else if (streq(path, "/limited")) {
                char h[128];

                snprintf(h, sizeof(h), "Retry-After: %s\r\n", srv.retry_after);
                conn_reply(c, 429, h, "{\"statusCode\":429}");
        } else if (streq(path, "/endless-header")) {
                /* one header line that never ends (1 MiB, then the server waits) */
                conn_write(c, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
                for (int i = 0; i < 1024; i++)
                        conn_write(c, filler, sizeof(filler));
        } else if (streq(path, "/many-headers")) {
                /* 2,000 short lines: 150 KiB of headers */
                conn_write(c, "HTTP/1.1 200 OK\r\n", 17);
                for (int i = 0; i < 2000; i++) {
                        char h[128];
                        int n = snprintf(h, sizeof(h), "X-Filler-%04d: %.60s\r\n", i, filler);

                        conn_write(c, h, (size_t)n);
                }
                conn_write(c, "Content-Length: 2\r\n\r\n{}", 24);
        } else if (streq(path, "/trickle")) {
                c->trickle = true;
                conn_reply(c, 200, NULL, "{\"slowly\":\"one byte at a time\"}");
        } else if (streq(path, "/missing"))
                conn_reply(c, 404, NULL, "{\"error\":\"not_found\",\"message\":\"no such order\"}");
        else
                conn_reply(c, 200, NULL, "{\"ok\":true}");
}

/* ---- callbacks run from the loop, never inside the call ---- */

static void test_callback_from_loop(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        assert_int_equal(res.calls, 0);
        assert_int_equal(api_n_outstanding(fx.a), 1);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, 0);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.body, "{\"ok\":true}");
        assert_int_equal(api_n_outstanding(fx.a), 0);
        fx_stop();
}

static void test_cancel_pending_deferred(void **state)
{
        struct result res[3] = { 0 };
        unsigned calls = 0;

        fx_start(reply_ok);
        fx_api();
        /* queued behind the token request */
        for (size_t i = 0; i < ELEMENTSOF(res); i++)
                assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res[i]), 0);
        api_cancel_pending(fx.a);
        for (size_t i = 0; i < ELEMENTSOF(res); i++)
                assert_int_equal(res[i].calls, 0);
        assert_int_equal(api_n_outstanding(fx.a), 3);
        while (calls < 3) {
                assert_true(sd_event_run(fx.e, 20 * UINT64_C(1000000)) > 0);
                calls = res[0].calls + res[1].calls + res[2].calls;
        }
        for (size_t i = 0; i < ELEMENTSOF(res); i++) {
                assert_int_equal(res[i].calls, 1);
                assert_int_equal(res[i].error, -ECANCELED);
        }
        assert_int_equal(api_n_outstanding(fx.a), 0);
        fx_stop();
}

static void test_drain_deferred(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        api_drain(fx.a);
        assert_int_equal(res.calls, 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ECANCELED);
        fx_stop();
}

static void test_cancel_all_deferred(void **state)
{
        struct result res[2] = { 0 };

        fx_start(reply_ok);
        fx_api();
        for (size_t i = 0; i < ELEMENTSOF(res); i++)
                assert_int_equal(api_request_path(fx.a, API_GET, "/hold", NULL, on_done, &res[i]),
                                 0);
        /* both on the wire: the server has read them */
        while (srv.n_requests < 3)
                assert_true(sd_event_run(fx.e, 20 * UINT64_C(1000000)) > 0);
        api_cancel_all(fx.a);
        assert_int_equal(res[0].calls + res[1].calls, 0);
        assert_int_equal(api_n_outstanding(fx.a), 2);
        run_until(&res[1].calls, 1);
        run_until(&res[0].calls, 1);
        assert_int_equal(res[0].error, -ECANCELED);
        assert_int_equal(res[1].error, -ECANCELED);
        fx_stop();
}

/* A callback that cancels everything and starts a new request: neither
 * runs another callback inside it, and the new request goes out. */
struct reenter {
        struct result res[3], fresh;
        bool started;
};

static void on_done_reenter(struct api *a, const struct api_response *r, void *userdata)
{
        struct reenter *x = userdata;

        if (x->started)
                return;
        x->started = true;
        x->res[0].calls++;
        x->res[0].error = r->error;
        api_cancel_all(a);
        assert_int_equal(x->res[1].calls + x->res[2].calls, 0);
        assert_int_equal(api_request_path(a, API_GET, "/ok", NULL, on_done, &x->fresh), 0);
        assert_int_equal(x->fresh.calls, 0);
}

static void test_callback_reenters(void **state)
{
        struct reenter x = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done_reenter, &x), 0);
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &x.res[1]), 0);
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &x.res[2]), 0);
        api_cancel_pending(fx.a);
        run_until(&x.res[0].calls, 1);
        run_until(&x.res[1].calls, 1);
        run_until(&x.res[2].calls, 1);
        run_until(&x.fresh.calls, 1);
        assert_int_equal(x.res[0].error, -ECANCELED);
        assert_int_equal(x.res[1].error, -ECANCELED);
        assert_int_equal(x.res[2].error, -ECANCELED);
        assert_int_equal(x.fresh.error, 0);
        assert_int_equal(x.fresh.status, 200);
        fx_stop();
}

/* api_free() ends what is left: each callback runs once, with -ECANCELED. */
static void test_free_cancels(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/hold", NULL, on_done, &res), 0);
        fx_stop();
        assert_int_equal(res.calls, 1);
        assert_int_equal(res.error, -ECANCELED);
}

/* ---- a request that cannot start fails through its callback ---- */

static void test_start_fails(void **state)
{
        struct result first = { 0 }, res = { 0 }, later = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &first), 0);
        run_until(&first.calls, 1); /* the token is there */
        assert_int_equal(first.status, 200);
        fail_add_handle = true;
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        assert_int_equal(res.calls, 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ENOMEM);
        assert_int_equal(res.status, 0);
        assert_true(res.detail[0] != '\0');
        fail_add_handle = false;
        fail_easy_init = true;
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.error, -ENOMEM);
        fail_easy_init = false;
        /* the client goes on */
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &later), 0);
        run_until(&later.calls, 1);
        assert_int_equal(later.status, 200);
        assert_int_equal(api_n_outstanding(fx.a), 0);
        fx_stop();
}

static void test_token_start_fails(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        fail_add_handle = true;
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        assert_int_equal(res.calls, 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ENOMEM);
        assert_non_null(strstr(res.detail, "token"));
        assert_int_equal(srv.n_requests, 0);
        fx_stop();
}

static void test_bad_url(void **state)
{
        struct result res = { 0 };
        char url[128];

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request(fx.a, API_GET, "not a url", NULL, on_done, &res), 0);
        assert_int_equal(res.calls, 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -EINVAL);
        assert_true(res.detail[0] != '\0');
        /* credentials never go to another origin, whoever asks */
        snprintf(url, sizeof(url), "http://127.0.0.2%s/x", strrchr(srv.url, ':'));
        assert_int_equal(api_request(fx.a, API_GET, url, NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.error, -EPERM);
        assert_int_equal(srv.n_requests, 0);
        fx_stop();
}

/* ---- origins: credentials go to base_url's origin only ---- */

/* Copies form into buf with each "PORT" replaced by port. */
static void with_port(char *buf, size_t size, const char *form, unsigned port)
{
        size_t n = 0;

        for (const char *p = form; *p; p++) {
                int k = 1;

                if (strncmp(p, "PORT", 4) == 0) {
                        k = snprintf(buf + n, size - n, "%u", port);
                        p += 3;
                } else
                        buf[n] = *p;
                n += (size_t)k;
                assert_true(n < size);
        }
        buf[n] = '\0';
}

/* Each form (PORT: the server's port) ends with an error and sends
 * nothing; each other spelling of the server's own origin reaches it,
 * because libcurl connects where api_same_origin() says. */
static void test_origin_forms(void **state)
{
        static const char *const foreign[] = {
                "http://127.0.0.1:PORT@evil.example/o",
                "http://evil.example#@127.0.0.1:PORT/o",
                "http://127.0.0.1:PORT.evil.example/o",
                "//127.0.0.1:PORT/o",
                "/o",
                "",
                "http:127.0.0.1:PORT/o",
                "http://[::1]:PORT/o",
                "http://127.0.0.1:PORT\t/o",
                "http://localhost.:PORT/o",
                "http://localhost:PORT/o",
                "https://127.0.0.1:PORT/o",
                "http://127.0.0.1:80/o",
                "http://127.0.0.1/o",
                " http://127.0.0.1:PORT/o",
                "http://127.0.0.1:PORT /o",
                "http://127.0.0.1%2e:PORT/o",
                "http://127.0.0.1:PORT\\@evil.example/o",
                "http://evil.example\\@127.0.0.1:PORT/o",
                "ws://127.0.0.1:PORT/o",
                "ftp://127.0.0.1:PORT/o",
                "file://127.0.0.1:PORT/o",
                "http://127.0.0.1:65536/o",
                "http://127.0.0.1:-1/o",
                "http://127.0.0.1:PORT:PORT/o",
                "http://user@127.0.0.1:PORT/o",
                "http://:pw@127.0.0.1:PORT/o",
                "http://127.0.0.1:PORT/o\r\nHost: evil.example",
                "http://127.0.0.2:PORT/o",
                "http://0.0.0.0:PORT/o",
                "http://[::ffff:7f00:1]:PORT/o",
                "http://[::]:PORT/o",
        };
        static const char *const same[] = {
                "HTTP://127.0.0.1:PORT/ok",
                "http://0x7f.0.0.1:PORT/ok",
                "http://2130706433:PORT/ok",
                "http://0177.0.0.1:PORT/ok",
                "http://127.1:PORT/ok",
                "http://%31%32%37.0.0.1:PORT/ok",
                "http://127.0.0.1:0PORT/ok",
                "http:/127.0.0.1:PORT/ok",
                "http://127.0.0.1:PORT/ok#@evil.example",
        };
        struct result res = { 0 };
        struct api_stats st;
        unsigned port;
        char url[256];

        fx_start(reply_ok);
        fx_api();
        port = (unsigned)atoi(strrchr(srv.url, ':') + 1);
        assert_true(ELEMENTSOF(foreign) >= 32);
        for (size_t i = 0; i < ELEMENTSOF(foreign); i++) {
                with_port(url, sizeof(url), foreign[i], port);
                assert_int_equal(api_request(fx.a, API_GET, url, NULL, on_done, &res), 0);
                run_until(&res.calls, (unsigned)i + 1);
                if (res.error != -EPERM && res.error != -EINVAL && res.error != -EPROTONOSUPPORT)
                        fail_msg("'%s': error %d", url, res.error);
        }
        api_get_stats(fx.a, &st);
        assert_int_equal(st.requests, 0);
        assert_int_equal(srv.n_requests, 0);
        for (size_t i = 0; i < ELEMENTSOF(same); i++) {
                with_port(url, sizeof(url), same[i], port);
                assert_int_equal(api_request(fx.a, API_GET, url, NULL, on_done, &res), 0);
                run_until(&res.calls, (unsigned)(ELEMENTSOF(foreign) + i + 1));
                if (res.status != 200)
                        fail_msg("'%s': status %d, error %d", url, res.status, res.error);
        }
        assert_int_equal(srv.n_requests, 1 + ELEMENTSOF(same)); /* the token, then each */
        fx_stop();
}

/* A redirect is the answer, never followed: the token and the key would
 * go wherever Location says. */
static void test_redirect_not_followed(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_POST, "/redirect", "{}", on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.status, 307);
        assert_int_equal(res.error, 0);
        assert_int_equal(srv.n_requests, 2);
        assert_string_equal(srv.paths[1], "POST /redirect");
        fx_stop();
}

/* ---- what goes on the wire ---- */

static void test_path_as_is(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/orders/..", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(srv.n_requests, 2);
        assert_string_equal(srv.paths[0], "POST /token");
        assert_string_equal(srv.paths[1], "GET /orders/..");
        assert_int_equal(api_request_path(fx.a, API_GET, "/orders/./x/../y", NULL, on_done, &res),
                         0);
        run_until(&res.calls, 2);
        assert_string_equal(srv.paths[2], "GET /orders/./x/../y");
        fx_stop();
}

/* ---- error answers ---- */

static void test_token_refused(void **state)
{
        struct result res[2] = { 0 };

        fx_start(reply_ok);
        fx_api_secret("wrong-secret");
        for (size_t i = 0; i < ELEMENTSOF(res); i++)
                assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res[i]), 0);
        run_until(&res[1].calls, 1);
        for (size_t i = 0; i < ELEMENTSOF(res); i++) {
                assert_int_equal(res[i].calls, 1);
                assert_int_equal(res[i].error, -EACCES);
                assert_int_equal(res[i].status, 401);
                assert_string_equal(res[i].api_error, "invalid_client");
                assert_non_null(strstr(res[i].detail, "refused the client id or secret"));
                assert_non_null(strstr(res[i].detail, "HTTP 401"));
                assert_null(strstr(res[i].detail, "wrong-secret"));
        }
        assert_int_equal(srv.n_requests, 1); /* one token request, not retried */
        fx_stop();
}

static void test_api_error_code(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/missing", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, 0);
        assert_int_equal(res.status, 404);
        assert_string_equal(res.api_error, "not_found");
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.api_error, "(null)");
        fx_stop();
}

/* 401 invalid_token: a new token, and the request once more. */
static void test_invalid_token(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        srv.invalid_token_left = 2;
        assert_int_equal(api_request_path(fx.a, API_GET, "/protected", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.status, 401); /* twice: given up after one new token */
        assert_string_equal(res.api_error, "(null)");
        assert_int_equal(srv.n_token, 2);
        srv.invalid_token_left = 1;
        assert_int_equal(api_request_path(fx.a, API_GET, "/protected", NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.status, 200);
        assert_int_equal(srv.n_token, 3);
        fx_stop();
}

static void test_parse_error_code(void **state)
{
        static const struct {
                const char *in, *code;
        } cases[] = {
                { "{\"error\":\"invalid_client\",\"error_description\":\"x\"}", "invalid_client" },
                { " {\"error\":{\"code\":\"OrderNotFound\",\"message\":\"m\"}}", "OrderNotFound" },
                { "{\"code\":\"not_found\"}", "not_found" },
                { "{\"statusCode\":401,\"message\":\"Access denied\"}", NULL },
                { "{\"error\":\"two\\nlines\"}", NULL },
                { "{\"error\":\"\"}", NULL },
                { "{\"error\":"
                  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                  NULL }, /* 64 bytes: too long */
                { "{\"error\":\"quo\\\"te\"}", NULL },
                { "{\"error\":5}", NULL },
                { "[\"error\"]", NULL },
                { "<html>error</html>", NULL },
                { "", NULL },
        };
        char buf[API_ERROR_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_parse_error_code(cases[i].in, strlen(cases[i].in), buf, sizeof(buf));

                if (r != !!cases[i].code || (r == 1 && !streq(buf, cases[i].code)) ||
                    (r == 0 && buf[0]))
                        fail_msg("'%s': %d '%s'", cases[i].in, r, buf);
        }
        /* the length is honoured: no NUL needed, none read past */
        assert_int_equal(api_parse_error_code("{\"error\":\"x\"}garbage", 13, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "x");
}

static void test_parse_token(void **state)
{
        static const struct {
                const char *in;
                int r;
                const char *token;
                uint64_t life_s;
        } cases[] = {
                { "{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":3600}", 0,
                  "abc", 3600 },
                { "{\"access_token\":\"abc\"}", 0, "abc", 3600 },
                { "{\"access_token\":\"abc\",\"expires_in\":\"3599\"}", 0, "abc", 3599 },
                { "{\"access_token\":\"abc\",\"expires_in\":1}", 0, "abc", 1 },
                { "{\"access_token\":\"abc\",\"expires_in\":0}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"abc\",\"expires_in\":-5}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"abc\",\"expires_in\":1e300}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"abc\",\"expires_in\":\"-5\"}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"abc\",\"expires_in\":\"soon\"}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"abc\",\"expires_in\":null}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"\"}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", -EBADMSG, NULL, 0 },
                { "{\"access_token\":\"a\\u0000b\"}", -EBADMSG, NULL,
                  0 }, /* cut at the NUL: "a"? */
                { "{\"access_token\":42}", -EBADMSG, NULL, 0 },
                { "[\"access_token\"]", -EBADMSG, NULL, 0 },
                { "{\"error\":\"invalid_client\"}", -EBADMSG, NULL, 0 },
                { "access_token=abc", -EBADMSG, NULL, 0 },
                { "", -EBADMSG, NULL, 0 },
        };
        _cleanup_free_ char *big = NULL;
        uint64_t life;
        char *t;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_parse_token(cases[i].in, strlen(cases[i].in), &t, &life);

                if (r != cases[i].r)
                        fail_msg("'%s': %d, want %d", cases[i].in, r, cases[i].r);
                if (r == 0) {
                        assert_string_equal(t, cases[i].token);
                        assert_int_equal(life, cases[i].life_s * 1000000);
                        free(t);
                }
        }
        /* a token must fit in API_TOKEN_MAX - 1 bytes */
        big = malloc(API_TOKEN_MAX + 32);
        assert_non_null(big);
        for (size_t n = API_TOKEN_MAX - 1; n <= API_TOKEN_MAX; n++) {
                int k = snprintf(big, API_TOKEN_MAX + 32, "{\"access_token\":\"%0*d\"}", (int)n, 0);
                int r = api_parse_token(big, (size_t)k, &t, &life);

                assert_int_equal(r, n < API_TOKEN_MAX ? 0 : -EBADMSG);
                if (r == 0)
                        free(t);
        }
}

/* ---- bounded waits ---- */

static void test_retry_after_budget(void **state)
{
        struct result res = { 0 }, other = { 0 };
        unsigned limited = 0;

        fx_start(reply_ok);
        fx.opt.retry_after_budget_usec = 1500000; /* 1.5 s */
        fx_api();
        /* Retry-After: 1 fits once; the second 429 would go over */
        srv.retry_after = "1";
        assert_int_equal(api_request_path(fx.a, API_GET, "/limited", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ETIME);
        assert_int_equal(res.status, 429);
        assert_non_null(strstr(res.detail, "Retry-After budget of 1.5 s used up"));
        for (unsigned i = 0; i < srv.n_requests && i < SRV_MAX_REQUESTS; i++)
                limited += streq(srv.paths[i], "GET /limited");
        assert_int_equal(limited, 2);
        /* an hour asked for: over at once, nothing waits */
        srv.retry_after = "3600";
        assert_int_equal(api_request_path(fx.a, API_GET, "/limited", NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.error, -ETIME);
        assert_non_null(strstr(res.detail, "3600 s"));
        /* other requests are not held up */
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &other), 0);
        run_until(&other.calls, 1);
        assert_int_equal(other.status, 200);
        fx_stop();
}

static void test_retry_after_budget_token(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx.opt.retry_after_budget_usec = 5000000;
        fx_api();
        srv.token_429 = true;
        assert_int_equal(api_request_path(fx.a, API_GET, "/ok", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ETIME);
        assert_non_null(strstr(res.detail, "token"));
        assert_non_null(strstr(res.detail, "Retry-After budget of 5 s used up"));
        assert_int_equal(srv.n_token, 1);
        fx_stop();
}

static void test_endless_header(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/endless-header", NULL, on_done, &res),
                         0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -EMSGSIZE);
        assert_non_null(strstr(res.detail, "a response header line over 100 KiB"));
        assert_int_equal(srv.n_requests, 2); /* not retried */
        assert_int_equal(api_request_path(fx.a, API_GET, "/many-headers", NULL, on_done, &res), 0);
        run_until(&res.calls, 2);
        assert_int_equal(res.error, -EMSGSIZE);
        assert_non_null(strstr(res.detail, "the response headers exceed 64 KiB"));
        assert_int_equal(srv.n_requests, 3);
        fx_stop();
}

/* A server that sends one byte at a time is cut off at the timeout. */
static void test_trickle(void **state)
{
        struct result res = { 0 };

        fx_start(reply_ok);
        fx.cfg.timeout_ms = 1000;
        fx.opt.max_attempts = 1;
        fx_api();
        assert_int_equal(api_request_path(fx.a, API_GET, "/trickle", NULL, on_done, &res), 0);
        run_until(&res.calls, 1);
        assert_int_equal(res.error, -ETIMEDOUT);
        assert_true(res.detail[0] != '\0');
        fx_stop();
}

static void test_check_url(void **state)
{
        static const struct {
                const char *url;
                int r;
        } cases[] = {
                { "https://api.appxite.com", 0 },
                { "https://api.appxite.com:8443/x", 0 },
                { "http://127.0.0.1:8080", 0 },
                { "http://127.3.4.5/", 0 },
                { "http://localhost:1/", 0 },
                { "http://[::1]:9/", 0 },
                { "http://api.appxite.com", -EPROTONOSUPPORT },
                { "http://10.0.0.1", -EPROTONOSUPPORT },
                { "http://128.0.0.1", -EPROTONOSUPPORT },
                { "ftp://127.0.0.1/", -EPROTONOSUPPORT },
                { "file:///etc/passwd", -EINVAL }, /* no host */
                { "https://user:pw@api.appxite.com/", -EINVAL },
                { "not a url", -EINVAL },
                { "", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_check_url(cases[i].url);

                if (r != cases[i].r)
                        fail_msg("%s: %d, want %d", cases[i].url, r, cases[i].r);
        }
}

static void test_same_origin(void **state)
{
        static const struct {
                const char *base, *url;
                int r;
        } cases[] = {
                { "https://api.appxite.com", "https://api.appxite.com/orders/1/approve", 1 },
                { "https://api.appxite.com/", "https://API.appxite.com:443/o", 1 },
                { "https://api.appxite.com", "https://api.appxite.com:444/o", 0 },
                { "https://api.appxite.com", "http://api.appxite.com/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com.evil.example/o", 0 },
                { "https://api.appxite.com", "https://evil.example/api.appxite.com", 0 },
                { "https://api.appxite.com", "https://x@api.appxite.com/o", 0 },
                { "http://127.0.0.1:8080", "http://127.0.0.1:8080/orders/ORD-1/reject", 1 },
                { "http://127.0.0.1:8080", "http://127.0.0.1:8081/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "http://localhost:8080/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "garbage", 0 },
                /* what libcurl would connect to decides, not the spelling */
                { "http://127.0.0.1:8080", "http://127.0.0.%31:8080/o", 1 },
                { "https://api.appxite.com", "https://api.appxite.com%2eevil.example/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com\\@evil.example/o", 0 },
                { "https://api.appxite.com", "https://:pw@api.appxite.com/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com./o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com:0443/o", 1 },
                { "http://[::1]:8080", "http://[0:0::1]:8080/o", 1 },
                { "http://[::1]:8080", "http://[::ffff:127.0.0.1]:8080/o", 0 },
                /* the same link-local address on another interface is
                 * another host */
                { "https://[fe80::1%25eth0]", "https://[fe80::1%25eth1]/o", 0 },
                { "https://[fe80::1%25eth0]", "https://[fe80::1]/o", 0 },
                { "https://[fe80::1%25eth0]", "https://[fe80::1%25eth0]:443/o", 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_same_origin(cases[i].base, cases[i].url);

                if (r != cases[i].r)
                        fail_msg("%s vs %s: %d, want %d", cases[i].base, cases[i].url, r,
                                 cases[i].r);
        }
}

static void test_retry_after(void **state)
{
        /* now: Thu, 26 Nov 2026 12:00:00 GMT */
        const int64_t now = 1795694400;
        static const struct {
                const char *in;
                int r;
                int64_t s;
        } cases[] = {
                { "0", 0, 0 },
                { "1", 0, 1 },
                { " 7 ", 0, 7 },
                { "120", 0, 120 },
                { "3600", 0, 3600 },
                { "3601", 0, 3600 }, /* clamped to an hour */
                { "99999999999999999999999", 0, 3600 },
                { "Thu, 26 Nov 2026 12:00:30 GMT", 0, 30 },
                { "Thursday, 26-Nov-26 12:01:00 GMT", 0, 60 },
                { "Thu Nov 26 12:00:05 2026", 0, 5 },
                { "Thu, 26 Nov 2026 11:00:00 GMT", 0, 0 }, /* past */
                { "Fri, 27 Nov 2026 12:00:00 GMT", 0, 3600 },
                { "-5", -EINVAL, 0 },
                { "1.5", -EINVAL, 0 },
                { "soon", -EINVAL, 0 },
                { "", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t s = -1;
                int r = api_parse_retry_after(cases[i].in, now, &s);

                if (r != cases[i].r || (r == 0 && s != cases[i].s))
                        fail_msg("'%s': r=%d s=%lld", cases[i].in, r, (long long)s);
        }
}

static void test_www_authenticate(void **state)
{
        static const struct {
                const char *in;
                int r;
        } cases[] = {
                { "Bearer error=\"invalid_token\"", 1 },
                { "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"x\"", 1 },
                { "bearer ERROR = invalid_token", 1 },
                { "Bearer error=\"invalid_\\token\"", 1 }, /* a quoted pair */
                { "Basic realm=\"a, b\", Bearer error=invalid_token", 1 },
                { "Bearer realm=\"x\",, error=\"invalid_token\" ", 1 },
                { "Bearer error=\"insufficient_scope\"", 0 },
                { "Bearer error_description=\"invalid_token\"", 0 },
                { "Bearer realm=\"error=invalid_token\"", 0 },
                { "Basic error=\"invalid_token\"", 0 },
                { "Bearer error=\"invalid_token", 0 }, /* unterminated */
                { "Bearer error=\"invalid_tokens\"", 0 },
                { "Bearer error=invalid_token2", 0 },
                { "Bearer error=", 0 },
                { "Bearer invalid_token", 0 },
                { "Newauth realm=\"x\", error=invalid_token", 0 },
                { "", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_www_authenticate_invalid_token(cases[i].in, strlen(cases[i].in));

                if (r != cases[i].r)
                        fail_msg("'%s': %d, want %d", cases[i].in, r, cases[i].r);
        }
}

static void test_headers_feed(void **state)
{
        static const char *const lines[] = {
                "HTTP/1.1 100 Continue\r\n",
                "Retry-After: 9\r\n",
                "\r\n",
                "HTTP/1.1 429 Too Many\r\n",
                "retry-after:\t 120 \r\n",
                "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n",
                "X-Retry-After: 7\r\n",
        };
        struct api_headers h = { 0 };
        char big[200];

        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                assert_int_equal(api_headers_feed(&h, lines[i], strlen(lines[i])), 0);
        assert_string_equal(h.retry_after, "120");
        assert_true(h.invalid_token);
        assert_false(h.complete);
        assert_int_equal(api_headers_feed(&h, "\r\n", 2), 0);
        assert_true(h.complete);
        /* a value longer than the field is cut, not overrun */
        memset(big, '9', sizeof(big));
        memcpy(big, "Retry-After: ", 13);
        assert_int_equal(api_headers_feed(&h, big, sizeof(big)), 0);
        assert_int_equal(strlen(h.retry_after), sizeof(h.retry_after) - 1);
        /* the total is capped */
        h = (struct api_headers){ 0 };
        for (size_t n = 0; n + sizeof(big) <= API_HEADERS_MAX; n += sizeof(big))
                assert_int_equal(api_headers_feed(&h, big, sizeof(big)), 0);
        assert_int_equal(api_headers_feed(&h, big, sizeof(big)), -EMSGSIZE);
}

static void test_backoff(void **state)
{
        const uint64_t base = 250000, cap = 8000000;

        /* full jitter: the draw spans [0, min(cap, base * 2^(n-1))] */
        assert_int_equal(api_backoff_usec(1, base, cap, 0), 0);
        assert_int_equal(api_backoff_usec(1, base, cap, base), base);
        assert_int_equal(api_backoff_usec(1, base, cap, base + 1), 0);
        assert_int_equal(api_backoff_usec(3, base, cap, 4 * base), 4 * base);
        assert_int_equal(api_backoff_usec(3, base, cap, 4 * base + 1), 0);
        for (unsigned n = 1; n < 100; n++)
                for (uint64_t rnd = 0; rnd < 50; rnd++) {
                        uint64_t v = api_backoff_usec(n, base, cap, rnd * 7919 * 104729);

                        assert_true(v <= cap);
                }
        assert_int_equal(api_backoff_usec(60, base, cap, cap), cap);
        assert_int_equal(api_backoff_usec(0, base, cap, base), base);
}

static void test_idmap(void **state)
{
        struct idmap *m = NULL;
        char key[32];
        size_t i = 0, n = 0;
        const char *k;
        void *v;

        assert_int_equal(idmap_new(&m, free), 0);
        for (int j = 0; j < 5000; j++) {
                int *p = malloc(sizeof(int));

                *p = j;
                snprintf(key, sizeof(key), "ORD-%06d", j);
                assert_int_equal(idmap_put(m, key, p), 0);
        }
        assert_int_equal(idmap_put(m, "ORD-000007", (void *)1), -EEXIST);
        assert_int_equal(idmap_size(m), 5000);
        assert_int_equal(*(int *)idmap_get(m, "ORD-004999"), 4999);
        assert_null(idmap_get(m, "ORD-005000"));
        for (int j = 0; j < 5000; j += 2) {
                snprintf(key, sizeof(key), "ORD-%06d", j);
                assert_true(idmap_remove(m, key));
        }
        assert_false(idmap_remove(m, "ORD-000000"));
        assert_int_equal(idmap_size(m), 2500);
        while (idmap_next(m, &i, &k, &v)) {
                assert_true(*(int *)v % 2 == 1);
                n++;
        }
        assert_int_equal(n, 2500);
        assert_int_equal(*(int *)idmap_get(m, "ORD-000001"), 1);
        idmap_clear(m);
        assert_int_equal(idmap_size(m), 0);
        idmap_free(m);
}

static void test_credentials(void **state)
{
        char dir[] = "/tmp/test-cred-XXXXXX", path[128];
        struct credentials *c = NULL;
        _cleanup_free_ char *bad = NULL;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(credentials_load(dir, &c, &bad), -ENOENT);
        assert_non_null(strstr(bad, "subscription-key"));
        free(bad);
        bad = NULL;
        const char *names[] = { "subscription-key", "client-id", "client-secret" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                f = fopen(path, "we");
                fprintf(f, "%s-value\n", names[i]);
                fclose(f);
        }
        assert_int_equal(credentials_load(dir, &c, &bad), 0);
        assert_string_equal(c->client_secret, "client-secret-value");
        assert_string_equal(c->subscription_key, "subscription-key-value");
        credentials_free(c);
        snprintf(path, sizeof(path), "%s/client-id", dir);
        f = fopen(path, "we");
        fputs("two\nlines\n", f);
        fclose(f);
        assert_int_equal(credentials_load(dir, &c, &bad), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                unlink(path);
        }
        rmdir(dir);
        unsetenv("CREDENTIALS_DIRECTORY");
        assert_int_equal(credentials_load(NULL, &c, &bad), -ENXIO);
}

/* What a 2xx answer to our decision says: an approve answered with the
 * order still pending (by its configured status name) waits on other
 * parties; any other answer, or a reject, reads as the status asked for. */
static void test_answered_status(void **state)
{
        static const char yaml[] = "version: 1\n"
                                   "api:\n"
                                   "  base_url: http://127.0.0.1:1\n"
                                   "  token_url: http://127.0.0.1:1/token\n"
                                   "  statuses: {pending: waiting}\n"
                                   "rules: []\n";
        static const char pending[] = "{\"id\":\"A\",\"status\":\"waiting\"}";
        static const char approved[] = "{\"id\":\"A\",\"status\":\"Approved\"}";
        struct config *c = NULL;

        assert_int_equal(config_load_buffer("s.yaml", yaml, strlen(yaml), stderr, &c), 0);
        assert_string_equal(api_answered_status(&c->api, ACTION_APPROVE, pending, strlen(pending)),
                            "PendingApproval");
        assert_string_equal(
                api_answered_status(&c->api, ACTION_APPROVE, approved, strlen(approved)),
                "Approved");
        assert_string_equal(api_answered_status(&c->api, ACTION_APPROVE, "", 0), "Approved");
        assert_string_equal(api_answered_status(&c->api, ACTION_APPROVE, "not json", 8),
                            "Approved");
        assert_string_equal(api_answered_status(&c->api, ACTION_REJECT, pending, strlen(pending)),
                            "Rejected");
        config_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_url),
                cmocka_unit_test(test_answered_status),
                cmocka_unit_test(test_same_origin),
                cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_backoff),
                cmocka_unit_test(test_www_authenticate),
                cmocka_unit_test(test_headers_feed),
                cmocka_unit_test(test_idmap),
                cmocka_unit_test(test_credentials),
                cmocka_unit_test(test_callback_from_loop),
                cmocka_unit_test(test_cancel_pending_deferred),
                cmocka_unit_test(test_drain_deferred),
                cmocka_unit_test(test_cancel_all_deferred),
                cmocka_unit_test(test_callback_reenters),
                cmocka_unit_test(test_free_cancels),
                cmocka_unit_test(test_start_fails),
                cmocka_unit_test(test_token_start_fails),
                cmocka_unit_test(test_bad_url),
                cmocka_unit_test(test_origin_forms),
                cmocka_unit_test(test_redirect_not_followed),
                cmocka_unit_test(test_path_as_is),
                cmocka_unit_test(test_token_refused),
                cmocka_unit_test(test_api_error_code),
                cmocka_unit_test(test_invalid_token),
                cmocka_unit_test(test_parse_error_code),
                cmocka_unit_test(test_parse_token),
                cmocka_unit_test(test_retry_after_budget),
                cmocka_unit_test(test_retry_after_budget_token),
                cmocka_unit_test(test_endless_header),
                cmocka_unit_test(test_trickle),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
