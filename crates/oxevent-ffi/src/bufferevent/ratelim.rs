//! Rate limits (`ev_token_bucket_cfg`, `bufferevent_set_rate_limit`,
//! rate-limit groups), as libevent's `bufferevent_ratelim.c`.
//!
//! A token bucket holds a read and a write allowance. Time is cut in ticks
//! of the configuration's length; each tick adds `rate` bytes, up to the
//! `burst` maximum (a new bucket starts with one tick's worth). A socket
//! bufferevent reads and writes at most what its bucket (and its share of
//! its group's bucket) allows; a bucket at zero or below suspends that
//! direction until a refill timer finds it positive again. A group shares
//! one bucket among its members (each may take `limit / members`, at least
//! `min_share`), and counts the bytes its members moved.
//!
//! Improvements over libevent, which asserts (aborts the program) in
//! these cases: decrementing the limit of a bufferevent without one, and
//! freeing a group that still has members, log a line instead (the members
//! leave the group first).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::os::raw::{c_int, c_short, c_void};

use super::{bev_ref, suspend, Bev};
use crate::abi::{Bufferevent, Event, EV_FINALIZE, EV_PERSIST};
use crate::boundary::{guard, warnx};
use crate::buffer::handle::Lock;
use crate::event::{
    event_add, event_assign, event_base_gettimeofday_cached, event_del, event_forget,
};
use crate::handle::FfiBase;

/// `EV_RATE_LIMIT_MAX`.
const RATE_LIMIT_MAX: usize = isize::MAX as usize;

/// `struct ev_token_bucket_cfg` (opaque to programs).
#[derive(Clone, Copy, Debug)]
pub struct TokenBucketCfg {
    read_rate: usize,
    read_maximum: usize,
    write_rate: usize,
    write_maximum: usize,
    tick_timeout: libc::timeval,
    msec_per_tick: u32,
}

impl TokenBucketCfg {
    /// The tick number of `now`.
    fn tick(&self, now: &libc::timeval) -> u32 {
        let msec = now.tv_sec as u64 * 1000 + now.tv_usec as u64 / 1000;
        (msec / u64::from(self.msec_per_tick.max(1))) as u32
    }
}

/// A token bucket (`struct ev_token_bucket`).
#[derive(Debug, Default)]
struct Bucket {
    read_limit: Cell<isize>,
    write_limit: Cell<isize>,
    last_updated: Cell<u32>,
}

impl Bucket {
    /// `ev_token_bucket_init_`: a fresh bucket holds one tick's worth; a
    /// reconfigured one is only clipped to the new maximum.
    fn init(&self, cfg: &TokenBucketCfg, tick: u32, reinit: bool) {
        if reinit {
            if self.read_limit.get() > cfg.read_maximum as isize {
                self.read_limit.set(cfg.read_maximum as isize);
            }
            if self.write_limit.get() > cfg.write_maximum as isize {
                self.write_limit.set(cfg.write_maximum as isize);
            }
        } else {
            self.read_limit.set(cfg.read_rate as isize);
            self.write_limit.set(cfg.write_rate as isize);
            self.last_updated.set(tick);
        }
    }

    /// `ev_token_bucket_update_`: adds the ticks since the last update.
    fn update(&self, cfg: &TokenBucketCfg, tick: u32) -> bool {
        let n = tick.wrapping_sub(self.last_updated.get());
        if n == 0 || n > i32::MAX as u32 {
            return false;
        }
        let n = n as usize;
        let fill = |limit: &Cell<isize>, rate: usize, max: usize| {
            let room = (max as isize).saturating_sub(limit.get());
            if room < 0 || (room as usize) / n < rate {
                limit.set(max as isize);
            } else {
                limit.set(limit.get() + (n * rate) as isize);
            }
        };
        fill(&self.read_limit, cfg.read_rate, cfg.read_maximum);
        fill(&self.write_limit, cfg.write_rate, cfg.write_maximum);
        self.last_updated.set(tick);
        true
    }
}

