//! The C-visible data of libevent 2.1.12 on `x86_64` Linux, mirrored in Rust.
//!
//! This module owns:
//! - `#[repr(C)]` mirrors of the public structs the FFI layer reads or
//!   writes: [`Event`] (`struct event`, 128 bytes) and its parts,
//!   [`EventCallback`], [`EvthreadLockCallbacks`] and
//!   [`EvthreadConditionCallbacks`];
//! - the public constants (`EV_*`, `EVLOOP_*`, `EVENT_BASE_FLAG_*`,
//!   `EVLIST_*`, `EVTHREAD_*`, `EVUTIL_EAI_*`, …) with the values the C
//!   headers in `include/` give them;
//! - the C callback types and the portable integer types (`evutil_socket_t`,
//!   `ev_ssize_t`, …);
//! - compile-time proof that every size and offset matches the table in
//!   `shared/abi/struct-layout-x86_64.txt` (the C side is proven by
//!   `tests/c/layout.c`).
//!
//! It must never contain behaviour, `unsafe` code or anything that depends on
//! the engine: it describes bytes, nothing more. If an assertion here fails
//! to compile, the layout is wrong; fix the struct, never the assertion.
//!
//! # Who owns which bytes of `struct event`
//!
//! The program owns the memory (it may be static, on the stack, inside a
//! larger struct, or from `event_new`). Programs read these fields directly,
//! so the library keeps them exactly as libevent does: `ev_fd`, `ev_base`,
//! `ev_events`, `ev_res`, `ev_timeout`, and the `evcb_flags`, `evcb_pri`,
//! `evcb_cb_union` and `evcb_arg` fields of `ev_evcallback`. The other bytes
//! (`evcb_active_next`, `evcb_closure`, `ev_timeout_pos`, the whole `ev_`
//! union) are libevent's private bookkeeping: programs never interpret them,
//! so the library may keep its own data there.

#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_short, c_uint, c_ulong, c_void, CStr};
use core::mem::{align_of, offset_of, size_of};

// ---------------------------------------------------------------------------
// Portable types (event2/util.h)
// ---------------------------------------------------------------------------

/// A socket or other file descriptor (`evutil_socket_t`): an `int` on POSIX.
pub type evutil_socket_t = c_int;
/// `ev_ssize_t`: the signed result of `read`/`write`.
pub type ev_ssize_t = libc::ssize_t;
/// `ev_off_t`: a file offset, always 64-bit.
pub type ev_off_t = i64;
/// `ev_socklen_t`: the length of a socket address.
pub type ev_socklen_t = libc::socklen_t;

// ---------------------------------------------------------------------------
// Callback types
// ---------------------------------------------------------------------------

/// `event_callback_fn`: (fd or signal number, `EV_*` flags that fired, argument).
pub type event_callback_fn = unsafe extern "C" fn(evutil_socket_t, c_short, *mut c_void);
/// `event_finalize_callback_fn`: runs once an event can no longer fire.
pub type event_finalize_callback_fn = unsafe extern "C" fn(*mut Event, *mut c_void);
/// The self-callback variant of [`EventCallback::evcb_cb_union`] (`evcb_selfcb`,
/// and `evcb_cbfinalize`, which has the same signature).
pub type event_callback_self_fn = unsafe extern "C" fn(*mut EventCallback, *mut c_void);
/// `event_log_cb`: (`EVENT_LOG_*` severity, NUL-terminated message).
pub type event_log_cb = unsafe extern "C" fn(c_int, *const c_char);
/// `event_fatal_cb`: called with an error code; must not return.
pub type event_fatal_cb = unsafe extern "C" fn(c_int);
/// `event_base_foreach_event_cb`: (base, event, argument); nonzero stops the walk.
/// The base is opaque, hence `*const c_void`.
pub type event_base_foreach_event_cb =
    unsafe extern "C" fn(*const c_void, *const Event, *mut c_void) -> c_int;
/// The `malloc` replacement given to `event_set_mem_functions`.
pub type event_malloc_fn = unsafe extern "C" fn(usize) -> *mut c_void;
/// The `realloc` replacement given to `event_set_mem_functions`.
pub type event_realloc_fn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
/// The `free` replacement given to `event_set_mem_functions`.
pub type event_free_fn = unsafe extern "C" fn(*mut c_void);
/// The thread-id function given to `evthread_set_id_callback`.
pub type evthread_id_fn = unsafe extern "C" fn() -> c_ulong;

/// [`EvthreadLockCallbacks::alloc`]: create a lock of an `EVTHREAD_LOCKTYPE_*` type.
pub type evthread_lock_alloc_fn = unsafe extern "C" fn(c_uint) -> *mut c_void;
/// [`EvthreadLockCallbacks::free`]: (lock, lock type).
pub type evthread_lock_free_fn = unsafe extern "C" fn(*mut c_void, c_uint);
/// [`EvthreadLockCallbacks::lock`] and `unlock`: (`EVTHREAD_*` mode bits, lock) → 0 on success.
pub type evthread_lock_op_fn = unsafe extern "C" fn(c_uint, *mut c_void) -> c_int;
/// [`EvthreadConditionCallbacks::alloc_condition`]: (condition type, always 0).
pub type evthread_cond_alloc_fn = unsafe extern "C" fn(c_uint) -> *mut c_void;
/// [`EvthreadConditionCallbacks::free_condition`].
pub type evthread_cond_free_fn = unsafe extern "C" fn(*mut c_void);
/// [`EvthreadConditionCallbacks::signal_condition`]: (condition, broadcast) → 0 on success.
pub type evthread_cond_signal_fn = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
/// [`EvthreadConditionCallbacks::wait_condition`]: (condition, held lock, timeout or
/// NULL) → 0 woken, 1 timed out, -1 error.
pub type evthread_cond_wait_fn =
    unsafe extern "C" fn(*mut c_void, *mut c_void, *const libc::timeval) -> c_int;

