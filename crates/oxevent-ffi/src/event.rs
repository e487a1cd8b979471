//! event.h: bases, configs, events, the loop. Each export checks its
//! arguments, converts them through `handle`, and delegates to the engine.
//! Errors give libevent's return values plus a log line.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_short, c_uint, c_void};
use std::sync::atomic::Ordering;
use std::time::Duration;

use oxevent::__ffi::{Engine, KeyedOp};
use oxevent::{
    BaseFlags, Config, Count, DelMode, Error, Ev, Features, LockBias, LoopExit, LoopFlags,
};

use crate::abi::{
    event_base_foreach_event_cb, event_callback_fn, event_finalize_callback_fn, Event, EVLIST_INIT,
    EV_PERSIST, EV_SIGNAL,
};
use crate::boundary::{guard, warnx};
use crate::handle::{
    base_from_c, base_into_c, base_is_live, base_or_current, base_ref, common_of, decode_tv,
    encode_common, ev_base, ev_mut, ev_record, ev_record_in, ev_ref, is_assigned, key_of,
    live_bases, set_ev_record, set_persist_period, spec_of, started, tv_duration, write_tv,
    CRunner, FfiBase, CURRENT_BASE, DEBUG_MODE, STARTED, THREADING,
};

static VERSION: &CStr = c"2.1.12-stable";
static SELF_CBARG: u8 = 0;

fn method_cstr(name: &str) -> *const c_char {
    match name {
        "epoll" => c"epoll".as_ptr(),
        "poll" => c"poll".as_ptr(),
        _ => c"select".as_ptr(),
    }
}

struct MethodList([*const c_char; 4]);
// SAFETY: the pointers are to 'static C string literals, never written.
unsafe impl Sync for MethodList {}
static METHODS: MethodList = MethodList([
    c"epoll".as_ptr(),
    c"poll".as_ptr(),
    c"select".as_ptr(),
    std::ptr::null(),
]);

fn new_base(cfg: &Config) -> *mut FfiBase {
    let mut cfg = cfg.clone();
    let threading = THREADING.load(Ordering::Relaxed);
    cfg.notifiable(threading);
    // Without threading libevent takes no lock; ours is then biased toward
    // this thread (no atomics) and still safe if another thread appears.
    // `Assume`: a program that keeps libevent's contract makes no
    // membarrier call at all, not even a query (a seccomp sandbox may be in
    // place). With threading, other threads are expected: no bias.
    cfg.lock_bias(if threading {
        LockBias::Off
    } else {
        LockBias::Assume
    });
    // libevent accepts I/O events on a negative fd (pending, never firing).
    cfg.accept_negative_fd(true);
    // The program's lock callbacks make its lock the base lock.
    if let Some(maker) = crate::thread::program_lock_maker() {
        cfg.external_lock(maker);
    }
    match Engine::new(&cfg) {
        Ok(b) => base_into_c(b),
        Err(e) => {
            warnx(&format!("event_base_new_with_config: {e}"));
            std::ptr::null_mut()
        }
    }
}

/// `event_get_version`.
#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    VERSION.as_ptr()
}

/// `event_get_version_number`: 2.1.12-stable.
#[no_mangle]
pub extern "C" fn event_get_version_number() -> u32 {
    0x0201_0c00
}

/// `event_get_struct_event_size`.
#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    std::mem::size_of::<Event>()
}

/// `event_self_cbarg`: a marker meaning "pass the event itself".
#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    &SELF_CBARG as *const u8 as *mut c_void
}

/// `event_enable_debug_mode`: must come before any base or event.
#[no_mangle]
pub extern "C" fn event_enable_debug_mode() {
    guard((), || {
        if STARTED.load(Ordering::Relaxed) {
            oxevent::log::fatal(
                1,
                format_args!("event_enable_debug_mode was called too late!"),
            );
        }
        DEBUG_MODE.store(true, Ordering::Relaxed);
    })
}

/// `event_debug_unassign`: marks an event as no longer assigned.
#[no_mangle]
pub extern "C" fn event_debug_unassign(ev: *mut Event) {
    guard((), || {
        let Some(ev) = ev_mut(ev) else { return };
        if let Some((base, id)) = ev_record(ev) {
            if base.engine.keyed_busy(id, key_of(ev)) {
                warnx("event_debug_unassign: the event is still pending; deleting it");
                base.engine.keyed_del(id, key_of(ev), DelMode::NoBlock);
            }
        }
        ev.ev_evcallback.evcb_flags &= !EVLIST_INIT;
    })
}

/// `libevent_global_shutdown`.
#[no_mangle]
pub extern "C" fn libevent_global_shutdown() {
    guard((), || DEBUG_MODE.store(false, Ordering::Relaxed))
}

/// `event_config_new`.
#[no_mangle]
pub extern "C" fn event_config_new() -> *mut Config {
    guard(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(Config::new()))
    })
}

fn cfg_mut<'a>(cfg: *mut Config) -> Option<&'a mut Config> {
    // SAFETY: NULL or a config from event_config_new, per the API contract.
    unsafe { cfg.as_mut() }
}

