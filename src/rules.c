/* rules.c: the rule engine.  Rules are tried top to bottom; the first whose
 * `when` holds decides, else the default does.  With a trace, every
 * condition is evaluated and recorded with the values it compared, for
 * `approvald explain`; without one, conjunctions and `any` short-circuit.
 *
 * Missing fields.  Before a rule's `when` is evaluated, every condition in
 * it (nested any/not branches included, whatever their order) names the
 * order fields it reads; if any of them is absent or malformed, the answer
 * is hold, no rule is named, and the reason names the field.  This is the
 * safe reading of "never approve by accident": an absent field can neither
 * make a condition fail (letting a later approve rule or the default win)
 * nor make a `not` hold.  Rules after the one that decides are never
 * reached, so what they would read does not matter, and neither does a
 * field no reachable condition reads. */
#include "rules.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

#include "matcher.h"
#include "money.h"
#include "util.h"

#define NEED(f) (1u << (f))

enum entry_kind {
        ENTRY_RULE,
        ENTRY_COND,
};

struct trace_entry {
        enum entry_kind kind;
        unsigned depth;
        bool held;
        const char *rule; /* ENTRY_RULE: its name */
        const char *missing; /* ENTRY_RULE: the field that stopped it */
        char *text;
};

struct trace {
        struct trace_entry *entries;
        size_t n, n_alloc;
};

struct ctx {
        const struct config *c;
        const struct history *h;
        const struct order *o;
        int64_t now;
        struct trace *trace;
        unsigned present; /* present_fields() */
};

int rules_trace_new(struct trace **ret)
{
        struct trace *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

static void trace_reset(struct trace *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->entries[i].text);
        t->n = 0;
}

void rules_trace_free(struct trace *t)
{
        if (!t)
                return;
        trace_reset(t);
        free(t->entries);
        free(t);
}

/* Reserves an entry, to be filled by trace_set() once its answer is known
 * (a rule's or an `any`'s line comes before its conditions' lines).
 * Returns its index, or -ENOMEM. */
static ssize_t trace_reserve(struct trace *t, enum entry_kind kind, unsigned depth)
{
        if (t->n == t->n_alloc) {
                size_t n = t->n_alloc ? t->n_alloc * 2 : 16;
                struct trace_entry *e = reallocarray(t->entries, n, sizeof(*e));

                if (!e)
                        return -ENOMEM;
                t->entries = e;
                t->n_alloc = n;
        }
        t->entries[t->n] = (struct trace_entry){ .kind = kind, .depth = depth };
        return (ssize_t)t->n++;
}

