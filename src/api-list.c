/* api-list.c: the listing requests of api.list (the pending listing, the
 * bootstrap's, the probe's) as pure functions, so that every paging style
 * is built one way and the arithmetic and the next-link handling can be
 * fuzzed on their own. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api-list.h"
#include "api.h"
#include "order.h"
#include "util.h"

/* A growing string; on failure it stays NULL and says so once. */
struct sbuf {
        char *s;
        size_t len;
        bool oom;
};

static void sb_add(struct sbuf *b, const char *text)
{
        size_t n = strlen(text);
        char *s;

        if (b->oom)
                return;
        s = realloc(b->s, b->len + n + 1);
        if (!s) {
                b->oom = true;
                return;
        }
        memcpy(s + b->len, text, n + 1);
        b->s = s;
        b->len += n;
}

/* Adds "?name=value" or "&name=value", both URL-encoded. */
static void sb_param(struct sbuf *b, const char *name, const char *value)
{
        char *n = curl_easy_escape(NULL, name, 0), *v = curl_easy_escape(NULL, value, 0);

        if (!n || !v)
                b->oom = true;
        else {
                sb_add(b, b->s && strchr(b->s, '?') ? "&" : "?");
                sb_add(b, n);
                sb_add(b, "=");
                sb_add(b, v);
        }
        curl_free(n);
        curl_free(v);
}

static void sb_int(struct sbuf *b, const char *name, int64_t value)
{
        char num[32];

        snprintf(num, sizeof(num), "%lld", (long long)value);
        sb_param(b, name, num);
}

int api_list_url(const struct api_config *c, const struct list_request *q, char **ret_url)
{
        const struct list_config *l = &c->list;
        struct sbuf b = { 0 };
        size_t n;

        assert(c && c->base_url && l->path);
        assert(q && ret_url);
        if (l->paging != PAGING_NEXT &&
            (q->page < 1 || q->page_size < 1 || q->page - 1 > INT64_MAX / q->page_size))
                return -ERANGE;
        n = strlen(c->base_url);
        if (n > 0 && c->base_url[n - 1] == '/')
                n--; /* base_url may or may not end in '/'; the path starts with one */
        b.s = strndup(c->base_url, n);
        if (!b.s)
                return -ENOMEM;
        b.len = n;
        sb_add(&b, l->path);
        for (size_t i = 0; i < l->query.n; i++) {
                const char *v = l->query.v[i].value;

                if (q->status && streq(v, c->statuses[ORDER_STATUS_PENDING]))
                        v = q->status;
                sb_param(&b, l->query.v[i].name, v);
        }
        if (q->created_from)
                sb_param(&b, "createdFrom", q->created_from);
        if (l->paging == PAGING_PAGE)
                sb_int(&b, l->page_param, q->page);
        else if (l->paging == PAGING_OFFSET)
                sb_int(&b, l->offset_param, (q->page - 1) * q->page_size);
        if (l->size_param)
                sb_int(&b, l->size_param, q->page_size);
        if (l->paging == PAGING_NEXT && q->token && l->next_param)
                sb_param(&b, l->next_param, q->token);
        if (b.oom) {
                free(b.s);
                return -ENOMEM;
        }
        *ret_url = b.s;
        return 0;
}

cJSON *api_list_items(const struct api_config *c, const cJSON *body)
{
        const cJSON *items;

        assert(c && c->list.items);
        items = json_pointer_get(body, c->list.items);
        return cJSON_IsArray(items) ? (cJSON *)items : NULL;
}

/* link, absolute or relative, resolved against base_url (RFC 3986). */
static int resolve(const char *base, const char *link, char **ret)
{
        CURLU *h = curl_url();
        char *url = NULL;
        int r = -EINVAL;

        if (!h)
                return -ENOMEM;
        if (curl_url_set(h, CURLUPART_URL, base, 0) == CURLUE_OK &&
            curl_url_set(h, CURLUPART_URL, link, 0) == CURLUE_OK &&
            curl_url_get(h, CURLUPART_URL, &url, 0) == CURLUE_OK) {
                *ret = strdup(url);
                r = *ret ? 0 : -ENOMEM;
        }
        curl_free(url);
        curl_url_cleanup(h);
        return r;
}

int api_list_next(const struct api_config *c, const cJSON *body, const struct list_request *q,
                  char **ret_url)
{
        struct list_request t;
        const cJSON *next;
        char *url = NULL;
        int r;

        assert(c && c->list.paging == PAGING_NEXT && c->list.next);
        assert(q && ret_url);
        next = json_pointer_get(body, c->list.next);
        if (!next || cJSON_IsNull(next) || (cJSON_IsString(next) && !*next->valuestring))
                return 0;
        if (!cJSON_IsString(next))
                return -EBADMSG;
        if (c->list.next_param) {
                t = *q;
                t.token = next->valuestring;
                r = api_list_url(c, &t, ret_url);
                return r < 0 ? r : 1;
        }
        for (const char *p = next->valuestring; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return -EBADMSG; /* a URI (RFC 3986) holds no blank, control or 8-bit byte */
        r = resolve(c->base_url, next->valuestring, &url);
        if (r == -EINVAL)
                return -EBADMSG;
        if (r < 0)
                return r;
        r = api_same_origin(c->base_url, url);
        *ret_url = url;
        if (r == 1)
                return 1;
        return r == -ENOMEM ? -ENOMEM : -EPERM;
}

void api_list_page_for(size_t offset, int64_t max, int64_t *ret_page, int64_t *ret_size)
{
        size_t m, best;

        assert(max > 0 && max <= 500);
        assert(offset <= API_LIST_OFFSET_MAX);
        assert(ret_page && ret_size);
        m = (size_t)max;
        best = m;
        for (size_t s = m; s >= (m + 1) / 2 && s > 0 && offset % best != 0; s--)
                if (offset % s < offset % best)
                        best = s;
        *ret_size = (int64_t)best;
        *ret_page = (int64_t)(offset / best) + 1;
}

int api_retrieve_path(const struct api_config *c, const char *order_id, char **ret_path)
{
        const char *tpl, *at;
        char *esc;
        int r;

        assert(c);
        assert(order_id);
        assert(ret_path);
        tpl = c->retrieve;
        at = strstr(tpl, "{id}");
        assert(at); /* the config checks it */
        esc = curl_easy_escape(NULL, order_id, 0);
        if (!esc)
                return -ENOMEM;
        r = asprintf(ret_path, "%.*s%s%s", (int)(at - tpl), tpl, esc, at + 4);
        curl_free(esc);
        return r < 0 ? -ENOMEM : 0;
}
