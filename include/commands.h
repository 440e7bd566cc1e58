/* commands.h: the subcommands of the approvald program.  Each takes the
 * arguments after the program name (argv[0] is the command's own name),
 * parses its options with getopt_long, and returns the process exit status
 * (sysexits.h codes: 64 usage, 75 try again later, 76 journal damaged,
 * 78 configuration). */
#pragma once

#define APPROVALD_DEFAULT_RULES "/etc/approvald/rules.yaml"

/* Weak while the commands land one by one: main() reports a command that is
 * not linked in yet instead of failing to build.  Drop once all are in. */
#define COMMAND_DECL __attribute__((weak))

COMMAND_DECL int cmd_run(int argc, char **argv);
COMMAND_DECL int cmd_check(int argc, char **argv);
COMMAND_DECL int cmd_explain(int argc, char **argv);
COMMAND_DECL int cmd_evaluate(int argc, char **argv);
COMMAND_DECL int cmd_journal(int argc, char **argv);
