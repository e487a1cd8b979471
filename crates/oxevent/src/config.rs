//! Base configuration (libevent's `struct event_config`).
//!
//! Owns only the settings; the base reads them once when it is built.

use std::time::Duration;

use crate::sys::Features;

/// Flags of [`Config::flag`] (libevent's `EVENT_BASE_FLAG_*`).
///
/// ```
/// use oxevent::{Base, BaseFlags, Config};
///
/// let mut cfg = Config::new();
/// cfg.flag(BaseFlags::IGNORE_ENV).flag(BaseFlags::NO_CACHE_TIME);
/// let base = Base::<()>::with_config(&cfg).unwrap();
/// assert_eq!(base.method(), "epoll"); // whatever EVENT_NOEPOLL says
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseFlags(pub u32);

impl BaseFlags {
    /// No lock: the base is used from one thread only (`NOLOCK`). oxevent
    /// keeps its lock (it is uncontended and cheap) but skips the wakeup fd.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::NOLOCK);
    /// let base = Base::<u32>::with_config(&cfg).unwrap();
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub const NOLOCK: BaseFlags = BaseFlags(0x01);
    /// Ignore the `EVENT_*` environment variables (`IGNORE_ENV`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV);
    /// // EVENT_NOEPOLL, EVENT_SHOW_METHOD … cannot change this base.
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll");
    /// ```
    pub const IGNORE_ENV: BaseFlags = BaseFlags(0x02);
    /// Windows only in libevent; accepted and ignored (`STARTUP_IOCP`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::STARTUP_IOCP);
    /// assert!(Base::<()>::with_config(&cfg).is_ok());
    /// ```
    pub const STARTUP_IOCP: BaseFlags = BaseFlags(0x04);
    /// Read the clock at every use instead of once per loop turn (`NO_CACHE_TIME`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, BaseFlags, Config, Ev};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::NO_CACHE_TIME);
    /// let base = Base::<[u64; 2]>::with_config(&cfg).unwrap();
    /// let t = base
    ///     .timer(|t: &mut [u64; 2], base, _| {
    ///         t[0] = base.now_ns();
    ///         std::thread::sleep(Duration::from_millis(5));
    ///         t[1] = base.now_ns(); // no per-turn cache: the clock moved on
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let mut times = [0; 2];
    /// base.dispatch(&mut times).unwrap();
    /// assert!(times[1] > times[0]);
    /// ```
    pub const NO_CACHE_TIME: BaseFlags = BaseFlags(0x08);
    /// Coalesce epoll changes until the next wait (`EPOLL_USE_CHANGELIST`).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, BaseFlags, Config, Ev};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::EPOLL_USE_CHANGELIST);
    /// let base = Base::<bool>::with_config(&cfg).unwrap();
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let id = base.io(a, Ev::READ, |got: &mut bool, _, _, _| *got = true).unwrap();
    /// base.add(id, None).unwrap(); // reaches epoll at the next wait
    /// b.write_all(b"x").unwrap();
    /// let mut got = false;
    /// base.dispatch(&mut got).unwrap();
    /// assert!(got);
    /// ```
    pub const EPOLL_USE_CHANGELIST: BaseFlags = BaseFlags(0x10);
    /// Use a precise clock and timerfd waits (`PRECISE_TIMER`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::PRECISE_TIMER);
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// let start = Instant::now();
    /// base.add(t, Some(Duration::from_millis(5))).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert!(start.elapsed() >= Duration::from_millis(5)); // never early
    /// ```
    pub const PRECISE_TIMER: BaseFlags = BaseFlags(0x20);

