//! Base configuration (libevent's `struct event_config`).
//!
//! Owns only the settings; the base reads them once when it is built.

use std::time::Duration;

use crate::sys::Features;

/// Flags of [`Config::flag`] (libevent's `EVENT_BASE_FLAG_*`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseFlags(pub u32);

impl BaseFlags {
    /// No lock: the base is used from one thread only (`NOLOCK`). oxevent
    /// keeps its lock (it is uncontended and cheap) but skips the wakeup fd.
    pub const NOLOCK: BaseFlags = BaseFlags(0x01);
    /// Ignore the `EVENT_*` environment variables (`IGNORE_ENV`).
    pub const IGNORE_ENV: BaseFlags = BaseFlags(0x02);
    /// Windows only in libevent; accepted and ignored (`STARTUP_IOCP`).
    pub const STARTUP_IOCP: BaseFlags = BaseFlags(0x04);
    /// Read the clock at every use instead of once per loop turn (`NO_CACHE_TIME`).
    pub const NO_CACHE_TIME: BaseFlags = BaseFlags(0x08);
    /// Coalesce epoll changes until the next wait (`EPOLL_USE_CHANGELIST`).
    pub const EPOLL_USE_CHANGELIST: BaseFlags = BaseFlags(0x10);
    /// Use a precise clock and timerfd waits (`PRECISE_TIMER`).
    pub const PRECISE_TIMER: BaseFlags = BaseFlags(0x20);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: BaseFlags) -> bool {
        self.0 & other.0 == other.0
    }
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
    /// let mut cfg = oxevent::Config::new();
    /// cfg.flag(oxevent::BaseFlags::PRECISE_TIMER);
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
    /// let mut cfg = oxevent::Config::new();
    /// cfg.max_dispatch(None, Some(1), 0);
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
    /// cfg.notifiable(false);
    /// ```
    pub fn notifiable(&mut self, on: bool) -> &mut Config {
        self.notifiable = on;
        self
    }

    /// A hint of how many CPUs to use; recorded, unused on Linux (as in libevent).
    ///
    /// ```
    /// oxevent::Config::new().cpus_hint(4);
    /// ```
    pub fn cpus_hint(&mut self, cpus: u32) -> &mut Config {
        self.cpus_hint = cpus;
        self
    }
}