/// `event_config_free`.
#[no_mangle]
pub extern "C" fn event_config_free(cfg: *mut Config) {
    guard((), || {
        if !cfg.is_null() {
            // SAFETY: `cfg` came from Box::into_raw in event_config_new.
            drop(unsafe { Box::from_raw(cfg) });
        }
    })
}

/// `event_config_avoid_method`.
#[no_mangle]
pub extern "C" fn event_config_avoid_method(cfg: *mut Config, method: *const c_char) -> c_int {
    guard(-1, || {
        let Some(cfg) = cfg_mut(cfg) else { return -1 };
        if method.is_null() {
            return -1;
        }
        // SAFETY: a NUL-terminated string, per the API contract.
        let name = unsafe { CStr::from_ptr(method) }.to_string_lossy();
        cfg.avoid_method(&name);
        0
    })
}

/// `event_config_require_features`.
#[no_mangle]
pub extern "C" fn event_config_require_features(cfg: *mut Config, features: c_int) -> c_int {
    guard(-1, || match cfg_mut(cfg) {
        Some(cfg) => {
            cfg.require_features(Features(features as u32));
            0
        }
        None => -1,
    })
}

/// `event_config_set_flag`.
#[no_mangle]
pub extern "C" fn event_config_set_flag(cfg: *mut Config, flag: c_int) -> c_int {
    guard(-1, || match cfg_mut(cfg) {
        Some(cfg) => {
            cfg.flag(BaseFlags(flag as u32));
            0
        }
        None => -1,
    })
}

/// `event_config_set_num_cpus_hint`.
#[no_mangle]
pub extern "C" fn event_config_set_num_cpus_hint(cfg: *mut Config, cpus: c_int) -> c_int {
    guard(-1, || match cfg_mut(cfg) {
        Some(cfg) => {
            cfg.cpus_hint(cpus.max(0) as u32);
            0
        }
        None => -1,
    })
}

/// `event_config_set_max_dispatch_interval`.
#[no_mangle]
pub extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut Config,
    max_interval: *const libc::timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    guard(-1, || {
        let Some(cfg) = cfg_mut(cfg) else { return -1 };
        // SAFETY: NULL or a valid timeval, per the API contract.
        let interval =
            unsafe { max_interval.as_ref() }.map(|tv| tv_duration(tv.tv_sec, tv.tv_usec));
        let callbacks = (max_callbacks >= 0).then_some(max_callbacks as u32);
        cfg.max_dispatch(interval, callbacks, min_priority.max(0) as u32);
        0
    })
}

/// `event_base_new`.
#[no_mangle]
pub extern "C" fn event_base_new() -> *mut FfiBase {
    guard(std::ptr::null_mut(), || new_base(&Config::new()))
}

/// `event_base_new_with_config`.
#[no_mangle]
pub extern "C" fn event_base_new_with_config(cfg: *const Config) -> *mut FfiBase {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a config from event_config_new.
        match unsafe { cfg.as_ref() } {
            Some(cfg) => new_base(cfg),
            None => new_base(&Config::new()),
        }
    })
}

fn free_base(base: *mut FfiBase) {
    if base.is_null() {
        warnx("event_base_free: no base to free");
        return;
    }
    match base_from_c(base) {
        Some(b) => drop(b),
        None => warnx("event_base_free: not a live event_base (already freed?)"),
    }
}

/// `event_base_free`: runs pending finalizers first, as libevent does.
#[no_mangle]
pub extern "C" fn event_base_free(base: *mut FfiBase) {
    guard((), || {
        if base_is_live(base as *const c_void) {
            if let Some(b) = base_ref(base) {
                run_pending_finalizers(b);
            }
        }
        free_base(base)
    })
}

/// Runs the finalizers of events being finalized (what `event_base_free`
/// does before tearing a base down), then frees their records.
fn run_pending_finalizers(b: &FfiBase) {
    loop {
        let pending = b.engine.take_finalizing();
        if pending.is_empty() {
            return;
        }
        for (id, fd, key, cb, arg, free_struct) in pending {
            let job = oxevent::__ffi::Job {
                id,
                fd,
                what: Ev::FINALIZE,
                key,
                cb,
                arg,
                finalize: true,
                free_struct,
                transient: true,
            };
            oxevent::__ffi::Runner::run(&mut CRunner, &b.engine, &job);
        }
    }
}

/// `event_base_free_nofinalize`.
#[no_mangle]
pub extern "C" fn event_base_free_nofinalize(base: *mut FfiBase) {
    guard((), || free_base(base))
}

/// `event_reinit`: rebuild backend state after fork.
#[no_mangle]
pub extern "C" fn event_reinit(base: *mut FfiBase) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) => match b.engine.reinit() {
            Ok(()) => 0,
            Err(e) => {
                warnx(&format!("event_reinit: {e}"));
                -1
            }
        },
        None => -1,
    })
}

