/* order.c: reads one AppXite order out of its JSON through the configured
 * field pointers.  Strings stay inside the cJSON tree (no copies), and the
 * pointers are walked in place, token by token, without allocating: the
 * rule engine's speed is mostly this file plus cJSON's parser. */
#include "order.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "money.h"
#include "timeutil.h"
#include "util.h"

#define ORDER_MAX_SIZE (1024 * 1024)
#define ORDER_MAX_ITEMS 1000
#define QUANTITY_MAX 1000000000.0

static inline unsigned char lower(unsigned char c)
{
        return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Compares an object key with one pointer token (tok[0..len), still
 * escaped: "~0" is '~', "~1" is '/'), ignoring ASCII case. */
static bool key_matches(const char *key, const char *tok, size_t len, bool exact)
{
        const unsigned char *k = (const unsigned char *)key;

        for (size_t i = 0; i < len; i++, k++) {
                unsigned char c = (unsigned char)tok[i];

                if (c == '~') {
                        if (i + 1 >= len || (tok[i + 1] != '0' && tok[i + 1] != '1'))
                                return false;
                        c = tok[++i] == '0' ? '~' : '/';
                }
                if (*k == 0)
                        return false;
                if (exact ? *k != c : lower(*k) != lower(c))
                        return false;
        }
        return *k == 0;
}

/* An array index token: "0" or digits without a leading zero. */
static bool parse_index(const char *tok, size_t len, int *ret)
{
        int v = 0;

        if (len == 0 || len > 9 || (len > 1 && tok[0] == '0'))
                return false;
        for (size_t i = 0; i < len; i++) {
                if (tok[i] < '0' || tok[i] > '9')
                        return false;
                v = v * 10 + (tok[i] - '0');
        }
        *ret = v;
        return true;
}

/* The child of object o named by the token: an exact match wins, else the
 * first key equal to it ignoring case. */
static const cJSON *object_child(const cJSON *o, const char *tok, size_t len)
{
        const cJSON *fallback = NULL;

        for (const cJSON *c = o->child; c; c = c->next) {
                if (!c->string)
                        continue;
                if (key_matches(c->string, tok, len, true))
                        return c;
                if (!fallback && key_matches(c->string, tok, len, false))
                        fallback = c;
        }
        return fallback;
}

const cJSON *json_pointer_get(const cJSON *json, const char *pointer)
{
        const char *p = pointer;

        if (!json || !pointer)
                return NULL;
        if (*p != 0 && *p != '/')
                return NULL;
        while (*p == '/' && json) {
                const char *tok = p + 1, *end = strchrnul(tok, '/');
                size_t len = (size_t)(end - tok);
                int idx;

                if (cJSON_IsObject(json))
                        json = object_child(json, tok, len);
                else if (cJSON_IsArray(json) && parse_index(tok, len, &idx))
                        json = cJSON_GetArrayItem(json, idx);
                else
                        return NULL;
                p = end;
        }
        return json;
}

static void mark_bad(struct order *o, enum order_field f)
{
        if (!o->bad_field)
                o->bad_field = order_field_names[f];
}

/* A string field: absent or null gives NULL; another type is malformed. */
static const char *get_string(struct order *o, const cJSON *root, const struct api_config *api,
                              enum order_field f)
{
        const cJSON *v = json_pointer_get(root, api->fields[f]);

        if (!v || cJSON_IsNull(v))
                return NULL;
        if (!cJSON_IsString(v) || !v->valuestring) {
                mark_bad(o, f);
                return NULL;
        }
        return v->valuestring;
}

/* An amount is a JSON number or a decimal string, exact to the cent. */
static void read_total(struct order *o, const cJSON *root, const struct api_config *api)
{
        const cJSON *v = json_pointer_get(root, api->fields[FIELD_TOTAL]);
        int r = -EINVAL;

        if (!v || cJSON_IsNull(v))
                return;
        if (cJSON_IsNumber(v))
                r = money_from_double(v->valuedouble, &o->total);
        else if (cJSON_IsString(v))
                r = money_parse(v->valuestring, &o->total);
        if (r < 0) {
                mark_bad(o, FIELD_TOTAL);
                return;
        }
        o->has_total = true;
}

/* A currency is an ISO 4217 code: 1 to 7 letters (history and limits keep
 * codes in char[8]); anything else is malformed. */
static void read_currency(struct order *o, const cJSON *root, const struct api_config *api)
{
        const char *s = get_string(o, root, api, FIELD_CURRENCY);
        size_t n;

        if (!s)
                return;
        n = strlen(s);
        if (n == 0 || n > 7) {
                mark_bad(o, FIELD_CURRENCY);
                return;
        }
        o->currency = s;
}

static void read_created_at(struct order *o, const cJSON *root, const struct api_config *api)
{
        const char *s = get_string(o, root, api, FIELD_CREATED_AT);

        if (!s)
                return;
        if (timestamp_parse(s, &o->created_at) < 0) {
                mark_bad(o, FIELD_CREATED_AT);
                return;
        }
        o->has_created_at = true;
}

/* Quantities are whole numbers; 10.5 or "10" is malformed (-1). */
static int64_t read_quantity(struct order *o, const cJSON *item, const struct api_config *api)
{
        const cJSON *v = json_pointer_get(item, api->fields[FIELD_ITEM_QUANTITY]);
        double d;

        if (!v || cJSON_IsNull(v))
                return -1;
        d = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
        if (d < 0 || d > QUANTITY_MAX || d != floor(d)) {
                mark_bad(o, FIELD_ITEM_QUANTITY);
                return -1;
        }
        return (int64_t)d;
}

static int read_items(struct order *o, const cJSON *root, const struct api_config *api)
{
        const cJSON *arr = json_pointer_get(root, api->fields[FIELD_ITEMS]), *it;
        size_t n = 0, i = 0;

        if (!arr || cJSON_IsNull(arr))
                return 0;
        if (!cJSON_IsArray(arr)) {
                mark_bad(o, FIELD_ITEMS);
                return 0;
        }
        for (it = arr->child; it; it = it->next)
                if (++n > ORDER_MAX_ITEMS) {
                        mark_bad(o, FIELD_ITEMS);
                        return 0;
                }
        if (n == 0)
                return 0;
        o->items = calloc(n, sizeof(struct order_item));
        if (!o->items)
                return -ENOMEM;
        for (it = arr->child; it; it = it->next, i++) {
                struct order_item *oi = &o->items[i];

                oi->sku = get_string(o, it, api, FIELD_ITEM_SKU);
                oi->offer_id = get_string(o, it, api, FIELD_ITEM_OFFER_ID);
                oi->name = get_string(o, it, api, FIELD_ITEM_NAME);
                oi->quantity = read_quantity(o, it, api);
        }
        o->n_items = n;
        return 0;
}

int order_from_json(cJSON *json, const struct api_config *api, struct order *ret)
{
        struct order o = { .json = json };
        int r;

        o.id = get_string(&o, json, api, FIELD_ID);
        o.status = get_string(&o, json, api, FIELD_STATUS);
        read_created_at(&o, json, api);
        o.customer_id = get_string(&o, json, api, FIELD_CUSTOMER_ID);
        o.customer_name = get_string(&o, json, api, FIELD_CUSTOMER_NAME);
        o.country = get_string(&o, json, api, FIELD_COUNTRY);
        read_total(&o, json, api);
        read_currency(&o, json, api);
        o.approve_link = get_string(&o, json, api, FIELD_APPROVE_LINK);
        o.reject_link = get_string(&o, json, api, FIELD_REJECT_LINK);
        r = read_items(&o, json, api);
        if (r < 0) {
                order_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

int order_parse(const char *text, size_t len, const struct api_config *api, struct order *ret)
{
        const char *end = NULL;
        cJSON *json;

        if (len > ORDER_MAX_SIZE)
                return -EFBIG;
        json = cJSON_ParseWithLengthOpts(text, len, &end, false);
        if (!json)
                return -EBADMSG;
        /* Trailing garbage after the object makes the whole text invalid. */
        for (; end && end < text + len; end++)
                if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n' && *end != 0) {
                        cJSON_Delete(json);
                        return -EBADMSG;
                }
        if (!cJSON_IsObject(json)) {
                cJSON_Delete(json);
                return -EBADMSG;
        }
        return order_from_json(json, api, ret);
}

void order_done(struct order *o)
{
        if (!o)
                return;
        cJSON_Delete(o->json);
        free(o->items);
        *o = (struct order){ 0 };
}
