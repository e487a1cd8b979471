//! The event state machine (libevent's `event_add`/`event_del`/
//! `event_active`/`event_pending`), callbacks that change events, stale ids
//! and refused input.

mod util;

use std::os::fd::AsRawFd;
use std::time::Duration;

use oxevent::{Base, Error, Ev, EventId, LoopExit, LoopFlags};
use util::ms;

const ALL: Ev = Ev::from_bits(0xff);

fn what(base: &oxevent::Base<impl Sized + 'static>, id: EventId) -> Ev {
    base.pending(id, ALL).unwrap().what
}

#[derive(Default)]
struct Log {
    order: Vec<&'static str>,
    whats: Vec<Ev>,
    pending_inside: Vec<Ev>,
    n: u32,
}

#[test]
fn timer_pending_before_during_after() {
    let base = util::base::<Log>();
    let t = base
        .timer(|log: &mut Log, base, f| {
            log.pending_inside
                .push(base.pending(f.id, ALL).unwrap().what);
            log.whats.push(f.what);
        })
        .unwrap();
    assert_eq!(what(&base, t), Ev::NONE, "created, not added");
    base.add(t, Some(ms(20))).unwrap();
    assert_eq!(what(&base, t), Ev::TIMEOUT);
    let p = base.pending(t, Ev::TIMEOUT).unwrap();
    assert!(p.remaining.unwrap() <= ms(20));
    assert!(p.deadline_ns.is_some());
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.whats, vec![Ev::TIMEOUT]);
    assert_eq!(
        log.pending_inside,
        vec![Ev::NONE],
        "non-persistent: deleted before its callback"
    );
    assert_eq!(what(&base, t), Ev::NONE, "after firing");
    let p = base.pending(t, ALL).unwrap();
    assert_eq!((p.remaining, p.deadline_ns), (None, None));
    base.add(t, Some(Duration::from_secs(5))).unwrap();
    base.del(t).unwrap();
    assert_eq!(what(&base, t), Ev::NONE, "after del");
    base.del(t).unwrap(); // deleting a non-pending event is fine
    base.free(t).unwrap();
}

#[test]
fn io_pending_before_during_after() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ | Ev::WRITE, |log: &mut Log, base, _, f| {
            log.pending_inside
                .push(base.pending(f.id, ALL).unwrap().what);
            log.whats.push(f.what);
        })
        .unwrap();
    assert_eq!(what(&base, io), Ev::NONE);
    base.add(io, None).unwrap();
    assert_eq!(what(&base, io), Ev::READ | Ev::WRITE);
    assert_eq!(base.pending(io, Ev::READ).unwrap().what, Ev::READ, "masked");
    base.add(io, Some(Duration::from_secs(5))).unwrap();
    assert_eq!(what(&base, io), Ev::READ | Ev::WRITE | Ev::TIMEOUT);
    util::send(&mut w, b"x");
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.whats, vec![Ev::READ | Ev::WRITE]);
    assert_eq!(log.pending_inside, vec![Ev::NONE]);
    assert_eq!(what(&base, io), Ev::NONE, "the timeout went with it");
}

#[test]
fn persistent_events_stay_pending_inside_their_callback() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ | Ev::PERSIST, |log: &mut Log, base, s, f| {
            log.pending_inside
                .push(base.pending(f.id, ALL).unwrap().what);
            util::drain(s);
            base.loopbreak();
        })
        .unwrap();
    let t = base
        .timer_with(Ev::PERSIST, |log: &mut Log, base, f| {
            log.pending_inside
                .push(base.pending(f.id, ALL).unwrap().what);
            base.del(f.id).unwrap();
        })
        .unwrap();
    base.add(io, None).unwrap();
    base.add(t, Some(ms(10))).unwrap();
    let mut log = Log::default();
    base.run(LoopFlags::ONCE, &mut log).unwrap();
    assert_eq!(
        log.pending_inside,
        vec![Ev::TIMEOUT],
        "re-armed before its callback"
    );
    util::send(&mut w, b"x");
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.pending_inside, vec![Ev::TIMEOUT, Ev::READ]);
    assert_eq!(what(&base, io), Ev::READ);
    assert_eq!(what(&base, t), Ev::NONE);
}

