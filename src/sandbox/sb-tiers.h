/* sb-tiers.h: multi-tier approval (--tiers).  AppXite lets a distributor
 * and a seller both approve orders: an order stays pending until every
 * approving party has approved it, and one rejection rejects it.  This
 * module owns that rule: the one transition every approve and reject path
 * (the order's links, the control calls) goes through. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sb-order.h"

/* The approving parties, in the order --tiers names them. */
struct sb_tiers {
        enum sb_party list[_SB_PARTY_MAX];
        size_t n;
};

/* The default: the seller alone. */
void sb_tiers_default(struct sb_tiers *ret);

/* Parses "distributor,seller" (any order, each party once, the seller
 * always among them).  Returns 0 or -EINVAL. */
int sb_tiers_parse(const char *s, struct sb_tiers *ret);

/* Whether the order JSON lists "approvals": only with two or more
 * parties, so that a single-tier sandbox serves the plain order. */
bool sb_tiers_listed(const struct sb_tiers *t);

/* Returns the party, or -EINVAL for a name that is not a party. */
int sb_party_from_string(const char *s);
const char *sb_party_to_string(enum sb_party p);

/* Whether p is one of the approving parties. */
bool sb_tiers_has(const struct sb_tiers *t, enum sb_party p);

/* Sets every party's status from the order's own (for orders that come
 * from a file or are created): pending and approved orders have every
 * party at that status; a rejected one has the seller's rejection. */
void sb_tiers_init_order(struct sb_order *o);

/* Party p (one of t's) approves, or rejects with *reason, order o.  On
 * success a rejection takes *reason (set to NULL) and the order becomes
 * Rejected; an approval makes it Approved once every party of t has
 * approved, else it stays PendingApproval.  Returns 0, -EBUSY when the
 * order is no longer pending, or -EALREADY when p has already decided it
 * (the order waits for other parties). */
int sb_tiers_decide(const struct sb_tiers *t, struct sb_order *o, enum sb_party p, bool approve,
                    char **reason);
