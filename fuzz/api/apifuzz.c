/*
 * apifuzz: a seeded, randomized fuzzer of the libevent 2.1 C API (issue 13).
 *
 * It drives the public API only (event2/event.h, event_struct.h,
 * event_compat.h) from one thread: events on pipes, socketpairs, timers,
 * signals and user events; add / del / del_noblock / del_block / active /
 * remove_timer / priority_set / pending / getters / assign / re-assign /
 * event_set + event_base_set / free / event_base_once / active_by_fd /
 * active_by_signal / foreach / loops with every flag / loopexit /
 * loopbreak / loopcontinue; writes, drains, fds closed and reopened;
 * struct memory filled with 0xff or random bytes before event_assign;
 * callbacks that do random operations themselves, including freeing,
 * deleting or re-assigning their own event and running loops of the other
 * base (or, refused, of their own).
 *
 * Bookkeeping. The harness keeps a model of every event slot: which memory
 * it is (event_new, malloc, static), whether it is assigned, its
 * generation (bumped by every assign and free), and whether it may be
 * called back ("armed": added and pending, or made active). A callback's
 * argument encodes slot and generation, never a pointer, so a stray
 * callback is detected without touching freed memory. It checks:
 *   - a callback runs only for an armed slot of the current generation
 *     (never after event_del / event_free / re-assign returned), with the
 *     slot's fd, and a `what` within the slot's events, EV_TIMEOUT and
 *     what event_active gave it;
 *   - an event_base_once callback runs at most once;
 *   - event_del leaves nothing pending; event_add makes the asked-for parts
 *     pending; event_remove_timer leaves no EV_TIMEOUT; a slot the model
 *     knows is neither added nor active is not pending;
 *   - getters return what was assigned; foreach lists only armed slots;
 *   - event_add / event_del / event_assign return what libevent returns for
 *     well-defined calls; out-of-range priorities are refused; a loop run
 *     from a callback of the same base is refused (-1);
 *   - no fatal-error callback.
 * libevent 2.1.12 semantics the model follows (each learnt from a run on
 * Debian's library that the first, simpler model called a violation):
 *   - event_add on an event that is active and not inserted (made active by
 *     event_active, or timed out and not yet run) adds only its timeout;
 *     a timed-out event leaves the I/O queues before it is activated;
 *   - a persistent event remembers a non-zero timeout across event_del, and
 *     when it runs (even made active after event_del) it re-adds itself
 *     with it, I/O included; event_remove_timer forgets the timeout only if
 *     one was pending; event_assign forgets it;
 *   - a signal event's burst (ncalls) is stopped by event_del from its
 *     callback, unless the event was made active again while its callback
 *     runs (event_active, event_base_active_by_signal) or its timer was
 *     removed (event_remove_timer clears ev_io.ev_timeout, which shares a
 *     union with ev_ncalls / ev_pncalls): the harness does neither;
 *   - a burst's calls all get the same `what`, which caught signals can
 *     widen with bits event_active added;
 *   - EV_ET and level-triggered events mix on one fd (refused in debug
 *     mode only); event_base_once drops EV_ET.
 *
 * A broken check prints "VIOLATION", the seed, the operation number and
 * the last 64 operations, and exits 1. A hang ends through alarm() with
 * exit 3 ("HANG"); a crash is reported by the signal and the checker
 * (valgrind, ASan) the harness runs under.
 *
 * Modes:
 *   defined (-m defined, default): only sequences that are well-defined on
 *     libevent 2.1.12, so the same run is a sanity check on Debian's
 *     library (nothing freed is used, nothing pending is re-assigned, no fd
 *     is closed under a pending event).
 *   misuse (-m misuse): also the misuse oxevent promises to survive (ours
 *     only): re-assign of a pending event (optionally over garbage, as if
 *     its memory were freed and re-used), also from its own callback;
 *     fds closed, and reopened to the same numbers, under pending events.
 *     The old incarnation of a re-assigned event must never be called back.
 *   -d (deterministic): timeouts are 0 or 5..10 s, loops never block and
 *     end after a seeded budget of callbacks, so a seed replays the same
 *     operations on every run (without -d, timers of 0.2..3 ms and guard
 *     timers make the sequence depend on timing; the log of the last
 *     operations is then what reproduces a failure).
 *   -K adds cases that hit defects already known (issues 8, 13, 14), so
 *     runs without it can find new ones: persistent {0,0} timers, add/del
 *     after a refused event_assign, huge fds, event_free after
 *     event_base_free (the last three only with -m misuse).
 *
 * Usage: apifuzz [-m defined|misuse] [-K] [-d] [-s FIRST_SEED] [-n SEEDS]
 *                [-o OPS] [-t SECONDS_PER_SEED] [-v] [-q]
 * Prints one summary line per seed (unless -q) and a total line;
 * exit 0 when every seed ran clean.
 */
#define _GNU_SOURCE
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NSLOTS 24
#define NCHANS 6
#define NBASES 2
#define NSTATIC 6
#define NCOMMON 3
#define MAX_DEPTH 3
#define RING 4096 /* kept; the last 64 are printed, and every line of the slot in question */
#define RING_SHOWN 64
#define RING_LINE 160

#define IO_BITS (EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)
#define ALL_BITS (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED)

/* ------------------------------------------------------------------ */
/* Options and global run state                                       */

static int opt_misuse, opt_known, opt_verbose, opt_quiet, opt_det;
static long opt_ops = 2000;
static unsigned opt_timeout = 60;

static unsigned long long cur_seed;
static long op_no;        /* operations done in this seed */
static int depth;         /* callback nesting depth */
static int running_base = -1; /* innermost base whose loop runs */
static int in_loop[NBASES];
static int loop_budget[NBASES]; /* -d: callbacks left before loopbreak */

static struct {
    long callbacks, once_callbacks, loops, adds, dels, assigns, frees, closes, misuse;
    long warnings;
} st;
static long tot_ops, tot_callbacks, tot_loops, tot_misuse;

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, one stream per seed                    */

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rn(unsigned n)
{
    return n ? (unsigned)(rnd() % n) : 0;
}

static int chance(unsigned percent)
{
    return rn(100) < percent;
}

/* ------------------------------------------------------------------ */
/* The operation log: a ring of the last RING operations              */

static char ring[RING][RING_LINE];
static unsigned ring_pos;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    char *line = ring[ring_pos++ % RING];
    int n = snprintf(line, RING_LINE, "%5ld %*s", op_no, depth * 2, "");
    va_start(ap, fmt);
    if (n > 0 && n < RING_LINE)
        vsnprintf(line + n, RING_LINE - n, fmt, ap);
    va_end(ap);
    if (opt_verbose)
        fprintf(stderr, "%s\n", line);
}

static int focus = -1; /* the slot the current check is about, or -1 */

/* Does `line` name slot `i` ("s12" not followed by a digit)? */
static int names_slot(const char *line, int i)
{
    char pat[8];
    const char *p = line;
    int n = snprintf(pat, sizeof(pat), "s%d", i);
    while ((p = strstr(p, pat)) != NULL) {
        if ((p == line || p[-1] == ' ' || p[-1] == '(') && (p[n] < '0' || p[n] > '9'))
            return 1;
        p += n;
    }
    return 0;
}

