/* sb-order.c: the order record, its JSON rendering (amounts printed from
 * cents, never through a double) and the validating JSON parser. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "money.h"
#include "sb-order.h"
#include "sb-tiers.h"
#include "timeutil.h"
#include "utf8.h"

static const char *const status_names[2][_SB_STATUS_MAX] = {
        {
                [SB_STATUS_PENDING] = "PendingApproval",
                [SB_STATUS_APPROVED] = "Approved",
                [SB_STATUS_REJECTED] = "Rejected",
        },
        {
                [SB_STATUS_PENDING] = "pending",
                [SB_STATUS_APPROVED] = "approved",
                [SB_STATUS_REJECTED] = "rejected",
        },
};

static const char *const party_status_names[2][_SB_STATUS_MAX] = {
        {
                [SB_STATUS_PENDING] = "Pending",
                [SB_STATUS_APPROVED] = "Approved",
                [SB_STATUS_REJECTED] = "Rejected",
        },
        {
                [SB_STATUS_PENDING] = "pending",
                [SB_STATUS_APPROVED] = "approved",
                [SB_STATUS_REJECTED] = "rejected",
        },
};

const char *sb_status_name(enum sb_status s, bool lower)
{
        return s < _SB_STATUS_MAX ? status_names[lower][s] : "Unknown";
}

const char *sb_status_to_string(enum sb_status s)
{
        return sb_status_name(s, false);
}

const char *sb_party_status_name(enum sb_status s, bool lower)
{
        return s < _SB_STATUS_MAX ? party_status_names[lower][s] : "Unknown";
}

int sb_status_from_name(const char *s, bool lower)
{
        assert(s);
        for (int i = 0; i < _SB_STATUS_MAX; i++)
                if (streq(s, status_names[lower][i]))
                        return i;
        return -EINVAL;
}

int sb_status_from_string(const char *s)
{
        return sb_status_from_name(s, false);
}

static void item_done(struct sb_item *it)
{
        free(it->offer_id);
        free(it->sku);
        free(it->name);
        free(it->billing_frequency);
        free(it->term_duration);
}

void sb_order_free(struct sb_order *o)
{
        if (!o)
                return;
        for (size_t i = 0; i < o->n_items; i++)
                item_done(&o->items[i]);
        free(o->items);
        free(o->customer_id);
        free(o->customer_name);
        free(o->country_code);
        free(o->domain);
        free(o->rejection_reason);
        free(o);
}

bool sb_json_has_nul(const char *text, size_t len)
{
        size_t backslashes = 0;

        /* Outside strings JSON has no backslash, and an even run of them is
         * escaped backslashes: only an odd run starts an escape. */
        for (size_t i = 0; i < len; i++) {
                if (text[i] == '\\') {
                        backslashes++;
                        continue;
                }
                if (backslashes % 2 == 1 && text[i] == 'u' && len - i > 4 &&
                    memcmp(text + i + 1, "0000", 4) == 0)
                        return true;
                backslashes = 0;
        }
        return false;
}

size_t sb_utf8_length(const char *s)
{
        const char *p = s;
        size_t n = 0;

        while (*p) {
                size_t k = utf8_decode(p, NULL);

                if (k == 0)
                        return SIZE_MAX;
                p += k;
                n++;
        }
        return n;
}

/* Copies an optional string member: absent or null gives "", any other
 * non-string type is an error.  Returns 0, -EINVAL or -ENOMEM. */
