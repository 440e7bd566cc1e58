/* sb-faults.h: the injected faults (--rate-limit, --fail-rate).  Not thread
 * safe: the caller holds the sandbox lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sb-rng.h"

struct sb_faults {
        int64_t rate_limit; /* requests per second, 0 = unlimited */
        double fail_rate;
        struct sb_rng rng;
        uint64_t window_start_us;
        int64_t window_count;
};

void sb_faults_init(struct sb_faults *f, int64_t rate_limit, double fail_rate, uint64_t seed);

/* Counts one request at now_us against a fixed one-second window.  Returns
 * 0 when it is within the limit, else the seconds to wait (>= 1). */
int64_t sb_faults_rate_check(struct sb_faults *f, uint64_t now_us);

/* Draws whether this request is answered 503. */
bool sb_faults_fail(struct sb_faults *f);