/// A bufferevent's rate limiting (`struct bufferevent_rate_limit`).
pub(crate) struct RateLimit {
    cfg: Cell<*const TokenBucketCfg>,
    limit: Bucket,
    group: Cell<*const Group>,
    refill: UnsafeCell<Event>,
}

/// `struct bufferevent_rate_limit_group`.
pub struct Group {
    members: RefCell<Vec<*const Bev>>,
    bucket: Bucket,
    cfg: Cell<TokenBucketCfg>,
    read_suspended: Cell<bool>,
    write_suspended: Cell<bool>,
    pending_unsuspend_read: Cell<bool>,
    pending_unsuspend_write: Cell<bool>,
    total_read: Cell<u64>,
    total_written: Cell<u64>,
    min_share: Cell<isize>,
    configured_min_share: Cell<usize>,
    refill: UnsafeCell<Event>,
    base: *mut FfiBase,
    lock: Option<Lock>,
    /// Where the random walk of an unsuspend starts.
    rotor: Cell<usize>,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl Group {
    fn lock(&self) {
        if let Some(l) = &self.lock {
            l.lock();
        }
    }

    fn unlock(&self) {
        if let Some(l) = &self.lock {
            l.unlock();
        }
    }
}

fn now_of(base: *mut FfiBase) -> libc::timeval {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    event_base_gettimeofday_cached(base, &mut tv);
    tv
}

fn cfg_ref<'a>(p: *const TokenBucketCfg) -> Option<&'a TokenBucketCfg> {
    // SAFETY: per libevent's contract a cfg pointer is NULL or one
    // `ev_token_bucket_cfg_new` returned and the program has not freed.
    unsafe { p.as_ref() }
}

fn group_ref<'a>(p: *const Group) -> Option<&'a Group> {
    // SAFETY: NULL or a group `bufferevent_rate_limit_group_new` returned
    // and the program has not freed (libevent's contract).
    unsafe { p.as_ref() }
}

impl Bev {
    /// The rate limiting state, if any.
    pub(crate) fn rlim(&self) -> Option<&RateLimit> {
        // SAFETY: the slot is written only by `rlim_or_create` while it is
        // `None` (so no reference into a `Some` exists then) and dropped
        // only with the bufferevent.
        unsafe { (*self.rlim.get()).as_deref() }
    }

    fn rlim_or_create(&self) -> &RateLimit {
        if self.rlim().is_none() {
            let r = Box::new(RateLimit {
                cfg: Cell::new(std::ptr::null()),
                limit: Bucket::default(),
                group: Cell::new(std::ptr::null()),
                refill: UnsafeCell::new(Event::zeroed()),
            });
            event_assign(
                r.refill.get(),
                self.base(),
                -1,
                EV_FINALIZE,
                Some(refill_cb),
                self.ptr() as *mut c_void,
            );
            // SAFETY: the slot is `None`, so nothing refers into it.
            unsafe { *self.rlim.get() = Some(r) };
        }
        self.rlim().expect("just created")
    }

    /// Brings the bufferevent's bucket up to date.
    fn update_buckets(&self, r: &RateLimit) {
        if let Some(cfg) = cfg_ref(r.cfg.get()) {
            let tick = cfg.tick(&now_of(self.base()));
            if tick != r.limit.last_updated.get() {
                r.limit.update(cfg, tick);
            }
        }
    }

    /// How much may be read (`false`) or written (`true`) now
    /// (`bufferevent_get_rlim_max_`).
    pub(crate) fn rlim_max(&self, write: bool) -> isize {
        let mut max = if write {
            self.max_single_write.get()
        } else {
            self.max_single_read.get()
        };
        let Some(r) = self.rlim() else {
            return max;
        };
        if !r.cfg.get().is_null() {
            self.update_buckets(r);
            // libevent takes the bucket's allowance in place of the
            // largest single read or write, not the smaller of the two.
            max = if write {
                r.limit.write_limit.get()
            } else {
                r.limit.read_limit.get()
            };
        }
        if let Some(g) = group_ref(r.group.get()) {
            g.lock();
            let suspended = if write {
                g.write_suspended.get()
            } else {
                g.read_suspended.get()
            };
            let share = if suspended {
                if write {
                    self.suspend_write(suspend::BW_GROUP);
                } else {
                    self.suspend_read(suspend::BW_GROUP);
                }
                0
            } else {
                let lim = if write {
                    g.bucket.write_limit.get()
                } else {
                    g.bucket.read_limit.get()
                };
                let n = g.members.borrow().len().max(1) as isize;
                (lim / n).max(g.min_share.get())
            };
            g.unlock();
            max = max.min(share);
        }
        max.max(0)
    }

