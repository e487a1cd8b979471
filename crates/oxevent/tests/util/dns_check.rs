//! The round-trip property of `oxevent::dns::wire`, shared by
//! `tests/dns_wire.rs` and the `dns_packet` fuzz target.
//!
//! For any bytes: `parse_header`, `parse_query` and `Message::parse` return
//! without panicking, and agree with each other. When the message parses, it
//! encodes (the limit is 65535 bytes; a message parsed from at most a few
//! kilobytes always fits), parses back equal up to the case of names
//! (compression matches names case-insensitively, so a later name takes an
//! earlier one's case), and that second message is a fixed point: it
//! encodes to the same bytes and parses back exactly equal.

use oxevent::dns::wire::{parse_header, parse_query, Flags, Message, MAX_MESSAGE_LEN};

/// Checks the property on `data`; returns whether `data` parsed as a
/// message.
pub fn check(data: &[u8]) -> bool {
    let header = parse_header(data);
    let query = parse_query(data);
    let parsed = Message::parse(data);
    match (&header, &query, &parsed) {
        (Ok((h, counts)), Ok(q), _) => {
            assert_eq!((*h, *counts), (q.header, q.counts));
        }
        (Ok(_), Err(_), Ok(_)) => panic!("questions refused but the message parsed"),
        (Err(_), Ok(_), _) | (Err(_), _, Ok(_)) => panic!("header refused but more parsed"),
        _ => {}
    }
    let Ok(m) = parsed else { return false };
    let q = query.expect("the message parsed, so its questions do");
    assert_eq!(q.header, m.header);
    assert_eq!(q.questions, m.questions);

    let once = m.encode(MAX_MESSAGE_LEN).expect("a parsed message encodes");
    let m1 = Message::parse(&once).expect("an encoded message parses");
    if !m.header.flags.contains(Flags::TC) {
        assert!(
            !m1.header.flags.contains(Flags::TC),
            "{} bytes in, {} bytes out: truncated",
            data.len(),
            once.len()
        );
    }
    assert!(
        m.eq_ignore_case(&m1),
        "round trip changed the message:\n{m:?}\n{m1:?}"
    );
    let twice = m1
        .encode(MAX_MESSAGE_LEN)
        .expect("a parsed message encodes");
    assert_eq!(once, twice, "the second encoding differs");
    assert_eq!(Message::parse(&twice).as_ref(), Ok(&m1));
    true
}
