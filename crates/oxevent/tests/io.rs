//! I/O readiness on each backend, chosen explicitly (`epoll`, `poll`,
//! `select`): many descriptors, read/write readiness, peer close, `EV_CLOSED`
//! and `EV_ET` on epoll, and a descriptor closed under a pending event.
//!
//! Every check is a function of the method name; `per_backend!` makes one
//! test per backend (`epoll::name`, `poll::name`, `select::name`).

mod util;

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use oxevent::{Base, Ev, EventId, LoopExit, LoopFlags};
use util::{base_on, ms, pair, send};

macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod epoll { $( #[test] fn $name() { super::$name("epoll") } )* }
        mod poll { $( #[test] fn $name() { super::$name("poll") } )* }
        mod select { $( #[test] fn $name() { super::$name("select") } )* }
    };
}

per_backend!(
    thousand_socketpairs_fire_exactly_once,
    write_readiness,
    read_and_write_in_one_callback,
    two_events_on_one_fd,
    deleted_event_does_not_fire,
    level_triggered_read_fires_until_drained,
    io_timeout_without_data,
    peer_close_reads_eof,
    peer_full_close_is_a_hang_up,
    closed_fd_under_pending_event_is_not_spun_on,
    closed_only_event,
    fd_numbers_reused_after_free,
    persistent_echo_round_trips,
);

/// An event on a raw fd the test keeps owning (to share one fd between
/// events, or to close it under a pending event).
fn raw_event<D: 'static>(
    base: &Base<D>,
    fd: RawFd,
    events: Ev,
    f: impl FnMut(&mut D, &Base<D>, oxevent::Fired) + 'static,
) -> EventId {
    // SAFETY: callers keep `fd` open while the event is pending, except
    // tests that close it on purpose (a broken contract, never memory).
    unsafe { base.io_fd(fd, events, f) }.unwrap()
}

/// Runs the loop for `window` (a `loopexit` timer ends it).
fn run_for<D: 'static>(base: &Base<D>, data: &mut D, window: std::time::Duration) {
    base.loopexit(Some(window)).unwrap();
    assert_eq!(base.dispatch(data).unwrap(), LoopExit::Stopped);
    assert!(base.got_exit());
}

fn thousand_socketpairs_fire_exactly_once(method: &str) {
    const N: usize = 1000;
    let base = base_on::<Vec<u32>>(method);
    let mut writers = Vec::with_capacity(N);
    for i in 0..N {
        let (r, w) = pair();
        let id = base
            .io(r, Ev::READ, move |counts: &mut Vec<u32>, _, s, f| {
                assert_eq!(f.what, Ev::READ);
                let mut b = [0u8; 8];
                assert_eq!(s.read(&mut b).unwrap(), 1);
                assert_eq!(b[0], (i % 251) as u8);
                counts[i] += 1;
            })
            .unwrap();
        base.add(id, None).unwrap();
        writers.push(w);
    }
    for (i, w) in writers.iter_mut().enumerate() {
        send(w, &[(i % 251) as u8]);
    }
    let mut counts = vec![0u32; N];
    assert_eq!(base.dispatch(&mut counts).unwrap(), LoopExit::NoEvents);
    let wrong: Vec<_> = counts.iter().enumerate().filter(|(_, &c)| c != 1).collect();
    assert!(wrong.is_empty(), "{method}: counts != 1 at {wrong:?}");
}

fn write_readiness(method: &str) {
    let base = base_on::<Vec<Ev>>(method);
    let (a, mut b) = pair();
    let id = base
        .io(a, Ev::WRITE, |seen: &mut Vec<Ev>, _, s, f| {
            seen.push(f.what);
            std::io::Write::write_all(s, b"hi").unwrap();
        })
        .unwrap();
    base.add(id, None).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![Ev::WRITE]);
    assert_eq!(util::drain(&mut b), b"hi");
}

fn read_and_write_in_one_callback(method: &str) {
    let base = base_on::<Vec<Ev>>(method);
    let (a, mut b) = pair();
    send(&mut b, b"x");
    let id = base
        .io(a, Ev::READ | Ev::WRITE, |seen: &mut Vec<Ev>, _, _, f| {
            seen.push(f.what)
        })
        .unwrap();
    base.add(id, None).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, vec![Ev::READ | Ev::WRITE], "{method}");
}

