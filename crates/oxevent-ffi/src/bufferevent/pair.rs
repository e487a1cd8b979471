//! Bufferevent pairs (`bufferevent_pair_new`): two bufferevents whose
//! output is the other's input, with no fd in between, as libevent's
//! `bufferevent_pair.c`.
//!
//! Data added to one end's output moves (whole chunks, no copy) into the
//! partner's input as soon as this end writes and the partner reads,
//! within the partner's read high watermark; the rest waits in the output
//! until the partner drains or enables reading. Callbacks are always
//! deferred (libevent adds `BEV_OPT_DEFER_CALLBACKS`). Freeing one end
//! unlinks the other (its `get_partner` becomes NULL; no EOF is sent).
//! `bufferevent_flush` with `BEV_FLUSH` or `BEV_FINISHED` moves everything
//! regardless of watermarks, and `BEV_FINISHED` gives the partner an EOF
//! event. The ends' `ev_read`/`ev_write` are timers for the read and
//! write timeouts (libevent's generic timeouts).

use std::cell::Cell;
use std::os::raw::{c_int, c_short, c_void};

use super::{bev_ref, new_common, Bev, Kind};
use crate::abi::{
    Bufferevent, EvbufferCbInfo, BEV_EVENT_EOF, BEV_EVENT_READING, BEV_EVENT_WRITING, BEV_FINISHED,
    BEV_NORMAL, BEV_OPT_DEFER_CALLBACKS, BEV_OPT_THREADSAFE, EV_READ, EV_WRITE,
};
use crate::boundary::guard;
use crate::buffer::{
    evbuffer_add_buffer, evbuffer_add_cb, evbuffer_freeze, evbuffer_get_length,
    evbuffer_remove_buffer, evbuffer_unfreeze,
};
use crate::handle::FfiBase;

/// A pair end's partner (NULL once either end is freed).
pub(crate) fn partner(b: &Bev) -> Option<&'static Bev> {
    match &b.kind {
        // SAFETY: the partner pointer is cleared (`unlink`) before either
        // end's memory is released, so a non-NULL one is a live `Bev`.
        Kind::Pair { partner } => unsafe { partner.get().as_ref() },
        _ => None,
    }
}

/// `bufferevent_pair_new`.
#[no_mangle]
pub extern "C" fn bufferevent_pair_new(
    base: *mut FfiBase,
    options: c_int,
    pair: *mut [*mut Bufferevent; 2],
) -> c_int {
    guard(-1, || {
        let who = "bufferevent_pair_new";
        if pair.is_null() {
            crate::boundary::warnx(&format!("{who}: NULL pair"));
            return -1;
        }
        let options = options | BEV_OPT_DEFER_CALLBACKS;
        let kind = || Kind::Pair {
            partner: Cell::new(std::ptr::null()),
        };
        let Some(a) = new_common(base, kind(), options, None, who) else {
            return -1;
        };
        let share = (options & BEV_OPT_THREADSAFE != 0).then_some(a);
        let Some(b) = new_common(base, kind(), options & !BEV_OPT_THREADSAFE, share, who) else {
            super::bufferevent_free(a.ptr());
            return -1;
        };
        for (end, other) in [(a, b), (b, a)] {
            if let Kind::Pair { partner } = &end.kind {
                partner.set(other as *const Bev);
            }
            super::init_generic_timeouts(end);
            let e = evbuffer_add_cb(end.output(), Some(outbuf_cb), end.ptr() as *mut c_void);
            end.outbuf_cb.set(e as *mut c_void);
            evbuffer_freeze(end.input(), 0);
            evbuffer_freeze(end.output(), 1);
        }
        // SAFETY: the program's `struct bufferevent *pair[2]`, per the API.
        unsafe { *pair = [a.ptr(), b.ptr()] };
        0
    })
}

/// Moves `src`'s output into `dst`'s input (`be_pair_transfer`).
fn transfer(src: &Bev, dst: &Bev, ignore_wm: bool) {
    evbuffer_unfreeze(src.output(), 1);
    evbuffer_unfreeze(dst.input(), 0);
    let high = dst.get(|p| p.wm_read.high);
    let mut moved = true;
    let n = if high != 0 {
        let have = evbuffer_get_length(dst.input());
        if have < high {
            let n = high - have;
            evbuffer_remove_buffer(src.output(), dst.input(), n);
            n
        } else if ignore_wm {
            let n = evbuffer_get_length(src.output());
            evbuffer_add_buffer(dst.input(), src.output());
            n
        } else {
            moved = false;
            0
        }
    } else {
        let n = evbuffer_get_length(src.output());
        evbuffer_add_buffer(dst.input(), src.output());
        n
    };
    if moved {
        if n > 0 {
            super::reset_generic_read_timeout(dst);
            if evbuffer_get_length(dst.output()) > 0 {
                super::reset_generic_write_timeout(dst);
            } else {
                super::del_generic_write_timeout(dst);
            }
        }
        dst.trigger(EV_READ, 0);
        src.trigger(EV_WRITE, 0);
    }
    evbuffer_freeze(src.output(), 1);
    evbuffer_freeze(dst.input(), 0);
}

