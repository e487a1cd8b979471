//! `/etc/hosts` as libevent 2.1.12's `evdns_base_load_hosts` reads it, and
//! the lookups `evdns_getaddrinfo` makes in it.
//!
//! ```
//! use oxevent::dns::hosts::{Family, Hosts};
//! use std::net::IpAddr;
//!
//! let hosts = Hosts::parse(b"127.0.0.1 localhost\n::1 localhost ip6-localhost\n\
//!                            192.0.2.7 Build.Example build # the CI box\n");
//! let v4: IpAddr = "127.0.0.1".parse().unwrap();
//! let v6: IpAddr = "::1".parse().unwrap();
//! assert_eq!(hosts.lookup("localhost", Family::Any), Some(vec![v4, v6]));
//! assert_eq!(hosts.lookup("LOCALHOST", Family::V6), Some(vec![v6]));
//! assert_eq!(hosts.lookup("ip6-localhost", Family::V4), Some(vec![])); // known, no IPv4
//! assert_eq!(hosts.lookup("example.org", Family::Any), None); // ask the DNS
//! assert_eq!(hosts.reverse("192.0.2.7".parse().unwrap()), Some("Build.Example"));
//! ```
//!
//! What this module owns: the list of (name, address) entries in file
//! order and the lookups over it. What it must never do: read the file on
//! its own initiative (the caller chooses when), resolve anything, or panic
//! on any bytes.
//!
//! # libevent behaviour kept on purpose
//! Checked in libevent's `evdns_base_parse_hosts_line`,
//! `evdns_base_load_hosts_impl`, `find_hosts_entry` and
//! `evdns_getaddrinfo_fromhosts` (public code index), and against Debian's
//! 2.1.12 for the address syntax (shared with
//! [`parse_sockaddr_port`]).
//! - One entry per name: `ADDR NAME ALIAS…` gives the same address to
//!   every name; words are split on space and tab only, lines on `'\n'`
//!   (a CRLF file keeps `'\r'` at the end of its last name, warned as
//!   [`Reason::CarriageReturn`]); a NUL ends the file.
//! - A line whose first word starts with `#` is a comment; a `#` inside a
//!   name ends the line there (`name#x` keeps `name`).
//! - The address is libevent's `IPv4`, `IPv6` or `[IPv6]`; one with a port
//!   (`1.2.3.4:80`) skips the line.
//! - Names compare ASCII-case-insensitively, whole (no trailing-dot
//!   folding). Every matching entry answers, in file order: not "first
//!   wins" (libevent's lookup walks the whole list and returns every
//!   address of the name, duplicates included). A name that is known but
//!   has no address of the asked family answers with an empty list, which
//!   libevent returns as an empty result without asking the DNS.
//! - Loading adds to what was loaded before ([`Hosts::extend`]); when the
//!   file cannot be read, libevent loads [`Hosts::localhost`] instead and
//!   returns -1.
//! - libevent uses the hosts entries for `evdns_getaddrinfo` only, not for
//!   reverse (PTR) lookups; [`Hosts::reverse`] is for the Rust face.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use super::resolv_conf::{
    config_lines, parse_sockaddr_port, read_config_file, warning, words, Reason, Warning,
};

/// Which addresses a lookup wants (`PF_UNSPEC`, `PF_INET`, `PF_INET6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Both families.
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

impl Family {
    fn accepts(self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// One name and its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    /// The name as written in the file.
    pub name: String,
    /// The address, port 0 (an IPv6 address keeps a numeric `%zone`).
    pub addr: SocketAddr,
}

/// The entries of one or more hosts files, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    entries: Vec<HostEntry>,
    /// Lines skipped in part or whole, for the caller to log.
    pub warnings: Vec<Warning>,
}

impl Hosts {
    /// No entries.
    ///
    /// ```
    /// assert!(oxevent::dns::hosts::Hosts::new().entries().is_empty());
    /// ```
    pub fn new() -> Hosts {
        Hosts::default()
    }

    /// Parses hosts-file text. Never fails: what it cannot use is in
    /// [`Hosts::warnings`].
    ///
    /// ```
    /// use oxevent::dns::hosts::Hosts;
    /// use oxevent::dns::resolv_conf::Reason;
    ///
    /// let hosts = Hosts::parse(b"10.0.0.1:80 web\nnot-an-address name\n10.0.0.2 db\n");
    /// assert_eq!(hosts.entries().len(), 1);
    /// assert_eq!(hosts.warnings[0].reason, Reason::AddressWithPort);
    /// assert_eq!(hosts.warnings[1].reason, Reason::BadAddress);
    /// ```
    pub fn parse(text: &[u8]) -> Hosts {
        let mut hosts = Hosts::new();
        let mut nul = None;
        for (n, line) in config_lines(text, |n, l| nul = Some(warning(n, l, Reason::NulByte))) {
            hosts.parse_line(n, line);
        }
        hosts.warnings.extend(nul);
        hosts
    }

    /// Reads and parses a hosts file. On `Err`, libevent would load
    /// [`Hosts::localhost`] instead.
    ///
    /// ```no_run
    /// use oxevent::dns::hosts::Hosts;
    ///
    /// let hosts = Hosts::read("/etc/hosts").unwrap_or_else(|_| Hosts::localhost());
    /// ```
    pub fn read(path: impl AsRef<Path>) -> io::Result<Hosts> {
        let text = read_config_file(path.as_ref())?;
        Ok(Hosts::parse(&text))
    }

