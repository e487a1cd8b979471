/*
 * Thread-safe base (evthread_use_pthreads before event_base_new): the main
 * thread runs event_base_loop with EVLOOP_NO_EXIT_ON_EMPTY on a base with no
 * events and no timeout; a second thread event_active()s an event (the loop
 * wakes and runs it in the main thread), then event_add()s a read event on a
 * socket that already has data (runs), then event_add()s a 10 ms timer whose
 * callback breaks the loop. evthread_make_base_notifiable returns 0 on such
 * a base. Also event_base_loopexit from another thread ends a blocked loop.
 * Lock debugging is on (through its misspelled 2.0 alias).
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <pthread.h>
#include "check.h"

static struct event_base *base;
static struct event *act_ev, *rd_ev, *tm_ev;
static pthread_t main_thread;
static int act_calls, rd_calls, tm_calls, wrong_thread;
static evutil_socket_t sp[2];

static void note_thread(void)
{
    if (!pthread_equal(pthread_self(), main_thread))
        wrong_thread++;
}

static void act_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(arg);
    note_thread();
    CHECK_INT(what, EV_WRITE);
    __atomic_store_n(&act_calls, act_calls + 1, __ATOMIC_SEQ_CST);
}

static void rd_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[8];
    UNUSED(arg);
    note_thread();
    CHECK_INT(what, EV_READ);
    CHECK(recv(fd, buf, sizeof(buf), 0) > 0);
    __atomic_store_n(&rd_calls, rd_calls + 1, __ATOMIC_SEQ_CST);
}

static void tm_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    note_thread();
    tm_calls++;
    CHECK_INT(event_base_loopbreak(base), 0);
}

static void wait_for(int *counter, int value)
{
    long long start = now_ms();
    while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) < value &&
           now_ms() - start < 5000)
        sleep_ms(5);
}

static void *helper(void *arg)
{
    struct timeval t10 = {0, 10 * 1000};
    UNUSED(arg);
    sleep_ms(100);
    event_active(act_ev, EV_WRITE, 1);
    wait_for(&act_calls, 1);
    sleep_ms(50);
    CHECK(send(sp[0], "d", 1, 0) == 1);
    CHECK_INT(event_add(rd_ev, NULL), 0);
    wait_for(&rd_calls, 1);
    sleep_ms(50);
    CHECK_INT(event_add(tm_ev, &t10), 0);
    return NULL;
}

static void *exiter(void *arg)
{
    UNUSED(arg);
    sleep_ms(100);
    CHECK_INT(event_base_loopexit(base, NULL), 0);
    return NULL;
}

int main(void)
{
    pthread_t th;
    long long start, took;

    test_begin("threads_wakeup");
    main_thread = pthread_self();
    CHECK_INT(evthread_use_pthreads(), 0);
    /* The historical misspelled alias of evthread_enable_lock_debugging. */
    evthread_enable_lock_debuging();
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK_INT(evthread_make_base_notifiable(base), 0);
    act_ev = event_new(base, -1, 0, act_cb, NULL);
    rd_ev = event_new(base, sp[1], EV_READ, rd_cb, NULL);
    tm_ev = evtimer_new(base, tm_cb, NULL);
    REQUIRE(act_ev && rd_ev && tm_ev);

    REQUIRE(pthread_create(&th, NULL, helper, NULL) == 0);
    start = now_ms();
    CHECK_INT(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
    took = now_ms() - start;
    pthread_join(th, NULL);
    CHECK_INT(act_calls, 1);
    CHECK_INT(rd_calls, 1);
    CHECK_INT(tm_calls, 1);
    CHECK_INT(wrong_thread, 0);
    CHECK(took >= 150);
    CHECK(took < 5000);
    CHECK_INT(event_base_got_break(base), 1);

    /* loopexit from another thread wakes an empty blocked loop. */
    REQUIRE(pthread_create(&th, NULL, exiter, NULL) == 0);
    start = now_ms();
    CHECK_INT(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
    took = now_ms() - start;
    pthread_join(th, NULL);
    CHECK(took >= 50 && took < 5000);
    CHECK_INT(event_base_got_exit(base), 1);

    event_free(act_ev);
    event_free(rd_ev);
    event_free(tm_ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
