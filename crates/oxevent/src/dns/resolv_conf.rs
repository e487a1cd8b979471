//! `/etc/resolv.conf` as libevent 2.1.12's `evdns_base_resolv_conf_parse`
//! reads it, and the option validator of `evdns_base_set_option`.
//!
//! ```
//! use oxevent::dns::resolv_conf::{parse_resolv_conf, DnsOption, DNS_OPTIONS_ALL};
//! use std::time::Duration;
//!
//! let conf = parse_resolv_conf(
//!     b"# written by hand\nsearch example.com corp.example\nnameserver 192.0.2.53\n\
//!       nameserver [2001:db8::1]:5353\noptions ndots:2 timeout:1.5 rotate\n",
//!     DNS_OPTIONS_ALL,
//! );
//! assert_eq!(conf.nameservers, ["192.0.2.53:53".parse().unwrap(), "[2001:db8::1]:5353".parse().unwrap()]);
//! assert_eq!(conf.search.as_deref(), Some(&["example.com".to_string(), "corp.example".to_string()][..]));
//! assert_eq!(conf.ndots, Some(2));
//! assert_eq!(conf.options, [DnsOption::Ndots(2), DnsOption::Timeout(Duration::from_millis(1500))]);
//! assert_eq!(conf.warnings.len(), 1); // "rotate" is not an option libevent knows
//! assert_eq!(conf.code(), 0);
//! ```
//!
//! What this module owns: the reading of the file (bytes in, [`ResolvConf`]
//! out), the address syntax of `evutil_parse_sockaddr_port` (used by
//! `nameserver`, `bind-to:` and `evdns_base_nameserver_ip_add`), and the
//! validation of every option `evdns_base_set_option` knows. What it must
//! never do: apply anything to a resolver, call `gethostname`, open a
//! socket, or panic on any bytes. The caller applies the result (see the
//! fields of [`ResolvConf`] for the parts that depend on the resolver's
//! state).
//!
//! # Sources checked
//! - Debian's libevent 2.1.12 (`libevent-2.1-7 2.1.12-stable-8+deb12u1`),
//!   driven by a small C program through `evdns_base_resolv_conf_parse`,
//!   `evdns_base_set_option`, `evdns_base_nameserver_ip_add`,
//!   `evdns_base_count_nameservers` and `evdns_base_get_nameserver_addr`,
//!   with debug logging on (each accepted option logs "Setting …").
//! - The option names in that library's string table: `ndots:`, `timeout:`,
//!   `getaddrinfo-allow-skew:`, `max-timeouts:`, `max-inflight:`,
//!   `attempts:`, `randomize-case:`, `bind-to:`, `initial-probe-timeout:`,
//!   `so-rcvbuf:`, `so-sndbuf:`. Nothing else: `probe-backoff-factor:`,
//!   `max-probe-timeout:`, `edns-udp-size:`, `use-vc:`, `ignore-tc:` and
//!   `tcp-idle-timeout:` came after 2.1 (libevent's master branch).
//! - libevent's `evdns.c` (`resolv_conf_parse_line`,
//!   `evdns_base_set_option_impl`, `strtoint`, `evdns_strtotimeval`,
//!   `search_postfix_add`, `search_set_from_hostname`) and `evutil.c`
//!   (`evutil_read_file_`, `evutil_parse_sockaddr_port`) as stored in the
//!   public code index, and `include/event2/dns.h` (the flags and the
//!   documented return codes).
//!
//! # libevent behaviour kept on purpose
//! - A line is split on `'\n'` only, words on space and tab only. A CRLF
//!   file keeps the `'\r'` in the last word of each line: libevent then
//!   refuses `nameserver 192.0.2.1\r` (its address parser sees the `'\r'`)
//!   and keeps `search example.com\r` with the `'\r'`. Both are reported
//!   with a [`Reason::CarriageReturn`] warning.
//! - A NUL byte ends the file (libevent reads it as a C string).
//! - Keywords are case-sensitive; there are no trailing comments (`search a
//!   # b` searches `a`, `#` and `b`; reported as [`Reason::CommentWord`]);
//!   a line whose first word starts with `#` or `;` is a comment.
//! - `domain` and `search` replace the search list and reset `ndots` to 1
//!   (libevent makes a new search state); leading dots of each domain are
//!   dropped; extra words after `nameserver ADDR` or `domain NAME` are
//!   ignored.
//! - A nameserver already listed (same address and port; the IPv6 scope is
//!   not compared) is dropped, as `evdns_nameserver_add_impl_` drops it.
//! - Numbers are read as C's `strtol` does, then cut to `int`: leading
//!   white space and a sign are accepted, `"4294967297"` is 1, and `-1` is
//!   refused everywhere because it is `strtoint`'s error value. An empty
//!   value is 0 (`options ndots` sets ndots to 0).
//! - An unknown option name is accepted and ignored (`evdns_base_set_option`
//!   returns 0 for it): [`DnsOption::Unknown`].
//! - The file has no size limit: 2.1.12 reads it whole through
//!   `evutil_read_file_`, which folds every failure but `open` into one
//!   error. So [`ConfError::code`] is 1 or 2; codes 3 (too large), 4 (out of
//!   memory) and 5 (short read) are documented in `dns.h` but 2.1.12 never
//!   returns them (the 65535-byte limit was older releases').
//!   Code 6 is not an error: the file was read and the default nameserver
//!   added ([`ResolvConf::code`]).
//!
//! # Where this differs from libevent, and why
//! - Timeouts: libevent converts the seconds with a C `(int)` cast, which is
//!   undefined past `i32::MAX` (on x86-64 it gives a negative count, so
//!   `timeout:1e10`, `timeout:inf` and `timeout:nan` make every request time
//!   out at once). Here large values and `inf` saturate at `i32::MAX`
//!   seconds and `nan` is refused.
//! - IPv6 zones: libevent resolves `%eth0` with `if_nametoindex`; this
//!   parser is pure and accepts numeric zones only (`fe80::1%2`).
//! - Domains and host names that are not UTF-8 are skipped with
//!   [`Reason::NotUtf8`] (libevent keeps the raw bytes).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::time::Duration;

/// `DNS_OPTION_SEARCH`: read `domain`, `search` and `options ndots:`.
pub const DNS_OPTION_SEARCH: u32 = 1;
/// `DNS_OPTION_NAMESERVERS`: read `nameserver` and `options bind-to:`, and
/// add 127.0.0.1 when the file names no nameserver.
pub const DNS_OPTION_NAMESERVERS: u32 = 2;
/// `DNS_OPTION_MISC`: read the other `options`.
pub const DNS_OPTION_MISC: u32 = 4;
/// `DNS_OPTION_HOSTSFILE`: load `/etc/hosts` too (the caller does it; see
/// [`ResolvConf::load_hosts`]).
pub const DNS_OPTION_HOSTSFILE: u32 = 8;
/// `DNS_OPTIONS_ALL`: the four flags above.
pub const DNS_OPTIONS_ALL: u32 =
    DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE;