/// `event_base_get_method`.
#[no_mangle]
pub extern "C" fn event_base_get_method(base: *const FfiBase) -> *const c_char {
    guard(std::ptr::null(), || match base_ref(base) {
        Some(b) => method_cstr(b.engine.method()),
        None => std::ptr::null(),
    })
}

/// `event_get_supported_methods`.
#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *mut *const c_char {
    METHODS.0.as_ptr() as *mut *const c_char
}

/// `event_base_get_features`.
#[no_mangle]
pub extern "C" fn event_base_get_features(base: *const FfiBase) -> c_int {
    guard(0, || {
        base_ref(base).map_or(0, |b| b.engine.features().0 as c_int)
    })
}

fn counts(flags: c_uint) -> Vec<Count> {
    let mut v = Vec::new();
    if flags & 1 != 0 {
        v.push(Count::Active);
    }
    if flags & 2 != 0 {
        v.push(Count::Virtual);
    }
    if flags & 4 != 0 {
        v.push(Count::Added);
    }
    v
}

/// `event_base_get_num_events`.
#[no_mangle]
pub extern "C" fn event_base_get_num_events(base: *mut FfiBase, flags: c_uint) -> c_int {
    guard(-1, || {
        base_ref(base).map_or(-1, |b| b.engine.num_events(&counts(flags)) as c_int)
    })
}

/// `event_base_get_max_events`.
#[no_mangle]
pub extern "C" fn event_base_get_max_events(
    base: *mut FfiBase,
    flags: c_uint,
    clear: c_int,
) -> c_int {
    guard(-1, || {
        base_ref(base).map_or(-1, |b| {
            b.engine.max_events(&counts(flags), clear != 0) as c_int
        })
    })
}

/// `event_base_dispatch`.
#[no_mangle]
pub extern "C" fn event_base_dispatch(base: *mut FfiBase) -> c_int {
    event_base_loop(base, 0)
}

/// `event_base_loop`: 0 when stopped, 1 when no events were left, -1 on error.
#[no_mangle]
pub extern "C" fn event_base_loop(base: *mut FfiBase, flags: c_int) -> c_int {
    guard(-1, || {
        let Some(b) = base_ref(base) else {
            warnx("event_base_loop: no event_base");
            return -1;
        };
        // libevent records the loop's owner through the program's id callback.
        let _owner = crate::thread::program_thread_id();
        match b.engine.run(LoopFlags(flags as u32), &mut CRunner) {
            Ok(LoopExit::Stopped) => 0,
            Ok(LoopExit::NoEvents) => 1,
            Err(_) => -1,
        }
    })
}

/// `event_base_loopexit`.
#[no_mangle]
pub extern "C" fn event_base_loopexit(base: *mut FfiBase, tv: *const libc::timeval) -> c_int {
    guard(-1, || {
        let Some(b) = base_ref(base) else { return -1 };
        // SAFETY: NULL or a valid timeval.
        let delay = unsafe { tv.as_ref() }.map(|t| tv_duration(t.tv_sec, t.tv_usec));
        match b.engine.loopexit(delay) {
            Ok(()) => 0,
            Err(e) => {
                warnx(&format!("event_base_loopexit: {e}"));
                -1
            }
        }
    })
}

/// `event_base_loopbreak`.
#[no_mangle]
pub extern "C" fn event_base_loopbreak(base: *mut FfiBase) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) => {
            b.engine.loopbreak();
            0
        }
        None => -1,
    })
}

/// `event_base_loopcontinue`.
#[no_mangle]
pub extern "C" fn event_base_loopcontinue(base: *mut FfiBase) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) => {
            b.engine.loopcontinue();
            0
        }
        None => -1,
    })
}

/// `event_base_got_exit`.
#[no_mangle]
pub extern "C" fn event_base_got_exit(base: *mut FfiBase) -> c_int {
    guard(0, || {
        base_ref(base).map_or(0, |b| b.engine.got_exit() as c_int)
    })
}

/// `event_base_got_break`.
#[no_mangle]
pub extern "C" fn event_base_got_break(base: *mut FfiBase) -> c_int {
    guard(0, || {
        base_ref(base).map_or(0, |b| b.engine.got_break() as c_int)
    })
}

/// Drops the record of a struct that is being re-assigned while pending or
/// active (libevent would corrupt its lists here), found by the struct's
/// address, never by its bytes (which may be uninitialised): in the base
/// it is assigned to, and in debug mode in every base.
#[inline]
fn forget_pending(key: usize, base: *mut FfiBase, who: &str) {
    let target = if base.is_null() {
        CURRENT_BASE.load(Ordering::Acquire)
    } else {
        base
    };
    let mut found = false;
    if let Some(b) = base_ref(target) {
        found = b.engine.forget_key(key);
    }
    if DEBUG_MODE.load(Ordering::Relaxed) {
        found |= forget_in_other_bases(key, target);
    }
    if found {
        warn_reassigned(key, who);
    }
}

