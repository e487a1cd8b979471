//! Building a base: backend choice (`avoid_method`, `require_features`, the
//! `EVENT_NO*` variables and `IGNORE_ENV`), base flags, counters, the time
//! cache and the log callback.
//!
//! The environment is never changed in this process (tests run in parallel
//! threads): the `EVENT_*` checks run this test binary again as a child with
//! the variables set, and read what the `env_probe` helper prints.

mod util;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oxevent::{
    supported_methods, Base, BaseFlags, Config, Count, Error, Ev, Features, LoopExit, LoopFlags,
};
use util::{base_on, config_for, ms, METHODS};

#[test]
fn the_remote_handle_and_config_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<oxevent::Remote>();
    check::<oxevent::Config>();
}

/// A base takes closures that are not `Send` (they never leave its thread).
#[test]
fn callbacks_need_not_be_send() {
    let base = util::base::<u32>();
    let shared = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = shared.clone();
    let t = base
        .timer(move |n: &mut u32, _, _| {
            seen.set(seen.get() + 1);
            *n += 1;
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut n = 0;
    base.dispatch(&mut n).unwrap();
    assert_eq!((n, shared.get()), (1, 1));
    base.free(t).unwrap();
    assert_eq!(std::rc::Rc::strong_count(&shared), 1);
}

#[test]
fn supported_methods_in_preference_order() {
    assert_eq!(supported_methods(), vec!["epoll", "poll", "select"]);
}

#[test]
fn ignore_env_default_is_epoll() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV);
    let base = Base::<()>::with_config(&cfg).unwrap();
    assert_eq!(base.method(), "epoll");
}

#[test]
fn default_base_uses_a_supported_method() {
    let base = Base::<()>::new().unwrap();
    assert!(supported_methods().contains(&base.method()));
}

#[test]
fn avoid_method_walks_down_the_list() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("epoll");
    assert_eq!(Base::<()>::with_config(&cfg).unwrap().method(), "poll");
    cfg.avoid_method("poll");
    assert_eq!(Base::<()>::with_config(&cfg).unwrap().method(), "select");
    cfg.avoid_method("select");
    assert!(matches!(
        Base::<()>::with_config(&cfg),
        Err(Error::NoBackend)
    ));
}

#[test]
fn avoid_method_each_backend_alone() {
    for avoided in METHODS {
        let mut cfg = Config::new();
        cfg.flag(BaseFlags::IGNORE_ENV).avoid_method(avoided);
        let base = Base::<()>::with_config(&cfg).unwrap();
        assert_ne!(base.method(), avoided);
        let expected = if avoided == "epoll" { "poll" } else { "epoll" };
        assert_eq!(base.method(), expected);
    }
}

#[test]
fn avoid_method_is_case_insensitive() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("EPOLL");
    assert_eq!(Base::<()>::with_config(&cfg).unwrap().method(), "poll");
}

#[test]
fn avoiding_an_unknown_method_changes_nothing() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV).avoid_method("kqueue");
    assert_eq!(Base::<()>::with_config(&cfg).unwrap().method(), "epoll");
}

#[test]
fn each_backend_can_be_chosen_and_reports_its_features() {
    for m in METHODS {
        let base = base_on::<()>(m);
        let f = base.features();
        if m == "epoll" {
            assert!(f.contains(Features::ET));
            assert!(f.contains(Features::O1));
            assert!(f.contains(Features::EARLY_CLOSE));
            assert!(!f.contains(Features::FDS));
        } else {
            assert!(f.contains(Features::FDS), "{m}");
            assert!(!f.contains(Features::ET), "{m}");
            // libevent's poll backend uses POLLRDHUP; select cannot.
            assert_eq!(f.contains(Features::EARLY_CLOSE), m == "poll", "{m}");
        }
        assert!(format!("{base:?}").contains(m));
    }
}

#[test]
fn require_features_picks_a_backend_offering_them() {
    let build = |req: Features, avoid: &[&str]| {
        let mut cfg = Config::new();
        cfg.flag(BaseFlags::IGNORE_ENV).require_features(req);
        for a in avoid {
            cfg.avoid_method(a);
        }
        Base::<()>::with_config(&cfg).map(|b| b.method())
    };
    assert_eq!(build(Features::FDS, &[]).unwrap(), "poll");
    assert_eq!(build(Features::FDS, &["poll"]).unwrap(), "select");
    assert_eq!(build(Features::ET, &[]).unwrap(), "epoll");
    assert_eq!(build(Features::EARLY_CLOSE, &[]).unwrap(), "epoll");
    assert_eq!(build(Features::ET | Features::O1, &[]).unwrap(), "epoll");
    assert!(matches!(
        build(Features::ET, &["epoll"]),
        Err(Error::NoBackend)
    ));
    assert!(matches!(
        build(Features::ET | Features::FDS, &[]),
        Err(Error::NoBackend)
    ));
}

