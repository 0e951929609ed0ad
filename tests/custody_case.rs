//! The committed custody case (`fixtures/custody-case/`): a case of format
//! version 2 made with the CLI, with what a court asks about: an opening
//! authority stated in full, named signers with stated qualifications, two
//! exhibits sealed in one bag, a cross-border transfer under an MLAT and its
//! receipt, the bag opened for one exhibit (which unseals the other: its
//! part says so), a reseal and an analysis. It must verify with no finding,
//! and its reports (re-hashing the bundled sample with every algorithm,
//! certified by the Lisbon examiner named by her recorded name, with her
//! recorded qualifications) must equal the committed ones in
//! `fixtures/reports/custody-case.*`, which are sample reports a newcomer
//! can open.
//!
//! The case is committed, not rebuilt by each run (its times are the times
//! it was made); its entries are re-signed as written by custodian 0.1.0
//! with no executable digest ([`pin_tool`]), so that its reports do not
//! depend on the build that made it. After a deliberate change to what the writer records,
//! rebuild it with `UPDATE_CUSTODY_CASE=1`, then the reports with
//! `UPDATE_SNAPSHOTS=1`, and review both diffs.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const GENERATED_AT: &str = "2026-12-31T12:00:00Z";
const PLACEHOLDER: &str = "EXECUTABLE-SHA256";
const WARRANT: &str = "Search warrant 26/1187";
const MLAT: &str = "MLAT-PT-2026-311";

fn case_dir() -> PathBuf {
    root().join("fixtures/custody-case")
}

/// Runs custodian in the repository root (so acquisition roots are the
/// relative `fixtures/sample/…`); must succeed.
fn ok(args: &[&str]) {
    let out = custodian().current_dir(root()).args(args).output().unwrap();
    expect_code(&out, 0);
}

fn key_arg(name: &str) -> String {
    key_path(name).to_str().unwrap().to_string()
}

