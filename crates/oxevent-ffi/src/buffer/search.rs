//! Positions and everything that reads bytes in place: `evbuffer_ptr_set`,
//! `evbuffer_search`, `evbuffer_search_range`, `evbuffer_search_eol`,
//! `evbuffer_readln`, `evbuffer_peek`, `evbuffer_copyout_from`.
//!
//! A C `struct evbuffer_ptr` carries the engine's [`Pos`] in its two
//! private words (a stamp naming the buffer and its era, and a chunk hint);
//! the engine refuses a position from another buffer or an older era, and
//! recomputes a hint that no longer fits, so no bytes of the struct are ever
//! followed as an address. Refused or absent positions give libevent's
//! "not found" (`pos` -1, both words zero).

use std::os::raw::{c_char, c_int, c_void};

use oxevent::buffer::{EolStyle, Pos};

use super::handle::{enter, Session};
use super::{bytes, bytes_mut, refused};
use crate::abi::{ev_ssize_t, EvbufferIovec, EvbufferPtr, EVBUFFER_PTR_ADD, EVBUFFER_PTR_SET};
use crate::boundary::guard;

/// The position a C struct carries, if it names one (`pos >= 0`).
#[inline]
pub(crate) fn pos_of(p: &EvbufferPtr) -> Option<Pos> {
    (p.pos >= 0).then(|| Pos::from_raw(p.pos as usize, p.chain, p.pos_in_chain))
}

/// The C struct for a position.
#[inline]
pub(crate) fn ptr_of(p: &Pos) -> EvbufferPtr {
    let (stamp, hint) = p.to_raw();
    EvbufferPtr {
        pos: p.offset() as ev_ssize_t,
        chain: stamp,
        pos_in_chain: hint,
    }
}

/// Borrows an optional position argument: `Ok(None)` for NULL, `Err` (after
/// a log line) for a struct that names no position.
fn arg_pos(who: &str, p: *const EvbufferPtr) -> Result<Option<Pos>, ()> {
    // SAFETY: NULL or a valid struct evbuffer_ptr, per the API contract.
    match unsafe { p.as_ref() } {
        None => Ok(None),
        Some(c) => match pos_of(c) {
            Some(pos) => Ok(Some(pos)),
            None => {
                refused(who, &"the position is -1 (not found)");
                Err(())
            }
        },
    }
}

/// `evbuffer_ptr_set`.
#[no_mangle]
pub extern "C" fn evbuffer_ptr_set(
    buf: *mut super::FfiBuffer,
    ptr: *mut EvbufferPtr,
    position: usize,
    how: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_ptr_set";
        let Some(s) = enter(buf, who) else { return -1 };
        // SAFETY: NULL or a writable struct evbuffer_ptr (it may hold
        // anything for EVBUFFER_PTR_SET: every bit pattern is valid).
        let Some(p) = (unsafe { ptr.as_mut() }) else {
            refused(who, &"NULL evbuffer_ptr");
            return -1;
        };
        let r = match how {
            EVBUFFER_PTR_SET => s.read(|b| b.pos_at(position)),
            EVBUFFER_PTR_ADD => {
                // libevent leaves the struct as it is for these two.
                if p.pos < 0 {
                    refused(who, &"EVBUFFER_PTR_ADD on a position of -1");
                    return -1;
                }
                if usize::MAX - position < p.pos as usize {
                    refused(who, &format_args!("{} + {position} overflows", p.pos));
                    return -1;
                }
                let from = Pos::from_raw(p.pos as usize, p.chain, p.pos_in_chain);
                s.read(|b| b.pos_add(&from, position))
            }
            _ => {
                // libevent walks nothing for an unknown mode: 0 for a zero
                // distance, else "past the end".
                refused(who, &format_args!("unknown mode {how}"));
                if position == 0 {
                    return 0;
                }
                *p = EvbufferPtr::NOT_FOUND;
                return -1;
            }
        };
        match r {
            Ok(pos) => {
                *p = ptr_of(&pos);
                0
            }
            Err(e) => {
                *p = EvbufferPtr::NOT_FOUND;
                refused(who, &e);
                -1
            }
        }
    })
}

/// The needle of a search, checked; `Err` gives libevent's answer.
fn needle<'a>(
    who: &str,
    what: *const c_char,
    len: usize,
    start: Option<&Pos>,
) -> Result<&'a [u8], EvbufferPtr> {
    if len > isize::MAX as usize {
        // libevent answers the start position (or 0) for such a length.
        refused(who, &format_args!("needle length {len} is out of range"));
        return Err(start.map_or(
            EvbufferPtr {
                pos: 0,
                chain: 0,
                pos_in_chain: 0,
            },
            ptr_of,
        ));
    }
    if what.is_null() && len > 0 {
        refused(who, &"NULL needle");
        return Err(EvbufferPtr::NOT_FOUND);
    }
    Ok(bytes(what as *const c_void, len))
}

