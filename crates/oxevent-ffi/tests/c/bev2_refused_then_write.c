/*
 * Writing on a socket bufferevent whose TCP connect was refused (SIGPIPE
 * ignored).  libevent 2.1.12: the refusal is reported from the loop as
 * exactly BEV_EVENT_ERROR (errno ECONNREFUSED), both events are deleted
 * but the enabled set stays EV_READ|EV_WRITE.  Because EV_WRITE is still
 * enabled, a later bufferevent_write (returns 0) re-adds the write event;
 * the loop then tries to send on the dead socket and reports exactly
 * BEV_EVENT_WRITING|BEV_EVENT_ERROR (errno EPIPE), disabling EV_WRITE
 * (enabled == EV_READ); the bytes stay in the output, no write callback
 * ever runs, and with no event left the loop runs out (dispatch returns 1).
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include "check.h"

static int writes, events, errs[4];
static short whats[4];

static void writecb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    writes++;
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    if (events < 4) {
        whats[events] = what;
        errs[events] = EVUTIL_SOCKET_ERROR();
    }
    events++;
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int s;

    test_begin("bev2_refused_then_write");
    signal(SIGPIPE, SIG_IGN);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    REQUIRE(bind(s, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(getsockname(s, (struct sockaddr *)&sin, &len) == 0);
    close(s);

    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, writecb, eventcb, base);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);
    CHECK_INT(bufferevent_socket_connect(b, (struct sockaddr *)&sin,
        sizeof sin), 0);
    event_base_dispatch(base);
    CHECK_INT(events, 1);
    CHECK_INT(whats[0], BEV_EVENT_ERROR);
    CHECK_INT(errs[0], ECONNREFUSED);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);
    CHECK(bufferevent_getfd(b) >= 0);

    CHECK_INT(bufferevent_write(b, "late", 4), 0);
    event_base_dispatch(base);
    CHECK_INT(events, 2);
    CHECK_INT(whats[1], BEV_EVENT_WRITING | BEV_EVENT_ERROR);
    CHECK_INT(errs[1], EPIPE);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(b)), 4);
    CHECK_INT(writes, 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(events, 2);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    return test_end();
}
