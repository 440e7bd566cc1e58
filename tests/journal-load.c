/* journal-load.c: test helper that appends the records given as JSON lines,
 * in the form `approvald journal dump` prints them (offset and seq are
 * ignored), so that a test can write exactly the journal it needs:
 *   journal-load DIR --json < records.jsonl
 * (the command line of h-records' `journal-write DIR --json`, which can
 * replace it).  "type" is "intent" (order_id, decision "approve" or
 * "reject", rule: null or absent for the default, reason, customer_id,
 * total in minor units, currency, time), "outcome" (order_id, http_status,
 * final_status, time), "hold" (order_id, rule, reason, customer_id,
 * total, currency, time) or "external" (order_id, status, source,
 * customer_id, total, currency, count_from, time).  Numbers go through a
 * double: keep them below 2^53.  Syncs once at the end. */
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
        if (streq(type, "hold")) {
                struct journal_hold h = {
                        .order_id = str(o, "order_id", NULL),
                        .rule = str(o, "rule", NULL),
                        .reason = str(o, "reason", ""),
                        .customer_id = str(o, "customer_id", "CUS-1"),
                        .customer_name = str(o, "customer_name", ""),
                        .currency = str(o, "currency", "EUR"),
                        .total = num(o, "total"),
                        .has_total = true,
                        .time = num(o, "time"),
                };
                return journal_append_hold(j, &h);
        }
        if (streq(type, "external")) {
                struct journal_external x = {
                        .order_id = str(o, "order_id", NULL),
                        .status = str(o, "status", NULL),
                        .source = str(o, "source", "portal"),
                        .customer_id = str(o, "customer_id", "CUS-1"),
                        .currency = str(o, "currency", "EUR"),
                        .total = num(o, "total"),
                        .count_from = num(o, "count_from"),
                        .time = num(o, "time"),
                };
                return journal_append_external(j, &x);
        }
        return -EINVAL;
}

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        char line[8192];
        int r = 0, n = 0;

        if (argc != 3 || !streq(argv[2], "--json")) {
                fputs("usage: journal-load DIR --json < records.jsonl\n", stderr);
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
