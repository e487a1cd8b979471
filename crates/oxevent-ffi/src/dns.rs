//! dns.h: evdns's resolver (`evdns_base`) over the engine's I/O-free
//! client ([`oxevent::dns::client`]).
//!
//! This module owns what the client does not: one connected UDP socket per
//! nameserver with its read event, the TCP exchanges after a truncated
//! reply, one timer for the client's next deadline, and the program's
//! callbacks. Every DNS rule (retransmits, failover, probes, the search
//! list, what a reply must match) is the client's.
//!
//! Callbacks run from the loop, as libevent 2.1 runs them (deferred): a
//! finished lookup is queued and an internal event delivers the queue, with
//! no lock held, so a callback may start lookups, cancel others or free the
//! `evdns_base` (the memory goes once the delivery returns). The state sits
//! behind a mutex taken only briefly, never across user code.
//!
//! Differences from libevent, deliberate: `evdns_base_free(base, 1)` runs
//! the pending lookups' callbacks (with `DNS_ERR_SHUTDOWN`) before it
//! returns, not later from the loop where they would outlive the base.

use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_int, c_short, c_uint, c_ulong, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{BorrowedFd, IntoRawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use oxevent::dns::client::{Answer, Client, DnsError, Kind, Output, QueryId, Resolved};
use oxevent::dns::wire;

use crate::abi::{Event, EV_PERSIST, EV_READ, EV_WRITE};
use crate::boundary::{guard, warnx};
use crate::event::{event_active, event_add, event_assign, event_del, event_forget};
use crate::handle::FfiBase;

/// `evdns_callback_type`.
#[allow(non_camel_case_types)]
pub type evdns_callback_type =
    unsafe extern "C" fn(c_int, c_char, c_int, c_int, *mut c_void, *mut c_void);
/// `evdns_debug_log_fn_type`.
#[allow(non_camel_case_types)]
pub type evdns_debug_log_fn_type = unsafe extern "C" fn(c_int, *const c_char);

const DNS_IPV4_A: c_char = 1;
const DNS_PTR: c_char = 2;
const DNS_IPV6_AAAA: c_char = 3;
const DNS_QUERY_NO_SEARCH: c_int = 1;
/// `evdns_base_new` flags.
const EVDNS_BASE_INITIALIZE_NAMESERVERS: c_int = 1;
const EVDNS_BASE_DISABLE_WHEN_INACTIVE: c_int = 0x8000;
const EVDNS_BASE_NAMESERVERS_NO_DEFAULT: c_int = 0x10000;

const MAGIC: u64 = 0x6f78_6576_646e_7362;

/// The program's log function for evdns (`evdns_set_log_fn`), as an
/// address (0: none).
static LOG_FN: AtomicU64 = AtomicU64::new(0);

/// One resolver.
pub struct EvdnsBase {
    magic: AtomicU64,
    pub(crate) base: *mut FfiBase,
    flags: c_int,
    inner: Mutex<Inner>,
    /// The client's next deadline.
    timer: *mut Event,
    /// Activated when callbacks are queued.
    deliver: *mut Event,
}

impl std::fmt::Debug for EvdnsBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvdnsBase").finish_non_exhaustive()
    }
}

/// A lookup the program holds (`struct evdns_request`): freed once its
/// callback ran.
#[derive(Debug)]
pub struct Request {
    kind: Kind,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
}

struct Sock {
    fd: c_int,
    ev: *mut Event,
    added: bool,
}

/// A TCP exchange after a truncated reply.
struct Tcp {
    fd: c_int,
    ev: *mut Event,
    /// Bytes still to write (length prefix included).
    out: Vec<u8>,
    /// Bytes read so far (length prefix included).
    got: Vec<u8>,
    writing: bool,
    /// Back pointer for the event callback.
    owner: *const EvdnsBase,
    query: QueryId,
}

/// Who waits for a query: a lookup of the program's, or one half of an
/// `evdns_getaddrinfo`.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Waiter {
    Lookup(*mut Request),
    Gai(*mut crate::dns_getaddrinfo::GaiRequest, QueryId),
}

pub(crate) struct Inner {
    pub(crate) client: Client,
    /// Entries of the hosts files loaded (`evdns_getaddrinfo` reads them).
    pub(crate) hosts: oxevent::dns::hosts::Hosts,
    socks: Vec<Sock>,
    pub(crate) reqs: HashMap<QueryId, Waiter>,
    /// Finished lookups to deliver: who waits, the outcome, the negative
    /// TTL of a failure.
    ready: VecDeque<(Waiter, Result<Resolved, DnsError>, u32)>,
    tcp: HashMap<QueryId, Box<Tcp>>,
    /// A delivery is running (a free waits for it).
    delivering: bool,
    free_requested: bool,
}

