/* test-crc32c.c: CRC-32C against published check values, and piecewise
 * computation agreeing with one-shot computation at every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crc32c.h"
#include "util.h"

static void test_vectors(void **state)
{
        static uint8_t zeros[32], ones[32], inc[32], dec[32];
        static const struct {
                const void *data;
                size_t len;
                uint32_t crc;
        } cases[] = {
                { "", 0, 0x00000000 },
                { "a", 1, 0xC1D04330 },
                { "123456789", 9, 0xE3069283 },
                /* iSCSI test patterns (RFC 3720, appendix B.4) */
                { zeros, 32, 0x8A9136AA },
                { ones, 32, 0x62A8AB43 },
                { inc, 32, 0x46DD794E },
                { dec, 32, 0x113FDB5C },
        };

        for (int i = 0; i < 32; i++) {
                ones[i] = 0xff;
                inc[i] = (uint8_t)i;
                dec[i] = (uint8_t)(31 - i);
        }
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(crc32c(0, cases[i].data, cases[i].len), cases[i].crc);
}

static void test_pieces(void **state)
{
        uint8_t buf[301];
        uint32_t whole;

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t)(i * 131 + 7);
        whole = crc32c(0, buf, sizeof(buf));
        for (size_t split = 0; split <= sizeof(buf); split++) {
                uint32_t c = crc32c(0, buf, split);

                assert_int_equal(crc32c(c, buf + split, sizeof(buf) - split), whole);
        }
        /* unaligned starts take the same path as aligned ones */
        for (size_t off = 1; off < 8; off++)
                assert_int_equal(crc32c(crc32c(0, buf, off), buf + off, sizeof(buf) - off), whole);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_pieces),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
