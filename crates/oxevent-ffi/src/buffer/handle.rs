//! The C `struct evbuffer`: one engine [`Buffer`] plus what libevent's C
//! API adds around it (a recursive lock, a reference count, the C callback
//! list, deferred callbacks), and the one way exports reach the buffer.
//!
//! # Entering a buffer
//!
//! Every export calls [`enter`], which returns a [`Session`] and releases it
//! on drop (also when a panic unwinds). Entering takes the program-visible
//! lock when locking is enabled (recursive, as libevent's), then records the
//! calling thread as the one inside (`owner`) and counts nesting (`depth`):
//! a C callback, a log callback or a cleanup function may call back into
//! the buffer on the same thread. Without locking, libevent takes no lock
//! and the program promises one thread at a time; oxevent keeps that cost
//! (no atomic read-modify-write) and refuses, with a log line, a thread that
//! finds another one inside.
//!
//! # Who may touch the `Buffer`
//!
//! Only [`Session::op`] lends `&mut Buffer`, for the length of one engine
//! call, and marks the buffer *in op* meanwhile. During an engine call only
//! one kind of user code can run: the cleanup function of a reference or a
//! file segment whose last byte the call released. If such a function
//! calls back into the same buffer, the nested call is refused with a log
//! line (libevent would walk a half-updated chain); nothing else is
//! reachable, so no second `&mut Buffer` ever exists.
//!
//! C callbacks never run inside an engine call. A buffer with C callbacks
//! has the engine *record* its length changes (counts only, no callback:
//! [`Buffer::record_changes`]); after the engine call returns, the export
//! takes the counts and hands them to the C callbacks ([`Session::after_change`]), newest first,
//! with no borrow held. So a callback may change its own buffer (and is
//! then called again, nested, for that change, as in libevent), change the
//! other buffer of a two-buffer move, add or remove any callback, or free
//! the buffer (the memory goes when the outermost call leaves).
//!
//! # Lifetime
//!
//! `refcnt` counts the program's handle (dropped by `evbuffer_free`) and a
//! scheduled deferred run; the buffer is destroyed when it reaches zero and
//! no call is inside. A run scheduled before `evbuffer_free` still happens,
//! then frees the buffer, as in libevent.
//!
//! What this module must never do: hand out `&mut Buffer` outside
//! [`Session::op`], hold a borrow of the bookkeeping ([`Meta`]) while user
//! code or the engine runs, or call user code from inside an engine call.

use std::cell::UnsafeCell;
use std::os::raw::{c_int, c_short, c_uint, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

use oxevent::__ffi::{thread_token, Spec};
use oxevent::buffer::Buffer;
use oxevent::{Ev, EventId};

use crate::abi::{
    evbuffer_cb, evbuffer_cb_func, EvbufferCbInfo, EvthreadLockCallbacks, EVBUFFER_CB_ENABLED,
    EVBUFFER_CB_NODEFER, EVTHREAD_LOCKTYPE_RECURSIVE,
};
use crate::boundary::{guard, warnx};
use crate::handle::{base_of_handle, FfiBase};

/// Marks a live `FfiBuffer` ("oxevbuf\0"); cleared when it is destroyed.
const MAGIC: u64 = 0x006f_7865_7662_7566;

/// What a `struct evbuffer *` points to.
pub struct FfiBuffer {
    magic: u64,
    /// The thread inside (its token), 0 when none.
    owner: AtomicU64,
    /// The program-visible lock; set only while no thread is inside.
    /// Boxed, as `meta.deferred`: most buffers never lock, and a
    /// connection's two idle buffers should stay small.
    lock: UnsafeCell<Option<Box<Lock>>>,
    /// The engine buffer; borrowed mutably only by [`Session::op`].
    buf: UnsafeCell<Buffer>,
    /// The C face's bookkeeping; borrowed only briefly, never across user
    /// code or an engine call.
    meta: UnsafeCell<Meta>,
}

impl std::fmt::Debug for FfiBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiBuffer").finish_non_exhaustive()
    }
}

// SAFETY: every access to the cells follows the protocol in the module
// docs: a thread touches them only while it is the buffer's `owner`, which
// with locking enabled it becomes under the program-visible lock, and
// without locking under libevent's contract that one thread at a time uses
// the buffer. `owner` itself is atomic.
unsafe impl Sync for FfiBuffer {}
// SAFETY: as above; nothing in the buffer is tied to a thread.
unsafe impl Send for FfiBuffer {}

