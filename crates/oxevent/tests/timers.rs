//! Timers: one-shot and persistent timeouts, rescheduling, `remove_timer`,
//! common-timeout queues, `pending().remaining`, and ordering under load.
//!
//! Timing bounds: a timer never fires early by the engine's clock. Lower
//! bounds allow `SLACK` for a coarse monotonic clock (the engine reads
//! `CLOCK_MONOTONIC_COARSE` when its resolution is 1 ms); upper bounds are
//! generous (this machine is shared).

mod util;

use std::time::{Duration, Instant};

use oxevent::{Error, Ev, EventId, LoopExit, LoopFlags};
use util::{assert_between, ms};

/// Allowance for the coarse clock on lower bounds.
const SLACK: Duration = Duration::from_millis(2);
/// Generous allowance on upper bounds.
const LATE: Duration = Duration::from_millis(300);

#[derive(Default)]
struct Ticks {
    at: Vec<Duration>,
    order: Vec<usize>,
    whats: Vec<Ev>,
}

#[test]
fn one_shot_fires_once_after_its_delay() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, f| {
            t.at.push(start.elapsed());
            t.whats.push(f.what);
        })
        .unwrap();
    base.add(t, Some(ms(100))).unwrap();
    let mut ticks = Ticks::default();
    assert_eq!(base.dispatch(&mut ticks).unwrap(), LoopExit::NoEvents);
    assert_eq!(ticks.whats, vec![Ev::TIMEOUT]);
    assert_between("100 ms timer", ticks.at[0], ms(100) - SLACK, ms(100) + LATE);
}

#[test]
fn zero_timeout_fires_on_the_next_turn() {
    let base = util::base::<Ticks>();
    let t = base
        .timer(|t: &mut Ticks, _, f| t.whats.push(f.what))
        .unwrap();
    base.add(t, Some(Duration::ZERO)).unwrap();
    let mut ticks = Ticks::default();
    base.run(LoopFlags::NONBLOCK, &mut ticks).unwrap();
    assert_eq!(ticks.whats, vec![Ev::TIMEOUT]);
}

#[test]
fn persistent_timer_keeps_its_period_over_five_ticks() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer_with(Ev::PERSIST, move |t: &mut Ticks, base, f| {
            t.at.push(start.elapsed());
            if t.at.len() == 5 {
                base.del(f.id).unwrap();
            }
        })
        .unwrap();
    base.add(t, Some(ms(100))).unwrap();
    let mut ticks = Ticks::default();
    assert_eq!(base.dispatch(&mut ticks).unwrap(), LoopExit::NoEvents);
    assert_eq!(ticks.at.len(), 5);
    for (i, at) in ticks.at.iter().enumerate() {
        assert!(
            *at >= ms(100 * (i as u64 + 1)) - SLACK,
            "tick {i} early: {:?}",
            ticks.at
        );
    }
    assert_between(
        "five 100 ms ticks",
        ticks.at[4],
        ms(500) - SLACK,
        ms(500) + LATE,
    );
}

/// libevent re-arms a persistent timeout relative to the deadline it just
/// met, not to when its callback ran: slow callbacks do not add drift.
#[test]
fn persistent_period_does_not_drift_with_slow_callbacks() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer_with(Ev::PERSIST, move |t: &mut Ticks, base, f| {
            t.at.push(start.elapsed());
            std::thread::sleep(ms(50));
            if t.at.len() == 5 {
                base.del(f.id).unwrap();
            }
        })
        .unwrap();
    base.add(t, Some(ms(100))).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    // On schedule: ticks at 100..500 ms. Drifting would put the 5th at 700.
    assert_between(
        "5th tick with 50 ms callbacks",
        ticks.at[4],
        ms(500) - SLACK,
        ms(600),
    );
}

/// A persistent I/O event with a timeout re-arms it from *now* when it ran
/// because of I/O (libevent's `event_persist_closure`).
#[test]
fn persistent_io_timeout_restarts_after_io() {
    let base = util::base::<Ticks>();
    let (r, w) = util::pair();
    let mut w2 = w.try_clone().unwrap();
    let start = Instant::now();
    let io = base
        .io(
            r,
            Ev::READ | Ev::PERSIST,
            move |t: &mut Ticks, base, s, f| {
                t.whats.push(f.what);
                t.at.push(start.elapsed());
                if f.what.contains(Ev::TIMEOUT) {
                    base.del(f.id).unwrap();
                } else {
                    util::drain(s);
                }
            },
        )
        .unwrap();
    base.add(io, Some(ms(200))).unwrap();
    // A clone writes; `w` stays open so the socket never reads EOF.
    base.once_timer(Some(ms(100)), move |_, _| util::send(&mut w2, b"x"))
        .unwrap();
    let mut ticks = Ticks::default();
    assert_eq!(base.dispatch(&mut ticks).unwrap(), LoopExit::NoEvents);
    assert_eq!(ticks.whats, vec![Ev::READ, Ev::TIMEOUT]);
    // Data at ~100 ms restarts the 200 ms timeout: it fires at ~300 ms, not 200.
    assert_between(
        "timeout after I/O",
        ticks.at[1],
        ms(300) - SLACK,
        ms(300) + LATE,
    );
}

