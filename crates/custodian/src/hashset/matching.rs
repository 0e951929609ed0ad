//! Looking an exhibit's files up in hash sets, and recording the result as
//! a signed `exhibit.hashset-match` entry.

use crate::case::Case;
use crate::hashing::{FileKind, ManifestReader};
use crate::keys::SigningKey;
use crate::ledger::{Appended, Body, HashsetHit, HashsetMatch, HashsetUsed, LedgerError};

use super::{Kind, Matcher, StoreError};

/// Why an exhibit could not be matched or the match recorded.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] crate::hashing::HashError),
    #[error("case {case} has no exhibit {exhibit:?}", case = .case.display())]
    NoExhibit {
        case: std::path::PathBuf,
        exhibit: String,
    },
    #[error("manifest {path} does not match its ledger entry {seq} (sha256 {found}, recorded {recorded}); run `custodian verify`", path = .path.display())]
    Manifest {
        path: std::path::PathBuf,
        seq: u64,
        found: String,
        recorded: String,
    },
    #[error("no hash set to match against")]
    NoSets,
}

/// Looks up every regular file of `exhibit`'s manifest (checked against its
/// signed SHA-256 first) in every set of `matcher`. A file is compared on
/// each algorithm both it and a set have; one match per (file, set) is
/// kept, on the strongest such algorithm.
pub fn match_exhibit(
    case: &Case,
    exhibit: &str,
    matcher: &Matcher,
) -> Result<HashsetMatch, MatchError> {
    if matcher.is_empty() {
        return Err(MatchError::NoSets);
    }
    let state = case.ledger().state()?;
    let (exhibit, x) =
        state
            .exhibits
            .get_key_value(exhibit)
            .ok_or_else(|| MatchError::NoExhibit {
                case: case.dir().to_path_buf(),
                exhibit: exhibit.to_string(),
            })?;
    let path = case.dir().join(&x.acquisition.manifest.path);
    let (found, _) = crate::case::sha256_file(&path).map_err(|source| StoreError::Io {
        path: path.clone(),
        source,
    })?;
    if found != x.acquisition.manifest.sha256 {
        return Err(MatchError::Manifest {
            path,
            seq: x.acquired_seq,
            found,
            recorded: x.acquisition.manifest.sha256.clone(),
        });
    }
    let sets: Vec<_> = matcher.sets().cloned().collect();
    let mut out = HashsetMatch {
        exhibit: exhibit.clone(),
        sets: sets
            .iter()
            .map(|s| HashsetUsed {
                name: s.name.clone(),
                kind: s.kind.as_str().to_string(),
                version: s.version.clone(),
                source_sha256: s.source.sha256.clone(),
                imported: s.imported.clone(),
                counts: s.counts(),
            })
            .collect(),
        files: 0,
        known_good: 0,
        known_good_paths: Vec::new(),
        matches: Vec::new(),
    };
    let mut raw = Vec::with_capacity(64);
    for record in ManifestReader::open(&path)? {
        let r = record?;
        if r.kind != FileKind::File || r.digests.is_empty() {
            continue;
        }
        out.files += 1;
        let mut good = false;
        for (i, set) in sets.iter().enumerate() {
            // Strongest algorithm first.
            let mut digests: Vec<_> = r.digests.iter().collect();
            digests.reverse();
            for (algo, hex) in digests {
                raw.resize(hex.len() / 2, 0);
                if hex::decode_to_slice(hex, &mut raw).is_err() {
                    continue;
                }
                if !matcher.set_contains(i, algo, &raw)? {
                    continue;
                }
                if set.kind == Kind::KnownGood {
                    good = true;
                } else {
                    out.matches.push(HashsetHit {
                        path: r.path.clone(),
                        algorithm: algo.name().to_string(),
                        digest: hex.to_string(),
                        set: set.name.clone(),
                        kind: set.kind.as_str().to_string(),
                    });
                }
                break;
            }
        }
        if good {
            out.known_good += 1;
            out.known_good_paths.push(r.path.clone());
        }
    }
    Ok(out)
}

/// Appends the match as a signed `exhibit.hashset-match` entry.
pub fn record(case: &Case, key: &SigningKey, body: &HashsetMatch) -> Result<Appended, LedgerError> {
    case.append(key, &Body::HashsetMatch(Box::new(body.clone())))
}
