/* notify.c: the notification sender (see notify.h).  An event becomes one
 * item per target that wants it; the items wait in one bounded queue and go
 * out on a curl multi handle of notify's own, driven by the daemon's
 * sd-event loop, so that a receiver that hangs holds notify's few slots,
 * never the API's.  Only a target's origin and number ever reach the log:
 * webhook URLs (Slack, Teams) carry their secret in the path. */
#include "notify.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api-list.h" /* api_retrieve_path() */
#include "api.h" /* api_check_url(), api_parse_retry_after() */
#include "credentials.h"
#include "curl-loop.h"
#include "dlist.h"
#include "fileio.h"
#include "jsonw.h"
#include "log.h"
#include "money.h"
#include "timeutil.h"
#include "utf8.h"
#include "util.h"

#define RESPONSE_MAX (64 * 1024) /* bytes of an answer read (and thrown away) */
#define RETRY_AFTER_MAX_MS 60000 /* a longer Retry-After is cut to a minute */
#define DROP_LOG_INTERVAL_USEC (60 * UINT64_C(1000000))
#define TEXT_PART_MAX 200 /* bytes of one outside string in the text line */
/* The text line: at most 7 outside parts, each at most TEXT_PART_MAX bytes
 * written as at most 5 bytes each ("&amp;"), plus approvald's own words. */
#define TEXT_MAX (7 * 5 * TEXT_PART_MAX + 1024)

/* ---- targets ---- */

/* One configured target, shared by the items queued for it: a reload
 * makes new targets and leaves the old ones to the items that hold them. */
struct target {
        unsigned ref;
        size_t number; /* 1 for the first of notify.targets: how the log names it */
        unsigned events; /* bit (1u << enum notify_kind) for each event wanted */
        char *url;
        char *origin; /* scheme://host[:port]: the one part of url ever logged */
        struct curl_slist *headers; /* ours and the configured ones, values wiped on free */
        size_t sending; /* its items in flight (NOTIFY_TARGET_PARALLEL_MAX at most) */
};

static void headers_free(struct curl_slist *l)
{
        for (struct curl_slist *i = l; i; i = i->next)
                explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static void target_unref(struct target *t)
{
        if (!t || --t->ref > 0)
                return;
        headers_free(t->headers);
        free(t->url);
        free(t->origin);
        free(t);
}

static void targets_free(struct target **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                target_unref(v[i]);
        free(v);
}

/* "scheme://host[:port]" of url, or NULL (out of memory, or it does not
 * parse: api_check_url() has refused it before). */
static char *url_origin(const char *url)
{
        CURLU *h = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *o = NULL;

        if (!h)
                return NULL;
        if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
                if (curl_url_get(h, CURLUPART_PORT, &port, 0) != CURLUE_OK)
                        port = NULL; /* none in the URL */
                if (asprintf(&o, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "") <
                    0)
                        o = NULL;
        }
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(h);
        return o;
}

/* Appends "name: value" to *l, wiping the line it built. */
static int header_append(struct curl_slist **l, const char *name, const char *value)
{
        struct curl_slist *more;
        char *line = NULL;
        int k;

        k = asprintf(&line, "%s: %s", name, value);
        if (k < 0)
                return -ENOMEM;
        more = curl_slist_append(*l, line);
        explicit_bzero(line, (size_t)k);
        free(line);
        if (!more)
                return -ENOMEM;
        *l = more;
        return 0;
}

