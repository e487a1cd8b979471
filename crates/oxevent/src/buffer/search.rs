//! Searching a buffer and reading lines (`evbuffer_search`,
//! `evbuffer_search_range`, `evbuffer_search_eol`, `evbuffer_readln`).
//!
//! What this module owns: finding a byte string or an end of line across
//! chunk boundaries, with `memchr`'s SIMD searchers inside each chunk and a
//! small copy of the bytes around each boundary for matches that straddle
//! it. Results are exactly libevent's: the first match at or after the
//! start, EOL lengths as each style defines them.
//!
//! It also remembers, per buffer, how far a `readln` looked without finding
//! a line (for the same style, while nothing was drained), so a long line
//! arriving in many small reads is scanned once, not once per read.
//!
//! What it must never do: read bytes past a range's end, or past the buffer.

use memchr::memmem;

use super::{Buffer, BufferError, Pos, Side};
use crate::error::Result;

/// What ends a line (libevent's `enum evbuffer_eol_style`).
///
/// ```
/// use oxevent::buffer::{Buffer, EolStyle};
///
/// let mut buf = Buffer::new();
/// buf.add(b"a\r\n\r\nb\n").unwrap();
/// // ANY: any run of CR and LF characters is one end of line.
/// assert_eq!(buf.readln(EolStyle::Any).unwrap().unwrap(), b"a");
/// assert_eq!(buf.readln(EolStyle::Any).unwrap().unwrap(), b"b");
/// assert_eq!(EolStyle::from_raw(4), Some(EolStyle::Nul));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EolStyle {
    /// Any sequence of CR and LF characters (`EVBUFFER_EOL_ANY`).
    Any = 0,
    /// An LF, optionally preceded by a CR (`EVBUFFER_EOL_CRLF`).
    Crlf = 1,
    /// Exactly CR LF (`EVBUFFER_EOL_CRLF_STRICT`).
    CrlfStrict = 2,
    /// A single LF (`EVBUFFER_EOL_LF`).
    Lf = 3,
    /// A single NUL byte (`EVBUFFER_EOL_NUL`).
    Nul = 4,
}

impl EolStyle {
    /// The style with libevent's value, if there is one.
    ///
    /// ```
    /// use oxevent::buffer::EolStyle;
    /// assert_eq!(EolStyle::from_raw(1), Some(EolStyle::Crlf));
    /// assert_eq!(EolStyle::from_raw(5), None);
    /// ```
    pub fn from_raw(v: i32) -> Option<EolStyle> {
        Some(match v {
            0 => EolStyle::Any,
            1 => EolStyle::Crlf,
            2 => EolStyle::CrlfStrict,
            3 => EolStyle::Lf,
            4 => EolStyle::Nul,
            _ => return None,
        })
    }
}

/// How far a line search got without finding an end of line.
#[derive(Copy, Clone, Debug)]
pub(super) struct EolScan {
    style: EolStyle,
    era: u64,
    /// No end of line (of `style`) starts in `0..scanned`.
    scanned: usize,
    /// Where `scanned` was (chunk, offset), valid while `layout` is.
    layout: u64,
    chunk: usize,
    off: usize,
}

/// A byte's place: chunk index, offset in the chunk, absolute offset.
#[derive(Copy, Clone, Debug)]
struct Loc {
    chunk: usize,
    off: usize,
    abs: usize,
}

impl Buffer {
    /// The first occurrence of `needle` at or after `start` (the buffer's
    /// start when `None`), or `None` (`evbuffer_search`). An empty needle
    /// matches at `start`, as in libevent.
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add_reference(&b"abcab"[..]).unwrap();
    /// buf.add_reference(&b"cabc"[..]).unwrap();
    /// let first = buf.search(b"abc", None).unwrap().unwrap();
    /// assert_eq!(first.offset(), 0);
    /// let next = buf.pos_add(&first, 1).unwrap();
    /// // This one straddles the two chunks.
    /// assert_eq!(buf.search(b"abc", Some(&next)).unwrap().unwrap().offset(), 3);
    /// assert!(buf.search(b"zz", None).unwrap().is_none());
    /// ```
    pub fn search(&self, needle: &[u8], start: Option<&Pos>) -> Result<Option<Pos>> {
        self.search_range(needle, start, None)
    }

