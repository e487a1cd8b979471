//! File segments: a byte range of a file that buffers send without copying
//! it through user space (libevent's `evbuffer_file_segment`).
//!
//! What this module owns: the segment's descriptor, its range, its bytes
//! once read, and its cleanup callback. A segment is shared (`Arc`) by every
//! chunk that refers to it; the descriptor is closed (when the segment owns
//! it) and the cleanup callback runs once, when the last reference goes.
//!
//! How bytes reach a socket: a buffer flagged
//! [`DRAINS_TO_FD`](super::BufferFlags::DRAINS_TO_FD) keeps the segment as a
//! `sendfile` chunk and [`Buffer::write_fd`](super::Buffer::write_fd) sends it
//! with `sendfile(2)`; any other buffer (or a segment made with
//! `DISABLE_SENDFILE`, or a destination `sendfile` refuses) reads the range
//! into memory once with `pread` and shares those bytes.
//!
//! What it must never do: `mmap` the file (see `sys/bufio.rs`: a truncated
//! file would raise `SIGBUS`, and a changing mapping breaks `&[u8]`'s
//! guarantees), so `DISABLE_MMAP` is always in effect; or read past the
//! range fixed at creation.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, Mutex, OnceLock};

use super::chunk::alloc;
use super::BufferError;
use crate::error::Result;
use crate::sys::bufio;

/// Flags of a file segment (libevent's `EVBUF_FS_*`).
///
/// ```
/// use oxevent::buffer::SegmentFlags;
///
/// let f = SegmentFlags::DISABLE_SENDFILE | SegmentFlags::DISABLE_LOCKING;
/// assert!(f.contains(SegmentFlags::DISABLE_SENDFILE));
/// assert!(!f.contains(SegmentFlags::CLOSE_ON_FREE));
/// assert_eq!(f.bits(), 0x0c);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentFlags(u32);

impl SegmentFlags {
    /// No flags.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::SegmentFlags::NONE.bits(), 0);
    /// ```
    pub const NONE: SegmentFlags = SegmentFlags(0);
    /// Close the descriptor when the segment is freed (`EVBUF_FS_CLOSE_ON_FREE`).
    /// In Rust the descriptor's type decides: an `OwnedFd` is closed, a
    /// borrowed one is not; the flag is recorded and reported to the cleanup
    /// callback.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::SegmentFlags::CLOSE_ON_FREE.bits(), 0x01);
    /// ```
    pub const CLOSE_ON_FREE: SegmentFlags = SegmentFlags(0x01);
    /// Never `mmap` the file (`EVBUF_FS_DISABLE_MMAP`). oxevent never maps
    /// segments, so this is always in effect.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::SegmentFlags::DISABLE_MMAP.bits(), 0x02);
    /// ```
    pub const DISABLE_MMAP: SegmentFlags = SegmentFlags(0x02);
    /// Never use `sendfile`: read the range into memory (`EVBUF_FS_DISABLE_SENDFILE`).
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::SegmentFlags::DISABLE_SENDFILE.bits(), 0x04);
    /// ```
    pub const DISABLE_SENDFILE: SegmentFlags = SegmentFlags(0x04);
    /// Do not lock the segment (`EVBUF_FS_DISABLE_LOCKING`). Accepted; the
    /// segment's one-time read is always thread-safe.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::SegmentFlags::DISABLE_LOCKING.bits(), 0x08);
    /// ```
    pub const DISABLE_LOCKING: SegmentFlags = SegmentFlags(0x08);

    /// Flags from libevent's bit values (unknown bits are kept).
    ///
    /// ```
    /// use oxevent::buffer::SegmentFlags;
    /// assert_eq!(SegmentFlags::from_bits(4), SegmentFlags::DISABLE_SENDFILE);
    /// ```
    pub const fn from_bits(bits: u32) -> SegmentFlags {
        SegmentFlags(bits)
    }

    /// The bit values.
    ///
    /// ```
    /// use oxevent::buffer::SegmentFlags;
    /// assert_eq!((SegmentFlags::CLOSE_ON_FREE | SegmentFlags::DISABLE_MMAP).bits(), 3);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    ///
    /// ```
    /// use oxevent::buffer::SegmentFlags;
    /// assert!(SegmentFlags::NONE.contains(SegmentFlags::NONE));
    /// assert!(!SegmentFlags::NONE.contains(SegmentFlags::DISABLE_MMAP));
    /// ```
    pub const fn contains(self, other: SegmentFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Segment flags combine with `|`.
///
/// ```
/// use oxevent::buffer::SegmentFlags;
/// let f = SegmentFlags::DISABLE_MMAP | SegmentFlags::DISABLE_SENDFILE;
/// assert_eq!(f.bits(), 6);
/// ```
impl std::ops::BitOr for SegmentFlags {
    type Output = SegmentFlags;
    fn bitor(self, other: SegmentFlags) -> SegmentFlags {
        SegmentFlags(self.0 | other.0)
    }
}

type Cleanup = Box<dyn FnOnce(SegmentFlags) + Send>;

struct Inner {
    /// `None` only while dropping (closed before the cleanup runs, as
    /// libevent does).
    fd: Option<Box<dyn AsFd + Send + Sync>>,
    offset: u64,
    len: u64,
    flags: SegmentFlags,
    contents: OnceLock<Box<[u8]>>,
    cleanup: Mutex<Option<Cleanup>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.fd.take());
        let cleanup = self
            .cleanup
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(cb) = cleanup {
            cb(self.flags);
        }
    }
}