static int target_headers(const struct notify_target *cfg, const char *dir, struct curl_slist **ret,
                          char **ret_path)
{
        struct curl_slist *l = NULL;
        int r;

        r = header_append(&l, "Content-Type", "application/json");
        if (r >= 0) /* no "Expect: 100-continue" wait before a larger body */
                r = header_append(&l, "Expect", "");
        for (size_t i = 0; r >= 0 && i < cfg->n_headers; i++) {
                char *value = NULL;

                r = credentials_read_file(dir, cfg->headers[i].credential, &value, ret_path);
                if (r < 0)
                        break;
                r = header_append(&l, cfg->headers[i].name, value);
                explicit_bzero(value, strlen(value));
                free(value);
        }
        if (r < 0) {
                headers_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static int target_new(const struct notify_target *cfg, size_t number, const char *dir,
                      struct target **ret, char **ret_path)
{
        struct target *t;
        int r;

        /* check refuses these; the sender must never post to one either */
        r = api_check_url(cfg->url);
        if (r < 0)
                return r;
        if (cfg->n_headers > 0 && !dir)
                return -ENXIO;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->ref = 1;
        t->number = number;
        t->events = cfg->events;
        t->url = strdup(cfg->url);
        t->origin = url_origin(cfg->url);
        r = t->url && t->origin ? 0 : -ENOMEM;
        if (r >= 0)
                r = target_headers(cfg, dir, &t->headers, ret_path);
        if (r < 0) {
                target_unref(t);
                return r;
        }
        *ret = t;
        return 0;
}

static int targets_new(const struct notify_config *nc, const char *dir, struct target ***ret,
                       size_t *ret_n, char **ret_path)
{
        struct target **v = NULL;
        size_t n = 0;
        int r = 0;

        if (nc->n_targets > 0) {
                v = calloc(nc->n_targets, sizeof(*v));
                if (!v)
                        return -ENOMEM;
        }
        for (; n < nc->n_targets; n++) {
                r = target_new(&nc->targets[n], n + 1, dir, &v[n], ret_path);
                if (r < 0) {
                        targets_free(v, n);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* ---- the sender ---- */

/* An item's life: queued -> sending -> sent or given up, or -> waiting
 * (a backoff) -> queued again.  Each state has its list in struct notify. */
enum item_state {
        ITEM_QUEUED,
        ITEM_SENDING,
        ITEM_WAITING,
        _ITEM_STATE_MAX,
};

struct item {
        struct notify *notify;
        struct item *prev, *next; /* on notify->lists[state] */
        enum item_state state;
        struct target *target; /* a reference: a reload leaves it to this item */
        enum notify_kind kind;
        char *order_id; /* for the log; NULL for api_down */
        char *body;
        unsigned attempts; /* started so far */
        CURL *easy; /* ITEM_SENDING */
        sd_event_source *timer; /* ITEM_WAITING: the backoff */
        size_t response_size; /* bytes of the answer's body so far */
        int64_t retry_after_s; /* the answer's Retry-After; -1: none */
};

struct item_list {
        struct item *first, *last;
        size_t n;
};

struct notify {
        sd_event *event;
        CURLM *multi; /* the loop's, borrowed */
        struct curl_loop *loop; /* made when the first item starts */
        sd_event_source *dispatch; /* starts queued items from the loop, not from notify_send() */
        struct target **targets;
        size_t n_targets;
        struct item_list lists[_ITEM_STATE_MAX];
        struct notify_stats stats;
        uint64_t backoff_first_ms;
        uint64_t timeout_ms;
        char *host;
        uint64_t drop_logged_usec; /* the last "dropped" line, CLOCK_MONOTONIC; 0: never */
        bool exit_pending; /* notify_exit_when_sent(): end the loop once nothing waits */
        int exit_code;
        sd_event_source *exit_timer; /* its ticks */
        uint64_t exit_deadline; /* CLOCK_MONOTONIC usec: the grace's end */
        uint64_t progress_usec; /* CLOCK_MONOTONIC usec: the last item sent or given up */
};

static size_t waiting(const struct notify *n)
{
        return n->lists[ITEM_QUEUED].n + n->lists[ITEM_SENDING].n + n->lists[ITEM_WAITING].n;
}

static void list_remove(struct item_list *l, struct item *it)
{
        DLIST_REMOVE(l, it);
        l->n--;
}

static void list_insert(struct item_list *l, struct item *it, bool front)
{
        if (front)
                DLIST_PREPEND(l, it);
        else
                DLIST_APPEND(l, it);
        l->n++;
}

/* The one transition function: moves it to state's list. */
static void item_set_state(struct item *it, enum item_state state, bool front)
{
        struct notify *n = it->notify;

        list_remove(&n->lists[it->state], it);
        if (it->state == ITEM_SENDING)
                it->target->sending--;
        if (state == ITEM_SENDING)
                it->target->sending++;
        it->state = state;
        list_insert(&n->lists[state], it, front);
}

static void item_release_transfer(struct item *it)
{
        if (!it->easy)
                return;
        curl_multi_remove_handle(it->notify->multi, it->easy);
        curl_easy_cleanup(it->easy);
        it->easy = NULL;
}

static void exit_if_idle(struct notify *n);

static void item_free(struct item *it)
{
        struct notify *n = it->notify;

        list_remove(&n->lists[it->state], it);
        if (it->state == ITEM_SENDING)
                it->target->sending--;
        item_release_transfer(it);
        it->timer = sd_event_source_disable_unref(it->timer);
        target_unref(it->target);
        free(it->order_id);
        free(it->body);
        free(it);
        exit_if_idle(n);
}

/* What the log calls the notification: "hold notification for order
 * ORD-7 to target 1 (https://hooks.example)". */
static void item_describe(const struct item *it, char *buf, size_t size)
{
        char id[LOG_ESCAPE_MAX], origin[LOG_ESCAPE_MAX];

        if (it->order_id)
                log_escape(it->order_id, id, sizeof(id));
        log_escape(it->target->origin, origin, sizeof(origin));
        snprintf(buf, size, "%s notification%s%s to target %zu (%s)", notify_kind_names[it->kind],
                 it->order_id ? " for order " : "", it->order_id ? id : "", it->target->number,
                 origin);
}

static void item_give_up(struct item *it, const char *why)
{
        char what[3 * LOG_ESCAPE_MAX];
        struct log_fields f = { .order_id = it->order_id };

        item_describe(it, what, sizeof(what));
        log_event(LOG_WARNING, NULL, &f, 0, "notify: %s not sent after %u attempt%s: %s", what,
                  it->attempts, it->attempts == 1 ? "" : "s", why);
        it->notify->stats.failed++;
        it->notify->progress_usec = now_monotonic_us();
        item_free(it);
}

static void item_sent(struct item *it, long status)
{
        char what[3 * LOG_ESCAPE_MAX];

        item_describe(it, what, sizeof(what));
        log_debug("notify: %s sent (HTTP %ld, attempt %u)", what, status, it->attempts);
        it->notify->stats.sent++;
        it->notify->progress_usec = now_monotonic_us();
        item_free(it);
}

static void dispatch(struct notify *n);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct item *it = userdata;
        struct notify *n = it->notify;

        it->timer = sd_event_source_disable_unref(it->timer);
        item_set_state(it, ITEM_QUEUED, true); /* older than what was queued since */
        dispatch(n);
        return 0;
}

/* Waits the backoff, then queues it again; gives up when its attempts
 * are spent or the timer cannot be armed. */
static void item_retry(struct item *it, const char *why)
{
        struct notify *n = it->notify;
        char what[3 * LOG_ESCAPE_MAX];
        uint64_t delay_ms;
        int r;

        if (it->attempts >= NOTIFY_ATTEMPTS_MAX) {
                item_give_up(it, why);
                return;
        }
        delay_ms = n->backoff_first_ms << (it->attempts - 1);
        if (it->retry_after_s > 0) {
                uint64_t asked = it->retry_after_s >= RETRY_AFTER_MAX_MS / 1000
                                         ? RETRY_AFTER_MAX_MS
                                         : (uint64_t)it->retry_after_s * 1000u;

                if (asked > delay_ms)
                        delay_ms = asked;
        }
        r = sd_event_add_time_relative(n->event, &it->timer, CLOCK_MONOTONIC, delay_ms * 1000u,
                                       1000, on_retry, it);
        if (r < 0) {
                it->timer = NULL;
                item_give_up(it, "cannot arm the retry timer");
                return;
        }
        item_set_state(it, ITEM_WAITING, false);
        item_describe(it, what, sizeof(what));
        log_debug("notify: %s: %s; attempt %u in %llu ms", what, why, it->attempts + 1,
                  (unsigned long long)delay_ms);
}

/* Errors that another attempt cannot mend: the URL, the protocol, the
 * peer's certificate. */
static bool curl_error_permanent(CURLcode cc)
{
        switch (cc) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
                return true;
        default:
                return false;
        }
}

/* One attempt ended with cc: sent, retried or given up. */
static void item_completed(struct item *it, CURLcode cc)
{
        bool capped = cc == CURLE_WRITE_ERROR && it->response_size > RESPONSE_MAX;
        long status = 0;
        char why[32];

        (void)curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &status);
        item_release_transfer(it);
        if (cc != CURLE_OK && !capped) {
                /* curl_easy_strerror(), not the error buffer: that may
                 * quote the URL, whose path is a secret */
                if (curl_error_permanent(cc))
                        item_give_up(it, curl_easy_strerror(cc));
                else
                        item_retry(it, curl_easy_strerror(cc));
                return;
        }
        if (status >= 200 && status < 300) {
                item_sent(it, status);
                return;
        }
        snprintf(why, sizeof(why), "HTTP %ld", status);
        if (status >= 500 || status == 408 || status == 429)
                item_retry(it, why);
        else
                item_give_up(it, why); /* another 4xx, or a 3xx not followed */
}

/* ---- libcurl <-> sd-event ---- */

static void check_multi_info(struct notify *n)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(n->multi, &left))) {
                struct item *it = NULL;

                if (m->msg != CURLMSG_DONE)
                        continue;
                (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&it);
                if (it)
                        item_completed(it, m->data.result);
        }
        dispatch(n);
}

