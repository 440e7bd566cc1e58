/* sb-parse.h: parsers for the parts of a request that come from outside
 * (form bodies, list parameters, reject bodies, Authorization headers).
 * They take plain strings so that fuzz targets can call them directly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_PAGE_SIZE_DEFAULT 50
#define SB_PAGE_SIZE_MAX 500
#define SB_PAGE_MAX INT64_C(1000000000)

/* Finds key in an application/x-www-form-urlencoded body of len bytes and
 * returns its decoded value (caller frees).  Returns 0, -ENOENT when
 * absent, -EINVAL for a bad %-escape or an embedded NUL, -ENOMEM. */
int sb_form_get(const char *body, size_t len, const char *key, char **ret);

struct sb_list_query {
        int status; /* enum sb_status, or -1 for any */
        int64_t created_from; /* orders created at or after it; INT64_MIN for all */
        int64_t page, page_size;
};

/* Validates the list parameters of the page shape (each NULL when
 * absent): status one of the three names, page 1..10^9, pageSize 1..500.
 * created_from is set to INT64_MIN.  Returns 0 or -EINVAL. */
int sb_list_query_parse(const char *status, const char *page, const char *page_size,
                        struct sb_list_query *ret);

/* Sets q->created_from from createdFrom (NULL when absent: every order),
 * an RFC 3339 time.  Returns 0 or -EINVAL. */
int sb_list_created_from_parse(const char *created_from, struct sb_list_query *q);

/* Parses a reject body {"reason":"..."} and returns the reason (caller
 * frees).  Returns 0, or -EINVAL with *ret_why set (not JSON, reason
 * missing, not a string, empty or over 500 characters), -ENOMEM. */
int sb_reject_parse(const char *body, size_t len, char **ret, const char **ret_why);

/* An approve body is empty or a JSON object.  Returns 0 or -EINVAL. */
int sb_approve_parse(const char *body, size_t len);

/* Returns the token of "Bearer <token>" (case-insensitive scheme), or NULL. */
const char *sb_bearer_token(const char *authorization);