/// Debug mode: the struct may be pending in any base.
#[cold]
#[inline(never)]
fn forget_in_other_bases(key: usize, except: *mut FfiBase) -> bool {
    let mut found = false;
    for b in live_bases() {
        if b != except as usize {
            if let Some(other) = base_ref(b as *const FfiBase) {
                found |= other.engine.forget_key(key);
            }
        }
    }
    found
}

#[cold]
#[inline(never)]
fn warn_reassigned(key: usize, who: &str) {
    warnx(&format!(
        "{who}: event {key:#x} is pending or active; it is deleted first and its old callback will not run"
    ));
}

/// `event_assign` on a struct whose old record (if any) is gone: sets the
/// public fields in libevent's order, so that a refused flag combination
/// leaves them set as libevent leaves them.
#[inline]
fn assign_fields(
    ev: &mut Event,
    base: *mut FfiBase,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
    who: &str,
) -> c_int {
    let base = if base.is_null() {
        CURRENT_BASE.load(Ordering::Acquire)
    } else {
        base
    };
    let arg = if arg == event_self_cbarg() {
        ev as *mut Event as *mut c_void
    } else {
        arg
    };
    ev.ev_base = base as *mut c_void;
    ev.ev_evcallback.evcb_cb_union = cb;
    ev.ev_evcallback.evcb_arg = arg;
    ev.ev_fd = fd;
    ev.ev_events = events;
    ev.ev_res = 0;
    ev.ev_evcallback.evcb_flags = EVLIST_INIT;
    let what = Ev::from_bits(events as u16);
    if what.contains(Ev::SIGNAL) && what.intersects(Ev::READ | Ev::WRITE | Ev::CLOSED) {
        warn_signal_with_io(who);
        return -1;
    }
    ev.ev_evcallback.evcb_closure = 0;
    ev.ev_timeout_pos = [0, 0];
    set_persist_period(
        ev,
        libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
    );
    if let Some(b) = base_ref(base) {
        ev.ev_evcallback.evcb_pri = b.npri.load(Ordering::Relaxed) / 2;
    }
    0
}

#[inline]
fn assign(
    ev: &mut Event,
    base: *mut FfiBase,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
    who: &str,
) -> c_int {
    started();
    forget_pending(key_of(ev), base, who);
    assign_fields(ev, base, fd, events, cb, arg, who)
}

#[cold]
#[inline(never)]
fn warn_signal_with_io(who: &str) {
    warnx(&format!(
        "{who}: EV_SIGNAL is not compatible with EV_READ, EV_WRITE or EV_CLOSED"
    ));
}

/// `event_assign`.
#[no_mangle]
pub extern "C" fn event_assign(
    ev: *mut Event,
    base: *mut FfiBase,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
) -> c_int {
    guard(-1, || match ev_mut(ev) {
        Some(ev) => assign(ev, base, fd, events, cb, arg, "event_assign"),
        None => {
            warnx("event_assign: NULL event");
            -1
        }
    })
}

/// `event_new`.
#[no_mangle]
pub extern "C" fn event_new(
    base: *mut FfiBase,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
) -> *mut Event {
    guard(std::ptr::null_mut(), || {
        let p = crate::mem::alloc(std::mem::size_of::<Event>()) as *mut Event;
        let Some(ev) = ev_mut(p) else {
            return std::ptr::null_mut();
        };
        started();
        // Re-used memory may be a pending event freed without event_del:
        // its record is found by address.
        forget_pending(p as usize, base, "event_new");
        *ev = Event::zeroed();
        if assign_fields(ev, base, fd, events, cb, arg, "event_new") < 0 {
            crate::mem::free(p as *mut c_void);
            return std::ptr::null_mut();
        }
        p
    })
}

#[inline]
fn del_impl(ev: *mut Event, mode: DelMode, who: &str) -> c_int {
    let Some(ev) = ev_mut(ev) else {
        warnx(&format!("{who}: NULL event"));
        return -1;
    };
    if ev.ev_base.is_null() {
        warnx(&format!("{who}: event has no event_base set."));
        return -1;
    }
    // The record's base through the table: a base freed before its events
    // (a common teardown order) is never touched.
    if let Some((base, id)) = ev_record(ev) {
        base.engine.keyed_del(id, key_of(ev), mode);
    }
    0
}

/// `event_del`.
#[no_mangle]
pub extern "C" fn event_del(ev: *mut Event) -> c_int {
    guard(-1, || del_impl(ev, DelMode::Auto, "event_del"))
}

/// `event_del_noblock`.
#[no_mangle]
pub extern "C" fn event_del_noblock(ev: *mut Event) -> c_int {
    guard(-1, || del_impl(ev, DelMode::NoBlock, "event_del_noblock"))
}

/// `event_del_block`.
#[no_mangle]
pub extern "C" fn event_del_block(ev: *mut Event) -> c_int {
    guard(-1, || del_impl(ev, DelMode::Block, "event_del_block"))
}

