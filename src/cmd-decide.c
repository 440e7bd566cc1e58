/* cmd-decide.c: `approvald approve|reject ORDER-ID --reason TEXT`: a
 * person decides a pending order through the API with the daemon's own
 * safety rules.  The command takes the journal's lock (so it never runs
 * beside the service), looks the order up, refuses one the journal or
 * AppXite says is decided, journals the intent (rule "manual:LOGIN", the
 * operator's reason) and syncs it, then calls the order's own link (same
 * origin as api.base_url only; TLS checked by the API client) and journals
 * the outcome; a 409 is looked up and its real status journaled.  An
 * intent left without an outcome (the call failed) is reconciled by the
 * daemon's next start, as any other.  docs/operation.md ("Holds"). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "api.h"
#include "api-list.h"
#include "commands.h"
#include "config-digest.h"
#include "config.h"
#include "control.h"
#include "credentials.h"
#include "notify.h"
#include "journal.h"
#include "log.h"
#include "order.h"
#include "state.h"
#include "util.h"

#define CONTROL_TIMEOUT_S 120 /* the service's retries of a call fit in it */

struct decide {
        const char *config_path;
        const char *state_dir;
        const char *order_id;
        const char *reason;
        enum action decision;
        char rule[sizeof(CONFIG_RULE_MANUAL_PREFIX) + CONTROL_LOGIN_MAX]; /* "manual:LOGIN" */
        struct config *config;
        struct state *state;
        struct journal *journal;
        sd_event *event;
        struct api *api;
        struct notify *notify; /* a `manual` notification to the targets that want one */
        int exit_status;
};

static const char *verb(const struct decide *x)
{
        return x->decision == ACTION_APPROVE ? "approve" : "reject";
}

/* What is queued gets as long to go out as it does when the service stops. */
#define NOTIFY_GRACE_USEC (UINT64_C(5) * 1000000)

static void finish(struct decide *x, int exit_status)
{
        x->exit_status = exit_status;
        if (x->notify)
                (void)notify_exit_when_sent(x->notify, 0, NOTIFY_GRACE_USEC);
        else
                (void)sd_event_exit(x->event, 0);
}

/* 0 when the reason is usable (control_reason_check()); else -EINVAL
 * (said on stderr). */
static int check_reason(const char *cmd, const char *s)
{
        size_t n = 0;
        int r = control_reason_check(s, &n);

        if (r == -EINVAL)
                fprintf(stderr,
                        "approvald %s: --reason must be text on one line, without control "
                        "characters or invalid UTF-8\n",
                        cmd);
        else if (r < 0)
                fprintf(stderr, "approvald %s: --reason takes 1 to %d characters (got %zu)\n", cmd,
                        CONTROL_REASON_MAX, n);
        return r < 0 ? -EINVAL : 0;
}

/* The operator: the login behind sudo, else the user running us. */
static int operator_rule(struct decide *x)
{
        const char *login = getuid() == 0 ? getenv("SUDO_USER") : NULL;
        struct passwd *pw;
        int n;

        if (!login || !*login) {
                pw = getpwuid(getuid());
                login = pw ? pw->pw_name : NULL;
        }
        if (login && control_login_check(login) < 0)
                return -EINVAL;
        if (login)
                n = snprintf(x->rule, sizeof(x->rule), CONFIG_RULE_MANUAL_PREFIX "%s", login);
        else
                n = snprintf(x->rule, sizeof(x->rule), CONFIG_RULE_MANUAL_PREFIX "uid%u",
                             (unsigned)getuid());
        return n > 0 && (size_t)n < sizeof(x->rule) ? 0 : -ENAMETOOLONG;
}

static int parse_options(int argc, char **argv, struct decide *x)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "reason", required_argument, NULL, 'r' },
                { "state-dir", required_argument, NULL, 'S' },
                {},
        };
        const char *cmd = argv[0];
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:r:", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        x->config_path = optarg;
                        break;
                case 'r':
                        x->reason = optarg;
                        break;
                case 'S':
                        x->state_dir = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (argc - optind != 1 || !x->reason) {
                fprintf(stderr,
                        "usage: approvald %s ORDER-ID --reason TEXT [-c FILE] "
                        "[--state-dir DIR]\n",
                        cmd);
                return -EINVAL;
        }
        x->order_id = argv[optind];
        if (!*x->order_id) {
                fprintf(stderr, "approvald %s: empty order id\n", cmd);
                return -EINVAL;
        }
        return check_reason(cmd, x->reason);
}

/* ---- the journal ---- */

/* Already decided as far as the journal knows: a decision of ours (an
 * intent, open or not) or one learnt from AppXite.  A hold still waits. */