static void dump_ring(void)
{
    unsigned i, start = ring_pos > RING ? ring_pos - RING : 0;
    unsigned shown = ring_pos > RING_SHOWN ? ring_pos - RING_SHOWN : 0;
    if (focus >= 0) {
        fprintf(stderr, "operations on s%d in the last %u:\n", focus, ring_pos - start);
        for (i = start; i < shown; i++)
            if (names_slot(ring[i % RING], focus))
                fprintf(stderr, "  %s\n", ring[i % RING]);
    }
    fprintf(stderr, "last operations (op number, nesting, call):\n");
    for (i = shown; i < ring_pos; i++)
        fprintf(stderr, "  %s\n", ring[i % RING]);
}

static void dump_focus(void);
static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "VIOLATION seed=%llu op=%ld mode=%s%s%s: ", cur_seed, op_no,
        opt_misuse ? "misuse" : "defined", opt_known ? "+known" : "", opt_det ? "+det" : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    dump_focus();
    dump_ring();
    fflush(stderr);
    exit(1);
}

static void on_alarm(int sig)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "HANG seed=%llu op=%ld: no progress for %u s\n",
        cur_seed, op_no, opt_timeout);
    (void)sig;
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        _exit(3);
    dump_ring();
    _exit(3);
}

static void on_crash(int sig)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "CRASH seed=%llu op=%ld: signal %d\n", cur_seed,
        op_no, sig);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        _exit(4);
    dump_ring();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void log_cb(int severity, const char *msg)
{
    st.warnings++;
    if (opt_verbose)
        fprintf(stderr, "      [log %d] %s\n", severity, msg);
}

static void fatal_cb(int err)
{
    violation("the library called its fatal-error callback (%d)", err);
}

/* ------------------------------------------------------------------ */
/* Model                                                              */

struct end {
    evutil_socket_t fd;
    int open;
    int et;          /* events on this fd use EV_ET (all or none) */
    int once_pending; /* event_base_once events waiting on this fd */
};

struct chan {
    struct end e[2]; /* pipe: e[0] read end, e[1] write end */
    int is_pipe;
};

enum mem { MEM_NONE, MEM_NEW, MEM_MALLOC, MEM_STATIC };
enum state { ST_RAW, ST_OK, ST_FAILED };
enum kind { K_TIMER, K_IO, K_SIGNAL, K_USER };

struct slot {
    struct event *ev;
    enum mem mem;
    enum state state;
    enum kind kind;
    int b;
    evutil_socket_t fd;
    short events;
    unsigned gen;
    int added;       /* added and (as far as the model knows) pending */
    int active;      /* made active with event_active, not yet called */
    short res;       /* bits given to event_active since the last call */
    int closed_under; /* misuse: its fd was closed while it was armed */
    int looped;      /* a loop of its base ran since it was added: the
                        library may have activated it (timeout, I/O) */
    int burst;       /* signal: calls still allowed from one activation */
    int running;     /* its callback is on the stack */
    int io_tmo;      /* persistent: libevent remembers a non-zero timeout
                        (kept by event_del), and the event's own run re-adds
                        it with that timeout, even after event_del */
    int pri;
};

struct once_rec {
    int fired;
    int closed_under;
    int b;
    evutil_socket_t fd;
    short events;
};

static struct event_base *bases[NBASES];
static int nbases, npri[NBASES];
static const struct timeval *common[NBASES][NCOMMON];
static struct chan chans[NCHANS];
static struct slot slots[NSLOTS];
static struct event static_events[NSTATIC];
static int static_used[NSTATIC];
static struct once_rec **onces;
static size_t nonces, cap_onces;
static struct event *dead_after_base_free[NSLOTS]; /* -K misuse: freed after the base */
static int sig_handler_installed;
static struct event *guards[NBASES]; /* loop guards: priority 0 timers */
#define MAXFD 1024
static unsigned char tainted[MAXFD]; /* misuse: fd closed under armed events */

static void slot_cb(evutil_socket_t fd, short what, void *arg);
static void once_cb(evutil_socket_t fd, short what, void *arg);
static void do_op(int self);

static int armed(const struct slot *s)
{
    return s->added || s->active || s->burst > 0;
}

static void *slot_arg(int i)
{
    return (void *)(uintptr_t)(((uintptr_t)slots[i].gen << 8) | (uintptr_t)i);
}

static int fd_is_open(evutil_socket_t fd, struct end **endp)
{
    int c, k;
    if (fd < 0)
        return 0;
    for (c = 0; c < NCHANS; c++)
        for (k = 0; k < 2; k++)
            if (chans[c].e[k].open && chans[c].e[k].fd == fd) {
                if (endp)
                    *endp = &chans[c].e[k];
                return 1;
            }
    return 0;
}

/* Any armed slot, or pending once event, on this fd? */
static int fd_in_use(evutil_socket_t fd)
{
    int i;
    struct end *e;
    for (i = 0; i < NSLOTS; i++)
        if (slots[i].mem != MEM_NONE && slots[i].state == ST_OK && slots[i].kind == K_IO &&
            slots[i].fd == fd && armed(&slots[i]))
            return 1;
    if (fd_is_open(fd, &e) && e->once_pending)
        return 1;
    return 0;
}

static const char *mem_name(enum mem m)
{
    switch (m) {
    case MEM_NEW:
        return "new";
    case MEM_MALLOC:
        return "malloc";
    case MEM_STATIC:
        return "static";
    default:
        return "none";
    }
}

static void dump_focus(void)
{
    const struct slot *f;
    if (focus < 0 || focus >= NSLOTS)
        return;
    f = &slots[focus];
    fprintf(stderr,
        "model of s%d: %s, state %d, kind %d, base %d, fd %d, events 0x%x, gen %u, added %d, "
        "active %d, res 0x%x, looped %d, burst %d, io_tmo %d, closed_under %d, running %d\n",
        focus, mem_name(f->mem), f->state, f->kind, f->b, (int)f->fd, f->events, f->gen,
        f->added, f->active, f->res, f->looped, f->burst, f->io_tmo, f->closed_under,
        f->running);
}

/* ------------------------------------------------------------------ */
/* Channels                                                           */

static void open_chan(int c)
{
    int fds[2], k;
    struct chan *ch = &chans[c];
    ch->is_pipe = chance(40);
    if (ch->is_pipe) {
        if (pipe(fds) != 0) {
            perror("pipe");
            exit(2);
        }
    } else if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        perror("socketpair");
        exit(2);
    }
    for (k = 0; k < 2; k++) {
        ch->e[k].fd = fds[k];
        ch->e[k].open = 1;
        ch->e[k].et = chance(25);
        ch->e[k].once_pending = 0;
        evutil_make_socket_nonblocking(fds[k]);
    }
    note("open %s c%d: fds %d,%d (et %d,%d)", ch->is_pipe ? "pipe" : "socketpair", c,
        fds[0], fds[1], ch->e[0].et, ch->e[1].et);
}

