//! The signed, append-only, hash-chained ledger (`ledger.jsonl`).
//!
//! Writers hold an exclusive lock on the ledger file for the whole of an
//! append (read the tail, check the rules, sign, write one line, fsync), so
//! concurrent processes serialise and the chain never forks. The format is
//! specified in `docs/spec/ledger.md`.

mod cache;
pub mod entry;
pub mod state;
pub mod verify;

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use entry::{
    canonical, entry_hash, kind, manifest_rel_path, principal_map, timeline_line,
    validate_exhibit_id, AcquisitionCounts, AuthorityDetails, Body, CaseId, CaseOpen, Entry,
    EntryHash, EwfImage, ExhibitAcquire, ExhibitId, ManifestRef, Note, Role, SignerInfo,
    SignerRevoke, Tool, FORMAT_VERSION, GENESIS_PREV,
};
pub use entry::{HashsetHit, HashsetMatch, HashsetUsed};
pub use state::{CaseState, Exhibit, RuleViolation, Signer};
pub use verify::{verify, Problem, Report, RootOfTrust, Severity, VerifyOptions};

use crate::keys::{KeyError, SigningKey};

/// Errors from reading or writing a ledger. Each names the ledger file and,
/// where there is one, the entry.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: a ledger already exists here; refusing to overwrite it")]
    Exists { path: PathBuf },
    #[error("{path}: no ledger found (is this a case folder? create one with `custodian init`)")]
    Missing { path: PathBuf },
    #[error("{path}: torn final line at byte offset {offset} ({len} bytes without a newline); run `custodian repair` first")]
    Torn {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    /// The ledger does not verify: a new entry would vouch for the damage.
    #[error(
        "{path}: refusing to append: entry {seq}: the ledger does not verify ({code}: {message}); run `custodian verify` for details"
    )]
    DoesNotVerify {
        path: PathBuf,
        seq: u64,
        /// The first problem's code and message, as `verify` names them.
        code: &'static str,
        message: String,
    },
    #[error("{path}: refusing to append: entry 0: the ledger is empty (no case.open entry); run `custodian verify` for details")]
    Empty { path: PathBuf },
    /// The last whole line, which the new entry would chain to, is not an
    /// entry.
    #[error(
        "{path}: refusing to append: entry {seq}: {source}; run `custodian verify` for details"
    )]
    LastLine {
        path: PathBuf,
        seq: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: refused: {}", .violation.message)]
    Refused {
        path: PathBuf,
        violation: RuleViolation,
    },
    #[error("{path}: refusing to append a body of a type this version does not know")]
    UnknownBody { path: PathBuf },
    /// No principal was given and the key has no comment to stand for one.
    #[error("the key has no comment to use as principal")]
    NoPrincipal,
    #[error("{what} may not be empty")]
    Blank { what: &'static str },
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<crate::keys::FormatKeyError> for LedgerError {
    fn from(e: crate::keys::FormatKeyError) -> Self {
        LedgerError::Key(e.into())
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// When and by what tool an entry is written. The CLI uses [`Stamp::now`],
/// whose time is read only once the append holds the ledger lock, so that
/// concurrent writers record times in ledger order; fixtures and tests pin
/// both to get byte-identical ledgers.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// `None`: the time at which the writer holds the lock.
    pub time: Option<DateTime<Utc>>,
    pub tool: Tool,
}

impl Stamp {
    pub fn now() -> Stamp {
        Stamp {
            time: None,
            tool: entry::current_tool(),
        }
    }

    /// A stamp at a fixed time.
    pub fn at(time: DateTime<Utc>, tool: Tool) -> Stamp {
        Stamp {
            time: Some(time),
            tool,
        }
    }

    pub(crate) fn time(&self) -> String {
        crate::time::format(self.time.unwrap_or_else(crate::time::now))
    }
}

/// The result of a successful append.
#[derive(Debug, Clone)]
pub struct Appended {
    pub entry: Entry,
    /// [`entry_hash`] of the new line: the ledger's new head.
    pub hash: EntryHash,
}

/// A ledger's bytes split into whole lines and a possibly torn tail.
#[derive(Debug)]
pub struct RawLedger {
    pub bytes: Vec<u8>,
    /// (byte offset, length without the newline) of each whole line.
    pub lines: Vec<(u64, usize)>,
    /// (byte offset, length) of trailing bytes with no final newline.
    pub torn: Option<(u64, u64)>,
}

impl RawLedger {
    pub fn parse(bytes: Vec<u8>) -> RawLedger {
        let mut lines = Vec::new();
        let mut start = 0usize;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                lines.push((start as u64, i - start));
                start = i + 1;
            }
        }
        let torn = (start < bytes.len()).then(|| (start as u64, (bytes.len() - start) as u64));
        RawLedger { bytes, lines, torn }
    }

    pub fn line(&self, i: usize) -> &[u8] {
        let (off, len) = self.lines[i];
        &self.bytes[off as usize..off as usize + len]
    }
}

/// A ledger file. Opening one does not read it; every operation reads what
/// is on disk at that moment.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
}

