//! DNS messages in their wire format (RFC 1035 §4, RFC 3596): the layer the
//! resolver and the server of [`dns`](super) sit on.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use oxevent::dns::wire::{Flags, Header, Message, Name, Question, Record, RData, TYPE_A};
//!
//! // A server answers a query for example.com.
//! let name: Name = "example.com".parse().unwrap();
//! let mut reply = Message::new(Header { id: 7, flags: Flags::QR | Flags::RD | Flags::RA });
//! reply.questions.push(Question::new(name.clone(), TYPE_A));
//! reply.answers.push(Record::a(name, 300, Ipv4Addr::new(192, 0, 2, 1)));
//! let packet = reply.encode(512).unwrap();
//! assert_eq!(packet.len(), 12 + 17 + 16); // the answer's name is a 2-byte pointer
//!
//! let got = Message::parse(&packet).unwrap();
//! assert_eq!(got, reply);
//! assert_eq!(got.answers[0].data, RData::A(Ipv4Addr::new(192, 0, 2, 1)));
//! ```
//!
//! What this module owns:
//!
//! - the types of a message ([`Message`], [`Header`] with its [`Flags`],
//!   [`Question`], [`Record`], [`RData`], [`Name`], [`Counts`], [`Query`])
//!   and the constants
//!   libevent's `evdns.h` names;
//! - parsing ([`Message::parse`], [`parse_header`], [`parse_query`]): every
//!   read is bounds-checked, so a packet that ends early, counts more
//!   entries than it holds, points a compression pointer anywhere but
//!   strictly backwards, loops, uses the reserved label types `0x40`/`0x80`,
//!   decompresses to a name over 255 bytes, or carries A/AAAA/PTR/CNAME data
//!   of the wrong length is refused with a [`WireError`];
//! - building ([`MessageBuilder`], [`Message::encode`]): name compression
//!   (case-insensitive suffix matching, as DNS servers do) and truncation at
//!   a record boundary with TC set, as libevent's server does for UDP.
//!
//! What it must never do: panic or index out of bounds on any input; size
//! an allocation from a count in a packet (every allocation is bounded by the
//! packet's length: at most 255 bytes of name per 2 bytes of packet, and
//! vectors grow only as entries are actually read); do I/O or keep state.
//!
//! Things to know:
//!
//! - Record data other than A, AAAA, PTR and CNAME is kept verbatim
//!   ([`RData::Other`]). For NS, SOA, MX and the like, names inside it may be
//!   compression pointers into the packet they came from; re-encoding such a
//!   record into another message copies those bytes unchanged, so relay it
//!   only if the pointers are meaningless to you (the round trip through
//!   this module keeps it equal, since it is never looked into).
//! - Bytes after the last section are ignored, as libevent ignores them.
//! - Because compression matches names without regard to case, a name
//!   written after a case-insensitively equal one comes back from a parse
//!   with the earlier name's case (BIND behaves the same). Parse, encode and
//!   parse again gives a message equal by [`Message::eq_ignore_case`]; a
//!   second round trip is then exact.
//!
//! Files: `wire/name.rs` (names), `wire/parse.rs`, `wire/build.rs`.

mod build;
mod name;
mod parse;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::{BitOr, BitOrAssign};

pub use build::{MessageBuilder, Section};
pub use name::{reverse_name_v4, reverse_name_v6, Labels, Name, MAX_LABEL_LEN, MAX_NAME_LEN};
pub use parse::{parse_header, parse_query, Query};

/// Type A: an IPv4 address (`EVDNS_TYPE_A`).
pub const TYPE_A: u16 = 1;
/// Type NS: an authoritative name server (`EVDNS_TYPE_NS`).
pub const TYPE_NS: u16 = 2;
/// Type CNAME: the canonical name for an alias (`EVDNS_TYPE_CNAME`).
pub const TYPE_CNAME: u16 = 5;
/// Type SOA: start of a zone of authority (`EVDNS_TYPE_SOA`).
pub const TYPE_SOA: u16 = 6;
/// Type PTR: a domain name pointer, used by reverse lookups (`EVDNS_TYPE_PTR`).
pub const TYPE_PTR: u16 = 12;
/// Type MX: mail exchange (`EVDNS_TYPE_MX`).
pub const TYPE_MX: u16 = 15;
/// Type TXT: text strings (`EVDNS_TYPE_TXT`).
pub const TYPE_TXT: u16 = 16;
/// Type AAAA: an IPv6 address (`EVDNS_TYPE_AAAA`, RFC 3596).
pub const TYPE_AAAA: u16 = 28;
/// Query type AXFR: a zone transfer (`EVDNS_QTYPE_AXFR`).
pub const QTYPE_AXFR: u16 = 252;
/// Query type `*`: every type (`EVDNS_QTYPE_ALL`).
pub const QTYPE_ALL: u16 = 255;
/// Class IN: the Internet (`EVDNS_CLASS_INET`).
pub const CLASS_IN: u16 = 1;
/// Query class `*`: every class (`EVDNS_QCLASS_ANY`).
pub const QCLASS_ANY: u16 = 255;

