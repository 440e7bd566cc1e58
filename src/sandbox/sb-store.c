/* sb-store.c: an open-addressing hash table of order pointers (by id) and
 * an array of the same pointers kept sorted by (createdAt, id).  New orders
 * usually carry the newest time, so insertion is an append; an older one
 * costs one memmove of pointers, cheap even at 100,000 orders. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sb-store.h"
#include "util.h"

struct sb_store {
        struct sb_order **slots; /* hash table, n_slots a power of two */
        size_t n_slots;
        struct sb_order **sorted;
        size_t n, n_alloc;
        uint64_t next_seq;
};

int sb_store_new(struct sb_store **ret)
{
        struct sb_store *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->n_slots = 1024;
        s->slots = calloc(s->n_slots, sizeof(*s->slots));
        if (!s->slots) {
                free(s);
                return -ENOMEM;
        }
        s->next_seq = 1;
        *ret = s;
        return 0;
}

void sb_store_free(struct sb_store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                sb_order_free(s->sorted[i]);
        free(s->sorted);
        free(s->slots);
        free(s);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find_slot(struct sb_order **slots, size_t n_slots, const char *id)
{
        size_t i = string_hash(id, false) & (n_slots - 1);

        while (slots[i] && !streq(slots[i]->id, id))
                i = (i + 1) & (n_slots - 1);
        return i;
}

static int grow_slots(struct sb_store *s)
{
        size_t n_slots = s->n_slots * 2;
        struct sb_order **slots = calloc(n_slots, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                slots[find_slot(slots, n_slots, s->sorted[i]->id)] = s->sorted[i];
        free(s->slots);
        s->slots = slots;
        s->n_slots = n_slots;
        return 0;
}

static int key_cmp(const struct sb_order *a, int64_t created_at, const char *id)
{
        if (a->created_at != created_at)
                return a->created_at < created_at ? -1 : 1;
        return strcmp(a->id, id);
}

size_t sb_store_after(const struct sb_store *s, int64_t created_at, const char *id)
{
        size_t lo = 0, hi = s->n;

        assert(s && id);
        if (s->n == 0 || key_cmp(s->sorted[s->n - 1], created_at, id) <= 0)
                return s->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (key_cmp(s->sorted[mid], created_at, id) <= 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int reserve_sorted(struct sb_store *s)
{
        struct sb_order **p;
        size_t n_alloc;

        if (s->n < s->n_alloc)
                return 0;
        n_alloc = s->n_alloc ? s->n_alloc * 2 : 1024;
        p = reallocarray(s->sorted, n_alloc, sizeof(*p));
        if (!p)
                return -ENOMEM;
        s->sorted = p;
        s->n_alloc = n_alloc;
        return 0;
}

/* Keeps next_seq above any ORD-<digits> id, so generated ids never clash. */
static void note_seq(struct sb_store *s, const char *id)
{
        int64_t v;

        if (strncmp(id, "ORD-", 4) == 0 && safe_atoi64_range(id + 4, 0, INT64_MAX - 1, &v) >= 0 &&
            (uint64_t)v >= s->next_seq)
                s->next_seq = (uint64_t)v + 1;
}

int sb_store_add(struct sb_store *s, struct sb_order *o)
{
        size_t slot, pos;
        int r;

        if ((s->n + 1) * 2 > s->n_slots) {
                r = grow_slots(s);
                if (r < 0)
                        return r;
        }
        slot = find_slot(s->slots, s->n_slots, o->id);
        if (s->slots[slot])
                return -EEXIST;
        r = reserve_sorted(s);
        if (r < 0)
                return r;
        pos = sb_store_after(s, o->created_at, o->id);
        memmove(s->sorted + pos + 1, s->sorted + pos, (s->n - pos) * sizeof(*s->sorted));
        s->sorted[pos] = o;
        s->n++;
        s->slots[slot] = o;
        note_seq(s, o->id);
        return 0;
}

void sb_store_next_id(struct sb_store *s, char buf[static SB_ID_MAX])
{
        do
                snprintf(buf, SB_ID_MAX, "ORD-%06" PRIu64, s->next_seq++);
        while (sb_store_get(s, buf));
}

struct sb_order *sb_store_get(struct sb_store *s, const char *id)
{
        return s->slots[find_slot(s->slots, s->n_slots, id)];
}

size_t sb_store_count(const struct sb_store *s)
{
        return s->n;
}

struct sb_order *sb_store_at(const struct sb_store *s, size_t i)
{
        return s->sorted[i];
}
