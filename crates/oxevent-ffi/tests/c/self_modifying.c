/*
 * Callbacks that change events while the loop runs: a persistent event
 * deletes itself after three calls; a timer re-adds itself twice; a
 * callback event_free()s its own event; a callback re-assigns its own
 * (caller-owned, not pending) event to another callback and adds it; a
 * callback deletes another pending timer (which then never runs) and adds
 * a third event (which runs in the same dispatch).
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "check.h"

static struct event *persist_ev, *readd_ev, *victim, *added;
static struct event reassign_ev;
static int persist_calls, readd_calls, selffree_calls, reassign1, reassign2;
static int victim_calls, added_calls, killer_calls;

static void persist_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    if (++persist_calls == 3)
        CHECK_INT(event_del(persist_ev), 0);
}

static void readd_cb(evutil_socket_t fd, short what, void *arg)
{
    struct timeval t5 = {0, 5 * 1000};
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    if (++readd_calls < 3)
        CHECK_INT(event_add(readd_ev, &t5), 0);
}

static void selffree_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    selffree_calls++;
    event_free((struct event *)arg);
}

static void reassign2_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    reassign2++;
}

static void reassign1_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    struct timeval t5 = {0, 5 * 1000};
    UNUSED(fd);
    UNUSED(what);
    reassign1++;
    CHECK_INT(event_assign(&reassign_ev, base, -1, 0, reassign2_cb, NULL), 0);
    CHECK_INT(event_add(&reassign_ev, &t5), 0);
}

static void victim_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    victim_calls++;
}

static void added_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    added_calls++;
}

static void killer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct timeval t5 = {0, 5 * 1000};
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    killer_calls++;
    CHECK_INT(event_del(victim), 0);
    CHECK_INT(event_add(added, &t5), 0);
}

int main(void)
{
    struct event_base *base;
    struct event *selffree, *killer;
    struct timeval t5 = {0, 5 * 1000};
    struct timeval t200 = {0, 200 * 1000};

    test_begin("self_modifying");
    base = event_base_new();
    REQUIRE(base != NULL);

    persist_ev = event_new(base, -1, EV_PERSIST, persist_cb, NULL);
    readd_ev = evtimer_new(base, readd_cb, NULL);
    selffree = evtimer_new(base, selffree_cb, event_self_cbarg());
    victim = evtimer_new(base, victim_cb, NULL);
    added = evtimer_new(base, added_cb, NULL);
    killer = evtimer_new(base, killer_cb, NULL);
    REQUIRE(persist_ev && readd_ev && selffree && victim && added && killer);
    CHECK_INT(event_assign(&reassign_ev, base, -1, 0, reassign1_cb, base), 0);

    CHECK_INT(event_add(persist_ev, &t5), 0);
    CHECK_INT(event_add(readd_ev, &t5), 0);
    CHECK_INT(event_add(selffree, &t5), 0);
    CHECK_INT(event_add(&reassign_ev, &t5), 0);
    CHECK_INT(event_add(killer, &t5), 0);
    CHECK_INT(event_add(victim, &t200), 0);

    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(persist_calls, 3);
    CHECK_INT(readd_calls, 3);
    CHECK_INT(selffree_calls, 1);
    CHECK_INT(reassign1, 1);
    CHECK_INT(reassign2, 1);
    CHECK_INT(killer_calls, 1);
    CHECK_INT(victim_calls, 0);
    CHECK_INT(added_calls, 1);

    event_free(persist_ev);
    event_free(readd_ev);
    event_free(victim);
    event_free(added);
    event_free(killer);
    event_base_free(base);
    return test_end();
}
