//! The resolv.conf and hosts parsers and the `evdns_base_set_option`
//! validator on arbitrary bytes: no panic, every nameserver has a port,
//! every warning names a line of the input, and an address that parses
//! prints back to one that parses the same.
#![no_main]

use oxevent::dns::hosts::{Family, Hosts};
use oxevent::dns::resolv_conf::{
    parse_nameserver_addr, parse_option, parse_resolv_conf, DnsOption, DNS_OPTION_SEARCH,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let flags = u32::from(flags & 0x1f);
    // libevent's lines: split on '\n', up to the first NUL.
    let body = text.split(|&c| c == 0).next().unwrap_or(&[]);
    let lines = body.iter().filter(|&&c| c == b'\n').count() + 1;

    let conf = parse_resolv_conf(text, flags);
    for ns in &conf.nameservers {
        assert_ne!(ns.port(), 0);
        assert_eq!(parse_nameserver_addr(&ns.to_string()), Some(*ns));
    }
    for w in &conf.warnings {
        assert!(w.line >= 1 && w.line <= lines, "{w:?} with {lines} lines");
        let _ = w.to_string();
    }
    assert_eq!(conf.code() == 6, conf.default_nameserver);
    if flags & DNS_OPTION_SEARCH == 0 {
        assert!(conf.search.is_none() && conf.ndots.is_none());
    }
    for opt in &conf.options {
        assert!(!matches!(opt, DnsOption::Unknown(_)));
        assert_ne!(opt.required_flag() & flags, 0);
    }

    let hosts = Hosts::parse(text);
    for w in &hosts.warnings {
        assert!(w.line >= 1 && w.line <= lines);
    }
    for e in hosts.entries() {
        assert_eq!(e.addr.port(), 0);
        assert!(!e.name.is_empty() && !e.name.contains(['#', ' ', '\t', '\n']));
        let found = hosts.lookup(&e.name.to_ascii_uppercase(), Family::Any).unwrap();
        assert!(found.contains(&e.addr.ip()));
        assert!(hosts.reverse(e.addr.ip()).is_some());
    }

    // parse_option on the input split at its first ':' (or in the middle).
    let s = String::from_utf8_lossy(text);
    let cut = s.find(':').unwrap_or(s.len() / 2);
    let cut = (0..=cut).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    let (name, value) = s.split_at(cut);
    match parse_option(name, value.strip_prefix(':').unwrap_or(value)) {
        Ok(DnsOption::MaxTimeouts(n)) => assert!(n >= 1),
        Ok(DnsOption::MaxInflight(n)) => assert!((1..=65000).contains(&n)),
        Ok(DnsOption::Attempts(n)) => assert!(n <= 255 && n != -1),
        Ok(DnsOption::Ndots(n)) => assert_ne!(n, -1),
        Ok(DnsOption::Timeout(d)) | Ok(DnsOption::GetaddrinfoAllowSkew(d)) => {
            assert!(d.as_micros() >= 1000)
        }
        Ok(DnsOption::InitialProbeTimeout(d)) => {
            assert!(d.as_micros() >= 1000 && d.as_secs() <= 3600)
        }
        _ => {}
    }
});
