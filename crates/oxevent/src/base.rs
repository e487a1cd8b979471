//! The event base's public API: creation, events, timers, loop control.
//! Its state machine is in `core.rs`, its loop in `dispatch.rs`.
//!
//! One lock (`sys::lock::BaseLock`, a futex mutex) guards a base's whole
//! state ([`Core`]). It is released while the backend waits and while each
//! callback runs (engine rule 2: take the handler out, or copy a cheap one,
//! unlock, call, re-lock, put it back only if the record is still the same
//! one). Other threads may add, delete and activate events at any
//! time; they wake a waiting loop through an eventfd.
//!
//! The loop follows libevent's `event_base_loop` step for step: compute the
//! wait from the earliest timer, wait, cache the time, activate ready I/O and
//! signals, expire timers, then run the highest non-empty priority queue.
//!
//! This module must never call user code with the lock held.

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{BaseFlags, Config, LockBias};
use crate::core::{Act, ActiveQueue, Core, KeyMap, SigEntry};
use crate::error::{Error, Result};
use crate::event::{state, Callback, EventId, EventInfo, Fired, Handler, Pending, Record, When};
use crate::flags::Ev;
use crate::sys::lock::{BaseLock, Cond, LockGuard};
use crate::sys::{self, signal as sig, Backend, Features, Method};
use crate::timer::{CommonQueue, CommonTimeout, TimerWheel, MAX_COMMON};

/// Loop flags of [`RawBase::run`] (libevent's `EVLOOP_*`).
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
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base
    ///     .timer(|_, base, _| {
    ///         // The base's last event runs: without the flag the loop would
    ///         // return `NoEvents` after it. Another thread stops it instead.
    ///         let base = base.clone();
    ///         std::thread::spawn(move || {
    ///             std::thread::sleep(Duration::from_millis(5));
    ///             base.loopbreak();
    ///         });
    ///     })
    ///     .unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// let end = base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut ()).unwrap();
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

/// What [`RawBase::num_events`] counts (`EVENT_BASE_COUNT_*`).
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

/// How [`RawBase::del_with`] treats a callback running in another thread.
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

/// The description of an event to create.
///
/// ```
/// use oxevent::{Base, Closure, Error, Ev, EventSpec};
///
/// let base = Base::<Vec<i32>>::new().unwrap();
/// let timer = EventSpec { fd: -1, events: Ev::NONE, priority: None };
/// let record = Closure::new(|seen: &mut Vec<i32>, _, fired| seen.push(fired.fd));
/// let id = base.create(timer, record, 0, false).unwrap();
/// base.activate(id, Ev::TIMEOUT).unwrap();
/// let mut seen = Vec::new();
/// base.dispatch(&mut seen).unwrap();
/// assert_eq!(seen, [-1]);
///
/// // libevent's rules apply: a signal cannot also wait for I/O.
/// let bad = EventSpec { fd: libc::SIGUSR1, events: Ev::SIGNAL | Ev::READ, priority: None };
/// let refused = base.create(bad, Closure::new(|_, _, _| {}), 0, false);
/// assert!(matches!(refused, Err(Error::BadFlags(_))));
/// ```
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
    pub(crate) core: BaseLock<Core<H>>,
    pub(crate) cond: Cond,
}

/// An event base, generic over what runs when an event fires.
///
/// Rust programs use its alias [`crate::Base`] (closures over `&mut D`); the
/// C face uses it with function pointers. Cloning gives another handle to the
/// same base; it is `Send + Sync`, so another thread may add, delete and
/// activate events while the loop waits.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev};
///
/// let base = Base::<Vec<Ev>>::new().unwrap();
/// let t = base.timer(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what)).unwrap();
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// let remote = base.clone(); // another handle to the same base
/// assert!(remote.same_base(&base));
/// let waker = std::thread::spawn(move || remote.activate(t, Ev::READ).unwrap());
/// let mut seen = Vec::new();
/// base.dispatch(&mut seen).unwrap(); // woken long before the 60 s timeout
/// waker.join().unwrap();
/// assert_eq!(seen, [Ev::READ]);
/// ```
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

