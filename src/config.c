/* config.c: rules.yaml's schema.  Each mapping of the file is a table of
 * keys, each key a parser that writes one field; the walk reports every
 * problem it meets and keeps going, so `approvald check` lists them all.
 * A config is built fresh and handed out only when it has no problem. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-yaml.h"
#include "config.h"
#include "fileio.h"
#include "matcher.h"
#include "money.h"
#include "service-view.h"
#include "strset.h"
#include "timeutil.h"
#include "util.h"

#define RULES_FILE_MAX (4u * 1024 * 1024)
#define LIST_FILE_MAX (16u * 1024 * 1024)
#define WHEN_DEPTH_MAX 16u

const char *const order_field_names[_FIELD_MAX] = {
        [FIELD_ID] = "id",
        [FIELD_STATUS] = "status",
        [FIELD_CREATED_AT] = "created_at",
        [FIELD_CUSTOMER_ID] = "customer_id",
        [FIELD_CUSTOMER_NAME] = "customer_name",
        [FIELD_COUNTRY] = "country",
        [FIELD_TOTAL] = "total",
        [FIELD_CURRENCY] = "currency",
        [FIELD_ITEMS] = "items",
        [FIELD_ITEM_SKU] = "item_sku",
        [FIELD_ITEM_OFFER_ID] = "item_offer_id",
        [FIELD_ITEM_NAME] = "item_name",
        [FIELD_ITEM_QUANTITY] = "item_quantity",
        [FIELD_APPROVE_LINK] = "approve_link",
        [FIELD_REJECT_LINK] = "reject_link",
};

const char *const order_field_defaults[_FIELD_MAX] = {
        [FIELD_ID] = "/id",
        [FIELD_STATUS] = "/status",
        [FIELD_CREATED_AT] = "/createdAt",
        [FIELD_CUSTOMER_ID] = "/customer/id",
        [FIELD_CUSTOMER_NAME] = "/customer/name",
        [FIELD_COUNTRY] = "/customer/countryCode",
        [FIELD_TOTAL] = "/price/total",
        [FIELD_CURRENCY] = "/price/currency",
        [FIELD_ITEMS] = "/items",
        [FIELD_ITEM_SKU] = "/sku",
        [FIELD_ITEM_OFFER_ID] = "/offerId",
        [FIELD_ITEM_NAME] = "/name",
        [FIELD_ITEM_QUANTITY] = "/quantity",
        [FIELD_APPROVE_LINK] = "/links/approve",
        [FIELD_REJECT_LINK] = "/links/reject",
};

static const char *const action_names[_ACTION_MAX] = {
        [ACTION_APPROVE] = "approve",
        [ACTION_REJECT] = "reject",
        [ACTION_HOLD] = "hold",
};

const char *action_to_string(enum action a)
{
        if ((unsigned)a >= _ACTION_MAX)
                return NULL;
        return action_names[a];
}

int action_from_string(const char *s, enum action *ret)
{
        for (size_t i = 0; i < _ACTION_MAX; i++)
                if (s && streq(s, action_names[i])) {
                        *ret = (enum action)i;
                        return 0;
                }
        return -EINVAL;
}

/* ---- freeing ------------------------------------------------------------ */

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void when_done(struct when *w);

static void cond_done(struct cond *c)
{
        switch (c->kind) {
        case COND_CUSTOMER:
        case COND_CUSTOMER_NAME:
        case COND_COUNTRY:
        case COND_CURRENCY:
        case COND_PRODUCT:
                values_index_free(&c->values);
                strv_free(c->values.entries, c->values.n_entries);
                break;
        case COND_ANY:
                for (size_t i = 0; i < c->any.n_items; i++)
                        when_done(&c->any.items[i]);
                free(c->any.items);
                break;
        case COND_NOT:
                if (c->not ) {
                        when_done(c->not );
                        free(c->not );
                }
                break;
        default:
                break;
        }
}

static void when_done(struct when *w)
{
        for (size_t i = 0; i < w->n_conds; i++)
                cond_done(&w->conds[i]);
        free(w->conds);
        w->conds = NULL;
        w->n_conds = 0;
}

static void credit_done(struct credit *c)
{
        credit_index_free(c);
        free(c->dflt.items);
        for (size_t i = 0; i < c->n_customers; i++) {
                free(c->customers[i].customer_id);
                free(c->customers[i].limits.items);
        }
        free(c->customers);
}

static void params_free(struct api_params *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].name);
                free(p->v[i].value);
        }
        free(p->v);
        *p = (struct api_params){ 0 };
}

static void api_done(struct api_config *a)
{
        free(a->base_url);
        free(a->token_url);
        free(a->api_version);
        free(a->referer);
        free(a->on_behalf_of);
        free(a->credentials_dir);
        free(a->ca_file);
        for (size_t i = 0; i < _FIELD_MAX; i++)
                free(a->fields[i]);
        free(a->list.path);
        params_free(&a->list.query);
        free(a->list.page_param);
        free(a->list.size_param);
        free(a->list.offset_param);
        free(a->list.next);
        free(a->list.next_param);
        free(a->list.items);
        free(a->retrieve);
        for (size_t i = 0; i < _ORDER_STATUS_MAX; i++)
                free(a->statuses[i]);
        params_free(&a->token_form);
}

static void notify_done(struct notify_config *n)
{
        for (size_t i = 0; i < n->n_targets; i++) {
                struct notify_target *t = &n->targets[i];

                free(t->url);
                for (size_t j = 0; j < t->n_headers; j++) {
                        free(t->headers[j].name);
                        free(t->headers[j].credential);
                }
                free(t->headers);
        }
        free(n->targets);
}

void config_free(struct config *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_rules; i++) {
                free(c->rules[i].name);
                when_done(&c->rules[i].when);
                free(c->rules[i].reason);
        }
        free(c->rules);
        for (size_t i = 0; i < c->n_lists; i++) {
                free(c->lists[i].name);
                strv_free(c->lists[i].entries, c->lists[i].n_entries);
                free(c->lists[i].file);
        }
        free(c->lists);
        credit_done(&c->credit);
        api_done(&c->api);
        free(c->metrics.textfile);
        free(c->webhook.listen);
        free(c->webhook.path);
        notify_done(&c->notify);
        free(c->holds.timeout_reason);
        free(c->path);
        free(c);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free);

const struct list *config_find_list(const struct config *c, const char *name)
{
        for (size_t i = 0; c && name && i < c->n_lists; i++)
                if (streq(c->lists[i].name, name))
                        return &c->lists[i];
        return NULL;
}

/* ---- the parse context and generic tables ------------------------------- */

struct ctx {
        struct yctx y;
        struct config *c;
        char *dir; /* rules.yaml's folder, for relative list files */
        unsigned flags; /* CONFIG_FOR_SERVICE */
        int oom; /* -ENOMEM once an allocation failed */
};

struct key_spec;
typedef void (*parse_fn)(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base);

struct key_spec {
        const char *key;
        parse_fn parse;
        size_t offset;
        int64_t min, max;
        bool required;
        int kind; /* conditions: enum cond_kind */
};

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

static void *oom(struct ctx *x, void *p)
{
        if (!p)
                x->oom = -ENOMEM;
        return p;
}

/* Grows *array (of *n elements of size) by one zeroed element. */
static void *grow_one(struct ctx *x, void *array_ptr, size_t *n, size_t size)
{
        void **array = array_ptr;
        char *a = realloc(*array, (*n + 1) * size);

        if (!oom(x, a))
                return NULL;
        memset(a + *n * size, 0, size);
        *array = a;
        return a + (*n)++ * size;
}

/* Reports an unknown key, with the closest known one as a hint; returns
 * the hint's index in specs, or n when there is none. */
static size_t report_unknown(struct ctx *x, const yaml_node_t *key, const char *noun,
                             const char *section, const struct key_spec *specs, size_t n)
{
        const char *names[32] = { 0 };
        const char *word = (const char *)key->data.scalar.value;
        const char *hint;

        for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++)
                names[i] = specs[i].key;
        hint = ysuggest(word, names, n < ELEMENTSOF(names) ? n : ELEMENTSOF(names));
        if (hint)
                yerror(&x->y, key, "unknown %s '%s'%s%s%s (did you mean '%s'?)", noun, word,
                       section ? " in '" : "", section ?: "", section ? "'" : "", hint);
        else
                yerror(&x->y, key, "unknown %s '%s'%s%s%s", noun, word, section ? " in '" : "",
                       section ?: "", section ? "'" : "");
        for (size_t i = 0; hint && i < n; i++)
                if (specs[i].key == hint)
                        return i;
        return n;
}

/* Returns the key's text after the checks every mapping shares: a scalar,
 * not seen before in this mapping. NULL when reported. */
static const char *mapping_key(struct ctx *x, const yaml_node_t *key, struct strset *seen)
{
        const char *k;

        if (key->type != YAML_SCALAR_NODE ||
            strlen((const char *)key->data.scalar.value) != key->data.scalar.length) {
                yerror(&x->y, key, "keys must be plain strings");
                return NULL;
        }
        k = (const char *)key->data.scalar.value;
        if (strset_get(seen, k, NULL)) {
                yerror(&x->y, key, "duplicate key '%s'", k);
                return NULL;
        }
        if (strset_put(seen, k, NULL) < 0)
                x->oom = -ENOMEM;
        return k;
}

static bool expect_mapping(struct ctx *x, const yaml_node_t *n, const char *what)
{
        if (n->type == YAML_MAPPING_NODE)
                return true;
        yerror(&x->y, n, "'%s' must be a mapping, not %s", what, ykind(n));
        return false;
}

