//! `oxevent::buffer` through its public API: zero-copy moves, references,
//! reserve/commit, positions, file segments, sockets, callbacks, locking,
//! and the bad input the evbuffer issue lists (each refused, nothing lost).
//! Random sequences against a model are in `buffer_model.rs`.

use std::io::{BufRead, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxevent::buffer::{
    Buffer, BufferError, BufferFlags, CbFlags, CbInfo, EolStyle, FileSegment, SegmentFlags,
    SharedBuffer, Side,
};
use oxevent::Error;

fn err_of<T: std::fmt::Debug>(r: oxevent::Result<T>) -> BufferError {
    match r {
        Err(Error::Buffer(e)) => e,
        other => panic!("expected a buffer error, got {other:?}"),
    }
}

/// Counts drops: the cleanup of a reference.
struct Tracked {
    bytes: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn tracked(bytes: &[u8]) -> (Tracked, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    (
        Tracked {
            bytes: bytes.to_vec(),
            drops: drops.clone(),
        },
        drops,
    )
}

fn temp_file(contents: &[u8]) -> std::fs::File {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "oxevent-buffer-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)
        .unwrap();
    std::fs::remove_file(&p).unwrap();
    f.write_all(contents).unwrap();
    f
}

// ---- zero-copy moves and references ----

#[test]
fn add_buffer_moves_chunks_without_copying() {
    let mut src = Buffer::new();
    src.add(&[1u8; 3000]).unwrap();
    src.add(&[2u8; 9000]).unwrap();
    let before: Vec<*const u8> = src.chunks().unwrap().map(<[u8]>::as_ptr).collect();
    let mut dst = Buffer::new();
    dst.add(b"head").unwrap();
    dst.add_buffer(&mut src).unwrap();
    let after: Vec<*const u8> = dst.chunks().unwrap().skip(1).map(<[u8]>::as_ptr).collect();
    assert_eq!(before, after, "the same memory, now owned by dst");
    assert!(src.is_empty());
    assert_eq!(dst.len(), 12004);
}

#[test]
fn remove_buffer_splits_shared_chunks_without_copying() {
    let mut src = Buffer::new();
    src.add_reference(vec![7u8; 10_000]).unwrap();
    let p = src.chunks().unwrap().next().unwrap().as_ptr();
    let mut dst = Buffer::new();
    assert_eq!(src.remove_buffer(&mut dst, 4000).unwrap(), 4000);
    assert_eq!(dst.chunks().unwrap().next().unwrap().as_ptr(), p);
    assert_eq!(
        src.chunks().unwrap().next().unwrap().as_ptr(),
        p.wrapping_add(4000)
    );
    assert_eq!((src.len(), dst.len()), (6000, 4000));
    // A small piece is copied instead (a handle per few bytes would
    // fragment the chain), as libevent copies every split chunk.
    let mut small = Buffer::new();
    assert_eq!(src.remove_buffer(&mut small, 100).unwrap(), 100);
    assert_ne!(
        small.chunks().unwrap().next().unwrap().as_ptr(),
        p.wrapping_add(4000)
    );
    assert_eq!(small.to_vec().unwrap(), vec![7u8; 100]);
}

#[test]
fn reference_cleanup_runs_once_after_the_last_byte_goes() {
    let (r, drops) = tracked(&[5u8; 10_000]);
    let mut buf = Buffer::new();
    buf.add_reference(r).unwrap();
    buf.drain(4000).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    let mut other = Buffer::new();
    buf.remove_buffer(&mut other, 3000).unwrap(); // split: both refer to it
    buf.drain(3000).unwrap();
    assert!(buf.is_empty());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "other still refers to the memory"
    );
    assert_eq!(other.to_vec().unwrap(), vec![5u8; 3000]);
    drop(other);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(buf);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn reference_freed_by_one_buffer_stays_valid_in_another() {
    // libevent's hazard: a cleanup that frees the memory while a second
    // buffer (add_buffer_reference) still points at it. Here the cleanup
    // waits for the second buffer.
    let (r, drops) = tracked(b"shared bytes");
    let mut a = Buffer::new();
    a.add_reference(r).unwrap();
    let mut b = Buffer::new();
    b.add_buffer_reference(&mut a).unwrap();
    drop(a);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert_eq!(b.to_vec().unwrap(), b"shared bytes");
    b.clear().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn refused_reference_is_handed_back_uncleaned() {
    let (r, drops) = tracked(b"abc");
    let mut buf = Buffer::new();
    buf.freeze(Side::End);
    let (e, back) = buf.try_add_reference(r).unwrap_err();
    assert!(matches!(e, Error::Buffer(BufferError::Frozen(Side::End))));
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn buffer_reference_source_keeps_working_and_is_not_mutated() {
    let mut src = Buffer::new();
    src.add(b"abc").unwrap();
    let mut dst = Buffer::new();
    dst.add_buffer_reference(&mut src).unwrap();
    src.add(b"def").unwrap(); // must not write into the shared chunk's room
    src.prepend(b">").unwrap();
    assert_eq!(src.to_vec().unwrap(), b">abcdef");
    assert_eq!(dst.to_vec().unwrap(), b"abc");
    let mut third = Buffer::new();
    assert_eq!(
        err_of(third.add_buffer_reference(&mut dst)),
        BufferError::Unreferenceable
    );
    // A file segment cannot be referenced either (libevent's rule).
    let seg = FileSegment::new(temp_file(b"xyz"), 0, None, SegmentFlags::NONE).unwrap();
    let mut with_file = Buffer::new();
    with_file.add_file_segment(&seg, 0, None).unwrap();
    assert_eq!(
        err_of(third.add_buffer_reference(&mut with_file)),
        BufferError::Unreferenceable
    );
    assert!(third.is_empty());
}

// ---- reserve / commit ----

#[test]
fn commit_by_address_checks_what_was_reserved() {
    let mut buf = Buffer::new();
    buf.add(b"x").unwrap();
    let n = buf.reserve_space(100, 2).unwrap();
    assert!(n >= 1);
    let vecs: Vec<(usize, usize)> = buf
        .reserved_slices()
        .into_iter()
        .map(|s| {
            s.fill(b'r');
            (s.as_ptr() as usize, s.len())
        })
        .collect();
    // Wrong address, too long, too many: refused, nothing added.
    let mut bad = vecs.clone();
    bad[0].0 += 1;
    assert!(matches!(
        err_of(buf.commit_space(&bad)),
        BufferError::BadCommit(_)
    ));
    let mut long = vecs.clone();
    long[0].1 += 1;
    assert!(matches!(
        err_of(buf.commit_space(&long)),
        BufferError::BadCommit(_)
    ));
    let mut many = vecs.clone();
    many.extend_from_slice(&vecs);
    many.extend_from_slice(&vecs);
    assert!(matches!(
        err_of(buf.commit_space(&many)),
        BufferError::BadCommit(_)
    ));
    assert_eq!(buf.len(), 1);
    // Less than reserved is fine.
    let short = [(vecs[0].0, 10)];
    buf.commit_space(&short).unwrap();
    assert_eq!(buf.to_vec().unwrap(), b"xrrrrrrrrrr");
    // The reservation is used up.
    assert!(buf.commit_space(&short).is_err());
    assert_eq!(buf.len(), 11);
    // Committing nothing always succeeds (libevent returns 0).
    buf.commit_space(&[]).unwrap();
}

#[test]
fn commit_after_another_change_is_refused() {
    let mut buf = Buffer::new();
    buf.reserve_space(64, 1).unwrap();
    let v: Vec<(usize, usize)> = buf
        .reserved_slices()
        .into_iter()
        .map(|s| (s.as_ptr() as usize, s.len()))
        .collect();
    buf.add(b"meanwhile").unwrap();
    assert!(matches!(
        err_of(buf.commit_space(&v)),
        BufferError::BadCommit(_)
    ));
    assert_eq!(buf.to_vec().unwrap(), b"meanwhile");
    // And on a frozen end.
    buf.reserve_space(8, 1).unwrap();
    let v: Vec<(usize, usize)> = buf
        .reserved_slices()
        .into_iter()
        .map(|s| (s.as_ptr() as usize, s.len()))
        .collect();
    buf.freeze(Side::End);
    assert_eq!(err_of(buf.commit_space(&v)), BufferError::Frozen(Side::End));
    assert_eq!(
        err_of(buf.reserve_space(8, 1)),
        BufferError::Frozen(Side::End)
    );
    buf.unfreeze(Side::End);
    assert_eq!(err_of(buf.reserve_space(8, 0)), BufferError::NoVecs);
}

#[test]
fn reserved_slices_do_not_move_until_commit() {
    let mut buf = Buffer::new();
    let mut r = buf.reserve_vectored(10_000, 3).unwrap();
    let ptrs: Vec<*const u8> = r.slices_mut().iter().map(|s| s.as_ptr()).collect();
    let again: Vec<*const u8> = r.slices_mut().iter().map(|s| s.as_ptr()).collect();
    assert_eq!(ptrs, again);
    r.commit(10_000).unwrap();
    assert_eq!(buf.len(), 10_000);
    assert!(
        buf.to_vec().unwrap().iter().all(|&b| b == 0),
        "reserved room starts zeroed"
    );
}

// ---- positions ----

#[test]
fn positions_from_elsewhere_or_before_a_change_are_refused() {
    let mut a = Buffer::new();
    let mut b = Buffer::new();
    a.add(b"hello world").unwrap();
    b.add(b"hello world").unwrap();
    let p = a.search(b"world", None).unwrap().unwrap();
    assert_eq!(err_of(b.search(b"o", Some(&p))), BufferError::ForeignPos);
    assert_eq!(
        err_of(b.copyout_from(&p, &mut [0u8; 3])),
        BufferError::ForeignPos
    );
    assert_eq!(
        err_of(a.pos_add(&p, usize::MAX)),
        BufferError::PosOutOfRange
    );
    assert_eq!(err_of(a.pos_add(&p, 6)), BufferError::PosOutOfRange);
    assert_eq!(err_of(a.pos_at(12)), BufferError::PosOutOfRange);
    a.add(b"!").unwrap();
    assert_eq!(
        a.pos_add(&p, 5).unwrap().offset(),
        11,
        "appends keep positions"
    );
    a.pullup(a.len()).unwrap();
    let mut out = [0u8; 5];
    a.copyout_from(&p, &mut out).unwrap();
    assert_eq!(&out, b"world", "pullup keeps positions");
    a.prepend(b">").unwrap();
    assert_eq!(err_of(a.search(b"o", Some(&p))), BufferError::StalePos);
    let q = a.end_pos();
    a.readln(EolStyle::Lf).unwrap();
    a.drain(1).unwrap();
    assert_eq!(
        err_of(a.search_eol(Some(&q), EolStyle::Lf)),
        BufferError::StalePos
    );
}

#[test]
fn raw_positions_round_trip_and_garbage_is_refused() {
    let mut buf = Buffer::new();
    for _ in 0..50 {
        buf.add_reference(&b"abcdefghij"[..]).unwrap();
    }
    let p = buf.pos_at(123).unwrap();
    let (stamp, hint) = p.to_raw();
    let back = oxevent::buffer::Pos::from_raw(p.offset(), stamp, hint);
    assert_eq!(
        buf.search(b"d", Some(&back)).unwrap().unwrap().offset(),
        123
    );
    // A zeroed C struct, or a hint pointing anywhere: refused or recomputed, never followed.
    let zero = oxevent::buffer::Pos::from_raw(0, 0, 0);
    assert!(buf.search(b"a", Some(&zero)).is_err());
    let wild = oxevent::buffer::Pos::from_raw(123, stamp, u64::MAX - 1);
    assert_eq!(
        buf.search(b"d", Some(&wild)).unwrap().unwrap().offset(),
        123
    );
    let past = oxevent::buffer::Pos::from_raw(501, stamp, hint);
    assert_eq!(
        err_of(buf.search(b"d", Some(&past))),
        BufferError::PosOutOfRange
    );
}

// ---- bad sizes ----

#[test]
fn huge_sizes_are_refused_not_aborted() {
    let mut buf = Buffer::new();
    buf.add(b"abc").unwrap();
    assert_eq!(err_of(buf.expand(usize::MAX)), BufferError::TooLarge);
    assert!(buf.expand(isize::MAX as usize - 10).is_err());
    assert!(buf.expand(1 << 50).is_err());
    assert!(buf.reserve(usize::MAX).is_err());
    assert!(buf.reserve_vectored(1 << 50, 4).is_err());
    assert_eq!(
        err_of(buf.pullup(4)),
        BufferError::NotEnoughData { wanted: 4, have: 3 }
    );
    assert_eq!(
        buf.drain(usize::MAX).unwrap(),
        3,
        "draining past the end empties"
    );
    assert_eq!(buf.drain(10).unwrap(), 0);
    buf.check_invariants().unwrap();
    buf.add(b"still usable").unwrap();
    assert_eq!(buf.to_vec().unwrap(), b"still usable");
}

#[test]
fn frozen_ends_refuse_what_libevent_refuses() {
    let mut buf = Buffer::new();
    let mut other = Buffer::new();
    other.add(b"other").unwrap();
    buf.add(b"data\n").unwrap();
    buf.freeze(Side::Start);
    assert_eq!(err_of(buf.drain(1)), BufferError::Frozen(Side::Start));
    assert_eq!(
        err_of(buf.remove(&mut [0u8; 1])),
        BufferError::Frozen(Side::Start)
    );
    assert_eq!(
        err_of(buf.copyout(&mut [0u8; 1])),
        BufferError::Frozen(Side::Start)
    );
    assert_eq!(err_of(buf.prepend(b"x")), BufferError::Frozen(Side::Start));
    assert_eq!(
        err_of(buf.readln(EolStyle::Lf)),
        BufferError::Frozen(Side::Start)
    );
    assert_eq!(
        err_of(other.add_buffer(&mut buf)),
        BufferError::Frozen(Side::Start)
    );
    assert_eq!(
        err_of(buf.prepend_buffer(&mut other)),
        BufferError::Frozen(Side::Start)
    );
    assert_eq!(
        err_of(buf.remove_buffer(&mut other, 1)),
        BufferError::Frozen(Side::Start)
    );
    let (a, _b) = UnixStream::pair().unwrap();
    assert_eq!(err_of(buf.write_fd(&a)), BufferError::Frozen(Side::Start));
    buf.add(b"end is open").unwrap();
    buf.unfreeze(Side::Start);
    buf.freeze(Side::End);
    assert_eq!(err_of(buf.add(b"x")), BufferError::Frozen(Side::End));
    assert_eq!(
        err_of(buf.add_buffer(&mut other)),
        BufferError::Frozen(Side::End)
    );
    assert_eq!(
        err_of(other.remove_buffer(&mut buf, 1)),
        BufferError::Frozen(Side::End)
    );
    assert_eq!(
        err_of(buf.add_buffer_reference(&mut other)),
        BufferError::Frozen(Side::End)
    );
    assert_eq!(err_of(buf.read_fd(&a, 10)), BufferError::Frozen(Side::End));
    assert!(buf.write(b"x").is_err());
    assert_eq!(buf.readln(EolStyle::Lf).unwrap().unwrap(), b"data");
    assert_eq!(buf.to_vec().unwrap(), b"end is open");
    assert_eq!(other.to_vec().unwrap(), b"other");
}

#[test]
fn readln_on_a_100_mb_line_scans_each_byte_once() {
    let mut buf = Buffer::new();
    let piece = vec![b'x'; 64 * 1024];
    let start = Instant::now();
    for _ in 0..1600 {
        buf.add(&piece).unwrap();
        assert_eq!(buf.readln(EolStyle::CrlfStrict).unwrap(), None);
    }
    buf.add(b"\r").unwrap();
    assert_eq!(buf.readln(EolStyle::CrlfStrict).unwrap(), None);
    buf.add(b"\nnext").unwrap();
    let line = buf.readln(EolStyle::CrlfStrict).unwrap().unwrap();
    assert_eq!(line.len(), 1600 * 64 * 1024);
    assert!(line.iter().all(|&b| b == b'x'));
    assert_eq!(buf.to_vec().unwrap(), b"next");
    // Rescanning from the start each time would be ~80 GB of reads.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
}

// ---- file segments ----

#[test]
fn file_segment_bad_input_is_refused() {
    // Range past the end of the file (libevent would mmap it: SIGBUS).
    assert!(matches!(
        err_of(FileSegment::new(
            temp_file(b"short"),
            0,
            Some(6),
            SegmentFlags::NONE
        )),
        BufferError::BadFileRange(_)
    ));
    assert!(FileSegment::new(temp_file(b"short"), 6, None, SegmentFlags::NONE).is_err());
    assert!(FileSegment::new(temp_file(b"short"), u64::MAX, Some(2), SegmentFlags::NONE).is_err());
    // Not a regular file.
    let (a, _b) = UnixStream::pair().unwrap();
    assert!(FileSegment::new(a, 0, Some(1), SegmentFlags::NONE).is_err());
    // A closed descriptor, as a C program may pass one.
    let fd = {
        use std::os::fd::AsRawFd;
        let f = temp_file(b"x");
        f.as_raw_fd()
    };
    // SAFETY: deliberately a descriptor number that was just closed: the
    // segment must refuse it (fstat fails) without using it further.
    let closed: BorrowedFd<'static> = unsafe { BorrowedFd::borrow_raw(fd) };
    match FileSegment::new(closed, 0, Some(1), SegmentFlags::NONE) {
        Err(Error::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::EBADF)),
        other => panic!("expected EBADF, got {other:?}"),
    }
    // A segment range outside the segment.
    let seg = FileSegment::new(temp_file(b"0123456789"), 2, Some(5), SegmentFlags::NONE).unwrap();
    let mut buf = Buffer::new();
    assert!(buf.add_file_segment(&seg, 6, None).is_err());
    assert!(buf.add_file_segment(&seg, 3, Some(3)).is_err());
    assert!(buf.add_file_segment(&seg, 0, Some(u64::MAX)).is_err());
    assert!(buf.is_empty());
}

#[test]
fn file_truncated_after_the_segment_was_made_is_refused_when_read() {
    let f = temp_file(&[b'a'; 10_000]);
    let g = f.try_clone().unwrap();
    let seg = FileSegment::new(f, 0, None, SegmentFlags::NONE).unwrap();
    g.set_len(100).unwrap();
    let mut buf = Buffer::new();
    assert!(matches!(
        err_of(buf.add_file_segment(&seg, 0, None)),
        BufferError::BadFileRange(_)
    ));
    assert!(buf.is_empty());
}

#[test]
fn file_segment_goes_out_with_sendfile_and_is_freed_once() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let seg = FileSegment::new(temp_file(&data), 100, Some(150_000), SegmentFlags::NONE).unwrap();
    let cleaned = Arc::new(AtomicUsize::new(0));
    let c = cleaned.clone();
    seg.set_cleanup(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let mut out = Buffer::new();
    out.set_flags(BufferFlags::DRAINS_TO_FD);
    out.add(b"HDR").unwrap();
    out.add_file_segment(&seg, 0, None).unwrap();
    out.add(b"TRL").unwrap();
    drop(seg);
    let (a, mut b) = UnixStream::pair().unwrap();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        got
    });
    while !out.is_empty() {
        out.write_fd(&a).unwrap();
    }
    drop(a);
    let got = reader.join().unwrap();
    let mut want = b"HDR".to_vec();
    want.extend_from_slice(&data[100..150_100]);
    want.extend_from_slice(b"TRL");
    assert!(got == want, "bytes differ");
    assert_eq!(cleaned.load(Ordering::SeqCst), 1);
}

#[test]
fn sendfile_refused_by_the_destination_falls_back_to_reading() {
    let seg = FileSegment::new(temp_file(b"file bytes"), 0, None, SegmentFlags::NONE).unwrap();
    let mut out = Buffer::new();
    out.set_flags(BufferFlags::DRAINS_TO_FD);
    out.add_file_segment(&seg, 5, None).unwrap();
    // sendfile(2) refuses an O_APPEND destination with EINVAL.
    let p = std::env::temp_dir().join(format!("oxevent-append-{}", std::process::id()));
    let dest = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)
        .unwrap();
    assert_eq!(out.write_fd(dest.as_fd()).unwrap(), 5);
    assert_eq!(std::fs::read(&p).unwrap(), b"bytes");
    std::fs::remove_file(&p).unwrap();
    // And a sendfile segment's bytes can be read like any others.
    let mut out = Buffer::new();
    out.set_flags(BufferFlags::DRAINS_TO_FD);
    out.add_file_segment(&seg, 0, Some(4)).unwrap();
    assert_eq!(out.search(b"le", None).unwrap().unwrap().offset(), 2);
    assert_eq!(out.to_vec().unwrap(), b"file");
}