/* Fills entry i; control characters from order data become '?'. */
__attribute__((format(printf, 4, 5))) static int trace_set(struct trace *t, size_t i, bool held,
                                                           const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        for (char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        free(t->entries[i].text);
        t->entries[i].text = s;
        t->entries[i].held = held;
        return 0;
}

static const char *yesno(bool b)
{
        return b ? "yes" : "no";
}

/* "@name" or "[a, b, c, ...]" (the first four entries), for trace lines. */
static const char *values_describe(const struct values *v, char *buf, size_t size)
{
        size_t n = 0;

        if (v->list) {
                snprintf(buf, size, "@%s", v->list->name);
                return buf;
        }
        n = (size_t)snprintf(buf, size, "[");
        for (size_t i = 0; i < v->n_entries && i < 4 && n < size; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", v->entries[i]);
        if (n < size)
                snprintf(buf + n, size - n, "%s]", v->n_entries > 4 ? ", ..." : "");
        return buf;
}

static const char *window_describe(int64_t s, char *buf, size_t size)
{
        static const struct {
                int64_t secs;
                char suffix;
        } units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' } };

        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (s > 0 && s % units[i].secs == 0) {
                        snprintf(buf, size, "%lld%c", (long long)(s / units[i].secs),
                                 units[i].suffix);
                        return buf;
                }
        snprintf(buf, size, "%llds", (long long)s);
        return buf;
}

static unsigned when_needs(const struct when *w);

/* The order fields each plain condition reads.  A table, not a switch:
 * this runs for every rule tried on every order, and the switch's jump
 * was an indirect branch that mispredicted. */
static const unsigned cond_reads[_COND_MAX] = {
        [COND_CUSTOMER] = NEED(FIELD_CUSTOMER_ID),
        [COND_NEW_CUSTOMER] = NEED(FIELD_CUSTOMER_ID),
        [COND_ORDERS_WITHIN] = NEED(FIELD_CUSTOMER_ID),
        [COND_CUSTOMER_NAME] = NEED(FIELD_CUSTOMER_NAME),
        [COND_COUNTRY] = NEED(FIELD_COUNTRY),
        [COND_CURRENCY] = NEED(FIELD_CURRENCY),
        /* a total means nothing without its currency */
        [COND_TOTAL_ABOVE] = NEED(FIELD_TOTAL) | NEED(FIELD_CURRENCY),
        [COND_TOTAL_AT_MOST] = NEED(FIELD_TOTAL) | NEED(FIELD_CURRENCY),
        [COND_QUANTITY_ABOVE] = NEED(FIELD_ITEMS) | NEED(FIELD_ITEM_QUANTITY),
        [COND_PRODUCT] = NEED(FIELD_ITEMS),
        [COND_OVER_CREDIT_LIMIT] =
                NEED(FIELD_CUSTOMER_ID) | NEED(FIELD_TOTAL) | NEED(FIELD_CURRENCY),
};

/* The order fields a condition reads, nested any/not branches included. */
static unsigned cond_needs(const struct cond *cd)
{
        unsigned n = 0;

        if (cd->kind == COND_ANY) {
                for (size_t i = 0; i < cd->any.n_items; i++)
                        n |= when_needs(&cd->any.items[i]);
                return n;
        }
        if (cd->kind == COND_NOT)
                return cd->not ? when_needs(cd->not ) : 0;
        return (unsigned)cd->kind < _COND_MAX ? cond_reads[cd->kind] : 0;
}

static unsigned when_needs(const struct when *w)
{
        unsigned n = 0;

        for (size_t i = 0; i < w->n_conds; i++)
                n |= cond_needs(&w->conds[i]);
        return n;
}

static bool has_items(const struct config *c, const struct order *o)
{
        const cJSON *v;

        if (o->n_items > 0)
                return true;
        v = json_pointer_get(o->json, c->api.fields[FIELD_ITEMS]);
        return cJSON_IsArray(v);
}

/* Every line's quantity is a whole number (order.c gives -1 otherwise). */
static bool quantities_present(const struct order *o)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (o->items[i].quantity < 0)
                        return false;
        return true;
}

/* The plain fields the order has, as NEED() bits (items are checked only
 * when a condition reads them). */
static unsigned present_fields(const struct order *o)
{
        return (o->customer_id ? NEED(FIELD_CUSTOMER_ID) : 0) |
               (o->customer_name ? NEED(FIELD_CUSTOMER_NAME) : 0) |
               (o->country ? NEED(FIELD_COUNTRY) : 0) | (o->currency ? NEED(FIELD_CURRENCY) : 0) |
               (o->has_total ? NEED(FIELD_TOTAL) : 0);
}

/* The first field in needs that the order lacks (in enum order), or -1.
 * A mask, not a loop over every field: this runs for each rule tried. */
static int first_missing(const struct ctx *x, unsigned needs)
{
        unsigned missing = needs & ~x->present & ~(NEED(FIELD_ITEMS) | NEED(FIELD_ITEM_QUANTITY));

        if (needs & (NEED(FIELD_ITEMS) | NEED(FIELD_ITEM_QUANTITY))) {
                if (!has_items(x->c, x->o))
                        missing |= NEED(FIELD_ITEMS);
                else if ((needs & NEED(FIELD_ITEM_QUANTITY)) && !quantities_present(x->o))
                        missing |= NEED(FIELD_ITEM_QUANTITY);
        }
        return missing ? __builtin_ctz(missing) : -1;
}

static int when_eval(const struct ctx *x, const struct when *w, unsigned depth, bool *ret);

static int cond_values(const struct ctx *x, const struct cond *cd, size_t e, const char *what,
                       const char *s, bool *ret)
{
        char buf[256];
        bool held = values_match(&cd->values, s);

        *ret = held;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, held, "%s '%s' in %s? %s", what, s,
                         values_describe(&cd->values, buf, sizeof(buf)), yesno(held));
}

