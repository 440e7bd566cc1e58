/* history.h: the approvals that count towards new_customer, orders_within
 * and credit exposure.  Only approvals are recorded; rejections and holds
 * never are.  Memory is bounded by pruning what no window can see. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct history;

/* Returns 0 and a new empty history, or -ENOMEM. */
int history_new(struct history **ret);

/* Accepts NULL. */
void history_free(struct history *h);

/* Records an approval of amount (minor units) in currency for customer at
 * time t (seconds).  Returns 0 or -ENOMEM. */
int history_add(struct history *h, const char *customer_id, int64_t t, int64_t amount,
                const char *currency);

/* True when the customer has any recorded approval (ever, pruning aside). */
bool history_known(const struct history *h, const char *customer_id);

/* Approvals of the customer with from < t <= to. */
int64_t history_count(const struct history *h, const char *customer_id, int64_t from, int64_t to);

/* Sum (minor units) of the customer's approvals in currency with
 * from < t <= to. */
int64_t history_exposure(const struct history *h, const char *customer_id, const char *currency,
                         int64_t from, int64_t to);

/* Forgets the amounts and times of approvals at or before t (customers stay
 * known for new_customer).  Call with now - the longest window. */
void history_prune(struct history *h, int64_t t);
