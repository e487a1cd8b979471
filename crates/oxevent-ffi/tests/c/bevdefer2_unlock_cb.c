/*
 * BEV_OPT_THREADSAFE|BEV_OPT_DEFER_CALLBACKS: deferred callbacks run with
 * the bufferevent's lock held, so another thread's bufferevent_lock
 * blocks until the callback has returned.  Adding BEV_OPT_UNLOCK_CALLBACKS
 * runs them with the lock released: the other thread gets the lock (and
 * can write to the bufferevent) while the callback is still running.
 * The helper thread signals through a pipe; the callback waits up to
 * 800 ms for that signal.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <pthread.h>
#include <poll.h>
#include <sys/socket.h>
#include "check.h"

static int sig[2];
static int got_in_cb;
static pthread_t thr;

static void *locker(void *arg)
{
    struct bufferevent *b = arg;
    char c = 'x';
    bufferevent_lock(b);
    bufferevent_write(b, "t", 1);
    bufferevent_unlock(b);
    if (write(sig[1], &c, 1) != 1)
        return NULL;
    return NULL;
}

static void readcb(struct bufferevent *b, void *arg)
{
    struct pollfd pfd;
    char c;
    UNUSED(arg);
    REQUIRE(pthread_create(&thr, NULL, locker, b) == 0);
    pfd.fd = sig[0];
    pfd.events = POLLIN;
    got_in_cb = poll(&pfd, 1, 800) == 1;
    if (got_in_cb && read(sig[0], &c, 1) != 1)
        got_in_cb = 0;
}

static int run(int opts)
{
    int sv[2];
    struct event_base *base;
    struct bufferevent *b;
    char c;
    int r;

    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(pipe(sig) == 0);
    base = event_base_new();
    REQUIRE(base != NULL);
    b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE |
        BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS | opts);
    REQUIRE(b != NULL);
    bufferevent_setcb(b, readcb, NULL, NULL, NULL);
    got_in_cb = -1;
    bufferevent_trigger(b, EV_READ, 0);
    CHECK_INT(got_in_cb, -1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    r = got_in_cb;
    if (!r) {
        /* Blocked during the callback; gets the lock right after it. */
        CHECK_INT(read(sig[0], &c, 1), 1);
    }
    pthread_join(thr, NULL);
    event_base_loop(base, EVLOOP_NONBLOCK);
    CHECK_INT(read(sv[1], &c, 1), 1);
    CHECK_INT(c, 't');
    bufferevent_free(b);
    close(sv[1]);
    close(sig[0]);
    close(sig[1]);
    event_base_free(base);
    return r;
}

int main(void)
{
    test_begin("bevdefer2_unlock_cb");
    REQUIRE(evthread_use_pthreads() == 0);
    CHECK_INT(run(0), 0);
    CHECK_INT(run(BEV_OPT_UNLOCK_CALLBACKS), 1);
    libevent_global_shutdown();
    return test_end();
}
