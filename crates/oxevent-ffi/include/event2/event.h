/*
 * oxevent: event2/event.h
 *
 * The core API: event bases (the loop), their configuration, events on
 * file descriptors, signals and timers, and the loop's global settings.
 *
 * A program typically: creates a base (event_base_new), creates events
 * (event_new), adds them (event_add), runs the loop (event_base_dispatch),
 * and frees everything at the end (event_free, event_base_free).
 */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdio.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An event loop and everything registered with it (opaque). */
struct event_base;
/** An event; its layout is in event2/event_struct.h. */
struct event;
/** Options for event_base_new_with_config (opaque). */
struct event_config;

/* ---- Debugging ---- */

/** Check every event API call for misuse; call before creating events. */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);

/** Forget a non-pending event in debug mode, before freeing its memory. */
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/* ---- Bases ---- */

/** Create a base with the default configuration; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);

/** Re-initialise base in a child after fork(); 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);

/** Run the loop until no events remain or it is told to stop. */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *);

/** Name of the backend in use ("epoll", "poll", "select"). */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *);

/** NULL-terminated list of the backends this build offers. */
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);

/** Read base's monotonic clock into tp; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/* Which events event_base_get_num_events / _max_events count. */
/** Events that are active. */
#define EVENT_BASE_COUNT_ACTIVE 1U
/** Internal "virtual" events. */
#define EVENT_BASE_COUNT_VIRTUAL 2U
/** Events that have been added. */
#define EVENT_BASE_COUNT_ADDED 4U

/** Number of events of the EVENT_BASE_COUNT_* kinds in type. */
EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *, unsigned int);

/** Highest count seen for the EVENT_BASE_COUNT_* kinds; reset if clear. */
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *, unsigned int, int);

/* ---- Configuration ---- */

/** Create an empty configuration; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);

/** Free a configuration. */
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);

/** Never use the named backend; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

/** Capabilities a backend may have (event_config_require_features). */
enum event_method_feature {
	/** Edge-triggered readiness (EV_ET). */
	EV_FEATURE_ET = 0x01,
	/** O(1) add/delete and activation. */
	EV_FEATURE_O1 = 0x02,
	/** Any kind of file descriptor, not just sockets. */
	EV_FEATURE_FDS = 0x04,
	/** Reports peer close (EV_CLOSED) without reading. */
	EV_FEATURE_EARLY_CLOSE = 0x08
};

/** Flags for event_config_set_flag. */
enum event_base_config_flag {
	/** No locks: the base is never used from several threads. */
	EVENT_BASE_FLAG_NOLOCK = 0x01,
	/** Ignore the EVENT_* environment variables. */
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
	/** Windows only: start IOCP. */
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
	/** Read the clock after every callback instead of once per turn. */
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
	/** epoll: batch fd changes per loop turn. */
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
	/** Use the most precise (possibly slower) timer. */
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20
};

/** EV_FEATURE_* bits of base's backend. */
EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);

/** Only accept backends with all EV_FEATURE_* bits in feature; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);

/** Set EVENT_BASE_FLAG_* bits; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);

/** Hint how many CPUs to use (IOCP only); 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);

/** Bound the time or callback count spent on low priorities per turn. */
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks,
    int min_priority);

/** Create a base following cfg; NULL when no backend satisfies it. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *);

/** Free base, running pending finalizers first. Events are not freed. */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *);

/** Free base without running finalizers. */
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/* ---- Logging ---- */

/* Severities given to the log callback. */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG 1
#define EVENT_LOG_WARN 2
#define EVENT_LOG_ERR 3

/* Older spellings of the severities. */
#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/** Receives each log message with its EVENT_LOG_* severity. */
typedef void (*event_log_cb)(int severity, const char *msg);

/** Send log messages to cb instead of stderr; NULL restores the default. */
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

/** Called on an unrecoverable error instead of exit(1); must not return. */
typedef void (*event_fatal_cb)(int err);

/** Install the fatal-error handler; NULL restores the default. */
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

/* Masks for event_enable_debug_logging. */
#define EVENT_DBG_ALL 0xffffffffu
#define EVENT_DBG_NONE 0

/** Turn debug-level log messages on (EVENT_DBG_ALL) or off. */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/** Move a not-yet-added event to another base; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *, struct event *);

/* ---- Running the loop ---- */

/* Flags for event_base_loop. */
/** Wait for at least one event, run what is active, then return. */
#define EVLOOP_ONCE 0x01
/** Do not wait: run what is ready now, then return. */
#define EVLOOP_NONBLOCK 0x02
/** Keep running even when no events are added. */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04

/** Run the loop with EVLOOP_* flags: 0 done, 1 no events, -1 error. */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *, int);

/** Stop the loop after tv (NULL: after this turn's callbacks); 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *, const struct timeval *);

/** Stop the loop right after the running callback; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *);

/** Look for new events before running the rest of the active ones. */
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *);

/** Nonzero if the last loop ended through event_base_loopexit. */
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *);

/** Nonzero if the last loop ended through event_base_loopbreak. */
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *);

/* ---- Event flags ---- */

