//! custodian: offline forensic evidence cataloguing.
//!
//! The library holds everything a test or another program may want:
//!
//! - the case folder ([`case`]) and its signed hash-chained ledger
//!   ([`ledger`]), signed with OpenSSH keys ([`keys`]), timestamps ([`time`]);
//! - acquisition ([`acquire`]) on the multi-digest hashing and manifest
//!   engine ([`hashing`]), with the provenance it records: the source-device
//!   record ([`provenance`]) and the acquiring machine's system and clock
//!   ([`host`]); acquisitions made by other tools, imported from their
//!   logs ([`import`]); photos, scans and forms kept in the case by their
//!   digest ([`attachment`]);
//! - checking: the evidence audit ([`audit`]), other tools' hash lists
//!   ([`hashlist`]), hash sets of known-good, known-bad and notable files
//!   ([`hashset`]);
//! - linking cases: the cross-case index on SQLite or PostgreSQL and
//!   blinded matching with a partner agency ([`index`]);
//! - chain of custody ([`custody`]) and the findings that weaken it
//!   ([`findings`]);
//! - admissibility reports ([`report`]), typeset as PDF, and printable
//!   exhibit and bag labels whose QR reference is checked against the
//!   ledger ([`label`]), by the embedded typesetter (`typeset`, feature
//!   `pdf`);
//! - transparency: the RFC 9162 Merkle tree and proofs ([`merkle`]) and
//!   signed checkpoints ([`checkpoint`]); evidence packages with selective
//!   disclosure ([`package`]);
//! - trusted timestamps: RFC 3161 requests and replies over checkpoints,
//!   made offline and checked at four levels ([`timestamp`]);
//! - interoperability: DFXML, CASE/UCO, E01 ([`interop`]);
//! - durable writes: temp file, fsync, rename ([`fsutil`]), and the
//!   debug-only fault injection that tests them ([`fault`]);
//! - process settings for front ends ([`process`]), and the one rule for
//!   showing untrusted text to a person ([`text`]).
//!
//! The `custodian` binary is a thin command-line shell over it.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod acquire;
pub mod agent;
pub mod attachment;
pub mod audit;
pub mod case;
pub mod checkpoint;
pub mod custody;
pub mod fault;
pub mod findings;
pub mod fsutil;
pub mod hashing;
pub mod hashlist;
pub mod hashset;
pub mod host;
pub mod import;
pub mod index;
mod intern;
pub mod interop;
pub mod keys;
pub mod label;
pub mod ledger;
pub mod merkle;
pub mod package;
pub mod process;
pub mod provenance;
pub mod report;
pub mod text;
pub mod time;
pub mod timestamp;
#[cfg(feature = "pdf")]
pub mod typeset;

pub use case::{Case, CaseInit};
pub use keys::{Fingerprint, SignerKey, SigningKey};
pub use ledger::{Ledger, LedgerError, Stamp};
