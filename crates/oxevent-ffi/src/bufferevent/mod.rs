//! `struct bufferevent`: libevent's buffered connection, the C face
//! (`event2/bufferevent.h`, `bufferevent_struct.h`, `bufferevent_compat.h`).
//!
//! A bufferevent is an input and an output evbuffer moved to and from an
//! underlying transport by events of the base: a socket (`socket.rs`), the
//! other end of a pair (`pair.rs`). Its public part is libevent's
//! 392-byte `struct bufferevent` (programs read `input` and `output`
//! directly), followed by oxevent's private state in the same allocation
//! ([`Bev`]); the program's pointer is the address of both.
//!
//! The layers are libevent's: the read and write events are C events of
//! this crate (`event_assign` on the struct's own `ev_read`/`ev_write`,
//! with this module's callbacks), the buffers are C evbuffers (so the
//! program's evbuffer callbacks, locks and references on `bev->input`
//! behave as on libevent), and callbacks to the program run with the
//! bufferevent's lock held (released with `BEV_OPT_UNLOCK_CALLBACKS`).
//!
//! # Lifetime
//!
//! `refcnt` counts the program's reference (dropped by `bufferevent_free`),
//! each `bufferevent_incref`, each callback running and a scheduled
//! deferred run. When it reaches zero the events are deleted and the
//! memory is released by a finalizer run from the loop (or by
//! `event_base_free`), as libevent does: a callback that frees its own
//! bufferevent returns into memory that is still there.
//!
//! # Misuse
//!
//! A pointer whose magic word is wrong (NULL, freed, not a bufferevent)
//! is refused with a log line. Mutable state is in `Cell`s: a callback
//! re-entering the bufferevent never aliases a `&mut`, and no borrow is
//! held across a call to the program.
//!
//! What this module must never do: call the program while a Rust
//! reference into the public struct is live, or free the memory while a
//! callback of this bufferevent is running.

mod filter;
mod pair;
mod ratelim;
mod socket;

pub mod compat;

use std::cell::{Cell, UnsafeCell};
use std::os::raw::{c_int, c_short, c_void};

use crate::abi::{
    bufferevent_data_cb, bufferevent_event_cb, Bufferevent, EvbufferCbInfo, Event, EventWatermark,
    BEV_EVENT_CONNECTED, BEV_OPT_DEFER_CALLBACKS, BEV_OPT_THREADSAFE, BEV_OPT_UNLOCK_CALLBACKS,
    BEV_TRIG_IGNORE_WATERMARKS, EVBUFFER_CB_ENABLED, EVBUFFER_CB_NODEFER, EV_READ, EV_TIMEOUT,
    EV_WRITE,
};
use crate::boundary::{guard, warnx};
use crate::buffer::handle::{FfiBuffer, Lock};
use crate::buffer::{
    evbuffer_add, evbuffer_add_buffer, evbuffer_add_cb, evbuffer_cb_clear_flags,
    evbuffer_cb_set_flags, evbuffer_enable_locking, evbuffer_free, evbuffer_get_length,
    evbuffer_new, evbuffer_remove, evbuffer_remove_cb_entry,
};
use crate::event::{
    event_active, event_add, event_assign, event_base_get_npriorities, event_del, event_finalize,
    event_forget, event_get_priority, event_pending, event_priority_set, event_remove_timer,
};
use crate::handle::FfiBase;

/// Marks a live bufferevent ("oxbufev\0").
const MAGIC: u64 = 0x006f_7862_7566_6576;

/// Why reading (or writing) is suspended, besides the program's disable.
pub(crate) mod suspend {
    /// The input reached the read high watermark.
    pub const WM: u8 = 0x01;
    /// The bufferevent's rate limit ran out.
    pub const BW: u8 = 0x02;
    /// Its group's rate limit ran out.
    pub const BW_GROUP: u8 = 0x04;
    /// A hostname lookup is in progress.
    pub const LOOKUP: u8 = 0x08;
    /// The filter over this bufferevent is not reading.
    pub const FILT_READ: u8 = 0x10;
}

/// libevent's largest single read and write (`MAX_SINGLE_READ_DEFAULT`).
pub(crate) const MAX_SINGLE_DEFAULT: isize = 16384;

/// The transport under the buffers.
pub(crate) enum Kind {
    /// A socket (or any fd): `socket.rs`.
    Socket,
    /// One end of a pair: `pair.rs`.
    Pair {
        /// The other end (NULL once either is freed).
        partner: Cell<*const Bev>,
    },
    /// A filter over another bufferevent: `filter.rs`.
    Filter(Box<filter::Filter>),
}

/// The tag stored in `be_ops` for each kind (programs only compare it).
static OPS_SOCKET: u8 = 0;
static OPS_PAIR: u8 = 0;
static OPS_FILTER: u8 = 0;

