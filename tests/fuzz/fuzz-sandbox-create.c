/* fuzz-sandbox-create.c: the sandbox's order parser, as reached by the
 * body of POST /orders and by the entries of an --orders file, and the
 * rendering of whatever it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sb-order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(struct sb_order *o)
{
        cJSON *j = sb_order_to_json(o, "http://127.0.0.1:8080");
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;

        free(text);
        cJSON_Delete(j);
        sb_order_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sb_order *o = NULL;
        const char *why = NULL;
        cJSON *j;

        if (size > 1024 * 1024)
                return 0;
        if (sb_order_parse_create((const char *)data, size, &o, &why) >= 0)
                render(o);
        j = cJSON_ParseWithLength((const char *)data, size);
        o = NULL;
        if (j && sb_order_from_json(j, SB_ORDER_FILE, &o, &why) >= 0)
                render(o);
        cJSON_Delete(j);
        return 0;
}
