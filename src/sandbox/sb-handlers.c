/* sb-handlers.c: the operations of the contract in docs/appxite-api.md:
 * the token endpoint, the gate every /orders request passes (subscription
 * key, injected faults, bearer token, api-version), the order operations
 * but the listing (sb-list.c), and the foreign listener.  The /_sandbox/
 * control calls are in sb-control.c. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <microhttpd.h>

#include "sb-parse.h"
#include "sb-server.h"
#include "sb-tiers.h"

#define API_VERSION "3.1"
#define RECORDED_BODY_MAX 4096

static const char apim_missing_key[] =
        "{\"statusCode\":401,\"message\":\"Access denied due to missing subscription key. "
        "Make sure to include subscription key when making requests to an API.\"}";
static const char apim_invalid_key[] =
        "{\"statusCode\":401,\"message\":\"Access denied due to invalid subscription key. "
        "Make sure to provide a valid key for an active subscription.\"}";

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
                return sb_reply_error(reply, 500, "internal", "cannot draw a random token");
        j = cJSON_CreateObject();
        if (j && (!cJSON_AddStringToObject(j, "access_token", token) ||
                  !cJSON_AddStringToObject(j, "token_type", "Bearer") ||
                  !cJSON_AddNumberToObject(j, "expires_in", (double)sb->opt.token_ttl))) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 200, j);
        sb_reply_header(reply, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* With --require-scope, the form must carry exactly that scope. */
static bool scope_ok(const struct sandbox *sb, const struct sb_request *req)
{
        _cleanup_free_ char *scope = NULL;

        if (!sb->opt.require_scope)
                return true;
        if (sb_form_get(req->body ?: "", req->body_len, "scope", &scope) < 0)
                return false;
        return streq(scope, sb->opt.require_scope);
}

static void handle_token(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        _cleanup_free_ char *grant = NULL, *id = NULL, *secret = NULL;
        bool basic = false;
        int r;

        if (!streq(req->method, "POST"))
                return sb_reply_method_not_allowed(reply, "POST");
        r = sb_form_get(req->body ?: "", req->body_len, "grant_type", &grant);
        if (r < 0)
                return sb_reply_error(reply, 400, "invalid_request", "grant_type is required");
        if (!streq(grant, "client_credentials"))
                return sb_reply_error(reply, 400, "unsupported_grant_type",
                                      "only client_credentials is supported");
        r = token_credentials(req, &id, &secret, &basic);
        if (r < 0)
                return sb_reply_error(reply, 500, "internal", "out of memory");
        if (!id || !secret || !sb_secret_equal(id, sb->opt.client_id) ||
            !sb_secret_equal(secret, sb->opt.client_secret)) {
                sb_reply_error(reply, 401, "invalid_client", "unknown client or wrong secret");
                if (basic)
                        sb_reply_header(reply, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Basic realm=\"appxite-sandbox\"");
                return;
        }
        if (!scope_ok(sb, req))
                return sb_reply_error(reply, 400, "invalid_scope",
                                      "the scope is missing or not the one this API requires");
        issue_token(sb, reply);
}

/* ---- the /orders gate ---- */

static bool gate_subscription(struct sandbox *sb, const struct sb_request *req,
                              struct sb_reply *reply)
{
        const char *key = sb_request_header(req, "Ocp-Apim-Subscription-Key");

        if (!key) {
                sb_reply_text(reply, 401, apim_missing_key);
                return false;
        }
        if (!sb_secret_equal(key, sb->opt.subscription_key)) {
                sb_reply_text(reply, 401, apim_invalid_key);
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
                sb_reply_text(reply, 429, buf);
                snprintf(buf, sizeof(buf), "%lld", (long long)wait);
                sb_reply_header(reply, MHD_HTTP_HEADER_RETRY_AFTER, buf);
                return false;
        }
        if (fail) {
                sb_reply_error(reply, 503, "service_unavailable", "injected failure (--fail-rate)");
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
                sb_reply_error(reply, 401, "invalid_token",
                               "missing, unknown or expired access token");
                sb_reply_header(reply, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer error=\"invalid_token\"");
        }
        return ok;
}

static bool gate_api_version(const struct sb_request *req, struct sb_reply *reply)
{
        const char *v = sb_request_header(req, "api-version");

        if (v && streq(v, API_VERSION))
                return true;
        sb_reply_error(reply, 400, "unsupported_api_version", "send the header api-version: 3.1");
        return false;
}

