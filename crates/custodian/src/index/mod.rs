//! The cross-case index: every file digest of every indexed exhibit, so a
//! lab can ask which cases hold the same file, and exchange blinded digest
//! lists with a partner agency ([`blinded`]).
//!
//! One trait ([`Backend`]), two stores: SQLite ([`sqlite`], the embedded
//! default, one file in WAL mode) and PostgreSQL (`pg`, for a lab-wide
//! store with billions of rows; only with the cargo feature `postgres`).
//! [`open`] picks one from a location: a `postgres://` URL or a file path.
//! Both render one schema description (`schema`). The schema and the
//! commands are specified in `docs/guide/cross-case.md`.
//!
//! Only manifests bound to a verified ledger are indexed: [`add_case`]
//! verifies the case's ledger first, then re-hashes each manifest while
//! reading it and commits its rows only if the bytes read hash to the
//! SHA-256 recorded in the signed `exhibit.acquire` entry.

pub mod blinded;
#[cfg(feature = "postgres")]
pub mod pg;
mod record;
mod schema;
pub mod sqlite;
pub mod words;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::hashing::{Algorithm, Header, MAX_LINE_BYTES};
use crate::ledger::{self, LedgerError, VerifyOptions};

/// Version of the PostgreSQL index schema (`docs/guide/cross-case.md`), stored in
/// the index's `meta` table. Version 2 dropped the foreign key of
/// `files.exhibit_ref`; version 3 added the words of exhibits (`texts`,
/// `tokens`, for `index find`). A version-1 or -2 index is migrated in
/// place when opened; an index of another version is refused. The SQLite
/// store has its own, [`sqlite::SCHEMA_VERSION`].
pub const SCHEMA_VERSION: u32 = 3;

/// The digest algorithms the index keeps, one column each.
pub const ALGORITHMS: [Algorithm; 6] = Algorithm::ALL;

/// What went wrong, naming the index, case, manifest and line.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index {index}: {message}")]
    Store { index: String, message: String },
    #[error("cannot connect to PostgreSQL server {server}: {message}")]
    Connect { server: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("case {}: {source}", path.display())]
    Case {
        path: PathBuf,
        #[source]
        source: LedgerError,
    },
    /// A `postgres://` index asked of a custodian built without the cargo
    /// feature `postgres`.
    #[error(
        "this custodian was built without PostgreSQL support (cargo feature `postgres`): \
         use a SQLite index file, or a custodian built with that feature"
    )]
    NoPostgres,
    /// A shared key file that holds no key (not hex, or too short).
    #[error("{}:1: {error}", path.display())]
    BlindingKey {
        path: PathBuf,
        error: blinded::BlindingKeyError,
    },
    /// A blinded digest list that is not one, at `error.line`.
    #[error("{}:{}: {}", path.display(), error.line, error.problem)]
    Blinded {
        path: PathBuf,
        error: blinded::BlindedError,
    },
    /// An output file that already exists (never overwritten).
    #[error("{}: already exists; refusing to overwrite it", path.display())]
    Exists { path: PathBuf },
    /// A digest as typed by the user that names no digest.
    #[error("digest {given:?}: {why}")]
    BadDigest { given: String, why: &'static str },
    /// A manifest that is not as its ledger entry records: the exhibit is
    /// skipped, never indexed from bytes nobody signed.
    #[error("{0}")]
    NotAsRecorded(String),
}

impl IndexError {
    fn io(path: &Path, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// "Is this digest in a known-good set?" Known-good files (operating
/// system and application files, e.g. NSRL) are ignored by `links`,
/// `search`, `export-blinded` and `match-blinded`: two cases sharing
/// `kernel32.dll` is not a lead.
pub trait KnownGood {
    fn is_known_good(&self, algo: Algorithm, digest: &[u8]) -> bool;
}

impl<F: Fn(Algorithm, &[u8]) -> bool> KnownGood for F {
    fn is_known_good(&self, algo: Algorithm, digest: &[u8]) -> bool {
        self(algo, digest)
    }
}

/// No known-good set.
pub struct NoKnownGood;

impl KnownGood for NoKnownGood {
    fn is_known_good(&self, _: Algorithm, _: &[u8]) -> bool {
        false
    }
}

/// A known-good set held in memory (e.g. built from hash lists).
#[derive(Debug, Default, Clone)]
pub struct DigestSet(HashSet<(Algorithm, Vec<u8>)>);

impl DigestSet {
    pub fn insert(&mut self, algo: Algorithm, digest: Vec<u8>) {
        self.0.insert((algo, digest));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl KnownGood for DigestSet {
    fn is_known_good(&self, algo: Algorithm, digest: &[u8]) -> bool {
        self.0.contains(&(algo, digest.to_vec()))
    }
}

/// A case as the index knows it. `key` is the hash of the ledger's entry 0,
/// which names the case whatever its folder is called or where it moves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CaseRef {
    pub key: String,
    pub case_id: String,
    pub dir: String,
}

/// An exhibit about to be (re)indexed.
#[derive(Debug, Clone)]
pub struct ExhibitRef {
    pub exhibit: String,
    /// Hex SHA-256 of the manifest, as the signed entry records it.
    pub manifest_sha256: String,
    pub acquired_seq: u64,
}

/// One regular file of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// Root as given at acquisition, `/`, then the path under it (lossy
    /// text for names that are not UTF-8).
    pub path: String,
    pub size: Option<u64>,
    /// Digest bytes by algorithm, in [`ALGORITHMS`] order.
    pub digests: [Option<DigestBytes>; 6],
}

/// A digest's bytes held in place (at most 64, SHA-512's length), so that
/// the ten million rows of a big load cost no allocation per digest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DigestBytes {
    len: u8,
    bytes: [u8; 64],
}

impl DigestBytes {
    /// The digest `d`; `None` if longer than 64 bytes.
    pub fn new(d: &[u8]) -> Option<DigestBytes> {
        let mut bytes = [0u8; 64];
        bytes.get_mut(..d.len())?.copy_from_slice(d);
        Some(DigestBytes {
            len: d.len() as u8,
            bytes,
        })
    }