/// Borrows an `evdns_base` from C.
pub(crate) fn dns_ref<'a>(p: *const EvdnsBase, who: &str) -> Option<&'a EvdnsBase> {
    // SAFETY: per libevent's contract `p` is NULL or a base this library
    // returned and the program has not freed.
    match unsafe { p.as_ref() } {
        Some(d) if d.magic.load(Ordering::Relaxed) == MAGIC => Some(d),
        Some(_) => {
            warnx(&format!("{who}: not a live evdns_base"));
            None
        }
        None => {
            warnx(&format!("{who}: NULL evdns_base"));
            None
        }
    }
}

fn new_event() -> *mut Event {
    Box::into_raw(Box::new(Event::zeroed()))
}

fn free_event(ev: *mut Event) {
    if ev.is_null() {
        return;
    }
    event_del(ev);
    event_forget(ev);
    // SAFETY: made by `new_event`; deleted and forgotten above.
    drop(unsafe { Box::from_raw(ev) });
}

fn close_fd(fd: c_int) {
    if fd >= 0 {
        // SAFETY: a descriptor this module opened and owns.
        unsafe { libc::close(fd) };
    }
}

/// Transaction ids and 0x20 bits: the kernel's CSPRNG (libevent's
/// `evutil_secure_rng`), whatever the program set with the deprecated hooks.
fn random_bytes(buf: &mut [u8]) {
    if crate::util::secure_random_fill(buf).is_err() {
        warnx("evdns: no random bytes from the kernel");
    }
}

/// Sends log lines made under the lock: to the program's evdns log
/// function, or to libevent's log (warnings only, debug lines otherwise).
fn emit_logs(lines: Vec<(bool, String)>) {
    let f = LOG_FN.load(Ordering::Acquire);
    for (warn, msg) in lines {
        if f != 0 {
            let Ok(c) = std::ffi::CString::new(msg) else {
                continue;
            };
            // SAFETY: the address came from an `evdns_debug_log_fn_type`
            // the program registered.
            let f: evdns_debug_log_fn_type = unsafe { std::mem::transmute(f as usize) };
            // SAFETY: a NUL-terminated string alive for the call.
            unsafe { f(warn as c_int, c.as_ptr()) };
        } else if warn {
            warnx(&msg);
        } else {
            oxevent::log::log(oxevent::log::Severity::Debug, format_args!("{msg}"));
        }
    }
}

impl EvdnsBase {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ptr(&self) -> *mut c_void {
        self as *const EvdnsBase as *mut c_void
    }

