/*
 * rss_timers: peak resident memory with N pending timers (event_new +
 * event_add, 1 hour + i µs each), as "peak_kb K" (VmHWM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

static void cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i;
	struct event_base *base = event_base_new();
	struct event **evs = malloc(sizeof(*evs) * (size_t)n);
	char line[256];
	long hwm = -1;
	FILE *f;

	if (!base || !evs)
		return 1;
	for (i = 0; i < n; i++) {
		struct timeval tv = {3600 + i / 1000000, i % 1000000};
		evs[i] = evtimer_new(base, cb, NULL);
		if (!evs[i] || evtimer_add(evs[i], &tv) != 0)
			return 1;
	}
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			hwm = atol(line + 6);
	if (f)
		fclose(f);
	printf("peak_kb %ld\n", hwm);
	for (i = 0; i < n; i++)
		event_free(evs[i]);
	free(evs);
	event_base_free(base);
	return 0;
}