/// A byte range of a file, shared by every buffer chunk that refers to it.
///
/// Cloning makes another handle to the same segment. The descriptor is
/// released, and the cleanup callback runs, when the last handle and the
/// last chunk referring to the segment are gone.
///
/// ```
/// use std::io::Write;
/// use oxevent::buffer::{Buffer, FileSegment, SegmentFlags};
///
/// let mut file = tempfile();
/// file.write_all(b"0123456789").unwrap();
/// let seg = FileSegment::new(file, 2, Some(5), SegmentFlags::NONE).unwrap();
/// let mut buf = Buffer::new();
/// buf.add_file_segment(&seg, 1, None).unwrap(); // bytes 3..7 of the file
/// assert_eq!(buf.to_vec().unwrap(), b"3456");
/// # fn tempfile() -> std::fs::File {
/// #     let p = std::env::temp_dir().join(format!("oxevent-doc-seg-{}", std::process::id()));
/// #     let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&p).unwrap();
/// #     std::fs::remove_file(&p).unwrap();
/// #     f
/// # }
/// ```
#[derive(Clone)]
pub struct FileSegment {
    inner: Arc<Inner>,
}

impl fmt::Debug for FileSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSegment")
            .field("offset", &self.inner.offset)
            .field("len", &self.inner.len)
            .field("flags", &self.inner.flags)
            .field("loaded", &self.inner.contents.get().is_some())
            .finish()
    }
}

