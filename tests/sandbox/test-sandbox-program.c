/* test-sandbox-program.c: the program around the API: --help, option
 * errors, deterministic seeding, --orders files, TLS and signals. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sandbox-harness.h"

static char tmpdir[64];

static const char *jstr(const cJSON *j, const char *name)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

/* Runs the sandbox with a shell-quoted argument string; returns its exit
 * status and its stdout+stderr in out. */
static int run(const char *args, char *out, size_t size)
{
        char cmd[1024];
        size_t n = 0;
        FILE *f;
        int st;

        snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", SANDBOX_BIN, args);
        f = popen(cmd, "r");
        assert_non_null(f);
        n = fread(out, 1, size - 1, f);
        out[n] = '\0';
        st = pclose(f);
        assert_true(WIFEXITED(st));
        return WEXITSTATUS(st);
}

static void test_help(void **state)
{
        static const char *const opts[] = {
                "--listen",
                "--seed",
                "--rng-seed",
                "--seed-start",
                "--orders",
                "--client-id",
                "--client-secret",
                "--subscription-key",
                "--token-ttl",
                "--latency-ms",
                "--fail-rate",
                "--rate-limit",
                "--foreign-links",
                "--foreign-listen",
                "--tls-cert",
                "--tls-key",
                "demo-client",
                "demo-secret",
                "demo-key",
                "--tiers",
                "--webhook",
                "--webhook-authorization",
                "--shape",
                "--require-scope",
                "--foreign-next-link",
                "/_sandbox/stats",
                "/_sandbox/orders/ID/PARTY/approve",
                "/_sandbox/webhook",
                "/_sandbox/cursors",
                "unknown-order",
        };
        static char out[16384];

        assert_int_equal(run("--help", out, sizeof(out)), 0);
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
                assert_non_null(strstr(out, opts[i]));
}

static void test_bad_options(void **state)
{
        static const char *const bad[] = {
                "--seed -1",
                "--seed x",
                "--fail-rate 1.5",
                "--fail-rate abc",
                "--listen 1.2.3:80",
                "--listen 127.0.0.1:70000",
                "--token-ttl 0",
                "--latency-ms -5",
                "--tls-cert /nonexistent",
                "--bogus",
                "extra",
                "--seed 5 --orders /dev/null",
                "--orders /nonexistent/file",
                "--tiers distributor",
                "--tiers seller,seller",
                "--tiers ''",
                "--tiers seller,buyer",
                "--webhook ftp://127.0.0.1/x",
                "--webhook 127.0.0.1:80",
                "--webhook 'http://a b/'",
                "--webhook-authorization x",
                "--shape pages",
                "--shape ''",
                "--foreign-next-link",
                "--shape offset --foreign-next-link",
                "--require-scope ''",
                "--webhook http://127.0.0.1:1/ --webhook-authorization ''",
                "--webhook http://127.0.0.1:1/ --webhook-authorization \"$(printf 'a\\nb')\"",
        };
        char out[4096];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int st = run(bad[i], out, sizeof(out));

                if (st == 0)
                        fprintf(stderr, "accepted: %s\n", bad[i]);
                assert_true(st != 0);
        }
}

static char *first_order_json(const char *const *args, char *created_at, size_t size)
{
        struct sbx s;
        struct sbx_resp r;
        char *t, *out;
        const cJSON *items;

        sbx_start(&s, args);
        t = sbx_token(&s);
        sbx_api(&r, &s, "GET", "/orders?pageSize=500&page=2", t, NULL);
        assert_int_equal(r.status, 200);
        items = cJSON_GetObjectItem(r.json, "items");
        assert_int_equal(cJSON_GetArraySize(items), 500);
        snprintf(created_at, size, "%s", jstr(cJSON_GetArrayItem(items, 499), "createdAt"));
        cJSON_DeleteItemFromObject(cJSON_GetArrayItem(items, 0), "links");
        out = cJSON_PrintUnformatted(cJSON_GetArrayItem(items, 0));
        sbx_resp_done(&r);
        free(t);
        sbx_stop(&s);
        return out;
}

