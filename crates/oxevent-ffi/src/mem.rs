//! Allocation of memory the C program sees (`event_new`'s struct), through
//! the functions given to `event_set_mem_functions` when there are some.

use std::os::raw::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use crate::abi::{event_free_fn, event_malloc_fn, event_realloc_fn};
use crate::boundary::guard;

#[derive(Copy, Clone)]
struct Hooks {
    malloc: Option<event_malloc_fn>,
    free: Option<event_free_fn>,
}

static HOOKS: RwLock<Hooks> = RwLock::new(Hooks {
    malloc: None,
    free: None,
});

/// Whether `event_set_mem_functions` was ever called: until then every
/// allocation is plain `malloc`/`free` without touching the lock (one line
/// of `evbuffer_readln` each).
static HOOKED: AtomicBool = AtomicBool::new(false);

#[inline]
fn hooks() -> Hooks {
    if !HOOKED.load(Ordering::Acquire) {
        return Hooks {
            malloc: None,
            free: None,
        };
    }
    *HOOKS.read().unwrap_or_else(|p| p.into_inner())
}

/// Allocates `size` bytes with the program's allocator, or `malloc`.
pub(crate) fn alloc(size: usize) -> *mut c_void {
    match hooks().malloc {
        // SAFETY: the program registered this allocator for exactly this use.
        Some(m) => unsafe { m(size) },
        // SAFETY: plain malloc; the result is checked by the caller.
        None => unsafe { libc::malloc(size) },
    }
}

/// Frees memory from [`alloc`].
pub(crate) fn free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    match hooks().free {
        // SAFETY: `p` came from the matching allocator.
        Some(f) => unsafe { f(p) },
        // SAFETY: `p` came from malloc.
        None => unsafe { libc::free(p) },
    }
}

/// `event_set_mem_functions`: replaces the allocator for memory libevent
/// hands to the program. Call it before anything else, as libevent requires.
#[no_mangle]
pub extern "C" fn event_set_mem_functions(
    malloc_fn: Option<event_malloc_fn>,
    realloc_fn: Option<event_realloc_fn>,
    free_fn: Option<event_free_fn>,
) {
    guard((), || {
        let _ = realloc_fn;
        let mut h = HOOKS.write().unwrap_or_else(|p| p.into_inner());
        *h = Hooks {
            malloc: malloc_fn,
            free: free_fn,
        };
        HOOKED.store(true, Ordering::Release);
    })
}
