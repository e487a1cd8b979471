//! A base's state and its state machine ("nolock" operations): the record
//! slab, the fd and signal maps, the timer wheel and common queues, the
//! active queues, and the counters libevent reports.
//!
//! Everything here runs with the base lock held, and nothing here calls
//! user code or the log callback: messages made here are queued in
//! [`Core::deferred`] and delivered once the lock is released (engine rule
//! 2). The loop (`dispatch.rs`) and the operations (`engine.rs`) drive it.
//!
//! # Layout
//!
//! * **Records** live in one slab (`recs`), reused through a free list; a
//!   slot's generation changes each time it is freed. Growth is fallible: a
//!   program that runs out of memory gets an error, never an abort.
//! * **Active queues**, one per priority, are intrusive doubly linked lists
//!   through the records (`aprev`/`anext`): activation never allocates, and
//!   a deleted active event leaves its queue in O(1).
//! * **fds** and **signals** each map to a singly linked list of records
//!   (`fnext`) and, for fds, per-kind counts from which the backend's
//!   interests follow in O(1) (libevent's `evmap`).
//! * The signal socket and the cross-thread wakeup are internal records on
//!   ordinary fds, run through the active queues like libevent's internal
//!   events (so a signal that arrives while its event is already active is
//!   counted again after that event runs, as in libevent).

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::config::BaseFlags;
use crate::error::{Error, Result};
use crate::event::{kind, state, EventId, Record, NIL};
use crate::flags::Ev;
use crate::keys::KeyIndex;
use crate::log::Severity;
use crate::sys::{self, signal as sig, Backend, Method};
use crate::timer::{CommonEntry, CommonQueue, TimerWheel};

/// How far ahead of the timer being expired its successors' records are
/// prefetched.
pub(crate) const PREFETCH_AHEAD: usize = 8;

/// Descriptors beyond this need not be open to be looked at, but a table
/// this large is only grown for descriptors the kernel says are open.
const FD_TABLE_FREE_GROWTH: usize = 1 << 16;

/// What a new record describes.
#[derive(Copy, Clone, Debug)]
pub struct Spec {
    /// Descriptor, signal number, or -1.
    pub fd: RawFd,
    /// What it waits for.
    pub events: Ev,
    /// `None`: the middle priority, as libevent assigns.
    pub pri: Option<u8>,
    /// The C face's struct address (0: none).
    pub key: usize,
    /// The face's callback word.
    pub cb: usize,
    /// The face's argument word.
    pub arg: usize,
    pub(crate) kind: u8,
    /// Freed as soon as it is idle.
    pub transient: bool,
    pub(crate) internal: bool,
    /// A persistent event's period carried over from an earlier add (the
    /// C struct keeps it, as libevent's `ev_io_timeout`, across deletes).
    pub period: Option<When>,
}

impl Spec {
    /// A C event's record: the program's struct at `key`, its callback
    /// words, transient.
    pub fn c_event(fd: RawFd, events: Ev, pri: u8, key: usize, cb: usize, arg: usize) -> Spec {
        Spec {
            fd,
            events,
            pri: Some(pri),
            key,
            cb,
            arg,
            kind: crate::event::kind::USER,
            transient: true,
            internal: false,
            period: None,
        }
    }
}

/// How a timeout is given.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// After a duration (nanoseconds) from now.
    After(u64),
    /// At an absolute monotonic deadline.
    At(u64),
    /// On a common-timeout queue.
    Common(u16),
}

#[derive(Default, Clone, Copy)]
pub(crate) struct FdEntry {
    /// First record on this fd.
    pub(crate) head: u32,
    pub(crate) nread: u16,
    pub(crate) nwrite: u16,
    pub(crate) nclose: u16,
    /// Interests the backend has (READ/WRITE/CLOSED/ET bits).
    pub(crate) reg: u8,
}

impl FdEntry {
    const EMPTY: FdEntry = FdEntry {
        head: NIL,
        nread: 0,
        nwrite: 0,
        nclose: 0,
        reg: 0,
    };

    /// The union of the fd's events' interests (READ/WRITE/CLOSED).
    fn union(&self) -> u8 {
        let mut w = 0u8;
        if self.nread > 0 {
            w |= Ev::READ.bits() as u8;
        }
        if self.nwrite > 0 {
            w |= Ev::WRITE.bits() as u8;
        }
        if self.nclose > 0 {
            w |= Ev::CLOSED.bits() as u8;
        }
        w
    }
}

pub(crate) struct SigEntry {
    pub(crate) head: u32,
    pub(crate) saved: Option<sig::Saved>,
}

