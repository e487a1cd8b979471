//! Signal events (`harness = false`: the test harness's threads would take
//! signals meant for the loop, so these checks run one after another on the
//! main thread, where `raise` delivers synchronously).
//!
//! `main` runs every check, prints `N passed, M failed` and exits non-zero on
//! any failure. Pass a substring as the first argument to run only matching
//! checks.

mod util;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use oxevent::{Ev, LoopExit, LoopFlags};
use util::ms;

const USR1: i32 = libc::SIGUSR1;
const USR2: i32 = libc::SIGUSR2;

fn raise(sig: i32) {
    // SAFETY: raise(3) sends `sig` to this (the only) thread; every signal the
    // checks raise has a handler or is ignored, so the process survives.
    let r = unsafe { libc::raise(sig) };
    assert_eq!(r, 0, "raise({sig})");
}

/// Sets the disposition of `sig` to `handler` (SIG_IGN, SIG_DFL or a function).
fn set_handler(sig: i32, handler: libc::sighandler_t) {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler;
    // SAFETY: `sa` is a valid sigaction; `sig` is a catchable signal; the
    // handlers used here only touch an atomic (async-signal-safe).
    let r = unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigaction({sig})");
}

/// The current disposition of `sig`.
fn handler_of(sig: i32) -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is valid storage for the kernel to fill.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only queries; `old` is valid storage.
    let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    assert_eq!(r, 0, "sigaction query({sig})");
    old.sa_sigaction
}

static MINE_HITS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn mine(_sig: libc::c_int) {
    MINE_HITS.fetch_add(1, Ordering::SeqCst);
}

fn mine_ptr() -> libc::sighandler_t {
    mine as extern "C" fn(libc::c_int) as libc::sighandler_t
}

#[derive(Default)]
struct Log {
    calls: Vec<(i32, Ev)>,
    order: Vec<&'static str>,
    raised: u32,
}

/// A persistent SIGUSR1 event counts three raises made on three loop turns.
fn persistent_counts_three_raises() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, base, fired| {
            log.calls.push((fired.fd, fired.what));
            if log.calls.len() == 3 {
                base.loopbreak();
            }
        })
        .unwrap();
    base.add(sig, None).unwrap();
    let tick = base
        .timer_with(Ev::PERSIST, |log: &mut Log, base, fired| {
            if log.raised < 3 {
                log.raised += 1;
                raise(USR1);
            } else {
                base.del(fired.id).unwrap();
            }
        })
        .unwrap();
    base.add(tick, Some(ms(20))).unwrap();
    base.loopexit(Some(ms(3000))).unwrap();
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert!(
        base.got_break(),
        "stopped by the 3rd signal, not the watchdog"
    );
    assert_eq!(log.calls, vec![(USR1, Ev::SIGNAL); 3]);
    assert_eq!(
        base.pending(sig, Ev::SIGNAL).unwrap().what,
        Ev::SIGNAL,
        "a persistent signal event stays pending"
    );
    base.free(sig).unwrap();
    base.free(tick).unwrap();
}

/// A non-persistent signal event runs once and is no longer pending after.
fn non_persistent_fires_once() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::NONE, |log: &mut Log, _, fired| {
            log.calls.push((fired.fd, fired.what))
        })
        .unwrap();
    base.add(sig, None).unwrap();
    assert_eq!(base.pending(sig, Ev::SIGNAL).unwrap().what, Ev::SIGNAL);
    let mut log = Log::default();
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert!(log.calls.is_empty(), "no signal yet");
    raise(USR1);
    // The event goes non-pending when it fires, so the loop then runs out.
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.calls, vec![(USR1, Ev::SIGNAL)]);
    assert_eq!(base.pending(sig, Ev::SIGNAL).unwrap().what, Ev::NONE);
    // SIG_IGN is back, so this raise neither kills us nor reaches the event.
    raise(USR1);
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut log).unwrap(),
        LoopExit::NoEvents
    );
    assert_eq!(log.calls.len(), 1);
    // Re-added, it fires again.
    base.add(sig, None).unwrap();
    raise(USR1);
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.calls.len(), 2);
    base.free(sig).unwrap();
}