/// One C callback (`struct evbuffer_cb_entry`).
#[derive(Copy, Clone)]
pub(crate) struct CEntry {
    /// The handle given to the program (never reused, never dereferenced).
    pub(crate) handle: u64,
    pub(crate) func: CFunc,
    pub(crate) arg: usize,
    pub(crate) flags: u32,
}

/// A callback's function: the 2.x form or the 1.x (`evbuffer_setcb`) form.
#[derive(Copy, Clone)]
pub(crate) enum CFunc {
    Info(Option<evbuffer_cb_func>),
    Obsolete(evbuffer_cb),
}

impl CFunc {
    /// The function's address (what `evbuffer_remove_cb` compares, as
    /// libevent compares the union).
    pub(crate) fn addr(self) -> usize {
        match self {
            CFunc::Info(f) => f.map_or(0, |f| f as usize),
            CFunc::Obsolete(f) => f as usize,
        }
    }
}

/// Deferred callbacks (`evbuffer_defer_callbacks`).
pub(crate) struct Deferred {
    /// The base's handle (resolves to nothing once the base is freed).
    pub(crate) base: u64,
    /// The engine record whose activation runs [`deferred_run`].
    pub(crate) id: EventId,
    /// Activated and not run yet (holds one `refcnt`).
    pub(crate) scheduled: bool,
    /// Changes since the last deferred run.
    pub(crate) added: usize,
    pub(crate) deleted: usize,
}

/// The C face's bookkeeping of one buffer.
#[derive(Default)]
pub(crate) struct Meta {
    /// Nested calls of the owner thread (plus `evbuffer_lock` holds).
    depth: u32,
    /// An engine call holds `&mut Buffer`.
    in_op: bool,
    /// The program's handle plus a scheduled deferred run.
    refcnt: u32,
    /// C callbacks, oldest first (handles increase).
    pub(crate) cbs: Vec<CEntry>,
    /// The engine callback reporting changes into `pending`.
    /// The engine records length changes for the C callbacks.
    pub(crate) recording: bool,
    pub(crate) deferred: Option<Box<Deferred>>,
}

/// The program-visible lock (`evbuffer_enable_locking`).
pub(crate) enum Lock {
    /// Allocated by oxevent (after `evthread_use_pthreads`): a recursive
    /// pthread mutex.
    Own(Box<UnsafeCell<libc::pthread_mutex_t>>),
    /// A lock of the program's lock callbacks; `owned`: allocated by us.
    Program {
        cbs: EvthreadLockCallbacks,
        lock: usize,
        owned: bool,
    },
    /// A `pthread_mutex_t *` the program handed over after
    /// `evthread_use_pthreads` (libevent_pthreads' locks are exactly that).
    Pthread(usize),
}

impl Lock {
    /// A new recursive lock: through the program's callbacks if it set
    /// some, else a pthread mutex; `None` if the allocator refused.
    pub(crate) fn new_own(cbs: Option<EvthreadLockCallbacks>) -> Option<Lock> {
        if let Some(cbs) = cbs {
            let alloc = cbs.alloc?;
            // SAFETY: the program's allocator, called as libevent calls it.
            let p = unsafe { alloc(EVTHREAD_LOCKTYPE_RECURSIVE) };
            return (!p.is_null()).then_some(Lock::Program {
                cbs,
                lock: p as usize,
                owned: true,
            });
        }
        let m = Box::new(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));
        // SAFETY: `attr` is initialised before use and destroyed after; the
        // mutex is initialised in place, in a box that never moves it.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            if libc::pthread_mutexattr_init(&mut attr) != 0 {
                return None;
            }
            libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_RECURSIVE);
            let r = libc::pthread_mutex_init(m.get(), &attr);
            libc::pthread_mutexattr_destroy(&mut attr);
            if r != 0 {
                return None;
            }
        }
        Some(Lock::Own(m))
    }

    pub(crate) fn lock(&self) {
        match self {
            // SAFETY: an initialised recursive mutex that lives as long as
            // the buffer.
            Lock::Own(m) => unsafe {
                libc::pthread_mutex_lock(m.get());
            },
            Lock::Program { cbs, lock, .. } => {
                if let Some(f) = cbs.lock {
                    // SAFETY: a lock of this callback set, as libevent uses it.
                    unsafe { f(0, *lock as *mut c_void) };
                }
            }
            // SAFETY: the program gave this mutex for the buffer's life.
            Lock::Pthread(m) => unsafe {
                libc::pthread_mutex_lock(*m as *mut libc::pthread_mutex_t);
            },
        }
    }

    pub(crate) fn unlock(&self) {
        match self {
            // SAFETY: locked by this thread in `lock`.
            Lock::Own(m) => unsafe {
                libc::pthread_mutex_unlock(m.get());
            },
            Lock::Program { cbs, lock, .. } => {
                if let Some(f) = cbs.unlock {
                    // SAFETY: locked by this thread in `lock`.
                    unsafe { f(0, *lock as *mut c_void) };
                }
            }
            // SAFETY: locked by this thread in `lock`.
            Lock::Pthread(m) => unsafe {
                libc::pthread_mutex_unlock(*m as *mut libc::pthread_mutex_t);
            },
        }
    }
}