static bool decided_in_journal(const struct decide *x, const char **ret_how)
{
        struct entry e;

        if (!state_get(x->state, x->order_id, &e) || e.kind == ENTRY_HOLD)
                return false;
        *ret_how = e.kind == ENTRY_APPROVE             ? "approved by approvald"
                   : e.kind == ENTRY_REJECT            ? "rejected by approvald"
                   : e.status == ENTRY_STATUS_APPROVED ? "approved in AppXite"
                                                       : "decided in AppXite";
        return true;
}

static int record_outcome(struct decide *x, int http, const char *final_status)
{
        struct journal_outcome out = { .order_id = x->order_id,
                                       .http_status = http,
                                       .final_status = final_status,
                                       .time = now_realtime_s() };
        int r = journal_append_outcome(x->journal, &out);

        if (r >= 0)
                r = journal_sync(x->journal);
        if (r < 0)
                fprintf(stderr, "approvald %s: %s: cannot journal the outcome (%s): %s\n", verb(x),
                        x->order_id, final_status, strerror(-r));
        return r;
}

/* ---- the calls ---- */

static void on_conflict_lookup(struct api *a, const struct api_response *r, void *userdata);
static void on_call_done(struct api *a, const struct api_response *r, void *userdata);

static int lookup(struct decide *x, api_done_t done)
{
        _cleanup_free_ char *path = NULL;
        int r = api_retrieve_path(&x->config->api, x->order_id, &path);

        if (r < 0)
                return r;
        return api_request_path(x->api, API_GET, path, NULL, done, x);
}

static void api_failed(struct decide *x, const char *what, const struct api_response *r)
{
        fprintf(stderr, "approvald %s: %s: %s failed: ", verb(x), x->order_id, what);
        if (r->error < 0)
                fprintf(stderr, "%s\n", r->detail ? r->detail : strerror(-r->error));
        else
                fprintf(stderr, "HTTP %d%s%s\n", r->status, r->api_error ? ", " : "",
                        r->api_error ?: "");
}

/* Parses a 200 answer to GET /orders/{id}; says what is wrong on stderr. */
static int parse_order(struct decide *x, const struct api_response *r, struct order *ret)
{
        int k = order_parse(r->body, r->body_size, &x->config->api, ret);

        if (k >= 0 && ret->status) {
                /* compared below with the canonical names, as the daemon does */
                ret->status = config_status_canonical(&x->config->api, ret->status);
                return 0;
        }
        if (k >= 0)
                order_done(ret);
        fprintf(stderr, "approvald %s: %s: the API's answer is not an order\n", verb(x),
                x->order_id);
        return -EBADMSG;
}

/* Journals the intent, durably, then calls the link. */
static int decide_order(struct decide *x, const struct order *o, const char *link)
{
        struct journal_intent in;
        _cleanup_free_ char *body = NULL;
        const char *field = NULL;
        int r;

        state_intent(&in, x->order_id, x->decision, x->rule, x->reason, o, now_realtime_s());
        r = journal_intent_check(&in, &field);
        if (r < 0) {
                fprintf(stderr, "approvald %s: %s: the journal cannot keep its %s: %s\n", verb(x),
                        x->order_id, field ?: "?", strerror(-r));
                return EX_UNAVAILABLE;
        }
        if (x->decision == ACTION_REJECT && !(body = api_reject_body(x->reason)))
                return EX_OSERR;
        r = journal_append_intent(x->journal, &in);
        if (r >= 0)
                r = journal_sync(x->journal); /* durable before the call */
        if (r < 0) {
                fprintf(stderr,
                        "approvald %s: %s: cannot journal the decision in %s: %s; no call "
                        "made\n",
                        verb(x), x->order_id, x->state_dir, strerror(-r));
                return EX_IOERR;
        }
        control_log_decision(x->order_id, o, x->decision, x->rule, x->reason);
        if (x->notify)
                (void)notify_send_order(x->notify, &x->config->api, NOTIFY_MANUAL, x->order_id, o,
                                        x->rule, x->reason, action_to_string(x->decision),
                                        x->rule + strlen(CONFIG_RULE_MANUAL_PREFIX), 0);
        r = api_request(x->api, API_POST, link, body, on_call_done, x);
        return r < 0 ? EX_OSERR : 0;
}

