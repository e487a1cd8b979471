//! Event records and the pending / active / non-pending state machine.
//!
//! ```text
//!   created ──add──▶ pending ──fires──▶ active ──callback──▶ non-pending
//!      ▲                │                                  (PERSIST: pending)
//!      └─────del────────┘
//! ```
//!
//! A record is what the engine knows of one event: a few words, no pointer
//! and no closure. What runs when it fires is described by two words the
//! face that created it interprets (`cb`, `arg`): the C face keeps the
//! program's function pointer and argument there, the Rust face keeps its
//! closures in a slab of its own, on the thread that owns the base, indexed
//! by the record's slot. So the engine is one monomorphic state machine that
//! never calls user code itself; the loop hands each activation to a
//! [`crate::dispatch`] runner.
//!
//! A C `struct event` names its record by an [`EventId`] kept in its private
//! bytes; the record keeps the struct's address (`key`) only as a number, to
//! check that name. Transient records (the C face's, and one-shot events)
//! exist only while pending, active or running.
//!
//! This module owns data layouts only; it never decides behaviour.

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
    /// or whatever [`crate::Base::activate`] was given; `ET` is added on
    /// epoll for edge-triggered events, as libevent does.
    pub what: Ev,
}

/// Record states (libevent's `EVLIST_*` where one exists).
pub(crate) mod state {
    /// A timeout is scheduled.
    pub(crate) const TIMEOUT: u8 = 0x01;
    /// Registered for I/O or a signal.
    pub(crate) const INSERTED: u8 = 0x02;
    /// Slot holds no record.
    pub(crate) const FREE: u8 = 0x04;
    /// On an active queue.
    pub(crate) const ACTIVE: u8 = 0x08;
    /// The engine's own (signal socket, wakeup, loopexit): not counted.
    pub(crate) const INTERNAL: u8 = 0x10;
    /// Frees the program's struct after its finalizer (`event_free_finalize`).
    pub(crate) const FIN_FREE: u8 = 0x20;
    /// Deleted, its finalizer queued: can no longer be added.
    pub(crate) const FINALIZING: u8 = 0x40;
    /// Freed as soon as it is neither pending, active nor running.
    pub(crate) const TRANSIENT: u8 = 0x80;
    /// Any of the states that keep a record busy.
    pub(crate) const BUSY: u8 = TIMEOUT | INSERTED | ACTIVE;
}

/// What an activation of a record means to the loop.
pub(crate) mod kind {
    /// A face's callback (`cb`/`arg`).
    pub(crate) const USER: u8 = 0;
    /// `loopexit`: ends the loop.
    pub(crate) const EXIT: u8 = 1;
    /// The signal socket is readable: read it, activate signal events.
    pub(crate) const SIGNALS: u8 = 2;
    /// The cross-thread wakeup is readable: drain it.
    pub(crate) const WAKEUP: u8 = 3;
}

/// "No record" in the intrusive lists.
pub(crate) const NIL: u32 = u32::MAX;

/// One event's state. Kept small: a pending C timer is this, plus its
/// timer-wheel entry.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// The C face's `struct event` address; 0 for the Rust face.
    pub(crate) key: usize,
    /// The face's callback word (C: the function pointer).
    pub(crate) cb: usize,
    /// The face's argument word (C: the callback argument).
    pub(crate) arg: usize,
    /// Deadline while `TIMEOUT` is set (monotonic ns).
    pub(crate) at: u64,
    /// `EV_PERSIST` period re-armed after each run (0: none).
    pub(crate) period: u64,
    /// Bumped each time the slot is freed: stale ids miss.
    pub(crate) gen: u32,
    /// Descriptor, signal number, or -1.
    pub(crate) fd: RawFd,
    /// Active queue links.
    pub(crate) anext: u32,
    pub(crate) aprev: u32,
    /// Next record on the same fd or signal (singly linked).
    pub(crate) fnext: u32,
    /// Bumped by every timeout (re)schedule: common-queue entries whose
    /// sequence no longer matches are stale.
    pub(crate) tseq: u32,
    /// Signal deliveries still to run in this activation.
    pub(crate) ncalls: u16,
    /// Common queue (index + 1) holding the timeout; 0: the wheel.
    pub(crate) common: u16,
    /// Common queue (index + 1) of the persist period; 0: none.
    pub(crate) pcommon: u16,
    /// `EV_*` interests (all of libevent's flags fit a byte).
    pub(crate) events: u8,
    /// Results of the pending activation.
    pub(crate) res: u8,
    pub(crate) state: u8,
    pub(crate) pri: u8,
    pub(crate) kind: u8,
    /// An idle C record kept for its struct's next add (see
    /// `Core::release_if_idle`).
    pub(crate) cached: bool,
}

impl Record {
    /// A free slot's record (generation `gen`).
    pub(crate) fn free(gen: u32) -> Record {
        Record {
            key: 0,
            cb: 0,
            arg: 0,
            at: 0,
            period: 0,
            gen,
            fd: -1,
            anext: NIL,
            aprev: NIL,
            fnext: NIL,
            tseq: 0,
            ncalls: 0,
            common: 0,
            pcommon: 0,
            events: 0,
            res: 0,
            state: state::FREE,
            pri: 0,
            kind: kind::USER,
            cached: false,
        }
    }

    #[inline]
    pub(crate) fn events(&self) -> Ev {
        Ev::from_bits(self.events as u16)
    }

    #[inline]
    pub(crate) fn res(&self) -> Ev {
        Ev::from_bits(self.res as u16)
    }

    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.state & state::FREE == 0
    }
}

/// A snapshot of one event, for `foreach` and dumps.
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use oxevent::{Base, Ev};
///
/// let (a, _b) = UnixStream::pair().unwrap();
/// let base = Base::<()>::new().unwrap();
/// let id = base.io(a, Ev::READ | Ev::PERSIST, |_, _, _, _| {}).unwrap();
/// base.add(id, None).unwrap();
/// let info = base.events()[0];
/// assert_eq!((info.id, info.key), (id, 0));
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

/// Which flags [`crate::Base::pending`] reports, and the time left.
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