    /// Charges `bytes` read to the buckets
    /// (`bufferevent_decrement_read_buckets_`).
    pub(crate) fn charge_read(&self, bytes: isize) {
        self.charge(bytes, false);
    }

    /// Charges `bytes` written.
    pub(crate) fn charge_write(&self, bytes: isize) {
        self.charge(bytes, true);
    }

    fn charge(&self, bytes: isize, write: bool) {
        let Some(r) = self.rlim() else { return };
        if let Some(cfg) = cfg_ref(r.cfg.get()) {
            let (lim, mine, other) = if write {
                (
                    &r.limit.write_limit,
                    &self.write_suspended,
                    &self.read_suspended,
                )
            } else {
                (
                    &r.limit.read_limit,
                    &self.read_suspended,
                    &self.write_suspended,
                )
            };
            lim.set(lim.get() - bytes);
            if lim.get() <= 0 {
                self.suspend_dir(write, suspend::BW);
                event_add(r.refill.get(), &cfg.tick_timeout);
            } else if mine.get() & suspend::BW != 0 {
                if other.get() & suspend::BW == 0 {
                    event_del(r.refill.get());
                }
                self.unsuspend_dir(write, suspend::BW);
            }
        }
        if let Some(g) = group_ref(r.group.get()) {
            g.lock();
            if write {
                g.bucket.write_limit.set(g.bucket.write_limit.get() - bytes);
                g.total_written
                    .set(g.total_written.get().wrapping_add(bytes as u64));
                if g.bucket.write_limit.get() <= 0 {
                    group_suspend(g, true);
                } else if g.write_suspended.get() {
                    group_unsuspend(g, true);
                }
            } else {
                g.bucket.read_limit.set(g.bucket.read_limit.get() - bytes);
                g.total_read
                    .set(g.total_read.get().wrapping_add(bytes as u64));
                if g.bucket.read_limit.get() <= 0 {
                    group_suspend(g, false);
                } else if g.read_suspended.get() {
                    group_unsuspend(g, false);
                }
            }
            g.unlock();
        }
    }

    fn suspend_dir(&self, write: bool, why: u8) {
        if write {
            self.suspend_write(why);
        } else {
            self.suspend_read(why);
        }
    }

    fn unsuspend_dir(&self, write: bool, why: u8) {
        if write {
            self.unsuspend_write(why);
        } else {
            self.unsuspend_read(why);
        }
    }

    /// Leaves the group and stops the refill timer (the bufferevent is
    /// going away).
    pub(crate) fn rlim_unlink(&self) {
        remove_from_group(self, false);
        if let Some(r) = self.rlim() {
            event_del(r.refill.get());
        }
    }

    /// Drops the rate limiting state with the bufferevent's memory.
    pub(crate) fn rlim_destroy(&self) {
        if let Some(r) = self.rlim() {
            event_forget(r.refill.get());
        }
        // SAFETY: the bufferevent is being destroyed: no reference into
        // the slot is live.
        unsafe { *self.rlim.get() = None };
    }
}

/// The refill timer of one bufferevent (`bev_refill_callback_`).
extern "C" fn refill_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent rate limit") else {
            return;
        };
        b.lock();
        let Some(r) = b.rlim() else {
            b.unlock();
            return;
        };
        let Some(cfg) = cfg_ref(r.cfg.get()) else {
            b.unlock();
            return;
        };
        let tick = cfg.tick(&now_of(b.base()));
        r.limit.update(cfg, tick);
        let mut again = false;
        if b.read_suspended.get() & suspend::BW != 0 {
            if r.limit.read_limit.get() > 0 {
                b.unsuspend_read(suspend::BW);
            } else {
                again = true;
            }
        }
        if b.write_suspended.get() & suspend::BW != 0 {
            if r.limit.write_limit.get() > 0 {
                b.unsuspend_write(suspend::BW);
            } else {
                again = true;
            }
        }
        if again {
            event_add(r.refill.get(), &cfg.tick_timeout);
        }
        b.unlock();
    })
}

