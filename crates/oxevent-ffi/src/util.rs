//! `event2/util.h`: the 30 `evutil_*` helpers of libevent 2.1.12 (28 here; the
//! two printf-style ones, `evutil_snprintf` and `evutil_vsnprintf`, are C
//! variadics and live in `shim.c`).
//!
//! **Owns:** the monotonic timer object, the socket option helpers, libevent's
//! own address parser and printer, the `getaddrinfo` wrappers, the ASCII string
//! helpers, the RFC 1123 date, and the secure random source.
//!
//! **Must never:** let a panic cross into C (every export runs inside
//! [`guard`]), dereference a NULL pointer it was handed (it returns libevent's
//! error value instead), or keep a pointer into caller memory past the call.
//!
//! Each export is check → convert → delegate: it rejects NULL pointers, turns
//! its pointers into Rust values through the few typed helpers of the
//! "Pointer conversions" section, and calls a safe function of this file.
//!
//! # libevent behaviour kept on purpose
//! The reference is Debian's libevent 2.1.12, observed with small C programs.
//! - `evutil_inet_pton` is libevent's own parser, not the C library's.
//!   IPv4 is read as `sscanf("%u.%u.%u.%u%c")` would: `" 1.2.3.4"`,
//!   `"+1.2.3.4"`, `"1. 2.3.4"` and `"01.02.03.004"` are accepted, and
//!   `"1.2.3.4294967297"` wraps to `1.2.3.1`. IPv6 accepts a trailing colon
//!   (`"1::2:"`) and a `0x` prefix inside a group (`"0x12::1"`).
//! - `evutil_inet_ntop` for IPv6 prints `::a.b.c.d` only when the last two
//!   groups are both non-zero (`::1.2.0.0` prints as `::102:0`), and, when
//!   `len` equals the text length, returns the text cut by one character.
//! - `evutil_parse_sockaddr_port` reads the port with `atoi`: `":80junk"` is
//!   port 80, `":4294967376"` wraps to 80, `"[::1]junk"` is `::1` port 0.
//! - `evutil_sockaddr_cmp` compares IPv4 addresses as the host integer that
//!   holds the network-order bytes (not numeric order on x86), returns the raw
//!   difference of the network-order ports, and returns 1 for any other
//!   family, even for two identical addresses.
//! - `evutil_ascii_str(n)casecmp` compare `char`s, which are signed on
//!   x86-64: a byte ≥ 0x80 sorts before `'a'`.
//! - A monotonic timer that was never configured reads `CLOCK_REALTIME`
//!   (libevent's zeroed struct holds clock id 0).
//! - `evutil_date_rfc1123` and the snprintf family return 0 when the buffer
//!   length is 0.
//! - Debian builds the secure RNG on glibc's `arc4random`; here it is
//!   `getrandom(2)`. `evutil_secure_rng_set_urandom_device_file` follows
//!   libevent's documentation (store the path, return 0; `init` reads it)
//!   where Debian's build ignores the path and returns -1.

use std::ffi::{CStr, CString, OsStr};
use std::fmt::Write as _;
use std::io::{self, Read};
use std::mem::{offset_of, size_of};
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::os::unix::ffi::OsStrExt;
use std::ptr;
use std::sync::Mutex;

use crate::boundary::{guard, warnx};

// The constants of event2/util.h (socket type, EV_MONOT_*, EVUTIL_AI_*,
// EVUTIL_EAI_* with the values they resolve to on Linux/glibc) live in
// `abi`, the one place for public constants.
pub use crate::abi::{
    evutil_socket_t, EVUTIL_AI_ADDRCONFIG, EVUTIL_AI_ALL, EVUTIL_AI_CANONNAME,
    EVUTIL_AI_NUMERICHOST, EVUTIL_AI_NUMERICSERV, EVUTIL_AI_PASSIVE, EVUTIL_AI_V4MAPPED,
    EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_CANCEL,
    EVUTIL_EAI_FAIL, EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA, EVUTIL_EAI_NONAME,
    EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM, EV_MONOT_FALLBACK,
    EV_MONOT_PRECISE,
};

/// libevent's private `EVUTIL_AI_LIBEVENT_ALLOCATED` (0x80000000): set on
/// every node of an addrinfo list that libevent (evdns) built itself, so that
/// `evutil_freeaddrinfo` frees it node by node instead of calling glibc.
pub const EVUTIL_AI_LIBEVENT_ALLOCATED: c_int = c_int::MIN;

// The socket address images written by evutil_parse_sockaddr_port are built
// byte by byte; these asserts pin them to the C layout.
const _: () = {
    assert!(size_of::<libc::sockaddr_in>() == SOCKADDR_IN_LEN);
    assert!(offset_of!(libc::sockaddr_in, sin_port) == PORT_OFFSET);
    assert!(offset_of!(libc::sockaddr_in, sin_addr) == SIN_ADDR_OFFSET);
    assert!(size_of::<libc::sockaddr_in6>() == SOCKADDR_IN6_LEN);
    assert!(offset_of!(libc::sockaddr_in6, sin6_port) == PORT_OFFSET);
    assert!(offset_of!(libc::sockaddr_in6, sin6_addr) == SIN6_ADDR_OFFSET);
    assert!(offset_of!(libc::sockaddr_in6, sin6_scope_id) == SIN6_SCOPE_OFFSET);
};
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;
const PORT_OFFSET: usize = 2;
const SIN_ADDR_OFFSET: usize = 4;
const SIN6_ADDR_OFFSET: usize = 8;
const SIN6_SCOPE_OFFSET: usize = 24;

// ---------------------------------------------------------------------------
// Pointer conversions: the only places where C pointers become Rust values.
// ---------------------------------------------------------------------------

/// Borrows a C string; `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays unchanged
/// while the borrow lives.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        None
    } else {
        // SAFETY: non-null and NUL-terminated per this function's contract.
        Some(unsafe { CStr::from_ptr(p) })
    }
}

