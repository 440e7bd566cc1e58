/* test-log.c: escaping of text from orders, UTF-8-safe truncation, and the
 * plain-line output (nothing from an order can start a line). */
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

#include "log.h"
#include "util.h"

static void test_escape(void **state)
{
        static const struct {
                const char *in;
                const char *out;
        } cases[] = {
                { "plain", "plain" },
                { "two\nlines", "two\\nlines" },
                { "cr\rtab\t", "cr\\rtab\\t" },
                { "quote\"back\\", "quote\\\"back\\\\" },
                { "esc\x1b[31m", "esc\\x1b[31m" },
                { "del\x7f", "del\\x7f" },
                { "Malm\xc3\xb6 AB", "Malm\xc3\xb6 AB" }, /* valid UTF-8 kept */
                { "bad\xff", "bad\\xff" }, /* invalid byte escaped */
                { "overlong\xc0\xaf", "overlong\\xc0\\xaf" },
                { "surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80" },
                /* C1 controls (NEL, CSI), line/paragraph separators and
                 * bidi overrides are valid UTF-8 yet can break or disguise
                 * a line in a terminal or a log viewer: escaped too */
                { "nel\xc2\x85x", "nel\\xc2\\x85x" },
                { "csi\xc2\x9b"
                  "31m",
                  "csi\\xc2\\x9b"
                  "31m" },
                { "ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\\xe2\\x80\\xa8ps\\xe2\\x80\\xa9" },
                { "rlo\xe2\x80\xaegpj.exe", "rlo\\xe2\\x80\\xaegpj.exe" },
                { "lri\xe2\x81\xa6", "lri\\xe2\\x81\\xa6" },
                { "nbsp\xc2\xa0ok\xe2\x82\xac", "nbsp\xc2\xa0ok\xe2\x82\xac" },
                { NULL, "(null)" },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_string_equal(log_escape(cases[i].in, buf, sizeof(buf)), cases[i].out);
}

static void test_escape_cut(void **state)
{
        char buf[12];

        /* cut with "..." and never inside an escape or a character */
        assert_string_equal(log_escape("abcdefghijklmnop", buf, sizeof(buf)), "abcdefgh...");
        assert_string_equal(log_escape("abcdef\n\n\n\n", buf, sizeof(buf)), "abcdef\\n...");
        assert_string_equal(
                log_escape("\xc3\xb6\xc3\xb6\xc3\xb6\xc3\xb6\xc3\xb6", buf, sizeof(buf)),
                "\xc3\xb6\xc3\xb6\xc3\xb6\xc3\xb6...");
}

static void test_utf8_truncate(void **state)
{
        static const struct {
                const char *in;
                size_t max;
                const char *out;
        } cases[] = {
                { "hello", 10, "hello" },
                { "hello", 3, "hel" },
                { "h\xc3\xa9llo", 2, "h" }, /* does not split é */
                { "h\xc3\xa9llo", 3, "h\xc3\xa9" },
                { "\xe2\x82\xac\xe2\x82\xac", 5, "\xe2\x82\xac" }, /* € is 3 bytes */
                { "\xf0\x9f\x98\x80x", 3, "" },
                { "", 5, "" },
                { "bad\xff\xc3(", 10,
                  "bad?"
                  "?(" }, /* not UTF-8: one ? each */
                { "\xed\xa0\x80ok", 4, "???o" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = utf8_truncate(cases[i].in, cases[i].max);

                assert_non_null(s);
                assert_string_equal(s, cases[i].out);
        }
}

/* A forged line in an order's name must stay on the line that carries it. */
static void test_plain_line(void **state)
{
        char path[] = "/tmp/test-log-XXXXXX", esc[LOG_ESCAPE_MAX];
        _cleanup_free_ char *text = NULL;
        int fd, saved;
        size_t n = 0;

        fd = mkstemp(path);
        assert_true(fd >= 0);
        saved = dup(STDERR_FILENO);
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        log_open(LOG_TARGET_STDERR);
        log_info("customer %s",
                 log_escape("Evil\napprovald: info: ORD-9: approve", esc, sizeof(esc)));
        log_info("raw %s", "a\nb"); /* unescaped by mistake: still one line */
        assert_int_equal(log_error_errno(-ENOENT, "open x"), -ENOENT);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        assert_int_equal(read_file_capped(path, 4096, &text, &n), 0);
        unlink(path);
        assert_string_equal(text,
                            "approvald: info: customer Evil\\napprovald: info: ORD-9: approve\n"
                            "approvald: info: raw a b\n"
                            "approvald: error: open x: No such file or directory\n");
}

static void test_journal_stream_mismatch(void **state)
{
        /* JOURNAL_STREAM naming another file: stderr is not the journal */
        setenv("JOURNAL_STREAM", "1:1", 1);
        log_open(LOG_TARGET_AUTO);
        assert_int_not_equal(log_get_target(), LOG_TARGET_JOURNAL);
        unsetenv("JOURNAL_STREAM");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_escape_cut),
                cmocka_unit_test(test_utf8_truncate),
                cmocka_unit_test(test_plain_line),
                cmocka_unit_test(test_journal_stream_mismatch),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
