//! dns.h's DNS server: `evdns_add_server_port_with_base` and the
//! `evdns_server_request_*` calls, over the engine's wire format
//! (`oxevent::dns::wire`).
//!
//! A port watches the program's UDP socket; each datagram that parses as a
//! query (QR clear, questions well formed: `wire::parse_query`) becomes a
//! request handed to the program's callback, with libevent's public layout
//! (`struct evdns_server_request` first, then oxevent's state). The
//! program adds records, then responds (the reply is built with name
//! compression and truncated at 512 bytes with TC set, as libevent does) or
//! drops it. Malformed datagrams are dropped with a debug line. A port
//! closed with requests pending lives until the last one is answered or
//! dropped.

use std::ffi::{c_char, c_int, c_short, c_void, CStr};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use oxevent::dns::wire::{
    self, Flags, Header, MessageBuilder, Name, Question, RData, Record, Section,
};

use crate::abi::{Event, EV_PERSIST, EV_READ};
use crate::boundary::{guard, warnx};
use crate::event::{event_add, event_assign, event_del, event_forget};
use crate::handle::FfiBase;

/// `evdns_request_callback_fn_type`.
#[allow(non_camel_case_types)]
pub type evdns_request_callback_fn_type = unsafe extern "C" fn(*mut ServerRequest, *mut c_void);

const PORT_MAGIC: u64 = 0x6f78_6576_646e_7370;
const REQ_MAGIC: u64 = 0x6f78_6576_646e_7371;
const EVDNS_FLAGS_AA: c_int = 0x400;
const EVDNS_FLAGS_RD: c_int = 0x080;

/// `struct evdns_server_request`'s public part (16 bytes).
#[repr(C)]
#[derive(Debug)]
pub struct ServerRequestPub {
    pub flags: c_int,
    pub nquestions: c_int,
    pub questions: *mut *mut c_void,
}

/// A request: the public part first (its address is the program's
/// pointer), then oxevent's state.
#[repr(C)]
#[derive(Debug)]
pub struct ServerRequest {
    pub_: ServerRequestPub,
    magic: u64,
    port: *mut ServerPort,
    id: u16,
    from: SocketAddr,
    questions: Vec<Question>,
    /// `malloc`ed `struct evdns_server_question` blocks, and the array.
    q_blocks: Vec<*mut c_void>,
    records: Vec<(Section, Record)>,
}

/// `struct evdns_server_port`.
#[derive(Debug)]
pub struct ServerPort {
    magic: u64,
    fd: c_int,
    ev: *mut Event,
    cb: evdns_request_callback_fn_type,
    arg: *mut c_void,
    /// The program's handle plus each pending request.
    refs: usize,
    closing: bool,
}

fn port_ref<'a>(p: *mut ServerPort, who: &str) -> Option<&'a mut ServerPort> {
    // SAFETY: NULL or a port this library returned, per the API.
    match unsafe { p.as_mut() } {
        Some(port) if port.magic == PORT_MAGIC => Some(port),
        _ => {
            warnx(&format!("{who}: not a live evdns_server_port"));
            None
        }
    }
}

fn req_ref<'a>(p: *mut ServerRequest, who: &str) -> Option<&'a mut ServerRequest> {
    // SAFETY: NULL or a request this library handed to the program's
    // callback and that was not answered or dropped, per the API.
    match unsafe { p.as_mut() } {
        Some(r) if r.magic == REQ_MAGIC => Some(r),
        _ => {
            warnx(&format!("{who}: not a pending evdns_server_request"));
            None
        }
    }
}

/// Drops one reference; frees the port (and its event) on the last.
fn port_unref(p: *mut ServerPort) {
    // SAFETY: a live port (callers hold one of its references).
    let port = unsafe { &mut *p };
    port.refs -= 1;
    if port.refs > 0 {
        return;
    }
    event_del(port.ev);
    event_forget(port.ev);
    // SAFETY: made by `Box::into_raw` in `evdns_add_server_port_with_base`.
    drop(unsafe { Box::from_raw(port.ev) });
    // libevent closes the socket with the port.
    // SAFETY: the program handed the socket to the port.
    unsafe { libc::close(port.fd) };
    port.magic = 0;
    // SAFETY: made by `Box::into_raw`; the last reference is gone.
    drop(unsafe { Box::from_raw(p) });
}