#[test]
fn activate_with_any_flags_runs_once_with_their_union() {
    let base = util::base::<Log>();
    let t = base
        .timer(|log: &mut Log, _, f| log.whats.push(f.what))
        .unwrap();
    base.activate(t, Ev::READ | Ev::WRITE).unwrap();
    assert_eq!(what(&base, t), Ev::READ | Ev::WRITE, "active results show");
    base.activate(t, Ev::CLOSED).unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(
        log.whats,
        vec![Ev::READ | Ev::WRITE | Ev::CLOSED | Ev::TIMEOUT]
    );
    assert_eq!(what(&base, t), Ev::NONE);
}

#[test]
fn activating_a_pending_persistent_event_keeps_it_pending() {
    let base = util::base::<Log>();
    let (r, _w) = util::pair();
    let io = base
        .io(r, Ev::READ | Ev::PERSIST, |log: &mut Log, _, _, f| {
            log.whats.push(f.what)
        })
        .unwrap();
    base.add(io, None).unwrap();
    base.activate(io, Ev::WRITE).unwrap();
    let mut log = Log::default();
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert_eq!(log.whats, vec![Ev::WRITE]);
    assert_eq!(what(&base, io), Ev::READ);
}

#[test]
fn activating_a_pending_non_persistent_event_deletes_it() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ, |log: &mut Log, _, _, f| log.whats.push(f.what))
        .unwrap();
    base.add(io, Some(Duration::from_secs(5))).unwrap();
    base.activate(io, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.whats, vec![Ev::TIMEOUT]);
    util::send(&mut w, b"late");
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut log).unwrap(),
        LoopExit::NoEvents
    );
    assert_eq!(log.whats.len(), 1);
}

#[test]
fn fired_carries_fd_and_id() {
    let base = util::base::<Vec<oxevent::Fired>>();
    let (r, mut w) = util::pair();
    let fd = r.as_raw_fd();
    let io = base
        .io(r, Ev::READ, |seen: &mut Vec<_>, _, _, f| seen.push(f))
        .unwrap();
    let t = base.timer(|seen: &mut Vec<_>, _, f| seen.push(f)).unwrap();
    base.add(io, None).unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    util::send(&mut w, b"x");
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    seen.sort_by_key(|f| f.fd);
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].id, seen[0].fd, seen[0].what), (t, -1, Ev::TIMEOUT));
    assert_eq!((seen[1].id, seen[1].fd, seen[1].what), (io, fd, Ev::READ));
}

#[test]
fn callback_frees_itself() {
    let base = util::base::<Log>();
    let t = base
        .timer_with(Ev::PERSIST, |log: &mut Log, base, f| {
            log.n += 1;
            base.free(f.id).unwrap();
            assert!(matches!(base.pending(f.id, ALL), Err(Error::NoSuchEvent)));
        })
        .unwrap();
    base.add(t, Some(ms(1))).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.n, 1);
    assert!(matches!(base.add(t, None), Err(Error::NoSuchEvent)));
}

#[test]
fn callback_deletes_its_persistent_self() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ | Ev::PERSIST, |log: &mut Log, base, _, f| {
            // Data left unread: level-triggered READ would fire forever.
            log.n += 1;
            base.del(f.id).unwrap();
        })
        .unwrap();
    base.add(io, None).unwrap();
    util::send(&mut w, b"unread");
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.n, 1);
    assert_eq!(what(&base, io), Ev::NONE);
}

#[test]
fn callback_re_adds_itself() {
    let base = util::base::<Log>();
    let t = base
        .timer(|log: &mut Log, base, f| {
            log.n += 1;
            if log.n < 4 {
                base.add(f.id, Some(ms(2))).unwrap();
            }
        })
        .unwrap();
    base.add(t, Some(ms(2))).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.n, 4);
}

#[test]
fn callback_deletes_and_re_adds_itself() {
    let base = util::base::<Log>();
    let t = base
        .timer_with(Ev::PERSIST, |log: &mut Log, base, f| {
            log.n += 1;
            base.del(f.id).unwrap();
            if log.n < 3 {
                base.add(f.id, Some(ms(1))).unwrap();
            }
        })
        .unwrap();
    base.add(t, Some(ms(1))).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.n, 3);
}

