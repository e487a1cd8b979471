/*
 * Seed 002's five steps: event_base_new, event_new, event_add,
 * event_base_dispatch, free -- once with a timer and once with a socket
 * read event. dispatch returns 1 once the only event has fired (nothing left).
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int timer_calls;
static int read_calls;
static char got[16];

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    CHECK_INT(fd, -1);
    CHECK_INT(what, EV_TIMEOUT);
    CHECK(arg == &timer_calls);
    timer_calls++;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    ssize_t n;
    CHECK_INT(what, EV_READ);
    CHECK(arg == &read_calls);
    n = recv(fd, got, sizeof(got) - 1, 0);
    CHECK_INT(n, 5);
    read_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *ev;
    struct timeval tv = {0, 20 * 1000};
    evutil_socket_t sp[2];

    test_begin("seed002_five_steps");

    /* 1. base */
    base = event_base_new();
    REQUIRE(base != NULL);
    /* 2. event */
    ev = event_new(base, -1, 0, timer_cb, &timer_calls);
    REQUIRE(ev != NULL);
    /* 3. add */
    CHECK_INT(event_add(ev, &tv), 0);
    /* 4. dispatch */
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(timer_calls, 1);
    /* 5. free */
    event_free(ev);
    event_base_free(base);

    /* The same with a socket. */
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = event_new(base, sp[1], EV_READ, read_cb, &read_calls);
    REQUIRE(ev != NULL);
    CHECK_INT(event_add(ev, NULL), 0);
    CHECK(send(sp[0], "hello", 5, 0) == 5);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(read_calls, 1);
    CHECK_STR(got, "hello");
    event_free(ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