    /// Acts on the client's outputs: sends, starts TCP, queues callbacks;
    /// then re-arms the timer and the sockets' events. Returns the log
    /// lines to emit once the lock is released.
    fn settle(&self, inner: &mut Inner) -> Vec<(bool, String)> {
        let mut queued = false;
        while let Some(out) = inner.client.poll_output() {
            match out {
                Output::Transmit {
                    server,
                    addr,
                    tcp: false,
                    bytes,
                    ..
                } => {
                    if server >= inner.socks.len() {
                        match open_udp(addr) {
                            Ok(fd) => {
                                let ev = new_event();
                                event_assign(
                                    ev,
                                    self.base,
                                    fd,
                                    EV_READ | EV_PERSIST,
                                    Some(udp_cb),
                                    self.ptr(),
                                );
                                inner.socks.push(Sock {
                                    fd,
                                    ev,
                                    added: false,
                                });
                            }
                            Err(e) => {
                                inner.socks.push(Sock {
                                    fd: -1,
                                    ev: std::ptr::null_mut(),
                                    added: false,
                                });
                                warnx(&format!("evdns: cannot open a socket to {addr}: {e}"));
                            }
                        }
                    }
                    let fd = inner.socks.get(server).map_or(-1, |s| s.fd);
                    if fd >= 0 {
                        // A failed send is a lost datagram: the retransmit
                        // timer covers it.
                        // SAFETY: `bytes` is valid for its length; `fd` is ours.
                        unsafe {
                            libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL)
                        };
                    }
                }
                Output::Transmit {
                    addr,
                    tcp: true,
                    query,
                    bytes,
                    ..
                } => self.start_tcp(inner, query, addr, &bytes),
                Output::Done {
                    query,
                    outcome,
                    negative_ttl,
                } => {
                    if let Some(t) = inner.tcp.remove(&query) {
                        free_event(t.ev);
                        close_fd(t.fd);
                    }
                    if let Some(r) = inner.reqs.remove(&query) {
                        inner.ready.push_back((r, outcome, negative_ttl));
                        queued = true;
                    }
                }
            }
        }
        // TCP exchanges whose query ended (timeout) go too.
        let dead: Vec<QueryId> = inner
            .tcp
            .keys()
            .copied()
            .filter(|q| !inner.client.is_pending(*q))
            .collect();
        for q in dead {
            if let Some(t) = inner.tcp.remove(&q) {
                free_event(t.ev);
                close_fd(t.fd);
            }
        }
        if queued && !inner.delivering {
            event_active(self.deliver, EV_READ as c_int, 1);
        }
        match inner.client.next_deadline() {
            Some(t) => {
                let d = t.saturating_duration_since(Instant::now());
                let tv = libc::timeval {
                    tv_sec: d.as_secs() as libc::time_t,
                    tv_usec: d.subsec_micros() as libc::suseconds_t,
                };
                event_add(self.timer, &tv);
            }
            None => {
                event_del(self.timer);
            }
        }
        let active =
            !(self.flags & EVDNS_BASE_DISABLE_WHEN_INACTIVE != 0 && inner.client.in_flight() == 0);
        for s in inner.socks.iter_mut().filter(|s| !s.ev.is_null()) {
            if active && !s.added {
                event_add(s.ev, std::ptr::null());
                s.added = true;
            } else if !active && s.added {
                event_del(s.ev);
                s.added = false;
            }
        }
        let mut logs = Vec::new();
        while let Some(l) = inner.client.poll_log() {
            logs.push(l);
        }
        logs
    }

    fn start_tcp(&self, inner: &mut Inner, query: QueryId, addr: SocketAddr, msg: &[u8]) {
        let fd = match oxevent::dns::tcp_connect(addr) {
            Ok(fd) => fd.into_raw_fd(),
            Err(_) => {
                inner.client.handle_tcp_failure(query, Instant::now());
                return;
            }
        };
        let mut out = Vec::with_capacity(msg.len() + 2);
        out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        out.extend_from_slice(msg);
        let mut t = Box::new(Tcp {
            fd,
            ev: new_event(),
            out,
            got: Vec::new(),
            writing: true,
            owner: self,
            query,
        });
        let arg = &mut *t as *mut Tcp as *mut c_void;
        event_assign(
            t.ev,
            self.base,
            fd,
            EV_WRITE | EV_PERSIST,
            Some(tcp_cb),
            arg,
        );
        event_add(t.ev, std::ptr::null());
        inner.tcp.insert(query, t);
    }

    /// Runs `f` on the state, settles, and emits the log lines.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut g = self.lock();
        let r = f(&mut g);
        let logs = self.settle(&mut g);
        drop(g);
        emit_logs(logs);
        r
    }

    /// Delivers queued callbacks, one at a time, without the lock.
    fn deliver_all(&self) {
        {
            let mut g = self.lock();
            if g.delivering {
                return;
            }
            g.delivering = true;
        }
        loop {
            let next = {
                let mut g = self.lock();
                if g.free_requested {
                    None
                } else {
                    g.ready.pop_front()
                }
            };
            let Some((w, outcome, ttl)) = next else {
                break;
            };
            deliver_one(w, outcome, ttl);
        }
        let free = {
            let mut g = self.lock();
            g.delivering = false;
            g.free_requested
        };
        if free {
            destroy(self, true);
        }
    }
}

/// Hands an outcome to whoever waits for it.
fn deliver_one(w: Waiter, outcome: Result<Resolved, DnsError>, negative_ttl: u32) {
    match w {
        Waiter::Lookup(r) => run_callback(r, outcome, negative_ttl),
        Waiter::Gai(g, q) => crate::dns_getaddrinfo::half_done(g, q, outcome),
    }
}

/// Forgets a waiter without calling anyone (`evdns_base_free(base, 0)`).
fn drop_waiter(w: Waiter) {
    match w {
        // SAFETY: from `Box::into_raw`; no table refers to it any more.
        Waiter::Lookup(r) => drop(unsafe { Box::from_raw(r) }),
        Waiter::Gai(g, q) => crate::dns_getaddrinfo::half_dropped(g, q),
    }
}

