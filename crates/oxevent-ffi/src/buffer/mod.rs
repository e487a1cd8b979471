//! buffer.h: the evbuffer API (49 functions; buffer_compat.h's three are in
//! `crate::buffer_compat`, and `evbuffer_add_printf`/`evbuffer_add_vprintf`
//! in `shim.c`).
//!
//! Each export checks its arguments, converts them, enters the buffer
//! (`handle::enter`: the lock, nesting, lifetime) and delegates to the
//! engine's [`oxevent::buffer::Buffer`], then reports length changes to the
//! C callbacks. Refusals give libevent's return value and, where libevent
//! is silent, a log line through the log callback; the log line is written
//! after the engine call, never during it.
//!
//! Files: `handle.rs` (the C object, locking, callbacks plumbing),
//! `search.rs` (positions, search, lines, peek), `files.rs` (references,
//! file segments, sockets), `callbacks.rs` (the callback API).
//!
//! # What this module owns
//!
//! The C types' meaning only: `struct evbuffer *` is an [`FfiBuffer`]
//! (`handle.rs`), `struct evbuffer_ptr` an offset plus a stamp that tells a
//! position of this buffer's current content from a stale or foreign one
//! (`search.rs`), `struct evbuffer_iovec` a `struct iovec` (`abi.rs`, with
//! libevent's layout asserted there and in `tests/c/evbuffer_layout.c`).
//! The bytes, chunks, searches and I/O are the engine's
//! ([`oxevent::buffer`]).
//!
//! # What it must never do
//!
//! Let a panic unwind into C (every export runs inside `guard`), read or
//! write the program's memory beyond the lengths the program passed, hand
//! the engine a pointer into the program's memory that outlives the call
//! (references are wrapped with their cleanup, never borrowed), or call a C
//! callback while the engine is inside a call (`handle.rs`).
//!
//! # Where it differs from libevent 2.1.12, on purpose
//!
//! Same return values, plus a log line through the log callback where
//! libevent is silent (`tests/c/improved_evbuffer_bad_input_logs.c`):
//! adds that cannot fit, drains past the end (except `(size_t)-1`, the
//! "drain everything" idiom), expansions beyond memory, positions past the
//! end, stale or from another buffer, `EVBUFFER_PTR_*` modes out of range,
//! commits that do not match the reservation or come after the buffer
//! changed, writes to a frozen end, file segments on a closed or
//! too-short descriptor. Where libevent crashes or reads garbage, ours
//! refuses: `evbuffer_copyout_from` at the end position or from a position
//! of -1 (libevent dereferences a NULL chain), a file shorter than the
//! segment's range (libevent maps it: zeros, or `SIGBUS` a page further;
//! ours reads with `pread` and refuses), `evbuffer_write_atmost` with
//! `EVBUFFER_FLAG_DRAINS_TO_FD` (libevent's `sendfile` ignores the limit,
//! `tests/c/improved_evbuffer_sendfile_atmost.c`).

mod callbacks;
mod files;
pub(crate) mod handle;
mod search;

use std::io::IoSlice;
use std::os::raw::{c_int, c_void};

use oxevent::buffer::{BufferFlags, Side};

use crate::abi::{ev_ssize_t, EvbufferIovec};
use crate::boundary::{guard, warnx};
use handle::{enter, enter2, new_buffer, op2, FfiBuffer, Lock};

pub use callbacks::*;
pub use files::*;
pub use search::*;

/// Logs a refused call.
#[cold]
#[inline(never)]
pub(crate) fn refused(who: &str, why: &dyn std::fmt::Display) {
    warnx(&format!("{who}: {why}"));
}

/// `len` bytes at `p` as a slice (the caller checked `p` is not NULL and
/// `len` at most `isize::MAX`).
#[inline]
pub(crate) fn bytes<'a>(p: *const c_void, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: the program passes `len` readable bytes at `p` (libevent's
    // contract); the caller checked `p` is not NULL and `len <= isize::MAX`.
    unsafe { std::slice::from_raw_parts(p as *const u8, len) }
}

/// `len` writable bytes at `p` (same checks as [`bytes`]).
#[inline]
pub(crate) fn bytes_mut<'a>(p: *mut c_void, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: the program passes at least `len` writable bytes at `p`; the
    // caller checked `p` is not NULL and bounded `len` by the bytes it will
    // copy, which libevent's contract makes room for.
    unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) }
}

