//! The process-wide signal handler (seed 001's four steps, steps 3 and 4).
//!
//! One handler serves every base: it writes the signal number as one byte into
//! the socketpair of the base that last added an event for that signal. The
//! base watches the other end like any fd, so signals join the ordinary loop.
//! The handler only loads an atomic and calls `write(2)`: both are
//! async-signal-safe, and it restores `errno` for the interrupted code.
//!
//! This module never decides which events run; the engine does that.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// Signal numbers are `1..NSIG` (64 real-time-inclusive signals on Linux).
pub(crate) const NSIG: usize = 65;

static TARGET: [AtomicI32; NSIG] = [const { AtomicI32::new(-1) }; NSIG];

/// A handler as it was before oxevent installed its own, to put back later.
pub(crate) struct Saved(libc::sigaction);

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Saved(sigaction)")
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    let errno_slot = unsafe { libc::__errno_location() };
    // SAFETY: the slot is valid for this thread.
    let saved = unsafe { *errno_slot };
    if let Some(target) = TARGET.get(sig as usize) {
        let fd = target.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = sig as u8;
            // SAFETY: write(2) is async-signal-safe; `byte` lives on this stack.
            unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
        }
    }
    // SAFETY: as above.
    unsafe { *errno_slot = saved };
}

/// Whether `sig` can carry an event (`1..NSIG`, not SIGKILL/SIGSTOP).
pub(crate) fn valid(sig: i32) -> bool {
    sig > 0 && (sig as usize) < NSIG && sig != libc::SIGKILL && sig != libc::SIGSTOP
}

/// Installs the shared handler for `sig`, returning the previous one.
pub(crate) fn install(sig: i32) -> io::Result<Saved> {
    // SAFETY: an all-zero sigaction is a valid starting value.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
    sa.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa.sa_mask` is a valid sigset_t.
    unsafe { libc::sigfillset(&mut sa.sa_mask) };
    // SAFETY: zeroed storage for the old action, filled by the kernel.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid sigaction structs; `sig` was validated.
    if unsafe { libc::sigaction(sig, &sa, &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Saved(old))
}

/// Puts back a handler saved by [`install`].
pub(crate) fn restore(sig: i32, saved: &Saved) {
    // SAFETY: `saved.0` came from the kernel for this signal.
    unsafe { libc::sigaction(sig, &saved.0, std::ptr::null_mut()) };
}

/// Routes `sig` to the socket `fd` (or nowhere with -1).
pub(crate) fn set_target(sig: i32, fd: RawFd) {
    if let Some(t) = TARGET.get(sig as usize) {
        t.store(fd, Ordering::Relaxed);
    }
}

/// Stops routing `sig` to `fd` if it still goes there.
pub(crate) fn clear_target(sig: i32, fd: RawFd) {
    if let Some(t) = TARGET.get(sig as usize) {
        let _ = t.compare_exchange(fd, -1, Ordering::Relaxed, Ordering::Relaxed);
    }
}
