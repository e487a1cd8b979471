/*
 * EV_ET in the callback's `what` (issue 8, item 10). libevent 2.1.12's epoll
 * backend reports every readiness with EV_ET added, and the event keeps the
 * bits it asked for, so an event added with EV_ET is called back with EV_ET
 * in `what`: EV_READ|EV_ET -> 0x22, EV_WRITE|EV_ET -> 0x24,
 * EV_CLOSED|EV_ET -> 0xa0, EV_READ|EV_CLOSED|EV_ET -> 0xa2; edge-triggered,
 * once per edge. poll and select have no EV_FEATURE_ET: the event is
 * level-triggered there and `what` never carries EV_ET; select cannot see
 * EV_CLOSED at all (no callback for an EV_CLOSED-only event, EV_READ alone
 * for EV_READ|EV_CLOSED).
 *
 * Each case uses a fresh socketpair: data written, or the peer closed, then
 * the loop runs until the first call and 150 ms more (at most 2 s), or 150
 * ms when no call is expected. A level-triggered event is deleted at its
 * 3rd call so the loop does not spin.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <string.h>
#include <sys/socket.h>
#include "check.h"

enum backend { EPOLL, POLL, SELECT };

static struct event *cur, *cap;
static int calls;
static short whats[3];

/* Ends the case: the time allowed is over. */
static void cap_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    event_del(cur);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct timeval settle = {0, 150 * 1000};
    UNUSED(fd);
    UNUSED(arg);
    if (calls < 3)
        whats[calls] = what;
    if (++calls == 1)
        event_add(cap, &settle); /* 150 ms more to see whether it repeats */
    if (calls >= 3) {
        event_del(cur);
        event_del(cap);
    }
}

/* Runs one case; returns the number of calls (capped at 3) and checks that
 * every recorded `what` equals `expect`. A case that expects calls waits up
 * to 2 s for the first, then 150 ms for more; one that expects none waits
 * 150 ms. Level-triggered events end at their 3rd call. */
static int run_case(struct event_base *base, short events, int close_peer,
    short expect, int expect_calls, const char *label)
{
    evutil_socket_t sp[2];
    struct timeval first = {2, 0};
    struct timeval none = {0, 150 * 1000};
    int i, n;

    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[1]) == 0);
    calls = 0;
    memset(whats, 0, sizeof(whats));
    cur = event_new(base, sp[1], events | EV_PERSIST, cb, NULL);
    cap = evtimer_new(base, cap_cb, NULL);
    REQUIRE(cur && cap);
    CHECK_INT(event_add(cur, NULL), 0);
    CHECK_INT(event_add(cap, expect_calls ? &first : &none), 0);
    if (close_peer) {
        evutil_closesocket(sp[0]);
        sp[0] = -1;
    } else {
        CHECK(send(sp[0], "x", 1, 0) == 1);
    }
    CHECK_INT(event_base_dispatch(base), 1);
    n = calls < 3 ? calls : 3;
    for (i = 0; i < n; i++) {
        if (whats[i] != expect) {
            fprintf(stderr, "%s (%s): call %d: what 0x%x, expected 0x%x\n",
                label, event_base_get_method(base), i, whats[i], expect);
            check_failures_++;
        }
    }
    if (n != expect_calls) {
        fprintf(stderr, "%s (%s): %d call(s), expected %d\n", label,
            event_base_get_method(base), n, expect_calls);
        check_failures_++;
    }
    event_free(cur);
    event_free(cap);
    cur = cap = NULL;
    if (sp[0] >= 0)
        evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return n;
}

int main(void)
{
    struct event_base *base;
    const char *method;
    enum backend be;

    test_begin("et_flag_in_what");
    base = event_base_new();
    REQUIRE(base != NULL);
    method = event_base_get_method(base);
    REQUIRE(method != NULL);
    if (strcmp(method, "epoll") == 0)
        be = EPOLL;
    else if (strcmp(method, "poll") == 0)
        be = POLL;
    else if (strcmp(method, "select") == 0)
        be = SELECT;
    else {
        fprintf(stderr, "unexpected method %s\n", method);
        return 2;
    }
    CHECK_INT(!!(event_base_get_features(base) & EV_FEATURE_ET), be == EPOLL);

    /* EV_READ|EV_ET, data arrives. */
    run_case(base, EV_READ | EV_ET, 0, be == EPOLL ? EV_READ | EV_ET : EV_READ,
        be == EPOLL ? 1 : 3, "READ|ET data");
    /* EV_READ|EV_ET, peer closes (end of file is readable). */
    run_case(base, EV_READ | EV_ET, 1, be == EPOLL ? EV_READ | EV_ET : EV_READ,
        be == EPOLL ? 1 : 3, "READ|ET close");
    /* EV_WRITE|EV_ET on a writable socket. */
    run_case(base, EV_WRITE | EV_ET, 0, be == EPOLL ? EV_WRITE | EV_ET : EV_WRITE,
        be == EPOLL ? 1 : 3, "WRITE|ET");
    /* EV_CLOSED|EV_ET, peer closes. */
    run_case(base, EV_CLOSED | EV_ET, 1, be == EPOLL ? EV_CLOSED | EV_ET : EV_CLOSED,
        be == EPOLL ? 1 : be == POLL ? 3 : 0, "CLOSED|ET close");
    /* EV_READ|EV_CLOSED|EV_ET, peer closes. */
    run_case(base, EV_READ | EV_CLOSED | EV_ET, 1,
        be == EPOLL    ? EV_READ | EV_CLOSED | EV_ET
        : be == POLL   ? EV_READ | EV_CLOSED
                       : EV_READ,
        be == EPOLL ? 1 : 3, "READ|CLOSED|ET close");
    /* Without EV_ET no backend adds it. */
    run_case(base, EV_READ, 0, EV_READ, 3, "READ data");

    event_base_free(base);
    return test_end();
}