static bool expect_list(struct ctx *x, const yaml_node_t *n, const char *what)
{
        if (n->type == YAML_SEQUENCE_NODE)
                return true;
        yerror(&x->y, n, "'%s' must be a list, not %s", what, ykind(n));
        return false;
}

/* Walks one mapping through its table.  section names it in messages
 * ("api"); noun is "key" or "condition". */
static void parse_mapping(struct ctx *x, const yaml_node_t *n, const char *section,
                          const char *noun, const struct key_spec *specs, size_t n_specs,
                          void *base)
{
        bool found[32] = { false };
        struct strset seen;

        if (section ? !expect_mapping(x, n, section) : n->type != YAML_MAPPING_NODE)
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *k = mapping_key(x, key, &seen);
                size_t i;

                if (!k)
                        continue;
                for (i = 0; i < n_specs; i++)
                        if (streq(k, specs[i].key))
                                break;
                if (i == n_specs) {
                        /* A likely typo of a required key already says
                         * what is wrong: do not also call that key missing. */
                        i = report_unknown(x, key, noun, section, specs, n_specs);
                        if (i < ELEMENTSOF(found))
                                found[i] = true;
                        continue;
                }
                if (i < ELEMENTSOF(found))
                        found[i] = true;
                specs[i].parse(x, value, &specs[i], base);
        }
        strset_done(&seen);
        for (size_t i = 0; i < n_specs && i < ELEMENTSOF(found); i++)
                if (specs[i].required && !found[i]) {
                        if (section)
                                yerror(&x->y, n, "missing required key '%s' in '%s'", specs[i].key,
                                       section);
                        else
                                yerror(&x->y, n, "missing required key '%s'", specs[i].key);
                }
}

/* ---- scalar parsers ----------------------------------------------------- */

static void p_string(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        char **field = FIELD(base, k, char *);
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a string", &v))
                return;
        if (!*v) {
                yerror(&x->y, n, "'%s' must not be empty", k->key);
                return;
        }
        free(*field);
        *field = oom(x, strdup(v));
}

/* A string the daemon journals with each decision it makes by the rule. */
static void p_text(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a string", &v))
                return;
        if (strlen(v) > CONFIG_TEXT_MAX) {
                yerror(&x->y, n, "'%s' is %zu bytes long: the journal keeps at most %u", k->key,
                       strlen(v), CONFIG_TEXT_MAX);
                return;
        }
        p_string(x, n, k, base);
}

/* http or https, then a host: no credentials, no spaces. */
static bool url_valid(const char *v)
{
        size_t host_len;
        const char *rest;

        if (strncasecmp(v, "https://", 8) == 0)
                rest = v + 8;
        else if (strncasecmp(v, "http://", 7) == 0)
                rest = v + 7;
        else
                return false;
        host_len = strcspn(rest, "/?#");
        if (host_len == 0 || rest[0] == ':' || memchr(rest, '@', host_len))
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

static bool url_valid_scalar(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                             const char **ret)
{
        if (!yscalar(&x->y, n, k->key, "a URL", ret))
                return false;
        if (!url_valid(*ret)) {
                yerror(&x->y, n, "'%s' must be an http or https URL with a host, not '%s'", k->key,
                       *ret);
                return false;
        }
        return true;
}

static void p_url(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v;

        if (url_valid_scalar(x, n, k, &v))
                p_string(x, n, k, base);
}

/* The host of a URL url_valid() accepted: after the scheme, before the
 * port and the path; IPv6 addresses keep their brackets. */
static char *url_host(const char *url)
{
        const char *h = strstr(url, "://") + 3;
        size_t len = strcspn(h, "/?#");

        if (h[0] == '[') {
                const char *close = memchr(h, ']', len);

                return close ? strndup(h, (size_t)(close - h) + 1) : strndup(h, len);
        }
        return strndup(h, strcspn(h, ":/?#"));
}

/* A loopback host: localhost, ::1, or an IPv4 address in 127.0.0.0/8
 * written out in full.  As api_check_url() decides, or stricter. */
static bool host_is_loopback(const char *host)
{
        struct in_addr a4;

        if (strcasecmp(host, "localhost") == 0 || streq(host, "[::1]"))
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        return false;
}

/* base_url and token_url carry the token and the orders: https, or http
 * only to this machine.  Checked here rather than by the API client so
 * that check, a start and a reload refuse the same files, located. */
#define LOOPBACK_ONLY                                                                              \
        "http is allowed only to a loopback address (127.0.0.0/8, ::1, localhost); use https"

/* The host of url (which url_valid() accepted) when it is plain http to a
 * host that is not this machine's, for the message; else NULL (https, a
 * loopback host, or out of memory: x->oom says so).  The caller frees. */
static char *http_off_loopback(struct ctx *x, const char *url)
{
        char *host;

        if (strncasecmp(url, "http://", 7) != 0)
                return NULL;
        host = oom(x, url_host(url));
        if (host && host_is_loopback(host)) {
                free(host);
                return NULL;
        }
        return host;
}

static void p_api_url(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        _cleanup_free_ char *host = NULL;
        const char *v;

        if (!url_valid_scalar(x, n, k, &v))
                return;
        host = http_off_loopback(x, v);
        if (host) {
                /* The daemon's wording from before this check moved here. */
                yerror(&x->y, n, "api.%s %s: " LOOPBACK_ONLY, k->key, v);
                return;
        }
        p_string(x, n, k, base);
}

static bool scalar_int(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, int64_t *ret)
{
        const char *v;
        int64_t i;

        if (!yscalar(&x->y, n, k->key, "an integer", &v))
                return false;
        if (safe_atoi64(v, &i) < 0 || i < k->min || i > k->max) {
                if (k->max == INT64_MAX)
                        yerror(&x->y, n, "'%s' must be an integer of at least %lld, not '%s'",
                               k->key, (long long)k->min, v);
                else
                        yerror(&x->y, n, "'%s' must be an integer from %lld to %lld, not '%s'",
                               k->key, (long long)k->min, (long long)k->max, v);
                return false;
        }
        *ret = i;
        return true;
}

static void p_int(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        int64_t i;

        if (scalar_int(x, n, k, &i))
                *FIELD(base, k, int64_t) = i;
}

static bool scalar_duration(struct ctx *x, const yaml_node_t *n, const char *what, int64_t *ret_s)
{
        const char *v;

        if (!yscalar(&x->y, n, what, "a duration", &v))
                return false;
        if (duration_parse(v, ret_s) < 0) {
                yerror(&x->y, n,
                       "'%s' is not a valid duration '%s': use a positive whole number and "
                       "s, m, h or d, such as 90s, 15m, 24h or 30d",
                       what, v);
                return false;
        }
        return true;
}

static void p_duration_s(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        int64_t s;

        if (scalar_duration(x, n, k->key, &s))
                *FIELD(base, k, int64_t) = s;
}

/* A duration, or 0 to turn the feature off. */
static void p_duration_s_or_off(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                                void *base)
{
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 1 &&
            n->data.scalar.value[0] == '0') {
                *FIELD(base, k, int64_t) = 0;
                return;
        }
        p_duration_s(x, n, k, base);
}

static void p_duration_ms(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        int64_t s;

        if (scalar_duration(x, n, k->key, &s))
                *FIELD(base, k, int64_t) = s * 1000;
}

static bool scalar_amount(struct ctx *x, const yaml_node_t *n, const char *what, int64_t *ret)
{
        const char *v;
        int64_t a;

        if (!yscalar(&x->y, n, what, "an amount", &v))
                return false;
        if (money_parse(v, &a) < 0) {
                yerror(&x->y, n,
                       "'%s' is not a valid amount '%s': use a decimal number with at most "
                       "two decimals, such as 1000 or 1000.50",
                       what, v);
                return false;
        }
        if (a < 0) {
                yerror(&x->y, n, "'%s' must not be negative, not '%s'", what, v);
                return false;
        }
        *ret = a;
        return true;
}

static bool scalar_bool(struct ctx *x, const yaml_node_t *n, const char *what, bool *ret)
{
        const char *v;

        if (!yscalar(&x->y, n, what, "true or false", &v))
                return false;
        if (streq(v, "true") || streq(v, "True") || streq(v, "TRUE"))
                *ret = true;
        else if (streq(v, "false") || streq(v, "False") || streq(v, "FALSE"))
                *ret = false;
        else {
                yerror(&x->y, n, "'%s' must be true or false, not '%s'", what, v);
                return false;
        }
        return true;
}

/* Accepts one of names[0..n) and writes its index; reports with a hint. */
static bool scalar_enum(struct ctx *x, const yaml_node_t *n, const char *what,
                        const char *const *names, size_t n_names, const char *choices, int *ret)
{
        const char *v, *hint;

        if (!yscalar(&x->y, n, what, choices, &v))
                return false;
        for (size_t i = 0; i < n_names; i++)
                if (streq(v, names[i])) {
                        *ret = (int)i;
                        return true;
                }
        hint = ysuggest(v, names, n_names);
        if (hint)
                yerror(&x->y, n, "unknown %s '%s' (did you mean '%s'?)", what, v, hint);
        else
                yerror(&x->y, n, "unknown %s '%s': use %s", what, v, choices);
        return false;
}

static void p_action(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        int i;

        if (scalar_enum(x, n, "action", action_names, _ACTION_MAX, "approve, reject or hold", &i))
                *FIELD(base, k, enum action) = (enum action)i;
}

