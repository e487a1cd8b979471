//! Priorities (libevent's `event_process_active`): each loop turn runs only
//! the highest non-empty priority queue, so a busy high priority starves the
//! lower ones; an activation of a higher priority from a callback makes the
//! loop look again (`event_continue`); and `max_dispatch` limits how many
//! callbacks of priorities `>= min_priority` run before the loop polls again.

mod util;

use std::os::unix::net::UnixStream;

use oxevent::{Base, Config, Error, Ev, EventId, LoopExit, LoopFlags};
use util::ms;

type Order = Vec<String>;

fn named(base: &Base<Order>, name: &'static str, pri: u8) -> EventId {
    let id = base
        .timer(move |o: &mut Order, _, _| o.push(name.to_string()))
        .unwrap();
    base.set_priority(id, pri).unwrap();
    id
}

#[test]
fn lower_number_runs_first() {
    let base = util::base::<Order>();
    base.priority_init(3).unwrap();
    assert_eq!(base.npriorities(), 3);
    let low = named(&base, "p2", 2);
    let high = named(&base, "p0", 0);
    let mid = named(&base, "p1", 1);
    for id in [low, mid, high] {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut order = Order::new();
    assert_eq!(base.dispatch(&mut order).unwrap(), LoopExit::NoEvents);
    assert_eq!(order, ["p0", "p1", "p2"]);
}

#[test]
fn default_priority_is_the_middle() {
    let base = util::base::<Order>();
    base.priority_init(3).unwrap();
    let dflt = base
        .timer(|o: &mut Order, _, _| o.push("default".into()))
        .unwrap();
    assert_eq!(base.info(dflt).unwrap().priority, 1);
    let first = named(&base, "p0", 0);
    let last = named(&base, "p2", 2);
    for id in [last, dflt, first] {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["p0", "default", "p2"]);
}

/// A (priority 0) re-activates itself 5 times from its own callback; B
/// (priority 1) has been active from the start and runs only after A stops.
#[test]
fn self_reactivating_high_priority_starves_low() {
    let base = util::base::<Order>();
    base.priority_init(2).unwrap();
    let a = base
        .timer(|o: &mut Order, base, f| {
            o.push("A".into());
            if o.len() <= 5 {
                base.activate(f.id, Ev::TIMEOUT).unwrap();
            }
        })
        .unwrap();
    base.set_priority(a, 0).unwrap();
    let b = named(&base, "B", 1);
    base.activate(b, Ev::TIMEOUT).unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["A", "A", "A", "A", "A", "A", "B"]);
}

/// The starvation holds across loop turns: A is a persistent read on a
/// socket that stays readable, so the backend re-activates it every turn;
/// B (lower priority, active from the start) waits for all 5 of A's turns.
#[test]
fn busy_high_priority_io_starves_low_for_n_turns() {
    let base = util::base::<Order>();
    base.priority_init(2).unwrap();
    let (r, mut w) = util::pair();
    util::send(&mut w, b"never read");
    let a = base
        .io(r, Ev::READ | Ev::PERSIST, |o: &mut Order, base, _, f| {
            o.push("A".into());
            if o.len() == 5 {
                base.del(f.id).unwrap();
            }
        })
        .unwrap();
    base.set_priority(a, 0).unwrap();
    base.add(a, None).unwrap();
    let b = named(&base, "B", 1);
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["A", "A", "A", "A", "A", "B"]);
}

/// A callback that activates a higher-priority event makes the loop check
/// again after it: the higher one runs before the rest of the current queue.
#[test]
fn activating_higher_priority_interrupts_the_queue() {
    let base = util::base::<Order>();
    base.priority_init(3).unwrap();
    let urgent = named(&base, "urgent", 0);
    let b = base
        .timer(move |o: &mut Order, base, _| {
            o.push("b".into());
            base.activate(urgent, Ev::TIMEOUT).unwrap();
        })
        .unwrap();
    base.set_priority(b, 2).unwrap();
    let c = named(&base, "c", 2);
    base.activate(b, Ev::TIMEOUT).unwrap();
    base.activate(c, Ev::TIMEOUT).unwrap();
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["b", "urgent", "c"]);
}

/// Activating a *lower* (or equal) priority does not interrupt.
#[test]
fn activating_lower_priority_does_not_interrupt() {
    let base = util::base::<Order>();
    base.priority_init(3).unwrap();
    let later = named(&base, "later", 2);
    let a = base
        .timer(move |o: &mut Order, base, _| {
            o.push("a".into());
            base.activate(later, Ev::TIMEOUT).unwrap();
        })
        .unwrap();
    base.set_priority(a, 1).unwrap();
    let b = named(&base, "b", 1);
    base.activate(a, Ev::TIMEOUT).unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["a", "b", "later"]);
}

#[test]
fn set_priority_refused_while_active() {
    let base = util::base::<Order>();
    base.priority_init(2).unwrap();
    let t = named(&base, "t", 1);
    base.add(t, Some(ms(1000))).unwrap();
    base.set_priority(t, 0).unwrap(); // pending but not active: fine
    base.activate(t, Ev::TIMEOUT).unwrap();
    assert!(matches!(base.set_priority(t, 1), Err(Error::EventActive)));
    assert_eq!(base.info(t).unwrap().priority, 0, "unchanged");
    base.del(t).unwrap();
    base.set_priority(t, 1).unwrap();
}

