//! A reader for the dynamic symbol table of ELF64 little-endian files.
//!
//! Owns: turning a file's bytes into its dynamic symbols (`.dynsym`, named
//! through the string table its `sh_link` points at, normally `.dynstr`).
//! It reads only what `oxevent check` needs: the section headers, then the
//! symbols. Every read is bounds-checked, so a truncated or hostile file
//! gives an [`ElfError`], never a panic.
//!
//! Must never: guess. A 32-bit or big-endian file is refused by name, not
//! misread; a file without section headers (stripped with `sstrip`) is
//! reported as such rather than read through `PT_DYNAMIC`.

use std::fmt;

/// `SHT_DYNSYM`: the dynamic linker's symbol table.
const SHT_DYNSYM: u32 = 11;
/// `SHN_UNDEF`: the symbol is defined elsewhere (an import).
const SHN_UNDEF: u16 = 0;
/// `SHN_XINDEX` in `e_shstrndx`: the real index is in section 0's `sh_link`.
const SHN_XINDEX: u16 = 0xffff;
/// Size of `Elf64_Ehdr`.
const EHDR_SIZE: usize = 64;
/// Size of `Elf64_Shdr`.
const SHDR_SIZE: usize = 64;
/// Size of `Elf64_Sym`.
const SYM_SIZE: usize = 24;

/// Why a file could not be read as ELF64 little-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    /// The file does not start with `\x7fELF`.
    NotElf,
    /// An ELF file of a class or byte order this reader does not handle.
    Unsupported(&'static str),
    /// A header or table points outside the file.
    Truncated(&'static str),
    /// The file has no dynamic symbol table (statically linked, or its
    /// section headers were stripped).
    NoDynsym,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Unsupported(what) => write!(f, "unsupported ELF file: {what}"),
            ElfError::Truncated(what) => write!(f, "damaged ELF file: {what} is out of bounds"),
            ElfError::NoDynsym => f.write_str(
                "no dynamic symbol table (.dynsym): statically linked, or section headers stripped",
            ),
        }
    }
}

impl std::error::Error for ElfError {}

/// `STT_*`: what a symbol names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymKind {
    /// `STT_NOTYPE` (undefined references are often left untyped).
    NoType,
    /// `STT_OBJECT`: a variable.
    Object,
    /// `STT_FUNC`: a function.
    Func,
    /// Anything else (sections, files, TLS, IFUNC …).
    Other(u8),
}

/// `STB_*`: how a symbol links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// `STB_LOCAL`.
    Local,
    /// `STB_GLOBAL`.
    Global,
    /// `STB_WEAK`.
    Weak,
    /// Anything else (`STB_GNU_UNIQUE` …).
    Other(u8),
}

/// One entry of `.dynsym`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// Its name, without any version suffix (versions live in
    /// `.gnu.version`, which this reader does not need).
    pub name: String,
    /// What it names.
    pub kind: SymKind,
    /// How it links.
    pub binding: Binding,
    /// False for an undefined symbol (`st_shndx == SHN_UNDEF`).
    pub defined: bool,
}

impl Symbol {
    /// True for a symbol the file expects another object to provide: an
    /// undefined, global or weak, named symbol.
    pub fn is_import(&self) -> bool {
        !self.defined
            && !self.name.is_empty()
            && matches!(self.binding, Binding::Global | Binding::Weak)
    }

    /// True for a symbol the file provides to others: a defined, global or
    /// weak, named symbol.
    pub fn is_export(&self) -> bool {
        self.defined
            && !self.name.is_empty()
            && matches!(self.binding, Binding::Global | Binding::Weak)
    }
}

/// A section header, the fields this reader uses.
#[derive(Debug, Clone, Copy)]
struct Section {
    kind: u32,
    offset: u64,
    size: u64,
    link: u32,
    entsize: u64,
}

/// Bounds-checked access to the file: a range outside it is an error.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn slice(&self, at: u64, len: u64, what: &'static str) -> Result<&[u8], ElfError> {
        let start = usize::try_from(at).map_err(|_| ElfError::Truncated(what))?;
        let len = usize::try_from(len).map_err(|_| ElfError::Truncated(what))?;
        let end = start.checked_add(len).ok_or(ElfError::Truncated(what))?;
        self.0.get(start..end).ok_or(ElfError::Truncated(what))
    }
}

/// Little-endian fields of a record already known to be long enough
/// (callers take the record with [`Bytes::slice`] first, and read it at
/// constant offsets inside its fixed size).
fn le_u16(rec: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([rec[at], rec[at + 1]])
}

