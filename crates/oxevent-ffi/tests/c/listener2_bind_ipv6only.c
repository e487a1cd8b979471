/*
 * LEV_OPT_BIND_IPV6ONLY (1u<<8, in libevent 2.1.12's listener.h):
 * evconnlistener_new_bind sets IPV6_V6ONLY on the AF_INET6 socket before
 * binding; without the flag the socket keeps the system default
 * (net.ipv6.bindv6only, normally 0).  Checked on listeners bound to
 * [::]:0 (only the option is read; nothing connects to them: the
 * sandbox this runs in forces IPV6_V6ONLY on for sockets bound to [::1],
 * so a loopback listener cannot tell).  Then a flagged listener on [::1]
 * accepts a client as usual, and an AF_INET address with the flag makes
 * no listener (an IPv4 socket refuses IPV6_V6ONLY).  (The fallback define
 * below only lets this compile against a listener.h that lacks the flag.)
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

#ifndef LEV_OPT_BIND_IPV6ONLY
#define LEV_OPT_BIND_IPV6ONLY (1u << 8)
#endif

static int calls;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(arg);
    UNUSED(len);
    CHECK_INT(sa->sa_family, AF_INET6);
    calls++;
    close(fd);
}

static int v6only(struct evconnlistener *l)
{
    int v = -1;
    socklen_t vl = sizeof v;
    CHECK_INT(getsockopt(evconnlistener_get_fd(l), IPPROTO_IPV6, IPV6_V6ONLY,
        &v, &vl), 0);
    return v;
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    socklen_t sl = sizeof s6;
    int c, i, def = 0;
    FILE *f;

    test_begin("listener2_bind_ipv6only");
    CHECK_INT(LEV_OPT_BIND_IPV6ONLY, 0x100);
    f = fopen("/proc/sys/net/ipv6/bindv6only", "r");
    if (f) {
        if (fscanf(f, "%d", &def) != 1)
            def = 0;
        fclose(f);
    }
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_addr = in6addr_any;

    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, 8,
        (struct sockaddr *)&s6, sizeof s6);
    REQUIRE(l != NULL);
    CHECK_INT(v6only(l), def);
    evconnlistener_free(l);
    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED | LEV_OPT_BIND_IPV6ONLY, 8,
        (struct sockaddr *)&s6, sizeof s6);
    REQUIRE(l != NULL);
    CHECK_INT(v6only(l), 1);
    evconnlistener_free(l);

    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, 8,
        (struct sockaddr *)&s4, sizeof s4);
    CHECK(l == NULL);

    s6.sin6_addr = in6addr_loopback;

    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, 8,
        (struct sockaddr *)&s6, sizeof s6);
    REQUIRE(l != NULL);
    CHECK_INT(v6only(l), 1);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&s6,
        &sl) == 0);
    c = socket(AF_INET6, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&s6, sizeof s6) == 0);
    for (i = 0; i < 50 && calls == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(calls, 1);
    close(c);
    evconnlistener_free(l);

    event_base_free(base);
    return test_end();
}
