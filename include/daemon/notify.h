/* notify.h: the daemon's notifications (rules.yaml `notify:`): what a person
 * should know (a hold, a rejection, a stale hold, a timeout, a manual
 * decision, the API down) posted as JSON to the configured targets.  Events
 * go into a bounded queue and are sent from the daemon's sd-event loop on
 * their own curl multi handle, with retries and backoff, so that a slow or
 * failing receiver never delays a decision.  What cannot be queued or sent
 * is counted and logged, never retried for ever.  The header values come
 * from files in the credentials folder; they never reach a log line or a
 * body. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "order.h"

/* How many notifications may wait (queued or being sent) at once; one
 * more is dropped and counted. */
#define NOTIFY_QUEUE_MAX 1024
/* Attempts per notification: the first and four retries, after 1, 2, 4
 * and 8 seconds (doubling from NOTIFY_BACKOFF_FIRST_MS; a longer
 * Retry-After is honoured up to a minute).  Retried: connection errors,
 * timeouts, HTTP 5xx, 408 and 429; any other answer but 2xx fails at once
 * (redirects are not followed). */
#define NOTIFY_ATTEMPTS_MAX 5
#define NOTIFY_BACKOFF_FIRST_MS 1000
/* One attempt's bound, connection included. */
#define NOTIFY_TIMEOUT_MS 10000
/* Requests in flight at once to one target, and over all targets: a
 * receiver that hangs holds its own slots, never another target's. */
#define NOTIFY_TARGET_PARALLEL_MAX 4
#define NOTIFY_PARALLEL_MAX 16

/* One event's facts.  Every string may be NULL (left out of the body);
 * all are copied by notify_send(). */
struct notify_event {
        enum notify_kind kind;
        const char *order_id; /* NULL for api_down */
        const char *customer_id;
        const char *customer_name;
        bool has_total;
        int64_t total; /* minor units */
        const char *currency;
        const char *rule; /* the deciding or holding rule; NULL: the default */
        const char *reason;
        const char *decision; /* "approve" or "reject" for reject, manual, timeout */
        const char *by; /* manual: the operator's login */
        int64_t since; /* hold, stale_hold, timeout: held since; api_down: down since; 0: none */
        const char *link; /* the order's URL at the API (api.retrieve), holds no secret */
};

struct notify_stats {
        uint64_t queued; /* accepted into the queue, ever */
        uint64_t sent; /* answered 2xx */
        uint64_t retried; /* attempts after the first */
        uint64_t failed; /* gave up: a 4xx other than 408/429, or all attempts spent */
        uint64_t dropped; /* not queued (queue full), or still queued at notify_free() */
        size_t waiting; /* queued or in flight now */
};

struct notify;

/* Creates the sender for config c's notify section on event loop e (the
 * daemon's), reading each header's value from its file in credentials_dir
 * (the same rules as credentials_load(): a regular file of at most
 * CREDENTIALS_MAX_SIZE bytes, one line, its trailing newline dropped).
 * With no targets it sends nothing and costs nothing.  Returns 0; or
 * -errno with the file that failed in *ret_path (caller frees; may be NULL
 * on -ENOMEM; credentials_strerror() words it) for an unreadable header
 * credential; -ENXIO when headers need a credentials folder and
 * credentials_dir is NULL; -EINVAL or -EPROTONOSUPPORT for a URL that
 * api_check_url() refuses (check refuses it first).  *ret_path is NULL
 * unless a file failed; *ret is written only on success.  The config need
 * not outlive the call: notify copies what it keeps. */
int notify_new(struct notify **ret, sd_event *e, const struct config *c,
               const char *credentials_dir, char **ret_path);

/* A reload: new events go to c's targets (header values read again as
 * notify_new() does); what is queued or in flight keeps going to the target
 * it was queued for.  On failure (the same codes as notify_new()) nothing
 * changes.  Returns 0 or -errno. */
int notify_reload(struct notify *n, const struct config *c, const char *credentials_dir,
                  char **ret_path);

/* For the tests: the first backoff and one attempt's bound, in
 * milliseconds (0 keeps the current value).  The daemon sets them from
 * $APPROVALD_TEST_NOTIFY_TIMING ("BACKOFF_MS,TIMEOUT_MS"). */
void notify_set_timing(struct notify *n, int64_t backoff_first_ms, int64_t timeout_ms);

/* Queues ev for every target that asked for ev->kind; the body is built
 * once, here, and sending starts from the loop, never inside this call.
 * Never blocks and never fails the caller: a full queue drops the notification (counted in
 * dropped, logged at most once a minute with the running count).  Returns
 * how many targets it was queued for. */
size_t notify_send(struct notify *n, const struct notify_event *ev);

/* notify_send() of an event about order_id: the facts from o (may be
 * NULL) as AppXite last showed them, and as link the order's URL at the
 * API (api.retrieve under api.base_url of a).  The one way every path (the
 * daemon, `approvald approve|reject`) shapes an order's event.  Returns
 * how many targets it was queued for. */
size_t notify_send_order(struct notify *n, const struct api_config *a, enum notify_kind kind,
                         const char *order_id, const struct order *o, const char *rule,
                         const char *reason, const char *decision, const char *by, int64_t since);

/* Whether some target asked for kind (so the caller can skip building an
 * event nobody wants). */
bool notify_wants(const struct notify *n, enum notify_kind kind);

void notify_get_stats(const struct notify *n, struct notify_stats *ret);

/* The JSON body for ev, as sent: {"text": a line for people (Slack and
 * Teams incoming webhooks show it), "event", "order", "customer",
 * "customerName", "total" ("1234.50"), "currency", "rule", "reason",
 * "decision", "by", "since" (RFC 3339), "link", "host", "time" (RFC 3339)};
 * absent facts are left out.  The fields carry the facts JSON-escaped
 * (invalid UTF-8 as U+FFFD); in text, outside strings are cut at 200
 * bytes, made one line and have &, <, > written as HTML entities, as Slack
 * requires.  host is the machine's name (may be NULL),
 * now the time of the event.  Returns a string the caller frees, or NULL
 * when out of memory.  Exposed for the tests and the fuzzer. */
char *notify_body(const struct notify_event *ev, const char *host, int64_t now);

/* While the loop waits to end, it looks this often whether to; and it
 * ends once no notification was sent or given up for
 * NOTIFY_EXIT_IDLE_USEC. */
#define NOTIFY_EXIT_TICK_USEC (UINT64_C(100) * 1000)
#define NOTIFY_EXIT_IDLE_USEC (UINT64_C(500) * 1000)

/* Ends the event loop with sd_event_exit(code) once nothing is queued or
 * in flight, or when none was sent or given up for NOTIFY_EXIT_IDLE_USEC
 * (a receiver that hangs or fails), or after
 * grace_usec, whichever comes first (at once when nothing waits): a run
 * that ends right after its decisions still lets its notifications go to
 * receivers that answer, and a broken receiver costs it half a second at
 * most.  What is left then is for notify_free() to drop and count.
 * Returns 0, or -errno when the timer cannot be set (the loop is then
 * ended at once). */
int notify_exit_when_sent(struct notify *n, int code, uint64_t grace_usec);

/* Stops sending: what is still queued, in flight or waiting for a retry
 * is dropped, counted and logged in one line.  Wipes the header values.
 * Accepts NULL. */
void notify_free(struct notify *n);
