/* fuzz-evaluate-input.c: evaluate's input reader (order-stream.c) over
 * arbitrary bytes, handed over in pieces whose size the first byte picks,
 * so that lines, array elements and strings cross the reads at every
 * point.  Each order handed over must be a JSON object; each problem
 * reported must have a line within the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "order-stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
        const uint8_t *data;
        size_t size, pos, piece;
        size_t lines; /* newlines in the input, for the bound on reported lines */
};

static ssize_t read_piece(void *ctx, void *buf, size_t size)
{
        struct input *in = ctx;
        size_t n = in->size - in->pos;

        if (n > in->piece)
                n = in->piece;
        if (n > size)
                n = size;
        memcpy(buf, in->data + in->pos, n);
        in->pos += n;
        return (ssize_t)n;
}

static int on_order(const struct order *o, void *userdata)
{
        if (!cJSON_IsObject(o->json))
                abort();
        return 0;
}

static void on_bad(size_t line, const char *msg, void *userdata)
{
        const struct input *in = userdata;

        if (line < 1 || line > in->lines + 1 || !msg || !*msg)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct order_stream_ops ops = { .order = on_order, .bad = on_bad };
        static struct api_config api;
        struct input in = { .data = data, .size = size };

        if (!api.fields[0])
                for (int i = 0; i < _FIELD_MAX; i++)
                        api.fields[i] = (char *)order_field_defaults[i];
        in.piece = size > 0 ? 1 + data[0] % 97 : 1;
        for (size_t i = 0; i < size; i++)
                in.lines += data[i] == '\n';
        if (order_stream_read(read_piece, &in, &api, &ops, &in) < 0)
                abort(); /* only ENOMEM could fail here, and callbacks never do */
        return 0;
}
