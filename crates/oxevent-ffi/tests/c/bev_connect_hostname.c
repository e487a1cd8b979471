/*
 * bufferevent_socket_connect_hostname with no evdns base: a family other
 * than AF_INET/AF_INET6/AF_UNSPEC or a port outside 1..65535 gives -1; a
 * numeric "127.0.0.1" to a listening port connects (BEV_EVENT_CONNECTED)
 * and get_dns_error stays 0.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static short what_seen;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    what_seen = what;
    event_base_loopexit(arg, NULL);
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int l;

    test_begin("bev_connect_hostname");
    base = event_base_new();
    l = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 8) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &sl) == 0);

    b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, NULL, eventcb, base);
    CHECK_INT(bufferevent_socket_connect_hostname(b, NULL, AF_UNIX, "127.0.0.1", 80), -1);
    CHECK_INT(bufferevent_socket_connect_hostname(b, NULL, AF_INET, "127.0.0.1", 0), -1);
    CHECK_INT(bufferevent_socket_connect_hostname(b, NULL, AF_INET, "127.0.0.1", 65536), -1);
    CHECK_INT(bufferevent_socket_connect_hostname(b, NULL, AF_INET, "127.0.0.1",
        ntohs(sin.sin_port)), 0);
    event_base_dispatch(base);
    CHECK_INT(what_seen, BEV_EVENT_CONNECTED);
    CHECK_INT(bufferevent_socket_get_dns_error(b), 0);
    CHECK(bufferevent_getfd(b) >= 0);
    bufferevent_free(b);
    close(l);
    event_base_free(base);
    return test_end();
}
