/* curl-loop.c: libcurl's multi socket interface on sd-event (curl-loop.h). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "curl-loop.h"
#include "util.h"

struct curl_loop {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        curl_loop_progress_t progress;
        void *userdata;
};

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct curl_loop *l = userdata;
        int action = 0, running;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;
        (void)curl_multi_socket_action(l->multi, fd, action, &running);
        l->progress(l->userdata);
        return 0;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        struct curl_loop *l = userp;
        sd_event_source *io = socketp;
        uint32_t events;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        sd_event_source_disable_unref(io);
                        curl_multi_assign(l->multi, fd, NULL);
                }
                return 0;
        }
        events = what == CURL_POLL_IN    ? EPOLLIN
                 : what == CURL_POLL_OUT ? EPOLLOUT
                                         : (EPOLLIN | EPOLLOUT);
        if (io) {
                if (sd_event_source_set_io_events(io, events) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }
        if (sd_event_add_io(l->event, &io, fd, events, on_io, l) < 0)
                return -1;
        curl_multi_assign(l->multi, fd, io);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct curl_loop *l = userdata;
        int running;

        (void)curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        l->progress(l->userdata);
        return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct curl_loop *l = userp;
        uint64_t now, when;

        if (timeout_ms < 0) {
                if (l->timer)
                        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
                return 0;
        }
        if (sd_event_now(l->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_us();
        when = now + (uint64_t)timeout_ms * 1000u;
        if (!l->timer)
                return sd_event_add_time(l->event, &l->timer, CLOCK_MONOTONIC, when, 1, on_timer,
                                         l) < 0
                               ? -1
                               : 0;
        if (sd_event_source_set_time(l->timer, when) < 0 ||
            sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

int curl_loop_new(struct curl_loop **ret, sd_event *e, curl_loop_progress_t progress,
                  void *userdata)
{
        struct curl_loop *l;

        assert(ret);
        assert(e);
        assert(progress);
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->multi = curl_multi_init();
        if (!l->multi) {
                free(l);
                return -ENOMEM;
        }
        l->event = sd_event_ref(e);
        l->progress = progress;
        l->userdata = userdata;
        (void)curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        (void)curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
        (void)curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        (void)curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
        *ret = l;
        return 0;
}

CURLM *curl_loop_multi(const struct curl_loop *l)
{
        assert(l);
        return l->multi;
}

void curl_loop_free(struct curl_loop *l)
{
        if (!l)
                return;
        curl_multi_cleanup(l->multi);
        l->timer = sd_event_source_disable_unref(l->timer);
        sd_event_unref(l->event);
        free(l);
}
