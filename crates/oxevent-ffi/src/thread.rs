//! thread.h: enabling threads. oxevent's bases always carry their own lock
//! (an uncontended mutex); what these calls switch on is libevent's other
//! half, the cross-thread wakeup of a waiting loop, for bases created after
//! them. User lock callbacks are recorded for the buffer APIs to come.

use std::os::raw::c_int;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use crate::abi::{evthread_id_fn, EvthreadConditionCallbacks, EvthreadLockCallbacks};
use crate::boundary::{guard, warnx};
use crate::handle::{base_ref, FfiBase, THREADING};

static ID_FN: Mutex<Option<evthread_id_fn>> = Mutex::new(None);

/// `evthread_set_lock_callbacks`: NULL disables (ignored once bases exist).
#[no_mangle]
pub extern "C" fn evthread_set_lock_callbacks(cbs: *const EvthreadLockCallbacks) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or a valid callbacks struct, per the API contract.
        match unsafe { cbs.as_ref() } {
            None => 0,
            Some(c)
                if c.alloc.is_some()
                    && c.free.is_some()
                    && c.lock.is_some()
                    && c.unlock.is_some() =>
            {
                THREADING.store(true, Ordering::Relaxed);
                0
            }
            Some(_) => {
                warnx("evthread_set_lock_callbacks: incomplete lock callbacks");
                -1
            }
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
            None => 0,
            Some(c)
                if c.alloc_condition.is_some()
                    && c.free_condition.is_some()
                    && c.signal_condition.is_some()
                    && c.wait_condition.is_some() =>
            {
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
        Some(b) => b.base.make_notifiable().map_or(-1, |_| 0),
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