/// Suspends every member that can be locked now (the others find out
/// from `rlim_max`).
fn group_suspend(g: &Group, write: bool) {
    if write {
        g.write_suspended.set(true);
        g.pending_unsuspend_write.set(false);
    } else {
        g.read_suspended.set(true);
        g.pending_unsuspend_read.set(false);
    }
    let members = g.members.borrow().clone();
    for m in members {
        // SAFETY: members leave the group before their memory goes.
        let Some(b) = (unsafe { m.as_ref() }) else {
            continue;
        };
        if b.try_lock() {
            b.suspend_dir(write, suspend::BW_GROUP);
            b.unlock();
        }
    }
}

/// Resumes the members, starting at a rotating position so no member is
/// always first.
fn group_unsuspend(g: &Group, write: bool) {
    if write {
        g.write_suspended.set(false);
    } else {
        g.read_suspended.set(false);
    }
    let members = g.members.borrow().clone();
    let n = members.len();
    let mut again = false;
    if n > 0 {
        let start = g.rotor.get() % n;
        g.rotor.set(start.wrapping_add(1));
        for i in 0..n {
            // SAFETY: as in `group_suspend`.
            let Some(b) = (unsafe { members[(start + i) % n].as_ref() }) else {
                continue;
            };
            if b.try_lock() {
                b.unsuspend_dir(write, suspend::BW_GROUP);
                b.unlock();
            } else {
                again = true;
            }
        }
    }
    if write {
        g.pending_unsuspend_write.set(again);
    } else {
        g.pending_unsuspend_read.set(again);
    }
}

/// The group's refill timer (`bev_group_refill_callback_`).
extern "C" fn group_refill_cb(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(g) = group_ref(arg as *const Group) else {
            return;
        };
        let now = now_of(g.base);
        g.lock();
        let cfg = g.cfg.get();
        g.bucket.update(&cfg, cfg.tick(&now));
        if g.pending_unsuspend_read.get()
            || (g.read_suspended.get() && g.bucket.read_limit.get() >= g.min_share.get())
        {
            group_unsuspend(g, false);
        }
        if g.pending_unsuspend_write.get()
            || (g.write_suspended.get() && g.bucket.write_limit.get() >= g.min_share.get())
        {
            group_unsuspend(g, true);
        }
        g.unlock();
    })
}

/// `bufferevent_remove_from_rate_limit_group_internal_`.
fn remove_from_group(b: &Bev, unsuspend: bool) {
    b.lock();
    if let Some(r) = b.rlim() {
        if let Some(g) = group_ref(r.group.get()) {
            g.lock();
            r.group.set(std::ptr::null());
            let me = b as *const Bev;
            g.members.borrow_mut().retain(|&m| m != me);
            g.unlock();
        }
    }
    if unsuspend {
        b.unsuspend_read(suspend::BW_GROUP);
        b.unsuspend_write(suspend::BW_GROUP);
    }
    b.unlock();
}

// ------------------------------------------------------------ exports

