/* cmd-journal.c: `approvald journal dump|verify`, the operator's view of the
 * on-disk journal (every record type; a version-1 file is read as it is).
 * Both only read the file, without the lock, so they can run next to the
 * daemon.  The folder is --state-dir, else the first of
 * $STATE_DIRECTORY, else the packaged unit's /var/lib/approvald. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "commands.h"
#include "config.h"
#include "fileio.h"
#include "journal-dump.h"
#include "journal.h"
#include "util.h"

static int dump_record(const struct journal_record *r, void *userdata)
{
        _cleanup_free_ char *line = NULL;
        int k;

        k = journal_record_to_json(r, &line);
        if (k < 0)
                return k;
        puts(line);
        return 0;
}

static int count_record(const struct journal_record *r, void *userdata)
{
        (*(uint64_t *)userdata)++;
        return 0;
}

int command_journal_failed(const char *state_dir, int r, uint64_t bad)
{
        _cleanup_free_ char *path = NULL;
        struct stat st;

        fflush(stdout);
        if (asprintf(&path, "%s/%s", state_dir, JOURNAL_FILE_NAME) < 0)
                path = NULL;
        if (r == -EBADMSG) {
                fprintf(stderr, "journal: bad record at offset %" PRIu64 "\n", bad);
                return EX_PROTOCOL;
        }
        if ((r == -ENODEV || r == -EISDIR || r == -ELOOP) && path && lstat(path, &st) == 0) {
                fprintf(stderr, "journal: %s is %s, not a regular file\n", path,
                        fileio_kind(st.st_mode));
                return EX_NOINPUT;
        }
        if (r == -ENOENT && stat(state_dir, &st) < 0) {
                fprintf(stderr, "journal: no state folder '%s' (pass --state-dir DIR)\n",
                        state_dir);
                return EX_NOINPUT;
        }
        if (r == -ENOENT) {
                fprintf(stderr, "journal: no journal in '%s'\n", state_dir);
                return EX_NOINPUT;
        }
        if (r == -EPROTONOSUPPORT) {
                fprintf(stderr,
                        "journal: %s was written by another version of approvald, one this "
                        "version cannot read\n",
                        path ?: state_dir);
                return EX_DATAERR;
        }
        fprintf(stderr, "journal: cannot read the journal in '%s': %s\n", state_dir, strerror(-r));
        return EX_IOERR;
}

static int run(const char *state_dir, bool dump)
{
        uint64_t n = 0, bad = 0;
        char path[4096];
        struct stat st;
        int r;

        r = journal_read(state_dir, dump ? dump_record : count_record, &n, &bad);
        if (r < 0)
                return command_journal_failed(state_dir, r, bad);
        if (dump)
                return fflush(stdout) == 0 ? 0 : EX_IOERR;
        r = snprintf(path, sizeof(path), "%s/%s", state_dir, JOURNAL_FILE_NAME);
        if (r < 0 || (size_t)r >= sizeof(path) || stat(path, &st) < 0)
                st.st_size = 0;
        printf("journal: OK: %" PRIu64 " records, %" PRIu64 " bytes\n", n, (uint64_t)st.st_size);
        return 0;
}

/* $STATE_DIRECTORY may list several folders separated by ':' when a unit
 * has several StateDirectory= entries; the journal uses the first. */
const char *command_state_dir(const char *option, char *buf, size_t size)
{
        const char *env = getenv("STATE_DIRECTORY");
        size_t n;

        if (option)
                return option;
        if (!env || !*env)
                return JOURNAL_STATE_DIR_DEFAULT;
        n = strcspn(env, ":");
        if (n == 0 || n >= size)
                return JOURNAL_STATE_DIR_DEFAULT;
        memcpy(buf, env, n);
        buf[n] = '\0';
        return buf;
}

int cmd_journal(int argc, char **argv)
{
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 'd' },
                {},
        };
        const char *state_dir = NULL;
        char env_buf[4096];
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (c != 'd')
                        return EX_USAGE; /* getopt has said why */
                state_dir = optarg;
        }
        if (argc - optind != 1 ||
            (!streq(argv[optind], "dump") && !streq(argv[optind], "verify"))) {
                fputs("usage: approvald journal dump|verify [--state-dir DIR]\n", stderr);
                return EX_USAGE;
        }
        state_dir = command_state_dir(state_dir, env_buf, sizeof(env_buf));
        return run(state_dir, streq(argv[optind], "dump"));
}
