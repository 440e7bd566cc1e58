/* sb-auth.h: issued access tokens and the credential checks.  Not thread
 * safe: the caller holds the sandbox lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_TOKENS_MAX 4096
#define SB_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */

struct sb_token {
        char value[SB_TOKEN_LEN + 1];
        uint64_t expires_us; /* monotonic */
};

/* A ring of the most recent tokens: issuing the 4097th forgets the first. */
struct sb_tokens {
        struct sb_token ring[SB_TOKENS_MAX];
        size_t next;
};

/* Writes n_bytes random bytes as base64url without padding into ret,
 * which holds at least (n_bytes * 4 + 2) / 3 + 1 bytes.  Returns 0 or
 * -errno from getrandom(). */
int sb_random_token(char *ret, size_t n_bytes);

/* Issues a token valid for ttl_s seconds from now_us into ret (at least
 * SB_TOKEN_LEN + 1 bytes).  Returns 0 or -errno from getrandom(). */
int sb_tokens_issue(struct sb_tokens *t, int64_t ttl_s, uint64_t now_us, char *ret);

/* Whether token was issued and has not expired at now_us. */
bool sb_tokens_valid(const struct sb_tokens *t, const char *token, uint64_t now_us);

/* Compares secrets in time independent of where they differ. */
bool sb_secret_equal(const char *a, const char *b);
