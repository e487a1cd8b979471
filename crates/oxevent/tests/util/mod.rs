//! Helpers shared by the integration tests: bases on an explicit backend,
//! socketpairs, a tiny deterministic RNG, and time assertions.
//!
//! Every test binary includes this module but uses only part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use oxevent::{Base, BaseFlags, Config};

/// The backends every Linux build offers, in libevent's order of preference.
pub const METHODS: [&str; 3] = ["epoll", "poll", "select"];

/// A config that selects exactly `method`, whatever the environment says.
pub fn config_for(method: &str) -> Config {
    let mut cfg = Config::new();
    cfg.flag(BaseFlags::IGNORE_ENV);
    for m in METHODS {
        if m != method {
            cfg.avoid_method(m);
        }
    }
    cfg
}

/// A base on exactly `method` (the environment is ignored).
pub fn base_on<D: 'static>(method: &str) -> Base<D> {
    let base = Base::<D>::with_config(&config_for(method)).expect("base on the chosen backend");
    assert_eq!(base.method(), method);
    base
}

/// A base built as a program would build it (the `EVENT_NO*` variables
/// choose the backend, so the whole suite runs on each).
pub fn base<D: 'static>() -> Base<D> {
    Base::<D>::new().expect("default base")
}

/// A non-blocking connected pair of Unix stream sockets.
pub fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("nonblocking");
    b.set_nonblocking(true).expect("nonblocking");
    (a, b)
}

/// Writes all of `bytes` to a (non-blocking) socket that has room for them.
pub fn send(sock: &mut impl Write, bytes: &[u8]) {
    sock.write_all(bytes).expect("write to socketpair");
}

/// Reads whatever is available now (non-blocking socket).
pub fn drain(sock: &mut impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

/// xorshift64*: deterministic pseudo-random numbers, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Milliseconds as a `Duration`.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Asserts `lo <= elapsed < hi`, with a readable message.
#[track_caller]
pub fn assert_between(what: &str, elapsed: Duration, lo: Duration, hi: Duration) {
    assert!(
        elapsed >= lo && elapsed < hi,
        "{what}: took {elapsed:?}, expected between {lo:?} and {hi:?}"
    );
}

/// Time since `start`.
pub fn since(start: Instant) -> Duration {
    start.elapsed()
}
