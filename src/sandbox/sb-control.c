/* sb-control.c: the /_sandbox/ calls that only the sandbox has, for tests
 * and load generators: the stats, creating orders without the gate,
 * deciding an order as any approving party (a distributor, or a person in
 * the seller's portal), and broken or repeated webhook events.  They need
 * no credentials and are not delayed. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sb-server.h"
#include "sb-tiers.h"

static void handle_stats(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        cJSON *j;

        if (!streq(req->method, "GET"))
                return sb_reply_method_not_allowed(reply, "GET");
        reply->count = false;
        pthread_mutex_lock(&sb->lock);
        j = sb_stats_to_json(&sb->stats, sb->store, &sb->opt.tiers);
        pthread_mutex_unlock(&sb->lock);
        if (j && sb->webhook) {
                cJSON *w = sb_webhook_stats(sb->webhook);

                if (!w || !cJSON_AddItemToObject(j, "webhook", w)) {
                        cJSON_Delete(w);
                        cJSON_Delete(j);
                        j = NULL;
                }
        }
        sb_reply_json(reply, 200, j);
}

/* POST /_sandbox/orders/{id}/{party}/{approve|reject} */
static void handle_party_decision(struct sandbox *sb, const struct sb_request *req,
                                  const char *path, struct sb_reply *reply)
{
        char id[SB_ID_MAX], party[SB_ID_MAX];
        const char *rest = sb_split_id(path, id), *action;
        int p;

        reply->count = false;
        if (!rest || rest[0] != '/')
                return sb_reply_error(reply, 404, "not_found", "no such resource");
        action = sb_split_id(rest + 1, party);
        if (!action || (!streq(action, "/approve") && !streq(action, "/reject")))
                return sb_reply_error(reply, 404, "not_found", "no such resource");
        p = sb_party_from_string(party);
        if (p < 0 || !sb_tiers_has(&sb->opt.tiers, (enum sb_party)p))
                return sb_reply_error(reply, 404, "not_found",
                                      "no such approving party (see --tiers)");
        sb_handle_decision(sb, req, id, (enum sb_party)p, streq(action, "/approve"), false, reply);
}

#define WEBHOOK_COUNT_MAX 10000

enum event_kind {
        KIND_DUPLICATE, /* the order's real event again */
        KIND_WRONG_AUTH,
        KIND_NO_AUTH,
        KIND_BAD_JSON,
        KIND_UNKNOWN_ORDER,
        _KIND_MAX,
};

static const char *const kind_names[_KIND_MAX] = {
        [KIND_DUPLICATE] = "duplicate",
        [KIND_WRONG_AUTH] = "wrong-auth",
        [KIND_NO_AUTH] = "no-auth",
        [KIND_BAD_JSON] = "bad-json",
        [KIND_UNKNOWN_ORDER] = "unknown-order",
};

/* What a POST /_sandbox/webhook body asks for. */
struct event_request {
        enum event_kind kind;
        char id[SB_ID_MAX]; /* "" when absent */
        int64_t count;
};

