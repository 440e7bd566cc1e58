/* daemon.c: the daemon's life cycle on one sd-event loop: start (config,
 * credentials, journal recovery, history rebuilt from the journal through
 * the one approval policy), systemd notifications and watchdog, SIGHUP
 * reload, and SIGTERM/SIGINT handed to the cycle's state machine
 * (daemon-cycle.c), which lets calls on the wire finish. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "config-digest.h"
#include "credentials.h"
#include "daemon-private.h"
#include "fileio.h"
#include "log.h"
#include "policy.h"
#include "timeutil.h"
#include "util.h"

#define EX_JOURNAL_DAMAGED 76

_Static_assert(POLICY_TEXT_MAX <= JOURNAL_STRING_MAX,
               "an order the policy lets through must fit in the journal");
_Static_assert(CONFIG_TEXT_MAX <= JOURNAL_STRING_MAX,
               "a rule's name and reason must fit in the journal");

/* --once: how hard one cycle tries before it gives up and exits 75 */
static const struct api_options once_options = {
        .max_attempts = 8,
        .backoff_base_usec = 250000,
        .backoff_cap_usec = 8000000,
        /* every 429's Retry-After together: past this the run exits 75 */
        .retry_after_budget_usec = 300 * UINT64_C(1000000),
};

/* the service: a request that still fails after these attempts is logged,
 * and what it was for is tried again in the next cycle */
static const struct api_options service_options = {
        .max_attempts = 6,
        .backoff_base_usec = 500000,
        .backoff_cap_usec = 30000000,
};

/* ---- journal replay and history ---- */

/* The journal's records are read as decisions, holds and what the API
 * said, and the history filled from them, in state.c: the one place the
 * daemon and the offline tools share. */

static int open_journal(struct daemon *d, const char *state_dir)
{
        uint64_t truncated = 0, bad = 0;
        int r;

        r = journal_open(&d->journal, state_dir, state_replay, d->state, &truncated, &bad);
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
        if (r == -EPROTONOSUPPORT) {
                log_event(LOG_CRIT, LOG_MID_JOURNAL, NULL, 0,
                          "journal %s/%s was written by another version of approvald (a newer "
                          "one?) and is left untouched: run that version, or move the file "
                          "aside to start afresh",
                          state_dir, JOURNAL_FILE_NAME);
                return EX_JOURNAL_DAMAGED;
        }
        if (r == -ENODEV || r == -EISDIR || r == -ELOOP) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s/%s", state_dir, JOURNAL_FILE_NAME) < 0)
                        return log_error("out of memory"), EX_OSERR;
                log_error("journal %s is %s, not a regular file: move it aside", path,
                          lstat(path, &st) == 0 ? fileio_kind(st.st_mode) : "not a file");
                return EX_CANTCREAT;
        }
        if (r == -EIO || r == -ENOSPC || r == -EDQUOT) {
                /* as for any failed fsync: nothing may rest on what was read */
                log_error_errno(r, "cannot make the journal in %s durable; no call made",
                                state_dir);
                return EX_TEMPFAIL;
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
        r = journal_read(state_dir, state_count, d->state, NULL);
        if (r >= 0)
                r = journal_read(state_dir, holds_visit, d->holds, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot rebuild the history from the journal");
                return EX_CANTCREAT;
        }
        history_prune(d->state->history, now_realtime_s() - rules_longest_window(d->config));
        return 0;
}

/* ---- notify ---- */

static void daemon_ready(struct daemon *d)
{
        if (d->ready)
                return;
        d->ready = true;
        log_event(LOG_INFO, LOG_MID_START, NULL, 0,
                  "ready: %zu decisions in the journal, mode %s, polling every %llds",
                  idmap_size(d->state->entries), daemon_dry_run(d) ? "dry-run" : "enforce",
                  (long long)(d->config->poll.interval_ms / 1000));
        sd_notify(false, "READY=1\nSTATUS=Ready; first cycle under way");
}

/* ---- signals ---- */

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;

        if (d->cycle.state == CYCLE_STOPPING)
                return 0;
        sd_notify(false, "STOPPING=1\nSTATUS=Stopping: letting calls under way finish");
        log_event(LOG_INFO, LOG_MID_STOP, NULL, 0, "stopping on %s",
                  si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        cycle_stop(d);
        return 0;
}

/* Logs each line config_load() wrote ("FILE:LINE:COLUMN: message") under
 * message_id; returns how many. */