fn search_impl(
    who: &str,
    buf: *mut super::FfiBuffer,
    what: *const c_char,
    len: usize,
    start: *const EvbufferPtr,
    end: *const EvbufferPtr,
) -> EvbufferPtr {
    let Some(s) = enter(buf, who) else {
        return EvbufferPtr::NOT_FOUND;
    };
    let Ok(start) = arg_pos(who, start) else {
        return EvbufferPtr::NOT_FOUND;
    };
    let Ok(end) = arg_pos(who, end) else {
        return EvbufferPtr::NOT_FOUND;
    };
    let needle = match needle(who, what, len, start.as_ref()) {
        Ok(n) => n,
        Err(answer) => return answer,
    };
    match s.read(|b| b.search_range(needle, start.as_ref(), end.as_ref())) {
        Ok(Some(p)) => ptr_of(&p),
        Ok(None) => EvbufferPtr::NOT_FOUND,
        Err(e) => {
            refused(who, &e);
            EvbufferPtr::NOT_FOUND
        }
    }
}

/// `evbuffer_search`.
#[no_mangle]
pub extern "C" fn evbuffer_search(
    buf: *mut super::FfiBuffer,
    what: *const c_char,
    len: usize,
    start: *const EvbufferPtr,
) -> EvbufferPtr {
    guard(EvbufferPtr::NOT_FOUND, || {
        search_impl("evbuffer_search", buf, what, len, start, std::ptr::null())
    })
}

/// `evbuffer_search_range`.
#[no_mangle]
pub extern "C" fn evbuffer_search_range(
    buf: *mut super::FfiBuffer,
    what: *const c_char,
    len: usize,
    start: *const EvbufferPtr,
    end: *const EvbufferPtr,
) -> EvbufferPtr {
    guard(EvbufferPtr::NOT_FOUND, || {
        search_impl("evbuffer_search_range", buf, what, len, start, end)
    })
}

/// `evbuffer_search_eol`.
#[no_mangle]
pub extern "C" fn evbuffer_search_eol(
    buf: *mut super::FfiBuffer,
    start: *mut EvbufferPtr,
    eol_len_out: *mut usize,
    eol_style: c_int,
) -> EvbufferPtr {
    guard(EvbufferPtr::NOT_FOUND, || {
        let who = "evbuffer_search_eol";
        let (p, n) = search_eol_impl(who, buf, start, eol_style);
        // SAFETY: NULL or a writable size_t, per the API contract.
        if let Some(out) = unsafe { eol_len_out.as_mut() } {
            *out = n;
        }
        p
    })
}

fn search_eol_impl(
    who: &str,
    buf: *mut super::FfiBuffer,
    start: *const EvbufferPtr,
    eol_style: c_int,
) -> (EvbufferPtr, usize) {
    let Some(s) = enter(buf, who) else {
        return (EvbufferPtr::NOT_FOUND, 0);
    };
    let Some(style) = EolStyle::from_raw(eol_style) else {
        refused(who, &format_args!("unknown end-of-line style {eol_style}"));
        return (EvbufferPtr::NOT_FOUND, 0);
    };
    // libevent answers "not found" for a start of -1 without a word.
    // SAFETY: NULL or a valid struct evbuffer_ptr.
    let start = match unsafe { start.as_ref() } {
        None => None,
        Some(c) => match pos_of(c) {
            Some(p) => Some(p),
            None => return (EvbufferPtr::NOT_FOUND, 0),
        },
    };
    match s.read(|b| b.search_eol(start.as_ref(), style)) {
        Ok(Some((p, n))) => (ptr_of(&p), n),
        Ok(None) => (EvbufferPtr::NOT_FOUND, 0),
        Err(e) => {
            refused(who, &e);
            (EvbufferPtr::NOT_FOUND, 0)
        }
    }
}

/// `evbuffer_readln`.
#[no_mangle]
pub extern "C" fn evbuffer_readln(
    buf: *mut super::FfiBuffer,
    n_read_out: *mut usize,
    eol_style: c_int,
) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let (line, n) = match enter(buf, "evbuffer_readln") {
            Some(s) => readln_in(&s, "evbuffer_readln", eol_style),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: NULL or a writable size_t, per the API contract.
        if let Some(out) = unsafe { n_read_out.as_mut() } {
            *out = n;
        }
        line
    })
}

