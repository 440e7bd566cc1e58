/* fuzz-credentials.c: the three credential files as the input shapes them,
 * through credentials_load().  The first byte picks what each file is (2
 * bits each: regular, regular, FIFO, folder); then two u16 lengths split
 * the rest into the three files' bytes.  The result must be exactly what
 * the documented rules predict (the first file that is not a regular file
 * of one non-empty line within the cap fails, with its path and code), and
 * the log line for a failure must be the documented one, which holds no
 * secret. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credentials.h"

static const char *const names[] = { "subscription-key", "client-id", "client-secret" };
static char dir[64];

static void check(int cond)
{
        if (!cond)
                abort();
}

static void path_of(size_t i, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", dir, names[i]);
}

/* Replaces file i by what kind says, holding data when regular. */
static void make(size_t i, unsigned kind, const uint8_t *data, size_t len)
{
        char p[128];
        int fd;

        path_of(i, p, sizeof(p));
        if (unlink(p) < 0)
                rmdir(p);
        if (kind == 2) {
                check(mkfifo(p, 0600) == 0);
                return;
        }
        if (kind == 3) {
                check(mkdir(p, 0700) == 0);
                return;
        }
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0);
        check(len == 0 || write(fd, data, len) == (ssize_t)len);
        close(fd);
}

/* What credentials_load() must make of file i: 0 with the secret in
 * *want (len *want_len), or the error. */
static int predict(unsigned kind, const uint8_t *data, size_t len, size_t *want_len)
{
        if (kind == 2)
                return -ENODEV;
        if (kind == 3)
                return -EISDIR;
        if (len > CREDENTIALS_MAX_SIZE)
                return -EFBIG;
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
                len--;
        if (len == 0 || memchr(data, '\0', len) || memchr(data, '\n', len) ||
            memchr(data, '\r', len))
                return -EINVAL;
        *want_len = len;
        return 0;
}

static void check_message(int r, const char *path)
{
        char *msg = credentials_strerror(r, path), want[256];

        check(msg != NULL);
        if (r == -ENODEV)
                snprintf(want, sizeof(want), "credential file %s is a FIFO, not a regular file",
                         path);
        else if (r == -EISDIR)
                snprintf(want, sizeof(want),
                         "credential file %s is a directory, not a regular file", path);
        else if (r == -EFBIG)
                snprintf(want, sizeof(want), "credential file %s is larger than %d bytes", path,
                         CREDENTIALS_MAX_SIZE);
        else
                snprintf(want, sizeof(want), "credential file %s is empty or not a single line",
                         path);
        check(strcmp(msg, want) == 0);
        free(msg);
}

static void cleanup(void)
{
        char p[128];

        for (size_t i = 0; i < 3; i++) {
                path_of(i, p, sizeof(p));
                if (unlink(p) < 0)
                        rmdir(p);
        }
        rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *part[3];
        size_t len[3], want_len[3] = { 0 };
        struct credentials *c = NULL;
        char *bad = NULL, p[128];
        int want = 0, r;
        size_t failing = 3;

        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/fuzz-credentials-XXXXXX");
                check(mkdtemp(dir) != NULL);
                atexit(cleanup);
        }
        if (size < 5)
                return 0;
        len[0] = (size_t)data[1] | (size_t)data[2] << 8;
        len[1] = (size_t)data[3] | (size_t)data[4] << 8;
        part[0] = data + 5;
        if (len[0] > size - 5)
                len[0] = size - 5;
        part[1] = part[0] + len[0];
        if (len[1] > size - 5 - len[0])
                len[1] = size - 5 - len[0];
        part[2] = part[1] + len[1];
        len[2] = size - 5 - len[0] - len[1];
        for (size_t i = 0; i < 3; i++) {
                unsigned kind = (data[0] >> (2 * i)) & 3;

                make(i, kind, part[i], len[i]);
                if (failing == 3) {
                        want = predict(kind, part[i], len[i], &want_len[i]);
                        if (want < 0)
                                failing = i;
                }
        }
        r = credentials_load(dir, &c, &bad);
        check(r == want);
        if (r < 0) {
                path_of(failing, p, sizeof(p));
                check(c == NULL && bad != NULL && strcmp(bad, p) == 0);
                check_message(r, bad);
                free(bad);
                return 0;
        }
        check(c != NULL && bad == NULL);
        check(strlen(c->subscription_key) == want_len[0] &&
              memcmp(c->subscription_key, part[0], want_len[0]) == 0);
        check(strlen(c->client_id) == want_len[1] &&
              memcmp(c->client_id, part[1], want_len[1]) == 0);
        check(strlen(c->client_secret) == want_len[2] &&
              memcmp(c->client_secret, part[2], want_len[2]) == 0);
        credentials_free(c);
        return 0;
}
