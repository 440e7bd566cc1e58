/* test-jsonscan.c: the array and object splitter: value spans, keys,
 * lines, errors, and the same events whether the bytes come at once or
 * one by one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jsonscan.h"
#include "util.h"

/* Scans text in pieces of `piece` bytes and writes what it found into
 * out: each value as <text>@line (in objects key=<text>@line), "end" when
 * the array or object closed, then at the end of the input END, or
 * ERROR(message)@line at the first error. */
static void scan(const char *text, char open, size_t piece, char *out, size_t size)
{
        struct jsonscan s;
        size_t len = strlen(text), pos = 0, n = 0;

        jsonscan_init(&s, open);
        out[0] = 0;
        for (;;) {
                size_t avail = len - pos < piece ? len - pos : piece, used = 0;
                enum jsonscan_event ev;

                if (avail == 0)
                        ev = jsonscan_finish(&s);
                else
                        ev = jsonscan_feed(&s, text + pos, avail, &used);
                assert_true(used <= avail);
                pos += used;
                assert_int_equal(s.offset, pos);
                if (ev == JSONSCAN_VALUE) {
                        if (open == '{')
                                n += (size_t)snprintf(out + n, size - n,
                                                      "%.*s=", (int)(s.key_end - s.key_start),
                                                      text + s.key_start);
                        n += (size_t)snprintf(out + n, size - n, "<%.*s>@%llu ",
                                              (int)(s.value_end - s.value_start),
                                              text + s.value_start,
                                              (unsigned long long)s.value_line);
                        assert_false(jsonscan_in_value(&s));
                } else if (ev == JSONSCAN_ERROR) {
                        snprintf(out + n, size - n, "ERROR(%s)@%llu", s.error,
                                 (unsigned long long)s.line);
                        return;
                } else if (ev == JSONSCAN_END && avail == 0) {
                        snprintf(out + n, size - n, "END");
                        return;
                } else if (ev == JSONSCAN_END)
                        n += (size_t)snprintf(out + n, size - n, "end ");
        }
}

static const struct {
        char open;
        const char *text;
        const char *expect;
} cases[] = {
        { '[', "[]", "end END" },
        { '[', " \n\t[ ]\n", "end END" },
        { '[', "[1]", "<1>@1 end END" },
        { '[', "[1,-2.5e3 , true,null,\"s\"]",
          "<1>@1 <-2.5e3>@1 <true>@1 <null>@1 <\"s\">@1 end END" },
        { '[', "[{\"a\":[1,{\"b\":\"]}\"}]},\n[\"[\",\"\\\"]\"]\n,{}]",
          "<{\"a\":[1,{\"b\":\"]}\"}]}>@1 <[\"[\",\"\\\"]\"]>@2 <{}>@3 end END" },
        { '[', "[\"\\\\\",\"x\\\\\\\"\"]", "<\"\\\\\">@1 <\"x\\\\\\\"\">@1 end END" },
        { '[', "[\n\n{\"multi\":\n1}\n]", "<{\"multi\":\n1}>@3 end END" },
        /* Bad bytes inside a value are the parser's business. */
        { '[', "[tru, {x}]", "<tru>@1 <{x}>@1 end END" },
        { '[', "[1 2]", "<1>@1 ERROR(expected ',' or ']' after a value)@1" },
        { '[', "[1,]", "<1>@1 ERROR(expected a value)@1" },
        { '[', "[,1]", "ERROR(expected a value)@1" },
        { '[', "[1]]", "<1>@1 end ERROR(trailing data after the JSON document)@1" },
        { '[', "[1] x", "<1>@1 end ERROR(trailing data after the JSON document)@1" },
        { '[', "[1,\n{\"a\":[", "<1>@1 ERROR(the JSON array is not closed)@2" },
        { '[', "[\"open", "ERROR(the JSON array is not closed)@1" },
        { '[', "", "ERROR(no JSON array)@1" },
        { '[', "  \n ", "ERROR(no JSON array)@2" },
        { '[', "{}", "ERROR(expected '[')@1" },
        { '{', "{}", "end END" },
        { '{', "{\"a\":1,\"b\" : [2,{\"c\":3}] ,\"k\\\"\":\"v\"}",
          "\"a\"=<1>@1 \"b\"=<[2,{\"c\":3}]>@1 \"k\\\"\"=<\"v\">@1 end END" },
        { '{', "{\"a\"}", "ERROR(expected ':' after a member's key)@1" },
        { '{', "{\"a\":}", "ERROR(expected a member's value)@1" },
        { '{', "{a:1}", "ERROR(expected a member's key or '}')@1" },
        { '{', "{\"a\":1,}", "\"a\"=<1>@1 ERROR(expected a member's key)@1" },
        { '{', "{\"a\":1 \"b\":2}", "\"a\"=<1>@1 ERROR(expected ',' or '}' after a member)@1" },
};

static void test_cases(void **state)
{
        char whole[512], bytewise[512];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                print_message("case %zu: %s\n", i, cases[i].text);
                scan(cases[i].text, cases[i].open, SIZE_MAX, whole, sizeof(whole));
                scan(cases[i].text, cases[i].open, 1, bytewise, sizeof(bytewise));
                assert_string_equal(whole, cases[i].expect);
                assert_string_equal(bytewise, whole);
        }
}

/* Depth is a counter, not a stack: a million nested brackets scan in
 * constant memory. */
static void test_deep(void **state)
{
        size_t n = 1000000;
        char *text = malloc(2 * n + 3);
        struct jsonscan s;
        size_t used;

        assert_non_null(text);
        text[0] = '[';
        memset(text + 1, '[', n);
        memset(text + 1 + n, ']', n);
        text[1 + 2 * n] = ']';
        jsonscan_init(&s, '[');
        assert_int_equal(jsonscan_feed(&s, text, 2 * n + 2, &used), JSONSCAN_VALUE);
        assert_int_equal(s.value_end - s.value_start, 2 * n);
        assert_int_equal(jsonscan_feed(&s, text + used, 2 * n + 2 - used, &used), JSONSCAN_END);
        assert_int_equal(jsonscan_finish(&s), JSONSCAN_END);
        free(text);
}

/* After an error the scan stays failed. */
static void test_failed_stays(void **state)
{
        struct jsonscan s;
        size_t used;

        jsonscan_init(&s, '[');
        assert_int_equal(jsonscan_feed(&s, "x", 1, &used), JSONSCAN_ERROR);
        assert_int_equal(jsonscan_feed(&s, "[]", 2, &used), JSONSCAN_ERROR);
        assert_int_equal(used, 0);
        assert_int_equal(jsonscan_finish(&s), JSONSCAN_ERROR);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),
                cmocka_unit_test(test_deep),
                cmocka_unit_test(test_failed_stays),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
