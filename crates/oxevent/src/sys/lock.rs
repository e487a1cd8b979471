//! The base lock: a futex mutex, biased toward one thread, and its
//! condition variable.
//!
//! Why not `std::sync::Mutex`: the loop releases and re-takes the base lock
//! around every callback, and std's lock is an out-of-line call that also
//! tracks poisoning (two panic-count checks per round trip). The engine never
//! relies on poisoning (a panicking callback runs unlocked), so this lock
//! keeps only what the engine needs: an inlined uncontended path and the
//! futex for the rest.
//!
//! # Bias
//!
//! Most bases are only ever used by the thread that created them, where
//! libevent takes no lock at all. Even an uncontended compare-exchange costs
//! there (about 10 ns per `event_add`, and two atomic operations per
//! callback), so a lock made with [`BaseLock::new_biased`] belongs to one
//! thread, the *owner*, which locks and unlocks with plain loads and stores:
//!
//! * owner, lock: `busy = 1`, then re-read `owner`; still the owner: locked.
//! * owner, unlock: `busy = 0`.
//! * any other thread, first lock: take the futex word, clear `owner`,
//!   run `membarrier(2)` (every running thread of the process executes a
//!   full memory barrier), then wait for `busy == 0`. From then on every
//!   thread, the old owner included, uses the futex word: the bias is gone
//!   for good.
//!
//! This is an asymmetric Dekker handshake: the owner's store to `busy` and
//! its load of `owner` may be reordered by the CPU (x86 lets a load pass an
//! earlier store), and the revoker's `membarrier` is the fence the owner
//! omits. After it, either the owner's load sees `owner` cleared (it backs off
//! to the futex word, which the revoker holds) or the revoker sees
//! `busy == 1` (and waits for the owner's unlock). Never both inside.
//!
//! If the kernel refuses `membarrier` when a bias must be revoked, no safe
//! way on exists: the process aborts with a message rather than risk two
//! threads inside the lock. Bases that expect other threads (a C program
//! that enabled threading) therefore use [`BaseLock::new`], which never
//! biases.
//!
//! States of the lock word: 0 unlocked, 1 locked, 2 locked with (possible)
//! sleepers. The condition variable is a sequence number that waiters sleep
//! on; it must be notified with the lock held (the engine always does), so a
//! waiter that read the number under the lock can never miss a wake-up.
//!
//! # Re-entry
//!
//! A thread that locks a base it already holds would alias the `&mut T` of
//! its first guard (biased path) or deadlock (futex path). The engine never
//! does it (no user code runs under the lock), and the lock checks it in
//! every build: the biased owner finds `busy` already set, and any other
//! path finds its own thread pointer in `holder` (written after each
//! acquisition, cleared before each release, and looked at only when the
//! fast path fails or before the program's lock is taken). Either way the
//! thread panics with a message instead.
//!
//! # The program's lock
//!
//! A C program that installs lock callbacks (`evthread_set_lock_callbacks`)
//! expects libevent to use its lock as the base lock. Such a lock is an
//! *outer* lock here: taken before the inner (futex) lock and released after
//! it, in every path, and released by [`Cond::wait`] like the inner one, so
//! a thread waiting for a running callback never holds it. The inner lock
//! stays, so the engine's memory safety never depends on the program's lock
//! being correct.
//!
//! # Messages
//!
//! The locked value may hold messages made under the lock
//! ([`Deferring`]): a guard takes them before unlocking and delivers them
//! through the log callback after, so user code never runs under the lock.
//!
//! What this file must never do: hand out a `&mut T` unless this thread
//! holds the lock word at 1 or 2, or is the owner with `busy == 1` and saw
//! itself still the owner after setting it.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, AtomicU32, AtomicU64, Ordering};

use crate::log::Severity;

/// A lock a program supplies (the C face's evthread lock callbacks), taken
/// around the engine's own lock.
pub trait ExternalLock: Send + Sync {
    /// Takes the lock (blocking).
    fn lock(&self);
    /// Releases it.
    fn unlock(&self);
}

/// A locked value that may queue messages while locked; the guard delivers
/// them after unlocking.
pub(crate) trait Deferring {
    /// The queued messages, if any (taken out).
    #[inline]
    fn take_deferred(&mut self) -> Option<Vec<(Severity, String)>> {
        None
    }
}

/// `owner` of a lock with no bias: matches no thread pointer (user-space
/// addresses are below 2^47, and a thread pointer of 0 is possible only for
/// threads made without TLS, which no libc supports).
const NO_OWNER: u64 = u64::MAX;

