//! The poll backend.
//!
//! Quirks of the mechanism, and what this file does about them:
//! a. O(n) per wait: the whole `pollfd` array goes to the kernel every time.
//!    Changes edit the array in place (swap-remove on delete, an index map
//!    from fd to slot), and the dispatching thread copies it out under a short
//!    lock so other threads may change interests while it waits.
//! b. A closed fd yields `POLLNVAL` on every call. libevent reports it as
//!    readable and writable forever, which spins. Here it is reported once
//!    (readable and writable, so the callback's read sees `EBADF`), logged,
//!    and left out of later waits until its interests change.
//! c. No edge-triggered mode and no `POLLRDHUP` use: `EV_CLOSED` alone never
//!    fires, as with libevent's poll backend.

use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::Mutex;
use std::time::Duration;

use super::{timeout_ms, Backend, Features, Method, Ready};
use crate::flags::Ev;

#[derive(Default)]
struct State {
    fds: Vec<libc::pollfd>,
    slot: HashMap<RawFd, usize>,
    /// Interests per fd, kept while a closed fd is left out of the waits.
    wanted: HashMap<RawFd, libc::c_short>,
}

pub(crate) struct Poll {
    state: Mutex<State>,
    scratch: Mutex<Vec<libc::pollfd>>,
}

impl Poll {
    pub(crate) fn new() -> Poll {
        Poll {
            state: Mutex::new(State::default()),
            scratch: Mutex::new(Vec::new()),
        }
    }
}

fn poll_mask(ev: Ev) -> libc::c_short {
    let mut m = 0;
    if ev.contains(Ev::READ) {
        m |= libc::POLLIN;
    }
    if ev.contains(Ev::WRITE) {
        m |= libc::POLLOUT;
    }
    m
}

impl State {
    fn set(&mut self, fd: RawFd, events: libc::c_short) {
        match (self.slot.get(&fd).copied(), events) {
            (Some(i), 0) => {
                self.fds.swap_remove(i);
                self.slot.remove(&fd);
                if let Some(moved) = self.fds.get(i) {
                    self.slot.insert(moved.fd, i);
                }
            }
            (Some(i), m) => self.fds[i].events = m,
            (None, 0) => {}
            (None, m) => {
                self.slot.insert(fd, self.fds.len());
                self.fds.push(libc::pollfd {
                    fd,
                    events: m,
                    revents: 0,
                });
            }
        }
    }
}

impl Backend for Poll {
    fn name(&self) -> &'static str {
        "poll"
    }

    fn features(&self) -> Features {
        Method::Poll.features()
    }

    fn change(&self, fd: RawFd, _old: Ev, new: Ev) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let m = poll_mask(new);
        if m == 0 {
            st.wanted.remove(&fd);
        } else {
            st.wanted.insert(fd, m);
        }
        st.set(fd, m);
        Ok(())
    }

    fn refresh(&self, fd: RawFd) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&i) = st.slot.get(&fd) {
            if st.fds[i].events == 0 {
                st.fds[i].events = st.wanted.get(&fd).copied().unwrap_or(0);
            }
        }
    }

    fn dispatch(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        let mut scratch = self.scratch.lock().unwrap_or_else(|p| p.into_inner());
        {
            let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            scratch.clear();
            scratch.extend(st.fds.iter().filter(|p| p.events != 0).copied());
        }
        // SAFETY: `scratch` holds `len` initialised pollfd entries the kernel may update.
        let n = unsafe {
            libc::poll(
                scratch.as_mut_ptr(),
                scratch.len() as libc::nfds_t,
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
        let mut invalid = Vec::new();
        for p in scratch.iter() {
            let r = p.revents;
            if r == 0 {
                continue;
            }
            let mut ev = Ev::NONE;
            if r & libc::POLLNVAL != 0 {
                invalid.push(p.fd);
                ev = Ev::READ | Ev::WRITE;
            } else if r & (libc::POLLHUP | libc::POLLERR) != 0 {
                ev = Ev::READ | Ev::WRITE;
            } else {
                if r & libc::POLLIN != 0 {
                    ev |= Ev::READ;
                }
                if r & libc::POLLOUT != 0 {
                    ev |= Ev::WRITE;
                }
            }
            out.push(super::ready(p.fd, ev));
        }
        if !invalid.is_empty() {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            for fd in invalid {
                crate::log::warn(format_args!(
                    "poll: fd {fd} was closed while an event on it was pending; \
                     reporting it once and ignoring it until its events change"
                ));
                if let Some(&i) = st.slot.get(&fd) {
                    st.fds[i].events = 0;
                }
            }
        }
        Ok(())
    }
}
