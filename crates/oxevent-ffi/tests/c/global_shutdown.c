/*
 * libevent_global_shutdown at the end of a program that used threads,
 * debug mode, signals, timers, common timeouts, once-events and I/O: every
 * object is freed first, the shutdown call returns, and the program exits 0
 * (under valgrind, no definite leaks remain).
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <signal.h>
#include "check.h"

static int calls;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *sig, *tm, *io, *ctev;
    const struct timeval *ct;
    struct timeval t10 = {0, 10 * 1000};
    evutil_socket_t sp[2];

    test_begin("global_shutdown");
    signal(SIGUSR1, SIG_IGN);
    CHECK_INT(evthread_use_pthreads(), 0);
    event_enable_debug_mode();
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[0]) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[1]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    sig = evsignal_new(base, SIGUSR1, cb, NULL);
    tm = evtimer_new(base, cb, NULL);
    io = event_new(base, sp[1], EV_READ, cb, NULL);
    ct = event_base_init_common_timeout(base, &t10);
    ctev = evtimer_new(base, cb, NULL);
    REQUIRE(sig && tm && io && ct && ctev);
    CHECK_INT(event_add(sig, NULL), 0);
    CHECK_INT(evtimer_add(tm, &t10), 0);
    CHECK_INT(event_add(io, NULL), 0);
    CHECK_INT(evtimer_add(ctev, ct), 0);
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT, cb, NULL, &t10), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    CHECK_INT(raise(SIGUSR1), 0);
    /* Deleted before the loop saw the signal: its callback must not run. */
    CHECK_INT(event_del(sig), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(calls, 4);

    event_free(sig);
    event_free(tm);
    event_free(io);
    event_free(ctev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    libevent_global_shutdown();
    return test_end();
}
