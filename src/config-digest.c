/* config-digest.c: the digest of a configuration's decisions
 * (config-digest.h). */
#include <assert.h>
#include <string.h>

#include "config-digest.h"

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static void mix(uint64_t *h, const void *p, size_t n)
{
        const unsigned char *b = p;

        for (size_t i = 0; i < n; i++) {
                *h ^= b[i];
                *h *= FNV_PRIME;
        }
}

/* A string with its length first, so that ("ab","c") and ("a","bc") differ. */
static void mix_str(uint64_t *h, const char *s)
{
        uint64_t n = s ? strlen(s) : UINT64_MAX;

        mix(h, &n, sizeof(n));
        if (s)
                mix(h, s, (size_t)n);
}

static void mix_int(uint64_t *h, int64_t v)
{
        mix(h, &v, sizeof(v));
}

static void mix_values(uint64_t *h, const struct values *v)
{
        const struct list *l = v->list;
        char *const *e = l ? l->entries : v->entries;
        size_t n = l ? l->n_entries : v->n_entries;

        mix_int(h, (int64_t)n);
        for (size_t i = 0; i < n; i++)
                mix_str(h, e[i]);
}

static void mix_when(uint64_t *h, const struct when *w);

static void mix_cond(uint64_t *h, const struct cond *cd)
{
        mix_int(h, cd->kind);
        switch (cd->kind) {
        case COND_CUSTOMER:
        case COND_CUSTOMER_NAME:
        case COND_COUNTRY:
        case COND_CURRENCY:
        case COND_PRODUCT:
                mix_values(h, &cd->values);
                break;
        case COND_TOTAL_ABOVE:
        case COND_TOTAL_AT_MOST:
                mix_int(h, cd->amount);
                break;
        case COND_QUANTITY_ABOVE:
                mix_int(h, cd->quantity);
                break;
        case COND_NEW_CUSTOMER:
        case COND_OVER_CREDIT_LIMIT:
                mix_int(h, cd->flag);
                break;
        case COND_ORDERS_WITHIN:
                mix_int(h, cd->within.window_s);
                mix_int(h, cd->within.above);
                break;
        case COND_ANY:
                mix_int(h, (int64_t)cd->any.n_items);
                for (size_t i = 0; i < cd->any.n_items; i++)
                        mix_when(h, &cd->any.items[i]);
                break;
        case COND_NOT:
                mix_when(h, cd->not );
                break;
        case _COND_MAX:
                break;
        }
}

static void mix_when(uint64_t *h, const struct when *w)
{
        mix_int(h, w ? (int64_t)w->n_conds : -1);
        for (size_t i = 0; w && i < w->n_conds; i++)
                mix_cond(h, &w->conds[i]);
}

static void mix_limits(uint64_t *h, const struct limits *l)
{
        mix_int(h, (int64_t)l->n_items);
        for (size_t i = 0; i < l->n_items; i++) {
                mix_str(h, l->items[i].currency);
                mix_int(h, l->items[i].amount);
        }
}

uint64_t config_digest(const struct config *c)
{
        uint64_t h = FNV_OFFSET;

        assert(c);
        mix_int(&h, (int64_t)c->n_rules);
        for (size_t i = 0; i < c->n_rules; i++) {
                mix_str(&h, c->rules[i].name);
                mix_int(&h, c->rules[i].then);
                mix_str(&h, c->rules[i].reason);
                mix_when(&h, &c->rules[i].when);
        }
        mix_int(&h, c->dflt);
        mix_int(&h, c->credit.window_s);
        mix_limits(&h, &c->credit.dflt);
        mix_int(&h, (int64_t)c->credit.n_customers);
        for (size_t i = 0; i < c->credit.n_customers; i++) {
                mix_str(&h, c->credit.customers[i].customer_id);
                mix_limits(&h, &c->credit.customers[i].limits);
        }
        for (size_t i = 0; i < _FIELD_MAX; i++)
                mix_str(&h, c->api.fields[i]);
        return h;
}
