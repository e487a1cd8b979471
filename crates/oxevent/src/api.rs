//! The Rust face: [`Base`] with closures over `&mut D`, and [`Remote`], its
//! handle for other threads.
//!
//! Callbacks receive the state `D` lent to [`Base::dispatch`] (calloop's
//! model: no `Rc<RefCell<…>>`), the base itself (to add, delete or free any
//! event, their own included) and a [`Fired`] saying why they run.
//!
//! A `Base` belongs to the thread that made it (it is neither `Send` nor
//! `Sync`), so its callbacks need not be `Send`: they are kept in a slab on
//! that thread, beside the engine's records, and only ever run there. Other
//! threads reach the base through a [`Remote`] (tokio's `LocalSet` and
//! `Handle`, calloop's `LoopSignal`): it may add, delete and activate
//! existing events and stop the loop, but not create or free events, whose
//! closures live on the base's thread.
//!
//! I/O events own their descriptor's source and lend it to the callback as
//! an [`Io`], which reads and writes but cannot replace the source: the fd
//! lives exactly as long as its registration and cannot be closed under a
//! pending event.
//!
//! A callback that panics unwinds out of [`Base::dispatch`] (or `run`) to
//! its caller. The base stays consistent and can be dispatched again; the
//! event whose callback panicked stays registered with its closure, in the
//! state it had when the callback began (a non-persistent event is no
//! longer pending, as before any callback; a persistent one still is).

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::core::{Spec, When};
use crate::dispatch::{Job, Runner};
use crate::engine::{duration_ns, Count, DelMode, Engine, LoopExit, LoopFlags, Timeout};
use crate::error::{Error, Result};
use crate::event::{kind, EventId, EventInfo, Fired, Pending};
use crate::flags::Ev;
use crate::sys::Features;
use crate::timer::CommonTimeout;

type Callback<D> = Box<dyn FnMut(&mut D, &Base<D>, Fired)>;

/// A callback kept for one record.
struct Local<D: 'static> {
    gen: u32,
    f: Option<Callback<D>>,
}

struct Inner<D: 'static> {
    engine: Arc<Engine>,
    local: RefCell<Vec<Option<Local<D>>>>,
}

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
///
/// Callbacks need not be `Send`: they run on the base's thread.
///
/// ```
/// use std::rc::Rc;
/// use std::cell::Cell;
/// use oxevent::{Base, Ev};
///
/// let seen = Rc::new(Cell::new(0)); // not Send
/// let base = Base::<()>::new().unwrap();
/// let s = seen.clone();
/// let t = base.timer(move |_, _, _| s.set(s.get() + 1)).unwrap();
/// base.activate(t, Ev::TIMEOUT).unwrap();
/// base.dispatch(&mut ()).unwrap();
/// assert_eq!(seen.get(), 1);
/// ```
pub struct Base<D: 'static = ()> {
    inner: Rc<Inner<D>>,
}

/// A base that does not keep it alive (what a connection's own state
/// holds, so the base's closures and the connection form no cycle).
pub(crate) struct WeakBase<D: 'static>(std::rc::Weak<Inner<D>>);

impl<D: 'static> WeakBase<D> {
    /// The base, if it still exists.
    pub(crate) fn upgrade(&self) -> Option<Base<D>> {
        self.0.upgrade().map(|inner| Base { inner })
    }
}

impl<D: 'static> Clone for Base<D> {
    fn clone(&self) -> Self {
        Base {
            inner: self.inner.clone(),
        }
    }
}

impl<D: 'static> std::fmt::Debug for Base<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Base")
            .field("method", &self.method())
            .finish_non_exhaustive()
    }
}

/// A handle to a [`Base`] for other threads: `Send + Sync`, cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use oxevent::{Base, Ev};
///
/// let base = Base::<Vec<Ev>>::new().unwrap();
/// let t = base.timer(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what)).unwrap();
/// base.add(t, Some(Duration::from_secs(60))).unwrap();
/// let remote = base.remote();
/// let waker = std::thread::spawn(move || remote.activate(t, Ev::READ).unwrap());
/// let mut seen = Vec::new();
/// base.dispatch(&mut seen).unwrap(); // woken long before the 60 s timeout
/// waker.join().unwrap();
/// assert_eq!(seen, [Ev::READ]);
/// ```
#[derive(Clone)]
pub struct Remote {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").finish_non_exhaustive()
    }
}

/// The source of an I/O event, lent to its callback: it reads and writes
/// through the source but cannot replace it (the registered fd must stay
/// the one the event watches).
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use oxevent::{Base, Ev};
///
/// let (a, mut b) = UnixStream::pair().unwrap();
/// let base = Base::<Vec<u8>>::new().unwrap();
/// let id = base
///     .io(a, Ev::READ, |got: &mut Vec<u8>, _, io, _| {
///         let mut buf = [0u8; 16];
///         let n = io.read(&mut buf).unwrap();
///         got.extend_from_slice(&buf[..n]);
///         io.write_all(b"pong").unwrap(); // writes go to the same socket
///     })
///     .unwrap();
/// base.add(id, None).unwrap();
/// b.write_all(b"ping").unwrap();
/// let mut got = Vec::new();
/// base.dispatch(&mut got).unwrap();
/// assert_eq!(got, b"ping");
/// let mut reply = [0u8; 4];
/// b.read_exact(&mut reply).unwrap();
/// assert_eq!(&reply, b"pong");
/// ```
pub struct Io<'a, S> {
    src: &'a mut S,
}

impl<S> Io<'_, S> {
    /// The source, shared.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// let base = Base::<bool>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::WRITE, |ok: &mut bool, _, io, _| {
    ///         *ok = io.get_ref().peer_addr().is_ok();
    ///     })
    ///     .unwrap();
    /// base.add(id, None).unwrap();
    /// let mut ok = false;
    /// base.dispatch(&mut ok).unwrap();
    /// assert!(ok);
    /// drop(b);
    /// ```
    pub fn get_ref(&self) -> &S {
        self.src
    }
}

impl<S> std::fmt::Debug for Io<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").finish_non_exhaustive()
    }
}

