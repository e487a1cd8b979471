//! The event base: its state, its lock, and the loop.
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
use crate::error::{Error, Result};
use crate::event::{
    state, Callback, EventId, EventInfo, Fired, Handler, Pending, Record, Slot, When,
};
use crate::flags::Ev;
use crate::sys::{self, signal as sig, Backend, Features, Method};
use crate::timer::{CommonEntry, CommonQueue, CommonTimeout, TimerHeap, MAX_COMMON};

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

    fn has(self, f: LoopFlags) -> bool {
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

struct SigEntry {
    events: Vec<u32>,
    saved: Option<sig::Saved>,
}

#[derive(Default, Clone)]
struct FdEntry {
    events: Vec<u32>,
    reg: Ev,
}

pub(crate) struct Core<H> {
    backend: Arc<dyn Backend>,
    method: Method,
    changelist: bool,
    precise: bool,
    flags: BaseFlags,
    coarse: bool,
    slots: Vec<Slot<H>>,
    free_slots: Vec<u32>,
    fds: Vec<FdEntry>,
    sigs: Vec<SigEntry>,
    sig_pair: Option<(RawFd, RawFd)>,
    notify_fd: RawFd,
    heap: TimerHeap,
    common: Vec<CommonQueue>,
    active: Vec<VecDeque<(u32, u32)>>,
    seq: u32,
    n_active: usize,
    n_active_max: usize,
    event_count: usize,
    event_count_max: usize,
    virtual_count: usize,
    virtual_max: usize,
    time_cache: u64,
    wall_offset: i128,
    wall_offset_at: u64,
    running_loop: bool,
    loop_thread: u64,
    event_break: bool,
    event_gotterm: bool,
    event_continue: bool,
    running_priority: i32,
    current: Option<EventId>,
    current_key: usize,
    current_waiters: usize,
    max_dispatch: Option<u64>,
    max_callbacks: usize,
    limit_after_prio: usize,
    io_buf: Vec<(RawFd, Ev)>,
}

pub(crate) struct Shared<H> {
    core: Mutex<Core<H>>,
    cond: Condvar,
}

/// An event base, generic over what runs when an event fires.
///
/// Rust programs use its alias [`crate::Base`] (closures over `&mut D`); the
/// C face uses it with function pointers. Cloning gives another handle to the
/// same base; it is `Send + Sync`, so another thread may add, delete and
/// activate events while the loop waits.
pub struct RawBase<H: Handler> {
    shared: Arc<Shared<H>>,
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

    fn lock(&self) -> MutexGuard<'_, Core<H>> {
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
        crate::log::debug(format_args!(
            "event_{}: key {key:#x} (fd {}), {:?}",
            match op {
                KeyedOp::Add(_) => "add",
                KeyedOp::Activate(..) => "active",
                KeyedOp::Finalize(_) => "finalize",
            },
            spec.fd,
            spec.events
        ));
        let mut core = self.lock();
        let (id, created) = match prev {
            Some(p) if core.rec(p).is_ok_and(|r| r.key == key) => (p, false),
            _ => (core.alloc(spec, Callback::User(handler), key, true), true),
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
        crate::log::debug(format_args!("event_add: event {id:?}, timeout {when:?}"));
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
        crate::log::debug(format_args!("event_del: event {id:?}"));
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

    fn wait_not_running<'a>(
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

    /// Runs the loop (`event_base_loop`).
    pub fn run(&self, flags: LoopFlags, data: &mut H::Data) -> Result<LoopExit> {
        let mut core = self.lock();
        if core.running_loop {
            crate::log::warn(format_args!(
                "event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once."
            ));
            return Err(Error::Reentrant);
        }
        core.running_loop = true;
        core.time_cache = 0;
        core.retarget_signals();
        core.loop_thread = sys::thread_token();
        core.event_gotterm = false;
        core.event_break = false;
        let mut buf = std::mem::take(&mut core.io_buf);
        let mut result = Ok(LoopExit::Stopped);
        loop {
            core.event_continue = false;
            if core.event_gotterm || core.event_break {
                break;
            }
            let timeout = if core.n_active == 0 && !flags.has(LoopFlags::NONBLOCK) {
                core.next_timeout()
            } else {
                Some(Duration::ZERO)
            };
            if !flags.has(LoopFlags::NO_EXIT_ON_EMPTY) && !core.have_events() && core.n_active == 0
            {
                result = Ok(LoopExit::NoEvents);
                break;
            }
            core.time_cache = 0;
            let backend = core.backend.clone();
            drop(core);
            buf.clear();
            let r = backend.dispatch(timeout, &mut buf);
            drop(backend);
            core = self.lock();
            if let Err(e) = r {
                crate::log::warn(format_args!("{}: dispatch failed: {e}", core.method.name()));
                result = Err(Error::Io(e));
                break;
            }
            core.update_cache();
            core.process_io(&buf);
            core.timeout_process();
            if core.n_active > 0 {
                let (n, g) = self.process_active(core, data);
                core = g;
                if flags.has(LoopFlags::ONCE) && core.n_active == 0 && n != 0 {
                    break;
                }
            } else if flags.has(LoopFlags::NONBLOCK) {
                break;
            }
        }
        buf.clear();
        core.io_buf = buf;
        core.time_cache = 0;
        core.running_loop = false;
        core.loop_thread = 0;
        result
    }

    fn notify(&self, core: &Core<H>) {
        if core.notify_fd >= 0 && core.running_loop && core.loop_thread != sys::thread_token() {
            sys::eventfd_signal(core.notify_fd);
        }
    }

    fn process_active<'a>(
        &'a self,
        mut core: MutexGuard<'a, Core<H>>,
        data: &mut H::Data,
    ) -> (i32, MutexGuard<'a, Core<H>>) {
        let endtime = core.max_dispatch.map(|d| {
            core.update_cache();
            core.now() + d
        });
        let mut c = 0;
        for i in 0..core.active.len() {
            if !core.queue_nonempty(i) {
                continue;
            }
            core.running_priority = i as i32;
            let (max, end) = if i < core.limit_after_prio {
                (usize::MAX, None)
            } else {
                (core.max_callbacks, endtime)
            };
            let (n, g) = self.process_queue(core, i, max, end, data);
            core = g;
            c = n;
            if c != 0 {
                break;
            }
        }
        core.running_priority = -1;
        (c, core)
    }

    fn process_queue<'a>(
        &'a self,
        mut core: MutexGuard<'a, Core<H>>,
        pri: usize,
        max: usize,
        endtime: Option<u64>,
        data: &mut H::Data,
    ) -> (i32, MutexGuard<'a, Core<H>>) {
        let mut count: usize = 0;
        while let Some((idx, seq)) = core.active[pri].pop_front() {
            let gen = core.slots[idx as usize].gen;
            let Some(rec) = core.slots[idx as usize].rec.as_ref() else {
                continue;
            };
            if rec.state & state::ACTIVE == 0 || rec.active_seq != seq {
                continue;
            }
            let id = EventId { idx, gen };
            let events = rec.events;
            let finalizing = rec.state & state::FINALIZING != 0;
            let internal = rec.state & state::INTERNAL != 0;
            // A signal's pending deliveries survive the delete that precedes a
            // non-persistent callback; a delete during the callback cancels them.
            let ncalls = rec.ncalls;
            if events.contains(Ev::PERSIST) || finalizing {
                core.remove_active(idx);
            } else {
                core.del_nolock(idx);
                core.r(idx).ncalls = ncalls;
            }
            if !internal {
                count += 1;
            }
            let rec = core.slots[idx as usize]
                .rec
                .as_mut()
                .expect("record checked above");
            let fired = Fired {
                id,
                fd: rec.fd,
                what: rec.res,
            };
            crate::log::debug(format_args!(
                "event_process_active: event {id:?} (fd {}), res {:?}",
                fired.fd, fired.what
            ));
            core.current = Some(id);
            core.current_key = core.slots[idx as usize].rec.as_ref().map_or(0, |r| r.key);
            core.current_waiters = 0;

            if finalizing {
                let cb = core.free_slot(idx);
                core.current = None;
                drop(core);
                if let Some(Callback::User(mut h)) = cb {
                    h.call(self, data, fired);
                }
                core = self.lock();
            } else if matches!(
                core.slots[idx as usize].rec.as_ref().map(|r| &r.cb),
                Some(Callback::Exit)
            ) {
                core.event_gotterm = true;
            } else if events.contains(Ev::SIGNAL) {
                while let Some(rec) = core.live_mut(id) {
                    if rec.ncalls == 0 {
                        break;
                    }
                    rec.ncalls -= 1;
                    let (g, done) = self.call_out(core, id, data, fired);
                    core = g;
                    if done || core.event_break {
                        break;
                    }
                }
            } else {
                if events.contains(Ev::PERSIST) {
                    core.rearm_persist(idx);
                }
                let (g, _) = self.call_out(core, id, data, fired);
                core = g;
            }

            core.current = None;
            if core.current_waiters > 0 {
                core.current_waiters = 0;
                self.shared.cond.notify_all();
            }
            if core.slots[idx as usize].gen == gen {
                core.release_if_idle(idx);
            }
            if core.event_break {
                return (-1, core);
            }
            if count >= max {
                return (count as i32, core);
            }
            if count > 0 {
                if let Some(end) = endtime {
                    core.update_cache();
                    if core.now() >= end {
                        return (count as i32, core);
                    }
                }
            }
            if core.event_continue {
                break;
            }
        }
        (count as i32, core)
    }

    /// Takes the handler out, runs it unlocked, and puts it back if the record
    /// is still the same one. Returns whether the record is gone.
    fn call_out<'a>(
        &'a self,
        mut core: MutexGuard<'a, Core<H>>,
        id: EventId,
        data: &mut H::Data,
        fired: Fired,
    ) -> (MutexGuard<'a, Core<H>>, bool) {
        let Some(rec) = core.live_mut(id) else {
            return (core, true);
        };
        let mut h = match std::mem::replace(&mut rec.cb, Callback::Taken) {
            Callback::User(h) => h,
            other => {
                rec.cb = other;
                return (core, false);
            }
        };
        drop(core);
        h.call(self, data, fired);
        let mut core = self.lock();
        match core.live_mut(id) {
            Some(rec) if matches!(rec.cb, Callback::Taken) => {
                rec.cb = Callback::User(h);
                (core, false)
            }
            _ => {
                drop(core);
                drop(h);
                (self.lock(), true)
            }
        }
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
    fn into_when(self) -> When {
        match self {
            Timeout::After(d) => When::After(duration_ns(d)),
            Timeout::At(t) => When::At(t),
            Timeout::Common(c) => When::Common(c.index),
        }
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos())
        .unwrap_or(u64::MAX / 2)
        .min(u64::MAX / 2)
}

