/* sb-parse.h: parsers for the parts of a request that come from outside
 * (form bodies, list parameters, reject bodies, Authorization headers).
 * They take plain strings so that fuzz targets can call them directly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb-shape.h"

#define SB_PAGE_SIZE_DEFAULT 50
#define SB_PAGE_SIZE_MAX 500
#define SB_PAGE_MAX INT64_C(1000000000)
#define SB_SKIP_MAX INT64_C(1000000000000)

/* Finds key in an application/x-www-form-urlencoded body of len bytes and
 * returns its decoded value (caller frees).  Returns 0, -ENOENT when
 * absent, -EINVAL for a bad %-escape or an embedded NUL, -ENOMEM. */
int sb_form_get(const char *body, size_t len, const char *key, char **ret);

struct sb_list_query {
        int status; /* enum sb_status, or -1 for any */
        int64_t created_from; /* orders created at or after it; INT64_MIN for all */
        int64_t skip; /* orders of the filtered list passed over (page, offset) */
        int64_t page; /* the page shape's page number, from 1 */
        int64_t page_size; /* at most this many orders */
};

/* A listing's parameters as the request has them, each NULL when absent. */
struct sb_list_params {
        const char *status, *created_from;
        const char *position; /* page (page shape) or $skip (offset shape) */
        const char *size; /* pageSize, $top or limit */
};

/* Validates a listing's parameters for shape: status one of the shape's
 * three names, createdFrom an RFC 3339 time, page 1..10^9 or $skip
 * 0..10^12, the size 1..500 (default 50).  Returns 0 or -EINVAL. */
int sb_list_params_parse(enum sb_shape shape, const struct sb_list_params *p,
                         struct sb_list_query *ret);

/* The page shape without createdFrom: status, page, pageSize. */
int sb_list_query_parse(const char *status, const char *page, const char *page_size,
                        struct sb_list_query *ret);

/* Parses a reject body {"reason":"..."} and returns the reason (caller
 * frees).  Returns 0, or -EINVAL with *ret_why set (not JSON, reason
 * missing, not a string, empty or over 500 characters), -ENOMEM. */
int sb_reject_parse(const char *body, size_t len, char **ret, const char **ret_why);

/* An approve body is empty or a JSON object.  Returns 0 or -EINVAL. */
int sb_approve_parse(const char *body, size_t len);

/* Returns the token of "Bearer <token>" (case-insensitive scheme), or NULL. */
const char *sb_bearer_token(const char *authorization);
