//! `struct evconnlistener` (`event2/listener.h`): accepts connections on
//! a listening socket and hands each to the program's callback, as
//! libevent's `listener.c`.
//!
//! The listener is opaque to programs; its memory holds a read event on
//! the socket (a C event of this crate) and a timer. Each readable event
//! accepts in a loop (`accept4` with `SOCK_NONBLOCK` unless
//! `LEV_OPT_LEAVE_SOCKETS_BLOCKING`, `SOCK_CLOEXEC` with
//! `LEV_OPT_CLOSE_ON_EXEC`) until it would block, the callback disables
//! the listener, or the listener is freed from its own callback (the
//! memory stays until the callback returns: a reference count, as in
//! libevent).
//!
//! Improvement over libevent: when `accept` fails because descriptors or
//! memory ran out (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), libevent
//! calls the error callback and returns with the connection still queued,
//! so the loop wakes again at once and spins at 100% CPU until a
//! descriptor frees up. oxevent calls the error callback the same way,
//! then pauses accepting for [`PAUSE_MS`] milliseconds (a log line says
//! so) and tries again.

use std::cell::{Cell, UnsafeCell};
use std::os::raw::{c_int, c_short, c_uint, c_void};

use crate::abi::{
    evconnlistener_cb, evconnlistener_errorcb, Event, EV_PERSIST, EV_READ, LEV_OPT_BIND_IPV6ONLY,
    LEV_OPT_CLOSE_ON_EXEC, LEV_OPT_CLOSE_ON_FREE, LEV_OPT_DEFERRED_ACCEPT, LEV_OPT_DISABLED,
    LEV_OPT_LEAVE_SOCKETS_BLOCKING, LEV_OPT_REUSEABLE, LEV_OPT_REUSEABLE_PORT, LEV_OPT_THREADSAFE,
};
use crate::boundary::{guard, warnx};
use crate::buffer::handle::Lock;
use crate::event::{event_add, event_assign, event_del, event_forget, event_get_base};
use crate::handle::FfiBase;
use crate::util::errno;

/// Marks a live listener ("oxlisten").
const MAGIC: u64 = 0x6f78_6c69_7374_656e;

/// How long accepting pauses after running out of descriptors or memory.
pub const PAUSE_MS: i64 = 100;

/// What a `struct evconnlistener *` points to.
pub struct Listener {
    magic: Cell<u64>,
    /// The read event on the listening socket.
    ev: UnsafeCell<Event>,
    /// The timer that ends a pause.
    retry: UnsafeCell<Event>,
    cb: Cell<Option<evconnlistener_cb>>,
    errorcb: Cell<Option<evconnlistener_errorcb>>,
    user_data: Cell<*mut c_void>,
    flags: c_uint,
    refcnt: Cell<u32>,
    enabled: Cell<bool>,
    paused: Cell<bool>,
    accept_flags: c_int,
    lock: Option<Lock>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}

/// Borrows a listener from C (`None` and a log line for NULL or a pointer
/// that is not a live listener).
fn lev_ref<'a>(p: *const Listener, who: &str) -> Option<&'a Listener> {
    // SAFETY: per libevent's contract `p` is NULL or a listener this
    // library returned and the program has not freed.
    match unsafe { p.as_ref() } {
        Some(l) if l.magic.get() == MAGIC => Some(l),
        Some(_) => {
            warnx(&format!("{who}: not a live evconnlistener"));
            None
        }
        None => {
            warnx(&format!("{who}: NULL evconnlistener"));
            None
        }
    }
}

impl Listener {
    fn ev(&self) -> *mut Event {
        self.ev.get()
    }

    fn lock(&self) {
        if let Some(l) = &self.lock {
            l.lock();
        }
    }

    fn unlock(&self) {
        if let Some(l) = &self.lock {
            l.unlock();
        }
    }

    fn fd(&self) -> c_int {
        // SAFETY: a field of the live event, read by value.
        unsafe { (*self.ev()).ev_fd }
    }