/// Whether `src` has data for a reading `dst`.
fn wants_to_talk(src: &Bev, dst: &Bev) -> bool {
    src.enabled() & EV_WRITE != 0
        && dst.enabled() & EV_READ != 0
        && dst.read_suspended.get() == 0
        && evbuffer_get_length(src.output()) > 0
}

/// The output's callback: new data goes over at once if the partner reads.
unsafe extern "C" fn outbuf_cb(_buf: *mut c_void, info: *const EvbufferCbInfo, arg: *mut c_void) {
    guard((), || {
        // SAFETY: the evbuffer passes a valid info for the call.
        let Some(info) = (unsafe { info.as_ref() }) else {
            return;
        };
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent pair output") else {
            return;
        };
        b.incref_and_lock();
        if info.n_added > info.n_deleted {
            if let Some(p) = partner(b) {
                if wants_to_talk(b, p) {
                    transfer(b, p, false);
                }
            }
        }
        b.decref_and_unlock();
    })
}

/// `be_pair_enable`.
pub(super) fn enable(b: &Bev, events: c_short) -> c_int {
    b.incref_and_lock();
    if events & EV_READ != 0 {
        super::reset_generic_read_timeout(b);
    }
    if events & EV_WRITE != 0 && evbuffer_get_length(b.output()) > 0 {
        super::reset_generic_write_timeout(b);
    }
    if events & EV_READ != 0 {
        if let Some(p) = partner(b) {
            if wants_to_talk(p, b) {
                transfer(p, b, false);
            }
        }
    }
    if events & EV_WRITE != 0 {
        if let Some(p) = partner(b) {
            if wants_to_talk(b, p) {
                transfer(b, p, false);
            }
        }
    }
    b.decref_and_unlock();
    0
}

/// `be_pair_disable`.
pub(super) fn disable(b: &Bev, events: c_short) -> c_int {
    if events & EV_READ != 0 {
        super::del_generic_read_timeout(b);
    }
    if events & EV_WRITE != 0 {
        super::del_generic_write_timeout(b);
    }
    0
}

/// `be_pair_unlink`.
pub(super) fn unlink(b: &Bev) {
    if let Some(p) = partner(b) {
        if let Kind::Pair { partner } = &p.kind {
            partner.set(std::ptr::null());
        }
    }
    if let Kind::Pair { partner } = &b.kind {
        partner.set(std::ptr::null());
    }
}

/// `be_pair_flush`.
pub(super) fn flush(b: &Bev, iotype: c_short, mode: c_int) -> c_int {
    let Some(p) = partner(b) else {
        return -1;
    };
    if mode == BEV_NORMAL {
        return 0;
    }
    b.incref_and_lock();
    if iotype & EV_READ != 0 {
        transfer(p, b, true);
    }
    if iotype & EV_WRITE != 0 {
        transfer(b, p, true);
    }
    if mode == BEV_FINISHED {
        let mut what = BEV_EVENT_EOF;
        if iotype & EV_READ != 0 {
            what |= BEV_EVENT_WRITING;
        }
        if iotype & EV_WRITE != 0 {
            what |= BEV_EVENT_READING;
        }
        p.run_eventcb(what, 0);
    }
    b.decref_and_unlock();
    0
}

/// `bufferevent_pair_get_partner`.
#[no_mangle]
pub extern "C" fn bufferevent_pair_get_partner(bev: *mut Bufferevent) -> *mut Bufferevent {
    guard(std::ptr::null_mut(), || {
        let Some(b) = bev_ref(bev, "bufferevent_pair_get_partner") else {
            return std::ptr::null_mut();
        };
        if !matches!(b.kind, Kind::Pair { .. }) {
            return std::ptr::null_mut();
        }
        b.lock();
        let p = partner(b).map_or(std::ptr::null_mut(), |p| p.ptr());
        b.unlock();
        p
    })
}
