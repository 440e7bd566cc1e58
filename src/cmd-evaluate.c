/* cmd-evaluate.c: `approvald evaluate`, the backtest: decides a stream of
 * orders from stdin in input order, as the daemon would, approvals feeding
 * the history of later orders, one JSON line out per order.  It is also the
 * engine's benchmark: orders are read one at a time (order-stream.h) and
 * output goes through one buffer (jsonw.h), so nothing grows with the
 * number of orders except the history, which is pruned to the longest
 * window the rules look back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "history.h"
#include "jsonw.h"
#include "order-stream.h"
#include "order.h"
#include "policy.h"
#include "rules.h"
#include "timeutil.h"
#include "util.h"

/* The end of an output line, from "decision" on.  For every order a rule
 * (or the default) decides it is the same text: it is escaped once, kept,
 * and copied after that.  A reason formatted for one order is not kept. */
struct tail {
        const char *reason; /* the verdict's reason it was made from */
        enum action decision;
        char *text; /* NULL until made */
        size_t len;
};

struct evaluator {
        struct config *config;
        struct history *history;
        int64_t longest_window;
        bool has_now;
        int64_t now; /* --now */
        bool pruned;
        int64_t pruned_at; /* the last cutoff given to history_prune() */
        unsigned n_bad;
        struct jsonw out;
        struct tail *tails; /* [0] the default, [1 + i] rule i; NULL: none kept */
};

static void out_tail(struct jsonw *o, const struct verdict *v)
{
        jsonw_raw(o, ",\"decision\":", 12);
        jsonw_string(o, action_to_string(v->decision));
        jsonw_raw(o, ",\"rule\":", 8);
        jsonw_string(o, v->rule ? v->rule->name : NULL);
        jsonw_raw(o, ",\"reason\":", 10);
        jsonw_string(o, v->reason);
        jsonw_raw(o, "}\n", 2);
}

/* The verdict's kept tail, or NULL when it cannot have one. */
static struct tail *tail_for(const struct evaluator *e, const struct verdict *v)
{
        size_t i = v->rule ? (size_t)(v->rule - e->config->rules) + 1 : 0;

        if (!e->tails || v->reason == v->buf || i > e->config->n_rules)
                return NULL;
        return &e->tails[i];
}

/* Keeps s as t's text; without memory the tail is only made again. */
static void tail_keep(struct tail *t, const struct verdict *v, const char *s, size_t len)
{
        char *text = malloc(len);

        if (!text)
                return;
        memcpy(text, s, len);
        free(t->text);
        *t = (struct tail){
                .reason = v->reason, .decision = v->decision, .text = text, .len = len
        };
}

static void out_verdict(struct evaluator *e, const char *id, const struct verdict *v)
{
        struct jsonw *o = &e->out;
        struct tail *t = tail_for(e, v);
        size_t start, flushes;

        jsonw_raw(o, "{\"id\":", 6);
        jsonw_string(o, id);
        if (t && t->text && t->reason == v->reason && t->decision == v->decision) {
                jsonw_raw(o, t->text, t->len);
                return;
        }
        start = o->n;
        flushes = o->n_flushes;
        out_tail(o, v);
        if (t && o->n_flushes == flushes)
                tail_keep(t, v, o->buf + start, o->n - start);
}

static void tails_free(struct evaluator *e)
{
        for (size_t i = 0; e->tails && i <= e->config->n_rules; i++)
                free(e->tails[i].text);
        free(e->tails);
        e->tails = NULL;
}

/* A bad input line: located on stderr, nothing on stdout, exit 65 later. */
static void report(struct evaluator *e, size_t line, const char *msg)
{
        jsonw_flush(&e->out); /* keep stdout and stderr in order for a reader of both */
        fflush(stdout);
        fprintf(stderr, "stdin:%zu: %s\n", line, msg);
        e->n_bad++;
}

/* Forgets approvals no window can see any more.  A prune walks every
 * customer, so it runs only once the cutoff has moved by a sixteenth of the
 * longest window: the history then holds at most 17/16 of a window. */
