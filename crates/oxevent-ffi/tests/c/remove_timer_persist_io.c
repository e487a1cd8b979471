/*
 * event_remove_timer on a pending persistent read event with a timeout
 * (issue 8, item 12): libevent 2.1.12 clears the event's timeout along with
 * the timer, so the persistent event is not re-armed with it after a read:
 * the timeout never fires again, however many reads happen.
 *
 * Case 1: the timer is removed right after event_add (before any read).
 * Case 2: the event's own callback removes it on its first read.
 * Then three rounds each write one byte and run the loop for 300 ms (the
 * timeout is 150 ms): three reads, no EV_TIMEOUT, still pending for EV_READ
 * and not for EV_TIMEOUT.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <sys/socket.h>
#include "check.h"

static struct event *ev;
static int reads, timeouts, remove_in_cb;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[16];
    UNUSED(arg);
    if (what & EV_TIMEOUT)
        timeouts++;
    if (what & EV_READ) {
        reads++;
        CHECK(recv(fd, buf, sizeof(buf), 0) >= 1);
        if (remove_in_cb) {
            CHECK_INT(event_remove_timer(ev), 0);
            remove_in_cb = 0;
        }
    }
}

static void run_case(int in_callback)
{
    struct event_base *base;
    evutil_socket_t sp[2];
    struct timeval t150 = {0, 150 * 1000};
    struct timeval t300 = {0, 300 * 1000};
    int round;

    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_make_socket_nonblocking(sp[1]) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    ev = event_new(base, sp[1], EV_READ | EV_PERSIST, cb, NULL);
    REQUIRE(ev != NULL);
    reads = timeouts = 0;
    remove_in_cb = in_callback;

    CHECK_INT(event_add(ev, &t150), 0);
    CHECK_INT(event_pending(ev, EV_TIMEOUT, NULL), EV_TIMEOUT);
    if (!in_callback) {
        CHECK_INT(event_remove_timer(ev), 0);
        CHECK_INT(event_pending(ev, EV_TIMEOUT, NULL), 0);
        CHECK_INT(event_pending(ev, EV_READ, NULL), EV_READ);
    }
    for (round = 0; round < 3; round++) {
        CHECK(send(sp[0], "x", 1, 0) == 1);
        CHECK_INT(event_base_loopexit(base, &t300), 0);
        CHECK_INT(event_base_dispatch(base), 0);
        CHECK_INT(reads, round + 1);
        CHECK_INT(event_pending(ev, EV_TIMEOUT, NULL), 0);
        CHECK_INT(event_pending(ev, EV_READ, NULL), EV_READ);
    }
    if (timeouts)
        fprintf(stderr, "case %s: %d EV_TIMEOUT call(s) after event_remove_timer\n",
            in_callback ? "removed in callback" : "removed after add", timeouts);
    CHECK_INT(timeouts, 0);
    CHECK_INT(reads, 3);

    event_free(ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
}

int main(void)
{
    test_begin("remove_timer_persist_io");
    run_case(0);
    run_case(1);
    return test_end();
}
