/* test-fileio.c: the shared safe reader refuses what is not a regular file
 * without blocking, and caps what it reads. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

struct dir {
        char path[64];
};

static int setup(void **state)
{
        struct dir *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        snprintf(d->path, sizeof(d->path), "/tmp/test-fileio-XXXXXX");
        assert_non_null(mkdtemp(d->path));
        *state = d;
        return 0;
}

static int teardown(void **state)
{
        struct dir *d = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
        assert_int_equal(system(cmd), 0);
        free(d);
        return 0;
}

/* path = DIR/name; returns a static buffer. */
static const char *in(void **state, const char *name)
{
        static char buf[128];
        struct dir *d = *state;

        snprintf(buf, sizeof(buf), "%s/%s", d->path, name);
        return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

static void test_kind(void **state)
{
        assert_string_equal(fileio_kind(S_IFREG | 0644), "a regular file");
        assert_string_equal(fileio_kind(S_IFDIR), "a directory");
        assert_string_equal(fileio_kind(S_IFIFO), "a FIFO");
        assert_string_equal(fileio_kind(S_IFSOCK), "a socket");
        assert_string_equal(fileio_kind(S_IFCHR), "a character device");
        assert_string_equal(fileio_kind(S_IFBLK), "a block device");
        assert_string_equal(fileio_kind(S_IFLNK), "a symbolic link");
        assert_string_equal(fileio_kind(0), "an unknown file type");
}

static void test_regular(void **state)
{
        const char *p = in(state, "f");
        _cleanup_free_ char *buf = NULL;
        mode_t mode = 0;
        size_t size = 99;
        int fd, flags;

        write_file(p, "hello\n", 6);
        fd = fileio_open_regular(p, true, &mode);
        assert_true(fd >= 0);
        assert_true(S_ISREG(mode));
        flags = fcntl(fd, F_GETFL);
        assert_false(flags & O_NONBLOCK);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);

        assert_int_equal(fileio_read_all(p, true, 6, &buf, &size, NULL), 0);
        assert_int_equal(size, 6);
        assert_string_equal(buf, "hello\n");
}

static void test_empty(void **state)
{
        const char *p = in(state, "empty");
        _cleanup_free_ char *buf = NULL;
        size_t size = 99;

        write_file(p, "", 0);
        assert_int_equal(fileio_read_all(p, false, 0, &buf, &size, NULL), 0);
        assert_int_equal(size, 0);
        assert_string_equal(buf, "");
}

static void test_cap(void **state)
{
        const char *p = in(state, "big");
        char *buf = (char *)0x1;
        size_t size = 99;
        char data[10000];

        memset(data, 'x', sizeof(data));
        write_file(p, data, sizeof(data));
        assert_int_equal(fileio_read_all(p, false, sizeof(data) - 1, &buf, &size, NULL), -EFBIG);
        assert_ptr_equal(buf, (char *)0x1); /* untouched on failure */
        assert_int_equal(size, 99);
        assert_int_equal(fileio_read_all(p, false, sizeof(data), &buf, &size, NULL), 0);
        assert_int_equal(size, sizeof(data));
        assert_int_equal(strlen(buf), sizeof(data));
        free(buf);
}

/* /proc files report a size of 0: the cap must still hold, and a large
 * enough cap must still read them whole. */
static void test_proc(void **state)
{
        char *buf = NULL;
        size_t size = 0;

        assert_int_equal(fileio_read_all("/proc/self/status", false, 16, &buf, &size, NULL),
                         -EFBIG);
        assert_null(buf);
        assert_int_equal(fileio_read_all("/proc/self/status", false, 1 << 20, &buf, &size, NULL),
                         0);
        assert_true(size > 16);
        assert_non_null(strstr(buf, "Name:"));
        free(buf);
}

static void test_directory(void **state)
{
        struct dir *d = *state;
        char *buf = NULL;
        mode_t mode = 0;

        assert_int_equal(fileio_open_regular(d->path, true, &mode), -EISDIR);
        assert_true(S_ISDIR(mode));
        mode = 0;
        assert_int_equal(fileio_read_all(d->path, false, 100, &buf, NULL, &mode), -EISDIR);
        assert_true(S_ISDIR(mode));
        assert_null(buf);
}

/* A FIFO with no writer would block a plain open() or read() forever. */
static void test_fifo(void **state)
{
        const char *p = in(state, "fifo");
        char *buf = NULL;
        mode_t mode = 0;

        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(fileio_open_regular(p, false, &mode), -ENODEV);
        assert_true(S_ISFIFO(mode));
        assert_string_equal(fileio_kind(mode), "a FIFO");
        mode = 0;
        assert_int_equal(fileio_read_all(p, true, 100, &buf, NULL, &mode), -ENODEV);
        assert_true(S_ISFIFO(mode));
}

static void test_device(void **state)
{
        mode_t mode = 0;
        char *buf = NULL;

        assert_int_equal(fileio_read_all("/dev/null", false, 100, &buf, NULL, &mode), -ENODEV);
        assert_true(S_ISCHR(mode));
        mode = 0;
        assert_int_equal(fileio_open_regular("/dev/zero", false, &mode), -ENODEV);
        assert_true(S_ISCHR(mode));
}

/* open() of a socket fails with ENXIO; it is still reported as a socket. */
static void test_socket(void **state)
{
        const char *p = in(state, "sock");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mode_t mode = 0;
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(s >= 0);
        assert_true(strlen(p) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, p, strlen(p) + 1);
        assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(fileio_open_regular(p, false, &mode), -ENODEV);
        assert_true(S_ISSOCK(mode));
        close(s);
}

static void test_symlink(void **state)
{
        char target[128];
        const char *link;
        char *buf = NULL;
        mode_t mode = 0;
        size_t size = 0;

        snprintf(target, sizeof(target), "%s", in(state, "target"));
        write_file(target, "abc", 3);
        link = in(state, "link");
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(fileio_open_regular(link, true, &mode), -ELOOP);
        assert_true(S_ISLNK(mode));
        assert_string_equal(fileio_kind(mode), "a symbolic link");
        assert_int_equal(fileio_read_all(link, false, 10, &buf, &size, NULL), 0);
        assert_string_equal(buf, "abc");
        free(buf);
}

/* A symlink to a FIFO is refused as a FIFO when links may be followed. */
static void test_symlink_to_fifo(void **state)
{
        char fifo[128];
        const char *link;
        mode_t mode = 0;

        snprintf(fifo, sizeof(fifo), "%s", in(state, "fifo2"));
        assert_int_equal(mkfifo(fifo, 0600), 0);
        link = in(state, "link2");
        assert_int_equal(symlink(fifo, link), 0);
        assert_int_equal(fileio_open_regular(link, false, &mode), -ENODEV);
        assert_true(S_ISFIFO(mode));
}

static void test_missing(void **state)
{
        mode_t mode = 0;
        char *buf = NULL;

        assert_int_equal(fileio_open_regular(in(state, "nope"), true, &mode), -ENOENT);
        assert_int_equal(mode, 0); /* left alone */
        assert_int_equal(fileio_read_all(in(state, "nope"), false, 1, &buf, NULL, NULL), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind),
                cmocka_unit_test_setup_teardown(test_regular, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
                cmocka_unit_test(test_proc),
                cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
                cmocka_unit_test(test_device),
                cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_to_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