static void close_end(int c, int k)
{
    struct end *e = &chans[c].e[k];
    int i;
    if (!e->open)
        return;
    for (i = 0; i < NSLOTS; i++) {
        struct slot *s = &slots[i];
        if (s->mem != MEM_NONE && s->state == ST_OK && s->kind == K_IO && s->fd == e->fd &&
            armed(s)) {
            s->closed_under = 1;
            if (e->fd < MAXFD)
                tainted[e->fd] = 1;
        }
    }
    if (e->once_pending && e->fd < MAXFD)
        tainted[e->fd] = 1;
    for (i = 0; i < (int)nonces; i++)
        if (!onces[i]->fired && onces[i]->fd == e->fd)
            onces[i]->closed_under = 1;
    note("close c%d end %d: fd %d", c, k, e->fd);
    close(e->fd);
    e->open = 0;
    e->once_pending = 0;
    st.closes++;
}

/* ------------------------------------------------------------------ */
/* Slots                                                              */

static short pick_io_events(struct end *e, int is_pipe, int k)
{
    short ev = 0;
    if (is_pipe)
        ev = k == 0 ? EV_READ : EV_WRITE;
    else
        ev = (short)((chance(60) ? EV_READ : 0) | (chance(40) ? EV_WRITE : 0));
    if (ev == 0)
        ev = EV_READ;
    if (chance(20))
        ev |= EV_CLOSED;
    if (chance(60))
        ev |= EV_PERSIST;
    if (e->et)
        ev |= EV_ET;
    return ev;
}

/* Set while a pending slot is re-assigned without event_del (misuse): the
 * new assignment keeps its base. oxevent finds a pending struct that is
 * re-assigned by its address in the base it is assigned to, and in every
 * base only in debug mode (it never reads the bytes of a struct being
 * assigned, which may be uninitialised; see oxevent-ffi's handle.rs); a
 * struct re-assigned to another base while pending keeps its old
 * registration there, as libevent's does (which then corrupts its lists). */
static int keep_base = -1;

static int plan_slot_kind(struct slot *s);

/* Chooses what a slot will be (kind, base, fd, events); 0 if impossible. */
static int plan_slot(struct slot *s)
{
    struct slot before = *s;
    if (!plan_slot_kind(s))
        return 0;
    if (keep_base >= 0 && s->b != keep_base) {
        *s = before; /* another base: not this time */
        return 0;
    }
    return 1;
}

static int plan_slot_kind(struct slot *s)
{
    int tries;
    s->b = (int)rn((unsigned)nbases);
    switch (rn(10)) {
    case 0:
    case 1:
    case 2:
        s->kind = K_TIMER;
        s->fd = -1;
        s->events = chance(40) ? EV_PERSIST : 0;
        return 1;
    case 3:
        s->kind = K_SIGNAL;
        s->b = 0;
        s->fd = chance(50) ? SIGUSR1 : SIGUSR2;
        s->events = EV_SIGNAL | EV_PERSIST;
        return 1;
    case 4:
        s->kind = K_USER;
        s->fd = -1;
        s->events = chance(50) ? EV_PERSIST : 0;
        return 1;
    default:
        for (tries = 0; tries < 8; tries++) {
            int c = (int)rn(NCHANS), k = (int)rn(2);
            struct end *e = &chans[c].e[k];
            if (!e->open)
                continue;
            s->kind = K_IO;
            s->fd = e->fd;
            s->events = pick_io_events(e, chans[c].is_pipe, k);
            return 1;
        }
        s->kind = K_TIMER;
        s->fd = -1;
        s->events = 0;
        return 1;
    }
}

static void check_getters(int i)
{
    struct slot *s = &slots[i];
    if (s->state != ST_OK)
        return;
    if (event_get_fd(s->ev) != s->fd)
        violation("s%d: event_get_fd %d, assigned %d", i, (int)event_get_fd(s->ev), (int)s->fd);
    if (event_get_events(s->ev) != s->events)
        violation("s%d: event_get_events 0x%x, assigned 0x%x", i, event_get_events(s->ev),
            s->events);
    if (event_get_base(s->ev) != bases[s->b])
        violation("s%d: event_get_base is not the assigned base", i);
    if (event_get_callback(s->ev) != slot_cb)
        violation("s%d: event_get_callback is not the assigned callback", i);
    if (event_get_callback_arg(s->ev) != slot_arg(i))
        violation("s%d: event_get_callback_arg is not the assigned argument", i);
    if (!event_initialized(s->ev))
        violation("s%d: event_initialized 0 after a successful assign", i);
}

static void check_not_pending(int i, const char *after)
{
    struct slot *s = &slots[i];
    int p = event_pending(s->ev, ALL_BITS, NULL);
    if (p != 0)
        violation("s%d: event_pending 0x%x after %s (expected 0)", i, p, after);
}

/* Fills struct memory before an assign: 0xff, random bytes, or as is. */
static void scribble(struct event *ev, const char *why)
{
    size_t n = event_get_struct_event_size(), j;
    unsigned char *p = (unsigned char *)ev;
    switch (rn(3)) {
    case 0:
        memset(p, 0xff, n);
        note("  memset(%s memory, 0xff)", why);
        break;
    case 1:
        for (j = 0; j < n; j++)
            p[j] = (unsigned char)rnd();
        note("  fill %s memory with random bytes", why);
        break;
    default:
        break;
    }
}

/* (Re-)assigns slot i over its memory; the old incarnation ends here. */
static void assign_slot(int i, int garbage)
{
    struct slot *s = &slots[i];
    int r, bad = 0;
    short events;

    if (!plan_slot(s))
        return;
    s->gen++;
    s->added = s->active = s->looped = s->burst = s->io_tmo = s->running = 0;
    s->res = 0;
    s->closed_under = 0;
    if (garbage)
        scribble(s->ev, "struct");
    events = s->events;
    /* An invalid combination now and then: refused with -1. */
    if (s->kind != K_SIGNAL && chance(4)) {
        bad = 1;
        events = EV_SIGNAL | EV_READ;
    }
    if (!bad && s->kind != K_SIGNAL && chance(10) && s->ev != NULL) {
        /* The 1.x way: event_set, then event_base_set. */
        event_set(s->ev, s->fd, events, slot_cb, slot_arg(i));
        r = event_base_set(bases[s->b], s->ev);
        note("event_set(s%d, fd %d, 0x%x) + event_base_set(b%d) -> %d", i, (int)s->fd,
            events, s->b, r);
    } else {
        r = event_assign(s->ev, bases[s->b], s->fd, events, slot_cb, slot_arg(i));
        note("event_assign(s%d %s, b%d, fd %d, 0x%x) -> %d", i, mem_name(s->mem), s->b,
            (int)s->fd, events, r);
    }
    st.assigns++;
    if (bad) {
        if (r != -1)
            violation("event_assign with EV_SIGNAL|EV_READ returned %d (libevent: -1)", r);
        s->state = ST_FAILED;
        return;
    }
    if (r != 0)
        violation("s%d: assign returned %d for a valid assignment", i, r);
    s->state = ST_OK;
    s->pri = -1;
    check_getters(i);
    if (chance(30)) {
        int p = (int)rn((unsigned)npri[s->b]);
        r = event_priority_set(s->ev, p);
        note("event_priority_set(s%d, %d) -> %d", i, p, r);
        if (r != 0)
            violation("s%d: event_priority_set(%d) on a fresh event returned %d", i, p, r);
        s->pri = p;
    }
}

