/*
 * oxevent: event2/event_struct.h
 *
 * The layout of struct event, for programs that embed events in their own
 * structures or allocate them statically.  The layout is libevent 2.1.12's
 * on x86_64 (128 bytes) and must not change.
 *
 * Only the public accessors in event2/event.h are meant for programs; the
 * fields are visible because old programs read some of them directly
 * (ev_base, ev_fd, ev_events, ev_res, ev_timeout).  Fields the library
 * uses for its own bookkeeping may hold anything.
 */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

/* ev_uint8_t, evutil_socket_t */
#include <event2/util.h>
/* struct evkeyval, struct evkeyvalq */
#include <event2/keyvalq_struct.h>

#ifdef __cplusplus
extern "C" {
#endif

/* State bits kept in ev_evcallback.evcb_flags. */
/** A timeout is scheduled. */
#define EVLIST_TIMEOUT 0x01
/** Added to the base (pending on fd or signal). */
#define EVLIST_INSERTED 0x02
/** A signal event. */
#define EVLIST_SIGNAL 0x04
/** On an active queue, about to run. */
#define EVLIST_ACTIVE 0x08
/** Used internally by the library; not counted as a user event. */
#define EVLIST_INTERNAL 0x10
/** Will become active on the next loop iteration. */
#define EVLIST_ACTIVE_LATER 0x20
/** Being finalized; no longer usable. */
#define EVLIST_FINALIZING 0x40
/** Assigned (event_assign/event_new has run). */
#define EVLIST_INIT 0x80
/** Every EVLIST_* bit. */
#define EVLIST_ALL 0xff

/*
 * <sys/queue.h> style macros for the link fields below, defined here only
 * when the program has not included <sys/queue.h>, and removed afterwards.
 */
#ifndef TAILQ_ENTRY
#define OXEVENT_EVS_OWN_TAILQ_ENTRY_
#define TAILQ_ENTRY(type)                                               \
	struct {                                                        \
		struct type *tqe_next;                                  \
		struct type **tqe_prev;                                 \
	}
#endif

#ifndef TAILQ_HEAD
#define OXEVENT_EVS_OWN_TAILQ_HEAD_
#define TAILQ_HEAD(name, type)                                          \
	struct name {                                                   \
		struct type *tqh_first;                                 \
		struct type **tqh_last;                                 \
	}
#endif

#ifndef LIST_ENTRY
#define OXEVENT_EVS_OWN_LIST_ENTRY_
#define LIST_ENTRY(type)                                                \
	struct {                                                        \
		struct type *le_next;                                   \
		struct type **le_prev;                                  \
	}
#endif

#ifndef LIST_HEAD
#define OXEVENT_EVS_OWN_LIST_HEAD_
#define LIST_HEAD(name, type)                                           \
	struct name {                                                   \
		struct type *lh_first;                                  \
	}
#endif

struct event;
struct event_base;

/** The part of an event that the loop schedules and runs (40 bytes). */
struct event_callback {
	/** Link in the base's active queue (library-private). */
	TAILQ_ENTRY(event_callback) evcb_active_next;
	/** EVLIST_* state bits. */
	short evcb_flags;
	/** Priority; 0 runs first. */
	ev_uint8_t evcb_pri;
	/** How the callback is invoked (library-private). */
	ev_uint8_t evcb_closure;
	/** The function to call; which member is live depends on evcb_closure. */
	union {
		void (*evcb_callback)(evutil_socket_t, short, void *);
		void (*evcb_selfcb)(struct event_callback *, void *);
		void (*evcb_evfinalize)(struct event *, void *);
		void (*evcb_cbfinalize)(struct event_callback *, void *);
	} evcb_cb_union;
	/** The argument given to the callback. */
	void *evcb_arg;
};

/** An I/O, signal or timer event (128 bytes). */
struct event {
	/** Scheduling state, callback and argument. */
	struct event_callback ev_evcallback;

	/** Where the timeout is filed (library-private). */
	union {
		TAILQ_ENTRY(event) ev_next_with_common_timeout;
		int min_heap_idx;
	} ev_timeout_pos;

	/** The file descriptor, or the signal number for EV_SIGNAL. */
	evutil_socket_t ev_fd;

	/** The base this event belongs to. */
	struct event_base *ev_base;

	/** Per-kind bookkeeping (library-private). */
	union {
		/** For I/O events. */
		struct {
			LIST_ENTRY(event) ev_io_next;
			struct timeval ev_timeout;
		} ev_io;

		/** For signal events. */
		struct {
			LIST_ENTRY(event) ev_signal_next;
			short ev_ncalls;
			short *ev_pncalls;
		} ev_signal;
	} ev_;

	/** The EV_* flags the event was assigned with. */
	short ev_events;
	/** The EV_* flags that made it fire, as passed to the callback. */
	short ev_res;
	/** The time it expires, when a timeout is pending. */
	struct timeval ev_timeout;
};

/** A queue of events. */
TAILQ_HEAD(event_list, event);

/** A singly-headed list of events. */
LIST_HEAD(event_dlist, event);

#ifdef OXEVENT_EVS_OWN_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef OXEVENT_EVS_OWN_TAILQ_ENTRY_
#endif

#ifdef OXEVENT_EVS_OWN_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef OXEVENT_EVS_OWN_TAILQ_HEAD_
#endif

#ifdef OXEVENT_EVS_OWN_LIST_ENTRY_
#undef LIST_ENTRY
#undef OXEVENT_EVS_OWN_LIST_ENTRY_
#endif

#ifdef OXEVENT_EVS_OWN_LIST_HEAD_
#undef LIST_HEAD
#undef OXEVENT_EVS_OWN_LIST_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
