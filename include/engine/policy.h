/* policy.h: the one approval policy.  What an order id must be before
 * anything is decided, what an approval needs, and what it adds to the
 * history live here and nowhere else: the daemon (live, journal replay,
 * dry-run), `evaluate` and `explain` all call these functions, so they
 * cannot disagree.  docs/rules.md ("What an approval needs") describes it
 * for sellers. */
#pragma once

#include <stdint.h>

#include "config.h"
#include "history.h"
#include "order.h"
#include "rules.h"

/* The longest order id, customer id or currency an order may carry to be
 * approved, and the longest order id for any decision: what the journal
 * stores per string (the daemon checks the two agree at compile time). */
#define POLICY_TEXT_MAX 1024

/* Returns NULL when id is acceptable as an order id (a non-empty, valid
 * UTF-8 string of at most POLICY_TEXT_MAX bytes without control
 * characters, and neither "." nor ".."), else a static text saying what is
 * wrong with it ("is empty", ...).  id may be NULL ("is missing"). */
const char *policy_id_problem(const char *id);

/* What is odd about order o even when the rules can decide it, for the
 * line that names the order: a field present but malformed; the total,
 * createdAt, items, status, customer id or name, country or currency
 * missing; a negative total; a text over POLICY_TEXT_MAX bytes or with
 * control characters.  Returns NULL when nothing is, else buf holding
 * the first such finding ("'total' is missing"). */
const char *policy_order_anomaly(const struct order *o, char *buf, size_t size);

/* Decides order o at time now: the order id is checked first (a bad one is
 * held), then the rules decide (rules_evaluate()), then an approval, by a
 * rule or by the default, is checked for what it needs: a customer id, a
 * total that is not negative and a currency, each at most POLICY_TEXT_MAX
 * bytes.  An order that lacks one is held, rule NULL, with a reason naming
 * the field.  Rejections and holds need only what the rules read.  Records
 * nothing: the caller counts an approval with policy_count_approval().
 * trace may be NULL.  Returns 0 (the verdict in *ret) or -ENOMEM. */
int policy_decide(const struct config *c, const struct history *h, const struct order *o,
                  int64_t now, struct verdict *ret, struct trace *trace);

/* What holds.timeout decides for order o, held and still pending when its
 * wait ran out at now.  then reject: a reject with holds.timeout.reason.
 * then approve: an approve, rule NULL, when the approval has what it needs
 * (as policy_decide() checks) and, if rules.yaml sets any credit limit,
 * when the order keeps its customer within the limit for its currency (a
 * currency without one counts as over, as for over_credit_limit); else a
 * hold (problem set, the reason in ret->buf saying why), and the order
 * waits on.  Not configured (timeout 0): a hold.  Returns 0. */
int policy_timeout(const struct config *c, const struct history *h, const struct order *o,
                   int64_t now, struct verdict *ret);

/* The one way the history grows: counts an approval of total (minor units)
 * in currency for customer_id at time t.  Returns 0; -EINVAL, counting
 * nothing, when the facts could not have passed policy_decide() (no or an
 * over-long customer id or currency, a negative total); or -ENOMEM. */
int policy_count_approval(struct history *h, const char *customer_id, int64_t total,
                          const char *currency, int64_t t);

/* As policy_count_approval(), with the facts of order o approved at t. */
int policy_count_order(struct history *h, const struct order *o, int64_t t);
