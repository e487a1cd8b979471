//! libevent 1.x's bufferevent calls (`event2/bufferevent_compat.h`), which
//! tmux still uses: a socket bufferevent on the current base (the one
//! `event_init` made), and timeouts in whole seconds.

use std::os::raw::{c_int, c_void};

use super::bufferevent_set_timeouts;
use super::socket::bufferevent_socket_new;
use crate::abi::{bufferevent_data_cb, bufferevent_event_cb, Bufferevent};
use crate::boundary::guard;

/// `bufferevent_new`: a socket bufferevent on the current base (or none
/// yet: its events then use the current base when they are added).
#[no_mangle]
pub extern "C" fn bufferevent_new(
    fd: c_int,
    readcb: Option<bufferevent_data_cb>,
    writecb: Option<bufferevent_data_cb>,
    errorcb: Option<bufferevent_event_cb>,
    cbarg: *mut c_void,
) -> *mut Bufferevent {
    guard(std::ptr::null_mut(), || {
        let bev = bufferevent_socket_new(std::ptr::null_mut(), fd, 0);
        if !bev.is_null() {
            super::bufferevent_setcb(bev, readcb, writecb, errorcb, cbarg);
        }
        bev
    })
}

/// `bufferevent_settimeout`: seconds; 0 means none.
#[no_mangle]
pub extern "C" fn bufferevent_settimeout(
    bev: *mut Bufferevent,
    timeout_read: c_int,
    timeout_write: c_int,
) {
    guard((), || {
        let tv = |s: c_int| libc::timeval {
            tv_sec: libc::time_t::from(s),
            tv_usec: 0,
        };
        let (r, w) = (tv(timeout_read), tv(timeout_write));
        let pr = if timeout_read != 0 {
            &r as *const _
        } else {
            std::ptr::null()
        };
        let pw = if timeout_write != 0 {
            &w as *const _
        } else {
            std::ptr::null()
        };
        bufferevent_set_timeouts(bev, pr, pw);
    })
}
