/* journal-write.c: test helper that appends records to a journal through
 * journal_open() and the journal_append_*() calls the daemon uses, for the
 * command-line tests, the daemon's tests and the append benchmark.
 *
 *   journal-write DIR N [SYNC_EVERY]
 *     appends N records (intent, outcome, intent, ... for orders ORD-0,
 *     ORD-1, ...), fsyncing after every SYNC_EVERY records (default: once
 *     at the end), and prints the appends per second on stderr.
 *
 *   journal-write DIR --json < RECORDS
 *     appends the records read from stdin, one JSON object a line (blank
 *     lines skipped), in the format `approvald journal dump` prints, so a
 *     dump (edited with jq, say) can be written back; "offset" and "seq"
 *     are ignored.  Fsyncs once at the end.  "type" is "intent", "outcome",
 *     "hold", "external" or "mark"; the other keys are the record's fields
 *     (docs/journal.md, "Commands").  A missing string is "", a missing
 *     number 0; "rule" may be null or missing (NULL); a hold's "total" null
 *     or missing means it has none; "rules_digest" is 16 hex digits;
 *     "reminded" true or false (missing: false).
 *     Numbers are JSON integers (read exactly, all 64 bits, from the line's
 *     text rather than through a double) or decimal strings.  Example:
 *       {"type":"hold","order_id":"ORD-1","rule":"big","reason":"r",
 *        "customer_id":"C1","customer_name":"ACME","total":80000,
 *        "currency":"EUR","created_at":1700000000,
 *        "rules_digest":"0123456789abcdef","time":1700000100}
 *
 * Exit status: 0 done; 64 usage; 65 a bad line ("stdin:LINE: bad 'KEY'",
 * the lines before it appended, nothing after); 1 the journal refused
 * (open, append or sync; the error on stderr). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "journal.h"
#include "jsonscan.h"
#include "util.h"

#define LINE_MAX_BYTES (1u << 20)

static void cjson_freep(cJSON **p)
{
        cJSON_Delete(*p);
}

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

/* ---- --json ---- */

/* One line being read: its parsed object, its text (for exact integers),
 * and where to say which key is bad. */
struct line {
        const cJSON *o;
        const char *text;
        const char **bad;
};

static int bad_key(const struct line *l, const char *key)
{
        *l->bad = key;
        return -EINVAL;
}

/* A string member: "" when missing; NULL for null or missing when nullable. */
static int get_str(const struct line *l, const char *key, bool nullable, const char **ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->o, key);

        if (!v || (cJSON_IsNull(v) && nullable)) {
                *ret = nullable ? NULL : "";
                return 0;
        }
        if (!cJSON_IsString(v))
                return bad_key(l, key);
        *ret = v->valuestring;
        return 0;
}

/* The text of the top-level member key's value in l->text, as written. */
static int raw_member(const struct line *l, const char *key, const char **ret, size_t *ret_len)
{
        size_t pos = 0, len = strlen(l->text), klen = strlen(key);
        struct jsonscan js;

        jsonscan_init(&js, '{');
        for (;;) {
                size_t used = 0;
                enum jsonscan_event ev =
                        pos < len ? jsonscan_feed(&js, l->text + pos, len - pos, &used)
                                  : jsonscan_finish(&js);

                pos += used;
                if (ev == JSONSCAN_VALUE && js.key_end - js.key_start == klen + 2 &&
                    memcmp(l->text + js.key_start + 1, key, klen) == 0) {
                        *ret = l->text + js.value_start;
                        *ret_len = (size_t)(js.value_end - js.value_start);
                        return 0;
                }
                if (ev == JSONSCAN_END || ev == JSONSCAN_ERROR)
                        return -ENOENT;
        }
}

/* A 64-bit integer member, a JSON integer or a decimal string, read
 * exactly.  Missing or null: 0 and *ret_present false (may be NULL). */
static int get_int(const struct line *l, const char *key, int64_t *ret, bool *ret_present)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->o, key);
        char buf[32];
        const char *raw;
        size_t n;

        if (ret_present)
                *ret_present = v && !cJSON_IsNull(v);
        *ret = 0;
        if (!v || cJSON_IsNull(v))
                return 0;
        if (cJSON_IsString(v))
                return safe_atoi64(v->valuestring, ret) < 0 ? bad_key(l, key) : 0;
        if (!cJSON_IsNumber(v) || raw_member(l, key, &raw, &n) < 0 || n >= sizeof(buf))
                return bad_key(l, key);
        memcpy(buf, raw, n);
        buf[n] = '\0';
        return safe_atoi64(buf, ret) < 0 ? bad_key(l, key) : 0;
}

