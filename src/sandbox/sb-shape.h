/* sb-shape.h: the three request shapes the sandbox can serve (--shape),
 * so that a client configured for one API style can be proven against
 * others.  They are test shapes, not AppXite's: the orders and the rules
 * are the same, only paths, parameters, envelopes and status names differ. */
#pragma once

#include <stdbool.h>

enum sb_shape {
        SB_SHAPE_PAGE, /* /orders?page=&pageSize=, {"items": [...]} (the default) */
        SB_SHAPE_OFFSET, /* /api/v3/orders?$skip=&$top=, {"value": [...]} (OData-like) */
        SB_SHAPE_NEXT, /* /orders?limit=&cursor=, {"data": [...], "nextLink": ...} */
        _SB_SHAPE_MAX,
};

struct sb_shape_info {
        const char *name; /* "page" */
        const char *prefix; /* the orders' path: list, create, retrieve, links */
        const char *items; /* the envelope's array */
        const char *position_param; /* "page", "$skip", or NULL (a cursor) */
        const char *size_param; /* "pageSize", "$top", "limit" */
        bool lower; /* lower-case status names: "pending", "approved", "rejected" */
};

/* The shape's facts; s < _SB_SHAPE_MAX. */
const struct sb_shape_info *sb_shape_info(enum sb_shape s);

/* Returns the shape named s, or -EINVAL. */
int sb_shape_from_string(const char *s);
