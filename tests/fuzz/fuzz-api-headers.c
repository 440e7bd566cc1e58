/* fuzz-api-headers.c: the response-header callbacks' parsing.  The input,
 * cut into lines after each '\n', goes to api_headers_feed() line by line
 * as libcurl hands lines over (not NUL-terminated); each line is also
 * read as a WWW-Authenticate value, and the Retry-After kept at the end is
 * parsed as the client would. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A Bearer error="invalid_token" holds both words once the quoted pairs'
 * backslashes are gone. */
static int mentions_both(const char *s, size_t n)
{
        char *c = malloc(n + 1);
        size_t k = 0;
        int r;

        if (!c)
                return 1;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '\\' && s[i] != '\0')
                        c[k++] = s[i];
        c[k] = '\0';
        r = strstr(c, "invalid_token") && strcasestr(c, "bearer");
        free(c);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        struct api_headers h = { 0 };
        int64_t s;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p), before = h.size;
                int r = api_headers_feed(&h, p, len);

                if (r == 0 && h.size != before + len)
                        abort();
                if (r < 0 && (r != -EMSGSIZE || h.size != before))
                        abort();
                if (h.size > API_HEADERS_MAX || !memchr(h.retry_after, '\0', sizeof(h.retry_after)))
                        abort();
                r = api_www_authenticate_invalid_token(p, len);
                if (r != 0 && (r != 1 || !mentions_both(p, len)))
                        abort();
                p += len;
        }
        if (h.retry_after[0] && api_parse_retry_after(h.retry_after, 1795694400, &s) == 0 &&
            (s < 0 || s > API_RETRY_AFTER_MAX_S))
                abort();
        return 0;
}
