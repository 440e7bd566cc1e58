/* fileio.c: the shared safe reader (see fileio.h).  A file is opened with
 * O_NONBLOCK so that a FIFO or a device cannot stall the open, checked with
 * fstat() on the descriptor (no race with a rename between check and use),
 * and read with a hard cap. */
#include "fileio.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define READ_CHUNK_MIN 4096

const char *fileio_kind(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "a regular file";
        case S_IFDIR:
                return "a directory";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFLNK:
                return "a symbolic link";
        default:
                return "an unknown file type";
        }
}

/* The refusal for a file of this mode: 0 for a regular file, else -EISDIR
 * or -ENODEV. */
static int refusal(mode_t mode)
{
        if (S_ISREG(mode))
                return 0;
        return S_ISDIR(mode) ? -EISDIR : -ENODEV;
}

/* open() itself fails on some non-files (ENXIO for a socket, EISDIR for a
 * folder opened for writing, ELOOP for a symlink under O_NOFOLLOW): look at
 * what is there to give the refusal its usual code and mode.  Returns the
 * error to report. */
static int open_failed(int dir_fd, const char *name, bool nofollow, int error, mode_t *ret_mode)
{
        struct stat st;

        if (error != ENXIO && error != ENODEV && error != ELOOP && error != EISDIR)
                return -error;
        if (fstatat(dir_fd, name, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0)
                return -error;
        if (error == ELOOP && nofollow && S_ISLNK(st.st_mode)) {
                if (ret_mode)
                        *ret_mode = st.st_mode;
                return -ELOOP;
        }
        if (error == ELOOP || S_ISREG(st.st_mode))
                return -error;
        if (ret_mode)
                *ret_mode = st.st_mode;
        return refusal(st.st_mode);
}

int fileio_openat_regular(int dir_fd, const char *name, int flags, mode_t *ret_mode)
{
        bool nofollow = flags & O_NOFOLLOW;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int fl, r;

        assert(name);
        assert(!(flags & O_CREAT));

        fd = openat(dir_fd, name, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return open_failed(dir_fd, name, nofollow, errno, ret_mode);
        if (fstat(fd, &st) < 0)
                return -errno;
        if (ret_mode)
                *ret_mode = st.st_mode;
        r = refusal(st.st_mode);
        if (r < 0)
                return r;
        if (!(flags & O_NONBLOCK)) {
                fl = fcntl(fd, F_GETFL);
                if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                        return -errno;
        }
        r = fd;
        fd = -1; /* ownership moves to the caller */
        return r;
}

int fileio_open_regular(const char *path, bool nofollow, mode_t *ret_mode)
{
        assert(path);

        return fileio_openat_regular(AT_FDCWD, path, O_RDONLY | (nofollow ? O_NOFOLLOW : 0),
                                     ret_mode);
}

/* Moves the first used bytes of *buf into a new buffer of cap + 1 bytes,
 * wiping the old one.  Returns 0 or -ENOMEM (the old buffer then stays). */
static int grow(char **buf, size_t used, size_t cap)
{
        char *p = malloc(cap + 1);

        if (!p)
                return -ENOMEM;
        if (*buf) {
                memcpy(p, *buf, used);
                explicit_bzero(*buf, used);
                free(*buf);
        }
        *buf = p;
        return 0;
}

static void wipe_free(char *buf, size_t used)
{
        if (!buf)
                return;
        explicit_bzero(buf, used);
        free(buf);
}

/* Reads fd to its end into a buffer of at most limit bytes (plus the NUL).
 * Returns 0, -EFBIG when limit bytes did not reach the end, or -errno. */
static int read_fd(int fd, size_t hint, size_t limit, char **ret, size_t *ret_size)
{
        size_t cap = hint < limit ? hint : limit, used = 0;
        char *buf = NULL;
        int r = grow(&buf, 0, cap);

        while (r >= 0) {
                ssize_t n;

                if (used == cap) {
                        if (cap == limit) {
                                r = -EFBIG;
                                break;
                        }
                        cap = cap > limit / 2 ? limit : cap * 2;
                        r = grow(&buf, used, cap);
                        continue;
                }
                n = read(fd, buf + used, cap - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = -errno;
                else if (n == 0)
                        break;
                else
                        used += (size_t)n;
        }
        if (r < 0) {
                wipe_free(buf, used);
                return r;
        }
        buf[used] = '\0';
        *ret = buf;
        *ret_size = used;
        return 0;
}

int fileio_read_all(const char *path, bool nofollow, size_t max, char **ret, size_t *ret_size,
                    mode_t *ret_mode)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t limit = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX - 1, hint, size = 0;
        char *buf = NULL;
        int r;

        assert(path);
        assert(ret);

        fd = fileio_open_regular(path, nofollow, ret_mode);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t)st.st_size > (uint64_t)max)
                return -EFBIG;
        /* One byte past the reported size, to see the end in one read. */
        hint = st.st_size > 0 ? (size_t)st.st_size + 1 : READ_CHUNK_MIN;
        r = read_fd(fd, hint, limit, &buf, &size);
        if (r < 0)
                return r;
        *ret = buf;
        if (ret_size)
                *ret_size = size;
        return 0;
}
