//! A base's state and its state machine ("nolock" operations): records,
//! fd and signal maps, the timer wheel and common queues, active queues and
//! the counters libevent reports. Everything here runs with the base lock
//! held and never calls user code; the loop (`dispatch.rs`) and the public
//! API (`base.rs`) drive it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use crate::base::EventSpec;
use crate::config::BaseFlags;
use crate::error::{Error, Result};
use crate::event::{state, Callback, EventId, Record, Slot, When};
use crate::flags::Ev;
use crate::sys::{self, signal as sig, Backend, Method};
use crate::timer::{CommonEntry, CommonQueue, TimerWheel};

/// Hashes struct addresses (the C face's record keys): one multiply.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        let x = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// How far ahead of the timer being expired its successors' records are
/// prefetched.
pub(crate) const PREFETCH_AHEAD: usize = 8;

/// Active queues shorter than this are not prefetched (their records are
/// still in the cache from activation).
pub(crate) const PREFETCH_MIN_QUEUE: usize = 1024;

pub(crate) type KeyMap = HashMap<usize, u32, BuildHasherDefault<KeyHasher>>;

pub(crate) struct SigEntry {
    pub(crate) events: Vec<u32>,
    pub(crate) saved: Option<sig::Saved>,
}

#[derive(Default, Clone)]
pub(crate) struct FdEntry {
    pub(crate) events: Vec<u32>,
    pub(crate) reg: Ev,
}

pub(crate) struct Core<H> {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) method: Method,
    pub(crate) changelist: bool,
    pub(crate) precise: bool,
    pub(crate) flags: BaseFlags,
    pub(crate) coarse: bool,
    pub(crate) slots: Vec<Slot<H>>,
    pub(crate) free_slots: Vec<u32>,
    /// Records of the C face by struct address, so a struct's identity never
    /// depends on bytes the program may have overwritten. Kept lazily: new
    /// records wait in `pending_keys` and entries may be stale (checked on
    /// lookup); the map is synced only when consulted (`event_assign`).
    pub(crate) keys: KeyMap,
    /// Slots given a keyed record since the last sync. Only the index is
    /// logged (4 bytes an add, not 16: at 1M adds the log is fresh memory,
    /// which is dear); the sync reads the key from the slot, so a slot
    /// re-used since then is entered under its current key, and a freed
    /// one not at all, which is what the map should say anyway.
    pub(crate) pending_keys: Vec<u32>,
    /// Live records that have a key.
    pub(crate) live_keyed: usize,
    /// First generation of this base's slots (distinct per base).
    pub(crate) gen_base: u32,
    /// libevent accepts I/O events on negative fds (they never fire).
    pub(crate) accept_negative_fd: bool,
    pub(crate) fds: Vec<FdEntry>,
    pub(crate) sigs: Vec<SigEntry>,
    pub(crate) sig_pair: Option<(RawFd, RawFd)>,
    pub(crate) notify_fd: RawFd,
    pub(crate) timers: TimerWheel,
    pub(crate) common: Vec<CommonQueue>,
    /// Active queues and the counters activation changes.
    pub(crate) act: Act,
    pub(crate) virtual_count: usize,
    pub(crate) virtual_max: usize,
    pub(crate) time_cache: u64,
    pub(crate) wall_offset: i128,
    pub(crate) wall_offset_at: u64,
    pub(crate) running_loop: bool,
    pub(crate) loop_thread: u64,
    pub(crate) event_break: bool,
    pub(crate) event_gotterm: bool,
    pub(crate) current: Option<EventId>,
    pub(crate) current_key: usize,
    pub(crate) current_waiters: usize,
    pub(crate) max_dispatch: Option<u64>,
    pub(crate) max_callbacks: usize,
    pub(crate) limit_after_prio: usize,
    pub(crate) io_buf: Vec<sys::Ready>,
}

impl<H> Core<H> {
    pub(crate) fn next_seq(&mut self) -> u32 {
        self.act.seq = self.act.seq.wrapping_add(1);
        self.act.seq
    }

