//! Memory and descriptors that are not the buffer's own:
//! `evbuffer_add_reference`, file segments (`evbuffer_file_segment_new`,
//! `_free`, `_add_cleanup_cb`, `evbuffer_add_file_segment`,
//! `evbuffer_add_file`), and sockets (`evbuffer_read`, `evbuffer_write`,
//! `evbuffer_write_atmost`).
//!
//! A reference is the program's `(data, len)` wrapped in [`CRef`], whose
//! `Drop` is the program's cleanup function: the engine drops it exactly
//! once, when no chunk refers to the memory any more (a refused add hands
//! it back, and it is forgotten without the cleanup, as libevent does).
//!
//! A file segment owns its descriptor through [`SegFd`], which closes it
//! only once armed: `EVBUF_FS_CLOSE_ON_FREE` arms it after the segment
//! exists, so a refused segment (or a refused `evbuffer_add_file`) leaves
//! the descriptor to the program, as libevent does.

use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::raw::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use oxevent::buffer::{FileSegment, SegmentFlags};
use oxevent::Error;

use super::handle::enter;
use super::{checked_len, refused, FfiBuffer};
use crate::abi::{
    ev_off_t, ev_ssize_t, evbuffer_file_segment_cleanup_cb, evbuffer_ref_cleanup_cb,
    EVBUF_FS_CLOSE_ON_FREE,
};
use crate::boundary::guard;

/// The program's memory, referenced by a buffer until the cleanup runs.
struct CRef {
    data: usize,
    len: usize,
    cleanup: Option<evbuffer_ref_cleanup_cb>,
    extra: usize,
}

impl AsRef<[u8]> for CRef {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the program promised (evbuffer_add_reference's contract)
        // that `len` bytes at `data` stay valid and unchanged until the
        // cleanup function runs, which happens only when this value drops.
        unsafe { std::slice::from_raw_parts(self.data as *const u8, self.len) }
    }
}

impl Drop for CRef {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup {
            // SAFETY: the program's cleanup function, called once with the
            // arguments it registered, as libevent calls it.
            unsafe {
                f(
                    self.data as *const c_void,
                    self.len,
                    self.extra as *mut c_void,
                )
            };
        }
    }
}

/// `evbuffer_add_reference`.
#[no_mangle]
pub extern "C" fn evbuffer_add_reference(
    outbuf: *mut FfiBuffer,
    data: *const c_void,
    datlen: usize,
    cleanupfn: Option<evbuffer_ref_cleanup_cb>,
    cleanupfn_arg: *mut c_void,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add_reference";
        let Some(s) = enter(outbuf, who) else {
            return -1;
        };
        let Some(n) = checked_len(who, data, datlen) else {
            return -1;
        };
        let r = CRef {
            data: data as usize,
            len: n,
            cleanup: cleanupfn,
            extra: cleanupfn_arg as usize,
        };
        let res = s.op(|b| match b.try_add_reference(r) {
            Ok(()) => Ok(()),
            Err((e, back)) => {
                // Refused: libevent never calls the cleanup then.
                std::mem::forget(back);
                Err(e)
            }
        });
        s.after_change();
        match res {
            Ok(()) => 0,
            Err(e) => {
                refused(who, &e);
                -1
            }
        }
    })
}

/// A segment's descriptor: closed on drop only once armed.
struct SegFd {
    fd: RawFd,
    close: Arc<AtomicBool>,
}

impl AsFd for SegFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: `fd` is not -1 (checked at creation) and stays open while
        // the segment lives: the program's promise, or ours when armed.
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }
}

impl Drop for SegFd {
    fn drop(&mut self) {
        if self.close.load(Ordering::Acquire) {
            // SAFETY: the segment owned `fd` (EVBUF_FS_CLOSE_ON_FREE) and
            // nothing uses it any more.
            unsafe { libc::close(self.fd) };
        }
    }
}

/// What a `struct evbuffer_file_segment *` points to.
#[derive(Debug)]
pub struct FfiSegment {
    seg: FileSegment,
}