static void p_mode(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        static const char *const modes[] = {
                [MODE_ENFORCE] = "enforce", [MODE_DRY_RUN] = "dry-run"
        };
        int i;

        if (scalar_enum(x, n, "mode", modes, ELEMENTSOF(modes), "enforce or dry-run", &i))
                *FIELD(base, k, enum mode) = (enum mode)i;
}

static void p_version(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v;

        if (!yscalar(&x->y, n, k->key, "1", &v))
                return;
        if (!streq(v, "1")) {
                yerror(&x->y, n, "unsupported version '%s': this approvald reads version 1", v);
                return;
        }
        *FIELD(base, k, int64_t) = 1;
}

static void p_ignore(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
}

/* ---- files the daemon opens itself ---------------------------------- */

/* Why a file the daemon opens itself cannot be used, for a message that
 * begins with what it is ("list file 'x'"): "is a FIFO, not a regular
 * file", ": No such file or directory"...  mode is the refused file's. */
static void file_problem(int r, mode_t mode, size_t max, char *buf, size_t size)
{
        if (r == -EISDIR || r == -ENODEV)
                snprintf(buf, size, " is %s, not a regular file", fileio_kind(mode));
        else if (r == -EFBIG)
                snprintf(buf, size, " is larger than %zu MiB", max >> 20);
        else
                snprintf(buf, size, " cannot be read: %s", strerror(-r));
}

/* With CONFIG_FOR_SERVICE: reports (at n) a file that the service's
 * DynamicUser could not read.  what names it ("list file"). */
static void check_service_can_read(struct ctx *x, const yaml_node_t *n, const char *what,
                                   const char *shown, const char *path)
{
        _cleanup_free_ char *blocker = NULL;
        bool folder = false;
        int r;

        if (!(x->flags & CONFIG_FOR_SERVICE))
                return;
        r = service_view_can_read(path, &blocker, &folder);
        if (r == -ENOMEM)
                x->oom = r;
        else if (r == -EACCES)
                yerror(&x->y, n,
                       "the service cannot read %s '%s': '%s' is closed to others, and the "
                       "service runs as a DynamicUser%s",
                       what, shown, blocker,
                       folder ? " (chmod o+x on that folder)" : " (chmod o+r)");
        else if (r < 0)
                yerror(&x->y, n, "the service cannot read %s '%s': %s", what, shown, strerror(-r));
}

/* ca_file must exist and be readable now: curl would only fail at the
 * first request, long after a start or reload that looked fine. */
static void p_ca_file(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        char why[128];
        const char *v;
        mode_t mode = 0;
        int fd;

        if (!yscalar(&x->y, n, k->key, "a path", &v))
                return;
        if (*v) {
                fd = fileio_open_regular(v, false, &mode);
                if (fd < 0) {
                        file_problem(fd, mode, 0, why, sizeof(why));
                        yerror(&x->y, n, "ca_file '%s'%s", v, why);
                        return;
                }
                close(fd);
                check_service_can_read(x, n, "ca_file", v, v);
        }
        p_string(x, n, k, base);
}

/* ---- api and poll ------------------------------------------------------- */

/* RFC 6901: "/" then reference tokens where '~' escapes only 0 and 1. */
static bool json_pointer_valid(const char *p)
{
        if (p[0] != '/')
                return false;
        for (; *p; p++)
                if (*p == '~' && p[1] != '0' && p[1] != '1')
                        return false;
        return true;
}

static void p_fields(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        char **fields = FIELD(base, k, char *);
        struct strset seen;

        if (!expect_mapping(x, n, "fields"))
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *name = mapping_key(x, key, &seen), *ptr, *hint;
                size_t f;

                if (!name)
                        continue;
                for (f = 0; f < _FIELD_MAX; f++)
                        if (streq(name, order_field_names[f]))
                                break;
                if (f == _FIELD_MAX) {
                        hint = ysuggest(name, order_field_names, _FIELD_MAX);
                        if (hint)
                                yerror(&x->y, key, "unknown order field '%s' (did you mean '%s'?)",
                                       name, hint);
                        else
                                yerror(&x->y, key, "unknown order field '%s'", name);
                        continue;
                }
                if (!yscalar(&x->y, value, name, "a JSON Pointer", &ptr))
                        continue;
                if (!json_pointer_valid(ptr)) {
                        yerror(&x->y, value,
                               "'%s' must be a JSON Pointer starting with '/', not '%s'", name,
                               ptr);
                        continue;
                }
                free(fields[f]);
                fields[f] = oom(x, strdup(ptr));
        }
        strset_done(&seen);
}

/* ---- api.list, api.retrieve, api.statuses, api.token ------------------ */

static const char *const paging_names[] = {
        [PAGING_PAGE] = "page", [PAGING_OFFSET] = "offset", [PAGING_NEXT] = "next"
};
static const char *const status_keys[] = {
        [ORDER_STATUS_PENDING] = "pending",
        [ORDER_STATUS_APPROVED] = "approved",
        [ORDER_STATUS_REJECTED] = "rejected",
};
static const char *const status_canonical[] = {
        [ORDER_STATUS_PENDING] = "PendingApproval",
        [ORDER_STATUS_APPROVED] = "Approved",
        [ORDER_STATUS_REJECTED] = "Rejected",
};
/* Form fields approvald sends itself: api.token.form cannot replace them. */
static const char *const token_own_fields[] = { "grant_type", "client_id", "client_secret" };

const char *order_status_name(enum order_status st)
{
        assert(st >= 0 && st < _ORDER_STATUS_MAX);
        return status_canonical[st];
}

const char *config_status_canonical(const struct api_config *a, const char *status)
{
        assert(a);
        for (size_t i = 0; status && i < _ORDER_STATUS_MAX; i++)
                if (a->statuses[i] && streq(status, a->statuses[i]))
                        return status_canonical[i];
        return status;
}

/* A mapping of names to string values (a number or a boolean is taken as
 * written).  what names it in messages ("query"). */
static void parse_params(struct ctx *x, const yaml_node_t *n, const char *what,
                         struct api_params *ret)
{
        struct strset seen;

        params_free(ret);
        if (!expect_mapping(x, n, what))
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *name = mapping_key(x, key, &seen), *v;
                struct api_param *a;

                if (!name || !yscalar(&x->y, value, name, "a string", &v))
                        continue;
                if (!*name) {
                        yerror(&x->y, key, "'%s': a parameter name must not be empty", what);
                        continue;
                }
                a = grow_one(x, &ret->v, &ret->n, sizeof(*a));
                if (!a)
                        break;
                a->name = oom(x, strdup(name));
                a->value = oom(x, strdup(v));
        }
        strset_done(&seen);
}

static void p_query(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct list_config *l = base;

        parse_params(x, n, k->key, &l->query);
        l->query_set = true;
}

static void p_paging(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        int i;

        if (scalar_enum(x, n, "paging", paging_names, _PAGING_MAX, "page, offset or next", &i))
                *FIELD(base, k, enum list_paging) = (enum list_paging)i;
}

/* A path below base_url: "/" and no query, fragment or blank. */
static void p_path(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a path", &v))
                return;
        if (v[0] != '/' || v[strcspn(v, "?# \t\r\n")] != 0) {
                yerror(&x->y, n,
                       "'%s' must be a path starting with '/' without '?', '#' or blanks, not "
                       "'%s'",
                       k->key, v);
                return;
        }
        p_string(x, n, k, base);
}

/* A JSON Pointer; with k->min, also "" (the whole body). */
static void p_pointer(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        char **field = FIELD(base, k, char *);
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a JSON Pointer", &v))
                return;
        if (!(k->min && !*v) && !json_pointer_valid(v)) {
                yerror(&x->y, n, "'%s' must be a JSON Pointer starting with '/'%s, not '%s'",
                       k->key, k->min ? " (or \"\" for the whole body)" : "", v);
                return;
        }
        free(*field);
        *field = oom(x, strdup(v));
}

static const struct key_spec list_keys[] = {
        { .key = "path", .parse = p_path, .offset = offsetof(struct list_config, path) },
        { .key = "query", .parse = p_query },
        { .key = "paging", .parse = p_paging, .offset = offsetof(struct list_config, paging) },
        { .key = "page_param",
          .parse = p_string,
          .offset = offsetof(struct list_config, page_param) },
        { .key = "size_param",
          .parse = p_string,
          .offset = offsetof(struct list_config, size_param) },
        { .key = "offset_param",
          .parse = p_string,
          .offset = offsetof(struct list_config, offset_param) },
        { .key = "next", .parse = p_pointer, .offset = offsetof(struct list_config, next) },
        { .key = "next_param",
          .parse = p_string,
          .offset = offsetof(struct list_config, next_param) },
        { .key = "items",
          .parse = p_pointer,
          .offset = offsetof(struct list_config, items),
          .min = 1 },
};

/* Which paging each key belongs to (-1: any). */
static int list_key_paging(const char *key)
{
        if (streq(key, "page_param"))
                return PAGING_PAGE;
        if (streq(key, "offset_param"))
                return PAGING_OFFSET;
        if (streq(key, "next") || streq(key, "next_param"))
                return PAGING_NEXT;
        return -1;
}

/* Where api.list.query names parameter name (the list mapping n itself
 * when not found), for a located message. */
