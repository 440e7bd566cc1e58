/* fuzz-api-token.c: answers the API client reads as JSON: the token
 * endpoint's 200 answer (api_parse_token()) and the error code of any
 * error answer (api_parse_error_code()).  The input is the body, exactly
 * as received: not NUL-terminated. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No control character: fit for a header. */
static int header_safe(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return 0;
        return 1;
}

/* Printable ASCII without '"' and '\\'. */
static int code_safe(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
                        return 0;
        return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *body = (const char *)data;
        char code[API_ERROR_MAX], *token = NULL;
        uint64_t life = 0;
        size_t n;
        int r;

        r = api_parse_token(body, size, &token, &life);
        if (r == 0) {
                n = strlen(token);
                if (n == 0 || n >= API_TOKEN_MAX || !header_safe(token) ||
                    life < UINT64_C(1000000) || life > UINT64_C(366) * 86400 * 1000000)
                        abort();
                free(token);
        } else if (r != -EBADMSG && r != -ENOMEM)
                abort();

        r = api_parse_error_code(body, size, code, sizeof(code));
        if (r == 1) {
                n = strlen(code);
                if (n == 0 || n >= API_ERROR_MAX || !code_safe(code))
                        abort();
        } else if (r != 0 || code[0] != '\0')
                abort();
        return 0;
}