/// Calls a request's callback with its outcome and frees the request.
fn run_callback(r: *mut Request, outcome: Result<Resolved, DnsError>, negative_ttl: u32) {
    // SAFETY: `r` came from `Box::into_raw` in `start_lookup` and left the
    // base's tables with this outcome: nothing else refers to it.
    let req = unsafe { Box::from_raw(r) };
    let ty = match req.kind {
        Kind::A => DNS_IPV4_A,
        Kind::Aaaa => DNS_IPV6_AAAA,
        Kind::Ptr => DNS_PTR,
    };
    let Some(cb) = req.cb else {
        return;
    };
    let arg = req.arg;
    drop(req);
    match outcome {
        Ok(Resolved { answer, ttl }) => {
            let ttl = ttl.min(i32::MAX as u32) as c_int;
            match answer {
                Answer::V4(v) => {
                    let raw: Vec<u32> = v.iter().map(|a| u32::from_ne_bytes(a.octets())).collect();
                    // SAFETY: the program's callback with libevent's
                    // arguments: `count` in_addr values.
                    unsafe {
                        cb(
                            0,
                            ty,
                            raw.len() as c_int,
                            ttl,
                            raw.as_ptr() as *mut c_void,
                            arg,
                        )
                    };
                }
                Answer::V6(v) => {
                    let raw: Vec<[u8; 16]> = v.iter().map(|a| a.octets()).collect();
                    // SAFETY: as above, `count` in6_addr values.
                    unsafe {
                        cb(
                            0,
                            ty,
                            raw.len() as c_int,
                            ttl,
                            raw.as_ptr() as *mut c_void,
                            arg,
                        )
                    };
                }
                Answer::Name(n) => {
                    let c = std::ffi::CString::new(n).unwrap_or_default();
                    let mut p = c.as_ptr();
                    // SAFETY: as libevent, `addresses` points to one
                    // `char *` naming the host, alive for the call.
                    unsafe {
                        cb(
                            0,
                            ty,
                            1,
                            ttl,
                            &mut p as *mut *const c_char as *mut c_void,
                            arg,
                        )
                    };
                }
            }
        }
        Err(e) => {
            let ttl = negative_ttl.min(i32::MAX as u32) as c_int;
            // SAFETY: the program's callback; no addresses and type 0 on
            // failure, as libevent passes them.
            unsafe { cb(e.code(), 0, 0, ttl, std::ptr::null_mut(), arg) };
        }
    }
}

fn open_udp(addr: SocketAddr) -> std::io::Result<c_int> {
    oxevent::dns::udp_connect(addr).map(IntoRawFd::into_raw_fd)
}

/// Frees the base: closes sockets, drops events, ends lookups (with
/// `DNS_ERR_SHUTDOWN` callbacks when `fail`).
fn destroy(d: &EvdnsBase, fail: bool) {
    let (ready, logs) = {
        let mut g = d.lock();
        g.client.shutdown(fail);
        let logs = d.settle(&mut g);
        for s in g.socks.drain(..) {
            free_event(s.ev);
            close_fd(s.fd);
        }
        for (_, t) in g.tcp.drain() {
            free_event(t.ev);
            close_fd(t.fd);
        }
        let ready: Vec<_> = g.ready.drain(..).collect();
        let rest: Vec<Waiter> = g.reqs.drain().map(|(_, w)| w).collect();
        for w in rest {
            drop_waiter(w);
        }
        (ready, logs)
    };
    emit_logs(logs);
    free_event(d.timer);
    free_event(d.deliver);
    d.magic.store(0, Ordering::Relaxed);
    for (w, outcome, ttl) in ready {
        if fail {
            deliver_one(w, outcome, ttl);
        } else {
            drop_waiter(w);
        }
    }
    let p = d as *const EvdnsBase as *mut EvdnsBase;
    // SAFETY: from `Box::into_raw` in `evdns_base_new`; nothing refers to
    // it any more (its events are gone, and no delivery is running).
    drop(unsafe { Box::from_raw(p) });
}

// ----------------------------------------------------------------- events

extern "C" fn timer_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        if let Some(d) = dns_ref(arg as *const EvdnsBase, "evdns timer") {
            d.with(|i| i.client.handle_timeouts(Instant::now()));
        }
    })
}

extern "C" fn deliver_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        if let Some(d) = dns_ref(arg as *const EvdnsBase, "evdns callbacks") {
            d.deliver_all();
        }
    })
}

extern "C" fn udp_cb(fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(d) = dns_ref(arg as *const EvdnsBase, "evdns reply") else {
            return;
        };
        let mut buf = [0u8; 65536];
        d.with(|i| {
            let Some(server) = i.socks.iter().position(|s| s.fd == fd) else {
                return;
            };
            let Some(from) = i.client.servers().get(server).map(|s| s.addr) else {
                return;
            };
            // A bounded batch per wakeup, so one flooded socket cannot hold
            // the loop.
            for _ in 0..64 {
                // SAFETY: `buf` is writable for its length; `fd` is ours.
                let n = unsafe {
                    libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
                };
                if n < 0 {
                    break;
                }
                i.client
                    .handle_reply(server, from, &buf[..n as usize], Instant::now());
            }
        });
    })
}

