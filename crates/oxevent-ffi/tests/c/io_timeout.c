/*
 * Timeouts on I/O events: an idle read event with a timeout is called with
 * EV_TIMEOUT; a persistent one is called again every period and stays
 * pending; data wins over the timeout (EV_READ); calling event_add again on a
 * pending event re-schedules its timeout, both sooner and later.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int idle_calls, idle_what;
static long long idle_at;
static int per_timeouts, per_reads;
static long long per_stamps[8];
static struct event *per_ev;
static int resched_calls;
static long long resched_at;
static int pushed_calls;

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    idle_calls++;
    idle_what = what;
    idle_at = now_ms();
}

static void per_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    evutil_socket_t writer = *(evutil_socket_t *)arg;
    CHECK(event_pending(per_ev, EV_READ, NULL) == EV_READ);
    if (what == EV_TIMEOUT) {
        if (per_timeouts < 8)
            per_stamps[per_timeouts] = now_ms();
        per_timeouts++;
        if (per_timeouts == 3)
            CHECK(send(writer, "d", 1, 0) == 1);
    } else {
        CHECK_INT(what, EV_READ);
        CHECK(recv(fd, buf, sizeof(buf), 0) == 1);
        per_reads++;
        CHECK_INT(event_del(per_ev), 0);
    }
}

static void resched_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    resched_calls++;
    resched_at = now_ms();
}

static void pushed_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    pushed_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *idle, *resched, *pushed;
    evutil_socket_t sp[2];
    struct timeval t100 = {0, 100 * 1000};
    struct timeval t5s = {5, 0};
    struct timeval t300 = {0, 300 * 1000};
    long long start;
    int i;

    test_begin("io_timeout");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    /* Idle read with a timeout. */
    idle = event_new(base, sp[1], EV_READ, idle_cb, NULL);
    REQUIRE(idle != NULL);
    start = now_ms();
    CHECK_INT(event_add(idle, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(idle_calls, 1);
    CHECK_INT(idle_what, EV_TIMEOUT);
    CHECK(idle_at - start >= 50);
    CHECK(idle_at - start < 3000);
    CHECK_INT(event_pending(idle, EV_READ | EV_TIMEOUT, NULL), 0);

    /* Persistent read with a timeout: three timeouts, then data. */
    per_ev = event_new(base, sp[1], EV_READ | EV_PERSIST, per_cb, &sp[0]);
    REQUIRE(per_ev != NULL);
    start = now_ms();
    CHECK_INT(event_add(per_ev, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(per_timeouts, 3);
    CHECK_INT(per_reads, 1);
    /* The period is kept relative to each deadline (as in libevent), so a
     * late timeout is followed by an earlier one: check each against its
     * deadline, start + 100 ms * (i + 1), never early (50 ms of slack for
     * clock rounding), rather than the gaps between them. */
    for (i = 0; i < 3; i++)
        CHECK(per_stamps[i] - start >= 100 * (i + 1) - 50);

    /* Re-adding a pending event re-schedules: 5 s -> 100 ms. */
    resched = evtimer_new(base, resched_cb, NULL);
    REQUIRE(resched != NULL);
    start = now_ms();
    CHECK_INT(evtimer_add(resched, &t5s), 0);
    CHECK_INT(evtimer_add(resched, &t100), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(resched_calls, 1);
    CHECK(resched_at - start >= 50);
    CHECK(resched_at - start < 2000);

    /* ... and 100 ms -> 5 s: it must not fire within 300 ms. */
    pushed = event_new(base, sp[1], EV_READ, pushed_cb, NULL);
    REQUIRE(pushed != NULL);
    CHECK_INT(event_add(pushed, &t100), 0);
    CHECK_INT(event_add(pushed, &t5s), 0);
    CHECK_INT(event_base_loopexit(base, &t300), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(pushed_calls, 0);
    CHECK_INT(event_pending(pushed, EV_TIMEOUT, NULL), EV_TIMEOUT);

    event_free(idle);
    event_free(per_ev);
    event_free(resched);
    event_free(pushed);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
