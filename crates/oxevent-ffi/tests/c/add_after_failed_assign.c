/*
 * event_add/event_del after a failed event_assign (issue 13; repro
 * add_after_failed_assign.c). The struct is malloc'd memory filled with a
 * byte pattern (0xff, 0x00, 0xa5: stand-ins for uninitialised heap), and
 * event_assign is given EV_SIGNAL together with EV_READ or EV_CLOSED, which
 * it refuses (-1, with a warning).
 *
 * libevent 2.1.12 has already stored the base, fd and flags when it
 * refuses, so afterwards event_add (with and without a timeout) returns 0,
 * event_del returns 0 (twice), and the event is then not pending. The fd is
 * a pipe that is never written and the loop is run only after the deletes,
 * so the refused event is never called back. Each result is printed to
 * stderr, so a run on either library shows what it returned.
 *
 * Last, the same refusal on event_new'd memory scribbled with 0xff, then
 * event_del (0) and event_free: libevent frees it like any other event
 * (found by fuzz/api/apifuzz, which did exactly this from a callback).
 */
#include <event2/event.h>
#include <event2/util.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static int bad_calls, timer_calls;

static void bad_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    bad_calls++;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    timer_calls++;
}

static void log_quiet(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
}

int main(void)
{
    static const int fills[] = {0xff, 0x00, 0xa5};
    static const short flags[] = {
        EV_SIGNAL | EV_READ, EV_SIGNAL | EV_CLOSED, EV_SIGNAL | EV_READ | EV_PERSIST,
    };
    const short all = EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED | EV_TIMEOUT;
    struct event_base *base;
    struct event *ev, *timer;
    struct timeval t50 = {0, 50 * 1000};
    struct timeval t10s = {10, 0};
    int p[2];
    unsigned f, k;

    test_begin("add_after_failed_assign");
    event_set_log_callback(log_quiet);
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(pipe(p) == 0);

    for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
            int assign, add, del, pend, del2, add_tv, del3;
            ev = malloc(event_get_struct_event_size());
            REQUIRE(ev != NULL);
            memset(ev, fills[f], event_get_struct_event_size());
            assign = event_assign(ev, base, p[0], flags[k], bad_cb, NULL);
            add = event_add(ev, NULL);
            del = event_del(ev);
            pend = event_pending(ev, all, NULL);
            del2 = event_del(ev);
            add_tv = event_add(ev, &t10s);
            del3 = event_del(ev);
            fprintf(stderr, "fill 0x%02x flags 0x%02x: assign %d add %d del %d pending 0x%x "
                   "del %d add(10 s) %d del %d\n",
                fills[f], flags[k], assign, add, del, pend, del2, add_tv, del3);
            CHECK_INT(assign, -1);
            CHECK_INT(add, 0);
            CHECK_INT(del, 0);
            CHECK_INT(pend, 0);
            CHECK_INT(del2, 0);
            CHECK_INT(add_tv, 0);
            CHECK_INT(del3, 0);
            CHECK_INT(event_pending(ev, all, NULL), 0);
            free(ev);
        }
    }

    for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        int assign, del;
        ev = event_new(base, -1, 0, bad_cb, NULL);
        REQUIRE(ev != NULL);
        memset(ev, fills[f], event_get_struct_event_size());
        assign = event_assign(ev, base, p[0], EV_SIGNAL | EV_READ, bad_cb, NULL);
        del = event_del(ev);
        fprintf(stderr, "event_new'd, fill 0x%02x: assign %d del %d, then event_free\n",
            fills[f], assign, del);
        CHECK_INT(assign, -1);
        CHECK_INT(del, 0);
        event_free(ev);
    }

    /* The base is intact: a timer fires, the refused events never do. */
    timer = evtimer_new(base, timer_cb, NULL);
    REQUIRE(timer != NULL);
    CHECK_INT(event_add(timer, &t50), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(timer_calls, 1);
    CHECK_INT(bad_calls, 0);

    event_free(timer);
    event_base_free(base);
    close(p[0]);
    close(p[1]);
    return test_end();
}