extern "C" fn tcp_cb(fd: c_int, what: c_short, arg: *mut c_void) {
    guard((), || {
        let t = arg as *mut Tcp;
        // SAFETY: `arg` is the Tcp this event was assigned with; it lives
        // in the base's table until the event is freed.
        let owner = unsafe { (*t).owner };
        let Some(d) = dns_ref(owner, "evdns tcp") else {
            return;
        };
        d.with(|i| {
            // SAFETY: as above; the table still holds it while its event runs.
            let t = unsafe { &mut *t };
            let query = t.query;
            let failed = tcp_step(t, fd, what);
            match failed {
                Step::More => {}
                Step::Failed => i.client.handle_tcp_failure(query, Instant::now()),
                Step::Done(msg) => i.client.handle_tcp_reply(query, &msg, Instant::now()),
            }
        });
    })
}

enum Step {
    More,
    Failed,
    Done(Vec<u8>),
}

fn tcp_step(t: &mut Tcp, fd: c_int, what: c_short) -> Step {
    if t.writing && what & EV_WRITE != 0 {
        // SAFETY: `fd` is this exchange's socket, open until it is freed.
        let sock = unsafe { BorrowedFd::borrow_raw(fd) };
        if oxevent::dns::socket_failed(&sock) {
            return Step::Failed;
        }
        // SAFETY: `out` is valid for its length; `fd` is ours.
        let n = unsafe { libc::send(fd, t.out.as_ptr().cast(), t.out.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            let e = crate::util::errno();
            return if e == libc::EAGAIN || e == libc::EINTR {
                Step::More
            } else {
                Step::Failed
            };
        }
        t.out.drain(..n as usize);
        if t.out.is_empty() {
            t.writing = false;
            event_del(t.ev);
            let arg = t as *mut Tcp as *mut c_void;
            // SAFETY: reading the base the event was assigned to.
            let base = unsafe { (*t.ev).ev_base } as *mut FfiBase;
            event_assign(t.ev, base, fd, EV_READ | EV_PERSIST, Some(tcp_cb), arg);
            event_add(t.ev, std::ptr::null());
        }
        return Step::More;
    }
    if what & EV_READ != 0 {
        let mut buf = [0u8; 4096];
        // SAFETY: `buf` is writable for its length; `fd` is ours.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n <= 0 {
            let e = crate::util::errno();
            return if n < 0 && (e == libc::EAGAIN || e == libc::EINTR) {
                Step::More
            } else {
                Step::Failed
            };
        }
        t.got.extend_from_slice(&buf[..n as usize]);
        if t.got.len() >= 2 {
            let want = u16::from_be_bytes([t.got[0], t.got[1]]) as usize;
            if t.got.len() >= 2 + want {
                return Step::Done(t.got[2..2 + want].to_vec());
            }
        }
    }
    Step::More
}

// ---------------------------------------------------------------- exports

/// `evdns_base_new`.
#[no_mangle]
pub extern "C" fn evdns_base_new(base: *mut FfiBase, flags: c_int) -> *mut EvdnsBase {
    guard(std::ptr::null_mut(), || {
        if base.is_null() {
            warnx("evdns_base_new: NULL event_base");
            return std::ptr::null_mut();
        }
        let mut client = Client::new();
        client.set_random(Box::new(random_bytes));
        let d = Box::into_raw(Box::new(EvdnsBase {
            magic: AtomicU64::new(MAGIC),
            base,
            flags,
            inner: Mutex::new(Inner {
                client,
                hosts: oxevent::dns::hosts::Hosts::new(),
                socks: Vec::new(),
                reqs: HashMap::new(),
                ready: VecDeque::new(),
                tcp: HashMap::new(),
                delivering: false,
                free_requested: false,
            }),
            timer: new_event(),
            deliver: new_event(),
        }));
        // SAFETY: just made.
        let r = unsafe { &*d };
        event_assign(r.timer, base, -1, 0, Some(timer_cb), d.cast());
        event_assign(r.deliver, base, -1, 0, Some(deliver_cb), d.cast());
        if flags & EVDNS_BASE_INITIALIZE_NAMESERVERS != 0 {
            let mut opts = crate::dns_conf::DNS_OPTIONS_ALL;
            if flags & EVDNS_BASE_NAMESERVERS_NO_DEFAULT != 0 {
                opts |= crate::dns_conf::DNS_OPTION_NAMESERVERS_NO_DEFAULT;
            }
            let rc = crate::dns_conf::resolv_conf_parse(r, opts, "/etc/resolv.conf");
            if rc != 0 && rc != 6 {
                // libevent keeps the base (with the default nameserver).
                warnx(&format!(
                    "evdns_base_new: could not read /etc/resolv.conf ({rc})"
                ));
            }
        }
        d
    })
}

/// `evdns_base_free`.
#[no_mangle]
pub extern "C" fn evdns_base_free(base: *mut EvdnsBase, fail_requests: c_int) {
    guard((), || {
        let Some(d) = dns_ref(base, "evdns_base_free") else {
            return;
        };
        {
            let mut g = d.lock();
            if g.delivering {
                // Inside a callback: the delivery frees it when it returns
                // (pending lookups are failed then).
                g.free_requested = true;
                return;
            }
        }
        destroy(d, fail_requests != 0);
    })
}