/// One priority's active queue (intrusive list ends).
#[derive(Copy, Clone)]
pub(crate) struct Queue {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl Queue {
    const EMPTY: Queue = Queue {
        head: NIL,
        tail: NIL,
    };
}

pub(crate) struct Core {
    pub(crate) backend: Backend,
    pub(crate) method: Method,
    pub(crate) changelist: bool,
    pub(crate) precise: bool,
    pub(crate) flags: BaseFlags,
    pub(crate) coarse: bool,
    /// Whether the backend reports `EV_ET` with each result (epoll).
    pub(crate) reports_et: bool,
    pub(crate) recs: Vec<Record>,
    pub(crate) free_list: Vec<u32>,
    /// The C face's records by struct address.
    pub(crate) keys: KeyIndex,
    /// Idle C records kept for their struct's next add.
    pub(crate) idle_kept: usize,
    /// The most records in use seen by `release_if_idle` (a lower bound of
    /// the peak): the bound of `idle_kept`.
    pub(crate) in_use_peak: usize,
    /// First generation of this base's slots (distinct per base).
    pub(crate) gen_base: u32,
    /// libevent accepts I/O events on negative fds (they never fire).
    pub(crate) accept_negative_fd: bool,
    pub(crate) fds: Vec<FdEntry>,
    pub(crate) sigs: Vec<SigEntry>,
    pub(crate) sig_pair: Option<(RawFd, RawFd)>,
    pub(crate) sig_rec: u32,
    pub(crate) notify_fd: RawFd,
    pub(crate) notify_rec: u32,
    /// A wakeup was written and not yet drained: others need not write.
    pub(crate) notify_pending: bool,
    /// Wakeups written (for tests and diagnostics).
    pub(crate) wakeups: u64,
    pub(crate) timers: TimerWheel,
    pub(crate) common: Vec<CommonQueue>,
    pub(crate) queues: Vec<Queue>,
    pub(crate) n_active: usize,
    pub(crate) n_active_max: usize,
    pub(crate) event_count: usize,
    pub(crate) event_count_max: usize,
    pub(crate) running_priority: i32,
    pub(crate) event_continue: bool,
    pub(crate) virtual_count: usize,
    pub(crate) virtual_max: usize,
    pub(crate) time_cache: u64,
    pub(crate) wall_offset: i128,
    pub(crate) wall_offset_at: u64,
    pub(crate) running_loop: bool,
    pub(crate) loop_thread: u64,
    pub(crate) event_break: bool,
    pub(crate) event_gotterm: bool,
    /// The record whose callback runs now (the loop's thread).
    pub(crate) current: Option<EventId>,
    pub(crate) current_waiters: usize,
    pub(crate) max_dispatch: Option<u64>,
    pub(crate) max_callbacks: usize,
    pub(crate) limit_after_prio: usize,
    pub(crate) io_buf: Vec<sys::Ready>,
    /// Messages made under the lock, delivered after it is released.
    pub(crate) deferred: Vec<(Severity, String)>,
}

impl Core {
    /// An empty state around `backend`.
    pub(crate) fn new(backend: Backend, method: Method, flags: BaseFlags) -> Core {
        Core {
            reports_et: method == Method::Epoll,
            backend,
            method,
            changelist: false,
            precise: false,
            flags,
            coarse: false,
            recs: Vec::new(),
            free_list: Vec::new(),
            keys: KeyIndex::default(),
            idle_kept: 0,
            in_use_peak: 0,
            gen_base: next_gen_base(),
            accept_negative_fd: false,
            fds: Vec::new(),
            sigs: (0..sig::NSIG)
                .map(|_| SigEntry {
                    head: NIL,
                    saved: None,
                })
                .collect(),
            sig_pair: None,
            sig_rec: NIL,
            notify_fd: -1,
            notify_rec: NIL,
            notify_pending: false,
            wakeups: 0,
            timers: TimerWheel::default(),
            common: Vec::new(),
            queues: vec![Queue::EMPTY],
            n_active: 0,
            n_active_max: 0,
            event_count: 0,
            event_count_max: 0,
            running_priority: -1,
            event_continue: false,
            virtual_count: 0,
            virtual_max: 0,
            time_cache: 0,
            wall_offset: 0,
            wall_offset_at: 0,
            running_loop: false,
            loop_thread: 0,
            event_break: false,
            event_gotterm: false,
            current: None,
            current_waiters: 0,
            max_dispatch: None,
            max_callbacks: usize::MAX,
            limit_after_prio: usize::MAX,
            io_buf: Vec::new(),
            deferred: Vec::new(),
        }
    }

    /// Queues a message for delivery once the lock is released.
    #[cold]
    pub(crate) fn say(&mut self, sev: Severity, args: std::fmt::Arguments<'_>) {
        if sev == Severity::Debug && !crate::log::debug_enabled() {
            return;
        }
        self.deferred.push((sev, std::fmt::format(args)));
    }

    /// [`Core::say`] at `Warn`.
    #[cold]
    pub(crate) fn warn(&mut self, args: std::fmt::Arguments<'_>) {
        self.say(Severity::Warn, args);
    }

    // ------------------------------------------------------------- records

    /// Allocates a record for `spec` (not pending). Fails only when memory
    /// runs out.
    #[inline(always)]
    pub(crate) fn alloc(&mut self, spec: &Spec) -> Result<EventId> {
        let nq = self.queues.len();
        let pri = spec.pri.unwrap_or((nq / 2) as u8);
        let mut st = 0;
        if spec.transient {
            st |= state::TRANSIENT;
        }
        if spec.internal {
            st |= state::INTERNAL;
        }
        if spec.key != 0 {
            self.keys
                .reserve_one(&self.recs)
                .map_err(|_| Error::OutOfMemory)?;
        }
        let idx = match self.free_list.pop() {
            Some(i) => i,
            None => self.grow_slab()?,
        };
        if spec.key != 0 {
            self.keys.insert(spec.key, idx);
        }
        let rec = &mut self.recs[idx as usize];
        rec.key = spec.key;
        rec.cb = spec.cb;
        rec.arg = spec.arg;
        rec.period = 0;
        rec.fd = spec.fd;
        rec.anext = NIL;
        rec.aprev = NIL;
        rec.fnext = NIL;
        rec.ncalls = 0;
        rec.common = 0;
        rec.pcommon = 0;
        rec.events = spec.events.bits() as u8;
        rec.res = 0;
        rec.state = st;
        rec.pri = pri;
        rec.kind = spec.kind;
        rec.cached = false;
        let gen = rec.gen;
        if spec.period.is_some() {
            self.set_period(idx, spec.period);
        }
        Ok(EventId { idx, gen })
    }

