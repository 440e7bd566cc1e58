/* cmd-holds.c: `approvald holds`: lists the orders waiting for a person,
 * oldest first, from the journal alone (read without its lock, so it works
 * whether the service runs or not).  Which orders still wait is state.c's
 * word (an entry still ENTRY_HOLD with no status: no decision of ours, none
 * learnt from the portal); the facts shown are those of the order's latest
 * hold record, and it has waited since its first one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "config.h"
#include "idmap.h"
#include "journal.h"
#include "log.h"
#include "money.h"
#include "state.h"
#include "timeutil.h"
#include "util.h"

/* One order's latest hold record, and when it was first held. */
struct held {
        char *id;
        char *rule; /* NULL: the default, or a problem with the order */
        char *reason;
        char *customer_id;
        char *customer_name;
        char *currency;
        int64_t total;
        bool has_total;
        int64_t since;
};

static void held_free(void *p)
{
        struct held *h = p;

        if (!h)
                return;
        free(h->id);
        free(h->rule);
        free(h->reason);
        free(h->customer_id);
        free(h->customer_name);
        free(h->currency);
        free(h);
}

static int held_fill(struct held *h, const struct journal_hold *jh)
{
        char *rule = strdup_null(jh->rule), *reason = strdup(jh->reason),
             *cid = strdup(jh->customer_id), *name = strdup(jh->customer_name),
             *cur = strdup(jh->currency);

        if ((jh->rule && !rule) || !reason || !cid || !name || !cur) {
                free(rule), free(reason), free(cid), free(name), free(cur);
                return -ENOMEM;
        }
        free(h->rule), free(h->reason), free(h->customer_id), free(h->customer_name),
                free(h->currency);
        h->rule = rule, h->reason = reason, h->customer_id = cid, h->customer_name = name,
        h->currency = cur;
        h->total = jh->total;
        h->has_total = jh->has_total;
        return 0;
}

/* journal_read()'s visitor: every hold record, by order. */
static int collect_hold(const struct journal_record *rec, void *userdata)
{
        struct idmap *m = userdata;
        struct held *h;
        int r;

        if (rec->type != JOURNAL_HOLD || !rec->hold.order_id)
                return 0;
        h = idmap_get(m, rec->hold.order_id);
        if (!h) {
                h = calloc(1, sizeof(*h));
                if (!h)
                        return -ENOMEM;
                h->id = strdup(rec->hold.order_id);
                h->since = rec->hold.time;
                r = h->id ? idmap_put(m, h->id, h) : -ENOMEM;
                if (r < 0) {
                        held_free(h);
                        return r;
                }
        }
        return held_fill(h, &rec->hold);
}

static int held_compare(const void *a, const void *b)
{
        const struct held *x = *(struct held *const *)a, *y = *(struct held *const *)b;

        if (x->since != y->since)
                return x->since < y->since ? -1 : 1;
        return strcmp(x->id, y->id);
}

/* The holds still waiting, oldest first, in *ret (n in *ret_n; the caller
 * frees the array, not the items: they stay owned by m).  Returns 0,
 * -ENOENT when there is no journal, or -errno. */
static int holds_collect(const char *state_dir, struct idmap *m, struct held ***ret, size_t *ret_n)
{
        _cleanup_free_ struct held **v = NULL;
        struct state *s = NULL;
        const char *id;
        void *p;
        size_t i = 0, n = 0;
        int r;

        r = state_new(&s, 0);
        if (r >= 0)
                r = state_load(s, state_dir, 0, NULL, NULL);
        if (r >= 0)
                r = journal_read(state_dir, collect_hold, m, NULL);
        if (r >= 0 && !(v = calloc(idmap_size(m) + 1, sizeof(*v))))
                r = -ENOMEM;
        while (r >= 0 && idmap_next(m, &i, &id, &p)) {
                struct entry e;

                if (state_get(s, id, &e) && e.kind == ENTRY_HOLD && e.status == ENTRY_STATUS_NONE)
                        v[n++] = p;
        }
        state_free(s);
        if (r < 0)
                return r;
        qsort(v, n, sizeof(*v), held_compare);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static int print_json(struct held **v, size_t n)
{
        _cleanup_free_ char *text = NULL;
        char ts[TIMESTAMP_BUF_SIZE], money[MONEY_BUF_SIZE];
        cJSON *a = cJSON_CreateArray();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct held *h = v[i];
                cJSON *o = cJSON_CreateObject();

                if (o && !cJSON_AddItemToArray(a, o)) {
                        cJSON_Delete(o);
                        o = NULL;
                }
                if (!o || !cJSON_AddStringToObject(o, "id", h->id) ||
                    !cJSON_AddStringToObject(o, "customer", h->customer_id) ||
                    !cJSON_AddStringToObject(o, "customerName", h->customer_name) ||
                    !(h->has_total
                              ? cJSON_AddStringToObject(o, "total", money_format(h->total, money))
                              : cJSON_AddNullToObject(o, "total")) ||
                    !cJSON_AddStringToObject(o, "currency", h->currency) ||
                    !(h->rule ? cJSON_AddStringToObject(o, "rule", h->rule)
                              : cJSON_AddNullToObject(o, "rule")) ||
                    !cJSON_AddStringToObject(o, "reason", h->reason) ||
                    !cJSON_AddStringToObject(o, "heldSince", timestamp_format(h->since, ts))) {
                        cJSON_Delete(a); /* o with it */
                        return -ENOMEM;
                }
        }
        text = cJSON_Print(a);
        cJSON_Delete(a);
        if (!text)
                return -ENOMEM;
        puts(text);
        return 0;
}

