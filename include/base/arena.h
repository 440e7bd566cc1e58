/* arena.h: a bump allocator for short-lived trees, such as cJSON's nodes
 * while `evaluate` decides one input line or one array element.
 * Allocations come from one block and freeing inside it does nothing; a
 * reset reclaims the whole block at once.  What does not fit falls back to
 * malloc(), so one large order costs memory only while it lives. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* A new arena with a block of size bytes.  Returns 0 or -ENOMEM; the
 * caller frees it with arena_free(), which accepts NULL. */
int arena_new(size_t size, struct arena **ret);
void arena_free(struct arena *a);

/* size bytes, aligned to 16, from the block when they fit, else from
 * malloc().  NULL when malloc() fails, or for a size within 15 bytes of
 * SIZE_MAX. */
void *arena_alloc(struct arena *a, size_t size);

/* Frees p when it came from malloc() (a fallback); a pointer into the
 * block is left to the next reset.  Accepts NULL p; with a NULL arena it
 * is free(p). */
void arena_release(struct arena *a, void *p);

/* Reclaims the block.  Call only when nothing allocated since the last
 * reset is in use any more, and every fallback has been released. */
void arena_reset(struct arena *a);

/* True when every allocation since the last reset lies in the block: a
 * tree allocated only from the arena then needs no walk to be freed, the
 * next reset reclaims it. */
bool arena_holds_all(const struct arena *a);

/* Makes cJSON allocate from a (through cJSON_InitHooks(), which is
 * process-wide) until arena_cjson_uninstall() restores malloc().  One
 * arena at a time; a tree must be freed under the hooks it was made with. */
void arena_cjson_install(struct arena *a);
void arena_cjson_uninstall(void);
