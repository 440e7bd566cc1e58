/* act.c: acting on decisions safely: each decision is journaled (an
 * intent, fsync'd per batch before any call), then the approve or reject
 * link is called, and the outcome journaled: 2xx done, 409 look the order
 * up and record its real status, 404 record and stop.  Also reconciles the
 * intents a crash or a failed call left without an outcome. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon-private.h"
#include "log.h"
#include "money.h"
#include "util.h"

#define REJECT_REASON_MAX 500 /* the API takes 1..500 characters */
#define REJECT_REASON_FALLBACK "Rejected by the seller's approval rules"

enum call_kind {
        CALL_DECISION, /* POST to the approve or reject link */
        CALL_CONFLICT_GET, /* GET /orders/{id} after a 409 */
        CALL_RECONCILE_GET, /* GET /orders/{id} for an intent without outcome */
};

struct call {
        struct daemon *d;
        enum call_kind kind;
        enum action decision;
        char *order_id;
};

void entry_free(void *p)
{
        struct entry *e = p;

        if (!e)
                return;
        free(e->reason);
        free(e);
}

static void call_free(struct call *c)
{
        if (!c)
                return;
        free(c->order_id);
        free(c);
}

static const char *intended_status(enum action a)
{
        return a == ACTION_APPROVE ? "Approved" : "Rejected";
}

static char *reject_body(const char *reason)
{
        _cleanup_free_ char *cut = NULL;
        cJSON *j;
        char *body;

        if (!reason || !*reason)
                reason = REJECT_REASON_FALLBACK;
        cut = utf8_truncate(reason, REJECT_REASON_MAX);
        if (!cut)
                return NULL;
        j = cJSON_CreateObject();
        if (!j || !cJSON_AddStringToObject(j, "reason", cut)) {
                cJSON_Delete(j);
                return NULL;
        }
        body = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        return body;
}

/* ---- outcomes ---- */

static void record_outcome(struct daemon *d, const char *order_id, int http_status,
                           const char *final_status)
{
        struct journal_outcome out = {
                .order_id = order_id,
                .http_status = http_status,
                .final_status = final_status,
                .time = now_realtime_s(),
        };
        struct entry *e = idmap_get(d->entries, order_id);
        int r;

        r = journal_append_outcome(d->journal, &out);
        if (r < 0) {
                log_error_errno(r, "cannot append to the journal");
                d->fatal = true;
        }
        if (e) {
                e->done = true;
                e->busy = false;
                free(e->reason);
                e->reason = NULL;
        }
        if (idmap_get(d->seen, order_id))
                d->cycle.n_gone++;
}

static void log_outcome(const char *order_id, enum action decision, int http_status,
                        const char *final_status)
{
        struct log_fields f = { .order_id = order_id,
                                .decision = action_to_string(decision),
                                .http_status = http_status };
        char id[LOG_ESCAPE_MAX], st[64];

        log_event(LOG_INFO, LOG_MID_OUTCOME, &f, 0, "%s: %s done: now %s (HTTP %d)",
                  log_escape(order_id, id, sizeof(id)), action_to_string(decision),
                  log_escape(final_status, st, sizeof(st)), http_status);
}

static void log_conflict(const char *order_id, enum action decision, int http_status,
                         const char *final_status)
{
        struct log_fields f = { .order_id = order_id,
                                .decision = action_to_string(decision),
                                .http_status = http_status };
        char id[LOG_ESCAPE_MAX], st[64];

        log_event(LOG_WARNING, LOG_MID_CONFLICT, &f, 0,
                  "%s: decided by someone else: now %s (ours was %s; not called again)",
                  log_escape(order_id, id, sizeof(id)), log_escape(final_status, st, sizeof(st)),
                  action_to_string(decision));
}

static void log_api_error(const char *order_id, const char *what, const struct api_response *r)
{
        struct log_fields f = { .order_id = order_id, .http_status = r->status };
        char id[LOG_ESCAPE_MAX], detail[256];

        if (r->error < 0)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, r->error, "%s: %s failed (%s)",
                          log_escape(order_id, id, sizeof(id)), what,
                          log_escape(r->detail ? r->detail : "-", detail, sizeof(detail)));
        else
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0, "%s: %s failed: HTTP %d",
                          log_escape(order_id, id, sizeof(id)), what, r->status);
}

/* ---- calls ---- */

/* No request is under way for the order any more; its intent stays open
 * and the next cycle reconciles it. */
static void entry_idle(struct daemon *d, const char *order_id)
{
        struct entry *e = idmap_get(d->entries, order_id);

        if (e)
                e->busy = false;
}

static void call_done(struct daemon *d, struct call *c)
{
        d->n_calls--;
        if (c->kind == CALL_RECONCILE_GET) {
                d->n_reconciling--;
                if (d->n_reconciling == 0 && !d->stopping)
                        poller_reconciled(d);
        }
        call_free(c);
        daemon_check_idle(d);
}

static int call_start(struct daemon *d, enum call_kind kind, const char *order_id,
                      enum action decision, const char *url, const char *body);
static void on_order_get(struct api *a, const struct api_response *r, void *userdata);

