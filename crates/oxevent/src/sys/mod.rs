//! The operating-system layer: every syscall oxevent makes, and the backends.
//!
//! This module owns all `unsafe` code of the engine crate. Each `unsafe` block
//! carries a `// SAFETY:` line. Nothing outside `sys` calls `libc` directly.
//!
//! [`Backend`] is libevent's `struct eventop`: a runtime-selected readiness
//! mechanism (`epoll`, `poll`, `select`), one file each. Its contract:
//!
//! * `change(fd, old, new)` is called by the engine, under the base lock, each
//!   time the union of interests on `fd` changes. `old`/`new` hold only
//!   [`Ev::READ`], [`Ev::WRITE`], [`Ev::CLOSED`] and [`Ev::ET`]. It may be
//!   called from any thread while another thread waits; the backend then
//!   makes the change visible no later than the next wait (the engine wakes
//!   the loop after such a change).
//! * A wait is `begin_wait` (under the lock), [`Waiter::wait`] (without it,
//!   by the one thread running the loop) and `end_wait` (under the lock).
//!   `wait` appends `(fd, ready)` pairs to its output; an interrupted wait
//!   (`EINTR`) is a normal return with nothing ready.
//! * A backend never calls back into the engine and never logs: its messages
//!   are returned to the engine, which delivers them once the lock is free.

pub(crate) mod bufio;
pub(crate) mod epoll;
pub(crate) mod lock;
pub(crate) mod poll;
pub(crate) mod select;
pub(crate) mod signal;

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::time::Duration;

use crate::flags::Ev;

/// Feature bits a backend offers (libevent's `EV_FEATURE_*`).
///
/// ```
/// use oxevent::{Base, Features};
///
/// let base = Base::<()>::new().unwrap();
/// let f = base.features();
/// // epoll: ET | O1 | EARLY_CLOSE; poll and select: FDS.
/// assert_eq!(f.contains(Features::FDS), base.method() != "epoll");
/// assert_eq!(f.contains(Features::ET), base.method() == "epoll");
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Features(pub u32);

impl Features {
    /// Edge-triggered readiness (`EV_FEATURE_ET`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::ET);
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll");
    /// ```
    pub const ET: Features = Features(0x01);
    /// O(1) per ready event (`EV_FEATURE_O1`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::O1);
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "epoll");
    /// ```
    pub const O1: Features = Features(0x02);
    /// Any file descriptor, not only sockets (`EV_FEATURE_FDS`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::FDS);
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert_eq!(base.method(), "poll"); // epoll refuses regular files
    /// ```
    pub const FDS: Features = Features(0x04);
    /// Detects a peer's close without reading (`EV_FEATURE_EARLY_CLOSE`).
    ///
    /// ```
    /// use oxevent::{Base, BaseFlags, Config, Features};
    ///
    /// let mut cfg = Config::new();
    /// cfg.flag(BaseFlags::IGNORE_ENV).require_features(Features::EARLY_CLOSE);
    /// let base = Base::<()>::with_config(&cfg).unwrap();
    /// assert!(base.features().contains(Features::EARLY_CLOSE));
    /// ```
    pub const EARLY_CLOSE: Features = Features(0x08);

    /// Whether every bit of `other` is present.
    ///
    /// ```
    /// use oxevent::Features;
    ///
    /// let epoll = Features::ET | Features::O1 | Features::EARLY_CLOSE;
    /// assert!(epoll.contains(Features::ET));
    /// assert!(epoll.contains(Features::ET | Features::O1));
    /// assert!(!epoll.contains(Features::FDS));
    /// assert!(epoll.contains(Features::default())); // nothing required
    /// ```
    pub fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Features combine with `|` (e.g. to require several).
///
/// ```
/// use oxevent::{Config, Features};
///
/// let wanted = Features::ET | Features::O1;
/// assert!(wanted.contains(Features::ET) && wanted.contains(Features::O1));
/// let mut cfg = Config::new();
/// cfg.require_features(wanted);
/// ```
impl std::ops::BitOr for Features {
    type Output = Features;
    fn bitor(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }
}