/// Spreads bases' generation counters far apart (golden-ratio steps), so
/// ids of different bases do not collide.
fn next_gen_base() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    NEXT.fetch_add(0x9e37_79b9, std::sync::atomic::Ordering::Relaxed)
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
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert!(oxevent::supported_methods().contains(&base.method()));
    /// ```
    pub fn new() -> Result<RawBase<H>> {
        RawBase::with_config(&Config::new())
    }

    /// A base built from `cfg`, choosing the backend as libevent does.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Error};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("epoll");
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "poll"); // the next one in libevent's order
    ///
    /// let mut none = Config::new();
    /// none.avoid_method("epoll").avoid_method("poll").avoid_method("select");
    /// assert!(matches!(Base::<()>::with_config(&none), Err(Error::NoBackend)));
    /// ```
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
            gen_base: next_gen_base(),
            accept_negative_fd: cfg.accept_negative_fd,
            fds: Vec::new(),
            sigs: (0..sig::NSIG)
                .map(|_| SigEntry {
                    events: Vec::new(),
                    saved: None,
                })
                .collect(),
            sig_pair: None,
            notify_fd,
            timers: TimerWheel::default(),
            common: Vec::new(),
            act: Act::new(1),
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
            current_key: 0,
            current_waiters: 0,
            max_dispatch: cfg.max_dispatch_interval.map(|d| d.as_nanos() as u64),
            max_callbacks,
            limit_after_prio,
            io_buf: Vec::new(),
        };
        let base = RawBase {
            shared: Arc::new(Shared {
                core: if match cfg.lock_bias {
                    LockBias::Off => false,
                    LockBias::IfSupported => sys::process_barrier_supported(),
                    LockBias::Assume => true,
                } {
                    BaseLock::new_biased(core)
                } else {
                    BaseLock::new(core)
                },
                cond: Cond::new(),
            }),
        };
        base.lock().refresh_wall_offset();
        Ok(base)
    }

    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, Core<H>> {
        self.shared.core.lock()
    }

    /// Whether two handles name the same base.
    ///
    /// ```
    /// let a = oxevent::Base::<()>::new().unwrap();
    /// let b = a.clone();
    /// let c = oxevent::Base::<()>::new().unwrap();
    /// assert!(a.same_base(&b));
    /// assert!(!a.same_base(&c));
    /// ```
    pub fn same_base(&self, other: &RawBase<H>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// A number identifying this base for its lifetime (its address).
    ///
    /// ```
    /// let a = oxevent::Base::<()>::new().unwrap();
    /// let b = oxevent::Base::<()>::new().unwrap();
    /// assert_eq!(a.serial(), a.clone().serial());
    /// assert_ne!(a.serial(), b.serial());
    /// ```
    pub fn serial(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// The backend's name: `"epoll"`, `"poll"` or `"select"`.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV); // EVENT_NOEPOLL and friends are not consulted
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll"); // libevent's first choice on Linux
    /// ```
    pub fn method(&self) -> &'static str {
        self.lock().backend.name()
    }

    /// The backend's features.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("epoll");
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "poll");
    /// assert_eq!(base.features(), Features::FDS);
    /// ```
    pub fn features(&self) -> Features {
        self.lock().backend.features()
    }

    /// Creates an event (not yet pending). `key` is the C face's struct
    /// address (0 from Rust); a `transient` event is freed whenever it is
    /// neither pending nor active.
    ///
    /// Timers, signals and events only ever activated by hand; an I/O event
    /// on a raw descriptor is refused here (see [`RawBase::create_fd`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Error, Ev, EventSpec};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let record = || Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// let id = base.create(spec, record(), 0, false).unwrap();
    /// // Created, not pending: the loop has nothing to wait for yet.
    /// assert_eq!(base.pending(id, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    /// base.add(id, Some(Duration::from_millis(1))).unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::TIMEOUT]);
    /// assert!(base.info(id).is_ok()); // not transient: it outlives its run
    ///
    /// let io = EventSpec { fd: 0, events: Ev::READ, priority: None };
    /// let refused = base.create(io, record(), 0, false);
    /// assert!(matches!(refused, Err(Error::BadFlags(_))));
    /// ```
    pub fn create(
        &self,
        spec: EventSpec,
        handler: H,
        key: usize,
        transient: bool,
    ) -> Result<EventId> {
        refuse_raw_io(spec.events)?;
        self.create_inner(spec, handler, key, transient)
    }

    /// [`RawBase::create`] for an I/O event on a raw descriptor (the C
    /// face's events, or an fd shared between events).
    ///
    /// # Safety
    ///
    /// `spec.fd` must be an open descriptor this program owns, and stay open
    /// until the event is deleted or freed: closing it first leaves the
    /// kernel registration behind (epoll watches the open file, not the
    /// number), and a number re-used by another open lets this event fire
    /// for a file it never meant to watch. [`Base::io`](crate::Base::io)
    /// owns its source instead and needs none of this.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Closure, Ev, EventSpec};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let spec = EventSpec { fd: a.as_raw_fd(), events: Ev::READ, priority: None };
    /// let record = Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// // SAFETY: `a` stays open until the event is freed below.
    /// let id = unsafe { base.create_fd(spec, record, 0, false) }.unwrap();
    /// base.add(id, None).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ]);
    /// base.free(id).unwrap(); // before `a` closes
    /// ```
    pub unsafe fn create_fd(
        &self,
        spec: EventSpec,
        handler: H,
        key: usize,
        transient: bool,
    ) -> Result<EventId> {
        self.create_inner(spec, handler, key, transient)
    }

    /// Creates any event; the callers above decide who may pass a raw fd.
    pub(crate) fn create_inner(
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

    /// Creates a transient event and makes it pending in one step (what the
    /// C face's `event_add` does for a struct without a live record). Like
    /// [`RawBase::create`], refuses I/O events on a raw descriptor.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, EventSpec, Timeout};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let key = 0x1000; // the C face passes its `struct event`'s address
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let count = Closure::new(|n: &mut u32, _, _| *n += 1);
    /// let soon = Some(Timeout::After(Duration::from_millis(1)));
    /// let id = base.create_pending(spec, count, key, soon).unwrap();
    /// assert!(base.is_live(id, key));
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// assert!(!base.is_live(id, key)); // transient: freed once idle
    /// ```
    pub fn create_pending(
        &self,
        spec: EventSpec,
        handler: H,
        key: usize,
        timeout: Option<Timeout>,
    ) -> Result<EventId> {
        refuse_raw_io(spec.events)?;
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, EventSpec, KeyedOp, Timeout};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let key = 0x1000;
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let handler = || Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// // The struct's first `event_add`: a transient record is created for it.
    /// let later = KeyedOp::Add(Some(Timeout::After(Duration::from_secs(60))));
    /// // SAFETY: a timer, no descriptor.
    /// let id = unsafe { base.keyed(None, key, spec, handler(), later) }.unwrap();
    /// // Later calls find that record (this handler goes unused).
    /// // SAFETY: the same timer, still no descriptor.
    /// let again =
    ///     unsafe { base.keyed(Some(id), key, spec, handler(), KeyedOp::Activate(Ev::WRITE, 1)) };
    /// assert_eq!(again.unwrap(), id);
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::WRITE]);
    /// assert_eq!(base.find_key(key), None); // idle after its run, so freed
    /// ```
    ///
    /// # Safety
    ///
    /// For an I/O `spec`, as [`RawBase::create_fd`]: `spec.fd` stays open
    /// until the event is deleted or freed (the C program's promise to
    /// libevent).
    #[inline]
    pub unsafe fn keyed(
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
    ///
    /// ```
    /// use oxevent::{Base, Closure};
    ///
    /// let base = Base::<Vec<&'static str>>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// let fin = Closure::new(|log: &mut Vec<&'static str>, _, _| log.push("finalized"));
    /// base.finalize(t, fin).unwrap();
    /// let mut log = Vec::new();
    /// base.run_pending_finalizers(&mut log); // no loop needed
    /// assert_eq!(log, ["finalized"]);
    /// assert!(base.info(t).is_err()); // freed
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, DelMode, Ev, EventSpec, Timeout};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let later = Some(Timeout::After(Duration::from_secs(60)));
    /// let id = base.create_pending(spec, Closure::new(|_, _, _| {}), 0x1000, later).unwrap();
    /// base.del_keyed(id, 0x2000, DelMode::Auto); // another struct's: ignored
    /// assert!(base.is_live(id, 0x1000));
    /// base.del_keyed(id, 0x1000, DelMode::Auto);
    /// assert!(!base.is_live(id, 0x1000)); // transient and idle: freed
    /// base.del_keyed(id, 0x1000, DelMode::Auto); // a stale id is simply not pending
    /// ```
    pub fn del_keyed(&self, id: EventId, key: usize, mode: DelMode) {
        let core = self.lock();
        if !core.rec(id).is_ok_and(|r| r.key == key) {
            return;
        }
        self.del_locked(core, id, mode);
    }

    /// The live record created for the struct at `key`, if any.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, EventSpec, Timeout};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let later = Some(Timeout::After(Duration::from_secs(60)));
    /// let id = base.create_pending(spec, Closure::new(|_, _, _| {}), 0x1000, later).unwrap();
    /// assert_eq!(base.find_key(0x1000), Some(id));
    /// assert_eq!(base.find_key(0x2000), None);
    /// ```
    pub fn find_key(&self, key: usize) -> Option<EventId> {
        self.lock().by_key(key)
    }

    /// Deletes and forgets the record of the struct at `key` (the program is
    /// re-assigning or re-using that memory). Returns whether there was one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, EventSpec, LoopExit, Timeout};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let later = Some(Timeout::After(Duration::from_secs(60)));
    /// let id = base.create_pending(spec, Closure::new(|_, _, _| {}), 0x1000, later).unwrap();
    /// assert!(base.forget_key(0x1000));
    /// assert!(!base.is_live(id, 0x1000));
    /// assert!(!base.forget_key(0x1000)); // nothing left to forget
    /// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Config, Ev};
    ///
    /// let mut cfg = Config::new();
    /// cfg.notifiable(false);
    /// let base = Base::<bool>::with_config(&cfg).unwrap();
    /// base.make_notifiable().unwrap();
    /// base.make_notifiable().unwrap(); // already notifiable: nothing to do
    /// let t = base.timer(|woken: &mut bool, _, _| *woken = true).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let remote = base.clone();
    /// let waker = std::thread::spawn(move || {
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     remote.activate(t, Ev::TIMEOUT).unwrap();
    /// });
    /// let mut woken = false;
    /// base.dispatch(&mut woken).unwrap(); // the eventfd ends the 60 s wait
    /// waker.join().unwrap();
    /// assert!(woken);
    /// ```
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
    ///
    /// ```
    /// use oxevent::{Base, Closure, Ev, EventSpec};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
    /// let id = base.create(spec, Closure::new(|_, _, _| {}), 0x1000, false).unwrap();
    /// assert!(base.is_live(id, 0x1000));
    /// assert!(!base.is_live(id, 0x2000)); // created for another struct
    /// base.free(id).unwrap();
    /// assert!(!base.is_live(id, 0x1000));
    /// ```
    pub fn is_live(&self, id: EventId, key: usize) -> bool {
        let core = self.lock();
        core.rec(id).is_ok_and(|r| r.key == key)
    }

    /// Makes `id` pending, with an optional timeout from now. A pending event
    /// gets its timeout rescheduled; `None` leaves an existing timeout alone.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap(); // rescheduled, not doubled
    /// base.add(t, None).unwrap(); // keeps the 1 ms timeout
    /// let left = base.pending(t, Ev::TIMEOUT).unwrap().remaining.unwrap();
    /// assert!(left <= Duration::from_millis(1));
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn add(&self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        let when = timeout.map(|d| When::After(duration_ns(d)));
        self.add_when(id, when)
    }

    /// Makes `id` pending with a common timeout.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<u32>::new().unwrap();
    /// let two_ms = base.init_common_timeout(Duration::from_millis(2)).unwrap();
    /// for _ in 0..3 {
    ///     let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    ///     base.add_common(t, two_ms).unwrap(); // one O(1) queue for all three
    /// }
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn add_common(&self, id: EventId, timeout: CommonTimeout) -> Result<()> {
        self.add_when(id, Some(When::Common(timeout.index)))
    }

    /// Like [`RawBase::add`] with the timeout given as an absolute
    /// monotonic deadline in nanoseconds (see [`RawBase::now_ns`]).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<bool>::new().unwrap();
    /// let t = base.timer(|fired: &mut bool, _, _| *fired = true).unwrap();
    /// let deadline = base.now_ns() + 2_000_000; // 2 ms from now
    /// base.add_at(t, deadline).unwrap();
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns, Some(deadline));
    /// let mut fired = false;
    /// base.dispatch(&mut fired).unwrap();
    /// assert!(fired);
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Timeout};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let queue = base.init_common_timeout(Duration::from_millis(1)).unwrap();
    /// let at = base.now_ns() + 1_000_000;
    /// let ways = [
    ///     Timeout::After(Duration::from_millis(1)),
    ///     Timeout::At(at),
    ///     Timeout::Common(queue),
    /// ];
    /// for timeout in ways {
    ///     let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    ///     base.add_with(t, Some(timeout)).unwrap();
    /// }
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn add_with(&self, id: EventId, timeout: Option<Timeout>) -> Result<()> {
        self.add_when(id, timeout.map(Timeout::into_when))
    }

    /// Makes `id` non-pending and non-active (`event_del`); deleting a
    /// non-pending event does nothing. From another thread, waits for the
    /// event's running callback unless it has `FINALIZE`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// base.del(t).unwrap();
    /// base.del(t).unwrap(); // not pending: nothing to do
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    /// let mut n = 0;
    /// assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
    /// assert_eq!(n, 0);
    /// base.add(t, Some(Duration::from_millis(1))).unwrap(); // still usable
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn del(&self, id: EventId) -> Result<()> {
        self.del_with(id, DelMode::Auto)
    }

    /// [`RawBase::del`] with an explicit waiting mode.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::{mpsc, Arc};
    /// use std::time::Duration;
    /// use oxevent::{Base, DelMode, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let flag = done.clone();
    /// let (started_tx, started) = mpsc::channel();
    /// let t = base
    ///     .timer(move |_, _, _| {
    ///         started_tx.send(()).unwrap();
    ///         std::thread::sleep(Duration::from_millis(10));
    ///         flag.store(true, Ordering::SeqCst);
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let remote = base.clone();
    /// let deleter = std::thread::spawn(move || {
    ///     started.recv().unwrap(); // the callback runs now, in the loop's thread
    ///     remote.del_with(t, DelMode::Block).unwrap();
    ///     assert!(done.load(Ordering::SeqCst)); // `Block` waited for it to return
    /// });
    /// base.dispatch(&mut ()).unwrap();
    /// deleter.join().unwrap();
    /// ```
    pub fn del_with(&self, id: EventId, mode: DelMode) -> Result<()> {
        let core = self.lock();
        core.rec(id)?;
        self.del_locked(core, id, mode);
        Ok(())
    }

    /// `event_del` on a live record: deletes it, wakes the loop, waits for
    /// its running callback as `mode` says, then frees it if it is transient.
    fn del_locked<'a>(&'a self, mut core: LockGuard<'a, Core<H>>, id: EventId, mode: DelMode) {
        crate::log::debug_log!("event_del: event {id:?}");
        let events = core.rec(id).map_or(Ev::NONE, |r| r.events);
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

    pub(crate) fn wait_not_running<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        id: EventId,
        wait: bool,
    ) -> LockGuard<'a, Core<H>> {
        if !wait {
            return core;
        }
        while core.current == Some(id)
            && core.running_loop
            && core.loop_thread != sys::thread_token()
        {
            core.current_waiters += 1;
            core = self.shared.cond.wait(core);
        }
        core
    }

    /// Removes only the timeout of a pending event (`event_remove_timer`).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.remove_timer(id).unwrap();
    /// let p = base.pending(id, Ev::READ | Ev::TIMEOUT).unwrap();
    /// assert_eq!(p.what, Ev::READ); // still waiting for input, with no timeout
    /// assert_eq!(p.remaining, None);
    /// ```
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
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use oxevent::{Base, Error, LoopExit};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let token = Arc::new(());
    /// let held = token.clone();
    /// let t = base.timer(move |_, _, _| drop(held.clone())).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// base.free(t).unwrap();
    /// assert_eq!(Arc::strong_count(&token), 1); // the handler was dropped
    /// assert!(matches!(base.info(t), Err(Error::NoSuchEvent)));
    /// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
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
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let t = base.timer(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what)).unwrap();
    /// base.activate(t, Ev::READ).unwrap(); // never added: it runs anyway
    /// base.activate(t, Ev::WRITE).unwrap(); // already active: results merge
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ | Ev::WRITE]);
    /// ```
    pub fn activate(&self, id: EventId, what: Ev) -> Result<()> {
        self.activate_n(id, what, 1)
    }

    /// [`RawBase::activate`] with a signal-delivery count.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let s = base
    ///     .signal(libc::SIGUSR1, Ev::NONE, |n: &mut u32, _, fired| {
    ///         assert_eq!(fired.what, Ev::SIGNAL);
    ///         *n += 1;
    ///     })
    ///     .unwrap();
    /// base.activate_n(s, Ev::SIGNAL, 3).unwrap(); // as if SIGUSR1 arrived 3 times
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn activate_n(&self, id: EventId, what: Ev, ncalls: u16) -> Result<()> {
        let mut core = self.lock();
        core.rec(id)?;
        core.activate_nolock(id.idx, what, ncalls);
        self.notify(&core);
        Ok(())
    }

    /// Which of `mask`'s flags are pending or active for `id`, and the time
    /// left on its timeout.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// let p = base.pending(id, Ev::READ | Ev::WRITE | Ev::TIMEOUT).unwrap();
    /// assert_eq!(p.what, Ev::READ | Ev::TIMEOUT);
    /// assert!(p.remaining.unwrap() > Duration::from_secs(59));
    /// assert_eq!(base.pending(id, Ev::WRITE).unwrap().what, Ev::NONE); // masked out
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer_with(Ev::PERSIST, |_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let info = base.info(t).unwrap();
    /// assert_eq!((info.id, info.fd, info.key), (t, -1, 0));
    /// assert_eq!(info.events, Ev::PERSIST);
    /// assert!(!info.inserted && info.active.is_none());
    /// assert!(info.timeout.unwrap() <= Duration::from_secs(60));
    /// ```
    pub fn info(&self, id: EventId) -> Result<EventInfo> {
        let mut core = self.lock();
        let now = core.now();
        let rec = core.rec(id)?;
        Ok(info_of(id, rec, now))
    }

    /// Sets an event's priority (`event_priority_set`): refused while active
    /// or out of range.
    ///
    /// ```
    /// use oxevent::{Base, Error, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// assert!(matches!(base.set_priority(t, 1), Err(Error::BadPriority(1)))); // only 0 yet
    /// base.priority_init(3).unwrap();
    /// base.set_priority(t, 2).unwrap();
    /// assert_eq!(base.info(t).unwrap().priority, 2);
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// assert!(matches!(base.set_priority(t, 0), Err(Error::EventActive)));
    /// ```
    pub fn set_priority(&self, id: EventId, priority: u8) -> Result<()> {
        let mut core = self.lock();
        let n = core.act.active.len();
        let rec = core.rec_mut(id)?;
        if rec.state & state::ACTIVE != 0 {
            return Err(Error::EventActive);
        }
        if usize::from(priority) >= n {
            return Err(Error::BadPriority(priority));
        }
        rec.pri = priority;
        Ok(())
    }

    /// Sets how many priorities the base has (`event_base_priority_init`):
    /// `1..=255` (libevent's `EVENT_MAX_PRIORITIES` is 256, exclusive), refused
    /// while events are active. Priorities are `u8` throughout: `0..n`.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// base.priority_init(2).unwrap();
    /// // New events get the middle priority (2 / 2 = 1); lower numbers run first.
    /// let low = base.timer(|log: &mut Log, _, _| log.push("low")).unwrap();
    /// let high = base.timer(|log: &mut Log, _, _| log.push("high")).unwrap();
    /// base.set_priority(high, 0).unwrap();
    /// base.activate(low, Ev::TIMEOUT).unwrap();
    /// base.activate(high, Ev::TIMEOUT).unwrap();
    /// assert!(base.priority_init(4).is_err()); // refused while events are active
    /// let mut log = Log::new();
    /// base.dispatch(&mut log).unwrap();
    /// assert_eq!(log, ["high", "low"]);
    /// assert!(base.priority_init(0).is_err());
    /// ```
    pub fn priority_init(&self, n: u8) -> Result<()> {
        let mut core = self.lock();
        if core.act.n_active > 0 || n == 0 {
            return Err(Error::BadPriority(n));
        }
        core.act.active = (0..n).map(|_| ActiveQueue::default()).collect();
        Ok(())
    }

    /// The number of priorities.
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert_eq!(base.npriorities(), 1);
    /// base.priority_init(8).unwrap();
    /// assert_eq!(base.npriorities(), 8);
    /// ```
    pub fn npriorities(&self) -> u8 {
        // At most 255 queues: `priority_init` takes a `u8`.
        self.lock().act.active.len() as u8
    }

    /// Deletes a pending event and arranges for `finalizer` to run once in
    /// the loop, after which the event is freed (`event_finalize`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Error, Ev};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let t = base.timer(|_, _, _| unreachable!()).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let fin = Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// base.finalize(t, fin).unwrap();
    /// assert!(matches!(base.add(t, None), Err(Error::Finalizing)));
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::FINALIZE]);
    /// assert!(base.info(t).is_err()); // freed after its finalizer
    /// ```
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

    /// Runs `handler` once when the timeout elapses (`event_base_once` with
    /// `EV_TIMEOUT`); with no timeout it runs at the next loop turn. `fd` is
    /// passed to the handler unchanged. I/O flags are refused here (see
    /// [`RawBase::once_fd`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, Timeout};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let record = || Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// let soon = Some(Timeout::After(Duration::from_millis(1)));
    /// base.once(-1, Ev::TIMEOUT, soon, record()).unwrap();
    /// base.once(-1, Ev::TIMEOUT, None, record()).unwrap(); // runs at the next turn
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap(); // both ran once, then were freed
    /// assert_eq!(seen, [Ev::TIMEOUT, Ev::TIMEOUT]);
    /// assert!(base.once(-1, Ev::TIMEOUT | Ev::PERSIST, None, record()).is_err());
    /// assert!(base.once(0, Ev::READ, None, record()).is_err()); // I/O: once_fd
    /// ```
    pub fn once(
        &self,
        fd: RawFd,
        events: Ev,
        timeout: Option<Timeout>,
        handler: H,
    ) -> Result<EventId> {
        refuse_raw_io(events)?;
        self.once_inner(fd, events, timeout, handler)
    }

    /// [`RawBase::once`] for I/O too: runs `handler` once when `fd` is ready
    /// for `events` or the timeout elapses (`event_base_once`).
    ///
    /// # Safety
    ///
    /// With I/O flags, as [`RawBase::create_fd`]: `fd` stays open until the
    /// event has run or been freed.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Closure, Ev, Timeout};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let record = || Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// let a_minute = Some(Timeout::After(Duration::from_secs(60)));
    /// // SAFETY: `a` outlives the loop run below, where the event runs.
    /// unsafe { base.once_fd(a.as_raw_fd(), Ev::READ, a_minute, record()) }.unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap(); // it ran once, then was freed
    /// assert_eq!(seen, [Ev::READ]);
    /// ```
    pub unsafe fn once_fd(
        &self,
        fd: RawFd,
        events: Ev,
        timeout: Option<Timeout>,
        handler: H,
    ) -> Result<EventId> {
        self.once_inner(fd, events, timeout, handler)
    }

    pub(crate) fn once_inner(
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
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let ten = base.init_common_timeout(Duration::from_millis(10)).unwrap();
    /// let twenty = base.init_common_timeout(Duration::from_millis(20)).unwrap();
    /// assert_ne!(ten.index(), twenty.index());
    /// assert_eq!(base.init_common_timeout(Duration::from_millis(10)).unwrap(), ten);
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let q = base.init_common_timeout(Duration::from_millis(5)).unwrap();
    /// assert_eq!(base.common_timeout(q.index()), Some(q));
    /// assert_eq!(base.common_timeout(q.index() + 1), None);
    /// ```
    pub fn common_timeout(&self, index: u16) -> Option<CommonTimeout> {
        let core = self.lock();
        core.common.get(index as usize).map(|q| CommonTimeout {
            index,
            nanos: q.nanos,
        })
    }

    /// Runs the loop until no events are left or it is stopped (`event_base_dispatch`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit};
    ///
    /// let base = Base::<Vec<u64>>::new().unwrap();
    /// for ms in [2, 1] {
    ///     let t = base.timer(move |done: &mut Vec<u64>, _, _| done.push(ms)).unwrap();
    ///     base.add(t, Some(Duration::from_millis(ms))).unwrap();
    /// }
    /// let mut done = Vec::new();
    /// assert_eq!(base.dispatch(&mut done).unwrap(), LoopExit::NoEvents);
    /// done.sort();
    /// assert_eq!(done, [1, 2]);
    /// ```
    pub fn dispatch(&self, data: &mut H::Data) -> Result<LoopExit> {
        self.run(LoopFlags::default(), data)
    }

    /// Asks the loop to stop after `delay` (now with `None`), once the
    /// callbacks of that turn ran (`event_base_loopexit`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// let a = base
    ///     .timer(|log: &mut Log, base, _| {
    ///         log.push("a");
    ///         base.loopexit(None).unwrap();
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// let later = base.timer(|log: &mut Log, _, _| log.push("later")).unwrap();
    /// base.add(later, Some(Duration::from_secs(60))).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::Stopped);
    /// assert_eq!(log, ["a", "b"]); // `b` still ran in that turn
    /// assert!(base.got_exit());
    /// ```
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
    ///
    /// ```
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// let a = base
    ///     .timer(|log: &mut Log, base, _| {
    ///         log.push("a");
    ///         base.loopbreak();
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::Stopped);
    /// assert_eq!(log, ["a"]);
    /// assert!(base.got_break());
    /// assert_eq!(base.info(b).unwrap().active, Some(Ev::TIMEOUT)); // left for next time
    /// ```
    pub fn loopbreak(&self) {
        let mut core = self.lock();
        core.event_break = true;
        self.notify(&core);
    }

    /// Makes the loop re-check for higher-priority events after the running
    /// callback (`event_base_loopcontinue`).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// base.priority_init(2).unwrap();
    /// let (r, mut w) = UnixStream::pair().unwrap();
    /// let reader = base
    ///     .io(r, Ev::READ, |log: &mut Log, _, sock, _| {
    ///         sock.read_exact(&mut [0u8; 1]).unwrap();
    ///         log.push("reader");
    ///     })
    ///     .unwrap();
    /// base.set_priority(reader, 0).unwrap();
    /// base.add(reader, None).unwrap();
    /// let a = base
    ///     .timer(move |log: &mut Log, base, _| {
    ///         log.push("a");
    ///         w.write_all(b"x").unwrap(); // the reader becomes ready…
    ///         base.loopcontinue(); // …and the loop polls before running `b`
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// base.dispatch(&mut log).unwrap();
    /// assert_eq!(log, ["a", "reader", "b"]); // without loopcontinue: a, b, reader
    /// ```
    pub fn loopcontinue(&self) {
        let mut core = self.lock();
        core.act.event_continue = true;
        self.notify(&core);
    }

    /// Whether the last loop ended through `loopexit`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// base.loopexit(Some(Duration::from_millis(1))).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert!(base.got_exit() && !base.got_break());
    /// base.dispatch(&mut ()).unwrap(); // the next loop starts afresh
    /// assert!(!base.got_exit());
    /// ```
    pub fn got_exit(&self) -> bool {
        self.lock().event_gotterm
    }

    /// Whether the last loop ended through `loopbreak`.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, base, _| base.loopbreak()).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert!(base.got_break() && !base.got_exit());
    /// base.dispatch(&mut ()).unwrap(); // the next loop starts afresh
    /// assert!(!base.got_break());
    /// ```
    pub fn got_break(&self) -> bool {
        self.lock().event_break
    }

    /// The event whose callback runs now, if called from the loop's thread.
    ///
    /// ```
    /// use oxevent::{Base, Ev, EventId};
    ///
    /// type Seen = Option<(EventId, usize)>;
    /// let base = Base::<Seen>::new().unwrap();
    /// let t = base.timer(|seen: &mut Seen, base, _| *seen = base.running_event()).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let mut seen = None;
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, Some((t, 0))); // key 0: a Rust event, no C struct
    /// assert_eq!(base.running_event(), None); // no callback runs now
    /// ```
    pub fn running_event(&self) -> Option<(EventId, usize)> {
        let core = self.lock();
        if core.running_loop && core.loop_thread == sys::thread_token() {
            core.current.map(|id| (id, core.current_key))
        } else {
            None
        }
    }

    /// How many events of a kind the base holds now.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Count, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// assert_eq!(base.num_events(&[Count::Added]), 0); // created, not added
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// assert_eq!(base.num_events(&[Count::Added]), 2); // waits for I/O and a timeout
    /// base.del(id).unwrap();
    /// assert_eq!(base.num_events(&[Count::Added, Count::Active, Count::Virtual]), 0);
    /// ```
    pub fn num_events(&self, kinds: &[Count]) -> usize {
        let core = self.lock();
        kinds
            .iter()
            .map(|k| match k {
                Count::Active => core.act.n_active,
                Count::Virtual => core.virtual_count,
                Count::Added => core.act.event_count,
            })
            .sum()
    }

    /// The most events of a kind held at once; `clear` resets the maxima.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Count};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let ts: Vec<_> = (0..3).map(|_| base.timer(|_, _, _| {}).unwrap()).collect();
    /// for &t in &ts {
    ///     base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// }
    /// for &t in &ts[1..] {
    ///     base.del(t).unwrap();
    /// }
    /// assert_eq!(base.num_events(&[Count::Added]), 1);
    /// assert_eq!(base.max_events(&[Count::Added], true), 3); // read, then reset
    /// assert_eq!(base.max_events(&[Count::Added], false), 0);
    /// ```
    pub fn max_events(&self, kinds: &[Count], clear: bool) -> usize {
        let mut core = self.lock();
        let mut sum = 0;
        for k in kinds {
            sum += match k {
                Count::Active => core.act.n_active_max,
                Count::Virtual => core.virtual_max,
                Count::Added => core.act.event_count_max,
            };
        }
        if clear {
            for k in kinds {
                match k {
                    Count::Active => core.act.n_active_max = 0,
                    Count::Virtual => core.virtual_max = 0,
                    Count::Added => core.act.event_count_max = 0,
                }
            }
        }
        sum
    }

    /// Holds the loop open as if an event were pending (internal users).
    ///
    /// ```
    /// use oxevent::{Base, Count, LoopExit, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// base.add_virtual();
    /// assert_eq!(base.num_events(&[Count::Virtual]), 1);
    /// // The base no longer counts as empty.
    /// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(), LoopExit::Stopped);
    /// base.del_virtual();
    /// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
    pub fn add_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count += 1;
        core.virtual_max = core.virtual_max.max(core.virtual_count);
    }

    /// Releases one [`RawBase::add_virtual`].
    ///
    /// ```
    /// use oxevent::{Base, Count};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// base.add_virtual();
    /// base.add_virtual();
    /// base.del_virtual();
    /// assert_eq!(base.num_events(&[Count::Virtual]), 1);
    /// base.del_virtual();
    /// base.del_virtual(); // one too many: ignored
    /// assert_eq!(base.num_events(&[Count::Virtual]), 0);
    /// assert_eq!(base.max_events(&[Count::Virtual], false), 2);
    /// ```
    pub fn del_virtual(&self) {
        let mut core = self.lock();
        core.virtual_count = core.virtual_count.saturating_sub(1);
        self.notify(&core);
    }

    /// The monotonic time in nanoseconds, cached per loop turn.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let before = base.now_ns();
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert!(base.now_ns() > before); // outside the loop: read afresh each time
    /// ```
    pub fn now_ns(&self) -> u64 {
        self.lock().now()
    }

    /// Wall-clock time since the Unix epoch, from the loop's cached time
    /// when one is set (`event_base_gettimeofday_cached`).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    /// let ours = base.gettimeofday_cached();
    /// let skew = if ours > now { ours - now } else { now - ours };
    /// assert!(skew < Duration::from_secs(1));
    /// ```
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
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let deadline = base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns.unwrap();
    /// let wall = base.monotonic_to_wall(deadline);
    /// let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    /// let ahead = wall.saturating_sub(now);
    /// assert!(ahead > Duration::from_secs(59) && ahead < Duration::from_secs(61));
    /// ```
    pub fn monotonic_to_wall(&self, mono_ns: u64) -> Duration {
        let mut core = self.lock();
        let ns = mono_ns as i128 + core.wall_offset_now();
        Duration::from_nanos(ns.max(0) as u64)
    }

    /// Refreshes the cached time if the loop is running (`event_base_update_cache_time`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<[u64; 3]>::new().unwrap();
    /// let t = base
    ///     .timer(|t: &mut [u64; 3], base, _| {
    ///         t[0] = base.now_ns();
    ///         std::thread::sleep(Duration::from_millis(5));
    ///         t[1] = base.now_ns(); // still this turn's cached time
    ///         base.update_cache_time();
    ///         t[2] = base.now_ns(); // refreshed
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let mut times = [0; 3];
    /// base.dispatch(&mut times).unwrap();
    /// assert_eq!(times[0], times[1]);
    /// assert!(times[2] > times[1]);
    /// ```
    pub fn update_cache_time(&self) {
        let mut core = self.lock();
        if core.running_loop {
            core.update_cache();
        }
    }

    /// A snapshot of every event, in libevent's order: inserted, then timers
    /// only, then active only (the engine's own internal events are flagged in
    /// [`EventInfo::internal`]).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let active = base.timer(|_, _, _| {}).unwrap();
    /// let timer = base.timer(|_, _, _| {}).unwrap();
    /// let io = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.activate(active, Ev::TIMEOUT).unwrap();
    /// base.add(timer, Some(Duration::from_secs(60))).unwrap();
    /// base.add(io, None).unwrap();
    /// let ids: Vec<_> = base.events().iter().map(|e| e.id).collect();
    /// assert_eq!(ids, [io, timer, active]); // inserted, timers only, active only
    /// ```
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
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let fd = a.as_raw_fd();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::READ, |seen: &mut Vec<Ev>, _, _, fired| seen.push(fired.what))
    ///     .unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.active_by_fd(fd, Ev::WRITE); // it does not wait for WRITE: nothing
    /// assert_eq!(base.info(id).unwrap().active, None);
    /// base.active_by_fd(fd, Ev::READ); // as if `fd` were readable (it is not)
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.active_by_fd(fd, Ev::TIMEOUT); // the events on `fd` that have a timeout
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ, Ev::TIMEOUT]);
    /// ```
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
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Vec<(i32, Ev)>>::new().unwrap();
    /// let s = base
    ///     .signal(libc::SIGUSR1, Ev::NONE, |seen: &mut Vec<(i32, Ev)>, _, fired| {
    ///         seen.push((fired.fd, fired.what))
    ///     })
    ///     .unwrap();
    /// base.add(s, None).unwrap();
    /// base.active_by_signal(libc::SIGUSR1); // no signal is raised
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [(libc::SIGUSR1, Ev::SIGNAL)]);
    /// ```
    pub fn active_by_signal(&self, signal: i32) {
        let mut core = self.lock();
        if sig::valid(signal) {
            core.activate_signal(signal, 1);
        }
        self.notify(&core);
    }

    /// Rebuilds the backend and the signal and wakeup plumbing after `fork()`
    /// (`event_reinit`). Every pending event stays pending.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<u8>>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::READ, |got: &mut Vec<u8>, _, sock, _| {
    ///         let mut buf = [0u8; 64];
    ///         let n = sock.read(&mut buf).unwrap();
    ///         got.extend_from_slice(&buf[..n]);
    ///     })
    ///     .unwrap();
    /// base.add(id, None).unwrap();
    /// base.reinit().unwrap(); // what a child does after fork(); harmless here
    /// assert_eq!(base.pending(id, Ev::READ).unwrap().what, Ev::READ);
    /// b.write_all(b"still watched").unwrap();
    /// let mut got = Vec::new();
    /// base.dispatch(&mut got).unwrap();
    /// assert_eq!(got, b"still watched");
    /// ```
    pub fn reinit(&self) -> Result<()> {
        let mut core = self.lock();
        core.reinit()
    }
}

