/* cmd-stats.c: `approvald stats`, what the daemon did lately, read from
 * the journal alone: decisions per decision and per rule, the amounts
 * approved per currency, what became of the calls, the holds and what
 * became of them, and the holds decided by a person in the portal.  It only
 * reads the file, without the lock, so it runs beside the daemon.
 *
 * Each record is read through the state module (state_replay()), the one
 * reader of the journal's records as decisions, so that an order counts as
 * the daemon counts it: a decision when its intent stands (not one written
 * again after a compaction forgot the first), its call's fate from the
 * order's last known status, its amount when entry_counts() says it still
 * counts.  The window selects records by their time; an order's fate may
 * be written later.  API errors are not journaled: they are reported as
 * not recorded, and the JSON keeps their key (null) so that a reader does
 * not change when they are. */
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
#include "state.h"
#include "timeutil.h"
#include "util.h"

#define STATS_SINCE_DEFAULT "24h"

/* What became of a decision's call, from the order's last known status. */
enum fate {
        FATE_OPEN, /* no outcome yet */
        FATE_AS_DECIDED, /* the order ended as we decided */
        FATE_CONFLICT, /* it ended otherwise: someone decided first */
        FATE_NOT_FOUND, /* AppXite no longer knew the order */
        FATE_WAITING_OTHERS, /* our approve is done, other approving parties are not */
        _FATE_MAX,
};

/* What became of a hold, from the order's entry. */
enum hold_fate {
        HOLD_WAITING, /* still held */
        HOLD_DECIDED_BY_RULES, /* decided again by later rules */
        HOLD_DECIDED_IN_PORTAL, /* decided by a person */
        _HOLD_MAX,
};

/* Portal decisions by the order's status. */
enum manual {
        MANUAL_APPROVED,
        MANUAL_REJECTED,
        MANUAL_NOT_FOUND,
        _MANUAL_MAX,
};

struct rule_stat {
        uint64_t n[_ACTION_MAX]; /* per ACTION_APPROVE, ACTION_REJECT, ACTION_HOLD */
};

struct currency_stat {
        int64_t minor;
        uint64_t orders;
        bool overflow; /* the sum left int64_t: minor is meaningless */
};

/* An order decided inside the window: the facts of its standing intent. */
struct order_stat {
        enum action decision;
        int64_t total;
        struct currency_stat *currency; /* owned by stats.currencies */
};

struct stats {
        int64_t from, to; /* the window, seconds since the epoch, both included */
        struct state *state; /* every order, as the daemon would know it */
        struct idmap *orders; /* order id -> struct order_stat, decided in the window */
        struct idmap *held; /* order id -> struct rule_stat of its rule, held in the window */
        struct idmap *manual; /* order id -> (enum manual + 1), decided in the portal */
        struct idmap *rules; /* rule name -> struct rule_stat */
        struct idmap *currencies; /* code -> struct currency_stat */
        struct rule_stat dflt;
        uint64_t decisions[_ACTION_MAX];
        uint64_t fates[_FATE_MAX];
        uint64_t hold_fates[_HOLD_MAX];
        uint64_t manual_n[_MANUAL_MAX];
        uint64_t holds_waiting; /* now, whenever held */
};

static void stats_done(struct stats *s)
{
        state_free(s->state);
        idmap_free(s->orders);
        idmap_free(s->held);
        idmap_free(s->manual);
        idmap_free(s->rules);
        idmap_free(s->currencies);
}

