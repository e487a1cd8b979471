//! The engine: one base's locked state ([`Core`]) and the operations both
//! faces call on it. The Rust face ([`crate::Base`]) and the C face
//! (`oxevent-ffi`, through [`crate::__ffi`]) are thin layers over this.
//!
//! One lock (`sys::lock::BaseLock`) guards the whole state. It is released
//! while the backend waits and while each callback runs; an operation takes
//! it once. Messages made under it are delivered after it is released.
//! Other threads may add, delete and activate events at any time; they wake
//! a waiting loop through an eventfd, at most one wakeup outstanding at a
//! time (libevent's `is_notify_pending`).
//!
//! This module never calls user code: callbacks are handed to the face's
//! runner by the loop (`dispatch.rs`), with the lock released.

use std::os::fd::RawFd;
use std::time::Duration;

use crate::config::{BaseFlags, Config, LockBias};
use crate::core::{Core, Spec, When};
use crate::error::{Error, Result};
use crate::event::{kind, state, EventId, EventInfo, Pending, Record, NIL};
use crate::flags::Ev;
use crate::log::Severity;
use crate::sys::lock::{BaseLock, Cond, Deferring, LockGuard};
use crate::sys::{self, signal as sig, Backend, Features, Method};

impl Deferring for Core {
    #[inline]
    fn take_deferred(&mut self) -> Option<Vec<(Severity, String)>> {
        if self.deferred.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.deferred))
        }
    }
}

/// Loop flags of [`crate::Base::run`] (libevent's `EVLOOP_*`).
///
/// ```
/// use oxevent::{Base, LoopExit, LoopFlags};
///
/// let base = Base::<()>::new().unwrap();
/// // Nothing to wait for: a non-blocking turn reports an empty base…
/// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(), LoopExit::NoEvents);
/// // …unless the loop is told to run with no events.
/// let flags = LoopFlags::NONBLOCK | LoopFlags::NO_EXIT_ON_EMPTY;
/// assert_eq!(flags, LoopFlags(0x06));
/// assert_eq!(base.run(flags, &mut ()).unwrap(), LoopExit::Stopped);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopFlags(pub u32);

impl LoopFlags {
    /// Wait for events, run the active ones, then return (`EVLOOP_ONCE`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopFlags};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let soon = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// let late = base.timer(|n: &mut u32, _, _| *n += 100).unwrap();
    /// base.add(soon, Some(Duration::from_millis(1))).unwrap();
    /// base.add(late, Some(Duration::from_secs(60))).unwrap();
    /// let mut n = 0;
    /// base.run(LoopFlags::ONCE, &mut n).unwrap(); // waits for `soon`, runs it, returns
    /// assert_eq!(n, 1);
    /// assert_eq!(base.pending(late, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
    /// ```
    pub const ONCE: LoopFlags = LoopFlags(0x01);
    /// Do not wait: run what is ready now, then return (`EVLOOP_NONBLOCK`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopExit, LoopFlags};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let ready = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// let late = base.timer(|n: &mut u32, _, _| *n += 100).unwrap();
    /// base.activate(ready, Ev::TIMEOUT).unwrap();
    /// base.add(late, Some(Duration::from_secs(60))).unwrap();
    /// let mut n = 0;
    /// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut n).unwrap(), LoopExit::Stopped);
    /// assert_eq!(n, 1); // the active event ran; the 60 s timer was not waited for
    /// ```
    pub const NONBLOCK: LoopFlags = LoopFlags(0x02);
    /// Keep running with no events left (`EVLOOP_NO_EXIT_ON_EMPTY`).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let remote = base.remote();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let d = done.clone();
    /// // A break made before the loop starts is cleared by it, so the
    /// // stopper repeats it until the loop has returned.
    /// let stopper = std::thread::spawn(move || {
    ///     while !d.load(Ordering::Acquire) {
    ///         std::thread::sleep(Duration::from_millis(5));
    ///         remote.loopbreak(); // the only way out of an empty base's loop
    ///     }
    /// });
    /// let end = base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut ()).unwrap();
    /// done.store(true, Ordering::Release);
    /// stopper.join().unwrap();
    /// assert_eq!(end, LoopExit::Stopped);
    /// assert!(base.got_break());
    /// ```
    pub const NO_EXIT_ON_EMPTY: LoopFlags = LoopFlags(0x04);

    pub(crate) fn has(self, f: LoopFlags) -> bool {
        self.0 & f.0 != 0
    }
}

impl std::ops::BitOr for LoopFlags {
    type Output = LoopFlags;
    fn bitor(self, rhs: LoopFlags) -> LoopFlags {
        LoopFlags(self.0 | rhs.0)
    }
}