/// One ready fd as every backend reports it: the kernel's `epoll_event`
/// (epoll's event bits, the fd in the data word), so epoll's results land in
/// the loop's buffer with no copy and the other backends encode theirs the
/// same way. Read with [`ready_fd`] and [`ready_ev`].
pub(crate) type Ready = libc::epoll_event;

const _: () = assert!(
    libc::EPOLLIN == 0x1
        && libc::EPOLLOUT == 0x4
        && libc::EPOLLERR == 0x8
        && libc::EPOLLHUP == 0x10
        && libc::EPOLLRDHUP == 0x2000
        && Ev::READ.bits() == 0x2
        && Ev::WRITE.bits() == 0x4
        && Ev::CLOSED.bits() == 0x80
);

/// A ready entry for `fd` with results `ev` (READ, WRITE, CLOSED).
#[inline]
pub(crate) fn ready(fd: RawFd, ev: Ev) -> Ready {
    let b = ev.bits() as u32;
    libc::epoll_event {
        events: ((b & 0x2) >> 1) | (b & 0x4) | ((b & 0x80) << 6),
        u64: fd as u32 as u64,
    }
}

/// The fd of a ready entry.
#[inline]
pub(crate) fn ready_fd(r: &Ready) -> RawFd {
    let data = r.u64;
    data as u32 as RawFd
}

/// The results of a ready entry, as libevent 2.1's epoll backend maps them:
/// an error, or a hang-up without `EPOLLRDHUP`, wakes readers and writers
/// (and nothing else); otherwise EPOLLIN is READ, EPOLLOUT is WRITE and
/// EPOLLRDHUP is CLOSED. The other backends encode their results without
/// the error and hang-up bits, so their own mapping comes through unchanged.
#[inline]
pub(crate) fn ready_ev(r: &Ready) -> Ev {
    let what = r.events;
    let err = what & 0x8 != 0;
    let hup_only = what & 0x10 != 0 && what & 0x2000 == 0;
    let bits = if err || hup_only {
        0x6
    } else {
        ((what & 0x1) << 1) | (what & 0x4) | ((what >> 6) & 0x80)
    };
    Ev::from_bits(bits as u16)
}

/// Messages a backend makes under the base lock, delivered after it.
pub(crate) type Msgs = Vec<(crate::log::Severity, String)>;

/// One readiness mechanism (libevent's `struct eventop`), owned by the base
/// state and changed under the base lock. A wait runs in two halves: the
/// loop takes a [`Waiter`] under the lock ([`Backend::begin_wait`]), waits
/// with the lock released ([`Waiter::wait`]), and hands it back under the
/// lock ([`Backend::end_wait`]). Changes made by other threads meanwhile are
/// applied to the kernel at once where it allows (epoll) or queued until the
/// waiter comes back (poll, select: their arrays are in the kernel's hands).
pub(crate) enum Backend {
    Epoll(epoll::Epoll),
    Poll(poll::Poll),
    Select(select::Select),
}

/// What a wait needs while the base lock is released.
pub(crate) enum Waiter {
    Epoll(epoll::Waiter),
    Poll(poll::Waiter),
    Select(select::Waiter),
}

impl Backend {
    /// Builds the backend `m`.
    pub(crate) fn build(m: Method, changelist: bool, precise_timer: bool) -> io::Result<Backend> {
        Ok(match m {
            Method::Epoll => Backend::Epoll(epoll::Epoll::new(changelist, precise_timer)?),
            Method::Poll => Backend::Poll(poll::Poll::new()),
            Method::Select => Backend::Select(select::Select::new()),
        })
    }