    /// `hexd` as a digest of `algo`; `None` unless it is hex of the length
    /// `algo` gives.
    /// (Upper- and lowercase, as the `hex` crate reads them; by table:
    /// this runs for every digest of a ten-million-line load.)
    fn from_hex(algo: Algorithm, hexd: &str) -> Option<DigestBytes> {
        let len = algo.hex_len() / 2;
        let pairs = hexd.as_bytes();
        if pairs.len() != 2 * len {
            return None;
        }
        let mut bytes = [0u8; 64];
        let mut bad = 0u8;
        for (out, pair) in bytes.iter_mut().zip(pairs.chunks_exact(2)) {
            let (hi, lo) = (
                HEX_VALUE[usize::from(pair[0])],
                HEX_VALUE[usize::from(pair[1])],
            );
            bad |= hi | lo;
            *out = (hi << 4) | (lo & 0x0f);
        }
        (bad & 0x80 == 0).then_some(DigestBytes {
            len: len as u8,
            bytes,
        })
    }
}

/// The value of each hex digit; 0x80 for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

impl std::ops::Deref for DigestBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for DigestBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(&**self))
    }
}

/// One place a digest was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hit {
    #[serde(serialize_with = "ser_algo")]
    pub algorithm: Algorithm,
    #[serde(serialize_with = "ser_hex")]
    pub digest: Vec<u8>,
    pub case_id: String,
    pub case_key: String,
    pub case_dir: String,
    pub exhibit: String,
    pub path: String,
    pub size: Option<u64>,
}

fn ser_algo<S: serde::Serializer>(a: &Algorithm, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.name())
}

fn ser_hex<S: serde::Serializer>(d: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(d))
}

/// Totals of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub cases: u64,
    pub exhibits: u64,
    pub files: u64,
}

/// Receives the rows of one exhibit; see [`Backend::replace_exhibit`].
pub type RowSink<'a> = dyn FnMut(FileRow) -> Result<(), IndexError> + 'a;
/// Produces the rows of one exhibit into a sink.
pub type RowSource<'a> = dyn FnMut(&mut RowSink<'_>) -> Result<(), IndexError> + 'a;

/// An index store. Both backends pass the same test suite
/// (`tests/cli_index.rs`).
pub trait Backend {
    /// The store, for messages (a path, or `postgres://user@host:port/db`
    /// without the password).
    fn describe(&self) -> String;

    /// The manifest SHA-256 under which `exhibit` of case `case_key` was
    /// indexed, if it was.
    fn indexed_manifest(
        &mut self,
        case_key: &str,
        exhibit: &str,
    ) -> Result<Option<String>, IndexError>;

    /// In one transaction: records the case, removes what was indexed for
    /// the exhibit before, and inserts the rows `rows` produces. If `rows`
    /// fails (e.g. the manifest did not hash to the recorded digest), the
    /// transaction is rolled back and the index is as it was. Returns the
    /// number of rows inserted.
    fn replace_exhibit(
        &mut self,
        case: &CaseRef,
        exhibit: &ExhibitRef,
        rows: &mut RowSource<'_>,
    ) -> Result<u64, IndexError>;

    /// Every place each of `digests` is found, in no particular order.
    fn lookup(&mut self, digests: &[(Algorithm, Vec<u8>)]) -> Result<Vec<Hit>, IndexError>;

    /// Every place of every `algo` digest held by more than one case; with
    /// `case_key`, only digests that case holds.
    fn shared(&mut self, algo: Algorithm, case_key: Option<&str>) -> Result<Vec<Hit>, IndexError>;

    /// Calls `f` with each distinct `algo` digest in the index.
    fn for_each_digest(
        &mut self,
        algo: Algorithm,
        f: &mut dyn FnMut(&[u8]) -> Result<(), IndexError>,
    ) -> Result<(), IndexError>;

    /// Cases whose id or folder is `name`.
    fn find_cases(&mut self, name: &str) -> Result<Vec<CaseRef>, IndexError>;

    fn stats(&mut self) -> Result<Stats, IndexError>;

    /// In one transaction: records the case and replaces the texts (and
    /// their words) kept for `exhibit` of it by `texts`.
    fn replace_texts(
        &mut self,
        case: &CaseRef,
        exhibit: &str,
        texts: &[words::TextRow],
    ) -> Result<(), IndexError>;

