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

#include "credentials.h"
#include "daemon-private.h"
#include "log.h"
#include "util.h"

void tell_order(struct daemon *d, enum notify_kind kind, const char *order_id,
                const struct order *o, const char *rule, const char *reason, const char *decision,
                const char *by, int64_t since)
{
        assert(d);
        assert(order_id);
        if (!d->notify || daemon_dry_run(d))
                return;
        (void)notify_send_order(d->notify, &d->config->api, kind, order_id, o, rule, reason,
                                decision, by, since);
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
        if (!d->notify || daemon_dry_run(d) || !notify_wants(d->notify, NOTIFY_API_DOWN))
                return;
        ev.since = d->api_down_since;
        (void)notify_send(d->notify, &ev);
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
                r = notify_reload(d->notify, c, credentials_folder(c->api.credentials_dir), &path);
        else
                r = notify_new(&d->notify, d->event, c, credentials_folder(c->api.credentials_dir),
                               &path);
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
