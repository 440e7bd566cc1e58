/* sb-handlers.c: the operations of the contract in docs/appxite-api.md:
 * the token endpoint, the gate every /orders request passes (subscription
 * key, injected faults, bearer token, api-version), the five order
 * operations, the /_sandbox/ control endpoints and the foreign listener. */
#include <errno.h>
#include <string.h>

#include <microhttpd.h>

#include "sb-parse.h"
#include "sb-server.h"

#define API_VERSION "3.1"
#define RECORDED_BODY_MAX 4096

static const char apim_missing_key[] =
        "{\"statusCode\":401,\"message\":\"Access denied due to missing subscription key. "
        "Make sure to include subscription key when making requests to an API.\"}";
static const char apim_invalid_key[] =
        "{\"statusCode\":401,\"message\":\"Access denied due to invalid subscription key. "
        "Make sure to provide a valid key for an active subscription.\"}";

static void add_header(struct sb_reply *reply, const char *name, const char *value)
{
        if (reply->n_headers >= SB_REPLY_HEADERS)
                return;
        reply->headers[reply->n_headers].name = name;
        snprintf(reply->headers[reply->n_headers].value, sizeof(reply->headers[0].value), "%s",
                 value);
        reply->n_headers++;
}

static void set_text(struct sb_reply *reply, unsigned status, const char *json)
{
        reply->status = status;
        reply->body = strdup(json);
        if (!reply->body)
                reply->status = 500;
}

/* Takes ownership of j (may be NULL: allocation failed, answer 500). */
static void set_json(struct sb_reply *reply, unsigned status, cJSON *j)
{
        reply->body = j ? cJSON_PrintUnformatted(j) : NULL;
        reply->status = reply->body ? status : 500;
        cJSON_Delete(j);
}

static void set_error(struct sb_reply *reply, unsigned status, const char *code, const char *msg)
{
        cJSON *j = cJSON_CreateObject();

        if (j && (!cJSON_AddStringToObject(j, "error", code) ||
                  (msg && !cJSON_AddStringToObject(j, "message", msg)))) {
                cJSON_Delete(j);
                j = NULL;
        }
        set_json(reply, status, j);
}

static void method_not_allowed(struct sb_reply *reply, const char *allow)
{
        set_error(reply, 405, "method_not_allowed", "method not allowed on this path");
        add_header(reply, MHD_HTTP_HEADER_ALLOW, allow);
}

/* ---- token ---- */

/* Gets client_id/client_secret from HTTP Basic or else the form body. */
static int token_credentials(const struct sb_request *req, char **id, char **secret, bool *basic)
{
        char *pass = NULL, *user = MHD_basic_auth_get_username_password(req->connection, &pass);

        if (user) {
                *basic = true;
                *id = strdup(user);
                *secret = strdup(pass ?: "");
                MHD_free(user);
                if (pass)
                        MHD_free(pass);
                return *id && *secret ? 0 : -ENOMEM;
        }
        (void)sb_form_get(req->body ?: "", req->body_len, "client_id", id);
        (void)sb_form_get(req->body ?: "", req->body_len, "client_secret", secret);
        return 0;
}