/** The timeout expired. */
#define EV_TIMEOUT 0x01
/** The fd is readable. */
#define EV_READ 0x02
/** The fd is writable. */
#define EV_WRITE 0x04
/** The signal (ev_fd is the signal number) was delivered. */
#define EV_SIGNAL 0x08
/** Stay pending after firing. */
#define EV_PERSIST 0x10
/** Edge-triggered, if the backend supports it. */
#define EV_ET 0x20
/** event_del must not wait for a running callback in another thread. */
#define EV_FINALIZE 0x40
/** The peer closed the connection (needs EV_FEATURE_EARLY_CLOSE). */
#define EV_CLOSED 0x80

/* Timer shorthands. */
#define evtimer_assign(ev, b, cb, arg) \
	event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv) event_add((ev), (tv))
#define evtimer_del(ev) event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)

/* Signal shorthands: signal events are always persistent. */
#define evsignal_add(ev, tv) event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg) \
	event_assign((ev), (b), (x), EV_SIGNAL|EV_PERSIST, cb, (arg))
#define evsignal_new(b, x, cb, arg) \
	event_new((b), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define evsignal_del(ev) event_del(ev)
#define evsignal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev) event_initialized(ev)

/* User-triggered events: no fd, fired with evuser_trigger. */
#define evuser_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evuser_del(ev) event_del(ev)
#define evuser_pending(ev, tv) event_pending((ev), 0, (tv))
#define evuser_initialized(ev) event_initialized(ev)
#define evuser_trigger(ev) event_active((ev), 0, 0)

/** An event callback: (fd or signal, EV_* flags that fired, argument). */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/** Stands for the event itself when passed as the arg of event_new/assign. */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/* ---- Events ---- */

/** Allocate and assign an event; NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *);

/** Prepare caller-owned storage as an event; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *, struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *);

/** Delete and free an event made by event_new. */
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

/** Runs once an event has been finalized; the event may then be freed. */
typedef void (*event_finalize_callback_fn)(struct event *, void *);

/** Delete ev without blocking and call cb when no callback can run. */
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);

/** Like event_finalize, then free the event made by event_new. */
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);

/** Run cb once for fd/events or after timeout; no event to manage; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *, evutil_socket_t, short,
    event_callback_fn, void *, const struct timeval *);

/** Make ev pending, with an optional timeout; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);

/** Cancel ev's timeout but keep its fd/signal registration; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);

/** Make ev neither pending nor active; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *);

/** event_del that never waits for a callback running in another thread. */
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);

/** event_del that always waits for a callback running in another thread. */
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/** Make ev active with result flags res (ncalls is obsolete). */
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/** Which of events ev is pending or active for; expiry into tv if set. */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

/** The event whose callback is running in this loop, or NULL. */
EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/** Nonzero if ev has been assigned. Zero-filled memory reads as not. */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

/** The signal number of a signal event. */
#define event_get_signal(ev) ((int)event_get_fd(ev))

/** ev's file descriptor (or signal number). */
EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);

/** ev's base. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);

/** ev's EV_* flags. */
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);

/** ev's callback. */
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);

/** ev's callback argument. */
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);

/** ev's priority. */
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);

/** Everything ev was assigned with; NULL outputs are skipped. */
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);

/** sizeof(struct event) in the running library. */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/* ---- Version ---- */

/** Version string of the running library ("2.1.12-stable"). */
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);

/** Version of the running library as 0xMMmmppss (0x02010c00). */
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

/** Version string of these headers. */
#define LIBEVENT_VERSION EVENT__VERSION
/** Version of these headers as a number. */
#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/* ---- Priorities ---- */

/** Upper bound for event_base_priority_init. */
#define EVENT_MAX_PRIORITIES 256

/** Give base npriorities levels (before any event is active); 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_priority_init(struct event_base *, int);

/** Number of priority levels of eb. */
EVENT2_EXPORT_SYMBOL
int event_base_get_npriorities(struct event_base *eb);

/** Set a non-active event's priority; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_priority_set(struct event *, int);

/** A timeout value that files many equal timeouts in one queue, or NULL. */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

/* ---- Global settings ---- */

/** Replace the allocator; call before anything else in the library. */
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(
    void *(*malloc_fn)(size_t sz),
    void *(*realloc_fn)(void *ptr, size_t sz),
    void (*free_fn)(void *ptr));
/** event_set_mem_functions exists in this build. */
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED

/** Write a description of every event in base to output. */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *, FILE *);

/** Activate every event on fd with the given EV_* flags. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd,
    short events);

/** Activate every event waiting for signal sig. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

/** Visitor for event_base_foreach_event; nonzero stops the walk. */
typedef int (*event_base_foreach_event_cb)(const struct event_base *,
    const struct event *, void *);

/** Call fn on every added or active event; 0, or fn's nonzero stop value. */
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base,
    event_base_foreach_event_cb fn, void *arg);

/** The loop's cached time (or the clock if none is cached); 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base,
    struct timeval *tv);

/** Refresh the loop's cached time now; 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/** Release global state before exit (optional, for leak checkers). */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
