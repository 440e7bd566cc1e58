/* sb-options.c: command-line parsing and the --help text, which documents
 * every option with its default. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "sb-options.h"
#include "timeutil.h"
#include "util.h"

static void help(void)
{
        printf("Usage: appxite-sandbox [OPTIONS]\n"
               "\n"
               "A local stand-in for the AppXite Public API order-approval operations\n"
               "(contract: docs/appxite-api.md).  Prints 'listening on http://ADDR:PORT'\n"
               "as its first line on stdout (and 'foreign on http://ADDR:PORT' when\n"
               "--foreign-links or --foreign-next-link is set), then serves until\n"
               "SIGTERM or SIGINT.\n"
               "\n"
               "  --listen ADDR:PORT         IPv4 address and port (default 127.0.0.1:%d;\n"
               "                             port 0 picks a free one; a bare PORT means\n"
               "                             127.0.0.1:PORT)\n"
               "  --seed N                   create N pending orders (default 0, at most %d)\n"
               "  --rng-seed S               seed of the pseudo-random generator behind\n"
               "                             --seed, --fail-rate and --foreign-links (default 1)\n"
               "  --seed-start TIME          createdAt of the first seeded order, RFC 3339;\n"
               "                             later ones follow 1-120 s apart (default %s)\n"
               "  --orders FILE              load orders from a JSON array instead of seeding\n"
               "  --client-id ID             OAuth client id (default %s)\n"
               "  --client-secret SECRET     OAuth client secret (default %s)\n"
               "  --subscription-key KEY     Ocp-Apim-Subscription-Key (default %s)\n"
               "  --token-ttl S              access token lifetime in seconds (default 3600)\n"
               "  --latency-ms N             delay every answer by N ms (default 0, max 60000;\n"
               "                             /_sandbox/ requests are not delayed)\n"
               "  --fail-rate F              answer that fraction of /orders requests with\n"
               "                             503 (default 0)\n"
               "  --rate-limit RPS           more than RPS /orders requests within one second\n"
               "                             get 429 with Retry-After (default 0 = no limit)\n"
               "  --foreign-links F          give that fraction of orders approve/reject links\n"
               "                             on a second listener that records every request\n"
               "                             (default 0 = no second listener)\n"
               "  --foreign-listen ADDR:PORT address of that listener (default: the --listen\n"
               "                             address, port 0)\n"
               "  --shape page|offset|next   the request shape (test shapes, not AppXite's):\n"
               "                             page: /orders?page=&pageSize=, {\"items\": [...]}\n"
               "                             (default); offset: /api/v3/orders?$skip=&$top=,\n"
               "                             {\"value\": [...]}; next: /orders?limit=, then the\n"
               "                             cursor of {\"data\": [...], \"nextLink\": URL},\n"
               "                             statuses pending, approved, rejected\n"
               "  --foreign-next-link        with --shape next: nextLink URLs point at the\n"
               "                             foreign listener, which records and refuses them\n"
               "  --require-scope S          the token request must carry scope=S, else 400\n"
               "                             invalid_scope (default: scope not checked)\n"
               "  --tiers LIST               the parties that must approve each order, of\n"
               "                             distributor and seller, comma-separated, the\n"
               "                             seller always among them (default: seller); with\n"
               "                             two, orders list \"approvals\" and stay pending\n"
               "                             until both approve\n"
               "  --webhook URL              POST an OrderPendingApproval event to URL (http\n"
               "                             or https) for every order the create calls add\n"
               "                             (not for --seed or --orders ones), from a thread\n"
               "                             of its own, up to 5 attempts each\n"
               "  --webhook-authorization VALUE\n"
               "                             send 'Authorization: VALUE' with every event\n"
               "                             (default: no Authorization header)\n"
               "  --tls-cert FILE            serve HTTPS with this PEM certificate ...\n"
               "  --tls-key FILE             ... and this PEM key (both or neither; needs\n"
               "                             libmicrohttpd built with TLS)\n"
               "  -h, --help                 show this help\n"
               "  --version                  show the version\n"
               "\n"
               "Control calls, for tests (no credentials, not delayed):\n"
               "  GET /_sandbox/stats        answers by status, calls per order, foreign\n"
               "                             requests, webhook counters\n"
               "  POST /_sandbox/orders      create an order without the gate\n"
               "  POST /_sandbox/orders/ID/PARTY/approve (or /reject)\n"
               "                             decide as PARTY (distributor or seller; a person\n"
               "                             in the seller's portal is seller)\n"
               "  POST /_sandbox/webhook     queue events on demand: {\"kind\": \"duplicate\"|\n"
               "                             \"wrong-auth\"|\"no-auth\"|\"bad-json\"|\n"
               "                             \"unknown-order\", \"id\": ID, \"count\": N}\n"
               "  DELETE /_sandbox/cursors   forget every cursor (--shape next)\n",
               SB_DEFAULT_PORT, SB_SEED_MAX, SB_DEFAULT_SEED_START, SB_DEFAULT_CLIENT_ID,
               SB_DEFAULT_CLIENT_SECRET, SB_DEFAULT_SUBSCRIPTION_KEY);
}

int sb_parse_listen(const char *s, struct sockaddr_in *ret)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
        char host[INET_ADDRSTRLEN];
        int64_t p;

        if (safe_atoi64_range(port, 0, 65535, &p) < 0)
                return -EINVAL;
        sa.sin_port = htons((uint16_t)p);
        if (!colon) {
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        } else {
                if ((size_t)(colon - s) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = '\0';
                if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                        return -EINVAL;
        }
        *ret = sa;
        return 0;
}

bool sb_options_foreign_listener(const struct sb_options *o)
{
        assert(o);
        return o->foreign_rate > 0 || o->foreign_next_link;
}

int sb_parse_fraction(const char *s, double *ret)
{
        char *end;
        double d;

        if (!*s || strchr(" \t\n", *s))
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno != 0 || *end || !isfinite(d) || d < 0 || d > 1)
                return -EINVAL;
        *ret = d;
        return 0;
}

/* Whether s holds a control character (a CR or LF would split a header). */
static bool has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

