//! The typed conversions between C pointers and engine objects, and the C
//! face's handler type. Every pointer the C program hands us is turned into a
//! Rust reference here and nowhere else.
//!
//! A `struct event_base *` is a `Box<FfiBase>`. A `struct event` lives in the
//! program's memory: its public fields are libevent's, and its private
//! `ev_timeout_pos` bytes hold `[EventId bits, FfiBase address]` naming the
//! engine record while the event is pending or active. The record stores the
//! struct's address as its key, so a copied, stale or garbage handle is never
//! mistaken for a live one (engine rule 1).

use std::collections::HashSet;
use std::os::raw::{c_short, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use oxevent::{CommonTimeout, Ev, EventId, EventSpec, Fired, Handler, RawBase, Timeout};

use crate::abi::{event_callback_fn, event_finalize_callback_fn, Event, EVLIST_INIT};

/// What runs when a C event fires. Two words plus a tag, so the loop's copy
/// of it (see [`Handler::fast_copy`]) stays cheap.
#[derive(Debug)]
pub(crate) enum CHandler {
    /// `cb(fd, what, arg)`.
    Event { cb: event_callback_fn, arg: usize },
    /// An event assigned with a NULL callback: warns when it fires.
    NoCallback,
    /// `event_finalize`'s `cb(ev, arg)`, then `free(ev)` for
    /// `event_free_finalize`. Rare, so kept out of line.
    Finalize(Box<Finalizer>),
}

/// The finalizer of an `event_finalize`d event.
#[derive(Debug)]
pub(crate) struct Finalizer {
    pub(crate) cb: Option<event_finalize_callback_fn>,
    pub(crate) ev: usize,
    pub(crate) arg: usize,
    pub(crate) free: bool,
}

impl CHandler {
    /// The handler for `cb(fd, what, arg)`; NULL gets the warning variant.
    pub(crate) fn new(cb: Option<event_callback_fn>, arg: usize) -> CHandler {
        match cb {
            Some(cb) => CHandler::Event { cb, arg },
            None => CHandler::NoCallback,
        }
    }
}

impl Handler for CHandler {
    type Data = ();
    const COPIES: bool = true;
    fn call(&mut self, _base: &RawBase<Self>, _data: &mut (), fired: Fired) {
        match *self {
            CHandler::Event { cb, arg } => {
                // SAFETY: the program registered `cb` with `arg` for this event;
                // calling it with libevent's arguments is what it asked for.
                unsafe { cb(fired.fd, fired.what.bits() as c_short, arg as *mut c_void) }
            }
            CHandler::NoCallback => {
                crate::boundary::warnx("event fired with a NULL callback; ignored")
            }
            CHandler::Finalize(ref f) => {
                let Finalizer { cb, ev, arg, free } = **f;
                if let Some(cb) = cb {
                    // SAFETY: as above; `ev` is the program's struct, handed to
                    // us by event_finalize until this finalizer has run.
                    unsafe { cb(ev as *mut Event, arg as *mut c_void) };
                }
                if free {
                    crate::mem::free(ev as *mut c_void);
                }
            }
        }
    }

    #[inline]
    fn fast_copy(&self) -> Option<Self> {
        match *self {
            CHandler::Event { cb, arg } => Some(CHandler::Event { cb, arg }),
            _ => None,
        }
    }
}

/// The engine base behind a `struct event_base *`.
pub(crate) type CBase = RawBase<CHandler>;

/// What a `struct event_base *` points to.
pub struct FfiBase {
    pub(crate) base: CBase,
    /// The program's lock (and condition) for this base, when it installed
    /// evthread lock callbacks: held around each C call that changes the base.
    pub(crate) program: crate::thread::ProgramLocks,
    /// Encoded `timeval`s handed out by `event_base_init_common_timeout`;
    /// boxed so their addresses stay valid for the base's life.
    #[allow(clippy::vec_box)] // the boxes are what keeps the addresses stable
    pub(crate) common_tvs: Mutex<Vec<Box<libc::timeval>>>,
}

impl std::fmt::Debug for FfiBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiBase").finish_non_exhaustive()
    }
}

