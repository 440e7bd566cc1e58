/* intent-write.c: test helper that journals decisions without outcomes, as
 * a crash right after the intent's fsync leaves them.
 *   intent-write STATE_DIR ORDER_ID approve|reject [REASON] ... (triples) */
#include <stdio.h>

#include "journal.h"
#include "util.h"

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        int r;

        if (argc < 5 || (argc - 2) % 3 != 0) {
                fputs("usage: intent-write STATE_DIR {ORDER_ID approve|reject REASON}...\n",
                      stderr);
                return 64;
        }
        r = journal_open(&j, argv[1], NULL, NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "intent-write: cannot open the journal: %d\n", r);
                return 1;
        }
        for (int i = 2; i + 2 < argc; i += 3) {
                struct journal_intent in = {
                        .order_id = argv[i],
                        .reason = argv[i + 2],
                        .customer_id = "CUS-TEST",
                        .total = 100,
                        .currency = "EUR",
                        .time = now_realtime_s(),
                };

                if (action_from_string(argv[i + 1], &in.decision) < 0) {
                        fprintf(stderr, "intent-write: bad decision '%s'\n", argv[i + 1]);
                        return 64;
                }
                r = journal_append_intent(j, &in);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = journal_sync(j);
        journal_close(j);
        return r < 0 ? 1 : 0;
}