static void create_slot(int i)
{
    struct slot *s = &slots[i];
    int k;
    if (!plan_slot(s))
        return;
    s->gen++;
    s->added = s->active = s->looped = s->burst = s->io_tmo = s->running = 0;
    s->res = 0;
    s->closed_under = 0;
    s->pri = -1;
    switch (rn(4)) {
    case 0:
    case 1:
        s->ev = event_new(bases[s->b], s->fd, s->events, slot_cb, slot_arg(i));
        note("s%d = event_new(b%d, fd %d, 0x%x) -> %s", i, s->b, (int)s->fd, s->events,
            s->ev ? "ok" : "NULL");
        if (!s->ev)
            violation("event_new returned NULL for a valid event");
        s->mem = MEM_NEW;
        s->state = ST_OK;
        check_getters(i);
        return;
    case 2:
        s->ev = malloc(event_get_struct_event_size());
        if (!s->ev) {
            perror("malloc");
            exit(2);
        }
        s->mem = MEM_MALLOC;
        s->state = ST_RAW;
        scribble(s->ev, "malloc'd");
        break;
    default:
        for (k = 0; k < NSTATIC && static_used[k]; k++)
            ;
        if (k == NSTATIC) {
            s->ev = malloc(event_get_struct_event_size());
            if (!s->ev)
                exit(2);
            s->mem = MEM_MALLOC;
        } else {
            static_used[k] = 1;
            s->ev = &static_events[k];
            s->mem = MEM_STATIC;
        }
        s->state = ST_RAW;
        break;
    }
    s->gen--; /* assign_slot bumps it again */
    assign_slot(i, 0);
}

/* Ends slot i the well-defined way: event_free, or event_del + free(). */
static void release_slot(int i)
{
    struct slot *s = &slots[i];
    int r;
    if (s->mem == MEM_NONE)
        return;
    if (s->mem == MEM_NEW) {
        if (s->state == ST_FAILED && !opt_known) {
            /* issue 13 (known): ours crashes freeing an event whose assign
             * was refused over garbage; libevent frees it. Without -K the
             * struct is assigned validly first. */
            r = event_assign(s->ev, bases[s->b], -1, 0, slot_cb, slot_arg(i));
            note("event_assign(s%d, valid) before event_free of a refused struct -> %d", i, r);
            if (r != 0)
                violation("s%d: valid event_assign returned %d", i, r);
        }
        note("event_free(s%d)", i);
        event_free(s->ev);
    } else {
        if (s->state == ST_OK) {
            r = event_del(s->ev);
            note("event_del(s%d) before releasing its memory -> %d", i, r);
            if (r != 0)
                violation("s%d: event_del returned %d", i, r);
            check_not_pending(i, "event_del");
        }
        if (s->mem == MEM_MALLOC) {
            note("free(s%d memory)", i);
            free(s->ev);
        } else {
            static_used[s->ev - static_events] = 0;
        }
    }
    st.frees++;
    s->ev = NULL;
    s->mem = MEM_NONE;
    s->gen++;
    s->added = s->active = s->looped = s->burst = s->io_tmo = s->running = 0;
    s->state = ST_RAW;
}

/* ------------------------------------------------------------------ */
/* Operations                                                         */

static const struct timeval *pick_tv(int b, struct timeval *tv, int persist)
{
    if (opt_det) {
        /* Only timeouts that are due at once or never within the run. */
        switch (rn(4)) {
        case 0:
            return NULL;
        case 1:
            if (persist && !opt_known)
                return NULL;
            tv->tv_sec = 0;
            tv->tv_usec = 0;
            return tv;
        case 2:
            return common[b][rn(NCOMMON)];
        default:
            tv->tv_sec = 5 + rn(5);
            tv->tv_usec = rn(1000000);
            return tv;
        }
    }
    switch (rn(8)) {
    case 0:
        return NULL;
    case 1:
        if (persist && !opt_known)
            break; /* issue 13: persistent {0,0} timers re-arm forever on ours */
        tv->tv_sec = 0;
        tv->tv_usec = 0;
        return tv;
    case 2:
        if (common[b][0])
            return common[b][rn(NCOMMON)];
        break;
    case 3:
        tv->tv_sec = 5 + rn(5);
        tv->tv_usec = 0;
        return tv;
    default:
        break;
    }
    tv->tv_sec = 0;
    tv->tv_usec = 200 + rn(3000);
    return tv;
}

static void op_add(int i)
{
    struct slot *s = &slots[i];
    struct timeval tvbuf;
    const struct timeval *tv;
    struct end *e = NULL;
    int r, p, want;

    if (s->state != ST_OK)
        return;
    if (s->kind == K_IO) {
        int open = fd_is_open(s->fd, &e);
        /* An fd now used with the other EV_ET setting: libevent accepts the
         * mix (outside debug mode), ours refuses it (a known gap, -K). */
        int et_ok = open && (!!(s->events & EV_ET) == e->et || opt_known);
        if (!open && !opt_misuse)
            return;
        if (open && !et_ok)
            return;
        if (!open) {
            if (!opt_misuse)
                return;
            /* misuse: add on a closed (or reused) fd; must survive */
            tv = pick_tv(s->b, &tvbuf, s->events & EV_PERSIST);
            r = event_add(s->ev, tv);
            note("MISUSE event_add(s%d on closed/reused fd %d) -> %d", i, (int)s->fd, r);
            st.misuse++;
            if (s->fd >= 0 && s->fd < MAXFD)
                tainted[s->fd] = 1;
            if (r == 0) {
                s->added = 1;
                s->closed_under = 1;
                if (tv && (s->events & EV_PERSIST))
                    s->io_tmo = tv->tv_sec != 0 || tv->tv_usec != 0;
                if (in_loop[s->b])
                    s->looped = 1;
            }
            return;
        }
    }
    tv = pick_tv(s->b, &tvbuf, s->events & EV_PERSIST);
    r = event_add(s->ev, tv);
    if (tv)
        note("event_add(s%d, {%ld, %ld}) -> %d", i, (long)tv->tv_sec, (long)tv->tv_usec, r);
    else
        note("event_add(s%d, NULL) -> %d", i, r);
    st.adds++;
    if (r != 0 && s->kind == K_IO && s->fd < MAXFD && tainted[s->fd]) {
        /* misuse: stale registrations of the closed file may remain */
        note("  (fd %d was closed under armed events: -1 accepted)", (int)s->fd);
        return;
    }
    if (r != 0)
        violation("s%d: event_add returned %d for a valid add", i, r);
    if ((s->events & IO_BITS) || tv)
        s->added = 1;
    if (tv && (s->events & EV_PERSIST) && s->kind != K_SIGNAL)
        s->io_tmo = tv->tv_sec != 0 || tv->tv_usec != 0;
    if (in_loop[s->b])
        s->looped = 1;
    /* libevent does not insert the I/O part of an event that is active
     * and not inserted (made active by event_active, or by a timeout that
     * has not run yet): then only the timeout is added. */
    want = (!s->active && !s->looped && !s->closed_under && !(s->kind == K_IO && s->fd >= 0 && s->fd < MAXFD && tainted[s->fd])
                   ? (s->events & IO_BITS)
                   : 0) |
           (tv ? EV_TIMEOUT : 0);
    p = event_pending(s->ev, want, NULL);
    /* A zero timeout may already be active: still reported as pending. */
    if ((p & want) != want)
        violation("s%d: event_pending 0x%x right after event_add, expected 0x%x", i, p, want);
}