/* "3d4h", "5h12m", "7m": how long an order has waited. */
static void format_age(int64_t s, char buf[static 32])
{
        if (s < 0)
                s = 0;
        if (s >= 86400)
                snprintf(buf, 32, "%lldd%lldh", (long long)(s / 86400),
                         (long long)(s % 86400 / 3600));
        else if (s >= 3600)
                snprintf(buf, 32, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
        else
                snprintf(buf, 32, "%lldm", (long long)(s / 60));
}

/* Text from outside is escaped: a customer's name may hold anything. */
static void print_table(struct held **v, size_t n, int64_t now)
{
        char ts[TIMESTAMP_BUF_SIZE], money[MONEY_BUF_SIZE], age[32];
        char id[LOG_ESCAPE_MAX], cid[LOG_ESCAPE_MAX], name[LOG_ESCAPE_MAX], cur[16];
        char rule[LOG_ESCAPE_MAX], reason[LOG_ESCAPE_MAX];

        if (n == 0) {
                puts("no order is waiting for a person");
                return;
        }
        printf("%-16s %-24s %16s %-20s %-8s %s\n", "ORDER", "CUSTOMER", "TOTAL", "HELD SINCE",
               "WAITING", "RULE: REASON");
        for (size_t i = 0; i < n; i++) {
                const struct held *h = v[i];

                format_age(now - h->since, age);
                printf("%-16s %-24s %12s %-3s %-20s %-8s %s: %s\n",
                       log_escape(h->id, id, sizeof(id)),
                       *h->customer_name ? log_escape(h->customer_name, name, sizeof(name))
                                         : log_escape(h->customer_id, cid, sizeof(cid)),
                       h->has_total ? money_format(h->total, money) : "?",
                       log_escape(h->currency, cur, sizeof(cur)), timestamp_format(h->since, ts),
                       age, h->rule ? log_escape(h->rule, rule, sizeof(rule)) : "(default)",
                       log_escape(h->reason, reason, sizeof(reason)));
        }
        printf("%zu order%s waiting for a person\n", n, n == 1 ? "" : "s");
}

int cmd_holds(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "state-dir", required_argument, NULL, 'S' },
                {},
        };
        const char *state_dir = getenv("STATE_DIRECTORY") ?: JOURNAL_STATE_DIR_DEFAULT;
        _cleanup_free_ struct held **v = NULL;
        struct idmap *m = NULL;
        bool json = false;
        size_t n = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "c:", options, NULL)) >= 0)
                switch (c) {
                case 'c': /* accepted for symmetry with the other commands; not needed */
                        break;
                case 'j':
                        json = true;
                        break;
                case 'S':
                        state_dir = optarg;
                        break;
                default:
                        return EX_USAGE;
                }
        if (optind != argc) {
                fprintf(stderr, "approvald holds: unexpected argument '%s'\n", argv[optind]);
                return EX_USAGE;
        }
        r = idmap_new(&m, held_free);
        if (r >= 0)
                r = holds_collect(state_dir, m, &v, &n);
        if (r == -ENOENT) {
                r = 0; /* no journal yet: nothing is waiting */
                n = 0;
        } else if (r < 0) {
                fprintf(stderr, "approvald holds: cannot read the journal in %s: %s\n", state_dir,
                        r == -EBADMSG ? "it is damaged (see 'approvald journal verify')"
                                      : strerror(-r));
                idmap_free(m);
                return r == -EBADMSG ? 76 : EX_NOINPUT;
        }
        if (json)
                r = print_json(v, n);
        else
                print_table(v, n, now_realtime_s());
        idmap_free(m);
        if (r < 0) {
                fprintf(stderr, "approvald holds: %s\n", strerror(-r));
                return EX_OSERR;
        }
        return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