/// Opcode QUERY: a standard query (the only one libevent sends or serves).
pub const OPCODE_QUERY: u8 = 0;
/// Rcode: no error (`DNS_ERR_NONE`).
pub const RCODE_NOERROR: u8 = 0;
/// Rcode: the server could not read the query (`DNS_ERR_FORMAT`).
pub const RCODE_FORMERR: u8 = 1;
/// Rcode: the server failed (`DNS_ERR_SERVERFAILED`).
pub const RCODE_SERVFAIL: u8 = 2;
/// Rcode: the name does not exist (`DNS_ERR_NOTEXIST`).
pub const RCODE_NXDOMAIN: u8 = 3;
/// Rcode: the server does not implement this kind of query (`DNS_ERR_NOTIMPL`).
pub const RCODE_NOTIMP: u8 = 4;
/// Rcode: the server refused the query (`DNS_ERR_REFUSED`).
pub const RCODE_REFUSED: u8 = 5;

/// The length of a message header.
pub const HEADER_LEN: usize = 12;
/// The largest message classic UDP carries (RFC 1035 §4.2.1), the limit
/// libevent's server truncates to.
pub const UDP_MAX_LEN: usize = 512;
/// The largest message any transport carries (TCP's 16-bit length prefix).
pub const MAX_MESSAGE_LEN: usize = 65535;

/// Why a packet was refused, or a message could not be built.
///
/// ```
/// use oxevent::dns::wire::{Message, WireError};
///
/// assert_eq!(Message::parse(&[0; 11]), Err(WireError::ShortHeader));
/// assert_eq!(WireError::ShortHeader.to_string(), "packet shorter than a DNS header");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireError {
    /// The packet is shorter than the 12-byte header.
    ShortHeader,
    /// A name, question or record runs past the end of the packet (or of
    /// the bytes given), e.g. because the header counts more entries than
    /// the packet holds.
    Truncated,
    /// A label of text longer than 63 bytes.
    LabelTooLong,
    /// A name longer than 255 bytes in wire form (after decompression).
    NameTooLong,
    /// An empty label in dotted text (`"a..b"`, `".a"`).
    EmptyLabel,
    /// A label length byte with the reserved top bits `0x40` or `0x80`
    /// (or, in a name that may not be compressed, a pointer `0xc0`).
    BadLabelType(u8),
    /// A compression pointer that does not point strictly before the part
    /// of the name being read (forwards, at itself, past the end).
    BadPointer,
    /// More compression pointers in one name than any real name needs.
    TooManyPointers,
    /// Record data whose length does not fit its type: an A record not 4
    /// bytes, an AAAA record not 16, a PTR or CNAME whose name does not end
    /// exactly at the end of the data.
    BadRdata {
        /// The record's type.
        rtype: u16,
        /// Its `rdlength`.
        len: u16,
    },
    /// Bytes left over after a name given on its own ([`Name::from_wire`]).
    TrailingBytes,
    /// Building: a record whose [`RData`] variant contradicts its type (an
    /// [`RData::A`] in a record of type AAAA …).
    RdataMismatch {
        /// The record's type.
        rtype: u16,
    },
    /// Building: record data longer than 65535 bytes.
    RdataTooLong,
    /// Building: a section with more than 65535 entries.
    TooManyEntries,
    /// Building: the header and questions alone do not fit in the size
    /// limit (records are truncated instead; questions are never dropped).
    DoesNotFit,
    /// Building: a question after a record, or a record in a section before
    /// the one already being written.
    SectionOrder,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::ShortHeader => f.write_str("packet shorter than a DNS header"),
            WireError::Truncated => f.write_str("DNS packet ends in the middle of an entry"),
            WireError::LabelTooLong => f.write_str("DNS label longer than 63 bytes"),
            WireError::NameTooLong => f.write_str("DNS name longer than 255 bytes"),
            WireError::EmptyLabel => f.write_str("empty label in a DNS name"),
            WireError::BadLabelType(t) => write!(f, "DNS label type {t:#04x} is not allowed"),
            WireError::BadPointer => {
                f.write_str("DNS compression pointer does not point strictly backwards")
            }
            WireError::TooManyPointers => {
                f.write_str("too many compression pointers in a DNS name")
            }
            WireError::BadRdata { rtype, len } => {
                write!(
                    f,
                    "record data of {len} bytes is malformed for type {rtype}"
                )
            }
            WireError::TrailingBytes => f.write_str("bytes left over after a DNS name"),
            WireError::RdataMismatch { rtype } => {
                write!(f, "record data does not match record type {rtype}")
            }
            WireError::RdataTooLong => f.write_str("record data longer than 65535 bytes"),
            WireError::TooManyEntries => f.write_str("more than 65535 entries in a DNS section"),
            WireError::DoesNotFit => f.write_str("DNS header and questions exceed the size limit"),
            WireError::SectionOrder => f.write_str("DNS message sections written out of order"),
        }
    }
}