impl Ledger {
    /// A handle on an existing ledger file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        // The ledger is read without following a link (fsutil::open_regular);
        // name what is there instead when it is not a regular file.
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => Ok(Ledger {
                path: path.to_path_buf(),
            }),
            Ok(_) => Err(LedgerError::Io {
                path: path.to_path_buf(),
                source: crate::fsutil::open_regular(path, false)
                    .err()
                    .unwrap_or_else(|| std::io::Error::other("is not a regular file")),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LedgerError::Missing {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(io_err(path)(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a new ledger whose entry 0 opens the case, signed by `key`.
    /// Refuses if the file exists. The file and its folder are fsynced.
    pub fn create(
        path: &Path,
        key: &SigningKey,
        open: &CaseOpen,
        stamp: &Stamp,
    ) -> Result<(Ledger, Appended), LedgerError> {
        let mut entry = Entry {
            v: FORMAT_VERSION,
            seq: 0,
            prev: GENESIS_PREV.to_string(),
            time: stamp.time(),
            kind: kind::CASE_OPEN.to_string(),
            signer: key.fingerprint().clone(),
            tool: stamp.tool.clone(),
            body: serde_json::to_value(open).expect("case.open body serialises"),
            sig: None,
        };
        let body = Body::CaseOpen(open.clone());
        CaseState::default()
            .check(&entry, &body)
            .map_err(|violation| LedgerError::Refused {
                path: path.to_path_buf(),
                violation,
            })?;
        entry.sign(key)?;
        let mut line = entry.line();
        let hash = entry_hash(&line);
        line.push(b'\n');
        let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(LedgerError::Exists {
                    path: path.to_path_buf(),
                })
            }
            Err(e) => return Err(io_err(path)(e)),
        };
        let written = file
            .lock()
            .and_then(|_| file.write_all(&line))
            .and_then(|_| file.sync_all());
        if let Err(e) = written {
            drop(file);
            let _ = fs::remove_file(path);
            return Err(io_err(path)(e));
        }
        sync_parent(path)?;
        Ok((
            Ledger {
                path: path.to_path_buf(),
            },
            Appended { entry, hash },
        ))
    }

    /// Reads the whole ledger as it is now (no lock: a reader may see a
    /// line being written as a torn tail, never as a valid entry).
    pub fn read_raw(&self) -> Result<RawLedger, LedgerError> {
        let bytes = crate::fsutil::read_regular(&self.path, false).map_err(io_err(&self.path))?;
        Ok(RawLedger::parse(bytes))
    }

    /// Calls `each` with the byte offset and bytes (without the newline) of
    /// every whole line, in order, reading the file in a fixed-size buffer:
    /// memory does not grow with the ledger. A torn tail is not a line (as
    /// in [`RawLedger`]). No lock, as [`Ledger::read_raw`].
    pub fn for_each_line(&self, mut each: impl FnMut(u64, &[u8])) -> Result<(), LedgerError> {
        let file = self.open_read()?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(io_err(&self.path))?;
            if n == 0 || line.last() != Some(&b'\n') {
                return Ok(());
            }
            each(offset, &line[..n - 1]);
            offset += n as u64;
        }
    }

    /// Opens the ledger for writing (appending, or in place for `repair`),
    /// takes the exclusive lock that serialises writers, and reads it. The
    /// lock is held until the returned file is dropped.
    fn open_locked(&self, append: bool) -> Result<(File, RawLedger), LedgerError> {
        let path = &self.path;
        let mut file = OpenOptions::new()
            .read(true)
            .write(!append)
            .append(append)
            .open(path)
            .map_err(io_err(path))?;
        file.lock().map_err(io_err(path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(path))?;
        Ok((file, RawLedger::parse(bytes)))
    }

    /// Checks, without writing anything, that `key` could append `body`
    /// now. Long operations (an acquisition of hundreds of gigabytes) call
    /// this first, so that a key that is not trusted, or an exhibit id
    /// already taken, is refused before the work rather than after.
    /// [`Ledger::append`] checks again under its lock.
    pub(crate) fn preflight(&self, key: &SigningKey, body: &Body) -> Result<(), LedgerError> {
        let (kind, value) = self.to_entry(body)?;
        let view = self.writer_view(&mut self.open_read()?, cache::Cache::open().as_ref())?;
        self.draft_on(&view.state, &view.last, key, kind, value, &Stamp::now())
            .map(|_| ())
    }

    /// Opens the ledger for reading, without following a link.
    fn open_read(&self) -> Result<File, LedgerError> {
        crate::fsutil::open_regular(&self.path, false).map_err(io_err(&self.path))
    }

    /// What a writer builds on: the state after the ledger's last entry and
    /// that entry's (seq, hash), for the ledger as `file` holds it now.
    ///
    /// From the verified-state record ([`cache`]) when the file is exactly
    /// as this user's custodian last verified or wrote it; otherwise the
    /// whole ledger is read and verified (a writer never extends a ledger
    /// that does not verify) and the result recorded for the next writer.
    fn writer_view(
        &self,
        file: &mut File,
        cache: Option<&cache::Cache>,
    ) -> Result<WriterView, LedgerError> {
        use std::io::Seek;
        let path = &self.path;
        let before = cache::FileId::of(&file.metadata().map_err(io_err(path))?);
        if let Some(hit) = cache.and_then(|c| c.load(path, file, &before)) {
            return Ok(WriterView {
                state: hit.state,
                last: (hit.seq, hit.head),
                len: before.size(),
            });
        }
        let mut bytes = Vec::new();
        file.seek(std::io::SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(io_err(path))?;
        let raw = RawLedger::parse(bytes);
        let (state, last) = self.replay_checked(&raw)?;
        let len = raw.bytes.len() as u64;
        if let Some(c) = cache {
            // Recorded only if nothing changed while it was read.
            let after = file.metadata().map(|m| cache::FileId::of(&m));
            if after.is_ok_and(|a| a == before) && len == before.size() {
                c.store(path, &before, last.0, last.1, &state);
            }
        }
        Ok(WriterView { state, last, len })
    }

    /// The entry kind and JSON body a writer appends for `body`; a body of
    /// a type this version does not know cannot be written.
    fn to_entry(&self, body: &Body) -> Result<(&'static str, Value), LedgerError> {
        body.to_entry().ok_or_else(|| LedgerError::UnknownBody {
            path: self.path.clone(),
        })
    }

    /// Appends one signed entry holding `body` (see [`Ledger::append_all`]).
    /// The only way into the ledger from outside the engine is
    /// [`crate::case::Case::append`], which calls this.
    pub(crate) fn append(
        &self,
        key: &SigningKey,
        body: &Body,
        stamp: &Stamp,
    ) -> Result<Appended, LedgerError> {
        let mut all = self.append_all(key, std::slice::from_ref(body), stamp)?;
        Ok(all.remove(0))
    }

    /// Appends consecutive signed entries, one per body, all or none: the
    /// parts of one custody event.
    ///
    /// Under an exclusive lock: refuses a torn tail or a broken chain,
    /// replays the rules, completes the version-2 custody members only the
    /// ledger knows (`event.id`, `prior`, an unseal's `covers`), checks that
    /// `key` may write each entry after the ones before it, then writes
    /// every line with one write and fsyncs. On a failed write the file is
    /// cut back to its previous length, so a failed append leaves the
    /// ledger exactly as it was; a crash in the middle leaves a torn tail or
    /// a torn event, which `verify` names and `repair` moves aside.
    pub(crate) fn append_all(
        &self,
        key: &SigningKey,
        bodies: &[Body],
        stamp: &Stamp,
    ) -> Result<Vec<Appended>, LedgerError> {
        let path = &self.path;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_err(path))?;
        file.lock().map_err(io_err(path))?;
        let cache = cache::Cache::open();
        let WriterView {
            mut state,
            mut last,
            len: old_len,
        } = self.writer_view(&mut file, cache.as_ref())?;
        let mut bodies = bodies.to_vec();
        state.custody.fill_parts(&mut bodies, &last.1);
        let mut appended = Vec::with_capacity(bodies.len());
        let mut lines = Vec::new();
        for body in &mut bodies {
            if let Body::Custody(event) = body {
                state.custody.fill_prior(event);
            }
            let (kind, value) = self.to_entry(body)?;
            let mut entry = self.draft_on(&state, &last, key, kind, value, stamp)?;
            entry.sign(key)?;
            let line = entry.line();
            let hash = entry_hash(&line);
            state.apply(&entry, &hash, body);
            lines.extend_from_slice(&line);
            lines.push(b'\n');
            last = (entry.seq, hash);
            appended.push(Appended { entry, hash });
        }
        use crate::fault::{self, Point};
        let written = fault::write_all(Point::LedgerWrite, &mut file, &lines)
            .and_then(|_| fault::check(Point::LedgerFsync))
            .and_then(|_| file.sync_data());
        if let Err(e) = written {
            // Leave the ledger as it was: cut off whatever part was written.
            let _ = file.set_len(old_len).and_then(|_| file.sync_all());
            return Err(io_err(path)(e));
        }
        if let (Some(c), Ok(m)) = (&cache, file.metadata()) {
            c.store(path, &cache::FileId::of(&m), last.0, last.1, &state);
        }
        Ok(appended)
    }

    /// The state after `raw` and its last entry's (seq, hash), when a
    /// writer may extend it: no torn tail, and it verifies.
    fn replay_checked(
        &self,
        raw: &RawLedger,
    ) -> Result<(CaseState, (u64, EntryHash)), LedgerError> {
        let path = &self.path;
        if let Some((offset, len)) = raw.torn {
            return Err(LedgerError::Torn {
                path: path.clone(),
                offset,
                len,
            });
        }
        let (state, last) = replay_for_append(path, raw)?;
        let Some((last_entry, last_hash)) = last else {
            return Err(LedgerError::Empty { path: path.clone() });
        };
        Ok((state, (last_entry.seq, last_hash)))
    }

    /// Builds the unsigned entry that would follow the entry `last` (seq,
    /// hash) whose replay gave `state`, checking every rule an append must
    /// satisfy.
    fn draft_on(
        &self,
        state: &CaseState,
        last: &(u64, EntryHash),
        key: &SigningKey,
        kind: &str,
        body: Value,
        stamp: &Stamp,
    ) -> Result<Entry, LedgerError> {
        let path = &self.path;
        let entry = Entry {
            v: FORMAT_VERSION,
            seq: last.0 + 1,
            prev: last.1.to_hex(),
            time: stamp.time(),
            kind: kind.to_string(),
            signer: key.fingerprint().clone(),
            tool: stamp.tool.clone(),
            body,
            sig: None,
        };
        let refused = |violation| LedgerError::Refused {
            path: path.clone(),
            violation,
        };
        let parsed = Body::parse(kind, &entry.body).map_err(|message| {
            refused(RuleViolation {
                code: "bad-body",
                message: message.to_string(),
            })
        })?;
        if matches!(parsed, Body::Unknown) {
            return Err(refused(RuleViolation {
                code: "unknown-type",
                message: format!("unknown entry type {kind:?}"),
            }));
        }
        // The writer writes the current version, whose rules are the
        // strictest: what `check` accepts is what a writer may append.
        state.check_not_terminal(&entry, &parsed).map_err(refused)?;
        state.check(&entry, &parsed).map_err(refused)?;
        state.check_keeps_a_supervisor(&parsed).map_err(refused)?;
        Ok(entry)
    }

    /// Moves a torn final line to a side file in `recovered_dir` and cuts
    /// the ledger back to its last whole entry. Nothing is deleted and no
    /// entry is added. Returns the side file and the torn range, or `None`
    /// when the ledger has no torn tail.
    pub fn repair(&self, recovered_dir: &Path) -> Result<Option<Repaired>, LedgerError> {
        let path = &self.path;
        let (file, raw) = self.open_locked(false)?;
        let Some(offset) = torn_from(&raw) else {
            return Ok(None);
        };
        let len = raw.bytes.len() as u64 - offset;
        fs::create_dir_all(recovered_dir).map_err(io_err(recovered_dir))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let side = recovered_dir.join(format!("ledger.torn-at-{offset}.{stamp}.bin"));
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&side)
                .map_err(io_err(&side))?;
            f.write_all(&raw.bytes[offset as usize..])
                .and_then(|_| f.sync_all())
                .map_err(io_err(&side))?;
        }
        sync_parent(&side)?;
        file.set_len(offset)
            .and_then(|_| file.sync_all())
            .map_err(io_err(path))?;
        Ok(Some(Repaired {
            side_file: side,
            offset,
            len,
        }))
    }

    /// Every whole line parsed as an entry, with its hash, for display.
    /// Lines that do not parse are returned as errors in place; use
    /// [`verify()`] to judge the ledger.
    pub fn entries(&self) -> Result<Vec<ListedEntry>, LedgerError> {
        let raw = self.read_raw()?;
        Ok((0..raw.lines.len())
            .map(|i| {
                let line = raw.line(i);
                serde_json::from_slice::<Entry>(line)
                    .map(|e| (e, entry_hash(line)))
                    .map_err(|source| UnreadableLine {
                        line: i + 1,
                        source,
                    })
            })
            .collect())
    }

    /// The case as the ledger states it, for a writer: an error if the
    /// ledger does not verify. Taken from this user's verified-state record
    /// when the file is unchanged since it was last verified or written
    /// here; `verify`, reports and packages use [`verify()`], which checks
    /// everything every time.
    pub fn state(&self) -> Result<CaseState, LedgerError> {
        let cache = cache::Cache::open();
        Ok(self
            .writer_view(&mut self.open_read()?, cache.as_ref())?
            .state)
    }
}

/// The ledger as a writer sees it (see [`Ledger::writer_view`]).
struct WriterView {
    state: CaseState,
    /// The last entry's seq and hash.
    last: (u64, EntryHash),
    /// The file's length.
    len: u64,
}

/// Where the torn end of a ledger starts: its torn final line, or, before
/// it, the whole lines of a version-2 event cut short (fewer parts than it
/// announces). A crash during an append leaves at most these.
fn torn_from(raw: &RawLedger) -> Option<u64> {
    let whole = raw
        .torn
        .map_or(raw.bytes.len() as u64, |(offset, _)| offset);
    let lines = RawLedger::parse(raw.bytes[..whole as usize].to_vec());
    let report = verify::verify_raw(&lines, &VerifyOptions::default());
    let event = report
        .state
        .custody
        .torn_event()
        .and_then(|open| usize::try_from(open.first_seq).ok())
        .and_then(|i| lines.lines.get(i))
        .map(|(offset, _)| *offset);
    event.or(raw.torn.map(|(offset, _)| offset))
}

/// One line of a ledger for display: the entry and its hash, or why the
/// line could not be read.
pub type ListedEntry = Result<(Entry, EntryHash), UnreadableLine>;

/// A whole line of a ledger that is not an entry.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {source}")]
pub struct UnreadableLine {
    /// 1-based line number.
    pub line: usize,
    #[source]
    pub source: serde_json::Error,
}

/// What [`Ledger::repair`] did.
#[derive(Debug, Clone)]
pub struct Repaired {
    pub side_file: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// Verifies the whole ledger before a writer extends it: a writer must
/// never append to a ledger that `verify` would reject (its new entry would
/// inherit the damage), nor to one holding entry types this version does not
/// understand (their effect on signers or exhibits would be unknown).
fn replay_for_append(
    path: &Path,
    raw: &RawLedger,
) -> Result<(CaseState, Option<(Entry, EntryHash)>), LedgerError> {
    let report = verify::verify_raw(raw, &VerifyOptions::default());
    if let Some(p) = report
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error || p.code == "unknown-type")
    {
        return Err(LedgerError::DoesNotVerify {
            path: path.to_path_buf(),
            seq: p.entry.unwrap_or(0),
            code: p.code,
            message: p.message.clone(),
        });
    }
    let last = match raw.lines.len() {
        0 => None,
        n => {
            let line = raw.line(n - 1);
            let entry: Entry =
                serde_json::from_slice(line).map_err(|source| LedgerError::LastLine {
                    path: path.to_path_buf(),
                    seq: (n - 1) as u64,
                    source,
                })?;
            Some((entry, entry_hash(line)))
        }
    };
    Ok((report.state, last))
}

/// fsyncs the folder holding `path`, so a newly created file's name is
/// durable too.
pub(crate) fn sync_parent(path: &Path) -> Result<(), LedgerError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(io_err(parent))
}
