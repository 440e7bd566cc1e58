/* journal-dump.c: the JSON line `approvald journal dump` prints for each
 * record.  Written by hand rather than through cJSON: cJSON rounds 64-bit
 * integers through doubles and prints C1 controls and bidi overrides raw,
 * and both matter here (exact totals, text an operator reads in a
 * terminal). */
#include "journal-dump.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-digest.h"
#include "config.h"
#include "utf8.h"

struct out {
        char *p;
        size_t len, cap;
        bool keyed; /* a field was written: the next one needs a comma */
        bool failed; /* out of memory: everything after is dropped */
};

static void put(struct out *o, const char *s, size_t n)
{
        if (o->failed)
                return;
        if (o->cap - o->len <= n) {
                size_t cap = o->cap ? o->cap : 256;
                char *p;

                while (cap - o->len <= n)
                        cap *= 2;
                p = realloc(o->p, cap);
                if (!p) {
                        o->failed = true;
                        return;
                }
                o->p = p;
                o->cap = cap;
        }
        memcpy(o->p + o->len, s, n);
        o->len += n;
        o->p[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
        put(o, s, strlen(s));
}

/* The characters written as \u escapes: C0 and C1 controls, DEL, the
 * left-to-right and right-to-left marks, the line and paragraph
 * separators, and the bidirectional embeddings, overrides and isolates. */
static bool char_is_unsafe(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f ||
               (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

static void put_json_string(struct out *o, const char *s)
{
        char esc[8];

        put(o, "\"", 1);
        while (*s) {
                uint32_t c = 0;
                size_t n = utf8_decode(s, &c);

                if (n == 0) {
                        put(o, "\xef\xbf\xbd", 3); /* U+FFFD for a stray byte */
                        s++;
                } else if (c == '"' || c == '\\') {
                        put(o, c == '"' ? "\\\"" : "\\\\", 2);
                        s++;
                } else if (c == '\n' || c == '\t' || c == '\r') {
                        put(o, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2);
                        s++;
                } else if (char_is_unsafe(c)) {
                        snprintf(esc, sizeof(esc), "\\u%04" PRIx32, c);
                        put(o, esc, 6);
                        s += n;
                } else {
                        put(o, s, n);
                        s += n;
                }
        }
        put(o, "\"", 1);
}

/* ,"name": */
static void put_key(struct out *o, const char *name)
{
        if (o->keyed)
                put(o, ",", 1);
        o->keyed = true;
        put(o, "\"", 1);
        put_str(o, name);
        put(o, "\":", 2);
}

static void field_int(struct out *o, const char *name, int64_t v)
{
        char buf[32];

        put_key(o, name);
        snprintf(buf, sizeof(buf), "%" PRId64, v);
        put_str(o, buf);
}

static void field_uint(struct out *o, const char *name, uint64_t v)
{
        char buf[32];

        put_key(o, name);
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        put_str(o, buf);
}

static void field_str(struct out *o, const char *name, const char *s)
{
        put_key(o, name);
        if (s)
                put_json_string(o, s);
        else
                put(o, "null", 4);
}

/* A 64-bit digest as 16 lowercase hex digits, as the logs show it: a JSON
 * number would lose its low bits in every reader that parses numbers as
 * doubles (jq). */
static void field_hex64(struct out *o, const char *name, uint64_t v)
{
        char buf[20];

        put_key(o, name);
        snprintf(buf, sizeof(buf), "\"" CONFIG_DIGEST_FMT "\"", v);
        put_str(o, buf);
}

static void put_intent(struct out *o, const struct journal_intent *in)
{
        field_str(o, "type", "intent");
        field_str(o, "order_id", in->order_id);
        field_str(o, "decision", action_to_string(in->decision));
        field_str(o, "rule", in->rule);
        field_str(o, "reason", in->reason);
        field_str(o, "customer_id", in->customer_id);
        field_int(o, "total", in->total);
        field_str(o, "currency", in->currency);
        field_int(o, "time", in->time);
}

static void put_outcome(struct out *o, const struct journal_outcome *out)
{
        field_str(o, "type", "outcome");
        field_str(o, "order_id", out->order_id);
        field_int(o, "http_status", out->http_status);
        field_str(o, "final_status", out->final_status);
        field_int(o, "time", out->time);
}

static void put_hold(struct out *o, const struct journal_hold *h)
{
        field_str(o, "type", "hold");
        field_str(o, "order_id", h->order_id);
        field_str(o, "rule", h->rule);
        field_str(o, "reason", h->reason);
        field_str(o, "customer_id", h->customer_id);
        field_str(o, "customer_name", h->customer_name);
        if (h->has_total)
                field_int(o, "total", h->total);
        else
                field_str(o, "total", NULL);
        field_str(o, "currency", h->currency);
        field_int(o, "created_at", h->created_at);
        field_hex64(o, "rules_digest", h->rules_digest);
        field_int(o, "time", h->time);
        if (h->reminded) { /* version 3; left out otherwise, as before */
                put_key(o, "reminded");
                put_str(o, "true");
        }
}

static void put_external(struct out *o, const struct journal_external *x)
{
        field_str(o, "type", "external");
        field_str(o, "order_id", x->order_id);
        field_str(o, "status", x->status);
        field_str(o, "source", x->source);
        field_str(o, "customer_id", x->customer_id);
        field_int(o, "total", x->total);
        field_str(o, "currency", x->currency);
        field_int(o, "count_from", x->count_from);
        field_int(o, "time", x->time);
}

static void put_mark(struct out *o, const struct journal_mark *m)
{
        field_str(o, "type", "mark");
        field_str(o, "what", m->what);
        field_int(o, "time", m->time);
}

int journal_record_to_json(const struct journal_record *r, char **ret)
{
        struct out o = {};

        assert(r);
        assert(ret);

        put(&o, "{", 1);
        field_uint(&o, "offset", r->offset);
        field_uint(&o, "seq", r->seq);
        switch (r->type) {
        case JOURNAL_INTENT:
                put_intent(&o, &r->intent);
                break;
        case JOURNAL_OUTCOME:
                put_outcome(&o, &r->outcome);
                break;
        case JOURNAL_HOLD:
                put_hold(&o, &r->hold);
                break;
        case JOURNAL_EXTERNAL:
                put_external(&o, &r->external);
                break;
        case JOURNAL_MARK:
                put_mark(&o, &r->mark);
                break;
        default:
                free(o.p);
                return -EINVAL;
        }
        put(&o, "}", 1);
        if (o.failed) {
                free(o.p);
                return -ENOMEM;
        }
        *ret = o.p;
        return 0;
}
