//! A persistent timer printing the time elapsed between runs
//! (libevent's `sample/time-test.c`, in Rust).
//!
//! `cargo run -p oxevent --example time_test -- [COUNT]` (default 5 ticks of 200 ms).

use std::time::{Duration, Instant};

use oxevent::{Base, Ev};

struct State {
    last: Instant,
    left: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let base = Base::<State>::new()?;
    let tick = base.timer_with(Ev::PERSIST, |st: &mut State, base, _| {
        let now = Instant::now();
        println!(
            "timeout_cb called: {:.3} seconds elapsed.",
            (now - st.last).as_secs_f64()
        );
        st.last = now;
        st.left -= 1;
        if st.left == 0 {
            base.loopbreak();
        }
    })?;
    base.add(tick, Some(Duration::from_millis(200)))?;
    let mut st = State {
        last: Instant::now(),
        left: count,
    };
    base.dispatch(&mut st)?;
    base.free(tick)?;
    Ok(())
}