    /// Drops a reference and the lock; frees the listener on the last one.
    fn decref_and_unlock(&self) -> bool {
        let n = self.refcnt.get() - 1;
        self.refcnt.set(n);
        if n > 0 {
            self.unlock();
            return false;
        }
        event_forget(self.ev());
        event_forget(self.retry.get());
        if self.flags & LEV_OPT_CLOSE_ON_FREE != 0 {
            // SAFETY: the program handed this socket to the listener to close.
            unsafe { libc::close(self.fd()) };
        }
        self.unlock();
        self.magic.set(0);
        let p = self as *const Listener as *mut Listener;
        // SAFETY: `p` came from `Box::into_raw` in `new_listener`; the last
        // reference is gone (no callback of this listener is running).
        drop(unsafe { Box::from_raw(p) });
        true
    }

    fn enable_event(&self) -> c_int {
        if self.paused.get() {
            return 0;
        }
        event_add(self.ev(), std::ptr::null())
    }
}

/// `evconnlistener_new`.
#[no_mangle]
pub extern "C" fn evconnlistener_new(
    base: *mut FfiBase,
    cb: Option<evconnlistener_cb>,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: c_int,
) -> *mut Listener {
    guard(std::ptr::null_mut(), || {
        new_listener(base, cb, ptr, flags, backlog, fd)
    })
}

fn new_listener(
    base: *mut FfiBase,
    cb: Option<evconnlistener_cb>,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: c_int,
) -> *mut Listener {
    if backlog != 0 {
        let n = if backlog > 0 { backlog } else { 128 };
        // SAFETY: plain listen(2) on the program's descriptor.
        if unsafe { libc::listen(fd, n) } < 0 {
            return std::ptr::null_mut();
        }
    }
    let lock = if flags & LEV_OPT_THREADSAFE != 0 {
        Lock::new_own(crate::thread::program_lock_callbacks())
    } else {
        None
    };
    let mut accept_flags = 0;
    if flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING == 0 {
        accept_flags |= libc::SOCK_NONBLOCK;
    }
    if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
        accept_flags |= libc::SOCK_CLOEXEC;
    }
    let l = Box::into_raw(Box::new(Listener {
        magic: Cell::new(MAGIC),
        ev: UnsafeCell::new(Event::zeroed()),
        retry: UnsafeCell::new(Event::zeroed()),
        cb: Cell::new(cb),
        errorcb: Cell::new(None),
        user_data: Cell::new(ptr),
        flags,
        refcnt: Cell::new(1),
        enabled: Cell::new(false),
        paused: Cell::new(false),
        accept_flags,
        lock,
    }));
    // SAFETY: just allocated; shared references only from here on.
    let lr = unsafe { &*l };
    event_assign(
        lr.ev(),
        base,
        fd,
        EV_READ | EV_PERSIST,
        Some(read_cb),
        l as *mut c_void,
    );
    event_assign(
        lr.retry.get(),
        base,
        -1,
        0,
        Some(retry_cb),
        l as *mut c_void,
    );
    if flags & LEV_OPT_DISABLED == 0 {
        evconnlistener_enable(l);
    }
    l
}

/// Sets an int socket option to 1.
fn sockopt_on(fd: c_int, level: c_int, name: c_int) -> bool {
    let on: c_int = 1;
    // SAFETY: `on` is a valid int option value of the size given.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &on as *const c_int as *const c_void,
            std::mem::size_of::<c_int>() as libc::socklen_t,
        ) == 0
    }
}