/// Two active events in one queue; the first frees the second, whose
/// callback must then never run.
#[test]
fn freeing_another_active_event_prevents_its_callback() {
    let base = util::base::<Log>();
    let b = base
        .timer(|log: &mut Log, _, _| log.order.push("b"))
        .unwrap();
    let a = base
        .timer(move |log: &mut Log, base, _| {
            log.order.push("a");
            base.free(b).unwrap();
        })
        .unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.order, vec!["a"]);
}

#[test]
fn deleting_another_active_event_prevents_its_callback() {
    let base = util::base::<Log>();
    let b = base
        .timer(|log: &mut Log, _, _| log.order.push("b"))
        .unwrap();
    let a = base
        .timer(move |log: &mut Log, base, _| {
            log.order.push("a");
            base.del(b).unwrap();
        })
        .unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.order, vec!["a"]);
    assert_eq!(what(&base, b), Ev::NONE);
}

/// The freed event's slot is reused by a new event at once: the stale
/// queue entry must not run the newcomer, and activating the newcomer runs
/// it exactly once.
#[test]
fn freed_slot_reused_in_a_callback_does_not_run_twice() {
    let base = util::base::<Log>();
    let b = base
        .timer(|log: &mut Log, _, _| log.order.push("b"))
        .unwrap();
    let a = base
        .timer(move |log: &mut Log, base, _| {
            log.order.push("a");
            base.free(b).unwrap();
            let c = base
                .timer(|log: &mut Log, _, _| log.order.push("c"))
                .unwrap();
            let d = base
                .timer(|log: &mut Log, _, _| log.order.push("d"))
                .unwrap();
            base.activate(d, Ev::TIMEOUT).unwrap();
            let _ = c; // never activated: must never run
        })
        .unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.order, vec!["a", "d"]);
}

/// An event that frees itself and creates a new one (reusing its own slot)
/// inside its callback: the new event keeps its own callback.
#[test]
fn running_event_freed_and_slot_reused_keeps_the_new_callback() {
    let base = util::base::<Log>();
    let a = base
        .timer(|log: &mut Log, base, f| {
            log.order.push("a");
            base.free(f.id).unwrap();
            let c = base
                .timer(|log: &mut Log, _, _| log.order.push("c"))
                .unwrap();
            base.add(c, Some(ms(1))).unwrap();
        })
        .unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.order, vec!["a", "c"]);
}

#[test]
fn callback_activates_another_event_in_the_same_turn() {
    let base = util::base::<Log>();
    let c = base
        .timer(|log: &mut Log, _, _| log.order.push("c"))
        .unwrap();
    let b = base
        .timer(|log: &mut Log, _, _| log.order.push("b"))
        .unwrap();
    let a = base
        .timer(move |log: &mut Log, base, _| {
            log.order.push("a");
            base.activate(c, Ev::TIMEOUT).unwrap();
        })
        .unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    let mut log = Log::default();
    // ONCE returns when no event is active: c ran in the same call.
    base.run(LoopFlags::ONCE, &mut log).unwrap();
    assert_eq!(log.order, vec!["a", "b", "c"]);
}

#[test]
fn callback_deletes_then_reactivates_another() {
    let base = util::base::<Log>();
    let b = base
        .timer(|log: &mut Log, _, _| log.order.push("b"))
        .unwrap();
    let a = base
        .timer(move |log: &mut Log, base, _| {
            log.order.push("a");
            base.del(b).unwrap();
            base.activate(b, Ev::TIMEOUT).unwrap();
        })
        .unwrap();
    base.activate(b, Ev::TIMEOUT).unwrap();
    base.activate(a, Ev::TIMEOUT).unwrap();
    // b was first in the queue, so it runs first, then a re-activates it.
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.order, vec!["b", "a", "b"]);
}

#[test]
fn stale_ids_are_refused_everywhere() {
    let base = util::base::<()>();
    let t = base.timer(|_, _, _| {}).unwrap();
    base.free(t).unwrap();
    let stale = |r: oxevent::Result<()>| assert!(matches!(r, Err(Error::NoSuchEvent)), "{r:?}");
    stale(base.add(t, None));
    stale(base.add(t, Some(ms(1))));
    stale(base.del(t));
    stale(base.del_with(t, oxevent::DelMode::NoBlock));
    stale(base.free(t));
    stale(base.activate(t, Ev::TIMEOUT));
    stale(base.remove_timer(t));
    stale(base.set_priority(t, 0));
    stale(base.pending(t, ALL).map(|_| ()));
    stale(base.info(t).map(|_| ()));
    stale(base.finalize_with(t, |_, _| {}));
    // A new event may take the slot; the old id still names nothing.
    let fresh = base.timer(|_, _, _| {}).unwrap();
    assert_ne!(fresh, t);
    stale(base.add(t, None));
    base.add(fresh, Some(Duration::from_secs(1))).unwrap();
    stale(base.del(t));
    assert_eq!(
        what(&base, fresh),
        Ev::TIMEOUT,
        "the stale del touched nothing"
    );
    // Made-up ids are stale too.
    stale(base.add(EventId::from_bits(0xdead_beef_0000_1234), None));
    assert_eq!(EventId::from_bits(fresh.to_bits()), fresh);
}

