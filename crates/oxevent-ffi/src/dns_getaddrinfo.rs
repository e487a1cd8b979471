//! `evdns_getaddrinfo`: getaddrinfo without blocking, over the evdns
//! resolver (`dns.rs`), and `bufferevent_socket_connect_hostname` through
//! it.
//!
//! Numeric hosts and a NULL host are answered at once by
//! `evutil_getaddrinfo`, names in the loaded hosts files from them (the
//! callback runs before the call returns, which returns NULL, as libevent
//! does). Other names start an A lookup, an AAAA
//! lookup or both (`AF_UNSPEC`), with the search list; the callback runs
//! once both finished, with the IPv4 addresses first. The list is built
//! the way libevent builds its own (one block per node with its address,
//! from the library's allocator), so `evutil_freeaddrinfo` frees it.
//!
//! Requests live in a registry while pending: `evdns_getaddrinfo_cancel`
//! on a request whose callback already ran (libevent forbids it, and would
//! read freed memory) is refused with a log line.

use std::collections::HashSet;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Instant;

use oxevent::dns::client::{Answer, DnsError, Kind, QueryId, Resolved};

use crate::boundary::{guard, warnx};
use crate::dns::{dns_ref, EvdnsBase, Waiter};
use crate::util::{
    EVUTIL_AI_LIBEVENT_ALLOCATED, EVUTIL_EAI_CANCEL, EVUTIL_EAI_FAIL, EVUTIL_EAI_FAMILY,
    EVUTIL_EAI_MEMORY, EVUTIL_EAI_NONAME,
};

/// `evdns_getaddrinfo_cb`.
#[allow(non_camel_case_types)]
pub type evdns_getaddrinfo_cb = unsafe extern "C" fn(c_int, *mut libc::addrinfo, *mut c_void);

/// `struct evdns_getaddrinfo_request`.
#[derive(Debug)]
pub struct GaiRequest {
    dns: *const EvdnsBase,
    /// Lookups not finished yet.
    pending: Vec<QueryId>,
    v4: Vec<Ipv4Addr>,
    v6: Vec<Ipv6Addr>,
    errors: Vec<DnsError>,
    port: u16,
    socktype: c_int,
    protocol: c_int,
    cb: evdns_getaddrinfo_cb,
    arg: *mut c_void,
    /// The callback ran.
    done: bool,
    /// `evdns_getaddrinfo_cancel` was called: the result is
    /// `EVUTIL_EAI_CANCEL` whatever the lookups found.
    cancelled: bool,
}

/// The requests that may still be cancelled, by address.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn live(f: impl FnOnce(&mut HashSet<usize>) -> bool) -> bool {
    let mut g = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(HashSet::new))
}

/// One of a request's lookups finished (from the resolver's delivery).
pub(crate) fn half_done(g: *mut GaiRequest, q: QueryId, outcome: Result<Resolved, DnsError>) {
    // SAFETY: `g` came from `Box::into_raw` in `evdns_getaddrinfo` and is
    // freed only when its last lookup is accounted for, which is now at
    // the earliest.
    let r = unsafe { &mut *g };
    r.pending.retain(|&p| p != q);
    match outcome {
        Ok(Resolved {
            answer: Answer::V4(v),
            ..
        }) => r.v4.extend(v),
        Ok(Resolved {
            answer: Answer::V6(v),
            ..
        }) => r.v6.extend(v),
        Ok(_) => {}
        Err(e) => r.errors.push(e),
    }
    if !r.pending.is_empty() {
        return;
    }
    if !r.done {
        r.done = true;
        live(|s| s.remove(&(g as usize)));
        let (code, list) = if r.cancelled {
            (EVUTIL_EAI_CANCEL, std::ptr::null_mut())
        } else {
            result_of(r)
        };
        // SAFETY: the program's callback with getaddrinfo's result; the
        // list is the program's to free.
        unsafe { (r.cb)(code, list, r.arg) };
    }
    // SAFETY: as above; nothing refers to it any more.
    drop(unsafe { Box::from_raw(g) });
}