/// Makes a segment; returns it and the switch that makes it own the fd.
fn new_segment(
    who: &str,
    fd: c_int,
    offset: ev_off_t,
    length: ev_off_t,
    flags: c_uint,
) -> Option<(FileSegment, Arc<AtomicBool>)> {
    if fd < 0 {
        refused(who, &format_args!("bad file descriptor {fd}"));
        return None;
    }
    if offset < 0 || length < -1 {
        refused(
            who,
            &format_args!("bad range: offset {offset}, length {length}"),
        );
        return None;
    }
    let close = Arc::new(AtomicBool::new(false));
    let owner = SegFd {
        fd,
        close: close.clone(),
    };
    let len = (length >= 0).then_some(length as u64);
    match FileSegment::new(owner, offset as u64, len, SegmentFlags::from_bits(flags)) {
        Ok(seg) => Some((seg, close)),
        Err(e) => {
            refused(who, &e);
            None
        }
    }
}

/// `evbuffer_file_segment_new`.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_new(
    fd: c_int,
    offset: ev_off_t,
    length: ev_off_t,
    flags: c_uint,
) -> *mut FfiSegment {
    guard(std::ptr::null_mut(), || {
        let Some((seg, close)) =
            new_segment("evbuffer_file_segment_new", fd, offset, length, flags)
        else {
            return std::ptr::null_mut();
        };
        if flags & EVBUF_FS_CLOSE_ON_FREE != 0 {
            close.store(true, Ordering::Release);
        }
        Box::into_raw(Box::new(FfiSegment { seg }))
    })
}

/// `evbuffer_file_segment_free`.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_free(seg: *mut FfiSegment) {
    guard((), || {
        if !seg.is_null() {
            // SAFETY: `seg` came from Box::into_raw in
            // evbuffer_file_segment_new and is freed once, per the contract.
            drop(unsafe { Box::from_raw(seg) });
        }
    })
}

/// `evbuffer_file_segment_add_cleanup_cb`.
#[no_mangle]
pub extern "C" fn evbuffer_file_segment_add_cleanup_cb(
    seg: *mut FfiSegment,
    cb: Option<evbuffer_file_segment_cleanup_cb>,
    arg: *mut c_void,
) {
    guard((), || {
        // SAFETY: NULL or a live segment, per the API contract.
        let Some(s) = (unsafe { seg.as_ref() }) else {
            refused("evbuffer_file_segment_add_cleanup_cb", &"NULL segment");
            return;
        };
        let (seg_addr, arg) = (seg as usize, arg as usize);
        s.seg.set_cleanup(move |flags| {
            if let Some(f) = cb {
                // SAFETY: the program's cleanup function, called once with
                // the segment's address (for identity only: the handle may
                // be freed), its flags and the registered argument.
                unsafe {
                    f(
                        seg_addr as *const c_void,
                        flags.bits() as c_int,
                        arg as *mut c_void,
                    )
                };
            }
        });
    })
}

