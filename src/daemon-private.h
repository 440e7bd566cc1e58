/* daemon-private.h: the state the daemon's files share: daemon.c (life
 * cycle: start, notify, reload, stop), poller.c (one cycle: listing pages
 * and deciding) and act.c (journal intents, approve/reject calls, their
 * outcomes, and reconciliation of unfinished intents). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "history.h"
#include "idmap.h"
#include "journal.h"
#include "order.h"
#include "rules.h"

/* What the daemon knows of an order it has journaled a decision for. */
struct entry {
        enum action decision;
        bool done; /* an outcome is journaled */
        bool busy; /* a reconcile GET or a call is under way */
        bool not_approved; /* outcome says it did not end Approved (history skips it) */
        bool in_history; /* replay added it to the history already */
        char *reason; /* kept while the intent is open, to send it again */
};

/* A call decided and journaled, waiting for the batch's fsync. */
struct pending_call {
        char *order_id;
        char *url;
        enum action decision;
        char *reason;
};

/* One cycle's counters and paging state. */
struct cycle {
        bool running;
        bool listing_done;
        bool listing_cut; /* given up before the end: not every order was read */
        bool waiting_calls; /* the next page waits for this page's calls */
        bool last_forward_all_seen; /* last move: page++ past a page of seen ids */
        bool drain_all; /* the next page waits for every call, not just most */
        size_t guess_calls; /* calls under way when the page was last guessed */
        int64_t page;
        int64_t page_size; /* of this request: see next_page_guess() */
        size_t fetches;
        size_t n_seen, n_gone; /* listed; and left the pending list since */
        size_t n_approved, n_rejected, n_held, n_skipped, n_failed;
        int64_t started; /* realtime seconds */
};

struct daemon {
        struct daemon_options opt;
        sd_event *event;
        struct config *config;
        unsigned config_gen;
        struct api *api;
        struct journal *journal;
        struct history *history;
        struct idmap *entries; /* order id -> struct entry: every journaled decision */
        struct idmap *held; /* order id -> (void *)1: holds logged since the last reload */
        struct idmap *seen; /* order id -> (void *)1: listed in this cycle */
        sd_event_source *poll_timer, *stop_timer;
        struct cycle cycle;
        struct pending_call *batch; /* intents appended since the last fsync */
        size_t n_batch, alloc_batch;
        size_t n_calls; /* our calls and reconcile requests under way */
        size_t n_reconciling;
        bool stopping;
        bool ready;
        bool api_failed; /* this cycle: listing or reconciling failed */
        bool calls_failed; /* this cycle: some call is left to retry */
        bool fatal; /* journal write failed: stop */
};

static inline bool daemon_dry_run(const struct daemon *d)
{
        return d->opt.dry_run || d->config->mode == MODE_DRY_RUN;
}

/* poller.c */
void poller_start_cycle(struct daemon *d);
void poller_calls_drained(struct daemon *d);
size_t poller_calls_threshold(const struct daemon *d);

/* poller.c, called by act.c when every reconcile GET has answered */
void poller_reconciled(struct daemon *d);

/* act.c */
int act_decided(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now,
                const char *link);
int act_flush(struct daemon *d);
void act_reconcile(struct daemon *d);
void entry_free(void *p);

/* daemon.c */
void daemon_cycle_finished(struct daemon *d);
void daemon_check_idle(struct daemon *d);
