/* config-digest.c: the digest of a config's decision-relevant parts (see
 * config-digest.h for what is in it and why).  A canonical byte form fed
 * to FNV-1a; unordered parts are digested element by element and summed,
 * so the digest needs no allocation and cannot fail. */
#include "config-digest.h"

#include <assert.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

/* Bump when the canonical form changes: every hold is then decided again
 * once, which is what a changed digest means anyway. */
#define DIGEST_FORM "approvald config digest 1"

/* Tags keep fields apart: without them a missing field and an empty one,
 * or the end of one list and the start of the next, could digest alike. */
enum tag {
        TAG_FORM = 1,
        TAG_DEFAULT,
        TAG_FIELD,
        TAG_CREDIT,
        TAG_LIMITS,
        TAG_CUSTOMER,
        TAG_RULES,
        TAG_RULE,
        TAG_WHEN,
        TAG_COND,
        TAG_VALUE,
        TAG_LIMIT,
};

struct fnv {
        uint64_t h;
};

static void fnv_init(struct fnv *f)
{
        f->h = FNV_OFFSET;
}

static void fnv_bytes(struct fnv *f, const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++)
                f->h = (f->h ^ b[i]) * FNV_PRIME;
}

static void fnv_u64(struct fnv *f, uint64_t v)
{
        unsigned char b[8];

        for (int i = 0; i < 8; i++)
                b[i] = (unsigned char)(v >> (8 * i));
        fnv_bytes(f, b, sizeof(b));
}

static void fnv_i64(struct fnv *f, int64_t v)
{
        fnv_u64(f, (uint64_t)v);
}

static void fnv_str(struct fnv *f, const char *s)
{
        size_t n = s ? strlen(s) : 0;

        fnv_u64(f, s ? n : UINT64_MAX); /* NULL apart from "" */
        fnv_bytes(f, s, n);
}

/* An unordered collection: the sum of its elements' mixed digests. */
struct set {
        uint64_t sum, n;
};

static uint64_t mix(uint64_t x)
{
        x ^= x >> 30;
        x *= UINT64_C(0xbf58476d1ce4e5b9);
        x ^= x >> 27;
        x *= UINT64_C(0x94d049bb133111eb);
        x ^= x >> 31;
        return x;
}

static void set_add(struct set *s, const struct fnv *element)
{
        s->sum += mix(element->h);
        s->n++;
}

static void fnv_set(struct fnv *f, const struct set *s)
{
        fnv_u64(f, s->n);
        fnv_u64(f, s->sum);
}

static void digest_when(struct fnv *f, const struct when *w);

/* The entries a values condition matches against: its list's, when it
 * names one, so that "@name" digests as the same entries written inline. */
static void digest_values(struct fnv *f, const struct values *v)
{
        char *const *entries = v->list ? v->list->entries : v->entries;
        size_t n = v->list ? v->list->n_entries : v->n_entries;
        struct set s = {};

        for (size_t i = 0; i < n; i++) {
                struct fnv e;

                fnv_init(&e);
                fnv_u64(&e, TAG_VALUE);
                fnv_str(&e, entries[i]);
                set_add(&s, &e);
        }
        fnv_set(f, &s);
}

static void digest_any(struct fnv *f, const struct cond *c)
{
        struct set s = {};

        for (size_t i = 0; i < c->any.n_items; i++) {
                struct fnv e;

                fnv_init(&e);
                digest_when(&e, &c->any.items[i]);
                set_add(&s, &e);
        }
        fnv_set(f, &s);
}

static void digest_cond(struct fnv *f, const struct cond *c)
{
        fnv_u64(f, TAG_COND);
        fnv_u64(f, (uint64_t)c->kind);
        switch (c->kind) {
        case COND_CUSTOMER:
        case COND_CUSTOMER_NAME:
        case COND_COUNTRY:
        case COND_CURRENCY:
        case COND_PRODUCT:
                digest_values(f, &c->values);
                break;
        case COND_TOTAL_ABOVE:
        case COND_TOTAL_AT_MOST:
                fnv_i64(f, c->amount);
                break;
        case COND_QUANTITY_ABOVE:
                fnv_i64(f, c->quantity);
                break;
        case COND_NEW_CUSTOMER:
        case COND_OVER_CREDIT_LIMIT:
                fnv_u64(f, c->flag);
                break;
        case COND_ORDERS_WITHIN:
                fnv_i64(f, c->within.window_s);
                fnv_i64(f, c->within.above);
                break;
        case COND_ANY:
                digest_any(f, c);
                break;
        case COND_NOT:
                digest_when(f, c->not );
                break;
        case _COND_MAX:
                break;
        }
}

/* A when is a conjunction: its conditions in any order mean the same. */
static void digest_when(struct fnv *f, const struct when *w)
{
        struct set s = {};

        for (size_t i = 0; i < w->n_conds; i++) {
                struct fnv e;

                fnv_init(&e);
                digest_cond(&e, &w->conds[i]);
                set_add(&s, &e);
        }
        fnv_u64(f, TAG_WHEN);
        fnv_set(f, &s);
}

static void digest_limits(struct fnv *f, const struct limits *l)
{
        struct set s = {};

        for (size_t i = 0; i < l->n_items; i++) {
                struct fnv e;

                fnv_init(&e);
                fnv_u64(&e, TAG_LIMIT);
                fnv_str(&e, l->items[i].currency);
                fnv_i64(&e, l->items[i].amount);
                set_add(&s, &e);
        }
        fnv_u64(f, TAG_LIMITS);
        fnv_set(f, &s);
}

static void digest_credit(struct fnv *f, const struct credit *cr)
{
        struct set s = {};

        fnv_u64(f, TAG_CREDIT);
        fnv_i64(f, cr->window_s);
        digest_limits(f, &cr->dflt);
        for (size_t i = 0; i < cr->n_customers; i++) {
                struct fnv e;

                fnv_init(&e);
                fnv_u64(&e, TAG_CUSTOMER);
                fnv_str(&e, cr->customers[i].customer_id);
                digest_limits(&e, &cr->customers[i].limits);
                set_add(&s, &e);
        }
        fnv_set(f, &s);
}

/* Rules in order: the first whose when holds decides. */
static void digest_rules(struct fnv *f, const struct config *c)
{
        fnv_u64(f, TAG_RULES);
        fnv_u64(f, c->n_rules);
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct rule *r = &c->rules[i];

                fnv_u64(f, TAG_RULE);
                fnv_str(f, r->name);
                fnv_u64(f, (uint64_t)r->then);
                fnv_str(f, r->reason);
                digest_when(f, &r->when);
        }
}

uint64_t config_digest(const struct config *c)
{
        struct fnv f;

        assert(c);

        fnv_init(&f);
        fnv_u64(&f, TAG_FORM);
        fnv_str(&f, DIGEST_FORM);
        fnv_u64(&f, TAG_DEFAULT);
        fnv_u64(&f, (uint64_t)c->dflt);
        for (size_t i = 0; i < _FIELD_MAX; i++) {
                fnv_u64(&f, TAG_FIELD);
                fnv_str(&f, order_field_names[i]);
                fnv_str(&f, c->api.fields[i]);
        }
        digest_credit(&f, &c->credit);
        digest_rules(&f, c);
        return f.h;
}
