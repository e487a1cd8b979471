/*
 * The event state machine as seen through event_initialized() and
 * event_pending(): zeroed memory is not initialized, an assigned event is;
 * not pending before event_add, pending (with the requested kinds) after it,
 * reported active-with-result while queued, not pending inside the callback of
 * a non-persistent event (it is deleted before the call) but still pending
 * inside a persistent one, and not pending after firing or after event_del.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "check.h"

#define ALL (EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL)

static struct event ev_once;     /* non-persistent read with a timeout */
static struct event ev_persist;  /* persistent read */
static struct event ev_probe;    /* activated first: looks at ev_queued */
static struct event ev_queued;   /* activated second with EV_WRITE */
static int once_calls, persist_calls, probe_calls, queued_calls;
static int seen_once_pending = -1, seen_persist_pending = -1;
static int seen_queued_pending = -1;

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    UNUSED(arg);
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, &c, 1, 0) == 1);
    seen_once_pending = event_pending(&ev_once, ALL, NULL);
    once_calls++;
}

static void persist_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    struct event_base *base = arg;
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, &c, 1, 0) == 1);
    seen_persist_pending = event_pending(&ev_persist, ALL, NULL);
    persist_calls++;
    event_base_loopexit(base, NULL);
}

static void probe_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    seen_queued_pending = event_pending(&ev_queued, ALL, NULL);
    probe_calls++;
}

static void queued_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_WRITE);
    CHECK_INT(event_pending(&ev_queued, ALL, NULL), 0);
    queued_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event zeroed;
    struct event *heap_ev;
    evutil_socket_t a[2], b[2];
    struct timeval tv = {5, 0};

    test_begin("state_machine");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    memset(&zeroed, 0, sizeof(zeroed));
    CHECK_INT(event_initialized(&zeroed), 0);
    CHECK_INT(event_assign(&zeroed, base, -1, 0, probe_cb, NULL), 0);
    CHECK(event_initialized(&zeroed) != 0);
    CHECK_INT(event_pending(&zeroed, ALL, NULL), 0);

    heap_ev = event_new(base, a[0], EV_READ, once_cb, NULL);
    REQUIRE(heap_ev != NULL);
    CHECK(event_initialized(heap_ev) != 0);
    CHECK_INT(event_pending(heap_ev, ALL, NULL), 0);
    event_free(heap_ev);

    /* Non-persistent read + timeout. */
    CHECK_INT(event_assign(&ev_once, base, a[1], EV_READ, once_cb, NULL), 0);
    CHECK_INT(event_pending(&ev_once, ALL, NULL), 0);
    CHECK_INT(event_add(&ev_once, &tv), 0);
    CHECK_INT(event_pending(&ev_once, EV_READ, NULL), EV_READ);
    CHECK_INT(event_pending(&ev_once, EV_TIMEOUT, NULL), EV_TIMEOUT);
    CHECK_INT(event_pending(&ev_once, EV_WRITE, NULL), 0);
    CHECK_INT(event_pending(&ev_once, ALL, NULL), EV_READ | EV_TIMEOUT);

    /* Persistent read. */
    CHECK_INT(event_assign(&ev_persist, base, b[1], EV_READ | EV_PERSIST,
                  persist_cb, base), 0);
    CHECK_INT(event_add(&ev_persist, NULL), 0);
    CHECK_INT(event_pending(&ev_persist, ALL, NULL), EV_READ);

    CHECK(send(a[0], "x", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(once_calls, 1);
    CHECK_INT(seen_once_pending, 0);
    CHECK_INT(event_pending(&ev_once, ALL, NULL), 0);
    CHECK(event_initialized(&ev_once) != 0);

    CHECK(send(b[0], "y", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(persist_calls, 1);
    CHECK_INT(seen_persist_pending, EV_READ);
    CHECK_INT(event_pending(&ev_persist, ALL, NULL), EV_READ);
    CHECK_INT(event_del(&ev_persist), 0);
    CHECK_INT(event_pending(&ev_persist, ALL, NULL), 0);

    /* Queued-but-not-yet-run: event_pending reports the result bits. */
    CHECK_INT(event_assign(&ev_probe, base, -1, 0, probe_cb, NULL), 0);
    CHECK_INT(event_assign(&ev_queued, base, -1, 0, queued_cb, NULL), 0);
    event_active(&ev_probe, EV_TIMEOUT, 1);
    event_active(&ev_queued, EV_WRITE, 1);
    /* Nothing is added: once the active callbacks ran, the loop finds no
     * events and reports 1. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(probe_calls, 1);
    CHECK_INT(queued_calls, 1);
    CHECK_INT(seen_queued_pending, EV_WRITE);
    CHECK_INT(event_pending(&ev_queued, ALL, NULL), 0);

    /* Delete before firing. */
    CHECK_INT(event_add(&ev_once, &tv), 0);
    CHECK_INT(event_del(&ev_once), 0);
    CHECK_INT(event_pending(&ev_once, ALL, NULL), 0);
    CHECK_INT(event_del(&ev_once), 0);

    event_base_free(base);
    evutil_closesocket(a[0]); evutil_closesocket(a[1]);
    evutil_closesocket(b[0]); evutil_closesocket(b[1]);
    return test_end();
}
