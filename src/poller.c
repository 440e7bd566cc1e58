/* poller.c: one cycle: list the PendingApproval orders page by page and
 * decide each new one in the order the API lists them, approvals feeding
 * the history before the next decision.
 *
 * Our own calls shift the pages (an approved order leaves the list), so a
 * plain page++ would skip orders.  Each page's calls finish before the next
 * page is asked for, at the offset of the orders seen this cycle that are
 * still pending; ids seen twice are skipped; and a page whose first order
 * was never seen means the list moved under us (someone else decided), so
 * the page before it is read again.  Only one page of orders is in memory
 * at a time: what grows with the orders is one id per listed order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon-private.h"
#include "log.h"
#include "money.h"
#include "util.h"

#define SEEN ((void *)1)

static inline void cJSON_Deletep(cJSON **j)
{
        cJSON_Delete(*j);
}

static void fetch_page(struct daemon *d);

static void listing_done(struct daemon *d)
{
        d->cycle.listing_done = true;
        d->cycle.waiting_calls = false;
        daemon_check_idle(d);
}

static void log_decision(const struct order *o, const struct verdict *v, bool dry_run)
{
        char amount[MONEY_BUF_SIZE] = "", id[LOG_ESCAPE_MAX], cus[LOG_ESCAPE_MAX],
             rule[LOG_ESCAPE_MAX], reason[LOG_ESCAPE_MAX], cur[32];
        struct log_fields f = {
                .order_id = o->id,
                .customer_id = o->customer_id,
                .decision = action_to_string(v->decision),
                .rule = v->rule ? v->rule->name : NULL,
                .reason = v->reason,
                .amount = o->has_total ? money_format(o->total, amount) : NULL,
                .currency = o->currency,
        };

        log_event(LOG_INFO, LOG_MID_DECISION, &f, 0,
                  "%s: %s%s by %s%s%s: \"%s\" (customer %s, %s %s)",
                  log_escape(o->id, id, sizeof(id)), action_to_string(v->decision),
                  dry_run && v->decision != ACTION_HOLD ? " (dry run: not sent)" : "",
                  v->rule ? "rule \"" : "default",
                  v->rule ? log_escape(v->rule->name, rule, sizeof(rule)) : "", v->rule ? "\"" : "",
                  log_escape(v->reason, reason, sizeof(reason)),
                  log_escape(o->customer_id, cus, sizeof(cus)), o->has_total ? amount : "-",
                  log_escape(o->currency, cur, sizeof(cur)));
}

static void log_link_refused(const struct order *o, const struct verdict *v, const char *link)
{
        struct log_fields f = { .order_id = o->id,
                                .customer_id = o->customer_id,
                                .decision = action_to_string(v->decision),
                                .rule = v->rule ? v->rule->name : NULL };
        char id[LOG_ESCAPE_MAX], url[LOG_ESCAPE_MAX];

        log_event(LOG_ERR, LOG_MID_LINK_REFUSED, &f, 0,
                  "%s: %s link %s is not on api.base_url's origin: not followed, order held",
                  log_escape(o->id, id, sizeof(id)), action_to_string(v->decision),
                  link ? log_escape(link, url, sizeof(url)) : "(missing)");
}

static int hold(struct daemon *d, const char *id)
{
        d->cycle.n_held++;
        return idmap_put(d->held, id, SEEN);
}

/* Decides one listed order.  Returns 1 when it was new in this cycle, 0
 * when not, -ENOMEM. */
static int decide(struct daemon *d, const struct order *o)
{
        struct verdict v;
        const char *link;
        int64_t now;
        int r;

        if (idmap_get(d->seen, o->id))
                return 0;
        r = idmap_put(d->seen, o->id, SEEN);
        if (r < 0)
                return r;
        d->cycle.n_seen++;
        if (idmap_get(d->entries, o->id)) {
                d->cycle.n_skipped++; /* journaled already: never decided twice */
                return 1;
        }
        if (idmap_get(d->held, o->id)) {
                d->cycle.n_held++; /* held and logged before; kept until a reload */
                return 1;
        }
        now = now_realtime_s();
        r = rules_evaluate(d->config, d->history, o, now, &v, NULL);
        if (r < 0)
                return r;
        if (v.decision == ACTION_HOLD) {
                log_decision(o, &v, false);
                r = hold(d, o->id);
                return r < 0 ? r : 1;
        }
        link = v.decision == ACTION_APPROVE ? o->approve_link : o->reject_link;
        if (!link || api_same_origin(d->config->api.base_url, link) != 1) {
                log_link_refused(o, &v, link);
                r = hold(d, o->id);
                return r < 0 ? r : 1;
        }
        log_decision(o, &v, daemon_dry_run(d));
        if (v.decision == ACTION_APPROVE) {
                d->cycle.n_approved++;
                if (o->customer_id && o->currency && o->has_total) {
                        r = history_add(d->history, o->customer_id, now, o->total, o->currency);
                        if (r < 0)
                                return r;
                }
        } else
                d->cycle.n_rejected++;
        if (daemon_dry_run(d)) /* remembered so it is logged once, like a hold */
                r = idmap_put(d->held, o->id, SEEN);
        else
                r = act_decided(d, o, &v, now, link);
        return r < 0 ? r : 1;
}

