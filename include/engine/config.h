/* config.h: rules.yaml, parsed and validated into one immutable struct.
 * The daemon parses a new config on reload and swaps it in only when it is
 * valid; nothing here touches the network or the credentials. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

enum action {
        ACTION_APPROVE,
        ACTION_REJECT,
        ACTION_HOLD,
        _ACTION_MAX,
};

enum mode {
        MODE_ENFORCE,
        MODE_DRY_RUN,
};

/* Where each order field lives in AppXite's JSON, as RFC 6901 pointers.
 * ITEM_* pointers are relative to one element of the ORDER_ITEMS array. */
enum order_field {
        FIELD_ID, /* /id */
        FIELD_STATUS, /* /status */
        FIELD_CREATED_AT, /* /createdAt */
        FIELD_CUSTOMER_ID, /* /customer/id */
        FIELD_CUSTOMER_NAME, /* /customer/name */
        FIELD_COUNTRY, /* /customer/countryCode */
        FIELD_TOTAL, /* /price/total */
        FIELD_CURRENCY, /* /price/currency */
        FIELD_ITEMS, /* /items */
        FIELD_ITEM_SKU, /* /sku */
        FIELD_ITEM_OFFER_ID, /* /offerId */
        FIELD_ITEM_NAME, /* /name */
        FIELD_ITEM_QUANTITY, /* /quantity */
        FIELD_APPROVE_LINK, /* /links/approve */
        FIELD_REJECT_LINK, /* /links/reject */
        _FIELD_MAX,
};

/* The key under api.fields for each field ("customer_id"), and its default
 * pointer.  Both indexed by enum order_field. */
extern const char *const order_field_names[_FIELD_MAX];
extern const char *const order_field_defaults[_FIELD_MAX];

/* The longest text, in bytes, that the daemon journals from the config (a
 * rule's name and reason).  It equals the journal's per-string limit,
 * JOURNAL_STRING_MAX in journal.h, so that whatever `check`
 * accepts the journal can store. */
#define CONFIG_TEXT_MAX 1024

/* A position in rules.yaml (1-based), for messages. */
struct mark {
        unsigned line;
        unsigned column;
};

/* A named list from `lists:`. Entries are kept as written. */
struct list {
        char *name;
        char **entries;
        size_t n_entries;
        char *file; /* the resolved path when loaded from {file: ...}, else NULL */
        struct mark mark;
};

/* The value of customer / customer_name / country / currency / product:
 * either literal entries, or a reference to a named list ("@name"). */
struct values {
        char **entries;
        size_t n_entries;
        const struct list *list; /* set for "@name"; entries then empty */
        void *index; /* built by config_load() (matcher.h): O(1) lookups */
};

enum cond_kind {
        COND_CUSTOMER,
        COND_CUSTOMER_NAME,
        COND_COUNTRY,
        COND_CURRENCY,
        COND_TOTAL_ABOVE,
        COND_TOTAL_AT_MOST,
        COND_QUANTITY_ABOVE,
        COND_PRODUCT,
        COND_NEW_CUSTOMER,
        COND_ORDERS_WITHIN,
        COND_OVER_CREDIT_LIMIT,
        COND_ANY,
        COND_NOT,
        _COND_MAX,
};

struct when;

struct cond {
        enum cond_kind kind;
        struct mark mark;
        union {
                struct values values; /* customer, customer_name, country, currency, product */
                int64_t amount; /* total_above, total_at_most: minor units */
                int64_t quantity; /* quantity_above */
                bool flag; /* new_customer, over_credit_limit */
                struct {
                        int64_t window_s;
                        int64_t above;
                } within; /* orders_within */
                struct {
                        struct when *items;
                        size_t n_items;
                } any; /* any: at least one conjunction holds */
                struct when * not ; /* not: the conjunction does not hold */
        };
};

/* A condition map: all of its conditions must hold (none: always holds). */
struct when {
        struct cond *conds;
        size_t n_conds;
        struct mark mark;
};

struct rule {
        char *name;
        struct when when;
        enum action then;
        char *reason; /* as configured, or "rule '<name>'" when absent */
        struct mark mark;
};

