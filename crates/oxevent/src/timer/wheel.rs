//! A lazily sorted timing wheel: the timer queue for arbitrary deadlines,
//! a drop-in replacement for [`TimerHeap`] with O(1) schedule and remove and
//! pops that cost one sort per bucket instead of a sift per timer.
//!
//! Deadlines are `u64` nanoseconds; `slot` is the engine's dense record
//! index. The order is exact: `(deadline, schedule sequence)`, so equal
//! deadlines fire in the order they were scheduled (a re-schedule counts as
//! a new schedule). The sequence is a `u64` and never wraps.
//!
//! # Layout
//!
//! * **Slot tables.** `keys[slot]` is the slot's deadline and sequence
//!   (16 bytes), `locs[slot]` where its entry lives: a bucket and index, the
//!   run, the overflow, or nowhere (8 bytes).
//! * **Wheel.** Time is cut into buckets of `2^GRANULARITY_SHIFT` ns
//!   (~1.05 ms) on absolute time. The wheel holds the buckets
//!   `[cur, cur + WHEEL_BUCKETS)` (~4.4 s), each an *unsorted* `Vec` of slot
//!   numbers (4 bytes a timer); a two-level bitmap finds the next non-empty
//!   bucket in a few word operations. Schedule is a push, remove a
//!   `swap_remove` that fixes the moved slot's index.
//! * **Run.** When the earliest bucket is needed (`peek`, `pop_due`) its
//!   slots' keys are gathered into `(deadline, sequence, slot)` entries,
//!   sorted once and added to the run, a `Vec` sorted descending and popped
//!   from the back. The bucket is marked *opened*: later schedules into it
//!   (or into the past, before `cur`) are inserted into the run at their
//!   sorted place when that moves few entries, otherwise into `late`, a
//!   binary heap consulted beside the run. Removing a run entry only marks
//!   its slot unscheduled: the entry turns into garbage, skipped when it
//!   reaches the front and swept when garbage outweighs the live entries.
//! * **Overflow.** Deadlines at or beyond the horizon (`u64::MAX`
//!   included) wait in a [`TimerHeap`]; when the cursor advances they move
//!   into the wheel as their bucket comes within the horizon, and when
//!   nothing nearer exists the earliest of them (all entries sharing its
//!   deadline, ordered by our sequence, not the heap's) move into the run.
//!
//! Why slot numbers in the buckets rather than whole entries: with keys in
//! the buckets a timer costs 24 + 16 bytes and a remove touches three
//! places of a 40 MB working set at 1M timers, which spills this machine's
//! 32 MB L3 and made remove slower than the heap's (40 ns against 27); with
//! slot numbers the remove path touches 12 MB (11–20 ns), and the keys are
//! gathered once per timer when its bucket is sorted (independent loads,
//! which the CPU overlaps). A scheduled timer costs 24 bytes of slot tables
//! plus 4 in its bucket, and 24 more while it sits in the run.
//!
//! # The cursor
//!
//! `cur` follows time, not the entries: it advances to the bucket of each
//! popped deadline and, when `pop_due(now)` finds nothing due, to the bucket
//! of `now`. A far-away `peek` therefore never drags the cursor ahead of
//! the present (which would turn every nearer schedule into a run insert).
//! It moves backwards only while the run is empty and no wheel entry would
//! fall off the far end (for instance when timers are scheduled in random
//! order before the first pop), and jumps freely when nothing is scheduled.
//! The engine must therefore drain `pop_due(now)` with the current time, as
//! its timeout processing does; a cursor left behind stays correct but
//! sends more timers to the overflow and the run.
//!
//! An opened bucket stays opened until the cursor passes it, which happens
//! only once all of its entries (live or garbage) have left the run; so a
//! slot whose location names an opened bucket is in the run, and the entry
//! gathered from that bucket is its live one. Opening a bucket therefore
//! never writes the slot tables.
//!
//! # Memory
//!
//! Buffers keep their capacity: a bucket's `Vec` goes back to a small pool
//! of spare buffers when it is opened (its next turn is a revolution away)
//! and comes from the pool when a bucket fills again, so the steady state
//! allocates nothing; buffers far larger than current needs are dropped.
//!
//! This module owns deadlines only: it never reads a clock (time reaches it
//! as the `now` given to [`TimerWheel::pop_due`]) and knows nothing of
//! events; the engine decides what firing means.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, TryReserveError};

use super::heap::TimerHeap;

/// log2 of a bucket's width in nanoseconds: 2^20 ns ≈ 1.05 ms.
pub(crate) const GRANULARITY_SHIFT: u32 = 20;
/// Buckets on the wheel: 4096 × 1.05 ms ≈ 4.4 s of horizon.
pub(crate) const WHEEL_BUCKETS: usize = 4096;

const W: u64 = WHEEL_BUCKETS as u64;
const WORDS: usize = WHEEL_BUCKETS / 64;
const _: () = assert!(WHEEL_BUCKETS.is_power_of_two() && WORDS >= 1 && WORDS <= 64);

/// `Loc::tag` of a slot that is not scheduled.
const NONE: u32 = u32::MAX;
/// `Loc::tag` of a slot inserted into the run (past, opened bucket or
/// taken from the overflow); also `Entry::origin` of such entries.
const RUN: u32 = u32::MAX - 1;
/// `Loc::tag` of a slot waiting in the overflow heap.
const OVER: u32 = u32::MAX - 2;

/// A run insert that would move more entries than this goes to `late`.
const MAX_SHIFT: usize = 64;
/// Garbage in the run is swept once it reaches this and outweighs the live.
const SWEEP_MIN: usize = 64;
/// Spare bucket buffers kept for reuse.
const SPARE_BUFFERS: usize = 64;
/// Buffers larger than this (in slots) are not kept as spares.
const SPARE_MAX_CAPACITY: usize = 1 << 16;
/// A bucket emptied by removes keeps a buffer up to this size.
const KEEP_CAPACITY: usize = 256;
/// The run keeps at most this capacity, or four times its current need.
const RUN_KEEP_CAPACITY: usize = 1 << 16;

#[inline]
fn bucket_of(at: u64) -> u64 {
    at >> GRANULARITY_SHIFT
}

#[inline]
fn index_of(bucket: u64) -> usize {
    (bucket % W) as usize
}

/// A slot's current deadline and schedule sequence.
#[derive(Copy, Clone, Debug)]
struct Key {
    at: u64,
    seq: u64,
}

/// Where a slot's entry lives.
#[derive(Copy, Clone, Debug)]
struct Loc {
    /// `NONE`, `RUN`, `OVER`, or a bucket index (in the run if opened).
    tag: u32,
    /// The slot's index in its bucket (buckets only).
    pos: u32,
}

impl Loc {
    const FREE: Loc = Loc { tag: NONE, pos: 0 };
}

/// An entry of the run.
#[derive(Copy, Clone, Debug)]
struct Entry {
    at: u64,
    seq: u64,
    slot: u32,
    /// The bucket index it was gathered from, or `RUN`.
    origin: u32,
}