#[test]
fn priority_init_limits() {
    let base = util::base::<Order>();
    // Negative counts and 256 or more no longer type-check (`u8`); the C
    // face refuses them before converting (tests/c/priorities*.c).
    assert!(matches!(base.priority_init(0), Err(Error::BadPriority(0))));
    base.priority_init(255).unwrap();
    assert_eq!(base.npriorities(), 255);
    let t = named(&base, "t", 254);
    base.activate(t, Ev::TIMEOUT).unwrap();
    assert!(
        matches!(base.priority_init(4), Err(Error::BadPriority(4))),
        "refused while an event is active"
    );
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["t"]);
    base.priority_init(4).unwrap();
    assert_eq!(base.npriorities(), 4);
}

/// A base with two priorities where three priority-1 timers are active and
/// the first one writes to a socket watched by a priority-0 event. Without
/// a dispatch limit the three run in one turn and the reader comes after;
/// with a limit the loop polls after each callback and the reader cuts in.
fn max_dispatch_run(cfg: Option<Config>) -> Order {
    let base = match cfg {
        Some(cfg) => Base::<Order>::with_config(&cfg).unwrap(),
        None => util::base::<Order>(),
    };
    base.priority_init(2).unwrap();
    let (r, w) = util::pair();
    let reader = base
        .io(r, Ev::READ, |o: &mut Order, _, s, _| {
            util::drain(s);
            o.push("reader".into());
        })
        .unwrap();
    base.set_priority(reader, 0).unwrap();
    base.add(reader, None).unwrap();
    let mut w: Option<UnixStream> = Some(w);
    let first = base
        .timer(move |o: &mut Order, _, _| {
            o.push("t1".into());
            util::send(w.as_mut().unwrap(), b"x");
        })
        .unwrap();
    base.set_priority(first, 1).unwrap();
    let t2 = named(&base, "t2", 1);
    let t3 = named(&base, "t3", 1);
    for id in [first, t2, t3] {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    order
}

#[test]
fn without_max_dispatch_a_queue_runs_to_the_end() {
    assert_eq!(max_dispatch_run(None), ["t1", "t2", "t3", "reader"]);
}

#[test]
fn max_dispatch_one_callback_polls_between_callbacks() {
    let mut cfg = Config::new();
    cfg.max_dispatch(None, Some(1), 0);
    assert_eq!(max_dispatch_run(Some(cfg)), ["t1", "reader", "t2", "t3"]);
}

#[test]
fn max_dispatch_applies_from_min_priority() {
    // Limit from priority 1: the timers are priority 1, so it applies.
    let mut cfg = Config::new();
    cfg.max_dispatch(None, Some(1), 1);
    assert_eq!(max_dispatch_run(Some(cfg)), ["t1", "reader", "t2", "t3"]);
    // Limit from priority 2 only: priority 1 runs unlimited.
    let mut cfg = Config::new();
    cfg.max_dispatch(None, Some(1), 2);
    assert_eq!(max_dispatch_run(Some(cfg)), ["t1", "t2", "t3", "reader"]);
}

#[test]
fn max_dispatch_two_callbacks() {
    let mut cfg = Config::new();
    cfg.max_dispatch(None, Some(2), 0);
    assert_eq!(max_dispatch_run(Some(cfg)), ["t1", "t2", "reader", "t3"]);
}

/// With a time limit, the loop polls again once the queue has run for that
/// long: here after the second 120 ms callback (240 ms > 200 ms).
#[test]
fn max_dispatch_interval_polls_after_the_time_is_up() {
    let mut cfg = Config::new();
    cfg.max_dispatch(Some(ms(200)), None, 0);
    let base = Base::<Order>::with_config(&cfg).unwrap();
    base.priority_init(2).unwrap();
    let (r, w) = util::pair();
    let reader = base
        .io(r, Ev::READ, |o: &mut Order, _, s, _| {
            util::drain(s);
            o.push("reader".into());
        })
        .unwrap();
    base.set_priority(reader, 0).unwrap();
    base.add(reader, None).unwrap();
    let mut w = Some(w);
    let slow = |name: &'static str, write: Option<UnixStream>| {
        let mut write = write;
        let id = base
            .timer(move |o: &mut Order, _, _| {
                o.push(name.into());
                if let Some(w) = write.as_mut() {
                    util::send(w, b"x");
                }
                std::thread::sleep(ms(120));
            })
            .unwrap();
        base.set_priority(id, 1).unwrap();
        id
    };
    let ids = [slow("t1", w.take()), slow("t2", None), slow("t3", None)];
    for id in ids {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["t1", "t2", "reader", "t3"]);
}

/// With `ONCE`, the loop still runs every active event (it stops once none
/// is left active), one priority per turn.
#[test]
fn once_runs_all_active_priorities() {
    let base = util::base::<Order>();
    base.priority_init(3).unwrap();
    let ids = [
        named(&base, "p2", 2),
        named(&base, "p0", 0),
        named(&base, "p1", 1),
    ];
    for id in ids {
        base.activate(id, Ev::TIMEOUT).unwrap();
    }
    let pending = named(&base, "later", 0);
    base.add(pending, Some(ms(5000))).unwrap();
    let mut order = Order::new();
    assert_eq!(
        base.run(LoopFlags::ONCE, &mut order).unwrap(),
        LoopExit::Stopped
    );
    assert_eq!(order, ["p0", "p1", "p2"]);
}

/// After `priority_init` shrinks the range, an event created with a higher
/// priority still runs (clamped to the lowest queue) instead of being lost.
#[test]
fn priority_beyond_a_shrunk_range_still_runs() {
    let base = util::base::<Order>();
    base.priority_init(4).unwrap();
    let t = named(&base, "t", 3);
    base.priority_init(2).unwrap();
    let first = named(&base, "first", 0);
    base.activate(t, Ev::TIMEOUT).unwrap();
    base.activate(first, Ev::TIMEOUT).unwrap();
    let mut order = Order::new();
    base.dispatch(&mut order).unwrap();
    assert_eq!(order, ["first", "t"]);
}
