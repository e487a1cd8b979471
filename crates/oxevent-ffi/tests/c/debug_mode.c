/*
 * Debug mode (event_enable_debug_mode() before anything else): correct use
 * (which in debug mode includes non-blocking sockets) still works -- event_assign on caller storage, add, fire, re-assign after
 * it fired, event_new/event_free, timers and I/O -- and
 * event_debug_unassign() lets caller storage be dropped (then reused with a
 * fresh event_assign).
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "check.h"

static int io_calls, tm_calls, heap_calls;

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    io_calls++;
}

static void tm_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    tm_calls++;
}

static void heap_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    heap_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event io, tm;
    struct event *heap;
    evutil_socket_t sp[2];
    struct timeval t10 = {0, 10 * 1000};

    test_begin("debug_mode");
    event_enable_debug_mode();

    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    /* Debug mode asserts that watched sockets are non-blocking. */
    REQUIRE(evutil_make_socket_nonblocking(sp[0]) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[1]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    CHECK_INT(event_assign(&io, base, sp[1], EV_READ, io_cb, NULL), 0);
    CHECK_INT(evtimer_assign(&tm, base, tm_cb, NULL), 0);
    CHECK_INT(event_add(&io, NULL), 0);
    CHECK_INT(evtimer_add(&tm, &t10), 0);
    CHECK(send(sp[0], "a", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(io_calls, 1);
    CHECK_INT(tm_calls, 1);

    /* Re-assign after firing, add, delete, then unassign. */
    CHECK_INT(event_assign(&io, base, sp[1], EV_READ | EV_PERSIST, io_cb, NULL), 0);
    CHECK_INT(event_add(&io, NULL), 0);
    CHECK(send(sp[0], "b", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(io_calls, 2);
    CHECK_INT(event_del(&io), 0);
    event_debug_unassign(&io);
    event_debug_unassign(&tm);

    /* Same storage, fresh assignment. */
    CHECK_INT(evtimer_assign(&io, base, tm_cb, NULL), 0);
    CHECK_INT(evtimer_add(&io, &t10), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(tm_calls, 2);
    event_debug_unassign(&io);

    heap = event_new(base, -1, 0, heap_cb, NULL);
    REQUIRE(heap != NULL);
    event_active(heap, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(heap_calls, 1);
    event_free(heap);

    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
