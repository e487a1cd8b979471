/*
 * event_base_init_common_timeout given a pointer it returned earlier
 * (issue 8, item 11): libevent 2.1.12 recognises its own magic timeval,
 * masks it back to the duration and finds the same queue, so it returns the
 * very pointer it was given. The same holds for a copy of that timeval, and
 * for the plain duration asked for again. Different durations get different
 * pointers, each of which maps back to itself. An event added with a
 * re-initialised pointer fires.
 */
#include <event2/event.h>
#include "check.h"

#define NDUR 8

static int fired, capped;
static struct event *cap;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    fired++;
    event_del(cap);
}

/* Bounds the run if the 50 ms timer does not fire within 1 s. */
static void cap_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    capped++;
}

int main(void)
{
    struct event_base *base;
    struct timeval d = {1, 500000};
    struct timeval copy;
    struct timeval durs[NDUR];
    const struct timeval *p, *q, *ptrs[NDUR];
    const struct timeval *short_ct;
    struct timeval t50 = {0, 50 * 1000};
    struct timeval t1s = {1, 0};
    struct event *ev;
    int i, j;

    test_begin("common_timeout_reinit");
    base = event_base_new();
    REQUIRE(base != NULL);

    p = event_base_init_common_timeout(base, &d);
    REQUIRE(p != NULL);
    CHECK(p != &d);
    q = event_base_init_common_timeout(base, p);
    CHECK(q == p);
    /* And again: still no new queue. */
    CHECK(event_base_init_common_timeout(base, q) == p);
    copy = *p;
    CHECK(event_base_init_common_timeout(base, &copy) == p);
    CHECK(event_base_init_common_timeout(base, &d) == p);

    for (i = 0; i < NDUR; i++) {
        durs[i].tv_sec = i;
        durs[i].tv_usec = 100000 + i * 1000;
        ptrs[i] = event_base_init_common_timeout(base, &durs[i]);
        REQUIRE(ptrs[i] != NULL);
        CHECK(ptrs[i] != p);
        for (j = 0; j < i; j++)
            CHECK(ptrs[i] != ptrs[j]);
    }
    for (i = 0; i < NDUR; i++) {
        CHECK(event_base_init_common_timeout(base, ptrs[i]) == ptrs[i]);
        CHECK(event_base_init_common_timeout(base, &durs[i]) == ptrs[i]);
    }
    CHECK(event_base_init_common_timeout(base, p) == p);

    /* A re-initialised pointer works with event_add. */
    short_ct = event_base_init_common_timeout(base, &t50);
    REQUIRE(short_ct != NULL);
    short_ct = event_base_init_common_timeout(base, short_ct);
    REQUIRE(short_ct != NULL);
    ev = evtimer_new(base, cb, NULL);
    cap = evtimer_new(base, cap_cb, NULL);
    REQUIRE(ev && cap);
    CHECK_INT(event_add(cap, &t1s), 0);
    CHECK_INT(event_add(ev, short_ct), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(fired, 1);
    CHECK_INT(capped, 0);

    event_free(ev);
    event_free(cap);
    event_base_free(base);
    return test_end();
}