/// `ev_token_bucket_cfg_new`: NULL for a zero rate, a rate above its
/// burst, or a value above `EV_RATE_LIMIT_MAX`.
#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const libc::timeval,
) -> *mut TokenBucketCfg {
    guard(std::ptr::null_mut(), || {
        let one_sec = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        // SAFETY: NULL or the program's timeval, per the API.
        let tick = unsafe { tick_len.as_ref() }.copied().unwrap_or(one_sec);
        if read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1 {
            return std::ptr::null_mut();
        }
        if read_rate > RATE_LIMIT_MAX
            || write_rate > RATE_LIMIT_MAX
            || read_burst > RATE_LIMIT_MAX
            || write_burst > RATE_LIMIT_MAX
        {
            return std::ptr::null_mut();
        }
        let msec = tick
            .tv_sec
            .saturating_mul(1000)
            .saturating_add(i64::from((tick.tv_usec & 0xfffff) as i32) / 1000);
        Box::into_raw(Box::new(TokenBucketCfg {
            read_rate,
            read_maximum: read_burst,
            write_rate,
            write_maximum: write_burst,
            tick_timeout: tick,
            msec_per_tick: msec.clamp(0, i64::from(u32::MAX)) as u32,
        }))
    })
}

/// `ev_token_bucket_cfg_free`.
#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_free(cfg: *mut TokenBucketCfg) {
    guard((), || {
        if !cfg.is_null() {
            // SAFETY: a cfg from `ev_token_bucket_cfg_new`, freed once
            // (libevent's contract).
            drop(unsafe { Box::from_raw(cfg) });
        }
    })
}

/// `bufferevent_set_rate_limit`: NULL removes the limit.
#[no_mangle]
pub extern "C" fn bufferevent_set_rate_limit(
    bev: *mut Bufferevent,
    cfg: *mut TokenBucketCfg,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_set_rate_limit") else {
            return -1;
        };
        b.lock();
        let Some(c) = cfg_ref(cfg) else {
            if let Some(r) = b.rlim() {
                r.cfg.set(std::ptr::null());
                b.unsuspend_read(suspend::BW);
                b.unsuspend_write(suspend::BW);
                event_del(r.refill.get());
            }
            b.unlock();
            return 0;
        };
        let tick = c.tick(&now_of(b.base()));
        if b.rlim().is_some_and(|r| std::ptr::eq(r.cfg.get(), cfg)) {
            b.unlock();
            return 0;
        }
        let r = b.rlim_or_create();
        let reinit = !r.cfg.get().is_null();
        r.cfg.set(cfg);
        r.limit.init(c, tick, reinit);
        if reinit {
            event_del(r.refill.get());
        }
        let mut suspended = false;
        if r.limit.read_limit.get() > 0 {
            b.unsuspend_read(suspend::BW);
        } else {
            b.suspend_read(suspend::BW);
            suspended = true;
        }
        if r.limit.write_limit.get() > 0 {
            b.unsuspend_write(suspend::BW);
        } else {
            b.suspend_write(suspend::BW);
            suspended = true;
        }
        if suspended {
            event_add(r.refill.get(), &c.tick_timeout);
        }
        b.unlock();
        0
    })
}

/// `bufferevent_get_token_bucket_cfg`.
#[no_mangle]
pub extern "C" fn bufferevent_get_token_bucket_cfg(
    bev: *const Bufferevent,
) -> *const TokenBucketCfg {
    guard(std::ptr::null(), || {
        let Some(b) = bev_ref(bev, "bufferevent_get_token_bucket_cfg") else {
            return std::ptr::null();
        };
        b.lock();
        let c = b.rlim().map_or(std::ptr::null(), |r| r.cfg.get());
        b.unlock();
        c
    })
}

