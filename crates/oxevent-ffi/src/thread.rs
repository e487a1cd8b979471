//! thread.h: enabling threads. oxevent's bases always carry their own lock;
//! what these calls switch on is libevent's other half, the cross-thread
//! wakeup of a waiting loop, for bases created after them. With the
//! program's own lock callbacks (`evthread_set_lock_callbacks`), each new
//! base allocates one lock through them and the engine takes it around its
//! own lock, as libevent uses it as the base lock: released while the loop
//! waits, while callbacks run, and while a delete waits for a running
//! callback. The program's condition callbacks allocate the base's
//! condition as libevent does; the engine waits on its own condition
//! variable, with the program's lock released.

use std::os::raw::{c_int, c_uint, c_ulong, c_void};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use crate::abi::{
    evthread_id_fn, EvthreadConditionCallbacks, EvthreadLockCallbacks, EVTHREAD_LOCKTYPE_RECURSIVE,
};
use crate::boundary::{guard, warnx};
use crate::handle::{base_ref, FfiBase, THREADING};

static ID_FN: Mutex<Option<evthread_id_fn>> = Mutex::new(None);
static LOCK_CBS: Mutex<Option<EvthreadLockCallbacks>> = Mutex::new(None);
static COND_CBS: Mutex<Option<EvthreadConditionCallbacks>> = Mutex::new(None);

fn same_locks(a: &EvthreadLockCallbacks, b: &EvthreadLockCallbacks) -> bool {
    a.lock_api_version == b.lock_api_version
        && a.supported_locktypes == b.supported_locktypes
        && a.alloc.map(|f| f as usize) == b.alloc.map(|f| f as usize)
        && a.free.map(|f| f as usize) == b.free.map(|f| f as usize)
        && a.lock.map(|f| f as usize) == b.lock.map(|f| f as usize)
        && a.unlock.map(|f| f as usize) == b.unlock.map(|f| f as usize)
}

/// `evthread_set_lock_callbacks`: the program's lock implementation. Bases
/// created afterwards allocate one lock each through it and hold it around
/// every C call that changes them; the same set again is accepted, another
/// set once one is installed is refused (-1), as in libevent.
#[no_mangle]
pub extern "C" fn evthread_set_lock_callbacks(cbs: *const EvthreadLockCallbacks) -> c_int {
    guard(-1, || {
        let mut cur = LOCK_CBS.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: NULL or a valid callbacks struct, per the API contract.
        match unsafe { cbs.as_ref() } {
            None => {
                if cur.is_some() {
                    warnx("Trying to disable lock functions after they have been set up will probably not work.");
                }
                *cur = None;
                0
            }
            Some(c)
                if c.alloc.is_none()
                    || c.free.is_none()
                    || c.lock.is_none()
                    || c.unlock.is_none() =>
            {
                warnx("evthread_set_lock_callbacks: incomplete lock callbacks");
                -1
            }
            Some(c) => match *cur {
                Some(old) if same_locks(&old, c) => 0,
                Some(_) => {
                    warnx("Can't change lock callbacks once they have been initialized.");
                    -1
                }
                None => {
                    *cur = Some(*c);
                    THREADING.store(true, Ordering::Relaxed);
                    0
                }
            },
        }
    })
}

/// `evthread_set_condition_callbacks`.
#[no_mangle]
pub extern "C" fn evthread_set_condition_callbacks(
    cbs: *const EvthreadConditionCallbacks,
) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a valid callbacks struct.
        match unsafe { cbs.as_ref() } {
            None => {
                *COND_CBS.lock().unwrap_or_else(|e| e.into_inner()) = None;
                0
            }
            Some(c)
                if c.alloc_condition.is_some()
                    && c.free_condition.is_some()
                    && c.signal_condition.is_some()
                    && c.wait_condition.is_some() =>
            {
                *COND_CBS.lock().unwrap_or_else(|e| e.into_inner()) = Some(*c);
                0
            }
            Some(_) => {
                warnx("evthread_set_condition_callbacks: incomplete condition callbacks");
                -1
            }
        }
    })
}

/// `evthread_set_id_callback`.
#[no_mangle]
pub extern "C" fn evthread_set_id_callback(f: Option<evthread_id_fn>) {
    guard((), || *ID_FN.lock().unwrap_or_else(|e| e.into_inner()) = f)
}

