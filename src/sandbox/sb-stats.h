/* sb-stats.h: what the sandbox has seen, for GET /_sandbox/stats: answers
 * by status code, per-order approve/reject calls (kept in the orders) and
 * the requests the foreign listener recorded.  Not thread safe: the caller
 * holds the sandbox lock. */
#pragma once

#include <cjson/cJSON.h>

#include "sb-store.h"
#include "sb-tiers.h"

#define SB_FOREIGN_MAX 1000

struct sb_stats {
        uint64_t by_status[600];
        cJSON *foreign; /* array of recorded requests, at most SB_FOREIGN_MAX */
        uint64_t foreign_dropped;
};

/* Returns 0 or -ENOMEM. */
int sb_stats_init(struct sb_stats *st);
void sb_stats_done(struct sb_stats *st);

void sb_stats_count(struct sb_stats *st, unsigned status);

/* Appends one recorded request (takes ownership of rec); beyond the cap,
 * or when rec is NULL (it could not be built), it is dropped and counted. */
void sb_stats_record_foreign(struct sb_stats *st, cJSON *rec);

/* Returns the stats document, or NULL on allocation failure; caller frees.
 * With two or more tiers each order also shows every party's decision. */
cJSON *sb_stats_to_json(const struct sb_stats *st, const struct sb_store *store,
                        const struct sb_tiers *tiers);
