//! `oxevent::dns::wire` through its public API: round trips, compression,
//! a hand-written response, every malformed-packet case the parser must
//! refuse, truncation, names (text, case, 0x20, reverse lookups), and a
//! random-bytes property run (the same check as the `dns_packet` fuzz
//! target, `util/dns_check.rs`).

mod util;

#[path = "util/dns_check.rs"]
mod dns_check;

use std::net::{Ipv4Addr, Ipv6Addr};

use oxevent::dns::wire::{
    parse_header, parse_query, reverse_name_v4, reverse_name_v6, Flags, Header, Message,
    MessageBuilder, Name, Question, RData, Record, Section, WireError, CLASS_IN, QCLASS_ANY,
    RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_MX, TYPE_PTR, TYPE_TXT, UDP_MAX_LEN,
};
use util::Rng;

fn name(s: &str) -> Name {
    s.parse().expect("a valid name")
}

/// A header announcing the given counts, then `body`.
fn packet(counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0x81, 0x80];
    for c in counts {
        p.extend_from_slice(&c.to_be_bytes());
    }
    p.extend_from_slice(body);
    p
}

/// A record header: type, class IN, TTL 60, rdlength.
fn rr(rtype: u16, rdlen: u16) -> Vec<u8> {
    let mut v = rtype.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    v.extend_from_slice(&rdlen.to_be_bytes());
    v
}

/// The question section `example.com IN A` (17 bytes, the name at 12).
const Q_EXAMPLE: &[u8] = b"\x07example\x03com\x00\x00\x01\x00\x01";

fn full_message() -> Message {
    let mut m = Message::new(Header {
        id: 0xfeed,
        flags: (Flags::QR | Flags::AA | Flags::RD | Flags::RA | Flags::AD).with_rcode(0),
    });
    m.questions
        .push(Question::new(name("www.example.com"), TYPE_A));
    m.questions.push(Question {
        name: name("example.com"),
        qtype: TYPE_AAAA,
        qclass: QCLASS_ANY,
    });
    m.answers.push(Record::cname(
        name("www.example.com"),
        30,
        name("web.example.com"),
    ));
    m.answers.push(Record::a(
        name("web.example.com"),
        300,
        Ipv4Addr::new(192, 0, 2, 7),
    ));
    m.answers.push(Record::aaaa(
        name("web.example.com"),
        300,
        "2001:db8::7".parse().unwrap(),
    ));
    m.authority.push(Record {
        name: name("example.com"),
        rtype: TYPE_TXT,
        class: CLASS_IN,
        ttl: u32::MAX,
        data: RData::Other(b"\x05hello".to_vec()),
    });
    m.additional.push(Record::ptr(
        reverse_name_v4(Ipv4Addr::new(192, 0, 2, 7)),
        0,
        name("web.example.com"),
    ));
    m.additional.push(Record {
        name: Name::root(),
        rtype: 41, // OPT, kept verbatim
        class: 1232,
        ttl: 0,
        data: RData::Other(Vec::new()),
    });
    m
}

#[test]
fn every_section_and_rdata_kind_round_trips() {
    let m = full_message();
    let bytes = m.encode(UDP_MAX_LEN).unwrap();
    assert_eq!(Message::parse(&bytes).unwrap(), m);
    assert!(dns_check::check(&bytes));
    let (h, counts) = parse_header(&bytes).unwrap();
    assert_eq!(h, m.header);
    assert_eq!(
        (
            counts.questions,
            counts.answers,
            counts.authority,
            counts.additional
        ),
        (2, 3, 1, 2)
    );
}

