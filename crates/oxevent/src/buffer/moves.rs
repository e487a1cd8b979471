//! Bytes that change buffers without being copied, and memory the buffer
//! does not own: `evbuffer_add_buffer`, `evbuffer_prepend_buffer`,
//! `evbuffer_remove_buffer`, `evbuffer_add_buffer_reference`,
//! `evbuffer_add_reference`, `evbuffer_add_file_segment`,
//! `evbuffer_add_file`.
//!
//! What this module owns: moving whole chunks between chains (the chunk
//! changes owner; no byte is copied), sharing chunks (a reference-counted
//! handle to the same bytes), and splicing new chunks in after the last
//! byte of data.
//!
//! What it must never do: copy bytes of a whole chunk (only the partial
//! chunk at the end of a `remove_buffer` is copied, as in libevent, and
//! only when its memory is owned; shared memory is split zero-copy),
//! change one buffer when the other refuses, or run a reference's cleanup
//! while any chunk still refers to its memory.

use std::os::fd::AsFd;
use std::sync::Arc;

use super::chunk::{Chunk, Mem, Origin, SharedBytes, MIN_CHUNK};
use super::{Buffer, BufferError, BufferFlags, FileSegment, SegmentFlags, Side};
use crate::error::{Error, Result};

impl Buffer {
    /// Moves every byte of `src` to the end of this buffer
    /// (`evbuffer_add_buffer`). Whole chunks change owner; nothing is
    /// copied. `src`'s callbacks run, then this buffer's.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut out = Buffer::new();
    /// let mut body = Buffer::new();
    /// out.add(b"header;").unwrap();
    /// body.add(b"body").unwrap();
    /// out.add_buffer(&mut body).unwrap();
    /// assert!(body.is_empty());
    /// assert_eq!(out.to_vec().unwrap(), b"header;body");
    /// ```
    pub fn add_buffer(&mut self, src: &mut Buffer) -> Result<()> {
        let n = src.len;
        if n == 0 {
            return Ok(());
        }
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        if src.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.check_grow(n)?;
        if self.len == 0 {
            // O(1): the chains trade places; src keeps this buffer's empty
            // room (if any), this buffer takes src's chunks and room.
            std::mem::swap(&mut self.chunks, &mut src.chunks);
            self.layout += 1;
            src.layout += 1;
        } else {
            let k = src.data_end();
            self.chunks
                .try_reserve(k)
                .map_err(|_| BufferError::OutOfMemory(n))?;
            let dst_data = self.data_end();
            self.truncate_chunks(dst_data);
            self.chunks.extend(src.chunks.drain(..k));
        }
        if src.files > 0 {
            src.recount_files();
            self.recount_files();
        }
        src.after_front_removed(n);
        self.after_appended(n);
        src.notify();
        self.notify();
        Ok(())
    }

    /// Moves every byte of `src` to the start of this buffer
    /// (`evbuffer_prepend_buffer`), without copying. Earlier positions in
    /// this buffer become stale.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut msg = Buffer::new();
    /// let mut header = Buffer::new();
    /// msg.add(b"payload").unwrap();
    /// header.add(b"7:").unwrap();
    /// msg.prepend_buffer(&mut header).unwrap();
    /// assert_eq!(msg.to_vec().unwrap(), b"7:payload");
    /// ```
    pub fn prepend_buffer(&mut self, src: &mut Buffer) -> Result<()> {
        let n = src.len;
        if n == 0 {
            return Ok(());
        }
        if self.frozen_start || src.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.check_grow(n)?;
        let k = src.data_end();
        self.chunks
            .try_reserve(k)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        if self.len == 0 {
            self.truncate_chunks(0);
            self.chunks.extend(src.chunks.drain(..k));
        } else {
            for c in src.chunks.drain(..k).rev() {
                self.chunks.push_front(c);
            }
            self.front_mods += 1;
        }
        if src.files > 0 {
            src.recount_files();
            self.recount_files();
        }
        src.after_front_removed(n);
        self.len += n;
        self.era += 1;
        self.layout += 1;
        self.mods += 1;
        self.cbs.added(n);
        src.notify();
        self.notify();
        Ok(())
    }

