//! Attaching a TSA's reply to a case: check that it answers one of the
//! case's requests, that the request's checkpoint is still the ledger's,
//! and that the token passes its levels; then store the reply and record a
//! signed `timestamp.attach` entry (docs/guide/timestamps.md).
//!
//! The flow is split in two so that a caller can show the levels between
//! them: [`check_reply`] reads and judges, [`plan_record`] decides and
//! [`PendingAttach::record`] writes. Neither
//! writes anything for a reply that is refused.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{
    check_response, find_request, imprint_of, read_bounded, rel_path, reply_nonce, Checked,
    Request, TimestampAttach, TimestampError, TokenError, TrustAnchors, TIMESTAMPS_DIR,
};
use crate::case::Case;
use crate::checkpoint::{self, Checkpoint, CheckpointError, VerifiedCase};
use crate::keys::SigningKey;
use crate::ledger::{kind, Appended, Body, LedgerError};

/// Why a reply is refused: it answers no request of this case, its request
/// no longer matches the ledger, or the token fails a level. Nothing is
/// written for a refused reply.
#[derive(Debug, thiserror::Error)]
pub enum AttachRefusal {
    #[error("the token has no nonce, so it answers no custodian request")]
    NoNonce,
    #[error("level 1 (structure): {source}")]
    Structure {
        #[source]
        source: TokenError,
    },
    #[error("its nonce {nonce} matches no request in {dir}: it answers another request", dir = .dir.display())]
    NoRequest { nonce: String, dir: PathBuf },
    #[error("request {request}: {source}")]
    NoCheckpoint {
        request: String,
        #[source]
        source: CheckpointError,
    },
    #[error("request {request} imprints {requested}, not the checkpoint of the ledger's first {size} entries ({actual}): the ledger changed since the request")]
    LedgerChanged {
        request: String,
        requested: String,
        size: u64,
        actual: String,
    },
    /// The first level the token fails, in the words of
    /// [`super::Levels::first_failure`].
    #[error("{reason}")]
    Level { reason: String },
}

