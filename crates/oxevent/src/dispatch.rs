//! The loop: libevent's `event_base_loop` and `event_process_active`.
//!
//! Each turn computes the wait from the earliest timer, releases the lock
//! while the backend waits, caches the time, activates ready I/O and
//! signals, expires timers, then runs the highest non-empty priority queue.
//! Callbacks run with the lock released (engine rule 2): the handler is taken
//! out of its record, called, and put back only if the record is still the
//! same one.

use std::sync::Arc;

use crate::sys::lock::LockGuard;
use std::time::Duration;

use crate::base::{LoopExit, LoopFlags, RawBase};
use crate::core::{Core, PREFETCH_AHEAD, PREFETCH_MIN_QUEUE};
use crate::error::{Error, Result};
use crate::event::{state, Callback, EventId, Fired, Handler};
use crate::flags::Ev;
use crate::sys;

impl<H: Handler> RawBase<H> {
    /// Runs the loop (`event_base_loop`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use oxevent::{Base, Error, Ev, LoopFlags};
    ///
    /// let base = Base::<u32>::new().unwrap();
    /// let tick = base
    ///     .timer_with(Ev::PERSIST, |n: &mut u32, base, _| {
    ///         *n += 1;
    ///         // Only one loop may run on a base at a time.
    ///         let nested = base.run(LoopFlags::NONBLOCK, &mut 0);
    ///         assert!(matches!(nested, Err(Error::Reentrant)));
    ///     })
    ///     .unwrap();
    /// base.add(tick, Some(Duration::from_millis(1))).unwrap();
    /// let mut n = 0;
    /// base.run(LoopFlags::ONCE, &mut n).unwrap(); // wait, run the tick, return
    /// base.run(LoopFlags::ONCE, &mut n).unwrap();
    /// assert_eq!(n, 2);
    /// base.free(tick).unwrap();
    /// ```
    pub fn run(&self, flags: LoopFlags, data: &mut H::Data) -> Result<LoopExit> {
        let mut core = self.lock();
        if core.running_loop {
            crate::log::warn(format_args!(
                "event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once."
            ));
            return Err(Error::Reentrant);
        }
        core.running_loop = true;
        core.time_cache = 0;
        core.retarget_signals();
        core.loop_thread = sys::thread_token();
        core.event_gotterm = false;
        core.event_break = false;
        let mut buf = std::mem::take(&mut core.io_buf);
        let mut backend = core.backend.clone();
        let mut result = Ok(LoopExit::Stopped);
        loop {
            core.act.event_continue = false;
            if core.event_gotterm || core.event_break {
                break;
            }
            let timeout = if core.act.n_active == 0 && !flags.has(LoopFlags::NONBLOCK) {
                core.next_timeout()
            } else {
                Some(Duration::ZERO)
            };
            if !flags.has(LoopFlags::NO_EXIT_ON_EMPTY)
                && !core.have_events()
                && core.act.n_active == 0
            {
                result = Ok(LoopExit::NoEvents);
                break;
            }
            core.time_cache = 0;
            if !Arc::ptr_eq(&backend, &core.backend) {
                backend = core.backend.clone();
            }
            drop(core);
            buf.clear();
            let r = backend.dispatch(timeout, &mut buf);
            core = self.lock();
            if let Err(e) = r {
                crate::log::warn(format_args!("{}: dispatch failed: {e}", core.method.name()));
                result = Err(Error::Io(e));
                break;
            }
            core.update_cache();
            core.process_io(&buf);
            core.timeout_process();
            if core.act.n_active > 0 {
                let (n, g) = self.process_active(core, data);
                core = g;
                if flags.has(LoopFlags::ONCE) && core.act.n_active == 0 && n != 0 {
                    break;
                }
            } else if flags.has(LoopFlags::NONBLOCK) {
                break;
            }
        }
        buf.clear();
        core.io_buf = buf;
        core.time_cache = 0;
        core.running_loop = false;
        core.loop_thread = 0;
        result
    }

    pub(crate) fn notify(&self, core: &Core<H>) {
        if core.notify_fd >= 0 && core.running_loop && core.loop_thread != sys::thread_token() {
            sys::eventfd_signal(core.notify_fd);
        }
    }

