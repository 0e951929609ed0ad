//! custodian: offline forensic evidence cataloguing.
//!
//! The library holds everything a test or another program may want: the
//! case folder ([`case`]), the signed hash-chained ledger ([`ledger`]),
//! OpenSSH keys and signatures ([`keys`]), the multi-digest hashing and
//! manifest engine ([`hashing`]) and timestamps ([`time`]). The `custodian`
//! binary is a thin command-line shell over it.

pub mod acquire;
pub mod audit;
pub mod case;
pub mod checkpoint;
pub mod custody;
pub mod findings;
pub mod hashing;
pub mod hashlist;
pub mod interop;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod process;
pub mod report;
pub mod time;

pub use case::{Case, CaseInit};
pub use keys::{Fingerprint, SignerKey, SigningKey};
pub use ledger::{Ledger, LedgerError, Stamp};
