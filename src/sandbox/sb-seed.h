/* sb-seed.h: filling the store, either with generated orders (--seed) or
 * from a JSON file (--orders). */
#pragma once

#include <stdint.h>

#include "sb-rng.h"
#include "sb-store.h"

/* Adds n pending orders generated from rng, the first created at start and
 * each later one 1 to 120 seconds after the previous, so createdAt strictly
 * increases.  Returns 0 or -ENOMEM. */
int sb_seed_generate(struct sb_store *s, struct sb_rng *rng, int64_t n, int64_t start);

/* Loads a JSON array of orders (the shape the API returns; totals and links
 * are recomputed).  Returns 0; -EINVAL with a message in why (static or
 * into the caller's buffer) for a malformed file; -EEXIST for a duplicate
 * id; -errno from reading. */
int sb_seed_load_file(struct sb_store *s, const char *path, char *why, size_t why_size);
