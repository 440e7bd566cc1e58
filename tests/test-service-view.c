/* test-service-view.c: what a DynamicUser may read, from the permission
 * bits: the file's o+r, every folder's o+x, through symbolic links. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "service-view.h"
#include "util.h"

static char root[] = "/tmp/test-service-view-XXXXXX";

static char *path_in(const char *name)
{
        char *p = NULL;

        assert_true(asprintf(&p, "%s/%s", root, name) > 0);
        return p;
}

static void touch(const char *name, mode_t mode)
{
        _cleanup_free_ char *p = path_in(name);
        FILE *f = fopen(p, "w");

        assert_non_null(f);
        fclose(f);
        assert_int_equal(chmod(p, mode), 0);
}

/* Expects r, and with -EACCES the blocker (relative to root) and kind. */
static void expect(const char *name, int r, const char *blocker, bool folder)
{
        _cleanup_free_ char *p = path_in(name), *want = NULL, *got = NULL;
        bool got_folder = !folder;

        print_message("%s\n", name);
        assert_int_equal(service_view_can_read(p, &got, &got_folder), r);
        if (r != -EACCES) {
                assert_null(got);
                return;
        }
        want = path_in(blocker);
        assert_string_equal(got, want);
        assert_int_equal(got_folder, folder);
}

static int setup(void **state)
{
        _cleanup_free_ char *p = NULL;

        if (!mkdtemp(root))
                return -1;
        if (chmod(root, 0755) < 0)
                return -1;
        p = path_in("open");
        mkdir(p, 0755);
        free(p);
        p = path_in("closed");
        mkdir(p, 0700);
        free(p);
        p = path_in("enterable");
        mkdir(p, 0711);
        return 0;
}

static int teardown(void **state)
{
        char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", root) < 0)
                return -1;
        if (system(cmd) != 0)
                return -1;
        free(cmd);
        return 0;
}

static void test_bits(void **state)
{
        touch("open/world.txt", 0644);
        touch("open/private.txt", 0600);
        touch("open/group.txt", 0640);
        touch("closed/world.txt", 0644);
        touch("enterable/world.txt", 0644);
        expect("open/world.txt", 0, NULL, false);
        expect("open/private.txt", -EACCES, "open/private.txt", false);
        expect("open/group.txt", -EACCES, "open/group.txt", false);
        expect("closed/world.txt", -EACCES, "closed", true);
        expect("enterable/world.txt", 0, NULL, false); /* o+x is enough to pass */
        expect("open/missing.txt", -ENOENT, NULL, false);
}

/* A link in an open folder to a file in a closed one: the target decides. */
static void test_symlink(void **state)
{
        _cleanup_free_ char *target = path_in("closed/world.txt"), *link = path_in("open/link.txt");

        touch("closed/world.txt", 0644);
        assert_int_equal(symlink(target, link), 0);
        expect("open/link.txt", -EACCES, "closed", true);
}

/* A relative path is read against the working folder. */
static void test_relative(void **state)
{
        _cleanup_free_ char *dir = path_in("open");
        char cwd[4096];
        char *blocker = NULL;
        bool folder;

        touch("open/rel.txt", 0600);
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        assert_int_equal(service_view_can_read("rel.txt", &blocker, &folder), -EACCES);
        assert_int_equal(chdir(cwd), 0);
        assert_non_null(strstr(blocker, "/open/rel.txt"));
        assert_false(folder);
        free(blocker);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bits),
                cmocka_unit_test(test_symlink),
                cmocka_unit_test(test_relative),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
