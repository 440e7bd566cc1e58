/* cmd-resync.c: `approvald resync`: asks the daemon to list AppXite's
 * approved orders again (the bootstrap of docs/operation.md), by leaving a
 * file in the state folder that the next cycle, or the next start, picks
 * up.  The daemon holds the journal's lock while it runs, so the command
 * never writes the journal itself. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "journal.h"
#include "util.h"

int cmd_resync(int argc, char **argv)
{
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 'S' },
                {},
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: JOURNAL_STATE_DIR_DEFAULT;
        _cleanup_free_ char *path = NULL;
        int c, fd;

        while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (c != 'S')
                        return EX_USAGE;
                state_dir = optarg;
        }
        if (optind != argc) {
                fprintf(stderr, "resync: unexpected argument '%s'\n", argv[optind]);
                return EX_USAGE;
        }
        if (asprintf(&path, "%s/resync", state_dir) < 0)
                return EX_OSERR;
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (fd < 0) {
                fprintf(stderr, "resync: cannot create %s: %s\n", path, strerror(errno));
                return EX_CANTCREAT;
        }
        close(fd);
        printf("resync asked for (%s): approvald lists AppXite's approved orders again at its "
               "next cycle, or its next start\n",
               path);
        return 0;
}
