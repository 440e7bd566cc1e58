/* test-idmap.c: the id map: put, get, set, remove, clear and the walk,
 * across growth and across key chunks (keys longer than a chunk too). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "idmap.h"

#define N 50000

static void *val(size_t i)
{
        return (void *)(uintptr_t)(2 * i + 1);
}

static void test_many(void **state)
{
        struct idmap *m = NULL;
        char key[32];
        size_t i = 0, n = 0;
        const char *k;
        void *v;

        assert_int_equal(idmap_new(&m, NULL), 0);
        for (size_t j = 0; j < N; j++) {
                snprintf(key, sizeof(key), "ORD-%06zu", j);
                assert_int_equal(idmap_put(m, key, val(j)), 0);
        }
        assert_int_equal(idmap_put(m, "ORD-000007", val(1)), -EEXIST);
        assert_int_equal(idmap_size(m), N);
        for (size_t j = 0; j < N; j++) {
                snprintf(key, sizeof(key), "ORD-%06zu", j);
                assert_ptr_equal(idmap_get(m, key), val(j));
        }
        assert_true(idmap_remove(m, "ORD-000010"));
        assert_false(idmap_remove(m, "ORD-000010"));
        assert_null(idmap_get(m, "ORD-000010"));
        assert_int_equal(idmap_set(m, "ORD-000011", val(7)), 0);
        assert_ptr_equal(idmap_get(m, "ORD-000011"), val(7));
        assert_int_equal(idmap_set(m, "NEW", val(8)), 0);
        while (idmap_next(m, &i, &k, &v)) {
                assert_non_null(k);
                assert_ptr_equal(idmap_get(m, k), v);
                n++;
        }
        assert_int_equal(n, N); /* one removed, one added */
        idmap_clear(m);
        assert_int_equal(idmap_size(m), 0);
        assert_null(idmap_get(m, "ORD-000001"));
        assert_int_equal(idmap_put(m, "ORD-000001", val(3)), 0); /* usable after a clear */
        assert_ptr_equal(idmap_get(m, "ORD-000001"), val(3));
        idmap_free(m);
}

static void test_long_keys(void **state)
{
        struct idmap *m = NULL;
        size_t len = 100 * 1024; /* longer than a chunk */
        char *a = malloc(len + 1), *b = malloc(len + 1);

        assert_non_null(a);
        assert_non_null(b);
        memset(a, 'a', len), a[len] = '\0';
        memset(b, 'a', len), b[len] = '\0', b[len - 1] = 'b';
        assert_int_equal(idmap_new(&m, NULL), 0);
        assert_int_equal(idmap_put(m, "short", val(1)), 0);
        assert_int_equal(idmap_put(m, a, val(2)), 0);
        assert_int_equal(idmap_put(m, b, val(3)), 0);
        assert_int_equal(idmap_put(m, "after", val(4)), 0);
        assert_ptr_equal(idmap_get(m, a), val(2));
        assert_ptr_equal(idmap_get(m, b), val(3));
        assert_ptr_equal(idmap_get(m, "short"), val(1));
        assert_ptr_equal(idmap_get(m, "after"), val(4));
        idmap_free(m);
        free(a);
        free(b);
}

static int freed;
static void count_free(void *p)
{
        freed++;
}

static void test_values_freed(void **state)
{
        struct idmap *m = NULL;

        freed = 0;
        assert_int_equal(idmap_new(&m, count_free), 0);
        assert_int_equal(idmap_put(m, "a", val(1)), 0);
        assert_int_equal(idmap_put(m, "b", val(2)), 0);
        assert_int_equal(idmap_set(m, "a", val(3)), 0); /* the old value freed */
        assert_int_equal(freed, 1);
        assert_true(idmap_remove(m, "b"));
        assert_int_equal(freed, 2);
        idmap_free(m);
        assert_int_equal(freed, 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_long_keys),
                cmocka_unit_test(test_values_freed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
