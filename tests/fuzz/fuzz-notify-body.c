/* fuzz-notify-body.c: notify_body() on arbitrary facts.  The input is a
 * header (the kind, which facts are present, the total, "since" and "now")
 * and then up to ten NUL-separated strings: order id, customer id and
 * name, currency, rule, reason, decision, by, link, host.  The body must
 * always be valid UTF-8 and JSON; each present fact must read back as
 * given (each byte of invalid UTF-8 as U+FFFD), each absent one must be
 * missing; and the text must be one line with no Slack markup: no control
 * character, no '<' or '>', and '&' only in &amp; &lt; &gt;. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "money.h"
#include "notify.h"
#include "timeutil.h"
#include "utf8.h"

#define N_STRINGS 10
#define HEADER_SIZE (1 + 2 + 8 + 8 + 8)

static const char *const keys[N_STRINGS] = { "order", "customer", "customerName", "currency",
                                             "rule",  "reason",   "decision",     "by",
                                             "link",  "host" };

static void check(int cond)
{
        if (!cond)
                abort();
}

static int64_t read_i64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = v << 8 | p[i];
        return (int64_t)v;
}

/* s with each byte of invalid UTF-8 as U+FFFD, as the body must carry it. */
static char *expected(const char *s)
{
        char *r = malloc(strlen(s) * 3 + 1), *o = r;

        check(r != NULL);
        while (*s) {
                size_t l = utf8_decode(s, NULL);

                if (l == 0) {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        s++;
                        continue;
                }
                memcpy(o, s, l);
                o += l;
                s += l;
        }
        *o = '\0';
        return r;
}

static void check_utf8(const char *s)
{
        while (*s) {
                size_t l = utf8_decode(s, NULL);

                check(l > 0);
                s += l;
        }
}

static void check_text(const char *t)
{
        for (const char *p = t; *p; p++) {
                check((unsigned char)*p >= 0x20 && *p != 0x7f);
                check(*p != '<' && *p != '>');
                if (*p == '&')
                        check(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                              strncmp(p, "&gt;", 4) == 0);
        }
}

static void check_field(const cJSON *j, const char *key, const char *want)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
        char *e;

        if (!want) {
                check(v == NULL);
                return;
        }
        check(cJSON_IsString(v));
        e = expected(want);
        check(strcmp(v->valuestring, e) == 0);
        free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *copy, *s[N_STRINGS] = { 0 }, *p, *end, *body, money[MONEY_BUF_SIZE],
                    ts[TIMESTAMP_BUF_SIZE];
        struct notify_event ev = { 0 };
        unsigned present;
        int64_t now;
        cJSON *j;

        if (size < HEADER_SIZE)
                return 0;
        ev.kind = (enum notify_kind)(data[0] % _NOTIFY_KIND_MAX);
        present = (unsigned)data[1] << 8 | data[2];
        ev.has_total = present & (1u << N_STRINGS);
        ev.total = read_i64(data + 3);
        ev.since = read_i64(data + 11);
        now = read_i64(data + 19);
        copy = malloc(size - HEADER_SIZE + 1);
        check(copy != NULL);
        memcpy(copy, data + HEADER_SIZE, size - HEADER_SIZE);
        copy[size - HEADER_SIZE] = '\0';
        end = copy + (size - HEADER_SIZE);
        p = copy;
        for (int i = 0; i < N_STRINGS && p <= end; i++) {
                if (present & (1u << i))
                        s[i] = p;
                p += strlen(p) + 1;
        }
        ev.order_id = s[0], ev.customer_id = s[1], ev.customer_name = s[2];
        ev.currency = s[3], ev.rule = s[4], ev.reason = s[5], ev.decision = s[6];
        ev.by = s[7], ev.link = s[8];

        body = notify_body(&ev, s[9], now);
        check(body != NULL);
        check_utf8(body);
        j = cJSON_Parse(body);
        check(j != NULL);
        check(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "text")));
        check_text(cJSON_GetObjectItemCaseSensitive(j, "text")->valuestring);
        check_field(j, "event", notify_kind_names[ev.kind]);
        for (int i = 0; i < N_STRINGS; i++)
                check_field(j, keys[i], s[i]);
        check_field(j, "total", ev.has_total ? money_format(ev.total, money) : NULL);
        check_field(j, "since", ev.since != 0 ? timestamp_format(ev.since, ts) : NULL);
        check_field(j, "time", timestamp_format(now, ts));
        cJSON_Delete(j);
        free(body);
        free(copy);
        return 0;
}
