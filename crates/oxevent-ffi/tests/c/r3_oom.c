/*
 * Running out of memory while adding timers (issue 14, R3; repro
 * r3_oom.c): under a 256 MB RLIMIT_AS, allocation failures must surface as
 * event_new returning NULL or event_add returning -1, never as an abort.
 * libevent 2.1.12 checks every allocation (event_new's malloc, the timer
 * heap's realloc) and reports failure.
 *
 * Each scenario runs in a forked child so the limit stays there (and has
 * its own 8 s alarm, as alarms are not inherited). To keep the run short,
 * the child then reserves (PROT_NONE, never touched) all but 48 MB of what
 * the limit leaves, so a few hundred thousand events exhaust it:
 *   1. interleaved: event_new + evtimer_add (1 h) until one fails;
 *   2. adds only: event_new until it fails, free the last 64 events, then
 *      evtimer_add the others until it fails. Here the first allocation to
 *      fail is the one event_add makes (libevent: the heap's realloc).
 * A child exits 10 when event_new returned NULL, 11 when event_add
 * returned -1; the count reached goes to stderr.
 */
#include <event2/event.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "check.h"

#define LIMIT (256UL << 20)
#define HEADROOM (48UL << 20)
#define MAX_EVENTS (4L << 20)

static void cb(evutil_socket_t fd, short what, void *arg)
{
    UNUSED(fd);
    UNUSED(what);
    UNUSED(arg);
}

/* The process's address-space size in bytes (VmSize). */
static unsigned long vm_size(void)
{
    char line[256];
    unsigned long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmSize:", 7) == 0)
            kb = strtoul(line + 7, NULL, 10);
    fclose(f);
    return kb * 1024;
}

static void limit_memory(void)
{
    struct rlimit rl = {LIMIT, LIMIT};
    unsigned long used = vm_size();
    if (setrlimit(RLIMIT_AS, &rl) != 0) {
        perror("setrlimit");
        _exit(2);
    }
    if (used && used + HEADROOM < LIMIT) {
        size_t reserve = LIMIT - used - HEADROOM;
        void *p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
            -1, 0);
        if (p == MAP_FAILED) {
            perror("mmap reserve");
            _exit(2);
        }
    }
}

static void interleaved(void)
{
    struct event_base *base = event_base_new();
    struct timeval hour = {3600, 0};
    long n;

    if (!base)
        _exit(2);
    limit_memory();
    for (n = 0; n < MAX_EVENTS * 4; n++) {
        struct event *e = evtimer_new(base, cb, NULL);
        if (!e) {
            fprintf(stderr, "interleaved: event_new NULL after %ld\n", n);
            _exit(10);
        }
        if (evtimer_add(e, &hour) != 0) {
            fprintf(stderr, "interleaved: event_add -1 after %ld\n", n);
            _exit(11);
        }
    }
    fprintf(stderr, "interleaved: memory never ran out\n");
    _exit(12);
}

static void adds_only(void)
{
    struct event_base *base = event_base_new();
    struct timeval hour = {3600, 0};
    struct event **evs;
    long n, made, i;

    if (!base)
        _exit(2);
    /* The pointer array is mapped before the limit, so it does not count
     * against what is left. */
    evs = malloc(sizeof(*evs) * MAX_EVENTS);
    if (!evs)
        _exit(2);
    limit_memory();
    for (made = 0; made < MAX_EVENTS; made++) {
        evs[made] = evtimer_new(base, cb, NULL);
        if (!evs[made])
            break;
    }
    if (made == MAX_EVENTS) {
        fprintf(stderr, "adds_only: memory never ran out\n");
        _exit(12);
    }
    for (i = 0; i < 64 && made > 0; i++)
        event_free(evs[--made]);
    for (n = 0; n < made; n++) {
        if (evtimer_add(evs[n], &hour) != 0) {
            fprintf(stderr, "adds_only: %ld events, event_add -1 after %ld\n", made, n);
            _exit(11);
        }
    }
    fprintf(stderr, "adds_only: all %ld events added\n", made);
    _exit(13);
}

/* Runs `body` in a child; returns its exit status, or -signal. */
static int in_child(void (*body)(void))
{
    int status;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        alarm(8);
        body();
        _exit(99);
    }
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
        return -WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

int main(void)
{
    int st;

    test_begin("r3_oom");
    st = in_child(interleaved);
    CHECK(st == 10 || st == 11);
    st = in_child(adds_only);
    CHECK_INT(st, 11);
    return test_end();
}
