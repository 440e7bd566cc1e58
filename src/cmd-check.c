/* cmd-check.c: `approvald check`, the seller's dry run of rules.yaml and
 * the gate before a start or reload: every problem the daemon would refuse
 * the file for, as FILE:LINE:COLUMN: message, or one summary line.  It
 * needs no network; credential files that the daemon could not use, or
 * that others may read, are warnings.  --for-service looks at the files as
 * the service's DynamicUser would. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "credentials.h"
#include "timeutil.h"
#include "fileio.h"
#include "service-view.h"
#include "util.h"

static const char *const credential_files[] = { "subscription-key", "client-id", "client-secret" };

static const char *plural(size_t n, const char *one, const char *many)
{
        return n == 1 ? one : many;
}

/* Warns about one credential file the daemon would refuse, without
 * reading the secret: the same refusals as credentials_load(), by name. */
static bool warn_unusable(const struct config *c, const char *path)
{
        _cleanup_free_ char *msg = NULL;
        struct stat st;
        mode_t mode = 0;
        int fd, r = 0;

        fd = fileio_open_regular(path, false, &mode);
        if (fd < 0)
                r = fd;
        else if (fstat(fd, &st) < 0)
                r = -errno;
        else if (st.st_size > CREDENTIALS_MAX_SIZE)
                r = -EFBIG;
        else if (st.st_size == 0)
                r = -EINVAL;
        if (fd >= 0)
                close(fd);
        if (r == 0)
                return false;
        msg = credentials_strerror(r, path);
        fprintf(stderr, "%s: warning: %s\n", c->path, msg ?: "out of memory");
        return true;
}

/* Secrets readable by anyone but their owner. */
static void warn_readable(const struct config *c, const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return;
        if (st.st_mode & S_IROTH)
                fprintf(stderr, "%s: warning: %s is readable by others; chmod 600\n", c->path,
                        path);
        else if (st.st_mode & S_IRGRP)
                fprintf(stderr, "%s: warning: %s is readable by its group; chmod 600\n", c->path,
                        path);
}

/* api.credentials_dir is read by the daemon itself, as its DynamicUser:
 * only files that others may read would do, which secrets must not be. */
static void warn_service_cannot_read(const struct config *c, const char *path)
{
        _cleanup_free_ char *blocker = NULL;
        bool folder = false;
        int r = service_view_can_read(path, &blocker, &folder);

        if (r == -EACCES)
                fprintf(stderr,
                        "%s: warning: the service cannot read %s: '%s' is closed to others, "
                        "and the service runs as a DynamicUser; leave api.credentials_dir "
                        "unset and pass the file with LoadCredential= (the unit does)\n",
                        c->path, path, blocker);
        else if (r < 0 && r != -ENOENT)
                fprintf(stderr, "%s: warning: the service cannot read %s: %s\n", c->path, path,
                        strerror(-r));
}

/* The checks of one file in the credentials folder dir. */
static void warn_credential(const struct config *c, const char *dir, const char *name,
                            bool for_service)
{
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return;
        if (warn_unusable(c, p))
                return;
        warn_readable(c, p);
        if (for_service && c->api.credentials_dir)
                warn_service_cannot_read(c, p);
}

/* Warns about what the daemon would refuse to start without, and about
 * secrets open to others.  With --for-service, a folder from
 * $CREDENTIALS_DIRECTORY is the unit's LoadCredential= and readable as is;
 * api.credentials_dir must be readable by the service's user. */
static void warn_credentials(const struct config *c, bool for_service)
{
        const char *dir = c->api.credentials_dir ?: getenv("CREDENTIALS_DIRECTORY");

        if (!dir || !*dir) {
                if (for_service)
                        fprintf(stderr,
                                "%s: note: credentials not checked: the service gets them from "
                                "the unit's LoadCredential= as $CREDENTIALS_DIRECTORY, which "
                                "is not set here\n",
                                c->path);
                else
                        fprintf(stderr,
                                "%s: warning: no credentials folder to check: the service gets "
                                "one from LoadCredential= ($CREDENTIALS_DIRECTORY); set that "
                                "variable to check the files\n",
                                c->path);
                return;
        }
        if (access(dir, X_OK) < 0) {
                fprintf(stderr, "%s: warning: cannot open the credentials folder '%s': %m\n",
                        c->path, dir);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(credential_files); i++)
                warn_credential(c, dir, credential_files[i], for_service);
        for (size_t i = 0; i < c->notify.n_targets; i++)
                for (size_t j = 0; j < c->notify.targets[i].n_headers; j++)
                        warn_credential(c, dir, c->notify.targets[i].headers[j].credential,
                                        for_service);
}

/* ", 2 notify targets, reminder after 4h, timeout after 48h: reject",
 * each part only when configured. */
static void print_holds_notify(const struct config *c)
{
        char a[DURATION_BUF_SIZE];

        if (c->notify.n_targets > 0)
                printf(", %zu %s", c->notify.n_targets,
                       plural(c->notify.n_targets, "notify target", "notify targets"));
        if (c->holds.remind_after_s > 0)
                printf(", reminder after %s", duration_format(c->holds.remind_after_s, a));
        if (c->holds.timeout_s > 0)
                printf(", timeout after %s: %s", duration_format(c->holds.timeout_s, a),
                       action_to_string(c->holds.timeout_then));
}

static size_t credit_limit_count(const struct credit *cr)
{
        return cr->n_customers + (cr->dflt.n_items > 0 ? 1 : 0);
}

int cmd_check(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "for-service", no_argument, NULL, 's' },
                {},
        };
        bool for_service = false;
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
                if (opt == 's') {
                        for_service = true;
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
        r = config_load_flags(path, stderr, for_service ? CONFIG_FOR_SERVICE : 0, &c);
        if (r == -ENOMEM) {
                fprintf(stderr, "approvald check: out of memory\n");
                return EX_OSERR;
        }
        if (r < 0)
                return EX_CONFIG;
        n_limits = credit_limit_count(&c->credit);
        printf("%s: OK: %zu %s, %zu %s, %zu %s", path, c->n_rules,
               plural(c->n_rules, "rule", "rules"), c->n_lists, plural(c->n_lists, "list", "lists"),
               n_limits, plural(n_limits, "credit limit", "credit limits"));
        print_holds_notify(c);
        putchar('\n');
        fflush(stdout);
        warn_credentials(c, for_service);
        config_free(c);
        return 0;
}
