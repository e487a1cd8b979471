/*
 * oxevent: event2/event_compat.h
 *
 * The libevent 1.x API, kept for old programs.  These functions act on a
 * process-wide "current" base, the one event_init() created last; new
 * code should pass a base explicitly with the event2/event.h functions.
 */
#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event;
struct event_base;
struct timeval;

/** Create a base and make it the current one; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_init(void);

/** event_base_dispatch on the current base. */
EVENT2_EXPORT_SYMBOL
int event_dispatch(void);

/** event_base_loop on the current base. */
EVENT2_EXPORT_SYMBOL
int event_loop(int);

/** event_base_loopexit on the current base. */
EVENT2_EXPORT_SYMBOL
int event_loopexit(const struct timeval *);

/** event_base_loopbreak on the current base. */
EVENT2_EXPORT_SYMBOL
int event_loopbreak(void);

/** event_base_once on the current base. */
EVENT2_EXPORT_SYMBOL
int event_once(evutil_socket_t, short,
    void (*)(evutil_socket_t, short, void *), void *, const struct timeval *);

/** event_base_get_method on the current base. */
EVENT2_EXPORT_SYMBOL
const char *event_get_method(void);

/** event_base_priority_init on the current base. */
EVENT2_EXPORT_SYMBOL
int event_priority_init(int);

/** event_assign on the current base (which may still be NULL). */
EVENT2_EXPORT_SYMBOL
void event_set(struct event *, evutil_socket_t, short,
    void (*)(evutil_socket_t, short, void *), void *);

/* 1.x shorthands.  EV_SIGNAL and EV_PERSIST come from event2/event.h. */
#define evtimer_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define evsignal_set(ev, x, cb, arg) \
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))

#define timeout_add(ev, tv) event_add((ev), (tv))
#define timeout_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define timeout_del(ev) event_del(ev)
#define timeout_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define timeout_initialized(ev) event_initialized(ev)

#define signal_add(ev, tv) event_add((ev), (tv))
#define signal_set(ev, x, cb, arg) \
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define signal_del(ev) event_del(ev)
#define signal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev) event_initialized(ev)

#ifndef EVENT_FD
/** The fd of an event (1.x name). */
#define EVENT_FD(ev) ((int)event_get_fd(ev))
/** The signal number of an event (1.x name). */
#define EVENT_SIGNAL(ev) event_get_signal(ev)
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