/// Two raises before the loop runs: one activation, two callback calls
/// (libevent's `ev_ncalls`).
fn ncalls_two_raises_give_two_calls() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, fired| {
            log.calls.push((fired.fd, fired.what))
        })
        .unwrap();
    base.add(sig, None).unwrap();
    raise(USR1);
    raise(USR1);
    let mut log = Log::default();
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert_eq!(log.calls, vec![(USR1, Ev::SIGNAL); 2]);
    base.free(sig).unwrap();
}

/// libevent deletes a non-persistent event before its closure runs, but the
/// signal closure still makes `ev_ncalls` calls: two raises, two calls.
fn non_persistent_ncalls_two_calls() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::NONE, |log: &mut Log, _, fired| {
            log.calls.push((fired.fd, fired.what))
        })
        .unwrap();
    base.add(sig, None).unwrap();
    raise(USR1);
    raise(USR1);
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.calls, vec![(USR1, Ev::SIGNAL); 2]);
    assert_eq!(base.pending(sig, Ev::SIGNAL).unwrap().what, Ev::NONE);
    base.free(sig).unwrap();
}

/// A callback that deletes its own event stops the remaining deliveries of
/// that activation (libevent's `*ev_pncalls = 0`).
fn self_delete_stops_remaining_calls() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, base, fired| {
            log.calls.push((fired.fd, fired.what));
            base.del(fired.id).unwrap();
        })
        .unwrap();
    base.add(sig, None).unwrap();
    for _ in 0..3 {
        raise(USR1);
    }
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.calls.len(), 1);
    base.free(sig).unwrap();
}

/// `loopbreak` inside a signal callback stops the remaining deliveries.
fn loopbreak_stops_remaining_calls() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, base, fired| {
            log.calls.push((fired.fd, fired.what));
            base.loopbreak();
        })
        .unwrap();
    base.add(sig, None).unwrap();
    for _ in 0..3 {
        raise(USR1);
    }
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert!(base.got_break());
    assert_eq!(log.calls.len(), 1);
    base.free(sig).unwrap();
}

/// Each base receives the signals it has events for.
fn two_bases_each_get_their_signal() {
    let a = util::base::<Log>();
    let b = util::base::<Log>();
    let ea = a
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    let eb = b
        .signal(USR2, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    a.add(ea, None).unwrap();
    b.add(eb, None).unwrap();
    raise(USR1);
    raise(USR2);
    let (mut la, mut lb) = (Log::default(), Log::default());
    a.run(LoopFlags::NONBLOCK, &mut la).unwrap();
    b.run(LoopFlags::NONBLOCK, &mut lb).unwrap();
    assert_eq!(la.calls, vec![(USR1, Ev::SIGNAL)]);
    assert_eq!(lb.calls, vec![(USR2, Ev::SIGNAL)]);
    b.free(eb).unwrap();
    a.free(ea).unwrap();
}

/// The same signal on two bases goes to the base that added it last; a base
/// that starts its loop takes its signals back (libevent's
/// `evsig_set_base_` at loop start).
fn same_signal_goes_to_last_adder() {
    let a = util::base::<Log>();
    let b = util::base::<Log>();
    let ea = a
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    let eb = b
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    a.add(ea, None).unwrap();
    b.add(eb, None).unwrap();
    raise(USR1);
    let (mut la, mut lb) = (Log::default(), Log::default());
    b.run(LoopFlags::NONBLOCK, &mut lb).unwrap();
    a.run(LoopFlags::NONBLOCK, &mut la).unwrap();
    assert_eq!(lb.calls.len(), 1, "B added last");
    assert_eq!(la.calls.len(), 0, "A must not see B's signal");
    // A's loop started last: the next one is A's.
    raise(USR1);
    a.run(LoopFlags::NONBLOCK, &mut la).unwrap();
    assert_eq!(la.calls.len(), 1);
    assert_eq!(lb.calls.len(), 1);
    b.free(eb).unwrap();
    a.free(ea).unwrap();
}

/// A signal raised inside a callback is delivered on the next loop turn:
/// the callbacks already active in this turn run first.
fn raised_in_callback_runs_next_turn() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, base, _| {
            log.order.push("sig");
            base.loopbreak();
        })
        .unwrap();
    base.add(sig, None).unwrap();
    let t1 = base
        .timer(|log: &mut Log, _, _| {
            log.order.push("t1");
            raise(USR1);
        })
        .unwrap();
    let t2 = base
        .timer(|log: &mut Log, _, _| log.order.push("t2"))
        .unwrap();
    base.activate(t1, Ev::TIMEOUT).unwrap();
    base.activate(t2, Ev::TIMEOUT).unwrap();
    base.loopexit(Some(ms(3000))).unwrap();
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    assert_eq!(log.order, vec!["t1", "t2", "sig"]);
    base.free(sig).unwrap();
}

