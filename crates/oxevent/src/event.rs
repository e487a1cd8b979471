//! Event records and the pending / active / non-pending state machine.
//!
//! ```text
//!   assigned ──add──▶ pending ──fires──▶ active ──callback──▶ non-pending
//!      ▲                 │                                  (PERSIST: pending)
//!      └──────del────────┘
//! ```
//!
//! A record is what the engine knows of one event. It never points into a
//! caller's memory: a C `struct event` holds an [`EventId`] to its record, and
//! the record holds the struct's address only as a number (`key`) to check
//! that id. Transient records (the C face's, and `once` events) exist only
//! while pending, active or running; they are freed the moment they go idle.

use std::os::fd::RawFd;
use std::time::Duration;

use crate::flags::Ev;

/// Names one event of one base. Stale ids (the event was freed) are detected:
/// every operation on them returns [`crate::Error::NoSuchEvent`].
///
/// ```
/// use oxevent::{Base, Ev};
/// let base = Base::<()>::new().unwrap();
/// let id = base.timer(|_, _, _| {}).unwrap();
/// base.free(id).unwrap();
/// assert!(base.add(id, None).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    pub(crate) idx: u32,
    pub(crate) gen: u32,
}

impl EventId {
    /// Packs the id into 64 bits (the C face stores it in a `struct event`).
    ///
    /// ```
    /// use oxevent::EventId;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let id = base.timer(|_, _, _| {}).unwrap();
    /// let bits: u64 = id.to_bits();
    /// assert_eq!(EventId::from_bits(bits), id);
    /// ```
    pub fn to_bits(self) -> u64 {
        (self.gen as u64) << 32 | self.idx as u64
    }

    /// Unpacks [`EventId::to_bits`]. Any value is accepted; a made-up id is
    /// simply stale.
    ///
    /// ```
    /// use oxevent::{Error, EventId};
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let id = base.timer(|_, _, _| {}).unwrap();
    /// assert_eq!(EventId::from_bits(id.to_bits()), id);
    /// let made_up = EventId::from_bits(u64::MAX);
    /// assert!(matches!(base.info(made_up), Err(Error::NoSuchEvent)));
    /// ```
    pub fn from_bits(bits: u64) -> EventId {
        EventId {
            idx: bits as u32,
            gen: (bits >> 32) as u32,
        }
    }
}

/// What woke a callback.
///
/// ```
/// use oxevent::{Base, Ev};
/// let base = Base::<Vec<Ev>>::new().unwrap();
/// let id = base.timer(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what)).unwrap();
/// base.activate(id, Ev::TIMEOUT).unwrap();
/// let mut seen = Vec::new();
/// base.dispatch(&mut seen).unwrap();
/// assert_eq!(seen, vec![Ev::TIMEOUT]);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The event that runs.
    pub id: EventId,
    /// Its descriptor, or its signal number for signal events, or -1.
    pub fd: RawFd,
    /// Why it runs: `TIMEOUT`, `READ`, `WRITE`, `CLOSED`, `SIGNAL`, `FINALIZE`
    /// or whatever [`crate::RawBase::activate`] was given.
    pub what: Ev,
}

/// What the engine calls when an event runs. The Rust API's closures and the
/// C face's function pointers are both handlers; the engine is generic over
/// them so that neither pays for the other.
///
/// ```
/// use oxevent::{Ev, EventSpec, Fired, Handler, RawBase};
///
/// /// Counts its runs in the loop's data.
/// struct Counter;
///
/// impl Handler for Counter {
///     type Data = u32;
///     fn call(&mut self, _base: &RawBase<Self>, runs: &mut u32, _fired: Fired) {
///         *runs += 1;
///     }
/// }
///
/// let base = RawBase::<Counter>::new().unwrap();
/// let timer = EventSpec { fd: -1, events: Ev::NONE, priority: None };
/// let id = base.create(timer, Counter, 0, false).unwrap();
/// base.activate(id, Ev::TIMEOUT).unwrap();
/// let mut runs = 0;
/// base.dispatch(&mut runs).unwrap();
/// assert_eq!(runs, 1);
/// ```
pub trait Handler: Send + Sized + 'static {
    /// State lent to every callback by `dispatch`.
    type Data;
    /// Runs the event's callback. No lock is held: the handler may add,
    /// delete, free or re-assign any event, its own included.
    ///
    /// ```
    /// use oxevent::{Base, Closure, Ev, EventId, Fired, Handler};
    ///
    /// // The engine calls this; a handler can also be driven by hand.
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let mut h = Closure::new(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what));
    /// let fired = Fired { id: EventId::from_bits(0), fd: 3, what: Ev::READ };
    /// let mut seen = Vec::new();
    /// h.call(&base, &mut seen, fired);
    /// assert_eq!(seen, [Ev::READ]);
    /// ```
    fn call(&mut self, base: &crate::RawBase<Self>, data: &mut Self::Data, fired: Fired);

    /// A copy of this handler to run in its place, when copying is cheap and
    /// the copy behaves exactly as the original would (a function pointer
    /// and its argument). The loop then calls the copy and leaves the
    /// original in its record, saving the take-and-put-back round trip.
    /// The default, `None`, always takes the handler out.
    ///
    /// ```
    /// use oxevent::{Fired, Handler, RawBase};
    ///
    /// #[derive(Copy, Clone)]
    /// struct Plain(fn(i32));
    ///
    /// impl Handler for Plain {
    ///     type Data = ();
    ///     const COPIES: bool = true;
    ///     fn call(&mut self, _: &RawBase<Self>, _: &mut (), fired: Fired) {
    ///         (self.0)(fired.fd)
    ///     }
    ///     fn fast_copy(&self) -> Option<Self> {
    ///         Some(*self)
    ///     }
    /// }
    ///
    /// assert!(Plain(|_| ()).fast_copy().is_some());
    /// ```
    #[inline]
    fn fast_copy(&self) -> Option<Self> {
        None
    }

    /// Whether [`Handler::fast_copy`] can return `Some`: the loop lays out
    /// its hot path for copies when it can, for take-and-put-back when not.
    /// A handler that copies sets it to `true`; nothing breaks if it is
    /// wrong, only speed.
    ///
    /// ```
    /// use oxevent::{Closure, Handler};
    ///
    /// assert!(!<Closure<()> as Handler>::COPIES);
    /// ```
    const COPIES: bool = false;
}