static int cond_product(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        const struct order *o = x->o;
        const char *hit = NULL;
        char buf[256];

        for (size_t i = 0; i < o->n_items && !hit; i++) {
                const struct order_item *it = &o->items[i];

                if (values_match(&cd->values, it->sku))
                        hit = it->sku;
                else if (values_match(&cd->values, it->offer_id))
                        hit = it->offer_id;
                else if (values_match(&cd->values, it->name))
                        hit = it->name;
        }
        *ret = hit;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, hit, "some line's sku, offerId or name in %s? %s%s%s%s",
                         values_describe(&cd->values, buf, sizeof(buf)), yesno(hit),
                         hit ? " ('" : "", hit ? hit : "", hit ? "')" : "");
}

static int cond_total(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        char a[MONEY_BUF_SIZE], b[MONEY_BUF_SIZE];
        bool above = cd->kind == COND_TOTAL_ABOVE;
        bool held = above ? x->o->total > cd->amount : x->o->total <= cd->amount;

        *ret = held;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, held, "total %s %s %s %s? %s", money_format(x->o->total, a),
                         x->o->currency, above ? ">" : "<=", money_format(cd->amount, b),
                         yesno(held));
}

static int cond_quantity(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        int64_t max = -1;

        for (size_t i = 0; i < x->o->n_items; i++)
                if (x->o->items[i].quantity > max)
                        max = x->o->items[i].quantity;
        *ret = max > cd->quantity;
        if (!x->trace)
                return 0;
        if (max < 0)
                return trace_set(x->trace, e, false, "some line's quantity > %lld? no (no lines)",
                                 (long long)cd->quantity);
        return trace_set(x->trace, e, *ret, "largest line quantity %lld > %lld? %s", (long long)max,
                         (long long)cd->quantity, yesno(*ret));
}

static int cond_new_customer(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        bool known = history_known(x->h, x->o->customer_id);
        bool held = cd->flag ? !known : known;

        *ret = held;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, held, "customer '%s' has %s approved order in history? %s",
                         x->o->customer_id, cd->flag ? "no" : "an", yesno(held));
}

static int cond_within(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        int64_t n = history_count(x->h, x->o->customer_id, x->now - cd->within.window_s, x->now);
        char w[32];

        *ret = n > cd->within.above;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, *ret, "orders of '%s' approved within %s: %lld > %lld? %s",
                         x->o->customer_id, window_describe(cd->within.window_s, w, sizeof(w)),
                         (long long)n, (long long)cd->within.above, yesno(*ret));
}

int rules_credit_over(const struct config *c, const struct history *h, const struct order *o,
                      int64_t now, int64_t *ret_exposure, int64_t *ret_limit)
{
        int64_t limit, exposure, sum;

        assert(c);
        assert(h);
        assert(o);
        if (!credit_limit_for(&c->credit, o->customer_id, o->currency, &limit))
                return -ENOENT;
        exposure = history_exposure(h, o->customer_id, o->currency, now - c->credit.window_s, now);
        if (__builtin_add_overflow(exposure, o->total, &sum))
                sum = INT64_MAX;
        if (ret_exposure)
                *ret_exposure = exposure;
        if (ret_limit)
                *ret_limit = limit;
        return sum > limit;
}

