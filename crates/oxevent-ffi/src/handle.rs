//! The typed conversions between C pointers and engine objects, the table
//! of live bases, and the C face's runner. Every pointer the C program
//! hands us is turned into a Rust reference here and nowhere else.
//!
//! # Bases
//!
//! A `struct event_base *` is an [`FfiBase`] in memory from the program's
//! allocator. Each live base also has an entry in a process-wide table
//! ([`BaseHandle`]): a slot index and a generation, packed in 64 bits, that
//! resolves to the base only while it lives. The table is a static array
//! of atomic words, so looking a handle up reads nothing that could be
//! gone, whatever bytes the handle holds.
//!
//! # Events
//!
//! A `struct event` lives in the program's memory: its public fields are
//! libevent's, and its private `ev_timeout_pos` bytes hold `[EventId bits,
//! BaseHandle]` naming the engine record while the event is pending or
//! active. Those bytes are never trusted: the base handle is resolved
//! through the table (a freed base, or garbage, resolves to nothing), and
//! the record must be live and carry the struct's own address as its key.
//! So a copied, stale, zeroed or uninitialised struct is never mistaken for
//! a live one, and no byte of it is ever used as a pointer (engine rule 1).
//!
//! `event_assign` reads none of the struct's bytes (a stack or heap struct
//! may be uninitialised): it finds a record still pending for the struct by
//! address, in the index the engine keeps for the base it is assigned to,
//! and in debug mode in every base.
//!
//! # What this costs, and the alternatives measured (issue 8)
//!
//! libevent's `struct event` *is* its record: its list links and heap
//! index live in the caller's bytes, so `event_pending` is 45 instructions
//! and `event_add` of a timer 249 (callgrind, `bench/percall.sh`). Ours
//! pays, per call, on top of the engine's own work:
//!
//! * the base lock, 15–19 instructions even on a base made without
//!   threading (a biased lock: plain loads and stores while one thread uses
//!   the base), where libevent takes none. Kept: a program that touches a
//!   base from a second thread without `evthread_use_pthreads` races
//!   nothing on ours;
//! * resolving the struct's private bytes: a table lookup and a generation
//!   check (about 9) and the record's key compared with the struct's
//!   address. Trusting those bytes as pointers, libevent's way, is what
//!   turns a re-assigned or freed pending struct into memory corruption;
//! * creating a record (on the first add after an assign) and dropping it
//!   (at `event_free` or a re-assign): the per-base address index, about
//!   25 instructions each way. A record whose struct is deleted is kept for
//!   that struct's next add, so a del/add per message pays neither.
//!   One process-wide index (the first design) serialised every base on
//!   one mutex: each memcached connection contended with every worker's
//!   loop. Per base, a pending struct re-assigned into *another* base is
//!   found only in debug mode, which scans every base and drops the old
//!   registration with a warning. Without debug mode the old base keeps
//!   it: it may still call the old callback with the old argument, as
//!   libevent would, but touches no byte of the struct (the record holds
//!   its own copy of callback and argument), and drops it with the base.
//!
//! So the event-API calls cost 1.2–2.3× libevent's instructions (the table
//! with the command is in `BENCHMARKS.md`); the loop itself, where a
//! program spends its time, is within 1.1–1.2× per I/O event, and firing
//! timers is many times faster than libevent's heap.

