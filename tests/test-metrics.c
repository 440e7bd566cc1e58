/* test-metrics.c: the metrics module: counters and their exact lines, label
 * escaping of seller text, the bounds on rules and HTTP statuses, the
 * gauges before and after the first cycle, and the atomic file write.
 * `test-metrics --sample PATH` writes a file exercising all of that, for
 * tests/metrics-format.sh to check with tests/promtext.py (and promtool
 * when installed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"
#include "util.h"

/* The whole text of m; the caller frees it. */
static char *text_of(const struct metrics *m)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(metrics_print(m, f), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

/* How many lines of text are exactly line. */
static int count_line(const char *text, const char *line)
{
        size_t n = strlen(line);
        int k = 0;

        for (const char *p = text; (p = strstr(p, line)); p += n)
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        k++;
        return k;
}

static void assert_line(const char *text, const char *line)
{
        if (count_line(text, line) != 1)
                fail_msg("want exactly one line '%s' in:\n%s", line, text);
}

static int count_prefix(const char *text, const char *prefix)
{
        int k = 0;

        for (const char *p = text; (p = strstr(p, prefix)); p++)
                if (p == text || p[-1] == '\n')
                        k++;
        return k;
}

static void test_new_free(void **state)
{
        struct metrics *m = NULL;
        char *t;

        metrics_free(NULL);
        assert_int_equal(metrics_new(&m), 0);
        t = text_of(m);
        /* the default's six series are there from the start, at zero */
        assert_line(t, "# TYPE approvald_decisions_total counter");
        assert_line(t, "approvald_decisions_total{rule=\"(default)\",decision=\"approve\","
                       "mode=\"enforce\"} 0");
        assert_int_equal(count_prefix(t, "approvald_decisions_total{"), 6);
        assert_line(t, "approvald_cycles_total 0");
        assert_line(t, "approvald_last_successful_poll_timestamp_seconds 0");
        /* nothing is known of a cycle, nor of calls, before the first */
        assert_null(strstr(t, "approvald_calls_total"));
        assert_null(strstr(t, "approvald_cycle_duration_seconds"));
        assert_null(strstr(t, "approvald_holds_waiting"));
        assert_null(strstr(t, "approvald_journal_bytes"));
        free(t);
        metrics_free(m);
}

static void test_decisions(void **state)
{
        struct metrics *m = NULL;
        char *t;

        assert_int_equal(metrics_new(&m), 0);
        metrics_count_decision(m, "credit limit", ACTION_REJECT, false);
        metrics_count_decision(m, "credit limit", ACTION_REJECT, false);
        metrics_count_decision(m, "credit limit", ACTION_REJECT, true);
        metrics_count_decision(m, NULL, ACTION_APPROVE, false);
        metrics_count_decision(m, "big", ACTION_HOLD, true);
        t = text_of(m);
        assert_line(t, "approvald_decisions_total{rule=\"credit limit\",decision=\"reject\","
                       "mode=\"enforce\"} 2");
        assert_line(t, "approvald_decisions_total{rule=\"credit limit\",decision=\"reject\","
                       "mode=\"dry-run\"} 1");
        assert_line(t, "approvald_decisions_total{rule=\"credit limit\",decision=\"approve\","
                       "mode=\"enforce\"} 0");
        assert_line(t, "approvald_decisions_total{rule=\"(default)\",decision=\"approve\","
                       "mode=\"enforce\"} 1");
        assert_line(t, "approvald_decisions_total{rule=\"big\",decision=\"hold\","
                       "mode=\"dry-run\"} 1");
        assert_int_equal(count_prefix(t, "approvald_decisions_total{"), 18);
        assert_null(strstr(t, "rule=\"(other)\""));
        free(t);
        metrics_free(m);
}

static void test_escaping(void **state)
{
        struct metrics *m = NULL;
        char *t;

        assert_int_equal(metrics_new(&m), 0);
        metrics_count_decision(m, "say \"hi\"\\\nnext line", ACTION_APPROVE, false);
        metrics_count_decision(m, "bad \xff byte, caf\xc3\xa9", ACTION_APPROVE, false);
        metrics_count_decision(m, "", ACTION_APPROVE, false);
        t = text_of(m);
        assert_line(t, "approvald_decisions_total{rule=\"say \\\"hi\\\"\\\\\\nnext line\","
                       "decision=\"approve\",mode=\"enforce\"} 1");
        assert_line(t, "approvald_decisions_total{rule=\"bad \xef\xbf\xbd byte, caf\xc3\xa9\","
                       "decision=\"approve\",mode=\"enforce\"} 1");
        assert_line(t, "approvald_decisions_total{rule=\"\",decision=\"approve\","
                       "mode=\"enforce\"} 1");
        free(t);
        metrics_free(m);
}

static void test_rules_bounded(void **state)
{
        struct metrics *m = NULL;
        char name[32], *t;

        assert_int_equal(metrics_new(&m), 0);
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < METRICS_RULES_MAX + 10; i++) {
                        snprintf(name, sizeof(name), "rule %d", i);
                        metrics_count_decision(m, name, ACTION_APPROVE, false);
                }
        t = text_of(m);
        /* the default, METRICS_RULES_MAX names, and (other): six series each */
        assert_int_equal(count_prefix(t, "approvald_decisions_total{"),
                         6 * (METRICS_RULES_MAX + 2));
        assert_line(t, "approvald_decisions_total{rule=\"rule 0\",decision=\"approve\","
                       "mode=\"enforce\"} 2");
        snprintf(name, sizeof(name), "rule %d", METRICS_RULES_MAX - 1);
        assert_non_null(strstr(t, name));
        assert_line(t, "approvald_decisions_total{rule=\"(other)\",decision=\"approve\","
                       "mode=\"enforce\"} 20");
        free(t);
        metrics_free(m);
}

