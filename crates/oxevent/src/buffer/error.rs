//! Why a buffer operation was refused ([`BufferError`], carried by
//! [`Error::Buffer`](crate::Error::Buffer)).
//!
//! This module only names refusals; it decides nothing. Every refusal leaves
//! the buffer exactly as it was before the call.

use std::fmt;

use super::Side;

/// Why a buffer operation was refused.
///
/// ```
/// use oxevent::buffer::{Buffer, BufferError, Side};
/// use oxevent::Error;
///
/// let mut buf = Buffer::new();
/// buf.freeze(Side::End);
/// match buf.add(b"late") {
///     Err(Error::Buffer(BufferError::Frozen(Side::End))) => {}
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BufferError {
    /// That end of the buffer is frozen ([`Buffer::freeze`](super::Buffer::freeze)).
    Frozen(Side),
    /// A size computation would overflow, or the result would pass
    /// `isize::MAX` bytes (libevent's `ev_ssize_t` positions).
    TooLarge,
    /// The allocator refused this many bytes.
    OutOfMemory(usize),
    /// Fewer bytes are buffered than the operation needs.
    NotEnoughData {
        /// Bytes the operation needed.
        wanted: usize,
        /// Bytes the buffer holds (from the position, if one was given).
        have: usize,
    },
    /// The position belongs to another buffer.
    ForeignPos,
    /// The buffer lost or gained bytes before the position since it was
    /// made (a drain, remove, prepend …): it no longer names the same byte.
    StalePos,
    /// The position would lie past the end of the buffer.
    PosOutOfRange,
    /// A commit that does not match the current reservation: none was made,
    /// the buffer changed since, or more bytes than were reserved.
    BadCommit(&'static str),
    /// `reserve` with no room for any slice (`n_vecs < 1`).
    NoVecs,
    /// No callback with this id (it was removed, or never added here).
    NoSuchCallback,
    /// `add_buffer_reference` over chunks libevent cannot reference (file
    /// segments, or chunks that are themselves references to another
    /// buffer).
    Unreferenceable,
    /// This thread already holds the [`SharedBuffer`](super::SharedBuffer)'s
    /// lock (locking again would deadlock).
    Relock,
    /// A file range outside the file or segment, or a descriptor that is
    /// not a regular file.
    BadFileRange(&'static str),
}

impl fmt::Display for BufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufferError::Frozen(Side::Start) => f.write_str("the start of the buffer is frozen"),
            BufferError::Frozen(Side::End) => f.write_str("the end of the buffer is frozen"),
            BufferError::TooLarge => {
                f.write_str("size out of range (overflow or beyond isize::MAX)")
            }
            BufferError::OutOfMemory(n) => write!(f, "out of memory allocating {n} bytes"),
            BufferError::NotEnoughData { wanted, have } => {
                write!(f, "needed {wanted} bytes but the buffer holds {have}")
            }
            BufferError::ForeignPos => f.write_str("the position belongs to another buffer"),
            BufferError::StalePos => {
                f.write_str("the position is stale: the buffer was drained or prepended to since")
            }
            BufferError::PosOutOfRange => f.write_str("the position is past the end of the buffer"),
            BufferError::BadCommit(why) => write!(f, "commit refused: {why}"),
            BufferError::NoVecs => f.write_str("reserve needs room for at least one slice"),
            BufferError::NoSuchCallback => f.write_str("no such buffer callback"),
            BufferError::Unreferenceable => f.write_str(
                "the source holds file segments or references that cannot be referenced",
            ),
            BufferError::Relock => f.write_str("this thread already holds the buffer's lock"),
            BufferError::BadFileRange(why) => write!(f, "bad file segment: {why}"),
        }
    }
}

impl std::error::Error for BufferError {}