#[test]
fn add_file_closes_the_descriptor_when_drained() {
    use std::os::fd::AsRawFd;
    let f = temp_file(b"abcdef");
    let raw = f.as_raw_fd();
    let mut buf = Buffer::new();
    buf.add_file(f, 1, Some(3)).unwrap();
    assert_eq!(buf.to_vec().unwrap(), b"bcd");
    buf.clear().unwrap();
    // SAFETY: only asks the kernel about the (now closed) descriptor number.
    let r = unsafe { libc::fcntl(raw, libc::F_GETFD) };
    assert_eq!(r, -1, "the segment closed its descriptor");
}

// ---- sockets ----

#[test]
fn socket_read_and_write_round_trip() {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let mut out = Buffer::new();
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    out.add(&payload).unwrap();
    let mut inp = Buffer::new();
    let mut spins = 0;
    while inp.len() < payload.len() {
        if !out.is_empty() {
            match out.write_fd_atmost(&a, 30_000) {
                Ok(n) => assert!(n <= 30_000),
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        match inp.read_fd(&b, 7_000) {
            Ok(n) => assert!(n <= 7_000),
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        spins += 1;
        assert!(spins < 100_000);
    }
    inp.check_invariants().unwrap();
    assert!(inp.to_vec().unwrap() == payload);
    drop(a);
    assert_eq!(inp.read_fd(&b, 100).unwrap(), 0, "end of file");
}

/// `search` checks first-byte hits in place while they are rare and hands
/// over to `memmem` after many false hits: a match is found the same way
/// before and after the hand-over, inside a chunk and across a seam.
#[test]
fn search_finds_matches_before_and_after_many_first_byte_hits() {
    for (hits, seam) in [(3usize, false), (3, true), (500, false), (500, true)] {
        let mut buf = Buffer::new();
        let mut hay = Vec::new();
        for _ in 0..hits {
            hay.extend_from_slice(b"ab-");
        }
        buf.add_reference(hay.clone()).unwrap();
        if seam {
            buf.add_reference(b"xxabc".to_vec()).unwrap();
            buf.add_reference(b"dyy".to_vec()).unwrap();
        } else {
            buf.add_reference(b"xxabcdyy".to_vec()).unwrap();
        }
        let found = buf.search(b"abcd", None).unwrap().expect("abcd is there");
        assert_eq!(found.offset(), hay.len() + 2, "{hits} hits, seam {seam}");
        assert!(buf.search(b"abce", None).unwrap().is_none());
    }
}

/// A write gathers up to 8 chunks on the stack and longer chains in a
/// heap list (up to 128 slices): both paths send every byte in order.
#[test]
fn writes_of_short_and_long_chunk_chains_keep_order() {
    let (a, mut b) = UnixStream::pair().unwrap();
    for chunks in [1usize, 7, 8, 9, 40, 200] {
        let mut buf = Buffer::new();
        let mut want = Vec::new();
        for i in 0..chunks {
            let piece: Vec<u8> = (0..100).map(|k| (i * 7 + k) as u8).collect();
            want.extend_from_slice(&piece);
            buf.add_reference(piece).unwrap();
        }
        let mut sent = 0;
        while !buf.is_empty() {
            sent += buf.write_fd(&a).unwrap();
        }
        assert_eq!(sent, want.len());
        let mut got = vec![0u8; want.len()];
        b.read_exact(&mut got).unwrap();
        assert_eq!(got, want, "{chunks} chunks");
    }
}

#[test]
fn read_fd_default_reads_at_most_4096() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(&[1u8; 5000]).unwrap();
    let mut buf = Buffer::new();
    assert_eq!(buf.read_fd_default(&a).unwrap(), 4096);
    assert_eq!(buf.read_fd_default(&a).unwrap(), 904);
}

// ---- callbacks ----

#[test]
fn callbacks_report_changes_newest_first_and_may_remove_themselves() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut buf = Buffer::new();
    let l = log.clone();
    let first = buf.add_cb(move |_: &mut Buffer, i: &CbInfo| l.lock().unwrap().push(("first", *i)));
    let l = log.clone();
    let me = Arc::new(Mutex::new(None));
    let me2 = me.clone();
    let second = buf.add_cb(move |b: &mut Buffer, i: &CbInfo| {
        l.lock().unwrap().push(("second", *i));
        let id = me2.lock().unwrap().take().unwrap();
        b.remove_cb(id).unwrap(); // removes itself
    });
    *me.lock().unwrap() = Some(second);
    buf.add(b"12345").unwrap();
    buf.drain(2).unwrap();
    let info = CbInfo {
        orig_size: 0,
        n_added: 5,
        n_deleted: 0,
    };
    let info2 = CbInfo {
        orig_size: 5,
        n_added: 0,
        n_deleted: 2,
    };
    assert_eq!(
        *log.lock().unwrap(),
        [("second", info), ("first", info), ("first", info2)]
    );
    buf.remove_cb(first).unwrap();
    assert_eq!(err_of(buf.remove_cb(first)), BufferError::NoSuchCallback);
}

#[test]
fn a_callback_that_changes_the_buffer_is_not_reentered() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut buf = Buffer::new();
    buf.add_cb(move |b: &mut Buffer, _: &CbInfo| {
        c.fetch_add(1, Ordering::SeqCst);
        if b.len() < 100 {
            b.add(b"more").unwrap(); // would recurse forever if re-entered
        }
    });
    buf.add(b"go").unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(buf.to_vec().unwrap(), b"gomore");
    // Other callbacks see the nested change in a nested report.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    buf.add_cb(move |_: &mut Buffer, i: &CbInfo| s.lock().unwrap().push(*i));
    buf.drain(1).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            CbInfo {
                orig_size: 6,
                n_added: 0,
                n_deleted: 1
            },
            CbInfo {
                orig_size: 5,
                n_added: 4,
                n_deleted: 0
            },
        ]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn deferred_callbacks_wait_for_the_loop_but_nodefer_ones_do_not() {
    let now = Arc::new(Mutex::new(Vec::new()));
    let later = Arc::new(Mutex::new(Vec::new()));
    let due = Arc::new(AtomicUsize::new(0));
    let mut buf = Buffer::new();
    let d = due.clone();
    buf.defer_callbacks(Some(Box::new(move || {
        d.fetch_add(1, Ordering::SeqCst);
    })));
    let n = now.clone();
    let id = buf.add_cb(move |_: &mut Buffer, i: &CbInfo| n.lock().unwrap().push(*i));
    buf.set_cb_flags(id, CbFlags::NODEFER).unwrap();
    let l = later.clone();
    buf.add_cb(move |_: &mut Buffer, i: &CbInfo| l.lock().unwrap().push(*i));
    buf.add(b"abc").unwrap();
    buf.add(b"de").unwrap();
    buf.drain(1).unwrap();
    assert_eq!(due.load(Ordering::SeqCst), 1, "notified once per batch");
    assert_eq!(now.lock().unwrap().len(), 3);
    assert!(later.lock().unwrap().is_empty());
    buf.run_deferred_callbacks();
    assert_eq!(
        *later.lock().unwrap(),
        [CbInfo {
            orig_size: 0,
            n_added: 5,
            n_deleted: 1
        }]
    );
    assert!(!buf.deferred_callbacks_due());
    buf.add(b"f").unwrap();
    assert_eq!(due.load(Ordering::SeqCst), 2);
}