/// One bufferevent: the public struct first (its address is the
/// program's pointer), then oxevent's state.
#[repr(C)]
pub struct Bev {
    /// libevent's public part.
    pub_: UnsafeCell<Bufferevent>,
    magic: Cell<u64>,
    pub(crate) kind: Kind,
    pub(crate) options: c_int,
    refcnt: Cell<u32>,
    lock: Option<std::sync::Arc<Lock>>,
    pub(crate) read_suspended: Cell<u8>,
    pub(crate) write_suspended: Cell<u8>,
    pub(crate) connecting: Cell<bool>,
    pub(crate) connection_refused: Cell<bool>,
    /// The event whose activation runs deferred callbacks (and, at the
    /// end, the finalizer that frees the memory): allocated on first use,
    /// so that a connection without deferred callbacks does not carry its
    /// 128 bytes while idle. Null until then.
    deferred: Cell<*mut Event>,
    /// The base the deferred event goes to (`bufferevent_base_set` moves it).
    deferred_base: Cell<*mut FfiBase>,
    /// Its priority once `bufferevent_priority_set` chose one; -1: the
    /// middle priority, as libevent gives it.
    deferred_pri: Cell<c_int>,
    deferred_scheduled: Cell<bool>,
    readcb_pending: Cell<bool>,
    writecb_pending: Cell<bool>,
    eventcb_pending: Cell<c_short>,
    errno_pending: Cell<c_int>,
    pub(crate) dns_error: Cell<c_int>,
    /// The `evdns_getaddrinfo` request of a pending
    /// `bufferevent_socket_connect_hostname` (cancelled by a free).
    pub(crate) dns_req: Cell<*mut c_void>,
    pub(crate) max_single_read: Cell<isize>,
    pub(crate) max_single_write: Cell<isize>,
    /// The input's watermark callback (`evbuffer_add_cb` entry), once set.
    wm_cb: Cell<*mut c_void>,
    /// The output's callback that starts writing (socket).
    pub(crate) outbuf_cb: Cell<*mut c_void>,
    /// Rate limiting, once configured (`ratelim.rs`).
    rlim: UnsafeCell<Option<Box<ratelim::RateLimit>>>,
}

impl std::fmt::Debug for Bev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bev").finish_non_exhaustive()
    }
}

/// Borrows a bufferevent from C: `None`, after a log line, for NULL or a
/// pointer that is not a live bufferevent.
#[inline]
pub(crate) fn bev_ref<'a>(p: *const Bufferevent, who: &str) -> Option<&'a Bev> {
    // `pub_` is the first field of the `repr(C)` `Bev`: the addresses
    // coincide. The magic word catches some misuse (freed, foreign).
    // SAFETY: per libevent's contract `p` is NULL or a live bufferevent
    // this library returned.
    match unsafe { (p as *const Bev).as_ref() } {
        Some(b) if b.magic.get() == MAGIC => Some(b),
        Some(_) => {
            warnx(&format!("{who}: not a live bufferevent"));
            None
        }
        None => {
            warnx(&format!("{who}: NULL bufferevent"));
            None
        }
    }
}

impl Bev {
    /// The program's pointer.
    #[inline]
    pub(crate) fn ptr(&self) -> *mut Bufferevent {
        self.pub_.get()
    }

    /// Reads the public struct.
    #[inline]
    pub(crate) fn get<T>(&self, f: impl FnOnce(&Bufferevent) -> T) -> T {
        // One thread at a time uses the struct (libevent's contract, or
        // the bufferevent's lock); `f` never calls the program.
        // SAFETY: the struct lives as long as `self`, and no reference
        // into it outlives `f`.
        f(unsafe { &*self.pub_.get() })
    }

    /// Changes the public struct.
    #[inline]
    pub(crate) fn set(&self, f: impl FnOnce(&mut Bufferevent)) {
        // SAFETY: as in `get`; `f` is a plain field update.
        f(unsafe { &mut *self.pub_.get() })
    }

    pub(crate) fn input(&self) -> *mut FfiBuffer {
        self.get(|p| p.input as *mut FfiBuffer)
    }

    pub(crate) fn output(&self) -> *mut FfiBuffer {
        self.get(|p| p.output as *mut FfiBuffer)
    }

    pub(crate) fn base(&self) -> *mut FfiBase {
        self.get(|p| p.ev_base as *mut FfiBase)
    }

    pub(crate) fn enabled(&self) -> c_short {
        self.get(|p| p.enabled)
    }

    pub(crate) fn ev_read(&self) -> *mut Event {
        // SAFETY: a field address inside the live struct; no reference made.
        unsafe { std::ptr::addr_of_mut!((*self.ptr()).ev_read) }
    }

    pub(crate) fn ev_write(&self) -> *mut Event {
        // SAFETY: as in `ev_read`.
        unsafe { std::ptr::addr_of_mut!((*self.ptr()).ev_write) }
    }

    /// The deferred event, assigned on first use.
    fn deferred_ev(&self) -> *mut Event {
        let ev = self.deferred.get();
        if !ev.is_null() {
            return ev;
        }
        let ev = Box::into_raw(Box::new(Event::zeroed()));
        self.deferred.set(ev);
        event_assign(
            ev,
            self.deferred_base.get(),
            -1,
            0,
            Some(deferred_cb),
            self.ptr() as *mut c_void,
        );
        let pri = self.deferred_pri.get();
        if pri >= 0 {
            event_priority_set(ev, pri);
        } else {
            // SAFETY: a field of the live event just assigned; read by value.
            let base = unsafe { (*ev).ev_base as *mut FfiBase };
            let npri = event_base_get_npriorities(base);
            if npri > 1 {
                event_priority_set(ev, npri / 2);
            }
        }
        ev
    }

    /// `BEV_LOCK`.
    #[inline]
    pub(crate) fn lock(&self) {
        if let Some(l) = &self.lock {
            l.lock();
        }
    }

    /// Takes the lock if it is free (always true without one).
    pub(crate) fn try_lock(&self) -> bool {
        self.lock.as_ref().map_or(true, |l| l.try_lock())
    }

    /// `BEV_UNLOCK`.
    #[inline]
    pub(crate) fn unlock(&self) {
        if let Some(l) = &self.lock {
            l.unlock();
        }
    }

    pub(crate) fn refcnt(&self) -> u32 {
        self.refcnt.get()
    }

    pub(crate) fn incref(&self) {
        self.refcnt.set(self.refcnt.get() + 1);
    }

    pub(crate) fn incref_and_lock(&self) {
        self.lock();
        self.incref();
    }

