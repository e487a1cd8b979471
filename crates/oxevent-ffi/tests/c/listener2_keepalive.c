/*
 * SO_KEEPALIVE and the sockets of a listener.  libevent 2.1.12's
 * evconnlistener_new_bind turns SO_KEEPALIVE on for the socket it makes
 * (whatever the flags), so the connections it accepts carry it too (the
 * kernel copies it to accepted sockets); evconnlistener_new on a socket
 * the program made leaves its options alone: SO_KEEPALIVE stays off there
 * and on what it accepts.  SO_REUSEADDR is on only with LEV_OPT_REUSEABLE.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int got_fd = -1;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(len);
    UNUSED(arg);
    got_fd = fd;
}

static int opt(int fd, int name)
{
    int v = -1;
    socklen_t vl = sizeof v;
    CHECK_INT(getsockopt(fd, SOL_SOCKET, name, &v, &vl), 0);
    return v != 0;
}

/* Connect a client to l and return the fd the listener accepted. */
static int accept_one(struct event_base *base, struct evconnlistener *l,
    int *client)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int i;
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
        &sl) == 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(*client >= 0);
    REQUIRE(connect(*client, (struct sockaddr *)&sin, sizeof sin) == 0);
    got_fd = -1;
    for (i = 0; i < 50 && got_fd < 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    REQUIRE(got_fd >= 0);
    return got_fd;
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_in sin;
    int fd, c, s;

    test_begin("listener2_keepalive");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* new_bind, no flags but CLOSE_ON_FREE. */
    l = evconnlistener_new_bind(base, acceptcb, NULL, LEV_OPT_CLOSE_ON_FREE,
        8, (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    CHECK_INT(opt(evconnlistener_get_fd(l), SO_KEEPALIVE), 1);
    CHECK_INT(opt(evconnlistener_get_fd(l), SO_REUSEADDR), 0);
    fd = accept_one(base, l, &c);
    CHECK_INT(opt(fd, SO_KEEPALIVE), 1);
    CHECK_INT(opt(c, SO_KEEPALIVE), 0);
    close(fd);
    close(c);
    evconnlistener_free(l);

    /* new_bind with LEV_OPT_REUSEABLE. */
    l = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 8,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    CHECK_INT(opt(evconnlistener_get_fd(l), SO_KEEPALIVE), 1);
    CHECK_INT(opt(evconnlistener_get_fd(l), SO_REUSEADDR), 1);
    evconnlistener_free(l);

    /* evconnlistener_new on the program's own socket. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    REQUIRE(bind(s, (struct sockaddr *)&sin, sizeof sin) == 0);
    REQUIRE(evutil_make_socket_nonblocking(s) == 0);
    l = evconnlistener_new(base, acceptcb, NULL, LEV_OPT_CLOSE_ON_FREE, 8, s);
    REQUIRE(l != NULL);
    CHECK_INT(evconnlistener_get_fd(l), s);
    CHECK_INT(opt(s, SO_KEEPALIVE), 0);
    CHECK_INT(opt(s, SO_REUSEADDR), 0);
    fd = accept_one(base, l, &c);
    CHECK_INT(opt(fd, SO_KEEPALIVE), 0);
    close(fd);
    close(c);
    evconnlistener_free(l);

    event_base_free(base);
    return test_end();
}
