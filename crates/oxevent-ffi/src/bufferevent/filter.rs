//! Filtering bufferevents (`bufferevent_filter_new`): a bufferevent over
//! another one, whose data passes through the program's input and output
//! filters, as libevent's `bufferevent_filter.c`.
//!
//! The filter takes over the underlying bufferevent's callbacks: its read
//! callback runs the input filter from the underlying input into the
//! filter's input, its write callback (and data added to the filter's
//! output) runs the output filter into the underlying output, and its
//! event callback is passed up. In `BEV_NORMAL` mode a filter is urged
//! only while its direction is enabled and within the watermarks (the
//! filter's read high watermark, the underlying's write high watermark);
//! `bufferevent_flush` calls it with `BEV_FLUSH` or `BEV_FINISHED`
//! regardless. A filter's `BEV_NEED_MORE` or `BEV_ERROR` stops the round.
//! Disabling the filter's reading suspends the underlying's.
//! `BEV_OPT_CLOSE_ON_FREE` frees the underlying with the filter; without
//! it the underlying gets its callbacks cleared and lives on.

use std::cell::Cell;
use std::os::raw::{c_int, c_short, c_void};

use super::{bev_ref, new_common, suspend, Bev, Kind};
use crate::abi::{
    bufferevent_filter_cb, Bufferevent, EvbufferCbInfo, BEV_NORMAL, BEV_OK, BEV_OPT_CLOSE_ON_FREE,
    EVBUFFER_CB_ENABLED, EV_READ, EV_WRITE,
};
use crate::boundary::{guard, warnx};
use crate::buffer::handle::FfiBuffer;
use crate::buffer::{
    evbuffer_add_cb, evbuffer_cb_clear_flags, evbuffer_cb_set_flags, evbuffer_get_length,
    evbuffer_remove_buffer, evbuffer_remove_cb_entry,
};

/// A filter's own state.
pub(crate) struct Filter {
    /// The bufferevent under this one (holds one reference on it).
    pub(crate) underlying: Cell<*const Bev>,
    process_in: bufferevent_filter_cb,
    process_out: bufferevent_filter_cb,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    context: *mut c_void,
    inbuf_cb: Cell<*mut c_void>,
    outbuf_cb: Cell<*mut c_void>,
}

/// The filter state of `b`, if it is a filter.
fn filter_of(b: &Bev) -> Option<&Filter> {
    match &b.kind {
        Kind::Filter(f) => Some(f),
        _ => None,
    }
}

/// The underlying bufferevent of a filter.
pub(crate) fn underlying(b: &Bev) -> Option<&'static Bev> {
    // SAFETY: the filter holds a reference on its underlying bufferevent
    // until its own memory is released, so the pointer stays live.
    filter_of(b).and_then(|f| unsafe { f.underlying.get().as_ref() })
}

/// libevent's default filter: moves everything (up to the limit).
unsafe extern "C" fn null_filter(
    src: *mut c_void,
    dst: *mut c_void,
    limit: libc::ssize_t,
    _mode: c_int,
    _ctx: *mut c_void,
) -> c_int {
    let n = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    evbuffer_remove_buffer(src as *mut FfiBuffer, dst as *mut FfiBuffer, n);
    BEV_OK
}

/// `bufferevent_filter_new`.
#[no_mangle]
pub extern "C" fn bufferevent_filter_new(
    underlying: *mut Bufferevent,
    input_filter: Option<bufferevent_filter_cb>,
    output_filter: Option<bufferevent_filter_cb>,
    options: c_int,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
) -> *mut Bufferevent {
    guard(std::ptr::null_mut(), || {
        let who = "bufferevent_filter_new";
        if underlying.is_null() {
            return std::ptr::null_mut();
        }
        let Some(u) = bev_ref(underlying, who) else {
            return std::ptr::null_mut();
        };
        let kind = Kind::Filter(Box::new(Filter {
            underlying: Cell::new(u as *const Bev),
            process_in: input_filter.unwrap_or(null_filter),
            process_out: output_filter.unwrap_or(null_filter),
            free_context,
            context: ctx,
            inbuf_cb: Cell::new(std::ptr::null_mut()),
            outbuf_cb: Cell::new(std::ptr::null_mut()),
        }));
        let Some(b) = new_common(u.base(), kind, options, None, who) else {
            return std::ptr::null_mut();
        };
        let me = b.ptr() as *mut c_void;
        super::bufferevent_setcb(
            u.ptr(),
            Some(under_readcb),
            Some(under_writecb),
            Some(under_eventcb),
            me,
        );
        let f = filter_of(b).expect("a filter");
        let e = evbuffer_add_cb(b.input(), Some(inbuf_cb), me);
        evbuffer_cb_clear_flags(b.input(), e, EVBUFFER_CB_ENABLED);
        f.inbuf_cb.set(e as *mut c_void);
        let e = evbuffer_add_cb(b.output(), Some(outbuf_cb), me);
        f.outbuf_cb.set(e as *mut c_void);
        super::init_generic_timeouts(b);
        u.lock();
        u.incref();
        u.unlock();
        super::bufferevent_enable(u.ptr(), EV_READ | EV_WRITE);
        u.lock();
        u.suspend_read(suspend::FILT_READ);
        u.unlock();
        b.ptr()
    })
}

