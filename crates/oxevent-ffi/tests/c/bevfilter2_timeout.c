/*
 * A read timeout set on a filter itself (bufferevent_set_timeouts on the
 * filter, 100 ms, then EV_READ enabled; over a pair end whose partner
 * stays silent): the
 * filter's eventcb gets BEV_EVENT_TIMEOUT|BEV_EVENT_READING no sooner
 * than ~100 ms (asserted >= 80), and the filter's EV_READ is disabled
 * (EV_WRITE kept).  The underlying pair end keeps its own enabled flags
 * but stops reading: the partner's next bytes wait in the partner's
 * output until the filter's EV_READ is enabled again, which pulls them
 * through to the filter's readcb.  A timeout of NULL clears it: no
 * further timeout within 250 ms.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include "check.h"

static int reads, events;
static short what_seen;
static long long t_event;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    events++;
    what_seen = what;
    t_event = now_ms();
    event_base_loopbreak(arg);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *p[2], *f;
    struct timeval tv = {0, 100000}, limit = {2, 0}, quarter = {0, 250000};
    long long start;

    test_begin("bevfilter2_timeout");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    f = bufferevent_filter_new(p[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE,
        NULL, NULL);
    REQUIRE(f != NULL);
    bufferevent_setcb(f, readcb, NULL, eventcb, base);
    CHECK_INT(bufferevent_set_timeouts(f, &tv, NULL), 0);
    CHECK_INT(bufferevent_enable(f, EV_READ), 0);

    start = now_ms();
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
    CHECK(t_event - start >= 80);
    CHECK_INT(bufferevent_get_enabled(f), EV_WRITE);
    CHECK_INT(bufferevent_get_enabled(p[0]), EV_READ | EV_WRITE);

    /* Not reading underneath now. */
    CHECK_INT(bufferevent_write(p[1], "late", 4), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[1])), 4);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(f)), 0);
    CHECK_INT(reads, 0);

    /* Clear the timeout, read again. */
    CHECK_INT(bufferevent_set_timeouts(f, NULL, NULL), 0);
    CHECK_INT(bufferevent_enable(f, EV_READ), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(p[1])), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(f)), 4);
    CHECK_INT(reads, 1);
    event_base_loopexit(base, &quarter);
    event_base_dispatch(base);
    CHECK_INT(events, 1);

    bufferevent_free(f);
    bufferevent_free(p[1]);
    event_base_free(base);
    return test_end();
}
