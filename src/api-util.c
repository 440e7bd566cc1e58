/* api-util.c: the pure policy of the API client (see api.h): which URLs may
 * be followed, how long a Retry-After asks to wait, the retry backoff, and
 * what the response headers say.
 * No state, no I/O: unit-tested and fuzzed on its own. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "api.h"
#include "order.h"
#include "log.h" /* utf8_truncate() */
#include "util.h"

uint64_t api_backoff_usec(unsigned attempt, uint64_t base, uint64_t cap, uint64_t rnd)
{
        uint64_t ceiling = cap;

        if (attempt == 0)
                attempt = 1;
        if (attempt - 1 < 40 && (base << (attempt - 1)) < cap)
                ceiling = base << (attempt - 1);
        return rnd % (ceiling + 1);
}

int api_parse_retry_after(const char *value, int64_t now_s, int64_t *ret_seconds)
{
        int64_t s;
        time_t t;

        while (*value == ' ' || *value == '\t')
                value++;
        if (*value >= '0' && *value <= '9') {
                size_t n = strspn(value, "0123456789");
                char digits[32];

                if (value[n + strspn(value + n, " \t")] != '\0')
                        return -EINVAL;
                if (n >= sizeof(digits)) {
                        *ret_seconds = API_RETRY_AFTER_MAX_S; /* absurdly long: clamp */
                        return 0;
                }
                memcpy(digits, value, n);
                digits[n] = '\0';
                if (safe_atoi64(digits, &s) < 0)
                        s = API_RETRY_AFTER_MAX_S;
        } else {
                t = curl_getdate(value, NULL);
                if (t == (time_t)-1)
                        return -EINVAL;
                s = (int64_t)t - now_s;
        }
        if (s < 0)
                s = 0;
        if (s > API_RETRY_AFTER_MAX_S)
                s = API_RETRY_AFTER_MAX_S;
        *ret_seconds = s;
        return 0;
}

/* libcurl keeps an IPv6 zone ("%25eth0") apart from the host: compared
 * too, as fe80::1 on another interface is another machine. */
struct url_parts {
        char *scheme, *host, *port, *zone;
};

static void url_parts_done(struct url_parts *p)
{
        curl_free(p->scheme);
        curl_free(p->host);
        curl_free(p->port);
        curl_free(p->zone);
}

static int url_split(const char *url, struct url_parts *ret)
{
        CURLU *h = curl_url();
        struct url_parts p = { 0 };
        char *user = NULL;
        int r = -EINVAL;

        if (!h)
                return -ENOMEM;
        if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK) {
                curl_free(user); /* credentials in a link: never follow */
                goto out;
        }
        if (curl_url_get(h, CURLUPART_SCHEME, &p.scheme, 0) != CURLUE_OK ||
            curl_url_get(h, CURLUPART_HOST, &p.host, 0) != CURLUE_OK ||
            curl_url_get(h, CURLUPART_PORT, &p.port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
                url_parts_done(&p);
                goto out;
        }
        if (curl_url_get(h, CURLUPART_ZONEID, &p.zone, 0) != CURLUE_OK)
                p.zone = NULL; /* none */
        *ret = p;
        r = 0;
out:
        curl_url_cleanup(h);
        return r;
}

static bool host_is_loopback(const char *host)
{
        struct in_addr a4;

        if (strcasecmp(host, "localhost") == 0 || streq(host, "[::1]") || streq(host, "::1"))
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        return false;
}

int api_check_url(const char *url)
{
        struct url_parts p;
        int r;

        r = url_split(url, &p);
        if (r < 0)
                return r;
        if (strcasecmp(p.scheme, "https") == 0)
                r = 0;
        else if (strcasecmp(p.scheme, "http") == 0 && host_is_loopback(p.host))
                r = 0;
        else
                r = -EPROTONOSUPPORT;
        url_parts_done(&p);
        return r;
}

int api_same_origin(const char *base, const char *url)
{
        struct url_parts b, u;
        int r;

        r = url_split(base, &b);
        if (r < 0)
                return r;
        r = url_split(url, &u);
        if (r < 0) {
                url_parts_done(&b);
                return r == -EINVAL ? 0 : r; /* an unparsable link is simply not ours */
        }
        r = strcasecmp(b.scheme, u.scheme) == 0 && strcasecmp(b.host, u.host) == 0 &&
            streq(b.port, u.port) && streq_ptr(b.zone, u.zone);
        url_parts_done(&b);
        url_parts_done(&u);
        return r;
}

