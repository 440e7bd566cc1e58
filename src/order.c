/* order.c: reads one AppXite order out of its JSON through the configured
 * field pointers.  Strings stay inside the cJSON tree (no copies), and the
 * pointers are walked in place, token by token, without allocating: the
 * rule engine's speed is mostly this file plus cJSON's parser. */
#include "order.h"

#include <assert.h>
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

/* The type of a node, read in place: cJSON_IsString() and its kin are
 * calls through the shared library's PLT, a few dozen per order. */
static inline bool is_type(const cJSON *v, int type)
{
        return v && (v->type & 0xff) == type;
}

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

                if (is_type(json, cJSON_Object))
                        json = object_child(json, tok, len);
                else if (is_type(json, cJSON_Array) && parse_index(tok, len, &idx))
                        json = cJSON_GetArrayItem(json, idx);
                else
                        return NULL;
                p = end;
        }
        return json;
}

/* Compiled pointers.  Walking every field's pointer from the root, token
 * by token, was the largest cost of `evaluate` after cJSON itself, so an
 * order_reader splits the pointers of api.fields once (unescaped, first
 * byte folded) and keeps, for each field, the earlier field it shares the
 * most leading tokens with: /customer/name then starts from the node
 * /customer/id already passed through.  order_parse() and
 * order_from_json() compile a reader on the stack for each call. */
#define PTR_MAX_TOKENS 8
#define PTR_MAX_TOTAL 2048

struct ptok {
        const char *s; /* unescaped, NUL-terminated, in the reader's buf */
        unsigned char first; /* folded first byte */
        int index; /* an array index, or -1 */
};

struct cptr {
        struct ptok tok[PTR_MAX_TOKENS];
        unsigned n;
        bool ok; /* false: not compiled (too long, malformed): walk it */
        int from; /* the earlier field whose nodes to start from, or -1 */
        unsigned shared; /* its leading tokens in common */
};

struct order_reader {
        const struct api_config *api;
        struct arena *arena; /* for items; NULL: malloc() */
        char buf[PTR_MAX_TOTAL]; /* unescaped tokens */
        struct cptr p[_FIELD_MAX];
};

/* Fields whose pointer is relative to one element of FIELD_ITEMS. */
static bool is_item_field(int f)
{
        return f >= FIELD_ITEM_SKU && f <= FIELD_ITEM_QUANTITY;
}

static bool compile_one(const char *ptr, struct cptr *c, char **buf, char *end)
{
        const char *p = ptr;

        *c = (struct cptr){ .from = -1 };
        if (*p != 0 && *p != '/')
                return false;
        while (*p == '/') {
                struct ptok *t;
                char *out = *buf;
                size_t len;

                if (c->n == PTR_MAX_TOKENS)
                        return false;
                t = &c->tok[c->n++];
                for (p++; *p && *p != '/'; p++) {
                        char ch = *p;

                        if (ch == '~') {
                                if (p[1] != '0' && p[1] != '1')
                                        return false;
                                ch = *++p == '0' ? '~' : '/';
                        }
                        if (*buf + 1 >= end)
                                return false;
                        *(*buf)++ = ch;
                }
                if (*buf >= end)
                        return false;
                *(*buf)++ = 0;
                len = (size_t)(*buf - out - 1);
                t->s = out;
                t->first = lower((unsigned char)out[0]);
                if (!parse_index(out, len, &t->index))
                        t->index = -1;
        }
        c->ok = true;
        return true;
}

/* For each field, the earlier field (same root: order or item) sharing the
 * most leading tokens, short of its last. */
static void link_prefixes(struct order_reader *rd)
{
        for (int i = 0; i < _FIELD_MAX; i++)
                for (int j = 0; j < i; j++) {
                        struct cptr *a = &rd->p[i], *b = &rd->p[j];
                        unsigned k = 0;

                        if (!a->ok || !b->ok || is_item_field(i) != is_item_field(j))
                                continue;
                        while (k < a->n - (a->n > 0) && k < b->n && streq(a->tok[k].s, b->tok[k].s))
                                k++;
                        if (k > a->shared) {
                                a->shared = k;
                                a->from = j;
                        }
                }
}

static void reader_init(struct order_reader *rd, const struct api_config *api)
{
        char *buf = rd->buf;

        rd->api = api;
        rd->arena = NULL;
        for (int i = 0; i < _FIELD_MAX; i++)
                if (!compile_one(api->fields[i] ?: "", &rd->p[i], &buf, rd->buf + sizeof(rd->buf)))
                        rd->p[i] = (struct cptr){ .from = -1 };
        link_prefixes(rd);
}

int order_reader_new(const struct api_config *api, struct order_reader **ret)
{
        struct order_reader *rd = malloc(sizeof(*rd));

        if (!rd)
                return -ENOMEM;
        reader_init(rd, api);
        *ret = rd;
        return 0;
}

void order_reader_free(struct order_reader *rd)
{
        free(rd);
}

void order_reader_set_arena(struct order_reader *rd, struct arena *a)
{
        assert(rd);
        rd->arena = a;
}

