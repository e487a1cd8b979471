/*
 * libevent's starvation rule: while a higher-priority event keeps being
 * activated, lower-priority events wait. A priority-0 event re-activates
 * itself from its own callback five times; a priority-1 event (a manual
 * activation) and a priority-1 socket event, both ready from the start, only
 * run after the priority-0 event has stopped re-activating itself.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static char order[32];
static int norder;
static int hi_calls;

static void push(char c)
{
    if (norder < (int)sizeof(order) - 1)
        order[norder++] = c;
}

static void hi_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    UNUSED(fd);
    UNUSED(what);
    push('H');
    if (++hi_calls < 5)
        event_active(self, EV_TIMEOUT, 1);
}

static void lo_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    if (what & EV_READ) {
        CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
        push('R');
    } else {
        push('L');
    }
}

int main(void)
{
    struct event_base *base;
    struct event *hi, *lo, *rd;
    evutil_socket_t sp[2];

    test_begin("priority_starve");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(event_base_priority_init(base, 2), 0);

    hi = event_new(base, -1, 0, hi_cb, event_self_cbarg());
    lo = event_new(base, -1, 0, lo_cb, NULL);
    rd = event_new(base, sp[1], EV_READ, lo_cb, NULL);
    REQUIRE(hi && lo && rd);
    CHECK_INT(event_priority_set(hi, 0), 0);
    CHECK_INT(event_priority_set(lo, 1), 0);
    CHECK_INT(event_priority_set(rd, 1), 0);
    CHECK(send(sp[0], "r", 1, 0) == 1);
    CHECK_INT(event_add(rd, NULL), 0);

    event_active(lo, EV_TIMEOUT, 1);
    event_active(hi, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    order[norder] = 0;
    CHECK_INT(hi_calls, 5);
    CHECK_INT(norder, 7);
    CHECK(strncmp(order, "HHHHH", 5) == 0);
    CHECK(strchr(order + 5, 'L') != NULL);
    CHECK(strchr(order + 5, 'R') != NULL);
    if (check_failures_)
        fprintf(stderr, "order was %s\n", order);

    event_free(hi);
    event_free(lo);
    event_free(rd);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
