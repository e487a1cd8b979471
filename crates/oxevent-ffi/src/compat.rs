//! event_compat.h: libevent 1.x's API over one implicit "current" base.

use std::os::raw::{c_char, c_int, c_short, c_void};
use std::sync::atomic::Ordering;

use crate::abi::{event_callback_fn, Event};
use crate::boundary::{guard, warnx};
use crate::event::{
    event_assign, event_base_get_method, event_base_loop, event_base_loopbreak,
    event_base_loopexit, event_base_new, event_base_once, event_base_priority_init,
};
use crate::handle::{FfiBase, CURRENT_BASE};

fn current() -> *mut FfiBase {
    CURRENT_BASE.load(Ordering::Acquire)
}

/// `event_init`: creates a base and makes it the current one.
#[no_mangle]
pub extern "C" fn event_init() -> *mut FfiBase {
    guard(std::ptr::null_mut(), || {
        let b = event_base_new();
        if !b.is_null() {
            CURRENT_BASE.store(b, Ordering::Release);
        }
        b
    })
}

/// `event_dispatch`.
#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    event_base_loop(current(), 0)
}

/// `event_loop`.
#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    event_base_loop(current(), flags)
}

/// `event_loopexit`.
#[no_mangle]
pub extern "C" fn event_loopexit(tv: *const libc::timeval) -> c_int {
    event_base_loopexit(current(), tv)
}

/// `event_loopbreak`.
#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    event_base_loopbreak(current())
}

/// `event_once`.
#[no_mangle]
pub extern "C" fn event_once(
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    event_base_once(current(), fd, events, cb, arg, tv)
}

/// `event_get_method`: the current base's backend.
#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    event_base_get_method(current())
}

/// `event_priority_init`.
#[no_mangle]
pub extern "C" fn event_priority_init(n: c_int) -> c_int {
    event_base_priority_init(current(), n)
}

/// `event_set`: `event_assign` with the current base (which may not exist
/// yet; `event_base_set` can supply one later).
#[no_mangle]
pub extern "C" fn event_set(
    ev: *mut Event,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
) {
    guard((), || {
        if event_assign(ev, current(), fd, events, cb, arg) != 0 {
            warnx("event_set: the event could not be assigned");
        }
    })
}
