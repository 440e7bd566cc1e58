/* api.h: requests to the AppXite Public API over libcurl's multi interface,
 * driven by an sd-event loop (no threads).  The module owns the transport
 * concerns every request shares: the OAuth2 token (fetched, cached,
 * refreshed, retried once on invalid_token), the headers, TLS and size
 * limits, a cap on concurrent requests, the pause a 429 Retry-After
 * imposes, and retries of 5xx, timeouts and resets with capped exponential
 * backoff and full jitter.  Callers see one final answer per request. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "credentials.h"

#define API_BODY_MAX (8u << 20) /* every response body is capped at 8 MiB */
#define API_RETRY_AFTER_MAX_S 3600 /* a Retry-After is clamped to one hour */

enum api_method {
        API_GET,
        API_POST,
};

/* The final answer to a request.  status is the HTTP status (0 when no
 * response came); error is 0, or negative errno when the request could not
 * be completed: -ECANCELED (stopped), -EFBIG (body over the cap), -EACCES
 * (the token endpoint refused the client), -ETIMEDOUT/-ECONNREFUSED/-EIO
 * (network, after the last attempt).  The body is valid only during the
 * callback. */
struct api_response {
        int status;
        int error;
        const char *body;
        size_t body_size;
        const char *detail; /* libcurl's or the server's message, for logs; never a secret */
};

struct api;

typedef void (*api_done_t)(struct api *a, const struct api_response *r, void *userdata);

struct api_options {
        unsigned max_attempts; /* per request, for 5xx and network errors; 0: no limit */
        uint64_t backoff_base_usec; /* first retry waits up to this */
        uint64_t backoff_cap_usec; /* no wait is longer */
};

/* Creates the client on event loop e, copying what it needs from cfg and
 * creds (neither is referenced afterwards).  Returns 0, -EINVAL when
 * base_url or token_url is not https (or http to loopback), or -ENOMEM. */
int api_new(struct api **ret, sd_event *e, const struct api_config *cfg,
            const struct credentials *creds, const struct api_options *opt);

/* Cancels everything (callbacks run with -ECANCELED), wipes the token and
 * secrets, frees.  Accepts NULL. */
void api_free(struct api *a);

/* Takes a new configuration (after a reload) for requests started from now
 * on.  The token is dropped when base_url or token_url changed.  Returns 0,
 * -EINVAL (then nothing changed) or -ENOMEM. */
int api_reconfigure(struct api *a, const struct api_config *cfg);

/* Queues a request to url (absolute; it must have base_url's origin, which
 * the caller checks with api_same_origin() for links from the server) with
 * an optional JSON body.  done is called exactly once, later, from the
 * loop.  Returns 0 or -ENOMEM (done is then not called). */
int api_request(struct api *a, enum api_method method, const char *url, const char *json_body,
                api_done_t done, void *userdata);

/* Convenience: base_url + path ("/orders?..."). */
int api_request_path(struct api *a, enum api_method method, const char *path, const char *json_body,
                     api_done_t done, void *userdata);

/* Cancels requests not yet sent (queued, waiting for a token, a backoff or a
 * Retry-After): their callbacks run with -ECANCELED.  Requests on the wire
 * are left to finish. */
void api_cancel_pending(struct api *a);

/* For a stop: cancels what api_cancel_pending() cancels, and from now on a
 * request that comes back wanting to be sent again (5xx, network error,
 * 429, 401 invalid_token) ends with -ECANCELED instead, so nothing goes out
 * twice and the stop is not held up by backoffs.  Requests on the wire are
 * left to finish; new requests are still sent once. */
void api_drain(struct api *a);

/* Cancels every request, those on the wire too. */
void api_cancel_all(struct api *a);

/* Requests not yet finished (queued, waiting or on the wire). */
size_t api_n_outstanding(const struct api *a);

/* Counters since api_new(), for the cycle's summary and tests. */
struct api_stats {
        uint64_t requests; /* sent on the wire, token requests included */
        uint64_t retries;
        uint64_t rate_limited; /* 429 answers */
};
void api_get_stats(const struct api *a, struct api_stats *ret);

/* Pure helpers, exported for the unit tests. */

/* 0 when url parses and is https, or http to a loopback host (127.0.0.0/8,
 * ::1, localhost); -EPROTONOSUPPORT for another scheme or a non-loopback
 * http host; -EINVAL when it does not parse or carries user info. */
int api_check_url(const char *url);

/* 1 when url has exactly base's scheme, host and port (default ports
 * filled in, host compared case-insensitively) and no user info, 0 when it
 * does not, -EINVAL when either does not parse. */
int api_same_origin(const char *base, const char *url);

/* Parses a Retry-After value: delay-seconds or an HTTP date (IMF-fixdate,
 * RFC 850 or asctime), relative to now_s.  Returns 0 and the wait in
 * seconds, clamped to 0..API_RETRY_AFTER_MAX_S, or -EINVAL. */
int api_parse_retry_after(const char *value, int64_t now_s, int64_t *ret_seconds);

/* The backoff before retry number attempt (1 for the first retry): a
 * uniform draw, taken from rnd, in [0, min(cap, base * 2^(attempt-1))]. */
uint64_t api_backoff_usec(unsigned attempt, uint64_t base, uint64_t cap, uint64_t rnd);
