/* daemon-act.c: acting on decisions safely: each decision is journaled (an
 * intent, fsync'd per batch before any call), then the approve or reject
 * link is called, and the outcome journaled: 2xx done (an approve that
 * leaves the order pending waits on other approving parties), 409 look the
 * order up and record its real status, 404 record and stop.  Also looks up
 * the intents a crash or a failed call left without an outcome, and the
 * orders we wait on (holds, approvals waiting on others) once a listing no
 * longer shows them: what AppXite says of them is journaled. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "control.h"
#include "api-list.h"
#include "daemon-private.h"
#include "log.h"
#include "money.h"
#include "policy.h"
#include "timeutil.h"
#include "util.h"

/* A call decided and journaled, waiting for the batch's fsync. */
struct pending_call {
        char *order_id;
        char *url;
        enum action decision;
        char *reason;
};

/* A manual decision (`approvald approve|reject` through the control
 * socket): who asked, and what the calls made of it. */
struct manual {
        char *rule; /* "manual:LOGIN" */
        char *reason;
        act_manual_done_t done;
        void *userdata;
        int http; /* of the decision's outcome; 0: none yet */
        unsigned lookups; /* manual lookups made, waiting for the cycle's own to end */
        char status[64]; /* the order's status journaled as its outcome */
};

struct call {
        struct daemon *d;
        enum call_kind kind;
        enum action decision;
        char *order_id;
        struct manual *manual; /* NULL unless a person asked for this call */
};

static void manual_free(struct manual *m)
{
        if (!m)
                return;
        free(m->rule);
        free(m->reason);
        free(m);
}

static void call_free(struct call *c)
{
        if (!c)
                return;
        manual_free(c->manual);
        free(c->order_id);
        free(c);
}

/* Statuses inside approvald keep their canonical names (the journal, the
 * logs); what the API answers is mapped through api.statuses as it is
 * read (parse_lookup(), api_answered_status()). */
static const char *intended_status(enum action a)
{
        return order_status_name(a == ACTION_APPROVE ? ORDER_STATUS_APPROVED
                                                     : ORDER_STATUS_REJECTED);
}

static bool is_pending(const char *canonical_status)
{
        return streq_ptr(canonical_status, order_status_name(ORDER_STATUS_PENDING));
}

/* ---- outcomes ---- */

static void entry_busy(struct daemon *d, const char *order_id, bool busy)
{
        struct entry e;

        if (state_get(d->state, order_id, &e) && e.busy != busy) {
                e.busy = busy;
                (void)state_set(d->state, order_id, e); /* an existing key: cannot fail */
        }
}

/* Journals the order's status after our call.  Returns CALL_DONE, or
 * CALL_FATAL when the journal failed (logged). */
static enum call_result record_outcome(struct daemon *d, const char *order_id, int http_status,
                                       const char *final_status)
{
        struct journal_outcome out = {
                .order_id = order_id,
                .http_status = http_status,
                .final_status = final_status,
                .time = now_realtime_s(),
        };
        char id[LOG_ESCAPE_MAX];
        struct entry e;
        int r;

        r = journal_append_outcome(d->journal, &out);
        if (r < 0) {
                log_error_errno(r, "%s: cannot append the outcome to the journal in %s",
                                log_escape(order_id, id, sizeof(id)), d->state_dir);
                return CALL_FATAL;
        }
        if (state_get(d->state, order_id, &e)) {
                bool counted = entry_counts(e);

                e.status = entry_status_from_string(final_status);
                e.busy = false;
                if (counted && !entry_counts(e))
                        d->history_stale = true; /* rebuilt before the next decision */
                (void)state_set(d->state, order_id, e);
        }
        idmap_remove(d->state->reasons, order_id);
        if (idmap_get(d->seen, order_id) && !is_pending(final_status))
                d->cycle.n_gone++; /* it left the pending list (the paging counts it) */
        return CALL_DONE;
}

static void log_outcome(const char *order_id, enum action decision, int http_status,
                        const char *final_status, bool conflict)
{
        struct log_fields f = { .order_id = order_id,
                                .outcome = final_status,
                                .http_status = http_status };
        char id[LOG_ESCAPE_MAX], st[64];

        if (conflict)
                log_event(LOG_WARNING, LOG_MID_CONFLICT, &f, 0,
                          "%s: decided by someone else: now %s (ours was %s; not called again)",
                          log_escape(order_id, id, sizeof(id)),
                          log_escape(final_status, st, sizeof(st)), action_to_string(decision));
        else if (is_pending(final_status))
                log_event(LOG_INFO, LOG_MID_OUTCOME, &f, 0,
                          "%s: %s done (HTTP %d); still pending: other approving parties have "
                          "not decided (counted in the exposure meanwhile)",
                          log_escape(order_id, id, sizeof(id)), action_to_string(decision),
                          http_status);
        else
                log_event(LOG_INFO, LOG_MID_OUTCOME, &f, 0, "%s: %s done: now %s (HTTP %d)",
                          log_escape(order_id, id, sizeof(id)), action_to_string(decision),
                          log_escape(final_status, st, sizeof(st)), http_status);
}

/* Journals and logs a status after our call. */
static enum call_result finish(struct daemon *d, const struct call *c, int http,
                               const char *final_status, bool conflict)
{
        enum call_result res = record_outcome(d, c->order_id, http, final_status);

        log_outcome(c->order_id, c->decision, http, final_status, conflict);
        if (c->manual && res == CALL_DONE) {
                c->manual->http = http;
                snprintf(c->manual->status, sizeof(c->manual->status), "%s", final_status);
        }
        return res;
}