    #[inline]
    pub(crate) fn alloc(
        &mut self,
        spec: EventSpec,
        cb: Callback<H>,
        key: usize,
        transient: bool,
    ) -> EventId {
        let pri = spec.priority.unwrap_or((self.act.active.len() / 2) as u8);
        let rec = Record {
            fd: spec.fd,
            events: spec.events,
            state: if transient { state::TRANSIENT } else { 0 },
            pri,
            res: Ev::NONE,
            ncalls: 0,
            period: 0,
            period_common: 0,
            deadline: 0,
            common: 0,
            timer_seq: 0,
            active_seq: 0,
            key,
            cb,
        };
        let id = if let Some(idx) = self.free_slots.pop() {
            let slot = &mut self.slots[idx as usize];
            slot.rec = Some(rec);
            EventId { idx, gen: slot.gen }
        } else {
            let idx = self.slots.len() as u32;
            // New slots start at this base's own generation offset, so an id
            // from another base is (almost always) stale here, not a match.
            let gen = self.gen_base;
            self.slots.push(Slot {
                gen,
                rec: Some(rec),
            });
            EventId { idx, gen }
        };
        if key != 0 {
            self.pending_keys.push(id.idx);
            self.live_keyed += 1;
        }
        id
    }

    /// Frees a slot; returns its callback so it can be dropped unlocked.
    pub(crate) fn free_slot(&mut self, idx: u32) -> Option<Callback<H>> {
        let slot = &mut self.slots[idx as usize];
        let rec = slot.rec.take()?;
        slot.gen = slot.gen.wrapping_add(1);
        self.free_slots.push(idx);
        if rec.key != 0 {
            self.live_keyed -= 1;
        }
        Some(rec.cb)
    }

    pub(crate) fn rec(&self, id: EventId) -> Result<&Record<H>> {
        match self.slots.get(id.idx as usize) {
            Some(s) if s.gen == id.gen => s.rec.as_ref().ok_or(Error::NoSuchEvent),
            _ => Err(Error::NoSuchEvent),
        }
    }

    pub(crate) fn rec_mut(&mut self, id: EventId) -> Result<&mut Record<H>> {
        match self.slots.get_mut(id.idx as usize) {
            Some(s) if s.gen == id.gen => s.rec.as_mut().ok_or(Error::NoSuchEvent),
            _ => Err(Error::NoSuchEvent),
        }
    }

    /// The live record created for the struct at `key`. Brings the key map
    /// up to date first (amortised O(1) per record created).
    pub(crate) fn by_key(&mut self, key: usize) -> Option<EventId> {
        if !self.pending_keys.is_empty() {
            for idx in self.pending_keys.drain(..) {
                let key = self
                    .slots
                    .get(idx as usize)
                    .and_then(|s| s.rec.as_ref())
                    .map_or(0, |r| r.key);
                if key != 0 {
                    self.keys.insert(key, idx);
                }
            }
        }
        if self.keys.len() > 2 * self.live_keyed + 64 {
            // Sweep entries of freed records.
            let slots = &self.slots;
            self.keys.retain(|k, idx| {
                slots
                    .get(*idx as usize)
                    .and_then(|s| s.rec.as_ref())
                    .is_some_and(|r| r.key == *k)
            });
        }
        let &idx = self.keys.get(&key)?;
        let slot = self.slots.get(idx as usize)?;
        slot.rec.as_ref().filter(|r| r.key == key)?;
        Some(EventId { idx, gen: slot.gen })
    }

    pub(crate) fn live_mut(&mut self, id: EventId) -> Option<&mut Record<H>> {
        self.rec_mut(id).ok()
    }

    #[inline]
    pub(crate) fn r(&mut self, idx: u32) -> &mut Record<H> {
        self.slots[idx as usize].rec.as_mut().expect("live record")
    }

