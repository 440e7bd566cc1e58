/* fuzz-api.c: the daemon's parsers of outside input that are its own: a
 * Retry-After value, URLs and origins from order links, and the escaping
 * and truncation of order text for logs and reject reasons.  The input is
 * split at its first NUL: before it a base URL, after it the other text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No control character, C0 or C1, no line or paragraph separator, no bidi
 * override or isolate survives log_escape(). */
static int escaped_is_safe(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;

        for (; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
                        return 0;
                if (p[0] == 0xe2 && p[1] == 0x80 &&
                    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xa8 && p[2] <= 0xae)))
                        return 0;
                if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
                        return 0;
        }
        return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 2), *a, *b, esc[LOG_ESCAPE_MAX], *cut;
        const char *nul;
        int64_t s;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = buf[size + 1] = '\0';
        a = buf;
        nul = memchr(buf, '\0', size);
        b = nul ? buf + (nul - buf) + 1 : buf;
        if (api_parse_retry_after(b, 1795694400, &s) == 0 && (s < 0 || s > API_RETRY_AFTER_MAX_S))
                abort();
        (void)api_check_url(a);
        if (api_same_origin(a, b) == 1 && api_same_origin(b, a) != 1)
                abort(); /* the relation is symmetric */
        log_escape(b, esc, sizeof(esc));
        if (strlen(esc) >= sizeof(esc) || !escaped_is_safe(esc))
                abort();
        cut = utf8_truncate(b, size % 600);
        if (cut && strlen(cut) > size % 600)
                abort();
        free(cut);
        free(buf);
        return 0;
}
