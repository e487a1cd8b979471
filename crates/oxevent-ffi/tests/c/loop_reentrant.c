/*
 * event_base_dispatch on a base with no events returns 1 at once (also
 * after its only event fired); calling event_base_loop/event_base_dispatch
 * on the same base from inside one of its callbacks is refused with -1 (and
 * a warning through the log callback) while the outer loop carries on; a
 * second base may be run from inside a callback.
 */
#include <event2/event.h>
#include "check.h"

static int inner_rv = 99, inner_rv2 = 99, other_rv = 99, outer_calls;
static int other_calls, warnings;

static void log_cb(int severity, const char *msg)
{
    UNUSED(msg);
    if (severity >= EVENT_LOG_WARN)
        warnings++;
}

static void other_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    other_calls++;
}

static void outer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base **bases = arg;
    UNUSED(fd);
    UNUSED(what);
    outer_calls++;
    inner_rv = event_base_loop(bases[0], EVLOOP_NONBLOCK);
    inner_rv2 = event_base_dispatch(bases[0]);
    other_rv = event_base_dispatch(bases[1]);
}

int main(void)
{
    struct event_base *bases[2];
    struct event *outer, *other;
    long long start;
    struct timeval t10 = {0, 10 * 1000};

    test_begin("loop_reentrant");
    event_set_log_callback(log_cb);
    bases[0] = event_base_new();
    bases[1] = event_base_new();
    REQUIRE(bases[0] && bases[1]);

    start = now_ms();
    CHECK_INT(event_base_dispatch(bases[0]), 1);
    CHECK_INT(event_base_loop(bases[0], 0), 1);
    CHECK(now_ms() - start < 1000);

    outer = evtimer_new(bases[0], outer_cb, bases);
    other = evtimer_new(bases[1], other_cb, NULL);
    REQUIRE(outer && other);
    CHECK_INT(evtimer_add(outer, &t10), 0);
    CHECK_INT(evtimer_add(other, &t10), 0);
    CHECK_INT(event_base_dispatch(bases[0]), 1);
    CHECK_INT(outer_calls, 1);
    CHECK_INT(inner_rv, -1);
    CHECK_INT(inner_rv2, -1);
    CHECK(warnings >= 1);
    CHECK_INT(other_rv, 1);
    CHECK_INT(other_calls, 1);

    event_free(outer);
    event_free(other);
    event_base_free(bases[0]);
    event_base_free(bases[1]);
    event_set_log_callback(NULL);
    return test_end();
}
