//! The base lock: a futex mutex and its condition variable.
//!
//! Why not `std::sync::Mutex`: the loop releases and re-takes the base lock
//! around every callback, and std's lock is an out-of-line call that also
//! tracks poisoning (two panic-count checks per round trip). The engine never
//! relies on poisoning (a panicking callback runs unlocked), so this lock
//! keeps only what the engine needs: an inlined uncontended path of one
//! compare-exchange to lock and one swap to unlock, and the futex for the
//! rest.
//!
//! States of the lock word: 0 unlocked, 1 locked, 2 locked with (possible)
//! sleepers. The condition variable is a sequence number that waiters sleep
//! on; it must be notified with the lock held (the engine always does), so a
//! waiter that read the number under the lock can never miss a wake-up.
//!
//! What this file must never do: hand out a `&mut T` without holding the
//! lock word at 1 or 2.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};

/// A mutual-exclusion lock around `T`.
pub(crate) struct BaseLock<T> {
    state: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time (the
// state word is 1 or 2 exactly while a guard exists), which is what moving a
// `T` between threads requires; like std's Mutex, `T: Send` is enough.
unsafe impl<T: Send> Send for BaseLock<T> {}
// SAFETY: as above: shared references to the lock only ever yield exclusive,
// serialised access to `T`.
unsafe impl<T: Send> Sync for BaseLock<T> {}

/// Access to the locked value; unlocks when dropped.
pub(crate) struct LockGuard<'a, T> {
    lock: &'a BaseLock<T>,
}

impl<T> BaseLock<T> {
    pub(crate) fn new(value: T) -> BaseLock<T> {
        BaseLock {
            state: AtomicU32::new(0),
            data: UnsafeCell::new(value),
        }
    }

    /// Locks, waiting for other holders.
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        if self
            .state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        LockGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        // A short spin first: the loop holds the lock only briefly.
        for _ in 0..100 {
            if self.state.load(Ordering::Relaxed) == 0
                && self
                    .state
                    .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            std::hint::spin_loop();
        }
        // Announce a sleeper (2); whoever unlocks will wake one.
        while self.state.swap(2, Ordering::Acquire) != 0 {
            super::futex_wait(&self.state, 2);
        }
    }

    #[inline]
    fn unlock(&self) {
        if self.state.swap(0, Ordering::Release) == 2 {
            super::futex_wake(&self.state, 1);
        }
    }
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock,
        // and `&mut self` makes this the only access through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

/// A condition variable for [`BaseLock`]. Notify only with the lock held.
pub(crate) struct Cond {
    seq: AtomicU32,
}

impl Cond {
    pub(crate) const fn new() -> Cond {
        Cond {
            seq: AtomicU32::new(0),
        }
    }

    /// Unlocks, sleeps until a notification (or spuriously), relocks.
    /// Callers re-check their condition in a loop.
    pub(crate) fn wait<'a, T>(&self, guard: LockGuard<'a, T>) -> LockGuard<'a, T> {
        // Read under the lock: a notifier (who holds the lock to notify)
        // cannot slip between this read and the sleep unnoticed, because it
        // changes the number the sleep compares against.
        let seen = self.seq.load(Ordering::Relaxed);
        let lock = guard.lock;
        drop(guard);
        super::futex_wait(&self.seq, seen);
        lock.lock()
    }

    /// Wakes every waiter.
    pub(crate) fn notify_all(&self) {
        self.seq.fetch_add(1, Ordering::Release);
        super::futex_wake(&self.seq, i32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn contended_increments_are_all_kept() {
        let lock = Arc::new(BaseLock::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        let mut g = lock.lock();
                        // A non-atomic read-modify-write: lost updates would
                        // show if two threads were ever inside together.
                        let v = *g;
                        std::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 200_000);
    }

    #[test]
    fn wait_returns_after_notify_with_the_lock_held() {
        let shared = Arc::new((BaseLock::new(false), Cond::new()));
        let s2 = shared.clone();
        let waiter = std::thread::spawn(move || {
            let (lock, cond) = &*s2;
            let mut g = lock.lock();
            while !*g {
                g = cond.wait(g);
            }
            true
        });
        std::thread::sleep(Duration::from_millis(50));
        {
            let (lock, cond) = &*shared;
            let mut g = lock.lock();
            *g = true;
            cond.notify_all();
        }
        assert!(waiter.join().unwrap());
    }

    #[test]
    fn a_guard_dropped_during_a_panic_unlocks() {
        let lock = Arc::new(BaseLock::new(1));
        let l2 = lock.clone();
        let r = std::thread::spawn(move || {
            let _g = l2.lock();
            panic!("inside the lock");
        })
        .join();
        assert!(r.is_err());
        assert_eq!(*lock.lock(), 1);
    }
}
