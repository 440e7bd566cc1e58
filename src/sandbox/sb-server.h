/* sb-server.h: the sandbox's shared state and the request/reply types that
 * pass between the HTTP plumbing (sb-http.c) and the operations
 * (sb-handlers.c, sb-list.c, sb-control.c).  One mutex guards everything
 * mutable but the webhook queue, which has its own so that the sender
 * thread never waits for a request: requests are short, and only the
 * injected latency (slept outside the lock) is long. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "sb-auth.h"
#include "sb-cursor.h"
#include "sb-faults.h"
#include "sb-options.h"
#include "sb-rng.h"
#include "sb-stats.h"
#include "sb-store.h"
#include "sb-webhook.h"

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
        struct sb_webhook *webhook; /* with --webhook; has its own lock */
        struct sb_cursors *cursors; /* the next shape's */
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

/* Reply helpers (sb-reply.c).  sb_reply_json() takes ownership of j,
 * which may be NULL (allocation failed: the answer becomes 500); every
 * body set replaces the one before.  Headers past SB_REPLY_HEADERS are
 * dropped. */
void sb_reply_header(struct sb_reply *reply, const char *name, const char *value);
void sb_reply_text(struct sb_reply *reply, unsigned status, const char *json);
void sb_reply_json(struct sb_reply *reply, unsigned status, cJSON *j);
void sb_reply_error(struct sb_reply *reply, unsigned status, const char *code, const char *msg);
void sb_reply_method_not_allowed(struct sb_reply *reply, const char *allow);

/* Handlers for the main and the foreign listener; they fill *reply and
 * never fail (allocation failures become 500). */
void sb_handle_main(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);
void sb_handle_foreign(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);

/* The listing, GET /orders (sb-list.c). */
void sb_handle_list(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);

/* The /_sandbox/ control calls (sb-control.c). */
void sb_handle_control(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);

/* The create call: parses the body and answers 201 with the new order, or
 * 400 with the reason. */
void sb_handle_create(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply);

/* An approve or reject of order id by party: 404 for an unknown order,
 * then 400 for a bad body, then 409 when the order is no longer pending or
 * the party has decided already, else 200 with the order.  by_link counts
 * the call in the order's approveCalls/rejectCalls (the order's links do,
 * control calls do not). */
void sb_handle_decision(struct sandbox *sb, const struct sb_request *req, const char *id,
                        enum sb_party party, bool approve, bool by_link, struct sb_reply *reply);

/* How o is shown (origin of its links, path, status names, approvals). */
void sb_view_of(const struct sandbox *sb, const struct sb_order *o, struct sb_view *ret);
/* o as JSON in that view, or NULL on allocation failure; caller frees.
 * The caller holds the lock. */
cJSON *sb_order_json(const struct sandbox *sb, const struct sb_order *o);

/* Copies the path segment up to the next '/' into id; returns the rest of
 * the path ("" or "/approve"...), or NULL for an empty or too long id. */
const char *sb_split_id(const char *path, char id[static SB_ID_MAX]);

/* A query parameter's value, NULL when absent.  "?page" without '=' has
 * no value in libmicrohttpd's eyes, and "?page=1%002" holds a NUL that
 * would cut it to "1": both come back as "" so that they are refused like
 * "?page=" instead of read as absent or as another value. */
const char *sb_request_query(const struct sb_request *req, const char *name);

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