fn two_events_on_one_fd(method: &str) {
    let base = base_on::<Vec<&'static str>>(method);
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let rd = raw_event(&base, fd, Ev::READ | Ev::PERSIST, |seen, base, f| {
        seen.push("read");
        assert_eq!(f.what, Ev::READ);
        base.del(f.id).unwrap();
    });
    let rd2 = raw_event(&base, fd, Ev::READ, |seen, _, f| {
        seen.push("read2");
        assert_eq!(f.what, Ev::READ);
    });
    let wr = raw_event(&base, fd, Ev::WRITE, |seen, _, f| {
        seen.push("write");
        assert_eq!(f.what, Ev::WRITE);
    });
    base.add(rd, None).unwrap();
    base.add(rd2, None).unwrap();
    base.add(wr, None).unwrap();
    // Only writable at first.
    let mut seen = Vec::new();
    base.run(LoopFlags::ONCE, &mut seen).unwrap();
    assert_eq!(seen, vec!["write"], "{method}");
    seen.clear();
    send(&mut b, b"x");
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    seen.sort_unstable();
    assert_eq!(seen, vec!["read", "read2"]);
    // With every event gone, the fd is no longer watched: more data, no call.
    send(&mut b, b"y");
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut seen).unwrap(),
        LoopExit::NoEvents
    );
    for id in [rd, rd2, wr] {
        base.free(id).unwrap();
    }
    drop(a);
}

fn deleted_event_does_not_fire(method: &str) {
    let base = base_on::<u32>(method);
    let (a, mut b) = pair();
    let fd = a.as_raw_fd();
    let gone = raw_event(&base, fd, Ev::READ | Ev::PERSIST, |n, _, _| *n += 100);
    let kept = raw_event(&base, fd, Ev::WRITE | Ev::PERSIST, |n, base, f| {
        *n += 1;
        base.del(f.id).unwrap();
    });
    base.add(gone, None).unwrap();
    base.add(kept, None).unwrap();
    base.del(gone).unwrap();
    send(&mut b, b"data");
    let mut n = 0;
    assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
    assert_eq!(n, 1, "{method}: only the WRITE event ran");
    base.free(gone).unwrap();
    base.free(kept).unwrap();
    drop(a);
}

fn level_triggered_read_fires_until_drained(method: &str) {
    let base = base_on::<u32>(method);
    let (a, mut b) = pair();
    let id = base
        .io(a, Ev::READ | Ev::PERSIST, |n: &mut u32, _, s, _| {
            let mut one = [0u8; 1];
            assert_eq!(s.read(&mut one).unwrap(), 1);
            *n += 1;
        })
        .unwrap();
    base.add(id, None).unwrap();
    send(&mut b, b"0123456789");
    let mut n = 0;
    run_for(&base, &mut n, ms(150));
    assert_eq!(n, 10, "{method}: one call per byte, then quiet");
}

fn io_timeout_without_data(method: &str) {
    let base = base_on::<Vec<Ev>>(method);
    let (a, _b) = pair();
    let id = base
        .io(a, Ev::READ, |seen: &mut Vec<Ev>, _, _, f| seen.push(f.what))
        .unwrap();
    let start = std::time::Instant::now();
    base.add(id, Some(ms(60))).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![Ev::TIMEOUT]);
    assert!(start.elapsed() >= ms(58), "{:?}", start.elapsed());
}

fn peer_close_reads_eof(method: &str) {
    let base = base_on::<Vec<(Ev, usize)>>(method);
    let (a, b) = pair();
    let id = base
        .io(
            a,
            Ev::READ | Ev::CLOSED,
            |seen: &mut Vec<(Ev, usize)>, _, s, f| {
                let mut buf = [0u8; 8];
                seen.push((f.what, s.read(&mut buf).unwrap()));
            },
        )
        .unwrap();
    base.add(id, None).unwrap();
    b.shutdown(std::net::Shutdown::Write).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].0.contains(Ev::READ), "{method}: {seen:?}");
    assert_eq!(seen[0].1, 0, "EOF");
    // The peer's half close is EPOLLRDHUP/POLLRDHUP: epoll and poll report
    // EV_CLOSED (libevent's EV_FEATURE_EARLY_CLOSE); select cannot see it.
    assert_eq!(
        seen[0].0.contains(Ev::CLOSED),
        method != "select",
        "{method}: {seen:?}"
    );
    drop(b);
}

