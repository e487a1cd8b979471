//! The pipe chain through oxevent's Rust API: N socketpairs, A active, W
//! writes; each read callback reads one byte and, while writes remain, writes
//! one to the next pair. Prints one `us X` line per run, then
//! `median_us X events C`. Usage: rust_pipechain [-n N] [-a A] [-w W] [-r RUNS]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use oxevent::{Base, Ev, EventId, LoopFlags};

struct State {
    writers: Vec<UnixStream>,
    count: usize,
    writes: usize,
    fired: usize,
}

fn arg(args: &[String], flag: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The timed part, kept out of line so callgrind can count just it.
#[inline(never)]
fn bench_loop(base: &Base<State>, st: &mut State) -> oxevent::Result<()> {
    while st.count != st.fired {
        base.run(LoopFlags::ONCE | LoopFlags::NONBLOCK, st)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "-n", 100);
    let active = arg(&args, "-a", 1).max(1);
    let writes = arg(&args, "-w", 100);
    let runs = arg(&args, "-r", 25);
    let base = Base::<State>::new()?;
    let mut st = State {
        writers: Vec::with_capacity(n),
        count: 0,
        writes: 0,
        fired: 0,
    };
    let mut ids: Vec<EventId> = Vec::with_capacity(n);
    for i in 0..n {
        let (r, w) = UnixStream::pair()?;
        r.set_nonblocking(true)?;
        st.writers.push(w);
        let next = (i + 1) % n;
        let id = base.io(
            r,
            Ev::READ | Ev::PERSIST,
            move |st: &mut State, _, sock, _| {
                let mut b = [0u8; 1];
                if let Ok(k) = sock.read(&mut b) {
                    st.count += k;
                }
                if st.writes > 0 {
                    let _ = st.writers[next].write(b"e");
                    st.writes -= 1;
                    st.fired += 1;
                }
            },
        )?;
        base.add(id, None)?;
        ids.push(id);
    }
    let mut times = Vec::with_capacity(runs);
    let space = (n / active) * 2;
    for _ in 0..runs {
        base.run(LoopFlags::ONCE | LoopFlags::NONBLOCK, &mut st)?;
        st.fired = 0;
        for i in 0..active {
            let _ = st.writers[(i * space / 2) % n].write(b"e");
            st.fired += 1;
        }
        st.count = 0;
        st.writes = writes;
        let start = Instant::now();
        bench_loop(&base, &mut st)?;
        let us = start.elapsed().as_secs_f64() * 1e6;
        println!("us {us:.1}");
        times.push(us);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median_us {:.1} events {}",
        times[times.len() / 2],
        active + writes
    );
    for id in ids {
        base.free(id)?;
    }
    Ok(())
}
