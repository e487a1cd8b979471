//! Buffered connections and listeners (libevent's `bufferevent` and
//! `evconnlistener`), for Rust programs.
//!
//! A [`BufferEvent`] owns a connected socket, an input and an output
//! [`Buffer`]: the loop reads what arrives into the input and runs the
//! read callback, and drains the output into the socket, running the
//! write callback once it has gone (down to the write low watermark).
//! End of file, errors, timeouts and a finished connect reach the event
//! callback as [`BevEvent`] flags, as in libevent. Callbacks get the
//! program's `&mut D` (as every callback of a [`Base`]) and a [`Conn`],
//! the connection's handle.
//!
//! A [`Listener`] accepts connections and hands each one to its callback.
//!
//! ```
//! use std::net::{SocketAddr, TcpStream};
//! use oxevent::bufferevent::{BevEvent, BufferEvent, Listener};
//! use oxevent::{Base, Ev};
//!
//! #[derive(Default)]
//! struct App {
//!     server_side: Vec<BufferEvent<App>>,
//!     greeting: Vec<u8>,
//! }
//!
//! let base = Base::<App>::new().unwrap();
//! let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
//! let listener = Listener::bind(&base, addr, |app: &mut App, base, stream: TcpStream, _peer| {
//!     // Seed 004's server: greet, then let the client close.
//!     let conn = BufferEvent::new(base, stream).unwrap();
//!     conn.write(b"Hello, World!\n").unwrap();
//!     app.server_side.push(conn);
//! })
//! .unwrap();
//! let client = BufferEvent::connect(&base, listener.local_addr().unwrap()).unwrap();
//! client.on_read(|app: &mut App, base, conn| {
//!     app.greeting.extend(conn.read_to_vec());
//!     if app.greeting.ends_with(b"\n") {
//!         base.loopbreak();
//!     }
//! });
//! client.enable(Ev::READ).unwrap();
//! let mut app = App::default();
//! base.dispatch(&mut app).unwrap();
//! assert_eq!(app.greeting, b"Hello, World!\n");
//! ```
//!
//! Improvements over libevent: `write` on an idle connection writes at
//! once (one `writev`, no readiness round trip; the write callback still
//! runs from the loop), and a listener that runs out of descriptors
//! pauses for [`PAUSE`] instead of spinning.
//!
//! What this module must never do: run a program callback while it holds
//! a borrow of a connection's state, or keep a [`Base`] alive from a
//! connection (the base's closures hold the connection; the connection
//! holds only a weak handle back).

use std::cell::{Cell, RefCell};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use crate::api::{Base, WeakBase};
use crate::buffer::Buffer;
use crate::error::{Error, Result};
use crate::event::{EventId, Fired};
use crate::flags::Ev;
use crate::sys;

/// What the event callback of a connection is told (libevent's
/// `BEV_EVENT_*`).
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct BevEvent(pub u16);

impl BevEvent {
    /// While reading.
    pub const READING: BevEvent = BevEvent(0x01);
    /// While writing.
    pub const WRITING: BevEvent = BevEvent(0x02);
    /// End of file.
    pub const EOF: BevEvent = BevEvent(0x10);
    /// An error (see [`Conn::take_error`]).
    pub const ERROR: BevEvent = BevEvent(0x20);
    /// A timeout.
    pub const TIMEOUT: BevEvent = BevEvent(0x40);
    /// A connect finished.
    pub const CONNECTED: BevEvent = BevEvent(0x80);

    /// Whether every flag of `other` is set.
    ///
    /// ```
    /// use oxevent::bufferevent::BevEvent;
    /// let e = BevEvent::READING | BevEvent::EOF;
    /// assert!(e.contains(BevEvent::EOF));
    /// assert!(!e.contains(BevEvent::ERROR));
    /// ```
    pub fn contains(self, other: BevEvent) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for BevEvent {
    type Output = BevEvent;
    fn bitor(self, rhs: BevEvent) -> BevEvent {
        BevEvent(self.0 | rhs.0)
    }
}

impl std::fmt::Debug for BevEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (0x01, "READING"),
            (0x02, "WRITING"),
            (0x10, "EOF"),
            (0x20, "ERROR"),
            (0x40, "TIMEOUT"),
            (0x80, "CONNECTED"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(b, _)| self.0 & b != 0)
            .map(|(_, n)| *n)
            .collect();
        write!(f, "BevEvent({})", set.join("|"))
    }
}

