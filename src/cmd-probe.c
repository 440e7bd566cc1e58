/* cmd-probe.c: `approvald probe`, for the day the real API is at hand: one
 * token request and one read-only listing request of one page, built from
 * rules.yaml as the daemon builds them, and a report of what was sent
 * (header names, never a secret), what came back, which api.fields
 * pointers resolve in the first order, and whether its links are on the
 * API's origin.  It never approves or rejects anything.  Exit 0 when the
 * daemon could run with this configuration, 78 when the configuration does
 * not fit the answers, 69 when the API could not be asked. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "api-list.h"
#include "api.h"
#include "commands.h"
#include "config.h"
#include "credentials.h"
#include "log.h"
#include "order.h"
#include "util.h"

/* The fields the daemon cannot act without: an order lacking one is held. */
static const bool field_needed[_FIELD_MAX] = {
        [FIELD_ID] = true,
        [FIELD_STATUS] = true,
        [FIELD_APPROVE_LINK] = true,
        [FIELD_REJECT_LINK] = true,
};

/* One request, one attempt: a probe must not hammer an API it does not know. */
static const struct api_options probe_options = {
        .max_attempts = 1,
        .backoff_base_usec = 1,
        .backoff_cap_usec = 1,
        .retry_after_budget_usec = 1,
};

struct probe {
        const struct config *c;
        int status; /* the listing's HTTP status; -errno when it failed */
        char *body;
        size_t body_size;
        char detail[256];
        bool done;
};

static inline void cJSON_Deletep(cJSON **j)
{
        cJSON_Delete(*j);
}

static void print_sent(const struct config *c, const char *url)
{
        const struct api_config *a = &c->api;

        printf("token request: POST %s\n  form: grant_type=client_credentials", a->token_url);
        if (a->client_auth == CLIENT_AUTH_BODY)
                printf(", client_id=(secret, not shown), client_secret=(secret, not shown)");
        for (size_t i = 0; i < a->token_form.n; i++)
                printf(", %s=%s", a->token_form.v[i].name, a->token_form.v[i].value);
        printf("\n  headers: Accept, Content-Type%s\n",
               a->client_auth == CLIENT_AUTH_BASIC
                       ? ", Authorization (Basic: client id and secret, not shown)"
                       : "");
        printf("listing request: GET %s\n", url);
        printf("  headers: Accept, Ocp-Apim-Subscription-Key (secret, not shown), "
               "Authorization (Bearer token, not shown), api-version: %s%s%s%s%s\n",
               a->api_version, a->referer ? ", Referer: " : "", a->referer ?: "",
               a->on_behalf_of ? ", X-On-Behalf-Of: " : "", a->on_behalf_of ?: "");
}

static void on_list(struct api *api, const struct api_response *r, void *userdata)
{
        struct probe *p = userdata;

        p->done = true;
        p->status = r->error < 0 ? r->error : r->status;
        snprintf(p->detail, sizeof(p->detail), "%s%s%s", r->detail ?: "",
                 r->detail && r->api_error ? ", " : "", r->api_error ?: "");
        if (r->body_size > 0) {
                p->body = malloc(r->body_size + 1);
                if (p->body) {
                        memcpy(p->body, r->body, r->body_size);
                        p->body[r->body_size] = 0;
                        p->body_size = r->body_size;
                }
        }
}

/* Sends the listing request (the token request goes first, on its own)
 * and runs the loop until it is answered. */
static int ask(const struct config *c, const struct credentials *creds, const char *url,
               struct probe *p)
{
        sd_event *e = NULL;
        struct api *a = NULL;
        int r;

        r = sd_event_new(&e);
        if (r < 0)
                return r;
        r = api_new(&a, e, &c->api, creds, &probe_options);
        if (r >= 0)
                r = api_request(a, API_GET, url, NULL, on_list, p);
        while (r >= 0 && !p->done) {
                r = sd_event_run(e, UINT64_MAX);
                if (r > 0)
                        r = 0;
        }
        api_free(a);
        sd_event_unref(e);
        return r;
}

