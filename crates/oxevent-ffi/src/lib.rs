//! oxevent-ffi: libevent 2.1.12's C ABI over the oxevent engine.
//!
//! One shared library carries every libevent name (`libevent-2.1.so.7`,
//! `libevent_core-2.1.so.7`, `libevent_pthreads-2.1.so.7`): a program linked
//! against any mix of them loads one copy. Each module is one public header:
//! exports check their arguments, convert them (only through `handle`), and
//! delegate to the engine; no panic crosses the boundary (`boundary::guard`).
//!
//! Dependencies: `oxevent` (the engine) and `libc` (C types at the boundary).

// The exports are called from C with libevent's pointer contract (NULL or a
// valid object); each conversion goes through `handle` with a SAFETY note, so
// marking every export `unsafe fn` would add nothing for C callers.
#![allow(clippy::missing_safety_doc, clippy::not_unsafe_ptr_arg_deref)]

pub mod abi;
mod boundary;
pub mod buffer;
pub mod buffer_compat;
pub mod bufferevent;
pub mod compat;
pub mod dns;
pub mod dns_compat;
pub mod dns_conf;
pub mod dns_getaddrinfo;
pub mod dns_server;
pub mod event;
pub mod handle;
pub mod listener;
pub mod log;
pub mod mem;
pub mod thread;
pub mod util;
