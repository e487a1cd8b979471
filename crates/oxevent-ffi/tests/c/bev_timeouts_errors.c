/*
 * A read timeout of 100 ms with no traffic: the event callback gets
 * BEV_EVENT_READING|BEV_EVENT_TIMEOUT after at least 100 ms and EV_READ
 * is disabled.  Writing to a peer that closed and reset: the event
 * callback gets BEV_EVENT_WRITING|BEV_EVENT_ERROR (EPIPE or ECONNRESET)
 * and EV_WRITE is disabled.  set_timeouts stores the values in the
 * struct (NULL clears them).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/buffer.h>
#include <signal.h>
#include <sys/socket.h>
#include "check.h"

static short what_seen;
static int events, err_seen;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    events++;
    what_seen = what;
    err_seen = EVUTIL_SOCKET_ERROR();
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    struct timeval tv = {0, 100000};
    long long start;
    char junk[4096];

    test_begin("bev_timeouts_errors");
    signal(SIGPIPE, SIG_IGN);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, NULL, NULL, eventcb, base);
    CHECK_INT(bufferevent_set_timeouts(b, &tv, NULL), 0);
    CHECK_INT(b->timeout_read.tv_usec, 100000);
    CHECK_INT(b->timeout_write.tv_sec, 0);
    bufferevent_enable(b, EV_READ);
    start = now_ms();
    event_base_dispatch(base);
    CHECK(now_ms() - start >= 90);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
    CHECK_INT(bufferevent_get_enabled(b) & EV_READ, 0);
    CHECK_INT(bufferevent_set_timeouts(b, NULL, NULL), 0);
    CHECK_INT(b->timeout_read.tv_usec, 0);

    close(sv[1]);
    memset(junk, 'j', sizeof junk);
    events = 0;
    bufferevent_write(b, junk, sizeof junk);
    event_base_dispatch(base);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_WRITING | BEV_EVENT_ERROR);
    CHECK(err_seen == EPIPE || err_seen == ECONNRESET);
    CHECK_INT(bufferevent_get_enabled(b) & EV_WRITE, 0);

    bufferevent_free(b);
    event_base_free(base);
    return test_end();
}