// SAFETY: a `Lock` is a mutex: a pthread mutex in a box that never moves,
// or the program's lock object, which its callbacks are made to lock and
// unlock from any thread. Nothing in it is tied to the creating thread.
unsafe impl Send for Lock {}
// SAFETY: as above; `lock`/`unlock` are the synchronisation itself.
unsafe impl Sync for Lock {}

impl Lock {
    /// Takes the lock if nobody else holds it (`EVLOCK_TRY_LOCK_`).
    pub(crate) fn try_lock(&self) -> bool {
        match self {
            // SAFETY: an initialised recursive mutex that lives as long as
            // its owner.
            Lock::Own(m) => unsafe { libc::pthread_mutex_trylock(m.get()) == 0 },
            Lock::Program { cbs, lock, .. } => match cbs.lock {
                // SAFETY: a lock of this callback set, with libevent's
                // try mode.
                Some(f) => unsafe { f(crate::abi::EVTHREAD_TRY, *lock as *mut c_void) == 0 },
                None => true,
            },
            // SAFETY: the program gave this mutex for the owner's life.
            Lock::Pthread(m) => unsafe {
                libc::pthread_mutex_trylock(*m as *mut libc::pthread_mutex_t) == 0
            },
        }
    }

    /// The address a program-side user of this lock passes around: the
    /// pthread mutex, or the lock the program's callbacks allocated
    /// (`evbuffer_enable_locking` accepts it and shares the lock).
    pub(crate) fn raw(&self) -> *mut c_void {
        match self {
            Lock::Own(m) => m.get() as *mut c_void,
            Lock::Program { lock, .. } => *lock as *mut c_void,
            Lock::Pthread(m) => *m as *mut c_void,
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        match self {
            // SAFETY: nobody holds or waits for the mutex any more.
            Lock::Own(m) => unsafe {
                libc::pthread_mutex_destroy(m.get());
            },
            Lock::Program {
                cbs,
                lock,
                owned: true,
            } => {
                if let Some(free) = cbs.free {
                    // SAFETY: allocated by this callback set for this buffer.
                    unsafe { free(*lock as *mut c_void, EVTHREAD_LOCKTYPE_RECURSIVE as c_uint) };
                }
            }
            _ => {}
        }
    }
}

/// Handles of C callbacks: unique in the process, never 0.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// A fresh callback handle.
pub(crate) fn new_handle() -> u64 {
    NEXT_HANDLE.fetch_add(1, Ordering::Relaxed)
}

/// A new buffer for C, or NULL.
pub(crate) fn new_buffer() -> *mut FfiBuffer {
    Box::into_raw(Box::new(FfiBuffer {
        magic: MAGIC,
        owner: AtomicU64::new(0),
        lock: UnsafeCell::new(None),
        buf: UnsafeCell::new(Buffer::new()),
        meta: UnsafeCell::new(Meta {
            refcnt: 1,
            ..Meta::default()
        }),
    }))
}

/// Borrows a buffer from C: NULL, or a pointer whose magic is wrong (a
/// freed buffer, or not a buffer at all), gives `None` and a log line.
#[inline(always)]
fn buf_ref<'a>(p: *const FfiBuffer, who: &str) -> Option<&'a FfiBuffer> {
    // SAFETY: per libevent's contract the pointer is NULL or a buffer from
    // evbuffer_new not yet freed; the magic word catches some misuse.
    match unsafe { p.as_ref() } {
        Some(b) if b.magic == MAGIC => Some(b),
        other => not_a_buffer(other.is_some(), who),
    }
}

#[cold]
#[inline(never)]
fn not_a_buffer<'a>(non_null: bool, who: &str) -> Option<&'a FfiBuffer> {
    if non_null {
        warnx(&format!("{who}: not a live evbuffer"));
    } else {
        warnx(&format!("{who}: NULL evbuffer"));
    }
    None
}

/// A call inside a buffer (see the module docs); leaves on drop.
pub(crate) struct Session<'a> {
    b: &'a FfiBuffer,
}

