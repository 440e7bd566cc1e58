/* test-control.c: what the control socket takes as a reason and a login. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "control.h"

/* n copies of the UTF-8 character c. */
static char *repeat(const char *c, size_t n)
{
        size_t len = strlen(c);
        char *s = calloc(n * len + 1, 1);

        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * len, c, len);
        return s;
}

static void test_reason(void **unused)
{
        char *ok = repeat("\xc3\xa9", CONTROL_REASON_MAX),
             *over = repeat("a", CONTROL_REASON_MAX + 1);
        size_t n = 0;

        assert_int_equal(control_reason_check("checked by phone", &n), 0);
        assert_int_equal(n, 16);
        assert_int_equal(control_reason_check(ok, &n), 0); /* characters, not bytes */
        assert_int_equal(n, CONTROL_REASON_MAX);
        assert_int_equal(control_reason_check(over, NULL), -ERANGE);
        assert_int_equal(control_reason_check("", &n), -ERANGE);
        assert_int_equal(n, 0);
        assert_int_equal(control_reason_check("two\nlines", NULL), -EINVAL);
        assert_int_equal(control_reason_check("tab\there", NULL), -EINVAL);
        assert_int_equal(control_reason_check("del\x7f", NULL), -EINVAL);
        assert_int_equal(control_reason_check("bad \xff byte", NULL), -EINVAL);
        assert_int_equal(control_reason_check("cut \xc3", NULL), -EINVAL);
        free(ok);
        free(over);
}

static void test_login(void **unused)
{
        char *max = repeat("a", CONTROL_LOGIN_MAX), *over = repeat("a", CONTROL_LOGIN_MAX + 1);

        assert_int_equal(control_login_check("root"), 0);
        assert_int_equal(control_login_check("jane.doe-2"), 0);
        assert_int_equal(control_login_check(max), 0);
        assert_int_equal(control_login_check(over), -EINVAL);
        assert_int_equal(control_login_check(""), -EINVAL);
        assert_int_equal(control_login_check("a b"), -EINVAL);
        assert_int_equal(control_login_check("a:b"), -EINVAL); /* manual:LOGIN stays one field */
        assert_int_equal(control_login_check("\xc3\xa9"), -EINVAL);
        free(max);
        free(over);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reason),
                cmocka_unit_test(test_login),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
