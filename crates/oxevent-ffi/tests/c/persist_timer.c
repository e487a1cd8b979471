/*
 * A persistent timer (EV_PERSIST, no fd) fires repeatedly with its period:
 * it is still pending with EV_TIMEOUT inside its callback, consecutive calls
 * are at least roughly one period apart (period 100 ms, 50 ms margin), and it
 * stops once the callback deletes it. A non-persistent timer fires only once.
 */
#include <event2/event.h>
#include "check.h"

static struct event *pev;
static int pcalls, ocalls;
static long long stamps[4];

static void persist_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, -1);
    CHECK_INT(what, EV_TIMEOUT);
    CHECK_INT(event_pending(pev, EV_TIMEOUT, NULL), EV_TIMEOUT);
    stamps[pcalls] = now_ms();
    if (++pcalls == 3)
        CHECK_INT(event_del(pev), 0);
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    ocalls++;
}

int main(void)
{
    struct event_base *base;
    struct event *oev;
    struct timeval period = {0, 100 * 1000};
    struct timeval short_tv = {0, 10 * 1000};
    long long start;
    int i;

    test_begin("persist_timer");
    base = event_base_new();
    REQUIRE(base != NULL);
    pev = event_new(base, -1, EV_PERSIST, persist_cb, NULL);
    oev = evtimer_new(base, once_cb, NULL);
    REQUIRE(pev != NULL && oev != NULL);
    CHECK_INT(event_add(oev, &short_tv), 0);
    start = now_ms();
    CHECK_INT(event_add(pev, &period), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(pcalls, 3);
    CHECK_INT(ocalls, 1);
    CHECK(stamps[0] - start >= 50);
    for (i = 1; i < 3; i++)
        CHECK(stamps[i] - stamps[i - 1] >= 50);
    CHECK(stamps[2] - start >= 250);
    CHECK(stamps[2] - start < 3000);
    CHECK_INT(event_pending(pev, EV_TIMEOUT, NULL), 0);
    CHECK_INT(evtimer_pending(oev, NULL), 0);

    event_free(pev);
    event_free(oev);
    event_base_free(base);
    return test_end();
}
