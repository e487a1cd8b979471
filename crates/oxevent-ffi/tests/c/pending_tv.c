/*
 * event_pending(ev, EV_TIMEOUT, &tv) fills tv with the time (wall clock, as
 * gettimeofday) at which the timeout will expire: about now + 2 s right after
 * adding, still about the same after the loop ran for 200 ms. tv is left
 * alone when the event has no timeout pending.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <sys/time.h>
#include "check.h"

static void nop_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

static long long wall_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return tv_ms(&now);
}

int main(void)
{
    struct event_base *base;
    struct event *ev, *io;
    struct timeval t2s = {2, 0};
    struct timeval t200 = {0, 200 * 1000};
    struct timeval tv, tv2;
    long long expire, expire2, now;
    evutil_socket_t sp[2];

    test_begin("pending_tv");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = evtimer_new(base, nop_cb, NULL);
    io = event_new(base, sp[0], EV_READ, nop_cb, NULL);
    REQUIRE(ev && io);

    CHECK_INT(event_add(ev, &t2s), 0);
    memset(&tv, 0, sizeof(tv));
    CHECK_INT(event_pending(ev, EV_TIMEOUT, &tv), EV_TIMEOUT);
    now = wall_ms();
    expire = tv_ms(&tv);
    CHECK(expire - now > 1500);
    CHECK(expire - now <= 2100);
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    /* Let 200 ms pass inside the loop; the deadline does not move. */
    CHECK_INT(event_base_loopexit(base, &t200), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    memset(&tv2, 0, sizeof(tv2));
    CHECK_INT(event_pending(ev, EV_TIMEOUT, &tv2), EV_TIMEOUT);
    expire2 = tv_ms(&tv2);
    now = wall_ms();
    CHECK(expire2 - expire < 100 && expire - expire2 < 100);
    CHECK(expire2 - now > 1300);
    CHECK(expire2 - now <= 1900);

    /* No timeout: tv untouched, EV_TIMEOUT not reported. */
    CHECK_INT(event_add(io, NULL), 0);
    tv.tv_sec = 12345;
    tv.tv_usec = 678;
    CHECK_INT(event_pending(io, EV_READ | EV_TIMEOUT, &tv), EV_READ);
    CHECK_INT(tv.tv_sec, 12345);
    CHECK_INT(tv.tv_usec, 678);

    event_free(ev);
    event_free(io);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
