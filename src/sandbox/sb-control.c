/* sb-control.c: the /_sandbox/ calls that only the sandbox has, for tests
 * and load generators: the stats, creating orders without the gate, and
 * deciding an order as any approving party (a distributor, or a person in
 * the seller's portal).  They need no credentials and are not delayed. */
#include <assert.h>
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

void sb_handle_control(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        static const char orders[] = "/_sandbox/orders";

        assert(sb && req && reply);
        reply->delay = false;
        if (streq(req->url, "/_sandbox/stats"))
                return handle_stats(sb, req, reply);
        if (streq(req->url, orders)) {
                if (!streq(req->method, "POST"))
                        return sb_reply_method_not_allowed(reply, "POST");
                return sb_handle_create(sb, req, reply);
        }
        if (strncmp(req->url, orders, strlen(orders)) == 0 && req->url[strlen(orders)] == '/')
                return handle_party_decision(sb, req, req->url + strlen(orders) + 1, reply);
        sb_reply_error(reply, 404, "not_found", "no such resource");
}
