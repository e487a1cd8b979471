//! Socket bufferevents (`bufferevent_socket_new`, `_connect`,
//! `_connect_hostname`): the read event fills the input from the fd, the
//! write event drains the output into it, as libevent's
//! `bufferevent_sock.c` does.
//!
//! Reading: on each readable event, up to the read high watermark's room
//! (and the largest single read) is read; data runs the read callback if
//! the input reached the low watermark; EOF or an error disables reading
//! and runs the event callback with `BEV_EVENT_READING` and `EOF`/`ERROR`.
//! Writing: data added to the output starts the write event (the output's
//! callback); each writable event writes what it may; an empty output
//! stops the event; the write callback runs when the output is at or below
//! the write low watermark. A timeout runs the event callback with
//! `BEV_EVENT_TIMEOUT` and disables that direction. A connect in progress
//! is finished by the first writable event (`BEV_EVENT_CONNECTED` or
//! `BEV_EVENT_ERROR`).

use std::os::raw::{c_char, c_int, c_short, c_void};

use super::{bev_ref, new_common, suspend, Bev, Kind};
use crate::abi::{
    Bufferevent, EvbufferCbInfo, BEV_EVENT_CONNECTED, BEV_EVENT_EOF, BEV_EVENT_ERROR,
    BEV_EVENT_READING, BEV_EVENT_TIMEOUT, BEV_EVENT_WRITING, BEV_OPT_CLOSE_ON_FREE,
    BEV_OPT_DEFER_CALLBACKS, EVBUFFER_FLAG_DRAINS_TO_FD, EV_FINALIZE, EV_PERSIST, EV_READ,
    EV_TIMEOUT, EV_WRITE,
};
use crate::boundary::guard;
use crate::buffer::{
    evbuffer_add_cb, evbuffer_freeze, evbuffer_get_length, evbuffer_set_flags, evbuffer_unfreeze,
    evbuffer_write_atmost,
};
use crate::event::{event_active, event_assign, event_del, event_pending};
use crate::handle::FfiBase;
use crate::util::{errno, set_errno};

/// Whether `err` only means "try again" (`EVUTIL_ERR_RW_RETRIABLE`).
fn retriable(err: c_int) -> bool {
    err == libc::EINTR || err == libc::EAGAIN
}

/// Assigns the read and write events to `fd` (`be_socket_setfd`'s part).
fn assign_events(b: &Bev, fd: c_int) {
    let base = b.base();
    let arg = b.ptr() as *mut c_void;
    event_assign(
        b.ev_read(),
        base,
        fd,
        EV_READ | EV_PERSIST | EV_FINALIZE,
        Some(readcb),
        arg,
    );
    event_assign(
        b.ev_write(),
        base,
        fd,
        EV_WRITE | EV_PERSIST | EV_FINALIZE,
        Some(writecb),
        arg,
    );
}

/// `bufferevent_socket_new`.
#[no_mangle]
pub extern "C" fn bufferevent_socket_new(
    base: *mut FfiBase,
    fd: c_int,
    options: c_int,
) -> *mut Bufferevent {
    guard(std::ptr::null_mut(), || {
        let Some(b) = new_common(base, Kind::Socket, options, None, "bufferevent_socket_new")
        else {
            return std::ptr::null_mut();
        };
        evbuffer_set_flags(b.output(), EVBUFFER_FLAG_DRAINS_TO_FD);
        assign_events(b, fd);
        let e = evbuffer_add_cb(b.output(), Some(outbuf_cb), b.ptr() as *mut c_void);
        b.outbuf_cb.set(e as *mut c_void);
        evbuffer_freeze(b.input(), 0);
        evbuffer_freeze(b.output(), 1);
        b.ptr()
    })
}

/// `be_socket_enable`.
pub(super) fn enable(b: &Bev, what: c_short) -> c_int {
    if what & EV_READ != 0 && b.add_event(b.ev_read(), b.get(|p| p.timeout_read)) == -1 {
        return -1;
    }
    if what & EV_WRITE != 0 && b.add_event(b.ev_write(), b.get(|p| p.timeout_write)) == -1 {
        return -1;
    }
    0
}