impl Entry {
    /// The total order: deadline, then schedule sequence.
    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.seq)
    }
}

/// Descending key order (the run is popped from the back).
#[inline]
fn descending(a: &Entry, b: &Entry) -> Ordering {
    b.key().cmp(&a.key())
}

/// Whether an entry with key `k` may be pushed on the back of `run` (it is
/// empty or its back is later).
#[inline]
fn fits_at_back(run: &[Entry], k: u128) -> bool {
    run.last().map_or(true, |last| k < last.key())
}

/// Whether a run entry is its slot's live entry (not garbage).
#[inline]
fn is_live(keys: &[Key], locs: &[Loc], e: &Entry) -> bool {
    let tag = locs[e.slot as usize].tag;
    if e.origin == RUN {
        tag == RUN && keys[e.slot as usize].seq == e.seq
    } else {
        // Gathered from opened bucket `origin`: the slot has no other
        // entry from that opening, and cannot return to that bucket while
        // it is opened.
        tag == e.origin
    }
}

/// An entry in `late`, ordered so the max-heap's top is the earliest.
#[derive(Copy, Clone, Debug)]
struct Late(Entry);

impl PartialEq for Late {
    fn eq(&self, other: &Self) -> bool {
        self.0.key() == other.0.key()
    }
}

impl Eq for Late {}

impl PartialOrd for Late {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Late {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.key().cmp(&self.0.key())
    }
}

/// `WHEEL_BUCKETS` bits with a summary word of non-zero words.
#[derive(Clone, Debug)]
struct Bitmap {
    words: [u64; WORDS],
    summary: u64,
}

impl Default for Bitmap {
    fn default() -> Self {
        Bitmap {
            words: [0; WORDS],
            summary: 0,
        }
    }
}

impl Bitmap {
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
        self.summary |= 1 << (i / 64);
    }

    #[inline]
    fn clear(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] &= !(1 << (i % 64));
        if self.words[w] == 0 {
            self.summary &= !(1 << w);
        }
    }

    fn clear_all(&mut self) {
        let mut s = self.summary;
        while s != 0 {
            self.words[s.trailing_zeros() as usize] = 0;
            s &= s - 1;
        }
        self.summary = 0;
    }

    /// The distance from `start` to the first set bit at or after it,
    /// going round the wheel.
    #[inline]
    fn next_from(&self, start: usize) -> Option<usize> {
        let w = start / 64;
        let here = self.words[w] & (u64::MAX << (start % 64));
        if here != 0 {
            return Some(w * 64 + here.trailing_zeros() as usize - start);
        }
        let later = if w + 1 < 64 {
            self.summary & (u64::MAX << (w + 1))
        } else {
            0
        };
        if later != 0 {
            let w2 = later.trailing_zeros() as usize;
            return Some(w2 * 64 + self.words[w2].trailing_zeros() as usize - start);
        }
        // Wrapped: words 0..=w (word w's bits at or after `start` are clear).
        let earlier = self.summary & (u64::MAX >> (63 - w));
        if earlier != 0 {
            let w2 = earlier.trailing_zeros() as usize;
            let bit = w2 * 64 + self.words[w2].trailing_zeros() as usize;
            return Some(bit + WHEEL_BUCKETS - start);
        }
        None
    }

    /// Whether any bit is set among `span` bits from `start`, round the wheel.
    #[inline]
    fn any_in(&self, start: usize, span: usize) -> bool {
        self.next_from(start).is_some_and(|d| d < span)
    }

    /// Clears the `span` bits from `start`, round the wheel.
    fn clear_span(&mut self, start: usize, span: usize) {
        while let Some(d) = self.next_from(start) {
            if d >= span {
                break;
            }
            self.clear((start + d) % WHEEL_BUCKETS);
        }
    }
}

/// The timing wheel (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct TimerWheel {
    /// Per slot: its latest deadline and sequence.
    keys: Vec<Key>,
    /// Per slot: where its entry lives.
    locs: Vec<Loc>,
    /// `WHEEL_BUCKETS` unsorted buckets of slots once anything was scheduled.
    buckets: Vec<Vec<u32>>,
    /// Empty bucket buffers for reuse.
    spare: Vec<Vec<u32>>,
    /// Buckets holding entries.
    nonempty: Bitmap,
    /// Buckets whose entries were moved into the run.
    opened: Bitmap,
    /// The lowest bucket the wheel holds; every wheel entry's bucket is in
    /// `[cur, cur + WHEEL_BUCKETS)`, every overflow entry's beyond.
    cur: u64,
    /// Sorted descending by key, garbage included; the back is the earliest.
    run: Vec<Entry>,
    /// Run entries that could not be inserted into `run` cheaply.
    late: BinaryHeap<Late>,
    /// Live entries in `run` and `late`.
    run_live: usize,
    /// Garbage (removed or re-scheduled) entries in `run` and `late`.
    run_dead: usize,
    /// Deadlines beyond the horizon.
    overflow: TimerHeap,
    /// Scratch space for merges into the run.
    merge_buf: Vec<Entry>,
    /// Scratch space for entries joining a non-empty run.
    batch_buf: Vec<Entry>,
    /// The last schedule's sequence.
    seq: u64,
    /// Scheduled slots.
    len: usize,
}

