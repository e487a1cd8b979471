/*
 * A persistent signal event counts several deliveries: SIGUSR1 raised from
 * a timer callback three times (each handled in its own loop turn), then
 * twice in a row before the loop runs (libevent calls the callback once per
 * caught signal). The fallback handler never runs while the event is added.
 */
#include <event2/event.h>
#include <signal.h>
#include "check.h"

static volatile sig_atomic_t fallback_hits;
static int sig_calls, ticks;
static struct event *tick_ev;

static void fallback(int sig)
{
    UNUSED(sig);
    fallback_hits++;
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, SIGUSR1);
    CHECK_INT(what, EV_SIGNAL);
    sig_calls++;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    UNUSED(fd);
    UNUSED(what);
    if (ticks == 3) {
        event_del(tick_ev);
        event_base_loopexit(base, NULL);
        return;
    }
    ticks++;
    CHECK_INT(raise(SIGUSR1), 0);
}

int main(void)
{
    struct event_base *base;
    struct event *sig;
    struct timeval t20 = {0, 20 * 1000};

    test_begin("signal_persist");
    signal(SIGUSR1, fallback);
    base = event_base_new();
    REQUIRE(base != NULL);
    sig = evsignal_new(base, SIGUSR1, sig_cb, NULL);
    tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, base);
    REQUIRE(sig && tick_ev);
    CHECK_INT(event_add(sig, NULL), 0);
    CHECK_INT(event_add(tick_ev, &t20), 0);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK_INT(ticks, 3);
    CHECK_INT(sig_calls, 3);

    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    CHECK_INT(sig_calls, 5);
    CHECK_INT(fallback_hits, 0);
    CHECK_INT(event_pending(sig, EV_SIGNAL, NULL), EV_SIGNAL);

    event_free(sig);
    event_free(tick_ev);
    event_base_free(base);
    return test_end();
}
