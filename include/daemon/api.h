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
#define API_HEADERS_MAX (64u << 10) /* a response's header lines, all together */
#define API_ERROR_MAX 64 /* an API error code, NUL included */
#define API_TOKEN_MAX 8192 /* an access token, NUL included */

enum api_method {
        API_GET,
        API_POST,
};

/* The final answer to a request.  status is the HTTP status (0 when no
 * response came); error is 0, or negative errno when the request could not
 * be completed: -ECANCELED (stopped), -EFBIG (body over the cap), -EACCES
 * (the token endpoint refused the client: status and api_error are then
 * the token endpoint's), -ETIMEDOUT/-ECONNREFUSED/-EIO
 * (network, after the last attempt), -EINVAL/-EPROTONOSUPPORT (a URL that
 * does not parse or has a scheme that is not allowed), -EPERM (a URL off
 * base_url's origin), -ENOMEM (the request could not start).  detail says
 * what failed whenever error is set.  body and detail are valid only during
 * the callback. */
struct api_response {
        int status;
        int error;
        const char *body;
        size_t body_size;
        const char *detail; /* libcurl's or the server's message, for logs; never a secret */
        /* The API's error code, when status is 400 or more and the body says
         * one ({"error":"invalid_client"}, {"error":{"code":"..."}} or
         * {"code":"..."}; printable ASCII, at most API_ERROR_MAX - 1 bytes);
         * for a refused token request, the token endpoint's.  NULL when none. */
        const char *api_error;
};

struct api;

/* A request's callback.  It runs from the event loop (a defer source of
 * the client's), never inside a call into this module other than
 * api_free(): it may start requests and cancel others. */
typedef void (*api_done_t)(struct api *a, const struct api_response *r, void *userdata);

struct api_options {
        unsigned max_attempts; /* per request, for 5xx and network errors; 0: no limit */
        uint64_t backoff_base_usec; /* first retry waits up to this */
        uint64_t backoff_cap_usec; /* no wait is longer */
        /* Retry-After pauses (429) add up to at most this over the client's
         * life, the token's included; a 429 whose wait would go over ends
         * its request with -ETIME.  0: no limit. */
        uint64_t retry_after_budget_usec;
};

/* Creates the client on event loop e, copying what it needs from cfg and
 * creds (neither is referenced afterwards).  Returns 0, -EINVAL when
 * base_url or token_url is not https (or http to loopback), or -ENOMEM. */
int api_new(struct api **ret, sd_event *e, const struct api_config *cfg,
            const struct credentials *creds, const struct api_options *opt);

/* Cancels everything, wipes the token and secrets, frees.  The callbacks
 * of the requests not yet reported run inside this call, with -ECANCELED
 * for those cancelled (the loop cannot run them later); a request they
 * start ends at once with -ECANCELED too.  May be called from a callback;
 * not from one that api_free() runs.  Accepts NULL. */
void api_free(struct api *a);

/* Takes a new configuration (after a reload) for requests started from now
 * on.  The token is dropped when base_url or token_url changed.  Returns 0,
 * -EINVAL (then nothing changed) or -ENOMEM. */
int api_reconfigure(struct api *a, const struct api_config *cfg);

/* Queues a request to url (absolute; it must have base_url's origin: the
 * caller checks links from the server with api_same_origin() to log them,
 * and a URL off that origin ends with -EPERM) with an optional JSON body.
 * done (not NULL) is called exactly once, from the loop, after this call
 * has returned: with the answer, or with the error that kept the request
 * from starting (a bad URL, out of memory in libcurl).  Returns 0, or
 * -ENOMEM when the request itself cannot be allocated (done is then never
 * called). */
int api_request(struct api *a, enum api_method method, const char *url, const char *json_body,
                api_done_t done, void *userdata);

/* Convenience: base_url + path ("/orders?...", starting with '/'); sent as
 * given, dot segments included.  Returns as api_request(). */
int api_request_path(struct api *a, enum api_method method, const char *path, const char *json_body,
                     api_done_t done, void *userdata);

/* Cancels requests not yet sent (queued, waiting for a token, a backoff or a
 * Retry-After): their callbacks run later, from the loop, with -ECANCELED
 * (never inside this call).  Requests on the wire are left to finish. */
