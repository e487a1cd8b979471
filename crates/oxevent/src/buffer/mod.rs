//! Byte buffers for network I/O (libevent's `evbuffer`).
//!
//! A [`Buffer`] is a chain of chunks: bytes are appended at the end and
//! consumed from the start, whole chunks move between buffers without
//! copying, and memory the program owns can sit in the chain as a reference
//! released exactly once.
//!
//! ```
//! use std::io::{BufRead, Write};
//! use oxevent::buffer::{Buffer, EolStyle};
//!
//! let mut input = Buffer::new();
//! input.add(b"GET / HTTP/1.1\r\nHost: example\r\n\r\nbody").unwrap();
//! assert_eq!(input.readln(EolStyle::Crlf).unwrap().unwrap(), b"GET / HTTP/1.1");
//! assert_eq!(input.readln(EolStyle::Crlf).unwrap().unwrap(), b"Host: example");
//! assert_eq!(input.readln(EolStyle::Crlf).unwrap().unwrap(), b"");
//!
//! let mut output = Buffer::new();
//! write!(output, "{} bytes left", input.len()).unwrap();
//! output.add_buffer(&mut input).unwrap(); // moves the chunks, copies nothing
//! assert!(input.is_empty());
//! assert_eq!(output.fill_buf().unwrap(), b"4 bytes left");
//! assert_eq!(output.to_vec().unwrap(), b"4 bytes leftbody");
//! ```
//!
//! What this module owns: the chain and its invariants, which every
//! operation keeps:
//!
//! 1. `len` is the sum of the chunks' lengths, and at most `isize::MAX`.
//! 2. Empty chunks appear only after the last chunk holding data (room
//!    prepared by `expand`, `reserve` or a read), and they are owned memory.
//! 3. An owned chunk's `Vec` never reallocates while it is in a chain, so a
//!    slice handed out (`peek`, `pullup`, `reserve`) stays where it is until
//!    the buffer next changes.
//! 4. A [`Pos`] names its buffer and the buffer's *era*; the era changes
//!    whenever bytes are removed from or inserted before existing bytes, so
//!    a stale or foreign position is refused, never followed.
//!
//! What it must never do: call user code (callbacks, a reference's `Drop`,
//! a segment cleanup) while a chunk is half-updated; size anything from an
//! unchecked sum (every size computation is checked: CVE-2014-6272 was
//! evbuffer integer overflow); abort on a caller-provided size (allocation
//! is fallible and refused with [`BufferError::OutOfMemory`]).
//!
//! Files: `chunk.rs` (chunk memory), `pos.rs` (positions), `search.rs`
//! (search and line reading), `space.rs` (reserve/commit, expand, pullup,
//! prepend), `moves.rs` (moves between buffers, references), `file.rs` (file
//! segments), `io.rs` (sockets and the `std::io` traits), `callbacks.rs`,
//! `shared.rs` (a buffer shared between threads).

mod callbacks;
mod chunk;
mod error;
mod file;
mod io;
mod moves;
mod pos;
mod search;
mod shared;
mod space;

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;
use std::sync::atomic::{AtomicU64, Ordering};

pub use callbacks::{BufferCallback, CbFlags, CbId, CbInfo};
pub use error::BufferError;
pub use file::{FileSegment, SegmentFlags};
pub use io::DEFAULT_READ_MAX;
pub use pos::Pos;
pub use search::EolStyle;
pub use shared::{BufferGuard, SharedBuffer};
pub use space::Reservation;

use crate::error::Result;
use callbacks::Callbacks;
use chunk::{alloc, Chunk, AUTO_MAX, MIN_CHUNK, SPARE_MAX};

/// One end of a buffer (for [`Buffer::freeze`]).
///
/// ```
/// use oxevent::buffer::{Buffer, Side};
///
/// let mut buf = Buffer::new();
/// buf.add(b"abc").unwrap();
/// buf.freeze(Side::Start);
/// assert!(buf.drain(1).is_err()); // the start is frozen
/// assert!(buf.add(b"d").is_ok()); // the end is not
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The front: where bytes are drained, removed and prepended.
    Start,
    /// The back: where bytes are added.
    End,
}

