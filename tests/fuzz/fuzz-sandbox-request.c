/* fuzz-sandbox-request.c: the sandbox's small request parsers: token form
 * bodies, list query parameters, approve/reject bodies, Authorization
 * headers, and the --listen / fraction option values.  The first byte picks
 * the parser; list parameters are the rest split at newlines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb-options.h"
#include "sb-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void list_query(char *s)
{
        char *parts[3] = { NULL, NULL, NULL }, *p = s;
        struct sb_list_query q;

        for (int i = 0; i < 3 && p; i++) {
                char *nl = strchr(p, '\n');

                parts[i] = p;
                if (nl)
                        *nl = '\0';
                p = nl ? nl + 1 : NULL;
        }
        /* An empty part stands for an absent parameter. */
        for (int i = 0; i < 3; i++)
                if (parts[i] && !*parts[i])
                        parts[i] = NULL;
        (void)sb_list_query_parse(parts[0], parts[1], parts[2], &q);
}

static void form(const char *s, size_t n)
{
        static const char *const keys[] = { "grant_type", "client_id", "client_secret", "" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char *v = NULL;

                if (sb_form_get(s, n, keys[i], &v) >= 0)
                        free(v);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sockaddr_in sa;
        const char *why;
        char *s, *reason = NULL;
        double d;

        if (size < 1 || size > 64 * 1024)
                return 0;
        s = malloc(size);
        if (!s)
                return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        switch (data[0] % 6) {
        case 0:
                form(s, size - 1);
                break;
        case 1:
                list_query(s);
                break;
        case 2:
                if (sb_reject_parse(s, size - 1, &reason, &why) >= 0)
                        free(reason);
                break;
        case 3:
                (void)sb_approve_parse(s, size - 1);
                break;
        case 4:
                (void)sb_bearer_token(s);
                break;
        default:
                (void)sb_parse_listen(s, &sa);
                (void)sb_parse_fraction(s, &d);
                break;
        }
        free(s);
        return 0;
}
