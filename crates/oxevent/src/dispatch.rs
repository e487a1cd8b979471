//! The loop: libevent's `event_base_loop` and `event_process_active`.
//!
//! Each turn computes the wait from the earliest timer, takes a waiter from
//! the backend, releases the lock while it waits, caches the time, turns the
//! ready fds into activations, expires timers, then runs the highest
//! non-empty priority queue. Each activation becomes a [`Job`], handed to
//! the face's [`Runner`] with the lock released (engine rule 2); the
//! engine's own activations (signal socket, wakeup, loopexit) are handled
//! here under the lock.
//!
//! If a runner panics (a Rust callback), the loop's state is restored as
//! the panic passes (no loop running, no current event, waiters woken) and
//! the panic goes on to the caller of `run`; the base stays usable.

use std::os::fd::RawFd;
use std::time::Duration;

use crate::core::Core;
use crate::engine::{Engine, LoopExit, LoopFlags};
use crate::error::{Error, Result};
use crate::event::{kind, state, EventId};
use crate::flags::Ev;
use crate::sys;
use crate::sys::lock::LockGuard;

/// One callback to run, as the loop hands it to a face.
#[derive(Copy, Clone, Debug)]
pub struct Job {
    /// The event.
    pub id: EventId,
    /// Its descriptor or signal number (or -1).
    pub fd: RawFd,
    /// Why it runs.
    pub what: Ev,
    /// The C face's struct address (0 for Rust events).
    pub key: usize,
    /// The face's callback word.
    pub cb: usize,
    /// The face's argument word.
    pub arg: usize,
    /// A finalizer (the record is freed after it).
    pub finalize: bool,
    /// With `finalize`: the program's struct is freed after it too.
    pub free_struct: bool,
    /// A transient event (freed once idle): a one-shot's only run.
    pub transient: bool,
}

/// How a face runs a [`Job`]: the C face calls the program's function
/// pointer; the Rust face runs the closure it keeps for the event.
pub trait Runner {
    /// Runs `job`'s callback. No lock is held: it may call into `engine`.
    fn run(&mut self, engine: &Engine, job: &Job);
}

/// Restores the loop's state if a runner panics.
struct LoopReset<'a> {
    engine: &'a Engine,
    armed: bool,
}

impl Drop for LoopReset<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut core = self.engine.lock();
        end_loop(&mut core);
        if let Some(id) = core.current.take() {
            core.release_if_idle(id.idx);
        }
        if core.current_waiters > 0 {
            core.current_waiters = 0;
            self.engine.cond.notify_all();
        }
        core.running_priority = -1;
        core.event_continue = false;
    }
}

fn end_loop(core: &mut Core) {
    core.time_cache = 0;
    core.running_loop = false;
    core.loop_thread = 0;
}

impl Engine {
    /// Runs the loop (`event_base_loop`), handing callbacks to `runner`.
    pub fn run<R: Runner>(&self, flags: LoopFlags, runner: &mut R) -> Result<LoopExit> {
        let mut reset = LoopReset {
            engine: self,
            armed: false,
        };
        let mut core = self.lock();
        if core.running_loop {
            core.warn(format_args!(
                "event_base_loop: reentrant invocation.  Only one event_base_loop can run on each event_base at once."
            ));
            return Err(Error::Reentrant);
        }
        reset.armed = true;
        core.running_loop = true;
        core.time_cache = 0;
        core.retarget_signals();
        core.loop_thread = sys::thread_pointer();
        core.event_gotterm = false;
        core.event_break = false;
        let mut buf = std::mem::take(&mut core.io_buf);
        let mut result = Ok(LoopExit::Stopped);
        loop {
            core.event_continue = false;
            if core.event_gotterm || core.event_break {
                break;
            }
            let timeout = if core.n_active == 0 && !flags.has(LoopFlags::NONBLOCK) {
                core.next_timeout()
            } else {
                Some(Duration::ZERO)
            };
            if !flags.has(LoopFlags::NO_EXIT_ON_EMPTY) && !core.have_events() && core.n_active == 0
            {
                result = Ok(LoopExit::NoEvents);
                break;
            }
            core.time_cache = 0;
            let c = &mut *core;
            let mut waiter = c.backend.begin_wait(&mut c.deferred);
            drop(core);
            let r = waiter.wait(timeout, &mut buf);
            core = self.lock();
            let c = &mut *core;
            c.backend.end_wait(waiter, &mut buf, &mut c.deferred);
            if let Err(e) = r {
                let name = core.method.name();
                core.warn(format_args!("{name}: dispatch failed: {e}"));
                result = Err(Error::Io(e));
                break;
            }
            core.update_cache();
            core.process_io(&buf);
            core.timeout_process();
            if core.n_active > 0 {
                let (n, g) = self.process_active(core, runner);
                core = g;
                if flags.has(LoopFlags::ONCE) && core.n_active == 0 && n != 0 {
                    break;
                }
            } else if flags.has(LoopFlags::NONBLOCK) {
                break;
            }
        }
        buf.clear();
        core.io_buf = buf;
        end_loop(&mut core);
        drop(core);
        reset.armed = false;
        result
    }

