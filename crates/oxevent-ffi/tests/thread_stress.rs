//! The threaded stress test of issue 14 (`tests/stress/thread_stress.c`):
//! 4 worker threads add, delete (`event_del`, `event_del_block`,
//! `event_del_noblock`), free, re-create, re-assign and activate events of
//! one base while its loop runs in another thread, and count callbacks that
//! start after a deletion returned (the C file defines a violation
//! precisely). It is compiled against our headers and linked twice.
//!
//! Runs: ours with the default backend for `OXEVENT_STRESS_SECS` (default
//! 20 s); ours with poll and select, and Debian's libevent 2.1.12 with each
//! backend, for `OXEVENT_STRESS_SHORT_SECS` (default 3 s). Debian must pass:
//! if it does not, the test (not the library) is wrong.
//!
//! While `OURS_GAP` names a reason, ours is known to fail: its failures are
//! printed, not fatal. The test is statistical (violations are races), so
//! a run of ours that passes does not fail the test either; it prints that
//! the gap may be closed, to be confirmed with longer runs
//! (`OXEVENT_STRESS_SECS=120`) before `OURS_GAP` becomes `None`.
//!
//! Std only.

use std::env;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::locate_cdylib;

/// Why ours fails today, or None once it passes.
// Closed: 120 s on epoll (46.7 M operations, 12.7 M callbacks) and 30 s on
// poll and select ran with no violation (issue 14).
const OURS_GAP: Option<&str> = None;

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
    ("default", &[]),
    ("poll", &[("EVENT_NOEPOLL", "1")]),
    ("select", &[("EVENT_NOEPOLL", "1"), ("EVENT_NOPOLL", "1")]),
];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_secs(name: &str, default: f64) -> f64 {
    env::var(name)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|&s| s > 0.0)
        .unwrap_or(default)
}

struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn build(obj: &Path, libdir: &Path, bin: &Path) {
    let out = Command::new("gcc")
        .arg(obj)
        .arg("-L")
        .arg(libdir)
        .args(["-levent", "-levent_pthreads", "-lpthread", "-o"])
        .arg(bin)
        .stdin(Stdio::null())
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "linking {} failed:\n{}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the stress program; Ok(summary) on exit 0, Err(report) otherwise.
fn run(bin: &Path, libdir: &Path, backend: &[(&str, &str)], secs: f64) -> Result<String, String> {
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
        .arg(format!("{secs}"))
        .arg("4")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = cmd.spawn().map_err(|e| format!("{shown}: {e}"))?;
    // The program's own deadlock watch gives up after 30 s per stuck call.
    let limit = Duration::from_secs_f64(secs + 90.0);
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{shown}: no exit within {limit:?}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("{shown}: wait: {e}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{shown}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stdout.trim_end().to_string())
    } else {
        Err(format!(
            "{shown}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            out.status
        ))
    }
}

#[test]
fn thread_stress_no_callback_after_delete_returned() {
    let long = env_secs("OXEVENT_STRESS_SECS", 20.0);
    let short = env_secs("OXEVENT_STRESS_SHORT_SECS", 3.0);
    let work = WorkDir(env::temp_dir().join(format!("oxevent-stress-{}", std::process::id())));
    fs::create_dir_all(&work.0).expect("create work dir");

    let src = crate_dir().join("tests/stress/thread_stress.c");
    let obj = work.0.join("thread_stress.o");
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
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .stdin(Stdio::null())
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );

    let prefix = work.0.join("prefix");
    fs::create_dir_all(&prefix).unwrap();
    let cdylib = locate_cdylib().canonicalize().expect("canonicalize cdylib");
    for name in LIB_NAMES {
        symlink(&cdylib, prefix.join(name)).expect("symlink into prefix");
    }
    let ours = work.0.join("thread_stress.ours");
    build(&obj, &prefix, &ours);

    let mut failures = Vec::new();
    for (i, (backend, vars)) in BACKENDS.iter().enumerate() {
        let secs = if i == 0 { long } else { short };
        match (run(&ours, &prefix, vars, secs), OURS_GAP) {
            (Ok(summary), None) => println!("ours/{backend}: {summary}"),
            (Ok(summary), Some(_)) => println!(
                "ours/{backend}: {summary}\n  NOTE: passes although OURS_GAP is set; if longer \
                 runs (OXEVENT_STRESS_SECS=120) pass too, set OURS_GAP to None"
            ),
            (Err(e), None) => failures.push(format!("== ours/{backend}: {e}")),
            (Err(e), Some(why)) => println!("KNOWN GAP ours/{backend}: {why}\n{e}"),
        }
    }

    let debian = Path::new(DEBIAN_LIBDIR);
    if debian.join("libevent_pthreads-2.1.so.7").is_file() {
        let deb = work.0.join("thread_stress.debian");
        build(&obj, debian, &deb);
        for (backend, vars) in BACKENDS {
            match run(&deb, debian, vars, short) {
                Ok(summary) => println!("debian/{backend}: {summary}"),
                Err(e) => failures.push(format!(
                    "== debian/{backend} (the stress test is wrong if this fails): {e}"
                )),
            }
        }
    } else {
        println!("Debian's libevent is not installed: its runs are skipped");
    }
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} stress run(s) failed",
        failures.len()
    );
}