void api_cancel_pending(struct api *a);

/* For a stop: cancels what api_cancel_pending() cancels, and from now on a
 * request that comes back wanting to be sent again (5xx, network error,
 * 429, 401 invalid_token) ends with -ECANCELED instead, so nothing goes out
 * twice and the stop is not held up by backoffs.  Requests on the wire are
 * left to finish; new requests are still sent once. */
void api_drain(struct api *a);

/* Cancels every request, those on the wire too: their callbacks run later,
 * from the loop, with -ECANCELED (never inside this call). */
void api_cancel_all(struct api *a);

/* Requests whose callback has not run yet (queued, waiting, on the wire,
 * or finished with the callback still to come).  A callback sees the count
 * without its own request. */
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

/* Reads the token endpoint's 200 answer (size bytes, not necessarily
 * NUL-terminated): access_token, a string of 1 to API_TOKEN_MAX - 1 bytes
 * without control characters (it goes into a header), and expires_in, the
 * lifetime in seconds as a number or a digit string, from 1 s to 366 days
 * (3600 when absent).  Returns 0, the token in *ret_token (the caller wipes
 * and frees it) and the lifetime in *ret_lifetime_usec; -EBADMSG when the
 * answer holds no usable token; -ENOMEM.  The parser's copy of the token
 * is wiped. */
int api_parse_token(const char *body, size_t size, char **ret_token, uint64_t *ret_lifetime_usec);

/* Reads the API's error code from an error answer's body (size bytes, not
 * necessarily NUL-terminated; see api_response.api_error for the forms)
 * into buf (size bufsize, at least API_ERROR_MAX).  Returns 1, or 0 when
 * the body holds none (buf is then ""). */
int api_parse_error_code(const char *body, size_t size, char *buf, size_t bufsize);

/* What a response's headers say that the client acts on, gathered line by
 * line as libcurl hands them over. */
struct api_headers {
        char retry_after[64]; /* Retry-After's value, cut to fit; "" when none */
        bool invalid_token; /* WWW-Authenticate: Bearer ... error="invalid_token" */
        bool complete; /* the blank line that ends the headers came */
        size_t size; /* bytes of header lines so far, interim (1xx) responses' too */
};

/* Takes one header line of a response as a libcurl header callback gets it
 * (CRLF included; the status line and the blank line too; not
 * NUL-terminated).  A status line starts a new response: what an interim
 * one said is forgotten.  Returns 0, or -EMSGSIZE when the lines add up to
 * more than API_HEADERS_MAX (h then unchanged). */
int api_headers_feed(struct api_headers *h, const char *line, size_t len);

/* 1 when a WWW-Authenticate value (len bytes, not NUL-terminated) holds a
 * Bearer challenge whose error parameter is invalid_token (RFC 6750 3.1),
 * as a token or a quoted string; else 0.  Other schemes' parameters, a
 * description that mentions invalid_token and token68 values do not
 * count. */
int api_www_authenticate_invalid_token(const char *value, size_t len);

/* The backoff before retry number attempt (1 for the first retry): a
 * uniform draw, taken from rnd, in [0, min(cap, base * 2^(attempt-1))]. */
uint64_t api_backoff_usec(unsigned attempt, uint64_t base, uint64_t cap, uint64_t rnd);

#define API_REJECT_REASON_MAX 500 /* bytes of a reject reason sent (the API takes 1..500) */

/* The body of a reject call, {"reason": "..."}: reason cut to at most
 * API_REJECT_REASON_MAX bytes at a UTF-8 boundary, or a fixed text when
 * reason is NULL or empty.  The one place that says what a rejection
 * sends, whoever decided it.  Returns a string the caller frees, or NULL
 * when out of memory. */
char *api_reject_body(const char *reason);

/* The order's canonical status after a 2xx answer to our decision call
 * (body, size bytes, may be empty): AppXite answers with the order
 * [Assumed]; an approve that leaves it PendingApproval waits on other
 * approving parties; anything else reads as the status asked for.  The
 * one place that reads that answer, for the service and the command. */
const char *api_answered_status(const struct api_config *c, enum action decision, const char *body,
                                size_t size);
