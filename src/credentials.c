/* credentials.c: loads the API secrets from their files (see credentials.h);
 * nothing here ever prints a secret. */
#include "credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        free(c);
}

static int read_secret(const char *dir, const char *name, char **ret, char **ret_path)
{
        _cleanup_free_ char *path = NULL;
        char *buf = NULL;
        size_t size = 0;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = read_file_capped(path, CREDENTIALS_MAX_SIZE, &buf, &size);
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

int credentials_load(const char *dir, struct credentials **ret, char **ret_path)
{
        struct credentials *c;
        int r;

        if (!dir)
                dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir || !*dir)
                return -ENXIO;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *ret_path = NULL;
        r = read_secret(dir, "subscription-key", &c->subscription_key, ret_path);
        if (r >= 0)
                r = read_secret(dir, "client-id", &c->client_id, ret_path);
        if (r >= 0)
                r = read_secret(dir, "client-secret", &c->client_secret, ret_path);
        if (r < 0) {
                credentials_free(c);
                return r;
        }
        *ret = c;
        return 0;
}