/* ---- response headers ---- */

/* When line is "name: value" (name compared case-insensitively), the value
 * without the blanks and line end around it. */
static bool header_is(const char *line, size_t len, const char *name, const char **ret_value,
                      size_t *ret_len)
{
        size_t n = strlen(name);

        if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
                return false;
        line += n + 1;
        len -= n + 1;
        while (len > 0 && (*line == ' ' || *line == '\t'))
                line++, len--;
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t'))
                len--;
        *ret_value = line;
        *ret_len = len;
        return true;
}

int api_headers_feed(struct api_headers *h, const char *line, size_t len)
{
        const char *v;
        size_t vlen;

        assert(h);
        assert(line || len == 0);
        if (len > API_HEADERS_MAX - h->size)
                return -EMSGSIZE;
        h->size += len;
        if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new response */
                h->retry_after[0] = '\0';
                h->invalid_token = false;
                h->complete = false;
        } else if (len == 0 || line[0] == '\r' || line[0] == '\n') {
                h->complete = true;
        } else if (header_is(line, len, "Retry-After", &v, &vlen)) {
                if (vlen >= sizeof(h->retry_after))
                        vlen = sizeof(h->retry_after) - 1;
                memcpy(h->retry_after, v, vlen);
                h->retry_after[vlen] = '\0';
        } else if (header_is(line, len, "WWW-Authenticate", &v, &vlen)) {
                if (api_www_authenticate_invalid_token(v, vlen))
                        h->invalid_token = true;
        }
        return 0;
}

/* RFC 9110's tchar */
static bool is_tchar(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t skip_ows(const char *s, size_t i, size_t n)
{
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i;
}

static size_t token_end(const char *s, size_t i, size_t n)
{
        while (i < n && is_tchar(s[i]))
                i++;
        return i;
}

/* Where the list element that starts at i ends: at the next comma outside
 * a quoted string, or at n. */
static size_t element_end(const char *s, size_t i, size_t n)
{
        bool quoted = false;

        for (; i < n; i++) {
                if (quoted && s[i] == '\\')
                        i++; /* a quoted pair: the next byte is text */
                else if (s[i] == '"')
                        quoted = !quoted;
                else if (!quoted && s[i] == ',')
                        break;
        }
        return i < n ? i : n;
}

/* 1 when s[i..end) is exactly want, as a token or a quoted string. */
static bool value_is(const char *s, size_t i, size_t end, const char *want)
{
        size_t k = 0, w = strlen(want);

        if (i < end && s[i] != '"')
                return token_end(s, i, end) - i == w && memcmp(s + i, want, w) == 0 &&
                       skip_ows(s, i + w, end) == end;
        for (i++; i < end && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < end)
                        i++;
                if (k >= w || s[i] != want[k])
                        return false;
                k++;
        }
        return i < end && k == w && skip_ows(s, i + 1, end) == end;
}

int api_www_authenticate_invalid_token(const char *s, size_t n)
{
        bool bearer = false;

        assert(s || n == 0);
        for (size_t i = 0, end; i < n; i = end + 1) {
                size_t t, a;

                end = element_end(s, i, n);
                i = skip_ows(s, i, end);
                t = token_end(s, i, end);
                if (t == i)
                        continue; /* empty element, or not a token: skipped */
                a = skip_ows(s, t, end);
                if (a == end || s[a] != '=') { /* a challenge: "scheme [param]" */
                        bearer = t - i == 6 && strncasecmp(s + i, "Bearer", 6) == 0;
                        if (a == end || a == t)
                                continue;
                        i = a; /* its first parameter (or a token68) */
                        t = token_end(s, i, end);
                        a = skip_ows(s, t, end);
                        if (t == i || a == end || s[a] != '=')
                                continue;
                }
                if (bearer && t - i == 5 && strncasecmp(s + i, "error", 5) == 0 &&
                    value_is(s, skip_ows(s, a + 1, end), end, "invalid_token"))
                        return 1;
        }
        return 0;
}

/* ---- error answers ---- */

/* RFC 6749's error charset, a little stricter: printable, no quote, no
 * backslash. */
static bool error_code_ok(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= API_ERROR_MAX)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
                        return false;
        return true;
}

