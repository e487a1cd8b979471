/*
 * xthread: N event_active calls on one event from a second thread while the
 * loop runs (evthread_use_pthreads), as "ms T" from the first call to the
 * loop's exit. libevent coalesces the wake-ups: at most one is pending.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

static struct event_base *base;
static struct event *ev;
static long n, runs;

static void cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	runs++;
}

static void *flood(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++)
		event_active(ev, EV_READ, 1);
	event_base_loopexit(base, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t;

	n = argc > 1 ? atol(argv[1]) : 1000000;
	evthread_use_pthreads();
	base = event_base_new();
	ev = event_new(base, -1, EV_PERSIST, cb, NULL);
	if (!base || !ev)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pthread_create(&t, NULL, flood, NULL);
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (runs < 1)
		return 1;
	printf("ms %.1f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	event_free(ev);
	event_base_free(base);
	return 0;
}