static int get_string(const cJSON *obj, const char *name, bool required, char **ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
        const char *s = "";

        if (!v || cJSON_IsNull(v)) {
                if (required)
                        return -EINVAL;
        } else if (cJSON_IsString(v) && v->valuestring) {
                s = v->valuestring;
                if (strlen(s) > SB_TEXT_MAX)
                        return -EINVAL;
        } else
                return -EINVAL;
        if (required && !*s)
                return -EINVAL;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int get_money(const cJSON *obj, const char *name, int64_t *ret, const char **why)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
        int64_t cents;
        int r;

        if (!cJSON_IsNumber(v)) {
                *why = "unitPrice must be a number";
                return -EINVAL;
        }
        r = money_from_double(v->valuedouble, &cents);
        if (r < 0) {
                *why = "unitPrice must have at most two decimals and be below 10^12";
                return r;
        }
        if (cents < 0) {
                *why = "unitPrice must not be negative";
                return -EINVAL;
        }
        *ret = cents;
        return 0;
}

static int get_quantity(const cJSON *item, int64_t *ret, const char **why)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "quantity");
        double d;

        if (!cJSON_IsNumber(v)) {
                *why = "quantity must be an integer";
                return -EINVAL;
        }
        d = v->valuedouble;
        if (!(d >= 1)) {
                *why = "quantity must be at least 1";
                return -EINVAL;
        }
        if (d > (double)SB_QUANTITY_MAX || d != (double)(int64_t)d) {
                *why = "quantity must be an integer of at most 1000000";
                return -EINVAL;
        }
        *ret = (int64_t)d;
        return 0;
}

static int item_from_json(const cJSON *j, struct sb_item *it, const char **why)
{
        int r;

        if (!cJSON_IsObject(j)) {
                *why = "each item must be an object";
                return -EINVAL;
        }
        r = get_quantity(j, &it->quantity, why);
        if (r < 0)
                return r;
        r = get_money(j, "unitPrice", &it->unit_cents, why);
        if (r < 0)
                return r;
        if (__builtin_mul_overflow(it->unit_cents, it->quantity, &it->total_cents) ||
            it->total_cents > MONEY_MAX) {
                *why = "item total out of range";
                return -ERANGE;
        }
        *why = "item text fields must be strings of at most 256 bytes";
        r = get_string(j, "offerId", false, &it->offer_id);
        if (r >= 0)
                r = get_string(j, "sku", false, &it->sku);
        if (r >= 0)
                r = get_string(j, "name", false, &it->name);
        if (r >= 0)
                r = get_string(j, "billingFrequency", false, &it->billing_frequency);
        if (r >= 0)
                r = get_string(j, "termDuration", false, &it->term_duration);
        return r;
}

static int items_from_json(const cJSON *j, struct sb_order *o, const char **why)
{
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items"), *e;
        int n, r;

        n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
        if (n < 1) {
                *why = "items must be a non-empty array";
                return -EINVAL;
        }
        if (n > SB_ITEMS_MAX) {
                *why = "too many items (at most 1000)";
                return -EINVAL;
        }
        o->items = calloc((size_t)n, sizeof(struct sb_item));
        if (!o->items)
                return -ENOMEM;
        cJSON_ArrayForEach(e, items)
        {
                struct sb_item *it = &o->items[o->n_items++];

                r = item_from_json(e, it, why);
                if (r < 0)
                        return r;
                if (__builtin_add_overflow(o->total_cents, it->total_cents, &o->total_cents) ||
                    o->total_cents > MONEY_MAX) {
                        *why = "order total out of range";
                        return -ERANGE;
                }
        }
        return 0;
}

static int customer_from_json(const cJSON *j, struct sb_order *o, const char **why)
{
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "customer");
        int r;

        if (!cJSON_IsObject(c)) {
                *why = "customer must be an object with an id";
                return -EINVAL;
        }
        r = get_string(c, "id", true, &o->customer_id);
        if (r < 0) {
                *why = "customer.id must be a non-empty string";
                return r;
        }
        *why = "customer fields must be strings of at most 256 bytes";
        r = get_string(c, "name", false, &o->customer_name);
        if (r >= 0)
                r = get_string(c, "countryCode", false, &o->country_code);
        if (r >= 0)
                r = get_string(c, "domain", false, &o->domain);
        return r;
}

/* The currency sits at the top level in a create body and under price in
 * an order; absent means EUR. */
