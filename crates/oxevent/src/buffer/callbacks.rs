//! Callbacks on length changes (`evbuffer_add_cb`, `evbuffer_remove_cb`,
//! `evbuffer_cb_set_flags`, `evbuffer_defer_callbacks`).
//!
//! What this module owns: the callback list, the added/deleted counts since
//! callbacks last ran, and the deferred state.
//!
//! How a callback may change its own buffer: a callback is taken out of its
//! slot before it runs and gets `&mut Buffer` (the same borrow the operation
//! had), then is put back. Nothing else borrows the buffer meanwhile, so it
//! may add, drain, add or remove callbacks, itself included. A callback
//! that triggers callbacks again is not re-entered (its slot is empty while
//! it runs); the others run nested, as in libevent. Callbacks run newest
//! first (libevent inserts at the list head); one added while callbacks run
//! waits for the next change. A callback that panics is dropped.
//!
//! Deferred callbacks: after [`Buffer::defer_callbacks`], only callbacks
//! flagged [`CbFlags::NODEFER`] run inside the operation; the others are
//! *due*, the `notify` function given to `defer_callbacks` is called once
//! per batch, and the owner (an event loop) later calls
//! [`Buffer::run_deferred_callbacks`]. This module never schedules anything
//! itself: the seam to the event base is that one function.
//!
//! What it must never do: hold a borrow of a callback slot while user code
//! runs, or lose a count (the counts are cleared only when they are
//! reported).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Buffer, BufferError};

/// Callback ids are unique in the process, so an id from another buffer
/// never names one of this buffer's callbacks.
static NEXT_CB_ID: AtomicU64 = AtomicU64::new(1);
use crate::error::Result;

/// What changed since callbacks last ran (libevent's `evbuffer_cb_info`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use oxevent::buffer::{Buffer, CbInfo};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let mut buf = Buffer::new();
/// buf.add_cb(move |_: &mut Buffer, info: &CbInfo| log.lock().unwrap().push(*info));
/// buf.add(b"abc").unwrap();
/// buf.drain(1).unwrap();
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen[0], CbInfo { orig_size: 0, n_added: 3, n_deleted: 0 });
/// assert_eq!(seen[1], CbInfo { orig_size: 3, n_added: 0, n_deleted: 1 });
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CbInfo {
    /// Length before the changes reported here.
    pub orig_size: usize,
    /// Bytes added since.
    pub n_added: usize,
    /// Bytes removed since.
    pub n_deleted: usize,
}

/// Callback flags (libevent's `EVBUFFER_CB_ENABLED`, `EVBUFFER_CB_NODEFER`).
///
/// ```
/// use oxevent::buffer::CbFlags;
///
/// let f = CbFlags::ENABLED | CbFlags::NODEFER;
/// assert!(f.contains(CbFlags::NODEFER));
/// assert_eq!(f.bits(), 3);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CbFlags(u32);

