/* cmd-check.c: `approvald check`, the seller's dry run of rules.yaml: every
 * problem as FILE:LINE:COLUMN: message, or one summary line.  It needs no
 * network and no credentials; missing credentials are only a warning. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "util.h"

static const char *const credential_files[] = { "subscription-key", "client-id", "client-secret" };

static const char *plural(size_t n, const char *one, const char *many)
{
        return n == 1 ? one : many;
}

/* Warns about what the daemon would refuse to start without. */
static void warn_credentials(const struct config *c)
{
        const char *dir = c->api.credentials_dir ?: getenv("CREDENTIALS_DIRECTORY");

        if (!dir || !*dir) {
                fprintf(stderr,
                        "%s: warning: no credentials folder: set api.credentials_dir or "
                        "$CREDENTIALS_DIRECTORY\n",
                        c->path);
                return;
        }
        if (access(dir, X_OK) < 0) {
                fprintf(stderr, "%s: warning: cannot open the credentials folder '%s': %m\n",
                        c->path, dir);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(credential_files); i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", dir, credential_files[i]) < 0)
                        return;
                if (access(p, R_OK) < 0)
                        fprintf(stderr, "%s: warning: cannot read credential '%s': %m\n", c->path,
                                p);
        }
}

static size_t credit_limit_count(const struct credit *cr)
{
        return cr->n_customers + (cr->dflt.n_items > 0 ? 1 : 0);
}

int cmd_check(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                {},
        };
        const char *path = APPROVALD_DEFAULT_RULES;
        struct config *c = NULL;
        size_t n_limits;
        int opt, r;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:", options, NULL)) >= 0) {
                if (opt == 'c') {
                        path = optarg;
                        continue;
                }
                fprintf(stderr, "approvald check: %s '%s'; try 'approvald help check'\n",
                        opt == ':' ? "missing argument for" : "unknown option", argv[optind - 1]);
                return EX_USAGE;
        }
        if (optind < argc) {
                fprintf(stderr, "approvald check: unexpected argument '%s'\n", argv[optind]);
                return EX_USAGE;
        }
        r = config_load(path, stderr, &c);
        if (r == -ENOMEM) {
                fprintf(stderr, "approvald check: out of memory\n");
                return EX_OSERR;
        }
        if (r < 0)
                return EX_CONFIG;
        n_limits = credit_limit_count(&c->credit);
        printf("%s: OK: %zu %s, %zu %s, %zu %s\n", path, c->n_rules,
               plural(c->n_rules, "rule", "rules"), c->n_lists, plural(c->n_lists, "list", "lists"),
               n_limits, plural(n_limits, "credit limit", "credit limits"));
        fflush(stdout);
        warn_credentials(c);
        config_free(c);
        return 0;
}