/// `event_free`: deletes the event, then frees its memory.
#[no_mangle]
pub extern "C" fn event_free(ev: *mut Event) {
    guard((), || {
        if ev.is_null() {
            return;
        }
        del_impl(ev, DelMode::Auto, "event_free");
        // The struct goes: its record, kept idle for a next add, goes too.
        if let Some(e) = ev_ref(ev) {
            if let Some((base, id)) = ev_record(e) {
                base.engine.keyed_free_idle(id, key_of(e));
            }
        }
        crate::mem::free(ev as *mut c_void);
    })
}

/// Deletes an event that lives inside memory this crate is about to free
/// (a bufferevent's `ev_read`) and drops its idle record, as `event_free`
/// does without freeing the struct.
pub(crate) fn event_forget(ev: *mut Event) {
    if ev.is_null() {
        return;
    }
    if let Some(e) = ev_ref(ev) {
        if e.ev_base.is_null() || !is_assigned(e) {
            return;
        }
    }
    del_impl(ev, DelMode::Auto, "event_forget");
    if let Some(e) = ev_ref(ev) {
        if let Some((base, id)) = ev_record(e) {
            base.engine.keyed_free_idle(id, key_of(e));
        }
    }
}

#[inline]
fn keyed(ev: &mut Event, base: &FfiBase, op: KeyedOp, who: &str) -> c_int {
    if !is_assigned(ev) {
        warnx(&format!(
            "{who}: event {:p} was never assigned",
            ev as *const Event
        ));
        return -1;
    }
    // The struct's own record: in its base (the usual case), or pending in
    // another base than `ev_base` now names (then that base holds it).
    let (base, prev) = match ev_record_in(ev, base) {
        Some(id) => (base, Some(id)),
        None => match ev_record(ev) {
            Some((other, id)) if other.engine.keyed_busy(id, key_of(ev)) => (other, Some(id)),
            _ => (base, None),
        },
    };
    match base.engine.keyed(prev, &spec_of(ev, base), op) {
        Ok(id) => {
            set_ev_record(ev, base, id);
            0
        }
        Err(e) => {
            warnx(&format!("{who}: {e}"));
            -1
        }
    }
}

/// `event_add`.
#[no_mangle]
pub extern "C" fn event_add(ev: *mut Event, tv: *const libc::timeval) -> c_int {
    guard(-1, || {
        let Some(ev) = ev_mut(ev) else {
            warnx("event_add: NULL event");
            return -1;
        };
        let Some(base) = ev_base(ev) else {
            warnx("event_add: event has no event_base set.");
            return -1;
        };
        let timeout = decode_tv(base, tv);
        let r = keyed(ev, base, KeyedOp::Add(timeout), "event_add");
        // A persistent event remembers the timeout it was added with (its
        // period), across deletes, as libevent's struct does.
        if r == 0 && ev.ev_events & (EV_PERSIST | EV_SIGNAL) == EV_PERSIST {
            // SAFETY: NULL or a valid timeval, per the API contract.
            if let Some(tv) = unsafe { tv.as_ref() } {
                set_persist_period(ev, *tv);
            }
        }
        r
    })
}

/// `event_active`.
#[no_mangle]
pub extern "C" fn event_active(ev: *mut Event, res: c_int, ncalls: c_short) {
    guard((), || {
        let Some(ev) = ev_mut(ev) else { return };
        let Some(base) = ev_base(ev) else {
            warnx("event_active: event has no event_base set.");
            return;
        };
        let what = Ev::from_bits(res as u16);
        keyed(
            ev,
            base,
            KeyedOp::Activate(what, ncalls.max(0) as u16),
            "event_active",
        );
    })
}

/// `event_remove_timer`.
#[no_mangle]
pub extern "C" fn event_remove_timer(ev: *mut Event) -> c_int {
    guard(-1, || {
        let Some(ev) = ev_mut(ev) else { return -1 };
        if ev.ev_base.is_null() {
            warnx("event_remove_timer: event has no event_base set.");
            return -1;
        }
        if let Some((base, id)) = ev_record(ev) {
            base.engine.keyed_remove_timer(id, key_of(ev));
        }
        set_persist_period(
            ev,
            libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
        );
        0
    })
}

/// `event_pending`: which of `events` are pending or active; with a
/// timeout pending, `tv` gets its expiry as wall-clock time.
#[no_mangle]
pub extern "C" fn event_pending(
    ev: *const Event,
    events: c_short,
    tv: *mut libc::timeval,
) -> c_int {
    guard(0, || {
        let Some(ev) = ev_ref(ev) else { return 0 };
        if ev.ev_base.is_null() {
            warnx("event_pending: event has no event_base set.");
            return 0;
        }
        let Some((base, id)) = ev_record(ev) else {
            return 0;
        };
        match base
            .engine
            .keyed_pending(id, key_of(ev), Ev::from_bits(events as u16))
        {
            Some((what, deadline)) => {
                if let (Some(deadline), false) = (deadline, tv.is_null()) {
                    write_tv(tv, base.engine.monotonic_to_wall(deadline));
                }
                what.bits() as c_int
            }
            None => 0,
        }
    })
}