/* The same --rng-seed gives the same orders; createdAt lies in the past. */
static void test_seed_deterministic(void **state)
{
        static const char *const a[] = { "--seed", "1000", "--rng-seed", "99", NULL };
        static const char *const b[] = { "--seed", "1000", "--rng-seed", "100", NULL };
        char at[32], now[32];
        char *x = first_order_json(a, at, sizeof(at)), *y = first_order_json(a, at, sizeof(at));
        char *z = first_order_json(b, at, sizeof(at));
        time_t t = time(NULL);

        assert_string_equal(x, y);
        assert_string_not_equal(x, z);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
        assert_true(strcmp(at, now) < 0);
        free(x);
        free(y);
        free(z);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_orders_file(void **state)
{
        static const char orders[] =
                "[{\"id\":\"ORD-000900\",\"status\":\"Approved\",\"createdAt\":\"2026-03-02T00:00:"
                "00Z\","
                "\"customer\":{\"id\":\"CUS-1\",\"name\":\"A\",\"countryCode\":\"SE\",\"domain\":"
                "\"a.example\"},"
                "\"price\":{\"total\":1,\"currency\":\"SEK\"},"
                "\"items\":[{\"offerId\":\"O\",\"sku\":\"S\",\"name\":\"N\",\"quantity\":2,"
                "\"unitPrice\":0.1,"
                "\"billingFrequency\":\"Monthly\",\"termDuration\":\"P1M\"}]},"
                "{\"id\":\"X-1\",\"status\":\"PendingApproval\",\"createdAt\":\"2026-03-01T00:00:"
                "00Z\","
                "\"customer\":{\"id\":\"CUS-2\"},\"price\":{\"currency\":\"EUR\"},"
                "\"items\":[{\"quantity\":1,\"unitPrice\":5}]}]";
        char path[128], arg[160], out[1024];
        const char *args[] = { "--orders", path, NULL };
        struct sbx s;
        struct sbx_resp r;
        const cJSON *items;
        char *t, *id;

        snprintf(path, sizeof(path), "%s/orders.json", tmpdir);
        write_file(path, orders);
        sbx_start(&s, args);
        t = sbx_token(&s);
        sbx_api(&r, &s, "GET", "/orders", t, NULL);
        items = cJSON_GetObjectItem(r.json, "items");
        assert_int_equal(cJSON_GetArraySize(items), 2);
        assert_string_equal(jstr(cJSON_GetArrayItem(items, 0), "id"), "X-1");
        assert_string_equal(jstr(cJSON_GetArrayItem(items, 1), "id"), "ORD-000900");
        assert_string_equal(jstr(cJSON_GetArrayItem(items, 1), "status"), "Approved");
        assert_non_null(strstr(r.body, "\"total\":0.20"));
        sbx_resp_done(&r);
        sbx_api(&r, &s, "POST", "/orders", t,
                "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1,\"unitPrice\":1}]}");
        id = strdup(jstr(r.json, "id"));
        assert_string_equal(id, "ORD-000901"); /* ids continue after the file's */
        sbx_resp_done(&r);
        free(id);
        free(t);
        sbx_stop(&s);

        write_file(
                path,
                "[{\"id\":\"A\",\"createdAt\":\"2026-03-01T00:00:00Z\",\"customer\":{\"id\":\"C\"},"
                "\"items\":[{\"quantity\":1,\"unitPrice\":1}]},"
                "{\"id\":\"A\",\"createdAt\":\"2026-03-01T00:00:00Z\",\"customer\":{\"id\":\"C\"},"
                "\"items\":[{\"quantity\":1,\"unitPrice\":1}]}]");
        snprintf(arg, sizeof(arg), "--orders '%s'", path);
        assert_int_equal(run(arg, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "duplicate id"));
        write_file(path, "{\"not\":\"an array\"}");
        assert_int_equal(run(arg, out, sizeof(out)), 1);
}

static void test_sigint(void **state)
{
        struct sbx s;
        int st;

        sbx_start(&s, NULL);
        assert_int_equal(kill(s.pid, SIGINT), 0);
        assert_int_equal(waitpid(s.pid, &st, 0), s.pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

/* A port that was free a moment ago, for a test that must know the port
 * before the sandbox prints it. */
static unsigned free_port(void)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

static size_t collect(char *p, size_t size, size_t nmemb, void *u)
{
        char *buf = u;
        size_t have = strlen(buf), n = size * nmemb;

        if (have + n < 4096) {
                memcpy(buf + have, p, n);
                buf[have + n] = '\0';
        }
        return n;
}

/* Creates an order as soon as the port accepts a connection; returns its
 * approve link (caller frees). */
static char *first_link_on(unsigned port)
{
        static const char body[] = "{\"customer\":{\"id\":\"C\"},\"items\":[{\"quantity\":1,"
                                   "\"unitPrice\":1}]}";
        char url[128], out[4096];
        CURLcode rc = CURLE_COULDNT_CONNECT;
        cJSON *j;
        char *link;

        snprintf(url, sizeof(url), "http://127.0.0.1:%u/_sandbox/orders", port);
        for (int i = 0; i < 20000 && rc == CURLE_COULDNT_CONNECT; i++) {
                CURL *c = curl_easy_init();

                assert_non_null(c);
                out[0] = '\0';
                curl_easy_setopt(c, CURLOPT_URL, url);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
                curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
                curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
                rc = curl_easy_perform(c);
                curl_easy_cleanup(c);
        }
        assert_int_equal(rc, CURLE_OK);
        j = cJSON_Parse(out);
        link = cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(j, "links"), "approve"));
        assert_non_null(link);
        link = strdup(link);
        cJSON_Delete(j);
        return link;
}

/* Links are absolute from the very first request: both listeners' origins
 * are known before either accepts a connection (a request that raced the
 * start once got "/orders/ORD-000001/approve"). */
static void test_links_absolute_at_start(void **state)
{
        for (int round = 0; round < 20; round++) {
                unsigned port = free_port();
                char listen[32];
                char *link;
                pid_t pid;
                int st;

                snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
                fflush(NULL);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                        dup2(null, STDOUT_FILENO);
                        execl(SANDBOX_BIN, SANDBOX_BIN, "--listen", listen, "--foreign-links", "1",
                              (char *)NULL);
                        _exit(127);
                }
                link = first_link_on(port);
                assert_int_equal(kill(pid, SIGTERM), 0);
                assert_int_equal(waitpid(pid, &st, 0), pid);
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                if (strncmp(link, "http://127.0.0.1:", 17) != 0)
                        fail_msg("round %d: approve link '%s' is not absolute", round, link);
                free(link);
        }
}

