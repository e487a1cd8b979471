/*
 * bufferevent_set_timeouts called AFTER EV_READ was enabled arms the read
 * timeout at once on bufferevents with generic timeouts (libevent's
 * bufferevent_generic_adj_timeouts_ event_add()s the read timer whenever
 * EV_READ is enabled, not suspended, and a timeout is set): a pair end
 * and a filter (over another pair end), both with EV_READ enabled first
 * and a 100 ms read timeout set afterwards, get BEV_EVENT_TIMEOUT|
 * BEV_EVENT_READING (no sooner than ~100 ms, asserted >= 80) and end up
 * with only EV_WRITE enabled.  Setting a timeout of NULL afterwards (with
 * EV_READ enabled again) disarms it: nothing more within 250 ms.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int events[2];
static short what_seen[2];
static long long t_event[2];
static struct bufferevent *P1, *F;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    int i = b == F;
    UNUSED(arg);
    events[i]++;
    what_seen[i] = what;
    t_event[i] = now_ms();
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *q[2];
    struct timeval tv = {0, 100000}, limit = {0, 400000};
    struct timeval quarter = {0, 250000};
    long long start;

    test_begin("bevpair2_timeout_after_enable");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    REQUIRE(bufferevent_pair_new(base, 0, q) == 0);
    P1 = p[1];
    F = bufferevent_filter_new(q[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE,
        NULL, NULL);
    REQUIRE(F != NULL);
    bufferevent_setcb(P1, NULL, NULL, eventcb, NULL);
    bufferevent_setcb(F, NULL, NULL, eventcb, NULL);
    CHECK_INT(bufferevent_enable(P1, EV_READ), 0);
    CHECK_INT(bufferevent_enable(F, EV_READ), 0);
    CHECK_INT(bufferevent_set_timeouts(P1, &tv, NULL), 0);
    CHECK_INT(bufferevent_set_timeouts(F, &tv, NULL), 0);

    start = now_ms();
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    CHECK_INT(events[0], 1);
    CHECK_INT(events[1], 1);
    CHECK_INT(what_seen[0], BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
    CHECK_INT(what_seen[1], BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
    CHECK(t_event[0] - start >= 80);
    CHECK(t_event[1] - start >= 80);
    CHECK_INT(bufferevent_get_enabled(P1), EV_WRITE);
    CHECK_INT(bufferevent_get_enabled(F), EV_WRITE);

    /* Enable (re-arms), then clear: no more timeouts. */
    CHECK_INT(bufferevent_enable(P1, EV_READ), 0);
    CHECK_INT(bufferevent_enable(F, EV_READ), 0);
    CHECK_INT(bufferevent_set_timeouts(P1, NULL, NULL), 0);
    CHECK_INT(bufferevent_set_timeouts(F, NULL, NULL), 0);
    event_base_loopexit(base, &quarter);
    event_base_dispatch(base);
    CHECK_INT(events[0], 1);
    CHECK_INT(events[1], 1);
    CHECK_INT(bufferevent_get_enabled(P1), EV_READ | EV_WRITE);

    bufferevent_free(F);
    bufferevent_free(q[1]);
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