    /// Every text holding the word `word` (with `prefix`: a word starting
    /// with it, compared byte for byte), in no particular order.
    fn texts_with_word(
        &mut self,
        word: &str,
        prefix: bool,
    ) -> Result<Vec<words::Found>, IndexError>;

    /// About `rows` rows are about to be added in several transactions. A
    /// store may drop its digest indexes when that is more than it holds,
    /// to build them once in [`Backend::bulk_end`] (much faster than row
    /// by row). Indexes are only for speed: results are the same meanwhile,
    /// and a store re-creates missing indexes whenever it is opened.
    fn bulk_begin(&mut self, rows: u64) -> Result<(), IndexError> {
        let _ = rows;
        Ok(())
    }

    /// Rebuilds whatever [`Backend::bulk_begin`] dropped.
    fn bulk_end(&mut self) -> Result<(), IndexError> {
        Ok(())
    }
}

/// Opens (creating if needed) the index at `location`: a `postgres://` or
/// `postgresql://` URL, or a SQLite file path. A URL is refused with
/// [`IndexError::NoPostgres`] when the crate is built without the feature
/// `postgres` (never taken for a file name).
pub fn open(location: &str) -> Result<Box<dyn Backend>, IndexError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        open_postgres(location)
    } else {
        Ok(Box::new(sqlite::SqliteIndex::open(Path::new(location))?))
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Box<dyn Backend>, IndexError> {
    Ok(Box::new(pg::PgIndex::connect(url)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Box<dyn Backend>, IndexError> {
    Err(IndexError::NoPostgres)
}

/// The default index location: `$XDG_DATA_HOME/custodian/index.sqlite`,
/// else `$HOME/.local/share/custodian/index.sqlite`.
pub fn default_location() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share")
        }
    };
    Some(base.join("custodian/index.sqlite"))
}

/// What happened to one exhibit in [`add_case`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum ExhibitOutcome {
    /// Indexed now (new, or its manifest changed since).
    Indexed { files: u64 },
    /// Already indexed under the same manifest SHA-256.
    Unchanged,
    /// Not indexed: the manifest is not as the signed entry records it.
    Skipped { reason: String },
}

/// What [`add_case`] did with one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseOutcome {
    pub dir: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Set when the whole case was skipped (its ledger does not verify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub exhibits: BTreeMap<String, ExhibitOutcome>,
}

impl CaseOutcome {
    /// True when something was not indexed because it is not as recorded.
    pub fn has_skips(&self) -> bool {
        self.skipped.is_some()
            || self
                .exhibits
                .values()
                .any(|o| matches!(o, ExhibitOutcome::Skipped { .. }))
    }
}

/// A case checked and ready to index: see [`plan_case`].
#[derive(Debug)]
pub struct CasePlan {
    dir: PathBuf,
    case: Option<CaseRef>,
    outcome: CaseOutcome,
    /// Exhibits to (re)index, with the file count their entry records.
    todo: Vec<(ExhibitRef, crate::ledger::ManifestRef, u64)>,
    /// The texts of every exhibit of the verified ledger ([`words`]),
    /// written for each exhibit whatever its manifest: they come from the
    /// signed entries, not from the manifest.
    texts: BTreeMap<String, Vec<words::TextRow>>,
}

impl CasePlan {
    /// Rows the plan will add, as the signed entries count them.
    pub fn files(&self) -> u64 {
        self.todo.iter().map(|t| t.2).sum()
    }
}

/// Indexes the manifests of the case in `dir`: [`plan_case`] then
/// [`apply_plan`].
pub fn add_case(
    index: &mut dyn Backend,
    dir: &Path,
    opts: &VerifyOptions,
) -> Result<CaseOutcome, IndexError> {
    let plan = plan_case(index, dir, opts)?;
    apply_plan(index, plan)
}

