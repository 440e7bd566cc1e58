/* test-timeutil.c: durations and RFC 3339 timestamps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timeutil.h"
#include "util.h"

static void test_duration(void **state)
{
        static const struct {
                const char *in;
                int r;
                int64_t v;
        } cases[] = {
                { "90s", 0, 90 },
                { "15m", 0, 900 },
                { "24h", 0, 86400 },
                { "30d", 0, 2592000 },
                { "1s", 0, 1 },
                { "0s", -EINVAL, 0 },
                { "10", -EINVAL, 0 },
                { "s", -EINVAL, 0 },
                { "-5s", -EINVAL, 0 },
                { "5 s", -EINVAL, 0 },
                { "5sx", -EINVAL, 0 },
                { "1.5h", -EINVAL, 0 },
                { "5w", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "99999999999999999999d", -ERANGE, 0 },
                { "30000d", 0, 30000LL * 86400 },
                { "40000000d", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t v = 7;

                print_message("case '%s'\n", cases[i].in);
                assert_int_equal(duration_parse(cases[i].in, &v), cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
        }
}

static void test_timestamp(void **state)
{
        static const struct {
                const char *in;
                int r;
                int64_t v;
        } cases[] = {
                { "1970-01-01T00:00:00Z", 0, 0 },
                { "2026-11-26T10:00:00Z", 0, 1795687200 },
                { "2026-11-26T10:00:00.123Z", 0, 1795687200 },
                { "2026-11-26T11:00:00+01:00", 0, 1795687200 },
                { "2026-11-26T09:30:00-00:30", 0, 1795687200 },
                { "2026-11-26 10:00:00Z", 0, 1795687200 },
                { "2026-11-26T10:00:00", -EINVAL, 0 },
                { "2026-13-01T00:00:00Z", -EINVAL, 0 },
                { "2026-02-30T00:00:00Z", -EINVAL, 0 },
                { "2026-02-29T00:00:00Z", -EINVAL, 0 },
                { "1900-02-29T00:00:00Z", -EINVAL, 0 },
                { "2028-02-29T00:00:00Z", 0, 1835395200 },
                { "2000-02-29T00:00:00Z", 0, 951782400 },
                { "2026-11-26T24:00:00Z", -EINVAL, 0 },
                { "2026-11-26T10:00:00Zx", -EINVAL, 0 },
                { "2026-11-26", -EINVAL, 0 },
                { "", -EINVAL, 0 },
        };
        char buf[TIMESTAMP_BUF_SIZE];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t v = 7;

                print_message("case '%s'\n", cases[i].in);
                assert_int_equal(timestamp_parse(cases[i].in, &v), cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 7);
        }
        assert_string_equal(timestamp_format(1795687200, buf), "2026-11-26T10:00:00Z");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_timestamp),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
