/*
 * event_base_gettimeofday_cached: outside the loop it is the current wall
 * time; inside a callback it is the loop's cached time, which does not move
 * while the callback busy-waits 100 ms, until event_base_update_cache_time
 * refreshes it (then it has moved by >= 50 ms). With
 * EVENT_BASE_FLAG_NO_CACHE_TIME there is no cache: the two readings 100 ms
 * apart differ. event_base_update_cache_time outside the loop returns 0.
 * With a NULL base and no global base, gettimeofday_cached still works.
 */
#include <event2/event.h>
#include <sys/time.h>
#include "check.h"

struct probe {
    struct event_base *base;
    struct timeval a, b, c;
    int ra, rb, rc, upd;
};

static long long wall_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return tv_ms(&now);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    UNUSED(fd);
    UNUSED(what);
    p->ra = event_base_gettimeofday_cached(p->base, &p->a);
    sleep_ms(100);
    p->rb = event_base_gettimeofday_cached(p->base, &p->b);
    p->upd = event_base_update_cache_time(p->base);
    p->rc = event_base_gettimeofday_cached(p->base, &p->c);
}

static void run(struct event_base *base, struct probe *p)
{
    struct event *ev;
    memset(p, 0, sizeof(*p));
    p->base = base;
    ev = event_new(base, -1, 0, cb, p);
    REQUIRE(ev != NULL);
    event_active(ev, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    event_free(ev);
}

int main(void)
{
    struct event_base *base, *nocache;
    struct event_config *cfg;
    struct probe p;
    struct timeval tv;
    long long d;

    test_begin("cached_time");
    CHECK_INT(event_base_gettimeofday_cached(NULL, &tv), 0);
    d = tv_ms(&tv) - wall_ms();
    CHECK(d > -1000 && d < 1000);

    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(event_base_update_cache_time(base), 0);
    CHECK_INT(event_base_gettimeofday_cached(base, &tv), 0);
    d = tv_ms(&tv) - wall_ms();
    CHECK(d > -1000 && d < 1000);

    run(base, &p);
    CHECK_INT(p.ra, 0);
    CHECK_INT(p.rb, 0);
    CHECK_INT(p.rc, 0);
    CHECK_INT(p.upd, 0);
    CHECK(p.a.tv_sec == p.b.tv_sec && p.a.tv_usec == p.b.tv_usec);
    CHECK(tv_ms(&p.c) - tv_ms(&p.a) >= 50);
    CHECK(tv_ms(&p.c) - tv_ms(&p.a) < 2000);
    d = tv_ms(&p.a) - wall_ms();
    CHECK(d > -2000 && d < 1000);

    cfg = event_config_new();
    REQUIRE(cfg != NULL);
    CHECK_INT(event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME), 0);
    nocache = event_base_new_with_config(cfg);
    REQUIRE(nocache != NULL);
    event_config_free(cfg);
    run(nocache, &p);
    CHECK(tv_ms(&p.b) - tv_ms(&p.a) >= 50);
    CHECK(tv_ms(&p.b) - tv_ms(&p.a) < 2000);

    event_base_free(base);
    event_base_free(nocache);
    return test_end();
}