/// One of a request's lookups was dropped with its base (no callback).
pub(crate) fn half_dropped(g: *mut GaiRequest, q: QueryId) {
    // SAFETY: as in `half_done`.
    let r = unsafe { &mut *g };
    r.pending.retain(|&p| p != q);
    if r.pending.is_empty() {
        live(|s| s.remove(&(g as usize)));
        // SAFETY: as in `half_done`.
        drop(unsafe { Box::from_raw(g) });
    }
}

/// getaddrinfo's code and list for what the lookups found.
fn result_of(r: &GaiRequest) -> (c_int, *mut libc::addrinfo) {
    let addrs: Vec<IpAddr> =
        r.v4.iter()
            .map(|&a| IpAddr::V4(a))
            .chain(r.v6.iter().map(|&a| IpAddr::V6(a)))
            .collect();
    if addrs.is_empty() {
        let code = if r
            .errors
            .iter()
            .any(|e| matches!(e, DnsError::NotExist | DnsError::NoData))
        {
            EVUTIL_EAI_NONAME
        } else if r.errors.contains(&DnsError::Cancel) {
            EVUTIL_EAI_CANCEL
        } else {
            EVUTIL_EAI_FAIL
        };
        return (code, std::ptr::null_mut());
    }
    match build_list(&addrs, r.port, r.socktype, r.protocol) {
        Some(list) => (0, list),
        None => (EVUTIL_EAI_MEMORY, std::ptr::null_mut()),
    }
}