/// Buffer behaviour flags (libevent's `EVBUFFER_FLAG_*`).
///
/// ```
/// use oxevent::buffer::{Buffer, BufferFlags};
///
/// let mut buf = Buffer::new();
/// buf.set_flags(BufferFlags::DRAINS_TO_FD);
/// assert!(buf.flags().contains(BufferFlags::DRAINS_TO_FD));
/// buf.clear_flags(BufferFlags::DRAINS_TO_FD);
/// assert_eq!(buf.flags(), BufferFlags::default());
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BufferFlags(u32);

impl BufferFlags {
    /// The buffer's bytes go to a descriptor with [`Buffer::write_fd`], so
    /// file segments added to it may be sent with `sendfile` without being
    /// read into memory (`EVBUFFER_FLAG_DRAINS_TO_FD`).
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::BufferFlags::DRAINS_TO_FD.bits(), 1);
    /// ```
    pub const DRAINS_TO_FD: BufferFlags = BufferFlags(1);

    /// Flags from libevent's bit values (unknown bits are kept, as libevent
    /// keeps them).
    ///
    /// ```
    /// use oxevent::buffer::BufferFlags;
    /// assert_eq!(BufferFlags::from_bits(1), BufferFlags::DRAINS_TO_FD);
    /// ```
    pub const fn from_bits(bits: u32) -> BufferFlags {
        BufferFlags(bits)
    }

    /// The bit values.
    ///
    /// ```
    /// use oxevent::buffer::BufferFlags;
    /// assert_eq!(BufferFlags::default().bits(), 0);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    ///
    /// ```
    /// use oxevent::buffer::BufferFlags;
    /// assert!(!BufferFlags::default().contains(BufferFlags::DRAINS_TO_FD));
    /// ```
    pub const fn contains(self, other: BufferFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A chain of byte chunks (libevent's `struct evbuffer`).
///
/// `Buffer` is `Send`: it can move to another thread. To use one buffer from
/// several threads, wrap it in a [`SharedBuffer`].
///
/// ```
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"hello, ").unwrap();
/// buf.add(b"world").unwrap();
/// assert_eq!(buf.len(), 12);
/// let mut out = [0u8; 5];
/// assert_eq!(buf.remove(&mut out).unwrap(), 5);
/// assert_eq!(&out, b"hello");
/// assert_eq!(buf.to_vec().unwrap(), b", world");
/// ```
pub struct Buffer {
    chunks: VecDeque<Chunk>,
    len: usize,
    /// Identity, checked by every [`Pos`].
    id: u64,
    /// Changes when bytes are removed from, or inserted before, existing
    /// bytes: positions from an older era are stale.
    era: u64,
    /// Changes when chunks are merged, split or removed without changing
    /// byte positions: a position's chunk hint from an older layout is
    /// recomputed from its offset.
    layout: u64,
    /// Changes on every modification (a reservation is valid only while it
    /// matches).
    mods: u64,
    /// Changes with `mods` on the modifications that touch only the front
    /// of the buffer (drain, remove, prepend, pullup): a reservation
    /// survives those, as in libevent, since its room at the end is
    /// untouched.
    front_mods: u64,
    frozen_start: bool,
    frozen_end: bool,
    /// Counts of changes are kept for [`Buffer::take_changes`] instead of
    /// being dropped when no callback is registered (the C face's mode).
    record_changes: bool,
    flags: BufferFlags,
    /// A drained owned chunk kept for the next allocation.
    spare: Option<Vec<u8>>,
    /// At least the number of `sendfile` chunks (their bytes may not be in
    /// memory); 0 means none.
    files: usize,
    /// Boxed: rare, and an idle connection's buffers should stay small.
    reservation: Option<Box<space::Reserved>>,
    /// Where the last `readln` that found no line stopped looking.
    /// Boxed for the same reason.
    eol_scan: Option<Box<search::EolScan>>,
    cbs: Callbacks,
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len)
            .field("chunks", &self.chunks)
            .field("frozen_start", &self.frozen_start)
            .field("frozen_end", &self.frozen_end)
            .field("flags", &self.flags)
            .field("callbacks", &self.cbs.count())
            .finish()
    }
}