// ---------------------------------------------------------------------------
// Structs (event2/event_struct.h, event2/thread.h)
// ---------------------------------------------------------------------------

/// Two links, as `TAILQ_ENTRY(type)` and `LIST_ENTRY(type)` lay them out:
/// the next element, then the address of the previous element's `next`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct QueueLink {
    /// `tqe_next` / `le_next`.
    pub next: *mut c_void,
    /// `tqe_prev` / `le_prev`.
    pub prev: *mut *mut c_void,
}

impl QueueLink {
    /// Both links null.
    pub const NULL: Self = Self {
        next: core::ptr::null_mut(),
        prev: core::ptr::null_mut(),
    };
}

/// `struct event_callback` (40 bytes): the schedulable part of an event.
#[repr(C)]
#[derive(Debug)]
pub struct EventCallback {
    /// Private: libevent links active callbacks here.
    pub evcb_active_next: QueueLink,
    /// `EVLIST_*` state bits; `EVLIST_INIT` is what `event_initialized` tests.
    pub evcb_flags: c_short,
    /// Priority, 0 runs first.
    pub evcb_pri: u8,
    /// Private: how the callback is invoked.
    pub evcb_closure: u8,
    /// The callback (`evcb_cb_union.evcb_callback` in C). The C union's other
    /// members ([`event_callback_self_fn`], [`event_finalize_callback_fn`])
    /// share these 8 bytes; oxevent keeps finalizers in its engine record, so
    /// this slot always holds the program's `event_callback_fn` or NULL.
    pub evcb_cb_union: Option<event_callback_fn>,
    /// The argument passed to the callback.
    pub evcb_arg: *mut c_void,
}

/// `ev_.ev_io` of `struct event`: bookkeeping for I/O events (private).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EvIo {
    /// libevent links the events of one fd here.
    pub ev_io_next: QueueLink,
    /// libevent keeps the requested timeout of a persistent event here.
    pub ev_timeout: libc::timeval,
}

/// `ev_.ev_signal` of `struct event`: bookkeeping for signal events (private).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EvSignal {
    /// libevent links the events of one signal here.
    pub ev_signal_next: QueueLink,
    /// How many times the callback still has to run.
    pub ev_ncalls: c_short,
    /// The C struct's padding, named so that every byte of the union is a
    /// field and each variant can be read whatever the other wrote. Keep zero.
    pub ev_pad: [u8; 6],
    /// Points at the running count so a callback can stop further calls.
    pub ev_pncalls: *mut c_short,
}

/// `ev_` of `struct event` (32 bytes): per-kind private bookkeeping.
///
/// Every byte of both variants is a plain integer or pointer, so any
/// initialized bytes are valid for either variant.
#[repr(C)]
#[derive(Clone, Copy)]
pub union EventKindData {
    /// The I/O view.
    pub ev_io: EvIo,
    /// The signal view.
    pub ev_signal: EvSignal,
}

impl core::fmt::Debug for EventKindData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Which variant is live is not recorded here; print neither.
        f.debug_struct("EventKindData").finish_non_exhaustive()
    }
}

/// `struct event` (128 bytes), the program-owned event record.
///
/// See the module docs for which fields programs read and which bytes are
/// private.
#[repr(C)]
#[derive(Debug)]
pub struct Event {
    /// Scheduling state, callback and argument.
    pub ev_evcallback: EventCallback,
    /// Private: libevent's min-heap index (first 4 bytes) or common-timeout
    /// queue link. 16 bytes, 8-aligned.
    pub ev_timeout_pos: [u64; 2],
    /// The file descriptor, or the signal number for `EV_SIGNAL`.
    pub ev_fd: evutil_socket_t,
    /// The base (an opaque `struct event_base *`).
    pub ev_base: *mut c_void,
    /// Private per-kind bookkeeping.
    pub ev_: EventKindData,
    /// The `EV_*` flags the event was assigned with.
    pub ev_events: c_short,
    /// The `EV_*` flags passed to the running callback.
    pub ev_res: c_short,
    /// Absolute expiry time while a timeout is pending.
    pub ev_timeout: libc::timeval,
}

impl Event {
    /// An all-zero event: what a static or `calloc`ed `struct event` holds,
    /// and what `event_initialized` reports as not initialized.
    #[must_use]
    pub const fn zeroed() -> Self {
        const ZERO_TV: libc::timeval = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        Self {
            ev_evcallback: EventCallback {
                evcb_active_next: QueueLink::NULL,
                evcb_flags: 0,
                evcb_pri: 0,
                evcb_closure: 0,
                evcb_cb_union: None,
                evcb_arg: core::ptr::null_mut(),
            },
            ev_timeout_pos: [0; 2],
            ev_fd: 0,
            ev_base: core::ptr::null_mut(),
            ev_: EventKindData {
                ev_io: EvIo {
                    ev_io_next: QueueLink::NULL,
                    ev_timeout: ZERO_TV,
                },
            },
            ev_events: 0,
            ev_res: 0,
            ev_timeout: ZERO_TV,
        }
    }
}

