/* sb-list.c: the listing, GET /orders: the orders that match the status
 * and createdFrom filters, in (createdAt, id) order, one page at a time. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sb-parse.h"
#include "sb-server.h"

/* Whether o matches the listing's filters. */
static bool matches(const struct sb_order *o, const struct sb_list_query *q)
{
        return (q->status < 0 || (int)o->status == q->status) && o->created_at >= q->created_from;
}

/* Adds the orders at positions [skip, skip + size) of the filtered list to
 * items and counts the whole filtered list.  Caller holds the lock. */
static bool window(struct sandbox *sb, const struct sb_list_query *q, int64_t skip, int64_t size,
                   cJSON *items, int64_t *ret_total)
{
        size_t i =
                q->created_from == INT64_MIN ? 0 : sb_store_after(sb->store, q->created_from, "");
        int64_t total = 0, taken = 0;

        for (; i < sb_store_count(sb->store); i++) {
                const struct sb_order *o = sb_store_at(sb->store, i);
                cJSON *j;

                if (!matches(o, q))
                        continue;
                if (total++ < skip || taken >= size)
                        continue;
                j = sb_order_json(sb, o);
                if (!j || !cJSON_AddItemToArray(items, j)) {
                        cJSON_Delete(j);
                        return false;
                }
                taken++;
        }
        *ret_total = total;
        return true;
}

static void list_pages(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        struct sb_list_query q;
        cJSON *j, *items;
        int64_t total = 0;
        bool ok;

        if (sb_list_query_parse(sb_request_query(req, "status"), sb_request_query(req, "page"),
                                sb_request_query(req, "pageSize"), &q) < 0 ||
            sb_list_created_from_parse(sb_request_query(req, "createdFrom"), &q) < 0)
                return sb_reply_error(reply, 400, "bad_request",
                                      "status must be PendingApproval, Approved or Rejected; "
                                      "createdFrom an RFC 3339 time; page an integer >= 1; "
                                      "pageSize an integer from 1 to 500");
        j = cJSON_CreateObject();
        items = cJSON_AddArrayToObject(j, "items");
        if (!items) {
                cJSON_Delete(j);
                return sb_reply_json(reply, 500, NULL);
        }
        pthread_mutex_lock(&sb->lock);
        ok = window(sb, &q, (q.page - 1) * q.page_size, q.page_size, items, &total);
        pthread_mutex_unlock(&sb->lock);
        if (!ok || !cJSON_AddNumberToObject(j, "page", (double)q.page) ||
            !cJSON_AddNumberToObject(j, "pageSize", (double)q.page_size) ||
            !cJSON_AddNumberToObject(j, "totalCount", (double)total)) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 200, j);
}

void sb_handle_list(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        assert(sb && req && reply);
        list_pages(sb, req, reply);
}
