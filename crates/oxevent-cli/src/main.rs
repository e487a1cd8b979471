//! The `oxevent` command.
//!
//! ```text
//! oxevent [demo]                 libevent's hello-world server and a client, on oxevent
//! oxevent run PROGRAM [ARGS...]  run a dynamically linked libevent program on oxevent
//! oxevent check BINARY           which libevent functions BINARY imports that oxevent lacks
//! ```
//!
//! Modules: [`demo`], [`run`], [`check`] (one per subcommand), [`elf`] (the
//! dynamic-symbol reader `check` uses), [`names`] (libevent's symbol
//! lists, compiled in), [`locate`] (finding our `liboxevent_ffi.so`).
//!
//! Dependencies: `oxevent`, for the demo's and `run`'s event loops; and
//! `oxevent-ffi`, never called from Rust, so that cargo builds
//! `liboxevent_ffi.so` beside this binary, where `run` and `check` look
//! for it. Everything else is std: argument parsing is four words, and the
//! ELF reader is 200 lines of bounds-checked reads. No `unsafe`.
//!
//! Exit status: `demo` 0 or 1; `run` the program's own (128 + N when a
//! signal N killed it; 127 when it is not found; 2 when it links no
//! libevent or cannot be set up); `check` 0 when nothing is missing, 1
//! when something is, 2 on a usage or read error.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod check;
mod demo;
mod elf;
mod locate;
mod names;
mod run;

use std::process::ExitCode;

const USAGE: &str = "\
usage: oxevent [demo]
       oxevent run PROGRAM [ARGS...]
       oxevent check BINARY

  demo    libevent's hello-world server (accept, send a greeting, close) and a
          client in one process, on oxevent's Rust API (the default)
  run     run a dynamically linked libevent program with oxevent's library
          in place of libevent (exit status: the program's)
  check   list the libevent functions BINARY imports and those oxevent lacks
          (exit status 0: none missing, 1: some missing, 2: error)

oxevent's library is looked for in $OXEVENT_LIB, beside this executable
(target/<profile>/liboxevent_ffi.so), then in ../lib/ of an installed prefix.";

/// How a subcommand failed.
#[derive(Debug)]
pub enum Failure {
    /// Wrong arguments: the message, then the usage; exit status 2.
    Usage(String),
    /// Could not do the job: the message; exit status 2.
    Error(String),
    /// The message, with this exit status.
    Exit(i32, String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("demo", &[][..]),
    };
    let result = match command {
        "demo" => demo::main(rest),
        "run" => run::main(rest),
        "check" => check::main(rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(0)
        }
        "-V" | "--version" => {
            println!(
                "oxevent {} (libevent 2.1.12-stable compatible)",
                env!("CARGO_PKG_VERSION")
            );
            Ok(0)
        }
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    };
    let code = match result {
        Ok(code) => code,
        Err(Failure::Usage(why)) => {
            eprintln!("oxevent: {why}\n{USAGE}");
            2
        }
        Err(Failure::Error(why)) => {
            eprintln!("oxevent: {why}");
            2
        }
        Err(Failure::Exit(code, why)) => {
            eprintln!("oxevent: {why}");
            code
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