/// How a loop ended normally.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, LoopExit};
///
/// let base = Base::<()>::new().unwrap();
/// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
/// base.loopexit(Some(Duration::from_millis(1))).unwrap();
/// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::Stopped);
/// assert!(base.got_exit());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoopExit {
    /// Stopped by a flag, `loopexit` or `loopbreak` (libevent returns 0).
    Stopped,
    /// No events were left to wait for (libevent returns 1).
    NoEvents,
}

/// What [`crate::Base::num_events`] counts (`EVENT_BASE_COUNT_*`).
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Count, Ev};
///
/// let base = Base::<()>::new().unwrap();
/// let t = base.timer(|_, _, _| {}).unwrap();
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// base.activate(t, Ev::TIMEOUT).unwrap(); // now on the timer and active queues
/// assert_eq!(base.num_events(&[Count::Active]), 1);
/// assert_eq!(base.num_events(&[Count::Added]), 2);
/// base.add_virtual();
/// assert_eq!(base.num_events(&[Count::Active, Count::Virtual]), 2);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// Active events.
    Active,
    /// Virtual events (held by internal users such as DNS).
    Virtual,
    /// Pending or active events, counted once per queue they are on.
    Added,
}

/// How a delete treats a callback running in another thread.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, DelMode, Ev};
///
/// let base = Base::<()>::new().unwrap();
/// let t = base.timer(|_, _, _| unreachable!()).unwrap();
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// // No mode waits when the event's callback is not running in another thread.
/// base.del_with(t, DelMode::NoBlock).unwrap();
/// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// base.del_with(t, DelMode::Block).unwrap();
/// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DelMode {
    /// Wait for it unless the event has `FINALIZE` (`event_del`).
    Auto,
    /// Always wait for it (`event_del_block`).
    Block,
    /// Never wait (`event_del_noblock`).
    NoBlock,
}

/// A timeout as an event is given it.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev, Timeout};
///
/// type Log = Vec<&'static str>;
/// let base = Base::<Log>::new().unwrap();
/// let queue = base.init_common_timeout(Duration::from_millis(3)).unwrap();
/// let at = base.now_ns() + 2_000_000;
/// let plan = [
///     ("after", Timeout::After(Duration::from_millis(1))),
///     ("at", Timeout::At(at)),
///     ("common", Timeout::Common(queue)),
/// ];
/// for (name, timeout) in plan {
///     let t = base.timer(move |log: &mut Log, _, _| log.push(name)).unwrap();
///     base.add_with(t, Some(timeout)).unwrap();
///     assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
/// }
/// let mut log = Log::new();
/// base.dispatch(&mut log).unwrap();
/// log.sort();
/// assert_eq!(log, ["after", "at", "common"]);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// After this long.
    After(Duration),
    /// At this absolute monotonic time (nanoseconds).
    At(u64),
    /// On this common-timeout queue.
    Common(crate::CommonTimeout),
}

impl Timeout {
    #[inline]
    pub(crate) fn into_when(self) -> When {
        match self {
            Timeout::After(d) => When::After(duration_ns(d)),
            Timeout::At(t) => When::At(t),
            Timeout::Common(c) => When::Common(c.index),
        }
    }
}

#[inline]
pub(crate) fn duration_ns(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(d.subsec_nanos() as u64)
        .min(u64::MAX / 2)
}

/// One base's state, its lock, and the condition variable that deletes
/// from other threads wait on. Shared by a Rust [`crate::Base`] (and its
/// [`crate::Remote`]s) or owned by a C `struct event_base`.
pub struct Engine {
    pub(crate) core: BaseLock<Core>,
    pub(crate) cond: Cond,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("method", &self.method())
            .finish_non_exhaustive()
    }
}

fn env_enabled(check_env: bool, name: &str) -> bool {
    check_env && std::env::var_os(name).is_some()
}

/// The backends libevent would consider, in its order of preference.
///
/// ```
/// let methods = oxevent::supported_methods();
/// assert!(methods.contains(&"poll") && methods.contains(&"select"));
/// ```
pub fn supported_methods() -> Vec<&'static str> {
    Method::ALL.iter().map(|m| m.name()).collect()
}

