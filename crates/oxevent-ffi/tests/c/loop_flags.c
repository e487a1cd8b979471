/*
 * event_base_loop flags. EVLOOP_NONBLOCK: runs what is ready and returns 0
 * without waiting for a far timer. EVLOOP_ONCE: blocks until something is
 * active, runs it, and returns 0 without waiting for a later timer.
 * EVLOOP_NO_EXIT_ON_EMPTY: on an empty base a non-blocking turn returns 0
 * (not 1), and a blocking loop keeps going after its last event fired, until
 * a loopexit timeout ends it.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int fast_calls, slow_calls, io_calls;
static long long fast_at;

static void fast_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    fast_calls++;
    fast_at = now_ms();
}

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    slow_calls++;
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    io_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *fast, *slow, *io;
    evutil_socket_t sp[2];
    struct timeval t5s = {5, 0};
    struct timeval t100 = {0, 100 * 1000};
    struct timeval t300 = {0, 300 * 1000};
    long long start, took;

    test_begin("loop_flags");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    fast = evtimer_new(base, fast_cb, NULL);
    slow = evtimer_new(base, slow_cb, NULL);
    io = event_new(base, sp[1], EV_READ | EV_PERSIST, io_cb, NULL);
    REQUIRE(fast && slow && io);

    /* Empty base. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 1);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_NO_EXIT_ON_EMPTY), 0);

    /* NONBLOCK: nothing ready -> returns at once; ready I/O runs. */
    CHECK_INT(evtimer_add(slow, &t5s), 0);
    CHECK_INT(event_add(io, NULL), 0);
    start = now_ms();
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK(now_ms() - start < 1000);
    CHECK_INT(io_calls, 0);
    CHECK_INT(slow_calls, 0);
    CHECK(send(sp[0], "1", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK_INT(io_calls, 1);

    /* ONCE: waits for the 100 ms timer, returns before the 5 s one. */
    start = now_ms();
    CHECK_INT(evtimer_add(fast, &t100), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    took = now_ms() - start;
    CHECK_INT(fast_calls, 1);
    CHECK_INT(slow_calls, 0);
    CHECK(fast_at - start >= 50);
    CHECK(took < 2000);

    /* ONCE with I/O already ready: runs it and returns. */
    CHECK(send(sp[0], "2", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(io_calls, 2);

    /* NO_EXIT_ON_EMPTY: after the 100 ms timer, nothing is left but the
     * loopexit; the loop waits for it. */
    CHECK_INT(event_del(io), 0);
    CHECK_INT(event_del(slow), 0);
    fast_calls = 0;
    start = now_ms();
    CHECK_INT(evtimer_add(fast, &t100), 0);
    CHECK_INT(event_base_loopexit(base, &t300), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
    took = now_ms() - start;
    CHECK_INT(fast_calls, 1);
    CHECK(took >= 250);
    CHECK(took < 3000);
    CHECK_INT(event_base_got_exit(base), 1);

    event_free(fast);
    event_free(slow);
    event_free(io);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
