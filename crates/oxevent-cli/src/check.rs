//! `oxevent check BINARY`: which libevent functions a program imports, and
//! which of them oxevent lacks.
//!
//! Owns: comparing BINARY's imports (undefined dynamic symbols) that are
//! libevent names ([`crate::names`]) with the symbols our library defines.
//! Exit status: 0 when oxevent lacks none, 1 when some are missing, 2 when
//! BINARY or our library cannot be read.
//!
//! An import is an undefined global or weak dynamic symbol of any type:
//! undefined references are not always typed `STT_FUNC`, and the one
//! libevent variable a program could import (`event_debug_logging_mask_`)
//! counts as much as a function. Our library provides a name when it
//! defines it (any type, global or weak).
//!
//! Must never: load or run BINARY (it is only read), or report a name as
//! provided because a header declares it: only the library file counts.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use crate::elf::{self, Symbol};
use crate::names::Libevent;
use crate::{locate, Failure};

/// The result of comparing one binary with our library.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// libevent names BINARY imports.
    pub imported: BTreeSet<String>,
    /// Those our library lacks, by group (header, or library for names no
    /// public header declares).
    pub missing: BTreeMap<String, Vec<String>>,
}

impl Report {
    /// How many imported names are missing.
    pub fn missing_count(&self) -> usize {
        self.missing.values().map(Vec::len).sum()
    }

    /// The summary line, then each group of missing names.
    pub fn render(&self) -> String {
        let missing = self.missing_count();
        let mut out = format!(
            "{} libevent functions imported, {} provided by oxevent, {} missing\n",
            self.imported.len(),
            self.imported.len() - missing,
            missing
        );
        for (group, names) in &self.missing {
            out.push_str(&format!("{group}:\n"));
            for name in names {
                out.push_str(&format!("    {name}\n"));
            }
        }
        out
    }
}

/// Compares `imports` (BINARY's dynamic symbols) with `ours` (our
/// library's dynamic symbols).
pub fn compare(libevent: &Libevent, imports: &[Symbol], ours: &[Symbol]) -> Report {
    let provided: HashSet<&str> = ours
        .iter()
        .filter(|s| s.is_export())
        .map(|s| s.name.as_str())
        .collect();
    let mut report = Report::default();
    for sym in imports.iter().filter(|s| s.is_import()) {
        let Some(origin) = libevent.origin(&sym.name) else {
            continue;
        };
        if !report.imported.insert(sym.name.clone()) {
            continue;
        }
        if !provided.contains(sym.name.as_str()) {
            report
                .missing
                .entry(Libevent::group(origin))
                .or_default()
                .push(sym.name.clone());
        }
    }
    for names in report.missing.values_mut() {
        names.sort();
    }
    report
}

/// Reads `path`'s dynamic symbols, with the path in any error.
fn symbols_of(path: &Path) -> Result<Vec<Symbol>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    elf::dynamic_symbols(&data).map_err(|e| format!("{}: {e}", path.display()))
}

/// `oxevent check` with its arguments (after the subcommand).
pub fn main(args: &[String]) -> Result<i32, Failure> {
    let [binary] = args else {
        return Err(Failure::Usage(
            "check takes one argument: the program or library to check".into(),
        ));
    };
    let imports = symbols_of(Path::new(binary)).map_err(Failure::Error)?;
    let library = locate::oxevent_library().map_err(Failure::Error)?;
    let ours = symbols_of(&library).map_err(Failure::Error)?;
    let report = compare(&Libevent::load(), &imports, &ours);
    eprintln!("oxevent: checking {binary} against {}", library.display());
    if report.imported.is_empty() {
        eprintln!("oxevent: {binary} imports no libevent function");
    }
    print!("{}", report.render());
    Ok(if report.missing_count() == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Binding, SymKind};

    fn sym(name: &str, defined: bool) -> Symbol {
        Symbol {
            name: name.into(),
            kind: SymKind::Func,
            binding: Binding::Global,
            defined,
        }
    }

    #[test]
    fn counts_only_libevent_imports_and_groups_missing_by_header() {
        let imports = [
            sym("", false),
            sym("printf", false),
            sym("event_add", false),
            sym("event_base_new", false),
            sym("bufferevent_free", false),
            sym("bufferevent_enable", false),
            sym("evhttp_new", false),
            sym("event_del", true), // defined here: not an import
        ];
        let ours = [
            sym("event_add", true),
            sym("event_base_new", true),
            sym("evhttp_new", false),
        ];
        let report = compare(&Libevent::load(), &imports, &ours);
        assert_eq!(report.imported.len(), 5);
        assert_eq!(report.missing_count(), 3);
        assert_eq!(
            report.render(),
            "5 libevent functions imported, 2 provided by oxevent, 3 missing\n\
             event2/bufferevent.h:\n    bufferevent_enable\n    bufferevent_free\n\
             event2/http.h:\n    evhttp_new\n"
        );
    }

    #[test]
    fn nothing_imported_is_nothing_missing() {
        let report = compare(&Libevent::load(), &[sym("printf", false)], &[]);
        assert_eq!(report.missing_count(), 0);
        assert_eq!(
            report.render(),
            "0 libevent functions imported, 0 provided by oxevent, 0 missing\n"
        );
    }
}
