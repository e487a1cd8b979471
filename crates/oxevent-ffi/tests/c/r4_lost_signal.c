/*
 * A real signal that arrives while its event is already active is not lost
 * (issue 14, R4; repro r4_lost_signal.c). A persistent SIGUSR1 event is
 * made active by hand (event_active, or event_base_active_by_signal), then
 * SIGUSR1 is raised before the loop runs. libevent 2.1.12 runs the
 * callback for the manual activation, and the signal, caught by its handler
 * and read from its socketpair in the loop, activates the event again: two
 * calls in all over a few non-blocking loop turns, each with EV_SIGNAL.
 */
#include <event2/event.h>
#include <signal.h>
#include "check.h"

static int calls, bad_what;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, SIGUSR1);
    if (what != EV_SIGNAL)
        bad_what = what;
    calls++;
}

static void run_case(int by_signal)
{
    struct event_base *base = event_base_new();
    struct event *ev;
    int i;

    REQUIRE(base != NULL);
    ev = evsignal_new(base, SIGUSR1, cb, NULL);
    REQUIRE(ev != NULL);
    calls = bad_what = 0;
    CHECK_INT(event_add(ev, NULL), 0);
    if (by_signal)
        event_base_active_by_signal(base, SIGUSR1);
    else
        event_active(ev, EV_SIGNAL, 1);
    CHECK_INT(raise(SIGUSR1), 0);
    for (i = 0; i < 4; i++)
        CHECK(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK) >= 0);
    if (calls != 2)
        fprintf(stderr, "%s + raise: %d call(s), expected 2\n",
            by_signal ? "event_base_active_by_signal" : "event_active", calls);
    CHECK_INT(calls, 2);
    CHECK_INT(bad_what, 0);
    event_free(ev);
    event_base_free(base);
}

int main(void)
{
    test_begin("r4_lost_signal");
    run_case(0);
    run_case(1);
    return test_end();
}