#[test]
fn compression_shrinks_repeated_names_and_parses_back() {
    let m = full_message();
    let bytes = m.encode(UDP_MAX_LEN).unwrap();
    let names: usize = m.questions.iter().map(|q| q.name.wire_len()).sum::<usize>()
        + [&m.answers, &m.authority, &m.additional]
            .iter()
            .flat_map(|s| s.iter())
            .map(|r| {
                r.name.wire_len()
                    + match &r.data {
                        RData::Ptr(n) | RData::Cname(n) => n.wire_len(),
                        _ => 0,
                    }
            })
            .sum::<usize>();
    let uncompressed = 12 + 2 * 4 + 6 * 10 + 4 + 16 + 6 + names;
    assert!(
        bytes.len() + 60 < uncompressed,
        "{} vs {uncompressed}",
        bytes.len()
    );

    // The second question, "example.com", is a pointer into the first
    // ("www.example.com" at 12: "example" starts at 16).
    let second_q = 12 + 17 + 4;
    assert_eq!(&bytes[second_q..second_q + 2], b"\xc0\x10");
    // The CNAME's owner is the whole first question.
    let first_rr = second_q + 2 + 4;
    assert_eq!(&bytes[first_rr..first_rr + 2], b"\xc0\x0c");
    // Its data "web.example.com": one label, then the pointer to example.com.
    let rdata = first_rr + 2 + 10;
    assert_eq!(&bytes[rdata - 2..rdata], b"\x00\x06");
    assert_eq!(&bytes[rdata..rdata + 6], b"\x03web\xc0\x10");
}

#[test]
fn compression_matches_case_insensitively() {
    let mut m = Message::new(Header::default());
    m.questions.push(Question::new(name("ExAmPle.COM"), TYPE_A));
    m.answers
        .push(Record::a(name("example.com"), 1, Ipv4Addr::LOCALHOST));
    let bytes = m.encode(512).unwrap();
    assert_eq!(bytes.len(), 12 + 17 + 16);
    let got = Message::parse(&bytes).unwrap();
    // The answer's name came back in the question's case (documented).
    assert_eq!(got.answers[0].name.to_string(), "ExAmPle.COM");
    assert!(got.eq_ignore_case(&m));
    assert_ne!(got, m);
    assert_eq!(got.questions, m.questions);
}

#[test]
fn a_hand_written_response_parses() {
    // dig-style answer for example.com A, the owner name compressed to 0xc00c.
    let mut body = Q_EXAMPLE.to_vec();
    body.extend_from_slice(b"\xc0\x0c");
    body.extend_from_slice(&rr(TYPE_A, 4));
    body.extend_from_slice(&[93, 184, 216, 34]);
    // And an AAAA answer.
    body.extend_from_slice(b"\xc0\x0c");
    body.extend_from_slice(&rr(TYPE_AAAA, 16));
    body.extend_from_slice(
        &Ipv6Addr::new(0x2606, 0x2800, 0x220, 1, 0x248, 0x1893, 0x25c8, 0x1946).octets(),
    );
    let p = packet([1, 2, 0, 0], &body);
    let m = Message::parse(&p).unwrap();
    assert_eq!(m.header.id, 0x1234);
    assert_eq!(m.header.flags, Flags::QR | Flags::RD | Flags::RA);
    assert_eq!(m.questions, [Question::new(name("example.com"), TYPE_A)]);
    assert_eq!(
        m.answers[0],
        Record::a(name("example.com"), 60, Ipv4Addr::new(93, 184, 216, 34))
    );
    assert_eq!(
        m.answers[1].data,
        RData::Aaaa("2606:2800:220:1:248:1893:25c8:1946".parse().unwrap())
    );
    // Our encoder writes exactly these bytes back.
    assert_eq!(m.encode(512).unwrap(), p);
}

#[test]
fn ptr_and_cname_data_decompress_against_the_whole_packet() {
    let mut body = Q_EXAMPLE.to_vec();
    // CNAME: "www" + pointer to example.com (12): rdlength 6.
    body.extend_from_slice(b"\xc0\x0c");
    body.extend_from_slice(&rr(TYPE_CNAME, 6));
    body.extend_from_slice(b"\x03www\xc0\x0c");
    // PTR whose data is only a pointer to the CNAME's data (at 12+17+12 = 41).
    body.extend_from_slice(b"\x00");
    body.extend_from_slice(&rr(TYPE_PTR, 2));
    body.extend_from_slice(b"\xc0\x29");
    let m = Message::parse(&packet([1, 2, 0, 0], &body)).unwrap();
    assert_eq!(m.answers[0].data, RData::Cname(name("www.example.com")));
    assert_eq!(m.answers[1].name, Name::root());
    assert_eq!(m.answers[1].data, RData::Ptr(name("www.example.com")));
}