impl<S: Read> Read for Io<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.src.read(buf)
    }
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.src.read_vectored(bufs)
    }
}

impl<S: Write> Write for Io<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.src.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.src.write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.src.flush()
    }
}

impl<S: AsFd> AsFd for Io<'_, S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.src.as_fd()
    }
}

impl<S: AsRawFd> AsRawFd for Io<'_, S> {
    fn as_raw_fd(&self) -> RawFd {
        self.src.as_raw_fd()
    }
}

fn spec(fd: RawFd, events: Ev) -> Spec {
    Spec {
        fd,
        events,
        pri: None,
        key: 0,
        cb: 0,
        arg: 0,
        kind: kind::USER,
        transient: false,
        internal: false,
        period: None,
    }
}

/// Runs the Rust face's closures for the loop.
struct Closures<'a, D: 'static> {
    base: &'a Base<D>,
    data: &'a mut D,
}

/// Gives a running closure back to its slot when it returns or panics,
/// unless the callback freed or replaced it (then it is dropped here).
struct PutBack<'a, D: 'static> {
    base: &'a Base<D>,
    id: EventId,
    f: Option<Callback<D>>,
    keep: bool,
}

impl<D: 'static> Drop for PutBack<'_, D> {
    fn drop(&mut self) {
        let Some(f) = self.f.take() else { return };
        if self.keep {
            let mut local = self.base.inner.local.borrow_mut();
            if let Some(Some(slot)) = local.get_mut(self.id.idx as usize) {
                if slot.gen == self.id.gen && slot.f.is_none() {
                    slot.f = Some(f);
                    return;
                }
            }
        }
        // Dropped with no borrow held: its destructor may use the base.
        drop(f);
    }
}

impl<D: 'static> Runner for Closures<'_, D> {
    fn run(&mut self, _engine: &Engine, job: &Job) {
        let taken = {
            let mut local = self.base.inner.local.borrow_mut();
            match local.get_mut(job.id.idx as usize) {
                Some(Some(slot)) if slot.gen == job.id.gen => slot.f.take(),
                _ => None,
            }
        };
        let Some(f) = taken else { return };
        let mut back = PutBack {
            base: self.base,
            id: job.id,
            f: Some(f),
            // A one-shot or a finalizer runs once; its record is freed.
            keep: !job.transient && !job.finalize,
        };
        let fired = Fired {
            id: job.id,
            fd: job.fd,
            what: job.what,
        };
        if let Some(f) = back.f.as_mut() {
            f(self.data, self.base, fired);
        }
        if !back.keep {
            self.base.forget_local(job.id);
        }
    }
}