impl FileSegment {
    /// A segment of `len` bytes of `fd` starting at `offset` (`None`: to the
    /// end of the file). The segment keeps `fd`: pass an `OwnedFd` or `File`
    /// to have it closed with the segment, a `&'static` or `Arc` handle to
    /// keep it open.
    ///
    /// Refused: a descriptor `fstat` rejects (closed), one that is not a
    /// regular file, or a range past the end of the file (libevent would
    /// `mmap` it and crash with `SIGBUS` on access). With
    /// `DISABLE_SENDFILE` the range is read into memory now, as libevent does.
    ///
    /// ```
    /// use std::io::Write;
    /// use oxevent::buffer::{FileSegment, SegmentFlags};
    ///
    /// let p = std::env::temp_dir().join(format!("oxevent-doc-new-{}", std::process::id()));
    /// std::fs::File::create(&p).unwrap().write_all(b"abc").unwrap();
    /// let f = std::fs::File::open(&p).unwrap();
    /// std::fs::remove_file(&p).unwrap();
    /// assert!(FileSegment::new(f.try_clone().unwrap(), 1, Some(5), SegmentFlags::NONE).is_err());
    /// let seg = FileSegment::new(f, 1, None, SegmentFlags::NONE).unwrap();
    /// assert_eq!(seg.len(), 2);
    /// ```
    pub fn new<F>(fd: F, offset: u64, len: Option<u64>, flags: SegmentFlags) -> Result<FileSegment>
    where
        F: AsFd + Send + Sync + 'static,
    {
        let info = bufio::file_info(fd.as_fd())?;
        if !info.regular {
            return Err(BufferError::BadFileRange("not a regular file").into());
        }
        if offset > info.size {
            return Err(BufferError::BadFileRange("offset past the end of the file").into());
        }
        let len = match len {
            None => info.size - offset,
            Some(l) => l,
        };
        match offset.checked_add(len) {
            Some(end) if end <= info.size => {}
            Some(_) => {
                return Err(BufferError::BadFileRange("range past the end of the file").into())
            }
            None => return Err(BufferError::TooLarge.into()),
        }
        if len > isize::MAX as u64 || offset > i64::MAX as u64 {
            return Err(BufferError::TooLarge.into());
        }
        let seg = FileSegment {
            inner: Arc::new(Inner {
                fd: Some(Box::new(fd)),
                offset,
                len,
                flags,
                contents: OnceLock::new(),
                cleanup: Mutex::new(None),
            }),
        };
        if flags.contains(SegmentFlags::DISABLE_SENDFILE) {
            seg.load()?;
        }
        Ok(seg)
    }

    /// Length of the range in bytes.
    ///
    /// ```
    /// # use std::io::Write;
    /// # use oxevent::buffer::{FileSegment, SegmentFlags};
    /// # let p = std::env::temp_dir().join(format!("oxevent-doc-len-{}", std::process::id()));
    /// # std::fs::File::create(&p).unwrap().write_all(b"abcdef").unwrap();
    /// # let f = std::fs::File::open(&p).unwrap();
    /// # std::fs::remove_file(&p).unwrap();
    /// let seg = FileSegment::new(f, 2, Some(3), SegmentFlags::NONE).unwrap();
    /// assert_eq!((seg.offset(), seg.len()), (2, 3));
    /// ```
    pub fn len(&self) -> u64 {
        self.inner.len
    }

    /// Whether the range is empty.
    ///
    /// ```
    /// # use oxevent::buffer::{FileSegment, SegmentFlags};
    /// # let p = std::env::temp_dir().join(format!("oxevent-doc-empty-{}", std::process::id()));
    /// # std::fs::File::create(&p).unwrap();
    /// # let f = std::fs::File::open(&p).unwrap();
    /// # std::fs::remove_file(&p).unwrap();
    /// let seg = FileSegment::new(f, 0, None, SegmentFlags::NONE).unwrap();
    /// assert!(seg.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Offset of the range in the file.
    ///
    /// ```
    /// # use std::io::Write;
    /// # use oxevent::buffer::{FileSegment, SegmentFlags};
    /// # let p = std::env::temp_dir().join(format!("oxevent-doc-off-{}", std::process::id()));
    /// # std::fs::File::create(&p).unwrap().write_all(b"abcdef").unwrap();
    /// # let f = std::fs::File::open(&p).unwrap();
    /// # std::fs::remove_file(&p).unwrap();
    /// let seg = FileSegment::new(f, 4, None, SegmentFlags::NONE).unwrap();
    /// assert_eq!((seg.offset(), seg.len()), (4, 2));
    /// ```
    pub fn offset(&self) -> u64 {
        self.inner.offset
    }