/// A data callback: `(data, base, connection)`.
type DataCb<D> = Box<dyn FnMut(&mut D, &Base<D>, &Conn<D>)>;
/// An event callback: `(data, base, connection, what)`.
type EventCb<D> = Box<dyn FnMut(&mut D, &Base<D>, &Conn<D>, BevEvent)>;

/// libevent's largest single read (`MAX_SINGLE_READ_DEFAULT`).
const MAX_SINGLE_READ: usize = 16384;

/// How long a listener pauses when the process runs out of descriptors.
pub const PAUSE: Duration = Duration::from_millis(100);

/// A connection's buffers and settings.
struct State {
    input: Buffer,
    output: Buffer,
    enabled: Ev,
    wm_read: (usize, usize),
    wm_write: (usize, usize),
    /// Reading stopped at the read high watermark.
    read_paused: bool,
    timeout_read: Option<Duration>,
    timeout_write: Option<Duration>,
    connecting: bool,
    freed: bool,
}

/// Shares an fd between a connection's two events.
struct FdRef(Rc<OwnedFd>);

impl AsFd for FdRef {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

struct Shared<D: 'static> {
    base: WeakBase<D>,
    fd: Rc<OwnedFd>,
    st: RefCell<State>,
    on_read: Cell<Option<DataCb<D>>>,
    on_write: Cell<Option<DataCb<D>>>,
    on_event: Cell<Option<EventCb<D>>>,
    read_ev: Cell<Option<EventId>>,
    write_ev: Cell<Option<EventId>>,
    error: RefCell<Option<io::Error>>,
}

/// A callback taken out of its cell while it runs; put back when it
/// returns or panics, unless the connection was freed or the callback
/// replaced meanwhile (then it is dropped here, with no borrow held).
struct Slot<'a, F> {
    cell: &'a Cell<Option<F>>,
    st: &'a RefCell<State>,
    f: Option<F>,
}

impl<'a, F> Slot<'a, F> {
    fn take(cell: &'a Cell<Option<F>>, st: &'a RefCell<State>) -> Slot<'a, F> {
        Slot {
            cell,
            st,
            f: cell.take(),
        }
    }
}

impl<F> Drop for Slot<'_, F> {
    fn drop(&mut self) {
        let Some(f) = self.f.take() else { return };
        let freed = self.st.try_borrow().map_or(true, |s| s.freed);
        if freed {
            return;
        }
        let newer = self.cell.take();
        self.cell.set(Some(newer.unwrap_or(f)));
    }
}

/// A handle to a connection: what callbacks receive, and what
/// [`BufferEvent`] dereferences to. Cloning it does not keep the
/// connection open: the [`BufferEvent`] owns it.
pub struct Conn<D: 'static> {
    sh: Rc<Shared<D>>,
}

impl<D: 'static> Clone for Conn<D> {
    fn clone(&self) -> Self {
        Conn {
            sh: self.sh.clone(),
        }
    }
}

impl<D: 'static> std::fmt::Debug for Conn<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("fd", &self.sh.fd.as_raw_fd())
            .finish_non_exhaustive()
    }
}

/// A buffered connection (libevent's socket `bufferevent`); dropping it
/// closes the connection. Its methods are [`Conn`]'s.
#[derive(Debug)]
pub struct BufferEvent<D: 'static> {
    conn: Conn<D>,
}

impl<D: 'static> std::ops::Deref for BufferEvent<D> {
    type Target = Conn<D>;
    fn deref(&self) -> &Conn<D> {
        &self.conn
    }
}

impl<D: 'static> Drop for BufferEvent<D> {
    fn drop(&mut self) {
        self.conn.free();
    }
}