/// Freeing (or deleting) the last event for a signal puts back the handler
/// that was there before: SIG_IGN, or the program's own function.
fn previous_handler_restored() {
    // SIG_IGN before: restored by free and by del.
    set_handler(USR2, libc::SIG_IGN);
    let base = util::base::<Log>();
    let ev = base
        .signal(USR2, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    assert_eq!(handler_of(USR2), libc::SIG_IGN, "create does not install");
    base.add(ev, None).unwrap();
    let installed = handler_of(USR2);
    assert!(installed != libc::SIG_IGN && installed != libc::SIG_DFL);
    base.del(ev).unwrap();
    assert_eq!(handler_of(USR2), libc::SIG_IGN, "del restores");
    base.add(ev, None).unwrap();
    base.free(ev).unwrap();
    assert_eq!(handler_of(USR2), libc::SIG_IGN, "free restores");
    raise(USR2); // ignored: the process lives on

    // The program's own handler: not called while the event holds the
    // signal, called again once the event is freed.
    MINE_HITS.store(0, Ordering::SeqCst);
    set_handler(USR1, mine_ptr());
    let ev = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    base.add(ev, None).unwrap();
    raise(USR1);
    let mut log = Log::default();
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert_eq!(log.calls.len(), 1);
    assert_eq!(MINE_HITS.load(Ordering::SeqCst), 0);
    base.free(ev).unwrap();
    assert_eq!(handler_of(USR1), mine_ptr());
    raise(USR1);
    assert_eq!(MINE_HITS.load(Ordering::SeqCst), 1);
    set_handler(USR1, libc::SIG_IGN);

    // Dropping a base with a pending signal event also restores.
    let base = util::base::<Log>();
    let ev = base.signal(USR2, Ev::PERSIST, |_, _, _| {}).unwrap();
    base.add(ev, None).unwrap();
    assert_ne!(handler_of(USR2), libc::SIG_IGN);
    drop(base);
    assert_eq!(
        handler_of(USR2),
        libc::SIG_IGN,
        "dropping the base restores"
    );
}

/// A signal event's timeout fires with `TIMEOUT`; as in libevent, the expiry
/// deletes the event (signal closures never re-arm), persistent or not.
fn signal_timeout_fires_and_deletes() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR1, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    base.add(sig, Some(ms(30))).unwrap();
    assert_eq!(
        base.pending(sig, Ev::SIGNAL | Ev::TIMEOUT).unwrap().what,
        Ev::SIGNAL | Ev::TIMEOUT
    );
    let mut log = Log::default();
    assert_eq!(base.dispatch(&mut log).unwrap(), LoopExit::NoEvents);
    assert_eq!(log.calls, vec![(USR1, Ev::TIMEOUT)]);
    assert_eq!(
        base.pending(sig, Ev::SIGNAL | Ev::TIMEOUT).unwrap().what,
        Ev::NONE
    );
    base.free(sig).unwrap();
}

