/* commands.h: the subcommands of the approvald program.  Each takes the
 * arguments after the program name (argv[0] is the command's own name),
 * parses its options with getopt_long, and returns the process exit status
 * (sysexits.h codes: 64 usage, 75 try again later, 76 journal damaged,
 * 78 configuration). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define APPROVALD_DEFAULT_RULES "/etc/approvald/rules.yaml"

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_journal(int argc, char **argv);
int cmd_resync(int argc, char **argv);
int cmd_holds(int argc, char **argv);
/* approve/reject ORDER-ID --reason TEXT: besides the codes above, 65 when
 * the order is already decided (no call made) and 66 when AppXite has no
 * such order. */
int cmd_approve(int argc, char **argv);
int cmd_reject(int argc, char **argv);

#define EXIT_ALREADY_DECIDED 65 /* = CONTROL_EXIT_ALREADY_DECIDED */
#define EXIT_UNKNOWN_ORDER 66 /* = CONTROL_EXIT_UNKNOWN_ORDER */

int cmd_stats(int argc, char **argv);

/* Shared by the commands that read the journal (cmd-journal.c). */

/* The state folder: option when given (--state-dir), else the first folder
 * of $STATE_DIRECTORY (copied into buf, size bytes), else
 * JOURNAL_STATE_DIR_DEFAULT.  Never NULL. */
const char *command_state_dir(const char *option, char *buf, size_t size);

/* Says on stderr why the journal in state_dir could not be read (r from
 * journal_read(), bad its bad offset) and returns the exit status: 76 for
 * a damaged journal, 66 when there is none, 65 for another version, else
 * 74. */
int command_journal_failed(const char *state_dir, int r, uint64_t bad);

int cmd_probe(int argc, char **argv);
