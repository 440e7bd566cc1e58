/* sb-cursor.c: a ring of cursor records, searched linearly (4,096 short
 * compares per page request: microseconds). */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "sb-auth.h"
#include "sb-cursor.h"
#include "util.h"

struct sb_cursors {
        struct sb_cursor ring[SB_CURSORS_MAX];
        size_t next;
};

int sb_cursors_new(struct sb_cursors **ret)
{
        assert(ret);
        *ret = calloc(1, sizeof(struct sb_cursors));
        return *ret ? 0 : -ENOMEM;
}

void sb_cursors_free(struct sb_cursors *c)
{
        free(c);
}

int sb_cursors_add(struct sb_cursors *c, const struct sb_list_query *q, int64_t last_at,
                   const char *last_id, char ret_token[static SB_CURSOR_LEN + 1])
{
        struct sb_cursor *slot;
        int r;

        assert(c && q && last_id && strlen(last_id) < SB_ID_MAX);
        slot = &c->ring[c->next];
        r = sb_random_token(slot->token, 16);
        if (r < 0) {
                slot->token[0] = '\0';
                return r;
        }
        slot->query = *q;
        slot->last_at = last_at;
        memcpy(slot->last_id, last_id, strlen(last_id) + 1);
        c->next = (c->next + 1) % SB_CURSORS_MAX;
        memcpy(ret_token, slot->token, SB_CURSOR_LEN + 1);
        return 0;
}

bool sb_cursor_token_valid(const char *token)
{
        static const char abc[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

        assert(token);
        return strlen(token) == SB_CURSOR_LEN && strspn(token, abc) == SB_CURSOR_LEN;
}

const struct sb_cursor *sb_cursors_find(const struct sb_cursors *c, const char *token)
{
        assert(c && token);
        if (!sb_cursor_token_valid(token))
                return NULL;
        for (size_t i = 0; i < SB_CURSORS_MAX; i++)
                if (streq(c->ring[i].token, token))
                        return &c->ring[i];
        return NULL;
}

size_t sb_cursors_forget(struct sb_cursors *c)
{
        size_t n = 0;

        assert(c);
        for (size_t i = 0; i < SB_CURSORS_MAX; i++) {
                n += c->ring[i].token[0] != '\0';
                c->ring[i].token[0] = '\0';
        }
        return n;
}
