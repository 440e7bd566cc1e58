/* jsonw.h: JSON text written through one buffer.  `evaluate` writes a line
 * per order, mostly constant pieces: they are copied inline, strings are
 * escaped in runs, and the stream sees one write per 64 KiB. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define JSONW_BUF_SIZE (64 * 1024)

struct jsonw {
        FILE *f;
        char buf[JSONW_BUF_SIZE];
        size_t n; /* bytes in buf */
        size_t n_flushes; /* while unchanged, what was written since is still in buf */
        bool failed; /* a write to f failed; later writes are still tried */
};

/* Starts an empty writer to f. */
void jsonw_init(struct jsonw *w, FILE *f);

/* Writes out what is buffered (not fflush(): f keeps its own buffer). */
void jsonw_flush(struct jsonw *w);

/* jsonw_raw()'s path when s does not fit in what is left of buf. */
void jsonw_raw_slow(struct jsonw *w, const char *s, size_t len);

/* Writes len bytes of s as they are: JSON syntax, or text already escaped. */
static inline __attribute__((always_inline)) void jsonw_raw(struct jsonw *w, const char *s,
                                                            size_t len)
{
        if (len > sizeof(w->buf) || w->n + len > sizeof(w->buf)) {
                jsonw_raw_slow(w, s, len);
                return;
        }
        memcpy(w->buf + w->n, s, len);
        w->n += len;
}

/* Writes s as a JSON string: quotes, backslashes and control characters
 * escaped, each byte of invalid UTF-8 replaced by U+FFFD; NULL as null. */
void jsonw_string(struct jsonw *w, const char *s);