static void op_del(int i, int how)
{
    struct slot *s = &slots[i];
    static const char *names[] = {"event_del", "event_del_noblock", "event_del_block"};
    int r;
    if (s->state != ST_OK)
        return;
    r = how == 0 ? event_del(s->ev) : how == 1 ? event_del_noblock(s->ev) : event_del_block(s->ev);
    note("%s(s%d) -> %d", names[how], i, r);
    st.dels++;
    if (r != 0)
        violation("s%d: %s returned %d", i, names[how], r);
    s->added = s->active = s->looped = s->burst = 0;
    s->res = 0;
    check_not_pending(i, names[how]);
}

static int current_self = -1; /* slot whose callback runs innermost */

static void op_active(int i)
{
    struct slot *s = &slots[i];
    short res;
    int ncalls = 1;
    if (s->state != ST_OK)
        return;
    /* libevent: a signal event made active while its callback runs
     * forgets the running burst, and a later event_del no longer stops it
     * (the burst goes on with whatever the struct holds then). */
    if (s->kind == K_SIGNAL && s->running)
        return;
    /* A persistent event with a remembered timeout re-adds itself when it
     * runs: on a closed fd that is misuse (select then fails with EBADF). */
    if (s->kind == K_IO && s->io_tmo && !fd_is_open(s->fd, NULL) && !opt_misuse)
        return;
    res = (short)(rn(2) ? EV_READ : 0) | (short)(rn(2) ? EV_WRITE : 0) |
          (short)(rn(3) == 0 ? EV_TIMEOUT : 0);
    if (s->kind == K_SIGNAL) {
        res |= EV_SIGNAL;
        ncalls = 1 + (int)rn(3);
    }
    if (res == 0)
        res = EV_READ;
    event_active(s->ev, res, ncalls);
    note("event_active(s%d, 0x%x, %d)", i, res, ncalls);
    s->active = 1;
    s->res |= res;
    if (s->kind == K_SIGNAL && ncalls > s->burst)
        s->burst = ncalls;
}

static void op_remove_timer(int i)
{
    struct slot *s = &slots[i];
    int r, p;
    if (s->state != ST_OK)
        return;
    /* libevent 2.1.12 clears ev_io.ev_timeout, which shares a union with a
     * signal event's ev_ncalls / ev_pncalls: removing the timer of a signal
     * event during its burst makes a later event_del unable to stop it. */
    if (s->kind == K_SIGNAL && s->running)
        return;
    /* libevent forgets the timeout only if one was pending; EV_TIMEOUT in
     * event_pending may also come from an activation, so the model forgets
     * it only when it is sure (keeping it is the safe side: the harness
     * then deletes before re-assigning). */
    if (event_pending(s->ev, EV_TIMEOUT, NULL) && !s->active && !s->looped)
        s->io_tmo = 0;
    r = event_remove_timer(s->ev);
    note("event_remove_timer(s%d) -> %d", i, r);
    if (r != 0)
        violation("s%d: event_remove_timer returned %d", i, r);
    p = event_pending(s->ev, ALL_BITS, NULL);
    /* EV_TIMEOUT may still show as the result of an activation that has
     * not run yet: by event_active, or by the library in an earlier loop. */
    if ((p & EV_TIMEOUT) && !s->looped && !(s->active && (s->res & EV_TIMEOUT)))
        violation("s%d: EV_TIMEOUT still pending (0x%x) after event_remove_timer", i, p);
}

static void op_priority(int i)
{
    struct slot *s = &slots[i];
    int p, r;
    if (s->state != ST_OK)
        return;
    p = (int)rn((unsigned)npri[s->b] + 2) - 1; /* -1 .. npri */
    r = event_priority_set(s->ev, p);
    note("event_priority_set(s%d, %d) -> %d", i, p, r);
    if ((p < 0 || p >= npri[s->b]) && r != -1)
        violation("s%d: event_priority_set(%d) out of range returned %d", i, p, r);
    if (r == 0 && event_get_priority(s->ev) != p)
        violation("s%d: event_get_priority %d after setting %d", i, event_get_priority(s->ev), p);
    if (!armed(s) && p >= 0 && p < npri[s->b] && r != 0)
        violation("s%d: event_priority_set(%d) on an idle event returned %d", i, p, r);
}

static void op_pending(int i)
{
    struct slot *s = &slots[i];
    struct timeval tv = {-1, -1};
    int p;
    if (s->state != ST_OK)
        return;
    p = event_pending(s->ev, ALL_BITS, &tv);
    note("event_pending(s%d) -> 0x%x", i, p);
    if (p & ~ALL_BITS)
        violation("s%d: event_pending returned unknown bits 0x%x", i, p);
    if (!armed(s) && p)
        violation("s%d: event_pending 0x%x for an event neither added nor active", i, p);
    if ((p & EV_TIMEOUT) && (tv.tv_usec < 0 || tv.tv_usec >= 1000000))
        violation("s%d: event_pending gave tv_usec %ld", i, (long)tv.tv_usec);
    check_getters(i);
}

static void op_free(int i)
{
    release_slot(i);
}

static void op_reassign(int i)
{
    struct slot *s = &slots[i];
    int r;
    if (s->mem == MEM_NONE)
        return;
    if (s->state == ST_OK && armed(s)) {
        if (opt_misuse && chance(50)) {
            note("MISUSE re-assign of armed s%d without event_del", i);
            st.misuse++;
            keep_base = s->b;
            assign_slot(i, chance(50));
            keep_base = -1;
            return;
        }
        r = event_del(s->ev);
        note("event_del(s%d) before re-assign -> %d", i, r);
        if (r != 0)
            violation("s%d: event_del returned %d", i, r);
        check_not_pending(i, "event_del");
        s->added = s->active = s->looped = s->burst = 0;
    }
    if (s->state == ST_FAILED && opt_misuse && opt_known && chance(50)) {
        /* issue 13: add/del after a refused assign (libevent: 0, 0) */
        struct timeval tv = {5, 0};
        int a = event_add(s->ev, chance(50) ? &tv : NULL);
        int d = event_del(s->ev);
        note("KNOWN event_add/event_del on refused s%d -> %d, %d", i, a, d);
        st.misuse++;
    }
    assign_slot(i, s->mem != MEM_NEW || chance(30));
}

