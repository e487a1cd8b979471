/*
 * Custom lock callbacks (issue 8, item 3; repro custom_locks_del.c): a
 * program installs its own recursive pthread mutexes and condition
 * variables through evthread_set_lock_callbacks /
 * evthread_set_condition_callbacks / evthread_set_id_callback, as programs
 * with their own threading layer do. While a timer's callback runs in the
 * loop thread, a second thread calls event_del on that timer; the callback
 * then adds and deletes another event and adds a third one.
 *
 * libevent: event_del from the other thread waits for the running callback
 * (on the base's condition, with the base lock released), so the callback
 * finishes first, its add/del work, event_del returns 0, the third timer
 * fires and the loop ends because nothing is left (dispatch returns 1).
 *
 * A deadlock must end as a failure, not as a hang: a monitor thread gives
 * the whole sequence 5 s (the callback sleeps 200 ms), then reports which
 * steps were reached and exits with status 3, before check.h's 10 s alarm.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <errno.h>
#include <pthread.h>
#include <sys/time.h>
#include "check.h"

/* --- the program's own locking layer -------------------------------- */

static void *lk_alloc(unsigned locktype)
{
    pthread_mutexattr_t attr;
    pthread_mutex_t *m = malloc(sizeof(*m));
    if (!m)
        return NULL;
    pthread_mutexattr_init(&attr);
    if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return m;
}

static void lk_free(void *lock, unsigned locktype)
{
    UNUSED(locktype);
    pthread_mutex_destroy(lock);
    free(lock);
}

static int lk_lock(unsigned mode, void *lock)
{
    if (mode & EVTHREAD_TRY)
        return pthread_mutex_trylock(lock);
    return pthread_mutex_lock(lock);
}

static int lk_unlock(unsigned mode, void *lock)
{
    UNUSED(mode);
    return pthread_mutex_unlock(lock);
}

static void *cv_alloc(unsigned condtype)
{
    pthread_cond_t *c = malloc(sizeof(*c));
    UNUSED(condtype);
    if (!c)
        return NULL;
    pthread_cond_init(c, NULL);
    return c;
}

static void cv_free(void *cond)
{
    pthread_cond_destroy(cond);
    free(cond);
}

static int cv_signal(void *cond, int broadcast)
{
    return broadcast ? pthread_cond_broadcast(cond) : pthread_cond_signal(cond);
}

/* 0 when signalled, 1 on timeout, -1 on error (the documented contract). */
static int cv_wait(void *cond, void *lock, const struct timeval *tv)
{
    int r;
    if (tv) {
        struct timeval now;
        struct timespec abs;
        gettimeofday(&now, NULL);
        abs.tv_sec = now.tv_sec + tv->tv_sec;
        abs.tv_nsec = (now.tv_usec + tv->tv_usec) * 1000L;
        if (abs.tv_nsec >= 1000000000L) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000L;
        }
        r = pthread_cond_timedwait(cond, lock, &abs);
        if (r == ETIMEDOUT)
            return 1;
        return r ? -1 : 0;
    }
    r = pthread_cond_wait(cond, lock);
    return r ? -1 : 0;
}

static unsigned long thread_id(void)
{
    return (unsigned long)pthread_self();
}

/* --- the test --------------------------------------------------------- */

static struct event_base *base;
static struct event *ev, *other, *after;
static int in_cb, cb_done, del_returned, del_result = -99;
static int done_when_del_returned = -1;
static int other_add = -99, other_del = -99, after_add = -99;
static int cb_calls, other_calls, after_calls, all_done;

static int get(int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set(int *p, int v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void other_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    other_calls++;
}

static void after_cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    after_calls++;
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    struct timeval ten_s = {10, 0};
    struct timeval t50 = {0, 50 * 1000};
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    cb_calls++;
    set(&in_cb, 1);
    sleep_ms(200); /* the deleter enters event_del meanwhile */
    other_add = event_add(other, &ten_s);
    other_del = event_del(other);
    after_add = event_add(after, &t50);
    set(&cb_done, 1);
}

static void *deleter(void *arg)
{
    long long start = now_ms();
    UNUSED(arg);
    while (!get(&in_cb) && now_ms() - start < 5000)
        sleep_ms(1);
    del_result = event_del(ev);
    set(&done_when_del_returned, get(&cb_done));
    set(&del_returned, 1);
    return NULL;
}

static void *monitor(void *arg)
{
    long long start = now_ms();
    UNUSED(arg);
    while (!get(&all_done)) {
        if (now_ms() - start > 5000) {
            fprintf(stderr,
                "custom_locks_del: no progress after 5 s (deadlock?): "
                "in_cb=%d cb_done=%d del_returned=%d\n",
                get(&in_cb), get(&cb_done), get(&del_returned));
            fprintf(stderr, "FAIL custom_locks_del\n");
            _exit(3);
        }
        sleep_ms(10);
    }
    return NULL;
}

int main(void)
{
    struct evthread_lock_callbacks locks = {
        EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
        lk_alloc, lk_free, lk_lock, lk_unlock,
    };
    struct evthread_condition_callbacks conds = {
        EVTHREAD_CONDITION_API_VERSION, cv_alloc, cv_free, cv_signal, cv_wait,
    };
    struct timeval t1 = {0, 1000};
    pthread_t del_th, mon_th;
    int r;

    test_begin("custom_locks_del");
    REQUIRE(pthread_create(&mon_th, NULL, monitor, NULL) == 0);
    CHECK_INT(evthread_set_lock_callbacks(&locks), 0);
    CHECK_INT(evthread_set_condition_callbacks(&conds), 0);
    evthread_set_id_callback(thread_id);

    base = event_base_new();
    REQUIRE(base != NULL);
    ev = evtimer_new(base, cb, NULL);
    other = evtimer_new(base, other_cb, NULL);
    after = evtimer_new(base, after_cb, NULL);
    REQUIRE(ev && other && after);
    CHECK_INT(event_add(ev, &t1), 0);

    REQUIRE(pthread_create(&del_th, NULL, deleter, NULL) == 0);
    r = event_base_dispatch(base);
    pthread_join(del_th, NULL);
    set(&all_done, 1);
    pthread_join(mon_th, NULL);

    CHECK_INT(r, 1);
    CHECK_INT(cb_calls, 1);
    CHECK_INT(other_add, 0);
    CHECK_INT(other_del, 0);
    CHECK_INT(after_add, 0);
    CHECK_INT(del_result, 0);
    /* event_del waited for the running callback. */
    CHECK_INT(done_when_del_returned, 1);
    CHECK_INT(other_calls, 0);
    CHECK_INT(after_calls, 1);
    CHECK_INT(event_pending(ev, EV_TIMEOUT, NULL), 0);

    event_free(ev);
    event_free(other);
    event_free(after);
    event_base_free(base);
    return test_end();
}