/// `be_socket_disable`: a connect in progress keeps its write event.
pub(super) fn disable(b: &Bev, what: c_short) -> c_int {
    if what & EV_READ != 0 && event_del(b.ev_read()) == -1 {
        return -1;
    }
    if what & EV_WRITE != 0 && !b.connecting.get() && event_del(b.ev_write()) == -1 {
        return -1;
    }
    0
}

/// `be_socket_flush`: nothing to do for a socket.
pub(super) fn flush(_b: &Bev, _iotype: c_short, _mode: c_int) -> c_int {
    0
}

/// `be_socket_destruct`: closes the fd with `BEV_OPT_CLOSE_ON_FREE`.
pub(super) fn destruct(b: &Bev) {
    let fd = b.get(|p| p.ev_read.ev_fd);
    if b.options & BEV_OPT_CLOSE_ON_FREE != 0 && fd >= 0 {
        // SAFETY: the program gave this fd to the bufferevent to close.
        unsafe { libc::close(fd) };
    }
}

/// `be_socket_setfd`.
pub(super) fn setfd(b: &Bev, fd: c_int) {
    b.lock();
    event_del(b.ev_read());
    event_del(b.ev_write());
    evbuffer_unfreeze(b.input(), 0);
    evbuffer_unfreeze(b.output(), 1);
    assign_events(b, fd);
    if fd >= 0 {
        super::bufferevent_enable(b.ptr(), b.enabled());
    }
    b.unlock();
}

/// The output's callback: data added while writing is enabled starts the
/// write event.
unsafe extern "C" fn outbuf_cb(_buf: *mut c_void, info: *const EvbufferCbInfo, arg: *mut c_void) {
    guard((), || {
        // SAFETY: the evbuffer passes a valid info for the call.
        let added = unsafe { info.as_ref() }.map_or(0, |i| i.n_added);
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent output") else {
            return;
        };
        if added > 0
            && b.enabled() & EV_WRITE != 0
            && event_pending(b.ev_write(), EV_WRITE, std::ptr::null_mut()) == 0
            && b.write_suspended.get() == 0
        {
            write_now(b);
        }
    })
}

/// Starts writing new output. libevent adds the write event and writes
/// when the loop next finds the socket writable (an `epoll_ctl` to add
/// the interest, one to remove it, and a loop turn per message); oxevent
/// writes at once, as far as the socket takes it, and leaves only the
/// rest to the write event. The write callback still runs from the loop
/// (the write event is activated), never inside `bufferevent_write`.
fn write_now(b: &Bev) {
    let fd = b.get(|p| p.ev_write.ev_fd);
    let output = b.output();
    if b.connecting.get() || fd < 0 {
        b.add_event(b.ev_write(), b.get(|p| p.timeout_write));
        return;
    }
    b.incref_and_lock();
    let atmost = b.rlim_max(true);
    let mut res = 0;
    if atmost > 0 {
        evbuffer_unfreeze(output, 1);
        res = evbuffer_write_atmost(output, fd, atmost as libc::ssize_t);
        evbuffer_freeze(output, 1);
    }
    if res > 0 {
        b.charge_write(res as isize);
    }
    let left = evbuffer_get_length(output);
    if left == 0 {
        crate::buffer::release_idle_memory(output);
    }
    if left > 0 || res < 0 {
        // The rest (or the error) is the write event's, as in libevent.
        b.add_event(b.ev_write(), b.get(|p| p.timeout_write));
    } else if b.get(|p| p.writecb.is_some()) {
        // Drained: the write callback runs from the loop.
        event_active(b.ev_write(), EV_WRITE as c_int, 1);
    }
    b.decref_and_unlock();
}

/// The read event's callback (`bufferevent_readcb`).
extern "C" fn readcb(fd: c_int, event: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent read") else {
            return;
        };
        b.incref_and_lock();
        read_ready(b, fd, event);
        b.decref_and_unlock();
    })
}