static void on_progress(void *userdata)
{
        check_multi_info(userdata);
}

static int multi_new(struct notify *n)
{
        int r = curl_loop_new(&n->loop, n->event, on_progress, n);

        if (r < 0)
                return r;
        n->multi = curl_loop_multi(n->loop);
        (void)curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS, (long)NOTIFY_PARALLEL_MAX);
        return 0;
}

/* ---- one attempt ---- */

/* The answer is read only to be thrown away, and only so far. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct item *it = userdata;
        size_t len = size * nmemb;

        if (len > RESPONSE_MAX || it->response_size + len > RESPONSE_MAX) {
                it->response_size = RESPONSE_MAX + 1;
                return 0; /* ends the transfer: CURLE_WRITE_ERROR */
        }
        it->response_size += len;
        return len;
}

/* Keeps a 429's or 503's Retry-After; a status line (an interim 1xx
 * answer's too) starts over. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
        static const char name[] = "Retry-After:";
        struct item *it = userdata;
        size_t len = size * nmemb, l;
        char value[64];
        int64_t s;

        if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
                it->retry_after_s = -1;
                return len;
        }
        if (len <= sizeof(name) - 1 || strncasecmp(line, name, sizeof(name) - 1) != 0)
                return len;
        l = len - (sizeof(name) - 1);
        if (l >= sizeof(value))
                return len; /* no sensible value is that long */
        memcpy(value, line + sizeof(name) - 1, l);
        while (l > 0 && (value[l - 1] == '\n' || value[l - 1] == '\r' || value[l - 1] == ' '))
                l--;
        value[l] = '\0';
        if (api_parse_retry_after(value, now_realtime_s(), &s) == 0)
                it->retry_after_s = s;
        return len;
}