/// A mutual-exclusion lock around `T`.
pub(crate) struct BaseLock<T: Deferring> {
    state: AtomicU32,
    /// The owner's [`super::thread_pointer`]; [`NO_OWNER`]: no bias.
    owner: AtomicU64,
    /// 1 while the owner is inside through the biased path.
    busy: AtomicU32,
    /// The thread inside through the futex path ([`NO_OWNER`]: none).
    holder: AtomicU64,
    /// The program's lock, taken around ours.
    outer: Option<Box<dyn ExternalLock>>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time (the
// state word is 1 or 2, or the owner is busy, exactly while a guard exists),
// which is what moving a `T` between threads requires; like std's Mutex,
// `T: Send` is enough.
unsafe impl<T: Send + Deferring> Send for BaseLock<T> {}
// SAFETY: as above: shared references to the lock only ever yield exclusive,
// serialised access to `T`.
unsafe impl<T: Send + Deferring> Sync for BaseLock<T> {}

/// Access to the locked value; unlocks when dropped. Not `Send`: a biased
/// guard must be dropped by the owner that took it (as std's guards, which
/// some platforms require to unlock on the locking thread).
pub(crate) struct LockGuard<'a, T: Deferring> {
    lock: &'a BaseLock<T>,
    /// Taken through the owner's biased path (unlock clears `busy`).
    biased: bool,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard only yields `&T`, which may be shared between
// threads exactly when `T: Sync` (std's MutexGuard has the same bound).
unsafe impl<T: Sync + Deferring> Sync for LockGuard<'_, T> {}

impl<T: Deferring> BaseLock<T> {
    /// A lock with no bias: every lock is a compare-exchange.
    pub(crate) fn new(value: T) -> BaseLock<T> {
        BaseLock {
            state: AtomicU32::new(0),
            owner: AtomicU64::new(NO_OWNER),
            busy: AtomicU32::new(0),
            holder: AtomicU64::new(NO_OWNER),
            outer: None,
            data: UnsafeCell::new(value),
        }
    }

    /// A lock with no bias, inside the program's lock `outer`.
    pub(crate) fn with_outer(value: T, outer: Box<dyn ExternalLock>) -> BaseLock<T> {
        let mut lock = BaseLock::new(value);
        lock.outer = Some(outer);
        lock
    }

    /// A lock biased toward the calling thread (see the module docs).
    pub(crate) fn new_biased(value: T) -> BaseLock<T> {
        let lock = BaseLock::new(value);
        lock.owner.store(super::thread_pointer(), Ordering::Relaxed);
        lock
    }

    /// Whether the lock is (still) biased toward some thread.
    #[cfg(test)]
    pub(crate) fn is_biased(&self) -> bool {
        self.owner.load(Ordering::Relaxed) != NO_OWNER
    }

    /// Locks, waiting for other holders. Panics if this thread holds it.
    #[inline(always)]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        let me = super::thread_pointer();
        if self.owner.load(Ordering::Relaxed) == me {
            if self.busy.load(Ordering::Relaxed) != 0 {
                reentered();
            }
            self.busy.store(1, Ordering::Relaxed);
            // The hardware fence between the store above and the load
            // below is the revoker's membarrier; only the compiler must be
            // kept from reordering them.
            compiler_fence(Ordering::SeqCst);
            if self.owner.load(Ordering::Relaxed) == me {
                return LockGuard {
                    lock: self,
                    biased: true,
                    _not_send: PhantomData,
                };
            }
            // Revoked meanwhile: the revoker may be waiting for this.
            self.busy.store(0, Ordering::Release);
        }
        self.lock_unbiased(me)
    }

    /// The futex path (and the program's outer lock), out of line.
    #[inline(never)]
    fn lock_unbiased(&self, me: u64) -> LockGuard<'_, T> {
        if let Some(outer) = &self.outer {
            if self.holder.load(Ordering::Relaxed) == me {
                reentered();
            }
            outer.lock();
        }
        if self
            .state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            if self.holder.load(Ordering::Relaxed) == me {
                if let Some(outer) = &self.outer {
                    outer.unlock();
                }
                reentered();
            }
            self.lock_contended();
        }
        self.holder.store(me, Ordering::Relaxed);
        if self.owner.load(Ordering::Relaxed) != NO_OWNER {
            self.revoke();
        }
        LockGuard {
            lock: self,
            biased: false,
            _not_send: PhantomData,
        }
    }

    /// Ends the bias: called with the lock word held, by a thread that found
    /// the lock still biased (never the owner: an owner that finds the bias
    /// gone was revoked by someone else, and `owner` never names a thread
    /// again).
    #[cold]
    fn revoke(&self) {
        self.owner.store(NO_OWNER, Ordering::Relaxed);
        if !super::process_barrier() {
            super::abort_with(
                "oxevent: a base created for one thread was used from another, and the kernel \
                 refused membarrier(2), without which the base cannot be shared safely; \
                 enable threading (evthread_use_pthreads) before creating the base",
            );
        }
        // The owner is now either out, or inside and will clear `busy` on
        // its unlock; its data writes happen-before that release store.
        let mut spins = 0u32;
        while self.busy.load(Ordering::Acquire) != 0 {
            spins += 1;
            if spins < 100 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
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

    #[inline(always)]
    fn unlock(&self, biased: bool) {
        if biased {
            self.busy.store(0, Ordering::Release);
            return;
        }
        self.unlock_unbiased();
    }

    #[inline(never)]
    fn unlock_unbiased(&self) {
        self.holder.store(NO_OWNER, Ordering::Relaxed);
        if self.state.swap(0, Ordering::Release) == 2 {
            super::futex_wake(&self.state, 1);
        }
        if let Some(outer) = &self.outer {
            outer.unlock();
        }
    }
}

/// The hard re-entry check's verdict.
#[cold]
#[inline(never)]
fn reentered() -> ! {
    panic!(
        "oxevent: a base's lock was taken again by the thread that holds it \
         (user code called into the base while the engine held its lock)"
    )
}

impl<T: Deferring> Deref for LockGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: Deferring> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock,
        // and `&mut self` makes this the only access through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: Deferring> Drop for LockGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread holds the lock.
        let msgs = unsafe { &mut *self.lock.data.get() }.take_deferred();
        self.lock.unlock(self.biased);
        if let Some(msgs) = msgs {
            deliver(msgs);
        }
    }
}

