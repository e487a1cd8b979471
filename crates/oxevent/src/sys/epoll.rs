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
use std::time::Duration;

use super::{cvt, timeout_ms, Msgs, Ready};
use crate::flags::Ev;
use crate::log::Severity;

const INITIAL_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;

/// A queued change: fd, interests before the first queued change, the latest
/// interests, and whether they were empty in between (the fd may have been
/// closed and its number reused, so the kernel must hear both halves).
type Change = (RawFd, Ev, Ev, bool);

pub(crate) struct Epoll {
    epfd: RawFd,
    /// `Some` when changes are coalesced until the next wait.
    changelist: Option<Vec<Change>>,
    /// A timerfd for microsecond-precision waits, or -1.
    timerfd: RawFd,
    /// How many results the next wait asks for (grows while waits fill it).
    cap: usize,
}

/// An epoll wait: the instance, the timerfd and the result capacity.
pub(crate) struct Waiter {
    epfd: RawFd,
    timerfd: RawFd,
    cap: usize,
    /// The last wait filled every result slot.
    full: bool,
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

fn ctl(epfd: RawFd, op: libc::c_int, fd: RawFd, ev: Ev) -> io::Result<()> {
    let mut e = libc::epoll_event {
        events: mask(ev),
        u64: fd as u32 as u64,
    };
    // SAFETY: `e` is a valid epoll_event; epfd is ours; the kernel checks `fd`.
    cvt(unsafe { libc::epoll_ctl(epfd, op, fd, &mut e) }).map(|_| ())
}

/// Applies one net change with the fallbacks of quirk (a).
fn apply(epfd: RawFd, fd: RawFd, old: Ev, new: Ev) -> io::Result<()> {
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
        match ctl(epfd, op, fd, new_io) {
            Ok(()) => Ok(()),
            Err(e) if op == libc::EPOLL_CTL_MOD && e.raw_os_error() == Some(libc::ENOENT) => {
                ctl(epfd, libc::EPOLL_CTL_ADD, fd, new_io)
            }
            Err(e) if op == libc::EPOLL_CTL_ADD && e.raw_os_error() == Some(libc::EEXIST) => {
                ctl(epfd, libc::EPOLL_CTL_MOD, fd, new_io)
            }
            Err(e) => Err(e),
        }
    } else {
        match ctl(epfd, libc::EPOLL_CTL_DEL, fd, Ev::NONE) {
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
                if ctl(epfd, libc::EPOLL_CTL_ADD, t, Ev::READ).is_ok() {
                    timerfd = t;
                } else {
                    super::close(t);
                }
            }
        }
        Ok(Epoll {
            epfd,
            changelist: changelist.then(Vec::new),
            timerfd,
            cap: INITIAL_EVENTS,
        })
    }

    pub(crate) fn change(&mut self, fd: RawFd, old: Ev, new: Ev) -> io::Result<()> {
        match &mut self.changelist {
            None => apply(self.epfd, fd, old, new),
            Some(list) => {
                // Coalesce: keep the first `old` and the last `new` of an fd,
                // remembering whether it went through "no interest".
                let empty = !new.intersects(Ev::IO);
                if let Some(entry) = list.iter_mut().find(|e| e.0 == fd) {
                    entry.2 = new;
                    entry.3 |= empty;
                } else {
                    list.try_reserve(1).map_err(|_| super::enomem())?;
                    list.push((fd, old, new, empty));
                }
                Ok(())
            }
        }
    }

    pub(crate) fn begin_wait(&mut self, msgs: &mut Msgs) -> Waiter {
        if let Some(list) = &mut self.changelist {
            for (fd, old, new, went_empty) in list.drain(..) {
                let r = if went_empty && old.intersects(Ev::IO) && new.intersects(Ev::IO) {
                    // Deleted then added again: possibly a new file under a
                    // reused number. Tell the kernel both halves.
                    let _ = apply(self.epfd, fd, old, Ev::NONE);
                    apply(self.epfd, fd, Ev::NONE, new)
                } else {
                    apply(self.epfd, fd, old, new)
                };
                if let Err(e) = r {
                    msgs.push((Severity::Warn, format!("epoll: cannot change fd {fd}: {e}")));
                }
            }
        }
        Waiter {
            epfd: self.epfd,
            timerfd: self.timerfd,
            cap: self.cap,
            full: false,
        }
    }

    pub(crate) fn end_wait(&mut self, w: Waiter) {
        if w.full && self.cap < MAX_EVENTS {
            self.cap *= 2;
        }
    }
}

impl Waiter {
    fn arm_timerfd(&self, timeout: Option<Duration>) {
        let d = timeout.unwrap_or(Duration::ZERO);
        let spec: libc::itimerspec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not requested.
        unsafe { libc::timerfd_settime(self.timerfd, 0, &spec, std::ptr::null_mut()) };
    }

    pub(crate) fn wait(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Ready>,
    ) -> io::Result<()> {
        let ms = if self.timerfd >= 0 && timeout.is_some_and(|d| !d.is_zero()) {
            self.arm_timerfd(timeout);
            -1
        } else {
            timeout_ms(timeout)
        };
        // The kernel writes straight into the loop's buffer: `Ready` is
        // `epoll_event`.
        let cap = self.cap;
        out.clear();
        if out.try_reserve(cap).is_err() {
            return Err(super::enomem());
        }
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
        self.full = n == cap;
        Ok(())
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        super::close(self.epfd);
        super::close(self.timerfd);
    }
}
