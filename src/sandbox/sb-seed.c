/* sb-seed.c: deterministic test data with a realistic spread (a few hundred
 * customers, some ordering often, totals from 10 to 100,000 in EUR, USD or
 * SEK, one to five lines), and the --orders file loader. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "sb-seed.h"

#define N_CUSTOMERS 300
#define FILE_MAX (256u * 1024 * 1024)

struct offer {
        const char *sku, *name, *frequency, *term;
};

static const struct offer catalog[] = {
        { "MS-M365-E3", "Microsoft 365 E3", "Monthly", "P1Y" },
        { "MS-M365-E5", "Microsoft 365 E5", "Monthly", "P1Y" },
        { "MS-M365-BP", "Microsoft 365 Business Premium", "Monthly", "P1M" },
        { "MS-M365-BB", "Microsoft 365 Business Basic", "Monthly", "P1M" },
        { "MS-TEAMS-PH", "Teams Phone Standard", "Monthly", "P1Y" },
        { "MS-AZ-PLAN", "Azure Plan", "Monthly", "P1M" },
        { "MS-D365-SAL", "Dynamics 365 Sales Enterprise", "Annual", "P1Y" },
        { "MS-VISIO-P2", "Visio Plan 2", "Monthly", "P1Y" },
        { "AX-BACKUP-1T", "Cloud Backup 1 TB", "Monthly", "P1M" },
        { "AX-SEC-EDR", "Endpoint Protection", "Annual", "P1Y" },
        { "AX-MAIL-ARCH", "Mail Archiving", "Annual", "P3Y" },
        { "AX-SUPPORT-P", "Premium Support", "Monthly", "P1Y" },
};

struct country {
        const char *code, *currency;
};

static const struct country countries[] = {
        { "SE", "SEK" }, { "SE", "SEK" }, { "NO", "EUR" }, { "DK", "EUR" }, { "FI", "EUR" },
        { "DE", "EUR" }, { "NL", "EUR" }, { "FR", "EUR" }, { "US", "USD" }, { "US", "USD" },
};

static const char *const name_a[] = {
        "Contoso", "Fabrikam",  "Northwind", "Tailspin",  "Litware",
        "Adatum",  "Proseware", "Woodgrove", "Alpine",    "Lucerne",
        "Wingtip", "Trey",      "Fourth",    "Humongous", "Relecloud"
};
static const char *const name_b[] = { "Ltd",     "AB",   "GmbH",     "Inc",     "Group",
                                      "Systems", "Labs", "Partners", "Trading", "Consulting" };

static char *strdup_num(const char *prefix, const char *middle, unsigned n, const char *suffix)
{
        char buf[SB_TEXT_MAX];

        if (snprintf(buf, sizeof(buf), "%s%s%u%s", prefix, middle, n, suffix) >= (int)sizeof(buf))
                return NULL;
        return strdup(buf);
}

/* Customer k (0-based) is a pure function of k and the seed: the same id
 * always has the same name, country and domain. */
