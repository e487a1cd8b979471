//! Differential C tests: every `tests/c/*.c` program against our library and
//! Debian's libevent 2.1.12, with each backend.
//!
//! Each C file is a small self-checking program (exit 0 and one `ok <name>`
//! line when all its checks pass). This harness compiles each file once with
//! our headers (`gcc -c`), links the object twice -- against our cdylib
//! through a private prefix of `libevent*.so*` symlinks, and against Debian's
//! libraries -- and runs it 6 times: {ours, debian} x {default (epoll),
//! `EVENT_NOEPOLL=1` (poll), `EVENT_NOEPOLL=1 EVENT_NOPOLL=1` (select)}.
//! Linking twice keeps the Debian run independent of the SONAME our cdylib
//! carries (if it names itself `libevent-2.1.so.7`, a binary linked against
//! it would not ask Debian's loader for `libevent_pthreads-2.1.so.7`).
//!
//! A file named `improved_*.c` checks a documented improvement of ours over
//! libevent and runs against ours only.
//!
//! A Debian failure means the C test itself is wrong: it asserts something
//! libevent 2.1.12 does not do.
//!
//! Environment knobs:
//! - `OXEVENT_DIFF_LIBS=debian|ours|both` (default `both`): which libraries.
//! - `OXEVENT_DIFF_FILTER=substring`: only C files whose name contains it.
//! - `OXEVENT_DIFF_INCLUDE=dir`: compile with this include dir instead of
//!   `<crate>/include` (e.g. `/usr/include` to develop against Debian).
//! - `OXEVENT_DIFF_VALGRIND=1`: also run ours (default backend) under
//!   valgrind's memcheck; errors or definite leaks fail the run.
//! - `OXEVENT_DIFF_JOBS=n` (default 4): programs run at once.
//! - `OXEVENT_DIFF_CDYLIB=path`: our cdylib, if not at
//!   `target/<profile>/liboxevent_ffi.so`.
//! - `OXEVENT_DIFF_KEEP=1`: keep the temporary work dir (binaries, outputs).
//! - `OXEVENT_DIFF_DIR=dir`: the C files of `dir` instead of `tests/c` (a
//!   staging directory while a feature is being written; it needs its own
//!   `check.h`).
//!
//! Std only: the crate has no dev-dependencies for this.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::env;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::symlink;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::locate_cdylib;

/// Where Debian keeps libevent's shared objects.
const DEBIAN_LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";

/// Every name a program may ask the loader (or the linker) for; in our
/// prefix they all point at the one cdylib, so any mix loads one copy.
const LIB_NAMES: [&str; 6] = [
    "libevent-2.1.so.7",
    "libevent_core-2.1.so.7",
    "libevent_pthreads-2.1.so.7",
    "libevent.so",
    "libevent_core.so",
    "libevent_pthreads.so",
];

/// Time limit for one ordinary run.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
/// Time limit for one run under valgrind.
const VALGRIND_TIMEOUT: Duration = Duration::from_secs(120);

/// Tests not run under valgrind, and why.
const VALGRIND_SKIP: &[(&str, &str)] = &[
    (
        "fatal_callback",
        "its forked child dies through the fatal callback on purpose, leaking its base",
    ),
    (
        "persist_timer",
        "asserts >= 50 ms between ticks; under valgrind's slowdown a late tick is followed \
         by an early one (the period is kept relative to the deadline, as in libevent)",
    ),
    (
        "common_timeout",
        "asserts 100-250 ms left on a 200 ms timeout; valgrind's start-up slowdown eats the margin",
    ),
    (
        "r3_oom",
        "sets a 256 MB RLIMIT_AS, below what valgrind itself maps",
    ),
    (
        "evbuffer_readln_long",
        "copies 100 MB in 1 MB pieces with a readln after each: under valgrind that takes \
         longer than the 10 s watchdog",
    ),
    (
        "readd_growth",
        "needs 350 k fires within 8 s to measure RSS; valgrind runs far slower",
    ),
];

