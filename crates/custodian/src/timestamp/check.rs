//! Checking a case's attached timestamps again (`verify`, `report`): each
//! `timestamp.attach` entry's reply is the file recorded, its checkpoint is
//! the ledger's, and its token passes the levels (docs/guide/timestamps.md
//! §5).

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    check_response, imprint_of, read_bounded, Levels, TimestampAttach, TimestampError, TrustAnchors,
};
use crate::checkpoint::encode_hash;

/// One attached token as `verify` sees it now.
#[derive(Debug, Clone, Serialize)]
pub struct TokenCheck {
    /// Sequence number of the `timestamp.attach` entry.
    pub entry: u64,
    pub reply: String,
    pub size: u64,
    pub root: String,
    pub gen_time: String,
    pub tsa: String,
    pub serial: String,
    pub policy: String,
    /// `verified`, `unverified-chain` or `invalid`.
    pub verdict: &'static str,
    /// Why the token cannot be relied on, if it cannot (file, checkpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub levels: Option<Levels>,
}

/// Problem codes `verify` reports for attached tokens.
pub mod code {
    pub const FILE: &str = "timestamp-file";
    pub const CHECKPOINT: &str = "timestamp-checkpoint";
    pub const INVALID: &str = "timestamp-invalid";
}

/// Checks every `timestamp.attach` entry of a ledger: the reply file is the
/// one recorded (SHA-256), the checkpoint it names is the ledger's (same
/// origin, and the first SIZE entries give ROOT), and the token passes
/// levels 1-3 (and 4 with `anchors`) against that checkpoint and the
/// recorded nonce. Returns one [`TokenCheck`] per entry and the problems.
pub fn check_case<E>(
    case_dir: &Path,
    mut lines: impl FnMut(&mut dyn FnMut(u64, &[u8])) -> Result<(), E>,
    case_id: Option<&str>,
    anchors: Option<&TrustAnchors>,
) -> Result<(Vec<TokenCheck>, Vec<crate::ledger::Problem>), E> {
    use crate::ledger::{Entry, Problem, Severity};
    // First pass: the attach entries (few), kept with their line's offset.
    // A line can name the type only literally or through a \u escape.
    let mut attached = Vec::new();
    lines(&mut |offset, line| {
        let maybe = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
        if !maybe(b"timestamp.attach") && !maybe(b"\\u") {
            return;
        }
        let Ok(entry) = serde_json::from_slice::<Entry>(line) else {
            return;
        };
        if entry.kind != crate::ledger::kind::TIMESTAMP_ATTACH {
            return;
        }
        let Ok(body) = serde_json::from_value::<TimestampAttach>(entry.body) else {
            return; // the ledger check reports an invalid body
        };
        attached.push((offset, entry.seq, body));
    })?;
    if attached.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    // Second pass: the tree's root at each size a token names, from a
    // frontier (O(log n) memory, whatever the ledger's size).
    let mut roots = std::collections::HashMap::new();
    let wanted: std::collections::BTreeSet<u64> = attached.iter().map(|a| a.2.size).collect();
    let mut tree = crate::merkle::Frontier::new();
    if wanted.contains(&0) {
        roots.insert(0, tree.root());
    }
    lines(&mut |_, line| {
        tree.push(crate::merkle::leaf_hash(&Sha256::digest(line)));
        if wanted.contains(&tree.len()) {
            roots.insert(tree.len(), tree.root());
        }
    })?;
    let ledger = LedgerView {
        roots: &roots,
        size: tree.len(),
        case_id,
    };
    let mut checks = Vec::new();
    let mut problems = Vec::new();
    for (offset, seq, body) in attached {
        let mut tc = TokenCheck {
            entry: seq,
            reply: body.reply.clone(),
            size: body.size,
            root: body.root.clone(),
            gen_time: body.gen_time.clone(),
            tsa: body.tsa.clone(),
            serial: body.serial.clone(),
            policy: body.policy.clone(),
            verdict: "invalid",
            problem: None,
            levels: None,
        };
        let Some(outcome) = check_token(case_dir, seq, &body, ledger, anchors, &mut tc) else {
            continue;
        };
        if let Err(p) = outcome {
            tc.problem = Some(p.message.clone());
            problems.push(Problem {
                severity: Severity::Error,
                code: p.code,
                entry: Some(seq),
                offset: Some(offset),
                path: p.path,
                expected: p.expected,
                found: p.found,
                message: p.message,
            });
        }
        checks.push(tc);
    }
    Ok((checks, problems))
}

/// What [`check_token`] needs of the ledger: its tree's root at each size
/// a token names, its size (whole lines) and its case id.
#[derive(Clone, Copy)]
struct LedgerView<'a> {
    roots: &'a std::collections::HashMap<u64, crate::merkle::Hash>,
    size: u64,
    case_id: Option<&'a str>,
}

/// Why one attached token cannot be relied on, before it is placed in the
/// ledger as a [`crate::ledger::Problem`].
struct TokenProblem {
    code: &'static str,
    path: Option<String>,
    expected: Option<String>,
    found: Option<String>,
    message: String,
}

impl TokenProblem {
    fn new(code: &'static str, path: Option<&str>, message: String) -> TokenProblem {
        TokenProblem {
            code,
            path: path.map(str::to_string),
            expected: None,
            found: None,
            message,
        }
    }
}

