/*
 * layout.c: the C half of oxevent's ABI proof.
 *
 * Checks, against libevent 2.1.12's x86_64 layout
 * (tests/abi/struct-layout-x86_64.txt), the size, alignment and field
 * offsets of every public struct declared by event2/event_struct.h,
 * event2/keyvalq_struct.h, event2/thread.h and event2/util.h, the widths
 * of the portable typedefs, the values of the public constants, and what
 * the running library reports about itself.
 *
 * Uses only public headers.  Must pass when built against oxevent's
 * headers or Debian's, and when run against either library.  Prints each
 * mismatch; exits 0 only when everything matches.  Pass -v to print every
 * check.
 */

/* The event2 headers come first: they set the feature macros. */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/event_compat.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int verbose;
static int checks;
static int failures;

static void expect(const char *what, unsigned long got, unsigned long want)
{
	++checks;
	if (got != want) {
		++failures;
		printf("FAIL %-52s got %lu, want %lu\n", what, got, want);
	} else if (verbose) {
		printf("ok   %-52s %lu\n", what, got);
	}
}

static void expect_signed(const char *what, long got, long want)
{
	++checks;
	if (got != want) {
		++failures;
		printf("FAIL %-52s got %ld, want %ld\n", what, got, want);
	} else if (verbose) {
		printf("ok   %-52s %ld\n", what, got);
	}
}

/* C99 has no _Alignof: measure where a T lands after a char. */
#define ALIGN_OF(T) offsetof(struct { char c_; T t_; }, t_)