/// `bufferevent_rate_limit_group_new`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_new(
    base: *mut FfiBase,
    cfg: *const TokenBucketCfg,
) -> *mut Group {
    guard(std::ptr::null_mut(), || {
        let Some(c) = cfg_ref(cfg) else {
            warnx("bufferevent_rate_limit_group_new: NULL configuration");
            return std::ptr::null_mut();
        };
        let tick = c.tick(&now_of(base));
        let g = Box::into_raw(Box::new(Group {
            members: RefCell::new(Vec::new()),
            bucket: Bucket::default(),
            cfg: Cell::new(*c),
            read_suspended: Cell::new(false),
            write_suspended: Cell::new(false),
            pending_unsuspend_read: Cell::new(false),
            pending_unsuspend_write: Cell::new(false),
            total_read: Cell::new(0),
            total_written: Cell::new(0),
            min_share: Cell::new(0),
            configured_min_share: Cell::new(0),
            refill: UnsafeCell::new(Event::zeroed()),
            base,
            lock: Lock::new_own(crate::thread::program_lock_callbacks())
                .filter(|_| crate::handle::THREADING.load(std::sync::atomic::Ordering::Relaxed)),
            rotor: Cell::new(0),
        }));
        // SAFETY: just allocated; shared references only from here on.
        let gr = unsafe { &*g };
        gr.bucket.init(c, tick, false);
        event_assign(
            gr.refill.get(),
            base,
            -1,
            EV_PERSIST | EV_FINALIZE,
            Some(group_refill_cb),
            g as *mut c_void,
        );
        event_add(gr.refill.get(), &c.tick_timeout);
        set_min_share(gr, 64);
        g
    })
}

/// `bufferevent_rate_limit_group_set_min_share`'s work: never above one
/// tick's rate, so at least one member can go each tick.
fn set_min_share(g: &Group, share: usize) -> c_int {
    if share > isize::MAX as usize {
        return -1;
    }
    g.configured_min_share.set(share);
    let cfg = g.cfg.get();
    let share = share.min(cfg.read_rate).min(cfg.write_rate);
    g.min_share.set(share as isize);
    0
}

/// `bufferevent_rate_limit_group_set_cfg`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_set_cfg(
    g: *mut Group,
    cfg: *const TokenBucketCfg,
) -> c_int {
    guard(-1, || {
        let (Some(g), Some(c)) = (group_ref(g), cfg_ref(cfg)) else {
            return -1;
        };
        g.lock();
        let old = g.cfg.get().tick_timeout;
        let same_tick =
            old.tv_sec == c.tick_timeout.tv_sec && old.tv_usec == c.tick_timeout.tv_usec;
        g.cfg.set(*c);
        if g.bucket.read_limit.get() > c.read_maximum as isize {
            g.bucket.read_limit.set(c.read_maximum as isize);
        }
        if g.bucket.write_limit.get() > c.write_maximum as isize {
            g.bucket.write_limit.set(c.write_maximum as isize);
        }
        if !same_tick {
            event_add(g.refill.get(), &c.tick_timeout);
        }
        set_min_share(g, g.configured_min_share.get());
        g.unlock();
        0
    })
}

/// `bufferevent_rate_limit_group_set_min_share`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_set_min_share(g: *mut Group, share: usize) -> c_int {
    guard(-1, || match group_ref(g) {
        Some(g) => {
            g.lock();
            let r = set_min_share(g, share);
            g.unlock();
            r
        }
        None => -1,
    })
}

/// `bufferevent_rate_limit_group_free`: members still in the group leave
/// it first (libevent asserts there are none).
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_free(g: *mut Group) {
    guard((), || {
        let Some(gr) = group_ref(g) else { return };
        let members = gr.members.borrow().clone();
        if !members.is_empty() {
            warnx(&format!(
                "bufferevent_rate_limit_group_free: the group still has {} member(s); they leave it",
                members.len()
            ));
            for m in members {
                // SAFETY: members leave the group before their memory goes.
                if let Some(b) = unsafe { m.as_ref() } {
                    remove_from_group(b, true);
                }
            }
        }
        gr.lock();
        event_forget(gr.refill.get());
        gr.unlock();
        // SAFETY: a group from `bufferevent_rate_limit_group_new`, freed
        // once, with no member left to refer to it.
        drop(unsafe { Box::from_raw(g) });
    })
}