    /// Moves up to `n` bytes from the start of this buffer to the end of
    /// `dst`; returns how many moved (`evbuffer_remove_buffer`). Whole
    /// chunks change owner; of a chunk split in two, the part that moves is
    /// copied when its memory is owned (as libevent does) or shared but
    /// under 1 KiB, and shared without copying otherwise.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut src = Buffer::new();
    /// let mut dst = Buffer::new();
    /// src.add(b"0123456789").unwrap();
    /// assert_eq!(src.remove_buffer(&mut dst, 4).unwrap(), 4);
    /// assert_eq!(dst.to_vec().unwrap(), b"0123");
    /// assert_eq!(src.to_vec().unwrap(), b"456789");
    /// assert_eq!(src.remove_buffer(&mut dst, 100).unwrap(), 6);
    /// assert!(src.is_empty());
    /// ```
    pub fn remove_buffer(&mut self, dst: &mut Buffer, n: usize) -> Result<usize> {
        if n == 0 {
            return Ok(0);
        }
        if dst.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        if n >= self.len {
            let all = self.len;
            dst.add_buffer(self)?;
            return Ok(all);
        }
        dst.check_grow(n)?;
        // Count the whole chunks, and the bytes of the one split in two.
        let mut whole = 0;
        let mut left = n;
        while let Some(c) = self.chunks.get(whole) {
            if c.len() > left {
                break;
            }
            left -= c.len();
            whole += 1;
        }
        // The split chunk's bytes are copied when they are owned (as in
        // libevent), or shared but few (a handle per small piece would
        // fragment the chain); file bytes not read yet are always shared.
        let split_owned = left > 0
            && (self.chunks[whole].is_owned()
                || (left < MIN_CHUNK && self.chunks[whole].unloaded_file().is_none()));
        // Everything that can fail happens before anything moves.
        dst.chunks
            .try_reserve(whole + 1)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        let mut fresh = None;
        if split_owned {
            // Where the copied bytes will go: after the moved chunks, or
            // into dst's own room when no whole chunk moves.
            let room = if whole > 0 {
                self.chunks[whole - 1].spare()
            } else {
                dst.write_room()
            };
            if room < left {
                fresh = Some(dst.new_chunk(left.max(MIN_CHUNK))?);
            }
        }
        if whole > 0 {
            let dst_data = dst.data_end();
            dst.truncate_chunks(dst_data);
            dst.chunks.extend(self.chunks.drain(..whole));
        }
        if left > 0 {
            let front = &mut self.chunks[0];
            let shared = if split_owned {
                None
            } else {
                front.share_front(left)
            };
            if let Some(piece) = shared {
                front.start += left;
                dst.insert_after_data(piece);
            } else {
                if let Some(c) = fresh.take() {
                    let at = dst.data_end();
                    dst.truncate_chunks(at);
                    dst.chunks.push_back(c);
                }
                let bytes = &self.chunks[0].bytes()[..left];
                let written = dst.fill(bytes);
                if written < left {
                    // Unreachable: the room was counted above.
                    dst.append_slow(&bytes[written..])?;
                }
                self.chunks[0].start += left;
            }
        }
        if self.files > 0 {
            self.recount_files();
            dst.recount_files();
        }
        self.after_front_removed(n);
        dst.after_appended(n);
        dst.notify();
        self.notify();
        Ok(n)
    }