static void test_calls(void **state)
{
        struct metrics *m = NULL;
        char *t;

        assert_int_equal(metrics_new(&m), 0);
        metrics_count_call(m, 200);
        metrics_count_call(m, 200);
        metrics_count_call(m, 0);
        metrics_count_call(m, 409);
        metrics_count_call(m, 700); /* not an HTTP status */
        metrics_count_call(m, -1);
        for (int s = 100; s < 100 + METRICS_STATUSES_MAX + 5; s++)
                metrics_count_call(m, s);
        t = text_of(m);
        assert_line(t, "# TYPE approvald_calls_total counter");
        assert_line(t, "approvald_calls_total{status=\"200\"} 2");
        assert_line(t, "approvald_calls_total{status=\"none\"} 1");
        assert_line(t, "approvald_calls_total{status=\"409\"} 1");
        assert_line(t, "approvald_calls_total{status=\"100\"} 1");
        /* 700, -1, and the statuses past the cap (two of them, 200 and 409, are known) */
        assert_line(t, "approvald_calls_total{status=\"other\"} 9");
        assert_int_equal(count_prefix(t, "approvald_calls_total{"), METRICS_STATUSES_MAX + 2);
        free(t);
        metrics_free(m);
}

/* The notification totals appear once a notify section was configured,
 * with the outcomes as given. */
static void test_notifications(void **state)
{
        struct metrics *m = NULL;
        char *t;

        assert_int_equal(metrics_new(&m), 0);
        t = text_of(m);
        assert_null(strstr(t, "approvald_notifications_total"));
        free(t);
        metrics_notifications(m, 12, 3, 7);
        t = text_of(m);
        assert_line(t, "# TYPE approvald_notifications_total counter");
        assert_line(t, "approvald_notifications_total{outcome=\"sent\"} 12");
        assert_line(t, "approvald_notifications_total{outcome=\"failed\"} 3");
        assert_line(t, "approvald_notifications_total{outcome=\"dropped\"} 7");
        free(t);
        metrics_free(m);
}

