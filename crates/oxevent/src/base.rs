//! The event base's public API: creation, events, timers, loop control.
//! Its state machine is in `core.rs`, its loop in `dispatch.rs`.
//!
//! One `Mutex` guards a base's whole state ([`Core`]). It is released while
//! the backend waits and while each callback runs (engine rule 2: take the
//! handler out, unlock, call, re-lock, put it back only if the record is still
//! the same one). Other threads may add, delete and activate events at any
//! time; they wake a waiting loop through an eventfd.
//!
//! The loop follows libevent's `event_base_loop` step for step: compute the
//! wait from the earliest timer, wait, cache the time, activate ready I/O and
//! signals, expire timers, then run the highest non-empty priority queue.
//!
//! This module must never call user code with the lock held.

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::{BaseFlags, Config};
use crate::core::{Core, KeyMap, SigEntry};
use crate::error::{Error, Result};
use crate::event::{state, Callback, EventId, EventInfo, Fired, Handler, Pending, Record, When};
use crate::flags::Ev;
use crate::sys::{self, signal as sig, Backend, Features, Method};
use crate::timer::{CommonQueue, CommonTimeout, TimerHeap, MAX_COMMON};

/// Loop flags of [`RawBase::run`] (libevent's `EVLOOP_*`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopFlags(pub u32);

impl LoopFlags {
    /// Wait for events, run the active ones, then return (`EVLOOP_ONCE`).
    pub const ONCE: LoopFlags = LoopFlags(0x01);
    /// Do not wait: run what is ready now, then return (`EVLOOP_NONBLOCK`).
    pub const NONBLOCK: LoopFlags = LoopFlags(0x02);
    /// Keep running with no events left (`EVLOOP_NO_EXIT_ON_EMPTY`).
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
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoopExit {
    /// Stopped by a flag, `loopexit` or `loopbreak` (libevent returns 0).
    Stopped,
    /// No events were left to wait for (libevent returns 1).
    NoEvents,
}

/// What [`RawBase::num_events`] counts (`EVENT_BASE_COUNT_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// Active events.
    Active,
    /// Virtual events (held by internal users such as DNS).
    Virtual,
    /// Pending or active events, counted once per queue they are on.
    Added,
}

/// How [`RawBase::del_with`] treats a callback running in another thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DelMode {
    /// Wait for it unless the event has `FINALIZE` (`event_del`).
    Auto,
    /// Always wait for it (`event_del_block`).
    Block,
    /// Never wait (`event_del_noblock`).
    NoBlock,
}

/// The description of an event to create.
#[derive(Copy, Clone, Debug)]
pub struct EventSpec {
    /// Descriptor, signal number, or -1.
    pub fd: RawFd,
    /// What to wait for.
    pub events: Ev,
    /// Priority (clamped to the base's range when activated).
    pub priority: Option<u8>,
}

pub(crate) struct Shared<H> {
    pub(crate) core: Mutex<Core<H>>,
    pub(crate) cond: Condvar,
}

/// An event base, generic over what runs when an event fires.
///
/// Rust programs use its alias [`crate::Base`] (closures over `&mut D`); the
/// C face uses it with function pointers. Cloning gives another handle to the
/// same base; it is `Send + Sync`, so another thread may add, delete and
/// activate events while the loop waits.
pub struct RawBase<H: Handler> {
    pub(crate) shared: Arc<Shared<H>>,
}

impl<H: Handler> Clone for RawBase<H> {
    fn clone(&self) -> Self {
        RawBase {
            shared: self.shared.clone(),
        }
    }
}

impl<H: Handler> std::fmt::Debug for RawBase<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawBase")
            .field("method", &self.method())
            .finish()
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

impl<H: Handler> RawBase<H> {
    /// A base with the default configuration.
    pub fn new() -> Result<RawBase<H>> {
        RawBase::with_config(&Config::new())
    }

