/* cmd-stats.c: `approvald stats`, what the daemon decided lately, read from
 * the journal alone: decisions per decision and per rule, the amounts
 * approved per currency, and the calls done, still open, refused because
 * someone decided first, or made on an order that was gone.  It only reads
 * the file, without the lock, so it runs beside the daemon.
 *
 * An order counts when its intent (the first one in the journal, as at the
 * daemon's replay) was written inside the window; its outcome may come
 * later.  Holds, manual decisions and API errors are not journaled yet:
 * they are reported as not recorded, and the JSON keeps their keys (null)
 * so that a reader does not change when they are. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "commands.h"
#include "config.h"
#include "idmap.h"
#include "journal.h"
#include "jsonw.h"
#include "log.h"
#include "money.h"
#include "timeutil.h"
#include "util.h"

#define STATS_SINCE_DEFAULT "24h"

/* What became of a decision's call, from its outcome record. */
enum fate {
        FATE_OPEN, /* no outcome yet */
        FATE_AS_DECIDED, /* the order ended as we decided */
        FATE_CONFLICT, /* it ended otherwise: someone decided first */
        FATE_NOT_FOUND, /* AppXite no longer knew the order */
        _FATE_MAX,
};

struct rule_stat {
        uint64_t n[2]; /* per ACTION_APPROVE, ACTION_REJECT */
};

struct currency_stat {
        int64_t minor;
        uint64_t orders;
        bool overflow; /* the sum left int64_t: minor is meaningless */
};

struct order_stat {
        enum action decision;
        enum fate fate;
        int64_t total;
        struct currency_stat *currency; /* owned by stats.currencies */
};

struct stats {
        int64_t from, to; /* the window, seconds since the epoch, both included */
        struct idmap *orders; /* order id -> struct order_stat */
        struct idmap *rules; /* rule name -> struct rule_stat */
        struct idmap *currencies; /* code -> struct currency_stat */
        struct rule_stat dflt;
        uint64_t decisions[2];
        uint64_t fates[_FATE_MAX];
};

static void stats_done(struct stats *s)
{
        idmap_free(s->orders);
        idmap_free(s->rules);
        idmap_free(s->currencies);
}

static int stats_init(struct stats *s, int64_t from, int64_t to)
{
        int r;

        *s = (struct stats){ .from = from, .to = to };
        r = idmap_new(&s->orders, free);
        if (r >= 0)
                r = idmap_new(&s->rules, free);
        if (r >= 0)
                r = idmap_new(&s->currencies, free);
        if (r < 0)
                stats_done(s);
        return r;
}

/* The value stored under key in m, created zeroed (size bytes) when
 * missing; NULL when out of memory. */
static void *map_get_or_add(struct idmap *m, const char *key, size_t size)
{
        void *v = idmap_get(m, key);

        if (v)
                return v;
        v = calloc(1, size);
        if (!v || idmap_put(m, key, v) < 0) {
                free(v);
                return NULL;
        }
        return v;
}

static int count_intent(struct stats *s, const struct journal_intent *in)
{
        struct order_stat *o;
        struct rule_stat *rule = &s->dflt;

        /* the daemon never journals a hold; the first decision stands */
        if (in->decision > ACTION_REJECT || in->time < s->from || in->time > s->to ||
            idmap_get(s->orders, in->order_id))
                return 0;
        if (in->rule) {
                rule = map_get_or_add(s->rules, in->rule, sizeof(*rule));
                if (!rule)
                        return -ENOMEM;
        }
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        *o = (struct order_stat){ .decision = in->decision, .total = in->total };
        if (in->decision == ACTION_APPROVE) {
                o->currency = map_get_or_add(s->currencies, in->currency ? in->currency : "",
                                             sizeof(*o->currency));
                if (!o->currency) {
                        free(o);
                        return -ENOMEM;
                }
        }
        if (idmap_put(s->orders, in->order_id, o) < 0) {
                free(o);
                return -ENOMEM;
        }
        rule->n[in->decision]++;
        s->decisions[in->decision]++;
        return 0;
}