/// The engine's view of an event's callback.
pub(crate) enum Callback<H> {
    /// The user's handler, in place.
    User(H),
    /// The handler is out, running (or the record is being torn down).
    Taken,
    /// `loopexit`: ends the loop when it fires.
    Exit,
}

pub(crate) mod state {
    pub(crate) const TIMEOUT: u8 = 0x01;
    pub(crate) const INSERTED: u8 = 0x02;
    pub(crate) const ACTIVE: u8 = 0x08;
    pub(crate) const INTERNAL: u8 = 0x10;
    pub(crate) const FINALIZING: u8 = 0x40;
    /// Freed as soon as it is neither pending, active nor running.
    pub(crate) const TRANSIENT: u8 = 0x80;
}

/// How a timeout is given.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum When {
    /// After a duration (nanoseconds) from now.
    After(u64),
    /// At an absolute monotonic deadline.
    At(u64),
    /// On a common-timeout queue.
    Common(u16),
}

pub(crate) struct Record<H> {
    pub(crate) fd: RawFd,
    pub(crate) events: Ev,
    pub(crate) state: u8,
    pub(crate) pri: u8,
    pub(crate) res: Ev,
    /// Signal deliveries still to run in this activation.
    pub(crate) ncalls: u16,
    /// `EV_PERSIST` period: the timeout re-armed after each run (0: none).
    pub(crate) period: u64,
    /// Whether `period` belongs to a common-timeout queue (index + 1; 0: heap).
    pub(crate) period_common: u16,
    /// Deadline while `TIMEOUT` is set.
    pub(crate) deadline: u64,
    /// Common queue (index + 1) holding the timeout; 0 when in the heap.
    pub(crate) common: u16,
    pub(crate) timer_seq: u32,
    pub(crate) active_seq: u32,
    /// The C face's `struct event` address; 0 for the Rust API.
    pub(crate) key: usize,
    pub(crate) cb: Callback<H>,
}

pub(crate) struct Slot<H> {
    pub(crate) gen: u32,
    pub(crate) rec: Option<Record<H>>,
}

/// A snapshot of one event, for `foreach` and dumps.
///
/// ```
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use oxevent::{Base, Ev};
///
/// let (a, _b) = UnixStream::pair().unwrap();
/// let fd = a.as_raw_fd();
/// let base = Base::<()>::new().unwrap();
/// let id = base.io(a, Ev::READ | Ev::PERSIST, |_, _, _, _| {}).unwrap();
/// base.add(id, None).unwrap();
/// let info = base.events()[0];
/// assert_eq!((info.id, info.fd, info.key), (id, fd, 0));
/// assert_eq!(info.events, Ev::READ | Ev::PERSIST);
/// assert!(info.inserted && !info.internal);
/// assert_eq!((info.timeout, info.active), (None, None));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EventInfo {
    /// The event.
    pub id: EventId,
    /// The C face's struct address (0 for Rust events).
    pub key: usize,
    /// Descriptor or signal number.
    pub fd: RawFd,
    /// What it waits for.
    pub events: Ev,
    /// Its priority.
    pub priority: u8,
    /// Waiting for I/O or a signal.
    pub inserted: bool,
    /// Has a timeout scheduled.
    pub timeout: Option<Duration>,
    /// Active, with these results.
    pub active: Option<Ev>,
    /// An internal event (not counted, not shown to users by default).
    pub internal: bool,
}

/// Which flags [`crate::RawBase::pending`] reports, and the time left.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev, Pending};
///
/// let base = Base::<()>::new().unwrap();
/// let t = base.timer(|_, _, _| {}).unwrap();
/// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap(), Pending::default()); // idle
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// base.activate(t, Ev::READ).unwrap();
/// let p = base.pending(t, Ev::TIMEOUT | Ev::READ).unwrap();
/// assert_eq!(p.what, Ev::TIMEOUT | Ev::READ);
/// assert!(p.remaining.unwrap() <= Duration::from_secs(60));
/// assert!(p.deadline_ns.unwrap() > base.now_ns());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Pending {
    /// `READ`/`WRITE`/`CLOSED`/`SIGNAL` while inserted, `TIMEOUT` while a
    /// timeout is scheduled, plus the results of a pending activation.
    pub what: Ev,
    /// Time until the timeout, when one is scheduled.
    pub remaining: Option<Duration>,
    /// The timeout's absolute monotonic deadline in nanoseconds.
    pub deadline_ns: Option<u64>,
}
