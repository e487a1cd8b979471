/*
 * pipechain_epoll: the pipe-chain workload of pipechain.c written directly
 * on epoll, without libevent.  It is the floor: what the kernel and a
 * minimal dispatcher cost for the same sequence of reads and writes.
 *
 * Same workload, options and output as pipechain.c:
 *   N socketpairs, level-triggered EPOLLIN on every read end; A bytes start
 *   the chains; each read callback consumes one byte and, while writes
 *   remain (W per run), writes one byte into pair idx + 1 mod N.  A run =
 *   (re)register all N read ends; one non-blocking epoll_wait pass; write
 *   the A starting bytes; [timed] non-blocking epoll_wait passes until all
 *   bytes written have been read back.
 *
 * The timed loop is the non-inlined bench_loop(), as in pipechain.c, so
 * callgrind's --toggle-collect=bench_loop measures the same region.
 *
 * Usage: pipechain_epoll [-n N] [-a A] [-w W] [-r RUNS] [-q]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int n_pairs = 100;
static int n_active = 1;
static long n_writes = 100;
static int n_runs = 25;
static int quiet;

static int *sock;              /* sock[2*i] read end, sock[2*i+1] write end */
static int epfd;
static struct epoll_event *ready;
static int ready_cap;

static long writes_left;
static long bytes_sent;
static long bytes_read;
static long callbacks;

static void die(const char *what)
{
	fprintf(stderr, "pipechain_epoll: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Kept out of line so the dispatch is a real call, as with a callback. */
__attribute__((noinline)) static void on_read(int fd, uint32_t idx)
{
	unsigned char byte;
	ssize_t got;

	callbacks++;
	got = recv(fd, &byte, 1, 0);
	if (got == 1) {
		bytes_read++;
	} else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		die("recv");
	}
	if (writes_left > 0) {
		uint32_t next = idx + 1;
		if (next >= (uint32_t)n_pairs)
			next -= (uint32_t)n_pairs;
		if (send(sock[2 * next + 1], "x", 1, 0) != 1)
			die("send (chain)");
		writes_left--;
		bytes_sent++;
	}
}

static void one_pass(void)
{
	int n = epoll_wait(epfd, ready, ready_cap, 0);
	if (n < 0) {
		if (errno == EINTR)
			return;
		die("epoll_wait");
	}
	for (int i = 0; i < n; i++) {
		uint32_t idx = ready[i].data.u32;
		on_read(sock[2 * idx], idx);
	}
}

__attribute__((noinline)) long bench_loop(void)
{
	long passes = 0;
	do {
		one_pass();
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
		        "pipechain_epoll: need %ld descriptors for N=%d, "
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

static void usage(void)
{
	fprintf(stderr,
	        "usage: pipechain_epoll [-n pairs] [-a active] [-w writes] [-r runs] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "n:a:w:r:qh")) != -1) {
		switch (opt) {
		case 'n': n_pairs = atoi(optarg); break;
		case 'a': n_active = atoi(optarg); break;
		case 'w': n_writes = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc || n_pairs < 1 || n_active < 1 || n_active > n_pairs ||
	    n_writes < 0 || n_runs < 1)
		usage();

	raise_nofile(2L * n_pairs + 32);

	sock = calloc(2 * (size_t)n_pairs, sizeof(*sock));
	ready_cap = n_pairs;
	ready = calloc((size_t)ready_cap, sizeof(*ready));
	double *times = calloc((size_t)n_runs, sizeof(*times));
	if (!sock || !ready || !times)
		die("calloc");

	for (int i = 0; i < n_pairs; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, &sock[2 * i]) != 0)
			die("socketpair");
		set_nonblocking(sock[2 * i]);
		set_nonblocking(sock[2 * i + 1]);
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	fprintf(stderr, "# lib none (raw epoll)\n");

	const long expect = n_active + n_writes;
	const int spacing = n_pairs / n_active;

	for (int run = 0; run < n_runs; run++) {
		for (int i = 0; i < n_pairs; i++) {
			struct epoll_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.u32 = (uint32_t)i;
			if (run > 0 && epoll_ctl(epfd, EPOLL_CTL_DEL, sock[2 * i], &ev) != 0)
				die("epoll_ctl DEL");
			if (epoll_ctl(epfd, EPOLL_CTL_ADD, sock[2 * i], &ev) != 0)
				die("epoll_ctl ADD");
		}
		one_pass();

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
			        "pipechain_epoll: run %d dispatched %ld callbacks "
			        "(expected %ld), %ld writes left\n",
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

	close(epfd);
	for (int i = 0; i < 2 * n_pairs; i++)
		close(sock[i]);
	free(sock);
	free(ready);
	free(times);
	return 0;
}
