/* test-history.c: approvals per customer, windows and pruning. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
                { "A", "EUR", 99, 200, 2, 3000 }, /* to is inclusive */
                { "A", "EUR", 99, 199, 1, 1000 },
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

static void test_errors(void **state)
{
        struct history *h;

        assert_int_equal(history_new(&h), 0);
        assert_int_equal(history_add(h, NULL, 1, 1, "EUR"), -EINVAL);
        assert_int_equal(history_add(h, "A", 1, 1, NULL), -EINVAL);
        assert_int_equal(history_add(h, "A", 1, 1, "EURODOLLAR"), -EINVAL);
        assert_false(history_known(h, "A"));
        history_free(h);
        history_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_windows), cmocka_unit_test(test_prune),
                cmocka_unit_test(test_growth),  cmocka_unit_test(test_many_customers),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