/// A full close (both directions): the kernel reports a hang-up with
/// `EPOLLRDHUP`/`POLLRDHUP`, which libevent's epoll and poll backends both
/// report as readable and closed; select sees it as readable.
fn peer_full_close_is_a_hang_up(method: &str) {
    let base = base_on::<Vec<Ev>>(method);
    let (a, b) = pair();
    let id = base
        .io(a, Ev::READ | Ev::CLOSED, |seen: &mut Vec<Ev>, _, _, f| {
            seen.push(f.what)
        })
        .unwrap();
    base.add(id, None).unwrap();
    drop(b);
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    let want = match method {
        "select" => Ev::READ,
        _ => Ev::READ | Ev::CLOSED,
    };
    assert_eq!(seen, [want], "{method}");
}

/// `EV_CLOSED` alone: epoll reports the peer's close (and only that, not
/// mere data); poll and select cannot watch for it, so it never fires.
fn closed_only_event(method: &str) {
    let base = base_on::<Vec<Ev>>(method);
    let (a, mut b) = pair();
    let id = base
        .io(
            a,
            Ev::CLOSED | Ev::PERSIST,
            |seen: &mut Vec<Ev>, base, _, f| {
                seen.push(f.what);
                base.del(f.id).unwrap();
            },
        )
        .unwrap();
    base.add(id, None).unwrap();
    send(&mut b, b"data is not a close");
    let mut seen = Vec::new();
    run_for(&base, &mut seen, ms(100));
    assert!(seen.is_empty(), "{method}: {seen:?}");
    b.shutdown(std::net::Shutdown::Write).unwrap();
    run_for(&base, &mut seen, ms(150));
    if method != "select" {
        assert!(base.features().contains(oxevent::Features::EARLY_CLOSE));
        assert_eq!(seen, vec![Ev::CLOSED], "{method}");
    } else {
        assert!(seen.is_empty(), "{method}: {seen:?}");
    }
}