/// Whether the filter's input is at its read high watermark
/// (`be_readbuf_full`).
fn readbuf_full(b: &Bev, state: c_int) -> bool {
    let high = b.get(|p| p.wm_read.high);
    state == BEV_NORMAL && high != 0 && evbuffer_get_length(b.input()) >= high
}

/// Whether the underlying output is at its write high watermark.
fn under_writebuf_full(u: &Bev, state: c_int) -> bool {
    let high = u.get(|p| p.wm_write.high);
    state == BEV_NORMAL && high != 0 && evbuffer_get_length(u.output()) >= high
}

/// Runs the input filter (`be_filter_process_input`).
fn process_input(b: &Bev, f: &Filter, u: &Bev, state: c_int, processed: &mut bool) -> c_int {
    if state == BEV_NORMAL && (b.enabled() & EV_READ == 0 || readbuf_full(b, state)) {
        return BEV_OK;
    }
    let mut res;
    loop {
        let mut limit: libc::ssize_t = -1;
        let high = b.get(|p| p.wm_read.high);
        if state == BEV_NORMAL && high != 0 {
            limit = high as libc::ssize_t - evbuffer_get_length(b.input()) as libc::ssize_t;
        }
        // SAFETY: the program's filter with its context, as libevent calls
        // it, on the two live buffers.
        res = unsafe {
            (f.process_in)(
                u.input() as *mut c_void,
                b.input() as *mut c_void,
                limit,
                state,
                f.context,
            )
        };
        if res == BEV_OK {
            *processed = true;
        }
        if !(res == BEV_OK
            && b.enabled() & EV_READ != 0
            && evbuffer_get_length(u.input()) > 0
            && !readbuf_full(b, state))
        {
            break;
        }
    }
    if *processed {
        super::reset_generic_read_timeout(b);
    }
    res
}

/// Runs the output filter (`be_filter_process_output`).
fn process_output(b: &Bev, f: &Filter, u: &Bev, state: c_int, processed: &mut bool) -> c_int {
    if state == BEV_NORMAL
        && (b.enabled() & EV_WRITE == 0
            || under_writebuf_full(u, state)
            || evbuffer_get_length(b.output()) == 0)
    {
        return BEV_OK;
    }
    evbuffer_cb_clear_flags(b.output(), f.outbuf_cb.get() as _, EVBUFFER_CB_ENABLED);
    let mut res;
    loop {
        let mut round = false;
        loop {
            let mut limit: libc::ssize_t = -1;
            let high = u.get(|p| p.wm_write.high);
            if state == BEV_NORMAL && high != 0 {
                limit = high as libc::ssize_t - evbuffer_get_length(u.output()) as libc::ssize_t;
            }
            // SAFETY: as in `process_input`.
            res = unsafe {
                (f.process_out)(
                    b.output() as *mut c_void,
                    u.output() as *mut c_void,
                    limit,
                    state,
                    f.context,
                )
            };
            if res == BEV_OK {
                round = true;
                *processed = true;
            }
            if !(res == BEV_OK
                && b.enabled() & EV_WRITE != 0
                && evbuffer_get_length(b.output()) > 0
                && !under_writebuf_full(u, state))
            {
                break;
            }
        }
        let mut again = false;
        if round {
            b.trigger(EV_WRITE, 0);
            again = res == BEV_OK
                && b.enabled() & EV_WRITE != 0
                && evbuffer_get_length(b.output()) > 0
                && !under_writebuf_full(u, state);
        }
        if !again {
            break;
        }
    }
    evbuffer_cb_set_flags(b.output(), f.outbuf_cb.get() as _, EVBUFFER_CB_ENABLED);
    if *processed {
        super::reset_generic_write_timeout(b);
    }
    res
}

/// `be_filter_read_nolock_`.
fn read_nolock(b: &Bev) {
    let (Some(f), Some(u)) = (filter_of(b), underlying(b)) else {
        return;
    };
    let state = BEV_NORMAL;
    let mut processed = false;
    process_input(b, f, u, state, &mut processed);
    if processed {
        b.trigger(EV_READ, 0);
        if evbuffer_get_length(u.input()) > 0 && readbuf_full(b, state) {
            evbuffer_cb_set_flags(b.input(), f.inbuf_cb.get() as _, EVBUFFER_CB_ENABLED);
        }
    }
}

/// The filter's input callback: room again under the read high watermark
/// lets data left in the underlying input through.
unsafe extern "C" fn inbuf_cb(_buf: *mut c_void, _info: *const EvbufferCbInfo, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent filter input") else {
            return;
        };
        let (Some(f), Some(u)) = (filter_of(b), underlying(b)) else {
            return;
        };
        b.lock();
        if !readbuf_full(b, BEV_NORMAL) {
            evbuffer_cb_clear_flags(b.input(), f.inbuf_cb.get() as _, EVBUFFER_CB_ENABLED);
            if evbuffer_get_length(u.input()) > 0 {
                read_nolock(b);
            }
        }
        b.unlock();
    })
}

