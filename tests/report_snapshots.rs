//! Snapshot tests: the reports of the committed fixture case
//! (`fixtures/ledger/`, written at pinned times with the fixture keys) at a
//! pinned generation time, in all three formats (and, certified by the
//! lead examiner, in Markdown), must equal the committed files in
//! `fixtures/reports/`. They are also sample reports a newcomer
//! can open. The one value that depends on the build, the SHA-256 of the
//! executable, is replaced by a placeholder before comparing.
//!
//! After a deliberate change to the report, regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test --test report_snapshots` and review the
//! diff.

mod common;

use common::*;

const GENERATED_AT: &str = "2026-03-02T10:00:00Z";
const PLACEHOLDER: &str = "EXECUTABLE-SHA256";

/// The certification of the sample certified report: the lead examiner,
/// by principal, with the US template.
const CERTIFY: &[&str] = &[
    "--certify",
    "--examiner",
    "j.dupont@cyber.lyon.police.example",
    "--qualifications",
    "Senior digital forensic examiner, OCLCTIC; GCFA",
    "--declaration",
    "fre-902-14",
    "--place",
    "Lyon, France",
];

fn run(format: &str, extra: &[&str]) -> String {
    let out = custodian()
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("CUSTODIAN_SELFTEST_CORRUPT")
        .arg("report")
        .arg(root().join("fixtures/ledger"))
        .args(["--format", format, "--generated-at", GENERATED_AT])
        .args(["--trust", &key("lead").fingerprint().to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The report in `format`, with the executable's digest (read from the
/// JSON report of the same binary) replaced by a placeholder.
fn render(format: &str, extra: &[&str]) -> String {
    let json: serde_json::Value = serde_json::from_str(&run("json", &[])).unwrap();
    let digest = json["tool"]["exe_sha256"]
        .as_str()
        .expect("the report names its executable's digest")
        .to_string();
    run(format, extra).replace(&digest, PLACEHOLDER)
}

#[test]
fn reports_of_the_fixture_case_match_the_committed_snapshots() {
    for (format, file, extra) in [
        ("json", "fixture-ledger.json", &[][..]),
        ("md", "fixture-ledger.md", &[]),
        ("html", "fixture-ledger.html", &[]),
        ("md", "fixture-ledger-certified.md", CERTIFY),
    ] {
        let text = render(format, extra);
        assert!(
            text.contains(PLACEHOLDER),
            "{format}: the executable digest was not found to mask"
        );
        check_report_snapshot(format, file, &text);
    }
}

/// The committed sample reports are testimony too: they claim no
/// compliance, make the header's claim exactly true, and show the
/// authority the case was opened under with only what entry 0 states.
#[test]
fn the_committed_reports_claim_no_more_than_the_ledger_proves() {
    for file in [
        "fixture-ledger.json",
        "fixture-ledger.md",
        "fixture-ledger.html",
        "fixture-ledger-certified.md",
    ] {
        let text = std::fs::read_to_string(root().join("fixtures/reports").join(file)).unwrap();
        let lower = text.to_lowercase();
        for claim in [
            "is met",
            "complies with",
            "every statement below is copied",
            "(as stated when the case was opened)",
            "acquired and preserved",
        ] {
            assert!(!lower.contains(claim), "{file} says {claim:?}");
        }
        assert!(
            text.contains("or marked as the examiner's own statement"),
            "{file}"
        );
    }
    let md = std::fs::read_to_string(root().join("fixtures/reports/fixture-ledger.md")).unwrap();
    assert!(
        md.contains(
            "| Search warrant 26/1187, Tribunal judiciaire de Lyon | not stated | not stated |"
        ),
        "the opening authority's kind and issuer are not stated"
    );
    assert!(md.contains("How custodian's records address"));
}