struct limit {
        char currency[8]; /* upper case ISO 4217 code */
        int64_t amount; /* minor units */
};

struct limits {
        struct limit *items;
        size_t n_items;
};

struct customer_limits {
        char *customer_id;
        struct limits limits;
};

struct credit {
        int64_t window_s; /* default 30d */
        int64_t refresh_s; /* default 1h; 0: no refresh of approvals from the API */
        struct limits dflt;
        struct customer_limits *customers;
        size_t n_customers;
        void *index; /* built by config_load(): customer id -> limits */
};

/* How the pending listing goes from one page to the next (api.list.paging). */
enum list_paging {
        PAGING_PAGE, /* page_param numbered from 1, size_param */
        PAGING_OFFSET, /* offset_param counted from 0, size_param */
        PAGING_NEXT, /* the server's next link or token at the `next` pointer */
        _PAGING_MAX,
};

/* The statuses the daemon compares with (api.statuses).  Inside approvald
 * (the journal, the logs) they keep these canonical names; only the
 * requests and the answers use the configured ones. */
enum order_status {
        ORDER_STATUS_PENDING, /* "PendingApproval" */
        ORDER_STATUS_APPROVED, /* "Approved" */
        ORDER_STATUS_REJECTED, /* "Rejected" */
        _ORDER_STATUS_MAX,
};

enum client_auth {
        CLIENT_AUTH_BODY, /* client_id and client_secret in the form */
        CLIENT_AUTH_BASIC, /* HTTP Basic with id and secret */
        _CLIENT_AUTH_MAX,
};

/* One name=value pair sent URL-encoded (list query, token form). */
struct api_param {
        char *name;
        char *value;
};

struct api_params {
        struct api_param *v;
        size_t n;
};

struct list_config {
        char *path; /* default "/orders": relative to base_url */
        struct api_params query; /* default {status: statuses.pending} */
        bool query_set; /* given in the file (else the default above) */
        enum list_paging paging; /* default page */
        char *page_param; /* default "page" */
        char *size_param; /* default "pageSize" (page, offset); NULL: not sent (next) */
        char *offset_param; /* default "offset" */
        char *next; /* JSON Pointer, required by paging next; else NULL */
        char *next_param; /* optional, paging next: the token's query parameter */
        char *items; /* default "/items"; "" when the body is the array */
};

struct api_config {
        char *base_url; /* required */
        char *token_url; /* required */
        char *api_version; /* default "3.1" */
        char *referer; /* optional */
        char *on_behalf_of; /* optional */
        char *credentials_dir; /* NULL: $CREDENTIALS_DIRECTORY */
        char *ca_file; /* optional */
        int64_t timeout_ms; /* default 30000 */
        int64_t max_parallel; /* default 8, 1..64 */
        char *fields[_FIELD_MAX]; /* always set: override or default */
        struct list_config list;
        char *retrieve; /* default "/orders/{id}": one {id}, percent-encoded */
        char *statuses[_ORDER_STATUS_MAX]; /* always set */
        struct api_params token_form; /* extra token form fields */
        enum client_auth client_auth; /* default body */
};

/* The canonical name ("PendingApproval", "Approved", "Rejected") of the
 * status an answer carries under its configured name, or status itself
 * when it is none of them (NULL stays NULL). */
const char *config_status_canonical(const struct api_config *a, const char *status);

/* The canonical name of s. */
const char *order_status_name(enum order_status s);

struct poll_config {
        int64_t interval_ms; /* default 60000, >= 1000 */
        int64_t page_size; /* default 100, 1..500 */
};

/* metrics: where the daemon writes its Prometheus text file. */
struct metrics_config {
        char *textfile; /* an absolute path; NULL: no metrics file */
};

/* webhook: the OrderPendingApproval receiver (daemon-webhook.c). */
struct webhook_config {
        char *listen; /* NULL: no webhook; "systemd", or an address as written */
        bool systemd; /* listen: systemd: the socket passed by socket activation */
        struct sockaddr_storage addr; /* else the address to bind */
        unsigned addr_len;
        char *path; /* default "/webhook" when listen is set */
};