/* true or false; missing: false. */
static int get_bool(const struct line *l, const char *key, bool *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->o, key);

        *ret = false;
        if (!v)
                return 0;
        if (!cJSON_IsBool(v))
                return bad_key(l, key);
        *ret = cJSON_IsTrue(v);
        return 0;
}

/* 16 hex digits, as the dump prints a digest; missing: 0. */
static int get_hex64(const struct line *l, const char *key, uint64_t *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->o, key);
        uint64_t x = 0;

        *ret = 0;
        if (!v)
                return 0;
        if (!cJSON_IsString(v) || strlen(v->valuestring) != 16)
                return bad_key(l, key);
        for (const char *p = v->valuestring; *p; p++) {
                int digit = *p >= '0' && *p <= '9'   ? *p - '0'
                            : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                            : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                                     : -1;

                if (digit < 0)
                        return bad_key(l, key);
                x = x << 4 | (uint64_t)digit;
        }
        *ret = x;
        return 0;
}

static int json_intent(struct journal *j, const struct line *l)
{
        struct journal_intent in = {};
        const char *decision = NULL;
        int r = 0;

        r = r < 0 ? r : get_str(l, "order_id", false, &in.order_id);
        r = r < 0 ? r : get_str(l, "decision", false, &decision);
        r = r < 0 ? r : get_str(l, "rule", true, &in.rule);
        r = r < 0 ? r : get_str(l, "reason", false, &in.reason);
        r = r < 0 ? r : get_str(l, "customer_id", false, &in.customer_id);
        r = r < 0 ? r : get_int(l, "total", &in.total, NULL);
        r = r < 0 ? r : get_str(l, "currency", false, &in.currency);
        r = r < 0 ? r : get_int(l, "time", &in.time, NULL);
        if (r >= 0 && action_from_string(decision, &in.decision) < 0)
                r = bad_key(l, "decision");
        r = r < 0 ? r : journal_intent_check(&in, l->bad);
        return r < 0 ? r : journal_append_intent(j, &in);
}

static int json_outcome(struct journal *j, const struct line *l)
{
        struct journal_outcome out = {};
        int64_t status = 0;
        int r = 0;

        r = r < 0 ? r : get_str(l, "order_id", false, &out.order_id);
        r = r < 0 ? r : get_int(l, "http_status", &status, NULL);
        r = r < 0 ? r : get_str(l, "final_status", false, &out.final_status);
        r = r < 0 ? r : get_int(l, "time", &out.time, NULL);
        if (r >= 0 && (status < 0 || status > 999))
                r = bad_key(l, "http_status");
        out.http_status = (int)status;
        r = r < 0 ? r : journal_outcome_check(&out, l->bad);
        return r < 0 ? r : journal_append_outcome(j, &out);
}

static int json_hold(struct journal *j, const struct line *l)
{
        struct journal_hold h = {};
        int r = 0;

        r = r < 0 ? r : get_str(l, "order_id", false, &h.order_id);
        r = r < 0 ? r : get_str(l, "rule", true, &h.rule);
        r = r < 0 ? r : get_str(l, "reason", false, &h.reason);
        r = r < 0 ? r : get_str(l, "customer_id", false, &h.customer_id);
        r = r < 0 ? r : get_str(l, "customer_name", false, &h.customer_name);
        r = r < 0 ? r : get_int(l, "total", &h.total, &h.has_total);
        r = r < 0 ? r : get_str(l, "currency", false, &h.currency);
        r = r < 0 ? r : get_int(l, "created_at", &h.created_at, NULL);
        r = r < 0 ? r : get_hex64(l, "rules_digest", &h.rules_digest);
        r = r < 0 ? r : get_int(l, "time", &h.time, NULL);
        r = r < 0 ? r : get_bool(l, "reminded", &h.reminded);
        r = r < 0 ? r : journal_hold_check(&h, l->bad);
        return r < 0 ? r : journal_append_hold(j, &h);
}

static int json_external(struct journal *j, const struct line *l)
{
        struct journal_external x = {};
        int r = 0;

        r = r < 0 ? r : get_str(l, "order_id", false, &x.order_id);
        r = r < 0 ? r : get_str(l, "status", false, &x.status);
        r = r < 0 ? r : get_str(l, "source", false, &x.source);
        r = r < 0 ? r : get_str(l, "customer_id", false, &x.customer_id);
        r = r < 0 ? r : get_int(l, "total", &x.total, NULL);
        r = r < 0 ? r : get_str(l, "currency", false, &x.currency);
        r = r < 0 ? r : get_int(l, "count_from", &x.count_from, NULL);
        r = r < 0 ? r : get_int(l, "time", &x.time, NULL);
        r = r < 0 ? r : journal_external_check(&x, l->bad);
        return r < 0 ? r : journal_append_external(j, &x);
}

