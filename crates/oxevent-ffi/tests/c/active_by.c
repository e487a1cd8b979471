/*
 * event_base_active_by_fd activates the added events on that fd whose
 * events intersect the given ones, each with that intersection as res, and
 * nothing else (not events on other fds, not unadded events, not a write
 * event when only EV_READ is asked). event_base_active_by_signal runs the
 * added signal events for that signal with EV_SIGNAL, without any signal
 * being sent.
 */
#include <event2/event.h>
#include <event2/util.h>
#include <signal.h>
#include "check.h"

struct rec {
    int calls;
    short res;
};

static volatile sig_atomic_t fallback_hits;

static void fallback(int sig)
{
    UNUSED(sig);
    fallback_hits++;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct rec *r = arg;
    UNUSED(fd);
    r->calls++;
    r->res = what;
}

int main(void)
{
    struct event_base *base;
    struct event *rd, *wr, *rw, *other, *unadded, *sig, *sig2;
    struct rec r_rd, r_wr, r_rw, r_other, r_unadded, r_sig, r_sig2;
    evutil_socket_t sp[2], sq[2];

    test_begin("active_by");
    signal(SIGUSR1, fallback);
    signal(SIGUSR2, fallback);
    memset(&r_rd, 0, sizeof(r_rd)); memset(&r_wr, 0, sizeof(r_wr));
    memset(&r_rw, 0, sizeof(r_rw)); memset(&r_other, 0, sizeof(r_other));
    memset(&r_unadded, 0, sizeof(r_unadded));
    memset(&r_sig, 0, sizeof(r_sig)); memset(&r_sig2, 0, sizeof(r_sig2));
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sq) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);

    /* sp[1] has no data and its peer buffer is huge: read/write events on
     * it only run through active_by_fd. Write readiness is real, so the
     * write events use sp[1] only while we control the loop with one turn. */
    rd = event_new(base, sp[1], EV_READ | EV_PERSIST, cb, &r_rd);
    wr = event_new(base, sq[1], EV_WRITE, cb, &r_wr);
    rw = event_new(base, sp[1], EV_READ | EV_PERSIST, cb, &r_rw);
    other = event_new(base, sq[0], EV_READ | EV_PERSIST, cb, &r_other);
    unadded = event_new(base, sp[1], EV_READ, cb, &r_unadded);
    sig = evsignal_new(base, SIGUSR1, cb, &r_sig);
    sig2 = evsignal_new(base, SIGUSR2, cb, &r_sig2);
    REQUIRE(rd && wr && rw && other && unadded && sig && sig2);
    CHECK_INT(event_add(rd, NULL), 0);
    CHECK_INT(event_add(rw, NULL), 0);
    CHECK_INT(event_add(other, NULL), 0);
    CHECK_INT(event_add(sig, NULL), 0);
    CHECK_INT(event_add(sig2, NULL), 0);

    event_base_active_by_fd(base, sp[1], EV_READ | EV_WRITE);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(r_rd.calls, 1);
    CHECK_INT(r_rd.res, EV_READ);
    CHECK_INT(r_rw.calls, 1);
    CHECK_INT(r_rw.res, EV_READ);
    CHECK_INT(r_other.calls, 0);
    CHECK_INT(r_unadded.calls, 0);
    CHECK_INT(r_sig.calls, 0);

    /* Only EV_WRITE asked on a fd whose event watches only EV_READ. */
    event_base_active_by_fd(base, sp[1], EV_WRITE);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(r_rd.calls, 1);
    CHECK_INT(r_rw.calls, 1);

    /* A write event, activated by fd (it is also really writable; either
     * way it runs once with EV_WRITE, being non-persistent). */
    CHECK_INT(event_add(wr, NULL), 0);
    event_base_active_by_fd(base, sq[1], EV_WRITE);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(r_wr.calls, 1);
    CHECK_INT(r_wr.res, EV_WRITE);

    event_base_active_by_signal(base, SIGUSR1);
    CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    CHECK_INT(r_sig.calls, 1);
    CHECK_INT(r_sig.res, EV_SIGNAL);
    CHECK_INT(r_sig2.calls, 0);
    CHECK_INT(r_other.calls, 0);
    CHECK_INT(fallback_hits, 0);

    event_free(rd); event_free(wr); event_free(rw); event_free(other);
    event_free(unadded); event_free(sig); event_free(sig2);
    event_base_free(base);
    evutil_closesocket(sp[0]); evutil_closesocket(sp[1]);
    evutil_closesocket(sq[0]); evutil_closesocket(sq[1]);
    return test_end();
}
