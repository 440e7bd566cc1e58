/* daemon-private.h: the state the daemon's parts share.  Who owns what:
 *   daemon.c        the life cycle: start, systemd notifications, reload,
 *                   signals;
 *   daemon-cycle.c  the poll cycle's state machine: the only code that
 *                   changes struct cycle's state and request counters;
 *   daemon-sync.c   credit exposure from the source of truth: the
 *                   bootstrap and refresh listings of Approved and
 *                   Rejected orders;
 *   daemon-poll.c   the listing: pages of pending orders, each order
 *                   decided through the one approval policy (policy.h);
 *   daemon-act.c    acting: intents journaled, approve/reject calls,
 *                   outcomes, reconciliation of open intents;
 *   daemon-webhook.c  the OrderPendingApproval receiver: wakes the cycle.
 * docs/hacking.md draws the cycle's states and transitions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "history.h"
#include "holds.h"
#include "notify.h"
#include "idmap.h"
#include "journal.h"
#include "metrics.h"
#include "order.h"
#include "rules.h"
#include "state.h"

/* The poll cycle's states (daemon-cycle.c, docs/hacking.md). */
enum cycle_state {
        CYCLE_IDLE, /* between cycles: the poll timer is armed */
        CYCLE_SYNCING, /* bootstrap or refresh: listing Approved (and Rejected) orders */
        CYCLE_RECONCILING, /* looking up open intents and the orders we wait on */
        CYCLE_LISTING, /* a page of pending orders is asked for */
        CYCLE_WAITING_CALLS, /* a page is decided; the next one waits for its calls */
        CYCLE_FINISHING, /* the listing ended; waiting for the last calls */
        CYCLE_STOPPING, /* stop asked or the journal failed: waiting for requests out */
        _CYCLE_STATE_MAX,
};

/* What went wrong in a cycle: a bit set, for STATUS=, the summary line and
 * --once's exit status. */
enum {
        CYCLE_API_FAILED = 1 << 0, /* listing or reconciling failed */
        CYCLE_CALLS_FAILED = 1 << 1, /* some call is left to retry */
        CYCLE_LISTING_CUT = 1 << 2, /* given up before the end of the list */
        CYCLE_OVERRAN = 1 << 3, /* ran past its time bound and was ended */
        CYCLE_SYNC_FAILED = 1 << 4, /* the bootstrap or refresh did not finish */
        CYCLE_WAIT_UNKNOWN = 1 << 5, /* the lookup of an order we wait on failed */
};

/* How the listing goes on after a page (daemon-poll.c tells daemon-cycle.c). */
enum page_next {
        PAGE_NEXT_NOW, /* the next page is set: ask for it */
        PAGE_NEXT_AFTER_CALLS, /* ask for the next page once most calls are done */
        PAGE_NEXT_AFTER_ALL_CALLS, /* ... once every call is done */
        PAGE_NEXT_END, /* the last page was read */
        PAGE_NEXT_FAILED, /* the page could not be had (logged) */
        PAGE_NEXT_CUT, /* the list kept moving; the next cycle goes on (logged) */
        PAGE_NEXT_FATAL, /* the journal failed (logged): stop */
};

/* How a call ended (daemon-act.c tells daemon-cycle.c). */
enum call_result {
        CALL_DONE, /* the outcome is journaled, or nothing was to be done */
        CALL_RETRY, /* the call failed; its intent stays open for the next cycle */
        CALL_LOOKUP_FAILED, /* a reconcile lookup told nothing */
        CALL_WAIT_UNKNOWN, /* the lookup of an order we wait on told nothing */
        CALL_FATAL, /* the journal failed: stop */
};

enum call_kind {
        CALL_DECISION, /* POST to the approve or reject link */
        CALL_CONFLICT_GET, /* GET /orders/{id} after a 409 */
        CALL_RECONCILE_GET, /* GET /orders/{id}: an open intent, or an order we wait on */
        CALL_MANUAL_GET, /* GET /orders/{id} before a manual decision (daemon-control.c) */
};