static void op_once(void)
{
    struct once_rec *o;
    struct timeval tvbuf, *tv = NULL;
    int b = (int)rn((unsigned)nbases), r;
    struct end *e = NULL;

    o = calloc(1, sizeof(*o));
    if (!o)
        exit(2);
    o->b = b;
    o->fd = -1;
    o->events = EV_TIMEOUT;
    if (chance(40)) {
        int c = (int)rn(NCHANS), k = (int)rn(2);
        e = &chans[c].e[k];
        if (e->open) {
            o->fd = e->fd;
            o->events = (short)((chans[c].is_pipe ? (k ? EV_WRITE : EV_READ) : EV_READ) |
                                (chance(30) ? EV_TIMEOUT : 0));
            /* A once event is never edge-triggered (libevent drops EV_ET),
             * and ours refuses to mix EV_ET and level events on one fd,
             * which libevent allows outside debug mode (found by this
             * fuzzer; a known gap, -K). */
            if (e->et && !opt_known) {
                o->fd = -1;
                o->events = EV_TIMEOUT;
                e = NULL;
            }
        } else {
            e = NULL;
        }
    }
    if (o->events & EV_TIMEOUT || chance(50)) {
        tvbuf.tv_sec = 0;
        tvbuf.tv_usec = chance(20) ? 0 : 100 + rn(3000);
        if (opt_det && tvbuf.tv_usec) {
            tvbuf.tv_sec = 5 + rn(5);
            tvbuf.tv_usec = 0;
        }
        tv = &tvbuf;
    }
    if (opt_known && opt_misuse && chance(3)) {
        static const evutil_socket_t huge[] = {INT_MAX, INT_MAX - 1, 1 << 30};
        evutil_socket_t fd = huge[rn(3)];
        r = event_base_once(bases[b], fd, EV_READ, once_cb, o, tv);
        note("KNOWN event_base_once(b%d, fd %d) -> %d", b, (int)fd, r);
        if (r != -1)
            violation("event_base_once with fd %d returned %d (libevent: -1)", (int)fd, r);
        free(o);
        return;
    }
    r = event_base_once(bases[b], o->fd, o->events, once_cb, o, tv);
    note("event_base_once(b%d, fd %d, 0x%x, tv %s) -> %d", b, (int)o->fd, o->events,
        tv ? "yes" : "NULL", r);
    if (r != 0 && o->fd >= 0 && o->fd < MAXFD && tainted[o->fd]) {
        note("  (fd %d was closed under armed events: -1 accepted)", (int)o->fd);
        free(o);
        return;
    }
    if (r != 0)
        violation("event_base_once returned %d", r);
    if (e)
        e->once_pending++;
    if (nonces == cap_onces) {
        cap_onces = cap_onces ? cap_onces * 2 : 64;
        onces = realloc(onces, cap_onces * sizeof(*onces));
        if (!onces)
            exit(2);
    }
    onces[nonces++] = o;
}

static void op_write(void)
{
    int c = (int)rn(NCHANS), k = chans[c].is_pipe ? 1 : (int)rn(2);
    struct end *e = &chans[c].e[k];
    char buf[64];
    size_t n = 1 + rn(sizeof(buf));
    ssize_t w;
    if (!e->open)
        return;
    memset(buf, 'x', n);
    w = write(e->fd, buf, n);
    note("write(fd %d, %zu) -> %zd", e->fd, n, w);
}

static void op_drain(void)
{
    int c = (int)rn(NCHANS), k = chans[c].is_pipe ? 0 : (int)rn(2);
    struct end *e = &chans[c].e[k];
    char buf[4096];
    ssize_t r, total = 0;
    if (!e->open)
        return;
    while ((r = read(e->fd, buf, sizeof(buf))) > 0)
        total += r;
    note("drain(fd %d) -> %zd bytes", e->fd, total);
}

static void op_close(void)
{
    int c = (int)rn(NCHANS), k, pick[2], misuse = 0;
    if (chance(50)) {
        pick[0] = pick[1] = 1;
    } else {
        pick[0] = chance(50);
        pick[1] = !pick[0];
    }
    for (k = 0; k < 2; k++) {
        if (!pick[k] || !chans[c].e[k].open)
            continue;
        if (fd_in_use(chans[c].e[k].fd)) {
            if (!opt_misuse)
                return;
            misuse = 1;
        }
    }
    if (misuse) {
        note("MISUSE closing c%d under armed events", c);
        st.misuse++;
    }
    for (k = 0; k < 2; k++)
        if (pick[k])
            close_end(c, k);
    /* Reopen right away when fully closed: the fd numbers come back. */
    if (!chans[c].e[0].open && !chans[c].e[1].open && chance(70))
        open_chan(c);
}