/// Helper for the environment tests: prints what bases choose under the
/// environment its parent gave it. Run only as a child process.
#[test]
#[ignore = "helper: run in a child process by the env_* tests"]
fn env_probe() {
    let default = match Base::<()>::new() {
        Ok(b) => b.method().to_string(),
        Err(Error::NoBackend) => "none".to_string(),
        Err(e) => format!("error:{e}"),
    };
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV);
    let ignoring = Base::<()>::with_config(&cfg).unwrap().method();
    println!("PROBE default={default} ignore_env={ignoring}");
}

/// Runs `env_probe` in a child with `vars` set (and every other `EVENT_*`
/// variable removed); returns (its `PROBE` line, its stderr).
fn probe(vars: &[(&str, &str)]) -> (String, String) {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "env_probe",
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for v in [
        "EVENT_NOEPOLL",
        "EVENT_NOPOLL",
        "EVENT_NOSELECT",
        "EVENT_SHOW_METHOD",
        "EVENT_PRECISE_TIMER",
        "EVENT_EPOLL_USE_CHANGELIST",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "probe failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.find("PROBE ").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| panic!("no PROBE line in {stdout}"));
    (line, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn env_nothing_set_gives_epoll() {
    let (line, _) = probe(&[]);
    assert_eq!(line, "PROBE default=epoll ignore_env=epoll");
}

#[test]
fn env_noepoll_gives_poll_unless_ignored() {
    let (line, _) = probe(&[("EVENT_NOEPOLL", "1")]);
    assert_eq!(line, "PROBE default=poll ignore_env=epoll");
}

#[test]
fn env_noepoll_nopoll_gives_select_unless_ignored() {
    let (line, _) = probe(&[("EVENT_NOEPOLL", "1"), ("EVENT_NOPOLL", "1")]);
    assert_eq!(line, "PROBE default=select ignore_env=epoll");
}

#[test]
fn env_all_disabled_gives_no_backend_unless_ignored() {
    let (line, _) = probe(&[
        ("EVENT_NOEPOLL", "1"),
        ("EVENT_NOPOLL", "1"),
        ("EVENT_NOSELECT", "1"),
    ]);
    assert_eq!(line, "PROBE default=none ignore_env=epoll");
}

#[test]
fn env_variable_counts_when_set_even_if_empty() {
    // libevent tests getenv() != NULL: an empty value still disables.
    let (line, _) = probe(&[("EVENT_NOEPOLL", "")]);
    assert_eq!(line, "PROBE default=poll ignore_env=epoll");
}

#[test]
fn env_show_method_prints_the_choice() {
    let (_, stderr) = probe(&[("EVENT_SHOW_METHOD", "1"), ("EVENT_NOEPOLL", "1")]);
    assert!(
        stderr.contains("libevent using: poll"),
        "stderr was: {stderr}"
    );
    let (_, stderr) = probe(&[]);
    assert!(!stderr.contains("libevent using"), "stderr was: {stderr}");
}

#[test]
fn base_flags_build_working_bases() {
    for flag in [
        BaseFlags::NOLOCK,
        BaseFlags::STARTUP_IOCP,
        BaseFlags::NO_CACHE_TIME,
        BaseFlags::EPOLL_USE_CHANGELIST,
        BaseFlags::PRECISE_TIMER,
    ] {
        for m in METHODS {
            let mut cfg = config_for(m);
            cfg.flag(flag);
            let base = Base::<u32>::with_config(&cfg).unwrap();
            assert_eq!(base.method(), m);
            let t = base.timer(|n: &mut u32, _, _| *n += 1).unwrap();
            base.add(t, Some(ms(5))).unwrap();
            let (mut r, mut w) = util::pair();
            let io = base
                .io(r.try_clone().unwrap(), Ev::READ, |n: &mut u32, _, _, _| {
                    *n += 10
                })
                .unwrap();
            base.add(io, None).unwrap();
            util::send(&mut w, b"x");
            let mut n = 0;
            assert_eq!(base.dispatch(&mut n).unwrap(), LoopExit::NoEvents);
            assert_eq!(n, 11, "{flag:?} on {m}");
            let _ = util::drain(&mut r);
        }
    }
}

#[test]
fn precise_timer_fires_on_time() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::PRECISE_TIMER);
    let base = Base::<Option<Duration>>::with_config(&cfg).unwrap();
    let start = std::time::Instant::now();
    let t = base
        .timer(move |d: &mut Option<Duration>, _, _| *d = Some(start.elapsed()))
        .unwrap();
    base.add(t, Some(ms(20))).unwrap();
    let mut got = None;
    base.dispatch(&mut got).unwrap();
    util::assert_between("20 ms precise timer", got.unwrap(), ms(20), ms(20 + 200));
}

#[test]
fn cached_time_is_frozen_during_a_callback() {
    let base = util::base::<Vec<Duration>>();
    let t = base
        .timer(|seen: &mut Vec<Duration>, base, _| {
            seen.push(base.gettimeofday_cached());
            std::thread::sleep(ms(60));
            seen.push(base.gettimeofday_cached());
            base.update_cache_time();
            seen.push(base.gettimeofday_cached());
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen[0], seen[1], "the cache holds within a turn");
    assert!(
        seen[2] >= seen[1] + ms(50),
        "update_cache_time refreshes it: {seen:?}"
    );
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    assert!(
        wall.abs_diff(seen[2]) < Duration::from_secs(1),
        "cached wall time {:?} vs now {wall:?}",
        seen[2]
    );
}

#[test]
fn no_cache_time_reads_the_clock_each_time() {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::NO_CACHE_TIME);
    let base = Base::<Vec<Duration>>::with_config(&cfg).unwrap();
    let t = base
        .timer(|seen: &mut Vec<Duration>, base, _| {
            seen.push(base.gettimeofday_cached());
            std::thread::sleep(ms(60));
            seen.push(base.gettimeofday_cached());
        })
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert!(seen[1] >= seen[0] + ms(50), "{seen:?}");
}

#[test]
fn gettimeofday_cached_outside_the_loop_is_now() {
    let base = util::base::<()>();
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    assert!(wall.abs_diff(base.gettimeofday_cached()) < Duration::from_secs(1));
}

#[test]
fn num_events_counts_each_queue() {
    let base = util::base::<()>();
    let (r, _w) = util::pair();
    let io = base.io(r, Ev::READ, |_, _, _, _| {}).unwrap();
    let t = base.timer(|_, _, _| {}).unwrap();
    let idle = base.timer(|_, _, _| {}).unwrap();
    assert_eq!(base.num_events(&[Count::Added]), 0);
    base.add(io, Some(Duration::from_secs(10))).unwrap();
    // Inserted and timed: on two queues.
    assert_eq!(base.num_events(&[Count::Added]), 2);
    base.add(t, Some(Duration::from_secs(10))).unwrap();
    assert_eq!(base.num_events(&[Count::Added]), 3);
    assert_eq!(base.num_events(&[Count::Active]), 0);
    base.activate(idle, Ev::TIMEOUT).unwrap();
    assert_eq!(base.num_events(&[Count::Active]), 1);
    assert_eq!(base.num_events(&[Count::Added]), 4);
    assert_eq!(base.num_events(&[Count::Added, Count::Active]), 5);
    base.del(io).unwrap();
    base.del(t).unwrap();
    base.del(idle).unwrap();
    assert_eq!(base.num_events(&[Count::Added, Count::Active]), 0);
    assert_eq!(base.max_events(&[Count::Added], false), 4);
    assert_eq!(base.max_events(&[Count::Active], true), 1);
    assert_eq!(base.max_events(&[Count::Active], false), 0, "cleared");
    assert_eq!(base.max_events(&[Count::Added], false), 4, "not cleared");
}

#[test]
fn virtual_events_keep_the_loop_alive() {
    let base = util::base::<()>();
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(),
        LoopExit::NoEvents
    );
    base.add_virtual();
    assert_eq!(base.num_events(&[Count::Virtual]), 1);
    assert_eq!(
        base.run(LoopFlags::NONBLOCK, &mut ()).unwrap(),
        LoopExit::Stopped,
        "a virtual event counts as pending"
    );
    base.del_virtual();
    assert_eq!(base.num_events(&[Count::Virtual]), 0);
    assert_eq!(base.max_events(&[Count::Virtual], false), 1);
    assert_eq!(base.dispatch(&mut ()).unwrap(), LoopExit::NoEvents);
}