#[test]
fn io_without_io_flags_is_refused() {
    let base = util::base::<()>();
    for ev in [Ev::NONE, Ev::PERSIST, Ev::TIMEOUT, Ev::ET | Ev::PERSIST] {
        let (r, _w) = util::pair();
        let res = base.io(r, ev, |_, _, _, _| {});
        assert!(matches!(res, Err(Error::BadFlags(_))), "{ev:?}: {res:?}");
    }
}

#[test]
fn signal_mixed_with_io_flags_is_refused() {
    let base = util::base::<()>();
    let (r, _w) = util::pair();
    let res = base.io(r, Ev::READ | Ev::SIGNAL, |_, _, _, _| {});
    assert!(matches!(res, Err(Error::BadFlags(_))), "{res:?}");
    for ev in [Ev::READ, Ev::WRITE, Ev::CLOSED] {
        let res = base.signal(libc::SIGUSR1, ev, |_, _, _| {});
        assert!(matches!(res, Err(Error::BadFlags(_))), "{ev:?}: {res:?}");
    }
}

#[test]
fn bad_signal_numbers_are_refused() {
    let base = util::base::<()>();
    for signo in [0, -5, 65, 999, libc::SIGKILL, libc::SIGSTOP] {
        let res = base.signal(signo, Ev::PERSIST, |_, _, _| {});
        assert!(
            matches!(res, Err(Error::BadSignal(s)) if s == signo),
            "{signo}: {res:?}"
        );
    }
}

#[test]
fn unknown_flag_bits_are_refused() {
    let base = util::base::<()>();
    let res = base.timer_with(Ev::from_bits(0x100), |_, _, _| {});
    assert!(matches!(res, Err(Error::BadFlags(_))), "{res:?}");
    let (r, _w) = util::pair();
    let res = base.io(r, Ev::READ | Ev::from_bits(0x200), |_, _, _, _| {});
    assert!(matches!(res, Err(Error::BadFlags(_))), "{res:?}");
}

#[test]
fn negative_fd_add_is_refused() {
    let base = util::base::<()>();
    for fd in [-1, -3, i32::MIN] {
        // SAFETY: a negative fd is refused before anything registers.
        let res = unsafe { base.io_fd(fd, Ev::READ, |_, _, _| {}) };
        assert!(matches!(res, Err(Error::BadFd(f)) if f == fd), "{res:?}");
    }
    assert_eq!(
        base.dispatch(&mut ()).unwrap(),
        LoopExit::NoEvents,
        "nothing was left pending"
    );
}

#[test]
fn priority_out_of_range_is_refused() {
    let base = util::base::<()>();
    let t = base.timer(|_, _, _| {}).unwrap();
    assert_eq!(base.npriorities(), 1);
    base.set_priority(t, 0).unwrap();
    for p in [1, 2, 254, 255] {
        assert!(
            matches!(base.set_priority(t, p), Err(Error::BadPriority(q)) if q == p),
            "{p}"
        );
    }
    base.priority_init(3).unwrap();
    base.set_priority(t, 2).unwrap();
    assert_eq!(base.info(t).unwrap().priority, 2);
    assert!(matches!(
        base.set_priority(t, 3),
        Err(Error::BadPriority(3))
    ));
}

