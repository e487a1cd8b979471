/*
 * EV_PERSIST on I/O: a persistent read event fires once per batch of data and
 * stays pending (also inside its callback); a persistent write event on a
 * writable socket fires on every loop turn until deleted; an event watching
 * EV_READ|EV_WRITE gets both bits in one call when both are ready; a
 * non-persistent read event fires once and is gone.
 */
#include <event2/event.h>
#include <event2/util.h>
#include "check.h"

static int reads, writes, both_calls, both_res, once_calls;
static struct event *wev;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[32];
    struct event *self = arg;
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    CHECK_INT(event_pending(self, EV_READ, NULL), EV_READ);
    reads++;
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_WRITE);
    if (++writes == 10)
        CHECK_INT(event_del(wev), 0);
}

static void both_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    struct event *self = arg;
    both_calls++;
    both_res |= what;
    if (what & EV_READ)
        CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    event_del(self);
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    once_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event *rev, *bev, *oev;
    evutil_socket_t sp[2], sp2[2];
    int i;

    test_begin("persist_io");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp2) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    rev = event_new(base, sp[1], EV_READ | EV_PERSIST, read_cb,
        event_self_cbarg());
    REQUIRE(rev != NULL);
    CHECK_INT(event_add(rev, NULL), 0);
    for (i = 0; i < 5; i++) {
        CHECK(send(sp[0], "abc", 3, 0) == 3);
        CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
        CHECK_INT(reads, i + 1);
        CHECK_INT(event_pending(rev, EV_READ, NULL), EV_READ);
    }
    /* Nothing to read: a non-blocking turn runs nothing. */
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK_INT(reads, 5);
    CHECK_INT(event_del(rev), 0);

    wev = event_new(base, sp[0], EV_WRITE | EV_PERSIST, write_cb, NULL);
    REQUIRE(wev != NULL);
    CHECK_INT(event_add(wev, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(writes, 10);

    /* Readable and writable at once: one call with both bits. */
    CHECK(send(sp2[0], "z", 1, 0) == 1);
    bev = event_new(base, sp2[1], EV_READ | EV_WRITE | EV_PERSIST, both_cb,
        event_self_cbarg());
    REQUIRE(bev != NULL);
    CHECK_INT(event_add(bev, NULL), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(both_calls, 1);
    CHECK_INT(both_res, EV_READ | EV_WRITE);

    /* Non-persistent: fires once even though more data arrives later. */
    oev = event_new(base, sp[1], EV_READ, once_cb, NULL);
    REQUIRE(oev != NULL);
    CHECK_INT(event_add(oev, NULL), 0);
    CHECK(send(sp[0], "1", 1, 0) == 1);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK(send(sp[0], "2", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(once_calls, 1);

    event_free(rev);
    event_free(wev);
    event_free(bev);
    event_free(oev);
    event_base_free(base);
    evutil_closesocket(sp[0]); evutil_closesocket(sp[1]);
    evutil_closesocket(sp2[0]); evutil_closesocket(sp2[1]);
    return test_end();
}
