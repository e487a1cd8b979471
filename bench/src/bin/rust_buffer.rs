//! oxevent's buffer engine through its Rust API: the evbuffer workloads the
//! C comparison will repeat against libevent. Prints `name ns_per_op` lines
//! (median of R rounds) and, for the scans, the throughput.
//! Usage: rust_buffer [-r ROUNDS] [-s SCALE_PERCENT] [-w NAME_FILTER]
//!        rust_buffer --rss   peak RSS (KiB) holding the content of
//!                            `bench/c/buffer.c --rss` (64 MiB in 4 KiB adds,
//!                            1M short lines in 4 KiB pieces, 1M 16 B adds)

use std::hint::black_box;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use oxevent::buffer::{Buffer, EolStyle};

fn arg(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` `rounds` times; `f` returns the number of operations it did
/// and the nanoseconds they took (setup excluded). Returns the median
/// nanoseconds per operation.
fn measure(rounds: u64, mut f: impl FnMut() -> (u64, u128)) -> f64 {
    let mut v: Vec<f64> = (0..rounds)
        .map(|_| {
            let (ops, ns) = f();
            ns as f64 / ops as f64
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn report(name: &str, ns: f64) {
    println!("{name:<28} {ns:>12.2}");
}

/// Measures and reports one workload, unless `-w FILTER` leaves it out.
fn bench(name: &str, rounds: u64, f: impl FnMut() -> (u64, u128)) {
    if wanted(name) {
        report(name, measure(rounds, f));
    }
}

fn wanted(name: &str) -> bool {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .position(|a| a == "-w")
        .and_then(|i| args.get(i + 1))
    {
        Some(filter) => name.contains(filter.as_str()),
        None => true,
    }
}

/// Peak resident set size of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `--rss`: the same content as the C program's `--rss`, then the peak.
fn rss_mode() -> Result<(), Box<dyn std::error::Error>> {
    let base = peak_rss_kib();
    let block: Vec<u8> = (0..4096u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxy"[(i % 25) as usize])
        .collect();
    let mut hay = Buffer::new();
    for _ in 0..64 * 256 {
        hay.add(&block)?;
    }
    hay.add(b"WXYZ")?;
    let mut text = Vec::new();
    for i in 0..1_000_000 {
        text.extend_from_slice(format!("line {i:07}\r\n").as_bytes());
    }
    let mut lines = Buffer::new();
    for piece in text.chunks(4096) {
        lines.add(piece)?;
    }
    drop(text);
    let mut smalls = Buffer::new();
    for _ in 0..1_000_000 {
        smalls.add(&[7u8; 16])?;
    }
    println!("rss_base_kib {base}");
    println!("rss_peak_kib {}", peak_rss_kib());
    println!("rss_bytes_held {}", hay.len() + lines.len() + smalls.len());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--rss") {
        return rss_mode();
    }
    let rounds = arg(&args, "-r", 5);
    let scale = arg(&args, "-s", 100);
    let n = |x: u64| (x * scale / 100).max(1);

    let small = [7u8; 16];
    let big = vec![9u8; 64 * 1024];

    // add then drain, one piece at a time (steady state).
    let count = n(1_000_000);
    bench("add_drain_16", rounds, || {
        let t = Instant::now();
        let mut b = Buffer::new();
        for _ in 0..count {
            b.add(&small).unwrap();
            b.drain(16).unwrap();
        }
        (count, t.elapsed().as_nanos())
    });
    // 1M adds of 16 B, then 1M drains of 16 B.
    bench("add_16_bulk", rounds, || {
        let t = Instant::now();
        let mut b = Buffer::new();
        for _ in 0..count {
            b.add(&small).unwrap();
        }
        black_box(&b);
        (count, t.elapsed().as_nanos())
    });
    let mut filled = Buffer::new();
    bench("drain_16_bulk", rounds, || {
        filled = Buffer::new();
        for _ in 0..count {
            filled.add(&small).unwrap();
        }
        let t = Instant::now();
        for _ in 0..count {
            filled.drain(16).unwrap();
        }
        (count, t.elapsed().as_nanos())
    });
    let big_count = n(20_000);
    bench("add_drain_64k", rounds, || {
        let t = Instant::now();
        let mut b = Buffer::new();
        for _ in 0..big_count {
            b.add(&big).unwrap();
            b.drain(big.len()).unwrap();
        }
        (big_count, t.elapsed().as_nanos())
    });
    bench("add_64k_bulk_1g", rounds, || {
        let t = Instant::now();
        let mut b = Buffer::new();
        let k = n(16_384).min(16_384);
        for _ in 0..k {
            b.add(&big).unwrap();
        }
        black_box(&b);
        (k, t.elapsed().as_nanos())
    });

    // Moves: a 64-chunk chain back and forth, and partial moves.
    let mut a = Buffer::new();
    for _ in 0..64 {
        a.add_reference(vec![1u8; 4096])?;
    }
    let mut b = Buffer::new();
    let moves = n(1_000_000);
    bench("add_buffer_64chunks", rounds, || {
        let t = Instant::now();
        for _ in 0..moves / 2 {
            b.add_buffer(&mut a).unwrap();
            a.add_buffer(&mut b).unwrap();
        }
        (moves, t.elapsed().as_nanos())
    });
    // Forwarding: move 6000 bytes at a time out of a 64 MiB buffer of
    // 4 KiB chunks into an empty one (whole chunks move, the split one is
    // copied), then drop them.
    let block4k = vec![3u8; 4096];
    bench("remove_buffer_6000", rounds, || {
        let mut src = Buffer::new();
        for _ in 0..n(16_384) {
            src.add(&block4k).unwrap();
        }
        let mut dst = Buffer::new();
        let t = Instant::now();
        let mut ops = 0;
        while src.len() >= 6000 {
            src.remove_buffer(&mut dst, 6000).unwrap();
            dst.clear().unwrap();
            ops += 1;
        }
        (ops, t.elapsed().as_nanos())
    });

    // readln over 1M short lines.
    let lines = n(1_000_000);
    let mut text = Vec::new();
    for i in 0..lines {
        text.extend_from_slice(format!("line {i:07}\r\n").as_bytes());
    }
    for (name, style) in [
        ("readln_crlf", EolStyle::Crlf),
        ("readln_lf", EolStyle::Lf),
        ("readln_any", EolStyle::Any),
    ] {
        bench(name, rounds, || {
            let mut b = Buffer::new();
            for piece in text.chunks(4096) {
                b.add(piece).unwrap();
            }
            let t = Instant::now();
            let mut got = 0;
            while let Some(line) = b.readln(style).unwrap() {
                black_box(&line);
                got += 1;
            }
            assert_eq!(got, lines);
            (lines, t.elapsed().as_nanos())
        });
    }
    bench("readln_with_crlf", rounds, || {
        let mut b = Buffer::new();
        for piece in text.chunks(4096) {
            b.add(piece).unwrap();
        }
        let t = Instant::now();
        let mut bytes = 0;
        let mut got = 0;
        while let Some(n) = b.readln_with(EolStyle::Crlf, |line| line.len()).unwrap() {
            bytes += n;
            got += 1;
        }
        black_box(bytes);
        assert_eq!(got, lines);
        (lines, t.elapsed().as_nanos())
    });
    bench("readln_into_crlf", rounds, || {
        let mut b = Buffer::new();
        for piece in text.chunks(4096) {
            b.add(piece).unwrap();
        }
        let t = Instant::now();
        let mut line = Vec::new();
        let mut got = 0;
        loop {
            line.clear();
            if b.readln_into(EolStyle::Crlf, &mut line).unwrap().is_none() {
                break;
            }
            got += 1;
        }
        assert_eq!(got, lines);
        (lines, t.elapsed().as_nanos())
    });

    // Search for a 4-byte needle at the end of 64 MiB (in 4 KiB chunks).
    let mib = n(64) as usize;
    let mut hay = Buffer::new();
    let block: Vec<u8> = (0..4096u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxy"[(i % 25) as usize])
        .collect();
    for _ in 0..mib * 256 {
        hay.add(&block)?;
    }
    hay.add(b"WXYZ")?;
    let bytes = hay.len() as f64;
    if wanted("search") {
        let ns = measure(rounds, || {
            let t = Instant::now();
            let p = hay.search(b"WXYZ", None).unwrap().unwrap();
            let ns = t.elapsed().as_nanos();
            assert_eq!(p.offset(), hay.len() - 4);
            (1, ns)
        });
        report("search_4b_64mib_total", ns);
        println!("{:<28} {:>12.2}", "search_4b_gb_per_s", bytes / ns);
        // A needle whose first byte is everywhere (libevent's memchr-then-
        // memcmp loop stops every 25 bytes here).
        let ns = measure(rounds, || {
            let t = Instant::now();
            let p = hay.search(b"abcZ", None).unwrap();
            let ns = t.elapsed().as_nanos();
            assert!(p.is_none());
            (1, ns)
        });
        report("search_common_first_64mib", ns);
        println!("{:<28} {:>12.2}", "search_common_gb_per_s", bytes / ns);
        let ns = measure(rounds, || {
            let t = Instant::now();
            assert!(hay.search_eol(None, EolStyle::Any).unwrap().is_none());
            (1, t.elapsed().as_nanos())
        });
        report("search_eol_any_64mib", ns);
    }

    // copyout 4 KiB from a multi-chunk buffer; pullup 64 KiB of 4 KiB chunks.
    let mut out = vec![0u8; 4096];
    let copies = n(200_000);
    bench("copyout_4k", rounds, || {
        let t = Instant::now();
        for _ in 0..copies {
            hay.copyout(&mut out).unwrap();
        }
        (copies, t.elapsed().as_nanos())
    });
    let pulls = n(20_000);
    let shared: std::sync::Arc<[u8]> = block.clone().into();
    bench("pullup_64k_of_4k_chunks", rounds, || {
        let mut spent = 0u128;
        for _ in 0..pulls {
            let mut b = Buffer::new();
            for _ in 0..16 {
                b.add_reference(shared.clone()).unwrap();
            }
            let t = Instant::now();
            black_box(b.pullup(65536).unwrap());
            spent += t.elapsed().as_nanos();
        }
        (pulls, spent)
    });

    // Socket I/O through a socketpair: 64 KiB writes and reads.
    let (x, y) = UnixStream::pair()?;
    x.set_nonblocking(true)?;
    y.set_nonblocking(true)?;
    let would_block = |r: oxevent::Result<usize>| match r {
        Ok(n) => n,
        Err(oxevent::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
        Err(e) => panic!("{e}"),
    };
    let total = n(4096) as usize; // pieces of 64 KiB: 256 MiB
    if !wanted("socket") {
        return Ok(());
    }
    let ns = measure(rounds, || {
        let t = Instant::now();
        let mut w = Buffer::new();
        let mut r = Buffer::new();
        let mut sent = 0;
        let mut got = 0;
        while got < total * big.len() {
            if sent < total && w.len() < 4 * big.len() {
                w.add(&big).unwrap();
                sent += 1;
            }
            if !w.is_empty() {
                would_block(w.write_fd(&x));
            }
            let k = would_block(r.read_fd(&y, 1 << 16));
            got += k;
            r.drain(k).unwrap();
        }
        (total as u64, t.elapsed().as_nanos())
    });
    report("socket_64k_write_read", ns);
    println!("{:<28} {:>12.2}", "socket_gb_per_s", 65536.0 / ns);
    Ok(())
}
