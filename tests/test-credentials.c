/* test-credentials.c: the secrets' files are read only when they are
 * regular files of one line within the cap; everything else is refused at
 * once, naming the file and what it is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credentials.h"
#include "util.h"

static const char *const names[] = { "subscription-key", "client-id", "client-secret" };

struct dir {
        char path[64];
};

static void put(const char *dir, const char *name, const char *data, size_t len)
{
        char p[128];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        unlink(p);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

static int setup(void **state)
{
        struct dir *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        snprintf(d->path, sizeof(d->path), "/tmp/test-credentials-XXXXXX");
        assert_non_null(mkdtemp(d->path));
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                put(d->path, names[i], "secret\n", 7);
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

/* Replaces the file `name` in d by what make() puts there. */
static const char *path_in(struct dir *d, const char *name)
{
        static char p[128];

        snprintf(p, sizeof(p), "%s/%s", d->path, name);
        return p;
}

/* Loads d and expects failure r on name with the message msg (PATH stands
 * for the file's path). */
static void expect(struct dir *d, const char *name, int r, const char *msg)
{
        struct credentials *c = NULL;
        _cleanup_free_ char *bad = NULL, *text = NULL, *want = NULL;
        const char *at;

        assert_int_equal(credentials_load(d->path, &c, &bad), r);
        assert_null(c);
        assert_non_null(bad);
        assert_string_equal(bad, path_in(d, name));
        text = credentials_strerror(r, bad);
        assert_non_null(text);
        at = strstr(msg, "PATH");
        assert_non_null(at);
        assert_true(asprintf(&want, "%.*s%s%s", (int)(at - msg), msg, bad, at + 4) > 0);
        assert_string_equal(text, want);
}

static void test_good(void **state)
{
        struct dir *d = *state;
        struct credentials *c = NULL;
        char *bad = NULL;

        put(d->path, "client-id", "id\r\n", 4);
        assert_int_equal(credentials_load(d->path, &c, &bad), 0);
        assert_null(bad);
        assert_string_equal(c->subscription_key, "secret");
        assert_string_equal(c->client_id, "id");
        credentials_free(c);
}

/* webhook-authorization is optional: absent, NULL; present, read like the
 * others; a FIFO or two lines in its place refused like theirs. */
static void test_webhook_authorization(void **state)
{
        struct dir *d = *state;
        struct credentials *c = NULL;
        char *bad = NULL;

        assert_int_equal(credentials_load(d->path, &c, &bad), 0);
        assert_null(bad);
        assert_null(c->webhook_authorization);
        credentials_free(c);
        put(d->path, "webhook-authorization", "Bearer abc\n", 11);
        assert_int_equal(credentials_load(d->path, &c, &bad), 0);
        assert_string_equal(c->webhook_authorization, "Bearer abc");
        credentials_free(c);
        put(d->path, "webhook-authorization", "a\nb\n", 4);
        expect(d, "webhook-authorization", -EINVAL,
               "credential file PATH is empty or not a single line");
        unlink(path_in(d, "webhook-authorization"));
        assert_int_equal(mkfifo(path_in(d, "webhook-authorization"), 0600), 0);
        expect(d, "webhook-authorization", -ENODEV,
               "credential file PATH is a FIFO, not a regular file");
}

/* A FIFO with no writer would block a plain open() forever. */
static void test_fifo(void **state)
{
        struct dir *d = *state;

        unlink(path_in(d, "client-id"));
        assert_int_equal(mkfifo(path_in(d, "client-id"), 0600), 0);
        expect(d, "client-id", -ENODEV, "credential file PATH is a FIFO, not a regular file");
}

static void test_directory(void **state)
{
        struct dir *d = *state;

        unlink(path_in(d, "client-secret"));
        assert_int_equal(mkdir(path_in(d, "client-secret"), 0700), 0);
        expect(d, "client-secret", -EISDIR,
               "credential file PATH is a directory, not a regular file");
}

static void test_device(void **state)
{
        struct dir *d = *state;

        unlink(path_in(d, "subscription-key"));
        assert_int_equal(symlink("/dev/zero", path_in(d, "subscription-key")), 0);
        expect(d, "subscription-key", -ENODEV,
               "credential file PATH is a character device, not a regular file");
}

/* Links are followed (Kubernetes' secret volumes are made of them), to a
 * regular file only. */
static void test_symlink(void **state)
{
        struct dir *d = *state;
        struct credentials *c = NULL;
        char target[128], *bad = NULL;

        snprintf(target, sizeof(target), "%s", path_in(d, "real-secret"));
        put(d->path, "real-secret", "linked\n", 7);
        unlink(path_in(d, "client-secret"));
        assert_int_equal(symlink(target, path_in(d, "client-secret")), 0);
        assert_int_equal(credentials_load(d->path, &c, &bad), 0);
        assert_string_equal(c->client_secret, "linked");
        credentials_free(c);
}

static void test_too_big(void **state)
{
        struct dir *d = *state;
        char *big = malloc(CREDENTIALS_MAX_SIZE + 1);

        assert_non_null(big);
        memset(big, 'x', CREDENTIALS_MAX_SIZE + 1);
        put(d->path, "client-id", big, CREDENTIALS_MAX_SIZE + 1);
        free(big);
        expect(d, "client-id", -EFBIG, "credential file PATH is larger than 4096 bytes");
}

static void test_not_one_line(void **state)
{
        struct dir *d = *state;

        put(d->path, "client-id", "two\nlines\n", 10);
        expect(d, "client-id", -EINVAL, "credential file PATH is empty or not a single line");
        put(d->path, "client-id", "\n", 1);
        expect(d, "client-id", -EINVAL, "credential file PATH is empty or not a single line");
        put(d->path, "client-id", "a\0b", 3);
        expect(d, "client-id", -EINVAL, "credential file PATH is empty or not a single line");
}

static void test_missing(void **state)
{
        struct dir *d = *state;

        unlink(path_in(d, "client-secret"));
        expect(d, "client-secret", -ENOENT,
               "cannot read credential file PATH: No such file or directory");
}

static void test_no_folder(void **state)
{
        struct credentials *c = NULL;
        char *bad = NULL;
        _cleanup_free_ char *text = NULL;

        unsetenv("CREDENTIALS_DIRECTORY");
        assert_int_equal(credentials_load(NULL, &c, &bad), -ENXIO);
        text = credentials_strerror(-ENXIO, NULL);
        assert_non_null(text);
        assert_string_equal(text, "no credentials folder is configured");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_good, setup, teardown),
                cmocka_unit_test_setup_teardown(test_webhook_authorization, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_one_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
                cmocka_unit_test(test_no_folder),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
