/* rules.h: the engine: one order, the rules, the history and a time in;
 * one decision, the rule that made it and the reason out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "history.h"
#include "order.h"

struct verdict {
        enum action decision;
        const struct rule *rule; /* NULL when the default decided or a field is missing */
        const char *reason; /* points into the config or into buf */
        bool problem; /* held for what the order holds (a field missing, malformed or too
                       * long, a bad id), not by a rule's choice */
        char buf[160];
};

struct trace; /* optional per-condition record for `explain` (rules.c) */

/* A new empty trace for rules_evaluate(), which refills it on each call.
 * Returns 0 or -ENOMEM; free with rules_trace_free() (accepts NULL). */
int rules_trace_new(struct trace **ret);
void rules_trace_free(struct trace *t);

/* Writes the trace as text, one line per rule and one per condition
 * (indented), each with the values compared and the answer. */
void rules_trace_print(const struct trace *t, FILE *f);

/* The trace as a JSON array, one object per rule reached:
 * {"rule":NAME,"held":BOOL,"missing":FIELD|null,"conditions":[{"depth":N,
 * "held":BOOL,"text":"..."}]}.  Returns 0 and a tree the caller deletes,
 * or -ENOMEM. */
int rules_trace_to_json(const struct trace *t, cJSON **ret);

/* Decides order o at time now (seconds).  Never approves an order that
 * lacks a field some condition of a reachable rule needs (customer id,
 * total, currency...): that gives hold, rule NULL, and a reason naming the
 * field.  Does not record anything in h; the caller adds approvals.
 * trace may be NULL. Returns 0 (the verdict is in *ret) or -ENOMEM. */
int rules_evaluate(const struct config *c, const struct history *h, const struct order *o,
                   int64_t now, struct verdict *ret, struct trace *trace);

/* The longest window any condition or the credit section looks back
 * (seconds): history older than now - this can be pruned. */
int64_t rules_longest_window(const struct config *c);

/* The credit check of over_credit_limit: whether approving order o at now
 * takes its customer's exposure in its currency (approvals within
 * credit.window) plus the order's total past the customer's limit.
 * *ret_exposure and *ret_limit (may be NULL) get the figures.  Returns 1
 * over, 0 within, or -ENOENT when no limit is configured for that customer
 * and currency (the figures are then untouched). */
int rules_credit_over(const struct config *c, const struct history *h, const struct order *o,
                      int64_t now, int64_t *ret_exposure, int64_t *ret_limit);
