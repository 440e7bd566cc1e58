/* daemon-poll.c: the listing: the PendingApproval orders page by page,
 * each new one decided through the one approval policy in the order the
 * API lists them, approvals feeding the history before the next decision.
 * Whatever one order holds, it is decided or held, with one log line
 * naming it: an order's trouble never ends the page or the cycle.
 *
 * Our own calls shift the pages (an approved order leaves the list), so a
 * plain page++ would skip orders.  Each page's calls finish before the next
 * page is asked for, at the offset of the orders seen this cycle that are
 * still pending; ids seen twice are skipped; and a page whose first order
 * was never seen means the list moved under us (someone else decided), so
 * the page before it is read again.  Only one page of orders is in memory
 * at a time: what grows with the orders is one id per listed order.
 *
 * Offset paging (api.list.paging) is the same method counted in items.
 * Next paging follows the server's link or token, whose stability against
 * removals is the server's; a cursor the server refuses (400, 404, 410)
 * restarts the listing from the first page, and the ids seen this cycle
 * keep anything from being decided twice. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api-list.h"
#include "daemon-private.h"
#include "log.h"
#include "money.h"
#include "policy.h"
#include "util.h"

#define SEEN ((void *)1)

/* Order-problem lines: a burst of this many, then this many a second. */
#define PROBLEM_BURST 200
#define PROBLEM_PER_SECOND 20

static inline void cJSON_Deletep(cJSON **j)
{
        cJSON_Delete(*j);
}

/* The decision line; note, when not NULL, says what is odd about the
 * order although the rules could decide it, and makes it a warning. */
static void log_decision(const struct daemon *d, const struct order *o, const struct verdict *v,
                         const char *note)
{
        char amount[MONEY_BUF_SIZE] = "", id[LOG_ESCAPE_MAX], cus[LOG_ESCAPE_MAX],
             rule[LOG_ESCAPE_MAX], reason[LOG_ESCAPE_MAX], cur[32], odd[256];
        bool dry = daemon_dry_run(d) && v->decision != ACTION_HOLD;
        struct log_fields f = {
                .order_id = o->id,
                .customer_id = o->customer_id,
                .decision = action_to_string(v->decision),
                .rule = v->rule ? v->rule->name : NULL,
                .reason = v->reason,
                .amount = o->has_total ? money_format(o->total, amount) : NULL,
                .currency = o->currency,
                .mode = daemon_dry_run(d) ? "dry-run" : NULL,
        };

        if (d->metrics)
                metrics_count_decision(d->metrics, v->rule ? v->rule->name : NULL, v->decision,
                                       daemon_dry_run(d));
        log_event(note ? LOG_WARNING : LOG_INFO, LOG_MID_DECISION, &f, 0,
                  "%s: %s%s by %s%s%s: \"%s\" (customer %s, %s %s)%s%s",
                  log_escape(o->id, id, sizeof(id)), action_to_string(v->decision),
                  dry ? " (dry run: not sent)" : "", v->rule ? "rule \"" : "default",
                  v->rule ? log_escape(v->rule->name, rule, sizeof(rule)) : "", v->rule ? "\"" : "",
                  log_escape(v->reason, reason, sizeof(reason)),
                  log_escape(o->customer_id, cus, sizeof(cus)), o->has_total ? amount : "-",
                  log_escape(o->currency, cur, sizeof(cur)), note ? "; odd order: " : "",
                  note ? log_escape(note, odd, sizeof(odd)) : "");
}

/* Order-problem lines are rate-limited (a token bucket), so that a page
 * of broken orders cannot flood journald and push real decisions out of
 * its rate limit; the cycle's summary counts what was left out. */
static bool problem_may_log(struct daemon *d)
{
        uint64_t now = now_monotonic_us(), add;

        if (d->problem_refill_usec == 0) {
                d->problem_refill_usec = now;
                d->problem_tokens = PROBLEM_BURST;
        }
        add = (now - d->problem_refill_usec) * PROBLEM_PER_SECOND / 1000000u;
        if (add > 0) {
                d->problem_tokens = d->problem_tokens + add > PROBLEM_BURST
                                            ? PROBLEM_BURST
                                            : d->problem_tokens + add;
                d->problem_refill_usec = now;
        }
        if (d->problem_tokens == 0) {
                d->cycle.n_problems_unlogged++;
                return false;
        }
        d->problem_tokens--;
        return true;
}

