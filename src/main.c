/* main.c: parses the top-level command line and hands over to a
 * subcommand; no logic of its own lives here. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "commands.h"
#include "journal.h"
#include "util.h"

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
        const char *usage;
};

static const struct command commands[] = {
        { "run", cmd_run, "poll AppXite and approve or reject pending orders",
          "approvald run [-c FILE] [--once] [--dry-run] [--state-dir DIR]\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --once          run one cycle, then exit (0 done, 75 try again later)\n"
          "      --dry-run       decide and log, never approve or reject\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY)\n" },
        { "check", cmd_check, "validate a rules file and report every problem",
          "approvald check [-c FILE] [--for-service]\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --for-service   check the files as the service's user would read them\n"
          "Checks everything a start or a reload checks: the schema, URLs (https, or\n"
          "http only to 127.0.0.0/8, ::1, localhost), list files and ca_file (regular\n"
          "files that can be read).  Warns about credential files the daemon could\n"
          "not use (missing, empty, a folder, a FIFO, over 4096 bytes) or that its\n"
          "group or others may read.  --for-service: the unit runs approvald as a\n"
          "DynamicUser, which reads only what others may read (o+r on the file, o+x\n"
          "on every folder above it); rules, list files and ca_file must pass that,\n"
          "and so must api.credentials_dir's files (a warning), while files from\n"
          "LoadCredential= ($CREDENTIALS_DIRECTORY) are the service's as they are.\n"
          "Exit 0 when valid, 78 otherwise; errors read FILE:LINE:COLUMN: message.\n" },
        { "probe", cmd_probe, "ask the API once, read-only, and say whether rules.yaml fits it",
          "approvald probe [-c FILE]\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "Makes one token request and one listing request of one page, as the daemon\n"
          "builds them from the file, and prints what it sent (header names; secrets\n"
          "never shown), the answer's status, which api.fields pointers resolve in the\n"
          "first order, its top-level keys, and whether its links (and, with paging:\n"
          "next, the next page's) are on api.base_url's origin.  Never approves or\n"
          "rejects.  Exit 0 when the daemon could run with this configuration, 78\n"
          "when the file does not fit the answers, 69 when the API could not be asked.\n" },
        { "explain", cmd_explain, "show, rule by rule, how one order is decided",
          "approvald explain [-c FILE] [--json] [--now TIME] [--state-dir DIR] ORDER.json|-\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --json          print the trace as JSON\n"
          "      --now TIME      evaluate at TIME (RFC 3339; default the order's createdAt)\n"
          "      --state-dir DIR decide with the daemon's history from its journal in DIR\n"
          "                      (up to the order's own decision when it is journaled);\n"
          "                      without it the history is empty\n" },
        { "evaluate", cmd_evaluate, "decide a stream of orders from stdin (backtest)",
          "approvald evaluate [-c FILE] [--now TIME] < orders\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --now TIME      evaluate every order at TIME (RFC 3339)\n"
          "Input: JSON orders one per line (at most 1 MiB a line), or a JSON array\n"
          "of orders (split element by element, at most 1 MiB an element), or one\n"
          "object over several lines: an order, or a List response {\"items\":[...]}\n"
          "(read as bytes, at most 256 MiB; its items split as an array's).\n"
          "Each order is decided at its createdAt (or --now); approvals\n"
          "feed the history that later orders see.  An order whose status is\n"
          "Approved is not decided: it is counted in the history from its\n"
          "createdAt, as the daemon counts approvals made elsewhere.\n"
          "Output: one JSON line per order: {\"id\",\"decision\",\"rule\",\"reason\"}.\n"
          "A bad line is reported on stderr as stdin:LINE: and skipped; the exit\n"
          "status is then 65.  A bad rules file gives 78.\n" },
        { "resync", cmd_resync, "list AppXite's approved orders again at the next cycle",
          "approvald resync [--state-dir DIR]\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n"
          "Leaves the file DIR/resync; the daemon's next cycle (or next start) then\n"
          "journals every order approved within the rules' longest window that it\n"
          "does not know, and removes the file.\n" },
        { "holds", cmd_holds, "list the orders waiting for a person, oldest first",
          "approvald holds [--json] [-c FILE] [--state-dir DIR]\n"
          "      --json          a JSON array: id, customer, customerName, total (a string\n"
          "                      with two decimals), currency, rule (null for the\n"
          "                      default), reason, heldSince (RFC 3339)\n"
          "  -c, --config FILE   accepted for symmetry; the list comes from the journal alone\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n"
          "Reads the journal without its lock: works whether the service runs or not.\n" },
        { "approve", cmd_approve, "approve a pending order by hand, with a reason",
          "approvald approve ORDER-ID --reason TEXT [-c FILE] [--state-dir DIR]\n"
          "  -r, --reason TEXT   why (1 to 500 characters); journaled with your login\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n"
          "Journals the decision (rule manual:LOGIN) before one call to the order's\n"
          "own approve link; while the service runs, asks it through DIR/control.\n"
          "Posts a 'manual' notification to the notify targets that want one.\n"
          "Exit 0 done, 65 already decided (no call made), 66 no such order, 69 a\n"
          "link off api.base_url's origin or a dry run, 75 the API failed or the\n"
          "service could not be asked.\n" },
        { "reject", cmd_reject, "reject a pending order by hand, with a reason",
          "approvald reject ORDER-ID --reason TEXT [-c FILE] [--state-dir DIR]\n"
          "  -r, --reason TEXT   why (1 to 500 characters): sent to AppXite and journaled\n"
          "                      with your login\n"
          "  -c, --config FILE   rules file (default " APPROVALD_DEFAULT_RULES ")\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n"
          "As approve, with the order's reject link.\n" },
        { "journal", cmd_journal, "dump or verify the on-disk journal",
          "approvald journal dump|verify [--state-dir DIR]\n"
          "  dump     print every record as a JSON line: offset, seq, type, and\n"
          "           intent    order_id decision rule reason customer_id total currency time\n"
          "           outcome   order_id http_status final_status time\n"
          "           hold      order_id rule reason customer_id customer_name total\n"
          "                     currency created_at rules_digest time\n"
          "           external  order_id status source customer_id total currency\n"
          "                     count_from time\n"
          "           mark      what time\n"
          "           (times in seconds since the epoch, totals in minor units)\n"
          "  verify   check every record; exit 76 naming the first bad offset\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n" },
        { "stats", cmd_stats, "count recent decisions, holds, approved amounts and calls",
          "approvald stats [--since DURATION] [--json] [--state-dir DIR] [--now TIME]\n"
          "      --since DURATION\n"
          "                      count the decisions of the last DURATION (30m, 24h,\n"
          "                      7d; default 24h)\n"
          "      --json          print one JSON object (keys in docs/operation.md)\n"
          "      --state-dir DIR journal folder (default $STATE_DIRECTORY, else\n"
          "                      " JOURNAL_STATE_DIR_DEFAULT ")\n"
          "      --now TIME      end the window at TIME (RFC 3339; default now)\n"
          "Reads the journal only, so it runs beside the daemon.\n" },
};

static const struct command *command_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

static void usage(FILE *f)
{
        fputs("usage: approvald COMMAND [OPTIONS]\n\ncommands:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fputs("  help       show a command's options: approvald help COMMAND\n\n"
              "options: --help, --version\n",
              f);
}

static int help(int argc, char **argv)
{
        const struct command *c;

        if (argc < 2) {
                usage(stdout);
                return 0;
        }
        c = command_find(argv[1]);
        if (!c) {
                fprintf(stderr, "approvald: unknown command '%s'; try 'approvald --help'\n",
                        argv[1]);
                return EX_USAGE;
        }
        fputs(c->usage, stdout);
        return 0;
}

int main(int argc, char **argv)
{
        const struct command *c;

        if (argc < 2) {
                usage(stderr);
                return EX_USAGE;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h"))
                return help(1, argv + 1);
        if (streq(argv[1], "--version")) {
                puts("approvald " APPROVALD_VERSION);
                return 0;
        }
        if (streq(argv[1], "help"))
                return help(argc - 1, argv + 1);
        c = command_find(argv[1]);
        if (!c) {
                fprintf(stderr, "approvald: unknown %s '%s'; try 'approvald --help'\n",
                        argv[1][0] == '-' ? "option" : "command", argv[1]);
                return EX_USAGE;
        }
        if (argc > 2 && (streq(argv[2], "--help") || streq(argv[2], "-h"))) {
                fputs(c->usage, stdout);
                return 0;
        }
        return c->run(argc - 1, argv + 1);
}