static int order_get(struct daemon *d, enum call_kind kind, const char *order_id,
                     enum action decision)
{
        _cleanup_free_ char *path = NULL;
        char *esc;
        int r;

        esc = curl_easy_escape(NULL, order_id, 0);
        if (!esc)
                return -ENOMEM;
        r = asprintf(&path, "/orders/%s", esc);
        curl_free(esc);
        if (r < 0)
                return -ENOMEM;
        return call_start(d, kind, order_id, decision, path, NULL);
}

static void on_decision_done(struct api *a, const struct api_response *r, void *userdata)
{
        struct call *c = userdata;
        struct daemon *d = c->d;
        const char *what = c->decision == ACTION_APPROVE ? "approve call" : "reject call";

        if (r->error == -ECANCELED) {
                entry_idle(d, c->order_id); /* never sent: reconciled at the next start */
        } else if (r->error < 0 || r->status == 0 || r->status == 429 || r->status >= 500 ||
                   (r->status >= 400 && r->status != 404 && r->status != 409) ||
                   (r->status >= 300 && r->status < 400)) {
                log_api_error(c->order_id, what, r);
                d->calls_failed = true;
                d->cycle.n_failed++;
                entry_idle(d, c->order_id);
        } else if (r->status == 409) {
                /* someone decided first: look it up, record it, never call again */
                if (order_get(d, CALL_CONFLICT_GET, c->order_id, c->decision) < 0) {
                        log_error("%s: out of memory", what);
                        d->calls_failed = true;
                        entry_idle(d, c->order_id);
                }
        } else if (r->status == 404) {
                record_outcome(d, c->order_id, 404, "NotFound");
                log_conflict(c->order_id, c->decision, 404, "NotFound");
        } else {
                record_outcome(d, c->order_id, r->status, intended_status(c->decision));
                log_outcome(c->order_id, c->decision, r->status, intended_status(c->decision));
        }
        call_done(d, c);
}

/* Sends the decision again for a reconciled order still pending. */
static void resend(struct daemon *d, struct call *c, const struct order *o)
{
        struct entry *e = idmap_get(d->entries, c->order_id);
        const char *link = c->decision == ACTION_APPROVE ? o->approve_link : o->reject_link;
        _cleanup_free_ char *body = NULL;
        char id[LOG_ESCAPE_MAX];

        if (!link || api_same_origin(d->config->api.base_url, link) != 1) {
                struct log_fields f = { .order_id = c->order_id,
                                        .decision = action_to_string(c->decision) };

                log_event(LOG_ERR, LOG_MID_LINK_REFUSED, &f, 0,
                          "%s: %s link is not on api.base_url's origin: not followed, order held",
                          log_escape(c->order_id, id, sizeof(id)), action_to_string(c->decision));
                entry_idle(d, c->order_id);
                return;
        }
        if (c->decision == ACTION_REJECT) {
                body = reject_body(e ? e->reason : NULL);
                if (!body)
                        goto oom;
        }
        log_info("%s: still pending after a restart: sending %s again",
                 log_escape(c->order_id, id, sizeof(id)), action_to_string(c->decision));
        if (call_start(d, CALL_DECISION, c->order_id, c->decision, link, body) < 0)
                goto oom;
        return;
oom:
        log_error("%s: out of memory", log_escape(c->order_id, id, sizeof(id)));
        d->calls_failed = true;
        entry_idle(d, c->order_id);
}

/* A lookup that told nothing: the intent stays open for the next cycle. */
static void lookup_failed(struct daemon *d, struct call *c)
{
        if (c->kind == CALL_RECONCILE_GET)
                d->api_failed = true;
        else
                d->calls_failed = true;
        entry_idle(d, c->order_id);
}

/* Parses a 200 answer to GET /orders/{id}; logs what is wrong with it. */
static int parse_lookup(struct daemon *d, struct call *c, const struct api_response *r,
                        struct order *ret)
{
        struct log_fields f = { .order_id = c->order_id, .http_status = r->status };
        char id[LOG_ESCAPE_MAX], ptr[LOG_ESCAPE_MAX];
        int k;