static const yaml_node_t *query_key(struct ctx *x, const yaml_node_t *n, const char *name)
{
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *k = ynode(&x->y, p->key), *q = ynode(&x->y, p->value);

                if (k->type != YAML_SCALAR_NODE ||
                    !streq((const char *)k->data.scalar.value, "query") ||
                    q->type != YAML_MAPPING_NODE)
                        continue;
                for (yaml_node_pair_t *e = q->data.mapping.pairs.start;
                     e < q->data.mapping.pairs.top; e++) {
                        const yaml_node_t *ek = ynode(&x->y, e->key);

                        if (ek->type == YAML_SCALAR_NODE &&
                            streq((const char *)ek->data.scalar.value, name))
                                return ek;
                }
        }
        return n;
}

/* The keys must fit the chosen paging; the paging's parameters must
 * differ from each other and from the query's. */
static void check_list(struct ctx *x, const yaml_node_t *n, const struct list_config *l)
{
        const char *own[] = { l->paging == PAGING_PAGE     ? l->page_param
                              : l->paging == PAGING_OFFSET ? l->offset_param
                                                           : l->next_param,
                              l->size_param };

        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key);
                const char *k =
                        key->type == YAML_SCALAR_NODE ? (const char *)key->data.scalar.value : "";
                int want = list_key_paging(k);

                if (want >= 0 && want != (int)l->paging)
                        yerror(&x->y, key,
                               "'%s' is for paging: %s, but api.list.paging is %s: remove it", k,
                               paging_names[want], paging_names[l->paging]);
        }
        if (l->paging == PAGING_NEXT && !l->next)
                yerror(&x->y, n,
                       "paging: next needs 'next', the JSON Pointer to the next link "
                       "or token (e.g. /nextLink)");
        if (own[0] && own[1] && streq(own[0], own[1]))
                yerror(&x->y, n, "api.list: the paging parameters must differ, not both '%s'",
                       own[0]);
        for (size_t i = 0; i < l->query.n; i++)
                for (size_t j = 0; j < ELEMENTSOF(own); j++)
                        if (own[j] && streq(l->query.v[i].name, own[j]))
                                yerror(&x->y, query_key(x, n, own[j]),
                                       "api.list.query: '%s' is a paging parameter of this "
                                       "listing; remove it from the query",
                                       own[j]);
}

static void p_list(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct list_config *l = FIELD(base, k, struct list_config);

        if (!expect_mapping(x, n, "list"))
                return;
        parse_mapping(x, n, "list", "key", list_keys, ELEMENTSOF(list_keys), l);
        check_list(x, n, l);
}

static void p_retrieve(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v, *id;

        if (!yscalar(&x->y, n, k->key, "a path template", &v))
                return;
        id = strstr(v, "{id}");
        if (v[0] != '/' || !id || strstr(id + 1, "{id}") || v[strcspn(v, "?# \t\r\n")] != 0) {
                yerror(&x->y, n,
                       "'retrieve' must be a path starting with '/' holding '{id}' once, "
                       "without '?', '#' or blanks, not '%s'",
                       v);
                return;
        }
        p_string(x, n, k, base);
}

static void p_statuses(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        char **st = FIELD(base, k, char *);
        const yaml_node_t *where[_ORDER_STATUS_MAX] = { 0 };
        struct strset seen;

        if (!expect_mapping(x, n, "statuses"))
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *name = mapping_key(x, key, &seen), *v;
                size_t i;

                if (!name)
                        continue;
                for (i = 0; i < _ORDER_STATUS_MAX; i++)
                        if (streq(name, status_keys[i]))
                                break;
                if (i == _ORDER_STATUS_MAX) {
                        yerror(&x->y, key,
                               "unknown status '%s' in 'statuses': use pending, approved or "
                               "rejected",
                               name);
                        continue;
                }
                if (!yscalar(&x->y, value, name, "a string", &v))
                        continue;
                if (!*v) {
                        yerror(&x->y, value, "'%s' must not be empty", name);
                        continue;
                }
                for (size_t j = 0; j < _ORDER_STATUS_MAX; j++)
                        if (where[j] && streq(st[j], v))
                                yerror(&x->y, value, "statuses: '%s' and '%s' are both '%s'",
                                       status_keys[j], name, v);
                free(st[i]);
                st[i] = oom(x, strdup(v));
                where[i] = value;
        }
        strset_done(&seen);
}

static void p_form(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct api_params *form = FIELD(base, k, struct api_params);

        parse_params(x, n, "form", form);
        for (size_t i = 0; i < form->n; i++)
                for (size_t j = 0; j < ELEMENTSOF(token_own_fields); j++)
                        if (streq(form->v[i].name, token_own_fields[j]))
                                yerror(&x->y, n,
                                       "api.token.form: '%s' is sent by approvald itself; "
                                       "remove it",
                                       token_own_fields[j]);
}

static void p_client_auth(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        static const char *const names[] = {
                [CLIENT_AUTH_BODY] = "body", [CLIENT_AUTH_BASIC] = "basic"
        };
        int i;

        if (scalar_enum(x, n, "client_auth", names, _CLIENT_AUTH_MAX, "body or basic", &i))
                *FIELD(base, k, enum client_auth) = (enum client_auth)i;
}

static const struct key_spec token_keys[] = {
        { .key = "form", .parse = p_form, .offset = offsetof(struct api_config, token_form) },
        { .key = "client_auth",
          .parse = p_client_auth,
          .offset = offsetof(struct api_config, client_auth) },
};

static void p_token(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "token", "key", token_keys, ELEMENTSOF(token_keys), base);
}

static const struct key_spec api_keys[] = {
        { .key = "base_url",
          .parse = p_api_url,
          .offset = offsetof(struct api_config, base_url),
          .required = true },
        { .key = "token_url",
          .parse = p_api_url,
          .offset = offsetof(struct api_config, token_url),
          .required = true },
        { .key = "api_version",
          .parse = p_string,
          .offset = offsetof(struct api_config, api_version) },
        { .key = "referer", .parse = p_url, .offset = offsetof(struct api_config, referer) },
        { .key = "on_behalf_of",
          .parse = p_string,
          .offset = offsetof(struct api_config, on_behalf_of) },
        { .key = "credentials_dir",
          .parse = p_string,
          .offset = offsetof(struct api_config, credentials_dir) },
        { .key = "ca_file", .parse = p_ca_file, .offset = offsetof(struct api_config, ca_file) },
        { .key = "timeout",
          .parse = p_duration_ms,
          .offset = offsetof(struct api_config, timeout_ms) },
        { .key = "max_parallel",
          .parse = p_int,
          .offset = offsetof(struct api_config, max_parallel),
          .min = 1,
          .max = 64 },
        { .key = "fields", .parse = p_fields, .offset = offsetof(struct api_config, fields) },
        { .key = "list", .parse = p_list, .offset = offsetof(struct api_config, list) },
        { .key = "retrieve", .parse = p_retrieve, .offset = offsetof(struct api_config, retrieve) },
        { .key = "statuses", .parse = p_statuses, .offset = offsetof(struct api_config, statuses) },
        { .key = "token", .parse = p_token },
};

static void p_api(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "api", "key", api_keys, ELEMENTSOF(api_keys), FIELD(base, k, void));
}

static const struct key_spec poll_keys[] = {
        { .key = "interval",
          .parse = p_duration_ms,
          .offset = offsetof(struct poll_config, interval_ms) },
        { .key = "page_size",
          .parse = p_int,
          .offset = offsetof(struct poll_config, page_size),
          .min = 1,
          .max = 500 },
};

static void p_poll(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "poll", "key", poll_keys, ELEMENTSOF(poll_keys), FIELD(base, k, void));
}

/* ---- metrics ------------------------------------------------------------ */

/* A file the daemon writes: an absolute path to a file (the daemon's
 * working folder is not the seller's), not a folder. */
static void p_write_path(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        const char *v;
        size_t len;

        if (!yscalar(&x->y, n, k->key, "a path", &v))
                return;
        len = strlen(v);
        if (v[0] != '/' || v[len - 1] == '/' || len >= PATH_MAX - 4) { /* room for ".tmp" */
                yerror(&x->y, n, "'%s' must be the absolute path of a file, not '%s'", k->key, v);
                return;
        }
        p_string(x, n, k, base);
}

static const struct key_spec metrics_keys[] = {
        { .key = "textfile",
          .parse = p_write_path,
          .offset = offsetof(struct metrics_config, textfile),
          .required = true },
};

static void p_metrics(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "metrics", "key", metrics_keys, ELEMENTSOF(metrics_keys),
                      FIELD(base, k, void));
}

/* ---- webhook ------------------------------------------------------------ */

/* "127.0.0.1:8787" or "[::1]:8787": a numeric address and a port 1..65535
 * (no host names: the daemon binds before any resolver is useful). */
static bool listen_address(const char *v, struct sockaddr_storage *ret, unsigned *ret_len)
{
        _cleanup_free_ char *host = NULL;
        const char *colon, *h = v;
        size_t host_len;
        int64_t port;

        if (v[0] == '[') {
                const char *close = strchr(v, ']');

                if (!close || close[1] != ':')
                        return false;
                h = v + 1;
                host_len = (size_t)(close - h);
                colon = close + 1;
        } else {
                colon = strrchr(v, ':');
                if (!colon || memchr(v, ':', (size_t)(colon - v)))
                        return false; /* an IPv6 address needs its brackets */
                host_len = (size_t)(colon - v);
        }
        if (colon[1] < '0' || colon[1] > '9' || safe_atoi64_range(colon + 1, 1, 65535, &port) < 0)
                return false;
        host = strndup(h, host_len);
        if (!host)
                return false;
        memset(ret, 0, sizeof(*ret));
        if (v[0] != '[') {
                struct sockaddr_in *a = (struct sockaddr_in *)ret;

                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t)port);
                *ret_len = sizeof(*a);
                return inet_pton(AF_INET, host, &a->sin_addr) == 1;
        }
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ret;

        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *ret_len = sizeof(*a6);
        return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1;
}

