/* daemon-cycle.c: the poll cycle as a state machine.  Every change of
 * struct cycle's state goes through cycle_transition(), which logs it at
 * debug level and runs the new state's entry action; the other parts only
 * report what happened (a page decided, a call finished, a signal), through
 * the functions below, always from the event loop.  A cycle that runs past
 * a bound derived from the API's timeouts is logged and ended, so polling
 * can never stop silently.  docs/hacking.md draws the diagram. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sysexits.h>

#include <systemd/sd-daemon.h>

#include "daemon-private.h"
#include "log.h"
#include "timeutil.h"
#include "util.h"

#define STOP_GRACE_USEC (10 * UINT64_C(1000000)) /* in-flight calls get this long */

static const char *const state_names[_CYCLE_STATE_MAX] = {
        [CYCLE_IDLE] = "idle",
        [CYCLE_SYNCING] = "syncing",
        [CYCLE_RECONCILING] = "reconciling",
        [CYCLE_LISTING] = "listing",
        [CYCLE_WAITING_CALLS] = "waiting-calls",
        [CYCLE_FINISHING] = "finishing",
        [CYCLE_STOPPING] = "stopping",
};

const char *cycle_state_to_string(enum cycle_state s)
{
        return s < _CYCLE_STATE_MAX ? state_names[s] : "?";
}

static void cycle_transition(struct daemon *d, enum cycle_state to, const char *why);
static void rebuild_history(struct daemon *d);

int cycle_exit_status(const struct daemon *d)
{
        const struct cycle *c = &d->cycle;

        assert(d);
        if (c->fatal)
                return EX_TEMPFAIL;
        if (d->opt.once && (c->trouble || c->n_deferred > 0 || c->state != CYCLE_IDLE))
                return EX_TEMPFAIL;
        return 0;
}

/* The longest a cycle may run: four requests' worth of every attempt with
 * its timeout and longest backoff, plus the Retry-After pauses allowed
 * (--once's budget, else one at its cap).  APPROVALD_TEST_CYCLE_BOUND_S
 * overrides it for the tests. */
static uint64_t cycle_bound_usec(const struct daemon *d)
{
        const struct api_options *o = d->api_options;
        const char *e = getenv("APPROVALD_TEST_CYCLE_BOUND_S");
        uint64_t per_try = (uint64_t)d->config->api.timeout_ms * 1000u + o->backoff_cap_usec;
        uint64_t pauses = o->retry_after_budget_usec ?: (uint64_t)API_RETRY_AFTER_MAX_S * 1000000u;
        int64_t s;

        if (e && safe_atoi64(e, &s) >= 0 && s > 0)
                return (uint64_t)s * 1000000u;
        return 4u * (o->max_attempts ?: 8u) * per_try + pauses;
}

const char *daemon_approvals_wait(const struct daemon *d)
{
        assert(d);
        if (!d->state->bootstrapped)
                return "the bootstrap of approved orders has not finished";
        if (d->cycle.trouble & CYCLE_WAIT_UNKNOWN)
                return "a held order could not be looked up (a person may have decided it)";
        return NULL;
}

/* Notifications still queued at exit get this long to go out (a --once
 * run ends right after its decisions); what is left is dropped, counted
 * and logged by notify_free().  At once after a journal failure. */
#define NOTIFY_GRACE_USEC (UINT64_C(5) * 1000000)

static void exit_loop(struct daemon *d)
{
        if (d->notify && !d->cycle.fatal)
                (void)notify_exit_when_sent(d->notify, cycle_exit_status(d), NOTIFY_GRACE_USEC);
        else
                sd_event_exit(d->event, cycle_exit_status(d));
}

