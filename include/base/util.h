/* util.h: small helpers every module shares: scope-bound cleanup, checked
 * number parsing and bounded file reading.  Nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* The text of a macro's value: STRINGIFY(1024) is "1024". */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Returns the pointer held in *p and leaves NULL behind: ownership moves. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tmp_ = (p);                                                         \
                (p) = NULL;                                                                        \
                _tmp_;                                                                             \
        })

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

/* Declares NAME##p(type **) that calls NAME(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

static inline void freep(void *p)
{
        free(*(void **)p);
}

void fclosep(FILE **f);
void closep(int *fd);

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* FNV-1a over a NUL-terminated string, with ASCII letters folded to lower
 * case when fold_case: the one string hash of the project's hash tables.
 * Their keys are ids and codes from the seller or from AppXite, not input
 * an adversary can shape against a keyed hash. */
static inline uint64_t string_hash(const char *s, bool fold_case)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                unsigned char c = *p;

                if (fold_case && c >= 'A' && c <= 'Z')
                        c += 'a' - 'A';
                h = (h ^ c) * UINT64_C(1099511628211);
        }
        return h;
}

/* Parses a whole base-10 signed integer: no leading space, no trailing
 * characters, no overflow.  Returns 0, or -EINVAL / -ERANGE; *ret is
 * written only on success. */
int safe_atoi64(const char *s, int64_t *ret);

/* As safe_atoi64(), for a value that must lie in [min, max] (-ERANGE). */
int safe_atoi64_range(const char *s, int64_t min, int64_t max, int64_t *ret);

/* Reads at most max_size bytes of a file into a NUL-terminated buffer that
 * the caller frees.  Returns 0, -EFBIG when the file is larger, or -errno.
 * ret_size may be NULL. */
int read_file_capped(const char *path, size_t max_size, char **ret, size_t *ret_size);

/* Same for an open stream (stdin): reads to EOF. */
int read_stream_capped(FILE *f, size_t max_size, char **ret, size_t *ret_size);

/* strdup() that returns NULL for NULL. */
char *strdup_null(const char *s);

/* Wall clock in seconds / monotonic clock in microseconds. */
int64_t now_realtime_s(void);
uint64_t now_monotonic_us(void);
