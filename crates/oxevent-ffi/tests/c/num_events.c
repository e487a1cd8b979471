/*
 * event_base_get_num_events / event_base_get_max_events with
 * EVENT_BASE_COUNT_ADDED, _ACTIVE and _VIRTUAL. Counts are taken relative
 * to a fresh base's own (libevent may count internal events as added):
 * adding three plain I/O events and two timers raises ADDED by five,
 * activating two unadded events gives ACTIVE 2 (Debian also counts them,
 * and an I/O event's timeout, in ADDED: only lower bounds there), VIRTUAL stays 0 on a plain base, deleting brings ADDED
 * back while the maximum remembers the peak, and clear = 1 resets it.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static void nop_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

int main(void)
{
    struct event_base *base;
    struct event *evs[5], *a1, *a2;
    evutil_socket_t sp[2];
    struct timeval t5s = {5, 0};
    int base_added, base_active, i, max;

    test_begin("num_events");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    base_added = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    base_active = event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE);
    CHECK(base_added >= 0);
    CHECK_INT(base_active, 0);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);

    evs[0] = event_new(base, sp[0], EV_READ, nop_cb, NULL);
    evs[1] = event_new(base, sp[1], EV_READ, nop_cb, NULL);
    evs[2] = event_new(base, sp[0], EV_READ | EV_PERSIST, nop_cb, NULL);
    evs[3] = evtimer_new(base, nop_cb, NULL);
    evs[4] = evtimer_new(base, nop_cb, NULL);
    a1 = event_new(base, -1, 0, nop_cb, NULL);
    a2 = event_new(base, -1, 0, nop_cb, NULL);
    for (i = 0; i < 5; i++)
        REQUIRE(evs[i] != NULL);
    REQUIRE(a1 && a2);

    CHECK_INT(event_add(evs[0], NULL), 0);
    CHECK_INT(event_add(evs[1], NULL), 0);
    CHECK_INT(event_add(evs[2], NULL), 0);
    CHECK_INT(event_add(evs[3], &t5s), 0);
    CHECK_INT(event_add(evs[4], &t5s), 0);
    /* Adding twice does not count twice. */
    CHECK_INT(event_add(evs[4], &t5s), 0);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), base_added + 5);

    event_active(a1, EV_TIMEOUT, 1);
    event_active(a2, EV_TIMEOUT, 1);
    event_active(a2, EV_READ, 1);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 2);
    /* Debian also counts active events as added (the header warns that an
     * active event may be counted twice with ADDED|ACTIVE): only >=. */
    CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) >= base_added + 5);
    CHECK(event_base_get_num_events(base,
              EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) >= base_added + 7);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL), 0);

    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 0);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), base_added + 5);

    /* An I/O event with a timeout counts at least once (Debian: twice). */
    CHECK_INT(event_add(evs[1], &t5s), 0);
    CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) >= base_added + 5);

    for (i = 0; i < 5; i++)
        CHECK_INT(event_del(evs[i]), 0);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), base_added);

    max = event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0);
    CHECK(max >= base_added + 5);
    CHECK(event_base_get_max_events(base, EVENT_BASE_COUNT_ACTIVE, 0) >= 2);
    CHECK_INT(event_base_get_max_events(base, EVENT_BASE_COUNT_VIRTUAL, 0), 0);
    /* Read-and-clear returns the peak, then the peak is forgotten. */
    CHECK_INT(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 1), max);
    CHECK(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0) <= base_added);
    CHECK_INT(event_add(evs[0], NULL), 0);
    CHECK(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0) >= 1);
    CHECK(event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0) <= base_added + 1);

    for (i = 0; i < 5; i++)
        event_free(evs[i]);
    event_free(a1);
    event_free(a2);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
