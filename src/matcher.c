/* matcher.c: the lookup side of rules.yaml's string conditions.  Each
 * struct values gets an index when the config is loaded: literal entries go
 * into a hash set (case-folded where the condition ignores case), and only
 * real globs are kept aside to be tried one by one, so a 10,000-entry list
 * costs one hash probe per lookup. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "matcher.h"
#include "strset.h"

enum match_mode {
        MATCH_EXACT, /* customer ids */
        MATCH_FOLD, /* country and currency codes */
        MATCH_GLOB, /* customer names and products */
};

struct values_index {
        enum match_mode mode;
        struct strset literals;
        const char **globs;
        size_t n_globs;
};

static enum match_mode mode_for(enum cond_kind kind)
{
        switch (kind) {
        case COND_COUNTRY:
        case COND_CURRENCY:
                return MATCH_FOLD;
        case COND_CUSTOMER_NAME:
        case COND_PRODUCT:
                return MATCH_GLOB;
        default:
                return MATCH_EXACT;
        }
}

static bool is_glob(const char *s)
{
        return strpbrk(s, "*?[\\") != NULL;
}

static void values_entries(const struct values *v, char *const **ret_entries, size_t *ret_n)
{
        if (v->list) {
                *ret_entries = v->list->entries;
                *ret_n = v->list->n_entries;
        } else {
                *ret_entries = v->entries;
                *ret_n = v->n_entries;
        }
}

static void index_free(struct values_index *idx)
{
        if (!idx)
                return;
        strset_done(&idx->literals);
        free(idx->globs);
        free(idx);
}

static int index_add(struct values_index *idx, const char *entry)
{
        if (idx->mode == MATCH_GLOB && is_glob(entry)) {
                idx->globs[idx->n_globs++] = entry;
                return 0;
        }
        return strset_put(&idx->literals, entry, NULL);
}

int values_index_build(struct values *v, enum cond_kind kind)
{
        struct values_index *idx;
        char *const *entries;
        size_t n;
        int r;

        values_entries(v, &entries, &n);
        idx = calloc(1, sizeof(*idx));
        if (!idx)
                return -ENOMEM;
        idx->mode = mode_for(kind);
        strset_init(&idx->literals, idx->mode != MATCH_EXACT);
        if (idx->mode == MATCH_GLOB && n > 0) {
                idx->globs = calloc(n, sizeof(*idx->globs));
                if (!idx->globs) {
                        index_free(idx);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < n; i++) {
                r = index_add(idx, entries[i]);
                if (r < 0) {
                        index_free(idx);
                        return r;
                }
        }
        values_index_free(v);
        v->index = idx;
        return 0;
}

void values_index_free(struct values *v)
{
        index_free(v->index);
        v->index = NULL;
}

/* Without an index (a struct built by hand): exact comparison, a scan. */
static bool match_unindexed(const struct values *v, const char *s)
{
        char *const *entries;
        size_t n;

        values_entries(v, &entries, &n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(entries[i], s) == 0)
                        return true;
        return false;
}

bool values_match(const struct values *v, const char *s)
{
        const struct values_index *idx;

        if (!v || !s)
                return false;
        idx = v->index;
        if (!idx)
                return match_unindexed(v, s);
        if (strset_get(&idx->literals, s, NULL))
                return true;
        for (size_t i = 0; i < idx->n_globs; i++)
                if (fnmatch(idx->globs[i], s, FNM_CASEFOLD) == 0)
                        return true;
        return false;
}

int credit_index_build(struct credit *c)
{
        struct strset *set;
        int r;

        set = calloc(1, sizeof(*set));
        if (!set)
                return -ENOMEM;
        strset_init(set, false);
        for (size_t i = 0; i < c->n_customers; i++) {
                r = strset_put(set, c->customers[i].customer_id, &c->customers[i]);
                if (r < 0) {
                        strset_done(set);
                        free(set);
                        return r;
                }
        }
        credit_index_free(c);
        c->index = set;
        return 0;
}

void credit_index_free(struct credit *c)
{
        if (!c->index)
                return;
        strset_done(c->index);
        free(c->index);
        c->index = NULL;
}

static const struct limits *limits_for_customer(const struct credit *c, const char *customer_id)
{
        void *value;

        if (!customer_id)
                return NULL;
        if (c->index) {
                if (strset_get(c->index, customer_id, &value))
                        return &((const struct customer_limits *)value)->limits;
                return NULL;
        }
        for (size_t i = 0; i < c->n_customers; i++)
                if (strcmp(c->customers[i].customer_id, customer_id) == 0)
                        return &c->customers[i].limits;
        return NULL;
}

bool credit_limit_for(const struct credit *c, const char *customer_id, const char *currency,
                      int64_t *ret_amount)
{
        const struct limits *l;

        if (!c || !currency)
                return false;
        l = limits_for_customer(c, customer_id);
        if (!l)
                l = &c->dflt;
        for (size_t i = 0; i < l->n_items; i++)
                if (strcasecmp(l->items[i].currency, currency) == 0) {
                        *ret_amount = l->items[i].amount;
                        return true;
                }
        return false;
}
