/* history.c: the approvals the rule engine looks back on, per customer.
 * A hash table (chained, FNV-1a) maps a customer id to its approvals kept
 * in a small array; a customer stays known after pruning so new_customer
 * keeps its meaning, and only the approvals' times and amounts are dropped.
 * The first approvals live inside the customer's entry, so that a look-up
 * touches one allocation, not two: in a backtest with tens of thousands of
 * customers these look-ups miss the caches, and each miss shows.
 * Memory thus grows with the number of customers and with the approvals
 * inside the longest window, never with the number of orders seen. */
#include "history.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define HISTORY_MIN_BUCKETS 64
#define INLINE_APPROVALS 2

struct approval {
        int64_t t;
        int64_t amount;
        uint32_t currency; /* index into the history's currencies */
};

/* Currency codes, interned without regard to case: an approval keeps an
 * index, so a code of any length fits in the same 24 bytes and exposure
 * compares integers.  Codes are never forgotten; there are few. */
struct currencies {
        char **names; /* by index */
        uint32_t n, n_alloc;
        uint32_t *slots; /* index + 1, 0 when free; open addressing */
        size_t n_slots; /* a power of two, or 0 */
};

struct customer {
        struct customer *next;
        uint64_t hash;
        struct approval *approvals; /* inl, or a heap array when more */
        uint32_t n_approvals, n_alloc;
        struct approval inl[INLINE_APPROVALS];
        char id[]; /* NUL-terminated */
};

struct history {
        struct customer **buckets;
        size_t n_buckets; /* a power of two */
        size_t n_customers;
        int64_t oldest; /* no kept approval is older (INT64_MAX when none) */
        struct currencies currencies;
};

static size_t currency_slot(const struct currencies *c, const char *code)
{
        size_t i = string_hash(code, true) & (c->n_slots - 1);

        while (c->slots[i] && strcasecmp(c->names[c->slots[i] - 1], code) != 0)
                i = (i + 1) & (c->n_slots - 1);
        return i;
}

/* The index of code, or -1 when no approval was ever in it. */
static int64_t currency_lookup(const struct currencies *c, const char *code)
{
        size_t i;

        if (c->n_slots == 0)
                return -1;
        i = currency_slot(c, code);
        return c->slots[i] ? (int64_t)c->slots[i] - 1 : -1;
}

static int currencies_grow(struct currencies *c)
{
        size_t n = c->n_slots ? c->n_slots * 2 : 16, old_n = c->n_slots;
        uint32_t *s = calloc(n, sizeof(*s)), *old = c->slots;

        if (!s)
                return -ENOMEM;
        c->slots = s;
        c->n_slots = n;
        for (size_t i = 0; i < old_n; i++)
                if (old[i])
                        c->slots[currency_slot(c, c->names[old[i] - 1])] = old[i];
        free(old);
        return 0;
}

/* The index of code, adding it when new.  Returns 0 or -ENOMEM. */
static int currency_intern(struct currencies *c, const char *code, uint32_t *ret)
{
        char **names, *name;
        size_t i;
        int r;

        if ((size_t)(c->n + 1) * 2 > c->n_slots) {
                r = currencies_grow(c);
                if (r < 0)
                        return r;
        }
        i = currency_slot(c, code);
        if (c->slots[i]) {
                *ret = c->slots[i] - 1;
                return 0;
        }
        if (c->n == c->n_alloc) {
                uint32_t n = c->n_alloc ? c->n_alloc * 2 : 8;

                if (n <= c->n_alloc)
                        return -ENOMEM;
                names = reallocarray(c->names, n, sizeof(*names));
                if (!names)
                        return -ENOMEM;
                c->names = names;
                c->n_alloc = n;
        }
        name = strdup(code);
        if (!name)
                return -ENOMEM;
        c->names[c->n++] = name;
        c->slots[i] = c->n;
        *ret = c->n - 1;
        return 0;
}

static void currencies_done(struct currencies *c)
{
        for (uint32_t i = 0; i < c->n; i++)
                free(c->names[i]);
        free(c->names);
        free(c->slots);
}

int history_new(struct history **ret)
{
        struct history *h;

        assert(ret);

        h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->buckets = calloc(HISTORY_MIN_BUCKETS, sizeof(*h->buckets));
        if (!h->buckets) {
                free(h);
                return -ENOMEM;
        }
        h->n_buckets = HISTORY_MIN_BUCKETS;
        h->oldest = INT64_MAX;
        *ret = h;
        return 0;
}

void history_free(struct history *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (struct customer *c = h->buckets[i], *next; c; c = next) {
                        next = c->next;
                        if (c->approvals != c->inl)
                                free(c->approvals);
                        free(c);
                }
        free(h->buckets);
        currencies_done(&h->currencies);
        free(h);
}

static struct customer *find(const struct history *h, const char *id)
{
        uint64_t hash;

        if (!h || !id)
                return NULL;
        hash = string_hash(id, false);
        for (struct customer *c = h->buckets[hash & (h->n_buckets - 1)]; c; c = c->next)
                if (c->hash == hash && streq(c->id, id))
                        return c;
        return NULL;
}

/* Doubles the table when it holds more customers than buckets; a failed
 * allocation only leaves the chains longer. */
