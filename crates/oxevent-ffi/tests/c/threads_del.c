/*
 * event_del from another thread, with pthreads locking (and lock debugging
 * on): deleting the only event of a blocked loop wakes it and the loop
 * returns 1 (no events left), and data sent afterwards runs nothing.
 * event_del called while the event's callback runs in the loop thread waits
 * for the callback to finish; event_del_noblock does not wait.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <pthread.h>
#include "check.h"

static struct event_base *base;
static struct event *rd_ev, *slow_ev;
static int rd_calls;
static int slow_started, slow_finished;
static int finished_when_del_returned = -1;
static int use_noblock;
static evutil_socket_t sp[2];

static void rd_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    rd_calls++;
}

static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    __atomic_store_n(&slow_started, 1, __ATOMIC_SEQ_CST);
    sleep_ms(300);
    __atomic_store_n(&slow_finished, 1, __ATOMIC_SEQ_CST);
}

static void *deleter(void *arg)
{
    UNUSED(arg);
    sleep_ms(100);
    CHECK_INT(event_del(rd_ev), 0);
    return NULL;
}

static void *slow_deleter(void *arg)
{
    long long start = now_ms();
    UNUSED(arg);
    while (!__atomic_load_n(&slow_started, __ATOMIC_SEQ_CST) &&
           now_ms() - start < 5000)
        sleep_ms(2);
    if (use_noblock)
        CHECK_INT(event_del_noblock(slow_ev), 0);
    else
        CHECK_INT(event_del(slow_ev), 0);
    finished_when_del_returned = __atomic_load_n(&slow_finished, __ATOMIC_SEQ_CST);
    return NULL;
}

static void run_slow(int noblock)
{
    pthread_t th;
    struct timeval t10 = {0, 10 * 1000};
    slow_started = slow_finished = 0;
    finished_when_del_returned = -1;
    use_noblock = noblock;
    CHECK_INT(event_add(slow_ev, &t10), 0);
    REQUIRE(pthread_create(&th, NULL, slow_deleter, NULL) == 0);
    CHECK_INT(event_base_dispatch(base), 1);
    pthread_join(th, NULL);
    CHECK_INT(slow_finished, 1);
}

int main(void)
{
    pthread_t th;
    long long start, took;

    test_begin("threads_del");
    CHECK_INT(evthread_use_pthreads(), 0);
    evthread_enable_lock_debugging();
    REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    rd_ev = event_new(base, sp[1], EV_READ | EV_PERSIST, rd_cb, NULL);
    slow_ev = event_new(base, -1, EV_PERSIST, slow_cb, NULL);
    REQUIRE(rd_ev && slow_ev);

    CHECK_INT(event_add(rd_ev, NULL), 0);
    REQUIRE(pthread_create(&th, NULL, deleter, NULL) == 0);
    start = now_ms();
    CHECK_INT(event_base_dispatch(base), 1);
    took = now_ms() - start;
    pthread_join(th, NULL);
    CHECK(took >= 50 && took < 5000);
    CHECK_INT(event_pending(rd_ev, EV_READ, NULL), 0);
    CHECK(send(sp[0], "x", 1, 0) == 1);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    CHECK_INT(rd_calls, 0);

    /* Blocking delete waits for the running callback. */
    run_slow(0);
    CHECK_INT(finished_when_del_returned, 1);
    /* Non-blocking delete does not. */
    run_slow(1);
    CHECK_INT(finished_when_del_returned, 0);

    event_free(rd_ev);
    event_free(slow_ev);
    event_base_free(base);
    evutil_closesocket(sp[0]);
    evutil_closesocket(sp[1]);
    return test_end();
}
