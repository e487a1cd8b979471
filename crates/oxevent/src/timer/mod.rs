//! Timers: the lazily sorted timing wheel for arbitrary deadlines (with the
//! indexed heap behind it for deadlines beyond its horizon) and the
//! common-timeout queues for many events sharing one duration.
//!
//! A common-timeout queue is a FIFO: every entry has the same duration and
//! deadlines only grow, so appending keeps it sorted and add/remove are O(1).
//! Removal is lazy: an entry is stale when its record's `timer_seq` moved on.
//! This module owns deadlines only; the engine decides what firing means.

pub(crate) mod heap;
pub(crate) mod wheel;

use std::collections::VecDeque;

pub(crate) use wheel::TimerWheel;

/// The most common-timeout queues a base may have (libevent's limit).
pub(crate) const MAX_COMMON: usize = 256;

/// A duration registered with [`crate::Base::init_common_timeout`]: events
/// added with it share one O(1) queue instead of the heap.
///
/// ```
/// use std::time::Duration;
/// let base = oxevent::Base::<()>::new().unwrap();
/// let a = base.init_common_timeout(Duration::from_millis(100)).unwrap();
/// let b = base.init_common_timeout(Duration::from_millis(100)).unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.duration(), Duration::from_millis(100));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommonTimeout {
    pub(crate) index: u16,
    pub(crate) nanos: u64,
}

impl CommonTimeout {
    /// The shared duration.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let q = base.init_common_timeout(Duration::from_millis(250)).unwrap();
    /// assert_eq!(q.duration(), Duration::from_millis(250));
    /// ```
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.nanos)
    }

    /// The queue number (0-based), stable for the base's life; the C face
    /// encodes it in a `timeval` as libevent does.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let base = oxevent::Base::<()>::new().unwrap();
    /// let first = base.init_common_timeout(Duration::from_millis(10)).unwrap();
    /// let second = base.init_common_timeout(Duration::from_millis(20)).unwrap();
    /// assert_eq!((first.index(), second.index()), (0, 1));
    /// assert_eq!(base.common_timeout(1), Some(second));
    /// ```
    pub fn index(self) -> u16 {
        self.index
    }
}

#[derive(Debug)]
pub(crate) struct CommonEntry {
    pub(crate) at: u64,
    pub(crate) slot: u32,
    pub(crate) seq: u32,
}

#[derive(Debug)]
pub(crate) struct CommonQueue {
    pub(crate) nanos: u64,
    pub(crate) queue: VecDeque<CommonEntry>,
}