fn read_ready(b: &Bev, fd: c_int, event: c_short) {
    let input = b.input();
    let mut what = BEV_EVENT_READING;
    if event == EV_TIMEOUT {
        // Only a timeout: with EV_READ too, data came and the timer no
        // longer matters.
        what |= BEV_EVENT_TIMEOUT;
        return read_error(b, what);
    }
    let mut howmuch: isize = -1;
    let high = b.get(|p| p.wm_read.high);
    if high != 0 {
        howmuch = high as isize - evbuffer_get_length(input) as isize;
        if howmuch <= 0 {
            b.suspend_read(suspend::WM);
            return;
        }
    }
    let readmax = b.rlim_max(false);
    if howmuch < 0 || howmuch > readmax {
        howmuch = readmax;
    }
    if b.read_suspended.get() != 0 {
        return;
    }
    evbuffer_unfreeze(input, 0);
    // Unlike libevent, no FIONREAD probe first: one read of up to
    // `howmuch` bytes (libevent reads at most 4096 per event).
    let res = crate::buffer::read_direct(input, fd, howmuch.max(0) as usize);
    evbuffer_freeze(input, 0);
    if res == -1 {
        let err = errno();
        if retriable(err) {
            return;
        }
        if err == libc::ECONNREFUSED {
            b.connection_refused.set(true);
            return;
        }
        what |= BEV_EVENT_ERROR;
    } else if res == 0 {
        what |= BEV_EVENT_EOF;
    }
    if res <= 0 {
        return read_error(b, what);
    }
    b.charge_read(res as isize);
    b.trigger(EV_READ, 0);
    // An idle connection keeps no read-sized chunk (libevent frees its
    // drained chains too).
    if evbuffer_get_length(input) == 0 {
        crate::buffer::release_idle_memory(input);
    }
}

fn read_error(b: &Bev, what: c_short) {
    let err = errno();
    super::bufferevent_disable(b.ptr(), EV_READ);
    set_errno(err);
    b.run_eventcb(what, 0);
}

/// Whether a connect in progress finished: 1 connected, 0 not yet, -1
/// failed (errno set) (`evutil_socket_finished_connecting_`).
fn finished_connecting(fd: c_int) -> c_int {
    let mut e: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `e` and `len` are valid out-parameters of the right size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut e as *mut c_int as *mut c_void,
            &mut len,
        )
    };
    if r < 0 {
        return -1;
    }
    if e != 0 {
        if e == libc::EINTR || e == libc::EINPROGRESS {
            return 0;
        }
        set_errno(e);
        return -1;
    }
    1
}

/// The write event's callback (`bufferevent_writecb`).
extern "C" fn writecb(fd: c_int, event: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent write") else {
            return;
        };
        b.incref_and_lock();
        write_ready(b, fd, event);
        b.decref_and_unlock();
    })
}

fn write_ready(b: &Bev, fd: c_int, event: c_short) {
    let output = b.output();
    let mut what = BEV_EVENT_WRITING;
    let mut connected = false;
    let mut res: c_int = 0;
    if event == EV_TIMEOUT {
        what |= BEV_EVENT_TIMEOUT;
        return write_error(b, what);
    }
    if b.connecting.get() {
        let mut c = finished_connecting(fd);
        if b.connection_refused.get() {
            b.connection_refused.set(false);
            set_errno(libc::ECONNREFUSED);
            c = -1;
        }
        if c == 0 {
            return;
        }
        b.connecting.set(false);
        if c < 0 {
            event_del(b.ev_write());
            event_del(b.ev_read());
            b.run_eventcb(BEV_EVENT_ERROR, 0);
            return;
        }
        connected = true;
        b.run_eventcb(BEV_EVENT_CONNECTED, 0);
        if b.enabled() & EV_WRITE == 0 || b.write_suspended.get() != 0 {
            event_del(b.ev_write());
            return;
        }
    }
    let atmost = b.rlim_max(true);
    if b.write_suspended.get() != 0 {
        return;
    }
    if evbuffer_get_length(output) > 0 {
        evbuffer_unfreeze(output, 1);
        res = evbuffer_write_atmost(output, fd, atmost as libc::ssize_t);
        evbuffer_freeze(output, 1);
        if res == -1 {
            let err = errno();
            if retriable(err) {
                if evbuffer_get_length(output) == 0 {
                    event_del(b.ev_write());
                }
                return;
            }
            what |= BEV_EVENT_ERROR;
        } else if res == 0 {
            what |= BEV_EVENT_EOF;
        }
        if res <= 0 {
            return write_error(b, what);
        }
        b.charge_write(res as isize);
    }
    if evbuffer_get_length(output) == 0 {
        event_del(b.ev_write());
        crate::buffer::release_idle_memory(output);
    }
    if res != 0 || !connected {
        b.trigger(EV_WRITE, 0);
    }
}