static void op_raise(void)
{
    int sig = chance(50) ? SIGUSR1 : SIGUSR2;
    note("raise(%s)", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
    raise(sig);
}

static void op_active_by(void)
{
    int b = (int)rn((unsigned)nbases), i;
    if (chance(50)) {
        int c = (int)rn(NCHANS), k = (int)rn(2);
        short what = chance(50) ? EV_READ : EV_WRITE;
        struct end *e = &chans[c].e[k];
        if (!e->open)
            return;
        event_base_active_by_fd(bases[b], e->fd, what);
        note("event_base_active_by_fd(b%d, fd %d, 0x%x)", b, e->fd, what);
        /* Events added on that fd may now be active with `what`. */
        for (i = 0; i < NSLOTS; i++)
            if (slots[i].mem != MEM_NONE && slots[i].state == ST_OK && slots[i].b == b &&
                slots[i].kind == K_IO && slots[i].fd == e->fd && slots[i].added)
                slots[i].res |= what;
    } else {
        int sig = chance(50) ? SIGUSR1 : SIGUSR2;
        for (i = 0; i < NSLOTS; i++)
            if (slots[i].mem != MEM_NONE && slots[i].kind == K_SIGNAL && slots[i].running &&
                slots[i].fd == sig)
                return; /* the same quirk as in op_active */
        event_base_active_by_signal(bases[b], sig);
        note("event_base_active_by_signal(b%d, %d)", b, sig);
    }
}

static int foreach_cb(const struct event_base *base, const struct event *ev, void *arg)
{
    int b = *(int *)arg;
    uintptr_t a;
    int i;
    (void)base;
    if (event_get_callback(ev) != slot_cb)
        return 0; /* once events, loopexit */
    a = (uintptr_t)event_get_callback_arg(ev);
    i = (int)(a & 0xff);
    if (i >= NSLOTS)
        violation("foreach(b%d): event with a corrupt argument", b);
    if (slots[i].ev != ev || slots[i].gen != (unsigned)(a >> 8) || !armed(&slots[i]))
        violation("foreach(b%d): lists s%d (gen %u), which is freed, re-assigned or idle", b, i,
            (unsigned)(a >> 8));
    return 0;
}

static void op_foreach(void)
{
    int b = (int)rn((unsigned)nbases);
    int r = event_base_foreach_event(bases[b], foreach_cb, &b);
    note("event_base_foreach_event(b%d) -> %d", b, r);
}

static void op_loop(void)
{
    static const int flag_sets[] = {
        EVLOOP_NONBLOCK, EVLOOP_ONCE | EVLOOP_NONBLOCK, EVLOOP_ONCE, 0,
    };
    int b = (int)rn((unsigned)nbases), flags, r, prev, i;
    struct timeval guard;

    if (in_loop[b]) {
        /* Refused: a loop of this base is already running. */
        r = event_base_loop(bases[b], EVLOOP_NONBLOCK);
        note("event_base_loop(b%d) from inside its own loop -> %d", b, r);
        if (r != -1)
            violation("reentrant event_base_loop on b%d returned %d (libevent: -1)", b, r);
        return;
    }
    if (depth >= MAX_DEPTH)
        return;
    flags = flag_sets[rn(opt_det ? 2 : 4)];
    /* The guard: a priority-0 timer that breaks the loop, so events that
     * are always ready (or starve lower priorities) cannot keep it going.
     * With -d, the loop never blocks and a callback budget breaks it; the
     * timer (10 s) is only a safety net. */
    guard.tv_sec = 0;
    guard.tv_usec = 500 + rn(2500);
    if (opt_det) {
        guard.tv_sec = 10;
        loop_budget[b] = 10 + (int)rn(200);
    }
    r = event_add(guards[b], &guard);
    if (r != 0)
        violation("event_add(guard) returned %d", r);
    for (i = 0; i < NSLOTS; i++)
        if (slots[i].mem != MEM_NONE && slots[i].b == b && slots[i].added)
            slots[i].looped = 1;
    note("event_base_loop(b%d, 0x%x) [guard %ld us]", b, flags, (long)guard.tv_usec);
    st.loops++;
    in_loop[b] = 1;
    prev = running_base;
    running_base = b;
    r = event_base_loop(bases[b], flags);
    running_base = prev;
    in_loop[b] = 0;
    note("  loop b%d -> %d", b, r);
    if (r < 0 || r > 1)
        violation("event_base_loop(b%d, 0x%x) returned %d", b, flags, r);
    if (event_del(guards[b]) != 0)
        violation("event_del(guard) failed");
}

static void op_loopctl(void)
{
    int b = (int)rn((unsigned)nbases), r;
    switch (rn(3)) {
    case 0:
        r = event_base_loopbreak(bases[b]);
        note("event_base_loopbreak(b%d) -> %d", b, r);
        break;
    case 1: {
        struct timeval tv = {0, opt_det ? 0 : rn(2000)};
        r = event_base_loopexit(bases[b], chance(30) ? NULL : &tv);
        note("event_base_loopexit(b%d) -> %d", b, r);
        break;
    }
    default:
        r = event_base_loopcontinue(bases[b]);
        note("event_base_loopcontinue(b%d) -> %d", b, r);
        break;
    }
    if (r != 0)
        violation("loop control on b%d returned %d", b, r);
}

/* One random operation; `self` is the slot whose callback runs, or -1. */
static void do_op(int self)
{
    int i = (int)rn(NSLOTS);
    unsigned pick;

    op_no++;
    if (self >= 0 && chance(25))
        i = self;
    focus = i;
    pick = rn(100);
    if (pick < 12) {
        if (slots[i].mem == MEM_NONE)
            create_slot(i);
        else
            op_reassign(i);
    } else if (pick < 30) {
        if (slots[i].mem == MEM_NONE)
            create_slot(i);
        else
            op_add(i);
    } else if (pick < 38) {
        if (slots[i].mem != MEM_NONE)
            op_del(i, chance(70) ? 0 : 1 + (int)rn(2));
    } else if (pick < 44) {
        if (slots[i].mem != MEM_NONE)
            op_active(i);
    } else if (pick < 46) {
        if (slots[i].mem != MEM_NONE)
            op_remove_timer(i);
    } else if (pick < 48) {
        if (slots[i].mem != MEM_NONE)
            op_priority(i);
    } else if (pick < 52) {
        if (slots[i].mem != MEM_NONE)
            op_pending(i);
    } else if (pick < 57) {
        op_free(i);
    } else if (pick < 60) {
        op_once();
    } else if (pick < 70) {
        op_loop();
    } else if (pick < 73) {
        op_loopctl();
    } else if (pick < 82) {
        op_write();
    } else if (pick < 85) {
        op_drain();
    } else if (pick < 88) {
        op_close();
    } else if (pick < 91) {
        op_raise();
    } else if (pick < 93) {
        op_active_by();
    } else if (pick < 95) {
        op_foreach();
    } else {
        /* Idle slots get created more often. */
        if (slots[i].mem == MEM_NONE)
            create_slot(i);
        else if (slots[i].state == ST_OK && !armed(&slots[i]))
            op_add(i);
    }
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */

/* -d: a loop ends after its budget of callbacks, by loopbreak. */
static void spend_budget(int b)
{
    if (opt_det && in_loop[b] && loop_budget[b] > 0 && --loop_budget[b] == 0) {
        note("budget of b%d spent: event_base_loopbreak", b);
        event_base_loopbreak(bases[b]);
    }
}

static void slot_cb(evutil_socket_t fd, short what, void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    int i = (int)(a & 0xff), n, j, prev_self;
    unsigned gen = (unsigned)(a >> 8);
    struct slot *s;
    short allowed;

    st.callbacks++;
    if (i >= NSLOTS)
        violation("callback with a corrupt argument %p", arg);
    focus = i;
    s = &slots[i];
    note("callback s%d gen %u (fd %d, what 0x%x)", i, gen, (int)fd, what);
    if (s->mem == MEM_NONE || s->gen != gen)
        violation("callback for s%d generation %u, which was freed or re-assigned "
                  "(current generation %u, %s)",
            i, gen, s->gen, mem_name(s->mem));
    if (!armed(s))
        violation("callback for s%d, which is neither added nor active "
                  "(deleted before it ran?)",
            i);
    if (fd != s->fd)
        violation("callback for s%d with fd %d, assigned %d", i, (int)fd, (int)s->fd);
    allowed = (short)((s->events & (IO_BITS | EV_ET)) | EV_TIMEOUT | s->res);
    if (s->closed_under)
        allowed |= EV_READ | EV_WRITE | EV_CLOSED | EV_ET;
    if (what & ~allowed)
        violation("callback for s%d with what 0x%x; events 0x%x, activated with 0x%x", i, what,
            s->events, s->res);
    s->active = 0;
    /* The calls of one signal burst all get the same `what`, and a burst
     * from caught signals can take in what event_active adds: for a signal
     * event, bits given to event_active stay allowed until it is deleted. */
    if (s->burst > 0)
        s->burst--;
    if (s->kind != K_SIGNAL)
        s->res = 0;
    spend_budget(s->b);
    if (!(s->events & EV_PERSIST))
        s->added = 0;
    else if (s->io_tmo)
        s->added = 1; /* re-added with its timeout before the call */
    if (s->added)
        s->looped = 1; /* inside its base's loop: may be activated again */

    depth++;
    prev_self = current_self;
    current_self = i;
    s->running++;
    /* The event's own fate first, sometimes. */
    switch (rn(12)) {
    case 0:
        op_no++;
        note("callback frees its own s%d", i);
        release_slot(i);
        break;
    case 1:
        op_no++;
        note("callback re-assigns its own s%d", i);
        op_reassign(i);
        break;
    case 2:
        op_no++;
        op_del(i, 0);
        break;
    default:
        break;
    }
    n = (int)rn(4);
    for (j = 0; j < n && op_no < opt_ops; j++)
        do_op(i);
    /* Freed or re-assigned meanwhile: `running` went with the incarnation. */
    if (slots[i].mem != MEM_NONE && slots[i].gen == gen && slots[i].running > 0)
        slots[i].running--;
    current_self = prev_self;
    depth--;
}

static void once_cb(evutil_socket_t fd, short what, void *arg)
{
    struct once_rec *o = arg;
    size_t k;
    int n, j, prev_self;
    struct end *e;

    st.once_callbacks++;
    for (k = 0; k < nonces && onces[k] != o; k++)
        ;
    if (k == nonces)
        violation("event_base_once callback with an unknown argument %p", arg);
    note("once callback #%zu (fd %d, what 0x%x)", k, (int)fd, what);
    if (o->fired)
        violation("event_base_once callback #%zu ran twice", k);
    o->fired = 1;
    if (fd != o->fd)
        violation("event_base_once callback #%zu with fd %d, asked %d", k, (int)fd, (int)o->fd);
    if ((what & ~(o->events | EV_TIMEOUT)) && !o->closed_under)
        violation("event_base_once callback #%zu with what 0x%x, asked 0x%x", k, what, o->events);
    if (o->fd >= 0 && fd_is_open(o->fd, &e) && e->once_pending > 0)
        e->once_pending--;
    spend_budget(o->b);
    depth++;
    prev_self = current_self;
    current_self = -1;
    n = (int)rn(3);
    for (j = 0; j < n && op_no < opt_ops; j++)
        do_op(-1);
    current_self = prev_self;
    depth--;
}

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
    int b = (int)(intptr_t)arg;
    (void)fd;
    (void)what;
    note("guard of b%d: event_base_loopbreak", b);
    event_base_loopbreak(bases[b]);
}

static void sig_noop(int sig)
{
    (void)sig;
}

/* ------------------------------------------------------------------ */
/* One seed                                                           */

static void setup(void)
{
    int b, c, k;
    memset(slots, 0, sizeof(slots));
    memset(static_used, 0, sizeof(static_used));
    memset(in_loop, 0, sizeof(in_loop));
    memset(common, 0, sizeof(common));
    memset(tainted, 0, sizeof(tainted));
    running_base = -1;
    nbases = chance(50) ? 2 : 1;
    for (b = 0; b < nbases; b++) {
        struct event_config *cfg = event_config_new();
        if (!cfg)
            exit(2);
        if (chance(20))
            event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
        if (chance(20))
            event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME);
        if (chance(20))
            event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        bases[b] = event_base_new_with_config(cfg);
        event_config_free(cfg);
        if (!bases[b]) {
            fprintf(stderr, "event_base_new_with_config failed\n");
            exit(2);
        }
        npri[b] = 1 + (int)rn(4);
        if (event_base_priority_init(bases[b], npri[b]) != 0)
            violation("event_base_priority_init(%d) failed", npri[b]);
        for (k = 0; k < NCOMMON; k++) {
            struct timeval d = {0, 300 + (long)rn(3000)};
            if (opt_det) {
                d.tv_sec = 5 + (long)rn(5);
                d.tv_usec = (long)rn(1000000);
            }
            common[b][k] = event_base_init_common_timeout(bases[b], &d);
            if (!common[b][k])
                violation("event_base_init_common_timeout returned NULL");
        }
        guards[b] = evtimer_new(bases[b], guard_cb, (void *)(intptr_t)b);
        if (!guards[b] || event_priority_set(guards[b], 0) != 0)
            violation("could not make the loop guard of b%d", b);
        note("b%d = %s, %d priorities", b, event_base_get_method(bases[b]), npri[b]);
    }
    for (c = 0; c < NCHANS; c++)
        open_chan(c);
}