/// libevent refuses to mix edge- and level-triggered events on one fd only
/// in debug mode; otherwise both are registered, the fd's edge mode
/// following the event whose add changed its interests.
#[test]
fn edge_and_level_triggered_events_may_share_an_fd() {
    let base = util::base::<Vec<Ev>>();
    let (r, mut w) = util::pair();
    let fd = r.as_raw_fd();
    let record = |seen: &mut Vec<Ev>, _: &Base<Vec<Ev>>, f: oxevent::Fired| seen.push(f.what);
    // SAFETY: `r` stays open until both events are freed below.
    let et = unsafe { base.io_fd(fd, Ev::READ | Ev::ET | Ev::PERSIST, record) }.unwrap();
    // SAFETY: as above.
    let lt = unsafe { base.io_fd(fd, Ev::READ | Ev::PERSIST, record) }.unwrap();
    base.add(et, None).unwrap();
    base.add(lt, None).unwrap();
    util::send(&mut w, b"x");
    let mut seen = Vec::new();
    // One pass: the data stays unread, so a level-triggered event would
    // keep a plain NONBLOCK loop busy (as in libevent).
    base.run(LoopFlags::ONCE | LoopFlags::NONBLOCK, &mut seen)
        .unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    base.free(lt).unwrap();
    base.free(et).unwrap();
    drop(r);
}

#[test]
fn finalize_runs_the_finalizer_once_then_frees() {
    let base = util::base::<Log>();
    let t = base
        .timer(|log: &mut Log, _, _| log.order.push("callback"))
        .unwrap();
    base.add(t, Some(ms(1))).unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    base.finalize_with(t, |log: &mut Log, _| log.order.push("finalizer"))
        .unwrap();
    assert!(matches!(base.add(t, None), Err(Error::Finalizing)));
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.order, vec!["finalizer"]);
    assert!(matches!(base.pending(t, ALL), Err(Error::NoSuchEvent)));
}

#[test]
fn finalize_from_inside_the_own_callback() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ | Ev::PERSIST, |log: &mut Log, base, s, f| {
            log.order.push("read");
            util::drain(s);
            base.finalize_with(f.id, |log: &mut Log, _| log.order.push("finalizer"))
                .unwrap();
        })
        .unwrap();
    base.add(io, None).unwrap();
    util::send(&mut w, b"x");
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.order, vec!["read", "finalizer"]);
    assert!(matches!(base.pending(io, ALL), Err(Error::NoSuchEvent)));
}

#[test]
fn once_events_run_once_and_vanish() {
    let base = util::base::<Log>();
    let tm = base
        .once_timer(Some(ms(20)), |log: &mut Log, _| log.order.push("timer"))
        .unwrap();
    let now = base
        .once_timer(None, |log: &mut Log, _| log.order.push("now"))
        .unwrap();
    assert_eq!(what(&base, tm), Ev::TIMEOUT);
    assert_eq!(what(&base, now), Ev::TIMEOUT, "active at once");
    let mut log = Log::default();
    base.run(LoopFlags::ONCE, &mut log).unwrap();
    assert_eq!(log.order, vec!["now"]);
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.order, vec!["now", "timer"]);
    for id in [tm, now] {
        assert!(matches!(base.pending(id, ALL), Err(Error::NoSuchEvent)));
    }
}

#[test]
fn io_timeout_fires_with_timeout_and_deletes() {
    let base = util::base::<Log>();
    let (r, mut w) = util::pair();
    let io = base
        .io(r, Ev::READ, |log: &mut Log, _, _, f| log.whats.push(f.what))
        .unwrap();
    base.add(io, Some(ms(20))).unwrap();
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.whats, vec![Ev::TIMEOUT]);
    util::send(&mut w, b"x");
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut log).unwrap(),
        LoopExit::NoEvents
    );
    assert_eq!(
        log.whats.len(),
        1,
        "READ was deleted along with the timeout"
    );
}

