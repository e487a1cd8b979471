/*
 * The 1.x convenience macros on the global base (<event.h>): timeout_set /
 * timeout_add / timeout_pending / timeout_del / timeout_initialized,
 * evtimer_set, signal_set / signal_add / signal_pending / signal_del and
 * evsignal_set, EVENT_SIGNAL; a signal_set event is persistent and gets
 * SIGUSR1 raised by the test.
 */
#include <event.h>
#include <evutil.h>
#include <signal.h>
#include "check.h"

static volatile sig_atomic_t fallback_hits;
static int to_calls, et_calls, sig_calls;

static void fallback(int sig)
{
    UNUSED(sig);
    fallback_hits++;
}

static void to_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    CHECK_INT(what, EV_TIMEOUT);
    to_calls++;
}

static void et_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    et_calls++;
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(arg);
    CHECK_INT(fd, SIGUSR1);
    CHECK_INT(what, EV_SIGNAL);
    sig_calls++;
}

int main(void)
{
    struct event_base *base;
    struct event to, et, sg, sg2;
    struct timeval t20 = {0, 20 * 1000};
    struct timeval t5s = {5, 0};
    struct timeval tv;

    test_begin("compat_macros");
    signal(SIGUSR1, fallback);
    base = event_init();
    REQUIRE(base != NULL);

    memset(&to, 0, sizeof(to));
    CHECK(!timeout_initialized(&to));
    timeout_set(&to, to_cb, NULL);
    CHECK(timeout_initialized(&to));
    CHECK_INT(timeout_pending(&to, NULL), 0);
    CHECK_INT(timeout_add(&to, &t5s), 0);
    CHECK_INT(timeout_pending(&to, &tv), EV_TIMEOUT);
    CHECK(tv.tv_sec > 0);
    CHECK_INT(timeout_del(&to), 0);
    CHECK_INT(timeout_pending(&to, NULL), 0);
    CHECK_INT(timeout_add(&to, &t20), 0);

    evtimer_set(&et, et_cb, NULL);
    CHECK_INT(evtimer_add(&et, &t20), 0);

    signal_set(&sg, SIGUSR1, sig_cb, NULL);
    CHECK(signal_initialized(&sg));
    CHECK_INT(EVENT_SIGNAL(&sg), SIGUSR1);
    CHECK_INT(event_get_events(&sg), EV_SIGNAL | EV_PERSIST);
    CHECK_INT(signal_add(&sg, NULL), 0);
    CHECK_INT(signal_pending(&sg, NULL), EV_SIGNAL);

    evsignal_set(&sg2, SIGUSR2, sig_cb, NULL);
    CHECK_INT(event_get_events(&sg2), EV_SIGNAL | EV_PERSIST);

    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(event_loop(EVLOOP_ONCE), 0);
    CHECK_INT(sig_calls, 1);
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(event_loop(EVLOOP_ONCE), 0);
    CHECK_INT(sig_calls, 2);
    CHECK_INT(signal_del(&sg), 0);
    CHECK_INT(signal_pending(&sg, NULL), 0);

    CHECK_INT(event_dispatch(), 1);
    CHECK_INT(to_calls, 1);
    CHECK_INT(et_calls, 1);
    CHECK_INT(fallback_hits, 0);

    event_base_free(base);
    return test_end();
}
