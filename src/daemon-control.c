/* daemon-control.c: the local control socket (control.h).  The daemon
 * holds the journal's lock while it runs, so `approvald approve|reject`
 * asks it, over DIR/control, to make the decision in its own loop: one
 * writer of the journal, one set of calls.  Each connection is checked
 * with SO_PEERCRED (uid 0 or the daemon's own), sends one request, and
 * gets one reply once the decision's calls are done.  Also the client
 * side, for the command. */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cjson/cJSON.h>

#include "control.h"
#include "daemon-private.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

struct conn {
        struct control *ctl;
        int fd;
        sd_event_source *io;
        uid_t uid;
        bool busy; /* a manual decision is under way: its reply is awaited */
        struct conn *next;
};

struct control {
        struct daemon *d;
        int fd;
        char *path;
        sd_event_source *io;
        struct conn *conns;
};

void control_log_decision(const char *order_id, const struct order *o, enum action decision,
                          const char *rule, const char *reason)
{
        struct log_fields f = { .order_id = order_id,
                                .customer_id = o->customer_id,
                                .decision = action_to_string(decision),
                                .rule = rule,
                                .reason = reason,
                                .currency = o->currency };
        char id[LOG_ESCAPE_MAX], why[LOG_ESCAPE_MAX], who[LOG_ESCAPE_MAX];

        assert(order_id && o && rule && reason);
        log_event(LOG_NOTICE, LOG_MID_MANUAL, &f, 0, "%s: %s by %s (manual decision): %s",
                  log_escape(order_id, id, sizeof(id)), action_to_string(decision),
                  log_escape(rule + strlen(CONFIG_RULE_MANUAL_PREFIX), who, sizeof(who)),
                  log_escape(reason, why, sizeof(why)));
}

int control_reason_check(const char *reason, size_t *ret_chars)
{
        size_t n = 0;

        assert(reason);
        for (const char *p = reason; *p; n++) {
                uint32_t c;
                size_t len = utf8_decode(p, &c);

                if (len == 0 || c < 0x20 || c == 0x7f) {
                        if (ret_chars)
                                *ret_chars = n;
                        return -EINVAL;
                }
                p += len;
        }
        if (ret_chars)
                *ret_chars = n;
        return n >= 1 && n <= CONTROL_REASON_MAX ? 0 : -ERANGE;
}

int control_login_check(const char *login)
{
        size_t n;

        assert(login);
        n = strlen(login);
        if (n < 1 || n > CONTROL_LOGIN_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (login[i] <= ' ' || login[i] >= 0x7f || login[i] == ':')
                        return -EINVAL;
        return 0;
}

/* ---- the server ---- */

static void conn_free(struct conn *c)
{
        struct conn **p;

        if (!c)
                return;
        for (p = &c->ctl->conns; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        free(c);
}

/* Sends the one reply and closes the connection. */
static void conn_reply(struct conn *c, int exit_status, const char *message)
{
        _cleanup_free_ char *text = NULL;
        cJSON *j = cJSON_CreateObject();

        if (j && cJSON_AddNumberToObject(j, "exit", exit_status) &&
            cJSON_AddStringToObject(j, "message", message))
                text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (text && strlen(text) < CONTROL_MESSAGE_MAX)
                (void)send(c->fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
        conn_free(c);
}

static void on_manual_done(void *userdata, int exit_status, const char *message)
{
        conn_reply(userdata, exit_status, message);
}

/* A request's fields, checked; a refusal is replied at once. */
static void conn_request(struct conn *c, const char *text)
{
        cJSON *j = cJSON_Parse(text);
        const char *dec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "decision"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "order"));
        const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "reason"));
        const char *login = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "login"));
        bool approve = streq_ptr(dec, "approve");
        char esc[LOG_ESCAPE_MAX];
        int r;

        if (!j || !(approve || streq_ptr(dec, "reject")) || !id || !*id ||
            strlen(id) > JOURNAL_STRING_MAX || !reason || control_reason_check(reason, NULL) < 0 ||
            !login || control_login_check(login) < 0) {
                cJSON_Delete(j);
                return conn_reply(c, EX_USAGE, "not a valid request");
        }
        log_info("control: %s of %s asked by %s (uid %u)", dec, log_escape(id, esc, sizeof(esc)),
                 login, (unsigned)c->uid);
        c->busy = true;
        (void)sd_event_source_set_enabled(c->io, SD_EVENT_OFF); /* one request per connection */
        r = act_manual(c->ctl->d, id, approve ? ACTION_APPROVE : ACTION_REJECT, login, reason,
                       on_manual_done, c);
        cJSON_Delete(j); /* id is not used past here */
        if (r == -EALREADY) {
                char msg[LOG_ESCAPE_MAX + 64];

                snprintf(msg, sizeof(msg), "%s: already decided: the journal has it; nothing done",
                         esc);
                conn_reply(c, CONTROL_EXIT_ALREADY_DECIDED, msg);
        } else if (r == -ESHUTDOWN)
                conn_reply(c, EX_TEMPFAIL, "the service is stopping; try again once it runs");
        else if (r == -EROFS)
                conn_reply(c, EX_UNAVAILABLE,
                           "the service runs in dry-run mode: it approves and rejects nothing");
        else if (r < 0)
                conn_reply(c, EX_OSERR, "out of memory");
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct conn *c = userdata;
        char buf[CONTROL_MESSAGE_MAX + 1];
        ssize_t n;

        n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                conn_free(c); /* the peer went away, or an empty message */
                return 0;
        }
        if ((size_t)n >= sizeof(buf)) {
                conn_reply(c, EX_USAGE, "request too long");
                return 0;
        }
        buf[n] = '\0';
        conn_request(c, buf);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct control *ctl = userdata;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct conn *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0)
                return 0; /* EAGAIN, or a connection that went away */
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid())) {
                log_warning("control: connection from uid %ld refused: only root may decide",
                            len == sizeof(cred) ? (long)cred.uid : -1L);
                close(cfd);
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(cfd);
                return 0;
        }
        *c = (struct conn){ .ctl = ctl, .fd = cfd, .uid = cred.uid, .next = ctl->conns };
        ctl->conns = c;
        r = sd_event_add_io(ctl->d->event, &c->io, cfd, EPOLLIN, on_conn_io, c);
        if (r < 0)
                conn_free(c);
        return 0;
}

