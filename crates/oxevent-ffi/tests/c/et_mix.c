/*
 * Edge-triggered and level-triggered events on one fd (found by
 * fuzz/api/apifuzz). libevent 2.1.12 refuses to mix EV_ET and non-EV_ET
 * events on one fd only in debug mode; otherwise event_add accepts both
 * and each is called back. event_base_once drops EV_ET (a once event is
 * always level-triggered), so a once event on an fd that has EV_ET events
 * is such a mix too, and is accepted.
 *
 * On a socketpair end: a persistent EV_WRITE|EV_ET event, a persistent
 * EV_READ event, and an event_base_once EV_READ; one byte arrives from the
 * peer; each is called back (the write event with EV_WRITE, the others with
 * EV_READ), on every backend.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <sys/socket.h>
#include "check.h"

static struct event *et_ev, *lt_ev;
static int et_calls, lt_calls, once_calls, bad;

static void et_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    if (!(what & EV_WRITE))
        bad++;
    et_calls++;
    event_del(et_ev); /* level-triggered on poll and select */
}

static void lt_cb(evutil_socket_t fd, short what, void *arg)
{
    char c;
    UNUSED(arg);
    if (!(what & EV_READ))
        bad++;
    lt_calls++;
    CHECK(recv(fd, &c, 1, 0) == 1);
    event_del(lt_ev);
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    if (!(what & EV_READ))
        bad++;
    once_calls++;
}

int main(void)
{
    struct event_base *base;
    evutil_socket_t sp[2];
    struct timeval t2s = {2, 0};

    test_begin("et_mix");
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[0]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    et_ev = event_new(base, sp[0], EV_WRITE | EV_ET | EV_PERSIST, et_cb, NULL);
    lt_ev = event_new(base, sp[0], EV_READ | EV_PERSIST, lt_cb, NULL);
    REQUIRE(et_ev && lt_ev);

    CHECK_INT(event_add(et_ev, NULL), 0);
    CHECK_INT(event_add(lt_ev, NULL), 0);
    CHECK_INT(event_base_once(base, sp[0], EV_READ, once_cb, NULL, &t2s), 0);
    CHECK(send(sp[1], "x", 1, 0) == 1);
    /* Ends when all three have run: nothing is left pending. */
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(et_calls, 1);
    CHECK_INT(lt_calls, 1);
    CHECK_INT(once_calls, 1);
    CHECK_INT(bad, 0);

    event_free(et_ev);
    event_free(lt_ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