/// `struct evthread_lock_callbacks` (40 bytes), given to
/// `evthread_set_lock_callbacks`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EvthreadLockCallbacks {
    /// Must be [`EVTHREAD_LOCK_API_VERSION`].
    pub lock_api_version: c_int,
    /// `EVTHREAD_LOCKTYPE_*` bits the implementation supports.
    pub supported_locktypes: c_uint,
    /// Create a lock.
    pub alloc: Option<evthread_lock_alloc_fn>,
    /// Destroy a lock.
    pub free: Option<evthread_lock_free_fn>,
    /// Acquire a lock.
    pub lock: Option<evthread_lock_op_fn>,
    /// Release a lock.
    pub unlock: Option<evthread_lock_op_fn>,
}

/// `struct evthread_condition_callbacks` (40 bytes), given to
/// `evthread_set_condition_callbacks`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EvthreadConditionCallbacks {
    /// Must be [`EVTHREAD_CONDITION_API_VERSION`].
    pub condition_api_version: c_int,
    /// Create a condition variable.
    pub alloc_condition: Option<evthread_cond_alloc_fn>,
    /// Destroy a condition variable.
    pub free_condition: Option<evthread_cond_free_fn>,
    /// Wake one or all waiters.
    pub signal_condition: Option<evthread_cond_signal_fn>,
    /// Wait, with the lock held, up to an optional timeout.
    pub wait_condition: Option<evthread_cond_wait_fn>,
}

// ---------------------------------------------------------------------------
// Buffers (event2/buffer.h, event2/buffer_compat.h)
// ---------------------------------------------------------------------------

/// `struct evbuffer_ptr` (24 bytes): a position in a buffer. `pos` is the
/// byte offset (-1: not found); the two private words hold what oxevent
/// needs to check the position is still its buffer's and current (a stamp
/// and a chunk hint, see `oxevent::buffer::Pos`), never an address.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EvbufferPtr {
    /// Offset from the start of the buffer, or -1.
    pub pos: ev_ssize_t,
    /// `internal_.chain` in C: the position's stamp.
    pub chain: u64,
    /// `internal_.pos_in_chain` in C: the position's chunk hint.
    pub pos_in_chain: u64,
}

impl EvbufferPtr {
    /// What libevent returns for "not found": pos -1, both words zero.
    pub const NOT_FOUND: Self = Self {
        pos: -1,
        chain: 0,
        pos_in_chain: 0,
    };
}

/// `struct evbuffer_iovec`: on Linux the system's `struct iovec` (16 bytes).
pub type EvbufferIovec = libc::iovec;

/// `struct evbuffer_cb_info` (24 bytes): what changed since callbacks last ran.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvbufferCbInfo {
    /// The length before the changes reported.
    pub orig_size: usize,
    /// Bytes added since.
    pub n_added: usize,
    /// Bytes removed since.
    pub n_deleted: usize,
}

/// `evbuffer_cb_func`: (buffer, what changed, argument). The buffer is
/// opaque here, hence `*mut c_void`.
pub type evbuffer_cb_func = unsafe extern "C" fn(*mut c_void, *const EvbufferCbInfo, *mut c_void);
/// `evbuffer_cb` (buffer_compat.h): (buffer, old length, new length, argument).
pub type evbuffer_cb = unsafe extern "C" fn(*mut c_void, usize, usize, *mut c_void);
/// `evbuffer_ref_cleanup_cb`: (data, length, argument).
pub type evbuffer_ref_cleanup_cb = unsafe extern "C" fn(*const c_void, usize, *mut c_void);
/// `evbuffer_file_segment_cleanup_cb`: (segment, its flags, argument).
pub type evbuffer_file_segment_cleanup_cb = unsafe extern "C" fn(*const c_void, c_int, *mut c_void);

/// `EVBUFFER_FLAG_DRAINS_TO_FD`.
pub const EVBUFFER_FLAG_DRAINS_TO_FD: u64 = 1;
/// `EVBUFFER_CB_ENABLED`.
pub const EVBUFFER_CB_ENABLED: u32 = 1;
/// libevent's internal `EVBUFFER_CB_NODEFER` (not in the public header, but
/// a program may pass it): the callback runs inside the call even when the
/// buffer's callbacks are deferred.
pub const EVBUFFER_CB_NODEFER: u32 = 2;
/// The callback flags a program may set (`EVBUFFER_CB_USER_FLAGS`).
pub const EVBUFFER_CB_USER_FLAGS: u32 = 0xffff;
/// `EVBUF_FS_CLOSE_ON_FREE`.
pub const EVBUF_FS_CLOSE_ON_FREE: c_uint = 0x01;
/// `EVBUF_FS_DISABLE_MMAP`.
pub const EVBUF_FS_DISABLE_MMAP: c_uint = 0x02;
/// `EVBUF_FS_DISABLE_SENDFILE`.
pub const EVBUF_FS_DISABLE_SENDFILE: c_uint = 0x04;
/// `EVBUF_FS_DISABLE_LOCKING`.
pub const EVBUF_FS_DISABLE_LOCKING: c_uint = 0x08;
/// `enum evbuffer_eol_style` values.
pub const EVBUFFER_EOL_ANY: c_int = 0;
/// An LF, optionally preceded by a CR.
pub const EVBUFFER_EOL_CRLF: c_int = 1;
/// Exactly CR LF.
pub const EVBUFFER_EOL_CRLF_STRICT: c_int = 2;
/// An LF.
pub const EVBUFFER_EOL_LF: c_int = 3;
/// A NUL byte.
pub const EVBUFFER_EOL_NUL: c_int = 4;
/// `enum evbuffer_ptr_how`: set to an offset.
pub const EVBUFFER_PTR_SET: c_int = 0;
/// `enum evbuffer_ptr_how`: move forward.
pub const EVBUFFER_PTR_ADD: c_int = 1;

