/* holds.h: since when each order held for a person has waited, for the
 * daemon's STATUS= ("3 held (oldest 5h)").  Which holds still wait is
 * state.c's word (ENTRY_HOLD with no status); this keeps only the time of
 * each order's first hold record, filled from the journal at start and by
 * each new hold. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "state.h"

struct holds;

/* Returns 0 and an empty set, or -ENOMEM. */
int holds_new(struct holds **ret);
/* Accepts NULL. */
void holds_free(struct holds *h);

/* Notes that order_id was held at t (an earlier time stays).  Returns 0 or
 * -ENOMEM. */
int holds_note(struct holds *h, const char *order_id, int64_t t);

/* journal_read()'s visitor (userdata a struct holds): notes every hold
 * record.  Returns 0 or -ENOMEM. */
int holds_visit(const struct journal_record *rec, void *userdata);

/* How many noted orders still wait as far as s knows, and the oldest
 * one's hold time (*ret_oldest, 0 when none).  Forgets the orders that no
 * longer wait, so the set stays the size of the holds. */
size_t holds_waiting(struct holds *h, const struct state *s, int64_t *ret_oldest);

#define HOLDS_AGE_BUF_SIZE 24

/* An age for STATUS=: "42s", "12m", "5h", "3d" (rounded down).  Returns
 * buf. */
char *holds_age_format(int64_t seconds, char buf[static HOLDS_AGE_BUF_SIZE]);