static const char *item_id(const struct daemon *d, const cJSON *item)
{
        const cJSON *id = json_pointer_get(item, d->config->api.fields[FIELD_ID]);

        return cJSON_IsString(id) ? id->valuestring : NULL;
}

/* The list is read again from the offset of what is still pending, o,
 * less one: the page then starts with the last order already read, which
 * proves that nothing before it moved (on_page() checks).  Pages are
 * (page - 1) * size long, so with the configured size alone the page that
 * holds offset o - 1 starts up to size - 1 orders earlier, all read
 * already: a page size between half the configured one and the configured
 * one that divides o - 1 (or leaves the least over) avoids re-reading them. */
static void next_page_guess(struct daemon *d)
{
        size_t o = d->cycle.n_seen - d->cycle.n_gone, max = (size_t)d->config->poll.page_size;
        size_t t, best = max;

        /* calls under way may or may not have landed when the server lists:
         * assume they all have, so the page can only start too early */
        o = o > d->n_calls ? o - d->n_calls : 0;
        d->cycle.guess_calls = d->n_calls;
        t = o > 0 ? o - 1 : 0;

        for (size_t s = max; s >= (max + 1) / 2 && s > 0 && t % best != 0; s--)
                if (t % s < t % best)
                        best = s;
        d->cycle.page_size = (int64_t)best;
        d->cycle.page = (int64_t)(t / best) + 1;
        d->cycle.last_forward_all_seen = false;
        fetch_page(d);
}

size_t poller_calls_threshold(const struct daemon *d)
{
        /* The next page is asked for while this many calls are still under
         * way: listing overlaps the last round of calls, at the price of
         * re-reading up to this many orders. */
        return d->cycle.drain_all ? 0 : (size_t)d->config->api.max_parallel;
}

void poller_calls_drained(struct daemon *d)
{
        d->cycle.waiting_calls = false;
        d->cycle.drain_all = false;
        if (d->stopping) {
                listing_done(d);
                return;
        }
        next_page_guess(d);
}

static const char *json_type_name(const cJSON *j)
{
        if (!j)
                return "nothing";
        if (cJSON_IsString(j))
                return "a string";
        if (cJSON_IsNumber(j))
                return "a number";
        if (cJSON_IsBool(j))
                return "a boolean";
        if (cJSON_IsNull(j))
                return "null";
        if (cJSON_IsArray(j))
                return "an array";
        return "an object";
}

/* An item without an id cannot be decided, journaled or called: it is
 * logged with its place in the listing and what stands where the id
 * should be. */
static void log_no_id(struct daemon *d, const cJSON *item, size_t index)
{
        const char *ptr = d->config->api.fields[FIELD_ID];
        char esc[LOG_ESCAPE_MAX];

        log_event(LOG_WARNING, LOG_MID_API_ERROR, NULL, 0,
                  "listing page %lld, item %zu: %s, with %s at %s instead of an id string; "
                  "skipped",
                  (long long)d->cycle.page, index + 1,
                  cJSON_IsObject(item) ? "an order" : json_type_name(item),
                  cJSON_IsObject(item) ? json_type_name(json_pointer_get(item, ptr)) : "nothing",
                  log_escape(ptr, esc, sizeof(esc)));
}

/* Decides every order of a page.  Returns how many were new, or -errno. */
static int decide_page(struct daemon *d, cJSON *items)
{
        int n_new = 0, r;
        size_t index = 0;
        cJSON *item;

        for (; (item = cJSON_DetachItemFromArray(items, 0)); index++) {
                struct order o;

                r = order_from_json(item, &d->config->api, &o);
                if (r < 0)
                        return r;
                if (!o.id) {
                        log_no_id(d, o.json, index);
                        order_done(&o);
                        continue;
                }
                r = decide(d, &o);
                order_done(&o);
                if (r < 0)
                        return r;
                n_new += r;
        }
        return n_new;
}