#[test]
fn re_add_with_a_shorter_timeout_reschedules() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, _| t.at.push(start.elapsed()))
        .unwrap();
    base.add(t, Some(Duration::from_secs(2))).unwrap();
    base.add(t, Some(ms(50))).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.at.len(), 1);
    assert_between(
        "rescheduled to 50 ms",
        ticks.at[0],
        ms(50) - SLACK,
        ms(50) + LATE,
    );
}

#[test]
fn re_add_with_a_longer_timeout_reschedules() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, _| t.at.push(start.elapsed()))
        .unwrap();
    base.add(t, Some(ms(20))).unwrap();
    base.add(t, Some(ms(250))).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.at.len(), 1, "fired once, not at 20 ms and again");
    assert_between(
        "rescheduled to 250 ms",
        ticks.at[0],
        ms(250) - SLACK,
        ms(250) + LATE,
    );
}

#[test]
fn add_without_timeout_keeps_the_existing_one() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, _| t.at.push(start.elapsed()))
        .unwrap();
    base.add(t, Some(ms(100))).unwrap();
    base.add(t, None).unwrap();
    assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_between("kept 100 ms", ticks.at[0], ms(100) - SLACK, ms(100) + LATE);
}

#[test]
fn remove_timer_on_a_timer_leaves_nothing_pending() {
    let base = util::base::<Ticks>();
    let t = base
        .timer(|t: &mut Ticks, _, f| t.whats.push(f.what))
        .unwrap();
    base.add(t, Some(ms(20))).unwrap();
    base.remove_timer(t).unwrap();
    let p = base.pending(t, Ev::TIMEOUT).unwrap();
    assert_eq!((p.what, p.remaining), (Ev::NONE, None));
    base.remove_timer(t).unwrap(); // no timeout: nothing to do
    let mut ticks = Ticks::default();
    assert_eq!(base.dispatch(&mut ticks).unwrap(), LoopExit::NoEvents);
    assert!(ticks.whats.is_empty());
}

#[test]
fn remove_timer_on_io_keeps_the_io() {
    let base = util::base::<Ticks>();
    let (r, w) = util::pair();
    let mut w2 = w.try_clone().unwrap();
    let io = base
        .io(r, Ev::READ, |t: &mut Ticks, _, _, f| t.whats.push(f.what))
        .unwrap();
    base.add(io, Some(ms(30))).unwrap();
    base.remove_timer(io).unwrap();
    assert_eq!(
        base.pending(io, Ev::READ | Ev::TIMEOUT).unwrap().what,
        Ev::READ
    );
    base.once_timer(Some(ms(100)), move |_, _| util::send(&mut w2, b"x"))
        .unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.whats, vec![Ev::READ], "no TIMEOUT at 30 ms");
    drop(w);
}

#[test]
fn pending_remaining_counts_down() {
    let base = util::base::<()>();
    let t = base.timer(|_, _, _| {}).unwrap();
    base.add(t, Some(Duration::from_secs(1))).unwrap();
    let p = base.pending(t, Ev::TIMEOUT).unwrap();
    let left = p.remaining.unwrap();
    assert!(left <= Duration::from_secs(1) && left > ms(900), "{left:?}");
    let deadline = p.deadline_ns.unwrap();
    let now = base.now_ns();
    assert!(deadline > now && deadline - now <= 1_000_000_000);
    std::thread::sleep(ms(100));
    let left2 = base.pending(t, Ev::TIMEOUT).unwrap().remaining.unwrap();
    assert!(left2 <= left - ms(100) + SLACK, "{left:?} then {left2:?}");
    assert!(left2 > ms(500), "{left2:?}");
    assert_eq!(
        base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns,
        Some(deadline)
    );
    // Not asked for: no remaining time reported.
    assert_eq!(base.pending(t, Ev::READ).unwrap().remaining, None);
}

#[test]
fn add_at_an_absolute_deadline() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, _| t.at.push(start.elapsed()))
        .unwrap();
    let deadline = base.now_ns() + 80_000_000;
    base.add_at(t, deadline).unwrap();
    assert_eq!(
        base.pending(t, Ev::TIMEOUT).unwrap().deadline_ns,
        Some(deadline)
    );
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_between("absolute 80 ms", ticks.at[0], ms(80) - SLACK, ms(80) + LATE);
}

