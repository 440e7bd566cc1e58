/* test-util.c: the checked parsers and the capped reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <unistd.h>

static void test_safe_atoi64(void **state)
{
        static const struct {
                const char *in;
                int r;
                int64_t v;
        } cases[] = {
                { "0", 0, 0 },
                { "42", 0, 42 },
                { "-7", 0, -7 },
                { "9223372036854775807", 0, INT64_MAX },
                { "9223372036854775808", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "\n1", -EINVAL, 0 },
                { "\r1", -EINVAL, 0 },
                { "\v1", -EINVAL, 0 },
                { "\f1", -EINVAL, 0 },
                { "+1", -EINVAL, 0 },
                { "1x", -EINVAL, 0 },
                { "x", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t v = -12345;
                int r = safe_atoi64(cases[i].in, &v);

                assert_int_equal(r, cases[i].r);
                assert_int_equal(v, r == 0 ? cases[i].v : -12345);
        }
}

static void test_safe_atoi64_range(void **state)
{
        int64_t v = 0;

        assert_int_equal(safe_atoi64_range("5", 1, 10, &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(safe_atoi64_range("11", 1, 10, &v), -ERANGE);
        assert_int_equal(safe_atoi64_range("0", 1, 10, &v), -ERANGE);
}

static void test_read_capped(void **state)
{
        char path[] = "/tmp/test-util-XXXXXX";
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int fd = mkstemp(path);
        FILE *f;

        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        for (int i = 0; i < 10000; i++)
                fputs("0123456789", f);
        fclose(f);

        assert_int_equal(read_file_capped(path, 100000, &buf, &n), 0);
        assert_int_equal(n, 100000);
        assert_int_equal(buf[n], '\0');
        free(TAKE_PTR(buf));
        assert_int_equal(read_file_capped(path, 99999, &buf, &n), -EFBIG);
        assert_null(buf);
        unlink(path);
        assert_int_equal(read_file_capped(path, 10, &buf, &n), -ENOENT);
        /* fopen() takes a folder; the read's own error must come back. */
        assert_int_equal(read_file_capped("/", 10, &buf, &n), -EISDIR);
        assert_null(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_safe_atoi64),
                cmocka_unit_test(test_safe_atoi64_range),
                cmocka_unit_test(test_read_capped),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
