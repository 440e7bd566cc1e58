/* main.c: appxite-sandbox starts here: parse options, fill the store, start
 * the webhook sender and the listeners, print the address, and wait for
 * SIGTERM/SIGINT.  The
 * signals are blocked in every thread and taken with sigwait(), so no
 * handler runs inside libmicrohttpd's threads. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <curl/curl.h>

#include "sb-seed.h"
#include "sb-server.h"

static int fill_store(struct sandbox *sb)
{
        struct sb_rng rng;
        char why[256] = "";
        int r;

        sb_rng_init(&rng, sb->opt.rng_seed);
        if (sb->opt.orders_file) {
                r = sb_seed_load_file(sb->store, sb->opt.orders_file, why, sizeof(why));
                if (r < 0)
                        fprintf(stderr, "appxite-sandbox: %s: %s\n", sb->opt.orders_file, why);
                return r;
        }
        r = sb_seed_generate(sb->store, &rng, sb->opt.seed, sb->opt.seed_start);
        if (r < 0)
                fprintf(stderr, "appxite-sandbox: cannot seed orders: %s\n", strerror(-r));
        return r;
}

/* Decides which orders get foreign links, from their own RNG stream so
 * that --foreign-links does not change the generated orders. */
static void mark_foreign(struct sandbox *sb)
{
        sb_rng_init(&sb->foreign_rng, sb->opt.rng_seed ^ UINT64_C(0xf0e1d2c3b4a59687));
        if (sb->opt.foreign_rate <= 0)
                return;
        for (size_t i = 0; i < sb_store_count(sb->store); i++)
                sb_store_at(sb->store, i)->foreign =
                        sb_rng_double(&sb->foreign_rng) < sb->opt.foreign_rate;
}

static int sandbox_init(struct sandbox *sb, const struct sb_options *opt)
{
        int r;

        *sb = (struct sandbox){ .opt = *opt };
        pthread_mutex_init(&sb->lock, NULL);
        sb_faults_init(&sb->faults, opt->rate_limit, opt->fail_rate, opt->rng_seed);
        r = sb_stats_init(&sb->stats);
        if (r < 0)
                return r;
        r = sb_store_new(&sb->store);
        if (r < 0)
                return r;
        r = sb_cursors_new(&sb->cursors);
        if (r < 0)
                return r;
        r = fill_store(sb);
        if (r < 0)
                return r;
        mark_foreign(sb);
        if (!opt->webhook_url)
                return 0;
        r = sb_webhook_new(&sb->webhook, opt->webhook_url, opt->webhook_authorization);
        if (r < 0)
                fprintf(stderr, "appxite-sandbox: cannot start the webhook sender: %s\n",
                        strerror(-r));
        return r;
}

/* The listeners stop first, so that no request queues an event while the
 * webhook sender goes. */
static void sandbox_done(struct sandbox *sb)
{
        sb_http_stop(sb);
        sb_webhook_free(sb->webhook);
        sb_store_free(sb->store);
        sb_cursors_free(sb->cursors);
        sb_stats_done(&sb->stats);
        pthread_mutex_destroy(&sb->lock);
}

static int serve(struct sandbox *sb, const sigset_t *mask)
{
        int sig, r;

        r = sb_http_start(sb);
        if (r == -EOPNOTSUPP) {
                fprintf(stderr, "appxite-sandbox: this libmicrohttpd was built without TLS\n");
                return r;
        }
        if (r < 0) {
                fprintf(stderr, "appxite-sandbox: cannot start listening: %s\n", strerror(-r));
                return r;
        }
        printf("listening on %s\n", sb->origin);
        if (sb->foreign_daemon)
                printf("foreign on %s\n", sb->foreign_origin);
        fflush(stdout);
        r = sigwait(mask, &sig);
        return r == 0 ? 0 : -r;
}

int main(int argc, char *argv[])
{
        struct sb_options opt;
        struct sandbox sb;
        sigset_t mask;
        int r;

        r = sb_options_parse(argc, argv, &opt);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        /* Blocked before any thread starts, so every thread inherits it. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "appxite-sandbox: cannot initialise libcurl\n");
                return 1;
        }
        r = sandbox_init(&sb, &opt);
        if (r >= 0)
                r = serve(&sb, &mask);
        sandbox_done(&sb);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