/// Every column of ours: a gap listed with this fails everywhere on ours.
const ALL_OURS: &[&str] = &["ours/default", "ours/poll", "ours/select", "ours/valgrind"];

/// Known gaps: tests that pass on Debian but not yet on ours, with the
/// columns of ours where they fail (`ours/default`, `ours/poll`,
/// `ours/select`, `ours/valgrind`) and the reason. Their failures there are
/// printed every run but do not fail the suite; a gap that passes in a
/// listed column fails it, so the list stays honest (whoever fixes the
/// defect removes the entry, or the columns that now pass).
const KNOWN_GAPS: &[(&str, &[&str], &str)] = &[];

/// Programs of `tests/c` that `debian_headers_binary_runs_on_ours` builds
/// against Debian's headers and library.
const ABI_PROGRAMS: &[&str] = &[
    "seed002_five_steps",
    "seed003_pipe_reader",
    "state_machine",
    "compat_1x",
    "signal_basic",
    "threads_wakeup",
    "evbuffer_add_remove",
    "evbuffer_reserve_commit",
    "evbuffer_search",
    "evbuffer_io_socketpair",
    "evbuffer_file_segment",
    "evbuffer_setcb_compat",
];

/// Headers whose every function our cdylib must export.
const REQUIRED_HEADERS: [&str; 9] = [
    "event.h",
    "event_compat.h",
    "util.h",
    "thread.h",
    "buffer.h",
    "buffer_compat.h",
    "bufferevent.h",
    "bufferevent_compat.h",
    "listener.h",
];

// ---------------------------------------------------------------------------
// Configuration

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Lib {
    Ours,
    Debian,
}

impl Lib {
    fn name(self) -> &'static str {
        match self {
            Lib::Ours => "ours",
            Lib::Debian => "debian",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Backend {
    Default,
    Poll,
    Select,
}

const BACKENDS: [Backend; 3] = [Backend::Default, Backend::Poll, Backend::Select];

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Default => "default",
            Backend::Poll => "poll",
            Backend::Select => "select",
        }
    }

    fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Backend::Default => &[],
            Backend::Poll => &[("EVENT_NOEPOLL", "1")],
            Backend::Select => &[("EVENT_NOEPOLL", "1"), ("EVENT_NOPOLL", "1")],
        }
    }
}

/// Environment variables libevent reads that must not leak in from the
/// environment `cargo test` runs in.
const SCRUBBED_ENV: [&str; 9] = [
    "EVENT_NOEPOLL",
    "EVENT_NOPOLL",
    "EVENT_NOSELECT",
    "EVENT_NOKQUEUE",
    "EVENT_NODEVPOLL",
    "EVENT_NOEVPORT",
    "EVENT_NOWIN32",
    "EVENT_SHOW_METHOD",
    "EVENT_EPOLL_USE_CHANGELIST",
];

struct Config {
    crate_dir: PathBuf,
    include_dir: PathBuf,
    libs: Vec<Lib>,
    filter: Option<String>,
    valgrind: bool,
    jobs: usize,
    keep: bool,
}

impl Config {
    fn from_env() -> Config {
        let crate_dir = crate_dir();
        let include_dir = env::var_os("OXEVENT_DIFF_INCLUDE")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate_dir.join("include"));
        let libs = match env::var("OXEVENT_DIFF_LIBS").as_deref() {
            Err(_) | Ok("") | Ok("both") => vec![Lib::Ours, Lib::Debian],
            Ok("ours") => vec![Lib::Ours],
            Ok("debian") => vec![Lib::Debian],
            Ok(other) => panic!("OXEVENT_DIFF_LIBS={other:?}: expected debian, ours or both"),
        };
        let filter = env::var("OXEVENT_DIFF_FILTER")
            .ok()
            .filter(|f| !f.is_empty());
        let valgrind = env_flag("OXEVENT_DIFF_VALGRIND");
        let jobs = env::var("OXEVENT_DIFF_JOBS")
            .ok()
            .and_then(|j| j.parse::<usize>().ok())
            .filter(|&j| j > 0)
            .unwrap_or(4);
        Config {
            crate_dir,
            include_dir,
            libs,
            filter,
            valgrind,
            jobs,
            keep: env_flag("OXEVENT_DIFF_KEEP"),
        }
    }

    fn wants(&self, lib: Lib) -> bool {
        self.libs.contains(&lib)
    }

    fn c_dir(&self) -> PathBuf {
        match env::var_os("OXEVENT_DIFF_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => self.crate_dir.join("tests").join("c"),
        }
    }
}

