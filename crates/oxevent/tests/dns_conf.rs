//! `oxevent::dns`: resolv.conf and hosts files as libevent 2.1.12 reads
//! them. Where a case names Debian's 2.1.12, the expected value is what that
//! library did with the same input (a C probe through
//! `evdns_base_resolv_conf_parse`, `evdns_base_count_nameservers` and
//! `evdns_base_get_nameserver_addr`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxevent::dns::hosts::{Family, Hosts};
use oxevent::dns::resolv_conf::*;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn strings(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|s| s.to_string()).collect())
}

fn reasons(conf: &ResolvConf) -> Vec<(usize, Reason)> {
    conf.warnings
        .iter()
        .map(|w| (w.line, w.reason.clone()))
        .collect()
}

/// A file in the temp directory, unique per test and process, removed on
/// drop (tests run in parallel).
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, content: &[u8]) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "oxevent-dns-conf-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------
// resolv.conf keywords
// ---------------------------------------------------------------------------

#[test]
fn every_keyword() {
    let conf = parse_resolv_conf(
        b"nameserver 192.0.2.1\n\
          nameserver 2001:db8::53\n\
          domain first.example\n\
          search a.example b.example c.example\n\
          options ndots:3 timeout:2.5 attempts:4 max-timeouts:7 max-inflight:100 \
          randomize-case:0 bind-to:192.0.2.99 initial-probe-timeout:12 \
          getaddrinfo-allow-skew:0.5 so-rcvbuf:65536 so-sndbuf:32768\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(
        conf.nameservers,
        [sa("192.0.2.1:53"), sa("[2001:db8::53]:53")]
    );
    assert_eq!(
        conf.search,
        strings(&["a.example", "b.example", "c.example"])
    );
    assert_eq!(conf.ndots, Some(3));
    assert!(!conf.search_from_hostname);
    assert!(conf.load_hosts);
    assert_eq!(
        conf.options,
        [
            DnsOption::Ndots(3),
            DnsOption::Timeout(Duration::from_millis(2500)),
            DnsOption::Attempts(4),
            DnsOption::MaxTimeouts(7),
            DnsOption::MaxInflight(100),
            DnsOption::RandomizeCase(false),
            DnsOption::BindTo(sa("192.0.2.99:0")),
            DnsOption::InitialProbeTimeout(Duration::from_secs(12)),
            DnsOption::GetaddrinfoAllowSkew(Duration::from_millis(500)),
            DnsOption::SoRcvbuf(65536),
            DnsOption::SoSndbuf(32768),
        ]
    );
    assert!(conf.warnings.is_empty(), "{:?}", conf.warnings);
    assert_eq!(conf.code(), 0);
    // Every name the list holds parses, with or without its colon.
    for name in OPTION_NAMES {
        let v = if name == "bind-to:" { "127.0.0.1" } else { "1" };
        assert_eq!(parse_option(name, v).unwrap().name(), name);
        assert_eq!(
            parse_option(name.trim_end_matches(':'), v).unwrap().name(),
            name
        );
    }
}