impl Default for Buffer {
    /// An empty buffer, as [`Buffer::new`].
    ///
    /// ```
    /// let buf = oxevent::buffer::Buffer::default();
    /// assert!(buf.is_empty());
    /// ```
    fn default() -> Buffer {
        Buffer::new()
    }
}

impl Buffer {
    /// An empty buffer (`evbuffer_new`). Allocates nothing until bytes arrive.
    ///
    /// ```
    /// let buf = oxevent::buffer::Buffer::new();
    /// assert_eq!(buf.len(), 0);
    /// ```
    pub fn new() -> Buffer {
        Buffer {
            chunks: VecDeque::new(),
            len: 0,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            era: 0,
            layout: 0,
            mods: 0,
            front_mods: 0,
            frozen_start: false,
            frozen_end: false,
            record_changes: false,
            flags: BufferFlags::default(),
            spare: None,
            files: 0,
            reservation: None,
            eol_scan: None,
            cbs: Callbacks::default(),
        }
    }

    /// Bytes in the buffer (`evbuffer_get_length`).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"four").unwrap();
    /// assert_eq!(buf.len(), 4);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no bytes.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// assert!(buf.is_empty());
    /// buf.add(b"x").unwrap();
    /// assert!(!buf.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives back the memory an empty buffer keeps for its next bytes (an
    /// empty chunk and a drained spare); a buffer holding bytes, or with
    /// room reserved, is left as it is. Idle connections call this so that each does not hold a
    /// read-sized chunk (what a server with many idle clients pays for).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(&[1u8; 10_000]).unwrap();
    /// buf.drain(10_000).unwrap();
    /// buf.release_idle_memory();
    /// assert!(buf.is_empty());
    /// buf.add(b"still works").unwrap();
    /// assert_eq!(buf.len(), 11);
    /// ```
    pub fn release_idle_memory(&mut self) {
        // Reserved room lives in the chain's chunks: it stays until the
        // reservation is committed or abandoned.
        if self.len != 0 || self.reservation.is_some() {
            return;
        }
        self.spare = None;
        if !self.chunks.is_empty() && self.chunks.iter().all(|c| c.is_owned()) {
            self.chunks.clear();
            self.layout += 1;
        }
        if self.chunks.is_empty() && self.chunks.capacity() != 0 {
            // The chain's own array too (a few hundred bytes per buffer).
            self.chunks = VecDeque::new();
        }
    }

    /// Bytes available contiguously at the start: the first chunk's length
    /// (`evbuffer_get_contiguous_space`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"static"[..]).unwrap();
    /// buf.add(b" and copied").unwrap();
    /// assert_eq!(buf.contiguous_space(), 6);
    /// ```
    pub fn contiguous_space(&self) -> usize {
        self.chunks.front().map_or(0, Chunk::len)
    }