impl Engine {
    /// Builds a base's engine from `cfg`, choosing the backend as libevent
    /// does.
    pub fn new(cfg: &Config) -> Result<Engine> {
        let check_env = !cfg.flags.contains(BaseFlags::IGNORE_ENV) && !sys::is_setugid();
        let changelist = cfg.flags.contains(BaseFlags::EPOLL_USE_CHANGELIST)
            || env_enabled(check_env, "EVENT_EPOLL_USE_CHANGELIST");
        let precise = cfg.flags.contains(BaseFlags::PRECISE_TIMER)
            || env_enabled(check_env, "EVENT_PRECISE_TIMER");
        let mut chosen = None;
        for m in Method::ALL {
            if cfg.avoid.iter().any(|a| a.eq_ignore_ascii_case(m.name())) {
                continue;
            }
            if !m.features().contains(cfg.require) {
                continue;
            }
            if env_enabled(check_env, m.env_disable()) {
                continue;
            }
            match Backend::build(m, changelist, precise) {
                Ok(b) => {
                    chosen = Some((m, b));
                    break;
                }
                Err(e) => crate::log::warn(format_args!("{}: cannot initialise: {e}", m.name())),
            }
        }
        let (method, backend) = chosen.ok_or(Error::NoBackend)?;
        if env_enabled(check_env, "EVENT_SHOW_METHOD") {
            crate::log::log(
                Severity::Msg,
                format_args!("libevent using: {}", method.name()),
            );
        }
        let mut core = Core::new(backend, method, cfg.flags);
        core.changelist = changelist;
        core.precise = precise;
        core.coarse = !precise && sys::coarse_clock_usable();
        core.accept_negative_fd = cfg.accept_negative_fd;
        core.max_dispatch = cfg.max_dispatch_interval.map(duration_ns);
        (core.max_callbacks, core.limit_after_prio) =
            match (cfg.max_callbacks, cfg.max_dispatch_interval) {
                (None, None) => (usize::MAX, usize::MAX),
                (cb, _) => (
                    cb.map_or(usize::MAX, |c| c as usize),
                    cfg.limit_after_prio as usize,
                ),
            };
        if cfg.notifiable && !cfg.flags.contains(BaseFlags::NOLOCK) {
            core.make_notifiable()?;
        }
        core.refresh_wall_offset();
        let core = match &cfg.external_lock {
            Some(outer) => BaseLock::with_outer(core, outer.make()),
            None => {
                let biased = match cfg.lock_bias {
                    LockBias::Off => false,
                    LockBias::IfSupported => sys::process_barrier_supported(),
                    LockBias::Assume => true,
                };
                if biased {
                    BaseLock::new_biased(core)
                } else {
                    BaseLock::new(core)
                }
            }
        };
        Ok(Engine {
            core,
            cond: Cond::new(),
        })
    }

    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, Core> {
        self.core.lock()
    }

    /// Wakes the loop if it waits in another thread and no wakeup is
    /// outstanding.
    #[inline]
    pub(crate) fn notify(&self, core: &mut Core) {
        if core.running_loop && !core.notify_pending && core.loop_thread != sys::thread_pointer() {
            self.notify_slow(core);
        }
    }

    #[inline(never)]
    fn notify_slow(&self, core: &mut Core) {
        if core.notify_fd >= 0 {
            core.notify_pending = true;
            core.wakeups += 1;
            sys::eventfd_signal(core.notify_fd);
        }
    }

    /// How many cross-thread wakeups this base has written (at most one is
    /// outstanding at a time, however many activations arrive meanwhile).
    #[doc(hidden)]
    pub fn wakeups_written(&self) -> u64 {
        self.lock().wakeups
    }

    // ------------------------------------------------------------ creation

    /// Creates a record (not pending).
    pub fn create(&self, spec: &Spec) -> Result<EventId> {
        check_spec(spec.fd, spec.events)?;
        self.lock().alloc(spec)
    }

    /// Creates a transient record and makes it pending.
    pub fn create_pending(&self, spec: &Spec, when: Option<When>) -> Result<EventId> {
        check_spec(spec.fd, spec.events)?;
        let mut core = self.lock();
        let id = core.alloc(spec)?;
        if let Err(e) = core.add(id.idx, when) {
            core.free_slot(id.idx);
            return Err(e);
        }
        self.notify(&mut core);
        Ok(id)
    }

    /// `event_base_once`: a transient record, pending (or active at once
    /// for a timer with no or zero timeout).
    pub fn once(&self, spec: &Spec, timeout: Option<Timeout>) -> Result<EventId> {
        let events = spec.events;
        if events.intersects(Ev::SIGNAL | Ev::PERSIST) {
            return Err(Error::BadFlags(
                "once events cannot be signals or persistent",
            ));
        }
        let io = events & Ev::IO;
        let mut spec = *spec;
        let immediate = if !io.is_empty() {
            spec.events = io;
            false
        } else if events.contains(Ev::TIMEOUT) {
            spec.fd = -1;
            spec.events = Ev::NONE;
            match timeout {
                None => true,
                Some(Timeout::After(d)) => d.is_zero(),
                _ => false,
            }
        } else {
            return Err(Error::BadFlags("once needs READ, WRITE, CLOSED or TIMEOUT"));
        };
        spec.transient = true;
        let mut core = self.lock();
        let id = core.alloc(&spec)?;
        if immediate {
            core.activate(id.idx, Ev::TIMEOUT.bits() as u8, 1);
        } else if let Err(e) = core.add(id.idx, timeout.map(Timeout::into_when)) {
            core.free_slot(id.idx);
            return Err(e);
        }
        self.notify(&mut core);
        Ok(id)
    }

