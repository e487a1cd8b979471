//! The select backend.
//!
//! Quirks of the mechanism, and what this file does about them:
//! a. `fd_set` is a fixed 1024-bit array (`FD_SETSIZE`). Linux's `select`
//!    reads `nfds` bits from whatever memory it is given, so the sets here are
//!    word vectors sized to the largest fd: no `FD_SETSIZE` limit (libevent
//!    grows its sets the same way).
//! b. `select` overwrites its sets: the interest sets are kept here and
//!    copied into the waiter's output sets before each wait (one `memcpy` per
//!    set, as libevent does). Results are found a word at a time.
//! c. One closed fd makes the whole call fail with `EBADF`. The waiter then
//!    probes each watched fd, reports the closed ones once (readable and
//!    writable, so the callback's read sees the error), and they are logged
//!    and left out of later waits until their interests change.
//! d. While the loop waits, changes from other threads are queued and
//!    applied when the wait returns (the engine wakes the loop after such a
//!    change).
//! e. No edge-triggered mode; `EV_CLOSED` alone never fires.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{enomem, Msgs, Ready};
use crate::flags::Ev;
use crate::log::Severity;

const WORD_BITS: usize = u64::BITS as usize;
/// The sets handed to the kernel are never smaller than an `fd_set`.
const MIN_WORDS: usize = libc::FD_SETSIZE / WORD_BITS;

pub(crate) struct Select {
    rd: Vec<u64>,
    wr: Vec<u64>,
    /// Closed fds left out of the waits.
    ignored: Vec<u64>,
    /// One past the highest fd with an interest (an upper bound).
    nfds: usize,
    waiting: bool,
    queued: Vec<(RawFd, i8)>,
    /// Output sets, kept between waits.
    spare: Option<(Vec<u64>, Vec<u64>)>,
}

/// A select wait: its copies of the sets.
pub(crate) struct Waiter {
    rd: Vec<u64>,
    wr: Vec<u64>,
    nfds: usize,
    /// The wait failed with `EBADF`: some watched fd was closed.
    bad: bool,
}

#[inline]
fn get(v: &[u64], fd: usize) -> bool {
    v.get(fd / WORD_BITS)
        .is_some_and(|w| w & (1 << (fd % WORD_BITS)) != 0)
}

#[inline]
fn put(v: &mut [u64], fd: usize, on: bool) {
    let w = &mut v[fd / WORD_BITS];
    if on {
        *w |= 1 << (fd % WORD_BITS);
    } else {
        *w &= !(1 << (fd % WORD_BITS));
    }
}

impl Select {
    pub(crate) fn new() -> Select {
        Select {
            rd: Vec::new(),
            wr: Vec::new(),
            ignored: Vec::new(),
            nfds: 0,
            waiting: false,
            queued: Vec::new(),
            spare: None,
        }
    }