fn check_spec(spec: EventSpec) -> Result<()> {
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

fn info_of<H>(id: EventId, rec: &Record<H>, now: u64) -> EventInfo {
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

impl<H> Core<H> {
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn alloc(&mut self, spec: EventSpec, cb: Callback<H>, key: usize, transient: bool) -> EventId {
        let pri = spec.priority.unwrap_or((self.active.len() / 2) as u8);
        let rec = Record {
            fd: spec.fd,
            events: spec.events,
            state: if transient { state::TRANSIENT } else { 0 },
            pri,
            res: Ev::NONE,
            ncalls: 0,
            period: 0,
            period_common: 0,
            deadline: 0,
            common: 0,
            timer_seq: 0,
            active_seq: 0,
            key,
            cb,
        };
        if let Some(idx) = self.free_slots.pop() {
            let slot = &mut self.slots[idx as usize];
            slot.rec = Some(rec);
            EventId { idx, gen: slot.gen }
        } else {
            let idx = self.slots.len() as u32;
            self.slots.push(Slot {
                gen: 0,
                rec: Some(rec),
            });
            EventId { idx, gen: 0 }
        }
    }

    /// Frees a slot; returns its callback so it can be dropped unlocked.
    fn free_slot(&mut self, idx: u32) -> Option<Callback<H>> {
        let slot = &mut self.slots[idx as usize];
        let rec = slot.rec.take()?;
        slot.gen = slot.gen.wrapping_add(1);
        self.free_slots.push(idx);
        Some(rec.cb)
    }

    fn rec(&self, id: EventId) -> Result<&Record<H>> {
        match self.slots.get(id.idx as usize) {
            Some(s) if s.gen == id.gen => s.rec.as_ref().ok_or(Error::NoSuchEvent),
            _ => Err(Error::NoSuchEvent),
        }
    }

    fn rec_mut(&mut self, id: EventId) -> Result<&mut Record<H>> {
        match self.slots.get_mut(id.idx as usize) {
            Some(s) if s.gen == id.gen => s.rec.as_mut().ok_or(Error::NoSuchEvent),
            _ => Err(Error::NoSuchEvent),
        }
    }

    fn live_mut(&mut self, id: EventId) -> Option<&mut Record<H>> {
        self.rec_mut(id).ok()
    }

    #[inline]
    fn r(&mut self, idx: u32) -> &mut Record<H> {
        self.slots[idx as usize].rec.as_mut().expect("live record")
    }

    fn release_if_idle(&mut self, idx: u32) {
        let Some(rec) = self.slots.get(idx as usize).and_then(|s| s.rec.as_ref()) else {
            return;
        };
        let busy = state::INSERTED | state::TIMEOUT | state::ACTIVE;
        // A running handler is out of the record; freeing the record makes
        // `call_out` drop it after the callback instead of putting it back.
        if rec.state & state::TRANSIENT != 0 && rec.state & busy == 0 {
            self.free_slot(idx);
        }
    }

    fn now(&mut self) -> u64 {
        if self.time_cache != 0 {
            self.time_cache
        } else {
            sys::monotonic_ns(self.coarse)
        }
    }

    fn update_cache(&mut self) {
        if !self.flags.contains(BaseFlags::NO_CACHE_TIME) {
            self.time_cache = sys::monotonic_ns(self.coarse);
        } else {
            self.time_cache = 0;
        }
    }

    fn refresh_wall_offset(&mut self) {
        let mono = sys::monotonic_ns(self.coarse);
        self.wall_offset = sys::realtime_ns() - mono as i128;
        self.wall_offset_at = mono;
    }

    fn wall_offset_now(&mut self) -> i128 {
        let now = sys::monotonic_ns(self.coarse);
        if now.saturating_sub(self.wall_offset_at) > 5_000_000_000 {
            self.refresh_wall_offset();
        }
        self.wall_offset
    }

    fn have_events(&self) -> bool {
        self.virtual_count > 0 || self.event_count > 0
    }

    fn count_incr(&mut self, internal: bool) {
        if !internal {
            self.event_count += 1;
            self.event_count_max = self.event_count_max.max(self.event_count);
        }
    }

    fn count_decr(&mut self, internal: bool) {
        if !internal {
            self.event_count -= 1;
        }
    }

    fn add_nolock(&mut self, idx: u32, when: Option<When>) -> Result<()> {
        let rec = self.r(idx);
        if rec.state & state::FINALIZING != 0 {
            return Err(Error::Finalizing);
        }
        let events = rec.events;
        let st = rec.state;
        if events.intersects(Ev::IO | Ev::SIGNAL) && st & (state::INSERTED | state::ACTIVE) == 0 {
            if events.contains(Ev::SIGNAL) {
                self.sig_add(idx)?;
            } else {
                self.io_add(idx)?;
            }
            let rec = self.r(idx);
            rec.state |= state::INSERTED;
            let internal = rec.state & state::INTERNAL != 0;
            self.count_incr(internal);
        }
        if let Some(when) = when {
            let now = self.now();
            let persist = events.contains(Ev::PERSIST) && !events.contains(Ev::SIGNAL);
            let (at, common) = match when {
                When::After(ns) => {
                    if persist {
                        let r = self.r(idx);
                        r.period = ns.max(1);
                        r.period_common = 0;
                    }
                    (now.saturating_add(ns), 0u16)
                }
                When::At(t) => (t, self.r(idx).common_hint()),
                When::Common(q) => {
                    let nanos = self.common.get(q as usize).ok_or(Error::BadTimeout)?.nanos;
                    if persist {
                        let r = self.r(idx);
                        r.period = nanos.max(1);
                        r.period_common = q + 1;
                    }
                    (now.saturating_add(nanos), q + 1)
                }
            };
            if self.r(idx).state & state::TIMEOUT != 0 {
                self.remove_timeout(idx);
            }
            let rec = self.r(idx);
            if rec.state & state::ACTIVE != 0 && rec.res.contains(Ev::TIMEOUT) {
                if rec.events.contains(Ev::SIGNAL) {
                    rec.ncalls = 0;
                }
                self.remove_active(idx);
            }
            self.insert_timeout(idx, at, common);
        }
        Ok(())
    }

    fn insert_timeout(&mut self, idx: u32, at: u64, common: u16) {
        let seq = self.next_seq();
        let rec = self.r(idx);
        rec.state |= state::TIMEOUT;
        rec.deadline = at;
        rec.common = common;
        rec.timer_seq = seq;
        let internal = rec.state & state::INTERNAL != 0;
        self.count_incr(internal);
        if common == 0 {
            self.heap.schedule(idx, at);
        } else {
            let q = &mut self.common[common as usize - 1].queue;
            let entry = CommonEntry { at, slot: idx, seq };
            let mut pos = q.len();
            while pos > 0 && q[pos - 1].at > at {
                pos -= 1;
            }
            q.insert(pos, entry);
        }
    }

    fn remove_timeout(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::TIMEOUT;
        let common = rec.common;
        let internal = rec.state & state::INTERNAL != 0;
        if common == 0 {
            self.heap.remove(idx);
        } else {
            // Lazy: the queue entry goes stale with the sequence number.
            let seq = self.next_seq();
            self.r(idx).timer_seq = seq;
        }
        self.count_decr(internal);
    }

    fn remove_active(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::ACTIVE;
        let internal = rec.state & state::INTERNAL != 0;
        self.n_active -= 1;
        self.count_decr(internal);
    }

    fn remove_inserted(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::INSERTED;
        let internal = rec.state & state::INTERNAL != 0;
        let events = rec.events;
        self.count_decr(internal);
        if events.contains(Ev::SIGNAL) {
            self.sig_del(idx);
        } else {
            self.io_del(idx);
        }
    }

    fn del_nolock(&mut self, idx: u32) {
        let rec = self.r(idx);
        if rec.events.contains(Ev::SIGNAL) {
            rec.ncalls = 0;
        }
        let st = rec.state;
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

    fn activate_nolock(&mut self, idx: u32, what: Ev, ncalls: u16) {
        let running_priority = self.running_priority;
        let nq = self.active.len();
        let rec = self.r(idx);
        if rec.state & state::FINALIZING != 0 {
            return;
        }
        if rec.state & state::ACTIVE != 0 {
            rec.res |= what;
            return;
        }
        rec.res = what;
        if (rec.pri as i32) < running_priority {
            self.event_continue = true;
        }
        let rec = self.r(idx);
        if rec.events.contains(Ev::SIGNAL) {
            rec.ncalls = ncalls;
        }
        let pri = (rec.pri as usize).min(nq - 1);
        rec.state |= state::ACTIVE;
        let internal = rec.state & state::INTERNAL != 0;
        let seq = self.next_seq();
        self.r(idx).active_seq = seq;
        self.count_incr(internal);
        self.n_active += 1;
        self.n_active_max = self.n_active_max.max(self.n_active);
        self.active[pri].push_back((idx, seq));
    }

    fn queue_nonempty(&mut self, pri: usize) -> bool {
        while let Some(&(idx, seq)) = self.active[pri].front() {
            let live = self.slots[idx as usize]
                .rec
                .as_ref()
                .is_some_and(|r| r.state & state::ACTIVE != 0 && r.active_seq == seq);
            if live {
                return true;
            }
            self.active[pri].pop_front();
        }
        false
    }

    fn fd_entry(&mut self, fd: RawFd) -> &mut FdEntry {
        let i = fd as usize;
        if i >= self.fds.len() {
            self.fds.resize(i + 1, FdEntry::default());
        }
        &mut self.fds[i]
    }

    fn fd_union(&self, fd: RawFd) -> (Ev, usize, usize) {
        let mut union = Ev::NONE;
        let (mut et, mut lt) = (0, 0);
        for &i in &self.fds[fd as usize].events {
            let ev = self.slots[i as usize]
                .rec
                .as_ref()
                .map_or(Ev::NONE, |r| r.events);
            union |= ev & Ev::IO;
            if ev.contains(Ev::ET) {
                et += 1;
            } else {
                lt += 1;
            }
        }
        if et > 0 {
            union |= Ev::ET;
        }
        (union, et, lt)
    }

    fn io_add(&mut self, idx: u32) -> Result<()> {
        let fd = self.r(idx).fd;
        if fd < 0 {
            return Err(Error::BadFd(fd));
        }
        self.fd_entry(fd).events.push(idx);
        let (new, et, lt) = self.fd_union(fd);
        let old = self.fds[fd as usize].reg;
        if et > 0 && lt > 0 {
            self.fds[fd as usize].events.pop();
            return Err(Error::MixedEdgeTrigger(fd));
        }
        if new != old {
            if let Err(e) = self.backend.change(fd, old, new) {
                self.fds[fd as usize].events.pop();
                return Err(Error::Io(e));
            }
            self.fds[fd as usize].reg = new;
        }
        Ok(())
    }

    fn io_del(&mut self, idx: u32) {
        let fd = self.r(idx).fd;
        let Some(entry) = self.fds.get_mut(fd as usize) else {
            return;
        };
        if let Some(p) = entry.events.iter().position(|&i| i == idx) {
            entry.events.swap_remove(p);
        }
        let (new, _, _) = self.fd_union(fd);
        let old = self.fds[fd as usize].reg;
        if new != old {
            if let Err(e) = self.backend.change(fd, old, new) {
                crate::log::warn(format_args!(
                    "{}: cannot change fd {fd}: {e}",
                    self.method.name()
                ));
            }
            self.fds[fd as usize].reg = new;
        }
    }

    fn ensure_sig_pair(&mut self) -> Result<(RawFd, RawFd)> {
        if let Some(p) = self.sig_pair {
            return Ok(p);
        }
        let (r, w) = sys::internal_socketpair()?;
        if let Err(e) = self.backend.change(r, Ev::NONE, Ev::READ) {
            sys::close(r);
            sys::close(w);
            return Err(Error::Io(e));
        }
        self.sig_pair = Some((r, w));
        Ok((r, w))
    }

    fn sig_add(&mut self, idx: u32) -> Result<()> {
        let signo = self.r(idx).fd;
        if !sig::valid(signo) {
            return Err(Error::BadSignal(signo));
        }
        let (_, w) = self.ensure_sig_pair()?;
        let entry = &mut self.sigs[signo as usize];
        if entry.events.is_empty() {
            entry.saved = Some(sig::install(signo)?);
        }
        entry.events.push(idx);
        sig::set_target(signo, w);
        Ok(())
    }

    fn sig_del(&mut self, idx: u32) {
        let signo = self.r(idx).fd;
        let w = self.sig_pair.map_or(-1, |p| p.1);
        let Some(entry) = self.sigs.get_mut(signo as usize) else {
            return;
        };
        if let Some(p) = entry.events.iter().position(|&i| i == idx) {
            entry.events.swap_remove(p);
        }
        if entry.events.is_empty() {
            if let Some(saved) = entry.saved.take() {
                sig::clear_target(signo, w);
                sig::restore(signo, &saved);
            }
        }
    }

    fn retarget_signals(&mut self) {
        if let Some((_, w)) = self.sig_pair {
            for (signo, entry) in self.sigs.iter().enumerate() {
                if !entry.events.is_empty() {
                    sig::set_target(signo as i32, w);
                }
            }
        }
    }

    fn activate_fd(&mut self, fd: RawFd, what: Ev) {
        let Some(entry) = self.fds.get(fd as usize) else {
            return;
        };
        let n = entry.events.len();
        for k in 0..n {
            let Some(&idx) = self.fds[fd as usize].events.get(k) else {
                break;
            };
            let m = self.r(idx).events & what & Ev::IO;
            if !m.is_empty() {
                self.activate_nolock(idx, m, 1);
            }
        }
    }

    fn activate_signal(&mut self, signo: i32, count: u16) {
        let n = self.sigs[signo as usize].events.len();
        for k in 0..n {
            let Some(&idx) = self.sigs[signo as usize].events.get(k) else {
                break;
            };
            self.activate_nolock(idx, Ev::SIGNAL, count);
        }
    }

    fn process_io(&mut self, ready: &[(RawFd, Ev)]) {
        let sig_fd = self.sig_pair.map_or(-1, |p| p.0);
        for &(fd, what) in ready {
            if fd == sig_fd {
                self.read_signals(fd);
            } else if fd == self.notify_fd {
                let mut buf = [0u8; 8];
                sys::drain(fd, &mut buf);
            } else {
                self.activate_fd(fd, what);
            }
        }
    }

    fn read_signals(&mut self, fd: RawFd) {
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

    fn next_timeout(&mut self) -> Option<Duration> {
        let mut earliest = self.heap.peek().map(|(at, _)| at);
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                let valid = self.slots[front.slot as usize]
                    .rec
                    .as_ref()
                    .is_some_and(|r| {
                        r.state & state::TIMEOUT != 0
                            && r.common as usize == qi + 1
                            && r.timer_seq == front.seq
                    });
                if valid {
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
        let rec = self.r(idx);
        rec.state &= !state::TIMEOUT;
        let internal = rec.state & state::INTERNAL != 0;
        self.count_decr(internal);
        self.del_nolock(idx);
        self.activate_nolock(idx, Ev::TIMEOUT, 1);
    }

    fn timeout_process(&mut self) {
        let now = self.now();
        while let Some(idx) = self.heap.pop_due(now) {
            self.expire(idx);
        }
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                if front.at > now {
                    let valid = self.slots[front.slot as usize]
                        .rec
                        .as_ref()
                        .is_some_and(|r| {
                            r.state & state::TIMEOUT != 0
                                && r.common as usize == qi + 1
                                && r.timer_seq == front.seq
                        });
                    if valid {
                        break;
                    }
                    self.common[qi].queue.pop_front();
                    continue;
                }
                let entry = self.common[qi].queue.pop_front().expect("front exists");
                let valid = self.slots[entry.slot as usize]
                    .rec
                    .as_ref()
                    .is_some_and(|r| {
                        r.state & state::TIMEOUT != 0
                            && r.common as usize == qi + 1
                            && r.timer_seq == entry.seq
                    });
                if valid {
                    self.expire(entry.slot);
                }
            }
        }
    }

    fn rearm_persist(&mut self, idx: u32) {
        let now = self.now();
        let rec = self.r(idx);
        if rec.period == 0 {
            return;
        }
        let delay = rec.period;
        let relative = if rec.res.contains(Ev::TIMEOUT) {
            rec.deadline
        } else {
            now
        };
        let mut run_at = relative.saturating_add(delay);
        if run_at < now {
            run_at = now.saturating_add(delay);
        }
        let common = rec.period_common;
        rec.common = common;
        let _ = self.add_nolock(idx, Some(When::At(run_at)));
    }

    fn reinit(&mut self) -> Result<()> {
        let backend: Arc<dyn Backend> =
            Arc::from(self.method.build(self.changelist, self.precise)?);
        for (fd, entry) in self.fds.iter().enumerate() {
            if !entry.reg.is_empty() {
                if let Err(e) = backend.change(fd as RawFd, Ev::NONE, entry.reg) {
                    crate::log::warn(format_args!("event_reinit: cannot re-add fd {fd}: {e}"));
                }
            }
        }
        self.backend = backend;
        if self.notify_fd >= 0 {
            sys::close(self.notify_fd);
            let fd = sys::eventfd()?;
            self.backend.change(fd, Ev::NONE, Ev::READ)?;
            self.notify_fd = fd;
        }
        if let Some((r, w)) = self.sig_pair.take() {
            sys::close(r);
            sys::close(w);
            let (_, w) = self.ensure_sig_pair()?;
            for (signo, entry) in self.sigs.iter().enumerate() {
                if !entry.events.is_empty() {
                    sig::set_target(signo as i32, w);
                }
            }
        }
        Ok(())
    }
}

impl<H> Record<H> {
    /// The queue an absolute re-arm goes to: the persist period's queue.
    fn common_hint(&self) -> u16 {
        self.common
    }
}

impl<H> Drop for Core<H> {
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
