//! Positions in a buffer (libevent's `struct evbuffer_ptr`).
//!
//! What this module owns: making positions and turning them back into a
//! chunk and an offset. A [`Pos`] carries its byte offset, the identity and
//! era of the buffer it came from, and a hint (chunk index and offset in
//! that chunk, valid for one chain layout).
//!
//! What it must never do: follow a position it has not validated. A
//! position from another buffer is refused ([`BufferError::ForeignPos`]),
//! one from an older era is refused ([`BufferError::StalePos`]), and a hint
//! from an older layout, or out of range, is ignored and the chunk is found
//! again from the byte offset. Identity and era are compared on their low 32
//! bits and the layout on its low 16 (what fits in the C struct's two
//! private words); a wrap can at worst make a stale position name another
//! byte of the same buffer, never memory outside it.

use super::{Buffer, BufferError};
use crate::error::Result;

/// A position in a [`Buffer`]: a byte offset plus what the buffer needs to
/// check the position is still its own and current.
///
/// Positions stay valid while bytes are only appended; draining, removing
/// or prepending makes every earlier position stale.
///
/// ```
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"name: value").unwrap();
/// let colon = buf.search(b":", None).unwrap().unwrap();
/// assert_eq!(colon.offset(), 4);
/// buf.add(b"; more").unwrap(); // appending keeps positions valid
/// assert_eq!(buf.pos_add(&colon, 2).unwrap().offset(), 6);
/// buf.drain(1).unwrap(); // draining makes them stale
/// assert!(buf.pos_add(&colon, 2).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pos {
    pos: usize,
    buf: u32,
    era: u32,
    layout: u16,
    chunk: usize,
    off: usize,
}

/// Hints that do not fit the C struct's second word are dropped.
const HINT_BITS: u32 = 24;
const NO_HINT: u64 = u64::MAX;

impl Pos {
    /// The byte offset from the start of the buffer (the C struct's `pos`).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"abc").unwrap();
    /// assert_eq!(buf.pos_at(2).unwrap().offset(), 2);
    /// ```
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The two private words of libevent's `evbuffer_ptr` (`internal_.chain`
    /// and `internal_.pos_in_chain`) for this position; for the C face.
    #[doc(hidden)]
    pub fn to_raw(&self) -> (u64, u64) {
        let stamp = (u64::from(self.buf) << 32) | u64::from(self.era);
        let fits = self.chunk < (1 << HINT_BITS) && self.off < (1 << HINT_BITS);
        let hint = if fits {
            (u64::from(self.layout) << 48) | ((self.chunk as u64) << HINT_BITS) | self.off as u64
        } else {
            NO_HINT
        };
        (stamp, hint)
    }

    /// The position `to_raw` described (validated only when used).
    #[doc(hidden)]
    pub fn from_raw(pos: usize, stamp: u64, hint: u64) -> Pos {
        let mask = (1u64 << HINT_BITS) - 1;
        let (layout, chunk, off) = if hint == NO_HINT {
            (0, usize::MAX, 0)
        } else {
            (
                (hint >> 48) as u16,
                ((hint >> HINT_BITS) & mask) as usize,
                (hint & mask) as usize,
            )
        };
        Pos {
            pos,
            buf: (stamp >> 32) as u32,
            era: stamp as u32,
            layout,
            chunk,
            off,
        }
    }
}

impl Buffer {
    /// The position `n` bytes from the start (`evbuffer_ptr_set` with
    /// `EVBUFFER_PTR_SET`). `n == len()` is allowed: the end.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, BufferError};
    /// use oxevent::Error;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abc").unwrap();
    /// assert_eq!(buf.pos_at(3).unwrap().offset(), 3);
    /// assert!(matches!(buf.pos_at(4), Err(Error::Buffer(BufferError::PosOutOfRange))));
    /// ```
    pub fn pos_at(&self, n: usize) -> Result<Pos> {
        if n > self.len {
            return Err(BufferError::PosOutOfRange.into());
        }
        let (chunk, off) = self.locate(n);
        Ok(self.make_pos(n, chunk, off))
    }