    // ----------------------------------------------------- by id (Rust)

    /// Makes `id` pending (`event_add`).
    pub fn add(&self, id: EventId, when: Option<When>) -> Result<()> {
        let mut core = self.lock();
        crate::log::debug_log_core!(core, "event_add: event {id:?}, timeout {when:?}");
        core.rec(id)?;
        core.add(id.idx, when)?;
        self.notify(&mut core);
        Ok(())
    }

    /// Deletes `id`; waits for its running callback as `mode` says. Returns
    /// whether the record was freed (a transient one going idle).
    pub fn del(&self, id: EventId, mode: DelMode) -> Result<bool> {
        let core = self.lock();
        core.rec(id)?;
        Ok(self.del_locked(core, id, mode))
    }

    #[inline(always)]
    fn del_locked<'a>(&'a self, mut core: LockGuard<'a, Core>, id: EventId, mode: DelMode) -> bool {
        let events = core.recs[id.idx as usize].events;
        core.del(id.idx);
        self.notify(&mut core);
        if core.current == Some(id) {
            let wait = match mode {
                DelMode::NoBlock => false,
                DelMode::Block => true,
                DelMode::Auto => events & Ev::FINALIZE.bits() as u8 == 0,
            };
            core = self.wait_not_running(core, id, wait);
        }
        core.release_if_idle(id.idx)
    }

    /// Waits until `id`'s callback no longer runs in another thread.
    pub(crate) fn wait_not_running<'a>(
        &'a self,
        mut core: LockGuard<'a, Core>,
        id: EventId,
        wait: bool,
    ) -> LockGuard<'a, Core> {
        if !wait {
            return core;
        }
        while core.current == Some(id)
            && core.running_loop
            && core.loop_thread != sys::thread_pointer()
        {
            core.current_waiters += 1;
            core = self.cond.wait(core);
        }
        core
    }

    /// Frees `id` (deleting it first, waiting for its running callback).
    pub fn free(&self, id: EventId) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.del(id.idx);
        self.notify(&mut core);
        core = self.wait_not_running(core, id, true);
        if core.rec(id).is_ok() {
            core.free_slot(id.idx);
        }
        Ok(())
    }

    /// Makes `id` active (`event_active`).
    pub fn activate(&self, id: EventId, what: Ev, ncalls: u16) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.activate(id.idx, what.bits() as u8, ncalls);
        self.notify(&mut core);
        Ok(())
    }

    /// Removes only the timeout (`event_remove_timer`): a persistent event's
    /// period goes with it, so the timeout never comes back.
    pub fn remove_timer(&self, id: EventId) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        remove_timer_locked(&mut core, id.idx);
        Ok(())
    }

    /// Which of `mask` are pending or active for `id`, with the deadline.
    pub fn pending(&self, id: EventId, mask: Ev) -> Result<Pending> {
        let mut core = self.lock();
        let rec = core.rec(id)?;
        let (what, deadline) = pending_of(rec, mask);
        let remaining = match deadline {
            Some(at) => {
                let now = core.now();
                Some(Duration::from_nanos(at.saturating_sub(now)))
            }
            None => None,
        };
        Ok(Pending {
            what,
            remaining,
            deadline_ns: deadline,
        })
    }

    /// A snapshot of `id`.
    pub fn info(&self, id: EventId) -> Result<EventInfo> {
        let mut core = self.lock();
        let now = core.now();
        let rec = core.rec(id)?;
        Ok(info_of(id, rec, now))
    }

    /// `event_priority_set`.
    pub fn set_priority(&self, id: EventId, priority: u8) -> Result<()> {
        let mut core = self.lock();
        let n = core.queues.len();
        let rec = core.rec_mut(id)?;
        set_priority_of(rec, priority, n)
    }

    /// Replaces `id`'s callback words with a finalizer's and queues it
    /// (`event_finalize`); the record is freed after it runs.
    pub fn finalize(&self, id: EventId, cb: usize, arg: usize, free_struct: bool) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        finalize_locked(&mut core, id.idx, cb, arg, free_struct);
        self.notify(&mut core);
        Ok(())
    }

    // ------------------------------------------------ by struct (the C face)

    /// The C face's `event_add`/`event_active`/`event_finalize` entry: finds
    /// the live record `prev` names for the struct at `spec.key`, or creates
    /// a transient one from `spec`, then applies `op`, in one lock.
    #[inline(always)]
    pub fn keyed(&self, prev: Option<EventId>, spec: &Spec, op: KeyedOp) -> Result<EventId> {
        let mut core = self.lock();
        crate::log::debug_log_core!(
            core,
            "event_{}: event {:#x} (fd {}), {:?}",
            match op {
                KeyedOp::Add(_) => "add",
                KeyedOp::Activate(..) => "active",
                KeyedOp::Finalize { .. } => "finalize",
            },
            spec.key,
            spec.fd,
            spec.events
        );
        let found = prev.filter(|p| core.is_keyed(*p, spec.key));
        let (id, created) = match found {
            Some(id) => {
                let rec = &mut core.recs[id.idx as usize];
                if let KeyedOp::Activate(what, _) = op {
                    // Already active (and not a signal, whose count
                    // matters): libevent ORs the result in and returns.
                    if !rec.cached
                        && rec.state & (state::ACTIVE | state::FINALIZING | state::FREE)
                            == state::ACTIVE
                        && rec.events & Ev::SIGNAL.bits() as u8 == 0
                    {
                        rec.res |= what.bits() as u8;
                        return Ok(id);
                    }
                }
                if rec.cached {
                    // Kept idle since its last run: it takes the struct's
                    // current fields, as a new record would.
                    check_spec(spec.fd, spec.events)?;
                    core.uncache(id.idx);
                    let rec = core.r(id.idx);
                    rec.cb = spec.cb;
                    rec.arg = spec.arg;
                    rec.fd = spec.fd;
                    rec.events = spec.events.bits() as u8;
                    rec.pri = spec.pri.unwrap_or(rec.pri);
                    let period = spec.period;
                    core.set_period(id.idx, period);
                }
                (id, false)
            }
            None => {
                check_spec(spec.fd, spec.events)?;
                (core.alloc(spec)?, true)
            }
        };
        let r = match op {
            KeyedOp::Add(when) => core.add(id.idx, when),
            KeyedOp::Activate(what, n) => {
                core.activate(id.idx, what.bits() as u8, n);
                Ok(())
            }
            KeyedOp::Finalize { cb, arg, free } => {
                finalize_locked(&mut core, id.idx, cb, arg, free);
                Ok(())
            }
        };
        match r {
            Ok(()) => {
                self.notify(&mut core);
                Ok(id)
            }
            Err(e) => {
                if created {
                    core.free_slot(id.idx);
                } else {
                    core.release_if_idle(id.idx);
                }
                Err(e)
            }
        }
    }

    /// The C face's `event_del`: deletes `id` only if it is live and
    /// belongs to `key`.
    #[inline(always)]
    pub fn keyed_del(&self, id: EventId, key: usize, mode: DelMode) {
        let mut core = self.lock();
        if core.is_keyed(id, key) {
            crate::log::debug_log_core!(core, "event_del: event {key:#x}");
            self.del_locked(core, id, mode);
        }
    }

    /// Deletes and frees the record of the struct at `key` (the program
    /// re-assigns that memory while it is pending), found by address.
    /// Returns whether there was one.
    #[inline(always)]
    pub fn forget_key(&self, key: usize) -> bool {
        let mut core = self.lock();
        if core.keys.is_empty() {
            return false;
        }
        let mut busy = false;
        while let Some(idx) = core.keys.find(key, &core.recs) {
            let rec = &core.recs[idx as usize];
            let id = EventId { idx, gen: rec.gen };
            busy |= rec.state & state::BUSY != 0;
            core.del(idx);
            if core.current == Some(id) {
                // Its callback runs now: it can no longer be found by its
                // struct, and is freed when the callback returns.
                core.unkey(idx);
                core.r(idx).state |= state::TRANSIENT;
            } else {
                core.free_slot(idx);
            }
        }
        if busy {
            self.notify(&mut core);
        }
        busy
    }

    /// Frees the record of the struct at `key` if it is idle (the struct is
    /// about to be freed: `event_free`).
    pub fn keyed_free_idle(&self, id: EventId, key: usize) {
        let mut core = self.lock();
        if core.is_keyed(id, key)
            && core.recs[id.idx as usize].state & state::BUSY == 0
            && core.current != Some(id)
        {
            core.free_slot(id.idx);
        }
    }

    /// Whether `id` is the pending or active record of the struct at `key`.
    pub fn keyed_busy(&self, id: EventId, key: usize) -> bool {
        let core = self.lock();
        core.is_keyed(id, key) && core.recs[id.idx as usize].state & state::BUSY != 0
    }

    /// `event_pending` for the struct at `key`: the flags of `mask` that
    /// are pending or active and the deadline, or `None` if `id` is not
    /// its live record.
    #[inline(always)]
    pub fn keyed_pending(&self, id: EventId, key: usize, mask: Ev) -> Option<(Ev, Option<u64>)> {
        let core = self.lock();
        if !core.is_keyed(id, key) {
            return None;
        }
        Some(pending_of(&core.recs[id.idx as usize], mask))
    }

    /// `event_remove_timer` for the struct at `key`.
    pub fn keyed_remove_timer(&self, id: EventId, key: usize) {
        let mut core = self.lock();
        if core.is_keyed(id, key) {
            remove_timer_locked(&mut core, id.idx);
        }
    }

    /// `event_priority_set` for the struct at `key` (nothing if it has no
    /// live record).
    pub fn keyed_set_priority(&self, id: EventId, key: usize, priority: u8) -> Result<()> {
        let mut core = self.lock();
        if !core.is_keyed(id, key) {
            return Ok(());
        }
        let n = core.queues.len();
        set_priority_of(core.r(id.idx), priority, n)
    }

    /// Whether `id` is the live record of the struct at `key`.
    pub fn is_keyed(&self, id: EventId, key: usize) -> bool {
        self.lock().is_keyed(id, key)
    }

    /// Runs nothing: takes the records being finalized (callback words,
    /// key, whether to free the struct) and frees them; what
    /// `event_base_free` does before tearing a base down.
    pub fn take_finalizing(&self) -> Vec<(EventId, RawFd, usize, usize, usize, bool)> {
        let mut core = self.lock();
        let mut out = Vec::new();
        for i in 0..core.recs.len() as u32 {
            let r = &core.recs[i as usize];
            if r.is_live() && r.state & state::FINALIZING != 0 {
                let item = (
                    EventId { idx: i, gen: r.gen },
                    r.fd,
                    r.key,
                    r.cb,
                    r.arg,
                    r.state & state::FIN_FREE != 0,
                );
                out.push(item);
                core.del(i);
                core.free_slot(i);
            }
        }
        out
    }

    // ---------------------------------------------------------- the base

    /// The backend's name.
    pub fn method(&self) -> &'static str {
        self.lock().backend.name()
    }

    /// The backend's features.
    pub fn features(&self) -> Features {
        self.lock().backend.features()
    }

    /// Lets other threads wake this base's loop (`evthread_make_base_notifiable`).
    pub fn make_notifiable(&self) -> Result<()> {
        self.lock().make_notifiable()
    }

    /// `event_base_priority_init`.
    pub fn priority_init(&self, n: u8) -> Result<()> {
        let mut core = self.lock();
        if core.n_active > 0 || n == 0 {
            return Err(Error::BadPriority(n));
        }
        core.queues = vec![
            crate::core::Queue {
                head: NIL,
                tail: NIL
            };
            n as usize
        ];
        Ok(())
    }

    /// The number of priorities.
    pub fn npriorities(&self) -> u8 {
        self.lock().queues.len() as u8
    }

    /// `event_base_init_common_timeout`.
    pub fn init_common_timeout(&self, d: Duration) -> Result<crate::CommonTimeout> {
        let nanos = duration_ns(d);
        let index = self.lock().common_timeout(nanos)?;
        Ok(crate::CommonTimeout { index, nanos })
    }

    /// The common timeout with this queue index, if registered.
    pub fn common_timeout(&self, index: u16) -> Option<crate::CommonTimeout> {
        let core = self.lock();
        core.common
            .get(index as usize)
            .map(|q| crate::CommonTimeout {
                index,
                nanos: q.nanos,
            })
    }

    /// `event_base_loopexit`.
    pub fn loopexit(&self, delay: Option<Duration>) -> Result<()> {
        let mut core = self.lock();
        let spec = Spec {
            fd: -1,
            events: Ev::NONE,
            pri: None,
            key: 0,
            cb: 0,
            arg: 0,
            kind: kind::EXIT,
            transient: true,
            internal: false,
            period: None,
        };
        let id = core.alloc(&spec)?;
        match delay {
            Some(d) if !d.is_zero() => {
                if let Err(e) = core.add(id.idx, Some(When::After(duration_ns(d)))) {
                    core.free_slot(id.idx);
                    return Err(e);
                }
            }
            _ => core.activate(id.idx, Ev::TIMEOUT.bits() as u8, 1),
        }
        self.notify(&mut core);
        Ok(())
    }

    /// `event_base_loopbreak`.
    pub fn loopbreak(&self) {
        let mut core = self.lock();
        core.event_break = true;
        self.notify(&mut core);
    }

    /// `event_base_loopcontinue`.
    pub fn loopcontinue(&self) {
        let mut core = self.lock();
        core.event_continue = true;
        self.notify(&mut core);
    }

    /// Whether the last loop ended through `loopexit`.
    pub fn got_exit(&self) -> bool {
        self.lock().event_gotterm
    }

    /// Whether the last loop ended through `loopbreak`.
    pub fn got_break(&self) -> bool {
        self.lock().event_break
    }

    /// The record whose callback runs now and its key, from the loop's
    /// thread only.
    pub fn running_event(&self) -> Option<(EventId, usize)> {
        let core = self.lock();
        if core.running_loop && core.loop_thread == sys::thread_pointer() {
            let id = core.current?;
            Some((id, core.recs[id.idx as usize].key))
        } else {
            None
        }
    }

    /// How many events of the kinds in `what` the base holds (`event_base_get_num_events`).
    pub fn num_events(&self, what: &[Count]) -> usize {
        let core = self.lock();
        what.iter()
            .map(|c| match c {
                Count::Active => core.n_active,
                Count::Virtual => core.virtual_count,
                Count::Added => core.event_count,
            })
            .sum()
    }

    /// The most events of those kinds held at once; `clear` resets them (`event_base_get_max_events`).
    pub fn max_events(&self, what: &[Count], clear: bool) -> usize {
        let mut core = self.lock();
        let mut n = 0;
        for c in what {
            match c {
                Count::Active => {
                    n += core.n_active_max;
                    if clear {
                        core.n_active_max = 0;
                    }
                }
                Count::Virtual => {
                    n += core.virtual_max;
                    if clear {
                        core.virtual_max = 0;
                    }
                }
                Count::Added => {
                    n += core.event_count_max;
                    if clear {
                        core.event_count_max = 0;
                    }
                }
            }
        }
        n
    }

    /// Holds the loop open with no events (a virtual event).
    pub fn add_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count += 1;
        core.virtual_max = core.virtual_max.max(core.virtual_count);
    }

    /// Releases one virtual event.
    pub fn del_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count = core.virtual_count.saturating_sub(1);
        self.notify(&mut core);
    }

    /// The monotonic time in nanoseconds, cached per loop turn.
    pub fn now_ns(&self) -> u64 {
        self.lock().now()
    }

    /// Wall-clock time from the loop's cached time (`event_base_gettimeofday_cached`).
    pub fn gettimeofday_cached(&self) -> Duration {
        let mut core = self.lock();
        if core.time_cache == 0 {
            let ns = sys::realtime_ns().max(0) as u128;
            return Duration::from_nanos(ns as u64);
        }
        let ns = core.time_cache as i128 + core.wall_offset_now();
        Duration::from_nanos(ns.max(0) as u64)
    }

    /// Converts a monotonic deadline into wall-clock time since the epoch.
    pub fn monotonic_to_wall(&self, mono_ns: u64) -> Duration {
        let mut core = self.lock();
        let ns = mono_ns as i128 + core.wall_offset_now();
        Duration::from_nanos(ns.max(0) as u64)
    }

    /// Refreshes the cached time if the loop runs (`event_base_update_cache_time`).
    pub fn update_cache_time(&self) {
        let mut core = self.lock();
        if core.running_loop {
            core.update_cache();
        }
    }

    /// Every user event, in libevent's order: inserted, then timers only,
    /// then active only.
    pub fn events(&self) -> Vec<EventInfo> {
        let mut core = self.lock();
        let now = core.now();
        let mut out = Vec::new();
        let live = |r: &Record| r.is_live() && r.kind != kind::SIGNALS && r.kind != kind::WAKEUP;
        let passes: [fn(u8) -> bool; 3] = [
            |st| st & state::INSERTED != 0,
            |st| st & (state::INSERTED | state::TIMEOUT) == state::TIMEOUT,
            |st| st & state::BUSY == state::ACTIVE,
        ];
        for pass in passes {
            for (i, rec) in core.recs.iter().enumerate() {
                if live(rec) && pass(rec.state) && rec.kind != kind::EXIT {
                    let id = EventId {
                        idx: i as u32,
                        gen: rec.gen,
                    };
                    out.push(info_of(id, rec, now));
                }
            }
        }
        out
    }

    /// `event_base_active_by_fd`.
    pub fn active_by_fd(&self, fd: RawFd, what: Ev) {
        let mut core = self.lock();
        if !what.contains(Ev::TIMEOUT) {
            core.activate_fd(fd, what & Ev::IO);
        } else {
            let ids: Vec<u32> = core
                .recs
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.is_live()
                        && r.kind == kind::USER
                        && r.fd == fd
                        && r.state & state::TIMEOUT != 0
                })
                .map(|(i, _)| i as u32)
                .collect();
            for idx in ids {
                core.activate(idx, Ev::TIMEOUT.bits() as u8, 1);
            }
        }
        self.notify(&mut core);
    }

    /// `event_base_active_by_signal`.
    pub fn active_by_signal(&self, signal: i32) {
        let mut core = self.lock();
        if sig::valid(signal) {
            core.activate_signal(signal, 1);
        }
        self.notify(&mut core);
    }

    /// `event_reinit`.
    pub fn reinit(&self) -> Result<()> {
        self.lock().reinit()
    }
}

