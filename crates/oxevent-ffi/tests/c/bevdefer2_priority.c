/*
 * Priorities of deferred bufferevent callbacks (base with 3 priorities):
 *  - bufferevent_get_priority starts at npriorities/2 (1) for socket,
 *    pair and filter bufferevents;
 *  - bufferevent_priority_set works only on socket bufferevents (0);
 *    pair ends and filters refuse it (-1) and keep priority 1; an out of
 *    range priority (3, -1) is refused (-1) and the old one kept;
 *  - a socket bufferevent's deferred callbacks run at its priority: at 0
 *    its triggered readcb runs before a priority-1 event, at 2 after
 *    one; a pair end's deferred readcb runs at priority 1.  Within one
 *    priority they run in activation order with ordinary events (a
 *    deferred callback goes straight into the active queue): triggered
 *    before event_active, they run first.  One EVLOOP_NONBLOCK call
 *    runs them all.
 */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <sys/socket.h>
#include "check.h"

static char log_[128];

static void add(const char *s)
{
    size_t n = strlen(log_);
    snprintf(log_ + n, sizeof log_ - n, "%s ", s);
}

static void readcb(struct bufferevent *b, void *arg)
{
    UNUSED(b);
    add(arg);
}

static void evcb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    add(arg);
}

int main(void)
{
    int sv[2], i;
    struct event_base *base;
    struct bufferevent *p[2], *s, *f;
    struct event *ev[3];
    static const char *names[3] = {"ev0", "ev1", "ev2"};

    test_begin("bevdefer2_priority");
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(event_base_priority_init(base, 3) == 0);
    REQUIRE(bufferevent_pair_new(base, 0, p) == 0);
    s = bufferevent_socket_new(base, sv[0],
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    f = bufferevent_filter_new(p[0], NULL, NULL, 0, NULL, NULL);
    REQUIRE(s != NULL && f != NULL);
    for (i = 0; i < 3; i++) {
        ev[i] = event_new(base, -1, 0, evcb, (void *)names[i]);
        REQUIRE(ev[i] != NULL);
        CHECK_INT(event_priority_set(ev[i], i), 0);
    }

    CHECK_INT(bufferevent_get_priority(s), 1);
    CHECK_INT(bufferevent_get_priority(p[1]), 1);
    CHECK_INT(bufferevent_get_priority(f), 1);
    CHECK_INT(bufferevent_priority_set(p[1], 0), -1);
    CHECK_INT(bufferevent_priority_set(f, 0), -1);
    CHECK_INT(bufferevent_get_priority(p[1]), 1);
    CHECK_INT(bufferevent_get_priority(f), 1);
    CHECK_INT(bufferevent_priority_set(s, 0), 0);
    CHECK_INT(bufferevent_get_priority(s), 0);
    CHECK_INT(bufferevent_priority_set(s, 3), -1);
    CHECK_INT(bufferevent_priority_set(s, -1), -1);
    CHECK_INT(bufferevent_get_priority(s), 0);

    bufferevent_setcb(s, readcb, NULL, NULL, "sock");
    bufferevent_setcb(p[1], readcb, NULL, NULL, "pair");

    /* Socket at priority 0. */
    bufferevent_trigger(p[1], EV_READ, 0);
    bufferevent_trigger(s, EV_READ, 0);
    for (i = 2; i >= 0; i--)
        event_active(ev[i], EV_TIMEOUT, 0);
    CHECK_STR(log_, "");
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "sock ev0 pair ev1 ev2 ");

    /* Socket at priority 2. */
    log_[0] = '\0';
    CHECK_INT(bufferevent_priority_set(s, 2), 0);
    CHECK_INT(bufferevent_get_priority(s), 2);
    bufferevent_trigger(s, EV_READ, 0);
    bufferevent_trigger(p[1], EV_READ, 0);
    for (i = 0; i < 3; i++)
        event_active(ev[i], EV_TIMEOUT, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "ev0 pair ev1 sock ev2 ");

    /* Same priority: activation order. */
    log_[0] = '\0';
    CHECK_INT(bufferevent_priority_set(s, 1), 0);
    event_active(ev[1], EV_TIMEOUT, 0);
    bufferevent_trigger(s, EV_READ, 0);
    bufferevent_trigger(p[1], EV_READ, 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_STR(log_, "ev1 sock pair ");

    for (i = 0; i < 3; i++)
        event_free(ev[i]);
    bufferevent_free(f);
    bufferevent_free(p[0]);
    bufferevent_free(p[1]);
    bufferevent_free(s);
    close(sv[1]);
    event_base_free(base);
    return test_end();
}
