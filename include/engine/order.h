/* order.h: one AppXite order, read from its JSON through the field
 * pointers of api.fields (keys matched case-insensitively).  Strings point
 * into the JSON tree the order owns; nothing is copied. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "config.h"

struct order_item {
        const char *sku;
        const char *offer_id;
        const char *name;
        int64_t quantity; /* -1 when absent or not an integer */
};

struct order {
        cJSON *json; /* owned */
        const char *id;
        const char *status;
        const char *customer_id;
        const char *customer_name;
        const char *country;
        const char *currency;
        const char *approve_link;
        const char *reject_link;
        int64_t total; /* minor units, valid when has_total */
        bool has_total;
        int64_t created_at; /* seconds since the epoch, valid when has_created_at */
        bool has_created_at;
        struct order_item *items;
        size_t n_items;
        /* The first field that is present but malformed (an unparseable
         * amount, a string where a number belongs), by its api.fields key
         * ("total"); NULL when none. The engine holds such orders. */
        const char *bad_field;
        struct arena *arena; /* where items came from (order_reader_set_arena()); NULL: malloc() */
};

/* Takes ownership of json (freed even on failure) and fills *ret.  Missing
 * fields stay NULL / has_* false; only allocation failure is an error.
 * Returns 0 or -ENOMEM. */
int order_from_json(cJSON *json, const struct api_config *api, struct order *ret);

/* Parses text (len bytes, need not be NUL-terminated) as one JSON value
 * with nothing but blanks after it: the one parser of every JSON text that
 * carries orders (an order, a listing page, evaluate's input).  cJSON ends
 * a string at a decoded NUL, so "ORD-\u0000a" would read as "ORD-"; here a
 * \u0000 escape inside a string is read as \u0001 instead, so the string
 * keeps its length and holds a control character that the id checks
 * refuse.  text is not modified.  Returns 0 and a tree the caller frees
 * with cJSON_Delete(), -EBADMSG when it is not one JSON value, or -ENOMEM. */
int order_json_parse(const char *text, size_t len, cJSON **ret);

/* Parses text (len bytes, need not be NUL-terminated) as one order.
 * Returns 0, -EBADMSG when it is not a JSON object (or has trailing
 * garbage), -EFBIG past 1 MiB, or -ENOMEM. */
int order_parse(const char *text, size_t len, const struct api_config *api, struct order *ret);

/* An order_reader holds api.fields compiled once (split, unescaped, with
 * shared prefixes), for reading many orders fast; order_parse() and
 * order_from_json() compile one per call.  The reader borrows api, which
 * must outlive it.  order_reader_new() returns 0 or -ENOMEM;
 * order_reader_free() accepts NULL.  The two readers' functions behave as
 * order_from_json() and order_parse(). */
struct order_reader;
int order_reader_new(const struct api_config *api, struct order_reader **ret);
void order_reader_free(struct order_reader *rd);

/* Allocates the items of the orders rd reads from a (NULL: malloc(), the
 * default), to save a malloc() and free() per order where the caller
 * resets an arena after each one.  An order read so must be done with
 * order_done() before a's next reset. */
void order_reader_set_arena(struct order_reader *rd, struct arena *a);
int order_reader_from_json(const struct order_reader *rd, cJSON *json, struct order *ret);
int order_reader_parse(const struct order_reader *rd, const char *text, size_t len,
                       struct order *ret);

/* Frees what the order owns and zeroes it.  Safe on a zeroed order. */
void order_done(struct order *o);

/* Resolves an RFC 6901 pointer against json, matching object keys
 * case-insensitively; NULL when absent. */
const cJSON *json_pointer_get(const cJSON *json, const char *pointer);
