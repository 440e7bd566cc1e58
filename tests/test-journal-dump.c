/* test-journal-dump.c: the JSON line of `journal dump`: exact integers,
 * and every string valid UTF-8 with nothing a terminal would act on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "journal-dump.h"
#include "util.h"

static void test_intent(void **state)
{
        struct journal_record r = {
                .type = JOURNAL_INTENT,
                .seq = UINT64_MAX,
                .offset = 32,
                .intent = { .order_id = "ORD-1",
                            .decision = ACTION_REJECT,
                            .rule = NULL,
                            .reason = "a \"b\" \\ c",
                            .customer_id = "C1",
                            .total = INT64_MIN,
                            .currency = "EUR",
                            .time = INT64_MAX },
        };
        _cleanup_free_ char *line = NULL;

        assert_int_equal(journal_record_to_json(&r, &line), 0);
        assert_string_equal(line, "{\"offset\":32,\"seq\":18446744073709551615,\"type\":\"intent\","
                                  "\"order_id\":\"ORD-1\",\"decision\":\"reject\",\"rule\":null,"
                                  "\"reason\":\"a \\\"b\\\" \\\\ c\",\"customer_id\":\"C1\","
                                  "\"total\":-9223372036854775808,\"currency\":\"EUR\","
                                  "\"time\":9223372036854775807}");
}

static void test_outcome(void **state)
{
        struct journal_record r = {
                .type = JOURNAL_OUTCOME,
                .seq = 2,
                .offset = 124,
                .outcome = { .order_id = "ORD-1",
                             .http_status = 204,
                             .final_status = "Approved",
                             .time = 1700000001 },
        };
        _cleanup_free_ char *line = NULL;

        assert_int_equal(journal_record_to_json(&r, &line), 0);
        assert_string_equal(line, "{\"offset\":124,\"seq\":2,\"type\":\"outcome\",\"order_id\":"
                                  "\"ORD-1\",\"http_status\":204,\"final_status\":\"Approved\","
                                  "\"time\":1700000001}");
}

/* Text from the journal as the final_status of an outcome, and how it must
 * come out between the quotes. */
static void test_strings(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "plain", "plain" },
                { "line\nbreak\ttab\rcr", "line\\nbreak\\ttab\\rcr" },
                { "\x1b[31mred", "\\u001b[31mred" },
                { "del\x7f", "del\\u007f" },
                { "csi\xc2\x9b"
                  "2J",
                  "csi\\u009b2J" }, /* C1 CSI */
                { "nel\xc2\x85", "nel\\u0085" },
                { "rlo\xe2\x80\xae"
                  "txt",
                  "rlo\\u202etxt" },
                { "lsep\xe2\x80\xa8", "lsep\\u2028" },
                { "iso\xe2\x81\xa6", "iso\\u2066" },
                { "rlm\xe2\x80\x8f", "rlm\\u200f" },
                { "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac" },
                { "bad\xff", "bad\xef\xbf\xbd" },
                { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
                { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
                { "cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct journal_record r = {
                        .type = JOURNAL_OUTCOME,
                        .outcome = { .order_id = "O", .final_status = cases[i].in },
                };
                _cleanup_free_ char *line = NULL, *want = NULL;

                print_message("case %zu\n", i);
                assert_int_equal(journal_record_to_json(&r, &line), 0);
                assert_true(asprintf(&want, "\"final_status\":\"%s\",", cases[i].out) > 0);
                assert_non_null(strstr(line, want));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_intent),
                cmocka_unit_test(test_outcome),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