bool sb_webhook_url_valid(const char *s)
{
        assert(s);
        if (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0)
                return false;
        return strlen(s) <= SB_WEBHOOK_URL_MAX && !has_control(s) && !strchr(s, ' ');
}

enum {
        OPT_LISTEN = 0x100,
        OPT_SEED,
        OPT_RNG_SEED,
        OPT_SEED_START,
        OPT_ORDERS,
        OPT_CLIENT_ID,
        OPT_CLIENT_SECRET,
        OPT_SUBSCRIPTION_KEY,
        OPT_TOKEN_TTL,
        OPT_LATENCY,
        OPT_FAIL_RATE,
        OPT_RATE_LIMIT,
        OPT_FOREIGN_LINKS,
        OPT_FOREIGN_LISTEN,
        OPT_TLS_CERT,
        OPT_TLS_KEY,
        OPT_TIERS,
        OPT_WEBHOOK,
        OPT_WEBHOOK_AUTHORIZATION,
        OPT_SHAPE,
        OPT_REQUIRE_SCOPE,
        OPT_FOREIGN_NEXT_LINK,
        OPT_VERSION,
};

static const struct option options[] = {
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "seed", required_argument, NULL, OPT_SEED },
        { "rng-seed", required_argument, NULL, OPT_RNG_SEED },
        { "seed-start", required_argument, NULL, OPT_SEED_START },
        { "orders", required_argument, NULL, OPT_ORDERS },
        { "client-id", required_argument, NULL, OPT_CLIENT_ID },
        { "client-secret", required_argument, NULL, OPT_CLIENT_SECRET },
        { "subscription-key", required_argument, NULL, OPT_SUBSCRIPTION_KEY },
        { "token-ttl", required_argument, NULL, OPT_TOKEN_TTL },
        { "latency-ms", required_argument, NULL, OPT_LATENCY },
        { "fail-rate", required_argument, NULL, OPT_FAIL_RATE },
        { "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
        { "foreign-links", required_argument, NULL, OPT_FOREIGN_LINKS },
        { "foreign-listen", required_argument, NULL, OPT_FOREIGN_LISTEN },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key", required_argument, NULL, OPT_TLS_KEY },
        { "tiers", required_argument, NULL, OPT_TIERS },
        { "webhook", required_argument, NULL, OPT_WEBHOOK },
        { "webhook-authorization", required_argument, NULL, OPT_WEBHOOK_AUTHORIZATION },
        { "shape", required_argument, NULL, OPT_SHAPE },
        { "require-scope", required_argument, NULL, OPT_REQUIRE_SCOPE },
        { "foreign-next-link", no_argument, NULL, OPT_FOREIGN_NEXT_LINK },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        {},
};

static void set_defaults(struct sb_options *o)
{
        *o = (struct sb_options){
                .rng_seed = 1,
                .client_id = SB_DEFAULT_CLIENT_ID,
                .client_secret = SB_DEFAULT_CLIENT_SECRET,
                .subscription_key = SB_DEFAULT_SUBSCRIPTION_KEY,
                .token_ttl = 3600,
        };
        sb_tiers_default(&o->tiers);
        (void)sb_parse_listen("127.0.0.1:8080", &o->listen);
        (void)timestamp_parse(SB_DEFAULT_SEED_START, &o->seed_start);
}