/* Every fd close-on-exec, libcurl's sockets too. */
static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
        return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static CURLcode easy_setup(struct notify *n, struct item *it)
{
        CURL *e = it->easy;
        CURLcode c = CURLE_OK;

#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (c == CURLE_OK)                                                                 \
                        c = curl_easy_setopt(e, opt, val);                                         \
        } while (0)
        SET(CURLOPT_URL, it->target->url);
        SET(CURLOPT_PRIVATE, it);
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, it->body);
        SET(CURLOPT_POSTFIELDSIZE, (long)strlen(it->body));
        SET(CURLOPT_HTTPHEADER, it->target->headers);
        SET(CURLOPT_WRITEFUNCTION, on_write);
        SET(CURLOPT_WRITEDATA, it);
        SET(CURLOPT_HEADERFUNCTION, on_header);
        SET(CURLOPT_HEADERDATA, it);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        /* a redirect could lead to a URL that check never saw */
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        SET(CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
        SET(CURLOPT_USERAGENT, "approvald/" APPROVALD_VERSION);
#undef SET
        return c;
}

/* Puts it on the wire.  Returns 0, or -errno (it is then as it was). */
static int item_start(struct notify *n, struct item *it)
{
        CURLMcode mc;
        CURLcode c;
        int r;

        if (!n->multi) {
                r = multi_new(n);
                if (r < 0)
                        return r;
        }
        it->easy = curl_easy_init();
        if (!it->easy)
                return -ENOMEM;
        it->response_size = 0;
        it->retry_after_s = -1;
        c = easy_setup(n, it);
        if (c != CURLE_OK) {
                curl_easy_cleanup(TAKE_PTR(it->easy));
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        }
        mc = curl_multi_add_handle(n->multi, it->easy);
        if (mc != CURLM_OK) {
                curl_easy_cleanup(TAKE_PTR(it->easy));
                return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
        }
        it->attempts++;
        if (it->attempts > 1)
                n->stats.retried++;
        item_set_state(it, ITEM_SENDING, false);
        return 0;
}

/* Starts what the queue holds, oldest first, as far as the slots allow:
 * an item whose target has all its slots busy waits, and lets the items
 * of other targets behind it go. */