/// The safe creators take no raw descriptor: I/O goes through the `unsafe`
/// `*_fd` twins (or [`Base::io`](crate::Base::io), which owns its source).
fn refuse_raw_io(events: Ev) -> Result<()> {
    if events.intersects(Ev::IO) {
        return Err(Error::BadFlags(
            "an I/O event on a raw fd needs create_fd/once_fd (unsafe), or Base::io",
        ));
    }
    Ok(())
}

/// What [`RawBase::keyed`] does to the record.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Closure, Ev, EventSpec, KeyedOp, Timeout};
///
/// let base = Base::<Vec<Ev>>::new().unwrap();
/// let key = 0x1000;
/// let spec = EventSpec { fd: -1, events: Ev::NONE, priority: None };
/// let cb = || Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
/// let later = KeyedOp::Add(Some(Timeout::After(Duration::from_secs(60))));
/// // SAFETY: a timer, no descriptor.
/// let id = unsafe { base.keyed(None, key, spec, cb(), later) }.unwrap();
/// // SAFETY: the same timer, still no descriptor.
/// let same = unsafe { base.keyed(Some(id), key, spec, cb(), KeyedOp::Finalize(cb())) }.unwrap();
/// assert_eq!(same, id);
/// let mut seen = Vec::new();
/// base.dispatch(&mut seen).unwrap(); // the timeout was cancelled: only the finalizer
/// assert_eq!(seen, [Ev::FINALIZE]);
/// assert_eq!(base.find_key(key), None);
/// ```
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
    Common(CommonTimeout),
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
