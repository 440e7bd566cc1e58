/* daemon-notify.c: what the daemon tells people through rules.yaml's
 * notify targets (notify.h sends): the facts of each event, built from
 * the order as AppXite last showed it, and the API's outages.  Which event
 * fires where is decided by the daemon's paths (daemon-act.c: hold,
 * reject, manual, stale_hold, timeout; daemon-cycle.c: api_down); this
 * file only shapes them, so every event carries the same fields. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-list.h"
#include "credentials.h"
#include "daemon-private.h"
#include "log.h"
#include "util.h"

/* The order's URL at the API (api.retrieve under api.base_url): it tells
 * a person where to look and holds no secret.  NULL when out of memory. */
static char *order_link(const struct daemon *d, const char *order_id)
{
        _cleanup_free_ char *path = NULL;
        const char *base = d->config->api.base_url;
        size_t n = strlen(base);
        char *url;

        if (api_retrieve_path(&d->config->api, order_id, &path) < 0)
                return NULL;
        if (n > 0 && base[n - 1] == '/')
                n--;
        if (asprintf(&url, "%.*s%s", (int)n, base, path) < 0)
                return NULL;
        return url;
}

void tell_order(struct daemon *d, enum notify_kind kind, const char *order_id,
                const struct order *o, const char *rule, const char *reason, const char *decision,
                const char *by, int64_t since)
{
        _cleanup_free_ char *link = NULL;
        struct notify_event ev = {
                .kind = kind,
                .order_id = order_id,
                .rule = rule,
                .reason = reason,
                .decision = decision,
                .by = by,
                .since = since,
        };

        assert(d);
        assert(order_id);
        if (!d->notify || daemon_dry_run(d) || !notify_wants(d->notify, kind))
                return;
        if (o) {
                ev.customer_id = o->customer_id;
                ev.customer_name = o->customer_name;
                ev.has_total = o->has_total;
                ev.total = o->total;
                ev.currency = o->currency;
        }
        link = order_link(d, order_id);
        ev.link = link; /* out of memory: sent without it */
        (void)notify_send(d->notify, &ev);
}

void tell_api_state(struct daemon *d, int64_t now)
{
        struct notify_event ev = { .kind = NOTIFY_API_DOWN };

        assert(d);
        if (d->api_down_since == 0) {
                d->api_down_told = false; /* the next outage is told again */
                return;
        }
        if (d->api_down_told || now - d->api_down_since < d->config->notify.api_down_after_s)
                return;
        d->api_down_told = true;
        log_warning("the AppXite API has been unreachable for over %lld s (notify.api_down_after)",
                    (long long)d->config->notify.api_down_after_s);
        if (!d->notify || !notify_wants(d->notify, NOTIFY_API_DOWN))
                return;
        ev.since = d->api_down_since;
        (void)notify_send(d->notify, &ev);
}

/* The folder the header values are read from: the API's. */
static const char *credentials_dir(const struct config *c)
{
        const char *dir = c->api.credentials_dir ?: getenv("CREDENTIALS_DIRECTORY");

        return dir && *dir ? dir : NULL;
}

/* $APPROVALD_TEST_NOTIFY_TIMING: "BACKOFF_MS,TIMEOUT_MS", for the tests. */
static void test_timing(struct daemon *d)
{
        const char *v = getenv("APPROVALD_TEST_NOTIFY_TIMING"), *comma;
        _cleanup_free_ char *first = NULL;
        int64_t backoff, timeout;

        if (!v || !(comma = strchr(v, ',')) || !(first = strndup(v, (size_t)(comma - v))))
                return;
        if (safe_atoi64_range(first, 1, 3600000, &backoff) < 0 ||
            safe_atoi64_range(comma + 1, 1, 3600000, &timeout) < 0)
                return;
        notify_set_timing(d->notify, backoff, timeout);
}

int tell_configure(struct daemon *d, const struct config *c)
{
        _cleanup_free_ char *path = NULL;
        int r;

        assert(d);
        assert(c);
        if (d->notify)
                r = notify_reload(d->notify, c, credentials_dir(c), &path);
        else
                r = notify_new(&d->notify, d->event, c, credentials_dir(c), &path);
        if (r == -ENXIO)
                return log_error_errno(r, "notify: headers come from the credentials folder, and "
                                          "there is none: set api.credentials_dir or run under "
                                          "systemd with LoadCredential=");
        if (r < 0) {
                _cleanup_free_ char *msg = path ? credentials_strerror(r, path) : NULL;

                return log_error_errno(r, "notify: %s", msg ? msg : "out of memory");
        }
        test_timing(d);
        return 0;
}
