/* test-sandbox-shapes.c: the three request shapes (--shape page|offset|
 * next) and --require-scope, through libcurl against a running
 * appxite-sandbox: paths, parameters, envelopes and status names of each,
 * and, for each, a listing that changes while it is read (orders decided
 * in the portal and orders created mid-listing): every order present
 * throughout is returned exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox-harness.h"

#define N_SEED 300
#define IDS_MAX 1024
#define PAGE 20

static const char order_body[] =
        "{\"customer\":{\"id\":\"CUS-S\"},\"items\":[{\"quantity\":1,\"unitPrice\":3}]}";

/* A set of order ids, in the order they were added. */
struct ids {
        char *id[IDS_MAX];
        int times[IDS_MAX]; /* how often each was added */
        size_t n;
};

static int ids_find(const struct ids *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->id[i], id) == 0)
                        return (int)i;
        return -1;
}

static bool ids_has(const struct ids *s, const char *id)
{
        return ids_find(s, id) >= 0;
}

/* Adds id (or counts it once more). */
static void ids_add(struct ids *s, const char *id)
{
        int i = ids_find(s, id);

        if (i >= 0) {
                s->times[i]++;
                return;
        }
        assert_true(s->n < IDS_MAX);
        s->id[s->n] = strdup(id);
        s->times[s->n++] = 1;
}

static void ids_done(struct ids *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->id[i]);
        s->n = 0;
}

static struct sbx sb;
static char *token;

static void start(const char *const *extra)
{
        /* created orders (now) sort after every seeded one */
        const char *args[16] = { "--seed", "300",          "--rng-seed",
                                 "5",      "--seed-start", "2025-01-01T00:00:00Z" };
        size_t n = 6;

        for (; extra && *extra; extra++)
                args[n++] = *extra;
        args[n] = NULL;
        sbx_start(&sb, args);
        token = sbx_token(&sb);
}

static void stop(void)
{
        free(token);
        token = NULL;
        sbx_stop(&sb);
}

static void get(struct sbx_resp *r, const char *path, long status)
{
        sbx_api(r, &sb, "GET", path, token, NULL);
        if (r->status != status)
                fprintf(stderr, "GET %s: %ld %s\n", path, r->status, r->body);
        assert_int_equal(r->status, status);
}

static double num(const cJSON *j, const char *name)
{
        const cJSON *v = cJSON_GetObjectItem(j, name);

        assert_true(cJSON_IsNumber(v));
        return v->valuedouble;
}

/* The pending orders now, in (createdAt, id) order, from the stats. */
static void pending_now(struct ids *ret)
{
        struct sbx_resp r;
        const cJSON *o;

        sbx_control(&r, &sb, "GET", "/_sandbox/stats", NULL);
        assert_int_equal(r.status, 200);
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "orders"))
        {
                if (strcmp(sbx_jstr(o, "status"), "PendingApproval") == 0)
                        ids_add(ret, o->string);
        }
        sbx_resp_done(&r);
}

/* ---- the listing that changes while it is read ---- */

/* What a walk through the listing saw and what was done meanwhile. */
struct walk {
        struct ids start; /* pending when the walk began, in listing order */
        struct ids seen; /* returned (times: how often, raw) */
        struct ids decided; /* decided in the portal during the walk */
        struct ids decided_ahead; /* of those, the ones not returned before */
        struct ids created; /* created during the walk */
        int pages;
};

static void portal_decide(struct walk *w, const char *id, bool approve)
{
        struct sbx_resp r;
        char path[160];

        snprintf(path, sizeof(path), "/_sandbox/orders/%s/seller/%s", id,
                 approve ? "approve" : "reject");
        sbx_control(&r, &sb, "POST", path, approve ? NULL : "{\"reason\":\"by a person\"}");
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        ids_add(&w->decided, id);
        if (!ids_has(&w->seen, id))
                ids_add(&w->decided_ahead, id);
}

/* Between pages: decide orders just read and orders just ahead (the ones
 * a listing by count would skip), and create orders. */
