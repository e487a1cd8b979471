//! Loop control (libevent's `event_base_loop`): `ONCE`, `NONBLOCK`,
//! `NO_EXIT_ON_EMPTY`, `loopexit`, `loopbreak`, `loopcontinue`, the
//! `got_exit`/`got_break` flags, the empty-base exit and reentrancy.

mod util;

use std::time::{Duration, Instant};

use oxevent::{Base, Error, Ev, EventId, LoopExit, LoopFlags};
use util::{assert_between, ms};

type Order = Vec<&'static str>;

fn named(base: &Base<Order>, name: &'static str) -> EventId {
    base.timer(move |o: &mut Order, _, _| o.push(name)).unwrap()
}

#[test]
fn dispatch_on_an_empty_base_returns_no_events() {
    let base = util::base::<Order>();
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert_eq!(
        base.run(LoopFlags::ONCE, &mut o).unwrap(),
        LoopExit::NoEvents
    );
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut o).unwrap(),
        LoopExit::NoEvents
    );
    // Created but never added: still empty.
    let _t = named(&base, "never");
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert!(o.is_empty());
    assert!(!base.got_exit() && !base.got_break());
}

#[test]
fn dispatch_returns_no_events_once_the_last_event_fired() {
    let base = util::base::<Order>();
    let a = named(&base, "a");
    let b = named(&base, "b");
    base.add(a, Some(ms(10))).unwrap();
    base.add(b, Some(ms(20))).unwrap();
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert_eq!(o, ["a", "b"]);
}

#[test]
fn once_returns_after_the_first_batch() {
    let base = util::base::<Order>();
    let fast = named(&base, "fast");
    let slow = named(&base, "slow");
    base.add(fast, Some(ms(30))).unwrap();
    base.add(slow, Some(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    let mut o = Order::new();
    assert_eq!(
        base.run(LoopFlags::ONCE, &mut o).unwrap(),
        LoopExit::Stopped
    );
    assert_eq!(o, ["fast"]);
    assert_between("ONCE", start.elapsed(), ms(28), ms(1000));
    assert_eq!(base.pending(slow, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
}

#[test]
fn nonblock_does_not_wait() {
    let base = util::base::<Order>();
    let slow = named(&base, "slow");
    base.add(slow, Some(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    let mut o = Order::new();
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut o).unwrap(),
        LoopExit::Stopped
    );
    assert!(start.elapsed() < ms(500), "{:?}", start.elapsed());
    assert!(o.is_empty());
    // What is ready runs.
    let now = named(&base, "now");
    base.activate(now, Ev::TIMEOUT).unwrap();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ, |o: &mut Order, _, _, _| o.push("io"))
        .unwrap();
    base.add(io, None).unwrap();
    util::send(&mut w, b"x");
    let start = Instant::now();
    base.run(LoopFlags::NONBLOCK, &mut o).unwrap();
    assert!(start.elapsed() < ms(500));
    o.sort_unstable();
    assert_eq!(o, ["io", "now"]);
    let start = Instant::now();
    assert_eq!(
        base.run(LoopFlags::ONCE | LoopFlags::NONBLOCK, &mut o)
            .unwrap(),
        LoopExit::Stopped
    );
    assert!(start.elapsed() < ms(500));
}

#[test]
fn no_exit_on_empty_with_loopexit_delay() {
    let base = util::base::<Order>();
    base.loopexit(Some(ms(100))).unwrap();
    let start = Instant::now();
    let mut o = Order::new();
    assert_eq!(
        base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut o).unwrap(),
        LoopExit::Stopped
    );
    assert_between("loopexit(100 ms)", start.elapsed(), ms(98), ms(100 + 300));
    assert!(base.got_exit());
    assert!(!base.got_break());
}

#[test]
fn no_exit_on_empty_keeps_an_empty_loop_running() {
    let base = util::base::<Order>();
    // NONBLOCK on an empty base: without the flag it reports NoEvents,
    // with it the loop does its one turn and stops normally.
    let mut o = Order::new();
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut o).unwrap(),
        LoopExit::NoEvents
    );
    assert_eq!(
        base.run(LoopFlags::NONBLOCK | LoopFlags::NO_EXIT_ON_EMPTY, &mut o)
            .unwrap(),
        LoopExit::Stopped
    );
    // A loop with nothing to wait for keeps waiting until told to stop.
    let t = named(&base, "t");
    base.add(t, Some(ms(10))).unwrap();
    let other = base.remote();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(ms(150));
        other.loopbreak();
    });
    let start = Instant::now();
    assert_eq!(
        base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut o).unwrap(),
        LoopExit::Stopped
    );
    assert!(start.elapsed() >= ms(140), "{:?}", start.elapsed());
    assert_eq!(o, ["t"]);
    assert!(base.got_break());
    stopper.join().unwrap();
}

/// `loopexit(None)` from a callback: the callbacks already active in this
/// turn still run; the loop stops before the next turn.
#[test]
fn loopexit_in_a_callback_lets_the_turn_finish() {
    let base = util::base::<Order>();
    let next_turn = named(&base, "next_turn");
    let a = base
        .timer(move |o: &mut Order, base, _| {
            o.push("a");
            base.loopexit(None).unwrap();
            base.add(next_turn, Some(Duration::ZERO)).unwrap();
        })
        .unwrap();
    let b = named(&base, "b");
    let c = named(&base, "c");
    for id in [a, b, c] {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::Stopped);
    assert_eq!(o, ["a", "b", "c"]);
    assert!(base.got_exit());
    assert_eq!(
        base.pending(next_turn, Ev::TIMEOUT).unwrap().what,
        Ev::TIMEOUT,
        "still pending for the next loop"
    );
    base.dispatch(&mut o).unwrap();
    assert_eq!(o, ["a", "b", "c", "next_turn"]);
    assert!(!base.got_exit(), "cleared when a loop starts");
}

