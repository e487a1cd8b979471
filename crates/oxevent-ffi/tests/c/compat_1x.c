/*
 * The 1.x global-base API through the top-level <event.h>: event_set before
 * event_init leaves the event without a base (event_base_set attaches it);
 * event_init makes the global base that event_set, event_once,
 * event_dispatch, event_loop, event_loopexit, event_loopbreak,
 * event_get_method and event_priority_init work on; event_base_set moves a
 * 1.x event to another base; EVENT_FD works.
 */
#include <event.h>
#include "check.h"

static int reads, timer_calls, once_calls, break_calls, other_calls, early_calls;
static short once_what;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    reads++;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    timer_calls++;
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    once_what = what;
    once_calls++;
}

static void break_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    break_calls++;
    CHECK_INT(event_loopbreak(), 0);
}

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    (*(int *)arg)++;
}

int main(void)
{
    struct event_base *base, *other;
    struct event early, rd, tm, brk, moved;
    evutil_socket_t sp[2];
    struct timeval t20 = {0, 20 * 1000};
    struct timeval t100 = {0, 100 * 1000};
    struct timeval t5s = {5, 0};
    long long start, took;

    test_begin("compat_1x");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);

    /* Before any global base. */
    event_set(&early, -1, 0, count_cb, &early_calls);
    CHECK(event_get_base(&early) == NULL);
    CHECK(event_initialized(&early));

    base = event_init();
    REQUIRE(base != NULL);
    CHECK_STR(event_get_method(), event_base_get_method(base));
    CHECK_INT(event_priority_init(4), 0);
    CHECK_INT(event_base_get_npriorities(base), 4);

    CHECK_INT(event_base_set(base, &early), 0);
    CHECK(event_get_base(&early) == base);
    event_active(&early, EV_TIMEOUT, 1);
    CHECK_INT(event_loop(EVLOOP_NONBLOCK), 1);
    CHECK_INT(early_calls, 1);

    /* event_set now uses the global base. */
    event_set(&rd, sp[1], EV_READ, read_cb, NULL);
    CHECK(event_get_base(&rd) == base);
    CHECK_INT(EVENT_FD(&rd), sp[1]);
    CHECK_INT(event_get_priority(&rd), 2);
    CHECK_INT(event_add(&rd, NULL), 0);
    CHECK(send(sp[0], "1", 1, 0) == 1);
    CHECK_INT(event_loop(EVLOOP_ONCE), 0);
    CHECK_INT(reads, 1);

    /* event_dispatch runs until nothing is left: returns 1. */
    event_set(&tm, -1, 0, timer_cb, NULL);
    CHECK_INT(event_add(&tm, &t20), 0);
    CHECK_INT(event_once(-1, EV_TIMEOUT, once_cb, NULL, &t20), 0);
    CHECK_INT(event_dispatch(), 1);
    CHECK_INT(timer_calls, 1);
    CHECK_INT(once_calls, 1);
    CHECK_INT(once_what, EV_TIMEOUT);

    /* event_loopexit with a delay ends an otherwise long wait. */
    CHECK_INT(event_add(&tm, &t5s), 0);
    CHECK_INT(event_loopexit(&t100), 0);
    start = now_ms();
    CHECK_INT(event_dispatch(), 0);
    took = now_ms() - start;
    CHECK(took >= 50 && took < 3000);
    CHECK_INT(timer_calls, 1);
    CHECK_INT(event_base_got_exit(base), 1);
    CHECK_INT(event_del(&tm), 0);

    /* event_loopbreak from a callback. */
    event_set(&brk, -1, EV_PERSIST, break_cb, NULL);
    CHECK_INT(event_add(&brk, &t20), 0);
    CHECK_INT(event_dispatch(), 0);
    CHECK_INT(break_calls, 1);
    CHECK_INT(event_base_got_break(base), 1);
    CHECK_INT(event_del(&brk), 0);

    /* event_base_set moves a 1.x event to another base. */
    other = event_base_new();
    REQUIRE(other != NULL);
    event_set(&moved, -1, 0, count_cb, &other_calls);
    CHECK_INT(event_base_set(other, &moved), 0);
    CHECK(event_get_base(&moved) == other);
    CHECK_INT(event_add(&moved, &t20), 0);
    CHECK_INT(event_loop(EVLOOP_NONBLOCK), 1);
    CHECK_INT(other_calls, 0);
    CHECK_INT(event_base_dispatch(other), 1);
    CHECK_INT(other_calls, 1);

    event_base_free(other);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
