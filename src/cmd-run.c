/* cmd-run.c: `approvald run`: parses its options and runs the daemon. */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "commands.h"
#include "daemon.h"

int cmd_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "once", no_argument, NULL, 'o' },
                { "dry-run", no_argument, NULL, 'n' },
                { "state-dir", required_argument, NULL, 's' },
                {},
        };
        struct daemon_options opt = { .config_path = APPROVALD_DEFAULT_RULES };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        opt.config_path = optarg;
                        break;
                case 'o':
                        opt.once = true;
                        break;
                case 'n':
                        opt.dry_run = true;
                        break;
                case 's':
                        opt.state_dir = optarg;
                        break;
                default:
                        fputs("try 'approvald help run'\n", stderr);
                        return EX_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr,
                        "approvald run: unexpected argument '%s'; try 'approvald help run'\n",
                        argv[optind]);
                return EX_USAGE;
        }
        return daemon_run(&opt);
}
