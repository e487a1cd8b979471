//! The engine's hardening, each test named after the defect it guards
//! (issue 8): user code never runs under the base lock (the log callback
//! included), a panicking callback leaves the base usable, cross-thread
//! wakeups coalesce, and made-up descriptors are refused without growing
//! anything.
//!
//! The log callback is process-wide: the tests that install one take
//! `LOG_LOCK` so they never see each other's messages.

mod util;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

use oxevent::log::{self, Severity};
use oxevent::{Base, Config, Error, Ev, LockBias, LoopExit, LoopFlags};
use util::ms;

static LOG_LOCK: Mutex<()> = Mutex::new(());

thread_local! {
    /// The base the log callback calls into (the callback runs on the
    /// thread that logged).
    static TARGET: RefCell<Option<Base<Vec<&'static str>>>> = const { RefCell::new(None) };
}

/// A warning made under the base lock (a nested `run`) reaches a log
/// callback that itself adds and activates an event on that base: the
/// message is delivered after the lock is released, so the callback's calls
/// neither deadlock (futex lock) nor alias the biased lock's guard.
fn log_callback_calling_into_the_base(bias: LockBias) {
    let _serial = LOG_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut cfg = Config::new();
    cfg.lock_bias(bias);
    let base = Base::<Vec<&'static str>>::with_config(&cfg).unwrap();
    let from_log = base
        .timer(|seen: &mut Vec<_>, _, _| seen.push("added by the log callback"))
        .unwrap();
    TARGET.with(|t| *t.borrow_mut() = Some(base.clone()));
    log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
        if sev == Severity::Warn && msg.contains("reentrant") {
            TARGET.with(|t| {
                if let Some(b) = t.borrow().as_ref() {
                    b.add(from_log, Some(ms(1))).unwrap();
                    b.activate(from_log, Ev::TIMEOUT).unwrap();
                }
            });
        }
    })));
    let t = base
        .timer(|seen: &mut Vec<_>, base, _| {
            seen.push("nested run refused");
            assert!(matches!(
                base.run(LoopFlags::NONBLOCK, &mut Vec::new()),
                Err(Error::Reentrant)
            ));
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut seen = Vec::new();
    assert_eq!(base.dispatch(&mut seen).unwrap(), LoopExit::NoEvents);
    log::set_log_callback(None);
    TARGET.with(|t| *t.borrow_mut() = None);
    assert_eq!(seen, ["nested run refused", "added by the log callback"]);
}

#[test]
fn log_callback_may_call_into_the_base_biased_lock() {
    log_callback_calling_into_the_base(LockBias::Assume);
}

#[test]
fn log_callback_may_call_into_the_base_futex_lock() {
    log_callback_calling_into_the_base(LockBias::Off);
}

/// A panic in a callback unwinds out of `dispatch`; afterwards the base is
/// not stuck "running" (no `Reentrant`), the persistent event that panicked
/// is still registered with its closure and runs again, and a
/// non-persistent one is not pending (as after any callback).
#[test]
fn a_panicking_callback_leaves_the_base_dispatchable() {
    let base = util::base::<u32>();
    let tick = base
        .timer_with(Ev::PERSIST, |n: &mut u32, _, _| {
            *n += 1;
            if *n == 1 {
                panic!("first tick fails");
            }
        })
        .unwrap();
    let once = base
        .timer(|_: &mut u32, _, _| panic!("one-shot fails"))
        .unwrap();
    base.add(tick, Some(ms(1))).unwrap();
    let mut n = 0;
    let r = catch_unwind(AssertUnwindSafe(|| base.run(LoopFlags::ONCE, &mut n)));
    assert!(r.is_err(), "the panic reached the caller");
    assert_eq!(n, 1);
    assert_eq!(
        base.pending(tick, Ev::TIMEOUT).unwrap().what,
        Ev::TIMEOUT,
        "the persistent event stays pending"
    );
    assert_eq!(base.running_event(), None);
    base.run(LoopFlags::ONCE, &mut n).unwrap();
    assert_eq!(n, 2, "its closure is still there and runs again");

    base.activate(once, Ev::TIMEOUT).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| base.run(LoopFlags::NONBLOCK, &mut n)));
    assert!(r.is_err());
    assert_eq!(base.pending(once, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    base.free(tick).unwrap();
    assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
}

/// A panic in a callback while another thread waits in `del` for that
/// callback: the waiter is released when the panic passes.
#[test]
fn a_panicking_callback_releases_a_waiting_delete() {
    let base = util::base::<()>();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = base
        .timer(move |_, _, _| {
            tx.send(()).unwrap();
            std::thread::sleep(ms(100));
            panic!("fails while deleted");
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let remote = base.remote();
    let deleter = std::thread::spawn(move || {
        rx.recv().unwrap();
        remote.del(t).unwrap();
    });
    let r = catch_unwind(AssertUnwindSafe(|| base.dispatch(&mut ())));
    assert!(r.is_err());
    deleter.join().unwrap();
}

/// Cross-thread activations while the loop is busy write one wakeup, not
/// one per activation (libevent's `is_notify_pending`).
#[test]
fn cross_thread_wakeups_coalesce() {
    let base = util::base::<u32>();
    let target = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let busy = base
        .timer(move |_: &mut u32, _, _| {
            tx.send(()).unwrap();
            // Long enough for the other thread's 10,000 activations.
            std::thread::sleep(ms(300));
        })
        .unwrap();
    base.activate(busy, Ev::TIMEOUT).unwrap();
    let remote = base.remote();
    let flood = std::thread::spawn(move || {
        rx.recv().unwrap();
        for _ in 0..10_000 {
            remote.activate(target, Ev::TIMEOUT).unwrap();
        }
    });
    let mut n = 0;
    base.dispatch(&mut n).unwrap();
    flood.join().unwrap();
    base.dispatch(&mut n).unwrap();
    assert!(n >= 1, "the target ran");
    let w = base.wakeups_written();
    assert!(w <= 2, "{w} wakeups for 10,000 activations");
}

/// A made-up descriptor number (`INT_MAX`) is refused with `BadFd`, never
/// grows a table toward it (which aborted the process on the allocation).
#[test]
fn a_huge_fd_is_refused_without_allocating() {
    for m in util::METHODS {
        let base = util::base_on::<()>(m);
        for fd in [i32::MAX, i32::MAX - 1, 1 << 30] {
            // SAFETY: the number names no open file; the add is refused
            // before anything is registered.
            let id = unsafe { base.io_fd(fd, Ev::READ, |_, _, _| {}) }.unwrap();
            assert!(
                matches!(base.add(id, None), Err(Error::BadFd(f)) if f == fd),
                "{m} {fd}"
            );
            base.free(id).unwrap();
        }
        assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
    }
}

/// libevent re-arms a persistent event only with a non-zero period: a
/// persistent timer added with a zero timeout runs once.
#[test]
fn a_persistent_zero_timeout_runs_once() {
    let base = util::base::<u32>();
    let t = base
        .timer_with(Ev::PERSIST, |n: &mut u32, _, _| *n += 1)
        .unwrap();
    base.add(t, Some(Duration::ZERO)).unwrap();
    base.loopexit(Some(ms(100))).unwrap();
    let mut n = 0;
    base.dispatch(&mut n).unwrap();
    assert_eq!(n, 1);
    assert_eq!(base.pending(t, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    // Under NONBLOCK the loop returns.
    base.add(t, Some(Duration::ZERO)).unwrap();
    base.run(LoopFlags::NONBLOCK, &mut n).unwrap();
    base.run(LoopFlags::NONBLOCK, &mut n).unwrap();
    assert_eq!(n, 2);
}

/// `remove_timer` on a persistent I/O event: its period goes with the
/// timeout, so reads never bring the timeout back.
#[test]
fn remove_timer_sticks_across_reads() {
    let base = util::base::<Vec<Ev>>();
    let (a, mut b) = util::pair();
    let id = base
        .io(a, Ev::READ | Ev::PERSIST, |seen: &mut Vec<Ev>, _, io, f| {
            seen.push(f.what);
            util::drain(io);
        })
        .unwrap();
    base.add(id, Some(ms(60))).unwrap();
    base.remove_timer(id).unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        util::send(&mut b, b"x");
        base.run(LoopFlags::ONCE, &mut seen).unwrap();
    }
    base.loopexit(Some(ms(200))).unwrap();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, [Ev::READ; 3], "no timeout after remove_timer");
    base.free(id).unwrap();
}
