/* daemon.h: `approvald run`: the sd-event loop that polls AppXite, decides
 * pending orders with the rule engine, journals each decision and calls the
 * order's approve or reject link, and talks to systemd (notify, watchdog,
 * reload, stop).  docs/operation.md describes the behaviour. */
#pragma once

#include <stdbool.h>

struct daemon_options {
        const char *config_path;
        const char *state_dir; /* NULL: $STATE_DIRECTORY */
        bool once; /* one cycle, then exit */
        bool dry_run; /* decide and log only (also `mode: dry-run`) */
};

/* Runs until stopped (or one cycle with once) and returns the process exit
 * status: 0; 64 no state directory; 73 the journal cannot be opened; 75 the
 * API could not be reached or calls remain to retry (--once), or another
 * instance holds the state directory; 76 the journal is damaged before its
 * tail; 78 the configuration or the credentials are unusable.  Every
 * problem is logged before it returns. */
int daemon_run(const struct daemon_options *opt);
