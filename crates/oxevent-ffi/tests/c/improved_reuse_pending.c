/*
 * improved_ (ours only): misuse that corrupts libevent 2.1.12 is survived.
 *
 * 1. A pending event whose memory is zeroed (as if freed and re-allocated
 *    with calloc) and then event_assign()ed again: the old registration is
 *    found by the struct's address, a warning goes through the log
 *    callback, and the old callback never runs; the new one does.
 * 2. A pending event re-assigned with event_set() (no zeroing): same.
 * 3. event_del twice, event_free of a pending event: no harm.
 * libevent keeps the stale entry in its lists here (memory corruption,
 * often a crash), so this test cannot pass on Debian's library.
 */
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <string.h>
#include "check.h"

static int old_calls, new_calls, warnings;

static void log_cb(int severity, const char *msg)
{
    if (severity == EVENT_LOG_WARN && strstr(msg, "pending"))
        warnings++;
}

static void old_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    old_calls++;
}

static void new_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    new_calls++;
}

static union {
    struct event ev;
    unsigned char raw[sizeof(struct event)];
} slot;

int main(void)
{
    struct event_base *base;
    struct event *heap_ev;
    struct timeval short_tv = {0, 20000};

    test_begin("improved_reuse_pending");
    event_set_log_callback(log_cb);
    base = event_base_new();
    REQUIRE(base != NULL);

    /* 1. zeroed memory, then re-assigned */
    CHECK_INT(event_assign(&slot.ev, base, -1, 0, old_cb, NULL), 0);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    memset(slot.raw, 0, sizeof(slot.raw));
    CHECK_INT(event_initialized(&slot.ev), 0);
    CHECK_INT(event_assign(&slot.ev, base, -1, 0, new_cb, NULL), 0);
    CHECK_INT(warnings, 1);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(old_calls, 0);
    CHECK_INT(new_calls, 1);

    /* 2. re-assigned with event_set while pending */
    CHECK_INT(event_assign(&slot.ev, base, -1, 0, old_cb, NULL), 0);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    event_set(&slot.ev, -1, 0, new_cb, NULL);
    CHECK_INT(event_base_set(base, &slot.ev), 0);
    CHECK_INT(warnings, 2);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(old_calls, 0);
    CHECK_INT(new_calls, 2);

    /* 3. double delete, free while pending */
    heap_ev = evtimer_new(base, old_cb, NULL);
    REQUIRE(heap_ev != NULL);
    CHECK_INT(evtimer_add(heap_ev, &short_tv), 0);
    CHECK_INT(event_del(heap_ev), 0);
    CHECK_INT(event_del(heap_ev), 0);
    CHECK_INT(evtimer_add(heap_ev, &short_tv), 0);
    event_free(heap_ev);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(old_calls, 0);

    event_base_free(base);
    return test_end();
}
