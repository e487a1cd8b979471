/*
 * event_enable_debug_logging: by default (EVENT_DBG_NONE) no
 * EVENT_LOG_DEBUG messages reach the log callback while a timer is added
 * and fired; after event_enable_debug_logging(EVENT_DBG_ALL) the same work
 * produces debug messages; EVENT_DBG_NONE turns them off again.
 */
#include <event2/event.h>
#include "check.h"

static int debug_msgs;

static void log_cb(int severity, const char *msg)
{
    CHECK(msg != NULL);
    if (severity == EVENT_LOG_DEBUG)
        debug_msgs++;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

static void work(struct event_base *base, struct event *ev)
{
    struct timeval zero = {0, 0};
    CHECK_INT(event_add(ev, &zero), 0);
    CHECK_INT(event_base_dispatch(base), 1);
}

int main(void)
{
    struct event_base *base;
    struct event *ev;

    test_begin("debug_logging");
    event_set_log_callback(log_cb);
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = evtimer_new(base, cb, NULL);
    REQUIRE(ev != NULL);

    work(base, ev);
    CHECK_INT(debug_msgs, 0);

    event_enable_debug_logging(EVENT_DBG_ALL);
    work(base, ev);
    CHECK(debug_msgs > 0);

    event_enable_debug_logging(EVENT_DBG_NONE);
    debug_msgs = 0;
    work(base, ev);
    CHECK_INT(debug_msgs, 0);

    event_free(ev);
    event_base_free(base);
    event_set_log_callback(NULL);
    return test_end();
}