/// A libevent-allocated addrinfo list: per address, one node per socket
/// type (both stream/TCP and datagram/UDP when the hints name neither).
fn build_list(
    addrs: &[IpAddr],
    port: u16,
    socktype: c_int,
    protocol: c_int,
) -> Option<*mut libc::addrinfo> {
    let kinds: Vec<(c_int, c_int)> = if socktype == 0 && protocol == 0 {
        vec![
            (libc::SOCK_STREAM, libc::IPPROTO_TCP),
            (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        ]
    } else {
        let st = if socktype != 0 {
            socktype
        } else if protocol == libc::IPPROTO_UDP {
            libc::SOCK_DGRAM
        } else {
            libc::SOCK_STREAM
        };
        let pr = if protocol != 0 {
            protocol
        } else if st == libc::SOCK_DGRAM {
            libc::IPPROTO_UDP
        } else {
            libc::IPPROTO_TCP
        };
        vec![(st, pr)]
    };
    let mut nodes: Vec<*mut libc::addrinfo> = Vec::new();
    for a in addrs {
        let raw = crate::dns::sockaddr_bytes(&std::net::SocketAddr::new(*a, port));
        for &(st, pr) in &kinds {
            let size = std::mem::size_of::<libc::addrinfo>() + raw.len();
            let p = crate::mem::alloc(size).cast::<libc::addrinfo>();
            if p.is_null() {
                for n in nodes {
                    crate::mem::free(n.cast());
                }
                return None;
            }
            // SAFETY: `p` is a fresh block of `size` bytes: room for the
            // node and, right after it, its address.
            unsafe {
                std::ptr::write_bytes(p.cast::<u8>(), 0, size);
                let sa = p.add(1).cast::<u8>();
                std::ptr::copy_nonoverlapping(raw.as_ptr(), sa, raw.len());
                (*p).ai_flags = EVUTIL_AI_LIBEVENT_ALLOCATED;
                (*p).ai_family = if a.is_ipv4() {
                    libc::AF_INET
                } else {
                    libc::AF_INET6
                };
                (*p).ai_socktype = st;
                (*p).ai_protocol = pr;
                (*p).ai_addrlen = raw.len() as libc::socklen_t;
                (*p).ai_addr = sa.cast();
            }
            nodes.push(p);
        }
    }
    for w in nodes.windows(2) {
        // SAFETY: live nodes built above.
        unsafe { (*w[0]).ai_next = w[1] };
    }
    nodes.first().copied()
}

/// The port of `serv`: a number, or a service name from the system's
/// services database.
fn port_of(serv: *const c_char, socktype: c_int) -> Option<u16> {
    if serv.is_null() {
        return Some(0);
    }
    // SAFETY: a NUL-terminated string, per the API.
    let text = unsafe { CStr::from_ptr(serv) };
    let s = text.to_string_lossy();
    if let Ok(n) = s.trim().parse::<u16>() {
        return Some(n);
    }
    let proto: &CStr = if socktype == libc::SOCK_DGRAM {
        c"udp"
    } else {
        c"tcp"
    };
    // SAFETY: getservbyname with two C strings; the result (static storage)
    // is read at once.
    let ent = unsafe { libc::getservbyname(serv, proto.as_ptr()) };
    // SAFETY: NULL or a valid servent.
    unsafe { ent.as_ref() }.map(|e| u16::from_be(e.s_port as u16))
}

/// `evdns_getaddrinfo`.
///
/// # Safety
/// The arguments follow libevent's contract: strings NULL or
/// NUL-terminated, `hints_in` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo(
    dns_base: *mut EvdnsBase,
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const libc::addrinfo,
    cb: Option<evdns_getaddrinfo_cb>,
    arg: *mut c_void,
) -> *mut GaiRequest {
    guard(std::ptr::null_mut(), || {
        let who = "evdns_getaddrinfo";
        let Some(cb) = cb else {
            warnx(&format!("{who}: NULL callback"));
            return std::ptr::null_mut();
        };
        let Some(d) = dns_ref(dns_base, who) else {
            return std::ptr::null_mut();
        };
        // SAFETY: NULL or readable hints (caller contract).
        let hints: libc::addrinfo = unsafe { hints_in.as_ref() }
            .copied()
            // SAFETY: zeroed hints are valid.
            .unwrap_or_else(|| unsafe { std::mem::zeroed() });
        let numeric = nodename.is_null()
            || hints.ai_flags & libc::AI_NUMERICHOST != 0
            // SAFETY: a NUL-terminated string, per the API.
            || unsafe { CStr::from_ptr(nodename) }
                .to_str()
                .is_ok_and(|n| n.parse::<IpAddr>().is_ok());
        let port = port_of(servname, hints.ai_socktype);
        // A literal address of the family asked: the list libevent builds
        // itself (one stream/TCP and one datagram/UDP entry when the hints
        // name neither).
        let literal = (!nodename.is_null())
            .then(|| {
                // SAFETY: a NUL-terminated string, per the API.
                unsafe { CStr::from_ptr(nodename) }
                    .to_str()
                    .ok()?
                    .parse::<IpAddr>()
                    .ok()
            })
            .flatten()
            .filter(|ip| match hints.ai_family {
                libc::AF_UNSPEC => true,
                libc::AF_INET => ip.is_ipv4(),
                libc::AF_INET6 => ip.is_ipv6(),
                _ => false,
            });
        if let (Some(ip), Some(port)) = (literal, port) {
            let (code, list) = match build_list(&[ip], port, hints.ai_socktype, hints.ai_protocol) {
                Some(l) => (0, l),
                None => (EVUTIL_EAI_MEMORY, std::ptr::null_mut()),
            };
            // SAFETY: the program's callback with getaddrinfo's result.
            unsafe { cb(code, list, arg) };
            return std::ptr::null_mut();
        }
        if numeric {
            let mut h = hints;
            if !nodename.is_null() {
                h.ai_flags |= libc::AI_NUMERICHOST;
            }
            let mut res: *mut libc::addrinfo = std::ptr::null_mut();
            // SAFETY: the program's strings, a live hints struct and a
            // writable result pointer.
            let rc = unsafe { crate::util::evutil_getaddrinfo(nodename, servname, &h, &mut res) };
            // SAFETY: the program's callback with getaddrinfo's result.
            unsafe { cb(rc, res, arg) };
            return std::ptr::null_mut();
        }
        // SAFETY: non-NULL here; NUL-terminated per the API.
        let name = unsafe { CStr::from_ptr(nodename) }
            .to_string_lossy()
            .into_owned();
        let kinds: &[Kind] = match hints.ai_family {
            libc::AF_UNSPEC => &[Kind::A, Kind::Aaaa],
            libc::AF_INET => &[Kind::A],
            libc::AF_INET6 => &[Kind::Aaaa],
            _ => {
                // SAFETY: the program's callback.
                unsafe { cb(EVUTIL_EAI_FAMILY, std::ptr::null_mut(), arg) };
                return std::ptr::null_mut();
            }
        };
        let Some(port) = port else {
            // libevent 2.1.12 answers an unknown service with NONAME.
            // SAFETY: the program's callback.
            unsafe { cb(EVUTIL_EAI_NONAME, std::ptr::null_mut(), arg) };
            return std::ptr::null_mut();
        };
        if let Some(addrs) = crate::dns_conf::hosts_lookup(d, &name, hints.ai_family) {
            let (code, list) = match build_list(&addrs, port, hints.ai_socktype, hints.ai_protocol)
            {
                Some(l) => (0, l),
                None => (EVUTIL_EAI_MEMORY, std::ptr::null_mut()),
            };
            // SAFETY: the program's callback with getaddrinfo's result.
            unsafe { cb(code, list, arg) };
            return std::ptr::null_mut();
        }
        let g = Box::into_raw(Box::new(GaiRequest {
            dns: d,
            pending: Vec::new(),
            v4: Vec::new(),
            v6: Vec::new(),
            errors: Vec::new(),
            port,
            socktype: hints.ai_socktype,
            protocol: hints.ai_protocol,
            cb,
            arg,
            done: false,
            cancelled: false,
        }));
        live(|s| s.insert(g as usize));
        let started = d.with(|i| {
            let mut n = 0;
            for &k in kinds {
                if let Ok(id) = i.client.resolve(&name, k, true, Instant::now()) {
                    i.reqs.insert(id, Waiter::Gai(g, id));
                    // SAFETY: just made; only this thread knows it yet.
                    unsafe { (*g).pending.push(id) };
                    n += 1;
                }
            }
            n
        });
        if started == 0 {
            live(|s| s.remove(&(g as usize)));
            // SAFETY: made above and never shared.
            drop(unsafe { Box::from_raw(g) });
            // SAFETY: the program's callback.
            unsafe { cb(EVUTIL_EAI_NONAME, std::ptr::null_mut(), arg) };
            return std::ptr::null_mut();
        }
        g
    })
}

/// `evdns_getaddrinfo_cancel`: the lookups are cancelled, and the
/// callback runs once from the loop with `EVUTIL_EAI_CANCEL` (as in
/// libevent, not inside this call).
#[no_mangle]
pub extern "C" fn evdns_getaddrinfo_cancel(req: *mut GaiRequest) {
    guard((), || {
        if req.is_null() || !live(|s| s.remove(&(req as usize))) {
            warnx("evdns_getaddrinfo_cancel: not a pending request (its callback already ran?)");
            return;
        }
        // SAFETY: registered as live: allocated, its callback not run.
        let r = unsafe { &mut *req };
        r.cancelled = true;
        let pending = r.pending.clone();
        if let Some(d) = dns_ref(r.dns, "evdns_getaddrinfo_cancel") {
            // Each lookup ends with DNS_ERR_CANCEL, delivered from the
            // loop; the last one runs the callback (`half_done`).
            d.with(|i| {
                for q in pending {
                    i.client.cancel(q, Instant::now());
                }
            });
        }
    })
}