/// Indexes several cases: every case is verified and planned first, so that
/// a large load can tell the store to build its digest indexes once at the
/// end ([`Backend::bulk_begin`]) rather than row by row. A case that cannot
/// be read is an `Err` in its place; the others go on.
pub fn add_cases(
    index: &mut dyn Backend,
    dirs: &[PathBuf],
    opts: &VerifyOptions,
) -> Result<Vec<Result<CaseOutcome, IndexError>>, IndexError> {
    let mut plans = Vec::new();
    for dir in dirs {
        match plan_case(index, dir, opts) {
            Ok(p) => plans.push(Ok(p)),
            Err(e @ IndexError::Case { .. }) => plans.push(Err(e)),
            Err(e) => return Err(e),
        }
    }
    let rows: u64 = plans.iter().flatten().map(CasePlan::files).sum();
    index.bulk_begin(rows)?;
    let mut out = Vec::new();
    let mut failed = None;
    for p in plans {
        match p {
            Ok(p) => match apply_plan(index, p) {
                Ok(o) => out.push(Ok(o)),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            },
            Err(e) => out.push(Err(e)),
        }
    }
    // Rebuild what bulk_begin dropped even when a load failed half way.
    index.bulk_end()?;
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Verifies the case in `dir` and decides what to index.
///
/// The ledger is verified first (signatures, chain, rules; with
/// `opts.trusted_roots` if given); a ledger with any error is not indexed
/// at all, and the outcome says why. Each exhibit whose manifest SHA-256 is
/// already in the index is skipped as unchanged.
///
/// Errors are operational (unreadable case, the store failing); a ledger
/// or manifest that is not as recorded is an outcome, not an error.
pub fn plan_case(
    index: &mut dyn Backend,
    dir: &Path,
    opts: &VerifyOptions,
) -> Result<CasePlan, IndexError> {
    let case_err = |source| IndexError::Case {
        path: dir.to_path_buf(),
        source,
    };
    let case = crate::Case::open(dir).map_err(case_err)?;
    let raw = case.ledger().read_raw().map_err(case_err)?;
    let report = ledger::verify::verify_raw(&raw, opts);
    let mut plan = CasePlan {
        dir: dir.to_path_buf(),
        case: None,
        outcome: CaseOutcome {
            dir: dir.display().to_string(),
            case_id: report.state.case.as_ref().map(|c| c.case_id.to_string()),
            skipped: None,
            exhibits: BTreeMap::new(),
        },
        todo: Vec::new(),
        texts: BTreeMap::new(),
    };
    if let Some(p) = report.errors().next() {
        let more = report.errors().count() - 1;
        let at = p.entry.map(|s| format!("entry {s}: ")).unwrap_or_default();
        plan.outcome.skipped = Some(format!(
            "the ledger does not verify ({at}{}{}); nothing indexed, run `custodian verify`",
            p.message,
            if more > 0 {
                format!(" and {more} more problem(s)")
            } else {
                String::new()
            }
        ));
        return Ok(plan);
    }
    let (Some(open), true) = (report.state.case.as_ref(), !raw.lines.is_empty()) else {
        plan.outcome.skipped = Some("the ledger has no case.open entry".into());
        return Ok(plan);
    };
    let case_ref = CaseRef {
        key: ledger::entry_hash(raw.line(0)).to_hex(),
        case_id: open.case_id.to_string(),
        dir: std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string(),
    };
    let mut texts = words::exhibit_texts(&raw, &report.state);
    for id in report.state.exhibits.keys() {
        let id = id.to_string();
        let t = texts.remove(&id).unwrap_or_default();
        plan.texts.insert(id, t);
    }
    for (id, ex) in &report.state.exhibits {
        let m = &ex.acquisition.manifest;
        if index.indexed_manifest(&case_ref.key, id)?.as_deref() == Some(m.sha256.as_str()) {
            plan.outcome
                .exhibits
                .insert(id.to_string(), ExhibitOutcome::Unchanged);
            continue;
        }
        plan.todo.push((
            ExhibitRef {
                exhibit: id.to_string(),
                manifest_sha256: m.sha256.clone(),
                acquired_seq: ex.acquired_seq,
            },
            m.clone(),
            ex.acquisition.counts.files,
        ));
    }
    plan.case = Some(case_ref);
    Ok(plan)
}

/// Indexes what [`plan_case`] decided. Each manifest is read once, hashed
/// as it is read, and its rows are committed only if the bytes hash to the
/// SHA-256 of the signed `exhibit.acquire` entry.
pub fn apply_plan(index: &mut dyn Backend, plan: CasePlan) -> Result<CaseOutcome, IndexError> {
    let mut out = plan.outcome;
    let Some(case_ref) = plan.case else {
        return Ok(out);
    };
    for (exhibit, m, _) in plan.todo {
        let path = plan.dir.join(&m.path);
        let mut skip: Option<String> = None;
        let result = index.replace_exhibit(&case_ref, &exhibit, &mut |sink: &mut RowSink<'_>| {
            match read_manifest(&path, &m.sha256, sink) {
                Err(ReadError::NotAsRecorded(why)) => {
                    skip = Some(why.clone());
                    Err(IndexError::NotAsRecorded(why))
                }
                Err(ReadError::Index(e)) => Err(e),
                Ok(()) => Ok(()),
            }
        });
        let id = exhibit.exhibit;
        match (result, skip) {
            (_, Some(reason)) => {
                out.exhibits.insert(id, ExhibitOutcome::Skipped { reason });
            }
            (Ok(files), None) => {
                out.exhibits.insert(id, ExhibitOutcome::Indexed { files });
            }
            (Err(e), None) => return Err(e),
        }
    }
    for (exhibit, texts) in &plan.texts {
        index.replace_texts(&case_ref, exhibit, texts)?;
    }
    Ok(out)
}

enum ReadError {
    /// The manifest is missing, torn, malformed or does not hash to the
    /// recorded digest: the exhibit is skipped, the run goes on.
    NotAsRecorded(String),
    /// The store failed.
    Index(IndexError),
}

impl From<IndexError> for ReadError {
    fn from(e: IndexError) -> Self {
        ReadError::Index(e)
    }
}

/// Rows handed from the parsing thread to the store at a time.
const BATCH: usize = 4096;

