/* holds.c: what the daemon keeps in memory of each order held for a
 * person (holds.h): since when it waits, what held it, and whether its
 * reminder went out.  Orders that no longer wait are forgotten at each
 * holds_waiting(), so the set stays the size of the holds. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holds.h"
#include "idmap.h"
#include "strset.h"
#include "util.h"

struct holds {
        struct idmap *info; /* order id -> struct hold_info */
        /* Rule names and reasons, each kept once: a rules file has few, and
         * 100,000 holds would otherwise each carry their own copies. */
        struct strset texts;
};

static void info_free(void *p)
{
        free(p); /* its texts belong to holds->texts */
}

int holds_new(struct holds **ret)
{
        struct holds *h;

        assert(ret);
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        if (idmap_new(&h->info, info_free) < 0) {
                free(h);
                return -ENOMEM;
        }
        strset_init(&h->texts, false);
        *ret = h;
        return 0;
}

void holds_free(struct holds *h)
{
        if (!h)
                return;
        idmap_free(h->info);
        for (size_t i = 0; i < h->texts.n_keys; i++)
                free((char *)h->texts.entries[i].key);
        strset_done(&h->texts);
        free(h);
}

/* Points *field at the kept copy of s (NULL stays NULL), made on first
 * use; false when out of memory (the field is then unchanged). */
static bool set_text(struct holds *h, const char **field, const char *s)
{
        char *copy;

        if (!s) {
                *field = NULL;
                return true;
        }
        if (strset_get(&h->texts, s, (void **)&copy)) {
                *field = copy;
                return true;
        }
        copy = strdup(s);
        if (!copy)
                return false;
        if (strset_put(&h->texts, copy, copy) < 0) {
                free(copy);
                return false;
        }
        *field = copy;
        return true;
}

int holds_note(struct holds *h, const struct journal_hold *rec)
{
        struct hold_info *i;
        int64_t t;

        assert(h);
        assert(rec && rec->order_id);
        t = rec->time < 1 ? 1 : rec->time; /* a clock before 1970: oldest */
        i = idmap_get(h->info, rec->order_id);
        if (!i) {
                i = calloc(1, sizeof(*i));
                if (!i)
                        return -ENOMEM;
                i->since = t;
                if (idmap_set(h->info, rec->order_id, i) < 0) {
                        free(i);
                        return -ENOMEM;
                }
        }
        if (t < i->since)
                i->since = t;
        i->reminded = i->reminded || rec->reminded; /* a later hold keeps the reminder sent */
        if (!set_text(h, &i->rule, rec->rule) || !set_text(h, &i->reason, rec->reason))
                return -ENOMEM;
        return 0;
}

struct hold_info *holds_get(struct holds *h, const char *order_id)
{
        assert(h);
        assert(order_id);
        return idmap_get(h->info, order_id);
}

int holds_visit(const struct journal_record *rec, void *userdata)
{
        assert(rec);
        assert(userdata);
        if (rec->type != JOURNAL_HOLD || !rec->hold.order_id)
                return 0;
        return holds_note(userdata, &rec->hold);
}

size_t holds_waiting(struct holds *h, const struct state *s, int64_t *ret_oldest)
{
        const char *id;
        void *v;
        size_t i = 0, n = 0;
        int64_t oldest = 0;

        assert(h);
        assert(s);
        while (idmap_next(h->info, &i, &id, &v)) {
                const struct hold_info *info = v;
                struct entry e;

                if (!state_get(s, id, &e) || e.kind != ENTRY_HOLD ||
                    e.status != ENTRY_STATUS_NONE) {
                        idmap_remove(h->info, id); /* the entry just returned: allowed */
                        continue;
                }
                n++;
                if (oldest == 0 || info->since < oldest)
                        oldest = info->since;
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
