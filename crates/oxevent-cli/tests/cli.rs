//! The `oxevent` command, run as a user runs it.
//!
//! `run` and `check` need our `liboxevent_ffi.so`, which cargo builds into
//! `target/<profile>/deps/` for this crate (it depends on `oxevent-ffi`).
//! Tools these tests use (gcc with libevent's headers and `-levent`, tmux,
//! memcached) are required: a missing one fails the test with its name,
//! never skips it (the CI script installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OXEVENT: &str = env!("CARGO_BIN_EXE_oxevent");

fn oxevent(args: &[&str]) -> Output {
    Command::new(OXEVENT)
        .args(args)
        .env_remove("OXEVENT_LIB")
        .output()
        .expect("the oxevent binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A directory of its own under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxevent-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn required(path: &'static str, package: &str) -> &'static str {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the `{package}` package (these tests need it)"
    );
    path
}

/// Compiles `source` against Debian's headers and libevent into `dir`.
fn compile(dir: &Path, name: &str, source: &str) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&c, source).unwrap();
    let out = Command::new("gcc")
        .arg("-o")
        .arg(&exe)
        .arg(&c)
        .arg("-levent")
        .output()
        .expect("gcc is needed by this test (install gcc and libevent-dev)");
    assert!(
        out.status.success(),
        "compiling {name}.c failed (libevent-dev installed?):\n{}",
        text(&out.stderr)
    );
    exe
}

/// `check`'s output, parsed: (imported, provided, missing, groups with
/// their names), after asserting its shape and exit status.
fn parse_check(out: &Output) -> (usize, usize, usize, Vec<(String, Vec<String>)>) {
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let summary = lines
        .next()
        .unwrap_or_else(|| panic!("no summary:\n{}", show(out)));
    let numbers: Vec<usize> = summary.split(' ').filter_map(|w| w.parse().ok()).collect();
    let [imported, provided, missing] = numbers[..] else {
        panic!("bad summary line {summary:?}");
    };
    assert_eq!(
        summary,
        format!("{imported} libevent functions imported, {provided} provided by oxevent, {missing} missing")
    );
    assert_eq!(imported, provided + missing, "{summary}");
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in lines {
        if let Some(name) = line.strip_prefix("    ") {
            let group = groups
                .last_mut()
                .unwrap_or_else(|| panic!("a name before any group:\n{}", show(out)));
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "bad name line {line:?}"
            );
            group.1.push(name.to_string());
        } else {
            let group = line
                .strip_suffix(':')
                .unwrap_or_else(|| panic!("bad group line {line:?}:\n{}", show(out)));
            assert!(
                group.starts_with("event2/") || group.starts_with("libevent"),
                "bad group {group:?}"
            );
            groups.push((group.to_string(), Vec::new()));
        }
    }
    assert!(
        groups.iter().all(|g| !g.1.is_empty()),
        "an empty group:\n{}",
        show(out)
    );
    assert_eq!(groups.iter().map(|g| g.1.len()).sum::<usize>(), missing);
    let expected = if missing == 0 { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected), "{}", show(out));
    (imported, provided, missing, groups)
}

