//! Privacy-preserving matching between two agencies that share a secret
//! key: each side publishes HMAC-SHA256(key, digest) of its digests, sorted
//! and de-duplicated, with nothing else; each side can then tell which of
//! its own files the other holds, and an interceptor without the key learns
//! nothing but a count. Format and threat model in `docs/guide/cross-case.md`.
//!
//! The list and key formats (and the HMAC) are
//! [`custodian_format::blinded`], re-exported here; this module reads and
//! writes them as files and matches them against an index.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use std::collections::{BTreeMap, BTreeSet};

use super::{Backend, Hit, IndexError, KnownGood};
use crate::case::Case;
use crate::hashing::Algorithm;
use crate::keys::SigningKey;
use crate::ledger::{entry_hash, Appended, Body, LedgerError, Note};

pub use custodian_format::blinded::{
    header, parse, parse_header, to_bytes, BlindedError, BlindedList, BlindedProblem, BlindingKey,
    BlindingKeyError, ListReader, MAC, MAGIC, MIN_KEY_BYTES, VERSION,
};

/// Reads a shared key file (see [`BlindingKey::from_key_file`]).
pub fn load_key(path: &Path) -> Result<BlindingKey, IndexError> {
    let text = fs::read(path).map_err(|e| IndexError::io(path, e))?;
    BlindingKey::from_key_file(&text).map_err(|error| IndexError::BlindingKey {
        path: path.to_path_buf(),
        error,
    })
}

/// Writes a new random 32-byte key as hex to `path` (mode 0600),
/// refusing to overwrite a file.
pub fn generate_key(path: &Path) -> Result<(), IndexError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut key = [0u8; MIN_KEY_BYTES];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| IndexError::io(Path::new("/dev/urandom"), e))?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| IndexError::io(path, e))?;
    f.write_all(BlindingKey::key_file(&key).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| IndexError::io(path, e))?;
    sync_parent(path)
}

/// A blinded file, read and checked.
#[derive(Debug, Clone)]
pub struct BlindedFile {
    pub path: PathBuf,
    /// The digest algorithm the partner blinded.
    pub algorithm: Algorithm,
    /// Sorted, distinct.
    pub macs: Vec<[u8; 32]>,
    /// SHA-256 of the file's bytes, to cite the exchange.
    pub sha256: String,
}

/// What [`export`] wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub count: u64,
    pub sha256: String,
    /// Digests left out because they are known good.
    pub known_good: u64,
}

/// Writes HMAC-SHA256(key, d) of every distinct `algo` digest in the index
/// (known-good ones left out) to `out`, sorted, atomically (temporary file,
/// fsync, rename). Refuses to overwrite `out`.
pub fn export(
    index: &mut dyn Backend,
    algo: Algorithm,
    key: &BlindingKey,
    known: &dyn KnownGood,
    out: &Path,
) -> Result<Exported, IndexError> {
    if out.symlink_metadata().is_ok() {
        return Err(IndexError::Exists {
            path: out.to_path_buf(),
        });
    }
    let mut macs: Vec<[u8; 32]> = Vec::new();
    let mut known_good = 0u64;
    index.for_each_digest(algo, &mut |d| {
        if known.is_known_good(algo, d) {
            known_good += 1;
        } else {
            macs.push(key.blind(d));
        }
        Ok(())
    })?;
    macs.sort_unstable();
    macs.dedup();
    let bytes = to_bytes(algo, &macs);
    write_atomic(out, &bytes)?;
    Ok(Exported {
        count: macs.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        known_good,
    })
}

fn write_atomic(out: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| IndexError::io(&tmp, e))?;
    let r = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| fs::rename(&tmp, out));
    if let Err(e) = r {
        let _ = fs::remove_file(&tmp);
        return Err(IndexError::io(out, e));
    }
    sync_parent(out)
}

fn sync_parent(path: &Path) -> Result<(), IndexError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| IndexError::io(parent, e))
}