/// Borrows `len` writable bytes at `p`; `None` for NULL.
///
/// # Safety
/// `p` is NULL or valid for writes of `len` bytes, not aliased during the
/// borrow.
unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if p.is_null() {
        return None;
    }
    // A length beyond isize::MAX cannot describe real memory; clamp it so the
    // slice stays well-formed (only the first bytes are ever written).
    let len = len.min(isize::MAX as usize);
    // SAFETY: non-null and writable for `len` bytes per this function's contract.
    Some(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// Reads `N` bytes at `base + offset`.
///
/// # Safety
/// `base + offset .. base + offset + N` is readable.
unsafe fn read_bytes<const N: usize>(base: *const u8, offset: usize) -> [u8; N] {
    // SAFETY: the range is readable per this function's contract; `[u8; N]`
    // has alignment 1.
    unsafe { base.add(offset).cast::<[u8; N]>().read() }
}

/// Copies `bytes` to `dst`.
///
/// # Safety
/// `dst` is valid for writes of `bytes.len()` bytes.
unsafe fn write_bytes(dst: *mut c_void, bytes: &[u8]) {
    // SAFETY: `dst` is writable for `bytes.len()` bytes per this function's
    // contract, and cannot overlap a Rust-owned slice handed to us.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), dst.cast::<u8>(), bytes.len()) }
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets the calling thread's `errno`.
pub(crate) fn set_errno(value: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno slot, which
    // is always valid for writes.
    unsafe { *libc::__errno_location() = value }
}

/// Logs `what: <strerror(errno)>` as libevent's `event_warn` does, leaving
/// `errno` as it found it.
fn warn_errno(what: &str) {
    let err = io::Error::last_os_error();
    let text = err.to_string();
    // std renders "<strerror text> (os error N)"; libevent prints the text only.
    let text = match text.rfind(" (os error ") {
        Some(cut) => &text[..cut],
        None => text.as_str(),
    };
    warnx(&format!("{what}: {text}"));
    if let Some(code) = err.raw_os_error() {
        set_errno(code);
    }
}

/// Stores `text` as `evutil_snprintf` would: nothing and 0 when `cap` is 0,
/// else at most `cap - 1` bytes plus a NUL, returning the full length.
fn store_truncated(out: Option<&mut [u8]>, cap: usize, text: &[u8]) -> c_int {
    if cap == 0 {
        return 0;
    }
    let Some(out) = out else {
        return -1;
    };
    let n = text.len().min(cap - 1);
    out[..n].copy_from_slice(&text[..n]);
    out[n] = 0;
    c_int::try_from(text.len()).unwrap_or(c_int::MAX)
}

// ---------------------------------------------------------------------------
// Monotonic timer
// ---------------------------------------------------------------------------

/// `struct evutil_monotonic_timer`: opaque to C, allocated here.
#[derive(Debug)]
pub struct MonotonicTimer {
    source: TimeSource,
    /// Wall-clock fallback: microseconds added so that time never goes back.
    adjust_us: i64,
    /// Wall-clock fallback: the last time handed out, in microseconds.
    last_us: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeSource {
    /// `clock_gettime` on this clock.
    Clock(libc::clockid_t),
    /// The wall clock, clamped so it never decreases (`EV_MONOT_FALLBACK`).
    AdjustedWallClock,
}

impl MonotonicTimer {
    /// A timer as libevent's `mm_malloc` + `memset(0)` leaves it: clock id 0,
    /// i.e. `CLOCK_REALTIME`, until it is configured.
    fn unconfigured() -> Self {
        MonotonicTimer {
            source: TimeSource::Clock(libc::CLOCK_REALTIME),
            adjust_us: 0,
            last_us: 0,
        }
    }

    /// Picks the clock as libevent does on Linux: the coarse monotonic clock
    /// by default, the precise one with `EV_MONOT_PRECISE`, the adjusted wall
    /// clock with `EV_MONOT_FALLBACK` or when no monotonic clock works.
    fn configure(&mut self, flags: c_int) {
        let precise = flags & EV_MONOT_PRECISE != 0;
        let fallback = flags & EV_MONOT_FALLBACK != 0;
        self.source = if !precise && !fallback && clock_now(libc::CLOCK_MONOTONIC_COARSE).is_ok() {
            TimeSource::Clock(libc::CLOCK_MONOTONIC_COARSE)
        } else if !fallback && clock_now(libc::CLOCK_MONOTONIC).is_ok() {
            TimeSource::Clock(libc::CLOCK_MONOTONIC)
        } else {
            TimeSource::AdjustedWallClock
        };
    }

    fn now(&mut self) -> io::Result<libc::timeval> {
        match self.source {
            TimeSource::Clock(id) => {
                let ts = clock_now(id)?;
                Ok(libc::timeval {
                    tv_sec: ts.tv_sec,
                    tv_usec: ts.tv_nsec / 1000,
                })
            }
            TimeSource::AdjustedWallClock => {
                let ts = clock_now(libc::CLOCK_REALTIME)?;
                let wall_us = ts
                    .tv_sec
                    .saturating_mul(1_000_000)
                    .saturating_add(ts.tv_nsec / 1000);
                let us = self.never_backwards(wall_us);
                Ok(libc::timeval {
                    tv_sec: us.div_euclid(1_000_000),
                    tv_usec: us.rem_euclid(1_000_000),
                })
            }
        }
    }

    /// Adds the running adjustment to a wall-clock reading; when the result
    /// would go back in time, grows the adjustment and repeats the last value.
    fn never_backwards(&mut self, wall_us: i64) -> i64 {
        let mut t = wall_us.saturating_add(self.adjust_us);
        if t < self.last_us {
            self.adjust_us = self.adjust_us.saturating_add(self.last_us - t);
            t = self.last_us;
        }
        self.last_us = t;
        t
    }
}

fn clock_now(id: libc::clockid_t) -> io::Result<libc::timespec> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live, writable timespec.
    if unsafe { libc::clock_gettime(id, &mut ts) } == 0 {
        Ok(ts)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `evutil_monotonic_timer_new`: allocates an unconfigured timer.
#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_new() -> *mut MonotonicTimer {
    guard(ptr::null_mut(), || {
        Box::into_raw(Box::new(MonotonicTimer::unconfigured()))
    })
}

/// `evutil_monotonic_timer_free`: frees a timer; NULL is ignored.
///
/// # Safety
/// `timer` is NULL or a pointer from [`evutil_monotonic_timer_new`] not freed yet.
#[no_mangle]
pub unsafe extern "C" fn evutil_monotonic_timer_free(timer: *mut MonotonicTimer) {
    guard((), || {
        if !timer.is_null() {
            // SAFETY: non-null timers come from Box::into_raw in
            // evutil_monotonic_timer_new, and the caller gives it back once.
            drop(unsafe { Box::from_raw(timer) });
        }
    })
}

/// `evutil_configure_monotonic_time`: picks the clock; 0, or -1 for NULL.
///
/// # Safety
/// `timer` is NULL or a live pointer from [`evutil_monotonic_timer_new`].
#[no_mangle]
pub unsafe extern "C" fn evutil_configure_monotonic_time(
    timer: *mut MonotonicTimer,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a live timer that nothing else uses during the call
        // (caller contract).
        let Some(timer) = (unsafe { timer.as_mut() }) else {
            return -1;
        };
        timer.configure(flags);
        0
    })
}

/// `evutil_gettime_monotonic`: stores the timer's current time in `*tp`;
/// 0, or -1 for NULL arguments or a failing clock.
///
/// # Safety
/// `timer` is NULL or a live pointer from [`evutil_monotonic_timer_new`];
/// `tp` is NULL or points to a writable `struct timeval`.
#[no_mangle]
pub unsafe extern "C" fn evutil_gettime_monotonic(
    timer: *mut MonotonicTimer,
    tp: *mut libc::timeval,
) -> c_int {
    guard(-1, || {
        if tp.is_null() {
            return -1;
        }
        // SAFETY: NULL or a live timer that nothing else uses during the call
        // (caller contract).
        let Some(timer) = (unsafe { timer.as_mut() }) else {
            return -1;
        };
        match timer.now() {
            Ok(tv) => {
                // SAFETY: `tp` is non-null and points to a writable timeval
                // (caller contract).
                unsafe { tp.write(tv) };
                0
            }
            Err(_) => -1,
        }
    })
}

// ---------------------------------------------------------------------------
// Socket helpers
// ---------------------------------------------------------------------------

fn socket_pair(domain: c_int, ty: c_int, protocol: c_int) -> io::Result<[c_int; 2]> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a live array of two c_ints, as socketpair requires.
    if unsafe { libc::socketpair(domain, ty, protocol, fds.as_mut_ptr()) } == 0 {
        Ok(fds)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets `flag` in the descriptor's flags read with `get` and written with
/// `set` (`F_GETFL`/`F_SETFL` or `F_GETFD`/`F_SETFD`), warning as libevent
/// does on failure; 0 or -1.
fn add_fd_flag(
    fd: c_int,
    (get, get_name): (c_int, &str),
    (set, set_name): (c_int, &str),
    flag: c_int,
) -> c_int {
    // SAFETY: F_GETFL/F_GETFD take no argument and accept any descriptor value.
    let flags = unsafe { libc::fcntl(fd, get) };
    if flags < 0 {
        warn_errno(&format!("fcntl({fd}, {get_name})"));
        return -1;
    }
    if flags & flag != 0 {
        return 0;
    }
    // SAFETY: F_SETFL/F_SETFD take an int argument and accept any descriptor.
    if unsafe { libc::fcntl(fd, set, flags | flag) } == -1 {
        warn_errno(&format!("fcntl({fd}, {set_name})"));
        return -1;
    }
    0
}

/// Sets an int socket option to 1; setsockopt's result (0 or -1 with errno).
fn enable_sockopt(fd: c_int, level: c_int, name: c_int) -> c_int {
    let one: c_int = 1;
    // SAFETY: the option value points to a live c_int and the length given is
    // its size.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            ptr::from_ref(&one).cast(),
            size_of::<c_int>() as libc::socklen_t,
        )
    }
}

/// `evutil_socketpair`: `socketpair(2)`; 0, or -1 with errno (EFAULT for a
/// NULL `sv`).
///
/// # Safety
/// `sv` is NULL or points to two writable `evutil_socket_t`.
#[no_mangle]
pub unsafe extern "C" fn evutil_socketpair(
    domain: c_int,
    ty: c_int,
    protocol: c_int,
    sv: *mut evutil_socket_t,
) -> c_int {
    guard(-1, || {
        if sv.is_null() {
            set_errno(libc::EFAULT);
            return -1;
        }
        match socket_pair(domain, ty, protocol) {
            Ok(fds) => {
                // SAFETY: `sv` is non-null and points to two writable ints
                // (caller contract).
                unsafe { sv.cast::<[c_int; 2]>().write_unaligned(fds) };
                0
            }
            Err(_) => -1,
        }
    })
}

/// `evutil_make_socket_nonblocking`: sets `O_NONBLOCK`; 0, or -1 with a
/// logged warning.
#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        add_fd_flag(
            sock,
            (libc::F_GETFL, "F_GETFL"),
            (libc::F_SETFL, "F_SETFL"),
            libc::O_NONBLOCK,
        )
    })
}

/// `evutil_make_socket_closeonexec`: sets `FD_CLOEXEC`; 0, or -1 with a
/// logged warning.
#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        add_fd_flag(
            sock,
            (libc::F_GETFD, "F_GETFD"),
            (libc::F_SETFD, "F_SETFD"),
            libc::FD_CLOEXEC,
        )
    })
}

/// `evutil_make_listen_socket_reuseable`: `SO_REUSEADDR`; 0 or -1.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        enable_sockopt(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR)
    })
}

/// `evutil_make_listen_socket_reuseable_port`: `SO_REUSEPORT`; 0 or -1.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable_port(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        enable_sockopt(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT)
    })
}

/// `evutil_make_listen_socket_ipv6only`: `IPV6_V6ONLY`; 0 or -1.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_ipv6only(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        enable_sockopt(sock, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
    })
}

/// `evutil_make_tcp_listen_socket_deferred`: `TCP_DEFER_ACCEPT`; 0 or -1.
#[no_mangle]
pub extern "C" fn evutil_make_tcp_listen_socket_deferred(sock: evutil_socket_t) -> c_int {
    guard(-1, || {
        enable_sockopt(sock, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT)
    })
}

/// `evutil_closesocket`: `close(2)`; 0 or -1.
///
/// # Safety
/// The caller owns `sock`; nothing may use the descriptor afterwards.
#[no_mangle]
pub unsafe extern "C" fn evutil_closesocket(sock: evutil_socket_t) -> c_int {
    // SAFETY: close takes no pointer; the caller gives up `sock` (contract above).
    guard(-1, || unsafe { libc::close(sock) })
}

// ---------------------------------------------------------------------------
// Numbers as the C library reads them (strtol/strtoul/sscanf, base 10)
// ---------------------------------------------------------------------------

/// A base-10 number as `strtol`/`strtoul`/`scanf("%u")` scan it: leading
/// C-locale white space, an optional sign, then at least one digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// `None` when the digits overflow 64 bits.
    magnitude: Option<u64>,
    /// Bytes consumed, white space and sign included.
    len: usize,
}

fn scan_decimal(s: &[u8]) -> Option<Decimal> {
    let mut i = s
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .count();
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let magnitude = s[i..i + digits].iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    Some(Decimal {
        negative,
        magnitude,
        len: i + digits,
    })
}

impl Decimal {
    /// The value `strtoul` returns (negation wraps; overflow gives ULONG_MAX).
    fn as_strtoul(self) -> u64 {
        match self.magnitude {
            None => u64::MAX,
            Some(m) if self.negative => m.wrapping_neg(),
            Some(m) => m,
        }
    }

    /// The value `strtol` returns (saturating at LONG_MIN/LONG_MAX).
    fn as_strtol(self) -> i64 {
        match (self.magnitude, self.negative) {
            (Some(m), false) => i64::try_from(m).unwrap_or(i64::MAX),
            (Some(m), true) => 0i64.checked_sub_unsigned(m).unwrap_or(i64::MIN),
            (None, false) => i64::MAX,
            (None, true) => i64::MIN,
        }
    }
}

/// `atoi(s)`, which glibc defines as `(int) strtol(s, NULL, 10)`.
fn c_atoi(s: &[u8]) -> c_int {
    // Truncation to int is the point: ":4294967376" is port 80 in libevent.
    scan_decimal(s).map_or(0, |d| d.as_strtol() as c_int)
}

/// `scanf("%u")`: the unsigned value (truncated to 32 bits) and bytes used.
fn scan_u32(s: &[u8]) -> Option<(u32, usize)> {
    scan_decimal(s).map(|d| (d.as_strtoul() as u32, d.len))
}