    pub(crate) fn release_if_idle(&mut self, idx: u32) {
        let Some(rec) = self.slots.get(idx as usize).and_then(|s| s.rec.as_ref()) else {
            return;
        };
        let busy = state::INSERTED | state::TIMEOUT | state::ACTIVE;
        // A running handler is out of the record; freeing the record makes
        // `call_out` drop it after the callback instead of putting it back.
        if rec.state & state::TRANSIENT != 0 && rec.state & busy == 0 {
            self.free_slot(idx);
        }
    }

    #[inline]
    pub(crate) fn now(&mut self) -> u64 {
        if self.time_cache != 0 {
            self.time_cache
        } else {
            sys::monotonic_ns(self.coarse)
        }
    }

    pub(crate) fn update_cache(&mut self) {
        if !self.flags.contains(BaseFlags::NO_CACHE_TIME) {
            self.time_cache = sys::monotonic_ns(self.coarse);
        } else {
            self.time_cache = 0;
        }
    }

    pub(crate) fn refresh_wall_offset(&mut self) {
        let mono = sys::monotonic_ns(self.coarse);
        self.wall_offset = sys::realtime_ns() - mono as i128;
        self.wall_offset_at = mono;
    }

    pub(crate) fn wall_offset_now(&mut self) -> i128 {
        let now = sys::monotonic_ns(self.coarse);
        if now.saturating_sub(self.wall_offset_at) > 5_000_000_000 {
            self.refresh_wall_offset();
        }
        self.wall_offset
    }

    pub(crate) fn have_events(&self) -> bool {
        self.virtual_count > 0 || self.act.event_count > 0
    }

    #[inline]
    pub(crate) fn count_incr(&mut self, internal: bool) {
        if !internal {
            self.act.event_count += 1;
            self.act.event_count_max = self.act.event_count_max.max(self.act.event_count);
        }
    }

    pub(crate) fn count_decr(&mut self, internal: bool) {
        if !internal {
            self.act.event_count -= 1;
        }
    }

