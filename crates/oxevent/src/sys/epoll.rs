//! The epoll backend.
//!
//! Quirks of the mechanism, and what this file does about them:
//! a. Registrations belong to the open file description, not the fd number: a
//!    closed fd silently leaves the set (if no dup survives), and a reused
//!    number is unknown to epoll. So `MOD` that fails with `ENOENT` is retried
//!    as `ADD`, `ADD` that fails with `EEXIST` is retried as `MOD`, and `DEL`
//!    errors `EBADF`/`ENOENT`/`EPERM` are ignored (the fd is already gone).
//! b. Regular files cannot be added (`EPERM`): epoll lacks `EV_FEATURE_FDS`.
//! c. `epoll_wait` takes milliseconds; waits are rounded up so timers never
//!    fire early. With `PRECISE_TIMER` a timerfd gives microsecond waits.
//! d. `EPOLLHUP`/`EPOLLERR` are reported as readable and writable, so the
//!    callback's read/write sees the error (libevent does the same).
//! e. After `fork()` the child shares the epoll instance with the parent; the
//!    engine rebuilds the backend on `reinit`.
//! f. With the changelist enabled, changes are queued and applied in one pass
//!    just before waiting; an fd added and removed in between costs nothing.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::{cvt, timeout_ms, Backend, Features, Method, Ready};
use crate::flags::Ev;

const INITIAL_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;

/// A queued change: fd, interests before the first queued change, the latest
/// interests, and whether they were empty in between.
type Change = (RawFd, Ev, Ev, bool);

pub(crate) struct Epoll {
    epfd: RawFd,
    /// `Some` when changes are coalesced until the next dispatch.
    /// Each entry: fd, interests before the first queued change, the latest
    /// interests, and whether they were empty in between (the fd may have
    /// been closed and its number reused, so the kernel must hear both).
    changelist: Option<Mutex<Vec<Change>>>,
    /// A timerfd for microsecond-precision waits, or -1.
    timerfd: RawFd,
    /// How many results the next wait asks for (grows while waits fill it).
    cap: AtomicUsize,
}

fn mask(ev: Ev) -> u32 {
    let mut m = 0;
    if ev.contains(Ev::READ) {
        m |= libc::EPOLLIN as u32;
    }
    if ev.contains(Ev::WRITE) {
        m |= libc::EPOLLOUT as u32;
    }
    if ev.contains(Ev::CLOSED) {
        m |= libc::EPOLLRDHUP as u32;
    }
    if ev.contains(Ev::ET) {
        m |= libc::EPOLLET as u32;
    }
    m
}

impl Epoll {
    pub(crate) fn new(changelist: bool, precise_timer: bool) -> io::Result<Epoll> {
        // SAFETY: plain syscall with a constant flag.
        let epfd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        let mut timerfd = -1;
        if precise_timer {
            // SAFETY: plain syscall with constant arguments.
            let t = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if t >= 0 {
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: t as u64,
                };
                // SAFETY: `ev` is a valid epoll_event; both fds are ours.
                if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, t, &mut ev) } == 0 {
                    timerfd = t;
                } else {
                    super::close(t);
                }
            }
        }
        Ok(Epoll {
            epfd,
            changelist: changelist.then(|| Mutex::new(Vec::new())),
            timerfd,
            cap: AtomicUsize::new(INITIAL_EVENTS),
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, ev: Ev) -> io::Result<()> {
        let mut e = libc::epoll_event {
            events: mask(ev),
            u64: fd as u32 as u64,
        };
        // SAFETY: `e` is a valid epoll_event; epfd is ours; the kernel checks `fd`.
        cvt(unsafe { libc::epoll_ctl(self.epfd, op, fd, &mut e) }).map(|_| ())
    }

    /// Applies one net change with the fallbacks of quirk (a).
    fn apply(&self, fd: RawFd, old: Ev, new: Ev) -> io::Result<()> {
        let old_io = old & (Ev::IO | Ev::ET);
        let new_io = new & (Ev::IO | Ev::ET);
        if old_io == new_io {
            return Ok(());
        }
        if new_io.intersects(Ev::IO) {
            let op = if old_io.intersects(Ev::IO) {
                libc::EPOLL_CTL_MOD
            } else {
                libc::EPOLL_CTL_ADD
            };
            match self.ctl(op, fd, new_io) {
                Ok(()) => Ok(()),
                Err(e) if op == libc::EPOLL_CTL_MOD && e.raw_os_error() == Some(libc::ENOENT) => {
                    self.ctl(libc::EPOLL_CTL_ADD, fd, new_io)
                }
                Err(e) if op == libc::EPOLL_CTL_ADD && e.raw_os_error() == Some(libc::EEXIST) => {
                    self.ctl(libc::EPOLL_CTL_MOD, fd, new_io)
                }
                Err(e) => Err(e),
            }
        } else {
            match self.ctl(libc::EPOLL_CTL_DEL, fd, Ev::NONE) {
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EBADF) | Some(libc::ENOENT) | Some(libc::EPERM)
                    ) =>
                {
                    Ok(())
                }
                r => r,
            }
        }
    }

    fn arm_timerfd(&self, timeout: Option<Duration>) {
        let d = timeout.unwrap_or(Duration::ZERO);
        let mut spec: libc::itimerspec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as libc::c_long,
            },
        };
        if timeout.is_some() && d.is_zero() {
            // An all-zero value disarms; a zero wait needs no timer anyway.
            spec.it_value.tv_nsec = 0;
        }
        // SAFETY: `spec` is a valid itimerspec; the old value is not requested.
        unsafe { libc::timerfd_settime(self.timerfd, 0, &spec, std::ptr::null_mut()) };
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        super::close(self.epfd);
        super::close(self.timerfd);
    }
}