static void p_listen(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct webhook_config *w = base;
        const char *v;

        if (!yscalar(&x->y, n, k->key, "an address", &v))
                return;
        w->systemd = streq(v, "systemd");
        if (!w->systemd && !listen_address(v, &w->addr, &w->addr_len)) {
                yerror(&x->y, n,
                       "'listen' must be 'systemd' or a numeric address and port such as "
                       "127.0.0.1:8787 or [::1]:8787, not '%s'",
                       v);
                return;
        }
        p_string(x, n, k, base);
}

/* The URL path the receiver answers on: '/' and then printable ASCII. */
static void p_webhook_path(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                           void *base)
{
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a path", &v))
                return;
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '?' ||
                    *p == '#') {
                        yerror(&x->y, n, "'path' may hold no blank, '?', '#' or non-ASCII byte");
                        return;
                }
        if (v[0] != '/' || strlen(v) > 256) {
                yerror(&x->y, n, "'path' must start with '/' and be at most 256 bytes, not '%s'",
                       v);
                return;
        }
        p_string(x, n, k, base);
}

static const struct key_spec webhook_keys[] = {
        { .key = "listen",
          .parse = p_listen,
          .offset = offsetof(struct webhook_config, listen),
          .required = true },
        { .key = "path", .parse = p_webhook_path, .offset = offsetof(struct webhook_config, path) },
};

static void p_webhook(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "webhook", "key", webhook_keys, ELEMENTSOF(webhook_keys),
                      FIELD(base, k, void));
}

/* ---- notify ------------------------------------------------------------- */

const char *const notify_kind_names[_NOTIFY_KIND_MAX] = {
        [NOTIFY_HOLD] = "hold",         [NOTIFY_REJECT] = "reject",
        [NOTIFY_MANUAL] = "manual",     [NOTIFY_STALE_HOLD] = "stale_hold",
        [NOTIFY_API_DOWN] = "api_down", [NOTIFY_TIMEOUT] = "timeout",
};

/* A target receives order facts: https, or http only to this machine, as
 * for the API; no user or password in the URL (a secret belongs in a
 * header read from the credentials folder). */
static void p_notify_url(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        _cleanup_free_ char *host = NULL;
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a URL", &v))
                return;
        if (!url_valid(v)) { /* not quoted: a webhook URL holds its secret */
                yerror(&x->y, n,
                       "'url' must be an https URL (or http to a loopback address) with a "
                       "host and no user or password (the value is not shown)");
                return;
        }
        host = http_off_loopback(x, v);
        if (host) { /* the host only: a webhook URL's path is its secret */
                yerror(&x->y, n, "notify target on host '%s': " LOOPBACK_ONLY, host);
                return;
        }
        p_string(x, n, k, base);
}

static void p_notify_events(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                            void *base)
{
        unsigned *events = FIELD(base, k, unsigned);

        if (!expect_list(x, n, "events"))
                return;
        if (n->data.sequence.items.start == n->data.sequence.items.top)
                yerror(&x->y, n, "'events' must name at least one event");
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                const yaml_node_t *item = ynode(&x->y, *i);
                int kind;

                if (!scalar_enum(x, item, "event", notify_kind_names, _NOTIFY_KIND_MAX,
                                 "hold, reject, manual, stale_hold, api_down or timeout", &kind))
                        continue;
                if (*events & (1u << kind))
                        yerror(&x->y, item, "event '%s' is listed twice", notify_kind_names[kind]);
                *events |= 1u << kind;
        }
}

/* An HTTP header name (RFC 9110 token), not one approvald sets itself. */
static const char *header_name_problem(const char *name)
{
        static const char *const own[] = { "Content-Type", "Content-Length", "Host",
                                           "Transfer-Encoding", "Expect" };

        if (!*name || strlen(name) > 64)
                return "must be 1 to 64 characters";
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
                        return "may hold only letters, digits and !#$%&'*+-.^_`|~";
        for (size_t i = 0; i < ELEMENTSOF(own); i++)
                if (strcasecmp(name, own[i]) == 0)
                        return "is set by approvald itself";
        return NULL;
}

/* A file name in the credentials folder: no path, nothing hidden. */
static bool credential_name_valid(const char *v)
{
        if (!*v || v[0] == '.' || strlen(v) > 128)
                return false;
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
                        return false;
        return true;
}

static void p_notify_headers(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                             void *base)
{
        struct notify_target *t = base;
        struct strset seen;

        if (!expect_mapping(x, n, "headers"))
                return;
        strset_init(&seen, true); /* header names compare without case */
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *name = mapping_key(x, key, &seen), *v, *why;
                struct notify_header *h;

                if (!name || !yscalar(&x->y, value, name, "a credential file name", &v))
                        continue;
                why = header_name_problem(name);
                if (why) {
                        yerror(&x->y, key, "header '%s' %s", name, why);
                        continue;
                }
                if (!credential_name_valid(v)) {
                        yerror(&x->y, value,
                               "header '%s': the value is the name of a file in the credentials "
                               "folder (letters, digits, '.', '_', '-'; not starting with '.'), "
                               "not '%s'",
                               name, v);
                        continue;
                }
                h = grow_one(x, &t->headers, &t->n_headers, sizeof(*h));
                if (!h)
                        break;
                h->name = oom(x, strdup(name));
                h->credential = oom(x, strdup(v));
        }
        strset_done(&seen);
}

static const struct key_spec target_keys[] = {
        { .key = "url",
          .parse = p_notify_url,
          .offset = offsetof(struct notify_target, url),
          .required = true },
        { .key = "events",
          .parse = p_notify_events,
          .offset = offsetof(struct notify_target, events),
          .required = true },
        { .key = "headers", .parse = p_notify_headers },
};

static void p_notify_targets(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                             void *base)
{
        struct notify_config *nc = base;

        if (!expect_list(x, n, "targets"))
                return;
        if (n->data.sequence.items.start == n->data.sequence.items.top)
                yerror(&x->y, n, "'targets' must hold at least one target");
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                const yaml_node_t *item = ynode(&x->y, *i);
                struct notify_target *t;

                if (!expect_mapping(x, item, "target"))
                        continue;
                t = grow_one(x, &nc->targets, &nc->n_targets, sizeof(*t));
                if (!t)
                        return;
                t->mark = ynode_mark(item);
                parse_mapping(x, item, "target", "key", target_keys, ELEMENTSOF(target_keys), t);
        }
}

static const struct key_spec notify_keys[] = {
        { .key = "targets", .parse = p_notify_targets, .required = true },
        { .key = "api_down_after",
          .parse = p_duration_s,
          .offset = offsetof(struct notify_config, api_down_after_s) },
};

static void p_notify(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "notify", "key", notify_keys, ELEMENTSOF(notify_keys),
                      FIELD(base, k, void));
}

/* ---- holds -------------------------------------------------------------- */

/* Decided by nobody in time: approve or reject, never hold again. */
static void p_timeout_then(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                           void *base)
{
        int i;

        if (!scalar_enum(x, n, "then", action_names, _ACTION_MAX, "approve or reject", &i))
                return;
        if (i == ACTION_HOLD) {
                yerror(&x->y, n,
                       "'then' of 'timeout' must be approve or reject: the order "
                       "already waits for a person");
                return;
        }
        *FIELD(base, k, enum action) = (enum action)i;
}

/* A timeout's reason reaches the customer with a rejection, and a reject
 * sends at most 500 bytes of it (API_REJECT_REASON_MAX). */
static void p_timeout_reason(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                             void *base)
{
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a string", &v))
                return;
        if (!*v || strlen(v) > 500) {
                yerror(&x->y, n, "'reason' of 'timeout' must be 1 to 500 bytes, not %zu",
                       strlen(v));
                return;
        }
        p_text(x, n, k, base);
}

static const struct key_spec timeout_keys[] = {
        { .key = "after",
          .parse = p_duration_s,
          .offset = offsetof(struct holds_config, timeout_s),
          .required = true },
        { .key = "then",
          .parse = p_timeout_then,
          .offset = offsetof(struct holds_config, timeout_then),
          .required = true },
        { .key = "reason",
          .parse = p_timeout_reason,
          .offset = offsetof(struct holds_config, timeout_reason) },
};

static void p_holds_timeout(struct ctx *x, const yaml_node_t *n, const struct key_spec *k,
                            void *base)
{
        struct holds_config *h = base;

        h->timeout_then = ACTION_HOLD; /* "then" is required: stays so only when missing */
        parse_mapping(x, n, "timeout", "key", timeout_keys, ELEMENTSOF(timeout_keys), h);
}

static const struct key_spec holds_keys[] = {
        { .key = "remind_after",
          .parse = p_duration_s_or_off,
          .offset = offsetof(struct holds_config, remind_after_s) },
        { .key = "timeout", .parse = p_holds_timeout },
};

static void p_holds(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "holds", "key", holds_keys, ELEMENTSOF(holds_keys),
                      FIELD(base, k, void));
}

/* ---- lists -------------------------------------------------------------- */

static bool list_name_valid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
                    !(*s >= '0' && *s <= '9') && !strchr("_-.", *s))
                        return false;
        return true;
}