/// `DNS_OPTION_NAMESERVERS_NO_DEFAULT`: never add 127.0.0.1.
pub const DNS_OPTION_NAMESERVERS_NO_DEFAULT: u32 = 16;

/// The nameserver libevent falls back to: 127.0.0.1, port 53.
pub const DEFAULT_NAMESERVER: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 53));

/// The port a nameserver address without one gets.
pub const DNS_PORT: u16 = 53;

/// Why a line, or a word of one, was skipped (or kept against the reader's
/// likely intent). Shared by the resolv.conf and hosts parsers.
///
/// ```
/// use oxevent::dns::resolv_conf::{parse_resolv_conf, Reason, DNS_OPTIONS_ALL};
///
/// let conf = parse_resolv_conf(b"nameserver\nsortlist 10.0.0.0/8\n", DNS_OPTIONS_ALL);
/// assert_eq!(conf.warnings[0].reason, Reason::MissingValue);
/// assert_eq!(conf.warnings[1].reason, Reason::UnknownKeyword);
/// assert_eq!(conf.warnings[1].line, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// resolv.conf: the first word is not `nameserver`, `domain`, `search`
    /// or `options` (libevent also ignores `sortlist`, `rotate` …).
    UnknownKeyword,
    /// `nameserver` or `domain` with nothing after it.
    MissingValue,
    /// An address that `evutil_parse_sockaddr_port` refuses.
    BadAddress,
    /// A nameserver listed before (same address and port): dropped.
    DuplicateNameserver,
    /// An option name libevent 2.1.12 does not know: ignored.
    UnknownOption,
    /// An option whose value libevent refuses: ignored.
    BadOptionValue(OptionError),
    /// A domain or host name that is not UTF-8: skipped.
    NotUtf8,
    /// A search domain that starts with `#` or `;`: libevent has no
    /// trailing comments and keeps it as a domain.
    CommentWord,
    /// The line ends in `'\r'` (a CRLF file): libevent keeps the `'\r'` in
    /// the last word, which usually spoils it.
    CarriageReturn,
    /// hosts: the address carries a port (libevent skips the line).
    AddressWithPort,
    /// hosts: an address and no name.
    NoNames,
    /// A NUL byte: libevent reads the file as a C string, so the rest of
    /// the file is ignored.
    NulByte,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::UnknownKeyword => f.write_str("unknown keyword, line ignored"),
            Reason::MissingValue => f.write_str("keyword without a value, line ignored"),
            Reason::BadAddress => f.write_str("cannot parse the address, line ignored"),
            Reason::DuplicateNameserver => f.write_str("nameserver already listed, ignored"),
            Reason::UnknownOption => f.write_str("unknown option, ignored"),
            Reason::BadOptionValue(e) => write!(f, "option ignored: {e}"),
            Reason::NotUtf8 => f.write_str("name is not UTF-8, skipped"),
            Reason::CommentWord => f.write_str(
                "word starting with '#' or ';' taken as a domain (no trailing comments)",
            ),
            Reason::CarriageReturn => {
                f.write_str("line ends in a carriage return, kept in its last word")
            }
            Reason::AddressWithPort => f.write_str("address with a port, line ignored"),
            Reason::NoNames => f.write_str("address without a name"),
            Reason::NulByte => f.write_str("NUL byte: the rest of the file is ignored"),
        }
    }
}

/// One line the parser skipped in part or whole, for the caller to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Line number, from 1.
    pub line: usize,
    /// The line as text (invalid UTF-8 replaced by U+FFFD).
    pub text: String,
    /// What was wrong.
    pub reason: Reason,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {} ({:?})", self.line, self.reason, self.text)
    }
}

/// Why a file could not be read, with libevent's return code
/// ([`ConfError::code`]).
///
/// ```
/// use oxevent::dns::resolv_conf::{read_resolv_conf, ConfError, DNS_OPTIONS_ALL};
///
/// let err = read_resolv_conf("/nonexistent/resolv.conf", DNS_OPTIONS_ALL).unwrap_err();
/// assert!(matches!(err, ConfError::Open(_)));
/// assert_eq!(err.code(), 1);
/// ```
#[derive(Debug)]
pub enum ConfError {
    /// The file could not be opened (code 1). libevent then applies its
    /// defaults: [`ResolvConf::missing_file`].
    Open(io::Error),
    /// `fstat` failed (code 2).
    Stat(io::Error),
    /// A read failed, for example on a directory (code 2).
    Read(io::Error),
    /// No memory for this many bytes (code 2: 2.1.12 folds it in).
    OutOfMemory(u64),
}

impl ConfError {
    /// The value `evdns_base_resolv_conf_parse` returns for this failure in
    /// 2.1.12: 1 for a file that cannot be opened, 2 for everything else.
    pub fn code(&self) -> i32 {
        match self {
            ConfError::Open(_) => 1,
            ConfError::Stat(_) | ConfError::Read(_) | ConfError::OutOfMemory(_) => 2,
        }
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfError::Open(e) => write!(f, "cannot open the file: {e}"),
            ConfError::Stat(e) => write!(f, "cannot stat the file: {e}"),
            ConfError::Read(e) => write!(f, "cannot read the file: {e}"),
            ConfError::OutOfMemory(n) => write!(f, "out of memory reading {n} bytes"),
        }
    }
}

impl std::error::Error for ConfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfError::Open(e) | ConfError::Stat(e) | ConfError::Read(e) => Some(e),
            ConfError::OutOfMemory(_) => None,
        }
    }
}

impl From<ConfError> for io::Error {
    fn from(e: ConfError) -> io::Error {
        match e {
            ConfError::Open(e) | ConfError::Stat(e) | ConfError::Read(e) => e,
            ConfError::OutOfMemory(_) => io::Error::new(io::ErrorKind::OutOfMemory, e),
        }
    }
}

/// Why `evdns_base_set_option` refuses a value (it returns -1).
///
/// ```
/// use oxevent::dns::resolv_conf::{parse_option, OptionError};
///
/// assert_eq!(parse_option("ndots", "x"), Err(OptionError::NotAnInteger("x".into())));
/// assert_eq!(parse_option("timeout", "0.0001"), Err(OptionError::BadSeconds("0.0001".into())));
/// assert_eq!(parse_option("bind-to", "host"), Err(OptionError::BadAddress("host".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionError {
    /// Not a whole base-10 number (as `strtol` reads one), or -1.
    NotAnInteger(String),
    /// Not a number of seconds of at least 1 ms (as `strtod` reads one).
    BadSeconds(String),
    /// Not an address `evutil_parse_sockaddr_port` accepts.
    BadAddress(String),
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionError::NotAnInteger(v) => write!(f, "{v:?} is not an integer (or is -1)"),
            OptionError::BadSeconds(v) => write!(f, "{v:?} is not a duration of at least 1 ms"),
            OptionError::BadAddress(v) => write!(f, "{v:?} is not an address[:port]"),
        }
    }
}