/// Enters the buffer `p` for an export named `who`; `None` (after a log
/// line) when it cannot be used now. Inlined into every export: the fast
/// path (no lock, this thread alone) is a handful of loads and stores.
#[inline(always)]
pub(crate) fn enter<'a>(p: *const FfiBuffer, who: &str) -> Option<Session<'a>> {
    let b = buf_ref(p, who)?;
    // SAFETY: `lock` changes only while no thread is inside (see
    // `set_lock`), so reading it here races with nothing.
    let lock = unsafe { &*b.lock.get() };
    if let Some(l) = lock {
        l.lock();
    }
    let me = thread_token();
    let owner = b.owner.load(Ordering::Relaxed);
    if owner == me {
        // SAFETY: this thread is the owner; no borrow of `meta` is live
        // across the user code that led here (module rule).
        let m = unsafe { &mut *b.meta.get() };
        if m.in_op {
            return refuse_entry(b, who, true);
        }
        m.depth += 1;
    } else if owner == 0 {
        b.owner.store(me, Ordering::Relaxed);
        // SAFETY: this thread just became the owner.
        unsafe { (*b.meta.get()).depth = 1 };
    } else {
        // With locking enabled the lock keeps other threads out, so only a
        // buffer without locking used by two threads at once gets here.
        return refuse_entry(b, who, false);
    }
    Some(Session { b })
}

/// The refusals of [`enter`]: releases the lock it took, logs.
#[cold]
#[inline(never)]
fn refuse_entry<'a>(b: &FfiBuffer, who: &str, from_cleanup: bool) -> Option<Session<'a>> {
    // SAFETY: as in `enter`.
    if let Some(l) = unsafe { &*b.lock.get() } {
        l.unlock();
    }
    if from_cleanup {
        warnx(&format!(
            "{who}: called on an evbuffer from a cleanup function while the buffer is being changed; refused"
        ));
    } else {
        warnx(&format!(
            "{who}: evbuffer used by two threads at once without evbuffer_enable_locking; refused"
        ));
    }
    None
}

impl Drop for Session<'_> {
    #[inline]
    fn drop(&mut self) {
        leave(self.b);
    }
}

/// Leaves one level; destroys the buffer when the outermost call leaves a
/// buffer nobody refers to any more.
#[inline]
fn leave(b: &FfiBuffer) {
    // SAFETY: this thread is the owner (it entered).
    let m = unsafe { &mut *b.meta.get() };
    if m.depth > 1 {
        m.depth -= 1;
        unlock(b);
        return;
    }
    if m.refcnt == 0 {
        destroy(b);
        return;
    }
    m.depth = 0;
    b.owner.store(0, Ordering::Relaxed);
    unlock(b);
}

#[inline]
fn unlock(b: &FfiBuffer) {
    // SAFETY: as in `enter`.
    if let Some(l) = unsafe { &*b.lock.get() } {
        l.unlock();
    }
}

/// Frees a buffer whose last reference went, from its owner thread at depth
/// 1 (the buffer stays entered and *in op* while its bytes are released,
/// so a cleanup function calling back into it is refused).
#[cold]
fn destroy(b: &FfiBuffer) {
    let p = b as *const FfiBuffer as *mut FfiBuffer;
    // SAFETY: the owner thread, at depth 1; no other borrow of `meta` is live.
    let deferred = unsafe {
        let m = &mut *b.meta.get();
        m.in_op = true;
        m.cbs.clear();
        m.deferred.take()
    };
    // SAFETY: `in_op` keeps every other path away from the buffer while its
    // chunks are released (cleanup functions run here).
    let old = std::mem::take(unsafe { &mut *b.buf.get() });
    drop(old);
    if let Some(d) = deferred {
        if let Some(base) = base_of_handle(d.base) {
            let _ = base.engine.free(d.id);
        }
    }
    b.owner.store(0, Ordering::Relaxed);
    unlock(b);
    // SAFETY: `p` came from Box::into_raw in `new_buffer`; the last
    // reference is gone and this thread holds the only way to it.
    let mut boxed = unsafe { Box::from_raw(p) };
    boxed.magic = 0;
    drop(boxed);
}

