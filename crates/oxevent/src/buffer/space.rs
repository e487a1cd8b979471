//! Room at both ends: reserve/commit (`evbuffer_reserve_space`,
//! `evbuffer_commit_space`), `expand`, `pullup` and `prepend`.
//!
//! What this module owns: preparing writable room after the data without
//! moving existing bytes, recording what was reserved, and accepting a
//! commit only when it matches that record exactly (same buffer state, the
//! reserved slices, no more bytes than reserved).
//!
//! What it must never do: hand out uninitialized memory (reserved room is
//! zeroed once, the first time a chunk's bytes are reserved), accept a
//! commit after any other change to the buffer, or leave an empty chunk
//! between two chunks holding data.

use super::chunk::{alloc, Chunk, MIN_CHUNK};
use super::{Buffer, BufferError, Side};
use crate::error::Result;

/// What the last reservation handed out: consecutive chunks from `first`,
/// each with the number of bytes reserved in it and the address of its
/// room (how the C face names it).
#[derive(Clone, Debug)]
pub(super) struct Reserved {
    mods: u64,
    front_mods: u64,
    first: usize,
    lens: Vec<usize>,
    addrs: Vec<usize>,
}

/// Room reserved at the end of a buffer ([`Buffer::reserve`]): fill the
/// slices, then [`commit`](Self::commit) how many bytes were written. The
/// buffer is borrowed until then, so nothing else can change it meanwhile;
/// dropping the reservation without committing adds nothing.
///
/// ```
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"id=").unwrap();
/// let mut space = buf.reserve(16).unwrap();
/// let slot = &mut space.slices_mut()[0];
/// slot[..2].copy_from_slice(b"42");
/// space.commit(2).unwrap();
/// assert_eq!(buf.to_vec().unwrap(), b"id=42");
/// ```
#[derive(Debug)]
pub struct Reservation<'a> {
    buf: &'a mut Buffer,
}

impl Reservation<'_> {
    /// Total bytes reserved (the sum of the slices' lengths).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// let space = buf.reserve_vectored(5000, 4).unwrap();
    /// assert_eq!(space.len(), 5000);
    /// ```
    pub fn len(&self) -> usize {
        self.buf
            .reservation
            .as_ref()
            .map_or(0, |r| r.lens.iter().sum())
    }

    /// Whether nothing was reserved (a reservation of 0 bytes).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// assert!(buf.reserve_vectored(0, 2).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The reserved slices, in order; their contents start zeroed or with
    /// earlier (uncommitted) writes.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// let mut space = buf.reserve_vectored(10, 2).unwrap();
    /// let total: usize = space.slices_mut().iter().map(|s| s.len()).sum();
    /// assert_eq!(total, 10);
    /// ```
    pub fn slices_mut(&mut self) -> Vec<&mut [u8]> {
        self.buf.reserved_slices()
    }

    /// Adds the first `n` bytes of the slices (taken in order) to the
    /// buffer. Refused when `n` is more than was reserved.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// let mut space = buf.reserve(4).unwrap();
    /// space.slices_mut()[0].copy_from_slice(b"abcd");
    /// assert!(buf.reserve(4).unwrap().commit(5).is_err());
    /// ```
    pub fn commit(self, n: usize) -> Result<()> {
        let Some(r) = self.buf.reservation.clone() else {
            return Err(BufferError::BadCommit("nothing reserved").into());
        };
        let mut left = n;
        let mut lens = Vec::with_capacity(r.lens.len());
        for &l in &r.lens {
            let k = l.min(left);
            lens.push(k);
            left -= k;
        }
        if left > 0 {
            return Err(BufferError::BadCommit("more bytes than were reserved").into());
        }
        self.buf.commit_lens(&r, &lens)
    }
}

impl Buffer {
    /// Makes sure `n` bytes can be appended into one chunk without another
    /// allocation (`evbuffer_expand`). Like libevent, allowed even while
    /// the end is frozen (it adds no bytes).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.expand(10_000).unwrap();
    /// assert!(buf.is_empty());
    /// assert!(buf.expand(usize::MAX).is_err()); // refused, not an abort
    /// ```
    pub fn expand(&mut self, n: usize) -> Result<()> {
        self.check_grow(n)?;
        self.room_in_one(n).map(|_| ())
    }

