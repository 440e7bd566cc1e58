/* test-api.h: the default api.fields for the engine's unit tests, which
 * build their configs by hand (table-driven, independent of the YAML
 * layer).  The pointers are config.c's defaults. */
#pragma once

#include "config.h"

static inline void test_api_defaults(struct api_config *api)
{
        for (int i = 0; i < _FIELD_MAX; i++)
                api->fields[i] = (char *)order_field_defaults[i];
}
