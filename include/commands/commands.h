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
int cmd_probe(int argc, char **argv);