/* The events a notification target may ask for (notify.events). */
enum notify_kind {
        NOTIFY_HOLD, /* an order held for a person */
        NOTIFY_REJECT, /* an order rejected by the rules */
        NOTIFY_MANUAL, /* a person decided an order (approvald approve|reject) */
        NOTIFY_STALE_HOLD, /* a hold has waited holds.remind_after */
        NOTIFY_API_DOWN, /* the API unreachable for notify.api_down_after */
        NOTIFY_TIMEOUT, /* a hold decided by holds.timeout */
        _NOTIFY_KIND_MAX,
};

/* The name of each event in rules.yaml and in the body ("stale_hold"). */
extern const char *const notify_kind_names[_NOTIFY_KIND_MAX];

/* A header sent with each notification; its value is the content of a
 * file in the credentials folder, read by the daemon, never by `check`. */
struct notify_header {
        char *name; /* an HTTP token ("Authorization") */
        char *credential; /* a file name in the credentials folder */
};

struct notify_target {
        char *url; /* https, or http to a loopback address */
        unsigned events; /* bit (1u << enum notify_kind) for each event wanted */
        struct notify_header *headers;
        size_t n_headers;
        struct mark mark;
};

/* notify: where the daemon posts what a person should know. */
struct notify_config {
        struct notify_target *targets;
        size_t n_targets;
        int64_t api_down_after_s; /* default 600 */
};

/* holds: deadlines for the orders held for a person. */
struct holds_config {
        int64_t remind_after_s; /* 0: no reminder (the default) */
        int64_t timeout_s; /* 0: no timeout (the default) */
        enum action timeout_then; /* approve or reject */
        char *timeout_reason; /* set when timeout_s is: as configured or a default */
};

/* The rule name journaled with a decision by holds.timeout ("timeout:48h")
 * and with a person's ("manual:LOGIN"): rule names in rules.yaml may not
 * start with these, so the journal tells the three apart. */
#define CONFIG_RULE_TIMEOUT_PREFIX "timeout:"
#define CONFIG_RULE_MANUAL_PREFIX "manual:"

struct config {
        char *path;
        int64_t version;
        struct api_config api;
        struct poll_config poll;
        struct webhook_config webhook;
        enum mode mode;
        struct list *lists;
        size_t n_lists;
        struct credit credit;
        struct rule *rules;
        size_t n_rules;
        enum action dflt; /* default: hold */
        struct metrics_config metrics;
        struct notify_config notify;
        struct holds_config holds;
};

/* Reads and validates a rules file (and the list files it names).  Every
 * problem is written to `errors` as one line "FILE:LINE:COLUMN: message"
 * (errors may be NULL).  Returns 0 and a config the caller frees with
 * config_free(); -EINVAL when the file has problems (all reported);
 * -errno when it cannot be read (also reported). The file is never modified. */
int config_load(const char *path, FILE *errors, struct config **ret);

/* config_load_flags(): also refuse every file the daemon opens itself (the
 * rules file, list files, ca_file) that the service's DynamicUser could
 * not read (service-view.h), for `check --for-service`. */
#define CONFIG_FOR_SERVICE (1u << 0)

/* As config_load(), with CONFIG_* flags. */
int config_load_flags(const char *path, FILE *errors, unsigned flags, struct config **ret);

/* Frees a config and everything it owns (indexes too).  Accepts NULL. */
void config_free(struct config *c);

/* Parses the text of a list file (size bytes, need not be NUL-terminated)
 * into l's entries: one entry a line; '#' at the start of a line or after a
 * blank starts a comment; surrounding blanks and blank lines are ignored.
 * l must have no entries yet.  Returns 0, -EINVAL when the text holds a NUL
 * byte, or -ENOMEM; entries already added stay in l for config_free() or
 * the caller to free. */
int config_list_parse(const char *text, size_t size, struct list *l);

/* Looks up a named list; NULL when none has that name. */
const struct list *config_find_list(const struct config *c, const char *name);

const char *action_to_string(enum action a);
int action_from_string(const char *s, enum action *ret);

/* As config_load(), for a rules file already in memory (size bytes, need
 * not be NUL-terminated).  path names it in messages and locates relative
 * list files. */
int config_load_buffer(const char *path, const char *buf, size_t size, FILE *errors,
                       struct config **ret);
