/* order-stream.c: evaluate's input reader (order-stream.h).  Line-delimited
 * input is read in large blocks, one line at a time; a JSON array is split
 * by jsonscan.h as it arrives and each element parsed alone; a multi-line
 * object is read whole as bytes, and when it is a List response its items
 * array is split the same way.  cJSON allocates from an arena that is
 * reset once no tree is alive: after each line or element. */
#include "order-stream.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "jsonscan.h"
#include "util.h"

#define READ_BUF_SIZE (2 * ORDER_STREAM_ITEM_MAX)
#define DOC_MAX_SIZE (256 * 1024 * 1024) /* a multi-line object, as bytes */
#define ARENA_SIZE (1024 * 1024)
#define MEMBERS_MAX 1000 /* members of one object searched for the items array... */
#define KEYS_MAX (64 * 1024) /* ...and the bytes of their keys */

struct stream {
        order_stream_read_t read_fn;
        void *ctx;
        const struct api_config *api;
        const struct order_stream_ops *ops;
        void *userdata;
        struct order_reader *reader;
        struct arena *arena;
        char *buf;
        size_t start, end, size; /* buf[start..end) is read and not consumed */
        uint64_t base; /* the input offset of buf[0] */
        uint64_t origin; /* the input offset of a split array's first byte */
        bool eof;
};