    /// A base built from `cfg`, choosing the backend as libevent does.
    pub fn with_config(cfg: &Config) -> Result<RawBase<H>> {
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
            match m.build(changelist, precise) {
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
                crate::log::Severity::Msg,
                format_args!("libevent using: {}", method.name()),
            );
        }
        let backend: Arc<dyn Backend> = Arc::from(backend);
        let notify_fd = if cfg.notifiable && !cfg.flags.contains(BaseFlags::NOLOCK) {
            let fd = sys::eventfd()?;
            if let Err(e) = backend.change(fd, Ev::NONE, Ev::READ) {
                sys::close(fd);
                return Err(e.into());
            }
            fd
        } else {
            -1
        };
        let (max_callbacks, limit_after_prio) = match (cfg.max_callbacks, cfg.max_dispatch_interval)
        {
            (None, None) => (usize::MAX, usize::MAX),
            (cb, _) => (
                cb.map_or(usize::MAX, |c| c as usize),
                cfg.limit_after_prio as usize,
            ),
        };
        let core = Core {
            backend,
            method,
            changelist,
            precise,
            flags: cfg.flags,
            coarse: !precise && sys::coarse_clock_usable(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            keys: KeyMap::default(),
            pending_keys: Vec::new(),
            live_keyed: 0,
            fds: Vec::new(),
            sigs: (0..sig::NSIG)
                .map(|_| SigEntry {
                    events: Vec::new(),
                    saved: None,
                })
                .collect(),
            sig_pair: None,
            notify_fd,
            heap: TimerHeap::default(),
            common: Vec::new(),
            active: vec![VecDeque::new()],
            seq: 0,
            n_active: 0,
            n_active_max: 0,
            event_count: 0,
            event_count_max: 0,
            virtual_count: 0,
            virtual_max: 0,
            time_cache: 0,
            wall_offset: 0,
            wall_offset_at: 0,
            running_loop: false,
            loop_thread: 0,
            event_break: false,
            event_gotterm: false,
            event_continue: false,
            running_priority: -1,
            current: None,
            current_key: 0,
            current_waiters: 0,
            max_dispatch: cfg.max_dispatch_interval.map(|d| d.as_nanos() as u64),
            max_callbacks,
            limit_after_prio,
            io_buf: Vec::new(),
        };
        let base = RawBase {
            shared: Arc::new(Shared {
                core: Mutex::new(core),
                cond: Condvar::new(),
            }),
        };
        base.lock().refresh_wall_offset();
        Ok(base)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Core<H>> {
        self.shared.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether two handles name the same base.
    pub fn same_base(&self, other: &RawBase<H>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// A number identifying this base for its lifetime (its address).
    pub fn serial(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// The backend's name: `"epoll"`, `"poll"` or `"select"`.
    pub fn method(&self) -> &'static str {
        self.lock().backend.name()
    }

    /// The backend's features.
    pub fn features(&self) -> Features {
        self.lock().backend.features()
    }

    /// Creates an event (not yet pending). `key` is the C face's struct
    /// address (0 from Rust); a `transient` event is freed whenever it is
    /// neither pending nor active.
    pub fn create(
        &self,
        spec: EventSpec,
        handler: H,
        key: usize,
        transient: bool,
    ) -> Result<EventId> {
        check_spec(spec)?;
        let mut core = self.lock();
        Ok(core.alloc(spec, Callback::User(handler), key, transient))
    }

    /// Creates a transient event and makes it pending in one step (the C
    /// face's `event_add` on a struct without a live record).
    pub fn create_pending(
        &self,
        spec: EventSpec,
        handler: H,
        key: usize,
        timeout: Option<Timeout>,
    ) -> Result<EventId> {
        check_spec(spec)?;
        let mut core = self.lock();
        let id = core.alloc(spec, Callback::User(handler), key, true);
        if let Err(e) = core.add_nolock(id.idx, timeout.map(Timeout::into_when)) {
            core.free_slot(id.idx);
            return Err(e);
        }
        self.notify(&core);
        Ok(id)
    }

    /// The C face's entry point for a caller-owned `struct event` at address
    /// `key`: finds its live record (`prev`, checked against `key`) or
    /// creates a transient one from `spec`/`handler`, then applies `op`, all
    /// under one lock. Returns the record's id.
    pub fn keyed(
        &self,
        prev: Option<EventId>,
        key: usize,
        spec: EventSpec,
        handler: H,
        op: KeyedOp<H>,
    ) -> Result<EventId> {
        check_spec(spec)?;
        crate::log::debug_log!(
            "event_{}: key {key:#x} (fd {}), {:?}",
            match op {
                KeyedOp::Add(_) => "add",
                KeyedOp::Activate(..) => "active",
                KeyedOp::Finalize(_) => "finalize",
            },
            spec.fd,
            spec.events
        );
        let mut core = self.lock();
        // The struct's own handle is the fast path; a struct without a live
        // handle gets a new record (re-assignment already dropped any old one).
        let found = match prev {
            Some(p) if core.rec(p).is_ok_and(|r| r.key == key) => Some(p),
            _ => None,
        };
        let (id, created) = match found {
            Some(id) => (id, false),
            None => (core.alloc(spec, Callback::User(handler), key, true), true),
        };
        let r = match op {
            KeyedOp::Add(t) => core.add_nolock(id.idx, t.map(Timeout::into_when)),
            KeyedOp::Activate(what, n) => {
                core.activate_nolock(id.idx, what, n);
                Ok(())
            }
            KeyedOp::Finalize(fin) => {
                core.del_nolock(id.idx);
                let rec = core.r(id.idx);
                let old = std::mem::replace(&mut rec.cb, Callback::User(fin));
                core.activate_nolock(id.idx, Ev::FINALIZE, 1);
                let rec = core.r(id.idx);
                rec.state |= state::FINALIZING | state::TRANSIENT;
                drop(core);
                drop(old);
                core = self.lock();
                Ok(())
            }
        };
        match r {
            Ok(()) => {
                self.notify(&core);
                Ok(id)
            }
            Err(e) => {
                if created {
                    core.free_slot(id.idx);
                }
                Err(e)
            }
        }
    }

    /// Runs the finalizers of events being finalized, then frees them; what
    /// `event_base_free` does before tearing a base down.
    pub fn run_pending_finalizers(&self, data: &mut H::Data) {
        loop {
            let mut core = self.lock();
            let next = core.slots.iter().position(|s| {
                s.rec
                    .as_ref()
                    .is_some_and(|r| r.state & state::FINALIZING != 0)
            });
            let Some(idx) = next else { return };
            let gen = core.slots[idx].gen;
            let fd = core.slots[idx].rec.as_ref().map_or(-1, |r| r.fd);
            let cb = core.free_slot(idx as u32);
            drop(core);
            if let Some(Callback::User(mut h)) = cb {
                let fired = Fired {
                    id: EventId {
                        idx: idx as u32,
                        gen,
                    },
                    fd,
                    what: Ev::FINALIZE,
                };
                h.call(self, data, fired);
            }
        }
    }

    /// `event_del` for the C face in one lock: deletes `id` only if it is live
    /// and belongs to `key`; a stale id is simply not pending.
    pub fn del_keyed(&self, id: EventId, key: usize, mode: DelMode) {
        let mut core = self.lock();
        let id = match core.rec(id) {
            Ok(r) if r.key == key => id,
            _ => return,
        };
        let events = core.rec(id).map_or(Ev::NONE, |r| r.events);
        crate::log::debug_log!("event_del: event {id:?}");
        core.del_nolock(id.idx);
        self.notify(&core);
        let wait = match mode {
            DelMode::NoBlock => false,
            DelMode::Block => true,
            DelMode::Auto => !events.contains(Ev::FINALIZE),
        };
        core = self.wait_not_running(core, id, wait);
        core.release_if_idle(id.idx);
    }

    /// The live record created for the struct at `key`, if any.
    pub fn find_key(&self, key: usize) -> Option<EventId> {
        self.lock().by_key(key)
    }

    /// Deletes and forgets the record of the struct at `key` (the program is
    /// re-assigning or re-using that memory). Returns whether there was one.
    pub fn forget_key(&self, key: usize) -> bool {
        let mut core = self.lock();
        let Some(id) = core.by_key(key) else {
            return false;
        };
        core.del_nolock(id.idx);
        self.notify(&core);
        let cb = core.free_slot(id.idx);
        drop(core);
        drop(cb);
        true
    }

    /// Lets other threads wake this base's loop (an eventfd), if it cannot yet
    /// (`evthread_make_base_notifiable`).
    pub fn make_notifiable(&self) -> Result<()> {
        let mut core = self.lock();
        if core.notify_fd >= 0 {
            return Ok(());
        }
        let fd = sys::eventfd()?;
        if let Err(e) = core.backend.change(fd, Ev::NONE, Ev::READ) {
            sys::close(fd);
            return Err(e.into());
        }
        core.notify_fd = fd;
        Ok(())
    }

    /// Whether `id` is live and was created for `key`.
    pub fn is_live(&self, id: EventId, key: usize) -> bool {
        let core = self.lock();
        core.rec(id).is_ok_and(|r| r.key == key)
    }

    /// Makes `id` pending, with an optional timeout from now. A pending event
    /// gets its timeout rescheduled; `None` leaves an existing timeout alone.
    pub fn add(&self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        let when = timeout.map(|d| When::After(duration_ns(d)));
        self.add_when(id, when)
    }

    /// Makes `id` pending with a common timeout.
    pub fn add_common(&self, id: EventId, timeout: CommonTimeout) -> Result<()> {
        self.add_when(id, Some(When::Common(timeout.index)))
    }

    /// Like [`RawBase::add`] with the timeout given as a [`When`]-style
    /// absolute monotonic deadline in nanoseconds (see [`RawBase::now_ns`]).
    pub fn add_at(&self, id: EventId, deadline_ns: u64) -> Result<()> {
        self.add_when(id, Some(When::At(deadline_ns)))
    }

    pub(crate) fn add_when(&self, id: EventId, when: Option<When>) -> Result<()> {
        crate::log::debug_log!("event_add: event {id:?}, timeout {when:?}");
        let mut core = self.lock();
        core.rec(id)?;
        core.add_nolock(id.idx, when)?;
        self.notify(&core);
        Ok(())
    }

    /// Internal form of [`RawBase::add`] for the C face, which decodes its
    /// `timeval` into a relative, absolute or common timeout.
    pub fn add_with(&self, id: EventId, timeout: Option<Timeout>) -> Result<()> {
        self.add_when(id, timeout.map(Timeout::into_when))
    }

    /// Makes `id` non-pending and non-active (`event_del`); deleting a
    /// non-pending event does nothing. From another thread, waits for the
    /// event's running callback unless it has `FINALIZE`.
    pub fn del(&self, id: EventId) -> Result<()> {
        self.del_with(id, DelMode::Auto)
    }

    /// [`RawBase::del`] with an explicit waiting mode.
    pub fn del_with(&self, id: EventId, mode: DelMode) -> Result<()> {
        crate::log::debug_log!("event_del: event {id:?}");
        let mut core = self.lock();
        let events = core.rec(id)?.events;
        core.del_nolock(id.idx);
        self.notify(&core);
        let wait = match mode {
            DelMode::NoBlock => false,
            DelMode::Block => true,
            DelMode::Auto => !events.contains(Ev::FINALIZE),
        };
        core = self.wait_not_running(core, id, wait);
        core.release_if_idle(id.idx);
        Ok(())
    }

    pub(crate) fn wait_not_running<'a>(
        &'a self,
        mut core: MutexGuard<'a, Core<H>>,
        id: EventId,
        wait: bool,
    ) -> MutexGuard<'a, Core<H>> {
        if !wait {
            return core;
        }
        while core.current == Some(id)
            && core.running_loop
            && core.loop_thread != sys::thread_token()
        {
            core.current_waiters += 1;
            core = self
                .shared
                .cond
                .wait(core)
                .unwrap_or_else(|p| p.into_inner());
        }
        core
    }

    /// Removes only the timeout of a pending event (`event_remove_timer`).
    pub fn remove_timer(&self, id: EventId) -> Result<()> {
        let mut core = self.lock();
        let rec = core.rec(id)?;
        if rec.state & state::TIMEOUT != 0 {
            core.remove_timeout(id.idx);
        }
        core.release_if_idle(id.idx);
        Ok(())
    }

    /// Frees an event: deletes it and drops its handler. The handler of a
    /// callback that is running now is dropped when the callback returns.
    pub fn free(&self, id: EventId) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.del_nolock(id.idx);
        self.notify(&core);
        core = self.wait_not_running(core, id, true);
        let handler = core.free_slot(id.idx);
        drop(core);
        drop(handler);
        Ok(())
    }