static void meddle(struct walk *w)
{
        int ahead = 0, behind = 0;

        w->pages++;
        if (w->pages % 2 == 0) {
                for (size_t i = 0; i < w->start.n && ahead < 4; i++)
                        if (!ids_has(&w->seen, w->start.id[i]) &&
                            !ids_has(&w->decided, w->start.id[i])) {
                                portal_decide(w, w->start.id[i], ahead % 2 == 0);
                                ahead++;
                        }
                for (size_t i = w->seen.n; i-- > 0 && behind < 3;)
                        if (!ids_has(&w->decided, w->seen.id[i])) {
                                portal_decide(w, w->seen.id[i], behind % 2 == 1);
                                behind++;
                        }
        }
        if (w->pages % 3 == 0) {
                for (int i = 0; i < 3; i++) {
                        struct sbx_resp r;

                        sbx_control(&r, &sb, "POST", "/_sandbox/orders", order_body);
                        assert_int_equal(r.status, 201);
                        ids_add(&w->created, sbx_jstr(r.json, "id"));
                        sbx_resp_done(&r);
                }
        }
}

/* Every order pending throughout is returned, and so is every order
 * created mid-listing; none decided before it was reached is.  Orders are
 * counted once per distinct id (a counting client reads some twice on
 * purpose and drops the repeats), or raw with exact.  An order decided
 * before the walk reached it is never returned. */
static void check_walk(const struct walk *w, bool exact)
{
        size_t throughout = 0;

        assert_true(w->decided.n > 10 && w->created.n >= 6);
        for (size_t i = 0; i < w->start.n; i++) {
                const char *id = w->start.id[i];
                int k = ids_find(&w->seen, id);

                if (ids_has(&w->decided, id))
                        continue;
                throughout++;
                if (k < 0)
                        fail_msg("%s, pending throughout, was never returned", id);
                if (exact)
                        assert_int_equal(w->seen.times[k], 1);
        }
        assert_true(throughout > N_SEED / 2);
        for (size_t i = 0; i < w->created.n; i++) {
                int k = ids_find(&w->seen, w->created.id[i]);

                assert_true(k >= 0);
                if (exact)
                        assert_int_equal(w->seen.times[k], 1);
        }
        assert_true(w->decided_ahead.n > 5);
        for (size_t i = 0; i < w->decided_ahead.n; i++)
                if (ids_has(&w->seen, w->decided_ahead.id[i]))
                        fail_msg("%s, decided before it was reached, was returned",
                                 w->decided_ahead.id[i]);
}

static void walk_done(struct walk *w)
{
        ids_done(&w->start);
        ids_done(&w->seen);
        ids_done(&w->decided);
        ids_done(&w->decided_ahead);
        ids_done(&w->created);
}

/* One window of a counted listing (page or offset shape): the orders
 * from position *ret_start on, at most *ret_size of them, starting at or
 * before pos and reaching past it. */
static cJSON *fetch(bool offset, int64_t pos, int64_t *ret_start, int64_t *ret_size,
                    struct sbx_resp *r)
{
        char path[160];
        int64_t k = PAGE;

        if (offset) {
                snprintf(path, sizeof(path),
                         "/api/v3/orders?status=PendingApproval&$skip=%lld&$top=%lld",
                         (long long)pos, (long long)k);
                *ret_start = pos;
        } else {
                /* a page size whose page holding pos also holds pos + 1 */
                while ((pos + 1) % k == 0)
                        k--;
                snprintf(path, sizeof(path),
                         "/orders?status=PendingApproval&page=%lld&pageSize=%lld",
                         (long long)(pos / k + 1), (long long)k);
                *ret_start = pos / k * k;
        }
        *ret_size = k;
        get(r, path, 200);
        return cJSON_GetObjectItem(r->json, offset ? "value" : "items");
}

/* Reads a counted listing the way approvald's poller does: each window
 * overlaps the last order read; a window whose first order was never seen
 * (or that is empty past the start) means orders before it went away, so
 * the client steps back a window. */
static void walk_counted(struct walk *w, bool offset)
{
        int64_t pos = 0;

        for (int guard = 0; guard < 1000; guard++) {
                int64_t start, size;
                struct sbx_resp r;
                const cJSON *items = fetch(offset, pos, &start, &size, &r), *o;
                int n = cJSON_GetArraySize(items);
                const char *first = n > 0 ? sbx_jstr(cJSON_GetArrayItem(items, 0), "id") : NULL;

                if (start > 0 && (!first || !ids_has(&w->seen, first))) {
                        sbx_resp_done(&r);
                        pos = start > PAGE ? start - PAGE : 0;
                        continue;
                }
                cJSON_ArrayForEach(o, items)
                {
                        if (!ids_has(&w->seen, sbx_jstr(o, "id")))
                                ids_add(&w->seen, sbx_jstr(o, "id"));
                }
                sbx_resp_done(&r);
                if (n < size)
                        return;
                pos = start + n - 1;
                meddle(w);
        }
        fail_msg("the listing never ended");
}