    /// Drops a reference and the lock; on the last one, deletes the events
    /// and schedules the memory's release. Returns whether it was the last.
    pub(crate) fn decref_and_unlock(&self) -> bool {
        let n = self.refcnt.get().saturating_sub(1);
        self.refcnt.set(n);
        if n > 0 {
            self.unlock();
            return false;
        }
        self.unlink();
        self.rlim_unlink();
        event_del(self.ev_read());
        event_del(self.ev_write());
        event_forget(self.ev_read());
        event_forget(self.ev_write());
        // The finalizer of the deferred event frees the memory once no
        // callback of this bufferevent can be running.
        self.deferred_scheduled.set(false);
        if event_finalize(0, self.deferred_ev(), Some(finalize_cb)) != 0 {
            // No base to run it (never assigned): release right away.
            self.unlock();
            destroy(self);
            return true;
        }
        self.unlock();
        true
    }

    /// Detaches what other objects know of this one (a pair's partner).
    fn unlink(&self) {
        match self.kind {
            Kind::Socket => {}
            Kind::Pair { .. } => pair::unlink(self),
            Kind::Filter(_) => filter::unlink(self),
        }
    }

    /// Enables the transport's events for `what` (`be_ops->enable`).
    pub(crate) fn kind_enable(&self, what: c_short) -> c_int {
        match self.kind {
            Kind::Socket => socket::enable(self, what),
            Kind::Pair { .. } => pair::enable(self, what),
            Kind::Filter(_) => filter::enable(self, what),
        }
    }

    /// `be_ops->disable`.
    pub(crate) fn kind_disable(&self, what: c_short) -> c_int {
        match self.kind {
            Kind::Socket => socket::disable(self, what),
            Kind::Pair { .. } => pair::disable(self, what),
            Kind::Filter(_) => filter::disable(self, what),
        }
    }

    /// Stops reading for `why` (`bufferevent_suspend_read_`).
    pub(crate) fn suspend_read(&self, why: u8) {
        if self.read_suspended.get() == 0 {
            self.kind_disable(EV_READ);
        }
        self.read_suspended.set(self.read_suspended.get() | why);
    }

    /// Lifts a suspension of reading.
    pub(crate) fn unsuspend_read(&self, why: u8) {
        let s = self.read_suspended.get() & !why;
        self.read_suspended.set(s);
        if s == 0 && self.enabled() & EV_READ != 0 {
            self.kind_enable(EV_READ);
        }
    }

    /// Stops writing for `why`.
    pub(crate) fn suspend_write(&self, why: u8) {
        if self.write_suspended.get() == 0 {
            self.kind_disable(EV_WRITE);
        }
        self.write_suspended.set(self.write_suspended.get() | why);
    }

    /// Lifts a suspension of writing.
    pub(crate) fn unsuspend_write(&self, why: u8) {
        let s = self.write_suspended.get() & !why;
        self.write_suspended.set(s);
        if s == 0 && self.enabled() & EV_WRITE != 0 {
            self.kind_enable(EV_WRITE);
        }
    }

    /// Adds one of the struct's events with its timeout, if set
    /// (`bufferevent_add_event_`).
    pub(crate) fn add_event(&self, ev: *mut Event, tv: libc::timeval) -> c_int {
        if tv.tv_sec == 0 && tv.tv_usec == 0 {
            event_add(ev, std::ptr::null())
        } else {
            event_add(ev, &tv)
        }
    }

    /// Schedules the deferred run (`SCHEDULE_DEFERRED`).
    fn schedule_deferred(&self) {
        if self.deferred_scheduled.get() {
            return;
        }
        self.deferred_scheduled.set(true);
        self.incref();
        event_active(self.deferred_ev(), EV_TIMEOUT as c_int, 1);
    }

    fn defers(&self, options: c_int) -> bool {
        (self.options | options) & BEV_OPT_DEFER_CALLBACKS != 0
    }

    /// Runs (or defers) the read callback (`bufferevent_run_readcb_`).
    pub(crate) fn run_readcb(&self, options: c_int) {
        let Some(cb) = self.get(|p| p.readcb) else {
            return;
        };
        if self.defers(options) {
            self.readcb_pending.set(true);
            self.schedule_deferred();
        } else {
            let arg = self.get(|p| p.cbarg);
            // SAFETY: the program's callback with its own argument, as
            // libevent calls it; the bufferevent stays alive (the caller
            // holds a reference).
            unsafe { cb(self.ptr(), arg) };
        }
    }

    /// Runs (or defers) the write callback.
    pub(crate) fn run_writecb(&self, options: c_int) {
        let Some(cb) = self.get(|p| p.writecb) else {
            return;
        };
        if self.defers(options) {
            self.writecb_pending.set(true);
            self.schedule_deferred();
        } else {
            let arg = self.get(|p| p.cbarg);
            // SAFETY: as in `run_readcb`.
            unsafe { cb(self.ptr(), arg) };
        }
    }

    /// Runs (or defers) the event callback with `what`.
    pub(crate) fn run_eventcb(&self, what: c_short, options: c_int) {
        let Some(cb) = self.get(|p| p.errorcb) else {
            return;
        };
        if self.defers(options) {
            self.eventcb_pending.set(self.eventcb_pending.get() | what);
            self.errno_pending.set(crate::util::errno());
            self.schedule_deferred();
        } else {
            let arg = self.get(|p| p.cbarg);
            // SAFETY: as in `run_readcb`.
            unsafe { cb(self.ptr(), what, arg) };
        }
    }

    /// `bufferevent_trigger_nolock_`: the read and write callbacks as the
    /// watermarks allow (or regardless, with `BEV_TRIG_IGNORE_WATERMARKS`).
    pub(crate) fn trigger(&self, iotype: c_short, options: c_int) {
        let ignore = options & BEV_TRIG_IGNORE_WATERMARKS != 0;
        if iotype & EV_READ != 0
            && (ignore || evbuffer_get_length(self.input()) >= self.get(|p| p.wm_read.low))
        {
            self.run_readcb(options);
        }
        if iotype & EV_WRITE != 0
            && (ignore || evbuffer_get_length(self.output()) <= self.get(|p| p.wm_write.low))
        {
            self.run_writecb(options);
        }
    }