static void list_add(struct ctx *x, struct list *l, const char *s, size_t len)
{
        char **slot = grow_one(x, &l->entries, &l->n_entries, sizeof(char *));

        if (slot)
                *slot = oom(x, strndup(s, len));
}

static void list_from_sequence(struct ctx *x, const yaml_node_t *n, struct list *l)
{
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                const yaml_node_t *item = ynode(&x->y, *i);
                const char *v;

                if (item->type != YAML_SCALAR_NODE) {
                        yerror(&x->y, item, "entries of list '%s' must be strings, not %s", l->name,
                               ykind(item));
                        continue;
                }
                if (!yscalar(&x->y, item, l->name, "a string", &v))
                        continue;
                if (!*v) {
                        yerror(&x->y, item, "list '%s' has an empty entry", l->name);
                        continue;
                }
                list_add(x, l, v, strlen(v));
        }
}

/* Appends text[0..len) to the entries of a list filled only from here:
 * the array grows by doubling (a list file may hold a million entries). */
static int list_push(struct list *l, const char *s, size_t len)
{
        size_t n = l->n_entries;
        char *e;

        if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
                char **p = reallocarray(l->entries, n == 0 ? 8 : 2 * n, sizeof(char *));

                if (!p)
                        return -ENOMEM;
                l->entries = p;
        }
        e = strndup(s, len);
        if (!e)
                return -ENOMEM;
        l->entries[l->n_entries++] = e;
        return 0;
}

int config_list_parse(const char *text, size_t size, struct list *l)
{
        const char *end = text + size;

        assert(text || size == 0);
        assert(l && l->n_entries == 0 && !l->entries);
        if (size > 0 && memchr(text, '\0', size))
                return -EINVAL;
        for (const char *line = text; line < end;) {
                const char *eol = memchr(line, '\n', (size_t)(end - line)) ?: end;
                const char *s = line, *e = eol;
                int r;

                for (const char *p = s; p < e; p++)
                        if (*p == '#' && (p == s || *(p - 1) == ' ' || *(p - 1) == '\t')) {
                                e = p;
                                break;
                        }
                while (s < e && strchr(" \t\r", *s))
                        s++;
                while (e > s && strchr(" \t\r", *(e - 1)))
                        e--;
                if (e > s) {
                        r = list_push(l, s, (size_t)(e - s));
                        if (r < 0)
                                return r;
                }
                line = eol + 1;
        }
        return 0;
}

static void list_from_file(struct ctx *x, const yaml_node_t *n, struct list *l)
{
        _cleanup_free_ char *text = NULL;
        const yaml_node_t *file = NULL;
        struct strset seen;
        const char *path;
        char why[128];
        mode_t mode = 0;
        size_t size;
        int r;

        /* mapping_key() reports a second 'file' rather than let it win. */
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key);
                const char *k = mapping_key(x, key, &seen);

                if (!k)
                        continue;
                if (streq(k, "file"))
                        file = ynode(&x->y, p->value);
                else
                        yerror(&x->y, key, "unknown key '%s' in list '%s': only 'file' is known", k,
                               l->name);
        }
        strset_done(&seen);
        if (!file) {
                yerror(&x->y, n, "list '%s' needs a 'file' key", l->name);
                return;
        }
        if (!yscalar(&x->y, file, "file", "a path", &path))
                return;
        if (!*path) {
                yerror(&x->y, file, "'file' must not be empty");
                return;
        }
        if (path[0] == '/' || !x->dir)
                l->file = oom(x, strdup(path));
        else if (asprintf(&l->file, "%s/%s", x->dir, path) < 0)
                l->file = oom(x, NULL);
        if (!l->file)
                return;
        r = fileio_read_all(l->file, false, LIST_FILE_MAX, &text, &size, &mode);
        if (r == -ENOMEM) {
                x->oom = r;
                return;
        }
        if (r < 0) {
                file_problem(r, mode, LIST_FILE_MAX, why, sizeof(why));
                yerror(&x->y, file, "list file '%s'%s", path, why);
                return;
        }
        check_service_can_read(x, file, "list file", path, l->file);
        r = config_list_parse(text, size, l);
        if (r == -EINVAL)
                yerror(&x->y, file, "list file '%s' contains a NUL byte", path);
        else if (r < 0)
                x->oom = r;
}

static void parse_list(struct ctx *x, const yaml_node_t *key, const yaml_node_t *n)
{
        const char *name = (const char *)key->data.scalar.value;
        struct list *l;

        if (!list_name_valid(name)) {
                yerror(&x->y, key, "list name '%s' may hold only letters, digits, '_', '-', '.'",
                       name);
                return;
        }
        l = grow_one(x, &x->c->lists, &x->c->n_lists, sizeof(struct list));
        if (!l)
                return;
        l->mark = ynode_mark(key);
        l->name = oom(x, strdup(name));
        if (!l->name)
                return;
        if (n->type == YAML_SEQUENCE_NODE)
                list_from_sequence(x, n, l);
        else if (n->type == YAML_MAPPING_NODE)
                list_from_file(x, n, l);
        else
                yerror(&x->y, n, "list '%s' must be a list of strings or {file: PATH}, not %s",
                       name, ykind(n));
}

static void parse_lists(struct ctx *x, const yaml_node_t *n)
{
        struct strset seen;

        if (!expect_mapping(x, n, "lists"))
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key);

                if (mapping_key(x, key, &seen))
                        parse_list(x, key, ynode(&x->y, p->value));
        }
        strset_done(&seen);
}

/* ---- credit ------------------------------------------------------------- */

static bool currency_code(const char *s, char ret[static 8])
{
        if (strlen(s) != 3)
                return false;
        for (size_t i = 0; i < 3; i++) {
                char ch = s[i];

                if (ch >= 'a' && ch <= 'z')
                        ch = (char)(ch - 'a' + 'A');
                if (ch < 'A' || ch > 'Z')
                        return false;
                ret[i] = ch;
        }
        ret[3] = '\0';
        return true;
}

static void parse_limits(struct ctx *x, const yaml_node_t *n, const char *what, struct limits *ret)
{
        if (!expect_mapping(x, n, what))
                return;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                char code[8];
                const char *k;
                int64_t amount;
                struct limit *l;
                bool dup = false;

                if (!yscalar(&x->y, key, what, "a mapping of currency codes", &k))
                        continue;
                if (!currency_code(k, code)) {
                        yerror(&x->y, key, "'%s' is not a currency code: use 3 letters such as EUR",
                               k);
                        continue;
                }
                for (size_t i = 0; i < ret->n_items; i++)
                        dup = dup || streq(ret->items[i].currency, code);
                if (dup) {
                        yerror(&x->y, key, "duplicate currency '%s'", code);
                        continue;
                }
                if (!scalar_amount(x, value, code, &amount))
                        continue;
                l = grow_one(x, &ret->items, &ret->n_items, sizeof(struct limit));
                if (!l)
                        return;
                memcpy(l->currency, code, sizeof(code));
                l->amount = amount;
        }
}

static void p_limits(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_limits(x, n, k->key, FIELD(base, k, struct limits));
}

static void p_customers(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct credit *credit = base;
        struct strset seen;

        if (!expect_mapping(x, n, "customers"))
                return;
        strset_init(&seen, false);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key), *value = ynode(&x->y, p->value);
                const char *id = mapping_key(x, key, &seen);
                struct customer_limits *cl;

                if (!id)
                        continue;
                if (!*id) {
                        yerror(&x->y, key, "customer ids must not be empty");
                        continue;
                }
                cl = grow_one(x, &credit->customers, &credit->n_customers, sizeof(*cl));
                if (!cl)
                        break;
                cl->customer_id = oom(x, strdup(id));
                parse_limits(x, value, id, &cl->limits);
        }
        strset_done(&seen);
}

static const struct key_spec credit_keys[] = {
        { .key = "window", .parse = p_duration_s, .offset = offsetof(struct credit, window_s) },
        { .key = "refresh",
          .parse = p_duration_s_or_off,
          .offset = offsetof(struct credit, refresh_s) },
        { .key = "default", .parse = p_limits, .offset = offsetof(struct credit, dflt) },
        { .key = "customers", .parse = p_customers, .offset = 0 },
};

static void p_credit(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_mapping(x, n, "credit", "key", credit_keys, ELEMENTSOF(credit_keys),
                      FIELD(base, k, void));
}

/* ---- conditions --------------------------------------------------------- */

static void parse_when(struct ctx *x, const yaml_node_t *n, const char *what, struct when *w);

static struct cond *add_cond(struct ctx *x, struct when *w, const struct key_spec *k,
                             const yaml_node_t *n)
{
        struct cond *c = grow_one(x, &w->conds, &w->n_conds, sizeof(struct cond));

        if (!c)
                return NULL;
        c->kind = (enum cond_kind)k->kind;
        c->mark = ynode_mark(n);
        return c;
}

static void values_ref(struct ctx *x, const yaml_node_t *n, const char *name, struct values *v)
{
        const char *names[64];
        size_t n_names = 0;
        const char *hint;

        v->list = config_find_list(x->c, name);
        if (v->list)
                return;
        for (size_t i = 0; i < x->c->n_lists && n_names < ELEMENTSOF(names); i++)
                names[n_names++] = x->c->lists[i].name;
        hint = ysuggest(name, names, n_names);
        if (hint)
                yerror(&x->y, n, "unknown list '@%s' (did you mean '@%s'?)", name, hint);
        else
                yerror(&x->y, n, "unknown list '@%s'", name);
}

