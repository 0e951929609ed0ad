//! Signed checkpoints of a case's Merkle tree: C2SP `tlog-checkpoint`
//! bodies signed as C2SP `signed-note`s with Ed25519 note signatures.
//!
//! A checkpoint says "the first SIZE entries of case ORIGIN have Merkle root
//! ROOT", signed by one or more of the case's signers. Kept by a court, a
//! partner agency or a CI job, it pins the ledger's history: a later ledger
//! must extend it (a consistency proof, or `verify --expect-checkpoint`), so
//! rewriting an early entry and re-signing every later one is detected.
//! The format is specified in docs/spec/transparency.md.

use std::fs;
use std::path::{Path, PathBuf};

pub use custodian_format::checkpoint::*;

use crate::case::Case;
use crate::keys::KeyError;
use crate::ledger::{CaseId, CaseState, LedgerError, Problem, RawLedger, Severity, VerifyOptions};
use crate::merkle::{self, MerkleError};

/// Folder of a case holding its checkpoints, `checkpoints/SIZE.txt`.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// Errors from reading, writing, signing or checking checkpoints, each
/// naming the file (or input) and line involved.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Unreadable { what: String, reason: String },
    #[error("{path}: a different checkpoint of size {size} is already saved there (root {existing}, the ledger now gives {new}); refusing to overwrite it")]
    Conflict {
        path: PathBuf,
        size: u64,
        existing: String,
        new: String,
    },
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

impl From<custodian_format::sshsig::KeyError> for CheckpointError {
    fn from(e: custodian_format::sshsig::KeyError) -> Self {
        CheckpointError::Key(e.into())
    }
}

/// A case whose ledger verifies, read once: the only footing on which
/// custodian signs a statement about a ledger (a checkpoint, a proof, a
/// timestamp). Built by [`open_verified`].
#[derive(Debug)]
pub struct VerifiedCase {
    pub case: Case,
    /// The ledger's bytes as they were verified.
    pub raw: RawLedger,
    pub state: CaseState,
}

/// Why [`open_verified`] gives no verified case.
#[derive(Debug, thiserror::Error)]
pub enum OpenVerifiedError {
    /// The case folder or its ledger cannot be opened.
    #[error(transparent)]
    Open(LedgerError),
    /// The ledger cannot be read.
    #[error(transparent)]
    Read(LedgerError),
    /// The ledger was read but is not as recorded.
    #[error(transparent)]
    NotVerified(#[from] NotVerified),
}

/// A ledger that `verify` rejects, named by its first error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the ledger does not verify ([{code}] {message}); run `custodian verify`")]
pub struct NotVerified {
    pub code: &'static str,
    /// The entry the first error is about, if any.
    pub entry: Option<u64>,
    pub message: String,
}

/// A ledger with no `case.open` entry, so nothing names the case.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the ledger has no case.open entry")]
pub struct NoCaseOpen;

impl VerifiedCase {
    /// The case id from entry 0, which checkpoints and timestamps name.
    pub fn case_id(&self) -> Result<CaseId, NoCaseOpen> {
        self.state
            .case
            .as_ref()
            .map(|c| c.case_id.clone())
            .ok_or(NoCaseOpen)
    }
}

/// Opens a case and verifies its ledger. Commands that sign statements
/// about a ledger (checkpoints, proofs, timestamps) start here, so that
/// they never build on a ledger that is not as recorded.
pub fn open_verified(case_dir: &Path) -> Result<VerifiedCase, OpenVerifiedError> {
    let case = Case::open(case_dir).map_err(OpenVerifiedError::Open)?;
    let raw = case.ledger().read_raw().map_err(OpenVerifiedError::Read)?;
    let state = verified_state(&raw)?;
    Ok(VerifiedCase { case, raw, state })
}

/// The case state of a ledger that verifies, or its first error.
pub fn verified_state(raw: &RawLedger) -> Result<CaseState, NotVerified> {
    let report = crate::ledger::verify::verify_raw(raw, &VerifyOptions::default());
    if let Some(p) = report.errors().next() {
        return Err(NotVerified {
            code: p.code,
            entry: p.entry,
            message: p.message.clone(),
        });
    }
    Ok(report.state)
}

/// The checkpoint of the first `size` entries of a ledger (all of them
/// when `size` is `None`).
pub fn checkpoint_of_ledger(
    raw: &RawLedger,
    case_id: &str,
    size: Option<u64>,
) -> Result<Checkpoint, CheckpointError> {
    let leaves = merkle::ledger_leaf_hashes(raw);
    let size = size.unwrap_or(leaves.len() as u64);
    Ok(Checkpoint {
        origin: origin_for_case(case_id),
        size,
        root: merkle::root_at(&leaves, size)?,
    })
}

/// Reads and parses a checkpoint file.
pub fn read_checkpoint(path: &Path) -> Result<SignedCheckpoint, CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_NOTE_BYTES as u64 {
        return Err(CheckpointError::Unreadable {
            what: path.display().to_string(),
            reason: format!("{} bytes is too large for a checkpoint", meta.len()),
        });
    }
    // Also a file named on the command line (--expect-checkpoint, cosign):
    // links followed, but only a regular file is read.
    let bytes = crate::fsutil::read_regular(path, true).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|e| CheckpointError::Unreadable {
        what: path.display().to_string(),
        reason: format!("not UTF-8 text ({e})"),
    })?;
    Ok(SignedCheckpoint::parse(&text, &path.display().to_string())?)
}