impl std::error::Error for OptionError {}

/// One option of `evdns_base_set_option` (or of an `options` line), with
/// the value libevent 2.1.12 would store.
///
/// ```
/// use oxevent::dns::resolv_conf::{parse_option, DnsOption, DNS_OPTION_MISC};
/// use std::time::Duration;
///
/// let opt = parse_option("initial-probe-timeout:", "5000.5").unwrap();
/// assert_eq!(opt, DnsOption::InitialProbeTimeout(Duration::from_millis(3_600_500)));
/// assert_eq!(opt.name(), "initial-probe-timeout:");
/// assert_eq!(opt.required_flag(), DNS_OPTION_MISC);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsOption {
    /// `ndots:N`: names with at least N dots are tried as they are first.
    /// Any integer but -1, negative ones included (libevent stores them).
    Ndots(i32),
    /// `timeout:SECONDS`: how long to wait for a reply (fractions allowed).
    Timeout(Duration),
    /// `getaddrinfo-allow-skew:SECONDS`: how long `evdns_getaddrinfo` waits
    /// for the other address family once one has answered.
    GetaddrinfoAllowSkew(Duration),
    /// `max-timeouts:N`: timeouts in a row before a server is marked down,
    /// clipped to 1..=255.
    MaxTimeouts(u8),
    /// `max-inflight:N`: requests in flight at once, clipped to 1..=65000.
    MaxInflight(u16),
    /// `attempts:N`: transmissions of a request; at most 255, and any other
    /// integer but -1 is stored as given (negative ones included).
    Attempts(i32),
    /// `randomize-case:N`: the 0x20 hack, on when N is not 0.
    RandomizeCase(bool),
    /// `bind-to:ADDR[:PORT]`: local address for sockets made afterwards
    /// (port 0 when none is given).
    BindTo(SocketAddr),
    /// `initial-probe-timeout:SECONDS`: first wait before probing a server
    /// that went down; whole seconds clipped at 3600 (the fraction is kept,
    /// as libevent keeps `tv_usec`).
    InitialProbeTimeout(Duration),
    /// `so-rcvbuf:N`: `SO_RCVBUF` for new sockets (0: leave it).
    SoRcvbuf(i32),
    /// `so-sndbuf:N`: `SO_SNDBUF` for new sockets (0: leave it).
    SoSndbuf(i32),
    /// A name libevent 2.1.12 does not know: accepted and ignored
    /// (`evdns_base_set_option` returns 0). Holds the name as given.
    Unknown(String),
}

/// The option names of 2.1.12, each with its colon, in the order libevent
/// tests them.
pub const OPTION_NAMES: [&str; 11] = [
    "ndots:",
    "timeout:",
    "getaddrinfo-allow-skew:",
    "max-timeouts:",
    "max-inflight:",
    "attempts:",
    "randomize-case:",
    "bind-to:",
    "initial-probe-timeout:",
    "so-rcvbuf:",
    "so-sndbuf:",
];

impl DnsOption {
    /// The option's name, with its colon (`""` for [`DnsOption::Unknown`]).
    pub fn name(&self) -> &'static str {
        match self {
            DnsOption::Ndots(_) => "ndots:",
            DnsOption::Timeout(_) => "timeout:",
            DnsOption::GetaddrinfoAllowSkew(_) => "getaddrinfo-allow-skew:",
            DnsOption::MaxTimeouts(_) => "max-timeouts:",
            DnsOption::MaxInflight(_) => "max-inflight:",
            DnsOption::Attempts(_) => "attempts:",
            DnsOption::RandomizeCase(_) => "randomize-case:",
            DnsOption::BindTo(_) => "bind-to:",
            DnsOption::InitialProbeTimeout(_) => "initial-probe-timeout:",
            DnsOption::SoRcvbuf(_) => "so-rcvbuf:",
            DnsOption::SoSndbuf(_) => "so-sndbuf:",
            DnsOption::Unknown(_) => "",
        }
    }

    /// The `DNS_OPTION_*` flag an `options` line needs for libevent to apply
    /// this option: SEARCH for `ndots:`, NAMESERVERS for `bind-to:`, MISC
    /// for the others (0 for [`DnsOption::Unknown`]).
    /// `evdns_base_set_option` passes all flags, so it applies every one.
    pub fn required_flag(&self) -> u32 {
        match self {
            DnsOption::Ndots(_) => DNS_OPTION_SEARCH,
            DnsOption::BindTo(_) => DNS_OPTION_NAMESERVERS,
            DnsOption::Unknown(_) => 0,
            _ => DNS_OPTION_MISC,
        }
    }
}

/// Validates one option as `evdns_base_set_option(base, name, value)` does
/// in 2.1.12 and returns the value libevent would store.
///
/// `name` may end with a colon or not (`"ndots"`, `"ndots:"`); like
/// libevent, a longer name that starts with a known name and its colon
/// (`"ndots:junk"`) also matches it. An unknown name is
/// `Ok(DnsOption::Unknown)`, because libevent returns 0 for it. `Err` is
/// libevent's -1.
///
/// ```
/// use oxevent::dns::resolv_conf::{parse_option, DnsOption};
///
/// assert_eq!(parse_option("max-inflight", "0"), Ok(DnsOption::MaxInflight(1)));
/// assert_eq!(parse_option("attempts:", "300"), Ok(DnsOption::Attempts(255)));
/// assert_eq!(parse_option("rotate", ""), Ok(DnsOption::Unknown("rotate".into())));
/// assert!(parse_option("ndots", "-1").is_err()); // strtoint's error value
/// ```
pub fn parse_option(name: &str, value: &str) -> Result<DnsOption, OptionError> {
    let Some(known) = OPTION_NAMES
        .iter()
        .copied()
        .find(|known| option_name_matches(name.as_bytes(), known.as_bytes()))
    else {
        return Ok(DnsOption::Unknown(name.to_string()));
    };
    let int = || strtoint(value).ok_or_else(|| OptionError::NotAnInteger(value.to_string()));
    let secs = || strtotimeval(value).ok_or_else(|| OptionError::BadSeconds(value.to_string()));
    Ok(match known {
        "ndots:" => DnsOption::Ndots(int()?),
        "timeout:" => DnsOption::Timeout(secs()?),
        "getaddrinfo-allow-skew:" => DnsOption::GetaddrinfoAllowSkew(secs()?),
        "max-timeouts:" => DnsOption::MaxTimeouts(clip(int()?, 1, 255)),
        "max-inflight:" => DnsOption::MaxInflight(clip(int()?, 1, 65000)),
        "attempts:" => DnsOption::Attempts(int()?.min(255)),
        "randomize-case:" => DnsOption::RandomizeCase(int()? != 0),
        "bind-to:" => DnsOption::BindTo(
            parse_sockaddr_port(value.as_bytes())
                .ok_or_else(|| OptionError::BadAddress(value.to_string()))?,
        ),
        "initial-probe-timeout:" => {
            let d = secs()?;
            if d.as_secs() > 3600 {
                DnsOption::InitialProbeTimeout(Duration::new(3600, d.subsec_nanos()))
            } else {
                DnsOption::InitialProbeTimeout(d)
            }
        }
        "so-rcvbuf:" => DnsOption::SoRcvbuf(int()?),
        _ => DnsOption::SoSndbuf(int()?),
    })
}

