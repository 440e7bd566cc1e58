/* sb-webhook.c: the webhook sender: a ring of queued events under its own
 * mutex (never the sandbox's), and one thread that takes them in order
 * and posts each with up to SB_WEBHOOK_ATTEMPTS attempts.  Transport
 * errors, 408, 429 and 5xx are retried after 100, 200, 400, 800 ms; any
 * other answer ends the event (2xx delivered, the rest refused).  Every
 * attempt has short timeouts, and stopping aborts the one in flight. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "sb-webhook.h"
#include "timeutil.h"

struct event {
        char *body;
        enum sb_webhook_auth auth;
};

enum outcome {
        OUTCOME_DELIVERED,
        OUTCOME_REFUSED,
        OUTCOME_RETRY,
        OUTCOME_STOPPED,
};

struct sb_webhook {
        char *url, *auth_header, *wrong_header;
        pthread_mutex_t lock;
        pthread_cond_t wake; /* an event was queued, or stop was set */
        struct event ring[SB_WEBHOOK_QUEUE_MAX];
        size_t head, len;
        bool stop; /* also read without the lock by the progress callback */
        bool synced, started; /* lock and wake initialised; thread running */
        pthread_t thread;
        uint64_t delivered, refused, failed, dropped, attempts;
};

static char *event_text(const char *id, int64_t cents, const char *currency, int64_t created_at)
{
        char ts[TIMESTAMP_BUF_SIZE], *text = NULL;
        cJSON *j = cJSON_CreateObject();

        if (j && cJSON_AddStringToObject(j, "eventType", "OrderPendingApproval") &&
            cJSON_AddStringToObject(j, "reqID", id) &&
            sb_json_add_money(j, "totalOrderAmount", cents) &&
            cJSON_AddStringToObject(j, "currency", currency) &&
            cJSON_AddStringToObject(j, "createdAt", timestamp_format(created_at, ts)))
                text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        return text;
}

char *sb_webhook_event(const struct sb_order *o)
{
        assert(o);
        return event_text(o->id, o->total_cents, o->currency, o->created_at);
}

char *sb_webhook_event_unknown(const char *id, int64_t created_at)
{
        assert(id);
        return event_text(id, 100, "EUR", created_at);
}

int sb_webhook_enqueue(struct sb_webhook *w, char *body, enum sb_webhook_auth auth)
{
        int r = 0;

        assert(w);
        pthread_mutex_lock(&w->lock);
        if (!body || w->len >= SB_WEBHOOK_QUEUE_MAX) {
                w->dropped++;
                r = -ENOBUFS;
        } else {
                w->ring[(w->head + w->len) % SB_WEBHOOK_QUEUE_MAX] =
                        (struct event){ .body = TAKE_PTR(body), .auth = auth };
                w->len++;
                pthread_cond_broadcast(&w->wake);
        }
        pthread_mutex_unlock(&w->lock);
        free(body);
        return r;
}

cJSON *sb_webhook_stats(struct sb_webhook *w)
{
        cJSON *j = cJSON_CreateObject();
        bool ok;

        assert(w);
        if (!j)
                return NULL;
        pthread_mutex_lock(&w->lock);
        ok = cJSON_AddNumberToObject(j, "queued", (double)w->len) &&
             cJSON_AddNumberToObject(j, "delivered", (double)w->delivered) &&
             cJSON_AddNumberToObject(j, "refused", (double)w->refused) &&
             cJSON_AddNumberToObject(j, "failed", (double)w->failed) &&
             cJSON_AddNumberToObject(j, "dropped", (double)w->dropped) &&
             cJSON_AddNumberToObject(j, "attempts", (double)w->attempts);
        pthread_mutex_unlock(&w->lock);
        if (!ok) {
                cJSON_Delete(j);
                return NULL;
        }
        return j;
}

static bool stopping(struct sb_webhook *w)
{
        return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        return stopping(userdata) ? 1 : 0; /* non-zero aborts the transfer */
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        return size * nmemb;
}

static enum outcome classify(CURLcode code, long status)
{
        if (code == CURLE_ABORTED_BY_CALLBACK)
                return OUTCOME_STOPPED;
        if (code != CURLE_OK || status == 408 || status == 429 || status >= 500)
                return OUTCOME_RETRY;
        return status >= 200 && status < 300 ? OUTCOME_DELIVERED : OUTCOME_REFUSED;
}

/* One POST of ev; returns its outcome. */
static enum outcome post_once(struct sb_webhook *w, CURL *c, const struct event *ev)
{
        struct curl_slist *h = NULL, *h2;
        const char *auth = ev->auth == SB_WEBHOOK_AUTH_CONFIGURED ? w->auth_header
                           : ev->auth == SB_WEBHOOK_AUTH_WRONG    ? w->wrong_header
                                                                  : NULL;
        long status = 0;
        CURLcode code;