static int currency_from_json(const cJSON *j, struct sb_order *o, const char **why)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "currency");
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(j, "price");
        const char *s;

        if (!v && cJSON_IsObject(price))
                v = cJSON_GetObjectItemCaseSensitive(price, "currency");
        s = v ? cJSON_GetStringValue(v) : "EUR";
        if (!s || strlen(s) != 3 || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", s[0]) ||
            !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", s[1]) ||
            !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", s[2])) {
                *why = "currency must be three capital letters (ISO 4217)";
                return -EINVAL;
        }
        memcpy(o->currency, s, 4);
        return 0;
}

/* id, status, createdAt and rejectionReason of an --orders file entry. */
static int file_fields_from_json(const cJSON *j, struct sb_order *o, const char **why)
{
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
        const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "status"));
        const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "createdAt"));
        const char *rr =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "rejectionReason"));
        int s;

        if (!id || !*id || strlen(id) >= SB_ID_MAX || strpbrk(id, "/?#% ")) {
                *why = "id must be a non-empty string of at most 63 bytes without / ? # % or space";
                return -EINVAL;
        }
        memcpy(o->id, id, strlen(id) + 1);
        s = st ? sb_status_from_string(st) : SB_STATUS_PENDING;
        if (s < 0) {
                *why = "status must be PendingApproval, Approved or Rejected";
                return -EINVAL;
        }
        o->status = (enum sb_status)s;
        if (!at || timestamp_parse(at, &o->created_at) < 0) {
                *why = "createdAt must be an RFC 3339 time";
                return -EINVAL;
        }
        sb_tiers_init_order(o);
        if (o->status == SB_STATUS_REJECTED) {
                o->rejection_reason = strdup(rr ? rr : "");
                if (!o->rejection_reason)
                        return -ENOMEM;
        }
        return 0;
}

