//! The C face of evbuffer driven by a byte script: the exported
//! `extern "C"` functions of `oxevent-ffi` (the ones C programs call) on
//! two buffers, checked after every step against a `Vec<u8>` model of each.
//!
//! Every operation's return value decides how the model changes (a refused
//! add adds nothing, a drain past the end empties it, ...), so a call that
//! says it succeeded but lost, duplicated or reordered bytes fails the run.
//! Bad input is part of the script: lengths near `SIZE_MAX`, positions
//! past the end, stale or from the other buffer, garbage `EVBUFFER_PTR_*`
//! modes, commits that do not match the reservation, frozen ends, a closed
//! descriptor for `evbuffer_add_file`. A panic caught at the C boundary is
//! reported through the log callback, which this harness turns into a
//! failure, as it does for any read of bytes that disagree with the model.
//!
//! `unsafe` here is the harness reading memory the library hands back
//! (pullup, peek, readln, reserve) and freeing `readln`'s string, as a C
//! program would.
#![no_main]

use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxevent_ffi::abi::{EvbufferCbInfo, EvbufferIovec, EvbufferPtr};
use oxevent_ffi::buffer::*;
use oxevent_ffi::buffer_compat::evbuffer_find;

static CLEANUPS: AtomicUsize = AtomicUsize::new(0);
static CB_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_log(severity: c_int, msg: *const c_char) {
    // SAFETY: the library passes a NUL-terminated message.
    let text = unsafe { std::ffi::CStr::from_ptr(msg) }.to_string_lossy();
    if text.contains("internal error") {
        panic!("panic caught at the C boundary: {text} (severity {severity})");
    }
}

unsafe extern "C" fn count_cleanup(_data: *const c_void, _len: usize, _arg: *mut c_void) {
    CLEANUPS.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C" fn count_cb(_b: *mut c_void, info: *const EvbufferCbInfo, _arg: *mut c_void) {
    // SAFETY: the library passes a valid info for the call.
    let info = unsafe { &*info };
    assert!(info.n_added > 0 || info.n_deleted > 0);
    CB_CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Reads bytes of the script.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn small(&mut self) -> usize {
        self.byte().map_or(0, usize::from)
    }
    /// A length: mostly small, sometimes a chunk's size, sometimes absurd.
    fn len(&mut self) -> usize {
        match self.small() {
            250 => usize::MAX,
            251 => usize::MAX - 3,
            252 => isize::MAX as usize,
            253 => 4096 + self.small(),
            254 => 70000,
            n => n,
        }
    }
}

/// Reference data: static, so it outlives every buffer.
static REF: [u8; 512] = {
    let mut a = [0u8; 512];
    let mut i = 0;
    while i < 512 {
        a[i] = b"ref-data-with\nline\r\nends\0and NULs"[i % 33];
        i += 1;
    }
    a
};

/// The buffer's bytes, read with copyout (a frozen start refuses copyout,
/// so it is thawed for the read and frozen again).
fn contents(b: *mut c_void, frozen_start: bool) -> Vec<u8> {
    let b = b.cast();
    let n = evbuffer_get_length(b);
    let mut v = vec![0u8; n];
    if frozen_start {
        assert_eq!(evbuffer_unfreeze(b, 1), 0);
    }
    let got = evbuffer_copyout(b, v.as_mut_ptr().cast(), n);
    if frozen_start {
        assert_eq!(evbuffer_freeze(b, 1), 0);
    }
    assert_eq!(got, n as isize, "copyout of the whole buffer");
    v
}