    /// The deferred run: pending callbacks in libevent's order (connected
    /// first, then read, write, the other events).
    fn run_deferred(&self) {
        let unlock = self.options & BEV_OPT_UNLOCK_CALLBACKS != 0;
        let call = |f: &dyn Fn()| {
            if unlock {
                self.unlock();
                f();
                self.lock();
            } else {
                f();
            }
        };
        let arg = || self.get(|p| p.cbarg);
        if self.eventcb_pending.get() & BEV_EVENT_CONNECTED != 0 {
            if let Some(cb) = self.get(|p| p.errorcb) {
                self.eventcb_pending
                    .set(self.eventcb_pending.get() & !BEV_EVENT_CONNECTED);
                // SAFETY: the program's callback, as libevent calls it; a
                // reference is held for the run.
                call(&|| unsafe { cb(self.ptr(), BEV_EVENT_CONNECTED, arg()) });
            }
        }
        if self.readcb_pending.get() {
            if let Some(cb) = self.get(|p| p.readcb) {
                self.readcb_pending.set(false);
                // SAFETY: as above.
                call(&|| unsafe { cb(self.ptr(), arg()) });
            }
        }
        if self.writecb_pending.get() {
            if let Some(cb) = self.get(|p| p.writecb) {
                self.writecb_pending.set(false);
                // SAFETY: as above.
                call(&|| unsafe { cb(self.ptr(), arg()) });
            }
        }
        let what = self.eventcb_pending.get();
        if what != 0 {
            if let Some(cb) = self.get(|p| p.errorcb) {
                let err = self.errno_pending.replace(0);
                self.eventcb_pending.set(0);
                crate::util::set_errno(err);
                // SAFETY: as above.
                call(&|| unsafe { cb(self.ptr(), what, arg()) });
            }
        }
    }

    /// Sets the read watermarks and the input callback that keeps them
    /// (`bufferevent_setwatermark` for `EV_READ`).
    fn set_read_watermark(&self, low: usize, high: usize) {
        self.set(|p| p.wm_read = EventWatermark { low, high });
        let input = self.input();
        if high != 0 {
            if self.wm_cb.get().is_null() {
                let e = evbuffer_add_cb(input, Some(inbuf_wm_cb), self.ptr() as *mut c_void);
                self.wm_cb.set(e as *mut c_void);
            }
            evbuffer_cb_set_flags(
                input,
                self.wm_cb.get() as _,
                EVBUFFER_CB_ENABLED | EVBUFFER_CB_NODEFER,
            );
            if evbuffer_get_length(input) >= high {
                self.suspend_read(suspend::WM);
            } else {
                self.unsuspend_read(suspend::WM);
            }
        } else {
            if !self.wm_cb.get().is_null() {
                evbuffer_cb_clear_flags(input, self.wm_cb.get() as _, EVBUFFER_CB_ENABLED);
            }
            self.unsuspend_read(suspend::WM);
        }
    }
}

/// Creates a bufferevent's common part (`bufferevent_init_common_`):
/// buffers, lock, deferred event; `None` after a log line on failure.
pub(crate) fn new_common(
    base: *mut FfiBase,
    kind: Kind,
    options: c_int,
    share_lock: Option<&Bev>,
    who: &str,
) -> Option<&'static Bev> {
    if options & BEV_OPT_UNLOCK_CALLBACKS != 0 && options & BEV_OPT_DEFER_CALLBACKS == 0 {
        warnx(&format!(
            "{who}: BEV_OPT_UNLOCK_CALLBACKS requires BEV_OPT_DEFER_CALLBACKS"
        ));
        return None;
    }
    let lock = if let Some(l) = share_lock.and_then(|o| o.lock.clone()) {
        Some(l)
    } else if options & BEV_OPT_THREADSAFE != 0 {
        let cbs = crate::thread::program_lock_callbacks();
        let threads = crate::handle::THREADING.load(std::sync::atomic::Ordering::Relaxed);
        if cbs.is_none() && !threads {
            warnx(&format!(
                "{who}: BEV_OPT_THREADSAFE needs lock functions: call evthread_use_pthreads() first"
            ));
            return None;
        }
        match Lock::new_own(cbs) {
            Some(l) => Some(std::sync::Arc::new(l)),
            None => {
                warnx(&format!("{who}: could not allocate a lock"));
                return None;
            }
        }
    } else {
        None
    };
    let input = evbuffer_new();
    let output = evbuffer_new();
    if input.is_null() || output.is_null() {
        evbuffer_free(input);
        evbuffer_free(output);
        warnx(&format!("{who}: out of memory"));
        return None;
    }
    let ops: *const c_void = match kind {
        Kind::Socket => &OPS_SOCKET as *const u8 as *const c_void,
        Kind::Pair { .. } => &OPS_PAIR as *const u8 as *const c_void,
        Kind::Filter(_) => &OPS_FILTER as *const u8 as *const c_void,
    };
    let zero_tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let b: &'static Bev = Box::leak(Box::new(Bev {
        pub_: UnsafeCell::new(Bufferevent {
            ev_base: base as *mut c_void,
            be_ops: ops,
            ev_read: Event::zeroed(),
            ev_write: Event::zeroed(),
            input: input as *mut c_void,
            output: output as *mut c_void,
            wm_read: EventWatermark::default(),
            wm_write: EventWatermark::default(),
            readcb: None,
            writecb: None,
            errorcb: None,
            cbarg: std::ptr::null_mut(),
            timeout_read: zero_tv,
            timeout_write: zero_tv,
            enabled: EV_WRITE,
        }),
        magic: Cell::new(MAGIC),
        kind,
        options,
        refcnt: Cell::new(1),
        lock,
        read_suspended: Cell::new(0),
        write_suspended: Cell::new(0),
        connecting: Cell::new(false),
        connection_refused: Cell::new(false),
        deferred: Cell::new(std::ptr::null_mut()),
        deferred_base: Cell::new(base),
        deferred_pri: Cell::new(-1),
        deferred_scheduled: Cell::new(false),
        readcb_pending: Cell::new(false),
        writecb_pending: Cell::new(false),
        eventcb_pending: Cell::new(0),
        errno_pending: Cell::new(0),
        dns_error: Cell::new(0),
        dns_req: Cell::new(std::ptr::null_mut()),
        max_single_read: Cell::new(MAX_SINGLE_DEFAULT),
        max_single_write: Cell::new(MAX_SINGLE_DEFAULT),
        wm_cb: Cell::new(std::ptr::null_mut()),
        outbuf_cb: Cell::new(std::ptr::null_mut()),
        rlim: UnsafeCell::new(None),
    }));
    if let Some(l) = &b.lock {
        evbuffer_enable_locking(input, l.raw());
        evbuffer_enable_locking(output, l.raw());
    }
    Some(b)
}

