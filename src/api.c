/* api.c: the HTTP client of the daemon: libcurl's multi interface plugged
 * into sd-event through its socket and timer callbacks, with a queue of
 * requests, the token, the 429 pause and the retries (see api.h).
 * Secrets live in this file's memory only: headers that carry them are
 * built into curl_slists that are wiped before they are freed. */
#include "api.h"

#include <errno.h>
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

#define TOKEN_MAX_SIZE 8192
#define TOKEN_REFRESH_MARGIN_USEC (60 * UINT64_C(1000000))
#define RATE_LIMIT_MAX_WAITS 100 /* 429 answers one request tolerates */
#define CONNECT_TIMEOUT_MAX_MS 10000

enum request_state {
        REQUEST_QUEUED, /* waiting for a free slot, a token or the 429 pause */
        REQUEST_ACTIVE, /* on the wire */
        REQUEST_WAITING, /* waiting for its backoff timer */
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
        bool too_big;
        bool invalid_token; /* WWW-Authenticate said so */
        char retry_after[64];
        char errbuf[CURL_ERROR_SIZE];
        sd_event_source *timer;
        api_done_t done;
        void *userdata;
};

struct request_list {
        struct request *first, *last;
};

struct api {
        sd_event *event;
        CURLM *multi;
        sd_event_source *curl_timer;
        sd_event_source *gate_timer;

        char *base_url, *token_url, *api_version, *referer, *on_behalf_of, *ca_file;
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

        struct request_list queue, active, waiting;
        size_t n_active; /* API requests on the wire (the token's not counted) */
        size_t n_outstanding;
        uint64_t not_before_usec; /* 429: nothing is sent before this */
        bool draining; /* api_drain(): nothing is sent again */
        uint64_t rng;
        struct api_stats stats;
};

static void dispatch(struct api *a);

static void list_append(struct request_list *l, struct request *q)
{
        q->next = NULL;
        q->prev = l->last;
        if (l->last)
                l->last->next = q;
        else
                l->first = q;
        l->last = q;
}

static void list_prepend(struct request_list *l, struct request *q)
{
        q->prev = NULL;
        q->next = l->first;
        if (l->first)
                l->first->prev = q;
        else
                l->last = q;
        l->first = q;
}

static void list_remove(struct request_list *l, struct request *q)
{
        if (q->prev)
                q->prev->next = q->next;
        else
                l->first = q->next;
        if (q->next)
                q->next->prev = q->prev;
        else
                l->last = q->prev;
        q->prev = q->next = NULL;
}