fn le_u32(rec: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]])
}

fn le_u64(rec: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&rec[at..at + 8]);
    u64::from_le_bytes(b)
}

/// The dynamic symbols of an ELF64 little-endian file, in table order
/// (entry 0, the null symbol, included).
///
/// ```ignore
/// let data = std::fs::read("/bin/true")?;
/// let imports: Vec<_> = elf::dynamic_symbols(&data)?
///     .into_iter()
///     .filter(|s| s.is_import())
///     .collect();
/// ```
pub fn dynamic_symbols(data: &[u8]) -> Result<Vec<Symbol>, ElfError> {
    let bytes = Bytes(data);
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if data.len() < EHDR_SIZE {
        return Err(ElfError::Truncated("the ELF header"));
    }
    match data[4] {
        2 => {}
        1 => return Err(ElfError::Unsupported("32-bit (ELFCLASS32)")),
        _ => return Err(ElfError::Unsupported("unknown ELF class")),
    }
    match data[5] {
        1 => {}
        2 => return Err(ElfError::Unsupported("big-endian (ELFDATA2MSB)")),
        _ => return Err(ElfError::Unsupported("unknown byte order")),
    }
    let sections = section_headers(&bytes)?;
    let Some(dynsym) = sections.iter().find(|s| s.kind == SHT_DYNSYM) else {
        return Err(ElfError::NoDynsym);
    };
    let strtab = sections
        .get(dynsym.link as usize)
        .ok_or(ElfError::Truncated("the .dynsym string table index"))?;
    let strings = bytes.slice(strtab.offset, strtab.size, "the .dynstr section")?;
    let entsize = if dynsym.entsize == 0 {
        SYM_SIZE as u64
    } else {
        dynsym.entsize
    };
    if entsize < SYM_SIZE as u64 {
        return Err(ElfError::Truncated("a .dynsym entry"));
    }
    let entsize = usize::try_from(entsize).map_err(|_| ElfError::Truncated("a .dynsym entry"))?;
    let table = bytes.slice(dynsym.offset, dynsym.size, "the .dynsym section")?;
    let mut symbols = Vec::with_capacity(table.len() / entsize);
    for rec in table.chunks_exact(entsize) {
        // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16,
        // st_value u64, st_size u64.
        let info = rec[4];
        let shndx = le_u16(rec, 6);
        symbols.push(Symbol {
            name: c_string(strings, le_u32(rec, 0))?,
            kind: match info & 0xf {
                0 => SymKind::NoType,
                1 => SymKind::Object,
                2 => SymKind::Func,
                k => SymKind::Other(k),
            },
            binding: match info >> 4 {
                0 => Binding::Local,
                1 => Binding::Global,
                2 => Binding::Weak,
                b => Binding::Other(b),
            },
            defined: shndx != SHN_UNDEF,
        });
    }
    Ok(symbols)
}

/// The section header table, with the extended numbering of files with
/// 65280 sections or more (count in section 0's `sh_size`).
fn section_headers(bytes: &Bytes<'_>) -> Result<Vec<Section>, ElfError> {
    let header = bytes.slice(0, EHDR_SIZE as u64, "the ELF header")?;
    let shoff = le_u64(header, 0x28);
    let shentsize = u64::from(le_u16(header, 0x3a));
    let mut shnum = u64::from(le_u16(header, 0x3c));
    let shstrndx = le_u16(header, 0x3e);
    if shoff == 0 {
        return Err(ElfError::NoDynsym);
    }
    if shentsize < SHDR_SIZE as u64 {
        return Err(ElfError::Truncated("the section header table"));
    }
    let read = |i: u64| -> Result<Section, ElfError> {
        let at = i
            .checked_mul(shentsize)
            .and_then(|off| off.checked_add(shoff))
            .ok_or(ElfError::Truncated("the section header table"))?;
        let rec = bytes.slice(at, SHDR_SIZE as u64, "the section header table")?;
        // Elf64_Shdr: sh_name u32, sh_type u32, sh_flags u64, sh_addr u64,
        // sh_offset u64, sh_size u64, sh_link u32, sh_info u32,
        // sh_addralign u64, sh_entsize u64.
        Ok(Section {
            kind: le_u32(rec, 4),
            offset: le_u64(rec, 24),
            size: le_u64(rec, 32),
            link: le_u32(rec, 40),
            entsize: le_u64(rec, 56),
        })
    };
    if shnum == 0 || shstrndx == SHN_XINDEX {
        let first = read(0)?;
        if shnum == 0 {
            shnum = first.size;
        }
    }
    // Each header takes 64 bytes of the file: a count the file cannot hold
    // is damage, refused before allocating for it.
    if shnum.saturating_mul(shentsize) > bytes.0.len() as u64 {
        return Err(ElfError::Truncated("the section header table"));
    }
    (0..shnum).map(read).collect()
}