impl std::error::Error for WireError {}

/// The second 16-bit word of a header: QR, opcode, AA, TC, RD, RA, the Z,
/// AD and CD bits, rcode (RFC 1035 §4.1.1, RFC 4035 §3.2).
///
/// ```
/// use oxevent::dns::wire::{Flags, RCODE_NXDOMAIN};
///
/// let f = (Flags::QR | Flags::RD | Flags::RA).with_rcode(RCODE_NXDOMAIN);
/// assert_eq!(f.bits(), 0x8183);
/// assert!(f.contains(Flags::RD));
/// assert_eq!(f.rcode(), RCODE_NXDOMAIN);
/// assert_eq!(format!("{f:?}"), "QR|RD|RA opcode=0 rcode=3");
/// ```
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags(u16);

impl Flags {
    /// No bit set: a standard query, no recursion wanted.
    pub const NONE: Flags = Flags(0);
    /// A response (set) or a query (clear).
    pub const QR: Flags = Flags(0x8000);
    /// Authoritative answer.
    pub const AA: Flags = Flags(0x0400);
    /// Truncated: the message did not fit and records were left out.
    pub const TC: Flags = Flags(0x0200);
    /// Recursion desired (libevent's resolver always sets it).
    pub const RD: Flags = Flags(0x0100);
    /// Recursion available.
    pub const RA: Flags = Flags(0x0080);
    /// The reserved Z bit (must be zero; kept as received).
    pub const Z: Flags = Flags(0x0040);
    /// Authentic data (DNSSEC, RFC 4035).
    pub const AD: Flags = Flags(0x0020);
    /// Checking disabled (DNSSEC, RFC 4035).
    pub const CD: Flags = Flags(0x0010);

    const OPCODE_SHIFT: u16 = 11;

    /// Flags from the raw header word (every bit kept).
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// assert_eq!(Flags::from_bits(0x0100), Flags::RD);
    /// ```
    pub const fn from_bits(bits: u16) -> Flags {
        Flags(bits)
    }

    /// The raw header word.
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// assert_eq!((Flags::QR | Flags::AA).bits(), 0x8400);
    /// ```
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every bit of `other` is set.
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// assert!((Flags::QR | Flags::TC).contains(Flags::TC));
    /// assert!(!Flags::QR.contains(Flags::QR | Flags::TC));
    /// ```
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets or clears the bits of `other`.
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// let mut f = Flags::RD;
    /// f.set(Flags::TC, true);
    /// f.set(Flags::RD, false);
    /// assert_eq!(f, Flags::TC);
    /// ```
    pub fn set(&mut self, other: Flags, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }

    /// The 4-bit opcode.
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// assert_eq!(Flags::from_bits(0x2800).opcode(), 5);
    /// ```
    pub const fn opcode(self) -> u8 {
        ((self.0 >> Self::OPCODE_SHIFT) & 0xf) as u8
    }

    /// The same flags with another opcode (only its low 4 bits are used).
    ///
    /// ```
    /// use oxevent::dns::wire::Flags;
    ///
    /// assert_eq!(Flags::RD.with_opcode(2).bits(), 0x1100);
    /// ```
    pub const fn with_opcode(self, opcode: u8) -> Flags {
        Flags(
            (self.0 & !(0xf << Self::OPCODE_SHIFT))
                | (((opcode & 0xf) as u16) << Self::OPCODE_SHIFT),
        )
    }