static int cond_credit(const struct ctx *x, const struct cond *cd, size_t e, bool *ret)
{
        const struct order *o = x->o;
        char a[MONEY_BUF_SIZE], b[MONEY_BUF_SIZE], s[MONEY_BUF_SIZE], l[MONEY_BUF_SIZE];
        int64_t limit = 0, exposure = 0, sum;
        bool over;
        int k;

        k = rules_credit_over(x->c, x->h, o, x->now, &exposure, &limit);
        if (k < 0) {
                *ret = cd->flag;
                if (!x->trace)
                        return 0;
                return trace_set(
                        x->trace, e, *ret, "no credit limit in %s for '%s': counts as over%s: %s",
                        o->currency, o->customer_id, cd->flag ? "" : "; not over", yesno(*ret));
        }
        if (__builtin_add_overflow(exposure, o->total, &sum))
                sum = INT64_MAX;
        over = k > 0;
        *ret = cd->flag ? over : !over;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, *ret, "exposure %s + %s = %s > limit %s %s: %s%s%s",
                         money_format(exposure, a), money_format(o->total, b), money_format(sum, s),
                         money_format(limit, l), o->currency, yesno(over),
                         cd->flag ? "" : "; not over: ", cd->flag ? "" : yesno(*ret));
}

static int cond_any(const struct ctx *x, const struct cond *cd, size_t e, unsigned depth, bool *ret)
{
        bool held = false;
        int r;

        for (size_t i = 0; i < cd->any.n_items && (x->trace || !held); i++) {
                ssize_t alt = 0;
                bool h;

                if (x->trace) {
                        alt = trace_reserve(x->trace, ENTRY_COND, depth + 1);
                        if (alt < 0)
                                return (int)alt;
                }
                r = when_eval(x, &cd->any.items[i], depth + 2, &h);
                if (r < 0)
                        return r;
                held = held || h;
                if (x->trace) {
                        r = trace_set(x->trace, (size_t)alt, h, "alternative %zu: %s", i + 1,
                                      yesno(h));
                        if (r < 0)
                                return r;
                }
        }
        *ret = held;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, held, "any of %zu alternatives: %s", cd->any.n_items,
                         yesno(held));
}

static int cond_not(const struct ctx *x, const struct cond *cd, size_t e, unsigned depth, bool *ret)
{
        bool inner = true;
        int r = 0;

        if (cd->not ) {
                r = when_eval(x, cd->not, depth + 1, &inner);
                if (r < 0)
                        return r;
        }
        *ret = !inner;
        if (!x->trace)
                return 0;
        return trace_set(x->trace, e, *ret, "not (the conditions below hold? %s): %s", yesno(inner),
                         yesno(*ret));
}

static int cond_eval(const struct ctx *x, const struct cond *cd, unsigned depth, bool *ret)
{
        ssize_t e = 0;

        if (x->trace) {
                e = trace_reserve(x->trace, ENTRY_COND, depth);
                if (e < 0)
                        return (int)e;
        }
        switch (cd->kind) {
        case COND_CUSTOMER:
                return cond_values(x, cd, (size_t)e, "customer", x->o->customer_id, ret);
        case COND_CUSTOMER_NAME:
                return cond_values(x, cd, (size_t)e, "customer name", x->o->customer_name, ret);
        case COND_COUNTRY:
                return cond_values(x, cd, (size_t)e, "country", x->o->country, ret);
        case COND_CURRENCY:
                return cond_values(x, cd, (size_t)e, "currency", x->o->currency, ret);
        case COND_TOTAL_ABOVE:
        case COND_TOTAL_AT_MOST:
                return cond_total(x, cd, (size_t)e, ret);
        case COND_QUANTITY_ABOVE:
                return cond_quantity(x, cd, (size_t)e, ret);
        case COND_PRODUCT:
                return cond_product(x, cd, (size_t)e, ret);
        case COND_NEW_CUSTOMER:
                return cond_new_customer(x, cd, (size_t)e, ret);
        case COND_ORDERS_WITHIN:
                return cond_within(x, cd, (size_t)e, ret);
        case COND_OVER_CREDIT_LIMIT:
                return cond_credit(x, cd, (size_t)e, ret);
        case COND_ANY:
                return cond_any(x, cd, (size_t)e, depth, ret);
        case COND_NOT:
                return cond_not(x, cd, (size_t)e, depth, ret);
        default:
                /* config_load() never produces another kind; never approve on it. */
                return -EINVAL;
        }
}