impl<'a> Session<'a> {
    /// The C pointer of this buffer.
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.b as *const FfiBuffer as *mut c_void
    }

    /// Lends the buffer to one engine call (the buffer is *in op* meanwhile,
    /// also if the call panics).
    #[inline]
    pub(crate) fn op<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> R {
        struct InOp<'x>(&'x FfiBuffer);
        impl Drop for InOp<'_> {
            #[inline]
            fn drop(&mut self) {
                // SAFETY: the owner thread; the engine's borrow has ended.
                unsafe { (*self.0.meta.get()).in_op = false };
            }
        }
        // SAFETY: the owner thread; no borrow of `meta` is live here.
        let was = unsafe { std::mem::replace(&mut (*self.b.meta.get()).in_op, true) };
        // Lending the buffer twice would make two `&mut Buffer`: a bug in
        // this crate, stopped in every build (the export's guard logs it).
        assert!(!was, "evbuffer lent to two engine calls at once");
        let _reset = InOp(self.b);
        // SAFETY: the owner thread, and `in_op` refuses every nested entry
        // until the borrow ends, so this is the only reference to the
        // buffer (module docs).
        f(unsafe { &mut *self.b.buf.get() })
    }

    /// Reads the buffer (no engine call that changes it).
    #[inline]
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Buffer) -> R) -> R {
        // SAFETY: the owner thread, not in op: no `&mut Buffer` exists.
        f(unsafe { &*self.b.buf.get() })
    }

    /// Runs `f` on the bookkeeping. `f` must not call user code or the
    /// engine.
    #[inline]
    pub(crate) fn meta<R>(&self, f: impl FnOnce(&mut Meta) -> R) -> R {
        // SAFETY: the owner thread; callers keep the borrow short (the
        // closure cannot call back into this buffer).
        f(unsafe { &mut *self.b.meta.get() })
    }

    /// Drops the program's reference (`evbuffer_free`); the buffer goes
    /// when the outermost call leaves and no deferred run is pending.
    pub(crate) fn release(&self) -> bool {
        self.meta(|m| {
            if m.refcnt == 0 {
                return false;
            }
            m.refcnt -= 1;
            true
        })
    }

    /// Whether the program freed the buffer and nothing else holds it.
    fn gone(&self) -> bool {
        self.meta(|m| m.refcnt == 0)
    }

    /// Installs the program-visible lock (`evbuffer_enable_locking`): only
    /// from the outermost call (the lock is not held yet).
    pub(crate) fn set_lock(&self, lock: Lock) -> Result<(), Lock> {
        let depth = self.meta(|m| m.depth);
        // SAFETY: read under the protocol; written below only at depth 1.
        let has = unsafe { (*self.b.lock.get()).is_some() };
        if has || depth != 1 {
            return Err(lock);
        }
        // The new lock is taken now so that `leave` releases it once.
        lock.lock();
        // SAFETY: this thread is the only one inside (depth 1) and, the
        // buffer having had no lock, other threads may not use it yet
        // (libevent's contract: enable locking before sharing).
        unsafe { *self.b.lock.get() = Some(Box::new(lock)) };
        Ok(())
    }

    /// Whether the program-visible lock is on.
    pub(crate) fn has_lock(&self) -> bool {
        // SAFETY: as in `enter`.
        unsafe { (*self.b.lock.get()).is_some() }
    }

    /// `evbuffer_lock`: takes the lock once more and stays inside until
    /// [`Session::unlock_held`]. Without locking: nothing.
    pub(crate) fn lock_held(&self) {
        if self.has_lock() {
            // SAFETY: as in `enter`.
            if let Some(l) = unsafe { &*self.b.lock.get() } {
                l.lock();
            }
            self.meta(|m| m.depth += 1);
        }
    }

    /// `evbuffer_unlock`: releases one `evbuffer_lock`.
    pub(crate) fn unlock_held(&self) -> bool {
        if !self.has_lock() {
            return true;
        }
        // depth 1 is this call itself: a held lock shows as depth >= 2.
        if self.meta(|m| m.depth) < 2 {
            return false;
        }
        self.meta(|m| m.depth -= 1);
        unlock(self.b);
        true
    }

    // ------------------------------------------------------------ callbacks

    /// Has the engine record length changes, if it does not yet.
    pub(crate) fn ensure_recorder(&self) {
        if self.meta(|m| std::mem::replace(&mut m.recording, true)) {
            return;
        }
        self.op(|b| b.record_changes(true));
    }

    /// Stops the recording once the buffer has no C callback left.
    pub(crate) fn drop_recorder_if_unused(&self) {
        let stop = self.meta(|m| {
            let stop = m.recording && m.cbs.is_empty();
            if stop {
                m.recording = false;
            }
            stop
        });
        if stop {
            self.op(|b| b.record_changes(false));
        }
    }

    /// Takes the counts the engine recorded.
    #[inline]
    fn take_pending(&self) -> (usize, usize) {
        // SAFETY: the owner thread, not in op: no `&mut Buffer` exists
        // (module docs), and this one ends before the function returns.
        unsafe { (*self.b.buf.get()).take_changes() }
    }

    /// Reports the changes of the engine calls just made to the C callbacks
    /// (libevent's `evbuffer_invoke_callbacks_`): right away, or, with
    /// deferred callbacks, to `EVBUFFER_CB_NODEFER` callbacks now and the
    /// others from the loop.
    #[inline]
    pub(crate) fn after_change(&self) {
        let (added, deleted) = self.take_pending();
        if added == 0 && deleted == 0 {
            return;
        }
        self.report(added, deleted);
    }

    #[cold]
    #[inline(never)]
    fn report(&self, added: usize, deleted: usize) {
        let len = self.read(|b| b.len());
        let deferred = self.meta(|m| {
            m.deferred.as_mut().map(|d| {
                d.added = d.added.saturating_add(added);
                d.deleted = d.deleted.saturating_add(deleted);
                let schedule = !d.scheduled;
                if schedule {
                    d.scheduled = true;
                    m.refcnt += 1;
                }
                (d.added, d.deleted, schedule, d.base, d.id)
            })
        });
        match deferred {
            None => {
                let info = info_of(len, added, deleted);
                self.run_callbacks(&info, EVBUFFER_CB_ENABLED, EVBUFFER_CB_ENABLED);
            }
            Some((acc_added, acc_deleted, schedule, base, id)) => {
                if schedule {
                    self.schedule(base, id);
                }
                let info = info_of(len, acc_added, acc_deleted);
                let both = EVBUFFER_CB_ENABLED | EVBUFFER_CB_NODEFER;
                self.run_callbacks(&info, both, both);
            }
        }
    }

    /// Activates the deferred run in the base's loop.
    fn schedule(&self, base: u64, id: EventId) {
        let ok =
            base_of_handle(base).is_some_and(|b| b.engine.activate(id, Ev::TIMEOUT, 1).is_ok());
        if !ok {
            self.meta(|m| {
                if let Some(d) = m.deferred.as_mut() {
                    d.scheduled = false;
                }
                m.refcnt -= 1;
            });
            warnx("evbuffer: deferred callbacks cannot run: the event_base was freed");
        }
    }

    /// Calls the C callbacks whose flags match (`flags & mask == want`),
    /// newest first. Each step looks the next older callback up again, so
    /// callbacks may add or remove callbacks (any of them) meanwhile; one
    /// added during the walk waits for the next change, as in libevent.
    fn run_callbacks(&self, info: &EvbufferCbInfo, mask: u32, want: u32) {
        let me = self.ptr();
        let new_size = info.orig_size + info.n_added - info.n_deleted;
        let mut bound = u64::MAX;
        loop {
            let next = self.meta(|m| {
                let i = m.cbs.partition_point(|e| e.handle < bound);
                (i > 0).then(|| m.cbs[i - 1])
            });
            let Some(e) = next else { break };
            bound = e.handle;
            if self.gone() {
                // A callback freed the buffer: libevent would go on reading
                // freed memory; the walk stops instead.
                break;
            }
            if e.flags & mask != want {
                continue;
            }
            match e.func {
                // SAFETY: the program registered `f` with this argument for
                // this buffer; libevent calls it exactly so.
                CFunc::Info(Some(f)) => unsafe { f(me, info, e.arg as *mut c_void) },
                CFunc::Info(None) => {}
                // SAFETY: as above, for the 1.x callback form.
                CFunc::Obsolete(f) => unsafe {
                    f(me, info.orig_size, new_size, e.arg as *mut c_void)
                },
            }
        }
    }

    /// The deferred run (from the loop): reports the accumulated changes to
    /// the callbacks without `EVBUFFER_CB_NODEFER`, then drops the reference
    /// the scheduling took.
    fn run_deferred(&self) {
        let counts = self.meta(|m| {
            let d = m.deferred.as_mut()?;
            if !d.scheduled {
                return None;
            }
            d.scheduled = false;
            Some((std::mem::take(&mut d.added), std::mem::take(&mut d.deleted)))
        });
        let Some((added, deleted)) = counts else {
            return;
        };
        if added != 0 || deleted != 0 {
            let len = self.read(|b| b.len());
            let info = info_of(len, added, deleted);
            self.run_callbacks(
                &info,
                EVBUFFER_CB_ENABLED | EVBUFFER_CB_NODEFER,
                EVBUFFER_CB_ENABLED,
            );
        }
        self.meta(|m| m.refcnt -= 1);
    }

    /// `evbuffer_defer_callbacks`: creates the engine record of the
    /// deferred run in `base` (at its middle priority, as libevent does).
    pub(crate) fn defer_to(&self, base: &FfiBase) -> Result<(), &'static str> {
        let current = self.meta(|m| m.deferred.as_ref().map(|d| (d.base, d.id, d.scheduled)));
        if let Some((handle, id, scheduled)) = current {
            if handle == base.handle {
                return Ok(());
            }
            if scheduled {
                return Err("a deferred run is pending in another event_base");
            }
            if let Some(old) = base_of_handle(handle) {
                let _ = old.engine.free(id);
            }
            self.meta(|m| m.deferred = None);
        }
        let pri = base.engine.npriorities() / 2;
        let mut spec = Spec::c_event(
            -1,
            Ev::NONE,
            pri,
            0,
            deferred_run as *const () as usize,
            self.ptr() as usize,
        );
        spec.transient = false;
        let id = base
            .engine
            .create(&spec)
            .map_err(|_| "cannot create the deferred callback")?;
        self.meta(|m| {
            m.deferred = Some(Box::new(Deferred {
                base: base.handle,
                id,
                scheduled: false,
                added: 0,
                deleted: 0,
            }))
        });
        Ok(())
    }
}