static bool gate(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        return gate_subscription(sb, req, reply) && gate_faults(sb, reply) &&
               gate_token(sb, req, reply) && gate_api_version(req, reply);
}

/* ---- order operations ---- */

void sb_view_of(const struct sandbox *sb, const struct sb_order *o, struct sb_view *ret)
{
        assert(sb && o && ret);
        *ret = (struct sb_view){
                .origin = o->foreign ? sb->foreign_origin : sb->origin,
                .prefix = sb_shape_info(sb->opt.shape)->prefix,
                .lower = sb_shape_info(sb->opt.shape)->lower,
                .parties = sb->opt.tiers.list,
                .n_parties = sb->opt.tiers.n,
        };
}

cJSON *sb_order_json(const struct sandbox *sb, const struct sb_order *o)
{
        struct sb_view v;

        sb_view_of(sb, o, &v);
        return sb_order_render(o, &v);
}

const char *sb_request_query(const struct sb_request *req, const char *name)
{
        const char *value = NULL;
        size_t size = 0;

        assert(req && name);
        if (MHD_lookup_connection_value_n(req->connection, MHD_GET_ARGUMENT_KIND, name,
                                          strlen(name), &value, &size) != MHD_YES)
                return NULL;
        return value && strlen(value) == size ? value : "";
}

/* Adds a parsed order to the store; answers 201 with it and queues its
 * webhook event (built under the lock, queued after it). */
static void create_order(struct sandbox *sb, struct sb_order *o, struct sb_reply *reply)
{
        char *event = NULL;
        cJSON *j = NULL;
        int r;

        pthread_mutex_lock(&sb->lock);
        sb_store_next_id(sb->store, o->id);
        o->status = SB_STATUS_PENDING;
        sb_tiers_init_order(o);
        o->created_at = now_realtime_s();
        o->foreign =
                sb->opt.foreign_rate > 0 && sb_rng_double(&sb->foreign_rng) < sb->opt.foreign_rate;
        r = sb_store_add(sb->store, o);
        if (r >= 0)
                j = sb_order_json(sb, o);
        if (r >= 0 && sb->webhook)
                event = sb_webhook_event(o);
        pthread_mutex_unlock(&sb->lock);
        if (r < 0)
                sb_order_free(o);
        if (r >= 0 && sb->webhook)
                (void)sb_webhook_enqueue(sb->webhook, event, SB_WEBHOOK_AUTH_CONFIGURED);
        sb_reply_json(reply, 201, j);
}

void sb_handle_create(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        struct sb_order *o = NULL;
        const char *why = "out of memory";
        int r;

        assert(sb && req && reply);
        r = sb_order_parse_create(req->body ?: "", req->body_len, &o, &why);
        if (r == -ENOMEM)
                return sb_reply_error(reply, 500, "internal", why);
        if (r < 0)
                return sb_reply_error(reply, 400, "bad_request", why);
        create_order(sb, o, reply);
}

const char *sb_split_id(const char *path, char id[static SB_ID_MAX])
{
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);

        assert(path);
        if (n == 0 || n >= SB_ID_MAX)
                return NULL;
        memcpy(id, path, n);
        id[n] = '\0';
        return path + n;
}

/* 409 with the order's status; msg NULL says "order is <status>". */
static void conflict(const struct sandbox *sb, struct sb_reply *reply, const struct sb_order *o,
                     const char *msg)
{
        const char *status = sb_status_name(o->status, sb_shape_info(sb->opt.shape)->lower);
        cJSON *j = cJSON_CreateObject();
        char buf[64];

        snprintf(buf, sizeof(buf), "order is %s", status);
        if (j && (!cJSON_AddStringToObject(j, "error", "conflict") ||
                  !cJSON_AddStringToObject(j, "message", msg ?: buf) ||
                  !cJSON_AddStringToObject(j, "status", status))) {
                cJSON_Delete(j);
                j = NULL;
        }
        sb_reply_json(reply, 409, j);
}

/* The order id, decided by party through the one tier rule; the caller
 * validated the body.  Takes ownership of reason.  by_link counts the
 * call in the order's approveCalls/rejectCalls. */