// ---------------------------------------------------------------------------
// Constants (event2/event.h)
// ---------------------------------------------------------------------------

/// The timeout expired.
pub const EV_TIMEOUT: c_short = 0x01;
/// The fd is readable.
pub const EV_READ: c_short = 0x02;
/// The fd is writable.
pub const EV_WRITE: c_short = 0x04;
/// A signal event (`ev_fd` is the signal number).
pub const EV_SIGNAL: c_short = 0x08;
/// Stays pending after firing.
pub const EV_PERSIST: c_short = 0x10;
/// Edge-triggered.
pub const EV_ET: c_short = 0x20;
/// `event_del` must not wait for a callback running in another thread.
pub const EV_FINALIZE: c_short = 0x40;
/// The peer closed the connection.
pub const EV_CLOSED: c_short = 0x80;

/// `event_base_loop`: block for one round of events, then return.
pub const EVLOOP_ONCE: c_int = 0x01;
/// `event_base_loop`: do not block.
pub const EVLOOP_NONBLOCK: c_int = 0x02;
/// `event_base_loop`: keep running with no events added.
pub const EVLOOP_NO_EXIT_ON_EMPTY: c_int = 0x04;

/// `enum event_base_config_flag`: no locking.
pub const EVENT_BASE_FLAG_NOLOCK: c_int = 0x01;
/// Ignore `EVENT_*` environment variables.
pub const EVENT_BASE_FLAG_IGNORE_ENV: c_int = 0x02;
/// Windows IOCP (accepted, no effect on Linux).
pub const EVENT_BASE_FLAG_STARTUP_IOCP: c_int = 0x04;
/// Do not cache the time between callbacks.
pub const EVENT_BASE_FLAG_NO_CACHE_TIME: c_int = 0x08;
/// epoll: batch fd changes per loop turn.
pub const EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: c_int = 0x10;
/// Use the most precise timer.
pub const EVENT_BASE_FLAG_PRECISE_TIMER: c_int = 0x20;

/// `enum event_method_feature`: edge-triggered readiness.
pub const EV_FEATURE_ET: c_int = 0x01;
/// O(1) add, delete and activation.
pub const EV_FEATURE_O1: c_int = 0x02;
/// Any fd kind, not just sockets.
pub const EV_FEATURE_FDS: c_int = 0x04;
/// Reports `EV_CLOSED`.
pub const EV_FEATURE_EARLY_CLOSE: c_int = 0x08;

/// `event_base_get_num_events`: count active events.
pub const EVENT_BASE_COUNT_ACTIVE: c_uint = 1;
/// Count internal virtual events.
pub const EVENT_BASE_COUNT_VIRTUAL: c_uint = 2;
/// Count added events.
pub const EVENT_BASE_COUNT_ADDED: c_uint = 4;

/// Log severity: debug.
pub const EVENT_LOG_DEBUG: c_int = 0;
/// Log severity: message.
pub const EVENT_LOG_MSG: c_int = 1;
/// Log severity: warning.
pub const EVENT_LOG_WARN: c_int = 2;
/// Log severity: error.
pub const EVENT_LOG_ERR: c_int = 3;

/// `event_enable_debug_logging`: everything.
pub const EVENT_DBG_ALL: u32 = 0xffff_ffff;
/// `event_enable_debug_logging`: nothing.
pub const EVENT_DBG_NONE: u32 = 0;

/// Upper bound for `event_base_priority_init`.
pub const EVENT_MAX_PRIORITIES: c_int = 256;

/// `LIBEVENT_VERSION` / `event_get_version()`.
pub const LIBEVENT_VERSION: &CStr = c"2.1.12-stable";
/// `LIBEVENT_VERSION_NUMBER` / `event_get_version_number()`.
pub const LIBEVENT_VERSION_NUMBER: u32 = 0x0201_0c00;

/// `event_get_struct_event_size()`.
pub const STRUCT_EVENT_SIZE: usize = 128;
// ---------------------------------------------------------------------------
// Bufferevents and listeners (event2/bufferevent.h, bufferevent_struct.h,
// listener.h)
// ---------------------------------------------------------------------------

/// `struct event_watermark` (16 bytes): a low and a high mark.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventWatermark {
    /// The low mark.
    pub low: usize,
    /// The high mark (0: none).
    pub high: usize,
}

/// `bufferevent_data_cb`: (bufferevent, argument).
pub type bufferevent_data_cb = unsafe extern "C" fn(*mut Bufferevent, *mut c_void);
/// `bufferevent_event_cb`: (bufferevent, `BEV_EVENT_*` flags, argument).
pub type bufferevent_event_cb = unsafe extern "C" fn(*mut Bufferevent, c_short, *mut c_void);
/// `bufferevent_filter_cb`: (source, destination, limit, mode, context).
pub type bufferevent_filter_cb =
    unsafe extern "C" fn(*mut c_void, *mut c_void, ev_ssize_t, c_int, *mut c_void) -> c_int;
/// `evconnlistener_cb`: (listener, accepted fd, address, its length, argument).
pub type evconnlistener_cb =
    unsafe extern "C" fn(*mut c_void, evutil_socket_t, *mut libc::sockaddr, c_int, *mut c_void);
/// `evconnlistener_errorcb`: (listener, argument).
pub type evconnlistener_errorcb = unsafe extern "C" fn(*mut c_void, *mut c_void);

