//! Unmodified Debian binaries linked against libevent run on oxevent through
//! `LD_LIBRARY_PATH` (GUIDE §5): the test checks what the program does, and
//! that the library it mapped is ours.
//!
//! - memcached uses libevent's core event API from several threads (one base
//!   per worker, event_set/event_base_set/event_add, notify pipes), driven
//!   by hand and by libmemcached-tools' `memccapable`, `memcslap` and
//!   `memcaslap` (the last links libevent too and runs on ours as well).
//! - tmux uses bufferevents, evbuffers, signal events and timers in its
//!   server and its clients (attached, control mode, command clients).
//!
//! `OXEVENT_REAL_LIB=debian` runs the same programs on Debian's libevent
//! (no `LD_LIBRARY_PATH`, and the mapping check looks for Debian's file):
//! that validates a test before oxevent can run the program. The default
//! (unset or `ours`) is our library. `.ci/run` installs the programs
//! (memcached, libmemcached-tools, tmux, bsdutils for `script`); a missing
//! binary fails with the package to install.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// How long one step (a command, a condition polled for) may take.
const STEP: Duration = Duration::from_secs(10);

/// Which libevent the programs run on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lib {
    Ours,
    Debian,
}

fn lib_under_test() -> Lib {
    match std::env::var("OXEVENT_REAL_LIB").as_deref() {
        Err(_) | Ok("") | Ok("ours") => Lib::Ours,
        Ok("debian") => Lib::Debian,
        Ok(other) => panic!("OXEVENT_REAL_LIB={other}: expected `ours` (default) or `debian`"),
    }
}

/// A temp dir holding libevent's sonames as symlinks to our cdylib: the
/// `LD_LIBRARY_PATH` the programs run with.
fn our_prefix(tag: &str) -> PathBuf {
    let so = common::locate_cdylib();
    let dir = fresh_temp_dir(tag);
    for name in [
        "libevent-2.1.so.7",
        "libevent_core-2.1.so.7",
        "libevent_pthreads-2.1.so.7",
    ] {
        std::os::unix::fs::symlink(&so, dir.join(name)).expect("symlink");
    }
    dir
}

fn fresh_temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxevent-real-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// One test's temp dir and the library its programs load.
#[derive(Debug)]
struct Setup {
    lib: Lib,
    dir: PathBuf,
}

impl Setup {
    fn new(tag: &str) -> Setup {
        let lib = lib_under_test();
        let dir = match lib {
            Lib::Ours => our_prefix(tag),
            Lib::Debian => fresh_temp_dir(tag),
        };
        Setup { lib, dir }
    }

    /// Points `cmd` at the library under test.
    fn env(&self, cmd: &mut Command) {
        match self.lib {
            Lib::Ours => cmd.env("LD_LIBRARY_PATH", &self.dir),
            Lib::Debian => cmd.env_remove("LD_LIBRARY_PATH"),
        };
    }