/* One cycle: its state (daemon-cycle.c writes it, everyone reads it), the
 * requests out, and its counters. */
struct cycle {
        enum cycle_state state;
        unsigned trouble; /* CYCLE_* bits */
        bool fatal; /* the journal failed: the daemon stops */
        bool again; /* woken up while busy: the next cycle starts at once */
        size_t n_requests; /* every request of ours out: page, calls, lookups */
        size_t n_calls; /* calls and lookups out (the paging guesses with it) */
        size_t n_reconciling; /* reconcile lookups out */
        size_t wait_threshold; /* CYCLE_WAITING_CALLS: the next page at this many calls */
        size_t n_seen, n_gone; /* listed; and left the pending list since */
        size_t n_approved, n_rejected, n_held, n_skipped, n_failed;
        size_t n_deferred; /* approvals left pending while approvals wait */
        size_t n_problems_unlogged; /* order problems past the log's rate */
        int64_t started; /* realtime seconds */
        uint64_t started_usec; /* monotonic */
};

/* The listing's paging (daemon-poll.c). */
struct listing {
        int64_t page;
        int64_t page_size; /* of this request: see next_page_guess() */
        size_t fetches;
        size_t guess_calls; /* calls under way when the page was last guessed */
        bool forward_all_seen; /* last move: page++ past a page of seen ids */
        bool guess; /* the next fetch works out the page first (calls landed) */
        char *next_url; /* paging next: the page to read next; NULL: the first */
        unsigned restarts; /* paging next: listings restarted for a refused cursor */
};

/* The bootstrap or refresh listing (daemon-sync.c). */
struct sync {
        bool bootstrap; /* else a refresh */
        bool resync; /* asked for by `approvald resync` */
        int pass; /* 0: Approved orders; 1: Rejected ones (refresh) */
        int64_t page, page_size;
        size_t n_new, n_dropped;
        char *first_id; /* of the last page: a server that ignores paging repeats it */
        char *next_url; /* paging next: the page to read next; NULL: the first */
        char from[32]; /* createdFrom of this listing, RFC 3339 */
};

struct daemon {
        struct daemon_options opt;
        char *state_dir; /* --state-dir or $STATE_DIRECTORY */
        sd_event *event;
        struct config *config;
        struct api *api;
        const struct api_options *api_options; /* --once's or the service's */
        struct journal *journal;
        struct state *state; /* every order known from the journal, and the history */
        struct metrics *metrics; /* counters, written to metrics.textfile when set */
        struct idmap *held; /* order id -> (void *)1: holds logged but not journaled (dry run,
                               or an id the journal cannot keep), until the next reload */
        struct idmap *seen; /* order id -> (void *)1: listed in this cycle */
        struct idmap *dry_counted; /* dry run: order id -> (void *)1, approval counted */
        sd_event_source *poll_timer, *deadline_timer, *stop_timer;
        struct cycle cycle;
        struct listing listing;
        struct sync sync;
        struct webhook *webhook; /* NULL unless rules.yaml has webhook: */
        struct pending_call *batch; /* intents appended since the last fsync */
        size_t n_batch, alloc_batch;
        uint64_t problem_tokens; /* order-problem lines the log may take now */
        uint64_t problem_refill_usec;
        int64_t loaded_at; /* realtime seconds: when the rules in force were loaded */
        size_t reload_errors; /* of the last reload, refused; 0 after a good one */
        int64_t api_down_since; /* realtime seconds; 0 while the API answers */
        bool api_down_told; /* this outage passed notify.api_down_after and was told */
        bool history_stale; /* an approval stopped counting: rebuild before deciding */
        bool ready;
        struct control *control; /* the control socket (daemon-control.c); NULL: none */
        struct holds *holds; /* each journaled hold: since when, why, reminded */
        struct notify *notify; /* NULL until started; sends nothing without targets */
};

static inline bool daemon_dry_run(const struct daemon *d)
{
        return d->opt.dry_run || d->config->mode == MODE_DRY_RUN;
}

