//! `reinit` after `fork()` (libevent's `event_reinit`), on each backend.
//!
//! The parent builds a base with an echo event on a socketpair and a
//! pending timer, then forks. The child calls `reinit`, adds a persistent
//! timer, deletes an event that belongs to the parent's side, and serves
//! three pings from the parent; it exits 0 when all of that happened. The
//! parent's base keeps working afterwards, that deleted event included
//! (without a real reinit, the child's delete would reach the parent's
//! epoll instance, which a fork shares).
//!
//! The test harness runs other tests in other threads, so the child only
//! calls the engine, `alarm` and `_exit`: no printing, no panicking path
//! that could take a lock another thread held at the fork. `alarm(10)`
//! kills a child that hangs, so the parent's `waitpid` always returns.

mod util;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use oxevent::{Base, Ev, EventId, LoopExit};
use util::{base_on, ms, pair};

#[derive(Default)]
struct Child {
    pings: u32,
    bad_reply: bool,
    old_timer: bool,
    ticks: u32,
    parent_only: bool,
}

impl Child {
    fn done(&self) -> bool {
        self.pings == 3 && self.old_timer && self.ticks >= 3
    }
}

/// Exit codes of the child.
const OK: i32 = 0;
const PANICKED: i32 = 1;
const REINIT_FAILED: i32 = 2;
const INCOMPLETE: i32 = 3;
const LOOP_FAILED: i32 = 4;

fn child_main(base: &Base<Child>, parent_io: EventId) -> i32 {
    // SAFETY: alarm(2) only arms a timer; SIGALRM's default action ends a
    // child that hangs, which the parent then reports.
    unsafe { libc::alarm(10) };
    let run = || {
        if base.reinit().is_err() {
            return REINIT_FAILED;
        }
        // Without a real reinit, this would remove the parent's epoll
        // registration too (the epoll instance is shared across fork).
        if base.del(parent_io).is_err() {
            return LOOP_FAILED;
        }
        let Ok(tick) = base.timer_with(Ev::PERSIST, |c: &mut Child, base, _| {
            c.ticks += 1;
            if c.done() {
                base.loopbreak();
            }
        }) else {
            return LOOP_FAILED;
        };
        if base.add(tick, Some(ms(20))).is_err() || base.loopexit(Some(ms(5000))).is_err() {
            return LOOP_FAILED;
        }
        let mut c = Child::default();
        match base.dispatch(&mut c) {
            Ok(LoopExit::Stopped) if c.done() && !c.bad_reply && !c.parent_only => OK,
            Ok(_) => INCOMPLETE,
            Err(_) => LOOP_FAILED,
        }
    };
    panic::catch_unwind(AssertUnwindSafe(run)).unwrap_or(PANICKED)
}

struct Setup {
    base: Base<Child>,
    echo: EventId,
    parent_io: EventId,
    parent_peer: UnixStream,
}

fn setup(method: &str) -> (Setup, UnixStream) {
    let base = base_on::<Child>(method);
    let (to_child, child_end) = UnixStream::pair().unwrap();
    child_end.set_nonblocking(true).unwrap();
    let echo = base
        .io(
            child_end,
            Ev::READ | Ev::PERSIST,
            |c: &mut Child, base, s, _| {
                let mut buf = [0u8; 64];
                match s.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        c.pings += 1;
                        let mut reply = b"pong:".to_vec();
                        reply.extend_from_slice(&buf[..n]);
                        if s.write_all(&reply).is_err() {
                            c.bad_reply = true;
                        }
                        if c.done() {
                            base.loopbreak();
                        }
                    }
                    _ => c.bad_reply = true,
                }
            },
        )
        .unwrap();
    base.add(echo, None).unwrap();
    // Added before the fork: must still fire in the child after reinit.
    let old = base
        .timer(|c: &mut Child, base, _| {
            c.old_timer = true;
            if c.done() {
                base.loopbreak();
            }
        })
        .unwrap();
    base.add(old, Some(ms(100))).unwrap();
    // Watched by the parent after the child is gone; nothing writes to it
    // while the child lives.
    let (pa, pb) = pair();
    let parent_io = base
        .io(pa, Ev::READ | Ev::PERSIST, |c: &mut Child, base, s, _| {
            util::drain(s);
            c.parent_only = true;
            base.loopbreak();
        })
        .unwrap();
    base.add(parent_io, None).unwrap();
    (
        Setup {
            base,
            echo,
            parent_io,
            parent_peer: pb,
        },
        to_child,
    )
}