/// `evconnlistener_new_bind`.
#[no_mangle]
pub extern "C" fn evconnlistener_new_bind(
    base: *mut FfiBase,
    cb: Option<evconnlistener_cb>,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    sa: *const libc::sockaddr,
    socklen: c_int,
) -> *mut Listener {
    guard(std::ptr::null_mut(), || {
        if backlog == 0 {
            return std::ptr::null_mut();
        }
        // SAFETY: NULL or the program's address, per the API.
        let family = unsafe { sa.as_ref() }.map_or(libc::AF_UNSPEC, |a| c_int::from(a.sa_family));
        let mut ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
        if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
            ty |= libc::SOCK_CLOEXEC;
        }
        // SAFETY: plain socket creation.
        let fd = unsafe { libc::socket(family, ty, 0) };
        if fd == -1 {
            return std::ptr::null_mut();
        }
        let fail = |fd: c_int| {
            let e = errno();
            // SAFETY: the socket made above, never handed out.
            unsafe { libc::close(fd) };
            crate::util::set_errno(e);
            std::ptr::null_mut()
        };
        if !sockopt_on(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE) {
            return fail(fd);
        }
        if flags & LEV_OPT_REUSEABLE != 0 && !sockopt_on(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR) {
            return fail(fd);
        }
        if flags & LEV_OPT_REUSEABLE_PORT != 0
            && !sockopt_on(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT)
        {
            return fail(fd);
        }
        if flags & LEV_OPT_DEFERRED_ACCEPT != 0
            && !sockopt_on(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT)
        {
            return fail(fd);
        }
        // Set whatever the family: an AF_INET socket refuses it, and the
        // listener is not made, as libevent does.
        if flags & LEV_OPT_BIND_IPV6ONLY != 0
            && !sockopt_on(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
        {
            return fail(fd);
        }
        // SAFETY: the program's address of `socklen` bytes, per the API.
        if !sa.is_null() && unsafe { libc::bind(fd, sa, socklen as libc::socklen_t) } < 0 {
            return fail(fd);
        }
        let l = new_listener(base, cb, ptr, flags, backlog, fd);
        if l.is_null() {
            return fail(fd);
        }
        l
    })
}

/// `evconnlistener_free`.
#[no_mangle]
pub extern "C" fn evconnlistener_free(lev: *mut Listener) {
    guard((), || {
        let Some(l) = lev_ref(lev, "evconnlistener_free") else {
            return;
        };
        l.lock();
        l.cb.set(None);
        l.errorcb.set(None);
        event_del(l.ev());
        event_del(l.retry.get());
        l.decref_and_unlock();
    })
}

/// `evconnlistener_enable`.
#[no_mangle]
pub extern "C" fn evconnlistener_enable(lev: *mut Listener) -> c_int {
    guard(-1, || {
        let Some(l) = lev_ref(lev, "evconnlistener_enable") else {
            return -1;
        };
        l.lock();
        l.enabled.set(true);
        let r = if l.cb.get().is_some() {
            l.enable_event()
        } else {
            0
        };
        l.unlock();
        r
    })
}

/// `evconnlistener_disable`.
#[no_mangle]
pub extern "C" fn evconnlistener_disable(lev: *mut Listener) -> c_int {
    guard(-1, || {
        let Some(l) = lev_ref(lev, "evconnlistener_disable") else {
            return -1;
        };
        l.lock();
        l.enabled.set(false);
        let r = event_del(l.ev());
        l.unlock();
        r
    })
}

/// `evconnlistener_get_base`.
#[no_mangle]
pub extern "C" fn evconnlistener_get_base(lev: *mut Listener) -> *mut FfiBase {
    guard(std::ptr::null_mut(), || {
        lev_ref(lev, "evconnlistener_get_base")
            .map_or(std::ptr::null_mut(), |l| event_get_base(l.ev()))
    })
}

/// `evconnlistener_get_fd`.
#[no_mangle]
pub extern "C" fn evconnlistener_get_fd(lev: *mut Listener) -> c_int {
    guard(-1, || {
        lev_ref(lev, "evconnlistener_get_fd").map_or(-1, |l| l.fd())
    })
}

/// `evconnlistener_set_cb`: a NULL callback keeps the listener enabled
/// but idle (a connection that arrives meanwhile is closed, as libevent
/// does); setting one again resumes.
#[no_mangle]
pub extern "C" fn evconnlistener_set_cb(
    lev: *mut Listener,
    cb: Option<evconnlistener_cb>,
    arg: *mut c_void,
) {
    guard((), || {
        let Some(l) = lev_ref(lev, "evconnlistener_set_cb") else {
            return;
        };
        l.lock();
        let enable = l.enabled.get() && l.cb.get().is_none();
        l.cb.set(cb);
        l.user_data.set(arg);
        if enable {
            evconnlistener_enable(lev);
        }
        l.unlock();
    })
}