#[test]
fn freeing_a_pending_event_empties_the_base() {
    let base = util::base::<()>();
    let (r, _w) = util::pair();
    let io = base.io(r, Ev::READ | Ev::PERSIST, |_, _, _, _| {}).unwrap();
    base.add(io, Some(Duration::from_secs(30))).unwrap();
    base.free(io).unwrap();
    let start = std::time::Instant::now();
    assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn active_by_fd_activates_matching_io_events() {
    let base = util::base::<Vec<(&'static str, Ev)>>();
    // Nothing on this socket is ever ready by itself: no data, peer open.
    let (r, _w) = util::pair();
    let fd = r.as_raw_fd();
    let mk = |name: &'static str, events: Ev| {
        let record =
            move |seen: &mut Vec<_>, _: &Base<_>, f: oxevent::Fired| seen.push((name, f.what));
        // SAFETY: `r` outlives the base's use of these events (the test's end).
        unsafe { base.io_fd(fd, events, record) }.unwrap()
    };
    let rd = mk("read", Ev::READ | Ev::PERSIST);
    let cl = mk("closed", Ev::CLOSED | Ev::PERSIST);
    let idle = mk("not added", Ev::READ | Ev::PERSIST);
    base.add(rd, None).unwrap();
    base.add(cl, Some(Duration::from_secs(10))).unwrap();
    let mut seen = Vec::new();
    base.active_by_fd(fd, Ev::READ);
    base.run(LoopFlags::NONBLOCK, &mut seen).unwrap();
    assert_eq!(seen, vec![("read", Ev::READ)]);
    seen.clear();
    base.active_by_fd(fd, Ev::CLOSED | Ev::WRITE);
    base.run(LoopFlags::NONBLOCK, &mut seen).unwrap();
    assert_eq!(seen, vec![("closed", Ev::CLOSED)]);
    seen.clear();
    // TIMEOUT: the events on that fd that have a timeout.
    base.active_by_fd(fd, Ev::TIMEOUT);
    base.run(LoopFlags::NONBLOCK, &mut seen).unwrap();
    assert_eq!(seen, vec![("closed", Ev::TIMEOUT)]);
    seen.clear();
    base.active_by_fd(fd + 1000, Ev::READ | Ev::WRITE);
    base.run(LoopFlags::NONBLOCK, &mut seen).unwrap();
    assert!(seen.is_empty());
    for id in [rd, cl, idle] {
        base.free(id).unwrap();
    }
    drop(r);
}

/// libevent's `event_add_nolock_` inserts I/O only for an event that is
/// neither inserted nor active: adding an active event is a quiet no-op.
#[test]
fn adding_an_active_io_event_does_not_insert_it() {
    let base = util::base::<Vec<Ev>>();
    let (r, _w) = util::pair();
    let io = base
        .io(r, Ev::READ, |seen: &mut Vec<Ev>, _, _, f| seen.push(f.what))
        .unwrap();
    base.activate(io, Ev::WRITE).unwrap();
    base.add(io, None).unwrap();
    assert_eq!(what(&base, io), Ev::WRITE, "active, not inserted");
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![Ev::WRITE]);
    assert_eq!(what(&base, io), Ev::NONE, "the run deleted it");
}

/// Handlers (and what they captured) are dropped when their event is freed,
/// whether freed from outside, from its own callback, or as a `once` event.
#[test]
fn freed_handlers_are_dropped() {
    let base = util::base::<()>();
    let token = std::sync::Arc::new(());
    let held = token.clone();
    let outside = base
        .timer(move |_, _, _| {
            let _ = &held;
        })
        .unwrap();
    assert_eq!(std::sync::Arc::strong_count(&token), 2);
    base.free(outside).unwrap();
    assert_eq!(std::sync::Arc::strong_count(&token), 1, "free from outside");

    let held = token.clone();
    let own = base
        .timer(move |_, base, f| {
            let _ = &held;
            base.free(f.id).unwrap();
        })
        .unwrap();
    base.activate(own, Ev::TIMEOUT).unwrap();
    base.dispatch(&mut ()).unwrap();
    assert_eq!(
        std::sync::Arc::strong_count(&token),
        1,
        "free from its callback"
    );

    let held = token.clone();
    base.once_timer(Some(ms(1)), move |_, _| {
        let _ = &held;
    })
    .unwrap();
    base.dispatch(&mut ()).unwrap();
    assert_eq!(std::sync::Arc::strong_count(&token), 1, "once event");

    let held = token.clone();
    let fin = base.timer(|_, _, _| {}).unwrap();
    base.finalize_with(fin, move |_, _| {
        let _ = &held;
    })
    .unwrap();
    base.dispatch(&mut ()).unwrap();
    assert_eq!(std::sync::Arc::strong_count(&token), 1, "finalizer");

    let held = token.clone();
    let pending = base
        .timer(move |_, _, _| {
            let _ = &held;
        })
        .unwrap();
    base.add(pending, Some(Duration::from_secs(60))).unwrap();
    drop(base);
    assert_eq!(std::sync::Arc::strong_count(&token), 1, "base dropped");
}