/// `evdns_err_to_string`.
#[no_mangle]
pub extern "C" fn evdns_err_to_string(err: c_int) -> *const c_char {
    guard(c"[Unknown error code]".as_ptr(), || err_text(err).as_ptr())
}

fn err_text(err: c_int) -> &'static CStr {
    match err {
        0 => c"no error",
        1 => c"misformatted query",
        2 => c"server failed",
        3 => c"name does not exist",
        4 => c"query not implemented",
        5 => c"refused",
        65 => c"reply truncated or ill-formed",
        66 => c"unknown",
        67 => c"request timed out",
        68 => c"dns subsystem shut down",
        69 => c"dns request canceled",
        70 => c"no records in the reply",
        _ => c"[Unknown error code]",
    }
}

/// Adds a nameserver: 0, or 3 if it is there already (libevent's codes).
pub(crate) fn add_nameserver(d: &EvdnsBase, addr: SocketAddr) -> c_int {
    d.with(|i| {
        if i.client.servers().iter().any(|s| s.addr == addr) {
            return 3;
        }
        i.client.add_server(addr, Instant::now());
        0
    })
}

/// `evdns_base_nameserver_add`: an IPv4 address in network byte order.
#[no_mangle]
pub extern "C" fn evdns_base_nameserver_add(base: *mut EvdnsBase, address: c_ulong) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_nameserver_add") else {
            return -1;
        };
        let ip = Ipv4Addr::from((address as u32).to_ne_bytes());
        add_nameserver(d, SocketAddr::V4(SocketAddrV4::new(ip, 53)))
    })
}

/// `evdns_base_nameserver_ip_add`.
#[no_mangle]
pub extern "C" fn evdns_base_nameserver_ip_add(base: *mut EvdnsBase, ip: *const c_char) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_nameserver_ip_add") else {
            return -1;
        };
        if ip.is_null() {
            warnx("evdns_base_nameserver_ip_add: NULL address");
            return -1;
        }
        // SAFETY: a NUL-terminated string, per the API.
        let text = unsafe { CStr::from_ptr(ip) }.to_string_lossy();
        match crate::dns_conf::parse_nameserver(&text) {
            Some(a) => add_nameserver(d, a),
            None => {
                warnx(&format!(
                    "evdns_base_nameserver_ip_add: unable to parse nameserver address {text}"
                ));
                4
            }
        }
    })
}

/// `evdns_base_nameserver_sockaddr_add`.
#[no_mangle]
pub extern "C" fn evdns_base_nameserver_sockaddr_add(
    base: *mut EvdnsBase,
    sa: *const libc::sockaddr,
    len: libc::socklen_t,
    _flags: c_uint,
) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_nameserver_sockaddr_add") else {
            return -1;
        };
        match sockaddr_in(sa, len) {
            Some(a) => add_nameserver(d, a),
            None => {
                warnx("evdns_base_nameserver_sockaddr_add: not an IPv4 or IPv6 address");
                -1
            }
        }
    })
}

/// Reads a `sockaddr_in`/`sockaddr_in6` of `len` bytes.
pub(crate) fn sockaddr_in(sa: *const libc::sockaddr, len: libc::socklen_t) -> Option<SocketAddr> {
    if sa.is_null() || (len as usize) < std::mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: at least the family is readable (checked above).
    let family = c_int::from(unsafe { (*sa).sa_family });
    if family == libc::AF_INET && len as usize >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: `len` covers a sockaddr_in; read unaligned.
        let s = unsafe { std::ptr::read_unaligned(sa as *const libc::sockaddr_in) };
        let ip = Ipv4Addr::from(s.sin_addr.s_addr.to_ne_bytes());
        return Some(SocketAddr::V4(SocketAddrV4::new(
            ip,
            u16::from_be(s.sin_port),
        )));
    }
    if family == libc::AF_INET6 && len as usize >= std::mem::size_of::<libc::sockaddr_in6>() {
        // SAFETY: `len` covers a sockaddr_in6; read unaligned.
        let s = unsafe { std::ptr::read_unaligned(sa as *const libc::sockaddr_in6) };
        let ip = Ipv6Addr::from(s.sin6_addr.s6_addr);
        return Some(SocketAddr::V6(SocketAddrV6::new(
            ip,
            u16::from_be(s.sin6_port),
            s.sin6_flowinfo,
            s.sin6_scope_id,
        )));
    }
    None
}

