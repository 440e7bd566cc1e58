/* sb-list.c: the listing, in the three shapes of sb-shape.h.  Whatever the
 * shape, the orders that match the status and createdFrom filters are
 * listed in (createdAt, id) order; the shapes differ in how a page is
 * asked for (a page number, an offset, a cursor) and in the envelope. */
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

static size_t first_index(const struct sandbox *sb, const struct sb_list_query *q)
{
        return q->created_from == INT64_MIN ? 0 : sb_store_after(sb->store, q->created_from, "");
}

static bool add_order(const struct sandbox *sb, cJSON *items, const struct sb_order *o)
{
        cJSON *j = sb_order_json(sb, o);

        if (!j || !cJSON_AddItemToArray(items, j)) {
                cJSON_Delete(j);
                return false;
        }
        return true;
}

/* Adds the orders at positions [q->skip, q->skip + q->page_size) of the
 * filtered list to items and counts the whole filtered list.  Caller holds
 * the lock. */
static bool window(const struct sandbox *sb, const struct sb_list_query *q, cJSON *items,
                   int64_t *ret_total)
{
        int64_t total = 0, taken = 0;

        for (size_t i = first_index(sb, q); i < sb_store_count(sb->store); i++) {
                const struct sb_order *o = sb_store_at(sb->store, i);

                if (!matches(o, q))
                        continue;
                if (total++ < q->skip || taken >= q->page_size)
                        continue;
                if (!add_order(sb, items, o))
                        return false;
                taken++;
        }
        *ret_total = total;
        return true;
}

static void bad_parameters(const struct sandbox *sb, struct sb_reply *reply)
{
        static const char *const position[_SB_SHAPE_MAX] = {
                [SB_SHAPE_PAGE] = "page an integer >= 1; ",
                [SB_SHAPE_OFFSET] = "$skip an integer >= 0; ",
                [SB_SHAPE_NEXT] = "",
        };
        const struct sb_shape_info *shape = sb_shape_info(sb->opt.shape);
        char msg[256];

        snprintf(msg, sizeof(msg),
                 "status must be %s, %s or %s; createdFrom an RFC 3339 time; %s%s an integer "
                 "from 1 to 500",
                 sb_status_name(SB_STATUS_PENDING, shape->lower),
                 sb_status_name(SB_STATUS_APPROVED, shape->lower),
                 sb_status_name(SB_STATUS_REJECTED, shape->lower), position[sb->opt.shape],
                 shape->size_param);
        sb_reply_error(reply, 400, "bad_request", msg);
}

/* Parses the request's listing parameters for the sandbox's shape. */
static int parse_query(const struct sandbox *sb, const struct sb_request *req,
                       struct sb_list_query *ret)
{
        const struct sb_shape_info *shape = sb_shape_info(sb->opt.shape);
        const struct sb_list_params p = {
                .status = sb_request_query(req, "status"),
                .created_from = sb_request_query(req, "createdFrom"),
                .position =
                        shape->position_param ? sb_request_query(req, shape->position_param) : NULL,
                .size = sb_request_query(req, shape->size_param),
        };

        return sb_list_params_parse(sb->opt.shape, &p, ret);
}

/* page: {"items": [...], "page": 1, "pageSize": 50, "totalCount": N};
 * offset: {"value": [...], "@odata.count": N}. */
static void list_counted(struct sandbox *sb, const struct sb_list_query *q, struct sb_reply *reply)
{
        bool page = sb->opt.shape == SB_SHAPE_PAGE, ok;
        cJSON *j = cJSON_CreateObject();
        cJSON *items = cJSON_AddArrayToObject(j, sb_shape_info(sb->opt.shape)->items);
        int64_t total = 0;

        if (!items) {
                cJSON_Delete(j);
                return sb_reply_json(reply, 500, NULL);
        }
        pthread_mutex_lock(&sb->lock);
        ok = window(sb, q, items, &total);
        pthread_mutex_unlock(&sb->lock);
        if (ok && page)
                ok = cJSON_AddNumberToObject(j, "page", (double)q->page) &&
                     cJSON_AddNumberToObject(j, "pageSize", (double)q->page_size) &&
                     cJSON_AddNumberToObject(j, "totalCount", (double)total);
        else if (ok)
                ok = cJSON_AddNumberToObject(j, "@odata.count", (double)total);
        if (!ok) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 200, j);
}