static void log_api_error(const char *order_id, const char *what, const struct api_response *r)
{
        struct log_fields f = { .order_id = order_id,
                                .http_status = r->status,
                                .api_error = r->api_error };
        char id[LOG_ESCAPE_MAX], detail[256];

        if (r->error < 0)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, r->detail ? 0 : r->error,
                          "%s: %s failed%s%s", log_escape(order_id, id, sizeof(id)), what,
                          r->detail ? ": " : "",
                          r->detail ? log_escape(r->detail, detail, sizeof(detail)) : "");
        else
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0, "%s: %s failed: HTTP %d%s%s",
                          log_escape(order_id, id, sizeof(id)), what, r->status,
                          r->api_error ? ", " : "",
                          r->api_error ? log_escape(r->api_error, detail, sizeof(detail)) : "");
}

/* ---- calls ---- */

/* Every finished call or lookup ends here: the cycle hears of it once. */
static void manual_report(struct call *c, enum call_result res);

static void call_done(struct daemon *d, struct call *c, enum call_result res)
{
        enum call_kind kind = c->kind;

        if (c->manual)
                manual_report(c, res);
        if (res == CALL_RETRY || res == CALL_LOOKUP_FAILED || res == CALL_WAIT_UNKNOWN)
                entry_busy(d, c->order_id, false);
        if (res == CALL_RETRY && kind == CALL_DECISION)
                d->cycle.n_failed++;
        call_free(c);
        cycle_call_complete(d, kind, res);
}

static int call_start(struct daemon *d, enum call_kind kind, const char *order_id,
                      enum action decision, const char *url, const char *body);
static int call_start_manual(struct daemon *d, enum call_kind kind, const char *order_id,
                             enum action decision, const char *url, const char *body,
                             struct manual **m);

/* GET api.retrieve, its {id} the order id percent-encoded; with m (may be
 * NULL), the manual decision goes with the lookup (*m is then NULL). */
static void on_manual_get(struct api *a, const struct api_response *r, void *userdata);

static int order_get_manual(struct daemon *d, enum call_kind kind, const char *order_id,
                            enum action decision, struct manual **m)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = api_retrieve_path(&d->config->api, order_id, &path);
        if (r < 0)
                return r;
        return call_start_manual(d, kind, order_id, decision, path, NULL, m);
}

static int order_get(struct daemon *d, enum call_kind kind, const char *order_id,
                     enum action decision)
{
        return order_get_manual(d, kind, order_id, decision, NULL);
}

/* The answer to an approve or reject call. */
static enum call_result decision_answered(struct daemon *d, struct call *c,
                                          const struct api_response *r)
{
        const char *what = c->decision == ACTION_APPROVE ? "approve call" : "reject call";
        char id[LOG_ESCAPE_MAX];

        if (r->error == -ECANCELED)
                return CALL_RETRY; /* never sent: reconciled at the next start */
        if (r->status == 404)
                return finish(d, c, 404, "NotFound", true);
        if (r->status == 409) {
                /* someone decided first: look it up, record it, never call again */
                if (order_get_manual(d, CALL_CONFLICT_GET, c->order_id, c->decision, &c->manual) >=
                    0)
                        return CALL_DONE;
                log_error("%s: %s answered 409; cannot look the order up: out of memory",
                          log_escape(c->order_id, id, sizeof(id)), what);
                return CALL_RETRY;
        }
        if (r->error < 0 || r->status < 200 || r->status >= 300) {
                log_api_error(c->order_id, what, r);
                return CALL_RETRY;
        }
        return finish(d, c, r->status,
                      api_answered_status(&d->config->api, c->decision, r->body, r->body_size),
                      false);
}

static void on_decision_done(struct api *a, const struct api_response *r, void *userdata)
{
        struct call *c = userdata;
        struct daemon *d = c->d;

        if (d->metrics && r->error != -ECANCELED)
                metrics_count_call(d->metrics, r->status);
        call_done(d, c, decision_answered(d, c, r));
}

/* Sends the decision again for a reconciled order still pending. */
static enum call_result resend(struct daemon *d, struct call *c, const struct order *o)
{
        const char *link = c->decision == ACTION_APPROVE ? o->approve_link : o->reject_link;
        _cleanup_free_ char *body = NULL;
        char id[LOG_ESCAPE_MAX];

        if (!link || api_same_origin(d->config->api.base_url, link) != 1) {
                struct log_fields f = { .order_id = c->order_id,
                                        .decision = action_to_string(ACTION_HOLD) };

                log_event(LOG_ERR, LOG_MID_LINK_REFUSED, &f, 0,
                          "%s: %s link is not on api.base_url's origin: not followed, order held",
                          log_escape(c->order_id, id, sizeof(id)), action_to_string(c->decision));
                return CALL_RETRY;
        }
        if (c->decision == ACTION_REJECT) {
                body = api_reject_body(idmap_get(d->state->reasons, c->order_id));
                if (!body)
                        goto oom;
        }
        log_info("%s: still pending after a restart: sending %s again",
                 log_escape(c->order_id, id, sizeof(id)), action_to_string(c->decision));
        if (call_start(d, CALL_DECISION, c->order_id, c->decision, link, body) < 0)
                goto oom;
        entry_busy(d, c->order_id, true); /* the new call has it now */
        return CALL_DONE;
oom:
        log_error("%s: cannot send the decision again: out of memory",
                  log_escape(c->order_id, id, sizeof(id)));
        return CALL_RETRY;
}