/// `strtol(s, &end, 16)` on a string that starts with a hex digit: the
/// value (saturated) and the number of bytes consumed.
fn scan_hex_group(s: &[u8]) -> (u64, usize) {
    let hex_prefix =
        s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') && s[2].is_ascii_hexdigit();
    let start = if hex_prefix { 2 } else { 0 };
    let digits = s[start..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    let value = s[start..start + digits].iter().fold(0u64, |acc, &c| {
        let d = (c as char).to_digit(16).map_or(0, u64::from);
        acc.saturating_mul(16).saturating_add(d)
    });
    (value, start + digits)
}

// ---------------------------------------------------------------------------
// Addresses: libevent's own inet_pton / inet_ntop
// ---------------------------------------------------------------------------

/// An address parsed by [`inet_pton`], in network byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IpBytes {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            IpBytes::V4(a) => a,
            IpBytes::V6(a) => a,
        }
    }
}

/// What `evutil_inet_pton` makes of a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pton {
    Parsed(IpBytes),
    Malformed,
    UnsupportedFamily,
}

impl Pton {
    fn code(self) -> c_int {
        match self {
            Pton::Parsed(_) => 1,
            Pton::Malformed => 0,
            Pton::UnsupportedFamily => -1,
        }
    }
}

fn inet_pton(af: c_int, text: &[u8]) -> Pton {
    let parsed = match af {
        libc::AF_INET => parse_ipv4(text).map(IpBytes::V4),
        libc::AF_INET6 => parse_ipv6(text).map(IpBytes::V6),
        _ => return Pton::UnsupportedFamily,
    };
    parsed.map_or(Pton::Malformed, Pton::Parsed)
}

/// IPv4 as `sscanf(s, "%u.%u.%u.%u%c", …) == 4` with each part ≤ 255.
fn parse_ipv4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut pos = 0;
    for (k, byte) in out.iter_mut().enumerate() {
        if k > 0 {
            if s.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let (value, used) = scan_u32(&s[pos..])?;
        *byte = u8::try_from(value).ok()?;
        pos += used;
    }
    // Anything left would be matched by the trailing %c: a fifth conversion.
    (pos == s.len()).then_some(out)
}

/// IPv6 as libevent's parser reads it: hex groups of at most four characters
/// (strtol, so "0x1" counts), one "::", an optional dotted IPv4 tail.
fn parse_ipv6(s: &[u8]) -> Option<[u8; 16]> {
    let mut words = [0u16; 8];
    let mut set_words = 0usize;
    let dot = s.iter().position(|&c| c == b'.');
    let end_of_words = match dot {
        Some(0) => return None,
        None => s.len(),
        Some(d) => {
            // The IPv4 tail starts at the decimal digits right before the dot.
            let tail = d - s[..d]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let v4 = parse_ipv4(&s[tail..])?;
            words[6] = u16::from_be_bytes([v4[0], v4[1]]);
            words[7] = u16::from_be_bytes([v4[2], v4[3]]);
            set_words += 2;
            tail
        }
    };

    let mut gap: Option<usize> = None;
    let mut i = 0;
    let mut pos = 0;
    while pos < end_of_words {
        if i > 7 {
            return None;
        }
        let c = s[pos];
        if c.is_ascii_hexdigit() {
            let (value, used) = scan_hex_group(&s[pos..]);
            if used == 0 || used > 4 {
                return None;
            }
            words[i] = u16::try_from(value).ok()?;
            i += 1;
            set_words += 1;
            pos += used;
            if pos != end_of_words && s.get(pos) != Some(&b':') {
                return None;
            }
            pos += 1;
        } else if c == b':' && i > 0 && gap.is_none() {
            gap = Some(i);
            pos += 1;
        } else if c == b':' && i == 0 && s.get(pos + 1) == Some(&b':') && gap.is_none() {
            gap = Some(0);
            pos += 2;
        } else {
            return None;
        }
    }

    match gap {
        _ if set_words > 8 => return None,
        Some(_) if set_words == 8 => return None,
        None if set_words < 8 => return None,
        None => {}
        Some(at) => {
            let parsed = set_words - if dot.is_some() { 2 } else { 0 };
            let to_move = parsed.checked_sub(at)?;
            let gap_len = 8 - set_words;
            words.copy_within(at..at + to_move, at + gap_len);
            words[at..at + gap_len].fill(0);
        }
    }
    let mut out = [0u8; 16];
    for (pair, w) in out.chunks_exact_mut(2).zip(words) {
        pair.copy_from_slice(&w.to_be_bytes());
    }
    Some(out)
}

/// `evutil_inet_pton_scope` for IPv6: splits "addr%zone" and resolves the
/// zone (an interface name, else a number read by strtoul). `None` when the
/// zone is neither.
fn split_scope(text: &[u8]) -> Option<(&[u8], u32)> {
    let Some(pct) = text.iter().position(|&c| c == b'%') else {
        return Some((text, 0));
    };
    let zone = &text[pct + 1..];
    let index = match interface_index(zone) {
        0 => {
            let (value, used) = scan_decimal(zone).map_or((0, 0), |d| (d.as_strtoul(), d.len));
            if used != zone.len() {
                return None;
            }
            // strtoul's unsigned long lands in an unsigned int, as in libevent.
            value as u32
        }
        index => index,
    };
    Some((&text[..pct], index))
}

fn interface_index(name: &[u8]) -> u32 {
    let Ok(name) = CString::new(name) else {
        return 0;
    };
    // SAFETY: `name` is a live NUL-terminated string.
    unsafe { libc::if_nametoindex(name.as_ptr()) }
}

fn format_ipv4(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// IPv6 text as libevent prints it (see the module docs for the IPv4 forms).
fn format_ipv6(a: [u8; 16]) -> String {
    let mut w = [0u16; 8];
    for (word, pair) in w.iter_mut().zip(a.chunks_exact(2)) {
        *word = u16::from_be_bytes([pair[0], pair[1]]);
    }
    if w[..5].iter().all(|&x| x == 0) && ((w[5] == 0 && w[6] != 0 && w[7] != 0) || w[5] == 0xffff) {
        let v4 = format_ipv4([a[12], a[13], a[14], a[15]]);
        return if w[5] == 0 {
            format!("::{v4}")
        } else {
            format!("::{:x}:{v4}", w[5])
        };
    }
    // The first longest run of zero groups, if at least two long.
    let (mut best_at, mut best_len) = (None, 1);
    let mut i = 0;
    while i < 8 {
        let run = w[i..].iter().take_while(|&&x| x == 0).count();
        if run > best_len {
            (best_at, best_len) = (Some(i), run);
        }
        i += run.max(1);
    }
    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if best_at == Some(i) {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{:x}", w[i]);
        if i != 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// `evutil_inet_ntop`'s text and its fit rule for a `len`-byte buffer.
fn inet_ntop(af: c_int, src: &[u8]) -> Option<(String, NtopFit)> {
    match (af, src.len()) {
        (libc::AF_INET, 4) => Some((
            format_ipv4([src[0], src[1], src[2], src[3]]),
            NtopFit::Snprintf,
        )),
        (libc::AF_INET6, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(src);
            Some((format_ipv6(a), NtopFit::CopyUnlessLonger))
        }
        _ => None,
    }
}

/// How libevent's ntop fits its text into the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NtopFit {
    /// IPv4: snprintf; the (truncated) text is written, NULL unless it fit.
    Snprintf,
    /// IPv6: nothing written when longer than `len`; else strlcpy, so a text
    /// of exactly `len` bytes comes back cut by one and counts as success.
    CopyUnlessLonger,
}

/// Stores ntop text per `fit`; true when `evutil_inet_ntop` returns `dst`.
fn ntop_store(out: &mut [u8], text: &[u8], fit: NtopFit) -> bool {
    let cap = out.len();
    match fit {
        NtopFit::Snprintf => {
            store_truncated(Some(out), cap, text);
            cap > text.len()
        }
        NtopFit::CopyUnlessLonger => {
            if text.len() > cap || cap == 0 {
                return false;
            }
            store_truncated(Some(out), cap, text);
            true
        }
    }
}

/// `evutil_inet_ntop`: `dst`, or NULL for an unknown family, a NULL pointer,
/// or a buffer too small (see [`NtopFit`]). errno is left alone.
///
/// # Safety
/// `src` is NULL or points to a `struct in_addr` (AF_INET) or `struct
/// in6_addr` (AF_INET6); `dst` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_ntop(
    af: c_int,
    src: *const c_void,
    dst: *mut c_char,
    len: usize,
) -> *const c_char {
    guard(ptr::null(), || {
        if src.is_null() || dst.is_null() {
            return ptr::null();
        }
        let src = src.cast::<u8>();
        let raw: Vec<u8> = match af {
            // SAFETY: for AF_INET `src` points to a 4-byte in_addr (caller contract).
            libc::AF_INET => unsafe { read_bytes::<4>(src, 0) }.to_vec(),
            // SAFETY: for AF_INET6 `src` points to a 16-byte in6_addr (caller contract).
            libc::AF_INET6 => unsafe { read_bytes::<16>(src, 0) }.to_vec(),
            _ => return ptr::null(),
        };
        let Some((text, fit)) = inet_ntop(af, &raw) else {
            return ptr::null();
        };
        // SAFETY: `dst` is non-null and writable for `len` bytes (caller contract).
        let Some(out) = (unsafe { bytes_mut(dst.cast(), len) }) else {
            return ptr::null();
        };
        if ntop_store(out, text.as_bytes(), fit) {
            dst.cast_const()
        } else {
            ptr::null()
        }
    })
}

/// `evutil_inet_pton`: 1 and the address in `dst`, 0 for malformed text,
/// -1 for an unknown family or a NULL pointer.
///
/// # Safety
/// `src` is NULL or NUL-terminated; `dst` is NULL or writable for 4 bytes
/// (AF_INET) or 16 bytes (AF_INET6).
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a NUL-terminated string (caller contract).
        let Some(text) = (unsafe { c_str(src) }) else {
            return -1;
        };
        if dst.is_null() {
            return -1;
        }
        let result = inet_pton(af, text.to_bytes());
        if let Pton::Parsed(addr) = result {
            // SAFETY: `dst` is writable for the family's address size (caller
            // contract), which is the length of `addr`.
            unsafe { write_bytes(dst, addr.as_slice()) };
        }
        result.code()
    })
}