static void dispatch(struct notify *n)
{
        struct item *next;

        for (struct item *it = n->lists[ITEM_QUEUED].first;
             it && n->lists[ITEM_SENDING].n < NOTIFY_PARALLEL_MAX; it = next) {
                char why[128];
                int r;

                next = it->next; /* it leaves the queue */
                if (it->target->sending >= NOTIFY_TARGET_PARALLEL_MAX)
                        continue;
                r = item_start(n, it);
                if (r < 0) {
                        snprintf(why, sizeof(why), "cannot start: %s", strerror(-r));
                        item_give_up(it, why);
                }
        }
}

static int on_dispatch(sd_event_source *s, void *userdata)
{
        dispatch(userdata);
        return 0;
}

/* ---- queueing ---- */

/* Counts one notification that was not queued; says so at most once a
 * minute, with the running count. */
static void note_dropped(struct notify *n, const struct notify_event *ev, const char *why)
{
        uint64_t now = now_monotonic_us();
        char id[LOG_ESCAPE_MAX];

        n->stats.dropped++;
        if (n->drop_logged_usec != 0 && now - n->drop_logged_usec < DROP_LOG_INTERVAL_USEC)
                return;
        n->drop_logged_usec = now;
        log_warning("notify: %s notification%s%s dropped: %s (%llu dropped so far)",
                    notify_kind_names[ev->kind], ev->order_id ? " for order " : "",
                    ev->order_id ? log_escape(ev->order_id, id, sizeof(id)) : "", why,
                    (unsigned long long)n->stats.dropped);
}

static int item_new(struct notify *n, struct target *t, const struct notify_event *ev,
                    const char *body)
{
        struct item *it;

        it = calloc(1, sizeof(*it));
        if (!it)
                return -ENOMEM;
        it->body = strdup(body);
        it->order_id = strdup_null(ev->order_id);
        if (!it->body || (ev->order_id && !it->order_id)) {
                free(it->body);
                free(it->order_id);
                free(it);
                return -ENOMEM;
        }
        it->notify = n;
        it->kind = ev->kind;
        it->target = t;
        t->ref++;
        it->state = ITEM_QUEUED;
        list_insert(&n->lists[ITEM_QUEUED], it, false);
        n->stats.queued++;
        return 0;
}

size_t notify_send(struct notify *n, const struct notify_event *ev)
{
        _cleanup_free_ char *body = NULL;
        size_t queued = 0;

        assert(n);
        assert(ev);
        assert((unsigned)ev->kind < _NOTIFY_KIND_MAX);

        if (!notify_wants(n, ev->kind))
                return 0;
        body = notify_body(ev, n->host, now_realtime_s());
        for (size_t i = 0; i < n->n_targets; i++) {
                struct target *t = n->targets[i];

                if (!(t->events & (1u << ev->kind)))
                        continue;
                if (!body)
                        note_dropped(n, ev, "out of memory");
                else if (waiting(n) >= NOTIFY_QUEUE_MAX)
                        note_dropped(n, ev,
                                     "the queue is full (" STRINGIFY(NOTIFY_QUEUE_MAX) " waiting)");
                else if (item_new(n, t, ev, body) < 0)
                        note_dropped(n, ev, "out of memory");
                else
                        queued++;
        }
        if (queued > 0)
                (void)sd_event_source_set_enabled(n->dispatch, SD_EVENT_ONESHOT);
        return queued;
}

/* The order's URL at the API: it tells a person where to look and holds
 * no secret.  NULL when out of memory. */
static char *order_link(const struct api_config *a, const char *order_id)
{
        _cleanup_free_ char *path = NULL;
        size_t len = strlen(a->base_url);
        char *url;

        if (api_retrieve_path(a, order_id, &path) < 0)
                return NULL;
        if (len > 0 && a->base_url[len - 1] == '/')
                len--;
        if (asprintf(&url, "%.*s%s", (int)len, a->base_url, path) < 0)
                return NULL;
        return url;
}

size_t notify_send_order(struct notify *n, const struct api_config *a, enum notify_kind kind,
                         const char *order_id, const struct order *o, const char *rule,
                         const char *reason, const char *decision, const char *by, int64_t since)
{
        _cleanup_free_ char *link = NULL;
        struct notify_event ev = {
                .kind = kind,
                .order_id = order_id,
                .rule = rule,
                .reason = reason,
                .decision = decision,
                .by = by,
                .since = since,
        };

        assert(n);
        assert(a);
        assert(order_id);
        if (!notify_wants(n, kind))
                return 0;
        if (o) {
                ev.customer_id = o->customer_id;
                ev.customer_name = o->customer_name;
                ev.has_total = o->has_total;
                ev.total = o->total;
                ev.currency = o->currency;
        }
        link = order_link(a, order_id);
        ev.link = link; /* out of memory: sent without it */
        return notify_send(n, &ev);
}