/// Reads the manifest at `path`, hashing every byte, and feeds its regular
/// files with digests to `sink`. Fails with `NotAsRecorded` when the
/// manifest cannot be read or parsed or its bytes do not hash to `sha256`.
///
/// Reading, hashing and parsing run on a second thread, in batches, while
/// this one hands rows to the store: the two halves cost about the same.
fn read_manifest(path: &Path, sha256: &str, sink: &mut RowSink<'_>) -> Result<(), ReadError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FileRow>>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || parse_manifest(path, sha256, tx));
        let mut stored: Result<(), ReadError> = Ok(());
        for batch in rx.iter() {
            for row in batch {
                if let Err(e) = sink(row) {
                    stored = Err(ReadError::Index(e));
                    break;
                }
            }
            if stored.is_err() {
                break;
            }
        }
        // Dropping the receiver (on error) stops the parser at its next send.
        drop(rx);
        let parsed = parser.join().expect("manifest parser does not panic");
        match (parsed, stored) {
            (Err(e @ ReadError::NotAsRecorded(_)), _) => Err(e),
            (_, Err(e)) => Err(e),
            (r, Ok(())) => r,
        }
    })
}

fn parse_manifest(
    path: &Path,
    sha256: &str,
    tx: std::sync::mpsc::SyncSender<Vec<FileRow>>,
) -> Result<(), ReadError> {
    let name = path.display();
    let mut f = crate::fsutil::open_regular(path, false)
        .map_err(|e| ReadError::NotAsRecorded(format!("manifest {name} cannot be read: {e}")))?;
    let bad = |line: u64, msg: String| ReadError::NotAsRecorded(format!("{name}:{line}: {msg}"));
    let mut hasher = Sha256::new();
    // Lines are read where they lie in `buf`; only the part of a line cut
    // by the end of a read is moved to the front.
    let mut buf = vec![0u8; READ_CHUNK + MAX_LINE_BYTES + 1];
    let (mut start, mut end) = (0usize, 0usize);
    let mut line = 0u64;
    let mut roots: Vec<String> = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let too_long = |line: u64| {
        bad(
            line,
            format!("line longer than {MAX_LINE_BYTES} bytes (no record custodian writes comes near that; the file is damaged or hostile)"),
        )
    };
    loop {
        let Some(nl) = memchr::memchr(b'\n', &buf[start..end]) else {
            if end - start > MAX_LINE_BYTES {
                return Err(too_long(line + 1));
            }
            buf.copy_within(start..end, 0);
            (start, end) = (0, end - start);
            let n = crate::hashing::read_full(&mut f, &mut buf[end..end + READ_CHUNK])
                .map_err(|e| ReadError::NotAsRecorded(format!("manifest {name}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[end..end + n]);
            end += n;
            continue;
        };
        line += 1;
        if nl > MAX_LINE_BYTES {
            return Err(too_long(line));
        }
        let text = &buf[start..start + nl];
        start += nl + 1;
        if line == 1 {
            let h: Header = serde_json::from_slice(text)
                .map_err(|e| bad(line, format!("invalid manifest header: {e}")))?;
            if let Some(why) = h.unsupported() {
                return Err(bad(line, why));
            }
            roots = h.roots.into_iter().map(|r| r.path).collect();
            continue;
        }
        let r =
            record::parse(text).map_err(|e| bad(line, format!("invalid manifest record: {e}")))?;
        if !r.is_file || r.digests.iter().all(Option::is_none) {
            continue;
        }
        let root = roots
            .get(r.root as usize)
            .ok_or_else(|| bad(line, format!("root {} is not in the header", r.root)))?;
        let path = if r.path == "." {
            root.clone()
        } else {
            let root = root.trim_end_matches('/');
            let mut p = String::with_capacity(root.len() + 1 + r.path.len());
            p.push_str(root);
            p.push('/');
            p.push_str(&r.path);
            p
        };
        let mut digests: [Option<DigestBytes>; 6] = Default::default();
        for ((slot, hexd), algo) in digests.iter_mut().zip(r.digests).zip(ALGORITHMS) {
            let Some(hexd) = hexd else { continue };
            *slot = Some(DigestBytes::from_hex(algo, hexd).ok_or_else(|| {
                bad(
                    line,
                    format!("{} digest {hexd:?} is not valid hex", algo.name()),
                )
            })?);
        }
        batch.push(FileRow {
            path,
            size: r.size,
            digests,
        });
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(full).is_err() {
                // The store stopped (its error is reported by the caller).
                return Ok(());
            }
        }
    }
    if start != end {
        return Err(bad(
            line + 1,
            "no final newline (truncated manifest?)".into(),
        ));
    }
    if line == 0 {
        return Err(bad(1, "empty manifest".into()));
    }
    let found = hex::encode(hasher.finalize());
    if found != sha256 {
        return Err(ReadError::NotAsRecorded(format!(
            "manifest {name} has SHA-256 {found}, but the signed acquisition entry recorded {sha256}: it was changed after acquisition"
        )));
    }
    // The last rows go to the store only once the whole manifest is known
    // to be as recorded; a mismatch above rolls back what went before.
    let _ = tx.send(batch);
    Ok(())
}

/// Bytes read from a manifest at a time.
const READ_CHUNK: usize = 1 << 20;

/// Whether the fast reader of manifest records reads `line` exactly as
/// serde_json does (the same row, or it leaves the line to serde). For
/// the fuzz target `index_record`; not part of the API.
#[doc(hidden)]
pub fn record_readers_agree(line: &[u8]) -> bool {
    record::readers_agree(line)
}

/// Parses a digest given on the command line: `HEX` (every algorithm of
/// that length) or `ALGO:HEX`.
pub fn parse_digest(s: &str) -> Result<Vec<(Algorithm, Vec<u8>)>, IndexError> {
    let bad = |why: &'static str| IndexError::BadDigest {
        given: s.to_string(),
        why,
    };
    let (algos, hexd): (Vec<Algorithm>, &str) = match s.split_once(':') {
        Some((a, h)) => (
            vec![a.parse().map_err(|_| bad("unknown algorithm before ':'"))?],
            h,
        ),
        None => (
            ALGORITHMS
                .iter()
                .copied()
                .filter(|a| a.hex_len() == s.len())
                .collect(),
            s,
        ),
    };
    let bytes = hex::decode(hexd.trim()).map_err(|_| bad("not hexadecimal"))?;
    let algos: Vec<Algorithm> = algos
        .into_iter()
        .filter(|a| a.hex_len() == bytes.len() * 2)
        .collect();
    if algos.is_empty() {
        return Err(bad(
            "no digest algorithm has this length (md5 32, sha1 40, sha256/sha3-256/blake3 64, sha512 128 hex digits)",
        ));
    }
    Ok(algos.into_iter().map(|a| (a, bytes.clone())).collect())
}

/// The result of [`search`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Digests asked for that are in a known-good set (not searched).
    pub known_good: u64,
}

