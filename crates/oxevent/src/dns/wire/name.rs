//! Domain names ([`Name`]): validation, text form, case rules, the 0x20
//! helper and the reverse-lookup names.
//!
//! This module owns the name invariant and nothing else: every `Name` holds
//! its uncompressed wire form (length-prefixed labels, each 1 to 63 bytes,
//! then the zero byte of the root), at most 255 bytes in all. Every
//! constructor checks it; nothing here reads packets or follows
//! compression pointers (that is `parse.rs`).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::WireError;

/// The longest label, in bytes (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// The longest name in wire form, length bytes and the root's zero byte
/// included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// A validated domain name, case preserved.
///
/// Labels are raw bytes: a name read from a packet may hold any byte in a
/// label, dots included. `==` compares byte for byte (what a 0x20 check
/// needs); [`Name::eq_ignore_case`] compares as DNS does (ASCII letters
/// folded, other bytes exact).
///
/// The text form is libevent's: labels joined by dots with no escaping, the
/// root as the empty string ([`Name::to_dotted`]). A label that holds a dot
/// therefore prints ambiguously, as it does in libevent's callbacks.
///
/// ```
/// use oxevent::dns::wire::{Name, WireError};
///
/// let name: Name = "WWW.Example.com.".parse().unwrap();
/// assert_eq!(name.to_string(), "WWW.Example.com");
/// assert_eq!(name.as_wire(), b"\x03WWW\x07Example\x03com\x00");
/// assert!(name.eq_ignore_case(&"www.example.COM".parse().unwrap()));
/// assert_ne!(name, "www.example.com".parse().unwrap());
/// assert_eq!("a..b".parse::<Name>(), Err(WireError::EmptyLabel));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name {
    /// Uncompressed wire form, ending with the root's zero byte.
    wire: Vec<u8>,
}

impl Name {
    /// The root name (the empty name; `.` in zone files).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// assert!(Name::root().is_root());
    /// assert_eq!(Name::root().as_wire(), b"\x00");
    /// assert_eq!(".".parse::<Name>().unwrap(), Name::root());
    /// ```
    pub fn root() -> Name {
        Name { wire: vec![0] }
    }

    /// Parses dotted text: labels separated by `.`, an optional trailing
    /// dot, no escapes (libevent has none). `""` and `"."` are the root.
    ///
    /// Refuses an empty label ([`WireError::EmptyLabel`]: `"a..b"`, `".a"`),
    /// a label over 63 bytes ([`WireError::LabelTooLong`]) and a name over
    /// 255 bytes in wire form ([`WireError::NameTooLong`]).
    ///
    /// ```
    /// use oxevent::dns::wire::{Name, WireError};
    ///
    /// let n = Name::from_dotted(b"mail.example.org").unwrap();
    /// assert_eq!(n.label_count(), 3);
    /// assert_eq!(Name::from_dotted(&[b'x'; 64]), Err(WireError::LabelTooLong));
    /// ```
    pub fn from_dotted(text: &[u8]) -> Result<Name, WireError> {
        let text = text.strip_suffix(b".").unwrap_or(text);
        let mut wire = Vec::with_capacity(text.len().min(MAX_NAME_LEN) + 2);
        if !text.is_empty() {
            for label in text.split(|&b| b == b'.') {
                push_label(&mut wire, label)?;
            }
        }
        wire.push(0);
        Ok(Name { wire })
    }

    /// Builds a name from its uncompressed wire form (what
    /// [`Name::as_wire`] returns): the same checks as a name read from a
    /// packet, and the bytes must end exactly with the root's zero byte.
    ///
    /// ```
    /// use oxevent::dns::wire::{Name, WireError};
    ///
    /// let n = Name::from_wire(b"\x01a\x02bc\x00").unwrap();
    /// assert_eq!(n.to_string(), "a.bc");
    /// assert_eq!(Name::from_wire(b"\x01a"), Err(WireError::Truncated));
    /// assert_eq!(Name::from_wire(b"\xc0\x0c"), Err(WireError::BadLabelType(0xc0)));
    /// ```
    pub fn from_wire(bytes: &[u8]) -> Result<Name, WireError> {
        let mut wire = Vec::with_capacity(bytes.len().min(MAX_NAME_LEN));
        let mut pos = 0;
        loop {
            let len = *bytes.get(pos).ok_or(WireError::Truncated)?;
            if len == 0 {
                break;
            }
            if len & 0xc0 != 0 {
                return Err(WireError::BadLabelType(len & 0xc0));
            }
            let label = bytes
                .get(pos + 1..pos + 1 + usize::from(len))
                .ok_or(WireError::Truncated)?;
            push_label(&mut wire, label)?;
            pos += 1 + usize::from(len);
        }
        if pos + 1 != bytes.len() {
            return Err(WireError::TrailingBytes);
        }
        wire.push(0);
        Ok(Name { wire })
    }

