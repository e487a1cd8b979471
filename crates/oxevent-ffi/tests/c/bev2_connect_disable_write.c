/*
 * Disabling EV_WRITE while a socket bufferevent's TCP connect is in
 * progress.  libevent 2.1.12: bufferevent_disable(EV_WRITE) returns 0 and
 * get_enabled drops EV_WRITE, but the write event that watches the
 * connect is kept, so BEV_EVENT_CONNECTED (exactly) is still reported from
 * the loop; no write callback runs.  Afterwards bytes written stay in the
 * output (the server receives nothing) until EV_WRITE is enabled again,
 * which sends them and runs the write callback once.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int writes, events;
static short what_seen;

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    events++;
    what_seen = what;
    event_base_loopbreak(arg);
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

    test_begin("bev2_connect_disable_write");
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
    bufferevent_setcb(b, NULL, writecb, eventcb, base);
    CHECK_INT(bufferevent_socket_connect(b, (struct sockaddr *)&sin,
        sizeof sin), 0);
    CHECK_INT(bufferevent_disable(b, EV_WRITE), 0);
    CHECK_INT(bufferevent_get_enabled(b), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_CONNECTED);
    CHECK_INT(writes, 0);
    CHECK_INT(bufferevent_get_enabled(b), 0);

    s = accept(l, NULL, NULL);
    REQUIRE(s >= 0);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK_INT(bufferevent_write(b, "held", 4), 0);
    for (i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 4);
    CHECK_INT(recv(s, buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_INT(writes, 0);

    CHECK_INT(bufferevent_enable(b, EV_WRITE), 0);
    for (i = 0; i < 20 && writes == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(writes, 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 0);
    CHECK_INT(recv(s, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "held", 4) == 0);
    CHECK_INT(events, 1);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    close(s);
    close(l);
    event_base_free(base);
    return test_end();
}