/// Looks `digests` up, ignoring known-good ones; hits sorted.
pub fn search(
    index: &mut dyn Backend,
    digests: &[(Algorithm, Vec<u8>)],
    known: &dyn KnownGood,
) -> Result<SearchResult, IndexError> {
    let mut asked = digests.to_vec();
    asked.sort();
    asked.dedup();
    let wanted: Vec<(Algorithm, Vec<u8>)> = asked
        .iter()
        .filter(|(a, d)| !known.is_known_good(*a, d))
        .cloned()
        .collect();
    let known_good = (asked.len() - wanted.len()) as u64;
    let mut hits = index.lookup(&wanted)?;
    hits.sort();
    Ok(SearchResult { hits, known_good })
}

/// One exhibit's side of a link.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExhibitKey {
    pub case_id: String,
    pub case_key: String,
    pub exhibit: String,
}

/// Two exhibits of different cases holding the same files.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub a: ExhibitKey,
    pub b: ExhibitKey,
    /// Distinct file contents both hold.
    pub shared: u64,
}

/// A file content held by more than one case, and where.
#[derive(Debug, Clone, Serialize)]
pub struct SharedFile {
    #[serde(serialize_with = "ser_hex")]
    pub digest: Vec<u8>,
    pub cases: u64,
    pub places: Vec<Hit>,
}

/// The result of [`links`].
#[derive(Debug, Clone, Serialize)]
pub struct Links {
    #[serde(serialize_with = "ser_algo")]
    pub algorithm: Algorithm,
    /// Exhibit pairs, most shared first.
    pub links: Vec<Link>,
    pub files: Vec<SharedFile>,
    /// Shared digests left out because they are known good.
    pub known_good: u64,
}

/// Files (by `algo` digest) held by more than one case, and the exhibit
/// pairs linked by them; with `case_key`, only links of that case.
pub fn links(
    index: &mut dyn Backend,
    algo: Algorithm,
    case_key: Option<&str>,
    known: &dyn KnownGood,
) -> Result<Links, IndexError> {
    let mut hits = index.shared(algo, case_key)?;
    hits.sort();
    let mut files: Vec<SharedFile> = Vec::new();
    let mut known_good = 0;
    let mut i = 0;
    while i < hits.len() {
        let mut j = i;
        while j < hits.len() && hits[j].digest == hits[i].digest {
            j += 1;
        }
        let group = &hits[i..j];
        if known.is_known_good(algo, &group[0].digest) {
            known_good += 1;
        } else {
            let cases: BTreeSet<&str> = group.iter().map(|h| h.case_key.as_str()).collect();
            files.push(SharedFile {
                digest: group[0].digest.clone(),
                cases: cases.len() as u64,
                places: group.to_vec(),
            });
        }
        i = j;
    }
    let mut pairs: BTreeMap<(ExhibitKey, ExhibitKey), u64> = BTreeMap::new();
    for f in &files {
        let exhibits: BTreeSet<ExhibitKey> = f
            .places
            .iter()
            .map(|h| ExhibitKey {
                case_id: h.case_id.clone(),
                case_key: h.case_key.clone(),
                exhibit: h.exhibit.clone(),
            })
            .collect();
        let v: Vec<&ExhibitKey> = exhibits.iter().collect();
        for x in 0..v.len() {
            for y in x + 1..v.len() {
                if v[x].case_key == v[y].case_key {
                    continue;
                }
                if let Some(k) = case_key {
                    if v[x].case_key != k && v[y].case_key != k {
                        continue;
                    }
                }
                *pairs.entry((v[x].clone(), v[y].clone())).or_default() += 1;
            }
        }
    }
    let mut links: Vec<Link> = pairs
        .into_iter()
        .map(|((a, b), shared)| Link { a, b, shared })
        .collect();
    links.sort_by_key(|l| std::cmp::Reverse(l.shared));
    Ok(Links {
        algorithm: algo,
        links,
        files,
        known_good,
    })
}