bool notify_wants(const struct notify *n, enum notify_kind kind)
{
        assert(n);
        assert((unsigned)kind < _NOTIFY_KIND_MAX);

        for (size_t i = 0; i < n->n_targets; i++)
                if (n->targets[i]->events & (1u << kind))
                        return true;
        return false;
}

void notify_get_stats(const struct notify *n, struct notify_stats *ret)
{
        assert(n);
        assert(ret);

        *ret = n->stats;
        ret->waiting = waiting(n);
}

void notify_set_timing(struct notify *n, int64_t backoff_first_ms, int64_t timeout_ms)
{
        assert(n);
        assert(backoff_first_ms >= 0 && backoff_first_ms <= INT32_MAX);
        assert(timeout_ms >= 0 && timeout_ms <= INT32_MAX);

        if (backoff_first_ms > 0)
                n->backoff_first_ms = (uint64_t)backoff_first_ms;
        if (timeout_ms > 0)
                n->timeout_ms = (uint64_t)timeout_ms;
}

/* ---- life cycle ---- */

static char *host_name(void)
{
        char buf[HOST_NAME_MAX + 1];

        if (gethostname(buf, sizeof(buf)) < 0)
                return NULL;
        buf[sizeof(buf) - 1] = '\0';
        return strdup(buf);
}

int notify_new(struct notify **ret, sd_event *e, const struct config *c,
               const char *credentials_dir, char **ret_path)
{
        struct notify *n;
        int r;

        assert(ret);
        assert(e);
        assert(c);
        assert(ret_path);

        *ret_path = NULL;
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->event = sd_event_ref(e);
        n->backoff_first_ms = NOTIFY_BACKOFF_FIRST_MS;
        n->timeout_ms = NOTIFY_TIMEOUT_MS;
        n->host = host_name(); /* may be NULL: left out of the body */
        r = targets_new(&c->notify, credentials_dir, &n->targets, &n->n_targets, ret_path);
        if (r >= 0)
                r = sd_event_add_defer(e, &n->dispatch, on_dispatch, n);
        if (r >= 0)
                r = sd_event_source_set_enabled(n->dispatch, SD_EVENT_OFF);
        if (r < 0) {
                notify_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

int notify_reload(struct notify *n, const struct config *c, const char *credentials_dir,
                  char **ret_path)
{
        struct target **v;
        size_t nv;
        int r;

        assert(n);
        assert(c);
        assert(ret_path);

        *ret_path = NULL;
        r = targets_new(&c->notify, credentials_dir, &v, &nv, ret_path);
        if (r < 0)
                return r;
        /* the items keep their own references to the old targets */
        targets_free(n->targets, n->n_targets);
        n->targets = v;
        n->n_targets = nv;
        return 0;
}

/* After notify_exit_when_sent(): the loop ends with the last item. */
static void exit_if_idle(struct notify *n)
{
        if (!n->exit_pending || waiting(n) > 0)
                return;
        n->exit_pending = false;
        n->exit_timer = sd_event_source_disable_unref(n->exit_timer);
        (void)sd_event_exit(n->event, n->exit_code);
}

/* Every NOTIFY_EXIT_TICK_USEC while the loop waits to end: it ends once
 * the grace is up, or once no notification was sent (or given up) for
 * NOTIFY_EXIT_IDLE_USEC: receivers that hang or fail, whose notifications
 * would only leave after their attempts and backoff, do not hold the exit
 * up for nothing. */
static int on_exit_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct notify *n = userdata;
        uint64_t now = now_monotonic_us();

        if (!n->exit_pending)
                return 0;
        if (now < n->exit_deadline && now - n->progress_usec < NOTIFY_EXIT_IDLE_USEC &&
            sd_event_source_set_time_relative(s, NOTIFY_EXIT_TICK_USEC) >= 0 &&
            sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) >= 0)
                return 0;
        n->exit_pending = false;
        (void)sd_event_exit(n->event, n->exit_code);
        return 0;
}