/* Applies one option with an argument; returns 0 or -EINVAL. */
static int apply(struct sb_options *o, int c, const char *arg, bool *foreign_listen_set)
{
        int64_t v;
        int r = 0;

        switch (c) {
        case OPT_LISTEN:
                return sb_parse_listen(arg, &o->listen);
        case OPT_FOREIGN_LISTEN:
                *foreign_listen_set = true;
                return sb_parse_listen(arg, &o->foreign_listen);
        case OPT_SEED:
                return safe_atoi64_range(arg, 0, SB_SEED_MAX, &o->seed);
        case OPT_RNG_SEED:
                r = safe_atoi64_range(arg, 0, INT64_MAX, &v);
                if (r >= 0)
                        o->rng_seed = (uint64_t)v;
                return r;
        case OPT_SEED_START:
                return timestamp_parse(arg, &o->seed_start);
        case OPT_TOKEN_TTL:
                return safe_atoi64_range(arg, 1, 365 * 86400, &o->token_ttl);
        case OPT_LATENCY:
                return safe_atoi64_range(arg, 0, 60000, &o->latency_ms);
        case OPT_RATE_LIMIT:
                return safe_atoi64_range(arg, 0, 1000000, &o->rate_limit);
        case OPT_FAIL_RATE:
                return sb_parse_fraction(arg, &o->fail_rate);
        case OPT_FOREIGN_LINKS:
                return sb_parse_fraction(arg, &o->foreign_rate);
        case OPT_ORDERS:
                o->orders_file = arg;
                return 0;
        case OPT_CLIENT_ID:
                o->client_id = arg;
                return *arg ? 0 : -EINVAL;
        case OPT_CLIENT_SECRET:
                o->client_secret = arg;
                return *arg ? 0 : -EINVAL;
        case OPT_SUBSCRIPTION_KEY:
                o->subscription_key = arg;
                return *arg ? 0 : -EINVAL;
        case OPT_TLS_CERT:
                o->tls_cert = arg;
                return 0;
        case OPT_TLS_KEY:
                o->tls_key = arg;
                return 0;
        case OPT_TIERS:
                return sb_tiers_parse(arg, &o->tiers);
        case OPT_WEBHOOK:
                o->webhook_url = arg;
                return sb_webhook_url_valid(arg) ? 0 : -EINVAL;
        case OPT_WEBHOOK_AUTHORIZATION:
                o->webhook_authorization = arg;
                return *arg && !has_control(arg) ? 0 : -EINVAL;
        case OPT_SHAPE:
                r = sb_shape_from_string(arg);
                if (r >= 0)
                        o->shape = (enum sb_shape)r;
                return r < 0 ? r : 0;
        case OPT_REQUIRE_SCOPE:
                o->require_scope = arg;
                return *arg ? 0 : -EINVAL;
        case OPT_FOREIGN_NEXT_LINK:
                o->foreign_next_link = true;
                return 0;
        }
        return -EINVAL;
}

static int check(struct sb_options *o, bool foreign_listen_set)
{
        if (!foreign_listen_set) {
                o->foreign_listen = o->listen;
                o->foreign_listen.sin_port = 0;
        }
        if (!!o->tls_cert != !!o->tls_key) {
                fprintf(stderr, "appxite-sandbox: --tls-cert and --tls-key go together\n");
                return -EINVAL;
        }
        if (o->foreign_next_link && o->shape != SB_SHAPE_NEXT) {
                fprintf(stderr, "appxite-sandbox: --foreign-next-link needs --shape next\n");
                return -EINVAL;
        }
        if (o->webhook_authorization && !o->webhook_url) {
                fprintf(stderr, "appxite-sandbox: --webhook-authorization needs --webhook\n");
                return -EINVAL;
        }
        if (o->orders_file && o->seed > 0) {
                fprintf(stderr, "appxite-sandbox: --orders and --seed exclude each other\n");
                return -EINVAL;
        }
        return 1;
}

int sb_options_parse(int argc, char *argv[], struct sb_options *ret)
{
        struct sb_options o;
        bool foreign_listen_set = false;
        int c;

        set_defaults(&o);
        optind = 1;
        for (;;) {
                c = getopt_long(argc, argv, "h", options, NULL);
                if (c < 0)
                        break;
                if (c == 'h') {
                        help();
                        return 0;
                }
                if (c == OPT_VERSION) {
                        printf("appxite-sandbox %s\n", APPROVALD_VERSION);
                        return 0;
                }
                if (c == '?')
                        return -EINVAL;
                if (apply(&o, c, optarg, &foreign_listen_set) < 0) {
                        /* a secret's value is not repeated on the terminal */
                        bool secret = c == OPT_CLIENT_SECRET || c == OPT_SUBSCRIPTION_KEY ||
                                      c == OPT_WEBHOOK_AUTHORIZATION;

                        fprintf(stderr, "appxite-sandbox: invalid value for --%s%s%s%s\n",
                                options[c - OPT_LISTEN].name, secret ? "" : ": '",
                                secret ? "" : optarg, secret ? "" : "'");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "appxite-sandbox: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        c = check(&o, foreign_listen_set);
        if (c > 0)
                *ret = o;
        return c;
}
