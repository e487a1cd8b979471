/*
 * Enabling a LEV_OPT_THREADSAFE listener from another thread while the
 * loop sleeps (evthread_use_pthreads before event_base_new).  libevent
 * 2.1.12: the listener made with LEV_OPT_DISABLED leaves a waiting
 * connection in the backlog; 100 ms later a second thread calls
 * evconnlistener_enable (returns 0), which wakes the loop blocked in
 * event_base_dispatch (with only a 3 s guard timer pending): the
 * connection is accepted soon after the enable, in the loop's thread,
 * long before the guard; the thread's later evconnlistener_disable stops
 * the next connection from being accepted.
 */
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include "check.h"

static struct evconnlistener *L;
static pthread_t main_thr;
static int calls, in_main, enable_ret = -1;
static long long enabled_at, accepted_at;

static void acceptcb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
    UNUSED(l);
    UNUSED(sa);
    UNUSED(len);
    calls++;
    in_main = pthread_equal(pthread_self(), main_thr);
    accepted_at = now_ms();
    close(fd);
    event_base_loopbreak(arg);
}

static void *enabler(void *arg)
{
    UNUSED(arg);
    sleep_ms(100);
    enabled_at = now_ms();
    enable_ret = evconnlistener_enable(L);
    return NULL;
}

static void *disabler(void *arg)
{
    UNUSED(arg);
    evconnlistener_disable(L);
    return NULL;
}

int main(void)
{
    struct event_base *base;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct timeval guard = {3, 0};
    pthread_t t;
    long long t0;
    int c1, c2, i;

    test_begin("listener2_thread_enable");
    REQUIRE(evthread_use_pthreads() == 0);
    main_thr = pthread_self();
    base = event_base_new();
    REQUIRE(base != NULL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    L = evconnlistener_new_bind(base, acceptcb, base,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE | LEV_OPT_DISABLED, 8,
        (struct sockaddr *)&sin, sizeof sin);
    REQUIRE(L != NULL);
    REQUIRE(getsockname(evconnlistener_get_fd(L), (struct sockaddr *)&sin,
        &sl) == 0);
    c1 = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c1 >= 0);
    REQUIRE(connect(c1, (struct sockaddr *)&sin, sizeof sin) == 0);

    event_base_loopexit(base, &guard);
    t0 = now_ms();
    REQUIRE(pthread_create(&t, NULL, enabler, NULL) == 0);
    CHECK_INT(event_base_dispatch(base), 0);
    pthread_join(t, NULL);
    CHECK_INT(enable_ret, 0);
    CHECK_INT(calls, 1);
    CHECK_INT(in_main, 1);
    CHECK(accepted_at - t0 >= 90);
    CHECK(accepted_at - enabled_at < 1000);

    /* Disabled from another thread: the next connection waits. */
    REQUIRE(pthread_create(&t, NULL, disabler, NULL) == 0);
    pthread_join(t, NULL);
    c2 = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c2 >= 0);
    REQUIRE(connect(c2, (struct sockaddr *)&sin, sizeof sin) == 0);
    sleep_ms(50);
    for (i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(calls, 1);

    close(c1);
    close(c2);
    evconnlistener_free(L);
    event_base_free(base);
    return test_end();
}
