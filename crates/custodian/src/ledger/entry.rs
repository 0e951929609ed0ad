//! Ledger entries: the envelope and bodies are format types
//! (`custodian_format::entry` and `custodian_format::body`), re-exported
//! here; this module adds what needs the running process.

pub use custodian_format::body::*;
pub use custodian_format::entry::*;
pub use custodian_format::id::{CaseId, EntryHash, ExhibitId};

/// This program, with the SHA-256 of the running executable (computed once
/// per process). Courts ask "what tool, which version?"; `exe_sha256` pins
/// the exact executable.
pub fn current_tool() -> Tool {
    static EXE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let exe = EXE.get_or_init(|| super::cache::exe_sha256(&std::env::current_exe().ok()?));
    Tool {
        name: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        exe_sha256: exe.clone(),
    }
}