/// Checks a (pointer, length) pair of the program's: `None` after a log
/// line when the pointer is NULL with bytes to read, or the length is
/// beyond what a slice (or a buffer) can hold.
#[inline]
pub(crate) fn checked_len(who: &str, p: *const c_void, len: usize) -> Option<usize> {
    if len > isize::MAX as usize {
        refused(who, &format_args!("length {len} is out of range"));
        return None;
    }
    if p.is_null() && len > 0 {
        refused(who, &"NULL data");
        return None;
    }
    Some(len)
}

/// `evbuffer_new`.
#[no_mangle]
pub extern "C" fn evbuffer_new() -> *mut FfiBuffer {
    guard(std::ptr::null_mut(), new_buffer)
}

/// `evbuffer_free`.
#[no_mangle]
pub extern "C" fn evbuffer_free(buf: *mut FfiBuffer) {
    guard((), || {
        let Some(s) = enter(buf, "evbuffer_free") else {
            return;
        };
        if !s.release() {
            refused("evbuffer_free", &"the evbuffer was freed already");
        }
    })
}

/// `evbuffer_enable_locking`.
#[no_mangle]
pub extern "C" fn evbuffer_enable_locking(buf: *mut FfiBuffer, lock: *mut c_void) -> c_int {
    guard(-1, || {
        let who = "evbuffer_enable_locking";
        let Some(s) = enter(buf, who) else { return -1 };
        if s.has_lock() {
            return -1; // libevent: already locked, silently
        }
        let cbs = crate::thread::program_lock_callbacks();
        let threads = crate::handle::THREADING.load(std::sync::atomic::Ordering::Relaxed);
        let l = if lock.is_null() {
            if cbs.is_none() && !threads {
                // libevent allocates through its lock functions, which do
                // not exist until thread support is set up.
                refused(
                    who,
                    &"no lock functions: call evthread_use_pthreads() or evthread_set_lock_callbacks() first",
                );
                return -1;
            }
            match Lock::new_own(cbs) {
                Some(l) => l,
                None => {
                    refused(who, &"could not allocate a lock");
                    return -1;
                }
            }
        } else if let Some(cbs) = cbs {
            Lock::Program {
                cbs,
                lock: lock as usize,
                owned: false,
            }
        } else if threads {
            Lock::Pthread(lock as usize)
        } else {
            refused(
                who,
                &"a lock was given but no lock functions are set up (evthread_use_pthreads)",
            );
            return -1;
        };
        match s.set_lock(l) {
            Ok(()) => 0,
            Err(_) => {
                refused(
                    who,
                    &"cannot enable locking from inside a call on the buffer",
                );
                -1
            }
        }
    })
}

/// `evbuffer_lock`.
#[no_mangle]
pub extern "C" fn evbuffer_lock(buf: *mut FfiBuffer) {
    guard((), || {
        if let Some(s) = enter(buf, "evbuffer_lock") {
            s.lock_held();
        }
    })
}

/// `evbuffer_unlock`.
#[no_mangle]
pub extern "C" fn evbuffer_unlock(buf: *mut FfiBuffer) {
    guard((), || {
        if let Some(s) = enter(buf, "evbuffer_unlock") {
            if !s.unlock_held() {
                refused(
                    "evbuffer_unlock",
                    &"the buffer is not locked by this thread",
                );
            }
        }
    })
}

/// `evbuffer_set_flags`.
#[no_mangle]
pub extern "C" fn evbuffer_set_flags(buf: *mut FfiBuffer, flags: u64) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_set_flags") else {
            return -1;
        };
        s.op(|b| b.set_flags(BufferFlags::from_bits(flags as u32)));
        0
    })
}

/// `evbuffer_clear_flags`.
#[no_mangle]
pub extern "C" fn evbuffer_clear_flags(buf: *mut FfiBuffer, flags: u64) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_clear_flags") else {
            return -1;
        };
        s.op(|b| b.clear_flags(BufferFlags::from_bits(flags as u32)));
        0
    })
}