/// `evbuffer_add_file_segment`.
#[no_mangle]
pub extern "C" fn evbuffer_add_file_segment(
    buf: *mut FfiBuffer,
    seg: *mut FfiSegment,
    offset: ev_off_t,
    length: ev_off_t,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add_file_segment";
        let Some(s) = enter(buf, who) else { return -1 };
        // SAFETY: NULL or a live segment, per the API contract.
        let Some(seg) = (unsafe { seg.as_ref() }) else {
            refused(who, &"NULL segment");
            return -1;
        };
        if offset < 0 {
            refused(who, &format_args!("negative offset {offset}"));
            return -1;
        }
        let len = (length >= 0).then_some(length as u64);
        let r = s.op(|b| b.add_file_segment(&seg.seg, offset as u64, len));
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

/// `evbuffer_add_file`: a segment that owns `fd` once it is in the buffer.
#[no_mangle]
pub extern "C" fn evbuffer_add_file(
    buf: *mut FfiBuffer,
    fd: c_int,
    offset: ev_off_t,
    length: ev_off_t,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_add_file";
        let Some(s) = enter(buf, who) else { return -1 };
        let flags = EVBUF_FS_CLOSE_ON_FREE;
        let Some((seg, close)) = new_segment(who, fd, offset, length, flags) else {
            return -1;
        };
        let r = s.op(|b| b.add_file_segment(&seg, 0, None));
        if r.is_ok() {
            close.store(true, Ordering::Release);
        }
        drop(seg);
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

/// Sets `errno`.
fn set_errno(code: c_int) {
    // SAFETY: glibc's per-thread errno location, always valid.
    unsafe { *libc::__errno_location() = code };
}

/// The program's descriptor for one call; `None` (errno `EBADF`) when
/// negative, as the system call would fail.
fn fd_arg<'a>(fd: c_int) -> Option<BorrowedFd<'a>> {
    if fd < 0 {
        set_errno(libc::EBADF);
        return None;
    }
    // SAFETY: not -1; the program keeps `fd` open for the call (a closed
    // one makes the system call fail with EBADF, nothing worse).
    Some(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// An engine error as the C return: errno from the system call, a log line
/// for refusals.
fn io_result(who: &str, e: Error) -> c_int {
    match e {
        Error::Io(io) => {
            set_errno(io.raw_os_error().unwrap_or(libc::EIO));
        }
        other => refused(who, &other),
    }
    -1
}

/// `evbuffer_read`.
#[no_mangle]
pub extern "C" fn evbuffer_read(buf: *mut FfiBuffer, fd: c_int, howmuch: c_int) -> c_int {
    guard(-1, || {
        let who = "evbuffer_read";
        let Some(s) = enter(buf, who) else { return -1 };
        let Some(fd) = fd_arg(fd) else { return -1 };
        let ready = oxevent::buffer::Buffer::default_read_amount(fd);
        let max = if howmuch < 0 {
            ready
        } else {
            (howmuch as usize).min(ready)
        };
        let r = s.op(|b| b.read_fd(fd, max));
        s.after_change();
        match r {
            Ok(n) => n as c_int,
            Err(e) => io_result(who, e),
        }
    })
}

/// What a socket bufferevent reads with: `evbuffer_read` without its
/// `FIONREAD` probe (one syscall less per message): up to `max` bytes in
/// one `readv`.
pub(crate) fn read_direct(buf: *mut FfiBuffer, fd: c_int, max: usize) -> c_int {
    let who = "evbuffer_read";
    let Some(s) = enter(buf, who) else { return -1 };
    let Some(fd) = fd_arg(fd) else { return -1 };
    let r = s.op(|b| b.read_fd(fd, max));
    s.after_change();
    match r {
        Ok(n) => n.min(c_int::MAX as usize) as c_int,
        Err(e) => io_result(who, e),
    }
}

/// Gives back an empty buffer's kept memory (a socket bufferevent's
/// buffers between messages): see `Buffer::release_idle_memory`.
pub(crate) fn release_idle_memory(buf: *mut FfiBuffer) {
    if let Some(s) = enter(buf, "evbuffer") {
        s.op(|b| b.release_idle_memory());
    }
}

/// `evbuffer_write`.
#[no_mangle]
pub extern "C" fn evbuffer_write(buf: *mut FfiBuffer, fd: c_int) -> c_int {
    evbuffer_write_atmost(buf, fd, -1)
}

/// `evbuffer_write_atmost`. Nothing to write gives -1, as in libevent; a
/// `sendfile` that would block gives 0 (libevent's), a `writev` -1 with
/// `EAGAIN`.
#[no_mangle]
pub extern "C" fn evbuffer_write_atmost(
    buf: *mut FfiBuffer,
    fd: c_int,
    howmuch: ev_ssize_t,
) -> c_int {
    guard(-1, || {
        let who = "evbuffer_write_atmost";
        let Some(s) = enter(buf, who) else { return -1 };
        let (len, frozen) = s.read(|b| (b.len(), b.is_frozen(oxevent::buffer::Side::Start)));
        if frozen {
            refused(who, &"the start of the buffer is frozen");
            return -1;
        }
        let n = if howmuch < 0 || howmuch as usize > len {
            len
        } else {
            howmuch as usize
        };
        if n == 0 {
            return -1;
        }
        let Some(fd) = fd_arg(fd) else { return -1 };
        let sendfile = s.read(|b| b.front_is_sendfile());
        let r = s.op(|b| b.write_fd_atmost(fd, n));
        s.after_change();
        match r {
            Ok(k) => k.min(c_int::MAX as usize) as c_int,
            Err(Error::Io(e))
                if sendfile
                    && matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) =>
            {
                0
            }
            Err(e) => io_result(who, e),
        }
    })
}
