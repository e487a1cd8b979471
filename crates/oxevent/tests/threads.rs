//! Other threads and a running loop: waking a loop that waits with no
//! timeout, deleting an event whose callback runs now (`event_del` waits,
//! `event_del_noblock` and `EV_FINALIZE` do not), and stopping the loop.
//!
//! Every loop here also watches a socket that a watchdog thread writes to
//! after a few seconds, so a loop that misses a wakeup fails instead of
//! hanging.

mod util;

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use oxevent::{Base, DelMode, Ev, LoopExit, LoopFlags, Remote};
use util::{base_on, ms, METHODS};

#[derive(Default)]
struct State {
    fired: Vec<&'static str>,
    timed_out: bool,
    count: u32,
}

/// Watches a socket that a thread writes to after `after`: the callback
/// marks the state timed out and breaks the loop.
fn watchdog(base: &Base<State>, after: Duration) -> thread::JoinHandle<()> {
    let (r, w) = util::pair();
    let id = base
        .io(r, Ev::READ, |s: &mut State, base, _, _| {
            s.timed_out = true;
            base.loopbreak();
        })
        .unwrap();
    base.add(id, None).unwrap();
    thread::spawn(move || {
        thread::sleep(after);
        let mut w: UnixStream = w;
        let _ = std::io::Write::write_all(&mut w, b"!");
    })
}

fn run_until_break(base: &Base<State>) -> (State, Duration) {
    let mut s = State::default();
    let start = Instant::now();
    assert_eq!(
        base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut s).unwrap(),
        LoopExit::Stopped
    );
    (s, start.elapsed())
}

/// The loop waits with no timeout (only an idle socket); another thread
/// activates an event: the loop wakes and runs it.
#[test]
fn activate_from_another_thread_wakes_the_loop() {
    for m in METHODS {
        let base = base_on::<State>(m);
        let _dog = watchdog(&base, Duration::from_secs(4));
        let id = base
            .timer(|s: &mut State, base, _| {
                s.fired.push("activated");
                base.loopbreak();
            })
            .unwrap();
        let other = base.remote();
        let helper = thread::spawn(move || {
            thread::sleep(ms(100));
            other.activate(id, Ev::TIMEOUT).unwrap();
        });
        let (s, took) = run_until_break(&base);
        helper.join().unwrap();
        assert!(!s.timed_out, "{m}: the loop never woke");
        assert_eq!(s.fired, ["activated"], "{m}");
        assert!(took < Duration::from_secs(3), "{m}: {took:?}");
    }
}

/// Another thread adds a timer: the waiting loop recomputes its timeout.
#[test]
fn add_timer_from_another_thread_wakes_the_loop() {
    for m in METHODS {
        let base = base_on::<State>(m);
        let _dog = watchdog(&base, Duration::from_secs(4));
        let id = base
            .timer(|s: &mut State, base, _| {
                s.fired.push("timer");
                base.loopbreak();
            })
            .unwrap();
        let other = base.remote();
        let helper = thread::spawn(move || {
            thread::sleep(ms(100));
            other.add(id, Some(ms(50))).unwrap();
        });
        let (s, took) = run_until_break(&base);
        helper.join().unwrap();
        assert!(
            !s.timed_out,
            "{m}: the timer added from a thread never fired"
        );
        assert_eq!(s.fired, ["timer"]);
        assert!(took >= ms(148), "{m}: {took:?}");
    }
}

/// Another thread adds an I/O event whose socket is already readable: the
/// backend must start watching it while the loop waits.
#[test]
fn add_io_from_another_thread_is_watched() {
    for m in METHODS {
        let base = base_on::<State>(m);
        let _dog = watchdog(&base, Duration::from_secs(4));
        let (r, mut w) = util::pair();
        let id = base
            .io(r, Ev::READ, |s: &mut State, base, _, _| {
                s.fired.push("io");
                base.loopbreak();
            })
            .unwrap();
        let other = base.remote();
        let helper = thread::spawn(move || {
            thread::sleep(ms(100));
            util::send(&mut w, b"ready");
            other.add(id, None).unwrap();
            w
        });
        let (s, _) = run_until_break(&base);
        let _w = helper.join().unwrap();
        assert!(
            !s.timed_out,
            "{m}: the fd added from a thread was not watched"
        );
        assert_eq!(s.fired, ["io"], "{m}");
    }
}

#[test]
fn loopbreak_from_another_thread() {
    for m in METHODS {
        let base = base_on::<State>(m);
        let _dog = watchdog(&base, Duration::from_secs(4));
        let other = base.remote();
        let helper = thread::spawn(move || {
            thread::sleep(ms(100));
            other.loopbreak();
        });
        let (s, took) = run_until_break(&base);
        helper.join().unwrap();
        assert!(!s.timed_out, "{m}: loopbreak did not wake the loop");
        assert!(base.got_break());
        assert!(took >= ms(98) && took < Duration::from_secs(3), "{took:?}");
    }
}

#[test]
fn loopexit_from_another_thread() {
    let base = util::base::<State>();
    let _dog = watchdog(&base, Duration::from_secs(4));
    let other = base.remote();
    let helper = thread::spawn(move || {
        thread::sleep(ms(50));
        other.loopexit(Some(ms(100))).unwrap();
    });
    let (s, took) = run_until_break(&base);
    helper.join().unwrap();
    assert!(!s.timed_out);
    assert!(base.got_exit());
    assert!(took >= ms(148), "{took:?}");
}

