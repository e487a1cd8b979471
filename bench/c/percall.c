/*
 * percall: the cost of one public event-API call, for callgrind.
 *
 * Each operation wraps exactly the call it measures in a non-inlined
 * function named m_<op>, so that
 *
 *   valgrind --tool=callgrind --toggle-collect=m_<op> percall <op> N
 *
 * counts only the instructions of those calls (plus the wrapper's call and
 * return, the same on every library).  The runner divides by N.  Setup (the
 * base, the sockets, the unmeasured half of add/del pairs) is not counted.
 *
 * Operations (N calls each):
 *   assign        event_assign on an idle struct
 *   add_fd        event_add of an idle EV_READ event on a socketpair
 *   del_fd        event_del of that event while pending
 *   add_timer     event_add of an idle timer, 10 s
 *   del_timer     event_del of that timer while pending
 *   readd_timer   event_add of a pending timer (a new 10 s timeout), outside
 *                 the loop
 *   readd_cb      the same from inside a callback (the idle-timeout refresh
 *                 a bufferevent does on every read), one refresh per call
 *   pending       event_pending(ev, EV_READ|EV_TIMEOUT, NULL) on a pending
 *                 event with a timeout
 *   pingpong      two zero-timeout timers re-adding each other: the whole
 *                 event_base_dispatch, per fire
 *   active        event_active on an idle event (the loop runs it later,
 *                 unmeasured)
 *
 * A line "# lib ..." on stderr names the libevent actually loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

static struct event_base *base;
static struct event ev, ev2;
static long fires, target;

static void cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

#define M(name, ...) __attribute__((noinline)) int m_##name(__VA_ARGS__)

M(assign, struct event *e)
{
	return event_assign(e, base, -1, 0, cb, NULL);
}
M(add_fd, struct event *e) { return event_add(e, NULL); }
M(del_fd, struct event *e) { return event_del(e); }
M(add_timer, struct event *e, const struct timeval *tv) { return event_add(e, tv); }
M(del_timer, struct event *e) { return event_del(e); }
M(readd_timer, struct event *e, const struct timeval *tv) { return event_add(e, tv); }
M(readd_cb, struct event *e, const struct timeval *tv) { return event_add(e, tv); }
M(pending, struct event *e) { return event_pending(e, EV_READ | EV_TIMEOUT, NULL); }
M(pingpong, void) { return event_base_dispatch(base); }
M(active, struct event *e)
{
	event_active(e, EV_READ, 1);
	return 0;
}

static void pingpong_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval zero = {0, 0};
	(void)fd;
	(void)what;
	if (++fires < target)
		event_add((struct event *)arg, &zero);
}

static long refreshes;
static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval ten = {10, 0};
	(void)fd;
	(void)what;
	(void)arg;
	for (long i = 0; i < target; i++)
		m_readd_cb(&ev2, &ten);
	refreshes = target;
}

static void say_lib(void)
{
	Dl_info info;
	if (dladdr((void *)event_base_new, &info) && info.dli_fname)
		fprintf(stderr, "# lib %s version %s method %s\n", info.dli_fname,
		    event_get_version(), event_base_get_method(base));
}

int main(int argc, char **argv)
{
	const struct timeval ten = {10, 0}, eleven = {11, 0};
	const char *op;
	long n, i;
	int sv[2];

	if (argc != 3) {
		fprintf(stderr, "usage: percall OP N\n");
		return 2;
	}
	op = argv[1];
	n = atol(argv[2]);
	target = n;
	base = event_base_new();
	if (!base || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	say_lib();

	if (!strcmp(op, "assign")) {
		for (i = 0; i < n; i++)
			m_assign(&ev);
	} else if (!strcmp(op, "add_fd") || !strcmp(op, "del_fd")) {
		event_assign(&ev, base, sv[0], EV_READ, cb, NULL);
		for (i = 0; i < n; i++) {
			if (op[0] == 'a') {
				m_add_fd(&ev);
				event_del(&ev);
			} else {
				event_add(&ev, NULL);
				m_del_fd(&ev);
			}
		}
	} else if (!strcmp(op, "add_timer") || !strcmp(op, "del_timer")) {
		evtimer_assign(&ev, base, cb, NULL);
		for (i = 0; i < n; i++) {
			if (op[0] == 'a') {
				m_add_timer(&ev, &ten);
				event_del(&ev);
			} else {
				event_add(&ev, &ten);
				m_del_timer(&ev);
			}
		}
	} else if (!strcmp(op, "readd_timer")) {
		evtimer_assign(&ev, base, cb, NULL);
		event_add(&ev, &ten);
		for (i = 0; i < n; i++)
			m_readd_timer(&ev, (i & 1) ? &ten : &eleven);
	} else if (!strcmp(op, "readd_cb")) {
		const struct timeval zero = {0, 0};
		evtimer_assign(&ev2, base, cb, NULL);
		event_add(&ev2, &ten);
		evtimer_assign(&ev, base, refresh_cb, NULL);
		event_add(&ev, &zero);
		event_base_loop(base, EVLOOP_ONCE);
		if (refreshes != n)
			return 1;
	} else if (!strcmp(op, "pending")) {
		event_assign(&ev, base, sv[0], EV_READ, cb, NULL);
		event_add(&ev, &ten);
		for (i = 0; i < n; i++)
			if (m_pending(&ev) != (EV_READ | EV_TIMEOUT))
				return 1;
	} else if (!strcmp(op, "pingpong")) {
		const struct timeval zero = {0, 0};
		evtimer_assign(&ev, base, pingpong_cb, &ev2);
		evtimer_assign(&ev2, base, pingpong_cb, &ev);
		event_add(&ev, &zero);
		m_pingpong();
		if (fires != n)
			return 1;
	} else if (!strcmp(op, "active")) {
		evtimer_assign(&ev, base, cb, NULL);
		for (i = 0; i < n; i++) {
			m_active(&ev);
			event_base_loop(base, EVLOOP_NONBLOCK);
		}
	} else {
		fprintf(stderr, "percall: unknown op %s\n", op);
		return 2;
	}
	event_del(&ev);
	event_del(&ev2);
	event_base_free(base);
	printf("calls %ld\n", n);
	return 0;
}