/* Parses a 200 answer to GET /orders/{id}; logs what is wrong with it. */
static int parse_lookup(struct daemon *d, struct call *c, const struct api_response *r,
                        struct order *ret)
{
        struct log_fields f = { .order_id = c->order_id, .http_status = r->status };
        char id[LOG_ESCAPE_MAX], ptr[LOG_ESCAPE_MAX];
        int k;

        k = order_parse(r->body, r->body_size, &d->config->api, ret);
        if (k >= 0 && ret->status) {
                ret->status = config_status_canonical(&d->config->api, ret->status);
                return 0;
        }
        log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                  "%s: order lookup failed: the answer is not an order (%s%s)",
                  log_escape(c->order_id, id, sizeof(id)),
                  k == -EFBIG    ? "over 1 MiB"
                  : k == -ENOMEM ? "out of memory"
                  : k < 0        ? "not a JSON object"
                                 : "no status string at ",
                  k < 0 ? "" : log_escape(d->config->api.fields[FIELD_STATUS], ptr, sizeof(ptr)));
        return k < 0 ? k : -EBADMSG;
}

int act_learn(struct daemon *d, const char *order_id, const struct order *o, const char *status,
              const char *source, int64_t count_from)
{
        struct journal_external x = {
                .order_id = order_id,
                .status = status,
                .source = source,
                .customer_id = o && o->customer_id ? o->customer_id : "",
                .currency = o && o->currency ? o->currency : "",
                .total = o && o->has_total ? o->total : 0,
                .count_from = count_from,
                .time = now_realtime_s(),
        };
        struct entry e = { .kind = ENTRY_EXTERNAL, .status = entry_status_from_string(status) };
        char id[LOG_ESCAPE_MAX];
        int r;

        assert(d);
        assert(order_id && status && source);
        if (journal_external_check(&x, NULL) < 0)
                x.customer_id = x.currency = ""; /* kept without what the journal cannot hold */
        if (!daemon_dry_run(d)) {
                r = journal_append_external(d->journal, &x);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot append to the journal in %s",
                                               log_escape(order_id, id, sizeof(id)), d->state_dir);
        }
        if (e.status == ENTRY_STATUS_APPROVED && o &&
            policy_count_order(d->state->history, o, count_from) >= 0)
                e.in_history = true;
        (void)state_set(d->state, order_id, e); /* a lost entry costs a lookup later */
        return 0;
}

/* A hold was decided elsewhere: journal what AppXite says (with the
 * order's facts, so an approval counts from now on), log it once. */
static enum call_result hold_decided_elsewhere(struct daemon *d, struct call *c,
                                               const struct order *o, const char *status)
{
        struct log_fields f = { .order_id = c->order_id, .outcome = status };
        enum entry_status es = entry_status_from_string(status);
        char id[LOG_ESCAPE_MAX], st[64];

        if (act_learn(d, c->order_id, o, status, "portal", now_realtime_s()) < 0)
                return CALL_FATAL;
        log_event(LOG_NOTICE, LOG_MID_DECIDED_ELSEWHERE, &f, 0,
                  "order %s was %s in the portal (held by approvald; %s)",
                  log_escape(c->order_id, id, sizeof(id)),
                  es == ENTRY_STATUS_APPROVED   ? "approved"
                  : es == ENTRY_STATUS_NOTFOUND ? "removed"
                                                : "rejected",
                  es == ENTRY_STATUS_APPROVED ? "it counts in the exposure from now"
                                              : log_escape(status, st, sizeof(st)));
        return CALL_DONE;
}

static enum call_result hold_deadlines(struct daemon *d, struct call *c, const struct order *o);

/* What a lookup says of an order we wait on. */
static enum call_result waited_answered(struct daemon *d, struct call *c, struct entry e,
                                        const struct order *o, int http)
{
        const char *status = o ? o->status : "NotFound";

        if (o && is_pending(o->status)) {
                e.busy = false; /* still waiting */
                (void)state_set(d->state, c->order_id, e);
                if (e.kind == ENTRY_HOLD && !e.stale) /* a stale one is decided again first */
                        return hold_deadlines(d, c, o);
                return CALL_DONE;
        }
        if (e.kind == ENTRY_HOLD)
                return hold_decided_elsewhere(d, c, o, status);
        /* our approve that waited on other parties: now final */
        return finish(d, c, http, status, !streq(status, order_status_name(ORDER_STATUS_APPROVED)));
}

/* The answer to GET /orders/{id}: after a 409, for an open intent, or for
 * an order we wait on. */