fn fork_and_serve(method: &str) {
    let (s, mut to_child) = setup(method);
    // SAFETY: fork() in a multi-threaded test process. The child touches
    // only state this thread owns (the base, its sockets) plus alarm and
    // _exit; it never returns into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = child_main(&s.base, s.parent_io);
        // SAFETY: _exit ends the child at once, without running the
        // parent's atexit handlers or destructors.
        unsafe { libc::_exit(code) };
    }

    to_child
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut replies = Vec::new();
    for i in 0..3 {
        let ping = format!("ping{i}");
        to_child.write_all(ping.as_bytes()).unwrap();
        let mut buf = vec![0u8; 5 + ping.len()];
        let got = to_child.read_exact(&mut buf);
        replies.push(got.map(|_| String::from_utf8_lossy(&buf).into_owned()));
    }

    let mut status = 0;
    // SAFETY: waits for our own child; `status` is valid storage.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    assert!(
        libc::WIFEXITED(status),
        "{method}: child did not exit normally (status {status:#x}; killed by \
         signal {} if signalled)",
        libc::WTERMSIG(status)
    );
    assert_eq!(libc::WEXITSTATUS(status), OK, "{method}: child's exit code");
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(
            r.as_deref().ok(),
            Some(format!("pong:ping{i}").as_str()),
            "{method}"
        );
    }

    // The parent's base is untouched by the child's reinit.
    let Setup {
        base,
        echo,
        parent_io,
        mut parent_peer,
    } = s;
    base.free(echo).unwrap();
    util::send(&mut parent_peer, b"parent");
    base.loopexit(Some(Duration::from_secs(3))).unwrap();
    let mut c = Child::default();
    base.dispatch(&mut c).unwrap();
    assert!(c.parent_only, "{method}: the parent's event did not fire");
    assert!(base.got_break());
    base.free(parent_io).unwrap();
}

#[test]
fn child_serves_after_reinit_epoll() {
    fork_and_serve("epoll");
}

#[test]
fn child_serves_after_reinit_poll() {
    fork_and_serve("poll");
}

#[test]
fn child_serves_after_reinit_select() {
    fork_and_serve("select");
}

/// A signal event added before the fork still works in the child after
/// `reinit` (the signal socketpair is rebuilt and the handler retargeted),
/// and the child's signals no longer reach the parent's base.
/// The child is single-threaded, so its `raise` reaches its own handler.
#[test]
fn child_gets_signals_after_reinit() {
    let base = util::base::<u32>();
    let sig = base
        .signal(libc::SIGUSR1, Ev::PERSIST, |n: &mut u32, base, f| {
            if f.fd == libc::SIGUSR1 && f.what == Ev::SIGNAL {
                *n += 1;
            }
            base.loopbreak();
        })
        .unwrap();
    base.add(sig, None).unwrap();
    // SAFETY: fork() in a multi-threaded test process; the child only
    // calls the engine, alarm, raise and _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: alarm(2) only arms a timer that ends a hung child.
        unsafe { libc::alarm(10) };
        let run = || {
            if base.reinit().is_err() {
                return REINIT_FAILED;
            }
            // SAFETY: this process has one thread, and SIGUSR1 has the
            // engine's handler (installed by the add above).
            unsafe { libc::raise(libc::SIGUSR1) };
            if base.loopexit(Some(ms(3000))).is_err() {
                return LOOP_FAILED;
            }
            let mut n = 0;
            let code = match base.dispatch(&mut n) {
                Ok(_) if n == 1 && base.got_break() => OK,
                Ok(_) => INCOMPLETE,
                Err(_) => LOOP_FAILED,
            };
            // Left unread: it must land in the child's own signal socket,
            // not in the one it shared with the parent before reinit.
            // SAFETY: as above.
            unsafe { libc::raise(libc::SIGUSR1) };
            code
        };
        let code = panic::catch_unwind(AssertUnwindSafe(run)).unwrap_or(PANICKED);
        // SAFETY: _exit ends the child without running the parent's handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is valid storage.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), OK);
    let mut n = 0;
    base.run(oxevent::LoopFlags::NONBLOCK, &mut n).unwrap();
    assert_eq!(n, 0, "the child's signal reached the parent's base");
    base.free(sig).unwrap();
}
