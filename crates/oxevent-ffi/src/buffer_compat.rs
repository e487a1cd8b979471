//! buffer_compat.h: libevent 1.x's evbuffer calls (`evbuffer_readline`,
//! `evbuffer_setcb`, `evbuffer_find`), over the same paths as buffer.h.

use std::os::raw::{c_char, c_void};

use crate::abi::{evbuffer_cb, EVBUFFER_EOL_ANY};
use crate::boundary::guard;
use crate::buffer::handle::{enter, FfiBuffer};

/// `evbuffer_readline`: `evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY)`.
#[no_mangle]
pub extern "C" fn evbuffer_readline(buffer: *mut FfiBuffer) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        match enter(buffer, "evbuffer_readline") {
            Some(s) => crate::buffer::readln_in(&s, "evbuffer_readline", EVBUFFER_EOL_ANY).0,
            None => std::ptr::null_mut(),
        }
    })
}

/// `evbuffer_setcb`: replaces every callback with the 1.x callback `cb`
/// (NULL: removes them all).
#[no_mangle]
pub extern "C" fn evbuffer_setcb(
    buffer: *mut FfiBuffer,
    cb: Option<evbuffer_cb>,
    cbarg: *mut c_void,
) -> std::os::raw::c_int {
    guard(-1, || crate::buffer::setcb(buffer, cb, cbarg))
}

/// `evbuffer_find`: the first occurrence of `what`, in memory made
/// contiguous up to its end; NULL when absent (or `len` is 0).
#[no_mangle]
pub extern "C" fn evbuffer_find(buffer: *mut FfiBuffer, what: *const u8, len: usize) -> *mut u8 {
    guard(std::ptr::null_mut(), || {
        let who = "evbuffer_find";
        let Some(s) = enter(buffer, who) else {
            return std::ptr::null_mut();
        };
        let Some(n) = crate::buffer::checked_len(who, what as *const c_void, len) else {
            return std::ptr::null_mut();
        };
        let needle = crate::buffer::bytes(what as *const c_void, n);
        let at = match s.read(|b| b.search(needle, None)) {
            Ok(Some(p)) => p.offset(),
            Ok(None) => return std::ptr::null_mut(),
            Err(e) => {
                crate::buffer::refused(who, &e);
                return std::ptr::null_mut();
            }
        };
        let p = crate::buffer::pullup(&s, (at + n) as isize);
        if p.is_null() {
            return p;
        }
        // SAFETY: `p` points at `at + n` contiguous bytes.
        unsafe { p.add(at) }
    })
}
