/* commands.h: the subcommands of the approvald program.  Each takes the
 * arguments after the program name (argv[0] is the command's own name),
 * parses its options with getopt_long, and returns the process exit status
 * (sysexits.h codes: 64 usage, 75 try again later, 76 journal damaged,
 * 78 configuration). */
#pragma once

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