static enum call_result lookup_answered(struct daemon *d, struct call *c,
                                        const struct api_response *r, struct order *o)
{
        struct entry e = { 0 };
        bool waited = state_get(d->state, c->order_id, &e) && entry_waits(e);
        /* a lookup that told nothing leaves the order for the next cycle */
        enum call_result failed = waited                          ? CALL_WAIT_UNKNOWN
                                  : c->kind == CALL_RECONCILE_GET ? CALL_LOOKUP_FAILED
                                                                  : CALL_RETRY;
        int http = c->kind == CALL_CONFLICT_GET ? 409 : r->status;
        char id[LOG_ESCAPE_MAX];

        if (r->error == -ECANCELED)
                return failed;
        if (r->status == 404)
                return waited ? waited_answered(d, c, e, NULL, 404)
                              : finish(d, c, 404, "NotFound", true);
        if (r->error < 0 || r->status != 200) {
                log_api_error(c->order_id, "order lookup", r);
                return failed;
        }
        if (parse_lookup(d, c, r, o) < 0)
                return failed;
        if (waited)
                return waited_answered(d, c, e, o, http);
        if (is_pending(o->status) && c->kind == CALL_RECONCILE_GET) {
                if (d->cycle.state == CYCLE_STOPPING)
                        return failed; /* sent again at the next start */
                return resend(d, c, o);
        }
        if (is_pending(o->status)) {
                log_error("%s: answered 409 yet still pending; will try again",
                          log_escape(c->order_id, id, sizeof(id)));
                return CALL_RETRY;
        }
        return finish(d, c, http, o->status, !streq(o->status, intended_status(c->decision)));
}

static void on_order_get(struct api *a, const struct api_response *r, void *userdata)
{
        struct call *c = userdata;
        struct daemon *d = c->d;
        struct order o = { 0 };
        enum call_result res;

        if (d->metrics && r->error != -ECANCELED)
                metrics_count_call(d->metrics, r->status);
        res = lookup_answered(d, c, r, &o);

        order_done(&o);
        call_done(d, c, res);
}

static int call_start(struct daemon *d, enum call_kind kind, const char *order_id,
                      enum action decision, const char *url, const char *body)
{
        return call_start_manual(d, kind, order_id, decision, url, body, NULL);
}

/* Starts a call; with m (may be NULL), the manual decision goes with it
 * (*m is then NULL). */
static int call_start_manual(struct daemon *d, enum call_kind kind, const char *order_id,
                             enum action decision, const char *url, const char *body,
                             struct manual **m)
{
        struct call *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->d = d;
        c->kind = kind;
        c->decision = decision;
        c->order_id = strdup(order_id);
        if (!c->order_id) {
                call_free(c);
                return -ENOMEM;
        }
        if (kind == CALL_DECISION)
                r = api_request(d->api, API_POST, url, body, on_decision_done, c);
        else if (kind == CALL_MANUAL_GET)
                r = api_request_path(d->api, API_GET, url, NULL, on_manual_get, c);
        else
                r = api_request_path(d->api, API_GET, url, NULL, on_order_get, c);
        if (r < 0) { /* not started: the callback will not run */
                call_free(c);
                return r;
        }
        if (m)
                c->manual = TAKE_PTR(*m);
        cycle_request_started(d, kind, false);
        return 0;
}

/* ---- intents and holds ---- */