/// The deferred event's callback: runs the pending callbacks.
extern "C" fn deferred_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent deferred callbacks") else {
            return;
        };
        b.lock();
        b.deferred_scheduled.set(false);
        b.run_deferred();
        b.decref_and_unlock();
    })
}

/// The finalizer: releases a bufferevent nobody refers to any more.
extern "C" fn finalize_cb(_ev: *mut Event, arg: *mut c_void) {
    guard((), || {
        if let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent finalizer") {
            destroy(b);
        }
    })
}

/// Frees the transport (`be_ops->destruct`), the buffers and the memory.
fn destroy(b: &Bev) {
    match b.kind {
        Kind::Socket => socket::destruct(b),
        Kind::Pair { .. } => {}
        Kind::Filter(_) => filter::destruct(b),
    }
    let (input, output) = (b.input(), b.output());
    if !b.wm_cb.get().is_null() {
        evbuffer_remove_cb_entry(input, b.wm_cb.get() as _);
    }
    if !b.outbuf_cb.get().is_null() {
        evbuffer_remove_cb_entry(output, b.outbuf_cb.get() as _);
    }
    evbuffer_free(input);
    evbuffer_free(output);
    b.rlim_destroy();
    let ev = b.deferred.replace(std::ptr::null_mut());
    if !ev.is_null() {
        event_forget(ev);
        // SAFETY: allocated by `Box::into_raw` in `deferred_ev`; the engine
        // forgot it, and its finalizer (if that is what runs now) touches
        // the struct no more after calling us.
        drop(unsafe { Box::from_raw(ev) });
    }
    b.magic.set(0);
    let p = b as *const Bev as *mut Bev;
    // SAFETY: `p` came from `Box::leak` in `new_common`; the last reference
    // is gone and no callback of this bufferevent is running, so nothing
    // uses the memory after this.
    drop(unsafe { Box::from_raw(p) });
}

/// The input's callback that keeps the read high watermark.
unsafe extern "C" fn inbuf_wm_cb(buf: *mut c_void, _info: *const EvbufferCbInfo, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent watermark") else {
            return;
        };
        let len = evbuffer_get_length(buf as *const FfiBuffer);
        if len >= b.get(|p| p.wm_read.high) {
            b.suspend_read(suspend::WM);
        } else {
            b.unsuspend_read(suspend::WM);
        }
    })
}

// ------------------------------------------------------------ exports

/// `bufferevent_free`.
#[no_mangle]
pub extern "C" fn bufferevent_free(bev: *mut Bufferevent) {
    guard((), || {
        let Some(b) = bev_ref(bev, "bufferevent_free") else {
            return;
        };
        b.lock();
        b.set(|p| {
            p.readcb = None;
            p.writecb = None;
            p.errorcb = None;
            p.cbarg = std::ptr::null_mut();
        });
        let req = b.dns_req.replace(std::ptr::null_mut());
        if !req.is_null() {
            // Its callback (run from the loop, with EVUTIL_EAI_CANCEL) takes
            // the lock and drops the lookup's reference then.
            b.unlock();
            crate::dns_getaddrinfo::evdns_getaddrinfo_cancel(req.cast());
            b.lock();
        }
        b.decref_and_unlock();
    })
}

/// `bufferevent_setcb`.
#[no_mangle]
pub extern "C" fn bufferevent_setcb(
    bev: *mut Bufferevent,
    readcb: Option<bufferevent_data_cb>,
    writecb: Option<bufferevent_data_cb>,
    eventcb: Option<bufferevent_event_cb>,
    cbarg: *mut c_void,
) {
    guard((), || {
        let Some(b) = bev_ref(bev, "bufferevent_setcb") else {
            return;
        };
        b.lock();
        b.set(|p| {
            p.readcb = readcb;
            p.writecb = writecb;
            p.errorcb = eventcb;
            p.cbarg = cbarg;
        });
        b.unlock();
    })
}

/// Writes `v` through `out` unless it is NULL.
fn put<T>(out: *mut T, v: T) {
    // SAFETY: NULL or a writable `T` of the program's, per the API.
    if let Some(o) = unsafe { out.as_mut() } {
        *o = v;
    }
}

