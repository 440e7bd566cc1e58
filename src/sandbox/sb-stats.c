/* sb-stats.c: counters and the stats document. */
#include <assert.h>
#include <errno.h>

#include "sb-stats.h"

int sb_stats_init(struct sb_stats *st)
{
        *st = (struct sb_stats){ .foreign = cJSON_CreateArray() };
        return st->foreign ? 0 : -ENOMEM;
}

void sb_stats_done(struct sb_stats *st)
{
        cJSON_Delete(st->foreign);
        st->foreign = NULL;
}

void sb_stats_count(struct sb_stats *st, unsigned status)
{
        if (status < ELEMENTSOF(st->by_status))
                st->by_status[status]++;
}

void sb_stats_record_foreign(struct sb_stats *st, cJSON *rec)
{
        if (cJSON_GetArraySize(st->foreign) >= SB_FOREIGN_MAX ||
            !cJSON_AddItemToArray(st->foreign, rec)) {
                cJSON_Delete(rec);
                st->foreign_dropped++;
        }
}

static bool add_requests(cJSON *root, const struct sb_stats *st)
{
        cJSON *req = cJSON_AddObjectToObject(root, "requests");
        char code[8];

        if (!req)
                return false;
        for (unsigned i = 0; i < ELEMENTSOF(st->by_status); i++) {
                if (st->by_status[i] == 0)
                        continue;
                snprintf(code, sizeof(code), "%u", i);
                if (!cJSON_AddNumberToObject(req, code, (double)st->by_status[i]))
                        return false;
        }
        return true;
}

/* "approvals": {"distributor": "Approved", "seller": "Pending"} */
static bool add_approvals(cJSON *e, const struct sb_order *o, const struct sb_tiers *tiers)
{
        cJSON *a;

        if (!sb_tiers_listed(tiers))
                return true;
        a = cJSON_AddObjectToObject(e, "approvals");
        if (!a)
                return false;
        for (size_t i = 0; i < tiers->n; i++)
                if (!cJSON_AddStringToObject(
                            a, sb_party_to_string(tiers->list[i]),
                            sb_party_status_name(o->approvals[tiers->list[i]], false)))
                        return false;
        return true;
}

static bool add_orders(cJSON *root, const struct sb_store *store, const struct sb_tiers *tiers)
{
        cJSON *orders = cJSON_AddObjectToObject(root, "orders");

        if (!orders)
                return false;
        for (size_t i = 0; i < sb_store_count(store); i++) {
                const struct sb_order *o = sb_store_at(store, i);
                cJSON *e = cJSON_AddObjectToObject(orders, o->id);

                if (!e || !cJSON_AddStringToObject(e, "status", sb_status_to_string(o->status)) ||
                    !cJSON_AddNumberToObject(e, "approveCalls", o->approve_calls) ||
                    !cJSON_AddNumberToObject(e, "rejectCalls", o->reject_calls) ||
                    !add_approvals(e, o, tiers))
                        return false;
        }
        return true;
}

cJSON *sb_stats_to_json(const struct sb_stats *st, const struct sb_store *store,
                        const struct sb_tiers *tiers)
{
        cJSON *root = cJSON_CreateObject(), *foreign;

        assert(st && store && tiers);
        if (!root || !add_requests(root, st) || !add_orders(root, store, tiers))
                goto fail;
        foreign = cJSON_Duplicate(st->foreign, true);
        if (!foreign || !cJSON_AddItemToObject(root, "foreignRequests", foreign)) {
                cJSON_Delete(foreign);
                goto fail;
        }
        if (!cJSON_AddNumberToObject(root, "foreignRequestsDropped", (double)st->foreign_dropped))
                goto fail;
        return root;
fail:
        cJSON_Delete(root);
        return NULL;
}
