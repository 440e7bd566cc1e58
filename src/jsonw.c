/* jsonw.c: the buffered JSON writer of jsonw.h. */
#include "jsonw.h"

#include <assert.h>

#include "utf8.h"

void jsonw_init(struct jsonw *w, FILE *f)
{
        assert(w);
        assert(f);
        w->f = f;
        w->n = 0;
        w->n_flushes = 0;
        w->failed = false;
}

void jsonw_flush(struct jsonw *w)
{
        assert(w);
        w->n_flushes++;
        if (w->n > 0 && fwrite(w->buf, 1, w->n, w->f) != w->n)
                w->failed = true;
        w->n = 0;
}

void jsonw_raw_slow(struct jsonw *w, const char *s, size_t len)
{
        assert(w);
        jsonw_flush(w);
        if (len > sizeof(w->buf)) {
                if (fwrite(s, 1, len, w->f) != len)
                        w->failed = true;
                return;
        }
        memcpy(w->buf, s, len);
        w->n = len;
}

/* Bytes that a JSON string cannot carry as they are: control characters,
 * '"', '\\', and every non-ASCII byte (checked as UTF-8 one sequence at a
 * time); everything else is copied in runs. */
static const bool special[256] = {
        [0 ... 0x1f] = true,
        ['"'] = true,
        ['\\'] = true,
        [0x80 ... 0xff] = true,
};

static void escape_byte(struct jsonw *w, unsigned char c)
{
        static const char hex[] = "0123456789abcdef";
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

        if (c >= 0x80)
                jsonw_raw(w, "\\ufffd", 6);
        else if (c == '"' || c == '\\') {
                esc[1] = (char)c;
                jsonw_raw(w, esc, 2);
        } else
                jsonw_raw(w, esc, 6);
}

void jsonw_string(struct jsonw *w, const char *s)
{
        const unsigned char *p = (const unsigned char *)s, *run;

        assert(w);
        if (!s) {
                jsonw_raw(w, "null", 4);
                return;
        }
        jsonw_raw(w, "\"", 1);
        for (run = p; *p;) {
                size_t l;

                if (!special[*p]) {
                        p++;
                        continue;
                }
                if (*p >= 0x80 && (l = utf8_decode((const char *)p, NULL)) > 0) {
                        p += l;
                        continue;
                }
                jsonw_raw(w, (const char *)run, (size_t)(p - run));
                escape_byte(w, *p);
                p++;
                run = p;
        }
        jsonw_raw(w, (const char *)run, (size_t)(p - run));
        jsonw_raw(w, "\"", 1);
}
