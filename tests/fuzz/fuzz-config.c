/* fuzz-config.c: rules.yaml parsing and validation on arbitrary bytes.  The
 * problems are written to /dev/null so that message formatting is covered
 * too; a valid config is freed like any other. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *sink;
        struct config *c = NULL;

        if (!sink)
                sink = fopen("/dev/null", "we");
        if (config_load_buffer("fuzz.yaml", (const char *)data, size, sink, &c) >= 0)
                config_free(c);
        return 0;
}
