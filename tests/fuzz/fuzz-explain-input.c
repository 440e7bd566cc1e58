/* fuzz-explain-input.c: explain's input reader, order_stream_parse_one(),
 * over arbitrary bytes: either an order with at least one of its fields,
 * or a refusal that says what the text is. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "order-stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct api_config api;
        struct order o;
        char why[160] = "";
        int r;

        if (!api.fields[0])
                for (int i = 0; i < _FIELD_MAX; i++)
                        api.fields[i] = (char *)order_field_defaults[i];
        r = order_stream_parse_one((const char *)data, size, &api, &o, why, sizeof(why));
        if (r == -EBADMSG && !why[0])
                abort(); /* a refusal always says why */
        if (r != 0 && r != -EBADMSG && r != -EFBIG)
                abort();
        if (r == 0) {
                if (!cJSON_IsObject(o.json))
                        abort();
                order_done(&o);
        }
        return 0;
}