/// Enters two different buffers in address order (so two threads moving
/// bytes between the same pair lock in the same order).
pub(crate) fn enter2<'a>(
    a: *const FfiBuffer,
    b: *const FfiBuffer,
    who: &str,
) -> Option<(Session<'a>, Session<'a>)> {
    debug_assert_ne!(a, b, "enter2 needs two different buffers");
    if (a as usize) < (b as usize) {
        let sa = enter(a, who)?;
        let sb = enter(b, who)?;
        Some((sa, sb))
    } else {
        let sb = enter(b, who)?;
        let sa = enter(a, who)?;
        Some((sa, sb))
    }
}

/// Lends two different buffers to one engine call (both *in op*).
pub(crate) fn op2<R>(
    a: &Session<'_>,
    b: &Session<'_>,
    f: impl FnOnce(&mut Buffer, &mut Buffer) -> R,
) -> R {
    a.op(|x| b.op(|y| f(x, y)))
}

fn info_of(len: usize, added: usize, deleted: usize) -> EvbufferCbInfo {
    EvbufferCbInfo {
        orig_size: len.saturating_add(deleted).saturating_sub(added),
        n_added: added,
        n_deleted: deleted,
    }
}

/// The engine record's callback: the loop runs a buffer's deferred
/// callbacks.
extern "C" fn deferred_run(_fd: c_int, _what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(s) = enter(arg as *const FfiBuffer, "evbuffer deferred callbacks") else {
            return;
        };
        s.run_deferred();
    })
}