static void values_add(struct ctx *x, struct values *v, const char *s)
{
        char **slot = grow_one(x, &v->entries, &v->n_entries, sizeof(char *));

        if (slot)
                *slot = oom(x, strdup(s));
}

static void values_sequence(struct ctx *x, const yaml_node_t *n, const char *what, struct values *v)
{
        if (n->data.sequence.items.start == n->data.sequence.items.top) {
                yerror(&x->y, n, "'%s' needs at least one entry", what);
                return;
        }
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                const yaml_node_t *item = ynode(&x->y, *i);
                const char *s;

                if (item->type != YAML_SCALAR_NODE) {
                        yerror(&x->y, item, "entries of '%s' must be strings, not %s", what,
                               ykind(item));
                        continue;
                }
                if (!yscalar(&x->y, item, what, "a string", &s))
                        continue;
                if (!*s)
                        yerror(&x->y, item, "'%s' has an empty entry", what);
                else if (s[0] == '@')
                        yerror(&x->y, item,
                               "a list reference ('%s') must stand alone, not in a list", s);
                else
                        values_add(x, v, s);
        }
}

static void p_values(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);
        const char *s;

        if (!c)
                return;
        if (n->type == YAML_SEQUENCE_NODE) {
                values_sequence(x, n, k->key, &c->values);
                return;
        }
        if (n->type != YAML_SCALAR_NODE) {
                yerror(&x->y, n, "'%s' must be a string, a list of strings or '@list', not %s",
                       k->key, ykind(n));
                return;
        }
        if (!yscalar(&x->y, n, k->key, "a string", &s))
                return;
        if (!*s)
                yerror(&x->y, n, "'%s' must not be empty", k->key);
        else if (s[0] == '@')
                values_ref(x, n, s + 1, &c->values);
        else
                values_add(x, &c->values, s);
}

static void p_amount(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);

        if (c)
                scalar_amount(x, n, k->key, &c->amount);
}

static void p_quantity(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);

        if (c)
                scalar_int(x, n, k, &c->quantity);
}

static void p_flag(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);

        if (c)
                scalar_bool(x, n, k->key, &c->flag);
}

static const struct key_spec within_keys[] = {
        { .key = "window",
          .parse = p_duration_s,
          .offset = offsetof(struct cond, within.window_s),
          .required = true },
        { .key = "above",
          .parse = p_int,
          .offset = offsetof(struct cond, within.above),
          .min = 0,
          .max = INT64_MAX,
          .required = true },
};

static void p_within(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);

        if (c)
                parse_mapping(x, n, "orders_within", "key", within_keys, ELEMENTSOF(within_keys),
                              c);
}

static void p_any(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);
        size_t n_items;

        if (!c || !expect_list(x, n, "any"))
                return;
        n_items = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (n_items == 0) {
                yerror(&x->y, n, "'any' needs at least one condition map");
                return;
        }
        c->any.items = oom(x, calloc(n_items, sizeof(struct when)));
        if (!c->any.items)
                return;
        c->any.n_items = n_items;
        for (size_t i = 0; i < n_items; i++) {
                const yaml_node_t *item = ynode(&x->y, n->data.sequence.items.start[i]);

                if (item->type != YAML_MAPPING_NODE)
                        yerror(&x->y, item, "entries of 'any' must be condition maps, not %s",
                               ykind(item));
                else
                        parse_when(x, item, "any", &c->any.items[i]);
        }
}

static void p_not(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct cond *c = add_cond(x, base, k, n);
        unsigned errors;

        if (!c)
                return;
        c->not = oom(x, calloc(1, sizeof(struct when)));
        if (!c->not )
                return;
        errors = x->y.n_errors;
        parse_when(x, n, "not", c->not );
        if (x->y.n_errors == errors && c->not ->n_conds == 0)
                yerror(&x->y, n, "'not' of an empty map can never hold");
}

static const struct key_spec cond_keys[] = {
        { .key = "customer", .parse = p_values, .kind = COND_CUSTOMER },
        { .key = "customer_name", .parse = p_values, .kind = COND_CUSTOMER_NAME },
        { .key = "country", .parse = p_values, .kind = COND_COUNTRY },
        { .key = "currency", .parse = p_values, .kind = COND_CURRENCY },
        { .key = "total_above", .parse = p_amount, .kind = COND_TOTAL_ABOVE },
        { .key = "total_at_most", .parse = p_amount, .kind = COND_TOTAL_AT_MOST },
        { .key = "quantity_above",
          .parse = p_quantity,
          .min = 0,
          .max = INT64_MAX,
          .kind = COND_QUANTITY_ABOVE },
        { .key = "product", .parse = p_values, .kind = COND_PRODUCT },
        { .key = "new_customer", .parse = p_flag, .kind = COND_NEW_CUSTOMER },
        { .key = "orders_within", .parse = p_within, .kind = COND_ORDERS_WITHIN },
        { .key = "over_credit_limit", .parse = p_flag, .kind = COND_OVER_CREDIT_LIMIT },
        { .key = "any", .parse = p_any, .kind = COND_ANY },
        { .key = "not", .parse = p_not, .kind = COND_NOT },
};

static const struct cond *when_find(const struct when *w, enum cond_kind kind)
{
        for (size_t i = 0; i < w->n_conds; i++)
                if (w->conds[i].kind == kind)
                        return &w->conds[i];
        return NULL;
}

/* Only contradictions that hold whatever the order and the history. */
static void check_contradictions(struct ctx *x, const struct when *w)
{
        const struct cond *above = when_find(w, COND_TOTAL_ABOVE);
        const struct cond *at_most = when_find(w, COND_TOTAL_AT_MOST);
        const struct cond *fresh = when_find(w, COND_NEW_CUSTOMER);
        const struct cond *within = when_find(w, COND_ORDERS_WITHIN);
        char a[MONEY_BUF_SIZE], b[MONEY_BUF_SIZE];

        if (above && at_most && above->amount >= at_most->amount)
                yerror_at(&x->y, w->mark,
                          "this 'when' can never hold: total_above %s is not below "
                          "total_at_most %s",
                          money_format(above->amount, a), money_format(at_most->amount, b));
        /* A new customer has no approved order at all, so it cannot have
         * more than N (>= 0) approved within any window. */
        if (fresh && fresh->flag && within)
                yerror_at(&x->y, w->mark,
                          "this 'when' can never hold: new_customer: true means no approved "
                          "orders, orders_within asks for more than %lld",
                          (long long)within->within.above);
}

static void parse_when(struct ctx *x, const yaml_node_t *n, const char *what, struct when *w)
{
        unsigned errors = x->y.n_errors;

        w->mark = ynode_mark(n);
        if (n->type != YAML_MAPPING_NODE) {
                yerror(&x->y, n, "'%s' must be a mapping of conditions, not %s", what, ykind(n));
                return;
        }
        if (x->y.depth >= WHEN_DEPTH_MAX) {
                yerror(&x->y, n, "conditions are nested more than %u deep", WHEN_DEPTH_MAX);
                return;
        }
        x->y.depth++;
        parse_mapping(x, n, NULL, "condition", cond_keys, ELEMENTSOF(cond_keys), w);
        x->y.depth--;
        if (x->y.n_errors == errors)
                check_contradictions(x, w);
}

/* ---- rules and the top level -------------------------------------------- */

static void p_when(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        parse_when(x, n, "when", FIELD(base, k, struct when));
}

/* The journal tells a person's decision ("manual:LOGIN") and a timeout's
 * ("timeout:48h") from a rule's by these prefixes. */
static void p_rule_name(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        static const char *const reserved[] = { CONFIG_RULE_MANUAL_PREFIX,
                                                CONFIG_RULE_TIMEOUT_PREFIX };
        const char *v;

        if (!yscalar(&x->y, n, k->key, "a string", &v))
                return;
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (strncmp(v, reserved[i], strlen(reserved[i])) == 0) {
                        yerror(&x->y, n,
                               "rule name '%s': names starting with '%s' are kept for the "
                               "journal's own decisions; rename the rule",
                               v, reserved[i]);
                        return;
                }
        p_text(x, n, k, base);
}

static const struct key_spec rule_keys[] = {
        { .key = "name",
          .parse = p_rule_name,
          .offset = offsetof(struct rule, name),
          .required = true },
        { .key = "when", .parse = p_when, .offset = offsetof(struct rule, when) },
        { .key = "then",
          .parse = p_action,
          .offset = offsetof(struct rule, then),
          .required = true },
        { .key = "reason", .parse = p_text, .offset = offsetof(struct rule, reason) },
};

static void parse_rule(struct ctx *x, const yaml_node_t *n, struct strset *names)
{
        struct rule *rule = grow_one(x, &x->c->rules, &x->c->n_rules, sizeof(struct rule));
        void *first;

        if (!rule)
                return;
        rule->mark = ynode_mark(n);
        rule->then = ACTION_HOLD;
        parse_mapping(x, n, "rule", "key", rule_keys, ELEMENTSOF(rule_keys), rule);
        if (!rule->name)
                return;
        if (strset_get(names, rule->name, &first)) {
                const struct rule *f = &x->c->rules[(size_t)(uintptr_t)first];

                yerror_at(&x->y, rule->mark, "duplicate rule name '%s' (first at line %u)",
                          rule->name, f->mark.line);
                return;
        }
        if (strset_put(names, rule->name, (void *)(uintptr_t)(x->c->n_rules - 1)) < 0)
                x->oom = -ENOMEM;
}