    /// The method name libevent reports (`"epoll"`, `"poll"`, `"select"`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Epoll(_) => "epoll",
            Backend::Poll(_) => "poll",
            Backend::Select(_) => "select",
        }
    }

    /// What this backend can do.
    pub(crate) fn features(&self) -> Features {
        match self {
            Backend::Epoll(_) => Method::Epoll.features(),
            Backend::Poll(_) => Method::Poll.features(),
            Backend::Select(_) => Method::Select.features(),
        }
    }

    /// The interests on `fd` changed from `old` to `new` (READ, WRITE,
    /// CLOSED, ET; either may be empty).
    #[inline]
    pub(crate) fn change(&mut self, fd: RawFd, old: Ev, new: Ev) -> io::Result<()> {
        match self {
            Backend::Epoll(b) => b.change(fd, old, new),
            Backend::Poll(b) => b.change(fd, new),
            Backend::Select(b) => b.change(fd, new),
        }
    }

    /// Another event was registered on `fd` without changing its interests:
    /// a backend that stopped watching a closed fd number starts again (the
    /// number may now name a new file).
    pub(crate) fn refresh(&mut self, fd: RawFd) {
        match self {
            Backend::Epoll(_) => {}
            Backend::Poll(b) => b.refresh(fd),
            Backend::Select(b) => b.refresh(fd),
        }
    }

    /// Takes what the next wait needs (under the lock).
    #[inline]
    pub(crate) fn begin_wait(&mut self, msgs: &mut Msgs) -> Waiter {
        match self {
            Backend::Epoll(b) => Waiter::Epoll(b.begin_wait(msgs)),
            Backend::Poll(b) => Waiter::Poll(b.begin_wait()),
            Backend::Select(b) => Waiter::Select(b.begin_wait()),
        }
    }

    /// Takes a waiter back after its wait (under the lock); may add results
    /// to `out` (select's closed fds).
    #[inline]
    pub(crate) fn end_wait(&mut self, w: Waiter, out: &mut Vec<Ready>, msgs: &mut Msgs) {
        match (self, w) {
            (Backend::Epoll(b), Waiter::Epoll(w)) => b.end_wait(w),
            (Backend::Poll(b), Waiter::Poll(w)) => b.end_wait(w, out, msgs),
            (Backend::Select(b), Waiter::Select(w)) => b.end_wait(w, out, msgs),
            // A waiter from a backend that `reinit` replaced: dropped.
            _ => {}
        }
    }
}

impl Waiter {
    /// Waits at most `timeout` (forever with `None`) and appends the ready
    /// fds to `out`; called without the base lock, by the loop's thread
    /// only. An interrupted wait (`EINTR`) is a normal return.
    #[inline]
    pub(crate) fn wait(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Ready>,
    ) -> io::Result<()> {
        match self {
            Waiter::Epoll(w) => w.wait(timeout, out),
            Waiter::Poll(w) => w.wait(timeout, out),
            Waiter::Select(w) => w.wait(timeout, out),
        }
    }
}

/// Which backend to build.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Epoll,
    Poll,
    Select,
}

impl Method {
    pub(crate) const ALL: [Method; 3] = [Method::Epoll, Method::Poll, Method::Select];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Epoll => "epoll",
            Method::Poll => "poll",
            Method::Select => "select",
        }
    }

    pub(crate) fn features(self) -> Features {
        match self {
            Method::Epoll => Features::ET | Features::O1 | Features::EARLY_CLOSE,
            Method::Poll => Features::FDS | Features::EARLY_CLOSE,
            Method::Select => Features::FDS,
        }
    }

    /// The environment variable that disables this method (`EVENT_NOEPOLL` …).
    pub(crate) fn env_disable(self) -> &'static str {
        match self {
            Method::Epoll => "EVENT_NOEPOLL",
            Method::Poll => "EVENT_NOPOLL",
            Method::Select => "EVENT_NOSELECT",
        }
    }
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn cvt_isize(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Converts an optional wait into the millisecond argument of `epoll_wait`/`poll`,
/// rounding up so that a timer is never woken early.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            // libevent caps waits at 35 minutes for old kernels; a cap also keeps
            // the conversion in range.
            ms.min(35 * 60 * 1000) as libc::c_int
        }
    }
}