/// `event_initialized`.
#[no_mangle]
pub extern "C" fn event_initialized(ev: *const Event) -> c_int {
    guard(0, || ev_ref(ev).is_some_and(is_assigned) as c_int)
}

/// `event_base_set`: moves a non-pending event to another base.
#[no_mangle]
pub extern "C" fn event_base_set(base: *mut FfiBase, ev: *mut Event) -> c_int {
    guard(-1, || {
        let Some(ev) = ev_mut(ev) else {
            warnx("event_base_set: NULL event");
            return -1;
        };
        let Some(new_base) = base_ref(base) else {
            warnx("event_base_set: NULL base");
            return -1;
        };
        if !is_assigned(ev) {
            warnx("event_base_set: the event was never assigned");
            return -1;
        }
        if let Some((old, id)) = ev_record(ev) {
            if old.engine.keyed_busy(id, key_of(ev)) {
                warnx("event_base_set: the event is pending or active");
                return -1;
            }
        }
        // A record of this address the struct no longer names: it was
        // re-assigned (event_set with no current base) while pending here.
        forget_pending(key_of(ev), base, "event_base_set");
        ev.ev_base = base as *mut c_void;
        ev.ev_evcallback.evcb_pri = new_base.npri.load(Ordering::Relaxed) / 2;
        0
    })
}

/// `event_priority_set`.
#[no_mangle]
pub extern "C" fn event_priority_set(ev: *mut Event, pri: c_int) -> c_int {
    guard(-1, || {
        let Some(ev) = ev_mut(ev) else {
            warnx("event_priority_set: NULL event");
            return -1;
        };
        let Some(base) = ev_base(ev) else {
            warnx("event_priority_set: event has no event_base set.");
            return -1;
        };
        let n = c_int::from(base.npri.load(Ordering::Relaxed));
        if pri < 0 || pri >= n {
            warnx(&format!(
                "event_priority_set: priority {pri} is out of range 0..{n}"
            ));
            return -1;
        }
        // In range: 0..npriorities, at most 254.
        let pri = pri as u8;
        if let Some((holder, id)) = ev_record(ev) {
            if let Err(e) = holder.engine.keyed_set_priority(id, key_of(ev), pri) {
                warnx(&format!("event_priority_set: {e}"));
                return -1;
            }
        }
        ev.ev_evcallback.evcb_pri = pri;
        0
    })
}

/// `event_get_priority`.
#[no_mangle]
pub extern "C" fn event_get_priority(ev: *const Event) -> c_int {
    guard(0, || {
        ev_ref(ev).map_or(0, |e| e.ev_evcallback.evcb_pri as c_int)
    })
}

/// `event_get_fd`.
#[no_mangle]
pub extern "C" fn event_get_fd(ev: *const Event) -> c_int {
    guard(-1, || ev_ref(ev).map_or(-1, |e| e.ev_fd))
}

/// `event_get_base`.
#[no_mangle]
pub extern "C" fn event_get_base(ev: *const Event) -> *mut FfiBase {
    guard(std::ptr::null_mut(), || {
        ev_ref(ev).map_or(std::ptr::null_mut(), |e| e.ev_base as *mut FfiBase)
    })
}

/// `event_get_events`.
#[no_mangle]
pub extern "C" fn event_get_events(ev: *const Event) -> c_short {
    guard(0, || ev_ref(ev).map_or(0, |e| e.ev_events))
}

/// `event_get_callback`.
#[no_mangle]
pub extern "C" fn event_get_callback(ev: *const Event) -> Option<event_callback_fn> {
    guard(None, || {
        ev_ref(ev).and_then(|e| e.ev_evcallback.evcb_cb_union)
    })
}

/// `event_get_callback_arg`.
#[no_mangle]
pub extern "C" fn event_get_callback_arg(ev: *const Event) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        ev_ref(ev).map_or(std::ptr::null_mut(), |e| e.ev_evcallback.evcb_arg)
    })
}

fn put<T>(out: *mut T, v: T) {
    // SAFETY: NULL or a writable T, per the API contract.
    if let Some(o) = unsafe { out.as_mut() } {
        *o = v;
    }
}

/// `event_get_assignment`: any output pointer may be NULL.
#[no_mangle]
pub extern "C" fn event_get_assignment(
    ev: *const Event,
    base_out: *mut *mut FfiBase,
    fd_out: *mut c_int,
    events_out: *mut c_short,
    callback_out: *mut Option<event_callback_fn>,
    arg_out: *mut *mut c_void,
) {
    guard((), || {
        let Some(e) = ev_ref(ev) else { return };
        put(base_out, e.ev_base as *mut FfiBase);
        put(fd_out, e.ev_fd);
        put(events_out, e.ev_events);
        put(callback_out, e.ev_evcallback.evcb_cb_union);
        put(arg_out, e.ev_evcallback.evcb_arg);
    })
}