/* The order as AppXite has it now: decide it if still pending. */
static void on_lookup(struct api *a, const struct api_response *r, void *userdata)
{
        struct decide *x = userdata;
        struct order o = { 0 };
        const char *link;

        if (r->status == 404) {
                fprintf(stderr, "approvald %s: %s: unknown order: AppXite has no such order\n",
                        verb(x), x->order_id);
                return finish(x, EXIT_UNKNOWN_ORDER);
        }
        if (r->error < 0 || r->status != 200) {
                api_failed(x, "order lookup", r);
                return finish(x, EX_TEMPFAIL);
        }
        if (parse_order(x, r, &o) < 0)
                return finish(x, EX_PROTOCOL);
        if (!streq(o.status, order_status_name(ORDER_STATUS_PENDING))) {
                printf("%s: already decided: AppXite says %s; nothing done\n", x->order_id,
                       o.status);
                order_done(&o);
                return finish(x, EXIT_ALREADY_DECIDED);
        }
        link = x->decision == ACTION_APPROVE ? o.approve_link : o.reject_link;
        if (!link || api_same_origin(x->config->api.base_url, link) != 1) {
                fprintf(stderr, "approvald %s: %s: the order's %s link is %s: not followed\n",
                        verb(x), x->order_id, verb(x),
                        link ? "not on api.base_url's origin" : "missing");
                order_done(&o);
                return finish(x, EX_PROTOCOL);
        }
        x->exit_status = decide_order(x, &o, link);
        order_done(&o);
        if (x->exit_status != 0)
                finish(x, x->exit_status);
}

static void on_call_done(struct api *a, const struct api_response *r, void *userdata)
{
        struct decide *x = userdata;
        const char *want;

        if (r->status == 409) {
                /* someone decided first: look it up, record it, never call again */
                if (lookup(x, on_conflict_lookup) < 0)
                        finish(x, EX_OSERR);
                return;
        }
        if (r->status == 404) {
                if (record_outcome(x, 404, "NotFound") < 0)
                        return finish(x, EX_IOERR);
                fprintf(stderr, "approvald %s: %s: unknown order: gone from AppXite\n", verb(x),
                        x->order_id);
                return finish(x, EXIT_UNKNOWN_ORDER);
        }
        if (r->error < 0 || r->status < 200 || r->status >= 300) {
                api_failed(x, verb(x), r);
                fprintf(stderr, "the decision stays journaled: approvald's next start looks the "
                                "order up and sends it again if still pending\n");
                return finish(x, EX_TEMPFAIL);
        }
        want = api_answered_status(&x->config->api, x->decision, r->body, r->body_size);
        if (record_outcome(x, r->status, want) < 0)
                return finish(x, EX_IOERR);
        printf("%s: %s done (HTTP %d): now %s\n", x->order_id, verb(x), r->status, want);
        finish(x, 0);
}

static void on_conflict_lookup(struct api *a, const struct api_response *r, void *userdata)
{
        struct decide *x = userdata;
        struct order o = { 0 };

        if (r->error < 0 || r->status != 200) {
                api_failed(x, "order lookup after a 409", r);
                return finish(x, EX_TEMPFAIL); /* the intent is reconciled at the next start */
        }
        if (parse_order(x, r, &o) < 0)
                return finish(x, EX_PROTOCOL);
        if (streq(o.status, order_status_name(ORDER_STATUS_PENDING))) {
                /* as the daemon does: nothing to record; the intent stays open */
                fprintf(stderr,
                        "approvald %s: %s: answered 409 yet still pending; the decision stays "
                        "journaled and approvald's next start sends it again\n",
                        verb(x), x->order_id);
                order_done(&o);
                return finish(x, EX_TEMPFAIL);
        }
        if (record_outcome(x, 409, o.status) < 0) {
                order_done(&o);
                return finish(x, EX_IOERR);
        }
        printf("%s: already decided: someone decided first (HTTP 409), AppXite says %s; "
               "journaled, not called again\n",
               x->order_id, o.status);
        order_done(&o);
        finish(x, EXIT_ALREADY_DECIDED);
}

/* ---- start ---- */

static const struct api_options decide_api_options = {
        .max_attempts = 4,
        .backoff_base_usec = 250000,
        .backoff_cap_usec = 4000000,
        .retry_after_budget_usec = 60 * UINT64_C(1000000),
};

/* The service holds the journal: it makes the decision in its own loop,
 * through the control socket.  Returns the exit status (said). */
static int ask_service(struct decide *x)
{
        _cleanup_free_ char *msg = NULL;
        int r, status = 0;

        r = control_request(x->state_dir, x->decision == ACTION_APPROVE, x->order_id, x->reason,
                            x->rule + strlen(CONFIG_RULE_MANUAL_PREFIX), CONTROL_TIMEOUT_S, &status,
                            &msg);
        if (r < 0) {
                fprintf(stderr,
                        "approvald %s: the service runs on %s (the journal is locked) but "
                        "cannot be asked through %s/" CONTROL_SOCKET_NAME ": %s\n",
                        verb(x), x->state_dir, x->state_dir,
                        r == -ETIMEDOUT ? "no answer in time (the decision may still be made: "
                                          "see 'approvald journal dump')"
                                        : strerror(-r));
                return EX_TEMPFAIL;
        }
        fprintf(status == 0 || status == CONTROL_EXIT_ALREADY_DECIDED ? stdout : stderr,
                "%s (through the running service)\n", msg);
        return status;
}

