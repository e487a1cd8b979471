//! `oxevent run PROGRAM [ARGS...]`: runs an unmodified, dynamically linked
//! libevent program on oxevent.
//!
//! Owns: a private temporary directory (mode 0700) holding the four
//! libevent SONAMEs as symlinks to our library, put first on
//! `LD_LIBRARY_PATH`; asking the dynamic loader (`ld.so --list`) which file
//! each libevent SONAME will map to, and saying so on stderr; running the
//! program with inherited stdio; forwarding its exit status (`128 + N` when
//! killed by signal N, as shells report it); removing the directory.
//!
//! While the program runs, this process waits in an oxevent loop that
//! holds four signal events: SIGINT and SIGQUIT are ignored (a terminal
//! sends them to the program as well, the convention of `system(3)` and
//! `time(1)`), SIGTERM and SIGHUP are passed on to the program (with
//! `kill(1)`, since this crate has no `unsafe` and std has no `kill(2)`
//! with a signal number). Either way this process outlives the program and
//! removes its directory.
//!
//! Must never: run the program on another libevent (when the loader would
//! map another file for one of the four SONAMEs, e.g. because of a
//! `DT_RPATH`, which is searched before `LD_LIBRARY_PATH`, it refuses with
//! exit status 2; other libevent libraries such as `libevent_openssl` come
//! from the system and are named as such), or leave its temporary
//! directory behind on any path it controls.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{SystemTime, UNIX_EPOCH};

use oxevent::{Base, Ev};

use crate::{locate, Failure};

/// The dynamic loader asked for the libraries a program maps.
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
/// The SONAMEs our one library file stands for.
pub const SONAMES: [&str; 4] = [
    "libevent-2.1.so.7",
    "libevent_core-2.1.so.7",
    "libevent_extra-2.1.so.7",
    "libevent_pthreads-2.1.so.7",
];

/// A directory removed (with its symlinks) when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    /// A new private directory under the system's temporary directory.
    fn new() -> io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        let mut last = None;
        for attempt in 0..16u32 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let dir = base.join(format!(
                "oxevent-run-{}-{nanos:x}{attempt}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free temporary directory name")))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("oxevent: could not remove {}: {e}", self.0.display());
        }
    }
}

/// One libevent line of `ld.so --list`: a SONAME and the file it maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The SONAME the program asks for.
    pub soname: String,
    /// The file the loader found (`None`: not found).
    pub path: Option<PathBuf>,
}

/// The libevent lines of `ld.so --list` output
/// (`\tlibevent_core-2.1.so.7 => /path/libevent_core-2.1.so.7 (0x7f…)`).
pub fn libevent_mappings(list: &str) -> Vec<Mapping> {
    list.lines()
        .filter_map(|line| {
            let (soname, rest) = line.trim().split_once(" => ")?;
            if !soname.starts_with("libevent") {
                return None;
            }
            let rest = rest.trim();
            let path = match rest.rfind(" (0x") {
                Some(i) => &rest[..i],
                None => rest,
            };
            Some(Mapping {
                soname: soname.to_string(),
                path: (path != "not found" && !path.is_empty()).then(|| PathBuf::from(path)),
            })
        })
        .collect()
}

/// `LD_LIBRARY_PATH` with `dir` first.
fn library_path_with(dir: &Path) -> std::ffi::OsString {
    let mut value = dir.as_os_str().to_owned();
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|v| !v.is_empty()) {
        value.push(":");
        value.push(old);
    }
    value
}

/// The shell's view of an exit status: the code, or 128 + the signal.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

/// Asks the loader which libevent files `program` maps, and reports them.
fn report_mappings(
    program: &Path,
    shown: &str,
    library_path: &std::ffi::OsStr,
    ours: &Path,
) -> Result<(), Failure> {
    let out = Command::new(LOADER)
        .arg("--list")
        .arg(program)
        .env("LD_LIBRARY_PATH", library_path)
        .output()
        .map_err(|e| Failure::Error(format!("cannot run the dynamic loader {LOADER}: {e}")))?;
    let list = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && !list.contains(" => ") {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.trim();
        let why = if why.is_empty() { list.trim() } else { why };
        return Err(Failure::Error(format!(
            "{shown} cannot be run on oxevent: the dynamic loader refuses it ({why})"
        )));
    }
    let mappings = libevent_mappings(&list);
    if mappings.is_empty() {
        return Err(Failure::Error(format!(
            "{shown} links no libevent library: there is nothing for oxevent to replace"
        )));
    }
    let mut foreign = Vec::new();
    for m in &mappings {
        match &m.path {
            Some(path) => {
                let real = path.canonicalize().unwrap_or_else(|_| path.clone());
                let ours = real == ours;
                if !ours && SONAMES.contains(&m.soname.as_str()) {
                    foreign.push(format!("{} => {}", m.soname, real.display()));
                }
                eprintln!(
                    "oxevent: {shown} maps {} from {} ({})",
                    m.soname,
                    real.display(),
                    if ours { "oxevent" } else { "NOT oxevent" }
                );
            }
            None => eprintln!("oxevent: {shown} needs {}, which is not found", m.soname),
        }
    }
    if !foreign.is_empty() {
        // An RPATH (searched before LD_LIBRARY_PATH) or a preload wins.
        return Err(Failure::Error(format!(
            "{shown} would not run on oxevent: the loader picks another library \
             ({}); not running it",
            foreign.join(", ")
        )));
    }
    Ok(())
}