static size_t log_config_errors(char *text, const char *message_id)
{
        char *line = text, *nl;
        size_t n = 0;

        while (line && *line) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (*line) {
                        log_event(LOG_ERR, message_id, NULL, 0, "%s", line);
                        n++;
                }
                line = nl ? nl + 1 : NULL;
        }
        return n;
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

const char *daemon_reload_status(const struct daemon *d, char *buf, size_t size)
{
        char when[16] = "?";
        struct tm tm;
        time_t t = (time_t)d->loaded_at;

        assert(d);
        if (d->reload_errors == 0) {
                *buf = '\0';
                return buf;
        }
        if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%H:%M", &tm);
        snprintf(buf, size, "Reload refused (%zu error%s); rules from %s in force",
                 d->reload_errors, d->reload_errors == 1 ? "" : "s", when);
        return buf;
}

/* Loads and checks the rules file; each problem is logged under
 * message_id (start or reload), and counted in *ret_errors. */
static int load_config(const char *path, const char *message_id, struct config **ret,
                       size_t *ret_errors)
{
        _cleanup_free_ char *errors = NULL;
        struct config *c = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        *ret_errors = 1;
        f = open_memstream(&errors, &size);
        if (!f)
                return -ENOMEM;
        r = config_load(path, f, &c);
        fclose(f);
        if (r < 0) {
                *ret_errors = log_config_errors(errors, message_id) ?: 1;
                return r;
        }
        if (check_api_url("api.base_url", c->api.base_url) < 0 ||
            check_api_url("api.token_url", c->api.token_url) < 0) {
                config_free(c);
                return -EINVAL;
        }
        *ret_errors = 0;
        *ret = c;
        return 0;
}

/* Dry-run approvals live only in memory: when the mode was or becomes
 * dry-run, a reload rebuilds the history from the journal alone, so every
 * pending order is decided again as at a fresh start and none is counted
 * twice (its own earlier dry-run approval included). */
static int rebuild_dry_run_history(struct daemon *d)
{
        idmap_clear(d->dry_counted);
        return state_rebuild_history(d->state, d->state_dir,
                                     now_realtime_s() - rules_longest_window(d->config));
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        struct config *c = NULL;
        const char *why = NULL;
        bool was_dry = daemon_dry_run(d);
        size_t n_errors = 0, n_stale;
        char status[128];
        int r;

        if (d->cycle.state == CYCLE_STOPPING)
                return 0;
        sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
                   (unsigned long long)now_monotonic_us(), d->opt.config_path);
        r = load_config(d->opt.config_path, LOG_MID_RELOAD, &c, &n_errors);
        if (r < 0)
                why = r == -EINVAL ? "the file has errors (above)" : strerror(-r);
        else if (tell_configure(d, c) < 0) {
                r = -EINVAL;
                why = "a notify header's credential file cannot be used (above)";
                n_errors = 1;
        } else {
                r = api_reconfigure(d->api, &c->api);
                if (r < 0) {
                        why = r == -EINVAL ? "a header value in api spans lines" : strerror(-r);
                        n_errors = 1;
                }
        }
        if (r < 0) {
                log_event(LOG_ERR, LOG_MID_RELOAD, NULL, 0,
                          "reload of %s refused: %s; the previous rules stay in force",
                          d->opt.config_path, why);
                config_free(c);
                d->reload_errors = n_errors; /* said in STATUS= until a good reload */
                sd_notifyf(false, "READY=1\nSTATUS=%s",
                           daemon_reload_status(d, status, sizeof(status)));
                return 0;
        }
        /* nothing keeps pointers into the old config between events */
        config_free(d->config);
        d->config = c;
        d->loaded_at = now_realtime_s();
        d->reload_errors = 0;
        webhook_reloaded(d);
        idmap_clear(d->held); /* holds are decided again under the new rules */
        n_stale = state_rules_changed(d->state, config_digest(c));
        if ((was_dry || daemon_dry_run(d)) && rebuild_dry_run_history(d) < 0)
                log_warning("cannot rebuild the history after the reload: dry-run decisions may "
                            "over-count exposure until a restart");
        log_event(LOG_NOTICE, LOG_MID_RELOAD, NULL, 0,
                  "reloaded %s: %zu rules, mode %s; %zu journaled holds will be decided again%s",
                  d->opt.config_path, c->n_rules, daemon_dry_run(d) ? "dry-run" : "enforce",
                  n_stale, n_stale ? "" : " (the rules' decisions did not change)");
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