    /// Whether every bit of `other` is set.
    ///
    /// ```
    /// use oxevent::BaseFlags;
    ///
    /// let flags = BaseFlags::IGNORE_ENV | BaseFlags::NO_CACHE_TIME;
    /// assert!(flags.contains(BaseFlags::IGNORE_ENV));
    /// assert!(flags.contains(BaseFlags::NO_CACHE_TIME));
    /// assert!(!flags.contains(BaseFlags::NOLOCK));
    /// ```
    pub fn contains(self, other: BaseFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Flags combine with `|`.
///
/// ```
/// use oxevent::BaseFlags;
///
/// let flags = BaseFlags::IGNORE_ENV | BaseFlags::NO_CACHE_TIME;
/// assert!(flags.contains(BaseFlags::IGNORE_ENV | BaseFlags::NO_CACHE_TIME));
/// assert!(!flags.contains(BaseFlags::NOLOCK));
/// ```
impl std::ops::BitOr for BaseFlags {
    type Output = BaseFlags;
    fn bitor(self, other: BaseFlags) -> BaseFlags {
        BaseFlags(self.0 | other.0)
    }
}

/// `flags |= other`.
///
/// ```
/// use oxevent::BaseFlags;
///
/// let mut flags = BaseFlags::default();
/// flags |= BaseFlags::PRECISE_TIMER;
/// assert_eq!(flags, BaseFlags::PRECISE_TIMER);
/// ```
impl std::ops::BitOrAssign for BaseFlags {
    fn bitor_assign(&mut self, other: BaseFlags) {
        self.0 |= other.0;
    }
}

/// How the base lock treats the thread that creates the base
/// ([`Config::lock_bias`]).
///
/// A biased lock belongs to that thread, which then locks and unlocks with
/// plain loads and stores, no atomic operation (where libevent, without
/// threading, takes no lock at all). The first lock from any other thread
/// revokes the bias with one `membarrier(2)` call, and from then on every
/// thread takes the ordinary atomic lock. Sharing a base stays safe either
/// way. If the kernel refuses `membarrier` when a bias must be revoked (a
/// seccomp filter installed after the base was made), the process aborts
/// with a message rather than let two threads in.
///
/// ```
/// use oxevent::{Base, Config, LockBias};
///
/// for bias in [LockBias::Off, LockBias::IfSupported, LockBias::Assume] {
///     let mut cfg = Config::new();
///     cfg.lock_bias(bias);
///     let base = Base::<u8>::with_config(&cfg).unwrap();
///     base.once_timer(None, |n: &mut u8, _| *n += 1).unwrap();
///     let mut n = 0;
///     base.dispatch(&mut n).unwrap();
///     assert_eq!(n, 1);
/// }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LockBias {
    /// Never biased: every lock is an atomic compare-exchange. For a base
    /// that other threads use from the start.
    Off,
    /// Biased when the kernel says it has the expedited `membarrier` (one
    /// query per process, at the first such base). The default.
    IfSupported,
    /// Biased with no query: a program whose other threads never touch the
    /// base (libevent's contract for a base made without threading) never
    /// makes a `membarrier` call at all. The C face's choice for such bases.
    Assume,
}

/// How a base is built.
///
/// ```
/// use oxevent::{Base, BaseFlags, Config};
/// let mut cfg = Config::new();
/// cfg.avoid_method("epoll");
/// cfg.flag(BaseFlags::IGNORE_ENV);
/// let base = Base::<()>::with_config(&cfg).unwrap();
/// assert_ne!(base.method(), "epoll");
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) avoid: Vec<String>,
    pub(crate) require: Features,
    pub(crate) flags: BaseFlags,
    pub(crate) max_dispatch_interval: Option<Duration>,
    pub(crate) max_callbacks: Option<u32>,
    pub(crate) limit_after_prio: u32,
    pub(crate) notifiable: bool,
    pub(crate) cpus_hint: u32,
    pub(crate) accept_negative_fd: bool,
    pub(crate) lock_bias: LockBias,
    pub(crate) external_lock: Option<LockMaker>,
}

/// Makes the program's lock for each new base (the C face's evthread lock
/// callbacks); see [`crate::__ffi`].
#[derive(Clone)]
pub struct LockMaker(
    pub std::sync::Arc<dyn Fn() -> Box<dyn crate::sys::lock::ExternalLock> + Send + Sync>,
);

impl LockMaker {
    pub(crate) fn make(&self) -> Box<dyn crate::sys::lock::ExternalLock> {
        (self.0)()
    }
}

