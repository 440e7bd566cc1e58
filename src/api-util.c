/* api-util.c: the pure policy of the API client (see api.h): which URLs may
 * be followed, how long a Retry-After asks to wait, and the retry backoff.
 * No state, no I/O: unit-tested and fuzzed on its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "api.h"
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