    /// Appends one label read from a packet to a name under construction
    /// (`wire` without its final zero byte). Crate-internal: the parser
    /// calls it, then [`Name::finish`].
    pub(super) fn push_wire_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), WireError> {
        push_label(wire, label)
    }

    /// Closes a name built with [`Name::push_wire_label`].
    pub(super) fn finish(mut wire: Vec<u8>) -> Name {
        debug_assert!(wire.len() < MAX_NAME_LEN);
        wire.push(0);
        Name { wire }
    }

    /// The uncompressed wire form: length-prefixed labels, then a zero byte.
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let n: Name = "a.b".parse().unwrap();
    /// assert_eq!(n.as_wire(), b"\x01a\x01b\x00");
    /// ```
    pub fn as_wire(&self) -> &[u8] {
        &self.wire
    }

    /// Length of the wire form (at most 255).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// assert_eq!("example.com".parse::<Name>().unwrap().wire_len(), 13);
    /// ```
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// Whether this is the root name.
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// assert!("".parse::<Name>().unwrap().is_root());
    /// assert!(!"com".parse::<Name>().unwrap().is_root());
    /// ```
    pub fn is_root(&self) -> bool {
        self.wire.len() == 1
    }

    /// The labels, leftmost first (the root's empty label not included).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let n: Name = "www.example.com".parse().unwrap();
    /// let labels: Vec<&[u8]> = n.labels().collect();
    /// assert_eq!(labels, [&b"www"[..], b"example", b"com"]);
    /// ```
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.wire }
    }

    /// How many labels (0 for the root).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// assert_eq!("a.b.c".parse::<Name>().unwrap().label_count(), 3);
    /// ```
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The text form libevent hands to its callbacks: labels joined by
    /// `.`, bytes copied as they are (no escaping), no trailing dot, the
    /// root as the empty string.
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let n = Name::from_wire(b"\x03a.b\x01\xff\x00").unwrap();
    /// assert_eq!(n.to_dotted(), b"a.b.\xff"); // one label holds a dot
    /// assert_eq!(Name::root().to_dotted(), b"");
    /// ```
    pub fn to_dotted(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.dotted_len());
        for (i, label) in self.labels().enumerate() {
            if i > 0 {
                out.push(b'.');
            }
            out.extend_from_slice(label);
        }
        out
    }

    /// Length of [`Name::to_dotted`]: the wire length minus 2 (0 for the
    /// root). Byte `i` of the dotted text is byte `i + 1` of the wire form.
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// assert_eq!("example.com".parse::<Name>().unwrap().dotted_len(), 11);
    /// ```
    pub fn dotted_len(&self) -> usize {
        self.wire.len().saturating_sub(2)
    }

    /// Compares as DNS does: ASCII letters without regard to case, every
    /// other byte exactly (RFC 4343).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let a: Name = "Example.COM".parse().unwrap();
    /// assert!(a.eq_ignore_case(&"example.com".parse().unwrap()));
    /// assert!(!a.eq_ignore_case(&"example.co".parse().unwrap()));
    /// ```
    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        // Length bytes are at most 63, below every ASCII letter, so folding
        // the whole wire form folds only the labels' letters.
        self.wire.eq_ignore_ascii_case(&other.wire)
    }

    /// The same name with ASCII letters lowercased (the key the encoder's
    /// compression table uses).
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let n: Name = "WwW.Example.COM".parse().unwrap();
    /// assert_eq!(n.to_lowercase().to_string(), "www.example.com");
    /// ```
    pub fn to_lowercase(&self) -> Name {
        Name {
            wire: self.wire.to_ascii_lowercase(),
        }
    }

    /// Applies DNS 0x20 randomization (draft-vixie-dnsext-dns0x20), as
    /// libevent's resolver does with `randomize-case`: bit `i` of `bits`
    /// (bit `i % 8` of byte `i / 8`) decides whether the ASCII letter at
    /// byte `i` of the dotted text ([`Name::to_dotted`]) has its case
    /// flipped. Non-letters are never changed; letters past the end of
    /// `bits` are kept. `(`[`Name::dotted_len`]` + 7) / 8` random bytes
    /// cover every letter.
    ///
    /// The resolver sends the result and then checks the echoed question
    /// with `==` (byte for byte), which an off-path attacker has to guess.
    ///
    /// ```
    /// use oxevent::dns::wire::Name;
    ///
    /// let n: Name = "example.com".parse().unwrap();
    /// let sent = n.randomize_case(&[0b0000_0101, 0x00]);
    /// assert_eq!(sent.to_string(), "ExAmple.com");
    /// assert!(sent.eq_ignore_case(&n));
    /// assert_ne!(sent, n);
    /// assert_eq!(n.randomize_case(&[]), n);
    /// ```
    pub fn randomize_case(&self, bits: &[u8]) -> Name {
        let mut wire = self.wire.clone();
        for (i, b) in wire.iter_mut().enumerate().skip(1) {
            let dotted = i - 1;
            let flip = bits
                .get(dotted / 8)
                .is_some_and(|byte| byte & (1 << (dotted % 8)) != 0);
            if flip && b.is_ascii_alphabetic() {
                *b ^= 0x20;
            }
        }
        Name { wire }
    }
}