static int batch_push(struct daemon *d, const struct order *o, const struct verdict *v,
                      const char *link)
{
        struct pending_call *p;

        if (d->n_batch == d->alloc_batch) {
                size_t n = d->alloc_batch ? d->alloc_batch * 2 : 64;

                p = reallocarray(d->batch, n, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                d->batch = p;
                d->alloc_batch = n;
        }
        p = &d->batch[d->n_batch];
        *p = (struct pending_call){ .decision = v->decision };
        p->order_id = strdup(o->id);
        p->url = strdup(link);
        p->reason = strdup_null(v->reason);
        if (!p->order_id || !p->url || (v->reason && !p->reason)) {
                free(p->order_id), free(p->url), free(p->reason);
                return -ENOMEM;
        }
        d->n_batch++;
        return 0;
}

static void batch_pop(struct daemon *d)
{
        struct pending_call *p = &d->batch[--d->n_batch];

        free(p->order_id), free(p->url), free(p->reason);
}

int act_decided(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now,
                const char *link)
{
        bool approve = v->decision == ACTION_APPROVE;
        struct journal_intent in;
        struct entry e = { .kind = approve ? ENTRY_APPROVE : ENTRY_REJECT, .busy = true };
        char id[LOG_ESCAPE_MAX], *reason = NULL;
        int r;

        assert(d);
        assert(o && o->id);
        assert(v && v->decision != ACTION_HOLD);
        assert(link);
        state_intent(&in, o->id, v->decision, v->rule ? v->rule->name : NULL, v->reason, o, now);

        r = journal_intent_check(&in, NULL);
        if (r < 0)
                return r; /* the caller holds the order */
        r = batch_push(d, o, v, link);
        if (r < 0)
                return r;
        if (!approve &&
            (!(reason = strdup(in.reason)) || idmap_set(d->state->reasons, o->id, reason) < 0)) {
                free(reason);
                batch_pop(d);
                return -ENOMEM;
        }
        if (approve)
                e.in_history = policy_count_order(d->state->history, o, now) >= 0;
        r = state_set(d->state, o->id, e);
        if (r < 0) {
                idmap_remove(d->state->reasons, o->id);
                batch_pop(d);
                return r;
        }
        r = journal_append_intent(d->journal, &in);
        if (r < 0)
                return log_error_errno(r, "%s: cannot append the decision to the journal in %s",
                                       log_escape(o->id, id, sizeof(id)), d->state_dir);
        if (!approve)
                tell_order(d, NOTIFY_REJECT, o->id, o, in.rule, in.reason, "reject", NULL, 0);
        return 0;
}

int act_held(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now)
{
        struct journal_hold h;
        char id[LOG_ESCAPE_MAX];
        struct entry e;
        bool again;
        int r;

        assert(d);
        assert(o && v);
        state_hold(&h, o, v->rule ? v->rule->name : NULL, v->reason, d->state->rules_digest, now);
        if (daemon_dry_run(d) || journal_hold_check(&h, NULL) < 0)
                return 1;
        again = state_get(d->state, o->id, &e) && e.kind == ENTRY_HOLD; /* other rules held it */
        r = state_set(d->state, o->id, (struct entry){ .kind = ENTRY_HOLD });
        if (r < 0)
                return 1;
        r = journal_append_hold(d->journal, &h);
        if (r < 0)
                return log_error_errno(r, "%s: cannot append the hold to the journal in %s",
                                       log_escape(o->id, id, sizeof(id)), d->state_dir);
        (void)holds_note(d->holds, &h); /* out of memory: STATUS= and the deadlines miss it */
        if (!again)
                tell_order(d, NOTIFY_HOLD, o->id, o, h.rule, h.reason, NULL, NULL, now);
        return 0;
}

int act_flush(struct daemon *d)
{
        int r = 0;

        assert(d);
        if (d->n_batch == 0)
                return 0;
        r = journal_sync(d->journal); /* every intent is durable before its call */
        if (r < 0)
                log_error_errno(r, "cannot sync the journal in %s; no call made", d->state_dir);
        for (size_t i = 0; i < d->n_batch; i++) {
                struct pending_call *p = &d->batch[i];
                _cleanup_free_ char *body = NULL;
                int k = 0;

                if (r >= 0 && p->decision == ACTION_REJECT) {
                        body = api_reject_body(p->reason);
                        if (!body)
                                k = -ENOMEM;
                }
                if (r >= 0 && k >= 0)
                        k = call_start(d, CALL_DECISION, p->order_id, p->decision, p->url, body);
                if (r < 0 || k < 0) {
                        entry_busy(d, p->order_id, false); /* reconciled in the next cycle */
                        d->cycle.n_failed++;
                }
                free(p->order_id), free(p->url), free(p->reason);
        }
        d->n_batch = 0;
        return r;
}

/* What a reconciliation looks up: an intent without outcome, or an order
 * we wait on (a hold, our approve waiting on other parties), so that what
 * a person decided elsewhere is known before anything is decided. */
static bool needs_lookup(struct entry e)
{
        if (e.busy)
                return false;
        if ((e.kind == ENTRY_APPROVE || e.kind == ENTRY_REJECT) && e.status == ENTRY_STATUS_NONE)
                return true;
        return entry_waits(e);
}

int act_reconcile(struct daemon *d)
{
        _cleanup_free_ char **ids = NULL;
        size_t i = 0, n = 0, n_waited = 0;
        const char *id;
        void *v;
        int r = 0;

        assert(d);
        /* collect first: starting requests must not run during the walk */
        ids = calloc(idmap_size(d->state->entries) + 1, sizeof(char *));
        if (!ids)
                return -ENOMEM;
        while (idmap_next(d->state->entries, &i, &id, &v)) {
                struct entry e;

                (void)state_get(d->state, id, &e);
                if (needs_lookup(e)) {
                        ids[n++] = (char *)id;
                        n_waited += entry_waits(e);
                }
        }
        if (n > n_waited)
                log_info("reconciling %zu decision%s without an outcome", n - n_waited,
                         n - n_waited == 1 ? "" : "s");
        if (n_waited > 0)
                log_debug("looking up %zu held or partly approved orders", n_waited);
        for (size_t k = 0; k < n; k++) {
                struct entry e;

                (void)state_get(d->state, ids[k], &e);
                if (order_get(d, CALL_RECONCILE_GET, ids[k],
                              e.kind == ENTRY_REJECT ? ACTION_REJECT : ACTION_APPROVE) < 0)
                        r = -ENOMEM;
                else
                        entry_busy(d, ids[k], true);
        }
        return r;
}

void act_done(struct daemon *d)
{
        while (d->n_batch > 0)
                batch_pop(d);
        free(d->batch);
        d->batch = NULL;
        d->alloc_batch = 0;
}

/* ---- manual decisions: the control socket's side ---- */

#define MANUAL_LOOKUPS_MAX 50

static void manual_end(struct call *c, int exit_status, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

/* Tells whoever asked, once: the manual decision leaves the call. */
static void manual_end(struct call *c, int exit_status, const char *format, ...)
{
        struct manual *m = TAKE_PTR(c->manual);
        char msg[768];
        va_list ap;

        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        m->done(m->userdata, exit_status, msg);
        manual_free(m);
}

/* A decision call (or the lookup after its 409) ended. */
static void manual_report(struct call *c, enum call_result res)
{
        struct manual *m = c->manual;
        const char *verb = action_to_string(c->decision);
        char id[LOG_ESCAPE_MAX];

        log_escape(c->order_id, id, sizeof(id));
        if (m->http == 0 && res == CALL_FATAL)
                return manual_end(c, EX_IOERR, "%s: the journal failed; the service stops", id);
        if (m->http == 0)
                return manual_end(c, EX_TEMPFAIL,
                                  "%s: the %s call failed; the decision stays journaled and the "
                                  "service sends it again in its next cycle",
                                  id, verb);
        if (streq(m->status, "NotFound"))
                return manual_end(c, CONTROL_EXIT_UNKNOWN_ORDER,
                                  "%s: unknown order: gone from AppXite (HTTP %d)", id, m->http);
        if (c->kind == CALL_CONFLICT_GET ||
            !(streq(m->status, intended_status(c->decision)) ||
              streq(m->status, order_status_name(ORDER_STATUS_PENDING))))
                return manual_end(c, CONTROL_EXIT_ALREADY_DECIDED,
                                  "%s: already decided: someone decided first (HTTP %d), AppXite "
                                  "says %s; journaled, not called again",
                                  id, m->http, m->status);
        manual_end(c, 0, "%s: %s done (HTTP %d): now %s", id, verb, m->http, m->status);
}

/* ---- decisions made outside the rules: a person's, a timeout's ---- */

/* Journals, durably, the decision on order o (still pending at AppXite,
 * looked up just now) that rule (a "manual:" or "timeout:" one) makes for
 * reason, and records it in the state as the rules' decisions are: an
 * approve counts in the history, a reject keeps its reason for a resend.
 * Returns 0; 1 when the journal cannot keep the decision (a text over its
 * limit: nothing written, *ret_field names it; the order's trouble, not
 * the daemon's); or -errno when the journal failed (logged: the daemon
 * stops).  Unless 0, the order is unchanged and no call may be made. */
static int journal_decision(struct daemon *d, const char *order_id, enum action decision,
                            const char *rule, const char *reason, const struct order *o,
                            const char **ret_field)
{
        struct journal_intent in;
        struct entry e = { .kind = decision == ACTION_APPROVE ? ENTRY_APPROVE : ENTRY_REJECT,
                           .busy = true };
        char id[LOG_ESCAPE_MAX], *copy = NULL;
        int r;

        state_intent(&in, order_id, decision, rule, reason, o, now_realtime_s());
        if (journal_intent_check(&in, ret_field) < 0)
                return 1;
        r = journal_append_intent(d->journal, &in);
        if (r >= 0)
                r = journal_sync(d->journal); /* durable before the call */
        if (r < 0)
                return log_error_errno(r, "%s: cannot journal the %s decision in %s; no call made",
                                       log_escape(order_id, id, sizeof(id)), rule, d->state_dir);
        if (decision == ACTION_APPROVE)
                e.in_history = policy_count_order(d->state->history, o, in.time) >= 0;
        else if ((copy = strdup(reason)) && idmap_set(d->state->reasons, order_id, copy) < 0)
                free(copy); /* only a resend after a restart would miss it */
        (void)state_set(d->state, order_id, e); /* the order is known: cannot fail */
        return 0;
}

/* The link a decision outside the rules follows: the order's own, on
 * api.base_url's origin.  NULL when refused (logged under
 * LOG_MID_LINK_REFUSED, with why in *ret_why). */
static const char *decision_link(struct daemon *d, const char *order_id, enum action decision,
                                 const struct order *o, const char *who, const char **ret_why)
{
        const char *link = decision == ACTION_APPROVE ? o->approve_link : o->reject_link;
        struct log_fields f = { .order_id = order_id };
        char id[LOG_ESCAPE_MAX];

        if (link && api_same_origin(d->config->api.base_url, link) == 1)
                return link;
        *ret_why = link ? "not on api.base_url's origin" : "missing";
        log_event(LOG_ERR, LOG_MID_LINK_REFUSED, &f, 0, "%s: %s link is %s: not followed (%s)",
                  log_escape(order_id, id, sizeof(id)), action_to_string(decision), *ret_why, who);
        return NULL;
}

/* ---- hold deadlines: holds.remind_after and holds.timeout ---- */

/* The hold has waited remind_after: its record is journaled again with
 * the reminder flag (so a restart does not remind twice), then logged
 * and notified. */
static enum call_result hold_remind(struct daemon *d, const char *order_id, const struct order *o,
                                    struct hold_info *info, int64_t now)
{
        struct journal_hold h;
        struct log_fields f = { .order_id = order_id, .rule = info->rule };
        char id[LOG_ESCAPE_MAX], age[HOLDS_AGE_BUF_SIZE];
        int64_t since = info->since;
        int r;

        state_hold(&h, o, info->rule, info->reason, d->state->rules_digest, since);
        h.order_id = order_id; /* the id looked up, whatever the answer's says */
        h.reminded = true;
        if (journal_hold_check(&h, NULL) < 0) {
                info->reminded = true; /* kept in memory only: a restart reminds again */
        } else {
                r = journal_append_hold(d->journal, &h);
                if (r >= 0)
                        r = journal_sync(d->journal);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot journal the hold's reminder in %s",
                                        log_escape(order_id, id, sizeof(id)), d->state_dir);
                        return CALL_FATAL;
                }
                (void)holds_note(d->holds, &h); /* info may move: not used after this */
        }
        log_event(
                LOG_NOTICE, LOG_MID_REMINDER, &f, 0,
                "%s: held for a person for %s with nobody deciding (holds.remind_after %s)",
                log_escape(order_id, id, sizeof(id)), holds_age_format(now - since, age),
                holds_age_format(d->config->holds.remind_after_s, (char[HOLDS_AGE_BUF_SIZE]){ 0 }));
        tell_order(d, NOTIFY_STALE_HOLD, order_id, o, h.rule, h.reason, NULL, NULL, since);
        return CALL_DONE;
}