/// Monotonic nanoseconds. `coarse` uses `CLOCK_MONOTONIC_COARSE` (cheaper,
/// ~1–4 ms resolution), as libevent does unless `PRECISE_TIMER` is set.
pub(crate) fn monotonic_ns(coarse: bool) -> u64 {
    let clock = if coarse {
        libc::CLOCK_MONOTONIC_COARSE
    } else {
        libc::CLOCK_MONOTONIC
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock ids are constants the kernel knows.
    let r = unsafe { libc::clock_gettime(clock, &mut ts) };
    debug_assert_eq!(r, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Wall-clock nanoseconds since the Unix epoch (may be negative in theory: clamp).
pub(crate) fn realtime_ns() -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

/// Whether the coarse monotonic clock is fine enough (≤ 1 ms) to use.
pub(crate) fn coarse_clock_usable() -> bool {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let r = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    r == 0 && ts.tv_sec == 0 && ts.tv_nsec <= 1_000_000
}

/// A socketpair for internal plumbing, both ends non-blocking and close-on-exec.
pub(crate) fn internal_socketpair() -> io::Result<(RawFd, RawFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    cvt(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    Ok((fds[0], fds[1]))
}

/// A non-blocking, close-on-exec eventfd (the cross-thread wakeup).
pub(crate) fn eventfd() -> io::Result<RawFd> {
    // SAFETY: plain syscall with constant flags.
    cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })
}

/// Adds one to an eventfd counter (wakes a waiter). Errors are ignored: a full
/// counter already means "wake up".
pub(crate) fn eventfd_signal(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64 to a descriptor we own.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Drains whatever is readable on `fd` (eventfd counter or socket bytes),
/// returning the bytes read when a buffer is needed.
pub(crate) fn drain(fd: RawFd, buf: &mut [u8]) -> usize {
    let mut total = 0;
    loop {
        let rest = &mut buf[total..];
        if rest.is_empty() {
            return total;
        }
        // SAFETY: `rest` is a valid writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::read(fd, rest.as_mut_ptr().cast(), rest.len()) };
        if n <= 0 {
            return total;
        }
        total += n as usize;
    }
}

/// Closes a descriptor we own; errors are not actionable here.
pub(crate) fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: the caller owns `fd` and never uses it again.
        unsafe { libc::close(fd) };
    }
}

/// Whether `fd` names an open file description.
pub(crate) fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0
}

/// Whether the process runs with raised privileges (setuid/setgid), in which
/// case libevent ignores its `EVENT_*` environment variables.
pub(crate) fn is_setugid() -> bool {
    // SAFETY: getauxval with a constant key has no preconditions.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// The calling thread's thread pointer: unique among live threads, never 0,
/// and one instruction to read on x86-64 (the base lock's bias check).
#[inline]
pub(crate) fn thread_pointer() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let tp: u64;
        // SAFETY: the x86-64 TLS ABI keeps the thread pointer's own value in
        // the first word of the thread control block, at %fs:0; reading it
        // has no side effects and touches no Rust-visible memory.
        unsafe {
            std::arch::asm!(
                "mov {}, qword ptr fs:[0]",
                out(reg) tp,
                options(nostack, readonly, preserves_flags, pure)
            )
        };
        tp
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        thread_local!(static TOKEN: u8 = const { 0 });
        TOKEN.with(|t| t as *const u8 as u64)
    }
}

const MEMBARRIER_CMD_QUERY: libc::c_int = 0;
const MEMBARRIER_CMD_GLOBAL: libc::c_int = 1;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

fn membarrier(cmd: libc::c_int) -> libc::c_long {
    // SAFETY: membarrier takes two integers and no pointers.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_uint,
            0 as libc::c_int,
        )
    }
}

/// Whether this kernel offers the expedited process-wide barrier
/// ([`process_barrier`]). Asked once per process.
pub(crate) fn process_barrier_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let cmds = membarrier(MEMBARRIER_CMD_QUERY);
        let need = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
        cmds >= 0 && cmds as libc::c_int & need == need
    })
}

/// Makes every running thread of this process execute a full memory barrier
/// (`membarrier(2)`); registers the process when the kernel says it is not
/// registered yet (first use, or a process whose registration was lost, as
/// across `exec`), then retries. Falls back to the slow global barrier.
/// `false`: the kernel refused both.
pub(crate) fn process_barrier() -> bool {
    if membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 {
        return true;
    }
    if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
        && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0
    {
        return true;
    }
    membarrier(MEMBARRIER_CMD_GLOBAL) == 0
}

