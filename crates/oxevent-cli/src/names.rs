//! Which symbol names are libevent's, and where each is declared.
//!
//! Owns: the embedded lists (compiled in with `include_str!`, so the
//! binary needs no file at run time):
//! - `public-api-by-header.tsv`: the 455 public functions of libevent
//!   2.1.12, one per line as `header<TAB>line<TAB>name<TAB>library`;
//! - `libevent_*.public-symbols.txt`: every symbol each Debian library
//!   exports, one name per line. Names in these lists but in no public
//!   header (today only the variable `event_debug_logging_mask_`) are
//!   libevent's too: a program can import them.
//!
//! Must never: decide what oxevent provides; that comes from our library
//! file, read at run time.

use std::collections::HashMap;

const BY_HEADER: &str = include_str!("../../oxevent-ffi/tests/abi/public-api-by-header.tsv");
const LIBRARIES: [(&str, &str); 4] = [
    (
        "libevent_core",
        include_str!("../../oxevent-ffi/tests/abi/libevent_core.public-symbols.txt"),
    ),
    (
        "libevent_extra",
        include_str!("../../oxevent-ffi/tests/abi/libevent_extra.public-symbols.txt"),
    ),
    (
        "libevent_openssl",
        include_str!("../../oxevent-ffi/tests/abi/libevent_openssl.public-symbols.txt"),
    ),
    (
        "libevent_pthreads",
        include_str!("../../oxevent-ffi/tests/abi/libevent_pthreads.public-symbols.txt"),
    ),
];

/// Where a libevent name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The public header declaring it, as `#include` names it
    /// (`bufferevent.h` for `<event2/bufferevent.h>`); `None` for a symbol
    /// no public header declares.
    pub header: Option<&'static str>,
    /// The Debian library exporting it (`libevent_core` …).
    pub library: &'static str,
}

/// Every libevent name, with its origin.
#[derive(Debug)]
pub struct Libevent {
    names: HashMap<&'static str, Origin>,
}

impl Libevent {
    /// The embedded lists, parsed.
    pub fn load() -> Libevent {
        let mut names = HashMap::new();
        for line in BY_HEADER.lines() {
            let mut f = line.split('\t');
            let (Some(header), Some(_line), Some(name), Some(lib)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            names.insert(
                name.trim(),
                Origin {
                    header: Some(header.trim()),
                    library: library_name(lib.trim()),
                },
            );
        }
        for (library, list) in LIBRARIES {
            for name in list.lines().map(str::trim).filter(|n| !n.is_empty()) {
                names.entry(name).or_insert(Origin {
                    header: None,
                    library,
                });
            }
        }
        Libevent { names }
    }

    /// Where `name` comes from, if it is libevent's.
    pub fn origin(&self, name: &str) -> Option<Origin> {
        self.names.get(name).copied()
    }

    /// How many names are known.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The name of the group `origin` is listed under:
    /// `event2/bufferevent.h`, or `libevent_core (no public header)`.
    pub fn group(origin: Origin) -> String {
        match origin.header {
            Some(h) => format!("event2/{h}"),
            None => format!("{} (no public header)", origin.library),
        }
    }
}

/// `core` → `libevent_core` (the TSV's last column is the short name).
fn library_name(short: &str) -> &'static str {
    match short {
        "core" => "libevent_core",
        "extra" => "libevent_extra",
        "openssl" => "libevent_openssl",
        "pthreads" => "libevent_pthreads",
        _ => "libevent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lists_cover_the_public_api() {
        let lib = Libevent::load();
        let public = BY_HEADER.lines().filter(|l| !l.trim().is_empty()).count();
        assert_eq!(public, 455);
        assert!(lib.len() >= public);
        let add = lib.origin("event_add").unwrap();
        assert_eq!(
            (add.header, add.library),
            (Some("event.h"), "libevent_core")
        );
        let bev = lib.origin("bufferevent_socket_new").unwrap();
        assert_eq!(Libevent::group(bev), "event2/bufferevent.h");
        let mask = lib.origin("event_debug_logging_mask_").unwrap();
        assert_eq!(mask.header, None);
        assert_eq!(Libevent::group(mask), "libevent_core (no public header)");
        assert_eq!(lib.origin("printf"), None);
    }
}
