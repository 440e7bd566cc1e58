/* test-matcher.c: the string conditions' lookups (exact, case-folded,
 * globs, @list references), credit limits and the hash set under them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "config.h"
#include "matcher.h"
#include "strset.h"
#include "util.h"

static void test_values_match(void **state)
{
        static const struct {
                enum cond_kind kind;
                const char *entries[4];
                const char *s;
                bool want;
        } cases[] = {
                { COND_CUSTOMER, { "CUS-1", "CUS-2" }, "CUS-1", true },
                { COND_CUSTOMER, { "CUS-1", "CUS-2" }, "cus-1", false },
                { COND_CUSTOMER, { "CUS-1", "CUS-2" }, "CUS-3", false },
                { COND_CUSTOMER, { "CUS-*" }, "CUS-1", false }, /* ids are never globs */
                { COND_CUSTOMER, { "CUS-1" }, "CUS-1 ", false },
                { COND_CUSTOMER, { "CUS-1" }, NULL, false },
                { COND_COUNTRY, { "KP", "ir" }, "kp", true },
                { COND_COUNTRY, { "KP", "ir" }, "IR", true },
                { COND_COUNTRY, { "KP", "ir" }, "DE", false },
                { COND_COUNTRY, { "K?" }, "KP", false },
                { COND_CURRENCY, { "EUR" }, "eur", true },
                { COND_CURRENCY, { "EUR" }, "EURO", false },
                { COND_CUSTOMER_NAME, { "*GmbH" }, "Acme gmbh", true },
                { COND_CUSTOMER_NAME, { "*GmbH" }, "GmbH Acme", false },
                { COND_CUSTOMER_NAME, { "Acme Corp" }, "ACME CORP", true },
                { COND_CUSTOMER_NAME, { "Acme?Corp" }, "acme-corp", true },
                { COND_CUSTOMER_NAME, { "[ab]*" }, "Beta", true },
                { COND_CUSTOMER_NAME, { "[ab]*" }, "Gamma", false },
                { COND_CUSTOMER_NAME, { "a\\*" }, "A*", true },
                { COND_CUSTOMER_NAME, { "a\\*" }, "Ab", false },
                { COND_PRODUCT, { "Windows*", "OFFER-1" }, "windows server 2025", true },
                { COND_PRODUCT, { "Windows*", "OFFER-1" }, "offer-1", true },
                { COND_PRODUCT, { "Windows*", "OFFER-1" }, "Office", false },
                { COND_PRODUCT, { "*/365" }, "Microsoft/365", true }, /* '*' crosses '/' */
                { COND_PRODUCT, { "*" }, "", true },
                { COND_PRODUCT, { "*" }, NULL, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct values v = { .entries = (char **)cases[i].entries };

                while (v.n_entries < 4 && cases[i].entries[v.n_entries])
                        v.n_entries++;
                assert_int_equal(values_index_build(&v, cases[i].kind), 0);
                if (values_match(&v, cases[i].s) != cases[i].want)
                        fail_msg("case %zu: '%s' against '%s'", i, cases[i].s ?: "(null)",
                                 cases[i].entries[0]);
                values_index_free(&v);
                assert_null(v.index);
                /* Without an index: exact comparison still answers. */
                if (cases[i].kind == COND_CUSTOMER)
                        assert_int_equal(values_match(&v, cases[i].s), cases[i].want);
        }
        assert_false(values_match(NULL, "x"));
}

static void test_list_reference(void **state)
{
        char *entries[] = { "kp", "IR" };
        struct list l = { .name = "embargoed", .entries = entries, .n_entries = 2 };
        struct values v = { .list = &l };

        assert_int_equal(values_index_build(&v, COND_COUNTRY), 0);
        assert_true(values_match(&v, "KP"));
        assert_true(values_match(&v, "ir"));
        assert_false(values_match(&v, "SY"));
        /* Rebuilding replaces the index (no leak under valgrind). */
        assert_int_equal(values_index_build(&v, COND_CUSTOMER), 0);
        assert_false(values_match(&v, "KP"));
        assert_true(values_match(&v, "kp"));
        values_index_free(&v);
        values_index_free(&v);
}

