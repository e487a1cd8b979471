//! A buffer shared between threads ([`SharedBuffer`]).
//!
//! What this module owns: one lock around one [`Buffer`], and the check that
//! refuses a thread locking it twice (which would deadlock) with
//! [`BufferError::Relock`], in release builds too.
//!
//! Callbacks run while the lock is held, as in libevent; they receive the
//! buffer itself (`&mut Buffer`), so they never need to lock again. A
//! callback that tries anyway gets `Relock`, not a deadlock.
//!
//! The C face does not use this type: libevent's `evbuffer_lock` is
//! recursive and may be the program's own lock (`evthread` callbacks), so
//! `oxevent-ffi` keeps the `Buffer` in its own cell behind that lock and
//! lends `&mut Buffer` out of it, exactly as this type does.
//!
//! What it must never do: hand out two guards at once, or let a guard move
//! to another thread (it is not `Send`).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Buffer, BufferError};
use crate::error::Result;
use crate::sys;

struct Shared {
    /// The token of the thread holding the lock, 0 when none.
    owner: AtomicU64,
    buf: Mutex<Buffer>,
}

/// A [`Buffer`] several threads use, each through [`lock`](Self::lock).
/// Cloning makes another handle to the same buffer.
///
/// ```
/// use std::thread;
/// use oxevent::buffer::{Buffer, SharedBuffer};
///
/// let shared = SharedBuffer::new(Buffer::new());
/// let writers: Vec<_> = (0..4)
///     .map(|_| {
///         let s = shared.clone();
///         thread::spawn(move || {
///             for _ in 0..100 {
///                 s.lock().unwrap().add(b"x").unwrap();
///             }
///         })
///     })
///     .collect();
/// for w in writers {
///     w.join().unwrap();
/// }
/// assert_eq!(shared.lock().unwrap().len(), 400);
/// ```
#[derive(Clone)]
pub struct SharedBuffer {
    inner: Arc<Shared>,
}

impl fmt::Debug for SharedBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBuffer")
            .field("locked", &(self.inner.owner.load(Ordering::Relaxed) != 0))
            .finish()
    }
}

impl SharedBuffer {
    /// Wraps `buf` for sharing.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, SharedBuffer};
    /// let s = SharedBuffer::new(Buffer::new());
    /// assert!(s.lock().unwrap().is_empty());
    /// ```
    pub fn new(buf: Buffer) -> SharedBuffer {
        SharedBuffer {
            inner: Arc::new(Shared {
                owner: AtomicU64::new(0),
                buf: Mutex::new(buf),
            }),
        }
    }

    /// Locks the buffer, waiting for another thread that holds it. Refused
    /// with [`BufferError::Relock`] when this thread holds it already.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, SharedBuffer};
    ///
    /// let s = SharedBuffer::new(Buffer::new());
    /// let mut g = s.lock().unwrap();
    /// g.add(b"held").unwrap();
    /// assert!(s.lock().is_err()); // same thread: refused, not a deadlock
    /// drop(g);
    /// assert_eq!(s.lock().unwrap().len(), 4);
    /// ```
    pub fn lock(&self) -> Result<BufferGuard<'_>> {
        let me = sys::thread_pointer();
        if self.inner.owner.load(Ordering::Relaxed) == me {
            return Err(BufferError::Relock.into());
        }
        // A poisoned lock means a panic while it was held; buffer operations
        // keep the chain consistent when a callback panics, so go on.
        let guard = self.inner.buf.lock().unwrap_or_else(|p| p.into_inner());
        self.inner.owner.store(me, Ordering::Relaxed);
        Ok(BufferGuard {
            owner: &self.inner.owner,
            guard,
        })
    }

    /// Runs `f` with the buffer locked.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, SharedBuffer};
    /// let s = SharedBuffer::new(Buffer::new());
    /// let len = s.with(|b| { b.add(b"abc").unwrap(); b.len() }).unwrap();
    /// assert_eq!(len, 3);
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> Result<R> {
        let mut g = self.lock()?;
        Ok(f(&mut g))
    }

    /// Takes the buffer back when this is the last handle.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, SharedBuffer};
    /// let s = SharedBuffer::new(Buffer::new());
    /// let copy = s.clone();
    /// let s = s.into_inner().unwrap_err(); // `copy` still shares it
    /// drop(copy);
    /// assert!(s.into_inner().unwrap().is_empty());
    /// ```
    pub fn into_inner(self) -> std::result::Result<Buffer, SharedBuffer> {
        match Arc::try_unwrap(self.inner) {
            Ok(shared) => Ok(shared.buf.into_inner().unwrap_or_else(|p| p.into_inner())),
            Err(inner) => Err(SharedBuffer { inner }),
        }
    }
}

/// The locked buffer ([`SharedBuffer::lock`]); unlocks when dropped.
///
/// ```
/// use oxevent::buffer::{Buffer, SharedBuffer};
/// let s = SharedBuffer::new(Buffer::new());
/// {
///     let mut g = s.lock().unwrap();
///     g.add(b"in").unwrap();
/// } // unlocked here
/// assert_eq!(s.lock().unwrap().len(), 2);
/// ```
pub struct BufferGuard<'a> {
    owner: &'a AtomicU64,
    guard: MutexGuard<'a, Buffer>,
}

impl fmt::Debug for BufferGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BufferGuard").field(&*self.guard).finish()
    }
}

impl Deref for BufferGuard<'_> {
    type Target = Buffer;
    fn deref(&self) -> &Buffer {
        &self.guard
    }
}

impl DerefMut for BufferGuard<'_> {
    fn deref_mut(&mut self) -> &mut Buffer {
        &mut self.guard
    }
}

impl Drop for BufferGuard<'_> {
    fn drop(&mut self) {
        // Cleared before the mutex is released (the field drops after this).
        self.owner.store(0, Ordering::Relaxed);
    }
}
