/*
 * event_base_get_running_event returns the event whose callback is running
 * (only defined inside a callback: Debian's 2.1.12 crashes when it is called
 * outside one, so that is not asserted here). event_self_cbarg() makes the callback argument the event
 * itself, for event_new and event_assign alike, and event_get_callback_arg
 * reports it.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "check.h"

static int calls;
static struct event *running_seen[2];
static void *arg_seen[2];

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event *self = arg;
    UNUSED(fd);
    UNUSED(what);
    if (calls < 2) {
        running_seen[calls] = event_base_get_running_event(event_get_base(self));
        arg_seen[calls] = arg;
    }
    calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *heap;
    struct event stack_ev;

    test_begin("running_event");
    base = event_base_new();
    REQUIRE(base != NULL);

    heap = event_new(base, -1, 0, cb, event_self_cbarg());
    REQUIRE(heap != NULL);
    CHECK(event_get_callback_arg(heap) == heap);
    CHECK_INT(event_assign(&stack_ev, base, -1, 0, cb, event_self_cbarg()), 0);
    CHECK(event_get_callback_arg(&stack_ev) == &stack_ev);

    event_active(heap, EV_TIMEOUT, 1);
    event_active(&stack_ev, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(calls, 2);
    CHECK(running_seen[0] == heap);
    CHECK(arg_seen[0] == heap);
    CHECK(running_seen[1] == &stack_ev);
    CHECK(arg_seen[1] == &stack_ev);

    event_free(heap);
    event_base_free(base);
    return test_end();
}
