//! An indexed 4-ary min-heap of deadlines (libev's `DHEAP 4` layout with the
//! key stored inline, plus libevent's per-element index for O(log n) erase).
//!
//! Entries are `(deadline, sequence, slot)`. The sequence number makes equal
//! deadlines fire in the order they were scheduled. `pos[slot]` is the
//! entry's place in the heap, so removing or re-scheduling a timer never
//! searches. The heap knows nothing of events: the engine owns the slots.

const NONE: u32 = u32::MAX;
const ARITY: usize = 4;

#[derive(Copy, Clone, Debug)]
struct Entry {
    at: u64,
    seq: u32,
    slot: u32,
}

impl Entry {
    #[inline]
    fn before(&self, other: &Entry) -> bool {
        (self.at, self.seq.wrapping_sub(other.seq) as i32) < (other.at, 0)
    }
}

/// The timer heap.
#[derive(Debug, Default)]
pub(crate) struct TimerHeap {
    heap: Vec<Entry>,
    pos: Vec<u32>,
    seq: u32,
}

impl TimerHeap {
    /// The earliest deadline and its slot.
    #[inline]
    pub(crate) fn peek(&self) -> Option<(u64, u32)> {
        self.heap.first().map(|e| (e.at, e.slot))
    }

    /// The deadline of `slot`, if it is scheduled.
    #[cfg(test)]
    pub(crate) fn deadline(&self, slot: u32) -> Option<u64> {
        match self.pos.get(slot as usize) {
            Some(&p) if p != NONE => Some(self.heap[p as usize].at),
            _ => None,
        }
    }

    /// Makes room for `slot` to be scheduled without allocating.
    pub(crate) fn prepare(&mut self, slot: u32) -> Result<(), std::collections::TryReserveError> {
        self.reserve_slots(slot as usize + 1)?;
        if self.heap.len() == self.heap.capacity() {
            self.heap.try_reserve(1)?;
        }
        Ok(())
    }

    /// Makes the slot table hold at least `n` slots.
    pub(crate) fn reserve_slots(
        &mut self,
        n: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        if n > self.pos.len() {
            self.pos.try_reserve(n - self.pos.len())?;
            self.pos.resize(n, NONE);
        }
        Ok(())
    }

    /// Schedules `slot` at `at`, replacing any earlier schedule of it.
    pub(crate) fn schedule(&mut self, slot: u32, at: u64) {
        let s = slot as usize;
        if s >= self.pos.len() {
            self.pos.resize(s + 1, NONE);
        }
        self.seq = self.seq.wrapping_add(1);
        let entry = Entry {
            at,
            seq: self.seq,
            slot,
        };
        let p = self.pos[s];
        if p == NONE {
            let i = self.heap.len();
            self.heap.push(entry);
            self.sift_up(i);
        } else {
            let i = p as usize;
            let earlier = entry.before(&self.heap[i]);
            self.heap[i] = entry;
            if earlier {
                self.sift_up(i);
            } else {
                self.sift_down(i);
            }
        }
    }

    /// Unschedules `slot`; returns whether it was scheduled.
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        let p = match self.pos.get(slot as usize) {
            Some(&p) if p != NONE => p as usize,
            _ => return false,
        };
        self.pos[slot as usize] = NONE;
        let last = self.heap.pop().expect("heap index points into the heap");
        if p < self.heap.len() {
            let moved_earlier = last.before(&self.heap[p]);
            self.heap[p] = last;
            self.pos[last.slot as usize] = p as u32;
            if moved_earlier {
                self.sift_up(p);
            } else {
                self.sift_down(p);
            }
        }
        true
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    #[inline]
    #[cfg_attr(not(test), allow(dead_code))] // the wheel pops through peek + remove
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<u32> {
        let top = *self.heap.first()?;
        if top.at > now {
            return None;
        }
        self.remove(top.slot);
        Some(top.slot)
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize) {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let pe = self.heap[parent];
            if !e.before(&pe) {
                break;
            }
            self.heap[i] = pe;
            self.pos[pe.slot as usize] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[e.slot as usize] = i as u32;
    }

    #[inline]
    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        let e = self.heap[i];
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].before(&self.heap[best]) {
                    best = c;
                }
            }
            let be = self.heap[best];
            if !be.before(&e) {
                break;
            }
            self.heap[i] = be;
            self.pos[be.slot as usize] = i as u32;
            i = best;
        }
        self.heap[i] = e;
        self.pos[e.slot as usize] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(h: &TimerHeap) {
        for (i, e) in h.heap.iter().enumerate() {
            assert_eq!(h.pos[e.slot as usize] as usize, i);
            if i > 0 {
                let p = &h.heap[(i - 1) / ARITY];
                assert!(!e.before(p), "heap order broken at {i}");
            }
        }
    }

    #[test]
    fn pops_in_deadline_order_then_fifo() {
        let mut h = TimerHeap::default();
        let deadlines = [50u64, 10, 30, 10, 70, 20, 10, 60, 40];
        for (slot, at) in deadlines.iter().enumerate() {
            h.schedule(slot as u32, *at);
            check(&h);
        }
        let mut out = Vec::new();
        while let Some(s) = h.pop_due(u64::MAX) {
            out.push(s);
            check(&h);
        }
        assert_eq!(out, vec![1, 3, 6, 5, 2, 8, 0, 7, 4]);
    }

    #[test]
    fn remove_and_reschedule_keep_the_heap_valid() {
        let mut h = TimerHeap::default();
        let mut x: u64 = 12345;
        for slot in 0..2000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            h.schedule(slot, x >> 40);
        }
        check(&h);
        for slot in (0..2000u32).step_by(3) {
            assert!(h.remove(slot));
            assert!(!h.remove(slot));
        }
        check(&h);
        for slot in (1..2000u32).step_by(7) {
            h.schedule(slot, (slot as u64) * 3);
        }
        check(&h);
        let mut n = 0;
        let mut prev = 0;
        while let Some((at, _)) = h.peek() {
            assert!(at >= prev, "popped out of order");
            prev = at;
            let s = h.pop_due(u64::MAX).unwrap();
            assert_eq!(h.deadline(s), None);
            n += 1;
        }
        let expected = (0..2000u32).filter(|s| s % 3 != 0 || s % 7 == 1).count();
        assert_eq!(n, expected);
    }

    #[test]
    fn pop_due_respects_now() {
        let mut h = TimerHeap::default();
        h.schedule(0, 100);
        h.schedule(1, 200);
        assert_eq!(h.pop_due(99), None);
        assert_eq!(h.pop_due(100), Some(0));
        assert_eq!(h.pop_due(150), None);
        assert_eq!(h.peek(), Some((200, 1)));
    }
}
