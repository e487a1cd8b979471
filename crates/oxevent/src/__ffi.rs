//! The C face's door into the engine: what `oxevent-ffi` needs and the Rust
//! face does not show. Hidden from the documentation and outside semver:
//! records keyed by a C struct's address, callback words instead of
//! closures, and the program's own lock.
//!
//! Nothing here is `unsafe`: the C face converts pointers on its side.

pub use crate::config::LockMaker;
pub use crate::core::{Spec, When};
pub use crate::dispatch::{Job, Runner};
pub use crate::engine::{Engine, KeyedOp};
pub use crate::sys::lock::ExternalLock;

/// The calling thread's identity (its thread pointer): cheap (one load, no
/// TLS lookup), never 0, unique among live threads. The C face's evbuffer
/// uses it to tell a nested call on the same thread from another thread.
#[inline]
pub fn thread_token() -> u64 {
    crate::sys::thread_pointer()
}