#[test]
fn loopexit_with_a_delay_ends_a_busy_loop() {
    let base = util::base::<u32>();
    let tick = base
        .timer_with(Ev::PERSIST, |n: &mut u32, _, _| *n += 1)
        .unwrap();
    base.add(tick, Some(ms(10))).unwrap();
    base.loopexit(Some(ms(120))).unwrap();
    let start = Instant::now();
    let mut n = 0;
    assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::Stopped);
    assert_between("loopexit(120 ms)", start.elapsed(), ms(118), ms(120 + 300));
    assert!((3..=12).contains(&n), "{n} ticks");
    assert!(base.got_exit());
}

#[test]
fn loopexit_before_the_loop_stops_its_first_turn() {
    let base = util::base::<Order>();
    let t = named(&base, "t");
    base.add(t, Some(ms(400))).unwrap();
    base.loopexit(None).unwrap();
    let start = Instant::now();
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::Stopped);
    assert!(start.elapsed() < ms(300), "{:?}", start.elapsed());
    assert!(o.is_empty());
    assert!(base.got_exit());
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert_eq!(o, ["t"]);
}

/// `loopbreak` stops after the running callback: the rest of the queue
/// stays active for the next loop.
#[test]
fn loopbreak_stops_immediately() {
    let base = util::base::<Order>();
    let a = base
        .timer(|o: &mut Order, base, _| {
            o.push("a");
            base.loopbreak();
        })
        .unwrap();
    let b = named(&base, "b");
    let c = named(&base, "c");
    for id in [a, b, c] {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::Stopped);
    assert_eq!(o, ["a"]);
    assert!(base.got_break());
    assert!(!base.got_exit());
    assert_eq!(base.pending(b, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert_eq!(o, ["a", "b", "c"]);
    assert!(!base.got_break(), "cleared when a loop starts");
}

/// libevent clears the break flag when a loop starts: a `loopbreak` made
/// while no loop runs does not stop the next one.
#[test]
fn loopbreak_outside_the_loop_is_forgotten() {
    let base = util::base::<Order>();
    base.loopbreak();
    assert!(base.got_break());
    let t = named(&base, "t");
    base.add(t, Some(ms(10))).unwrap();
    let mut o = Order::new();
    assert_eq!(base.dispatch(&mut o).unwrap(), LoopExit::NoEvents);
    assert_eq!(o, ["t"]);
    assert!(!base.got_break());
}

/// `loopcontinue` makes the loop poll again after the running callback, so
/// newly ready higher-priority I/O runs before the rest of the queue.
fn loopcontinue_run(call_continue: bool) -> Order {
    let base = util::base::<Order>();
    base.priority_init(2).unwrap();
    let (r, w) = util::pair();
    let reader = base
        .io(r, Ev::READ, |o: &mut Order, _, s, _| {
            util::drain(s);
            o.push("reader");
        })
        .unwrap();
    base.set_priority(reader, 0).unwrap();
    base.add(reader, None).unwrap();
    let mut w = w;
    let a = base
        .timer(move |o: &mut Order, base, _| {
            o.push("a");
            util::send(&mut w, b"x");
            if call_continue {
                base.loopcontinue();
            }
        })
        .unwrap();
    let b = named(&base, "b");
    for id in [a, b] {
        base.set_priority(id, 1).unwrap();
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut o = Order::new();
    base.dispatch(&mut o).unwrap();
    o
}

#[test]
fn loopcontinue_polls_before_the_rest_of_the_queue() {
    assert_eq!(loopcontinue_run(false), ["a", "b", "reader"]);
    assert_eq!(loopcontinue_run(true), ["a", "reader", "b"]);
}

#[test]
fn reentrant_run_from_a_callback_is_refused() {
    let base = util::base::<Vec<oxevent::Result<LoopExit>>>();
    let t = base
        .timer(|got: &mut Vec<_>, base, _| {
            let mut inner = Vec::new();
            got.push(base.dispatch(&mut inner));
            got.push(base.run(LoopFlags::NONBLOCK, &mut inner));
        })
        .unwrap();
    let after = base
        .timer(|got: &mut Vec<_>, _, _| got.push(Ok(LoopExit::Stopped)))
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    base.add(after, Some(ms(10))).unwrap();
    let mut got = Vec::new();
    assert_eq!(base.dispatch(&mut got).unwrap(), LoopExit::NoEvents);
    assert_eq!(got.len(), 3);
    assert!(matches!(got[0], Err(Error::Reentrant)));
    assert!(matches!(got[1], Err(Error::Reentrant)));
    assert!(got[2].is_ok(), "the outer loop went on");
}

/// A base belongs to its thread: another thread cannot even hold it, so it
/// cannot run the loop there (the type system refuses; `Remote` only stops
/// or wakes the loop).
#[test]
fn another_thread_stops_the_loop_through_a_remote() {
    let base = util::base::<u32>();
    let t = base
        .timer(|n: &mut u32, base, _| {
            *n += 1;
            let remote = base.remote();
            std::thread::spawn(move || remote.loopbreak())
                .join()
                .unwrap();
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut n = 0;
    assert_eq!(
        base.run(LoopFlags::NO_EXIT_ON_EMPTY, &mut n).unwrap(),
        LoopExit::Stopped
    );
    assert_eq!(n, 1);
    assert!(base.got_break());
}