#[test]
fn demo_serves_the_greeting_and_the_client_prints_it() {
    for args in [&["demo"][..], &[]] {
        let out = oxevent(args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "oxevent {args:?}: {}", show(&out));
        assert!(
            stdout.contains("server: listening on 127.0.0.1:"),
            "{stdout}"
        );
        assert!(
            stdout.contains(r#"client: received "Hello, NewConnection!\n" (22 bytes)"#),
            "{stdout}"
        );
        assert!(stdout.contains("flushed answer"), "{stdout}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["demo", "x"],
        &["check"],
        &["check", "a", "b"],
        &["run"],
    ] {
        let out = oxevent(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "oxevent {args:?}: {}",
            show(&out)
        );
        assert!(
            text(&out.stderr).contains("usage: oxevent"),
            "{}",
            show(&out)
        );
    }
    let help = oxevent(&["--help"]);
    assert!(help.status.success() && text(&help.stdout).contains("oxevent check BINARY"));
}

#[test]
fn check_tmux_lists_what_oxevent_lacks() {
    let tmux = required("/usr/bin/tmux", "tmux");
    let out = oxevent(&["check", tmux]);
    let (imported, _, _, _) = parse_check(&out);
    // tmux 3.3a imports 33 (events, buffers, bufferevents).
    assert!(imported >= 20, "{}", show(&out));
    assert!(
        text(&out.stderr).contains("liboxevent_ffi.so"),
        "{}",
        show(&out)
    );
}

#[test]
fn check_memcached() {
    let memcached = ["/usr/bin/memcached", "/usr/sbin/memcached"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("memcached is missing: install the `memcached` package (this test needs it)");
    let (imported, ..) = parse_check(&oxevent(&["check", memcached]));
    assert!(imported >= 5);
}

#[test]
fn check_against_a_library_without_libevent_lists_every_import_by_header() {
    let tmux = required("/usr/bin/tmux", "tmux");
    let out = Command::new(OXEVENT)
        .args(["check", tmux])
        .env("OXEVENT_LIB", "/lib/x86_64-linux-gnu/libc.so.6")
        .output()
        .unwrap();
    let (imported, provided, missing, groups) = parse_check(&out);
    assert_eq!((provided, missing), (0, imported), "{}", show(&out));
    let event_h = groups
        .iter()
        .find(|g| g.0 == "event2/event.h")
        .expect("event.h group");
    assert!(event_h.1.iter().any(|n| n == "event_add"), "{}", show(&out));
    let mut sorted = event_h.1.clone();
    sorted.sort();
    assert_eq!(sorted, event_h.1, "names sorted within a group");
}

#[test]
fn check_refuses_non_elf_and_missing_files() {
    let dir = scratch("nonelf");
    let script = dir.join("script.sh");
    std::fs::write(&script, "#!/bin/sh\necho hello\n").unwrap();
    let out = oxevent(&["check", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("not an ELF file"),
        "{}",
        show(&out)
    );
    assert!(out.stdout.is_empty(), "{}", show(&out));

    let gone = dir.join("no-such-file");
    let out = oxevent(&["check", gone.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(text(&out.stderr).contains("No such file"), "{}", show(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

const VERSION_C: &str = r#"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

int main(int argc, char **argv) {
    struct event_base *base = event_base_new();
    if (!base)
        return 1;
    if (argc > 1 && strcmp(argv[1], "die") == 0)
        raise(SIGTERM);
    printf("libevent %s, method %s, args %d\n", event_get_version(),
           event_base_get_method(base), argc - 1);
    printf("LD_LIBRARY_PATH=%s\n", getenv("LD_LIBRARY_PATH"));
    event_base_free(base);
    return 7;
}
"#;

#[test]
fn run_maps_our_library_and_forwards_the_exit_status() {
    let dir = scratch("run");
    let prog = compile(&dir, "version", VERSION_C);
    let out = oxevent(&["run", prog.to_str().unwrap(), "one", "two"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(7), "{}", show(&out));
    assert!(stdout.starts_with("libevent 2.1.12"), "{}", show(&out));
    assert!(stdout.contains(", args 2"), "{}", show(&out));
    let line = stderr
        .lines()
        .find(|l| l.contains("maps libevent-2.1.so.7 from"))
        .unwrap_or_else(|| panic!("no line naming the mapped library:\n{}", show(&out)));
    assert!(
        line.contains("liboxevent_ffi.so") && line.ends_with("(oxevent)"),
        "{line}"
    );

    let out = oxevent(&["run", prog.to_str().unwrap(), "die"]);
    assert_eq!(out.status.code(), Some(128 + 15), "{}", show(&out));

    // The program saw a private directory first on its LD_LIBRARY_PATH,
    // gone once it has run.
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LD_LIBRARY_PATH="))
        .unwrap_or_else(|| panic!("{}", show(&out)));
    let first = Path::new(path.split(':').next().unwrap());
    assert!(
        first
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("oxevent-run-"),
        "{path}"
    );
    assert!(!first.exists(), "{} was left behind", first.display());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn run_refuses_programs_without_libevent() {
    let out = oxevent(&["run", "/bin/true"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("links no libevent"),
        "{}",
        show(&out)
    );
    let out = oxevent(&["run", "no-such-program-anywhere"]);
    assert_eq!(out.status.code(), Some(127), "{}", show(&out));
}

#[test]
fn run_tmux_on_oxevent() {
    let tmux = required("/usr/bin/tmux", "tmux");
    let out = oxevent(&["run", tmux, "-V"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(text(&out.stdout).starts_with("tmux "), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("liboxevent_ffi.so (oxevent)"),
        "{}",
        show(&out)
    );
}

#[test]
fn run_refuses_a_program_whose_rpath_picks_another_libevent() {
    let dir = scratch("rpath");
    let c = dir.join("rpath.c");
    std::fs::write(&c, VERSION_C).unwrap();
    let prog = dir.join("rpath");
    // DT_RPATH (not RUNPATH) is searched before LD_LIBRARY_PATH.
    let out = Command::new("gcc")
        .arg("-o")
        .arg(&prog)
        .arg(&c)
        .args([
            "-levent",
            "-Wl,--disable-new-dtags,-rpath,/usr/lib/x86_64-linux-gnu",
        ])
        .output()
        .expect("gcc is needed by this test (install gcc and libevent-dev)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = oxevent(&["run", prog.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        out.stdout.is_empty(),
        "the program must not run:\n{}",
        show(&out)
    );
    assert!(text(&out.stderr).contains("NOT oxevent"), "{}", show(&out));
    std::fs::remove_dir_all(dir).unwrap();
}