fn env_flag(name: &str) -> bool {
    matches!(env::var(name).as_deref(), Ok(v) if !v.is_empty() && v != "0")
}

/// The crate's directory: cargo's `CARGO_MANIFEST_DIR` (at build time, or at
/// run time when built by hand), else derived from this file's path.
fn crate_dir() -> PathBuf {
    if let Some(dir) = option_env!("CARGO_MANIFEST_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = env::var_os("CARGO_MANIFEST_DIR") {
        return PathBuf::from(dir);
    }
    let here = Path::new(file!());
    let dir = here
        .parent()
        .and_then(Path::parent)
        .expect("tests/differential.rs has a crate directory");
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    }
}

/// `<crate>/tests/abi`: libevent 2.1.12's ABI facts (the public symbols by
/// header, struct layouts), kept in the repository so a clone is complete.
fn abi_dir(cfg: &Config) -> PathBuf {
    cfg.crate_dir.join("tests/abi")
}

// ---------------------------------------------------------------------------
// Work directory and prefix

/// A private directory under the system temp dir, removed on drop unless
/// `OXEVENT_DIFF_KEEP` is set.
struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    fn new(tag: &str, keep: bool) -> WorkDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = env::temp_dir().join(format!(
            "oxevent-diff-{}-{}-{}-{}",
            std::process::id(),
            tag,
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos
        ));
        fs::create_dir_all(&path).expect("create work dir");
        WorkDir { path, keep }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept work dir {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// `<work>/prefix` holding every libevent name as a symlink to our cdylib.
fn make_prefix(work: &Path, cdylib: &Path) -> PathBuf {
    let prefix = work.join("prefix");
    fs::create_dir_all(&prefix).expect("create prefix dir");
    let target = cdylib.canonicalize().expect("canonicalize cdylib");
    for name in LIB_NAMES {
        symlink(&target, prefix.join(name)).expect("symlink into prefix");
    }
    prefix
}

// ---------------------------------------------------------------------------
// Running programs

#[derive(Clone, Debug)]
enum Outcome {
    Ok,
    Fail(String),
    Timeout,
}

impl Outcome {
    fn cell(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail(_) => "FAIL",
            Outcome::Timeout => "TIMEOUT",
        }
    }

    fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }
}

struct RunResult {
    outcome: Outcome,
    stdout: String,
    stderr: String,
    command: String,
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exit status {code}")
    } else if let Some(sig) = status.signal() {
        format!("killed by signal {sig}")
    } else {
        format!("{status}")
    }
}

fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr into files named
/// after `log_stem`, killing its process group after `limit`.
fn run_with_timeout(mut cmd: Command, limit: Duration, log_stem: &Path) -> RunResult {
    let command = format!("{cmd:?}");
    // Appended, not `with_extension`: the stem's own dot separates the test
    // from its column, and replacing it would make every column of a test
    // share (and overwrite) one pair of files.
    let out_path = PathBuf::from(format!("{}.stdout", log_stem.display()));
    let err_path = PathBuf::from(format!("{}.stderr", log_stem.display()));
    let stdout = File::create(&out_path).expect("create stdout file");
    let stderr = File::create(&err_path).expect("create stderr file");
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return RunResult {
                outcome: Outcome::Fail(format!("could not start: {e}")),
                stdout: String::new(),
                stderr: String::new(),
                command,
            }
        }
    };
    let start = Instant::now();
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break Outcome::Ok,
            Ok(Some(status)) => break Outcome::Fail(describe_status(status)),
            Ok(None) if start.elapsed() >= limit => {
                // The whole group: a test may have forked.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break Outcome::Timeout;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => break Outcome::Fail(format!("wait failed: {e}")),
        }
    };
    RunResult {
        outcome,
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
        command,
    }
}

