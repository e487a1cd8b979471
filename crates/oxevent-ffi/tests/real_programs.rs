//! Unmodified Debian binaries linked against libevent run on oxevent through
//! `LD_LIBRARY_PATH` (GUIDE §5): the test checks what the program does, and
//! that the library it mapped is ours.
//!
//! memcached uses libevent's core event API from several threads (one base
//! per worker, event_set/event_base_set/event_add, notify pipes); `.ci/run`
//! installs it. Without the binary the test fails with that message.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn our_prefix(tag: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let so = profile.join("liboxevent_ffi.so");
    assert!(
        so.exists(),
        "{} is built by cargo before this test",
        so.display()
    );
    let dir = std::env::temp_dir().join(format!("oxevent-real-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in [
        "libevent-2.1.so.7",
        "libevent_core-2.1.so.7",
        "libevent_pthreads-2.1.so.7",
    ] {
        std::os::unix::fs::symlink(&so, dir.join(name)).expect("symlink");
    }
    dir
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn exchange(sock: &Path, request: &[u8], until: &str) -> String {
    let mut s = UnixStream::connect(sock).expect("connect to memcached");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
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

#[test]
fn memcached_serves_on_oxevent() {
    let bin = Path::new("/usr/bin/memcached");
    assert!(
        bin.exists(),
        "memcached is not installed (apt-get install memcached; .ci/run does)"
    );
    let prefix = our_prefix("memcached");
    let sock = prefix.join("mc.sock");
    let child = Command::new(bin)
        .args(["-u", "root", "-U", "0", "-t", "4", "-s"])
        .arg(&sock)
        .env("LD_LIBRARY_PATH", &prefix)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start memcached");
    let child = Killed(child);
    let start = Instant::now();
    while !sock.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "memcached did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", child.0.id())).expect("maps");
    assert!(
        maps.contains(prefix.to_str().unwrap()) || maps.contains("liboxevent_ffi.so"),
        "memcached did not map our library"
    );
    assert!(
        !maps.contains("/x86_64-linux-gnu/libevent"),
        "memcached mapped Debian's libevent instead of ours"
    );

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
    drop(child);
    let _ = std::fs::remove_dir_all(&prefix);
}