/// `bufferevent_getcb`.
#[no_mangle]
pub extern "C" fn bufferevent_getcb(
    bev: *mut Bufferevent,
    readcb: *mut Option<bufferevent_data_cb>,
    writecb: *mut Option<bufferevent_data_cb>,
    eventcb: *mut Option<bufferevent_event_cb>,
    cbarg: *mut *mut c_void,
) {
    guard((), || {
        let Some(b) = bev_ref(bev, "bufferevent_getcb") else {
            return;
        };
        b.lock();
        let (r, w, e, a) = b.get(|p| (p.readcb, p.writecb, p.errorcb, p.cbarg));
        b.unlock();
        put(readcb, r);
        put(writecb, w);
        put(eventcb, e);
        put(cbarg, a);
    })
}

/// `bufferevent_get_base`.
#[no_mangle]
pub extern "C" fn bufferevent_get_base(bev: *mut Bufferevent) -> *mut FfiBase {
    guard(std::ptr::null_mut(), || {
        bev_ref(bev, "bufferevent_get_base").map_or(std::ptr::null_mut(), |b| b.base())
    })
}

/// `bufferevent_get_input`.
#[no_mangle]
pub extern "C" fn bufferevent_get_input(bev: *mut Bufferevent) -> *mut FfiBuffer {
    guard(std::ptr::null_mut(), || {
        bev_ref(bev, "bufferevent_get_input").map_or(std::ptr::null_mut(), |b| b.input())
    })
}

/// `bufferevent_get_output`.
#[no_mangle]
pub extern "C" fn bufferevent_get_output(bev: *mut Bufferevent) -> *mut FfiBuffer {
    guard(std::ptr::null_mut(), || {
        bev_ref(bev, "bufferevent_get_output").map_or(std::ptr::null_mut(), |b| b.output())
    })
}

/// `bufferevent_write`.
#[no_mangle]
pub extern "C" fn bufferevent_write(
    bev: *mut Bufferevent,
    data: *const c_void,
    size: usize,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_write") else {
            return -1;
        };
        if evbuffer_add(b.output(), data, size) == -1 {
            return -1;
        }
        0
    })
}

/// `bufferevent_write_buffer`.
#[no_mangle]
pub extern "C" fn bufferevent_write_buffer(bev: *mut Bufferevent, buf: *mut FfiBuffer) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_write_buffer") else {
            return -1;
        };
        if evbuffer_add_buffer(b.output(), buf) == -1 {
            return -1;
        }
        0
    })
}

/// `bufferevent_read`.
#[no_mangle]
pub extern "C" fn bufferevent_read(bev: *mut Bufferevent, data: *mut c_void, size: usize) -> usize {
    guard(0, || {
        let Some(b) = bev_ref(bev, "bufferevent_read") else {
            return 0;
        };
        let n = evbuffer_remove(b.input(), data, size);
        if n < 0 {
            0
        } else {
            n as usize
        }
    })
}

/// `bufferevent_read_buffer`.
#[no_mangle]
pub extern "C" fn bufferevent_read_buffer(bev: *mut Bufferevent, buf: *mut FfiBuffer) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_read_buffer") else {
            return -1;
        };
        evbuffer_add_buffer(buf, b.input())
    })
}

/// `bufferevent_enable`.
#[no_mangle]
pub extern "C" fn bufferevent_enable(bev: *mut Bufferevent, event: c_short) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_enable") else {
            return -1;
        };
        b.incref_and_lock();
        let mut impl_events = event;
        if b.read_suspended.get() != 0 {
            impl_events &= !EV_READ;
        }
        if b.write_suspended.get() != 0 {
            impl_events &= !EV_WRITE;
        }
        b.set(|p| p.enabled |= event);
        let r = if impl_events != 0 && b.kind_enable(impl_events) < 0 {
            -1
        } else {
            0
        };
        b.decref_and_unlock();
        r
    })
}

/// `bufferevent_disable`.
#[no_mangle]
pub extern "C" fn bufferevent_disable(bev: *mut Bufferevent, event: c_short) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_disable") else {
            return -1;
        };
        b.lock();
        b.set(|p| p.enabled &= !event);
        let r = if b.kind_disable(event) < 0 { -1 } else { 0 };
        b.unlock();
        r
    })
}

/// `bufferevent_get_enabled`.
#[no_mangle]
pub extern "C" fn bufferevent_get_enabled(bev: *mut Bufferevent) -> c_short {
    guard(0, || {
        bev_ref(bev, "bufferevent_get_enabled").map_or(0, |b| {
            b.lock();
            let e = b.enabled();
            b.unlock();
            e
        })
    })
}

/// `bufferevent_set_timeouts`.
#[no_mangle]
pub extern "C" fn bufferevent_set_timeouts(
    bev: *mut Bufferevent,
    tv_read: *const libc::timeval,
    tv_write: *const libc::timeval,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_set_timeouts") else {
            return -1;
        };
        let zero = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        // SAFETY: NULL or a valid timeval of the program's, per the API.
        let (r, w) = unsafe { (tv_read.as_ref().copied(), tv_write.as_ref().copied()) };
        b.lock();
        b.set(|p| {
            p.timeout_read = r.unwrap_or(zero);
            p.timeout_write = w.unwrap_or(zero);
        });
        let res = adj_timeouts(b);
        b.unlock();
        res
    })
}

fn tv_set(tv: &libc::timeval) -> bool {
    tv.tv_sec != 0 || tv.tv_usec != 0
}

/// `be_ops->adj_timeouts`: applies new timeouts to the transport's events.
fn adj_timeouts(b: &Bev) -> c_int {
    match b.kind {
        Kind::Socket => adj_socket_timeouts(b),
        Kind::Pair { .. } | Kind::Filter(_) => adj_generic_timeouts(b),
    }
}