/// `evutil_inet_pton_scope`: as [`evutil_inet_pton`], and for AF_INET6 text
/// "addr%zone" also stores the zone's interface index in `*indexp` (0 when
/// there is none). Returns 0 when the zone is neither an interface nor a
/// number, -1 for a NULL pointer or an unknown family.
///
/// # Safety
/// As [`evutil_inet_pton`]; `indexp` is NULL or a writable `unsigned`.
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton_scope(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
    indexp: *mut c_uint,
) -> c_int {
    guard(-1, || {
        if indexp.is_null() || dst.is_null() {
            return -1;
        }
        // SAFETY: `indexp` is non-null and writable (caller contract).
        unsafe { indexp.write(0) };
        // SAFETY: NULL or a NUL-terminated string (caller contract).
        let Some(text) = (unsafe { c_str(src) }) else {
            return -1;
        };
        let (addr_text, index) = if af == libc::AF_INET6 {
            match split_scope(text.to_bytes()) {
                Some(split) => split,
                None => return 0,
            }
        } else {
            (text.to_bytes(), 0)
        };
        // SAFETY: as above; libevent stores the index before parsing the address.
        unsafe { indexp.write(index) };
        let result = inet_pton(af, addr_text);
        if let Pton::Parsed(addr) = result {
            // SAFETY: `dst` is writable for the family's address size (caller
            // contract), which is the length of `addr`.
            unsafe { write_bytes(dst, addr.as_slice()) };
        }
        result.code()
    })
}

/// A socket address parsed by [`parse_sockaddr_port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SockAddr {
    V4 {
        addr: [u8; 4],
        port: u16,
    },
    V6 {
        addr: [u8; 16],
        port: u16,
        scope_id: u32,
    },
}

impl SockAddr {
    /// The `struct sockaddr_in` / `sockaddr_in6` image, zero-filled.
    fn encode(&self) -> Vec<u8> {
        match *self {
            SockAddr::V4 { addr, port } => {
                let mut b = vec![0u8; SOCKADDR_IN_LEN];
                b[..2].copy_from_slice(&(libc::AF_INET as libc::sa_family_t).to_ne_bytes());
                b[PORT_OFFSET..PORT_OFFSET + 2].copy_from_slice(&port.to_be_bytes());
                b[SIN_ADDR_OFFSET..SIN_ADDR_OFFSET + 4].copy_from_slice(&addr);
                b
            }
            SockAddr::V6 {
                addr,
                port,
                scope_id,
            } => {
                let mut b = vec![0u8; SOCKADDR_IN6_LEN];
                b[..2].copy_from_slice(&(libc::AF_INET6 as libc::sa_family_t).to_ne_bytes());
                b[PORT_OFFSET..PORT_OFFSET + 2].copy_from_slice(&port.to_be_bytes());
                b[SIN6_ADDR_OFFSET..SIN6_ADDR_OFFSET + 16].copy_from_slice(&addr);
                b[SIN6_SCOPE_OFFSET..SIN6_SCOPE_OFFSET + 4]
                    .copy_from_slice(&scope_id.to_ne_bytes());
                b
            }
        }
    }
}

/// libevent copies the address part into a 128-byte buffer first.
const ADDR_PART_MAX: usize = 127;

/// "ip", "ip:port", "[ipv6]", "[ipv6]:port" or a bare "ipv6", as
/// `evutil_parse_sockaddr_port` reads them (port via atoi, 1..=65535).
fn parse_sockaddr_port(s: &[u8]) -> Option<SockAddr> {
    let first_colon = s.iter().position(|&c| c == b':');
    let (addr, port_text, is_v6) = if s.first() == Some(&b'[') {
        let close = s.iter().position(|&c| c == b']')?;
        let addr = &s[1..close];
        if addr.len() > ADDR_PART_MAX {
            return None;
        }
        let port = (s.get(close + 1) == Some(&b':')).then(|| &s[close + 2..]);
        (addr, port, true)
    } else if let Some(c) = first_colon {
        if s[c + 1..].contains(&b':') {
            (s, None, true)
        } else {
            if c > ADDR_PART_MAX {
                return None;
            }
            (&s[..c], Some(&s[c + 1..]), false)
        }
    } else {
        (s, None, false)
    };

    let port = match port_text {
        None => 0,
        Some(text) => u16::try_from(c_atoi(text)).ok().filter(|&p| p != 0)?,
    };
    if is_v6 {
        let (addr, scope_id) = split_scope(addr)?;
        let addr = parse_ipv6(addr)?;
        Some(SockAddr::V6 {
            addr,
            port,
            scope_id,
        })
    } else {
        Some(SockAddr::V4 {
            addr: parse_ipv4(addr)?,
            port,
        })
    }
}

/// `evutil_parse_sockaddr_port`: 0 with the address in `out` (whose first
/// `*outlen` bytes are zeroed first) and its size in `*outlen`; -1 for
/// malformed text, a port out of 1..=65535, a buffer too small, or NULL.
///
/// # Safety
/// `s` is NULL or NUL-terminated; `outlen` is NULL or a writable int; `out`
/// is NULL or writable for `*outlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_parse_sockaddr_port(
    s: *const c_char,
    out: *mut libc::sockaddr,
    outlen: *mut c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a NUL-terminated string (caller contract).
        let Some(text) = (unsafe { c_str(s) }) else {
            warnx("evutil_parse_sockaddr_port: NULL string");
            return -1;
        };
        if out.is_null() || outlen.is_null() {
            warnx("evutil_parse_sockaddr_port: NULL output");
            return -1;
        }
        let Some(addr) = parse_sockaddr_port(text.to_bytes()) else {
            warnx(&format!(
                "evutil_parse_sockaddr_port: cannot parse \"{}\" as an address[:port]",
                text.to_string_lossy()
            ));
            return -1;
        };
        let image = addr.encode();
        // SAFETY: `outlen` is non-null and points to a readable int (caller contract).
        let cap = unsafe { outlen.read() };
        let Ok(cap) = usize::try_from(cap) else {
            warnx("evutil_parse_sockaddr_port: negative output length");
            return -1;
        };
        if image.len() > cap {
            warnx(&format!(
                "evutil_parse_sockaddr_port: the address needs {} bytes, the output has {cap}",
                image.len()
            ));
            return -1;
        }
        // SAFETY: `out` is non-null and writable for `*outlen` bytes (caller contract).
        let Some(dst) = (unsafe { bytes_mut(out.cast(), cap) }) else {
            return -1;
        };
        dst.fill(0);
        dst[..image.len()].copy_from_slice(&image);
        // SAFETY: `outlen` is non-null and writable (caller contract).
        unsafe { outlen.write(image.len() as c_int) };
        0
    })
}

/// The parts of a socket address that `evutil_sockaddr_cmp` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CmpKey {
    family: libc::sa_family_t,
    /// The port's two bytes read as a host integer (network order kept).
    port_raw: u16,
    addr: CmpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpAddr {
    /// `sin_addr.s_addr` read as a host integer.
    V4(u32),
    V6([u8; 16]),
    Other,
}

impl CmpKey {
    /// Reads a key from a C socket address.
    ///
    /// # Safety
    /// `sa` points to a readable `sa_family_t`, followed by a readable
    /// `sockaddr_in` or `sockaddr_in6` when the family says so.
    unsafe fn read(sa: *const libc::sockaddr) -> CmpKey {
        let base = sa.cast::<u8>();
        // SAFETY: every socket address starts with its family (contract above).
        let family = libc::sa_family_t::from_ne_bytes(unsafe { read_bytes(base, 0) });
        let (port_raw, addr) = match c_int::from(family) {
            libc::AF_INET => (
                // SAFETY: an AF_INET address is a sockaddr_in (contract above).
                u16::from_ne_bytes(unsafe { read_bytes(base, PORT_OFFSET) }),
                // SAFETY: as above.
                CmpAddr::V4(u32::from_ne_bytes(unsafe {
                    read_bytes(base, SIN_ADDR_OFFSET)
                })),
            ),
            libc::AF_INET6 => (
                // SAFETY: an AF_INET6 address is a sockaddr_in6 (contract above).
                u16::from_ne_bytes(unsafe { read_bytes(base, PORT_OFFSET) }),
                // SAFETY: as above.
                CmpAddr::V6(unsafe { read_bytes(base, SIN6_ADDR_OFFSET) }),
            ),
            _ => (0, CmpAddr::Other),
        };
        CmpKey {
            family,
            port_raw,
            addr,
        }
    }
}

/// libevent's ordering: family difference, then address (IPv4 as a host
/// integer, IPv6 by the first differing byte), then the raw port difference;
/// 1 for any other family.
fn sockaddr_cmp(a: &CmpKey, b: &CmpKey, include_port: bool) -> c_int {
    let family = c_int::from(a.family) - c_int::from(b.family);
    if family != 0 {
        return family;
    }
    let addr = match (a.addr, b.addr) {
        (CmpAddr::V4(x), CmpAddr::V4(y)) => x.cmp(&y) as c_int,
        (CmpAddr::V6(x), CmpAddr::V6(y)) => x
            .iter()
            .zip(y.iter())
            .find(|(p, q)| p != q)
            .map_or(0, |(&p, &q)| c_int::from(p) - c_int::from(q)),
        _ => return 1,
    };
    if addr != 0 {
        return addr;
    }
    if include_port {
        c_int::from(a.port_raw) - c_int::from(b.port_raw)
    } else {
        0
    }
}

/// `evutil_sockaddr_cmp`: <0, 0 or >0 as described at [`sockaddr_cmp`].
/// NULL sorts before any address (libevent would crash).
///
/// # Safety
/// Each pointer is NULL or a socket address readable for its family's
/// struct (`sockaddr_in` for AF_INET, `sockaddr_in6` for AF_INET6).
#[no_mangle]
pub unsafe extern "C" fn evutil_sockaddr_cmp(
    sa1: *const libc::sockaddr,
    sa2: *const libc::sockaddr,
    include_port: c_int,
) -> c_int {
    guard(1, || match (sa1.is_null(), sa2.is_null()) {
        (true, true) => 0,
        (true, false) => -1,
        (false, true) => 1,
        (false, false) => {
            // SAFETY: both are non-null socket addresses readable for their
            // family (caller contract).
            let (a, b) = unsafe { (CmpKey::read(sa1), CmpKey::read(sa2)) };
            sockaddr_cmp(&a, &b, include_port != 0)
        }
    })
}

// ---------------------------------------------------------------------------
// getaddrinfo
// ---------------------------------------------------------------------------

/// The hints handed to glibc: the caller's, or "any family" when NULL, minus
/// the flag bits only libevent understands.
fn native_hints(hints_in: Option<&libc::addrinfo>) -> libc::addrinfo {
    let mut hints = match hints_in {
        Some(h) => *h,
        None => libc::addrinfo {
            ai_flags: 0,
            ai_family: libc::AF_UNSPEC,
            ai_socktype: 0,
            ai_protocol: 0,
            ai_addrlen: 0,
            ai_addr: ptr::null_mut(),
            ai_canonname: ptr::null_mut(),
            ai_next: ptr::null_mut(),
        },
    };
    hints.ai_flags &= !EVUTIL_AI_LIBEVENT_ALLOCATED;
    hints
}

