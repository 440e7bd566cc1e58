/* daemon.c: the daemon's life cycle on one sd-event loop: start (config,
 * credentials, journal recovery, history rebuilt from the journal), the
 * poll timer, systemd notifications and watchdog, SIGHUP reload, and a
 * clean stop on SIGTERM/SIGINT that lets calls on the wire finish. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "credentials.h"
#include "daemon-private.h"
#include "log.h"
#include "timeutil.h"
#include "util.h"

#define STOP_GRACE_USEC (10 * UINT64_C(1000000)) /* in-flight calls get this long */
#define EX_JOURNAL_DAMAGED 76

/* --once: how hard one cycle tries before it gives up and exits 75 */
static const struct api_options once_options = {
        .max_attempts = 8,
        .backoff_base_usec = 250000,
        .backoff_cap_usec = 8000000,
};

/* the service: a request that still fails after these attempts is logged,
 * and what it was for is tried again in the next cycle */
static const struct api_options service_options = {
        .max_attempts = 6,
        .backoff_base_usec = 500000,
        .backoff_cap_usec = 30000000,
};

/* ---- journal replay and history ---- */

static int replay_record(const struct journal_record *rec, void *userdata)
{
        struct daemon *d = userdata;
        struct entry *e;
        int r;

        if (rec->type == JOURNAL_INTENT) {
                const struct journal_intent *in = &rec->intent;

                if (!in->order_id || idmap_get(d->entries, in->order_id))
                        return 0; /* the first decision stands */
                e = calloc(1, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                e->decision = in->decision;
                e->reason = strdup_null(in->reason);
                r = idmap_put(d->entries, in->order_id, e);
                if (r < 0) {
                        entry_free(e);
                        return r;
                }
        } else if (rec->type == JOURNAL_OUTCOME && rec->outcome.order_id) {
                e = idmap_get(d->entries, rec->outcome.order_id);
                if (!e)
                        return 0;
                e->done = true;
                free(e->reason);
                e->reason = NULL;
                e->not_approved = !streq_ptr(rec->outcome.final_status, "Approved");
        }
        return 0;
}

/* Second pass: every approve intent counts in the history unless its
 * outcome says the order did not end Approved (rejected by someone else,
 * not found).  Intents without an outcome count: the call may have gone
 * through, and over-counting exposure errs on the safe side. */
static int history_record(const struct journal_record *rec, void *userdata)
{
        struct daemon *d = userdata;
        const struct journal_intent *in = &rec->intent;
        struct entry *e;

        if (rec->type != JOURNAL_INTENT || in->decision != ACTION_APPROVE || !in->order_id ||
            !in->customer_id || !in->currency)
                return 0;
        e = idmap_get(d->entries, in->order_id);
        if (!e || e->in_history || (e->done && e->not_approved))
                return 0;
        e->in_history = true;
        return history_add(d->history, in->customer_id, in->time, in->total, in->currency);
}

static int open_journal(struct daemon *d, const char *state_dir)
{
        uint64_t truncated = 0, bad = 0;
        int r;

        r = journal_open(&d->journal, state_dir, replay_record, d, &truncated, &bad);
        if (r == -EWOULDBLOCK) {
                log_error("another approvald is running on the state directory %s "
                          "(its journal is locked); not starting a second one",
                          state_dir);
                return EX_TEMPFAIL;
        }
        if (r == -EBADMSG) {
                log_event(LOG_CRIT, LOG_MID_JOURNAL, NULL, 0,
                          "journal %s/%s is damaged at offset %llu (before its tail); refusing "
                          "to start: check it with 'approvald journal verify', move the file "
                          "aside to start afresh",
                          state_dir, JOURNAL_FILE_NAME, (unsigned long long)bad);
                return EX_JOURNAL_DAMAGED;
        }
        if (r < 0) {
                log_error_errno(r, "cannot open the journal in %s", state_dir);
                return EX_CANTCREAT;
        }
        if (truncated > 0)
                log_event(LOG_WARNING, LOG_MID_JOURNAL, NULL, 0,
                          "journal %s/%s had a torn tail: %llu bytes cut back to the last whole "
                          "record",
                          state_dir, JOURNAL_FILE_NAME, (unsigned long long)truncated);
        r = journal_read(state_dir, history_record, d, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot rebuild the history from the journal");
                return EX_CANTCREAT;
        }
        history_prune(d->history, now_realtime_s() - rules_longest_window(d->config));
        return 0;
}

/* ---- notify ---- */

static void notify_status(struct daemon *d)
{
        char when[16] = "?", next[64] = "";
        struct tm tm;
        time_t t = (time_t)d->cycle.started;

        if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%H:%M:%S", &tm);
        if (!d->opt.once)
                snprintf(next, sizeof(next), "; next in %llds",
                         (long long)(d->config->poll.interval_ms / 1000));
        sd_notifyf(false,
                   "STATUS=Last poll %s: %zu pending, %zu approved, %zu rejected, %zu held%s%s%s",
                   when, d->cycle.n_seen, d->cycle.n_approved, d->cycle.n_rejected, d->cycle.n_held,
                   d->cycle.n_failed ? ", calls to retry" : "",
                   d->api_failed ? ", API unreachable" : "", next);
        log_event(LOG_INFO, LOG_MID_CYCLE, NULL, 0,
                  "cycle done: %zu pending listed, %zu approved, %zu rejected, %zu held, %zu "
                  "decided before, %zu calls failed%s",
                  d->cycle.n_seen, d->cycle.n_approved, d->cycle.n_rejected, d->cycle.n_held,
                  d->cycle.n_skipped, d->cycle.n_failed,
                  d->api_failed ? "; the API could not be reached" : "");
}

static void daemon_ready(struct daemon *d)
{
        if (d->ready)
                return;
        d->ready = true;
        log_event(LOG_INFO, LOG_MID_START, NULL, 0,
                  "ready: %zu decisions in the journal, mode %s, polling every %llds",
                  idmap_size(d->entries), daemon_dry_run(d) ? "dry-run" : "enforce",
                  (long long)(d->config->poll.interval_ms / 1000));
        sd_notify(false, "READY=1\nSTATUS=Ready; first cycle under way");
}

/* ---- cycles ---- */

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        if (!d->stopping && !d->cycle.running)
                poller_start_cycle(d);
        return 0;
}