impl TimerWheel {
    /// The earliest deadline and its slot. Takes `&mut self`: it may sort
    /// the earliest bucket into the run.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<(u64, u32)> {
        self.front().map(|(e, _)| (e.at, e.slot))
    }

    /// The deadline of `slot`, if it is scheduled.
    #[cfg(test)]
    pub(crate) fn deadline(&self, slot: u32) -> Option<u64> {
        match self.locs.get(slot as usize) {
            Some(l) if l.tag != NONE => Some(self.keys[slot as usize].at),
            _ => None,
        }
    }

    /// Makes room for one more entry for `slot` at `at`, wherever
    /// [`TimerWheel::schedule`] may put it (its bucket, the run, `late`,
    /// the overflow), so that scheduling never allocates. The only
    /// allocations after this are on the pop side, when a bucket sorted
    /// into the run outgrows the buffers kept from earlier pops.
    pub(crate) fn prepare(&mut self, slot: u32, at: u64) -> Result<(), TryReserveError> {
        if slot as usize >= self.locs.len() {
            self.reserve_slots(slot as usize + 1)?;
        }
        if self.buckets.is_empty() {
            self.buckets.try_reserve_exact(WHEEL_BUCKETS)?;
            self.buckets.resize_with(WHEEL_BUCKETS, Vec::new);
        }
        let i = index_of(bucket_of(at));
        // An opened bucket's entries go to the run: its (taken) buffer
        // must not be refilled from the spares.
        let bucket = &mut self.buckets[i];
        if !self.opened.get(i) && bucket.len() == bucket.capacity() {
            match self.spare.pop() {
                Some(buffer) if bucket.capacity() == 0 => *bucket = buffer,
                spare => {
                    if let Some(buffer) = spare {
                        self.spare.push(buffer);
                    }
                    bucket.try_reserve(1)?;
                }
            }
        }
        if self.run.len() == self.run.capacity() {
            self.run.try_reserve(1)?;
        }
        if self.late.len() == self.late.capacity() {
            self.late.try_reserve(1)?;
        }
        // The overflow holds deadlines beyond the horizon of the cursor
        // (which only moves back or to the deadline when it is placed).
        if bucket_of(at) >= self.cur + W {
            self.overflow.prepare(slot)?;
        }
        Ok(())
    }

    /// Makes the slot tables hold at least `n` slots (fallible).
    pub(crate) fn reserve_slots(&mut self, n: usize) -> Result<(), TryReserveError> {
        if n <= self.locs.len() {
            return Ok(());
        }
        let len = n.next_multiple_of(1024);
        self.locs.try_reserve_exact(len - self.locs.len())?;
        self.keys.try_reserve_exact(len - self.keys.len())?;
        self.locs.resize(len, Loc::FREE);
        self.keys.resize(len, Key { at: 0, seq: 0 });
        Ok(())
    }

    /// Schedules `slot` at `at`, replacing any earlier schedule of it. Fails
    /// (with nothing changed) only when memory runs out.
    #[inline]
    pub(crate) fn schedule(&mut self, slot: u32, at: u64) -> Result<(), TryReserveError> {
        // The common case, inline: an unscheduled slot whose deadline falls
        // in a wheel bucket that has room (with nothing scheduled and
        // nothing left over, the cursor simply moves to that bucket).
        let s = slot as usize;
        let b = bucket_of(at);
        if s < self.locs.len() && self.locs[s].tag == NONE {
            if self.len == 0 {
                // Nothing scheduled: what the run holds is garbage, and
                // the cursor may jump (a timer re-armed from its own
                // callback, the bucket it fired from still opened).
                if !(self.run.is_empty() && self.late.is_empty() && self.opened.summary == 0) {
                    self.clear_run();
                }
                self.cur = b;
            }
            let i = index_of(b);
            if b >= self.cur && b < self.cur + W && !self.opened.get(i) {
                if let Some(bucket) = self.buckets.get_mut(i) {
                    if bucket.len() < bucket.capacity() {
                        self.seq += 1;
                        self.keys[s] = Key { at, seq: self.seq };
                        self.locs[s] = Loc {
                            tag: i as u32,
                            pos: bucket.len() as u32,
                        };
                        bucket.push(slot);
                        self.nonempty.set(i);
                        self.len += 1;
                        return Ok(());
                    }
                }
            }
        }
        self.schedule_slow(slot, at)
    }

    #[inline(never)]
    fn schedule_slow(&mut self, slot: u32, at: u64) -> Result<(), TryReserveError> {
        self.prepare(slot, at)?;
        let s = slot as usize;
        if self.locs[s].tag != NONE {
            self.unlink(slot);
        }
        self.seq += 1;
        self.keys[s] = Key { at, seq: self.seq };
        let b = bucket_of(at);
        if self.len == 0 {
            self.reset(b);
        } else if b < self.cur && self.run_live == 0 {
            self.try_move_back(b);
        }
        self.len += 1;
        if b >= self.cur + W {
            self.overflow.schedule(slot, at);
            self.locs[s].tag = OVER;
        } else {
            self.place_near(slot, at, self.seq);
        }
        Ok(())
    }

    /// Moves a scheduled slot's deadline to `at` without moving its entry,
    /// where that keeps every invariant; returns false (nothing changed)
    /// otherwise, and the caller re-schedules. Two cases, both the refresh
    /// of an idle timeout (a bufferevent's on every read):
    /// * the slot sits in an unopened wheel bucket and `at` falls in the
    ///   same bucket (buckets are unsorted until opened);
    /// * the slot waits in the overflow heap and `at` is not earlier: the
    ///   heap entry keeps its earlier key, and whoever looks at the heap's
    ///   top ([`Self::fix_overflow_top`], [`Self::advance`],
    ///   [`Self::take_overflow`]) moves such entries to their real place
    ///   first: a compare and a store instead of two sifts.
    ///
    /// Counts as a new schedule for the order of equal deadlines.
    #[inline(always)]
    pub(crate) fn try_postpone(&mut self, slot: u32, at: u64) -> bool {
        let s = slot as usize;
        let (Some(l), Some(k)) = (self.locs.get(s), self.keys.get(s)) else {
            return false;
        };
        let in_place = if (l.tag as usize) < WHEEL_BUCKETS {
            bucket_of(at) == bucket_of(k.at) && !self.opened.get(l.tag as usize)
        } else {
            l.tag == OVER && at >= k.at
        };
        if in_place {
            self.seq += 1;
            self.keys[s] = Key { at, seq: self.seq };
        }
        in_place
    }

    /// Re-keys postponed entries at the overflow heap's top until the top
    /// holds its slot's real deadline; entries whose deadline is now within
    /// the horizon go to the wheel or the run. Returns whether any did.
    fn fix_overflow_top(&mut self) -> bool {
        let mut placed = false;
        while let Some((a, slot)) = self.overflow.peek() {
            let k = self.keys[slot as usize];
            if k.at == a {
                break;
            }
            if bucket_of(k.at) >= self.cur + W {
                self.overflow.schedule(slot, k.at);
            } else {
                self.overflow.remove(slot);
                self.place_near(slot, k.at, k.seq);
                placed = true;
            }
        }
        placed
    }

    /// Unschedules `slot`; returns whether it was scheduled.
    #[inline(always)]
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        match self.locs.get(slot as usize) {
            Some(l) if l.tag != NONE => {
                let loc = *l;
                // The common case, inline: an entry in a wheel bucket.
                if (loc.tag as usize) < WHEEL_BUCKETS && !self.opened.get(loc.tag as usize) {
                    self.wheel_remove(loc.tag as usize, loc.pos as usize);
                    self.locs[slot as usize].tag = NONE;
                    self.len -= 1;
                } else {
                    self.unlink(slot);
                }
                true
            }
            _ => false,
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`. A call
    /// that finds nothing due moves the cursor up to `now`.
    #[inline]
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<u32> {
        match self.front() {
            Some((e, from_late)) if e.at <= now => {
                if from_late {
                    self.late.pop();
                } else {
                    self.run.pop();
                }
                self.locs[e.slot as usize].tag = NONE;
                self.len -= 1;
                self.run_live -= 1;
                // Nothing earlier than the popped entry remains.
                let b = bucket_of(e.at);
                if b > self.cur && self.len > 0 {
                    self.advance(b);
                }
                Some(e.slot)
            }
            _ => {
                // Nothing at or before `now` remains.
                let b = bucket_of(now);
                if b > self.cur && self.len > 0 {
                    self.advance(b);
                }
                None
            }
        }
    }

    /// The slot `k` places behind the earliest entry of the sorted run, if
    /// the run holds that many (possibly a removed entry): a hint for
    /// prefetching the records that are about to expire.
    #[inline]
    pub(crate) fn upcoming(&self, k: usize) -> Option<u32> {
        let n = self.run.len();
        (k < n).then(|| self.run[n - 1 - k].slot)
    }

    /// Whether a slot whose location has tag `t` lives in the run.
    #[inline]
    fn in_run(&self, t: u32) -> bool {
        t == RUN || ((t as usize) < WHEEL_BUCKETS && self.opened.get(t as usize))
    }

    /// Takes `slot`'s entry out of wherever it lives (it must be scheduled).
    fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        let loc = self.locs[s];
        match loc.tag {
            OVER => {
                self.overflow.remove(slot);
            }
            t if self.in_run(t) => {
                self.run_live -= 1;
                self.run_dead += 1;
            }
            t => self.wheel_remove(t as usize, loc.pos as usize),
        }
        self.locs[s].tag = NONE;
        self.len -= 1;
        if self.run_dead >= SWEEP_MIN && self.run_dead > self.run_live {
            self.sweep();
        }
    }

    /// Puts a slot whose bucket is below the horizon in the run or wheel.
    #[inline]
    fn place_near(&mut self, slot: u32, at: u64, seq: u64) {
        let b = bucket_of(at);
        debug_assert!(b < self.cur + W);
        let i = index_of(b);
        if b < self.cur || self.opened.get(i) {
            return self.run_insert(Entry {
                at,
                seq,
                slot,
                origin: RUN,
            });
        }
        let bucket = &mut self.buckets[i];
        if bucket.capacity() == 0 {
            if let Some(buffer) = self.spare.pop() {
                *bucket = buffer;
            }
        }
        self.locs[slot as usize] = Loc {
            tag: i as u32,
            pos: bucket.len() as u32,
        };
        bucket.push(slot);
        self.nonempty.set(i);
    }

    #[inline]
    fn wheel_remove(&mut self, i: usize, pos: usize) {
        let bucket = &mut self.buckets[i];
        // A swap-remove written so the removed entry is never read: its
        // line is usually cold (removes come in any order), and only stores
        // go to it and to the moved slot's location, which the CPU retires
        // without waiting for the lines.
        let last = bucket.pop().expect("a wheel location names a live entry");
        if pos < bucket.len() {
            bucket[pos] = last;
            self.locs[last as usize].pos = pos as u32;
        } else if bucket.is_empty() {
            self.nonempty.clear(i);
            if bucket.capacity() > KEEP_CAPACITY {
                let buffer = std::mem::take(bucket);
                self.give_back(buffer);
            }
        }
    }

    /// Keeps an emptied bucket buffer for reuse, unless there are enough.
    fn give_back(&mut self, buffer: Vec<u32>) {
        debug_assert!(buffer.is_empty());
        let c = buffer.capacity();
        if c > 0 && c <= SPARE_MAX_CAPACITY && self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buffer);
        }
    }

    /// Inserts a live entry into the run: in `run` at its sorted place when
    /// few entries move, else in `late`.
    fn run_insert(&mut self, entry: Entry) {
        self.locs[entry.slot as usize].tag = RUN;
        self.run_live += 1;
        let k = entry.key();
        if fits_at_back(&self.run, k) {
            self.run.push(entry);
            return;
        }
        let i = self.run.partition_point(|e| e.key() > k);
        if self.run.len() - i <= MAX_SHIFT {
            self.run.insert(i, entry);
        } else {
            self.late.push(Late(entry));
        }
    }

    /// Merges `batch` (sorted descending, not empty) into `run`.
    fn merge_into_run(&mut self, batch: &[Entry]) {
        let top = batch[0].key();
        if fits_at_back(&self.run, top) {
            self.run.extend_from_slice(batch);
            return;
        }
        // The run's entries below `top` form a suffix: merge only that.
        let split = self.run.partition_point(|e| e.key() > top);
        let mut merged = std::mem::take(&mut self.merge_buf);
        let (mut a, mut b) = (&self.run[split..], batch);
        while let (Some(x), Some(y)) = (a.first(), b.first()) {
            if x.key() > y.key() {
                merged.push(*x);
                a = &a[1..];
            } else {
                merged.push(*y);
                b = &b[1..];
            }
        }
        merged.extend_from_slice(a);
        merged.extend_from_slice(b);
        self.run.truncate(split);
        self.run.extend_from_slice(&merged);
        merged.clear();
        self.merge_buf = merged;
    }

    /// The earliest live entry and whether it is `late`'s top (else the
    /// run's back). Sorts the earliest bucket into the run, or takes the
    /// earliest overflow deadline, when either comes first.
    #[inline]
    fn front(&mut self) -> Option<(Entry, bool)> {
        loop {
            while let Some(e) = self.run.last() {
                if is_live(&self.keys, &self.locs, e) {
                    break;
                }
                self.run.pop();
                self.run_dead -= 1;
            }
            while let Some(l) = self.late.peek() {
                if is_live(&self.keys, &self.locs, &l.0) {
                    break;
                }
                self.late.pop();
                self.run_dead -= 1;
            }
            let best = match (self.run.last(), self.late.peek()) {
                (Some(r), Some(l)) if l.0.key() < r.key() => Some((l.0, true)),
                (Some(r), _) => Some((*r, false)),
                (None, Some(l)) => Some((l.0, true)),
                (None, None) => None,
            };
            let best_bucket = best.map(|(e, _)| bucket_of(e.at));
            // A wheel bucket at or before the best one's must join the run
            // (the same bucket happens after overflow entries moved in).
            if best_bucket.map_or(true, |b| b >= self.cur) {
                if let Some(d) = self.nonempty.next_from(index_of(self.cur)) {
                    let bw = self.cur + d as u64;
                    if best_bucket.map_or(true, |b| bw <= b) {
                        self.open(bw);
                        continue;
                    }
                }
            }
            if best_bucket.map_or(true, |b| b >= self.cur + W) {
                if self.fix_overflow_top() {
                    continue;
                }
                if let Some((at, _)) = self.overflow.peek() {
                    if best.map_or(true, |(e, _)| at <= e.at) {
                        self.take_overflow(at);
                        continue;
                    }
                }
            }
            return best;
        }
    }

    /// Sorts wheel bucket `bw` into the run and marks it opened.
    fn open(&mut self, bw: u64) {
        let i = index_of(bw);
        self.nonempty.clear(i);
        self.opened.set(i);
        if self.buckets[i].len() == 1 && self.run.len() < self.run.capacity() {
            // One entry (a sparse wheel, or a timer re-armed every turn):
            // no batch to sort, and the bucket keeps its buffer.
            let slot = self.buckets[i][0];
            self.buckets[i].clear();
            let k = self.keys[slot as usize];
            let e = Entry {
                at: k.at,
                seq: k.seq,
                slot,
                origin: i as u32,
            };
            self.run_live += 1;
            if fits_at_back(&self.run, e.key()) {
                self.run.push(e);
            } else {
                let pos = self.run.partition_point(|x| x.key() > e.key());
                self.run.insert(pos, e);
            }
            return;
        }
        let mut slots = std::mem::take(&mut self.buckets[i]);
        let n = slots.len();
        let into_run = self.run.is_empty();
        let mut batch = if into_run {
            // The run is empty: a good moment to give back what a burst
            // left behind (here and in the scratch buffers and `late`).
            let keep = RUN_KEEP_CAPACITY.max(4 * n);
            let mut run = std::mem::take(&mut self.run);
            if run.capacity() > keep {
                run.shrink_to(RUN_KEEP_CAPACITY.max(2 * n));
            }
            for buf in [&mut self.batch_buf, &mut self.merge_buf] {
                if buf.capacity() > keep {
                    buf.shrink_to(RUN_KEEP_CAPACITY);
                }
            }
            if self.late.is_empty() && self.late.capacity() > RUN_KEEP_CAPACITY {
                self.late.shrink_to(RUN_KEEP_CAPACITY);
            }
            run
        } else {
            std::mem::take(&mut self.batch_buf)
        };
        let keys = &self.keys;
        batch.extend(slots.iter().map(|&slot| {
            let k = keys[slot as usize];
            Entry {
                at: k.at,
                seq: k.seq,
                slot,
                origin: i as u32,
            }
        }));
        batch.sort_unstable_by(descending);
        self.run_live += n;
        if into_run {
            self.run = batch;
        } else {
            self.merge_into_run(&batch);
            batch.clear();
            self.batch_buf = batch;
        }
        slots.clear();
        self.give_back(slots);
    }

    /// Moves every overflow entry whose deadline is `at` into the run (all
    /// of them, so their order comes from our sequence, not the heap's).
    fn take_overflow(&mut self, at: u64) {
        let mut batch = std::mem::take(&mut self.batch_buf);
        while let Some((a, slot)) = self.overflow.peek() {
            if a != at {
                break;
            }
            let real = self.keys[slot as usize].at;
            if real != a {
                // Postponed in place: later than `at`, so still beyond
                // the horizon.
                self.overflow.schedule(slot, real);
                continue;
            }
            self.overflow.remove(slot);
            self.locs[slot as usize].tag = RUN;
            batch.push(Entry {
                at,
                seq: self.keys[slot as usize].seq,
                slot,
                origin: RUN,
            });
        }
        batch.sort_unstable_by(descending);
        self.run_live += batch.len();
        self.merge_into_run(&batch);
        batch.clear();
        self.batch_buf = batch;
    }

    /// Moves the cursor forward to `to`. Nothing may be scheduled before
    /// bucket `to` except past entries already in the run.
    fn advance(&mut self, to: u64) {
        let span = (to - self.cur).min(W) as usize;
        debug_assert!(!self.nonempty.any_in(index_of(self.cur), span));
        if span == WHEEL_BUCKETS {
            self.opened.clear_all();
        } else {
            self.opened.clear_span(index_of(self.cur), span);
        }
        self.cur = to;
        // Overflow entries whose bucket is now within the horizon.
        while let Some((a, slot)) = self.overflow.peek() {
            if bucket_of(a) >= self.cur + W {
                break;
            }
            let k = self.keys[slot as usize];
            if bucket_of(k.at) >= self.cur + W {
                // Postponed in place beyond the new horizon: re-keyed.
                self.overflow.schedule(slot, k.at);
                continue;
            }
            self.overflow.remove(slot);
            self.place_near(slot, k.at, k.seq);
        }
    }

    /// Moves the cursor back to `b` if the run is empty (checked by the
    /// caller) and no wheel entry is in the buckets that would leave the
    /// horizon.
    fn try_move_back(&mut self, b: u64) {
        let dist = self.cur - b;
        let (start, span) = if dist >= W {
            (index_of(self.cur), WHEEL_BUCKETS)
        } else {
            (index_of(b), dist as usize)
        };
        if self.nonempty.any_in(start, span) {
            return;
        }
        self.clear_run();
        self.cur = b;
    }

    /// With nothing scheduled, puts the cursor at `b`.
    fn reset(&mut self, b: u64) {
        debug_assert!(self.run_live == 0 && self.overflow.peek().is_none());
        self.clear_run();
        self.cur = b;
    }

    /// Drops the run's garbage and every opened mark (no live run entry).
    fn clear_run(&mut self) {
        debug_assert_eq!(self.run_live, 0);
        self.run.clear();
        self.late.clear();
        self.run_dead = 0;
        self.opened.clear_all();
    }

    /// Drops the garbage from `run` and `late`.
    fn sweep(&mut self) {
        let (keys, locs) = (&self.keys, &self.locs);
        self.run.retain(|e| is_live(keys, locs, e));
        self.late.retain(|l| is_live(keys, locs, &l.0));
        self.run_dead = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    const G: u64 = 1 << GRANULARITY_SHIFT;

    impl TimerWheel {
        /// Checks every invariant without changing anything.
        fn check(&self) {
            assert_eq!(self.keys.len(), self.locs.len());
            let mut scheduled = 0;
            let mut in_run = 0;
            for (slot, l) in self.locs.iter().enumerate() {
                let k = self.keys[slot];
                match l.tag {
                    NONE => continue,
                    OVER => {
                        // Postponed entries keep an earlier heap key.
                        let d = self.overflow.deadline(slot as u32).expect("in the heap");
                        assert!(d <= k.at, "heap key {d} after the deadline {}", k.at);
                        assert!(bucket_of(k.at) >= self.cur + W, "overflow within horizon");
                    }
                    t if self.in_run(t) => in_run += 1,
                    t => {
                        assert_eq!(self.buckets[t as usize][l.pos as usize], slot as u32);
                        let b = bucket_of(k.at);
                        assert!(b >= self.cur && b < self.cur + W, "bucket out of range");
                        assert_eq!(index_of(b), t as usize);
                    }
                }
                scheduled += 1;
            }
            assert_eq!(scheduled, self.len);
            assert_eq!(in_run, self.run_live);
            for (i, bucket) in self.buckets.iter().enumerate() {
                assert_eq!(self.nonempty.get(i), !bucket.is_empty(), "bitmap {i}");
                assert!(bucket.is_empty() || !self.opened.get(i), "opened {i}");
            }
            for w in 0..WORDS {
                for bm in [&self.nonempty, &self.opened] {
                    assert_eq!(bm.summary & (1 << w) != 0, bm.words[w] != 0);
                }
            }
            assert!(self.run.windows(2).all(|p| p[0].key() > p[1].key()));
            let mut seen = std::collections::HashSet::new();
            let mut live = 0;
            for e in self.run.iter().chain(self.late.iter().map(|l| &l.0)) {
                if e.origin != RUN {
                    assert!(
                        self.opened.get(e.origin as usize),
                        "gathered from a closed bucket"
                    );
                }
                if is_live(&self.keys, &self.locs, e) {
                    live += 1;
                    assert!(seen.insert(e.slot), "two live entries for slot {}", e.slot);
                    let k = self.keys[e.slot as usize];
                    assert_eq!((k.at, k.seq), (e.at, e.seq));
                }
            }
            assert_eq!(live, self.run_live);
            assert_eq!(self.run.len() + self.late.len() - live, self.run_dead);
        }
    }

    /// splitmix64: a small deterministic generator for the tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The reference: a sorted map on (deadline, sequence).
    #[derive(Default)]
    struct Model {
        by_key: BTreeMap<(u64, u64), u32>,
        of_slot: HashMap<u32, (u64, u64)>,
        seq: u64,
    }

    impl Model {
        fn schedule(&mut self, slot: u32, at: u64) {
            self.remove(slot);
            self.seq += 1;
            self.by_key.insert((at, self.seq), slot);
            self.of_slot.insert(slot, (at, self.seq));
        }

        fn remove(&mut self, slot: u32) -> bool {
            match self.of_slot.remove(&slot) {
                Some(k) => {
                    self.by_key.remove(&k);
                    true
                }
                None => false,
            }
        }

        fn peek(&self) -> Option<(u64, u32)> {
            self.by_key.first_key_value().map(|(k, s)| (k.0, *s))
        }

        fn pop_due(&mut self, now: u64) -> Option<u32> {
            let (&k, &slot) = self.by_key.first_key_value()?;
            if k.0 > now {
                return None;
            }
            self.by_key.remove(&k);
            self.of_slot.remove(&slot);
            Some(slot)
        }

        fn deadline(&self, slot: u32) -> Option<u64> {
            self.of_slot.get(&slot).map(|k| k.0)
        }
    }

    #[test]
    fn pops_in_deadline_order_then_fifo() {
        let mut w = TimerWheel::default();
        let deadlines = [50u64, 10, 30, 10, 70, 20, 10, 60, 40];
        for (slot, at) in deadlines.iter().enumerate() {
            w.schedule(slot as u32, *at).unwrap();
            w.check();
        }
        let mut out = Vec::new();
        while let Some(s) = w.pop_due(u64::MAX) {
            out.push(s);
            w.check();
        }
        assert_eq!(out, vec![1, 3, 6, 5, 2, 8, 0, 7, 4]);
    }

    #[test]
    fn fifo_ties_across_buckets_run_and_overflow() {
        // Equal deadlines in each region (wheel, run, overflow, never) keep
        // schedule order, re-schedules counting as new schedules.
        let base = 1 << 40;
        let far = base + 10 * W * G;
        let mut w = TimerWheel::default();
        let mut m = Model::default();
        let plan = [
            (0, base + 5 * G),
            (1, far),
            (2, u64::MAX),
            (3, base + 5 * G),
            (4, far),
            (5, u64::MAX),
            (6, base),
            (0, far),
            (7, base + 5 * G),
            (3, u64::MAX),
        ];
        for (slot, at) in plan {
            w.schedule(slot, at).unwrap();
            m.schedule(slot, at);
            w.check();
        }
        assert_eq!(w.peek(), m.peek());
        w.schedule(8, base).unwrap(); // into the opened bucket, after slot 6
        m.schedule(8, base);
        let mut out = Vec::new();
        while let Some(s) = w.pop_due(u64::MAX) {
            assert_eq!(Some(s), m.pop_due(u64::MAX));
            out.push(s);
            w.check();
        }
        assert_eq!(out, vec![6, 8, 7, 1, 4, 0, 2, 5, 3]);
    }

    #[test]
    fn remove_and_reschedule_keep_the_wheel_valid() {
        let mut w = TimerWheel::default();
        let mut x: u64 = 12345;
        for slot in 0..2000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            w.schedule(slot, x >> 40).unwrap();
        }
        w.check();
        for slot in (0..2000u32).step_by(3) {
            assert!(w.remove(slot));
            assert!(!w.remove(slot));
        }
        w.check();
        for slot in (1..2000u32).step_by(7) {
            w.schedule(slot, (slot as u64) * 3).unwrap();
        }
        w.check();
        let mut n = 0;
        let mut prev = 0;
        while let Some((at, _)) = w.peek() {
            assert!(at >= prev, "popped out of order");
            prev = at;
            let s = w.pop_due(u64::MAX).unwrap();
            assert_eq!(w.deadline(s), None);
            n += 1;
        }
        w.check();
        let expected = (0..2000u32).filter(|s| s % 3 != 0 || s % 7 == 1).count();
        assert_eq!(n, expected);
    }

    #[test]
    fn pop_due_respects_now() {
        let mut w = TimerWheel::default();
        w.schedule(0, 100).unwrap();
        w.schedule(1, 200).unwrap();
        assert_eq!(w.pop_due(99), None);
        assert_eq!(w.pop_due(100), Some(0));
        assert_eq!(w.pop_due(150), None);
        assert_eq!(w.peek(), Some((200, 1)));
        // Far apart: the cursor follows `now`, not the far entry.
        let base = 1 << 40;
        w.schedule(2, base + 3 * W * G).unwrap();
        w.schedule(3, base).unwrap();
        assert_eq!(w.pop_due(base - 1), Some(1));
        assert_eq!(w.pop_due(base - 1), None);
        w.check();
        assert_eq!(w.pop_due(base), Some(3));
        assert_eq!(w.pop_due(base + 3 * W * G - 1), None);
        w.check();
        assert_eq!(w.peek(), Some((base + 3 * W * G, 2)));
        assert_eq!(w.pop_due(base + 3 * W * G), Some(2));
        assert_eq!(w.peek(), None);
    }

    #[test]
    fn past_and_run_inserts_stay_ordered() {
        let base = 1 << 40;
        let mut w = TimerWheel::default();
        let mut m = Model::default();
        let mut rng = Rng(7);
        // A large open run, then inserts before, into and after it.
        for slot in 0..1000 {
            let at = base + rng.below(G);
            w.schedule(slot, at).unwrap();
            m.schedule(slot, at);
        }
        assert_eq!(w.peek(), m.peek());
        for slot in 1000..1400 {
            let at = match slot % 4 {
                0 => base - rng.below(50 * G), // the past
                1 => base + rng.below(G),      // the opened bucket
                2 => base + G + rng.below(G),  // the next bucket
                _ => base + rng.below(G / 2),
            };
            w.schedule(slot, at).unwrap();
            m.schedule(slot, at);
            if slot % 3 == 0 {
                let victim = rng.below(slot as u64) as u32;
                assert_eq!(w.remove(victim), m.remove(victim));
            }
            assert_eq!(w.peek(), m.peek());
            w.check();
        }
        assert!(!w.late.is_empty(), "the test should reach `late`");
        let mut now = base - 60 * G;
        while m.peek().is_some() {
            now += G / 8;
            loop {
                let got = w.pop_due(now);
                assert_eq!(got, m.pop_due(now));
                if got.is_none() {
                    break;
                }
            }
            w.check();
        }
    }

    /// The deadline generator of the differential test.
    fn deadline(rng: &mut Rng, now: u64, recent: &mut Vec<u64>) -> u64 {
        let at = match rng.below(12) {
            0 => now + rng.below(G),                     // within a bucket
            1 | 2 => now + rng.below(64 * G),            // across buckets
            3 => now + rng.below(W * G),                 // the whole horizon
            4 => now + W * G + rng.below(4 * W * G),     // revolutions ahead
            5 => now.saturating_sub(rng.below(300 * G)), // the past
            6 | 7 if !recent.is_empty() => recent[rng.below(recent.len() as u64) as usize],
            8 => u64::MAX,
            9 => (bucket_of(now) + rng.below(4)) << GRANULARITY_SHIFT, // edges
            10 => now.saturating_sub(rng.below(8 * W * G)),            // far past
            _ => now + rng.below(8 * W * G),
        };
        if recent.len() < 32 {
            recent.push(at);
        } else {
            recent[rng.below(32) as usize] = at;
        }
        at
    }

    /// Interleaves random operations on the wheel and the model.
    fn differential(seed: u64, ops: usize, slots: u64, peek_every_op: bool, check_every: usize) {
        let mut rng = Rng(seed);
        let mut w = TimerWheel::default();
        let mut m = Model::default();
        let mut now: u64 = (1 << 40) + rng.below(1 << 30);
        let mut recent = Vec::new();
        for op in 0..ops {
            match rng.below(100) {
                0..=29 => {
                    let slot = rng.below(slots) as u32;
                    let at = deadline(&mut rng, now, &mut recent);
                    w.schedule(slot, at).unwrap();
                    m.schedule(slot, at);
                }
                30..=39 => {
                    // A refresh, as the engine does it: in place when the
                    // wheel allows, else a schedule.
                    let slot = rng.below(slots) as u32;
                    if let Some(d) = m.deadline(slot) {
                        let at = match rng.below(5) {
                            0 => d,
                            1 => d.saturating_add(rng.below(G)),
                            2 => d.saturating_sub(rng.below(G)),
                            3 => d.saturating_add(rng.below(W * G)),
                            _ => d.saturating_add(rng.below(8 * W * G)),
                        };
                        if !w.try_postpone(slot, at) {
                            w.schedule(slot, at).unwrap();
                        }
                        m.schedule(slot, at);
                    }
                }
                40..=54 => {
                    let slot = rng.below(slots + 2) as u32;
                    assert_eq!(w.remove(slot), m.remove(slot), "remove {slot}");
                }
                55..=79 => {
                    now += match rng.below(12) {
                        0 => 0,
                        1..=5 => rng.below(G),
                        6..=8 => rng.below(32 * G),
                        9 => rng.below(W * G),
                        _ => rng.below(3 * W * G),
                    };
                    // Sometimes a stale `now` (the engine's is monotonic,
                    // but the wheel must not care).
                    let t = if rng.below(20) == 0 {
                        now.saturating_sub(rng.below(10 * G))
                    } else {
                        now
                    };
                    assert_eq!(w.pop_due(t), m.pop_due(t), "pop_due op {op}");
                }
                80..=86 => loop {
                    let got = w.pop_due(now);
                    assert_eq!(got, m.pop_due(now), "drain op {op}");
                    if got.is_none() {
                        break;
                    }
                },
                87..=93 => {
                    let slot = rng.below(slots) as u32;
                    assert_eq!(w.deadline(slot), m.deadline(slot), "deadline {slot}");
                }
                _ => assert_eq!(w.peek(), m.peek(), "peek op {op}"),
            }
            if peek_every_op {
                assert_eq!(w.peek(), m.peek(), "peek after op {op}");
            }
            if op % check_every == 0 {
                w.check();
            }
        }
        w.check();
        loop {
            let got = w.pop_due(u64::MAX);
            assert_eq!(got, m.pop_due(u64::MAX));
            if got.is_none() {
                break;
            }
        }
        w.check();
    }

    #[test]
    fn differential_few_slots_peek_every_op() {
        differential(1, 30_000, 16, true, 1);
        differential(2, 30_000, 64, true, 1);
    }

    #[test]
    fn differential_few_slots_lazy_peek() {
        differential(3, 30_000, 16, false, 1);
        differential(4, 30_000, 64, false, 1);
    }

    #[test]
    fn differential_many_slots() {
        differential(5, 40_000, 1000, true, 101);
        differential(6, 40_000, 5000, false, 101);
        differential(7, 40_000, 300, false, 37);
    }

    #[test]
    fn differential_schedule_bursts() {
        // Bursts of schedules with no peek in between (the cursor moves
        // back), then pops as time advances.
        for seed in 10..16 {
            let mut rng = Rng(seed);
            let mut w = TimerWheel::default();
            let mut m = Model::default();
            let mut now: u64 = 1 << 40;
            let mut recent = Vec::new();
            for round in 0..20 {
                for _ in 0..rng.below(400) {
                    let slot = rng.below(500) as u32;
                    let at = deadline(&mut rng, now, &mut recent);
                    w.schedule(slot, at).unwrap();
                    m.schedule(slot, at);
                }
                w.check();
                for _ in 0..rng.below(100) {
                    let slot = rng.below(500) as u32;
                    assert_eq!(w.remove(slot), m.remove(slot));
                }
                w.check();
                let steps = rng.below(50);
                for _ in 0..steps {
                    now += rng.below(4 * G);
                    loop {
                        let got = w.pop_due(now);
                        assert_eq!(got, m.pop_due(now), "seed {seed} round {round}");
                        if got.is_none() {
                            break;
                        }
                    }
                }
                assert_eq!(w.peek(), m.peek());
                w.check();
            }
        }
    }

    #[test]
    fn differential_benchmark_shape_200k() {
        // Schedule all at random deadlines within 50 ms, remove a random
        // half, pop the rest as `now` advances in ~0.5 ms steps.
        const N: u32 = 200_000;
        let mut rng = Rng(42);
        let mut w = TimerWheel::default();
        let mut m = Model::default();
        let start: u64 = 5_000_000_000_000;
        for slot in 0..N {
            let at = start + rng.below(50_001) * 1000;
            w.schedule(slot, at).unwrap();
            m.schedule(slot, at);
        }
        w.check();
        let mut order: Vec<u32> = (0..N).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for &slot in &order[..N as usize / 2] {
            assert!(w.remove(slot));
            assert!(m.remove(slot));
        }
        w.check();
        assert_eq!(w.peek(), m.peek());
        let mut now = start;
        let mut popped = 0;
        let mut steps = 0;
        while popped < N / 2 {
            now += 500_000 + rng.below(1000);
            loop {
                let got = w.pop_due(now);
                assert_eq!(got, m.pop_due(now));
                match got {
                    Some(_) => popped += 1,
                    None => break,
                }
            }
            steps += 1;
            if steps % 10 == 0 {
                w.check();
            }
        }
        assert_eq!(w.peek(), None);
        w.check();
    }

    #[test]
    fn buffers_are_recycled_not_hoarded() {
        // Dense short timers (200 per bucket, all within 50 ms) for more
        // than a revolution: every bucket once held ~200 slots, but a
        // bucket's buffer goes back to the pool when it is sorted, so what
        // is kept follows the live timers, not the wheel's size.
        let mut rng = Rng(99);
        let mut w = TimerWheel::default();
        let mut now: u64 = 1 << 40;
        let mut next_slot = 0u32;
        let mut free: Vec<u32> = Vec::new();
        let mut peak = 0;
        for _ in 0..(WHEEL_BUCKETS + WHEEL_BUCKETS / 4) {
            for _ in 0..200 {
                let slot = free.pop().unwrap_or_else(|| {
                    next_slot += 1;
                    next_slot - 1
                });
                w.schedule(slot, now + rng.below(50 * G)).unwrap();
            }
            now += G;
            while let Some(slot) = w.pop_due(now) {
                free.push(slot);
            }
            peak = peak.max(w.len);
        }
        w.check();
        let kept = |w: &TimerWheel| {
            w.buckets.iter().map(Vec::capacity).sum::<usize>()
                + w.spare.iter().map(Vec::capacity).sum::<usize>()
        };
        assert!(w.spare.len() <= SPARE_BUFFERS);
        assert!(
            kept(&w) <= 4 * peak,
            "kept {} slots for {peak} timers",
            kept(&w)
        );
        // Drained, at most the spare pool and small buffers remain.
        while w.pop_due(u64::MAX).is_some() {}
        let buckets: usize = w.buckets.iter().map(Vec::capacity).sum();
        assert!(buckets <= KEEP_CAPACITY * 64, "{buckets}");
        assert!(kept(&w) <= 4 * peak);
    }

    #[test]
    fn a_burst_leaves_no_giant_buffers() {
        // 200k timers in one bucket, fired; the next turns give the memory
        // back instead of keeping the burst's buffers for ever.
        let base = 1 << 40;
        let mut w = TimerWheel::default();
        for slot in 0..200_000u32 {
            w.schedule(slot, base + u64::from(slot % 1000)).unwrap();
        }
        while w.pop_due(base + G).is_some() {}
        for slot in 0..10u32 {
            w.schedule(slot, base + 2 * G + u64::from(slot)).unwrap();
        }
        assert_eq!(w.pop_due(base + 3 * G), Some(0));
        w.check();
        assert!(w.run.capacity() <= RUN_KEEP_CAPACITY);
        assert!(w.spare.iter().all(|b| b.capacity() <= SPARE_MAX_CAPACITY));
        assert!(w.buckets.iter().all(|b| b.capacity() <= SPARE_MAX_CAPACITY));
    }

    /// The operations the micro-benchmark times.
    trait Timers: Default {
        fn schedule(&mut self, slot: u32, at: u64);
        fn remove(&mut self, slot: u32) -> bool;
        fn pop_due(&mut self, now: u64) -> Option<u32>;
    }

    impl Timers for TimerHeap {
        fn schedule(&mut self, slot: u32, at: u64) {
            TimerHeap::schedule(self, slot, at)
        }
        fn remove(&mut self, slot: u32) -> bool {
            TimerHeap::remove(self, slot)
        }
        fn pop_due(&mut self, now: u64) -> Option<u32> {
            TimerHeap::pop_due(self, now)
        }
    }

    impl Timers for TimerWheel {
        fn schedule(&mut self, slot: u32, at: u64) {
            TimerWheel::schedule(self, slot, at).expect("test memory")
        }
        fn remove(&mut self, slot: u32) -> bool {
            TimerWheel::remove(self, slot)
        }
        fn pop_due(&mut self, now: u64) -> Option<u32> {
            TimerWheel::pop_due(self, now)
        }
    }

    /// Nanoseconds per schedule, remove and pop for one pass of the churn
    /// on `t`, every deadline shifted by `offset`.
    fn churn<T: Timers>(t: &mut T, deadlines: &[u64], victims: &[u32], offset: u64) -> [f64; 3] {
        use std::hint::black_box;
        use std::time::Instant;
        let clock = Instant::now();
        for (slot, &at) in deadlines.iter().enumerate() {
            t.schedule(slot as u32, at + offset);
        }
        let schedule = clock.elapsed();
        let clock = Instant::now();
        for &slot in victims {
            black_box(t.remove(slot));
        }
        let remove = clock.elapsed();
        let clock = Instant::now();
        let mut now = deadlines.iter().min().unwrap() + offset;
        let mut popped = 0;
        let goal = deadlines.len() - victims.len();
        while popped < goal {
            now += 500_000;
            while let Some(slot) = t.pop_due(now) {
                black_box(slot);
                popped += 1;
            }
        }
        let pop = clock.elapsed();
        [
            schedule.as_nanos() as f64 / deadlines.len() as f64,
            remove.as_nanos() as f64 / victims.len() as f64,
            pop.as_nanos() as f64 / goal as f64,
        ]
    }

    /// Median ns/op over `reps` runs, on a new queue (`[0]`: allocation
    /// included) and on the same queue run a second time (`[1]`: buffers
    /// already grown, the engine's steady state).
    fn churn_medians<T: Timers>(reps: usize, deadlines: &[u64], victims: &[u32]) -> [[f64; 3]; 2] {
        let mut runs = [
            [Vec::new(), Vec::new(), Vec::new()],
            [Vec::new(), Vec::new(), Vec::new()],
        ];
        for _ in 0..reps {
            let mut t = T::default();
            let cold = churn(&mut t, deadlines, victims, 0);
            let warm = churn(&mut t, deadlines, victims, 1_000_000_000);
            for (pass, figures) in [cold, warm].into_iter().enumerate() {
                for (op, x) in figures.into_iter().enumerate() {
                    runs[pass][op].push(x);
                }
            }
        }
        runs.map(|pass| {
            pass.map(|mut v| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
        })
    }

    #[test]
    #[ignore = "micro-benchmark: cargo test -p oxevent --release --lib wheel -- --ignored --nocapture"]
    fn bench_wheel_against_heap() {
        // 1M timers unless OXEVENT_WHEEL_BENCH_N says otherwise.
        let n: usize = std::env::var("OXEVENT_WHEEL_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        const REPS: usize = 5;
        let mut rng = Rng(2024);
        let start: u64 = 5_000_000_000_000;
        let deadlines: Vec<u64> = (0..n).map(|_| start + rng.below(50_001) * 1000).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let victims = &order[..n / 2];
        let heap = churn_medians::<TimerHeap>(REPS, &deadlines, victims);
        let wheel = churn_medians::<TimerWheel>(REPS, &deadlines, victims);
        println!("{n} timers within 50 ms, remove half, fire the rest in 0.5 ms steps");
        println!("median of {REPS} runs, ns/op         schedule    remove       pop");
        for (pass, name) in ["new queue", "reused queue"].iter().enumerate() {
            let (h, w) = (heap[pass], wheel[pass]);
            println!(
                "{name:<13} TimerHeap     {:>9.1} {:>9.1} {:>9.1}",
                h[0], h[1], h[2]
            );
            println!(
                "{name:<13} TimerWheel    {:>9.1} {:>9.1} {:>9.1}",
                w[0], w[1], w[2]
            );
            println!(
                "{name:<13} heap / wheel  {:>9.2} {:>9.2} {:>9.2}",
                h[0] / w[0],
                h[1] / w[1],
                h[2] / w[2]
            );
        }
    }
}