static struct request_list *list_of(struct api *a, struct request *q)
{
        switch (q->state) {
        case REQUEST_QUEUED:
                return &a->queue;
        case REQUEST_ACTIVE:
                return &a->active;
        default:
                return &a->waiting;
        }
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

static void request_free(struct request *q)
{
        request_release_transfer(q);
        q->timer = sd_event_source_disable_unref(q->timer);
        free(q->url);
        wipe_free(q->body);
        if (q->resp && q->is_token)
                explicit_bzero(q->resp, q->resp_alloc); /* it held access_token */
        free(q->resp);
        free(q);
}

/* Takes q off its list and hands the answer to its owner. */
static void request_finish(struct request *q, int status, int error, const char *detail)
{
        struct api *a = q->api;
        struct api_response r = {
                .status = status,
                .error = error,
                .body = q->resp ? q->resp : "",
                .body_size = q->resp_size,
                .detail = detail,
        };

        list_remove(list_of(a, q), q);
        if (q->state == REQUEST_ACTIVE && !q->is_token)
                a->n_active--;
        if (!q->is_token)
                a->n_outstanding--;
        request_release_transfer(q);
        q->timer = sd_event_source_disable_unref(q->timer);
        if (q->done)
                q->done(a, &r, q->userdata);
        request_free(q);
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

static bool header_is(const char *line, size_t len, const char *name, const char **ret_value,
                      size_t *ret_len)
{
        size_t n = strlen(name);

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return false;
        line += n + 1;
        len -= n + 1;
        while (len > 0 && (*line == ' ' || *line == '\t'))
                line++, len--;
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
                len--;
        *ret_value = line;
        *ret_len = len;
        return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        struct request *q = userdata;
        size_t len = size * n, vlen;
        const char *v;

        if (header_is(data, len, "Retry-After", &v, &vlen)) {
                if (vlen >= sizeof(q->retry_after))
                        vlen = sizeof(q->retry_after) - 1;
                memcpy(q->retry_after, v, vlen);
                q->retry_after[vlen] = '\0';
        } else if (header_is(data, len, "WWW-Authenticate", &v, &vlen)) {
                q->invalid_token = memmem(v, vlen, "invalid_token", 13) != NULL;
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

static int easy_setup(struct api *a, struct request *q)
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
#undef SET
        return c == CURLE_OK ? 0 : -EINVAL;
}

/* Puts q on the wire.  Returns 0 or -errno (q is then unchanged). */
static int request_start(struct api *a, struct request *q)
{
        int r;

        q->resp_size = 0;
        if (q->resp)
                q->resp[0] = '\0'; /* nothing of the last attempt's body is read again */
        q->too_big = q->invalid_token = false;
        q->retry_after[0] = q->errbuf[0] = '\0';
        q->token_gen = a->token_gen;
        r = request_headers(a, q, &q->headers);
        if (r < 0)
                return r;
        q->easy = curl_easy_init();
        if (!q->easy) {
                request_release_transfer(q);
                return -ENOMEM;
        }
        r = easy_setup(a, q);
        if (r >= 0 && curl_multi_add_handle(a->multi, q->easy) != CURLM_OK)
                r = -ENOMEM;
        if (r < 0) {
                curl_easy_cleanup(q->easy);
                q->easy = NULL;
                request_release_transfer(q);
                return r;
        }
        list_remove(list_of(a, q), q);
        q->state = REQUEST_ACTIVE;
        list_append(&a->active, q);
        if (!q->is_token)
                a->n_active++;
        a->stats.requests++;
        /* for the tests that check Retry-After is honoured; no secrets here */
        log_debug("http: send %s t=%llu", q->is_token ? "token" : "api",
                  (unsigned long long)now_monotonic_us());
        return 0;
}

static int on_backoff_done(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct request *q = userdata;
        struct api *a = q->api;

        q->timer = sd_event_source_disable_unref(q->timer);
        list_remove(&a->waiting, q);
        if (q->is_token) {
                q->state = REQUEST_WAITING;
                list_append(&a->waiting, q);
                if (request_start(a, q) < 0) /* out of memory: try again later */
                        (void)sd_event_add_time_relative(a->event, &q->timer, CLOCK_MONOTONIC,
                                                         100000, 1, on_backoff_done, q);
                return 0;
        }
        q->state = REQUEST_QUEUED;
        list_append(&a->queue, q);
        dispatch(a);
        return 0;
}

/* Parks q (already off the wire and off every list) until its backoff ends. */
static void request_wait(struct api *a, struct request *q, uint64_t delay)
{
        q->state = REQUEST_WAITING;
        list_append(&a->waiting, q);
        if (sd_event_add_time_relative(a->event, &q->timer, CLOCK_MONOTONIC, delay, 1,
                                       on_backoff_done, q) < 0)
                q->timer = NULL; /* cannot happen short of ENOMEM; api_cancel_* still frees it */
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

static int token_request_new(struct api *a)
{
        _cleanup_free_ char *id = NULL, *secret = NULL;
        struct request *q;
        int r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->api = a;
        q->method = API_POST;
        q->is_token = true;
        q->url = strdup(a->token_url);
        id = form_escape(a->creds.client_id);
        secret = form_escape(a->creds.client_secret);
        if (!q->url || !id || !secret ||
            asprintf(&q->body, "grant_type=client_credentials&client_id=%s&client_secret=%s", id,
                     secret) < 0)
                r = -ENOMEM;
        else
                r = 0;
        if (id)
                explicit_bzero(id, strlen(id));
        if (secret)
                explicit_bzero(secret, strlen(secret));
        if (r < 0) {
                q->body = NULL;
                request_free(q);
                return r;
        }
        q->state = REQUEST_WAITING;
        list_append(&a->waiting, q);
        r = request_start(a, q);
        if (r < 0) {
                list_remove(&a->waiting, q);
                request_free(q);
                return r;
        }
        a->token_req = q;
        return 0;
}

/* Fails every request that waits for a token. */
static void token_fail_waiters(struct api *a, int error, const char *detail)
{
        while (a->queue.first)
                request_finish(a->queue.first, 0, error, detail);
}

static int token_parse(struct api *a, const char *body)
{
        cJSON *j = cJSON_Parse(body);
        const cJSON *t, *e;
        double ttl = 3600;
        int r = -EBADMSG;

        if (!j)
                return -EBADMSG;
        t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        e = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
        if (cJSON_IsNumber(e))
                ttl = e->valuedouble;
        if (cJSON_IsString(t) && t->valuestring[0] && strlen(t->valuestring) < TOKEN_MAX_SIZE &&
            !strpbrk(t->valuestring, "\r\n") && ttl >= 1 && ttl <= 366.0 * 86400) {
                token_drop(a);
                a->token = strdup(t->valuestring);
                r = a->token ? 0 : -ENOMEM;
                a->token_lifetime_usec = (uint64_t)(ttl * 1e6);
                a->token_expires_usec = now_usec(a) + a->token_lifetime_usec;
                explicit_bzero(t->valuestring, strlen(t->valuestring));
        }
        cJSON_Delete(j);
        return r;
}

static int curl_code_to_errno(CURLcode c);
static bool curl_code_is_transient(CURLcode c);

/* The wait a 429 answer to q asks for: its Retry-After (clamped to an
 * hour), or 1 s when it has none or one that does not parse. */
static uint64_t retry_after_usec(const struct request *q)
{
        int64_t wait_s = 1;

        if (q->retry_after[0])
                (void)api_parse_retry_after(q->retry_after, now_realtime_s(), &wait_s);
        return (uint64_t)wait_s * 1000000u;
}

/* Drops the token request and fails every request waiting for a token,
 * with libcurl's message (never a secret) when there is one. */
static void token_give_up(struct api *a, struct request *q, int error, const char *what)
{
        char detail[CURL_ERROR_SIZE + 64];

        snprintf(detail, sizeof(detail), "%s%s%s", what, q->errbuf[0] ? ": " : "", q->errbuf);
        a->token_req = NULL;
        a->token_attempts = 0;
        request_free(q);
        token_fail_waiters(a, error, detail);
}

static void token_finished(struct api *a, struct request *q, CURLcode cc, long status)
{
        int r;

        list_remove(&a->active, q);
        request_release_transfer(q);
        if (cc == CURLE_OK && status == 200) {
                r = token_parse(a, q->resp ? q->resp : "");
                a->token_req = NULL;
                a->token_attempts = 0;
                request_free(q);
                if (r < 0)
                        token_fail_waiters(a, -EBADMSG, "token endpoint sent no usable token");
                return;
        }
        if (cc == CURLE_OK && status >= 400 && status < 500 && status != 408 && status != 429) {
                token_give_up(a, q, -EACCES,
                              status == 401 ? "token endpoint refused the client"
                                            : "token endpoint refused the request");
                return;
        }
        if (cc != CURLE_OK && !curl_code_is_transient(cc)) {
                token_give_up(a, q, curl_code_to_errno(cc), "token endpoint not usable");
                return;
        }
        if (a->draining) {
                token_give_up(a, q, -ECANCELED, "stopping: token not requested again");
                return;
        }
        if (cc == CURLE_OK && status == 429 && ++q->rate_limited <= RATE_LIMIT_MAX_WAITS) {
                a->stats.rate_limited++;
                request_wait(a, q, retry_after_usec(q)); /* no attempt lost to a 429 */
                return;
        }
        a->token_attempts++;
        if (a->opt.max_attempts > 0 && a->token_attempts >= a->opt.max_attempts) {
                token_give_up(a, q, cc == CURLE_OK ? -EIO : curl_code_to_errno(cc),
                              "token endpoint unreachable");
                return;
        }
        a->stats.retries++;
        request_wait(a, q,
                     api_backoff_usec(a->token_attempts, a->opt.backoff_base_usec,
                                      a->opt.backoff_cap_usec, rng_next(a)));
}

/* ---- completion and dispatch ---- */

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

/* After api_drain(), a request that wants to go out again ends instead:
 * finishes q (off the wire, on no list) with -ECANCELED and returns true. */
static bool drained(struct api *a, struct request *q)
{
        if (!a->draining)
                return false;
        q->state = REQUEST_WAITING; /* request_finish() takes it off this list */
        list_append(&a->waiting, q);
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
                q->state = REQUEST_WAITING; /* request_finish() takes it off this list */
                list_append(&a->waiting, q);
                request_finish(q, status, error, detail);
                return;
        }
        a->stats.retries++;
        request_wait(a, q,
                     api_backoff_usec(q->attempts, a->opt.backoff_base_usec,
                                      a->opt.backoff_cap_usec, rng_next(a)));
}

static void rate_limited(struct api *a, struct request *q)
{
        uint64_t until;

        a->stats.rate_limited++;
        if (drained(a, q))
                return;
        until = now_monotonic_us() + retry_after_usec(q);
        if (until > a->not_before_usec)
                a->not_before_usec = until;
        log_debug("http: 429 t=%llu until=%llu", (unsigned long long)now_monotonic_us(),
                  (unsigned long long)a->not_before_usec);
        q->rate_limited++;
        q->state = REQUEST_QUEUED;
        if (q->rate_limited > RATE_LIMIT_MAX_WAITS) {
                list_append(&a->queue, q);
                request_finish(q, 429, 0, "rate limited too many times");
                return;
        }
        list_prepend(&a->queue, q);
}

static void request_completed(struct api *a, struct request *q, CURLcode cc)
{
        long status = 0;

        (void)curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
        if (q->is_token) {
                token_finished(a, q, cc, status);
                return;
        }
        list_remove(&a->active, q);
        a->n_active--;
        q->state = REQUEST_WAITING; /* off the wire; each branch below moves it on */
        request_release_transfer(q);
        if (cc != CURLE_OK && q->too_big) {
                list_append(&a->waiting, q);
                request_finish(q, (int)status, -EFBIG, "response body over 8 MiB");
        } else if (cc != CURLE_OK && !curl_code_is_transient(cc)) {
                list_append(&a->waiting, q);
                request_finish(q, 0, curl_code_to_errno(cc),
                               q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
        } else if (cc != CURLE_OK) {
                retry_or_fail(a, q, 0, curl_code_to_errno(cc),
                              q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
        } else if (status == 429) {
                rate_limited(a, q);
        } else if (status == 401 && !q->token_retried &&
                   (q->invalid_token || (q->resp && strstr(q->resp, "invalid_token")))) {
                if (q->token_gen == a->token_gen)
                        token_drop(a);
                if (drained(a, q))
                        return;
                q->token_retried = true;
                q->state = REQUEST_QUEUED;
                list_prepend(&a->queue, q);
        } else if (status >= 500 || status == 408) {
                retry_or_fail(a, q, (int)status, 0, "server error");
        } else {
                list_append(&a->waiting, q);
                request_finish(q, (int)status, 0, NULL);
        }
}

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

static int on_gate_open(sd_event_source *s, uint64_t usec, void *userdata)
{
        dispatch(userdata);
        return 0;
}

static void dispatch(struct api *a)
{
        uint64_t now = now_usec(a);

        if (a->not_before_usec > now) {
                if (!a->queue.first)
                        return;
                if (!a->gate_timer) {
                        if (sd_event_add_time(a->event, &a->gate_timer, CLOCK_MONOTONIC,
                                              a->not_before_usec, 1, on_gate_open, a) < 0)
                                return;
                } else {
                        (void)sd_event_source_set_time(a->gate_timer, a->not_before_usec);
                        (void)sd_event_source_set_enabled(a->gate_timer, SD_EVENT_ONESHOT);
                }
                return;
        }
        while (a->queue.first && a->n_active < a->max_parallel) {
                if (!token_usable(a, now)) {
                        if (!a->token_req && token_request_new(a) < 0)
                                token_fail_waiters(a, -ENOMEM, "out of memory");
                        return;
                }
                if (request_start(a, a->queue.first) < 0)
                        return; /* out of memory: the next completion or timer tries again */
        }
}

/* ---- libcurl <-> sd-event ---- */

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct api *a = userdata;
        int action = 0, running;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;
        (void)curl_multi_socket_action(a->multi, fd, action, &running);
        check_multi_info(a);
        return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        struct api *a = userp;
        sd_event_source *io = socketp;
        uint32_t events;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        sd_event_source_disable_unref(io);
                        curl_multi_assign(a->multi, fd, NULL);
                }
                return 0;
        }
        events = what == CURL_POLL_IN    ? EPOLLIN
                 : what == CURL_POLL_OUT ? EPOLLOUT
                                         : (EPOLLIN | EPOLLOUT);
        if (io) {
                if (sd_event_source_set_io_events(io, events) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }
        if (sd_event_add_io(a->event, &io, fd, events, on_curl_io, a) < 0)
                return -1;
        curl_multi_assign(a->multi, fd, io);
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct api *a = userdata;
        int running;

        (void)curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_multi_info(a);
        return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct api *a = userp;
        uint64_t when;

        if (timeout_ms < 0) {
                if (a->curl_timer)
                        (void)sd_event_source_set_enabled(a->curl_timer, SD_EVENT_OFF);
                return 0;
        }
        when = now_usec(a) + (uint64_t)timeout_ms * 1000u;
        if (!a->curl_timer)
                return sd_event_add_time(a->event, &a->curl_timer, CLOCK_MONOTONIC, when, 1,
                                         on_curl_timer, a) < 0
                               ? -1
                               : 0;
        if (sd_event_source_set_time(a->curl_timer, when) < 0 ||
            sd_event_source_set_enabled(a->curl_timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

/* ---- life cycle ---- */

static bool header_value_ok(const char *s)
{
        return !s || !strpbrk(s, "\r\n");
}

static int copy_config(struct api *a, const struct api_config *cfg)
{
        char *base = NULL, *token = NULL, *version = NULL, *referer = NULL, *obo = NULL, *ca = NULL;

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
        if (a->base_url && (!streq(a->base_url, base) || !streq(a->token_url, token)))
                token_drop(a);
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
        return copy_config(a, cfg);
}

int api_new(struct api **ret, sd_event *e, const struct api_config *cfg,
            const struct credentials *creds, const struct api_options *opt)
{
        struct api *a;
        int r;

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
        a->multi = curl_multi_init();
        if (!a->creds.subscription_key || !a->creds.client_id || !a->creds.client_secret ||
            !a->multi) {
                api_free(a);
                return -ENOMEM;
        }
        r = copy_config(a, cfg);
        if (r < 0) {
                api_free(a);
                return r;
        }
        curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
        curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
        curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
        curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
        *ret = a;
        return 0;
}

void api_cancel_pending(struct api *a)
{
        while (a->queue.first)
                request_finish(a->queue.first, 0, -ECANCELED, "cancelled");
        for (struct request *q = a->waiting.first, *next; q; q = next) {
                next = q->next;
                if (q->is_token) {
                        list_remove(&a->waiting, q);
                        a->token_req = NULL;
                        request_free(q);
                } else
                        request_finish(q, 0, -ECANCELED, "cancelled");
        }
}

void api_drain(struct api *a)
{
        a->draining = true;
        api_cancel_pending(a);
}

void api_cancel_all(struct api *a)
{
        api_cancel_pending(a);
        while (a->active.first) {
                struct request *q = a->active.first;

                if (q->is_token) {
                        list_remove(&a->active, q);
                        a->token_req = NULL;
                        request_free(q);
                } else
                        request_finish(q, 0, -ECANCELED, "cancelled");
        }
}

void api_free(struct api *a)
{
        if (!a)
                return;
        if (a->multi) {
                api_cancel_all(a);
                curl_multi_cleanup(a->multi);
        }
        a->curl_timer = sd_event_source_disable_unref(a->curl_timer);
        a->gate_timer = sd_event_source_disable_unref(a->gate_timer);
        token_drop(a);
        wipe_free(a->creds.subscription_key);
        wipe_free(a->creds.client_id);
        wipe_free(a->creds.client_secret);
        free(a->base_url), free(a->token_url), free(a->api_version);
        free(a->referer), free(a->on_behalf_of), free(a->ca_file);
        sd_event_unref(a->event);
        free(a);
}

int api_request(struct api *a, enum api_method method, const char *url, const char *json_body,
                api_done_t done, void *userdata)
{
        struct request *q = calloc(1, sizeof(*q));

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
        q->state = REQUEST_QUEUED;
        list_append(&a->queue, q);
        a->n_outstanding++;
        dispatch(a);
        return 0;
}

int api_request_path(struct api *a, enum api_method method, const char *path, const char *json_body,
                     api_done_t done, void *userdata)
{
        _cleanup_free_ char *url = NULL;
        size_t n = strlen(a->base_url);

        /* base_url may or may not end in '/'; path always starts with one */
        if (asprintf(&url, "%.*s%s", (int)(n > 0 && a->base_url[n - 1] == '/' ? n - 1 : n),
                     a->base_url, path) < 0)
                return -ENOMEM;
        return api_request(a, method, url, json_body, done, userdata);
}

size_t api_n_outstanding(const struct api *a)
{
        return a->n_outstanding;
}

void api_get_stats(const struct api *a, struct api_stats *ret)
{
        *ret = a->stats;
}
