/* sb-webhook.h: AppXite's OrderPendingApproval webhook, as the sandbox
 * sends it (--webhook URL).  Events wait in a bounded queue and one sender
 * thread of its own posts them with libcurl, retrying with backoff, so a
 * slow, failing or hanging receiver never holds up an API request: queuing
 * never blocks, and a full queue drops the event and counts it. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb-order.h"

#define SB_WEBHOOK_QUEUE_MAX 4096 /* events waiting; more are dropped */
#define SB_WEBHOOK_ATTEMPTS 5 /* per event, then it counts as failed */
#define SB_WEBHOOK_CONNECT_TIMEOUT_MS 1000
#define SB_WEBHOOK_TIMEOUT_MS 2000 /* one attempt, connect included */
#define SB_WEBHOOK_BACKOFF_MS 100 /* before the 2nd attempt; doubles each time */
#define SB_WEBHOOK_WRONG_AUTHORIZATION "wrong-authorization"

/* Which Authorization header an event carries. */
enum sb_webhook_auth {
        SB_WEBHOOK_AUTH_CONFIGURED, /* --webhook-authorization as is, or none */
        SB_WEBHOOK_AUTH_WRONG, /* SB_WEBHOOK_WRONG_AUTHORIZATION */
        SB_WEBHOOK_AUTH_NONE, /* no Authorization header */
};

struct sb_webhook;

/* Starts the sender thread for url (http or https) with the Authorization
 * value authorization (NULL: none); both are copied.  Call after
 * curl_global_init().  Returns 0, -EINVAL for a URL that is not http(s),
 * -ENOMEM, or -errno from starting the thread. */
int sb_webhook_new(struct sb_webhook **ret, const char *url, const char *authorization);

/* Stops the sender (a transfer in flight is aborted, waiting events are
 * discarded) and frees everything; accepts NULL. */
void sb_webhook_free(struct sb_webhook *w);

/* Queues body (JSON text, or anything for broken events), taking
 * ownership of it in every case.  Never blocks on the network.  Returns 0,
 * or -ENOBUFS when the queue is full (the event is dropped and counted). */
int sb_webhook_enqueue(struct sb_webhook *w, char *body, enum sb_webhook_auth auth);

/* The event for a new order: {"eventType": "OrderPendingApproval",
 * "reqID": ..., "totalOrderAmount": ..., "currency": ..., "createdAt": ...}.
 * Returns the JSON text (caller frees) or NULL on allocation failure. */
char *sb_webhook_event(const struct sb_order *o);

/* The same fields for an id with no order behind it. */
char *sb_webhook_event_unknown(const char *id, int64_t created_at);

/* The counters as JSON (caller frees), or NULL on allocation failure:
 * {"queued", "delivered", "refused", "failed", "dropped", "attempts"}. */
cJSON *sb_webhook_stats(struct sb_webhook *w);