#[test]
fn domain_and_search_replace_each_other_and_reset_ndots() {
    let conf = parse_resolv_conf(
        b"search a.example b.example\noptions ndots:4\ndomain ..c.example extra words\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(conf.search, strings(&["c.example"]));
    assert_eq!(conf.ndots, None); // the domain line made a new search state
    assert_eq!(conf.options, [DnsOption::Ndots(4)]); // it was applied, then reset

    let conf = parse_resolv_conf(b"domain a.example\nsearch .b.example\n", DNS_OPTIONS_ALL);
    assert_eq!(conf.search, strings(&["b.example"]));
}

#[test]
fn bare_search_empties_the_list_and_falls_back_to_the_host_name() {
    let mut conf = parse_resolv_conf(b"search x.example\nsearch\n", DNS_OPTIONS_ALL);
    assert_eq!(conf.search, Some(vec![]));
    assert!(conf.search_from_hostname);
    conf.apply_hostname(Some("box.lab.example"));
    assert_eq!(conf.search, strings(&["lab.example"]));
    assert!(!conf.search_from_hostname);

    let mut conf = parse_resolv_conf(b"", DNS_OPTION_SEARCH);
    conf.apply_hostname(Some("nodots"));
    assert_eq!(conf.search, Some(vec![]));
    let mut conf = parse_resolv_conf(b"", DNS_OPTION_SEARCH);
    conf.apply_hostname(None); // gethostname failed
    assert_eq!(conf.search, Some(vec![]));
    assert_eq!(hostname_domain("a."), Some(""));
    assert_eq!(hostname_domain("a..b"), Some("b"));
}

#[test]
fn comments_blank_lines_tabs_and_unknown_keywords() {
    let conf = parse_resolv_conf(
        b"# comment\n; also a comment\n\n   \n\t nameserver\t192.0.2.1  \t\n\
          sortlist 10.0.0.0/8\nNAMESERVER 192.0.2.2\nrotate\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(conf.nameservers, [sa("192.0.2.1:53")]);
    assert_eq!(
        reasons(&conf),
        [
            (6, Reason::UnknownKeyword),
            (7, Reason::UnknownKeyword), // keywords are case-sensitive
            (8, Reason::UnknownKeyword),
        ]
    );
    assert_eq!(conf.warnings[0].text, "sortlist 10.0.0.0/8");
}

#[test]
fn no_trailing_comments_as_libevent() {
    let conf = parse_resolv_conf(b"search a.example # note\n", DNS_OPTIONS_ALL);
    assert_eq!(conf.search, strings(&["a.example", "#", "note"]));
    assert_eq!(reasons(&conf), [(1, Reason::CommentWord)]);
    // After a nameserver address, extra words are ignored anyway.
    let conf = parse_resolv_conf(b"nameserver 192.0.2.1 # main\n", DNS_OPTIONS_ALL);
    assert_eq!(conf.nameservers, [sa("192.0.2.1:53")]);
    assert!(conf.warnings.is_empty());
}

#[test]
fn crlf_lines_as_debian_2_1_12() {
    // Debian's 2.1.12: "Unable to parse nameserver address 10.0.0.1", one
    // nameserver (10.0.0.2), return 0.
    let conf = parse_resolv_conf(
        b"nameserver 10.0.0.1\r\nsearch a.com\r\nnameserver 10.0.0.2\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(conf.nameservers, [sa("10.0.0.2:53")]);
    assert_eq!(conf.search, strings(&["a.com\r"]));
    assert_eq!(
        reasons(&conf),
        [
            (1, Reason::BadAddress),
            (1, Reason::CarriageReturn),
            (2, Reason::CarriageReturn),
        ]
    );
    assert_eq!(conf.code(), 0);
}

#[test]
fn garbage_and_invalid_utf8_lines_are_skipped_with_warnings() {
    let conf = parse_resolv_conf(
        b"\xff\xfe garbage\nnameserver \xc3\x28\nsearch ok.example bad\xffname\n\
          options ndots:\xff timeout:x attempts:-1 bind-to:nowhere frobnicate:1\n\
          nameserver 192.0.2.8\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(conf.nameservers, [sa("192.0.2.8:53")]);
    assert_eq!(conf.search, strings(&["ok.example"]));
    let r = reasons(&conf);
    assert_eq!(r[0], (1, Reason::UnknownKeyword));
    assert_eq!(r[1], (2, Reason::BadAddress));
    assert_eq!(r[2], (3, Reason::NotUtf8));
    assert!(matches!(
        r[3],
        (4, Reason::BadOptionValue(OptionError::NotAnInteger(_)))
    ));
    assert!(matches!(
        r[4],
        (4, Reason::BadOptionValue(OptionError::BadSeconds(_)))
    ));
    assert!(matches!(
        r[5],
        (4, Reason::BadOptionValue(OptionError::NotAnInteger(_)))
    ));
    assert!(matches!(
        r[6],
        (4, Reason::BadOptionValue(OptionError::BadAddress(_)))
    ));
    assert_eq!(r[7], (4, Reason::UnknownOption));
    assert_eq!(r.len(), 8);
    assert!(conf.warnings[0].text.starts_with('\u{fffd}'));
    // Each warning prints as one log line.
    assert!(conf.warnings[2].to_string().starts_with("line 3: "));
}

#[test]
fn a_nul_byte_ends_the_file() {
    let conf = parse_resolv_conf(
        b"nameserver 192.0.2.1\nna\0meserver 192.0.2.2\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(conf.nameservers, [sa("192.0.2.1:53")]);
    assert_eq!(
        reasons(&conf),
        [(2, Reason::UnknownKeyword), (2, Reason::NulByte)]
    );
}

#[test]
fn duplicates_ports_and_ipv6_as_debian_2_1_12() {
    // The same file through Debian's 2.1.12 added these seven servers.
    let conf = parse_resolv_conf(
        b"nameserver 10.0.0.1\nnameserver 10.0.0.1\nnameserver 10.0.0.2:53\n\
          nameserver 10.0.0.3\nnameserver [::1]:5353\nnameserver ::2\n\
          nameserver 1.2.3.4:53x\nnameserver 1.2.3.4:4294967349\nnameserver [::3]junk\n\
          options ndots:3 timeout:0.5 attempts:-5 bogus max-inflight:0 ndots\n",
        DNS_OPTIONS_ALL,
    );
    assert_eq!(
        conf.nameservers,
        [
            sa("10.0.0.1:53"),
            sa("10.0.0.2:53"),
            sa("10.0.0.3:53"),
            sa("[::1]:5353"),
            sa("[::2]:53"),
            sa("1.2.3.4:53"),
            sa("[::3]:53"),
        ]
    );
    // libevent logged: ndots 3, timeout 0.5, retries -5, inflight 1, ndots 0.
    assert_eq!(
        conf.options,
        [
            DnsOption::Ndots(3),
            DnsOption::Timeout(Duration::from_millis(500)),
            DnsOption::Attempts(-5),
            DnsOption::MaxInflight(1),
            DnsOption::Ndots(0),
        ]
    );
    assert_eq!(conf.ndots, Some(0));
    assert_eq!(
        reasons(&conf),
        [
            (2, Reason::DuplicateNameserver),
            (8, Reason::DuplicateNameserver),
            (10, Reason::UnknownOption),
        ]
    );
    // Every nameserver has a port.
    assert!(conf.nameservers.iter().all(|s| s.port() != 0));
}

#[test]
fn nameserver_address_forms() {
    assert_eq!(parse_nameserver_addr("1.2.3.4:53"), Some(sa("1.2.3.4:53")));
    assert_eq!(parse_nameserver_addr("[::1]:53"), Some(sa("[::1]:53")));
    assert_eq!(parse_nameserver_addr("[::1]"), Some(sa("[::1]:53")));
    assert_eq!(
        parse_nameserver_addr("2001:db8::1"),
        Some(sa("[2001:db8::1]:53"))
    );
    assert_eq!(
        parse_nameserver_addr("2001:db8::1:53"),
        Some(sa("[2001:db8::1:53]:53"))
    );
    assert_eq!(parse_nameserver_addr("1.2.3.4:0"), None);
    assert_eq!(parse_nameserver_addr("localhost"), None);
    let conf = parse_resolv_conf(b"nameserver\nnameserver bogus\n", DNS_OPTION_NAMESERVERS);
    assert_eq!(
        reasons(&conf),
        [(1, Reason::MissingValue), (2, Reason::BadAddress)]
    );
}

// ---------------------------------------------------------------------------
// Flags and the default nameserver
// ---------------------------------------------------------------------------

#[test]
fn empty_file_gets_the_default_nameserver_and_code_6() {
    // Debian's 2.1.12 on a file holding only a comment: rc 6, 127.0.0.1:53.
    for text in [&b""[..], b"# nothing\n", b"search a.example\n"] {
        let conf = parse_resolv_conf(text, DNS_OPTIONS_ALL);
        assert_eq!(conf.nameservers, [DEFAULT_NAMESERVER]);
        assert!(conf.default_nameserver);
        assert_eq!(conf.code(), 6);
    }
    // With NAMESERVERS_NO_DEFAULT: nothing added, rc 0.
    let conf = parse_resolv_conf(
        b"# nothing\n",
        DNS_OPTIONS_ALL | DNS_OPTION_NAMESERVERS_NO_DEFAULT,
    );
    assert!(conf.nameservers.is_empty());
    assert_eq!(conf.code(), 0);
    // Without NAMESERVERS: nothing added either.
    let conf = parse_resolv_conf(b"", DNS_OPTION_SEARCH | DNS_OPTION_MISC);
    assert!(conf.nameservers.is_empty());
    assert_eq!(conf.code(), 0);
    // A file whose only nameserver is refused still gets the default.
    let conf = parse_resolv_conf(b"nameserver 10.0.0.1\r\n", DNS_OPTIONS_ALL);
    assert_eq!(
        (conf.code(), conf.nameservers),
        (6, vec![DEFAULT_NAMESERVER])
    );
}

#[test]
fn flags_mask_what_is_read() {
    let text = b"nameserver 192.0.2.1\nsearch s.example\n\
                 options ndots:2 timeout:3 bind-to:192.0.2.50\n";
    let only_search = parse_resolv_conf(text, DNS_OPTION_SEARCH);
    assert!(only_search.nameservers.is_empty());
    assert_eq!(only_search.search, strings(&["s.example"]));
    assert_eq!(only_search.ndots, Some(2));
    assert_eq!(only_search.options, [DnsOption::Ndots(2)]);
    assert!(!only_search.load_hosts);
    assert!(only_search.warnings.is_empty());

    let only_ns = parse_resolv_conf(text, DNS_OPTION_NAMESERVERS);
    assert_eq!(only_ns.nameservers, [sa("192.0.2.1:53")]);
    assert_eq!(only_ns.search, None);
    assert!(!only_ns.search_from_hostname);
    assert_eq!(only_ns.ndots, None);
    assert_eq!(only_ns.options, [DnsOption::BindTo(sa("192.0.2.50:0"))]);

    let only_misc = parse_resolv_conf(text, DNS_OPTION_MISC);
    assert!(only_misc.nameservers.is_empty());
    assert_eq!(only_misc.search, None);
    assert_eq!(
        only_misc.options,
        [DnsOption::Timeout(Duration::from_secs(3))]
    );

    let hosts_only = parse_resolv_conf(text, DNS_OPTION_HOSTSFILE);
    assert!(hosts_only.load_hosts);
    assert!(hosts_only.nameservers.is_empty() && hosts_only.options.is_empty());
    // A bad value is reported whatever the flags (libevent validates first).
    let conf = parse_resolv_conf(b"options timeout:x\n", 0);
    assert_eq!(conf.warnings.len(), 1);
}

#[test]
fn missing_file_defaults() {
    let conf = ResolvConf::missing_file(DNS_OPTIONS_ALL);
    assert_eq!(conf.nameservers, [DEFAULT_NAMESERVER]);
    assert!(conf.search_from_hostname && conf.load_hosts);
    // Debian's 2.1.12: missing file with NAMESERVERS|NO_DEFAULT: rc 1, none.
    let conf = ResolvConf::missing_file(DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT);
    assert!(conf.nameservers.is_empty());
    assert!(!conf.search_from_hostname);
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

#[test]
fn read_errors_carry_libevents_codes() {
    let missing =
        std::env::temp_dir().join(format!("oxevent-dns-conf-missing-{}", std::process::id()));
    let err = read_resolv_conf(&missing, DNS_OPTIONS_ALL).unwrap_err();
    assert!(matches!(err, ConfError::Open(_)), "{err:?}");
    assert_eq!(err.code(), 1);
    // A directory opens but cannot be read: Debian's 2.1.12 returns 2.
    let err = read_resolv_conf(std::env::temp_dir(), DNS_OPTIONS_ALL).unwrap_err();
    assert!(matches!(err, ConfError::Read(_)), "{err:?}");
    assert_eq!(err.code(), 2);
    let io: std::io::Error = err.into();
    assert_eq!(io.raw_os_error(), Some(libc::EISDIR));
}

#[test]
fn read_a_file() {
    let f = TempFile::new("resolv", b"nameserver 192.0.2.1\nsearch x.example\n");
    let conf = read_resolv_conf(&f.0, DNS_OPTIONS_ALL).unwrap();
    assert_eq!(conf.nameservers, [sa("192.0.2.1:53")]);
    assert_eq!(conf.search, strings(&["x.example"]));
}

#[test]
fn no_size_limit_in_2_1_12() {
    // 2.1.12 reads resolv.conf whole (evutil_read_file_); the 65535-byte
    // limit was 2.0's. A 200 kB file with its nameserver at the end works.
    let mut text = Vec::new();
    while text.len() < 200_000 {
        text.extend_from_slice(b"# padding padding padding padding padding padding\n");
    }
    text.extend_from_slice(b"nameserver 192.0.2.77\n");
    let f = TempFile::new("large", &text);
    let conf = read_resolv_conf(&f.0, DNS_OPTIONS_ALL).unwrap();
    assert_eq!(conf.nameservers, [sa("192.0.2.77:53")]);
    assert_eq!(conf.code(), 0);
}

// ---------------------------------------------------------------------------
// Options through evdns_base_set_option
// ---------------------------------------------------------------------------

#[test]
fn set_option_validation() {
    use DnsOption::*;
    assert_eq!(
        parse_option("timeout", "0.001"),
        Ok(Timeout(Duration::from_millis(1)))
    );
    assert!(parse_option("timeout", "0.0009").is_err());
    assert!(parse_option("getaddrinfo-allow-skew", "-1").is_err());
    assert_eq!(parse_option("max-timeouts:", "-3"), Ok(MaxTimeouts(1)));
    assert_eq!(
        parse_option("max-inflight", "65000"),
        Ok(MaxInflight(65000))
    );
    assert_eq!(parse_option("attempts", "0"), Ok(Attempts(0)));
    assert_eq!(parse_option("randomize-case", "1"), Ok(RandomizeCase(true)));
    assert_eq!(
        parse_option("initial-probe-timeout", "3601"),
        Ok(InitialProbeTimeout(Duration::from_secs(3600)))
    );
    assert!(parse_option("bind-to", "").is_err());
    assert_eq!(parse_option("so-rcvbuf", "0"), Ok(SoRcvbuf(0)));
    // Options of later libevent versions are unknown to 2.1.12.
    for later in [
        "probe-backoff-factor",
        "max-probe-timeout",
        "edns-udp-size",
        "use-vc",
        "tcp-idle-timeout",
    ] {
        assert_eq!(parse_option(later, "2"), Ok(Unknown(later.to_string())));
    }
    assert_eq!(Timeout(Duration::ZERO).required_flag(), DNS_OPTION_MISC);
    assert_eq!(Ndots(1).required_flag(), DNS_OPTION_SEARCH);
    assert_eq!(
        BindTo(sa("0.0.0.0:0")).required_flag(),
        DNS_OPTION_NAMESERVERS
    );
}

// ---------------------------------------------------------------------------
// hosts
// ---------------------------------------------------------------------------

#[test]
fn hosts_lookups_aliases_and_case() {
    let h = Hosts::parse(
        b"# /etc/hosts\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost ip6-loopback\n\
          192.0.2.10  Server.Example.Org server   # the server\n\
          2001:db8::10 server.example.org\n",
    );
    assert_eq!(
        h.lookup("localhost", Family::Any),
        Some(vec![ip("127.0.0.1"), ip("::1")])
    );
    assert_eq!(h.lookup("ip6-loopback", Family::V6), Some(vec![ip("::1")]));
    assert_eq!(h.lookup("ip6-loopback", Family::V4), Some(vec![]));
    assert_eq!(
        h.lookup("SERVER.example.ORG", Family::Any),
        Some(vec![ip("192.0.2.10"), ip("2001:db8::10")])
    );
    assert_eq!(h.lookup("server", Family::V4), Some(vec![ip("192.0.2.10")]));
    assert_eq!(h.lookup("server.example.org.", Family::Any), None); // no dot folding
    assert_eq!(h.lookup("the", Family::Any), None); // after '#'
    assert_eq!(h.reverse(ip("2001:db8::10")), Some("server.example.org"));
    assert_eq!(h.reverse(ip("::1")), Some("localhost"));
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
}

#[test]
fn hosts_every_entry_answers_in_file_order() {
    // libevent's find_hosts_entry walks the whole list: not first-wins.
    let h = Hosts::parse(b"192.0.2.1 dup\n192.0.2.2 DUP\n192.0.2.1 dup\n");
    assert_eq!(
        h.lookup("dup", Family::V4),
        Some(vec![ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.1")])
    );
    assert_eq!(h.reverse(ip("192.0.2.2")), Some("DUP"));
}

#[test]
fn hosts_malformed_lines_are_skipped_with_warnings() {
    let h = Hosts::parse(
        b"300.1.1.1 toobig\n192.0.2.1:80 withport\n192.0.2.2\nfoo bar\n\
          192.0.2.3 ok \xff\xfe also\n192.0.2.4 tail\r\n\n  # indented comment\n",
    );
    let names: Vec<&str> = h.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["ok", "also", "tail\r"]);
    let r: Vec<(usize, Reason)> = h
        .warnings
        .iter()
        .map(|w| (w.line, w.reason.clone()))
        .collect();
    assert_eq!(
        r,
        [
            (1, Reason::BadAddress),
            (2, Reason::AddressWithPort),
            (3, Reason::NoNames),
            (4, Reason::BadAddress),
            (5, Reason::NotUtf8),
            (6, Reason::CarriageReturn),
        ]
    );
}

#[test]
fn hosts_files_and_fallback() {
    let f = TempFile::new("hosts", b"192.0.2.1 filehost\n");
    let mut h = Hosts::read(&f.0).unwrap();
    assert_eq!(
        h.lookup("filehost", Family::Any),
        Some(vec![ip("192.0.2.1")])
    );
    h.extend(Hosts::localhost());
    assert_eq!(h.entries().len(), 3);
    let missing = f.0.with_extension("missing");
    assert_eq!(
        Hosts::read(&missing).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    let l = Hosts::localhost();
    assert_eq!(
        l.lookup("LocalHost", Family::Any),
        Some(vec![ip("127.0.0.1"), ip("::1")])
    );
}
