/* test-money.c: exact decimal amounts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "money.h"
#include "util.h"

static void test_parse(void **state)
{
        static const struct {
                const char *in;
                int r;
                int64_t v;
        } cases[] = {
                { "1000", 0, 100000 },
                { "1000.00", 0, 100000 },
                { "1000.01", 0, 100001 },
                { "0.5", 0, 50 },
                { "1234.5", 0, 123450 },
                { "-5", 0, -500 },
                { "1.500", 0, 150 },
                { "0", 0, 0 },
                { "1.505", -EINVAL, 0 },
                { "1.", -EINVAL, 0 },
                { ".5", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "1e3", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "1,5", -EINVAL, 0 },
                { "--1", -EINVAL, 0 },
                { "1.2.3", -EINVAL, 0 },
                { "abc", -EINVAL, 0 },
                { "999999999999.99", 0, MONEY_MAX },
                { "1000000000000", -ERANGE, 0 },
                { "99999999999999999999999", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t v = 7;
                int r = money_parse(cases[i].in, &v);

                print_message("case '%s'\n", cases[i].in);
                assert_int_equal(r, cases[i].r);
                assert_int_equal(v, r == 0 ? cases[i].v : 7);
        }
}

static void test_from_double(void **state)
{
        static const struct {
                double in;
                int r;
                int64_t v;
        } cases[] = {
                { 1234.5, 0, 123450 },  { 0.1, 0, 10 },           { 0.29, 0, 29 },
                { 1000.01, 0, 100001 }, { 99999.99, 0, 9999999 }, { -3.07, 0, -307 },
                { 1.005, -EINVAL, 0 },  { 1e300, -ERANGE, 0 },
        };
        int64_t v;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                v = 7;
                assert_int_equal(money_from_double(cases[i].in, &v), cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
        }
        assert_int_equal(money_from_double(0.0 / 0.0, &v), -EINVAL);
}

static void test_format(void **state)
{
        char buf[MONEY_BUF_SIZE];

        assert_string_equal(money_format(123450, buf), "1234.50");
        assert_string_equal(money_format(5, buf), "0.05");
        assert_string_equal(money_format(-307, buf), "-3.07");
        assert_string_equal(money_format(INT64_MIN, buf), "-92233720368547758.08");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_from_double),
                cmocka_unit_test(test_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