/// Writes `msg` to stderr and aborts: for states no code path can survive.
#[cold]
pub(crate) fn abort_with(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::abort()
}

/// Reads one byte-sized signal number at a time from the signal socket.
pub(crate) fn read_into(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid writable buffer.
    cvt_isize(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// Asks the CPU to start loading the cache line holding `r` (a hint: it
/// never faults and changes nothing observable). Used where the engine knows
/// the next records it will touch, e.g. a batch of expiring timers.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a pure cache hint on a valid reference's address;
    // SSE is part of the x86_64 baseline, so the instruction always exists.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            r as *const T as *const i8,
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// Sleeps while `word` holds `expected` (or until woken, or spuriously).
pub(crate) fn futex_wait(word: &std::sync::atomic::AtomicU32, expected: u32) {
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind a live reference; a
    // NULL timeout means no timespec is read.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            std::ptr::null::<libc::timespec>(),
        )
    };
}

/// Wakes up to `n` sleepers on `word`.
pub(crate) fn futex_wake(word: &std::sync::atomic::AtomicU32, n: i32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            n,
        )
    };
}

/// The error an allocation failure becomes at the syscall layer.
pub(crate) fn enomem() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOMEM)
}

/// A non-blocking, close-on-exec TCP socket connecting to `addr`, and
/// whether the connection is already made (a connect in progress finishes
/// when the socket turns writable; [`socket_error`] then tells the result).
pub(crate) fn connect_nonblocking(addr: &std::net::SocketAddr) -> io::Result<(OwnedFd, bool)> {
    connect_socket(addr, libc::SOCK_STREAM)
}

/// A nonblocking UDP socket connected to `addr`: the kernel then drops
/// datagrams from any other address.
pub(crate) fn udp_connect(addr: &std::net::SocketAddr) -> io::Result<OwnedFd> {
    connect_socket(addr, libc::SOCK_DGRAM).map(|(fd, _)| fd)
}

/// A close-on-exec, nonblocking socket of type `ty` connecting to `addr`:
/// the socket and whether the connection is already made.
fn connect_socket(addr: &std::net::SocketAddr, ty: libc::c_int) -> io::Result<(OwnedFd, bool)> {
    use std::os::fd::FromRawFd;
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let (family, len) = match addr {
        std::net::SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and
            // suitably aligned for it.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            (libc::AF_INET, std::mem::size_of::<libc::sockaddr_in>())
        }
        std::net::SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            (libc::AF_INET6, std::mem::size_of::<libc::sockaddr_in6>())
        }
    };
    // SAFETY: plain syscall with constant flags.
    let fd =
        cvt(unsafe { libc::socket(family, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just created and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `ss` holds a valid address of `len` bytes.
    let r = unsafe {
        libc::connect(
            fd,
            (&ss as *const libc::sockaddr_storage).cast(),
            len as libc::socklen_t,
        )
    };
    if r == 0 {
        return Ok((owned, true));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINPROGRESS) | Some(libc::EINTR) => Ok((owned, false)),
        _ => Err(e),
    }
}

/// The pending error of a socket (`SO_ERROR`), cleared by reading it.
pub(crate) fn socket_error(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    use std::os::fd::AsRawFd;
    let mut e: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `e` and `len` are valid out-parameters of the sizes given.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut e as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok((e != 0).then(|| io::Error::from_raw_os_error(e)))
}

/// Puts a descriptor in non-blocking mode.
pub(crate) fn set_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor the caller keeps open.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above.
        cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

/// Fills `buf` from the kernel's CSPRNG (`getrandom(2)`), retrying short
/// reads and interruptions.
pub(crate) fn fill_random(mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
        let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        buf = &mut buf[n as usize..];
    }
    Ok(())
}

/// Sends one datagram on a connected socket without blocking.
pub(crate) fn send_datagram(fd: std::os::fd::BorrowedFd<'_>, bytes: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `bytes` is valid for its length; the caller keeps `fd` open.
    cvt_isize(unsafe {
        libc::send(
            fd.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    })
}