        k = order_parse(r->body, r->body_size, &d->config->api, ret);
        if (k >= 0 && ret->status)
                return 0;
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

static void on_order_get(struct api *a, const struct api_response *r, void *userdata)
{
        struct call *c = userdata;
        struct daemon *d = c->d;
        struct order o = { 0 };
        int http = c->kind == CALL_CONFLICT_GET ? 409 : r->status;

        if (r->error == -ECANCELED) {
                entry_idle(d, c->order_id);
        } else if (r->status == 404) {
                record_outcome(d, c->order_id, 404, "NotFound");
                log_conflict(c->order_id, c->decision, 404, "NotFound");
        } else if (r->error < 0 || r->status != 200) {
                log_api_error(c->order_id, "order lookup", r);
                lookup_failed(d, c);
        } else if (parse_lookup(d, c, r, &o) < 0) {
                lookup_failed(d, c);
        } else if (streq(o.status, "PendingApproval") && c->kind == CALL_RECONCILE_GET) {
                if (d->stopping)
                        entry_idle(d, c->order_id); /* sent again at the next start */
                else
                        resend(d, c, &o);
        } else if (streq(o.status, "PendingApproval")) {
                char id[LOG_ESCAPE_MAX];

                log_error("%s: answered 409 yet still pending; will try again",
                          log_escape(c->order_id, id, sizeof(id)));
                d->calls_failed = true;
                entry_idle(d, c->order_id);
        } else if (streq(o.status, intended_status(c->decision))) {
                record_outcome(d, c->order_id, http, o.status);
                log_outcome(c->order_id, c->decision, http, o.status);
        } else {
                record_outcome(d, c->order_id, http, o.status);
                log_conflict(c->order_id, c->decision, http, o.status);
        }
        order_done(&o);
        call_done(d, c);
}

static int call_start(struct daemon *d, enum call_kind kind, const char *order_id,
                      enum action decision, const char *url, const char *body)
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
        d->n_calls++;
        if (kind == CALL_RECONCILE_GET)
                d->n_reconciling++;
        if (kind == CALL_DECISION)
                r = api_request(d->api, API_POST, url, body, on_decision_done, c);
        else
                r = api_request_path(d->api, API_GET, url, NULL, on_order_get, c);
        if (r < 0) {
                d->n_calls--;
                if (kind == CALL_RECONCILE_GET)
                        d->n_reconciling--;
                call_free(c);
        }
        return r;
}

/* ---- intents ---- */

int act_decided(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now,
                const char *link)
{
        struct journal_intent in = {
                .order_id = o->id,
                .decision = v->decision,
                .rule = v->rule ? v->rule->name : NULL,
                .reason = v->reason,
                .customer_id = o->customer_id,
                .total = o->has_total ? o->total : 0,
                .currency = o->currency,
                .time = now,
        };
        struct pending_call *p;
        struct entry *e;
        int r;

        if (d->n_batch == d->alloc_batch) {
                size_t n = d->alloc_batch ? d->alloc_batch * 2 : 64;

                p = reallocarray(d->batch, n, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                d->batch = p;
                d->alloc_batch = n;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->decision = v->decision;
        e->busy = true;
        e->reason = strdup_null(v->reason);
        p = &d->batch[d->n_batch];
        *p = (struct pending_call){ .decision = v->decision };
        p->order_id = strdup(o->id);
        p->url = strdup(link);
        p->reason = strdup_null(v->reason);
        r = (!p->order_id || !p->url || (v->reason && (!p->reason || !e->reason))) ? -ENOMEM : 0;
        if (r >= 0)
                r = idmap_put(d->entries, o->id, e);
        if (r < 0) {
                free(p->order_id), free(p->url), free(p->reason);
                entry_free(e);
                return r;
        }
        d->n_batch++;
        r = journal_append_intent(d->journal, &in);
        if (r < 0)
                return log_error_errno(r, "cannot append to the journal");
        return 0;
}

int act_flush(struct daemon *d)
{
        int r = 0;

        if (d->n_batch == 0)
                return 0;
        r = journal_sync(d->journal); /* every intent is durable before its call */
        if (r < 0)
                log_error_errno(r, "cannot sync the journal; no call made");
        for (size_t i = 0; i < d->n_batch; i++) {
                struct pending_call *p = &d->batch[i];
                _cleanup_free_ char *body = NULL;
                int k = 0;

                if (r >= 0 && p->decision == ACTION_REJECT) {
                        body = reject_body(p->reason);
                        if (!body)
                                k = -ENOMEM;
                }
                if (r >= 0 && k >= 0)
                        k = call_start(d, CALL_DECISION, p->order_id, p->decision, p->url, body);
                if (r < 0 || k < 0) {
                        struct entry *e = idmap_get(d->entries, p->order_id);

                        if (e)
                                e->busy = false;
                        d->calls_failed = true;
                }
                free(p->order_id), free(p->url), free(p->reason);
        }
        d->n_batch = 0;
        return r;
}

void act_reconcile(struct daemon *d)
{
        const char *id;
        void *v;
        size_t i = 0, n = 0;
        _cleanup_free_ char **ids = NULL;

        /* collect first: starting requests must not run during the walk */
        ids = calloc(idmap_size(d->entries) + 1, sizeof(char *));
        if (!ids) {
                d->api_failed = true;
                poller_reconciled(d);
                return;
        }
        while (idmap_next(d->entries, &i, &id, &v)) {
                struct entry *e = v;

                if (!e->done && !e->busy)
                        ids[n++] = (char *)id;
        }
        if (n > 0)
                log_info("reconciling %zu decision%s without an outcome", n, n == 1 ? "" : "s");
        d->n_reconciling++; /* holds poller_reconciled() back until all are queued */
        for (size_t k = 0; k < n; k++) {
                struct entry *e = idmap_get(d->entries, ids[k]);

                e->busy = true;
                if (order_get(d, CALL_RECONCILE_GET, ids[k], e->decision) < 0) {
                        e->busy = false;
                        d->api_failed = true;
                }
        }
        d->n_reconciling--;
        if (d->n_reconciling == 0)
                poller_reconciled(d);
}
