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
    pub fn to_bits(self) -> u64 {
        (self.gen as u64) << 32 | self.idx as u64
    }

    /// Unpacks [`EventId::to_bits`]. Any value is accepted; a made-up id is
    /// simply stale.
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
pub trait Handler: Send + Sized + 'static {
    /// State lent to every callback by `dispatch`.
    type Data;
    /// Runs the event's callback. No lock is held: the handler may add,
    /// delete, free or re-assign any event, its own included.
    fn call(&mut self, base: &crate::RawBase<Self>, data: &mut Self::Data, fired: Fired);
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
