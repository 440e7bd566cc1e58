/* journal-gen.c (bench-journal): writes the journal of a daemon that has
 * decided N orders, for the restart benchmark (tests/bench/run-restart.sh):
 *   bench-journal DIR N [NOW]
 * Each decision is an intent and its outcome, as the daemon writes them:
 * three in four approvals (half by a rule, half by the default), the rest
 * rejections with a reason; 20,000 customers (a few ordering most often)
 * in EUR, USD or SEK; the times spread evenly over the 30 days before NOW
 * (seconds since the epoch, default the current time), so that every
 * approval is inside the credit window and the replay keeps it in the
 * history.  Deterministic for the same N and NOW.  Syncs every 65,536
 * records and at the end; prints the records and the file size. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "util.h"

#define N_CUSTOMERS 20000
#define SPAN_S (INT64_C(30) * 86400)
#define SYNC_EVERY 65536

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)(rng >> 11);
}

static const char *const currencies[] = { "EUR", "EUR", "USD", "SEK" };

/* Appends decision i (of n, the last at now): intent, then outcome. */
static int append_decision(struct journal *j, int64_t i, int64_t n, int64_t now)
{
        char id[32], cus[32];
        double u = (double)(next() % 1000000) / 1e6;
        unsigned c = (unsigned)(u * u * N_CUSTOMERS);
        unsigned kind = next() % 8;
        int64_t t = now - SPAN_S + (SPAN_S * (i + 1)) / n;
        struct journal_intent in = {
                .order_id = id,
                .decision = kind < 6 ? ACTION_APPROVE : ACTION_REJECT,
                .rule = kind < 3   ? "trusted customers"
                        : kind < 6 ? NULL
                                   : "credit limit",
                .reason = kind < 3   ? "rule 'trusted customers'"
                          : kind < 6 ? "no rule matched: default approve"
                                     : "Order exceeds the customer's credit limit",
                .customer_id = cus,
                /* log-uniform, 12.50 to 100,000.00 */
                .total = (int64_t)(1250.0 * exp((double)(next() % 10000) / 10000.0 *
                                                log(10000000.0 / 1250.0))),
                .currency = currencies[c % 4],
                .time = t,
        };
        struct journal_outcome out = {
                .order_id = id,
                .http_status = 200,
                .final_status = kind < 6 ? "Approved" : "Rejected",
                .time = t,
        };
        int r;

        snprintf(id, sizeof(id), "ORD-%09" PRId64, i + 1);
        snprintf(cus, sizeof(cus), "CUS-%05u", c + 1);
        r = journal_append_intent(j, &in);
        if (r < 0)
                return r;
        return journal_append_outcome(j, &out);
}

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        int64_t n, now = (int64_t)time(NULL);
        int r;

        if (argc < 3 || argc > 4 || safe_atoi64_range(argv[2], 1, INT64_C(100000000), &n) < 0 ||
            (argc == 4 && safe_atoi64_range(argv[3], 0, INT64_MAX, &now) < 0)) {
                fputs("usage: bench-journal DIR N [NOW]\n", stderr);
                return 64;
        }
        r = journal_open(&j, argv[1], NULL, NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "bench-journal: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        for (int64_t i = 0; i < n && r >= 0; i++) {
                r = append_decision(j, i, n, now);
                if (r >= 0 && (i + 1) % (SYNC_EVERY / 2) == 0)
                        r = journal_sync(j);
        }
        if (r >= 0)
                r = journal_sync(j);
        if (r < 0) {
                fprintf(stderr, "bench-journal: %s\n", strerror(-r));
                journal_close(j);
                return 1;
        }
        printf("%" PRId64 " decisions, %" PRId64 " records, %" PRIu64 " bytes\n", n, 2 * n,
               journal_size(j));
        journal_close(j);
        return 0;
}