/* One line for an order the daemon holds because of what it holds (a bad
 * id, a field missing or malformed, a text too long to journal), with its
 * own MESSAGE_ID.  id may be NULL (an item without one): where is then its
 * place in the listing. */
static void log_problem(struct daemon *d, const struct order *o, const char *problem,
                        const char *where)
{
        char id[128], cus[128], what[LOG_ESCAPE_MAX];
        struct log_fields f = {
                .order_id = o ? o->id : NULL,
                .customer_id = o ? o->customer_id : NULL,
                .decision = action_to_string(ACTION_HOLD),
                .reason = problem,
                .mode = daemon_dry_run(d) ? "dry-run" : NULL,
        };

        if (!problem_may_log(d))
                return;
        log_event(LOG_WARNING, LOG_MID_ORDER_PROBLEM, &f, 0, "%s%s: held: %s%s%s%s",
                  o && o->id ? "order " : "",
                  o && o->id ? log_escape(o->id, id, sizeof(id)) : where,
                  log_escape(problem, what, sizeof(what)), f.customer_id ? " (customer " : "",
                  f.customer_id ? log_escape(f.customer_id, cus, sizeof(cus)) : "",
                  f.customer_id ? ")" : "");
}

static void log_link_refused(const struct order *o, const struct verdict *v, const char *link)
{
        struct log_fields f = { .order_id = o->id,
                                .customer_id = o->customer_id,
                                .decision = action_to_string(ACTION_HOLD),
                                .rule = v->rule ? v->rule->name : NULL };
        char id[LOG_ESCAPE_MAX], url[LOG_ESCAPE_MAX];

        log_event(LOG_ERR, LOG_MID_LINK_REFUSED, &f, 0,
                  "%s: %s link %s is not on api.base_url's origin: not followed, order held",
                  log_escape(o->id, id, sizeof(id)), action_to_string(v->decision),
                  link ? log_escape(link, url, sizeof(url)) : "(missing)");
}

/* Holds order o: journaled with the rules' digest when the journal can
 * keep it (a restart with the same rules then neither decides nor logs it
 * again), else remembered in memory until a reload.  Returns 0, or -errno
 * when the journal failed. */
static int hold(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now)
{
        int r = 1;

        d->cycle.n_held++;
        if (!o->id)
                return 0;
        if (v)
                r = act_held(d, o, v, now);
        if (r > 0 && idmap_put(d->held, o->id, SEEN) < 0)
                log_debug("out of memory remembering a hold: it will be logged again");
        return r < 0 ? r : 0;
}

/* The verdict a hold is journaled with when the rules' own was not a hold
 * (a link refused, the journal unable to keep the decision). */
static struct verdict hold_verdict(const struct verdict *v, const char *why)
{
        struct verdict h = { .decision = ACTION_HOLD, .rule = v->rule, .problem = true };

        snprintf(h.buf, sizeof(h.buf), "%s", why);
        h.reason = h.buf;
        return h;
}

/* Counts a dry-run approval in the history once per order, however often
 * reloads have it decided again. */
static int dry_run_count(struct daemon *d, const struct order *o, int64_t now)
{
        int r;

        if (idmap_get(d->dry_counted, o->id))
                return 0;
        r = policy_count_order(d->state->history, o, now);
        if (r < 0)
                return r;
        return idmap_put(d->dry_counted, o->id, SEEN);
}

/* Acts on a decision to approve or reject.  Returns 0, or -errno when the
 * journal failed (the daemon stops). */
