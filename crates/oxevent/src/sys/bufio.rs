//! The syscalls of the buffer engine: `readv` into a chunk's spare
//! capacity, `writev` over chunk slices, `sendfile`, `pread` into spare
//! capacity, `fstat`, and `FIONREAD`.
//!
//! What this file owns: the only writes into memory that is not initialized
//! yet (a chunk's `Vec` capacity past its length). Each such write is a
//! kernel call told the exact region, and each `set_len` that follows covers
//! only the bytes the kernel reported written.
//!
//! What it must never do: hand out a reference to uninitialized bytes,
//! extend a `Vec` past what the kernel wrote, or make a `Vec` reallocate
//! (the C face keeps raw pointers into chunk memory until the next change).
//!
//! Why not `mmap` for file segments: a mapped file that another process
//! truncates raises `SIGBUS` on access, and a mapping that changes while the
//! engine holds a `&[u8]` into it breaks Rust's aliasing rules. Segments are
//! read with `pread` instead (see `buffer/file.rs`).

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, BorrowedFd};

use super::cvt_isize;

/// At most this many iovecs go to one `readv`/`writev` (Linux's `IOV_MAX`).
pub(crate) const IOV_MAX: usize = 1024;

/// One region to read into: `vec[from .. from + max]`, where `from` is at
/// most `vec.len()` and `from + max` at most `vec.capacity()`. The part past
/// `vec.len()` is spare capacity; the kernel initializes what it writes.
#[derive(Debug)]
pub(crate) struct SpareTarget<'a> {
    pub(crate) vec: &'a mut Vec<u8>,
    pub(crate) from: usize,
    pub(crate) max: usize,
}

/// Reads once (`readv`) into the targets, in order, and returns how many
/// bytes arrived. The bytes fill the targets front to back: target `i`
/// received `min(max_i, what was left)`. Every `vec` whose written end
/// passes its old length is extended to exactly that end.
///
/// A target whose region lies outside its `Vec`'s capacity is refused with
/// `InvalidInput` before any syscall.
pub(crate) fn readv_into(fd: BorrowedFd<'_>, targets: &mut [SpareTarget<'_>]) -> io::Result<usize> {
    const MAX_TARGETS: usize = 8;
    if targets.len() > MAX_TARGETS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many read targets",
        ));
    }
    let mut iov = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_TARGETS];
    for (slot, t) in iov.iter_mut().zip(targets.iter_mut()) {
        let fits = t.from <= t.vec.len()
            && t.from
                .checked_add(t.max)
                .is_some_and(|e| e <= t.vec.capacity());
        if !fits {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "read target out of range",
            ));
        }
        // A pointer into the Vec's own allocation, `from` bytes in: in
        // bounds (checked above); creating it is safe, writing is the kernel's.
        slot.iov_base = t.vec.as_mut_ptr().wrapping_add(t.from).cast();
        slot.iov_len = t.max;
    }
    // Each iovec names `max` writable bytes inside one Vec's allocation
    // (`from + max <= capacity`, checked above); the Vecs are borrowed
    // mutably for the whole call, so nothing else reads or moves them.
    // SAFETY: the kernel writes only inside those allocations (above).
    let n = cvt_isize(unsafe {
        libc::readv(fd.as_raw_fd(), iov.as_ptr(), targets.len() as libc::c_int)
    })?;
    let mut left = n;
    for t in targets.iter_mut() {
        let k = left.min(t.max);
        left -= k;
        let end = t.from + k;
        if end > t.vec.len() {
            // SAFETY: `end <= from + max <= capacity`; bytes up to `from`
            // were initialized already (`from <= len`) and the kernel has
            // just written `from .. end`, so all of `..end` is initialized.
            unsafe { t.vec.set_len(end) };
        }
        if left == 0 {
            break;
        }
    }
    Ok(n)
}

/// Writes the slices once (`writev`, at most [`IOV_MAX`] of them) and
/// returns how many bytes the kernel took.
pub(crate) fn writev(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let n = bufs.len().min(IOV_MAX);
    // SAFETY: std guarantees `IoSlice` is ABI-compatible with `struct iovec`
    // on Unix; the slices are live, readable memory for the whole call.
    cvt_isize(unsafe { libc::writev(fd.as_raw_fd(), bufs.as_ptr().cast(), n as libc::c_int) })
}

