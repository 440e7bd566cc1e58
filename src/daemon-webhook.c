/* daemon-webhook.c: the receiver of AppXite's OrderPendingApproval webhook.
 * An event is only a wake-up: its reqID goes to cycle_wake(), and the
 * cycle reads the order back from the API before anything is decided.
 * libmicrohttpd runs in its epoll mode without a thread of its own: its
 * epoll fd is one io source of the daemon's sd-event loop and its timeout
 * one time source, so every callback runs on the loop (docs/operation.md,
 * "Webhook"). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "daemon-private.h"
#include "log.h"
#include "policy.h"
#include "timeutil.h"
#include "util.h"

#define WEBHOOK_MAX_CONNECTIONS 64
#define WEBHOOK_CONNECTION_TIMEOUT_S 10
#define WEBHOOK_LOG_INTERVAL_USEC (60 * UINT64_C(1000000))

/* Why a request was refused: counted, and summed up in the log at most
 * once a minute. */
enum refusal {
        REFUSED_METHOD, /* not POST: 405 */
        REFUSED_PATH, /* another path: 404 */
        REFUSED_AUTHORIZATION, /* missing or wrong: 401 */
        REFUSED_CONTENT_TYPE, /* not JSON: 400 */
        REFUSED_TOO_LARGE, /* past WEBHOOK_BODY_MAX: 413 */
        REFUSED_BODY, /* not an event: 400 */
        _REFUSED_MAX,
};

static const unsigned refusal_status[_REFUSED_MAX] = {
        [REFUSED_METHOD] = MHD_HTTP_METHOD_NOT_ALLOWED,
        [REFUSED_PATH] = MHD_HTTP_NOT_FOUND,
        [REFUSED_AUTHORIZATION] = MHD_HTTP_UNAUTHORIZED,
        [REFUSED_CONTENT_TYPE] = MHD_HTTP_BAD_REQUEST,
        [REFUSED_TOO_LARGE] = MHD_HTTP_CONTENT_TOO_LARGE,
        [REFUSED_BODY] = MHD_HTTP_BAD_REQUEST,
};

static const char *const refusal_name[_REFUSED_MAX] = {
        [REFUSED_METHOD] = "not POST",
        [REFUSED_PATH] = "another path",
        [REFUSED_AUTHORIZATION] = "wrong or missing Authorization",
        [REFUSED_CONTENT_TYPE] = "not JSON",
        [REFUSED_TOO_LARGE] = "body too large",
        [REFUSED_BODY] = "not an OrderPendingApproval event",
};

struct webhook {
        struct daemon *d;
        struct MHD_Daemon *mhd;
        sd_event_source *io, *timer;
        char *listen; /* as configured at start */
        char *path;
        char *authorization; /* the expected value; wiped when freed */
        uint64_t n_events, n_refused[_REFUSED_MAX];
        uint64_t n_unlogged; /* refusals since the last log line */
        uint64_t logged_usec; /* monotonic: the last log line about refusals */
};

/* One request's body as it arrives. */
struct request {
        char *body;
        size_t size;
        bool too_large;
};

int webhook_event_parse(const char *body, size_t size, char **ret_id)
{
        cJSON *j, *type, *id;
        int r = -EINVAL;

        assert(body || size == 0);
        assert(ret_id);

        if (size > WEBHOOK_BODY_MAX)
                return -EFBIG;
        j = cJSON_ParseWithLength(body, size);
        if (!j)
                return -EINVAL;
        type = cJSON_GetObjectItemCaseSensitive(j, "eventType");
        id = cJSON_GetObjectItemCaseSensitive(j, "reqID");
        if (!cJSON_IsObject(j) || !cJSON_IsString(type))
                goto out;
        if (!streq(type->valuestring, "OrderPendingApproval")) {
                r = 0; /* another event on the same URL: nothing to do */
                goto out;
        }
        if (!cJSON_IsString(id))
                goto out;
        if (policy_id_problem(id->valuestring)) {
                /* the listing holds such an order and says why */
                *ret_id = NULL;
                r = 1;
                goto out;
        }
        *ret_id = strdup(id->valuestring);
        r = *ret_id ? 1 : -ENOMEM;
out:
        cJSON_Delete(j);
        return r;
}