/* holds.timeout could not decide (policy_timeout() kept it held, or the
 * link is refused): said once per run, and the order waits on. */
static enum call_result timeout_kept(struct daemon *d, const char *order_id, struct hold_info *info,
                                     const char *why)
{
        struct log_fields f = { .order_id = order_id };
        char id[LOG_ESCAPE_MAX], w[LOG_ESCAPE_MAX];

        if (info->timeout_said)
                return CALL_DONE;
        info->timeout_said = true;
        log_event(LOG_WARNING, LOG_MID_TIMEOUT, &f, 0,
                  "%s: holds.timeout ran out but cannot %s it: %s; it stays held for a person",
                  log_escape(order_id, id, sizeof(id)),
                  action_to_string(d->config->holds.timeout_then), log_escape(why, w, sizeof(w)));
        return CALL_DONE;
}

/* The hold has waited holds.timeout: decided as policy_timeout() says,
 * journaled (rule "timeout:AFTER") and synced before the one call, as a
 * person's decision is; a restart finds the intent and never decides it
 * twice. */
static enum call_result hold_timeout(struct daemon *d, const char *order_id, const struct order *o,
                                     struct hold_info *info, int64_t now)
{
        const struct holds_config *hc = &d->config->holds;
        char id[LOG_ESCAPE_MAX], why[LOG_ESCAPE_MAX], after[DURATION_BUF_SIZE];
        _cleanup_free_ char *body = NULL, *rule = NULL;
        const char *link, *refused = NULL, *field = NULL;
        int64_t since = info->since;
        struct verdict v;
        int r;
        struct log_fields f = { .order_id = order_id,
                                .customer_id = o->customer_id,
                                .currency = o->currency };