/// `struct bufferevent` (392 bytes): the public part of a bufferevent.
/// Programs read `input` and `output` directly (tmux does, in many
/// places), and sometimes `ev_base`, the callbacks, `enabled`; oxevent
/// keeps every field as libevent does.
#[repr(C)]
#[derive(Debug)]
pub struct Bufferevent {
    /// The base (an opaque `struct event_base *`).
    pub ev_base: *mut c_void,
    /// libevent's operation table; oxevent stores a non-NULL tag per kind.
    pub be_ops: *const c_void,
    /// The read event (a socket bufferevent's).
    pub ev_read: Event,
    /// The write event.
    pub ev_write: Event,
    /// The input buffer (`struct evbuffer *`).
    pub input: *mut c_void,
    /// The output buffer.
    pub output: *mut c_void,
    /// Read watermarks.
    pub wm_read: EventWatermark,
    /// Write watermarks.
    pub wm_write: EventWatermark,
    /// The read callback.
    pub readcb: Option<bufferevent_data_cb>,
    /// The write callback.
    pub writecb: Option<bufferevent_data_cb>,
    /// The event callback.
    pub errorcb: Option<bufferevent_event_cb>,
    /// The callbacks' argument.
    pub cbarg: *mut c_void,
    /// The read timeout (zero: none).
    pub timeout_read: libc::timeval,
    /// The write timeout.
    pub timeout_write: libc::timeval,
    /// `EV_READ`/`EV_WRITE` as the program enabled them.
    pub enabled: c_short,
}

/// `BEV_EVENT_READING`.
pub const BEV_EVENT_READING: c_short = 0x01;
/// `BEV_EVENT_WRITING`.
pub const BEV_EVENT_WRITING: c_short = 0x02;
/// `BEV_EVENT_EOF`.
pub const BEV_EVENT_EOF: c_short = 0x10;
/// `BEV_EVENT_ERROR`.
pub const BEV_EVENT_ERROR: c_short = 0x20;
/// `BEV_EVENT_TIMEOUT`.
pub const BEV_EVENT_TIMEOUT: c_short = 0x40;
/// `BEV_EVENT_CONNECTED`.
pub const BEV_EVENT_CONNECTED: c_short = 0x80;
/// `BEV_OPT_CLOSE_ON_FREE`.
pub const BEV_OPT_CLOSE_ON_FREE: c_int = 1 << 0;
/// `BEV_OPT_THREADSAFE`.
pub const BEV_OPT_THREADSAFE: c_int = 1 << 1;
/// `BEV_OPT_DEFER_CALLBACKS`.
pub const BEV_OPT_DEFER_CALLBACKS: c_int = 1 << 2;
/// `BEV_OPT_UNLOCK_CALLBACKS`.
pub const BEV_OPT_UNLOCK_CALLBACKS: c_int = 1 << 3;
/// `BEV_TRIG_IGNORE_WATERMARKS`.
pub const BEV_TRIG_IGNORE_WATERMARKS: c_int = 1 << 16;
/// `BEV_TRIG_DEFER_CALLBACKS`.
pub const BEV_TRIG_DEFER_CALLBACKS: c_int = BEV_OPT_DEFER_CALLBACKS;
/// `BEV_NORMAL`.
pub const BEV_NORMAL: c_int = 0;
/// `BEV_FLUSH`.
pub const BEV_FLUSH: c_int = 1;
/// `BEV_FINISHED`.
pub const BEV_FINISHED: c_int = 2;
/// `BEV_OK` (a filter's result).
pub const BEV_OK: c_int = 0;
/// `BEV_NEED_MORE`.
pub const BEV_NEED_MORE: c_int = 1;
/// `BEV_ERROR`.
pub const BEV_ERROR: c_int = 2;

/// `LEV_OPT_LEAVE_SOCKETS_BLOCKING`.
pub const LEV_OPT_LEAVE_SOCKETS_BLOCKING: c_uint = 1 << 0;
/// `LEV_OPT_CLOSE_ON_FREE`.
pub const LEV_OPT_CLOSE_ON_FREE: c_uint = 1 << 1;
/// `LEV_OPT_CLOSE_ON_EXEC`.
pub const LEV_OPT_CLOSE_ON_EXEC: c_uint = 1 << 2;
/// `LEV_OPT_REUSEABLE`.
pub const LEV_OPT_REUSEABLE: c_uint = 1 << 3;
/// `LEV_OPT_THREADSAFE`.
pub const LEV_OPT_THREADSAFE: c_uint = 1 << 4;
/// `LEV_OPT_DISABLED`.
pub const LEV_OPT_DISABLED: c_uint = 1 << 5;
/// `LEV_OPT_DEFERRED_ACCEPT`.
pub const LEV_OPT_DEFERRED_ACCEPT: c_uint = 1 << 6;
/// `LEV_OPT_REUSEABLE_PORT`.
pub const LEV_OPT_REUSEABLE_PORT: c_uint = 1 << 7;
/// `LEV_OPT_BIND_IPV6ONLY`.
pub const LEV_OPT_BIND_IPV6ONLY: c_uint = 1 << 8;

// ---------------------------------------------------------------------------
// Constants (event2/event_struct.h): evcb_flags bits
// ---------------------------------------------------------------------------

/// A timeout is scheduled.
pub const EVLIST_TIMEOUT: c_short = 0x01;
/// Added (pending on an fd or signal).
pub const EVLIST_INSERTED: c_short = 0x02;
/// A signal event.
pub const EVLIST_SIGNAL: c_short = 0x04;
/// On an active queue.
pub const EVLIST_ACTIVE: c_short = 0x08;
/// Library-internal event.
pub const EVLIST_INTERNAL: c_short = 0x10;
/// Active from the next loop turn.
pub const EVLIST_ACTIVE_LATER: c_short = 0x20;
/// Being finalized.
pub const EVLIST_FINALIZING: c_short = 0x40;
/// Assigned; what `event_initialized` tests.
pub const EVLIST_INIT: c_short = 0x80;
/// Every `EVLIST_*` bit.
pub const EVLIST_ALL: c_short = 0xff;