    /// The 4-bit response code.
    ///
    /// ```
    /// use oxevent::dns::wire::{Flags, RCODE_SERVFAIL};
    ///
    /// assert_eq!(Flags::from_bits(0x8182).rcode(), RCODE_SERVFAIL);
    /// ```
    pub const fn rcode(self) -> u8 {
        (self.0 & 0xf) as u8
    }

    /// The same flags with another response code (only its low 4 bits are
    /// used).
    ///
    /// ```
    /// use oxevent::dns::wire::{Flags, RCODE_REFUSED};
    ///
    /// assert_eq!(Flags::QR.with_rcode(RCODE_REFUSED).bits(), 0x8005);
    /// ```
    pub const fn with_rcode(self, rcode: u8) -> Flags {
        Flags((self.0 & !0xf) | (rcode & 0xf) as u16)
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, &str); 8] = [
            (Flags::QR, "QR"),
            (Flags::AA, "AA"),
            (Flags::TC, "TC"),
            (Flags::RD, "RD"),
            (Flags::RA, "RA"),
            (Flags::Z, "Z"),
            (Flags::AD, "AD"),
            (Flags::CD, "CD"),
        ];
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        write!(f, " opcode={} rcode={}", self.opcode(), self.rcode())
    }
}

/// A message's header without its counts: the id and the flags. The counts
/// are the lengths of a [`Message`]'s sections; [`parse_header`] returns
/// them apart, as [`Counts`].
///
/// ```
/// use oxevent::dns::wire::{Flags, Header};
///
/// let h = Header { id: 0xbeef, flags: Flags::RD };
/// assert_eq!(Header::default().flags, Flags::NONE);
/// assert_ne!(h, Header::default());
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// The transaction id a response echoes.
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub flags: Flags,
}

/// The four counts of a header, as the packet states them.
///
/// ```
/// use oxevent::dns::wire::parse_header;
///
/// let (_, counts) = parse_header(b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00").unwrap();
/// assert_eq!((counts.questions, counts.answers), (1, 0));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    /// QDCOUNT: entries in the question section.
    pub questions: u16,
    /// ANCOUNT: records in the answer section.
    pub answers: u16,
    /// NSCOUNT: records in the authority section.
    pub authority: u16,
    /// ARCOUNT: records in the additional section.
    pub additional: u16,
}

/// An entry of the question section.
///
/// ```
/// use oxevent::dns::wire::{Question, CLASS_IN, TYPE_AAAA};
///
/// let q = Question::new("example.net".parse().unwrap(), TYPE_AAAA);
/// assert_eq!(q.qclass, CLASS_IN);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type asked for ([`TYPE_A`], [`TYPE_AAAA`], [`TYPE_PTR`] …).
    pub qtype: u16,
    /// The class, nearly always [`CLASS_IN`].
    pub qclass: u16,
}

impl Question {
    /// A question of class IN.
    ///
    /// ```
    /// use oxevent::dns::wire::{Question, TYPE_A};
    ///
    /// let q = Question::new("example.com".parse().unwrap(), TYPE_A);
    /// assert_eq!(q.qtype, TYPE_A);
    /// ```
    pub fn new(name: Name, qtype: u16) -> Question {
        Question {
            name,
            qtype,
            qclass: CLASS_IN,
        }
    }

    /// Equality with names compared without regard to case.
    ///
    /// ```
    /// use oxevent::dns::wire::{Question, TYPE_A};
    ///
    /// let a = Question::new("A.example".parse().unwrap(), TYPE_A);
    /// let b = Question::new("a.EXAMPLE".parse().unwrap(), TYPE_A);
    /// assert!(a.eq_ignore_case(&b));
    /// assert_ne!(a, b);
    /// ```
    pub fn eq_ignore_case(&self, other: &Question) -> bool {
        self.qtype == other.qtype
            && self.qclass == other.qclass
            && self.name.eq_ignore_case(&other.name)
    }
}