impl std::fmt::Debug for LockMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockMaker(..)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The default configuration: best backend, environment honoured.
    ///
    /// ```
    /// let cfg = oxevent::Config::new();
    /// assert!(oxevent::Base::<()>::with_config(&cfg).is_ok());
    /// ```
    pub fn new() -> Config {
        Config {
            avoid: Vec::new(),
            require: Features::default(),
            flags: BaseFlags::default(),
            max_dispatch_interval: None,
            max_callbacks: None,
            limit_after_prio: 0,
            notifiable: true,
            cpus_hint: 0,
            accept_negative_fd: false,
            lock_bias: LockBias::IfSupported,
            external_lock: None,
        }
    }

    /// Never use the backend called `method` (`"epoll"`, `"poll"`, `"select"`).
    ///
    /// ```
    /// let mut cfg = oxevent::Config::new();
    /// cfg.avoid_method("epoll").avoid_method("poll");
    /// let base = oxevent::Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "select");
    /// ```
    pub fn avoid_method(&mut self, method: &str) -> &mut Config {
        self.avoid.push(method.to_owned());
        self
    }

    /// Only accept a backend offering every feature in `features`.
    ///
    /// ```
    /// use oxevent::{Config, Features};
    /// let mut cfg = Config::new();
    /// cfg.require_features(Features::FDS);
    /// let base = oxevent::Base::<()>::with_config(&cfg).unwrap();
    /// assert!(base.features().contains(Features::FDS));
    /// ```
    pub fn require_features(&mut self, features: Features) -> &mut Config {
        self.require = features;
        self
    }

    /// Sets a base flag.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::PRECISE_TIMER).flag(BaseFlags::IGNORE_ENV); // flags add up
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll"); // IGNORE_ENV: EVENT_NOEPOLL was not consulted
    /// ```
    pub fn flag(&mut self, flag: BaseFlags) -> &mut Config {
        self.flags.0 |= flag.0;
        self
    }

    /// Limits one loop turn at priorities `>= min_priority`: at most
    /// `max_callbacks` callbacks and at most `max_interval` of time before the
    /// loop checks for new events (`event_config_set_max_dispatch_interval`).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Config, Ev};
    ///
    /// type Log = Vec<&'static str>;
    /// let mut cfg = Config::new();
    /// cfg.max_dispatch(None, Some(1), 0); // one callback, then look for new events
    /// let base = Base::<Log>::with_config(&cfg).unwrap();
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
    ///     .timer(move |log: &mut Log, _, _| {
    ///         log.push("a");
    ///         w.write_all(b"x").unwrap();
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// base.dispatch(&mut log).unwrap();
    /// assert_eq!(log, ["a", "reader", "b"]); // unlimited: a, b, reader
    /// ```
    pub fn max_dispatch(
        &mut self,
        max_interval: Option<Duration>,
        max_callbacks: Option<u32>,
        min_priority: u32,
    ) -> &mut Config {
        self.max_dispatch_interval = max_interval;
        self.max_callbacks = max_callbacks;
        self.limit_after_prio = min_priority;
        self
    }

    /// Whether other threads can wake the loop (an eventfd). On by default in
    /// Rust; the C face follows libevent (only after `evthread_use_pthreads`).
    ///
    /// ```
    /// let mut cfg = oxevent::Config::new();
    /// cfg.notifiable(false); // no eventfd; only same-thread use
    /// let base = oxevent::Base::<u32>::with_config(&cfg).unwrap();
    /// base.once_timer(None, |n: &mut u32, _| *n += 1).unwrap();
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap(); // a single thread needs no wakeups
    /// assert_eq!(n, 1);
    /// ```
    pub fn notifiable(&mut self, on: bool) -> &mut Config {
        self.notifiable = on;
        self
    }

    /// Accept I/O events on a negative fd as pending events that never fire,
    /// as libevent does (its C face turns this on). Off by default: the Rust
    /// API refuses them with [`crate::Error::BadFd`].
    ///
    /// ```
    /// let mut cfg = oxevent::Config::new();
    /// cfg.accept_negative_fd(true); // what the C face sets for every base
    /// assert!(oxevent::Base::<()>::with_config(&cfg).is_ok());
    /// ```
    pub fn accept_negative_fd(&mut self, on: bool) -> &mut Config {
        self.accept_negative_fd = on;
        self
    }

    /// Whether the base lock is biased toward the thread that creates the
    /// base (see [`LockBias`]; default [`LockBias::IfSupported`]).
    ///
    /// ```
    /// use oxevent::{Base, Config, Ev, LockBias};
    ///
    /// let base = Base::<u32>::new().unwrap(); // biased here
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// let remote = base.remote();
    /// // The first lock on another thread revokes the bias.
    /// std::thread::spawn(move || remote.activate(t, Ev::TIMEOUT).unwrap())
    ///     .join()
    ///     .unwrap();
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap(); // the creator now takes the atomic lock
    /// assert_eq!(n, 1);
    ///
    /// let mut cfg = Config::new();
    /// cfg.lock_bias(LockBias::Off);
    /// assert!(Base::<()>::with_config(&cfg).is_ok());
    /// ```
    pub fn lock_bias(&mut self, bias: LockBias) -> &mut Config {
        self.lock_bias = bias;
        self
    }

    /// A hint of how many CPUs to use; recorded, unused on Linux (as in libevent).
    ///
    /// ```
    /// let base = oxevent::Base::<()>::with_config(oxevent::Config::new().cpus_hint(4));
    /// assert!(base.is_ok());
    /// ```
    pub fn cpus_hint(&mut self, cpus: u32) -> &mut Config {
        self.cpus_hint = cpus;
        self
    }

    /// Uses the program's lock (made by `maker` for each base) as the base
    /// lock, around the engine's own (the C face's evthread callbacks).
    #[doc(hidden)]
    pub fn external_lock(&mut self, maker: LockMaker) -> &mut Config {
        self.external_lock = Some(maker);
        self
    }
}