static void count_outcome(struct stats *s, const struct journal_outcome *out)
{
        struct order_stat *o = idmap_get(s->orders, out->order_id);
        const char *intended;

        if (!o) /* decided before the window */
                return;
        intended = o->decision == ACTION_APPROVE ? "Approved" : "Rejected";
        if (streq(out->final_status, "NotFound"))
                o->fate = FATE_NOT_FOUND;
        else if (streq(out->final_status, intended))
                o->fate = FATE_AS_DECIDED;
        else
                o->fate = FATE_CONFLICT;
}

static int visit(const struct journal_record *r, void *userdata)
{
        struct stats *s = userdata;

        if (r->type == JOURNAL_INTENT && r->intent.order_id)
                return count_intent(s, &r->intent);
        if (r->type == JOURNAL_OUTCOME && r->outcome.order_id && r->outcome.final_status)
                count_outcome(s, &r->outcome);
        return 0;
}

/* Once every record is read: the fates, and the amounts approved.  An
 * approval counts unless its outcome says the order did not end Approved,
 * as the daemon counts it in the history (daemon.c, history_record()): a
 * call without an outcome may have gone through. */
static void stats_finish(struct stats *s)
{
        const char *id;
        void *v;
        size_t i = 0;

        while (idmap_next(s->orders, &i, &id, &v)) {
                struct order_stat *o = v;
                struct currency_stat *c = o->currency;

                s->fates[o->fate]++;
                if (o->decision != ACTION_APPROVE ||
                    (o->fate != FATE_OPEN && o->fate != FATE_AS_DECIDED))
                        continue;
                c->orders++;
                if (__builtin_add_overflow(c->minor, o->total, &c->minor))
                        c->overflow = true;
        }
}

/* ---- output ---- */

/* A rule (key NULL: the default) or a currency, for sorting. */
struct named {
        const char *key;
        const void *value;
        uint64_t weight; /* sorted by weight (descending), then by key */
};

static int named_cmp(const void *a, const void *b)
{
        const struct named *x = a, *y = b;

        if (x->weight != y->weight)
                return x->weight < y->weight ? 1 : -1;
        return strcmp(x->key, y->key);
}

/* The rules (the default first, when it decided anything, then the most
 * used) or, with dflt NULL, the currencies (by code) as an array the caller
 * frees; *ret_n entries.  NULL when out of memory. */
static struct named *sorted(const struct idmap *m, const struct rule_stat *dflt, size_t *ret_n)
{
        struct named *a = calloc(idmap_size(m) + 1, sizeof(*a));
        size_t i = 0, n = 0;
        const char *key;
        void *v;

        if (!a)
                return NULL;
        if (dflt && dflt->n[0] + dflt->n[1] > 0)
                a[n++] = (struct named){ .value = dflt };
        while (idmap_next(m, &i, &key, &v)) {
                const struct rule_stat *rs = v;

                if (!dflt && ((const struct currency_stat *)v)->orders == 0)
                        continue; /* only approvals that did not count */
                a[n++] = (struct named){ .key = key,
                                         .value = v,
                                         .weight = dflt ? rs->n[0] + rs->n[1] : 0 };
        }
        if (dflt && n > 0 && !a[0].key)
                qsort(a + 1, n - 1, sizeof(*a), named_cmp);
        else
                qsort(a, n, sizeof(*a), named_cmp);
        *ret_n = n;
        return a;
}

static void print_rule_line(const struct rule_stat *rs, const char *name, const char *label)
{
        char esc[LOG_ESCAPE_MAX];

        printf("%8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  ", rs->n[0], rs->n[1], rs->n[0] + rs->n[1]);
        if (label)
                puts(label);
        else
                printf("'%s'\n", log_escape(name, esc, sizeof(esc)));
}

