/* cmd-journal.c: `approvald journal dump|verify`, the operator's view of the
 * on-disk journal.  Both only read the file, without the lock, so they can
 * run next to the daemon.  The folder is --state-dir, else the first of
 * $STATE_DIRECTORY, else the packaged unit's /var/lib/approvald. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "config.h"
#include "fileio.h"
#include "journal.h"
#include "utf8.h"
#include "util.h"

/* Adds an integer as a raw JSON number: cJSON's doubles would round values
 * past 2^53. */
static bool add_int(cJSON *o, const char *name, int64_t v)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRId64, v);
        return cJSON_AddRawToObject(o, name, buf) != NULL;
}

/* Journal strings are stored as given; JSON wants UTF-8, so each byte that
 * does not start a well-formed sequence becomes U+FFFD. */
static char *utf8_sanitize(const char *s)
{
        size_t len = strlen(s), k = 0;
        char *out = malloc(len * 3 + 1);

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_decode(s + i, NULL);

                if (n == 0) {
                        memcpy(out + k, "\xef\xbf\xbd", 3);
                        k += 3;
                        i++;
                        continue;
                }
                memcpy(out + k, s + i, n);
                k += n;
                i += n;
        }
        out[k] = '\0';
        return out;
}

static bool add_str(cJSON *o, const char *name, const char *s)
{
        _cleanup_free_ char *clean = NULL;

        if (!s)
                return cJSON_AddNullToObject(o, name) != NULL;
        clean = utf8_sanitize(s);
        return clean && cJSON_AddStringToObject(o, name, clean) != NULL;
}

static bool add_fields(cJSON *o, const struct journal_record *r)
{
        const struct journal_intent *in = &r->intent;
        const struct journal_outcome *out = &r->outcome;

        if (r->type == JOURNAL_OUTCOME)
                return add_str(o, "type", "outcome") && add_str(o, "order_id", out->order_id) &&
                       add_int(o, "http_status", out->http_status) &&
                       add_str(o, "final_status", out->final_status) &&
                       add_int(o, "time", out->time);
        return add_str(o, "type", "intent") && add_str(o, "order_id", in->order_id) &&
               add_str(o, "decision", action_to_string(in->decision)) &&
               add_str(o, "rule", in->rule) && add_str(o, "reason", in->reason) &&
               add_str(o, "customer_id", in->customer_id) && add_int(o, "total", in->total) &&
               add_str(o, "currency", in->currency) && add_int(o, "time", in->time);
}

static int dump_record(const struct journal_record *r, void *userdata)
{
        cJSON *o = cJSON_CreateObject();
        char *line = NULL;

        if (o && add_int(o, "offset", (int64_t)r->offset) && add_int(o, "seq", (int64_t)r->seq) &&
            add_fields(o, r))
                line = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!line)
                return -ENOMEM;
        puts(line);
        cJSON_free(line);
        return 0;
}

static int count_record(const struct journal_record *r, void *userdata)
{
        (*(uint64_t *)userdata)++;
        return 0;
}

/* Says why the journal in state_dir could not be read (r from
 * journal_read()) and returns the exit status. */
static int read_failed(const char *state_dir, int r, uint64_t bad)
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
        fprintf(stderr, "journal: cannot read the journal in '%s': %s\n", state_dir, strerror(-r));
        return r == -EPROTONOSUPPORT ? EX_DATAERR : EX_IOERR;
}

static int run(const char *state_dir, bool dump)
{
        uint64_t n = 0, bad = 0;
        char path[4096];
        struct stat st;
        int r;

        r = journal_read(state_dir, dump ? dump_record : count_record, &n, &bad);
        if (r < 0)
                return read_failed(state_dir, r, bad);
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
static const char *default_state_dir(char *buf, size_t size)
{
        const char *env = getenv("STATE_DIRECTORY");
        size_t n;

        if (!env || !*env)
                return NULL;
        n = strcspn(env, ":");
        if (n == 0 || n >= size)
                return NULL;
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
        if (!state_dir)
                state_dir = default_state_dir(env_buf, sizeof(env_buf));
        if (!state_dir)
                state_dir = JOURNAL_STATE_DIR_DEFAULT;
        return run(state_dir, streq(argv[optind], "dump"));
}
