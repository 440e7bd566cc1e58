/* policy.c: the one approval policy (policy.h): order ids, what an
 * approval needs, and what it adds to the history. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "policy.h"
#include "utf8.h"
#include "util.h"

/* NULL when s is valid UTF-8 without control characters (C0, DEL, C1),
 * else what is wrong with it. */
static const char *text_problem_chars(const char *s)
{
        for (const char *p = s; *p;) {
                uint32_t c;
                size_t k = utf8_decode(p, &c);

                if (k == 0)
                        return "is not valid UTF-8";
                if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
                        return "holds a control character";
                p += k;
        }
        return NULL;
}

const char *policy_id_problem(const char *id)
{
        size_t n;

        if (!id)
                return "is missing";
        if (!*id)
                return "is empty";
        n = strnlen(id, POLICY_TEXT_MAX + 1);
        if (n > POLICY_TEXT_MAX)
                return "is longer than " STRINGIFY(POLICY_TEXT_MAX) " bytes";
        if (streq(id, ".") || streq(id, ".."))
                return "is a dot segment ('.' or '..')";
        return text_problem_chars(id);
}

/* Writes "FIELD WHY" into buf when text s (NULL: absent) is odd: absent
 * when required, over POLICY_TEXT_MAX bytes, or with control characters. */
static bool odd_text(const char *field, const char *s, bool required, char *buf, size_t size)
{
        const char *why = NULL;

        if (!s)
                why = required ? "is missing" : NULL;
        else if (strnlen(s, POLICY_TEXT_MAX + 1) > POLICY_TEXT_MAX)
                why = "is longer than " STRINGIFY(POLICY_TEXT_MAX) " bytes";
        else
                why = text_problem_chars(s);
        if (!why)
                return false;
        snprintf(buf, size, "'%s' %s", field, why);
        return true;
}

static bool odd_items(const struct order *o, char *buf, size_t size)
{
        for (size_t i = 0; i < o->n_items; i++) {
                const struct order_item *it = &o->items[i];

                if (odd_text("item_name", it->name, false, buf, size) ||
                    odd_text("item_sku", it->sku, false, buf, size) ||
                    odd_text("item_offer_id", it->offer_id, false, buf, size))
                        return true;
        }
        return false;
}

const char *policy_order_anomaly(const struct order *o, char *buf, size_t size)
{
        assert(o);
        assert(buf && size > 0);

        if (o->bad_field)
                snprintf(buf, size, "'%s' is malformed", o->bad_field);
        else if (!o->has_total)
                snprintf(buf, size, "'total' is missing");
        else if (o->total < 0)
                snprintf(buf, size, "'total' is negative");
        else if (!o->has_created_at)
                snprintf(buf, size, "'created_at' is missing");
        else if (o->n_items == 0)
                snprintf(buf, size, "it has no items");
        else if (!odd_text("status", o->status, true, buf, size) &&
                 !odd_text("customer_id", o->customer_id, true, buf, size) &&
                 !odd_text("customer_name", o->customer_name, true, buf, size) &&
                 !odd_text("country", o->country, true, buf, size) &&
                 !odd_text("currency", o->currency, true, buf, size) && !odd_items(o, buf, size))
                return NULL;
        return buf;
}

/* A text an approval stores: present, not empty, not over the limit. */
static const char *text_problem(const char *s)
{
        if (!s || !*s)
                return "has no";
        if (strnlen(s, POLICY_TEXT_MAX + 1) > POLICY_TEXT_MAX)
                return "has an over-long (over " STRINGIFY(POLICY_TEXT_MAX) " bytes)";
        return NULL;
}

/* Holds with the reason "order WHAT 'FIELD', which an approval needs". */
static void hold(struct verdict *v, const char *what, const char *field)
{
        v->decision = ACTION_HOLD;
        v->rule = NULL;
        v->problem = true;
        snprintf(v->buf, sizeof(v->buf), "order %s '%s', which an approval needs", what, field);
        v->reason = v->buf;
}

/* An approval needs what it adds to the history; without it, a hold that
 * names the field.  Returns true when the approval may stand. */
