/* credentials.c: loads the API secrets from their files (see credentials.h)
 * through the shared safe reader, so that a FIFO, a device or a folder in
 * their place is refused at once rather than waited on; nothing here ever
 * prints a secret. */
#include "credentials.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "util.h"

static void secret_free(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

void credentials_free(struct credentials *c)
{
        if (!c)
                return;
        secret_free(c->subscription_key);
        secret_free(c->client_id);
        secret_free(c->client_secret);
        secret_free(c->webhook_authorization);
        free(c);
}

int credentials_read_file(const char *dir, const char *name, char **ret, char **ret_path)
{
        _cleanup_free_ char *path = NULL;
        char *buf = NULL;
        size_t size = 0;
        int r;

        assert(dir && name && ret && ret_path);
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        /* Links are followed: Kubernetes' secret volumes and many admins'
         * set-ups are made of them, and whoever can place a link in the
         * credentials folder owns the secrets already.  What the link leads
         * to must still be a regular file. */
        r = fileio_read_all(path, false, CREDENTIALS_MAX_SIZE, &buf, &size, NULL);
        if (r == 0) {
                while (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == '\r'))
                        buf[--size] = '\0';
                if (size == 0 || memchr(buf, '\0', size) || strpbrk(buf, "\r\n"))
                        r = -EINVAL; /* empty, or not one line: refuse it */
        }
        if (r < 0) {
                if (buf)
                        explicit_bzero(buf, size);
                free(buf);
                *ret_path = TAKE_PTR(path);
                return r;
        }
        *ret = buf;
        return 0;
}

const char *credentials_folder(const char *dir)
{
        if (!dir)
                dir = getenv("CREDENTIALS_DIRECTORY");
        return dir && *dir ? dir : NULL;
}

int credentials_load(const char *dir, struct credentials **ret, char **ret_path)
{
        struct credentials *c;
        int r;

        assert(ret);
        assert(ret_path);

        dir = credentials_folder(dir);
        if (!dir)
                return -ENXIO;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *ret_path = NULL;
        r = credentials_read_file(dir, "subscription-key", &c->subscription_key, ret_path);
        if (r >= 0)
                r = credentials_read_file(dir, "client-id", &c->client_id, ret_path);
        if (r >= 0)
                r = credentials_read_file(dir, "client-secret", &c->client_secret, ret_path);
        if (r >= 0) {
                /* optional: only a webhook receiver needs it */
                r = credentials_read_file(dir, "webhook-authorization", &c->webhook_authorization,
                                          ret_path);
                if (r == -ENOENT) {
                        free(*ret_path);
                        *ret_path = NULL;
                        r = 0;
                }
        }
        if (r < 0) {
                credentials_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

char *credentials_strerror(int r, const char *path)
{
        struct stat st;
        char *s = NULL;
        int k;

        assert(r < 0);

        if (r == -ENXIO || !path)
                return strdup(r == -ENXIO ? "no credentials folder is configured"
                                          : "cannot read the credentials: out of memory");
        if ((r == -ENODEV || r == -EISDIR) && stat(path, &st) == 0)
                k = asprintf(&s, "credential file %s is %s, not a regular file", path,
                             fileio_kind(st.st_mode));
        else if (r == -EINVAL)
                k = asprintf(&s, "credential file %s is empty or not a single line", path);
        else if (r == -EFBIG)
                k = asprintf(&s, "credential file %s is larger than %d bytes", path,
                             CREDENTIALS_MAX_SIZE);
        else
                k = asprintf(&s, "cannot read credential file %s: %s", path, strerror(-r));
        return k < 0 ? NULL : s;
}