    /// Makes `id` active with `what` as if it had fired (`event_active`).
    pub fn activate(&self, id: EventId, what: Ev) -> Result<()> {
        self.activate_n(id, what, 1)
    }

    /// [`RawBase::activate`] with a signal-delivery count.
    pub fn activate_n(&self, id: EventId, what: Ev, ncalls: u16) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.activate_nolock(id.idx, what, ncalls);
        self.notify(&core);
        Ok(())
    }

    /// Which of `mask`'s flags are pending or active for `id`, and the time
    /// left on its timeout.
    pub fn pending(&self, id: EventId, mask: Ev) -> Result<Pending> {
        let mut core = self.lock();
        let now = core.now();
        let rec = core.rec(id)?;
        let mut what = Ev::NONE;
        if rec.state & state::INSERTED != 0 {
            what |= rec.events & (Ev::IO | Ev::SIGNAL);
        }
        if rec.state & state::ACTIVE != 0 {
            what |= rec.res;
        }
        if rec.state & state::TIMEOUT != 0 {
            what |= Ev::TIMEOUT;
        }
        let what = what & mask & (Ev::TIMEOUT | Ev::IO | Ev::SIGNAL);
        let timed = what.contains(Ev::TIMEOUT);
        Ok(Pending {
            what,
            remaining: timed.then(|| Duration::from_nanos(rec.deadline.saturating_sub(now))),
            deadline_ns: timed.then_some(rec.deadline),
        })
    }

    /// The record's current description.
    pub fn info(&self, id: EventId) -> Result<EventInfo> {
        let mut core = self.lock();
        let now = core.now();
        let rec = core.rec(id)?;
        Ok(info_of(id, rec, now))
    }

    /// Sets an event's priority (`event_priority_set`): refused while active
    /// or out of range.
    pub fn set_priority(&self, id: EventId, priority: i32) -> Result<()> {
        let mut core = self.lock();
        let n = core.active.len() as i32;
        let rec = core.rec_mut(id)?;
        if rec.state & state::ACTIVE != 0 {
            return Err(Error::EventActive);
        }
        if priority < 0 || priority >= n {
            return Err(Error::BadPriority(priority));
        }
        rec.pri = priority as u8;
        Ok(())
    }

    /// Sets how many priorities the base has (`event_base_priority_init`):
    /// `1..=255`, refused while events are active.
    pub fn priority_init(&self, n: i32) -> Result<()> {
        let mut core = self.lock();
        if core.n_active > 0 || !(1..256).contains(&n) {
            return Err(Error::BadPriority(n));
        }
        core.active = (0..n).map(|_| VecDeque::new()).collect();
        Ok(())
    }

    /// The number of priorities.
    pub fn npriorities(&self) -> i32 {
        self.lock().active.len() as i32
    }

    /// Deletes a pending event and arranges for `finalizer` to run once in
    /// the loop, after which the event is freed (`event_finalize`).
    pub fn finalize(&self, id: EventId, finalizer: H) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.del_nolock(id.idx);
        let rec = core.rec_mut(id)?;
        let old = std::mem::replace(&mut rec.cb, Callback::User(finalizer));
        core.activate_nolock(id.idx, Ev::FINALIZE, 1);
        if let Some(rec) = core.slots[id.idx as usize].rec.as_mut() {
            rec.state |= state::FINALIZING;
            // A finalized event is freed after its finalizer, whatever it was.
            rec.state |= state::TRANSIENT;
        }
        self.notify(&core);
        drop(core);
        drop(old);
        Ok(())
    }

    /// Runs `handler` once when `fd` is ready for `events` or the timeout
    /// elapses (`event_base_once`); with no I/O flags it is a timer, and a
    /// timer with no timeout runs at the next loop turn.
    pub fn once(
        &self,
        fd: RawFd,
        events: Ev,
        timeout: Option<Timeout>,
        handler: H,
    ) -> Result<EventId> {
        if events.intersects(Ev::SIGNAL | Ev::PERSIST) {
            return Err(Error::BadFlags(
                "once events cannot be signals or persistent",
            ));
        }
        let io = events & Ev::IO;
        let (spec, immediate) = if !io.is_empty() {
            (
                EventSpec {
                    fd,
                    events: io,
                    priority: None,
                },
                false,
            )
        } else if events.contains(Ev::TIMEOUT) {
            let zero = match timeout {
                None => true,
                Some(Timeout::After(d)) => d.is_zero(),
                _ => false,
            };
            (
                EventSpec {
                    fd: -1,
                    events: Ev::NONE,
                    priority: None,
                },
                zero,
            )
        } else {
            return Err(Error::BadFlags("once needs READ, WRITE, CLOSED or TIMEOUT"));
        };
        let mut core = self.lock();
        let id = core.alloc(spec, Callback::User(handler), 0, true);
        if immediate {
            core.activate_nolock(id.idx, Ev::TIMEOUT, 1);
        } else if let Err(e) = core.add_nolock(id.idx, timeout.map(Timeout::into_when)) {
            core.free_slot(id.idx);
            return Err(e);
        }
        self.notify(&core);
        Ok(id)
    }

    /// Registers `duration` as a common timeout (`event_base_init_common_timeout`);
    /// the same duration gives the same queue.
    pub fn init_common_timeout(&self, duration: Duration) -> Result<CommonTimeout> {
        let nanos = duration_ns(duration);
        let mut core = self.lock();
        if let Some(i) = core.common.iter().position(|q| q.nanos == nanos) {
            return Ok(CommonTimeout {
                index: i as u16,
                nanos,
            });
        }
        if core.common.len() >= MAX_COMMON {
            return Err(Error::TooManyCommonTimeouts);
        }
        core.common.push(CommonQueue {
            nanos,
            queue: VecDeque::new(),
        });
        Ok(CommonTimeout {
            index: (core.common.len() - 1) as u16,
            nanos,
        })
    }

    /// The common timeout with this queue index, if registered.
    pub fn common_timeout(&self, index: u16) -> Option<CommonTimeout> {
        let core = self.lock();
        core.common.get(index as usize).map(|q| CommonTimeout {
            index,
            nanos: q.nanos,
        })
    }

    /// Runs the loop until no events are left or it is stopped (`event_base_dispatch`).
    pub fn dispatch(&self, data: &mut H::Data) -> Result<LoopExit> {
        self.run(LoopFlags::default(), data)
    }

    /// Asks the loop to stop after `delay` (now with `None`), once the
    /// callbacks of that turn ran (`event_base_loopexit`).
    pub fn loopexit(&self, delay: Option<Duration>) -> Result<()> {
        let mut core = self.lock();
        let spec = EventSpec {
            fd: -1,
            events: Ev::NONE,
            priority: None,
        };
        let id = core.alloc(spec, Callback::Exit, 0, true);
        match delay {
            None => core.activate_nolock(id.idx, Ev::TIMEOUT, 1),
            Some(d) if d.is_zero() => core.activate_nolock(id.idx, Ev::TIMEOUT, 1),
            Some(d) => core.add_nolock(id.idx, Some(When::After(duration_ns(d))))?,
        }
        self.notify(&core);
        Ok(())
    }

    /// Stops the loop after the running callback (`event_base_loopbreak`).
    pub fn loopbreak(&self) {
        let mut core = self.lock();
        core.event_break = true;
        self.notify(&core);
    }

    /// Makes the loop re-check for higher-priority events after the running
    /// callback (`event_base_loopcontinue`).
    pub fn loopcontinue(&self) {
        let mut core = self.lock();
        core.event_continue = true;
        self.notify(&core);
    }

    /// Whether the last loop ended through `loopexit`.
    pub fn got_exit(&self) -> bool {
        self.lock().event_gotterm
    }

    /// Whether the last loop ended through `loopbreak`.
    pub fn got_break(&self) -> bool {
        self.lock().event_break
    }

    /// The event whose callback runs now, if called from the loop's thread.
    pub fn running_event(&self) -> Option<(EventId, usize)> {
        let core = self.lock();
        if core.running_loop && core.loop_thread == sys::thread_token() {
            core.current.map(|id| (id, core.current_key))
        } else {
            None
        }
    }

    /// How many events of a kind the base holds now.
    pub fn num_events(&self, kinds: &[Count]) -> usize {
        let core = self.lock();
        kinds
            .iter()
            .map(|k| match k {
                Count::Active => core.n_active,
                Count::Virtual => core.virtual_count,
                Count::Added => core.event_count,
            })
            .sum()
    }

    /// The most events of a kind held at once; `clear` resets the maxima.
    pub fn max_events(&self, kinds: &[Count], clear: bool) -> usize {
        let mut core = self.lock();
        let mut sum = 0;
        for k in kinds {
            sum += match k {
                Count::Active => core.n_active_max,
                Count::Virtual => core.virtual_max,
                Count::Added => core.event_count_max,
            };
        }
        if clear {
            for k in kinds {
                match k {
                    Count::Active => core.n_active_max = 0,
                    Count::Virtual => core.virtual_max = 0,
                    Count::Added => core.event_count_max = 0,
                }
            }
        }
        sum
    }

    /// Holds the loop open as if an event were pending (internal users).
    pub fn add_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count += 1;
        core.virtual_max = core.virtual_max.max(core.virtual_count);
    }

    /// Releases one [`RawBase::add_virtual`].
    pub fn del_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count = core.virtual_count.saturating_sub(1);
        self.notify(&core);
    }

    /// The monotonic time in nanoseconds, cached per loop turn.
    pub fn now_ns(&self) -> u64 {
        self.lock().now()
    }

    /// Wall-clock time since the Unix epoch, from the loop's cached time
    /// when one is set (`event_base_gettimeofday_cached`).
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

    /// Refreshes the cached time if the loop is running (`event_base_update_cache_time`).
    pub fn update_cache_time(&self) {
        let mut core = self.lock();
        if core.running_loop {
            core.update_cache();
        }
    }

    /// A snapshot of every event, in libevent's order: inserted, then timers
    /// only, then active only. `internal` events are included when asked.
    pub fn events(&self) -> Vec<EventInfo> {
        let mut core = self.lock();
        let now = core.now();
        let mut out = Vec::new();
        for (i, slot) in core.slots.iter().enumerate() {
            if let Some(rec) = &slot.rec {
                if rec.state & state::INSERTED != 0 {
                    out.push(info_of(
                        EventId {
                            idx: i as u32,
                            gen: slot.gen,
                        },
                        rec,
                        now,
                    ));
                }
            }
        }
        for (i, slot) in core.slots.iter().enumerate() {
            if let Some(rec) = &slot.rec {
                if rec.state & (state::INSERTED | state::TIMEOUT) == state::TIMEOUT {
                    out.push(info_of(
                        EventId {
                            idx: i as u32,
                            gen: slot.gen,
                        },
                        rec,
                        now,
                    ));
                }
            }
        }
        for (i, slot) in core.slots.iter().enumerate() {
            if let Some(rec) = &slot.rec {
                if rec.state & (state::INSERTED | state::TIMEOUT | state::ACTIVE) == state::ACTIVE
                    && !matches!(rec.cb, Callback::Exit)
                {
                    out.push(info_of(
                        EventId {
                            idx: i as u32,
                            gen: slot.gen,
                        },
                        rec,
                        now,
                    ));
                }
            }
        }
        out
    }

    /// Activates the events on `fd` (`event_base_active_by_fd`): I/O events
    /// matching `what`, or with `TIMEOUT` the timed events on that fd.
    pub fn active_by_fd(&self, fd: RawFd, what: Ev) {
        let mut core = self.lock();
        if !what.contains(Ev::TIMEOUT) {
            core.activate_fd(fd, what & Ev::IO);
        } else {
            let ids: Vec<u32> = core
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    s.rec
                        .as_ref()
                        .filter(|r| r.fd == fd && r.state & state::TIMEOUT != 0)
                        .map(|_| i as u32)
                })
                .collect();
            for idx in ids {
                core.activate_nolock(idx, Ev::TIMEOUT, 1);
            }
        }
        self.notify(&core);
    }

    /// Activates the signal events for `signal` (`event_base_active_by_signal`).
    pub fn active_by_signal(&self, signal: i32) {
        let mut core = self.lock();
        if sig::valid(signal) {
            core.activate_signal(signal, 1);
        }
        self.notify(&core);
    }

    /// Rebuilds the backend and the signal and wakeup plumbing after `fork()`
    /// (`event_reinit`). Every pending event stays pending.
    pub fn reinit(&self) -> Result<()> {
        let mut core = self.lock();
        core.reinit()
    }
}