/// libevent's text for its own error codes; `None` means "ask glibc".
fn gai_error_text(err: c_int) -> Option<&'static CStr> {
    Some(match err {
        EVUTIL_EAI_CANCEL => c"Request canceled",
        0 => c"No error",
        EVUTIL_EAI_ADDRFAMILY => c"address family for nodename not supported",
        EVUTIL_EAI_AGAIN => c"temporary failure in name resolution",
        EVUTIL_EAI_BADFLAGS => c"invalid value for ai_flags",
        EVUTIL_EAI_FAIL => c"non-recoverable failure in name resolution",
        EVUTIL_EAI_FAMILY => c"ai_family not supported",
        EVUTIL_EAI_MEMORY => c"memory allocation failure",
        EVUTIL_EAI_NODATA => c"no address associated with nodename",
        EVUTIL_EAI_NONAME => c"nodename nor servname provided, or not known",
        EVUTIL_EAI_SERVICE => c"servname not supported for ai_socktype",
        EVUTIL_EAI_SOCKTYPE => c"ai_socktype not supported",
        EVUTIL_EAI_SYSTEM => c"system error",
        _ => return None,
    })
}

/// `evutil_getaddrinfo`: glibc's `getaddrinfo` with libevent's hint rules;
/// 0 or an `EVUTIL_EAI_*` code (`EVUTIL_EAI_SYSTEM` with errno EINVAL for a
/// NULL `res`).
///
/// # Safety
/// `nodename` and `servname` are NULL or NUL-terminated; `hints_in` is NULL
/// or a readable `struct evutil_addrinfo`; `res` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo(
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const libc::addrinfo,
    res: *mut *mut libc::addrinfo,
) -> c_int {
    guard(EVUTIL_EAI_FAIL, || {
        if res.is_null() {
            set_errno(libc::EINVAL);
            return EVUTIL_EAI_SYSTEM;
        }
        // SAFETY: NULL or a readable struct addrinfo (caller contract).
        let hints = native_hints(unsafe { hints_in.as_ref() });
        // SAFETY: the names are NULL or NUL-terminated (caller contract),
        // `hints` is a live local and `res` is non-null and writable.
        unsafe { libc::getaddrinfo(nodename, servname, &hints, res) }
    })
}

/// `evutil_freeaddrinfo`: frees a list from [`evutil_getaddrinfo`] (glibc's
/// `freeaddrinfo`) or one built by libevent itself (flag
/// [`EVUTIL_AI_LIBEVENT_ALLOCATED`] on the first node: each node and its
/// canonical name come from `crate::mem::alloc`, libevent's `mm_malloc`, the
/// address inside the node's block). NULL is ignored.
///
/// # Safety
/// `ai` is NULL or the head of a list from one of those sources, not freed yet.
#[no_mangle]
pub unsafe extern "C" fn evutil_freeaddrinfo(ai: *mut libc::addrinfo) {
    guard((), || {
        // SAFETY: NULL or the head node of a live list (caller contract).
        let Some(head) = (unsafe { ai.as_ref() }) else {
            return;
        };
        if head.ai_flags & EVUTIL_AI_LIBEVENT_ALLOCATED == 0 {
            // SAFETY: the list came from glibc's getaddrinfo (caller contract).
            unsafe { libc::freeaddrinfo(ai) };
            return;
        }
        let mut node = ai;
        while !node.is_null() {
            // SAFETY: `node` is a live node of a libevent-built list (caller
            // contract); it is read before being freed.
            let (next, canon) = unsafe { ((*node).ai_next, (*node).ai_canonname) };
            // The name (or NULL) and the node came from mem::alloc and are
            // freed once each, as libevent's mm_free does.
            crate::mem::free(canon.cast());
            crate::mem::free(node.cast());
            node = next;
        }
    })
}

/// `evutil_gai_strerror`: a static message for an `EVUTIL_EAI_*` code
/// (glibc's `gai_strerror` for codes libevent does not know).
#[no_mangle]
pub extern "C" fn evutil_gai_strerror(err: c_int) -> *const c_char {
    guard(c"Unknown error".as_ptr(), || match gai_error_text(err) {
        Some(text) => text.as_ptr(),
        // SAFETY: gai_strerror takes any int and returns a static string.
        None => unsafe { libc::gai_strerror(err) },
    })
}

// ---------------------------------------------------------------------------
// Strings and dates
// ---------------------------------------------------------------------------

/// `evutil_strtoll`: `strtol` (long is 64-bit here, as in libevent), with
/// its errno and `*endptr`. A NULL `s` gives 0, errno EINVAL, `*endptr` NULL.
///
/// # Safety
/// `s` is NULL or NUL-terminated; `endptr` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn evutil_strtoll(
    s: *const c_char,
    endptr: *mut *mut c_char,
    base: c_int,
) -> i64 {
    guard(0, || {
        if s.is_null() {
            if !endptr.is_null() {
                // SAFETY: `endptr` is non-null and writable (caller contract).
                unsafe { endptr.write(ptr::null_mut()) };
            }
            set_errno(libc::EINVAL);
            return 0;
        }
        // SAFETY: `s` is NUL-terminated and `endptr` NULL or writable (caller
        // contract); strtoll touches nothing else.
        unsafe { libc::strtoll(s, endptr, base) }
    })
}

/// ASCII-only case folding, compared as (signed) C `char`s like libevent:
/// -1, 0 or 1, stopping at the first NUL, difference, or after `limit` bytes.
/// Both inputs yield the string's bytes followed by its NUL; nothing after
/// the first NUL of either is pulled.
fn ascii_casecmp(
    a: impl Iterator<Item = u8>,
    b: impl Iterator<Item = u8>,
    limit: Option<usize>,
) -> c_int {
    let fold = |c: u8| c.to_ascii_lowercase() as i8;
    for (n, (x, y)) in a.zip(b).enumerate() {
        if limit == Some(n) {
            break;
        }
        let (x, y) = (fold(x), fold(y));
        if x != y {
            return if x < y { -1 } else { 1 };
        }
        if x == 0 {
            break;
        }
    }
    0
}

/// The bytes of a C string up to and including its NUL, read lazily.
///
/// # Safety
/// `p` is non-null and readable up to its NUL; the consumer stops at the NUL.
unsafe fn c_bytes(p: *const c_char) -> impl Iterator<Item = u8> {
    (0usize..).map(move |i| {
        // SAFETY: the consumer (ascii_casecmp) never asks for a byte past the
        // first NUL, and the string is readable up to it (contract above).
        unsafe { p.add(i).cast::<u8>().read() }
    })
}

/// Orders NULL before everything; `None` when both are non-null.
fn null_order(a: *const c_char, b: *const c_char) -> Option<c_int> {
    match (a.is_null(), b.is_null()) {
        (false, false) => None,
        (true, true) => Some(0),
        (true, false) => Some(-1),
        (false, true) => Some(1),
    }
}

/// `evutil_ascii_strcasecmp`: -1, 0 or 1; NULL sorts first.
///
/// # Safety
/// Each string is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strcasecmp(s1: *const c_char, s2: *const c_char) -> c_int {
    guard(0, || {
        if let Some(order) = null_order(s1, s2) {
            return order;
        }
        // SAFETY: both non-null and NUL-terminated (caller contract).
        let (a, b) = unsafe { (c_bytes(s1), c_bytes(s2)) };
        ascii_casecmp(a, b, None)
    })
}

/// `evutil_ascii_strncasecmp`: as [`evutil_ascii_strcasecmp`] on at most
/// `n` bytes.
///
/// # Safety
/// Each string is NULL, or readable up to its NUL or for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strncasecmp(
    s1: *const c_char,
    s2: *const c_char,
    n: usize,
) -> c_int {
    guard(0, || {
        if n == 0 {
            return 0;
        }
        if let Some(order) = null_order(s1, s2) {
            return order;
        }
        // SAFETY: both non-null and readable up to their NUL or `n` bytes,
        // and ascii_casecmp reads no further (caller contract).
        let (a, b) = unsafe { (c_bytes(s1), c_bytes(s2)) };
        ascii_casecmp(a, b, Some(n))
    })
}

/// "Tue, 24 Nov 2026 04:03:42 GMT" from the fields of `tm` as they are
/// (the weekday is not recomputed); `None` when `tm_wday` or `tm_mon` is out
/// of range.
fn rfc1123(tm: &libc::tm) -> Option<String> {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = DAYS.get(usize::try_from(tm.tm_wday).ok()?)?;
    let month = MONTHS.get(usize::try_from(tm.tm_mon).ok()?)?;
    Some(format!(
        "{day}, {:02} {month} {:4} {:02}:{:02}:{:02} GMT",
        tm.tm_mday,
        1900 + i64::from(tm.tm_year),
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    ))
}

fn utc_now() -> Option<libc::tm> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: struct tm is integers and one nullable pointer: all-zero is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are live locals.
    let ok = unsafe { !libc::gmtime_r(&t, &mut tm).is_null() };
    ok.then_some(tm)
}

/// `evutil_date_rfc1123`: writes the RFC 1123 date of `tm` (now, when NULL)
/// as snprintf would and returns the full length; 0 when `datelen` is 0;
/// -1 for a NULL `date` or a `tm` whose weekday or month is out of range.
///
/// # Safety
/// `date` is NULL or writable for `datelen` bytes; `tm` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn evutil_date_rfc1123(
    date: *mut c_char,
    datelen: usize,
    tm: *const libc::tm,
) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a readable struct tm (caller contract).
        let tm = match unsafe { tm.as_ref() } {
            Some(tm) => *tm,
            None => match utc_now() {
                Some(now) => now,
                None => return -1,
            },
        };
        let Some(text) = rfc1123(&tm) else {
            warnx("evutil_date_rfc1123: tm_wday or tm_mon out of range");
            return -1;
        };
        // SAFETY: `date` is NULL or writable for `datelen` bytes (caller contract).
        let out = unsafe { bytes_mut(date.cast(), datelen) };
        store_truncated(out, datelen, text.as_bytes())
    })
}

// ---------------------------------------------------------------------------
// Secure random numbers
// ---------------------------------------------------------------------------

/// The device set by `evutil_secure_rng_set_urandom_device_file` (a copy:
/// libevent keeps the caller's pointer, we need not).
static URANDOM_DEVICE: Mutex<Option<CString>> = Mutex::new(None);
const DEFAULT_URANDOM: &CStr = c"/dev/urandom";

/// The configured device, if any (a poisoned lock still holds a valid value).
fn configured_device() -> std::sync::MutexGuard<'static, Option<CString>> {
    URANDOM_DEVICE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn urandom_device() -> CString {
    configured_device()
        .clone()
        .unwrap_or_else(|| DEFAULT_URANDOM.to_owned())
}