    /// Adds a free slot at the end of the slab.
    #[cold]
    fn grow_slab(&mut self) -> Result<u32> {
        let idx = self.recs.len();
        if idx >= (NIL - 1) as usize {
            return Err(Error::OutOfMemory);
        }
        if self.recs.len() == self.recs.capacity() {
            let more = self.recs.len().clamp(64, 1 << 20);
            self.recs
                .try_reserve(more)
                .map_err(|_| Error::OutOfMemory)?;
            self.free_list
                .try_reserve(self.recs.capacity() - self.free_list.len())
                .map_err(|_| Error::OutOfMemory)?;
            self.timers
                .reserve_slots(self.recs.capacity())
                .map_err(|_| Error::OutOfMemory)?;
        }
        // New slots start at this base's own generation offset, so an id
        // from another base is (almost always) stale here, not a match.
        self.recs.push(Record::free(self.gen_base));
        Ok(idx as u32)
    }

    /// Frees a slot (it must be live and idle: not on any list).
    #[inline(always)]
    pub(crate) fn free_slot(&mut self, idx: u32) {
        let rec = &self.recs[idx as usize];
        if !rec.is_live() {
            return;
        }
        debug_assert_eq!(rec.state & state::BUSY, 0, "freeing a busy record");
        if rec.key != 0 {
            self.keys.remove(rec.key, idx, &self.recs);
        }
        let rec = &mut self.recs[idx as usize];
        if rec.cached {
            rec.cached = false;
            self.idle_kept -= 1;
        }
        rec.state = state::FREE;
        rec.gen = rec.gen.wrapping_add(1);
        rec.key = 0;
        // Capacity was reserved with the slab: this push never allocates.
        self.free_list.push(idx);
    }

    /// The live record `id` names.
    #[inline(always)]
    pub(crate) fn rec(&self, id: EventId) -> Result<&Record> {
        match self.recs.get(id.idx as usize) {
            Some(r) if r.gen == id.gen && r.is_live() => Ok(r),
            _ => Err(Error::NoSuchEvent),
        }
    }

    #[inline(always)]
    pub(crate) fn rec_mut(&mut self, id: EventId) -> Result<&mut Record> {
        match self.recs.get_mut(id.idx as usize) {
            Some(r) if r.gen == id.gen && r.is_live() => Ok(r),
            _ => Err(Error::NoSuchEvent),
        }
    }

    /// Takes a record off the address index (its struct is no longer its
    /// own: it is being re-assigned while the callback runs).
    pub(crate) fn unkey(&mut self, idx: u32) {
        let key = self.recs[idx as usize].key;
        if key != 0 {
            self.keys.remove(key, idx, &self.recs);
            self.recs[idx as usize].key = 0;
        }
    }

    /// Whether `id` is live and belongs to the struct at `key`.
    #[inline(always)]
    pub(crate) fn is_keyed(&self, id: EventId, key: usize) -> bool {
        matches!(self.recs.get(id.idx as usize), Some(r) if r.gen == id.gen && r.key == key && r.is_live())
    }

    #[inline]
    pub(crate) fn r(&mut self, idx: u32) -> &mut Record {
        &mut self.recs[idx as usize]
    }

    /// A transient record that went idle: a Rust one-shot is freed; a C
    /// record is kept (`cached`) for its struct's next add, which then
    /// skips the allocation and the address index, unless as many are kept
    /// as were ever in use at once (then it is freed): the slab and the
    /// index never shrink, so keeping them costs no memory beyond that
    /// peak, and freeing them would cost a cache miss each in the index
    /// when a million timers fire in deadline order. An idle record never fires and is
    /// found only through its struct (by handle or by address, where
    /// `event_assign` and `event_free` free it). A record whose callback
    /// runs now is left to the loop, so that a delete from another thread
    /// can still wait for it. Returns whether it was freed.
    #[inline(always)]
    pub(crate) fn release_if_idle(&mut self, idx: u32) -> bool {
        let Some(rec) = self.recs.get(idx as usize) else {
            return false;
        };
        if rec.state & (state::TRANSIENT | state::BUSY | state::FREE) != state::TRANSIENT
            || rec.cached
        {
            return false;
        }
        if self.current.is_some_and(|c| c.idx == idx) {
            return false;
        }
        let in_use = self.recs.len() - self.free_list.len() - self.idle_kept;
        self.in_use_peak = self.in_use_peak.max(in_use);
        if rec.key != 0
            && rec.state & state::FINALIZING == 0
            && self.idle_kept < self.in_use_peak.max(64)
        {
            self.recs[idx as usize].cached = true;
            self.idle_kept += 1;
            return false;
        }
        self.free_slot(idx);
        true
    }

    /// Sets a persistent record's period as an add with `period` would.
    pub(crate) fn set_period(&mut self, idx: u32, period: Option<When>) {
        let (ns, q) = match period {
            Some(When::After(ns)) => (ns, 0),
            Some(When::Common(q)) => match self.common.get(q as usize) {
                Some(c) => (c.nanos, q + 1),
                None => (0, 0),
            },
            _ => (0, 0),
        };
        let rec = &mut self.recs[idx as usize];
        if rec.events & (Ev::PERSIST.bits() as u8 | Ev::SIGNAL.bits() as u8)
            == Ev::PERSIST.bits() as u8
        {
            rec.period = ns;
            rec.pcommon = q;
        }
    }