/* The webhook receiver (daemon-webhook.c), when rules.yaml has one. */
static int start_webhook(struct daemon *d, const struct credentials *creds)
{
        int r;

        if (!creds->webhook_authorization) {
                log_error("webhook.listen is set in %s but the credential file "
                          "webhook-authorization is missing: the receiver takes only requests "
                          "that carry its value",
                          d->opt.config_path);
                return EX_CONFIG;
        }
        r = webhook_new(d, creds->webhook_authorization, &d->webhook);
        if (r == -EBADF)
                log_error("webhook.listen is 'systemd' but systemd passed no single socket "
                          "(enable approvald.socket, or give an address)");
        else if (r < 0)
                log_error_errno(r, "cannot listen for webhooks on %s", d->config->webhook.listen);
        if (r < 0)
                return EX_OSERR;
        log_info("webhook: listening on %s, path %s", d->config->webhook.listen,
                 d->config->webhook.path);
        return 0;
}

static int daemon_start(struct daemon *d)
{
        _cleanup_(credentials_freep) struct credentials *creds = NULL;
        _cleanup_free_ char *env_dir = NULL;
        const char *state_dir = d->opt.state_dir, *e = getenv("STATE_DIRECTORY");
        size_t n_errors;
        int r;

        if (!state_dir && e) {
                /* systemd lists several StateDirectory= paths with ':'; ours is the first */
                env_dir = strndup(e, strcspn(e, ":"));
                if (!env_dir)
                        return log_error("out of memory"), EX_OSERR;
                state_dir = env_dir;
        }

        if (load_config(d->opt.config_path, LOG_MID_CONFIG, &d->config, &n_errors) < 0)
                return log_event(LOG_ERR, LOG_MID_CONFIG, NULL, 0, "%s: not valid; not starting",
                                 d->opt.config_path),
                       EX_CONFIG;
        d->loaded_at = now_realtime_s();
        if (!state_dir || !*state_dir) {
                log_error("no state directory: pass --state-dir DIR, or run under systemd with "
                          "StateDirectory= (STATE_DIRECTORY)");
                return EX_USAGE;
        }
        d->state_dir = strdup(state_dir);
        if (!d->state_dir)
                return log_error("out of memory"), EX_OSERR;
        if (load_credentials(d, &creds) < 0)
                return EX_CONFIG;
        if (state_new(&d->state, config_digest(d->config)) < 0 || idmap_new(&d->held, NULL) < 0 ||
            idmap_new(&d->seen, NULL) < 0 || idmap_new(&d->dry_counted, NULL) < 0 ||
            holds_new(&d->holds) < 0)
                return log_error("out of memory"), EX_OSERR;
        if (metrics_new(&d->metrics) < 0) /* kept whatever the config: a reload may add it */
                return log_error("out of memory"), EX_OSERR;
        r = open_journal(d, state_dir);
        if (r != 0)
                return r;
        d->api_options = d->opt.once ? &once_options : &service_options;
        r = setup_loop(d);
        if (r < 0)
                return log_error_errno(r, "cannot set up the event loop"), EX_OSERR;
        r = api_new(&d->api, d->event, &d->config->api, creds, d->api_options);
        if (r < 0)
                return log_error_errno(r, "cannot set up the API client"), EX_CONFIG;
        if (tell_configure(d, d->config) < 0)
                return EX_CONFIG;
        /* manual decisions (`approvald approve|reject`) come through it */
        r = d->opt.once ? 0 : control_start(d);
        if (r < 0)
                log_warning("cannot listen on %s/control (%s): approve and reject wait for the "
                            "service to stop",
                            state_dir, strerror(-r));
        if (d->config->webhook.listen && !d->opt.once)
                return start_webhook(d, creds);
        return 0;
}

static void daemon_done(struct daemon *d)
{
        webhook_free(d->webhook);
        notify_free(d->notify); /* what is still queued is counted as dropped */
        api_free(d->api);
        control_stop(d); /* after api_free(): a manual decision under way was answered */
        act_done(d);
        free(d->sync.first_id);
        free(d->sync.next_url);
        free(d->listing.next_url);
        cycle_done(d);
        sd_event_unref(d->event);
        if (d->journal)
                (void)journal_sync(d->journal);
        journal_close(d->journal);
        state_free(d->state);
        metrics_free(d->metrics);
        holds_free(d->holds);
        idmap_free(d->held);
        idmap_free(d->seen);
        idmap_free(d->dry_counted);
        config_free(d->config);
        free(d->state_dir);
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
                cycle_begin(&d);
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