#[test]
fn short_headers_are_refused() {
    let full = packet([0; 4], &[]);
    for n in 0..12 {
        assert_eq!(
            Message::parse(&full[..n]),
            Err(WireError::ShortHeader),
            "{n} bytes"
        );
        assert_eq!(parse_header(&full[..n]), Err(WireError::ShortHeader));
        assert_eq!(parse_query(&full[..n]), Err(WireError::ShortHeader));
    }
    assert!(Message::parse(&full).is_ok());
}

#[test]
fn counts_beyond_the_packet_are_refused() {
    // A question announced, none there.
    assert_eq!(
        Message::parse(&packet([1, 0, 0, 0], &[])),
        Err(WireError::Truncated)
    );
    // 65535 answers announced, one there: no huge allocation, an error.
    let mut body = Q_EXAMPLE.to_vec();
    body.extend_from_slice(b"\xc0\x0c");
    body.extend_from_slice(&rr(TYPE_A, 4));
    body.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        Message::parse(&packet([1, 0xffff, 0, 0], &body)),
        Err(WireError::Truncated)
    );
    assert_eq!(
        Message::parse(&packet([1, 1, 0, 0xffff], &body)),
        Err(WireError::Truncated)
    );
    assert!(Message::parse(&packet([1, 1, 0, 0], &body)).is_ok());
    // Every strict prefix of a good packet is refused.
    let good = packet([1, 1, 0, 0], &body);
    for n in 12..good.len() {
        assert!(Message::parse(&good[..n]).is_err(), "{n} bytes");
    }
}

#[test]
fn pointers_that_do_not_point_backwards_are_refused() {
    // Forward: the question's name points past itself.
    let p = packet([1, 0, 0, 0], b"\xc0\x0e\x00\x01\x00\x01\x00");
    assert_eq!(Message::parse(&p), Err(WireError::BadPointer));
    // At itself.
    let p = packet([1, 0, 0, 0], b"\xc0\x0c\x00\x01\x00\x01");
    assert_eq!(Message::parse(&p), Err(WireError::BadPointer));
    // Past the end of the packet.
    let p = packet([1, 0, 0, 0], b"\xff\xff\x00\x01\x00\x01");
    assert_eq!(Message::parse(&p), Err(WireError::BadPointer));
    // A pointer cut in half by the end of the packet.
    let p = packet([1, 0, 0, 0], b"\x01a\xc0");
    assert_eq!(Message::parse(&p), Err(WireError::Truncated));
}

#[test]
fn compression_loops_are_refused() {
    // "a" then a pointer back to "a": a -> a -> a ... (backwards, but into
    // the name's own labels).
    let p = packet([1, 0, 0, 0], b"\x01a\xc0\x0c\x00\x01\x00\x01");
    assert_eq!(Message::parse(&p), Err(WireError::BadPointer));
    // Two names pointing at each other: the first's pointer goes forward.
    let p = packet(
        [2, 0, 0, 0],
        b"\x01a\xc0\x14\x00\x01\x00\x01\x01b\xc0\x0c\x00\x01\x00\x01",
    );
    assert_eq!(Message::parse(&p), Err(WireError::BadPointer));
    // A long backward chain of bare pointers hits the cap.
    let mut body = vec![0u8, 0, 1, 0, 1]; // question 1: the root, at 12
    let mut prev = 12u16;
    let mut q = 1;
    for _ in 0..200 {
        let at = 12 + body.len() as u16;
        body.extend_from_slice(&(0xc000 | prev).to_be_bytes());
        body.extend_from_slice(&[0, 1, 0, 1]);
        prev = at;
        q += 1;
    }
    assert_eq!(
        Message::parse(&packet([q, 0, 0, 0], &body)),
        Err(WireError::TooManyPointers)
    );
    assert!(Message::parse(&packet([100, 0, 0, 0], &body)).is_ok());
}

#[test]
fn reserved_label_types_are_refused() {
    for t in [0x40u8, 0x41, 0x80, 0xbf] {
        let p = packet([1, 0, 0, 0], &[t, 0, 0, 1, 0, 1]);
        assert_eq!(
            Message::parse(&p),
            Err(WireError::BadLabelType(t & 0xc0)),
            "{t:#x}"
        );
    }
    // A 63-byte label is the longest there is.
    let mut body = vec![63];
    body.extend_from_slice(&[b'x'; 63]);
    body.extend_from_slice(&[0, 0, 1, 0, 1]);
    assert_eq!(
        Message::parse(&packet([1, 0, 0, 0], &body))
            .unwrap()
            .questions[0]
            .name
            .label_count(),
        1
    );
}