static int stats_init(struct stats *s, int64_t from, int64_t to)
{
        int r;

        *s = (struct stats){ .from = from, .to = to };
        r = state_new(&s->state, 0);
        if (r >= 0)
                r = idmap_new(&s->orders, free);
        if (r >= 0)
                r = idmap_new(&s->held, NULL);
        if (r >= 0)
                r = idmap_new(&s->manual, NULL);
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

static struct rule_stat *rule_of(struct stats *s, const char *rule)
{
        return rule ? map_get_or_add(s->rules, rule, sizeof(struct rule_stat)) : &s->dflt;
}

static bool in_window(const struct stats *s, int64_t t)
{
        return t >= s->from && t <= s->to;
}

/* An intent that stands (the state took it) inside the window. */
static int count_intent(struct stats *s, const struct journal_intent *in)
{
        struct rule_stat *rule;
        struct order_stat *o;

        if (in->decision > ACTION_REJECT || idmap_get(s->orders, in->order_id))
                return 0;
        rule = rule_of(s, in->rule);
        o = calloc(1, sizeof(*o));
        if (!rule || !o) {
                free(o);
                return -ENOMEM;
        }
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

/* A hold inside the window: counted once per order, under the rule of its
 * first hold in the window. */
static int count_hold(struct stats *s, const struct journal_hold *h)
{
        struct rule_stat *rule;

        if (idmap_get(s->held, h->order_id))
                return 0;
        rule = rule_of(s, h->rule);
        if (!rule || idmap_put(s->held, h->order_id, rule) < 0)
                return -ENOMEM;
        rule->n[ACTION_HOLD]++;
        s->decisions[ACTION_HOLD]++;
        return 0;
}

/* A hold decided in the portal inside the window: the last status learnt. */
static int count_manual(struct stats *s, const struct journal_external *x)
{
        enum entry_status st = entry_status_from_string(x->status);
        enum manual m = st == ENTRY_STATUS_APPROVED   ? MANUAL_APPROVED
                        : st == ENTRY_STATUS_NOTFOUND ? MANUAL_NOT_FOUND
                                                      : MANUAL_REJECTED;

        if (st == ENTRY_STATUS_PENDING) /* not decided after all */
                return 0;
        idmap_remove(s->manual, x->order_id);
        return idmap_put(s->manual, x->order_id, (void *)(uintptr_t)(m + 1));
}

static bool entries_equal(struct entry a, struct entry b)
{
        return a.kind == b.kind && a.status == b.status && a.stale == b.stale;
}

static int visit(const struct journal_record *rec, void *userdata)
{
        struct stats *s = userdata;
        const char *id = rec->type == JOURNAL_INTENT ? rec->intent.order_id
                         : rec->type == JOURNAL_HOLD ? rec->hold.order_id
                                                     : NULL;
        struct entry before, after;
        bool known = id && state_get(s->state, id, &before);
        int r;

        r = state_replay(rec, s->state);
        if (r < 0)
                return r;
        if (rec->type == JOURNAL_INTENT && id && in_window(s, rec->intent.time) &&
            state_get(s->state, id, &after) && (!known || !entries_equal(before, after)))
                return count_intent(s, &rec->intent); /* it stands */
        if (rec->type == JOURNAL_HOLD && id && in_window(s, rec->hold.time) &&
            state_get(s->state, id, &after) && after.kind == ENTRY_HOLD)
                return count_hold(s, &rec->hold); /* not decided since */
        if (rec->type == JOURNAL_EXTERNAL && rec->external.order_id &&
            streq_ptr(rec->external.source, "portal") && in_window(s, rec->external.time))
                return count_manual(s, &rec->external);
        return 0;
}

static enum fate fate_of(enum action decision, struct entry e)
{
        switch (e.status) {
        case ENTRY_STATUS_NONE:
                return FATE_OPEN;
        case ENTRY_STATUS_PENDING:
                return FATE_WAITING_OTHERS;
        case ENTRY_STATUS_NOTFOUND:
                return FATE_NOT_FOUND;
        case ENTRY_STATUS_APPROVED:
                return decision == ACTION_APPROVE ? FATE_AS_DECIDED : FATE_CONFLICT;
        case ENTRY_STATUS_REJECTED:
                return decision == ACTION_REJECT ? FATE_AS_DECIDED : FATE_CONFLICT;
        }
        return FATE_OPEN;
}

/* Once every record is read: the calls' fates and the amounts approved
 * (an approval counts while entry_counts() says so, as in the history). */
static void finish_orders(struct stats *s)
{
        const char *id;
        void *v;
        size_t i = 0;

        while (idmap_next(s->orders, &i, &id, &v)) {
                struct order_stat *o = v;
                struct currency_stat *c = o->currency;
                struct entry e = {};

                (void)state_get(s->state, id, &e);
                s->fates[fate_of(o->decision, e)]++;
                if (o->decision != ACTION_APPROVE || !entry_counts(e))
                        continue;
                c->orders++;
                if (__builtin_add_overflow(c->minor, o->total, &c->minor))
                        c->overflow = true;
        }
}

/* The holds of the window, what became of them, those waiting now, and
 * the portal's decisions. */
static void finish_holds(struct stats *s)
{
        const char *id;
        void *v;
        size_t i = 0;

        while (idmap_next(s->held, &i, &id, &v)) {
                struct entry e = {};

                (void)state_get(s->state, id, &e);
                s->hold_fates[e.kind == ENTRY_HOLD       ? HOLD_WAITING
                              : e.kind == ENTRY_EXTERNAL ? HOLD_DECIDED_IN_PORTAL
                                                         : HOLD_DECIDED_BY_RULES]++;
        }
        i = 0;
        while (idmap_next(s->state->entries, &i, &id, &v)) {
                struct entry e = {};

                (void)state_get(s->state, id, &e);
                s->holds_waiting += e.kind == ENTRY_HOLD && entry_waits(e);
        }
        i = 0;
        while (idmap_next(s->manual, &i, &id, &v))
                s->manual_n[(uintptr_t)v - 1]++;
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

static uint64_t rule_total(const struct rule_stat *rs)
{
        return rs->n[ACTION_APPROVE] + rs->n[ACTION_REJECT] + rs->n[ACTION_HOLD];
}

/* The rules (the default first, when it decided anything, then the most
 * used) or, with dflt NULL, the currencies (by code) as an array the caller
 * frees; *ret_n entries.  NULL when out of memory. */
static struct named *sorted(const struct idmap *m, const struct rule_stat *dflt, size_t *ret_n)
{
        struct named *a = calloc(idmap_size(m) + 1, sizeof(*a));
        size_t i = 0, n = 0, first = 0;
        const char *key;
        void *v;

        if (!a)
                return NULL;
        if (dflt && rule_total(dflt) > 0)
                a[n++] = (struct named){ .value = dflt };
        first = n;
        while (idmap_next(m, &i, &key, &v)) {
                if (!dflt && ((const struct currency_stat *)v)->orders == 0)
                        continue; /* only approvals that did not count */
                a[n++] = (struct named){ .key = key,
                                         .value = v,
                                         .weight = dflt ? rule_total(v) : 0 };
        }
        qsort(a + first, n - first, sizeof(*a), named_cmp);
        *ret_n = n;
        return a;
}

static void print_rule_line(const struct rule_stat *rs, const char *name, const char *label)
{
        char esc[LOG_ESCAPE_MAX];

        printf("%8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  ", rs->n[ACTION_APPROVE],
               rs->n[ACTION_REJECT], rs->n[ACTION_HOLD], rule_total(rs));
        if (label)
                puts(label);
        else
                printf("'%s'\n", log_escape(name, esc, sizeof(esc)));
}

static uint64_t calls_done(const struct stats *s)
{
        return s->fates[FATE_AS_DECIDED] + s->fates[FATE_CONFLICT] + s->fates[FATE_NOT_FOUND] +
               s->fates[FATE_WAITING_OTHERS];
}

static void print_amounts(const struct named *cur, size_t n_cur)
{
        char m[MONEY_BUF_SIZE], esc[LOG_ESCAPE_MAX];

        printf("\nApproved amounts (approvals that still count)\n");
        if (n_cur == 0)
                printf("  none\n");
        for (size_t i = 0; i < n_cur; i++) {
                const struct currency_stat *c = cur[i].value;

                printf("%20s %s (%" PRIu64 " order%s)\n",
                       c->overflow ? "(overflow)" : money_format(c->minor, m),
                       log_escape(cur[i].key, esc, sizeof(esc)), c->orders,
                       c->orders == 1 ? "" : "s");
        }
}

static void print_table(const struct stats *s, const char *since, const struct named *rules,
                        size_t n_rules, const struct named *cur, size_t n_cur)
{
        const struct rule_stat all = { .n = { s->decisions[0], s->decisions[1], s->decisions[2] } };
        const uint64_t *f = s->fates, *h = s->hold_fates, *m = s->manual_n;
        char from[TIMESTAMP_BUF_SIZE], to[TIMESTAMP_BUF_SIZE];

        printf("Decisions from %s to %s (last %s)\n\n", timestamp_format(s->from, from),
               timestamp_format(s->to, to), since);
        printf(" approve   reject     hold    total  rule\n");
        print_rule_line(&all, NULL, "(all)");
        for (size_t i = 0; i < n_rules; i++)
                print_rule_line(rules[i].value, rules[i].key, rules[i].key ? NULL : "default");
        print_amounts(cur, n_cur);
        printf("\nCalls\n%8" PRIu64 "  done: %" PRIu64 " as decided, %" PRIu64
               " decided by someone else first, %" PRIu64 " not found, %" PRIu64
               " waiting for other approving parties\n",
               calls_done(s), f[FATE_AS_DECIDED], f[FATE_CONFLICT], f[FATE_NOT_FOUND],
               f[FATE_WAITING_OTHERS]);
        printf("%8" PRIu64 "  open: decided, outcome not known yet\n", f[FATE_OPEN]);
        printf("\nHolds\n%8" PRIu64 "  held: %" PRIu64 " still waiting, %" PRIu64
               " decided again by the rules, %" PRIu64 " decided in the portal\n",
               s->decisions[ACTION_HOLD], h[HOLD_WAITING], h[HOLD_DECIDED_BY_RULES],
               h[HOLD_DECIDED_IN_PORTAL]);
        printf("%8" PRIu64 "  waiting now, whenever held\n", s->holds_waiting);
        printf("\nManual decisions in the portal (of held orders)\n%8" PRIu64 "  %" PRIu64
               " approved, %" PRIu64 " rejected, %" PRIu64 " not found\n",
               m[MANUAL_APPROVED] + m[MANUAL_REJECTED] + m[MANUAL_NOT_FOUND], m[MANUAL_APPROVED],
               m[MANUAL_REJECTED], m[MANUAL_NOT_FOUND]);
        printf("\nNot in the journal: API errors (journalctl MESSAGE_ID=" LOG_MID_API_ERROR ")\n");
}

static void json_lit(struct jsonw *w, const char *s)
{
        jsonw_raw(w, s, strlen(s));
}

/* "key":value for each of n pairs, comma-separated, in an object that
 * holds something already when more (a comma first then). */
static void json_u64s(struct jsonw *w, bool more, const char *const *keys, const uint64_t *values,
                      size_t n)
{
        char buf[96];

        for (size_t i = 0; i < n; i++) {
                int k = snprintf(buf, sizeof(buf), "%s\"%s\":%" PRIu64, more || i ? "," : "",
                                 keys[i], values[i]);

                jsonw_raw(w, buf, (size_t)k);
        }
}

static void json_decisions(struct jsonw *w, bool more, const struct rule_stat *rs)
{
        static const char *const keys[] = { "approve", "reject", "hold", "total" };
        const uint64_t v[] = { rs->n[ACTION_APPROVE], rs->n[ACTION_REJECT], rs->n[ACTION_HOLD],
                               rule_total(rs) };

        json_u64s(w, more, keys, v, ELEMENTSOF(v));
}

static void json_rule(struct jsonw *w, const char *name, const struct rule_stat *rs)
{
        json_lit(w, "{\"rule\":");
        jsonw_string(w, name); /* null for the default */
        json_decisions(w, true, rs);
        json_lit(w, "}");
}

static void json_currency(struct jsonw *w, const char *code, const struct currency_stat *c)
{
        char m[MONEY_BUF_SIZE], buf[96];
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
        json_u64s(w, true, (const char *const[]){ "orders" }, &c->orders, 1);
        json_lit(w, c->overflow ? ",\"overflow\":true}" : ",\"overflow\":false}");
}

static void json_counts(struct jsonw *w, const struct stats *s)
{
        static const char *const calls[] = { "done",      "as_decided",     "conflict",
                                             "not_found", "waiting_others", "open" };
        static const char *const holds[] = { "held", "waiting", "decided_by_rules",
                                             "decided_in_portal" };
        static const char *const manual[] = { "approved", "rejected", "not_found", "total" };
        const uint64_t *f = s->fates, *h = s->hold_fates, *m = s->manual_n;
        const uint64_t vc[] = { calls_done(s),     f[FATE_AS_DECIDED],     f[FATE_CONFLICT],
                                f[FATE_NOT_FOUND], f[FATE_WAITING_OTHERS], f[FATE_OPEN] };
        const uint64_t vh[] = { s->decisions[ACTION_HOLD], h[HOLD_WAITING],
                                h[HOLD_DECIDED_BY_RULES], h[HOLD_DECIDED_IN_PORTAL] };
        const uint64_t vm[] = { m[MANUAL_APPROVED], m[MANUAL_REJECTED], m[MANUAL_NOT_FOUND],
                                m[MANUAL_APPROVED] + m[MANUAL_REJECTED] + m[MANUAL_NOT_FOUND] };

        json_lit(w, ",\"calls\":{");
        json_u64s(w, false, calls, vc, ELEMENTSOF(vc));
        json_lit(w, "},\"holds\":{");
        json_u64s(w, false, holds, vh, ELEMENTSOF(vh));
        json_lit(w, "}");
        json_u64s(w, true, (const char *const[]){ "holds_waiting" }, &s->holds_waiting, 1);
        json_lit(w, ",\"manual_decisions\":{");
        json_u64s(w, false, manual, vm, ELEMENTSOF(vm));
        json_lit(w, "}");
}

/* The keys are documented in docs/operation.md ("Statistics and metrics"). */
static void print_json(const struct stats *s, const struct named *rules, size_t n_rules,
                       const struct named *cur, size_t n_cur, struct jsonw *w)
{
        const struct rule_stat all = { .n = { s->decisions[0], s->decisions[1], s->decisions[2] } };
        char from[TIMESTAMP_BUF_SIZE], to[TIMESTAMP_BUF_SIZE], buf[160];
        int n;

        n = snprintf(buf, sizeof(buf), "{\"from\":\"%s\",\"to\":\"%s\",\"window_seconds\":%" PRId64,
                     timestamp_format(s->from, from), timestamp_format(s->to, to), s->to - s->from);
        jsonw_raw(w, buf, (size_t)n);
        json_lit(w, ",\"decisions\":{");
        json_decisions(w, false, &all);
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
        json_lit(w, "]");
        json_counts(w, s);
        json_lit(w, ",\"api_errors\":null,\"not_recorded\":[\"api_errors\"]}\n");
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
                finish_orders(&s);
                finish_holds(&s);
                r = print(&s, a.since, a.json);
        }
        stats_done(&s);
        return r;
}
