//! A short seeded run of the randomized API fuzzer (`fuzz/api/apifuzz.c`,
//! issue 13) in CI: the harness is compiled against our headers, linked
//! against our cdylib through a private prefix of `libevent*.so*` symlinks,
//! and run with each backend (epoll, `EVENT_NOEPOLL=1`, `EVENT_NOEPOLL=1
//! EVENT_NOPOLL=1`) in its deterministic mode (`-d`): well-defined sequences
//! (`-m defined`) and the misuse oxevent promises to survive (`-m misuse`).
//! The same well-defined run goes against Debian's libevent 2.1.12 when it
//! is installed, which checks the harness itself.
//!
//! Knobs: `OXEVENT_APIFUZZ_SEEDS` (default 20) and `OXEVENT_APIFUZZ_OPS`
//! (default 2000) per run; `OXEVENT_DIFF_CDYLIB` as for the differential
//! suite. Long campaigns (1,000 seeds under valgrind) use
//! `fuzz/api/run.sh`; see `fuzz/api/README.md`.
//!
//! Std only.

use std::env;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::locate_cdylib;

const DEBIAN_LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";
const LIB_NAMES: [&str; 6] = [
    "libevent-2.1.so.7",
    "libevent_core-2.1.so.7",
    "libevent_pthreads-2.1.so.7",
    "libevent.so",
    "libevent_core.so",
    "libevent_pthreads.so",
];
const BACKENDS: [(&str, &[(&str, &str)]); 3] = [
    ("epoll", &[]),
    ("poll", &[("EVENT_NOEPOLL", "1")]),
    ("select", &[("EVENT_NOEPOLL", "1"), ("EVENT_NOPOLL", "1")]),
];
/// Limit for one run of `SEEDS` seeds.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_num(name: &str, default: u64) -> u64 {
    env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> WorkDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = env::temp_dir().join(format!(
            "oxevent-apifuzz-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&path).expect("create work dir");
        WorkDir(path)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Compiles the harness and links it against the libraries in `libdir`.
fn build(work: &Path, libdir: &Path, name: &str) -> PathBuf {
    let src = crate_dir().join("../../fuzz/api/apifuzz.c");
    let bin = work.join(name);
    let out = Command::new("gcc")
        .args([
            "-std=gnu99",
            "-O1",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
        ])
        .arg(crate_dir().join("include"))
        .arg(&src)
        .arg("-L")
        .arg(libdir)
        .args(["-levent", "-o"])
        .arg(&bin)
        .stdin(Stdio::null())
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "building {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

/// Runs the harness; returns Err(description) unless it exits 0.
fn run(
    bin: &Path,
    libdir: &Path,
    backend: &[(&str, &str)],
    args: &[&str],
) -> Result<String, String> {
    let mut cmd = Command::new(bin);
    for var in [
        "EVENT_NOEPOLL",
        "EVENT_NOPOLL",
        "EVENT_NOSELECT",
        "EVENT_SHOW_METHOD",
        "EVENT_EPOLL_USE_CHANGELIST",
        "RUST_BACKTRACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("LD_LIBRARY_PATH", libdir)
        .envs(backend.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = cmd.spawn().map_err(|e| format!("{shown}: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{shown}: no exit within {RUN_TIMEOUT:?}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{shown}: wait: {e}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{shown}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout.lines().last().unwrap_or("").to_string())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The log of the last operations is long; its head and tail do.
        let lines: Vec<&str> = stderr.lines().collect();
        let shown_err = if lines.len() > 80 {
            format!(
                "{}\n...\n{}",
                lines[..10].join("\n"),
                lines[lines.len() - 60..].join("\n")
            )
        } else {
            stderr.into_owned()
        };
        Err(format!(
            "{shown}: {}\n--- stdout\n{stdout}--- stderr\n{shown_err}",
            out.status
        ))
    }
}

#[test]
fn apifuzz_short_run_on_ours_every_backend_and_on_debian() {
    let seeds = env_num("OXEVENT_APIFUZZ_SEEDS", 20).to_string();
    let ops = env_num("OXEVENT_APIFUZZ_OPS", 2000).to_string();
    let work = WorkDir::new();
    let prefix = work.0.join("prefix");
    fs::create_dir_all(&prefix).unwrap();
    let cdylib = locate_cdylib().canonicalize().expect("canonicalize cdylib");
    for name in LIB_NAMES {
        symlink(&cdylib, prefix.join(name)).expect("symlink into prefix");
    }
    let ours = build(&work.0, &prefix, "apifuzz.ours");
    let mut failures = Vec::new();
    for (backend, vars) in BACKENDS {
        for mode in ["defined", "misuse"] {
            let args = [
                "-q", "-d", "-m", mode, "-s", "1", "-n", &seeds, "-o", &ops, "-t", "60",
            ];
            match run(&ours, &prefix, vars, &args) {
                Ok(summary) => println!("ours/{backend:6} {summary}"),
                Err(e) => failures.push(format!("== ours/{backend} -m {mode}: {e}")),
            }
        }
    }
    let debian = Path::new(DEBIAN_LIBDIR);
    if debian.join("libevent-2.1.so.7").is_file() {
        let deb = build(&work.0, debian, "apifuzz.debian");
        let args = [
            "-q", "-d", "-m", "defined", "-s", "1", "-n", &seeds, "-o", &ops, "-t", "60",
        ];
        match run(&deb, debian, &[], &args) {
            Ok(summary) => println!("debian/epoll {summary}"),
            Err(e) => failures.push(format!(
                "== debian -m defined (the harness itself is wrong if this fails): {e}"
            )),
        }
    } else {
        println!("Debian's libevent is not installed: its sanity run is skipped");
    }
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} apifuzz run(s) failed",
        failures.len()
    );
}