/* ---- daemon-cycle.c: the state machine's inputs ---- */

/* The poll timer (or a start) begins a cycle; ignored unless idle. */
void cycle_begin(struct daemon *d);
/* SIGTERM/SIGINT: no new work; the loop exits once requests out are done. */
void cycle_stop(struct daemon *d);
/* Something says an order may be pending (a webhook): a cycle begins now
 * when idle, else right after the one under way (events coalesce).  An
 * order the daemon has decided or held already costs nothing.  order_id
 * may be NULL. */
void cycle_wake(struct daemon *d, const char *order_id);
/* A request of ours was started (a page, a call or a lookup). */
void cycle_request_started(struct daemon *d, enum call_kind kind, bool page);
/* daemon-poll.c: a page was answered and decided; how the listing goes on. */
void cycle_page_done(struct daemon *d, enum page_next next);
/* daemon-act.c: the one report of a finished call or lookup. */
void cycle_call_complete(struct daemon *d, enum call_kind kind, enum call_result result);
/* The process exit status the run has earned so far. */
int cycle_exit_status(const struct daemon *d);
const char *cycle_state_to_string(enum cycle_state s);
/* Frees the cycle's timers. */
void cycle_done(struct daemon *d);

/* "Reload refused (N errors); rules from HH:MM in force" after a refused
 * reload, until a good one; else "".  Returns buf. */
const char *daemon_reload_status(const struct daemon *d, char *buf, size_t size);

/* Why approvals wait (left pending, not decided) in this cycle, or NULL. */
const char *daemon_approvals_wait(const struct daemon *d);

/* ---- daemon-sync.c ---- */

/* Whether this cycle begins with the bootstrap or a refresh. */
bool sync_due(struct daemon *d);
/* Lists the first page / the next page. */
void sync_start(struct daemon *d);
void sync_fetch(struct daemon *d);
/* The listing ended; ok when every page was read.  Returns 0 or -errno
 * when the journal failed. */
int sync_finish(struct daemon *d, bool ok);

/* ---- daemon-poll.c ---- */

/* Starts the listing from its first page. */
void poll_start(struct daemon *d);
/* Asks for the next page, working out first where the list now starts
 * when calls have landed since the last page. */
void poll_fetch(struct daemon *d);
/* Forgets the holds kept in memory that a whole listing proved gone. */
void poll_forget_gone_holds(struct daemon *d);
/* The calls out under which the next page may be asked for. */
size_t poll_calls_threshold(const struct daemon *d, enum page_next next);

/* ---- daemon-act.c ---- */

/* Journals the decision on order o (not yet durable) and queues its call.
 * Returns 0; -E2BIG or -EINVAL when the journal cannot store the order
 * (nothing written: the caller holds it); -ENOMEM; or another -errno when
 * the journal failed (the daemon must stop). */
int act_decided(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now,
                const char *link);
/* fsyncs the intents appended and starts their calls.  Returns 0 or the
 * sync's -errno (no call made: the daemon must stop). */
int act_flush(struct daemon *d);
/* Starts a lookup for every open intent and every order marked gone.
 * Returns 0, or -ENOMEM when some could not start (they stay for the next
 * cycle). */
int act_reconcile(struct daemon *d);
/* Journals a hold of order o (not in a dry run).  Returns 0 when
 * journaled, 1 when the journal cannot keep it (the caller remembers it in
 * memory), or -errno when the journal failed. */
int act_held(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now);
/* Journals (unless in a dry run) and remembers what AppXite says of an
 * order approvald did not decide itself (o may be NULL when it is gone),
 * and counts it in the history through the one policy when Approved, from
 * count_from: the one way an approval made elsewhere enters the history.
 * source is "bootstrap", "refresh", "portal" or "tiers".  Returns 0, or
 * -errno when the journal failed (logged; the daemon stops). */
int act_learn(struct daemon *d, const char *order_id, const struct order *o, const char *status,
              const char *source, int64_t count_from);
void act_done(struct daemon *d);

