//! Hash sets: known-good, known-bad and notable digests (NSRL, a lab's own
//! lists, partner agencies' lists), kept in a store folder outside any case.
//!
//! A store holds one folder per set: `set.json` (what was imported, from
//! where, when, and a SHA-256 of every data file) and, per algorithm, a
//! sorted, de-duplicated file of raw fixed-width digests (`sha256.bin` …),
//! so a lookup is a binary search and a 100-million-entry set never has to
//! be held in memory. The format is specified in `docs/guide/hashsets.md`.
//!
//! ```no_run
//! use custodian::hashset::{Kind, Store};
//! use custodian::hashing::Algorithm;
//! # fn main() -> Result<(), custodian::hashset::StoreError> {
//! let store = Store::open(std::path::Path::new("/srv/hashsets"))?;
//! let known_good = store.matcher(&[Kind::KnownGood])?;
//! let digest = [0u8; 32];
//! if known_good.contains(Algorithm::Sha256, &digest)? {
//!     println!("known good");
//! }
//! # Ok(()) }
//! ```

mod extsort;
mod import;
pub mod matching;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::hashing::Algorithm;

pub use import::{read_source, SourceDigests};
pub use import::{Column, DigestTextError, ImportOptions};

/// Version of the store layout (`set.json` `format_version`).
pub const STORE_FORMAT_VERSION: u32 = 1;

/// The metadata file of every set.
pub const META_FILE: &str = "set.json";

/// Environment variable naming the store folder.
pub const STORE_ENV: &str = "CUSTODIAN_HASHSETS";

/// Digests per block of the in-memory sparse index of a large data file: a
/// lookup reads one block (4 KiB of sha256 digests) after a binary search
/// of the index, which holds one digest per block (1/128 of the file).
const BLOCK: usize = 128;

/// Data files up to this size are read whole into memory by a matcher.
const IN_MEMORY_MAX: u64 = 16 << 20;

/// What a set says about a file that is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Files known to be harmless and uninteresting (operating system and
    /// application files, e.g. NSRL): marked, and may be hidden.
    KnownGood,
    /// Files known to be contraband or malicious: every match is a finding.
    KnownBad,
    /// Files an investigation wants to notice: every match is a finding.
    Notable,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::KnownGood, Kind::KnownBad, Kind::Notable];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::KnownGood => "known-good",
            Kind::KnownBad => "known-bad",
            Kind::Notable => "notable",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hash-set kind, source format or CSV column given as text that names
/// none (`FromStr` of [`Kind`], [`SourceFormat`] and [`Column`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown hash-set kind {given:?}; expected known-good, known-bad or notable")]
    Kind { given: String },
    #[error(
        "unknown hash-set format {given:?}; expected plain, sum, hashdeep, dfxml, csv or nsrl-rds3"
    )]
    Format { given: String },
    #[error("column number {given:?} must be 1 or more")]
    ColumnNumber { given: String },
    #[error("an empty column name")]
    EmptyColumn,
}

impl std::str::FromStr for Kind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Kind, ParseError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseError::Kind {
                given: s.to_string(),
            })
    }
}

/// The formats a set can be imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// One hex digest a line.
    Plain,
    /// GNU `sha256sum`/`md5sum`/`sha1sum` lines or BSD tagged lines.
    Sum,
    Hashdeep,
    Dfxml,
    /// A CSV file, digests in one chosen column.
    Csv,
    /// NIST NSRL RDSv3 SQLite database (table `FILE`).
    NsrlRds3,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 6] = [
        SourceFormat::Plain,
        SourceFormat::Sum,
        SourceFormat::Hashdeep,
        SourceFormat::Dfxml,
        SourceFormat::Csv,
        SourceFormat::NsrlRds3,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Plain => "plain",
            SourceFormat::Sum => "sum",
            SourceFormat::Hashdeep => "hashdeep",
            SourceFormat::Dfxml => "dfxml",
            SourceFormat::Csv => "csv",
            SourceFormat::NsrlRds3 => "nsrl-rds3",
        }
    }
}

impl std::str::FromStr for SourceFormat {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<SourceFormat, ParseError> {
        SourceFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ParseError::Format {
                given: s.to_string(),
            })
    }
}