/// A pair's or filter's events are bare timers: armed while the direction
/// is enabled, not suspended and has a timeout (for writing, also while
/// output waits), deleted otherwise, as libevent's
/// `bufferevent_generic_adj_timeouts_` does. So a timeout set after
/// `bufferevent_enable` starts counting at once.
fn adj_generic_timeouts(b: &Bev) -> c_int {
    let enabled = b.enabled();
    let (tr, tw) = b.get(|p| (p.timeout_read, p.timeout_write));
    let r1 = if enabled & EV_READ != 0 && b.read_suspended.get() == 0 && tv_set(&tr) {
        event_add(b.ev_read(), &tr)
    } else {
        event_del(b.ev_read())
    };
    let r2 = if enabled & EV_WRITE != 0
        && b.write_suspended.get() == 0
        && tv_set(&tw)
        && evbuffer_get_length(b.output()) > 0
    {
        event_add(b.ev_write(), &tw)
    } else {
        event_del(b.ev_write())
    };
    if r1 < 0 || r2 < 0 {
        -1
    } else {
        0
    }
}

/// A socket's events: those pending are re-added with the new timeout, or
/// keep waiting without one.
fn adj_socket_timeouts(b: &Bev) -> c_int {
    let enabled = b.enabled();
    let (tr, tw) = b.get(|p| (p.timeout_read, p.timeout_write));
    let mut r1 = 0;
    let mut r2 = 0;
    if enabled & EV_READ != 0
        && b.read_suspended.get() == 0
        && event_pending(b.ev_read(), EV_READ, std::ptr::null_mut()) != 0
    {
        r1 = if tv_set(&tr) {
            event_add(b.ev_read(), &tr)
        } else {
            event_remove_timer(b.ev_read())
        };
    }
    if enabled & EV_WRITE != 0
        && b.write_suspended.get() == 0
        && evbuffer_get_length(b.output()) > 0
    {
        r2 = if tv_set(&tw) {
            event_add(b.ev_write(), &tw)
        } else {
            event_remove_timer(b.ev_write())
        };
    }
    if r1 < 0 || r2 < 0 {
        -1
    } else {
        0
    }
}

/// `bufferevent_setwatermark`.
#[no_mangle]
pub extern "C" fn bufferevent_setwatermark(
    bev: *mut Bufferevent,
    events: c_short,
    lowmark: usize,
    highmark: usize,
) {
    guard((), || {
        let Some(b) = bev_ref(bev, "bufferevent_setwatermark") else {
            return;
        };
        b.lock();
        if events & EV_WRITE != 0 {
            b.set(|p| {
                p.wm_write = EventWatermark {
                    low: lowmark,
                    high: highmark,
                }
            });
        }
        if events & EV_READ != 0 {
            b.set_read_watermark(lowmark, highmark);
        }
        b.unlock();
    })
}

/// `bufferevent_getwatermark`: -1 unless exactly one of `EV_READ` and
/// `EV_WRITE` is asked for.
#[no_mangle]
pub extern "C" fn bufferevent_getwatermark(
    bev: *mut Bufferevent,
    events: c_short,
    lowmark: *mut usize,
    highmark: *mut usize,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_getwatermark") else {
            return -1;
        };
        let wm = if events == EV_WRITE {
            b.get(|p| p.wm_write)
        } else if events == EV_READ {
            b.get(|p| p.wm_read)
        } else {
            return -1;
        };
        put(lowmark, wm.low);
        put(highmark, wm.high);
        0
    })
}

/// `bufferevent_lock`.
#[no_mangle]
pub extern "C" fn bufferevent_lock(bev: *mut Bufferevent) {
    guard((), || {
        if let Some(b) = bev_ref(bev, "bufferevent_lock") {
            b.lock();
        }
    })
}

/// `bufferevent_unlock`.
#[no_mangle]
pub extern "C" fn bufferevent_unlock(bev: *mut Bufferevent) {
    guard((), || {
        if let Some(b) = bev_ref(bev, "bufferevent_unlock") {
            b.unlock();
        }
    })
}

/// `bufferevent_incref`.
#[no_mangle]
pub extern "C" fn bufferevent_incref(bev: *mut Bufferevent) {
    guard((), || {
        if let Some(b) = bev_ref(bev, "bufferevent_incref") {
            b.incref_and_lock();
            b.unlock();
        }
    })
}

/// `bufferevent_decref`: 1 when this dropped the last reference.
#[no_mangle]
pub extern "C" fn bufferevent_decref(bev: *mut Bufferevent) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_decref") else {
            return -1;
        };
        b.lock();
        c_int::from(b.decref_and_unlock())
    })
}

/// `bufferevent_trigger`.
#[no_mangle]
pub extern "C" fn bufferevent_trigger(bev: *mut Bufferevent, iotype: c_short, options: c_int) {
    guard((), || {
        if let Some(b) = bev_ref(bev, "bufferevent_trigger") {
            b.incref_and_lock();
            b.trigger(iotype, options);
            b.decref_and_unlock();
        }
    })
}

/// `bufferevent_trigger_event`.
#[no_mangle]
pub extern "C" fn bufferevent_trigger_event(bev: *mut Bufferevent, what: c_short, options: c_int) {
    guard((), || {
        if let Some(b) = bev_ref(bev, "bufferevent_trigger_event") {
            b.incref_and_lock();
            b.run_eventcb(what, options);
            b.decref_and_unlock();
        }
    })
}

/// `bufferevent_flush`.
#[no_mangle]
pub extern "C" fn bufferevent_flush(bev: *mut Bufferevent, iotype: c_short, mode: c_int) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_flush") else {
            return -1;
        };
        b.lock();
        let r = match b.kind {
            Kind::Socket => socket::flush(b, iotype, mode),
            Kind::Pair { .. } => pair::flush(b, iotype, mode),
            Kind::Filter(_) => filter::flush(b, iotype, mode),
        };
        b.unlock();
        r
    })
}

