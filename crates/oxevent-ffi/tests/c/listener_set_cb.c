/*
 * evconnlistener_set_cb: with a NULL callback the enabled listener still
 * accepts, and closes each connection (the client reads EOF); setting a
 * callback again hands the next connection to it, with the new argument.
 * evconnlistener_disable/enable return 0.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "check.h"

static int accepted;
static void *arg_seen;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(len);
    accepted++;
    arg_seen = arg;
    close(fd);
    event_base_loopexit(evconnlistener_get_base(l), NULL);
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    int c, i;
    char ch;
    ssize_t r = -1;

    test_begin("listener_set_cb");
    base = event_base_new();
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = evconnlistener_new_bind(base, acceptcb, NULL, LEV_OPT_CLOSE_ON_FREE, -1,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl) == 0);
    evconnlistener_set_cb(l, NULL, NULL);
    c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);
    for (i = 0; i < 200 && r != 0; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        r = recv(c, &ch, 1, MSG_DONTWAIT);
        if (r != 0)
            sleep_ms(10);
    }
    CHECK_INT(r, 0);
    CHECK_INT(accepted, 0);
    close(c);

    evconnlistener_set_cb(l, acceptcb, &accepted);
    CHECK_INT(evconnlistener_disable(l), 0);
    CHECK_INT(evconnlistener_enable(l), 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);
    event_base_dispatch(base);
    CHECK_INT(accepted, 1);
    CHECK(arg_seen == (void *)&accepted);
    close(c);
    evconnlistener_free(l);
    event_base_free(base);
    return test_end();
}