static void test_cycles(void **state)
{
        struct metrics *m = NULL;
        char *t;

        assert_int_equal(metrics_new(&m), 0);
        metrics_cycle_done(m, 1234567, true, 1767225600, 3, 4096);
        metrics_cycle_done(m, 5, false, 1767225700, 2, 8192);
        t = text_of(m);
        assert_line(t, "approvald_cycles_total 2");
        assert_line(t, "approvald_cycle_duration_seconds 0.000005");
        /* the failed listing leaves the last success as it was */
        assert_line(t, "approvald_last_successful_poll_timestamp_seconds 1767225600");
        assert_line(t, "approvald_holds_waiting 2");
        assert_line(t, "approvald_journal_bytes 8192");
        assert_line(t, "# TYPE approvald_cycle_duration_seconds gauge");
        free(t);
        metrics_cycle_done(m, 61000000, true, 1767225800, 0, 0);
        t = text_of(m);
        assert_line(t, "approvald_cycle_duration_seconds 61.000000");
        assert_line(t, "approvald_last_successful_poll_timestamp_seconds 1767225800");
        free(t);
        metrics_free(m);
}

/* Metrics with every kind of line, for the format checks. */
static struct metrics *sample(void)
{
        struct metrics *m = NULL;
        char name[32];

        assert_int_equal(metrics_new(&m), 0);
        metrics_count_decision(m, NULL, ACTION_APPROVE, false);
        metrics_count_decision(m, "Not served: \"NO\"/\"DK\" \xe2\x80\x94 \xc3\xbcn\\\nnewline",
                               ACTION_REJECT, false);
        metrics_count_decision(m, "bad \xff\xfe byte", ACTION_HOLD, true);
        for (int i = 0; i < METRICS_RULES_MAX + 3; i++) {
                snprintf(name, sizeof(name), "r%d", i);
                metrics_count_decision(m, name, ACTION_APPROVE, i % 2);
        }
        for (int s = 0; s < 700; s += 7)
                metrics_count_call(m, s);
        metrics_cycle_done(m, 2500000, true, 1767225600, 12, 123456);
        return m;
}

static char *read_all(const char *path)
{
        char *text = NULL;

        assert_int_equal(read_file_capped(path, 1 << 20, &text, NULL), 0);
        return text;
}

static void test_write(void **state)
{
        char dir[] = "/tmp/test-metrics.XXXXXX", path[256], tmp[300], link[300];
        struct metrics *m = sample();
        char *want = text_of(m), *got;
        struct stat st;
        mode_t old;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/approvald.prom", dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        old = umask(077);
        assert_int_equal(metrics_write(m, path), 0);
        umask(old);
        got = read_all(path);
        assert_string_equal(got, want);
        free(got);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644); /* whatever the umask */
        assert_int_equal(access(tmp, F_OK), -1);

        /* a second write replaces the file */
        metrics_cycle_done(m, 1, true, 1767225601, 0, 0);
        assert_int_equal(metrics_write(m, path), 0);
        got = read_all(path);
        assert_non_null(strstr(got, "\napprovald_cycles_total 2\n"));
        free(got);

        /* a symbolic link planted as PATH.tmp is not followed */
        snprintf(link, sizeof(link), "%s/target", dir);
        assert_int_equal(symlink(link, tmp), 0);
        metrics_cycle_done(m, 1, true, 1767225602, 0, 0);
        assert_int_equal(metrics_write(m, path), -ELOOP);
        assert_int_equal(access(link, F_OK), -1);
        got = read_all(path); /* the file is as before */
        assert_non_null(strstr(got, "\napprovald_cycles_total 2\n"));
        free(got);
        assert_int_equal(unlink(tmp), 0);

        /* a missing folder */
        snprintf(path, sizeof(path), "%s/missing/approvald.prom", dir);
        assert_int_equal(metrics_write(m, path), -ENOENT);

        snprintf(path, sizeof(path), "%s/approvald.prom", dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
        free(want);
        metrics_free(m);
}

/* test-metrics --sample PATH: writes sample() to PATH and exits. */
static int write_sample(const char *path)
{
        struct metrics *m = sample();
        int r = metrics_write(m, path);

        metrics_free(m);
        if (r < 0)
                fprintf(stderr, "test-metrics: %s: %s\n", path, strerror(-r));
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_free),      cmocka_unit_test(test_decisions),
                cmocka_unit_test(test_escaping),      cmocka_unit_test(test_rules_bounded),
                cmocka_unit_test(test_calls),         cmocka_unit_test(test_cycles),
                cmocka_unit_test(test_notifications), cmocka_unit_test(test_write),
        };

        if (argc == 3 && streq(argv[1], "--sample"))
                return write_sample(argv[2]);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