static int json_mark(struct journal *j, const struct line *l)
{
        struct journal_mark m = {};
        int r = 0;

        r = r < 0 ? r : get_str(l, "what", false, &m.what);
        r = r < 0 ? r : get_int(l, "time", &m.time, NULL);
        r = r < 0 ? r : journal_mark_check(&m, l->bad);
        return r < 0 ? r : journal_append_mark(j, &m);
}

static const struct {
        const char *type;
        int (*append)(struct journal *j, const struct line *l);
} json_types[] = {
        { "intent", json_intent },     { "outcome", json_outcome }, { "hold", json_hold },
        { "external", json_external }, { "mark", json_mark },
};

/* Appends the record of one line.  Returns 0, -EBADMSG when it is not a
 * JSON object, -EINVAL or -E2BIG for a bad member (its key in *ret_bad), or
 * the journal's -errno. */
static int json_line(struct journal *j, const char *text, const char **ret_bad)
{
        _cleanup_(cjson_freep) cJSON *o = cJSON_Parse(text);
        struct line l = { o, text, ret_bad };
        const char *type = NULL;

        if (!cJSON_IsObject(o))
                return -EBADMSG;
        if (get_str(&l, "type", false, &type) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(json_types); i++)
                if (streq(type, json_types[i].type))
                        return json_types[i].append(j, &l);
        return bad_key(&l, "type");
}

static bool blank(const char *s)
{
        return s[strspn(s, " \t\r\n")] == '\0';
}

static int write_json(struct journal *j)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        uint64_t n = 0, lineno = 0;
        ssize_t len;
        int r;

        for (;;) {
                const char *bad = NULL;

                len = getline(&line, &cap, stdin);
                if (len < 0)
                        break;
                lineno++;
                if (blank(line))
                        continue;
                if ((size_t)len > LINE_MAX_BYTES || strlen(line) != (size_t)len) {
                        fprintf(stderr, "journal-write: stdin:%" PRIu64 ": line too long or NUL\n",
                                lineno);
                        return 65;
                }
                r = json_line(j, line, &bad);
                if (r == -EBADMSG) {
                        fprintf(stderr, "journal-write: stdin:%" PRIu64 ": not a JSON object\n",
                                lineno);
                        return 65;
                }
                if ((r == -EINVAL || r == -E2BIG) && bad) {
                        fprintf(stderr, "journal-write: stdin:%" PRIu64 ": bad '%s': %s\n", lineno,
                                bad, strerror(-r));
                        return 65;
                }
                if (r < 0) {
                        fprintf(stderr, "journal-write: stdin:%" PRIu64 ": %s\n", lineno,
                                strerror(-r));
                        return 1;
                }
                n++;
        }
        if (ferror(stdin)) {
                fputs("journal-write: cannot read stdin\n", stderr);
                return 1;
        }
        r = journal_sync(j);
        if (r < 0) {
                fprintf(stderr, "journal-write: %s\n", strerror(-r));
                return 1;
        }
        fprintf(stderr, "journal-write: %" PRIu64 " records\n", n);
        return 0;
}

/* ---- N generated records ---- */

static int write_generated(struct journal *j, int64_t n, int64_t every)
{
        uint64_t t0 = now_monotonic_us();
        int r = 0;

        for (int64_t i = 0; i < n && r >= 0; i++) {
                r = append_one(j, i);
                if (r >= 0 && every > 0 && (i + 1) % every == 0)
                        r = journal_sync(j);
        }
        if (r >= 0)
                r = journal_sync(j);
        if (r < 0) {
                fprintf(stderr, "journal-write: %s\n", strerror(-r));
                return 1;
        }
        if (n > 0)
                fprintf(stderr, "journal-write: %" PRId64 " records, %.0f appends/s\n", n,
                        (double)n * 1e6 / (double)(now_monotonic_us() - t0 + 1));
        return 0;
}

int main(int argc, char **argv)
{
        struct journal *j = NULL;
        bool json = argc == 3 && streq(argv[2], "--json");
        int64_t n = 0, every = 0;
        int r;

        if (!json &&
            (argc < 3 || argc > 4 || safe_atoi64_range(argv[2], 0, INT64_C(100000000), &n) < 0 ||
             (argc == 4 && safe_atoi64_range(argv[3], 1, INT64_MAX, &every) < 0))) {
                fputs("usage: journal-write DIR N [SYNC_EVERY]\n"
                      "       journal-write DIR --json < RECORDS\n",
                      stderr);
                return 64;
        }
        r = journal_open(&j, argv[1], NULL, NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "journal-write: open: %s\n", strerror(-r));
                return 1;
        }
        r = json ? write_json(j) : write_generated(j, n, every);
        journal_close(j);
        return r;
}
