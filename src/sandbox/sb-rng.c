/* sb-rng.c: splitmix64, chosen because it is tiny, fast and has no bad seeds;
 * statistical quality far beyond what test data needs. */
#include "sb-rng.h"

void sb_rng_init(struct sb_rng *rng, uint64_t seed)
{
        rng->state = seed;
}

uint64_t sb_rng_next(struct sb_rng *rng)
{
        uint64_t z = (rng->state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

int64_t sb_rng_range(struct sb_rng *rng, int64_t lo, int64_t hi)
{
        uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;

        if (span == 0) /* the full 64-bit range */
                return (int64_t)sb_rng_next(rng);
        return lo + (int64_t)(sb_rng_next(rng) % span);
}

double sb_rng_double(struct sb_rng *rng)
{
        return (double)(sb_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}
