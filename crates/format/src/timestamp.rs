//! The `timestamp.attach` entry body: an RFC 3161 token over a checkpoint,
//! as the ledger records it. Requesting, reading and checking tokens is the
//! engine's work (`custodian::timestamp`).

use serde::{Deserialize, Serialize};

use crate::checkpoint::{decode_hash, Checkpoint, HashTextError};

/// Body of a `timestamp.attach` entry (docs/spec/ledger.md, docs/guide/timestamps.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampAttach {
    /// The checkpoint timestamped: origin, size, root (base64).
    pub origin: String,
    pub size: u64,
    pub root: String,
    /// Hex SHA-256 of the checkpoint body: the message imprint.
    pub imprint: String,
    /// Hex of the request's nonce.
    pub nonce: String,
    /// The request file, relative to the case, and its hex SHA-256.
    pub request: String,
    pub request_sha256: String,
    /// The reply file (TimeStampResp DER), relative to the case, and its
    /// hex SHA-256.
    pub reply: String,
    pub reply_sha256: String,
    /// As the token says: genTime, TSA name, serial (hex), policy OID.
    pub gen_time: String,
    pub tsa: String,
    pub serial: String,
    pub policy: String,
}

impl TimestampAttach {
    /// The checkpoint the entry names.
    pub fn checkpoint(&self) -> Result<Checkpoint, HashTextError> {
        Ok(Checkpoint {
            origin: self.origin.clone(),
            size: self.size,
            root: decode_hash(&self.root)?,
        })
    }
}