static bool approval_complete(const struct order *o, struct verdict *v)
{
        const char *why;

        why = text_problem(o->customer_id);
        if (why) {
                hold(v, why, "customer_id");
                return false;
        }
        if (!o->has_total) {
                why = o->bad_field && streq(o->bad_field, "total") ? "has a malformed" : "has no";
                hold(v, why, "total");
                return false;
        }
        if (o->total < 0) {
                hold(v, "has a negative", "total"); /* it would lower the exposure */
                return false;
        }
        why = text_problem(o->currency);
        if (why) {
                hold(v, why, "currency");
                return false;
        }
        return true;
}

int policy_decide(const struct config *c, const struct history *h, const struct order *o,
                  int64_t now, struct verdict *ret, struct trace *trace)
{
        const char *why;
        int r;

        assert(c);
        assert(h);
        assert(o);
        assert(ret);

        why = policy_id_problem(o->id);
        if (why) {
                *ret = (struct verdict){ .decision = ACTION_HOLD, .problem = true };
                snprintf(ret->buf, sizeof(ret->buf), "the order id %s", why);
                ret->reason = ret->buf;
                return 0;
        }
        r = rules_evaluate(c, h, o, now, ret, trace);
        if (r < 0)
                return r;
        if (ret->decision == ACTION_APPROVE)
                (void)approval_complete(o, ret);
        return 0;
}

static bool credit_configured(const struct credit *cr)
{
        return cr->dflt.n_items > 0 || cr->n_customers > 0;
}

int policy_timeout(const struct config *c, const struct history *h, const struct order *o,
                   int64_t now, struct verdict *ret)
{
        char a[MONEY_BUF_SIZE], b[MONEY_BUF_SIZE], l[MONEY_BUF_SIZE];
        int64_t exposure = 0, limit = 0;
        int k;

        assert(c);
        assert(h);
        assert(o);
        assert(ret);
        *ret = (struct verdict){ .decision = ACTION_HOLD, .problem = true, .reason = ret->buf };
        if (c->holds.timeout_s <= 0 || c->holds.timeout_then == ACTION_HOLD) {
                snprintf(ret->buf, sizeof(ret->buf), "no holds.timeout is configured");
                return 0;
        }
        if (policy_id_problem(o->id)) {
                snprintf(ret->buf, sizeof(ret->buf), "the order id %s", policy_id_problem(o->id));
                return 0;
        }
        if (c->holds.timeout_then == ACTION_REJECT) {
                *ret = (struct verdict){ .decision = ACTION_REJECT,
                                         .reason = c->holds.timeout_reason };
                return 0;
        }
        ret->decision = ACTION_APPROVE;
        if (!approval_complete(o, ret))
                return 0; /* a hold naming the field */
        if (!credit_configured(&c->credit))
                goto approve;
        k = rules_credit_over(c, h, o, now, &exposure, &limit);
        if (k < 0)
                snprintf(ret->buf, sizeof(ret->buf), "no credit limit in %s for customer '%.40s'",
                         o->currency, o->customer_id);
        else if (k > 0)
                snprintf(ret->buf, sizeof(ret->buf), "exposure %s + %s would pass the limit %s %s",
                         money_format(exposure, a), money_format(o->total, b),
                         money_format(limit, l), o->currency);
        if (k != 0) {
                ret->decision = ACTION_HOLD;
                return 0;
        }
approve:
        *ret = (struct verdict){ .decision = ACTION_APPROVE, .reason = c->holds.timeout_reason };
        return 0;
}

int policy_count_approval(struct history *h, const char *customer_id, int64_t total,
                          const char *currency, int64_t t)
{
        assert(h);

        if (text_problem(customer_id) || text_problem(currency) || total < 0)
                return -EINVAL;
        return history_add(h, customer_id, t, total, currency);
}

int policy_count_order(struct history *h, const struct order *o, int64_t t)
{
        assert(h);
        assert(o);

        if (!o->has_total)
                return -EINVAL;
        return policy_count_approval(h, o->customer_id, o->total, o->currency, t);
}
