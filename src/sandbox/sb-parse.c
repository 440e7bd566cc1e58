/* sb-parse.c: request parsers; every input is length-bounded by the caller
 * (1 MiB for bodies) and nothing here trusts it to be well formed. */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "sb-order.h"
#include "sb-parse.h"
#include "timeutil.h"
#include "util.h"

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes n bytes of form text ('+' is a space) into a new string. */
static int form_decode(const char *s, size_t n, char **ret)
{
        char *out = malloc(n + 1), *p = out;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '+') {
                        *p++ = ' ';
                } else if (s[i] == '%') {
                        int hi, lo;

                        if (n - i < 3) {
                                free(out);
                                return -EINVAL;
                        }
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                                free(out);
                                return -EINVAL;
                        }
                        *p++ = (char)(hi * 16 + lo);
                        i += 2;
                } else if (s[i] == '\0') {
                        free(out);
                        return -EINVAL;
                } else {
                        *p++ = s[i];
                }
        }
        *p = '\0';
        *ret = out;
        return 0;
}

int sb_form_get(const char *body, size_t len, const char *key, char **ret)
{
        size_t klen = strlen(key), i = 0;

        while (i < len) {
                const char *amp = memchr(body + i, '&', len - i);
                size_t end = amp ? (size_t)(amp - body) : len;
                const char *eq = memchr(body + i, '=', end - i);
                size_t name_end = eq ? (size_t)(eq - body) : end;

                if (name_end - i == klen && memcmp(body + i, key, klen) == 0) {
                        size_t v = eq ? name_end + 1 : end;

                        return form_decode(body + v, end - v, ret);
                }
                i = end + 1;
        }
        return -ENOENT;
}

static int parse_position(enum sb_shape shape, const char *s, struct sb_list_query *q)
{
        int64_t v;

        if (!s)
                return 0;
        if (shape == SB_SHAPE_PAGE) {
                if (safe_atoi64_range(s, 1, SB_PAGE_MAX, &q->page) < 0)
                        return -EINVAL;
                return 0;
        }
        if (shape != SB_SHAPE_OFFSET || safe_atoi64_range(s, 0, SB_SKIP_MAX, &v) < 0)
                return -EINVAL;
        q->skip = v;
        return 0;
}

int sb_list_params_parse(enum sb_shape shape, const struct sb_list_params *p,
                         struct sb_list_query *ret)
{
        struct sb_list_query q = {
                .status = -1,
                .created_from = INT64_MIN,
                .page = 1,
                .page_size = SB_PAGE_SIZE_DEFAULT,
        };

        assert(shape < _SB_SHAPE_MAX && p && ret);
        if (p->status) {
                q.status = sb_status_from_name(p->status, sb_shape_info(shape)->lower);
                if (q.status < 0)
                        return -EINVAL;
        }
        if (p->created_from && timestamp_parse(p->created_from, &q.created_from) < 0)
                return -EINVAL;
        if (parse_position(shape, p->position, &q) < 0)
                return -EINVAL;
        if (p->size && safe_atoi64_range(p->size, 1, SB_PAGE_SIZE_MAX, &q.page_size) < 0)
                return -EINVAL;
        if (shape == SB_SHAPE_PAGE)
                q.skip = (q.page - 1) * q.page_size;
        *ret = q;
        return 0;
}

int sb_list_query_parse(const char *status, const char *page, const char *page_size,
                        struct sb_list_query *ret)
{
        const struct sb_list_params p = { .status = status, .position = page, .size = page_size };

        return sb_list_params_parse(SB_SHAPE_PAGE, &p, ret);
}

int sb_reject_parse(const char *body, size_t len, char **ret, const char **ret_why)
{
        cJSON *j = cJSON_ParseWithLength(body, len);
        const char *reason;
        size_t n;
        char *copy;

        if (!cJSON_IsObject(j)) {
                cJSON_Delete(j);
                *ret_why = "body must be a JSON object {\"reason\":\"...\"}";
                return -EINVAL;
        }
        if (sb_json_has_nul(body, len)) {
                cJSON_Delete(j);
                *ret_why = "reason must not contain \\u0000";
                return -EINVAL;
        }
        reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "reason"));
        n = reason ? sb_utf8_length(reason) : 0;
        if (n < 1 || n > SB_REASON_MAX) {
                cJSON_Delete(j);
                *ret_why = "reason must be a string of 1 to 500 characters of UTF-8";
                return -EINVAL;
        }
        copy = strdup(reason);
        cJSON_Delete(j);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int sb_approve_parse(const char *body, size_t len)
{
        cJSON *j;
        bool ok;

        while (len > 0 && strchr(" \t\r\n", body[len - 1]) && body[len - 1] != '\0')
                len--;
        if (len == 0)
                return 0;
        j = cJSON_ParseWithLength(body, len);
        ok = cJSON_IsObject(j);
        cJSON_Delete(j);
        return ok ? 0 : -EINVAL;
}

const char *sb_bearer_token(const char *authorization)
{
        const char *t;

        if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
                return NULL;
        t = authorization + 7;
        while (*t == ' ')
                t++;
        return *t ? t : NULL;
}