    fn process_active<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        data: &mut H::Data,
    ) -> (i32, LockGuard<'a, Core<H>>) {
        let endtime = core.max_dispatch.map(|d| {
            core.update_cache();
            core.now() + d
        });
        let mut c = 0;
        for i in 0..core.act.active.len() {
            if !core.queue_nonempty(i) {
                continue;
            }
            core.act.running_priority = i as i32;
            let (max, end) = if i < core.limit_after_prio {
                (usize::MAX, None)
            } else {
                (core.max_callbacks, endtime)
            };
            let (n, g) = self.process_queue(core, i, max, end, data);
            core = g;
            c = n;
            if c != 0 {
                break;
            }
        }
        core.act.running_priority = -1;
        (c, core)
    }

    fn process_queue<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        pri: usize,
        max: usize,
        endtime: Option<u64>,
        data: &mut H::Data,
    ) -> (i32, LockGuard<'a, Core<H>>) {
        let mut count: usize = 0;
        // Large batches (many timers expiring together) outgrow the cache
        // between activation and this pass: their records are loaded ahead.
        let long = core.act.active[pri].len() >= PREFETCH_MIN_QUEUE;
        loop {
            let c = &mut *core;
            let Some((idx, seq)) = c.act.active[pri].pop_front() else {
                break;
            };
            if long {
                if let Some(ahead) = c.act.active[pri].ahead(PREFETCH_AHEAD) {
                    if let Some(slot) = c.slots.get(ahead as usize) {
                        sys::prefetch(slot);
                    }
                }
            }
            let Some(slot) = c.slots.get_mut(idx as usize) else {
                continue;
            };
            let gen = slot.gen;
            let Some(rec) = slot.rec.as_mut() else {
                continue;
            };
            let st = rec.state;
            if st & state::ACTIVE == 0 || rec.active_seq != seq {
                continue;
            }
            let id = EventId { idx, gen };
            let events = rec.events;
            let finalizing = st & state::FINALIZING != 0;
            let fired = Fired {
                id,
                fd: rec.fd,
                what: rec.res,
            };
            c.current_key = rec.key;
            count += (st & state::INTERNAL == 0) as usize;
            crate::log::debug_log!(
                "event_process_active: event {id:?} (fd {}), res {:?}",
                fired.fd,
                fired.what
            );
            // The common case: an I/O or timer event whose handler copies
            // cheaply (the C face's): the copy runs, the original stays.
            let plain = !finalizing && !events.contains(Ev::SIGNAL);
            let copy = match &rec.cb {
                Callback::User(h) if plain => h.fast_copy(),
                _ => None,
            };
            if let Some(mut h) = copy {
                if events.contains(Ev::PERSIST) {
                    if c.act.leave_to_run(rec, st) {
                        c.rearm_persist(idx);
                    }
                } else {
                    c.del_nolock(idx);
                }
                c.current = Some(id);
                c.current_waiters = 0;
                drop(core);
                h.call(self, data, fired);
                core = self.lock();
            } else if plain && matches!(rec.cb, Callback::User(_)) {
                // Handlers that copy keep this path out of the hot loop;
                // handlers that never copy get it inline.
                core = if H::COPIES {
                    self.run_one_taken_outlined(core, id, st, fired, data)
                } else {
                    self.run_one_taken(core, id, st, fired, data)
                };
            } else {
                core = self.run_one_slow(core, id, st, fired, data);
            }

            let c = &mut *core;
            c.current = None;
            if c.current_waiters > 0 {
                c.current_waiters = 0;
                self.shared.cond.notify_all();
            }
            // A transient record that went idle (not pending, not active) is
            // freed now.
            if let Some(slot) = c.slots.get(idx as usize) {
                let busy = state::INSERTED | state::TIMEOUT | state::ACTIVE;
                if slot.gen == gen
                    && slot
                        .rec
                        .as_ref()
                        .is_some_and(|r| r.state & (state::TRANSIENT | busy) == state::TRANSIENT)
                {
                    c.release_if_idle(idx);
                }
            }
            if c.event_break {
                return (-1, core);
            }
            if count >= max {
                return (count as i32, core);
            }
            if let Some(end) = endtime {
                if count > 0 {
                    c.update_cache();
                    if c.now() >= end {
                        return (count as i32, core);
                    }
                }
            }
            if c.act.event_continue {
                break;
            }
        }
        (count as i32, core)
    }

    /// A plain I/O or timer activation whose handler must be taken out of
    /// its record to run (the Rust API's closures): take it, update the
    /// record, run it unlocked, put it back unless the callback freed the
    /// record or replaced its handler (then it is dropped unlocked).
    #[inline(always)]
    fn run_one_taken<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        id: EventId,
        st: u8,
        fired: Fired,
        data: &mut H::Data,
    ) -> LockGuard<'a, Core<H>> {
        let idx = id.idx;
        let c = &mut *core;
        // Borrowed from the slab alone, so the active queues stay usable.
        let rec = c.slots[idx as usize].rec.as_mut().expect("live record");
        let Callback::User(mut h) = std::mem::replace(&mut rec.cb, Callback::Taken) else {
            unreachable!("run_one_taken is only called for a user handler");
        };
        if rec.events.contains(Ev::PERSIST) {
            if c.act.leave_to_run(rec, st) {
                c.rearm_persist(idx);
            }
        } else {
            c.del_nolock(idx);
        }
        c.current = Some(id);
        c.current_waiters = 0;
        drop(core);
        h.call(self, data, fired);
        let mut core = self.lock();
        match core.live_mut(id) {
            Some(rec) if matches!(rec.cb, Callback::Taken) => {
                rec.cb = Callback::User(h);
                core
            }
            _ => {
                drop(core);
                drop(h);
                self.lock()
            }
        }
    }

    /// [`Self::run_one_taken`], out of line.
    #[inline(never)]
    fn run_one_taken_outlined<'a>(
        &'a self,
        core: LockGuard<'a, Core<H>>,
        id: EventId,
        st: u8,
        fired: Fired,
        data: &mut H::Data,
    ) -> LockGuard<'a, Core<H>> {
        self.run_one_taken(core, id, st, fired, data)
    }

    /// One activation that is not the common case: a finalizer, loopexit,
    /// a signal (run once per delivery), or a handler that must be taken out
    /// of its record to run.
    fn run_one_slow<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        id: EventId,
        st: u8,
        fired: Fired,
        data: &mut H::Data,
    ) -> LockGuard<'a, Core<H>> {
        let idx = id.idx;
        let c = &mut *core;
        let rec = c.r(idx);
        let events = rec.events;
        let finalizing = st & state::FINALIZING != 0;
        let is_exit = matches!(rec.cb, Callback::Exit);
        let rearm = events.contains(Ev::PERSIST)
            && !finalizing
            && !is_exit
            && !events.contains(Ev::SIGNAL)
            && rec.period != 0;
        if events.contains(Ev::PERSIST) || finalizing {
            // Fast path of remove_active, with the record in hand.
            rec.state = st & !state::ACTIVE;
            c.act.n_active -= 1;
            if st & state::INTERNAL == 0 {
                c.act.event_count -= 1;
            }
        } else if events.contains(Ev::SIGNAL) {
            // A signal's pending deliveries survive the delete that precedes
            // a non-persistent callback; a delete during it cancels them.
            let ncalls = rec.ncalls;
            c.del_nolock(idx);
            c.r(idx).ncalls = ncalls;
        } else {
            c.del_nolock(idx);
        }
        c.current = Some(id);
        c.current_waiters = 0;

        if finalizing {
            let cb = c.free_slot(idx);
            c.current = None;
            drop(core);
            if let Some(Callback::User(mut h)) = cb {
                h.call(self, data, fired);
            }
            core = self.lock();
        } else if is_exit {
            c.event_gotterm = true;
        } else if events.contains(Ev::SIGNAL) {
            while let Some(rec) = core.live_mut(id) {
                if rec.ncalls == 0 {
                    break;
                }
                rec.ncalls -= 1;
                let (g, done) = self.call_out(core, id, data, fired);
                core = g;
                if done || core.event_break {
                    break;
                }
            }
        } else {
            if rearm {
                c.rearm_persist(idx);
            }
            let (g, _) = self.call_out(core, id, data, fired);
            core = g;
        }
        core
    }

    /// Takes the handler out, runs it unlocked, and puts it back if the record
    /// is still the same one. Returns whether the record is gone.
    #[inline]
    fn call_out<'a>(
        &'a self,
        mut core: LockGuard<'a, Core<H>>,
        id: EventId,
        data: &mut H::Data,
        fired: Fired,
    ) -> (LockGuard<'a, Core<H>>, bool) {
        let Some(rec) = core.live_mut(id) else {
            return (core, true);
        };
        let mut h = match std::mem::replace(&mut rec.cb, Callback::Taken) {
            Callback::User(h) => h,
            other => {
                rec.cb = other;
                return (core, false);
            }
        };
        drop(core);
        h.call(self, data, fired);
        let mut core = self.lock();
        match core.live_mut(id) {
            Some(rec) if matches!(rec.cb, Callback::Taken) => {
                rec.cb = Callback::User(h);
                (core, false)
            }
            _ => {
                drop(core);
                drop(h);
                (self.lock(), true)
            }
        }
    }
}
