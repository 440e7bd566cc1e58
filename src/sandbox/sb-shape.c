/* sb-shape.c: the table of request shapes. */
#include <assert.h>
#include <errno.h>

#include "sb-shape.h"
#include "util.h"

static const struct sb_shape_info shapes[_SB_SHAPE_MAX] = {
        [SB_SHAPE_PAGE] = { .name = "page",
                            .prefix = "/orders",
                            .items = "items",
                            .position_param = "page",
                            .size_param = "pageSize" },
        [SB_SHAPE_OFFSET] = { .name = "offset",
                              .prefix = "/api/v3/orders",
                              .items = "value",
                              .position_param = "$skip",
                              .size_param = "$top" },
        [SB_SHAPE_NEXT] = { .name = "next",
                            .prefix = "/orders",
                            .items = "data",
                            .size_param = "limit",
                            .lower = true },
};

const struct sb_shape_info *sb_shape_info(enum sb_shape s)
{
        assert(s < _SB_SHAPE_MAX);
        return &shapes[s];
}

int sb_shape_from_string(const char *s)
{
        assert(s);
        for (int i = 0; i < _SB_SHAPE_MAX; i++)
                if (streq(s, shapes[i].name))
                        return i;
        return -EINVAL;
}
