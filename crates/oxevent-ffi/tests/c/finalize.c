/*
 * event_finalize / event_free_finalize: the finalizer runs once from the
 * loop with the event and its callback argument; the event's callback never
 * runs afterwards even though the event was added and active; event_add and
 * event_active no longer work on it (event_add returns -1). event_finalize
 * leaves the caller's storage alone (freed by the finalizer here);
 * event_free_finalize frees the event after the finalizer.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "check.h"

static int cb_calls, fin_calls, ffin_calls;
static struct event *fin_ev_seen, *ffin_ev_seen;
static void *fin_arg_seen, *ffin_arg_seen;
static int tag_a, tag_b;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    cb_calls++;
}

static void fin_cb(struct event *ev, void *arg)
{
    fin_calls++;
    fin_ev_seen = ev;
    fin_arg_seen = arg;
    CHECK_INT(cb_calls, 0);
}

static void ffin_cb(struct event *ev, void *arg)
{
    ffin_calls++;
    ffin_ev_seen = ev;
    ffin_arg_seen = arg;
}

int main(void)
{
    struct event_base *base;
    struct event *owned, *heap;
    evutil_socket_t sp[2];
    struct timeval t5s = {5, 0};

    test_begin("finalize");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    /* Caller-owned storage, finalized while added and active. */
    owned = malloc(event_get_struct_event_size());
    REQUIRE(owned != NULL);
    CHECK_INT(event_assign(owned, base, sp[1], EV_READ | EV_PERSIST, cb, &tag_a), 0);
    CHECK_INT(event_add(owned, &t5s), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    event_active(owned, EV_READ, 1);
    CHECK_INT(event_finalize(0, owned, fin_cb), 0);
    CHECK_INT(event_add(owned, NULL), -1);
    event_active(owned, EV_READ, 1);
    CHECK_INT(fin_calls, 0);

    /* Heap event via event_free_finalize, also active. */
    heap = event_new(base, sp[1], EV_READ | EV_FINALIZE, cb, &tag_b);
    REQUIRE(heap != NULL);
    CHECK_INT(event_add(heap, NULL), 0);
    event_active(heap, EV_READ, 1);
    CHECK_INT(event_free_finalize(0, heap, ffin_cb), 0);

    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(fin_calls, 1);
    CHECK(fin_ev_seen == owned);
    CHECK(fin_arg_seen == &tag_a);
    CHECK_INT(ffin_calls, 1);
    CHECK(ffin_ev_seen == heap);
    CHECK(ffin_arg_seen == &tag_b);
    CHECK_INT(cb_calls, 0);

    /* Nothing left: the data on the socket wakes no one. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(cb_calls, 0);
    CHECK_INT(fin_calls, 1);
    CHECK_INT(ffin_calls, 1);
    free(owned);

    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