impl<D: 'static> Base<D> {
    /// A handle that does not keep the base alive.
    pub(crate) fn downgrade(&self) -> WeakBase<D> {
        WeakBase(Rc::downgrade(&self.inner))
    }

    /// A base with the default configuration.
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert!(oxevent::supported_methods().contains(&base.method()));
    /// ```
    pub fn new() -> Result<Base<D>> {
        Base::with_config(&Config::new())
    }

    /// A base built from `cfg`, choosing the backend as libevent does.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Error};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("epoll");
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "poll"); // the next one in libevent's order
    ///
    /// let mut none = Config::new();
    /// none.avoid_method("epoll").avoid_method("poll").avoid_method("select");
    /// assert!(matches!(Base::<()>::with_config(&none), Err(Error::NoBackend)));
    /// ```
    pub fn with_config(cfg: &Config) -> Result<Base<D>> {
        Ok(Base {
            inner: Rc::new(Inner {
                engine: Arc::new(Engine::new(cfg)?),
                local: RefCell::new(Vec::new()),
            }),
        })
    }

    fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// How many cross-thread wakeups this base has written: at most one is
    /// outstanding, however many activations other threads make while the
    /// loop is busy (a diagnostic; libevent's `is_notify_pending`).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap(); // same thread, loop not running
    /// assert_eq!(base.wakeups_written(), 0);
    /// ```
    pub fn wakeups_written(&self) -> u64 {
        self.engine().wakeups_written()
    }

    /// A handle for other threads.
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.loopbreak()).join().unwrap();
    /// assert!(base.got_break());
    /// ```
    pub fn remote(&self) -> Remote {
        Remote {
            engine: self.inner.engine.clone(),
        }
    }

    /// Whether two handles name the same base.
    ///
    /// ```
    /// let a = oxevent::Base::<()>::new().unwrap();
    /// let b = a.clone();
    /// let c = oxevent::Base::<()>::new().unwrap();
    /// assert!(a.same_base(&b));
    /// assert!(!a.same_base(&c));
    /// ```
    pub fn same_base(&self, other: &Base<D>) -> bool {
        Arc::ptr_eq(&self.inner.engine, &other.inner.engine)
    }

    /// A number identifying this base for its lifetime.
    ///
    /// ```
    /// let a = oxevent::Base::<()>::new().unwrap();
    /// let b = oxevent::Base::<()>::new().unwrap();
    /// assert_eq!(a.serial(), a.clone().serial());
    /// assert_ne!(a.serial(), b.serial());
    /// assert_eq!(a.serial(), a.remote().serial());
    /// ```
    pub fn serial(&self) -> usize {
        Arc::as_ptr(&self.inner.engine) as usize
    }

    /// The backend's name: `"epoll"`, `"poll"` or `"select"`.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV); // EVENT_NOEPOLL and friends are not consulted
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll"); // libevent's first choice on Linux
    /// ```
    pub fn method(&self) -> &'static str {
        self.engine().method()
    }

    /// The backend's features.
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("epoll").avoid_method("poll");
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "select");
    /// assert_eq!(base.features(), Features::FDS);
    /// ```
    pub fn features(&self) -> Features {
        self.engine().features()
    }

    /// Stores `f` as the callback of the new record `id`.
    fn keep(&self, id: EventId, f: Callback<D>) {
        let old = {
            let mut local = self.inner.local.borrow_mut();
            let i = id.idx as usize;
            if i >= local.len() {
                local.resize_with(i + 1, || None);
            }
            local[i].replace(Local {
                gen: id.gen,
                f: Some(f),
            })
        };
        // A stale slot's closure (its record was freed elsewhere) is dropped
        // with no borrow held.
        drop(old);
    }

    /// Drops the closure kept for `id` (its record is gone).
    fn forget_local(&self, id: EventId) {
        let old = {
            let mut local = self.inner.local.borrow_mut();
            match local.get_mut(id.idx as usize) {
                Some(slot) if slot.as_ref().is_some_and(|s| s.gen == id.gen) => slot.take(),
                _ => None,
            }
        };
        drop(old);
    }

    fn create(&self, spec: &Spec, f: Callback<D>) -> Result<EventId> {
        let id = self.engine().create(spec)?;
        self.keep(id, f);
        Ok(id)
    }

    /// A timer: runs when its timeout elapses or when activated.
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
    pub fn timer(&self, f: impl FnMut(&mut D, &Base<D>, Fired) + 'static) -> Result<EventId> {
        self.timer_with(Ev::NONE, f)
    }

    /// A timer with flags (`PERSIST`: re-armed with the same period each time
    /// it runs; `FINALIZE`: deletes from other threads do not wait for it).
    ///
    /// ```
    /// use oxevent::{Error, Ev};
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let t = base.timer_with(Ev::PERSIST, |_, _, _| {}).unwrap();
    /// assert_eq!(base.info(t).unwrap().events, Ev::PERSIST);
    /// assert!(matches!(base.timer_with(Ev::READ, |_, _, _| {}), Err(Error::BadFlags(_))));
    /// ```
    pub fn timer_with(
        &self,
        what: Ev,
        f: impl FnMut(&mut D, &Base<D>, Fired) + 'static,
    ) -> Result<EventId> {
        if !what.without(Ev::PERSIST | Ev::FINALIZE).is_empty() {
            return Err(Error::BadFlags(
                "a timer takes only PERSIST and FINALIZE (use io() or signal())",
            ));
        }
        self.create(&spec(-1, what), Box::new(f))
    }

    /// An I/O event that owns `source` (a socket, pipe end, `Stdin` …) and
    /// lends it to the callback as an [`Io`]. `what` holds `READ`, `WRITE`
    /// and/or `CLOSED`, optionally `PERSIST` and `ET`.
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
    ///     .io(a, Ev::READ, |seen: &mut Vec<Ev>, _, _io, fired| seen.push(fired.what))
    ///     .unwrap();
    /// base.add(id, None).unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, vec![Ev::READ]);
    /// ```
    pub fn io<S: AsFd + 'static>(
        &self,
        source: S,
        what: Ev,
        mut f: impl FnMut(&mut D, &Base<D>, &mut Io<'_, S>, Fired) + 'static,
    ) -> Result<EventId> {
        if !what.intersects(Ev::IO) {
            return Err(Error::BadFlags("an I/O event needs READ, WRITE or CLOSED"));
        }
        if what.contains(Ev::SIGNAL) {
            return Err(Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        let fd = source.as_fd().as_raw_fd();
        let mut source = source;
        // `source` moves into the closure: the fd stays open as long as the
        // event exists and is closed only after its record (and with it the
        // registration) is gone.
        self.create(
            &spec(fd, what),
            Box::new(move |d, b, fired| f(d, b, &mut Io { src: &mut source }, fired)),
        )
    }

    /// An I/O event on a raw descriptor this program keeps.
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor and stay open until the event is
    /// deleted or freed: closing it first leaves the kernel registration
    /// behind (epoll watches the open file, not the number), and a number
    /// re-used by another open lets this event fire for a file it never
    /// meant to watch. [`Base::io`] owns its source and needs none of this.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let on_read = |seen: &mut Vec<Ev>, _: &Base<Vec<Ev>>, fired: oxevent::Fired| {
    ///     seen.push(fired.what)
    /// };
    /// // SAFETY: `a` stays open until the event is freed below.
    /// let id = unsafe { base.io_fd(a.as_raw_fd(), Ev::READ, on_read) }.unwrap();
    /// base.add(id, None).unwrap();
    /// b.write_all(b"x").unwrap();
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ]);
    /// base.free(id).unwrap(); // before `a` closes
    /// ```
    pub unsafe fn io_fd(
        &self,
        fd: RawFd,
        what: Ev,
        f: impl FnMut(&mut D, &Base<D>, Fired) + 'static,
    ) -> Result<EventId> {
        if !what.intersects(Ev::IO) || what.contains(Ev::SIGNAL) {
            return Err(Error::BadFlags(
                "an I/O event needs READ, WRITE or CLOSED, and no SIGNAL",
            ));
        }
        if fd < 0 {
            return Err(Error::BadFd(fd));
        }
        self.create(&spec(fd, what), Box::new(f))
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
        f: impl FnMut(&mut D, &Base<D>, Fired) + 'static,
    ) -> Result<EventId> {
        if what.intersects(Ev::IO) {
            return Err(Error::BadFlags(
                "EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED",
            ));
        }
        if !what
            .without(Ev::PERSIST | Ev::FINALIZE | Ev::SIGNAL)
            .is_empty()
        {
            return Err(Error::BadFlags(
                "a signal event takes only PERSIST and FINALIZE",
            ));
        }
        self.create(&spec(signo, what | Ev::SIGNAL), Box::new(f))
    }

    /// Runs `f` once after `delay` (at the next loop turn with `None`);
    /// the event is freed after it runs.
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
        f: impl FnOnce(&mut D, &Base<D>) + 'static,
    ) -> Result<EventId> {
        let mut f = Some(f);
        let mut s = spec(-1, Ev::TIMEOUT);
        s.transient = true;
        let id = self.engine().once(&s, delay.map(Timeout::After))?;
        self.keep(
            id,
            Box::new(move |d, b, _| {
                if let Some(f) = f.take() {
                    f(d, b)
                }
            }),
        );
        Ok(id)
    }

    /// Makes `id` pending, with an optional timeout from now. A pending event
    /// gets its timeout rescheduled; `None` leaves an existing timeout alone.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap(); // rescheduled, not doubled
    /// base.add(t, None).unwrap(); // keeps the 1 ms timeout
    /// let left = base.pending(t, Ev::TIMEOUT).unwrap().remaining.unwrap();
    /// assert!(left <= Duration::from_millis(1));
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn add(&self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        self.engine()
            .add(id, timeout.map(|d| When::After(duration_ns(d))))
    }

    /// Makes `id` pending with a timeout given as a [`Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Timeout};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let queue = base.init_common_timeout(Duration::from_millis(1)).unwrap();
    /// let at = base.now_ns() + 1_000_000;
    /// let ways = [
    ///     Timeout::After(Duration::from_millis(1)),
    ///     Timeout::At(at),
    ///     Timeout::Common(queue),
    /// ];
    /// for timeout in ways {
    ///     let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    ///     base.add_with(t, Some(timeout)).unwrap();
    /// }
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn add_with(&self, id: EventId, timeout: Option<Timeout>) -> Result<()> {
        self.engine().add(id, timeout.map(Timeout::into_when))
    }

    /// Makes `id` pending with a common timeout.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<u32>::new().unwrap();
    /// let two_ms = base.init_common_timeout(Duration::from_millis(2)).unwrap();
    /// for _ in 0..3 {
    ///     let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    ///     base.add_common(t, two_ms).unwrap(); // one O(1) queue for all three
    /// }
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn add_common(&self, id: EventId, timeout: CommonTimeout) -> Result<()> {
        self.engine().add(id, Some(When::Common(timeout.index)))
    }

    /// Like [`Base::add`] with the timeout given as an absolute monotonic
    /// deadline in nanoseconds (see [`Base::now_ns`]).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<bool>::new().unwrap();
    /// let t = base.timer(|fired: &mut bool, _, _| *fired = true).unwrap();
    /// let deadline = base.now_ns() + 2_000_000; // 2 ms from now
    /// base.add_at(t, deadline).unwrap();
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns, Some(deadline));
    /// let mut fired = false;
    /// base.dispatch(&mut fired).unwrap();
    /// assert!(fired);
    /// ```
    pub fn add_at(&self, id: EventId, deadline_ns: u64) -> Result<()> {
        self.engine().add(id, Some(When::At(deadline_ns)))
    }

    /// Makes `id` non-pending and non-active (`event_del`); deleting a
    /// non-pending event does nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// base.del(t).unwrap();
    /// base.del(t).unwrap(); // not pending: nothing to do
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    /// let mut n = 0;
    /// assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
    /// assert_eq!(n, 0);
    /// base.add(t, Some(Duration::from_millis(1))).unwrap(); // still usable
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn del(&self, id: EventId) -> Result<()> {
        self.del_with(id, DelMode::Auto)
    }

    /// [`Base::del`] with an explicit waiting mode (it matters only for a
    /// [`Remote::del_with`] while the callback runs on the base's thread).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, DelMode, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// base.del_with(t, DelMode::NoBlock).unwrap();
    /// assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    /// ```
    pub fn del_with(&self, id: EventId, mode: DelMode) -> Result<()> {
        if self.engine().del(id, mode)? {
            self.forget_local(id);
        }
        Ok(())
    }

    /// Frees an event: deletes it and drops its callback. The callback of
    /// an event that runs now is dropped when it returns.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use oxevent::{Base, Error, LoopExit};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let token = Rc::new(());
    /// let held = token.clone();
    /// let t = base.timer(move |_, _, _| drop(held.clone())).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// base.free(t).unwrap();
    /// assert_eq!(Rc::strong_count(&token), 1); // the callback was dropped
    /// assert!(matches!(base.info(t), Err(Error::NoSuchEvent)));
    /// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
    pub fn free(&self, id: EventId) -> Result<()> {
        self.engine().free(id)?;
        self.forget_local(id);
        Ok(())
    }

    /// Makes `id` active with `what` as if it had fired (`event_active`).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let t = base.timer(|seen: &mut Vec<Ev>, _, fired| seen.push(fired.what)).unwrap();
    /// base.activate(t, Ev::READ).unwrap(); // never added: it runs anyway
    /// base.activate(t, Ev::WRITE).unwrap(); // already active: results merge
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ | Ev::WRITE]);
    /// ```
    pub fn activate(&self, id: EventId, what: Ev) -> Result<()> {
        self.engine().activate(id, what, 1)
    }

    /// [`Base::activate`] with a signal-delivery count.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let s = base
    ///     .signal(libc::SIGUSR1, Ev::NONE, |n: &mut u32, _, fired| {
    ///         assert_eq!(fired.what, Ev::SIGNAL);
    ///         *n += 1;
    ///     })
    ///     .unwrap();
    /// base.activate_n(s, Ev::SIGNAL, 3).unwrap(); // as if SIGUSR1 arrived 3 times
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 3);
    /// ```
    pub fn activate_n(&self, id: EventId, what: Ev, ncalls: u16) -> Result<()> {
        self.engine().activate(id, what, ncalls)
    }

    /// Removes only the timeout of a pending event (`event_remove_timer`);
    /// a persistent event's period goes with it.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.remove_timer(id).unwrap();
    /// let p = base.pending(id, Ev::READ | Ev::TIMEOUT).unwrap();
    /// assert_eq!(p.what, Ev::READ); // still waiting for input, with no timeout
    /// assert_eq!(p.remaining, None);
    /// ```
    pub fn remove_timer(&self, id: EventId) -> Result<()> {
        self.engine().remove_timer(id)
    }

    /// Which of `mask`'s flags are pending or active for `id`, and the time
    /// left on its timeout.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// let p = base.pending(id, Ev::READ | Ev::WRITE | Ev::TIMEOUT).unwrap();
    /// assert_eq!(p.what, Ev::READ | Ev::TIMEOUT);
    /// assert!(p.remaining.unwrap() > Duration::from_secs(59));
    /// assert_eq!(base.pending(id, Ev::WRITE).unwrap().what, Ev::NONE); // masked out
    /// ```
    pub fn pending(&self, id: EventId, mask: Ev) -> Result<Pending> {
        self.engine().pending(id, mask)
    }

    /// The event's current description.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer_with(Ev::PERSIST, |_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let info = base.info(t).unwrap();
    /// assert_eq!((info.id, info.fd, info.key), (t, -1, 0));
    /// assert_eq!(info.events, Ev::PERSIST);
    /// assert!(!info.inserted && info.active.is_none());
    /// assert!(info.timeout.unwrap() <= Duration::from_secs(60));
    /// ```
    pub fn info(&self, id: EventId) -> Result<EventInfo> {
        self.engine().info(id)
    }

    /// Sets an event's priority (`event_priority_set`): refused while active
    /// or out of range.
    ///
    /// ```
    /// use oxevent::{Base, Error, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// assert!(matches!(base.set_priority(t, 1), Err(Error::BadPriority(1)))); // only 0 yet
    /// base.priority_init(3).unwrap();
    /// base.set_priority(t, 2).unwrap();
    /// assert_eq!(base.info(t).unwrap().priority, 2);
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// assert!(matches!(base.set_priority(t, 0), Err(Error::EventActive)));
    /// ```
    pub fn set_priority(&self, id: EventId, priority: u8) -> Result<()> {
        self.engine().set_priority(id, priority)
    }

    /// Sets how many priorities the base has (`event_base_priority_init`):
    /// `1..=255`, refused while events are active. New events get the
    /// middle one (`n / 2`); lower numbers run first.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// base.priority_init(2).unwrap();
    /// let low = base.timer(|log: &mut Log, _, _| log.push("low")).unwrap();
    /// let high = base.timer(|log: &mut Log, _, _| log.push("high")).unwrap();
    /// base.set_priority(high, 0).unwrap();
    /// base.activate(low, Ev::TIMEOUT).unwrap();
    /// base.activate(high, Ev::TIMEOUT).unwrap();
    /// assert!(base.priority_init(4).is_err()); // refused while events are active
    /// let mut log = Log::new();
    /// base.dispatch(&mut log).unwrap();
    /// assert_eq!(log, ["high", "low"]);
    /// assert!(base.priority_init(0).is_err());
    /// ```
    pub fn priority_init(&self, n: u8) -> Result<()> {
        self.engine().priority_init(n)
    }

    /// The number of priorities.
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert_eq!(base.npriorities(), 1);
    /// base.priority_init(8).unwrap();
    /// assert_eq!(base.npriorities(), 8);
    /// ```
    pub fn npriorities(&self) -> u8 {
        self.engine().npriorities()
    }

    /// Deletes `id` and runs `f` once in the loop, after which the event is
    /// freed (`event_finalize`): safe teardown of state the callback uses.
    ///
    /// ```
    /// use oxevent::{Base, Error};
    ///
    /// let base = Base::<bool>::new().unwrap();
    /// let t = base.timer(|_, _, _| unreachable!()).unwrap();
    /// base.add(t, Some(std::time::Duration::from_secs(5))).unwrap();
    /// base.finalize_with(t, |done: &mut bool, _| *done = true).unwrap();
    /// assert!(matches!(base.add(t, None), Err(Error::Finalizing)));
    /// let mut done = false;
    /// base.dispatch(&mut done).unwrap();
    /// assert!(done);
    /// assert!(base.info(t).is_err()); // freed after its finalizer
    /// ```
    pub fn finalize_with(
        &self,
        id: EventId,
        f: impl FnOnce(&mut D, &Base<D>) + 'static,
    ) -> Result<()> {
        self.engine().info(id)?;
        let mut f = Some(f);
        self.keep(
            id,
            Box::new(move |d, b, _| {
                if let Some(f) = f.take() {
                    f(d, b)
                }
            }),
        );
        self.engine().finalize(id, 0, 0, false)
    }

    /// Registers `duration` as a common timeout (`event_base_init_common_timeout`);
    /// the same duration gives the same queue.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let ten = base.init_common_timeout(Duration::from_millis(10)).unwrap();
    /// let twenty = base.init_common_timeout(Duration::from_millis(20)).unwrap();
    /// assert_ne!(ten.index(), twenty.index());
    /// assert_eq!(base.init_common_timeout(Duration::from_millis(10)).unwrap(), ten);
    /// ```
    pub fn init_common_timeout(&self, duration: Duration) -> Result<CommonTimeout> {
        self.engine().init_common_timeout(duration)
    }

    /// The common timeout with this queue index, if registered.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let q = base.init_common_timeout(Duration::from_millis(5)).unwrap();
    /// assert_eq!(base.common_timeout(q.index()), Some(q));
    /// assert_eq!(base.common_timeout(q.index() + 1), None);
    /// ```
    pub fn common_timeout(&self, index: u16) -> Option<CommonTimeout> {
        self.engine().common_timeout(index)
    }

    /// Runs the loop until no events are left or it is stopped
    /// (`event_base_dispatch`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit};
    ///
    /// let base = Base::<Vec<u64>>::new().unwrap();
    /// for ms in [2, 1] {
    ///     let t = base.timer(move |done: &mut Vec<u64>, _, _| done.push(ms)).unwrap();
    ///     base.add(t, Some(Duration::from_millis(ms))).unwrap();
    /// }
    /// let mut done = Vec::new();
    /// assert_eq!(base.dispatch(&mut done).unwrap(), LoopExit::NoEvents);
    /// done.sort();
    /// assert_eq!(done, [1, 2]);
    /// ```
    pub fn dispatch(&self, data: &mut D) -> Result<LoopExit> {
        self.run(LoopFlags::default(), data)
    }

    /// Runs the loop (`event_base_loop`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Error, Ev, LoopFlags};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let tick = base
    ///     .timer_with(Ev::PERSIST, |n: &mut u32, base, _| {
    ///         *n += 1;
    ///         // Only one loop may run on a base at a time.
    ///         let nested = base.run(LoopFlags::NONBLOCK, &mut 0);
    ///         assert!(matches!(nested, Err(Error::Reentrant)));
    ///     })
    ///     .unwrap();
    /// base.add(tick, Some(Duration::from_millis(1))).unwrap();
    /// let mut n = 0;
    /// base.run(LoopFlags::ONCE, &mut n).unwrap(); // wait, run the tick, return
    /// base.run(LoopFlags::ONCE, &mut n).unwrap();
    /// assert_eq!(n, 2);
    /// base.free(tick).unwrap();
    /// ```
    pub fn run(&self, flags: LoopFlags, data: &mut D) -> Result<LoopExit> {
        let mut runner = Closures { base: self, data };
        self.inner.engine.run(flags, &mut runner)
    }

    /// Asks the loop to stop after `delay` (now with `None`), once the
    /// callbacks of that turn ran (`event_base_loopexit`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// let a = base
    ///     .timer(|log: &mut Log, base, _| {
    ///         log.push("a");
    ///         base.loopexit(None).unwrap();
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// let later = base.timer(|log: &mut Log, _, _| log.push("later")).unwrap();
    /// base.add(later, Some(Duration::from_secs(60))).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::Stopped);
    /// assert_eq!(log, ["a", "b"]); // `b` still ran in that turn
    /// assert!(base.got_exit());
    /// ```
    pub fn loopexit(&self, delay: Option<Duration>) -> Result<()> {
        self.engine().loopexit(delay)
    }

    /// Stops the loop after the running callback (`event_base_loopbreak`).
    ///
    /// ```
    /// use oxevent::{Base, Ev, LoopExit};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// let a = base
    ///     .timer(|log: &mut Log, base, _| {
    ///         log.push("a");
    ///         base.loopbreak();
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::Stopped);
    /// assert_eq!(log, ["a"]);
    /// assert!(base.got_break());
    /// assert_eq!(base.info(b).unwrap().active, Some(Ev::TIMEOUT)); // left for next time
    /// ```
    pub fn loopbreak(&self) {
        self.engine().loopbreak()
    }

    /// Makes the loop re-check for higher-priority events after the running
    /// callback (`event_base_loopcontinue`).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// type Log = Vec<&'static str>;
    /// let base = Base::<Log>::new().unwrap();
    /// base.priority_init(2).unwrap();
    /// let (r, mut w) = UnixStream::pair().unwrap();
    /// let reader = base
    ///     .io(r, Ev::READ, |log: &mut Log, _, io, _| {
    ///         io.read_exact(&mut [0u8; 1]).unwrap();
    ///         log.push("reader");
    ///     })
    ///     .unwrap();
    /// base.set_priority(reader, 0).unwrap();
    /// base.add(reader, None).unwrap();
    /// let a = base
    ///     .timer(move |log: &mut Log, base, _| {
    ///         log.push("a");
    ///         w.write_all(b"x").unwrap(); // the reader becomes ready…
    ///         base.loopcontinue(); // …and the loop polls before running `b`
    ///     })
    ///     .unwrap();
    /// let b = base.timer(|log: &mut Log, _, _| log.push("b")).unwrap();
    /// base.activate(a, Ev::TIMEOUT).unwrap();
    /// base.activate(b, Ev::TIMEOUT).unwrap();
    /// let mut log = Log::new();
    /// base.dispatch(&mut log).unwrap();
    /// assert_eq!(log, ["a", "reader", "b"]); // without loopcontinue: a, b, reader
    /// ```
    pub fn loopcontinue(&self) {
        self.engine().loopcontinue()
    }

    /// Whether the last loop ended through `loopexit`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// base.loopexit(Some(Duration::from_millis(1))).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert!(base.got_exit() && !base.got_break());
    /// base.dispatch(&mut ()).unwrap(); // the next loop starts afresh
    /// assert!(!base.got_exit());
    /// ```
    pub fn got_exit(&self) -> bool {
        self.engine().got_exit()
    }

    /// Whether the last loop ended through `loopbreak`.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, base, _| base.loopbreak()).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert!(base.got_break() && !base.got_exit());
    /// base.dispatch(&mut ()).unwrap(); // the next loop starts afresh
    /// assert!(!base.got_break());
    /// ```
    pub fn got_break(&self) -> bool {
        self.engine().got_break()
    }

    /// The event whose callback runs now, if called from the loop's thread.
    ///
    /// ```
    /// use oxevent::{Base, Ev, EventId};
    ///
    /// let base = Base::<Option<EventId>>::new().unwrap();
    /// let t = base.timer(|seen: &mut Option<EventId>, base, _| *seen = base.running_event()).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let mut seen = None;
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, Some(t));
    /// assert_eq!(base.running_event(), None); // no callback runs now
    /// ```
    pub fn running_event(&self) -> Option<EventId> {
        self.engine().running_event().map(|(id, _)| id)
    }

    /// How many events of a kind the base holds now.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Count, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// assert_eq!(base.num_events(&[Count::Added]), 0); // created, not added
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// assert_eq!(base.num_events(&[Count::Added]), 2); // inserted, and a timeout
    /// assert_eq!(base.num_events(&[Count::Active]), 0);
    /// ```
    pub fn num_events(&self, what: &[Count]) -> usize {
        self.engine().num_events(what)
    }

    /// The most events of a kind the base held at once; `clear` resets the
    /// maxima.
    ///
    /// ```
    /// use oxevent::{Base, Count, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// base.dispatch(&mut ()).unwrap();
    /// assert_eq!(base.max_events(&[Count::Active], true), 1);
    /// assert_eq!(base.max_events(&[Count::Active], false), 0); // cleared
    /// ```
    pub fn max_events(&self, what: &[Count], clear: bool) -> usize {
        self.engine().max_events(what, clear)
    }

    /// Holds the loop open with no events (a "virtual" event, as libevent's
    /// internal users such as DNS do).
    ///
    /// ```
    /// use oxevent::{Base, Count, LoopExit, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// base.add_virtual();
    /// assert_eq!(base.num_events(&[Count::Virtual]), 1);
    /// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(), LoopExit::Stopped);
    /// base.del_virtual();
    /// assert_eq!(base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
    pub fn add_virtual(&self) {
        self.engine().add_virtual()
    }

    /// Releases one [`Base::add_virtual`]; one too many is ignored.
    ///
    /// ```
    /// use oxevent::{Base, Count};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// base.add_virtual();
    /// base.add_virtual();
    /// base.del_virtual();
    /// assert_eq!(base.num_events(&[Count::Virtual]), 1);
    /// base.del_virtual();
    /// base.del_virtual(); // one too many: ignored
    /// assert_eq!(base.num_events(&[Count::Virtual]), 0);
    /// assert_eq!(base.max_events(&[Count::Virtual], false), 2);
    /// ```
    pub fn del_virtual(&self) {
        self.engine().del_virtual()
    }

    /// The monotonic time in nanoseconds, cached per loop turn.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let before = base.now_ns();
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert!(base.now_ns() > before); // outside the loop: read afresh each time
    /// ```
    pub fn now_ns(&self) -> u64 {
        self.engine().now_ns()
    }

    /// Wall-clock time since the Unix epoch, from the loop's cached time
    /// when one is set (`event_base_gettimeofday_cached`).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    /// let ours = base.gettimeofday_cached();
    /// let skew = if ours > now { ours - now } else { now - ours };
    /// assert!(skew < Duration::from_secs(1));
    /// ```
    pub fn gettimeofday_cached(&self) -> Duration {
        self.engine().gettimeofday_cached()
    }

    /// Converts a monotonic deadline into wall-clock time since the epoch.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let deadline = base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns.unwrap();
    /// let wall = base.monotonic_to_wall(deadline);
    /// let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    /// let ahead = wall.saturating_sub(now);
    /// assert!(ahead > Duration::from_secs(59) && ahead < Duration::from_secs(61));
    /// ```
    pub fn monotonic_to_wall(&self, mono_ns: u64) -> Duration {
        self.engine().monotonic_to_wall(mono_ns)
    }

    /// Refreshes the cached time if the loop is running (`event_base_update_cache_time`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<[u64; 3]>::new().unwrap();
    /// let t = base
    ///     .timer(|t: &mut [u64; 3], base, _| {
    ///         t[0] = base.now_ns();
    ///         std::thread::sleep(Duration::from_millis(5));
    ///         t[1] = base.now_ns(); // still this turn's cached time
    ///         base.update_cache_time();
    ///         t[2] = base.now_ns(); // refreshed
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let mut times = [0; 3];
    /// base.dispatch(&mut times).unwrap();
    /// assert_eq!(times[0], times[1]);
    /// assert!(times[2] > times[1]);
    /// ```
    pub fn update_cache_time(&self) {
        self.engine().update_cache_time()
    }

    /// A snapshot of every event, in libevent's order: inserted, then timers
    /// only, then active only.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let active = base.timer(|_, _, _| {}).unwrap();
    /// let timer = base.timer(|_, _, _| {}).unwrap();
    /// let io = base.io(a, Ev::READ, |_, _, _, _| {}).unwrap();
    /// base.activate(active, Ev::TIMEOUT).unwrap();
    /// base.add(timer, Some(Duration::from_secs(60))).unwrap();
    /// base.add(io, None).unwrap();
    /// let ids: Vec<_> = base.events().iter().map(|e| e.id).collect();
    /// assert_eq!(ids, [io, timer, active]); // inserted, timers only, active only
    /// ```
    pub fn events(&self) -> Vec<EventInfo> {
        self.engine().events()
    }

    /// Activates the events on `fd` (`event_base_active_by_fd`): I/O events
    /// matching `what`, or with `TIMEOUT` the timed events on that fd.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let fd = a.as_raw_fd();
    /// let base = Base::<Vec<Ev>>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::READ, |seen: &mut Vec<Ev>, _, _, fired| seen.push(fired.what))
    ///     .unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.active_by_fd(fd, Ev::WRITE); // it does not wait for WRITE: nothing
    /// assert_eq!(base.info(id).unwrap().active, None);
    /// base.active_by_fd(fd, Ev::READ); // as if `fd` were readable (it is not)
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// base.add(id, Some(Duration::from_secs(60))).unwrap();
    /// base.active_by_fd(fd, Ev::TIMEOUT); // the events on `fd` that have a timeout
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [Ev::READ, Ev::TIMEOUT]);
    /// ```
    pub fn active_by_fd(&self, fd: RawFd, what: Ev) {
        self.engine().active_by_fd(fd, what)
    }

    /// Activates the signal events for `signal` (`event_base_active_by_signal`).
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Vec<(i32, Ev)>>::new().unwrap();
    /// let s = base
    ///     .signal(libc::SIGUSR1, Ev::NONE, |seen: &mut Vec<(i32, Ev)>, _, fired| {
    ///         seen.push((fired.fd, fired.what))
    ///     })
    ///     .unwrap();
    /// base.add(s, None).unwrap();
    /// base.active_by_signal(libc::SIGUSR1); // no signal is raised
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [(libc::SIGUSR1, Ev::SIGNAL)]);
    /// ```
    pub fn active_by_signal(&self, signal: i32) {
        self.engine().active_by_signal(signal)
    }

    /// Rebuilds the backend and the signal and wakeup plumbing after `fork()`
    /// (`event_reinit`). Every pending event stays pending.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<u8>>::new().unwrap();
    /// let id = base
    ///     .io(a, Ev::READ, |got: &mut Vec<u8>, _, io, _| {
    ///         let mut buf = [0u8; 64];
    ///         let n = io.read(&mut buf).unwrap();
    ///         got.extend_from_slice(&buf[..n]);
    ///     })
    ///     .unwrap();
    /// base.add(id, None).unwrap();
    /// base.reinit().unwrap(); // what a child does after fork(); harmless here
    /// assert_eq!(base.pending(id, Ev::READ).unwrap().what, Ev::READ);
    /// b.write_all(b"still watched").unwrap();
    /// let mut got = Vec::new();
    /// base.dispatch(&mut got).unwrap();
    /// assert_eq!(got, b"still watched");
    /// ```
    pub fn reinit(&self) -> Result<()> {
        self.engine().reinit()
    }
}