static int act(struct daemon *d, const struct order *o, const struct verdict *v, int64_t now,
               const char *note)
{
        const char *link = v->decision == ACTION_APPROVE ? o->approve_link : o->reject_link;
        struct verdict h;
        char why[160];
        int r;

        if (!link || api_same_origin(d->config->api.base_url, link) != 1) {
                log_link_refused(o, v, link);
                h = hold_verdict(v, v->decision == ACTION_APPROVE
                                            ? "its approve link is not on api.base_url's origin"
                                            : "its reject link is not on api.base_url's origin");
                return hold(d, o, &h, now);
        }
        if (daemon_dry_run(d)) {
                r = v->decision == ACTION_APPROVE ? dry_run_count(d, o, now) : 0;
                if (r >= 0)
                        r = idmap_put(d->held, o->id, SEEN); /* logged once, like a hold */
        } else
                r = act_decided(d, o, v, now, link);
        if (r == -E2BIG || r == -EINVAL || r == -ENOMEM) {
                snprintf(why, sizeof(why), "the journal cannot store its %s decision (%s)",
                         action_to_string(v->decision),
                         r == -E2BIG    ? "a text over the journal's limit"
                         : r == -EINVAL ? "a value out of the journal's range"
                                        : "out of memory");
                log_problem(d, o, why, NULL);
                h = hold_verdict(v, why);
                return hold(d, o, &h, now);
        }
        if (r < 0)
                return r;
        log_decision(d, o, v, note);
        if (v->decision == ACTION_APPROVE)
                d->cycle.n_approved++;
        else
                d->cycle.n_rejected++;
        return 0;
}

/* What tells two listings of one id apart: an order cannot be edited once
 * placed, so the same id with other facts is a second order under it. */
static void *order_key(const struct order *o)
{
        char total[32];
        uint64_t h = string_hash(o->id, false);

        snprintf(total, sizeof(total), "%d/%lld/%lld", o->has_total, (long long)o->total,
                 (long long)o->created_at);
        h = h * 31 + string_hash(o->customer_id ? o->customer_id : "", false);
        h = h * 31 + string_hash(o->currency ? o->currency : "", false);
        h = h * 31 + string_hash(total, false);
        return (void *)(uintptr_t)(h | 1);
}

/* Remembers that o was listed in this cycle.  Returns true when it was
 * already (logging it when the facts differ: the first listing stands). */
static bool listed_before(struct daemon *d, const struct order *o)
{
        void *key = order_key(o), *prev = idmap_get(d->seen, o->id);

        if (prev) {
                if (prev != key)
                        log_problem(d, o,
                                    "listed again with other facts under the same id; the first "
                                    "listing's decision stands",
                                    NULL);
                return true;
        }
        if (idmap_put(d->seen, o->id, key) < 0)
                log_debug("out of memory remembering a listed order");
        return false;
}

/* Whether order o is to be decided now: not when journaled (decided by
 * us or elsewhere, or held by the rules in force) or held and logged in
 * this run.  Counts what it skips. */
static bool to_decide(struct daemon *d, const struct order *o)
{
        struct entry e;

        if (state_get(d->state, o->id, &e) && !(e.kind == ENTRY_HOLD && e.stale)) {
                if (e.kind == ENTRY_HOLD)
                        d->cycle.n_held++; /* held by these rules before: not logged again */
                else
                        d->cycle.n_skipped++; /* decided: never decided twice */
                return false;
        }
        if (idmap_get(d->held, o->id)) {
                d->cycle.n_held++; /* held and logged in this run; kept until a reload */
                return false;
        }
        return true;
}

/* Decides one listed order.  Returns 1 when it was new in this cycle, 0
 * when not, or -errno when the journal failed. */
static int decide(struct daemon *d, const struct order *o)
{
        char odd[256];
        const char *note;
        struct verdict v;
        int64_t now;
        int r;

        if (listed_before(d, o))
                return 0;
        d->cycle.n_seen++;
        if (o->status && !streq(config_status_canonical(&d->config->api, o->status),
                                order_status_name(ORDER_STATUS_PENDING))) {
                /* a server that ignores the query's status: never ours to decide */
                d->cycle.n_skipped++;
                return 1;
        }
        if (!to_decide(d, o))
                return 1;
        now = now_realtime_s();
        r = policy_decide(d->config, d->state->history, o, now, &v, NULL);
        if (r < 0) {
                log_problem(d, o, "out of memory while deciding", NULL);
                d->cycle.n_held++;
                return 1;
        }
        if (v.decision == ACTION_APPROVE && daemon_approvals_wait(d)) {
                d->cycle.n_deferred++; /* left pending: decided once approvals may go on */
                return 1;
        }
        if (v.problem) {
                log_problem(d, o, v.reason, NULL);
                r = hold(d, o, &v, now);
                return r < 0 ? r : 1;
        }
        note = policy_order_anomaly(o, odd, sizeof(odd));
        if (note && !problem_may_log(d))
                note = NULL; /* the decision is logged all the same, plainly */
        if (v.decision == ACTION_HOLD) {
                log_decision(d, o, &v, note);
                r = hold(d, o, &v, now);
                return r < 0 ? r : 1;
        }
        r = act(d, o, &v, now, note);
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
        size_t o = d->cycle.n_seen - d->cycle.n_gone;

        /* calls under way may or may not have landed when the server lists:
         * assume they all have, so the page can only start too early */
        o = o > d->cycle.n_calls ? o - d->cycle.n_calls : 0;
        d->listing.guess_calls = d->cycle.n_calls;
        api_list_page_for(o > 0 ? o - 1 : 0, d->config->poll.page_size, &d->listing.page,
                          &d->listing.page_size);
        d->listing.forward_all_seen = false;
}