    /// Asserts that process `pid` (`who`) mapped the library under test in
    /// place of `soname`, and no other libevent.
    fn assert_mapped(&self, pid: u32, who: &str, soname: &str) {
        let files = mapped_files(pid);
        let base = |f: &String| f.rsplit('/').next().unwrap_or("").to_owned();
        match self.lib {
            Lib::Ours => {
                let ours = std::fs::canonicalize(common::locate_cdylib()).expect("canonical .so");
                let ours = ours.to_str().expect("utf-8 path");
                assert!(
                    files.iter().any(|f| f == ours),
                    "{who} (pid {pid}) did not map our library {ours}: {files:#?}"
                );
                let debian: Vec<_> = files
                    .iter()
                    .filter(|f| base(f).starts_with("libevent"))
                    .collect();
                assert!(
                    debian.is_empty(),
                    "{who} (pid {pid}) mapped another libevent besides ours: {debian:?}"
                );
            }
            Lib::Debian => {
                assert!(
                    files.iter().any(|f| base(f).starts_with(soname)),
                    "{who} (pid {pid}) did not map Debian's {soname}: {files:#?}"
                );
                assert!(
                    !files.iter().any(|f| base(f) == "liboxevent_ffi.so"),
                    "{who} (pid {pid}) mapped our library under OXEVENT_REAL_LIB=debian"
                );
            }
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The files process `pid` has mapped.
fn mapped_files(pid: u32) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/maps: {e}"));
    let mut files: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|f| f.starts_with('/'))
        .map(str::to_owned)
        .collect();
    files.dedup();
    files
}

fn require(bin: &str, package: &str) {
    assert!(
        Path::new(bin).exists(),
        "{bin} is not installed: apt-get install {package} (.ci/run installs it)"
    );
}

/// Polls `f` every 20 ms until it gives `Ok` or `limit` passes; the panic
/// names `what` and the last `Err` seen.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match f() {
            Ok(v) => return v,
            Err(last) => assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting for {what}; last seen:\n{last}"
            ),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pipe_reader(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// A child whose stdout and stderr are drained by threads (it never blocks
/// on a full pipe); killed and reaped on drop.
struct Captured {
    what: String,
    child: Child,
    out_rx: Receiver<Vec<u8>>,
    err_rx: Receiver<Vec<u8>>,
    out: Vec<u8>,
    err: Vec<u8>,
}

impl Captured {
    /// Starts `cmd`; its stdin is a pipe (`child.stdin`) when `stdin_pipe`,
    /// else /dev/null.
    fn spawn(cmd: &mut Command, what: &str, stdin_pipe: bool) -> Captured {
        cmd.stdin(if stdin_pipe {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
        let out_rx = pipe_reader(child.stdout.take().expect("stdout"));
        let err_rx = pipe_reader(child.stderr.take().expect("stderr"));
        Captured {
            what: what.to_owned(),
            child,
            out_rx,
            err_rx,
            out: Vec::new(),
            err: Vec::new(),
        }
    }

    /// Collects what has arrived so far; true when both pipes are closed.
    fn pump(&mut self) -> bool {
        let mut closed = 0;
        for (rx, buf) in [(&self.out_rx, &mut self.out), (&self.err_rx, &mut self.err)] {
            loop {
                match rx.try_recv() {
                    Ok(chunk) => buf.extend_from_slice(&chunk),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        closed += 1;
                        break;
                    }
                }
            }
        }
        closed == 2
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err).into_owned()
    }

    /// Waits until `f` finds what it wants in the stdout seen so far.
    fn wait_stdout<T>(&mut self, what: &str, mut f: impl FnMut(&str) -> Option<T>) -> T {
        let who = self.what.clone();
        wait_for(&format!("{what} from {who}"), STEP, || {
            self.pump();
            let out = self.stdout();
            f(&out).ok_or_else(|| format!("stdout: {out}\nstderr: {}", self.stderr()))
        })
    }

    /// Waits (at most `limit`) for the child to exit and its pipes to close.
    fn finish(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        let status = loop {
            self.pump();
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.pump();
                panic!(
                    "{} did not exit within {limit:?}; stdout: {}\nstderr: {}",
                    self.what,
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // A descendant that inherited the pipes could hold them open.
        for (rx, buf) in [(&self.out_rx, &mut self.out), (&self.err_rx, &mut self.err)] {
            loop {
                match rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(chunk) => buf.extend_from_slice(&chunk),
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {
                        panic!("{} exited but something holds its output open", self.what)
                    }
                }
            }
        }
        status
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Gone, or a zombie nobody reaps (the daemonized tmux server's parent is
/// the container's init, which may not reap).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn exchange_on<S: Read + Write>(mut s: S, request: &[u8], until: &str) -> String {
    s.write_all(request).expect("send");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(until) {
        let n = s.read(&mut buf).expect("memcached answers within 5 s");
        assert!(
            n > 0,
            "memcached closed the connection: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn exchange(sock: &Path, request: &[u8], until: &str) -> String {
    let s = UnixStream::connect(sock).expect("connect to memcached");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    exchange_on(s, request, until)
}

fn tcp_exchange(port: u16, request: &[u8], until: &str) -> String {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to memcached");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    exchange_on(s, request, until)
}

/// The value of `STAT <name> <value>` in a `stats` answer.
fn stat(stats: &str, name: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| l.strip_prefix(&format!("STAT {name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no numeric STAT {name} in {stats}"))
}

#[test]
fn memcached_serves_on_oxevent() {
    require("/usr/bin/memcached", "memcached");
    let setup = Setup::new("memcached");
    let sock = setup.dir.join("mc.sock");
    let mut cmd = Command::new("/usr/bin/memcached");
    cmd.args(["-u", "root", "-U", "0", "-t", "4", "-s"])
        .arg(&sock)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    setup.env(&mut cmd);
    let child = Killed(cmd.spawn().expect("start memcached"));
    let start = Instant::now();
    while !sock.exists() {
        assert!(
            start.elapsed() < STEP,
            "memcached did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    setup.assert_mapped(child.0.id(), "memcached", "libevent-2.1.so.7");

    let r = exchange(&sock, b"set k 0 0 5\r\nhello\r\nget k\r\n", "END\r\n");
    assert_eq!(r, "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n");
    let r = exchange(&sock, b"set n 0 0 1\r\n7\r\nincr n 5\r\n", "12\r\n");
    assert_eq!(r, "STORED\r\n12\r\n");
    // Several clients at once, each served by one of the worker threads.
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let req = format!("set c{i} 0 0 2\r\n{i:02}\r\nget c{i}\r\n");
                let r = exchange(&sock, req.as_bytes(), "END\r\n");
                assert_eq!(r, format!("STORED\r\nVALUE c{i} 0 2\r\n{i:02}\r\nEND\r\n"));
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let stats = exchange(&sock, b"stats\r\n", "END\r\n");
    assert!(stats.contains("STAT libevent 2.1.12-stable"), "{stats}");
}

/// memcached with 4 worker threads listening on an ephemeral TCP port of
/// 127.0.0.1 (UDP off), on the library under test.
struct TcpMemcached {
    child: Killed,
    port: u16,
}

impl TcpMemcached {
    fn start(setup: &Setup) -> TcpMemcached {
        require("/usr/bin/memcached", "memcached");
        let mut failures = Vec::new();
        for attempt in 0..5 {
            // A free port now; another process may take it before memcached
            // binds, and then memcached exits and we try another.
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("ephemeral port")
                .port();
            let errlog = setup.dir.join(format!("memcached-{attempt}.err"));
            let mut cmd = Command::new("/usr/bin/memcached");
            cmd.args(["-u", "root", "-U", "0", "-t", "4", "-l", "127.0.0.1", "-p"])
                .arg(port.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&errlog).expect("log file"));
            setup.env(&mut cmd);
            let mut child = Killed(cmd.spawn().expect("start memcached"));
            let pid = child.0.id();
            let deadline = Instant::now() + STEP;
            let up = loop {
                if let Some(status) = child.0.try_wait().expect("try_wait") {
                    let log = std::fs::read_to_string(&errlog).unwrap_or_default();
                    failures.push(format!("port {port}: exited {status}: {log}"));
                    break false;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let stats = tcp_exchange(port, b"stats\r\n", "END\r\n");
                    if stats.contains(&format!("STAT pid {pid}\r\n")) {
                        break true;
                    }
                    failures.push(format!("port {port}: someone else answered: {stats}"));
                    break false;
                }
                assert!(
                    Instant::now() < deadline,
                    "memcached (pid {pid}) did not listen on 127.0.0.1:{port} within {STEP:?}"
                );
                std::thread::sleep(Duration::from_millis(20));
            };
            if up {
                setup.assert_mapped(pid, "memcached", "libevent-2.1.so.7");
                return TcpMemcached { child, port };
            }
        }
        panic!("memcached could not listen on an ephemeral port: {failures:#?}");
    }

    fn stats(&self) -> String {
        tcp_exchange(self.port, b"stats\r\n", "END\r\n")
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

#[test]
fn memcached_tcp_stats_report_libevent_2_1_12_stable_and_4_threads_on_oxevent() {
    let setup = Setup::new("mc-stats");
    let mc = TcpMemcached::start(&setup);
    let r = tcp_exchange(mc.port, b"set k 0 0 2\r\nhi\r\nget k\r\n", "END\r\n");
    assert_eq!(r, "STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n");
    let stats = mc.stats();
    assert!(stats.contains("STAT libevent 2.1.12-stable\r\n"), "{stats}");
    assert_eq!(stat(&stats, "threads"), 4, "{stats}");
    assert_eq!(stat(&stats, "pid"), u64::from(mc.child.0.id()));
}

#[test]
fn memccapable_passes_every_ascii_and_binary_test_against_memcached_on_oxevent() {
    require("/usr/bin/memccapable", "libmemcached-tools");
    let setup = Setup::new("mc-capable");
    let mc = TcpMemcached::start(&setup);
    let mut cmd = Command::new("/usr/bin/memccapable");
    cmd.args(["-h", "127.0.0.1", "-p", &mc.port.to_string(), "-t", "5"]);
    let mut run = Captured::spawn(&mut cmd, "memccapable", false);
    let status = run.finish(Duration::from_secs(90));
    let (out, err) = (run.stdout(), run.stderr());
    assert!(status.success(), "memccapable: {status}\n{out}\n{err}");
    let failed: Vec<_> = out
        .lines()
        .chain(err.lines())
        .filter(|l| l.to_ascii_lowercase().contains("fail"))
        .collect();
    assert!(
        failed.is_empty(),
        "memccapable failures: {failed:#?}\n{out}"
    );
    let passed = out.lines().filter(|l| l.ends_with("[pass]")).count();
    // 1.1.4 runs 27 ascii tests and 27 binary ones; none may be skipped.
    assert!(
        passed >= 54 && !out.contains("[skip]"),
        "{passed} passed:\n{out}"
    );
    assert!(out.contains("All tests passed"), "{out}");
}

#[test]
fn memcslap_set_get_mget_complete_with_exact_server_counts_on_oxevent() {
    require("/usr/bin/memcslap", "libmemcached-tools");
    let setup = Setup::new("mc-slap");
    let mc = TcpMemcached::start(&setup);
    for test in ["set", "get", "mget"] {
        let before = mc.stats();
        let mut cmd = Command::new("/usr/bin/memcslap");
        cmd.arg(format!("--servers={}", mc.server()))
            .arg(format!("--test={test}"))
            .args(["--concurrency=4", "--execute-number=2000"]);
        let mut run = Captured::spawn(&mut cmd, &format!("memcslap --test={test}"), false);
        let status = run.finish(Duration::from_secs(60));
        let (out, err) = (run.stdout(), run.stderr());
        // memcslap exits 0 even when every request failed ("0 keys"), so
        // the counts are what tell.
        assert!(status.success(), "memcslap {test}: {status}\n{out}\n{err}");
        assert!(
            err.trim().is_empty(),
            "memcslap {test} stderr: {err}\n{out}"
        );
        let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains(&format!("Time to {test} 8000 keys by 4 threads:")),
            "memcslap {test}:\n{out}"
        );
        let after = mc.stats();
        let delta = |name| stat(&after, name) - stat(&before, name);
        match test {
            "set" => assert_eq!(delta("cmd_set"), 8000, "{after}"),
            // get and mget first load 2000 keys, then every read hits.
            _ => {
                assert_eq!(delta("cmd_set"), 2000, "{after}");
                assert_eq!(delta("get_hits"), 8000, "{after}");
                assert_eq!(delta("get_misses"), 0, "{after}");
            }
        }
    }
}

#[test]
fn memcaslap_on_oxevent_verifies_memcached_on_oxevent_for_10s_without_failures() {
    require("/usr/bin/memcaslap", "libmemcached-tools");
    let setup = Setup::new("mc-aslap");
    let mc = TcpMemcached::start(&setup);
    let mut cmd = Command::new("/usr/bin/memcaslap");
    cmd.arg(format!("--servers={}", mc.server())).args([
        "--threads=2",
        "--concurrency=16",
        "--time=10s",
        "--verify=0.1",
    ]);
    setup.env(&mut cmd);
    let mut run = Captured::spawn(&mut cmd, "memcaslap", false);
    // memcaslap links libevent-2.1.so.7 itself: it runs on ours too.
    let pid = run.child.id();
    wait_for("memcaslap to load a libevent", STEP, || {
        let files = mapped_files(pid);
        let base = |f: &String| f.rsplit('/').next().unwrap_or("").to_owned();
        if files
            .iter()
            .any(|f| base(f).starts_with("libevent") || base(f) == "liboxevent_ffi.so")
        {
            Ok(())
        } else {
            Err(format!("{files:#?}"))
        }
    });
    setup.assert_mapped(pid, "memcaslap", "libevent-2.1.so.7");
    let status = run.finish(Duration::from_secs(60));
    let (out, err) = (run.stdout(), run.stderr());
    assert!(status.success(), "memcaslap: {status}\n{out}\n{err}");
    let field = |name: &str| -> u64 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{name}:` in memcaslap's output:\n{out}\n{err}"))
    };
    assert_eq!(field("verify_failed"), 0, "{out}");
    let (gets, sets) = (field("cmd_get"), field("cmd_set"));
    assert!(gets > 1000 && sets > 100, "little traffic:\n{out}");
    assert!(out.contains("Run time: 10"), "{out}");
    // The server saw that traffic: memcaslap counts what it sent, up to the
    // requests still in flight when its time ran out.
    let stats = mc.stats();
    assert!(stat(&stats, "cmd_get") + 1000 >= gets, "{stats}\n{out}");
    assert!(stat(&stats, "cmd_set") + 1000 >= sets, "{stats}\n{out}");
}

/// A tmux server on a private socket in the test's temp dir, with a config
/// that starts a plain bash in every pane. Drop kills the server (and its
/// pid, if it outlives kill-server) even when the test failed.
struct Tmux {
    setup: Setup,
    sock: PathBuf,
    conf: PathBuf,
    server: Option<u32>,
}

impl Tmux {
    fn new(tag: &str) -> Tmux {
        require("/usr/bin/tmux", "tmux");
        let setup = Setup::new(tag);
        let sock = setup.dir.join("sock");
        let conf = setup.dir.join("tmux.conf");
        std::fs::write(
            &conf,
            "set -g default-command 'exec /bin/bash --norc --noprofile'\n",
        )
        .expect("tmux.conf");
        Tmux {
            setup,
            sock,
            conf,
            server: None,
        }
    }

    /// The environment of every process of the test: private dirs, no outer
    /// tmux, a known terminal and shell, the library under test.
    fn env(&self, cmd: &mut Command) {
        cmd.env_remove("TMUX")
            .env("HOME", &self.setup.dir)
            .env("TMUX_TMPDIR", &self.setup.dir)
            .env("TERM", "xterm")
            .env("SHELL", "/bin/sh")
            .current_dir(&self.setup.dir);
        self.setup.env(cmd);
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("/usr/bin/tmux");
        cmd.arg("-S").arg(&self.sock).arg("-f").arg(&self.conf);
        self.env(&mut cmd);
        cmd
    }

    fn try_run(&self, args: &[&str]) -> (ExitStatus, String, String) {
        let mut cmd = self.command();
        cmd.args(args);
        let mut run = Captured::spawn(&mut cmd, &format!("tmux {}", args.join(" ")), false);
        let status = run.finish(STEP);
        (status, run.stdout(), run.stderr())
    }

    fn run(&self, args: &[&str]) -> String {
        let (status, out, err) = self.try_run(args);
        assert!(
            status.success(),
            "tmux {}: {status}\nstdout: {out}\nstderr: {err}",
            args.join(" ")
        );
        out
    }

    /// `list-panes` of the session as `(id, width, height)`.
    fn panes(&self) -> Vec<(String, u32, u32)> {
        self.run(&[
            "list-panes",
            "-t",
            "oxt",
            "-F",
            "#{pane_id} #{pane_width}x#{pane_height}",
        ])
        .lines()
        .map(|l| {
            let (id, size) = l.split_once(' ').expect("id size");
            let (w, h) = size.split_once('x').expect("WxH");
            (id.to_owned(), w.parse().unwrap(), h.parse().unwrap())
        })
        .collect()
    }

    fn wait_pane_shows(&self, pane: &str, line: &str) {
        wait_for(&format!("pane {pane} to show `{line}`"), STEP, || {
            let screen = self.run(&["capture-pane", "-p", "-t", pane]);
            if screen.lines().any(|l| l.trim_end() == line) {
                Ok(())
            } else {
                Err(screen)
            }
        });
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // No panics here (the test may be unwinding already): bounded
        // kill-server, then SIGKILL for a server that is still there.
        let mut cmd = self.command();
        cmd.arg("kill-server")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Ok(child) = cmd.spawn() {
            let mut child = Killed(child);
            let deadline = Instant::now() + Duration::from_secs(3);
            while matches!(child.0.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if let Some(pid) = self.server {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.starts_with("tmux") && !process_gone(pid) {
                // SAFETY: kill(2) on a pid we checked is still our tmux
                // server; no memory is involved.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
            }
        }
    }
}

/// The body of the first complete `%begin`…`%end` (or `%error`) block of a
/// control-mode transcript that contains `needle`, with its terminator.
fn control_block(transcript: &str, needle: &str) -> Option<(String, Vec<String>)> {
    let mut open: Option<(String, Vec<String>)> = None;
    for line in transcript.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(tag) = line.strip_prefix("%begin ") {
            open = Some((tag.to_owned(), Vec::new()));
            continue;
        }
        if let Some((tag, body)) = open.as_mut() {
            let end = format!("%end {tag}");
            let error = format!("%error {tag}");
            if line == end || line == error {
                if body.iter().any(|l| l.contains(needle)) {
                    return Some((line.to_owned(), std::mem::take(body)));
                }
                open = None;
            } else {
                body.push(line.to_owned());
            }
        }
    }
    None
}

#[test]
fn tmux_session_panes_run_shell_pipe_pane_control_mode_and_attach_on_oxevent() {
    require("/usr/bin/script", "bsdutils");
    let mut tmux = Tmux::new("tmux");
    let started = Instant::now();

    // A detached session of a fixed size; the server maps the library.
    tmux.run(&["new-session", "-d", "-s", "oxt", "-x", "80", "-y", "24"]);
    let pid: u32 = tmux
        .run(&["display", "-p", "-t", "oxt", "#{pid}"])
        .trim()
        .parse()
        .expect("server pid");
    tmux.server = Some(pid);
    tmux.setup
        .assert_mapped(pid, "the tmux server", "libevent_core-2.1.so.7");

    // Keys reach the shell and its output the pane.
    let panes = tmux.panes();
    assert_eq!(panes.len(), 1, "{panes:?}");
    assert_eq!((panes[0].1, panes[0].2), (80, 24), "{panes:?}");
    let top = panes[0].0.clone();
    tmux.run(&["send-keys", "-t", &top, "echo hello-$((6*7))", "Enter"]);
    tmux.wait_pane_shows(&top, "hello-42");

    // split-window: two panes sharing the 24 rows (one for the border).
    tmux.run(&["split-window", "-t", "oxt"]);
    let panes = tmux.panes();
    assert_eq!(panes.len(), 2, "{panes:?}");
    assert!(panes.iter().all(|p| p.1 == 80), "{panes:?}");
    assert_eq!(panes[0].2 + panes[1].2 + 1, 24, "{panes:?}");
    assert_eq!(panes[0].0, top);
    let bottom = panes[1].0.clone();

    // resize-pane: the top pane gets 5 rows, the bottom one the rest.
    assert_ne!(panes[0].2, 5);
    tmux.run(&["resize-pane", "-t", &top, "-y", "5"]);
    let resized = tmux.panes();
    assert_eq!(
        resized.iter().map(|p| p.2).collect::<Vec<_>>(),
        [5, 24 - 5 - 1],
        "{resized:?}"
    );

    // pipe-pane -o: the pane's later output goes to a command's stdin.
    let piped = tmux.setup.dir.join("piped.txt");
    let pipe_cmd = format!("cat >> '{}'", piped.display());
    tmux.run(&["pipe-pane", "-o", "-t", &bottom, &pipe_cmd]);
    assert_eq!(
        tmux.run(&["display", "-p", "-t", &bottom, "#{pane_pipe}"])
            .trim(),
        "1"
    );
    tmux.run(&["send-keys", "-t", &bottom, "echo piped-$((2*21))", "Enter"]);
    tmux.wait_pane_shows(&bottom, "piped-42");
    wait_for("pipe-pane output in the file", STEP, || {
        let text = std::fs::read_to_string(&piped).unwrap_or_default();
        // The raw terminal stream: the echo's output amid escape sequences
        // (the typed command line reads `piped-$((2*21))`).
        if text.contains("piped-42") {
            Ok(())
        } else {
            Err(text)
        }
    });
    tmux.run(&["pipe-pane", "-t", &bottom]);

    // run-shell: the job's output is read back (into the pane's view mode,
    // tmux 3.3's place for it when no client prints it).
    tmux.run(&["run-shell", "-t", &bottom, "echo from-run-shell"]);
    let view = tmux.run(&[
        "display",
        "-p",
        "-t",
        &bottom,
        "#{pane_mode}|#{copy_cursor_line}",
    ]);
    assert!(
        view.starts_with("view-mode|from-run-shell"),
        "run-shell output: {view}"
    );
    tmux.run(&["send-keys", "-t", &bottom, "-X", "cancel"]);
    assert_eq!(
        tmux.run(&["display", "-p", "-t", &bottom, "#{pane_mode}"])
            .trim(),
        ""
    );

    // Control mode through a pipe: a command's output in a %begin/%end
    // block, then detach.
    let mut cmd = tmux.command();
    cmd.args(["-C", "attach", "-t", "oxt"]);
    let mut ctl = Captured::spawn(&mut cmd, "tmux -C attach", true);
    let mut ctl_in = ctl.child.stdin.take().expect("stdin");
    ctl_in
        .write_all(b"list-windows\n")
        .expect("send list-windows");
    let (end, body) = ctl.wait_stdout("a %begin/%end block listing the window", |out| {
        control_block(out, "(2 panes)")
    });
    assert!(end.starts_with("%end "), "{end}: {body:?}");
    assert_eq!(body.len(), 1, "{body:?}");
    assert!(body[0].starts_with("0: "), "{body:?}");
    ctl_in.write_all(b"detach-client\n").expect("send detach");
    let status = ctl.finish(STEP);
    drop(ctl_in);
    assert!(status.success(), "control client: {status}");
    assert!(
        ctl.stdout().lines().any(|l| l == "%exit"),
        "{}",
        ctl.stdout()
    );

    // An attached client on a pseudo-terminal (script), kept attached by an
    // open stdin: it draws the session and then what the pane prints.
    let attach = format!(
        "exec /usr/bin/tmux -S '{}' -f '{}' attach -t oxt",
        tmux.sock.display(),
        tmux.conf.display()
    );
    let mut cmd = Command::new("/usr/bin/script");
    cmd.args(["-qfec", &attach, "/dev/null"]);
    tmux.env(&mut cmd);
    let mut client = Captured::spawn(&mut cmd, "script -c 'tmux attach'", true);
    let client_in = client.child.stdin.take();
    let client_pid: u32 = wait_for("the attached client in list-clients", STEP, || {
        let list = tmux.run(&["list-clients", "-F", "#{client_pid}"]);
        match list.lines().collect::<Vec<_>>()[..] {
            [pid] => Ok(pid.parse().expect("client pid")),
            _ => Err(list),
        }
    });
    tmux.setup.assert_mapped(
        client_pid,
        "the attached tmux client",
        "libevent_core-2.1.so.7",
    );
    client.wait_stdout("the status line", |out| out.contains("[oxt]").then_some(()));
    tmux.run(&[
        "send-keys",
        "-t",
        &bottom,
        "echo attached-$((40+2))",
        "Enter",
    ]);
    client.wait_stdout("the pane's new output", |out| {
        out.contains("attached-42").then_some(())
    });
    tmux.run(&["detach-client", "-s", "oxt"]);
    let status = client.finish(STEP);
    drop(client_in);
    assert!(status.success(), "attached client: {status}");
    assert!(
        client.stdout().contains("[detached (from session oxt)]"),
        "{}",
        client.stdout()
    );

    // kill-server: the server exits and nothing answers on the socket.
    tmux.run(&["kill-server"]);
    wait_for("the tmux server to exit", STEP, || {
        if process_gone(pid) {
            Ok(())
        } else {
            Err(format!("pid {pid} still running"))
        }
    });
    assert!(
        UnixStream::connect(&tmux.sock).is_err(),
        "the socket still accepts connections"
    );
    let (status, _, err) = tmux.try_run(&["list-sessions"]);
    assert!(!status.success(), "a server still answers: {err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}
