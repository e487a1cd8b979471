/* Repro (found by tests/stress/thread_stress.c): the loop runs in its own
   thread; a second thread repeats, on one of two persistent EV_WRITE
   events on always-writable sockets: event_add, event_del_noblock, then
   event_del (blocking) + event_assign with a new callback argument (the
   incarnation number). A callback carrying an old incarnation number after
   event_del + event_assign returned is a callback of a deleted event
   (libevent: never). */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
static struct event_base *base;
static struct event evs[2];
static long gen[2];            /* current incarnation of each event */
static int sp[2][2];
static long bad, calls, worst;
static void cb(evutil_socket_t fd, short w, void *a) {
    (void)fd; (void)w;
    long g = (long)(intptr_t)a, i = g & 1, cur = __atomic_load_n(&gen[i], __ATOMIC_SEQ_CST);
    if (g != cur) { bad++; if ((cur - g) / 2 > worst) worst = (cur - g) / 2; }
    calls++;
}
static void keep(evutil_socket_t fd, short w, void *a) { (void)fd; (void)w; (void)a; }
static void *loop(void *a) { (void)a; event_base_dispatch(base); return NULL; }
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000;
    unsigned r = 1;
    evthread_use_pthreads();
    base = event_base_new();
    struct timeval s1 = {1, 0};
    struct event *k = event_new(base, -1, EV_PERSIST, keep, NULL); event_add(k, &s1);
    for (int i = 0; i < 2; i++) {
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]);
        gen[i] = i;
        event_assign(&evs[i], base, sp[i][0], EV_WRITE | EV_PERSIST, cb, (void *)(intptr_t)gen[i]);
    }
    pthread_t t; pthread_create(&t, NULL, loop, NULL);
    for (long j = 0; j < n; j++) {
        r = r * 1103515245 + 12345;
        int i = (r >> 16) & 1;
        switch ((r >> 8) % 3) {
        case 0: event_add(&evs[i], NULL); break;
        case 1: event_del_noblock(&evs[i]); break;
        default:
            event_del(&evs[i]);
            __atomic_store_n(&gen[i], gen[i] + 2, __ATOMIC_SEQ_CST);
            event_assign(&evs[i], base, sp[i][0], EV_WRITE | EV_PERSIST, cb, (void *)(intptr_t)gen[i]);
        }
    }
    event_del(&evs[0]); event_del(&evs[1]);
    event_base_loopbreak(base); pthread_join(t, NULL);
    printf("%ld ops, %ld callbacks, %ld with an old incarnation's argument after event_del + "
           "event_assign returned (up to %ld incarnations old; libevent: 0)\n", n, calls, bad, worst);
    event_free(k); event_base_free(base);
    return bad != 0;
}
