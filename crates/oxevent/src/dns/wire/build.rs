//! Writing packets: [`MessageBuilder`] (and [`Message::encode`](super::Message::encode)
//! on top of it).
//!
//! Owns name compression and truncation. Compression keeps a table from
//! each name suffix already written (lowercased, so matching ignores case
//! as DNS servers do) to its offset; only offsets below `0x4000` can be
//! pointed at. Truncation is at a record boundary: a record that would pass
//! the size limit is taken back (bytes and table entries), TC is set, and
//! nothing more is written. The builder never leaves a half-written entry in
//! its output, and never writes a pointer to bytes it has taken back.

use std::collections::HashMap;

use super::{
    Flags, Header, Name, Question, RData, Record, WireError, HEADER_LEN, MAX_MESSAGE_LEN, TYPE_A,
    TYPE_AAAA, TYPE_CNAME, TYPE_PTR,
};

/// A record section, in the order they must be written.
///
/// ```
/// use oxevent::dns::wire::Section;
///
/// assert!(Section::Answer < Section::Authority && Section::Authority < Section::Additional);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Records that answer the question.
    Answer,
    /// Records naming the authoritative servers.
    Authority,
    /// Records that may help (addresses of the servers named …).
    Additional,
}

/// Writes a message entry by entry, compressing names, within a size limit.
///
/// Questions come first, then records section by section; a record that
/// would pass the limit is left out with every later one, and TC is set
/// (libevent's server does this for UDP, at 512 bytes).
///
/// ```
/// use std::net::Ipv4Addr;
/// use oxevent::dns::wire::{
///     Flags, Header, Message, MessageBuilder, Name, Question, Record, Section, TYPE_A,
/// };
///
/// let name: Name = "example.com".parse().unwrap();
/// let mut b = MessageBuilder::new(Header { id: 3, flags: Flags::QR }, 64).unwrap();
/// b.question(&Question::new(name.clone(), TYPE_A)).unwrap();
/// assert!(b.record(Section::Answer, &Record::a(name.clone(), 60, Ipv4Addr::LOCALHOST)).unwrap());
/// // 45 bytes so far (its name is a pointer to the question's); 16 more make 61.
/// assert!(b.record(Section::Answer, &Record::a(name.clone(), 60, Ipv4Addr::LOCALHOST)).unwrap());
/// // A third would pass 64: it is left out, TC is set.
/// assert!(!b.record(Section::Answer, &Record::a(name, 60, Ipv4Addr::LOCALHOST)).unwrap());
/// assert!(b.is_truncated());
/// let packet = b.finish();
/// assert_eq!(packet.len(), 61);
/// let m = Message::parse(&packet).unwrap();
/// assert_eq!(m.answers.len(), 2);
/// assert!(m.header.flags.contains(Flags::TC));
/// ```
#[derive(Debug)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    max_len: usize,
    header: Header,
    /// Lowercased wire form of each suffix written, to its offset.
    suffixes: HashMap<Vec<u8>, u16>,
    /// Questions, answers, authority, additional.
    counts: [u16; 4],
    /// The section records are being written to (`None` before the first).
    section: Option<Section>,
    truncated: bool,
}

impl MessageBuilder {
    /// Starts a message with this header, to be at most `max_len` bytes
    /// (clamped to 65535). The counts are filled in by
    /// [`finish`](Self::finish); TC is added there if records were left out.
    ///
    /// ```
    /// use oxevent::dns::wire::{Header, MessageBuilder, WireError};
    ///
    /// assert_eq!(MessageBuilder::new(Header::default(), 11).unwrap_err(), WireError::DoesNotFit);
    /// assert_eq!(MessageBuilder::new(Header::default(), 12).unwrap().finish().len(), 12);
    /// ```
    pub fn new(header: Header, max_len: usize) -> Result<MessageBuilder, WireError> {
        if max_len < HEADER_LEN {
            return Err(WireError::DoesNotFit);
        }
        let mut buf = Vec::with_capacity(max_len.min(super::UDP_MAX_LEN));
        buf.resize(HEADER_LEN, 0);
        Ok(MessageBuilder {
            buf,
            max_len: max_len.min(MAX_MESSAGE_LEN),
            header,
            suffixes: HashMap::new(),
            counts: [0; 4],
            section: None,
            truncated: false,
        })
    }