static const char *json_kind(const cJSON *j)
{
        return !j                  ? "nothing"
               : cJSON_IsString(j) ? "a string"
               : cJSON_IsNumber(j) ? "a number"
               : cJSON_IsBool(j)   ? "a boolean"
               : cJSON_IsNull(j)   ? "null"
               : cJSON_IsArray(j)  ? "an array"
                                   : "an object";
}

static void print_keys(const char *what, const cJSON *j)
{
        const cJSON *k;

        printf("%s", what);
        if (!cJSON_IsObject(j)) {
                printf(" (%s, not an object)\n", json_kind(j));
                return;
        }
        cJSON_ArrayForEach(k, j) printf(" %s", k->string);
        printf("\n");
}

static bool is_item_field(enum order_field f)
{
        return f == FIELD_ITEM_SKU || f == FIELD_ITEM_OFFER_ID || f == FIELD_ITEM_NAME ||
               f == FIELD_ITEM_QUANTITY;
}

/* Which api.fields pointers resolve in the first order; returns how many
 * of the fields the daemon needs do not. */
static int check_fields(const struct config *c, const cJSON *order)
{
        const cJSON *items = json_pointer_get(order, c->api.fields[FIELD_ITEMS]);
        const cJSON *line = cJSON_IsArray(items) ? cJSON_GetArrayItem(items, 0) : NULL;
        int missing = 0;

        printf("fields (api.fields) in the first order:\n");
        for (size_t f = 0; f < _FIELD_MAX; f++) {
                const cJSON *v =
                        json_pointer_get(is_item_field(f) ? line : order, c->api.fields[f]);

                printf("  %-14s %-24s %s%s%s\n", order_field_names[f], c->api.fields[f],
                       v ? "resolved: " : "NOT resolved", v ? json_kind(v) : "",
                       is_item_field(f) ? " (in the first line)" : "");
                if (!v && field_needed[f])
                        missing++;
        }
        return missing;
}

/* The first order's status and links; returns the number of problems. */
static int check_order(const struct config *c, const cJSON *order)
{
        const char *st = cJSON_GetStringValue(json_pointer_get(order, c->api.fields[FIELD_STATUS]));
        int bad = 0;

        if (st &&
            !streq(config_status_canonical(&c->api, st), order_status_name(ORDER_STATUS_PENDING))) {
                printf("status: '%s' is not api.statuses.pending ('%s')\n", st,
                       c->api.statuses[ORDER_STATUS_PENDING]);
                bad++;
        } else if (st)
                printf("status: '%s' = api.statuses.pending\n", st);
        for (int f = FIELD_APPROVE_LINK; f <= FIELD_REJECT_LINK; f++) {
                const char *link = cJSON_GetStringValue(json_pointer_get(order, c->api.fields[f]));
                int r = link ? api_same_origin(c->api.base_url, link) : 0;

                printf("%s link: %s\n", order_field_names[f],
                       !link    ? "missing"
                       : r == 1 ? "on the API's origin"
                                : "NOT on api.base_url's origin: the daemon would hold the order");
                if (r != 1)
                        bad++;
        }
        return bad;
}

/* The next page (paging next): whether its link is on the API's origin. */
static int check_next(const struct config *c, const cJSON *body, const struct list_request *q)
{
        _cleanup_free_ char *next = NULL;
        int r;

        if (c->api.list.paging != PAGING_NEXT)
                return 0;
        r = api_list_next(&c->api, body, q, &next);
        printf("next page (api.list.next %s): %s%s\n", c->api.list.next,
               r == 1         ? "on the API's origin: "
               : r == 0       ? "none (a single page)"
               : r == -EPERM  ? "NOT on api.base_url's origin, never followed: "
               : r == -ENOMEM ? "out of memory"
                              : "neither a URI string nor null",
               r == 1 || r == -EPERM ? next : "");
        return r < 0 ? 1 : 0;
}