int notify_exit_when_sent(struct notify *n, int code, uint64_t grace_usec)
{
        size_t w;
        int r;

        assert(n);
        w = waiting(n);
        n->exit_code = code;
        if (w == 0 || n->exit_pending) {
                if (w == 0)
                        (void)sd_event_exit(n->event, code);
                return 0;
        }
        r = sd_event_add_time_relative(n->event, &n->exit_timer, CLOCK_MONOTONIC,
                                       NOTIFY_EXIT_TICK_USEC, 0, on_exit_tick, n);
        if (r < 0) {
                (void)sd_event_exit(n->event, code);
                return r;
        }
        n->exit_pending = true;
        n->progress_usec = now_monotonic_us(); /* each gets one idle period at least */
        n->exit_deadline = n->progress_usec + grace_usec;
        log_info("notify: waiting up to %llu s for %zu notification%s to go out",
                 (unsigned long long)(grace_usec / 1000000), w, w == 1 ? "" : "s");
        return 0;
}

void notify_free(struct notify *n)
{
        size_t dropped = 0;

        if (!n)
                return;
        n->exit_pending = false; /* the items freed below end no loop */
        n->exit_timer = sd_event_source_disable_unref(n->exit_timer);
        for (int s = 0; s < _ITEM_STATE_MAX; s++)
                while (n->lists[s].first) {
                        item_free(n->lists[s].first);
                        dropped++;
                }
        n->stats.dropped += dropped;
        if (dropped > 0)
                log_warning("notify: stopping with %zu notification%s not sent: dropped "
                            "(%llu dropped in all)",
                            dropped, dropped == 1 ? "" : "s", (unsigned long long)n->stats.dropped);
        curl_loop_free(n->loop); /* every transfer was removed with its item */
        n->dispatch = sd_event_source_disable_unref(n->dispatch);
        targets_free(n->targets, n->n_targets);
        free(n->host);
        sd_event_unref(n->event);
        free(n);
}

/* ---- the body ---- */

/* The text line, in a buffer large enough for every part (TEXT_MAX). */
struct text {
        char buf[TEXT_MAX];
        size_t n;
};

/* Appends approvald's own words. */
static void text_add(struct text *t, const char *s)
{
        size_t l = strlen(s);

        if (l > sizeof(t->buf) - 1 - t->n)
                l = sizeof(t->buf) - 1 - t->n; /* cannot happen: TEXT_MAX fits all */
        memcpy(t->buf + t->n, s, l);
        t->n += l;
        t->buf[t->n] = '\0';
}

/* Appends text from outside (a name, a reason): at most TEXT_PART_MAX
 * bytes of it, cut at a character and marked "..."; a byte of invalid
 * UTF-8 as '?', a control character as a space (the text is one line);
 * and &, <, > as &amp; &lt; &gt;, which Slack reads as markup: a
 * customer's name could otherwise mention @channel or forge a link. */
static void text_add_outside(struct text *t, const char *s)
{
        size_t used = 0;

        for (const char *p = s; *p;) {
                size_t l = utf8_decode(p, NULL);
                char one[5];
                const char *piece = one;

                if (used + (l > 0 ? l : 1) > TEXT_PART_MAX) {
                        text_add(t, "...");
                        return;
                }
                if (l == 0) {
                        piece = "?";
                        l = 1;
                } else if (*p == '&') {
                        piece = "&amp;";
                } else if (*p == '<') {
                        piece = "&lt;";
                } else if (*p == '>') {
                        piece = "&gt;";
                } else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                        piece = " ";
                } else {
                        memcpy(one, p, l);
                        one[l] = '\0';
                }
                text_add(t, piece);
                p += l;
                used += l;
        }
}

/* "Order ORD-7 (Contoso, 1200.00 EUR)" */
static void text_subject(struct text *t, const struct notify_event *ev)
{
        const char *who = ev->customer_name ? ev->customer_name : ev->customer_id;
        char money[MONEY_BUF_SIZE];

        if (ev->order_id) {
                text_add(t, "Order ");
                text_add_outside(t, ev->order_id);
        } else {
                text_add(t, "An order");
        }
        if (!who && !ev->has_total)
                return;
        text_add(t, " (");
        if (who)
                text_add_outside(t, who);
        if (who && ev->has_total)
                text_add(t, ", ");
        if (ev->has_total) {
                text_add(t, money_format(ev->total, money));
                if (ev->currency) {
                        text_add(t, " ");
                        text_add_outside(t, ev->currency);
                }
        }
        text_add(t, ")");
}

/* ": rule 'big orders': Needs a look" */
static void text_rule_reason(struct text *t, const struct notify_event *ev)
{
        if (ev->rule) {
                text_add(t, ": rule '");
                text_add_outside(t, ev->rule);
                text_add(t, "'");
        } else {
                text_add(t, ": the default rule");
        }
        if (ev->reason) {
                text_add(t, ": ");
                text_add_outside(t, ev->reason);
        }
}

