/* sb-store.h: every order the sandbox holds, found by id in O(1) (a hash
 * table) and listed in (createdAt, id) order (a sorted array). */
#pragma once

#include <stddef.h>

#include "sb-order.h"

struct sb_store;

/* Returns 0 and an empty store, or -ENOMEM. */
int sb_store_new(struct sb_store **ret);
/* Frees the store and every order in it; accepts NULL. */
void sb_store_free(struct sb_store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sb_store *, sb_store_free);

/* Takes ownership of o when it returns 0.  Returns -EEXIST for a duplicate
 * id (o stays the caller's), -ENOMEM. */
int sb_store_add(struct sb_store *s, struct sb_order *o);

/* Picks the next free id of the form ORD-000001 into buf (SB_ID_MAX). */
void sb_store_next_id(struct sb_store *s, char buf[static SB_ID_MAX]);

/* Returns the order or NULL; the store keeps ownership. */
struct sb_order *sb_store_get(struct sb_store *s, const char *id);

size_t sb_store_count(const struct sb_store *s);

/* The index of the first order that sorts after (created_at, id) in
 * (createdAt, id) order, or count when none does.  An empty id finds the
 * first order created at created_at or later. */
size_t sb_store_after(const struct sb_store *s, int64_t created_at, const char *id);

/* The i-th order in (createdAt, id) order, i < count. */
struct sb_order *sb_store_at(const struct sb_store *s, size_t i);