static void maybe_prune(struct evaluator *e, int64_t now)
{
        int64_t cutoff = now - e->longest_window;

        if (e->pruned && cutoff - e->pruned_at < e->longest_window / 16 + 1)
                return;
        if (!e->pruned) {
                e->pruned = true;
                e->pruned_at = cutoff;
                return;
        }
        history_prune(e->history, cutoff);
        e->pruned_at = cutoff;
}

/* Decides one order and writes its line.  Without createdAt (and no
 * --now) there is no evaluation time: the order is held. */
static int decide(struct evaluator *e, const struct order *o)
{
        struct verdict v;
        int64_t now;
        int r;

        if (streq_ptr(config_status_canonical(&e->config->api, o->status),
                      order_status_name(ORDER_STATUS_APPROVED)) &&
            o->has_created_at) {
                /* approved already (an export's history): counted from its
                 * createdAt, as the daemon's bootstrap counts it, not decided */
                r = policy_count_order(e->history, o, o->created_at);
                return r == -ENOMEM ? r : 0;
        }
        if (!e->has_now && !o->has_created_at) {
                v = (struct verdict){ .decision = ACTION_HOLD };
                snprintf(v.buf, sizeof(v.buf),
                         "order %s 'created_at', the evaluation time "
                         "(use --now)",
                         o->bad_field && streq(o->bad_field, "created_at") ? "has a malformed"
                                                                           : "has no");
                v.reason = v.buf;
                out_verdict(e, o->id, &v);
                return 0;
        }
        now = e->has_now ? e->now : o->created_at;
        r = policy_decide(e->config, e->history, o, now, &v, NULL);
        if (r < 0)
                return r;
        out_verdict(e, o->id, &v);
        if (v.decision == ACTION_APPROVE) {
                r = policy_count_order(e->history, o, now);
                if (r < 0)
                        return r; /* policy_decide() let it through: only -ENOMEM */
        }
        maybe_prune(e, now);
        return 0;
}

static int on_order(const struct order *o, void *userdata)
{
        return decide(userdata, o);
}

static void on_bad(size_t line, const char *msg, void *userdata)
{
        report(userdata, line, msg);
}

static int parse_options(int argc, char **argv, const char **ret_config, struct evaluator *e)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "now", required_argument, NULL, 'n' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'n':
                        if (timestamp_parse(optarg, &e->now) < 0) {
                                fprintf(stderr,
                                        "approvald evaluate: bad --now '%s' (want RFC 3339, "
                                        "e.g. 2026-11-26T10:00:00Z)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        e->has_now = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr,
                        "approvald evaluate: unexpected argument '%s' (orders come "
                        "from stdin)\n",
                        argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int cmd_evaluate(int argc, char **argv)
{
        static const struct order_stream_ops ops = { .order = on_order, .bad = on_bad };
        const char *path = APPROVALD_DEFAULT_RULES;
        int fd = STDIN_FILENO;
        _cleanup_free_ struct evaluator *e = calloc(1, sizeof(struct evaluator));
        int r;

        if (!e)
                return EX_OSERR;
        jsonw_init(&e->out, stdout);
        r = parse_options(argc, argv, &path, e);
        if (r < 0)
                return EX_USAGE;
        r = config_load(path, stderr, &e->config);
        if (r < 0)
                return EX_CONFIG;
        e->longest_window = rules_longest_window(e->config);
        e->tails = calloc(e->config->n_rules + 1, sizeof(struct tail)); /* NULL: none kept */
        r = history_new(&e->history);
        if (r >= 0)
                r = order_stream_read(order_stream_read_fd, &fd, &e->config->api, &ops, e);
        jsonw_flush(&e->out);
        if (fflush(stdout) != 0)
                e->out.failed = true;
        history_free(e->history);
        tails_free(e);
        config_free(e->config);
        if (r < 0) {
                fprintf(stderr, "approvald evaluate: %s\n", strerror(-r));
                return r == -ENOMEM ? EX_OSERR : EX_IOERR;
        }
        if (e->out.failed) {
                fprintf(stderr, "approvald evaluate: writing stdout failed\n");
                return EX_IOERR;
        }
        return e->n_bad > 0 ? EX_DATAERR : 0;
}