/// The imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The file's name (without its folder).
    pub file_name: String,
    /// Lowercase hex SHA-256 of the file's bytes as imported.
    pub sha256: String,
    pub bytes: u64,
    pub format: SourceFormat,
    /// Digests read from it (before de-duplication), all algorithms.
    pub digests_read: u64,
}

/// One data file of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// File name inside the set's folder, `ALGORITHM.bin`.
    pub file: String,
    /// Bytes per digest.
    pub width: u32,
    /// Distinct digests (the file is `count × width` bytes).
    pub count: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

/// `set.json`: everything known about one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMeta {
    pub format_version: u32,
    pub name: String,
    pub kind: Kind,
    /// The set's release, as given with `--version` or read from the source
    /// (NSRL `VERSION` table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub source: Source,
    /// When it was imported (ledger time form).
    pub imported: String,
    /// Algorithm name → data file.
    pub algorithms: BTreeMap<String, DataFile>,
}

impl SetMeta {
    /// Distinct digests per algorithm name.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.algorithms
            .iter()
            .map(|(a, d)| (a.clone(), d.count))
            .collect()
    }
}

/// What went wrong with a store, naming the file (and line) concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}", path = .path.display())]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}", path = .path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    List(#[from] crate::hashlist::HashListError),
    #[error("{path}: hash-set data file does not match its set.json ({message}); the store was altered or damaged: import the set again, replacing it", path = .path.display())]
    Tampered { path: PathBuf, message: String },
    #[error("no hash set named {name:?} in the store {dir}", dir = .dir.display())]
    NoSuchSet { dir: PathBuf, name: String },
    #[error("a hash set named {name:?} already exists in {dir}", dir = .dir.display())]
    Exists { dir: PathBuf, name: String },
    #[error("invalid hash-set name {name:?}: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")]
    BadName { name: String },
    /// A CSV column was named for a source that is not CSV.
    #[error("a column applies only to a CSV source")]
    ColumnWithoutCsv,
    /// A CSV source without the column that holds the digests.
    #[error("a CSV source needs the name or number of the column holding the digests")]
    CsvNeedsColumn,
}

pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks a set name: it names a folder, so it is kept to letters, digits,
/// `.`, `_` and `-` (not starting with `.`), at most 64.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    crate::ledger::validate_exhibit_id(name)
        .map(|_| ())
        .map_err(|_| StoreError::BadName {
            name: name.to_string(),
        })
}

/// The default store: `$XDG_DATA_HOME/custodian/hashsets`, else
/// `~/.local/share/custodian/hashsets`.
pub fn default_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .map(|h| h.join(".local/share"))
    })?;
    Some(base.join("custodian/hashsets"))
}

/// A store folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// One set in a store.
#[derive(Debug, Clone)]
pub struct StoredSet {
    pub dir: PathBuf,
    pub meta: SetMeta,
}

