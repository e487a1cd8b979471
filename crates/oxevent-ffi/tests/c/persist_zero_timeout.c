/*
 * A persistent timer added with a {0, 0} timeout (issue 13; repro
 * persist_zero_timeout.c). libevent 2.1.12 re-arms a persistent event only
 * when its timeout is non-zero, so the timer runs exactly once and is then
 * not pending at all:
 *   - dispatched for 100 ms (loopexit): 1 call, not pending after;
 *   - event_base_loop(EVLOOP_NONBLOCK) returns 1 (nothing left) after 1
 *     call; EVLOOP_ONCE and EVLOOP_ONCE|EVLOOP_NONBLOCK return 0 after 1
 *     call; event_base_dispatch returns 1 after 1 call; in every case a
 *     further non-blocking loop returns 1 and calls nothing.
 * A library that re-arms the zero timeout would spin: the callback deletes
 * its event after 1000 calls, so such a run ends (and fails) instead of
 * hanging.
 */
#include <event2/event.h>
#include "check.h"

static long calls;
static struct event *tm;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    if (++calls >= 1000)
        event_del(tm);
}

static int pending_any(struct event *ev)
{
    return event_pending(ev, EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL, NULL);
}

static void loop_case(int flags, int dispatch, int expect_ret)
{
    struct event_base *base = event_base_new();
    struct timeval zero = {0, 0};
    int r;

    REQUIRE(base != NULL);
    tm = event_new(base, -1, EV_PERSIST, cb, NULL);
    REQUIRE(tm != NULL);
    calls = 0;
    CHECK_INT(event_add(tm, &zero), 0);
    r = dispatch ? event_base_dispatch(base) : event_base_loop(base, flags);
    if (calls != 1 || r != expect_ret)
        fprintf(stderr, "%s flags %d: returned %d after %ld call(s)\n",
            dispatch ? "dispatch" : "loop", flags, r, calls);
    CHECK_INT(r, expect_ret);
    CHECK_INT(calls, 1);
    CHECK_INT(pending_any(tm), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(calls, 1);
    event_free(tm);
    event_base_free(base);
}

int main(void)
{
    struct event_base *base;
    struct timeval zero = {0, 0};
    struct timeval t100 = {0, 100 * 1000};

    test_begin("persist_zero_timeout");

    /* 100 ms of dispatch: one call. */
    base = event_base_new();
    REQUIRE(base != NULL);
    tm = event_new(base, -1, EV_PERSIST, cb, NULL);
    REQUIRE(tm != NULL);
    CHECK_INT(event_add(tm, &zero), 0);
    CHECK_INT(event_pending(tm, EV_TIMEOUT, NULL), EV_TIMEOUT);
    CHECK_INT(event_base_loopexit(base, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    if (calls != 1)
        fprintf(stderr, "100 ms dispatch: %ld call(s)\n", calls);
    CHECK_INT(calls, 1);
    CHECK_INT(pending_any(tm), 0);
    event_free(tm);
    event_base_free(base);

    loop_case(EVLOOP_NONBLOCK, 0, 1);
    loop_case(EVLOOP_ONCE, 0, 0);
    loop_case(EVLOOP_ONCE | EVLOOP_NONBLOCK, 0, 0);
    loop_case(0, 1, 1);
    return test_end();
}
