/*
 * Huge file descriptors (issue 8, item 13): event_add on an event whose fd
 * is INT_MAX, or another fd far beyond any descriptor table, returns -1 and
 * the process survives: libevent 2.1.12 refuses to grow its fd map that far
 * (it refuses any slot >= 2^27 before allocating anything), on every
 * backend. The event is then not pending and event_del returns 0;
 * event_base_once with such an fd returns -1 too, with or without a
 * timeout. The base keeps working afterwards (a pipe read and a timer).
 *
 * An address-space limit of 2 GB keeps a library that would try to
 * allocate a table for the fd from eating the machine (it fails instead).
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include <limits.h>
#include <sys/resource.h>
#include "check.h"

static int calls, once_calls;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    once_calls++;
}

int main(void)
{
    static const evutil_socket_t fds[] = {
        INT_MAX, INT_MAX - 1, 1 << 30, (1 << 30) + 12345, 1 << 28, 1 << 27,
    };
    static const short kinds[] = {
        EV_READ, EV_WRITE, EV_READ | EV_WRITE | EV_PERSIST,
    };
    struct rlimit rl = {2UL << 30, 2UL << 30};
    struct event_base *base;
    struct event *ev;
    struct event stack_ev;
    struct timeval t50 = {0, 50 * 1000};
    struct timeval t10s = {10, 0};
    evutil_socket_t sp[2];
    unsigned i, k;

    test_begin("huge_fd");
    REQUIRE(setrlimit(RLIMIT_AS, &rl) == 0 || errno == EPERM);
    base = event_base_new();
    REQUIRE(base != NULL);

    for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            ev = event_new(base, fds[i], kinds[k], cb, NULL);
            REQUIRE(ev != NULL);
            CHECK_INT(event_add(ev, NULL), -1);
            CHECK_INT(event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL), 0);
            CHECK_INT(event_del(ev), 0);
            /* With a timeout too. */
            CHECK_INT(event_add(ev, &t10s), -1);
            CHECK_INT(event_del(ev), 0);
            event_free(ev);
        }
        CHECK_INT(event_assign(&stack_ev, base, fds[i], EV_READ, cb, NULL), 0);
        CHECK_INT(event_add(&stack_ev, NULL), -1);
        CHECK_INT(event_del(&stack_ev), 0);

        CHECK_INT(event_base_once(base, fds[i], EV_READ, once_cb, NULL, NULL), -1);
        CHECK_INT(event_base_once(base, fds[i], EV_WRITE, once_cb, NULL, &t50), -1);
    }

    /* The base still works. */
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    ev = event_new(base, sp[1], EV_READ, cb, NULL);
    REQUIRE(ev != NULL);
    CHECK_INT(event_add(ev, NULL), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    CHECK_INT(event_base_once(base, -1, EV_TIMEOUT, once_cb, NULL, &t50), 0);
    CHECK_INT(event_base_dispatch(base), 1);
    CHECK_INT(calls, 1);
    CHECK_INT(once_calls, 1);

    event_free(ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