impl Store {
    /// Opens an existing store folder.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let md = std::fs::metadata(dir).map_err(io_err(dir))?;
        if !md.is_dir() {
            return Err(StoreError::Invalid {
                path: dir.to_path_buf(),
                message: "not a folder".into(),
            });
        }
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// Opens a store folder, creating it (and its parents) if needed.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        Store::open(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every set, by name. Folders starting with `.` (imports in progress)
    /// are ignored.
    pub fn list(&self) -> Result<Vec<StoredSet>, StoreError> {
        let mut names = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let e = e.map_err(io_err(&self.dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !e.path().is_dir() {
                continue;
            }
            names.push(name);
        }
        names.sort();
        names.iter().map(|n| self.get(n)).collect()
    }

    /// One set's metadata (its data files are checked by [`StoredSet::check`]
    /// and when a matcher opens them).
    pub fn get(&self, name: &str) -> Result<StoredSet, StoreError> {
        validate_name(name)?;
        let dir = self.dir.join(name);
        let meta_path = dir.join(META_FILE);
        let bytes = match std::fs::read(&meta_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => {
                return Err(StoreError::NoSuchSet {
                    dir: self.dir.clone(),
                    name: name.to_string(),
                })
            }
            Err(e) => return Err(io_err(&meta_path)(e)),
        };
        let meta: SetMeta = serde_json::from_slice(&bytes).map_err(|e| StoreError::Invalid {
            path: meta_path.clone(),
            message: format!("not a hash-set description: {e}"),
        })?;
        let invalid = |message: String| StoreError::Invalid {
            path: meta_path.clone(),
            message,
        };
        if meta.format_version != STORE_FORMAT_VERSION {
            return Err(invalid(format!(
                "store format version {} is not supported (this build reads {STORE_FORMAT_VERSION})",
                meta.format_version
            )));
        }
        if meta.name != name {
            return Err(invalid(format!(
                "names the set {:?}, but lies in folder {name:?}",
                meta.name
            )));
        }
        for (algo, d) in &meta.algorithms {
            let a: Algorithm = algo
                .parse()
                .map_err(|_| invalid(format!("unknown algorithm {algo:?}")))?;
            if d.width as usize * 2 != a.hex_len() || d.file != format!("{algo}.bin") {
                return Err(invalid(format!(
                    "data file of {algo} must be {algo}.bin with {} bytes per digest",
                    a.hex_len() / 2
                )));
            }
        }
        Ok(StoredSet { dir, meta })
    }

    /// Removes a set (its folder is first renamed aside, so a reader never
    /// sees half a set).
    pub fn remove(&self, name: &str) -> Result<SetMeta, StoreError> {
        let set = self.get(name)?;
        let aside = self
            .dir
            .join(format!(".remove-{name}-{}", std::process::id()));
        std::fs::rename(&set.dir, &aside).map_err(io_err(&set.dir))?;
        sync_dir(&self.dir)?;
        std::fs::remove_dir_all(&aside).map_err(io_err(&aside))?;
        Ok(set.meta)
    }

    /// Imports `source` as a new set (see [`ImportOptions`]). Nothing is
    /// visible in the store until the whole set is written and synced.
    pub fn import(&self, source: &Path, opts: &ImportOptions) -> Result<SetMeta, StoreError> {
        import::import(self, source, opts)
    }

    /// A matcher over every set of the given kinds (all sets if `kinds` is
    /// empty). Every data file is checked against its `set.json` first.
    pub fn matcher(&self, kinds: &[Kind]) -> Result<Matcher, StoreError> {
        let sets = self
            .list()?
            .into_iter()
            .filter(|s| kinds.is_empty() || kinds.contains(&s.meta.kind))
            .collect::<Vec<_>>();
        Matcher::load(sets)
    }

    /// A matcher over the named sets (all sets if `names` is empty).
    pub fn matcher_for(&self, names: &[String]) -> Result<Matcher, StoreError> {
        if names.is_empty() {
            return self.matcher(&[]);
        }
        let sets = names
            .iter()
            .map(|n| self.get(n))
            .collect::<Result<Vec<_>, _>>()?;
        Matcher::load(sets)
    }
}

/// fsyncs a folder so the names created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl StoredSet {
    /// Checks every data file against `set.json`: size, SHA-256, and
    /// strictly ascending order. Returns the first problem found.
    pub fn check(&self) -> Result<(), StoreError> {
        for algo in self.meta.algorithms.keys() {
            self.open_column(algo)?;
        }
        Ok(())
    }

    /// Reads one data file, checking it, into a lookup structure.
    fn open_column(&self, algo: &str) -> Result<SortedDigests, StoreError> {
        let d = &self.meta.algorithms[algo];
        let path = self.dir.join(&d.file);
        let tampered = |message: String| StoreError::Tampered {
            path: path.clone(),
            message,
        };
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(tampered("the file is missing".into()))
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let width = d.width as usize;
        let len = f.metadata().map_err(io_err(&path))?.len();
        if len != d.count * width as u64 {
            return Err(tampered(format!(
                "{len} bytes, expected {} digests of {width} bytes",
                d.count
            )));
        }
        let in_memory = len <= IN_MEMORY_MAX;
        let mut all = Vec::new();
        let mut fence = Vec::new();
        let mut h = Sha256::new();
        let mut buf = vec![0u8; BLOCK * width];
        let mut prev: Vec<u8> = Vec::new();
        let mut left = len as usize;
        while left > 0 {
            let n = left.min(buf.len());
            f.read_exact(&mut buf[..n]).map_err(io_err(&path))?;
            h.update(&buf[..n]);
            for rec in buf[..n].chunks_exact(width) {
                if !prev.is_empty() && rec <= prev.as_slice() {
                    return Err(tampered(
                        "digests are not in strictly ascending order".into(),
                    ));
                }
                prev.clear();
                prev.extend_from_slice(rec);
            }
            fence.extend_from_slice(&buf[..width]);
            if in_memory {
                all.extend_from_slice(&buf[..n]);
            }
            left -= n;
        }
        let found = hex::encode(h.finalize());
        if found != d.sha256 {
            return Err(tampered(format!("SHA-256 {found}, recorded {}", d.sha256)));
        }
        Ok(if in_memory {
            SortedDigests::Memory { width, data: all }
        } else {
            SortedDigests::File {
                width,
                count: d.count as usize,
                file: f,
                fence,
                path,
            }
        })
    }
}

