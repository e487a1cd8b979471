/*
 * event_base_free runs the finalizers still pending on the base (events
 * handed to event_finalize / event_free_finalize whose finalizer has not run
 * yet, because the loop never ran again); event_base_free_nofinalize does
 * not run them. event_del_block on a plain added event returns 0 like
 * event_del.
 */
#include <event2/event.h>
#include "check.h"

static int fin_calls;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

static void fin_cb(struct event *ev, void *arg)
{
    UNUSED(ev);
    UNUSED(arg);
    fin_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *a, *b, *c;
    struct event *owned;
    struct timeval t5s = {5, 0};

    test_begin("base_free_finalizers");

    base = event_base_new();
    REQUIRE(base != NULL);
    a = evtimer_new(base, cb, NULL);
    b = evtimer_new(base, cb, NULL);
    REQUIRE(a && b);
    CHECK_INT(evtimer_add(a, &t5s), 0);
    CHECK_INT(event_del_block(a), 0);
    CHECK_INT(evtimer_add(a, &t5s), 0);
    CHECK_INT(event_free_finalize(0, a, fin_cb), 0);
    CHECK_INT(event_free_finalize(0, b, fin_cb), 0);
    CHECK_INT(fin_calls, 0);
    event_base_free(base);
    CHECK_INT(fin_calls, 2);

    /* nofinalize: the finalizer is dropped. Caller-owned storage, so
     * nothing leaks when it does not run. */
    fin_calls = 0;
    base = event_base_new();
    REQUIRE(base != NULL);
    owned = malloc(event_get_struct_event_size());
    REQUIRE(owned != NULL);
    CHECK_INT(event_assign(owned, base, -1, 0, cb, NULL), 0);
    c = owned;
    CHECK_INT(evtimer_add(c, &t5s), 0);
    CHECK_INT(event_finalize(0, c, fin_cb), 0);
    event_base_free_nofinalize(base);
    CHECK_INT(fin_calls, 0);
    free(owned);
    return test_end();
}
