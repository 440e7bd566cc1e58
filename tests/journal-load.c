/* journal-load.c: test helper that appends the records given as JSON lines,
 * in the form `approvald journal dump` prints them (offset and seq are
 * ignored), so that a test can write exactly the journal it needs:
 *   journal-load DIR < records.jsonl
 * Intents take type "intent", order_id, decision ("approve", "reject"),
 * rule (null or absent: the default), reason, customer_id, total (minor
 * units), currency, time; outcomes take type "outcome", order_id,
 * http_status, final_status, time.  Syncs once at the end. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "journal.h"
#include "util.h"

static const char *str(const cJSON *o, const char *key, const char *dflt)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int64_t num(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static int append(struct journal *j, const cJSON *o)
{
        const char *type = str(o, "type", "");

        if (streq(type, "intent")) {
                struct journal_intent in = {
                        .order_id = str(o, "order_id", NULL),
                        .decision = streq(str(o, "decision", ""), "reject") ? ACTION_REJECT
                                                                            : ACTION_APPROVE,
                        .rule = str(o, "rule", NULL),
                        .reason = str(o, "reason", ""),
                        .customer_id = str(o, "customer_id", "CUS-1"),
                        .total = num(o, "total"),
                        .currency = str(o, "currency", "EUR"),
                        .time = num(o, "time"),
                };
                return journal_append_intent(j, &in);
        }
        if (streq(type, "outcome")) {
                struct journal_outcome out = {
                        .order_id = str(o, "order_id", NULL),
                        .http_status = (int)num(o, "http_status"),
                        .final_status = str(o, "final_status", NULL),
                        .time = num(o, "time"),
                };
                return journal_append_outcome(j, &out);
        }
        return -EINVAL;
}

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        char line[8192];
        int r = 0, n = 0;

        if (argc != 2) {
                fputs("usage: journal-load DIR < records.jsonl\n", stderr);
                return 64;
        }
        r = journal_open(&j, argv[1], NULL, NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "journal-load: open: %s\n", strerror(-r));
                return 1;
        }
        while (r >= 0 && fgets(line, sizeof(line), stdin)) {
                cJSON *o = cJSON_Parse(line);

                n++;
                r = o ? append(j, o) : -EINVAL;
                cJSON_Delete(o);
        }
        if (r >= 0)
                r = journal_sync(j);
        journal_close(j);
        if (r < 0) {
                fprintf(stderr, "journal-load: line %d: %s\n", n, strerror(-r));
                return 1;
        }
        return 0;
}