#define STRUCT(T, size, align)                                          \
	do {                                                            \
		expect("sizeof(" #T ")", sizeof(T), (size));            \
		expect("alignof(" #T ")", ALIGN_OF(T), (align));        \
	} while (0)

#define FIELD(T, m, off, size)                                          \
	do {                                                            \
		expect("offsetof(" #T ", " #m ")", offsetof(T, m), (off)); \
		expect("sizeof(" #T "." #m ")",                         \
		    sizeof(((T *)0)->m), (size));                       \
	} while (0)

#define TYPE_SIZE(T, size) expect("sizeof(" #T ")", sizeof(T), (size))

#define CONST(name, value) expect_signed(#name, (long)(name), (long)(value))

static void check_event(void)
{
	STRUCT(struct event_callback, 40, 8);
	FIELD(struct event_callback, evcb_active_next, 0, 16);
	FIELD(struct event_callback, evcb_active_next.tqe_next, 0, 8);
	FIELD(struct event_callback, evcb_active_next.tqe_prev, 8, 8);
	FIELD(struct event_callback, evcb_flags, 16, 2);
	FIELD(struct event_callback, evcb_pri, 18, 1);
	FIELD(struct event_callback, evcb_closure, 19, 1);
	FIELD(struct event_callback, evcb_cb_union, 24, 8);
	FIELD(struct event_callback, evcb_cb_union.evcb_callback, 24, 8);
	FIELD(struct event_callback, evcb_cb_union.evcb_selfcb, 24, 8);
	FIELD(struct event_callback, evcb_cb_union.evcb_evfinalize, 24, 8);
	FIELD(struct event_callback, evcb_cb_union.evcb_cbfinalize, 24, 8);
	FIELD(struct event_callback, evcb_arg, 32, 8);

	STRUCT(struct event, 128, 8);
	FIELD(struct event, ev_evcallback, 0, 40);
	FIELD(struct event, ev_evcallback.evcb_flags, 16, 2);
	FIELD(struct event, ev_evcallback.evcb_pri, 18, 1);
	FIELD(struct event, ev_evcallback.evcb_cb_union.evcb_callback, 24, 8);
	FIELD(struct event, ev_evcallback.evcb_arg, 32, 8);
	FIELD(struct event, ev_timeout_pos, 40, 16);
	FIELD(struct event, ev_timeout_pos.ev_next_with_common_timeout, 40, 16);
	FIELD(struct event, ev_timeout_pos.min_heap_idx, 40, 4);
	FIELD(struct event, ev_fd, 56, 4);
	FIELD(struct event, ev_base, 64, 8);
	FIELD(struct event, ev_, 72, 32);
	FIELD(struct event, ev_.ev_io, 72, 32);
	FIELD(struct event, ev_.ev_io.ev_io_next, 72, 16);
	FIELD(struct event, ev_.ev_io.ev_io_next.le_next, 72, 8);
	FIELD(struct event, ev_.ev_io.ev_io_next.le_prev, 80, 8);
	FIELD(struct event, ev_.ev_io.ev_timeout, 88, 16);
	FIELD(struct event, ev_.ev_signal, 72, 32);
	FIELD(struct event, ev_.ev_signal.ev_signal_next, 72, 16);
	FIELD(struct event, ev_.ev_signal.ev_ncalls, 88, 2);
	FIELD(struct event, ev_.ev_signal.ev_pncalls, 96, 8);
	FIELD(struct event, ev_events, 104, 2);
	FIELD(struct event, ev_res, 106, 2);
	FIELD(struct event, ev_timeout, 112, 16);
	FIELD(struct event, ev_timeout.tv_sec, 112, 8);
	FIELD(struct event, ev_timeout.tv_usec, 120, 8);

	STRUCT(struct event_list, 16, 8);
	FIELD(struct event_list, tqh_first, 0, 8);
	FIELD(struct event_list, tqh_last, 8, 8);

	STRUCT(struct event_dlist, 8, 8);
	FIELD(struct event_dlist, lh_first, 0, 8);
}

static void check_keyvalq(void)
{
	STRUCT(struct evkeyval, 32, 8);
	FIELD(struct evkeyval, next, 0, 16);
	FIELD(struct evkeyval, next.tqe_next, 0, 8);
	FIELD(struct evkeyval, next.tqe_prev, 8, 8);
	FIELD(struct evkeyval, key, 16, 8);
	FIELD(struct evkeyval, value, 24, 8);

	STRUCT(struct evkeyvalq, 16, 8);
	FIELD(struct evkeyvalq, tqh_first, 0, 8);
	FIELD(struct evkeyvalq, tqh_last, 8, 8);
}

static void check_thread(void)
{
	STRUCT(struct evthread_lock_callbacks, 40, 8);
	FIELD(struct evthread_lock_callbacks, lock_api_version, 0, 4);
	FIELD(struct evthread_lock_callbacks, supported_locktypes, 4, 4);
	FIELD(struct evthread_lock_callbacks, alloc, 8, 8);
	FIELD(struct evthread_lock_callbacks, free, 16, 8);
	FIELD(struct evthread_lock_callbacks, lock, 24, 8);
	FIELD(struct evthread_lock_callbacks, unlock, 32, 8);

	STRUCT(struct evthread_condition_callbacks, 40, 8);
	FIELD(struct evthread_condition_callbacks, condition_api_version, 0, 4);
	FIELD(struct evthread_condition_callbacks, alloc_condition, 8, 8);
	FIELD(struct evthread_condition_callbacks, free_condition, 16, 8);
	FIELD(struct evthread_condition_callbacks, signal_condition, 24, 8);
	FIELD(struct evthread_condition_callbacks, wait_condition, 32, 8);
}

static void check_util(void)
{
	TYPE_SIZE(evutil_socket_t, 4);
	TYPE_SIZE(ev_ssize_t, 8);
	TYPE_SIZE(ev_off_t, 8);
	TYPE_SIZE(ev_socklen_t, 4);
	TYPE_SIZE(ev_uint64_t, 8);
	TYPE_SIZE(ev_int64_t, 8);
	TYPE_SIZE(ev_uint32_t, 4);
	TYPE_SIZE(ev_int32_t, 4);
	TYPE_SIZE(ev_uint16_t, 2);
	TYPE_SIZE(ev_int16_t, 2);
	TYPE_SIZE(ev_uint8_t, 1);
	TYPE_SIZE(ev_int8_t, 1);
	TYPE_SIZE(ev_uintptr_t, 8);
	TYPE_SIZE(ev_intptr_t, 8);
	expect("evutil_socket_t is signed", (evutil_socket_t)-1 < 0, 1);
	expect("ev_ssize_t is signed", (ev_ssize_t)-1 < 0, 1);
	expect("ev_off_t is signed", (ev_off_t)-1 < 0, 1);

	STRUCT(struct evutil_addrinfo, 48, 8);
	FIELD(struct evutil_addrinfo, ai_flags, 0, 4);
	FIELD(struct evutil_addrinfo, ai_family, 4, 4);
	FIELD(struct evutil_addrinfo, ai_socktype, 8, 4);
	FIELD(struct evutil_addrinfo, ai_protocol, 12, 4);
	FIELD(struct evutil_addrinfo, ai_addrlen, 16, 4);
	FIELD(struct evutil_addrinfo, ai_addr, 24, 8);
	FIELD(struct evutil_addrinfo, ai_canonname, 32, 8);
	FIELD(struct evutil_addrinfo, ai_next, 40, 8);
}

static void check_constants(void)
{
	CONST(EV_TIMEOUT, 0x01);
	CONST(EV_READ, 0x02);
	CONST(EV_WRITE, 0x04);
	CONST(EV_SIGNAL, 0x08);
	CONST(EV_PERSIST, 0x10);
	CONST(EV_ET, 0x20);
	CONST(EV_FINALIZE, 0x40);
	CONST(EV_CLOSED, 0x80);

	CONST(EVLOOP_ONCE, 0x01);
	CONST(EVLOOP_NONBLOCK, 0x02);
	CONST(EVLOOP_NO_EXIT_ON_EMPTY, 0x04);

	CONST(EVENT_BASE_FLAG_NOLOCK, 0x01);
	CONST(EVENT_BASE_FLAG_IGNORE_ENV, 0x02);
	CONST(EVENT_BASE_FLAG_STARTUP_IOCP, 0x04);
	CONST(EVENT_BASE_FLAG_NO_CACHE_TIME, 0x08);
	CONST(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST, 0x10);
	CONST(EVENT_BASE_FLAG_PRECISE_TIMER, 0x20);

	CONST(EV_FEATURE_ET, 0x01);
	CONST(EV_FEATURE_O1, 0x02);
	CONST(EV_FEATURE_FDS, 0x04);
	CONST(EV_FEATURE_EARLY_CLOSE, 0x08);

	CONST(EVENT_BASE_COUNT_ACTIVE, 1);
	CONST(EVENT_BASE_COUNT_VIRTUAL, 2);
	CONST(EVENT_BASE_COUNT_ADDED, 4);

	CONST(EVENT_LOG_DEBUG, 0);
	CONST(EVENT_LOG_MSG, 1);
	CONST(EVENT_LOG_WARN, 2);
	CONST(EVENT_LOG_ERR, 3);
	CONST(EVENT_DBG_NONE, 0);
	CONST(EVENT_DBG_ALL, 0xffffffffL);

	CONST(EVENT_MAX_PRIORITIES, 256);
	CONST(LIBEVENT_VERSION_NUMBER, 0x02010c00);

	CONST(EVLIST_TIMEOUT, 0x01);
	CONST(EVLIST_INSERTED, 0x02);
	CONST(EVLIST_SIGNAL, 0x04);
	CONST(EVLIST_ACTIVE, 0x08);
	CONST(EVLIST_INTERNAL, 0x10);
	CONST(EVLIST_ACTIVE_LATER, 0x20);
	CONST(EVLIST_FINALIZING, 0x40);
	CONST(EVLIST_INIT, 0x80);
	CONST(EVLIST_ALL, 0xff);

	CONST(EVTHREAD_WRITE, 0x04);
	CONST(EVTHREAD_READ, 0x08);
	CONST(EVTHREAD_TRY, 0x10);
	CONST(EVTHREAD_LOCK_API_VERSION, 1);
	CONST(EVTHREAD_LOCKTYPE_RECURSIVE, 1);
	CONST(EVTHREAD_LOCKTYPE_READWRITE, 2);
	CONST(EVTHREAD_CONDITION_API_VERSION, 1);

	CONST(EV_MONOT_PRECISE, 1);
	CONST(EV_MONOT_FALLBACK, 2);
	CONST(EVUTIL_INVALID_SOCKET, -1);

	/* glibc's values: the event2 headers came first, with _GNU_SOURCE. */
	CONST(EVUTIL_EAI_ADDRFAMILY, -9);
	CONST(EVUTIL_EAI_AGAIN, -3);
	CONST(EVUTIL_EAI_BADFLAGS, -1);
	CONST(EVUTIL_EAI_FAIL, -4);
	CONST(EVUTIL_EAI_FAMILY, -6);
	CONST(EVUTIL_EAI_MEMORY, -10);
	CONST(EVUTIL_EAI_NODATA, -5);
	CONST(EVUTIL_EAI_NONAME, -2);
	CONST(EVUTIL_EAI_SERVICE, -8);
	CONST(EVUTIL_EAI_SOCKTYPE, -7);
	CONST(EVUTIL_EAI_SYSTEM, -11);
	CONST(EVUTIL_EAI_CANCEL, -90001);
	CONST(EVUTIL_AI_PASSIVE, 0x0001);
	CONST(EVUTIL_AI_CANONNAME, 0x0002);
	CONST(EVUTIL_AI_NUMERICHOST, 0x0004);
	CONST(EVUTIL_AI_NUMERICSERV, 0x0400);
	CONST(EVUTIL_AI_V4MAPPED, 0x0008);
	CONST(EVUTIL_AI_ALL, 0x0010);
	CONST(EVUTIL_AI_ADDRCONFIG, 0x0020);
}

static void check_runtime(void)
{
	const char *version = event_get_version();

	expect("event_get_struct_event_size()", event_get_struct_event_size(),
	    sizeof(struct event));
	expect("event_get_struct_event_size() == 128",
	    event_get_struct_event_size(), 128);
	expect("event_get_version_number()", event_get_version_number(),
	    LIBEVENT_VERSION_NUMBER);
	++checks;
	if (version == NULL || strcmp(version, LIBEVENT_VERSION) != 0) {
		++failures;
		printf("FAIL %-52s got \"%s\", want \"%s\"\n", "event_get_version()",
		    version ? version : "(null)", LIBEVENT_VERSION);
	} else if (verbose) {
		printf("ok   %-52s \"%s\"\n", "event_get_version()", version);
	}
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;

	check_event();
	check_keyvalq();
	check_thread();
	check_util();
	check_constants();
	check_runtime();

	printf("layout: %d checks, %d failed\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
