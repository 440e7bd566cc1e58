/* gen.c (bench-gen): writes the rule-engine benchmark's input into a
 * folder: orders.jsonl (N orders of about 430 bytes, one per line, in the
 * sandbox's JSON shape), rules.yaml (the example rules of issue 3) and
 * blocked-customers.txt (10,000 entries).  Deterministic: the same N gives
 * the same files. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define N_CUSTOMERS 20000
#define N_BLOCKED 10000

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)(rng >> 11);
}

static const char *const countries[] = { "SE", "DE", "NL", "FR", "US", "GB", "KP", "NO" };
static const char *const currencies[] = { "EUR", "EUR", "EUR", "USD", "SEK" };
static const char *const skus[][3] = {
        { "MS-M365-E3", "OFF-7", "Microsoft 365 E3" },
        { "MS-M365-BP", "OFF-9", "Microsoft 365 Business Premium" },
        { "AZ-PLAN", "OFF-12", "Azure Plan" },
        { "ADB-CC-ALL", "OFF-31", "Adobe Creative Cloud" },
};

static FILE *open_in(const char *dir, const char *name)
{
        char path[4096];
        FILE *f;

        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
                return NULL;
        f = fopen(path, "we");
        if (!f)
                fprintf(stderr, "bench-gen: %s: %s\n", path, strerror(errno));
        return f;
}

static int write_rules(const char *dir)
{
        FILE *f = open_in(dir, "rules.yaml");

        if (!f)
                return -1;
        fputs("version: 1\n"
              "api:\n"
              "  base_url: http://127.0.0.1:8080\n"
              "  token_url: http://127.0.0.1:8080/oauth2/token\n"
              "lists:\n"
              "  trusted: [CUS-00001, CUS-00002, CUS-00003]\n"
              "  blocked: {file: blocked-customers.txt}\n"
              "  embargoed: [KP, IR, SY, CU]\n"
              "credit:\n"
              "  window: 30d\n"
              "  default: {EUR: 10000, USD: 12000}\n"
              "  customers:\n"
              "    CUS-00042: {EUR: 50000}\n"
              "rules:\n"
              "  - name: blocked customers\n"
              "    when: {customer: \"@blocked\"}\n"
              "    then: reject\n"
              "    reason: Customer account is blocked\n"
              "  - name: embargoed countries\n"
              "    when: {country: \"@embargoed\"}\n"
              "    then: reject\n"
              "  - name: big orders need a person\n"
              "    when: {total_above: 25000}\n"
              "    then: hold\n"
              "  - name: trusted customers\n"
              "    when: {customer: \"@trusted\"}\n"
              "    then: approve\n"
              "  - name: credit limit\n"
              "    when: {over_credit_limit: true}\n"
              "    then: reject\n"
              "    reason: Order exceeds the customer's credit limit\n"
              "  - name: first big order\n"
              "    when: {new_customer: true, total_above: 1000}\n"
              "    then: hold\n"
              "default: approve\n",
              f);
        return fclose(f) == 0 ? 0 : -1;
}

/* Blocked: 9,900 ids no order uses and every 200th real customer. */
static int write_blocked(const char *dir)
{
        FILE *f = open_in(dir, "blocked-customers.txt");

        if (!f)
                return -1;
        fputs("# customers whose orders are always rejected\n", f);
        for (int i = 0; i < N_BLOCKED - N_CUSTOMERS / 200; i++)
                fprintf(f, "BLK-%06d\n", i);
        for (int i = 0; i < N_CUSTOMERS; i += 200)
                fprintf(f, "CUS-%05d\n", i);
        return fclose(f) == 0 ? 0 : -1;
}

/* One order; the optional fields (domain, billingFrequency, termDuration)
 * are left out to land near the 430 bytes the benchmark calls for. */
static void write_order(FILE *f, long i)
{
        int cust = (int)(next() % N_CUSTOMERS);
        const char *const *p = skus[next() % ELEMENTSOF(skus)];
        int qty = 1 + (int)(next() % 40);
        long unit = 500 + (long)(next() % 20000); /* cents */
        long total = unit * qty;
        time_t t = (time_t)(1795687200L + i * 7); /* 2026-11-26T10:00:00Z onwards */
        char ts[32];
        struct tm tm;

        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        fprintf(f,
                "{\"id\":\"ORD-%06ld\",\"status\":\"PendingApproval\",\"createdAt\":\"%s\","
                "\"customer\":{\"id\":\"CUS-%05d\",\"name\":\"Customer %05d\","
                "\"countryCode\":\"%s\"},"
                "\"price\":{\"total\":%ld.%02ld,\"currency\":\"%s\"},"
                "\"items\":[{\"offerId\":\"%s\",\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":%d,"
                "\"unitPrice\":%ld.%02ld,\"total\":%ld.%02ld}],"
                "\"links\":{\"approve\":\"http://127.0.0.1:8080/orders/ORD-%06ld/approve\","
                "\"reject\":\"http://127.0.0.1:8080/orders/ORD-%06ld/reject\"}}\n",
                i, ts, cust, cust, countries[next() % ELEMENTSOF(countries)], total / 100,
                total % 100, currencies[next() % ELEMENTSOF(currencies)], p[1], p[0], p[2], qty,
                unit / 100, unit % 100, total / 100, total % 100, i, i);
}

int main(int argc, char **argv)
{
        int64_t n;
        FILE *f;

        if (argc != 3 || safe_atoi64_range(argv[1], 1, 10000000, &n) < 0) {
                fprintf(stderr, "usage: bench-gen N_ORDERS DIR (N at most 10000000)\n");
                return 64;
        }
        if (write_rules(argv[2]) < 0 || write_blocked(argv[2]) < 0)
                return 1;
        f = open_in(argv[2], "orders.jsonl");
        if (!f)
                return 1;
        for (long i = 0; i < n; i++)
                write_order(f, i);
        return fclose(f) == 0 ? 0 : 1;
}
