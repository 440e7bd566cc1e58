/* order-stream.h: `evaluate`'s input reader.  Orders come in one of three
 * shapes: one JSON object a line (an order, or a List response of
 * orders), one JSON array of orders, or one object over several lines (an
 * order, or a List response).  They are handed over one at a time, and an
 * array is split element by element before any is parsed, so memory does
 * not grow with the input.  A bad line or element is reported with its
 * line and the reading goes on. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "order.h"

/* The most one order, one line or one array element may take. */
#define ORDER_STREAM_ITEM_MAX (1024 * 1024)

/* Reads at most size bytes into buf, as read(2) does: the count, 0 at the
 * end of the input, or -errno. */
typedef ssize_t (*order_stream_read_t)(void *ctx, void *buf, size_t size);

/* read(2) on the file descriptor *(int *)ctx, retried on EINTR. */
ssize_t order_stream_read_fd(void *ctx, void *buf, size_t size);

struct order_stream_ops {
        /* One order, freed by the stream after the call.  A negative
         * return stops the reading and is passed up. */
        int (*order)(const struct order *o, void *userdata);
        /* A problem with the input at line (from 1): msg says what. */
        void (*bad)(size_t line, const char *msg, void *userdata);
};

/* Reads the whole input through read_fn, reading the orders' fields
 * through api.fields.  While it runs, cJSON allocates from an arena of its
 * own (arena.h), so ops->order must not keep cJSON trees past its return.
 * Returns 0 once the input is read (problems went to ops->bad), the first
 * negative return of ops->order, -errno from read_fn, or -ENOMEM. */
int order_stream_read(order_stream_read_t read_fn, void *ctx, const struct api_config *api,
                      const struct order_stream_ops *ops, void *userdata);

/* `explain`'s input: text[0..len) as exactly one order.  Returns 0 and the
 * order, which the caller frees with order_done(); -EBADMSG when it is not
 * one order, with why (size bytes) saying what it is instead ("not valid
 * JSON", "a JSON array, not one order", "a List response...", "not an
 * order but an API error ("invalid_token")..." for an object with none of
 * the order's fields); -EFBIG past ORDER_STREAM_ITEM_MAX; or -ENOMEM. */
int order_stream_parse_one(const char *text, size_t len, const struct api_config *api,
                           struct order *ret, char *why, size_t size);