impl<D: 'static> BufferEvent<D> {
    /// A connection over a connected socket (made non-blocking). Writing
    /// is enabled, reading is not yet (libevent's defaults).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::bufferevent::BufferEvent;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<u8>>::new().unwrap();
    /// let conn = BufferEvent::new(&base, a).unwrap();
    /// assert_eq!(conn.enabled(), Ev::WRITE);
    /// conn.on_read(|got: &mut Vec<u8>, base, conn| {
    ///     got.extend(conn.read_to_vec());
    ///     base.loopbreak();
    /// });
    /// conn.enable(Ev::READ).unwrap();
    /// b.write_all(b"hi").unwrap();
    /// let mut got = Vec::new();
    /// base.dispatch(&mut got).unwrap();
    /// assert_eq!(got, b"hi");
    /// ```
    pub fn new(base: &Base<D>, stream: impl Into<OwnedFd>) -> Result<BufferEvent<D>> {
        let fd: OwnedFd = stream.into();
        sys::set_nonblocking(fd.as_fd())?;
        Self::with_fd(base, fd, false)
    }

    /// Connects to `addr` without blocking; the event callback gets
    /// [`BevEvent::CONNECTED`] (or [`BevEvent::ERROR`]) when it is done.
    /// Data written meanwhile waits in the output.
    ///
    /// ```
    /// use std::net::TcpListener;
    /// use oxevent::bufferevent::{BevEvent, BufferEvent};
    /// use oxevent::Base;
    ///
    /// let l = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let base = Base::<Vec<BevEvent>>::new().unwrap();
    /// let c = BufferEvent::connect(&base, l.local_addr().unwrap()).unwrap();
    /// c.on_event(|seen: &mut Vec<BevEvent>, base, _, what| {
    ///     seen.push(what);
    ///     base.loopbreak();
    /// });
    /// let mut seen = Vec::new();
    /// base.dispatch(&mut seen).unwrap();
    /// assert_eq!(seen, [BevEvent::CONNECTED]);
    /// ```
    pub fn connect(base: &Base<D>, addr: SocketAddr) -> Result<BufferEvent<D>> {
        let (fd, done) = sys::connect_nonblocking(&addr)?;
        let b = Self::with_fd(base, fd, true)?;
        if done {
            // Reported from the loop, as a connect in progress is.
            if let Some(w) = b.sh.write_ev.get() {
                base.activate(w, Ev::WRITE)?;
            }
        } else {
            b.add_write(base)?;
        }
        Ok(b)
    }

    fn with_fd(base: &Base<D>, fd: OwnedFd, connecting: bool) -> Result<BufferEvent<D>> {
        let fd = Rc::new(fd);
        let sh = Rc::new(Shared {
            base: base.downgrade(),
            fd: fd.clone(),
            st: RefCell::new(State {
                input: Buffer::new(),
                output: Buffer::new(),
                enabled: Ev::WRITE,
                wm_read: (0, 0),
                wm_write: (0, 0),
                read_paused: false,
                timeout_read: None,
                timeout_write: None,
                connecting,
                freed: false,
            }),
            on_read: Cell::new(None),
            on_write: Cell::new(None),
            on_event: Cell::new(None),
            read_ev: Cell::new(None),
            write_ev: Cell::new(None),
            error: RefCell::new(None),
        });
        let weak = Rc::downgrade(&sh);
        let r = base.io(
            FdRef(fd.clone()),
            Ev::READ | Ev::PERSIST,
            move |d: &mut D, b: &Base<D>, _io, fired: Fired| {
                if let Some(sh) = weak.upgrade() {
                    Conn { sh }.readable(d, b, fired);
                }
            },
        )?;
        sh.read_ev.set(Some(r));
        let weak = Rc::downgrade(&sh);
        let w = base.io(
            FdRef(fd),
            Ev::WRITE | Ev::PERSIST,
            move |d: &mut D, b: &Base<D>, _io, fired: Fired| {
                if let Some(sh) = weak.upgrade() {
                    Conn { sh }.writable(d, b, fired);
                }
            },
        );
        match w {
            Ok(w) => sh.write_ev.set(Some(w)),
            Err(e) => {
                let _ = base.free(r);
                return Err(e);
            }
        }
        Ok(BufferEvent { conn: Conn { sh } })
    }
}

