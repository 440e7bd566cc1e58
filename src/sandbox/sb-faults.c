/* sb-faults.c: a fixed-window rate limiter (simple to reason about in
 * tests: at most RPS requests pass per wall second) and a seeded coin for
 * 503s, so that a given --rng-seed fails the same requests every run. */
#include "sb-faults.h"

void sb_faults_init(struct sb_faults *f, int64_t rate_limit, double fail_rate, uint64_t seed)
{
        *f = (struct sb_faults){ .rate_limit = rate_limit, .fail_rate = fail_rate };
        sb_rng_init(&f->rng, seed ^ UINT64_C(0xfa11fa11fa11fa11));
}

int64_t sb_faults_rate_check(struct sb_faults *f, uint64_t now_us)
{
        if (f->rate_limit <= 0)
                return 0;
        if (now_us - f->window_start_us >= 1000000u || f->window_count == 0) {
                f->window_start_us = now_us;
                f->window_count = 0;
        }
        if (f->window_count >= f->rate_limit)
                return 1 + (int64_t)((f->window_start_us + 1000000u - now_us) / 1000000u);
        f->window_count++;
        return 0;
}

bool sb_faults_fail(struct sb_faults *f)
{
        if (f->fail_rate <= 0)
                return false;
        return sb_rng_double(&f->rng) < f->fail_rate;
}