static LIVE_BASES: Mutex<Option<HashSet<usize>>> = Mutex::new(None);
/// The 1.x API's implicit base (`event_init`).
pub(crate) static CURRENT_BASE: AtomicPtr<FfiBase> = AtomicPtr::new(std::ptr::null_mut());
/// Set by `evthread_use_pthreads` / `evthread_set_lock_callbacks`.
pub(crate) static THREADING: AtomicBool = AtomicBool::new(false);
/// `event_enable_debug_mode`.
pub(crate) static DEBUG_MODE: AtomicBool = AtomicBool::new(false);
/// Set once any base or event exists (debug mode must come first).
pub(crate) static STARTED: AtomicBool = AtomicBool::new(false);

/// Hands a new base to C.
pub(crate) fn base_into_c(base: CBase) -> *mut FfiBase {
    STARTED.store(true, Ordering::Relaxed);
    // The base is memory handed to the program, so it comes from the
    // program's allocator when it set one (event_set_mem_functions).
    let p = crate::mem::alloc(std::mem::size_of::<FfiBase>()) as *mut FfiBase;
    if p.is_null() {
        crate::boundary::warnx("event_base_new: out of memory");
        return p;
    }
    // SAFETY: `p` is a fresh, suitably aligned (malloc) block of the right size.
    unsafe {
        p.write(FfiBase {
            base,
            program: crate::thread::ProgramLocks::alloc(),
            common_tvs: Mutex::new(Vec::new()),
        })
    };
    LIVE_BASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(p as usize);
    p
}

/// Takes a base back from C to drop it; `None` for NULL or an unknown pointer.
pub(crate) fn base_from_c(p: *mut FfiBase) -> Option<FfiBase> {
    let known = LIVE_BASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
        .is_some_and(|s| s.remove(&(p as usize)));
    if !known {
        return None;
    }
    let _ =
        CURRENT_BASE.compare_exchange(p, std::ptr::null_mut(), Ordering::AcqRel, Ordering::Relaxed);
    // SAFETY: `p` was written by base_into_c and was still registered, so it
    // holds a live FfiBase that nobody else will read again.
    let base = unsafe { p.read() };
    crate::mem::free(p as *mut c_void);
    Some(base)
}

/// Deletes the live record of the struct at `key` in whichever base holds
/// one, reading nothing of the struct (it may be fresh, uninitialised
/// memory). Returns whether a record was found.
pub(crate) fn forget_key_everywhere(key: usize) -> bool {
    let bases = LIVE_BASES.lock().unwrap_or_else(|e| e.into_inner());
    let mut found = false;
    for &b in bases.iter().flatten() {
        // The registry lock keeps `b` alive: event_base_free unregisters a
        // base (under this lock) before dropping it.
        if let Some(base) = base_ref(b as *const FfiBase) {
            found |= base.base.forget_key(key);
        }
    }
    found
}

/// Whether `p` is a base we created and have not freed.
pub(crate) fn base_is_live(p: *const c_void) -> bool {
    LIVE_BASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|s| s.contains(&(p as usize)))
}

/// Borrows a base from C. The program promises `p` is NULL or a live base,
/// as libevent requires.
pub(crate) fn base_ref<'a>(p: *const FfiBase) -> Option<&'a FfiBase> {
    // SAFETY: per libevent's contract the pointer is NULL or a base returned
    // by event_base_new* and not yet freed; we only read through it.
    unsafe { p.as_ref() }
}

/// The base an event names, or the current base when `p` is NULL.
pub(crate) fn base_or_current<'a>(p: *const FfiBase) -> Option<&'a FfiBase> {
    if p.is_null() {
        base_ref(CURRENT_BASE.load(Ordering::Acquire))
    } else {
        base_ref(p)
    }
}

/// Borrows a `struct event` from C (NULL gives `None`).
pub(crate) fn ev_mut<'a>(p: *mut Event) -> Option<&'a mut Event> {
    // SAFETY: per libevent's contract the pointer is NULL or points to a
    // writable `struct event` of 128 bytes owned by the program.
    unsafe { p.as_mut() }
}

/// Borrows a `struct event` read-only.
pub(crate) fn ev_ref<'a>(p: *const Event) -> Option<&'a Event> {
    // SAFETY: as for ev_mut.
    unsafe { p.as_ref() }
}

