/* sb-rng.h: a small seeded pseudo-random generator (splitmix64), so that a
 * given --rng-seed always produces the same orders and the same faults. */
#pragma once

#include <stdint.h>

struct sb_rng {
        uint64_t state;
};

void sb_rng_init(struct sb_rng *rng, uint64_t seed);

/* Next 64 random bits. */
uint64_t sb_rng_next(struct sb_rng *rng);

/* Uniform integer in [lo, hi] (lo <= hi). */
int64_t sb_rng_range(struct sb_rng *rng, int64_t lo, int64_t hi);

/* Uniform double in [0, 1). */
double sb_rng_double(struct sb_rng *rng);
