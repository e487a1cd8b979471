//! Regressions: each test is named after the bug it guards against.
//!
//! No signal is raised here (this binary runs the harness's threads):
//! signal deliveries are simulated with `activate_n`/`active_by_signal`,
//! which reach the same code path as a real delivery.

mod util;

use std::time::Duration;

use oxevent::{Ev, LoopExit};

/// Bug: `process_queue` deleted a non-persistent signal event before its
/// delivery loop, and the delete zeroed `ncalls`, so the callback of a
/// non-persistent signal event never ran. libevent runs it `ev_ncalls`
/// times (the delete only cancels deliveries when made during the callback).
#[test]
fn non_persistent_signal_event_runs_its_callback_ncalls_times() {
    let base = util::base::<Vec<(i32, Ev)>>();
    let sig = base
        .signal(libc::SIGUSR1, Ev::NONE, |seen: &mut Vec<_>, _, f| {
            seen.push((f.fd, f.what))
        })
        .unwrap();
    base.activate_n(sig, Ev::SIGNAL, 2).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![(libc::SIGUSR1, Ev::SIGNAL); 2]);
}

/// Same bug, through the signal map: an added non-persistent signal event
/// activated by its signal number runs once and is then not pending.
#[test]
fn non_persistent_signal_event_runs_when_its_signal_is_activated() {
    let base = util::base::<u32>();
    let sig = base
        .signal(libc::SIGUSR2, Ev::NONE, |n: &mut u32, _, _| *n += 1)
        .unwrap();
    base.add(sig, None).unwrap();
    base.active_by_signal(libc::SIGUSR2);
    let mut n = 0;
    assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
    assert_eq!(n, 1);
    assert_eq!(base.pending(sig, Ev::SIGNAL).unwrap().what, Ev::NONE);
}

/// Same bug, through a timeout: a non-persistent signal event whose timeout
/// expired never saw its `TIMEOUT` callback.
#[test]
fn non_persistent_signal_event_timeout_runs_its_callback() {
    let base = util::base::<Vec<Ev>>();
    let sig = base
        .signal(libc::SIGUSR1, Ev::NONE, |seen: &mut Vec<Ev>, _, f| {
            seen.push(f.what)
        })
        .unwrap();
    base.add(sig, Some(Duration::from_millis(10))).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    assert_eq!(seen, vec![Ev::TIMEOUT]);
}

/// The delete that precedes a non-persistent callback must not cancel the
/// deliveries, but a delete made *inside* the callback must (libevent's
/// `*ev_pncalls = 0`).
#[test]
fn signal_deliveries_cancelled_by_delete_inside_the_callback() {
    let base = util::base::<u32>();
    let sig = base
        .signal(libc::SIGUSR1, Ev::NONE, |n: &mut u32, base, f| {
            *n += 1;
            base.del(f.id).unwrap();
        })
        .unwrap();
    base.activate_n(sig, Ev::SIGNAL, 3).unwrap();
    let mut n = 0;
    base.dispatch(&mut n).unwrap();
    assert_eq!(n, 1);
}

/// `timer_with` and `signal` used to drop flags they do not support
/// (`timer_with(READ)` silently became a plain timer); they refuse them now,
/// as `io` does.
#[test]
fn timer_and_signal_refuse_flags_they_cannot_honour() {
    use oxevent::{Base, Error, Ev};
    let base = Base::<()>::new().unwrap();
    assert!(matches!(
        base.timer_with(Ev::READ, |_, _, _| {}),
        Err(Error::BadFlags(_))
    ));
    assert!(matches!(
        base.timer_with(Ev::ET, |_, _, _| {}),
        Err(Error::BadFlags(_))
    ));
    assert!(matches!(
        base.signal(libc::SIGUSR2, Ev::ET, |_, _, _| {}),
        Err(Error::BadFlags(_))
    ));
    let ok = base
        .timer_with(Ev::PERSIST | Ev::FINALIZE, |_, _, _| {})
        .unwrap();
    base.free(ok).unwrap();
    let sig = base
        .signal(libc::SIGUSR2, Ev::PERSIST, |_, _, _| {})
        .unwrap();
    base.free(sig).unwrap();
}

/// An id from one base used on another used to act on whatever event had
/// the same slot there; each base now has its own generation range.
#[test]
fn an_event_id_of_another_base_is_refused() {
    use oxevent::{Base, Error};
    let a = Base::<()>::new().unwrap();
    let b = Base::<()>::new().unwrap();
    let ida = a.timer(|_, _, _| {}).unwrap();
    let idb = b.timer(|_, _, _| {}).unwrap();
    assert!(matches!(b.add(ida, None), Err(Error::NoSuchEvent)));
    assert!(matches!(a.free(idb), Err(Error::NoSuchEvent)));
    assert!(b.pending(idb, oxevent::Ev::TIMEOUT).is_ok());
    a.free(ida).unwrap();
    b.free(idb).unwrap();
}