static int event_request_parse(const struct sb_request *req, struct event_request *ret,
                               const char **why)
{
        cJSON *j = cJSON_ParseWithLength(req->body ?: "", req->body_len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(j, "count");
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kind"));
        struct event_request e = { .kind = _KIND_MAX, .count = 1 };
        int r = -EINVAL;

        for (int i = 0; kind && i < _KIND_MAX; i++)
                if (streq(kind, kind_names[i]))
                        e.kind = (enum event_kind)i;
        if (!cJSON_IsObject(j) || e.kind == _KIND_MAX)
                *why = "body must be {\"kind\": \"duplicate\"|\"wrong-auth\"|\"no-auth\"|"
                       "\"bad-json\"|\"unknown-order\", \"id\": \"...\", \"count\": N}";
        else if (id &&
                 (!cJSON_IsString(id) || !*id->valuestring || strlen(id->valuestring) >= SB_ID_MAX))
                *why = "id must be a non-empty string of at most 63 bytes";
        else if (count && (!cJSON_IsNumber(count) || count->valuedouble < 1 ||
                           count->valuedouble > WEBHOOK_COUNT_MAX ||
                           count->valuedouble != (double)(int64_t)count->valuedouble))
                *why = "count must be an integer from 1 to 10000";
        else if (!id && e.kind != KIND_UNKNOWN_ORDER && e.kind != KIND_BAD_JSON)
                *why = "this kind needs the id of an order";
        else
                r = 0;
        if (r == 0) {
                snprintf(e.id, sizeof(e.id), "%s", id ? id->valuestring : "");
                e.count = count ? (int64_t)count->valuedouble : 1;
                *ret = e;
        }
        cJSON_Delete(j);
        return r;
}

/* The body an event request sends, or NULL with *status and *why set. */
static char *event_body(struct sandbox *sb, const struct event_request *e, unsigned *status,
                        const char **why)
{
        const char *id = *e->id ? e->id : "ORD-UNKNOWN";
        struct sb_order *o;
        char *body = NULL;

        pthread_mutex_lock(&sb->lock);
        o = sb_store_get(sb->store, id);
        if (e->kind == KIND_UNKNOWN_ORDER && o) {
                *status = 400;
                *why = "an unknown-order event needs an id that no order has";
        } else if (e->kind == KIND_UNKNOWN_ORDER) {
                body = sb_webhook_event_unknown(id, now_realtime_s());
        } else if (e->kind == KIND_BAD_JSON) {
                body = strdup("{\"eventType\":\"OrderPendingApproval\",\"reqID\":");
        } else if (!o) {
                *status = 404;
                *why = "no such order";
        } else {
                body = sb_webhook_event(o);
        }
        pthread_mutex_unlock(&sb->lock);
        if (!body && *status == 0) {
                *status = 500;
                *why = "out of memory";
        }
        return body;
}

/* POST /_sandbox/webhook: queues broken or repeated events on demand. */
static void handle_webhook(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        static const enum sb_webhook_auth auth[_KIND_MAX] = {
                [KIND_WRONG_AUTH] = SB_WEBHOOK_AUTH_WRONG,
                [KIND_NO_AUTH] = SB_WEBHOOK_AUTH_NONE,
        };
        struct event_request e;
        const char *why = NULL;
        unsigned status = 0;
        int64_t queued = 0;
        _cleanup_free_ char *body = NULL;
        cJSON *j;

        reply->count = false;
        if (!streq(req->method, "POST"))
                return sb_reply_method_not_allowed(reply, "POST");
        if (!sb->webhook)
                return sb_reply_error(reply, 409, "no_webhook",
                                      "the sandbox runs without --webhook");
        if (event_request_parse(req, &e, &why) < 0)
                return sb_reply_error(reply, 400, "bad_request", why);
        body = event_body(sb, &e, &status, &why);
        if (!body)
                return sb_reply_error(reply, status, status == 404 ? "not_found" : "bad_request",
                                      why);
        for (int64_t i = 0; i < e.count; i++)
                if (sb_webhook_enqueue(sb->webhook, strdup(body), auth[e.kind]) >= 0)
                        queued++;
        j = cJSON_CreateObject();
        if (j && (!cJSON_AddNumberToObject(j, "queued", (double)queued) ||
                  !cJSON_AddNumberToObject(j, "dropped", (double)(e.count - queued)))) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 202, j);
}

/* DELETE /_sandbox/cursors: every cursor issued so far is forgotten, as a
 * server restart or expiry would; their next use answers 410. */
static void handle_cursors(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        cJSON *j;
        size_t n;

        reply->count = false;
        if (!streq(req->method, "DELETE"))
                return sb_reply_method_not_allowed(reply, "DELETE");
        pthread_mutex_lock(&sb->lock);
        n = sb_cursors_forget(sb->cursors);
        pthread_mutex_unlock(&sb->lock);
        j = cJSON_CreateObject();
        if (j && !cJSON_AddNumberToObject(j, "forgotten", (double)n)) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 200, j);
}

void sb_handle_control(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        static const char orders[] = "/_sandbox/orders";

        assert(sb && req && reply);
        reply->delay = false;
        if (streq(req->url, "/_sandbox/stats"))
                return handle_stats(sb, req, reply);
        if (streq(req->url, "/_sandbox/webhook"))
                return handle_webhook(sb, req, reply);
        if (streq(req->url, "/_sandbox/cursors"))
                return handle_cursors(sb, req, reply);
        if (streq(req->url, orders)) {
                if (!streq(req->method, "POST"))
                        return sb_reply_method_not_allowed(reply, "POST");
                return sb_handle_create(sb, req, reply);
        }
        if (strncmp(req->url, orders, strlen(orders)) == 0 && req->url[strlen(orders)] == '/')
                return handle_party_decision(sb, req, req->url + strlen(orders) + 1, reply);
        sb_reply_error(reply, 404, "not_found", "no such resource");
}
