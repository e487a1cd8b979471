//! The callback API: `evbuffer_add_cb`, `evbuffer_remove_cb_entry`,
//! `evbuffer_remove_cb`, `evbuffer_cb_set_flags`, `evbuffer_cb_clear_flags`,
//! `evbuffer_defer_callbacks` (and `evbuffer_setcb` for buffer_compat.h).
//!
//! The list itself and how changes reach it live in `handle.rs`; a
//! `struct evbuffer_cb_entry *` is a number unique in the process, never
//! reused and never dereferenced, so a removed or foreign entry is refused
//! instead of followed.

use std::os::raw::{c_int, c_void};

use super::handle::{enter, new_handle, CEntry, CFunc, Session};
use super::{refused, FfiBuffer};
use crate::abi::{evbuffer_cb, evbuffer_cb_func, EVBUFFER_CB_ENABLED, EVBUFFER_CB_USER_FLAGS};
use crate::boundary::guard;
use crate::handle::{base_or_current, FfiBase};

/// What a `struct evbuffer_cb_entry *` stands for (opaque to C).
#[repr(C)]
#[derive(Debug)]
pub struct CbEntry {
    _private: [u8; 0],
}

/// Adds a C callback (newest last in the list, run first).
pub(crate) fn add_entry(s: &Session<'_>, func: CFunc, arg: *mut c_void) -> u64 {
    let handle = new_handle();
    s.meta(|m| {
        // Most buffers carry one or two callbacks (a bufferevent's own):
        // grow one entry at a time instead of doubling to four.
        m.cbs.reserve_exact(1);
        m.cbs.push(CEntry {
            handle,
            func,
            arg: arg as usize,
            flags: EVBUFFER_CB_ENABLED,
        })
    });
    s.ensure_recorder();
    handle
}

/// Removes every C callback (`evbuffer_setcb`).
pub(crate) fn remove_all(s: &Session<'_>) {
    s.meta(|m| m.cbs.clear());
    s.drop_recorder_if_unused();
}

/// `evbuffer_add_cb`.
#[no_mangle]
pub extern "C" fn evbuffer_add_cb(
    buf: *mut FfiBuffer,
    cb: Option<evbuffer_cb_func>,
    cbarg: *mut c_void,
) -> *mut CbEntry {
    guard(std::ptr::null_mut(), || {
        let who = "evbuffer_add_cb";
        let Some(s) = enter(buf, who) else {
            return std::ptr::null_mut();
        };
        if cb.is_none() {
            // libevent keeps it and would call NULL; oxevent keeps it too
            // (the handle works) but never calls it.
            refused(who, &"NULL callback: it will never be called");
        }
        add_entry(&s, CFunc::Info(cb), cbarg) as *mut CbEntry
    })
}

/// Runs `f` on the entry with `handle`; `None` when the buffer has none.
fn with_entry<R>(s: &Session<'_>, handle: u64, f: impl FnOnce(&mut CEntry) -> R) -> Option<R> {
    s.meta(|m| {
        let i = m.cbs.binary_search_by_key(&handle, |e| e.handle).ok()?;
        Some(f(&mut m.cbs[i]))
    })
}

fn remove_handle(s: &Session<'_>, handle: u64) -> bool {
    let found = s.meta(
        |m| match m.cbs.binary_search_by_key(&handle, |e| e.handle) {
            Ok(i) => {
                m.cbs.remove(i);
                true
            }
            Err(_) => false,
        },
    );
    if found {
        s.drop_recorder_if_unused();
    }
    found
}

/// `evbuffer_remove_cb_entry`.
#[no_mangle]
pub extern "C" fn evbuffer_remove_cb_entry(buf: *mut FfiBuffer, ent: *mut CbEntry) -> c_int {
    guard(-1, || {
        let who = "evbuffer_remove_cb_entry";
        let Some(s) = enter(buf, who) else { return -1 };
        if remove_handle(&s, ent as u64) {
            0
        } else {
            refused(who, &"not a callback of this evbuffer (removed already?)");
            -1
        }
    })
}

/// `evbuffer_remove_cb`: the newest callback with this function (of either
/// form) and argument.
#[no_mangle]
pub extern "C" fn evbuffer_remove_cb(
    buf: *mut FfiBuffer,
    cb: Option<evbuffer_cb_func>,
    cbarg: *mut c_void,
) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_remove_cb") else {
            return -1;
        };
        let addr = cb.map_or(0, |f| f as usize);
        let handle = s.meta(|m| {
            m.cbs
                .iter()
                .rev()
                .find(|e| e.func.addr() == addr && e.arg == cbarg as usize)
                .map(|e| e.handle)
        });
        match handle {
            Some(h) if remove_handle(&s, h) => 0,
            _ => -1,
        }
    })
}

/// `evbuffer_cb_set_flags` (user flags only, as libevent masks them).
#[no_mangle]
pub extern "C" fn evbuffer_cb_set_flags(
    buf: *mut FfiBuffer,
    cb: *mut CbEntry,
    flags: u32,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_cb_set_flags";
        let Some(s) = enter(buf, who) else { return -1 };
        match with_entry(&s, cb as u64, |e| e.flags |= flags & EVBUFFER_CB_USER_FLAGS) {
            Some(()) => 0,
            None => {
                refused(who, &"not a callback of this evbuffer");
                -1
            }
        }
    })
}

/// `evbuffer_cb_clear_flags`.
#[no_mangle]
pub extern "C" fn evbuffer_cb_clear_flags(
    buf: *mut FfiBuffer,
    cb: *mut CbEntry,
    flags: u32,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_cb_clear_flags";
        let Some(s) = enter(buf, who) else { return -1 };
        match with_entry(&s, cb as u64, |e| {
            e.flags &= !(flags & EVBUFFER_CB_USER_FLAGS)
        }) {
            Some(()) => 0,
            None => {
                refused(who, &"not a callback of this evbuffer");
                -1
            }
        }
    })
}

/// `evbuffer_defer_callbacks`: a NULL base means the current base
/// (`event_init`'s), where libevent would crash.
#[no_mangle]
pub extern "C" fn evbuffer_defer_callbacks(buf: *mut FfiBuffer, base: *mut FfiBase) -> c_int {
    guard(-1, || {
        let who = "evbuffer_defer_callbacks";
        let Some(s) = enter(buf, who) else { return -1 };
        let Some(b) = base_or_current(base) else {
            refused(who, &"NULL event_base and no current base");
            return -1;
        };
        match s.defer_to(b) {
            Ok(()) => 0,
            Err(why) => {
                refused(who, &why);
                -1
            }
        }
    })
}

/// `evbuffer_setcb` (buffer_compat.h): replaces every callback.
pub(crate) fn setcb(buf: *mut FfiBuffer, cb: Option<evbuffer_cb>, cbarg: *mut c_void) -> c_int {
    let Some(s) = enter(buf, "evbuffer_setcb") else {
        return -1;
    };
    remove_all(&s);
    if let Some(f) = cb {
        add_entry(&s, CFunc::Obsolete(f), cbarg);
    }
    0
}
