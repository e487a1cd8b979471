/*
 * With two bases, a signal goes to the base that added its signal event
 * last: base B (added after A) gets SIGUSR1, A's callback does not run even
 * when A's loop runs afterwards. A second case: only B watches SIGUSR2, A has
 * just a timer and runs its loop first; B still gets the signal.
 */
#include <event2/event.h>
#include <signal.h>
#include "check.h"

static volatile sig_atomic_t fallback_hits;
static int a_calls, b_calls, a_timer, b2_calls;

static void fallback(int sig)
{
    UNUSED(sig);
    fallback_hits++;
}

static void count_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    (*(int *)arg)++;
}

static void quiet_log(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
}

int main(void)
{
    struct event_base *a, *b;
    struct event *sa, *sb, *ta, *sb2;
    struct timeval t50 = {0, 50 * 1000};

    test_begin("signal_two_bases");
    /* libevent warns about what this test does on purpose. */
    event_set_log_callback(quiet_log);
    signal(SIGUSR1, fallback);
    signal(SIGUSR2, fallback);
    a = event_base_new();
    b = event_base_new();
    REQUIRE(a && b);

    sa = evsignal_new(a, SIGUSR1, count_cb, &a_calls);
    sb = evsignal_new(b, SIGUSR1, count_cb, &b_calls);
    REQUIRE(sa && sb);
    CHECK_INT(event_add(sa, NULL), 0);
    CHECK_INT(event_add(sb, NULL), 0);
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(event_base_loop(b, EVLOOP_ONCE), 0);
    CHECK_INT(b_calls, 1);
    CHECK_INT(event_base_loop(a, EVLOOP_NONBLOCK), 0);
    CHECK_INT(a_calls, 0);
    CHECK_INT(fallback_hits, 0);
    CHECK_INT(event_del(sa), 0);
    CHECK_INT(event_del(sb), 0);

    /* Only B watches SIGUSR2; A runs a timer loop first. */
    ta = evtimer_new(a, count_cb, &a_timer);
    sb2 = evsignal_new(b, SIGUSR2, count_cb, &b2_calls);
    REQUIRE(ta && sb2);
    CHECK_INT(event_add(sb2, NULL), 0);
    CHECK_INT(evtimer_add(ta, &t50), 0);
    CHECK_INT(kill(getpid(), SIGUSR2), 0);
    CHECK_INT(event_base_dispatch(a), 1);
    CHECK_INT(a_timer, 1);
    CHECK_INT(b2_calls, 0);
    CHECK_INT(event_base_loop(b, EVLOOP_ONCE), 0);
    CHECK_INT(b2_calls, 1);
    CHECK_INT(fallback_hits, 0);

    event_free(sa);
    event_free(sb);
    event_free(ta);
    event_free(sb2);
    event_base_free(a);
    event_base_free(b);
    return test_end();
}