#[test]
fn equal_deadlines_fire_in_add_order() {
    let base = util::base::<Ticks>();
    let deadline = base.now_ns() + 20_000_000;
    for i in 0..50 {
        let t = base
            .timer(move |t: &mut Ticks, _, _| t.order.push(i))
            .unwrap();
        base.add_at(t, deadline).unwrap();
    }
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.order, (0..50).collect::<Vec<_>>());
}

#[test]
fn common_timeouts_fire_in_add_order() {
    let base = util::base::<Ticks>();
    let ct = base.init_common_timeout(ms(50)).unwrap();
    let start = Instant::now();
    let mut ids = Vec::new();
    for i in 0..20 {
        let t = base
            .timer(move |t: &mut Ticks, _, _| {
                t.order.push(i);
                t.at.push(start.elapsed());
            })
            .unwrap();
        base.add_common(t, ct).unwrap();
        ids.push(t);
    }
    let p = base.pending(ids[0], Ev::TIMEOUT).unwrap();
    assert_eq!(p.what, Ev::TIMEOUT);
    assert!(p.remaining.unwrap() <= ms(50));
    let mut ticks = Ticks::default();
    assert_eq!(base.dispatch(&mut ticks).unwrap(), LoopExit::NoEvents);
    assert_eq!(ticks.order, (0..20).collect::<Vec<_>>());
    assert!(ticks.at[0] >= ms(50) - SLACK, "{:?}", ticks.at[0]);
}

#[test]
fn common_and_heap_timeouts_interleave_by_deadline() {
    let base = util::base::<Vec<&'static str>>();
    let c60 = base.init_common_timeout(ms(60)).unwrap();
    let c20 = base.init_common_timeout(ms(20)).unwrap();
    let mk = |name: &'static str| {
        base.timer(move |seen: &mut Vec<&'static str>, _, _| seen.push(name))
            .unwrap()
    };
    let a = mk("c60");
    let b = mk("heap40");
    let c = mk("c20");
    let d = mk("heap80");
    base.add_common(a, c60).unwrap();
    base.add(b, Some(ms(40))).unwrap();
    base.add_common(c, c20).unwrap();
    base.add(d, Some(ms(80))).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, vec!["c20", "heap40", "c60", "heap80"]);
}

#[test]
fn deleted_common_timeout_does_not_fire() {
    let base = util::base::<Vec<usize>>();
    let ct = base.init_common_timeout(ms(30)).unwrap();
    let ids: Vec<EventId> = (0..5)
        .map(|i| {
            let t = base
                .timer(move |seen: &mut Vec<usize>, _, _| seen.push(i))
                .unwrap();
            base.add_common(t, ct).unwrap();
            t
        })
        .collect();
    base.del(ids[2]).unwrap();
    base.remove_timer(ids[0]).unwrap();
    // Re-added: goes to the back of the queue.
    base.add_common(ids[1], ct).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, vec![3, 4, 1]);
}

#[test]
fn persistent_common_timeout_keeps_its_period() {
    let base = util::base::<Ticks>();
    let ct = base.init_common_timeout(ms(50)).unwrap();
    let start = Instant::now();
    let t = base
        .timer_with(Ev::PERSIST, move |t: &mut Ticks, base, f| {
            t.at.push(start.elapsed());
            assert_eq!(
                base.pending(f.id, Ev::TIMEOUT).unwrap().what,
                Ev::TIMEOUT,
                "re-armed"
            );
            if t.at.len() == 4 {
                base.del(f.id).unwrap();
            }
        })
        .unwrap();
    base.add_common(t, ct).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.at.len(), 4);
    assert_between(
        "four 50 ms ticks",
        ticks.at[3],
        ms(200) - SLACK,
        ms(200) + LATE,
    );
}

#[test]
fn common_timeout_registry() {
    let base = util::base::<()>();
    let a = base.init_common_timeout(ms(100)).unwrap();
    let b = base.init_common_timeout(ms(100)).unwrap();
    assert_eq!(a, b, "same duration, same queue");
    assert_eq!(a.duration(), ms(100));
    assert_eq!(base.common_timeout(a.index()), Some(a));
    for i in 1..256u64 {
        base.init_common_timeout(Duration::from_micros(i)).unwrap();
    }
    assert!(matches!(
        base.init_common_timeout(ms(7)),
        Err(Error::TooManyCommonTimeouts)
    ));
    assert_eq!(base.common_timeout(256), None);
    // Existing durations are still found once the table is full.
    assert_eq!(base.init_common_timeout(ms(100)).unwrap(), a);
}