static void text_reason(struct text *t, const struct notify_event *ev)
{
        if (ev->reason) {
                text_add(t, ": ");
                text_add_outside(t, ev->reason);
        }
}

static void text_since(struct text *t, const char *before, int64_t since)
{
        char ts[TIMESTAMP_BUF_SIZE];

        if (since == 0)
                return;
        text_add(t, before);
        text_add(t, timestamp_format(since, ts));
}

static const char *decided(const char *decision)
{
        if (streq_ptr(decision, "approve"))
                return "approved";
        if (streq_ptr(decision, "reject"))
                return "rejected";
        return "decided";
}

static void text_build(struct text *t, const struct notify_event *ev)
{
        t->n = 0;
        t->buf[0] = '\0';
        if (ev->kind == NOTIFY_API_DOWN) {
                text_add(t, "approvald cannot reach the AppXite API");
                text_since(t, " since ", ev->since);
                text_reason(t, ev);
                return;
        }
        text_subject(t, ev);
        switch (ev->kind) {
        case NOTIFY_HOLD:
                text_add(t, " is held for a person");
                text_rule_reason(t, ev);
                break;
        case NOTIFY_REJECT:
                text_add(t, " was rejected");
                text_rule_reason(t, ev);
                break;
        case NOTIFY_MANUAL:
                text_add(t, " was ");
                text_add(t, decided(ev->decision));
                text_add(t, " by ");
                if (ev->by)
                        text_add_outside(t, ev->by);
                else
                        text_add(t, "a person");
                text_reason(t, ev);
                break;
        case NOTIFY_STALE_HOLD:
                text_add(t, ev->since ? " has waited for a person" : " still waits for a person");
                text_since(t, " since ", ev->since);
                text_rule_reason(t, ev);
                break;
        case NOTIFY_TIMEOUT:
                text_add(t, " was ");
                text_add(t, decided(ev->decision));
                text_add(t, " by timeout");
                text_since(t, ", held since ", ev->since);
                text_reason(t, ev);
                break;
        default:
                assert(false);
        }
}

/* ,"key":"value" when value is not NULL */
static void field(struct jsonw *w, const char *key, const char *value)
{
        if (!value)
                return;
        jsonw_raw(w, ",\"", 2);
        jsonw_raw(w, key, strlen(key));
        jsonw_raw(w, "\":", 2);
        jsonw_string(w, value);
}

static void body_write(struct jsonw *w, const struct notify_event *ev, const char *text,
                       const char *host, int64_t now)
{
        char money[MONEY_BUF_SIZE], since[TIMESTAMP_BUF_SIZE], time[TIMESTAMP_BUF_SIZE];

        jsonw_raw(w, "{\"text\":", 8);
        jsonw_string(w, text);
        field(w, "event", notify_kind_names[ev->kind]);
        field(w, "order", ev->order_id);
        field(w, "customer", ev->customer_id);
        field(w, "customerName", ev->customer_name);
        field(w, "total", ev->has_total ? money_format(ev->total, money) : NULL);
        field(w, "currency", ev->currency);
        field(w, "rule", ev->rule);
        field(w, "reason", ev->reason);
        field(w, "decision", ev->decision);
        field(w, "by", ev->by);
        field(w, "since", ev->since != 0 ? timestamp_format(ev->since, since) : NULL);
        field(w, "link", ev->link);
        field(w, "host", host);
        field(w, "time", timestamp_format(now, time));
        jsonw_raw(w, "}", 1);
}

char *notify_body(const struct notify_event *ev, const char *host, int64_t now)
{
        _cleanup_free_ struct text *t = NULL;
        _cleanup_free_ struct jsonw *w = NULL;
        char *buf = NULL;
        size_t size = 0;
        bool failed;
        FILE *f;

        assert(ev);
        assert((unsigned)ev->kind < _NOTIFY_KIND_MAX);

        t = malloc(sizeof(*t));
        w = malloc(sizeof(*w));
        if (!t || !w)
                return NULL;
        text_build(t, ev);
        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        jsonw_init(w, f);
        body_write(w, ev, t->buf, host, now);
        jsonw_flush(w);
        failed = w->failed;
        if (fclose(f) != 0 || failed) {
                free(buf);
                return NULL;
        }
        return buf;
}
