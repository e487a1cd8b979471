/*
 * Priorities: event_base_priority_init(n) gives n queues (0 and > 255 are
 * refused, as is re-initialising while callbacks are active); a new event
 * gets the middle priority n/2; event_priority_set accepts 0..n-1 and refuses
 * anything else (and an event that is already active); when events of several
 * priorities are active, lower numbers run first, whatever the activation
 * order and whether they are timers, I/O or manual activations.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static char order[16];
static int norder;

static void rec_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    const char *tag = arg;
    if (what & EV_READ)
        CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    if (norder < (int)sizeof(order) - 1)
        order[norder++] = tag[0];
}

int main(void)
{
    struct event_base *base, *base2;
    struct event *e0, *e1, *e2, *io0, *tm2, *extra;
    evutil_socket_t sp[2];
    struct timeval zero = {0, 0};

    test_begin("priorities");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);

    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(event_base_get_npriorities(base), 1);
    CHECK_INT(event_base_priority_init(base, 0), -1);
    CHECK_INT(event_base_priority_init(base, 257), -1);
    CHECK_INT(event_base_priority_init(base, 1000), -1);
    CHECK_INT(event_base_priority_init(base, 3), 0);
    CHECK_INT(event_base_get_npriorities(base), 3);

    e0 = event_new(base, -1, 0, rec_cb, "a");
    e1 = event_new(base, -1, 0, rec_cb, "b");
    e2 = event_new(base, -1, 0, rec_cb, "c");
    REQUIRE(e0 && e1 && e2);
    CHECK_INT(event_get_priority(e0), 1);
    CHECK_INT(event_priority_set(e0, 3), -1);
    CHECK_INT(event_priority_set(e0, -1), -1);
    CHECK_INT(event_priority_set(e0, 100), -1);
    CHECK_INT(event_get_priority(e0), 1);
    CHECK_INT(event_priority_set(e0, 0), 0);
    CHECK_INT(event_priority_set(e1, 1), 0);
    CHECK_INT(event_priority_set(e2, 2), 0);
    CHECK_INT(event_get_priority(e0), 0);
    CHECK_INT(event_get_priority(e2), 2);

    /* Activated lowest priority first: run highest priority first. */
    event_active(e2, EV_TIMEOUT, 1);
    event_active(e1, EV_TIMEOUT, 1);
    event_active(e0, EV_TIMEOUT, 1);
    /* Active event: its priority cannot change, nor the queue count. */
    CHECK_INT(event_priority_set(e2, 0), -1);
    CHECK_INT(event_base_priority_init(base, 5), -1);
    CHECK_INT(event_base_dispatch(base), 1);
    order[norder] = 0;
    CHECK_STR(order, "abc");
    CHECK_INT(event_get_priority(e2), 2);

    /* Mixed kinds: a priority-2 timer and a priority-0 socket ready in the
     * same turn, plus a priority-1 manual activation. */
    norder = 0;
    io0 = event_new(base, sp[1], EV_READ, rec_cb, "i");
    tm2 = evtimer_new(base, rec_cb, "t");
    extra = event_new(base, -1, 0, rec_cb, "m");
    REQUIRE(io0 && tm2 && extra);
    CHECK_INT(event_priority_set(io0, 0), 0);
    CHECK_INT(event_priority_set(tm2, 2), 0);
    CHECK_INT(event_add(tm2, &zero), 0);
    CHECK_INT(event_add(io0, NULL), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    event_active(extra, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    order[norder] = 0;
    CHECK_STR(order, "imt");

    /* A fresh base: re-initialising with no active callbacks is fine. */
    base2 = event_base_new();
    REQUIRE(base2 != NULL);
    CHECK_INT(event_base_priority_init(base2, 255), 0);
    CHECK_INT(event_base_get_npriorities(base2), 255);
    CHECK_INT(event_base_priority_init(base2, 2), 0);
    CHECK_INT(event_base_get_npriorities(base2), 2);
    event_base_free(base2);

    event_free(e0); event_free(e1); event_free(e2);
    event_free(io0); event_free(tm2); event_free(extra);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
