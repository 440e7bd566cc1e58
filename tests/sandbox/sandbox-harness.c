/* sandbox-harness.c: process and HTTP helpers for the sandbox tests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox-harness.h"

#ifndef SANDBOX_BIN
#error "SANDBOX_BIN must name the built appxite-sandbox"
#endif

/* Reads one line that starts with prefix and copies the rest into out; a
 * rest that does not fit is an error, not a shortened origin. */
static bool read_line_prefix(FILE *f, const char *prefix, char *out, size_t size)
{
        char line[256];
        const char *rest;
        size_t n;

        if (!fgets(line, sizeof(line), f))
                return false;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, prefix, strlen(prefix)) != 0)
                return false;
        rest = line + strlen(prefix);
        n = strlen(rest);
        if (n >= size)
                return false;
        memcpy(out, rest, n + 1);
        return true;
}

static bool has_foreign(const char *const *args)
{
        for (; args && *args; args++)
                if ((strcmp(*args, "--foreign-links") == 0 && args[1] &&
                     strtod(args[1], NULL) > 0) ||
                    strcmp(*args, "--foreign-next-link") == 0)
                        return true;
        return false;
}

void sbx_start(struct sbx *s, const char *const *args)
{
        const char *argv[64] = { SANDBOX_BIN, "--listen", "127.0.0.1:0" };
        const char *const *orig = args, *wrapper;
        size_t n = 3;
        int fds[2];
        FILE *f;

        for (; args && *args && n < 62; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        wrapper = getenv("SANDBOX_WRAPPER");
        memset(s, 0, sizeof(*s));
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        fflush(NULL);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                /* a test that fails before sbx_stop() leaves no sandbox behind */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                dup2(fds[1], STDOUT_FILENO);
                if (wrapper) {
                        /* e.g. SANDBOX_WRAPPER=valgrind: run the sandbox under it */
                        memmove(argv + 1, argv, sizeof(argv[0]) * 62);
                        argv[0] = wrapper;
                        execvp(wrapper, (char *const *)argv);
                }
                execv(SANDBOX_BIN, (char *const *)argv);
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        assert_non_null(f);
        assert_true(read_line_prefix(f, "listening on ", s->origin, sizeof(s->origin)));
        assert_true(strncmp(s->origin, "http://127.0.0.1:", 17) == 0);
        if (has_foreign(orig))
                assert_true(read_line_prefix(f, "foreign on ", s->foreign_origin,
                                             sizeof(s->foreign_origin)));
        fclose(f);
}

void sbx_stop(struct sbx *s)
{
        int status = -1;

        assert_int_equal(kill(s->pid, SIGTERM), 0);
        assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

struct buf {
        char *p;
        size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct buf *b = userdata;
        size_t len = size * nmemb;
        char *p = realloc(b->p, b->n + len + 1);

        if (!p)
                return 0;
        memcpy(p + b->n, ptr, len);
        b->p = p;
        b->n += len;
        p[b->n] = '\0';
        return len;
}

void sbx_http(struct sbx_resp *r, const char *method, const char *url, const char *const *headers,
              const char *body, size_t body_len)
{
        struct buf data = {}, hdrs = {};
        struct curl_slist *list = NULL;
        CURL *c = curl_easy_init();

        assert_non_null(c);
        for (; headers && *headers; headers++)
                list = curl_slist_append(list, *headers);
        list = curl_slist_append(list, "Expect:");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &data);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        if (body) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        memset(r, 0, sizeof(*r));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
        r->body = data.p ? data.p : strdup("");
        r->len = data.n;
        r->headers = hdrs.p ? hdrs.p : strdup("");
        r->json = cJSON_Parse(r->body);
        curl_slist_free_all(list);
        curl_easy_cleanup(c);
}

void sbx_api(struct sbx_resp *r, struct sbx *s, const char *method, const char *path,
             const char *token, const char *body)
{
        char url[512], auth[256];
        const char *headers[] = { "Ocp-Apim-Subscription-Key: demo-key", "api-version: 3.1",
                                  "Content-Type: application/json", auth, NULL };

        if (strncmp(path, "http", 4) == 0)
                snprintf(url, sizeof(url), "%s", path);
        else
                snprintf(url, sizeof(url), "%s%s", s->origin, path);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : "");
        sbx_http(r, method, url, headers, body, body ? strlen(body) : 0);
}

void sbx_control(struct sbx_resp *r, struct sbx *s, const char *method, const char *path,
                 const char *body)
{
        static const char *const headers[] = { "Content-Type: application/json", NULL };
        char url[512];

        snprintf(url, sizeof(url), "%s%s", s->origin, path);
        sbx_http(r, method, url, headers, body, body ? strlen(body) : 0);
}

const char *sbx_jstr(const cJSON *j, const char *name)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

char *sbx_token(struct sbx *s)
{
        static const char form[] =
                "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";
        const char *headers[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
        struct sbx_resp r;
        char url[128];
        char *t;

        snprintf(url, sizeof(url), "%s/oauth2/token", s->origin);
        sbx_http(&r, "POST", url, headers, form, strlen(form));
        assert_int_equal(r.status, 200);
        t = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "access_token")));
        sbx_resp_done(&r);
        return t;
}

void sbx_resp_done(struct sbx_resp *r)
{
        free(r->body);
        free(r->headers);
        cJSON_Delete(r->json);
        memset(r, 0, sizeof(*r));
}

const char *sbx_header(const struct sbx_resp *r, const char *name, char *buf, size_t size)
{
        size_t n = strlen(name);

        for (const char *l = r->headers; l && *l;) {
                const char *eol = strstr(l, "\r\n");
                size_t len = eol ? (size_t)(eol - l) : strlen(l);

                if (len > n && strncasecmp(l, name, n) == 0 && l[n] == ':') {
                        const char *v = l + n + 1;

                        while (*v == ' ')
                                v++;
                        snprintf(buf, size, "%.*s", (int)(len - (size_t)(v - l)), v);
                        return buf;
                }
                if (!eol)
                        break;
                l = eol + 2;
        }
        return NULL;
}
