//! What each fuzz target does with its input: one public function per
//! target, calling the custodian library's own parsers exactly as the
//! command-line tool does, then checking a few properties that must hold
//! for every input (a parsed value re-encodes to something that parses to
//! the same value). A panic here is a bug.
//!
//! The same file is compiled into the main crate's test suite
//! (`tests/fuzz_corpus.rs`, by `#[path]`), which replays every committed
//! corpus file through these functions on each `cargo test`, so the
//! corpora stay valid regression inputs without a fuzzer.
//!
//! Targets still to add when their branches are merged (same pattern: a
//! function here, a file in `fuzz_targets/`, a `[[bin]]` in Cargo.toml, a
//! seed folder under `corpus/`): evidence packages, imported hash sets,
//! RFC 3161 timestamp tokens.

use std::path::Path;

use custodian::checkpoint::{NoteVerifier, SignedCheckpoint};
use custodian::hashing::ManifestReader;
use custodian::hashlist::HashList;
use custodian::keys::{parse_allowed_signers, SignerKey};
use custodian::ledger::verify::{line_problems, verify_raw};
use custodian::ledger::{RawLedger, VerifyOptions};
use custodian::merkle::proof::Proof;

/// The fixture case's allowed_signers file: the keys the committed
/// ledgers, checkpoints and proofs are signed with, so mutated inputs
/// still reach signature checking.
pub const ALLOWED_SIGNERS: &str = include_str!("../../fixtures/ledger/allowed_signers");

/// The lead investigator's public key (the fixture ledger's root of trust).
pub const LEAD_PUB: &str = include_str!("../../fixtures/keys/lead.pub");

/// Longest input worth trying (larger inputs only cost time; the resource
/// bounds have their own tests in `tests/hostile.rs`).
pub const MAX_LEN: usize = 64 << 10;

/// One ledger line: JSON, canonical form, version, fields, timestamp, body.
pub fn ledger_line(data: &[u8]) {
    let problems = line_problems(data);
    // A line that passes every check must be canonical JSON: re-encoding
    // what it parses to gives the same bytes.
    if problems.is_empty() {
        let v: serde_json::Value = serde_json::from_slice(data).expect("a clean line is JSON");
        assert_eq!(
            custodian::ledger::canonical(&v),
            data,
            "clean line is not canonical"
        );
    }
}

/// A whole ledger, verified with the lead key as the trusted root.
pub fn ledger(data: &[u8]) {
    let lead = SignerKey::from_openssh(LEAD_PUB.trim(), "lead.pub").expect("fixture key");
    let opts = VerifyOptions {
        trusted_roots: vec![lead.fingerprint().clone()],
        ..VerifyOptions::default()
    };
    let raw = RawLedger::parse(data.to_vec());
    let report = verify_raw(&raw, &opts);
    assert_eq!(report.entries as usize, raw.lines.len());
    assert_eq!(report.bytes as usize, data.len());
    if report.is_valid() {
        assert!(raw.torn.is_none(), "a torn tail was accepted");
        assert!(!raw.lines.is_empty(), "an empty ledger was accepted");
    }
}

/// A manifest: header, then every record line.
pub fn manifest(data: &[u8]) {
    if let Ok(reader) = ManifestReader::new(data, Path::new("fuzz.jsonl")) {
        for record in reader {
            if record.is_err() {
                break;
            }
        }
    }
}

/// An OpenSSH public key line, and the same text as an allowed_signers file.
pub fn keys(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = SignerKey::from_openssh(text, "fuzz.pub") {
        // What we accepted re-encodes to a line we accept as the same key.
        let again = SignerKey::from_openssh(&key.to_openssh(), "again").expect("re-encoded key");
        assert_eq!(again.fingerprint(), key.fingerprint());
    }
    if let Ok(signers) = parse_allowed_signers(text, "fuzz") {
        for s in signers {
            assert!(!s.principals.is_empty());
        }
    }
    let _ = NoteVerifier::from_allowed_signers(text, "fuzz");
}

/// Any hash list `diff` reads: sha256sum-style (GNU, escaped), BSD and
/// OpenSSL tags, hashdeep, DFXML, custodian manifests.
pub fn hashlist(data: &[u8]) {
    if let Ok(list) = HashList::parse(Path::new("fuzz.txt"), data, None) {
        for f in &list.files {
            // Paths are relative to the stripped prefix, never empty
            // unless the list named an empty path.
            let _ = f.display();
        }
    }
}

/// A signed checkpoint (C2SP signed note), checked against the fixture
/// case's signers.
pub fn checkpoint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(signed) = SignedCheckpoint::parse(text, "fuzz.txt") {
        let verifiers = NoteVerifier::from_allowed_signers(ALLOWED_SIGNERS, "allowed_signers")
            .expect("fixture");
        let _ = signed.verify_signatures(&verifiers).describe();
        // What we accepted writes back out to a note that parses the same.
        let again = SignedCheckpoint::parse(&signed.to_text(), "again").expect("re-encoded note");
        assert_eq!(again.checkpoint, signed.checkpoint);
    }
}

/// A Merkle proof file (`verify-proof` input): parsed, then verified.
pub fn proof(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Proof::parse(text, "fuzz.json") {
        let verdict = p.verify("fuzz.json");
        let again = Proof::parse(&p.to_json(), "again").expect("re-encoded proof");
        assert_eq!(again, p);
        assert_eq!(p.verify("again").is_ok(), verdict.is_ok());
    }
}
