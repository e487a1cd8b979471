/*
 * oxevent: event2/thread.h
 *
 * How a program makes oxevent thread-safe: either by installing its own
 * lock, condition and thread-id callbacks, or by calling
 * evthread_use_pthreads() (libevent_pthreads).  Both must happen before
 * any event_base is created.
 */
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

#include <event2/visibility.h>
#include <event2/event-config.h>

#ifdef __cplusplus
extern "C" {
#endif

struct timeval;
struct event_base;

/* Mode bits passed to the lock and unlock callbacks. */
/** Lock a read-write lock for writing. */
#define EVTHREAD_WRITE 0x04
/** Lock a read-write lock for reading. */
#define EVTHREAD_READ 0x08
/** Try to lock; fail instead of waiting. */
#define EVTHREAD_TRY 0x10

/** Value for evthread_lock_callbacks.lock_api_version. */
#define EVTHREAD_LOCK_API_VERSION 1

/* Lock types passed to alloc/free. 0 is a plain mutex. */
/** A lock the same thread may take again. */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
/** A read-write lock. */
#define EVTHREAD_LOCKTYPE_READWRITE 2

/** The lock implementation a program supplies. */
struct evthread_lock_callbacks {
	/** Must be EVTHREAD_LOCK_API_VERSION. */
	int lock_api_version;
	/** EVTHREAD_LOCKTYPE_* bits the implementation supports. */
	unsigned supported_locktypes;
	/** Create a lock of the given type; NULL on failure. */
	void *(*alloc)(unsigned locktype);
	/** Destroy a lock made by alloc. */
	void (*free)(void *lock, unsigned locktype);
	/** Acquire with EVTHREAD_* mode bits; 0 on success. */
	int (*lock)(unsigned mode, void *lock);
	/** Release with EVTHREAD_* mode bits; 0 on success. */
	int (*unlock)(unsigned mode, void *lock);
};

/** Install lock callbacks (copied); 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

/** Value for evthread_condition_callbacks.condition_api_version. */
#define EVTHREAD_CONDITION_API_VERSION 1

/** The condition-variable implementation a program supplies. */
struct evthread_condition_callbacks {
	/** Must be EVTHREAD_CONDITION_API_VERSION. */
	int condition_api_version;
	/** Create a condition variable (condtype is 0); NULL on failure. */
	void *(*alloc_condition)(unsigned condtype);
	/** Destroy a condition made by alloc_condition. */
	void (*free_condition)(void *cond);
	/** Wake one waiter, or all when broadcast is nonzero; 0 on success. */
	int (*signal_condition)(void *cond, int broadcast);
	/** Wait with lock held, up to timeout if not NULL: 0 woken, 1 timed out, -1 error. */
	int (*wait_condition)(void *cond, void *lock,
	    const struct timeval *timeout);
};

/** Install condition callbacks (copied); 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(
    const struct evthread_condition_callbacks *);

/** Install the function that names the calling thread. */
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(unsigned long (*id_fn)(void));

/** Use pthreads for locks, conditions and thread ids (libevent_pthreads). */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/** Wrap the installed locks with checks that catch misuse (call first). */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);

/** Old misspelled name of evthread_enable_lock_debugging. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

/** Let other threads wake base's loop; 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_THREAD_H_INCLUDED_ */