/// `bufferevent_priority_set`: socket bufferevents only, as libevent.
#[no_mangle]
pub extern "C" fn bufferevent_priority_set(bev: *mut Bufferevent, pri: c_int) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_priority_set") else {
            return -1;
        };
        b.lock();
        let r = match b.kind {
            Kind::Socket => {
                if event_priority_set(b.ev_read(), pri) == -1
                    || event_priority_set(b.ev_write(), pri) == -1
                {
                    -1
                } else {
                    b.deferred_pri.set(pri);
                    let ev = b.deferred.get();
                    if !ev.is_null() {
                        event_priority_set(ev, pri);
                    }
                    0
                }
            }
            _ => -1,
        };
        b.unlock();
        r
    })
}

/// `bufferevent_get_priority`.
#[no_mangle]
pub extern "C" fn bufferevent_get_priority(bev: *const Bufferevent) -> c_int {
    guard(-1, || {
        bev_ref(bev, "bufferevent_get_priority").map_or(-1, |b| event_get_priority(b.ev_read()))
    })
}

/// `bufferevent_get_underlying`: a filter's bufferevent; NULL otherwise.
#[no_mangle]
pub extern "C" fn bufferevent_get_underlying(bev: *mut Bufferevent) -> *mut Bufferevent {
    guard(std::ptr::null_mut(), || {
        let Some(b) = bev_ref(bev, "bufferevent_get_underlying") else {
            return std::ptr::null_mut();
        };
        filter::underlying(b).map_or(std::ptr::null_mut(), |u| u.ptr())
    })
}

/// `bufferevent_setfd`.
#[no_mangle]
pub extern "C" fn bufferevent_setfd(bev: *mut Bufferevent, fd: c_int) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_setfd") else {
            return -1;
        };
        match b.kind {
            Kind::Socket => {
                socket::setfd(b, fd);
                0
            }
            Kind::Filter(_) => filter::underlying(b).map_or(-1, |u| bufferevent_setfd(u.ptr(), fd)),
            _ => -1,
        }
    })
}

/// `bufferevent_getfd`: the socket, or -1.
#[no_mangle]
pub extern "C" fn bufferevent_getfd(bev: *mut Bufferevent) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_getfd") else {
            return -1;
        };
        b.lock();
        let fd = match b.kind {
            Kind::Socket => b.get(|p| p.ev_read.ev_fd),
            Kind::Filter(_) => filter::underlying(b).map_or(-1, |u| bufferevent_getfd(u.ptr())),
            _ => -1,
        };
        b.unlock();
        fd
    })
}

/// `bufferevent_base_set`: socket bufferevents only, as libevent.
#[no_mangle]
pub extern "C" fn bufferevent_base_set(base: *mut FfiBase, bev: *mut Bufferevent) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_base_set") else {
            return -1;
        };
        b.lock();
        let r = match b.kind {
            Kind::Socket => {
                b.set(|p| p.ev_base = base as *mut c_void);
                let mut r = crate::event::event_base_set(base, b.ev_read());
                if r != -1 {
                    r = crate::event::event_base_set(base, b.ev_write());
                }
                if !b.deferred_scheduled.get() {
                    b.deferred_base.set(base);
                    let ev = b.deferred.get();
                    if !ev.is_null() {
                        crate::event::event_base_set(base, ev);
                    }
                }
                r
            }
            _ => -1,
        };
        b.unlock();
        r
    })
}

// ------------------------------------------------------------ generic timeouts

/// Makes `ev_read`/`ev_write` the timers of a bufferevent with no fd of
/// its own (libevent's `bufferevent_init_generic_timeout_cbs_`).
pub(crate) fn init_generic_timeouts(b: &Bev) {
    let arg = b.ptr() as *mut c_void;
    event_assign(
        b.ev_read(),
        b.base(),
        -1,
        crate::abi::EV_FINALIZE,
        Some(generic_read_timeout_cb),
        arg,
    );
    event_assign(
        b.ev_write(),
        b.base(),
        -1,
        crate::abi::EV_FINALIZE,
        Some(generic_write_timeout_cb),
        arg,
    );
}

/// `BEV_RESET_GENERIC_READ_TIMEOUT`.
pub(crate) fn reset_generic_read_timeout(b: &Bev) {
    let tv = b.get(|p| p.timeout_read);
    if tv_set(&tv) {
        event_add(b.ev_read(), &tv);
    }
}

/// `BEV_RESET_GENERIC_WRITE_TIMEOUT`.
pub(crate) fn reset_generic_write_timeout(b: &Bev) {
    let tv = b.get(|p| p.timeout_write);
    if tv_set(&tv) {
        event_add(b.ev_write(), &tv);
    }
}

/// `BEV_DEL_GENERIC_READ_TIMEOUT`.
pub(crate) fn del_generic_read_timeout(b: &Bev) {
    event_del(b.ev_read());
}

/// `BEV_DEL_GENERIC_WRITE_TIMEOUT`.
pub(crate) fn del_generic_write_timeout(b: &Bev) {
    event_del(b.ev_write());
}

extern "C" fn generic_read_timeout_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent read timeout") else {
            return;
        };
        b.incref_and_lock();
        bufferevent_disable(b.ptr(), EV_READ);
        b.run_eventcb(
            crate::abi::BEV_EVENT_TIMEOUT | crate::abi::BEV_EVENT_READING,
            0,
        );
        b.decref_and_unlock();
    })
}

extern "C" fn generic_write_timeout_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent write timeout") else {
            return;
        };
        b.incref_and_lock();
        bufferevent_disable(b.ptr(), EV_WRITE);
        b.run_eventcb(
            crate::abi::BEV_EVENT_TIMEOUT | crate::abi::BEV_EVENT_WRITING,
            0,
        );
        b.decref_and_unlock();
    })
}