static void test_big_list(void **state)
{
        enum { N = 10000, LOOKUPS = 1000000 };
        char **entries = calloc(N, sizeof(char *));
        struct list l = { .name = "blocked", .entries = entries, .n_entries = N };
        struct values v = { .list = &l };
        uint64_t start, elapsed;
        size_t hits = 0;
        char buf[32];

        assert_non_null(entries);
        for (size_t i = 0; i < N; i++)
                assert_true(asprintf(&entries[i], "CUS-%06zu", i * 2) > 0);
        assert_int_equal(values_index_build(&v, COND_CUSTOMER), 0);
        start = now_monotonic_us();
        for (size_t i = 0; i < LOOKUPS; i++) {
                snprintf(buf, sizeof(buf), "CUS-%06zu", i % (2 * N));
                hits += values_match(&v, buf);
        }
        elapsed = now_monotonic_us() - start;
        assert_int_equal(hits, LOOKUPS / 2);
        printf("# %d lookups in a %d-entry list: %.1f ms (%.0f ns each, snprintf included)\n",
               LOOKUPS, N, elapsed / 1000.0, elapsed * 1000.0 / LOOKUPS);
        values_index_free(&v);
        for (size_t i = 0; i < N; i++)
                free(entries[i]);
        free(entries);
}

static void test_credit_limit_for(void **state)
{
        struct limit dflt[] = { { "EUR", 1000000 }, { "USD", 1200000 } };
        struct limit own[] = { { "EUR", 5000000 } };
        struct customer_limits customers[] = {
                { "CUS-42", { own, 1 } },
                { "CUS-43", { NULL, 0 } },
        };
        struct credit c = {
                .window_s = 86400, .dflt = { dflt, 2 }, .customers = customers, .n_customers = 2
        };
        static const struct {
                const char *customer, *currency;
                bool found;
                int64_t amount;
        } cases[] = {
                { "CUS-1", "EUR", true, 1000000 }, { "CUS-1", "usd", true, 1200000 },
                { "CUS-1", "GBP", false, 0 },      { "CUS-42", "EUR", true, 5000000 },
                { "CUS-42", "USD", false, 0 }, /* own limits replace the default */
                { "CUS-43", "EUR", false, 0 },     { "cus-42", "EUR", true, 1000000 },
                { NULL, "EUR", true, 1000000 },    { "CUS-1", NULL, false, 0 },
        };

        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1)
                        assert_int_equal(credit_index_build(&c), 0);
                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        int64_t amount = -1;
                        bool found =
                                credit_limit_for(&c, cases[i].customer, cases[i].currency, &amount);

                        if (found != cases[i].found)
                                fail_msg("pass %d case %zu: found %d", pass, i, found);
                        if (found)
                                assert_int_equal(amount, cases[i].amount);
                        else
                                assert_int_equal(amount, -1);
                }
        }
        credit_index_free(&c);
        credit_index_free(&c);
        assert_false(credit_limit_for(NULL, "CUS-1", "EUR", &(int64_t){ 0 }));
}

static void test_strset(void **state)
{
        struct strset exact, folded;
        char keys[200][16];
        void *value;

        strset_init(&exact, false);
        strset_init(&folded, true);
        assert_false(strset_get(&exact, "a", NULL));
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                snprintf(keys[i], sizeof(keys[i]), "Key-%zu", i);
                assert_int_equal(strset_put(&exact, keys[i], keys[i]), 0);
                assert_int_equal(strset_put(&folded, keys[i], NULL), 0);
        }
        assert_int_equal(strset_put(&exact, "Key-7", NULL), 0); /* first value stays */
        assert_int_equal(exact.n_keys, ELEMENTSOF(keys));
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char lower[16];

                assert_true(strset_get(&exact, keys[i], &value));
                assert_ptr_equal(value, keys[i]);
                snprintf(lower, sizeof(lower), "key-%zu", i);
                assert_false(strset_get(&exact, lower, NULL));
                assert_true(strset_get(&folded, lower, NULL));
        }
        assert_false(strset_get(&exact, "Key-200", NULL));
        assert_false(strset_get(&exact, NULL, NULL));
        strset_done(&exact);
        strset_done(&folded);
        assert_false(strset_get(&exact, "Key-1", NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values_match), cmocka_unit_test(test_list_reference),
                cmocka_unit_test(test_big_list),     cmocka_unit_test(test_credit_limit_for),
                cmocka_unit_test(test_strset),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