static int socket_path(const char *state_dir, struct sockaddr_un *ret, socklen_t *ret_len)
{
        int n;

        *ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
        n = snprintf(ret->sun_path, sizeof(ret->sun_path), "%s/" CONTROL_SOCKET_NAME, state_dir);
        if (n < 0 || (size_t)n >= sizeof(ret->sun_path))
                return -ENAMETOOLONG;
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
        return 0;
}

int control_start(struct daemon *d)
{
        struct control *ctl;
        struct sockaddr_un sa;
        socklen_t len;
        int r;

        assert(d);
        r = socket_path(d->state_dir, &sa, &len);
        if (r < 0)
                return r;
        ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        ctl->d = d;
        ctl->path = strdup(sa.sun_path);
        ctl->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (!ctl->path || ctl->fd < 0) {
                r = ctl->path ? -errno : -ENOMEM;
                goto fail;
        }
        /* we hold the journal's lock: a socket file left there is a dead daemon's */
        (void)unlink(ctl->path);
        if (bind(ctl->fd, (struct sockaddr *)&sa, len) < 0 || chmod(ctl->path, 0600) < 0 ||
            listen(ctl->fd, 8) < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(d->event, &ctl->io, ctl->fd, EPOLLIN, on_accept, ctl);
        if (r < 0)
                goto fail;
        d->control = ctl;
        return 0;
fail:
        if (ctl->fd >= 0)
                close(ctl->fd);
        if (ctl->fd >= 0 && ctl->path)
                (void)unlink(ctl->path);
        free(ctl->path);
        free(ctl);
        return r;
}

void control_stop(struct daemon *d)
{
        struct control *ctl;

        assert(d);
        ctl = TAKE_PTR(d->control);
        if (!ctl)
                return;
        while (ctl->conns) /* a decision still under way was answered by api_free() */
                conn_free(ctl->conns);
        sd_event_source_disable_unref(ctl->io);
        close(ctl->fd);
        (void)unlink(ctl->path);
        free(ctl->path);
        free(ctl);
}

/* ---- the client ---- */

static char *request_text(bool approve, const char *order_id, const char *reason, const char *login)
{
        cJSON *j = cJSON_CreateObject();
        char *text = NULL;

        if (j && cJSON_AddStringToObject(j, "decision", approve ? "approve" : "reject") &&
            cJSON_AddStringToObject(j, "order", order_id) &&
            cJSON_AddStringToObject(j, "reason", reason) &&
            cJSON_AddStringToObject(j, "login", login))
                text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        return text;
}

static int read_reply(int fd, int timeout_s, int *ret_exit, char **ret_message)
{
        char buf[CONTROL_MESSAGE_MAX + 1];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        const cJSON *ex, *msg;
        cJSON *j;
        ssize_t n;
        int r;

        r = poll(&p, 1, timeout_s * 1000);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        n = recv(fd, buf, sizeof(buf) - 1, MSG_TRUNC);
        if (n < 0)
                return -errno;
        if (n == 0 || (size_t)n >= sizeof(buf))
                return -EBADMSG;
        buf[n] = '\0';
        j = cJSON_Parse(buf);
        ex = cJSON_GetObjectItemCaseSensitive(j, "exit");
        msg = cJSON_GetObjectItemCaseSensitive(j, "message");
        if (!cJSON_IsNumber(ex) || ex->valueint < 0 || ex->valueint > 255 || !cJSON_IsString(msg)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret_message = strdup(msg->valuestring);
        *ret_exit = ex->valueint;
        cJSON_Delete(j);
        return *ret_message ? 0 : -ENOMEM;
}

int control_request(const char *state_dir, bool approve, const char *order_id, const char *reason,
                    const char *login, int timeout_s, int *ret_exit, char **ret_message)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(closep) int fd = -EBADF;
        struct sockaddr_un sa;
        socklen_t len;
        int r;

        assert(state_dir && order_id && reason && login && ret_exit && ret_message);
        r = socket_path(state_dir, &sa, &len);
        if (r < 0)
                return r;
        text = request_text(approve, order_id, reason, login);
        if (!text)
                return -ENOMEM;
        if (strlen(text) >= CONTROL_MESSAGE_MAX)
                return -E2BIG;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, len) < 0)
                return -errno;
        if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0)
                return -errno;
        return read_reply(fd, timeout_s, ret_exit, ret_message);
}
