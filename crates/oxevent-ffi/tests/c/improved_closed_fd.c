/*
 * improved_ (ours only): an fd closed under a pending persistent read event
 * is reported, not spun on. With poll and select, libevent 2.1.12 reports
 * the dead fd as readable on every loop turn (POLLNVAL / EBADF), so the
 * callback runs thousands of times a second; oxevent reports it once and
 * logs a warning. With epoll the kernel drops a closed fd silently, so
 * the callback never runs. Either way it must run at most once in 200 ms.
 */
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>
#include "check.h"

static int calls;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *ev;
    evutil_socket_t sp[2];
    struct timeval window = {0, 200000};

    test_begin("improved_closed_fd");
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    ev = event_new(base, sp[0], EV_READ | EV_PERSIST, read_cb, NULL);
    REQUIRE(ev != NULL);
    CHECK_INT(event_add(ev, NULL), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    close(sp[0]);
    CHECK_INT(event_base_loopexit(base, &window), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK(calls <= 1);
    event_free(ev);
    close(sp[1]);
    event_base_free(base);
    return test_end();
}