/// Delivers messages made under a lock, now that it is released.
#[cold]
#[inline(never)]
fn deliver(msgs: Vec<(Severity, String)>) {
    for (sev, msg) in msgs {
        crate::log::log(sev, format_args!("{msg}"));
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
    pub(crate) fn wait<'a, T: Deferring>(&self, guard: LockGuard<'a, T>) -> LockGuard<'a, T> {
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

    impl Deferring for u32 {}
    impl Deferring for u64 {}
    impl Deferring for bool {}
    impl Deferring for i32 {}

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
    fn the_owner_keeps_its_bias_while_alone() {
        let lock = BaseLock::new_biased(0u32);
        for _ in 0..1000 {
            *lock.lock() += 1;
        }
        assert!(lock.is_biased());
        assert_eq!(*lock.lock(), 1000);
    }

    #[test]
    #[should_panic(expected = "taken again by the thread that holds it")]
    fn a_biased_owner_locking_twice_is_caught_in_every_build() {
        let lock = BaseLock::new_biased(0u32);
        let _first = lock.lock();
        let _second = lock.lock();
    }

    #[test]
    #[should_panic(expected = "taken again by the thread that holds it")]
    fn an_unbiased_holder_locking_twice_is_caught_in_every_build() {
        let lock = BaseLock::new(0u32);
        let _first = lock.lock();
        let _second = lock.lock();
    }

    /// A recursive outer lock that counts its use, as a program's would.
    struct Counting(std::sync::Mutex<(u64, u64)>);
    impl ExternalLock for Arc<Counting> {
        fn lock(&self) {
            self.0.lock().unwrap().0 += 1;
        }
        fn unlock(&self) {
            self.0.lock().unwrap().1 += 1;
        }
    }

    #[test]
    #[should_panic(expected = "taken again by the thread that holds it")]
    fn a_holder_locking_twice_through_a_recursive_outer_lock_is_caught() {
        let outer = Arc::new(Counting(std::sync::Mutex::new((0, 0))));
        let lock = BaseLock::with_outer(0u32, Box::new(outer));
        let _first = lock.lock();
        let _second = lock.lock();
    }

    #[test]
    fn the_outer_lock_is_taken_and_released_around_each_guard_and_wait() {
        let outer = Arc::new(Counting(std::sync::Mutex::new((0, 0))));
        let shared = Arc::new((
            BaseLock::with_outer(false, Box::new(outer.clone())),
            Cond::new(),
        ));
        let s2 = shared.clone();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let (lock, cond) = &*s2;
            let mut g = lock.lock();
            *g = true;
            cond.notify_all();
        });
        {
            let (lock, cond) = &*shared;
            let mut g = lock.lock();
            while !*g {
                g = cond.wait(g);
            }
        }
        waker.join().unwrap();
        let (taken, released) = *outer.0.lock().unwrap();
        assert_eq!(taken, released);
        assert!(
            taken >= 3,
            "the waiter, its re-lock after waking, and the waker: {taken}"
        );
    }

    #[test]
    fn a_second_thread_revokes_the_bias_without_losing_updates() {
        // The owner (this thread) keeps locking while three others arrive:
        // the first of them revokes the bias in the middle of the owner's
        // run. Lost updates would show if the owner and a revoker were ever
        // inside together.
        let lock = Arc::new(BaseLock::new_biased(0u64));
        assert!(lock.is_biased());
        let start = Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let lock = lock.clone();
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..50_000 {
                        let mut g = lock.lock();
                        let v = *g;
                        std::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        start.wait();
        for _ in 0..50_000 {
            let mut g = lock.lock();
            let v = *g;
            std::hint::black_box(&v);
            *g = v + 1;
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(!lock.is_biased());
        assert_eq!(*lock.lock(), 200_000);
    }

    #[test]
    fn a_biased_owner_waits_on_the_condition_and_is_woken() {
        let shared = Arc::new((BaseLock::new_biased(false), Cond::new()));
        let s2 = shared.clone();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let (lock, cond) = &*s2;
            let mut g = lock.lock();
            *g = true;
            cond.notify_all();
        });
        let (lock, cond) = &*shared;
        let mut g = lock.lock();
        while !*g {
            g = cond.wait(g);
        }
        drop(g);
        waker.join().unwrap();
        assert!(!lock.is_biased());
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