/// libevent's `str_matches_option`: `known` ends with a colon; `given`
/// matches it whole, without the colon, or as a longer string starting
/// with all of `known`.
fn option_name_matches(given: &[u8], known: &[u8]) -> bool {
    if given.len() == known.len() || given.len() + 1 == known.len() {
        known.starts_with(given)
    } else {
        given.len() > known.len() && given.starts_with(known)
    }
}

/// `strtoint_clipped`'s clipping, into the narrower type the value fits.
fn clip<T: TryFrom<i32> + Copy>(v: i32, lo: T, hi: T) -> T
where
    i32: From<T>,
{
    if v < i32::from(lo) {
        lo
    } else if v > i32::from(hi) {
        hi
    } else {
        T::try_from(v).unwrap_or(hi)
    }
}

// ---------------------------------------------------------------------------
// Numbers as the C library reads them
// ---------------------------------------------------------------------------

/// C-locale `isspace`.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `strtol(s, &end, 10)`: the value (saturated at the `long` range) and
/// the bytes consumed (0 when there are no digits: `end == s`).
fn c_strtol(s: &[u8]) -> (i64, usize) {
    let mut i = s.iter().take_while(|&&c| is_c_space(c)).count();
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return (0, 0);
    }
    // Accumulate negatively so that i64::MIN is reachable; saturate.
    let mut v: i64 = 0;
    for &d in &s[i..i + digits] {
        let d = i64::from(d - b'0');
        v = v.saturating_mul(10).saturating_sub(d);
    }
    let v = if negative {
        v
    } else {
        v.checked_neg().unwrap_or(i64::MAX)
    };
    (v, i + digits)
}

/// `strtoul(s, &end, 10)`, as `scanf("%u")` uses it: the value (a minus
/// sign negates modulo 2^64, overflow gives `ULONG_MAX`) and bytes consumed.
fn c_strtoul(s: &[u8]) -> (u64, usize) {
    let mut i = s.iter().take_while(|&&c| is_c_space(c)).count();
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return (0, 0);
    }
    let magnitude = s[i..i + digits].iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    let v = match magnitude {
        None => u64::MAX,
        Some(m) if negative => m.wrapping_neg(),
        Some(m) => m,
    };
    (v, i + digits)
}

/// `atoi`, which glibc defines as `(int) strtol(s, NULL, 10)`.
fn c_atoi(s: &[u8]) -> i32 {
    // The cut to 32 bits is libevent's: port "4294967349" is port 53.
    c_strtol(s).0 as i32
}

/// libevent's `strtoint`: the whole string must be a number (an empty one is
/// 0, as `strtol` leaves `end` on the terminating NUL), cut to `int`; -1 is
/// the error value.
fn strtoint(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let (v, used) = c_strtol(b);
    if used != b.len() {
        return None;
    }
    let v = v as i32;
    (v != -1).then_some(v)
}

/// libevent's `evdns_strtotimeval`: the whole string a `strtod` number,
/// not negative, and at least 1 ms once cut to whole microseconds.
fn strtotimeval(s: &str) -> Option<Duration> {
    let d = c_strtod_whole(s)?;
    if d.is_nan() || d < 0.0 {
        return None;
    }
    // See the module docs: saturate where libevent's (int) cast is undefined.
    if d >= f64::from(i32::MAX) {
        return Some(Duration::from_secs(i32::MAX as u64));
    }
    let secs = d.trunc();
    let micros = ((d - secs) * 1_000_000.0) as u32;
    if secs == 0.0 && micros < 1000 {
        return None;
    }
    Some(Duration::new(secs as u64, micros.min(999_999) * 1000))
}

/// `strtod` over the whole string (after leading white space): decimal and
/// hexadecimal forms, `inf`, `infinity`, `nan`. `None` when a byte is left.
fn c_strtod_whole(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    if t.is_empty() {
        // strtod converts nothing and leaves `end` on the NUL: 0.
        return (s.is_empty()).then_some(0.0);
    }
    let (negative, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        // Rust's grammar is strtod's decimal one, plus the sign handled
        // above; refuse a second sign, which Rust would otherwise read.
        if body.starts_with(['+', '-']) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The part of a C hexadecimal float after `0x`: digits, an optional point
/// and digits (at least one digit in all), an optional `p` exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mantissa = 0f64;
    let mut digits = 0;
    let mut scale = 0i32;
    while i < b.len() && b[i].is_ascii_hexdigit() {
        mantissa = mantissa * 16.0 + f64::from((b[i] as char).to_digit(16)?);
        digits += 1;
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            mantissa = mantissa * 16.0 + f64::from((b[i] as char).to_digit(16)?);
            digits += 1;
            scale = scale.saturating_sub(4);
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && matches!(b[i], b'p' | b'P') {
        let (e, used) = c_strtol(&b[i + 1..]);
        if used == 0 || b[i + 1..].first().is_some_and(|&c| is_c_space(c)) {
            return None;
        }
        scale = scale.saturating_add(e.clamp(-100_000, 100_000) as i32);
        i += 1 + used;
    }
    (i == b.len()).then(|| mantissa * 2f64.powi(scale))
}

// ---------------------------------------------------------------------------
// Addresses, as evutil_parse_sockaddr_port reads them
// ---------------------------------------------------------------------------

/// libevent copies the address part into a 128-byte buffer first.
const ADDR_PART_MAX: usize = 127;

/// An address as libevent's `evutil_parse_sockaddr_port` reads it:
/// `IPv4`, `IPv4:PORT`, `IPv6`, `[IPv6]`, `[IPv6]:PORT`. Without a port the
/// result has port 0. libevent's own address syntax, not the C library's:
/// `" 1.2.3.4"` and `"1::2:"` are accepted, the port is read with `atoi`
/// (`":53junk"` is 53) and must be 1..=65535, and anything after `]` that
/// does not start with `:` is ignored.
///
/// ```
/// use oxevent::dns::resolv_conf::parse_sockaddr_port;
///
/// assert_eq!(parse_sockaddr_port(b"192.0.2.1"), Some("192.0.2.1:0".parse().unwrap()));
/// assert_eq!(parse_sockaddr_port(b"[::1]:853"), Some("[::1]:853".parse().unwrap()));
/// assert_eq!(parse_sockaddr_port(b"192.0.2.1:0"), None);
/// ```
pub fn parse_sockaddr_port(s: &[u8]) -> Option<SocketAddr> {
    let first_colon = s.iter().position(|&c| c == b':');
    let (addr, port_text, is_v6) = if s.first() == Some(&b'[') {
        let close = s.iter().position(|&c| c == b']')?;
        let addr = &s[1..close];
        if addr.len() > ADDR_PART_MAX {
            return None;
        }
        let port = (s.get(close + 1) == Some(&b':')).then(|| &s[close + 2..]);
        (addr, port, true)
    } else if let Some(c) = first_colon {
        if s[c + 1..].contains(&b':') {
            (s, None, true)
        } else {
            if c > ADDR_PART_MAX {
                return None;
            }
            (&s[..c], Some(&s[c + 1..]), false)
        }
    } else {
        (s, None, false)
    };
    let port = match port_text {
        None => 0,
        Some(text) => u16::try_from(c_atoi(text)).ok().filter(|&p| p != 0)?,
    };
    if is_v6 {
        let (addr, scope) = split_numeric_zone(addr)?;
        let ip = parse_ipv6(addr)?;
        Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)))
    } else {
        Some(SocketAddr::V4(SocketAddrV4::new(parse_ipv4(addr)?, port)))
    }
}

