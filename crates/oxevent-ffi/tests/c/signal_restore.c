/*
 * Deleting the last signal event for a signal puts back the handler that
 * was installed before: SIG_IGN for SIGUSR1 (after event_del and after the
 * base is freed, a SIGUSR1 is then harmless), and a user handler for SIGUSR2
 * (which runs again after the event is deleted, and not while it is added).
 */
#include <event2/event.h>
#include <signal.h>
#include "check.h"

static volatile sig_atomic_t user_hits;
static int calls;

static void user_handler(int sig)
{
    UNUSED(sig);
    user_hits++;
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
}

static void (*current_handler(int sig))(int)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler;
}

int main(void)
{
    struct event_base *base;
    struct event *s1, *s2;

    test_begin("signal_restore");
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, user_handler);

    base = event_base_new();
    REQUIRE(base != NULL);
    s1 = evsignal_new(base, SIGUSR1, sig_cb, NULL);
    s2 = evsignal_new(base, SIGUSR2, sig_cb, NULL);
    REQUIRE(s1 && s2);
    CHECK_INT(event_add(s1, NULL), 0);
    CHECK_INT(event_add(s2, NULL), 0);
    CHECK(current_handler(SIGUSR1) != SIG_IGN);
    CHECK(current_handler(SIGUSR2) != user_handler);

    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(raise(SIGUSR2), 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    CHECK_INT(calls, 2);
    CHECK_INT(user_hits, 0);

    CHECK_INT(event_del(s1), 0);
    CHECK_INT(event_del(s2), 0);
    CHECK(current_handler(SIGUSR1) == SIG_IGN);
    CHECK(current_handler(SIGUSR2) == user_handler);
    CHECK_INT(raise(SIGUSR2), 0);
    CHECK_INT(user_hits, 1);

    event_free(s1);
    event_free(s2);
    event_base_free(base);
    CHECK(current_handler(SIGUSR1) == SIG_IGN);
    CHECK(current_handler(SIGUSR2) == user_handler);
    /* Ignored: must not kill us. */
    CHECK_INT(raise(SIGUSR1), 0);
    CHECK_INT(raise(SIGUSR2), 0);
    CHECK_INT(user_hits, 2);
    CHECK_INT(calls, 2);
    return test_end();
}
