/* sb-auth.c: opaque random bearer tokens with a monotonic expiry. */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sb-auth.h"
#include "util.h"

static void base64url(const uint8_t *in, size_t n, char *out)
{
        static const char abc[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        uint32_t acc = 0;
        int bits = 0;

        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        *out++ = abc[(acc >> bits) & 63];
                }
        }
        if (bits > 0)
                *out++ = abc[(acc << (6 - bits)) & 63];
        *out = '\0';
}

int sb_random_token(char *ret, size_t n_bytes)
{
        uint8_t raw[64];

        assert(ret && n_bytes <= sizeof(raw));
        if (getrandom(raw, n_bytes, 0) != (ssize_t)n_bytes)
                return errno > 0 ? -errno : -EIO;
        base64url(raw, n_bytes, ret);
        return 0;
}

int sb_tokens_issue(struct sb_tokens *t, int64_t ttl_s, uint64_t now_us, char *ret)
{
        struct sb_token *slot = &t->ring[t->next];
        int r;

        r = sb_random_token(slot->value, 32);
        if (r < 0)
                return r;
        slot->expires_us = now_us + (uint64_t)ttl_s * 1000000u;
        t->next = (t->next + 1) % SB_TOKENS_MAX;
        memcpy(ret, slot->value, sizeof(slot->value));
        return 0;
}

bool sb_tokens_valid(const struct sb_tokens *t, const char *token, uint64_t now_us)
{
        if (strlen(token) != SB_TOKEN_LEN)
                return false;
        for (size_t i = 0; i < SB_TOKENS_MAX; i++)
                if (t->ring[i].value[0] && streq(t->ring[i].value, token))
                        return now_us < t->ring[i].expires_us;
        return false;
}

bool sb_secret_equal(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b);
        unsigned char d = na != nb;

        for (size_t i = 0; i < na; i++)
                d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
        return d == 0 && nb > 0;
}