    /// Appends references to every byte of `src` without copying or
    /// removing them (`evbuffer_add_buffer_reference`): both buffers then
    /// share the memory, and `src` no longer writes into those chunks.
    ///
    /// Refused, as in libevent, when `src` holds file segments or chunks
    /// that are themselves references to another buffer.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut template = Buffer::new();
    /// template.add(b"HTTP/1.1 200 OK\r\n").unwrap();
    /// let mut reply = Buffer::new();
    /// reply.add_buffer_reference(&mut template).unwrap();
    /// assert_eq!(reply.to_vec().unwrap(), template.to_vec().unwrap());
    /// let mut again = Buffer::new();
    /// assert!(again.add_buffer_reference(&mut reply).is_err()); // a reference of a reference
    /// ```
    pub fn add_buffer_reference(&mut self, src: &mut Buffer) -> Result<()> {
        let n = src.len;
        if n == 0 {
            return Ok(());
        }
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        let k = src.data_end();
        if src.chunks.range(..k).any(|c| !c.referenceable()) {
            return Err(BufferError::Unreferenceable.into());
        }
        self.check_grow(n)?;
        self.chunks
            .try_reserve(k)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        let dst_data = self.data_end();
        self.truncate_chunks(dst_data);
        for c in src.chunks.range_mut(..k) {
            if let Some(bytes) = c.pin() {
                self.chunks.push_back(Chunk {
                    mem: Mem::Shared {
                        bytes,
                        origin: Origin::Multicast,
                    },
                    start: c.start,
                    end: c.end,
                });
            }
        }
        src.mods += 1;
        self.after_appended(n);
        self.notify();
        Ok(())
    }

    /// Appends memory the program owns without copying it
    /// (`evbuffer_add_reference`). The buffer keeps `data` until the last
    /// chunk referring to it is drained or the buffer is dropped; then
    /// `data` is dropped, exactly once: its `Drop` is the cleanup callback.
    /// An empty `data` is dropped at once.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"static bytes"[..]).unwrap();
    /// buf.add_reference(vec![1u8, 2, 3]).unwrap(); // the Vec moves in, unchanged
    /// assert_eq!(buf.len(), 15);
    /// ```
    pub fn add_reference<R>(&mut self, data: R) -> Result<()>
    where
        R: AsRef<[u8]> + Send + Sync + 'static,
    {
        self.try_add_reference(data).map_err(|(e, _)| e)
    }

    /// Like [`add_reference`](Self::add_reference), but a refused `data` is
    /// handed back instead of dropped, so its cleanup does not run (as in
    /// libevent, whose refused `evbuffer_add_reference` never calls the
    /// cleanup function).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, Side};
    ///
    /// let mut buf = Buffer::new();
    /// buf.freeze(Side::End);
    /// let (err, back) = buf.try_add_reference(vec![7u8; 4]).unwrap_err();
    /// assert_eq!(back, [7, 7, 7, 7]);
    /// println!("refused: {err}");
    /// ```
    pub fn try_add_reference<R>(&mut self, data: R) -> std::result::Result<(), (Error, R)>
    where
        R: AsRef<[u8]> + Send + Sync + 'static,
    {
        if self.frozen_end {
            return Err((BufferError::Frozen(Side::End).into(), data));
        }
        let n = data.as_ref().len();
        if n == 0 {
            return Ok(());
        }
        if let Err(e) = self.check_grow(n) {
            return Err((e, data));
        }
        if self.chunks.try_reserve(1).is_err() {
            return Err((BufferError::OutOfMemory(n).into(), data));
        }
        let bytes: SharedBytes = Arc::new(data);
        self.insert_after_data(Chunk::shared(bytes, Origin::Program));
        self.after_appended(n);
        self.notify();
        Ok(())
    }

