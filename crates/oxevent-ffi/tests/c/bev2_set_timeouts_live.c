/*
 * bufferevent_set_timeouts on a socket bufferevent whose events are
 * already pending.  libevent 2.1.12 re-adds each pending event with the
 * new timeout at once, and leaves events that are not pending alone:
 *  - EV_READ enabled with a 10 s read timeout, then set to 100 ms: the
 *    event callback gets BEV_EVENT_READING|BEV_EVENT_TIMEOUT after ~100 ms;
 *  - the 100 ms write timeout set at the same time does nothing while the
 *    output is empty (EV_WRITE is enabled but its event is not pending):
 *    with EV_READ timed out no event is left and dispatch returns 1;
 *  - once bytes are queued and the peer does not read, the stored write
 *    timeout applies: BEV_EVENT_WRITING|BEV_EVENT_TIMEOUT ~100 ms later;
 *  - a pending 100 ms read timeout lengthened to 400 ms fires only after
 *    ~400 ms.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static int events;
static short what_seen;
static long long at;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    what_seen = what;
    at = now_ms();
}

int main(void)
{
    int sv[2], small = 4096;
    struct event_base *base;
    struct bufferevent *b;
    struct timeval t10s = {10, 0}, t100 = {0, 100000}, t400 = {0, 400000};
    static char big[1 << 20];
    long long t0;

    test_begin("bev2_set_timeouts_live");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQUIRE(evutil_make_socket_nonblocking(sv[0]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, NULL, eventcb, NULL);

    /* Shorten a pending read timeout; an idle writer gets no timeout. */
    CHECK_INT(bufferevent_set_timeouts(b, &t10s, NULL), 0);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    t0 = now_ms();
    CHECK_INT(bufferevent_set_timeouts(b, &t100, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    CHECK(at - t0 >= 90);
    CHECK(at - t0 < 1000);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);

    /* The stored write timeout once there is something to write. */
    memset(big, 'x', sizeof big);
    t0 = now_ms();
    CHECK_INT(bufferevent_write(b, big, sizeof big), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(events, 2);
    CHECK_INT(what_seen, BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT);
    CHECK(at - t0 >= 90);
    CHECK(at - t0 < 1000);
    CHECK_INT(bufferevent_get_enabled(b), 0);

    /* Lengthen a pending read timeout. */
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    t0 = now_ms();
    CHECK_INT(bufferevent_set_timeouts(b, &t400, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(events, 3);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    CHECK(at - t0 >= 390);
    CHECK(at - t0 < 1500);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