static void print_table(const struct stats *s, const char *since, const struct named *rules,
                        size_t n_rules, const struct named *cur, size_t n_cur)
{
        struct rule_stat all = { .n = { s->decisions[0], s->decisions[1] } };
        char from[TIMESTAMP_BUF_SIZE], to[TIMESTAMP_BUF_SIZE], m[MONEY_BUF_SIZE],
                esc[LOG_ESCAPE_MAX];

        printf("Decisions from %s to %s (last %s)\n\n", timestamp_format(s->from, from),
               timestamp_format(s->to, to), since);
        printf(" approve   reject    total  rule\n");
        print_rule_line(&all, NULL, "(all)");
        for (size_t i = 0; i < n_rules; i++)
                print_rule_line(rules[i].value, rules[i].key, rules[i].key ? NULL : "default");
        printf("\nApproved amounts (approvals not ended otherwise)\n");
        if (n_cur == 0)
                printf("  none\n");
        for (size_t i = 0; i < n_cur; i++) {
                const struct currency_stat *c = cur[i].value;

                printf("%20s %s (%" PRIu64 " order%s)\n",
                       c->overflow ? "(overflow)" : money_format(c->minor, m),
                       log_escape(cur[i].key, esc, sizeof(esc)), c->orders,
                       c->orders == 1 ? "" : "s");
        }
        printf("\nCalls\n");
        printf("%8" PRIu64 "  done: %" PRIu64 " as decided, %" PRIu64
               " decided by someone else first, %" PRIu64 " order%s not found\n",
               s->fates[FATE_AS_DECIDED] + s->fates[FATE_CONFLICT] + s->fates[FATE_NOT_FOUND],
               s->fates[FATE_AS_DECIDED], s->fates[FATE_CONFLICT], s->fates[FATE_NOT_FOUND],
               s->fates[FATE_NOT_FOUND] == 1 ? "" : "s");
        printf("%8" PRIu64 "  open: decided, outcome not known yet\n", s->fates[FATE_OPEN]);
        printf("\nNot in the journal yet: holds waiting, manual decisions, API errors\n");
}

static void json_u64(struct jsonw *w, const char *key, uint64_t v)
{
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "\"%s\":%" PRIu64, key, v);

        jsonw_raw(w, buf, (size_t)n);
}

static void json_lit(struct jsonw *w, const char *s)
{
        jsonw_raw(w, s, strlen(s));
}

static void json_rule(struct jsonw *w, const char *name, const struct rule_stat *rs)
{
        json_lit(w, "{\"rule\":");
        jsonw_string(w, name); /* null for the default */
        json_lit(w, ",");
        json_u64(w, "approve", rs->n[0]);
        json_lit(w, ",");
        json_u64(w, "reject", rs->n[1]);
        json_lit(w, ",");
        json_u64(w, "total", rs->n[0] + rs->n[1]);
        json_lit(w, "}");
}

static void json_currency(struct jsonw *w, const char *code, const struct currency_stat *c)
{
        char m[MONEY_BUF_SIZE], buf[64];
        int n;

        json_lit(w, "{\"currency\":");
        jsonw_string(w, code);
        if (c->overflow)
                json_lit(w, ",\"amount\":null,\"minor_units\":null");
        else {
                n = snprintf(buf, sizeof(buf), ",\"amount\":\"%s\",\"minor_units\":%" PRId64,
                             money_format(c->minor, m), c->minor);
                jsonw_raw(w, buf, (size_t)n);
        }
        json_lit(w, ",");
        json_u64(w, "orders", c->orders);
        json_lit(w, c->overflow ? ",\"overflow\":true}" : ",\"overflow\":false}");
}

/* The keys are documented in docs/operation.md ("Statistics and metrics"). */
static void print_json(const struct stats *s, const struct named *rules, size_t n_rules,
                       const struct named *cur, size_t n_cur, struct jsonw *w)
{
        char from[TIMESTAMP_BUF_SIZE], to[TIMESTAMP_BUF_SIZE];
        uint64_t done =
                s->fates[FATE_AS_DECIDED] + s->fates[FATE_CONFLICT] + s->fates[FATE_NOT_FOUND];

        json_lit(w, "{\"from\":\"");
        json_lit(w, timestamp_format(s->from, from));
        json_lit(w, "\",\"to\":\"");
        json_lit(w, timestamp_format(s->to, to));
        json_lit(w, "\",");
        json_u64(w, "window_seconds", (uint64_t)(s->to - s->from));
        json_lit(w, ",\"decisions\":{");
        json_u64(w, "approve", s->decisions[0]);
        json_lit(w, ",");
        json_u64(w, "reject", s->decisions[1]);
        json_lit(w, ",");
        json_u64(w, "total", s->decisions[0] + s->decisions[1]);
        json_lit(w, "},\"rules\":[");
        for (size_t i = 0; i < n_rules; i++) {
                json_lit(w, i ? "," : "");
                json_rule(w, rules[i].key, rules[i].value);
        }
        json_lit(w, "],\"approved\":[");
        for (size_t i = 0; i < n_cur; i++) {
                json_lit(w, i ? "," : "");
                json_currency(w, cur[i].key, cur[i].value);
        }
        json_lit(w, "],\"calls\":{");
        json_u64(w, "done", done);
        json_lit(w, ",");
        json_u64(w, "as_decided", s->fates[FATE_AS_DECIDED]);
        json_lit(w, ",");
        json_u64(w, "conflict", s->fates[FATE_CONFLICT]);
        json_lit(w, ",");
        json_u64(w, "not_found", s->fates[FATE_NOT_FOUND]);
        json_lit(w, ",");
        json_u64(w, "open", s->fates[FATE_OPEN]);
        json_lit(w, "},\"holds_waiting\":null,\"manual_decisions\":null,\"api_errors\":null,"
                    "\"not_recorded\":[\"holds_waiting\",\"manual_decisions\",\"api_errors\"]}\n");
}

