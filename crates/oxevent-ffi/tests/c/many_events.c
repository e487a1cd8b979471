/*
 * 1000 events on one base. Timers: 1000 timers with distinct delays
 * (0.5 ms steps up to 500 ms, added in a scrambled order from inside a
 * callback) all fire exactly once, in delay order (allowing 50 ms of slack),
 * and the base counts 1000 added events meanwhile. I/O: 1000 one-shot read
 * events spread over 50 sockets (20 per fd) each run exactly once when
 * every socket has data (a backend may report the fds over several turns:
 * Debian's epoll takes 32 at first); event_base_foreach_event sees 1000.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

#define N 1000
#define NFD 50

static struct event *tev[N], *iev[N];
static int delay_us[N];
static int fired[N];
static int seq[N];
static int nseq;
static int io_calls;
static int io_fired[N];
static int added_seen;

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    int i = (int)(long)arg;
    UNUSED(fd);
    CHECK_INT(what, EV_TIMEOUT);
    fired[i]++;
    if (nseq < N)
        seq[nseq++] = i;
}

static void adder_cb(evutil_socket_t fd, short what, void *arg)
{
    int k;
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    for (k = 0; k < N; k++) {
        /* 7 is coprime to 1000: a permutation of 0..999. */
        int i = (k * 7) % N;
        struct timeval tv;
        tv.tv_sec = delay_us[i] / 1000000;
        tv.tv_usec = delay_us[i] % 1000000;
        CHECK_INT(evtimer_add(tev[i], &tv), 0);
    }
    added_seen = event_base_get_num_events(event_get_base(tev[0]),
        EVENT_BASE_COUNT_ADDED);
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    CHECK_INT(what, EV_READ);
    io_fired[(int)(long)arg]++;
    io_calls++;
}

static int count_cb(const struct event_base *b, const struct event *e, void *arg)
{
    UNUSED(b);
    UNUSED(e);
    (*(int *)arg)++;
    return 0;
}

int main(void)
{
    struct event_base *base;
    struct event *adder;
    evutil_socket_t sp[NFD][2];
    int i, bad_order = 0, counted = 0;

    test_begin("many_events");
    base = event_base_new();
    REQUIRE(base != NULL);
    for (i = 0; i < N; i++) {
        delay_us[i] = i * 500;
        tev[i] = evtimer_new(base, timer_cb, (void *)(long)i);
        REQUIRE(tev[i] != NULL);
    }
    adder = event_new(base, -1, 0, adder_cb, NULL);
    REQUIRE(adder != NULL);
    event_active(adder, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK(added_seen >= N);
    CHECK_INT(nseq, N);
    for (i = 0; i < N; i++)
        CHECK_INT(fired[i], 1);
    for (i = 1; i < nseq; i++)
        if (delay_us[seq[i]] < delay_us[seq[i - 1]] - 50000)
            bad_order++;
    CHECK_INT(bad_order, 0);

    for (i = 0; i < NFD; i++)
        REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]) == 0);
    for (i = 0; i < N; i++) {
        iev[i] = event_new(base, sp[i % NFD][1], EV_READ, io_cb, (void *)(long)i);
        REQUIRE(iev[i] != NULL);
        CHECK_INT(event_add(iev[i], NULL), 0);
    }
    CHECK_INT(event_base_foreach_event(base, count_cb, &counted), 0);
    CHECK_INT(counted, N);
    for (i = 0; i < NFD; i++)
        CHECK(send(sp[i][0], "x", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(io_calls, N);
    for (i = 0; i < N; i++)
        CHECK_INT(io_fired[i], 1);

    for (i = 0; i < N; i++) {
        event_free(tev[i]);
        event_free(iev[i]);
    }
    event_free(adder);
    event_base_free(base);
    for (i = 0; i < NFD; i++) {
        evutil_closesocket(sp[i][0]);
        evutil_closesocket(sp[i][1]);
    }
    return test_end();
}