fn getrandom_fill(mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a live writable slice of `buf.len()` bytes.
        let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        buf = &mut buf[n.unsigned_abs()..];
    }
    Ok(())
}

fn device_fill(device: &CStr, buf: &mut [u8]) -> io::Result<()> {
    std::fs::File::open(OsStr::from_bytes(device.to_bytes()))?.read_exact(buf)
}

/// Fills `buf` from the kernel's CSPRNG (`getrandom(2)`), or from the
/// urandom device when the kernel lacks that call.
pub(crate) fn secure_random_fill(buf: &mut [u8]) -> io::Result<()> {
    match getrandom_fill(buf) {
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => device_fill(&urandom_device(), buf),
        other => other,
    }
}

/// Checks that random bytes can be had, reading the configured device when
/// there is one: as in libevent, one working source is enough.
fn secure_rng_init() -> bool {
    let mut probe = [0u8; 32];
    let kernel_ok = getrandom_fill(&mut probe).is_ok();
    let configured = configured_device().clone();
    let device_ok = match configured {
        Some(device) => device_fill(&device, &mut probe).is_ok(),
        None => !kernel_ok && device_fill(DEFAULT_URANDOM, &mut probe).is_ok(),
    };
    kernel_ok || device_ok
}

/// `evutil_secure_rng_get_bytes`: fills `buf` with `n` random bytes.
///
/// # Safety
/// `buf` is NULL or writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_get_bytes(buf: *mut c_void, n: usize) {
    guard((), || {
        if n == 0 {
            return;
        }
        // SAFETY: `buf` is NULL or writable for `n` bytes (caller contract).
        let Some(out) = (unsafe { bytes_mut(buf.cast(), n) }) else {
            warnx("evutil_secure_rng_get_bytes: NULL buffer");
            return;
        };
        if let Err(e) = secure_random_fill(out) {
            warnx(&format!(
                "evutil_secure_rng_get_bytes: no random source: {e}"
            ));
        }
    })
}

/// `evutil_secure_rng_init`: 0 when random bytes are available, else -1.
#[no_mangle]
pub extern "C" fn evutil_secure_rng_init() -> c_int {
    guard(-1, || if secure_rng_init() { 0 } else { -1 })
}

/// `evutil_secure_rng_set_urandom_device_file`: remembers a device to use in
/// place of /dev/urandom (NULL restores the default); returns 0.
///
/// # Safety
/// `fname` is NULL or NUL-terminated (it is copied).
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_set_urandom_device_file(fname: *mut c_char) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a NUL-terminated string (caller contract).
        let device = unsafe { c_str(fname) }.map(CStr::to_owned);
        *configured_device() = device;
        0
    })
}