impl CbFlags {
    /// The callback runs (set when it is added).
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::CbFlags::ENABLED.bits(), 1);
    /// ```
    pub const ENABLED: CbFlags = CbFlags(1);
    /// The callback runs inside the operation even when callbacks are
    /// deferred.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::CbFlags::NODEFER.bits(), 2);
    /// ```
    pub const NODEFER: CbFlags = CbFlags(2);

    /// Flags from libevent's values (bits other than these two are dropped,
    /// as libevent masks its internal flags).
    ///
    /// ```
    /// use oxevent::buffer::CbFlags;
    /// assert_eq!(CbFlags::from_bits(0x7), CbFlags::ENABLED | CbFlags::NODEFER);
    /// ```
    pub const fn from_bits(bits: u32) -> CbFlags {
        CbFlags(bits & 3)
    }

    /// The bit values.
    ///
    /// ```
    /// assert_eq!(oxevent::buffer::CbFlags::default().bits(), 0);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    ///
    /// ```
    /// use oxevent::buffer::CbFlags;
    /// assert!(!CbFlags::ENABLED.contains(CbFlags::NODEFER));
    /// ```
    pub const fn contains(self, other: CbFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Callback flags combine with `|`.
///
/// ```
/// use oxevent::buffer::CbFlags;
/// assert_eq!((CbFlags::ENABLED | CbFlags::NODEFER).bits(), 3);
/// ```
impl std::ops::BitOr for CbFlags {
    type Output = CbFlags;
    fn bitor(self, other: CbFlags) -> CbFlags {
        CbFlags(self.0 | other.0)
    }
}

/// Names one callback of one buffer (libevent's `evbuffer_cb_entry *`).
///
/// ```
/// use oxevent::buffer::{Buffer, CbInfo};
///
/// let mut buf = Buffer::new();
/// let id = buf.add_cb(|_: &mut Buffer, _: &CbInfo| {});
/// buf.remove_cb(id).unwrap();
/// assert!(buf.remove_cb(id).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CbId(u64);

/// A buffer callback. Closures `FnMut(&mut Buffer, &CbInfo) + Send`
/// implement it; the C face implements it for a C function pointer and its
/// argument.
///
/// ```
/// use oxevent::buffer::{Buffer, BufferCallback, CbInfo};
///
/// struct HighWater(usize);
/// impl BufferCallback for HighWater {
///     fn call(&mut self, buf: &mut Buffer, _info: &CbInfo) {
///         self.0 = self.0.max(buf.len());
///     }
/// }
/// let mut buf = Buffer::new();
/// buf.add_callback(Box::new(HighWater(0)));
/// buf.add(b"abc").unwrap();
/// ```
pub trait BufferCallback: Send {
    /// Runs after the buffer's length changed. `buf` is the buffer itself:
    /// the callback may change it.
    fn call(&mut self, buf: &mut Buffer, info: &CbInfo);
}

impl<F> BufferCallback for F
where
    F: FnMut(&mut Buffer, &CbInfo) + Send,
{
    fn call(&mut self, buf: &mut Buffer, info: &CbInfo) {
        self(buf, info)
    }
}

struct Entry {
    id: u64,
    flags: CbFlags,
    /// `None` while the callback runs.
    cb: Option<Box<dyn BufferCallback>>,
}

type Notify = Box<dyn FnMut() + Send>;

/// The callback list of one buffer.
#[derive(Default)]
pub(super) struct Callbacks {
    /// Sorted by id (insertion order); run from the back.
    entries: Vec<Entry>,
    n_added: usize,
    n_deleted: usize,
    /// `Some` once callbacks are deferred.
    deferred: Option<Box<Deferred>>,
}

struct Deferred {
    notify: Option<Notify>,
    scheduled: bool,
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("count", &self.entries.len())
            .field("n_added", &self.n_added)
            .field("n_deleted", &self.n_deleted)
            .finish()
    }
}

impl Callbacks {
    pub(super) fn count(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub(super) fn added(&mut self, n: usize) {
        self.n_added = self.n_added.saturating_add(n);
    }

    #[inline]
    pub(super) fn deleted(&mut self, n: usize) {
        self.n_deleted = self.n_deleted.saturating_add(n);
    }
}

impl Buffer {
    /// Adds an enabled callback run after every change of length
    /// (`evbuffer_add_cb`); returns its id.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbInfo};
    ///
    /// let mut buf = Buffer::new();
    /// // A callback may change the buffer it watches: keep the last 4 bytes.
    /// buf.add_cb(|b: &mut Buffer, _: &CbInfo| {
    ///     let extra = b.len().saturating_sub(4);
    ///     b.drain(extra).unwrap();
    /// });
    /// buf.add(b"0123456789").unwrap();
    /// assert_eq!(buf.to_vec().unwrap(), b"6789");
    /// ```
    pub fn add_cb<F>(&mut self, f: F) -> CbId
    where
        F: FnMut(&mut Buffer, &CbInfo) + Send + 'static,
    {
        self.add_callback(Box::new(f))
    }

    /// Adds an enabled callback given as a trait object.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, BufferCallback, CbInfo};
    ///
    /// let cb: Box<dyn BufferCallback> = Box::new(|_: &mut Buffer, _: &CbInfo| {});
    /// let mut buf = Buffer::new();
    /// let id = buf.add_callback(cb);
    /// buf.remove_cb(id).unwrap();
    /// ```
    pub fn add_callback(&mut self, cb: Box<dyn BufferCallback>) -> CbId {
        let id = NEXT_CB_ID.fetch_add(1, Ordering::Relaxed);
        // Buffers hold few callbacks: grow exactly (an idle connection's
        // two buffers would otherwise keep room for eight).
        self.cbs.entries.reserve_exact(1);
        self.cbs.entries.push(Entry {
            id,
            flags: CbFlags::ENABLED,
            cb: Some(cb),
        });
        CbId(id)
    }

    /// Removes a callback (`evbuffer_remove_cb_entry`). A callback may
    /// remove itself while it runs; it is dropped when it returns.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbInfo};
    ///
    /// let mut buf = Buffer::new();
    /// let id = buf.add_cb(|_: &mut Buffer, _: &CbInfo| panic!("never runs"));
    /// buf.remove_cb(id).unwrap();
    /// buf.add(b"x").unwrap();
    /// ```
    pub fn remove_cb(&mut self, id: CbId) -> Result<()> {
        let i = self.cb_index(id)?;
        self.cbs.entries.remove(i);
        Ok(())
    }