// ---------------------------------------------------------------------------
// Constants (event2/thread.h)
// ---------------------------------------------------------------------------

/// Lock mode: write lock of a read-write lock.
pub const EVTHREAD_WRITE: c_uint = 0x04;
/// Lock mode: read lock of a read-write lock.
pub const EVTHREAD_READ: c_uint = 0x08;
/// Lock mode: try, do not wait.
pub const EVTHREAD_TRY: c_uint = 0x10;
/// Required `lock_api_version`.
pub const EVTHREAD_LOCK_API_VERSION: c_int = 1;
/// Lock type: recursive mutex (0 is a plain mutex).
pub const EVTHREAD_LOCKTYPE_RECURSIVE: c_uint = 1;
/// Lock type: read-write lock.
pub const EVTHREAD_LOCKTYPE_READWRITE: c_uint = 2;
/// Required `condition_api_version`.
pub const EVTHREAD_CONDITION_API_VERSION: c_int = 1;

// ---------------------------------------------------------------------------
// Constants (event2/util.h)
// ---------------------------------------------------------------------------

/// `evutil_configure_monotonic_time`: most precise clock.
pub const EV_MONOT_PRECISE: c_int = 1;
/// `evutil_configure_monotonic_time`: fallback clock.
pub const EV_MONOT_FALLBACK: c_int = 2;
/// `EVUTIL_INVALID_SOCKET`.
pub const EVUTIL_INVALID_SOCKET: evutil_socket_t = -1;

// The EVUTIL_EAI_* and EVUTIL_AI_* macros take glibc's values when the
// program's <netdb.h> declared them, which is the case when an event2 header
// (which turns on _GNU_SOURCE) came first. A program that included system
// headers first under strict -std=c99 gets libevent's fallback values instead:
// see [`evutil_fallback`]. Exports must accept both sets and should answer
// with the glibc set, as libevent does.

/// Address family not supported for the host (glibc `EAI_ADDRFAMILY`).
pub const EVUTIL_EAI_ADDRFAMILY: c_int = -9;
/// Temporary failure (`EAI_AGAIN`).
pub const EVUTIL_EAI_AGAIN: c_int = -3;
/// Bad `ai_flags` (`EAI_BADFLAGS`).
pub const EVUTIL_EAI_BADFLAGS: c_int = -1;
/// Permanent failure (`EAI_FAIL`).
pub const EVUTIL_EAI_FAIL: c_int = -4;
/// Family not supported (`EAI_FAMILY`).
pub const EVUTIL_EAI_FAMILY: c_int = -6;
/// Out of memory (`EAI_MEMORY`).
pub const EVUTIL_EAI_MEMORY: c_int = -10;
/// Host has no address (glibc `EAI_NODATA`).
pub const EVUTIL_EAI_NODATA: c_int = -5;
/// Unknown host or service (`EAI_NONAME`).
pub const EVUTIL_EAI_NONAME: c_int = -2;
/// Service not available for the socket type (`EAI_SERVICE`).
pub const EVUTIL_EAI_SERVICE: c_int = -8;
/// Socket type not supported (`EAI_SOCKTYPE`).
pub const EVUTIL_EAI_SOCKTYPE: c_int = -7;
/// System error, see errno (`EAI_SYSTEM`).
pub const EVUTIL_EAI_SYSTEM: c_int = -11;
/// Request cancelled; libevent's own code, the same in both sets.
pub const EVUTIL_EAI_CANCEL: c_int = -90001;

/// Hint: address for `bind` (`AI_PASSIVE`).
pub const EVUTIL_AI_PASSIVE: c_int = 0x0001;
/// Hint: fill in `ai_canonname` (`AI_CANONNAME`).
pub const EVUTIL_AI_CANONNAME: c_int = 0x0002;
/// Hint: node is numeric, no lookup (`AI_NUMERICHOST`).
pub const EVUTIL_AI_NUMERICHOST: c_int = 0x0004;
/// Hint: service is numeric, no lookup (`AI_NUMERICSERV`).
pub const EVUTIL_AI_NUMERICSERV: c_int = 0x0400;
/// Hint: IPv4-mapped IPv6 addresses (`AI_V4MAPPED`).
pub const EVUTIL_AI_V4MAPPED: c_int = 0x0008;
/// Hint: with `AI_V4MAPPED`, both kinds (`AI_ALL`).
pub const EVUTIL_AI_ALL: c_int = 0x0010;
/// Hint: only families configured on the host (`AI_ADDRCONFIG`).
pub const EVUTIL_AI_ADDRCONFIG: c_int = 0x0020;

/// The values `EVUTIL_EAI_*` and `EVUTIL_AI_*` take in a program whose
/// `<netdb.h>` did not declare the system's (see the note above
/// [`EVUTIL_EAI_ADDRFAMILY`]).
pub mod evutil_fallback {
    use core::ffi::c_int;

