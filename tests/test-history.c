/* test-history.c: approvals per customer, windows and pruning. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "history.h"
#include "util.h"

static void test_windows(void **state)
{
        struct history *h;
        static const struct {
                const char *cust;
                const char *cur;
                int64_t from, to;
                int64_t count, exposure;
        } cases[] = {
                /* approvals: A at 100 (10 EUR), 200 (20 EUR), 300 (5 USD) */
                { "A", "EUR", 0, 1000, 3, 3000 },
                { "A", "USD", 0, 1000, 3, 500 },
                { "A", "EUR", 100, 1000, 2, 2000 }, /* from is exclusive */
                { "A", "EUR", 99, 200, 3, 3000 },
                { "A", "EUR", 99, 199, 3, 3000 }, /* stamped after now: still counts */
                { "A", "EUR", 199, 1000, 2, 2000 },
                { "A", "eur", 0, 1000, 3, 3000 }, /* currency codes ignore case */
                { "A", "SEK", 0, 1000, 3, 0 },
                { "A", "EUR", 300, 1000, 0, 0 },
                { "B", "EUR", 0, 1000, 0, 0 },
        };

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, "A", 100, 1000, "EUR"), 0);
        assert_int_equal(history_add(h, "A", 200, 2000, "EUR"), 0);
        assert_int_equal(history_add(h, "A", 300, 500, "USD"), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                print_message("case %zu\n", i);
                assert_int_equal(history_count(h, cases[i].cust, cases[i].from, cases[i].to),
                                 cases[i].count);
                assert_int_equal(history_exposure(h, cases[i].cust, cases[i].cur, cases[i].from,
                                                  cases[i].to),
                                 cases[i].exposure);
        }
        assert_true(history_known(h, "A"));
        assert_false(history_known(h, "B"));
        assert_false(history_known(h, "a")); /* ids are exact */
        assert_false(history_known(h, NULL));
        history_free(h);
}

static void test_prune(void **state)
{
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, "A", 100, 1000, "EUR"), 0);
        assert_int_equal(history_add(h, "A", 200, 2000, "EUR"), 0);
        history_prune(h, 100);
        assert_int_equal(history_count(h, "A", 0, 1000), 1);
        assert_int_equal(history_exposure(h, "A", "EUR", 0, 1000), 2000);
        history_prune(h, 1000);
        assert_int_equal(history_count(h, "A", 0, 1000), 0);
        assert_true(history_known(h, "A")); /* known forever */
        assert_int_equal(history_add(h, "A", 1100, 1, "EUR"), 0);
        assert_int_equal(history_count(h, "A", 0, 2000), 1);
        history_free(h);
}

/* Many approvals of one customer: past the ones kept inside its entry, and
 * back after pruning. */
static void test_growth(void **state)
{
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        for (int i = 1; i <= 100; i++) {
                assert_int_equal(history_add(h, "A", i, 100, i % 2 ? "EUR" : "USD"), 0);
                assert_int_equal(history_count(h, "A", 0, 1000), i);
        }
        assert_int_equal(history_exposure(h, "A", "EUR", 0, 1000), 5000);
        assert_int_equal(history_exposure(h, "A", "USD", 90, 100), 500);
        history_prune(h, 99);
        assert_int_equal(history_count(h, "A", 0, 1000), 1);
        assert_int_equal(history_exposure(h, "A", "USD", 0, 1000), 100);
        for (int i = 101; i <= 105; i++)
                assert_int_equal(history_add(h, "A", i, 1, "EUR"), 0);
        assert_int_equal(history_count(h, "A", 0, 1000), 6);
        assert_int_equal(history_exposure(h, "A", "EUR", 0, 1000), 5);
        history_prune(h, 104);
        assert_int_equal(history_count(h, "A", 0, 1000), 1);
        history_free(h);
}

