//! One link of a buffer's chain: a window `start..end` over some memory.
//!
//! What this module owns: the three kinds of chunk memory and the rules for
//! writing into them.
//!
//! * **Owned**: a `Vec<u8>` whose capacity is fixed for the chunk's life.
//!   Data is `vec[start..end]`; `vec.len()` is the high-water mark of
//!   initialized bytes (`end <= vec.len() <= vec.capacity()`). Bytes after
//!   `end` are writable spare room; bytes before `start` are room to prepend.
//! * **Shared**: immutable memory behind an `Arc`: a program's reference
//!   (released through its `Drop` exactly once, when the last chunk that
//!   refers to it goes), or a chunk another buffer references.
//! * **File**: a window over a [`FileSegment`], either sent with `sendfile`
//!   (its bytes may not be read yet) or read into memory.
//!
//! What it must never do: grow a `Vec` past its capacity (that would move
//! bytes the C face still points at), write into Shared or File memory, or
//! let `start..end` leave the memory it windows.

use std::fmt;
use std::sync::Arc;

use super::file::FileSegment;
use super::BufferError;
use crate::error::Result;

/// Memory the program lends to a buffer (`evbuffer_add_reference`).
pub(crate) type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Usable bytes of the smallest chunk a buffer allocates.
pub(crate) const MIN_CHUNK: usize = 1024;
/// Chunks made for small appends grow by doubling up to this size.
pub(crate) const AUTO_MAX: usize = 4096;
/// The largest drained chunk a buffer keeps for re-use.
pub(crate) const SPARE_MAX: usize = 256 * 1024;

/// Where shared memory came from: libevent's reference rules depend on it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Lent by the program (`add_reference`).
    Program,
    /// This buffer's own bytes, frozen because another buffer references
    /// them (`add_buffer_reference` made the source side immutable).
    Pinned,
    /// A reference to another buffer's chunk (libevent's multicast chain).
    Multicast,
}

/// The memory behind a chunk.
pub(crate) enum Mem {
    Owned(Vec<u8>),
    Shared { bytes: SharedBytes, origin: Origin },
    File { seg: FileSegment, sendfile: bool },
}

/// A window `start..end` over `mem`.
pub(crate) struct Chunk {
    pub(crate) mem: Mem,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.mem {
            Mem::Owned(v) => format!("owned(cap {})", v.capacity()),
            Mem::Shared { origin, .. } => format!("shared({origin:?})"),
            Mem::File { sendfile, .. } => format!("file(sendfile {sendfile})"),
        };
        write!(f, "{kind}[{}..{}]", self.start, self.end)
    }
}

/// A `Vec` with room for exactly `cap` bytes, or `OutOfMemory`.
pub(crate) fn alloc(cap: usize) -> Result<Vec<u8>> {
    if cap > isize::MAX as usize {
        return Err(BufferError::TooLarge.into());
    }
    let mut v = Vec::new();
    v.try_reserve_exact(cap)
        .map_err(|_| BufferError::OutOfMemory(cap))?;
    Ok(v)
}

impl Chunk {
    /// An empty owned chunk over `v` (which must be empty).
    pub(crate) fn owned(mut v: Vec<u8>) -> Chunk {
        v.clear();
        Chunk {
            mem: Mem::Owned(v),
            start: 0,
            end: 0,
        }
    }

    /// An owned chunk over `v` holding `data` at the very end of its
    /// capacity (room before it for later prepends); the capacity must be
    /// at least `data.len()` (checked: else the chunk holds nothing).
    pub(crate) fn owned_tail(mut v: Vec<u8>, data: &[u8]) -> Chunk {
        v.clear();
        if v.capacity() < data.len() {
            return Chunk::owned(v);
        }
        let pad = v.capacity() - data.len();
        v.resize(pad, 0);
        v.extend_from_slice(data);
        Chunk {
            mem: Mem::Owned(v),
            start: pad,
            end: pad + data.len(),
        }
    }