int api_parse_error_code(const char *body, size_t size, char *buf, size_t bufsize)
{
        const cJSON *e;
        cJSON *j;
        int r = 0;

        assert(body || size == 0);
        assert(buf && bufsize >= API_ERROR_MAX);
        buf[0] = '\0';
        j = cJSON_ParseWithLength(body, size);
        if (!cJSON_IsObject(j)) {
                cJSON_Delete(j);
                return 0;
        }
        e = cJSON_GetObjectItemCaseSensitive(j, "error");
        if (cJSON_IsObject(e))
                e = cJSON_GetObjectItemCaseSensitive(e, "code");
        else if (!e)
                e = cJSON_GetObjectItemCaseSensitive(j, "code");
        if (cJSON_IsString(e) && error_code_ok(e->valuestring)) {
                (void)snprintf(buf, bufsize, "%s", e->valuestring);
                r = 1;
        }
        cJSON_Delete(j);
        return r;
}

/* ---- the token endpoint's answer ---- */

static bool token_text_ok(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= API_TOKEN_MAX)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* expires_in in seconds: a number, or a string of digits as some servers
 * send it; 3600 when absent.  -EBADMSG when present and not one of those. */
static int token_ttl(const cJSON *e, double *ret)
{
        int64_t v;

        if (!e) {
                *ret = 3600;
                return 0;
        }
        if (cJSON_IsNumber(e)) {
                *ret = e->valuedouble;
                return 0;
        }
        if (cJSON_IsString(e) && e->valuestring[0] >= '0' && e->valuestring[0] <= '9' &&
            safe_atoi64(e->valuestring, &v) >= 0) {
                *ret = (double)v;
                return 0;
        }
        return -EBADMSG;
}

/* Wipes the strings of an object's members: the parser's copies of a
 * token (a duplicate key's too). */
static void wipe_member_strings(cJSON *j)
{
        for (cJSON *c = j ? j->child : NULL; c; c = c->next)
                if (cJSON_IsString(c))
                        explicit_bzero(c->valuestring, strlen(c->valuestring));
}

int api_parse_token(const char *body, size_t size, char **ret_token, uint64_t *ret_lifetime_usec)
{
        const cJSON *t;
        double ttl = 0;
        char *token;
        cJSON *j;
        int r = -EBADMSG;

        assert(body || size == 0);
        assert(ret_token);
        assert(ret_lifetime_usec);
        /* cJSON ends a string at \u0000: the token would be cut short */
        if (size >= 6 && memmem(body, size, "\\u0000", 6))
                return -EBADMSG;
        j = cJSON_ParseWithLength(body, size);
        if (!cJSON_IsObject(j))
                goto out;
        t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        if (!cJSON_IsString(t) || !token_text_ok(t->valuestring))
                goto out;
        if (token_ttl(cJSON_GetObjectItemCaseSensitive(j, "expires_in"), &ttl) < 0 ||
            !(ttl >= 1 && ttl <= 366.0 * 86400))
                goto out;
        token = strdup(t->valuestring);
        if (!token) {
                r = -ENOMEM;
                goto out;
        }
        *ret_token = token;
        *ret_lifetime_usec = (uint64_t)(ttl * 1e6);
        r = 0;
out:
        if (cJSON_IsObject(j))
                wipe_member_strings(j);
        cJSON_Delete(j);
        return r;
}

const char *api_answered_status(const struct api_config *c, enum action decision, const char *body,
                                size_t size)
{
        const char *pending = order_status_name(ORDER_STATUS_PENDING);
        bool still_pending = false;
        struct order o;

        assert(c);
        if (decision == ACTION_APPROVE && size > 0 && order_parse(body, size, c, &o) >= 0) {
                still_pending = streq_ptr(config_status_canonical(c, o.status), pending);
                order_done(&o);
        }
        if (still_pending)
                return pending;
        return order_status_name(decision == ACTION_APPROVE ? ORDER_STATUS_APPROVED
                                                            : ORDER_STATUS_REJECTED);
}

char *api_reject_body(const char *reason)
{
        _cleanup_free_ char *cut = NULL;
        cJSON *j;
        char *body;

        if (!reason || !*reason)
                reason = "Rejected by the seller's approval rules";
        cut = utf8_truncate(reason, API_REJECT_REASON_MAX);
        if (!cut)
                return NULL;
        j = cJSON_CreateObject();
        if (!j || !cJSON_AddStringToObject(j, "reason", cut)) {
                cJSON_Delete(j);
                return NULL;
        }
        body = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        return body;
}