    /// The position `n` bytes after `pos` (`evbuffer_ptr_set` with
    /// `EVBUFFER_PTR_ADD`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abcdef").unwrap();
    /// let p = buf.pos_at(2).unwrap();
    /// assert_eq!(buf.pos_add(&p, 4).unwrap().offset(), 6);
    /// assert!(buf.pos_add(&p, 5).is_err());
    /// assert!(buf.pos_add(&p, usize::MAX).is_err());
    /// ```
    pub fn pos_add(&self, pos: &Pos, n: usize) -> Result<Pos> {
        let (mut chunk, mut off) = self.resolve(pos)?;
        let target = pos.pos.checked_add(n).ok_or(BufferError::PosOutOfRange)?;
        if target > self.len {
            return Err(BufferError::PosOutOfRange.into());
        }
        let mut left = n;
        // Walk forward from the known chunk instead of from the start.
        while left > 0 {
            let l = self.chunks.get(chunk).map_or(0, |c| c.len());
            let room = l - off.min(l);
            if left < room {
                off += left;
                left = 0;
            } else {
                left -= room;
                if chunk + 1 >= self.chunks.len() || self.chunks[chunk + 1].is_empty() {
                    // The end: canonical form is (last data chunk, its length).
                    off = l;
                    break;
                }
                chunk += 1;
                off = 0;
            }
        }
        let found = if left == 0 {
            self.normalize(chunk, off)
        } else {
            None
        };
        let (chunk, off) = found.unwrap_or_else(|| self.locate(target));
        Ok(self.make_pos(target, chunk, off))
    }

    /// The position of the first byte.
    ///
    /// ```
    /// let buf = oxevent::buffer::Buffer::new();
    /// assert_eq!(buf.start_pos().offset(), 0);
    /// ```
    pub fn start_pos(&self) -> Pos {
        let (chunk, off) = self.locate(0);
        self.make_pos(0, chunk, off)
    }

    /// The position just past the last byte.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"12345").unwrap();
    /// assert_eq!(buf.end_pos().offset(), 5);
    /// ```
    pub fn end_pos(&self) -> Pos {
        let (chunk, off) = self.locate(self.len);
        self.make_pos(self.len, chunk, off)
    }

    pub(super) fn make_pos(&self, pos: usize, chunk: usize, off: usize) -> Pos {
        Pos {
            pos,
            buf: self.id as u32,
            era: self.era as u32,
            layout: self.layout as u16,
            chunk,
            off,
        }
    }

    /// Checks that `pos` is this buffer's and current; returns its chunk and
    /// offset in that chunk.
    pub(super) fn resolve(&self, pos: &Pos) -> Result<(usize, usize)> {
        if pos.buf != self.id as u32 {
            return Err(BufferError::ForeignPos.into());
        }
        if pos.era != self.era as u32 {
            return Err(BufferError::StalePos.into());
        }
        if pos.pos > self.len {
            return Err(BufferError::PosOutOfRange.into());
        }
        if pos.layout == self.layout as u16 {
            if let Some(found) = self.normalize(pos.chunk, pos.off) {
                return Ok(found);
            }
        }
        Ok(self.locate(pos.pos))
    }

    /// A hint checked against the chain, moved past the end of its chunk
    /// when a later chunk holds data. `None`: out of range.
    pub(super) fn normalize(&self, chunk: usize, off: usize) -> Option<(usize, usize)> {
        if self.chunks.is_empty() {
            return (chunk == 0 && off == 0).then_some((0, 0));
        }
        let l = self.chunks.get(chunk)?.len();
        if off > l {
            return None;
        }
        if off == l && chunk + 1 < self.chunks.len() && !self.chunks[chunk + 1].is_empty() {
            return Some((chunk + 1, 0));
        }
        Some((chunk, off))
    }

    /// Chunk and offset of byte `n` (`n <= len`); the end is the last chunk
    /// with data and its length, or `(0, 0)` in an empty buffer.
    pub(super) fn locate(&self, n: usize) -> (usize, usize) {
        let mut left = n;
        let mut last = (0, 0);
        for (i, c) in self.chunks.iter().enumerate() {
            let l = c.len();
            if left < l {
                return (i, left);
            }
            left -= l;
            if l > 0 {
                last = (i, l);
            }
        }
        last
    }
}
