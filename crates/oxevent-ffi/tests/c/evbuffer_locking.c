/*
 * evbuffer_enable_locking / evbuffer_lock / evbuffer_unlock with pthreads:
 * a buffer gets a lock once (a second call gives -1); the lock is
 * recursive (an evbuffer call under evbuffer_lock works); four threads
 * append records under the lock while the main thread drains whole
 * records: no byte is lost or torn. A buffer given the program's own
 * lock (allocated through the lock callbacks) works the same.
 */
#include "evbuffer_util.h"
#include <event2/thread.h>
#include <pthread.h>

#define THREADS 4
#define RECORDS 5000

static struct evbuffer *shared;

static void *appender(void *arg)
{
    char rec[8];
    int i, id = (int)(long)arg;
    for (i = 0; i < RECORDS; i++) {
        memset(rec, 'a' + id, sizeof(rec));
        evbuffer_lock(shared);
        /* Two adds under one lock: a record is never split. */
        evbuffer_add(shared, rec, 4);
        evbuffer_add(shared, rec + 4, 4);
        evbuffer_unlock(shared);
    }
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    int counts[THREADS] = {0};
    char rec[8];
    int i, done = 0, total = 0;
    struct evbuffer *own;

    test_begin("evbuffer_locking");
    REQUIRE(evthread_use_pthreads() == 0);
    shared = evbuffer_new();
    REQUIRE(shared != NULL);
    CHECK_INT(evbuffer_enable_locking(shared, NULL), 0);
    CHECK_INT(evbuffer_enable_locking(shared, NULL), -1);

    /* Recursive. */
    evbuffer_lock(shared);
    evbuffer_lock(shared);
    CHECK_INT(evbuffer_add(shared, "x", 1), 0);
    evbuffer_unlock(shared);
    CHECK_INT(evbuffer_drain(shared, 1), 0);
    evbuffer_unlock(shared);

    for (i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&th[i], NULL, appender, (void *)(long)i) == 0);
    while (total < THREADS * RECORDS) {
        evbuffer_lock(shared);
        while (evbuffer_get_length(shared) >= sizeof(rec)) {
            CHECK_INT(evbuffer_remove(shared, rec, sizeof(rec)), sizeof(rec));
            CHECK(memchr(rec, rec[0], 1) && memcmp(rec, rec + 4, 4) == 0 &&
                  rec[0] == rec[7]);
            if (rec[0] >= 'a' && rec[0] < 'a' + THREADS)
                counts[rec[0] - 'a']++;
            total++;
        }
        evbuffer_unlock(shared);
        if (++done > 100000000)
            break;
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(counts[i], RECORDS);
    }
    CHECK_INT(evbuffer_get_length(shared), 0);
    evbuffer_free(shared);

    /* A lock the program allocated through the installed callbacks. */
    own = evbuffer_new();
    REQUIRE(own != NULL);
    {
        pthread_mutexattr_t attr;
        pthread_mutex_t *m = malloc(sizeof(*m));
        REQUIRE(m != NULL);
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(m, &attr);
        CHECK_INT(evbuffer_enable_locking(own, m), 0);
        evbuffer_lock(own);
        CHECK_INT(evbuffer_add(own, "abc", 3), 0);
        evbuffer_unlock(own);
        CHECK_BUF(own, "abc");
        evbuffer_free(own);
        /* The buffer does not own a lock it was given. */
        CHECK_INT(pthread_mutex_trylock(m), 0);
        pthread_mutex_unlock(m);
        pthread_mutex_destroy(m);
        pthread_mutexattr_destroy(&attr);
        free(m);
    }
    return test_end();
}