impl<D: 'static> Conn<D> {
    fn base(&self) -> Result<Base<D>> {
        self.sh.base.upgrade().ok_or(Error::NoSuchEvent)
    }

    fn live(&self) -> Result<()> {
        if self.sh.st.borrow().freed {
            return Err(Error::NoSuchEvent);
        }
        Ok(())
    }

    /// The socket's descriptor.
    pub fn fd(&self) -> RawFd {
        self.sh.fd.as_raw_fd()
    }

    /// Sets the read callback: runs when data arrived and the input holds
    /// at least the read low watermark.
    pub fn on_read(&self, f: impl FnMut(&mut D, &Base<D>, &Conn<D>) + 'static) {
        self.sh.on_read.set(Some(Box::new(f)));
    }

    /// Sets the write callback: runs when the output drained to the write
    /// low watermark (0 unless set).
    pub fn on_write(&self, f: impl FnMut(&mut D, &Base<D>, &Conn<D>) + 'static) {
        self.sh.on_write.set(Some(Box::new(f)));
    }

    /// Sets the event callback (end of file, errors, timeouts, connect).
    pub fn on_event(&self, f: impl FnMut(&mut D, &Base<D>, &Conn<D>, BevEvent) + 'static) {
        self.sh.on_event.set(Some(Box::new(f)));
    }

    /// The directions enabled.
    pub fn enabled(&self) -> Ev {
        self.sh.st.borrow().enabled
    }

    /// Enables reading and/or writing.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::bufferevent::BufferEvent;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let base = Base::<()>::new().unwrap();
    /// let c = BufferEvent::new(&base, a).unwrap();
    /// c.enable(Ev::READ).unwrap();
    /// assert_eq!(c.enabled(), Ev::READ | Ev::WRITE);
    /// c.disable(Ev::WRITE).unwrap();
    /// assert_eq!(c.enabled(), Ev::READ);
    /// ```
    pub fn enable(&self, what: Ev) -> Result<()> {
        self.live()?;
        let base = self.base()?;
        self.sh.st.borrow_mut().enabled |= what & (Ev::READ | Ev::WRITE);
        if what.contains(Ev::READ) {
            self.add_read(&base)?;
        }
        if what.contains(Ev::WRITE) && !self.sh.st.borrow().output.is_empty() {
            self.add_write(&base)?;
        }
        Ok(())
    }

    /// Disables reading and/or writing (a connect in progress goes on).
    pub fn disable(&self, what: Ev) -> Result<()> {
        self.live()?;
        let base = self.base()?;
        let connecting = {
            let mut st = self.sh.st.borrow_mut();
            st.enabled = st.enabled & !(what & (Ev::READ | Ev::WRITE));
            st.connecting
        };
        if what.contains(Ev::READ) {
            if let Some(r) = self.sh.read_ev.get() {
                base.del(r)?;
            }
        }
        if what.contains(Ev::WRITE) && !connecting {
            if let Some(w) = self.sh.write_ev.get() {
                base.del(w)?;
            }
        }
        Ok(())
    }

    fn add_read(&self, base: &Base<D>) -> Result<()> {
        let (paused, t) = {
            let st = self.sh.st.borrow();
            (st.read_paused, st.timeout_read)
        };
        if paused {
            return Ok(());
        }
        match self.sh.read_ev.get() {
            Some(r) => base.add(r, t),
            None => Ok(()),
        }
    }

    fn add_write(&self, base: &Base<D>) -> Result<()> {
        let t = self.sh.st.borrow().timeout_write;
        match self.sh.write_ev.get() {
            Some(w) => base.add(w, t),
            None => Ok(()),
        }
    }

    /// Queues `data` for the peer. On an idle connection it is written at
    /// once; what the socket does not take waits for it to be writable.
    pub fn write(&self, data: &[u8]) -> Result<()> {
        self.live()?;
        self.sh.st.borrow_mut().output.add(data)?;
        self.output_grew()
    }

    /// Moves all of `buf` (without copying its bytes) to the output.
    pub fn write_buffer(&self, buf: &mut Buffer) -> Result<()> {
        self.live()?;
        self.sh.st.borrow_mut().output.add_buffer(buf)?;
        self.output_grew()
    }

    /// Starts writing what the output holds, if writing is enabled.
    fn output_grew(&self) -> Result<()> {
        let base = self.base()?;
        let Some(w) = self.sh.write_ev.get() else {
            return Ok(());
        };
        let (enabled, connecting) = {
            let st = self.sh.st.borrow();
            (st.enabled.contains(Ev::WRITE), st.connecting)
        };
        if !enabled || connecting || base.pending(w, Ev::WRITE)?.what.contains(Ev::WRITE) {
            return Ok(());
        }
        // Write at once: one syscall instead of a readiness round trip.
        let r = {
            let mut st = self.sh.st.borrow_mut();
            let n = st.output.len();
            st.output.write_fd_atmost(self.sh.fd.as_fd(), n)
        };
        match r {
            Ok(_) => {}
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                // Reported from the loop with the other write errors.
                *self.sh.error.borrow_mut() = Some(e.into());
                return base.activate(w, Ev::WRITE);
            }
        }
        let (empty, low_ok) = {
            let st = self.sh.st.borrow();
            (st.output.is_empty(), st.output.len() <= st.wm_write.0)
        };
        if empty {
            self.sh.st.borrow_mut().output.release_idle_memory();
        } else {
            self.add_write(&base)?;
        }
        if low_ok {
            // The write callback still runs from the loop.
            base.activate(w, Ev::WRITE)?;
        }
        Ok(())
    }

    /// Moves up to `out.len()` bytes of input into `out`.
    pub fn read(&self, out: &mut [u8]) -> usize {
        let n = self.sh.st.borrow_mut().input.remove(out).unwrap_or(0);
        self.input_shrank();
        n
    }

    /// Takes the whole input.
    pub fn read_to_vec(&self) -> Vec<u8> {
        let v = {
            let mut st = self.sh.st.borrow_mut();
            let v = st.input.to_vec().unwrap_or_default();
            let n = st.input.len();
            let _ = st.input.drain(n);
            v
        };
        self.input_shrank();
        v
    }

    /// Bytes waiting in the input.
    pub fn input_len(&self) -> usize {
        self.sh.st.borrow().input.len()
    }

    /// Bytes not yet written.
    pub fn output_len(&self) -> usize {
        self.sh.st.borrow().output.len()
    }

    /// Lends the input buffer (to search, read lines, drain...).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::EolStyle;
    /// use oxevent::bufferevent::BufferEvent;
    /// use oxevent::{Base, Ev};
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let base = Base::<Vec<Vec<u8>>>::new().unwrap();
    /// let c = BufferEvent::new(&base, a).unwrap();
    /// c.on_read(|lines: &mut Vec<Vec<u8>>, base, conn| {
    ///     while let Ok(Some(l)) = conn.with_input(|i| i.readln(EolStyle::Lf)) {
    ///         lines.push(l);
    ///     }
    ///     if lines.len() == 2 {
    ///         base.loopbreak();
    ///     }
    /// });
    /// c.enable(Ev::READ).unwrap();
    /// b.write_all(b"one\ntwo\n").unwrap();
    /// let mut lines = Vec::new();
    /// base.dispatch(&mut lines).unwrap();
    /// assert_eq!(lines, [b"one".to_vec(), b"two".to_vec()]);
    /// ```
    pub fn with_input<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> R {
        let r = f(&mut self.sh.st.borrow_mut().input);
        self.input_shrank();
        r
    }

    /// Lends the output buffer; what it gains is written as by
    /// [`Conn::write`].
    pub fn with_output<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> Result<R> {
        self.live()?;
        let r = f(&mut self.sh.st.borrow_mut().output);
        self.output_grew()?;
        Ok(r)
    }

    /// Resumes reading stopped at the read high watermark once the input
    /// is below it.
    fn input_shrank(&self) {
        let resume = {
            let mut st = self.sh.st.borrow_mut();
            let resume = st.read_paused && (st.wm_read.1 == 0 || st.input.len() < st.wm_read.1);
            if resume {
                st.read_paused = false;
            }
            resume && st.enabled.contains(Ev::READ) && !st.freed
        };
        if resume {
            if let Ok(base) = self.base() {
                let _ = self.add_read(&base);
            }
        }
    }

    /// Sets the watermarks of `what` (`READ` and/or `WRITE`): the read
    /// callback waits for `low` bytes and reading stops at `high` (0: no
    /// limit); the write callback runs once the output is at `low` or less.
    pub fn set_watermark(&self, what: Ev, low: usize, high: usize) {
        let mut st = self.sh.st.borrow_mut();
        if what.contains(Ev::WRITE) {
            st.wm_write = (low, high);
        }
        if what.contains(Ev::READ) {
            st.wm_read = (low, high);
        }
        drop(st);
        if what.contains(Ev::READ) {
            self.input_shrank();
        }
    }

    /// Sets the read and write timeouts (`None`: none). A direction idle
    /// that long gets [`BevEvent::TIMEOUT`] and is disabled.
    pub fn set_timeouts(&self, read: Option<Duration>, write: Option<Duration>) -> Result<()> {
        self.live()?;
        let base = self.base()?;
        {
            let mut st = self.sh.st.borrow_mut();
            st.timeout_read = read;
            st.timeout_write = write;
        }
        if let Some(r) = self.sh.read_ev.get() {
            if base.pending(r, Ev::READ)?.what.contains(Ev::READ) {
                self.add_read(&base)?;
            }
        }
        if let Some(w) = self.sh.write_ev.get() {
            if base.pending(w, Ev::WRITE)?.what.contains(Ev::WRITE) {
                self.add_write(&base)?;
            }
        }
        Ok(())
    }

    /// The error behind the last [`BevEvent::ERROR`], taken.
    pub fn take_error(&self) -> Option<io::Error> {
        self.sh.error.borrow_mut().take()
    }

    /// Closes the connection: its events go, unwritten output is dropped.
    /// Called by [`BufferEvent`]'s `Drop`; later calls do nothing.
    pub fn free(&self) {
        {
            let mut st = self.sh.st.borrow_mut();
            if st.freed {
                return;
            }
            st.freed = true;
        }
        if let Some(base) = self.sh.base.upgrade() {
            for id in [self.sh.read_ev.take(), self.sh.write_ev.take()]
                .into_iter()
                .flatten()
            {
                let _ = base.free(id);
            }
        }
        // Callbacks may own handles of this connection: dropped here, not
        // inside a borrow.
        drop(self.sh.on_read.take());
        drop(self.sh.on_write.take());
        drop(self.sh.on_event.take());
    }

    fn call_read(&self, d: &mut D, base: &Base<D>) {
        let mut slot = Slot::take(&self.sh.on_read, &self.sh.st);
        if let Some(f) = slot.f.as_mut() {
            f(d, base, self);
        }
    }

    fn call_write(&self, d: &mut D, base: &Base<D>) {
        let mut slot = Slot::take(&self.sh.on_write, &self.sh.st);
        if let Some(f) = slot.f.as_mut() {
            f(d, base, self);
        }
    }

    fn call_event(&self, d: &mut D, base: &Base<D>, what: BevEvent) {
        let mut slot = Slot::take(&self.sh.on_event, &self.sh.st);
        if let Some(f) = slot.f.as_mut() {
            f(d, base, self, what);
        }
    }

    /// The read event fired.
    fn readable(&self, d: &mut D, base: &Base<D>, fired: Fired) {
        if fired.what == Ev::TIMEOUT {
            let _ = self.disable(Ev::READ);
            return self.call_event(d, base, BevEvent::READING | BevEvent::TIMEOUT);
        }
        let r = {
            let mut st = self.sh.st.borrow_mut();
            if st.freed || st.read_paused {
                return;
            }
            let mut max = MAX_SINGLE_READ;
            let high = st.wm_read.1;
            if high != 0 {
                if st.input.len() >= high {
                    st.read_paused = true;
                    drop(st);
                    if let Some(r) = self.sh.read_ev.get() {
                        let _ = base.del(r);
                    }
                    return;
                }
                max = max.min(high - st.input.len());
            }
            st.input.read_fd(self.sh.fd.as_fd(), max)
        };
        let what = match r {
            Ok(0) => BevEvent::READING | BevEvent::EOF,
            Ok(_) => {
                let (ready, pause) = {
                    let st = self.sh.st.borrow();
                    let len = st.input.len();
                    (
                        len >= st.wm_read.0,
                        st.wm_read.1 != 0 && len >= st.wm_read.1,
                    )
                };
                if pause {
                    self.sh.st.borrow_mut().read_paused = true;
                    if let Some(r) = self.sh.read_ev.get() {
                        let _ = base.del(r);
                    }
                }
                if ready {
                    self.call_read(d, base);
                }
                // An idle connection keeps no read-sized chunk.
                if let Ok(mut st) = self.sh.st.try_borrow_mut() {
                    st.input.release_idle_memory();
                }
                return;
            }
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return
            }
            Err(e) => {
                *self.sh.error.borrow_mut() = Some(e.into());
                BevEvent::READING | BevEvent::ERROR
            }
        };
        let _ = self.disable(Ev::READ);
        self.call_event(d, base, what);
    }

    /// The write event fired (or was activated after a direct write).
    fn writable(&self, d: &mut D, base: &Base<D>, fired: Fired) {
        if fired.what == Ev::TIMEOUT {
            let _ = self.disable(Ev::WRITE);
            return self.call_event(d, base, BevEvent::WRITING | BevEvent::TIMEOUT);
        }
        if self.sh.st.borrow().freed {
            return;
        }
        if let Some(e) = self.sh.error.borrow_mut().take() {
            *self.sh.error.borrow_mut() = Some(e);
            let _ = self.disable(Ev::WRITE);
            return self.call_event(d, base, BevEvent::WRITING | BevEvent::ERROR);
        }
        let mut connected = false;
        if self.sh.st.borrow().connecting {
            match sys::socket_error(self.sh.fd.as_fd()) {
                Ok(None) => {}
                Ok(Some(e)) | Err(e) => {
                    self.sh.st.borrow_mut().connecting = false;
                    *self.sh.error.borrow_mut() = Some(e);
                    for id in [self.sh.read_ev.get(), self.sh.write_ev.get()]
                        .into_iter()
                        .flatten()
                    {
                        let _ = base.del(id);
                    }
                    return self.call_event(d, base, BevEvent::ERROR);
                }
            }
            self.sh.st.borrow_mut().connecting = false;
            connected = true;
            self.call_event(d, base, BevEvent::CONNECTED);
            let st = self.sh.st.borrow();
            if st.freed {
                return;
            }
            let want = st.enabled.contains(Ev::WRITE) && !st.output.is_empty();
            let read = st.enabled.contains(Ev::READ);
            drop(st);
            if read {
                let _ = self.add_read(base);
            }
            if !want {
                if let Some(w) = self.sh.write_ev.get() {
                    let _ = base.del(w);
                }
                return;
            }
        }
        let r = {
            let mut st = self.sh.st.borrow_mut();
            let n = st.output.len();
            if n == 0 {
                Ok(0)
            } else {
                st.output.write_fd_atmost(self.sh.fd.as_fd(), n)
            }
        };
        let wrote = match r {
            Ok(n) => n,
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                0
            }
            Err(e) => {
                *self.sh.error.borrow_mut() = Some(e.into());
                let _ = self.disable(Ev::WRITE);
                return self.call_event(d, base, BevEvent::WRITING | BevEvent::ERROR);
            }
        };
        let (empty, low_ok) = {
            let st = self.sh.st.borrow();
            (st.output.is_empty(), st.output.len() <= st.wm_write.0)
        };
        if empty {
            self.sh.st.borrow_mut().output.release_idle_memory();
            if let Some(w) = self.sh.write_ev.get() {
                let _ = base.del(w);
            }
        } else if let Some(w) = self.sh.write_ev.get() {
            if !base
                .pending(w, Ev::WRITE)
                .is_ok_and(|p| p.what.contains(Ev::WRITE))
            {
                let _ = self.add_write(base);
            }
        }
        if (wrote > 0 || !connected) && low_ok {
            self.call_write(d, base);
        }
    }
}