/* 0 when key equals tok, 1 when it does ignoring ASCII case, 2 when not. */
static int key_compare(const char *key, const char *tok)
{
        int r = 0;

        for (;; key++, tok++) {
                if (*key == *tok) {
                        if (*key == 0)
                                return r;
                        continue;
                }
                if (lower((unsigned char)*key) != lower((unsigned char)*tok))
                        return 2;
                r = 1;
        }
}

/* As object_child(), for an unescaped token, in one pass over the keys. */
static const cJSON *object_child_tok(const cJSON *o, const struct ptok *t)
{
        const cJSON *fallback = NULL;

        for (const cJSON *c = o->child; c; c = c->next) {
                int r;

                if (!c->string || lower((unsigned char)c->string[0]) != t->first)
                        continue;
                r = key_compare(c->string, t->s);
                if (r == 0)
                        return c;
                if (r == 1 && !fallback)
                        fallback = c;
        }
        return fallback;
}

/* Walks a field's tokens from depth `from` (node nodes[from]), recording
 * the node at every depth in nodes[] (NULL past a miss); returns the last. */
static const cJSON *walk(const struct cptr *c, const cJSON **nodes, unsigned from)
{
        const cJSON *j = nodes[from];

        for (unsigned d = from; d < c->n; d++) {
                const struct ptok *t = &c->tok[d];

                if (!j)
                        ;
                else if (is_type(j, cJSON_Object))
                        j = object_child_tok(j, t);
                else if (is_type(j, cJSON_Array) && t->index >= 0)
                        j = cJSON_GetArrayItem(j, t->index);
                else
                        j = NULL;
                nodes[d + 1] = j;
        }
        return j;
}

/* Resolves every field whose root is `root` (item fields or order fields)
 * into ret[], sharing walked prefixes. */
static void resolve_fields(const struct order_reader *rd, const cJSON *root, bool items,
                           const cJSON *ret[_FIELD_MAX])
{
        const cJSON *nodes[_FIELD_MAX][PTR_MAX_TOKENS + 1];

        for (int i = 0; i < _FIELD_MAX; i++) {
                const struct cptr *c = &rd->p[i];

                if (is_item_field(i) != items)
                        continue;
                if (!c->ok) {
                        ret[i] = json_pointer_get(root, rd->api->fields[i]);
                        continue;
                }
                nodes[i][0] = root;
                if (c->from >= 0)
                        memcpy(nodes[i], nodes[c->from], (c->shared + 1) * sizeof(nodes[i][0]));
                ret[i] = walk(c, nodes[i], c->from >= 0 ? c->shared : 0);
        }
}

static void mark_bad(struct order *o, enum order_field f)
{
        if (!o->bad_field)
                o->bad_field = order_field_names[f];
}

/* A string field: absent or null gives NULL; another type is malformed. */
static const char *get_string(struct order *o, const cJSON *v, enum order_field f)
{
        if (!v || is_type(v, cJSON_NULL))
                return NULL;
        if (!is_type(v, cJSON_String) || !v->valuestring) {
                mark_bad(o, f);
                return NULL;
        }
        return v->valuestring;
}

/* An amount is a JSON number or a decimal string, exact to the cent. */
static void read_total(struct order *o, const cJSON *v)
{
        int r = -EINVAL;

        if (!v || is_type(v, cJSON_NULL))
                return;
        if (is_type(v, cJSON_Number))
                r = money_from_double(v->valuedouble, &o->total);
        else if (is_type(v, cJSON_String))
                r = money_parse(v->valuestring, &o->total);
        if (r < 0) {
                mark_bad(o, FIELD_TOTAL);
                return;
        }
        o->has_total = true;
}

/* A currency is an ISO 4217 code: 1 to 7 characters (history and limits
 * keep codes in char[8]); anything else is malformed. */
