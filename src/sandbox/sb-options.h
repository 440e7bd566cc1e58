/* sb-options.h: the command line of appxite-sandbox. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "sb-shape.h"
#include "sb-tiers.h"

struct sb_options {
        struct sockaddr_in listen; /* --listen, default 127.0.0.1:8080 */
        struct sockaddr_in foreign_listen; /* --foreign-listen, default <listen address>:0 */
        int64_t seed; /* --seed N pending orders, default 0 */
        uint64_t rng_seed; /* --rng-seed, default 1 */
        int64_t seed_start; /* --seed-start, createdAt of the first seeded order */
        const char *orders_file; /* --orders */
        const char *client_id, *client_secret, *subscription_key;
        int64_t latency_ms; /* --latency-ms, default 0 */
        double fail_rate; /* --fail-rate, default 0 */
        int64_t rate_limit; /* --rate-limit requests per second, 0 = off */
        int64_t token_ttl; /* --token-ttl seconds, default 3600 */
        double foreign_rate; /* --foreign-links, default 0 */
        const char *tls_cert, *tls_key;
        struct sb_tiers tiers; /* --tiers, default the seller alone */
        const char *webhook_url; /* --webhook, NULL = no events */
        const char *webhook_authorization; /* --webhook-authorization, NULL = no header */
        enum sb_shape shape; /* --shape, default page */
        const char *require_scope; /* --require-scope, NULL = any or none */
        bool foreign_next_link; /* --foreign-next-link: next links on the foreign listener */
};

#define SB_DEFAULT_PORT 8080
#define SB_DEFAULT_CLIENT_ID "demo-client"
#define SB_DEFAULT_CLIENT_SECRET "demo-secret"
#define SB_DEFAULT_SUBSCRIPTION_KEY "demo-key"
#define SB_DEFAULT_SEED_START "2026-01-01T00:00:00Z"
#define SB_SEED_MAX 1000000
#define SB_WEBHOOK_URL_MAX 2048

/* Parses argv into *ret (strings point into argv).  Returns 1 to run, 0
 * when --help or --version was printed, or -EINVAL after printing the
 * reason to stderr. */
int sb_options_parse(int argc, char *argv[], struct sb_options *ret);

/* Whether the foreign listener runs (--foreign-links or
 * --foreign-next-link). */
bool sb_options_foreign_listener(const struct sb_options *o);

/* Parses "A.B.C.D:PORT" or "PORT" (address 127.0.0.1).  Returns 0 or
 * -EINVAL. */
int sb_parse_listen(const char *s, struct sockaddr_in *ret);

/* Whether s is a --webhook URL: http:// or https://, at most
 * SB_WEBHOOK_URL_MAX bytes, no spaces or control characters. */
bool sb_webhook_url_valid(const char *s);

/* Parses a fraction in [0, 1] ("0.25").  Returns 0 or -EINVAL. */
int sb_parse_fraction(const char *s, double *ret);
