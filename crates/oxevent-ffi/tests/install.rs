//! `scripts/install.sh` lays out a prefix that C builds use as they would
//! use Debian's libevent: pkg-config finds it, `-levent -levent_pthreads`
//! links, every libevent name resolves to one loaded copy, and the static
//! archive links too.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn profile_dir() -> PathBuf {
    // target/<profile>/deps/install-HASH -> target/<profile>
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

const PROGRAM: &str = r#"
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <string.h>
static void cb(evutil_socket_t fd, short w, void *a) { (void)fd; (void)w; *(int *)a = 1; }
int main(void) {
    int fired = 0;
    struct timeval tv = {0, 1000};
    struct event_base *b;
    struct event *e;
    if (evthread_use_pthreads() != 0) return 2;
    b = event_base_new();
    e = evtimer_new(b, cb, &fired);
    evtimer_add(e, &tv);
    event_base_dispatch(b);
    printf("%s %d\n", event_get_version(), fired);
    event_free(e);
    event_base_free(b);
    return !(fired && strcmp(event_get_version(), "2.1.12-stable") == 0);
}
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn install_script_lays_out_a_usable_prefix() {
    let profile = profile_dir();
    let flag = if profile.ends_with("release") {
        None
    } else {
        Some("--debug")
    };
    assert!(
        profile.join("liboxevent_ffi.so").exists() && profile.join("liboxevent_ffi.a").exists(),
        "cargo builds the cdylib and staticlib before this test"
    );
    let dir = std::env::temp_dir().join(format!("oxevent-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/install.sh"))
        .arg(&dir)
        .arg("--no-build");
    if let Some(f) = flag {
        cmd.arg(f);
    }
    run(&mut cmd);
    let lib = dir.join("lib");
    for name in ["libevent", "libevent_core", "libevent_pthreads"] {
        for f in [
            format!("{name}-2.1.so.7"),
            format!("{name}.so"),
            format!("{name}.a"),
        ] {
            assert!(lib.join(&f).exists(), "{f} missing from the prefix");
        }
        assert!(lib.join(format!("pkgconfig/{name}.pc")).exists());
    }
    assert!(dir.join("include/event2/event.h").exists() && dir.join("include/event.h").exists());

    let src = dir.join("prog.c");
    std::fs::write(&src, PROGRAM).expect("write the C program");
    let pc = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libevent", "libevent_pthreads"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .output()
        .expect("pkg-config (Debian package pkg-config) is needed");
    assert!(
        pc.status.success(),
        "pkg-config could not find our .pc files"
    );
    let flags = String::from_utf8_lossy(&pc.stdout).to_string();
    let bin = dir.join("prog");
    run(Command::new("gcc")
        .arg(&src)
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&bin));
    let out = run(Command::new(&bin).env("LD_LIBRARY_PATH", &lib));
    assert_eq!(out.trim(), "2.1.12-stable 1");
    // One copy loaded, from the prefix, whatever names the program needs.
    let ldd = run(Command::new("ldd").arg(&bin).env("LD_LIBRARY_PATH", &lib));
    let ours: Vec<&str> = ldd.lines().filter(|l| l.contains("libevent")).collect();
    assert!(
        !ours.is_empty() && ours.iter().all(|l| l.contains(lib.to_str().unwrap())),
        "libevent names must resolve into the prefix: {ldd}"
    );

    let static_bin = dir.join("prog-static");
    run(Command::new("gcc")
        .arg(&src)
        .arg(format!("-I{}", dir.join("include").display()))
        .arg(lib.join("libevent.a"))
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&static_bin));
    let out = run(&mut Command::new(&static_bin));
    assert_eq!(out.trim(), "2.1.12-stable 1");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The names of the functions a shared library exports.
fn exported(so: &Path) -> Vec<String> {
    let out = run(Command::new("nm").args(["-D", "--defined-only"]).arg(so));
    let mut names: Vec<String> = out
        .lines()
        .filter(|l| l.contains(" T "))
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn has_debug_info(file: &Path) -> bool {
    run(Command::new("readelf").arg("-S").arg("-W").arg(file)).contains(".debug_info")
}

#[test]
fn install_strips_the_libraries_and_keeps_every_export() {
    let profile = profile_dir();
    let built = profile.join("liboxevent_ffi.so");
    let dir = std::env::temp_dir().join(format!("oxevent-strip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/install.sh"))
        .arg(&dir)
        .args(["--no-build", "--strip"]);
    if !profile.ends_with("release") {
        cmd.arg("--debug");
    }
    run(&mut cmd);
    let so = dir.join("lib/libevent-2.1.so.7.0.1");
    assert!(has_debug_info(&built), "the cargo build keeps line tables");
    assert!(!has_debug_info(&so), "the installed library is stripped");
    assert!(!has_debug_info(&dir.join("lib/libevent_core.a")));
    let size = std::fs::metadata(&so).expect("installed").len();
    let full = std::fs::metadata(&built).expect("built").len();
    assert!(size * 4 < full, "stripped {size} bytes, built {full}");
    if profile.ends_with("release") {
        // Debian's libevent-2.1.so.7 is 0.35 MB; ours carries the Rust
        // runtime (formatting, panics): about 0.6 MB.
        assert!(size < 1_500_000, "the release library is {size} bytes");
    }
    let before = exported(&built);
    assert!(before.len() >= 115, "{} exports", before.len());
    assert_eq!(exported(&so), before, "stripping keeps every export");

    let src = dir.join("prog.c");
    std::fs::write(&src, PROGRAM).expect("write the C program");
    let bin = dir.join("prog");
    run(Command::new("gcc")
        .arg(&src)
        .arg(format!("-I{}", dir.join("include").display()))
        .arg(format!("-L{}", dir.join("lib").display()))
        .args(["-levent", "-levent_pthreads", "-o"])
        .arg(&bin));
    let out = run(Command::new(&bin).env("LD_LIBRARY_PATH", dir.join("lib")));
    assert_eq!(out.trim(), "2.1.12-stable 1");
    let _ = std::fs::remove_dir_all(&dir);
}
