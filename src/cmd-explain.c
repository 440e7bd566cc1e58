/* cmd-explain.c: `approvald explain`: decides one order against the rules
 * and shows, rule by rule, whether each held and the values compared, so a
 * seller can see why an order was approved, rejected or held.  The history
 * is empty: the order is judged as the first one the engine sees. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "commands.h"
#include "config.h"
#include "history.h"
#include "order-stream.h"
#include "order.h"
#include "policy.h"
#include "rules.h"
#include "state.h"
#include "timeutil.h"
#include "util.h"

#define ORDER_FILE_MAX ORDER_STREAM_ITEM_MAX

struct explain_args {
        const char *config;
        const char *order;
        bool json;
        const char *state_dir; /* --state-dir: the daemon's history; NULL: empty */
        bool has_now;
        int64_t now;
};

static int parse_options(int argc, char **argv, struct explain_args *a)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "now", required_argument, NULL, 'n' },
                { "state-dir", required_argument, NULL, 'S' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'S':
                        a->state_dir = optarg;
                        break;
                case 'n':
                        if (timestamp_parse(optarg, &a->now) < 0) {
                                fprintf(stderr,
                                        "approvald explain: bad --now '%s' (want RFC 3339, "
                                        "e.g. 2026-11-26T10:00:00Z)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        a->has_now = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (argc - optind != 1) {
                fputs("usage: approvald explain [-c FILE] [--json] [--now TIME] [--state-dir DIR] "
                      "ORDER.json|-\n",
                      stderr);
                return -EINVAL;
        }
        a->order = argv[optind];
        return 0;
}

static int read_order(const struct explain_args *a, const struct config *c, struct order *ret)
{
        _cleanup_free_ char *text = NULL;
        char why[160];
        size_t len;
        int r;

        if (streq(a->order, "-"))
                r = read_stream_capped(stdin, ORDER_FILE_MAX, &text, &len);
        else
                r = read_file_capped(a->order, ORDER_FILE_MAX, &text, &len);
        if (r < 0) {
                fprintf(stderr, "approvald explain: %s: %s\n", a->order,
                        r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
                return r;
        }
        r = order_stream_parse_one(text, len, &c->api, ret, why, sizeof(why));
        if (r < 0)
                fprintf(stderr, "approvald explain: %s: %s\n", a->order,
                        r == -EBADMSG ? why : strerror(-r));
        return r;
}

/* Which history the order was decided with, for the first line. */
struct history_from {
        const char *state_dir; /* NULL: empty */
        bool before_order; /* the journal holds the order: its records and later left out */
};

static void print_text(const struct order *o, int64_t now, const char *now_from,
                       const struct history_from *hf, const struct trace *t,
                       const struct verdict *v)
{
        char ts[TIMESTAMP_BUF_SIZE];

        printf("order %s, evaluated at %s (%s), with %s%s%s\n", o->id ?: "(no id)",
               timestamp_format(now, ts), now_from,
               hf->state_dir ? "the daemon's history from the journal in " : "an empty history",
               hf->state_dir ?: "",
               hf->before_order ? " as it stood when the daemon decided this order" : "");
        rules_trace_print(t, stdout);
        if (v->rule)
                printf("decision: %s by rule '%s': %s\n", action_to_string(v->decision),
                       v->rule->name, v->reason);
        else
                printf("decision: %s: %s\n", action_to_string(v->decision), v->reason);
}

static int print_json(const struct order *o, int64_t now, const struct history_from *hf,
                      const struct trace *t, const struct verdict *v)
{
        _cleanup_free_ char *s = NULL;
        char ts[TIMESTAMP_BUF_SIZE];
        cJSON *root = cJSON_CreateObject(), *rules = NULL;
        int r = -ENOMEM;

        if (!root)
                return -ENOMEM;
        if (!(o->id ? cJSON_AddStringToObject(root, "id", o->id)
                    : cJSON_AddNullToObject(root, "id")) ||
            !cJSON_AddStringToObject(root, "now", timestamp_format(now, ts)))
                goto out;
        r = rules_trace_to_json(t, &rules);
        if (r < 0)
                goto out;
        r = -ENOMEM;
        if (!cJSON_AddItemToObject(root, "rules", rules)) {
                cJSON_Delete(rules);
                goto out;
        }
        if (!cJSON_AddStringToObject(root, "decision", action_to_string(v->decision)) ||
            !(v->rule ? cJSON_AddStringToObject(root, "rule", v->rule->name)
                      : cJSON_AddNullToObject(root, "rule")) ||
            !cJSON_AddStringToObject(root, "reason", v->reason) ||
            !(hf->state_dir ? cJSON_AddStringToObject(root, "history", hf->state_dir)
                            : cJSON_AddNullToObject(root, "history")) ||
            !cJSON_AddBoolToObject(root, "historyBeforeThisOrder", hf->before_order))
                goto out;
        s = cJSON_Print(root);
        if (!s)
                goto out;
        puts(s);
        r = 0;
out:
        cJSON_Delete(root);
        return r;
}

/* The history to decide with: empty, or the daemon's from its journal,
 * up to this order's own decision.  Returns 0 or -errno (reported). */
static int load_history(const struct explain_args *a, const struct config *c, const struct order *o,
                        int64_t now, struct state **ret, struct history_from *hf)
{
        int r;

        *hf = (struct history_from){ .state_dir = a->state_dir };
        r = state_new(ret, 0);
        if (r < 0 || !a->state_dir)
                return r;
        r = state_load(*ret, a->state_dir, now - rules_longest_window(c), o->id, &hf->before_order);
        if (r < 0)
                fprintf(stderr, "approvald explain: cannot read the journal in %s: %s\n",
                        a->state_dir, r == -EBADMSG ? "it is damaged" : strerror(-r));
        return r;
}

static int explain(const struct explain_args *a, const struct config *c, const struct order *o)
{
        struct state *st = NULL;
        struct history_from hf;
        struct trace *t = NULL;
        struct verdict v;
        const char *now_from = "--now";
        int64_t now = a->now;
        int r;

        if (!a->has_now) {
                now = o->has_created_at ? o->created_at : now_realtime_s();
                now_from = o->has_created_at ? "createdAt" : "the clock: no createdAt";
        }
        r = load_history(a, c, o, now, &st, &hf);
        if (r >= 0)
                r = rules_trace_new(&t);
        if (r >= 0)
                r = policy_decide(c, st->history, o, now, &v, t);
        if (r >= 0) {
                if (a->json)
                        r = print_json(o, now, &hf, t, &v);
                else
                        print_text(o, now, now_from, &hf, t, &v);
        }
        rules_trace_free(t);
        state_free(st);
        return r;
}

int cmd_explain(int argc, char **argv)
{
        struct explain_args a = { .config = APPROVALD_DEFAULT_RULES };
        struct config *c = NULL;
        struct order o = { 0 };
        int r;

        r = parse_options(argc, argv, &a);
        if (r < 0)
                return EX_USAGE;
        r = config_load(a.config, stderr, &c);
        if (r < 0)
                return EX_CONFIG;
        r = read_order(&a, c, &o);
        if (r < 0) {
                config_free(c);
                return r == -EBADMSG ? EX_DATAERR : EX_NOINPUT;
        }
        r = explain(&a, c, &o);
        order_done(&o);
        config_free(c);
        if (r < 0) {
                fprintf(stderr, "approvald explain: %s\n", strerror(-r));
                return EX_OSERR;
        }
        if (fflush(stdout) != 0)
                return EX_IOERR;
        return 0;
}