/// A nameserver address as `evdns_base_nameserver_ip_add` (and a
/// `nameserver` line) takes it: [`parse_sockaddr_port`], with port 53 when
/// none is given.
///
/// ```
/// use oxevent::dns::resolv_conf::parse_nameserver_addr;
///
/// assert_eq!(parse_nameserver_addr("192.0.2.1"), Some("192.0.2.1:53".parse().unwrap()));
/// assert_eq!(parse_nameserver_addr("1.2.3.4:5353"), Some("1.2.3.4:5353".parse().unwrap()));
/// assert_eq!(parse_nameserver_addr("::1"), Some("[::1]:53".parse().unwrap()));
/// assert_eq!(parse_nameserver_addr("[2001:db8::2]:54"), Some("[2001:db8::2]:54".parse().unwrap()));
/// assert_eq!(parse_nameserver_addr("ns.example"), None);
/// ```
pub fn parse_nameserver_addr(s: &str) -> Option<SocketAddr> {
    parse_nameserver_bytes(s.as_bytes())
}

fn parse_nameserver_bytes(s: &[u8]) -> Option<SocketAddr> {
    let mut sa = parse_sockaddr_port(s)?;
    if sa.port() == 0 {
        sa.set_port(DNS_PORT);
    }
    Some(sa)
}

/// `"addr%zone"` with a numeric zone (`strtoul` over the whole zone, cut
/// to 32 bits). Interface names need `if_nametoindex`: refused here.
fn split_numeric_zone(text: &[u8]) -> Option<(&[u8], u32)> {
    let Some(pct) = text.iter().position(|&c| c == b'%') else {
        return Some((text, 0));
    };
    let zone = &text[pct + 1..];
    let (value, used) = c_strtoul(zone);
    (used == zone.len()).then_some((&text[..pct], value as u32))
}

/// IPv4 as libevent's `sscanf(s, "%u.%u.%u.%u%c") == 4`, each part ≤ 255.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut pos = 0;
    for (k, byte) in out.iter_mut().enumerate() {
        if k > 0 {
            if s.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let (value, used) = c_strtoul(&s[pos..]);
        if used == 0 {
            return None;
        }
        // %u stores an unsigned int: the value cut to 32 bits.
        *byte = u8::try_from(value as u32).ok()?;
        pos += used;
    }
    // A byte left over would be a fifth conversion (%c).
    (pos == s.len()).then_some(Ipv4Addr::from(out))
}

/// IPv6 as libevent's own parser reads it: groups of at most four
/// characters read by `strtol(…, 16)` (so `0x1` is a group), one `::`, a
/// trailing colon tolerated, an optional dotted IPv4 tail.
fn parse_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    let mut words = [0u16; 8];
    let mut set_words = 0usize;
    let dot = s.iter().position(|&c| c == b'.');
    let end = match dot {
        Some(0) => return None,
        None => s.len(),
        Some(d) => {
            let tail = d - s[..d]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let v4 = parse_ipv4(&s[tail..])?.octets();
            words[6] = u16::from_be_bytes([v4[0], v4[1]]);
            words[7] = u16::from_be_bytes([v4[2], v4[3]]);
            set_words += 2;
            tail
        }
    };
    let mut gap: Option<usize> = None;
    let mut i = 0;
    let mut pos = 0;
    while pos < end {
        if i > 7 {
            return None;
        }
        let c = s[pos];
        if c.is_ascii_hexdigit() {
            let (value, used) = hex_group(&s[pos..]);
            if used == 0 || used > 4 {
                return None;
            }
            words[i] = u16::try_from(value).ok()?;
            i += 1;
            set_words += 1;
            pos += used;
            if pos != end && s.get(pos) != Some(&b':') {
                return None;
            }
            pos += 1;
        } else if c == b':' && i > 0 && gap.is_none() {
            gap = Some(i);
            pos += 1;
        } else if c == b':' && i == 0 && s.get(pos + 1) == Some(&b':') && gap.is_none() {
            gap = Some(0);
            pos += 2;
        } else {
            return None;
        }
    }
    match gap {
        _ if set_words > 8 => return None,
        Some(_) if set_words == 8 => return None,
        None if set_words < 8 => return None,
        None => {}
        Some(at) => {
            let parsed = set_words - if dot.is_some() { 2 } else { 0 };
            let to_move = parsed.checked_sub(at)?;
            let gap_len = 8 - set_words;
            words.copy_within(at..at + to_move, at + gap_len);
            words[at..at + gap_len].fill(0);
        }
    }
    Some(Ipv6Addr::from(words))
}

/// `strtol(s, &end, 16)` where `s` starts with a hex digit: value
/// (saturated) and bytes consumed, a `0x` prefix included.
fn hex_group(s: &[u8]) -> (u64, usize) {
    let prefix =
        s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') && s[2].is_ascii_hexdigit();
    let start = if prefix { 2 } else { 0 };
    let n = s[start..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    let v = s[start..start + n].iter().fold(0u64, |acc, &c| {
        let d = (c as char).to_digit(16).map_or(0, u64::from);
        acc.saturating_mul(16).saturating_add(d)
    });
    (v, start + n)
}

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

/// The lines of a configuration file as libevent walks them: the text up
/// to the first NUL, split on `'\n'` (the piece after the last `'\n'` is a
/// line too). Yields (line number from 1, line); a NUL is reported through
/// `on_nul` with the number of the line it is on.
pub(crate) fn config_lines(
    text: &[u8],
    mut on_nul: impl FnMut(usize, &[u8]),
) -> Vec<(usize, &[u8])> {
    let (body, nul) = match text.iter().position(|&c| c == 0) {
        Some(at) => (&text[..at], true),
        None => (text, false),
    };
    let lines: Vec<(usize, &[u8])> = body
        .split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    if nul {
        if let Some(&(n, l)) = lines.last() {
            on_nul(n, l);
        }
    }
    lines
}

/// Words of a line, split on space and tab as libevent's `strtok_r`.
pub(crate) fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty())
}