#[test]
fn moves_run_both_buffers_callbacks() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut a = Buffer::new();
    let mut b = Buffer::new();
    let s = seen.clone();
    a.add_cb(move |_: &mut Buffer, i: &CbInfo| s.lock().unwrap().push(('a', *i)));
    let s = seen.clone();
    b.add_cb(move |_: &mut Buffer, i: &CbInfo| s.lock().unwrap().push(('b', *i)));
    a.add(b"xyz").unwrap();
    b.add_buffer(&mut a).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[1],
        (
            'a',
            CbInfo {
                orig_size: 3,
                n_added: 0,
                n_deleted: 3
            }
        )
    );
    assert_eq!(
        seen[2],
        (
            'b',
            CbInfo {
                orig_size: 0,
                n_added: 3,
                n_deleted: 0
            }
        )
    );
}

// ---- sharing between threads ----

#[test]
fn shared_buffer_refuses_relock_and_serializes_threads() {
    let shared = SharedBuffer::new(Buffer::new());
    {
        let g = shared.lock().unwrap();
        assert_eq!(err_of(shared.lock().map(|_| ())), BufferError::Relock);
        drop(g);
    }
    let s2 = shared.clone();
    shared
        .lock()
        .unwrap()
        .add_cb(move |_: &mut Buffer, _: &CbInfo| {
            // A callback runs under the lock: locking again is refused.
            assert!(s2.lock().is_err());
        });
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let s = shared.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    let mut g = s.lock().unwrap();
                    g.add(&[t as u8, i as u8]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let g = shared.lock().unwrap();
    assert_eq!(g.len(), 4000);
    g.check_invariants().unwrap();
}

// ---- std::io and the rest ----

#[test]
fn std_io_traits() {
    let mut buf = Buffer::new();
    writeln!(buf, "alpha").unwrap();
    buf.write_all(b"beta\ngam").unwrap();
    buf.add_reference(&b"ma\n"[..]).unwrap();
    let lines: Vec<String> = (&mut buf).lines().map(Result::unwrap).collect();
    assert_eq!(lines, ["alpha", "beta", "gamma"]);
    assert!(buf.is_empty());
    buf.add(b"rest").unwrap();
    let mut v = Vec::new();
    buf.read_to_end(&mut v).unwrap();
    assert_eq!(v, b"rest");
}

#[test]
fn every_eol_style_on_tricky_input() {
    let mut buf = Buffer::new();
    for (style, input, want) in [
        (EolStyle::Any, &b"a\n\r\r\nb\rc"[..], &[&b"a"[..], b"b"][..]),
        (EolStyle::Crlf, b"a\r\r\nb\nc\r", &[b"a\r", b"b"]),
        (EolStyle::CrlfStrict, b"a\nb\r\nc\r", &[b"a\nb"]),
        (EolStyle::Lf, b"\n\na\r\n", &[b"", b"", b"a\r"]),
        (EolStyle::Nul, b"a\0\0b", &[b"a", b""]),
    ] {
        buf.clear().unwrap();
        // One byte per chunk: every end of line straddles chunks.
        for &b in input {
            buf.add_reference(vec![b]).unwrap();
        }
        for w in want {
            assert_eq!(buf.readln(style).unwrap().unwrap(), *w, "{style:?}");
        }
        assert_eq!(buf.readln(style).unwrap(), None, "{style:?}");
    }
}

#[test]
fn prepend_pullup_and_peek() {
    let mut buf = Buffer::new();
    buf.add_reference(&b"world"[..]).unwrap();
    buf.prepend(b", ").unwrap();
    buf.prepend(b"hello").unwrap();
    assert_eq!(buf.peek(100).unwrap().concat(), b"hello, world");
    assert_eq!(buf.pullup(buf.len()).unwrap(), b"hello, world");
    assert_eq!(buf.chunks().unwrap().count(), 1);
    let mut big = vec![0u8; 5000];
    big[4999] = 9;
    buf.prepend(&big).unwrap();
    assert_eq!(buf.len(), 5012);
    assert_eq!(
        buf.search(&[9, b'h'], None).unwrap().unwrap().offset(),
        4999
    );
    buf.check_invariants().unwrap();
}

#[test]
fn buffers_move_between_threads_and_shared_ones_are_sync() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Buffer>();
    send_sync::<SharedBuffer>();
    send_sync::<FileSegment>();
    let mut buf = Buffer::new();
    buf.add(b"made here").unwrap();
    let back = std::thread::spawn(move || {
        buf.add(b", used there").unwrap();
        buf
    })
    .join()
    .unwrap();
    assert_eq!(back.to_vec().unwrap(), b"made here, used there");
}

