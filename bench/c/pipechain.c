/*
 * pipechain: the classic libevent "pipe chain" benchmark workload.
 *
 * N socketpairs (AF_UNIX, SOCK_STREAM).  The read end of each pair has an
 * EV_READ|EV_PERSIST event living in a caller-owned array of struct event.
 * A of the pairs are made active by writing one byte into them; every read
 * callback consumes one byte and, while writes remain (W in total per run),
 * writes one byte into the next pair (idx + 1 mod N).  One run is:
 *
 *   (re)add all N events; one EVLOOP_ONCE|EVLOOP_NONBLOCK pass;
 *   write the A starting bytes;
 *   [timed] loop with EVLOOP_ONCE|EVLOOP_NONBLOCK until every byte written
 *           has been read back.
 *
 * Only the bracketed part is timed (CLOCK_MONOTONIC).  Each run therefore
 * dispatches exactly A + W read callbacks; the program checks that and
 * exits 1 otherwise, so it doubles as a smoke test of the library under it.
 *
 * The loop lives in the non-inlined function bench_loop() so that
 * `valgrind --tool=callgrind --toggle-collect=bench_loop` counts only the
 * instructions spent in the timed part.
 *
 * Usage: pipechain [-n N] [-a A] [-w W] [-r RUNS] [-q] [-1]
 *   -q  print only the final "median_us ... events ..." line
 *   -1  use the 1.x API (event_init/event_set/event_add/event_loop) instead
 *       of event_base_new/event_assign/event_add/event_base_loop
 *
 * A line "# lib ..." on stderr names the libevent actually loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

static int n_pairs = 100;
static int n_active = 1;
static long n_writes = 100;
static int n_runs = 25;
static int quiet;
static int compat_api;

static int *sock;              /* sock[2*i] read end, sock[2*i+1] write end */
static struct event *evs;      /* caller-owned, one per pair */
static struct event_base *base;

static long writes_left;
static long bytes_sent;
static long bytes_read;
static long callbacks;

static void die(const char *what)
{
	fprintf(stderr, "pipechain: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	intptr_t idx = (intptr_t)arg;
	unsigned char byte;
	ssize_t got;

	(void)what;
	callbacks++;
	got = recv(fd, &byte, 1, 0);
	if (got == 1) {
		bytes_read++;
	} else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		die("recv");
	}
	if (writes_left > 0) {
		intptr_t next = idx + 1;
		if (next >= n_pairs)
			next -= n_pairs;
		if (send(sock[2 * next + 1], "x", 1, 0) != 1)
			die("send (chain)");
		writes_left--;
		bytes_sent++;
	}
}

/* The timed part.  Not inlined so callgrind can toggle collection on it. */
__attribute__((noinline)) long bench_loop(void)
{
	long passes = 0;
	do {
		if (compat_api)
			event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
		else
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		passes++;
	} while (bytes_read != bytes_sent);
	return passes;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void raise_nofile(long need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			die("setrlimit");
	}
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need) {
		fprintf(stderr,
		        "pipechain: need %ld descriptors for N=%d, "
		        "RLIMIT_NOFILE allows only %ld\n",
		        need, n_pairs, (long)rl.rlim_cur);
		exit(2);
	}
}

static void set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl");
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
	fprintf(stderr,
	        "usage: pipechain [-n pairs] [-a active] [-w writes] [-r runs] [-q] [-1]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "n:a:w:r:q1h")) != -1) {
		switch (opt) {
		case 'n': n_pairs = atoi(optarg); break;
		case 'a': n_active = atoi(optarg); break;
		case 'w': n_writes = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'q': quiet = 1; break;
		case '1': compat_api = 1; break;
		default: usage();
		}
	}
	if (optind != argc || n_pairs < 1 || n_active < 1 || n_active > n_pairs ||
	    n_writes < 0 || n_runs < 1)
		usage();

	raise_nofile(2L * n_pairs + 32);

	sock = calloc(2 * (size_t)n_pairs, sizeof(*sock));
	evs = calloc((size_t)n_pairs, sizeof(*evs));
	double *times = calloc((size_t)n_runs, sizeof(*times));
	if (!sock || !evs || !times)
		die("calloc");

	for (int i = 0; i < n_pairs; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, &sock[2 * i]) != 0)
			die("socketpair");
		set_nonblocking(sock[2 * i]);
		set_nonblocking(sock[2 * i + 1]);
	}

	base = compat_api ? event_init() : event_base_new();
	if (!base) {
		fprintf(stderr, "pipechain: could not create an event base\n");
		return 2;
	}
	report_library();

	const long expect = n_active + n_writes;
	const int spacing = n_pairs / n_active;

	for (int run = 0; run < n_runs; run++) {
		for (int i = 0; i < n_pairs; i++) {
			if (run > 0)
				event_del(&evs[i]);
			if (compat_api)
				event_set(&evs[i], sock[2 * i], EV_READ | EV_PERSIST,
				          on_read, (void *)(intptr_t)i);
			else
				event_assign(&evs[i], base, sock[2 * i],
				             EV_READ | EV_PERSIST, on_read,
				             (void *)(intptr_t)i);
			if (event_add(&evs[i], NULL) != 0) {
				fprintf(stderr, "pipechain: event_add failed for pair %d\n", i);
				return 2;
			}
		}
		if (compat_api)
			event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
		else
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);

		bytes_sent = bytes_read = callbacks = 0;
		writes_left = n_writes;
		for (int i = 0; i < n_active; i++) {
			if (send(sock[2 * (i * spacing) + 1], "x", 1, 0) != 1)
				die("send (start)");
			bytes_sent++;
		}

		double t0 = now_us();
		bench_loop();
		double t1 = now_us();
		times[run] = t1 - t0;

		if (callbacks != expect || writes_left != 0) {
			fprintf(stderr,
			        "pipechain: run %d dispatched %ld callbacks (expected %ld), "
			        "%ld writes left\n",
			        run, callbacks, expect, writes_left);
			return 1;
		}
		if (!quiet)
			printf("us %.3f\n", times[run]);
	}

	qsort(times, (size_t)n_runs, sizeof(*times), cmp_double);
	double median = (n_runs % 2) ? times[n_runs / 2]
	                             : (times[n_runs / 2 - 1] + times[n_runs / 2]) / 2;
	printf("median_us %.3f events %ld\n", median, expect);

	for (int i = 0; i < n_pairs; i++)
		event_del(&evs[i]);
	event_base_free(base);
	for (int i = 0; i < 2 * n_pairs; i++)
		close(sock[i]);
	free(sock);
	free(evs);
	free(times);
	return 0;
}