/* Compares in a time that depends on the expected value's length alone. */
static bool authorization_ok(const char *got, const char *want)
{
        size_t got_len = got ? strlen(got) : 0, want_len = strlen(want);
        unsigned char diff = got_len != want_len;

        for (size_t i = 0; i < want_len; i++)
                diff |= (unsigned char)((i < got_len ? got[i] : 0) ^ want[i]);
        return got && diff == 0;
}

static void log_refusals(struct webhook *w, enum refusal why)
{
        uint64_t now = now_monotonic_us();

        w->n_refused[why]++;
        w->n_unlogged++;
        if (w->logged_usec != 0 && now - w->logged_usec < WEBHOOK_LOG_INTERVAL_USEC)
                return;
        log_warning("webhook: refused %llu request%s since the last line (last: %s, %u); "
                    "in all %llu refused for a wrong Authorization, %llu too large, %llu "
                    "malformed, %llu on another method or path; %llu events taken",
                    (unsigned long long)w->n_unlogged, w->n_unlogged == 1 ? "" : "s",
                    refusal_name[why], refusal_status[why],
                    (unsigned long long)w->n_refused[REFUSED_AUTHORIZATION],
                    (unsigned long long)w->n_refused[REFUSED_TOO_LARGE],
                    (unsigned long long)(w->n_refused[REFUSED_BODY] +
                                         w->n_refused[REFUSED_CONTENT_TYPE]),
                    (unsigned long long)(w->n_refused[REFUSED_METHOD] + w->n_refused[REFUSED_PATH]),
                    (unsigned long long)w->n_events);
        w->n_unlogged = 0;
        w->logged_usec = now;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
        struct MHD_Response *resp;
        enum MHD_Result r;

        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result refuse(struct webhook *w, struct MHD_Connection *c, enum refusal why)
{
        log_refusals(w, why);
        return answer(c, refusal_status[why]);
}

/* application/json, with parameters or not */
static bool content_type_json(const char *v)
{
        size_t n = strlen("application/json");

        return v && strncasecmp(v, "application/json", n) == 0 &&
               (v[n] == '\0' || v[n] == ';' || v[n] == ' ');
}

/* The head of a request: everything but the body is checked before a byte
 * of it is read. */
static enum MHD_Result on_head(struct webhook *w, struct MHD_Connection *c, const char *url,
                               const char *method, void **con_cls)
{
        const char *len =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n;

        if (!streq(url, w->path))
                return refuse(w, c, REFUSED_PATH);
        if (!streq(method, MHD_HTTP_METHOD_POST))
                return refuse(w, c, REFUSED_METHOD);
        if (!authorization_ok(
                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                    w->authorization))
                return refuse(w, c, REFUSED_AUTHORIZATION);
        if (!content_type_json(
                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
                return refuse(w, c, REFUSED_CONTENT_TYPE);
        if (len && (safe_atoi64(len, &n) < 0 || n > WEBHOOK_BODY_MAX))
                return refuse(w, c, REFUSED_TOO_LARGE);
        *con_cls = calloc(1, sizeof(struct request));
        return *con_cls ? MHD_YES : MHD_NO;
}

static enum MHD_Result on_body(struct request *q, const char *data, size_t *size)
{
        char *b;

        if (q->too_large || q->size + *size > WEBHOOK_BODY_MAX) {
                q->too_large = true; /* read and dropped: answered 413 at the end */
                *size = 0;
                return MHD_YES;
        }
        b = realloc(q->body, q->size + *size + 1);
        if (!b)
                return MHD_NO;
        memcpy(b + q->size, data, *size);
        q->body = b;
        q->size += *size;
        *size = 0;
        return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        struct webhook *w = cls;
        struct request *q = *con_cls;
        _cleanup_free_ char *id = NULL;
        int r;

        if (!q)
                return on_head(w, c, url, method, con_cls);
        if (*upload_data_size > 0)
                return on_body(q, upload_data, upload_data_size);
        if (q->too_large)
                return refuse(w, c, REFUSED_TOO_LARGE);
        r = webhook_event_parse(q->body ?: "", q->size, &id);
        if (r == -ENOMEM)
                return MHD_NO;
        if (r < 0)
                return refuse(w, c, REFUSED_BODY);
        w->n_events++;
        if (r > 0) {
                log_debug("webhook: event for %s%s", id ? "order " : "an odd order id", id ?: "");
                cycle_wake(w->d, id);
        }
        return answer(c, MHD_HTTP_ACCEPTED);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct request *q = *con_cls;

        if (q)
                free(q->body);
        free(q);
        *con_cls = NULL;
}

/* Runs what MHD has to do now, and arms the timer for what it has next. */
static void webhook_run(struct webhook *w)
{
        MHD_UNSIGNED_LONG_LONG ms;

        (void)MHD_run(w->mhd);
        if (MHD_get_timeout(w->mhd, &ms) != MHD_YES) {
                (void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_set_time_relative(w->timer, (uint64_t)ms * 1000);
        (void)sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        webhook_run(userdata);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        webhook_run(userdata);
        return 0;
}

/* The listening socket: systemd's, or a new one bound to addr. */
static int listen_socket(const struct webhook_config *wc)
{
        int fd, one = 1, n;

        if (wc->systemd) {
                n = sd_listen_fds(true);
                if (n < 0)
                        return n;
                if (n != 1)
                        return -EBADF;
                fd = SD_LISTEN_FDS_START;
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
                        return -ENOTSOCK;
                if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
                    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return -errno;
                return fd;
        }
        fd = socket(wc->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (const struct sockaddr *)&wc->addr, wc->addr_len) < 0 || listen(fd, 64) < 0) {
                int e = -errno;

                close(fd);
                return e;
        }
        return fd;
}

void webhook_free(struct webhook *w)
{
        if (!w)
                return;
        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->timer);
        if (w->mhd)
                MHD_stop_daemon(w->mhd); /* closes the listening socket */
        if (w->authorization) {
                explicit_bzero(w->authorization, strlen(w->authorization));
                free(w->authorization);
        }
        free(w->listen);
        free(w->path);
        free(w);
}

static int webhook_start_mhd(struct webhook *w, int fd)
{
        const union MHD_DaemonInfo *info;
        int r;

        w->mhd = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, w,
                                  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                                  (unsigned)WEBHOOK_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                  (unsigned)WEBHOOK_CONNECTION_TIMEOUT_S,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
        if (!w->mhd) {
                close(fd);
                return -EIO;
        }
        info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return -EIO;
        r = sd_event_add_io(w->d->event, &w->io, info->epoll_fd, EPOLLIN, on_io, w);
        if (r < 0)
                return r;
        r = sd_event_add_time(w->d->event, &w->timer, CLOCK_MONOTONIC, 0, 0, on_timer, w);
        if (r < 0)
                return r;
        (void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
        webhook_run(w);
        return 0;
}

int webhook_new(struct daemon *d, const char *authorization, struct webhook **ret)
{
        const struct webhook_config *wc;
        struct webhook *w;
        int fd, r;

        assert(d);
        assert(d->event);
        assert(d->config->webhook.listen);
        assert(authorization);
        assert(ret);

        wc = &d->config->webhook;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->d = d;
        w->listen = strdup(wc->listen);
        w->path = strdup(wc->path);
        w->authorization = strdup(authorization);
        if (!w->listen || !w->path || !w->authorization) {
                webhook_free(w);
                return -ENOMEM;
        }
        fd = listen_socket(wc);
        if (fd < 0) {
                webhook_free(w);
                return fd;
        }
        r = webhook_start_mhd(w, fd);
        if (r < 0) {
                webhook_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void webhook_counts(const struct webhook *w, uint64_t *ret_events, uint64_t *ret_refused)
{
        uint64_t refused = 0;

        assert(w);
        assert(ret_events && ret_refused);
        for (size_t i = 0; i < _REFUSED_MAX; i++)
                refused += w->n_refused[i];
        *ret_events = w->n_events;
        *ret_refused = refused;
}

void webhook_reloaded(struct daemon *d)
{
        const struct webhook_config *wc;

        assert(d);

        wc = &d->config->webhook;
        if (!d->webhook ? !wc->listen
                        : streq_ptr(wc->listen, d->webhook->listen) &&
                                  streq_ptr(wc->path, d->webhook->path))
                return;
        log_warning("webhook: the section changed in %s; the receiver keeps %s%s%s until "
                    "approvald restarts",
                    d->opt.config_path, d->webhook ? "listening on " : "off",
                    d->webhook ? d->webhook->listen : "", d->webhook ? d->webhook->path : "");
}
