/* sandbox-harness.h: starts the built appxite-sandbox on a free port and
 * talks to it over libcurl, for the integration tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

struct sbx {
        pid_t pid;
        char origin[64], foreign_origin[64];
};

struct sbx_resp {
        long status;
        char *body;
        size_t len;
        char *headers; /* raw header block */
        double seconds;
        cJSON *json;
};

/* Starts the sandbox with the given extra arguments (NULL-terminated) and
 * reads its address lines; aborts the test on failure. */
void sbx_start(struct sbx *s, const char *const *args);
/* Sends SIGTERM and asserts a clean exit (status 0). */
void sbx_stop(struct sbx *s);

/* Performs a request.  headers is NULL-terminated, body may be NULL. */
void sbx_http(struct sbx_resp *r, const char *method, const char *url, const char *const *headers,
              const char *body, size_t body_len);
/* As above against s->origin + path with the three API headers and token. */
void sbx_api(struct sbx_resp *r, struct sbx *s, const char *method, const char *path,
             const char *token, const char *body);
/* Gets a token with the default demo credentials; caller frees. */
char *sbx_token(struct sbx *s);
void sbx_resp_done(struct sbx_resp *r);

/* A /_sandbox/ control call against s->origin + path: no credentials, a
 * JSON body (may be NULL). */
void sbx_control(struct sbx_resp *r, struct sbx *s, const char *method, const char *path,
                 const char *body);

/* A string member of j, or NULL. */
const char *sbx_jstr(const cJSON *j, const char *name);

/* Value of a response header (case-insensitive name) into buf, or NULL. */
const char *sbx_header(const struct sbx_resp *r, const char *name, char *buf, size_t size);