/// The data of a resource record.
///
/// ```
/// use oxevent::dns::wire::RData;
///
/// let d = RData::Cname("alias.example".parse().unwrap());
/// assert!(matches!(d, RData::Cname(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RData {
    /// An IPv4 address (type A, 4 bytes).
    A(Ipv4Addr),
    /// An IPv6 address (type AAAA, 16 bytes).
    Aaaa(Ipv6Addr),
    /// A domain name pointer (type PTR), decompressed.
    Ptr(Name),
    /// A canonical name (type CNAME), decompressed.
    Cname(Name),
    /// The data of any other type, verbatim (see the module docs about
    /// compressed names inside it).
    Other(Vec<u8>),
}

impl RData {
    /// Equality with names compared without regard to case.
    ///
    /// ```
    /// use oxevent::dns::wire::RData;
    ///
    /// let a = RData::Ptr("Host.example".parse().unwrap());
    /// assert!(a.eq_ignore_case(&RData::Ptr("host.example".parse().unwrap())));
    /// ```
    pub fn eq_ignore_case(&self, other: &RData) -> bool {
        match (self, other) {
            (RData::Ptr(a), RData::Ptr(b)) | (RData::Cname(a), RData::Cname(b)) => {
                a.eq_ignore_case(b)
            }
            _ => self == other,
        }
    }
}

/// A resource record of the answer, authority or additional section.
///
/// ```
/// use std::net::Ipv6Addr;
/// use oxevent::dns::wire::{Record, RData, TYPE_AAAA};
///
/// let r = Record::aaaa("example.com".parse().unwrap(), 60, Ipv6Addr::LOCALHOST);
/// assert_eq!(r.rtype, TYPE_AAAA);
/// assert_eq!(r.data, RData::Aaaa(Ipv6Addr::LOCALHOST));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// The owner name.
    pub name: Name,
    /// The type ([`TYPE_A`] …). [`RData::A`], [`RData::Aaaa`],
    /// [`RData::Ptr`] and [`RData::Cname`] require the matching type;
    /// [`RData::Other`] goes with any type, but data of type A, AAAA, PTR
    /// or CNAME parses back as the typed variant.
    pub rtype: u16,
    /// The class, nearly always [`CLASS_IN`].
    pub class: u16,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

impl Record {
    /// An A record of class IN.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::{Record, TYPE_A};
    ///
    /// let r = Record::a("example.com".parse().unwrap(), 300, Ipv4Addr::LOCALHOST);
    /// assert_eq!((r.rtype, r.ttl), (TYPE_A, 300));
    /// ```
    pub fn a(name: Name, ttl: u32, addr: Ipv4Addr) -> Record {
        Record {
            name,
            rtype: TYPE_A,
            class: CLASS_IN,
            ttl,
            data: RData::A(addr),
        }
    }

    /// An AAAA record of class IN.
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    /// use oxevent::dns::wire::{Record, TYPE_AAAA};
    ///
    /// let r = Record::aaaa("example.com".parse().unwrap(), 300, Ipv6Addr::LOCALHOST);
    /// assert_eq!(r.rtype, TYPE_AAAA);
    /// ```
    pub fn aaaa(name: Name, ttl: u32, addr: Ipv6Addr) -> Record {
        Record {
            name,
            rtype: TYPE_AAAA,
            class: CLASS_IN,
            ttl,
            data: RData::Aaaa(addr),
        }
    }

    /// A PTR record of class IN (the answer to a reverse lookup).
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::{reverse_name_v4, Record, TYPE_PTR};
    ///
    /// let owner = reverse_name_v4(Ipv4Addr::LOCALHOST);
    /// let r = Record::ptr(owner, 60, "localhost".parse().unwrap());
    /// assert_eq!(r.rtype, TYPE_PTR);
    /// ```
    pub fn ptr(name: Name, ttl: u32, target: Name) -> Record {
        Record {
            name,
            rtype: TYPE_PTR,
            class: CLASS_IN,
            ttl,
            data: RData::Ptr(target),
        }
    }

    /// A CNAME record of class IN.
    ///
    /// ```
    /// use oxevent::dns::wire::{Record, TYPE_CNAME};
    ///
    /// let r = Record::cname("www.example".parse().unwrap(), 60, "example".parse().unwrap());
    /// assert_eq!(r.rtype, TYPE_CNAME);
    /// ```
    pub fn cname(name: Name, ttl: u32, target: Name) -> Record {
        Record {
            name,
            rtype: TYPE_CNAME,
            class: CLASS_IN,
            ttl,
            data: RData::Cname(target),
        }
    }

