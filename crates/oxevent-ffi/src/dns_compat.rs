//! dns_compat.h: libevent 1.x's evdns calls on one global `evdns_base`.
//!
//! `evdns_init` makes it on the current event base (`event_init`'s) and
//! reads `/etc/resolv.conf`; the other calls use it, making it first (with
//! no nameserver) if the program skipped `evdns_init`, where libevent would
//! dereference NULL. (`evdns_add_server_port` is in `dns_server.rs`.)

use std::ffi::{c_char, c_int, c_ulong, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::boundary::{guard, warnx};
use crate::dns::{
    evdns_base_clear_nameservers_and_suspend, evdns_base_count_nameservers, evdns_base_free,
    evdns_base_nameserver_add, evdns_base_nameserver_ip_add, evdns_base_new,
    evdns_base_resolve_ipv4, evdns_base_resolve_ipv6, evdns_base_resolve_reverse,
    evdns_base_resolve_reverse_ipv6, evdns_base_resume, evdns_base_search_add,
    evdns_base_search_clear, evdns_base_search_ndots_set, evdns_callback_type, EvdnsBase,
};
use crate::handle::CURRENT_BASE;

static GLOBAL: AtomicPtr<EvdnsBase> = AtomicPtr::new(std::ptr::null_mut());

/// The global base, made on the current event base if there is none.
fn global() -> *mut EvdnsBase {
    let g = GLOBAL.load(Ordering::Acquire);
    if !g.is_null() {
        return g;
    }
    let base = CURRENT_BASE.load(Ordering::Acquire);
    if base.is_null() {
        warnx("evdns: no global evdns_base and no current event_base (call event_init first)");
        return std::ptr::null_mut();
    }
    let d = evdns_base_new(base, 0);
    if GLOBAL
        .compare_exchange(std::ptr::null_mut(), d, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        evdns_base_free(d, 0);
    }
    GLOBAL.load(Ordering::Acquire)
}

/// `evdns_init`: 0, or -1 without a current event base.
#[no_mangle]
pub extern "C" fn evdns_init() -> c_int {
    guard(-1, || {
        if !GLOBAL.load(Ordering::Acquire).is_null() {
            return 0;
        }
        let base = CURRENT_BASE.load(Ordering::Acquire);
        if base.is_null() {
            warnx("evdns_init: no current event_base (call event_init first)");
            return -1;
        }
        let d = evdns_base_new(base, 1);
        if d.is_null() {
            return -1;
        }
        if GLOBAL
            .compare_exchange(std::ptr::null_mut(), d, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            evdns_base_free(d, 0);
        }
        0
    })
}

/// `evdns_get_global_base`.
#[no_mangle]
pub extern "C" fn evdns_get_global_base() -> *mut EvdnsBase {
    GLOBAL.load(Ordering::Acquire)
}

/// `evdns_shutdown`.
#[no_mangle]
pub extern "C" fn evdns_shutdown(fail_requests: c_int) {
    guard((), || {
        let d = GLOBAL.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !d.is_null() {
            evdns_base_free(d, fail_requests);
        }
    })
}

/// `evdns_nameserver_add`.
#[no_mangle]
pub extern "C" fn evdns_nameserver_add(address: c_ulong) -> c_int {
    evdns_base_nameserver_add(global(), address)
}

/// `evdns_count_nameservers`.
#[no_mangle]
pub extern "C" fn evdns_count_nameservers() -> c_int {
    evdns_base_count_nameservers(global())
}

/// `evdns_clear_nameservers_and_suspend`.
#[no_mangle]
pub extern "C" fn evdns_clear_nameservers_and_suspend() -> c_int {
    evdns_base_clear_nameservers_and_suspend(global())
}

/// `evdns_resume`.
#[no_mangle]
pub extern "C" fn evdns_resume() -> c_int {
    evdns_base_resume(global())
}

/// `evdns_nameserver_ip_add`.
#[no_mangle]
pub extern "C" fn evdns_nameserver_ip_add(ip: *const c_char) -> c_int {
    evdns_base_nameserver_ip_add(global(), ip)
}

/// `evdns_resolve_ipv4`: 0 (started) or -1.
#[no_mangle]
pub extern "C" fn evdns_resolve_ipv4(
    name: *const c_char,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> c_int {
    -(evdns_base_resolve_ipv4(global(), name, flags, cb, arg).is_null() as c_int)
}

/// `evdns_resolve_ipv6`.
#[no_mangle]
pub extern "C" fn evdns_resolve_ipv6(
    name: *const c_char,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> c_int {
    -(evdns_base_resolve_ipv6(global(), name, flags, cb, arg).is_null() as c_int)
}

/// `evdns_resolve_reverse`.
#[no_mangle]
pub extern "C" fn evdns_resolve_reverse(
    addr: *const libc::in_addr,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> c_int {
    -(evdns_base_resolve_reverse(global(), addr, flags, cb, arg).is_null() as c_int)
}

/// `evdns_resolve_reverse_ipv6`.
#[no_mangle]
pub extern "C" fn evdns_resolve_reverse_ipv6(
    addr: *const libc::in6_addr,
    flags: c_int,
    cb: Option<evdns_callback_type>,
    arg: *mut c_void,
) -> c_int {
    -(evdns_base_resolve_reverse_ipv6(global(), addr, flags, cb, arg).is_null() as c_int)
}

/// `evdns_set_option`: as `evdns_base_set_option`, applied only when
/// `flags` include the option's `DNS_OPTION_*` kind.
#[no_mangle]
pub extern "C" fn evdns_set_option(
    option: *const c_char,
    val: *const c_char,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        let Some(d) = crate::dns::dns_ref(global(), "evdns_set_option") else {
            return -1;
        };
        if option.is_null() || val.is_null() {
            warnx("evdns_set_option: NULL option or value");
            return -1;
        }
        // SAFETY: NUL-terminated strings, per the API.
        let (o, v) = unsafe {
            (
                std::ffi::CStr::from_ptr(option).to_string_lossy(),
                std::ffi::CStr::from_ptr(val).to_string_lossy(),
            )
        };
        crate::dns_conf::set_option(d, &o, &v, flags as u32)
    })
}

/// `evdns_resolv_conf_parse`.
#[no_mangle]
pub extern "C" fn evdns_resolv_conf_parse(flags: c_int, filename: *const c_char) -> c_int {
    crate::dns_conf::evdns_base_resolv_conf_parse(global(), flags, filename)
}

/// `evdns_search_clear`.
#[no_mangle]
pub extern "C" fn evdns_search_clear() {
    evdns_base_search_clear(global())
}

/// `evdns_search_add`.
#[no_mangle]
pub extern "C" fn evdns_search_add(domain: *const c_char) {
    evdns_base_search_add(global(), domain)
}

/// `evdns_search_ndots_set`.
#[no_mangle]
pub extern "C" fn evdns_search_ndots_set(ndots: c_int) {
    evdns_base_search_ndots_set(global(), ndots)
}