int sb_order_from_json(const cJSON *j, enum sb_order_source source, struct sb_order **ret,
                       const char **ret_why)
{
        _cleanup_(sb_order_freep) struct sb_order *o = NULL;
        const char *why = "bad order";
        int r;

        if (!cJSON_IsObject(j)) {
                *ret_why = "an order must be a JSON object";
                return -EINVAL;
        }
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        r = customer_from_json(j, o, &why);
        if (r >= 0)
                r = items_from_json(j, o, &why);
        if (r >= 0)
                r = currency_from_json(j, o, &why);
        if (r >= 0 && source == SB_ORDER_FILE)
                r = file_fields_from_json(j, o, &why);
        if (r < 0) {
                *ret_why = why;
                return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int sb_order_parse_create(const char *body, size_t len, struct sb_order **ret, const char **ret_why)
{
        cJSON *j = cJSON_ParseWithLength(body, len);
        int r;

        if (!j) {
                *ret_why = "body is not valid JSON";
                return -EINVAL;
        }
        if (sb_json_has_nul(body, len)) {
                cJSON_Delete(j);
                *ret_why = "strings must not contain \\u0000";
                return -EINVAL;
        }
        r = sb_order_from_json(j, SB_ORDER_CREATE, ret, ret_why);
        cJSON_Delete(j);
        return r;
}

bool sb_json_add_money(cJSON *obj, const char *name, int64_t cents)
{
        char buf[MONEY_BUF_SIZE];

        return cJSON_AddRawToObject(obj, name, money_format(cents, buf)) != NULL;
}

static bool add_item(cJSON *arr, const struct sb_item *it)
{
        cJSON *j = cJSON_CreateObject();

        if (!j || !cJSON_AddItemToArray(arr, j)) {
                cJSON_Delete(j);
                return false;
        }
        return cJSON_AddStringToObject(j, "offerId", it->offer_id) &&
               cJSON_AddStringToObject(j, "sku", it->sku) &&
               cJSON_AddStringToObject(j, "name", it->name) &&
               cJSON_AddNumberToObject(j, "quantity", (double)it->quantity) &&
               sb_json_add_money(j, "unitPrice", it->unit_cents) &&
               sb_json_add_money(j, "total", it->total_cents) &&
               cJSON_AddStringToObject(j, "billingFrequency", it->billing_frequency) &&
               cJSON_AddStringToObject(j, "termDuration", it->term_duration);
}

static bool add_links(cJSON *j, const struct sb_order *o, const struct sb_view *v)
{
        cJSON *links = cJSON_AddObjectToObject(j, "links");
        char url[512];

        if (!links)
                return false;
        if (snprintf(url, sizeof(url), "%s%s/%s/approve", v->origin, v->prefix, o->id) >=
            (int)sizeof(url))
                return false;
        if (!cJSON_AddStringToObject(links, "approve", url))
                return false;
        if (snprintf(url, sizeof(url), "%s%s/%s/reject", v->origin, v->prefix, o->id) >=
            (int)sizeof(url))
                return false;
        return cJSON_AddStringToObject(links, "reject", url) != NULL;
}

/* "approvals": [{"party": "distributor", "status": "Approved"}, ...] */
static bool add_approvals(cJSON *j, const struct sb_order *o, const struct sb_view *v)
{
        cJSON *arr;

        if (v->n_parties < 2)
                return true;
        arr = cJSON_AddArrayToObject(j, "approvals");
        if (!arr)
                return false;
        for (size_t i = 0; i < v->n_parties; i++) {
                enum sb_party p = v->parties[i];
                cJSON *e = cJSON_CreateObject();

                if (!e || !cJSON_AddItemToArray(arr, e)) {
                        cJSON_Delete(e);
                        return false;
                }
                if (!cJSON_AddStringToObject(e, "party", sb_party_to_string(p)) ||
                    !cJSON_AddStringToObject(e, "status",
                                             sb_party_status_name(o->approvals[p], v->lower)))
                        return false;
        }
        return true;
}

static bool add_head(cJSON *j, const struct sb_order *o, const struct sb_view *v)
{
        char ts[TIMESTAMP_BUF_SIZE];
        cJSON *c, *p;

        if (!cJSON_AddStringToObject(j, "id", o->id) ||
            !cJSON_AddStringToObject(j, "status", sb_status_name(o->status, v->lower)) ||
            !cJSON_AddStringToObject(j, "createdAt", timestamp_format(o->created_at, ts)))
                return false;
        c = cJSON_AddObjectToObject(j, "customer");
        if (!c || !cJSON_AddStringToObject(c, "id", o->customer_id) ||
            !cJSON_AddStringToObject(c, "name", o->customer_name) ||
            !cJSON_AddStringToObject(c, "countryCode", o->country_code) ||
            !cJSON_AddStringToObject(c, "domain", o->domain))
                return false;
        p = cJSON_AddObjectToObject(j, "price");
        return p && sb_json_add_money(p, "total", o->total_cents) &&
               cJSON_AddStringToObject(p, "currency", o->currency);
}

cJSON *sb_order_render(const struct sb_order *o, const struct sb_view *view)
{
        cJSON *j = cJSON_CreateObject(), *items;

        assert(o && view);
        if (!j || !add_head(j, o, view))
                goto fail;
        items = cJSON_AddArrayToObject(j, "items");
        if (!items)
                goto fail;
        for (size_t i = 0; i < o->n_items; i++)
                if (!add_item(items, &o->items[i]))
                        goto fail;
        if (!add_links(j, o, view) || !add_approvals(j, o, view))
                goto fail;
        if (o->status == SB_STATUS_REJECTED &&
            !cJSON_AddStringToObject(j, "rejectionReason", o->rejection_reason ?: ""))
                goto fail;
        return j;
fail:
        cJSON_Delete(j);
        return NULL;
}

cJSON *sb_order_to_json(const struct sb_order *o, const char *origin)
{
        const struct sb_view v = { .origin = origin, .prefix = "/orders" };

        return sb_order_render(o, &v);
}
