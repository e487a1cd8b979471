/*
 * event_base_loopexit: with no delay (called before the loop) the loop
 * still runs everything active in that turn, then returns 0 with
 * got_exit set; with a 200 ms delay a 20 ms persistent timer keeps running
 * until then. got_exit/got_break are cleared by the next loop call.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int tick_calls, io_calls, act_calls;

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    tick_calls++;
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    UNUSED(what);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    io_calls++;
}

static void act_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    act_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *tick, *io, *act;
    evutil_socket_t sp[2];
    struct timeval t20 = {0, 20 * 1000};
    struct timeval t200 = {0, 200 * 1000};
    long long start, took;

    test_begin("loopexit");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
    io = event_new(base, sp[1], EV_READ | EV_PERSIST, io_cb, NULL);
    act = event_new(base, -1, 0, act_cb, NULL);
    REQUIRE(tick && io && act);

    CHECK_INT(event_base_got_exit(base), 0);
    CHECK_INT(event_base_got_break(base), 0);

    /* Immediate exit: the active callback and the ready socket still run. */
    CHECK_INT(event_add(io, NULL), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    event_active(act, EV_TIMEOUT, 1);
    CHECK_INT(event_base_loopexit(base, NULL), 0);
    start = now_ms();
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK(now_ms() - start < 1000);
    CHECK_INT(act_calls, 1);
    CHECK_INT(io_calls, 1);
    CHECK_INT(event_base_got_exit(base), 1);
    CHECK_INT(event_base_got_break(base), 0);

    /* A new loop call clears the flag. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK_INT(event_base_got_exit(base), 0);

    /* Delayed exit. */
    CHECK_INT(event_add(tick, &t20), 0);
    CHECK_INT(event_base_loopexit(base, &t200), 0);
    start = now_ms();
    CHECK_INT(event_base_dispatch(base), 0);
    took = now_ms() - start;
    CHECK(took >= 150);
    CHECK(took < 3000);
    CHECK(tick_calls >= 2);
    CHECK_INT(event_base_got_exit(base), 1);
    CHECK_INT(event_base_got_break(base), 0);
    CHECK_INT(event_pending(tick, EV_TIMEOUT, NULL), EV_TIMEOUT);

    event_free(tick);
    event_free(io);
    event_free(act);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