/* The journal, under its lock.  Returns 0, -EWOULDBLOCK when the service
 * holds it, or an exit status (said). */
static int open_journal(struct decide *x)
{
        int r;

        r = state_new(&x->state, config_digest(x->config));
        if (r < 0)
                return EX_OSERR;
        r = journal_open(&x->journal, x->state_dir, state_replay, x->state, NULL, NULL);
        if (r == -EWOULDBLOCK)
                return -EWOULDBLOCK; /* the service runs */
        if (r == -EBADMSG || r == -EPROTONOSUPPORT) {
                fprintf(stderr,
                        "approvald %s: the journal in %s is damaged or of another "
                        "version (see 'approvald journal verify')\n",
                        verb(x), x->state_dir);
                return 76;
        }
        if (r < 0) {
                fprintf(stderr, "approvald %s: cannot open the journal in %s: %s\n", verb(x),
                        x->state_dir, strerror(-r));
                return EX_CANTCREAT;
        }
        return 0;
}

static int start_api(struct decide *x)
{
        _cleanup_(credentials_freep) struct credentials *creds = NULL;
        _cleanup_free_ char *path = NULL, *msg = NULL;
        int r;

        r = credentials_load(x->config->api.credentials_dir, &creds, &path);
        if (r < 0) {
                msg = r == -ENXIO ? NULL : credentials_strerror(r, path);
                fprintf(stderr, "approvald %s: %s\n", verb(x),
                        msg ?: "no credentials: set api.credentials_dir in the rules file");
                return EX_CONFIG;
        }
        r = sd_event_new(&x->event);
        if (r < 0)
                return EX_OSERR;
        r = api_new(&x->api, x->event, &x->config->api, creds, &decide_api_options);
        if (r < 0) {
                fprintf(stderr, "approvald %s: cannot set up the API client: %s\n", verb(x),
                        strerror(-r));
                return EX_CONFIG;
        }
        if (x->config->notify.n_targets == 0)
                return 0;
        free(path);
        path = NULL;
        r = notify_new(&x->notify, x->event, x->config,
                       credentials_folder(x->config->api.credentials_dir), &path);
        if (r < 0) { /* the decision matters more than its notification */
                free(msg);
                msg = path ? credentials_strerror(r, path) : NULL;
                fprintf(stderr, "approvald %s: warning: no notification will be sent: %s\n",
                        verb(x), msg ?: strerror(-r));
        }
        return 0;
}

static int run(struct decide *x)
{
        const char *how;
        int r;

        if (config_load(x->config_path, stderr, &x->config) < 0)
                return EX_CONFIG;
        if (x->config->mode == MODE_DRY_RUN) {
                fprintf(stderr,
                        "approvald %s: %s sets mode: dry-run: approvald approves and "
                        "rejects nothing\n",
                        verb(x), x->config_path);
                return EX_UNAVAILABLE;
        }
        r = open_journal(x);
        if (r == -EWOULDBLOCK)
                return ask_service(x);
        if (r != 0)
                return r;
        if (decided_in_journal(x, &how)) {
                printf("%s: already decided: %s (journal in %s); nothing done\n", x->order_id, how,
                       x->state_dir);
                return EXIT_ALREADY_DECIDED;
        }
        r = start_api(x);
        if (r != 0)
                return r;
        if (lookup(x, on_lookup) < 0)
                return EX_OSERR;
        x->exit_status = EX_SOFTWARE;
        r = sd_event_loop(x->event);
        if (r < 0)
                return EX_SOFTWARE;
        return x->exit_status;
}

static int decide(int argc, char **argv, enum action decision)
{
        struct decide x = { .config_path = APPROVALD_DEFAULT_RULES, .decision = decision };
        int r;

        x.state_dir = getenv("STATE_DIRECTORY") ?: JOURNAL_STATE_DIR_DEFAULT;
        if (parse_options(argc, argv, &x) < 0)
                return EX_USAGE;
        if (operator_rule(&x) < 0) {
                fprintf(stderr,
                        "approvald %s: the login name cannot name an operator (1 to %d "
                        "printable characters, no spaces or ':')\n",
                        argv[0], CONTROL_LOGIN_MAX);
                return EX_USAGE;
        }
        log_open(LOG_TARGET_AUTO);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return EX_OSERR;
        r = run(&x);
        notify_free(x.notify);
        api_free(x.api);
        sd_event_unref(x.event);
        journal_close(x.journal);
        state_free(x.state);
        config_free(x.config);
        curl_global_cleanup();
        return r;
}

int cmd_approve(int argc, char **argv)
{
        return decide(argc, argv, ACTION_APPROVE);
}

int cmd_reject(int argc, char **argv)
{
        return decide(argc, argv, ACTION_REJECT);
}