/// `event_base_get_running_event`: the event whose callback runs now, from
/// the loop's own thread; NULL otherwise.
#[no_mangle]
pub extern "C" fn event_base_get_running_event(base: *mut FfiBase) -> *mut Event {
    guard(std::ptr::null_mut(), || match base_ref(base) {
        Some(b) => b
            .engine
            .running_event()
            .map_or(std::ptr::null_mut(), |(_, key)| key as *mut Event),
        None => std::ptr::null_mut(),
    })
}

fn finalize_impl(
    ev: *mut Event,
    cb: Option<event_finalize_callback_fn>,
    free: bool,
    who: &str,
) -> c_int {
    let Some(e) = ev_mut(ev) else { return -1 };
    let Some(base) = ev_base(e) else {
        warnx(&format!("{who}: event has no event_base set."));
        return -1;
    };
    let op = KeyedOp::Finalize {
        cb: cb.map_or(0, |f| f as usize),
        arg: e.ev_evcallback.evcb_arg as usize,
        free,
    };
    keyed(e, base, op, who)
}

/// `event_finalize`.
#[no_mangle]
pub extern "C" fn event_finalize(
    _flags: c_uint,
    ev: *mut Event,
    cb: Option<event_finalize_callback_fn>,
) -> c_int {
    guard(-1, || finalize_impl(ev, cb, false, "event_finalize"))
}

/// `event_free_finalize`.
#[no_mangle]
pub extern "C" fn event_free_finalize(
    _flags: c_uint,
    ev: *mut Event,
    cb: Option<event_finalize_callback_fn>,
) -> c_int {
    guard(-1, || finalize_impl(ev, cb, true, "event_free_finalize"))
}

/// `event_base_once`.
#[no_mangle]
pub extern "C" fn event_base_once(
    base: *mut FfiBase,
    fd: c_int,
    events: c_short,
    cb: Option<event_callback_fn>,
    arg: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    guard(-1, || {
        let Some(b) = base_ref(base) else { return -1 };
        let timeout = decode_tv(b, tv).map(|w| match w {
            oxevent::__ffi::When::After(ns) => oxevent::Timeout::After(Duration::from_nanos(ns)),
            oxevent::__ffi::When::At(at) => oxevent::Timeout::At(at),
            oxevent::__ffi::When::Common(q) => b.engine.common_timeout(q).map_or(
                oxevent::Timeout::After(Duration::ZERO),
                oxevent::Timeout::Common,
            ),
        });
        let spec = oxevent::__ffi::Spec::c_event(
            fd,
            Ev::from_bits(events as u16),
            b.npri.load(Ordering::Relaxed) / 2,
            0,
            cb.map_or(0, |f| f as usize),
            arg as usize,
        );
        match b.engine.once(&spec, timeout) {
            Ok(_) => 0,
            Err(e) => {
                warnx(&format!("event_base_once: {e}"));
                -1
            }
        }
    })
}

/// `event_base_priority_init`.
#[no_mangle]
pub extern "C" fn event_base_priority_init(base: *mut FfiBase, n: c_int) -> c_int {
    guard(-1, || {
        let Some(b) = base_ref(base) else {
            warnx("event_base_priority_init: NULL base");
            return -1;
        };
        // 1..=255, as libevent's `n < EVENT_MAX_PRIORITIES` (256).
        let Ok(n8) = u8::try_from(n) else {
            warnx(&format!(
                "event_base_priority_init: {n} priorities is out of range 1..=255"
            ));
            return -1;
        };
        match b.engine.priority_init(n8) {
            Ok(()) => {
                b.npri.store(n8, Ordering::Relaxed);
                0
            }
            Err(Error::BadPriority(_)) if n8 > 0 => {
                warnx("event_base_priority_init: refused while events are active");
                -1
            }
            Err(e) => {
                warnx(&format!("event_base_priority_init: {e}"));
                -1
            }
        }
    })
}

/// `event_base_get_npriorities`.
#[no_mangle]
pub extern "C" fn event_base_get_npriorities(base: *mut FfiBase) -> c_int {
    guard(0, || {
        base_or_current(base).map_or(0, |b| c_int::from(b.npri.load(Ordering::Relaxed)))
    })
}

/// `event_base_init_common_timeout`.
#[no_mangle]
pub extern "C" fn event_base_init_common_timeout(
    base: *mut FfiBase,
    duration: *const libc::timeval,
) -> *const libc::timeval {
    guard(std::ptr::null(), || {
        let Some(b) = base_ref(base) else {
            return std::ptr::null();
        };
        // SAFETY: NULL or a valid timeval.
        let Some(tv) = (unsafe { duration.as_ref() }) else {
            return std::ptr::null();
        };
        // A timeval this call handed out before names its own queue.
        let d = match common_of(b, tv) {
            Some(c) => c.duration(),
            None => tv_duration(tv.tv_sec, tv.tv_usec),
        };
        match b.engine.init_common_timeout(d) {
            Ok(c) => {
                let mut tvs = b.common_tvs.lock().unwrap_or_else(|e| e.into_inner());
                let idx = c.index() as usize;
                while tvs.len() <= idx {
                    tvs.push(Box::new(libc::timeval {
                        tv_sec: 0,
                        tv_usec: 0,
                    }));
                }
                *tvs[idx] = encode_common(c);
                &*tvs[idx] as *const libc::timeval
            }
            Err(e) => {
                warnx(&format!("event_base_init_common_timeout: {e}"));
                std::ptr::null()
            }
        }
    })
}

