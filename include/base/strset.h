/* strset.h: an open-addressing hash set of borrowed strings, each with an
 * optional value, for O(1) membership tests.  Keys are not copied: they
 * must outlive the set.  Case folding (ASCII) is chosen per set. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A probe slot: 8 bytes, so that a lookup that misses (the common case
 * for a blocked list) reads one small slot and never the key itself. */
struct strset_slot {
        uint32_t tag; /* high half of the key's hash */
        uint32_t entry; /* index in entries + 1; 0 when the slot is free */
};

struct strset_entry {
        const char *key;
        void *value;
        uint64_t hash; /* kept for growing */
};

struct strset {
        struct strset_slot *slots;
        size_t n_slots; /* a power of two, or 0 */
        struct strset_entry *entries; /* in insertion order */
        size_t n_keys, n_alloc;
        bool fold_case;
};

/* Initialises an empty set; fold_case makes keys compare ASCII
 * case-insensitively. */
void strset_init(struct strset *s, bool fold_case);

/* Adds key (borrowed) with value.  A key already present keeps its first
 * value.  Returns 0, or -ENOMEM (the set is unchanged). */
int strset_put(struct strset *s, const char *key, void *value);

/* True when key is in the set; *ret_value (may be NULL) gets its value. */
bool strset_get(const struct strset *s, const char *key, void **ret_value);

/* Frees the slots (not the keys) and leaves an empty set. */
void strset_done(struct strset *s);
