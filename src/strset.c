/* strset.c: open addressing with linear probing, kept at most half full, so
 * a lookup touches a slot or two whatever the number of keys. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

static unsigned char fold(unsigned char c, bool fold_case)
{
        if (fold_case && c >= 'A' && c <= 'Z')
                return (unsigned char)(c - 'A' + 'a');
        return c;
}

/* FNV-1a over the (folded) bytes: short keys, no adversary to fear since
 * the keys come from the seller's own file. */
static uint64_t hash(const char *key, bool fold_case)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
                h ^= fold(*p, fold_case);
                h *= UINT64_C(1099511628211);
        }
        return h;
}

/* ASCII folding only (not the locale's): codes and ids are ASCII, and a
 * lookup must not depend on the environment. */
static bool keys_equal(const char *a, const char *b, bool fold_case)
{
        const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

        if (!fold_case)
                return strcmp(a, b) == 0;
        for (; *x && fold(*x, true) == fold(*y, true); x++, y++)
                ;
        return fold(*x, true) == fold(*y, true);
}

void strset_init(struct strset *s, bool fold_case)
{
        *s = (struct strset){ .fold_case = fold_case };
}

static struct strset_slot *find_slot(struct strset_slot *slots, size_t n_slots, const char *key,
                                     uint64_t h, bool fold_case)
{
        size_t i = (size_t)h & (n_slots - 1);

        while (slots[i].key && (slots[i].hash != h || !keys_equal(slots[i].key, key, fold_case)))
                i = (i + 1) & (n_slots - 1);
        return &slots[i];
}

static int grow(struct strset *s)
{
        size_t n = s->n_slots ? s->n_slots * 2 : 16;
        struct strset_slot *slots;

        if (n > SIZE_MAX / sizeof(*slots) / 2)
                return -ENOMEM;
        slots = calloc(n, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->slots[i].key)
                        *find_slot(slots, n, s->slots[i].key, s->slots[i].hash, s->fold_case) =
                                s->slots[i];
        free(s->slots);
        s->slots = slots;
        s->n_slots = n;
        return 0;
}

int strset_put(struct strset *s, const char *key, void *value)
{
        struct strset_slot *slot;
        uint64_t h;
        int r;

        if ((s->n_keys + 1) * 2 > s->n_slots) {
                r = grow(s);
                if (r < 0)
                        return r;
        }
        h = hash(key, s->fold_case);
        slot = find_slot(s->slots, s->n_slots, key, h, s->fold_case);
        if (slot->key)
                return 0;
        *slot = (struct strset_slot){ .key = key, .value = value, .hash = h };
        s->n_keys++;
        return 0;
}

bool strset_get(const struct strset *s, const char *key, void **ret_value)
{
        const struct strset_slot *slot;

        if (!key || s->n_keys == 0)
                return false;
        slot = find_slot(s->slots, s->n_slots, key, hash(key, s->fold_case), s->fold_case);
        if (!slot->key)
                return false;
        if (ret_value)
                *ret_value = slot->value;
        return true;
}

void strset_done(struct strset *s)
{
        free(s->slots);
        s->slots = NULL;
        s->n_slots = s->n_keys = 0;
}
