/*
 * bufferevent_socket_connect_hostname whose lookup fails, with no evdns
 * base (libevent then resolves synchronously with the system resolver,
 * inside the call).  Two lookups that fail without asking any DNS server:
 * "::1" asked for as AF_INET (EAI_ADDRFAMILY) and "" (EAI_NONAME).
 * libevent 2.1.12: the call returns 0, the event callback has already run
 * inside it with exactly BEV_EVENT_ERROR, get_dns_error returns the
 * getaddrinfo code, no socket was made (getfd -1), the enabled set is
 * unchanged and the loop delivers nothing more.  With
 * BEV_OPT_DEFER_CALLBACKS the error is delivered from the loop instead,
 * while get_dns_error is set as soon as the call returns.  A later
 * successful connect_hostname ("127.0.0.1") resets get_dns_error to 0
 * right away and connects.
 */
#define _GNU_SOURCE
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int in_call, events, events_in_call;
static short what_seen;

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(arg);
    events++;
    events_in_call += in_call;
    what_seen = what;
}

static int connect_host(struct bufferevent *b, const char *host, int port)
{
    int r;
    events = events_in_call = 0;
    what_seen = 0;
    in_call = 1;
    r = bufferevent_socket_connect_hostname(b, NULL, AF_INET, host, port);
    in_call = 0;
    return r;
}

int main(void)
{
    struct event_base *base;
    struct bufferevent *b;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int l, i;

    test_begin("bev2_connect_hostname_fail");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(l >= 0);
    REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(listen(l, 4) == 0);
    REQUIRE(getsockname(l, (struct sockaddr *)&sin, &sl) == 0);

    b = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, NULL, eventcb, NULL);
    CHECK_INT(bufferevent_socket_get_dns_error(b), 0);

    CHECK_INT(connect_host(b, "::1", 80), 0);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 1);
    CHECK_INT(what_seen, BEV_EVENT_ERROR);
    CHECK_INT(bufferevent_socket_get_dns_error(b), EAI_ADDRFAMILY);
    CHECK_INT(bufferevent_getfd(b), -1);
    CHECK_INT(bufferevent_get_enabled(b), EV_WRITE);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events, 1);

    CHECK_INT(connect_host(b, "", 80), 0);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 1);
    CHECK_INT(what_seen, BEV_EVENT_ERROR);
    CHECK_INT(bufferevent_socket_get_dns_error(b), EAI_NONAME);
    CHECK_INT(bufferevent_getfd(b), -1);

    /* Success afterwards clears the saved error at once. */
    CHECK_INT(connect_host(b, "127.0.0.1", ntohs(sin.sin_port)), 0);
    CHECK_INT(bufferevent_socket_get_dns_error(b), 0);
    CHECK_INT(events, 0);
    CHECK(bufferevent_getfd(b) >= 0);
    for (i = 0; i < 10 && events == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 0);
    CHECK_INT(what_seen, BEV_EVENT_CONNECTED);
    bufferevent_free(b);

    /* Deferred callbacks: the error comes from the loop. */
    b = bufferevent_socket_new(base, -1,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, NULL, NULL, eventcb, NULL);
    CHECK_INT(connect_host(b, "::1", 80), 0);
    CHECK_INT(events, 0);
    CHECK_INT(bufferevent_socket_get_dns_error(b), EAI_ADDRFAMILY);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(events, 1);
    CHECK_INT(events_in_call, 0);
    CHECK_INT(what_seen, BEV_EVENT_ERROR);
    CHECK_INT(bufferevent_getfd(b), -1);
    bufferevent_free(b);

    event_base_loop(base, EVLOOP_NONBLOCK);
    close(l);
    event_base_free(base);
    return test_end();
}