/// Sends up to `count` bytes of `file` starting at byte `offset` to `out`
/// (`sendfile(2)`); the file's own offset does not move.
pub(crate) fn sendfile(
    out: BorrowedFd<'_>,
    file: BorrowedFd<'_>,
    offset: u64,
    count: usize,
) -> io::Result<usize> {
    let mut off = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset out of range"))?;
    // SAFETY: `off` is a live, writable off_t; the descriptors are borrowed
    // for the call; no user memory is passed.
    cvt_isize(unsafe { libc::sendfile(out.as_raw_fd(), file.as_raw_fd(), &mut off, count) })
}

/// Fills `vec`'s spare capacity from `file` starting at byte `offset`
/// (`pread`, retried on `EINTR` and short reads), until the capacity is full
/// or the file ends. Returns the number of bytes appended.
pub(crate) fn pread_fill(
    file: BorrowedFd<'_>,
    vec: &mut Vec<u8>,
    offset: u64,
) -> io::Result<usize> {
    let mut total = 0usize;
    loop {
        let len = vec.len();
        let room = vec.capacity() - len;
        if room == 0 {
            return Ok(total);
        }
        let at = offset
            .checked_add(total as u64)
            .and_then(|o| libc::off_t::try_from(o).ok())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "file offset out of range")
            })?;
        let want = room.min(isize::MAX as usize);
        // The Vec is borrowed mutably, so nothing else touches it meanwhile.
        // SAFETY: the kernel writes at most `want <= capacity - len` bytes
        // from the Vec's first spare byte, inside its allocation.
        let r =
            unsafe { libc::pread(file.as_raw_fd(), vec.as_mut_ptr().add(len).cast(), want, at) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Ok(total);
        }
        // SAFETY: the kernel initialized `r <= want` bytes right after `len`.
        unsafe { vec.set_len(len + r as usize) };
        total += r as usize;
    }
}

/// What `fstat` says about a descriptor: its size and whether it is a
/// regular file.
#[derive(Copy, Clone, Debug)]
pub(crate) struct FileInfo {
    pub(crate) size: u64,
    pub(crate) regular: bool,
}

/// `fstat(2)`: fails with `EBADF` on a closed descriptor.
pub(crate) fn file_info(fd: BorrowedFd<'_>) -> io::Result<FileInfo> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes one `struct stat` into the live, writable buffer.
    let r = unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded, so it initialized the whole struct.
    let st = unsafe { st.assume_init() };
    Ok(FileInfo {
        size: u64::try_from(st.st_size).unwrap_or(0),
        regular: st.st_mode & libc::S_IFMT == libc::S_IFREG,
    })
}

/// How many bytes a read on `fd` would return now (`FIONREAD`).
pub(crate) fn bytes_readable(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int into the live, writable `n`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn readv_fills_targets_in_order_and_sets_len() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"hello world").unwrap();
        let mut v1 = Vec::with_capacity(8);
        v1.extend_from_slice(b"xy");
        let mut v2 = Vec::with_capacity(16);
        let n = readv_into(
            a.as_fd(),
            &mut [
                SpareTarget {
                    vec: &mut v1,
                    from: 2,
                    max: 4,
                },
                SpareTarget {
                    vec: &mut v2,
                    from: 0,
                    max: 16,
                },
            ],
        )
        .unwrap();
        assert_eq!(n, 11);
        assert_eq!(v1, b"xyhell");
        assert_eq!(v2, b"o world");
    }

    #[test]
    fn readv_refuses_regions_outside_capacity() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut v = Vec::with_capacity(4);
        let e = readv_into(
            a.as_fd(),
            &mut [SpareTarget {
                vec: &mut v,
                from: 0,
                max: 1 << 20,
            }],
        );
        assert_eq!(e.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let e = readv_into(
            a.as_fd(),
            &mut [SpareTarget {
                vec: &mut v,
                from: 1,
                max: 1,
            }],
        );
        assert_eq!(e.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn pread_fill_stops_at_capacity_or_eof() {
        let path = std::env::temp_dir().join(format!("oxevent-bufio-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let f = std::fs::File::open(&path).unwrap();
        let mut v = Vec::with_capacity(4);
        assert_eq!(pread_fill(f.as_fd(), &mut v, 3).unwrap(), 4);
        assert_eq!(v, b"3456");
        let mut v = Vec::with_capacity(100);
        assert_eq!(pread_fill(f.as_fd(), &mut v, 8).unwrap(), 2);
        assert_eq!(v, b"89");
        let info = file_info(f.as_fd()).unwrap();
        assert!(info.regular && info.size == 10);
        std::fs::remove_file(&path).unwrap();
    }
}
