//! A reference model for `oxevent::buffer`: two buffers driven by a byte
//! string of operations, each checked against a `Vec<u8>` after every step.
//! Shared by `tests/buffer_model.rs` (seeded random inputs) and the fuzz
//! targets in `fuzz/` (which include this file by path).
//!
//! The model states libevent's rules independently of the engine: what each
//! operation does to the bytes, when a frozen end refuses it, when a
//! position becomes stale. Any difference panics.

#![allow(dead_code)]

use std::io::{BufRead, IoSlice, Read, Write};
use std::sync::{Arc, Mutex};

use oxevent::buffer::{Buffer, BufferError, CbInfo, EolStyle, Pos, Side};
use oxevent::Error;

/// Reads operation arguments from the input; past its end everything is 0.
pub struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data, at: 0 }
    }
    pub fn done(&self) -> bool {
        self.at >= self.data.len()
    }
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }
    /// A size, mostly small, sometimes a few chunks' worth.
    pub fn size(&mut self) -> usize {
        match self.u8() % 8 {
            0..=4 => usize::from(self.u8() % 40),
            5 | 6 => usize::from(self.u16() % 600),
            _ => usize::from(self.u16() % 5000),
        }
    }
    /// Bytes for an add: a pattern that makes lines and matches likely.
    pub fn bytes(&mut self) -> Vec<u8> {
        let n = self.size();
        let seed = self.u8();
        let alphabet: &[u8] = match seed % 4 {
            0 => b"ab\r\n",
            1 => b"abc\n",
            2 => b"a\0\r\nxyz",
            _ => b"0123456789abcdef",
        };
        let mut x = u32::from(seed).wrapping_mul(2654435761) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                alphabet[(x as usize) % alphabet.len()]
            })
            .collect()
    }
    fn style(&mut self) -> EolStyle {
        EolStyle::from_raw(i32::from(self.u8() % 5)).unwrap()
    }
}

/// A saved position and the model's view of it.
struct Saved {
    buf: usize,
    pos: Pos,
    offset: usize,
    era: u64,
}

/// The engine's two buffers and their models.
pub struct Model {
    bufs: [Buffer; 2],
    model: [Vec<u8>; 2],
    frozen: [[bool; 2]; 2],
    era: [u64; 2],
    saved: Vec<Saved>,
    /// (buffer length when the callback ran, what it was told), buffer 0.
    calls: Arc<Mutex<Vec<(usize, CbInfo)>>>,
}