/// `evbuffer_get_length`.
#[no_mangle]
pub extern "C" fn evbuffer_get_length(buf: *const FfiBuffer) -> usize {
    guard(0, || match enter(buf, "evbuffer_get_length") {
        Some(s) => s.read(|b| b.len()),
        None => 0,
    })
}

/// `evbuffer_get_contiguous_space`.
#[no_mangle]
pub extern "C" fn evbuffer_get_contiguous_space(buf: *const FfiBuffer) -> usize {
    guard(0, || match enter(buf, "evbuffer_get_contiguous_space") {
        Some(s) => s.read(|b| b.contiguous_space()),
        None => 0,
    })
}

/// `evbuffer_expand`.
#[no_mangle]
pub extern "C" fn evbuffer_expand(buf: *mut FfiBuffer, datlen: usize) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_expand") else {
            return -1;
        };
        match s.op(|b| b.expand(datlen)) {
            Ok(()) => 0,
            Err(e) => {
                refused("evbuffer_expand", &e);
                -1
            }
        }
    })
}

/// `evbuffer_add`.
#[no_mangle]
pub extern "C" fn evbuffer_add(buf: *mut FfiBuffer, data: *const c_void, datlen: usize) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add";
        let Some(s) = enter(buf, who) else { return -1 };
        let Some(n) = checked_len(who, data, datlen) else {
            return -1;
        };
        let r = s.op(|b| b.add(bytes(data, n)));
        s.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_prepend`.
#[no_mangle]
pub extern "C" fn evbuffer_prepend(buf: *mut FfiBuffer, data: *const c_void, size: usize) -> c_int {
    guard(-1, || {
        let who = "evbuffer_prepend";
        let Some(s) = enter(buf, who) else { return -1 };
        let Some(n) = checked_len(who, data, size) else {
            return -1;
        };
        let r = s.op(|b| b.prepend(bytes(data, n)));
        s.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_add_iovec`: all or nothing; returns the bytes added.
#[no_mangle]
pub extern "C" fn evbuffer_add_iovec(
    buf: *mut FfiBuffer,
    vec: *mut EvbufferIovec,
    n_vec: c_int,
) -> usize {
    guard(0, || {
        let who = "evbuffer_add_iovec";
        let Some(s) = enter(buf, who) else { return 0 };
        if n_vec <= 0 {
            return 0;
        }
        if vec.is_null() {
            refused(who, &"NULL iovec array");
            return 0;
        }
        // SAFETY: the program passes `n_vec` iovecs at `vec`.
        let vecs = unsafe { std::slice::from_raw_parts(vec, n_vec as usize) };
        let mut slices = Vec::with_capacity(vecs.len());
        for v in vecs {
            let Some(n) = checked_len(who, v.iov_base, v.iov_len) else {
                return 0;
            };
            slices.push(IoSlice::new(bytes(v.iov_base, n)));
        }
        let r = s.op(|b| b.add_vectored(&slices));
        s.after_change();
        match r {
            Ok(n) => n,
            Err(e) => {
                refused(who, &e);
                0
            }
        }
    })
}

