//! 1,000,000 random timers through oxevent's Rust API: add all (random
//! timeouts in [0, 50] ms), delete a random half, run until the rest fire.
//! Prints `add_ns`, `del_ns`, `fire_ns` (wall time of the dispatch phase per
//! fired timer) and `fired`, and exits 1 unless exactly the kept timers fired.
//! Usage: rust_timers [-n COUNT] [-s SEED]

use std::time::{Duration, Instant};

use oxevent::{Base, EventId};

fn arg(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "-n", 1_000_000) as usize;
    let mut seed = arg(&args, "-s", 42) | 1;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let base = Base::<Vec<u8>>::new()?;
    let mut ids: Vec<EventId> = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(base.timer(move |fired: &mut Vec<u8>, _, _| fired[i] += 1)?);
    }
    let delays: Vec<Duration> = (0..n)
        .map(|_| Duration::from_micros(rand() % 50_001))
        .collect();
    let start = Instant::now();
    for (id, d) in ids.iter().zip(&delays) {
        base.add(*id, Some(*d))?;
    }
    let add = start.elapsed();
    let mut deleted = vec![false; n];
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (rand() % (i as u64 + 1)) as usize);
    }
    let half = &order[..n / 2];
    let start = Instant::now();
    for &i in half {
        base.del(ids[i])?;
    }
    let del = start.elapsed();
    for &i in half {
        deleted[i] = true;
    }
    let mut fired = vec![0u8; n];
    let start = Instant::now();
    base.dispatch(&mut fired)?;
    let fire = start.elapsed();
    let kept = n - n / 2;
    let ok = (0..n).all(|i| fired[i] == u8::from(!deleted[i]));
    println!("add_ns {:.1}", add.as_nanos() as f64 / n as f64);
    println!("del_ns {:.1}", del.as_nanos() as f64 / (n / 2) as f64);
    println!("fire_ns {:.1}", fire.as_nanos() as f64 / kept as f64);
    println!("fired {}", fired.iter().filter(|&&f| f > 0).count());
    if !ok {
        eprintln!("wrong timers fired");
        std::process::exit(1);
    }
    Ok(())
}
