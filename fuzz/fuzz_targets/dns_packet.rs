//! Arbitrary bytes through `oxevent::dns::wire`: `parse_header`,
//! `parse_query` and `Message::parse` never panic and agree; a message that
//! parses encodes, parses back equal up to name case, and the second round
//! trip is exact (the check is `crates/oxevent/tests/util/dns_check.rs`,
//! shared with `tests/dns_wire.rs`).
#![no_main]

#[path = "../../crates/oxevent/tests/util/dns_check.rs"]
mod dns_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dns_check::check(data);
});
