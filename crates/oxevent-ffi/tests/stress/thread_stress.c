/*
 * thread_stress: N worker threads (default 4) add, delete (event_del,
 * event_del_block, event_del_noblock), free, re-create, re-assign and
 * activate events of one base while its loop runs in another thread, for a
 * given time (issue 14). evthread_use_pthreads; public API only.
 *
 *   thread_stress [SECONDS [THREADS [SEED]]]     (defaults 20, 4, 1)
 *
 * What counts as a violation: a callback that starts after a deletion of
 * its event returned in another thread, and had no add or activation since:
 *   - after event_del or event_del_block returned (these wait for a
 *     callback of the event that is running, so nothing of the event can
 *     start afterwards): any start is a violation;
 *   - after event_free returned (it deletes the same way first): any start
 *     of the freed incarnation is a violation, as is one after event_assign
 *     replaced the incarnation;
 *   - after event_del_noblock returned: it does not wait for a callback the
 *     loop thread is already running or about to run, by definition; as one
 *     loop thread runs one callback at a time, at most one start may still
 *     follow; a second one is a violation (later starts are prevented).
 * "Starts" is the first thing the callback does: it reads the event's
 * state word, which the worker stores (sequentially consistent atomics)
 * right after the deletion returned, and which it sets back to live right
 * before event_add or event_active. Each event is touched by one worker at a
 * time (a mutex per event, never taken by callbacks).
 *
 * Events: persistent write events on socketpair ends (always writable:
 * callbacks back to back), read events (persistent or not) that workers
 * feed, timers (0..2 ms, persistent or not), user events driven by
 * event_active. A keep-alive timer keeps the loop running; at the end the
 * main thread stops the workers, breaks the loop, frees everything.
 *
 * Prints one "ok thread_stress ..." line with the counts and exits 0, or
 * prints each violation (the first 20) and exits 1; a deadlock (a worker
 * stuck for 30 s) exits 3 naming the operation it is stuck in.
 */
#define _GNU_SOURCE
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSLOTS 48
#define NPAIRS 8
#define MAX_THREADS 32

enum { LIVE = 0, DEAD_BLOCK = 1, DEAD_NOBLOCK = 2 };
enum kind { K_WRITE, K_READ, K_TIMER, K_USER };

struct slot {
    pthread_mutex_t mu;
    struct event *ev;      /* guarded by mu */
    enum kind kind;        /* guarded by mu */
    short events;          /* guarded by mu */
    int fd;
    uint64_t word;         /* atomic: gen << 2 | state */
    unsigned after_noblock; /* atomic: starts seen in DEAD_NOBLOCK */
    int ended[8];          /* atomic: how generation g ended, at [g % 8] */
};

/* How an incarnation ended, for the report. */
enum { END_FREE = 1, END_FREE_AFTER_NOBLOCK, END_ASSIGN };
static const char *end_names[] = {
    "?", "event_free", "event_free after event_del_noblock", "event_del + event_assign",
};

static struct event_base *base;
static struct slot slots[NSLOTS];
static int pairs[NPAIRS][2];
static int stop;             /* atomic */
static unsigned long long callbacks, violations; /* atomic */
static unsigned long long n_add, n_active, n_del, n_del_block, n_del_noblock, n_free, n_new,
    n_assign, n_write;       /* atomic */