impl<D: 'static> io::Read for &Conn<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(Conn::read(self, buf))
    }
}

impl<D: 'static> io::Write for &Conn<D> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Conn::write(self, buf).map_err(io::Error::from)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ------------------------------------------------------------ listener

/// The accept callback: `(data, base, connection, peer address)`.
type AcceptCb<D> = Box<dyn FnMut(&mut D, &Base<D>, TcpStream, SocketAddr)>;

struct LShared<D: 'static> {
    base: WeakBase<D>,
    cb: Cell<Option<AcceptCb<D>>>,
    ev: Cell<Option<EventId>>,
    retry: Cell<Option<EventId>>,
    addr: io::Result<SocketAddr>,
    enabled: Cell<bool>,
    paused: Cell<bool>,
}

/// Accepts TCP connections (libevent's `evconnlistener`); dropping it
/// closes the listening socket. Accepted streams are non-blocking.
pub struct Listener<D: 'static> {
    sh: Rc<LShared<D>>,
}

impl<D: 'static> std::fmt::Debug for Listener<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("addr", &self.sh.addr.as_ref().ok())
            .finish_non_exhaustive()
    }
}

impl<D: 'static> Listener<D> {
    /// Binds `addr` (port 0: any free port), listens and starts accepting.
    pub fn bind(
        base: &Base<D>,
        addr: SocketAddr,
        f: impl FnMut(&mut D, &Base<D>, TcpStream, SocketAddr) + 'static,
    ) -> Result<Listener<D>> {
        Self::new(base, TcpListener::bind(addr)?, f)
    }

    /// Accepts on a listening socket the program made.
    pub fn new(
        base: &Base<D>,
        listener: TcpListener,
        f: impl FnMut(&mut D, &Base<D>, TcpStream, SocketAddr) + 'static,
    ) -> Result<Listener<D>> {
        listener.set_nonblocking(true)?;
        let sh = Rc::new(LShared {
            base: base.downgrade(),
            cb: Cell::new(Some(Box::new(f))),
            ev: Cell::new(None),
            retry: Cell::new(None),
            addr: listener.local_addr(),
            enabled: Cell::new(true),
            paused: Cell::new(false),
        });
        let weak = Rc::downgrade(&sh);
        let ev = base.io(
            listener,
            Ev::READ | Ev::PERSIST,
            move |d: &mut D, b: &Base<D>, io, _| {
                if let Some(sh) = weak.upgrade() {
                    accept_ready(&sh, d, b, io.get_ref());
                }
            },
        )?;
        sh.ev.set(Some(ev));
        let weak = Rc::downgrade(&sh);
        let retry = base.timer(move |_: &mut D, b: &Base<D>, _| {
            if let Some(sh) = weak.upgrade() {
                sh.paused.set(false);
                if sh.enabled.get() {
                    if let Some(ev) = sh.ev.get() {
                        let _ = b.add(ev, None);
                    }
                }
            }
        });
        match retry {
            Ok(t) => sh.retry.set(Some(t)),
            Err(e) => {
                let _ = base.free(ev);
                return Err(e);
            }
        }
        base.add(ev, None)?;
        Ok(Listener { sh })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.sh.addr {
            Ok(a) => Ok(*a),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// Resumes accepting.
    pub fn enable(&self) -> Result<()> {
        self.sh.enabled.set(true);
        let base = self.sh.base.upgrade().ok_or(Error::NoSuchEvent)?;
        match self.sh.ev.get() {
            Some(ev) if !self.sh.paused.get() => base.add(ev, None),
            _ => Ok(()),
        }
    }

    /// Stops accepting (connections wait in the kernel's backlog).
    pub fn disable(&self) -> Result<()> {
        self.sh.enabled.set(false);
        let base = self.sh.base.upgrade().ok_or(Error::NoSuchEvent)?;
        match self.sh.ev.get() {
            Some(ev) => base.del(ev),
            None => Ok(()),
        }
    }
}

impl<D: 'static> Drop for Listener<D> {
    fn drop(&mut self) {
        if let Some(base) = self.sh.base.upgrade() {
            for id in [self.sh.ev.take(), self.sh.retry.take()]
                .into_iter()
                .flatten()
            {
                let _ = base.free(id);
            }
        }
        drop(self.sh.cb.take());
    }
}