/// What [`RawBase::keyed`] does to the record.
#[derive(Debug)]
pub enum KeyedOp<H> {
    /// Make it pending (`event_add`).
    Add(Option<Timeout>),
    /// Make it active with these results and signal count (`event_active`).
    Activate(Ev, u16),
    /// Delete it and run this finalizer once, then free it (`event_finalize`).
    Finalize(H),
}

/// A timeout as the C face decodes it from a `timeval`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// After this long.
    After(Duration),
    /// At this absolute monotonic time (nanoseconds).
    At(u64),
    /// On this common-timeout queue.
    Common(CommonTimeout),
}

impl Timeout {
    pub(crate) fn into_when(self) -> When {
        match self {
            Timeout::After(d) => When::After(duration_ns(d)),
            Timeout::At(t) => When::At(t),
            Timeout::Common(c) => When::Common(c.index),
        }
    }
}

pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos())
        .unwrap_or(u64::MAX / 2)
        .min(u64::MAX / 2)
}

pub(crate) fn check_spec(spec: EventSpec) -> Result<()> {
    let ev = spec.events;
    if ev.unknown() != 0 {
        return Err(Error::BadFlags("unknown event flags"));
    }
    if ev.contains(Ev::SIGNAL) {
        if ev.intersects(Ev::IO) {
            return Err(Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        if !sig::valid(spec.fd) {
            return Err(Error::BadSignal(spec.fd));
        }
    }
    Ok(())
}

pub(crate) fn info_of<H>(id: EventId, rec: &Record<H>, now: u64) -> EventInfo {
    EventInfo {
        id,
        key: rec.key,
        fd: rec.fd,
        events: rec.events,
        priority: rec.pri,
        inserted: rec.state & state::INSERTED != 0,
        timeout: (rec.state & state::TIMEOUT != 0)
            .then(|| Duration::from_nanos(rec.deadline.saturating_sub(now))),
        active: (rec.state & state::ACTIVE != 0).then_some(rec.res),
        internal: rec.state & state::INTERNAL != 0,
    }
}