size_t poll_calls_threshold(const struct daemon *d, enum page_next next)
{
        /* The next page is asked for while this many calls are still under
         * way: listing overlaps the last round of calls, at the price of
         * re-reading up to this many orders. */
        return next == PAGE_NEXT_AFTER_ALL_CALLS ? 0 : (size_t)d->config->api.max_parallel;
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

/* An item without an id string cannot be decided, journaled or called:
 * it is logged with its place in the listing and what stands where the id
 * should be. */
static void log_no_id(struct daemon *d, const struct order *o, size_t index)
{
        const char *ptr = d->config->api.fields[FIELD_ID];
        char esc[128], where[96], problem[LOG_ESCAPE_MAX];

        snprintf(where, sizeof(where), "listing page %lld, item %zu", (long long)d->listing.page,
                 index + 1);
        snprintf(problem, sizeof(problem), "%s, with %s at %s instead of an id string",
                 cJSON_IsObject(o->json) ? "an order" : json_type_name(o->json),
                 cJSON_IsObject(o->json) ? json_type_name(json_pointer_get(o->json, ptr))
                                         : "nothing",
                 log_escape(ptr, esc, sizeof(esc)));
        log_problem(d, o, problem, where);
        d->cycle.n_held++;
}

/* SIGTERM or SIGINT waiting: the loop reads it once this page's callback
 * returns, so the rest of a page is left for the next start. */
static bool stop_pending(void)
{
        sigset_t ss;

        return sigpending(&ss) == 0 &&
               (sigismember(&ss, SIGTERM) == 1 || sigismember(&ss, SIGINT) == 1);
}

/* Decides every order of a page, until a stop signal waits.  Returns how
 * many were new, or -errno when the journal failed; *ret_stopped tells
 * whether orders were left for a stop. */
static int decide_page(struct daemon *d, cJSON *items, bool *ret_stopped)
{
        int n_new = 0, r = 0;
        cJSON *item;

        *ret_stopped = false;
        for (size_t index = 0;; index++) {
                struct order o;

                if (index % 16 == 15 && stop_pending()) {
                        *ret_stopped = true;
                        break;
                }
                item = cJSON_DetachItemFromArray(items, 0);
                if (!item)
                        break;
                r = order_from_json(item, &d->config->api, &o);
                if (r < 0) {
                        log_problem(d, NULL, "out of memory reading the order", "listing item");
                        continue;
                }
                if (!o.id)
                        log_no_id(d, &o, index);
                else {
                        r = decide(d, &o);
                        if (r > 0)
                                n_new++;
                }
                order_done(&o);
                if (r < 0)
                        return r;
        }
        return n_new;
}

/* j: the answer parsed, or NULL when it was not JSON. */
static void log_list_failed(struct daemon *d, const struct api_response *r, const cJSON *j,
                            int n_items)
{
        struct log_fields f = { .http_status = r->status };
        long long page = (long long)d->listing.page;
        char detail[256];

        if (r->error < 0)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, r->error,
                          "listing pending orders (page %lld) failed: %s", page,
                          log_escape(r->detail, detail, sizeof(detail)));
        else if (r->status != 200)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: HTTP %d", page, r->status);
        else if (n_items >= 0)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: the page holds %d items "
                          "where at most %lld were asked for; none of it is decided",
                          page, n_items, (long long)d->listing.page_size);
        else
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: the answer is %s%s%s", page,
                          !j ? "not JSON" : "JSON without an array at api.list.items '",
                          j ? d->config->api.list.items : "", j ? "'" : "");
}

