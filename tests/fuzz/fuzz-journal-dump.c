/* fuzz-journal-dump.c: arbitrary bytes as a journal, every record the
 * scanner accepts (of every type) through the formatter of `approvald
 * journal dump`.
 * Checks that each line is valid UTF-8 with no raw control character,
 * separator or bidi mark (no newline either: puts() adds the only one),
 * that it parses as JSON, and that each string field parses back to the
 * journal's text with only its stray bytes replaced by U+FFFD.  As in
 * fuzz-journal, each input is also scanned with its CRCs recomputed, so
 * that mutated strings reach the formatter. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/journal-internal.h"
#include "crc32c.h"
#include "journal-dump.h"
#include "utf8.h"

static void check(int cond)
{
        if (!cond)
                abort();
}

static bool char_is_unsafe(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f ||
               (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* The text the dump must show for s: stray bytes as U+FFFD. */
static char *sanitized(const char *s)
{
        size_t len = strlen(s), k = 0;
        char *out = malloc(len * 3 + 1);

        check(out != NULL);
        while (*s) {
                size_t n = utf8_decode(s, NULL);

                if (n == 0) {
                        memcpy(out + k, "\xef\xbf\xbd", 3);
                        k += 3;
                        s++;
                        continue;
                }
                memcpy(out + k, s, n);
                k += n;
                s += n;
        }
        out[k] = '\0';
        return out;
}

static void check_field(const cJSON *o, const char *name, const char *want)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
        char *clean;

        check(v != NULL);
        if (!want) {
                check(cJSON_IsNull(v));
                return;
        }
        check(cJSON_IsString(v));
        clean = sanitized(want);
        check(strcmp(v->valuestring, clean) == 0);
        free(clean);
}

/* A hold: its strings, its digest as 16 hex digits, its total null
 * exactly when it has none. */
static void check_hold(const cJSON *o, const struct journal_hold *h)
{
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
        char digest[17];

        check_field(o, "type", "hold");
        check_field(o, "order_id", h->order_id);
        check_field(o, "rule", h->rule);
        check_field(o, "reason", h->reason);
        check_field(o, "customer_id", h->customer_id);
        check_field(o, "customer_name", h->customer_name);
        check_field(o, "currency", h->currency);
        snprintf(digest, sizeof(digest), "%016" PRIx64, h->rules_digest);
        check_field(o, "rules_digest", digest);
        check(total != NULL);
        check(h->has_total ? cJSON_IsNumber(total) : cJSON_IsNull(total));
}

static int visit(const struct journal_record *r, void *userdata)
{
        char *line = NULL;
        cJSON *o;

        check(journal_record_to_json(r, &line) == 0);
        for (const char *p = line; *p;) {
                uint32_t c = 0;
                size_t n = utf8_decode(p, &c);

                check(n > 0);
                check(!char_is_unsafe(c));
                p += n;
        }
        o = cJSON_Parse(line);
        check(cJSON_IsObject(o));
        switch (r->type) {
        case JOURNAL_INTENT:
                check_field(o, "type", "intent");
                check_field(o, "order_id", r->intent.order_id);
                check_field(o, "rule", r->intent.rule);
                check_field(o, "reason", r->intent.reason);
                check_field(o, "customer_id", r->intent.customer_id);
                check_field(o, "currency", r->intent.currency);
                break;
        case JOURNAL_OUTCOME:
                check_field(o, "type", "outcome");
                check_field(o, "order_id", r->outcome.order_id);
                check_field(o, "final_status", r->outcome.final_status);
                break;
        case JOURNAL_HOLD:
                check_hold(o, &r->hold);
                break;
        case JOURNAL_EXTERNAL:
                check_field(o, "type", "external");
                check_field(o, "order_id", r->external.order_id);
                check_field(o, "status", r->external.status);
                check_field(o, "source", r->external.source);
                check_field(o, "customer_id", r->external.customer_id);
                check_field(o, "currency", r->external.currency);
                break;
        case JOURNAL_MARK:
                check_field(o, "type", "mark");
                check_field(o, "what", r->mark.what);
                break;
        default:
                check(0);
        }
        cJSON_Delete(o);
        free(line);
        return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crcs(uint8_t *d, size_t size)
{
        size_t off = JOURNAL_FILE_HEADER_SIZE;

        if (size < JOURNAL_FILE_HEADER_SIZE)
                return;
        put_le32(d + 28, crc32c(0, d, 28));
        while (size - off >= JOURNAL_RECORD_HEADER_SIZE) {
                uint32_t len = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 |
                               (uint32_t)d[off + 2] << 16 | (uint32_t)d[off + 3] << 24;

                if (len < JOURNAL_RECORD_HEADER_SIZE || len > size - off)
                        return;
                put_le32(d + off + 16,
                         crc32c(crc32c(0, d + off, 16), d + off + JOURNAL_RECORD_HEADER_SIZE,
                                len - JOURNAL_RECORD_HEADER_SIZE));
                off += len;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *fixed = malloc(size + 1);
        struct journal_scan sc;

        (void)journal_scan_buffer(data, size, visit, NULL, &sc);
        if (fixed) {
                if (size > 0)
                        memcpy(fixed, data, size);
                fix_crcs(fixed, size);
                (void)journal_scan_buffer(fixed, size, visit, NULL, &sc);
                free(fixed);
        }
        return 0;
}
