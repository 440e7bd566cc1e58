/* sb-http.c: libmicrohttpd plumbing.  Each listener runs one thread per
 * connection, so an injected delay holds only its own connection and 64+
 * concurrent keep-alive clients are served side by side.  Bodies are
 * gathered up to 1 MiB; past that the request is answered 413. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sb-server.h"

#define CONNECTION_LIMIT 1024
#define IDLE_TIMEOUT_S 120
#define TLS_FILE_MAX (64u * 1024)

struct listener {
        struct sandbox *sb;
        bool foreign;
};

/* Both listeners' closures live as long as the process. */
static struct listener main_listener, foreign_listener;

const char *sb_request_header(const struct sb_request *req, const char *name)
{
        return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
        cJSON *obj = cls;

        cJSON_AddStringToObject(obj, key, value ?: "");
        return MHD_YES;
}

cJSON *sb_request_headers_json(const struct sb_request *req)
{
        cJSON *obj = cJSON_CreateObject();

        if (obj)
                MHD_get_connection_values(req->connection, MHD_HEADER_KIND, add_header, obj);
        return obj;
}

static void sleep_ms(int64_t ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct sb_reply *reply)
{
        static const char internal[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (reply->body)
                resp = MHD_create_response_from_buffer(strlen(reply->body), reply->body,
                                                       MHD_RESPMEM_MUST_FREE);
        else
                resp = MHD_create_response_from_buffer(sizeof(internal) - 1, (void *)internal,
                                                       MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                free(reply->body);
                return MHD_NO;
        }
        reply->body = NULL; /* the response owns it now */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        for (size_t i = 0; i < reply->n_headers; i++)
                MHD_add_response_header(resp, reply->headers[i].name, reply->headers[i].value);
        ret = MHD_queue_response(c, reply->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result respond(struct listener *l, struct sb_request *req)
{
        struct sandbox *sb = l->sb;
        struct sb_reply reply = { .status = 500, .delay = true, .count = true };

        if (l->foreign)
                sb_handle_foreign(sb, req, &reply);
        else
                sb_handle_main(sb, req, &reply);
        if (reply.delay && sb->opt.latency_ms > 0)
                sleep_ms(sb->opt.latency_ms);
        if (reply.count && !l->foreign) {
                pthread_mutex_lock(&sb->lock);
                sb_stats_count(&sb->stats, reply.status);
                pthread_mutex_unlock(&sb->lock);
        }
        return send_reply(req->connection, &reply);
}

static void append_body(struct sb_request *req, const char *data, size_t size)
{
        char *p;

        if (req->too_big)
                return;
        if (size > SB_BODY_MAX - req->body_len) {
                req->too_big = true;
                return;
        }
        p = realloc(req->body, req->body_len + size + 1);
        if (!p) {
                req->too_big = true; /* refuse rather than crash */
                return;
        }
        memcpy(p + req->body_len, data, size);
        req->body = p;
        req->body_len += size;
        p[req->body_len] = '\0';
}

static struct sb_request *request_new(struct MHD_Connection *c, const char *url, const char *method)
{
        struct sb_request *req = calloc(1, sizeof(*req));
        const char *cl;
        int64_t len;

        if (!req)
                return NULL;
        req->connection = c;
        req->url = url;
        req->method = method;
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && safe_atoi64(cl, &len) >= 0 && len > (int64_t)SB_BODY_MAX)
                req->too_big = true;
        return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        struct sb_request *req = *con_cls;

        if (!req) {
                req = request_new(c, url, method);
                if (!req)
                        return MHD_NO;
                *con_cls = req;
                /* A declared length over the cap is refused before reading it. */
                return req->too_big ? respond(cls, req) : MHD_YES;
        }
        if (*upload_data_size > 0) {
                append_body(req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        return respond(cls, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct sb_request *req = *con_cls;

        if (!req)
                return;
        free(req->body);
        free(req);
        *con_cls = NULL;
}

static int format_origin(const struct sandbox *sb, const struct sockaddr_in *sa, uint16_t port,
                         char buf[static SB_ORIGIN_MAX])
{
        char host[INET_ADDRSTRLEN];

        if (!inet_ntop(AF_INET, &sa->sin_addr, host, sizeof(host)))
                return -errno;
        snprintf(buf, SB_ORIGIN_MAX, "%s://%s:%u", sb->opt.tls_cert ? "https" : "http", host, port);
        return 0;
}

struct tls_files {
        char *cert, *key;
};

static int tls_load(const struct sb_options *opt, struct tls_files *ret)
{
        int r;

        if (!opt->tls_cert)
                return 0;
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return -EOPNOTSUPP;
        r = read_file_capped(opt->tls_cert, TLS_FILE_MAX, &ret->cert, NULL);
        if (r < 0)
                return r;
        return read_file_capped(opt->tls_key, TLS_FILE_MAX, &ret->key, NULL);
}

/* Binds and listens on sa (port 0 picks a free one) and writes the origin
 * that links are built on.  Both listeners are bound, and both origins
 * written, before either starts serving: a request racing the start would
 * otherwise read an origin not filled in yet and get relative links.
 * Returns the socket or -errno. */
static int listen_on(const struct sandbox *sb, const struct sockaddr_in *sa,
                     char origin[static SB_ORIGIN_MAX])
{
        struct sockaddr_in bound = { 0 };
        socklen_t len = sizeof(bound);
        int fd, one = 1, r;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, SOMAXCONN) < 0 ||
            getsockname(fd, (struct sockaddr *)&bound, &len) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        r = format_origin(sb, sa, ntohs(bound.sin_port), origin);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* Serves l on the listening socket fd, which libmicrohttpd owns from here
 * on (it closes it when it fails to start and when it stops). */
static int start_one(struct listener *l, int fd, const struct tls_files *tls,
                     struct MHD_Daemon **ret_daemon)
{
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
        struct MHD_Daemon *d;

        if (tls->cert)
                flags |= MHD_USE_TLS;
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                             tls->cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, tls->key,
                             MHD_OPTION_HTTPS_MEM_CERT, tls->cert, MHD_OPTION_END);
        if (!d)
                return -EIO;
        *ret_daemon = d;
        return 0;
}

/* Binds both sockets first, then starts serving on them. */
static int start_listeners(struct sandbox *sb, const struct tls_files *tls)
{
        int main_fd, foreign_fd = -1, r;

        main_fd = listen_on(sb, &sb->opt.listen, sb->origin);
        if (main_fd < 0)
                return main_fd;
        if (sb_options_foreign_listener(&sb->opt)) {
                foreign_fd = listen_on(sb, &sb->opt.foreign_listen, sb->foreign_origin);
                if (foreign_fd < 0) {
                        close(main_fd);
                        return foreign_fd;
                }
        }
        main_listener = (struct listener){ .sb = sb };
        foreign_listener = (struct listener){ .sb = sb, .foreign = true };
        r = start_one(&main_listener, main_fd, tls, &sb->daemon);
        if (r < 0) {
                if (foreign_fd >= 0)
                        close(foreign_fd);
                return r;
        }
        if (foreign_fd >= 0)
                r = start_one(&foreign_listener, foreign_fd, tls, &sb->foreign_daemon);
        return r;
}

int sb_http_start(struct sandbox *sb)
{
        struct tls_files tls = {};
        int r;

        r = tls_load(&sb->opt, &tls);
        if (r >= 0)
                r = start_listeners(sb, &tls);
        free(tls.cert);
        free(tls.key);
        if (r < 0)
                sb_http_stop(sb);
        return r;
}

void sb_http_stop(struct sandbox *sb)
{
        if (sb->foreign_daemon)
                MHD_stop_daemon(sb->foreign_daemon);
        if (sb->daemon)
                MHD_stop_daemon(sb->daemon);
        sb->foreign_daemon = sb->daemon = NULL;
}