/// Appends `label` (length byte, then its bytes) to a name's wire form
/// under construction, which does not yet hold its final zero byte.
fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), WireError> {
    if label.is_empty() {
        return Err(WireError::EmptyLabel);
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(WireError::LabelTooLong);
    }
    // +1 for the length byte, +1 for the root's zero byte still to come.
    if wire.len() + 1 + label.len() + 1 > MAX_NAME_LEN {
        return Err(WireError::NameTooLong);
    }
    // The length fits in a byte: checked just above.
    wire.push(label.len() as u8);
    wire.extend_from_slice(label);
    Ok(())
}

/// The labels of a [`Name`], leftmost first ([`Name::labels`]).
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        let label = tail.get(..usize::from(len))?;
        if label.is_empty() {
            self.rest = &[];
            return None;
        }
        self.rest = tail.get(usize::from(len)..).unwrap_or(&[]);
        Some(label)
    }
}

impl FromStr for Name {
    type Err = WireError;

    /// [`Name::from_dotted`] on the string's bytes.
    fn from_str(s: &str) -> Result<Name, WireError> {
        Name::from_dotted(s.as_bytes())
    }
}

impl fmt::Display for Name {
    /// [`Name::to_dotted`] (bytes that are not UTF-8 shown as U+FFFD), except
    /// that the root prints as `.` so that logs never show an empty name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        f.write_str(&String::from_utf8_lossy(&self.to_dotted()))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({:?})", self.to_string())
    }
}

/// The name a reverse lookup of an IPv4 address asks for, as libevent's
/// `evdns_base_resolve_reverse` builds it: the four bytes in reverse order,
/// then `in-addr.arpa`.
///
/// ```
/// use std::net::Ipv4Addr;
/// use oxevent::dns::wire::reverse_name_v4;
///
/// let n = reverse_name_v4(Ipv4Addr::new(192, 0, 2, 10));
/// assert_eq!(n.to_string(), "10.2.0.192.in-addr.arpa");
/// ```
pub fn reverse_name_v4(addr: Ipv4Addr) -> Name {
    let o = addr.octets();
    let text = format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]);
    // At most 29 bytes of well-formed labels: cannot fail.
    Name::from_dotted(text.as_bytes()).unwrap_or_else(|_| Name::root())
}

/// The name a reverse lookup of an IPv6 address asks for, as libevent's
/// `evdns_base_resolve_reverse_ipv6` builds it (RFC 3596 §2.5): the 32
/// nibbles, lowest first, in lowercase hex, then `ip6.arpa`.
///
/// ```
/// use std::net::Ipv6Addr;
/// use oxevent::dns::wire::reverse_name_v6;
///
/// let n = reverse_name_v6("2001:db8::567:89ab".parse().unwrap());
/// assert_eq!(
///     n.to_string(),
///     "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
/// );
/// ```
pub fn reverse_name_v6(addr: Ipv6Addr) -> Name {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = Vec::with_capacity(32 * 2 + 8);
    for byte in addr.octets().iter().rev() {
        text.extend_from_slice(&[HEX[usize::from(byte & 0xf)], b'.']);
        text.extend_from_slice(&[HEX[usize::from(byte >> 4)], b'.']);
    }
    text.extend_from_slice(b"ip6.arpa");
    // 73 bytes of well-formed labels: cannot fail.
    Name::from_dotted(&text).unwrap_or_else(|_| Name::root())
}
