/*
 * BEV_OPT_THREADSAFE after evthread_use_pthreads: a second thread writes
 * 1000 numbered messages through bufferevent_write (under
 * bufferevent_lock/unlock) while the main thread's loop moves them over a
 * socketpair to the reading end; every byte arrives, in order.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <pthread.h>
#include <sys/socket.h>
#include "check.h"

#define N 1000
static struct bufferevent *W, *R;
static struct event_base *base;
static size_t total;
static int bad;

static void *writer(void *arg)
{
    int i;
    char msg[16];
    UNUSED(arg);
    for (i = 0; i < N; i++) {
        snprintf(msg, sizeof msg, "%08d", i);
        bufferevent_lock(W);
        if (bufferevent_write(W, msg, 8) != 0)
            bad++;
        bufferevent_unlock(W);
    }
    return NULL;
}

static void readcb(struct bufferevent *b, void *arg)
{
    char msg[9];
    UNUSED(arg);
    while (evbuffer_get_length(bufferevent_get_input(b)) >= 8) {
        bufferevent_read(b, msg, 8);
        msg[8] = '\0';
        if (atoi(msg) != (int)(total / 8))
            bad++;
        total += 8;
    }
    if (total == N * 8)
        event_base_loopexit(base, NULL);
}

int main(void)
{
    int sv[2];
    pthread_t t;

    test_begin("bev_threadsafe");
    REQUIRE(evthread_use_pthreads() == 0);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    W = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
    R = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
    REQUIRE(W && R);
    bufferevent_setcb(R, readcb, NULL, NULL, NULL);
    bufferevent_enable(R, EV_READ);
    REQUIRE(pthread_create(&t, NULL, writer, NULL) == 0);
    event_base_dispatch(base);
    pthread_join(t, NULL);
    CHECK_INT(total, N * 8);
    CHECK_INT(bad, 0);
    bufferevent_free(W);
    bufferevent_free(R);
    event_base_free(base);
    libevent_global_shutdown();
    return test_end();
}