static void maybe_grow(struct history *h)
{
        size_t n = h->n_buckets * 2;
        struct customer **b;

        if (h->n_customers < h->n_buckets)
                return;
        b = calloc(n, sizeof(*b));
        if (!b)
                return;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (struct customer *c = h->buckets[i], *next; c; c = next) {
                        next = c->next;
                        c->next = b[c->hash & (n - 1)];
                        b[c->hash & (n - 1)] = c;
                }
        free(h->buckets);
        h->buckets = b;
        h->n_buckets = n;
}

static struct customer *find_or_add(struct history *h, const char *id)
{
        struct customer *c = find(h, id);
        size_t len;

        if (c)
                return c;
        len = strlen(id);
        c = calloc(1, sizeof(*c) + len + 1);
        if (!c)
                return NULL;
        memcpy(c->id, id, len + 1);
        c->approvals = c->inl;
        c->n_alloc = INLINE_APPROVALS;
        c->hash = string_hash(id, false);
        c->next = h->buckets[c->hash & (h->n_buckets - 1)];
        h->buckets[c->hash & (h->n_buckets - 1)] = c;
        h->n_customers++;
        maybe_grow(h);
        return c;
}

int history_add(struct history *h, const char *customer_id, int64_t t, int64_t amount,
                const char *currency)
{
        struct customer *c;
        struct approval *a;
        uint32_t cur;
        int r;

        assert(h);
        assert(customer_id);
        assert(currency);

        r = currency_intern(&h->currencies, currency, &cur);
        if (r < 0)
                return r;
        c = find_or_add(h, customer_id);
        if (!c)
                return -ENOMEM;
        if (c->n_approvals == c->n_alloc) {
                size_t n = (size_t)c->n_alloc * 2;

                if (n > UINT32_MAX)
                        return -ENOMEM;
                a = reallocarray(c->approvals == c->inl ? NULL : c->approvals, n, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                if (c->approvals == c->inl)
                        memcpy(a, c->inl, sizeof(c->inl));
                c->approvals = a;
                c->n_alloc = (uint32_t)n;
        }
        a = &c->approvals[c->n_approvals++];
        if (t < h->oldest)
                h->oldest = t;
        *a = (struct approval){ .t = t, .amount = amount, .currency = cur };
        return 0;
}

bool history_known(const struct history *h, const char *customer_id)
{
        assert(h);

        return find(h, customer_id) != NULL;
}

/* Every approval after from counts, including those stamped after now: the
 * clock was ahead when they were made, or has been set back since.  An
 * approval thus counts until its window has passed by the wall clock, and a
 * step of the clock can only make it count longer, never drop it early
 * (unless the clock jumps forward; see docs/journal.md, "Clock steps"). */
int64_t history_count(const struct history *h, const char *customer_id, int64_t from, int64_t now)
{
        const struct customer *c;
        int64_t n = 0;

        assert(h);
        assert(from <= now);

        c = find(h, customer_id);
        if (!c)
                return 0;
        for (size_t i = 0; i < c->n_approvals; i++)
                if (c->approvals[i].t > from)
                        n++;
        return n;
}

int64_t history_exposure(const struct history *h, const char *customer_id, const char *currency,
                         int64_t from, int64_t now)
{
        const struct customer *c;
        int64_t sum = 0, cur;

        assert(h);
        assert(from <= now);

        c = find(h, customer_id);
        if (!c || !currency)
                return 0;
        cur = currency_lookup(&h->currencies, currency);
        if (cur < 0)
                return 0;
        for (size_t i = 0; i < c->n_approvals; i++) {
                const struct approval *a = &c->approvals[i];

                if (a->t > from && a->currency == (uint32_t)cur &&
                    __builtin_add_overflow(sum, a->amount, &sum))
                        return INT64_MAX; /* saturate: surely over any limit */
        }
        return sum;
}

/* Returns the oldest approval the customer keeps (INT64_MAX when none). */
static int64_t prune_customer(struct customer *c, int64_t t)
{
        int64_t oldest = INT64_MAX;
        size_t k = 0;

        for (size_t i = 0; i < c->n_approvals; i++)
                if (c->approvals[i].t > t) {
                        oldest = c->approvals[i].t < oldest ? c->approvals[i].t : oldest;
                        c->approvals[k++] = c->approvals[i];
                }
        c->n_approvals = (uint32_t)k;
        /* Back inside the entry once few enough remain. */
        if (k <= INLINE_APPROVALS && c->approvals != c->inl) {
                memcpy(c->inl, c->approvals, k * sizeof(*c->approvals));
                free(c->approvals);
                c->approvals = c->inl;
                c->n_alloc = INLINE_APPROVALS;
        }
        return oldest;
}

/* A prune walks every customer, each a likely cache miss: it is skipped
 * while no approval is old enough to go. */
void history_prune(struct history *h, int64_t t)
{
        int64_t oldest = INT64_MAX;

        assert(h);

        if (h->oldest > t)
                return;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (struct customer *c = h->buckets[i]; c; c = c->next) {
                        int64_t o = prune_customer(c, t);

                        oldest = o < oldest ? o : oldest;
                }
        h->oldest = oldest;
}
