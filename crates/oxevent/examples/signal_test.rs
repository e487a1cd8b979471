//! Catches SIGINT three times, then exits cleanly (libevent's
//! `sample/signal-test.c`, in Rust). Press Ctrl-C three times, or
//! `kill -INT <pid>`.

use oxevent::{Base, Ev};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = Base::<u32>::new()?;
    let ev = base.signal(
        libc::SIGINT,
        Ev::PERSIST,
        |called: &mut u32, base, fired| {
            *called += 1;
            println!("signal_cb: got signal {}, {} time(s)", fired.fd, called);
            if *called >= 3 {
                base.loopbreak();
            }
        },
    )?;
    base.add(ev, None)?;
    println!("pid {}: send SIGINT three times", std::process::id());
    let mut called = 0;
    base.dispatch(&mut called)?;
    base.free(ev)?;
    println!("done after {called} signals");
    Ok(())
}