static int when_eval(const struct ctx *x, const struct when *w, unsigned depth, bool *ret)
{
        bool all = true;

        for (size_t i = 0; i < w->n_conds && (x->trace || all); i++) {
                bool h = false;
                int r = cond_eval(x, &w->conds[i], depth, &h);

                if (r < 0)
                        return r;
                all = all && h;
        }
        *ret = all;
        return 0;
}

static void verdict_missing(const struct order *o, const struct rule *rule, int f,
                            struct verdict *v)
{
        const char *name = order_field_names[f];
        bool bad = o->bad_field && streq(o->bad_field, name);

        v->decision = ACTION_HOLD;
        v->rule = NULL;
        v->problem = true;
        snprintf(v->buf, sizeof(v->buf), "order %s '%s', which rule '%s' reads",
                 bad ? "has a malformed" : "has no", name, rule->name);
        v->reason = v->buf;
}

static void verdict_rule(const struct rule *rule, struct verdict *v)
{
        v->decision = rule->then;
        v->rule = rule;
        v->problem = false;
        v->reason = rule->reason;
        if (!v->reason) {
                snprintf(v->buf, sizeof(v->buf), "rule '%s'", rule->name);
                v->reason = v->buf;
        }
}

/* Static strings: the default decides often, and formatting its reason
 * each time showed in evaluate's profile. */
static void verdict_default(const struct config *c, struct verdict *v)
{
        static const char *const reasons[_ACTION_MAX] = {
                [ACTION_APPROVE] = "no rule matched: default approve",
                [ACTION_REJECT] = "no rule matched: default reject",
                [ACTION_HOLD] = "no rule matched: default hold",
        };

        v->decision = c->dflt;
        v->rule = NULL;
        v->problem = false;
        v->reason = c->dflt < _ACTION_MAX ? reasons[c->dflt] : "no rule matched";
}

/* One rule: its trace line, the missing-field check, then its `when`.
 * Returns 1 when the rule decided (*v filled), 0 to go on, or -errno. */
static int rule_eval(const struct ctx *x, const struct rule *rule, struct verdict *v)
{
        int missing = first_missing(x, when_needs(&rule->when));
        ssize_t e = 0;
        bool held;
        int r;

        if (x->trace) {
                e = trace_reserve(x->trace, ENTRY_RULE, 0);
                if (e < 0)
                        return (int)e;
                x->trace->entries[e].rule = rule->name;
        }
        if (missing >= 0) {
                verdict_missing(x->o, rule, missing, v);
                if (x->trace) {
                        x->trace->entries[e].missing = order_field_names[missing];
                        return trace_set(x->trace, (size_t)e, false, "rule '%s': not evaluated: %s",
                                         rule->name, v->reason)
                                       ?: 1;
                }
                return 1;
        }
        r = when_eval(x, &rule->when, 1, &held);
        if (r < 0)
                return r;
        if (x->trace) {
                r = trace_set(x->trace, (size_t)e, held, "rule '%s': %s%s", rule->name,
                              held ? "holds -> " : "does not hold",
                              held ? action_to_string(rule->then) : "");
                if (r < 0)
                        return r;
        }
        if (held)
                verdict_rule(rule, v);
        return held;
}

