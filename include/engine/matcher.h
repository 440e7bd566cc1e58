/* matcher.h: O(1) membership tests for the string values of rules.yaml
 * (customer ids, countries, currencies, globs of names and products) and
 * credit-limit lookups.  Indexes are built once by config_load(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* True when s is one of v's entries under the comparison the condition
 * kind uses: exact (customer), case-insensitive (country, currency), or
 * case-insensitive fnmatch globs (customer_name, product).  A NULL s never
 * matches.  Entries without glob characters are found by hash; only real
 * globs are tried one by one. */
bool values_match(const struct values *v, const char *s);

/* The credit limit for customer in currency: the customer's own limits
 * when it has any (they replace the default), else the default.  Returns
 * true and *ret_amount (minor units), or false when there is no limit in
 * that currency. */
bool credit_limit_for(const struct credit *c, const char *customer_id, const char *currency,
                      int64_t *ret_amount);

/* Builds v->index for the comparison that condition kind uses (entries of
 * the referenced list when v->list is set).  The index borrows the entry
 * strings.  Returns 0 or -ENOMEM (v->index then stays NULL). */
int values_index_build(struct values *v, enum cond_kind kind);

/* Frees v->index and resets it to NULL.  Accepts an unindexed value. */
void values_index_free(struct values *v);

/* Builds c->index, a hash from customer id to its limits.  Returns 0 or
 * -ENOMEM.  credit_index_free() undoes it (accepts an unindexed credit). */
int credit_index_build(struct credit *c);
void credit_index_free(struct credit *c);