/// `bufferevent_add_to_rate_limit_group`.
#[no_mangle]
pub extern "C" fn bufferevent_add_to_rate_limit_group(
    bev: *mut Bufferevent,
    g: *mut Group,
) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_add_to_rate_limit_group") else {
            return -1;
        };
        let Some(gr) = group_ref(g) else {
            return -1;
        };
        b.lock();
        let r = b.rlim_or_create();
        if std::ptr::eq(r.group.get(), g) {
            b.unlock();
            return 0;
        }
        if !r.group.get().is_null() {
            remove_from_group(b, true);
        }
        gr.lock();
        r.group.set(g);
        gr.members.borrow_mut().insert(0, b as *const Bev);
        let (rs, ws) = (gr.read_suspended.get(), gr.write_suspended.get());
        gr.unlock();
        if rs {
            b.suspend_read(suspend::BW_GROUP);
        }
        if ws {
            b.suspend_write(suspend::BW_GROUP);
        }
        b.unlock();
        0
    })
}

/// `bufferevent_remove_from_rate_limit_group`.
#[no_mangle]
pub extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut Bufferevent) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_remove_from_rate_limit_group") else {
            return -1;
        };
        remove_from_group(b, true);
        0
    })
}

/// `bufferevent_set_max_single_read`: 0 or more than `EV_SSIZE_MAX`
/// restores the default.
#[no_mangle]
pub extern "C" fn bufferevent_set_max_single_read(bev: *mut Bufferevent, size: usize) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_set_max_single_read") else {
            return -1;
        };
        b.lock();
        b.max_single_read
            .set(if size == 0 || size > isize::MAX as usize {
                super::MAX_SINGLE_DEFAULT
            } else {
                size as isize
            });
        b.unlock();
        0
    })
}

/// `bufferevent_set_max_single_write`.
#[no_mangle]
pub extern "C" fn bufferevent_set_max_single_write(bev: *mut Bufferevent, size: usize) -> c_int {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_set_max_single_write") else {
            return -1;
        };
        b.lock();
        b.max_single_write
            .set(if size == 0 || size > isize::MAX as usize {
                super::MAX_SINGLE_DEFAULT
            } else {
                size as isize
            });
        b.unlock();
        0
    })
}

/// `bufferevent_get_max_single_read`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_single_read(bev: *mut Bufferevent) -> isize {
    guard(-1, || {
        bev_ref(bev, "bufferevent_get_max_single_read").map_or(-1, |b| b.max_single_read.get())
    })
}

/// `bufferevent_get_max_single_write`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_single_write(bev: *mut Bufferevent) -> isize {
    guard(-1, || {
        bev_ref(bev, "bufferevent_get_max_single_write").map_or(-1, |b| b.max_single_write.get())
    })
}

fn limit_of(bev: *mut Bufferevent, write: bool, who: &str) -> isize {
    let Some(b) = bev_ref(bev, who) else {
        return -1;
    };
    b.lock();
    let r = match b.rlim() {
        Some(r) if !r.cfg.get().is_null() => {
            b.update_buckets(r);
            if write {
                r.limit.write_limit.get()
            } else {
                r.limit.read_limit.get()
            }
        }
        _ => isize::MAX,
    };
    b.unlock();
    r
}

/// `bufferevent_get_read_limit`: `EV_SSIZE_MAX` without a limit.
#[no_mangle]
pub extern "C" fn bufferevent_get_read_limit(bev: *mut Bufferevent) -> isize {
    guard(-1, || limit_of(bev, false, "bufferevent_get_read_limit"))
}

/// `bufferevent_get_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_get_write_limit(bev: *mut Bufferevent) -> isize {
    guard(-1, || limit_of(bev, true, "bufferevent_get_write_limit"))
}

/// `bufferevent_get_max_to_read`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_to_read(bev: *mut Bufferevent) -> isize {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_get_max_to_read") else {
            return -1;
        };
        b.lock();
        let r = b.rlim_max(false);
        b.unlock();
        r
    })
}

/// `bufferevent_get_max_to_write`.
#[no_mangle]
pub extern "C" fn bufferevent_get_max_to_write(bev: *mut Bufferevent) -> isize {
    guard(-1, || {
        let Some(b) = bev_ref(bev, "bufferevent_get_max_to_write") else {
            return -1;
        };
        b.lock();
        let r = b.rlim_max(true);
        b.unlock();
        r
    })
}