#[test]
fn names_over_255_bytes_are_refused() {
    // Four 63-byte labels: 4 * 64 + 1 = 257 bytes.
    let mut long = Vec::new();
    for _ in 0..4 {
        long.push(63);
        long.extend_from_slice(&[b'a'; 63]);
    }
    long.push(0);
    let mut body = long.clone();
    body.extend_from_slice(&[0, 1, 0, 1]);
    assert_eq!(
        Message::parse(&packet([1, 0, 0, 0], &body)),
        Err(WireError::NameTooLong)
    );

    // 255 exactly is fine: three 63-byte labels and one of 61.
    let mut ok = long[..3 * 64].to_vec();
    ok.push(61);
    ok.extend_from_slice(&[b'b'; 61]);
    ok.push(0);
    assert_eq!(ok.len(), 255);
    let mut body = ok.clone();
    body.extend_from_slice(&[0, 1, 0, 1]);
    let m = Message::parse(&packet([1, 0, 0, 0], &body)).unwrap();
    assert_eq!(m.questions[0].name.wire_len(), 255);

    // Over 255 only after decompression: 3 labels (193 bytes), then a name
    // of one 63-byte label pointing at them (64 + 193 = 257).
    let mut body = long[..3 * 64].to_vec();
    body.push(0);
    body.extend_from_slice(&[0, 1, 0, 1]);
    body.push(63);
    body.extend_from_slice(&[b'c'; 63]);
    body.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
    assert_eq!(
        Message::parse(&packet([2, 0, 0, 0], &body)),
        Err(WireError::NameTooLong)
    );
    assert!(Message::parse(&packet([1, 0, 0, 0], &body)).is_ok());
}

#[test]
fn record_data_must_fit_its_length_and_type() {
    let with_rr = |rtype: u16, rdlen: u16, data: &[u8], trailing: &[u8]| {
        let mut body = Q_EXAMPLE.to_vec();
        body.extend_from_slice(b"\xc0\x0c");
        body.extend_from_slice(&rr(rtype, rdlen));
        body.extend_from_slice(data);
        body.extend_from_slice(trailing);
        Message::parse(&packet([1, 1, 0, 0], &body))
    };
    // rdlength past the end of the packet.
    assert_eq!(
        with_rr(TYPE_MX, 10, b"\x00\x0a\x00", b""),
        Err(WireError::Truncated)
    );
    assert_eq!(
        with_rr(TYPE_A, 4, b"\x01\x02\x03", b""),
        Err(WireError::Truncated)
    );
    // A not 4, AAAA not 16.
    assert_eq!(
        with_rr(TYPE_A, 5, &[1; 5], b""),
        Err(WireError::BadRdata {
            rtype: TYPE_A,
            len: 5
        })
    );
    assert_eq!(
        with_rr(TYPE_A, 3, &[1; 3], b"\x00"),
        Err(WireError::BadRdata {
            rtype: TYPE_A,
            len: 3
        })
    );
    assert_eq!(
        with_rr(TYPE_AAAA, 4, &[1; 4], b""),
        Err(WireError::BadRdata {
            rtype: TYPE_AAAA,
            len: 4
        })
    );
    assert_eq!(
        with_rr(TYPE_AAAA, 17, &[1; 17], b""),
        Err(WireError::BadRdata {
            rtype: TYPE_AAAA,
            len: 17
        })
    );
    // A PTR name running past its rdlength (into the bytes after it).
    assert_eq!(
        with_rr(TYPE_PTR, 2, b"\x03www", b"\x00"),
        Err(WireError::BadRdata {
            rtype: TYPE_PTR,
            len: 2
        })
    );
    // A CNAME with bytes left after its name.
    assert_eq!(
        with_rr(TYPE_CNAME, 4, b"\x01a\x00\x00", b""),
        Err(WireError::BadRdata {
            rtype: TYPE_CNAME,
            len: 4
        })
    );
    // A PTR with a bad pointer inside.
    assert_eq!(
        with_rr(TYPE_PTR, 2, b"\xc0\x40", b""),
        Err(WireError::BadPointer)
    );
    // And the good cases.
    assert!(with_rr(TYPE_PTR, 3, b"\x01a\x00", b"").is_ok());
    assert!(with_rr(TYPE_MX, 4, b"\x00\x0a\xc0\x0c", b"").is_ok());
    assert!(with_rr(TYPE_A, 4, &[1; 4], b"trailing bytes are ignored").is_ok());
}