/// What [`Engine::keyed`] does to the record.
#[derive(Copy, Clone, Debug)]
pub enum KeyedOp {
    /// Make it pending (`event_add`).
    Add(Option<When>),
    /// Make it active with these results and signal count (`event_active`).
    Activate(Ev, u16),
    /// Delete it and run this finalizer once, then free it.
    Finalize {
        /// The finalizer's callback word.
        cb: usize,
        /// Its argument word.
        arg: usize,
        /// Free the program's struct after it (`event_free_finalize`).
        free: bool,
    },
}

fn remove_timer_locked(core: &mut Core, idx: u32) {
    let rec = core.r(idx);
    // libevent clears the persist period with the timeout.
    rec.period = 0;
    rec.pcommon = 0;
    if rec.state & state::TIMEOUT != 0 {
        core.remove_timeout(idx);
    }
    core.release_if_idle(idx);
}

fn finalize_locked(core: &mut Core, idx: u32, cb: usize, arg: usize, free_struct: bool) {
    core.del(idx);
    let rec = core.r(idx);
    rec.cb = cb;
    rec.arg = arg;
    if free_struct {
        rec.state |= state::FIN_FREE;
    }
    core.activate(idx, Ev::FINALIZE.bits() as u8, 1);
    let rec = core.r(idx);
    // A finalized event is freed after its finalizer, whatever it was.
    rec.state |= state::FINALIZING | state::TRANSIENT;
}

