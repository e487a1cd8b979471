//! The engine's error type.

use std::fmt;
use std::io;

/// Why an operation was refused.
///
/// ```
/// use oxevent::{Base, Error};
/// let base = Base::<()>::new().unwrap();
/// assert!(matches!(base.priority_init(0), Err(Error::BadPriority(0))));
/// ```
#[derive(Debug)]
pub enum Error {
    /// The event id is stale: the event was freed (or never existed here).
    NoSuchEvent,
    /// A negative or unusable file descriptor.
    BadFd(i32),
    /// A signal number outside `1..65`, or SIGKILL/SIGSTOP.
    BadSignal(i32),
    /// A flag combination libevent refuses (e.g. `SIGNAL` with `READ`).
    BadFlags(&'static str),
    /// A priority outside the base's range, or priorities changed while
    /// events are active.
    BadPriority(u8),
    /// The event is active: its priority cannot change now.
    EventActive,
    /// The event is being finalized and can no longer be added.
    Finalizing,
    /// `event_base_loop` is already running on this base.
    Reentrant,
    /// More than 65535 events reading, writing or waiting for close on one
    /// descriptor (libevent's limit).
    TooManyOnFd(i32),
    /// Memory ran out.
    OutOfMemory,
    /// No backend is usable with this configuration.
    NoBackend,
    /// Too many common-timeout durations (libevent allows 256).
    TooManyCommonTimeouts,
    /// A timeout that cannot be represented.
    BadTimeout,
    /// A buffer operation was refused ([`buffer`](crate::buffer)).
    Buffer(crate::buffer::BufferError),
    /// The operating system refused.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSuchEvent => {
                f.write_str("no such event (it was freed, or belongs to another base)")
            }
            Error::BadFd(fd) => write!(f, "bad file descriptor {fd}"),
            Error::BadSignal(s) => {
                write!(f, "signal number {s} is out of range or cannot be caught")
            }
            Error::BadFlags(why) => write!(f, "bad event flags: {why}"),
            Error::BadPriority(p) => write!(f, "priority {p} is out of range"),
            Error::EventActive => f.write_str("the event is active"),
            Error::Finalizing => f.write_str("the event is being finalized"),
            Error::Reentrant => f.write_str(
                "reentrant invocation: only one event_base_loop can run on each event_base at once",
            ),
            Error::TooManyOnFd(fd) => write!(f, "too many events reading or writing on fd {fd}"),
            Error::OutOfMemory => f.write_str("out of memory"),
            Error::NoBackend => {
                f.write_str("no event mechanism is available for this configuration")
            }
            Error::TooManyCommonTimeouts => f.write_str("too many common timeouts (at most 256)"),
            Error::BadTimeout => f.write_str("timeout out of range"),
            Error::Buffer(e) => write!(f, "{e}"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Buffer(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

impl From<crate::buffer::BufferError> for Error {
    fn from(e: crate::buffer::BufferError) -> Error {
        Error::Buffer(e)
    }
}

impl From<Error> for io::Error {
    /// Buffer refusals become `io::Error`s for the `std::io` traits:
    /// [`Error::Io`] unwraps, anything else is `ErrorKind::Other` carrying
    /// the error.
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// The engine's result type.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev, EventId};
///
/// fn arm(base: &Base<()>) -> oxevent::Result<EventId> {
///     let t = base.timer(|_, _, _| {})?;
///     base.add(t, Some(Duration::from_secs(60)))?;
///     Ok(t)
/// }
///
/// let base = Base::<()>::new().unwrap();
/// let t = arm(&base).unwrap();
/// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
/// base.free(t).unwrap();
/// assert!(base.add(t, None).is_err());
/// ```
pub type Result<T> = std::result::Result<T, Error>;