static void teardown(void)
{
    int i, b, c, k, base_first = chance(30);
    size_t o;

    op_no++;
    for (b = 0; b < nbases; b++)
        event_free(guards[b]);
    if (base_first) {
        /* event_base_free deletes what is still pending; event_new'd
         * events are freed before it (after it is misuse, -K only). */
        for (i = 0; i < NSLOTS; i++) {
            if (slots[i].mem == MEM_NEW) {
                if (opt_misuse && opt_known && chance(50)) {
                    dead_after_base_free[i] = slots[i].ev;
                    slots[i].mem = MEM_NONE;
                    continue;
                }
                release_slot(i);
            }
        }
        note("event_base_free with events still pending");
        for (b = 0; b < nbases; b++)
            event_base_free(bases[b]);
        for (i = 0; i < NSLOTS; i++) {
            if (dead_after_base_free[i]) {
                note("KNOWN event_free(s%d) after event_base_free", i);
                event_free(dead_after_base_free[i]);
                dead_after_base_free[i] = NULL;
                st.misuse++;
            }
            if (slots[i].mem == MEM_MALLOC)
                free(slots[i].ev);
            slots[i].mem = MEM_NONE;
        }
    } else {
        for (i = 0; i < NSLOTS; i++)
            release_slot(i);
        for (b = 0; b < nbases; b++)
            event_base_free(bases[b]);
    }
    for (o = 0; o < nonces; o++)
        free(onces[o]);
    nonces = 0;
    for (c = 0; c < NCHANS; c++)
        for (k = 0; k < 2; k++)
            if (chans[c].e[k].open) {
                close(chans[c].e[k].fd);
                chans[c].e[k].open = 0;
            }
}

static void run_seed(unsigned long long seed)
{
    memset(&st, 0, sizeof(st));
    cur_seed = seed;
    rng = seed * 0x2545f4914f6cdd1dULL + 1;
    op_no = 0;
    depth = 0;
    ring_pos = 0;
    alarm(opt_timeout);
    setup();
    while (op_no < opt_ops)
        do_op(-1);
    teardown();
    alarm(0);
    if (!opt_quiet)
        printf("seed %llu: ops %ld callbacks %ld once %ld loops %ld adds %ld dels %ld assigns %ld "
               "frees %ld closes %ld misuse %ld log %ld\n",
            seed, op_no, st.callbacks, st.once_callbacks, st.loops, st.adds, st.dels, st.assigns,
            st.frees, st.closes, st.misuse, st.warnings);
    tot_ops += op_no;
    tot_callbacks += st.callbacks + st.once_callbacks;
    tot_loops += st.loops;
    tot_misuse += st.misuse;
}

int main(int argc, char **argv)
{
    unsigned long long first = 1, nseeds = 1, s;
    int opt;

    while ((opt = getopt(argc, argv, "m:Kds:n:o:t:vq")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "misuse") == 0)
                opt_misuse = 1;
            else if (strcmp(optarg, "defined") == 0)
                opt_misuse = 0;
            else {
                fprintf(stderr, "-m defined|misuse\n");
                return 2;
            }
            break;
        case 'K':
            opt_known = 1;
            break;
        case 'd':
            opt_det = 1;
            break;
        case 's':
            first = strtoull(optarg, NULL, 0);
            break;
        case 'n':
            nseeds = strtoull(optarg, NULL, 0);
            break;
        case 'o':
            opt_ops = strtol(optarg, NULL, 0);
            break;
        case 't':
            opt_timeout = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'v':
            opt_verbose = 1;
            break;
        case 'q':
            opt_quiet = 1;
            break;
        default:
            fprintf(stderr,
                "usage: %s [-m defined|misuse] [-K] [-d] [-s FIRST_SEED] [-n SEEDS] [-o OPS] "
                "[-t SECONDS] [-v] [-q]\n",
                argv[0]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGPIPE, SIG_IGN);
    if (!sig_handler_installed) {
        /* Raised signals with no event pending must not kill us. */
        signal(SIGUSR1, sig_noop);
        signal(SIGUSR2, sig_noop);
        sig_handler_installed = 1;
    }
    event_set_log_callback(log_cb);
    event_set_fatal_callback(fatal_cb);

    for (s = first; s < first + nseeds; s++)
        run_seed(s);
    printf("apifuzz %s%s%s: %llu seeds (%llu..%llu) x %ld ops clean: %ld operations, %ld callbacks, "
           "%ld loops, %ld misuse operations (%s)\n",
        opt_misuse ? "misuse" : "defined", opt_known ? "+known" : "", opt_det ? "+det" : "",
        nseeds, first,
        first + nseeds - 1, opt_ops, tot_ops, tot_callbacks, tot_loops, tot_misuse,
        event_get_version());
    return 0;
}