fn write_error(b: &Bev, what: c_short) {
    let err = errno();
    super::bufferevent_disable(b.ptr(), EV_WRITE);
    set_errno(err);
    b.run_eventcb(what, 0);
}

/// Starts a nonblocking connect: 0 in progress, 1 connected, 2 refused at
/// once, -1 failed (`evutil_socket_connect_`).
fn start_connect(fd: c_int, sa: *const libc::sockaddr, socklen: c_int) -> c_int {
    // SAFETY: the program's address of `socklen` bytes, per the API.
    let r = unsafe { libc::connect(fd, sa, socklen as libc::socklen_t) };
    if r < 0 {
        let e = errno();
        if e == libc::EINTR || e == libc::EINPROGRESS {
            return 0;
        }
        if e == libc::ECONNREFUSED {
            return 2;
        }
        return -1;
    }
    1
}

/// `bufferevent_socket_connect`.
#[no_mangle]
pub extern "C" fn bufferevent_socket_connect(
    bev: *mut Bufferevent,
    sa: *const libc::sockaddr,
    socklen: c_int,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_socket_connect") else {
            return -1;
        };
        if !matches!(b.kind, Kind::Socket) {
            return -1;
        }
        b.incref_and_lock();
        let r = connect(b, sa, socklen);
        b.decref_and_unlock();
        r
    })
}

fn connect(b: &Bev, sa: *const libc::sockaddr, socklen: c_int) -> c_int {
    let mut fd = b.get(|p| p.ev_read.ev_fd);
    let mut own = false;
    if fd < 0 {
        // SAFETY: NULL or the program's address, per the API.
        let Some(addr) = (unsafe { sa.as_ref() }) else {
            return -1;
        };
        // SAFETY: plain socket creation.
        fd = unsafe {
            libc::socket(
                c_int::from(addr.sa_family),
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return -1;
        }
        own = true;
    }
    let mut r = 0;
    if !sa.is_null() {
        r = start_connect(fd, sa, socklen);
        if r < 0 {
            if own {
                // SAFETY: the socket made above, not handed out.
                unsafe { libc::close(fd) };
            }
            return -1;
        }
    }
    setfd(b, fd);
    match r {
        0 => {
            if enable(b, EV_WRITE) == 0 {
                b.connecting.set(true);
                return 0;
            }
            -1
        }
        1 => {
            b.connecting.set(true);
            b.trigger(EV_WRITE, BEV_OPT_DEFER_CALLBACKS);
            0
        }
        _ => {
            set_errno(libc::ECONNREFUSED);
            b.run_eventcb(BEV_EVENT_ERROR, BEV_OPT_DEFER_CALLBACKS);
            super::bufferevent_disable(b.ptr(), EV_WRITE | EV_READ);
            0
        }
    }
}

/// `bufferevent_socket_connect_hostname`: resolves through
/// `evdns_getaddrinfo` when given an `evdns_base` (without blocking), or
/// with the system's blocking `getaddrinfo` for a NULL one (as libevent
/// does), then connects to the first address.
#[no_mangle]
pub extern "C" fn bufferevent_socket_connect_hostname(
    bev: *mut Bufferevent,
    evdns_base: *mut c_void,
    family: c_int,
    hostname: *const c_char,
    port: c_int,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_socket_connect_hostname") else {
            return -1;
        };
        if family != libc::AF_INET && family != libc::AF_INET6 && family != libc::AF_UNSPEC {
            return -1;
        }
        if !(1..=65535).contains(&port) {
            return -1;
        }
        b.lock();
        b.dns_error.set(0);
        b.suspend_write(suspend::LOOKUP);
        b.suspend_read(suspend::LOOKUP);
        b.incref();
        b.unlock();
        if !evdns_base.is_null() {
            // SAFETY: zeroed addrinfo hints are valid.
            let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
            hints.ai_family = family;
            hints.ai_protocol = libc::IPPROTO_TCP;
            hints.ai_socktype = libc::SOCK_STREAM;
            let portbuf = std::ffi::CString::new(port.to_string()).unwrap_or_default();
            // SAFETY: a live evdns_base of the program's (checked inside),
            // its host name, our port string and hints; the callback gets
            // the bufferevent, which holds a reference for it.
            let req = unsafe {
                crate::dns_getaddrinfo::evdns_getaddrinfo(
                    evdns_base.cast(),
                    hostname,
                    portbuf.as_ptr(),
                    &hints,
                    Some(hostname_resolved),
                    b.ptr().cast(),
                )
            };
            b.lock();
            // NULL when the callback already ran (a numeric host).
            b.dns_req.set(req.cast());
            b.unlock();
            return 0;
        }
        // SAFETY: zeroed addrinfo hints are valid.
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = family;
        hints.ai_protocol = libc::IPPROTO_TCP;
        hints.ai_socktype = libc::SOCK_STREAM;
        let portbuf = std::ffi::CString::new(port.to_string()).unwrap_or_default();
        let mut ai: *mut libc::addrinfo = std::ptr::null_mut();
        // SAFETY: `hostname` is NULL or a C string of the program's; the
        // other arguments are valid for the call.
        let rc = unsafe { libc::getaddrinfo(hostname, portbuf.as_ptr(), &hints, &mut ai) };
        b.lock();
        b.unsuspend_write(suspend::LOOKUP);
        b.unsuspend_read(suspend::LOOKUP);
        if rc != 0 || ai.is_null() {
            b.dns_error.set(if rc != 0 { rc } else { libc::EAI_FAIL });
            b.run_eventcb(BEV_EVENT_ERROR, 0);
        } else {
            // SAFETY: getaddrinfo succeeded: `ai` is a valid list.
            let (addr, len) = unsafe { ((*ai).ai_addr, (*ai).ai_addrlen as c_int) };
            if connect(b, addr, len) < 0 {
                b.run_eventcb(BEV_EVENT_ERROR, 0);
            }
        }
        if !ai.is_null() {
            // SAFETY: the list getaddrinfo returned, freed once.
            unsafe { libc::freeaddrinfo(ai) };
        }
        b.decref_and_unlock();
        0
    })
}