static int make_customer(struct sb_order *o, uint64_t seed, unsigned k)
{
        struct sb_rng r;
        const char *a, *b;
        const struct country *c;
        char name[SB_TEXT_MAX];

        sb_rng_init(&r, seed ^ (UINT64_C(0x5bd1e995) * (k + 1)));
        a = name_a[sb_rng_range(&r, 0, ELEMENTSOF(name_a) - 1)];
        b = name_b[sb_rng_range(&r, 0, ELEMENTSOF(name_b) - 1)];
        c = &countries[sb_rng_range(&r, 0, ELEMENTSOF(countries) - 1)];
        snprintf(name, sizeof(name), "%s %s ", a, b);
        o->customer_id = strdup_num("CUS-", "", k + 1, "");
        o->customer_name = strdup_num(name, "", k + 1, "");
        o->domain = strdup_num(a, "", k + 1, ".example");
        o->country_code = strdup(c->code);
        if (!o->customer_id || !o->customer_name || !o->domain || !o->country_code)
                return -ENOMEM;
        for (char *p = o->domain; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        memcpy(o->currency, c->currency, 4);
        return 0;
}

static int make_item(struct sb_item *it, struct sb_rng *rng, int64_t share_cents)
{
        const struct offer *of = &catalog[sb_rng_range(rng, 0, ELEMENTSOF(catalog) - 1)];
        int64_t qmax = share_cents / 100 < 50 ? share_cents / 100 : 50;
        char id[32];

        it->quantity = sb_rng_range(rng, 1, qmax < 1 ? 1 : qmax);
        it->unit_cents = share_cents / it->quantity;
        it->total_cents = it->unit_cents * it->quantity;
        snprintf(id, sizeof(id), "OFF-%u", (unsigned)(of - catalog) + 1);
        it->offer_id = strdup(id);
        it->sku = strdup(of->sku);
        it->name = strdup(of->name);
        it->billing_frequency = strdup(of->frequency);
        it->term_duration = strdup(of->term);
        if (!it->offer_id || !it->sku || !it->name || !it->billing_frequency || !it->term_duration)
                return -ENOMEM;
        return 0;
}

/* Recurring customers: squaring a uniform number favours low indexes, so a
 * few dozen customers place most orders. */
static unsigned pick_customer(struct sb_rng *rng)
{
        double u = sb_rng_double(rng);

        return (unsigned)(u * u * N_CUSTOMERS);
}

static int make_order(struct sb_order *o, struct sb_rng *rng, uint64_t seed)
{
        /* Log-uniform total between 12.50 and 100,000.00. */
        int64_t total = (int64_t)(1250.0 * exp(sb_rng_double(rng) * log(10000000.0 / 1250.0)));
        size_t n = (size_t)sb_rng_range(rng, 1, 5);
        int r;

        r = make_customer(o, seed, pick_customer(rng));
        if (r < 0)
                return r;
        o->items = calloc(n, sizeof(struct sb_item));
        if (!o->items)
                return -ENOMEM;
        for (; o->n_items < n; o->n_items++) {
                r = make_item(&o->items[o->n_items], rng, total / (int64_t)n);
                if (r < 0)
                        return r;
                o->total_cents += o->items[o->n_items].total_cents;
        }
        return 0;
}

int sb_seed_generate(struct sb_store *s, struct sb_rng *rng, int64_t n, int64_t start)
{
        int64_t t = start;
        uint64_t seed = sb_rng_next(rng);
        int r;

        for (int64_t i = 0; i < n; i++) {
                _cleanup_(sb_order_freep) struct sb_order *o = calloc(1, sizeof(*o));

                if (!o)
                        return -ENOMEM;
                if (i > 0)
                        t += sb_rng_range(rng, 1, 120);
                o->created_at = t;
                sb_store_next_id(s, o->id);
                r = make_order(o, rng, seed);
                if (r < 0)
                        return r;
                r = sb_store_add(s, o);
                if (r < 0)
                        return r;
                TAKE_PTR(o);
        }
        return 0;
}

static int load_array(struct sb_store *s, const cJSON *arr, char *why, size_t why_size)
{
        const cJSON *e;
        int i = 0, r;

        cJSON_ArrayForEach(e, arr)
        {
                _cleanup_(sb_order_freep) struct sb_order *o = NULL;
                const char *w = NULL;

                r = sb_order_from_json(e, SB_ORDER_FILE, &o, &w);
                if (r < 0) {
                        snprintf(why, why_size, "order #%d: %s", i, w ? w : "out of memory");
                        return r;
                }
                r = sb_store_add(s, o);
                if (r < 0) {
                        snprintf(why, why_size, "order #%d (%s): %s", i, o->id,
                                 r == -EEXIST ? "duplicate id" : "out of memory");
                        return r;
                }
                TAKE_PTR(o);
                i++;
        }
        return 0;
}

int sb_seed_load_file(struct sb_store *s, const char *path, char *why, size_t why_size)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        cJSON *j;
        int r;

        r = read_file_capped(path, FILE_MAX, &text, &size);
        if (r < 0) {
                snprintf(why, why_size, "cannot read: %s", strerror(-r));
                return r;
        }
        if (sb_json_has_nul(text, size)) {
                snprintf(why, why_size, "strings must not contain \\u0000");
                return -EINVAL;
        }
        j = cJSON_ParseWithLength(text, size);
        if (!cJSON_IsArray(j)) {
                snprintf(why, why_size, "not a JSON array");
                cJSON_Delete(j);
                return -EINVAL;
        }
        r = load_array(s, j, why, why_size);
        cJSON_Delete(j);
        return r;
}