/// `event_base_gettimeofday_cached`.
#[no_mangle]
pub extern "C" fn event_base_gettimeofday_cached(
    base: *mut FfiBase,
    tv: *mut libc::timeval,
) -> c_int {
    guard(-1, || {
        let d = match base_or_current(base) {
            Some(b) => b.engine.gettimeofday_cached(),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO),
        };
        write_tv(tv, d);
        0
    })
}

/// `event_base_update_cache_time`.
#[no_mangle]
pub extern "C" fn event_base_update_cache_time(base: *mut FfiBase) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) => {
            b.engine.update_cache_time();
            0
        }
        None => -1,
    })
}

/// `event_gettime_monotonic`.
#[no_mangle]
pub extern "C" fn event_gettime_monotonic(base: *mut FfiBase, tv: *mut libc::timeval) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) if !tv.is_null() => {
            write_tv(tv, Duration::from_nanos(b.engine.now_ns()));
            0
        }
        _ => -1,
    })
}

/// `event_base_foreach_event`: calls `f` for each event with a C struct;
/// a non-zero return stops and is returned.
#[no_mangle]
pub extern "C" fn event_base_foreach_event(
    base: *mut FfiBase,
    f: Option<event_base_foreach_event_cb>,
    arg: *mut c_void,
) -> c_int {
    guard(-1, || {
        let (Some(b), Some(f)) = (base_ref(base), f) else {
            return -1;
        };
        for info in b.engine.events() {
            if info.key == 0 || info.internal {
                continue;
            }
            // SAFETY: `f` is the program's callback; `info.key` is the address
            // of its own struct event, pending in this base.
            let r = unsafe { f(base as *const c_void, info.key as *const Event, arg) };
            if r != 0 {
                return r;
            }
        }
        0
    })
}

fn flag_words(ev: Ev) -> String {
    let mut s = String::new();
    for (f, w) in [
        (Ev::READ, " Read"),
        (Ev::WRITE, " Write"),
        (Ev::CLOSED, " EOF"),
        (Ev::SIGNAL, " Signal"),
        (Ev::PERSIST, " Persist"),
        (Ev::ET, " ET"),
    ] {
        if ev.contains(f) {
            s.push_str(w);
        }
    }
    s
}

/// `event_base_dump_events`: a human-readable list of inserted and active events.
#[no_mangle]
pub extern "C" fn event_base_dump_events(base: *mut FfiBase, out: *mut libc::FILE) {
    guard((), || {
        let Some(b) = base_ref(base) else { return };
        if out.is_null() {
            return;
        }
        let events = b.engine.events();
        let mut text = String::from("Inserted events:\n");
        for i in events.iter().filter(|i| i.inserted || i.timeout.is_some()) {
            let gloss = if i.events.contains(Ev::SIGNAL) {
                "sig"
            } else {
                "fd "
            };
            text.push_str(&format!(
                "  {:#x} [{gloss} {}]{}",
                i.key,
                i.fd,
                flag_words(i.events)
            ));
            if let Some(t) = i.timeout {
                let wall = b.engine.gettimeofday_cached() + t;
                text.push_str(&format!(
                    " Timeout={}.{:06}",
                    wall.as_secs(),
                    wall.subsec_micros()
                ));
            }
            text.push('\n');
        }
        text.push_str("Active events:\n");
        for i in &events {
            if let Some(res) = i.active {
                let gloss = if i.events.contains(Ev::SIGNAL) {
                    "sig"
                } else {
                    "fd "
                };
                text.push_str(&format!(
                    "  {:#x} [{gloss} {}, priority={}]{}{} active\n",
                    i.key,
                    i.fd,
                    i.priority,
                    flag_words(res & (Ev::READ | Ev::WRITE | Ev::CLOSED | Ev::SIGNAL)),
                    if res.contains(Ev::TIMEOUT) {
                        " Timeout"
                    } else {
                        ""
                    }
                ));
            }
        }
        let c = std::ffi::CString::new(text).unwrap_or_default();
        // SAFETY: `out` is the program's open FILE*; `c` is a valid C string.
        unsafe { libc::fputs(c.as_ptr(), out) };
    })
}

/// `event_base_active_by_fd`.
#[no_mangle]
pub extern "C" fn event_base_active_by_fd(base: *mut FfiBase, fd: c_int, events: c_short) {
    guard((), || {
        if let Some(b) = base_ref(base) {
            b.engine.active_by_fd(fd, Ev::from_bits(events as u16));
        }
    })
}

/// `event_base_active_by_signal`.
#[no_mangle]
pub extern "C" fn event_base_active_by_signal(base: *mut FfiBase, sig: c_int) {
    guard((), || {
        if let Some(b) = base_ref(base) {
            b.engine.active_by_signal(sig);
        }
    })
}