/* After a page is decided and its calls started: where to read next. */
static enum page_next next_move(struct daemon *d, int n, int n_new)
{
        if (n < d->listing.page_size)
                return PAGE_NEXT_END;
        if (n_new == 0 && (d->cycle.n_calls > 0 || d->listing.guess_calls > 0)) {
                /* Only orders seen: the page was guessed assuming calls had
                 * landed that had not.  Stepping to the next page would
                 * skip the orders their landing moves back; once every
                 * call has answered the guess is exact. */
                d->listing.guess = true;
                return PAGE_NEXT_AFTER_ALL_CALLS;
        }
        if (n_new == 0) { /* nothing of ours in flight: nothing shifts the list */
                d->listing.page++;
                d->listing.forward_all_seen = true;
                return PAGE_NEXT_NOW;
        }
        d->listing.guess = true;
        return PAGE_NEXT_AFTER_CALLS;
}

/* The page's items array, or NULL after logging why there is none. */
static cJSON *page_items(struct daemon *d, const struct api_response *r, cJSON **ret_json)
{
        cJSON *j = NULL, *items;

        if (r->error >= 0 && r->status == 200 && order_json_parse(r->body, r->body_size, &j) < 0)
                j = NULL;
        *ret_json = j;
        items = j ? api_list_items(&d->config->api, j) : NULL;
        if (!cJSON_IsArray(items)) {
                log_list_failed(d, r, j, -1);
                return NULL;
        }
        if (d->config->api.list.size_param && cJSON_GetArraySize(items) > d->listing.page_size) {
                log_list_failed(d, r, j, cJSON_GetArraySize(items));
                return NULL;
        }
        return items;
}

static enum page_next on_page_items(struct daemon *d, const struct api_response *r)
{
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        cJSON *items = page_items(d, r, &j);
        const char *first;
        bool stopped;
        int n, n_new;

        if (!items)
                return PAGE_NEXT_FAILED;
        n = cJSON_GetArraySize(items);
        first = n > 0 ? item_id(d, cJSON_GetArrayItem(items, 0)) : NULL;
        if (d->listing.page > 1 && !d->listing.forward_all_seen &&
            (n == 0 || !first || !idmap_get(d->seen, first))) {
                /* the list moved under us (or we overshot): read the page before */
                d->listing.page--;
                return PAGE_NEXT_NOW;
        }
        n_new = decide_page(d, items, &stopped);
        log_debug("page %lld: %d orders, %d new; %zu seen, %zu gone", (long long)d->listing.page, n,
                  n_new, d->cycle.n_seen, d->cycle.n_gone);
        if (n_new < 0 || act_flush(d) < 0)
                return PAGE_NEXT_FATAL; /* logged where it failed */
        return stopped ? PAGE_NEXT_END : next_move(d, n, n_new);
}

/* Restarts a listing by next links this often in one cycle, at most. */
#define NEXT_RESTARTS_MAX 3

/* A cursor the server refuses (forgotten, expired): the listing starts
 * again from the first page; the orders seen this cycle are skipped. */
static bool cursor_refused(struct daemon *d, const struct api_response *r)
{
        if (!d->listing.next_url || r->error < 0 ||
            (r->status != 400 && r->status != 404 && r->status != 410))
                return false;
        if (d->listing.restarts >= NEXT_RESTARTS_MAX)
                return false;
        log_warning("listing pending orders: the server refused the cursor of page %lld (HTTP "
                    "%d): listing again from the first page",
                    (long long)d->listing.page, r->status);
        d->listing.restarts++;
        d->listing.page = 1;
        free(d->listing.next_url);
        d->listing.next_url = NULL;
        return true;
}

static void log_next_failed(struct daemon *d, int k, const char *url)
{
        struct log_fields f = { 0 };
        char esc[LOG_ESCAPE_MAX];

        if (k == -EPERM)
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, 0,
                          "listing pending orders (page %lld) failed: the next link %s is not on "
                          "api.base_url's origin: not followed",
                          (long long)d->listing.page, log_escape(url, esc, sizeof(esc)));
        else
                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, k == -ENOMEM ? k : 0,
                          "listing pending orders (page %lld) failed: %s at api.list.next '%s'",
                          (long long)d->listing.page,
                          k == -ENOMEM ? "out of memory" : "neither a URI string nor null",
                          d->config->api.list.next);
}

