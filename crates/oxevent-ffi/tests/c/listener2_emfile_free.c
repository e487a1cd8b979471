/*
 * The listener's error callback on EMFILE, freeing the listener from
 * inside it.  With a connection waiting and RLIMIT_NOFILE lowered so that
 * accept() cannot make a new fd, libevent 2.1.12 runs the error callback
 * (with the listener's user pointer and EVUTIL_SOCKET_ERROR() == EMFILE)
 * and not the accept callback.  The error callback may free the listener
 * (LEV_OPT_CLOSE_ON_FREE): the listening socket is closed and nothing
 * more is called.  Only what holds everywhere is checked (at least one
 * error callback, the first with EMFILE), as under valgrind the accept
 * itself may consume the connection.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include "check.h"

static int tag, accepts, errors, first_err, bad_arg, lfd = -1;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(len);
    UNUSED(arg);
    accepts++;
    close(fd);
}

static void errorcb(struct evconnlistener *l, void *arg)
{
    if (errors == 0)
        first_err = EVUTIL_SOCKET_ERROR();
    if (arg != &tag)
        bad_arg++;
    errors++;
    lfd = evconnlistener_get_fd(l);
    event_base_loopbreak(evconnlistener_get_base(l));
    evconnlistener_free(l);
}

int main(void)
{
    struct event_base *base;
    struct evconnlistener *l;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct rlimit old, low;
    struct timeval guard = {2, 0};
    int c, lowest;

    test_begin("listener2_emfile_free");
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = evconnlistener_new_bind(base, acceptcb, &tag, LEV_OPT_CLOSE_ON_FREE,
        8, (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(l != NULL);
    evconnlistener_set_error_cb(l, errorcb);
    REQUIRE(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
        &sl) == 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c >= 0);
    REQUIRE(connect(c, (struct sockaddr *)&sin, sizeof sin) == 0);
    event_base_loopexit(base, &guard);

    /* No fd can be made any more. */
    lowest = dup(0);
    REQUIRE(lowest >= 0);
    close(lowest);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    low = old;
    low.rlim_cur = (rlim_t)lowest;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);

    event_base_dispatch(base);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);

    CHECK(errors >= 1);
    CHECK_INT(first_err, EMFILE);
    CHECK_INT(bad_arg, 0);
    CHECK_INT(accepts, 0);
    CHECK(lfd >= 0);
    errno = 0;
    CHECK_INT(fcntl(lfd, F_GETFD), -1);
    CHECK_INT(errno, EBADF);

    close(c);
    event_base_free(base);
    return test_end();
}
