/* holds.c: since when each held order has waited (holds.h).  The time is
 * packed into the map's value: an order costs its id and a slot. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "holds.h"
#include "idmap.h"

struct holds {
        struct idmap *since; /* order id -> (void *)(uintptr_t)seconds, never 0 */
};

int holds_new(struct holds **ret)
{
        struct holds *h;

        assert(ret);
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        if (idmap_new(&h->since, NULL) < 0) {
                free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

void holds_free(struct holds *h)
{
        if (!h)
                return;
        idmap_free(h->since);
        free(h);
}

int holds_note(struct holds *h, const char *order_id, int64_t t)
{
        uintptr_t v;

        assert(h);
        assert(order_id);
        if (t < 1 || (uint64_t)t > UINTPTR_MAX)
                t = 1; /* a clock before 1970 or past what a pointer holds: oldest */
        v = (uintptr_t)idmap_get(h->since, order_id);
        if (v != 0 && v <= (uintptr_t)t)
                return 0;
        return idmap_set(h->since, order_id, (void *)(uintptr_t)t);
}

int holds_visit(const struct journal_record *rec, void *userdata)
{
        assert(rec);
        assert(userdata);
        if (rec->type != JOURNAL_HOLD || !rec->hold.order_id)
                return 0;
        return holds_note(userdata, rec->hold.order_id, rec->hold.time);
}

size_t holds_waiting(struct holds *h, const struct state *s, int64_t *ret_oldest)
{
        const char *id;
        void *v;
        size_t i = 0, n = 0;
        int64_t oldest = 0;

        assert(h);
        assert(s);
        while (idmap_next(h->since, &i, &id, &v)) {
                struct entry e;

                if (!state_get(s, id, &e) || e.kind != ENTRY_HOLD ||
                    e.status != ENTRY_STATUS_NONE) {
                        idmap_remove(h->since, id); /* the entry just returned: allowed */
                        continue;
                }
                n++;
                if (oldest == 0 || (int64_t)(uintptr_t)v < oldest)
                        oldest = (int64_t)(uintptr_t)v;
        }
        if (ret_oldest)
                *ret_oldest = oldest;
        return n;
}

char *holds_age_format(int64_t seconds, char buf[static HOLDS_AGE_BUF_SIZE])
{
        int64_t s = seconds < 0 ? 0 : seconds;

        if (s < 60)
                snprintf(buf, HOLDS_AGE_BUF_SIZE, "%llds", (long long)s);
        else if (s < 3600)
                snprintf(buf, HOLDS_AGE_BUF_SIZE, "%lldm", (long long)(s / 60));
        else if (s < 2 * 86400)
                snprintf(buf, HOLDS_AGE_BUF_SIZE, "%lldh", (long long)(s / 3600));
        else
                snprintf(buf, HOLDS_AGE_BUF_SIZE, "%lldd", (long long)(s / 86400));
        return buf;
}