    /// Fallback `EVUTIL_EAI_ADDRFAMILY`.
    pub const EVUTIL_EAI_ADDRFAMILY: c_int = -901;
    /// Fallback `EVUTIL_EAI_AGAIN`.
    pub const EVUTIL_EAI_AGAIN: c_int = -902;
    /// Fallback `EVUTIL_EAI_BADFLAGS`.
    pub const EVUTIL_EAI_BADFLAGS: c_int = -903;
    /// Fallback `EVUTIL_EAI_FAIL`.
    pub const EVUTIL_EAI_FAIL: c_int = -904;
    /// Fallback `EVUTIL_EAI_FAMILY`.
    pub const EVUTIL_EAI_FAMILY: c_int = -905;
    /// Fallback `EVUTIL_EAI_MEMORY`.
    pub const EVUTIL_EAI_MEMORY: c_int = -906;
    /// Fallback `EVUTIL_EAI_NODATA`.
    pub const EVUTIL_EAI_NODATA: c_int = -907;
    /// Fallback `EVUTIL_EAI_NONAME`.
    pub const EVUTIL_EAI_NONAME: c_int = -908;
    /// Fallback `EVUTIL_EAI_SERVICE`.
    pub const EVUTIL_EAI_SERVICE: c_int = -909;
    /// Fallback `EVUTIL_EAI_SOCKTYPE`.
    pub const EVUTIL_EAI_SOCKTYPE: c_int = -910;
    /// Fallback `EVUTIL_EAI_SYSTEM`.
    pub const EVUTIL_EAI_SYSTEM: c_int = -911;

    /// Fallback `EVUTIL_AI_PASSIVE`.
    pub const EVUTIL_AI_PASSIVE: c_int = 0x1000;
    /// Fallback `EVUTIL_AI_CANONNAME`.
    pub const EVUTIL_AI_CANONNAME: c_int = 0x2000;
    /// Fallback `EVUTIL_AI_NUMERICHOST`.
    pub const EVUTIL_AI_NUMERICHOST: c_int = 0x4000;
    /// Fallback `EVUTIL_AI_NUMERICSERV`.
    pub const EVUTIL_AI_NUMERICSERV: c_int = 0x8000;
    /// Fallback `EVUTIL_AI_V4MAPPED`.
    pub const EVUTIL_AI_V4MAPPED: c_int = 0x10000;
    /// Fallback `EVUTIL_AI_ALL`.
    pub const EVUTIL_AI_ALL: c_int = 0x20000;
    /// Fallback `EVUTIL_AI_ADDRCONFIG`.
    pub const EVUTIL_AI_ADDRCONFIG: c_int = 0x40000;
}

// ---------------------------------------------------------------------------
// Layout proof: shared/abi/struct-layout-x86_64.txt
// ---------------------------------------------------------------------------

