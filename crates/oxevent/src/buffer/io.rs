//! Buffers and descriptors, and the `std::io` traits (`evbuffer_read`,
//! `evbuffer_write`, `evbuffer_write_atmost`).
//!
//! What this module owns: one `readv` into the buffer's trailing room (up to
//! four chunks, the kernel writing straight into chunk memory), one `writev`
//! over up to 128 chunks from the start (or one `sendfile` when the first
//! chunk is a file segment kept on disk), and draining what was written.
//!
//! What it must never do: add bytes the kernel did not report, drain bytes
//! the kernel did not take, or retry on its own (`EAGAIN` and `EINTR` are
//! returned to the caller as `io::Error`s, as libevent returns -1).
//!
//! Writing to a socket whose peer has closed raises `SIGPIPE`, as with
//! libevent: programs ignore it (or use `MSG_NOSIGNAL` sockets) themselves.

use std::io::{self, IoSlice};
use std::os::fd::AsFd;

use super::{Buffer, BufferError, Side};
use crate::error::Result;
use crate::sys::bufio::{self, SpareTarget};

/// How many bytes [`Buffer::read_fd_default`] reads at most per call
/// (libevent's `EVBUFFER_MAX_READ`).
///
/// ```
/// assert_eq!(oxevent::buffer::DEFAULT_READ_MAX, 4096);
/// ```
pub const DEFAULT_READ_MAX: usize = 4096;

/// At most this many slices go to one `writev` (libevent's `NUM_WRITE_IOVEC`).
const WRITE_IOVEC: usize = 128;
/// At most this many chunks take one `readv` (libevent's `NUM_READ_IOVEC`).
const READ_IOVEC: usize = 4;
/// Slices a write keeps on the stack before it allocates.
const SMALL_IOVEC: usize = 8;

impl Buffer {
    /// Reads at most `max` bytes from `fd` with one `readv` into the
    /// buffer's end; returns how many arrived (0: end of file).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::Buffer;
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// b.write_all(b"ping").unwrap();
    /// let mut buf = Buffer::new();
    /// assert_eq!(buf.read_fd(&a, 1 << 16).unwrap(), 4);
    /// assert_eq!(buf.to_vec().unwrap(), b"ping");
    /// drop(b);
    /// assert_eq!(buf.read_fd(&a, 1 << 16).unwrap(), 0);
    /// ```
    pub fn read_fd(&mut self, fd: impl AsFd, max: usize) -> Result<usize> {
        if self.frozen_end {
            return Err(BufferError::Frozen(Side::End).into());
        }
        let max = max.min(isize::MAX as usize - self.len);
        if max == 0 {
            return Ok(0);
        }
        let (first, lens) = self.reserve_read_room(max)?;
        let n = {
            let mut targets: Vec<SpareTarget<'_>> = Vec::with_capacity(lens.len());
            targets.extend(
                self.chunks
                    .range_mut(first..)
                    .zip(&lens)
                    .filter_map(|(c, &l)| {
                        c.owned_vec_mut().map(|(vec, end)| SpareTarget {
                            vec,
                            from: end,
                            max: l,
                        })
                    }),
            );
            if targets.len() != lens.len() {
                return Err(BufferError::OutOfMemory(max).into());
            }
            bufio::readv_into(fd.as_fd(), &mut targets)?
        };
        let mut left = n;
        for (c, &l) in self.chunks.range_mut(first..).zip(&lens) {
            let k = l.min(left);
            c.end += k;
            left -= k;
        }
        self.mods += 1;
        if n > 0 {
            self.len += n;
            self.cbs.added(n);
            self.notify();
        }
        Ok(n)
    }

    /// Reads what libevent's `evbuffer_read(buf, fd, -1)` reads: the bytes
    /// `FIONREAD` reports, but at most [`DEFAULT_READ_MAX`].
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::Buffer;
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// b.write_all(&[7u8; 10_000]).unwrap();
    /// let mut buf = Buffer::new();
    /// assert_eq!(buf.read_fd_default(&a).unwrap(), 4096);
    /// ```
    pub fn read_fd_default(&mut self, fd: impl AsFd) -> Result<usize> {
        let n = Buffer::default_read_amount(&fd);
        self.read_fd(fd, n)
    }

    /// How much [`read_fd_default`](Self::read_fd_default) would ask for:
    /// `FIONREAD`'s count when it is in `1..=4096`, else 4096.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::Buffer;
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// b.write_all(b"abc").unwrap();
    /// assert_eq!(Buffer::default_read_amount(&a), 3);
    /// ```
    pub fn default_read_amount(fd: impl AsFd) -> usize {
        match bufio::bytes_readable(fd.as_fd()) {
            Ok(n) if n > 0 && n <= DEFAULT_READ_MAX => n,
            _ => DEFAULT_READ_MAX,
        }
    }

    /// Writes as much of the buffer as `fd` takes in one call and drains
    /// it (`evbuffer_write`).
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::Buffer;
    ///
    /// let (a, mut b) = UnixStream::pair().unwrap();
    /// let mut buf = Buffer::new();
    /// buf.add(b"pong").unwrap();
    /// assert_eq!(buf.write_fd(&a).unwrap(), 4);
    /// assert!(buf.is_empty());
    /// let mut got = [0u8; 4];
    /// b.read_exact(&mut got).unwrap();
    /// assert_eq!(&got, b"pong");
    /// ```
    pub fn write_fd(&mut self, fd: impl AsFd) -> Result<usize> {
        self.write_fd_atmost(fd, usize::MAX)
    }