static void issue_token(struct sandbox *sb, struct sb_reply *reply)
{
        char token[SB_TOKEN_LEN + 1];
        cJSON *j;
        int r;

        pthread_mutex_lock(&sb->lock);
        r = sb_tokens_issue(&sb->tokens, sb->opt.token_ttl, now_monotonic_us(), token);
        pthread_mutex_unlock(&sb->lock);
        if (r < 0)
                return set_error(reply, 500, "internal", "cannot draw a random token");
        j = cJSON_CreateObject();
        if (j && (!cJSON_AddStringToObject(j, "access_token", token) ||
                  !cJSON_AddStringToObject(j, "token_type", "Bearer") ||
                  !cJSON_AddNumberToObject(j, "expires_in", (double)sb->opt.token_ttl))) {
                cJSON_Delete(j);
                j = NULL;
        }
        set_json(reply, 200, j);
        add_header(reply, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static void handle_token(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        _cleanup_free_ char *grant = NULL, *id = NULL, *secret = NULL;
        bool basic = false;
        int r;

        if (!streq(req->method, "POST"))
                return method_not_allowed(reply, "POST");
        r = sb_form_get(req->body ?: "", req->body_len, "grant_type", &grant);
        if (r < 0)
                return set_error(reply, 400, "invalid_request", "grant_type is required");
        if (!streq(grant, "client_credentials"))
                return set_error(reply, 400, "unsupported_grant_type",
                                 "only client_credentials is supported");
        r = token_credentials(req, &id, &secret, &basic);
        if (r < 0)
                return set_error(reply, 500, "internal", "out of memory");
        if (!id || !secret || !sb_secret_equal(id, sb->opt.client_id) ||
            !sb_secret_equal(secret, sb->opt.client_secret)) {
                set_error(reply, 401, "invalid_client", "unknown client or wrong secret");
                if (basic)
                        add_header(reply, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                   "Basic realm=\"appxite-sandbox\"");
                return;
        }
        issue_token(sb, reply);
}

/* ---- the /orders gate ---- */

static bool gate_subscription(struct sandbox *sb, const struct sb_request *req,
                              struct sb_reply *reply)
{
        const char *key = sb_request_header(req, "Ocp-Apim-Subscription-Key");

        if (!key) {
                set_text(reply, 401, apim_missing_key);
                return false;
        }
        if (!sb_secret_equal(key, sb->opt.subscription_key)) {
                set_text(reply, 401, apim_invalid_key);
                return false;
        }
        return true;
}

static bool gate_faults(struct sandbox *sb, struct sb_reply *reply)
{
        int64_t wait;
        bool fail;
        char buf[160];

        pthread_mutex_lock(&sb->lock);
        wait = sb_faults_rate_check(&sb->faults, now_monotonic_us());
        fail = wait == 0 && sb_faults_fail(&sb->faults);
        pthread_mutex_unlock(&sb->lock);
        if (wait > 0) {
                snprintf(buf, sizeof(buf),
                         "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in "
                         "%lld seconds.\"}",
                         (long long)wait);
                set_text(reply, 429, buf);
                snprintf(buf, sizeof(buf), "%lld", (long long)wait);
                add_header(reply, MHD_HTTP_HEADER_RETRY_AFTER, buf);
                return false;
        }
        if (fail) {
                set_error(reply, 503, "service_unavailable", "injected failure (--fail-rate)");
                return false;
        }
        return true;
}

static bool gate_token(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        const char *token = sb_bearer_token(sb_request_header(req, "Authorization"));
        bool ok = false;

        if (token) {
                pthread_mutex_lock(&sb->lock);
                ok = sb_tokens_valid(&sb->tokens, token, now_monotonic_us());
                pthread_mutex_unlock(&sb->lock);
        }
        if (!ok) {
                set_error(reply, 401, "invalid_token", "missing, unknown or expired access token");
                add_header(reply, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                           "Bearer error=\"invalid_token\"");
        }
        return ok;
}

static bool gate_api_version(const struct sb_request *req, struct sb_reply *reply)
{
        const char *v = sb_request_header(req, "api-version");

        if (v && streq(v, API_VERSION))
                return true;
        set_error(reply, 400, "unsupported_api_version", "send the header api-version: 3.1");
        return false;
}

static bool gate(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        return gate_subscription(sb, req, reply) && gate_faults(sb, reply) &&
               gate_token(sb, req, reply) && gate_api_version(req, reply);
}

/* ---- order operations ---- */

static const char *origin_of(const struct sandbox *sb, const struct sb_order *o)
{
        return o->foreign ? sb->foreign_origin : sb->origin;
}

static bool page_items(struct sandbox *sb, const struct sb_list_query *q, cJSON *items,
                       int64_t *ret_total)
{
        int64_t skip = (q->page - 1) * q->page_size, total = 0, taken = 0;

        for (size_t i = 0; i < sb_store_count(sb->store); i++) {
                const struct sb_order *o = sb_store_at(sb->store, i);
                cJSON *j;

                if (q->status >= 0 && (int)o->status != q->status)
                        continue;
                if (total++ < skip || taken >= q->page_size)
                        continue;
                j = sb_order_to_json(o, origin_of(sb, o));
                if (!j || !cJSON_AddItemToArray(items, j)) {
                        cJSON_Delete(j);
                        return false;
                }
                taken++;
        }
        *ret_total = total;
        return true;
}

/* A query parameter's value, NULL when absent.  "?page" without '=' has
 * no value in libmicrohttpd's eyes, and "?page=1%002" holds a NUL that
 * would cut it to "1": both come back as "" so that they are refused like
 * "?page=" instead of read as absent or as another value. */
static const char *query_arg(const struct sb_request *req, const char *name)
{
        const char *value = NULL;
        size_t size = 0;

        if (MHD_lookup_connection_value_n(req->connection, MHD_GET_ARGUMENT_KIND, name,
                                          strlen(name), &value, &size) != MHD_YES)
                return NULL;
        return value && strlen(value) == size ? value : "";
}

static void handle_list(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        struct sb_list_query q;
        cJSON *j, *items;
        int64_t total = 0;
        bool ok;

        if (sb_list_query_parse(query_arg(req, "status"), query_arg(req, "page"),
                                query_arg(req, "pageSize"), &q) < 0)
                return set_error(reply, 400, "bad_request",
                                 "status must be PendingApproval, Approved or Rejected; page "
                                 "an integer >= 1; pageSize an integer from 1 to 500");
        j = cJSON_CreateObject();
        items = cJSON_AddArrayToObject(j, "items");
        if (!items) {
                cJSON_Delete(j);
                return set_json(reply, 500, NULL);
        }
        pthread_mutex_lock(&sb->lock);
        ok = page_items(sb, &q, items, &total);
        pthread_mutex_unlock(&sb->lock);
        if (!ok || !cJSON_AddNumberToObject(j, "page", (double)q.page) ||
            !cJSON_AddNumberToObject(j, "pageSize", (double)q.page_size) ||
            !cJSON_AddNumberToObject(j, "totalCount", (double)total)) {
                cJSON_Delete(j);
                j = NULL;
        }
        set_json(reply, 200, j);
}

/* Adds a parsed order to the store; answers 201 with it. */
static void create_order(struct sandbox *sb, struct sb_order *o, struct sb_reply *reply)
{
        cJSON *j = NULL;
        int r;

        pthread_mutex_lock(&sb->lock);
        sb_store_next_id(sb->store, o->id);
        o->status = SB_STATUS_PENDING;
        o->created_at = now_realtime_s();
        o->foreign =
                sb->opt.foreign_rate > 0 && sb_rng_double(&sb->foreign_rng) < sb->opt.foreign_rate;
        r = sb_store_add(sb->store, o);
        if (r >= 0)
                j = sb_order_to_json(o, origin_of(sb, o));
        pthread_mutex_unlock(&sb->lock);
        if (r < 0)
                sb_order_free(o);
        set_json(reply, 201, j);
}

static void handle_create(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        struct sb_order *o = NULL;
        const char *why = "out of memory";
        int r;

        r = sb_order_parse_create(req->body ?: "", req->body_len, &o, &why);
        if (r == -ENOMEM)
                return set_error(reply, 500, "internal", why);
        if (r < 0)
                return set_error(reply, 400, "bad_request", why);
        create_order(sb, o, reply);
}

/* Extracts the id after "/orders/" up to the next '/' into id; returns the
 * rest of the path ("" or "/approve"...), or NULL for an impossible id. */
static const char *split_id(const char *path, char id[static SB_ID_MAX])
{
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);

        if (n == 0 || n >= SB_ID_MAX)
                return NULL;
        memcpy(id, path, n);
        id[n] = '\0';
        return path + n;
}

static void conflict(struct sb_reply *reply, const struct sb_order *o)
{
        cJSON *j = cJSON_CreateObject();
        char msg[64];

        snprintf(msg, sizeof(msg), "order is %s", sb_status_to_string(o->status));
        if (j && (!cJSON_AddStringToObject(j, "error", "conflict") ||
                  !cJSON_AddStringToObject(j, "message", msg) ||
                  !cJSON_AddStringToObject(j, "status", sb_status_to_string(o->status)))) {
                cJSON_Delete(j);
                j = NULL;
        }
        set_json(reply, 409, j);
}

/* Approves (reason NULL) or rejects the order id; the caller validated the
 * body.  Takes ownership of reason. */
static void decide(struct sandbox *sb, const char *id, char *reason, bool approve,
                   struct sb_reply *reply)
{
        struct sb_order *o;

        pthread_mutex_lock(&sb->lock);
        o = sb_store_get(sb->store, id);
        if (!o) {
                set_error(reply, 404, "not_found", "no such order");
        } else if (o->status != SB_STATUS_PENDING) {
                conflict(reply, o);
        } else {
                o->status = approve ? SB_STATUS_APPROVED : SB_STATUS_REJECTED;
                if (!approve)
                        o->rejection_reason = TAKE_PTR(reason);
                set_json(reply, 200, sb_order_to_json(o, origin_of(sb, o)));
        }
        if (o && approve)
                o->approve_calls++;
        else if (o)
                o->reject_calls++;
        pthread_mutex_unlock(&sb->lock);
        free(reason);
}

static bool order_exists(struct sandbox *sb, const char *id, struct sb_reply *reply)
{
        bool found;

        pthread_mutex_lock(&sb->lock);
        found = sb_store_get(sb->store, id) != NULL;
        pthread_mutex_unlock(&sb->lock);
        if (!found)
                set_error(reply, 404, "not_found", "no such order");
        return found;
}

static void handle_decision(struct sandbox *sb, const struct sb_request *req, const char *id,
                            bool approve, struct sb_reply *reply)
{
        char *reason = NULL;
        const char *why = "out of memory";
        int r;

        if (!streq(req->method, "POST"))
                return method_not_allowed(reply, "POST");
        if (!order_exists(sb, id, reply))
                return;
        if (approve)
                r = sb_approve_parse(req->body ?: "", req->body_len);
        else
                r = sb_reject_parse(req->body ?: "", req->body_len, &reason, &why);
        if (r == -ENOMEM)
                return set_error(reply, 500, "internal", why);
        if (r < 0)
                return set_error(reply, 400, "bad_request",
                                 approve ? "body must be empty or a JSON object" : why);
        decide(sb, id, reason, approve, reply);
}

static void handle_retrieve(struct sandbox *sb, const char *id, struct sb_reply *reply)
{
        struct sb_order *o;

        pthread_mutex_lock(&sb->lock);
        o = sb_store_get(sb->store, id);
        if (o)
                set_json(reply, 200, sb_order_to_json(o, origin_of(sb, o)));
        else
                set_error(reply, 404, "not_found", "no such order");
        pthread_mutex_unlock(&sb->lock);
}

static void route_orders(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        char id[SB_ID_MAX];
        const char *rest;

        if (streq(req->url, "/orders")) {
                if (streq(req->method, "GET"))
                        return handle_list(sb, req, reply);
                if (streq(req->method, "POST"))
                        return handle_create(sb, req, reply);
                return method_not_allowed(reply, "GET, POST");
        }
        rest = split_id(req->url + strlen("/orders/"), id);
        if (rest && streq(rest, "")) {
                if (!streq(req->method, "GET"))
                        return method_not_allowed(reply, "GET");
                return handle_retrieve(sb, id, reply);
        }
        if (rest && (streq(rest, "/approve") || streq(rest, "/reject")))
                return handle_decision(sb, req, id, streq(rest, "/approve"), reply);
        set_error(reply, 404, "not_found", "no such resource");
}

/* ---- control ---- */

static void handle_control(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        cJSON *j;

        reply->delay = false;
        if (streq(req->url, "/_sandbox/stats")) {
                if (!streq(req->method, "GET"))
                        return method_not_allowed(reply, "GET");
                reply->count = false;
                pthread_mutex_lock(&sb->lock);
                j = sb_stats_to_json(&sb->stats, sb->store);
                pthread_mutex_unlock(&sb->lock);
                return set_json(reply, 200, j);
        }
        if (streq(req->url, "/_sandbox/orders")) {
                if (!streq(req->method, "POST"))
                        return method_not_allowed(reply, "POST");
                return handle_create(sb, req, reply);
        }
        set_error(reply, 404, "not_found", "no such resource");
}

void sb_handle_main(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        if (req->too_big)
                return set_error(reply, 413, "payload_too_large", "request body over 1 MiB");
        if (streq(req->url, "/oauth2/token"))
                return handle_token(sb, req, reply);
        if (strncmp(req->url, "/_sandbox/", 10) == 0)
                return handle_control(sb, req, reply);
        if (streq(req->url, "/orders") || strncmp(req->url, "/orders/", 8) == 0) {
                if (gate(sb, req, reply))
                        route_orders(sb, req, reply);
                return;
        }
        set_error(reply, 404, "not_found", "no such resource");
}

/* ---- the foreign listener ---- */

static cJSON *record(const struct sb_request *req)
{
        const char *auth = sb_request_header(req, "Authorization");
        cJSON *j = cJSON_CreateObject(), *headers = sb_request_headers_json(req);
        char body[RECORDED_BODY_MAX + 1];

        snprintf(body, sizeof(body), "%.*s",
                 (int)(req->body_len < RECORDED_BODY_MAX ? req->body_len : RECORDED_BODY_MAX),
                 req->body ?: "");
        if (!j || !headers || !cJSON_AddStringToObject(j, "method", req->method) ||
            !cJSON_AddStringToObject(j, "path", req->url) ||
            !(auth ? cJSON_AddStringToObject(j, "authorization", auth)
                   : cJSON_AddNullToObject(j, "authorization")) ||
            !cJSON_AddStringToObject(j, "body", body) ||
            !cJSON_AddItemToObject(j, "headers", headers)) {
                cJSON_Delete(headers);
                cJSON_Delete(j);
                return NULL;
        }
        return j;
}

void sb_handle_foreign(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        cJSON *rec = record(req);

        reply->delay = false;
        /* A record that could not be built (NULL) is counted as dropped. */
        pthread_mutex_lock(&sb->lock);
        sb_stats_record_foreign(&sb->stats, rec);
        pthread_mutex_unlock(&sb->lock);
        if (req->too_big)
                return set_error(reply, 413, "payload_too_large", "request body over 1 MiB");
        set_error(reply, 403, "foreign_origin",
                  "this listener stands for a foreign origin; the request was recorded");
}