    pub(crate) fn change(&mut self, fd: RawFd, new: Ev) -> io::Result<()> {
        if fd < 0 {
            return Ok(());
        }
        let m = (new.contains(Ev::READ) as i8) | ((new.contains(Ev::WRITE) as i8) << 1);
        if self.waiting {
            self.queued.try_reserve(1).map_err(|_| enomem())?;
            self.queued.push((fd, m));
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
        if fd >= 0 && (fd as usize) < self.ignored.len() * WORD_BITS {
            put(&mut self.ignored, fd as usize, false);
        }
    }

    fn set(&mut self, fd: RawFd, m: i8) -> io::Result<()> {
        let f = fd as usize;
        let words = (f / WORD_BITS + 1).max(MIN_WORDS);
        if words > self.rd.len() {
            if m == 0 {
                return Ok(());
            }
            let more = words.next_power_of_two() - self.rd.len();
            self.rd.try_reserve(more).map_err(|_| enomem())?;
            self.wr.try_reserve(more).map_err(|_| enomem())?;
            self.ignored.try_reserve(more).map_err(|_| enomem())?;
            let len = self.rd.len() + more;
            self.rd.resize(len, 0);
            self.wr.resize(len, 0);
            self.ignored.resize(len, 0);
        }
        put(&mut self.rd, f, m & 1 != 0);
        put(&mut self.wr, f, m & 2 != 0);
        // New interests: watch a left-out fd again.
        put(&mut self.ignored, f, false);
        if m != 0 {
            self.nfds = self.nfds.max(f + 1);
        } else if f + 1 == self.nfds {
            while self.nfds > 0 && !get(&self.rd, self.nfds - 1) && !get(&self.wr, self.nfds - 1) {
                self.nfds -= 1;
            }
        }
        Ok(())
    }

    pub(crate) fn begin_wait(&mut self) -> Waiter {
        self.waiting = true;
        let (mut rd, mut wr) = self.spare.take().unwrap_or_default();
        let words = self
            .nfds
            .div_ceil(WORD_BITS)
            .max(MIN_WORDS)
            .min(self.rd.len());
        rd.clear();
        wr.clear();
        // Reserved when the interest sets grew to this size; a failure
        // here leaves a wait with no fds (the loop still times out).
        if rd.try_reserve(words.max(MIN_WORDS)).is_ok()
            && wr.try_reserve(words.max(MIN_WORDS)).is_ok()
        {
            rd.extend(
                self.rd[..words]
                    .iter()
                    .zip(&self.ignored[..words])
                    .map(|(r, i)| r & !i),
            );
            wr.extend(
                self.wr[..words]
                    .iter()
                    .zip(&self.ignored[..words])
                    .map(|(w, i)| w & !i),
            );
            rd.resize(words.max(MIN_WORDS), 0);
            wr.resize(words.max(MIN_WORDS), 0);
        }
        Waiter {
            nfds: self.nfds.min(rd.len() * WORD_BITS),
            rd,
            wr,
            bad: false,
        }
    }

    pub(crate) fn end_wait(&mut self, w: Waiter, out: &mut Vec<Ready>, msgs: &mut Msgs) {
        self.waiting = false;
        if w.bad {
            self.report_closed(out, msgs);
        }
        self.spare = Some((w.rd, w.wr));
        let queued = std::mem::take(&mut self.queued);
        for &(fd, m) in &queued {
            if m < 0 {
                self.refresh(fd);
            } else if let Err(e) = self.set(fd, m) {
                msgs.push((
                    Severity::Warn,
                    format!("select: cannot change fd {fd}: {e}"),
                ));
            }
        }
        self.queued = queued;
        self.queued.clear();
    }

    /// After `EBADF`: reports each closed watched fd once and leaves it out.
    fn report_closed(&mut self, out: &mut Vec<Ready>, msgs: &mut Msgs) {
        for fd in 0..self.nfds {
            let watched = (get(&self.rd, fd) || get(&self.wr, fd)) && !get(&self.ignored, fd);
            if watched && !super::fd_is_open(fd as RawFd) {
                msgs.push((
                    Severity::Warn,
                    format!(
                        "select: fd {fd} was closed while an event on it was pending; \
                         reporting it once and ignoring it until its events change"
                    ),
                ));
                put(&mut self.ignored, fd, true);
                if out.try_reserve(1).is_ok() {
                    out.push(super::ready(fd as RawFd, Ev::READ | Ev::WRITE));
                }
            }
        }
    }
}

impl Waiter {
    pub(crate) fn wait(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Ready>,
    ) -> io::Result<()> {
        out.clear();
        let mut tv = timeout.map(|d| libc::timeval {
            tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_usec: d.subsec_micros() as libc::suseconds_t,
        });
        let tvp = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut libc::timeval);
        // SAFETY: both sets hold at least `nfds` bits and at least
        // FD_SETSIZE bits (the size of `fd_set`); `tvp` is null or a live
        // timeval.
        let n = unsafe {
            libc::select(
                self.nfds as libc::c_int,
                self.rd.as_mut_ptr().cast::<libc::fd_set>(),
                self.wr.as_mut_ptr().cast::<libc::fd_set>(),
                std::ptr::null_mut(),
                tvp,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EINTR) => Ok(()),
                Some(libc::EBADF) => {
                    self.bad = true;
                    Ok(())
                }
                _ => Err(e),
            };
        }
        if n == 0 {
            return Ok(());
        }
        out.try_reserve(n as usize).map_err(|_| enomem())?;
        let words = self.nfds.div_ceil(WORD_BITS);
        for w in 0..words {
            let mut any = self.rd[w] | self.wr[w];
            while any != 0 {
                let bit = any.trailing_zeros() as usize;
                any &= any - 1;
                let fd = w * WORD_BITS + bit;
                let mut ev = Ev::NONE;
                if self.rd[w] & (1 << bit) != 0 {
                    ev |= Ev::READ;
                }
                if self.wr[w] & (1 << bit) != 0 {
                    ev |= Ev::WRITE;
                }
                out.push(super::ready(fd as RawFd, ev));
            }
        }
        Ok(())
    }
}