    /// Appends `len` bytes (`None`: the rest) of `seg` starting `offset`
    /// bytes into it (`evbuffer_add_file_segment`).
    ///
    /// In a buffer flagged [`BufferFlags::DRAINS_TO_FD`] the bytes stay on
    /// disk and [`write_fd`](Self::write_fd) sends them with `sendfile`;
    /// otherwise the segment is read into memory now (once per segment, its
    /// bytes then shared).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, FileSegment, SegmentFlags};
    ///
    /// let p = std::env::temp_dir().join(format!("oxevent-doc-afs-{}", std::process::id()));
    /// std::fs::write(&p, b"hello file").unwrap();
    /// let f = std::fs::File::open(&p).unwrap();
    /// std::fs::remove_file(&p).unwrap();
    /// let seg = FileSegment::new(f, 0, None, SegmentFlags::NONE).unwrap();
    /// let mut buf = Buffer::new();
    /// buf.add_file_segment(&seg, 6, None).unwrap();
    /// buf.add_file_segment(&seg, 0, Some(5)).unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"filehello");
    /// assert!(buf.add_file_segment(&seg, 8, Some(5)).is_err()); // past the segment
    /// ```
    pub fn add_file_segment(
        &mut self,
        seg: &FileSegment,
        offset: u64,
        len: Option<u64>,
    ) -> Result<()> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        let total = seg.len();
        if offset > total {
            return Err(BufferError::BadFileRange("offset past the end of the segment").into());
        }
        let len = len.unwrap_or(total - offset);
        if len > total - offset {
            return Err(BufferError::BadFileRange("range past the end of the segment").into());
        }
        let start = usize::try_from(offset).map_err(|_| BufferError::TooLarge)?;
        let n = usize::try_from(len).map_err(|_| BufferError::TooLarge)?;
        if n == 0 {
            return Ok(());
        }
        self.check_grow(n)?;
        let sendfile = self.flags.contains(BufferFlags::DRAINS_TO_FD) && seg.can_sendfile();
        if !sendfile {
            seg.load()?;
        }
        self.chunks
            .try_reserve(1)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        self.insert_after_data(Chunk {
            mem: Mem::File {
                seg: seg.clone(),
                sendfile,
            },
            start,
            end: start + n,
        });
        if sendfile {
            self.files += 1;
        }
        self.after_appended(n);
        self.notify();
        Ok(())
    }

    /// Appends `len` bytes (`None`: to the end of the file) of `fd` from
    /// `offset` (`evbuffer_add_file`): a file segment that owns the
    /// descriptor, closed when the last byte has been drained.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let p = std::env::temp_dir().join(format!("oxevent-doc-af-{}", std::process::id()));
    /// std::fs::write(&p, b"0123456789").unwrap();
    /// let f = std::fs::File::open(&p).unwrap();
    /// std::fs::remove_file(&p).unwrap();
    /// let mut buf = Buffer::new();
    /// buf.add_file(f, 4, Some(3)).unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"456");
    /// ```
    pub fn add_file<F>(&mut self, fd: F, offset: u64, len: Option<u64>) -> Result<()>
    where
        F: AsFd + Send + Sync + 'static,
    {
        let seg = FileSegment::new(fd, offset, len, SegmentFlags::CLOSE_ON_FREE)?;
        self.add_file_segment(&seg, 0, None)
    }

    /// Number of chunks up to and including the last one holding data.
    pub(super) fn data_end(&self) -> usize {
        let mut i = self.chunks.len();
        while i > 0 && self.chunks[i - 1].is_empty() {
            i -= 1;
        }
        i
    }

    /// Puts a non-empty chunk right after the last byte of data (before any
    /// trailing room).
    fn insert_after_data(&mut self, c: Chunk) {
        let at = self.data_end();
        if at == self.chunks.len() {
            self.chunks.push_back(c);
        } else {
            self.chunks.insert(at, c);
        }
    }

    /// Bookkeeping after `n` bytes left from the front by moving.
    fn after_front_removed(&mut self, n: usize) {
        self.len -= n;
        self.era += 1;
        self.mods += 1;
        self.front_mods += 1;
        self.eol_scan = None;
        self.cbs.deleted(n);
    }

    /// Bookkeeping after `n` bytes were appended by moving or referencing.
    fn after_appended(&mut self, n: usize) {
        self.len += n;
        self.mods += 1;
        self.cbs.added(n);
    }
}