/// The filter's output callback: new data goes through the output filter.
unsafe extern "C" fn outbuf_cb(_buf: *mut c_void, info: *const EvbufferCbInfo, arg: *mut c_void) {
    guard((), || {
        // SAFETY: the evbuffer passes a valid info for the call.
        let added = unsafe { info.as_ref() }.map_or(0, |i| i.n_added);
        if added == 0 {
            return;
        }
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent filter output") else {
            return;
        };
        let (Some(f), Some(u)) = (filter_of(b), underlying(b)) else {
            return;
        };
        b.incref_and_lock();
        let mut processed = false;
        process_output(b, f, u, BEV_NORMAL, &mut processed);
        b.decref_and_unlock();
    })
}

/// The underlying's read callback.
unsafe extern "C" fn under_readcb(_u: *mut Bufferevent, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent filter") else {
            return;
        };
        b.lock();
        read_nolock(b);
        b.unlock();
    })
}

/// The underlying's write callback: room to write more.
unsafe extern "C" fn under_writecb(_u: *mut Bufferevent, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent filter") else {
            return;
        };
        let (Some(f), Some(u)) = (filter_of(b), underlying(b)) else {
            return;
        };
        b.incref_and_lock();
        let mut processed = false;
        process_output(b, f, u, BEV_NORMAL, &mut processed);
        b.decref_and_unlock();
    })
}

/// The underlying's event callback: passed up.
unsafe extern "C" fn under_eventcb(_u: *mut Bufferevent, what: c_short, arg: *mut c_void) {
    guard((), || {
        let Some(b) = bev_ref(arg as *const Bufferevent, "bufferevent filter") else {
            return;
        };
        b.incref_and_lock();
        b.run_eventcb(what, 0);
        b.decref_and_unlock();
    })
}

/// `be_filter_enable`.
pub(super) fn enable(b: &Bev, what: c_short) -> c_int {
    if what & EV_WRITE != 0 {
        super::reset_generic_write_timeout(b);
    }
    if what & EV_READ != 0 {
        super::reset_generic_read_timeout(b);
        if let Some(u) = underlying(b) {
            u.lock();
            u.unsuspend_read(suspend::FILT_READ);
            u.unlock();
        }
    }
    0
}

/// `be_filter_disable`.
pub(super) fn disable(b: &Bev, what: c_short) -> c_int {
    if what & EV_WRITE != 0 {
        super::del_generic_write_timeout(b);
    }
    if what & EV_READ != 0 {
        super::del_generic_read_timeout(b);
        if let Some(u) = underlying(b) {
            u.lock();
            u.suspend_read(suspend::FILT_READ);
            u.unlock();
        }
    }
    0
}

/// `be_filter_flush`: the number of filter rounds that produced data.
pub(super) fn flush(b: &Bev, iotype: c_short, mode: c_int) -> c_int {
    let (Some(f), Some(u)) = (filter_of(b), underlying(b)) else {
        return -1;
    };
    let mut processed = false;
    b.incref_and_lock();
    if iotype & EV_READ != 0 {
        process_input(b, f, u, mode, &mut processed);
    }
    if iotype & EV_WRITE != 0 {
        process_output(b, f, u, mode, &mut processed);
    }
    super::bufferevent_flush(u.ptr(), iotype, mode);
    b.decref_and_unlock();
    c_int::from(processed)
}

/// `be_filter_unlink`: frees the underlying with `BEV_OPT_CLOSE_ON_FREE`,
/// else gives it back its freedom (no callbacks, reading allowed).
pub(super) fn unlink(b: &Bev) {
    let Some(u) = underlying(b) else { return };
    if b.options & BEV_OPT_CLOSE_ON_FREE != 0 {
        if u.refcnt() < 2 {
            warnx("BEV_OPT_CLOSE_ON_FREE set on an bufferevent with too few references");
        } else {
            super::bufferevent_free(u.ptr());
        }
    } else {
        let ours =
            u.get(|p| p.errorcb.map(|f| f as usize)) == Some(under_eventcb as *const () as usize);
        if ours {
            super::bufferevent_setcb(u.ptr(), None, None, None, std::ptr::null_mut());
        }
        u.lock();
        u.unsuspend_read(suspend::FILT_READ);
        u.unlock();
    }
}

/// `be_filter_destruct`: the program's context cleanup, then the filter's
/// own callbacks and its reference on the underlying.
pub(super) fn destruct(b: &Bev) {
    let Some(f) = filter_of(b) else { return };
    if let Some(free) = f.free_context {
        // SAFETY: the program's cleanup for its own context, called once.
        unsafe { free(f.context) };
    }
    if !f.inbuf_cb.get().is_null() {
        evbuffer_remove_cb_entry(b.input(), f.inbuf_cb.get() as _);
    }
    if !f.outbuf_cb.get().is_null() {
        evbuffer_remove_cb_entry(b.output(), f.outbuf_cb.get() as _);
    }
    if let Some(u) = underlying(b) {
        f.underlying.set(std::ptr::null());
        u.lock();
        u.decref_and_unlock();
    }
}