    /// Like [`search`](Self::search), but the match must end at or before
    /// `end` (`evbuffer_search_range`).
    ///
    /// ```
    /// use oxevent::buffer::Buffer;
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"xxabxxab").unwrap();
    /// let end = buf.pos_at(3).unwrap();
    /// assert!(buf.search_range(b"ab", None, Some(&end)).unwrap().is_none());
    /// let end = buf.pos_at(4).unwrap();
    /// assert_eq!(buf.search_range(b"ab", None, Some(&end)).unwrap().unwrap().offset(), 2);
    /// ```
    pub fn search_range(
        &self,
        needle: &[u8],
        start: Option<&Pos>,
        end: Option<&Pos>,
    ) -> Result<Option<Pos>> {
        let from = self.start_loc(start)?;
        let limit = match end {
            Some(e) => {
                self.resolve(e)?;
                e.offset()
            }
            None => self.len,
        };
        if needle.is_empty() {
            return Ok(Some(self.make_pos(from.abs, from.chunk, from.off)));
        }
        self.load_files()?;
        Ok(self
            .find(needle, from, limit)
            .map(|l| self.make_pos(l.abs, l.chunk, l.off)))
    }

    /// The first end of line at or after `start`, and its length in bytes
    /// (`evbuffer_search_eol`).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, EolStyle};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"one\r\ntwo\n").unwrap();
    /// let (at, len) = buf.search_eol(None, EolStyle::Crlf).unwrap().unwrap();
    /// assert_eq!((at.offset(), len), (3, 2));
    /// let after = buf.pos_add(&at, len).unwrap();
    /// let (at, len) = buf.search_eol(Some(&after), EolStyle::CrlfStrict).unwrap().map_or((0, 0), |(p, l)| (p.offset(), l));
    /// assert_eq!((at, len), (0, 0)); // no CR LF after "two"
    /// ```
    pub fn search_eol(&self, start: Option<&Pos>, style: EolStyle) -> Result<Option<(Pos, usize)>> {
        let from = self.start_loc(start)?;
        self.load_files()?;
        Ok(self
            .find_eol(from.abs, from, style)
            .map(|(l, n)| (self.make_pos(l.abs, l.chunk, l.off), n)))
    }

    /// Removes the first line and its end of line; returns the line without
    /// it (`evbuffer_readln`). `Ok(None)`: no complete line yet.
    ///
    /// Refused when the start is frozen, or when memory for the line runs
    /// out (the buffer is then unchanged).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, EolStyle};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"first\nsecond").unwrap();
    /// assert_eq!(buf.readln(EolStyle::Lf).unwrap().unwrap(), b"first");
    /// assert_eq!(buf.readln(EolStyle::Lf).unwrap(), None);
    /// buf.add(b"\n").unwrap();
    /// assert_eq!(buf.readln(EolStyle::Lf).unwrap().unwrap(), b"second");
    /// ```
    pub fn readln(&mut self, style: EolStyle) -> Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        Ok(self.readln_into(style, &mut line)?.map(|_| line))
    }

    /// Like [`readln`](Self::readln), but appends the line to `out` (reusing
    /// its allocation) and returns the line's length.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, EolStyle};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"a\nbb\n").unwrap();
    /// let mut line = Vec::new();
    /// while let Some(n) = buf.readln_into(EolStyle::Lf, &mut line).unwrap() {
    ///     line.push(b'|');
    ///     assert!(n <= 2);
    /// }
    /// assert_eq!(line, b"a|bb|");
    /// ```
    pub fn readln_into(&mut self, style: EolStyle, out: &mut Vec<u8>) -> Result<Option<usize>> {
        let Some((n, eol_len)) = self.find_line(style)? else {
            return Ok(None);
        };
        out.try_reserve(n)
            .map_err(|_| BufferError::OutOfMemory(n))?;
        let mut left = n;
        for c in &self.chunks {
            if left == 0 {
                break;
            }
            let b = c.bytes();
            let k = b.len().min(left);
            out.extend_from_slice(&b[..k]);
            left -= k;
        }
        self.consume_line(n + eol_len);
        Ok(Some(n))
    }

    /// Like [`readln`](Self::readln), but lends the line to `f` instead of
    /// copying it out: when the line lies in one chunk (the usual case) `f`
    /// sees the buffer's own bytes; otherwise a copy. The line and its end
    /// of line are drained after `f` returns.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, EolStyle};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"GET /index.html HTTP/1.1\r\n").unwrap();
    /// let words = buf
    ///     .readln_with(EolStyle::Crlf, |line| line.split(|&b| b == b' ').count())
    ///     .unwrap();
    /// assert_eq!(words, Some(3));
    /// assert!(buf.is_empty());
    /// ```
    pub fn readln_with<R>(
        &mut self,
        style: EolStyle,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        let Some((n, eol_len)) = self.find_line(style)? else {
            return Ok(None);
        };
        let r = match self.chunks.front() {
            Some(c) if c.len() >= n => f(&c.bytes()[..n]),
            _ => {
                let mut line = Vec::new();
                line.try_reserve_exact(n)
                    .map_err(|_| BufferError::OutOfMemory(n))?;
                let mut left = n;
                for c in &self.chunks {
                    let b = c.bytes();
                    let k = b.len().min(left);
                    line.extend_from_slice(&b[..k]);
                    left -= k;
                    if left == 0 {
                        break;
                    }
                }
                f(&line)
            }
        };
        self.consume_line(n + eol_len);
        Ok(Some(r))
    }

    /// The first line's length and its end of line's, without removing
    /// anything (`readln`'s search, which remembers where a failed search
    /// stopped). For the C face, which allocates the line with the
    /// program's allocator before it drains it, so that a refused
    /// allocation loses nothing.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, EolStyle};
    ///
    /// let mut buf = Buffer::new();
    /// buf.add(b"ab\r\ncd").unwrap();
    /// assert_eq!(buf.next_line(EolStyle::Crlf).unwrap(), Some((2, 2)));
    /// assert_eq!(buf.len(), 6);
    /// ```
    #[doc(hidden)]
    pub fn next_line(&mut self, style: EolStyle) -> Result<Option<(usize, usize)>> {
        self.find_line(style)
    }

    /// The first line's length and its end of line's, if a line is there.
    fn find_line(&mut self, style: EolStyle) -> Result<Option<(usize, usize)>> {
        if self.frozen_start {
            return Err(BufferError::Frozen(Side::Start).into());
        }
        self.load_files()?;
        if self.eol_scan.is_none() {
            if let Some(found) = self.first_chunk_line(style) {
                return Ok(Some(found));
            }
        }
        let scan_from = match self.eol_scan.as_deref().copied() {
            Some(s) if s.style == style && s.era == self.era && s.scanned <= self.len => {
                // Resume where the last search stopped; its chunk hint saves
                // a walk from the front (many small reads: many chunks).
                let hint = if s.layout == self.layout {
                    self.normalize(s.chunk, s.off)
                } else {
                    None
                };
                match hint {
                    Some((chunk, off)) => Loc {
                        chunk,
                        off,
                        abs: s.scanned,
                    },
                    None => self.loc(s.scanned),
                }
            }
            _ => Loc {
                chunk: 0,
                off: 0,
                abs: 0,
            },
        };
        match self.find_eol(0, scan_from, style) {
            Some((eol, eol_len)) => Ok(Some((eol.abs, eol_len))),
            None => {
                let last = self.data_end();
                let (chunk, off) = if last == 0 {
                    (0, 0)
                } else {
                    (last - 1, self.chunks[last - 1].len())
                };
                let scan = EolScan {
                    style,
                    era: self.era,
                    scanned: self.len,
                    layout: self.layout,
                    chunk,
                    off,
                };
                match &mut self.eol_scan {
                    Some(b) => **b = scan,
                    None => self.eol_scan = Some(Box::new(scan)),
                }
                Ok(None)
            }
        }
    }

    /// The common case, answered from the first chunk alone: a line that
    /// ends inside it. `None`: look further (the general search decides).
    #[inline]
    fn first_chunk_line(&self, style: EolStyle) -> Option<(usize, usize)> {
        let b = self.chunks.front()?.bytes();
        match style {
            EolStyle::Lf => memchr::memchr(b'\n', b).map(|i| (i, 1)),
            EolStyle::Nul => memchr::memchr(0, b).map(|i| (i, 1)),
            EolStyle::Crlf => memchr::memchr(b'\n', b).map(|i| {
                if i > 0 && b[i - 1] == b'\r' {
                    (i - 1, 2)
                } else {
                    (i, 1)
                }
            }),
            EolStyle::CrlfStrict => memchr::memchr_iter(b'\n', b)
                .find(|&i| i > 0 && b[i - 1] == b'\r')
                .map(|i| (i - 1, 2)),
            EolStyle::Any => {
                let i = memchr::memchr2(b'\r', b'\n', b)?;
                let run = b[i..]
                    .iter()
                    .take_while(|&&c| c == b'\r' || c == b'\n')
                    .count();
                // A run reaching the chunk's end may go on in the next one.
                (i + run < b.len()).then_some((i, run))
            }
        }
    }

    fn consume_line(&mut self, total: usize) {
        self.drain_front(total);
        self.cbs.deleted(total);
        self.notify();
    }

    /// Where a search from `start` begins.
    fn start_loc(&self, start: Option<&Pos>) -> Result<Loc> {
        Ok(match start {
            None => Loc {
                chunk: 0,
                off: 0,
                abs: 0,
            },
            Some(p) => {
                let (chunk, off) = self.resolve(p)?;
                Loc {
                    chunk,
                    off,
                    abs: p.offset(),
                }
            }
        })
    }

    fn loc(&self, abs: usize) -> Loc {
        let (chunk, off) = self.locate(abs);
        Loc { chunk, off, abs }
    }

    /// First match of `needle` (non-empty) starting at or after `from` and
    /// ending at or before `limit`.
    fn find(&self, needle: &[u8], from: Loc, limit: usize) -> Option<Loc> {
        let m = needle.len();
        if from.abs > limit || limit - from.abs < m {
            return None;
        }
        let finder = memmem::Finder::new(needle);
        let mut misses = 0;
        let mut tmp = Vec::new();
        let mut chunk_abs = from.abs - from.off;
        let mut off = from.off;
        for c in from.chunk..self.chunks.len() {
            if chunk_abs >= limit {
                break;
            }
            let bytes = self.chunks[c].bytes();
            let len = bytes.len();
            let hay_end = len.min(limit - chunk_abs);
            if off < hay_end {
                if let Some(i) = find_in(&finder, needle, &bytes[off..hay_end], &mut misses) {
                    return Some(Loc {
                        chunk: c,
                        off: off + i,
                        abs: chunk_abs + off + i,
                    });
                }
            }
            // Matches starting in the last m-1 bytes of this chunk run into
            // the next chunks: search a copy of the bytes around the seam.
            let s0 = off.max(len.saturating_sub(m - 1));
            // Only worth a look if the needle's first byte is there.
            if m > 1
                && s0 < len
                && chunk_abs + len < limit
                && memchr::memchr(needle[0], &bytes[s0..]).is_some()
            {
                tmp.clear();
                tmp.extend_from_slice(&bytes[s0..]);
                let want = (len - s0) + m - 1;
                let window_end = (limit - (chunk_abs + s0)).min(want);
                for next in self.chunks.range(c + 1..) {
                    if tmp.len() >= window_end {
                        break;
                    }
                    let b = next.bytes();
                    tmp.extend_from_slice(&b[..b.len().min(window_end - tmp.len())]);
                }
                tmp.truncate(window_end);
                if let Some(i) = finder.find(&tmp) {
                    if i < len - s0 {
                        return Some(Loc {
                            chunk: c,
                            off: s0 + i,
                            abs: chunk_abs + s0 + i,
                        });
                    }
                }
            }
            chunk_abs += len;
            off = 0;
        }
        None
    }

    /// First position at or after `from` whose chunk slice satisfies `f`
    /// (which returns an index into the slice it is given).
    fn scan(&self, from: Loc, mut f: impl FnMut(&[u8]) -> Option<usize>) -> Option<Loc> {
        let mut chunk_abs = from.abs - from.off;
        let mut off = from.off;
        for c in from.chunk..self.chunks.len() {
            let bytes = self.chunks[c].bytes();
            if off < bytes.len() {
                if let Some(i) = f(&bytes[off..]) {
                    return Some(Loc {
                        chunk: c,
                        off: off + i,
                        abs: chunk_abs + off + i,
                    });
                }
            }
            chunk_abs += bytes.len();
            off = 0;
        }
        None
    }

    /// The byte just before `at` (which is not the buffer's first byte).
    fn before(&self, at: Loc) -> Option<(Loc, u8)> {
        if at.off > 0 {
            let b = *self.chunks[at.chunk].bytes().get(at.off - 1)?;
            return Some((
                Loc {
                    chunk: at.chunk,
                    off: at.off - 1,
                    abs: at.abs - 1,
                },
                b,
            ));
        }
        let mut c = at.chunk;
        while c > 0 {
            c -= 1;
            let bytes = self.chunks[c].bytes();
            if let Some(&b) = bytes.last() {
                return Some((
                    Loc {
                        chunk: c,
                        off: bytes.len() - 1,
                        abs: at.abs - 1,
                    },
                    b,
                ));
            }
        }
        None
    }

    /// How many CR/LF bytes follow from `at` on.
    fn crlf_run(&self, at: Loc) -> usize {
        let mut n = 0;
        let mut off = at.off;
        for c in self.chunks.range(at.chunk..) {
            let b = c.bytes().get(off..).unwrap_or(&[]);
            off = 0;
            let k = b.iter().take_while(|&&x| x == b'\r' || x == b'\n').count();
            n += k;
            if k < b.len() {
                break;
            }
        }
        n
    }

    /// The first end of line of `style` starting at or after `start` (an
    /// offset), looking from `scan` on (`scan.abs >= start`: nothing of
    /// `style` starts in `start..scan`, except that a CR just before `scan`
    /// may still begin one). Returns where it starts and its length.
    fn find_eol(&self, start: usize, scan: Loc, style: EolStyle) -> Option<(Loc, usize)> {
        match style {
            EolStyle::Lf => self
                .scan(scan, |b| memchr::memchr(b'\n', b))
                .map(|l| (l, 1)),
            EolStyle::Nul => self.scan(scan, |b| memchr::memchr(0, b)).map(|l| (l, 1)),
            EolStyle::Any => {
                let at = self.scan(scan, |b| memchr::memchr2(b'\r', b'\n', b))?;
                Some((at, self.crlf_run(at)))
            }
            EolStyle::Crlf => {
                let lf = self.scan(scan, |b| memchr::memchr(b'\n', b))?;
                if lf.abs > start {
                    if let Some((cr, b'\r')) = self.before(lf) {
                        return Some((cr, 2));
                    }
                }
                Some((lf, 1))
            }
            EolStyle::CrlfStrict => {
                let mut from = scan;
                loop {
                    let lf = self.scan(from, |b| memchr::memchr(b'\n', b))?;
                    if lf.abs > start {
                        if let Some((cr, b'\r')) = self.before(lf) {
                            return Some((cr, 2));
                        }
                    }
                    from = Loc {
                        chunk: lf.chunk,
                        off: lf.off + 1,
                        abs: lf.abs + 1,
                    };
                }
            }
        }
    }
}

/// First-byte hits that were not matches before [`find_in`] gives up on
/// `memchr` for the rest of a search.
const FIRST_BYTE_MISSES: usize = 64;

/// First match of `needle` (non-empty) inside `hay`. While the needle's
/// first byte is rare, `memchr` for it and a compare in place (libevent's
/// loop, which runs at `memchr`'s speed: the common case of a delimiter or
/// a header name); after [`FIRST_BYTE_MISSES`] false hits in this search
/// (`misses` is kept across chunks), `memmem`'s searcher, which does not
/// stop at every occurrence of the first byte.
fn find_in(
    finder: &memmem::Finder<'_>,
    needle: &[u8],
    hay: &[u8],
    misses: &mut usize,
) -> Option<usize> {
    let mut at = 0;
    while *misses < FIRST_BYTE_MISSES {
        let i = at + memchr::memchr(needle[0], hay.get(at..)?)?;
        if hay[i..].starts_with(needle) {
            return Some(i);
        }
        *misses += 1;
        at = i + 1;
    }
    finder.find(hay.get(at..)?).map(|i| at + i)
}