/// `addr` as the bytes of a `sockaddr_in` or `sockaddr_in6`.
pub(crate) fn sockaddr_bytes(addr: &SocketAddr) -> Vec<u8> {
    match addr {
        SocketAddr::V4(a) => {
            let s = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            let p = &s as *const libc::sockaddr_in as *const u8;
            // SAFETY: a plain C struct read as its bytes.
            unsafe { std::slice::from_raw_parts(p, std::mem::size_of_val(&s)) }.to_vec()
        }
        SocketAddr::V6(a) => {
            let s = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            let p = &s as *const libc::sockaddr_in6 as *const u8;
            // SAFETY: a plain C struct (no padding) read as its bytes.
            unsafe { std::slice::from_raw_parts(p, std::mem::size_of_val(&s)) }.to_vec()
        }
    }
}

/// `evdns_base_count_nameservers`.
#[no_mangle]
pub extern "C" fn evdns_base_count_nameservers(base: *mut EvdnsBase) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_count_nameservers") else {
            return -1;
        };
        d.lock().client.servers().len() as c_int
    })
}

/// `evdns_base_clear_nameservers_and_suspend`.
#[no_mangle]
pub extern "C" fn evdns_base_clear_nameservers_and_suspend(base: *mut EvdnsBase) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_clear_nameservers_and_suspend") else {
            return -1;
        };
        d.with(|i| {
            i.client.clear_servers_and_suspend();
            for s in i.socks.drain(..) {
                free_event(s.ev);
                close_fd(s.fd);
            }
            for (_, t) in i.tcp.drain() {
                free_event(t.ev);
                close_fd(t.fd);
            }
        });
        0
    })
}

/// `evdns_base_resume`.
#[no_mangle]
pub extern "C" fn evdns_base_resume(base: *mut EvdnsBase) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_resume") else {
            return -1;
        };
        d.with(|i| i.client.resume(Instant::now()));
        0
    })
}

/// `evdns_base_get_nameserver_addr`.
#[no_mangle]
pub extern "C" fn evdns_base_get_nameserver_addr(
    base: *mut EvdnsBase,
    idx: c_int,
    sa: *mut libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_get_nameserver_addr") else {
            return -1;
        };
        // libevent's ring puts each new server right after the first one:
        // index 0 is the first added, then the newest, down to the second;
        // a negative index is the first.
        let addr = {
            let g = d.lock();
            let servers = g.client.servers();
            let n = servers.len() as i64;
            let i = i64::from(idx);
            let at = if i <= 0 {
                0
            } else if i < n {
                n - i
            } else {
                n
            };
            servers.get(at as usize).map(|s| s.addr)
        };
        let Some(addr) = addr else {
            return -1;
        };
        let raw = sockaddr_bytes(&addr);
        if (len as usize) < raw.len() {
            return raw.len() as c_int;
        }
        if !sa.is_null() {
            // SAFETY: the program gave `len` >= `raw.len()` writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(raw.as_ptr(), sa as *mut u8, raw.len()) };
        }
        raw.len() as c_int
    })
}

fn start_lookup(
    base: *mut EvdnsBase,
    who: &str,
    name: String,
    kind: Kind,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    let Some(d) = dns_ref(base, who) else {
        return std::ptr::null_mut();
    };
    let search = flags & DNS_QUERY_NO_SEARCH == 0;
    d.with(
        |i| match i.client.resolve(&name, kind, search, Instant::now()) {
            Ok(id) => {
                let r = Box::into_raw(Box::new(Request { kind, cb, arg }));
                i.reqs.insert(id, Waiter::Lookup(r));
                r
            }
            Err(_) => {
                warnx(&format!("{who}: cannot look up {name:?}"));
                std::ptr::null_mut()
            }
        },
    )
}