static void read_currency(struct order *o, const cJSON *v)
{
        const char *s = get_string(o, v, FIELD_CURRENCY);
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

static void read_created_at(struct order *o, const cJSON *v)
{
        const char *s = get_string(o, v, FIELD_CREATED_AT);

        if (!s)
                return;
        if (timestamp_parse(s, &o->created_at) < 0) {
                mark_bad(o, FIELD_CREATED_AT);
                return;
        }
        o->has_created_at = true;
}

/* Quantities are whole numbers; 10.5 or "10" is malformed (-1). */
static int64_t read_quantity(struct order *o, const cJSON *v)
{
        double d;

        if (!v || is_type(v, cJSON_NULL))
                return -1;
        d = is_type(v, cJSON_Number) ? v->valuedouble : -1.0;
        if (d < 0 || d > QUANTITY_MAX || d != floor(d)) {
                mark_bad(o, FIELD_ITEM_QUANTITY);
                return -1;
        }
        return (int64_t)d;
}

static int read_items(struct order *o, const cJSON *arr, const struct order_reader *rd)
{
        const cJSON *it, *f[_FIELD_MAX];
        size_t n = 0, i = 0;

        if (!arr || is_type(arr, cJSON_NULL))
                return 0;
        if (!is_type(arr, cJSON_Array)) {
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
        o->arena = rd->arena;
        o->items = o->arena ? arena_alloc(o->arena, n * sizeof(struct order_item))
                            : malloc(n * sizeof(struct order_item));
        if (!o->items)
                return -ENOMEM;
        memset(o->items, 0, n * sizeof(struct order_item));
        for (it = arr->child; it; it = it->next, i++) {
                struct order_item *oi = &o->items[i];

                resolve_fields(rd, it, true, f);
                oi->sku = get_string(o, f[FIELD_ITEM_SKU], FIELD_ITEM_SKU);
                oi->offer_id = get_string(o, f[FIELD_ITEM_OFFER_ID], FIELD_ITEM_OFFER_ID);
                oi->name = get_string(o, f[FIELD_ITEM_NAME], FIELD_ITEM_NAME);
                oi->quantity = read_quantity(o, f[FIELD_ITEM_QUANTITY]);
        }
        o->n_items = n;
        return 0;
}

int order_reader_from_json(const struct order_reader *rd, cJSON *json, struct order *ret)
{
        struct order o = { .json = json };
        const cJSON *f[_FIELD_MAX];
        int r;

        resolve_fields(rd, json, false, f);
        o.id = get_string(&o, f[FIELD_ID], FIELD_ID);
        o.status = get_string(&o, f[FIELD_STATUS], FIELD_STATUS);
        read_created_at(&o, f[FIELD_CREATED_AT]);
        o.customer_id = get_string(&o, f[FIELD_CUSTOMER_ID], FIELD_CUSTOMER_ID);
        o.customer_name = get_string(&o, f[FIELD_CUSTOMER_NAME], FIELD_CUSTOMER_NAME);
        o.country = get_string(&o, f[FIELD_COUNTRY], FIELD_COUNTRY);
        read_total(&o, f[FIELD_TOTAL]);
        read_currency(&o, f[FIELD_CURRENCY]);
        o.approve_link = get_string(&o, f[FIELD_APPROVE_LINK], FIELD_APPROVE_LINK);
        o.reject_link = get_string(&o, f[FIELD_REJECT_LINK], FIELD_REJECT_LINK);
        r = read_items(&o, f[FIELD_ITEMS], rd);
        if (r < 0) {
                order_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

int order_from_json(cJSON *json, const struct api_config *api, struct order *ret)
{
        struct order_reader rd;

        reader_init(&rd, api);
        return order_reader_from_json(&rd, json, ret);
}

/* Rewrites each \u0000 escape inside a string of s[0..len) to \u0001.
 * Outside strings a backslash is no JSON at all: cJSON refuses it later. */
static void nul_escapes_rewrite(char *s, size_t len)
{
        bool in_string = false;

        for (size_t i = 0; i < len; i++) {
                if (s[i] == '"') {
                        in_string = !in_string;
                        continue;
                }
                if (!in_string || s[i] != '\\')
                        continue;
                if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                        s[i + 5] = '1';
                i++; /* the escaped byte: "\\" or "\"" ends nothing */
        }
}

/* Whether text[0..len) holds the bytes \u0000 anywhere.  memchr() for the
 * backslash, rather than memmem(): glibc's memmem() is not vectorised, and
 * took 4 % of `evaluate`'s instructions. */
static bool has_nul_escape(const char *text, size_t len)
{
        const char *end = text + len;

        for (const char *p = text; (p = memchr(p, '\\', (size_t)(end - p))); p++)
                if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
                        return true;
        return false;
}

int order_json_parse(const char *text, size_t len, cJSON **ret)
{
        _cleanup_free_ char *copy = NULL;
        const char *end = NULL;
        cJSON *json;

        assert(text || len == 0);
        assert(ret);
        /* Most texts hold no such escape: copy only those that do. */
        if (has_nul_escape(text, len)) {
                copy = malloc(len);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, text, len);
                nul_escapes_rewrite(copy, len);
                text = copy;
        }
        json = cJSON_ParseWithLengthOpts(text ?: "", len, &end, false);
        if (!json)
                return -EBADMSG;
        /* Trailing garbage after the value makes the whole text invalid. */
        for (; end && end < text + len; end++)
                if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n' && *end != 0) {
                        cJSON_Delete(json);
                        return -EBADMSG;
                }
        *ret = json;
        return 0;
}

int order_reader_parse(const struct order_reader *rd, const char *text, size_t len,
                       struct order *ret)
{
        cJSON *json = NULL;
        int r;

        if (len > ORDER_MAX_SIZE)
                return -EFBIG;
        r = order_json_parse(text, len, &json);
        if (r < 0)
                return r;
        if (!is_type(json, cJSON_Object)) {
                cJSON_Delete(json);
                return -EBADMSG;
        }
        return order_reader_from_json(rd, json, ret);
}

int order_parse(const char *text, size_t len, const struct api_config *api, struct order *ret)
{
        struct order_reader rd;

        reader_init(&rd, api);
        return order_reader_parse(&rd, text, len, ret);
}

void order_done(struct order *o)
{
        if (!o)
                return;
        cJSON_Delete(o->json);
        arena_release(o->arena, o->items);
        *o = (struct order){ 0 };
}