/// Every signer the ledger ever admitted (active or since revoked: a
/// checkpoint may predate a revocation),
/// named by [`note_key_name`] of its principal.
pub fn note_verifiers_of_case(state: &CaseState) -> Vec<NoteVerifier> {
    state
        .signers
        .values()
        .filter_map(|s| NoteVerifier::new(&note_key_name(&s.principal), &s.key).ok())
        .collect()
}

/// `CASE/checkpoints/SIZE.txt`.
pub fn checkpoint_path(case_dir: &Path, size: u64) -> PathBuf {
    case_dir.join(CHECKPOINTS_DIR).join(format!("{size}.txt"))
}

/// Saves `signed` as `CASE/checkpoints/SIZE.txt`. If that file exists it
/// must hold the same checkpoint body (else [`CheckpointError::Conflict`]);
/// its signatures are kept and `signed`'s added. Returns the path and the
/// checkpoint as saved. The file is replaced atomically (write, fsync,
/// rename).
pub fn save(
    case_dir: &Path,
    signed: &SignedCheckpoint,
) -> Result<(PathBuf, SignedCheckpoint), CheckpointError> {
    let path = checkpoint_path(case_dir, signed.checkpoint.size);
    let mut merged = signed.clone();
    match read_checkpoint(&path) {
        Ok(existing) => {
            if existing.checkpoint != signed.checkpoint {
                return Err(CheckpointError::Conflict {
                    path,
                    size: signed.checkpoint.size,
                    existing: encode_hash(&existing.checkpoint.root),
                    new: encode_hash(&signed.checkpoint.root),
                });
            }
            merged = merge_signatures(&existing, signed)?;
            if merged == existing {
                return Ok((path, existing));
            }
        }
        Err(CheckpointError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    write_atomic(&path, merged.to_text().as_bytes())?;
    Ok((path, merged))
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// fsynced, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|source| CheckpointError::Io { path: dir, source })?;
    use crate::fault::Point;
    crate::fsutil::write_atomic(
        path,
        bytes,
        (Point::CheckpointWrite, Point::CheckpointWrite),
    )
    .map_err(|e| CheckpointError::Io {
        path: e.path,
        source: e.source,
    })
}

/// Checks a ledger against a checkpoint saved earlier (`verify
/// --expect-checkpoint`): the origin names this case, the ledger still has
/// at least SIZE entries and its first SIZE entries give ROOT, and the
/// checkpoint is signed by a signer of the case. Returns the problems
/// found (empty when the ledger is consistent with the checkpoint).
pub fn check_ledger(
    raw: &RawLedger,
    state: &CaseState,
    signed: &SignedCheckpoint,
    what: &str,
) -> Vec<Problem> {
    check_leaves(&merkle::ledger_leaf_hashes(raw), state, signed, what)
}

/// [`check_ledger`] on the ledger's leaf hashes, computed once by a caller
/// that checks several checkpoints.
fn check_leaves(
    leaves: &[merkle::Hash],
    state: &CaseState,
    signed: &SignedCheckpoint,
    what: &str,
) -> Vec<Problem> {
    let problem = |severity, code, message: String| Problem {
        severity,
        code,
        entry: None,
        offset: None,
        path: Some(what.to_string()),
        expected: None,
        found: None,
        message,
    };
    let mut problems = Vec::new();
    let cp = &signed.checkpoint;
    if let Some(case) = &state.case {
        let origin = origin_for_case(&case.case_id);
        if cp.origin != origin {
            problems.push(Problem {
                expected: Some(cp.origin.clone()),
                found: Some(origin.clone()),
                ..problem(
                    Severity::Error,
                    "checkpoint-mismatch",
                    format!(
                        "checkpoint {what} is for {:?}, but this ledger's origin is {origin:?}",
                        cp.origin
                    ),
                )
            });
        }
    }
    let n = leaves.len() as u64;
    if n < cp.size {
        problems.push(problem(
            Severity::Error,
            "checkpoint-truncated",
            format!(
                "the ledger has {n} entries, fewer than the {} of checkpoint {what}: it was truncated",
                cp.size
            ),
        ));
    } else {
        let root = merkle::root(&leaves[..cp.size as usize]);
        if root != cp.root {
            problems.push(Problem {
                expected: Some(encode_hash(&cp.root)),
                found: Some(encode_hash(&root)),
                ..problem(
                    Severity::Error,
                    "checkpoint-mismatch",
                    format!(
                        "the first {} entries of the ledger have Merkle root {}, but checkpoint {what} recorded {}: the ledger's history was rewritten (forked) since the checkpoint was signed",
                        cp.size,
                        encode_hash(&root),
                        encode_hash(&cp.root)
                    ),
                )
            });
        }
    }
    let check = signed.verify_signatures(&note_verifiers_of_case(state));
    if !check.is_trusted() {
        problems.push(problem(
            Severity::Error,
            "checkpoint-signature",
            format!(
                "checkpoint {what} is not vouched for by the case's signers: {}",
                check.describe()
            ),
        ));
    } else if !check.unknown.is_empty() {
        problems.push(problem(
            Severity::Warning,
            "checkpoint-unknown-signer",
            format!("checkpoint {what}: {}", check.describe()),
        ));
    }
    problems
}

/// `verify --expect-checkpoint FILE`: reads the checkpoint file and the
/// ledger as it is now and returns [`check_ledger`]'s problems. A file that
/// is not a checkpoint is a problem (`checkpoint-malformed`); a file that
/// cannot be read is an error.
pub fn expect_checkpoint(
    ledger: &crate::ledger::Ledger,
    state: &CaseState,
    path: &Path,
) -> Result<Vec<Problem>, CheckpointError> {
    let what = path.display().to_string();
    let signed = match read_checkpoint(path) {
        Ok(s) => s,
        Err(e @ CheckpointError::Io { .. }) => return Err(e),
        Err(e) => {
            return Ok(vec![Problem {
                severity: Severity::Error,
                code: "checkpoint-malformed",
                entry: None,
                offset: None,
                path: Some(what),
                expected: None,
                found: None,
                message: e.to_string(),
            }])
        }
    };
    let raw = ledger.read_raw().map_err(|e| CheckpointError::Unreadable {
        what: ledger.path().display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(check_ledger(&raw, state, &signed, &what))
}

/// Largest number of files of `CASE/checkpoints/` checked by
/// [`check_saved`]; more is reported, not read (each checkpoint costs a
/// Merkle root over the ledger).
pub const MAX_SAVED_CHECKPOINTS: usize = 10_000;

/// `verify CASE` without flags: every checkpoint kept in the case's own
/// `checkpoints/` folder (written by `checkpoint` and `package`) checked
/// against the ledger as `--expect-checkpoint` checks one file, so that a
/// ledger cut back below a saved checkpoint (`checkpoint-truncated`) or
/// rewritten since (`checkpoint-mismatch`) does not verify. Each file is
/// read as every case file is (no link followed, regular files only,
/// bounded):
///
/// - a file named `SIZE.txt` that is not a checkpoint of SIZE entries
///   (garbage, unreadable, another size) is an error,
///   `checkpoint-malformed`; one no signer of the case vouches for is an
///   error, `checkpoint-signature` (custodian writes there only
///   checkpoints it signed with a signer of the case);
/// - any other entry (a leftover `.SIZE.txt.tmp-PID` of a crashed write,
///   a folder, a stray file) is a warning, `checkpoint-stray`: it is not
///   read;
/// - a `checkpoints` that is not a real folder is an error.
///
/// No folder: nothing to check (and the ledger is not read again). What
/// this cannot see: checkpoint files deleted together with the ledger's
/// tail. A checkpoint or head kept outside the folder
/// (`--expect-checkpoint`, `--expect-head`) covers that. A ledger that
/// cannot be read again is an error.
pub fn check_saved(
    case_dir: &Path,
    ledger: &crate::ledger::Ledger,
    state: &CaseState,
) -> Result<Vec<Problem>, CheckpointError> {
    let dir = case_dir.join(CHECKPOINTS_DIR);
    let problem = |severity, code, path: String, message: String| Problem {
        severity,
        code,
        entry: None,
        offset: None,
        path: Some(path),
        expected: None,
        found: None,
        message,
    };
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Ok(vec![problem(
                Severity::Error,
                "checkpoint-malformed",
                CHECKPOINTS_DIR.into(),
                format!("{CHECKPOINTS_DIR}: not a real folder (a link or a file); its checkpoints cannot be checked"),
            )])
        }
        Err(e) => {
            return Ok(vec![problem(
                Severity::Error,
                "checkpoint-malformed",
                CHECKPOINTS_DIR.into(),
                format!("{CHECKPOINTS_DIR}: cannot be read: {e}"),
            )])
        }
    }
    let names = match saved_names(&dir) {
        Ok(n) => n,
        Err(e) => {
            return Ok(vec![problem(
                Severity::Error,
                "checkpoint-malformed",
                CHECKPOINTS_DIR.into(),
                format!("{CHECKPOINTS_DIR}: cannot be listed: {e}"),
            )])
        }
    };
    let leaves = if names.iter().any(|(_, size)| size.is_some()) {
        let raw = ledger.read_raw().map_err(|e| CheckpointError::Unreadable {
            what: ledger.path().display().to_string(),
            reason: e.to_string(),
        })?;
        merkle::ledger_leaf_hashes(&raw)
    } else {
        Vec::new()
    };
    let mut problems = Vec::new();
    for (i, (name, size)) in names.iter().enumerate() {
        let rel = format!("{CHECKPOINTS_DIR}/{name}");
        if i == MAX_SAVED_CHECKPOINTS {
            problems.push(problem(
                Severity::Warning,
                "checkpoint-stray",
                CHECKPOINTS_DIR.into(),
                format!(
                    "{CHECKPOINTS_DIR}: more than {MAX_SAVED_CHECKPOINTS} entries; the other {} were not checked",
                    names.len() - i
                ),
            ));
            break;
        }
        let Some(size) = size else {
            problems.push(problem(
                Severity::Warning,
                "checkpoint-stray",
                rel.clone(),
                format!("{rel}: not a checkpoint file name (SIZE.txt); not read"),
            ));
            continue;
        };
        match read_saved(&dir.join(name), &rel) {
            Ok(signed) if signed.checkpoint.size == *size => {
                problems.extend(check_leaves(&leaves, state, &signed, &rel))
            }
            Ok(signed) => problems.push(problem(
                Severity::Error,
                "checkpoint-malformed",
                rel.clone(),
                format!(
                    "{rel}: named for {size} entries but is a checkpoint of {}",
                    signed.checkpoint.size
                ),
            )),
            Err(e) => problems.push(problem(
                Severity::Error,
                "checkpoint-malformed",
                rel.clone(),
                e.to_string(),
            )),
        }
    }
    Ok(problems)
}

/// The entries of the checkpoints folder with the size their name states
/// (`SIZE.txt`, SIZE in plain decimal; `None` for any other name), sorted
/// by size and then by name.
fn saved_names(dir: &Path) -> std::io::Result<Vec<(String, Option<u64>)>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let size = name
            .strip_suffix(".txt")
            .filter(|d| {
                !d.is_empty()
                    && d.bytes().all(|b| b.is_ascii_digit())
                    && (d.len() == 1 || !d.starts_with('0'))
            })
            .and_then(|d| d.parse().ok());
        names.push((name, size));
    }
    names.sort_by(|(a, x), (b, y)| (x.is_none(), x, a).cmp(&(y.is_none(), y, b)));
    Ok(names)
}

/// Reads a checkpoint kept in a case folder: no link followed, a regular
/// file, at most [`MAX_NOTE_BYTES`] read.
fn read_saved(path: &Path, what: &str) -> Result<SignedCheckpoint, CheckpointError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::fsutil::open_regular(path, false)
        .and_then(|f| f.take(MAX_NOTE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| CheckpointError::Unreadable {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::Unreadable {
            what: what.to_string(),
            reason: format!("larger than {MAX_NOTE_BYTES} bytes; not a checkpoint"),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| CheckpointError::Unreadable {
        what: what.to_string(),
        reason: "not UTF-8 text; not a checkpoint".into(),
    })?;
    Ok(SignedCheckpoint::parse(&text, what)?)
}
