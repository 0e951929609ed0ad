//! custodian-format: every format custodian signs or exchanges, as types.
//!
//! This crate is what a third party needs to write their own verifier of a
//! custodian case: the ledger entry envelope and its RFC 8785 canonical
//! bytes ([`entry`]), the typed body of every entry kind ([`body`], with
//! custody events in [`custody`] and timestamps in [`timestamp`]), the
//! fixed timestamp form ([`time`]), OpenSSH keys and SSHSIG signatures
//! ([`sshsig`]), the source-device record and the acquiring machine's
//! system and clock as an acquisition records them ([`source`]), the RFC
//! 9162 Merkle tree and proof files ([`merkle`]), C2SP signed-note
//! checkpoints ([`checkpoint`]), the evidence package's layout and signed
//! index ([`package`]) and the blinded digest lists of a cross-agency
//! exchange ([`blinded`]).
//!
//! It has no file system, no clock and no network: every function takes
//! bytes or values and returns values. It depends on no other crate of the
//! custodian workspace. The normative descriptions are in the repository's
//! `docs/` (the ledger, manifest, package and transparency specs).
#![forbid(unsafe_code)]

pub mod attachment;
pub mod blinded;
pub mod body;
pub mod checkpoint;
pub mod custody;
mod ed25519_batch;
pub mod entry;
pub mod id;
pub mod jcs;
pub mod manifest;
pub mod merkle;
pub mod package;
pub mod source;
pub mod sshsig;
pub mod time;
pub mod timestamp;

pub use body::{Body, BodyError};
pub use entry::{
    canonical, entry_hash, Entry, Tool, FORMAT_VERSION, GENESIS_PREV, OLDEST_FORMAT_VERSION,
};
pub use id::{is_lower_hex, CaseId, Digest, EntryHash, ExhibitId, IdError};
pub use sshsig::{Fingerprint, SignatureError, SignerKey};

/// The README's example compiles (`cargo test --doc`).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
