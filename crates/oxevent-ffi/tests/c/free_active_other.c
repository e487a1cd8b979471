/*
 * A callback that frees or deletes another event that is already active in
 * the same loop turn: that event's callback must not run. Priorities make
 * the order certain: the killer (priority 0) runs first; its victims
 * (priority 1) are an activated event it event_free()s, a ready socket event
 * it event_free()s, an expired timer it event_del()s, and one it leaves
 * alone (which does run).
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static struct event *v_active, *v_io, *v_timer, *bystander;
static int victim_calls, bystander_calls, killer_calls;

static void victim_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    victim_calls++;
}

static void bystander_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    bystander_calls++;
}

static void killer_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    killer_calls++;
    /* All of them are active by now. */
    CHECK(event_pending(v_active, EV_TIMEOUT, NULL) != 0);
    CHECK(event_pending(v_io, EV_READ, NULL) != 0);
    CHECK(event_pending(v_timer, EV_TIMEOUT, NULL) != 0);
    event_free(v_active);
    v_active = NULL;
    event_free(v_io);
    v_io = NULL;
    CHECK_INT(event_del(v_timer), 0);
}

int main(void)
{
    struct event_base *base;
    struct event *killer;
    evutil_socket_t sp[2];
    struct timeval zero = {0, 0};

    test_begin("free_active_other");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(event_base_priority_init(base, 2), 0);

    killer = event_new(base, -1, 0, killer_cb, NULL);
    v_active = event_new(base, -1, 0, victim_cb, NULL);
    v_io = event_new(base, sp[1], EV_READ | EV_PERSIST, victim_cb, NULL);
    v_timer = evtimer_new(base, victim_cb, NULL);
    bystander = event_new(base, -1, 0, bystander_cb, NULL);
    REQUIRE(killer && v_active && v_io && v_timer && bystander);
    CHECK_INT(event_priority_set(killer, 0), 0);
    CHECK_INT(event_priority_set(v_active, 1), 0);
    CHECK_INT(event_priority_set(v_io, 1), 0);
    CHECK_INT(event_priority_set(v_timer, 1), 0);
    CHECK_INT(event_priority_set(bystander, 1), 0);

    CHECK_INT(event_add(v_io, NULL), 0);
    CHECK_INT(evtimer_add(v_timer, &zero), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    /* The killer is a zero-delay priority-0 timer: in the loop's first turn
     * the backend poll and the timer pass make v_io, v_timer and the killer
     * active before any callback runs, and the killer runs first. */
    CHECK_INT(evtimer_add(killer, &zero), 0);
    event_active(v_active, EV_TIMEOUT, 1);
    event_active(bystander, EV_TIMEOUT, 1);

    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(killer_calls, 1);
    CHECK_INT(victim_calls, 0);
    CHECK_INT(bystander_calls, 1);
    CHECK_INT(event_pending(v_timer, EV_TIMEOUT, NULL), 0);

    event_free(killer);
    event_free(v_timer);
    event_free(bystander);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