/// One algorithm's sorted digests, ready for lookups.
#[derive(Debug)]
enum SortedDigests {
    Memory {
        width: usize,
        data: Vec<u8>,
    },
    /// A large file: `fence` holds the first digest of every block of
    /// [`BLOCK`] digests; a lookup searches it, then reads one block.
    File {
        width: usize,
        count: usize,
        file: File,
        fence: Vec<u8>,
        path: PathBuf,
    },
}

fn search(data: &[u8], width: usize, key: &[u8]) -> bool {
    let (mut lo, mut hi) = (0usize, data.len() / width);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match data[mid * width..(mid + 1) * width].cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

impl SortedDigests {
    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        match self {
            SortedDigests::Memory { width, data } => {
                Ok(key.len() == *width && search(data, *width, key))
            }
            SortedDigests::File {
                width,
                count,
                file,
                fence,
                path,
            } => {
                let width = *width;
                if key.len() != width {
                    return Ok(false);
                }
                // The last block whose first digest is <= key.
                let blocks = fence.len() / width;
                let (mut lo, mut hi) = (0usize, blocks);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if &fence[mid * width..(mid + 1) * width] <= key {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                if lo == 0 {
                    return Ok(false);
                }
                let block = lo - 1;
                let first = block * BLOCK;
                let n = BLOCK.min(count - first);
                let mut buf = [0u8; BLOCK * 64];
                let buf = &mut buf[..n * width];
                file.read_exact_at(buf, (first * width) as u64)
                    .map_err(io_err(path))?;
                Ok(search(buf, width, key))
            }
        }
    }
}

/// Looks digests up in a chosen group of sets.
#[derive(Debug)]
pub struct Matcher {
    sets: Vec<(SetMeta, BTreeMap<Algorithm, SortedDigests>)>,
}

impl Matcher {
    fn load(sets: Vec<StoredSet>) -> Result<Matcher, StoreError> {
        let mut out = Vec::new();
        for s in sets {
            let mut cols = BTreeMap::new();
            for algo in s.meta.algorithms.keys() {
                let a: Algorithm = algo.parse().map_err(|_| StoreError::Invalid {
                    path: s.dir.join(META_FILE),
                    message: format!("unknown algorithm {algo:?}"),
                })?;
                cols.insert(a, s.open_column(algo)?);
            }
            out.push((s.meta, cols));
        }
        Ok(Matcher { sets: out })
    }

    /// The sets this matcher looks in, by name.
    pub fn sets(&self) -> impl Iterator<Item = &SetMeta> {
        self.sets.iter().map(|(m, _)| m)
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// Whether any set holds `digest` (raw bytes) for `algo`.
    pub fn contains(&self, algo: Algorithm, digest: &[u8]) -> Result<bool, StoreError> {
        for (_, cols) in &self.sets {
            if let Some(c) = cols.get(&algo) {
                if c.contains(digest)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Every set that holds `digest` for `algo`.
    pub fn lookup(&self, algo: Algorithm, digest: &[u8]) -> Result<Vec<&SetMeta>, StoreError> {
        let mut out = Vec::new();
        for (meta, cols) in &self.sets {
            if let Some(c) = cols.get(&algo) {
                if c.contains(digest)? {
                    out.push(meta);
                }
            }
        }
        Ok(out)
    }

    /// Whether set number `i` (in [`Matcher::sets`] order) holds `digest`.
    pub(crate) fn set_contains(
        &self,
        i: usize,
        algo: Algorithm,
        digest: &[u8],
    ) -> Result<bool, StoreError> {
        match self.sets[i].1.get(&algo) {
            Some(c) => c.contains(digest),
            None => Ok(false),
        }
    }
}

/// Writes `bytes` to `path` (a new file) and fsyncs it.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create_new(path).map_err(io_err(path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io_err(path))
}