#[test]
fn readln_with_lends_the_line_and_copies_only_across_chunks() {
    let mut buf = Buffer::new();
    buf.add(b"one\ntw").unwrap();
    buf.add_reference(&b"o\n"[..]).unwrap();
    let first = buf.chunks().unwrap().next().unwrap().as_ptr();
    let same = buf
        .readln_with(EolStyle::Lf, |l| (l.as_ptr() == first, l.to_vec()))
        .unwrap();
    assert_eq!(same, Some((true, b"one".to_vec())));
    let split = buf.readln_with(EolStyle::Lf, |l| l.to_vec()).unwrap();
    assert_eq!(split.as_deref(), Some(&b"two"[..]));
    assert_eq!(buf.readln_with(EolStyle::Lf, |l| l.len()).unwrap(), None);
}

#[test]
fn sendfile_of_a_file_truncated_meanwhile_is_refused_not_spun_on() {
    let f = temp_file(&[b'z'; 5000]);
    let g = f.try_clone().unwrap();
    let seg = FileSegment::new(f, 0, None, SegmentFlags::NONE).unwrap();
    let mut out = Buffer::new();
    out.set_flags(BufferFlags::DRAINS_TO_FD);
    out.add_file_segment(&seg, 0, None).unwrap();
    g.set_len(0).unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    assert!(matches!(
        err_of(out.write_fd(&a)),
        BufferError::BadFileRange(_)
    ));
    assert_eq!(out.len(), 5000, "nothing was drained");
    // Reading its bytes is refused the same way.
    assert!(out.to_vec().is_err());
}
