/*
 * evconnlistener_new_bind on 127.0.0.1:0 with LEV_OPT_CLOSE_ON_FREE: the
 * accept callback gets a non-blocking fd and the peer's address; a
 * bufferevent_socket_connect with no fd makes its own socket and reports
 * BEV_EVENT_CONNECTED; the server's greeting arrives, then EOF when the
 * server frees its bufferevent from its write callback (seed 004's
 * hello-world server).  A connect to a closed port reports
 * BEV_EVENT_ERROR with ECONNREFUSED.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static struct event_base *base;
static int accepted, connected, eofs, errors, err_code, lev_same;
static char got[64];
static size_t ngot;

static void server_writecb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    if (evbuffer_get_length(bufferevent_get_output(b)) == 0)
        bufferevent_free(b);
}

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    struct bufferevent *b;
    CHECK(arg == (void *)&accepted);
    lev_same = evconnlistener_get_base(l) == base;
    accepted++;
    CHECK_INT(sa->sa_family, AF_INET);
    CHECK_INT(len, (int)sizeof(struct sockaddr_in));
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    b = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(b, NULL, server_writecb, NULL, NULL);
    bufferevent_write(b, "Hello, World!\n", 14);
}

static void client_readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    ngot += bufferevent_read(b, got + ngot, sizeof got - 1 - ngot);
}

static void client_eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    if (what & BEV_EVENT_CONNECTED)
        connected++;
    if (what & BEV_EVENT_EOF)
        eofs++;
    if (what & BEV_EVENT_ERROR) {
        errors++;
        err_code = EVUTIL_SOCKET_ERROR();
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        bufferevent_free(b);
        event_base_loopexit(base, NULL);
    }
}

int main(void)
{
    struct sockaddr_in sin, closed;
    socklen_t sl = sizeof sin;
    struct evconnlistener *l;
    struct bufferevent *c;

    test_begin("listener_accept_connect");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = evconnlistener_new_bind(base, acceptcb, &accepted,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl) == 0);
    CHECK(sin.sin_port != 0);

    c = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c, client_readcb, NULL, client_eventcb, NULL);
    bufferevent_enable(c, EV_READ);
    CHECK_INT(bufferevent_socket_connect(c, (struct sockaddr *)&sin, sizeof sin), 0);
    CHECK(bufferevent_getfd(c) >= 0);
    event_base_dispatch(base);
    got[ngot] = '\0';
    CHECK_INT(accepted, 1);
    CHECK(lev_same);
    CHECK_INT(connected, 1);
    CHECK_STR(got, "Hello, World!\n");
    CHECK_INT(eofs, 1);

    /* A port nobody listens on: take one, then close it. */
    {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        socklen_t cl = sizeof closed;
        memset(&closed, 0, sizeof closed);
        closed.sin_family = AF_INET;
        closed.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(s, (struct sockaddr *)&closed, sizeof closed) == 0);
        REQUIRE(getsockname(s, (struct sockaddr *)&closed, &cl) == 0);
        close(s);
    }
    c = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c, client_readcb, NULL, client_eventcb, NULL);
    CHECK_INT(bufferevent_socket_connect(c, (struct sockaddr *)&closed, sizeof closed), 0);
    event_base_dispatch(base);
    CHECK_INT(errors, 1);
    CHECK_INT(err_code, ECONNREFUSED);
    CHECK_INT(connected, 1);

    evconnlistener_free(l);
    event_base_free(base);
    return test_end();
}