/// Runs the program and waits for it in an oxevent loop that handles the
/// signals listed in the module docs.
fn run_and_wait(mut command: Command, shown: &str) -> Result<ExitStatus, Failure> {
    let mut child = command.spawn().map_err(|e| {
        let code = if e.kind() == io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        Failure::Exit(code, format!("cannot run {shown}: {e}"))
    })?;
    let pid = child.id();
    let base = Base::<()>::new()
        .map_err(|e| Failure::Error(format!("cannot create an event base: {e}")))?;
    let setup = || -> oxevent::Result<_> {
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGQUIT, SIGTERM, SIGHUP] {
            let id = base.signal(sig, Ev::PERSIST, move |_, _, _| {
                if sig == SIGTERM || sig == SIGHUP {
                    pass_on(sig, pid);
                }
            })?;
            base.add(id, None)?;
            ids.push(id);
        }
        let done = base.timer(|_, base, _| base.loopbreak())?;
        ids.push(done);
        Ok((ids, done))
    };
    let (ids, done) = setup().map_err(|e| Failure::Error(format!("cannot watch signals: {e}")))?;
    let remote = base.remote();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        // An activation, unlike a loopbreak, is not lost if it comes
        // before the loop starts.
        let _ = remote.activate(done, Ev::TIMEOUT);
        status
    });
    let looped = base.dispatch(&mut ());
    let waited = waiter
        .join()
        .map_err(|_| Failure::Error("the thread waiting for the program panicked".into()))?;
    for id in ids {
        let _ = base.free(id);
    }
    looped.map_err(|e| Failure::Error(format!("the event loop failed: {e}")))?;
    waited.map_err(|e| Failure::Error(format!("waiting for {shown} failed: {e}")))
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGQUIT: i32 = 3;
const SIGTERM: i32 = 15;

/// Sends `sig` to `pid` with `kill(1)`.
fn pass_on(sig: i32, pid: u32) {
    let sent = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
    if !sent.is_ok_and(|s| s.success()) {
        eprintln!("oxevent: could not pass signal {sig} on to process {pid}");
    }
}

/// `oxevent run` with its arguments (after the subcommand).
pub fn main(args: &[String]) -> Result<i32, Failure> {
    let Some((program, program_args)) = args.split_first() else {
        return Err(Failure::Usage("run needs a PROGRAM to run".into()));
    };
    let Some(path) = locate::program_path(program).filter(|p| p.exists()) else {
        return Err(Failure::Exit(127, format!("{program}: no such program")));
    };
    let ours = locate::oxevent_library().map_err(Failure::Error)?;
    let dir = TempDir::new()
        .map_err(|e| Failure::Error(format!("cannot create a temporary directory: {e}")))?;
    for name in SONAMES {
        std::os::unix::fs::symlink(&ours, dir.0.join(name)).map_err(|e| {
            Failure::Error(format!("cannot link {name} in {}: {e}", dir.0.display()))
        })?;
    }
    let library_path = library_path_with(&dir.0);
    report_mappings(&path, program, &library_path, &ours)?;
    let mut command = Command::new(&path);
    command
        .args(program_args)
        .env("LD_LIBRARY_PATH", &library_path);
    let status = run_and_wait(command, program)?;
    drop(dir);
    Ok(exit_code(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_loader_output() {
        let list = "\tlinux-vdso.so.1 (0x00007ffd5b1f3000)\n\
            \tlibevent_core-2.1.so.7 => /tmp/x/libevent_core-2.1.so.7 (0x00007f0e1c000000)\n\
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e1be00000)\n\
            \tlibevent_openssl-2.1.so.7 => not found\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f0e1c200000)\n";
        assert_eq!(
            libevent_mappings(list),
            vec![
                Mapping {
                    soname: "libevent_core-2.1.so.7".into(),
                    path: Some("/tmp/x/libevent_core-2.1.so.7".into()),
                },
                Mapping {
                    soname: "libevent_openssl-2.1.so.7".into(),
                    path: None,
                },
            ]
        );
        assert!(libevent_mappings("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n").is_empty());
    }

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 128 + 9);
    }

    #[test]
    fn temp_dirs_are_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new().unwrap();
        let path = dir.0.clone();
        let mode = path.metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::os::unix::fs::symlink("/nonexistent", path.join("x")).unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