/* ---- daemon-notify.c: what the daemon tells people ---- */

/* Queues a notification of kind about order_id (o, may be NULL, gives the
 * facts) to the targets that want it; nothing in a dry run.  rule NULL:
 * the default; decision and by may be NULL; since 0: none.  Never fails
 * the caller (notify.h counts what it cannot send). */
void tell_order(struct daemon *d, enum notify_kind kind, const char *order_id,
                const struct order *o, const char *rule, const char *reason, const char *decision,
                const char *by, int64_t since);
/* After each cycle: once the API has been unreachable for
 * notify.api_down_after, one api_down notification per outage. */
void tell_api_state(struct daemon *d, int64_t now);
/* Starts (d->notify NULL) or reloads the sender for config c (the one in
 * force, or the one a reload is about to put in force).  Returns 0, or
 * -errno (logged, naming the credential file; nothing changed). */
int tell_configure(struct daemon *d, const struct config *c);

/* ---- daemon-act.c: manual decisions ---- */

/* How a manual decision ended: the command's exit status (0, control.h's,
 * or sysexits.h's) and a line for the operator.  Called once, from the
 * loop (or from api_free() at the end). */
typedef void (*act_manual_done_t)(void *userdata, int exit_status, const char *message);

/* A person decides order_id (`approvald approve|reject` through the
 * control socket): the order is looked up, and when AppXite still has it
 * pending the decision is journaled as an intent with rule "manual:LOGIN"
 * and the reason, synced, and sent through the same call path as the
 * cycle's, 409 included; done then hears the outcome.  Begins a cycle
 * when idle, so that the calls run inside one.  Returns 0 (done will be
 * called), or, done never called: -EALREADY when the journal has the order
 * decided, -ESHUTDOWN when the daemon stops, -EROFS in a dry run, -ENOMEM. */
int act_manual(struct daemon *d, const char *order_id, enum action decision, const char *login,
               const char *reason, act_manual_done_t done, void *userdata);

/* ---- daemon-control.c ---- */

/* Listens on the control socket (control.h) in the state folder.  Returns
 * 0 or -errno (logged by the caller; the daemon runs on without it). */
int control_start(struct daemon *d);
/* Closes the socket and every connection; removes the socket file. */
void control_stop(struct daemon *d);
/* ---- daemon-webhook.c ---- */

/* The largest webhook body taken; a larger one is answered 413. */
#define WEBHOOK_BODY_MAX (64 * 1024)

/* Reads a webhook body (size bytes, need not be NUL-terminated).  Returns
 * 1 for an OrderPendingApproval event with a string reqID: its order id
 * in *ret_id (the caller frees), or NULL when policy_id_problem() refuses
 * it (a listing holds such an order and says why); 0 for a well-formed event of another type (nothing to do,
 * *ret_id untouched); -EINVAL when it is not such JSON; -EFBIG past
 * WEBHOOK_BODY_MAX; -ENOMEM.  Nothing else of the body is used: the order
 * is read back from the API. */
int webhook_event_parse(const char *body, size_t size, char **ret_id);

struct webhook;

/* Starts the receiver described by d->config->webhook on d's event loop:
 * binds its address (or takes the socket systemd passed), and hands every
 * valid event's order id to cycle_wake().  authorization is the value
 * every request must carry (copied).  Returns 0 and the receiver in *ret
 * (free with webhook_free()); -errno when the socket cannot be had (-EBADF:
 * systemd passed no single socket), -EIO when libmicrohttpd refuses. */
int webhook_new(struct daemon *d, const char *authorization, struct webhook **ret);
/* Stops the receiver and closes its socket.  Accepts NULL. */
void webhook_free(struct webhook *w);
/* Events accepted and requests refused since the start, for STATUS=. */
void webhook_counts(const struct webhook *w, uint64_t *ret_events, uint64_t *ret_refused);
/* After a reload swapped d->config in: the receiver is set up at start
 * only, so a changed webhook section is logged as waiting for a restart. */
void webhook_reloaded(struct daemon *d);