    /// A kept idle record is in use again.
    #[inline(always)]
    pub(crate) fn uncache(&mut self, idx: u32) {
        let rec = &mut self.recs[idx as usize];
        if rec.cached {
            rec.cached = false;
            self.idle_kept -= 1;
        }
    }

    // ---------------------------------------------------------------- time

    #[inline]
    pub(crate) fn now(&mut self) -> u64 {
        if self.time_cache != 0 {
            self.time_cache
        } else {
            sys::monotonic_ns(self.coarse)
        }
    }

    pub(crate) fn update_cache(&mut self) {
        if !self.flags.contains(BaseFlags::NO_CACHE_TIME) {
            self.time_cache = sys::monotonic_ns(self.coarse);
        } else {
            self.time_cache = 0;
        }
    }

    pub(crate) fn refresh_wall_offset(&mut self) {
        let mono = sys::monotonic_ns(self.coarse);
        self.wall_offset = sys::realtime_ns() - mono as i128;
        self.wall_offset_at = mono;
    }

    pub(crate) fn wall_offset_now(&mut self) -> i128 {
        let now = sys::monotonic_ns(self.coarse);
        if now.saturating_sub(self.wall_offset_at) > 5_000_000_000 {
            self.refresh_wall_offset();
        }
        self.wall_offset
    }

    // ------------------------------------------------------------ counters

    pub(crate) fn have_events(&self) -> bool {
        self.virtual_count > 0 || self.event_count > 0
    }

    #[inline]
    fn count_incr(&mut self, st: u8) {
        if st & state::INTERNAL == 0 {
            self.event_count += 1;
            self.event_count_max = self.event_count_max.max(self.event_count);
        }
    }

    #[inline]
    fn count_decr(&mut self, st: u8) {
        if st & state::INTERNAL == 0 {
            self.event_count -= 1;
        }
    }

    // ------------------------------------------------------- add / delete

    /// libevent's `event_add_nolock_`: registers I/O or the signal if not
    /// yet, then (re)schedules the timeout if one is given.
    #[inline(always)]
    pub(crate) fn add(&mut self, idx: u32, when: Option<When>) -> Result<()> {
        let rec = &self.recs[idx as usize];
        let st = rec.state;
        if st & state::FINALIZING != 0 {
            return Err(Error::Finalizing);
        }
        let events = rec.events;
        if events & (Ev::IO.bits() as u8 | Ev::SIGNAL.bits() as u8) != 0
            && st & (state::INSERTED | state::ACTIVE) == 0
        {
            if events & Ev::SIGNAL.bits() as u8 != 0 {
                self.sig_add(idx)?;
            } else {
                self.io_add(idx)?;
            }
            let rec = &mut self.recs[idx as usize];
            rec.state |= state::INSERTED;
            let st = rec.state;
            self.count_incr(st);
        }
        if let Some(when) = when {
            self.set_timeout(idx, when)?;
        }
        Ok(())
    }

    /// Schedules (or reschedules) `idx`'s timeout.
    #[inline]
    pub(crate) fn set_timeout(&mut self, idx: u32, when: When) -> Result<()> {
        let now = self.now();
        let rec = &self.recs[idx as usize];
        let persist = rec.events & (Ev::PERSIST.bits() as u8 | Ev::SIGNAL.bits() as u8)
            == Ev::PERSIST.bits() as u8;
        let (at, common) = match when {
            When::After(ns) => {
                if persist {
                    // libevent re-arms only a non-zero period.
                    let r = &mut self.recs[idx as usize];
                    r.period = ns;
                    r.pcommon = 0;
                }
                (now.saturating_add(ns), 0u16)
            }
            When::At(t) => (t, self.recs[idx as usize].pcommon),
            When::Common(q) => {
                let nanos = self.common.get(q as usize).ok_or(Error::BadTimeout)?.nanos;
                if persist {
                    let r = &mut self.recs[idx as usize];
                    r.period = nanos;
                    r.pcommon = q + 1;
                }
                (now.saturating_add(nanos), q + 1)
            }
        };
        let rec = &mut self.recs[idx as usize];
        let expiry_queued =
            rec.state & state::ACTIVE != 0 && rec.res & Ev::TIMEOUT.bits() as u8 != 0;
        if rec.state & state::TIMEOUT != 0 {
            // A timeout refreshed (an idle timeout on every read) stays
            // where it waits when the wheel allows; see `try_postpone`.
            if rec.common == 0 && common == 0 && !expiry_queued && self.timers.try_postpone(idx, at)
            {
                self.recs[idx as usize].at = at;
                return Ok(());
            }
            self.remove_timeout(idx);
        }
        let rec = &mut self.recs[idx as usize];
        if expiry_queued {
            // A timeout re-added while its expiry is still queued: that
            // expiry is cancelled, as libevent does.
            if rec.events & Ev::SIGNAL.bits() as u8 != 0 {
                rec.ncalls = 0;
            }
            self.remove_active(idx);
        }
        self.insert_timeout(idx, at, common)
    }