static int print(const struct stats *s, const char *since, bool json)
{
        _cleanup_free_ struct named *rules = NULL, *cur = NULL;
        _cleanup_free_ struct jsonw *w = NULL;
        size_t n_rules = 0, n_cur = 0;

        rules = sorted(s->rules, &s->dflt, &n_rules);
        cur = sorted(s->currencies, NULL, &n_cur);
        if (!rules || !cur) {
                fputs("stats: out of memory\n", stderr);
                return EX_OSERR;
        }
        if (!json)
                print_table(s, since, rules, n_rules, cur, n_cur);
        else {
                w = malloc(sizeof(*w));
                if (!w) {
                        fputs("stats: out of memory\n", stderr);
                        return EX_OSERR;
                }
                jsonw_init(w, stdout);
                print_json(s, rules, n_rules, cur, n_cur, w);
                jsonw_flush(w);
                if (w->failed)
                        return EX_IOERR;
        }
        return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

struct args {
        const char *state_dir;
        const char *since;
        int64_t since_s;
        int64_t now;
        bool json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
        static const struct option options[] = {
                { "since", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "state-dir", required_argument, NULL, 'd' },
                { "now", required_argument, NULL, 'n' },
                {},
        };
        int c;

        *a = (struct args){ .since = STATS_SINCE_DEFAULT, .now = now_realtime_s() };
        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (c == 's')
                        a->since = optarg;
                else if (c == 'j')
                        a->json = true;
                else if (c == 'd')
                        a->state_dir = optarg;
                else if (c == 'n' && timestamp_parse(optarg, &a->now) < 0) {
                        fprintf(stderr,
                                "approvald stats: bad --now '%s' (want RFC 3339, "
                                "e.g. 2026-11-26T10:00:00Z)\n",
                                optarg);
                        return EX_USAGE;
                } else if (c != 'n')
                        return EX_USAGE; /* getopt has said why */
        }
        if (optind != argc) {
                fputs("usage: approvald stats [--since DURATION] [--json] [--state-dir DIR] "
                      "[--now TIME]\n",
                      stderr);
                return EX_USAGE;
        }
        if (duration_parse(a->since, &a->since_s) < 0) {
                fprintf(stderr,
                        "approvald stats: bad --since '%s' (want a duration: 30m, 24h, "
                        "7d)\n",
                        a->since);
                return EX_USAGE;
        }
        return 0;
}

int cmd_stats(int argc, char **argv)
{
        struct stats s;
        struct args a;
        char env_buf[4096];
        const char *state_dir;
        uint64_t bad = 0;
        int r;

        r = parse_args(argc, argv, &a);
        if (r != 0)
                return r;
        state_dir = command_state_dir(a.state_dir, env_buf, sizeof(env_buf));
        if (stats_init(&s, a.now - a.since_s, a.now) < 0) {
                fputs("stats: out of memory\n", stderr);
                return EX_OSERR;
        }
        r = journal_read(state_dir, visit, &s, &bad);
        if (r == -ENOMEM) {
                fputs("stats: out of memory\n", stderr);
                r = EX_OSERR;
        } else if (r < 0)
                r = command_journal_failed(state_dir, r, bad);
        else {
                stats_finish(&s);
                r = print(&s, a.since, a.json);
        }
        stats_done(&s);
        return r;
}