fn fill(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| b"abc\r\nxyz\n\0QRS"[(i + seed as usize) % 13])
        .collect()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oxevent_ffi::log::event_set_log_callback(Some(on_log));
    let bufs = [evbuffer_new(), evbuffer_new()];
    let mut model: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut frozen = [[false; 2]; 2]; // [buffer][0 = end, 1 = start]
    let mut reserved: Option<(usize, u8, Vec<EvbufferIovec>)> = None;
    let mut saved: Option<(usize, EvbufferPtr)> = None;
    let mut s = Script(data);
    let mut steps = 0;
    while let Some(op) = s.byte() {
        steps += 1;
        if steps > 200 {
            break;
        }
        // Moves between the two buffers double their contents, so a
        // script can ask for gigabytes (one did: 4.7 GB, 52 s, which
        // libFuzzer reported as out-of-memory). Large buffers are other
        // tests' job; the script ends once the buffers hold 16 MiB.
        if model[0].len() + model[1].len() > 16 << 20 {
            break;
        }
        let i = usize::from(op & 1);
        let b = bufs[i];
        let o = bufs[1 - i];
        match (op >> 1) % 24 {
            0 => {
                let n = s.len();
                let d = fill(op, n.min(100_000));
                let r = evbuffer_add(b, d.as_ptr().cast(), n);
                if n <= d.len() && !frozen[i][0] {
                    assert_eq!(r, 0);
                    model[i].extend_from_slice(&d);
                } else {
                    assert_eq!(r, -1, "add of {n} bytes");
                }
            }
            1 => {
                let n = s.len();
                let d = fill(op ^ 0x55, n.min(100_000));
                let r = evbuffer_prepend(b, d.as_ptr().cast(), n);
                if n <= d.len() && !frozen[i][1] {
                    assert_eq!(r, 0);
                    model[i].splice(0..0, d);
                } else {
                    assert_eq!(r, -1, "prepend of {n} bytes");
                }
            }
            2 => {
                let n = s.len();
                let r = evbuffer_drain(b, n);
                if frozen[i][1] && !model[i].is_empty() {
                    assert_eq!(r, -1);
                } else {
                    assert_eq!(r, 0);
                    let k = n.min(model[i].len());
                    model[i].drain(..k);
                }
            }
            3 => {
                let n = s.small() * 3;
                let mut out = vec![0u8; n];
                let r = evbuffer_remove(b, out.as_mut_ptr().cast(), n);
                if r >= 0 {
                    let r = r as usize;
                    assert_eq!(&out[..r], &model[i][..r]);
                    model[i].drain(..r);
                } else {
                    assert!(frozen[i][1]);
                }
            }
            4 => {
                let r = evbuffer_add_buffer(b, o);
                if r == 0 {
                    let moved = std::mem::take(&mut model[1 - i]);
                    model[i].extend(moved);
                } else {
                    assert!(frozen[i][0] || frozen[1 - i][1]);
                }
            }
            5 => {
                let n = s.len();
                let r = evbuffer_remove_buffer(b, o, n);
                if r >= 0 {
                    let r = r as usize;
                    assert_eq!(r, n.min(model[i].len()));
                    let moved: Vec<u8> = model[i].drain(..r).collect();
                    model[1 - i].extend(moved);
                }
            }
            6 => {
                let r = evbuffer_prepend_buffer(b, o);
                if r == 0 {
                    let mut moved = std::mem::take(&mut model[1 - i]);
                    moved.extend_from_slice(&model[i]);
                    model[i] = moved;
                }
            }
            7 => {
                let r = evbuffer_add_buffer_reference(b, o);
                if r == 0 {
                    let copy = model[1 - i].clone();
                    model[i].extend(copy);
                }
            }
            8 => {
                let at = s.small() * 2 % REF.len();
                let n = s.small().min(REF.len() - at);
                let r = evbuffer_add_reference(
                    b,
                    REF[at..].as_ptr().cast(),
                    n,
                    Some(count_cleanup),
                    ptr::null_mut(),
                );
                if r == 0 {
                    model[i].extend_from_slice(&REF[at..at + n]);
                }
            }
            9 => {
                let size = s.small() as isize * 40 - 100;
                let nv = (s.small() % 3) as c_int;
                let mut v = vec![
                    EvbufferIovec {
                        iov_base: ptr::null_mut(),
                        iov_len: 0
                    };
                    2
                ];
                let r = evbuffer_reserve_space(b, size, v.as_mut_ptr(), nv);
                if r > 0 {
                    v.truncate(r as usize);
                    let mut seed = op;
                    for e in &v {
                        // SAFETY: the reservation hands out iov_len
                        // writable bytes at iov_base until the next change.
                        unsafe { ptr::write_bytes(e.iov_base.cast::<u8>(), seed, e.iov_len) };
                        seed = seed.wrapping_add(1);
                    }
                    reserved = Some((i, op, v));
                } else {
                    assert!(size < 0 || nv < 1 || frozen[i][0], "reserve {size} {nv}");
                }
            }
            10 => {
                let Some((j, seed, mut v)) = reserved.take() else {
                    continue;
                };
                let how = s.small();
                match how % 4 {
                    0 => {}
                    1 => v[0].iov_len += 1 + how / 4,
                    2 => v[0].iov_len /= 2,
                    _ => v.truncate(v.len().saturating_sub(1)),
                }
                let before = evbuffer_get_length(bufs[j]);
                let r = evbuffer_commit_space(bufs[j], v.as_mut_ptr(), v.len() as c_int);
                let after = evbuffer_get_length(bufs[j]);
                if r == 0 {
                    // The committed bytes are the ones written at iov_base.
                    for (k, e) in v.iter().enumerate() {
                        let byte = seed.wrapping_add(k as u8);
                        model[j].extend(std::iter::repeat_n(byte, e.iov_len));
                    }
                    assert_eq!(after, model[j].len());
                } else {
                    assert_eq!(after, before, "a refused commit added bytes");
                }
            }
            11 => {
                let n = s.len();
                assert!(matches!(evbuffer_expand(b, n), 0 | -1));
            }
            12 => {
                let n = s.small() as isize * 37 - 1;
                let p = evbuffer_pullup(b, n);
                let want = if n < 0 { model[i].len() } else { n as usize };
                if want > model[i].len() || (want == 0 && p.is_null()) {
                    assert!(p.is_null() || want == 0);
                } else if !p.is_null() {
                    // SAFETY: pullup makes `want` bytes contiguous at p.
                    let got = unsafe { std::slice::from_raw_parts(p, want) };
                    assert_eq!(got, &model[i][..want]);
                }
            }
            13 => {
                let style = (s.small() % 6) as c_int;
                let mut n = 0usize;
                let line = evbuffer_readln(b, &mut n, style);
                if !line.is_null() {
                    // SAFETY: readln returns n bytes plus a NUL, malloc'd.
                    let got = unsafe { std::slice::from_raw_parts(line.cast::<u8>(), n) }.to_vec();
                    // SAFETY: the string is the caller's to free.
                    unsafe { libc::free(line.cast()) };
                    assert_eq!(&got[..], &model[i][..n], "readln's line");
                    // The EOL after the line: between 1 and 2 bytes.
                    let rest = contents(b.cast(), frozen[i][1]);
                    let eol = model[i].len() - n - rest.len();
                    assert!(eol >= 1 && (style == 0 || eol <= 2), "eol of {eol} bytes");
                    assert_eq!(&rest[..], &model[i][n + eol..]);
                    model[i] = rest;
                }
            }
            14 => {
                let at = s.small();
                let nl = s.small() % 5;
                let needle: Vec<u8> = fill(op, nl + 1)[..nl].to_vec();
                let mut start = EvbufferPtr {
                    pos: 0,
                    chain: 0,
                    pos_in_chain: 0,
                };
                let sp = if at % 2 == 0 {
                    ptr::null()
                } else {
                    evbuffer_ptr_set(b, &mut start, at / 2, 0);
                    &start as *const EvbufferPtr
                };
                let r = evbuffer_search(b, needle.as_ptr().cast(), needle.len(), sp);
                let from = if sp.is_null() {
                    Some(0)
                } else {
                    (start.pos >= 0).then_some(start.pos as usize)
                };
                if let Some(from) = from {
                    let want = find(&model[i], &needle, from);
                    if !needle.is_empty() {
                        assert_eq!(r.pos, want.map_or(-1, |p| p as isize), "search");
                    }
                }
            }
            15 => {
                let style = (s.small() % 5) as c_int;
                let mut eol = 0usize;
                let r = evbuffer_search_eol(b, ptr::null_mut(), &mut eol, style);
                if r.pos >= 0 {
                    let p = r.pos as usize;
                    assert!(p + eol <= model[i].len());
                    assert!(model[i][p..p + eol]
                        .iter()
                        .all(|&c| matches!(c, b'\r' | b'\n' | 0)));
                }
            }
            16 => {
                // Positions: each mode, any value, maybe the other buffer's.
                let how = (s.small() % 4) as c_int - 1;
                let pos = s.len();
                let mut p = saved.map_or(
                    EvbufferPtr {
                        pos: 0,
                        chain: 0,
                        pos_in_chain: 0,
                    },
                    |x| x.1,
                );
                let r = evbuffer_ptr_set(b, &mut p, pos, how);
                assert!(matches!(r, 0 | -1));
                // An unknown mode with a distance of 0 gives 0 and leaves the
                // struct as it was (libevent's), so only SET and ADD count.
                if r == 0 && (how == 0 || how == 1) {
                    assert!(p.pos >= 0 && p.pos as usize <= model[i].len());
                    saved = Some((i, p));
                }
            }
            17 => {
                // copyout_from a saved position, maybe stale or foreign.
                let Some((_, p)) = saved else { continue };
                let n = s.small();
                let mut out = vec![0u8; n];
                let r = evbuffer_copyout_from(b, &p, out.as_mut_ptr().cast(), n);
                if r > 0 {
                    let from = p.pos as usize;
                    assert_eq!(&out[..r as usize], &model[i][from..from + r as usize]);
                }
            }
            18 => {
                let Some((_, mut p)) = saved else { continue };
                let mut v = [EvbufferIovec {
                    iov_base: ptr::null_mut(),
                    iov_len: 0,
                }; 4];
                let len = s.small() as isize - 1;
                let r = evbuffer_peek(b, len, &mut p, v.as_mut_ptr(), 4);
                if r > 0 && p.pos >= 0 {
                    let mut at = p.pos as usize;
                    for e in v.iter().take((r as usize).min(4)) {
                        // SAFETY: peek hands out iov_len readable bytes.
                        let got = unsafe {
                            std::slice::from_raw_parts(e.iov_base.cast::<u8>(), e.iov_len)
                        };
                        assert_eq!(got, &model[i][at..at + e.iov_len], "peek");
                        at += e.iov_len;
                    }
                }
            }
            19 => {
                let side = s.small() % 2;
                if s.small() % 2 == 0 {
                    assert_eq!(evbuffer_freeze(b, side as c_int), 0);
                    frozen[i][side] = true;
                } else {
                    assert_eq!(evbuffer_unfreeze(b, side as c_int), 0);
                    frozen[i][side] = false;
                }
            }
            20 => {
                if s.small() % 2 == 0 {
                    let e = evbuffer_add_cb(b, Some(count_cb), ptr::null_mut());
                    assert!(!e.is_null());
                } else {
                    let _ = evbuffer_remove_cb(b, Some(count_cb), ptr::null_mut());
                }
            }
            21 => {
                let nl = 1 + s.small() % 3;
                let needle = fill(op, nl);
                let p = evbuffer_find(b, needle.as_ptr(), nl);
                let want = find(&model[i], &needle, 0);
                assert_eq!(p.is_null(), want.is_none(), "find");
                if !p.is_null() {
                    // SAFETY: find returns a pointer into the contiguous
                    // bytes up to the match's end.
                    let got = unsafe { std::slice::from_raw_parts(p, nl) };
                    assert_eq!(got, &needle[..]);
                }
            }
            22 => {
                // A closed (or never open) descriptor: refused, nothing added.
                let r = evbuffer_add_file(b, 100_000 + s.small() as c_int, 0, s.small() as i64);
                assert_eq!(r, -1);
            }
            _ => {
                let n = s.small();
                let mut out = vec![0u8; n];
                let r = evbuffer_copyout(b, out.as_mut_ptr().cast(), n);
                if r >= 0 {
                    assert_eq!(&out[..r as usize], &model[i][..r as usize]);
                }
            }
        }
        for k in 0..2 {
            assert_eq!(
                contents(bufs[k].cast(), frozen[k][1]),
                model[k],
                "buffer {k} after op {op}"
            );
        }
    }
    for b in bufs {
        evbuffer_free(b);
    }
});
