/*
 * evconnlistener options: LEV_OPT_DISABLED makes it disabled (a client's
 * connection waits in the backlog and is accepted once
 * evconnlistener_enable runs); LEV_OPT_LEAVE_SOCKETS_BLOCKING keeps the
 * accepted fd blocking; LEV_OPT_CLOSE_ON_EXEC sets FD_CLOEXEC on it;
 * evconnlistener_new on a socket the program bound (backlog -1: libevent
 * calls listen itself); freeing the listener inside its own accept
 * callback is safe.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int accepted, blocking, cloexec, freed_in_cb;
static struct evconnlistener *L;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(sa);
    UNUSED(len);
    accepted++;
    blocking = (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0;
    cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    close(fd);
    if (arg) {
        evconnlistener_free(l);
        L = NULL;
        freed_in_cb = 1;
    }
}

static int client(struct sockaddr_in *sin)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(c, (struct sockaddr *)sin, sizeof *sin) == 0);
    return c;
}

int main(void)
{
    struct event_base *base;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int c, s, i;

    test_begin("listener_options");
    base = event_base_new();
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    L = evconnlistener_new_bind(base, acceptcb, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED | LEV_OPT_LEAVE_SOCKETS_BLOCKING |
        LEV_OPT_CLOSE_ON_EXEC, -1, (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(L != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(L), (struct sockaddr *)&sin, &sl) == 0);
    c = client(&sin);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(accepted, 0);
    CHECK_INT(evconnlistener_enable(L), 0);
    for (i = 0; i < 20 && accepted == 0; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK_INT(accepted, 1);
    CHECK(blocking);
    CHECK(cloexec);
    close(c);
    evconnlistener_free(L);

    /* A socket the program made and bound; freed from its own callback. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = 0;
    REQUIRE(bind(s, (struct sockaddr *)&sin, sizeof sin) == 0);
    sl = sizeof sin;
    REQUIRE(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
    L = evconnlistener_new(base, acceptcb, &accepted, LEV_OPT_CLOSE_ON_FREE, -1, s);
    REQUIRE(L != NULL);
    CHECK_INT(evconnlistener_get_fd(L), s);
    c = client(&sin);
    event_base_dispatch(base);
    CHECK_INT(accepted, 2);
    CHECK(freed_in_cb);
    CHECK(!blocking);
    CHECK(fcntl(s, F_GETFD) == -1 && errno == EBADF);
    close(c);
    event_base_free(base);
    return test_end();
}
