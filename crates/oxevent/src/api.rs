//! The Rust face: [`Base`] with closures over `&mut D`.
//!
//! Callbacks receive the state `D` lent to [`RawBase::dispatch`] (calloop's
//! model: no `Rc<RefCell<…>>`), the base itself (to add, delete or free any
//! event, their own included) and a [`Fired`] saying why they run. I/O events
//! own their descriptor's source, so the fd lives exactly as long as its
//! registration: it cannot be closed under a pending event.

use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use crate::base::{EventSpec, RawBase, Timeout};
use crate::error::Result;
use crate::event::{EventId, Fired, Handler};
use crate::flags::Ev;

/// An event base for Rust programs; `D` is the state lent to callbacks.
///
/// The seeds' five steps:
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev};
///
/// let base = Base::<u32>::new().unwrap();                       // 1. a base
/// let tick = base
///     .timer_with(Ev::PERSIST, |count: &mut u32, base, _| {       // 2. an event
///         *count += 1;
///         if *count == 3 {
///             base.loopbreak();
///         }
///     })
///     .unwrap();
/// base.add(tick, Some(Duration::from_millis(1))).unwrap();      // 3. add it
/// let mut count = 0;
/// base.dispatch(&mut count).unwrap();                           // 4. run the loop
/// assert_eq!(count, 3);
/// base.free(tick).unwrap();                                     // 5. free
/// ```
pub type Base<D = ()> = RawBase<Closure<D>>;

type BoxedFn<D> = Box<dyn FnMut(&mut D, &Base<D>, Fired) + Send>;

/// A boxed callback of the Rust face.
///
/// ```
/// use oxevent::{Base, Closure, Ev, EventSpec};
///
/// let base = Base::<String>::new().unwrap();
/// let greet = Closure::new(|out: &mut String, _, _| out.push_str("hi"));
/// let timer = EventSpec { fd: -1, events: Ev::NONE, priority: None };
/// let id = base.create(timer, greet, 0, false).unwrap();
/// base.activate(id, Ev::TIMEOUT).unwrap();
/// let mut out = String::new();
/// base.dispatch(&mut out).unwrap();
/// assert_eq!(out, "hi");
/// ```
pub struct Closure<D: 'static>(BoxedFn<D>);

impl<D: 'static> std::fmt::Debug for Closure<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Closure")
    }
}

impl<D: 'static> Handler for Closure<D> {
    type Data = D;
    fn call(&mut self, base: &RawBase<Self>, data: &mut D, fired: Fired) {
        (self.0)(data, base, fired)
    }
}

impl<D: 'static> Closure<D> {
    /// Wraps a closure.
    ///
    /// ```
    /// use oxevent::{Base, Closure, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let bump = Closure::new(|n: &mut u32, _, _| *n += 1);
    /// base.once(-1, Ev::TIMEOUT, None, bump).unwrap(); // the C face's entry points take handlers
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn new(f: impl FnMut(&mut D, &Base<D>, Fired) + Send + 'static) -> Closure<D> {
        Closure(Box::new(f))
    }
}

fn spec(fd: i32, events: Ev) -> EventSpec {
    EventSpec {
        fd,
        events,
        priority: None,
    }
}

