/*
 * event_active: on a never-added event the callback runs once with exactly
 * the res given (EV_READ, EV_WRITE|EV_TIMEOUT, EV_SIGNAL on a timer ...), and
 * the event is not pending afterwards; two activations before the loop runs
 * merge into one call with both bits; on an added non-persistent I/O event
 * it runs the callback and the event is deleted; on an added persistent one
 * it stays pending; an active event can be deleted before it runs.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int calls;
static short last_res;
static evutil_socket_t last_fd;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    calls++;
    last_res = what;
    last_fd = fd;
}

static void run_one(struct event_base *base, struct event *ev, int res,
    int expect_res)
{
    calls = 0;
    last_res = 0;
    event_active(ev, res, 1);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(calls, 1);
    CHECK_INT(last_res, expect_res);
}

int main(void)
{
    struct event_base *base;
    struct event *plain, *io, *pio;
    evutil_socket_t sp[2];
    struct timeval t5s = {5, 0};

    test_begin("event_active");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    plain = event_new(base, -1, 0, cb, NULL);
    io = event_new(base, sp[1], EV_READ, cb, NULL);
    pio = event_new(base, sp[1], EV_READ | EV_PERSIST, cb, NULL);
    REQUIRE(plain && io && pio);

    run_one(base, plain, EV_TIMEOUT, EV_TIMEOUT);
    run_one(base, plain, EV_READ, EV_READ);
    run_one(base, plain, EV_WRITE | EV_TIMEOUT, EV_WRITE | EV_TIMEOUT);
    run_one(base, plain, EV_SIGNAL, EV_SIGNAL);
    run_one(base, io, EV_WRITE, EV_WRITE);
    CHECK_INT(last_fd, sp[1]);
    CHECK_INT(event_pending(plain, EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL, NULL), 0);

    /* Two activations merge. */
    calls = 0;
    event_active(plain, EV_READ, 1);
    event_active(plain, EV_WRITE, 1);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(calls, 1);
    CHECK_INT(last_res, EV_READ | EV_WRITE);

    /* Added non-persistent I/O with a timeout: activation runs and deletes. */
    CHECK_INT(event_add(io, &t5s), 0);
    run_one(base, io, EV_READ, EV_READ);
    CHECK_INT(event_pending(io, EV_READ | EV_TIMEOUT, NULL), 0);

    /* Added persistent I/O: stays pending. */
    CHECK_INT(event_add(pio, NULL), 0);
    run_one(base, pio, EV_TIMEOUT, EV_TIMEOUT);
    CHECK_INT(event_pending(pio, EV_READ, NULL), EV_READ);
    CHECK_INT(event_del(pio), 0);

    /* Activated then deleted: never runs. */
    calls = 0;
    event_active(plain, EV_TIMEOUT, 1);
    CHECK_INT(event_del(plain), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(calls, 0);

    event_free(plain);
    event_free(io);
    event_free(pio);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