        (void)policy_timeout(d->config, d->state->history, o, now, &v);
        if (v.decision == ACTION_HOLD)
                return timeout_kept(d, order_id, info, v.reason);
        link = decision_link(d, order_id, v.decision, o, "timeout", &refused);
        if (!link)
                return timeout_kept(d, order_id, info, refused);
        if (asprintf(&rule, "%s%s", CONFIG_RULE_TIMEOUT_PREFIX,
                     duration_format(hc->timeout_s, after)) < 0) {
                rule = NULL;
                return CALL_WAIT_UNKNOWN; /* out of memory: the next cycle tries again */
        }
        if (v.decision == ACTION_REJECT && !(body = api_reject_body(v.reason)))
                return CALL_WAIT_UNKNOWN;
        r = journal_decision(d, order_id, v.decision, rule, v.reason, o, &field);
        if (r < 0)
                return CALL_FATAL;
        if (r > 0) {
                snprintf(why, sizeof(why), "the journal cannot keep its '%s'", field ?: "?");
                return timeout_kept(d, order_id, info, why);
        }
        f.decision = action_to_string(v.decision);
        f.rule = rule;
        f.reason = v.reason;
        log_event(LOG_NOTICE, LOG_MID_TIMEOUT, &f, 0,
                  "%s: %s by timeout: held for %s with nobody deciding (holds.timeout %s): %s",
                  log_escape(order_id, id, sizeof(id)),
                  v.decision == ACTION_APPROVE ? "approved" : "rejected",
                  holds_age_format(now - since, (char[HOLDS_AGE_BUF_SIZE]){ 0 }), after,
                  log_escape(v.reason, why, sizeof(why)));
        tell_order(d, NOTIFY_TIMEOUT, order_id, o, rule, v.reason, action_to_string(v.decision),
                   NULL, since);
        if (call_start(d, CALL_DECISION, order_id, v.decision, link, body) < 0) {
                entry_busy(d, order_id, false); /* an open intent: reconciled next cycle */
                return CALL_DONE;
        }
        return CALL_DONE;
}

/* A held order AppXite still has pending: its deadlines, if any ran out. */
static enum call_result hold_deadlines(struct daemon *d, struct call *c, const struct order *o)
{
        const struct holds_config *hc = &d->config->holds;
        struct hold_info *info = holds_get(d->holds, c->order_id);
        int64_t now = now_realtime_s();

        if (!info || daemon_dry_run(d) || d->cycle.state == CYCLE_STOPPING)
                return CALL_DONE;
        if (hc->timeout_s > 0 && now - info->since >= hc->timeout_s)
                return hold_timeout(d, c->order_id, o, info, now);
        if (hc->remind_after_s > 0 && !info->reminded && now - info->since >= hc->remind_after_s)
                return hold_remind(d, c->order_id, o, info, now);
        return CALL_DONE;
}

/* ---- manual decisions ---- */

/* The order is pending: journal the decision (durably), then call. */
static enum call_result manual_decide(struct daemon *d, struct call *c, const struct order *o,
                                      const char *link)
{
        _cleanup_free_ char *body = NULL;
        const char *field = NULL;
        char id[LOG_ESCAPE_MAX];
        int r;

        log_escape(c->order_id, id, sizeof(id));
        if (c->decision == ACTION_REJECT && !(body = api_reject_body(c->manual->reason)))
                return manual_end(c, EX_OSERR, "%s: out of memory", id), CALL_DONE;
        r = journal_decision(d, c->order_id, c->decision, c->manual->rule, c->manual->reason, o,
                             &field);
        if (r > 0)
                return manual_end(c, EX_UNAVAILABLE,
                                  "%s: the journal cannot keep the order's '%s'; nothing done", id,
                                  field ?: "?"),
                       CALL_DONE;
        if (r < 0) {
                manual_end(c, EX_IOERR, "%s: cannot journal the decision: %s; no call made", id,
                           strerror(-r));
                return CALL_FATAL;
        }
        control_log_decision(c->order_id, o, c->decision, c->manual->rule, c->manual->reason);
        tell_order(d, NOTIFY_MANUAL, c->order_id, o, c->manual->rule, c->manual->reason,
                   action_to_string(c->decision),
                   c->manual->rule + strlen(CONFIG_RULE_MANUAL_PREFIX), 0);
        if (call_start_manual(d, CALL_DECISION, c->order_id, c->decision, link, body, &c->manual) <
            0) {
                entry_busy(d, c->order_id, false); /* reconciled in the next cycle */
                manual_end(c, EX_TEMPFAIL,
                           "%s: the call could not start; the decision stays journaled and the "
                           "service sends it again in its next cycle",
                           id);
        }
        return CALL_DONE;
}