    /// Equality with names (owner and data) compared without regard to case.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::Record;
    ///
    /// let a = Record::a("X.example".parse().unwrap(), 1, Ipv4Addr::LOCALHOST);
    /// let b = Record::a("x.example".parse().unwrap(), 1, Ipv4Addr::LOCALHOST);
    /// assert!(a.eq_ignore_case(&b));
    /// ```
    pub fn eq_ignore_case(&self, other: &Record) -> bool {
        self.rtype == other.rtype
            && self.class == other.class
            && self.ttl == other.ttl
            && self.name.eq_ignore_case(&other.name)
            && self.data.eq_ignore_case(&other.data)
    }
}

/// A whole DNS message: header and four sections. The header's counts are
/// the sections' lengths.
///
/// ```
/// use oxevent::dns::wire::{Header, Message, Question, TYPE_PTR};
///
/// let mut m = Message::new(Header::default());
/// m.questions.push(Question::new("1.0.0.127.in-addr.arpa".parse().unwrap(), TYPE_PTR));
/// let bytes = m.encode(512).unwrap();
/// assert_eq!(Message::parse(&bytes).unwrap(), m);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Message {
    /// Id and flags.
    pub header: Header,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section.
    pub additional: Vec<Record>,
}

impl Message {
    /// A message with this header and empty sections.
    ///
    /// ```
    /// use oxevent::dns::wire::{Flags, Header, Message};
    ///
    /// let m = Message::new(Header { id: 1, flags: Flags::RD });
    /// assert!(m.questions.is_empty() && m.answers.is_empty());
    /// ```
    pub fn new(header: Header) -> Message {
        Message {
            header,
            ..Message::default()
        }
    }

    /// Encodes the message with name compression, in at most `max_len`
    /// bytes (clamped to 65535): records that do not fit are left out from
    /// the first one that does not fit on, and TC is set, as libevent's
    /// server does with [`UDP_MAX_LEN`]. Use a [`MessageBuilder`] to learn
    /// whether that happened.
    ///
    /// Refused: header and questions over `max_len`
    /// ([`WireError::DoesNotFit`]), record data that contradicts its type
    /// or is over 65535 bytes, a section over 65535 entries.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use oxevent::dns::wire::{Flags, Header, Message, Question, Record, TYPE_A};
    ///
    /// let name: oxevent::dns::wire::Name = "example.com".parse().unwrap();
    /// let mut m = Message::new(Header { id: 1, flags: Flags::QR });
    /// m.questions.push(Question::new(name.clone(), TYPE_A));
    /// for i in 0..100 {
    ///     m.answers.push(Record::a(name.clone(), 60, Ipv4Addr::new(10, 0, 0, i)));
    /// }
    /// let packet = m.encode(512).unwrap();
    /// assert!(packet.len() <= 512);
    /// let got = Message::parse(&packet).unwrap();
    /// assert!(got.header.flags.contains(Flags::TC));
    /// assert_eq!(got.answers.len(), (512 - 12 - 17) / 16);
    /// ```
    pub fn encode(&self, max_len: usize) -> Result<Vec<u8>, WireError> {
        let mut b = MessageBuilder::new(self.header, max_len)?;
        for q in &self.questions {
            b.question(q)?;
        }
        let sections = [
            (Section::Answer, &self.answers),
            (Section::Authority, &self.authority),
            (Section::Additional, &self.additional),
        ];
        'sections: for (section, records) in sections {
            for r in records {
                if !b.record(section, r)? {
                    break 'sections;
                }
            }
        }
        Ok(b.finish())
    }

    /// Equality with every name compared without regard to case (what a
    /// round trip through compression keeps; see the module docs).
    ///
    /// ```
    /// use oxevent::dns::wire::{Header, Message, Question, TYPE_A};
    ///
    /// let mut a = Message::new(Header::default());
    /// a.questions.push(Question::new("EXAMPLE.com".parse().unwrap(), TYPE_A));
    /// let mut b = a.clone();
    /// b.questions[0].name = "example.com".parse().unwrap();
    /// assert!(a.eq_ignore_case(&b));
    /// assert_ne!(a, b);
    /// ```
    pub fn eq_ignore_case(&self, other: &Message) -> bool {
        fn all<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(x, y))
        }
        self.header == other.header
            && all(&self.questions, &other.questions, Question::eq_ignore_case)
            && all(&self.answers, &other.answers, Record::eq_ignore_case)
            && all(&self.authority, &other.authority, Record::eq_ignore_case)
            && all(&self.additional, &other.additional, Record::eq_ignore_case)
    }
}
