//! The select backend.
//!
//! Quirks of the mechanism, and what this file does about them:
//! a. `fd_set` is a fixed 1024-bit array (`FD_SETSIZE`). Linux's `select`
//!    reads `nfds` bits from whatever memory it is given, so the sets here are
//!    vectors sized to the largest fd: no `FD_SETSIZE` limit.
//! b. One closed fd makes the whole call fail with `EBADF`. The backend then
//!    probes each registered fd, reports the closed ones once (readable and
//!    writable, so the callback's read sees the error), logs them, and leaves
//!    them out of later waits until their interests change.
//! c. No edge-triggered mode; `EV_CLOSED` alone never fires.
//! d. O(max fd) per wait.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::Mutex;
use std::time::Duration;

use super::{Backend, Features, Method, Ready};
use crate::flags::Ev;

const WORD_BITS: usize = libc::c_ulong::BITS as usize;

#[derive(Default)]
struct State {
    /// fd → (interests, ignored because closed)
    fds: BTreeMap<RawFd, (Ev, bool)>,
}

#[derive(Default)]
struct Scratch {
    read: Vec<libc::c_ulong>,
    write: Vec<libc::c_ulong>,
    watched: Vec<(RawFd, Ev)>,
}

pub(crate) struct Select {
    state: Mutex<State>,
    scratch: Mutex<Scratch>,
}

impl Select {
    pub(crate) fn new() -> Select {
        Select {
            state: Mutex::new(State::default()),
            scratch: Mutex::new(Scratch::default()),
        }
    }
}

fn set_bit(v: &mut [libc::c_ulong], fd: RawFd) {
    let fd = fd as usize;
    v[fd / WORD_BITS] |= 1 << (fd % WORD_BITS);
}

fn has_bit(v: &[libc::c_ulong], fd: RawFd) -> bool {
    let fd = fd as usize;
    v[fd / WORD_BITS] & (1 << (fd % WORD_BITS)) != 0
}

impl Backend for Select {
    fn name(&self) -> &'static str {
        "select"
    }

    fn features(&self) -> Features {
        Method::Select.features()
    }

    fn change(&self, fd: RawFd, _old: Ev, new: Ev) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let io = new & (Ev::READ | Ev::WRITE);
        if io.is_empty() {
            st.fds.remove(&fd);
        } else {
            st.fds.insert(fd, (io, false));
        }
        Ok(())
    }

    fn refresh(&self, fd: RawFd) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = st.fds.get_mut(&fd) {
            entry.1 = false;
        }
    }

    fn dispatch(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        let mut guard = self.scratch.lock().unwrap_or_else(|p| p.into_inner());
        let sc = &mut *guard;
        sc.watched.clear();
        {
            let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            sc.watched.extend(
                st.fds
                    .iter()
                    .filter(|(_, (_, bad))| !bad)
                    .map(|(fd, (ev, _))| (*fd, *ev)),
            );
        }
        let nfds = sc.watched.last().map_or(0, |(fd, _)| *fd + 1);
        let words = (nfds as usize)
            .div_ceil(WORD_BITS)
            .max(libc::FD_SETSIZE / WORD_BITS);
        sc.read.clear();
        sc.read.resize(words, 0);
        sc.write.clear();
        sc.write.resize(words, 0);
        for &(fd, ev) in &sc.watched {
            if ev.contains(Ev::READ) {
                set_bit(&mut sc.read, fd);
            }
            if ev.contains(Ev::WRITE) {
                set_bit(&mut sc.write, fd);
            }
        }
        let mut tv = timeout.map(|d| libc::timeval {
            tv_sec: d.as_secs() as libc::time_t,
            tv_usec: d.subsec_micros() as libc::suseconds_t,
        });
        let tvp = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut libc::timeval);
        // SAFETY: both sets hold at least `nfds` bits (and at least FD_SETSIZE,
        // the size of `fd_set`); `tvp` is null or a live timeval.
        let n = unsafe {
            libc::select(
                nfds,
                sc.read.as_mut_ptr().cast::<libc::fd_set>(),
                sc.write.as_mut_ptr().cast::<libc::fd_set>(),
                std::ptr::null_mut(),
                tvp,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EINTR) => Ok(()),
                Some(libc::EBADF) => {
                    self.report_closed(&sc.watched, out);
                    Ok(())
                }
                _ => Err(e),
            };
        }
        if n == 0 {
            return Ok(());
        }
        for &(fd, _) in &sc.watched {
            let mut ev = Ev::NONE;
            if has_bit(&sc.read, fd) {
                ev |= Ev::READ;
            }
            if has_bit(&sc.write, fd) {
                ev |= Ev::WRITE;
            }
            if !ev.is_empty() {
                out.push(super::ready(fd, ev));
            }
        }
        Ok(())
    }
}

impl Select {
    fn report_closed(&self, watched: &[(RawFd, Ev)], out: &mut Vec<Ready>) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for &(fd, _) in watched {
            if !super::fd_is_open(fd) {
                crate::log::warn(format_args!(
                    "select: fd {fd} was closed while an event on it was pending; \
                     reporting it once and ignoring it until its events change"
                ));
                if let Some(entry) = st.fds.get_mut(&fd) {
                    entry.1 = true;
                }
                out.push(super::ready(fd, Ev::READ | Ev::WRITE));
            }
        }
    }
}