pub(crate) fn warning(line: usize, text: &[u8], reason: Reason) -> Warning {
    Warning {
        line,
        text: String::from_utf8_lossy(text).into_owned(),
        reason,
    }
}

/// A search domain as `search_postfix_add` stores it: leading dots dropped.
fn search_domain(word: &[u8]) -> Result<String, Reason> {
    let start = word.iter().take_while(|&&c| c == b'.').count();
    std::str::from_utf8(&word[start..])
        .map(str::to_string)
        .map_err(|_| Reason::NotUtf8)
}

// ---------------------------------------------------------------------------
// resolv.conf
// ---------------------------------------------------------------------------

/// What a resolv.conf said, under the `DNS_OPTION_*` flags it was read
/// with: what `evdns_base_resolv_conf_parse` applies to a resolver.
///
/// The parser is pure and assumes a fresh resolver. Where libevent looks at
/// the resolver's state, the caller decides, as each field says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// The flags the file was read with.
    pub flags: u32,
    /// Nameservers to add, in file order, duplicates dropped. libevent adds
    /// each through `evdns_base_nameserver_ip_add`, which also drops one the
    /// resolver already has. Holds [`DEFAULT_NAMESERVER`] when
    /// [`ResolvConf::default_nameserver`] is set.
    pub nameservers: Vec<SocketAddr>,
    /// The file named no nameserver, NAMESERVERS was asked and
    /// NAMESERVERS_NO_DEFAULT was not, so 127.0.0.1:53 was added and the
    /// return code is 6. libevent does this only when the resolver has no
    /// nameserver at all: a caller whose resolver already has one drops
    /// the default and returns 0.
    pub default_nameserver: bool,
    /// `None`: no `domain` or `search` line (or SEARCH not asked), the
    /// resolver's search list stays. `Some(list)`: the list is replaced by
    /// `list` (maybe empty: a bare `search`), and `ndots` goes back to 1
    /// unless [`ResolvConf::ndots`] is set.
    pub search: Option<Vec<String>>,
    /// The `ndots:` in effect at the end of the file: set by an `options`
    /// line after the last `domain`/`search` line (those reset it).
    pub ndots: Option<i32>,
    /// SEARCH was asked and the file left the search list empty, so
    /// libevent takes the domain of the host name (see
    /// [`ResolvConf::apply_hostname`]). libevent checks the resolver's
    /// list: when `search` is `None` and the resolver already has domains,
    /// the caller skips this.
    pub search_from_hostname: bool,
    /// Every option applied, in file order ([`DnsOption::Ndots`] included;
    /// the one in effect is [`ResolvConf::ndots`]). Unknown options and
    /// refused values are in [`ResolvConf::warnings`] instead.
    pub options: Vec<DnsOption>,
    /// HOSTSFILE was asked: libevent loads `/etc/hosts` (before reading the
    /// resolv.conf, and whether or not it can be read).
    pub load_hosts: bool,
    /// Lines skipped in part or whole, for the caller to log.
    pub warnings: Vec<Warning>,
}

impl ResolvConf {
    fn empty(flags: u32) -> ResolvConf {
        ResolvConf {
            flags,
            nameservers: Vec::new(),
            default_nameserver: false,
            search: None,
            ndots: None,
            search_from_hostname: false,
            options: Vec::new(),
            load_hosts: flags & DNS_OPTION_HOSTSFILE != 0,
            warnings: Vec::new(),
        }
    }

    /// What libevent applies when the file cannot be opened (return code
    /// 1): the search list from the host name if SEARCH is asked (whatever
    /// the resolver had), and 127.0.0.1:53 if NAMESERVERS is asked without
    /// NAMESERVERS_NO_DEFAULT.
    ///
    /// ```
    /// use oxevent::dns::resolv_conf::*;
    ///
    /// let conf = ResolvConf::missing_file(DNS_OPTIONS_ALL);
    /// assert_eq!(conf.nameservers, [DEFAULT_NAMESERVER]);
    /// assert!(conf.search_from_hostname);
    /// assert!(ResolvConf::missing_file(DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT)
    ///     .nameservers
    ///     .is_empty());
    /// ```
    pub fn missing_file(flags: u32) -> ResolvConf {
        let mut conf = ResolvConf::empty(flags);
        conf.search_from_hostname = flags & DNS_OPTION_SEARCH != 0;
        if adds_default(flags) {
            conf.nameservers.push(DEFAULT_NAMESERVER);
            conf.default_nameserver = true;
        }
        conf
    }

    /// The value `evdns_base_resolv_conf_parse` returns after reading this
    /// file into a fresh resolver: 6 when the default nameserver was added,
    /// else 0.
    pub fn code(&self) -> i32 {
        if self.default_nameserver {
            6
        } else {
            0
        }
    }

    /// Applies libevent's fallback when [`ResolvConf::search_from_hostname`]
    /// is set: the search list becomes the domain of `hostname` (the part
    /// after its first dot, see [`hostname_domain`]) or empty, and `ndots`
    /// goes back to 1 (libevent makes a new search state). `hostname` is
    /// what `gethostname` returned, `None` if it failed. Does nothing when
    /// the flag is not set.
    ///
    /// ```
    /// use oxevent::dns::resolv_conf::{parse_resolv_conf, DNS_OPTIONS_ALL};
    ///
    /// let mut conf = parse_resolv_conf(b"nameserver 192.0.2.1\noptions ndots:3\n", DNS_OPTIONS_ALL);
    /// assert!(conf.search_from_hostname);
    /// conf.apply_hostname(Some("build7.lab.example"));
    /// assert_eq!(conf.search, Some(vec!["lab.example".to_string()]));
    /// assert_eq!(conf.ndots, None); // reset to libevent's 1, as libevent does
    /// ```
    pub fn apply_hostname(&mut self, hostname: Option<&str>) {
        if !self.search_from_hostname {
            return;
        }
        self.search_from_hostname = false;
        self.ndots = None;
        self.search = Some(
            hostname
                .and_then(hostname_domain)
                .map(str::to_string)
                .into_iter()
                .collect(),
        );
    }
}

/// The search domain libevent takes from a host name: what follows its
/// first dot, leading dots dropped (`"a.b.c"` gives `"b.c"`, `"a."` gives
/// `""`, which libevent keeps as an empty domain). `None` without a dot.
///
/// ```
/// use oxevent::dns::resolv_conf::hostname_domain;
///
/// assert_eq!(hostname_domain("web1.example.org"), Some("example.org"));
/// assert_eq!(hostname_domain("localhost"), None);
/// ```
pub fn hostname_domain(hostname: &str) -> Option<&str> {
    let dot = hostname.find('.')?;
    Some(hostname[dot..].trim_start_matches('.'))
}

fn adds_default(flags: u32) -> bool {
    flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0
}