/* Follows nextLink to the end; every order is counted as returned. */
static void walk_next(struct walk *w)
{
        char path[256] = "/orders?status=pending&limit=20";

        for (int guard = 0; guard < 1000; guard++) {
                struct sbx_resp r;
                const cJSON *o;
                const char *next;

                get(&r, path, 200);
                cJSON_ArrayForEach(o, cJSON_GetObjectItem(r.json, "data"))
                {
                        assert_string_equal(sbx_jstr(o, "status"), "pending");
                        ids_add(&w->seen, sbx_jstr(o, "id"));
                }
                next = sbx_jstr(r.json, "nextLink");
                if (!next) {
                        sbx_resp_done(&r);
                        return;
                }
                assert_true(strncmp(next, sb.origin, strlen(sb.origin)) == 0);
                snprintf(path, sizeof(path), "%s", next);
                sbx_resp_done(&r);
                meddle(w);
        }
        fail_msg("the listing never ended");
}

static void test_changing_listing_page(void **state)
{
        struct walk w = {};

        start(NULL);
        pending_now(&w.start);
        walk_counted(&w, false);
        check_walk(&w, false);
        walk_done(&w);
        stop();
}

static void test_changing_listing_offset(void **state)
{
        static const char *const args[] = { "--shape", "offset", NULL };
        struct walk w = {};

        start(args);
        pending_now(&w.start);
        walk_counted(&w, true);
        check_walk(&w, false);
        walk_done(&w);
        stop();
}

static void test_changing_listing_next(void **state)
{
        static const char *const args[] = { "--shape", "next", NULL };
        struct walk w = {};

        start(args);
        pending_now(&w.start);
        walk_next(&w);
        check_walk(&w, true); /* the cursor itself never repeats or skips */
        walk_done(&w);
        stop();
}

/* ---- each shape's paths, parameters and envelope ---- */

static void test_offset_shape(void **state)
{
        static const char *const args[] = { "--shape", "offset", NULL };
        static const char *const bad[] = {
                "?$skip=-1",       "?$top=0",         "?$top=501",      "?$skip=",   "?$skip=x",
                "?status=pending", "?status=Pending", "?createdFrom=x", "?$top=1.5",
        };
        struct sbx_resp r;
        char url[160], first[64];
        const cJSON *v;

        start(args);
        get(&r, "/api/v3/orders?status=PendingApproval&$skip=0&$top=3", 200);
        v = cJSON_GetObjectItem(r.json, "value");
        assert_int_equal(cJSON_GetArraySize(v), 3);
        assert_int_equal((int)num(r.json, "@odata.count"), N_SEED);
        assert_null(cJSON_GetObjectItem(r.json, "items"));
        snprintf(first, sizeof(first), "%s", sbx_jstr(cJSON_GetArrayItem(v, 1), "id"));
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(v, 0), "status"), "PendingApproval");
        snprintf(url, sizeof(url), "%s/api/v3/orders/%s/approve", sb.origin,
                 sbx_jstr(cJSON_GetArrayItem(v, 0), "id"));
        assert_string_equal(
                sbx_jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "links"), "approve"), url);
        sbx_resp_done(&r);
        /* $skip counts orders: the second order starts $skip=1 */
        get(&r, "/api/v3/orders?$skip=1&$top=1", 200);
        assert_string_equal(
                sbx_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "value"), 0), "id"), first);
        sbx_resp_done(&r);
        get(&r, "/api/v3/orders?$skip=1000000", 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 0);
        sbx_resp_done(&r);
        /* retrieve, create and the links under the prefix; /orders is gone */
        snprintf(url, sizeof(url), "/api/v3/orders/%s", first);
        get(&r, url, 200);
        assert_string_equal(sbx_jstr(r.json, "id"), first);
        sbx_resp_done(&r);
        get(&r, "/orders", 404);
        sbx_resp_done(&r);
        snprintf(url, sizeof(url), "/orders/%s", first);
        get(&r, url, 404);
        sbx_resp_done(&r);
        sbx_api(&r, &sb, "POST", "/api/v3/orders", token, order_body);
        assert_int_equal(r.status, 201);
        snprintf(url, sizeof(url), "%s", sbx_jstr(cJSON_GetObjectItem(r.json, "links"), "reject"));
        sbx_resp_done(&r);
        sbx_api(&r, &sb, "POST", url, token, "{\"reason\":\"no\"}");
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        sbx_api(&r, &sb, "POST", url, token, "{\"reason\":\"no\"}");
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "status"), "Rejected");
        sbx_resp_done(&r);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char path[96];

                snprintf(path, sizeof(path), "/api/v3/orders%s", bad[i]);
                get(&r, path, 400);
                assert_string_equal(sbx_jstr(r.json, "error"), "bad_request");
                sbx_resp_done(&r);
        }
        /* the gate covers the prefix */
        sbx_api(&r, &sb, "GET", "/api/v3/orders", "nope", NULL);
        assert_int_equal(r.status, 401);
        sbx_resp_done(&r);
        stop();
}

