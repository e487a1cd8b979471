//! Diagnostics: the log callback, the fatal callback, and debug logging.
//!
//! Every warning the engine gives (misuse, bad input, a closed fd under a
//! pending event) goes through [`warn`]; by default it is printed to stderr as
//! `[warn] message`, as libevent does. A program can route messages elsewhere
//! with [`set_log_callback`]. This module never stops the process except in
//! [`fatal`], which first gives the fatal callback its chance.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

/// How serious a message is (libevent's `EVENT_LOG_*`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::log::{self, Severity};
///
/// assert!(Severity::Debug < Severity::Msg && Severity::Warn < Severity::Err);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// log::set_log_callback(Some(Box::new(move |sev, _msg: &str| sink.lock().unwrap().push(sev))));
/// log::warn(format_args!("careful"));
/// log::debug(format_args!("dropped: debug logging is off"));
/// log::set_log_callback(None);
/// assert_eq!(*seen.lock().unwrap(), [Severity::Warn]);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Debug output, only produced after [`enable_debug_logging`].
    Debug = 0,
    /// Informational.
    Msg = 1,
    /// Something went wrong but the program can go on.
    Warn = 2,
    /// An error.
    Err = 3,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Msg => "msg",
            Severity::Warn => "warn",
            Severity::Err => "err",
        }
    }
}

/// A log callback as [`set_log_callback`] takes it.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::log::{self, LogCallback, Severity};
///
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = lines.clone();
/// let cb: LogCallback = Box::new(move |sev, msg| {
///     sink.lock().unwrap().push(format!("[{sev:?}] {msg}"));
/// });
/// log::set_log_callback(Some(cb));
/// log::log(Severity::Msg, format_args!("ready"));
/// log::set_log_callback(None);
/// assert_eq!(*lines.lock().unwrap(), ["[Msg] ready"]);
/// ```
pub type LogCallback = Box<dyn Fn(Severity, &str) + Send + Sync>;
/// A fatal callback as [`set_fatal_callback`] takes it.
///
/// ```
/// use oxevent::log::{self, FatalCallback};
///
/// let cb: FatalCallback = Box::new(|code| eprintln!("giving up with {code}"));
/// log::set_fatal_callback(Some(cb));
/// log::set_fatal_callback(None); // back to exiting without a word
/// ```
pub type FatalCallback = Box<dyn Fn(i32) + Send + Sync>;

type LogFn = Arc<dyn Fn(Severity, &str) + Send + Sync>;
type FatalFn = Arc<dyn Fn(i32) + Send + Sync>;

static LOGGER: RwLock<Option<LogFn>> = RwLock::new(None);
static FATAL: RwLock<Option<FatalFn>> = RwLock::new(None);
static DEBUG_MASK: AtomicU32 = AtomicU32::new(0);

/// Routes every message to `cb`, or back to stderr with `None`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// oxevent::log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
///     sink.lock().unwrap().push((sev, msg.to_owned()));
/// })));
/// oxevent::log::warn(format_args!("hello"));
/// oxevent::log::set_log_callback(None);
/// assert!(seen.lock().unwrap().iter().any(|(_, m)| m == "hello"));
/// ```
pub fn set_log_callback(cb: Option<LogCallback>) {
    let cb: Option<LogFn> = cb.map(Arc::from);
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = cb;
}

/// Sets what [`fatal`] calls before the process ends (`None`: nothing).
///
/// ```
/// oxevent::log::set_fatal_callback(Some(Box::new(|code| eprintln!("fatal {code}"))));
/// oxevent::log::set_fatal_callback(None);
/// ```
pub fn set_fatal_callback(cb: Option<FatalCallback>) {
    let cb: Option<FatalFn> = cb.map(Arc::from);
    *FATAL.write().unwrap_or_else(|p| p.into_inner()) = cb;
}

