//! Builds the C shim (the printf-family functions stable Rust cannot define)
//! and gives the shared library libevent's SONAME.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let obj = out.join("shim.o");
    let lib = out.join("liboxevent_shim.a");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-c", "-O2", "-fPIC", "-Wall", "-Wextra", "-o"])
        .arg(&obj)
        .arg("src/shim.c")
        .status()
        .expect("a C compiler (cc) is needed to build src/shim.c");
    assert!(status.success(), "compiling src/shim.c failed");
    let _ = std::fs::remove_file(&lib);
    let status = Command::new("ar")
        .arg("crs")
        .arg(&lib)
        .arg(&obj)
        .status()
        .expect("ar is needed to archive the shim");
    assert!(status.success(), "archiving the shim failed");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static:+whole-archive=oxevent_shim");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libevent-2.1.so.7");
    // The shim's C symbols are not Rust exports, so rustc's version script
    // would hide them; a second anonymous version script adds them.
    let map = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("shim.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    println!("cargo:rerun-if-changed=shim.map");
    println!("cargo:rerun-if-changed=src/shim.c");
    println!("cargo:rerun-if-changed=build.rs");
}