/* One page of a listing by next links: its orders decided, then the
 * link followed (once our calls are few: they do not move a cursor). */
static enum page_next on_next_page_items(struct daemon *d, const struct api_response *r)
{
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        struct list_request q = { .page_size = d->listing.page_size };
        _cleanup_free_ char *next = NULL;
        cJSON *items;
        bool stopped;
        int k, n, n_new;

        if (cursor_refused(d, r))
                return PAGE_NEXT_NOW;
        items = page_items(d, r, &j);
        if (!items)
                return PAGE_NEXT_FAILED;
        n = cJSON_GetArraySize(items);
        k = api_list_next(&d->config->api, j, &q, &next); /* before the items are taken */
        n_new = decide_page(d, items, &stopped);
        log_debug("page %lld: %d orders, %d new; %zu seen", (long long)d->listing.page, n, n_new,
                  d->cycle.n_seen);
        if (n_new < 0 || act_flush(d) < 0)
                return PAGE_NEXT_FATAL; /* logged where it failed */
        if (stopped)
                return PAGE_NEXT_END;
        if (k < 0) {
                log_next_failed(d, k, next);
                return PAGE_NEXT_FAILED;
        }
        if (k == 0)
                return PAGE_NEXT_END;
        free(d->listing.next_url);
        d->listing.next_url = TAKE_PTR(next);
        d->listing.page++;
        return n_new > 0 ? PAGE_NEXT_AFTER_CALLS : PAGE_NEXT_NOW;
}

static void on_page(struct api *a, const struct api_response *r, void *userdata)
{
        struct daemon *d = userdata;

        if (d->metrics && r->error != -ECANCELED)
                metrics_count_call(d->metrics, r->status);
        if (d->cycle.state != CYCLE_LISTING || r->error == -ECANCELED) {
                cycle_page_done(d, PAGE_NEXT_END); /* stopping, or the cycle ended */
                return;
        }
        if (d->config->api.list.paging == PAGING_NEXT)
                cycle_page_done(d, on_next_page_items(d, r));
        else
                cycle_page_done(d, on_page_items(d, r));
}

void poll_fetch(struct daemon *d)
{
        _cleanup_free_ char *url = NULL;
        struct list_request q;
        size_t cap;
        int r;

        assert(d);
        if (d->listing.guess && d->config->api.list.paging != PAGING_NEXT) {
                d->listing.guess = false;
                next_page_guess(d);
        }
        d->listing.guess = false;
        q = (struct list_request){ .page = d->listing.page, .page_size = d->listing.page_size };
        cap = 4 * (d->cycle.n_seen / (size_t)d->listing.page_size + 1) + 16;
        if (d->listing.fetches >= cap) {
                log_warning("listing stopped after %zu pages: the list keeps moving; the next "
                            "cycle goes on",
                            d->listing.fetches);
                cycle_request_started(d, CALL_DECISION, true);
                cycle_page_done(d, PAGE_NEXT_CUT);
                return;
        }
        d->listing.fetches++;
        if (d->listing.next_url && d->config->api.list.paging == PAGING_NEXT)
                url = strdup(d->listing.next_url);
        else
                (void)api_list_url(&d->config->api, &q, &url);
        cycle_request_started(d, CALL_DECISION, true);
        r = url ? api_request(d->api, API_GET, url, NULL, on_page, d) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "cannot list orders");
                cycle_page_done(d, PAGE_NEXT_FAILED);
        }
}

void poll_start(struct daemon *d)
{
        assert(d);
        free(d->listing.next_url);
        d->listing = (struct listing){ .page = 1, .page_size = d->config->poll.page_size };
        poll_fetch(d);
}

/* After a whole listing: the holds kept only in memory that it did not
 * show (a person decided them) are forgotten, so the set does not grow for
 * ever.  Journaled holds are looked up every cycle instead. */
void poll_forget_gone_holds(struct daemon *d)
{
        const char *id;
        size_t i = 0;

        assert(d);
        while (idmap_next(d->held, &i, &id, NULL))
                if (!idmap_get(d->seen, id))
                        idmap_remove(d->held, id); /* allowed during a walk */
}
