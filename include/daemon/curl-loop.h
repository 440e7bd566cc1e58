/* curl-loop.h: a libcurl multi handle driven by an sd-event loop, with no
 * thread: each socket libcurl wants watched is an io source, its timeout a
 * time source.  After every action libcurl takes, the owner's callback
 * runs to read the finished transfers (curl_multi_info_read()).  The API
 * client and the notification sender each have their own, so that neither
 * can take the other's connections. */
#pragma once

#include <curl/curl.h>
#include <systemd/sd-event.h>

struct curl_loop;

/* Called from the loop after libcurl acted on a socket or a timeout. */
typedef void (*curl_loop_progress_t)(void *userdata);

/* Returns 0 and a multi handle on loop e (referenced), whose progress
 * calls progress(userdata); or -ENOMEM.  *ret is written only on success. */
int curl_loop_new(struct curl_loop **ret, sd_event *e, curl_loop_progress_t progress,
                  void *userdata);

/* The multi handle, for adding and removing transfers and setting its
 * options; owned by l. */
CURLM *curl_loop_multi(const struct curl_loop *l);

/* Cleans the multi handle up (the caller has removed its transfers) and
 * drops the sources.  Accepts NULL. */
void curl_loop_free(struct curl_loop *l);