#[test]
fn queries_parse_without_their_records() {
    // A request with an unparseable answer section: parse_query does not look.
    let mut body = Q_EXAMPLE.to_vec();
    body.extend_from_slice(b"\x80garbage");
    let p = packet([1, 3, 0, 0], &body);
    assert_eq!(Message::parse(&p), Err(WireError::BadLabelType(0x80)));
    let q = parse_query(&p).unwrap();
    assert_eq!(q.counts.answers, 3);
    assert_eq!(q.questions, [Question::new(name("example.com"), TYPE_A)]);
}

#[test]
fn truncation_stops_at_a_record_boundary_and_sets_tc() {
    let owner = name("example.com");
    let mut m = Message::new(Header {
        id: 1,
        flags: Flags::QR | Flags::RD,
    });
    m.questions.push(Question::new(owner.clone(), TYPE_A));
    for i in 0..40u8 {
        m.answers
            .push(Record::a(owner.clone(), 60, Ipv4Addr::new(10, 0, 0, i)));
        m.additional
            .push(Record::aaaa(owner.clone(), 60, Ipv6Addr::LOCALHOST));
    }
    for max in [29usize, 30, 44, 45, 300, 511, 512, 513, 1000] {
        let bytes = m.encode(max).unwrap();
        assert!(bytes.len() <= max, "{} > {max}", bytes.len());
        let got = Message::parse(&bytes).unwrap();
        assert!(got.header.flags.contains(Flags::TC | Flags::QR | Flags::RD));
        let kept = got.answers.len() + got.authority.len() + got.additional.len();
        // Every record written is whole and in order; the next would not fit.
        assert_eq!(got.answers[..], m.answers[..got.answers.len()]);
        assert_eq!(got.additional[..], m.additional[..got.additional.len()]);
        assert!(got.additional.is_empty() || got.answers.len() == 40);
        let next = if got.answers.len() < 40 { 16 } else { 28 };
        assert!(
            bytes.len() + next > max,
            "{max}: {kept} records, room for more"
        );
    }
    // Everything fits: no TC.
    let bytes = m.encode(65535).unwrap();
    let got = Message::parse(&bytes).unwrap();
    assert!(!got.header.flags.contains(Flags::TC));
    assert_eq!(got, m);
    // Header and question alone do not fit: an error, nothing silently lost.
    assert_eq!(m.encode(28), Err(WireError::DoesNotFit));
    assert_eq!(m.encode(11), Err(WireError::DoesNotFit));
}

#[test]
fn builder_refuses_out_of_order_and_mismatched_entries() {
    let mut b = MessageBuilder::new(Header::default(), 512).unwrap();
    let r = Record::a(name("a.example"), 1, Ipv4Addr::LOCALHOST);
    assert_eq!(b.record(Section::Authority, &r), Ok(true));
    assert_eq!(b.record(Section::Answer, &r), Err(WireError::SectionOrder));
    assert_eq!(
        b.question(&Question::new(name("a"), TYPE_A)),
        Err(WireError::SectionOrder)
    );
    let bad = Record {
        rtype: TYPE_PTR,
        ..r.clone()
    };
    assert_eq!(
        b.record(Section::Authority, &bad),
        Err(WireError::RdataMismatch { rtype: TYPE_PTR })
    );
    let huge = Record {
        rtype: TYPE_TXT,
        data: RData::Other(vec![0; 65536]),
        ..r.clone()
    };
    assert_eq!(
        b.record(Section::Authority, &huge),
        Err(WireError::RdataTooLong)
    );
    let m = Message::parse(&b.finish()).unwrap();
    assert_eq!(m.authority, [r]);

    // Other data of type A parses back as the typed variant.
    let mut m = Message::new(Header::default());
    m.answers.push(Record {
        name: Name::root(),
        rtype: TYPE_A,
        class: CLASS_IN,
        ttl: 0,
        data: RData::Other(vec![127, 0, 0, 1]),
    });
    let got = Message::parse(&m.encode(512).unwrap()).unwrap();
    assert_eq!(got.answers[0].data, RData::A(Ipv4Addr::LOCALHOST));
}