    #[inline(always)]
    fn insert_timeout(&mut self, idx: u32, at: u64, common: u16) -> Result<()> {
        if common == 0 {
            self.timers
                .schedule(idx, at)
                .map_err(|_| Error::OutOfMemory)?;
        } else {
            let q = &mut self.common[common as usize - 1].queue;
            q.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
            let seq = self.recs[idx as usize].tseq.wrapping_add(1);
            let entry = CommonEntry { at, slot: idx, seq };
            let mut pos = q.len();
            while pos > 0 && q[pos - 1].at > at {
                pos -= 1;
            }
            q.insert(pos, entry);
            self.recs[idx as usize].tseq = seq;
        }
        let rec = &mut self.recs[idx as usize];
        rec.state |= state::TIMEOUT;
        rec.at = at;
        rec.common = common;
        let st = rec.state;
        self.count_incr(st);
        Ok(())
    }

    #[inline(always)]
    pub(crate) fn remove_timeout(&mut self, idx: u32) {
        let rec = &mut self.recs[idx as usize];
        rec.state &= !state::TIMEOUT;
        let st = rec.state;
        if rec.common == 0 {
            self.timers.remove(idx);
        } else {
            // Lazy: the queue entry goes stale with the sequence number.
            rec.tseq = rec.tseq.wrapping_add(1);
        }
        self.count_decr(st);
    }

    #[inline(always)]
    pub(crate) fn remove_active(&mut self, idx: u32) {
        self.unqueue(idx);
        let rec = &mut self.recs[idx as usize];
        rec.state &= !state::ACTIVE;
        let st = rec.state;
        self.n_active -= 1;
        self.count_decr(st);
    }

    #[inline]
    fn remove_inserted(&mut self, idx: u32) {
        let rec = &mut self.recs[idx as usize];
        rec.state &= !state::INSERTED;
        let st = rec.state;
        let signal = rec.events & Ev::SIGNAL.bits() as u8 != 0;
        self.count_decr(st);
        if signal {
            self.sig_del(idx);
        } else {
            self.io_del(idx);
        }
    }

    /// libevent's `event_del_nolock_`: not pending, not active.
    #[inline(always)]
    pub(crate) fn del(&mut self, idx: u32) {
        let rec = &mut self.recs[idx as usize];
        if rec.events & Ev::SIGNAL.bits() as u8 != 0 {
            rec.ncalls = 0;
        }
        let st = rec.state;
        if st & state::BUSY == 0 {
            return;
        }
        if st & state::TIMEOUT != 0 {
            self.remove_timeout(idx);
        }
        if st & state::ACTIVE != 0 {
            self.remove_active(idx);
        }
        if st & state::INSERTED != 0 {
            self.remove_inserted(idx);
        }
    }

    // ---------------------------------------------------------- activation

    #[inline]
    fn queue_of(&self, pri: u8) -> usize {
        (pri as usize).min(self.queues.len() - 1)
    }

    /// Appends `idx` to its priority's queue.
    #[inline(always)]
    fn enqueue(&mut self, idx: u32) {
        let q = self.queue_of(self.recs[idx as usize].pri);
        let tail = self.queues[q].tail;
        {
            let rec = &mut self.recs[idx as usize];
            rec.aprev = tail;
            rec.anext = NIL;
        }
        if tail == NIL {
            self.queues[q].head = idx;
        } else {
            self.recs[tail as usize].anext = idx;
        }
        self.queues[q].tail = idx;
    }

    /// Takes `idx` out of its queue.
    #[inline(always)]
    fn unqueue(&mut self, idx: u32) {
        let (p, n, pri) = {
            let r = &self.recs[idx as usize];
            (r.aprev, r.anext, r.pri)
        };
        let q = self.queue_of(pri);
        if p == NIL {
            self.queues[q].head = n;
        } else {
            self.recs[p as usize].anext = n;
        }
        if n == NIL {
            self.queues[q].tail = p;
        } else {
            self.recs[n as usize].aprev = p;
        }
    }

    /// The first active record of queue `q` (it stays queued until it is
    /// deleted or leaves the queue to run, through `remove_active`).
    #[inline]
    pub(crate) fn queue_front(&self, q: usize) -> Option<u32> {
        let idx = self.queues[q].head;
        (idx != NIL).then_some(idx)
    }

    /// libevent's `event_active_nolock_`: merges results into an active
    /// event, or queues it at its priority.
    #[inline(always)]
    pub(crate) fn activate(&mut self, idx: u32, what: u8, ncalls: u16) {
        let rec = &mut self.recs[idx as usize];
        let st = rec.state;
        if st & (state::FINALIZING | state::ACTIVE | state::FREE) != 0 {
            if st & (state::FINALIZING | state::FREE) == 0 {
                rec.res |= what;
            }
            return;
        }
        rec.res = what;
        rec.ncalls = ncalls;
        rec.state = st | state::ACTIVE;
        if (rec.pri as i32) < self.running_priority {
            self.event_continue = true;
        }
        self.count_incr(st);
        self.n_active += 1;
        self.n_active_max = self.n_active_max.max(self.n_active);
        self.enqueue(idx);
    }

    // ------------------------------------------------------------------ io