#[test]
fn events_snapshot_lists_inserted_then_timers_then_active() {
    let base = util::base::<()>();
    let (r, _w) = util::pair();
    let t = base.timer(|_, _, _| {}).unwrap();
    let a = base.timer(|_, _, _| {}).unwrap();
    let fd = {
        use std::os::fd::AsRawFd;
        r.as_raw_fd()
    };
    let io = base.io(r, Ev::READ | Ev::PERSIST, |_, _, _, _| {}).unwrap();
    base.add(t, Some(Duration::from_secs(5))).unwrap();
    base.activate(a, Ev::WRITE).unwrap();
    base.add(io, None).unwrap();
    let snap = base.events();
    let ids: Vec<_> = snap.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![io, t, a]);
    assert!(snap[0].inserted && snap[0].fd == fd && snap[0].timeout.is_none());
    assert_eq!(snap[0].events, Ev::READ | Ev::PERSIST);
    let left = snap[1].timeout.unwrap();
    assert!(left <= Duration::from_secs(5) && left > Duration::from_secs(4));
    assert_eq!(snap[2].active, Some(Ev::WRITE));
    assert!(snap.iter().all(|e| !e.internal && e.key == 0));
    assert_eq!(base.info(a).unwrap().active, Some(Ev::WRITE));
}