/// A command for a test binary with a clean libevent environment.
fn program_command(bin: &Path, libdir: &Path, backend: Backend) -> Command {
    let mut cmd = Command::new(bin);
    prepare_env(&mut cmd, libdir, backend);
    cmd
}

fn prepare_env(cmd: &mut Command, libdir: &Path, backend: Backend) {
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("LD_LIBRARY_PATH", libdir);
    for (k, v) in backend.env() {
        cmd.env(k, v);
    }
}

/// Runs `jobs` on `n` threads, returning results in job order.
fn run_pool<J: Sync, R: Send>(jobs: &[J], n: usize, f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..jobs.len()).collect());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    thread::scope(|s| {
        for _ in 0..n.max(1).min(jobs.len().max(1)) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap().pop_front();
                let Some(i) = next else { break };
                let r = f(&jobs[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

// ---------------------------------------------------------------------------
// Compiling

fn c_sources(cfg: &Config) -> Vec<(String, PathBuf)> {
    let dir = cfg.c_dir();
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "c") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if cfg
                .filter
                .as_ref()
                .is_some_and(|f| !name.contains(f.as_str()))
            {
                continue;
            }
            out.push((name, path));
        }
    }
    out.sort();
    out
}

fn gcc_base_flags() -> Vec<&'static str> {
    vec!["-std=gnu99", "-O1", "-g", "-Wall", "-Wextra", "-Werror"]
}

/// `gcc -c`: returns Err(diagnostics) on failure.
fn compile_object(cfg: &Config, src: &Path, include: &Path, obj: &Path) -> Result<(), String> {
    let mut cmd = Command::new("gcc");
    cmd.args(gcc_base_flags())
        .arg("-I")
        .arg(include)
        .arg("-I")
        .arg(cfg.c_dir())
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(obj);
    run_tool(cmd)
}

/// Links an object against the libraries in `libdir`.
fn link(obj: &Path, libdir: &Path, bin: &Path) -> Result<(), String> {
    let mut cmd = Command::new("gcc");
    cmd.arg(obj)
        .arg("-L")
        .arg(libdir)
        .args(["-levent", "-levent_pthreads", "-lpthread", "-o"])
        .arg(bin);
    run_tool(cmd)
}

fn run_tool(mut cmd: Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    match cmd.stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{shown}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("{shown}: could not run: {e}")),
    }
}