    /// What libevent loads when it has no hosts file: `127.0.0.1 localhost`
    /// and `::1 localhost`.
    ///
    /// ```
    /// use oxevent::dns::hosts::{Family, Hosts};
    ///
    /// let v6 = Hosts::localhost().lookup("localhost", Family::V6).unwrap();
    /// assert_eq!(v6, vec!["::1".parse::<std::net::IpAddr>().unwrap()]);
    /// ```
    pub fn localhost() -> Hosts {
        Hosts::parse(b"127.0.0.1   localhost\n::1   localhost\n")
    }

    /// Appends the entries (and warnings) of `other`, as a second
    /// `evdns_base_load_hosts` adds to the first.
    ///
    /// ```
    /// use oxevent::dns::hosts::{Family, Hosts};
    ///
    /// let mut hosts = Hosts::parse(b"192.0.2.1 a\n");
    /// hosts.extend(Hosts::parse(b"192.0.2.2 a\n"));
    /// assert_eq!(hosts.lookup("a", Family::Any).unwrap().len(), 2);
    /// ```
    pub fn extend(&mut self, other: Hosts) {
        self.entries.extend(other.entries);
        self.warnings.extend(other.warnings);
    }

    /// Every entry, in file order.
    ///
    /// ```
    /// use oxevent::dns::hosts::Hosts;
    ///
    /// let hosts = Hosts::parse(b"192.0.2.1 a b\n");
    /// let names: Vec<&str> = hosts.entries().iter().map(|e| e.name.as_str()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn entries(&self) -> &[HostEntry] {
        &self.entries
    }

    /// The addresses of `name` for `family`, in file order: `None` when no
    /// entry has this name (ask the DNS), `Some(empty)` when the name is
    /// known but has no address of this family (libevent then answers with
    /// nothing, without asking the DNS).
    ///
    /// ```
    /// use oxevent::dns::hosts::{Family, Hosts};
    ///
    /// let hosts = Hosts::parse(b"192.0.2.1 Printer\n192.0.2.9 printer\n");
    /// assert_eq!(hosts.lookup("PRINTER", Family::V4).unwrap().len(), 2);
    /// assert_eq!(hosts.lookup("printer", Family::V6), Some(vec![]));
    /// ```
    pub fn lookup(&self, name: &str, family: Family) -> Option<Vec<IpAddr>> {
        let mut found = false;
        let mut out = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(name))
        {
            found = true;
            if family.accepts(&e.addr) {
                out.push(e.addr.ip());
            }
        }
        found.then_some(out)
    }

    /// The first name listed for `addr` (exact address match), for a
    /// reverse lookup. libevent 2.1.12 does not consult hosts for reverse
    /// lookups; this is what glibc's files backend answers.
    ///
    /// ```
    /// use oxevent::dns::hosts::Hosts;
    ///
    /// let hosts = Hosts::parse(b"192.0.2.5 mail.example mail\n");
    /// assert_eq!(hosts.reverse("192.0.2.5".parse().unwrap()), Some("mail.example"));
    /// assert_eq!(hosts.reverse("192.0.2.6".parse().unwrap()), None);
    /// ```
    pub fn reverse(&self, addr: IpAddr) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.addr.ip() == addr)
            .map(|e| e.name.as_str())
    }

    fn parse_line(&mut self, n: usize, line: &[u8]) {
        let mut w = words(line);
        let Some(first) = w.next() else {
            return;
        };
        if first.starts_with(b"#") {
            return;
        }
        let Some(addr) = parse_sockaddr_port(first) else {
            return self.warnings.push(warning(n, line, Reason::BadAddress));
        };
        if addr.port() != 0 {
            return self
                .warnings
                .push(warning(n, line, Reason::AddressWithPort));
        }
        let mut named = false;
        for word in w {
            let (name, stop) = match word.iter().position(|&c| c == b'#') {
                Some(0) => break,
                Some(at) => (&word[..at], true),
                None => (word, false),
            };
            named = true;
            match std::str::from_utf8(name) {
                Ok(name) => {
                    if name.ends_with('\r') {
                        self.warnings.push(warning(n, line, Reason::CarriageReturn));
                    }
                    self.entries.push(HostEntry {
                        name: name.to_string(),
                        addr,
                    });
                }
                Err(_) => self.warnings.push(warning(n, line, Reason::NotUtf8)),
            }
            if stop {
                break;
            }
        }
        if !named {
            self.warnings.push(warning(n, line, Reason::NoNames));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hash_inside_a_name_ends_the_line() {
        let h = Hosts::parse(b"10.0.0.1 a b#c d\n10.0.0.2 #x y\n");
        let names: Vec<_> = h.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(h
            .warnings
            .iter()
            .any(|w| w.line == 2 && w.reason == Reason::NoNames));
    }

    #[test]
    fn bracketed_ipv6_and_ports() {
        let h = Hosts::parse(b"[::2] two\n[::3]:53 three\n1.2.3.4:0 zero\n");
        assert_eq!(h.lookup("two", Family::V6), Some(vec![ip("::2")]));
        assert_eq!(h.lookup("three", Family::Any), None);
        assert_eq!(h.lookup("zero", Family::Any), None);
        assert_eq!(h.warnings.len(), 2);
    }

    #[test]
    fn crlf_keeps_the_carriage_return_as_libevent() {
        let h = Hosts::parse(b"10.0.0.1 box\r\n");
        assert_eq!(h.lookup("box", Family::Any), None);
        assert_eq!(h.lookup("box\r", Family::Any), Some(vec![ip("10.0.0.1")]));
        assert_eq!(h.warnings[0].reason, Reason::CarriageReturn);
    }

    #[test]
    fn duplicates_all_answer() {
        let h = Hosts::parse(b"10.0.0.1 a\n10.0.0.1 a\n");
        assert_eq!(h.lookup("a", Family::V4).unwrap().len(), 2);
    }
}