static void p_rules(struct ctx *x, const yaml_node_t *n, const struct key_spec *k, void *base)
{
        struct strset names;

        if (!expect_list(x, n, "rules"))
                return;
        /* The set borrows names that a later realloc of rules does not move:
         * each name is its own allocation. */
        strset_init(&names, false);
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++)
                parse_rule(x, ynode(&x->y, *i), &names);
        strset_done(&names);
}

static const struct key_spec root_keys[] = {
        { .key = "version",
          .parse = p_version,
          .offset = offsetof(struct config, version),
          .required = true },
        { .key = "api", .parse = p_api, .offset = offsetof(struct config, api), .required = true },
        { .key = "poll", .parse = p_poll, .offset = offsetof(struct config, poll) },
        { .key = "webhook", .parse = p_webhook, .offset = offsetof(struct config, webhook) },
        { .key = "mode", .parse = p_mode, .offset = offsetof(struct config, mode) },
        { .key = "lists", .parse = p_ignore, .offset = 0 }, /* read first: rules refer to them */
        { .key = "credit", .parse = p_credit, .offset = offsetof(struct config, credit) },
        { .key = "rules", .parse = p_rules, .offset = 0, .required = true },
        { .key = "default", .parse = p_action, .offset = offsetof(struct config, dflt) },
        { .key = "metrics", .parse = p_metrics, .offset = offsetof(struct config, metrics) },
        { .key = "notify", .parse = p_notify, .offset = offsetof(struct config, notify) },
        { .key = "holds", .parse = p_holds, .offset = offsetof(struct config, holds) },
};

static void parse_root(struct ctx *x, const yaml_node_t *root)
{
        if (root->type != YAML_MAPPING_NODE) {
                yerror(&x->y, root,
                       "the file must be a mapping of keys (version, api, rules...), not %s",
                       ykind(root));
                return;
        }
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                const yaml_node_t *key = ynode(&x->y, p->key);

                if (key->type == YAML_SCALAR_NODE &&
                    streq((const char *)key->data.scalar.value, "lists")) {
                        parse_lists(x, ynode(&x->y, p->value));
                        break;
                }
        }
        parse_mapping(x, root, NULL, "key", root_keys, ELEMENTSOF(root_keys), x->c);
}

/* ---- finishing: defaults and indexes ------------------------------------ */

static int when_index(struct when *w)
{
        int r;

        for (size_t i = 0; i < w->n_conds; i++) {
                struct cond *c = &w->conds[i];

                switch (c->kind) {
                case COND_CUSTOMER:
                case COND_CUSTOMER_NAME:
                case COND_COUNTRY:
                case COND_CURRENCY:
                case COND_PRODUCT:
                        r = values_index_build(&c->values, c->kind);
                        break;
                case COND_ANY:
                        r = 0;
                        for (size_t j = 0; j < c->any.n_items && r >= 0; j++)
                                r = when_index(&c->any.items[j]);
                        break;
                case COND_NOT:
                        r = when_index(c->not );
                        break;
                default:
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The reason of a rule that gives none.  Every message that shows a
 * reason names the rule beside it, so the reason does not repeat the name
 * ("hold by rule 'big orders': rule 'big orders'" said nothing new); a
 * rejection's reason also reaches the customer through AppXite. */
static const char *const default_reasons[_ACTION_MAX] = {
        [ACTION_APPROVE] = "Approved by the seller's approval rules",
        [ACTION_REJECT] = "Rejected by the seller's approval rules",
        [ACTION_HOLD] = "Held for a person to decide",
};

static int default_string(char **field, const char *value)
{
        if (*field || !value)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

/* The request shape's defaults: today's AppXite assumptions. */
static int api_defaults(struct api_config *a)
{
        struct list_config *l = &a->list;
        int r = 0;

        for (size_t i = 0; i < _ORDER_STATUS_MAX; i++)
                r = r ?: default_string(&a->statuses[i], status_canonical[i]);
        r = r ?: default_string(&l->path, "/orders");
        r = r ?: default_string(&l->page_param, "page");
        r = r ?: default_string(&l->size_param, l->paging == PAGING_NEXT ? NULL : "pageSize");
        r = r ?: default_string(&l->offset_param, "offset");
        r = r ?: default_string(&l->items, "/items");
        r = r ?: default_string(&a->retrieve, "/orders/{id}");
        if (r < 0 || l->query_set)
                return r;
        l->query.v = calloc(1, sizeof(*l->query.v));
        if (!l->query.v)
                return -ENOMEM;
        l->query.n = 1;
        l->query.v[0].name = strdup("status");
        l->query.v[0].value = strdup(a->statuses[ORDER_STATUS_PENDING]);
        return l->query.v[0].name && l->query.v[0].value ? 0 : -ENOMEM;
}

static int config_finish(struct config *c)
{
        int r;

        r = api_defaults(&c->api);
        if (r < 0)
                return r;

        if (c->holds.timeout_s > 0 && !c->holds.timeout_reason) {
                char after[DURATION_BUF_SIZE];

                if (asprintf(&c->holds.timeout_reason, "No decision within %s",
                             duration_format(c->holds.timeout_s, after)) < 0) {
                        c->holds.timeout_reason = NULL;
                        return -ENOMEM;
                }
        }
        if (c->webhook.listen && !c->webhook.path) {
                c->webhook.path = strdup("/webhook");
                if (!c->webhook.path)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < _FIELD_MAX; i++)
                if (!c->api.fields[i]) {
                        c->api.fields[i] = strdup(order_field_defaults[i]);
                        if (!c->api.fields[i])
                                return -ENOMEM;
                }
        for (size_t i = 0; i < c->n_rules; i++) {
                if (!c->rules[i].reason) {
                        c->rules[i].reason = strdup(default_reasons[c->rules[i].then]);
                        if (!c->rules[i].reason)
                                return -ENOMEM;
                }
                r = when_index(&c->rules[i].when);
                if (r < 0)
                        return r;
        }
        return credit_index_build(&c->credit);
}

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

static struct config *config_new(const char *path)
{
        _cleanup_(config_freep) struct config *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->path = strdup(path);
        c->api.api_version = strdup("3.1");
        if (!c->path || !c->api.api_version)
                return NULL;
        c->api.timeout_ms = 30000;
        c->api.max_parallel = 8;
        c->poll.interval_ms = 60000;
        c->poll.page_size = 100;
        c->mode = MODE_ENFORCE;
        c->credit.window_s = 30 * 24 * 3600;
        c->credit.refresh_s = 3600;
        c->dflt = ACTION_HOLD;
        c->notify.api_down_after_s = 600;
        return TAKE_PTR(c);
}

static int load_buffer(const char *path, const char *buf, size_t size, FILE *errors, unsigned flags,
                       struct config **ret)
{
        struct ctx x = { .y = { .path = path, .errors = errors }, .flags = flags };
        const yaml_node_t *root;
        int r;

        x.c = config_new(path);
        x.dir = dir_of(path);
        if (!x.c || !x.dir) {
                r = -ENOMEM;
                goto out;
        }
        r = yctx_load(&x.y, buf, size);
        if (r < 0)
                goto out;
        root = yroot(&x.y);
        if (!root)
                yerror_at(&x.y, (struct mark){ 1, 1 },
                          "the file is empty: it needs at least version, api and rules");
        else
                parse_root(&x, root);
        r = x.oom ?: x.y.n_errors > 0 ? -EINVAL : config_finish(x.c);
        if (r >= 0)
                *ret = TAKE_PTR(x.c);
out:
        yctx_done(&x.y);
        config_free(x.c);
        free(x.dir);
        return r;
}

int config_load_buffer(const char *path, const char *buf, size_t size, FILE *errors,
                       struct config **ret)
{
        assert(path);
        assert(buf || size == 0);
        assert(ret);
        return load_buffer(path, buf, size, errors, 0, ret);
}

/* The rules file itself, as the service would read it: reported unlocated. */
static int check_rules_for_service(const char *path, FILE *errors)
{
        _cleanup_free_ char *blocker = NULL;
        bool folder = false;
        int r = service_view_can_read(path, &blocker, &folder);

        if (r == -EACCES && errors)
                fprintf(errors,
                        "%s: the service cannot read it: '%s' is closed to others, and the "
                        "service runs as a DynamicUser%s\n",
                        path, blocker, folder ? " (chmod o+x on that folder)" : " (chmod o+r)");
        else if (r < 0 && errors)
                fprintf(errors, "%s: the service cannot read it: %s\n", path, strerror(-r));
        return r;
}

int config_load_flags(const char *path, FILE *errors, unsigned flags, struct config **ret)
{
        _cleanup_free_ char *buf = NULL;
        mode_t mode = 0;
        size_t size;
        int r;

        assert(path);
        assert(ret);
        r = fileio_read_all(path, false, RULES_FILE_MAX, &buf, &size, &mode);
        if (r < 0) {
                if (errors && (r == -EISDIR || r == -ENODEV))
                        fprintf(errors, "%s: cannot read: it is %s, not a regular file\n", path,
                                fileio_kind(mode));
                else if (errors)
                        fprintf(errors, "%s: cannot read: %s\n", path,
                                r == -EFBIG ? "it is larger than 4 MiB" : strerror(-r));
                return r;
        }
        if (flags & CONFIG_FOR_SERVICE) {
                r = check_rules_for_service(path, errors);
                if (r < 0)
                        return r;
        }
        return load_buffer(path, buf, size, errors, flags, ret);
}

int config_load(const char *path, FILE *errors, struct config **ret)
{
        return config_load_flags(path, errors, 0, ret);
}