/// The calling thread's id as the program's id callback gives it (0 when it
/// set none; oxevent itself identifies threads without it).
pub(crate) fn program_thread_id() -> c_ulong {
    match *ID_FN.lock().unwrap_or_else(|e| e.into_inner()) {
        // SAFETY: the program registered this id function.
        Some(f) => unsafe { f() },
        None => 0,
    }
}

/// The program's lock callbacks, if it installed some (evbuffer locks are
/// allocated and taken through them, as libevent does).
pub(crate) fn program_lock_callbacks() -> Option<EvthreadLockCallbacks> {
    *LOCK_CBS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The program's lock for one base, the engine's outer lock.
struct ProgramLock {
    cbs: EvthreadLockCallbacks,
    lock: usize,
}

impl oxevent::__ffi::ExternalLock for ProgramLock {
    fn lock(&self) {
        if self.lock == 0 {
            return; // the allocator refused: libevent then runs with no lock
        }
        if let Some(lock) = self.cbs.lock {
            // SAFETY: `self.lock` came from this callback set's alloc.
            unsafe { lock(0, self.lock as *mut c_void) };
        }
    }

    fn unlock(&self) {
        if self.lock == 0 {
            return;
        }
        if let Some(unlock) = self.cbs.unlock {
            // SAFETY: locked by `lock` with the same callbacks.
            unsafe { unlock(0, self.lock as *mut c_void) };
        }
    }
}

impl Drop for ProgramLock {
    fn drop(&mut self) {
        if self.lock == 0 {
            return;
        }
        if let Some(free) = self.cbs.free {
            // SAFETY: allocated by this callback set; the base is gone.
            unsafe {
                free(
                    self.lock as *mut c_void,
                    EVTHREAD_LOCKTYPE_RECURSIVE as c_uint,
                )
            };
        }
    }
}

/// The maker of each new base's program lock, if the program installed
/// lock callbacks.
pub(crate) fn program_lock_maker() -> Option<oxevent::__ffi::LockMaker> {
    let cbs = (*LOCK_CBS.lock().unwrap_or_else(|e| e.into_inner()))?;
    Some(oxevent::__ffi::LockMaker(std::sync::Arc::new(
        move || -> Box<dyn oxevent::__ffi::ExternalLock> {
            // SAFETY: the program's allocator, called as libevent would.
            let p = unsafe {
                cbs.alloc
                    .map_or(std::ptr::null_mut(), |a| a(EVTHREAD_LOCKTYPE_RECURSIVE))
            };
            Box::new(ProgramLock {
                cbs,
                lock: p as usize,
            })
        },
    )))
}

/// The program's condition of one base (allocated and freed as libevent
/// does; the engine waits on its own).
#[derive(Debug, Default)]
pub(crate) struct ProgramCond {
    cond: Option<(EvthreadConditionCallbacks, usize)>,
}

impl ProgramCond {
    /// Allocates a condition if the program installed callbacks for it.
    pub(crate) fn alloc() -> ProgramCond {
        let cond_cbs = *COND_CBS.lock().unwrap_or_else(|e| e.into_inner());
        let cond = cond_cbs.and_then(|c| {
            // SAFETY: the program's allocator, called as libevent would.
            let p = unsafe { (c.alloc_condition?)(0) };
            (!p.is_null()).then_some((c, p as usize))
        });
        ProgramCond { cond }
    }
}

impl Drop for ProgramCond {
    fn drop(&mut self) {
        if let Some((c, p)) = self.cond.take() {
            if let Some(free) = c.free_condition {
                // SAFETY: allocated by this callback set; no longer used.
                unsafe { free(p as *mut c_void) };
            }
        }
    }
}

/// `evthread_enable_lock_debugging`: oxevent's locks are always checked
/// (poisoning, no recursion), so this only records the request.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {}

/// `evthread_enable_lock_debuging`: libevent's misspelt alias.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {
    evthread_enable_lock_debugging()
}

/// `evthread_make_base_notifiable`.
#[no_mangle]
pub extern "C" fn evthread_make_base_notifiable(base: *mut FfiBase) -> c_int {
    guard(-1, || match base_ref(base) {
        Some(b) => b.engine.make_notifiable().map_or(-1, |_| 0),
        None => -1,
    })
}

/// `evthread_use_pthreads` (libevent_pthreads): turns on thread support for
/// bases created from now on.
#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    guard(-1, || {
        THREADING.store(true, Ordering::Relaxed);
        0
    })
}
