/* jsonscan.c: the splitter of jsonscan.h, a state machine fed byte by byte
 * that skips through the inside of strings and nested values in runs. */
#include "jsonscan.h"

#include <assert.h>

enum {
        S_OPEN, /* blanks, then the opening bracket */
        S_FIRST, /* after the opening bracket: a value (a key) or the close */
        S_NEXT, /* after a comma: a value (a key) */
        S_KEY, /* inside a key's string */
        S_COLON, /* after a key */
        S_VALUE, /* after a colon: the value */
        S_NESTED, /* inside a value that is an array or object */
        S_STRING, /* inside a value that is a string, or a string nested in one */
        S_SCALAR, /* inside a number or literal */
        S_AFTER, /* after a value: a comma or the close */
        S_DONE, /* after the close: blanks only */
        S_FAILED,
};

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that end a number or literal. */
static bool delimiter(char c)
{
        return blank(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"' ||
               c == ':';
}

void jsonscan_init(struct jsonscan *s, char open)
{
        assert(s);
        assert(open == '[' || open == '{');
        *s = (struct jsonscan){
                .state = S_OPEN,
                .open = open,
                .close = open == '[' ? ']' : '}',
                .line = 1,
        };
}

bool jsonscan_in_value(const struct jsonscan *s)
{
        assert(s);
        return s->state == S_NESTED || s->state == S_STRING || s->state == S_SCALAR;
}

static enum jsonscan_event fail(struct jsonscan *s, const char *error)
{
        s->state = S_FAILED;
        s->error = error;
        return JSONSCAN_ERROR;
}

static enum jsonscan_event begin_value(struct jsonscan *s, char c)
{
        if (c == ',' || c == ':' || c == ']' || c == '}')
                return fail(s, s->open == '[' ? "expected a value" : "expected a member's value");
        s->value_start = s->offset;
        s->value_line = s->line;
        s->escaped = false;
        s->depth = 0;
        if (c == '[' || c == '{') {
                s->depth = 1;
                s->state = S_NESTED;
        } else if (c == '"')
                s->state = S_STRING;
        else
                s->state = S_SCALAR;
        return JSONSCAN_MORE;
}

/* The end of a value: its last byte is c, the byte being read (strings,
 * nested values), or the byte before it (numbers, literals). */
static enum jsonscan_event end_value(struct jsonscan *s, bool inclusive)
{
        s->value_end = s->offset + inclusive;
        s->n_values++;
        s->state = S_AFTER;
        return JSONSCAN_VALUE;
}

/* Where a value or key must start: after '[' / '{' or a comma. */
static enum jsonscan_event start_item(struct jsonscan *s, char c, bool first)
{
        if (first && c == s->close) {
                s->state = S_DONE;
                return JSONSCAN_END;
        }
        if (s->open == '[')
                return begin_value(s, c);
        if (c != '"')
                return fail(s,
                            first ? "expected a member's key or '}'" : "expected a member's key");
        s->key_start = s->offset;
        s->escaped = false;
        s->state = S_KEY;
        return JSONSCAN_MORE;
}

/* One byte c, at s->offset, which the caller then counts as consumed
 * unless *ret_consume says otherwise (the byte after a number). */
static enum jsonscan_event step(struct jsonscan *s, char c, bool *ret_consume)
{
        *ret_consume = true;
        switch (s->state) {
        case S_OPEN:
                if (blank(c))
                        return JSONSCAN_MORE;
                if (c != s->open)
                        return fail(s, s->open == '[' ? "expected '['" : "expected '{'");
                s->state = S_FIRST;
                return JSONSCAN_MORE;
        case S_FIRST:
        case S_NEXT:
                if (blank(c))
                        return JSONSCAN_MORE;
                return start_item(s, c, s->state == S_FIRST);
        case S_KEY:
                if (s->escaped)
                        s->escaped = false;
                else if (c == '\\')
                        s->escaped = true;
                else if (c == '"') {
                        s->key_end = s->offset + 1;
                        s->state = S_COLON;
                }
                return JSONSCAN_MORE;
        case S_COLON:
                if (blank(c))
                        return JSONSCAN_MORE;
                if (c != ':')
                        return fail(s, "expected ':' after a member's key");
                s->state = S_VALUE;
                return JSONSCAN_MORE;
        case S_VALUE:
                if (blank(c))
                        return JSONSCAN_MORE;
                return begin_value(s, c);
        case S_STRING:
                if (s->escaped)
                        s->escaped = false;
                else if (c == '\\')
                        s->escaped = true;
                else if (c == '"') {
                        if (s->depth == 0)
                                return end_value(s, true);
                        s->state = S_NESTED;
                }
                return JSONSCAN_MORE;
        case S_NESTED:
                if (c == '"')
                        s->state = S_STRING;
                else if (c == '[' || c == '{')
                        s->depth++;
                else if ((c == ']' || c == '}') && --s->depth == 0)
                        return end_value(s, true);
                return JSONSCAN_MORE;
        case S_SCALAR:
                if (!delimiter(c))
                        return JSONSCAN_MORE;
                *ret_consume = false;
                return end_value(s, false);
        case S_AFTER:
                if (blank(c))
                        return JSONSCAN_MORE;
                if (c == ',') {
                        s->state = S_NEXT;
                        return JSONSCAN_MORE;
                }
                if (c == s->close) {
                        s->state = S_DONE;
                        return JSONSCAN_END;
                }
                return fail(s, s->open == '[' ? "expected ',' or ']' after a value"
                                              : "expected ',' or '}' after a member");
        case S_DONE:
                if (blank(c))
                        return JSONSCAN_MORE;
                return fail(s, "trailing data after the JSON document");
        default:
                return JSONSCAN_ERROR;
        }
}

/* Inside a string or a nested value most bytes change nothing: skip them
 * in a run.  Returns how many of buf[0..len) can be skipped. */
static size_t skip_run(const struct jsonscan *s, const char *buf, size_t len)
{
        size_t i = 0;

        if (s->escaped)
                return 0;
        if (s->state == S_STRING || s->state == S_KEY)
                while (i < len && buf[i] != '"' && buf[i] != '\\' && buf[i] != '\n')
                        i++;
        else if (s->state == S_NESTED)
                while (i < len && buf[i] != '"' && buf[i] != '[' && buf[i] != ']' &&
                       buf[i] != '{' && buf[i] != '}' && buf[i] != '\n')
                        i++;
        return i;
}

enum jsonscan_event jsonscan_feed(struct jsonscan *s, const char *buf, size_t len, size_t *ret_used)
{
        size_t i = 0;

        assert(s);
        assert(buf || len == 0);
        assert(ret_used);
        if (s->state == S_FAILED) {
                *ret_used = 0;
                return JSONSCAN_ERROR;
        }
        while (i < len) {
                enum jsonscan_event ev;
                size_t run = skip_run(s, buf + i, len - i);
                bool consume;

                i += run;
                s->offset += run;
                if (i == len)
                        break;
                ev = step(s, buf[i], &consume);
                if (consume) {
                        s->line += buf[i] == '\n';
                        s->offset++;
                        i++;
                }
                if (ev != JSONSCAN_MORE) {
                        *ret_used = i;
                        return ev;
                }
        }
        *ret_used = i;
        return JSONSCAN_MORE;
}

enum jsonscan_event jsonscan_finish(struct jsonscan *s)
{
        assert(s);
        switch (s->state) {
        case S_DONE:
                return JSONSCAN_END;
        case S_FAILED:
                return JSONSCAN_ERROR;
        case S_OPEN:
                return fail(s, s->open == '[' ? "no JSON array" : "no JSON object");
        default:
                return fail(s, s->open == '[' ? "the JSON array is not closed"
                                              : "the JSON object is not closed");
        }
}
