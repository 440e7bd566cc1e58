/* strset.c: open addressing with linear probing, kept at most half full, so
 * a lookup touches a slot or two whatever the number of keys.  The probe
 * array holds only a hash tag and an entry index (8 bytes a slot): a
 * 10,000-entry blocked list then probes 256 KiB instead of 768 KiB, which
 * stays in the L2 cache, and a key is read only when its tag matches. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"
#include "util.h"

static unsigned char fold(unsigned char c, bool fold_case)
{
        if (fold_case && c >= 'A' && c <= 'Z')
                return (unsigned char)(c - 'A' + 'a');
        return c;
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

static uint32_t tag_of(uint64_t h)
{
        return (uint32_t)(h >> 32);
}

/* The slot holding key, or the free slot where it would go. */
static struct strset_slot *find_slot(const struct strset *s, const char *key, uint64_t h)
{
        size_t mask = s->n_slots - 1, i = (size_t)h & mask;
        uint32_t tag = tag_of(h);

        for (;; i = (i + 1) & mask) {
                const struct strset_slot *slot = &s->slots[i];

                if (slot->entry == 0 ||
                    (slot->tag == tag &&
                     keys_equal(s->entries[slot->entry - 1].key, key, s->fold_case)))
                        return &s->slots[i];
        }
}

/* Doubles the probe array and re-inserts every entry by its kept hash. */
static int grow_slots(struct strset *s)
{
        size_t n = s->n_slots ? s->n_slots * 2 : 16;
        struct strset_slot *slots;

        if (n > SIZE_MAX / sizeof(*slots) / 2 || n / 2 > UINT32_MAX)
                return -ENOMEM;
        slots = calloc(n, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t k = 0; k < s->n_keys; k++) {
                size_t i = (size_t)s->entries[k].hash & (n - 1);

                while (slots[i].entry != 0)
                        i = (i + 1) & (n - 1);
                slots[i] = (struct strset_slot){ .tag = tag_of(s->entries[k].hash),
                                                 .entry = (uint32_t)(k + 1) };
        }
        free(s->slots);
        s->slots = slots;
        s->n_slots = n;
        return 0;
}

static int grow_entries(struct strset *s)
{
        size_t n = s->n_alloc ? s->n_alloc * 2 : 8;
        struct strset_entry *e = reallocarray(s->entries, n, sizeof(*e));

        if (!e)
                return -ENOMEM;
        s->entries = e;
        s->n_alloc = n;
        return 0;
}

int strset_put(struct strset *s, const char *key, void *value)
{
        struct strset_slot *slot;
        uint64_t h;
        int r;

        if ((s->n_keys + 1) * 2 > s->n_slots) {
                r = grow_slots(s);
                if (r < 0)
                        return r;
        }
        h = string_hash(key, s->fold_case);
        slot = find_slot(s, key, h);
        if (slot->entry != 0)
                return 0;
        if (s->n_keys == s->n_alloc) {
                r = grow_entries(s);
                if (r < 0)
                        return r;
        }
        s->entries[s->n_keys] = (struct strset_entry){ .key = key, .value = value, .hash = h };
        *slot = (struct strset_slot){ .tag = tag_of(h), .entry = (uint32_t)++s->n_keys };
        return 0;
}

bool strset_get(const struct strset *s, const char *key, void **ret_value)
{
        const struct strset_slot *slot;

        if (!key || s->n_keys == 0)
                return false;
        slot = find_slot(s, key, string_hash(key, s->fold_case));
        if (slot->entry == 0)
                return false;
        if (ret_value)
                *ret_value = s->entries[slot->entry - 1].value;
        return true;
}

void strset_done(struct strset *s)
{
        free(s->slots);
        free(s->entries);
        s->slots = NULL;
        s->entries = NULL;
        s->n_slots = s->n_keys = s->n_alloc = 0;
}
