//! The poll backend.
//!
//! Quirks of the mechanism, and what this file does about them:
//! a. O(n) per wait: the whole `pollfd` array goes to the kernel every time.
//!    Changes edit the array in place (swap-remove on delete, an index from
//!    fd to position). While the loop waits, the array is in the kernel's
//!    hands: changes from other threads are queued and applied when the
//!    wait returns (the engine wakes the loop after such a change), so the
//!    array is never copied.
//! b. A closed fd yields `POLLNVAL` on every call. libevent reports it as
//!    readable and writable forever, which spins. Here it is reported once
//!    (readable and writable, so the callback's read sees `EBADF`), logged,
//!    and left out of later waits (its entry's fd is negated, which poll
//!    skips) until its interests change or another event is added on it.
//! c. No edge-triggered mode. `EV_CLOSED` uses `POLLRDHUP`, as libevent's
//!    poll backend does (`EV_FEATURE_EARLY_CLOSE`).
//! d. A hang-up or error (`POLLHUP`, `POLLERR`) wakes readers and writers,
//!    and `POLLRDHUP` closers, as in libevent.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{enomem, timeout_ms, Msgs, Ready};
use crate::flags::Ev;
use crate::log::Severity;

const NOWHERE: u32 = u32::MAX;

pub(crate) struct Poll {
    /// The array handed to the kernel (taken out while a wait runs).
    fds: Vec<libc::pollfd>,
    /// fd → its position in `fds`, or `NOWHERE`.
    index: Vec<u32>,
    /// Whether a wait holds `fds`.
    waiting: bool,
    /// Changes made while waiting: (fd, mask; -1 for a refresh).
    queued: Vec<(RawFd, i32)>,
}

/// A poll wait: the array, and the closed fds it found.
pub(crate) struct Waiter {
    fds: Vec<libc::pollfd>,
    invalid: Vec<RawFd>,
}

fn poll_mask(ev: Ev) -> libc::c_short {
    let mut m = 0;
    if ev.contains(Ev::READ) {
        m |= libc::POLLIN;
    }
    if ev.contains(Ev::WRITE) {
        m |= libc::POLLOUT;
    }
    if ev.contains(Ev::CLOSED) {
        m |= libc::POLLRDHUP;
    }
    m
}

impl Poll {
    pub(crate) fn new() -> Poll {
        Poll {
            fds: Vec::new(),
            index: Vec::new(),
            waiting: false,
            queued: Vec::new(),
        }
    }

    pub(crate) fn change(&mut self, fd: RawFd, new: Ev) -> io::Result<()> {
        if fd < 0 {
            return Ok(());
        }
        let m = poll_mask(new);
        if self.waiting {
            self.queued.try_reserve(1).map_err(|_| enomem())?;
            self.queued.push((fd, m as i32));
            return Ok(());
        }
        self.set(fd, m)
    }

    pub(crate) fn refresh(&mut self, fd: RawFd) {
        if self.waiting {
            if self.queued.try_reserve(1).is_ok() {
                self.queued.push((fd, -1));
            }
            return;
        }
        self.unignore(fd);
    }

    /// Watches an fd that was left out because it was closed again.
    fn unignore(&mut self, fd: RawFd) {
        if let Some(&i) = self.index.get(fd as usize) {
            if i != NOWHERE {
                self.fds[i as usize].fd = fd;
            }
        }
    }

    fn set(&mut self, fd: RawFd, m: libc::c_short) -> io::Result<()> {
        let f = fd as usize;
        let pos = self.index.get(f).copied().unwrap_or(NOWHERE);
        match (pos, m) {
            (NOWHERE, 0) => {}
            (NOWHERE, m) => {
                if f >= self.index.len() {
                    let len = (f + 1).next_power_of_two().max(64);
                    self.index
                        .try_reserve(len - self.index.len())
                        .map_err(|_| enomem())?;
                    self.index.resize(len, NOWHERE);
                }
                self.fds.try_reserve(1).map_err(|_| enomem())?;
                self.index[f] = self.fds.len() as u32;
                self.fds.push(libc::pollfd {
                    fd,
                    events: m,
                    revents: 0,
                });
            }
            (i, 0) => {
                self.fds.swap_remove(i as usize);
                self.index[f] = NOWHERE;
                if let Some(moved) = self.fds.get(i as usize) {
                    let mf = if moved.fd < 0 { !moved.fd } else { moved.fd };
                    self.index[mf as usize] = i;
                }
            }
            (i, m) => {
                let p = &mut self.fds[i as usize];
                p.events = m;
                // New interests: watch a left-out fd again.
                p.fd = fd;
            }
        }
        Ok(())
    }

    pub(crate) fn begin_wait(&mut self) -> Waiter {
        self.waiting = true;
        Waiter {
            fds: std::mem::take(&mut self.fds),
            invalid: Vec::new(),
        }
    }

    pub(crate) fn end_wait(&mut self, w: Waiter, _out: &mut Vec<Ready>, msgs: &mut Msgs) {
        self.fds = w.fds;
        self.waiting = false;
        for fd in w.invalid {
            msgs.push((
                Severity::Warn,
                format!(
                    "poll: fd {fd} was closed while an event on it was pending; \
                     reporting it once and ignoring it until its events change"
                ),
            ));
            if let Some(&i) = self.index.get(fd as usize) {
                if i != NOWHERE {
                    self.fds[i as usize].fd = !fd;
                }
            }
        }
        let queued = std::mem::take(&mut self.queued);
        for &(fd, m) in &queued {
            if m < 0 {
                self.unignore(fd);
            } else if let Err(e) = self.set(fd, m as libc::c_short) {
                msgs.push((Severity::Warn, format!("poll: cannot change fd {fd}: {e}")));
            }
        }
        self.queued = queued;
        self.queued.clear();
    }
}

impl Waiter {
    pub(crate) fn wait(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Ready>,
    ) -> io::Result<()> {
        out.clear();
        // SAFETY: `fds` holds `len` initialised pollfd entries the kernel may update.
        let n = unsafe {
            libc::poll(
                self.fds.as_mut_ptr(),
                self.fds.len() as libc::nfds_t,
                timeout_ms(timeout),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.raw_os_error() == Some(libc::EINTR) {
                Ok(())
            } else {
                Err(e)
            };
        }
        if n == 0 {
            return Ok(());
        }
        out.try_reserve(n as usize).map_err(|_| enomem())?;
        for p in &self.fds {
            let mut r = p.revents;
            if r == 0 {
                continue;
            }
            if r & libc::POLLNVAL != 0 && self.invalid.try_reserve(1).is_ok() {
                self.invalid.push(p.fd);
            }
            if r & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                r |= libc::POLLIN | libc::POLLOUT;
            }
            let mut ev = Ev::NONE;
            if r & libc::POLLIN != 0 {
                ev |= Ev::READ;
            }
            if r & libc::POLLOUT != 0 {
                ev |= Ev::WRITE;
            }
            if r & libc::POLLRDHUP != 0 {
                ev |= Ev::CLOSED;
            }
            if !ev.is_empty() {
                out.push(super::ready(p.fd, ev));
            }
        }
        Ok(())
    }
}