/// Moves `sock` to a descriptor number at or above `min`, far from the
/// numbers other tests (running in parallel) get, so that closing it cannot
/// hand its number to someone else's socket during the test.
fn high_fd(sock: UnixStream, min: RawFd) -> OwnedFd {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor for an open
    // socket; it reads no memory of ours.
    let fd = unsafe { libc::fcntl(sock.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    assert!(
        fd >= min,
        "F_DUPFD failed: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` was just created by fcntl and nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A descriptor closed while its event is pending: libevent's poll/select
/// would report it forever (`POLLNVAL`/`EBADF`); the engine reports it once
/// and stops watching it. epoll forgets closed descriptors by itself.
fn closed_fd_under_pending_event_is_not_spun_on(method: &str) {
    let min = match method {
        "epoll" => 16_000,
        "poll" => 16_500,
        _ => 17_000,
    };
    let base = base_on::<Vec<Ev>>(method);
    let (a, _b) = pair();
    let owned = high_fd(a, min); // `a` is closed here: only `owned` remains
    let fd = owned.as_raw_fd();
    let id = raw_event(&base, fd, Ev::READ | Ev::PERSIST, |seen, _, f| {
        if seen.len() < 100 {
            seen.push(f.what);
        }
    });
    base.add(id, None).unwrap();
    base.run(LoopFlags::NONBLOCK, &mut Vec::new()).unwrap();
    drop(owned);
    let mut seen = Vec::new();
    run_for(&base, &mut seen, ms(200));
    assert!(seen.len() <= 2, "{method}: spun on a closed fd: {seen:?}");
    if method != "epoll" {
        assert!(
            !seen.is_empty(),
            "{method}: the closed fd was never reported"
        );
        assert!(seen.iter().all(|w| *w == Ev::READ), "{seen:?}");
    }
    base.free(id).unwrap();
}

/// Descriptor numbers come back after an event and its socket are freed;
/// the backend must not keep stale state for them.
fn fd_numbers_reused_after_free(method: &str) {
    let base = base_on::<u32>(method);
    // Ends a round that hangs; deleted after each round.
    let watchdog = base
        .timer(|n: &mut u32, base, _| {
            *n += 1000;
            base.loopbreak();
        })
        .unwrap();
    for round in 0..50 {
        let (a, mut b) = pair();
        let id = base
            .io(a, Ev::READ | Ev::PERSIST, |n: &mut u32, base, s, _| {
                util::drain(s);
                *n += 1;
                base.loopbreak();
            })
            .unwrap();
        base.add(id, None).unwrap();
        base.add(watchdog, Some(ms(2000))).unwrap();
        send(&mut b, b"x");
        let mut n = 0;
        base.dispatch(&mut n).unwrap();
        assert_eq!(n, 1, "{method} round {round}");
        base.del(watchdog).unwrap();
        base.free(id).unwrap();
    }
}

/// Two persistent events echo a counter back and forth 100 times.
fn persistent_echo_round_trips(method: &str) {
    let base = base_on::<u32>(method);
    let (a, b) = pair();
    let mk = |sock: UnixStream| {
        base.io(sock, Ev::READ | Ev::PERSIST, |n: &mut u32, base, s, _| {
            let got = util::drain(s);
            assert_eq!(got.len(), 1);
            *n += 1;
            if *n == 100 {
                base.loopbreak();
            } else {
                send(s, &got);
            }
        })
        .unwrap()
    };
    let mut b2 = b.try_clone().unwrap();
    let ea = mk(a);
    let eb = mk(b);
    base.add(ea, None).unwrap();
    base.add(eb, None).unwrap();
    send(&mut b2, b"!");
    let mut n = 0;
    base.loopexit(Some(ms(3000))).unwrap();
    base.dispatch(&mut n).unwrap();
    assert_eq!(n, 100, "{method}");
    assert!(base.got_break());
}

/// epoll only: `EV_CLOSED` fires when the peer closes.
#[test]
fn epoll_closed_on_peer_close() {
    let base = base_on::<Vec<Ev>>("epoll");
    let (a, b) = pair();
    let id = base
        .io(a, Ev::CLOSED, |seen: &mut Vec<Ev>, _, _, f| {
            seen.push(f.what)
        })
        .unwrap();
    base.add(id, None).unwrap();
    // A half close (EPOLLRDHUP without a hang-up).
    b.shutdown(std::net::Shutdown::Write).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![Ev::CLOSED]);
}

/// epoll only: an edge-triggered event runs once per arrival of data, even
/// if the callback leaves data unread; level-triggered runs per byte.
#[test]
fn epoll_edge_triggered_fires_once_per_edge() {
    let base = base_on::<u32>("epoll");
    assert!(base.features().contains(oxevent::Features::ET));
    let (a, mut b) = pair();
    let id = base
        .io(
            a,
            Ev::READ | Ev::ET | Ev::PERSIST,
            |n: &mut u32, _, s, f| {
                // libevent's epoll passes EV_ET on to the callback.
                assert_eq!(f.what, Ev::READ | Ev::ET);
                let mut one = [0u8; 1];
                assert_eq!(s.read(&mut one).unwrap(), 1);
                *n += 1;
            },
        )
        .unwrap();
    base.add(id, None).unwrap();
    assert_eq!(base.pending(id, Ev::READ).unwrap().what, Ev::READ);
    send(&mut b, b"0123456789");
    let mut n = 0;
    run_for(&base, &mut n, ms(150));
    assert_eq!(n, 1, "one edge, one call, though 9 bytes stay unread");
    send(&mut b, b"a");
    run_for(&base, &mut n, ms(150));
    assert_eq!(n, 2, "new data, new edge");
}

/// `EV_ET` only means something on epoll (`Features::ET`); libevent's poll
/// and select backends ignore it, so the event stays level-triggered.
#[test]
fn et_flag_is_level_triggered_without_the_et_feature() {
    for m in util::METHODS {
        let base = base_on::<u32>(m);
        let (a, mut b) = pair();
        let id = base
            .io(
                a,
                Ev::READ | Ev::ET | Ev::PERSIST,
                |n: &mut u32, _, s, _| {
                    let mut one = [0u8; 1];
                    assert_eq!(s.read(&mut one).unwrap(), 1);
                    *n += 1;
                },
            )
            .unwrap();
        base.add(id, None).unwrap();
        send(&mut b, b"01234");
        let mut n = 0;
        run_for(&base, &mut n, ms(150));
        let expected = if base.features().contains(oxevent::Features::ET) {
            1
        } else {
            5
        };
        assert_eq!(n, expected, "{m}");
    }
}

/// A descriptor closed under a pending event, then its number reused by a
/// new socket while the old event is still pending (misuse, but libevent's
/// poll and select keep the number in their sets, so they watch the new
/// socket): an event added on the new socket must fire.
fn reused_number_after_close_is_watched_again(method: &str) {
    let min = if method == "poll" { 18_000 } else { 18_500 };
    let base = base_on::<Vec<&'static str>>(method);
    let (a, _peer) = pair();
    let owned = high_fd(a, min);
    let fd = owned.as_raw_fd();
    let old = raw_event(&base, fd, Ev::READ | Ev::PERSIST, |seen, _, _| {
        if seen.len() < 100 {
            seen.push("old");
        }
    });
    base.add(old, None).unwrap();
    drop(owned);
    let mut seen = Vec::new();
    run_for(&base, &mut seen, ms(100));
    assert_eq!(seen, ["old"], "{method}: the close is reported once");
    // A new socket takes the same number.
    let (x, mut y) = pair();
    let again = high_fd(x, min);
    assert_eq!(again.as_raw_fd(), fd, "the number came back");
    let new = raw_event(&base, fd, Ev::READ, |seen, _, _| seen.push("new"));
    base.add(new, None).unwrap();
    send(&mut y, b"data");
    seen.clear();
    run_for(&base, &mut seen, ms(200));
    assert!(
        seen.contains(&"new"),
        "{method}: the reused descriptor is never watched: {seen:?}"
    );
    base.free(old).unwrap();
    base.free(new).unwrap();
    drop(again);
}

#[test]
fn poll_reused_number_after_close_is_watched_again() {
    reused_number_after_close_is_watched_again("poll");
}

#[test]
fn select_reused_number_after_close_is_watched_again() {
    reused_number_after_close_is_watched_again("select");
}

/// With `EPOLL_USE_CHANGELIST`, an event freed (its socket closed) and a
/// new socket that gets the same number, added before the next dispatch:
/// the queued changes net to "no change", but the kernel forgot the closed
/// file, so the new socket must still be registered. libevent's changelist
/// issues `EPOLL_CTL_MOD` (retried as `ADD` on `ENOENT`) for a re-add.
fn changelist_fd_reuse(changelist: bool) -> Vec<&'static str> {
    let mut cfg = util::config_for("epoll");
    if changelist {
        cfg.flag(oxevent::BaseFlags::EPOLL_USE_CHANGELIST);
    }
    let base = Base::<Vec<&'static str>>::with_config(&cfg).unwrap();
    let min = if changelist { 19_000 } else { 19_500 };
    let (a, mut b) = pair();
    let first = high_fd(a, min);
    let fd = first.as_raw_fd();
    let old = base
        .io(
            File::from(first),
            Ev::READ | Ev::PERSIST,
            |seen, base, s, _| {
                let mut buf = [0u8; 16];
                assert_eq!(s.read(&mut buf).unwrap(), 1);
                seen.push("old");
                base.loopbreak();
            },
        )
        .unwrap();
    base.add(old, None).unwrap();
    send(&mut b, b"1");
    let mut seen = Vec::new();
    base.loopexit(Some(ms(2000))).unwrap();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, ["old"]);
    // Free (deletes, then closes the fd), and reuse the number at once.
    base.free(old).unwrap();
    let (x, mut y) = pair();
    let second = high_fd(x, min);
    assert_eq!(second.as_raw_fd(), fd, "the number came back");
    let new = base
        .io(second, Ev::READ, |seen, _, _, _| seen.push("new"))
        .unwrap();
    base.add(new, None).unwrap();
    send(&mut y, b"2");
    seen.clear();
    run_for(&base, &mut seen, ms(200));
    seen
}

#[test]
fn epoll_fd_reuse_between_dispatches() {
    assert_eq!(changelist_fd_reuse(false), ["new"]);
}

#[test]
fn epoll_changelist_fd_reuse_between_dispatches() {
    assert_eq!(changelist_fd_reuse(true), ["new"]);
}