/// Checks with the loader's trace mode that every libevent object `bin`
/// loads comes from `prefix`.
fn loads_only_from(bin: &Path, prefix: &Path) -> Result<(), String> {
    let mut cmd = Command::new(bin);
    prepare_env(&mut cmd, prefix, Backend::Default);
    cmd.env("LD_TRACE_LOADED_OBJECTS", "1");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("trace {}: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let prefix_s = prefix.to_string_lossy();
    let mut seen = 0;
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("libevent") {
            continue;
        }
        seen += 1;
        if !line.contains(prefix_s.as_ref()) {
            return Err(format!(
                "{} loads {line:?}, not from {prefix_s}\n{text}",
                bin.display()
            ));
        }
    }
    if seen == 0 {
        return Err(format!(
            "{} loads no libevent object at all:\n{text}",
            bin.display()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The differential test

#[derive(Clone)]
struct Job {
    test: String,
    lib: Lib,
    /// None: the valgrind run (ours, default backend).
    backend: Option<Backend>,
    bin: PathBuf,
    libdir: PathBuf,
}

impl Job {
    fn column(&self) -> String {
        match self.backend {
            Some(b) => format!("{}/{}", self.lib.name(), b.name()),
            None => "ours/valgrind".to_string(),
        }
    }
}

#[test]
fn c_programs_pass_on_ours_and_debian_with_every_backend() {
    let cfg = Config::from_env();
    let work = WorkDir::new("diff", cfg.keep);
    let sources = c_sources(&cfg);
    assert!(
        !sources.is_empty(),
        "no C tests in {} (filter {:?})",
        cfg.c_dir().display(),
        cfg.filter
    );

    let prefix = if cfg.wants(Lib::Ours) {
        Some(make_prefix(&work.path, &locate_cdylib()))
    } else {
        None
    };
    let debian_dir = PathBuf::from(DEBIAN_LIBDIR);
    let bindir = work.path.join("bin");
    let logdir = work.path.join("logs");
    fs::create_dir_all(&bindir).unwrap();
    fs::create_dir_all(&logdir).unwrap();

    // Compile each file once, link once per library.
    struct Built {
        name: String,
        ours: Option<PathBuf>,
        debian: Option<PathBuf>,
        error: Option<String>,
    }
    let built: Vec<Built> = run_pool(&sources, cfg.jobs, |(name, src)| {
        let improved = name.starts_with("improved_");
        let obj = bindir.join(format!("{name}.o"));
        let mut b = Built {
            name: name.clone(),
            ours: None,
            debian: None,
            error: None,
        };
        if let Err(e) = compile_object(&cfg, src, &cfg.include_dir, &obj) {
            b.error = Some(format!("compile failed:\n{e}"));
            return b;
        }
        let mut errors = Vec::new();
        if let Some(prefix) = &prefix {
            let bin = bindir.join(format!("{name}.ours"));
            match link(&obj, prefix, &bin) {
                Ok(()) => b.ours = Some(bin),
                Err(e) => errors.push(format!("link against ours failed:\n{e}")),
            }
        }
        if cfg.wants(Lib::Debian) && !improved {
            let bin = bindir.join(format!("{name}.debian"));
            match link(&obj, &debian_dir, &bin) {
                Ok(()) => b.debian = Some(bin),
                Err(e) => errors.push(format!("link against Debian failed:\n{e}")),
            }
        }
        if !errors.is_empty() {
            b.error = Some(errors.join("\n"));
        }
        b
    });

    // Sanity: an ours-linked binary really loads our cdylib.
    let mut failures: Vec<String> = Vec::new();
    if let Some(prefix) = &prefix {
        if let Some(bin) = built.iter().find_map(|b| b.ours.clone()) {
            if let Err(e) = loads_only_from(&bin, prefix) {
                failures.push(format!("loader check: {e}"));
            }
        }
    }

    let mut jobs: Vec<Job> = Vec::new();
    for b in &built {
        for lib in [Lib::Ours, Lib::Debian] {
            let (bin, libdir) = match (lib, &b.ours, &b.debian, &prefix) {
                (Lib::Ours, Some(bin), _, Some(p)) => (bin.clone(), p.clone()),
                (Lib::Debian, _, Some(bin), _) => (bin.clone(), debian_dir.clone()),
                _ => continue,
            };
            for backend in BACKENDS {
                jobs.push(Job {
                    test: b.name.clone(),
                    lib,
                    backend: Some(backend),
                    bin: bin.clone(),
                    libdir: libdir.clone(),
                });
            }
            if lib == Lib::Ours && cfg.valgrind && !VALGRIND_SKIP.iter().any(|(n, _)| *n == b.name)
            {
                jobs.push(Job {
                    test: b.name.clone(),
                    lib,
                    backend: None,
                    bin: bin.clone(),
                    libdir: libdir.clone(),
                });
            }
        }
    }

    let results = run_pool(&jobs, cfg.jobs, |job| {
        let stem = logdir.join(format!("{}.{}", job.test, job.column().replace('/', "-")));
        match job.backend {
            Some(backend) => run_with_timeout(
                program_command(&job.bin, &job.libdir, backend),
                RUN_TIMEOUT,
                &stem,
            ),
            None => {
                let mut cmd = Command::new("valgrind");
                cmd.args([
                    "--error-exitcode=99",
                    "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--show-leak-kinds=definite",
                    "-q",
                ])
                .arg(&job.bin);
                prepare_env(&mut cmd, &job.libdir, Backend::Default);
                run_with_timeout(cmd, VALGRIND_TIMEOUT, &stem)
            }
        }
    });

    // The table.
    let mut columns: Vec<String> = Vec::new();
    for lib in &cfg.libs {
        for backend in BACKENDS {
            columns.push(format!("{}/{}", lib.name(), backend.name()));
        }
    }
    if cfg.valgrind && cfg.wants(Lib::Ours) {
        columns.push("ours/valgrind".to_string());
    }
    let mut cells: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    for (job, res) in jobs.iter().zip(&results) {
        cells.insert((job.test.clone(), job.column()), res.outcome.cell());
    }
    let width = built.iter().map(|b| b.name.len()).max().unwrap_or(4).max(4);
    let mut table = String::new();
    table.push_str(&format!("{:width$}", "test"));
    for c in &columns {
        table.push_str(&format!("  {c:>14}"));
    }
    table.push('\n');
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for b in &built {
        table.push_str(&format!("{:width$}", b.name));
        for c in &columns {
            let cell = if b.error.is_some() && !cells.contains_key(&(b.name.clone(), c.clone())) {
                "BUILD"
            } else {
                cells
                    .get(&(b.name.clone(), c.clone()))
                    .copied()
                    .unwrap_or("-")
            };
            let entry = counts.entry(c.clone()).or_default();
            match cell {
                "ok" => entry.0 += 1,
                "-" => {}
                _ => entry.1 += 1,
            }
            table.push_str(&format!("  {cell:>14}"));
        }
        table.push('\n');
    }
    table.push_str(&format!("{:width$}", "passed"));
    for c in &columns {
        let (ok, bad) = counts.get(c).copied().unwrap_or((0, 0));
        table.push_str(&format!("  {:>14}", format!("{ok}/{}", ok + bad)));
    }
    table.push('\n');
    println!("{table}");
    if !VALGRIND_SKIP.is_empty() && cfg.valgrind {
        for (n, why) in VALGRIND_SKIP {
            println!("not under valgrind: {n}: {why}");
        }
    }

    // Details of every failure.
    let mut debian_failed = false;
    for b in &built {
        if let Some(e) = &b.error {
            failures.push(format!("== {}: {e}", b.name));
        }
    }
    for (job, res) in jobs.iter().zip(&results) {
        let column = job.column();
        let gap = KNOWN_GAPS
            .iter()
            .find(|(n, cols, _)| *n == job.test && cols.contains(&column.as_str()));
        if let (Some((n, _, why)), Lib::Ours) = (gap, job.lib) {
            if res.outcome.is_ok() {
                failures.push(format!(
                    "== {n} [{column}]: listed in KNOWN_GAPS for this column but passes now: \
                     remove the column (or the entry) from the list"
                ));
            } else {
                println!("KNOWN GAP {n} [{column}]: {why}");
            }
            continue;
        }
        if res.outcome.is_ok() {
            continue;
        }
        if job.lib == Lib::Debian {
            debian_failed = true;
        }
        let why = match &res.outcome {
            Outcome::Fail(s) => s.clone(),
            Outcome::Timeout => format!("no exit within {:?}", RUN_TIMEOUT),
            Outcome::Ok => unreachable!(),
        };
        failures.push(format!(
            "== {} [{}]: {}\n   command: {}\n--- stdout\n{}--- stderr\n{}",
            job.test,
            job.column(),
            why,
            res.command,
            res.stdout,
            res.stderr
        ));
    }
    for f in &failures {
        println!("{f}");
    }
    if !failures.is_empty() {
        let mut msg = format!(
            "{} differential failure(s); see the table and details above",
            failures.len()
        );
        if debian_failed {
            msg.push_str(
                "\nA test FAILS ON DEBIAN's libevent: that test is wrong (it asserts \
                 something libevent 2.1.12 does not do), fix the test, not the library",
            );
        }
        panic!("{msg}");
    }
}

#[test]
fn known_gaps_and_valgrind_skips_name_real_tests() {
    let cfg = Config::from_env();
    let dir = cfg.c_dir();
    for (name, cols, why) in KNOWN_GAPS {
        assert!(
            dir.join(format!("{name}.c")).is_file(),
            "KNOWN_GAPS names {name}, which is not a test in {}",
            dir.display()
        );
        assert!(!cols.is_empty(), "KNOWN_GAPS entry {name} lists no column");
        for c in *cols {
            assert!(
                ALL_OURS.contains(c),
                "KNOWN_GAPS entry {name}: unknown column {c:?}"
            );
        }
        assert!(!why.is_empty(), "KNOWN_GAPS entry {name} gives no reason");
    }
    for (name, _) in VALGRIND_SKIP {
        assert!(
            dir.join(format!("{name}.c")).is_file(),
            "VALGRIND_SKIP names {name}, which is not a test in {}",
            dir.display()
        );
    }
}

// ---------------------------------------------------------------------------
// ABI: binaries built against Debian run on ours

#[test]
fn debian_headers_binary_runs_on_ours() {
    let cfg = Config::from_env();
    if !cfg.wants(Lib::Ours) {
        println!("skipped: OXEVENT_DIFF_LIBS excludes ours");
        return;
    }
    let work = WorkDir::new("abi", cfg.keep);
    let prefix = make_prefix(&work.path, &locate_cdylib());
    let debian_dir = PathBuf::from(DEBIAN_LIBDIR);
    let mut failures = Vec::new();
    let mut ran = 0;
    for name in ABI_PROGRAMS {
        let src = cfg.c_dir().join(format!("{name}.c"));
        if !src.is_file() {
            failures.push(format!("{}: missing", src.display()));
            continue;
        }
        let obj = work.path.join(format!("{name}.o"));
        let bin = work.path.join(format!("{name}.debian-abi"));
        if let Err(e) = compile_object(&cfg, &src, Path::new("/usr/include"), &obj) {
            failures.push(format!(
                "{name}: compile with Debian's headers failed:\n{e}"
            ));
            continue;
        }
        if let Err(e) = link(&obj, &debian_dir, &bin) {
            failures.push(format!("{name}: link with Debian's library failed:\n{e}"));
            continue;
        }
        if let Err(e) = loads_only_from(&bin, &prefix) {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        for backend in BACKENDS {
            let stem = work.path.join(format!("{name}.{}", backend.name()));
            let res = run_with_timeout(program_command(&bin, &prefix, backend), RUN_TIMEOUT, &stem);
            ran += 1;
            let status = res.outcome.cell();
            println!("{name:24} ours/{:8} {status}", backend.name());
            if !res.outcome.is_ok() {
                failures.push(format!(
                    "== {name} (Debian-built) on ours/{}: {:?}\n--- stdout\n{}--- stderr\n{}",
                    backend.name(),
                    res.outcome,
                    res.stdout,
                    res.stderr
                ));
            }
        }
    }
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} ABI failure(s) ({ran} runs); see above",
        failures.len()
    );
}

// ---------------------------------------------------------------------------
// Exported symbols against the checklist

fn defined_dynamic_symbols(lib: &Path) -> BTreeSet<String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run nm on {}: {e}", lib.display()));
    assert!(
        out.status.success(),
        "nm -D --defined-only {} failed: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|sym| sym.split('@').next().unwrap_or(sym).to_string())
        .collect()
}

#[test]
fn exported_symbols_cover_checklist() {
    let cfg = Config::from_env();
    // With OXEVENT_DIFF_LIBS=debian this checks Debian's libraries instead,
    // which proves the checker itself.
    let libs: Vec<PathBuf> = if cfg.wants(Lib::Ours) {
        vec![locate_cdylib()]
    } else {
        vec![
            Path::new(DEBIAN_LIBDIR).join("libevent-2.1.so.7"),
            Path::new(DEBIAN_LIBDIR).join("libevent_pthreads-2.1.so.7"),
        ]
    };
    let mut exported = BTreeSet::new();
    for lib in &libs {
        exported.extend(defined_dynamic_symbols(lib));
    }

    let tsv_path = abi_dir(&cfg).join("public-api-by-header.tsv");
    let tsv = fs::read_to_string(&tsv_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", tsv_path.display()));
    // header -> (total, exported, missing names), in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut per_header: BTreeMap<String, (usize, usize, Vec<String>)> = BTreeMap::new();
    let mut total = 0;
    for line in tsv.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 || fields[2].is_empty() {
            continue;
        }
        let (header, func) = (fields[0].to_string(), fields[2].to_string());
        total += 1;
        if !per_header.contains_key(&header) {
            order.push(header.clone());
        }
        let entry = per_header.entry(header).or_default();
        entry.0 += 1;
        if exported.contains(&func) {
            entry.1 += 1;
        } else {
            entry.2.push(func);
        }
    }
    let shown: Vec<String> = libs.iter().map(|l| l.display().to_string()).collect();
    println!(
        "exported-symbol coverage of {total} public functions in {}:",
        shown.join(" + ")
    );
    let mut covered = 0;
    for h in &order {
        let (n, ok, _) = &per_header[h];
        covered += ok;
        let required = if REQUIRED_HEADERS.contains(&h.as_str()) {
            "  (required)"
        } else {
            ""
        };
        println!("  {h:22} {ok:>3}/{n:<3}{required}");
    }
    println!("  {:22} {covered:>3}/{total}", "total");

    let mut missing = Vec::new();
    for h in REQUIRED_HEADERS {
        match per_header.get(h) {
            Some((_, _, names)) => missing.extend(names.iter().map(|n| format!("{h}: {n}"))),
            None => missing.push(format!("{h}: no entries in {}", tsv_path.display())),
        }
    }
    let pthreads = "thread.h: evthread_use_pthreads".to_string();
    if !exported.contains("evthread_use_pthreads") && !missing.contains(&pthreads) {
        missing.push(pthreads);
    }
    assert!(
        missing.is_empty(),
        "{} required function(s) not exported:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// Our headers: each one alone compiles cleanly as C99 and as C++

#[test]
fn each_header_compiles_alone_as_pedantic_c99_and_cxx() {
    let cfg = Config::from_env();
    let include = cfg.crate_dir.join("include");
    let work = WorkDir::new("headers", cfg.keep);
    let mut headers = Vec::new();
    for dir in [include.clone(), include.join("event2")] {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "h") {
                let rel = path
                    .strip_prefix(&include)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                headers.push(rel);
            }
        }
    }
    headers.sort();
    assert!(
        headers.iter().any(|h| h == "event2/buffer.h"),
        "no event2/buffer.h among {headers:?}"
    );
    let mut failures = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        for (compiler, ext, std) in [("gcc", "c", "-std=c99"), ("g++", "cc", "-std=c++11")] {
            let src = work.path.join(format!("h{i}.{ext}"));
            fs::write(
                &src,
                format!("#include <{h}>\nint main(void) {{ return 0; }}\n"),
            )
            .expect("write header test");
            let mut cmd = Command::new(compiler);
            cmd.args([
                std,
                "-Wall",
                "-Wextra",
                "-pedantic",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg("-I")
            .arg(&include)
            .arg(&src);
            if let Err(e) = run_tool(cmd) {
                failures.push(format!("{h} ({compiler}): {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} header check(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
