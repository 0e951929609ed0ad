//! The committed fixture ledger (`fixtures/ledger/ledger.jsonl`) is the
//! worked example of `docs/spec/ledger.md` and the base of the test
//! vectors. It is of format version 1 (as custodian 0.1 wrote it: built
//! through the library, then re-signed as version 1), so that every later
//! version is shown to keep verifying it. Ed25519 signatures are deterministic, so rebuilding it from the
//! fixture keys with pinned times must give the same bytes: if this test
//! fails, the format changed. Run with `UPDATE_FIXTURES=1` to rewrite it
//! (and then update the spec's worked example).

mod common;

use std::path::Path;

use custodian::keys::SigningKey;
use custodian::ledger::{self, Body, Note, Role, SignerInfo, SignerRevoke, Stamp, Tool};
use custodian::{Case, CaseInit};

fn stamp(minute: u32) -> Stamp {
    Stamp {
        time: Some(
            custodian::time::parse(&format!("2026-03-02T09:{minute:02}:00.000000Z")).unwrap(),
        ),
        tool: Tool {
            name: "custodian".into(),
            version: "0.1.0".into(),
            exe_sha256: None,
        },
    }
}

fn key(name: &str) -> SigningKey {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fixtures/keys")
        .join(name);
    SigningKey::load(&path, || Ok(None)).unwrap()
}

/// Builds the fixture case in `dir` and returns the ledger bytes.
fn build(dir: &Path) -> Vec<u8> {
    let lead = key("lead");
    let analyst = key("analyst");
    let init = CaseInit {
        case_id: "FR-LYON-2026-0042".into(),
        title: "Seized laptop and USB stick, rue Mercière".into(),
        authority: Some("Search warrant 26/1187, Tribunal judiciaire de Lyon".into()),
        authority_details: None,
        jurisdiction: Some("FR".into()),
        examiner: Some("Jeanne Dupont".into()),
        principal: None,
        role: Role::Supervisor,
        qualifications: None,
        policy: None,
    };
    let (case, _) = Case::create(dir, &init, &lead, &stamp(15)).unwrap();
    let add = SignerInfo {
        principal: "a.silva@pj.lisboa.example".into(),
        role: Role::Examiner,
        key: analyst.public().to_openssh(),
        name: None,
        qualifications: None,
    };
    case.append_at(&lead, &Body::SignerAdd(add), &stamp(16))
        .unwrap();
    let note = |t: &str| Body::Note(Note { text: t.into() });
    case.append_at(&lead, &note("Bag 17 received, seal intact"), &stamp(17))
        .unwrap();
    case.append_at(
        &analyst,
        &note("Examination plan agreed with the Lisbon unit"),
        &stamp(18),
    )
    .unwrap();
    let revoke = SignerRevoke {
        fingerprint: analyst.fingerprint().clone(),
        reason: "examiner reassigned".into(),
    };
    case.append_at(&lead, &Body::SignerRevoke(revoke), &stamp(19))
        .unwrap();
    case.append_at(
        &lead,
        &note("Case file handed to the prosecutor"),
        &stamp(20),
    )
    .unwrap();
    common::as_version_1(dir);
    std::fs::read(case.ledger().path()).unwrap()
}

#[test]
fn fixture_ledger_is_reproducible_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = build(dir.path());
    let fixture = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fixtures/ledger/ledger.jsonl");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&fixture, &bytes).unwrap();
    }
    let committed = std::fs::read(&fixture).expect("fixtures/ledger/ledger.jsonl exists");
    assert_eq!(
        String::from_utf8_lossy(&committed),
        String::from_utf8_lossy(&bytes),
        "the fixture ledger no longer matches what this build writes"
    );
    let opened = ledger::Ledger::open(&fixture).unwrap();
    let report = ledger::verify(&opened, &ledger::VerifyOptions::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.problems);
    assert_eq!(report.entries, 6);
    assert_eq!(report.state.active_signers().count(), 1);
}
