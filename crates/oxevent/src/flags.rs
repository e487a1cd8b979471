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
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// assert!(Ev::NONE.is_empty());
    /// assert_eq!(Ev::READ | Ev::NONE, Ev::READ);
    /// assert_eq!(format!("{:?}", Ev::NONE), "NONE");
    /// ```
    pub const NONE: Ev = Ev(0);
    /// A timeout elapsed (`EV_TIMEOUT`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Ev>::new().unwrap();
    /// let t = base.timer(|what: &mut Ev, _, fired| *what = fired.what).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::TIMEOUT);
    /// ```
    pub const TIMEOUT: Ev = Ev(0x01);
    /// The descriptor is readable (`EV_READ`).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Ev>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |what: &mut Ev, _, _, fired| *what = fired.what).unwrap();
    /// base.add(id, None).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::READ);
    /// ```
    pub const READ: Ev = Ev(0x02);
    /// The descriptor is writable (`EV_WRITE`).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<Ev>::new().unwrap();
    /// let id = base.io(a, Ev::WRITE, |what: &mut Ev, _, _, fired| *what = fired.what).unwrap();
    /// base.add(id, None).unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap(); // an empty socket buffer is writable
    /// assert_eq!(what, Ev::WRITE);
    /// ```
    pub const WRITE: Ev = Ev(0x04);
    /// A signal arrived (`EV_SIGNAL`).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Ev>::new().unwrap();
    /// let s = base
    ///     .signal(libc::SIGUSR1, Ev::NONE, |what: &mut Ev, _, fired| *what = fired.what)
    ///     .unwrap();
    /// assert_eq!(base.info(s).unwrap().events, Ev::SIGNAL);
    /// base.add(s, None).unwrap();
    /// base.active_by_signal(libc::SIGUSR1);
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::SIGNAL);
    /// ```
    pub const SIGNAL: Ev = Ev(0x08);
    /// The event stays pending after it runs (`EV_PERSIST`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopFlags};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let t = base.timer_with(Ev::PERSIST, |n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// let mut n = 0;
    /// base.run(LoopFlags::ONCE, &mut n).unwrap();
    /// assert_eq!(n, 1);
    /// // It ran and is pending again, with the same period.
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
    /// ```
    pub const PERSIST: Ev = Ev(0x10);
    /// Edge-triggered readiness, where the backend supports it (`EV_ET`).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, BaseFlags, Config, Ev, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::ET);
    /// let base = Base::<Ev>::with_config(&cfg).unwrap(); // epoll
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let edge = base
    ///     .io(a, Ev::READ | Ev::ET, |what: &mut Ev, _, _, fired| *what = fired.what)
    ///     .unwrap();
    /// base.add(edge, None).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::READ | Ev::ET); // libevent's epoll passes ET on
    /// ```
    pub const ET: Ev = Ev(0x20);
    /// Deleting the event never waits for its running callback (`EV_FINALIZE`).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<bool>::new().unwrap();
    /// let (started_tx, started) = mpsc::channel();
    /// let (deleted_tx, deleted) = mpsc::channel();
    /// let t = base
    ///     .timer_with(Ev::FINALIZE, move |ok: &mut bool, _, _| {
    ///         started_tx.send(()).unwrap();
    ///         // Runs on while another thread deletes the event.
    ///         *ok = deleted.recv_timeout(Duration::from_secs(5)).is_ok();
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let remote = base.remote();
    /// let deleter = std::thread::spawn(move || {
    ///     started.recv().unwrap();
    ///     remote.del(t).unwrap(); // does not wait for the running callback
    ///     deleted_tx.send(()).unwrap();
    /// });
    /// let mut ok = false;
    /// base.dispatch(&mut ok).unwrap();
    /// deleter.join().unwrap();
    /// assert!(ok);
    /// ```
    pub const FINALIZE: Ev = Ev(0x40);
    /// The peer closed the connection (`EV_CLOSED`, epoll's `EPOLLRDHUP`).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, BaseFlags, Config, Ev, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::EARLY_CLOSE);
    /// let base = Base::<Ev>::with_config(&cfg).unwrap(); // epoll
    /// let (a, b) = UnixStream::pair().unwrap();
    /// let id = base.io(a, Ev::CLOSED, |what: &mut Ev, _, _, fired| *what = fired.what).unwrap();
    /// base.add(id, None).unwrap();
    /// b.shutdown(std::net::Shutdown::Write).unwrap(); // the peer closes its side
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::CLOSED);
    /// ```
    pub const CLOSED: Ev = Ev(0x80);

    /// The flags an I/O registration can hold on a descriptor.
    pub(crate) const IO: Ev = Ev(0x02 | 0x04 | 0x80);
    /// Every bit libevent defines.
    pub(crate) const ALL: Ev = Ev(0xff);

    /// Builds a set from raw `EV_*` bits; unknown bits are kept so that callers
    /// can report them (see [`Ev::unknown`]).
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// assert_eq!(Ev::from_bits(0x12), Ev::READ | Ev::PERSIST);
    /// assert_eq!(Ev::from_bits(0x102).unknown(), 0x100); // kept, to be reported
    /// ```
    pub const fn from_bits(bits: u16) -> Ev {
        Ev(bits)
    }

    /// The raw `EV_*` bits.
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// assert_eq!((Ev::READ | Ev::WRITE).bits(), 0x06); // EV_READ | EV_WRITE
    /// assert_eq!(Ev::CLOSED.bits(), 0x80);
    /// ```
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag of `other` is set.
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// let what = Ev::READ | Ev::WRITE;
    /// assert!(what.contains(Ev::READ));
    /// assert!(what.contains(Ev::READ | Ev::WRITE));
    /// assert!(!what.contains(Ev::READ | Ev::CLOSED));
    /// assert!(what.contains(Ev::NONE));
    /// ```
    pub const fn contains(self, other: Ev) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// let what = Ev::READ | Ev::PERSIST;
    /// assert!(what.intersects(Ev::READ | Ev::WRITE));
    /// assert!(!what.intersects(Ev::WRITE | Ev::CLOSED));
    /// assert!(!what.intersects(Ev::NONE));
    /// ```
    pub const fn intersects(self, other: Ev) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// assert!(Ev::NONE.is_empty());
    /// assert!(!Ev::TIMEOUT.is_empty());
    /// assert!((Ev::READ & Ev::WRITE).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Bits that are not libevent flags.
    ///
    /// ```
    /// use oxevent::{Base, Error, Ev};
    ///
    /// let odd = Ev::from_bits(0x0101);
    /// assert_eq!(odd.unknown(), 0x0100);
    /// assert_eq!((Ev::READ | Ev::CLOSED).unknown(), 0);
    /// // Events with unknown bits are refused.
    /// let base = Base::<()>::new().unwrap();
    /// let r = base.timer_with(odd, |_, _, _| {});
    /// assert!(matches!(r, Err(Error::BadFlags(_))));
    /// ```
    pub const fn unknown(self) -> u16 {
        self.0 & !Ev::ALL.0
    }

    /// `self` without the flags of `other`.
    ///
    /// ```
    /// use oxevent::Ev;
    ///
    /// let what = Ev::READ | Ev::WRITE | Ev::PERSIST;
    /// assert_eq!(what.without(Ev::PERSIST), Ev::READ | Ev::WRITE);
    /// assert_eq!(what.without(Ev::CLOSED), what);
    /// ```
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
