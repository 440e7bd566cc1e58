/* test-api.c: the pure parts of the API client: which URLs may be
 * followed, Retry-After parsing, the backoff, and the id map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "credentials.h"
#include "idmap.h"
#include "util.h"

static void test_check_url(void **state)
{
        static const struct {
                const char *url;
                int r;
        } cases[] = {
                { "https://api.appxite.com", 0 },
                { "https://api.appxite.com:8443/x", 0 },
                { "http://127.0.0.1:8080", 0 },
                { "http://127.3.4.5/", 0 },
                { "http://localhost:1/", 0 },
                { "http://[::1]:9/", 0 },
                { "http://api.appxite.com", -EPROTONOSUPPORT },
                { "http://10.0.0.1", -EPROTONOSUPPORT },
                { "http://128.0.0.1", -EPROTONOSUPPORT },
                { "ftp://127.0.0.1/", -EPROTONOSUPPORT },
                { "file:///etc/passwd", -EINVAL }, /* no host */
                { "https://user:pw@api.appxite.com/", -EINVAL },
                { "not a url", -EINVAL },
                { "", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_check_url(cases[i].url);

                if (r != cases[i].r)
                        fail_msg("%s: %d, want %d", cases[i].url, r, cases[i].r);
        }
}

static void test_same_origin(void **state)
{
        static const struct {
                const char *base, *url;
                int r;
        } cases[] = {
                { "https://api.appxite.com", "https://api.appxite.com/orders/1/approve", 1 },
                { "https://api.appxite.com/", "https://API.appxite.com:443/o", 1 },
                { "https://api.appxite.com", "https://api.appxite.com:444/o", 0 },
                { "https://api.appxite.com", "http://api.appxite.com/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com.evil.example/o", 0 },
                { "https://api.appxite.com", "https://evil.example/api.appxite.com", 0 },
                { "https://api.appxite.com", "https://x@api.appxite.com/o", 0 },
                { "http://127.0.0.1:8080", "http://127.0.0.1:8080/orders/ORD-1/reject", 1 },
                { "http://127.0.0.1:8080", "http://127.0.0.1:8081/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "http://localhost:8080/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "/orders/ORD-1/reject", 0 },
                { "http://127.0.0.1:8080", "garbage", 0 },
                /* what libcurl would connect to decides, not the spelling */
                { "http://127.0.0.1:8080", "http://127.0.0.%31:8080/o", 1 },
                { "https://api.appxite.com", "https://api.appxite.com%2eevil.example/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com\\@evil.example/o", 0 },
                { "https://api.appxite.com", "https://:pw@api.appxite.com/o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com./o", 0 },
                { "https://api.appxite.com", "https://api.appxite.com:0443/o", 1 },
                { "http://[::1]:8080", "http://[0:0::1]:8080/o", 1 },
                { "http://[::1]:8080", "http://[::ffff:127.0.0.1]:8080/o", 0 },
                /* the same link-local address on another interface is
                 * another host */
                { "https://[fe80::1%25eth0]", "https://[fe80::1%25eth1]/o", 0 },
                { "https://[fe80::1%25eth0]", "https://[fe80::1]/o", 0 },
                { "https://[fe80::1%25eth0]", "https://[fe80::1%25eth0]:443/o", 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = api_same_origin(cases[i].base, cases[i].url);

                if (r != cases[i].r)
                        fail_msg("%s vs %s: %d, want %d", cases[i].base, cases[i].url, r,
                                 cases[i].r);
        }
}

static void test_retry_after(void **state)
{
        /* now: Thu, 26 Nov 2026 12:00:00 GMT */
        const int64_t now = 1795694400;
        static const struct {
                const char *in;
                int r;
                int64_t s;
        } cases[] = {
                { "0", 0, 0 },
                { "1", 0, 1 },
                { " 7 ", 0, 7 },
                { "120", 0, 120 },
                { "3600", 0, 3600 },
                { "3601", 0, 3600 }, /* clamped to an hour */
                { "99999999999999999999999", 0, 3600 },
                { "Thu, 26 Nov 2026 12:00:30 GMT", 0, 30 },
                { "Thursday, 26-Nov-26 12:01:00 GMT", 0, 60 },
                { "Thu Nov 26 12:00:05 2026", 0, 5 },
                { "Thu, 26 Nov 2026 11:00:00 GMT", 0, 0 }, /* past */
                { "Fri, 27 Nov 2026 12:00:00 GMT", 0, 3600 },
                { "-5", -EINVAL, 0 },
                { "1.5", -EINVAL, 0 },
                { "soon", -EINVAL, 0 },
                { "", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t s = -1;
                int r = api_parse_retry_after(cases[i].in, now, &s);

                if (r != cases[i].r || (r == 0 && s != cases[i].s))
                        fail_msg("'%s': r=%d s=%lld", cases[i].in, r, (long long)s);
        }
}

static void test_backoff(void **state)
{
        const uint64_t base = 250000, cap = 8000000;

        /* full jitter: the draw spans [0, min(cap, base * 2^(n-1))] */
        assert_int_equal(api_backoff_usec(1, base, cap, 0), 0);
        assert_int_equal(api_backoff_usec(1, base, cap, base), base);
        assert_int_equal(api_backoff_usec(1, base, cap, base + 1), 0);
        assert_int_equal(api_backoff_usec(3, base, cap, 4 * base), 4 * base);
        assert_int_equal(api_backoff_usec(3, base, cap, 4 * base + 1), 0);
        for (unsigned n = 1; n < 100; n++)
                for (uint64_t rnd = 0; rnd < 50; rnd++) {
                        uint64_t v = api_backoff_usec(n, base, cap, rnd * 7919 * 104729);

                        assert_true(v <= cap);
                }
        assert_int_equal(api_backoff_usec(60, base, cap, cap), cap);
        assert_int_equal(api_backoff_usec(0, base, cap, base), base);
}

static void test_idmap(void **state)
{
        struct idmap *m = NULL;
        char key[32];
        size_t i = 0, n = 0;
        const char *k;
        void *v;

        assert_int_equal(idmap_new(&m, free), 0);
        for (int j = 0; j < 5000; j++) {
                int *p = malloc(sizeof(int));

                *p = j;
                snprintf(key, sizeof(key), "ORD-%06d", j);
                assert_int_equal(idmap_put(m, key, p), 0);
        }
        assert_int_equal(idmap_put(m, "ORD-000007", (void *)1), -EEXIST);
        assert_int_equal(idmap_size(m), 5000);
        assert_int_equal(*(int *)idmap_get(m, "ORD-004999"), 4999);
        assert_null(idmap_get(m, "ORD-005000"));
        for (int j = 0; j < 5000; j += 2) {
                snprintf(key, sizeof(key), "ORD-%06d", j);
                assert_true(idmap_remove(m, key));
        }
        assert_false(idmap_remove(m, "ORD-000000"));
        assert_int_equal(idmap_size(m), 2500);
        while (idmap_next(m, &i, &k, &v)) {
                assert_true(*(int *)v % 2 == 1);
                n++;
        }
        assert_int_equal(n, 2500);
        assert_int_equal(*(int *)idmap_get(m, "ORD-000001"), 1);
        idmap_clear(m);
        assert_int_equal(idmap_size(m), 0);
        idmap_free(m);
}

static void test_credentials(void **state)
{
        char dir[] = "/tmp/test-cred-XXXXXX", path[128];
        struct credentials *c = NULL;
        _cleanup_free_ char *bad = NULL;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(credentials_load(dir, &c, &bad), -ENOENT);
        assert_non_null(strstr(bad, "subscription-key"));
        free(bad);
        bad = NULL;
        const char *names[] = { "subscription-key", "client-id", "client-secret" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                f = fopen(path, "we");
                fprintf(f, "%s-value\n", names[i]);
                fclose(f);
        }
        assert_int_equal(credentials_load(dir, &c, &bad), 0);
        assert_string_equal(c->client_secret, "client-secret-value");
        assert_string_equal(c->subscription_key, "subscription-key-value");
        credentials_free(c);
        snprintf(path, sizeof(path), "%s/client-id", dir);
        f = fopen(path, "we");
        fputs("two\nlines\n", f);
        fclose(f);
        assert_int_equal(credentials_load(dir, &c, &bad), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                unlink(path);
        }
        rmdir(dir);
        unsetenv("CREDENTIALS_DIRECTORY");
        assert_int_equal(credentials_load(NULL, &c, &bad), -ENXIO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_url),   cmocka_unit_test(test_same_origin),
                cmocka_unit_test(test_retry_after), cmocka_unit_test(test_backoff),
                cmocka_unit_test(test_idmap),       cmocka_unit_test(test_credentials),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
