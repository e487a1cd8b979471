//! Helpers shared by the test binaries that run C programs on our cdylib.

use std::env;
use std::path::PathBuf;

/// Our cdylib: `OXEVENT_DIFF_CDYLIB`, else `target/<profile>/liboxevent_ffi.so`
/// next to the `deps/` directory the running test binary lives in.
pub fn locate_cdylib() -> PathBuf {
    if let Some(path) = env::var_os("OXEVENT_DIFF_CDYLIB") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "OXEVENT_DIFF_CDYLIB={} does not exist",
            path.display()
        );
        return path;
    }
    let exe = env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a directory");
    let profile = if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent().unwrap_or(deps)
    } else {
        deps
    };
    let path = profile.join("liboxevent_ffi.so");
    assert!(
        path.is_file(),
        "our cdylib {} is missing: build it first (`cargo build -p oxevent-ffi`)",
        path.display()
    );
    path
}
