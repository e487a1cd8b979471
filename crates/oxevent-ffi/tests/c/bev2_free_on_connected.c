/*
 * bufferevent_free inside the event callback that reports
 * BEV_EVENT_CONNECTED, with bytes queued before the connect.  libevent
 * 2.1.12: free only clears the callbacks and drops the program's
 * reference; the write handler that reported the connection still holds
 * one and goes on to write the queued bytes, so the server receives them
 * and then EOF once the bufferevent is finalized (BEV_OPT_CLOSE_ON_FREE).
 * The event callback runs once, the write callback never.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int writes, events, reads;
static short what_seen;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    reads++;
}

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    events++;
    what_seen = what;
    bufferevent_free(b);
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    struct timeval tv = {2, 0};
    int l, s, i;
    char buf[16];
    size_t n = 0;
    ssize_t r;

    test_begin("bev2_free_on_connected");
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &len) == 0);

    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, writecb, eventcb, base);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(bufferevent_write(b, "early", 5), 0);
    CHECK_INT(bufferevent_socket_connect(b, (struct sockaddr *)&sin,
        sizeof sin), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_CONNECTED);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(writes, 0);
    CHECK_INT(reads, 0);
    CHECK_INT(events, 1);

    s = accept(l, NULL, NULL);
    REQUIRE(s >= 0);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (n < sizeof buf - 1) {
        r = recv(s, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    CHECK_INT(r, 0);
    buf[n] = '\0';
    CHECK_STR(buf, "early");
    /* Nothing left to run: both events are gone. */
    CHECK_INT(event_base_dispatch(base), 1);

    close(s);
    close(l);
    event_base_free(base);
    return test_end();
}