int rules_evaluate(const struct config *c, const struct history *h, const struct order *o,
                   int64_t now, struct verdict *ret, struct trace *trace)
{
        struct ctx x = {
                .c = c, .h = h, .o = o, .now = now, .trace = trace, .present = present_fields(o)
        };

        if (trace)
                trace_reset(trace);
        for (size_t i = 0; i < c->n_rules; i++) {
                /* *ret is written only by the rule that decides. */
                int r = rule_eval(&x, &c->rules[i], ret);

                if (r < 0)
                        return r;
                if (r > 0)
                        return 0;
        }
        verdict_default(c, ret);
        return 0;
}

static int64_t when_longest(const struct when *w)
{
        int64_t m = 0;

        for (size_t i = 0; i < w->n_conds; i++) {
                const struct cond *cd = &w->conds[i];
                int64_t v = 0;

                if (cd->kind == COND_ORDERS_WITHIN)
                        v = cd->within.window_s;
                else if (cd->kind == COND_NOT && cd->not )
                        v = when_longest(cd->not );
                else if (cd->kind == COND_ANY)
                        for (size_t j = 0; j < cd->any.n_items; j++) {
                                int64_t a = when_longest(&cd->any.items[j]);

                                v = a > v ? a : v;
                        }
                m = v > m ? v : m;
        }
        return m;
}

int64_t rules_longest_window(const struct config *c)
{
        int64_t m = c->credit.window_s;

        for (size_t i = 0; i < c->n_rules; i++) {
                int64_t w = when_longest(&c->rules[i].when);

                m = w > m ? w : m;
        }
        return m;
}

void rules_trace_print(const struct trace *t, FILE *f)
{
        for (size_t i = 0; i < t->n; i++)
                fprintf(f, "%*s%s\n", (int)(t->entries[i].depth * 2), "", t->entries[i].text ?: "");
}

static int entry_to_json(const struct trace_entry *e, cJSON *conds)
{
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddItemToArray(conds, o)) {
                cJSON_Delete(o);
                return -ENOMEM;
        }
        if (!cJSON_AddNumberToObject(o, "depth", e->depth - 1) ||
            !cJSON_AddBoolToObject(o, "held", e->held) ||
            !cJSON_AddStringToObject(o, "text", e->text ?: ""))
                return -ENOMEM;
        return 0;
}

/* Adds {"rule","held","missing","text","conditions":[]} for rule entry e;
 * returns its conditions array or NULL. */
static cJSON *rule_to_json(const struct trace_entry *e, const char *name, cJSON *arr)
{
        cJSON *o = cJSON_CreateObject(), *conds;

        if (!o || !cJSON_AddItemToArray(arr, o)) {
                cJSON_Delete(o);
                return NULL;
        }
        if (!cJSON_AddStringToObject(o, "rule", name) || !cJSON_AddBoolToObject(o, "held", e->held))
                return NULL;
        if (!(e->missing ? cJSON_AddStringToObject(o, "missing", e->missing)
                         : cJSON_AddNullToObject(o, "missing")))
                return NULL;
        if (!cJSON_AddStringToObject(o, "text", e->text ?: ""))
                return NULL;
        conds = cJSON_AddArrayToObject(o, "conditions");
        return conds;
}

int rules_trace_to_json(const struct trace *t, cJSON **ret)
{
        cJSON *arr = cJSON_CreateArray(), *conds = NULL;

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                const struct trace_entry *e = &t->entries[i];
                int r = 0;

                if (e->kind == ENTRY_RULE) {
                        conds = rule_to_json(e, e->rule ?: "", arr);
                        if (!conds)
                                r = -ENOMEM;
                } else if (conds)
                        r = entry_to_json(e, conds);
                if (r < 0) {
                        cJSON_Delete(arr);
                        return r;
                }
        }
        *ret = arr;
        return 0;
}