#[test]
fn running_event_names_the_callback_running_now() {
    let base = util::base::<Vec<Option<oxevent::EventId>>>();
    let t = base
        .timer(|seen: &mut Vec<_>, base, _| seen.push(base.running_event()))
        .unwrap();
    assert_eq!(base.running_event(), None);
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, vec![Some(t)]);
    assert_eq!(base.running_event(), None);
}

#[test]
fn clones_share_one_base() {
    let base = util::base::<u32>();
    let other = base.clone();
    assert!(base.same_base(&other));
    assert_eq!(base.serial(), other.serial());
    assert!(!base.same_base(&util::base::<u32>()));
    let t = other.timer(|n: &mut u32, _, _| *n += 1).unwrap();
    other.add(t, Some(ms(1))).unwrap();
    let mut n = 0;
    base.dispatch(&mut n).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn reinit_without_fork_keeps_events_working() {
    for m in METHODS {
        let base = base_on::<Vec<Ev>>(m);
        let (r, mut w) = util::pair();
        let io = base
            .io(
                r,
                Ev::READ | Ev::PERSIST,
                |seen: &mut Vec<Ev>, base, s, f| {
                    seen.push(f.what);
                    let _ = util::drain(s);
                    base.loopbreak();
                },
            )
            .unwrap();
        base.add(io, None).unwrap();
        let t = base
            .timer(|seen: &mut Vec<Ev>, _, f| seen.push(f.what))
            .unwrap();
        base.add(t, Some(ms(10))).unwrap();
        base.reinit().unwrap();
        assert_eq!(base.method(), m);
        let mut seen = Vec::new();
        base.loopexit(Some(Duration::from_secs(3))).unwrap();
        // The timer fires first; then the socket, once written.
        base.run(LoopFlags::ONCE, &mut seen).unwrap();
        assert_eq!(seen, vec![Ev::TIMEOUT], "{m}");
        util::send(&mut w, b"ping");
        base.dispatch(&mut seen).unwrap();
        assert_eq!(seen, vec![Ev::TIMEOUT, Ev::READ], "{m}");
        base.free(io).unwrap();
    }
}

#[test]
fn dropping_a_base_with_pending_events_is_clean() {
    let (r, mut w) = util::pair();
    {
        let base = util::base::<()>();
        let io = base.io(r, Ev::READ | Ev::PERSIST, |_, _, _, _| {}).unwrap();
        base.add(io, Some(Duration::from_secs(60))).unwrap();
        let t = base.timer(|_, _, _| {}).unwrap();
        base.activate(t, Ev::TIMEOUT).unwrap();
    }
    // The event owned the read end: dropping the base closed it.
    use std::io::Write;
    assert!(w.write_all(b"x").is_err(), "the peer is gone");
}

#[test]
fn log_callback_receives_engine_warnings() {
    let seen = Arc::new(Mutex::new(Vec::<(oxevent::log::Severity, String)>::new()));
    let sink = seen.clone();
    oxevent::log::set_log_callback(Some(Box::new(move |sev, msg: &str| {
        sink.lock().unwrap().push((sev, msg.to_owned()));
    })));
    let base = util::base::<Option<oxevent::Result<LoopExit>>>();
    let t = base
        .timer(|got: &mut Option<_>, base, _| *got = Some(base.run(LoopFlags::NONBLOCK, &mut None)))
        .unwrap();
    base.activate(t, Ev::TIMEOUT).unwrap();
    let mut got = None;
    base.dispatch(&mut got).unwrap();
    oxevent::log::set_log_callback(None);
    assert!(matches!(got, Some(Err(Error::Reentrant))));
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|(sev, m)| *sev == oxevent::log::Severity::Warn
                && m.contains("reentrant invocation")),
        "{seen:?}"
    );
}
