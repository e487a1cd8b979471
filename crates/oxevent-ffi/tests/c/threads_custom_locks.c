/*
 * evthread_set_lock_callbacks / evthread_set_condition_callbacks /
 * evthread_set_id_callback with the test's own pthread-based
 * implementations (recursive mutexes, condition variables, pthread_self as
 * id): libevent allocates locks and condition variables through them,
 * locks and unlocks in balanced pairs, and a base made with them is woken by event_active from another
 * thread. Installing a different set of lock callbacks afterwards is
 * refused (-1) while re-installing the same set is accepted (0).
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <sys/time.h>
#include "check.h"

static int n_alloc, n_free, n_lock, n_unlock, n_cond_alloc, n_id;

static void *my_alloc(unsigned locktype)
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
    __atomic_add_fetch(&n_alloc, 1, __ATOMIC_SEQ_CST);
    return m;
}

static void my_free(void *lock, unsigned locktype)
{
    UNUSED(locktype);
    pthread_mutex_destroy(lock);
    free(lock);
    __atomic_add_fetch(&n_free, 1, __ATOMIC_SEQ_CST);
}

static int my_lock(unsigned mode, void *lock)
{
    int r;
    if (mode & EVTHREAD_TRY)
        r = pthread_mutex_trylock(lock);
    else
        r = pthread_mutex_lock(lock);
    if (r == 0)
        __atomic_add_fetch(&n_lock, 1, __ATOMIC_SEQ_CST);
    return r;
}

static int my_unlock(unsigned mode, void *lock)
{
    UNUSED(mode);
    __atomic_add_fetch(&n_unlock, 1, __ATOMIC_SEQ_CST);
    return pthread_mutex_unlock(lock);
}

static void *my_cond_alloc(unsigned type)
{
    pthread_cond_t *c = malloc(sizeof(*c));
    UNUSED(type);
    if (!c)
        return NULL;
    pthread_cond_init(c, NULL);
    __atomic_add_fetch(&n_cond_alloc, 1, __ATOMIC_SEQ_CST);
    return c;
}

static void my_cond_free(void *c)
{
    pthread_cond_destroy(c);
    free(c);
}

static int my_cond_signal(void *c, int broadcast)
{
    return broadcast ? pthread_cond_broadcast(c) : pthread_cond_signal(c);
}

static int my_cond_wait(void *c, void *lock, const struct timeval *tv)
{
    int r;
    /* The lock is held (counted once by my_lock); waiting releases and
     * re-takes it without going through our counters. */
    if (tv) {
        struct timeval now, end;
        struct timespec ts;
        gettimeofday(&now, NULL);
        evutil_timeradd(&now, tv, &end);
        ts.tv_sec = end.tv_sec;
        ts.tv_nsec = end.tv_usec * 1000L;
        r = pthread_cond_timedwait(c, lock, &ts);
        if (r == ETIMEDOUT)
            return 1;
        return r ? -1 : 0;
    }
    r = pthread_cond_wait(c, lock);
    return r ? -1 : 0;
}

static unsigned long my_id(void)
{
    __atomic_add_fetch(&n_id, 1, __ATOMIC_SEQ_CST);
    return (unsigned long)pthread_self();
}

static const struct evthread_lock_callbacks lock_cbs = {
    EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
    my_alloc, my_free, my_lock, my_unlock
};

static const struct evthread_condition_callbacks cond_cbs = {
    EVTHREAD_CONDITION_API_VERSION,
    my_cond_alloc, my_cond_free, my_cond_signal, my_cond_wait
};

static struct event_base *base;
static struct event *ev;
static int calls;

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
    calls++;
    event_base_loopbreak(base);
}

static void *activator(void *arg)
{
    UNUSED(arg);
    sleep_ms(100);
    event_active(ev, EV_TIMEOUT, 1);
    return NULL;
}

static int other_lock(unsigned mode, void *lock)
{
    return my_lock(mode, lock);
}

static void quiet_log(int severity, const char *msg)
{
    UNUSED(severity);
    UNUSED(msg);
}

int main(void)
{
    pthread_t th;
    struct evthread_lock_callbacks other = lock_cbs;
    int locks_before;

    test_begin("threads_custom_locks");
    /* libevent warns about what this test does on purpose. */
    event_set_log_callback(quiet_log);
    CHECK_INT(evthread_set_lock_callbacks(&lock_cbs), 0);
    CHECK_INT(evthread_set_condition_callbacks(&cond_cbs), 0);
    evthread_set_id_callback(my_id);

    base = event_base_new();
    REQUIRE(base != NULL);
    CHECK(n_alloc > 0);
    CHECK(n_cond_alloc > 0);
    ev = event_new(base, -1, 0, cb, NULL);
    REQUIRE(ev != NULL);

    locks_before = __atomic_load_n(&n_lock, __ATOMIC_SEQ_CST);
    REQUIRE(pthread_create(&th, NULL, activator, NULL) == 0);
    CHECK_INT(event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY), 0);
    pthread_join(th, NULL);
    CHECK_INT(calls, 1);
    CHECK(__atomic_load_n(&n_lock, __ATOMIC_SEQ_CST) > locks_before);
    CHECK_INT(__atomic_load_n(&n_lock, __ATOMIC_SEQ_CST),
        __atomic_load_n(&n_unlock, __ATOMIC_SEQ_CST));

    /* Same callbacks again: fine. Different ones: refused. */
    CHECK_INT(evthread_set_lock_callbacks(&lock_cbs), 0);
    other.lock = other_lock;
    CHECK_INT(evthread_set_lock_callbacks(&other), -1);

    event_free(ev);
    event_base_free(base);
    CHECK(n_free > 0);
    CHECK_INT(__atomic_load_n(&n_lock, __ATOMIC_SEQ_CST),
        __atomic_load_n(&n_unlock, __ATOMIC_SEQ_CST));
    return test_end();
}
