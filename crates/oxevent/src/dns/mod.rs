//! Configuration for the DNS resolver (libevent's `evdns`): the parsers for
//! `/etc/resolv.conf` ([`resolv_conf`], as `evdns_base_resolv_conf_parse`
//! reads it) and `/etc/hosts` ([`hosts`], as `evdns_base_load_hosts` reads
//! it), plus the validator behind `evdns_base_set_option`
//! ([`resolv_conf::parse_option`]), shared by the Rust and C faces.
//!
//! What this module owns: turning configuration text into typed values, and
//! saying why each skipped line was skipped. What it must never do: touch a
//! resolver, a socket or the host name (the caller applies the result), or
//! panic on any input (files may hold any bytes).

pub mod hosts;
pub mod resolv_conf;