/// `evconnlistener_set_error_cb`.
#[no_mangle]
pub extern "C" fn evconnlistener_set_error_cb(
    lev: *mut Listener,
    errorcb: Option<evconnlistener_errorcb>,
) {
    guard((), || {
        if let Some(l) = lev_ref(lev, "evconnlistener_set_error_cb") {
            l.lock();
            l.errorcb.set(errorcb);
            l.unlock();
        }
    })
}

/// Whether a failed accept is worth retrying at once
/// (`EVUTIL_ERR_ACCEPT_RETRIABLE`).
fn accept_retriable(err: c_int) -> bool {
    matches!(err, libc::EINTR | libc::EAGAIN | libc::ECONNABORTED)
}

/// The read event's callback: accepts until it would block.
extern "C" fn read_cb(fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(l) = lev_ref(arg as *const Listener, "evconnlistener") else {
            return;
        };
        l.lock();
        loop {
            // SAFETY: zeroed sockaddr_storage is a valid out-buffer.
            let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: `ss`/`len` are a valid address buffer and its size.
            let new_fd = unsafe {
                libc::accept4(
                    fd,
                    &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr,
                    &mut len,
                    l.accept_flags,
                )
            };
            if new_fd < 0 {
                break;
            }
            if len == 0 {
                // SAFETY: the descriptor accept4 just returned.
                unsafe { libc::close(new_fd) };
                continue;
            }
            let Some(cb) = l.cb.get() else {
                // SAFETY: as above: nobody wants it.
                unsafe { libc::close(new_fd) };
                l.unlock();
                return;
            };
            l.refcnt.set(l.refcnt.get() + 1);
            let user = l.user_data.get();
            l.unlock();
            // SAFETY: the program's callback with its argument, as libevent
            // calls it; the listener stays alive (reference held).
            unsafe {
                cb(
                    l as *const Listener as *mut c_void,
                    new_fd,
                    &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr,
                    len as c_int,
                    user,
                )
            };
            l.lock();
            if l.refcnt.get() == 1 {
                l.decref_and_unlock();
                return;
            }
            l.refcnt.set(l.refcnt.get() - 1);
            if !l.enabled.get() {
                l.unlock();
                return;
            }
        }
        let err = errno();
        if accept_retriable(err) {
            l.unlock();
            return;
        }
        let exhausted = matches!(
            err,
            libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM
        );
        if exhausted {
            pause(l, err);
        }
        if let Some(ecb) = l.errorcb.get() {
            l.refcnt.set(l.refcnt.get() + 1);
            let user = l.user_data.get();
            l.unlock();
            crate::util::set_errno(err);
            // SAFETY: as above, for the error callback.
            unsafe { ecb(l as *const Listener as *mut c_void, user) };
            l.lock();
            l.decref_and_unlock();
        } else {
            if !exhausted {
                warnx(&format!(
                    "Error from accept() call: {}",
                    std::io::Error::from_raw_os_error(err)
                ));
            }
            l.unlock();
        }
    })
}

/// Stops accepting for [`PAUSE_MS`] (improvement: no busy loop).
fn pause(l: &Listener, err: c_int) {
    warnx(&format!(
        "evconnlistener: accept() failed: {}; pausing accepts for {PAUSE_MS} ms",
        std::io::Error::from_raw_os_error(err)
    ));
    l.paused.set(true);
    event_del(l.ev());
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: (PAUSE_MS * 1000) as libc::suseconds_t,
    };
    event_add(l.retry.get(), &tv);
}

/// The pause's timer: accepting resumes if the listener is still enabled.
extern "C" fn retry_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(l) = lev_ref(arg as *const Listener, "evconnlistener") else {
            return;
        };
        l.lock();
        l.paused.set(false);
        if l.enabled.get() && l.cb.get().is_some() {
            l.enable_event();
        }
        l.unlock();
    })
}
