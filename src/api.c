/* api.c: the HTTP client of the daemon: libcurl's multi interface plugged
 * into sd-event through its socket and timer callbacks, with a queue of
 * requests, the token, the 429 pause and the retries (see api.h).
 * A request moves through the states below by request_set_state() alone;
 * once its answer is known it waits on the finished list, and a defer
 * source runs the callbacks from the loop, so that no callback ever runs
 * inside a call into this module (nor while one of its lists is walked).
 * Secrets live in this file's memory only: headers that carry them are
 * built into curl_slists that are wiped before they are freed. */
#include "api.h"
#include "curl-loop.h"
#include "dlist.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "log.h"
#include "util.h"

#define TOKEN_REFRESH_MARGIN_USEC (60 * UINT64_C(1000000))
#define RATE_LIMIT_MAX_WAITS 100 /* 429 answers one request tolerates */
#define CONNECT_TIMEOUT_MAX_MS 10000
#define DETAIL_MAX (CURL_ERROR_SIZE + 128)

enum request_state {
        REQUEST_DETACHED, /* on no list: just made, or being moved on by a completion */
        REQUEST_QUEUED, /* waiting for a free slot, a token or the 429 pause */
        REQUEST_ACTIVE, /* on the wire */
        REQUEST_WAITING, /* waiting for its backoff timer */
        REQUEST_FINISHED, /* answer known: its callback runs from the loop */
};

struct request {
        struct api *api;
        struct request *prev, *next;
        enum request_state state;
        enum api_method method;
        bool is_token;
        bool token_retried;
        uint64_t token_gen; /* of the token it was sent with */
        unsigned attempts; /* failed attempts (5xx, network) */
        unsigned rate_limited;
        char *url;
        char *body;
        CURL *easy;
        struct curl_slist *headers;
        char *resp;
        size_t resp_size, resp_alloc;
        bool too_big; /* the body went over API_BODY_MAX */
        bool headers_too_big; /* the headers went over API_HEADERS_MAX */
        struct api_headers hdr;
        char errbuf[CURL_ERROR_SIZE];
        sd_event_source *timer;
        api_done_t done;
        void *userdata;
        /* the answer, once REQUEST_FINISHED */
        int status, error;
        bool has_detail;
        char detail[DETAIL_MAX];
        char api_error[API_ERROR_MAX]; /* "" when none */
};

struct request_list {
        struct request *first, *last;
};

struct api {
        sd_event *event;
        struct curl_loop *loop; /* the multi handle on the event loop */
        CURLM *multi; /* the loop's, borrowed */
        sd_event_source *gate_timer;
        sd_event_source *deliver; /* defer: runs the finished requests' callbacks */

        char *base_url, *token_url, *api_version, *referer, *on_behalf_of, *ca_file;
        char *token_extra; /* api.token.form, "&name=value..." URL-encoded; never NULL */
        bool token_basic; /* api.token.client_auth: basic */
        int64_t timeout_ms;
        size_t max_parallel;
        struct credentials creds;
        struct api_options opt;

        char *token;
        uint64_t token_gen;
        uint64_t token_expires_usec;
        uint64_t token_lifetime_usec;
        struct request *token_req;
        unsigned token_attempts;

        struct request_list queue, active, waiting, finished;
        size_t n_active; /* API requests on the wire (the token's not counted) */
        size_t n_outstanding; /* API requests whose callback has not run yet */
        uint64_t not_before_usec; /* 429: nothing is sent before this */
        uint64_t retry_after_used_usec; /* of opt.retry_after_budget_usec */
        bool draining; /* api_drain(): nothing is sent again */
        bool freeing; /* inside api_free() */
        bool *freed; /* set to true by api_free() while callbacks are being run */
        uint64_t rng;
        struct api_stats stats;
};

static void dispatch(struct api *a);

static void list_append(struct request_list *l, struct request *q)
{
        DLIST_APPEND(l, q);
}

static void list_prepend(struct request_list *l, struct request *q)
{
        DLIST_PREPEND(l, q);
}

static void list_remove(struct request_list *l, struct request *q)
{
        DLIST_REMOVE(l, q);
}

static struct request_list *list_of(struct api *a, enum request_state state)
{
        switch (state) {
        case REQUEST_QUEUED:
                return &a->queue;
        case REQUEST_ACTIVE:
                return &a->active;
        case REQUEST_WAITING:
                return &a->waiting;
        case REQUEST_FINISHED:
                return &a->finished;
        default:
                return NULL;
        }
}

/* The one transition: moves q from its state's list to the end (or, with
 * front, the head) of the new state's list, and counts the slots. */
static void request_set_state(struct api *a, struct request *q, enum request_state state,
                              bool front)
{
        struct request_list *from, *to;

        /* q->api is never NULL; said for the analyzer, which loses track of
         * it when a callee writes into q (a false null dereference) */
        assert(a);
        from = list_of(a, q->state);
        to = list_of(a, state);
        if (from)
                list_remove(from, q);
        if (q->state == REQUEST_ACTIVE && !q->is_token)
                a->n_active--;
        if (state == REQUEST_ACTIVE && !q->is_token)
                a->n_active++;
        q->state = state;
        if (to && front)
                list_prepend(to, q);
        else if (to)
                list_append(to, q);
}