/* j: the answer parsed, or NULL when it was not JSON. */
static void log_list_failed(struct daemon *d, const struct api_response *r, const cJSON *j)
{
        struct log_fields f = { .http_status = r->status };
        char detail[256];

        if (r->error < 0)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, r->error,
                          "listing pending orders (page %lld) failed: %s", (long long)d->cycle.page,
                          log_escape(r->detail, detail, sizeof(detail)));
        else if (r->status == 200)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: the answer is %s",
                          (long long)d->cycle.page,
                          !j                  ? "not JSON"
                          : cJSON_IsObject(j) ? "an object without an items array"
                                              : "not a JSON object");
        else
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: HTTP %d",
                          (long long)d->cycle.page, r->status);
        d->api_failed = true;
}

/* After a page is decided and its calls started: where to read next. */
static void next_move(struct daemon *d, int n, int n_new)
{
        if (n < d->cycle.page_size) {
                listing_done(d); /* the last page */
                return;
        }
        if (n_new == 0 && (d->n_calls > 0 || d->cycle.guess_calls > 0)) {
                /* Only orders seen: the page was guessed assuming calls had
                 * landed that had not.  Stepping to the next page would
                 * skip the orders their landing moves back; once every
                 * call has answered the guess is exact. */
                d->cycle.drain_all = true;
                d->cycle.waiting_calls = true; /* daemon_check_idle() goes on */
                daemon_check_idle(d);
                return;
        }
        if (n_new == 0) { /* nothing of ours in flight: nothing shifts the list */
                d->cycle.page++;
                d->cycle.last_forward_all_seen = true;
                fetch_page(d);
                return;
        }
        if (d->n_calls > poller_calls_threshold(d)) {
                d->cycle.waiting_calls = true; /* daemon_check_idle() goes on */
                return;
        }
        next_page_guess(d);
}

static void on_page(struct api *a, const struct api_response *r, void *userdata)
{
        struct daemon *d = userdata;
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        cJSON *items;
        const char *first;
        int n, n_new;

        if (d->stopping || r->error == -ECANCELED) {
                listing_done(d);
                return;
        }
        if (r->error >= 0 && r->status == 200)
                j = cJSON_ParseWithLength(r->body, r->body_size);
        items = j ? cJSON_GetObjectItem(j, "items") : NULL;
        if (!cJSON_IsArray(items)) {
                log_list_failed(d, r, j);
                listing_done(d);
                return;
        }
        n = cJSON_GetArraySize(items);
        first = n > 0 ? item_id(d, cJSON_GetArrayItem(items, 0)) : NULL;
        if (d->cycle.page > 1 && !d->cycle.last_forward_all_seen &&
            (n == 0 || !first || !idmap_get(d->seen, first))) {
                /* the list moved under us (or we overshot): read the page before */
                d->cycle.page--;
                fetch_page(d);
                return;
        }
        n_new = decide_page(d, items);
        log_debug("page %lld: %d orders, %d new; %zu seen, %zu gone", (long long)d->cycle.page, n,
                  n_new, d->cycle.n_seen, d->cycle.n_gone);
        if (n_new < 0)
                log_error_errno(n_new, "cannot decide");
        if (n_new < 0 || act_flush(d) < 0) {
                d->fatal = true;
                listing_done(d);
                return;
        }
        next_move(d, n, n_new);
}

static void fetch_page(struct daemon *d)
{
        char path[128];
        size_t cap = 4 * (d->cycle.n_seen / (size_t)d->cycle.page_size + 1) + 16;

        if (d->cycle.fetches >= cap) {
                log_warning("listing stopped after %zu pages: the list keeps moving; the next "
                            "cycle goes on",
                            d->cycle.fetches);
                d->cycle.listing_cut = true;
                listing_done(d);
                return;
        }
        d->cycle.fetches++;
        snprintf(path, sizeof(path), "/orders?status=PendingApproval&page=%lld&pageSize=%lld",
                 (long long)d->cycle.page, (long long)d->cycle.page_size);
        if (api_request_path(d->api, API_GET, path, NULL, on_page, d) < 0) {
                log_error("cannot list orders: out of memory");
                d->api_failed = true;
                listing_done(d);
        }
}

void poller_reconciled(struct daemon *d)
{
        if (!d->cycle.running || d->stopping)
                return;
        fetch_page(d);
}

void poller_start_cycle(struct daemon *d)
{
        d->cycle = (struct cycle){ .running = true,
                                   .page = 1,
                                   .page_size = d->config->poll.page_size,
                                   .started = now_realtime_s() };
        d->api_failed = d->calls_failed = false;
        idmap_clear(d->seen);
        if (daemon_dry_run(d))
                poller_reconciled(d); /* dry run: nothing is sent again either */
        else
                act_reconcile(d);
}