fn name_arg(name: *const c_char, who: &str) -> Option<String> {
    if name.is_null() {
        warnx(&format!("{who}: NULL name"));
        return None;
    }
    // SAFETY: a NUL-terminated string, per the API.
    Some(
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// `evdns_base_resolve_ipv4`.
#[no_mangle]
pub extern "C" fn evdns_base_resolve_ipv4(
    base: *mut EvdnsBase,
    name: *const c_char,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    guard(std::ptr::null_mut(), || {
        let who = "evdns_base_resolve_ipv4";
        let Some(n) = name_arg(name, who) else {
            return std::ptr::null_mut();
        };
        start_lookup(base, who, n, Kind::A, flags, cb, arg)
    })
}

/// `evdns_base_resolve_ipv6`.
#[no_mangle]
pub extern "C" fn evdns_base_resolve_ipv6(
    base: *mut EvdnsBase,
    name: *const c_char,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    guard(std::ptr::null_mut(), || {
        let who = "evdns_base_resolve_ipv6";
        let Some(n) = name_arg(name, who) else {
            return std::ptr::null_mut();
        };
        start_lookup(base, who, n, Kind::Aaaa, flags, cb, arg)
    })
}

/// `evdns_base_resolve_reverse`.
#[no_mangle]
pub extern "C" fn evdns_base_resolve_reverse(
    base: *mut EvdnsBase,
    addr: *const libc::in_addr,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    guard(std::ptr::null_mut(), || {
        let who = "evdns_base_resolve_reverse";
        if addr.is_null() {
            warnx(&format!("{who}: NULL address"));
            return std::ptr::null_mut();
        }
        // SAFETY: a valid in_addr, per the API.
        let ip = Ipv4Addr::from(unsafe { (*addr).s_addr }.to_ne_bytes());
        let name = wire::reverse_name_v4(ip).to_string();
        start_lookup(
            base,
            who,
            name,
            Kind::Ptr,
            flags | DNS_QUERY_NO_SEARCH,
            cb,
            arg,
        )
    })
}

/// `evdns_base_resolve_reverse_ipv6`.
#[no_mangle]
pub extern "C" fn evdns_base_resolve_reverse_ipv6(
    base: *mut EvdnsBase,
    addr: *const libc::in6_addr,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> *mut Request {
    guard(std::ptr::null_mut(), || {
        let who = "evdns_base_resolve_reverse_ipv6";
        if addr.is_null() {
            warnx(&format!("{who}: NULL address"));
            return std::ptr::null_mut();
        }
        // SAFETY: a valid in6_addr, per the API.
        let ip = Ipv6Addr::from(unsafe { (*addr).s6_addr });
        let name = wire::reverse_name_v6(ip).to_string();
        start_lookup(
            base,
            who,
            name,
            Kind::Ptr,
            flags | DNS_QUERY_NO_SEARCH,
            cb,
            arg,
        )
    })
}

/// `evdns_cancel_request`: the callback runs with `DNS_ERR_CANCEL` from
/// the loop. A request whose callback already ran is refused with a log
/// line (libevent would touch freed memory).
#[no_mangle]
pub extern "C" fn evdns_cancel_request(base: *mut EvdnsBase, req: *mut Request) {
    guard((), || {
        let Some(d) = dns_ref(base, "evdns_cancel_request") else {
            return;
        };
        if req.is_null() {
            warnx("evdns_cancel_request: NULL request");
            return;
        }
        d.with(|i| {
            // Only a request still in the table is dereferenced.
            let found = i
                .reqs
                .iter()
                .find(|(_, w)| matches!(w, Waiter::Lookup(r) if *r == req));
            let Some((&id, _)) = found else {
                warnx("evdns_cancel_request: not a pending request of this evdns_base");
                return;
            };
            i.client.cancel(id, Instant::now());
        });
    })
}

/// `evdns_base_search_clear`.
#[no_mangle]
pub extern "C" fn evdns_base_search_clear(base: *mut EvdnsBase) {
    guard((), || {
        if let Some(d) = dns_ref(base, "evdns_base_search_clear") {
            d.lock().client.search_clear();
        }
    })
}

/// `evdns_base_search_add`.
#[no_mangle]
pub extern "C" fn evdns_base_search_add(base: *mut EvdnsBase, domain: *const c_char) {
    guard((), || {
        let Some(d) = dns_ref(base, "evdns_base_search_add") else {
            return;
        };
        if let Some(dom) = name_arg(domain, "evdns_base_search_add") {
            // libevent's list grows at the front: the domain added last is
            // tried first.
            d.lock().client.search_prepend(&dom);
        }
    })
}

/// `evdns_base_search_ndots_set`.
#[no_mangle]
pub extern "C" fn evdns_base_search_ndots_set(base: *mut EvdnsBase, ndots: c_int) {
    guard((), || {
        if let Some(d) = dns_ref(base, "evdns_base_search_ndots_set") {
            d.lock().client.options.ndots = ndots.max(0) as u32;
        }
    })
}

/// `evdns_set_log_fn`.
#[no_mangle]
pub extern "C" fn evdns_set_log_fn(f: Option<evdns_debug_log_fn_type>) {
    guard((), || {
        LOG_FN.store(f.map_or(0, |f| f as usize as u64), Ordering::Release)
    })
}

/// `evdns_set_random_bytes_fn`: no effect, as in libevent since 2.0.4
/// (ids and 0x20 bits come from the kernel's CSPRNG).
#[no_mangle]
pub extern "C" fn evdns_set_random_bytes_fn(_f: Option<unsafe extern "C" fn(*mut c_char, usize)>) {}

/// `evdns_set_transaction_id_fn`: no effect, as in libevent since 2.0.4.
#[no_mangle]
pub extern "C" fn evdns_set_transaction_id_fn(_f: Option<unsafe extern "C" fn() -> u16>) {}