    /// Makes room for `fd` in the fd table.
    fn fd_entry(&mut self, fd: RawFd) -> Result<&mut FdEntry> {
        let i = fd as usize;
        if i >= self.fds.len() {
            // A descriptor the kernel does not know cannot be waited for;
            // refusing it here keeps a made-up number (INT_MAX) from
            // growing the table without bound.
            if i >= FD_TABLE_FREE_GROWTH && !sys::fd_is_open(fd) {
                return Err(Error::BadFd(fd));
            }
            let len = (i + 1).next_power_of_two().max(64);
            self.fds
                .try_reserve(len - self.fds.len())
                .map_err(|_| Error::OutOfMemory)?;
            self.fds.resize(len, FdEntry::EMPTY);
        }
        Ok(&mut self.fds[i])
    }

    /// libevent's `evmap_io_add_`: counts the event on its fd and tells the
    /// backend when the fd's union of interests grows (with the adding
    /// event's `EV_ET`, as libevent passes it).
    pub(crate) fn io_add(&mut self, idx: u32) -> Result<()> {
        let (fd, events) = {
            let r = &self.recs[idx as usize];
            (r.fd, r.events())
        };
        if fd < 0 {
            if self.accept_negative_fd {
                return Ok(());
            }
            return Err(Error::BadFd(fd));
        }
        let entry = *self.fd_entry(fd)?;
        let mut next = entry;
        if events.contains(Ev::READ) {
            next.nread = next.nread.checked_add(1).ok_or(Error::TooManyOnFd(fd))?;
        }
        if events.contains(Ev::WRITE) {
            next.nwrite = next.nwrite.checked_add(1).ok_or(Error::TooManyOnFd(fd))?;
        }
        if events.contains(Ev::CLOSED) {
            next.nclose = next.nclose.checked_add(1).ok_or(Error::TooManyOnFd(fd))?;
        }
        let union = next.union();
        if union != entry.union() {
            let want = union | (events.bits() as u8 & Ev::ET.bits() as u8);
            self.backend.change(
                fd,
                Ev::from_bits(entry.reg as u16),
                Ev::from_bits(want as u16),
            )?;
            next.reg = want;
        } else {
            // Same interests: a backend that stopped watching a closed
            // number starts again (it may name a new file now).
            self.backend.refresh(fd);
        }
        next.head = idx;
        self.recs[idx as usize].fnext = entry.head;
        self.fds[fd as usize] = next;
        Ok(())
    }

    pub(crate) fn io_del(&mut self, idx: u32) {
        let (fd, events, fnext) = {
            let r = &self.recs[idx as usize];
            (r.fd, r.events(), r.fnext)
        };
        let Some(&entry) = self.fds.get(fd as usize).filter(|_| fd >= 0) else {
            return;
        };
        // Unlink from the fd's list.
        let mut e = entry;
        if e.head == idx {
            e.head = fnext;
        } else {
            let mut cur = e.head;
            while cur != NIL {
                let n = self.recs[cur as usize].fnext;
                if n == idx {
                    self.recs[cur as usize].fnext = fnext;
                    break;
                }
                cur = n;
            }
        }
        self.recs[idx as usize].fnext = NIL;
        if events.contains(Ev::READ) {
            e.nread -= 1;
        }
        if events.contains(Ev::WRITE) {
            e.nwrite -= 1;
        }
        if events.contains(Ev::CLOSED) {
            e.nclose -= 1;
        }
        let union = e.union();
        if union != entry.union() {
            let want = if union == 0 {
                0
            } else {
                union | (events.bits() as u8 & Ev::ET.bits() as u8)
            };
            if let Err(err) =
                self.backend
                    .change(fd, Ev::from_bits(e.reg as u16), Ev::from_bits(want as u16))
            {
                self.warn(format_args!("cannot stop watching fd {fd}: {err}"));
            }
            e.reg = want;
        }
        self.fds[fd as usize] = e;
    }

    /// Activates the I/O events on `fd` that wait for any of `what`
    /// (`event_base_active_by_fd`).
    pub(crate) fn activate_fd(&mut self, fd: RawFd, what: Ev) {
        let Some(entry) = self.fds.get(fd as usize).filter(|_| fd >= 0) else {
            return;
        };
        let mut cur = entry.head;
        let what = what.bits() as u8;
        while cur != NIL {
            let rec = &self.recs[cur as usize];
            let next = rec.fnext;
            let m = rec.events & what & Ev::IO.bits() as u8;
            if m != 0 && rec.kind == kind::USER {
                self.activate(cur, m, 1);
            }
            cur = next;
        }
    }

    /// Turns a batch of backend results into activations (libevent's
    /// `evmap_io_active_` for each).
    pub(crate) fn process_io(&mut self, ready: &[sys::Ready]) {
        let et = if self.reports_et {
            Ev::ET.bits() as u8
        } else {
            0
        };
        for r in ready {
            let fd = sys::ready_fd(r);
            let Some(entry) = self.fds.get(fd as usize) else {
                continue;
            };
            let got = sys::ready_ev(r).bits() as u8;
            let mut cur = entry.head;
            while cur != NIL {
                let rec = &self.recs[cur as usize];
                let next = rec.fnext;
                let ev = rec.events;
                if ev & got != 0 {
                    self.activate(cur, ev & (got | et), 1);
                }
                cur = next;
            }
        }
    }

    // ------------------------------------------------------------- signals