/* A cursor's nextLink and nextCursor lead to the same page. */
static void test_next_shape(void **state)
{
        static const char *const args[] = { "--shape", "next", "--tiers", "distributor,seller",
                                            NULL };
        static const char *const bad[] = {
                "?status=PendingApproval",
                "?status=Pending",
                "?limit=0",
                "?limit=501",
                "?limit=",
                "?cursor=",
                "?cursor=x",
                "?cursor=%2E%2E",
                "?createdFrom=2026",
        };
        struct sbx_resp r;
        char link[256], cursor[64], path[160], id2[64];
        const cJSON *d;

        start(args);
        get(&r, "/orders?status=pending&limit=2", 200);
        d = cJSON_GetObjectItem(r.json, "data");
        assert_int_equal(cJSON_GetArraySize(d), 2);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(d, 0), "status"), "pending");
        assert_string_equal(
                sbx_jstr(cJSON_GetArrayItem(
                                 cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0), "approvals"), 1),
                         "status"),
                "pending");
        snprintf(link, sizeof(link), "%s", sbx_jstr(r.json, "nextLink"));
        snprintf(cursor, sizeof(cursor), "%s", sbx_jstr(r.json, "nextCursor"));
        assert_true(strlen(cursor) > 10);
        snprintf(path, sizeof(path), "%s/orders?cursor=%s", sb.origin, cursor);
        assert_string_equal(link, path);
        sbx_resp_done(&r);
        get(&r, link, 200);
        snprintf(id2, sizeof(id2), "%s",
                 sbx_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0), "id"));
        assert_string_equal(id2, "ORD-000003");
        sbx_resp_done(&r);
        /* the token with other parameters: the cursor's own filters win, and
         * a cursor may be used again */
        snprintf(path, sizeof(path), "/orders?status=approved&limit=50&cursor=%s", cursor);
        get(&r, path, 200);
        d = cJSON_GetObjectItem(r.json, "data");
        assert_int_equal(cJSON_GetArraySize(d), 2);
        assert_string_equal(sbx_jstr(cJSON_GetArrayItem(d, 0), "id"), id2);
        sbx_resp_done(&r);
        /* the last page has no next */
        get(&r, "/orders?limit=500", 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), N_SEED);
        assert_null(cJSON_GetObjectItem(r.json, "nextLink"));
        assert_null(cJSON_GetObjectItem(r.json, "nextCursor"));
        sbx_resp_done(&r);
        get(&r, "/orders?status=rejected", 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), 0);
        assert_null(cJSON_GetObjectItem(r.json, "nextLink"));
        sbx_resp_done(&r);
        /* lower-case statuses everywhere in this shape */
        sbx_api(&r, &sb, "POST", "/orders/ORD-000001/approve", token, NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "pending"); /* the distributor waits */
        sbx_resp_done(&r);
        sbx_api(&r, &sb, "POST", "/orders/ORD-000001/approve", token, NULL);
        assert_int_equal(r.status, 409);
        assert_string_equal(sbx_jstr(r.json, "status"), "pending");
        sbx_resp_done(&r);
        sbx_control(&r, &sb, "POST", "/_sandbox/orders/ORD-000001/distributor/approve", NULL);
        assert_string_equal(sbx_jstr(r.json, "status"), "approved");
        sbx_resp_done(&r);
        get(&r, "/orders/ORD-000001", 200);
        assert_string_equal(sbx_jstr(r.json, "status"), "approved");
        sbx_resp_done(&r);
        get(&r, "/orders?status=approved&createdFrom=2025-01-01T00:00:00Z", 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), 1);
        sbx_resp_done(&r);
        get(&r, "/orders?status=approved&createdFrom=2025-02-01T00:00:00Z", 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "data")), 0);
        sbx_resp_done(&r);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(path, sizeof(path), "/orders%s", bad[i]);
                get(&r, path, 400);
                assert_string_equal(sbx_jstr(r.json, "error"), "bad_request");
                sbx_resp_done(&r);
        }
        stop();
}