/// An event whose callback sleeps `hold`; reports "started" through `tx`.
fn slow_event(
    base: &Base<State>,
    flags: Ev,
    hold: Duration,
    tx: mpsc::Sender<()>,
    finished: Arc<AtomicBool>,
) -> oxevent::EventId {
    let id = base
        .timer_with(flags, move |s: &mut State, _, _| {
            s.fired.push("slow");
            tx.send(()).unwrap();
            thread::sleep(hold);
            finished.store(true, Ordering::SeqCst);
        })
        .unwrap();
    base.activate(id, Ev::TIMEOUT).unwrap();
    id
}

/// Deletes (with `op`) the slow event from another thread while its
/// callback runs; returns how long `op` took and whether the callback had
/// finished when it returned.
fn del_while_running(
    flags: Ev,
    hold: Duration,
    op: impl FnOnce(&Remote, oxevent::EventId) + Send + 'static,
) -> (Duration, bool, Base<State>, oxevent::EventId) {
    let base = util::base::<State>();
    let finished = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let id = slow_event(&base, flags, hold, tx, finished.clone());
    let other = base.remote();
    let helper = thread::spawn(move || {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("callback started");
        let start = Instant::now();
        op(&other, id);
        let took = start.elapsed();
        (took, finished.load(Ordering::SeqCst))
    });
    let mut s = State::default();
    base.dispatch(&mut s).unwrap();
    assert_eq!(s.fired, ["slow"]);
    let (took, done) = helper.join().unwrap();
    (took, done, base, id)
}

#[test]
fn del_from_another_thread_waits_for_the_running_callback() {
    let (took, done, base, id) = del_while_running(Ev::PERSIST, ms(200), |b, id| {
        b.del(id).unwrap();
    });
    assert!(took >= ms(150), "del returned after {took:?}");
    assert!(done, "the callback had finished when del returned");
    assert_eq!(base.pending(id, Ev::TIMEOUT).unwrap().what, Ev::NONE);
}

#[test]
fn del_block_waits_even_for_finalize_events() {
    let (took, done, _, _) = del_while_running(Ev::FINALIZE, ms(200), |b, id| {
        b.del_with(id, DelMode::Block).unwrap();
    });
    assert!(took >= ms(150), "{took:?}");
    assert!(done);
}

#[test]
fn del_noblock_does_not_wait() {
    let (took, done, _, _) = del_while_running(Ev::NONE, ms(400), |b, id| {
        b.del_with(id, DelMode::NoBlock).unwrap();
    });
    assert!(took < ms(300), "{took:?}");
    assert!(!done, "returned while the callback still ran");
}

#[test]
fn del_of_a_finalize_event_does_not_wait() {
    let (took, done, _, _) = del_while_running(Ev::FINALIZE, ms(400), |b, id| {
        b.del(id).unwrap();
    });
    assert!(took < ms(300), "{took:?}");
    assert!(!done);
}

/// Four threads each activate 250 events while the loop runs: all 1,000
/// run, exactly once.
#[test]
fn many_threads_activate_callbacks() {
    let base = util::base::<State>();
    let _dog = watchdog(&base, Duration::from_secs(8));
    let ids: Vec<_> = (0..1000)
        .map(|_| {
            base.timer(|s: &mut State, base, _| {
                s.count += 1;
                if s.count == 1000 {
                    base.loopbreak();
                }
            })
            .unwrap()
        })
        .collect();
    let helpers: Vec<_> = ids
        .chunks(250)
        .map(|chunk| {
            let other = base.remote();
            let chunk = chunk.to_vec();
            thread::spawn(move || {
                for (i, id) in chunk.into_iter().enumerate() {
                    if i % 3 == 0 {
                        other
                            .add(id, Some(Duration::from_micros(i as u64 * 10)))
                            .unwrap();
                    } else {
                        other.activate(id, Ev::TIMEOUT).unwrap();
                    }
                }
            })
        })
        .collect();
    let (s, _) = run_until_break(&base);
    for h in helpers {
        h.join().unwrap();
    }
    assert!(!s.timed_out, "only {} callbacks ran", s.count);
    assert_eq!(s.count, 1000);
    let mut s2 = State::default();
    base.run(LoopFlags::NONBLOCK, &mut s2).unwrap();
    assert_eq!(s2.count, 0, "nothing ran twice");
}

/// Deleting an event that is *not* the running one never waits, even while
/// the loop is inside a slow callback.
#[test]
fn del_of_another_event_does_not_wait_for_the_running_callback() {
    let base = util::base::<State>();
    let finished = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    slow_event(&base, Ev::NONE, ms(400), tx, finished.clone());
    let idle = base.timer(|_, _, _| {}).unwrap();
    base.add(idle, Some(Duration::from_secs(30))).unwrap();
    let other = base.remote();
    let helper = thread::spawn(move || {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("callback started");
        let start = Instant::now();
        other.del(idle).unwrap();
        (start.elapsed(), finished.load(Ordering::SeqCst))
    });
    let mut s = State::default();
    assert_eq!(base.dispatch(&mut s).unwrap(), LoopExit::NoEvents);
    let (took, done) = helper.join().unwrap();
    assert!(took < ms(300), "{took:?}");
    assert!(!done);
}
