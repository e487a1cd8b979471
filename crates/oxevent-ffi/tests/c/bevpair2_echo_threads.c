/*
 * A BEV_OPT_THREADSAFE pair (after evthread_use_pthreads) used from two
 * threads at once: a worker thread writes 500 numbered 8-byte records
 * into p[0] with plain bufferevent_write calls (no explicit lock; the
 * transfer into p[1] happens in the worker's call), while the loop thread
 * runs p[1]'s readcb, which echoes every complete record back with
 * bufferevent_write(p[1]), and p[0]'s readcb, which checks the echoes.
 * Every record comes back once, in order (the loop thread is woken by the
 * worker's writes; the 5 s loopexit is only a safety net), and both ends
 * end with empty buffers.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <pthread.h>
#include "check.h"

#define N 500
static struct bufferevent *P[2];
static struct event_base *base;
static int echoed, bad, write_fail;

static void *worker(void *arg)
{
    int i;
    char rec[16];
    UNUSED(arg);
    for (i = 0; i < N; i++) {
        snprintf(rec, sizeof rec, "%08d", i);
        if (bufferevent_write(P[0], rec, 8) != 0)
            write_fail++;
        if (i % 50 == 0)
            sleep_ms(1);
    }
    return NULL;
}

static void echo_cb(struct bufferevent *b, void *arg)
{
    char rec[8];
    UNUSED(arg);
    while (evbuffer_get_length(bufferevent_get_input(b)) >= 8) {
        bufferevent_read(b, rec, 8);
        bufferevent_write(b, rec, 8);
    }
}

static void check_cb(struct bufferevent *b, void *arg)
{
    char rec[9];
    UNUSED(arg);
    while (evbuffer_get_length(bufferevent_get_input(b)) >= 8) {
        bufferevent_read(b, rec, 8);
        rec[8] = '\0';
        if (atoi(rec) != echoed)
            bad++;
        echoed++;
    }
    if (echoed == N)
        event_base_loopexit(base, NULL);
}

int main(void)
{
    pthread_t t;
    struct timeval limit = {5, 0};

    test_begin("bevpair2_echo_threads");
    REQUIRE(evthread_use_pthreads() == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    REQUIRE(bufferevent_pair_new(base, BEV_OPT_THREADSAFE, P) == 0);
    bufferevent_setcb(P[0], check_cb, NULL, NULL, NULL);
    bufferevent_setcb(P[1], echo_cb, NULL, NULL, NULL);
    CHECK_INT(bufferevent_enable(P[0], EV_READ), 0);
    CHECK_INT(bufferevent_enable(P[1], EV_READ), 0);
    REQUIRE(pthread_create(&t, NULL, worker, NULL) == 0);
    event_base_loopexit(base, &limit);
    event_base_dispatch(base);
    pthread_join(t, NULL);

    CHECK_INT(echoed, N);
    CHECK_INT(bad, 0);
    CHECK_INT(write_fail, 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[0])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_input(P[1])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[0])), 0);
    CHECK_INT(evbuffer_get_length(bufferevent_get_output(P[1])), 0);

    bufferevent_free(P[0]);
    bufferevent_free(P[1]);
    event_base_free(base);
    libevent_global_shutdown();
    return test_end();
}
