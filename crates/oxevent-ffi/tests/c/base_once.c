/*
 * event_base_once: a one-shot timer (called once with EV_TIMEOUT, fd -1,
 * its arg), a one-shot read (EV_READ when data comes), a one-shot read
 * whose timeout wins (EV_TIMEOUT), EV_TIMEOUT with no timeval runs at once;
 * EV_SIGNAL and EV_PERSIST are refused with -1. Once-events that never fire
 * are freed with the base (run under valgrind to see it).
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

struct hit {
    int calls;
    short what;
    evutil_socket_t fd;
    long long at;
};

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    struct hit *h = arg;
    char buf[8];
    h->calls++;
    h->what = what;
    h->fd = fd;
    h->at = now_ms();
    if (what & EV_READ)
        CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
}

int main(void)
{
    struct event_base *base;
    struct hit timer_hit, read_hit, tmo_hit, now_hit, never_hit;
    evutil_socket_t sp[2];
    struct timeval t100 = {0, 100 * 1000};
    struct timeval t5s = {5, 0};
    long long start;

    test_begin("base_once");
    memset(&timer_hit, 0, sizeof(timer_hit));
    memset(&read_hit, 0, sizeof(read_hit));
    memset(&tmo_hit, 0, sizeof(tmo_hit));
    memset(&now_hit, 0, sizeof(now_hit));
    memset(&never_hit, 0, sizeof(never_hit));
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    start = now_ms();
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT, once_cb, &timer_hit, &t100), 0);
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT, once_cb, &now_hit, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(timer_hit.calls, 1);
    CHECK_INT(timer_hit.what, EV_TIMEOUT);
    CHECK_INT(timer_hit.fd, -1);
    CHECK(timer_hit.at - start >= 50);
    CHECK_INT(now_hit.calls, 1);
    CHECK_INT(now_hit.what, EV_TIMEOUT);
    CHECK(now_hit.at <= timer_hit.at);

    /* fd once: data arrives. */
    CHECK_INT(event_base_once(base, sp[1], EV_READ, once_cb, &read_hit, NULL), 0);
    CHECK(send(sp[0], "r", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(read_hit.calls, 1);
    CHECK_INT(read_hit.what, EV_READ);
    CHECK_INT(read_hit.fd, sp[1]);

    /* fd once with a timeout and no data. */
    start = now_ms();
    CHECK_INT(event_base_once(base, sp[1], EV_READ, once_cb, &tmo_hit, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(tmo_hit.calls, 1);
    CHECK_INT(tmo_hit.what, EV_TIMEOUT);
    CHECK(tmo_hit.at - start >= 50);

    /* Refused kinds. */
    CHECK_INT(event_base_once(base, SIGUSR1, EV_SIGNAL, once_cb, &never_hit, NULL), -1);
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, once_cb, &never_hit, &t100), -1);

    /* Never fires: freed with the base. */
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT, once_cb, &never_hit, &t5s), 0);
    CHECK_INT(event_base_once(base, sp[1], EV_READ, once_cb, &never_hit, NULL), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK_INT(never_hit.calls, 0);
    event_base_free(base);
    CHECK_INT(never_hit.calls, 0);

    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