static void decide(struct sandbox *sb, const char *id, enum sb_party party, bool approve,
                   char *reason, bool by_link, struct sb_reply *reply)
{
        struct sb_order *o;
        int r;

        pthread_mutex_lock(&sb->lock);
        o = sb_store_get(sb->store, id);
        if (!o) {
                sb_reply_error(reply, 404, "not_found", "no such order");
                goto out;
        }
        r = sb_tiers_decide(&sb->opt.tiers, o, party, approve, &reason);
        if (r == -EBUSY)
                conflict(sb, reply, o, NULL);
        else if (r == -EALREADY)
                conflict(sb, reply, o,
                         party == SB_PARTY_SELLER ? "the seller has decided; other parties have not"
                                                  : "the distributor has decided; other parties "
                                                    "have not");
        else
                sb_reply_json(reply, 200, sb_order_json(sb, o));
        if (by_link && approve)
                o->approve_calls++;
        else if (by_link)
                o->reject_calls++;
out:
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
                sb_reply_error(reply, 404, "not_found", "no such order");
        return found;
}

void sb_handle_decision(struct sandbox *sb, const struct sb_request *req, const char *id,
                        enum sb_party party, bool approve, bool by_link, struct sb_reply *reply)
{
        char *reason = NULL;
        const char *why = "out of memory";
        int r;

        assert(sb && req && id && reply);
        if (!streq(req->method, "POST"))
                return sb_reply_method_not_allowed(reply, "POST");
        if (!order_exists(sb, id, reply))
                return;
        if (approve)
                r = sb_approve_parse(req->body ?: "", req->body_len);
        else
                r = sb_reject_parse(req->body ?: "", req->body_len, &reason, &why);
        if (r == -ENOMEM)
                return sb_reply_error(reply, 500, "internal", why);
        if (r < 0)
                return sb_reply_error(reply, 400, "bad_request",
                                      approve ? "body must be empty or a JSON object" : why);
        decide(sb, id, party, approve, reason, by_link, reply);
}

static void handle_retrieve(struct sandbox *sb, const char *id, struct sb_reply *reply)
{
        struct sb_order *o;

        pthread_mutex_lock(&sb->lock);
        o = sb_store_get(sb->store, id);
        if (o)
                sb_reply_json(reply, 200, sb_order_json(sb, o));
        else
                sb_reply_error(reply, 404, "not_found", "no such order");
        pthread_mutex_unlock(&sb->lock);
}

/* Routes path, the part after the shape's orders prefix ("" or "/..."). */
static void route_orders(struct sandbox *sb, const struct sb_request *req, const char *path,
                         struct sb_reply *reply)
{
        char id[SB_ID_MAX];
        const char *rest;

        if (streq(path, "")) {
                if (streq(req->method, "GET"))
                        return sb_handle_list(sb, req, reply);
                if (streq(req->method, "POST"))
                        return sb_handle_create(sb, req, reply);
                return sb_reply_method_not_allowed(reply, "GET, POST");
        }
        rest = sb_split_id(path + 1, id);
        if (rest && streq(rest, "")) {
                if (!streq(req->method, "GET"))
                        return sb_reply_method_not_allowed(reply, "GET");
                return handle_retrieve(sb, id, reply);
        }
        /* The order's links act for the seller. */
        if (rest && (streq(rest, "/approve") || streq(rest, "/reject")))
                return sb_handle_decision(sb, req, id, SB_PARTY_SELLER, streq(rest, "/approve"),
                                          true, reply);
        sb_reply_error(reply, 404, "not_found", "no such resource");
}

/* The rest of url after the shape's orders prefix, or NULL when url is
 * not under it. */
static const char *under_prefix(const struct sandbox *sb, const char *url)
{
        const char *prefix = sb_shape_info(sb->opt.shape)->prefix;
        size_t n = strlen(prefix);

        if (strncmp(url, prefix, n) != 0 || (url[n] != '\0' && url[n] != '/'))
                return NULL;
        return url + n;
}

void sb_handle_main(struct sandbox *sb, const struct sb_request *req, struct sb_reply *reply)
{
        const char *path;

        if (req->too_big)
                return sb_reply_error(reply, 413, "payload_too_large", "request body over 1 MiB");
        if (streq(req->url, "/oauth2/token"))
                return handle_token(sb, req, reply);
        if (strncmp(req->url, "/_sandbox/", 10) == 0)
                return sb_handle_control(sb, req, reply);
        path = under_prefix(sb, req->url);
        if (path) {
                if (gate(sb, req, reply))
                        route_orders(sb, req, path, reply);
                return;
        }
        sb_reply_error(reply, 404, "not_found", "no such resource");
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
                return sb_reply_error(reply, 413, "payload_too_large", "request body over 1 MiB");
        sb_reply_error(reply, 403, "foreign_origin",
                       "this listener stands for a foreign origin; the request was recorded");
}
