/*
 * event_remove_timer: an I/O event keeps waiting for I/O but loses its
 * timeout (it does not fire within 300 ms though its timeout was 100 ms,
 * then fires with EV_READ when data comes); a pure timer is no longer pending
 * at all; removing the timer of an event without one, or of an event never
 * added, returns 0.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int io_calls, io_what, timer_calls;

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    UNUSED(arg);
    io_calls++;
    io_what = what;
    if (what & EV_READ)
        CHECK(recv(fd, &c, 1, 0) == 1);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    timer_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *io, *tm, *never;
    evutil_socket_t sp[2];
    struct timeval t100 = {0, 100 * 1000};
    struct timeval t300 = {0, 300 * 1000};

    test_begin("remove_timer");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    io = event_new(base, sp[1], EV_READ, io_cb, NULL);
    tm = evtimer_new(base, timer_cb, NULL);
    never = evtimer_new(base, timer_cb, NULL);
    REQUIRE(io && tm && never);

    CHECK_INT(event_add(io, &t100), 0);
    CHECK_INT(event_add(tm, &t100), 0);
    CHECK_INT(event_remove_timer(io), 0);
    CHECK_INT(event_remove_timer(tm), 0);
    CHECK_INT(event_pending(io, EV_TIMEOUT, NULL), 0);
    CHECK_INT(event_pending(io, EV_READ, NULL), EV_READ);
    CHECK_INT(event_pending(tm, EV_TIMEOUT, NULL), 0);
    CHECK_INT(event_remove_timer(io), 0);
    CHECK_INT(event_remove_timer(never), 0);

    CHECK_INT(event_base_loopexit(base, &t300), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(io_calls, 0);
    CHECK_INT(timer_calls, 0);

    CHECK(send(sp[0], "q", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(io_calls, 1);
    CHECK_INT(io_what, EV_READ);

    event_free(io);
    event_free(tm);
    event_free(never);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
