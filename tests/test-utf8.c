/* test-utf8.c: the strict decoder, at the edges RFC 3629 draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"
#include "util.h"

static void test_decode(void **state)
{
        static const struct {
                const char *in;
                size_t n;
                uint32_t c;
        } cases[] = {
                { "A", 1, 'A' },
                { "\x7f", 1, 0x7f },
                { "\xc2\x80", 2, 0x80 },
                { "\xc3\xa9", 2, 0xe9 },
                { "\xdf\xbf", 2, 0x7ff },
                { "\xe0\xa0\x80", 3, 0x800 },
                { "\xe2\x80\xa8", 3, 0x2028 },
                { "\xed\x9f\xbf", 3, 0xd7ff },
                { "\xee\x80\x80", 3, 0xe000 },
                { "\xef\xbf\xbf", 3, 0xffff },
                { "\xf0\x90\x80\x80", 4, 0x10000 },
                { "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
                { "\x80", 0, 0 }, /* lone continuation */
                { "\xc0\xaf", 0, 0 }, /* overlong '/' */
                { "\xc1\xbf", 0, 0 }, /* overlong */
                { "\xe0\x9f\xbf", 0, 0 }, /* overlong 3-byte */
                { "\xed\xa0\x80", 0, 0 }, /* surrogate U+D800 */
                { "\xf0\x8f\xbf\xbf", 0, 0 }, /* overlong 4-byte */
                { "\xf4\x90\x80\x80", 0, 0 }, /* past U+10FFFF */
                { "\xf5\x80\x80\x80", 0, 0 },
                { "\xc3", 0, 0 }, /* cut short by the NUL */
                { "\xe2\x80", 0, 0 },
                { "\xc3(", 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t c = 0xdeadbeef;
                size_t n = utf8_decode(cases[i].in, &c);

                print_message("case %zu\n", i);
                assert_int_equal(n, cases[i].n);
                if (n > 0)
                        assert_int_equal(c, cases[i].c);
        }
        assert_int_equal(utf8_decode("\xe2\x82\xac", NULL), 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