ssize_t order_stream_read_fd(void *ctx, void *buf, size_t size)
{
        ssize_t n;

        assert(ctx);
        do
                n = read(*(int *)ctx, buf, size);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

static __attribute__((format(printf, 3, 4))) void bad(struct stream *st, size_t line,
                                                      const char *fmt, ...)
{
        char msg[160];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        st->ops->bad(line, msg, st->userdata);
}

static bool blank(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
                        return false;
        return true;
}

static size_t lines_in(const char *s, size_t len)
{
        size_t n = 0;

        for (const char *p = s; (p = memchr(p, '\n', len - (size_t)(p - s))); p++)
                n++;
        return n;
}

/* Drops buf[0..keep), then reads once into the space after end. */
static int fill(struct stream *st, size_t keep)
{
        ssize_t n;

        if (keep > 0) {
                memmove(st->buf, st->buf + keep, st->end - keep);
                st->base += keep;
                st->start -= keep;
                st->end -= keep;
        }
        assert(st->end < st->size);
        n = st->read_fn(st->ctx, st->buf + st->end, st->size - st->end);
        if (n < 0)
                return (int)n;
        if (n == 0)
                st->eof = true;
        st->end += (size_t)n;
        return 0;
}

/* ---- one order --------------------------------------------------------- */

/* Hands one order over and frees it.  When its whole tree lies in the
 * arena, walking it to free nodes one by one would do nothing: the next
 * reset reclaims it. */
static int hand_over(struct stream *st, struct order *o)
{
        int r = st->ops->order(o, st->userdata);

        if (arena_holds_all(st->arena))
                o->json = NULL;
        order_done(o);
        return r;
}

/* A List response ({"items":[orders], "page":...}) rather than an order:
 * an object with an items array but neither an id nor a customer. */
static bool list_response(const struct api_config *api, const struct order *o)
{
        return !o->id && !o->customer_id &&
               cJSON_IsArray(json_pointer_get(o->json, api->fields[FIELD_ITEMS]));
}

static bool is_list_response(const struct stream *st, const struct order *o)
{
        return list_response(st->api, o);
}

/* Hands over the elements of arr, a JSON array of orders inside a tree
 * that stays alive; each is detached and freed as it goes. */
static int hand_over_tree_array(struct stream *st, cJSON *arr, size_t line)
{
        size_t i = 0;

        for (cJSON *el = arr->child; el; el = arr->child, i++) {
                struct order o;
                int r;

                cJSON_DetachItemViaPointer(arr, el);
                if (!cJSON_IsObject(el)) {
                        bad(st, line, "element %zu is not a JSON object", i);
                        cJSON_Delete(el);
                        continue;
                }
                r = order_reader_from_json(st->reader, el, &o);
                if (r < 0)
                        return r;
                r = st->ops->order(&o, st->userdata);
                order_done(&o);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One element of a split array, text[0..len), at line. */
static int hand_over_element(struct stream *st, const char *text, size_t len, uint64_t index,
                             size_t line)
{
        struct order o;
        cJSON *json;
        int r;

        if (len > ORDER_STREAM_ITEM_MAX) {
                bad(st, line, "element %llu is larger than 1 MiB", (unsigned long long)index);
                return 0;
        }
        r = order_json_parse(text, len, &json);
        if (r == -EBADMSG) {
                bad(st, line, "element %llu is not valid JSON", (unsigned long long)index);
                return 0;
        }
        if (r < 0)
                return r;
        if (!cJSON_IsObject(json)) {
                cJSON_Delete(json);
                bad(st, line, "element %llu is not a JSON object", (unsigned long long)index);
                return 0;
        }
        r = order_reader_from_json(st->reader, json, &o);
        if (r < 0)
                return r;
        r = hand_over(st, &o);
        arena_reset(st->arena); /* the element's tree is gone */
        return r;
}

/* ---- a JSON array, split as it arrives ---------------------------------- */

static int read_array(struct stream *st)
{
        struct jsonscan js;
        bool too_big = false;

        jsonscan_init(&js, '[');
        st->origin = st->base + st->start;
        for (;;) {
                enum jsonscan_event ev = JSONSCAN_MORE;
                size_t used = 0, keep;
                int r;

                if (st->start < st->end)
                        ev = jsonscan_feed(&js, st->buf + st->start, st->end - st->start, &used);
                else if (st->eof)
                        ev = jsonscan_finish(&js);
                st->start += used;
                switch (ev) {
                case JSONSCAN_MORE:
                        /* Keep the element begun, unless it is past the cap:
                         * then it is only scanned to its end. */
                        keep = st->start;
                        if (jsonscan_in_value(&js)) {
                                too_big = too_big ||
                                          js.offset - js.value_start > ORDER_STREAM_ITEM_MAX;
                                if (!too_big)
                                        keep = (size_t)(st->origin + js.value_start - st->base);
                        }
                        r = fill(st, keep);
                        if (r < 0)
                                return r;
                        break;
                case JSONSCAN_VALUE:
                        if (too_big)
                                bad(st, js.value_line, "element %llu is larger than 1 MiB",
                                    (unsigned long long)(js.n_values - 1));
                        else {
                                r = hand_over_element(
                                        st, st->buf + (st->origin + js.value_start - st->base),
                                        (size_t)(js.value_end - js.value_start), js.n_values - 1,
                                        js.value_line);
                                if (r < 0)
                                        return r;
                        }
                        too_big = false;
                        break;
                case JSONSCAN_END:
                        if (st->start == st->end && st->eof)
                                return 0;
                        break; /* only blanks may follow: scanned on */
                case JSONSCAN_ERROR:
                        bad(st, js.line, "%s", js.error);
                        return 0;
                }
        }
}

/* ---- one object over several lines -------------------------------------- */

/* The rest of the input as one buffer (already-read bytes first), capped. */
static int read_rest(struct stream *st, char **ret, size_t *ret_len)
{
        size_t len = st->end - st->start, size = len + ORDER_STREAM_ITEM_MAX;
        _cleanup_free_ char *doc = malloc(size);

        if (!doc)
                return -ENOMEM;
        memcpy(doc, st->buf + st->start, len);
        st->start = st->end;
        for (;;) {
                ssize_t n;

                if (len == size) {
                        char *p;

                        if (size >= DOC_MAX_SIZE)
                                return -EFBIG;
                        p = realloc(doc, size * 2);
                        if (!p)
                                return -ENOMEM;
                        doc = p;
                        size *= 2;
                }
                n = st->read_fn(st->ctx, doc + len, size - len);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = TAKE_PTR(doc);
        *ret_len = len;
        return 0;
}

/* The member of the object doc[*a..*b) named by the pointer token
 * tok[0..len) (still ~-escaped), chosen as json_pointer_get() would: the
 * keys, decoded by cJSON, go into a small object of member indexes, which
 * json_pointer_get() then looks up.  On success *a..*b is the member's
 * value.  Returns 1, 0 when there is no such member (or the object is not
 * one that can be searched so), or -ENOMEM. */
static int member_span(const char *doc, size_t *a, size_t *b, const char *tok, size_t len)
{
        _cleanup_free_ char *keys = NULL, *ptr = NULL;
        _cleanup_free_ size_t *spans = NULL;
        size_t n = 0, k = 0, keys_size, used;
        const cJSON *hit;
        cJSON *index = NULL;
        struct jsonscan js;
        enum jsonscan_event ev;
        int r;

        jsonscan_init(&js, '{');
        keys_size = KEYS_MAX + MEMBERS_MAX * 24;
        keys = malloc(keys_size);
        spans = malloc(2 * MEMBERS_MAX * sizeof(size_t));
        if (!keys || !spans)
                return -ENOMEM;
        keys[k++] = '{';
        for (size_t pos = *a; pos <= *b;) {
                size_t key_len;

                used = 1;
                ev = pos < *b ? jsonscan_feed(&js, doc + pos, *b - pos, &used)
                              : jsonscan_finish(&js);
                pos += used;
                if (ev == JSONSCAN_ERROR)
                        return 0;
                if (ev != JSONSCAN_VALUE)
                        continue;
                key_len = (size_t)(js.key_end - js.key_start);
                if (n == MEMBERS_MAX || k + key_len > KEYS_MAX)
                        return 0;
                /* "key":index, */
                k += (size_t)snprintf(keys + k, keys_size - k, "%s%.*s:%zu", n ? "," : "",
                                      (int)key_len, doc + *a + js.key_start, n);
                spans[2 * n] = *a + js.value_start;
                spans[2 * n + 1] = *a + js.value_end;
                n++;
        }
        keys[k++] = '}';
        r = order_json_parse(keys, k, &index);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (asprintf(&ptr, "/%.*s", (int)len, tok) < 0) {
                cJSON_Delete(index);
                return -ENOMEM;
        }
        hit = json_pointer_get(index, ptr);
        r = cJSON_IsNumber(hit) && hit->valuedouble >= 0 && hit->valuedouble < (double)n;
        if (r) {
                size_t i = (size_t)hit->valuedouble;

                *a = spans[2 * i];
                *b = spans[2 * i + 1];
        }
        cJSON_Delete(index);
        return r;
}

/* The span of the array api.fields' items pointer names in doc, walking
 * objects only.  Returns 1 with *ret_a..*ret_b, 0 when not found so, or
 * -ENOMEM. */
static int items_span(const struct stream *st, const char *doc, size_t len, size_t *ret_a,
                      size_t *ret_b)
{
        const char *p = st->api->fields[FIELD_ITEMS];
        size_t a = 0, b = len;

        while (*p == '/') {
                const char *tok = p + 1, *end = strchrnul(tok, '/');
                int r;

                while (a < b && blank(doc + a, 1))
                        a++;
                if (a == b || doc[a] != '{')
                        return 0;
                r = member_span(doc, &a, &b, tok, (size_t)(end - tok));
                if (r <= 0)
                        return r;
                p = end;
        }
        if (*p || a == b || doc[a] != '[')
                return 0;
        *ret_a = a;
        *ret_b = b;
        return 1;
}

/* Splits the array doc[a..b) (at line) and hands over its elements. */
static int hand_over_span(struct stream *st, const char *doc, size_t a, size_t b, size_t line)
{
        struct jsonscan js;

        jsonscan_init(&js, '[');
        js.line = line;
        for (size_t pos = a; pos <= b;) {
                enum jsonscan_event ev;
                size_t used = 1;
                int r;

                ev = pos < b ? jsonscan_feed(&js, doc + pos, b - pos, &used) : jsonscan_finish(&js);
                pos += used;
                if (ev == JSONSCAN_ERROR) {
                        bad(st, js.line, "%s", js.error);
                        return 0;
                }
                if (ev != JSONSCAN_VALUE)
                        continue;
                r = hand_over_element(st, doc + a + js.value_start,
                                      (size_t)(js.value_end - js.value_start), js.n_values - 1,
                                      js.value_line);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Where cJSON finds text[0..len) invalid: the offset of the error, or of
 * the trailing data (*ret_trailing) after a valid value. */
static size_t json_error_offset(const char *text, size_t len, bool *ret_trailing)
{
        const char *end = NULL;
        cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, false);
        const char *at = json ? end : cJSON_GetErrorPtr();

        cJSON_Delete(json);
        *ret_trailing = json;
        if (!at || at < text || at > text + len)
                return 0;
        if (json)
                while (at < text + len && blank(at, 1))
                        at++;
        return (size_t)(at - text);
}

static void bad_json_at(struct stream *st, const char *doc, size_t at, bool trailing)
{
        bad(st, 1 + lines_in(doc, at),
            trailing ? "trailing data after the JSON document" : "not valid JSON");
}

/* An object over several lines: an order, or a List response whose items
 * are split from the bytes rather than parsed all at once.  Besides the
 * items, the object is parsed with "[]" in their place. */
static int read_object(struct stream *st)
{
        _cleanup_free_ char *doc = NULL, *skeleton = NULL;
        size_t len = 0, a = 0, b = 0, slen;
        struct order o;
        bool list;
        int r, found;

        r = read_rest(st, &doc, &len);
        if (r == -EFBIG) {
                bad(st, 1, "document larger than 256 MiB; send one order per line");
                return 0;
        }
        if (r < 0)
                return r;
        found = items_span(st, doc, len, &a, &b);
        if (found < 0)
                return found;
        slen = found ? len - (b - a) + 2 : len;
        if (found) {
                skeleton = malloc(slen);
                if (!skeleton)
                        return -ENOMEM;
                memcpy(skeleton, doc, a);
                memcpy(skeleton + a, "[]", 2);
                memcpy(skeleton + a + 2, doc + b, len - b);
        }
        r = order_reader_parse(st->reader, found ? skeleton : doc, slen, &o);
        if (r == -EBADMSG) {
                bool trailing;
                size_t at = json_error_offset(found ? skeleton : doc, slen, &trailing);

                if (found && at >= a + 2) /* after the items: back to doc's offsets */
                        at += (b - a) - 2;
                bad_json_at(st, doc, at, trailing);
                return 0;
        }
        if (r == -EFBIG) {
                bad(st, 1,
                    found ? "object larger than 1 MiB besides its items"
                          : "order larger than 1 MiB");
                return 0;
        }
        if (r < 0)
                return r;
        list = is_list_response(st, &o);
        if (list && !found) /* the items pointer goes through an array */
                r = hand_over_tree_array(
                        st, (cJSON *)json_pointer_get(o.json, st->api->fields[FIELD_ITEMS]), 1);
        else if (!list && !found)
                r = st->ops->order(&o, st->userdata);
        order_done(&o);
        arena_reset(st->arena);
        if (!found || r < 0)
                return r;
        if (list)
                return hand_over_span(st, doc, a, b, 1 + lines_in(doc, a));
        /* An order with items: read whole.  The items were not parsed yet:
         * the error may lie in them. */
        r = order_reader_parse(st->reader, doc, len, &o);
        if (r == -EFBIG) {
                bad(st, 1, "order larger than 1 MiB");
                return 0;
        }
        if (r == -EBADMSG) {
                bool trailing;
                size_t at = json_error_offset(doc, len, &trailing);

                bad_json_at(st, doc, at, trailing);
                return 0;
        }
        if (r < 0)
                return r;
        r = hand_over(st, &o);
        arena_reset(st->arena);
        return r;
}

/* ---- one object a line --------------------------------------------------- */

/* One line: an order, or a whole List response. */
static int read_line(struct stream *st, const char *s, size_t len, size_t line)
{
        struct order o;
        int r;

        r = order_reader_parse(st->reader, s, len, &o);
        if (r == -EBADMSG) {
                bad(st, line, "not a JSON object");
                return 0;
        }
        if (r == -EFBIG) {
                bad(st, line, "line longer than 1 MiB");
                return 0;
        }
        if (r < 0)
                return r;
        if (is_list_response(st, &o))
                r = hand_over_tree_array(
                        st, (cJSON *)json_pointer_get(o.json, st->api->fields[FIELD_ITEMS]), line);
        else
                r = st->ops->order(&o, st->userdata);
        if (arena_holds_all(st->arena))
                o.json = NULL;
        order_done(&o);
        return r;
}

/* Line-delimited input: one order (or List response) a line, each at most
 * ORDER_STREAM_ITEM_MAX; a longer line is reported and skipped. */
static int read_lines(struct stream *st)
{
        size_t line = 0;
        bool skipping = false;

        for (;;) {
                char *s = st->buf + st->start;
                char *nl = memchr(s, '\n', st->end - st->start);
                size_t len;
                int r;

                if (!nl && !st->eof) {
                        if (st->end - st->start >= ORDER_STREAM_ITEM_MAX) {
                                if (!skipping)
                                        bad(st, line + 1, "line longer than 1 MiB");
                                skipping = true;
                                st->start = st->end;
                        }
                        r = fill(st, st->start);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!nl && st->start == st->end)
                        return 0;
                len = nl ? (size_t)(nl - s) : st->end - st->start;
                st->start += len + (nl ? 1 : 0);
                line++;
                if (skipping) {
                        skipping = false;
                        continue;
                }
                if (blank(s, len))
                        continue;
                r = read_line(st, s, len, line);
                arena_reset(st->arena); /* the line's tree is gone */
                if (r < 0)
                        return r;
        }
}

/* ---- the shape ------------------------------------------------------------ */

enum shape {
        SHAPE_LINES,
        SHAPE_ARRAY,
        SHAPE_OBJECT,
};

/* The first non-blank byte decides the shape: '[' is an array; '{' whose
 * line holds a whole object is line-delimited; another '{' one object. */
static int detect(struct stream *st, enum shape *ret)
{
        const char *p, *nl;
        struct order o;
        int r;

        for (;;) {
                for (p = st->buf + st->start; p < st->buf + st->end; p++)
                        if (!blank(p, 1))
                                break;
                nl = memchr(p, '\n', (size_t)(st->buf + st->end - p));
                if ((p < st->buf + st->end && (*p != '{' || nl)) || st->eof || st->end == st->size)
                        break;
                r = fill(st, st->start);
                if (r < 0)
                        return r;
        }
        if (p == st->buf + st->end || *p != '{') {
                *ret = p < st->buf + st->end && *p == '[' ? SHAPE_ARRAY : SHAPE_LINES;
                return 0;
        }
        r = order_reader_parse(st->reader, p,
                               nl ? (size_t)(nl - p) : (size_t)(st->buf + st->end - p), &o);
        /* The first line is no whole object: a multi-line document. */
        *ret = r == -EBADMSG || r == -EFBIG ? SHAPE_OBJECT : SHAPE_LINES;
        if (r >= 0)
                order_done(&o);
        arena_reset(st->arena);
        return r == -ENOMEM ? r : 0;
}

static int run(struct stream *st)
{
        enum shape shape;
        int r;

        r = detect(st, &shape);
        if (r < 0)
                return r;
        switch (shape) {
        case SHAPE_ARRAY:
                return read_array(st);
        case SHAPE_OBJECT:
                return read_object(st);
        default:
                return read_lines(st);
        }
}

int order_stream_read(order_stream_read_t read_fn, void *ctx, const struct api_config *api,
                      const struct order_stream_ops *ops, void *userdata)
{
        struct stream st = {
                .read_fn = read_fn,
                .ctx = ctx,
                .api = api,
                .ops = ops,
                .userdata = userdata,
                .size = READ_BUF_SIZE,
        };
        int r;

        assert(read_fn);
        assert(api);
        assert(ops && ops->order && ops->bad);
        st.buf = malloc(st.size);
        if (!st.buf)
                return -ENOMEM;
        r = order_reader_new(api, &st.reader);
        if (r >= 0)
                r = arena_new(ARENA_SIZE, &st.arena);
        if (r >= 0) {
                arena_cjson_install(st.arena);
                order_reader_set_arena(st.reader, st.arena);
                r = run(&st);
                arena_cjson_uninstall();
        }
        arena_free(st.arena);
        order_reader_free(st.reader);
        free(st.buf);
        return r;
}

/* ---- explain's one order ------------------------------------------------ */

/* Whether any field of an order (not of its items) is there at all. */
static bool has_order_fields(const cJSON *json, const struct api_config *api)
{
        for (int f = 0; f < _FIELD_MAX; f++) {
                if (f >= FIELD_ITEM_SKU && f <= FIELD_ITEM_QUANTITY)
                        continue;
                if (json_pointer_get(json, api->fields[f]))
                        return true;
        }
        return false;
}

/* An error code fit to quote as it is: a short word. */
static bool plain_word(const char *s)
{
        size_t n = 0;

        for (; s && *s; s++, n++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
                        return false;
        return n > 0 && n <= 64;
}

/* What an object without any order field is: an API error body
 * ({"error":"code",...}, or APIM's {"statusCode":401,...}), or anything. */
static void not_an_order(const cJSON *json, char *why, size_t size)
{
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(json, "error");
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(json, "statusCode");

        if (cJSON_IsString(error) && plain_word(error->valuestring))
                snprintf(why, size,
                         "not an order but an API error (\"%s\"): none of the order's fields "
                         "is there",
                         error->valuestring);
        else if (cJSON_IsNumber(status) && status->valuedouble >= 100 && status->valuedouble < 600)
                snprintf(why, size,
                         "not an order but an API error (HTTP %d): none of the order's fields "
                         "is there",
                         (int)status->valuedouble);
        else if (error)
                snprintf(why, size,
                         "not an order but an API error: none of the order's fields is there");
        else
                snprintf(why, size, "not an order: none of the order's fields is there");
}

int order_stream_parse_one(const char *text, size_t len, const struct api_config *api,
                           struct order *ret, char *why, size_t size)
{
        struct order o;
        cJSON *json;
        int r;

        assert(text || len == 0);
        assert(api);
        assert(ret);
        assert(why && size > 0);
        if (len > ORDER_STREAM_ITEM_MAX)
                return -EFBIG;
        r = order_json_parse(text, len, &json);
        if (r == -EBADMSG)
                snprintf(why, size, "not valid JSON");
        if (r < 0)
                return r;
        if (!cJSON_IsObject(json)) {
                snprintf(why, size, "%s",
                         cJSON_IsArray(json) ? "a JSON array, not one order" : "not a JSON object");
                cJSON_Delete(json);
                return -EBADMSG;
        }
        r = order_from_json(json, api, &o);
        if (r < 0)
                return r;
        if (list_response(api, &o))
                snprintf(why, size,
                         "a List response, not one order (approvald evaluate takes those)");
        else if (!has_order_fields(o.json, api))
                not_an_order(o.json, why, size);
        else {
                *ret = o;
                return 0;
        }
        order_done(&o);
        return -EBADMSG;
}