static void arm_poll_timer(struct daemon *d)
{
        uint64_t usec = (uint64_t)d->config->poll.interval_ms * 1000u;
        int r;

        if (d->poll_timer) {
                r = sd_event_source_set_time_relative(d->poll_timer, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(d->poll_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(d->event, &d->poll_timer, CLOCK_MONOTONIC, usec,
                                               100000, on_poll_timer, d);
        if (r < 0) {
                log_error_errno(r, "cannot arm the poll timer");
                sd_event_exit(d->event, EX_SOFTWARE);
        }
}

static int exit_status(struct daemon *d)
{
        if (d->fatal)
                return EX_TEMPFAIL;
        if (d->opt.once &&
            (d->api_failed || d->calls_failed || d->cycle.running || d->cycle.listing_cut))
                return EX_TEMPFAIL;
        return 0;
}

/* A held order that left the list (a person decided it) is forgotten, once
 * a whole listing proves it gone, so the set does not grow for ever. */
static void forget_gone_holds(struct daemon *d)
{
        const char *id;
        size_t i = 0;

        if (d->api_failed || d->stopping || d->cycle.listing_cut)
                return;
        while (idmap_next(d->held, &i, &id, NULL))
                if (!idmap_get(d->seen, id))
                        idmap_remove(d->held, id); /* allowed during a walk */
}

void daemon_cycle_finished(struct daemon *d)
{
        int64_t now = now_realtime_s();
        int r;

        d->cycle.running = false;
        r = journal_sync(d->journal);
        if (r < 0) {
                log_error_errno(r, "cannot sync the journal");
                d->fatal = true;
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
        history_prune(d->history, now - rules_longest_window(d->config));
        forget_gone_holds(d);
        notify_status(d);
        if (d->fatal || d->opt.once)
                sd_event_exit(d->event, exit_status(d));
        else if (!d->stopping)
                arm_poll_timer(d);
}

void daemon_check_idle(struct daemon *d)
{
        if (d->stopping) {
                if (api_n_outstanding(d->api) == 0)
                        sd_event_exit(d->event, exit_status(d));
                return;
        }
        if (d->fatal) {
                if (d->n_calls == 0)
                        sd_event_exit(d->event, exit_status(d));
                return;
        }
        if (d->cycle.waiting_calls && d->n_calls <= poller_calls_threshold(d))
                poller_calls_drained(d);
        else if (d->cycle.running && d->cycle.listing_done && d->n_calls == 0)
                daemon_cycle_finished(d);
}

/* ---- signals ---- */

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct daemon *d = userdata;

        log_warning("calls still under way after 10 s: abandoned (reconciled at the next start)");
        api_cancel_all(d->api);
        sd_event_exit(d->event, exit_status(d));
        return 0;
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;

        if (d->stopping)
                return 0;
        d->stopping = true;
        sd_notify(false, "STOPPING=1\nSTATUS=Stopping: letting calls under way finish");
        log_event(LOG_INFO, LOG_MID_STOP, NULL, 0, "stopping on %s",
                  si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        if (d->poll_timer)
                (void)sd_event_source_set_enabled(d->poll_timer, SD_EVENT_OFF);
        api_drain(d->api); /* queued and failed calls stay open intents: reconciled on start */
        if (api_n_outstanding(d->api) == 0) {
                sd_event_exit(d->event, exit_status(d));
                return 0;
        }
        if (sd_event_add_time_relative(d->event, &d->stop_timer, CLOCK_MONOTONIC, STOP_GRACE_USEC,
                                       100000, on_stop_timeout, d) < 0)
                sd_event_exit(d->event, exit_status(d));
        return 0;
}

/* Logs each line config_load() wrote ("FILE:LINE:COLUMN: message"). */
static void log_config_errors(char *text, int priority)
{
        char *line = text, *nl;

        while (line && *line) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (*line)
                        log_event(priority, LOG_MID_RELOAD, NULL, 0, "%s", line);
                line = nl ? nl + 1 : NULL;
        }
}

/* The parser takes any http(s) URL; the client only https, or http to a
 * loopback address: said here, by key, rather than as a bare -EINVAL
 * from api_new() or api_reconfigure(). */
static int check_api_url(const char *key, const char *url)
{
        int r = api_check_url(url);

        if (r == -EPROTONOSUPPORT)
                log_error("%s %s: http is allowed only to a loopback address (127.0.0.0/8, ::1, "
                          "localhost); use https",
                          key, url);
        else if (r < 0)
                log_error("%s %s: not a URL with a host (and without a user name)", key, url);
        return r;
}

static int load_config(const char *path, struct config **ret, int priority)
{
        _cleanup_free_ char *errors = NULL;
        struct config *c = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        f = open_memstream(&errors, &size);
        if (!f)
                return -ENOMEM;
        r = config_load(path, f, &c);
        fclose(f);
        if (r < 0) {
                log_config_errors(errors, priority);
                return r;
        }
        if (check_api_url("api.base_url", c->api.base_url) < 0 ||
            check_api_url("api.token_url", c->api.token_url) < 0) {
                config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        struct config *c = NULL;
        const char *why = NULL;
        int r;

        if (d->stopping)
                return 0;
        sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
                   (unsigned long long)now_monotonic_us(), d->opt.config_path);
        r = load_config(d->opt.config_path, &c, LOG_ERR);
        if (r < 0)
                why = r == -EINVAL ? "the file has errors (above)" : strerror(-r);
        else {
                r = api_reconfigure(d->api, &c->api);
                if (r < 0)
                        why = r == -EINVAL ? "a header value in api spans lines" : strerror(-r);
        }
        if (r < 0) {
                log_event(LOG_ERR, LOG_MID_RELOAD, NULL, 0,
                          "reload of %s refused: %s; the previous rules stay in force",
                          d->opt.config_path, why);
                config_free(c);
        } else {
                /* nothing keeps pointers into the old config between events */
                config_free(d->config);
                d->config = c;
                d->config_gen++;
                idmap_clear(d->held); /* holds are decided again under the new rules */
                log_event(LOG_NOTICE, LOG_MID_RELOAD, NULL, 0,
                          "reloaded %s: %zu rules, mode %s; held orders will be decided again",
                          d->opt.config_path, c->n_rules,
                          daemon_dry_run(d) ? "dry-run" : "enforce");
        }
        sd_notify(false, "READY=1\nSTATUS=Reloaded; waiting for the next poll");
        return 0;
}

/* ---- start ---- */

static int setup_loop(struct daemon *d)
{
        sigset_t ss;
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;
        r = sd_event_new(&d->event);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGTERM, on_stop_signal, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGINT, on_stop_signal, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload_signal, d);
        if (r >= 0)
                r = sd_event_set_watchdog(d->event, true);
        return r;
}

static int load_credentials(struct daemon *d, struct credentials **ret)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = credentials_load(d->config->api.credentials_dir, ret, &path);
        if (r == -ENXIO)
                log_error("no credentials: set api.credentials_dir in %s, or run under systemd "
                          "with LoadCredential= (CREDENTIALS_DIRECTORY)",
                          d->opt.config_path);
        else if (r < 0) {
                _cleanup_free_ char *msg = credentials_strerror(r, path);

                log_error("%s", msg ? msg : "cannot read the credentials: out of memory");
        }
        return r;
}

static int daemon_start(struct daemon *d)
{
        _cleanup_(credentials_freep) struct credentials *creds = NULL;
        _cleanup_free_ char *env_dir = NULL;
        const char *state_dir = d->opt.state_dir, *e = getenv("STATE_DIRECTORY");
        int r;

        if (!state_dir && e) {
                /* systemd lists several StateDirectory= paths with ':'; ours is the first */
                env_dir = strndup(e, strcspn(e, ":"));
                if (!env_dir)
                        return log_error("out of memory"), EX_OSERR;
                state_dir = env_dir;
        }

        if (load_config(d->opt.config_path, &d->config, LOG_ERR) < 0)
                return log_error("%s: not valid; not starting", d->opt.config_path), EX_CONFIG;
        if (!state_dir || !*state_dir) {
                log_error("no state directory: pass --state-dir DIR, or run under systemd with "
                          "StateDirectory= (STATE_DIRECTORY)");
                return EX_USAGE;
        }
        if (load_credentials(d, &creds) < 0)
                return EX_CONFIG;
        if (idmap_new(&d->entries, entry_free) < 0 || idmap_new(&d->held, NULL) < 0 ||
            idmap_new(&d->seen, NULL) < 0 || history_new(&d->history) < 0)
                return log_error("out of memory"), EX_OSERR;
        r = open_journal(d, state_dir);
        if (r != 0)
                return r;
        r = setup_loop(d);
        if (r < 0)
                return log_error_errno(r, "cannot set up the event loop"), EX_OSERR;
        r = api_new(&d->api, d->event, &d->config->api, creds,
                    d->opt.once ? &once_options : &service_options);
        if (r < 0)
                return log_error_errno(r, "cannot set up the API client"), EX_CONFIG;
        return 0;
}

static void daemon_done(struct daemon *d)
{
        api_free(d->api);
        for (size_t i = 0; i < d->n_batch; i++) {
                free(d->batch[i].order_id);
                free(d->batch[i].url);
                free(d->batch[i].reason);
        }
        free(d->batch);
        sd_event_source_disable_unref(d->poll_timer);
        sd_event_source_disable_unref(d->stop_timer);
        sd_event_unref(d->event);
        if (d->journal)
                (void)journal_sync(d->journal);
        journal_close(d->journal);
        history_free(d->history);
        idmap_free(d->entries);
        idmap_free(d->held);
        idmap_free(d->seen);
        config_free(d->config);
}

int daemon_run(const struct daemon_options *opt)
{
        struct daemon d = { .opt = *opt };
        int r;

        log_open(LOG_TARGET_AUTO);
        if (getenv("APPROVALD_DEBUG"))
                log_set_max_priority(LOG_DEBUG);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return log_error("cannot initialise libcurl"), EX_OSERR;
        r = daemon_start(&d);
        if (r == 0) {
                /* Ready once the config is valid and the journal recovered:
                 * reconciling open intents needs the API, which may take
                 * longer than systemd waits for a start. */
                daemon_ready(&d);
                poller_start_cycle(&d);
                r = sd_event_loop(d.event);
                if (r < 0) {
                        log_error_errno(r, "event loop failed");
                        r = EX_SOFTWARE;
                }
        }
        daemon_done(&d);
        curl_global_cleanup();
        return r;
}
