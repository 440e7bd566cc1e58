/* sb-order.h: one order as the sandbox keeps it (amounts in cents), its JSON
 * form, and the parser shared by the create operation and --orders files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util.h"

#define SB_ID_MAX 64
#define SB_TEXT_MAX 256
#define SB_ITEMS_MAX 1000
#define SB_QUANTITY_MAX INT64_C(1000000)
#define SB_REASON_MAX 500

enum sb_status {
        SB_STATUS_PENDING,
        SB_STATUS_APPROVED,
        SB_STATUS_REJECTED,
        _SB_STATUS_MAX,
};

/* The parties that may have to approve an order (sb-tiers.h). */
enum sb_party {
        SB_PARTY_DISTRIBUTOR,
        SB_PARTY_SELLER,
        _SB_PARTY_MAX,
};

struct sb_item {
        char *offer_id, *sku, *name, *billing_frequency, *term_duration;
        int64_t quantity;
        int64_t unit_cents;
        int64_t total_cents;
};

struct sb_order {
        char id[SB_ID_MAX];
        enum sb_status status;
        int64_t created_at; /* seconds since the epoch */
        char *customer_id, *customer_name, *country_code, *domain;
        char currency[4];
        int64_t total_cents;
        struct sb_item *items;
        size_t n_items;
        char *rejection_reason;
        enum sb_status approvals[_SB_PARTY_MAX]; /* each party's own decision */
        bool foreign; /* approve/reject links point at the foreign listener */
        unsigned approve_calls, reject_calls;
};

/* The API's status names ("PendingApproval"), or with lower the
 * lower-case ones of the next shape ("pending"). */
const char *sb_status_to_string(enum sb_status s);
const char *sb_status_name(enum sb_status s, bool lower);
/* Returns the status, or -EINVAL for an unknown name. */
int sb_status_from_string(const char *s);
int sb_status_from_name(const char *s, bool lower);

/* A party's decision as the approvals list shows it ("Pending"...). */
const char *sb_party_status_name(enum sb_status s, bool lower);

/* How orders are shown: the links' origin and path, the status names and
 * the approvals list. */
struct sb_view {
        const char *origin; /* e.g. "http://127.0.0.1:8080" */
        const char *prefix; /* the orders' path, "/orders" */
        bool lower; /* lower-case status names */
        const enum sb_party *parties; /* listed as "approvals" when n_parties > 1 */
        size_t n_parties;
};

void sb_order_free(struct sb_order *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sb_order *, sb_order_free);

/* Which fields a JSON order must carry. */
enum sb_order_source {
        SB_ORDER_CREATE, /* body of POST /orders: server sets id, status, createdAt */
        SB_ORDER_FILE, /* entry of an --orders file: id and createdAt required too */
};

/* Builds an order from JSON.  Returns 0 and a new order the caller owns, or
 * -EINVAL with a static explanation in *ret_why (bad shape, missing customer
 * id, no items, quantity below 1, negative price), or -ERANGE for amounts out
 * of range, -ENOMEM. */
int sb_order_from_json(const cJSON *j, enum sb_order_source source, struct sb_order **ret,
                       const char **ret_why);

/* Parses a create body (not NUL-terminated, at most len bytes); as above. */
int sb_order_parse_create(const char *body, size_t len, struct sb_order **ret,
                          const char **ret_why);

/* Returns the order as JSON shown through view, or NULL on allocation
 * failure; caller frees. */
cJSON *sb_order_render(const struct sb_order *o, const struct sb_view *view);

/* The same in the default view: absolute links on origin (e.g.
 * "http://127.0.0.1:8080") under /orders, the API's status names, no
 * approvals list. */
cJSON *sb_order_to_json(const struct sb_order *o, const char *origin);

/* Adds a JSON number with the amount's exact decimal text; returns false on
 * allocation failure. */
bool sb_json_add_money(cJSON *obj, const char *name, int64_t cents);

/* Whether JSON text (already parsed fine) holds a \u0000 escape: cJSON
 * decodes it into a NUL that silently ends the C string, so a body with one
 * is refused rather than stored cut short. */
bool sb_json_has_nul(const char *text, size_t len);

/* Counts the code points in s, or returns SIZE_MAX when s is not
 * well-formed UTF-8 (cJSON passes such bytes through unchecked). */
size_t sb_utf8_length(const char *s);