    fn ensure_sig_pair(&mut self) -> Result<()> {
        if self.sig_pair.is_some() {
            return Ok(());
        }
        let (r, w) = sys::internal_socketpair()?;
        let spec = Spec {
            fd: r,
            events: Ev::READ | Ev::PERSIST,
            pri: Some(0),
            key: 0,
            cb: 0,
            arg: 0,
            kind: kind::SIGNALS,
            transient: false,
            internal: true,
            period: None,
        };
        let id = match self.alloc(&spec) {
            Ok(id) => id,
            Err(e) => {
                sys::close(r);
                sys::close(w);
                return Err(e);
            }
        };
        if let Err(e) = self.add(id.idx, None) {
            self.free_slot(id.idx);
            sys::close(r);
            sys::close(w);
            return Err(e);
        }
        self.sig_pair = Some((r, w));
        self.sig_rec = id.idx;
        Ok(())
    }

    fn sig_add(&mut self, idx: u32) -> Result<()> {
        let signo = self.recs[idx as usize].fd;
        if !sig::valid(signo) {
            return Err(Error::BadSignal(signo));
        }
        self.ensure_sig_pair()?;
        let w = self.sig_pair.map_or(-1, |p| p.1);
        let entry = &mut self.sigs[signo as usize];
        if entry.head == NIL {
            entry.saved = Some(sig::install(signo)?);
        }
        let head = entry.head;
        entry.head = idx;
        self.recs[idx as usize].fnext = head;
        sig::set_target(signo, w);
        Ok(())
    }

    fn sig_del(&mut self, idx: u32) {
        let signo = self.recs[idx as usize].fd;
        let fnext = self.recs[idx as usize].fnext;
        let w = self.sig_pair.map_or(-1, |p| p.1);
        let Some(head) = self.sigs.get(signo as usize).map(|e| e.head) else {
            return;
        };
        if head == idx {
            self.sigs[signo as usize].head = fnext;
        } else {
            let mut cur = head;
            while cur != NIL {
                let n = self.recs[cur as usize].fnext;
                if n == idx {
                    self.recs[cur as usize].fnext = fnext;
                    break;
                }
                cur = n;
            }
        }
        self.recs[idx as usize].fnext = NIL;
        let entry = &mut self.sigs[signo as usize];
        if entry.head == NIL {
            if let Some(saved) = entry.saved.take() {
                sig::clear_target(signo, w);
                sig::restore(signo, &saved);
            }
        }
    }

    /// Points every signal this base watches at its own socket (the base
    /// that last runs its loop receives them, as in libevent).
    pub(crate) fn retarget_signals(&mut self) {
        if let Some((_, w)) = self.sig_pair {
            for (signo, entry) in self.sigs.iter().enumerate() {
                if entry.head != NIL {
                    sig::set_target(signo as i32, w);
                }
            }
        }
    }

    pub(crate) fn activate_signal(&mut self, signo: i32, count: u16) {
        let Some(entry) = self.sigs.get(signo as usize) else {
            return;
        };
        let mut cur = entry.head;
        while cur != NIL {
            let next = self.recs[cur as usize].fnext;
            self.activate(cur, Ev::SIGNAL.bits() as u8, count);
            cur = next;
        }
    }

    /// Reads the signal socket and activates the events of each signal
    /// caught (the internal signal event's callback).
    pub(crate) fn read_signals(&mut self) {
        let Some((fd, _)) = self.sig_pair else { return };
        let mut counts = [0u16; sig::NSIG];
        let mut buf = [0u8; 1024];
        loop {
            match sys::read_into(fd, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    for &b in &buf[..n] {
                        if let Some(c) = counts.get_mut(b as usize) {
                            *c = c.saturating_add(1);
                        }
                    }
                    if n < buf.len() {
                        break;
                    }
                }
            }
        }
        for (signo, &c) in counts.iter().enumerate() {
            if c > 0 {
                self.activate_signal(signo as i32, c);
            }
        }
    }

    /// Creates the cross-thread wakeup (an eventfd watched by an internal
    /// record).
    pub(crate) fn make_notifiable(&mut self) -> Result<()> {
        if self.notify_fd >= 0 {
            return Ok(());
        }
        let fd = sys::eventfd()?;
        let spec = Spec {
            fd,
            events: Ev::READ | Ev::PERSIST,
            pri: Some(0),
            key: 0,
            cb: 0,
            arg: 0,
            kind: kind::WAKEUP,
            transient: false,
            internal: true,
            period: None,
        };
        let id = match self.alloc(&spec) {
            Ok(id) => id,
            Err(e) => {
                sys::close(fd);
                return Err(e);
            }
        };
        if let Err(e) = self.add(id.idx, None) {
            self.free_slot(id.idx);
            sys::close(fd);
            return Err(e);
        }
        self.notify_fd = fd;
        self.notify_rec = id.idx;
        self.notify_pending = false;
        Ok(())
    }

    /// Drains the wakeup (its internal event's callback).
    pub(crate) fn drain_wakeup(&mut self) {
        let mut buf = [0u8; 8];
        sys::drain(self.notify_fd, &mut buf);
        self.notify_pending = false;
    }

    // -------------------------------------------------------------- timers

    /// Whether a common-queue entry is still its record's timeout (removal
    /// from those queues is lazy).
    fn common_entry_live(&self, queue: usize, entry: &CommonEntry) -> bool {
        let r = &self.recs[entry.slot as usize];
        r.state & (state::TIMEOUT | state::FREE) == state::TIMEOUT
            && r.common as usize == queue + 1
            && r.tseq == entry.seq
    }

