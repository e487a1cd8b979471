//! Reading packets: [`Message::parse`], [`parse_header`], [`parse_query`].
//!
//! Owns the reader and its rules: every byte is read through `get`, so a
//! short packet is [`WireError::Truncated`], never a panic; vectors grow only
//! as entries are read (a count in the header never sizes an allocation
//! beyond what the rest of the packet could hold); a compression pointer
//! must point strictly before the start of the part of the name being read,
//! so every jump moves backwards and loops cannot exist (the jump cap is a
//! second guard). It never builds packets (that is `build.rs`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{
    Counts, Flags, Header, Message, Name, Question, RData, Record, WireError, HEADER_LEN, TYPE_A,
    TYPE_AAAA, TYPE_CNAME, TYPE_PTR,
};

/// The most compression pointers followed in one name. A name has at most
/// 127 labels and each jump must land strictly before the previous one, so
/// real names need far fewer; the bound is a second guard against loops.
const MAX_POINTERS: usize = 128;
/// The smallest question: the root name (1 byte), type and class.
const MIN_QUESTION_LEN: usize = 5;
/// The smallest record: the root name, type, class, TTL, rdlength.
const MIN_RECORD_LEN: usize = 11;

/// Reads the 12-byte header: id, flags and the four counts (which say what
/// the packet claims, not what it holds).
///
/// ```
/// use oxevent::dns::wire::{parse_header, Flags, WireError};
///
/// let (h, counts) = parse_header(b"\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00").unwrap();
/// assert_eq!(h.id, 0x1234);
/// assert_eq!(h.flags, Flags::QR | Flags::RD | Flags::RA);
/// assert_eq!(counts.answers, 2);
/// assert_eq!(parse_header(b"\x12\x34"), Err(WireError::ShortHeader));
/// ```
pub fn parse_header(packet: &[u8]) -> Result<(Header, Counts), WireError> {
    let word = |i: usize| -> Result<u16, WireError> {
        match packet.get(i..i + 2) {
            Some(&[hi, lo]) => Ok(u16::from_be_bytes([hi, lo])),
            _ => Err(WireError::ShortHeader),
        }
    };
    let header = Header {
        id: word(0)?,
        flags: Flags::from_bits(word(2)?),
    };
    let counts = Counts {
        questions: word(4)?,
        answers: word(6)?,
        authority: word(8)?,
        additional: word(10)?,
    };
    Ok((header, counts))
}

/// What a server reads from a request: the header, the counts as stated,
/// and the questions. The other sections are not looked at (libevent's
/// server ignores them too).
///
/// ```
/// use oxevent::dns::wire::{parse_query, Flags, Header, Message, Question, TYPE_A};
///
/// let mut m = Message::new(Header { id: 9, flags: Flags::RD });
/// m.questions.push(Question::new("example.com".parse().unwrap(), TYPE_A));
/// let q = parse_query(&m.encode(512).unwrap()).unwrap();
/// assert_eq!(q.header.id, 9);
/// assert_eq!(q.questions, m.questions);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Id and flags.
    pub header: Header,
    /// The counts the header states (the record counts unchecked).
    pub counts: Counts,
    /// The question section.
    pub questions: Vec<Question>,
}

/// Parses the header and the question section only, for a server: a
/// request whose questions are malformed is refused, the bytes after them
/// are not read.
///
/// ```
/// use oxevent::dns::wire::{parse_query, WireError};
///
/// // One question announced, none present.
/// let packet = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
/// assert_eq!(parse_query(packet), Err(WireError::Truncated));
/// ```
pub fn parse_query(packet: &[u8]) -> Result<Query, WireError> {
    let (header, counts) = parse_header(packet)?;
    let mut r = Reader {
        packet,
        pos: HEADER_LEN,
    };
    let questions = r.questions(counts.questions)?;
    Ok(Query {
        header,
        counts,
        questions,
    })
}

impl Message {
    /// Parses a whole message. Refuses (never panics on) a packet shorter
    /// than its header, counts that exceed the packet, bad compression
    /// pointers (forward, at themselves, past the end, too many), the
    /// reserved label types `0x40` and `0x80`, names over 255 bytes after
    /// decompression, record data running past the end, A data not 4 bytes,
    /// AAAA data not 16, PTR or CNAME data that is not exactly one name.
    /// Names in PTR and CNAME data are decompressed against the whole
    /// packet. Bytes after the last section are ignored.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::{Message, RData, WireError};
    ///
    /// // A response for example.com: one question, one A answer whose owner
    /// // name is a pointer to the question's name (0xc00c).
    /// let mut packet = b"\xab\xcd\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00".to_vec();
    /// packet.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
    /// packet.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22");
    /// let m = Message::parse(&packet).unwrap();
    /// assert_eq!(m.answers[0].name.to_string(), "example.com");
    /// assert_eq!(m.answers[0].ttl, 3600);
    /// assert_eq!(m.answers[0].data, RData::A(Ipv4Addr::new(93, 184, 216, 34)));
    ///
    /// packet.pop(); // the A record's data is now 3 bytes
    /// assert_eq!(Message::parse(&packet), Err(WireError::Truncated));
    /// ```
    pub fn parse(packet: &[u8]) -> Result<Message, WireError> {
        let (header, counts) = parse_header(packet)?;
        let mut r = Reader {
            packet,
            pos: HEADER_LEN,
        };
        let questions = r.questions(counts.questions)?;
        let answers = r.records(counts.answers)?;
        let authority = r.records(counts.authority)?;
        let additional = r.records(counts.additional)?;
        Ok(Message {
            header,
            questions,
            answers,
            authority,
            additional,
        })
    }
}