impl<D: 'static> RawBase<Closure<D>> {
    /// A timer: runs when its timeout elapses or when activated. Add it with
    /// a timeout; `what` may hold [`Ev::PERSIST`] to re-arm it with the same
    /// period each time it runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// let base = oxevent::Base::<bool>::new().unwrap();
    /// let t = base.timer(|fired: &mut bool, _, _| *fired = true).unwrap();
    /// base.add(t, Some(Duration::from_millis(5))).unwrap();
    /// let mut fired = false;
    /// base.dispatch(&mut fired).unwrap();
    /// assert!(fired);
    /// ```
    pub fn timer(
        &self,
        f: impl FnMut(&mut D, &Base<D>, Fired) + Send + 'static,
    ) -> Result<EventId> {
        self.timer_with(Ev::NONE, f)
    }

    /// A timer with flags (`PERSIST`, `FINALIZE`).
    ///
    /// ```
    /// use oxevent::Ev;
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let t = base.timer_with(Ev::PERSIST, |_, _, _| {}).unwrap();
    /// assert_eq!(base.info(t).unwrap().events, Ev::PERSIST);
    /// # base.free(t).unwrap();
    /// ```
    pub fn timer_with(
        &self,
        what: Ev,
        f: impl FnMut(&mut D, &Base<D>, Fired) + Send + 'static,
    ) -> Result<EventId> {
        if !what.without(Ev::PERSIST | Ev::FINALIZE).is_empty() {
            return Err(crate::Error::BadFlags(
                "a timer takes only PERSIST and FINALIZE (use io() or signal())",
            ));
        }
        self.create(spec(-1, what), Closure::new(f), 0, false)
    }

    /// An I/O event that owns `source` (a socket, pipe end, `Stdin` …) and
    /// lends it to the callback. `what` holds `READ`, `WRITE` and/or `CLOSED`,
    /// optionally `PERSIST` and `ET`.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// b.write_all(b"x").unwrap();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::READ, |seen: &mut Vec<Ev>, _, _sock, fired| seen.push(fired.what))
    ///     .unwrap();
    /// base.add(id, None).unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, vec![Ev::READ]);
    /// ```
    pub fn io<S: AsFd + Send + 'static>(
        &self,
        source: S,
        what: Ev,
        mut f: impl FnMut(&mut D, &Base<D>, &mut S, Fired) + Send + 'static,
    ) -> Result<EventId> {
        if !what.intersects(Ev::IO) {
            return Err(crate::Error::BadFlags(
                "an I/O event needs READ, WRITE or CLOSED",
            ));
        }
        if what.contains(Ev::SIGNAL) {
            return Err(crate::Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        let fd = source.as_fd().as_raw_fd();
        let mut source = source;
        // `source` moves into the handler: the fd stays open as long as the
        // event exists, and is closed only after the record (and with it
        // the registration) is gone.
        self.create_inner(
            spec(fd, what),
            Closure::new(move |d, b, fired| f(d, b, &mut source, fired)),
            0,
            false,
        )
    }

    /// A signal event for `signo` (`what` may add `PERSIST`). The callback
    /// runs in the loop, never in the signal handler; `fired.fd` is `signo`.
    ///
    /// ```
    /// use oxevent::Ev;
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert!(base.signal(0, Ev::PERSIST, |_, _, _| {}).is_err());
    /// let id = base.signal(libc::SIGUSR2, Ev::PERSIST, |_, _, _| {}).unwrap();
    /// base.free(id).unwrap();
    /// ```
    pub fn signal(
        &self,
        signo: i32,
        what: Ev,
        f: impl FnMut(&mut D, &Base<D>, Fired) + Send + 'static,
    ) -> Result<EventId> {
        if what.intersects(Ev::IO) {
            return Err(crate::Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        if !what
            .without(Ev::PERSIST | Ev::FINALIZE | Ev::SIGNAL)
            .is_empty()
        {
            return Err(crate::Error::BadFlags(
                "a signal event takes only PERSIST and FINALIZE",
            ));
        }
        let what = what | Ev::SIGNAL;
        self.create(spec(signo, what), Closure::new(f), 0, false)
    }

    /// Runs `f` once after `delay` (next loop turn with `None`).
    ///
    /// ```
    /// let base = oxevent::Base::<u8>::new().unwrap();
    /// base.once_timer(None, |n: &mut u8, _| *n += 1).unwrap();
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn once_timer(
        &self,
        delay: Option<Duration>,
        f: impl FnOnce(&mut D, &Base<D>) + Send + 'static,
    ) -> Result<EventId> {
        let mut f = Some(f);
        self.once_inner(
            -1,
            Ev::TIMEOUT,
            delay.map(Timeout::After),
            Closure::new(move |d, b, _| {
                if let Some(f) = f.take() {
                    f(d, b)
                }
            }),
        )
    }

    /// Deletes `id` and runs `f` once in the loop, after which the event is
    /// freed (`event_finalize`): safe teardown of state the callback uses.
    ///
    /// ```
    /// let base = oxevent::Base::<bool>::new().unwrap();
    /// let t = base.timer(|_, _, _| unreachable!()).unwrap();
    /// base.add(t, Some(std::time::Duration::from_secs(5))).unwrap();
    /// base.finalize_with(t, |done: &mut bool, _| *done = true).unwrap();
    /// let mut done = false;
    /// base.dispatch(&mut done).unwrap();
    /// assert!(done);
    /// ```
    pub fn finalize_with(
        &self,
        id: EventId,
        f: impl FnOnce(&mut D, &Base<D>) + Send + 'static,
    ) -> Result<()> {
        let mut f = Some(f);
        self.finalize(
            id,
            Closure::new(move |d, b, _| {
                if let Some(f) = f.take() {
                    f(d, b)
                }
            }),
        )
    }
}
