/*
 * The event_get_* accessors and event_get_assignment report what
 * event_new/event_assign were given (fd, base, events, callback, argument,
 * priority), NULL out-pointers are skipped; event_get_struct_event_size()
 * equals sizeof(struct event) from our header; event_base_set moves an
 * unadded event to another base (and resets its priority to the middle of
 * that base's range) but refuses an added one.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "check.h"

static void cb_a(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

static void cb_b(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

int main(void)
{
    struct event_base *base, *base2;
    struct event *ev;
    struct event st;
    evutil_socket_t sp[2];
    struct event_base *gb;
    evutil_socket_t gfd;
    short gevents;
    event_callback_fn gcb;
    void *garg;
    int tag;

    test_begin("accessors");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    base2 = event_base_new();
    REQUIRE(base && base2);
    CHECK_INT(event_base_priority_init(base, 4), 0);
    CHECK_INT(event_base_priority_init(base2, 8), 0);

    CHECK_INT(event_get_struct_event_size(), sizeof(struct event));

    ev = event_new(base, sp[0], EV_READ | EV_WRITE | EV_PERSIST, cb_a, &tag);
    REQUIRE(ev != NULL);
    CHECK_INT(event_get_fd(ev), sp[0]);
    CHECK(event_get_base(ev) == base);
    CHECK_INT(event_get_events(ev), EV_READ | EV_WRITE | EV_PERSIST);
    CHECK(event_get_callback(ev) == cb_a);
    CHECK(event_get_callback_arg(ev) == &tag);
    CHECK_INT(event_get_priority(ev), 2);

    gb = NULL; gfd = -7; gevents = 0; gcb = NULL; garg = NULL;
    event_get_assignment(ev, &gb, &gfd, &gevents, &gcb, &garg);
    CHECK(gb == base);
    CHECK_INT(gfd, sp[0]);
    CHECK_INT(gevents, EV_READ | EV_WRITE | EV_PERSIST);
    CHECK(gcb == cb_a);
    CHECK(garg == &tag);
    gb = NULL;
    event_get_assignment(ev, &gb, NULL, NULL, NULL, NULL);
    CHECK(gb == base);
    garg = NULL;
    event_get_assignment(ev, NULL, NULL, NULL, NULL, &garg);
    CHECK(garg == &tag);

    /* event_assign on caller storage, timer and signal kinds. */
    CHECK_INT(event_assign(&st, base2, -1, 0, cb_b, NULL), 0);
    CHECK_INT(event_get_fd(&st), -1);
    CHECK(event_get_base(&st) == base2);
    CHECK_INT(event_get_events(&st), 0);
    CHECK(event_get_callback(&st) == cb_b);
    CHECK(event_get_callback_arg(&st) == NULL);
    CHECK_INT(event_get_priority(&st), 4);
    CHECK_INT(event_assign(&st, base, SIGUSR2, EV_SIGNAL | EV_PERSIST, cb_a, &tag), 0);
    CHECK_INT(event_get_signal(&st), SIGUSR2);
    CHECK_INT(event_get_events(&st), EV_SIGNAL | EV_PERSIST);
    CHECK(event_get_callback(&st) == cb_a);

    /* event_base_set: moves an unadded event. */
    CHECK_INT(event_base_set(base2, ev), 0);
    CHECK(event_get_base(ev) == base2);
    CHECK_INT(event_get_priority(ev), 4);
    CHECK_INT(event_add(ev, NULL), 0);
    CHECK_INT(event_base_set(base, ev), -1);
    CHECK(event_get_base(ev) == base2);
    CHECK_INT(event_del(ev), 0);
    CHECK_INT(event_base_set(base, ev), 0);
    CHECK(event_get_base(ev) == base);

    event_free(ev);
    event_base_free(base);
    event_base_free(base2);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