/// The NUL-terminated string at `at` in a string table.
fn c_string(table: &[u8], at: u32) -> Result<String, ElfError> {
    let rest = table
        .get(at as usize..)
        .ok_or(ElfError::Truncated("a symbol name"))?;
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(ElfError::Truncated("a symbol name"))?;
    Ok(String::from_utf8_lossy(&rest[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::process::Command;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("{path} is needed by this test: {e}"))
    }

    /// `readelf --dyn-syms` names, split into (imports, exports).
    fn readelf(path: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let out = Command::new("readelf")
            .args(["--dyn-syms", "-W", path])
            .output()
            .expect("readelf (binutils) is needed by this test to cross-check the parser");
        assert!(out.status.success(), "readelf failed on {path}");
        let (mut imports, mut exports) = (BTreeSet::new(), BTreeSet::new());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            // Num: Value Size Type Bind Vis Ndx Name [(version)]
            if f.len() < 8 || !f[0].ends_with(':') || !matches!(f[4], "GLOBAL" | "WEAK") {
                continue;
            }
            let name = f[7].split('@').next().unwrap_or("").to_string();
            if f[6] == "UND" {
                imports.insert(name);
            } else {
                exports.insert(name);
            }
        }
        (imports, exports)
    }

    fn names(syms: &[Symbol], keep: impl Fn(&Symbol) -> bool) -> BTreeSet<String> {
        syms.iter()
            .filter(|s| keep(s))
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn bin_true_imports_match_readelf() {
        let syms = dynamic_symbols(&read("/bin/true")).unwrap();
        assert_eq!(syms[0].name, "", "entry 0 is the null symbol");
        let imports = names(&syms, Symbol::is_import);
        assert!(imports.contains("__libc_start_main"), "{imports:?}");
        assert_eq!(
            (imports, names(&syms, Symbol::is_export)),
            readelf("/bin/true")
        );
        let start = syms.iter().find(|s| s.name == "__libc_start_main").unwrap();
        assert_eq!(
            (start.kind, start.binding),
            (SymKind::Func, Binding::Global)
        );
    }

    #[test]
    fn shared_library_exports_match_readelf() {
        let path = "/lib/x86_64-linux-gnu/libc.so.6";
        let syms = dynamic_symbols(&read(path)).unwrap();
        let exports = names(&syms, Symbol::is_export);
        assert!(exports.contains("printf") && exports.contains("malloc"));
        assert_eq!((names(&syms, Symbol::is_import), exports), readelf(path));
    }

    #[test]
    fn refuses_what_is_not_elf64_le() {
        assert_eq!(dynamic_symbols(b""), Err(ElfError::NotElf));
        assert_eq!(
            dynamic_symbols(b"#!/bin/sh\necho hi\n"),
            Err(ElfError::NotElf)
        );
        let mut header = read("/bin/true");
        header.truncate(EHDR_SIZE);
        header[4] = 1;
        assert!(matches!(
            dynamic_symbols(&header),
            Err(ElfError::Unsupported(_))
        ));
        header[4] = 2;
        header[5] = 2;
        assert!(matches!(
            dynamic_symbols(&header),
            Err(ElfError::Unsupported(_))
        ));
        assert!(matches!(
            dynamic_symbols(&header[..20]),
            Err(ElfError::Truncated(_))
        ));
    }

    #[test]
    fn truncated_files_are_errors_not_panics() {
        let data = read("/bin/true");
        // Every prefix is either parsed (never, the tables are at the end)
        // or refused; none panics.
        for len in (0..data.len()).step_by(97).chain([data.len() - 1]) {
            assert!(
                dynamic_symbols(&data[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        // Section headers pointing far away.
        let mut bad = data.clone();
        bad[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(dynamic_symbols(&bad), Err(ElfError::Truncated(_))));
        // No section headers at all.
        let mut none = data;
        none[0x28..0x30].copy_from_slice(&0u64.to_le_bytes());
        assert_eq!(dynamic_symbols(&none), Err(ElfError::NoDynsym));
    }
}
