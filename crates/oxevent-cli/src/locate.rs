//! Finding oxevent's shared library (`liboxevent_ffi.so`).
//!
//! Owns the search order, shared by `run` and `check`:
//! 1. `$OXEVENT_LIB`, if set: the library file itself, or a directory
//!    holding it (a set but wrong value is an error, never skipped);
//! 2. beside the `oxevent` executable, which is `target/<profile>/` in a
//!    cargo build: `deps/liboxevent_ffi.so` first, then
//!    `liboxevent_ffi.so`. Cargo builds the library into `deps/` whenever
//!    it builds this crate (which depends on `oxevent-ffi`), but copies it
//!    up to `target/<profile>/` only when `oxevent-ffi` itself is built
//!    (`cargo build --workspace`, `-p oxevent-ffi`), so the copy up there
//!    can be older than the one in `deps/`;
//! 3. an installed prefix (`scripts/install.sh PREFIX`): the executable in
//!    `PREFIX/bin/`, the library as `PREFIX/lib/libevent-2.1.so.7.0.1`.
//!
//! Must never: fall back to the system's libevent. Not finding ours is an
//! error that says where it looked.

use std::env;
use std::path::{Path, PathBuf};

/// The file cargo builds.
const CARGO_NAME: &str = "liboxevent_ffi.so";
/// The names `scripts/install.sh` gives it in `PREFIX/lib/`.
const INSTALLED_NAMES: [&str; 2] = ["libevent-2.1.so.7.0.1", "libevent-2.1.so.7"];

/// Our library, as an absolute path with symlinks resolved.
pub fn oxevent_library() -> Result<PathBuf, String> {
    if let Some(value) = env::var_os("OXEVENT_LIB").filter(|v| !v.is_empty()) {
        let given = PathBuf::from(&value);
        let found = if given.is_dir() {
            candidates_in(&given).into_iter().find(|p| p.is_file())
        } else {
            Some(given.clone()).filter(|p| p.is_file())
        };
        return match found {
            Some(path) => absolute(&path),
            None => Err(format!(
                "OXEVENT_LIB={} is neither oxevent's library file nor a directory holding {CARGO_NAME}",
                given.display()
            )),
        };
    }
    let exe = env::current_exe().map_err(|e| format!("cannot find the oxevent executable: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("the oxevent executable has no directory")?;
    let mut tried = vec![dir.join("deps").join(CARGO_NAME), dir.join(CARGO_NAME)];
    // target/<profile>/deps/ holds test binaries; the library is one up.
    if dir.file_name().is_some_and(|n| n == "deps") {
        if let Some(up) = dir.parent() {
            tried.push(up.join(CARGO_NAME));
        }
    }
    if dir.file_name().is_some_and(|n| n == "bin") {
        if let Some(prefix) = dir.parent() {
            tried.extend(candidates_in(&prefix.join("lib")));
        }
    }
    match tried.iter().find(|p| p.is_file()) {
        Some(path) => absolute(path),
        None => Err(format!(
            "oxevent's library was not found (looked for {}); build it with \
             `cargo build -p oxevent-ffi` (same profile as this binary), or set OXEVENT_LIB",
            tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The file names our library may have in `dir`.
fn candidates_in(dir: &Path) -> Vec<PathBuf> {
    std::iter::once(CARGO_NAME)
        .chain(INSTALLED_NAMES)
        .map(|n| dir.join(n))
        .collect()
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    path.canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `program` as a path: itself when it holds a `/`, else the first
/// executable file of that name on `$PATH` (what `execvp` would run).
pub fn program_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|d| d.join(program)).find(|p| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}