/// The result of [`find`].
#[derive(Debug, Clone, Serialize)]
pub struct FindResult {
    pub query: words::Query,
    /// The texts found, in the order [`words::run_query`] defines.
    pub found: Vec<words::Found>,
}

/// Finds exhibits by words ([`words::parse_query`] syntax): the same
/// results, in the same order, from either store.
pub fn find(index: &mut dyn Backend, query: &words::Query) -> Result<FindResult, IndexError> {
    let found = words::run_query(query, &mut |w, p| index.texts_with_word(w, p))?;
    Ok(FindResult {
        query: query.clone(),
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, sha: u8) -> FileRow {
        let mut digests: [Option<DigestBytes>; 6] = Default::default();
        digests[2] = DigestBytes::new(&[sha; 32]);
        FileRow {
            path: path.into(),
            size: Some(1),
            digests,
        }
    }

    #[test]
    fn digests_decode_as_the_hex_crate_does() {
        let md5 = |s: &str| DigestBytes::from_hex(Algorithm::Md5, s).map(|d| d.to_vec());
        for a in (0u8..128).map(char::from).chain(['é', '\u{ff}']) {
            for b in (0u8..128).map(char::from) {
                for at in [0, 30] {
                    let mut s: String = "0".repeat(30);
                    s.insert(at, b);
                    s.insert(at, a);
                    assert_eq!(
                        md5(&s),
                        hex::decode(&s).ok().filter(|d| d.len() == 16),
                        "{s:?}"
                    );
                }
            }
        }
        let sha512 = "Ab".repeat(64);
        assert_eq!(
            DigestBytes::from_hex(Algorithm::Sha512, &sha512).map(|d| d.to_vec()),
            Some(vec![0xab; 64])
        );
        assert_eq!(md5(&"00".repeat(15)), None);
        assert_eq!(md5(&"00".repeat(17)), None);
        assert_eq!(DigestBytes::new(&[1; 65]), None);
    }

    /// Writes `text` as a manifest and reads it back through
    /// [`parse_manifest`]: the rows, or the reason it was refused.
    fn read_back(text: &[u8]) -> Result<Vec<FileRow>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, text).unwrap();
        let sha = hex::encode(Sha256::digest(text));
        let (tx, rx) = std::sync::mpsc::sync_channel(1 << 16);
        match parse_manifest(&path, &sha, tx) {
            Ok(()) => Ok(rx.try_iter().flatten().collect()),
            Err(ReadError::NotAsRecorded(why)) => Err(why),
            Err(ReadError::Index(e)) => Err(e.to_string()),
        }
    }

    const HEADER: &str = concat!(
        r#"{"algorithms":["md5","sha256"],"follow_symlinks":false,"format":"custodian-manifest","#,
        r#""roots":[{"path":"/mnt/x/"}],"tool":"custodian 0.1.0","version":1}"#,
        "\n"
    );

    fn record_line(i: usize, path: &str) -> String {
        format!(
            "{{\"digests\":{{\"md5\":\"{:032x}\",\"sha256\":\"{:064x}\"}},\"path\":{},\"root\":0,\"size\":{i},\"type\":\"file\"}}\n",
            i,
            i + 1,
            serde_json::to_string(path).unwrap()
        )
    }

    #[test]
    fn manifests_are_read_across_read_boundaries_with_every_row() {
        let mut text = HEADER.to_string();
        // Over 2 MiB, so that lines straddle the 1 MiB reads; some paths
        // need escapes (serde's path), some are long.
        let mut want = Vec::new();
        for i in 0..12_000 {
            let path = match i % 3 {
                0 => format!("dir/f{i}"),
                1 => format!("tab\there \"{i}\""),
                _ => format!("{}{i}", "long/".repeat(i % 40)),
            };
            text.push_str(&record_line(i, &path));
            want.push((format!("/mnt/x/{path}"), i as u64));
        }
        text.push_str("{\"path\":\"d\",\"root\":0,\"type\":\"dir\"}\n");
        assert!(text.len() > 2 * READ_CHUNK);
        let rows = read_back(text.as_bytes()).unwrap();
        let got: Vec<(String, u64)> = rows
            .iter()
            .map(|r| (r.path.clone(), r.size.unwrap()))
            .collect();
        assert_eq!(got, want);
        let last = rows.last().unwrap();
        assert_eq!(
            last.digests[0].as_deref(),
            Some(&hex::decode(format!("{:032x}", 11_999)).unwrap()[..])
        );
        assert_eq!(
            last.digests[2].as_deref(),
            Some(&hex::decode(format!("{:064x}", 12_000)).unwrap()[..])
        );
        assert_eq!(last.digests[1], None);
    }

    #[test]
    fn torn_long_or_altered_manifests_are_refused_naming_the_line() {
        let good = format!("{HEADER}{}{}", record_line(1, "a"), record_line(2, "b"));
        assert_eq!(read_back(good.as_bytes()).unwrap().len(), 2);
        let torn = &good[..good.len() - 1];
        assert!(read_back(torn.as_bytes())
            .unwrap_err()
            .contains(":3: no final newline"));
        let long = format!("{HEADER}{}", record_line(1, &"x".repeat(MAX_LINE_BYTES)));
        let why = read_back(long.as_bytes()).map(|rows| rows.len());
        assert!(
            matches!(&why, Err(w) if w.contains(":2: line longer than 1048576 bytes")),
            "{why:?}"
        );
        // A line of the limit is read.
        let json = record_line(1, "").len() - 1;
        let limit = format!(
            "{HEADER}{}",
            record_line(1, &"x".repeat(MAX_LINE_BYTES - json))
        );
        assert_eq!(read_back(limit.as_bytes()).map(|rows| rows.len()), Ok(1));
        let bad_hex = good.replacen("\"md5\":\"0", "\"md5\":\"g", 1);
        let why = read_back(bad_hex.as_bytes()).unwrap_err();
        assert!(why.contains(":2: md5 digest \"g"), "{why}");
        let no_root = good.replacen("\"root\":0", "\"root\":1", 1);
        assert!(read_back(no_root.as_bytes())
            .unwrap_err()
            .contains(":2: root 1 is not in the header"));
        assert!(read_back(b"").unwrap_err().contains(":1: empty manifest"));
        // Rows before a refusal are held back: the caller rolls back.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, &good).unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        let other = hex::encode(Sha256::digest(b"other"));
        assert!(
            matches!(parse_manifest(&path, &other, tx), Err(ReadError::NotAsRecorded(w)) if w.contains("changed after acquisition"))
        );
        assert_eq!(rx.try_iter().count(), 0);
    }

    fn add(ix: &mut dyn Backend, key: &str, ex: &str, rows: Vec<FileRow>) {
        let case = CaseRef {
            key: key.into(),
            case_id: format!("ID-{key}"),
            dir: format!("/cases/{key}"),
        };
        let exr = ExhibitRef {
            exhibit: ex.into(),
            manifest_sha256: "00".into(),
            acquired_seq: 1,
        };
        ix.replace_exhibit(&case, &exr, &mut |sink: &mut RowSink<'_>| {
            for r in rows.clone() {
                sink(r)?;
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn known_good_predicate_filters_links_and_search() {
        let t = tempfile::tempdir().unwrap();
        let mut ix = sqlite::SqliteIndex::open(&t.path().join("i.sqlite")).unwrap();
        add(
            &mut ix,
            "a",
            "E1",
            vec![row("x", 1), row("y", 2), row("z", 3)],
        );
        add(&mut ix, "b", "E1", vec![row("x2", 1), row("y2", 2)]);
        add(&mut ix, "c", "E9", vec![row("z2", 3)]);
        let all = links(&mut ix, Algorithm::Sha256, None, &NoKnownGood).unwrap();
        assert_eq!(all.files.len(), 3);
        assert_eq!(all.known_good, 0);
        // A predicate built from a list: digest 2 is known good.
        let list = [vec![2u8; 32]];
        let good = |a: Algorithm, d: &[u8]| a == Algorithm::Sha256 && list.iter().any(|l| l == d);
        let l = links(&mut ix, Algorithm::Sha256, None, &good).unwrap();
        assert_eq!(l.known_good, 1);
        let digests: Vec<u8> = l.files.iter().map(|f| f.digest[0]).collect();
        assert_eq!(digests, [1, 3]);
        let pairs: Vec<(String, String, u64)> = l
            .links
            .iter()
            .map(|k| (k.a.case_key.clone(), k.b.case_key.clone(), k.shared))
            .collect();
        assert_eq!(
            pairs,
            [("a".into(), "b".into(), 1), ("a".into(), "c".into(), 1)]
        );
        let only_c = links(&mut ix, Algorithm::Sha256, Some("c"), &good).unwrap();
        assert_eq!(only_c.links.len(), 1);
        let s = search(
            &mut ix,
            &[
                (Algorithm::Sha256, vec![2; 32]),
                (Algorithm::Sha256, vec![1; 32]),
            ],
            &good,
        )
        .unwrap();
        assert_eq!(s.known_good, 1);
        assert_eq!(s.hits.len(), 2);
        assert!(s.hits.iter().all(|h| h.digest == vec![1; 32]));
        let mut set = DigestSet::default();
        set.insert(Algorithm::Sha256, vec![1; 32]);
        let s = search(&mut ix, &[(Algorithm::Sha256, vec![1; 32])], &set).unwrap();
        assert_eq!((s.known_good, s.hits.len()), (1, 0));
    }

    #[test]
    fn digests_parse_with_or_without_algorithm() {
        assert_eq!(parse_digest(&"ab".repeat(16)).unwrap().len(), 1);
        assert_eq!(parse_digest(&"ab".repeat(32)).unwrap().len(), 3);
        assert_eq!(
            parse_digest(&format!("sha256:{}", "ab".repeat(32)))
                .unwrap()
                .len(),
            1
        );
        assert!(parse_digest("xyz").is_err());
        assert!(parse_digest(&format!("md5:{}", "ab".repeat(32))).is_err());
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn a_postgres_url_without_the_feature_names_the_feature() {
        for url in ["postgres://u:secret@127.0.0.1/db", "postgresql://h/db"] {
            let e = open(url).err().expect("refused");
            assert!(matches!(e, IndexError::NoPostgres));
            let text = e.to_string();
            assert!(
                text.contains(
                    "this custodian was built without PostgreSQL support (cargo feature `postgres`)"
                ),
                "{text}"
            );
            assert!(!text.contains("secret"), "{text}");
        }
    }
}
