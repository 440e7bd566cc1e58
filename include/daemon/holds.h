/* holds.h: what the daemon keeps of each order held for a person: since
 * when it has waited (STATUS= "3 held (oldest 5h)", holds.remind_after,
 * holds.timeout), the rule and reason that hold it (for the reminder's
 * record and notification), and whether the reminder went out.  Which
 * holds still wait is state.c's word (ENTRY_HOLD with no status); this is
 * filled from the journal's hold records at start and by each new one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "state.h"

struct holds;

/* Returns 0 and an empty set, or -ENOMEM. */
int holds_new(struct holds **ret);
/* Accepts NULL. */
void holds_free(struct holds *h);

struct hold_info {
        int64_t since; /* the earliest hold record's time (>= 1) */
        bool reminded; /* some hold record of the order says so */
        bool timeout_said; /* a timeout that could not decide it was logged (this run) */
        const char *rule; /* of the latest hold record; NULL: the default or a problem */
        const char *reason; /* both kept by holds until holds_free() */
};

/* Notes a hold record: an earlier time stays, the reminder stays sent,
 * the rule and reason are the record's.  Returns 0 or -ENOMEM. */
int holds_note(struct holds *h, const struct journal_hold *rec);

/* The order's info, or NULL when it was never noted (or forgotten).  The
 * pointer stays valid until the next holds_note() or holds_waiting(). */
struct hold_info *holds_get(struct holds *h, const char *order_id);

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
