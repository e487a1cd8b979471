//! The C boundary's two helpers: a panic guard for every export, and the
//! warning path (libevent's `event_warnx`, through the log callback).
//!
//! No panic may unwind into C: every export runs its body inside [`guard`],
//! which logs the panic and returns the export's error value instead.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; if it panics, logs it and returns `on_panic`. Inlined into
/// each export, so the landing pad costs the export no extra call.
#[inline(always)]
pub(crate) fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => caught(payload, on_panic),
    }
}

/// Logs a panic caught at the boundary.
#[cold]
#[inline(never)]
fn caught<T>(payload: Box<dyn std::any::Any + Send>, on_panic: T) -> T {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    oxevent::log::log(
        oxevent::log::Severity::Err,
        format_args!("oxevent: internal error caught at the C boundary: {what}"),
    );
    on_panic
}

/// Logs a warning through the log callback (stderr by default).
pub(crate) fn warnx(msg: &str) {
    oxevent::log::warn(format_args!("{msg}"));
}