fn set_priority_of(rec: &mut Record, priority: u8, nqueues: usize) -> Result<()> {
    if rec.state & state::ACTIVE != 0 {
        return Err(Error::EventActive);
    }
    if usize::from(priority) >= nqueues {
        return Err(Error::BadPriority(priority));
    }
    rec.pri = priority;
    Ok(())
}

/// The flags of `mask` pending or active for `rec`, and its deadline when
/// `TIMEOUT` is among them.
#[inline]
fn pending_of(rec: &Record, mask: Ev) -> (Ev, Option<u64>) {
    let st = rec.state;
    let mut what = 0u8;
    if st & state::INSERTED != 0 {
        what |= rec.events & (Ev::IO.bits() as u8 | Ev::SIGNAL.bits() as u8);
    }
    if st & state::ACTIVE != 0 {
        what |= rec.res;
    }
    if st & state::TIMEOUT != 0 {
        what |= Ev::TIMEOUT.bits() as u8;
    }
    let keep = (Ev::TIMEOUT | Ev::IO | Ev::SIGNAL).bits() as u8;
    let what = what & mask.bits() as u8 & keep;
    let deadline = (what & Ev::TIMEOUT.bits() as u8 != 0).then_some(rec.at);
    (Ev::from_bits(what as u16), deadline)
}

pub(crate) fn check_spec(fd: RawFd, ev: Ev) -> Result<()> {
    if ev.unknown() != 0 {
        return Err(Error::BadFlags("unknown event flags"));
    }
    if ev.contains(Ev::SIGNAL) {
        if ev.intersects(Ev::IO) {
            return Err(Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        if !sig::valid(fd) {
            return Err(Error::BadSignal(fd));
        }
    }
    Ok(())
}

pub(crate) fn info_of(id: EventId, rec: &Record, now: u64) -> EventInfo {
    EventInfo {
        id,
        key: rec.key,
        fd: rec.fd,
        events: rec.events(),
        priority: rec.pri,
        inserted: rec.state & state::INSERTED != 0,
        timeout: (rec.state & state::TIMEOUT != 0)
            .then(|| Duration::from_nanos(rec.at.saturating_sub(now))),
        active: (rec.state & state::ACTIVE != 0).then_some(rec.res()),
        internal: rec.state & state::INTERNAL != 0,
    }
}