    /// Writes at most `max` bytes to `fd` in one call and drains what was
    /// written (`evbuffer_write_atmost`): one `writev` over up to 128
    /// chunks, or one `sendfile` when the first chunk is a file segment on
    /// disk (falling back to reading it when `fd` refuses `sendfile`).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use oxevent::buffer::Buffer;
    ///
    /// let (a, _b) = UnixStream::pair().unwrap();
    /// let mut buf = Buffer::new();
    /// buf.add(b"0123456789").unwrap();
    /// assert_eq!(buf.write_fd_atmost(&a, 3).unwrap(), 3);
    /// assert_eq!(buf.to_vec().unwrap(), b"3456789");
    /// ```
    pub fn write_fd_atmost(&mut self, fd: impl AsFd, max: usize) -> Result<usize> {
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        let max = max.min(self.len);
        if max == 0 {
            return Ok(0);
        }
        let fd = fd.as_fd();
        if let Some(seg) = self.chunks.front().and_then(|c| c.sendfile_segment()) {
            let c = &self.chunks[0];
            let count = c.len().min(max);
            match bufio::sendfile(fd, seg.fd(), seg.file_offset(c.start), count) {
                // The file ended early: it was truncated after the segment
                // was made. Refused, or a writer would spin on 0 forever.
                Ok(0) => {
                    return Err(
                        BufferError::BadFileRange("the file is shorter than the segment").into(),
                    )
                }
                Ok(n) => {
                    self.drained_by_write(n);
                    return Ok(n);
                }
                Err(e) if sendfile_unsupported(&e) => {
                    seg.load()?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        // A write usually spans a few chunks: their slices go on the stack;
        // only a long chain (up to WRITE_IOVEC) allocates.
        let chunks = self.chunks.len().min(WRITE_IOVEC);
        let n = if chunks <= SMALL_IOVEC {
            let mut slices = [IoSlice::new(&[]); SMALL_IOVEC];
            let used = self.write_slices(max, &mut slices);
            bufio::writev(fd, &slices[..used])?
        } else {
            let mut slices = vec![IoSlice::new(&[]); chunks];
            let used = self.write_slices(max, &mut slices);
            bufio::writev(fd, &slices[..used])?
        };
        self.drained_by_write(n);
        Ok(n)
    }

    /// Fills `out` with the first `max` bytes' slices, stopping at a file
    /// segment not in memory; returns how many slices it filled.
    fn write_slices<'a>(&'a self, max: usize, out: &mut [IoSlice<'a>]) -> usize {
        let mut used = 0;
        let mut left = max;
        for c in &self.chunks {
            if left == 0 || used == out.len() || c.unloaded_file().is_some() {
                break;
            }
            let b = c.bytes();
            if b.is_empty() {
                continue;
            }
            let k = b.len().min(left);
            out[used] = IoSlice::new(&b[..k]);
            used += 1;
            left -= k;
        }
        used
    }

    /// Whether the next write starts with a file segment sent by `sendfile`
    /// (the C face maps that path's would-block to 0 written, as libevent
    /// does, and `writev`'s to -1).
    #[doc(hidden)]
    pub fn front_is_sendfile(&self) -> bool {
        self.chunks
            .front()
            .is_some_and(|c| c.sendfile_segment().is_some())
    }

    fn drained_by_write(&mut self, n: usize) {
        let n = n.min(self.len);
        if n > 0 {
            self.drain_front(n);
            self.cbs.deleted(n);
            self.notify();
        }
    }

    /// Room for reading `max` bytes over at most four chunks.
    fn reserve_read_room(&mut self, max: usize) -> Result<(usize, Vec<usize>)> {
        let (first, lens) = self.room_in_many(max, READ_IOVEC)?;
        self.mods += 1;
        Ok((first, lens))
    }
}

/// `sendfile` errors that mean "not with this pair of descriptors".
fn sendfile_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) | Some(libc::ESPIPE)
    )
}

/// Reading from a buffer removes the bytes read, as [`Buffer::remove`].
///
/// ```
/// use std::io::Read;
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"stream").unwrap();
/// let mut s = String::new();
/// buf.read_to_string(&mut s).unwrap();
/// assert_eq!(s, "stream");
/// ```
impl io::Read for Buffer {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        Ok(self.remove(out)?)
    }
}

/// Writing to a buffer appends, as [`Buffer::add`]; `flush` does nothing.
///
/// ```
/// use std::io::Write;
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// write!(buf, "{}-{}", 1, 2).unwrap();
/// assert_eq!(buf.to_vec().unwrap(), b"1-2");
/// ```
impl io::Write for Buffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.add(data)?;
        Ok(data.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(self.add_vectored(bufs)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `fill_buf` is the first chunk (no copy); `consume` drains.
///
/// ```
/// use std::io::BufRead;
/// use oxevent::buffer::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.add(b"one\ntwo\n").unwrap();
/// let lines: Vec<String> = buf.lines().map(Result::unwrap).collect();
/// assert_eq!(lines, ["one", "two"]);
/// ```
impl io::BufRead for Buffer {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.frozen_start && self.len > 0 {
            return Err(crate::Error::from(BufferError::Frozen(Side::Start)).into());
        }
        self.load_files()?;
        Ok(self.chunks.front().map_or(&[], |c| c.bytes()))
    }

    fn consume(&mut self, amt: usize) {
        // A frozen start was refused by `fill_buf`, so nothing was read to
        // consume; the refusal has been reported there.
        let _ = self.drain(amt);
    }
}