/// Frees a request (after its reply or drop).
fn free_request(p: *mut ServerRequest) {
    // SAFETY: a live request of ours.
    let mut r = unsafe { Box::from_raw(p) };
    r.magic = 0;
    for b in r.q_blocks.drain(..) {
        crate::mem::free(b);
    }
    let port = r.port;
    drop(r);
    port_unref(port);
}

/// A `malloc`ed `struct evdns_server_question` for `q` (type, class, then
/// the NUL-terminated name).
fn question_block(q: &Question) -> *mut c_void {
    let name = q.name.to_dotted();
    let size = 8 + name.len() + 1;
    let p = crate::mem::alloc(size).cast::<u8>();
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` is a fresh block of `size` bytes.
    unsafe {
        std::ptr::write_unaligned(p.cast::<c_int>(), c_int::from(q.qtype));
        std::ptr::write_unaligned(p.add(4).cast::<c_int>(), c_int::from(q.qclass));
        std::ptr::copy_nonoverlapping(name.as_ptr(), p.add(8), name.len());
        *p.add(8 + name.len()) = 0;
    }
    p.cast()
}

extern "C" fn port_cb(fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let p = arg as *mut ServerPort;
        let Some(port) = port_ref(p, "evdns server") else {
            return;
        };
        // Held through the batch: a callback may close the port.
        port.refs += 1;
        serve_batch(p, fd);
        port_unref(p);
    })
}

/// Reads and hands out up to 64 queries.
fn serve_batch(p: *mut ServerPort, fd: c_int) {
    {
        let mut buf = [0u8; 1500];
        for _ in 0..64 {
            // SAFETY: a zeroed sockaddr_storage is a valid out-buffer.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut sl = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: valid buffers of the given sizes; `fd` is the port's.
            let n = unsafe {
                libc::recvfrom(
                    fd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    (&mut ss as *mut libc::sockaddr_storage).cast(),
                    &mut sl,
                )
            };
            if n < 0 {
                break;
            }
            let Some(from) =
                crate::dns::sockaddr_in((&ss as *const libc::sockaddr_storage).cast(), sl)
            else {
                continue;
            };
            let q = match wire::parse_query(&buf[..n as usize]) {
                Ok(q) if !q.header.flags.contains(Flags::QR) => q,
                _ => continue,
            };
            let mut blocks: Vec<*mut c_void> = q.questions.iter().map(question_block).collect();
            if blocks.iter().any(|b| b.is_null()) {
                for b in blocks {
                    crate::mem::free(b);
                }
                continue;
            }
            let nq = blocks.len();
            let arr = crate::mem::alloc(std::mem::size_of::<*mut c_void>() * nq.max(1))
                .cast::<*mut c_void>();
            if arr.is_null() {
                for b in blocks {
                    crate::mem::free(b);
                }
                continue;
            }
            for (i, b) in blocks.iter().enumerate() {
                // SAFETY: `arr` has room for `nq` pointers.
                unsafe { *arr.add(i) = *b };
            }
            blocks.push(arr.cast());
            let req = Box::into_raw(Box::new(ServerRequest {
                pub_: ServerRequestPub {
                    flags: c_int::from(q.header.flags.bits()),
                    nquestions: nq as c_int,
                    questions: arr,
                },
                magic: REQ_MAGIC,
                port: p,
                id: q.header.id,
                from,
                questions: q.questions,
                q_blocks: blocks,
                records: Vec::new(),
            }));
            // SAFETY: alive: `port_cb` holds a reference through the batch.
            let port = unsafe { &mut *p };
            port.refs += 1;
            let (cb, user) = (port.cb, port.arg);
            // SAFETY: the program's callback with the request it now owns.
            unsafe { cb(req, user) };
            // SAFETY: as above; the callback may have closed it.
            if unsafe { (*p).closing } {
                return;
            }
        }
    }
}

/// `evdns_add_server_port_with_base`: serves DNS on the bound UDP socket
/// `socket` (the port closes it when closed).
#[no_mangle]
pub extern "C" fn evdns_add_server_port_with_base(
    base: *mut FfiBase,
    socket: c_int,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    guard(std::ptr::null_mut(), || {
        let _ = flags;
        let Some(cb) = callback else {
            warnx("evdns_add_server_port_with_base: NULL callback");
            return std::ptr::null_mut();
        };
        if socket < 0 {
            warnx("evdns_add_server_port_with_base: bad socket");
            return std::ptr::null_mut();
        }
        let ev = Box::into_raw(Box::new(Event::zeroed()));
        let p = Box::into_raw(Box::new(ServerPort {
            magic: PORT_MAGIC,
            fd: socket,
            ev,
            cb,
            arg: user_data,
            refs: 1,
            closing: false,
        }));
        if event_assign(
            ev,
            base,
            socket,
            EV_READ | EV_PERSIST,
            Some(port_cb),
            p.cast(),
        ) != 0
            || event_add(ev, std::ptr::null()) != 0
        {
            event_forget(ev);
            // SAFETY: both made above and never shared.
            unsafe {
                drop(Box::from_raw(ev));
                drop(Box::from_raw(p));
            }
            return std::ptr::null_mut();
        }
        p
    })
}

/// `evdns_add_server_port`: the same on the current event base.
#[no_mangle]
pub extern "C" fn evdns_add_server_port(
    socket: c_int,
    flags: c_int,
    callback: Option<evdns_request_callback_fn_type>,
    user_data: *mut c_void,
) -> *mut ServerPort {
    let base = crate::handle::CURRENT_BASE.load(std::sync::atomic::Ordering::Acquire);
    evdns_add_server_port_with_base(base, socket, flags, callback, user_data)
}

/// `evdns_close_server_port`.
#[no_mangle]
pub extern "C" fn evdns_close_server_port(port: *mut ServerPort) {
    guard((), || {
        let Some(p) = port_ref(port, "evdns_close_server_port") else {
            return;
        };
        if p.closing {
            warnx("evdns_close_server_port: port already closed");
            return;
        }
        p.closing = true;
        event_del(p.ev);
        port_unref(port);
    })
}

/// `evdns_server_request_set_flags`: AA and libevent's "RD" bit of the
/// reply (0x080).
#[no_mangle]
pub extern "C" fn evdns_server_request_set_flags(req: *mut ServerRequest, flags: c_int) {
    guard((), || {
        if let Some(r) = req_ref(req, "evdns_server_request_set_flags") {
            r.pub_.flags &= !(EVDNS_FLAGS_AA | EVDNS_FLAGS_RD);
            r.pub_.flags |= flags & (EVDNS_FLAGS_AA | EVDNS_FLAGS_RD);
        }
    })
}

fn name_of(p: *const c_char) -> Option<Name> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string, per the API.
    Name::from_dotted(unsafe { CStr::from_ptr(p) }.to_bytes()).ok()
}

fn push(r: &mut ServerRequest, section: Section, rec: Record) -> c_int {
    // libevent has no limit; this bound keeps a runaway program from
    // growing a request without end (a reply holds at most 65535 bytes).
    if r.records.len() >= 65535 {
        warnx("evdns_server_request_add_reply: too many records");
        return -1;
    }
    r.records.push((section, rec));
    0
}

/// `evdns_server_request_add_reply`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn evdns_server_request_add_reply(
    req: *mut ServerRequest,
    section: c_int,
    name: *const c_char,
    type_: c_int,
    class: c_int,
    ttl: c_int,
    datalen: c_int,
    is_name: c_int,
    data: *const c_char,
) -> c_int {
    guard(-1, || {
        let who = "evdns_server_request_add_reply";
        let Some(r) = req_ref(req, who) else {
            return -1;
        };
        let section = match section {
            0 => Section::Answer,
            1 => Section::Authority,
            2 => Section::Additional,
            _ => {
                warnx(&format!("{who}: bad section {section}"));
                return -1;
            }
        };
        let Some(owner) = name_of(name) else {
            warnx(&format!("{who}: bad name"));
            return -1;
        };
        let rtype = type_ as u16;
        let rdata = if is_name != 0 {
            let Some(target) = name_of(data) else {
                warnx(&format!("{who}: bad name in the data"));
                return -1;
            };
            match rtype {
                wire::TYPE_PTR => RData::Ptr(target),
                wire::TYPE_CNAME => RData::Cname(target),
                _ => RData::Other(target.as_wire().to_vec()),
            }
        } else {
            let Ok(len) = usize::try_from(datalen) else {
                warnx(&format!("{who}: negative data length"));
                return -1;
            };
            if len > 65535 || (len > 0 && data.is_null()) {
                warnx(&format!("{who}: bad data"));
                return -1;
            }
            let bytes = if len == 0 {
                Vec::new()
            } else {
                // SAFETY: the program's `datalen` readable bytes at `data`.
                unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec()
            };
            match (rtype, bytes.len()) {
                (wire::TYPE_A, 4) => {
                    RData::A(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
                }
                (wire::TYPE_AAAA, 16) => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(&bytes);
                    RData::Aaaa(Ipv6Addr::from(o))
                }
                (wire::TYPE_A | wire::TYPE_AAAA | wire::TYPE_PTR | wire::TYPE_CNAME, _) => {
                    warnx(&format!("{who}: data does not match type {rtype}"));
                    return -1;
                }
                _ => RData::Other(bytes),
            }
        };
        let rec = Record {
            name: owner,
            rtype,
            class: class as u16,
            ttl: ttl as u32,
            data: rdata,
        };
        push(r, section, rec)
    })
}

fn add_addrs(
    req: *mut ServerRequest,
    who: &str,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
    v6: bool,
) -> c_int {
    let Some(r) = req_ref(req, who) else {
        return -1;
    };
    let Some(owner) = name_of(name) else {
        warnx(&format!("{who}: bad name"));
        return -1;
    };
    let Ok(n) = usize::try_from(n) else {
        warnx(&format!("{who}: negative count"));
        return -1;
    };
    if n > 0 && addrs.is_null() {
        warnx(&format!("{who}: NULL addresses"));
        return -1;
    }
    let width = if v6 { 16 } else { 4 };
    for i in 0..n {
        // SAFETY: the program's `n` addresses of `width` bytes at `addrs`.
        let b = unsafe { std::slice::from_raw_parts(addrs.cast::<u8>().add(i * width), width) };
        let rec = if v6 {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            Record::aaaa(owner.clone(), ttl as u32, Ipv6Addr::from(o))
        } else {
            Record::a(
                owner.clone(),
                ttl as u32,
                Ipv4Addr::new(b[0], b[1], b[2], b[3]),
            )
        };
        if push(r, Section::Answer, rec) != 0 {
            return -1;
        }
    }
    0
}

/// `evdns_server_request_add_a_reply`.
#[no_mangle]
pub extern "C" fn evdns_server_request_add_a_reply(
    req: *mut ServerRequest,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    guard(-1, || {
        add_addrs(
            req,
            "evdns_server_request_add_a_reply",
            name,
            n,
            addrs,
            ttl,
            false,
        )
    })
}

/// `evdns_server_request_add_aaaa_reply`.
#[no_mangle]
pub extern "C" fn evdns_server_request_add_aaaa_reply(
    req: *mut ServerRequest,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    guard(-1, || {
        add_addrs(
            req,
            "evdns_server_request_add_aaaa_reply",
            name,
            n,
            addrs,
            ttl,
            true,
        )
    })
}

/// `evdns_server_request_add_ptr_reply`: for `in`'s in-addr.arpa name, or
/// for `inaddr_name` when `in` is NULL.
#[no_mangle]
pub extern "C" fn evdns_server_request_add_ptr_reply(
    req: *mut ServerRequest,
    addr: *const libc::in_addr,
    inaddr_name: *const c_char,
    hostname: *const c_char,
    ttl: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evdns_server_request_add_ptr_reply";
        let Some(r) = req_ref(req, who) else {
            return -1;
        };
        let owner = if addr.is_null() {
            name_of(inaddr_name)
        } else {
            // SAFETY: a readable in_addr, per the API.
            let ip = Ipv4Addr::from(unsafe { (*addr).s_addr }.to_ne_bytes());
            Some(wire::reverse_name_v4(ip))
        };
        let (Some(owner), Some(target)) = (owner, name_of(hostname)) else {
            warnx(&format!("{who}: bad name"));
            return -1;
        };
        push(r, Section::Answer, Record::ptr(owner, ttl as u32, target))
    })
}

/// `evdns_server_request_add_cname_reply`.
#[no_mangle]
pub extern "C" fn evdns_server_request_add_cname_reply(
    req: *mut ServerRequest,
    name: *const c_char,
    cname: *const c_char,
    ttl: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evdns_server_request_add_cname_reply";
        let Some(r) = req_ref(req, who) else {
            return -1;
        };
        let (Some(owner), Some(target)) = (name_of(name), name_of(cname)) else {
            warnx(&format!("{who}: bad name"));
            return -1;
        };
        push(r, Section::Answer, Record::cname(owner, ttl as u32, target))
    })
}

/// The reply's bytes: the request's questions echoed, its records, RCODE
/// `err`, truncated at 512 bytes with TC.
fn build_reply(r: &ServerRequest, err: c_int) -> Option<Vec<u8>> {
    let bits = ((r.pub_.flags as u32 as u16) | 0x8000) & !0x000f;
    let flags = Flags::from_bits(bits).with_rcode((err & 0xf) as u8);
    let mut b = MessageBuilder::new(Header { id: r.id, flags }, wire::UDP_MAX_LEN).ok()?;
    for q in &r.questions {
        b.question(q).ok()?;
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        for (s, rec) in r.records.iter().filter(|(s, _)| *s == section) {
            let _ = s;
            match b.record(section, rec) {
                Ok(true) => {}
                Ok(false) => return Some(b.finish()),
                Err(_) => return None,
            }
        }
    }
    Some(b.finish())
}

/// `evdns_server_request_respond`: sends the reply with RCODE `err` and
/// frees the request; -1 (the request freed all the same) if it could not
/// be built or sent.
#[no_mangle]
pub extern "C" fn evdns_server_request_respond(req: *mut ServerRequest, err: c_int) -> c_int {
    guard(-1, || {
        let Some(r) = req_ref(req, "evdns_server_request_respond") else {
            return -1;
        };
        let Some(bytes) = build_reply(r, err) else {
            warnx("evdns_server_request_respond: the reply cannot be encoded");
            free_request(req);
            return -1;
        };
        // SAFETY: the port is alive while the request holds a reference.
        let fd = unsafe { (*r.port).fd };
        let raw = crate::dns::sockaddr_bytes(&r.from);
        // SAFETY: valid buffers of the given sizes.
        let n = unsafe {
            libc::sendto(
                fd,
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
                raw.as_ptr().cast(),
                raw.len() as libc::socklen_t,
            )
        };
        free_request(req);
        if n < 0 {
            warnx(&format!(
                "evdns_server_request_respond: {}",
                std::io::Error::last_os_error()
            ));
            return -1;
        }
        0
    })
}

/// `evdns_server_request_drop`: frees the request without a reply.
#[no_mangle]
pub extern "C" fn evdns_server_request_drop(req: *mut ServerRequest) -> c_int {
    guard(-1, || {
        if req_ref(req, "evdns_server_request_drop").is_none() {
            return -1;
        }
        free_request(req);
        0
    })
}

/// `evdns_server_request_get_requesting_addr`: the address's length, or
/// -1 when `addr_len` is too small.
#[no_mangle]
pub extern "C" fn evdns_server_request_get_requesting_addr(
    req: *mut ServerRequest,
    sa: *mut libc::sockaddr,
    addr_len: c_int,
) -> c_int {
    guard(-1, || {
        let Some(r) = req_ref(req, "evdns_server_request_get_requesting_addr") else {
            return -1;
        };
        let raw = crate::dns::sockaddr_bytes(&r.from);
        if sa.is_null() || usize::try_from(addr_len).map_or(true, |l| l < raw.len()) {
            return -1;
        }
        // SAFETY: the program gave `addr_len` >= `raw.len()` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(raw.as_ptr(), sa.cast::<u8>(), raw.len()) };
        raw.len() as c_int
    })
}
