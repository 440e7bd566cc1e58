/* journal-write.c: test helper that appends records to a journal, for the
 * command-line tests and the append benchmark.
 *   journal-write DIR N [SYNC_EVERY]
 * appends N records (intent, outcome, intent, ... for orders ORD-0, ORD-1,
 * ...), fsyncing after every SYNC_EVERY records (default: once at the end),
 * and prints the appends per second on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "util.h"

static int append_one(struct journal *j, int64_t i)
{
        char id[32];

        snprintf(id, sizeof(id), "ORD-%" PRId64, i / 2);
        if (i % 2 == 0) {
                struct journal_intent in = {
                        .order_id = id,
                        .decision = i % 4 == 0 ? ACTION_APPROVE : ACTION_REJECT,
                        .rule = i % 4 == 0 ? "small-orders" : NULL,
                        .reason = "line one\nline \"two\"",
                        .customer_id = i % 4 == 0 ? "CUST-1" : "C\xff\xc3\xa9", /* bad UTF-8, é */
                        .total = 12345 + i,
                        .currency = "EUR",
                        .time = 1700000000 + i,
                };
                return journal_append_intent(j, &in);
        }
        struct journal_outcome out = {
                .order_id = id,
                .http_status = 200,
                .final_status = "Approved",
                .time = 1700000000 + i,
        };
        return journal_append_outcome(j, &out);
}

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        int64_t n, every = 0;
        uint64_t t0;
        int r;

        if (argc < 3 || argc > 4 || safe_atoi64_range(argv[2], 0, INT64_C(100000000), &n) < 0 ||
            (argc == 4 && safe_atoi64_range(argv[3], 1, INT64_MAX, &every) < 0)) {
                fputs("usage: journal-write DIR N [SYNC_EVERY]\n", stderr);
                return 64;
        }
        r = journal_open(&j, argv[1], NULL, NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "journal-write: open: %s\n", strerror(-r));
                return 1;
        }
        t0 = now_monotonic_us();
        for (int64_t i = 0; i < n && r >= 0; i++) {
                r = append_one(j, i);
                if (r >= 0 && every > 0 && (i + 1) % every == 0)
                        r = journal_sync(j);
        }
        if (r >= 0)
                r = journal_sync(j);
        if (r < 0) {
                fprintf(stderr, "journal-write: %s\n", strerror(-r));
                journal_close(j);
                return 1;
        }
        if (n > 0)
                fprintf(stderr, "journal-write: %" PRId64 " records, %.0f appends/s\n", n,
                        (double)n * 1e6 / (double)(now_monotonic_us() - t0 + 1));
        journal_close(j);
        return 0;
}
