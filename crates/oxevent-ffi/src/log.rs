//! event.h's logging hooks: `event_set_log_callback`,
//! `event_set_fatal_callback`, `event_enable_debug_logging`.

use std::ffi::CString;
use std::os::raw::c_int;

use oxevent::log::{self, Severity};

use crate::abi::{event_fatal_cb, event_log_cb};
use crate::boundary::guard;

/// Routes libevent's messages to `cb` (NULL: back to stderr).
#[no_mangle]
pub extern "C" fn event_set_log_callback(cb: Option<event_log_cb>) {
    guard((), || match cb {
        None => log::set_log_callback(None),
        Some(cb) => log::set_log_callback(Some(Box::new(move |sev: Severity, msg: &str| {
            let text = CString::new(msg.replace('\0', " ")).unwrap_or_default();
            // SAFETY: the program registered `cb`; `text` is a valid C string
            // for the duration of the call.
            unsafe { cb(sev as c_int, text.as_ptr()) };
        }))),
    })
}

/// Sets the function called before the process ends on a fatal error.
#[no_mangle]
pub extern "C" fn event_set_fatal_callback(cb: Option<event_fatal_cb>) {
    guard((), || match cb {
        None => log::set_fatal_callback(None),
        Some(cb) => log::set_fatal_callback(Some(Box::new(move |code| {
            // SAFETY: the program registered `cb`.
            unsafe { cb(code) };
        }))),
    })
}

/// Turns debug messages on (`EVENT_DBG_ALL`) or off (`EVENT_DBG_NONE`).
#[no_mangle]
pub extern "C" fn event_enable_debug_logging(which: u32) {
    guard((), || log::enable_debug_logging(which))
}
