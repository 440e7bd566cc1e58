/* sb-cursor.h: the cursors of the next shape.  A cursor is an opaque
 * random token that names a server-side record of where a listing stands:
 * its filters and the (createdAt, id) of the last order served.  The next
 * page starts after that order, not at a count, so orders decided or
 * created meanwhile never make it skip or repeat one.  The most recent
 * SB_CURSORS_MAX cursors are kept; older ones are forgotten, and a
 * forgotten cursor is refused (410).  Not thread safe: the caller holds the
 * sandbox lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-order.h"
#include "sb-parse.h"

#define SB_CURSORS_MAX 4096
#define SB_CURSOR_LEN 22 /* 16 random bytes, base64url without padding */

struct sb_cursor {
        char token[SB_CURSOR_LEN + 1]; /* "" for a free slot */
        struct sb_list_query query;
        int64_t last_at;
        char last_id[SB_ID_MAX];
};

struct sb_cursors;

/* Returns 0 and an empty table, or -ENOMEM. */
int sb_cursors_new(struct sb_cursors **ret);
/* Accepts NULL. */
void sb_cursors_free(struct sb_cursors *c);

/* Records a cursor after the order (last_at, last_id) of the listing q and
 * writes its token into ret_token.  Returns 0 or -errno from getrandom(). */
int sb_cursors_add(struct sb_cursors *c, const struct sb_list_query *q, int64_t last_at,
                   const char *last_id, char ret_token[static SB_CURSOR_LEN + 1]);

/* Whether token looks like a cursor (length and alphabet). */
bool sb_cursor_token_valid(const char *token);

/* The cursor named token, or NULL when unknown or forgotten. */
const struct sb_cursor *sb_cursors_find(const struct sb_cursors *c, const char *token);

/* Forgets every cursor; returns how many there were. */
size_t sb_cursors_forget(struct sb_cursors *c);
