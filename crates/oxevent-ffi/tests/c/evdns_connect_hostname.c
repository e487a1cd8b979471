/*
 * bufferevent_socket_connect_hostname through an evdns_base: the name is
 * looked up without blocking (a responder in the same loop answers it
 * with 127.0.0.1), then the bufferevent connects to a listener there and
 * reports BEV_EVENT_CONNECTED.  A name the responder calls NXDOMAIN ends
 * with BEV_EVENT_ERROR and bufferevent_socket_get_dns_error() ==
 * EVUTIL_EAI_NONAME.  A bufferevent freed while its lookup is pending gets
 * no callback: libevent 2.1.12 still lets the lookup finish and connects
 * (then closes) for it, so its listener sees two connections; oxevent
 * cancels the lookup and the listener sees one.  Both are accepted here.
 */
#include <event2/event.h>
#include <event2/dns.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int connected, errors, accepted, stray;
static int dns_err;

static void on_query(evutil_socket_t fd, short what, void *arg)
{
    unsigned char q[512], r[600];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    size_t k;
    UNUSED(what);
    UNUSED(arg);
    if (n < 17)
        return;
    memcpy(r, q, (size_t)n);
    k = (size_t)n;
    r[2] |= 0x80;
    if ((q[13] | 0x20) == 'n' && (q[14] | 0x20) == 'x') {
        r[3] = 0x83;
    } else {
        unsigned char ans[16] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30,
            0, 4, 127, 0, 0, 1};
        r[3] = 0x80;
        r[7] = 1;
        memcpy(r + k, ans, sizeof ans);
        k += sizeof ans;
    }
    sendto(fd, r, k, 0, (struct sockaddr *)&from, fl);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(len);
    UNUSED(arg);
    accepted++;
    close(fd);
}

static void eventcb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(arg);
    if (what & BEV_EVENT_CONNECTED) {
        connected++;
    } else if (what & BEV_EVENT_ERROR) {
        errors++;
        dns_err = bufferevent_socket_get_dns_error(b);
    }
}

static void stray_cb(struct bufferevent *b, short what, void *arg)
{
    UNUSED(b);
    UNUSED(what);
    UNUSED(arg);
    stray++;
}

int main(void)
{
    struct event_base *base;
    struct evdns_base *dns;
    struct evconnlistener *l;
    struct bufferevent *ok, *bad, *gone;
    struct event *responder;
    struct sockaddr_in sin, lsin;
    socklen_t sl = sizeof sin;
    struct timeval limit = {0, 200000};
    int srv, i;
    char port[16];

    test_begin("evdns_connect_hostname");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lsin = sin;
    srv = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(srv >= 0);
    REQUIRE(bind(srv, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(getsockname(srv, (struct sockaddr *)&sin, &sl) == 0);
    REQUIRE(evutil_make_socket_nonblocking(srv) == 0);
    responder = event_new(base, srv, EV_READ | EV_PERSIST, on_query, NULL);
    REQUIRE(responder != NULL && event_add(responder, NULL) == 0);

    l = evconnlistener_new_bind(base, on_accept, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
        (struct sockaddr *)&lsin, sizeof lsin);
    REQUIRE(l != NULL);
    sl = sizeof lsin;
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&lsin,
        &sl) == 0);

    dns = evdns_base_new(base, 0);
    REQUIRE(dns != NULL);
    snprintf(port, sizeof port, "127.0.0.1:%d", ntohs(sin.sin_port));
    CHECK_INT(evdns_base_nameserver_ip_add(dns, port), 0);

    ok = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bad = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    gone = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    REQUIRE(ok && bad && gone);
    bufferevent_setcb(ok, NULL, NULL, eventcb, NULL);
    bufferevent_setcb(bad, NULL, NULL, eventcb, NULL);
    bufferevent_setcb(gone, NULL, NULL, stray_cb, NULL);
    CHECK_INT(bufferevent_socket_connect_hostname(ok, dns, AF_INET,
        "server.test", ntohs(lsin.sin_port)), 0);
    CHECK_INT(bufferevent_socket_connect_hostname(gone, dns, AF_INET,
        "server.test", ntohs(lsin.sin_port)), 0);
    bufferevent_free(gone);
    CHECK_INT(bufferevent_socket_connect_hostname(bad, dns, AF_INET,
        "nx.test", ntohs(lsin.sin_port)), 0);

    for (i = 0; i < 4 || (i < 50 && (connected + errors < 2 || accepted < 1)); i++) {
        event_base_loopexit(base, &limit);
        event_base_dispatch(base);
    }
    CHECK_INT(connected, 1);
    CHECK_INT(errors, 1);
    CHECK_INT(dns_err, EVUTIL_EAI_NONAME);
    CHECK(accepted == 1 || accepted == 2);
    CHECK_INT(stray, 0);

    bufferevent_free(ok);
    bufferevent_free(bad);
    evdns_base_free(dns, 0);
    evconnlistener_free(l);
    event_free(responder);
    close(srv);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    return test_end();
}