    /// Adds a question. Refused after any record ([`WireError::SectionOrder`]),
    /// or when it does not fit in the limit ([`WireError::DoesNotFit`]:
    /// questions are never truncated); a refused question leaves the builder
    /// as it was.
    ///
    /// ```
    /// use oxevent::dns::wire::{Header, MessageBuilder, Question, WireError, TYPE_A};
    ///
    /// let mut b = MessageBuilder::new(Header::default(), 20).unwrap();
    /// let q = Question::new("example.com".parse().unwrap(), TYPE_A);
    /// assert_eq!(b.question(&q), Err(WireError::DoesNotFit));
    /// assert_eq!(b.finish().len(), 12);
    /// ```
    pub fn question(&mut self, q: &Question) -> Result<(), WireError> {
        if self.section.is_some() || self.truncated {
            return Err(WireError::SectionOrder);
        }
        if self.counts[0] == u16::MAX {
            return Err(WireError::TooManyEntries);
        }
        let start = self.buf.len();
        self.name(&q.name);
        self.u16(q.qtype);
        self.u16(q.qclass);
        if self.buf.len() > self.max_len {
            self.take_back(start);
            return Err(WireError::DoesNotFit);
        }
        self.counts[0] += 1;
        Ok(())
    }

    /// Adds a record to `section`. `Ok(true)`: written. `Ok(false)`: it
    /// did not fit, or an earlier one did not; it is left out, TC will be
    /// set, and every later record is left out too.
    ///
    /// Refused, leaving the builder as it was: a section before the current
    /// one ([`WireError::SectionOrder`]), data that contradicts the type
    /// ([`WireError::RdataMismatch`]), data over 65535 bytes, a section
    /// over 65535 entries.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::{Header, MessageBuilder, Record, RData, Section, WireError, TYPE_AAAA};
    ///
    /// let mut b = MessageBuilder::new(Header::default(), 512).unwrap();
    /// let mut r = Record::a("example.com".parse().unwrap(), 1, Ipv4Addr::LOCALHOST);
    /// assert_eq!(b.record(Section::Additional, &r), Ok(true));
    /// assert_eq!(b.record(Section::Answer, &r), Err(WireError::SectionOrder));
    /// r.rtype = TYPE_AAAA;
    /// assert_eq!(
    ///     b.record(Section::Additional, &r),
    ///     Err(WireError::RdataMismatch { rtype: TYPE_AAAA })
    /// );
    /// ```
    pub fn record(&mut self, section: Section, r: &Record) -> Result<bool, WireError> {
        if self.section.is_some_and(|current| section < current) {
            return Err(WireError::SectionOrder);
        }
        let expected = match r.data {
            RData::A(_) => Some(TYPE_A),
            RData::Aaaa(_) => Some(TYPE_AAAA),
            RData::Ptr(_) => Some(TYPE_PTR),
            RData::Cname(_) => Some(TYPE_CNAME),
            RData::Other(ref bytes) => {
                if bytes.len() > usize::from(u16::MAX) {
                    return Err(WireError::RdataTooLong);
                }
                None
            }
        };
        if expected.is_some_and(|t| t != r.rtype) {
            return Err(WireError::RdataMismatch { rtype: r.rtype });
        }
        let index = 1 + section as usize;
        if self.counts[index] == u16::MAX {
            return Err(WireError::TooManyEntries);
        }
        self.section = Some(section);
        if self.truncated {
            return Ok(false);
        }
        let start = self.buf.len();
        self.name(&r.name);
        self.u16(r.rtype);
        self.u16(r.class);
        self.buf.extend_from_slice(&r.ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.u16(0);
        match &r.data {
            RData::A(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Ptr(n) | RData::Cname(n) => self.name(n),
            RData::Other(bytes) => self.buf.extend_from_slice(bytes),
        }
        if self.buf.len() > self.max_len {
            self.take_back(start);
            self.truncated = true;
            return Ok(false);
        }
        // At most 65535: checked above for Other, at most 255 for a name.
        let rdlen = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        self.counts[index] += 1;
        Ok(true)
    }

    /// Whether a record was left out for lack of room (TC will be set).
    ///
    /// ```
    /// use oxevent::dns::wire::{Header, MessageBuilder};
    ///
    /// assert!(!MessageBuilder::new(Header::default(), 512).unwrap().is_truncated());
    /// ```
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Bytes written so far.
    ///
    /// ```
    /// use oxevent::dns::wire::{Header, MessageBuilder};
    ///
    /// assert_eq!(MessageBuilder::new(Header::default(), 512).unwrap().len(), 12);
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty: the header is there
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Writes the header (the counts of what was written, TC if a record was
    /// left out) and returns the packet.
    ///
    /// ```
    /// use oxevent::dns::wire::{Flags, Header, MessageBuilder};
    ///
    /// let b = MessageBuilder::new(Header { id: 0x0102, flags: Flags::RD }, 512).unwrap();
    /// assert_eq!(b.finish(), b"\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    /// ```
    pub fn finish(mut self) -> Vec<u8> {
        let mut flags = self.header.flags;
        if self.truncated {
            flags |= Flags::TC;
        }
        let mut head = [0u8; HEADER_LEN];
        head[0..2].copy_from_slice(&self.header.id.to_be_bytes());
        head[2..4].copy_from_slice(&flags.bits().to_be_bytes());
        for (i, count) in self.counts.iter().enumerate() {
            head[4 + 2 * i..6 + 2 * i].copy_from_slice(&count.to_be_bytes());
        }
        self.buf[..HEADER_LEN].copy_from_slice(&head);
        self.buf
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes `name`, ending with a pointer at the longest suffix already
    /// written, and records the offsets of the suffixes it writes out.
    fn name(&mut self, name: &Name) {
        let wire = name.as_wire();
        let mut i = 0;
        while let Some(&len) = wire.get(i) {
            if len == 0 {
                break;
            }
            let suffix = wire.get(i..).unwrap_or_default().to_ascii_lowercase();
            if let Some(&offset) = self.suffixes.get(&suffix) {
                self.u16(0xc000 | offset);
                return;
            }
            if let Ok(here) = u16::try_from(self.buf.len()) {
                if here < 0x4000 {
                    self.suffixes.insert(suffix, here);
                }
            }
            let end = (i + 1 + usize::from(len)).min(wire.len());
            self.buf
                .extend_from_slice(wire.get(i..end).unwrap_or_default());
            i = end;
        }
        self.buf.push(0);
    }

    /// Removes the bytes from `start` on, and every suffix recorded there.
    fn take_back(&mut self, start: usize) {
        self.buf.truncate(start);
        self.suffixes
            .retain(|_, offset| usize::from(*offset) < start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_past_0x3fff_are_not_pointed_at() {
        let mut b = MessageBuilder::new(Header::default(), MAX_MESSAGE_LEN).unwrap();
        let filler = Record {
            name: Name::root(),
            rtype: 99,
            class: 1,
            ttl: 0,
            data: RData::Other(vec![0; 0x4000]),
        };
        assert_eq!(b.record(Section::Answer, &filler), Ok(true));
        let name: Name = "late.example".parse().unwrap();
        let r = Record::a(name.clone(), 0, std::net::Ipv4Addr::LOCALHOST);
        assert_eq!(b.record(Section::Answer, &r), Ok(true));
        let before = b.len();
        assert_eq!(b.record(Section::Answer, &r), Ok(true));
        // No pointer possible: the whole name again.
        assert_eq!(b.len() - before, name.wire_len() + 14);
        let m = super::super::Message::parse(&b.finish()).unwrap();
        assert_eq!(m.answers[1], r);
        assert_eq!(m.answers[2], r);
    }

    #[test]
    fn a_record_taken_back_leaves_no_suffix_behind() {
        let mut b = MessageBuilder::new(Header::default(), 40).unwrap();
        let r = Record::a(
            "abcdefghij.example".parse().unwrap(),
            0,
            std::net::Ipv4Addr::LOCALHOST,
        );
        // 12 + 20 + 14 = 46 > 40: left out.
        assert_eq!(b.record(Section::Answer, &r), Ok(false));
        assert!(b.suffixes.is_empty());
        assert_eq!(b.len(), HEADER_LEN);
    }
}
