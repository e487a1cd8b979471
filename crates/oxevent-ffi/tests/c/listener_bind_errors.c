/*
 * evconnlistener_new_bind failures and the reuse options.  Binding a port
 * another listening socket holds returns NULL with errno EADDRINUSE (and
 * no fd is leaked); backlog 0 returns NULL.  LEV_OPT_REUSEABLE sets
 * SO_REUSEADDR on the listening socket (off by default) and so allows
 * binding again a port whose server side (accepted from a REUSEABLE
 * listener, as the kernel wants both sides to have it) was closed first
 * and is in TIME_WAIT, where a plain new_bind fails with EADDRINUSE.
 * LEV_OPT_REUSEABLE_PORT sets SO_REUSEPORT: two listeners with it can
 * share one port.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include "check.h"

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(socklen);
    *(evutil_socket_t *)arg = fd;
}

static int intopt(evutil_socket_t fd, int opt)
{
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, SOL_SOCKET, opt, &v, &len);
    return v;
}

static struct evconnlistener *bind_at(struct event_base *base,
    unsigned flags, int backlog, struct sockaddr_in *sin, void *arg)
{
    return evconnlistener_new_bind(base, accept_cb, arg, flags, backlog,
        (struct sockaddr *)sin, sizeof *sin);
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l, *l2;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    evutil_socket_t accepted = -1, c, probe;

    test_begin("listener_bind_errors");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    CHECK(bind_at(base, LEV_OPT_CLOSE_ON_FREE, 0, &sin, NULL) == NULL);

    l = bind_at(base, LEV_OPT_CLOSE_ON_FREE, 16, &sin, NULL);
    REQUIRE(l != NULL);
    CHECK_INT(intopt(evconnlistener_get_fd(l), SO_REUSEADDR), 0);
    CHECK_INT(intopt(evconnlistener_get_fd(l), SO_REUSEPORT), 0);
    evconnlistener_free(l);

    l = bind_at(base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16, &sin,
        &accepted);
    REQUIRE(l != NULL);
    CHECK_INT(intopt(evconnlistener_get_fd(l), SO_REUSEADDR), 1);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
        &len) == 0);

    /* In use by a listener: refused, with or without REUSEABLE. */
    probe = dup(0);
    REQUIRE(probe >= 0);
    close(probe);
    errno = 0;
    CHECK(bind_at(base, LEV_OPT_CLOSE_ON_FREE, 16, &sin, NULL) == NULL);
    CHECK_INT(errno, EADDRINUSE);
    CHECK(bind_at(base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16, &sin,
        NULL) == NULL);
    /* The failed attempts closed their sockets: the next fd is the same. */
    c = dup(0);
    CHECK_INT(c, probe);
    close(c);

    /* Server side closes first -> TIME_WAIT on the listening port. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_loop(base, EVLOOP_NONBLOCK);
    REQUIRE(accepted >= 0);
    evutil_closesocket(accepted);
    sleep_ms(50);
    evutil_closesocket(c);
    evconnlistener_free(l);
    sleep_ms(50);

    errno = 0;
    CHECK(bind_at(base, LEV_OPT_CLOSE_ON_FREE, 16, &sin, NULL) == NULL);
    CHECK_INT(errno, EADDRINUSE);
    l = bind_at(base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16, &sin,
        NULL);
    CHECK(l != NULL);
    if (l) {
        CHECK_INT(intopt(evconnlistener_get_fd(l), SO_REUSEADDR), 1);
        evconnlistener_free(l);
    }

    /* SO_REUSEPORT: two listeners on one fresh port. */
    sin.sin_port = 0;
    l = bind_at(base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, 16,
        &sin, NULL);
    REQUIRE(l != NULL);
    CHECK_INT(intopt(evconnlistener_get_fd(l), SO_REUSEPORT), 1);
    len = sizeof sin;
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
        &len) == 0);
    l2 = bind_at(base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT, 16,
        &sin, NULL);
    CHECK(l2 != NULL);
    if (l2)
        evconnlistener_free(l2);
    evconnlistener_free(l);

    event_base_free(base);
    return test_end();
}
