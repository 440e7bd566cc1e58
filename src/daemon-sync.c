/* daemon-sync.c: credit exposure from the source of truth.  The bootstrap
 * (a start without the journal's bootstrap mark, or `approvald resync`)
 * lists the Approved orders created within the rules' longest window and
 * journals each one approvald does not know as an external approval; a
 * refresh (every credit.refresh) does the same, and also lists the
 * Rejected ones so that an approval another party overturned stops
 * counting.  The server's createdFrom filter is asked for but not relied
 * on: createdAt is checked here.  The listing follows api.list (its query
 * with the pending status replaced by the configured approved or rejected
 * name), in any paging style. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api-list.h"
#include "daemon-private.h"
#include "log.h"
#include "policy.h"
#include "timeutil.h"
#include "util.h"

#define RESYNC_FILE_NAME "resync" /* `approvald resync` leaves it in the state folder */

static inline void cJSON_Deletep(cJSON **j)
{
        cJSON_Delete(*j);
}

static const char *sync_name(const struct daemon *d)
{
        return d->sync.bootstrap ? "bootstrap" : "refresh";
}

/* The status listed now: Approved, then (refresh only) Rejected. */
static enum order_status sync_status_of(const struct daemon *d)
{
        return d->sync.pass == 0 ? ORDER_STATUS_APPROVED : ORDER_STATUS_REJECTED;
}

/* Its canonical name (journal, logs). */
static const char *sync_status(const struct daemon *d)
{
        return order_status_name(sync_status_of(d));
}

/* The listing request of this pass; from: createdFrom, as text. */
static struct list_request sync_request(const struct daemon *d, const char *from)
{
        return (struct list_request){
                .status = d->config->api.statuses[sync_status_of(d)],
                .created_from = from,
                .page = d->sync.page,
                .page_size = d->sync.page_size,
        };
}

bool sync_due(struct daemon *d)
{
        _cleanup_free_ char *path = NULL;
        int64_t every = d->config->credit.refresh_s;

        assert(d);
        d->sync.bootstrap = !d->state->bootstrapped;
        if (!d->sync.bootstrap && asprintf(&path, "%s/%s", d->state_dir, RESYNC_FILE_NAME) >= 0 &&
            access(path, F_OK) == 0)
                d->sync.bootstrap = d->sync.resync = true;
        if (d->sync.bootstrap)
                return true;
        return every > 0 && now_realtime_s() >= d->state->last_sync + every;
}

/* One listed order of the Approved or Rejected pass. */
static int sync_order(struct daemon *d, const struct order *o, int64_t from)
{
        bool approved = d->sync.pass == 0;
        struct entry e;
        bool known;

        if (policy_id_problem(o->id) || !o->has_created_at || o->created_at < from ||
            !streq_ptr(config_status_canonical(&d->config->api, o->status), sync_status(d)))
                return 0; /* not what was asked for, whatever the server filtered */
        known = state_get(d->state, o->id, &e);
        if (approved && !known) {
                d->sync.n_new++;
                return act_learn(d, o->id, o, order_status_name(ORDER_STATUS_APPROVED),
                                 sync_name(d), o->created_at);
        }
        if (known && e.kind == ENTRY_HOLD) /* decided in the portal meanwhile */
                return act_learn(d, o->id, o, sync_status(d), "portal", now_realtime_s());
        if (!approved && known && entry_counts(e)) {
                /* another party overturned an approval that counts */
                d->sync.n_dropped++;
                d->history_stale = true;
                return act_learn(d, o->id, o, order_status_name(ORDER_STATUS_REJECTED), "tiers", 0);
        }
        if (approved && known && e.kind == ENTRY_APPROVE && e.status == ENTRY_STATUS_PENDING) {
                e.status = ENTRY_STATUS_APPROVED; /* every party has approved */
                return state_set(d->state, o->id, e) == -ENOMEM ? 0 : 0;
        }
        return 0;
}

static enum page_next sync_page(struct daemon *d, const struct api_response *r)
{
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        int64_t from = now_realtime_s() - rules_longest_window(d->config);
        const struct list_config *l = &d->config->api.list;
        cJSON *items = NULL, *item, *first;
        _cleanup_free_ char *next = NULL;
        const char *first_id;
        int n, k, more = 0;