const _: () = {
    // Portable types.
    assert!(size_of::<evutil_socket_t>() == 4);
    assert!(size_of::<ev_ssize_t>() == 8);
    assert!(size_of::<ev_off_t>() == 8);
    assert!(size_of::<ev_socklen_t>() == 4);
    assert!(size_of::<libc::timeval>() == 16);
    assert!(size_of::<Option<event_callback_fn>>() == 8);

    // TAILQ_ENTRY / LIST_ENTRY.
    assert!(size_of::<QueueLink>() == 16);
    assert!(offset_of!(QueueLink, next) == 0);
    assert!(offset_of!(QueueLink, prev) == 8);

    // struct event_callback.
    assert!(size_of::<EventCallback>() == 40);
    assert!(align_of::<EventCallback>() == 8);
    assert!(offset_of!(EventCallback, evcb_active_next) == 0);
    assert!(offset_of!(EventCallback, evcb_flags) == 16);
    assert!(offset_of!(EventCallback, evcb_pri) == 18);
    assert!(offset_of!(EventCallback, evcb_closure) == 19);
    assert!(offset_of!(EventCallback, evcb_cb_union) == 24);
    assert!(offset_of!(EventCallback, evcb_arg) == 32);

    // struct event.
    assert!(size_of::<Event>() == STRUCT_EVENT_SIZE);
    assert!(size_of::<Event>() == 128);
    assert!(align_of::<Event>() == 8);
    assert!(offset_of!(Event, ev_evcallback) == 0);
    assert!(offset_of!(Event, ev_timeout_pos) == 40);
    assert!(size_of::<[u64; 2]>() == 16);
    assert!(offset_of!(Event, ev_fd) == 56);
    assert!(offset_of!(Event, ev_base) == 64);
    assert!(offset_of!(Event, ev_) == 72);
    assert!(size_of::<EventKindData>() == 32);
    assert!(offset_of!(Event, ev_events) == 104);
    assert!(offset_of!(Event, ev_res) == 106);
    assert!(offset_of!(Event, ev_timeout) == 112);

    // The ev_ union, as absolute offsets inside struct event
    // (nested offset_of! needs Rust 1.82; the workspace allows 1.80).
    let ev_ = offset_of!(Event, ev_);
    assert!(ev_ + offset_of!(EventKindData, ev_io) + offset_of!(EvIo, ev_io_next) == 72);
    assert!(ev_ + offset_of!(EventKindData, ev_io) + offset_of!(EvIo, ev_timeout) == 88);
    assert!(size_of::<EvIo>() == 32);
    assert!(
        ev_ + offset_of!(EventKindData, ev_signal) + offset_of!(EvSignal, ev_signal_next) == 72
    );
    assert!(ev_ + offset_of!(EventKindData, ev_signal) + offset_of!(EvSignal, ev_ncalls) == 88);
    assert!(ev_ + offset_of!(EventKindData, ev_signal) + offset_of!(EvSignal, ev_pad) == 90);
    assert!(ev_ + offset_of!(EventKindData, ev_signal) + offset_of!(EvSignal, ev_pncalls) == 96);
    assert!(size_of::<EvSignal>() == 32);

    // Fields programs read through ev_evcallback.
    let cb = offset_of!(Event, ev_evcallback);
    assert!(cb + offset_of!(EventCallback, evcb_flags) == 16);
    assert!(cb + offset_of!(EventCallback, evcb_cb_union) == 24);
    assert!(cb + offset_of!(EventCallback, evcb_arg) == 32);

    // struct evthread_lock_callbacks.
    assert!(size_of::<EvthreadLockCallbacks>() == 40);
    assert!(align_of::<EvthreadLockCallbacks>() == 8);
    assert!(offset_of!(EvthreadLockCallbacks, lock_api_version) == 0);
    assert!(offset_of!(EvthreadLockCallbacks, supported_locktypes) == 4);
    assert!(offset_of!(EvthreadLockCallbacks, alloc) == 8);
    assert!(offset_of!(EvthreadLockCallbacks, free) == 16);
    assert!(offset_of!(EvthreadLockCallbacks, lock) == 24);
    assert!(offset_of!(EvthreadLockCallbacks, unlock) == 32);

    // struct evthread_condition_callbacks.
    assert!(size_of::<EvthreadConditionCallbacks>() == 40);
    assert!(align_of::<EvthreadConditionCallbacks>() == 8);
    assert!(offset_of!(EvthreadConditionCallbacks, condition_api_version) == 0);
    assert!(offset_of!(EvthreadConditionCallbacks, alloc_condition) == 8);
    assert!(offset_of!(EvthreadConditionCallbacks, free_condition) == 16);
    assert!(offset_of!(EvthreadConditionCallbacks, signal_condition) == 24);
    assert!(offset_of!(EvthreadConditionCallbacks, wait_condition) == 32);

    // The glibc values above are the libc crate's.
    assert!(EVUTIL_EAI_AGAIN == libc::EAI_AGAIN);
    assert!(EVUTIL_EAI_BADFLAGS == libc::EAI_BADFLAGS);
    assert!(EVUTIL_EAI_FAIL == libc::EAI_FAIL);
    assert!(EVUTIL_EAI_FAMILY == libc::EAI_FAMILY);
    assert!(EVUTIL_EAI_MEMORY == libc::EAI_MEMORY);
    assert!(EVUTIL_EAI_NODATA == libc::EAI_NODATA);
    assert!(EVUTIL_EAI_NONAME == libc::EAI_NONAME);
    assert!(EVUTIL_EAI_SERVICE == libc::EAI_SERVICE);
    assert!(EVUTIL_EAI_SOCKTYPE == libc::EAI_SOCKTYPE);
    assert!(EVUTIL_EAI_SYSTEM == libc::EAI_SYSTEM);
    assert!(EVUTIL_AI_PASSIVE == libc::AI_PASSIVE);
    assert!(EVUTIL_AI_CANONNAME == libc::AI_CANONNAME);
    assert!(EVUTIL_AI_NUMERICHOST == libc::AI_NUMERICHOST);
    assert!(EVUTIL_AI_NUMERICSERV == libc::AI_NUMERICSERV);
    assert!(EVUTIL_AI_V4MAPPED == libc::AI_V4MAPPED);
    assert!(EVUTIL_AI_ALL == libc::AI_ALL);
    assert!(EVUTIL_AI_ADDRCONFIG == libc::AI_ADDRCONFIG);

    // struct evbuffer_ptr, evbuffer_iovec, evbuffer_cb_info.
    assert!(size_of::<EvbufferPtr>() == 24);
    assert!(align_of::<EvbufferPtr>() == 8);
    assert!(offset_of!(EvbufferPtr, pos) == 0);
    assert!(offset_of!(EvbufferPtr, chain) == 8);
    assert!(offset_of!(EvbufferPtr, pos_in_chain) == 16);
    assert!(size_of::<EvbufferIovec>() == 16);
    assert!(align_of::<EvbufferIovec>() == 8);
    assert!(offset_of!(EvbufferIovec, iov_base) == 0);
    assert!(offset_of!(EvbufferIovec, iov_len) == 8);
    assert!(size_of::<EvbufferCbInfo>() == 24);
    assert!(align_of::<EvbufferCbInfo>() == 8);
    assert!(offset_of!(EvbufferCbInfo, orig_size) == 0);
    assert!(offset_of!(EvbufferCbInfo, n_added) == 8);
    assert!(offset_of!(EvbufferCbInfo, n_deleted) == 16);

    // struct event_watermark, struct bufferevent.
    assert!(size_of::<EventWatermark>() == 16);
    assert!(size_of::<Bufferevent>() == 392);
    assert!(align_of::<Bufferevent>() == 8);
    assert!(offset_of!(Bufferevent, ev_base) == 0);
    assert!(offset_of!(Bufferevent, be_ops) == 8);
    assert!(offset_of!(Bufferevent, ev_read) == 16);
    assert!(offset_of!(Bufferevent, ev_write) == 144);
    assert!(offset_of!(Bufferevent, input) == 272);
    assert!(offset_of!(Bufferevent, output) == 280);
    assert!(offset_of!(Bufferevent, wm_read) == 288);
    assert!(offset_of!(Bufferevent, wm_write) == 304);
    assert!(offset_of!(Bufferevent, readcb) == 320);
    assert!(offset_of!(Bufferevent, writecb) == 328);
    assert!(offset_of!(Bufferevent, errorcb) == 336);
    assert!(offset_of!(Bufferevent, cbarg) == 344);
    assert!(offset_of!(Bufferevent, timeout_read) == 352);
    assert!(offset_of!(Bufferevent, timeout_write) == 368);
    assert!(offset_of!(Bufferevent, enabled) == 384);

    // Constants that must agree with each other.
    assert!(LIBEVENT_VERSION.to_bytes().len() == 13);
};