/* The cycle is looking the held order up itself: its answer, should it
 * come after our intent, would read as an open intent still pending and
 * send the decision again.  So the manual decision waits for it to end,
 * looking the order up again. */
static enum call_result manual_wait(struct daemon *d, struct call *c)
{
        char id[LOG_ESCAPE_MAX];

        if (++c->manual->lookups <= MANUAL_LOOKUPS_MAX &&
            order_get_manual(d, CALL_MANUAL_GET, c->order_id, c->decision, &c->manual) >= 0)
                return CALL_DONE;
        manual_end(c, EX_TEMPFAIL, "%s: the service is busy with the order; try again",
                   log_escape(c->order_id, id, sizeof(id)));
        return CALL_DONE;
}

/* The lookup before a manual decision. */
static enum call_result manual_looked_up(struct daemon *d, struct call *c,
                                         const struct api_response *r, struct order *o)
{
        const char *link = NULL, *refused = NULL;
        char id[LOG_ESCAPE_MAX], st[64];
        struct entry e;

        log_escape(c->order_id, id, sizeof(id));
        if (r->status == 404)
                return manual_end(c, CONTROL_EXIT_UNKNOWN_ORDER,
                                  "%s: unknown order: AppXite has no such order", id),
                       CALL_DONE;
        if (r->error < 0 || r->status != 200) {
                log_api_error(c->order_id, "order lookup", r);
                return manual_end(c, EX_TEMPFAIL, "%s: the order lookup failed (see the log)", id),
                       CALL_DONE;
        }
        if (parse_lookup(d, c, r, o) < 0)
                return manual_end(c, EX_TEMPFAIL, "%s: the API's answer is not an order", id),
                       CALL_DONE;
        if (state_get(d->state, c->order_id, &e) && e.kind == ENTRY_HOLD && e.busy)
                return manual_wait(d, c);
        if (state_get(d->state, c->order_id, &e) && e.kind != ENTRY_HOLD)
                return manual_end(c, CONTROL_EXIT_ALREADY_DECIDED,
                                  "%s: already decided by approvald meanwhile; nothing done", id),
                       CALL_DONE;
        if (!streq(o->status, order_status_name(ORDER_STATUS_PENDING)))
                return manual_end(c, CONTROL_EXIT_ALREADY_DECIDED,
                                  "%s: already decided: AppXite says %s; nothing done", id,
                                  log_escape(o->status, st, sizeof(st))),
                       CALL_DONE;
        link = decision_link(d, c->order_id, c->decision, o, "manual decision", &refused);
        if (!link)
                return manual_end(c, EX_UNAVAILABLE, "%s: the order's %s link is %s: not followed",
                                  id, action_to_string(c->decision), refused),
                       CALL_DONE;
        return manual_decide(d, c, o, link);
}

static void on_manual_get(struct api *a, const struct api_response *r, void *userdata)
{
        struct call *c = userdata;
        struct daemon *d = c->d;
        struct order o = { 0 };
        enum call_result res;

        if (r->error == -ECANCELED) {
                manual_end(c, EX_TEMPFAIL, "the service stopped or gave up before the lookup");
                res = CALL_DONE;
        } else
                res = manual_looked_up(d, c, r, &o);
        order_done(&o);
        call_done(d, c, res);
}

int act_manual(struct daemon *d, const char *order_id, enum action decision, const char *login,
               const char *reason, act_manual_done_t done, void *userdata)
{
        struct manual *m;
        struct entry e;
        int r;

        assert(d);
        assert(order_id && *order_id);
        assert(decision == ACTION_APPROVE || decision == ACTION_REJECT);
        assert(login && reason && done);
        if (d->cycle.state == CYCLE_STOPPING)
                return -ESHUTDOWN;
        if (daemon_dry_run(d))
                return -EROFS;
        if (state_get(d->state, order_id, &e) && e.kind != ENTRY_HOLD)
                return -EALREADY;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        *m = (struct manual){ .reason = strdup(reason), .done = done, .userdata = userdata };
        if (!m->reason || asprintf(&m->rule, CONFIG_RULE_MANUAL_PREFIX "%s", login) < 0) {
                m->rule = NULL;
                manual_free(m);
                return -ENOMEM;
        }
        if (d->cycle.state == CYCLE_IDLE)
                cycle_wake(d, NULL); /* the calls run inside a cycle */
        r = order_get_manual(d, CALL_MANUAL_GET, order_id, decision, &m);
        manual_free(m); /* NULL once the lookup has it */
        return r;
}
