/*
 * event_add on an I/O event whose fd is -1: libevent accepts it (0) on
 * every backend, reports it pending, never calls it back, and deletes it
 * normally. A timeout on such an event still fires.
 */
#include <event2/event.h>
#include "check.h"

static int io_calls, timeout_calls;

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, -1);
    if (what & EV_TIMEOUT)
        timeout_calls++;
    else
        io_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *ev, *timed;
    struct timeval short_tv = {0, 30000};
    struct timeval window = {0, 150000};

    test_begin("negative_fd");
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = event_new(base, -1, EV_READ | EV_PERSIST, io_cb, NULL);
    timed = event_new(base, -1, EV_READ, io_cb, NULL);
    REQUIRE(ev && timed);
    CHECK_INT(event_add(ev, NULL), 0);
    CHECK_INT(event_pending(ev, EV_READ, NULL), EV_READ);
    CHECK_INT(event_add(timed, &short_tv), 0);
    CHECK_INT(event_base_loopexit(base, &window), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(io_calls, 0);
    CHECK_INT(timeout_calls, 1);
    CHECK_INT(event_del(ev), 0);
    CHECK_INT(event_pending(ev, EV_READ, NULL), 0);
    event_free(ev);
    event_free(timed);
    event_base_free(base);
    return test_end();
}
