/*
 * A write timeout of 100 ms on a socket whose peer does not read: once the
 * socket buffer is full, the output stops draining and, after at least
 * 100 ms, the event callback gets BEV_EVENT_WRITING|BEV_EVENT_TIMEOUT and
 * EV_WRITE is disabled; the unwritten data stays in the output.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static short what_seen;
static int events;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    events++;
    what_seen = what;
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    struct timeval tv = {0, 100000};
    static char big[4 << 20];
    long long start;

    test_begin("bev_write_timeout");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, NULL, NULL, eventcb, base);
    CHECK_INT(bufferevent_set_timeouts(b, NULL, &tv), 0);
    memset(big, 'w', sizeof big);
    start = now_ms();
    CHECK_INT(bufferevent_write(b, big, sizeof big), 0);
    event_base_dispatch(base);
    CHECK(now_ms() - start >= 90);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT);
    CHECK_INT(bufferevent_get_enabled(b) & EV_WRITE, 0);
    CHECK(evbuffer_get_length(bufferevent_get_output(b)) > 0);
    bufferevent_free(b);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
