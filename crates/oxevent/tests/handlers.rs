//! Callbacks and the loop's bookkeeping around them: persistent events stay
//! pending, non-persistent ones are deleted before their callback,
//! one-shot (transient) records are freed when they go idle, and a callback
//! may delete, free or re-add its own event or another one activated in the
//! same round. The C face runs through the same path (its records hold the
//! program's function pointer instead of a closure).

mod util;

use std::os::fd::AsRawFd;
use std::time::Duration;

use oxevent::{Base, Ev, EventId, Fired, LoopFlags};

/// What a callback does besides logging its run.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Act {
    Nothing,
    DelSelf,
    FreeSelf,
    DelOther,
    ReAddSelf,
}

#[derive(Default)]
struct Log {
    runs: Vec<(u32, Ev)>,
    other: Option<EventId>,
}

fn callback(tag: u32, act: Act) -> impl FnMut(&mut Log, &Base<Log>, Fired) + 'static {
    move |log: &mut Log, base: &Base<Log>, fired: Fired| {
        log.runs.push((tag, fired.what));
        match act {
            Act::Nothing => {}
            Act::DelSelf => base.del(fired.id).unwrap(),
            Act::FreeSelf => base.free(fired.id).unwrap(),
            Act::DelOther => {
                if let Some(o) = log.other {
                    base.del(o).unwrap();
                }
            }
            Act::ReAddSelf => base.add(fired.id, Some(Duration::from_millis(1))).unwrap(),
        }
    }
}

fn base() -> Base<Log> {
    Base::<Log>::new().expect("base")
}

/// A timer (fd -1) or an event on a raw fd the test keeps open.
fn make(base: &Base<Log>, fd: i32, events: Ev, tag: u32, act: Act) -> EventId {
    if fd < 0 {
        base.timer_with(events, callback(tag, act)).unwrap()
    } else {
        // SAFETY: every caller keeps `fd` open until the test's end.
        unsafe { base.io_fd(fd, events, callback(tag, act)) }.unwrap()
    }
}

#[test]
fn a_persistent_read_stays_pending_and_runs_each_time() {
    let base = base();
    let (mut a, mut b) = util::pair();
    let id = make(
        &base,
        b.as_raw_fd(),
        Ev::READ | Ev::PERSIST,
        1,
        Act::Nothing,
    );
    base.add(id, None).unwrap();
    let mut log = Log::default();
    for round in 1..=3 {
        util::send(&mut a, b"x");
        base.run(LoopFlags::ONCE, &mut log).unwrap();
        assert_eq!(log.runs.len(), round);
        assert_eq!(base.pending(id, Ev::READ).unwrap().what, Ev::READ);
        util::drain(&mut b);
    }
    assert!(log.runs.iter().all(|&(t, w)| t == 1 && w == Ev::READ));
    base.free(id).unwrap();
}

#[test]
fn a_plain_timer_is_deleted_before_its_callback_and_a_transient_one_freed() {
    let base = base();
    let kept = make(&base, -1, Ev::NONE, 1, Act::Nothing);
    let transient = base
        .once_timer(Some(Duration::from_millis(1)), |log: &mut Log, _| {
            log.runs.push((2, Ev::TIMEOUT))
        })
        .unwrap();
    base.add(kept, Some(Duration::from_millis(1))).unwrap();
    let mut log = Log::default();
    base.dispatch(&mut log).unwrap();
    let mut tags: Vec<u32> = log.runs.iter().map(|r| r.0).collect();
    tags.sort();
    assert_eq!(tags, [1, 2]);
    assert_eq!(base.pending(kept, Ev::TIMEOUT).unwrap().what, Ev::NONE);
    assert!(
        base.info(kept).is_ok(),
        "a non-transient record outlives its run"
    );
    assert!(
        base.info(transient).is_err(),
        "an idle transient record is freed"
    );
    base.free(kept).unwrap();
}

#[test]
fn a_persistent_timer_keeps_its_period() {
    let base = base();
    let id = make(&base, -1, Ev::PERSIST, 7, Act::Nothing);
    base.add(id, Some(Duration::from_millis(5))).unwrap();
    let mut log = Log::default();
    for _ in 0..3 {
        base.run(LoopFlags::ONCE, &mut log).unwrap();
    }
    assert_eq!(log.runs, [(7, Ev::TIMEOUT); 3]);
    assert_eq!(base.pending(id, Ev::TIMEOUT).unwrap().what, Ev::TIMEOUT);
    base.free(id).unwrap();
}

#[test]
fn a_callback_may_delete_or_free_itself() {
    let base = base();
    let (mut a, b) = util::pair();
    let del = make(
        &base,
        b.as_raw_fd(),
        Ev::READ | Ev::PERSIST,
        1,
        Act::DelSelf,
    );
    let freed = make(&base, -1, Ev::PERSIST, 2, Act::FreeSelf);
    base.add(del, None).unwrap();
    base.add(freed, Some(Duration::from_millis(1))).unwrap();
    util::send(&mut a, b"x");
    let mut log = Log::default();
    // Runs both once, then has nothing left: the loop ends by itself.
    base.dispatch(&mut log).unwrap();
    let mut tags: Vec<u32> = log.runs.iter().map(|r| r.0).collect();
    tags.sort();
    assert_eq!(tags, [1, 2]);
    assert_eq!(base.pending(del, Ev::READ).unwrap().what, Ev::NONE);
    assert!(base.info(freed).is_err());
    base.free(del).unwrap();
}

#[test]
fn deleting_an_event_activated_in_the_same_round_stops_its_callback() {
    let base = base();
    let first = make(&base, -1, Ev::NONE, 1, Act::DelOther);
    let second = make(&base, -1, Ev::NONE, 2, Act::Nothing);
    base.activate(first, Ev::TIMEOUT).unwrap();
    base.activate(second, Ev::TIMEOUT).unwrap();
    let mut log = Log {
        other: Some(second),
        ..Log::default()
    };
    base.run(LoopFlags::NONBLOCK, &mut log).unwrap();
    assert_eq!(
        log.runs,
        [(1, Ev::TIMEOUT)],
        "the deleted activation never runs"
    );
    base.free(first).unwrap();
    base.free(second).unwrap();
}

#[test]
fn a_callback_may_re_add_its_own_one_shot_timer() {
    let base = base();
    let id = make(&base, -1, Ev::NONE, 3, Act::ReAddSelf);
    base.add(id, Some(Duration::from_millis(1))).unwrap();
    let mut log = Log::default();
    base.run(LoopFlags::ONCE, &mut log).unwrap();
    assert_eq!(log.runs.len(), 1);
    assert_eq!(
        base.pending(id, Ev::TIMEOUT).unwrap().what,
        Ev::TIMEOUT,
        "pending again after re-adding itself"
    );
    base.run(LoopFlags::ONCE, &mut log).unwrap();
    assert_eq!(log.runs.len(), 2);
    base.free(id).unwrap();
}