/// Checks one attached token (entry `seq`), filling in `tc`'s verdict and
/// levels. `None`: the body names no checkpoint to check against (the
/// ledger check reports it); otherwise the first problem, if any.
fn check_token(
    case_dir: &Path,
    seq: u64,
    body: &TimestampAttach,
    ledger: LedgerView,
    anchors: Option<&TrustAnchors>,
    tc: &mut TokenCheck,
) -> Option<Result<(), TokenProblem>> {
    // The checkpoint must be this ledger's.
    if let Some(m) = checkpoint_problem(seq, body, ledger) {
        return Some(Err(TokenProblem::new(code::CHECKPOINT, None, m)));
    }
    let checkpoint = body.checkpoint().ok()?;
    let imprint = imprint_of(&checkpoint);
    if hex::encode(imprint) != body.imprint {
        return Some(Err(TokenProblem {
            expected: Some(hex::encode(imprint)),
            found: Some(body.imprint.clone()),
            ..TokenProblem::new(
                code::CHECKPOINT,
                None,
                format!(
                    "entry {seq}: the recorded imprint {} is not the SHA-256 of the checkpoint body",
                    body.imprint
                ),
            )
        }));
    }
    // The reply file must be the one recorded.
    let bytes = match reply_bytes(case_dir, seq, body) {
        Ok(b) => b,
        Err(p) => return Some(Err(p)),
    };
    let nonce = hex::decode(&body.nonce).unwrap_or_default();
    let checked = check_response(&bytes, &imprint, &nonce, anchors);
    tc.verdict = checked.levels.verdict();
    let outcome = match checked.levels.first_failure() {
        Some(why) => Err(TokenProblem::new(
            code::INVALID,
            Some(&body.reply),
            format!(
                "timestamp reply {} (entry {seq}) does not verify: {why}",
                body.reply
            ),
        )),
        None => Ok(()),
    };
    tc.levels = Some(checked.levels);
    Some(outcome)
}

/// Why the checkpoint a token names is not this ledger's, if it is not:
/// a bad root, another case's origin, more entries than the ledger has, or
/// a root the ledger's first SIZE entries do not give.
fn checkpoint_problem(seq: u64, body: &TimestampAttach, ledger: LedgerView) -> Option<String> {
    let cp_root = crate::checkpoint::decode_hash(&body.root);
    let expected_origin = ledger.case_id.map(crate::checkpoint::origin_for_case);
    // A root is recorded only for a size the ledger reached.
    let ledger_root = ledger.roots.get(&body.size);
    match (&cp_root, &ledger_root) {
        (Err(e), _) => Some(format!("entry {seq}: checkpoint root {e}")),
        _ if expected_origin.as_deref().is_some_and(|o| o != body.origin) => Some(format!(
            "entry {seq}: the timestamped checkpoint is of {:?}, not of this case",
            body.origin
        )),
        (_, None) => Some(format!(
            "entry {seq}: the timestamped checkpoint has size {}, but the ledger has only {} entries",
            body.size, ledger.size
        )),
        (Ok(r), Some(l)) if r != *l => Some(format!(
            "entry {seq}: the timestamped checkpoint of size {} has root {}, but the ledger's first {} entries give {}: the ledger was rewritten",
            body.size, body.root, body.size, encode_hash(l)
        )),
        _ => None,
    }
}

/// The bytes of the reply a token's entry records, checked to stay inside
/// `timestamps/` and to have the recorded SHA-256.
fn reply_bytes(case_dir: &Path, seq: u64, body: &TimestampAttach) -> Result<Vec<u8>, TokenProblem> {
    let path = case_dir.join(&body.reply);
    let bytes = safe_rel(&body.reply)
        .and_then(|_| read_bounded(&path))
        .map_err(|e| {
            TokenProblem::new(
                code::FILE,
                Some(&body.reply),
                format!(
                    "timestamp reply {} (entry {seq}) cannot be read: {e}",
                    body.reply
                ),
            )
        })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    if sha != body.reply_sha256 {
        return Err(TokenProblem {
            expected: Some(body.reply_sha256.clone()),
            found: Some(sha),
            ..TokenProblem::new(
                code::FILE,
                Some(&body.reply),
                format!(
                    "timestamp reply {} is not the file attached in entry {seq} (its SHA-256 differs): it was replaced or altered",
                    body.reply
                ),
            )
        });
    }
    Ok(bytes)
}

/// A recorded relative path must stay inside `timestamps/`.
fn safe_rel(rel: &str) -> Result<(), TimestampError> {
    let ok = rel.starts_with("timestamps/")
        && !rel.contains("..")
        && !rel.contains('\\')
        && rel.matches('/').count() == 1;
    if ok {
        Ok(())
    } else {
        Err(TimestampError::OutsideFolder {
            rel: rel.to_string(),
        })
    }
}

/// A `TSA-UNVERIFIED` finding for each token whose levels 1-3 hold but whose
/// certificate chain was not checked (no CA given). Failed tokens already
/// give `TSA-INVALID` through their problems.
pub fn unverified_findings(checks: &[TokenCheck]) -> Vec<crate::custody::Finding> {
    checks
        .iter()
        .filter(|t| t.verdict == "unverified-chain")
        .map(|t| crate::custody::Finding {
            id: "TSA-UNVERIFIED",
            severity: "low",
            entries: vec![t.entry],
            exhibits: Vec::new(),
            message: format!(
                "timestamp {} (entry {}) by {}: the TSA certificate was not checked against a CA (give --tsa-ca)",
                t.reply, t.entry, t.tsa
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_paths_stay_in_the_timestamps_folder() {
        assert!(safe_rel("timestamps/6-4142434445464748.tsr").is_ok());
        for bad in [
            "../x.tsr",
            "timestamps/../ledger.jsonl",
            "/etc/passwd",
            "timestamps/a/b.tsr",
            "x.tsr",
        ] {
            let err = safe_rel(bad).unwrap_err();
            assert!(
                matches!(&err, TimestampError::OutsideFolder { rel } if rel == bad),
                "{bad}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("{bad:?} is not a file in timestamps/")
            );
        }
    }
}