    /// Removes every callback (`evbuffer_setcb`'s first step).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbInfo};
    /// let mut buf = Buffer::new();
    /// buf.add_cb(|_: &mut Buffer, _: &CbInfo| panic!("never runs"));
    /// buf.remove_all_callbacks();
    /// buf.add(b"x").unwrap();
    /// ```
    pub fn remove_all_callbacks(&mut self) {
        self.cbs.entries.clear();
    }

    /// Sets flags on a callback (`evbuffer_cb_set_flags`).
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbFlags, CbInfo};
    /// let mut buf = Buffer::new();
    /// let id = buf.add_cb(|_: &mut Buffer, _: &CbInfo| {});
    /// buf.set_cb_flags(id, CbFlags::NODEFER).unwrap();
    /// assert_eq!(buf.cb_flags(id).unwrap(), CbFlags::ENABLED | CbFlags::NODEFER);
    /// ```
    pub fn set_cb_flags(&mut self, id: CbId, flags: CbFlags) -> Result<()> {
        let i = self.cb_index(id)?;
        self.cbs.entries[i].flags.0 |= flags.0;
        Ok(())
    }

    /// Clears flags on a callback (`evbuffer_cb_clear_flags`); a callback
    /// without [`CbFlags::ENABLED`] does not run.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbFlags, CbInfo};
    /// let mut buf = Buffer::new();
    /// let id = buf.add_cb(|_: &mut Buffer, _: &CbInfo| panic!("disabled"));
    /// buf.clear_cb_flags(id, CbFlags::ENABLED).unwrap();
    /// buf.add(b"x").unwrap();
    /// ```
    pub fn clear_cb_flags(&mut self, id: CbId, flags: CbFlags) -> Result<()> {
        let i = self.cb_index(id)?;
        self.cbs.entries[i].flags.0 &= !flags.0;
        Ok(())
    }

    /// A callback's flags.
    ///
    /// ```
    /// use oxevent::buffer::{Buffer, CbFlags, CbInfo};
    /// let mut buf = Buffer::new();
    /// let id = buf.add_cb(|_: &mut Buffer, _: &CbInfo| {});
    /// assert_eq!(buf.cb_flags(id).unwrap(), CbFlags::ENABLED);
    /// ```
    pub fn cb_flags(&self, id: CbId) -> Result<CbFlags> {
        Ok(self.cbs.entries[self.cb_index(id)?].flags)
    }

    /// Defers callbacks (`evbuffer_defer_callbacks`): from now on, callbacks
    /// without [`CbFlags::NODEFER`] run only from
    /// [`run_deferred_callbacks`](Self::run_deferred_callbacks). `notify` is
    /// called (without the buffer) when deferred callbacks become due, once
    /// until they have run; the owner uses it to schedule that run from its
    /// event loop.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use oxevent::buffer::{Buffer, CbInfo};
    ///
    /// let due = Arc::new(AtomicUsize::new(0));
    /// let ran = Arc::new(AtomicUsize::new(0));
    /// let mut buf = Buffer::new();
    /// let d = due.clone();
    /// buf.defer_callbacks(Some(Box::new(move || { d.fetch_add(1, Ordering::SeqCst); })));
    /// let r = ran.clone();
    /// buf.add_cb(move |_: &mut Buffer, info: &CbInfo| {
    ///     assert_eq!(info.n_added, 5); // both adds, reported together
    ///     r.fetch_add(1, Ordering::SeqCst);
    /// });
    /// buf.add(b"ab").unwrap();
    /// buf.add(b"cde").unwrap();
    /// assert_eq!((due.load(Ordering::SeqCst), ran.load(Ordering::SeqCst)), (1, 0));
    /// assert!(buf.deferred_callbacks_due());
    /// buf.run_deferred_callbacks(); // what the loop does
    /// assert_eq!(ran.load(Ordering::SeqCst), 1);
    /// ```
    pub fn defer_callbacks(&mut self, notify: Option<Box<dyn FnMut() + Send>>) {
        self.cbs.deferred = Some(Box::new(Deferred {
            notify,
            scheduled: false,
        }));
    }

    /// Whether deferred callbacks are waiting for
    /// [`run_deferred_callbacks`](Self::run_deferred_callbacks).
    ///
    /// ```
    /// let buf = oxevent::buffer::Buffer::new();
    /// assert!(!buf.deferred_callbacks_due());
    /// ```
    pub fn deferred_callbacks_due(&self) -> bool {
        self.cbs.deferred.as_ref().is_some_and(|d| d.scheduled)
    }

