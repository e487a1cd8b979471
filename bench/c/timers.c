/*
 * timers: timer churn.  COUNT pure timer events (fd -1, no I/O) are
 * event_assign()ed into a caller-owned array of struct event, then
 *
 *   phase add:  event_add() each with a random timeout in [0, 50] ms
 *               (microsecond resolution)              -> add_ns per add
 *   phase del:  event_del() a random half, in random order
 *                                                     -> del_ns per del
 *   phase fire: event_base_dispatch() until the rest have fired
 *               (it returns once no events are left).
 *
 * The fire phase necessarily waits up to 50 ms of wall time, so its cost is
 * reported from CPU time (user + sys, getrusage) divided by the number of
 * timers fired: fire_ns.  The wall figures are printed too.
 *
 * The program checks that every timer not deleted fired exactly once and no
 * deleted timer fired; it exits 1 otherwise.
 *
 * Timeouts and the deletion order come from a private xorshift64* generator
 * seeded with -s, so every library sees the identical sequence.
 *
 * The three phases are the non-inlined functions phase_add, phase_del and
 * phase_fire, for `valgrind --tool=callgrind --toggle-collect=phase_add` etc.
 *
 * Usage: timers [-n COUNT] [-s SEED]
 * Output: add_ns, del_ns, fire_ns, fire_wall_ns, dispatch_wall_ms, added,
 *         deleted, fired (one "key value" per line); "# lib ..." on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

static long n_timers = 1000000;
static uint64_t seed = 12345;

static struct event_base *base;
static struct event *evs;          /* caller-owned */
static struct timeval *timeouts;   /* precomputed, so the RNG is not timed */
static uint32_t *order;            /* random permutation; first half deleted */
static unsigned char *fires;       /* per-timer fire count */
static long n_del;
static long fired;

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rng_below(uint64_t bound)
{
	/* bound is small compared with 2^64; the modulo bias is negligible. */
	return rng_next() % bound;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	uintptr_t i = (uintptr_t)arg;
	if (fires[i] < 255)
		fires[i]++;
	fired++;
}

__attribute__((noinline)) int phase_add(void)
{
	for (long i = 0; i < n_timers; i++)
		if (event_add(&evs[i], &timeouts[i]) != 0)
			return -1;
	return 0;
}

__attribute__((noinline)) int phase_del(void)
{
	for (long i = 0; i < n_del; i++)
		if (event_del(&evs[order[i]]) != 0)
			return -1;
	return 0;
}

__attribute__((noinline)) int phase_fire(void)
{
	return event_base_dispatch(base);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static void report_library(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "event_base_new");
	const char *path = "?";
	if (sym && dladdr(sym, &info) && info.dli_fname)
		path = info.dli_fname;
	fprintf(stderr, "# lib %s version %s method %s sizeof(struct event) %zu\n",
	        path, event_get_version(), event_base_get_method(base),
	        sizeof(struct event));
}

static void usage(void)
{
	fprintf(stderr, "usage: timers [-n count] [-s seed]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "n:s:h")) != -1) {
		switch (opt) {
		case 'n': n_timers = atol(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc || n_timers < 2 || n_timers > 0xffffffffL)
		usage();
	rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;

	evs = calloc((size_t)n_timers, sizeof(*evs));
	timeouts = calloc((size_t)n_timers, sizeof(*timeouts));
	order = calloc((size_t)n_timers, sizeof(*order));
	fires = calloc((size_t)n_timers, 1);
	if (!evs || !timeouts || !order || !fires) {
		fprintf(stderr, "timers: out of memory for %ld timers\n", n_timers);
		return 2;
	}

	base = event_base_new();
	if (!base) {
		fprintf(stderr, "timers: could not create an event base\n");
		return 2;
	}
	report_library();

	for (long i = 0; i < n_timers; i++) {
		uint64_t us = rng_below(50001);   /* 0 .. 50000 us */
		timeouts[i].tv_sec = 0;
		timeouts[i].tv_usec = (suseconds_t)us;
		if (event_assign(&evs[i], base, -1, 0, on_timer, (void *)(uintptr_t)i) != 0) {
			fprintf(stderr, "timers: event_assign failed\n");
			return 2;
		}
		order[i] = (uint32_t)i;
	}
	for (long i = n_timers - 1; i > 0; i--) {   /* Fisher-Yates */
		long j = (long)rng_below((uint64_t)i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	n_del = n_timers / 2;

	double t0 = now_ns();
	if (phase_add() != 0) {
		fprintf(stderr, "timers: event_add failed\n");
		return 2;
	}
	double t1 = now_ns();
	if (phase_del() != 0) {
		fprintf(stderr, "timers: event_del failed\n");
		return 2;
	}
	double t2 = now_ns();
	double c2 = cpu_ns();
	int rc = phase_fire();
	double t3 = now_ns();
	double c3 = cpu_ns();
	if (rc < 0) {
		fprintf(stderr, "timers: event_base_dispatch failed\n");
		return 2;
	}

	long expect = n_timers - n_del;
	long bad = 0;
	for (long k = 0; k < n_timers; k++) {
		long i = order[k];
		int want = (k < n_del) ? 0 : 1;
		if (fires[i] != want) {
			if (bad < 5)
				fprintf(stderr, "timers: timer %ld (%s) fired %d times\n",
				        i, want ? "kept" : "deleted", fires[i]);
			bad++;
		}
	}

	printf("add_ns %.1f\n", (t1 - t0) / (double)n_timers);
	printf("del_ns %.1f\n", (t2 - t1) / (double)n_del);
	printf("fire_ns %.1f\n", fired ? (c3 - c2) / (double)fired : 0.0);
	printf("fire_wall_ns %.1f\n", fired ? (t3 - t2) / (double)fired : 0.0);
	printf("dispatch_wall_ms %.3f\n", (t3 - t2) / 1e6);
	printf("added %ld\n", n_timers);
	printf("deleted %ld\n", n_del);
	printf("fired %ld\n", fired);

	if (bad || fired != expect) {
		fprintf(stderr, "timers: FAIL: fired %ld, expected %ld; %ld timers wrong\n",
		        fired, expect, bad);
		return 1;
	}

	event_base_free(base);
	free(evs);
	free(timeouts);
	free(order);
	free(fires);
	return 0;
}