/// Accepts until the socket would block or the listener is disabled.
fn accept_ready<D: 'static>(sh: &Rc<LShared<D>>, d: &mut D, base: &Base<D>, l: &TcpListener) {
    loop {
        if !sh.enabled.get() || sh.ev.get().is_none() {
            return;
        }
        match l.accept() {
            Ok((stream, peer)) => {
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                let Some(mut f) = sh.cb.take() else { return };
                f(d, base, stream, peer);
                if sh.ev.get().is_some() {
                    let newer = sh.cb.take();
                    sh.cb.set(Some(newer.unwrap_or(f)));
                }
            }
            Err(e) => {
                match e.raw_os_error() {
                    Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS)
                    | Some(libc::ENOMEM) => {
                        crate::log::warn(format_args!(
                            "listener: accept failed: {e}; pausing accepts for {} ms",
                            PAUSE.as_millis()
                        ));
                        sh.paused.set(true);
                        if let Some(ev) = sh.ev.get() {
                            let _ = base.del(ev);
                        }
                        if let Some(t) = sh.retry.get() {
                            let _ = base.add(t, Some(PAUSE));
                        }
                    }
                    Some(libc::EAGAIN) | Some(libc::EINTR) | Some(libc::ECONNABORTED) => {}
                    _ => crate::log::warn(format_args!("listener: accept failed: {e}")),
                }
                return;
            }
        }
    }
}