impl Backend for Epoll {
    fn name(&self) -> &'static str {
        "epoll"
    }

    fn features(&self) -> Features {
        Method::Epoll.features()
    }

    fn change(&self, fd: RawFd, old: Ev, new: Ev) -> io::Result<()> {
        match &self.changelist {
            None => self.apply(fd, old, new),
            Some(list) => {
                let mut list = list.lock().unwrap_or_else(|p| p.into_inner());
                // Coalesce: keep the first `old` and the last `new` of an fd,
                // remembering whether it went through "no interest".
                let empty = !new.intersects(Ev::IO);
                if let Some(entry) = list.iter_mut().find(|e| e.0 == fd) {
                    entry.2 = new;
                    entry.3 |= empty;
                } else {
                    list.push((fd, old, new, empty));
                }
                Ok(())
            }
        }
    }

    fn dispatch(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        if let Some(list) = &self.changelist {
            let pending = std::mem::take(&mut *list.lock().unwrap_or_else(|p| p.into_inner()));
            for (fd, old, new, went_empty) in pending {
                let r = if went_empty && old.intersects(Ev::IO) && new.intersects(Ev::IO) {
                    // Deleted then added again: possibly a new file under a
                    // reused number. Tell the kernel both halves.
                    let _ = self.apply(fd, old, Ev::NONE);
                    self.apply(fd, Ev::NONE, new)
                } else {
                    self.apply(fd, old, new)
                };
                if let Err(e) = r {
                    crate::log::warn(format_args!("epoll: cannot change fd {fd}: {e}"));
                }
            }
        }
        let ms = if self.timerfd >= 0 && timeout.is_some_and(|d| !d.is_zero()) {
            self.arm_timerfd(timeout);
            -1
        } else {
            timeout_ms(timeout)
        };
        // The kernel writes straight into the loop's buffer: `Ready` is
        // `epoll_event`.
        let cap = self.cap.load(Ordering::Relaxed);
        out.clear();
        out.reserve(cap);
        // SAFETY: `out` has room for `cap` entries; the kernel writes at most
        // `cap` of them and reports how many.
        let n = unsafe { libc::epoll_wait(self.epfd, out.as_mut_ptr(), cap as libc::c_int, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.raw_os_error() == Some(libc::EINTR) {
                Ok(())
            } else {
                Err(e)
            };
        }
        let n = n as usize;
        // SAFETY: the kernel initialised the first `n` (<= cap) entries.
        unsafe { out.set_len(n) };
        if self.timerfd >= 0 {
            let tfd = self.timerfd;
            out.retain(|e| {
                if super::ready_fd(e) == tfd {
                    let mut buf = [0u8; 8];
                    super::drain(tfd, &mut buf);
                    false
                } else {
                    true
                }
            });
        }
        if n == cap && cap < MAX_EVENTS {
            self.cap.store(cap * 2, Ordering::Relaxed);
        }
        Ok(())
    }
}
