//! libevent ignores its `EVENT_*` environment variables in a setuid or
//! setgid program (`evutil_getenv_` returns NULL when `evutil_issetugid`),
//! so a user cannot steer a privileged program's backend. One C program,
//! linked against our library and against Debian's, runs with
//! `EVENT_NOEPOLL=1 EVENT_NOPOLL=1 EVENT_SHOW_METHOD=1` twice: as an
//! ordinary binary (select, and the "libevent using" line) and as a setuid
//! binary owned by `nobody` (epoll, no line). Both libraries must agree.
//!
//! Setting up a setuid binary needs root (`chown`); without it the test says
//! so and checks nothing. A secure-mode loader ignores `LD_LIBRARY_PATH`,
//! so the ours-linked binary finds our library through an absolute rpath.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROGRAM: &str = r#"
#include <event2/event.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    struct event_base *b = event_base_new();
    if (!b) return 2;
    printf("%s setuid=%d\n", event_base_get_method(b), getuid() != geteuid());
    event_base_free(b);
    return 0;
}
"#;

/// Every libevent name, as the differential suite's prefix has them.
const LIB_NAMES: &[&str] = &[
    "libevent-2.1.so.7",
    "libevent.so",
    "libevent_core-2.1.so.7",
    "libevent_core.so",
    "libevent_pthreads-2.1.so.7",
    "libevent_pthreads.so",
];
const DEBIAN_LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";
/// `nobody`, whose uid the setuid binaries take.
const NOBODY: &str = "65534:65534";

fn profile_dir() -> PathBuf {
    // target/<profile>/deps/setuid_env-HASH -> target/<profile>
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    run_ok(Command::new("id").arg("-u")).trim() == "0"
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Runs `bin` with the backend-steering variables set; returns
/// (stdout, stderr).
fn run_steered(bin: &Path) -> (String, String) {
    let out = output(
        Command::new(bin)
            .env_remove("LD_LIBRARY_PATH")
            .env("EVENT_NOEPOLL", "1")
            .env("EVENT_NOPOLL", "1")
            .env("EVENT_SHOW_METHOD", "1"),
    );
    assert!(out.status.success(), "{bin:?} failed: {out:?}");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn setuid_programs_ignore_the_event_environment_like_libevent() {
    if !is_root() {
        eprintln!("setuid_env: not root, cannot make a setuid binary; nothing checked");
        return;
    }
    let cdylib = profile_dir().join("liboxevent_ffi.so");
    assert!(cdylib.is_file(), "cargo builds {cdylib:?} before this test");
    let dir = std::env::temp_dir().join(format!("oxevent-setuid-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let ours = dir.join("ours");
    fs::create_dir_all(&ours).expect("create work dir");
    // `nobody` must reach the binaries and our library.
    chmod(&dir, 0o755);
    chmod(&ours, 0o755);
    let lib = ours.join("liboxevent_ffi.so");
    fs::copy(&cdylib, &lib).expect("copy our library");
    chmod(&lib, 0o755);
    for name in LIB_NAMES {
        symlink("liboxevent_ffi.so", ours.join(name)).expect("symlink");
    }
    let src = dir.join("setuid_env.c");
    fs::write(&src, PROGRAM).expect("write the C program");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let obj = dir.join("setuid_env.o");
    run_ok(
        Command::new("gcc")
            .args(["-std=gnu99", "-Wall", "-Werror", "-I"])
            .arg(&include)
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );

    let mut seen = Vec::new();
    for (name, libdir, rpath) in [
        ("ours", ours.as_path(), true),
        ("debian", Path::new(DEBIAN_LIBDIR), false),
    ] {
        let plain = dir.join(format!("prog-{name}"));
        let mut link = Command::new("gcc");
        link.arg(&obj).arg("-L").arg(libdir).arg("-levent");
        if rpath {
            link.arg(format!("-Wl,-rpath,{}", libdir.display()));
        }
        run_ok(link.arg("-o").arg(&plain));
        let setuid = dir.join(format!("prog-{name}-setuid"));
        fs::copy(&plain, &setuid).expect("copy the binary");
        run_ok(Command::new("chown").arg(NOBODY).arg(&setuid));
        chmod(&setuid, 0o4755);

        let (out, err) = run_steered(&plain);
        assert_eq!(out, "select setuid=0", "{name}, ordinary binary");
        assert!(
            err.contains("libevent using: select"),
            "{name}: EVENT_SHOW_METHOD is honoured: {err:?}"
        );
        let (out, err) = run_steered(&setuid);
        assert_eq!(out, "epoll setuid=1", "{name}, setuid binary: env ignored");
        assert!(
            !err.contains("libevent using"),
            "{name}: EVENT_SHOW_METHOD is ignored when setuid: {err:?}"
        );
        seen.push(name);
    }
    assert_eq!(seen, ["ours", "debian"]);
    let _ = fs::remove_dir_all(&dir);
}
