/*
 * Monotonic time: evutil_monotonic_timer_new / evutil_configure_monotonic_
 * time (default and EV_MONOT_PRECISE) / evutil_gettime_monotonic /
 * evutil_monotonic_timer_free, and event_gettime_monotonic on a base: the
 * readings never go back and advance by about the time slept (100 ms sleep:
 * at least 50 ms, less than 2 s).
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

int main(void)
{
    struct evutil_monotonic_timer *t, *tp;
    struct event_base *base;
    struct timeval a, b, pa, pb, ea, eb;

    test_begin("evutil_monotonic");
    t = evutil_monotonic_timer_new();
    tp = evutil_monotonic_timer_new();
    REQUIRE(t && tp);
    CHECK_INT(evutil_configure_monotonic_time(t, 0), 0);
    CHECK_INT(evutil_configure_monotonic_time(tp, EV_MONOT_PRECISE), 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    CHECK_INT(evutil_gettime_monotonic(t, &a), 0);
    CHECK_INT(evutil_gettime_monotonic(tp, &pa), 0);
    CHECK_INT(event_gettime_monotonic(base, &ea), 0);
    sleep_ms(100);
    CHECK_INT(evutil_gettime_monotonic(t, &b), 0);
    CHECK_INT(evutil_gettime_monotonic(tp, &pb), 0);
    CHECK_INT(event_gettime_monotonic(base, &eb), 0);

    CHECK(a.tv_usec >= 0 && a.tv_usec < 1000000);
    CHECK(tv_ms(&b) - tv_ms(&a) >= 50 && tv_ms(&b) - tv_ms(&a) < 2000);
    CHECK(tv_ms(&pb) - tv_ms(&pa) >= 50 && tv_ms(&pb) - tv_ms(&pa) < 2000);
    CHECK(tv_ms(&eb) - tv_ms(&ea) >= 50 && tv_ms(&eb) - tv_ms(&ea) < 2000);
    CHECK(evutil_timercmp(&b, &a, >=));

    evutil_monotonic_timer_free(t);
    evutil_monotonic_timer_free(tp);
    event_base_free(base);
    return test_end();
}