    fn process_active<'a, R: Runner>(
        &'a self,
        mut core: LockGuard<'a, Core>,
        runner: &mut R,
    ) -> (i32, LockGuard<'a, Core>) {
        let endtime = core.max_dispatch.map(|d| {
            core.update_cache();
            core.now() + d
        });
        let mut c = 0;
        for i in 0..core.queues.len() {
            if core.queues[i].head == crate::event::NIL {
                continue;
            }
            core.running_priority = i as i32;
            let (max, end) = if i < core.limit_after_prio {
                (usize::MAX, None)
            } else {
                (core.max_callbacks, endtime)
            };
            let (n, g) = self.process_queue(core, i, max, end, runner);
            core = g;
            c = n;
            if c != 0 {
                break;
            }
        }
        core.running_priority = -1;
        (c, core)
    }

    fn process_queue<'a, R: Runner>(
        &'a self,
        mut core: LockGuard<'a, Core>,
        q: usize,
        max: usize,
        endtime: Option<u64>,
        runner: &mut R,
    ) -> (i32, LockGuard<'a, Core>) {
        let mut count: usize = 0;
        while let Some(idx) = core.queue_front(q) {
            let rec = &core.recs[idx as usize];
            let st = rec.state;
            let id = EventId { idx, gen: rec.gen };
            let events = rec.events;
            let job = Job {
                id,
                fd: rec.fd,
                what: rec.res(),
                key: rec.key,
                cb: rec.cb,
                arg: rec.arg,
                finalize: st & state::FINALIZING != 0,
                free_struct: st & state::FIN_FREE != 0,
                transient: st & state::TRANSIENT != 0,
            };
            let k = rec.kind;
            if st & state::INTERNAL == 0 {
                count += 1;
            }
            crate::log::debug_log_core!(
                core,
                "event_process_active: event {id:?} (fd {}), res {:?}",
                job.fd,
                job.what
            );
            match k {
                kind::USER if job.finalize => {
                    core.remove_active(idx);
                    core = self.run_job(core, runner, &job);
                    if core.rec(id).is_ok() {
                        core.del(idx);
                        core.free_slot(idx);
                    }
                }
                kind::USER if events & Ev::SIGNAL.bits() as u8 != 0 => {
                    core = self.run_signal(core, runner, job, events);
                }
                kind::USER => {
                    if events & Ev::PERSIST.bits() as u8 != 0 {
                        core.remove_active(idx);
                        core.rearm_persist(idx);
                    } else {
                        core.del(idx);
                    }
                    core = self.run_job(core, runner, &job);
                }
                kind::EXIT => {
                    core.del(idx);
                    core.event_gotterm = true;
                    core.release_if_idle(idx);
                }
                kind::SIGNALS => {
                    core.remove_active(idx);
                    core.read_signals();
                }
                _ => {
                    core.remove_active(idx);
                    core.drain_wakeup();
                }
            }
            let c = &mut *core;
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
            if c.event_continue {
                break;
            }
        }
        (count as i32, core)
    }

    /// Runs one job unlocked, then clears `current`, wakes deleters waiting
    /// for it, and frees a transient record that went idle.
    #[inline(always)]
    fn run_job<'a, R: Runner>(
        &'a self,
        mut core: LockGuard<'a, Core>,
        runner: &mut R,
        job: &Job,
    ) -> LockGuard<'a, Core> {
        core.current = Some(job.id);
        core.current_waiters = 0;
        drop(core);
        runner.run(self, job);
        let mut core = self.lock();
        core.current = None;
        if core.current_waiters > 0 {
            core.current_waiters = 0;
            self.cond.notify_all();
        }
        if job.transient && core.rec(job.id).is_ok() {
            core.release_if_idle(job.id.idx);
        }
        core
    }

    /// A signal event runs once per delivery counted in this activation; a
    /// delete during its callback cancels the rest, a non-persistent
    /// event's own delete before it does not (libevent's
    /// `event_signal_closure`).
    fn run_signal<'a, R: Runner>(
        &'a self,
        mut core: LockGuard<'a, Core>,
        runner: &mut R,
        job: Job,
        events: u8,
    ) -> LockGuard<'a, Core> {
        let idx = job.id.idx;
        if events & Ev::PERSIST.bits() as u8 != 0 {
            core.remove_active(idx);
        } else {
            let ncalls = core.recs[idx as usize].ncalls;
            core.del(idx);
            core.r(idx).ncalls = ncalls;
        }
        while let Ok(rec) = core.rec_mut(job.id) {
            if rec.ncalls == 0 {
                break;
            }
            rec.ncalls -= 1;
            core = self.run_job(core, runner, &job);
            if core.event_break {
                break;
            }
        }
        core
    }
}
