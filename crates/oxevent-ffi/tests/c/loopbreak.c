/*
 * event_base_loopbreak from a callback stops the loop right after that
 * callback: the other active callbacks of the same turn do not run (they run
 * on the next loop call), dispatch returns 0 and got_break is set, got_exit
 * is not; the flags are cleared by the next loop call.
 */
#include <event2/event.h>
#include "check.h"

static char order[8];
static int n;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    UNUSED(fd);
    UNUSED(what);
    if (n < 7) {
        order[n] = (char)('A' + n);
        n++;
    }
    if (n == 1)
        CHECK_INT(event_base_loopbreak(base), 0);
}

int main(void)
{
    struct event_base *base;
    struct event *a, *b, *c;

    test_begin("loopbreak");
    base = event_base_new();
    REQUIRE(base != NULL);
    a = event_new(base, -1, 0, cb, base);
    b = event_new(base, -1, 0, cb, base);
    c = event_new(base, -1, 0, cb, base);
    REQUIRE(a && b && c);

    event_active(a, EV_TIMEOUT, 1);
    event_active(b, EV_TIMEOUT, 1);
    event_active(c, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(n, 1);
    CHECK_INT(event_base_got_break(base), 1);
    CHECK_INT(event_base_got_exit(base), 0);
    /* b and c are still active. */
    CHECK(event_pending(b, EV_TIMEOUT, NULL) != 0);
    CHECK(event_pending(c, EV_TIMEOUT, NULL) != 0);

    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(n, 3);
    CHECK_INT(event_base_got_break(base), 0);
    CHECK_INT(event_base_got_exit(base), 0);

    event_free(a);
    event_free(b);
    event_free(c);
    event_base_free(base);
    return test_end();
}
