/*
 * bufferevent_socket_connect with an address on a bufferevent whose fd is
 * an already connected TCP socket.  libevent 2.1.12: connect() fails with
 * EISCONN, which is neither "in progress" nor "refused", so the call
 * returns -1 with EVUTIL_SOCKET_ERROR() == EISCONN and runs no callback,
 * neither inside the call nor later from the loop (running the event
 * callback there came only after 2.1).  The fd (not made by the call)
 * stays attached and open, the enabled set is unchanged, and the
 * connection keeps working both ways.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int in_call, events, events_in_call, err_seen, reads;
static char got[16];
static size_t ngot;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    ngot += bufferevent_read(b, got + ngot, sizeof got - 1 - ngot);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    CHECK(arg == (void *)&events);
    events++;
    events_in_call += in_call;
    UNUSED(what);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int l, cli, srv, r, i;
    char buf[8];

    test_begin("bev2_connect_eisconn");
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
    cli = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(cli >= 0);
    REQUIRE(connect(cli, (struct sockaddr *)&sin, sizeof sin) == 0);
    srv = accept(l, NULL, NULL);
    REQUIRE(srv >= 0);
    REQUIRE(evutil_make_socket_nonblocking(cli) == 0);
    {
        struct timeval tv = {2, 0};
        setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, cli, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, eventcb, &events);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);

    in_call = 1;
    r = bufferevent_socket_connect(b, (struct sockaddr *)&sin, sizeof sin);
    err_seen = EVUTIL_SOCKET_ERROR();
    in_call = 0;
    CHECK_INT(r, -1);
    CHECK_INT(err_seen, EISCONN);
    CHECK_INT(events, 0);
    CHECK_INT(bufferevent_getfd(b), cli);
    CHECK(fcntl(cli, F_GETFD) != -1);
    CHECK_INT(bufferevent_get_enabled(b), EV_READ | EV_WRITE);

    /* Still a working connection. */
    CHECK_INT(bufferevent_write(b, "ping", 4), 0);
    REQUIRE(write_all(srv, "pong", 4) == 0);
    for (i = 0; i < 50 && reads == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    got[ngot] = '\0';
    CHECK_STR(got, "pong");
    CHECK_INT(recv(srv, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events, 0);
    CHECK_INT(events_in_call, 0);

    bufferevent_free(b);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(recv(srv, buf, sizeof buf, 0), 0);
    close(srv);
    close(l);
    event_base_free(base);
    return test_end();
}
