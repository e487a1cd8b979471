//! DNS for the event loop (libevent's `evdns`): the message format, the
//! resolver (a state machine and its driver on a base), the configuration
//! files. The DNS server exists in the C face only, for now.
//!
//! The plan, one sibling module per layer:
//!
//! - [`wire`] (here now): DNS messages in their wire format (RFC 1035,
//!   RFC 3596): validated names, parsing that refuses every malformed
//!   packet, building with name compression and UDP truncation, the
//!   reverse-lookup names and the 0x20 case randomization helper.
//! - [`client`]: the resolver (`evdns_base`: requests, retries, name
//!   servers, probes, search domains) as a state machine without I/O, which
//!   the faces drive with sockets and timers: [`resolver::Resolver`] on a
//!   [`Base`](crate::Base) for Rust programs, `evdns_base` in oxevent-ffi
//!   for C ones.
//! - [`resolv_conf`] and [`hosts`]: `/etc/resolv.conf` as
//!   `evdns_base_resolv_conf_parse` reads it, `/etc/hosts` as
//!   `evdns_base_load_hosts` reads it, and the validator behind
//!   `evdns_base_set_option`, shared by the Rust and C faces. They turn
//!   configuration text into typed values and say why each skipped line
//!   was skipped; they never touch a resolver, a socket or the host name.
//! - a server (`evdns_server_port`): in the C face (oxevent-ffi's
//!   `dns_server.rs`), built on [`wire`]; a Rust type is still to come.
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

pub mod client;
pub mod hosts;
pub mod resolv_conf;
pub mod resolver;
pub mod wire;

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

/// A nonblocking UDP socket connected to `addr` (the kernel then drops
/// datagrams from any other address). For the faces' drivers.
#[doc(hidden)]
pub fn udp_connect(addr: SocketAddr) -> io::Result<OwnedFd> {
    crate::sys::udp_connect(&addr)
}

/// A nonblocking TCP connection to `addr`, in progress or made.
#[doc(hidden)]
pub fn tcp_connect(addr: SocketAddr) -> io::Result<OwnedFd> {
    crate::sys::connect_nonblocking(&addr).map(|(fd, _)| fd)
}

/// Whether a connecting socket failed (`SO_ERROR` set, or unreadable).
#[doc(hidden)]
pub fn socket_failed(fd: &impl AsFd) -> bool {
    !matches!(crate::sys::socket_error(fd.as_fd()), Ok(None))
}