/// A cursor over a packet; names are read against the whole packet.
struct Reader<'a> {
    packet: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.packet.len().saturating_sub(self.pos)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Truncated)?;
        let b = self.packet.get(self.pos..end).ok_or(WireError::Truncated)?;
        self.pos = end;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        match *self.bytes(2)? {
            [hi, lo] => Ok(u16::from_be_bytes([hi, lo])),
            _ => Err(WireError::Truncated),
        }
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let hi = self.u16()?;
        let lo = self.u16()?;
        Ok((u32::from(hi) << 16) | u32::from(lo))
    }

    fn name(&mut self) -> Result<Name, WireError> {
        let (name, end) = read_name(self.packet, self.pos)?;
        self.pos = end;
        Ok(name)
    }

    fn questions(&mut self, count: u16) -> Result<Vec<Question>, WireError> {
        let cap = usize::from(count).min(self.remaining() / MIN_QUESTION_LEN);
        let mut out = Vec::with_capacity(cap);
        for _ in 0..count {
            let name = self.name()?;
            let qtype = self.u16()?;
            let qclass = self.u16()?;
            out.push(Question {
                name,
                qtype,
                qclass,
            });
        }
        Ok(out)
    }

    fn records(&mut self, count: u16) -> Result<Vec<Record>, WireError> {
        let cap = usize::from(count).min(self.remaining() / MIN_RECORD_LEN);
        let mut out = Vec::with_capacity(cap);
        for _ in 0..count {
            out.push(self.record()?);
        }
        Ok(out)
    }

    fn record(&mut self) -> Result<Record, WireError> {
        let name = self.name()?;
        let rtype = self.u16()?;
        let class = self.u16()?;
        let ttl = self.u32()?;
        let len = self.u16()?;
        let start = self.pos;
        let rdata = self.bytes(usize::from(len))?;
        let bad = WireError::BadRdata { rtype, len };
        let data = match rtype {
            TYPE_A => RData::A(Ipv4Addr::from(<[u8; 4]>::try_from(rdata).map_err(|_| bad)?)),
            TYPE_AAAA => RData::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(rdata).map_err(|_| bad)?,
            )),
            TYPE_PTR | TYPE_CNAME => {
                let (target, end) = read_name(self.packet, start)?;
                if end != self.pos {
                    return Err(bad);
                }
                if rtype == TYPE_PTR {
                    RData::Ptr(target)
                } else {
                    RData::Cname(target)
                }
            }
            _ => RData::Other(rdata.to_vec()),
        };
        Ok(Record {
            name,
            rtype,
            class,
            ttl,
            data,
        })
    }
}

/// Reads the (possibly compressed) name at `start`. Returns it and the
/// offset just after its bytes at `start` (after the first pointer, if any).
///
/// A pointer must land strictly before the start of the run of labels it
/// ends (the name's start, or the previous pointer's target): each jump
/// then moves strictly backwards, so there is no loop to follow.
fn read_name(packet: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let mut wire = Vec::new();
    let mut pos = start;
    let mut run_start = start;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *packet.get(pos).ok_or(WireError::Truncated)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                let end = end.unwrap_or(pos + 1);
                return Ok((Name::finish(wire), end));
            }
            0x00 => {
                let label = packet
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(WireError::Truncated)?;
                // Checks the 255-byte limit as the name grows.
                Name::push_wire_label(&mut wire, label)?;
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *packet.get(pos + 1).ok_or(WireError::Truncated)?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                if target >= run_start {
                    return Err(WireError::BadPointer);
                }
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return Err(WireError::TooManyPointers);
                }
                end.get_or_insert(pos + 2);
                pos = target;
                run_start = target;
            }
            other => return Err(WireError::BadLabelType(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_name_reports_the_end_after_the_first_pointer() {
        // 0: "\x01a\x00"; 3: "\x01b" + pointer to 0.
        let packet = b"\x01a\x00\x01b\xc0\x00";
        let (name, end) = read_name(packet, 3).unwrap();
        assert_eq!(name.to_string(), "b.a");
        assert_eq!(end, 7);
        let (name, end) = read_name(packet, 0).unwrap();
        assert_eq!(name.to_string(), "a");
        assert_eq!(end, 3);
    }

    #[test]
    fn pointer_into_its_own_run_is_refused() {
        // "\x01a" then a pointer back to the same label: a loop.
        assert_eq!(read_name(b"\x01a\xc0\x00", 0), Err(WireError::BadPointer));
        // A pointer at itself.
        assert_eq!(read_name(b"\xc0\x00", 0), Err(WireError::BadPointer));
    }

    #[test]
    fn a_long_backward_chain_hits_the_pointer_cap() {
        // 200 pointers, each to the one before it; the first to a root.
        let mut packet = vec![0u8, 0];
        for i in 0..200u16 {
            let target = if i == 0 { 0 } else { 2 * i };
            packet.extend_from_slice(&(0xc000 | target).to_be_bytes());
        }
        let last = packet.len() - 2;
        assert_eq!(read_name(&packet, last), Err(WireError::TooManyPointers));
        // 100 pointers are still fine: the root.
        let (name, _) = read_name(&packet, 2 * 100).unwrap();
        assert!(name.is_root());
    }
}
