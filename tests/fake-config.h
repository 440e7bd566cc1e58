/* fake-config.h: stand-ins for config.c and matcher.c, so that the engine's
 * unit tests build their configs by hand, table-driven and independent of
 * the YAML layer.  Included by exactly one test file per program. */
#pragma once

#include <strings.h>

#include "config.h"
#include "util.h"

const char *const order_field_names[_FIELD_MAX] = {
        "id",
        "status",
        "created_at",
        "customer_id",
        "customer_name",
        "country",
        "total",
        "currency",
        "items",
        "item_sku",
        "item_offer_id",
        "item_name",
        "item_quantity",
        "approve_link",
        "reject_link",
};

const char *const order_field_defaults[_FIELD_MAX] = {
        "/id",          "/status",         "/createdAt",
        "/customer/id", "/customer/name",  "/customer/countryCode",
        "/price/total", "/price/currency", "/items",
        "/sku",         "/offerId",        "/name",
        "/quantity",    "/links/approve",  "/links/reject",
};

static inline void test_api_defaults(struct api_config *api)
{
        for (int i = 0; i < _FIELD_MAX; i++)
                api->fields[i] = (char *)order_field_defaults[i];
}