/// `active_by_signal` runs the signal's events with no signal raised.
fn active_by_signal_runs_events() {
    let base = util::base::<Log>();
    let sig = base
        .signal(USR2, Ev::PERSIST, |log: &mut Log, _, f| {
            log.calls.push((f.fd, f.what))
        })
        .unwrap();
    base.add(sig, None).unwrap();
    base.active_by_signal(USR1); // no event for it: nothing
    base.active_by_signal(USR2);
    let mut log = Log::default();
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert_eq!(log.calls, vec![(USR2, Ev::SIGNAL)]);
    base.free(sig).unwrap();
}

/// Bad signal numbers are refused at creation.
fn bad_signals_refused() {
    let base = util::base::<()>();
    for signo in [0, -1, 65, 999, libc::SIGKILL, libc::SIGSTOP] {
        let r = base.signal(signo, Ev::PERSIST, |_, _, _| {});
        assert!(
            matches!(r, Err(oxevent::Error::BadSignal(s)) if s == signo),
            "signal {signo}: {r:?}"
        );
    }
    let r = base.signal(USR1, Ev::READ, |_, _, _| {});
    assert!(matches!(r, Err(oxevent::Error::BadFlags(_))), "{r:?}");
}

type Check = (&'static str, fn());

const CHECKS: &[Check] = &[
    (
        "persistent_counts_three_raises",
        persistent_counts_three_raises,
    ),
    ("non_persistent_fires_once", non_persistent_fires_once),
    (
        "ncalls_two_raises_give_two_calls",
        ncalls_two_raises_give_two_calls,
    ),
    (
        "non_persistent_ncalls_two_calls",
        non_persistent_ncalls_two_calls,
    ),
    (
        "self_delete_stops_remaining_calls",
        self_delete_stops_remaining_calls,
    ),
    (
        "loopbreak_stops_remaining_calls",
        loopbreak_stops_remaining_calls,
    ),
    (
        "two_bases_each_get_their_signal",
        two_bases_each_get_their_signal,
    ),
    (
        "same_signal_goes_to_last_adder",
        same_signal_goes_to_last_adder,
    ),
    (
        "raised_in_callback_runs_next_turn",
        raised_in_callback_runs_next_turn,
    ),
    ("previous_handler_restored", previous_handler_restored),
    (
        "signal_timeout_fires_and_deletes",
        signal_timeout_fires_and_deletes,
    ),
    ("active_by_signal_runs_events", active_by_signal_runs_events),
    ("bad_signals_refused", bad_signals_refused),
];

/// Checks that show an engine bug: run only with `--include-ignored`.
const KNOWN_BUGS: &[(&str, &str)] = &[];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let include_ignored = args
        .iter()
        .any(|a| a == "--include-ignored" || a == "--ignored");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    // Stray deliveries must never kill the process.
    set_handler(USR1, libc::SIG_IGN);
    set_handler(USR2, libc::SIG_IGN);
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    for &(name, check) in CHECKS {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        if let Some((_, why)) = KNOWN_BUGS.iter().find(|(n, _)| *n == name) {
            if !include_ignored {
                println!("signals::{name} ... ignored, {why}");
                ignored += 1;
                continue;
            }
        }
        match panic::catch_unwind(AssertUnwindSafe(check)) {
            Ok(()) => {
                println!("signals::{name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("signals::{name} ... FAILED");
                failed += 1;
            }
        }
        // Each check leaves both signals ignored for the next.
        set_handler(USR1, libc::SIG_IGN);
        set_handler(USR2, libc::SIG_IGN);
    }
    println!("\n{passed} passed, {failed} failed, {ignored} ignored");
    if failed > 0 {
        std::process::exit(1);
    }
}