    pub(crate) fn next_timeout(&mut self) -> Option<Duration> {
        let mut earliest = self.timers.peek().map(|(at, _)| at);
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                if self.common_entry_live(qi, front) {
                    earliest = Some(earliest.map_or(front.at, |e| e.min(front.at)));
                    break;
                }
                self.common[qi].queue.pop_front();
            }
        }
        let at = earliest?;
        let now = self.now();
        Some(Duration::from_nanos(at.saturating_sub(now)))
    }

    fn expire(&mut self, idx: u32) {
        // The timeout is already off its queue: clear the flag, then delete
        // the rest (I/O registration, activation) as libevent does.
        let rec = &mut self.recs[idx as usize];
        let st = rec.state & !state::TIMEOUT;
        rec.state = st;
        let signal = rec.events & Ev::SIGNAL.bits() as u8 != 0;
        self.count_decr(st);
        if st & (state::ACTIVE | state::INSERTED) != 0 || signal {
            self.del(idx);
        }
        self.activate(idx, Ev::TIMEOUT.bits() as u8, 1);
    }

    pub(crate) fn timeout_process(&mut self) {
        let now = self.now();
        while let Some(idx) = self.timers.pop_due(now) {
            // Records of expiring timers are scattered: start loading the
            // one a few places ahead while this one is handled.
            if let Some(ahead) = self.timers.upcoming(PREFETCH_AHEAD) {
                if let Some(rec) = self.recs.get(ahead as usize) {
                    sys::prefetch(rec);
                }
            }
            self.expire(idx);
        }
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                if front.at > now {
                    if self.common_entry_live(qi, front) {
                        break;
                    }
                    self.common[qi].queue.pop_front();
                    continue;
                }
                let entry = self.common[qi].queue.pop_front().expect("front exists");
                if self.common_entry_live(qi, &entry) {
                    self.expire(entry.slot);
                }
            }
        }
    }

    /// Re-arms a persistent event's period before its callback runs
    /// (libevent's `event_persist_closure`): relative to the deadline that
    /// expired, or to now when it ran for another reason.
    #[inline(always)]
    pub(crate) fn rearm_persist(&mut self, idx: u32) {
        // Most persistent events (I/O with no timeout) have no period.
        if self.recs[idx as usize].period != 0 {
            self.rearm_period(idx);
        }
    }

    #[inline(never)]
    fn rearm_period(&mut self, idx: u32) {
        let now = self.now();
        let rec = &self.recs[idx as usize];
        let delay = rec.period;
        let relative = if rec.res & Ev::TIMEOUT.bits() as u8 != 0 {
            rec.at
        } else {
            now
        };
        let mut run_at = relative.saturating_add(delay);
        if run_at < now {
            run_at = now.saturating_add(delay);
        }
        // As libevent's `event_persist_closure`, a full add: a timeout that
        // expired also deleted the event's I/O registration.
        if let Err(e) = self.add(idx, Some(When::At(run_at))) {
            self.warn(format_args!("cannot re-arm a persistent event: {e}"));
        }
    }

    /// Registers a common-timeout duration (or finds it).
    pub(crate) fn common_timeout(&mut self, nanos: u64) -> Result<u16> {
        if let Some(i) = self.common.iter().position(|q| q.nanos == nanos) {
            return Ok(i as u16);
        }
        if self.common.len() >= crate::timer::MAX_COMMON {
            return Err(Error::TooManyCommonTimeouts);
        }
        self.common.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
        self.common.push(CommonQueue {
            nanos,
            queue: VecDeque::new(),
        });
        Ok((self.common.len() - 1) as u16)
    }

    // --------------------------------------------------------------- fork

    pub(crate) fn reinit(&mut self) -> Result<()> {
        let mut backend = Backend::build(self.method, self.changelist, self.precise)?;
        // The internal fds are replaced: their records leave the old maps.
        let sig_rec = self.sig_rec;
        let notify_rec = self.notify_rec;
        for idx in [sig_rec, notify_rec] {
            if idx != NIL {
                self.del(idx);
                self.free_slot(idx);
            }
        }
        self.sig_rec = NIL;
        self.notify_rec = NIL;
        for (fd, entry) in self.fds.iter().enumerate() {
            if entry.reg != 0 {
                if let Err(e) =
                    backend.change(fd as RawFd, Ev::NONE, Ev::from_bits(entry.reg as u16))
                {
                    self.deferred.push((
                        Severity::Warn,
                        format!("event_reinit: cannot re-add fd {fd}: {e}"),
                    ));
                }
            }
        }
        self.backend = backend;
        if self.notify_fd >= 0 {
            sys::close(self.notify_fd);
            self.notify_fd = -1;
            self.make_notifiable()?;
        }
        if let Some((r, w)) = self.sig_pair.take() {
            sys::close(r);
            sys::close(w);
            self.ensure_sig_pair()?;
            self.retarget_signals();
        }
        Ok(())
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        let w = self.sig_pair.map_or(-1, |p| p.1);
        for (signo, entry) in self.sigs.iter_mut().enumerate() {
            if let Some(saved) = entry.saved.take() {
                sig::clear_target(signo as i32, w);
                sig::restore(signo as i32, &saved);
            }
        }
        if let Some((r, w)) = self.sig_pair.take() {
            sys::close(r);
            sys::close(w);
        }
        if self.notify_fd >= 0 {
            sys::close(self.notify_fd);
        }
    }
}

/// Spreads bases' generation counters far apart (golden-ratio steps), so
/// ids of different bases do not collide.
fn next_gen_base() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    NEXT.fetch_add(0x9e37_79b9, std::sync::atomic::Ordering::Relaxed)
}