#[test]
fn flags_keep_every_bit() {
    for bits in [0u16, 0xffff, 0x8583, 0x7870] {
        let mut m = Message::new(Header {
            id: bits,
            flags: Flags::from_bits(bits),
        });
        m.questions.push(Question::new(Name::root(), TYPE_A));
        let got = Message::parse(&m.encode(512).unwrap()).unwrap();
        assert_eq!(got.header.flags.bits(), bits);
    }
    let f = Flags::QR.with_opcode(0x1f).with_rcode(RCODE_NXDOMAIN);
    assert_eq!((f.opcode(), f.rcode()), (0xf, 3));
    assert_eq!(format!("{:?}", Flags::NONE), "NONE opcode=0 rcode=0");
}

#[test]
fn names_from_text() {
    assert_eq!(name("example.com."), name("example.com"));
    assert_eq!(name(""), Name::root());
    assert_eq!(name("."), Name::root());
    assert_eq!(Name::root().to_string(), ".");
    assert_eq!(Name::root().to_dotted(), b"");
    for bad in ["..", ".a", "a..b", "a.b..", "a. .b"] {
        let got = bad.parse::<Name>();
        if bad == "a. .b" {
            assert!(got.is_ok()); // a space is a byte like any other
        } else {
            assert_eq!(got, Err(WireError::EmptyLabel), "{bad:?}");
        }
    }
    let l63 = "x".repeat(63);
    assert!(l63.parse::<Name>().is_ok());
    assert_eq!(
        format!("{l63}x").parse::<Name>(),
        Err(WireError::LabelTooLong)
    );
    // 253 characters of text is the longest name (255 in wire form).
    let long = format!("{l63}.{l63}.{l63}.{}", "y".repeat(61));
    assert_eq!(long.len(), 253);
    assert_eq!(name(&long).wire_len(), 255);
    assert_eq!(name(&format!("{long}.")).wire_len(), 255);
    assert_eq!(
        format!("{long}z").parse::<Name>(),
        Err(WireError::NameTooLong)
    );
    assert_eq!(
        format!("a.{long}").parse::<Name>(),
        Err(WireError::NameTooLong)
    );
    // Text round trip, case kept.
    let n = name("MiXeD.Case.example");
    assert_eq!(n.to_string(), "MiXeD.Case.example");
    assert_eq!(format!("{n:?}"), "Name(\"MiXeD.Case.example\")");
}

#[test]
fn names_from_wire() {
    assert_eq!(Name::from_wire(b"\x00").unwrap(), Name::root());
    assert_eq!(Name::from_wire(b""), Err(WireError::Truncated));
    assert_eq!(
        Name::from_wire(b"\x01a\x00\x00"),
        Err(WireError::TrailingBytes)
    );
    assert_eq!(Name::from_wire(b"\x41"), Err(WireError::BadLabelType(0x40)));
    let n = name("a.b.c");
    assert_eq!(Name::from_wire(n.as_wire()).unwrap(), n);
}

#[test]
fn case_rules_and_0x20() {
    let n = name("www.example.com");
    assert_eq!(n.dotted_len(), 15);
    // Every bit set: every letter flipped, dots kept.
    let all = n.randomize_case(&[0xff; 2]);
    assert_eq!(all.to_string(), "WWW.EXAMPLE.COM");
    assert!(all.eq_ignore_case(&n));
    assert_ne!(all, n);
    // Bit i is character i of the dotted text: bit 3 is the dot (kept),
    // bit 4 is the 'e' of example, bit 14 is the last 'm'.
    let some = n.randomize_case(&[0b0001_1000, 0b0100_0000]);
    assert_eq!(some.to_string(), "www.Example.coM");
    // Too few bits: the rest is kept.
    assert_eq!(n.randomize_case(&[0xff]).to_string(), "WWW.EXAMple.com");
    // Digits, hyphens and other bytes never change.
    let odd = name("a-1_\u{e9}.b");
    let flipped = odd.randomize_case(&[0xff; 8]);
    assert_eq!(flipped.as_wire(), "\x06A-1_\u{e9}\x01B\x00".as_bytes());
    assert!(!name("a").eq_ignore_case(&name("b")));
    assert!(!name("a").eq_ignore_case(&name("a.a")));
    // '[' (0x5b) and '{' (0x7b) differ by 0x20 too but are not letters.
    assert!(!name("[").eq_ignore_case(&name("{")));
    assert_eq!(name("[").randomize_case(&[1]), name("["));
    // The resolver's check: the echoed question must match byte for byte.
    let sent = n.randomize_case(&[0x5a, 0x3c]);
    let mut reply = Message::new(Header {
        id: 1,
        flags: Flags::QR,
    });
    reply.questions.push(Question::new(sent.clone(), TYPE_A));
    let got = Message::parse(&reply.encode(512).unwrap()).unwrap();
    assert_eq!(got.questions[0].name, sent);
    assert_ne!(got.questions[0].name, n);
}

