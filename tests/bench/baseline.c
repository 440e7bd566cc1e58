/* baseline.c (bench-baseline): the yardstick for `approvald evaluate`:
 * reads line-delimited JSON from stdin in large blocks, parses each line
 * with cJSON, reads one field (the id) and frees the tree.  Prints the
 * number of orders read to stderr. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (2 * 1024 * 1024)

static size_t n_orders, n_ids;

static void parse_line(const char *s, size_t len)
{
        cJSON *json = cJSON_ParseWithLength(s, len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");

        n_orders++;
        if (cJSON_IsString(id))
                n_ids++;
        cJSON_Delete(json);
}

int main(void)
{
        char *buf = malloc(BUF_SIZE);
        size_t start = 0, end = 0;

        if (!buf)
                return 1;
        for (;;) {
                char *nl = memchr(buf + start, '\n', end - start);
                ssize_t n;

                if (nl) {
                        parse_line(buf + start, (size_t)(nl - buf - start));
                        start = (size_t)(nl - buf) + 1;
                        continue;
                }
                memmove(buf, buf + start, end - start);
                end -= start;
                start = 0;
                if (end == BUF_SIZE)
                        return 1; /* a line longer than the buffer */
                n = read(STDIN_FILENO, buf + end, BUF_SIZE - end);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                end += (size_t)n;
        }
        if (end > start)
                parse_line(buf + start, end - start);
        fprintf(stderr, "bench-baseline: %zu orders, %zu ids\n", n_orders, n_ids);
        free(buf);
        return 0;
}