    #[inline]
    pub(crate) fn add_nolock(&mut self, idx: u32, when: Option<When>) -> Result<()> {
        let rec = self.r(idx);
        if rec.state & state::FINALIZING != 0 {
            return Err(Error::Finalizing);
        }
        let events = rec.events;
        let st = rec.state;
        if events.intersects(Ev::IO | Ev::SIGNAL) && st & (state::INSERTED | state::ACTIVE) == 0 {
            if events.contains(Ev::SIGNAL) {
                self.sig_add(idx)?;
            } else {
                self.io_add(idx)?;
            }
            let rec = self.r(idx);
            rec.state |= state::INSERTED;
            let internal = rec.state & state::INTERNAL != 0;
            self.count_incr(internal);
        }
        if let Some(when) = when {
            let now = self.now();
            let persist = events.contains(Ev::PERSIST) && !events.contains(Ev::SIGNAL);
            let (at, common) = match when {
                When::After(ns) => {
                    if persist {
                        let r = self.r(idx);
                        r.period = ns.max(1);
                        r.period_common = 0;
                    }
                    (now.saturating_add(ns), 0u16)
                }
                When::At(t) => (t, self.r(idx).common_hint()),
                When::Common(q) => {
                    let nanos = self.common.get(q as usize).ok_or(Error::BadTimeout)?.nanos;
                    if persist {
                        let r = self.r(idx);
                        r.period = nanos.max(1);
                        r.period_common = q + 1;
                    }
                    (now.saturating_add(nanos), q + 1)
                }
            };
            if self.r(idx).state & state::TIMEOUT != 0 {
                self.remove_timeout(idx);
            }
            let rec = self.r(idx);
            if rec.state & state::ACTIVE != 0 && rec.res.contains(Ev::TIMEOUT) {
                if rec.events.contains(Ev::SIGNAL) {
                    rec.ncalls = 0;
                }
                self.remove_active(idx);
            }
            self.insert_timeout(idx, at, common);
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn insert_timeout(&mut self, idx: u32, at: u64, common: u16) {
        let seq = self.next_seq();
        let rec = self.r(idx);
        rec.state |= state::TIMEOUT;
        rec.deadline = at;
        rec.common = common;
        rec.timer_seq = seq;
        let internal = rec.state & state::INTERNAL != 0;
        self.count_incr(internal);
        if common == 0 {
            self.timers.schedule(idx, at);
        } else {
            let q = &mut self.common[common as usize - 1].queue;
            let entry = CommonEntry { at, slot: idx, seq };
            let mut pos = q.len();
            while pos > 0 && q[pos - 1].at > at {
                pos -= 1;
            }
            q.insert(pos, entry);
        }
    }

    pub(crate) fn remove_timeout(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::TIMEOUT;
        let common = rec.common;
        let internal = rec.state & state::INTERNAL != 0;
        if common == 0 {
            self.timers.remove(idx);
        } else {
            // Lazy: the queue entry goes stale with the sequence number.
            let seq = self.next_seq();
            self.r(idx).timer_seq = seq;
        }
        self.count_decr(internal);
    }

    pub(crate) fn remove_active(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::ACTIVE;
        let internal = rec.state & state::INTERNAL != 0;
        self.act.n_active -= 1;
        self.count_decr(internal);
    }

    pub(crate) fn remove_inserted(&mut self, idx: u32) {
        let rec = self.r(idx);
        rec.state &= !state::INSERTED;
        let internal = rec.state & state::INTERNAL != 0;
        let events = rec.events;
        self.count_decr(internal);
        if events.contains(Ev::SIGNAL) {
            self.sig_del(idx);
        } else {
            self.io_del(idx);
        }
    }

    #[inline]
    pub(crate) fn del_nolock(&mut self, idx: u32) {
        let rec = self.r(idx);
        if rec.events.contains(Ev::SIGNAL) {
            rec.ncalls = 0;
        }
        let st = rec.state;
        if st & (state::TIMEOUT | state::ACTIVE | state::INSERTED) == 0 {
            return;
        }
        if st & state::TIMEOUT != 0 {
            self.remove_timeout(idx);
        }
        if st & state::ACTIVE != 0 {
            self.remove_active(idx);
        }
        if st & state::INSERTED != 0 {
            self.remove_inserted(idx);
        }
    }

    /// The fd lists, the records and the active queues, borrowed apart.
    #[inline]
    fn split(&mut self) -> (&[FdEntry], &mut Vec<Slot<H>>, &mut Act) {
        (&self.fds, &mut self.slots, &mut self.act)
    }

    #[inline]
    pub(crate) fn activate_nolock(&mut self, idx: u32, what: Ev, ncalls: u16) {
        let (_, slots, q) = self.split();
        if let Some(rec) = slots.get_mut(idx as usize).and_then(|s| s.rec.as_mut()) {
            q.activate(rec, idx, what, ncalls);
        }
    }

    pub(crate) fn queue_nonempty(&mut self, pri: usize) -> bool {
        while let Some(&(idx, seq)) = self.act.active[pri].front() {
            let live = self.slots[idx as usize]
                .rec
                .as_ref()
                .is_some_and(|r| r.state & state::ACTIVE != 0 && r.active_seq == seq);
            if live {
                return true;
            }
            self.act.active[pri].pop_front();
        }
        false
    }

    pub(crate) fn fd_entry(&mut self, fd: RawFd) -> &mut FdEntry {
        let i = fd as usize;
        if i >= self.fds.len() {
            self.fds.resize(i + 1, FdEntry::default());
        }
        &mut self.fds[i]
    }

    pub(crate) fn fd_union(&self, fd: RawFd) -> (Ev, usize, usize) {
        let mut union = Ev::NONE;
        let (mut et, mut lt) = (0, 0);
        for &i in &self.fds[fd as usize].events {
            let ev = self.slots[i as usize]
                .rec
                .as_ref()
                .map_or(Ev::NONE, |r| r.events);
            union |= ev & Ev::IO;
            if ev.contains(Ev::ET) {
                et += 1;
            } else {
                lt += 1;
            }
        }
        if et > 0 {
            union |= Ev::ET;
        }
        (union, et, lt)
    }

    pub(crate) fn io_add(&mut self, idx: u32) -> Result<()> {
        let fd = self.r(idx).fd;
        if fd < 0 {
            return if self.accept_negative_fd {
                Ok(())
            } else {
                Err(Error::BadFd(fd))
            };
        }
        self.fd_entry(fd).events.push(idx);
        let (new, et, lt) = self.fd_union(fd);
        let old = self.fds[fd as usize].reg;
        if et > 0 && lt > 0 {
            self.fds[fd as usize].events.pop();
            return Err(Error::MixedEdgeTrigger(fd));
        }
        if new != old {
            if let Err(e) = self.backend.change(fd, old, new) {
                self.fds[fd as usize].events.pop();
                return Err(Error::Io(e));
            }
            self.fds[fd as usize].reg = new;
        } else {
            self.backend.refresh(fd);
        }
        Ok(())
    }

    pub(crate) fn io_del(&mut self, idx: u32) {
        let fd = self.r(idx).fd;
        let Some(entry) = self.fds.get_mut(fd as usize) else {
            return;
        };
        if let Some(p) = entry.events.iter().position(|&i| i == idx) {
            entry.events.swap_remove(p);
        }
        let (new, _, _) = self.fd_union(fd);
        let old = self.fds[fd as usize].reg;
        if new != old {
            if let Err(e) = self.backend.change(fd, old, new) {
                crate::log::warn(format_args!(
                    "{}: cannot change fd {fd}: {e}",
                    self.method.name()
                ));
            }
            self.fds[fd as usize].reg = new;
        }
    }

    pub(crate) fn ensure_sig_pair(&mut self) -> Result<(RawFd, RawFd)> {
        if let Some(p) = self.sig_pair {
            return Ok(p);
        }
        let (r, w) = sys::internal_socketpair()?;
        if let Err(e) = self.backend.change(r, Ev::NONE, Ev::READ) {
            sys::close(r);
            sys::close(w);
            return Err(Error::Io(e));
        }
        self.sig_pair = Some((r, w));
        Ok((r, w))
    }

    pub(crate) fn sig_add(&mut self, idx: u32) -> Result<()> {
        let signo = self.r(idx).fd;
        if !sig::valid(signo) {
            return Err(Error::BadSignal(signo));
        }
        let (_, w) = self.ensure_sig_pair()?;
        let entry = &mut self.sigs[signo as usize];
        if entry.events.is_empty() {
            entry.saved = Some(sig::install(signo)?);
        }
        entry.events.push(idx);
        sig::set_target(signo, w);
        Ok(())
    }

    pub(crate) fn sig_del(&mut self, idx: u32) {
        let signo = self.r(idx).fd;
        let w = self.sig_pair.map_or(-1, |p| p.1);
        let Some(entry) = self.sigs.get_mut(signo as usize) else {
            return;
        };
        if let Some(p) = entry.events.iter().position(|&i| i == idx) {
            entry.events.swap_remove(p);
        }
        if entry.events.is_empty() {
            if let Some(saved) = entry.saved.take() {
                sig::clear_target(signo, w);
                sig::restore(signo, &saved);
            }
        }
    }

    pub(crate) fn retarget_signals(&mut self) {
        if let Some((_, w)) = self.sig_pair {
            for (signo, entry) in self.sigs.iter().enumerate() {
                if !entry.events.is_empty() {
                    sig::set_target(signo as i32, w);
                }
            }
        }
    }

    pub(crate) fn activate_fd(&mut self, fd: RawFd, what: Ev) {
        // One slot lookup per event; the fd's list is read while records and
        // queues change.
        let (fds, slots, q) = self.split();
        let Some(entry) = fds.get(fd as usize) else {
            return;
        };
        for &idx in &entry.events {
            let Some(rec) = slots.get_mut(idx as usize).and_then(|s| s.rec.as_mut()) else {
                continue;
            };
            let m = rec.events & what & Ev::IO;
            if !m.is_empty() {
                q.activate(rec, idx, m, 1);
            }
        }
    }

    pub(crate) fn activate_signal(&mut self, signo: i32, count: u16) {
        let n = self.sigs[signo as usize].events.len();
        for k in 0..n {
            let Some(&idx) = self.sigs[signo as usize].events.get(k) else {
                break;
            };
            self.activate_nolock(idx, Ev::SIGNAL, count);
        }
    }

    pub(crate) fn process_io(&mut self, ready: &[sys::Ready]) {
        let sig_fd = self.sig_pair.map_or(-1, |p| p.0);
        let notify_fd = self.notify_fd;
        let mut internal = false;
        {
            // One borrow split for the whole batch: the fd lists are read
            // while records and queues change.
            let (fds, slots, q) = self.split();
            // `Act::activate`, unrolled for a batch: the counters live in
            // locals and are written back once.
            let mut seq = q.seq;
            let (mut added, mut counted) = (0usize, 0usize);
            let running = q.running_priority;
            let last_pri = q.active.len() - 1;
            for r in ready {
                let fd = sys::ready_fd(r);
                // The internal fds have no events in `fds`: checked only
                // when a ready fd has none.
                let events = match fds.get(fd as usize) {
                    Some(entry) if !entry.events.is_empty() => &entry.events,
                    _ => {
                        internal |= fd == sig_fd || fd == notify_fd;
                        continue;
                    }
                };
                for &idx in events {
                    let Some(rec) = slots.get_mut(idx as usize).and_then(|s| s.rec.as_mut()) else {
                        continue;
                    };
                    let m = rec.events & sys::ready_ev(r) & Ev::IO;
                    if m.is_empty() {
                        continue;
                    }
                    let st = rec.state;
                    if st & (state::FINALIZING | state::ACTIVE) != 0 {
                        if st & state::FINALIZING == 0 {
                            rec.res |= m;
                        }
                        continue;
                    }
                    rec.res = m;
                    if (rec.pri as i32) < running {
                        q.event_continue = true;
                    }
                    rec.ncalls = 1;
                    rec.state = st | state::ACTIVE;
                    seq = seq.wrapping_add(1);
                    rec.active_seq = seq;
                    added += 1;
                    counted += (st & state::INTERNAL == 0) as usize;
                    q.active[(rec.pri as usize).min(last_pri)].push_back((idx, seq));
                }
            }
            q.seq = seq;
            q.n_active += added;
            q.n_active_max = q.n_active_max.max(q.n_active);
            q.event_count += counted;
            q.event_count_max = q.event_count_max.max(q.event_count);
        }
        if internal {
            // The signal pair and the notify fd, after the program's fds (as
            // libevent's internal signal event runs after the I/O pass).
            for r in ready {
                let fd = sys::ready_fd(r);
                if fd == sig_fd {
                    self.read_signals(fd);
                } else if fd == notify_fd {
                    let mut buf = [0u8; 8];
                    sys::drain(fd, &mut buf);
                }
            }
        }
    }

    pub(crate) fn read_signals(&mut self, fd: RawFd) {
        let mut counts = [0u16; sig::NSIG];
        let mut buf = [0u8; 1024];
        loop {
            match sys::read_into(fd, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    for &b in &buf[..n] {
                        if let Some(c) = counts.get_mut(b as usize) {
                            *c = c.saturating_add(1);
                        }
                    }
                    if n < buf.len() {
                        break;
                    }
                }
            }
        }
        for (signo, &c) in counts.iter().enumerate() {
            if c > 0 {
                self.activate_signal(signo as i32, c);
            }
        }
    }

    /// Whether a common-queue entry is still its record's timeout (removal
    /// from those queues is lazy).
    fn common_entry_live(&self, queue: usize, entry: &CommonEntry) -> bool {
        self.slots[entry.slot as usize]
            .rec
            .as_ref()
            .is_some_and(|r| {
                r.state & state::TIMEOUT != 0
                    && r.common as usize == queue + 1
                    && r.timer_seq == entry.seq
            })
    }

    pub(crate) fn next_timeout(&mut self) -> Option<Duration> {
        let mut earliest = self.timers.peek().map(|(at, _)| at);
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                if self.common_entry_live(qi, front) {
                    earliest = Some(earliest.map_or(front.at, |e| e.min(front.at)));
                    break;
                }
                self.common[qi].queue.pop_front();
            }
        }
        let at = earliest?;
        let now = self.now();
        Some(Duration::from_nanos(at.saturating_sub(now)))
    }

    pub(crate) fn expire(&mut self, idx: u32) {
        // The timeout is already off its queue: clear the flag, then delete
        // the rest (I/O registration, activation) as libevent does.
        let rec = self.r(idx);
        let st = rec.state & !state::TIMEOUT;
        rec.state = st;
        let signal = rec.events.contains(Ev::SIGNAL);
        if st & state::INTERNAL == 0 {
            self.act.event_count -= 1;
        }
        if st & (state::ACTIVE | state::INSERTED) != 0 || signal {
            self.del_nolock(idx);
        }
        self.activate_nolock(idx, Ev::TIMEOUT, 1);
    }

    pub(crate) fn timeout_process(&mut self) {
        let now = self.now();
        while let Some(idx) = self.timers.pop_due(now) {
            // Records of expiring timers are scattered: start loading the
            // one a few places ahead while this one is handled.
            if let Some(ahead) = self.timers.upcoming(PREFETCH_AHEAD) {
                if let Some(slot) = self.slots.get(ahead as usize) {
                    sys::prefetch(slot);
                }
            }
            self.expire(idx);
        }
        for qi in 0..self.common.len() {
            while let Some(front) = self.common[qi].queue.front() {
                if front.at > now {
                    if self.common_entry_live(qi, front) {
                        break;
                    }
                    self.common[qi].queue.pop_front();
                    continue;
                }
                let entry = self.common[qi].queue.pop_front().expect("front exists");
                if self.common_entry_live(qi, &entry) {
                    self.expire(entry.slot);
                }
            }
        }
    }

    pub(crate) fn rearm_persist(&mut self, idx: u32) {
        let now = self.now();
        let rec = self.r(idx);
        if rec.period == 0 {
            return;
        }
        let delay = rec.period;
        let relative = if rec.res.contains(Ev::TIMEOUT) {
            rec.deadline
        } else {
            now
        };
        let mut run_at = relative.saturating_add(delay);
        if run_at < now {
            run_at = now.saturating_add(delay);
        }
        let common = rec.period_common;
        rec.common = common;
        let _ = self.add_nolock(idx, Some(When::At(run_at)));
    }

    pub(crate) fn reinit(&mut self) -> Result<()> {
        let backend: Arc<dyn Backend> =
            Arc::from(self.method.build(self.changelist, self.precise)?);
        for (fd, entry) in self.fds.iter().enumerate() {
            if !entry.reg.is_empty() {
                if let Err(e) = backend.change(fd as RawFd, Ev::NONE, entry.reg) {
                    crate::log::warn(format_args!("event_reinit: cannot re-add fd {fd}: {e}"));
                }
            }
        }
        self.backend = backend;
        if self.notify_fd >= 0 {
            sys::close(self.notify_fd);
            let fd = sys::eventfd()?;
            self.backend.change(fd, Ev::NONE, Ev::READ)?;
            self.notify_fd = fd;
        }
        if let Some((r, w)) = self.sig_pair.take() {
            sys::close(r);
            sys::close(w);
            let (_, w) = self.ensure_sig_pair()?;
            for (signo, entry) in self.sigs.iter().enumerate() {
                if !entry.events.is_empty() {
                    sig::set_target(signo as i32, w);
                }
            }
        }
        Ok(())
    }
}