/// Reads one line into memory from the program's allocator (also
/// `evbuffer_readline`). The line is drained only once it is copied, so a
/// refused allocation loses nothing. With callbacks, the line and its end
/// of line are reported as two changes, as libevent drains them in two
/// steps.
pub(crate) fn readln_in(s: &Session<'_>, who: &str, eol_style: c_int) -> (*mut c_char, usize) {
    let Some(style) = EolStyle::from_raw(eol_style) else {
        refused(who, &format_args!("unknown end-of-line style {eol_style}"));
        return (std::ptr::null_mut(), 0);
    };
    let found = match s.op(|b| b.next_line(style)) {
        Ok(Some(f)) => f,
        Ok(None) => return (std::ptr::null_mut(), 0),
        Err(e) => {
            refused(who, &e);
            return (std::ptr::null_mut(), 0);
        }
    };
    let (n, eol_len) = found;
    let Some(size) = n.checked_add(1) else {
        return (std::ptr::null_mut(), 0);
    };
    let line = crate::mem::alloc(size) as *mut u8;
    if line.is_null() {
        refused(who, &format_args!("out of memory for a line of {n} bytes"));
        return (std::ptr::null_mut(), 0);
    }
    let copied = s.read(|b| b.copyout(bytes_mut(line as *mut c_void, n)));
    if let Err(e) = copied {
        crate::mem::free(line as *mut c_void);
        refused(who, &e);
        return (std::ptr::null_mut(), 0);
    }
    // SAFETY: `line` has room for `n + 1` bytes.
    unsafe { *line.add(n) = 0 };
    if s.meta(|m| m.recording) {
        if n > 0 {
            let _ = s.op(|b| b.drain(n));
            s.after_change();
        }
        let _ = s.op(|b| b.drain(eol_len));
        s.after_change();
    } else {
        let _ = s.op(|b| b.drain(n + eol_len));
    }
    (line as *mut c_char, n)
}

/// `evbuffer_copyout_from`.
#[no_mangle]
pub extern "C" fn evbuffer_copyout_from(
    buf: *mut super::FfiBuffer,
    pos: *const EvbufferPtr,
    data_out: *mut c_void,
    datlen: usize,
) -> ev_ssize_t {
    guard(-1, || {
        let who = "evbuffer_copyout_from";
        let Some(s) = enter(buf, who) else { return -1 };
        let Ok(pos) = arg_pos(who, pos) else {
            return -1;
        };
        let Some(pos) = pos else {
            return super::evbuffer_copyout(buf, data_out, datlen);
        };
        if datlen > isize::MAX as usize - pos.offset() {
            refused(who, &format_args!("length {datlen} is out of range"));
            return -1;
        }
        let n = datlen.min(s.read(|b| b.len()).saturating_sub(pos.offset()));
        if n > 0 && data_out.is_null() {
            refused(who, &"NULL destination");
            return -1;
        }
        match s.read(|b| b.copyout_from(&pos, bytes_mut(data_out, n))) {
            Ok(k) => k as ev_ssize_t,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// `evbuffer_peek`: libevent's counting rules over the buffer's chunks
/// (with a start position the first extent is the rest of its chunk).
#[no_mangle]
pub extern "C" fn evbuffer_peek(
    buf: *mut super::FfiBuffer,
    len: ev_ssize_t,
    start_at: *mut EvbufferPtr,
    vec_out: *mut EvbufferIovec,
    n_vec: c_int,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_peek";
        let Some(s) = enter(buf, who) else { return -1 };
        let Ok(start) = arg_pos(who, start_at) else {
            return -1;
        };
        let n_vec = n_vec.max(0) as usize;
        if n_vec > 0 && vec_out.is_null() {
            refused(who, &"NULL iovec array");
            return -1;
        }
        let out: &mut [EvbufferIovec] = if n_vec == 0 {
            &mut []
        } else {
            // SAFETY: the program passes `n_vec` writable iovecs.
            unsafe { std::slice::from_raw_parts_mut(vec_out, n_vec) }
        };
        let r = s.read(|b| {
            let total = b.len();
            let mut chunks = match &start {
                Some(p) => b.chunks_from(p)?,
                None => b.chunks()?,
            };
            let mut idx = 0usize;
            let mut so_far = 0usize;
            if let Some(p) = &start {
                // libevent: a start at the end names no chunk: nothing.
                let Some(first) = chunks.next() else {
                    return Ok(0);
                };
                let _ = p;
                if let Some(v) = out.first_mut() {
                    v.iov_base = first.as_ptr() as *mut c_void;
                    v.iov_len = first.len();
                }
                idx = 1;
                so_far = first.len();
            }
            let want: Option<usize> = if len < 0 {
                if n_vec == 0 {
                    Some(total - start.as_ref().map_or(0, Pos::offset))
                } else {
                    None
                }
            } else {
                Some(len as usize)
            };
            for c in chunks {
                if want.is_some_and(|w| so_far >= w) {
                    break;
                }
                if let Some(v) = out.get_mut(idx) {
                    v.iov_base = c.as_ptr() as *mut c_void;
                    v.iov_len = c.len();
                } else if want.is_none() {
                    break;
                }
                idx += 1;
                so_far += c.len();
            }
            Ok::<usize, oxevent::Error>(idx)
        });
        match r {
            Ok(n) => n.min(c_int::MAX as usize) as c_int,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}
