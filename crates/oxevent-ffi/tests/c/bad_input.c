/*
 * Bad input, as Debian's 2.1.12 handles it: event_new / event_assign with
 * EV_SIGNAL together with EV_READ or EV_WRITE fail (NULL / -1); adding a
 * signal event for signal 1000 or -1 fails with -1; event_del on an event
 * that was never added returns 0 (twice, too); event_priority_set out of
 * range -1; event_base_priority_init 0 / 256 / -1 -> -1 while 255 is fine
 * (and fine with events added but none active); a negative timeout is
 * accepted and the event fires at once; event_base_once with EV_PERSIST or
 * EV_SIGNAL -1; event_base_free(NULL) with no global base is harmless.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <signal.h>
#include "check.h"

static int calls;

static void quiet_log(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
}

int main(void)
{
    struct event_base *base;
    struct event st;
    struct event *ev, *s1000, *sneg, *tm;
    struct timeval neg = {-1, 0};
    struct timeval t5s = {5, 0};

    test_begin("bad_input");
    event_set_log_callback(quiet_log);
    event_base_free(NULL);
    base = event_base_new();
    REQUIRE(base != NULL);

    CHECK(event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, cb, NULL) == NULL);
    CHECK(event_new(base, SIGUSR1, EV_SIGNAL | EV_WRITE, cb, NULL) == NULL);
    CHECK(event_new(base, SIGUSR1, EV_SIGNAL | EV_READ | EV_PERSIST, cb, NULL) == NULL);
    CHECK_INT(event_assign(&st, base, SIGUSR1, EV_SIGNAL | EV_WRITE, cb, NULL), -1);

    s1000 = event_new(base, 1000, EV_SIGNAL, cb, NULL);
    sneg = event_new(base, -1, EV_SIGNAL, cb, NULL);
    REQUIRE(s1000 && sneg);
    CHECK_INT(event_add(s1000, NULL), -1);
    CHECK_INT(event_add(sneg, NULL), -1);
    CHECK_INT(event_pending(s1000, EV_SIGNAL, NULL), 0);

    ev = event_new(base, -1, 0, cb, NULL);
    REQUIRE(ev != NULL);
    CHECK_INT(event_del(ev), 0);
    CHECK_INT(event_del(ev), 0);
    CHECK_INT(event_priority_set(ev, 1), -1);
    CHECK_INT(event_priority_set(ev, -5), -1);
    CHECK_INT(event_priority_set(ev, 0), 0);

    CHECK_INT(event_base_priority_init(base, 0), -1);
    CHECK_INT(event_base_priority_init(base, -1), -1);
    CHECK_INT(event_base_priority_init(base, 256), -1);
    CHECK_INT(event_base_priority_init(base, 255), 0);
    CHECK_INT(event_base_get_npriorities(base), 255);
    tm = evtimer_new(base, cb, NULL);
    REQUIRE(tm != NULL);
    CHECK_INT(evtimer_add(tm, &t5s), 0);
    CHECK_INT(event_base_priority_init(base, 4), 0);
    CHECK_INT(event_del(tm), 0);

    /* Negative timeout: already expired. */
    CHECK_INT(evtimer_add(ev, &neg), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(calls, 1);

    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, cb, NULL, &t5s), -1);
    CHECK_INT(event_base_once(base, SIGUSR2, EV_SIGNAL, cb, NULL, NULL), -1);

    event_free(ev);
    event_free(s1000);
    event_free(sneg);
    event_free(tm);
    event_base_free(base);
    event_set_log_callback(NULL);
    return test_end();
}
