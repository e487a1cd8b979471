//! Event flags: what an event waits for, and what woke it.
//!
//! The bit values are libevent's `EV_*` constants, so the C face converts with
//! no table. This module owns only the newtype; it never decides behaviour.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of `EV_*` flags: the interests of an event, or the reasons it ran.
///
/// ```
/// use oxevent::Ev;
/// let what = Ev::READ | Ev::PERSIST;
/// assert!(what.contains(Ev::READ));
/// assert!(!what.contains(Ev::WRITE));
/// assert_eq!(what.bits(), 0x12);
/// ```
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash)]
pub struct Ev(u16);

impl Ev {
    /// No flags.
    pub const NONE: Ev = Ev(0);
    /// A timeout elapsed (`EV_TIMEOUT`).
    pub const TIMEOUT: Ev = Ev(0x01);
    /// The descriptor is readable (`EV_READ`).
    pub const READ: Ev = Ev(0x02);
    /// The descriptor is writable (`EV_WRITE`).
    pub const WRITE: Ev = Ev(0x04);
    /// A signal arrived (`EV_SIGNAL`).
    pub const SIGNAL: Ev = Ev(0x08);
    /// The event stays pending after it runs (`EV_PERSIST`).
    pub const PERSIST: Ev = Ev(0x10);
    /// Edge-triggered readiness, where the backend supports it (`EV_ET`).
    pub const ET: Ev = Ev(0x20);
    /// Deleting the event never waits for its running callback (`EV_FINALIZE`).
    pub const FINALIZE: Ev = Ev(0x40);
    /// The peer closed the connection (`EV_CLOSED`, epoll's `EPOLLRDHUP`).
    pub const CLOSED: Ev = Ev(0x80);

    /// The flags an I/O registration can hold on a descriptor.
    pub(crate) const IO: Ev = Ev(0x02 | 0x04 | 0x80);
    /// Every bit libevent defines.
    pub(crate) const ALL: Ev = Ev(0xff);

    /// Builds a set from raw `EV_*` bits; unknown bits are kept so that callers
    /// can report them (see [`Ev::unknown`]).
    pub const fn from_bits(bits: u16) -> Ev {
        Ev(bits)
    }

    /// The raw `EV_*` bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Ev) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: Ev) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Bits that are not libevent flags.
    pub const fn unknown(self) -> u16 {
        self.0 & !Ev::ALL.0
    }

    /// `self` without the flags of `other`.
    pub const fn without(self, other: Ev) -> Ev {
        Ev(self.0 & !other.0)
    }
}

impl BitOr for Ev {
    type Output = Ev;
    fn bitor(self, rhs: Ev) -> Ev {
        Ev(self.0 | rhs.0)
    }
}

impl BitOrAssign for Ev {
    fn bitor_assign(&mut self, rhs: Ev) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Ev {
    type Output = Ev;
    fn bitand(self, rhs: Ev) -> Ev {
        Ev(self.0 & rhs.0)
    }
}

impl Not for Ev {
    type Output = Ev;
    fn not(self) -> Ev {
        Ev(!self.0)
    }
}

impl fmt::Debug for Ev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Ev, &str); 8] = [
            (Ev::TIMEOUT, "TIMEOUT"),
            (Ev::READ, "READ"),
            (Ev::WRITE, "WRITE"),
            (Ev::SIGNAL, "SIGNAL"),
            (Ev::PERSIST, "PERSIST"),
            (Ev::ET, "ET"),
            (Ev::FINALIZE, "FINALIZE"),
            (Ev::CLOSED, "CLOSED"),
        ];
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if self.unknown() != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{:#x}", self.unknown())?;
            first = false;
        }
        if first {
            f.write_str("NONE")?;
        }
        Ok(())
    }
}