impl Remote {
    /// Whether this handle names `base`.
    ///
    /// ```
    /// let a = oxevent::Base::<()>::new().unwrap();
    /// let b = oxevent::Base::<()>::new().unwrap();
    /// assert!(a.remote().is_for(&a) && !a.remote().is_for(&b));
    /// ```
    pub fn is_for<D: 'static>(&self, base: &Base<D>) -> bool {
        Arc::ptr_eq(&self.engine, &base.inner.engine)
    }

    /// The base's [`Base::serial`].
    ///
    /// ```
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// assert_eq!(base.remote().serial(), base.serial());
    /// ```
    pub fn serial(&self) -> usize {
        Arc::as_ptr(&self.engine) as usize
    }

    /// [`Base::add`] from any thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::Base;
    ///
    /// let base = Base::<bool>::new().unwrap();
    /// let t = base.timer(|fired: &mut bool, _, _| *fired = true).unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.add(t, Some(Duration::from_millis(1))).unwrap())
    ///     .join()
    ///     .unwrap();
    /// let mut fired = false;
    /// base.dispatch(&mut fired).unwrap();
    /// assert!(fired);
    /// ```
    pub fn add(&self, id: EventId, timeout: Option<Duration>) -> Result<()> {
        self.engine
            .add(id, timeout.map(|d| When::After(duration_ns(d))))
    }

    /// [`Base::del`] from any thread: waits for the event's callback if it
    /// runs now on the base's thread (unless the event has `FINALIZE`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| unreachable!()).unwrap();
    /// base.add(t, Some(Duration::from_millis(1))).unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.del(t).unwrap()).join().unwrap();
    /// assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    /// ```
    pub fn del(&self, id: EventId) -> Result<()> {
        self.del_with(id, DelMode::Auto)
    }

    /// [`Remote::del`] with an explicit waiting mode.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::{mpsc, Arc};
    /// use std::time::Duration;
    /// use oxevent::{Base, DelMode, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let flag = done.clone();
    /// let (started_tx, started) = mpsc::channel();
    /// let t = base
    ///     .timer(move |_, _, _| {
    ///         started_tx.send(()).unwrap();
    ///         std::thread::sleep(Duration::from_millis(60));
    ///         flag.store(true, Ordering::SeqCst);
    ///     })
    ///     .unwrap();
    /// base.activate(t, Ev::TIMEOUT).unwrap();
    /// let remote = base.remote();
    /// let deleter = std::thread::spawn(move || {
    ///     started.recv().unwrap(); // the callback runs now, in the loop's thread
    ///     remote.del_with(t, DelMode::Block).unwrap();
    ///     assert!(done.load(Ordering::SeqCst)); // `Block` waited for it to return
    /// });
    /// base.dispatch(&mut ()).unwrap();
    /// deleter.join().unwrap();
    /// ```
    pub fn del_with(&self, id: EventId, mode: DelMode) -> Result<()> {
        // A one-shot freed here leaves its closure on the base's thread,
        // which drops it when the slot is next used or the base goes.
        self.engine.del(id, mode).map(|_| ())
    }

    /// [`Base::activate`] from any thread; wakes the loop.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<Ev>::new().unwrap();
    /// let t = base.timer(|what: &mut Ev, _, fired| *what = fired.what).unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.activate(t, Ev::WRITE).unwrap()).join().unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::WRITE);
    /// ```
    pub fn activate(&self, id: EventId, what: Ev) -> Result<()> {
        self.engine.activate(id, what, 1)
    }

    /// [`Base::pending`] from any thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let t = base.timer(|_, _, _| {}).unwrap();
    /// base.add(t, Some(Duration::from_secs(60))).unwrap();
    /// let remote = base.remote();
    /// let what = std::thread::spawn(move || remote.pending(t, Ev::TIMEOUT).unwrap().what);
    /// assert_eq!(what.join().unwrap(), Ev::TIMEOUT);
    /// ```
    pub fn pending(&self, id: EventId, mask: Ev) -> Result<Pending> {
        self.engine.pending(id, mask)
    }

    /// [`Base::loopexit`] from any thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, LoopExit, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.loopexit(Some(Duration::from_millis(2))).unwrap());
    /// let end = base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut ()).unwrap();
    /// assert_eq!(end, LoopExit::Stopped);
    /// assert!(base.got_exit());
    /// ```
    pub fn loopexit(&self, delay: Option<Duration>) -> Result<()> {
        self.engine.loopexit(delay)
    }

    /// [`Base::loopbreak`] from any thread.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use oxevent::{Base, LoopFlags};
    ///
    /// let base = Base::<()>::new().unwrap();
    /// let remote = base.remote();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let d = done.clone();
    /// // A break that arrives before the loop starts is cleared by it (as
    /// // in libevent), so the other thread breaks until the loop is over.
    /// let t = std::thread::spawn(move || {
    ///     while !d.load(Ordering::Acquire) {
    ///         std::thread::sleep(std::time::Duration::from_millis(2));
    ///         remote.loopbreak();
    ///     }
    /// });
    /// base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut ()).unwrap();
    /// done.store(true, Ordering::Release);
    /// t.join().unwrap();
    /// assert!(base.got_break());
    /// ```
    pub fn loopbreak(&self) {
        self.engine.loopbreak()
    }

    /// [`Base::active_by_fd`] from any thread.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let fd = a.as_raw_fd();
    /// let base = Base::<Ev>::new().unwrap();
    /// let id = base.io(a, Ev::READ, |what: &mut Ev, _, _, fired| *what = fired.what).unwrap();
    /// base.add(id, None).unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.active_by_fd(fd, Ev::READ)).join().unwrap();
    /// let mut what = Ev::NONE;
    /// base.dispatch(&mut what).unwrap();
    /// assert_eq!(what, Ev::READ);
    /// ```
    pub fn active_by_fd(&self, fd: RawFd, what: Ev) {
        self.engine.active_by_fd(fd, what)
    }

    /// [`Base::active_by_signal`] from any thread.
    ///
    /// ```
    /// use oxevent::{Base, Ev};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let s = base.signal(libc::SIGUSR2, Ev::NONE, |n: &mut u32, _, _| *n += 1).unwrap();
    /// base.add(s, None).unwrap();
    /// let remote = base.remote();
    /// std::thread::spawn(move || remote.active_by_signal(libc::SIGUSR2)).join().unwrap();
    /// let mut n = 0;
    /// base.dispatch(&mut n).unwrap();
    /// assert_eq!(n, 1);
    /// ```
    pub fn active_by_signal(&self, signal: i32) {
        self.engine.active_by_signal(signal)
    }
}