static unsigned long long by_end[4]; /* atomic: violations after each kind of end */
static unsigned long long v_after_del, v_after_noblock; /* atomic */
static const char *doing[MAX_THREADS]; /* atomic pointer: current op per worker */
static long long op_started[MAX_THREADS]; /* atomic: ms */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t ld(uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void st(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void count(unsigned long long *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static uint64_t rnd_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void report(const char *fmt, int i, unsigned long long a, unsigned long long b)
{
    unsigned long long n = __atomic_add_fetch(&violations, 1, __ATOMIC_SEQ_CST);
    if (n <= 20) {
        fprintf(stderr, "VIOLATION: ");
        fprintf(stderr, fmt, i, a, b);
        fprintf(stderr, "\n");
    }
}

static void cb(evutil_socket_t fd, short what, void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    int i = (int)(a & 0xffff);
    uint64_t gen = (uint64_t)(a >> 16);
    struct slot *s = &slots[i];
    uint64_t w = ld(&s->word); /* the start */
    char buf[256];
    (void)what;

    count(&callbacks);
    if ((w >> 2) != gen) {
        int how = __atomic_load_n(&s->ended[gen % 8], __ATOMIC_SEQ_CST);
        unsigned long long n = __atomic_add_fetch(&violations, 1, __ATOMIC_SEQ_CST);
        if (how < 0 || how > END_ASSIGN)
            how = 0;
        if (n <= 20)
            fprintf(stderr,
                "VIOLATION: slot %d: callback of generation %llu started after %s returned "
                "(now generation %llu)\n",
                i, (unsigned long long)gen, end_names[how], (unsigned long long)(w >> 2));
        count(&by_end[how]);
    } else if ((w & 3) == DEAD_BLOCK) {
        count(&v_after_del);
        report("slot %d: callback (generation %llu) started after event_del/event_del_block "
               "returned%.0llu",
            i, (unsigned long long)gen, 0ULL);
    } else if ((w & 3) == DEAD_NOBLOCK) {
        unsigned n = __atomic_add_fetch(&s->after_noblock, 1, __ATOMIC_SEQ_CST);
        if (n >= 2) {
            count(&v_after_noblock);
            report("slot %d: callback (generation %llu) started %llu times after "
                   "event_del_noblock returned (at most 1 may be in flight)",
                i, (unsigned long long)gen, (unsigned long long)n);
        }
    }
    if (what & EV_READ) {
        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
            ;
    }
    /* Now and then, stay a little: a wider window for the deleters. */
    if ((gen + (uint64_t)callbacks) % 64 == 0) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

static void *slot_arg(int i, uint64_t gen)
{
    return (void *)(uintptr_t)((gen << 16) | (uint64_t)i);
}

/* Picks what a new incarnation of slot i is; s->mu held. */
static void plan(struct slot *s, int i, uint64_t *rng)
{
    int p = (int)(rnd_next(rng) % NPAIRS);
    (void)i;
    switch (rnd_next(rng) % 4) {
    case 0:
        s->kind = K_WRITE;
        s->fd = pairs[p][rnd_next(rng) % 2];
        s->events = EV_WRITE | EV_PERSIST;
        break;
    case 1:
        s->kind = K_READ;
        s->fd = pairs[p][rnd_next(rng) % 2];
        s->events = (short)(EV_READ | (rnd_next(rng) % 2 ? EV_PERSIST : 0));
        break;
    case 2:
        s->kind = K_TIMER;
        s->fd = -1;
        s->events = (short)(rnd_next(rng) % 2 ? EV_PERSIST : 0);
        break;
    default:
        s->kind = K_USER;
        s->fd = -1;
        s->events = (short)(rnd_next(rng) % 2 ? EV_PERSIST : 0);
        break;
    }
}

/* The state word after a deletion of the current generation. */
static void mark_dead(struct slot *s, int how)
{
    uint64_t gen = ld(&s->word) >> 2;
    if (how == DEAD_NOBLOCK)
        __atomic_store_n(&s->after_noblock, 0, __ATOMIC_SEQ_CST);
    st(&s->word, gen << 2 | (uint64_t)how);
}

static void mark_live(struct slot *s)
{
    uint64_t gen = ld(&s->word) >> 2;
    st(&s->word, gen << 2 | LIVE);
}

struct worker {
    int id;
    uint64_t rng;
    unsigned long long ops;
};

static void set_doing(int id, const char *what)
{
    __atomic_store_n(&op_started[id], now_ms(), __ATOMIC_SEQ_CST);
    __atomic_store_n(&doing[id], what, __ATOMIC_SEQ_CST);
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
        int i = (int)(rnd_next(&wk->rng) % NSLOTS);
        struct slot *s = &slots[i];
        unsigned op = (unsigned)(rnd_next(&wk->rng) % 100);
        pthread_mutex_lock(&s->mu);
        if (!s->ev) {
            uint64_t gen = ld(&s->word) >> 2;
            plan(s, i, &wk->rng);
            set_doing(wk->id, "event_new");
            s->ev = event_new(base, s->fd, s->events, cb, slot_arg(i, gen));
            if (!s->ev) {
                fprintf(stderr, "event_new failed\n");
                exit(2);
            }
            count(&n_new);
        } else if (op < 30) {
            struct timeval tv = {0, (long)(rnd_next(&wk->rng) % 2000)};
            int with_tv = s->kind == K_TIMER || rnd_next(&wk->rng) % 4 == 0;
            set_doing(wk->id, "event_add");
            mark_live(s);
            if (event_add(s->ev, with_tv ? &tv : NULL) != 0) {
                fprintf(stderr, "slot %d: event_add failed\n", i);
                exit(2);
            }
            count(&n_add);
        } else if (op < 45) {
            set_doing(wk->id, "event_active");
            mark_live(s);
            event_active(s->ev, s->kind == K_WRITE ? EV_WRITE : EV_READ, 1);
            count(&n_active);
        } else if (op < 60) {
            set_doing(wk->id, "event_del");
            if (event_del(s->ev) != 0)
                fprintf(stderr, "slot %d: event_del failed\n", i);
            mark_dead(s, DEAD_BLOCK);
            count(&n_del);
        } else if (op < 65) {
            set_doing(wk->id, "event_del_block");
            if (event_del_block(s->ev) != 0)
                fprintf(stderr, "slot %d: event_del_block failed\n", i);
            mark_dead(s, DEAD_BLOCK);
            count(&n_del_block);
        } else if (op < 77) {
            set_doing(wk->id, "event_del_noblock");
            if (event_del_noblock(s->ev) != 0)
                fprintf(stderr, "slot %d: event_del_noblock failed\n", i);
            mark_dead(s, DEAD_NOBLOCK);
            count(&n_del_noblock);
        } else if (op < 83) {
            uint64_t w = ld(&s->word), gen = w >> 2;
            set_doing(wk->id, "event_free");
            event_free(s->ev);
            s->ev = NULL;
            __atomic_store_n(&s->ended[gen % 8],
                (w & 3) == DEAD_NOBLOCK ? END_FREE_AFTER_NOBLOCK : END_FREE, __ATOMIC_SEQ_CST);
            st(&s->word, (gen + 1) << 2 | DEAD_BLOCK);
            count(&n_free);
        } else if (op < 88) {
            /* Re-assign: only after a blocking delete (the event may still
             * run after a non-blocking one). */
            uint64_t gen;
            set_doing(wk->id, "event_del + event_assign");
            if (event_del(s->ev) != 0)
                fprintf(stderr, "slot %d: event_del failed\n", i);
            gen = ld(&s->word) >> 2;
            __atomic_store_n(&s->ended[gen % 8], END_ASSIGN, __ATOMIC_SEQ_CST);
            st(&s->word, (gen + 1) << 2 | DEAD_BLOCK);
            plan(s, i, &wk->rng);
            if (event_assign(s->ev, base, s->fd, s->events, cb, slot_arg(i, gen + 1)) != 0) {
                fprintf(stderr, "slot %d: event_assign failed\n", i);
                exit(2);
            }
            count(&n_assign);
        } else {
            int p = (int)(rnd_next(&wk->rng) % NPAIRS);
            set_doing(wk->id, "send");
            if (send(pairs[p][rnd_next(&wk->rng) % 2], "x", 1, MSG_DONTWAIT) == 1)
                count(&n_write);
        }
        set_doing(wk->id, NULL);
        pthread_mutex_unlock(&s->mu);
        wk->ops++;
    }
    return NULL;
}

static void *loop_main(void *arg)
{
    int r;
    (void)arg;
    r = event_base_loop(base, 0);
    if (r != 0 && !__atomic_load_n(&stop, __ATOMIC_SEQ_CST))
        fprintf(stderr, "event_base_loop returned %d before the end\n", r);
    return NULL;
}

static void keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 20.0;
    int nthreads = argc > 2 ? atoi(argv[2]) : 4;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
    struct worker workers[MAX_THREADS];
    pthread_t wth[MAX_THREADS], lth;
    struct event *keepalive;
    struct timeval one_s = {1, 0};
    long long start, deadline;
    unsigned long long total_ops = 0;
    int i, t;

    if (nthreads < 1 || nthreads > MAX_THREADS || seconds <= 0) {
        fprintf(stderr, "usage: %s [SECONDS [THREADS [SEED]]]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (evthread_use_pthreads() != 0) {
        fprintf(stderr, "evthread_use_pthreads failed\n");
        return 2;
    }
    base = event_base_new();
    if (!base)
        return 2;
    for (i = 0; i < NPAIRS; i++) {
        if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) != 0)
            return 2;
        evutil_make_socket_nonblocking(pairs[i][0]);
        evutil_make_socket_nonblocking(pairs[i][1]);
    }
    for (i = 0; i < NSLOTS; i++) {
        pthread_mutex_init(&slots[i].mu, NULL);
        slots[i].word = 1 << 2 | DEAD_BLOCK; /* generation 1, not pending */
    }
    keepalive = event_new(base, -1, EV_PERSIST, keepalive_cb, NULL);
    if (!keepalive || event_add(keepalive, &one_s) != 0)
        return 2;

    if (pthread_create(&lth, NULL, loop_main, NULL) != 0)
        return 2;
    for (t = 0; t < nthreads; t++) {
        workers[t].id = t;
        workers[t].rng = seed * 1000003ULL + (uint64_t)t * 7919ULL + 1;
        workers[t].ops = 0;
        if (pthread_create(&wth[t], NULL, worker_main, &workers[t]) != 0)
            return 2;
    }

    start = now_ms();
    deadline = start + (long long)(seconds * 1000);
    while (now_ms() < deadline) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        for (t = 0; t < nthreads; t++) {
            const char *what = __atomic_load_n(&doing[t], __ATOMIC_SEQ_CST);
            long long since = __atomic_load_n(&op_started[t], __ATOMIC_SEQ_CST);
            if (what && now_ms() - since > 30000) {
                fprintf(stderr, "DEADLOCK: worker %d stuck in %s for 30 s\n", t, what);
                _exit(3);
            }
        }
    }
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    /* Join the workers, watching for one stuck in a call. */
    for (t = 0; t < nthreads; t++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 30;
        if (pthread_timedjoin_np(wth[t], NULL, &ts) != 0) {
            const char *what = __atomic_load_n(&doing[t], __ATOMIC_SEQ_CST);
            fprintf(stderr, "DEADLOCK: worker %d did not finish (in %s)\n", t,
                what ? what : "?");
            _exit(3);
        }
        total_ops += workers[t].ops;
    }
    if (event_base_loopbreak(base) != 0)
        fprintf(stderr, "event_base_loopbreak failed\n");
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 30;
        if (pthread_timedjoin_np(lth, NULL, &ts) != 0) {
            fprintf(stderr, "DEADLOCK: the loop did not return after event_base_loopbreak\n");
            _exit(3);
        }
    }
    for (i = 0; i < NSLOTS; i++) {
        if (slots[i].ev)
            event_free(slots[i].ev);
        pthread_mutex_destroy(&slots[i].mu);
    }
    event_free(keepalive);
    event_base_free(base);
    for (i = 0; i < NPAIRS; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }

    printf("%s thread_stress %s: %.1f s, %d workers, seed %llu: %llu ops (add %llu, active %llu, "
           "del %llu, del_block %llu, del_noblock %llu, free %llu, new %llu, assign %llu, "
           "send %llu), %llu callbacks, %llu violations\n",
        violations ? "FAIL" : "ok", event_get_version(), (now_ms() - start) / 1000.0, nthreads,
        (unsigned long long)seed, total_ops, n_add, n_active, n_del, n_del_block, n_del_noblock,
        n_free, n_new, n_assign, n_write, callbacks, violations);
    if (violations)
        printf("violations: after event_del/event_del_block %llu, a 2nd start after "
               "event_del_noblock %llu, after event_free %llu, after event_free that followed "
               "event_del_noblock %llu, after event_del + event_assign %llu\n",
            v_after_del, v_after_noblock, by_end[END_FREE], by_end[END_FREE_AFTER_NOBLOCK],
            by_end[END_ASSIGN]);
    if (total_ops == 0 || callbacks == 0) {
        fprintf(stderr, "no progress: %llu ops, %llu callbacks\n", total_ops, callbacks);
        return 1;
    }
    return violations ? 1 : 0;
}