    /// Appends a copy of `data` (`evbuffer_add`).
    ///
    /// Refused when the end is frozen, when the length would pass
    /// `isize::MAX`, or when memory runs out; a refused add changes nothing.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, Side};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abc").unwrap();
    /// buf.freeze(Side::End);
    /// assert!(buf.add(b"def").is_err());
    /// assert_eq!(buf.to_vec().unwrap(), b"abc");
    /// ```
    #[inline]
    pub fn add(&mut self, data: &[u8]) -> Result<()> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        let n = data.len();
        if n == 0 {
            return Ok(());
        }
        self.check_grow(n)?;
        let only = self.chunks.len() == 1;
        match self.chunks.back_mut() {
            // The last chunk takes the bytes if it has room and holds data
            // (or is the only chunk): no empty chunk is left before them.
            Some(last) if last.spare() >= n && (only || !last.is_empty()) => {
                last.append(data);
            }
            _ => self.append_slow(data)?,
        }
        self.len += n;
        self.cbs.added(n);
        self.mods += 1;
        self.notify();
        Ok(())
    }

    /// Appends copies of several slices, all or nothing (`evbuffer_add_iovec`);
    /// returns the number of bytes added.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// let n = buf.add_vectored(&[IoSlice::new(b"head:"), IoSlice::new(b"body")]).unwrap();
    /// assert_eq!(n, 9);
    /// assert_eq!(buf.to_vec().unwrap(), b"head:body");
    /// ```
    pub fn add_vectored(&mut self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        let total = bufs
            .iter()
            .try_fold(0usize, |acc, b| acc.checked_add(b.len()))
            .ok_or(BufferError::TooLarge)?;
        if total == 0 {
            return Ok(0);
        }
        self.check_grow(total)?;
        self.make_room(total)?;
        for b in bufs {
            self.append_slow(b)?;
        }
        self.len += total;
        self.cbs.added(total);
        self.mods += 1;
        self.notify();
        Ok(total)
    }

    /// Drains up to `n` bytes from the start; returns how many went
    /// (`evbuffer_drain`). Draining past the end empties the buffer, as in
    /// libevent.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abcdef").unwrap();
    /// assert_eq!(buf.drain(2).unwrap(), 2);
    /// assert_eq!(buf.to_vec().unwrap(), b"cdef");
    /// assert_eq!(buf.drain(100).unwrap(), 4);
    /// assert!(buf.is_empty());
    /// ```
    pub fn drain(&mut self, n: usize) -> Result<usize> {
        let n = n.min(self.len);
        if n == 0 {
            return Ok(0);
        }
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.drain_front(n);
        self.cbs.deleted(n);
        self.notify();
        Ok(n)
    }

    /// Drains every byte; same as `drain(len())`.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"gone").unwrap();
    /// buf.clear().unwrap();
    /// assert!(buf.is_empty());
    /// ```
    pub fn clear(&mut self) -> Result<()> {
        self.drain(self.len).map(|_| ())
    }

    /// Copies up to `out.len()` bytes from the start into `out` and drains
    /// them; returns how many (`evbuffer_remove`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abc").unwrap();
    /// let mut out = [0u8; 8];
    /// assert_eq!(buf.remove(&mut out).unwrap(), 3);
    /// assert_eq!(&out[..3], b"abc");
    /// assert!(buf.is_empty());
    /// ```
    pub fn remove(&mut self, out: &mut [u8]) -> Result<usize> {
        let n = self.copyout(out)?;
        if n > 0 {
            self.drain_front(n);
            self.cbs.deleted(n);
            self.notify();
        }
        Ok(n)
    }

    /// Copies up to `out.len()` bytes from the start into `out` without
    /// draining them; returns how many (`evbuffer_copyout`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"abc").unwrap();
    /// let mut out = [0u8; 2];
    /// assert_eq!(buf.copyout(&mut out).unwrap(), 2);
    /// assert_eq!(&out, b"ab");
    /// assert_eq!(buf.len(), 3);
    /// ```
    pub fn copyout(&self, out: &mut [u8]) -> Result<usize> {
        let n = out.len().min(self.len);
        if n == 0 {
            return Ok(0);
        }
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.load_files()?;
        self.copy_range(0, 0, &mut out[..n]);
        Ok(n)
    }

    /// Copies up to `out.len()` bytes starting at `pos` into `out`; returns
    /// how many (`evbuffer_copyout_from`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"key=value").unwrap();
    /// let eq = buf.search(b"=", None).unwrap().unwrap();
    /// let at = buf.pos_add(&eq, 1).unwrap();
    /// let mut out = [0u8; 16];
    /// let n = buf.copyout_from(&at, &mut out).unwrap();
    /// assert_eq!(&out[..n], b"value");
    /// ```
    pub fn copyout_from(&self, pos: &Pos, out: &mut [u8]) -> Result<usize> {
        let (chunk, off) = self.resolve(pos)?;
        let n = out.len().min(self.len - pos.offset());
        if n == 0 {
            return Ok(0);
        }
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.load_files()?;
        self.copy_range(chunk, off, &mut out[..n]);
        Ok(n)
    }

    /// A copy of every byte, in a new `Vec` (refused, not aborted, when
    /// memory runs out).
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.add(b"all").unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"all");
    /// ```
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        self.load_files()?;
        let mut v = Vec::new();
        v.try_reserve_exact(self.len)
            .map_err(|_| BufferError::OutOfMemory(self.len))?;
        for c in &self.chunks {
            v.extend_from_slice(c.bytes());
        }
        Ok(v)
    }

    /// Freezes one end (`evbuffer_freeze`): operations that would change it
    /// are refused with [`BufferError::Frozen`] until [`unfreeze`](Self::unfreeze).
    /// Freezing the start also refuses copying out and line reading, as in
    /// libevent.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, Side};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"data").unwrap();
    /// buf.freeze(Side::Start);
    /// assert!(buf.is_frozen(Side::Start));
    /// assert!(buf.remove(&mut [0u8; 2]).is_err());
    /// buf.unfreeze(Side::Start);
    /// assert_eq!(buf.drain(4).unwrap(), 4);
    /// ```
    pub fn freeze(&mut self, side: Side) {
        match side {
            Side::Start => self.frozen_start = true,
            Side::End => self.frozen_end = true,
        }
    }

    /// Unfreezes one end (`evbuffer_unfreeze`).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, Side};
    ///
    /// let mut buf = Buffer::new();
    /// buf.freeze(Side::End);
    /// buf.unfreeze(Side::End);
    /// buf.add(b"ok").unwrap();
    /// ```
    pub fn unfreeze(&mut self, side: Side) {
        match side {
            Side::Start => self.frozen_start = false,
            Side::End => self.frozen_end = false,
        }
    }

    /// Whether one end is frozen.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, Side};
    /// let mut buf = Buffer::new();
    /// buf.freeze(Side::End);
    /// assert!(buf.is_frozen(Side::End) && !buf.is_frozen(Side::Start));
    /// ```
    pub fn is_frozen(&self, side: Side) -> bool {
        match side {
            Side::Start => self.frozen_start,
            Side::End => self.frozen_end,
        }
    }

    /// The buffer's flags.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, BufferFlags};
    /// assert_eq!(Buffer::new().flags(), BufferFlags::default());
    /// ```
    pub fn flags(&self) -> BufferFlags {
        self.flags
    }

    /// Sets flags (`evbuffer_set_flags`).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, BufferFlags};
    /// let mut buf = Buffer::new();
    /// buf.set_flags(BufferFlags::DRAINS_TO_FD);
    /// assert_eq!(buf.flags(), BufferFlags::DRAINS_TO_FD);
    /// ```
    pub fn set_flags(&mut self, flags: BufferFlags) {
        self.flags.0 |= flags.0;
    }

    /// Clears flags (`evbuffer_clear_flags`).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, BufferFlags};
    /// let mut buf = Buffer::new();
    /// buf.set_flags(BufferFlags::DRAINS_TO_FD);
    /// buf.clear_flags(BufferFlags::DRAINS_TO_FD);
    /// assert_eq!(buf.flags(), BufferFlags::default());
    /// ```
    pub fn clear_flags(&mut self, flags: BufferFlags) {
        self.flags.0 &= !flags.0;
    }

    /// The bytes, chunk by chunk, without copying (empty chunks skipped).
    /// Fails only when a file segment must be read and cannot be.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"one"[..]).unwrap();
    /// buf.add_reference(&b"two"[..]).unwrap();
    /// let parts: Vec<&[u8]> = buf.chunks().unwrap().collect();
    /// assert_eq!(parts, [&b"one"[..], &b"two"[..]]);
    /// ```
    pub fn chunks(&self) -> Result<Chunks<'_>> {
        self.load_files()?;
        Ok(Chunks {
            inner: self.chunks.iter(),
            skip: 0,
        })
    }

    /// The chunks from `pos` on; the first slice starts at `pos`
    /// (`evbuffer_peek` with a start position).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"one"[..]).unwrap();
    /// buf.add_reference(&b"two"[..]).unwrap();
    /// let at = buf.pos_at(1).unwrap();
    /// let parts: Vec<&[u8]> = buf.chunks_from(&at).unwrap().collect();
    /// assert_eq!(parts, [&b"ne"[..], &b"two"[..]]);
    /// ```
    pub fn chunks_from(&self, pos: &Pos) -> Result<Chunks<'_>> {
        let (chunk, off) = self.resolve(pos)?;
        self.load_files()?;
        let mut inner = self.chunks.iter();
        if chunk > 0 {
            inner.nth(chunk - 1);
        }
        Ok(Chunks { inner, skip: off })
    }

    /// Slices covering exactly the first `min(n, len())` bytes, without
    /// copying (`evbuffer_peek`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"hello"[..]).unwrap();
    /// buf.add_reference(&b"world"[..]).unwrap();
    /// let v = buf.peek(7).unwrap();
    /// assert_eq!(v, [&b"hello"[..], &b"wo"[..]]);
    /// ```
    pub fn peek(&self, n: usize) -> Result<Vec<&[u8]>> {
        let mut left = n.min(self.len);
        let mut out = Vec::new();
        for s in self.chunks()? {
            if left == 0 {
                break;
            }
            let k = s.len().min(left);
            out.push(&s[..k]);
            left -= k;
        }
        Ok(out)
    }

    /// Checks the chain's invariants; for tests and fuzzing.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        let mut sum = 0usize;
        let mut seen_empty = false;
        for c in &self.chunks {
            c.check()?;
            if c.is_empty() {
                seen_empty = true;
                if !c.is_owned() {
                    return Err("an empty chunk that is not owned".into());
                }
            } else if seen_empty {
                return Err(format!("an empty chunk before data: {:?}", self.chunks));
            }
            sum = sum.checked_add(c.len()).ok_or("length overflow")?;
        }
        if sum != self.len {
            return Err(format!("len {} but chunks hold {sum}", self.len));
        }
        let sendfile = self
            .chunks
            .iter()
            .filter(|c| c.sendfile_segment().is_some())
            .count();
        if sendfile > self.files {
            return Err(format!(
                "{sendfile} sendfile chunks but files = {}",
                self.files
            ));
        }
        Ok(())
    }

    // ---- internals shared by the other files ----

    /// Refuses growth by `n` bytes past `isize::MAX` in total.
    #[inline]
    fn check_grow(&self, n: usize) -> Result<()> {
        match self.len.checked_add(n) {
            Some(t) if t <= isize::MAX as usize => Ok(()),
            _ => Err(BufferError::TooLarge.into()),
        }
    }

    /// Index of the first chunk appended bytes may go into: the last chunk
    /// with data if it is owned and has room, else the first trailing empty
    /// chunk (maybe `chunks.len()`: none).
    fn write_start(&self) -> usize {
        let n = self.chunks.len();
        let mut i = n;
        while i > 0 && self.chunks[i - 1].is_empty() {
            i -= 1;
        }
        if i > 0 && self.chunks[i - 1].spare() > 0 {
            i - 1
        } else {
            i
        }
    }

    /// Bytes that can be appended without another allocation.
    fn write_room(&self) -> usize {
        let w = self.write_start();
        self.chunks
            .range(w..)
            .fold(0usize, |a, c| a.saturating_add(c.spare()))
    }

    /// Appends as much of `data` as fits in the room already allocated;
    /// returns how much (no bookkeeping).
    fn fill(&mut self, data: &[u8]) -> usize {
        let mut rest = data;
        let mut i = self.write_start();
        while !rest.is_empty() {
            let Some(c) = self.chunks.get_mut(i) else {
                break;
            };
            let k = c.spare().min(rest.len());
            c.append(&rest[..k]);
            rest = &rest[k..];
            i += 1;
        }
        data.len() - rest.len()
    }

    /// Makes sure `n` bytes can be appended without another allocation.
    fn make_room(&mut self, n: usize) -> Result<()> {
        let avail = self.write_room();
        if avail >= n {
            return Ok(());
        }
        let need = n - avail;
        let last_cap = self.chunks.back().map_or(0, Chunk::capacity);
        let auto = if last_cap <= AUTO_MAX / 2 {
            last_cap * 2
        } else {
            last_cap
        };
        let cap = need.max(auto).max(MIN_CHUNK);
        self.chunks
            .try_reserve(1)
            .map_err(|_| BufferError::OutOfMemory(cap))?;
        let c = self.new_chunk(cap)?;
        self.chunks.push_back(c);
        Ok(())
    }

    /// Appends bytes after making room; does not touch `len` or counters.
    fn append_slow(&mut self, data: &[u8]) -> Result<()> {
        self.make_room(data.len())?;
        let written = self.fill(data);
        debug_assert_eq!(written, data.len(), "make_room made too little room");
        Ok(())
    }

    /// An empty owned chunk with room for at least `cap` bytes (the kept
    /// spare when it is big enough).
    fn new_chunk(&mut self, cap: usize) -> Result<Chunk> {
        if let Some(v) = self.spare.take() {
            if v.capacity() >= cap {
                return Ok(Chunk::owned(v));
            }
        }
        Ok(Chunk::owned(alloc(cap)?))
    }

    /// Drops a chunk that left the chain, keeping small owned memory for
    /// re-use. May run a reference's or segment's cleanup.
    fn recycle(&mut self, c: Chunk) {
        if c.sendfile_segment().is_some() {
            self.files = self.files.saturating_sub(1);
        }
        if self.spare.is_none() && c.is_owned() && c.capacity() <= SPARE_MAX {
            self.spare = c.into_vec();
        }
    }

    /// Removes `n <= len` bytes from the start (no checks, no callbacks).
    #[inline(always)]
    fn drain_front(&mut self, n: usize) {
        // The usual case, inlined: the bytes all sit in the first chunk and
        // some stay there.
        if let Some(front) = self.chunks.front_mut() {
            if n > 0 && n < front.len() {
                front.start += n;
                self.len -= n;
                self.era += 1;
                self.mods += 1;
                self.front_mods += 1;
                self.eol_scan = None;
                return;
            }
        }
        self.drain_front_slow(n);
    }

    #[inline(never)]
    fn drain_front_slow(&mut self, n: usize) {
        let mut n = n.min(self.len);
        if n == 0 {
            return;
        }
        self.len -= n;
        self.era += 1;
        self.mods += 1;
        self.front_mods += 1;
        self.eol_scan = None;
        while n > 0 {
            let only = self.chunks.len() == 1;
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let l = front.len();
            if n < l {
                front.start += n;
                break;
            }
            n -= l;
            if only && front.is_owned() && front.capacity() <= SPARE_MAX {
                // The last chunk: keep it as room for the next add.
                front.reset();
                break;
            }
            if let Some(c) = self.chunks.pop_front() {
                self.recycle(c);
            }
        }
    }

    /// Copies `out.len()` bytes starting at byte `off` of chunk `chunk`
    /// (the caller checked they exist).
    fn copy_range(&self, chunk: usize, off: usize, out: &mut [u8]) {
        // Most copies (a line, a header, a 4 KiB read) sit in one chunk.
        if let Some(b) = off
            .checked_add(out.len())
            .and_then(|end| self.chunks.get(chunk).and_then(|c| c.bytes().get(off..end)))
        {
            out.copy_from_slice(b);
            return;
        }
        let mut done = 0;
        let mut skip = off;
        for c in self.chunks.range(chunk..) {
            if done == out.len() {
                break;
            }
            let b = c.bytes().get(skip..).unwrap_or(&[]);
            skip = 0;
            let k = b.len().min(out.len() - done);
            out[done..done + k].copy_from_slice(&b[..k]);
            done += k;
        }
    }

    /// Reads every `sendfile` segment still on disk into memory, so content
    /// can be read. Free when the buffer holds none.
    #[inline]
    fn load_files(&self) -> Result<()> {
        if self.files == 0 {
            return Ok(());
        }
        for c in &self.chunks {
            if let Some(seg) = c.unloaded_file() {
                seg.load()?;
            }
        }
        Ok(())
    }

    /// Recounts `sendfile` chunks after chunks moved in.
    fn recount_files(&mut self) {
        self.files = self
            .chunks
            .iter()
            .filter(|c| c.sendfile_segment().is_some())
            .count();
    }
}

/// The chunks of a buffer as slices ([`Buffer::chunks`]).
///
/// ```
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"abc").unwrap();
/// let total: usize = buf.chunks().unwrap().map(<[u8]>::len).sum();
/// assert_eq!(total, 3);
/// ```
#[derive(Debug)]
pub struct Chunks<'a> {
    inner: std::collections::vec_deque::Iter<'a, Chunk>,
    skip: usize,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let c = self.inner.next()?;
            let b = c.bytes().get(self.skip..).unwrap_or(&[]);
            self.skip = 0;
            if !b.is_empty() {
                return Some(b);
            }
        }
    }
}