fn frozen_err(r: &Error, side: Side) -> bool {
    matches!(r, Error::Buffer(BufferError::Frozen(s)) if *s == side)
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

impl Model {
    pub fn new() -> Model {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let mut b0 = Buffer::new();
        let sink = calls.clone();
        b0.add_cb(move |b: &mut Buffer, info: &CbInfo| sink.lock().unwrap().push((b.len(), *info)));
        Model {
            bufs: [b0, Buffer::new()],
            model: [Vec::new(), Vec::new()],
            frozen: [[false; 2]; 2],
            era: [0; 2],
            saved: Vec::new(),
            calls,
        }
    }

    /// Runs every operation of `input`.
    pub fn run(input: &[u8]) {
        let mut m = Model::new();
        let mut inp = Input::new(input);
        let mut steps = 0;
        while !inp.done() && steps < 2000 {
            m.step(&mut inp);
            m.check();
            // Whole-content comparison is O(len): every step while the
            // buffers are small, every 16th once they are not.
            if steps % 16 == 0 || m.model[0].len() + m.model[1].len() < 2048 {
                m.check_content();
            }
            steps += 1;
        }
        m.check_content();
    }

    fn fs(&self, b: usize) -> bool {
        self.frozen[b][0]
    }
    fn fe(&self, b: usize) -> bool {
        self.frozen[b][1]
    }

    /// Byte removal from the front or insertion before existing bytes.
    fn shift(&mut self, b: usize) {
        self.era[b] += 1;
    }

    pub fn step(&mut self, inp: &mut Input<'_>) {
        let op = inp.u8() % 26;
        let b = usize::from(inp.u8() & 1);
        let o = 1 - b;
        match op {
            0 => {
                let d = inp.bytes();
                let r = self.bufs[b].add(&d);
                self.expect_end(b, r, |m| m.model[b].extend_from_slice(&d));
            }
            1 => {
                let d = inp.bytes();
                let r = self.bufs[b].add_reference(d.clone());
                self.expect_end(b, r, |m| m.model[b].extend_from_slice(&d));
            }
            2 => {
                let d = inp.bytes();
                let r = self.bufs[b].prepend(&d);
                if self.fs(b) {
                    // libevent checks the freeze first, even for 0 bytes.
                    assert!(frozen_err(&r.unwrap_err(), Side::Start));
                } else {
                    r.unwrap();
                    if !d.is_empty() {
                        self.model[b].splice(0..0, d);
                        self.shift(b);
                    }
                }
            }
            3 => {
                let n = inp.size();
                let r = self.bufs[b].drain(n);
                let k = n.min(self.model[b].len());
                if self.fs(b) && k > 0 {
                    assert!(frozen_err(&r.unwrap_err(), Side::Start));
                } else {
                    assert_eq!(r.unwrap(), k);
                    self.remove_front(b, k);
                }
            }
            4 => {
                let mut out = vec![0u8; inp.size()];
                let r = self.bufs[b].remove(&mut out);
                let k = out.len().min(self.model[b].len());
                if self.fs(b) && k > 0 {
                    assert!(frozen_err(&r.unwrap_err(), Side::Start));
                } else {
                    assert_eq!(r.unwrap(), k);
                    assert_eq!(&out[..k], &self.model[b][..k]);
                    self.remove_front(b, k);
                }
            }
            5 => {
                let mut out = vec![0u8; inp.size()];
                let r = self.bufs[b].copyout(&mut out);
                let k = out.len().min(self.model[b].len());
                if self.fs(b) && k > 0 {
                    assert!(frozen_err(&r.unwrap_err(), Side::Start));
                } else {
                    assert_eq!(r.unwrap(), k);
                    assert_eq!(&out[..k], &self.model[b][..k]);
                }
            }
            6 => {
                let style = inp.style();
                let r = self.bufs[b].readln(style);
                if self.fs(b) {
                    assert!(frozen_err(&r.unwrap_err(), Side::Start));
                } else {
                    let got = r.unwrap();
                    match model_eol(&self.model[b], 0, style) {
                        None => assert_eq!(got, None, "{style:?} on {:?}", self.model[b]),
                        Some((at, len)) => {
                            assert_eq!(got.as_deref(), Some(&self.model[b][..at]), "{style:?}");
                            self.remove_front(b, at + len);
                        }
                    }
                }
            }
            7 | 8 => {
                let needle = self.needle(b, inp);
                let (start, start_off) = self.start_pos(b, inp);
                let end_off = if op == 8 {
                    Some(self.model[b].len() - usize::from(inp.u8()) % (self.model[b].len() + 1))
                } else {
                    None
                };
                let end = end_off.map(|e| self.bufs[b].pos_at(e).unwrap());
                let r = self.bufs[b].search_range(&needle, start.as_ref(), end.as_ref());
                let Some(from) = start_off else {
                    assert!(
                        matches!(r, Err(Error::Buffer(BufferError::StalePos))),
                        "{r:?}"
                    );
                    return;
                };
                let limit = end_off.unwrap_or(self.model[b].len());
                let want = model_search(&self.model[b], &needle, from, limit);
                let found = r.unwrap();
                assert_eq!(
                    found.map(|p| p.offset()),
                    want,
                    "search {needle:?} from {from} to {limit}"
                );
                if let Some(p) = found {
                    self.save(b, p);
                }
            }
            9 => {
                let style = inp.style();
                let (start, start_off) = self.start_pos(b, inp);
                let r = self.bufs[b].search_eol(start.as_ref(), style);
                let Some(from) = start_off else {
                    assert!(matches!(r, Err(Error::Buffer(BufferError::StalePos))));
                    return;
                };
                let want = model_eol(&self.model[b], from, style);
                let got = r.unwrap();
                assert_eq!(
                    got.map(|(p, l)| (p.offset(), l)),
                    want,
                    "{style:?} from {from}"
                );
                if let Some((p, _)) = got {
                    self.save(b, p);
                }
            }
            10 => {
                let n = inp.size();
                let r = self.bufs[b].pullup(n);
                if n > self.model[b].len() {
                    assert!(r.is_err());
                } else {
                    assert_eq!(r.unwrap(), &self.model[b][..n]);
                    assert!(self.bufs[b].contiguous_space() >= n);
                }
            }
            11 => {
                let n = inp.size();
                self.bufs[b].expand(n).unwrap();
            }
            12 => {
                let size = inp.size();
                let nvecs = usize::from(inp.u8() % 4);
                let commit = inp.size();
                let fill = inp.u8();
                let fe = self.fe(b);
                let r = self.bufs[b].reserve_vectored(size, nvecs);
                match r {
                    Err(e) => assert!(fe && frozen_err(&e, Side::End) || nvecs == 0, "{e:?}"),
                    Ok(mut space) => {
                        assert!(!fe && nvecs > 0);
                        assert_eq!(space.len(), size);
                        let slices = space.slices_mut();
                        assert!(slices.len() <= nvecs);
                        let mut written = Vec::new();
                        for s in slices {
                            for (i, x) in s.iter_mut().enumerate() {
                                *x = fill.wrapping_add(i as u8);
                            }
                            written.extend_from_slice(s);
                        }
                        let c = commit % (size + 2);
                        let r = space.commit(c);
                        if c > size {
                            assert!(r.is_err());
                        } else {
                            r.unwrap();
                            self.model[b].extend_from_slice(&written[..c]);
                        }
                    }
                }
            }
            13 => {
                let (dst, src) = self.pair(b);
                let r = dst.add_buffer(src);
                let n = self.model[o].len();
                if n == 0 {
                    r.unwrap();
                } else if self.fe(b) || self.fs(o) {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    let moved = std::mem::take(&mut self.model[o]);
                    self.model[b].extend_from_slice(&moved);
                    self.shift(o);
                }
            }
            14 => {
                let n = inp.size();
                let (src, dst) = self.pair(b);
                let r = src.remove_buffer(dst, n);
                let k = n.min(self.model[b].len());
                if n == 0 {
                    assert_eq!(r.unwrap(), 0);
                } else if self.fe(o) || self.fs(b) {
                    assert!(r.is_err());
                } else if k == 0 {
                    assert_eq!(r.unwrap(), 0);
                } else {
                    assert_eq!(r.unwrap(), k);
                    let moved: Vec<u8> = self.model[b].drain(..k).collect();
                    self.model[o].extend_from_slice(&moved);
                    self.shift(b);
                }
            }
            15 => {
                let (dst, src) = self.pair(b);
                let r = dst.prepend_buffer(src);
                let n = self.model[o].len();
                if n == 0 {
                    r.unwrap();
                } else if self.fs(b) || self.fs(o) {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    let moved = std::mem::take(&mut self.model[o]);
                    self.model[b].splice(0..0, moved);
                    self.shift(o);
                    self.shift(b);
                }
            }
            16 => {
                let (dst, src) = self.pair(b);
                let r = dst.add_buffer_reference(src);
                let n = self.model[o].len();
                match r {
                    Ok(()) => {
                        assert!(n == 0 || !self.fe(b));
                        let copy = self.model[o].clone();
                        self.model[b].extend_from_slice(&copy);
                    }
                    Err(Error::Buffer(BufferError::Unreferenceable)) => assert!(n > 0),
                    Err(e) => assert!(self.fe(b) && frozen_err(&e, Side::End), "{e:?}"),
                }
            }
            17 => {
                let side = if inp.u8() & 1 == 0 {
                    Side::Start
                } else {
                    Side::End
                };
                let s = usize::from(side == Side::End);
                if inp.u8() & 1 == 0 {
                    self.bufs[b].freeze(side);
                    self.frozen[b][s] = true;
                } else {
                    self.bufs[b].unfreeze(side);
                    self.frozen[b][s] = false;
                }
            }
            18 => {
                let n = usize::from(inp.u16()) % (self.model[b].len() + 3);
                let r = self.bufs[b].pos_at(n);
                if n > self.model[b].len() {
                    assert!(matches!(r, Err(Error::Buffer(BufferError::PosOutOfRange))));
                } else {
                    let p = r.unwrap();
                    assert_eq!(p.offset(), n);
                    self.save(b, p);
                }
            }
            19 => {
                let Some(i) = self.pick_saved(inp) else {
                    return;
                };
                let n = usize::from(inp.u8() % 50);
                let (sb, pos, off, era) = {
                    let s = &self.saved[i];
                    (s.buf, s.pos, s.offset, s.era)
                };
                // Use it on the other buffer now and then: must be refused.
                let on = if inp.u8() % 8 == 0 { 1 - sb } else { sb };
                let r = self.bufs[on].pos_add(&pos, n);
                if on != sb {
                    assert!(
                        matches!(r, Err(Error::Buffer(BufferError::ForeignPos))),
                        "{r:?}"
                    );
                } else if era != self.era[sb] {
                    assert!(
                        matches!(r, Err(Error::Buffer(BufferError::StalePos))),
                        "{r:?}"
                    );
                } else if off + n > self.model[sb].len() {
                    assert!(r.is_err());
                } else {
                    let p = r.unwrap();
                    assert_eq!(p.offset(), off + n);
                    self.save(sb, p);
                }
            }
            20 => {
                let Some(i) = self.pick_saved(inp) else {
                    return;
                };
                let (sb, pos, off, era) = {
                    let s = &self.saved[i];
                    (s.buf, s.pos, s.offset, s.era)
                };
                let mut out = vec![0u8; inp.size()];
                let r = self.bufs[sb].copyout_from(&pos, &mut out);
                if era != self.era[sb] {
                    assert!(matches!(r, Err(Error::Buffer(BufferError::StalePos))));
                } else {
                    let k = out.len().min(self.model[sb].len() - off);
                    if self.fs(sb) && k > 0 {
                        assert!(r.is_err());
                    } else {
                        assert_eq!(r.unwrap(), k);
                        assert_eq!(&out[..k], &self.model[sb][off..off + k]);
                    }
                    let got: Vec<u8> = self.bufs[sb]
                        .chunks_from(&pos)
                        .unwrap()
                        .flatten()
                        .copied()
                        .collect();
                    assert_eq!(got, &self.model[sb][off..]);
                }
            }
            21 => {
                let n = inp.size();
                let v = self.bufs[b].peek(n).unwrap();
                let got: Vec<u8> = v.concat();
                let k = n.min(self.model[b].len());
                assert_eq!(got, &self.model[b][..k]);
            }
            22 => {
                let a = inp.bytes();
                let c = inp.bytes();
                let r = self.bufs[b].add_vectored(&[IoSlice::new(&a), IoSlice::new(&c)]);
                let both = [a, c].concat();
                if self.fe(b) {
                    assert!(r.is_err());
                } else {
                    assert_eq!(r.unwrap(), both.len());
                    self.model[b].extend_from_slice(&both);
                }
            }
            23 => {
                // std::io: BufRead then Read.
                if self.fs(b) {
                    return;
                }
                let first = self.bufs[b].fill_buf().unwrap().to_vec();
                assert!(self.model[b].starts_with(&first));
                assert_eq!(first.is_empty(), self.model[b].is_empty());
                let k = usize::from(inp.u8()) % (first.len() + 1);
                self.bufs[b].consume(k);
                self.remove_front(b, k);
                let mut out = vec![0u8; inp.size()];
                let n = self.bufs[b].read(&mut out).unwrap();
                assert_eq!(&out[..n], &self.model[b][..n]);
                self.remove_front(b, n);
            }
            24 => {
                let d = inp.bytes();
                let r = self.bufs[b].write_all(&d);
                self.expect_end(b, r.map_err(Error::Io), |m| {
                    m.model[b].extend_from_slice(&d)
                });
            }
            _ => {
                let r = self.bufs[b].clear();
                let k = self.model[b].len();
                if self.fs(b) && k > 0 {
                    assert!(r.is_err());
                } else {
                    r.unwrap();
                    self.remove_front(b, k);
                }
            }
        }
    }

    /// An operation at the end: refused when frozen (and data is non-empty).
    fn expect_end(&mut self, b: usize, r: Result<(), Error>, apply: impl FnOnce(&mut Model)) {
        if self.fe(b) {
            if let Err(e) = r {
                assert!(
                    matches!(e, Error::Buffer(BufferError::Frozen(Side::End)))
                        || matches!(e, Error::Io(_))
                );
            }
            // An empty add succeeds even when frozen in some paths; either way nothing changes.
            return;
        }
        r.unwrap();
        apply(self);
    }

    fn remove_front(&mut self, b: usize, k: usize) {
        if k > 0 {
            self.model[b].drain(..k);
            self.shift(b);
        }
    }

    fn pair(&mut self, b: usize) -> (&mut Buffer, &mut Buffer) {
        let (x, y) = self.bufs.split_at_mut(1);
        if b == 0 {
            (&mut x[0], &mut y[0])
        } else {
            (&mut y[0], &mut x[0])
        }
    }

    fn save(&mut self, b: usize, p: Pos) {
        if self.saved.len() >= 16 {
            self.saved.remove(0);
        }
        self.saved.push(Saved {
            buf: b,
            pos: p,
            offset: p.offset(),
            era: self.era[b],
        });
    }

    fn pick_saved(&mut self, inp: &mut Input<'_>) -> Option<usize> {
        if self.saved.is_empty() {
            return None;
        }
        Some(usize::from(inp.u8()) % self.saved.len())
    }

    /// A start position for buffer `b`: none, or a saved one. Returns the
    /// position and, when it is still current, its offset.
    fn start_pos(&mut self, b: usize, inp: &mut Input<'_>) -> (Option<Pos>, Option<usize>) {
        let mine: Vec<usize> = (0..self.saved.len())
            .filter(|&i| self.saved[i].buf == b)
            .collect();
        if mine.is_empty() || inp.u8() % 3 == 0 {
            return (None, Some(0));
        }
        let s = &self.saved[mine[usize::from(inp.u8()) % mine.len()]];
        let current = s.era == self.era[b];
        (Some(s.pos), current.then_some(s.offset))
    }

    fn needle(&self, b: usize, inp: &mut Input<'_>) -> Vec<u8> {
        let m = &self.model[b];
        let len = usize::from(inp.u8() % 12);
        if m.is_empty() || inp.u8() % 4 == 0 {
            return inp.bytes().into_iter().take(len).collect();
        }
        let at = usize::from(inp.u16()) % m.len();
        m[at..(at + len).min(m.len())].to_vec()
    }

    pub fn check(&mut self) {
        for b in 0..2 {
            self.bufs[b].check_invariants().unwrap();
            assert_eq!(self.bufs[b].len(), self.model[b].len());
        }
        let mut calls = self.calls.lock().unwrap();
        for (len, info) in calls.drain(..) {
            assert_eq!(
                info.orig_size + info.n_added - info.n_deleted,
                len,
                "{info:?}"
            );
        }
        drop(calls);
    }

    fn check_content(&self) {
        for b in 0..2 {
            if !self.fs(b) {
                let mut v = vec![0u8; self.model[b].len()];
                assert_eq!(self.bufs[b].copyout(&mut v).unwrap(), v.len());
                assert_eq!(v, self.model[b]);
            }
            assert_eq!(self.bufs[b].to_vec().unwrap(), self.model[b]);
        }
    }
}

/// libevent's search, written naively: first match starting at or after
/// `from` that ends at or before `limit`. An empty needle matches at `from`.
pub fn model_search(hay: &[u8], needle: &[u8], from: usize, limit: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    let limit = limit.min(hay.len());
    (from..limit).find(|&i| i + needle.len() <= limit && hay[i..].starts_with(needle))
}

/// libevent's end-of-line rules, written naively: where the first end of
/// line at or after `from` starts, and its length.
pub fn model_eol(hay: &[u8], from: usize, style: EolStyle) -> Option<(usize, usize)> {
    let rest = hay.get(from..)?;
    match style {
        EolStyle::Lf => rest.iter().position(|&c| c == b'\n').map(|i| (from + i, 1)),
        EolStyle::Nul => rest.iter().position(|&c| c == 0).map(|i| (from + i, 1)),
        EolStyle::Any => {
            let i = rest.iter().position(|&c| c == b'\r' || c == b'\n')?;
            let n = rest[i..]
                .iter()
                .take_while(|&&c| c == b'\r' || c == b'\n')
                .count();
            Some((from + i, n))
        }
        EolStyle::Crlf => {
            let i = from + rest.iter().position(|&c| c == b'\n')?;
            if i > from && hay[i - 1] == b'\r' {
                Some((i - 1, 2))
            } else {
                Some((i, 1))
            }
        }
        EolStyle::CrlfStrict => (from..hay.len().saturating_sub(1))
            .find(|&i| hay[i] == b'\r' && hay[i + 1] == b'\n')
            .map(|i| (i, 2)),
    }
}