/// The program's decrement of a bufferevent's bucket.
fn decrement(bev: *mut Bufferevent, decr: isize, write: bool, who: &str) -> c_int {
    let Some(b) = bev_ref(bev, who) else {
        return -1;
    };
    b.lock();
    let Some((r, cfg)) = b.rlim().and_then(|r| cfg_ref(r.cfg.get()).map(|c| (r, c))) else {
        b.unlock();
        warnx(&format!("{who}: the bufferevent has no rate limit"));
        return -1;
    };
    let (lim, other) = if write {
        (&r.limit.write_limit, &b.read_suspended)
    } else {
        (&r.limit.read_limit, &b.write_suspended)
    };
    let old = lim.get();
    let new = old.saturating_sub(decr);
    lim.set(new);
    let mut res = 0;
    if old > 0 && new <= 0 {
        b.suspend_dir(write, suspend::BW);
        if event_add(r.refill.get(), &cfg.tick_timeout) < 0 {
            res = -1;
        }
    } else if old <= 0 && new > 0 {
        if other.get() & suspend::BW == 0 {
            event_del(r.refill.get());
        }
        b.unsuspend_dir(write, suspend::BW);
    }
    b.unlock();
    res
}

/// `bufferevent_decrement_read_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_decrement_read_limit(bev: *mut Bufferevent, decr: isize) -> c_int {
    guard(-1, || {
        decrement(bev, decr, false, "bufferevent_decrement_read_limit")
    })
}

/// `bufferevent_decrement_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_decrement_write_limit(bev: *mut Bufferevent, decr: isize) -> c_int {
    guard(-1, || {
        decrement(bev, decr, true, "bufferevent_decrement_write_limit")
    })
}

/// `bufferevent_rate_limit_group_get_read_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_read_limit(g: *mut Group) -> isize {
    guard(-1, || {
        group_ref(g).map_or(-1, |g| {
            g.lock();
            let r = g.bucket.read_limit.get();
            g.unlock();
            r
        })
    })
}

/// `bufferevent_rate_limit_group_get_write_limit`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_write_limit(g: *mut Group) -> isize {
    guard(-1, || {
        group_ref(g).map_or(-1, |g| {
            g.lock();
            let r = g.bucket.write_limit.get();
            g.unlock();
            r
        })
    })
}

fn group_decrement(g: *mut Group, decr: isize, write: bool) -> c_int {
    let Some(g) = group_ref(g) else { return -1 };
    g.lock();
    let lim = if write {
        &g.bucket.write_limit
    } else {
        &g.bucket.read_limit
    };
    let old = lim.get();
    let new = old.saturating_sub(decr);
    lim.set(new);
    if old > 0 && new <= 0 {
        group_suspend(g, write);
    } else if old <= 0 && new > 0 {
        group_unsuspend(g, write);
    }
    g.unlock();
    0
}

/// `bufferevent_rate_limit_group_decrement_read`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_decrement_read(g: *mut Group, decr: isize) -> c_int {
    guard(-1, || group_decrement(g, decr, false))
}

/// `bufferevent_rate_limit_group_decrement_write`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_decrement_write(
    g: *mut Group,
    decr: isize,
) -> c_int {
    guard(-1, || group_decrement(g, decr, true))
}

/// `bufferevent_rate_limit_group_get_totals`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_get_totals(
    g: *mut Group,
    total_read: *mut u64,
    total_written: *mut u64,
) {
    guard((), || {
        let Some(g) = group_ref(g) else { return };
        g.lock();
        super::put(total_read, g.total_read.get());
        super::put(total_written, g.total_written.get());
        g.unlock();
    })
}

/// `bufferevent_rate_limit_group_reset_totals`.
#[no_mangle]
pub extern "C" fn bufferevent_rate_limit_group_reset_totals(g: *mut Group) {
    guard((), || {
        if let Some(g) = group_ref(g) {
            g.lock();
            g.total_read.set(0);
            g.total_written.set(0);
            g.unlock();
        }
    })
}