/// 10,000 timers with random deadlines over 300 ms run in deadline order.
#[test]
fn ten_thousand_random_timers_fire_in_deadline_order() {
    const N: usize = 10_000;
    let base = util::base::<Vec<u64>>();
    let mut rng = util::Rng::new(0x5eed_1234);
    let mut deadlines = Vec::with_capacity(N);
    for _ in 0..N {
        let t = base
            .timer(|seen: &mut Vec<u64>, _, f| seen.push(f.id.to_bits()))
            .unwrap();
        base.add(t, Some(Duration::from_micros(rng.below(300_000))))
            .unwrap();
        let p = base.pending(t, Ev::TIMEOUT).unwrap();
        deadlines.push((t.to_bits(), p.deadline_ns.unwrap()));
    }
    let by_id: std::collections::HashMap<u64, u64> = deadlines.iter().copied().collect();
    let mut seen = Vec::with_capacity(N);
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen.len(), N);
    let fired: Vec<u64> = seen.iter().map(|id| by_id[id]).collect();
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), N, "each timer fired exactly once");
    for w in fired.windows(2) {
        assert!(
            w[0] <= w[1],
            "out of deadline order: {} then {}",
            w[0],
            w[1]
        );
    }
}

/// Timer churn: add 4,000, delete every other one, the rest fire.
#[test]
fn deleted_timers_never_fire() {
    let base = util::base::<Vec<usize>>();
    let mut rng = util::Rng::new(42);
    let ids: Vec<EventId> = (0..4000)
        .map(|i| {
            let t = base
                .timer(move |seen: &mut Vec<usize>, _, _| seen.push(i))
                .unwrap();
            base.add(t, Some(Duration::from_micros(rng.below(100_000))))
                .unwrap();
            t
        })
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if i % 2 == 1 {
            if i % 4 == 1 {
                base.del(*id).unwrap();
            } else {
                base.free(*id).unwrap();
            }
        }
    }
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    seen.sort_unstable();
    assert_eq!(seen, (0..4000).step_by(2).collect::<Vec<_>>());
}

/// libevent's `event_add` on an event active because of a timeout takes it
/// off the active queue: it runs at the new deadline, once.
#[test]
fn re_adding_a_timed_out_event_cancels_its_activation() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer(move |t: &mut Ticks, _, f| {
            t.at.push(start.elapsed());
            t.whats.push(f.what);
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    base.add(t, Some(ms(150))).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.whats, vec![Ev::TIMEOUT]);
    assert_between("re-added", ticks.at[0], ms(150) - SLACK, ms(150) + LATE);
    // Active for another reason: the activation stays.
    base.activate(t, Ev::READ).unwrap();
    base.add(t, Some(ms(5000))).unwrap();
    let start2 = Instant::now();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.whats, vec![Ev::TIMEOUT, Ev::READ]);
    assert!(start2.elapsed() < ms(1000));
}

/// Re-adding a persistent timer from its callback with a new timeout
/// changes its period.
#[test]
fn persistent_timer_re_added_with_a_new_period() {
    let base = util::base::<Ticks>();
    let start = Instant::now();
    let t = base
        .timer_with(Ev::PERSIST, move |t: &mut Ticks, base, f| {
            t.at.push(start.elapsed());
            match t.at.len() {
                1 => base.add(f.id, Some(ms(150))).unwrap(),
                3 => base.del(f.id).unwrap(),
                _ => {}
            }
        })
        .unwrap();
    base.add(t, Some(ms(30))).unwrap();
    let mut ticks = Ticks::default();
    base.dispatch(&mut ticks).unwrap();
    assert_eq!(ticks.at.len(), 3);
    // The period counts from each deadline, not from when the callback
    // ran (as in libevent): a late second tick makes the next gap shorter,
    // so the bounds are on the deadlines (30 ms, then +150, +150).
    assert!(ticks.at[1] >= ms(178), "{:?}", ticks.at);
    assert!(ticks.at[2] >= ms(328), "{:?}", ticks.at);
    let gap = ticks.at[2] - ticks.at[1];
    assert!(gap < ms(150) + LATE, "{:?}", ticks.at);
}

#[test]
fn huge_timeouts_are_accepted_and_do_not_fire() {
    let base = util::base::<u32>();
    let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    base.add(t, Some(Duration::MAX)).unwrap();
    let left = base.pending(t, Ev::TIMEOUT).unwrap().remaining.unwrap();
    assert!(left > Duration::from_secs(365 * 24 * 3600), "{left:?}");
    let mut n = 0;
    base.loopexit(Some(ms(50))).unwrap();
    assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::Stopped);
    assert_eq!(n, 0);
}