/// The base an event was assigned to.
pub(crate) fn ev_base<'a>(ev: &Event) -> Option<&'a FfiBase> {
    base_ref(ev.ev_base as *const FfiBase)
}

/// The engine record an event's private bytes name, if they name one of
/// `base`'s records (liveness and key are checked by the engine).
pub(crate) fn ev_record(ev: &Event, base: &FfiBase) -> Option<EventId> {
    (ev.ev_timeout_pos[1] == base as *const FfiBase as u64)
        .then(|| EventId::from_bits(ev.ev_timeout_pos[0]))
}

/// Records which engine record an event has.
pub(crate) fn set_ev_record(ev: &mut Event, base: &FfiBase, id: EventId) {
    ev.ev_timeout_pos = [id.to_bits(), base as *const FfiBase as u64];
}

/// The struct's address: the record key.
pub(crate) fn key_of(ev: &Event) -> usize {
    ev as *const Event as usize
}

/// Whether the struct was assigned (`EVLIST_INIT`).
pub(crate) fn is_assigned(ev: &Event) -> bool {
    ev.ev_evcallback.evcb_flags & EVLIST_INIT != 0
}

/// The engine description of an assigned struct.
pub(crate) fn spec_of(ev: &Event) -> EventSpec {
    EventSpec {
        fd: ev.ev_fd,
        events: Ev::from_bits(ev.ev_events as u16),
        priority: Some(ev.ev_evcallback.evcb_pri),
    }
}

/// The handler of an assigned struct.
pub(crate) fn handler_of(ev: &Event) -> CHandler {
    CHandler::new(
        ev.ev_evcallback.evcb_cb_union,
        ev.ev_evcallback.evcb_arg as usize,
    )
}

const MICROSECONDS_MASK: i64 = 0x000f_ffff;
const COMMON_TIMEOUT_IDX_MASK: i64 = 0x0ff0_0000;
const COMMON_TIMEOUT_IDX_SHIFT: i64 = 20;
const COMMON_TIMEOUT_MASK: i64 = 0xf000_0000;
const COMMON_TIMEOUT_MAGIC: i64 = 0x5000_0000;

/// Decodes an `event_add` timeout: NULL, a common timeout, or a duration
/// (negative durations are already due, as in libevent).
#[inline]
pub(crate) fn decode_tv(base: &FfiBase, tv: *const libc::timeval) -> Option<Timeout> {
    // SAFETY: NULL or a valid timeval, per the API contract.
    let tv = unsafe { tv.as_ref() }?;
    let usec = tv.tv_usec;
    if usec & COMMON_TIMEOUT_MASK == COMMON_TIMEOUT_MAGIC {
        let idx = ((usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as u16;
        if let Some(c) = base.base.common_timeout(idx) {
            return Some(Timeout::Common(c));
        }
        return Some(Timeout::After(tv_duration(
            tv.tv_sec,
            usec & MICROSECONDS_MASK,
        )));
    }
    Some(Timeout::After(tv_duration(tv.tv_sec, usec)))
}

/// A timeval's duration, negative clamped to zero.
pub(crate) fn tv_duration(sec: i64, usec: i64) -> Duration {
    if sec < 0 || usec < 0 {
        return Duration::ZERO;
    }
    if usec < 1_000_000 {
        // The usual, normalised timeval: no carry into the seconds.
        return Duration::new(sec as u64, usec as u32 * 1000);
    }
    Duration::from_secs(sec as u64).saturating_add(Duration::from_micros(usec as u64))
}

/// The encoded `timeval` libevent hands out for a common timeout.
pub(crate) fn encode_common(c: CommonTimeout) -> libc::timeval {
    let d = c.duration();
    libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: (d.subsec_micros() as i64
            | COMMON_TIMEOUT_MAGIC
            | ((c.index() as i64) << COMMON_TIMEOUT_IDX_SHIFT))
            as libc::suseconds_t,
    }
}

/// Writes a duration since the epoch (or any duration) into a timeval.
pub(crate) fn write_tv(out: *mut libc::timeval, d: Duration) {
    // SAFETY: NULL or a writable timeval, per the API contract.
    if let Some(tv) = unsafe { out.as_mut() } {
        tv.tv_sec = d.as_secs() as libc::time_t;
        tv.tv_usec = d.subsec_micros() as libc::suseconds_t;
    }
}