static int arm_timer(struct daemon *d, sd_event_source **s, uint64_t usec,
                     sd_event_time_handler_t handler)
{
        int r;

        if (*s) {
                r = sd_event_source_set_time_relative(*s, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
                return r;
        }
        return sd_event_add_time_relative(d->event, s, CLOCK_MONOTONIC, usec, 100000, handler, d);
}

static void disarm(sd_event_source *s)
{
        if (s)
                (void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        cycle_begin(userdata);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        if (d->cycle.state == CYCLE_IDLE || d->cycle.state == CYCLE_STOPPING)
                return 0;
        log_event(LOG_ERR, LOG_MID_CYCLE, NULL, 0,
                  "cycle ended after %llu s while %s, past its bound: requests still out are "
                  "cancelled (their orders are reconciled in the next cycle)",
                  (unsigned long long)((now_monotonic_us() - d->cycle.started_usec) / 1000000u),
                  cycle_state_to_string(d->cycle.state));
        d->cycle.trouble |= CYCLE_OVERRAN;
        cycle_transition(d, CYCLE_FINISHING, "past the cycle's bound");
        api_cancel_all(d->api); /* their callbacks come from the loop */
        return 0;
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        log_warning("calls still under way after 10 s: abandoned (reconciled at the next start)");
        api_cancel_all(d->api);
        if (d->cycle.n_requests == 0)
                exit_loop(d);
        return 0;
}

/* "API unreachable since HH:MM" while it is, else "". */
static void api_status(struct daemon *d, char *buf, size_t size)
{
        struct tm tm;
        time_t t;

        if (!(d->cycle.trouble & (CYCLE_API_FAILED | CYCLE_OVERRAN | CYCLE_SYNC_FAILED))) {
                d->api_down_since = 0;
                *buf = '\0';
                return;
        }
        if (d->api_down_since == 0)
                d->api_down_since = d->cycle.started;
        t = (time_t)d->api_down_since;
        if (!localtime_r(&t, &tm) || strftime(buf, size, "API unreachable since %H:%M", &tm) == 0)
                snprintf(buf, size, "API unreachable");
}

/* "3 held (oldest 5h)": the holds waiting for a person, as the journal
 * has them; in a dry run (nothing journaled), this cycle's holds. */
static void held_status(struct daemon *d, char buf[static 64])
{
        char age[HOLDS_AGE_BUF_SIZE];
        int64_t oldest = 0;
        size_t n = daemon_dry_run(d) ? 0 : holds_waiting(d->holds, d->state, &oldest);

        if (n > 0)
                snprintf(buf, 64, "%zu held (oldest %s)", n,
                         holds_age_format(now_realtime_s() - oldest, age));
        else
                snprintf(buf, 64, "%zu held", d->cycle.n_held);
}

/* "; notifications: 3 dropped, 1 failed" once some were not delivered
 * (notify.h counts them; each was logged), else "". */
static void notifications_status(const struct daemon *d, char *buf, size_t size)
{
        struct notify_stats ns;

        *buf = '\0';
        if (!d->notify)
                return;
        notify_get_stats(d->notify, &ns);
        if (ns.dropped > 0 && ns.failed > 0)
                snprintf(buf, size, "; notifications: %llu dropped, %llu failed",
                         (unsigned long long)ns.dropped, (unsigned long long)ns.failed);
        else if (ns.dropped > 0 || ns.failed > 0)
                snprintf(buf, size, "; notifications: %llu %s",
                         (unsigned long long)(ns.dropped + ns.failed),
                         ns.dropped > 0 ? "dropped" : "failed");
}

/* "; webhook: 12 events, 3 refused" (refusals only when there were
 * some; they are logged once a minute with why), else "". */
static void webhook_status(const struct daemon *d, char *buf, size_t size)
{
        uint64_t events, refused;

        *buf = '\0';
        if (!d->webhook)
                return;
        webhook_counts(d->webhook, &events, &refused);
        if (refused > 0)
                snprintf(buf, size, "; webhook: %llu event%s, %llu refused",
                         (unsigned long long)events, events == 1 ? "" : "s",
                         (unsigned long long)refused);
        else
                snprintf(buf, size, "; webhook: %llu event%s", (unsigned long long)events,
                         events == 1 ? "" : "s");
}

static void notify_status(struct daemon *d)
{
        const struct cycle *c = &d->cycle;
        char when[16] = "?", next[64] = "", unlogged[96] = "", api[64], wait[160] = "", reload[128],
             held[64], told[96], hook[96];
        const char *why = daemon_approvals_wait(d);
        struct tm tm;
        time_t t = (time_t)c->started;

        if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%H:%M:%S", &tm);
        if (!d->opt.once)
                snprintf(next, sizeof(next), "; next in %llds",
                         (long long)(d->config->poll.interval_ms / 1000));
        if (c->n_problems_unlogged > 0)
                snprintf(unlogged, sizeof(unlogged),
                         "; %zu more order problems not logged (rate limit)",
                         c->n_problems_unlogged);
        if (c->n_deferred > 0 || why)
                snprintf(wait, sizeof(wait), "; %zu approvals wait: %s", c->n_deferred,
                         why ? why : "see the log");
        api_status(d, api, sizeof(api));
        tell_api_state(d, now_realtime_s());
        daemon_reload_status(d, reload, sizeof(reload));
        held_status(d, held);
        notifications_status(d, told, sizeof(told));
        webhook_status(d, hook, sizeof(hook));
        if (*api && c->n_seen == 0)
                sd_notifyf(false, "STATUS=%s%s%s; pending orders unknown%s%s%s%s", reload,
                           *reload ? "; " : "", api, wait, hook, told, next);
        else
                sd_notifyf(false,
                           "STATUS=%s%sLast poll %s: %zu pending, %zu approved, %zu rejected, "
                           "%s%s%s%s%s%s%s%s",
                           reload, *reload ? "; " : "", when, c->n_seen, c->n_approved,
                           c->n_rejected, held, c->n_failed ? ", calls to retry" : "",
                           *api ? ", " : "", api, wait, hook, told, next);
        log_event(LOG_INFO, LOG_MID_CYCLE, NULL, 0,
                  "cycle done: %zu pending listed, %zu approved, %zu rejected, %zu held, %zu "
                  "decided before, %zu calls failed%s%s%s%s",
                  c->n_seen, c->n_approved, c->n_rejected, c->n_held, c->n_skipped, c->n_failed,
                  c->trouble & CYCLE_API_FAILED ? "; the API could not be reached" : "",
                  c->trouble & CYCLE_OVERRAN ? "; ended past its time bound" : "", unlogged, wait);
}

/* FINISHING with nothing out: the cycle's end. */
static void end_cycle(struct daemon *d)
{
        int64_t now = now_realtime_s();
        int r;

        r = journal_sync(d->journal);
        if (r < 0) {
                log_error_errno(r, "cannot sync the journal in %s", d->state_dir);
                d->cycle.fatal = true;
                cycle_transition(d, CYCLE_STOPPING, "the journal failed");
                return;
        }
        if (!daemon_dry_run(d)) {
                /* Keep every final decision for the retention period, and
                 * longer if a window of the rules looks further back. */
                int64_t keep = rules_longest_window(d->config);

                if (keep < JOURNAL_RETENTION_DEFAULT_S)
                        keep = JOURNAL_RETENTION_DEFAULT_S;
                r = journal_compact(d->journal, now, keep, JOURNAL_COMPACT_DEFAULT_SIZE);
                if (r < 0)
                        log_warning("journal compaction failed, the file is unchanged: %s",
                                    strerror(-r));
        }
        history_prune(d->state->history, now - rules_longest_window(d->config));
        if (!(d->cycle.trouble & (CYCLE_API_FAILED | CYCLE_LISTING_CUT | CYCLE_OVERRAN)) &&
            d->cycle.state == CYCLE_FINISHING)
                poll_forget_gone_holds(d);
        disarm(d->deadline_timer);
        if (d->metrics) {
                if (d->notify && d->config->notify.n_targets > 0) {
                        struct notify_stats ns;

                        notify_get_stats(d->notify, &ns);
                        metrics_notifications(d->metrics, ns.sent, ns.failed, ns.dropped);
                }
                metrics_cycle_done(d->metrics, now_monotonic_us() - d->cycle.started_usec,
                                   !(d->cycle.trouble & (CYCLE_API_FAILED | CYCLE_LISTING_CUT)),
                                   now, d->cycle.n_held, journal_size(d->journal));
                r = d->config->metrics.textfile
                            ? metrics_write(d->metrics, d->config->metrics.textfile)
                            : 0;
                if (r < 0)
                        log_warning("cannot write the metrics file %s: %s",
                                    d->config->metrics.textfile, strerror(-r));
        }
        cycle_transition(d, CYCLE_IDLE, "cycle done");
}

/* The entry action of each state. */
static void enter(struct daemon *d, enum cycle_state from)
{
        bool again;
        int r;

        switch (d->cycle.state) {
        case CYCLE_IDLE:
                again = d->cycle.again;
                notify_status(d);
                if (d->opt.once) {
                        exit_loop(d);
                        return;
                }
                r = arm_timer(d, &d->poll_timer,
                              again ? 0 : (uint64_t)d->config->poll.interval_ms * 1000u,
                              on_poll_timer);
                /* The timer's 100 ms accuracy lets sd-event start a cycle
                 * asked for "right after this one" (a webhook) up to 100 ms
                 * late; the next poll may be late, a wake-up not. */
                if (r >= 0)
                        r = sd_event_source_set_time_accuracy(d->poll_timer, again ? 1 : 100000);
                if (r < 0) {
                        log_error_errno(r, "cannot arm the poll timer");
                        sd_event_exit(d->event, EX_SOFTWARE);
                }
                return;
        case CYCLE_SYNCING:
                if (from == CYCLE_IDLE)
                        sync_start(d);
                else
                        sync_fetch(d);
                return;
        case CYCLE_RECONCILING:
                if (act_reconcile(d) < 0)
                        d->cycle.trouble |= CYCLE_API_FAILED;
                if (d->cycle.n_reconciling == 0)
                        cycle_transition(d, CYCLE_LISTING, "nothing to reconcile");
                return;
        case CYCLE_LISTING:
                if (from != CYCLE_RECONCILING && from != CYCLE_SYNCING && from != CYCLE_IDLE) {
                        poll_fetch(d);
                        return;
                }
                if (d->history_stale)
                        rebuild_history(d);
                poll_start(d);
                return;
        case CYCLE_WAITING_CALLS:
                return;
        case CYCLE_FINISHING:
                if (d->cycle.n_requests == 0)
                        end_cycle(d);
                return;
        case CYCLE_STOPPING:
                disarm(d->poll_timer);
                disarm(d->deadline_timer);
                api_drain(d->api); /* queued and failed calls stay open intents */
                if (d->cycle.n_requests == 0) {
                        exit_loop(d);
                        return;
                }
                r = arm_timer(d, &d->stop_timer, STOP_GRACE_USEC, on_stop_timeout);
                if (r < 0)
                        exit_loop(d);
                return;
        case _CYCLE_STATE_MAX:
                break;
        }
        assert(false);
}

/* An approval stopped counting (rejected by another party after ours):
 * the history is built again from the journal before anything is decided. */
static void rebuild_history(struct daemon *d)
{
        int r;

        d->history_stale = false;
        if (daemon_dry_run(d))
                return; /* nothing journaled: dry-run overcounts until a reload */
        r = state_rebuild_history(d->state, d->state_dir,
                                  now_realtime_s() - rules_longest_window(d->config));
        if (r < 0)
                log_warning("cannot rebuild the history from the journal in %s: %s; an "
                            "approval another party rejected still counts",
                            d->state_dir, strerror(-r));
}

static void cycle_transition(struct daemon *d, enum cycle_state to, const char *why)
{
        enum cycle_state from = d->cycle.state;

        log_debug("cycle: %s -> %s (%s; %zu requests out, %zu calls)", cycle_state_to_string(from),
                  cycle_state_to_string(to), why, d->cycle.n_requests, d->cycle.n_calls);
        d->cycle.state = to;
        enter(d, from);
}

/* Reconciling comes next, or in a dry run (nothing is sent again) the
 * listing. */
static void after_sync(struct daemon *d)
{
        if (daemon_dry_run(d))
                cycle_transition(d, CYCLE_LISTING, "poll (dry run)");
        else
                cycle_transition(d, CYCLE_RECONCILING, "poll");
}

void cycle_begin(struct daemon *d)
{
        int r;

        assert(d);
        if (d->cycle.state != CYCLE_IDLE)
                return;
        assert(d->cycle.n_requests == 0); /* idle: nothing of ours is out */
        d->cycle = (struct cycle){ .state = CYCLE_IDLE,
                                   .started = now_realtime_s(),
                                   .started_usec = now_monotonic_us() };
        idmap_clear(d->seen); /* before any outcome of this cycle is counted as gone */
        r = arm_timer(d, &d->deadline_timer, cycle_bound_usec(d), on_deadline);
        if (r < 0)
                log_warning("cannot arm the cycle's time bound: %s", strerror(-r));
        if (sync_due(d))
                cycle_transition(d, CYCLE_SYNCING, d->sync.bootstrap ? "bootstrap" : "refresh");
        else
                after_sync(d);
}

void cycle_wake(struct daemon *d, const char *order_id)
{
        assert(d);
        if (order_id && state_get(d->state, order_id, NULL))
                return; /* decided or held already: a late or repeated event costs nothing */
        if (d->cycle.state == CYCLE_IDLE) {
                log_debug("cycle: woken up%s", order_id ? " for a new order" : "");
                cycle_begin(d);
        } else if (d->cycle.state != CYCLE_STOPPING)
                d->cycle.again = true; /* one more cycle right after this one */
}

void cycle_stop(struct daemon *d)
{
        assert(d);
        if (d->cycle.state == CYCLE_STOPPING)
                return;
        cycle_transition(d, CYCLE_STOPPING, "stop asked");
}

void cycle_request_started(struct daemon *d, enum call_kind kind, bool page)
{
        assert(d);
        d->cycle.n_requests++;
        if (page)
                return;
        d->cycle.n_calls++;
        if (kind == CALL_RECONCILE_GET)
                d->cycle.n_reconciling++;
}

/* After a request came back: whatever it waited for may now go on. */
static void go_on(struct daemon *d)
{
        struct cycle *c = &d->cycle;

        switch (c->state) {
        case CYCLE_STOPPING:
                if (c->n_requests == 0)
                        exit_loop(d);
                break;
        case CYCLE_RECONCILING:
                if (c->n_reconciling == 0)
                        cycle_transition(d, CYCLE_LISTING, "every open intent looked up");
                break;
        case CYCLE_WAITING_CALLS:
                if (c->n_calls <= c->wait_threshold)
                        cycle_transition(d, CYCLE_LISTING, "calls done");
                break;
        case CYCLE_FINISHING:
                if (c->n_requests == 0)
                        end_cycle(d);
                break;
        case CYCLE_IDLE:
        case CYCLE_SYNCING:
        case CYCLE_LISTING:
        case _CYCLE_STATE_MAX:
                break;
        }
}

/* A page of the bootstrap or refresh listing was handled. */
static void sync_page_done(struct daemon *d, enum page_next next)
{
        switch (next) {
        case PAGE_NEXT_NOW:
        case PAGE_NEXT_AFTER_CALLS:
        case PAGE_NEXT_AFTER_ALL_CALLS:
                cycle_transition(d, CYCLE_SYNCING, "next page");
                return;
        case PAGE_NEXT_FATAL:
                d->cycle.fatal = true;
                cycle_transition(d, CYCLE_STOPPING, "the journal failed");
                return;
        case PAGE_NEXT_FAILED:
        case PAGE_NEXT_CUT:
                d->cycle.trouble |= CYCLE_SYNC_FAILED;
                break;
        case PAGE_NEXT_END:
                break;
        }
        if (sync_finish(d, next == PAGE_NEXT_END) < 0) {
                d->cycle.fatal = true;
                cycle_transition(d, CYCLE_STOPPING, "the journal failed");
                return;
        }
        after_sync(d);
}

void cycle_page_done(struct daemon *d, enum page_next next)
{
        struct cycle *c = &d->cycle;

        assert(d);
        assert(c->n_requests > 0);
        c->n_requests--;
        if (c->state == CYCLE_SYNCING) {
                sync_page_done(d, next);
                return;
        }
        if (c->state != CYCLE_LISTING) { /* stopping, or ended past its bound */
                go_on(d);
                return;
        }
        switch (next) {
        case PAGE_NEXT_NOW:
                cycle_transition(d, CYCLE_LISTING, "next page");
                return;
        case PAGE_NEXT_AFTER_CALLS:
        case PAGE_NEXT_AFTER_ALL_CALLS:
                c->wait_threshold = poll_calls_threshold(d, next);
                if (c->n_calls <= c->wait_threshold)
                        cycle_transition(d, CYCLE_LISTING, "few calls out");
                else
                        cycle_transition(d, CYCLE_WAITING_CALLS, "page decided");
                return;
        case PAGE_NEXT_FAILED:
                c->trouble |= CYCLE_API_FAILED;
                cycle_transition(d, CYCLE_FINISHING, "listing failed");
                return;
        case PAGE_NEXT_CUT:
                c->trouble |= CYCLE_LISTING_CUT;
                cycle_transition(d, CYCLE_FINISHING, "listing cut");
                return;
        case PAGE_NEXT_FATAL:
                c->fatal = true;
                cycle_transition(d, CYCLE_STOPPING, "the journal failed");
                return;
        case PAGE_NEXT_END:
                break;
        }
        cycle_transition(d, CYCLE_FINISHING, "last page");
}

void cycle_call_complete(struct daemon *d, enum call_kind kind, enum call_result result)
{
        struct cycle *c = &d->cycle;

        assert(d);
        assert(c->n_requests > 0 && c->n_calls > 0);
        c->n_requests--;
        c->n_calls--;
        if (kind == CALL_RECONCILE_GET) {
                assert(c->n_reconciling > 0);
                c->n_reconciling--;
        }
        switch (result) {
        case CALL_DONE:
                break;
        case CALL_RETRY:
                c->trouble |= CYCLE_CALLS_FAILED;
                break;
        case CALL_LOOKUP_FAILED:
                c->trouble |= CYCLE_API_FAILED;
                break;
        case CALL_WAIT_UNKNOWN: /* approvals wait until its end is known */
                c->trouble |= CYCLE_API_FAILED | CYCLE_WAIT_UNKNOWN;
                break;
        case CALL_FATAL:
                if (!c->fatal) {
                        c->fatal = true;
                        cycle_transition(d, CYCLE_STOPPING, "the journal failed");
                        return;
                }
                break;
        }
        go_on(d);
}

void cycle_done(struct daemon *d)
{
        d->poll_timer = sd_event_source_disable_unref(d->poll_timer);
        d->deadline_timer = sd_event_source_disable_unref(d->deadline_timer);
        d->stop_timer = sd_event_source_disable_unref(d->stop_timer);
}
