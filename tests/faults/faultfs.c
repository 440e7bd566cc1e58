/* faultfs.c: an LD_PRELOAD shim for the journal's fault tests.  It makes
 * write(), fdatasync() and fsync() on the journal fail or write short, as a
 * failing disk would, without root, a special file system or a seam in
 * journal.c.  Only descriptors whose path (from /proc/self/fd) ends with
 * $FAULT_PATH (default "/journal") are touched; everything else (logs,
 * sockets, the state folder) passes through.  Controlled by:
 *
 *   FAULT_WRITE_EIO_FROM=N     the Nth write() on the file and all later
 *                              ones fail with EIO
 *   FAULT_WRITE_ENOSPC_FROM=N  the same with ENOSPC
 *   FAULT_WRITE_SHORT=1        every write() writes only the first half of
 *                              its bytes (at least 1), as the kernel may
 *   FAULT_FDATASYNC_FROM=N     the Nth fdatasync() and all later ones fail
 *                              with EIO
 *   FAULT_FSYNC_FROM=N         the same for fsync()
 *
 *   FAULT_TRACE=1              also report every successful fdatasync()
 *                              and fsync() with the file's size then:
 *                              "faultfs: CALL #N on PATH: synced SIZE bytes"
 *
 * Counts start at 1 in each process.  Each injected fault is reported on
 * stderr as "faultfs: CALL #N on PATH: ERROR", so a test can tell that the
 * fault it asked for happened. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long n_write, n_fdatasync, n_fsync;

static void *next(const char *name)
{
        void *p = dlsym(RTLD_NEXT, name);

        if (!p)
                abort();
        return p;
}

/* The FAULT_* variable as a count; 0 when unset or not a number. */
static unsigned long env_count(const char *name)
{
        const char *s = getenv(name);
        char *end = NULL;
        unsigned long v;

        if (!s || !*s)
                return 0;
        errno = 0;
        v = strtoul(s, &end, 10);
        return errno || *end ? 0 : v;
}

/* Writes path of fd into buf; 1 when it is a file the faults apply to. */
static int affected(int fd, char *buf, size_t size)
{
        const char *suffix = getenv("FAULT_PATH");
        char link[64];
        ssize_t n;
        size_t k;

        if (!suffix || !*suffix)
                suffix = "/journal";
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, buf, size - 1);
        if (n < 0)
                return 0;
        buf[n] = '\0';
        k = strlen(suffix);
        return (size_t)n >= k && strcmp(buf + n - k, suffix) == 0;
}

/* Reports an injected fault on stderr with the raw system call, which no
 * wrapper here sees. */
static void note(const char *call, unsigned long k, const char *path, int error)
{
        char msg[PATH_MAX + 128];
        int n = snprintf(msg, sizeof(msg), "faultfs: %s #%lu on %s: %s\n", call, k, path,
                         error ? strerror(error) : "short write");

        if (n > 0)
                (void)!syscall(SYS_write, 2, msg,
                               (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
}

/* Counts a call on path; returns the errno to inject for it, or 0. */
static int fault_for(unsigned long *count, const char *eio_var, const char *enospc_var)
{
        unsigned long k = ++*count, eio = env_count(eio_var);
        unsigned long enospc = enospc_var ? env_count(enospc_var) : 0;

        if (eio && k >= eio)
                return EIO;
        if (enospc && k >= enospc)
                return ENOSPC;
        return 0;
}

ssize_t write(int fd, const void *buf, size_t len)
{
        static ssize_t (*real)(int, const void *, size_t);
        char path[PATH_MAX];
        int error;

        if (!real)
                real = next("write");
        if (!affected(fd, path, sizeof(path)))
                return real(fd, buf, len);
        error = fault_for(&n_write, "FAULT_WRITE_EIO_FROM", "FAULT_WRITE_ENOSPC_FROM");
        if (error) {
                note("write", n_write, path, error);
                errno = error;
                return -1;
        }
        if (env_count("FAULT_WRITE_SHORT") && len > 1) {
                note("write", n_write, path, 0);
                len = (len + 1) / 2;
        }
        return real(fd, buf, len);
}

static int sync_call(int fd, const char *name, unsigned long *count, const char *var)
{
        int (*real)(int) = next(name);
        char path[PATH_MAX], msg[PATH_MAX + 128];
        struct stat st;
        int error, r, n;

        if (!affected(fd, path, sizeof(path)))
                return real(fd);
        error = fault_for(count, var, NULL);
        if (error) {
                note(name, *count, path, error);
                errno = error;
                return -1;
        }
        r = real(fd);
        if (r == 0 && env_count("FAULT_TRACE") && fstat(fd, &st) == 0) {
                n = snprintf(msg, sizeof(msg), "faultfs: %s #%lu on %s: synced %lld bytes\n", name,
                             *count, path, (long long)st.st_size);
                if (n > 0 && (size_t)n < sizeof(msg))
                        (void)!syscall(SYS_write, 2, msg, (size_t)n);
        }
        return r;
}

int fdatasync(int fd)
{
        return sync_call(fd, "fdatasync", &n_fdatasync, "FAULT_FDATASYNC_FROM");
}

int fsync(int fd)
{
        return sync_call(fd, "fsync", &n_fsync, "FAULT_FSYNC_FROM");
}
