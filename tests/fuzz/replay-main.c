/* replay-main.c: runs a fuzz target over every file in the folders or files
 * named on the command line, so that seeds and past crashers are replayed
 * by ctest in every build, with or without libFuzzer. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        r = read_file_capped(path, 16u << 20, &buf, &n);
        if (r < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
        return 0;
}

static int replay_dir(const char *path, unsigned *count)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int r = 0;

        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        while ((de = readdir(d))) {
                char file[4096];
                int n;

                if (de->d_name[0] == '.')
                        continue;
                n = snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
                if (n < 0 || (size_t)n >= sizeof(file))
                        continue;
                r = replay_file(file);
                if (r < 0)
                        break;
                (*count)++;
        }
        closedir(d);
        return r;
}

int main(int argc, char **argv)
{
        unsigned count = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i]);
                if (r < 0)
                        return 1;
                count += !S_ISDIR(st.st_mode);
        }
        if (count == 0) {
                fprintf(stderr, "replay: no inputs\n");
                return 1;
        }
        printf("replayed %u inputs\n", count);
        return 0;
}