/// Turns debug messages on (any non-zero `mask`) or off (0), like
/// `event_enable_debug_logging(EVENT_DBG_ALL)`.
///
/// ```
/// oxevent::log::enable_debug_logging(0xffff_ffff);
/// assert!(oxevent::log::debug_enabled());
/// oxevent::log::enable_debug_logging(0);
/// ```
pub fn enable_debug_logging(mask: u32) {
    DEBUG_MASK.store(mask, Ordering::Relaxed);
}

/// Queues a debug message on a locked base state (delivered once the lock
/// is released), building its text only when debug logging is on.
macro_rules! debug_log_core {
    ($core:expr, $($arg:tt)*) => {
        if $crate::log::debug_enabled() {
            $core.say($crate::log::Severity::Debug, format_args!($($arg)*));
        }
    };
}
pub(crate) use debug_log_core;

/// Whether debug messages are produced.
///
/// ```
/// use oxevent::log;
///
/// assert!(!log::debug_enabled()); // off until asked for
/// log::enable_debug_logging(1);
/// assert!(log::debug_enabled());
/// log::enable_debug_logging(0);
/// assert!(!log::debug_enabled());
/// ```
#[inline]
pub fn debug_enabled() -> bool {
    DEBUG_MASK.load(Ordering::Relaxed) != 0
}

/// Emits a message at `severity`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::log::{self, Severity};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
///     sink.lock().unwrap().push((sev, msg.to_owned()));
/// })));
/// log::log(Severity::Msg, format_args!("started {} loops", 2));
/// log::log(Severity::Debug, format_args!("dropped: debug logging is off"));
/// log::set_log_callback(None);
/// assert_eq!(*seen.lock().unwrap(), [(Severity::Msg, "started 2 loops".to_owned())]);
/// ```
pub fn log(severity: Severity, args: fmt::Arguments<'_>) {
    if severity == Severity::Debug && !debug_enabled() {
        return;
    }
    let cb = LOGGER.read().unwrap_or_else(|p| p.into_inner()).clone();
    let msg = fmt::format(args);
    match cb {
        Some(cb) => cb(severity, &msg),
        None => eprintln!("[{}] {}", severity.label(), msg),
    }
}

/// Emits a warning.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::log::{self, Severity};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
///     sink.lock().unwrap().push((sev, msg.to_owned()));
/// })));
/// log::warn(format_args!("fd {} is not open", 7));
/// log::set_log_callback(None);
/// assert_eq!(*seen.lock().unwrap(), [(Severity::Warn, "fd 7 is not open".to_owned())]);
/// ```
pub fn warn(args: fmt::Arguments<'_>) {
    log(Severity::Warn, args);
}

/// Emits a debug message (dropped unless debug logging is on).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::log::{self, Severity};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
///     sink.lock().unwrap().push((sev, msg.to_owned()));
/// })));
/// log::debug(format_args!("turn 1")); // dropped: debug logging is off
/// log::enable_debug_logging(1);
/// log::debug(format_args!("turn 2"));
/// log::enable_debug_logging(0);
/// log::set_log_callback(None);
/// assert_eq!(*seen.lock().unwrap(), [(Severity::Debug, "turn 2".to_owned())]);
/// ```
pub fn debug(args: fmt::Arguments<'_>) {
    if debug_enabled() {
        log(Severity::Debug, args);
    }
}

/// Reports an unrecoverable error (misuse that libevent treats as fatal):
/// logs it at `Err`, calls the fatal callback, then exits with `code` as
/// libevent's `event_exit` does (the callback is not expected to return).
///
/// ```
/// fn checked_div(a: u32, b: u32) -> u32 {
///     if b == 0 {
///         // Diverges: logs at `Err`, runs the fatal callback, exits with 70.
///         oxevent::log::fatal(70, format_args!("division by zero"));
///     }
///     a / b
/// }
///
/// assert_eq!(checked_div(6, 3), 2);
/// ```
pub fn fatal(code: i32, args: fmt::Arguments<'_>) -> ! {
    log(Severity::Err, args);
    let cb = FATAL.read().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(cb) = cb {
        cb(code);
    }
    std::process::exit(code)
}