/// Reads resolv.conf text as `evdns_base_resolv_conf_parse(base, flags, …)`
/// does once the file is in memory. Never fails: what it cannot use is in
/// [`ResolvConf::warnings`].
///
/// ```
/// use oxevent::dns::resolv_conf::*;
///
/// // Only SEARCH: the nameserver line is not read, and no default is added.
/// let conf = parse_resolv_conf(b"nameserver 192.0.2.1\ndomain example.net\n", DNS_OPTION_SEARCH);
/// assert!(conf.nameservers.is_empty());
/// assert_eq!(conf.search, Some(vec!["example.net".to_string()]));
///
/// // An empty file with NAMESERVERS: 127.0.0.1:53 and return code 6.
/// let conf = parse_resolv_conf(b"", DNS_OPTION_NAMESERVERS);
/// assert_eq!((conf.code(), conf.nameservers), (6, vec![DEFAULT_NAMESERVER]));
/// ```
pub fn parse_resolv_conf(text: &[u8], flags: u32) -> ResolvConf {
    let mut conf = ResolvConf::empty(flags);
    let mut nul_at = None;
    let lines = config_lines(text, |n, l| nul_at = Some(warning(n, l, Reason::NulByte)));
    for (n, line) in lines {
        parse_line(&mut conf, n, line);
    }
    conf.warnings.extend(nul_at);
    if conf.nameservers.is_empty() && adds_default(flags) {
        conf.nameservers.push(DEFAULT_NAMESERVER);
        conf.default_nameserver = true;
    }
    if flags & DNS_OPTION_SEARCH != 0 && conf.search.as_ref().map_or(true, Vec::is_empty) {
        conf.search_from_hostname = true;
    }
    conf
}

fn parse_line(conf: &mut ResolvConf, n: usize, line: &[u8]) {
    let mut w = words(line);
    let Some(keyword) = w.next() else {
        return;
    };
    if keyword.starts_with(b"#") || keyword.starts_with(b";") {
        return;
    }
    let flags = conf.flags;
    let warn = |conf: &mut ResolvConf, reason| conf.warnings.push(warning(n, line, reason));
    let cr = line.ends_with(b"\r");
    match keyword {
        b"nameserver" if flags & DNS_OPTION_NAMESERVERS != 0 => {
            let Some(addr) = w.next() else {
                return warn(conf, Reason::MissingValue);
            };
            match parse_nameserver_bytes(addr) {
                None => {
                    warn(conf, Reason::BadAddress);
                    if addr.ends_with(b"\r") {
                        warn(conf, Reason::CarriageReturn);
                    }
                }
                Some(sa) if conf.nameservers.iter().any(|&o| same_server(o, sa)) => {
                    warn(conf, Reason::DuplicateNameserver)
                }
                Some(sa) => conf.nameservers.push(sa),
            }
        }
        b"domain" if flags & DNS_OPTION_SEARCH != 0 => {
            let Some(domain) = w.next() else {
                return warn(conf, Reason::MissingValue);
            };
            conf.ndots = None;
            match search_domain(domain) {
                Ok(d) => conf.search = Some(vec![d]),
                Err(reason) => {
                    conf.search = Some(Vec::new());
                    warn(conf, reason);
                }
            }
            if domain.ends_with(b"\r") {
                warn(conf, Reason::CarriageReturn);
            }
        }
        b"search" if flags & DNS_OPTION_SEARCH != 0 => {
            conf.ndots = None;
            let mut list = Vec::new();
            for word in w {
                if word.starts_with(b"#") || word.starts_with(b";") {
                    warn(conf, Reason::CommentWord);
                }
                match search_domain(word) {
                    Ok(d) => list.push(d),
                    Err(reason) => warn(conf, reason),
                }
            }
            conf.search = Some(list);
            if cr {
                warn(conf, Reason::CarriageReturn);
            }
        }
        b"options" => {
            for word in w {
                let word = String::from_utf8_lossy(word);
                let value = word.find(':').map_or("", |c| &word[c + 1..]);
                match parse_option(&word, value) {
                    Ok(DnsOption::Unknown(_)) => warn(conf, Reason::UnknownOption),
                    Ok(opt) if flags & opt.required_flag() != 0 => {
                        if let DnsOption::Ndots(v) = opt {
                            conf.ndots = Some(v);
                        }
                        conf.options.push(opt);
                    }
                    Ok(_) => {}
                    Err(e) => warn(conf, Reason::BadOptionValue(e)),
                }
            }
            if cr {
                warn(conf, Reason::CarriageReturn);
            }
        }
        b"nameserver" | b"domain" | b"search" => {} // not asked for by the flags
        _ => warn(conf, Reason::UnknownKeyword),
    }
}

/// `evutil_sockaddr_cmp(a, b, 1) == 0`: same family, address and port; the
/// IPv6 flow label and scope are not compared.
fn same_server(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip() == b.ip() && a.port() == b.port()
}

/// Reads a whole file as `evutil_read_file_` does (no size limit), with
/// libevent's failure classes.
pub(crate) fn read_config_file(path: &Path) -> Result<Vec<u8>, ConfError> {
    let mut file = File::open(path).map_err(ConfError::Open)?;
    let size = file.metadata().map_err(ConfError::Stat)?.len();
    let mut buf = Vec::new();
    let want = usize::try_from(size).map_err(|_| ConfError::OutOfMemory(size))?;
    buf.try_reserve_exact(want)
        .map_err(|_| ConfError::OutOfMemory(size))?;
    file.read_to_end(&mut buf).map_err(ConfError::Read)?;
    Ok(buf)
}

