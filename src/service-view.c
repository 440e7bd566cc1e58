/* service-view.c: the DynamicUser's view of the file system
 * (service-view.h), from the permission bits alone: it never switches
 * users, so it runs the same as root or not. */
#include "service-view.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Checks "others" may search every folder above the absolute path abs;
 * 0, or -EACCES naming the first that blocks. */
static int folders_open(const char *abs, char **ret_blocker)
{
        _cleanup_free_ char *p = NULL;

        assert(abs);
        p = strdup(abs);

        if (!p)
                return -ENOMEM;
        for (char *slash = p; (slash = strchr(slash + 1, '/'));) {
                struct stat st;

                *slash = '\0';
                if (stat(p, &st) < 0)
                        return -errno;
                if (!(st.st_mode & S_IXOTH)) {
                        *ret_blocker = TAKE_PTR(p);
                        return -EACCES;
                }
                *slash = '/';
        }
        return 0;
}

/* path made absolute against the working folder, as open() reads it. */
static int absolute(const char *path, char **ret)
{
        char cwd[PATH_MAX];

        if (path[0] == '/') {
                *ret = strdup(path);
                return *ret ? 0 : -ENOMEM;
        }
        if (!getcwd(cwd, sizeof(cwd)))
                return -errno;
        if (asprintf(ret, "%s/%s", streq(cwd, "/") ? "" : cwd, path) < 0)
                return -ENOMEM;
        return 0;
}

int service_view_can_read(const char *path, char **ret_blocker, bool *ret_folder)
{
        _cleanup_free_ char *abs = NULL, *real = NULL;
        struct stat st;
        int r;

        assert(path);
        assert(ret_blocker);
        assert(ret_folder);
        r = absolute(path, &abs);
        if (r < 0)
                return r;
        real = realpath(path, NULL);
        if (!real)
                return -errno;
        r = folders_open(abs, ret_blocker);
        if (r >= 0)
                r = folders_open(real, ret_blocker);
        if (r == -EACCES)
                *ret_folder = true;
        if (r < 0)
                return r;
        if (stat(real, &st) < 0)
                return -errno;
        if (!(st.st_mode & S_IROTH)) {
                *ret_blocker = TAKE_PTR(real);
                *ret_folder = false;
                return -EACCES;
        }
        return 0;
}
