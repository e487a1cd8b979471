//! Handlers that copy (`Handler::fast_copy`, `Handler::COPIES`): the loop
//! runs a copy and leaves the original in its record. These check that the
//! short path keeps libevent's semantics: persistent events stay pending,
//! non-persistent ones are deleted before their callback, transient records
//! are freed when they go idle, and a callback may delete, free or re-add
//! its own event or another one activated in the same round.

mod util;

use std::os::fd::AsRawFd;
use std::time::Duration;

use oxevent::{Ev, EventId, EventSpec, Fired, Handler, LoopFlags, RawBase};

/// What a callback does besides logging its run.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Act {
    Nothing,
    DelSelf,
    FreeSelf,
    DelOther,
    ReAddSelf,
}

/// A copying handler: a tag and an action, both `Copy`.
#[derive(Copy, Clone, Debug)]
struct Plain {
    tag: u32,
    act: Act,
}

#[derive(Default)]
struct Log {
    runs: Vec<(u32, Ev)>,
    other: Option<EventId>,
}

impl Handler for Plain {
    type Data = Log;
    const COPIES: bool = true;

    fn call(&mut self, base: &RawBase<Self>, log: &mut Log, fired: Fired) {
        log.runs.push((self.tag, fired.what));
        match self.act {
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

    fn fast_copy(&self) -> Option<Self> {
        Some(*self)
    }
}

fn base() -> RawBase<Plain> {
    RawBase::<Plain>::new().expect("base")
}

fn spec(fd: i32, events: Ev) -> EventSpec {
    EventSpec {
        fd,
        events,
        priority: None,
    }
}

fn plain(tag: u32, act: Act) -> Plain {
    Plain { tag, act }
}

#[test]
fn a_persistent_read_stays_pending_and_runs_each_time() {
    let base = base();
    let (mut a, mut b) = util::pair();
    let read = spec(b.as_raw_fd(), Ev::READ | Ev::PERSIST);
    // SAFETY: `b` stays open until the test's end, after the last run.
    let id = unsafe { base.create_fd(read, plain(1, Act::Nothing), 0, false) }.unwrap();
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
    let kept = base
        .create(spec(-1, Ev::NONE), plain(1, Act::Nothing), 0, false)
        .unwrap();
    let transient = base
        .create(spec(-1, Ev::NONE), plain(2, Act::Nothing), 0x1000, true)
        .unwrap();
    base.add(kept, Some(Duration::from_millis(1))).unwrap();
    base.add(transient, Some(Duration::from_millis(1))).unwrap();
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
    let id = base
        .create(spec(-1, Ev::PERSIST), plain(7, Act::Nothing), 0, false)
        .unwrap();
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
    let read = spec(b.as_raw_fd(), Ev::READ | Ev::PERSIST);
    // SAFETY: `b` stays open until the test's end, after the last run.
    let del = unsafe { base.create_fd(read, plain(1, Act::DelSelf), 0, false) }.unwrap();
    let freed = base
        .create(spec(-1, Ev::PERSIST), plain(2, Act::FreeSelf), 0, false)
        .unwrap();
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
    let first = base
        .create(spec(-1, Ev::NONE), plain(1, Act::DelOther), 0, false)
        .unwrap();
    let second = base
        .create(spec(-1, Ev::NONE), plain(2, Act::Nothing), 0, false)
        .unwrap();
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
    let id = base
        .create(spec(-1, Ev::NONE), plain(3, Act::ReAddSelf), 0, false)
        .unwrap();
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