/// `evdns_base_resolv_conf_parse(base, flags, path)` up to applying the
/// result: reads the file and parses it.
///
/// On `Err(ConfError::Open(_))` libevent applies
/// [`ResolvConf::missing_file`] and returns 1; on the other errors it
/// applies nothing and returns 2. HOSTSFILE is not acted on here (see
/// [`ResolvConf::load_hosts`]).
///
/// ```no_run
/// use oxevent::dns::resolv_conf::{read_resolv_conf, ResolvConf, DNS_OPTIONS_ALL};
///
/// let conf = match read_resolv_conf("/etc/resolv.conf", DNS_OPTIONS_ALL) {
///     Ok(conf) => conf,
///     Err(e) if e.code() == 1 => ResolvConf::missing_file(DNS_OPTIONS_ALL),
///     Err(e) => panic!("{e}"),
/// };
/// for w in &conf.warnings {
///     eprintln!("resolv.conf: {w}");
/// }
/// ```
pub fn read_resolv_conf(path: impl AsRef<Path>, flags: u32) -> Result<ResolvConf, ConfError> {
    let text = read_config_file(path.as_ref())?;
    Ok(parse_resolv_conf(&text, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn strtol_rules() {
        assert_eq!(strtoint(""), Some(0));
        assert_eq!(strtoint(" 3"), Some(3));
        assert_eq!(strtoint("+4"), Some(4));
        assert_eq!(strtoint("-7"), Some(-7));
        assert_eq!(strtoint("3 "), None);
        assert_eq!(strtoint(" "), None);
        assert_eq!(strtoint("-"), None);
        assert_eq!(strtoint("-1"), None);
        assert_eq!(strtoint("4294967295"), None); // cut to int: -1
        assert_eq!(strtoint("99999999999"), Some(1_215_752_191)); // seen in 2.1.12
        assert_eq!(strtoint("99999999999999999999999"), None); // LONG_MAX cut: -1
        assert_eq!(c_atoi(b"4294967349"), 53);
        assert_eq!(c_atoi(b"53junk"), 53);
        assert_eq!(c_atoi(b""), 0);
        assert_eq!(c_strtol(b"-9223372036854775808"), (i64::MIN, 20));
    }

    #[test]
    fn seconds_rules() {
        assert_eq!(strtotimeval("0.0005"), None);
        assert_eq!(strtotimeval("0.001"), Some(Duration::from_millis(1)));
        assert_eq!(strtotimeval("1e1"), Some(Duration::from_secs(10)));
        assert_eq!(strtotimeval(" 5"), Some(Duration::from_secs(5)));
        assert_eq!(strtotimeval("0x10"), Some(Duration::from_secs(16)));
        assert_eq!(strtotimeval("0x1.8p1"), Some(Duration::from_secs(3)));
        assert_eq!(strtotimeval(".5"), Some(Duration::from_millis(500)));
        assert_eq!(strtotimeval(""), None);
        assert_eq!(strtotimeval("-2"), None);
        assert_eq!(strtotimeval("+-2"), None);
        assert_eq!(strtotimeval("2s"), None);
        assert_eq!(strtotimeval("nan"), None);
        let max = Some(Duration::from_secs(i32::MAX as u64));
        assert_eq!(strtotimeval("inf"), max);
        assert_eq!(strtotimeval("3000000000"), max);
        assert_eq!(strtotimeval("1e400"), max);
    }

    #[test]
    fn option_names_match_as_libevent() {
        assert!(option_name_matches(b"ndots", b"ndots:"));
        assert!(option_name_matches(b"ndots:", b"ndots:"));
        assert!(option_name_matches(b"ndots:junk", b"ndots:"));
        assert!(!option_name_matches(b"ndotsX", b"ndots:"));
        assert!(!option_name_matches(b"nd", b"ndots:"));
        assert!(!option_name_matches(b"", b"ndots:"));
        assert_eq!(parse_option("nd", "1"), Ok(DnsOption::Unknown("nd".into())));
        assert_eq!(parse_option("ndots:junk", "2"), Ok(DnsOption::Ndots(2)));
    }

    #[test]
    fn options_as_debian_2_1_12_answers() {
        // Each pair was run through evdns_base_set_option on Debian's 2.1.12.
        use DnsOption::*;
        let ok = |n, v| parse_option(n, v).unwrap();
        let err = |n, v| parse_option(n, v).is_err();
        assert_eq!(ok("ndots", ""), Ndots(0));
        assert_eq!(ok("ndots", "-7"), Ndots(-7));
        assert!(err("ndots", "3 "));
        assert_eq!(ok("timeout:", "2"), Timeout(Duration::from_secs(2)));
        assert!(err("timeout:", ""));
        assert_eq!(ok("max-timeouts", "0"), MaxTimeouts(1));
        assert_eq!(ok("max-timeouts", "300"), MaxTimeouts(255));
        assert_eq!(ok("max-inflight", "70000"), MaxInflight(65000));
        assert_eq!(ok("attempts", "-5"), Attempts(-5));
        assert!(err("attempts", "4294967295"));
        assert!(err("randomize-case", "x"));
        assert_eq!(ok("randomize-case", "0"), RandomizeCase(false));
        assert_eq!(ok("randomize-case", "2"), RandomizeCase(true));
        assert!(err("bind-to", "1.2.3.4:0"));
        assert_eq!(ok("bind-to", "1.2.3.4"), BindTo(sa("1.2.3.4:0")));
        assert_eq!(ok("bind-to", "[::1]:99"), BindTo(sa("[::1]:99")));
        assert_eq!(
            ok("getaddrinfo-allow-skew", "0.2"),
            GetaddrinfoAllowSkew(Duration::from_millis(200))
        );
        assert!(err("so-rcvbuf", "x"));
        assert_eq!(ok("so-sndbuf", "100"), SoSndbuf(100));
        assert_eq!(ok("bogus", "x"), Unknown("bogus".into()));
    }

    #[test]
    fn addresses_as_debian_2_1_12_answers() {
        assert_eq!(parse_nameserver_addr(" 1.2.3.4"), Some(sa("1.2.3.4:53")));
        assert_eq!(parse_nameserver_addr("01.2.3.4"), Some(sa("1.2.3.4:53")));
        assert_eq!(parse_nameserver_addr("1.2.3.4:53x"), Some(sa("1.2.3.4:53")));
        assert_eq!(
            parse_nameserver_addr("1.2.3.4:4294967349"),
            Some(sa("1.2.3.4:53"))
        );
        assert_eq!(parse_nameserver_addr("[::3]junk"), Some(sa("[::3]:53")));
        assert_eq!(parse_nameserver_addr("1::2:"), Some(sa("[1::2]:53")));
        assert_eq!(
            parse_nameserver_addr("::ffff:1.2.3.4"),
            Some(sa("[::ffff:1.2.3.4]:53"))
        );
        assert_eq!(parse_nameserver_addr("1.2.3.4\r"), None);
        assert_eq!(parse_nameserver_addr("1.2.3.256"), None);
        assert_eq!(parse_nameserver_addr("1.2.3"), None);
        assert_eq!(parse_nameserver_addr("1.2.3.4:65536"), None);
        assert_eq!(parse_nameserver_addr("[::1]:"), None);
        assert_eq!(parse_nameserver_addr("[::1"), None);
        assert_eq!(parse_nameserver_addr("[1.2.3.4]"), None);
        assert_eq!(parse_nameserver_addr("1:2:3:4:5:6:7:8:9"), None);
        assert_eq!(parse_nameserver_addr(""), None);
        let scoped = parse_nameserver_addr("fe80::1%2").unwrap();
        match scoped {
            SocketAddr::V6(v6) => assert_eq!((v6.scope_id(), v6.port()), (2, 53)),
            SocketAddr::V4(_) => panic!("not v6"),
        }
        assert_eq!(parse_nameserver_addr("fe80::1%lo"), None);
    }

    #[test]
    fn lines_stop_at_nul() {
        let mut seen = None;
        let lines = config_lines(b"a\nb\0c\nd", |n, _| seen = Some(n));
        assert_eq!(lines, vec![(1, &b"a"[..]), (2, &b"b"[..])]);
        assert_eq!(seen, Some(2));
        assert_eq!(config_lines(b"", |_, _| {}), vec![(1, &b""[..])]);
    }
}
