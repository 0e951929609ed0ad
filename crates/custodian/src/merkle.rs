//! The RFC 9162 Merkle tree over a ledger's entry hashes. The tree, its
//! proofs and proof files are part of the format (`custodian_format::merkle`);
//! this module adds the leaves of a ledger as read from disk.

pub use custodian_format::merkle::*;

use crate::ledger::RawLedger;

/// The leaf hashes of a ledger: leaf *i* is the raw SHA-256 of whole line
/// *i* (its entry hash). A torn tail is not a line and not a leaf.
pub fn ledger_leaf_hashes(raw: &RawLedger) -> Vec<Hash> {
    line_leaf_hashes((0..raw.lines.len()).map(|i| raw.line(i)))
}
