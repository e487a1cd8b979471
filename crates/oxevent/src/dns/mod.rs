//! DNS for the event loop (libevent's `evdns`): the message format now; the
//! resolver and the server later.
//!
//! The plan, one sibling module per layer:
//!
//! - [`wire`] (here now): DNS messages in their wire format (RFC 1035,
//!   RFC 3596): validated names, parsing that refuses every malformed
//!   packet, building with name compression and UDP truncation, the
//!   reverse-lookup names and the 0x20 case randomization helper.
//! - a resolver (`evdns_base`: requests, retries, name servers, search
//!   domains), a server (`evdns_server_port`), and the `resolv.conf` and
//!   `hosts` parsers, each in its own module, built on [`wire`].
//!
//! What this module owns: only the layout above. The wire layer does no I/O,
//! keeps no state between calls and never calls user code, so the resolver
//! and the server can use it under any lock.
//!
//! ```
//! use oxevent::dns::wire::{Flags, Header, Message, Name, Question, TYPE_A};
//!
//! let mut query = Message::new(Header { id: 0x1234, flags: Flags::RD });
//! query.questions.push(Question::new("example.com".parse::<Name>().unwrap(), TYPE_A));
//! let packet = query.encode(512).unwrap();
//! assert_eq!(Message::parse(&packet).unwrap(), query);
//! ```

pub mod wire;
