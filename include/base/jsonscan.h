/* jsonscan.h: finds the top-level values of a JSON array, or the members
 * of a JSON object, in a stream of bytes, without parsing them: it follows
 * only strings, their escapes and the depth of brackets.  Each value's
 * bytes can then go to cJSON one at a time, so memory stays flat however
 * long the array.  Whether a value is valid JSON is the parser's business;
 * the scanner checks the commas, colons and brackets between values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jsonscan_event {
        JSONSCAN_MORE, /* every byte given was consumed: feed more, or finish */
        JSONSCAN_VALUE, /* a value ended: value_start..value_end */
        JSONSCAN_END, /* the array or object closed; only blanks may follow */
        JSONSCAN_ERROR, /* malformed: error says what, line where */
};

struct jsonscan {
        /* private */
        uint8_t state;
        char open, close; /* '[' ']' or '{' '}' */
        bool escaped;
        uint64_t depth;
        /* read-only for the caller; offsets count from the first byte fed */
        uint64_t offset; /* bytes consumed */
        uint64_t line; /* line of the next byte, from 1 (the caller may set it before feeding) */
        uint64_t value_start, value_end; /* the last value: [start, end) */
        uint64_t value_line; /* the line its first byte is on */
        uint64_t key_start, key_end; /* objects: that value's key, quotes included */
        uint64_t n_values; /* values ended so far */
        const char *error; /* JSONSCAN_ERROR: what was expected */
};

/* Starts a scan of blanks, then an array (open '[') or an object ('{'). */
void jsonscan_init(struct jsonscan *s, char open);

/* Scans buf[0..len), the bytes from s->offset on, up to the next event and
 * returns it; *ret_used says how many of the bytes were consumed.  A value
 * that is a bare number or literal ends at the byte after it, which is not
 * consumed.  After JSONSCAN_ERROR the scan stays failed. */
enum jsonscan_event jsonscan_feed(struct jsonscan *s, const char *buf, size_t len,
                                  size_t *ret_used);

/* At the end of the input: JSONSCAN_END when the array or object closed
 * (and only blanks followed), else JSONSCAN_ERROR with error set. */
enum jsonscan_event jsonscan_finish(struct jsonscan *s);

/* True while a value has begun and not yet ended: its bytes from
 * value_start on are still needed. */
bool jsonscan_in_value(const struct jsonscan *s);