    /// Reserves `size` writable bytes in one contiguous slice
    /// (`evbuffer_reserve_space` with one vector).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// let mut space = buf.reserve(3).unwrap();
    /// space.slices_mut()[0].copy_from_slice(b"xyz");
    /// space.commit(3).unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"xyz");
    /// ```
    pub fn reserve(&mut self, size: usize) -> Result<Reservation<'_>> {
        self.reserve_space(size, 1)?;
        Ok(Reservation { buf: self })
    }

    /// Reserves `size` writable bytes spread over at most `max_slices`
    /// chunks, using room already allocated first (`evbuffer_reserve_space`).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"x").unwrap(); // leaves room in its chunk
    /// let mut space = buf.reserve_vectored(8000, 2).unwrap();
    /// let n = space.slices_mut().len();
    /// assert!(n >= 1 && n <= 2);
    /// space.commit(0).unwrap();
    /// assert_eq!(buf.len(), 1);
    /// ```
    pub fn reserve_vectored(&mut self, size: usize, max_slices: usize) -> Result<Reservation<'_>> {
        self.reserve_space(size, max_slices)?;
        Ok(Reservation { buf: self })
    }

    /// The C face's reserve: prepares the room, records it, returns the
    /// number of slices; [`reserved_slices`](Self::reserved_slices) gives
    /// them and [`commit_space`](Self::commit_space) takes them back.
    #[doc(hidden)]
    pub fn reserve_space(&mut self, size: usize, n_vecs: usize) -> Result<usize> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        if n_vecs == 0 {
            return Err(BufferError::NoVecs.into());
        }
        self.check_grow(size)?;
        let (first, lens) = if n_vecs == 1 {
            (self.room_in_one(size)?, vec![size])
        } else {
            self.room_in_many(size, n_vecs)?
        };
        let mut addrs = Vec::with_capacity(lens.len());
        for (c, &l) in self.chunks.range_mut(first..).zip(&lens) {
            c.spare_mut(l);
            addrs.push(c.spare_addr());
        }
        let n = lens.len();
        self.reservation = Some(Box::new(Reserved {
            mods: self.mods,
            front_mods: self.front_mods,
            first,
            lens,
            addrs,
        }));
        Ok(n)
    }

    /// The slices of the current reservation (empty when there is none or
    /// the buffer changed since).
    #[doc(hidden)]
    pub fn reserved_slices(&mut self) -> Vec<&mut [u8]> {
        let Some(r) = &self.reservation else {
            return Vec::new();
        };
        if r.mods != self.mods {
            return Vec::new();
        }
        let lens = r.lens.clone();
        self.chunks
            .range_mut(r.first..)
            .zip(lens)
            .map(|(c, l)| c.spare_mut(l))
            .collect()
    }

    /// The C face's commit: `vecs` are the `(address, length)` pairs the
    /// program hands back, checked against the reservation as libevent
    /// checks them (same slices, no longer than reserved). Refused if the
    /// buffer changed in between, except by changes to its front only
    /// (drain, remove, prepend, pullup), which libevent accepts too: the
    /// reserved room is then found again by its address.
    #[doc(hidden)]
    pub fn commit_space(&mut self, vecs: &[(usize, usize)]) -> Result<()> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        if vecs.is_empty() {
            return Ok(());
        }
        let Some(mut r) = self.reservation.clone() else {
            return Err(BufferError::BadCommit("nothing reserved").into());
        };
        if r.mods != self.mods {
            r.first = self.relocate(&r).ok_or(BufferError::BadCommit(
                "the buffer changed since the reservation",
            ))?;
            r.mods = self.mods;
            r.front_mods = self.front_mods;
            self.reservation = Some(r.clone());
        }
        if vecs.len() > r.lens.len() {
            return Err(BufferError::BadCommit("more slices than were reserved").into());
        }
        for (i, &(addr, len)) in vecs.iter().enumerate() {
            let c = &self.chunks[r.first + i];
            if c.spare_addr() != addr {
                return Err(BufferError::BadCommit("a slice that was not reserved").into());
            }
            if len > r.lens[i] {
                return Err(BufferError::BadCommit("more bytes than were reserved").into());
            }
        }
        let lens: Vec<usize> = vecs.iter().map(|v| v.1).collect();
        self.commit_lens(&r, &lens)
    }

    /// Where the reserved room is now, if only the front changed since the
    /// reservation and the room is still the buffer's room at the end.
    fn relocate(&self, r: &Reserved) -> Option<usize> {
        if self.mods.wrapping_sub(r.mods) != self.front_mods.wrapping_sub(r.front_mods) {
            return None;
        }
        let first_addr = *r.addrs.first()?;
        let w = self.write_start();
        let j = (w..self.chunks.len()).find(|&j| self.chunks[j].spare_addr() == first_addr)?;
        let all_there = r.addrs.iter().enumerate().all(|(i, &a)| {
            self.chunks
                .get(j + i)
                .is_some_and(|c| c.spare_addr() == a && c.initialized_spare() >= r.lens[i])
        });
        all_there.then_some(j)
    }

    /// Adds `lens[i]` bytes to chunk `r.first + i` (checked by the callers).
    fn commit_lens(&mut self, r: &Reserved, lens: &[usize]) -> Result<()> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        if r.mods != self.mods || lens.len() > r.lens.len() {
            return Err(BufferError::BadCommit("the buffer changed since the reservation").into());
        }
        let mut total = 0usize;
        for (i, &l) in lens.iter().enumerate() {
            let Some(c) = self.chunks.get(r.first + i) else {
                return Err(BufferError::BadCommit("reserved chunk missing").into());
            };
            if l > r.lens[i] || l > c.initialized_spare() {
                return Err(BufferError::BadCommit("more bytes than were reserved").into());
            }
            total += l;
        }
        self.check_grow(total)?;
        for (c, &l) in self.chunks.range_mut(r.first..).zip(lens) {
            c.end += l;
        }
        self.reservation = None;
        self.mods += 1;
        if total > 0 {
            self.remove_holes();
            self.len += total;
            self.cbs.added(total);
            self.notify();
        }
        Ok(())
    }

    /// Drops empty chunks that sit before a chunk with data (a commit or a
    /// read that filled a later slice but not an earlier one).
    pub(super) fn remove_holes(&mut self) {
        let Some(last) = self.chunks.iter().rposition(|c| !c.is_empty()) else {
            return;
        };
        if !self.chunks.range(..last).any(|c| c.is_empty()) {
            return;
        }
        let mut i = 0;
        let mut last = last;
        while i < last {
            if self.chunks[i].is_empty() {
                if let Some(c) = self.chunks.remove(i) {
                    self.recycle(c);
                }
                last -= 1;
            } else {
                i += 1;
            }
        }
        self.layout += 1;
    }

    /// Finds or makes one chunk able to take `n` appended bytes; returns
    /// its index. Never leaves an empty chunk before data.
    pub(super) fn room_in_one(&mut self, n: usize) -> Result<usize> {
        let mut i = self.write_start();
        if let Some(c) = self.chunks.get(i) {
            if c.spare() >= n {
                return Ok(i);
            }
            if !c.is_empty() {
                i += 1;
            }
        }
        if let Some(c) = self.chunks.get(i) {
            if c.spare() >= n {
                return Ok(i);
            }
        }
        // Chunks from `i` on are empty and too small: replace them.
        self.chunks
            .try_reserve(1)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        let fresh = self.new_chunk(n.max(MIN_CHUNK))?;
        self.truncate_chunks(i);
        self.chunks.push_back(fresh);
        self.mods += 1;
        Ok(self.chunks.len() - 1)
    }

    /// Finds or makes room for `n` bytes over at most `max` chunks; returns
    /// the first chunk and the bytes to use in each.
    pub(super) fn room_in_many(&mut self, n: usize, max: usize) -> Result<(usize, Vec<usize>)> {
        let first = self.write_start();
        let usable = (self.chunks.len() - first).min(max);
        let avail = self
            .chunks
            .range(first..first + usable)
            .fold(0usize, |a, c| a.saturating_add(c.spare()));
        if avail < n {
            self.chunks
                .try_reserve(1)
                .map_err(|_| BufferError::OutOfMemory(n))?;
            if usable < max {
                let fresh = self.new_chunk((n - avail).max(MIN_CHUNK))?;
                self.truncate_chunks(first + usable);
                self.chunks.push_back(fresh);
            } else {
                // Every usable slot is taken by small chunks: keep the last
                // chunk with data (if it is the first usable) and replace
                // the empty ones with one big enough.
                let keep = match self.chunks.get(first) {
                    Some(c) if !c.is_empty() => 1,
                    _ => 0,
                };
                let kept = if keep == 1 {
                    self.chunks[first].spare()
                } else {
                    0
                };
                let fresh = self.new_chunk((n - kept).max(MIN_CHUNK))?;
                self.truncate_chunks(first + keep);
                self.chunks.push_back(fresh);
            }
            self.mods += 1;
        }
        let mut lens = Vec::with_capacity(max.min(self.chunks.len() - first));
        let mut left = n;
        for c in self.chunks.range(first..) {
            if left == 0 || lens.len() == max {
                break;
            }
            let k = c.spare().min(left);
            lens.push(k);
            left -= k;
        }
        Ok((first, lens))
    }

    /// Drops chunks from index `i` on (all empty: trailing room).
    pub(super) fn truncate_chunks(&mut self, i: usize) {
        if i < self.chunks.len() {
            while self.chunks.len() > i {
                if let Some(c) = self.chunks.pop_back() {
                    self.recycle(c);
                }
            }
            self.layout += 1;
        }
    }

    /// Makes the first `n` bytes contiguous and returns them
    /// (`evbuffer_pullup`); `pullup(len())` linearizes the whole buffer.
    /// Byte positions do not change, so positions stay valid.
    ///
    /// Refused when fewer than `n` bytes are buffered (libevent returns
    /// NULL) or memory runs out. `n == 0` gives an empty slice (libevent
    /// returns NULL for it).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"hel"[..]).unwrap();
    /// buf.add_reference(&b"lo!"[..]).unwrap();
    /// assert_eq!(buf.pullup(5).unwrap(), b"hello");
    /// assert_eq!(buf.contiguous_space(), 5);
    /// assert!(buf.pullup(7).is_err());
    /// ```
    pub fn pullup(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.len {
            return Err(BufferError::NotEnoughData {
                wanted: n,
                have: self.len,
            }
            .into());
        }
        if n == 0 {
            return Ok(&[]);
        }
        self.load_files()?;
        let len0 = self.chunks[0].len();
        if len0 < n {
            let need = n - len0;
            if self.chunks[0].is_owned() && self.chunks[0].spare() >= need {
                self.pull_into_first(need);
            } else {
                let mut fresh = self.new_chunk(n)?;
                self.chunks
                    .try_reserve(1)
                    .map_err(|_| BufferError::OutOfMemory(n))?;
                let mut left = n;
                for c in &self.chunks {
                    if left == 0 {
                        break;
                    }
                    let b = c.bytes();
                    let k = b.len().min(left);
                    fresh.append(&b[..k]);
                    left -= k;
                }
                self.cut_front(n);
                self.chunks.push_front(fresh);
            }
            self.layout += 1;
            self.mods += 1;
            self.front_mods += 1;
        }
        Ok(&self.chunks[0].bytes()[..n])
    }

    /// Moves `need` bytes from the chunks after the first into the first's
    /// spare room (which the caller checked).
    fn pull_into_first(&mut self, mut need: usize) {
        while need > 0 {
            let Some(mut next) = self.chunks.remove(1) else {
                break;
            };
            let k = next.len().min(need);
            self.chunks[0].append(&next.bytes()[..k]);
            need -= k;
            if k < next.len() {
                next.start += k;
                self.chunks.insert(1, next);
            } else {
                self.recycle(next);
            }
        }
    }

    /// Removes `n` bytes' worth of chunks from the front without changing
    /// `len`, the era or counters (the caller re-inserts the bytes).
    pub(super) fn cut_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let l = front.len();
            if n < l {
                front.start += n;
                break;
            }
            n -= l;
            if let Some(c) = self.chunks.pop_front() {
                self.recycle(c);
            }
        }
    }

    /// Inserts a copy of `data` before the first byte (`evbuffer_prepend`).
    /// Every earlier position becomes stale.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"body").unwrap();
    /// buf.prepend(b"len=4;").unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"len=4;body");
    /// ```
    pub fn prepend(&mut self, data: &[u8]) -> Result<()> {
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        let n = data.len();
        if n == 0 {
            return Ok(());
        }
        self.check_grow(n)?;
        if self.len == 0 {
            self.append_slow(data)?;
        } else {
            let room = self.chunks[0].front_room().min(n);
            let (head, tail) = data.split_at(n - room);
            if !head.is_empty() {
                // Allocate first so a refusal changes nothing.
                self.chunks
                    .try_reserve(1)
                    .map_err(|_| BufferError::OutOfMemory(n))?;
                let fresh = Chunk::owned_tail(alloc(head.len().max(MIN_CHUNK))?, head);
                self.chunks[0].prepend(tail);
                self.chunks.push_front(fresh);
                self.layout += 1;
            } else {
                self.chunks[0].prepend(tail);
            }
        }
        self.len += n;
        self.era += 1;
        self.mods += 1;
        if self.len > n {
            self.front_mods += 1;
        }
        self.cbs.added(n);
        self.notify();
        Ok(())
    }
}