impl<H> Record<H> {
    /// The queue an absolute re-arm goes to: the persist period's queue.
    pub(crate) fn common_hint(&self) -> u16 {
        self.common
    }
}

impl<H> Drop for Core<H> {
    fn drop(&mut self) {
        let w = self.sig_pair.map_or(-1, |p| p.1);
        for (signo, entry) in self.sigs.iter_mut().enumerate() {
            if let Some(saved) = entry.saved.take() {
                sig::clear_target(signo as i32, w);
                sig::restore(signo as i32, &saved);
            }
        }
        if let Some((r, w)) = self.sig_pair.take() {
            sys::close(r);
            sys::close(w);
        }
        if self.notify_fd >= 0 {
            sys::close(self.notify_fd);
        }
    }
}

/// One priority's queue of activations: `(slot, activation sequence)`,
/// validated lazily against the record when popped. A vector with a read
/// cursor: pushes append, pops advance, and the storage is reused once the
/// queue drains.
#[derive(Default)]
pub(crate) struct ActiveQueue {
    buf: Vec<(u32, u32)>,
    head: usize,
}

impl ActiveQueue {
    #[inline]
    pub(crate) fn push_back(&mut self, e: (u32, u32)) {
        self.buf.push(e);
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<(u32, u32)> {
        let e = *self.buf.get(self.head)?;
        self.head += 1;
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
        }
        Some(e)
    }