        if (r->error >= 0 && r->status == 200 && order_json_parse(r->body, r->body_size, &j) >= 0)
                items = api_list_items(&d->config->api, j);
        n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : -1;
        if (n >= 0 && l->paging == PAGING_NEXT) {
                struct list_request q = sync_request(d, d->sync.from);

                more = api_list_next(&d->config->api, j, &q, &next);
        }
        if (n < 0 || (l->size_param && n > d->sync.page_size) || more < 0) {
                struct log_fields f = { .http_status = r->status };
                char detail[256];

                log_event(LOG_ERR, LOG_MID_API_ERROR, &f, r->error,
                          "%s: listing %s orders (page %lld) failed: %s", sync_name(d),
                          sync_status(d), (long long)d->sync.page,
                          r->error < 0       ? log_escape(r->detail, detail, sizeof(detail))
                          : r->status != 200 ? "an HTTP error"
                          : more == -EPERM   ? "a next link off api.base_url's origin"
                          : more < 0         ? "a next link that is not a URI string"
                          : n > 0            ? "more items than asked for"
                                             : "not JSON with an array at api.list.items");
                return PAGE_NEXT_FAILED;
        }
        first = n > 0 ? cJSON_GetArrayItem(items, 0) : NULL;
        first_id = first ? cJSON_GetStringValue(
                                   json_pointer_get(first, d->config->api.fields[FIELD_ID]))
                         : NULL;
        if (l->paging != PAGING_NEXT && first_id && d->sync.page > 1 &&
            streq_ptr(first_id, d->sync.first_id)) {
                log_event(LOG_ERR, LOG_MID_API_ERROR, NULL, 0,
                          "%s: listing %s orders: page %lld starts as page %lld did: the server "
                          "ignores the paging; given up",
                          sync_name(d), sync_status(d), (long long)d->sync.page,
                          (long long)d->sync.page - 1);
                return PAGE_NEXT_FAILED;
        }
        free(d->sync.first_id);
        d->sync.first_id = strdup_null(first_id);
        while ((item = cJSON_DetachItemFromArray(items, 0))) {
                struct order o;

                if (order_from_json(item, &d->config->api, &o) < 0)
                        continue;
                k = o.id ? sync_order(d, &o, from) : 0;
                order_done(&o);
                if (k < 0)
                        return PAGE_NEXT_FATAL;
        }
        free(d->sync.next_url);
        d->sync.next_url = TAKE_PTR(next);
        if (l->paging == PAGING_NEXT ? more == 0 : n < d->sync.page_size) {
                if (d->sync.bootstrap || d->sync.pass == 1)
                        return PAGE_NEXT_END;
                d->sync.pass = 1; /* a refresh lists the Rejected ones next */
                d->sync.page = 1;
                return PAGE_NEXT_NOW;
        }
        d->sync.page++;
        return PAGE_NEXT_NOW;
}

static void on_sync_page(struct api *a, const struct api_response *r, void *userdata)
{
        struct daemon *d = userdata;

        if (d->cycle.state != CYCLE_SYNCING || r->error == -ECANCELED) {
                cycle_page_done(d, PAGE_NEXT_END);
                return;
        }
        cycle_page_done(d, sync_page(d, r));
}

void sync_fetch(struct daemon *d)
{
        _cleanup_free_ char *url = NULL;
        struct list_request q;
        int r;

        assert(d);
        timestamp_format(now_realtime_s() - rules_longest_window(d->config), d->sync.from);
        q = sync_request(d, d->sync.from);
        if (d->sync.next_url && d->config->api.list.paging == PAGING_NEXT)
                url = strdup(d->sync.next_url);
        else
                (void)api_list_url(&d->config->api, &q, &url);
        cycle_request_started(d, CALL_DECISION, true);
        r = url ? api_request(d->api, API_GET, url, NULL, on_sync_page, d) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "%s: cannot list orders", sync_name(d));
                cycle_page_done(d, PAGE_NEXT_FAILED);
        }
}

void sync_start(struct daemon *d)
{
        assert(d);
        d->sync.page = 1;
        d->sync.pass = 0;
        d->sync.page_size = d->config->poll.page_size;
        d->sync.n_new = d->sync.n_dropped = 0;
        free(d->sync.first_id);
        d->sync.first_id = NULL;
        free(d->sync.next_url);
        d->sync.next_url = NULL;
        log_debug("%s: listing the orders approved since %lld days", sync_name(d),
                  (long long)(rules_longest_window(d->config) / 86400));
        sync_fetch(d);
}

/* The listing ended (ok: every page read).  Returns 0, or -errno when the
 * journal failed. */
int sync_finish(struct daemon *d, bool ok)
{
        struct journal_mark m = { .what = sync_name(d), .time = now_realtime_s() };
        _cleanup_free_ char *path = NULL;
        int r;

        assert(d);
        if (!ok) {
                log_event(LOG_WARNING, LOG_MID_SYNC, NULL, 0,
                          "%s did not finish; tried again in the next cycle%s", sync_name(d),
                          d->sync.bootstrap ? ": until it does, no order is approved" : "");
                return 0;
        }
        if (!daemon_dry_run(d)) {
                r = journal_append_mark(d->journal, &m);
                if (r >= 0)
                        r = journal_sync(d->journal);
                if (r < 0)
                        return log_error_errno(r, "cannot append to the journal in %s",
                                               d->state_dir);
        }
        d->state->last_sync = m.time;
        if (d->sync.bootstrap)
                d->state->bootstrapped = true;
        if (d->sync.resync && asprintf(&path, "%s/%s", d->state_dir, RESYNC_FILE_NAME) >= 0)
                (void)unlink(path);
        log_event(LOG_INFO, LOG_MID_SYNC, NULL, 0,
                  "%s done: %zu approved orders of the last %lld days newly counted, %zu "
                  "approvals overturned since",
                  sync_name(d), d->sync.n_new, (long long)(rules_longest_window(d->config) / 86400),
                  d->sync.n_dropped);
        return 0;
}