    /// Runs the deferred callbacks that are due (the event loop's side of
    /// [`defer_callbacks`](Self::defer_callbacks)); does nothing when none are.
    ///
    /// ```
    /// let mut buf = oxevent::buffer::Buffer::new();
    /// buf.run_deferred_callbacks(); // nothing deferred: nothing to do
    /// ```
    pub fn run_deferred_callbacks(&mut self) {
        let Some(d) = self.cbs.deferred.as_mut() else {
            return;
        };
        if !d.scheduled {
            return;
        }
        d.scheduled = false;
        self.run_callbacks(true);
    }

    fn cb_index(&self, id: CbId) -> Result<usize> {
        self.cbs
            .entries
            .binary_search_by_key(&id.0, |e| e.id)
            .map_err(|_| BufferError::NoSuchCallback.into())
    }

    /// Reports the changes since the last report to the callbacks (libevent's
    /// `evbuffer_invoke_callbacks_`). Called at the end of every operation.
    #[inline]
    pub(super) fn notify(&mut self) {
        if self.cbs.entries.is_empty() {
            if !self.record_changes {
                self.cbs.n_added = 0;
                self.cbs.n_deleted = 0;
            }
            return;
        }
        self.notify_slow();
    }

    /// Keeps the counts of bytes added and deleted for
    /// [`take_changes`](Self::take_changes) (on), or drops them after each
    /// operation as usual (off). For a face that reports changes itself:
    /// it costs no allocation, where a counting callback costs two. Used
    /// only on buffers without callbacks of their own.
    #[doc(hidden)]
    pub fn record_changes(&mut self, on: bool) {
        debug_assert!(self.cbs.entries.is_empty());
        self.record_changes = on;
        if !on {
            self.cbs.n_added = 0;
            self.cbs.n_deleted = 0;
        }
    }

    /// The bytes added and deleted since the last call (with
    /// [`record_changes`](Self::record_changes) on), and resets them.
    #[doc(hidden)]
    #[inline]
    pub fn take_changes(&mut self) -> (usize, usize) {
        let r = (self.cbs.n_added, self.cbs.n_deleted);
        self.cbs.n_added = 0;
        self.cbs.n_deleted = 0;
        r
    }

    fn notify_slow(&mut self) {
        if self.cbs.n_added == 0 && self.cbs.n_deleted == 0 {
            return;
        }
        let mut notify = None;
        if let Some(d) = self.cbs.deferred.as_mut() {
            if !d.scheduled {
                d.scheduled = true;
                notify = d.notify.take();
            }
        }
        if let Some(mut f) = notify {
            f();
            if let Some(d) = self.cbs.deferred.as_mut() {
                if d.notify.is_none() {
                    d.notify = Some(f);
                }
            }
        }
        self.run_callbacks(false);
    }

    /// libevent's `evbuffer_run_callbacks`.
    fn run_callbacks(&mut self, running_deferred: bool) {
        let deferring = self.cbs.deferred.is_some();
        let (mask, want, clear) = if running_deferred {
            (
                CbFlags::NODEFER.0 | CbFlags::ENABLED.0,
                CbFlags::ENABLED.0,
                true,
            )
        } else if deferring {
            // The deferred run reports these changes too: keep the counts.
            (
                CbFlags::NODEFER.0 | CbFlags::ENABLED.0,
                CbFlags::NODEFER.0 | CbFlags::ENABLED.0,
                false,
            )
        } else {
            (CbFlags::ENABLED.0, CbFlags::ENABLED.0, true)
        };
        if self.cbs.entries.is_empty() {
            self.cbs.n_added = 0;
            self.cbs.n_deleted = 0;
            return;
        }
        if self.cbs.n_added == 0 && self.cbs.n_deleted == 0 {
            return;
        }
        let info = CbInfo {
            orig_size: self
                .len
                .saturating_add(self.cbs.n_deleted)
                .saturating_sub(self.cbs.n_added),
            n_added: self.cbs.n_added,
            n_deleted: self.cbs.n_deleted,
        };
        if clear {
            self.cbs.n_added = 0;
            self.cbs.n_deleted = 0;
        }
        // Newest first; each step finds the next older entry by id, so
        // callbacks that add or remove entries cannot derail the walk.
        let mut bound = u64::MAX;
        loop {
            let i = self.cbs.entries.partition_point(|e| e.id < bound);
            if i == 0 {
                break;
            }
            let e = &mut self.cbs.entries[i - 1];
            bound = e.id;
            if e.flags.0 & mask != want {
                continue;
            }
            let Some(mut cb) = e.cb.take() else { continue };
            let id = e.id;
            cb.call(self, &info);
            if let Ok(j) = self.cbs.entries.binary_search_by_key(&id, |e| e.id) {
                if self.cbs.entries[j].cb.is_none() {
                    self.cbs.entries[j].cb = Some(cb);
                }
            }
        }
    }
}