/// Reads a blinded file, checking every line as [`ListReader`] does: the
/// header, then exactly `count` lines of 64 lowercase hex digits in
/// strictly ascending order, each ending in a newline.
pub fn read(path: &Path) -> Result<BlindedFile, IndexError> {
    let f = File::open(path).map_err(|e| IndexError::io(path, e))?;
    let mut rd = BufReader::new(f);
    let mut hasher = Sha256::new();
    let bad = |error| IndexError::Blinded {
        path: path.to_path_buf(),
        error,
    };
    let mut list = ListReader::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = rd
            .read_until(b'\n', &mut buf)
            .map_err(|e| IndexError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf);
        list.push(&buf).map_err(bad)?;
    }
    let BlindedList { algorithm, macs } = list.finish().map_err(bad)?;
    Ok(BlindedFile {
        path: path.to_path_buf(),
        algorithm,
        macs,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// What [`match_file`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Matched {
    /// Distinct digests of ours the partner also holds.
    pub digests: u64,
    /// Every place in our index of those digests, sorted.
    pub hits: Vec<Hit>,
    /// Distinct digests of ours compared (known-good ones excluded).
    pub compared: u64,
    pub known_good: u64,
}

/// Blinds every distinct digest of ours (of the partner's algorithm) with
/// `key` and looks it up in the partner's file.
pub fn match_file(
    index: &mut dyn Backend,
    file: &BlindedFile,
    key: &BlindingKey,
    known: &dyn KnownGood,
) -> Result<Matched, IndexError> {
    let algo = file.algorithm;
    let mut found: Vec<(Algorithm, Vec<u8>)> = Vec::new();
    let (mut compared, mut known_good) = (0u64, 0u64);
    index.for_each_digest(algo, &mut |d| {
        if known.is_known_good(algo, d) {
            known_good += 1;
            return Ok(());
        }
        compared += 1;
        if file.macs.binary_search(&key.blind(d)).is_ok() {
            found.push((algo, d.to_vec()));
        }
        Ok(())
    })?;
    let mut hits = index.lookup(&found)?;
    hits.sort();
    Ok(Matched {
        digests: found.len() as u64,
        hits,
        compared,
        known_good,
    })
}

/// Why a blinded match could not be recorded in a case.
#[derive(Debug, thiserror::Error)]
pub enum RecordMatchError {
    #[error("cannot open case {}", .dir.display())]
    Open {
        dir: PathBuf,
        #[source]
        source: LedgerError,
    },
    #[error(transparent)]
    Read(LedgerError),
    /// Entry 0 of the folder is not the one the index recorded: the folder
    /// now holds another case (or a rewritten one).
    #[error("case {}: the folder no longer holds case {case_id} as indexed (entry 0 differs); re-run `custodian index add`", .dir.display())]
    NotAsIndexed { dir: PathBuf, case_id: String },
    #[error("cannot append to case {}", .dir.display())]
    NotAppended {
        dir: PathBuf,
        #[source]
        source: LedgerError,
    },
}

/// Appends to the case at `dir` a note signed by `key` citing the blinded
/// exchange `theirs` with `partner` and what it matched there (`hits`, all
/// of that one case), after checking that the folder still holds the case
/// the index knows: a match must never be recorded in another case.
pub fn record_match(
    dir: &Path,
    hits: &[Hit],
    theirs: &BlindedFile,
    partner: &str,
    key: &SigningKey,
) -> Result<Appended, RecordMatchError> {
    let case = Case::open(dir).map_err(|source| RecordMatchError::Open {
        dir: dir.to_path_buf(),
        source,
    })?;
    let raw = case.ledger().read_raw().map_err(RecordMatchError::Read)?;
    let Some(first) = hits.first() else {
        return Err(RecordMatchError::NotAsIndexed {
            dir: dir.to_path_buf(),
            case_id: String::new(),
        });
    };
    if raw.lines.is_empty() || entry_hash(raw.line(0)) != first.case_key {
        return Err(RecordMatchError::NotAsIndexed {
            dir: dir.to_path_buf(),
            case_id: first.case_id.clone(),
        });
    }
    let text = match_note(hits, theirs, partner);
    case.append(key, &Body::Note(Note { text }))
        .map_err(|source| RecordMatchError::NotAppended {
            dir: dir.to_path_buf(),
            source,
        })
}

/// The text of the note recording a blinded match: the exchange file (name,
/// SHA-256, size, format) and, per exhibit, how many of its files matched.
fn match_note(hits: &[Hit], theirs: &BlindedFile, partner: &str) -> String {
    let mut per_exhibit: BTreeMap<&str, u64> = BTreeMap::new();
    for h in hits {
        *per_exhibit.entry(h.exhibit.as_str()).or_default() += 1;
    }
    let digests: BTreeSet<&[u8]> = hits.iter().map(|h| h.digest.as_slice()).collect();
    format!(
        "Blinded cross-agency match with {partner}: exchange file {} (sha256 {}, {} blinded {} digests, {MAGIC} version {VERSION}, {MAC}). The partner also holds {} distinct file content(s) of this case, {} file(s): {}.",
        theirs
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        theirs.sha256,
        theirs.macs.len(),
        theirs.algorithm.name(),
        digests.len(),
        hits.len(),
        per_exhibit
            .iter()
            .map(|(e, n)| format!("exhibit {e} ({n} file(s))"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