static size_t discard(char *p, size_t size, size_t nmemb, void *u)
{
        return size * nmemb;
}

/* The harness expects http://, so this reads the https line itself. */
static void start_tls(struct sbx *s, const char *cert, const char *key, char *url, size_t size)
{
        char line[256];
        int fds[2];
        FILE *f;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                dup2(fds[1], 1);
                execl(SANDBOX_BIN, SANDBOX_BIN, "--listen", "127.0.0.1:0", "--tls-cert", cert,
                      "--tls-key", key, (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        assert_non_null(f);
        assert_non_null(fgets(line, sizeof(line), f));
        fclose(f);
        assert_true(strncmp(line, "listening on https://127.0.0.1:", 31) == 0);
        line[strcspn(line, "\n")] = '\0';
        snprintf(url, size, "%s/_sandbox/stats", line + 13);
}

static void test_tls(void **state)
{
        char cmd[512], cert[128], key[128];
        struct sbx s;
        CURL *c;
        long code = 0;
        char url[300];

        snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
        snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
        snprintf(cmd, sizeof(cmd),
                 "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 2 "
                 "-subj /CN=127.0.0.1 >/dev/null 2>&1",
                 key, cert);
        if (system(cmd) != 0) {
                printf("test_tls: skipped, openssl could not make a certificate\n");
                return;
        }
        start_tls(&s, cert, key, url, sizeof(url));
        c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CAINFO, cert);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        assert_int_equal(code, 200);
        curl_easy_cleanup(c);
        sbx_stop(&s);
}

static int setup(void **state)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/sandbox-test-XXXXXX");
        if (!mkdtemp(tmpdir))
                return -1;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        curl_global_cleanup();
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_help),
                cmocka_unit_test(test_bad_options),
                cmocka_unit_test(test_seed_deterministic),
                cmocka_unit_test(test_orders_file),
                cmocka_unit_test(test_sigint),
                cmocka_unit_test(test_links_absolute_at_start),
                cmocka_unit_test(test_tls),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
