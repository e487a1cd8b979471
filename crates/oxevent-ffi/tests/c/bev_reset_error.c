/*
 * A TCP peer that closes with SO_LINGER {1, 0} sends a reset: the reading
 * socket bufferevent's event callback gets exactly
 * BEV_EVENT_READING|BEV_EVENT_ERROR (0x21), with EVUTIL_SOCKET_ERROR()
 * == ECONNRESET inside the callback, and EV_READ is disabled afterwards
 * (EV_WRITE stays enabled).  Bytes that arrived before the reset are
 * handed to the read callback first.
 */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "check.h"

static int reads, events, err_seen;
static short what_seen;
static size_t readlen;

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(arg);
    reads++;
    readlen = evbuffer_get_length(bufferevent_get_input(b));
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    err_seen = EVUTIL_SOCKET_ERROR();
    events++;
    what_seen = what;
    event_base_loopbreak(bufferevent_get_base(b));
}

/* A connected TCP pair over 127.0.0.1: *srv (accepted), *cli. */
static void tcp_pair(evutil_socket_t *srv, evutil_socket_t *cli)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    evutil_socket_t l;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
    *cli = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(*cli >= 0);
    REQUIRE(connect(*cli, (struct sockaddr *)&sin, sizeof sin) == 0);
    *srv = accept(l, NULL, NULL);
    REQUIRE(*srv >= 0);
    evutil_closesocket(l);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    evutil_socket_t srv, cli;
    struct linger lg;
    struct timeval guard = { 2, 0 };

    test_begin("bev_reset_error");
    tcp_pair(&srv, &cli);
    REQUIRE(evutil_make_socket_nonblocking(srv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, srv, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
    CHECK_INT(bufferevent_enable(b, EV_READ), 0);

    /* Some bytes first, read before the reset. */
    REQUIRE(write_all(cli, "ping", 4) == 0);
    event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(reads, 1);
    CHECK_INT(readlen, 4);

    lg.l_onoff = 1;
    lg.l_linger = 0;
    REQUIRE(setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    evutil_closesocket(cli);
    event_base_loopexit(base, &guard);
    event_base_dispatch(base);
    CHECK_INT(events, 1);
    CHECK_INT(what_seen, BEV_EVENT_READING | BEV_EVENT_ERROR);
    CHECK_INT(what_seen, 0x21);
    CHECK_INT(err_seen, ECONNRESET);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    CHECK_INT(reads, 1);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(b)), 4);

    bufferevent_free(b);
    event_base_free(base);
    return test_end();
}
