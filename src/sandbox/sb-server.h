/* sb-server.h: the sandbox's shared state and the request/reply types that
 * pass between the HTTP plumbing (sb-http.c) and the operations
 * (sb-handlers.c).  One mutex guards everything mutable: requests are
 * short, and only the injected latency (slept outside the lock) is long. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "sb-auth.h"
#include "sb-faults.h"
#include "sb-options.h"
#include "sb-rng.h"
#include "sb-stats.h"
#include "sb-store.h"

#define SB_BODY_MAX (1024u * 1024u) /* 1 MiB: larger requests get 413 */
#define SB_ORIGIN_MAX 64

struct MHD_Daemon;
struct MHD_Connection;

struct sandbox {
        struct sb_options opt;
        pthread_mutex_t lock;
        struct sb_store *store;
        struct sb_tokens tokens;
        struct sb_faults faults;
        struct sb_stats stats;
        struct sb_rng foreign_rng; /* picks the orders with foreign links */
        char origin[SB_ORIGIN_MAX], foreign_origin[SB_ORIGIN_MAX];
        struct MHD_Daemon *daemon, *foreign_daemon;
};

/* One request as the handlers see it; body is NUL-terminated. */
struct sb_request {
        struct MHD_Connection *connection;
        const char *method, *url;
        char *body;
        size_t body_len;
        bool too_big;
};

#define SB_REPLY_HEADERS 2

/* What a handler answers; sb-http.c sends it. */
struct sb_reply {
        unsigned status;
        char *body; /* JSON text, owned */
        struct {
                const char *name;
                char value[160];
        } headers[SB_REPLY_HEADERS];
        size_t n_headers;
        bool delay; /* apply --latency-ms */
        bool count; /* count in the stats */
};

/* Handlers for the main and the foreign listener; they fill *reply and
 * never fail (allocation failures become 500). */
void sb_handle_main(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);
void sb_handle_foreign(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);

/* Returns a header value of the request, or NULL. */
const char *sb_request_header(const struct sb_request *req, const char *name);

/* Returns the request's headers as a JSON object (name: value), or NULL on
 * allocation failure; caller frees. */
cJSON *sb_request_headers_json(const struct sb_request *req);

/* Starts the listener(s) per sb->opt and fills sb->origin (and
 * sb->foreign_origin) before any request can be served.  Returns 0,
 * -EOPNOTSUPP when TLS was asked for and is not compiled in, -errno from
 * binding (-EADDRINUSE...) or from reading the TLS files, or -EIO when
 * libmicrohttpd does not start. */
int sb_http_start(struct sandbox *sb);
void sb_http_stop(struct sandbox *sb);