static void test_many_customers(void **state)
{
        struct history *h;
        char id[32];

        assert_int_equal(history_new(&h), 0);
        for (int i = 0; i < 5000; i++) {
                snprintf(id, sizeof(id), "CUS-%d", i);
                assert_int_equal(history_add(h, id, i, i, "EUR"), 0);
                assert_int_equal(history_add(h, id, i + 1, 1, "EUR"), 0);
        }
        for (int i = 0; i < 5000; i++) {
                snprintf(id, sizeof(id), "CUS-%d", i);
                assert_true(history_known(h, id));
                assert_int_equal(history_exposure(h, id, "EUR", -1, 10000), i + 1);
        }
        assert_false(history_known(h, "CUS-5000"));
        history_free(h);
}

/* The clock was an hour ahead when A was approved, then set right (issue
 * 14, item 3): A still counts against B, until its window has passed by
 * the wall clock; pruning keeps it as long. */
static void test_clock_step(void **state)
{
        const int64_t hour = 3600, window = 30 * 86400, now = 1700000000;
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, "C", now + hour, 90000, "EUR"), 0);
        assert_int_equal(history_exposure(h, "C", "EUR", now - window, now), 90000);
        assert_int_equal(history_count(h, "C", now - window, now), 1);
        history_prune(h, now - window);
        assert_int_equal(history_exposure(h, "C", "EUR", now - window, now), 90000);
        /* just before and after its window ends, as the wall clock reads */
        assert_int_equal(history_count(h, "C", now + hour - 1, now + hour + window - 1), 1);
        assert_int_equal(history_count(h, "C", now + hour, now + hour + window), 0);
        history_prune(h, now + hour);
        assert_int_equal(history_exposure(h, "C", "EUR", 0, 0), 0);
        assert_true(history_known(h, "C"));
        history_free(h);
}

/* Any currency string the journal can store is recorded: an approval never
 * fails for its currency code, and codes still match whatever their case. */
static void test_currencies(void **state)
{
        char code[1025], id[32];
        struct history *h;

        memset(code, 'X', sizeof(code) - 1);
        code[sizeof(code) - 1] = '\0';
        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, "A", 1, 1, "EURODOLLAR"), 0);
        assert_int_equal(history_add(h, "A", 2, 2, code), 0);
        assert_int_equal(history_add(h, "A", 3, 4, ""), 0);
        assert_int_equal(history_add(h, "A", 4, 8, "eurodollar"), 0);
        assert_int_equal(history_exposure(h, "A", "EuroDollar", 0, 10), 9);
        assert_int_equal(history_exposure(h, "A", code, 0, 10), 2);
        assert_int_equal(history_exposure(h, "A", "", 0, 10), 4);
        assert_int_equal(history_exposure(h, "A", "EUR", 0, 10), 0);
        assert_int_equal(history_exposure(h, "A", NULL, 0, 10), 0);
        /* many distinct codes: the table grows */
        for (int i = 0; i < 1000; i++) {
                snprintf(id, sizeof(id), "CUR%d", i);
                assert_int_equal(history_add(h, "B", 5, i, id), 0);
        }
        for (int i = 0; i < 1000; i += 37) {
                snprintf(id, sizeof(id), "cur%d", i);
                assert_int_equal(history_exposure(h, "B", id, 0, 10), i);
        }
        assert_int_equal(history_count(h, "B", 0, 10), 1000);
        history_free(h);
}

static void test_absent(void **state)
{
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        assert_false(history_known(h, "A"));
        assert_false(history_known(h, NULL)); /* an order without a customer */
        assert_int_equal(history_count(h, NULL, 0, 10), 0);
        assert_int_equal(history_exposure(h, NULL, "EUR", 0, 10), 0);
        history_free(h);
        history_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_windows),    cmocka_unit_test(test_prune),
                cmocka_unit_test(test_growth),     cmocka_unit_test(test_many_customers),
                cmocka_unit_test(test_clock_step), cmocka_unit_test(test_currencies),
                cmocka_unit_test(test_absent),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
