/* idmap.h: a hash map from order ids (strings) to pointers, for the
 * daemon's per-order state: journaled decisions, held orders, ids seen in a
 * cycle.  Open addressing; keys are copied into chunks the map owns (a
 * removed key's bytes are reclaimed when the map is cleared or freed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct idmap;

/* Called on each value when the map is freed or an entry removed; may be
 * NULL (values are then not owned). */
typedef void (*idmap_free_t)(void *value);

/* Returns 0 and an empty map, or -ENOMEM. */
int idmap_new(struct idmap **ret, idmap_free_t free_value);

/* Frees the keys and (through free_value) the values.  Accepts NULL. */
void idmap_free(struct idmap *m);

/* The value stored under key, or NULL when there is none. */
void *idmap_get(const struct idmap *m, const char *key);

/* Stores value (not NULL) under a copy of key.  Returns 0, -EEXIST when the
 * key is there already (nothing changes), or -ENOMEM. */
int idmap_put(struct idmap *m, const char *key, void *value);

/* Stores value (not NULL) under key, replacing (and freeing) the value
 * there, if any.  Returns 0 or -ENOMEM (then nothing changes). */
int idmap_set(struct idmap *m, const char *key, void *value);

/* Removes key, freeing its value.  Returns true when it was there. */
bool idmap_remove(struct idmap *m, const char *key);

/* Removes every entry (values freed). */
void idmap_clear(struct idmap *m);

size_t idmap_size(const struct idmap *m);

/* Walks the entries: start with *i = 0; returns false at the end.  Only
 * idmap_remove() of the entry just returned may change the map during a
 * walk (removal leaves a tombstone and moves nothing). */
bool idmap_next(const struct idmap *m, size_t *i, const char **ret_key, void **ret_value);