    /// Empties an owned chunk in place (all of its capacity becomes room).
    pub(crate) fn reset(&mut self) {
        if let Mem::Owned(v) = &mut self.mem {
            v.clear();
            self.start = 0;
            self.end = 0;
        }
    }

    /// A chunk over all of `bytes`.
    pub(crate) fn shared(bytes: SharedBytes, origin: Origin) -> Chunk {
        let end = (*bytes).as_ref().len();
        Chunk {
            mem: Mem::Shared { bytes, origin },
            start: 0,
            end,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The chunk's bytes. A File chunk whose segment was never read yields
    /// an empty slice: callers that read content load segments first
    /// (`Buffer::load_files`).
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.mem {
            Mem::Owned(v) => &v[self.start..self.end],
            Mem::Shared { bytes, .. } => {
                (**bytes).as_ref().get(self.start..self.end).unwrap_or(&[])
            }
            Mem::File { seg, .. } => seg
                .loaded()
                .and_then(|c| c.get(self.start..self.end))
                .unwrap_or(&[]),
        }
    }

    /// Whether this is a File chunk whose bytes are not in memory yet.
    pub(crate) fn unloaded_file(&self) -> Option<&FileSegment> {
        match &self.mem {
            Mem::File { seg, .. } if seg.loaded().is_none() => Some(seg),
            _ => None,
        }
    }

    /// Whether the chunk is a segment to send with `sendfile`.
    pub(crate) fn sendfile_segment(&self) -> Option<&FileSegment> {
        match &self.mem {
            Mem::File {
                seg,
                sendfile: true,
            } => Some(seg),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn is_owned(&self) -> bool {
        matches!(self.mem, Mem::Owned(_))
    }

    /// Capacity of an owned chunk (0 for the others).
    pub(crate) fn capacity(&self) -> usize {
        match &self.mem {
            Mem::Owned(v) => v.capacity(),
            _ => 0,
        }
    }

    /// Writable room after the data (owned chunks only).
    #[inline]
    pub(crate) fn spare(&self) -> usize {
        match &self.mem {
            Mem::Owned(v) => v.capacity() - self.end,
            _ => 0,
        }
    }

    /// Writable room before the data (owned chunks only).
    pub(crate) fn front_room(&self) -> usize {
        match &self.mem {
            Mem::Owned(_) => self.start,
            _ => 0,
        }
    }

    /// Appends `data`, which must fit in [`spare`](Self::spare) (checked:
    /// anything that does not fit is not written and `false` is returned).
    /// The usual case, bytes going right after the initialized part of an
    /// owned chunk, is inlined into the caller; the rest is out of line.
    #[inline(always)]
    pub(crate) fn append(&mut self, data: &[u8]) -> bool {
        if let Mem::Owned(v) = &mut self.mem {
            if self.end == v.len() && data.len() <= v.capacity() - self.end {
                v.extend_from_slice(data);
                self.end += data.len();
                return true;
            }
        }
        self.append_slow(data)
    }

    #[inline(never)]
    fn append_slow(&mut self, data: &[u8]) -> bool {
        let Mem::Owned(v) = &mut self.mem else {
            return data.is_empty();
        };
        let end = self.end;
        if data.len() > v.capacity() - end {
            return false;
        }
        let init = v.len();
        let new_end = end + data.len();
        if new_end <= init {
            v[end..new_end].copy_from_slice(data);
        } else {
            let k = init - end;
            v[end..init].copy_from_slice(&data[..k]);
            v.extend_from_slice(&data[k..]);
        }
        self.end = new_end;
        true
    }

    /// Prepends `data`, which must fit in [`front_room`](Self::front_room)
    /// (checked as in [`append`](Self::append)).
    pub(crate) fn prepend(&mut self, data: &[u8]) -> bool {
        let Mem::Owned(v) = &mut self.mem else {
            return data.is_empty();
        };
        if data.len() > self.start {
            return false;
        }
        let s = self.start - data.len();
        v[s..self.start].copy_from_slice(data);
        self.start = s;
        true
    }

    /// Makes the first `n` spare bytes initialized (zeroing those never
    /// written) and returns them; `n` is clamped to the spare room.
    pub(crate) fn spare_mut(&mut self, n: usize) -> &mut [u8] {
        let Mem::Owned(v) = &mut self.mem else {
            return &mut [];
        };
        let want = self.end + n.min(v.capacity() - self.end);
        if v.len() < want {
            v.resize(want, 0);
        }
        &mut v[self.end..want]
    }

    /// Initialized spare bytes (those a commit may claim): `vec.len() - end`.
    pub(crate) fn initialized_spare(&self) -> usize {
        match &self.mem {
            Mem::Owned(v) => v.len() - self.end,
            _ => 0,
        }
    }

    /// Address of the first spare byte (compared, never dereferenced, when
    /// a commit names its slices by address).
    pub(crate) fn spare_addr(&self) -> usize {
        match &self.mem {
            Mem::Owned(v) => v.as_ptr() as usize + self.end,
            _ => 0,
        }
    }

    /// The `Vec` and data end of an owned chunk, for reading into it.
    pub(crate) fn owned_vec_mut(&mut self) -> Option<(&mut Vec<u8>, usize)> {
        match &mut self.mem {
            Mem::Owned(v) => Some((v, self.end)),
            _ => None,
        }
    }

    /// A new chunk holding the first `k` bytes of this one without copying
    /// (shared and file memory only; `None` for owned chunks).
    pub(crate) fn share_front(&self, k: usize) -> Option<Chunk> {
        let mem = match &self.mem {
            Mem::Owned(_) => return None,
            Mem::Shared { bytes, origin } => Mem::Shared {
                bytes: bytes.clone(),
                origin: *origin,
            },
            Mem::File { seg, sendfile } => Mem::File {
                seg: seg.clone(),
                sendfile: *sendfile,
            },
        };
        Some(Chunk {
            mem,
            start: self.start,
            end: self.start + k.min(self.len()),
        })
    }

    /// Turns an owned chunk into shared memory (`Origin::Pinned`) so another
    /// buffer may refer to it; no bytes move. Returns the shared handle.
    pub(crate) fn pin(&mut self) -> Option<SharedBytes> {
        match &mut self.mem {
            Mem::Owned(v) => {
                let v = std::mem::take(v);
                let bytes: SharedBytes = Arc::new(v);
                self.mem = Mem::Shared {
                    bytes: bytes.clone(),
                    origin: Origin::Pinned,
                };
                Some(bytes)
            }
            Mem::Shared {
                bytes,
                origin: Origin::Program | Origin::Pinned,
            } => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Whether libevent lets another buffer reference this chunk.
    pub(crate) fn referenceable(&self) -> bool {
        matches!(
            self.mem,
            Mem::Owned(_)
                | Mem::Shared {
                    origin: Origin::Program | Origin::Pinned,
                    ..
                }
        )
    }

    /// Takes back the `Vec` of an owned chunk (for re-use).
    pub(crate) fn into_vec(self) -> Option<Vec<u8>> {
        match self.mem {
            Mem::Owned(v) => Some(v),
            _ => None,
        }
    }

    /// Structural self-check (tests and fuzzing).
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        let ok = match &self.mem {
            Mem::Owned(v) => {
                self.start <= self.end && self.end <= v.len() && v.len() <= v.capacity()
            }
            Mem::Shared { bytes, .. } => {
                self.start <= self.end && self.end <= (**bytes).as_ref().len()
            }
            Mem::File { seg, sendfile } => {
                let seg_len = usize::try_from(seg.len()).unwrap_or(usize::MAX);
                self.start <= self.end
                    && self.end <= seg_len
                    && (*sendfile || seg.loaded().is_some())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("chunk out of bounds: {self:?}"))
        }
    }
}
