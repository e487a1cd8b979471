/*
 * evbuffer_defer_callbacks.c: with deferred callbacks, changes are reported
 * from the loop, together, at the base's middle priority in activation
 * order (an event activated before the change runs first, one activated
 * after runs later); a callback flagged 2 (libevent's internal
 * EVBUFFER_CB_NODEFER) still runs inside each call; a run scheduled before
 * evbuffer_free still happens, then the buffer goes.
 */
#include <event2/event.h>
#include "evbuffer_util.h"

static char log_[512];
static size_t nlog;

static void note(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
    (void)b;
    nlog += (size_t)snprintf(log_ + nlog, sizeof(log_) - nlog, "%s(%zu+%zu-%zu)",
        (const char *)arg, i->orig_size, i->n_added, i->n_deleted);
}

static void ev_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nlog += (size_t)snprintf(log_ + nlog, sizeof(log_) - nlog, "[%s]",
        (const char *)arg);
}

int main(void)
{
    struct event_base *base;
    struct evbuffer *b;
    struct evbuffer_cb_entry *nd;
    struct event *before, *after;

    test_begin("evbuffer_defer_callbacks");
    base = event_base_new();
    b = evbuffer_new();
    REQUIRE(base && b);

    CHECK_INT(evbuffer_defer_callbacks(b, base), 0);
    evbuffer_add_cb(b, note, "D");
    nd = evbuffer_add_cb(b, note, "N");
    CHECK_INT(evbuffer_cb_set_flags(b, nd, 2), 0);

    before = event_new(base, -1, 0, ev_cb, "before");
    after = event_new(base, -1, 0, ev_cb, "after");
    REQUIRE(before && after);
    event_active(before, EV_TIMEOUT, 1);
    CHECK_INT(evbuffer_add(b, "abc", 3), 0);
    CHECK_INT(evbuffer_add(b, "de", 2), 0);
    event_active(after, EV_TIMEOUT, 1);
    CHECK_STR(log_, "N(0+3-0)N(0+5-0)");
    nlog = 0;
    log_[0] = '\0';
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_STR(log_, "[before]D(0+5-0)[after]");

    /* Nothing pending: the loop has nothing to run. */
    nlog = 0;
    log_[0] = '\0';
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_STR(log_, "");

    /* Freed with a run pending: the run still happens. */
    CHECK_INT(evbuffer_drain(b, 1), 0);
    evbuffer_free(b);
    CHECK_STR(log_, "N(5+0-1)");
    nlog = 0;
    log_[0] = '\0';
    /* It runs, then the loop finds no events left: 1. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_STR(log_, "D(5+0-1)");

    event_free(before);
    event_free(after);
    event_base_free(base);
    return test_end();
}
