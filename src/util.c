/* util.c: shared checked helpers (see util.h for the contracts). */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

int safe_atoi64(const char *s, int64_t *ret)
{
        char *end = NULL;
        long long v;

        /* strtoll() would skip any leading isspace() and a '+'; refuse them. */
        if (!s || *s == '\0' || isspace((unsigned char)*s) || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        *ret = (int64_t)v;
        return 0;
}

int safe_atoi64_range(const char *s, int64_t min, int64_t max, int64_t *ret)
{
        int64_t v;
        int r;

        r = safe_atoi64(s, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int read_stream_capped(FILE *f, size_t max_size, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0, k;

        for (;;) {
                if (alloc - size < 4096) {
                        size_t n = alloc ? alloc * 2 : 16384;
                        char *p;

                        if (n > max_size + 1)
                                n = max_size + 1;
                        if (n <= size)
                                return -EFBIG;
                        p = realloc(buf, n + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc = n;
                }
                errno = 0;
                k = fread(buf + size, 1, alloc - size, f);
                size += k;
                if (size > max_size)
                        return -EFBIG;
                if (k == 0) {
                        /* read()'s errno (EISDIR for a folder) says more than EIO. */
                        if (ferror(f))
                                return errno > 0 ? -errno : -EIO;
                        break;
                }
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        if (ret_size)
                *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_file_capped(const char *path, size_t max_size, char **ret, size_t *ret_size)
{
        _cleanup_fclose_ FILE *f = NULL;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        return read_stream_capped(f, max_size, ret, ret_size);
}

char *strdup_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

int64_t now_realtime_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec;
}

uint64_t now_monotonic_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