/// Why a reply could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The reply is not one this case may record.
    #[error(transparent)]
    Refused(#[from] AttachRefusal),
    /// The reply or its request cannot be read or parsed.
    #[error(transparent)]
    Read(#[from] TimestampError),
    #[error("{path}: another reply to this request is already stored; refusing to overwrite it", path = .path.display())]
    ReplyConflict { path: PathBuf },
    /// The ledger cannot be read.
    #[error(transparent)]
    Ledger(LedgerError),
    /// The `timestamp.attach` entry may not be appended (untrusted key …)
    /// or its append failed.
    #[error(transparent)]
    NotAppended(LedgerError),
    /// The reply cannot be stored in the case.
    #[error(transparent)]
    Store(#[from] CheckpointError),
}

/// A reply that answers a request of the case, with the checkpoint the
/// request imprints and the result of checking its token.
#[derive(Debug, Clone)]
pub struct ReplyCheck {
    pub reply: Vec<u8>,
    pub request: Request,
    /// The request's path relative to the case (`timestamps/SIZE-NONCE.tsq`).
    pub request_rel: String,
    pub request_bytes: Vec<u8>,
    pub checkpoint: Checkpoint,
    pub checked: Checked,
}

/// What recording a checked reply takes (see [`plan_record`]).
#[derive(Debug, Clone)]
pub enum Plan {
    /// The same reply is already stored and recorded; nothing to write.
    AlreadyAttached { reply_rel: String },
    /// The reply is to be stored and recorded.
    Record(Box<PendingAttach>),
}

/// A reply ready to be stored at `reply_rel` and recorded.
#[derive(Debug, Clone)]
pub struct PendingAttach {
    /// Where the reply goes, relative to the case (`timestamps/SIZE-NONCE.tsr`).
    pub reply_rel: String,
    reply_path: PathBuf,
    reply: Vec<u8>,
    body: Body,
}

/// Reads the reply at `reply_path` and finds the request of `verified`'s
/// case it answers (by its nonce), checks that the request imprints the
/// checkpoint of the ledger as it is, and checks the token at every level.
/// The levels are returned whatever they say; [`plan_record`] refuses a
/// token that fails one.
pub fn check_reply(
    verified: &VerifiedCase,
    case_id: &str,
    reply_path: &Path,
    anchors: Option<&TrustAnchors>,
) -> Result<ReplyCheck, AttachError> {
    let case_dir = verified.case.dir();
    let reply = read_bounded(reply_path)?;
    let nonce = match reply_nonce(&reply) {
        Ok(Some(n)) => n,
        Ok(None) => return Err(AttachRefusal::NoNonce.into()),
        Err(source) => return Err(AttachRefusal::Structure { source }.into()),
    };
    let (size, request_rel) =
        find_request(case_dir, &nonce).ok_or_else(|| AttachRefusal::NoRequest {
            nonce: hex::encode(&nonce),
            dir: case_dir.join(TIMESTAMPS_DIR),
        })?;
    let req_path = case_dir.join(&request_rel);
    let request_bytes = read_bounded(&req_path)?;
    let request = Request::from_der(&request_bytes, &req_path.display().to_string())?;
    let cp =
        checkpoint::checkpoint_of_ledger(&verified.raw, case_id, Some(size)).map_err(|source| {
            AttachRefusal::NoCheckpoint {
                request: request_rel.clone(),
                source,
            }
        })?;
    if imprint_of(&cp) != request.imprint {
        return Err(AttachRefusal::LedgerChanged {
            request: request_rel,
            requested: hex::encode(request.imprint),
            size,
            actual: hex::encode(imprint_of(&cp)),
        }
        .into());
    }
    let checked = check_response(&reply, &request.imprint, &request.nonce, anchors);
    Ok(ReplyCheck {
        reply,
        request,
        request_rel,
        request_bytes,
        checkpoint: cp,
        checked,
    })
}

/// Decides what recording a checked reply takes: refuses a token that
/// failed a level and a reply that differs from one already stored for the
/// same request; reports a reply already stored and recorded, so it is not
/// recorded twice. Writes nothing, and needs no key, so a caller asks for
/// one only when there is something to sign.
pub fn plan_record(verified: &VerifiedCase, check: &ReplyCheck) -> Result<Plan, AttachError> {
    if let Some(reason) = check.checked.levels.first_failure() {
        return Err(AttachRefusal::Level { reason }.into());
    }
    let stem = &check.request_rel[TIMESTAMPS_DIR.len() + 1..check.request_rel.len() - 4];
    let reply_rel = rel_path(stem, "tsr");
    let reply_path = verified.case.dir().join(&reply_rel);
    let reply_sha = hex::encode(Sha256::digest(&check.reply));
    if reply_path.exists() {
        if read_bounded(&reply_path)? != check.reply {
            return Err(AttachError::ReplyConflict { path: reply_path });
        }
        if already_recorded(verified, &reply_sha)? {
            return Ok(Plan::AlreadyAttached { reply_rel });
        }
    }
    let body = Body::TimestampAttach(Box::new(attach_body(check, &reply_rel, reply_sha)));
    Ok(Plan::Record(Box::new(PendingAttach {
        reply_rel,
        reply_path,
        reply: check.reply.clone(),
        body,
    })))
}

impl PendingAttach {
    /// Stores the reply and appends its `timestamp.attach` entry signed by
    /// `key`. The key is checked against the ledger before the reply is
    /// stored, so a key that may not sign leaves no unrecorded reply.
    pub fn record(&self, case: &Case, key: &SigningKey) -> Result<Appended, AttachError> {
        case.preflight(key, &self.body)
            .map_err(AttachError::NotAppended)?;
        checkpoint::write_atomic(&self.reply_path, &self.reply)?;
        case.append(key, &self.body)
            .map_err(AttachError::NotAppended)
    }
}

/// Whether a `timestamp.attach` entry already records the reply whose
/// SHA-256 is `reply_sha`.
fn already_recorded(verified: &VerifiedCase, reply_sha: &str) -> Result<bool, AttachError> {
    let entries = verified
        .case
        .ledger()
        .entries()
        .map_err(AttachError::Ledger)?;
    Ok(entries.into_iter().flatten().any(|(e, _)| {
        e.kind == kind::TIMESTAMP_ATTACH
            && e.body.get("reply_sha256").and_then(|v| v.as_str()) == Some(reply_sha)
    }))
}

/// The body of the `timestamp.attach` entry recording `check`.
fn attach_body(check: &ReplyCheck, reply_rel: &str, reply_sha: String) -> TimestampAttach {
    let cp = &check.checkpoint;
    let info = &check.checked.info;
    TimestampAttach {
        origin: cp.origin.clone(),
        size: cp.size,
        root: checkpoint::encode_hash(&cp.root),
        imprint: hex::encode(check.request.imprint),
        nonce: hex::encode(check.request.nonce),
        request: check.request_rel.clone(),
        request_sha256: hex::encode(Sha256::digest(&check.request_bytes)),
        reply: reply_rel.to_string(),
        reply_sha256: reply_sha,
        gen_time: info.gen_time.clone().unwrap_or_default(),
        tsa: info.tsa.clone().unwrap_or_default(),
        serial: info.serial.clone().unwrap_or_default(),
        policy: info.policy.clone().unwrap_or_default(),
    }
}