use std::collections::HashSet;
use std::os::raw::{c_short, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use oxevent::__ffi::{Engine, Job, Runner, Spec, When};
use oxevent::{CommonTimeout, Ev, EventId};

use crate::abi::{event_callback_fn, event_finalize_callback_fn, Event, EVLIST_INIT};

/// What a `struct event_base *` points to.
pub struct FfiBase {
    pub(crate) engine: Engine,
    /// This base's entry in the table of live bases.
    pub(crate) handle: u64,
    /// The number of priorities, cached for `event_assign` (which gives a
    /// new event the middle one without locking).
    pub(crate) npri: AtomicU8,
    /// The program's condition, allocated as libevent does when the
    /// program installed condition callbacks (held for its `Drop`).
    #[allow(dead_code)]
    pub(crate) program_cond: crate::thread::ProgramCond,
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

// ------------------------------------------------------------ base table

/// Live bases at once (2^20). The table is zero-filled static memory: only
/// the pages of slots ever used become resident.
const TABLE_LEN: usize = 1 << 20;
const PTR_MASK: u64 = (1 << 48) - 1;

/// Table entries: `generation << 48 | address` (address 0: free).
static TABLE: [AtomicU64; TABLE_LEN] = [const { AtomicU64::new(0) }; TABLE_LEN];
/// Free slots, and the next never-used one.
static TABLE_FREE: Mutex<(Vec<u32>, u32)> = Mutex::new((Vec::new(), 0));
/// Addresses of live bases (for `event_base_free`'s check).
static LIVE_BASES: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

/// Enters `p` in the table; returns its handle (never 0), or 0 if the
/// table is full.
fn table_insert(p: *const FfiBase) -> u64 {
    let mut free = TABLE_FREE.lock().unwrap_or_else(|e| e.into_inner());
    let idx = match free.0.pop() {
        Some(i) => i,
        None => {
            if free.1 as usize >= TABLE_LEN {
                return 0;
            }
            free.1 += 1;
            free.1 - 1
        }
    };
    let entry = &TABLE[idx as usize];
    let mut gen = (entry.load(Ordering::Relaxed) >> 48).wrapping_add(1) & 0xffff;
    if gen == 0 {
        gen = 1;
    }
    entry.store(gen << 48 | (p as u64 & PTR_MASK), Ordering::Release);
    gen << 32 | idx as u64
}

/// Removes the base with `handle` from the table.
fn table_remove(handle: u64) {
    let idx = handle as u32 as usize;
    if let Some(entry) = TABLE.get(idx) {
        let gen = entry.load(Ordering::Relaxed) >> 48;
        entry.store(gen << 48, Ordering::Release);
        let mut free = TABLE_FREE.lock().unwrap_or_else(|e| e.into_inner());
        free.0.push(idx as u32);
    }
}

/// The live base `handle` names, if any. Any 64 bits are safe to look up.
#[inline]
pub(crate) fn base_of_handle<'a>(handle: u64) -> Option<&'a FfiBase> {
    let entry = TABLE.get(handle as u32 as usize)?;
    let e = entry.load(Ordering::Acquire);
    // The generation must match and the slot be live (a handle's
    // generation is never 0, a live entry's address never 0).
    if e >> 48 != handle >> 32 || e & PTR_MASK == 0 {
        return None;
    }
    // SAFETY: the table holds the address of a live base, entered when it
    // was created and removed before it is freed; a program that frees a
    // base while another thread uses it breaks libevent's contract too.
    unsafe { ((e & PTR_MASK) as *const FfiBase).as_ref() }
}

// ------------------------------------------------------------ globals

/// The 1.x API's implicit base (`event_init`).
pub(crate) static CURRENT_BASE: AtomicPtr<FfiBase> = AtomicPtr::new(std::ptr::null_mut());
/// Set by `evthread_use_pthreads` / `evthread_set_lock_callbacks`.
pub(crate) static THREADING: AtomicBool = AtomicBool::new(false);
/// `event_enable_debug_mode`.
pub(crate) static DEBUG_MODE: AtomicBool = AtomicBool::new(false);
/// Set once any base or event exists (debug mode must come first).
pub(crate) static STARTED: AtomicBool = AtomicBool::new(false);

/// Notes that the program started using libevent.
#[inline]
pub(crate) fn started() {
    if !STARTED.load(Ordering::Relaxed) {
        STARTED.store(true, Ordering::Relaxed);
    }
}

/// Hands a new base to C.
pub(crate) fn base_into_c(engine: Engine) -> *mut FfiBase {
    started();
    // The base is memory handed to the program, so it comes from the
    // program's allocator when it set one (event_set_mem_functions).
    let p = crate::mem::alloc(std::mem::size_of::<FfiBase>()) as *mut FfiBase;
    if p.is_null() {
        crate::boundary::warnx("event_base_new: out of memory");
        return p;
    }
    let handle = table_insert(p);
    if handle == 0 {
        crate::boundary::warnx("event_base_new: too many live bases");
        crate::mem::free(p as *mut c_void);
        return std::ptr::null_mut();
    }
    let npri = AtomicU8::new(engine.npriorities());
    // SAFETY: `p` is a fresh, suitably aligned (malloc) block of the right size.
    unsafe {
        p.write(FfiBase {
            engine,
            handle,
            npri,
            program_cond: crate::thread::ProgramCond::alloc(),
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
    table_remove(base.handle);
    crate::mem::free(p as *mut c_void);
    Some(base)
}

/// Whether `p` is a base we created and have not freed.
pub(crate) fn base_is_live(p: *const c_void) -> bool {
    LIVE_BASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|s| s.contains(&(p as usize)))
}

/// Every live base (debug mode's search).
pub(crate) fn live_bases() -> Vec<usize> {
    LIVE_BASES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default()
}

/// Borrows a base from C. The program promises `p` is NULL or a live base,
/// as libevent requires.
#[inline]
pub(crate) fn base_ref<'a>(p: *const FfiBase) -> Option<&'a FfiBase> {
    // SAFETY: per libevent's contract the pointer is NULL or a base returned
    // by event_base_new* and not yet freed; we only read through it.
    unsafe { p.as_ref() }
}

/// The base `p` names, or the current base when `p` is NULL.
pub(crate) fn base_or_current<'a>(p: *const FfiBase) -> Option<&'a FfiBase> {
    if p.is_null() {
        base_ref(CURRENT_BASE.load(Ordering::Acquire))
    } else {
        base_ref(p)
    }
}

// ------------------------------------------------------------ events

/// Borrows a `struct event` from C (NULL gives `None`).
#[inline]
pub(crate) fn ev_mut<'a>(p: *mut Event) -> Option<&'a mut Event> {
    // Per libevent's contract the pointer is NULL or points to a writable
    // `struct event` of 128 bytes owned by the program; every bit pattern
    // is a valid `Event` (integers, raw pointers, an optional function
    // pointer), so even uninitialised bytes are only ever read.
    // SAFETY: NULL or a writable, program-owned `struct event` (above).
    unsafe { p.as_mut() }
}

/// Borrows a `struct event` read-only.
#[inline]
pub(crate) fn ev_ref<'a>(p: *const Event) -> Option<&'a Event> {
    // SAFETY: as for ev_mut.
    unsafe { p.as_ref() }
}

/// The base an event was assigned to (the program's `ev_base`, trusted as
/// libevent trusts it: `event_add` on an event of a freed base is a bug).
#[inline]
pub(crate) fn ev_base<'a>(ev: &Event) -> Option<&'a FfiBase> {
    base_ref(ev.ev_base as *const FfiBase)
}

/// The record the struct's private bytes name, and the live base holding
/// it, if they name one (the record itself is checked by the engine).
#[inline]
pub(crate) fn ev_record<'a>(ev: &Event) -> Option<(&'a FfiBase, EventId)> {
    let base = base_of_handle(ev.ev_timeout_pos[1])?;
    Some((base, EventId::from_bits(ev.ev_timeout_pos[0])))
}

/// The record the private bytes name if they name one of `base`'s (no table
/// lookup: `base` is the program's live base).
#[inline]
pub(crate) fn ev_record_in(ev: &Event, base: &FfiBase) -> Option<EventId> {
    (ev.ev_timeout_pos[1] == base.handle).then(|| EventId::from_bits(ev.ev_timeout_pos[0]))
}

/// Records which engine record an event has.
#[inline]
pub(crate) fn set_ev_record(ev: &mut Event, base: &FfiBase, id: EventId) {
    // Written only when it changes: a thread calling `event_active` in a
    // loop must not dirty the struct's line on every call (1M cross-thread
    // activations: 200 ms with the store, see BENCHMARKS.md).
    let v = [id.to_bits(), base.handle];
    if ev.ev_timeout_pos != v {
        ev.ev_timeout_pos = v;
    }
}

/// The struct's address: the record key.
#[inline]
pub(crate) fn key_of(ev: &Event) -> usize {
    ev as *const Event as usize
}

/// Whether the struct was assigned (`EVLIST_INIT`).
#[inline]
pub(crate) fn is_assigned(ev: &Event) -> bool {
    ev.ev_evcallback.evcb_flags & EVLIST_INIT != 0
}

/// The period of a persistent event, where libevent keeps it
/// (`ev_.ev_io.ev_timeout`, its `ev_io_timeout`): set by an add with a
/// timeout, kept by `event_del`, cleared by `event_assign` and
/// `event_remove_timer`.
#[inline]
pub(crate) fn persist_period(ev: &Event) -> libc::timeval {
    // SAFETY: every bit pattern of the 32-byte union is a valid `EvIo`
    // (integers and a pair of raw pointers); reading it copies bytes.
    unsafe { ev.ev_.ev_io.ev_timeout }
}

/// Stores a persistent event's period (see [`persist_period`]).
#[inline]
pub(crate) fn set_persist_period(ev: &mut Event, tv: libc::timeval) {
    // Writing a `Copy` union field is safe; every variant is plain data.
    ev.ev_.ev_io.ev_timeout = tv;
}

/// The engine description of an assigned struct. A struct whose
/// `event_assign` failed on `EV_SIGNAL` with I/O flags still has them set,
/// as in libevent, which then adds it as an I/O event: so do we.
#[inline]
pub(crate) fn spec_of(ev: &Event, base: &FfiBase) -> Spec {
    let mut events = Ev::from_bits(ev.ev_events as u16);
    if events.contains(Ev::SIGNAL) && events.intersects(Ev::READ | Ev::WRITE | Ev::CLOSED) {
        events = events.without(Ev::SIGNAL);
    }
    let mut spec = Spec::c_event(
        ev.ev_fd,
        events,
        ev.ev_evcallback.evcb_pri,
        key_of(ev),
        ev.ev_evcallback.evcb_cb_union.map_or(0, |f| f as usize),
        ev.ev_evcallback.evcb_arg as usize,
    );
    if events.contains(Ev::PERSIST) && !events.contains(Ev::SIGNAL) {
        let tv = persist_period(ev);
        if tv.tv_sec != 0 || tv.tv_usec != 0 {
            spec.period = decode_tv(base, &tv);
        }
    }
    spec
}

// ------------------------------------------------------------ timeouts

const MICROSECONDS_MASK: i64 = 0x000f_ffff;
const COMMON_TIMEOUT_IDX_MASK: i64 = 0x0ff0_0000;
const COMMON_TIMEOUT_IDX_SHIFT: i64 = 20;
const COMMON_TIMEOUT_MASK: i64 = 0xf000_0000;
const COMMON_TIMEOUT_MAGIC: i64 = 0x5000_0000;

/// The common-timeout queue a `timeval` encodes, if it is one of `base`'s.
pub(crate) fn common_of(base: &FfiBase, tv: &libc::timeval) -> Option<CommonTimeout> {
    let usec = tv.tv_usec;
    if usec & COMMON_TIMEOUT_MASK != COMMON_TIMEOUT_MAGIC {
        return None;
    }
    let idx = ((usec & COMMON_TIMEOUT_IDX_MASK) >> COMMON_TIMEOUT_IDX_SHIFT) as u16;
    base.engine.common_timeout(idx)
}

/// Decodes an `event_add` timeout: NULL, a common timeout, or a duration
/// (negative durations are already due, as in libevent).
#[inline]
pub(crate) fn decode_tv(base: &FfiBase, tv: *const libc::timeval) -> Option<When> {
    // SAFETY: NULL or a valid timeval, per the API contract.
    let tv = unsafe { tv.as_ref() }?;
    let usec = tv.tv_usec;
    if usec & COMMON_TIMEOUT_MASK == COMMON_TIMEOUT_MAGIC {
        if let Some(c) = common_of(base, tv) {
            return Some(When::Common(c.index()));
        }
        return Some(When::After(duration_ns(tv_duration(
            tv.tv_sec,
            usec & MICROSECONDS_MASK,
        ))));
    }
    Some(When::After(duration_ns(tv_duration(tv.tv_sec, usec))))
}

/// A duration in nanoseconds, saturating.
#[inline]
pub(crate) fn duration_ns(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(d.subsec_nanos() as u64)
        .min(u64::MAX / 2)
}

/// A timeval's duration, negative clamped to zero.
#[inline]
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

// ------------------------------------------------------------ the runner

/// Runs C callbacks: the program's function pointer with libevent's
/// arguments, or a finalizer (then frees the struct for
/// `event_free_finalize`).
#[derive(Debug, Default)]
pub(crate) struct CRunner;

impl Runner for CRunner {
    #[inline]
    fn run(&mut self, _engine: &Engine, job: &Job) {
        if job.finalize {
            if job.cb != 0 {
                // SAFETY: the word is the finalizer the program passed to
                // event_finalize (a non-null event_finalize_callback_fn).
                let f: event_finalize_callback_fn = unsafe { std::mem::transmute(job.cb) };
                // SAFETY: the program registered `f` for this struct and
                // argument; libevent calls it exactly so.
                unsafe { f(job.key as *mut Event, job.arg as *mut c_void) };
            }
            if job.free_struct {
                crate::mem::free(job.key as *mut c_void);
            }
            return;
        }
        if job.cb == 0 {
            crate::boundary::warnx("event fired with a NULL callback; ignored");
            return;
        }
        // SAFETY: the word is the program's non-null event_callback_fn,
        // stored by spec_of.
        let f: event_callback_fn = unsafe { std::mem::transmute(job.cb) };
        // SAFETY: the program registered `f` with this argument for this
        // event; calling it with libevent's arguments is what it asked for.
        unsafe { f(job.fd, job.what.bits() as c_short, job.arg as *mut c_void) }
    }
}