/// `evbuffer_remove`: at most `INT_MAX` bytes, so the count returned is
/// exact (libevent truncates larger counts into a negative `int`).
#[no_mangle]
pub extern "C" fn evbuffer_remove(buf: *mut FfiBuffer, data: *mut c_void, datlen: usize) -> c_int {
    guard(-1, || {
        let who = "evbuffer_remove";
        let Some(s) = enter(buf, who) else { return -1 };
        let n = datlen.min(c_int::MAX as usize).min(s.read(|b| b.len()));
        if n == 0 {
            return 0;
        }
        if data.is_null() {
            refused(who, &"NULL destination");
            return -1;
        }
        let r = s.op(|b| b.remove(bytes_mut(data, n)));
        s.after_change();
        match r {
            Ok(k) => k as c_int,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_copyout`.
#[no_mangle]
pub extern "C" fn evbuffer_copyout(
    buf: *mut FfiBuffer,
    data_out: *mut c_void,
    datlen: usize,
) -> ev_ssize_t {
    guard(-1, || {
        let who = "evbuffer_copyout";
        let Some(s) = enter(buf, who) else { return -1 };
        let n = datlen.min(s.read(|b| b.len()));
        if n == 0 {
            return 0;
        }
        if data_out.is_null() {
            refused(who, &"NULL destination");
            return -1;
        }
        match s.read(|b| b.copyout(bytes_mut(data_out, n))) {
            Ok(k) => k as ev_ssize_t,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_drain`. Draining more than is buffered empties the buffer
/// (libevent's 0) with a warning, or a debug message for `(size_t)-1`.
#[no_mangle]
pub extern "C" fn evbuffer_drain(buf: *mut FfiBuffer, len: usize) -> c_int {
    guard(-1, || {
        let who = "evbuffer_drain";
        let Some(s) = enter(buf, who) else { return -1 };
        let r = s.op(|b| {
            let have = b.len();
            // libevent refuses any drain of a frozen, non-empty start, even
            // of 0 bytes (the engine takes 0 bytes as nothing to refuse).
            if len == 0 && have > 0 && b.is_frozen(Side::Start) {
                return Err(oxevent::buffer::BufferError::Frozen(Side::Start).into());
            }
            b.drain(len).map(|_| have)
        });
        s.after_change();
        match r {
            Ok(have) => {
                // libevent empties the buffer silently. A length past the
                // end is a miscount worth a warning, except `(size_t)-1`,
                // the "drain everything" idiom, which only debug logging
                // reports.
                if len > have {
                    if len != usize::MAX {
                        warnx(&format!(
                            "{who}: asked for {len} bytes, {have} buffered: drained them all"
                        ));
                    } else if oxevent::log::debug_enabled() {
                        oxevent::log::debug(format_args!(
                            "{who}: drained all {have} bytes (length (size_t)-1)"
                        ));
                    }
                }
                0
            }
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_pullup`.
#[no_mangle]
pub extern "C" fn evbuffer_pullup(buf: *mut FfiBuffer, size: ev_ssize_t) -> *mut u8 {
    guard(std::ptr::null_mut(), || {
        let Some(s) = enter(buf, "evbuffer_pullup") else {
            return std::ptr::null_mut();
        };
        pullup(&s, size)
    })
}

/// `evbuffer_pullup` inside a session (also `evbuffer_find`'s second step).
pub(crate) fn pullup(s: &handle::Session<'_>, size: ev_ssize_t) -> *mut u8 {
    let len = s.read(|b| b.len());
    let n = if size < 0 { len } else { size as usize };
    if n == 0 || n > len {
        return std::ptr::null_mut();
    }
    match s.op(|b| b.pullup(n).map(|p| p.as_ptr() as *mut u8)) {
        Ok(p) => p,
        Err(e) => {
            refused("evbuffer_pullup", &e);
            std::ptr::null_mut()
        }
    }
}

/// `evbuffer_add_buffer`.
#[no_mangle]
pub extern "C" fn evbuffer_add_buffer(outbuf: *mut FfiBuffer, inbuf: *mut FfiBuffer) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add_buffer";
        if outbuf == inbuf {
            return match enter(outbuf, who) {
                Some(_) => 0,
                None => -1,
            };
        }
        let Some((out, inp)) = enter2(outbuf, inbuf, who) else {
            return -1;
        };
        let r = op2(&out, &inp, |o, i| o.add_buffer(i));
        inp.after_change();
        out.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_add_buffer_reference`.
#[no_mangle]
pub extern "C" fn evbuffer_add_buffer_reference(
    outbuf: *mut FfiBuffer,
    inbuf: *mut FfiBuffer,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add_buffer_reference";
        if outbuf == inbuf {
            let Some(s) = enter(outbuf, who) else {
                return -1;
            };
            if s.read(|b| b.is_empty()) {
                return 0;
            }
            refused(who, &"a buffer cannot reference itself");
            return -1;
        }
        let Some((out, inp)) = enter2(outbuf, inbuf, who) else {
            return -1;
        };
        let r = op2(&out, &inp, |o, i| o.add_buffer_reference(i));
        inp.after_change();
        out.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_prepend_buffer`.
#[no_mangle]
pub extern "C" fn evbuffer_prepend_buffer(dst: *mut FfiBuffer, src: *mut FfiBuffer) -> c_int {
    guard(-1, || {
        let who = "evbuffer_prepend_buffer";
        if dst == src {
            return match enter(dst, who) {
                Some(_) => 0,
                None => -1,
            };
        }
        let Some((d, sr)) = enter2(dst, src, who) else {
            return -1;
        };
        let r = op2(&d, &sr, |d, s| d.prepend_buffer(s));
        sr.after_change();
        d.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_remove_buffer`: at most `INT_MAX` bytes (the count returned is
/// exact). Callbacks run in libevent's order: a move of everything reports
/// `src` then `dst`, a partial move `dst` then `src`.
#[no_mangle]
pub extern "C" fn evbuffer_remove_buffer(
    src: *mut FfiBuffer,
    dst: *mut FfiBuffer,
    datlen: usize,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_remove_buffer";
        if src == dst || datlen == 0 {
            return match enter(src, who) {
                Some(_) => 0,
                None => -1,
            };
        }
        let Some((sr, d)) = enter2(src, dst, who) else {
            return -1;
        };
        let n = datlen.min(c_int::MAX as usize);
        let all = n >= sr.read(|b| b.len());
        let r = op2(&sr, &d, |s, d| s.remove_buffer(d, n));
        if all {
            sr.after_change();
            d.after_change();
        } else {
            d.after_change();
            sr.after_change();
        }
        match r {
            Ok(k) => k as c_int,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_freeze`.
#[no_mangle]
pub extern "C" fn evbuffer_freeze(buf: *mut FfiBuffer, at_front: c_int) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_freeze") else {
            return -1;
        };
        s.op(|b| b.freeze(side(at_front)));
        0
    })
}

/// `evbuffer_unfreeze`.
#[no_mangle]
pub extern "C" fn evbuffer_unfreeze(buf: *mut FfiBuffer, at_front: c_int) -> c_int {
    guard(-1, || {
        let Some(s) = enter(buf, "evbuffer_unfreeze") else {
            return -1;
        };
        s.op(|b| b.unfreeze(side(at_front)));
        0
    })
}

fn side(at_front: c_int) -> Side {
    if at_front != 0 {
        Side::Start
    } else {
        Side::End
    }
}

/// `evbuffer_reserve_space`.
#[no_mangle]
pub extern "C" fn evbuffer_reserve_space(
    buf: *mut FfiBuffer,
    size: ev_ssize_t,
    vec: *mut EvbufferIovec,
    n_vec: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_reserve_space";
        let Some(s) = enter(buf, who) else { return -1 };
        if n_vec < 1 {
            refused(who, &format_args!("n_vec is {n_vec}; at least 1 is needed"));
            return -1;
        }
        if size < 0 {
            refused(who, &format_args!("negative size {size}"));
            return -1;
        }
        if vec.is_null() {
            refused(who, &"NULL iovec array");
            return -1;
        }
        // SAFETY: the program passes `n_vec` writable iovecs at `vec`.
        let out = unsafe { std::slice::from_raw_parts_mut(vec, n_vec as usize) };
        let r = s.op(|b| {
            let n = b.reserve_space(size as usize, out.len())?;
            for (v, sl) in out.iter_mut().zip(b.reserved_slices()) {
                v.iov_base = sl.as_mut_ptr() as *mut c_void;
                v.iov_len = sl.len();
            }
            Ok::<usize, oxevent::Error>(n)
        });
        match r {
            Ok(n) => n as c_int,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_commit_space`.
#[no_mangle]
pub extern "C" fn evbuffer_commit_space(
    buf: *mut FfiBuffer,
    vec: *mut EvbufferIovec,
    n_vecs: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_commit_space";
        let Some(s) = enter(buf, who) else { return -1 };
        if n_vecs < 0 {
            refused(who, &format_args!("negative n_vecs {n_vecs}"));
            return -1;
        }
        if vec.is_null() && n_vecs > 0 {
            refused(who, &"NULL iovec array");
            return -1;
        }
        let pairs: Vec<(usize, usize)> = if n_vecs == 0 {
            Vec::new()
        } else {
            // SAFETY: the program passes `n_vecs` iovecs at `vec`.
            let vecs = unsafe { std::slice::from_raw_parts(vec, n_vecs as usize) };
            vecs.iter()
                .map(|v| (v.iov_base as usize, v.iov_len))
                .collect()
        };
        let r = s.op(|b| b.commit_space(&pairs));
        s.after_change();
        match r {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}
