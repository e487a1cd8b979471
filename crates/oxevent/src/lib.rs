//! oxevent: libevent's event-notification model, in safe Rust.
//!
//! One loop serves I/O readiness, timers and signals. Using it takes the five
//! steps the libevent study notes teach:
//!
//! 1. create a base ([`Base::new`]);
//! 2. create an event ([`Base::io`], [`Base::timer`], [`Base::signal`]);
//! 3. make it pending ([`Base::add`]);
//! 4. run the loop ([`Base::dispatch`]);
//! 5. free what you created ([`Base::free`], then drop the base).
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::unix::net::UnixStream;
//! use oxevent::{Base, Ev};
//!
//! let (reader, mut writer) = UnixStream::pair().unwrap();
//! let base = Base::<Vec<u8>>::new().unwrap();
//! let ev = base
//!     .io(reader, Ev::READ | Ev::PERSIST, |got: &mut Vec<u8>, base, io, _| {
//!         let mut buf = [0u8; 64];
//!         let n = io.read(&mut buf).unwrap();
//!         got.extend_from_slice(&buf[..n]);
//!         base.loopbreak();
//!     })
//!     .unwrap();
//! base.add(ev, None).unwrap();
//! writer.write_all(b"hello").unwrap();
//! let mut got = Vec::new();
//! base.dispatch(&mut got).unwrap();
//! assert_eq!(got, b"hello");
//! base.free(ev).unwrap();
//! ```
//!
//! A `Base` belongs to its thread; other threads use a [`Remote`]. The same
//! engine carries the C face (`oxevent-ffi`, libevent 2.1's ABI): its
//! records hold two callback words, which the C face fills with the
//! program's function pointer and argument and the Rust face leaves to the
//! closures it keeps on the base's thread, so neither pays for the other.
//!
//! Behaviour follows libevent 2.1.12: priorities (lower runs first, and a busy
//! higher priority starves lower ones), `EV_PERSIST` timeouts that keep their
//! period, `loopexit`/`loopbreak`/`loopcontinue`, `EVLOOP_ONCE`/`NONBLOCK`/
//! `NO_EXIT_ON_EMPTY`, backends chosen at run time (`EVENT_NOEPOLL`,
//! `EVENT_NOPOLL`, `EVENT_NOSELECT`, `EVENT_SHOW_METHOD`), `reinit` after fork.
//!
//! Byte buffers for network I/O (libevent's `evbuffer`) are in [`buffer`].
//!
//! Dependencies:
//! - `libc`, for the syscalls in [`sys`](crate) (the one module with
//!   `unsafe` code);
//! - `memchr`, for searching buffers ([`buffer::Buffer::search`],
//!   [`buffer::Buffer::readln`]): SIMD `memchr`/`memchr2` and a substring
//!   searcher (`memmem`) that beat libevent's byte loops by a wide margin,
//!   with no `unsafe` on our side, no dependencies of its own, and a long
//!   record as the searcher behind `regex` and `bstr`.

#![deny(missing_docs)]

mod api;
pub mod buffer;
pub mod bufferevent;
mod config;
mod core;
mod dispatch;
pub mod dns;
mod engine;
mod error;
mod event;
mod flags;
mod keys;
pub mod log;
mod sys;
mod timer;

#[doc(hidden)]
pub mod __ffi;

pub use api::{Base, Io, Remote};
pub use config::{BaseFlags, Config, LockBias};
pub use engine::{supported_methods, Count, DelMode, LoopExit, LoopFlags, Timeout};
pub use error::{Error, Result};
pub use event::{EventId, EventInfo, Fired, Pending};
pub use flags::Ev;
pub use sys::Features;
pub use timer::CommonTimeout;
