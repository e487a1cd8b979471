/*
 * Ours only (improved_ prefix): event_base_get_running_event() called
 * outside any callback. libevent documents the result as undefined there,
 * and Debian's 2.1.12 dereferences a NULL pointer and crashes; oxevent
 * returns NULL instead (no running event), for the running base's idle
 * moments and for a base that has never run.
 */
#include <event2/event.h>
#include "check.h"

static struct event_base *other;
static struct event *inside, *inside_other;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    UNUSED(fd);
    UNUSED(what);
    inside = event_base_get_running_event(base);
    inside_other = event_base_get_running_event(other);
}

int main(void)
{
    struct event_base *base;
    struct event *ev;

    test_begin("improved_running_event_outside");
    base = event_base_new();
    other = event_base_new();
    REQUIRE(base && other);
    CHECK(event_base_get_running_event(base) == NULL);
    ev = event_new(base, -1, 0, cb, base);
    REQUIRE(ev != NULL);
    event_active(ev, EV_TIMEOUT, 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK(inside == ev);
    CHECK(inside_other == NULL);
    CHECK(event_base_get_running_event(base) == NULL);
    event_free(ev);
    event_base_free(base);
    event_base_free(other);
    return test_end();
}
