/*
 * improved_ (ours only): a pending event whose memory is zeroed (as if
 * freed and re-allocated with calloc) and then event_assign()ed again is
 * found by the struct's address: without debug mode in the base it is
 * assigned to (improved_reuse_pending.c), and in debug mode
 * (event_enable_debug_mode) in every base, here another one. A warning
 * goes through the log callback, the old registration is dropped and its
 * callback never runs; the new one does. libevent's debug mode aborts the
 * program here, and without debug mode corrupts its lists, so this cannot
 * pass on Debian's library.
 */
#include <event2/event.h>
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
    struct event_base *base, *other;
    struct timeval short_tv = {0, 20000};

    test_begin("improved_reuse_pending_debug");
    event_enable_debug_mode();
    event_set_log_callback(log_cb);
    base = event_base_new();
    other = event_base_new();
    REQUIRE(base != NULL && other != NULL);

    /* zeroed memory, then re-assigned to the same base */
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

    /* pending in one base, zeroed, re-assigned to another */
    CHECK_INT(event_assign(&slot.ev, other, -1, 0, old_cb, NULL), 0);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    memset(slot.raw, 0, sizeof(slot.raw));
    CHECK_INT(event_assign(&slot.ev, base, -1, 0, new_cb, NULL), 0);
    CHECK_INT(warnings, 2);
    CHECK_INT(event_add(&slot.ev, &short_tv), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(event_base_dispatch(other), 1);
    CHECK_INT(old_calls, 0);
    CHECK_INT(new_calls, 2);

    event_base_free(other);
    event_base_free(base);
    return test_end();
}