/// Makes the case with the CLI, as an examiner would.
fn build(case: &Path) {
    let c = case.to_str().unwrap();
    let (lead, analyst) = (key_arg("lead"), key_arg("analyst"));
    let analyst_pub = key_arg("analyst.pub");
    ok(&[
        "init",
        c,
        "--case-id",
        "FR-LYON-2026-0117",
        "--title",
        "Seized laptop and USB stick, rue Mercière",
        "--jurisdiction",
        "FR",
        "--examiner",
        "Jeanne Dupont",
        "--qualifications",
        "Senior digital forensic examiner, OCLCTIC; GCFA",
        "--authority",
        WARRANT,
        "--authority-kind",
        "search-warrant",
        "--authority-issuer",
        "Tribunal judiciaire de Lyon",
        "--authority-scope",
        "the laptop and any storage media found with it",
        "--key",
        &lead,
    ]);
    ok(&[
        "signer",
        "add",
        c,
        "--pubkey",
        &analyst_pub,
        "--principal",
        "a.silva@pj.lisboa.example",
        "--role",
        "examiner",
        "--name",
        "Ana Silva",
        "--qualifications",
        "Forensic examiner, Polícia Judiciária, Lisbon; EnCE",
        "--key",
        &lead,
    ]);
    let devices = [
        (
            "EXH-LAPTOP",
            "fixtures/sample/laptop",
            "Dell laptop, files of the user profile",
            [
                "Dell",
                "Latitude 5420",
                "CN-0X1234",
                "Tableau T35u:000ECC550012",
            ],
        ),
        (
            "EXH-USB",
            "fixtures/sample/usb-stick",
            "USB stick found in the laptop bag",
            [
                "SanDisk",
                "Cruzer Blade 32GB",
                "4C530001230627116452",
                "none",
            ],
        ),
    ];
    for (id, path, what, [make, model, serial, blocker]) in devices {
        let mut args = vec!["acquire", c, "--exhibit", id, "--description", what];
        args.extend(["--authority", WARRANT, "-q", "--key", &lead]);
        args.extend([
            "--source-kind",
            "logical-copy",
            "--make",
            make,
            "--model",
            model,
        ]);
        args.extend(["--serial", serial, "--write-blocker", blocker, path]);
        ok(&args);
    }
    let both = ["--exhibit", "EXH-LAPTOP", "--exhibit", "EXH-USB"];
    let custody = |event: &str, exhibits: &[&str], key: &str, args: &[&str]| {
        let mut a = vec!["custody", event, c];
        a.extend_from_slice(exhibits);
        a.extend_from_slice(args);
        a.extend_from_slice(&["--key", key]);
        ok(&a);
    };
    custody(
        "seal",
        &both,
        &lead,
        &["--seal", "BAG-0017", "--location", "Lyon, evidence room 2"],
    );
    // The Portuguese request arrives after the seizure.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    ok(&[
        "authority",
        "add",
        c,
        "--reference",
        MLAT,
        "--kind",
        "mlat",
        "--issuer",
        "Procuradoria-Geral da República",
        "--jurisdiction",
        "PT",
        "--issued",
        &today,
        "--scope-all",
        "--key",
        &lead,
    ]);

    custody(
        "transfer",
        &both,
        &lead,
        &[
            "--to",
            &analyst_pub,
            "--to-jurisdiction",
            "PT",
            "--authority",
            MLAT,
            "--location",
            "courier",
        ],
    );
    custody(
        "receipt",
        &both,
        &analyst,
        &["--location", "Polícia Judiciária, Lisbon, lab 3"],
    );
    custody(
        "unseal",
        &["--exhibit", "EXH-USB"],
        &analyst,
        &[
            "--seal",
            "BAG-0017",
            "--reason",
            "examination under the MLAT",
        ],
    );
    custody(
        "seal",
        &["--exhibit", "EXH-LAPTOP"],
        &analyst,
        &["--seal", "BAG-0018"],
    );
    custody(
        "analysis",
        &["--exhibit", "EXH-USB"],
        &analyst,
        &[
            "--tool",
            "sleuthkit",
            "--tool-version",
            "4.12.1",
            "--description",
            "file system timeline of the USB stick",
            "--purpose",
            "MLAT reply",
            "--authority",
            MLAT,
        ],
    );
}

fn report(format: &str) -> String {
    let out = custodian()
        .current_dir(root())
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("CUSTODIAN_SELFTEST_CORRUPT")
        .args(["report", "fixtures/custody-case", "--format", format])
        .args(["--generated-at", GENERATED_AT])
        .args(["--trust", &key("lead").fingerprint().to_string()])
        .args(["--evidence", "EXH-LAPTOP=fixtures/sample/laptop"])
        .args(["--evidence", "EXH-USB=fixtures/sample/usb-stick"])
        .arg("--all-algorithms")
        .args(["--certify", "--examiner", "Ana Silva"])
        .args(["--declaration", "iso-27037", "--place", "Lisbon, Portugal"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_custody_case_verifies_and_its_reports_match_the_committed_ones() {
    if std::env::var_os("UPDATE_CUSTODY_CASE").is_some() {
        let _ = std::fs::remove_dir_all(case_dir());
        build(&case_dir());
        // The reports must not depend on the build that made the case.
        pin_tool(&case_dir());
    }
    let (code, v) = verify_json(
        &case_dir(),
        &[
            "--trust",
            &key("lead").fingerprint().to_string(),
            "--fail-on",
            "low",
        ],
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    let digest = json["tool"]["exe_sha256"].as_str().unwrap().to_string();
    assert_eq!(
        json["certification"]["principal"],
        "a.silva@pj.lisboa.example"
    );
    for (format, file) in [
        ("json", "custody-case.json"),
        ("md", "custody-case.md"),
        ("html", "custody-case.html"),
    ] {
        let text = report(format).replace(&digest, PLACEHOLDER);
        check_report_snapshot(format, file, &text);
    }
}
