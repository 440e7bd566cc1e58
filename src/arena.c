/* arena.c: the bump allocator of arena.h.  cJSON allocates each node and
 * string with malloc() and frees each one on cJSON_Delete(): for about 40
 * allocations per order that was a third of the time `evaluate` spent
 * (docs/performance.md), which this removes. */
#include "arena.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

struct arena {
        unsigned char *base;
        size_t size;
        size_t used;
        size_t n_fallback; /* allocations since the reset that went to malloc() */
};

/* The arena cJSON's hooks allocate from: cJSON's hooks take no context. */
static struct arena *installed;

int arena_new(size_t size, struct arena **ret)
{
        struct arena *a;

        assert(ret);
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->base = malloc(size);
        if (!a->base) {
                free(a);
                return -ENOMEM;
        }
        a->size = size;
        *ret = a;
        return 0;
}

void arena_free(struct arena *a)
{
        if (!a)
                return;
        assert(installed != a);
        free(a->base);
        free(a);
}

static bool inside(const struct arena *a, const void *p)
{
        uintptr_t u = (uintptr_t)p, b = (uintptr_t)a->base;

        return u >= b && u - b < a->size;
}

void *arena_alloc(struct arena *a, size_t size)
{
        size_t need = (size + 15) & ~(size_t)15;

        assert(a);
        if (need < size)
                return NULL; /* rounding wrapped: no allocator could give that */
        if (need <= a->size - a->used) {
                void *p = a->base + a->used;

                a->used += need;
                return p;
        }
        a->n_fallback++;
        return malloc(size);
}

void arena_release(struct arena *a, void *p)
{
        if (a && inside(a, p))
                return;
        free(p);
}

void arena_reset(struct arena *a)
{
        assert(a);
        a->used = 0;
        a->n_fallback = 0;
}

bool arena_holds_all(const struct arena *a)
{
        assert(a);
        return a->n_fallback == 0;
}

static void *hook_malloc(size_t size)
{
        return arena_alloc(installed, size);
}

static void hook_free(void *p)
{
        arena_release(installed, p);
}

void arena_cjson_install(struct arena *a)
{
        cJSON_Hooks hooks = { .malloc_fn = hook_malloc, .free_fn = hook_free };

        assert(a);
        assert(!installed);
        installed = a;
        cJSON_InitHooks(&hooks);
}

void arena_cjson_uninstall(void)
{
        cJSON_InitHooks(NULL);
        installed = NULL;
}