        h = curl_slist_append(NULL, "Content-Type: application/json");
        h2 = h ? curl_slist_append(h, "Expect:") : NULL;
        if (h2 && auth)
                h2 = curl_slist_append(h2, auth);
        if (!h2) {
                curl_slist_free_all(h);
                return OUTCOME_RETRY;
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h2);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, ev->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(ev->body));
        code = curl_easy_perform(c);
        if (code == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h2);
        return classify(code, status);
}

/* Waits ms milliseconds, or less when stop is set; returns !stop. */
static bool backoff(struct sb_webhook *w, int64_t ms)
{
        struct timespec until;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
        }
        bool go_on;

        pthread_mutex_lock(&w->lock);
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
                ;
        go_on = !w->stop;
        pthread_mutex_unlock(&w->lock);
        return go_on;
}

static void count(struct sb_webhook *w, uint64_t *counter)
{
        pthread_mutex_lock(&w->lock);
        (*counter)++;
        pthread_mutex_unlock(&w->lock);
}

static void deliver(struct sb_webhook *w, CURL *c, const struct event *ev)
{
        for (int attempt = 1;; attempt++) {
                enum outcome o;

                count(w, &w->attempts);
                o = post_once(w, c, ev);
                if (o == OUTCOME_STOPPED)
                        return;
                if (o == OUTCOME_DELIVERED)
                        return count(w, &w->delivered);
                if (o == OUTCOME_REFUSED)
                        return count(w, &w->refused);
                if (attempt == SB_WEBHOOK_ATTEMPTS)
                        return count(w, &w->failed);
                if (!backoff(w, (int64_t)SB_WEBHOOK_BACKOFF_MS << (attempt - 1)))
                        return;
        }
}

/* Takes the next event; returns false (and takes none) when stopping. */
static bool next_event(struct sb_webhook *w, struct event *ret)
{
        bool got;

        pthread_mutex_lock(&w->lock);
        while (!w->stop && w->len == 0)
                pthread_cond_wait(&w->wake, &w->lock);
        got = !w->stop;
        if (got) {
                *ret = w->ring[w->head];
                w->head = (w->head + 1) % SB_WEBHOOK_QUEUE_MAX;
                w->len--;
        }
        pthread_mutex_unlock(&w->lock);
        return got;
}

static CURL *sender_handle(struct sb_webhook *w)
{
        CURL *c = curl_easy_init();

        if (!c)
                return NULL;
        curl_easy_setopt(c, CURLOPT_URL, w->url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)SB_WEBHOOK_CONNECT_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)SB_WEBHOOK_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
        return c;
}

static void *sender_main(void *userdata)
{
        struct sb_webhook *w = userdata;
        CURL *c = sender_handle(w);
        struct event ev;

        while (next_event(w, &ev)) {
                if (c)
                        deliver(w, c, &ev);
                else
                        count(w, &w->failed); /* no handle: nothing can be sent */
                free(ev.body);
        }
        curl_easy_cleanup(c);
        return NULL;
}

static int header_line(const char *value, char **ret)
{
        size_t n = strlen("Authorization: ") + strlen(value) + 1;

        *ret = malloc(n);
        if (!*ret)
                return -ENOMEM;
        snprintf(*ret, n, "Authorization: %s", value);
        return 0;
}

static int init_sync(struct sb_webhook *w)
{
        pthread_condattr_t attr;
        int r;

        r = pthread_mutex_init(&w->lock, NULL);
        if (r != 0)
                return -r;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        r = pthread_cond_init(&w->wake, &attr);
        pthread_condattr_destroy(&attr);
        if (r != 0) {
                pthread_mutex_destroy(&w->lock);
                return -r;
        }
        return 0;
}

int sb_webhook_new(struct sb_webhook **ret, const char *url, const char *authorization)
{
        struct sb_webhook *w;
        int r;

        assert(ret && url);
        if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->url = strdup(url);
        r = w->url ? header_line(SB_WEBHOOK_WRONG_AUTHORIZATION, &w->wrong_header) : -ENOMEM;
        if (r >= 0 && authorization)
                r = header_line(authorization, &w->auth_header);
        if (r < 0) {
                free(w->url);
                free(w->wrong_header);
                free(w);
                return r;
        }
        r = init_sync(w);
        w->synced = r >= 0;
        if (r >= 0) {
                r = -pthread_create(&w->thread, NULL, sender_main, w);
                w->started = r == 0;
        }
        if (r < 0) {
                sb_webhook_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void sb_webhook_free(struct sb_webhook *w)
{
        if (!w)
                return;
        if (w->started) {
                pthread_mutex_lock(&w->lock);
                __atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
                pthread_cond_broadcast(&w->wake);
                pthread_mutex_unlock(&w->lock);
                pthread_join(w->thread, NULL);
        }
        if (w->synced) {
                pthread_cond_destroy(&w->wake);
                pthread_mutex_destroy(&w->lock);
        }
        for (size_t i = 0; i < w->len; i++)
                free(w->ring[(w->head + i) % SB_WEBHOOK_QUEUE_MAX].body);
        free(w->url);
        free(w->auth_header);
        free(w->wrong_header);
        free(w);
}