static int report(const struct config *c, struct probe *p, const struct list_request *q)
{
        _cleanup_(cJSON_Deletep) cJSON *j = NULL;
        const cJSON *items;
        int bad;

        if (p->status < 0 || p->status != 200) {
                if (p->status < 0)
                        printf("answer: failed: %s\n", p->detail);
                else
                        printf("answer: HTTP %d%s%s\n", p->status, p->detail[0] ? ": " : "",
                               p->detail);
                printf("result: the API could not be listed; the daemon could not run\n");
                return EX_UNAVAILABLE;
        }
        printf("answer: HTTP 200, %zu bytes\n", p->body_size);
        j = p->body ? cJSON_ParseWithLength(p->body, p->body_size) : NULL;
        if (!j) {
                printf("result: the answer is not JSON; the daemon could not run\n");
                return EX_CONFIG;
        }
        items = api_list_items(&c->api, j);
        if (!items) {
                printf("items (api.list.items '%s'): NOT an array there\n", c->api.list.items);
                print_keys("the answer's top-level keys:", j);
                printf("result: api.list.items does not fit; the daemon could not run\n");
                return EX_CONFIG;
        }
        printf("items (api.list.items '%s'): an array of %d\n", c->api.list.items,
               cJSON_GetArraySize(items));
        bad = check_next(c, j, q);
        if (cJSON_GetArraySize(items) == 0) {
                printf("no order listed: the fields could not be checked\n");
        } else {
                const cJSON *o = cJSON_GetArrayItem(items, 0);

                print_keys("the first order's top-level keys:", o);
                bad += check_fields(c, o);
                bad += check_order(c, o);
        }
        if (bad > 0) {
                printf("result: %d problem%s above; the daemon could not run as configured\n", bad,
                       bad == 1 ? "" : "s");
                return EX_CONFIG;
        }
        printf("result: the daemon could run with this configuration\n");
        return 0;
}

int cmd_probe(int argc, char **argv)
{
        static const struct option options[] = { { "config", required_argument, NULL, 'c' }, {} };
        _cleanup_(credentials_freep) struct credentials *creds = NULL;
        _cleanup_free_ char *url = NULL, *bad_path = NULL, *why = NULL;
        const char *path = APPROVALD_DEFAULT_RULES;
        struct config *c = NULL;
        struct probe p = { 0 };
        struct list_request q = { .page = 1, .page_size = 1 };
        int opt, r;

        while ((opt = getopt_long(argc, argv, "c:", options, NULL)) >= 0) {
                if (opt != 'c')
                        return EX_USAGE;
                path = optarg;
        }
        if (optind < argc) {
                fprintf(stderr, "approvald probe: unexpected argument '%s'\n", argv[optind]);
                return EX_USAGE;
        }
        r = config_load(path, stderr, &c);
        if (r < 0)
                return r == -ENOMEM ? EX_OSERR : EX_CONFIG;
        r = credentials_load(c->api.credentials_dir, &creds, &bad_path);
        if (r < 0) {
                why = r == -ENXIO ? NULL : credentials_strerror(r, bad_path);
                fprintf(stderr, "approvald probe: %s\n",
                        why ?: "no credentials: set api.credentials_dir or $CREDENTIALS_DIRECTORY");
                config_free(c);
                return EX_CONFIG;
        }
        r = api_list_url(&c->api, &q, &url);
        if (r >= 0) {
                print_sent(c, url);
                r = ask(c, creds, url, &p);
        }
        if (r < 0) {
                fprintf(stderr, "approvald probe: cannot ask the API: %s\n", strerror(-r));
                config_free(c);
                free(p.body);
                return r == -ENOMEM ? EX_OSERR : EX_UNAVAILABLE;
        }
        r = report(c, &p, &q);
        free(p.body);
        config_free(c);
        return r;
}