    /// The flags the segment was made with.
    ///
    /// ```
    /// # use oxevent::buffer::{FileSegment, SegmentFlags};
    /// # let p = std::env::temp_dir().join(format!("oxevent-doc-flags-{}", std::process::id()));
    /// # std::fs::File::create(&p).unwrap();
    /// # let f = std::fs::File::open(&p).unwrap();
    /// # std::fs::remove_file(&p).unwrap();
    /// let seg = FileSegment::new(f, 0, None, SegmentFlags::DISABLE_MMAP).unwrap();
    /// assert_eq!(seg.flags(), SegmentFlags::DISABLE_MMAP);
    /// ```
    pub fn flags(&self) -> SegmentFlags {
        self.inner.flags
    }

    /// Sets the callback that runs once, with the segment's flags, when the
    /// segment is freed (`evbuffer_file_segment_add_cleanup_cb`); replaces
    /// an earlier one.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// # use oxevent::buffer::{Buffer, FileSegment, SegmentFlags};
    /// # let p = std::env::temp_dir().join(format!("oxevent-doc-clean-{}", std::process::id()));
    /// # std::fs::write(&p, b"data").unwrap();
    /// # let f = std::fs::File::open(&p).unwrap();
    /// # std::fs::remove_file(&p).unwrap();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let seg = FileSegment::new(f, 0, None, SegmentFlags::CLOSE_ON_FREE).unwrap();
    /// let flag = done.clone();
    /// seg.set_cleanup(move |flags| {
    ///     assert_eq!(flags, SegmentFlags::CLOSE_ON_FREE);
    ///     flag.store(true, Ordering::SeqCst);
    /// });
    /// let mut buf = Buffer::new();
    /// buf.add_file_segment(&seg, 0, None).unwrap();
    /// drop(seg); // the buffer still refers to it
    /// assert!(!done.load(Ordering::SeqCst));
    /// buf.clear().unwrap();
    /// assert!(done.load(Ordering::SeqCst));
    /// ```
    pub fn set_cleanup<F>(&self, cleanup: F)
    where
        F: FnOnce(SegmentFlags) + Send + 'static,
    {
        let mut slot = self.inner.cleanup.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Box::new(cleanup));
    }

    /// The bytes of the range, if they were read already.
    pub(crate) fn loaded(&self) -> Option<&[u8]> {
        self.inner.contents.get().map(|b| &b[..])
    }

    /// The bytes of the range, reading them now (once) if needed.
    pub(crate) fn load(&self) -> Result<&[u8]> {
        if let Some(c) = self.inner.contents.get() {
            return Ok(c);
        }
        let len = usize::try_from(self.inner.len).map_err(|_| BufferError::TooLarge)?;
        let mut v = alloc(len)?;
        bufio::pread_fill(self.fd(), &mut v, self.inner.offset)?;
        if v.len() < len {
            return Err(BufferError::BadFileRange("the file is shorter than the segment").into());
        }
        // Another thread may have read it meanwhile; either copy is the same.
        let _ = self.inner.contents.set(v.into_boxed_slice());
        self.inner
            .contents
            .get()
            .map(|b| &b[..])
            .ok_or_else(|| BufferError::BadFileRange("segment read lost").into())
    }

    /// The segment's descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        match &self.inner.fd {
            Some(fd) => fd.as_fd(),
            // Only `Drop` takes the descriptor, and nothing borrows a
            // segment that is being dropped.
            None => unreachable!("file segment used while being dropped"),
        }
    }

    /// File offset of byte `at` of the range.
    pub(crate) fn file_offset(&self, at: usize) -> u64 {
        self.inner.offset + at as u64
    }

    /// Whether buffers may send this segment with `sendfile`.
    pub(crate) fn can_sendfile(&self) -> bool {
        !self.inner.flags.contains(SegmentFlags::DISABLE_SENDFILE)
    }
}
