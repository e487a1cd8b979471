/*
 * event_free after event_del_noblock, from another thread, while the
 * event's callback runs (issue 14, R1; repro r1_noblock_free.c).
 * event_del_noblock does not wait for the running callback, by definition;
 * but event_free deletes again with the default (blocking) rule, so
 * libevent 2.1.12's event_free waits until the callback has returned
 * before it frees the struct: the callback has finished when event_free
 * returns, and the memory the callback uses stays valid until then.
 *
 * Twice: once with a persistent user-activated event, once with a timer.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include "check.h"

static struct event *ev;
static int started, finished, finished_at_noblock = -1, finished_at_free = -1;

static int get(int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set(int *p, int v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    set(&started, 1);
    sleep_ms(200);
    set(&finished, 1);
}

static void *other(void *arg)
{
    long long start = now_ms();
    UNUSED(arg);
    while (!get(&started) && now_ms() - start < 5000)
        sleep_ms(1);
    CHECK_INT(event_del_noblock(ev), 0);
    set(&finished_at_noblock, get(&finished));
    event_free(ev);
    set(&finished_at_free, get(&finished));
    return NULL;
}

static void run_case(int timer)
{
    struct event_base *base = event_base_new();
    struct timeval t1 = {0, 1000};
    pthread_t th;

    REQUIRE(base != NULL);
    set(&started, 0);
    set(&finished, 0);
    finished_at_noblock = finished_at_free = -1;
    if (timer) {
        ev = evtimer_new(base, cb, NULL);
        REQUIRE(ev != NULL);
        CHECK_INT(event_add(ev, &t1), 0);
    } else {
        ev = event_new(base, -1, EV_PERSIST, cb, NULL);
        REQUIRE(ev != NULL);
        event_active(ev, EV_READ, 1);
    }
    REQUIRE(pthread_create(&th, NULL, other, NULL) == 0);
    CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
    pthread_join(th, NULL);
    /* The noblock delete returned while the callback was still running
     * (it sleeps 200 ms), the free only after it finished. */
    CHECK_INT(finished_at_noblock, 0);
    if (finished_at_free != 1)
        fprintf(stderr, "%s: event_free returned before the callback finished\n",
            timer ? "timer" : "active");
    CHECK_INT(finished_at_free, 1);
    event_base_free(base);
}

int main(void)
{
    test_begin("r1_noblock_free");
    CHECK_INT(evthread_use_pthreads(), 0);
    run_case(0);
    run_case(1);
    return test_end();
}