#[test]
fn reverse_names() {
    assert_eq!(
        reverse_name_v4(Ipv4Addr::new(1, 2, 3, 4)).to_string(),
        "4.3.2.1.in-addr.arpa"
    );
    assert_eq!(
        reverse_name_v4(Ipv4Addr::UNSPECIFIED).to_string(),
        "0.0.0.0.in-addr.arpa"
    );
    assert_eq!(
        reverse_name_v4(Ipv4Addr::BROADCAST).to_string(),
        "255.255.255.255.in-addr.arpa"
    );
    let one = reverse_name_v6(Ipv6Addr::LOCALHOST);
    assert_eq!(one.to_string(), format!("1.{}ip6.arpa", "0.".repeat(31)));
    assert_eq!(one.label_count(), 34);
    let all = reverse_name_v6(Ipv6Addr::from([0xfe; 16])).to_string();
    assert_eq!(all, format!("{}ip6.arpa", "e.f.".repeat(16)));
    // They go into a PTR query as is.
    let mut q = Message::new(Header {
        id: 5,
        flags: Flags::RD,
    });
    q.questions.push(Question::new(one.clone(), TYPE_PTR));
    assert_eq!(Message::parse(&q.encode(512).unwrap()).unwrap(), q);
}

#[test]
fn errors_display_and_are_errors() {
    let e: Box<dyn std::error::Error> = Box::new(WireError::BadRdata { rtype: 1, len: 5 });
    assert_eq!(
        e.to_string(),
        "record data of 5 bytes is malformed for type 1"
    );
    assert_eq!(
        WireError::BadLabelType(0x40).to_string(),
        "DNS label type 0x40 is not allowed"
    );
}

/// Random bytes never panic the parser; whatever parses round-trips.
#[test]
fn random_bytes_never_panic_and_round_trip() {
    let mut rng = Rng::new(0x5eed_d115);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = rng.below(300) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        // Small counts make whole messages likely enough to matter.
        if data.len() >= 12 && rng.below(2) == 0 {
            for i in (4..12).step_by(2) {
                data[i] = 0;
                data[i + 1] = rng.below(3) as u8;
            }
        }
        if dns_check::check(&data) {
            parsed += 1;
        }
    }
    assert!(parsed > 100, "only {parsed} random messages parsed");
}

/// Mutations of real messages: most stay close to valid, so the deep
/// paths (pointers, rdata names, truncation) see damaged input.
#[test]
fn mutated_messages_never_panic_and_round_trip() {
    let mut rng = Rng::new(42);
    let seeds = [full_message().encode(512).unwrap(), {
        let mut body = Q_EXAMPLE.to_vec();
        body.extend_from_slice(b"\xc0\x0c");
        body.extend_from_slice(&rr(TYPE_CNAME, 6));
        body.extend_from_slice(b"\x03www\xc0\x0c");
        packet([1, 1, 0, 0], &body)
    }];
    let mut parsed = 0;
    for i in 0..20_000 {
        let mut data = seeds[i % seeds.len()].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(data.len() as u64) as usize;
            match rng.below(4) {
                0 => data[at] = rng.next_u64() as u8,
                1 => data[at] ^= 1 << rng.below(8),
                2 => data.truncate(at),
                _ => data.insert(at, rng.next_u64() as u8),
            }
            if data.is_empty() {
                break;
            }
        }
        if dns_check::check(&data) {
            parsed += 1;
        }
    }
    assert!(parsed > 1000, "only {parsed} mutated messages parsed");
}