/// `evutil_secure_rng_add_bytes`: accepted and ignored. The kernel's
/// generator needs no seeding from us (Debian's libevent, built on glibc's
/// arc4random, ignores these bytes too).
///
/// # Safety
/// `dat` is NULL or readable for `datlen` bytes (it is not read).
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_add_bytes(dat: *const c_char, datlen: usize) {
    guard((), || {
        let _ = (dat, datlen);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn parse(s: &CStr) -> Option<(Vec<u8>, c_int)> {
        let mut buf = [0u8; 128];
        let mut len = buf.len() as c_int;
        // SAFETY: live NUL-terminated string, 128-byte buffer, live length.
        let r =
            unsafe { evutil_parse_sockaddr_port(s.as_ptr(), buf.as_mut_ptr().cast(), &mut len) };
        (r == 0).then(|| (buf[..len as usize].to_vec(), len))
    }

    fn describe(s: &CStr) -> String {
        match parse(s).and_then(|(image, _)| parse_back(&image)) {
            Some(text) => text,
            None => "-1".to_string(),
        }
    }

    fn parse_back(image: &[u8]) -> Option<String> {
        let family = c_int::from(u16::from_ne_bytes([image[0], image[1]]));
        let port = u16::from_be_bytes([image[2], image[3]]);
        match family {
            libc::AF_INET => Some(format!(
                "{} {port}",
                format_ipv4(image[4..8].try_into().ok()?)
            )),
            libc::AF_INET6 => {
                let scope = u32::from_ne_bytes(image[24..28].try_into().ok()?);
                Some(format!(
                    "[{}] {port} %{scope}",
                    format_ipv6(image[8..24].try_into().ok()?)
                ))
            }
            _ => None,
        }
    }

    #[test]
    fn parse_sockaddr_port_table() {
        let table: &[(&CStr, &str)] = &[
            (c"1.2.3.4", "1.2.3.4 0"),
            (c"1.2.3.4:80", "1.2.3.4 80"),
            (c"1.2.3.4:0", "-1"),
            (c"1.2.3.4:65535", "1.2.3.4 65535"),
            (c"1.2.3.4:65536", "-1"),
            (c"1.2.3.4:80junk", "1.2.3.4 80"),
            (c"1.2.3.4: 80", "1.2.3.4 80"),
            (c"1.2.3.4:-1", "-1"),
            (c"1.2.3.4:4294967376", "1.2.3.4 80"),
            (c"1.2.3.4:", "-1"),
            (c"[::1]", "[::1] 0 %0"),
            (c"[::1]:8080", "[::1] 8080 %0"),
            (c"[::1]junk", "[::1] 0 %0"),
            (c"[::1]:", "-1"),
            (c"[::1", "-1"),
            (c"::1", "[::1] 0 %0"),
            (c"::1:80", "[::0.1.0.128] 0 %0"),
            (c"fe80::1%7", "[fe80::1] 0 %7"),
            (c"[fe80::1%2]:99", "[fe80::1] 99 %2"),
            (c"[1.2.3.4]:80", "-1"),
            (c"", "-1"),
            (c"abc", "-1"),
            (c"1.2.3.4:80:90", "-1"),
            (c" 1.2.3.4:80", "1.2.3.4 80"),
            (c"[::ffff:1.2.3.4]:1", "[::ffff:1.2.3.4] 1 %0"),
            (c"[]:80", "-1"),
            (c":80", "-1"),
        ];
        for (input, want) in table {
            assert_eq!(describe(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn parse_sockaddr_port_buffer_rules() {
        let mut buf = [0xabu8; 28];
        let mut len: c_int = 15;
        // SAFETY: live string, buffer of 28 bytes ≥ len, live length.
        let r = unsafe {
            evutil_parse_sockaddr_port(c"1.2.3.4:80".as_ptr(), buf.as_mut_ptr().cast(), &mut len)
        };
        assert_eq!((r, len), (-1, 15));
        len = 20;
        // SAFETY: as above.
        let r = unsafe {
            evutil_parse_sockaddr_port(c"1.2.3.4:80".as_ptr(), buf.as_mut_ptr().cast(), &mut len)
        };
        assert_eq!((r, len), (0, 16));
        assert_eq!(&buf[16..20], &[0; 4], "zeroed up to the old *outlen");
        assert_eq!(buf[20], 0xab, "nothing written past the old *outlen");
        len = 27;
        // SAFETY: as above.
        let r = unsafe {
            evutil_parse_sockaddr_port(c"[::1]:80".as_ptr(), buf.as_mut_ptr().cast(), &mut len)
        };
        assert_eq!((r, len), (-1, 27));
        // SAFETY: NULL pointers are rejected before any access.
        unsafe {
            assert_eq!(
                evutil_parse_sockaddr_port(ptr::null(), buf.as_mut_ptr().cast(), &mut len),
                -1
            );
            assert_eq!(
                evutil_parse_sockaddr_port(c"1.2.3.4".as_ptr(), ptr::null_mut(), &mut len),
                -1
            );
            assert_eq!(
                evutil_parse_sockaddr_port(
                    c"1.2.3.4".as_ptr(),
                    buf.as_mut_ptr().cast(),
                    ptr::null_mut()
                ),
                -1
            );
        }
    }

    fn cmp(a: &CStr, b: &CStr) -> (c_int, c_int) {
        let (x, _) = parse(a).expect("a parses");
        let (y, _) = parse(b).expect("b parses");
        let (mut xs, mut ys) = ([0u8; 28], [0u8; 28]);
        xs[..x.len()].copy_from_slice(&x);
        ys[..y.len()].copy_from_slice(&y);
        // SAFETY: both are 28-byte socket address images.
        unsafe {
            (
                evutil_sockaddr_cmp(xs.as_ptr().cast(), ys.as_ptr().cast(), 0),
                evutil_sockaddr_cmp(xs.as_ptr().cast(), ys.as_ptr().cast(), 1),
            )
        }
    }

    #[test]
    fn sockaddr_cmp_order() {
        assert_eq!(
            cmp(c"1.0.0.2", c"2.0.0.1"),
            (1, 1),
            "s_addr compared as a host integer"
        );
        assert_eq!(cmp(c"1.2.3.4:80", c"1.2.3.4:81"), (0, -256));
        assert_eq!(cmp(c"1.2.3.4:81", c"1.2.3.4:80"), (0, 256));
        assert_eq!(cmp(c"1.2.3.4", c"::1"), (-8, -8), "family first");
        assert_eq!(cmp(c"::1", c"1.2.3.4"), (8, 8));
        assert_eq!(cmp(c"::1", c"::2"), (-1, -1));
        assert_eq!(cmp(c"[::1]:80", c"[::1]:90"), (0, -2560));
        assert_eq!(cmp(c"[::5]:80", c"[::1]:90"), (4, 4), "address before port");
        assert_eq!(cmp(c"[ff::]:1", c"[1::]:1"), (254, 254));
        assert_eq!(cmp(c"[::1]:80", c"[::1]:80"), (0, 0));
        let unix = [1u8, 0, 0, 0, 0, 0, 0, 0];
        // SAFETY: an AF_UNIX family word; nothing else is read.
        let got = unsafe { evutil_sockaddr_cmp(unix.as_ptr().cast(), unix.as_ptr().cast(), 1) };
        assert_eq!(got, 1);
        // SAFETY: NULL is handled before any access.
        let got = unsafe { evutil_sockaddr_cmp(ptr::null(), unix.as_ptr().cast(), 1) };
        assert_eq!(got, -1);
    }

    fn pton6(s: &CStr) -> Option<String> {
        let mut a = [0u8; 16];
        // SAFETY: live string, 16-byte buffer.
        let r = unsafe { evutil_inet_pton(libc::AF_INET6, s.as_ptr(), a.as_mut_ptr().cast()) };
        (r == 1).then(|| format_ipv6(a))
    }

    #[test]
    fn inet_pton6_like_libevent() {
        let table: &[(&CStr, Option<&str>)] = &[
            (c"::1", Some("::1")),
            (c"::", Some("::")),
            (c"::ffff:1.2.3.4", Some("::ffff:1.2.3.4")),
            (c"::1.2.3.4", Some("::1.2.3.4")),
            (c"::1.2.0.0", Some("::102:0")),
            (c"::0.0.1.2", Some("::102")),
            (c"1:0:0:1:0:0:0:1", Some("1:0:0:1::1")),
            (c"1:0:0:0:1:0:0:1", Some("1::1:0:0:1")),
            (c"1::2:", Some("1::2")),
            (c"0x12::1", Some("12::1")),
            (c"fe80::1%lo", None),
            (c"1:2:3:4:5:6:7:8", Some("1:2:3:4:5:6:7:8")),
            (c"1:2:3:4:5:6:7::", Some("1:2:3:4:5:6:7:0")),
            (c"::1:2:3:4:5:6:7", Some("0:1:2:3:4:5:6:7")),
            (c"1:2:3:4:5:6:1.2.3.4", Some("1:2:3:4:5:6:102:304")),
            (c"::ffff:0:0", Some("::ffff:0.0.0.0")),
            (c"1::", Some("1::")),
            (c"1:", None),
            (c":1::", None),
            (c"1.2.3.4", None),
            (c"::12345", None),
            (c"::01234", None),
            (c"1::2::3", None),
            (c" ::1", None),
            (c"::1 ", None),
            (c"::a1.2.3.4", None),
            (c"::1. 2.3.4", Some("::1.2.3.4")),
            (c"::+1.2.3.4", None),
            (c"1:2:3:4:5:6:7:8:9", None),
        ];
        for (input, want) in table {
            assert_eq!(pton6(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn inet_pton4_like_libevent() {
        let table: &[(&CStr, Option<[u8; 4]>)] = &[
            (c"1.2.3.4", Some([1, 2, 3, 4])),
            (c" 1.2.3.4", Some([1, 2, 3, 4])),
            (c"1. 2.3.4", Some([1, 2, 3, 4])),
            (c"+1.2.3.4", Some([1, 2, 3, 4])),
            (c"1.2.3.4 ", None),
            (c"1.2.3.-4", None),
            (c"1.2.3.4294967297", Some([1, 2, 3, 1])),
            (c"01.02.03.004", Some([1, 2, 3, 4])),
            (c"1.2.3", None),
            (c"256.1.1.1", None),
            (c"1.2.3.4.5", None),
            (c"0x1.2.3.4", None),
            (c"", None),
        ];
        for (input, want) in table {
            let mut a = [0u8; 4];
            // SAFETY: live string, 4-byte buffer.
            let r =
                unsafe { evutil_inet_pton(libc::AF_INET, input.as_ptr(), a.as_mut_ptr().cast()) };
            assert_eq!((r == 1).then_some(a), *want, "input {input:?}");
        }
        let mut a = [0u8; 16];
        // SAFETY: live string and buffer.
        let got = unsafe { evutil_inet_pton(99, c"1.2.3.4".as_ptr(), a.as_mut_ptr().cast()) };
        assert_eq!(got, -1);
    }

    #[test]
    fn inet_pton_scope_sets_index() {
        let mut a = [0u8; 16];
        let lo = interface_index(b"lo");
        for (input, want_r, want_index) in [
            (c"fe80::1%lo", 1, lo),
            (c"fe80::1%5", 1, 5),
            (c"fe80::1%", 1, 0),
            (c"fe80::1%-1", 1, u32::MAX),
            (c"fe80::1%bogus", 0, 0),
            (c"::1", 1, 0),
        ] {
            let mut index: c_uint = 77;
            // SAFETY: live string, 16-byte buffer, live index.
            let r = unsafe {
                evutil_inet_pton_scope(
                    libc::AF_INET6,
                    input.as_ptr(),
                    a.as_mut_ptr().cast(),
                    &mut index,
                )
            };
            assert_eq!((r, index), (want_r, want_index), "input {input:?}");
        }
    }

    fn ntop(af: c_int, src: &[u8], len: usize) -> (Option<String>, Vec<u8>) {
        let mut out = vec![b'Z'; 64];
        // SAFETY: `src` holds the family's address, `out` has 64 ≥ len bytes.
        let r = unsafe { evutil_inet_ntop(af, src.as_ptr().cast(), out.as_mut_ptr().cast(), len) };
        let text = (!r.is_null()).then(|| {
            // SAFETY: a non-null result is `out`, NUL-terminated.
            unsafe { CStr::from_ptr(r) }.to_string_lossy().into_owned()
        });
        (text, out)
    }

    #[test]
    fn inet_ntop_fit_rules() {
        let v4 = [10, 0, 0, 1];
        assert_eq!(ntop(libc::AF_INET, &v4, 9).0.as_deref(), Some("10.0.0.1"));
        let (r, out) = ntop(libc::AF_INET, &v4, 8);
        assert_eq!(
            (r, &out[..8]),
            (None, &b"10.0.0.\0"[..]),
            "truncated text written, NULL returned"
        );
        assert_eq!(ntop(libc::AF_INET, &v4, 0), (None, vec![b'Z'; 64]));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        let (r, out) = ntop(libc::AF_INET6, &v6, 2);
        assert_eq!((r, out[0]), (None, b'Z'), "nothing written when longer");
        assert_eq!(
            ntop(libc::AF_INET6, &v6, 3).0.as_deref(),
            Some("::"),
            "cut by one at len == strlen"
        );
        assert_eq!(ntop(libc::AF_INET6, &v6, 4).0.as_deref(), Some("::1"));
        assert_eq!(ntop(99, &v4, 64).0, None);
    }

    #[test]
    fn strtoll_semantics() {
        let mut end: *mut c_char = ptr::null_mut();
        let s = c" -42x";
        // SAFETY: live string and end pointer.
        let v = unsafe { evutil_strtoll(s.as_ptr(), &mut end, 10) };
        assert_eq!(v, -42);
        assert_eq!(end as usize - s.as_ptr() as usize, 4);
        // SAFETY: as above.
        unsafe {
            assert_eq!(evutil_strtoll(c"0x1f".as_ptr(), ptr::null_mut(), 0), 31);
            assert_eq!(evutil_strtoll(c"077".as_ptr(), ptr::null_mut(), 0), 63);
            assert_eq!(
                evutil_strtoll(c"99999999999999999999".as_ptr(), ptr::null_mut(), 10),
                i64::MAX
            );
            assert_eq!(
                evutil_strtoll(c"-99999999999999999999".as_ptr(), ptr::null_mut(), 10),
                i64::MIN
            );
            assert_eq!(evutil_strtoll(ptr::null(), &mut end, 10), 0);
        }
        assert!(end.is_null());
    }

    #[test]
    fn ascii_casecmp_like_libevent() {
        let cases: &[(&CStr, &CStr, c_int, c_int)] = &[
            (c"abc", c"ABC", 0, 0),
            (c"abc", c"abd", -1, 0),
            (c"abd", c"ABC", 1, 0),
            (c"a", c"ab", -1, 0),
            (c"ab", c"a", 1, 0),
            (c"\x80", c"a", -1, -1),
            (c"[", c"A", -1, -1),
            (c"\xc4", c"\xe4", -1, -1),
            (c"", c"", 0, 0),
        ];
        for (a, b, full, first) in cases {
            // SAFETY: live NUL-terminated strings.
            unsafe {
                assert_eq!(
                    evutil_ascii_strcasecmp(a.as_ptr(), b.as_ptr()),
                    *full,
                    "{a:?} {b:?}"
                );
                assert_eq!(
                    evutil_ascii_strncasecmp(a.as_ptr(), b.as_ptr(), 1),
                    *first,
                    "{a:?} {b:?}"
                );
                assert_eq!(evutil_ascii_strncasecmp(a.as_ptr(), b.as_ptr(), 0), 0);
            }
        }
        // strncasecmp must not read past n bytes of an unterminated buffer.
        let a = *b"GETX";
        let b = *b"getY";
        // SAFETY: both readable for the 3 bytes compared.
        let got = unsafe { evutil_ascii_strncasecmp(a.as_ptr().cast(), b.as_ptr().cast(), 3) };
        assert_eq!(got, 0);
    }

    fn tm(
        wday: c_int,
        mday: c_int,
        mon: c_int,
        year: c_int,
        h: c_int,
        m: c_int,
        s: c_int,
    ) -> libc::tm {
        // SAFETY: struct tm is integers and one nullable pointer: all-zero is valid.
        let mut t: libc::tm = unsafe { std::mem::zeroed() };
        (
            t.tm_wday, t.tm_mday, t.tm_mon, t.tm_year, t.tm_hour, t.tm_min, t.tm_sec,
        ) = (wday, mday, mon, year, h, m, s);
        t
    }

    #[test]
    fn date_rfc1123_format() {
        let t = tm(2, 24, 10, 126, 4, 3, 42);
        let mut buf = [0u8; 64];
        // SAFETY: 64-byte buffer, live tm.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr().cast(), buf.len(), &t) };
        assert_eq!(n, 29);
        assert_eq!(&buf[..30], b"Tue, 24 Nov 2026 04:03:42 GMT\0");
        let t = tm(0, 4, 0, -1895, 0, 0, 0);
        // SAFETY: as above, 10 bytes used.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr().cast(), 10, &t) };
        assert_eq!((n, &buf[..10]), (29, &b"Sun, 04 J\0"[..]));
        assert_eq!(
            rfc1123(&t).as_deref(),
            Some("Sun, 04 Jan    5 00:00:00 GMT")
        );
        // SAFETY: zero length: nothing is written.
        let got = unsafe { evutil_date_rfc1123(ptr::null_mut(), 0, ptr::null()) };
        assert_eq!(got, 0);
        // SAFETY: 64-byte buffer; tm NULL means now.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr().cast(), buf.len(), ptr::null()) };
        assert_eq!(n, 29);
        assert_eq!(&buf[26..30], b"GMT\0");
        let bad = tm(7, 1, 0, 100, 0, 0, 0);
        // SAFETY: as above.
        let got = unsafe { evutil_date_rfc1123(buf.as_mut_ptr().cast(), buf.len(), &bad) };
        assert_eq!(got, -1);
    }

    #[test]
    fn socketpair_both_ways_and_flags() {
        let mut sv = [-1; 2];
        // SAFETY: `sv` holds two ints.
        let got =
            unsafe { evutil_socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) };
        assert_eq!(got, 0);
        for (from, to) in [(sv[0], sv[1]), (sv[1], sv[0])] {
            let mut got = [0u8; 4];
            // SAFETY: live descriptors and buffers of the stated sizes.
            unsafe {
                assert_eq!(libc::write(from, b"ping".as_ptr().cast(), 4), 4);
                assert_eq!(libc::read(to, got.as_mut_ptr().cast(), 4), 4);
            }
            assert_eq!(&got, b"ping");
        }
        assert_eq!(evutil_make_socket_nonblocking(sv[0]), 0);
        // SAFETY: F_GETFL on a live descriptor.
        let got = unsafe { libc::fcntl(sv[0], libc::F_GETFL) } & libc::O_NONBLOCK;
        assert_ne!(got, 0);
        assert_eq!(evutil_make_socket_nonblocking(sv[0]), 0, "idempotent");
        assert_eq!(evutil_make_socket_closeonexec(sv[0]), 0);
        // SAFETY: F_GETFD on a live descriptor.
        let got = unsafe { libc::fcntl(sv[0], libc::F_GETFD) } & libc::FD_CLOEXEC;
        assert_ne!(got, 0);
        assert_eq!(evutil_make_listen_socket_reuseable(sv[0]), 0);
        assert_eq!(
            evutil_make_listen_socket_ipv6only(sv[0]),
            -1,
            "not an IPv6 socket"
        );
        // SAFETY: we own both descriptors.
        unsafe {
            assert_eq!(evutil_closesocket(sv[0]), 0);
            assert_eq!(evutil_closesocket(sv[1]), 0);
            assert_eq!(
                evutil_socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, ptr::null_mut()),
                -1
            );
        }
        assert_eq!(evutil_make_socket_nonblocking(-1), -1);
        assert_eq!(evutil_make_socket_closeonexec(-1), -1);
        assert_eq!(evutil_make_listen_socket_reuseable_port(-1), -1);
        assert_eq!(evutil_make_tcp_listen_socket_deferred(-1), -1);
    }

    #[test]
    fn tcp_listener_options() {
        // SAFETY: plain socket(2) call.
        let fd = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_STREAM, 0) };
        if fd < 0 {
            return; // no IPv6 in this sandbox
        }
        assert_eq!(evutil_make_listen_socket_reuseable(fd), 0);
        assert_eq!(evutil_make_listen_socket_reuseable_port(fd), 0);
        assert_eq!(evutil_make_listen_socket_ipv6only(fd), 0);
        assert_eq!(evutil_make_tcp_listen_socket_deferred(fd), 0);
        // SAFETY: we own `fd`.
        assert_eq!(unsafe { evutil_closesocket(fd) }, 0);
    }

    #[test]
    fn secure_rng_gives_bytes() {
        assert_eq!(evutil_secure_rng_init(), 0);
        let mut buf = [0u8; 64];
        // SAFETY: 64-byte buffer.
        unsafe { evutil_secure_rng_get_bytes(buf.as_mut_ptr().cast(), buf.len()) };
        assert!(buf.iter().any(|&b| b != 0));
        // SAFETY: NULL and zero lengths are no-ops; the path is copied.
        unsafe {
            evutil_secure_rng_get_bytes(ptr::null_mut(), 0);
            evutil_secure_rng_add_bytes(c"entropy".as_ptr(), 7);
            assert_eq!(
                evutil_secure_rng_set_urandom_device_file(c"/dev/urandom".as_ptr().cast_mut()),
                0
            );
            assert_eq!(evutil_secure_rng_init(), 0);
            assert_eq!(
                evutil_secure_rng_set_urandom_device_file(ptr::null_mut()),
                0
            );
        }
    }

    #[test]
    fn getaddrinfo_numeric_and_errors() {
        // SAFETY: all-zero addrinfo hints are valid (integers and NULLs).
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_LIBEVENT_ALLOCATED;
        let mut res: *mut libc::addrinfo = ptr::null_mut();
        // SAFETY: live strings, hints and result slot.
        let r = unsafe {
            evutil_getaddrinfo(c"127.0.0.1".as_ptr(), c"8080".as_ptr(), &hints, &mut res)
        };
        assert_eq!(r, 0);
        // SAFETY: on success `res` is a glibc list.
        let ai = unsafe { &*res };
        assert_eq!(
            (ai.ai_family, ai.ai_socktype, ai.ai_protocol),
            (libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_TCP)
        );
        assert_eq!(
            ai.ai_flags & EVUTIL_AI_LIBEVENT_ALLOCATED,
            0,
            "libevent-only bit not passed to glibc"
        );
        // SAFETY: the list's address is a sockaddr_in of ai_addrlen bytes.
        let image =
            unsafe { std::slice::from_raw_parts(ai.ai_addr.cast::<u8>(), ai.ai_addrlen as usize) };
        assert_eq!(parse_back(image).as_deref(), Some("127.0.0.1 8080"));
        // SAFETY: frees the glibc list once.
        unsafe { evutil_freeaddrinfo(res) };

        // SAFETY: as above.
        let r =
            unsafe { evutil_getaddrinfo(c"not-an-ip".as_ptr(), c"80".as_ptr(), &hints, &mut res) };
        assert_eq!(r, EVUTIL_EAI_NONAME);
        // SAFETY: NULL hints and names are allowed.
        let r = unsafe { evutil_getaddrinfo(ptr::null(), ptr::null(), ptr::null(), &mut res) };
        assert_eq!(r, EVUTIL_EAI_NONAME);
        // SAFETY: a NULL result slot is rejected before use.
        let r = unsafe {
            evutil_getaddrinfo(
                c"1.2.3.4".as_ptr(),
                ptr::null(),
                ptr::null(),
                ptr::null_mut(),
            )
        };
        assert_eq!(r, EVUTIL_EAI_SYSTEM);
        // SAFETY: NULL is ignored.
        unsafe { evutil_freeaddrinfo(ptr::null_mut()) };

        let text = |e| {
            // SAFETY: evutil_gai_strerror returns a static NUL-terminated string.
            unsafe { CStr::from_ptr(evutil_gai_strerror(e)) }
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            text(EVUTIL_EAI_NONAME),
            "nodename nor servname provided, or not known"
        );
        assert_eq!(text(EVUTIL_EAI_CANCEL), "Request canceled");
        assert_eq!(text(0), "No error");
        assert_eq!(
            text(-101),
            "Request canceled",
            "glibc's own text for codes libevent lacks"
        );
    }

    #[test]
    fn getaddrinfo_frees_libevent_built_lists() {
        // Build a two-node list the way evdns does: allocated nodes with the
        // address in the same block, an allocated canonical name (mem::alloc
        // is malloc while no event_set_mem_functions hooks are set).
        let node = |next: *mut libc::addrinfo| {
            let size = size_of::<libc::addrinfo>() + SOCKADDR_IN_LEN;
            let name = c"example".to_bytes_with_nul();
            let p = crate::mem::alloc(size).cast::<libc::addrinfo>();
            let canon = crate::mem::alloc(name.len()).cast::<c_char>();
            assert!(!p.is_null() && !canon.is_null());
            // SAFETY: `p` and `canon` are fresh blocks of the sizes asked for:
            // room for the node and its address, and for the name.
            unsafe {
                ptr::write_bytes(p.cast::<u8>(), 0, size);
                ptr::copy_nonoverlapping(name.as_ptr().cast::<c_char>(), canon, name.len());
                (*p).ai_flags = EVUTIL_AI_LIBEVENT_ALLOCATED;
                (*p).ai_addr = p.add(1).cast();
                (*p).ai_canonname = canon;
                (*p).ai_next = next;
            }
            p
        };
        let list = node(node(ptr::null_mut()));
        // SAFETY: a libevent-built list, freed once.
        unsafe { evutil_freeaddrinfo(list) };
    }

    #[test]
    fn monotonic_timer() {
        let timer = evutil_monotonic_timer_new();
        assert!(!timer.is_null());
        let mut tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        let wall = clock_now(libc::CLOCK_REALTIME).unwrap().tv_sec;
        // SAFETY: live timer and timeval.
        unsafe {
            assert_eq!(evutil_gettime_monotonic(timer, &mut tv), 0);
            assert!(
                (tv.tv_sec - wall).abs() <= 1,
                "unconfigured reads the wall clock"
            );
            for flags in [
                0,
                EV_MONOT_PRECISE,
                EV_MONOT_FALLBACK,
                EV_MONOT_PRECISE | EV_MONOT_FALLBACK,
            ] {
                assert_eq!(evutil_configure_monotonic_time(timer, flags), 0);
                let mut last = (0, 0);
                for _ in 0..100 {
                    assert_eq!(evutil_gettime_monotonic(timer, &mut tv), 0);
                    assert!((tv.tv_sec, tv.tv_usec) >= last, "never goes back");
                    assert!((0..1_000_000).contains(&tv.tv_usec));
                    last = (tv.tv_sec, tv.tv_usec);
                }
            }
            assert_eq!(evutil_gettime_monotonic(ptr::null_mut(), &mut tv), -1);
            assert_eq!(evutil_gettime_monotonic(timer, ptr::null_mut()), -1);
            assert_eq!(evutil_configure_monotonic_time(ptr::null_mut(), 0), -1);
            evutil_monotonic_timer_free(timer);
            evutil_monotonic_timer_free(ptr::null_mut());
        }
    }

    #[test]
    fn wall_clock_fallback_never_goes_back() {
        let mut t = MonotonicTimer::unconfigured();
        assert_eq!(t.never_backwards(1_000), 1_000);
        assert_eq!(t.never_backwards(500), 1_000, "clock stepped back: hold");
        assert_eq!(t.never_backwards(600), 1_100, "then advance from there");
    }

    #[test]
    fn number_scanning_matches_libc() {
        for s in [
            &b"80"[..],
            b" 80",
            b"+80",
            b"-1",
            b"4294967376",
            b"99999999999999999999",
            b"",
            b"x",
            b"- 1",
        ] {
            let c = CString::new(s).unwrap();
            // SAFETY: live NUL-terminated string.
            let want = unsafe { libc::atoi(c.as_ptr()) };
            assert_eq!(c_atoi(s), want, "atoi({s:?})");
            let mut end = ptr::null_mut();
            // SAFETY: live string and end pointer.
            let want = unsafe { libc::strtoul(c.as_ptr(), &mut end, 10) };
            let used = end as usize - c.as_ptr() as usize;
            let got = scan_decimal(s).map_or((0, 0), |d| (d.as_strtoul(), d.len));
            assert_eq!(got, (want, used), "strtoul({s:?})");
        }
    }
}
