/* test-arena.c: the bump allocator: alignment, the block and its
 * fallback, release, reset, and cJSON allocating through it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "arena.h"

static bool in_range(const void *p, const void *lo, size_t size)
{
        return (uintptr_t)p >= (uintptr_t)lo && (uintptr_t)p < (uintptr_t)lo + size;
}

static void test_block_then_fallback(void **state)
{
        struct arena *a = NULL;
        unsigned char *p1, *p2, *p3, *big;

        assert_int_equal(arena_new(256, &a), 0);
        p1 = arena_alloc(a, 1);
        p2 = arena_alloc(a, 17);
        assert_non_null(p1);
        assert_non_null(p2);
        assert_int_equal((uintptr_t)p1 % 16, 0);
        assert_int_equal((uintptr_t)p2 % 16, 0);
        assert_ptr_equal(p2, p1 + 16); /* 1 byte rounds up to 16 */
        assert_true(arena_holds_all(a));
        p3 = arena_alloc(a, 256 - 48); /* exactly the rest */
        assert_ptr_equal(p3, p2 + 32);
        assert_true(arena_holds_all(a));
        memset(p3, 0xaa, 256 - 48);
        big = arena_alloc(a, 1); /* full: malloc() */
        assert_non_null(big);
        assert_false(in_range(big, p1, 256));
        assert_false(arena_holds_all(a));
        arena_release(a, big); /* freed: leak checkers would see it otherwise */
        arena_release(a, p2); /* inside: nothing */
        arena_release(a, NULL);
        arena_reset(a);
        assert_true(arena_holds_all(a));
        assert_ptr_equal(arena_alloc(a, 8), p1); /* the block is reused */
        arena_free(a);
        arena_free(NULL);
}

/* A size so large that rounding it up would wrap is refused: NULL, and no
 * wrap into the block. */
static void test_huge(void **state)
{
        struct arena *a = NULL;

        assert_int_equal(arena_new(64, &a), 0);
        assert_null(arena_alloc(a, SIZE_MAX - 3));
        assert_true(arena_holds_all(a));
        assert_non_null(arena_alloc(a, 64)); /* the block is untouched */
        assert_true(arena_holds_all(a));
        arena_reset(a);
        arena_free(a);
}

static void test_release_without_arena(void **state)
{
        void *p = malloc(10);

        assert_non_null(p);
        arena_release(NULL, p); /* free(): the leak checker would see it otherwise */
}

/* cJSON allocates from the arena while installed; a tree larger than the
 * block falls back, and deletes cleanly under the same hooks. */
static void test_cjson(void **state)
{
        struct arena *a = NULL;
        cJSON *small, *large;
        char text[4096];
        size_t n = 0;

        assert_int_equal(arena_new(1024, &a), 0);
        arena_cjson_install(a);
        small = cJSON_Parse("{\"a\":[1,2,3],\"b\":\"x\"}");
        assert_non_null(small);
        assert_true(arena_holds_all(a));
        cJSON_Delete(small);
        arena_reset(a);

        n += (size_t)snprintf(text + n, sizeof(text) - n, "[");
        for (int i = 0; i < 200; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s{\"k\":%d}", i ? "," : "", i);
        snprintf(text + n, sizeof(text) - n, "]");
        large = cJSON_Parse(text);
        assert_non_null(large);
        assert_false(arena_holds_all(a));
        assert_int_equal(cJSON_GetArraySize(large), 200);
        cJSON_Delete(large); /* frees the fallbacks: checked by ASan and valgrind */
        arena_reset(a);
        arena_cjson_uninstall();

        /* Back on malloc(): a tree outlives any arena. */
        small = cJSON_Parse("[1]");
        assert_non_null(small);
        arena_free(a);
        assert_int_equal(cJSON_GetArraySize(small), 1);
        cJSON_Delete(small);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_block_then_fallback),
                cmocka_unit_test(test_huge),
                cmocka_unit_test(test_release_without_arena),
                cmocka_unit_test(test_cjson),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