/* Adds up to q->page_size matching orders from index i on; returns whether
 * a matching order follows them, and the last one added in *ret_last
 * (NULL when none).  Caller holds the lock. */
static int next_page(const struct sandbox *sb, const struct sb_list_query *q, size_t i,
                     cJSON *items, const struct sb_order **ret_last)
{
        const struct sb_order *last = NULL;
        int64_t taken = 0;

        for (; i < sb_store_count(sb->store); i++) {
                const struct sb_order *o = sb_store_at(sb->store, i);

                if (!matches(o, q))
                        continue;
                if (taken == q->page_size)
                        break;
                if (!add_order(sb, items, o))
                        return -ENOMEM;
                last = o;
                taken++;
        }
        *ret_last = last;
        return i < sb_store_count(sb->store);
}

/* "nextLink" (an absolute URL on the sandbox's origin, or the foreign
 * listener's with --foreign-next-link) and "nextCursor" (the token). */
static bool add_next(const struct sandbox *sb, cJSON *j, const char *token)
{
        char url[SB_ORIGIN_MAX + 64];

        snprintf(url, sizeof(url), "%s%s?cursor=%s",
                 sb->opt.foreign_next_link ? sb->foreign_origin : sb->origin,
                 sb_shape_info(sb->opt.shape)->prefix, token);
        return cJSON_AddStringToObject(j, "nextLink", url) &&
               cJSON_AddStringToObject(j, "nextCursor", token);
}

/* next: {"data": [...], "nextLink": URL, "nextCursor": TOKEN}, the two
 * last absent on the last page.  A cursor carries the listing's filters
 * and size: the request's other parameters are then ignored. */
static void list_next(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        const char *token = sb_request_query(req, "cursor");
        const struct sb_order *last = NULL;
        char next[SB_CURSOR_LEN + 1];
        struct sb_list_query q;
        const struct sb_cursor *c = NULL;
        cJSON *j, *items;
        size_t i;
        int more;

        if (token && !sb_cursor_token_valid(token))
                return sb_reply_error(reply, 400, "bad_request", "not a cursor of this server");
        if (!token && parse_query(sb, req, &q) < 0)
                return bad_parameters(sb, reply);
        j = cJSON_CreateObject();
        items = cJSON_AddArrayToObject(j, "data");
        if (!items) {
                cJSON_Delete(j);
                return sb_reply_json(reply, 500, NULL);
        }
        pthread_mutex_lock(&sb->lock);
        if (token) {
                c = sb_cursors_find(sb->cursors, token);
                if (!c) {
                        pthread_mutex_unlock(&sb->lock);
                        cJSON_Delete(j);
                        return sb_reply_error(reply, 410, "cursor_expired",
                                              "the cursor is unknown or forgotten; list again "
                                              "from the first page");
                }
                q = c->query;
        }
        i = c ? sb_store_after(sb->store, c->last_at, c->last_id) : first_index(sb, &q);
        more = next_page(sb, &q, i, items, &last);
        assert(more <= 0 || last); /* a full page has a last order */
        /* more > 0: the page is full (last is set) and an order follows */
        if (more > 0 && sb_cursors_add(sb->cursors, &q, last->created_at, last->id, next) < 0)
                more = -EIO;
        pthread_mutex_unlock(&sb->lock);
        if (more < 0 || (more > 0 && !add_next(sb, j, next))) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 200, j);
}

void sb_handle_list(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        struct sb_list_query q;

        assert(sb && req && reply);
        if (sb->opt.shape == SB_SHAPE_NEXT)
                return list_next(sb, req, reply);
        if (parse_query(sb, req, &q) < 0)
                return bad_parameters(sb, reply);
        list_counted(sb, &q, reply);
}