static void wipe_free(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

static void headers_free(struct curl_slist *l)
{
        for (struct curl_slist *i = l; i; i = i->next)
                explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static uint64_t rng_next(struct api *a)
{
        /* xorshift64*: jitter needs spread, not secrecy */
        a->rng ^= a->rng >> 12;
        a->rng ^= a->rng << 25;
        a->rng ^= a->rng >> 27;
        return a->rng * UINT64_C(2685821657736338717);
}

static uint64_t now_usec(struct api *a)
{
        uint64_t t;

        if (sd_event_now(a->event, CLOCK_MONOTONIC, &t) < 0)
                t = now_monotonic_us();
        return t;
}

/* ---- requests ---- */

static void request_release_transfer(struct request *q)
{
        if (q->easy) {
                curl_multi_remove_handle(q->api->multi, q->easy);
                curl_easy_cleanup(q->easy);
                q->easy = NULL;
        }
        headers_free(q->headers);
        q->headers = NULL;
}

/* Frees q, which is on no list. */
static void request_free(struct request *q)
{
        assert(q->state == REQUEST_DETACHED);
        request_release_transfer(q);
        q->timer = sd_event_source_disable_unref(q->timer);
        free(q->url);
        wipe_free(q->body);
        if (q->resp && q->is_token)
                explicit_bzero(q->resp, q->resp_alloc); /* it held access_token */
        free(q->resp);
        free(q);
}

static void detail_vset(struct request *q, const char *format, va_list ap)
        __attribute__((format(printf, 2, 0)));
static void detail_vset(struct request *q, const char *format, va_list ap)
{
        (void)vsnprintf(q->detail, sizeof(q->detail), format, ap);
        q->has_detail = true;
}

static void detail_set(struct request *q, const char *format, ...)
        __attribute__((format(printf, 2, 3)));
static void detail_set(struct request *q, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        detail_vset(q, format, ap);
        va_end(ap);
}

static void resp_clear(struct request *q)
{
        q->resp_size = 0;
        if (q->resp)
                q->resp[0] = '\0';
}

/* Ends q (an API request, in any state) with its answer: off the wire and
 * its timer, onto the finished list.  Its callback runs from the loop.
 * detail may be q->detail itself. */
static void request_finish(struct request *q, int status, int error, const char *detail)
{
        struct api *a = q->api;

        assert(!q->is_token);
        request_release_transfer(q);
        q->timer = sd_event_source_disable_unref(q->timer);
        q->status = status;
        q->error = error;
        if (status == 0)
                resp_clear(q); /* no answer: nothing of an earlier attempt's shows */
        if (!q->api_error[0] && status >= 400)
                (void)api_parse_error_code(q->resp, q->resp_size, q->api_error,
                                           sizeof(q->api_error));
        if (detail && detail != q->detail)
                detail_set(q, "%s", detail);
        else
                q->has_detail = detail != NULL;
        request_set_state(a, q, REQUEST_FINISHED, false);
        /* sd-event turns a defer source on without allocating: cannot fail */
        (void)sd_event_source_set_enabled(a->deliver, SD_EVENT_ONESHOT);
}

/* Hands q's answer to its owner and frees q.  a may be gone when the
 * callback returns (api_free() from inside it): only q is touched after. */
static void request_deliver(struct api *a, struct request *q)
{
        struct api_response r = {
                .status = q->status,
                .error = q->error,
                .body = q->resp ? q->resp : "",
                .body_size = q->resp_size,
                .detail = q->has_detail ? q->detail : NULL,
                .api_error = q->api_error[0] ? q->api_error : NULL,
        };

        request_set_state(a, q, REQUEST_DETACHED, false);
        a->n_outstanding--;
        q->done(a, &r, q->userdata);
        request_free(q);
}

/* Runs the callbacks of the finished requests, oldest first, those that
 * finish meanwhile included.  Returns false when a callback freed a. */
static bool deliver_finished(struct api *a)
{
        bool freed = false, *outer = a->freed;

        a->freed = &freed;
        while (a->finished.first) {
                request_deliver(a, a->finished.first);
                if (freed) {
                        if (outer)
                                *outer = true;
                        return false;
                }
        }
        a->freed = outer;
        return true;
}

static int on_deliver(sd_event_source *s, void *userdata)
{
        (void)deliver_finished(userdata);
        return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata)
{
        struct request *q = userdata;
        size_t len = size * n;

        if (len > API_BODY_MAX - q->resp_size) {
                q->too_big = true;
                return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
        }
        if (q->resp_size + len + 1 > q->resp_alloc) {
                size_t want = q->resp_alloc ? q->resp_alloc * 2 : 16384;
                char *p;

                while (want < q->resp_size + len + 1)
                        want *= 2;
                if (want > API_BODY_MAX + 1)
                        want = API_BODY_MAX + 1;
                p = realloc(q->resp, want);
                if (!p)
                        return 0;
                q->resp = p;
                q->resp_alloc = want;
        }
        memcpy(q->resp + q->resp_size, data, len);
        q->resp_size += len;
        q->resp[q->resp_size] = '\0';
        return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        struct request *q = userdata;
        size_t len = size * n;

        if (api_headers_feed(&q->hdr, data, len) < 0) {
                q->headers_too_big = true;
                return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
        }
        return len;
}

static int header_add(struct curl_slist **l, const char *name, const char *value)
{
        _cleanup_free_ char *line = NULL;
        struct curl_slist *n;
        int k;

        k = asprintf(&line, "%s: %s", name, value);
        if (k < 0)
                return -ENOMEM;
        n = curl_slist_append(*l, line);
        explicit_bzero(line, (size_t)k);
        if (!n)
                return -ENOMEM;
        *l = n;
        return 0;
}

static int request_headers(struct api *a, struct request *q, struct curl_slist **ret)
{
        struct curl_slist *l = NULL;
        _cleanup_free_ char *bearer = NULL;
        int r = 0;

        r = header_add(&l, "Accept", "application/json");
        if (r >= 0)
                r = header_add(&l, "Expect", "");
        if (r >= 0 && q->is_token)
                r = header_add(&l, "Content-Type", "application/x-www-form-urlencoded");
        if (r >= 0 && !q->is_token) {
                if (q->body)
                        r = header_add(&l, "Content-Type", "application/json");
                if (r >= 0)
                        r = header_add(&l, "Ocp-Apim-Subscription-Key", a->creds.subscription_key);
                if (r >= 0 && asprintf(&bearer, "Bearer %s", a->token) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = header_add(&l, "Authorization", bearer);
                if (bearer)
                        explicit_bzero(bearer, strlen(bearer));
                if (r >= 0)
                        r = header_add(&l, "api-version", a->api_version);
                if (r >= 0 && a->referer)
                        r = header_add(&l, "Referer", a->referer);
                if (r >= 0 && a->on_behalf_of)
                        r = header_add(&l, "X-On-Behalf-Of", a->on_behalf_of);
        }
        if (r < 0) {
                headers_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

/* Every fd close-on-exec, libcurl's sockets too. */
static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
        return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static char *form_escape(const char *s);

/* HTTP Basic with the client id and secret (api.token.client_auth). */
static CURLcode token_basic_auth(struct api *a, CURL *e)
{
        char *id = form_escape(a->creds.client_id), *secret = form_escape(a->creds.client_secret);
        CURLcode c = CURLE_OUT_OF_MEMORY;

        if (id && secret) {
                c = curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                c = c ?: curl_easy_setopt(e, CURLOPT_USERNAME, id);
                c = c ?: curl_easy_setopt(e, CURLOPT_PASSWORD, secret);
        }
        wipe_free(id);
        wipe_free(secret);
        return c;
}

static CURLcode easy_setup(struct api *a, struct request *q)
{
        long timeout = (long)a->timeout_ms;
        CURL *e = q->easy;
        CURLcode c = CURLE_OK;

#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (c == CURLE_OK)                                                                 \
                        c = curl_easy_setopt(e, opt, val);                                         \
        } while (0)
        SET(CURLOPT_URL, q->url);
        SET(CURLOPT_PATH_AS_IS, 1L); /* an order id ".." stays a path segment, not "up" */
        SET(CURLOPT_PRIVATE, q);
        SET(CURLOPT_WRITEFUNCTION, on_write);
        SET(CURLOPT_WRITEDATA, q);
        SET(CURLOPT_HEADERFUNCTION, on_header);
        SET(CURLOPT_HEADERDATA, q);
        SET(CURLOPT_HTTPHEADER, q->headers);
        SET(CURLOPT_ERRORBUFFER, q->errbuf);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (a->ca_file)
                SET(CURLOPT_CAINFO, a->ca_file);
        SET(CURLOPT_TIMEOUT_MS, timeout);
        SET(CURLOPT_CONNECTTIMEOUT_MS,
            timeout < CONNECT_TIMEOUT_MAX_MS ? timeout : (long)CONNECT_TIMEOUT_MAX_MS);
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SET(CURLOPT_LOW_SPEED_TIME, timeout / 1000 > 0 ? timeout / 1000 : 1L);
        SET(CURLOPT_TCP_KEEPALIVE, 1L);
        SET(CURLOPT_USERAGENT, "approvald/" APPROVALD_VERSION);
        if (q->method == API_POST) {
                SET(CURLOPT_POST, 1L);
                SET(CURLOPT_POSTFIELDS, q->body ? q->body : "");
                SET(CURLOPT_POSTFIELDSIZE, q->body ? (long)strlen(q->body) : 0L);
        }
        if (q->is_token && a->token_basic) /* RFC 6749 2.3.1: each form-encoded first */
                c = c ?: token_basic_auth(a, e);
#undef SET
        return c;
}

/* Says in q->detail why q could not start; releases what was set up. */
static int start_failed(struct request *q, int error, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
static int start_failed(struct request *q, int error, const char *format, ...)
{
        va_list ap;

        if (q->easy) { /* never added to the multi handle */
                curl_easy_cleanup(q->easy);
                q->easy = NULL;
        }
        request_release_transfer(q);
        va_start(ap, format);
        detail_vset(q, format, ap);
        va_end(ap);
        return error;
}

/* Puts q on the wire.  Returns 0, or -errno with the reason in q->detail
 * (q is then in the state it was). */
static int request_start(struct api *a, struct request *q)
{
        CURLMcode mc;
        CURLcode c;
        int r;

        resp_clear(q); /* nothing of the last attempt's body is read again */
        q->too_big = q->headers_too_big = false;
        q->hdr = (struct api_headers){ 0 };
        q->errbuf[0] = q->api_error[0] = '\0';
        q->token_gen = a->token_gen;
        r = request_headers(a, q, &q->headers);
        if (r < 0)
                return start_failed(q, r, "cannot build the request's headers: %s", strerror(-r));
        q->easy = curl_easy_init();
        if (!q->easy)
                return start_failed(q, -ENOMEM, "libcurl cannot make a transfer: out of memory");
        c = easy_setup(a, q);
        if (c != CURLE_OK)
                return start_failed(q, c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL,
                                    "libcurl refused the request's options: %s",
                                    curl_easy_strerror(c));
        mc = curl_multi_add_handle(a->multi, q->easy);
        if (mc != CURLM_OK)
                return start_failed(q, mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO,
                                    "libcurl cannot start the transfer: %s",
                                    curl_multi_strerror(mc));
        request_set_state(a, q, REQUEST_ACTIVE, false);
        a->stats.requests++;
        /* for the tests that check Retry-After is honoured; no secrets here */
        log_debug("http: send %s t=%llu", q->is_token ? "token" : "api",
                  (unsigned long long)now_monotonic_us());
        return 0;
}

static void token_give_up(struct api *a, struct request *q, int status, int error, const char *what,
                          const char *why);

static int on_backoff_done(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct request *q = userdata;
        struct api *a = q->api;
        int r;

        q->timer = sd_event_source_disable_unref(q->timer);
        if (!q->is_token) {
                request_set_state(a, q, REQUEST_QUEUED, false);
                dispatch(a);
                return 0;
        }
        r = request_start(a, q);
        if (r < 0)
                token_give_up(a, q, 0, r, "token request cannot start", q->detail);
        dispatch(a);
        return 0;
}

/* Parks q (off the wire, on no list) until its backoff ends.  When the
 * timer cannot be armed, q ends with that error. */
static void request_wait(struct api *a, struct request *q, uint64_t delay)
{
        int r;

        r = sd_event_add_time_relative(a->event, &q->timer, CLOCK_MONOTONIC, delay, 1,
                                       on_backoff_done, q);
        if (r < 0) {
                q->timer = NULL;
                if (q->is_token)
                        token_give_up(a, q, 0, r, "cannot wait before the next token request",
                                      strerror(-r));
                else
                        request_finish(q, 0, r, "cannot arm the retry timer");
                return;
        }
        request_set_state(a, q, REQUEST_WAITING, false);
}

/* ---- the token ---- */

static bool token_usable(struct api *a, uint64_t now)
{
        uint64_t margin = TOKEN_REFRESH_MARGIN_USEC;

        /* A token that lives less than two minutes is refreshed at half its
         * life, else it would be "about to expire" the moment it arrives. */
        if (a->token_lifetime_usec / 2 < margin)
                margin = a->token_lifetime_usec / 2;
        return a->token && now + margin < a->token_expires_usec;
}

static void token_drop(struct api *a)
{
        wipe_free(a->token);
        a->token = NULL;
        a->token_gen++;
}

static char *form_escape(const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        char *r;

        if (!e)
                return NULL;
        r = strdup(e);
        explicit_bzero(e, strlen(e));
        curl_free(e);
        return r;
}

/* Ends every queued request (those waiting for a token among them), with
 * the API error code api_error (NULL: none). */
static void fail_queued(struct api *a, int status, int error, const char *detail,
                        const char *api_error)
{
        while (a->queue.first) {
                struct request *q = a->queue.first;

                (void)snprintf(q->api_error, sizeof(q->api_error), "%s",
                               api_error ? api_error : "");
                resp_clear(q); /* the status is not its own: neither is an old body */
                request_finish(q, status, error, detail);
        }
}

/* Frees the token request q (in any state). */
static void token_request_free(struct api *a, struct request *q)
{
        request_set_state(a, q, REQUEST_DETACHED, false);
        if (a->token_req == q)
                a->token_req = NULL;
        request_free(q);
}

/* The token request's form body, or NULL when out of memory.  The caller
 * wipes and frees it; the escaped copies of the secrets are wiped here. */
static char *token_form(const struct api *a)
{
        char *id = form_escape(a->creds.client_id), *secret = form_escape(a->creds.client_secret);
        char *body = NULL;

        if (a->token_basic) {
                if (asprintf(&body, "grant_type=client_credentials%s", a->token_extra) < 0)
                        body = NULL;
        } else if (id && secret &&
                   asprintf(&body, "grant_type=client_credentials&client_id=%s&client_secret=%s%s",
                            id, secret, a->token_extra) < 0)
                body = NULL;
        wipe_free(id);
        wipe_free(secret);
        return body;
}

/* Starts a token request.  When it cannot start, the requests waiting for
 * the token end with the reason. */
static void token_request_new(struct api *a)
{
        struct request *q;
        int r;

        q = calloc(1, sizeof(*q));
        if (!q) {
                fail_queued(a, 0, -ENOMEM, "token request: out of memory", NULL);
                return;
        }
        q->api = a;
        q->method = API_POST;
        q->is_token = true;
        q->url = strdup(a->token_url);
        q->body = token_form(a);
        if (!q->url || !q->body)
                r = start_failed(q, -ENOMEM, "out of memory");
        else
                r = request_start(a, q);
        a->token_req = q;
        if (r < 0)
                token_give_up(a, q, 0, r, "token request cannot start", q->detail);
}

/* Drops the token request q and fails every request waiting for a token
 * with the token endpoint's status and error code, saying what failed and
 * why (libcurl's message or ours; never a secret). */
static void token_give_up(struct api *a, struct request *q, int status, int error, const char *what,
                          const char *why)
{
        char detail[DETAIL_MAX], code[API_ERROR_MAX];

        (void)snprintf(detail, sizeof(detail), "%s%s%s", what, why && why[0] ? ": " : "",
                       why ? why : "");
        (void)snprintf(code, sizeof(code), "%s", q->api_error);
        a->token_attempts = 0;
        token_request_free(a, q);
        fail_queued(a, status, error, detail, code[0] ? code : NULL);
}

/* Takes the token from the token endpoint's 200 answer q. */
static int token_take(struct api *a, const struct request *q)
{
        uint64_t lifetime;
        char *token;
        int r;

        r = api_parse_token(q->resp, q->resp_size, &token, &lifetime);
        if (r < 0)
                return r;
        token_drop(a);
        a->token = token;
        a->token_lifetime_usec = lifetime;
        a->token_expires_usec = now_usec(a) + lifetime;
        return 0;
}

/* ---- what a failed transfer means ---- */

static int curl_code_to_errno(CURLcode c)
{
        switch (c) {
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
                return -ECONNABORTED;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

static bool curl_code_is_transient(CURLcode c)
{
        switch (c) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_OUT_OF_MEMORY:
                return false;
        default:
                return true;
        }
}

/* libcurl refuses a header line over CURL_MAX_HTTP_HEADER: with
 * CURLE_OUT_OF_MEMORY before 8.6, CURLE_TOO_LARGE since. */
static bool header_line_too_long(const struct request *q, CURLcode cc)
{
#if LIBCURL_VERSION_NUM >= 0x080600
        if (cc == CURLE_TOO_LARGE)
                return true;
#endif
        return cc == CURLE_OUT_OF_MEMORY && !q->hdr.complete;
}

/* What the failed transfer of q (cc is not CURLE_OK) means: returns -errno
 * with the reason in q->detail, and whether trying again could help in
 * *ret_transient.  libcurl's error buffer says what failed, the TLS
 * library's words included. */
static int transfer_failed(struct request *q, CURLcode cc, bool *ret_transient)
{
        const char *why = q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc);

        *ret_transient = false;
        if (q->too_big) {
                detail_set(q, "response body over %u MiB", API_BODY_MAX >> 20);
                return -EFBIG;
        }
        if (q->headers_too_big) {
                detail_set(q, "the response headers exceed %u KiB", API_HEADERS_MAX >> 10);
                return -EMSGSIZE;
        }
        if (header_line_too_long(q, cc)) {
                detail_set(q, "a response header line over %d KiB", CURL_MAX_HTTP_HEADER >> 10);
                return -EMSGSIZE;
        }
        switch (cc) {
        case CURLE_PEER_FAILED_VERIFICATION:
                detail_set(q, "TLS certificate verification failed: %s", why);
                break;
        case CURLE_SSL_CONNECT_ERROR:
                detail_set(q, "TLS handshake failed: %s", why);
                break;
        case CURLE_SSL_CACERT_BADFILE:
                detail_set(q, "cannot use api.ca_file: %s", why);
                break;
        default:
                detail_set(q, "%s", why);
                break;
        }
        *ret_transient = curl_code_is_transient(cc);
        return curl_code_to_errno(cc);
}

/* ---- 429 ---- */

/* The wait a 429 answer to q asks for: its Retry-After (clamped to an
 * hour), or 1 s when it has none or one that does not parse. */
static uint64_t retry_after_usec(const struct request *q)
{
        int64_t wait_s = 1;

        if (q->hdr.retry_after[0])
                (void)api_parse_retry_after(q->hdr.retry_after, now_realtime_s(), &wait_s);
        return (uint64_t)wait_s * 1000000u;
}

/* Counts a pause of wait_usec against the Retry-After budget.  Returns 0,
 * or -ETIME with the reason in q->detail when it would go over (nothing
 * counted then). */
static int budget_take(struct api *a, struct request *q, uint64_t wait_usec)
{
        uint64_t budget = a->opt.retry_after_budget_usec;

        if (budget > 0 && wait_usec > budget - a->retry_after_used_usec) {
                detail_set(
                        q,
                        "Retry-After budget of %g s used up (the server asked to wait %g s more)",
                        (double)budget / 1e6, (double)wait_usec / 1e6);
                return -ETIME;
        }
        a->retry_after_used_usec += wait_usec;
        return 0;
}

/* ---- the token's answer ---- */

/* The token endpoint answered q with a 4xx that trying again cannot
 * change: the waiting requests end with -EACCES, its status and its error
 * code.  invalid_client (RFC 6749 5.2), or a 401 without a code, means the
 * client id or the secret is wrong. */
static void token_refused(struct api *a, struct request *q, long status)
{
        char why[64 + API_ERROR_MAX];
        bool client;

        (void)api_parse_error_code(q->resp, q->resp_size, q->api_error, sizeof(q->api_error));
        client = streq(q->api_error, "invalid_client") || (status == 401 && !q->api_error[0]);
        (void)snprintf(why, sizeof(why), "HTTP %ld%s%s", status, q->api_error[0] ? ", " : "",
                       q->api_error);
        token_give_up(a, q, (int)status, -EACCES,
                      client ? "token endpoint refused the client id or secret"
                             : "token endpoint refused the request",
                      why);
}

/* The token request q came back (it is on no list now). */
static void token_finished(struct api *a, struct request *q, CURLcode cc, long status)
{
        bool transient = true;
        int r = 0;

        request_release_transfer(q);
        if (cc != CURLE_OK)
                r = transfer_failed(q, cc, &transient);
        else if (status != 200)
                detail_set(q, "HTTP %ld", status);
        if (cc == CURLE_OK && status == 200) {
                r = token_take(a, q);
                a->token_attempts = 0;
                token_request_free(a, q);
                if (r < 0)
                        fail_queued(a, 0, -EBADMSG, "token endpoint sent no usable token", NULL);
                return;
        }
        if (cc == CURLE_OK && status >= 400 && status < 500 && status != 408 && status != 429) {
                token_refused(a, q, status);
                return;
        }
        if (!transient) {
                token_give_up(a, q, 0, r, "token endpoint not usable", q->detail);
                return;
        }
        if (a->draining) {
                token_give_up(a, q, 0, -ECANCELED, "stopping: token not requested again", NULL);
                return;
        }
        if (cc == CURLE_OK && status == 429 && ++q->rate_limited <= RATE_LIMIT_MAX_WAITS) {
                uint64_t wait = retry_after_usec(q);

                a->stats.rate_limited++;
                r = budget_take(a, q, wait);
                if (r < 0)
                        token_give_up(a, q, 429, r, "token endpoint rate-limited", q->detail);
                else
                        request_wait(a, q, wait); /* no attempt lost to a 429 */
                return;
        }
        a->token_attempts++;
        if (a->opt.max_attempts > 0 && a->token_attempts >= a->opt.max_attempts) {
                token_give_up(a, q, cc == CURLE_OK ? (int)status : 0, cc == CURLE_OK ? -EIO : r,
                              "token endpoint unreachable", q->detail);
                return;
        }
        a->stats.retries++;
        request_wait(a, q,
                     api_backoff_usec(a->token_attempts, a->opt.backoff_base_usec,
                                      a->opt.backoff_cap_usec, rng_next(a)));
}

/* ---- an API request's answer ---- */

/* After api_drain(), a request that wants to go out again ends instead:
 * finishes q with -ECANCELED and returns true. */
static bool drained(struct api *a, struct request *q)
{
        if (!a->draining)
                return false;
        request_finish(q, 0, -ECANCELED, "stopping: not sent again");
        return true;
}

static void retry_or_fail(struct api *a, struct request *q, int status, int error,
                          const char *detail)
{
        if (drained(a, q))
                return;
        q->attempts++;
        if (a->opt.max_attempts > 0 && q->attempts >= a->opt.max_attempts) {
                request_finish(q, status, error, detail);
                return;
        }
        a->stats.retries++;
        request_wait(a, q,
                     api_backoff_usec(q->attempts, a->opt.backoff_base_usec,
                                      a->opt.backoff_cap_usec, rng_next(a)));
}

/* q was answered 429: nothing is sent until its Retry-After has passed,
 * and q goes first then, unless the budget or its count of 429s is spent. */
static void rate_limited(struct api *a, struct request *q)
{
        uint64_t now = now_monotonic_us(), until, from;
        int r;

        a->stats.rate_limited++;
        if (drained(a, q))
                return;
        q->rate_limited++;
        if (q->rate_limited > RATE_LIMIT_MAX_WAITS) {
                request_finish(q, 429, 0, "rate limited too many times");
                return;
        }
        /* what the pause grows by is what the run waits longer */
        until = now + retry_after_usec(q);
        from = a->not_before_usec > now ? a->not_before_usec : now;
        r = budget_take(a, q, until > from ? until - from : 0);
        if (r < 0) {
                request_finish(q, 429, r, q->detail);
                return;
        }
        if (until > a->not_before_usec)
                a->not_before_usec = until;
        log_debug("http: 429 t=%llu until=%llu", (unsigned long long)now,
                  (unsigned long long)a->not_before_usec);
        request_set_state(a, q, REQUEST_QUEUED, true);
}

/* A 401 that asks for a new token: WWW-Authenticate or the body's error
 * code says invalid_token. */
static bool invalid_token(struct request *q)
{
        char code[API_ERROR_MAX];

        if (q->hdr.invalid_token)
                return true;
        return api_parse_error_code(q->resp, q->resp_size, code, sizeof(code)) == 1 &&
               streq(code, "invalid_token");
}

/* q's transfer ended with cc: q goes on (again, later) or ends. */
static void request_completed(struct api *a, struct request *q, CURLcode cc)
{
        long status = 0;
        bool transient;
        int r;

        (void)curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
        request_set_state(a, q, REQUEST_DETACHED, false); /* off the wire; moved on below */
        if (q->is_token) {
                token_finished(a, q, cc, status);
                return;
        }
        request_release_transfer(q);
        if (cc != CURLE_OK) {
                r = transfer_failed(q, cc, &transient);
                if (transient)
                        retry_or_fail(a, q, 0, r, q->detail);
                else
                        request_finish(q, r == -EFBIG || r == -EMSGSIZE ? (int)status : 0, r,
                                       q->detail);
        } else if (status == 429) {
                rate_limited(a, q);
        } else if (status == 401 && !q->token_retried && invalid_token(q)) {
                if (q->token_gen == a->token_gen)
                        token_drop(a);
                if (drained(a, q))
                        return;
                q->token_retried = true;
                request_set_state(a, q, REQUEST_QUEUED, true);
        } else if (status >= 500 || status == 408) {
                retry_or_fail(a, q, (int)status, 0, "server error");
        } else {
                request_finish(q, (int)status, 0, NULL);
        }
}

/* ---- the loop's side ---- */

static void check_multi_info(struct api *a)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(a->multi, &left))) {
                struct request *q = NULL;
                CURLcode cc;

                if (m->msg != CURLMSG_DONE)
                        continue;
                cc = m->data.result;
                (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
                if (q)
                        request_completed(a, q, cc);
        }
        dispatch(a);
}

static void on_progress(void *userdata)
{
        check_multi_info(userdata);
}

static int on_gate_open(sd_event_source *s, uint64_t usec, void *userdata)
{
        dispatch(userdata);
        return 0;
}

/* Holds the queue until the 429 pause ends.  Returns 0, or -errno when the
 * timer cannot be armed. */
static int gate_arm(struct api *a)
{
        int r;

        if (!a->gate_timer)
                return sd_event_add_time(a->event, &a->gate_timer, CLOCK_MONOTONIC,
                                         a->not_before_usec, 1, on_gate_open, a);
        r = sd_event_source_set_time(a->gate_timer, a->not_before_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(a->gate_timer, SD_EVENT_ONESHOT);
}

/* Sends what the queue holds, as far as slots, the token and the 429
 * pause allow; a request that cannot start ends with the reason. */
static void dispatch(struct api *a)
{
        uint64_t now = now_usec(a);
        int r;

        if (a->freeing || !a->queue.first)
                return;
        if (a->not_before_usec > now) {
                r = gate_arm(a);
                if (r < 0)
                        fail_queued(a, 0, r, "cannot arm the Retry-After timer", NULL);
                return;
        }
        while (a->queue.first && a->n_active < a->max_parallel) {
                struct request *q = a->queue.first;

                if (!token_usable(a, now)) {
                        if (!a->token_req)
                                token_request_new(a);
                        return;
                }
                r = request_start(a, q);
                if (r < 0)
                        request_finish(q, 0, r, q->detail);
        }
}

/* ---- life cycle ---- */

static bool header_value_ok(const char *s)
{
        return !s || !strpbrk(s, "\r\n");
}

/* api.token.form as "&name=value..." (URL-encoded), or NULL when out of
 * memory. */
static char *token_extra_new(const struct api_config *cfg)
{
        char *extra = strdup(""), *n, *v, *more;

        for (size_t i = 0; extra && i < cfg->token_form.n; i++) {
                n = form_escape(cfg->token_form.v[i].name);
                v = form_escape(cfg->token_form.v[i].value);
                more = NULL;
                if (n && v && asprintf(&more, "%s&%s=%s", extra, n, v) < 0)
                        more = NULL;
                free(n), free(v), free(extra);
                extra = more;
        }
        return extra;
}

static int copy_config(struct api *a, const struct api_config *cfg)
{
        char *base = NULL, *token = NULL, *version = NULL, *referer = NULL, *obo = NULL, *ca = NULL;
        char *extra;

        if (!cfg->base_url || !cfg->token_url || api_check_url(cfg->base_url) < 0 ||
            api_check_url(cfg->token_url) < 0 || !header_value_ok(cfg->api_version) ||
            !header_value_ok(cfg->referer) || !header_value_ok(cfg->on_behalf_of))
                return -EINVAL;
        base = strdup(cfg->base_url);
        token = strdup(cfg->token_url);
        version = strdup(cfg->api_version ? cfg->api_version : "3.1");
        referer = strdup_null(cfg->referer);
        obo = strdup_null(cfg->on_behalf_of);
        ca = strdup_null(cfg->ca_file);
        if (!base || !token || !version || (cfg->referer && !referer) ||
            (cfg->on_behalf_of && !obo) || (cfg->ca_file && !ca)) {
                free(base), free(token), free(version), free(referer), free(obo), free(ca);
                return -ENOMEM;
        }
        extra = token_extra_new(cfg);
        if (!extra) {
                free(base), free(token), free(version), free(referer), free(obo), free(ca);
                return -ENOMEM;
        }
        if (a->base_url && (!streq(a->base_url, base) || !streq(a->token_url, token) ||
                            !streq(a->token_extra, extra) ||
                            a->token_basic != (cfg->client_auth == CLIENT_AUTH_BASIC)))
                token_drop(a);
        free(a->token_extra);
        a->token_extra = extra;
        a->token_basic = cfg->client_auth == CLIENT_AUTH_BASIC;
        free(a->base_url), free(a->token_url), free(a->api_version);
        free(a->referer), free(a->on_behalf_of), free(a->ca_file);
        a->base_url = base, a->token_url = token, a->api_version = version;
        a->referer = referer, a->on_behalf_of = obo, a->ca_file = ca;
        a->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
        a->max_parallel = cfg->max_parallel > 0 ? (size_t)cfg->max_parallel : 8;
        if (a->multi) {
                (void)curl_multi_setopt(a->multi, CURLMOPT_MAXCONNECTS, (long)a->max_parallel + 2);
                (void)curl_multi_setopt(a->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                                        (long)a->max_parallel + 1);
        }
        return 0;
}

int api_reconfigure(struct api *a, const struct api_config *cfg)
{
        assert(a);
        assert(cfg);
        return copy_config(a, cfg);
}

int api_new(struct api **ret, sd_event *e, const struct api_config *cfg,
            const struct credentials *creds, const struct api_options *opt)
{
        struct api *a;
        int r;

        assert(ret);
        assert(e);
        assert(cfg);
        assert(creds && creds->subscription_key && creds->client_id && creds->client_secret);
        assert(opt);
        if (!header_value_ok(creds->subscription_key))
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->event = sd_event_ref(e);
        a->opt = *opt;
        if (getrandom(&a->rng, sizeof(a->rng), GRND_NONBLOCK) != sizeof(a->rng))
                a->rng = now_monotonic_us();
        a->rng |= 1;
        a->creds.subscription_key = strdup(creds->subscription_key);
        a->creds.client_id = strdup(creds->client_id);
        a->creds.client_secret = strdup(creds->client_secret);
        if (curl_loop_new(&a->loop, e, on_progress, a) >= 0)
                a->multi = curl_loop_multi(a->loop);
        if (!a->creds.subscription_key || !a->creds.client_id || !a->creds.client_secret ||
            !a->multi) {
                api_free(a);
                return -ENOMEM;
        }
        r = sd_event_add_defer(e, &a->deliver, on_deliver, a);
        if (r >= 0)
                r = sd_event_source_set_enabled(a->deliver, SD_EVENT_OFF);
        if (r >= 0)
                r = copy_config(a, cfg);
        if (r < 0) {
                api_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

void api_cancel_pending(struct api *a)
{
        assert(a);
        while (a->queue.first)
                request_finish(a->queue.first, 0, -ECANCELED, "cancelled");
        for (struct request *q = a->waiting.first, *next; q; q = next) {
                next = q->next;
                if (q->is_token)
                        token_request_free(a, q);
                else
                        request_finish(q, 0, -ECANCELED, "cancelled");
        }
}

void api_drain(struct api *a)
{
        assert(a);
        a->draining = true;
        api_cancel_pending(a);
}

void api_cancel_all(struct api *a)
{
        assert(a);
        api_cancel_pending(a);
        while (a->active.first) {
                struct request *q = a->active.first;

                if (q->is_token)
                        token_request_free(a, q);
                else
                        request_finish(q, 0, -ECANCELED, "cancelled");
        }
}

void api_free(struct api *a)
{
        if (!a)
                return;
        assert(!a->freeing); /* not from a callback that api_free() runs */
        a->freeing = true;
        if (a->multi)
                api_cancel_all(a);
        /* Nothing can run these callbacks later: they run now. */
        (void)deliver_finished(a);
        if (a->freed)
                *a->freed = true; /* called from a callback: the loop there stops */
        curl_loop_free(a->loop);
        a->gate_timer = sd_event_source_disable_unref(a->gate_timer);
        a->deliver = sd_event_source_disable_unref(a->deliver);
        token_drop(a);
        wipe_free(a->creds.subscription_key);
        wipe_free(a->creds.client_id);
        wipe_free(a->creds.client_secret);
        free(a->token_extra);
        free(a->base_url), free(a->token_url), free(a->api_version);
        free(a->referer), free(a->on_behalf_of), free(a->ca_file);
        sd_event_unref(a->event);
        free(a);
}

/* 0 when url may be sent to: it parses, has an allowed scheme and
 * base_url's origin; else -errno with the reason in q->detail. */
static int request_check_url(struct api *a, struct request *q)
{
        int r;

        r = api_check_url(q->url);
        if (r == -EPROTONOSUPPORT)
                return start_failed(q, r, "only https, or http to a loopback address, is allowed");
        if (r < 0)
                return start_failed(q, r,
                                    r == -EINVAL ? "not a URL libcurl may use"
                                                 : "cannot check the URL: out of memory");
        r = api_same_origin(a->base_url, q->url);
        if (r < 0)
                return start_failed(q, r, "cannot check the URL's origin: %s", strerror(-r));
        if (r == 0)
                return start_failed(q, -EPERM,
                                    "the URL is not on base_url's origin (credentials go "
                                    "nowhere else)");
        return 0;
}

int api_request(struct api *a, enum api_method method, const char *url, const char *json_body,
                api_done_t done, void *userdata)
{
        struct request *q;
        int r;

        assert(a);
        assert(url);
        assert(done);
        assert(method == API_GET || method == API_POST);
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->api = a;
        q->method = method;
        q->done = done;
        q->userdata = userdata;
        q->url = strdup(url);
        q->body = strdup_null(json_body);
        if (!q->url || (json_body && !q->body)) {
                request_free(q);
                return -ENOMEM;
        }
        a->n_outstanding++;
        if (a->freeing) {
                request_finish(q, 0, -ECANCELED, "stopping: the API client is being freed");
                return 0;
        }
        r = request_check_url(a, q);
        if (r < 0) {
                request_finish(q, 0, r, q->detail);
                return 0;
        }
        request_set_state(a, q, REQUEST_QUEUED, false);
        dispatch(a);
        return 0;
}

int api_request_path(struct api *a, enum api_method method, const char *path, const char *json_body,
                     api_done_t done, void *userdata)
{
        _cleanup_free_ char *url = NULL;
        size_t n;

        assert(a);
        assert(path && path[0] == '/');
        n = strlen(a->base_url);
        /* base_url may or may not end in '/'; path always starts with one */
        if (asprintf(&url, "%.*s%s", (int)(n > 0 && a->base_url[n - 1] == '/' ? n - 1 : n),
                     a->base_url, path) < 0)
                return -ENOMEM;
        return api_request(a, method, url, json_body, done, userdata);
}

size_t api_n_outstanding(const struct api *a)
{
        assert(a);
        return a->n_outstanding;
}

void api_get_stats(const struct api *a, struct api_stats *ret)
{
        assert(a);
        assert(ret);
        *ret = a->stats;
}
