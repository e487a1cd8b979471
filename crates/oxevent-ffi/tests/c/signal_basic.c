/*
 * Signal events: evsignal_new(SIGUSR1) (persistent) raised with raise() and
 * a non-persistent EV_SIGNAL event for SIGUSR2 sent with kill(getpid()).
 * The callback gets the signal number as fd and EV_SIGNAL; the process's
 * own (fallback) handler is not called while libevent watches the signal;
 * the non-persistent event is gone after one delivery, the persistent one
 * stays pending; evsignal_pending/event_get_signal work.
 */
#include <event2/event.h>
#include <signal.h>
#include "check.h"

static volatile sig_atomic_t fallback_hits;
static int usr1_calls, usr2_calls;

static void fallback(int sig)
{
    UNUSED(sig);
    fallback_hits++;
}

static void usr1_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, SIGUSR1);
    CHECK_INT(what, EV_SIGNAL);
    usr1_calls++;
}

static void usr2_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    CHECK_INT(fd, SIGUSR2);
    CHECK_INT(what, EV_SIGNAL);
    usr2_calls++;
    event_base_loopexit(base, NULL);
}

int main(void)
{
    struct event_base *base;
    struct event *s1, *s2;

    test_begin("signal_basic");
    signal(SIGUSR1, fallback);
    signal(SIGUSR2, fallback);
    base = event_base_new();
    REQUIRE(base != NULL);

    s1 = evsignal_new(base, SIGUSR1, usr1_cb, NULL);
    s2 = event_new(base, SIGUSR2, EV_SIGNAL, usr2_cb, base);
    REQUIRE(s1 && s2);
    CHECK_INT(event_get_signal(s1), SIGUSR1);
    CHECK_INT(event_get_events(s1), EV_SIGNAL | EV_PERSIST);
    CHECK_INT(evsignal_pending(s1, NULL), 0);
    CHECK_INT(evsignal_add(s1, NULL), 0);
    CHECK_INT(event_add(s2, NULL), 0);
    CHECK(evsignal_pending(s1, NULL) != 0);
    CHECK_INT(event_pending(s1, EV_SIGNAL, NULL), EV_SIGNAL);

    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(usr1_calls, 1);
    CHECK_INT(fallback_hits, 0);

    CHECK_INT(kill(getpid(), SIGUSR2), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(usr2_calls, 1);
    CHECK_INT(fallback_hits, 0);
    CHECK_INT(event_pending(s2, EV_SIGNAL, NULL), 0);
    CHECK_INT(event_pending(s1, EV_SIGNAL, NULL), EV_SIGNAL);

    CHECK_INT(evsignal_del(s1), 0);
    event_free(s1);
    event_free(s2);
    event_base_free(base);
    return test_end();
}
