/* history.h: the approvals that count towards new_customer, orders_within
 * and credit exposure.  Only approvals are recorded; rejections and holds
 * never are.  Memory is bounded by pruning what no window can see.
 *
 * Time is the wall clock, in seconds.  An approval counts from the moment
 * it is recorded until its window has passed by the wall clock, whatever
 * the clock did in between: one stamped after the caller's now (the clock
 * was ahead when it was made, or has been set back since) counts too.  See
 * docs/journal.md, "Clock steps". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct history;

/* Returns 0 and a new empty history in *ret, which the caller frees with
 * history_free(), or -ENOMEM (*ret untouched). */
int history_new(struct history **ret);

/* Frees everything.  Accepts NULL. */
void history_free(struct history *h);

/* Records an approval of amount (minor units) in currency (a code of any
 * length, matched without regard to case) for customer_id at time t.
 * customer_id and currency must not be NULL.  Returns 0, or -ENOMEM, when
 * nothing is recorded. */
int history_add(struct history *h, const char *customer_id, int64_t t, int64_t amount,
                const char *currency);

/* True when the customer has any recorded approval, ever: pruning forgets
 * the approvals, not the customer.  False for a NULL customer_id. */
bool history_known(const struct history *h, const char *customer_id);

/* The number of the customer's approvals with t > from, including any
 * stamped after now; now (>= from) is the caller's current time, which
 * bounds nothing.  0 for an unknown or NULL customer_id. */
int64_t history_count(const struct history *h, const char *customer_id, int64_t from, int64_t now);

/* The sum (minor units) of the customer's approvals in currency with
 * t > from, including any stamped after now (>= from), saturated at
 * INT64_MAX.  0 for an unknown or NULL customer_id, a NULL currency or a
 * currency never approved in. */
int64_t history_exposure(const struct history *h, const char *customer_id, const char *currency,
                         int64_t from, int64_t now);

/* Forgets the amounts and times of approvals at or before t (customers stay
 * known for new_customer).  Call with now - the longest window: an
 * approval stamped after that stays, however far ahead of now it is. */
void history_prune(struct history *h, int64_t t);
