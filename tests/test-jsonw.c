/* test-jsonw.c: the buffered JSON writer: escaping, invalid UTF-8, pieces
 * larger than the buffer, and a failing stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "jsonw.h"
#include "util.h"

/* Writes s through a fresh writer into memory and returns the text. */
static char *written(const char *s)
{
        struct jsonw *w = malloc(sizeof(*w));
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(w);
        assert_non_null(f);
        jsonw_init(w, f);
        jsonw_string(w, s);
        jsonw_flush(w);
        assert_false(w->failed);
        assert_int_equal(fclose(f), 0);
        free(w);
        return text;
}

static void test_strings(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "plain", "\"plain\"" },
                { "", "\"\"" },
                { "a\"b\\c", "\"a\\\"b\\\\c\"" },
                { "\x01\n\x1f", "\"\\u0001\\u000a\\u001f\"" },
                { "\x7f", "\"\x7f\"" },
                { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
                { "bad \xff end", "\"bad \\ufffd end\"" },
                { "cut \xe2\x82", "\"cut \\ufffd\\ufffd\"" },
                { "overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\"" },
                { "surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = written(cases[i].in);

                print_message("case %zu\n", i);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
}

static void test_null(void **state)
{
        char *s = written(NULL);

        assert_string_equal(s, "null");
        free(s);
}

/* Pieces that do not fit what is left of the buffer flush it first; a
 * piece larger than the buffer goes straight through, in order. */
static void test_large(void **state)
{
        struct jsonw *w = malloc(sizeof(*w));
        /* volatile: with the size a constant, gcc -O0 with the sanitizers
         * warns about the memcpy that jsonw_raw()'s guard never reaches */
        volatile size_t big_v = 3 * JSONW_BUF_SIZE;
        size_t big = big_v, size = 0;
        char *piece = malloc(big), *text = NULL;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(w);
        assert_non_null(piece);
        assert_non_null(f);
        memset(piece, 'x', big);
        jsonw_init(w, f);
        jsonw_raw(w, "[", 1);
        assert_int_equal(w->n_flushes, 0);
        jsonw_raw(w, piece, JSONW_BUF_SIZE - 1); /* exactly fills it */
        assert_int_equal(w->n, JSONW_BUF_SIZE);
        assert_int_equal(w->n_flushes, 0);
        jsonw_raw(w, ",", 1);
        assert_int_equal(w->n_flushes, 1);
        jsonw_raw(w, piece, big);
        jsonw_raw(w, "]", 1);
        jsonw_flush(w);
        assert_false(w->failed);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(size, 1 + (JSONW_BUF_SIZE - 1) + 1 + big + 1);
        assert_int_equal(text[0], '[');
        assert_int_equal(text[JSONW_BUF_SIZE], ',');
        assert_int_equal(text[size - 1], ']');
        assert_int_equal(text[size - 2], 'x');
        free(text);
        free(piece);
        free(w);
}

static void test_failure(void **state)
{
        struct jsonw *w = malloc(sizeof(*w));
        FILE *f = fopen("/dev/full", "w");

        assert_non_null(w);
        if (!f) {
                print_message("skipped: no /dev/full\n");
                free(w);
                skip();
        }
        setvbuf(f, NULL, _IONBF, 0);
        jsonw_init(w, f);
        jsonw_string(w, "x");
        assert_false(w->failed); /* still buffered */
        jsonw_flush(w);
        assert_true(w->failed);
        fclose(f);
        free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_null),
                cmocka_unit_test(test_large),
                cmocka_unit_test(test_failure),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
