//! custodian: offline forensic evidence cataloguing.
pub mod hashing;