/// The end of `connect_hostname`'s lookup through evdns.
unsafe extern "C" fn hostname_resolved(result: c_int, ai: *mut libc::addrinfo, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(
            arg as *const Bufferevent,
            "bufferevent_socket_connect_hostname",
        ) else {
            // SAFETY: the list the resolver handed over, freed once.
            unsafe { crate::util::evutil_freeaddrinfo(ai) };
            return;
        };
        b.lock();
        b.dns_req.set(std::ptr::null_mut());
        b.unsuspend_write(suspend::LOOKUP);
        b.unsuspend_read(suspend::LOOKUP);
        if result == crate::util::EVUTIL_EAI_CANCEL {
            // Freed meanwhile: nothing to report.
        } else if result != 0 || ai.is_null() {
            b.dns_error
                .set(if result != 0 { result } else { libc::EAI_FAIL });
            b.run_eventcb(BEV_EVENT_ERROR, 0);
        } else {
            // SAFETY: a successful result: `ai` is a valid list.
            let (addr, len) = unsafe { ((*ai).ai_addr, (*ai).ai_addrlen as c_int) };
            if connect(b, addr, len) < 0 {
                b.run_eventcb(BEV_EVENT_ERROR, 0);
            }
        }
        // SAFETY: the list the resolver handed over, freed once.
        unsafe { crate::util::evutil_freeaddrinfo(ai) };
        b.decref_and_unlock();
    })
}

/// `bufferevent_socket_get_dns_error`.
#[no_mangle]
pub extern "C" fn bufferevent_socket_get_dns_error(bev: *mut Bufferevent) -> c_int {
    guard(0, || {
        bev_ref(bev, "bufferevent_socket_get_dns_error").map_or(0, |b| {
            b.lock();
            let e = b.dns_error.get();
            b.unlock();
            e
        })
    })
}