/* A cursor the server no longer knows is refused with 410, whether it was
 * forgotten on purpose or pushed out by newer ones; the listing starts
 * again from the first page. */
static void test_next_cursor_forgotten(void **state)
{
        static const char *const args[] = { "--shape", "next", NULL };
        struct sbx_resp r;
        char link[256];

        start(args);
        get(&r, "/orders?limit=10", 200);
        snprintf(link, sizeof(link), "%s", sbx_jstr(r.json, "nextLink"));
        sbx_resp_done(&r);
        sbx_control(&r, &sb, "DELETE", "/_sandbox/cursors", NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal((int)num(r.json, "forgotten"), 1);
        sbx_resp_done(&r);
        get(&r, link, 410);
        assert_string_equal(sbx_jstr(r.json, "error"), "cursor_expired");
        sbx_resp_done(&r);
        /* a well-formed token that was never issued */
        get(&r, "/orders?cursor=AAAAAAAAAAAAAAAAAAAAAA", 410);
        sbx_resp_done(&r);
        sbx_control(&r, &sb, "POST", "/_sandbox/cursors", NULL);
        assert_int_equal(r.status, 405);
        sbx_resp_done(&r);
        get(&r, "/orders?limit=10", 200);
        assert_string_equal(
                sbx_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "data"), 0), "id"),
                "ORD-000001");
        sbx_resp_done(&r);
        stop();
}

/* With --foreign-next-link the next page lives on another origin: a
 * client that follows it anyway is recorded there. */
static void test_foreign_next_link(void **state)
{
        static const char *const args[] = { "--shape", "next", "--foreign-next-link", NULL };
        struct sbx_resp r;
        char link[256];

        start(args);
        assert_true(strncmp(sb.foreign_origin, "http://127.0.0.1:", 17) == 0);
        get(&r, "/orders?limit=10", 200);
        snprintf(link, sizeof(link), "%s", sbx_jstr(r.json, "nextLink"));
        assert_true(strncmp(link, sb.foreign_origin, strlen(sb.foreign_origin)) == 0);
        sbx_resp_done(&r);
        sbx_control(&r, &sb, "GET", "/_sandbox/stats", NULL);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "foreignRequests")), 0);
        sbx_resp_done(&r);
        get(&r, link, 403);
        sbx_resp_done(&r);
        sbx_control(&r, &sb, "GET", "/_sandbox/stats", NULL);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "foreignRequests")), 1);
        sbx_resp_done(&r);
        stop();
}

static void token_form(struct sbx_resp *r, const char *form)
{
        const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
        char url[128];

        snprintf(url, sizeof(url), "%s/oauth2/token", sb.origin);
        sbx_http(r, "POST", url, headers, form, strlen(form));
}

static void test_require_scope(void **state)
{
        static const char *const args[] = { "--seed", "1", "--require-scope",
                                            "api://appxite/.default", NULL };
        static const struct {
                const char *form;
                long status;
                const char *error;
        } cases[] = {
                { "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
                  400, "invalid_scope" },
                { "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
                  "&scope=api://appxite/other",
                  400, "invalid_scope" },
                { "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
                  "&scope=",
                  400, "invalid_scope" },
                { "grant_type=client_credentials&client_id=demo-client&client_secret=nope"
                  "&scope=x",
                  401, "invalid_client" }, /* the client is checked first */
                { "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret"
                  "&scope=api%3A%2F%2Fappxite%2F.default",
                  200, NULL },
        };
        struct sbx_resp r;

        sbx_start(&sb, args);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                token_form(&r, cases[i].form);
                assert_int_equal(r.status, cases[i].status);
                if (cases[i].error)
                        assert_string_equal(sbx_jstr(r.json, "error"), cases[i].error);
                else
                        assert_non_null(sbx_jstr(r.json, "access_token"));
                sbx_resp_done(&r);
        }
        sbx_stop(&sb);
        /* without --require-scope a scope is accepted and ignored */
        start(NULL);
        token_form(&r, "grant_type=client_credentials&client_id=demo-client&client_secret=demo-"
                       "secret&scope=anything");
        assert_int_equal(r.status, 200);
        sbx_resp_done(&r);
        stop();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changing_listing_page),
                cmocka_unit_test(test_changing_listing_offset),
                cmocka_unit_test(test_changing_listing_next),
                cmocka_unit_test(test_offset_shape),
                cmocka_unit_test(test_next_shape),
                cmocka_unit_test(test_next_cursor_forgotten),
                cmocka_unit_test(test_foreign_next_link),
                cmocka_unit_test(test_require_scope),
        };
        int r;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return r;
}