    #[inline]
    pub(crate) fn front(&self) -> Option<&(u32, u32)> {
        self.buf.get(self.head)
    }

    /// Entries queued (live or stale).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// The slot `k` places behind the front, if queued (a prefetch hint).
    #[inline]
    pub(crate) fn ahead(&self, k: usize) -> Option<u32> {
        self.buf.get(self.head + k).map(|e| e.0)
    }
}

/// The active queues and the counters that activation changes, apart from
/// the records so that a record and the queues can change together.
pub(crate) struct Act {
    pub(crate) active: Vec<ActiveQueue>,
    pub(crate) seq: u32,
    pub(crate) n_active: usize,
    pub(crate) n_active_max: usize,
    pub(crate) event_count: usize,
    pub(crate) event_count_max: usize,
    pub(crate) running_priority: i32,
    pub(crate) event_continue: bool,
}

impl Act {
    /// Queues for `npri` priorities, nothing active.
    pub(crate) fn new(npri: usize) -> Act {
        Act {
            active: (0..npri).map(|_| ActiveQueue::default()).collect(),
            seq: 0,
            n_active: 0,
            n_active_max: 0,
            event_count: 0,
            event_count_max: 0,
            running_priority: -1,
            event_continue: false,
        }
    }

    /// A persistent event popped (with state `st`) to run: it leaves the
    /// active queue and stays pending. Returns whether its period must be
    /// re-armed before the callback.
    #[inline(always)]
    pub(crate) fn leave_to_run<H>(&mut self, rec: &mut Record<H>, st: u8) -> bool {
        rec.state = st & !state::ACTIVE;
        self.n_active -= 1;
        self.event_count -= (st & state::INTERNAL == 0) as usize;
        rec.period != 0
    }

    /// libevent's `event_active_nolock_`: merges results into an active
    /// event, or queues it at its priority.
    #[inline]
    pub(crate) fn activate<H>(&mut self, rec: &mut Record<H>, idx: u32, what: Ev, ncalls: u16) {
        let st = rec.state;
        if st & (state::FINALIZING | state::ACTIVE) != 0 {
            if st & state::FINALIZING == 0 {
                rec.res |= what;
            }
            return;
        }
        rec.res = what;
        if (rec.pri as i32) < self.running_priority {
            self.event_continue = true;
        }
        // Only signals read it; setting it always saves a branch.
        rec.ncalls = ncalls;
        rec.state = st | state::ACTIVE;
        self.seq = self.seq.wrapping_add(1);
        rec.active_seq = self.seq;
        if st & state::INTERNAL == 0 {
            self.event_count += 1;
            self.event_count_max = self.event_count_max.max(self.event_count);
        }
        self.n_active += 1;
        self.n_active_max = self.n_active_max.max(self.n_active);
        let pri = (rec.pri as usize).min(self.active.len() - 1);
        self.active[pri].push_back((idx, self.seq));
    }
}
