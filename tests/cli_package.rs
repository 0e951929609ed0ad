//! End-to-end tests of evidence packages: `custodian package` and
//! `custodian verify-package` (docs/spec/package.md).
//!
//! Every test builds a case with two exhibits in a temporary folder:
//! EXH-ALPHA (shared) and EXH-BRAVO-SECRET (never shared), each with
//! distinctive paths, descriptions, seals and authorities, so a leak of the
//! second into a package of the first shows up as a plain substring.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const LEAD: &str = "lead";
const WARRANT: &str = "Warrant 26/1187";

/// Strings that belong to EXH-BRAVO-SECRET only: none may appear in a
/// package of EXH-ALPHA.
const BRAVO_SECRETS: &[&str] = &[
    "EXH-BRAVO-SECRET",
    "ev-bravo-hidden",
    "bob-secret-ledger",
    "Robert Hidden",
    "SEAL-BRAVO-XYZ",
    "AUTH-BRAVO-ONLY",
    "bravo scope words",
    "Note mentioning the other phone",
];

/// Paths inside EXH-ALPHA's evidence, which `--redact-paths` must hide.
const ALPHA_PATHS: &[&str] = &["victim-jane-doe", "holiday-jane.jpg", "notes-alpha.txt"];

struct Fixture {
    t: TestCase,
    alpha: PathBuf,
    /// `seq` of the location event covering both exhibits.
    both_event: u64,
    /// `seq` of the authority whose scope names both exhibits.
    both_authority: u64,
}

fn ok(c: &mut assert_cmd::Command) -> String {
    let out = c.output().unwrap();
    expect_code(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn entry_count(case: &Path) -> u64 {
    std::fs::read(ledger_of(case))
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let alpha = dir.path().join("ev-alpha");
    std::fs::create_dir_all(alpha.join("victim-jane-doe")).unwrap();
    std::fs::write(
        alpha.join("victim-jane-doe/holiday-jane.jpg"),
        b"jpeg bytes of alpha",
    )
    .unwrap();
    std::fs::write(alpha.join("notes-alpha.txt"), b"alpha notes\n").unwrap();
    let bravo = dir.path().join("ev-bravo-hidden");
    std::fs::create_dir_all(&bravo).unwrap();
    std::fs::write(bravo.join("bob-secret-ledger.xlsx"), b"bravo bytes").unwrap();
    let key = key_path(LEAD);
    ok(custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-LYON-2026-0042", "--title", "Two phones"])
        .args(["--jurisdiction", "FR", "--authority", WARRANT])
        .arg("--key")
        .arg(&key));
    custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args([
            "--principal",
            "a.silva@pj.lisboa.example",
            "--role",
            "examiner",
        ])
        .arg("--key")
        .arg(&key)
        .assert()
        .code(0);
    for (id, desc, path) in [
        ("EXH-ALPHA", "Alpha laptop", &alpha),
        ("EXH-BRAVO-SECRET", "Phone of Robert Hidden", &bravo),
    ] {
        ok(custodian()
            .arg("acquire")
            .arg(&case)
            .args([
                "--exhibit",
                id,
                "--description",
                desc,
                "--authority",
                WARRANT,
                "-q",
            ])
            .arg("--key")
            .arg(&key)
            .arg(path));
    }
    let authority = |reference: &str, scope: &[&str], words: &str| {
        let mut c = custodian();
        c.args(["authority", "add"])
            .arg(&case)
            .args(["--reference", reference, "--kind", "court-order"])
            .args(["--issuer", "TJ Lyon", "--jurisdiction", "FR"])
            .args(["--issued", "2026-01-01", "--scope", words]);
        for x in scope {
            c.args(["--scope-exhibit", x]);
        }
        ok(c.arg("--key").arg(&key));
        entry_count(&case) - 1
    };
    authority(
        "AUTH-BRAVO-ONLY",
        &["EXH-BRAVO-SECRET"],
        "bravo scope words",
    );
    let both_authority = authority("AUTH-BOTH", &["EXH-ALPHA", "EXH-BRAVO-SECRET"], "both");
    for (x, seal) in [
        ("EXH-ALPHA", "SEAL-A-1"),
        ("EXH-BRAVO-SECRET", "SEAL-BRAVO-XYZ"),
    ] {
        ok(custodian()
            .args(["custody", "seal"])
            .arg(&case)
            .args(["--exhibit", x, "--seal", seal])
            .arg("--key")
            .arg(&key));
    }
    ok(custodian()
        .args(["custody", "location"])
        .arg(&case)
        .args(["--exhibit", "EXH-ALPHA", "--exhibit", "EXH-BRAVO-SECRET"])
        .args(["--location", "Vault 7"])
        .arg("--key")
        .arg(&key));
    // One entry per exhibit (format version 2): ALPHA's part, then BRAVO's.
    let both_event = entry_count(&case) - 2;
    ok(custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "Note mentioning the other phone"])
        .arg("--key")
        .arg(&key));
    Fixture {
        t: TestCase { dir, path: case },
        alpha,
        both_event,
        both_authority,
    }
}

impl Fixture {
    fn out(&self, name: &str) -> PathBuf {
        self.t.tmp().join(name)
    }

    fn package_cmd(&self, out: &Path, extra: &[&str]) -> assert_cmd::Command {
        let mut c = custodian();
        c.arg("package")
            .arg(self.t.p())
            .args([
                "--exhibit",
                "EXH-ALPHA",
                "--for",
                "Defence counsel Maître Martin",
            ])
            .args([
                "--authority",
                WARRANT,
                "--purpose",
                "disclosure before trial",
            ])
            .arg("--out")
            .arg(out)
            .arg("--key")
            .arg(key_path(LEAD))
            .args(extra);
        c
    }

    /// Builds a package of EXH-ALPHA at `name` (in the temp folder).
    fn package(&self, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.out(name);
        ok(&mut self.package_cmd(&out, extra));
        out
    }
}

fn lead_fingerprint() -> String {
    key(LEAD).fingerprint().to_string()
}

fn verify_package(pkg: &Path, extra: &[&str]) -> Output {
    custodian()
        .arg("verify-package")
        .arg(pkg)
        .args(["--trust", &lead_fingerprint()])
        .args(extra)
        .output()
        .unwrap()
}

fn verify_json(pkg: &Path, extra: &[&str]) -> (i32, Value) {
    let out = verify_package(pkg, &[&["--json"], extra].concat());
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file of a package directory, with its relative path.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in files_of(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// The `custody.disclose` entries of a case's ledger.
fn disclosures(case: &Path) -> Vec<Value> {
    split_lines(&std::fs::read(ledger_of(case)).unwrap())
        .iter()
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .filter(|e| e["type"] == "custody.disclose")
        .collect()
}

#[test]
fn package_verifies_as_directory_and_as_tar() {
    let f = fixture();
    for name in ["pkg", "pkg.tar"] {
        let pkg = f.package(name, &[]);
        assert_eq!(pkg.is_dir(), name == "pkg", "{name}");
        let out = verify_package(&pkg, &[]);
        expect_code(&out, 0);
        let so = String::from_utf8_lossy(&out.stdout);
        assert!(so.contains("package is as recorded"), "{so}");
        assert!(so.contains("exhibit(s) EXH-ALPHA"), "{so}");
        // Without --trust the root is only self-asserted, said as a warning.
        let out = custodian()
            .arg("verify-package")
            .arg(&pkg)
            .output()
            .unwrap();
        expect_code(&out, 0);
        assert!(
            stderr(&out).contains("self-asserted-root"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn package_leaks_nothing_about_other_exhibits() {
    let f = fixture();
    let dir = f.package("pkg", &[]);
    let tar = f.package("pkg.tar", &[]);
    let mut blobs = files_of(&dir);
    blobs.push(("pkg.tar".into(), std::fs::read(&tar).unwrap()));
    for (name, bytes) in &blobs {
        for secret in BRAVO_SECRETS {
            assert!(!contains(bytes, secret), "{name} holds {secret:?}");
        }
    }
    // The shared exhibit and the disclosure itself are there.
    let entries = std::fs::read_to_string(dir.join("ledger/entries.jsonl")).unwrap();
    assert!(entries.contains("Alpha laptop"));
    assert!(entries.contains("custody.disclose"));
    assert!(entries.contains("SEAL-A-1"));
}

#[test]
fn multi_exhibit_entries_are_withheld_and_reported() {
    let f = fixture();
    let pkg = f.package("pkg", &[]);
    let (code, v) = verify_json(&pkg, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true);
    let withheld: Vec<u64> = v["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["seq"].as_u64().unwrap())
        .collect();
    // The authority names both exhibits in one signed scope: withheld. The
    // event that moved both is two entries: ALPHA's part is given, BRAVO's
    // is left out (neither given nor withheld).
    assert_eq!(withheld, vec![f.both_authority]);
    let infos: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["code"] == "withheld-entry")
        .map(|x| x["entry"].as_u64().unwrap())
        .collect();
    assert_eq!(infos, withheld);
    let entries: Vec<u64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(entries.contains(&f.both_event) && entries.contains(&0));
    assert!(!entries.contains(&(f.both_event + 1)));
    let given = std::fs::read_to_string(pkg.join("ledger/entries.jsonl")).unwrap();
    let part = given
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["seq"] == f.both_event)
        .unwrap();
    assert_eq!(part["body"]["exhibit"], "EXH-ALPHA");
    assert_eq!(part["body"]["event"]["of"], 2);
    // Each withheld entry has its proof; its content is not given.
    for s in &withheld {
        assert!(pkg.join(format!("proofs/{s}.json")).is_file());
    }
    let human = verify_package(&pkg, &[]);
    assert!(stderr(&human).contains("[withheld-entry]"));
}

#[test]
fn home_ledger_records_the_disclosure() {
    let f = fixture();
    let before = entry_count(f.t.p());
    let pkg = f.package("pkg", &[]);
    assert_eq!(entry_count(f.t.p()), before + 1);
    let d = disclosures(f.t.p());
    assert_eq!(d.len(), 1);
    let body = &d[0]["body"];
    let index: Value =
        serde_json::from_slice(&std::fs::read(pkg.join("package.json")).unwrap()).unwrap();
    assert_eq!(body["package"], index["package"]);
    assert_eq!(body["recipient"], "Defence counsel Maître Martin");
    assert_eq!(body["authority"], WARRANT);
    assert_eq!(body["purpose"], "disclosure before trial");
    assert_eq!(body["exhibit"], "EXH-ALPHA");
    assert_eq!(body["event"]["of"], 1);
    assert_eq!(body["redacted_paths"], false);
    assert!(body.get("salt_commitment").is_none());
    let manifest = std::fs::read(pkg.join("manifests/EXH-ALPHA.jsonl")).unwrap();
    assert_eq!(body["manifests"][0]["sha256"], sha256_hex(&manifest));
    assert_eq!(index["disclosure"].as_u64(), Some(before));
    // The ledger still verifies and the timeline shows the disclosure.
    custodian().arg("verify").arg(f.t.p()).assert().code(0);
    let log = ok(custodian()
        .arg("log")
        .arg(f.t.p())
        .args(["--exhibit", "EXH-ALPHA"]));
    assert!(log.contains("disclosed to Defence counsel"), "{log}");
    // The checkpoint in the package is the one saved in the home case.
    let saved = f.t.p().join(format!("checkpoints/{}.txt", before + 1));
    assert_eq!(
        std::fs::read(saved).unwrap(),
        std::fs::read(pkg.join("checkpoint.txt")).unwrap()
    );
}

#[test]
fn tampering_with_any_package_file_is_caught_and_named() {
    let f = fixture();
    let pkg = f.package("pkg", &[]);
    type Edit = fn(&Path);
    let cases: Vec<(&str, Edit)> = vec![
        ("ledger/entries.jsonl", |d| {
            edit(
                &d.join("ledger/entries.jsonl"),
                "Alpha laptop",
                "Alpha lapTop",
            )
        }),
        ("proofs/1.json", |d| {
            edit(
                &d.join("proofs/1.json"),
                "\"leaf_index\": 1",
                "\"leaf_index\": 2",
            )
        }),
        ("checkpoint.txt", |d| {
            edit(
                &d.join("checkpoint.txt"),
                "custodian.case/",
                "custodian.casf/",
            )
        }),
        ("manifests/EXH-ALPHA.jsonl", |d| {
            edit(
                &d.join("manifests/EXH-ALPHA.jsonl"),
                "notes-alpha",
                "notes-alphb",
            )
        }),
        ("README.txt", |d| {
            edit(&d.join("README.txt"), "Exhibits:", "Exhibitz:")
        }),
        ("package.json", |d| {
            edit(
                &d.join("package.json"),
                "Defence counsel",
                "Defense counsel",
            )
        }),
        ("package.json.sig", |d| {
            let p = d.join("package.json.sig");
            let mut s = std::fs::read_to_string(&p).unwrap();
            let i = s.len() / 2;
            let c = if &s[i..=i] == "A" { "B" } else { "A" };
            s.replace_range(i..=i, c);
            std::fs::write(p, s).unwrap();
        }),
        ("stray.txt", |d| {
            std::fs::write(d.join("stray.txt"), b"added later").unwrap()
        }),
        ("proofs/0.json", |d| {
            std::fs::remove_file(d.join("proofs/0.json")).unwrap()
        }),
        ("signers/allowed_signers", |d| {
            std::fs::write(d.join("signers/allowed_signers"), b"").unwrap()
        }),
    ];
    for (i, (file, tamper)) in cases.into_iter().enumerate() {
        let copy = f.out(&format!("tampered-{i}"));
        copy_dir(&pkg, &copy);
        tamper(&copy);
        let out = verify_package(&copy, &[]);
        expect_code(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(file), "tampering with {file}: {err}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("NOT as recorded"));
    }
}

/// Replaces the first `from` in a file (which must hold it).
fn edit(p: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(p).unwrap();
    assert!(s.contains(from), "{} lacks {from}", p.display());
    std::fs::write(p, s.replacen(from, to, 1)).unwrap();
}

#[test]
fn tampered_and_truncated_tar_is_caught() {
    let f = fixture();
    let tar = f.package("pkg.tar", &[]);
    let bytes = std::fs::read(&tar).unwrap();
    // Truncated in the middle of a member.
    let cut = f.out("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 100]).unwrap();
    let out = verify_package(&cut, &[]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("missing") || stderr(&out).contains("truncated"));
    // One byte of the manifest changed inside the archive.
    let at = bytes
        .windows(11)
        .position(|w| w == b"notes-alpha")
        .expect("the manifest is in the archive");
    let mut evil = bytes.clone();
    evil[at] = b'N';
    let bad = f.out("bad.tar");
    std::fs::write(&bad, evil).unwrap();
    let out = verify_package(&bad, &[]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("manifests/EXH-ALPHA.jsonl"),
        "{}",
        stderr(&out)
    );
    // Not a package at all (an operational error, like a path that does
    // not exist: issue 17 item 18), and a path that does not exist.
    let junk = f.out("junk.tar");
    std::fs::write(&junk, b"hello").unwrap();
    let out = verify_package(&junk, &[]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("not a custodian package"),
        "{}",
        stderr(&out)
    );
    let empty = f.out("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    expect_code(&verify_package(&empty, &[]), 2);
    let out = verify_package(&f.out("nope.tar"), &[]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("nope.tar"));
}

#[test]
fn wrong_trust_is_refused() {
    let f = fixture();
    let pkg = f.package("pkg", &[]);
    let intruder = key("intruder").fingerprint().to_string();
    let out = custodian()
        .arg("verify-package")
        .arg(&pkg)
        .args(["--trust", &intruder])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(stderr(&out).contains("untrusted-root"), "{}", stderr(&out));
    let out = custodian()
        .arg("verify-package")
        .arg(&pkg)
        .args(["--trust", "not-a-fingerprint"])
        .output()
        .unwrap();
    expect_code(&out, 2);
}

#[test]
fn package_resigned_by_an_outsider_is_refused() {
    // An outsider edits the README, fixes its digest in package.json and
    // signs package.json with their own key: the signature does not verify
    // with the packager's key.
    let f = fixture();
    let pkg = f.package("pkg", &[]);
    let readme = pkg.join("README.txt");
    std::fs::write(&readme, b"trust me\n").unwrap();
    let index_path = pkg.join("package.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    for file in index["files"].as_array_mut().unwrap() {
        if file["path"] == "README.txt" {
            file["sha256"] = sha256_hex(b"trust me\n").into();
            file["bytes"] = 9.into();
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&index).unwrap();
    bytes.push(b'\n');
    std::fs::write(&index_path, &bytes).unwrap();
    let sig = key("intruder")
        .sign_detached(custodian::package::PACKAGE_NAMESPACE, &bytes)
        .unwrap();
    std::fs::write(pkg.join("package.json.sig"), sig).unwrap();
    let out = verify_package(&pkg, &[]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("bad-package-signature"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("package.json.sig"));
}

#[test]
fn redacted_paths_hide_names_and_keep_digests() {
    let f = fixture();
    let pkg = f.package("pkg", &["--redact-paths"]);
    let manifest = std::fs::read(pkg.join("manifests/EXH-ALPHA.jsonl")).unwrap();
    for (name, bytes) in files_of(&pkg) {
        for p in ALPHA_PATHS.iter().chain(BRAVO_SECRETS) {
            assert!(!contains(&bytes, p), "{name} holds {p:?}");
        }
    }
    assert!(contains(&manifest, &sha256_hex(b"jpeg bytes of alpha")));
    // The salt is in the home case, private, committed to in the ledger,
    // and names the real path: HMAC-SHA256(salt, path).
    let d = disclosures(f.t.p());
    let body = &d[0]["body"];
    assert_eq!(body["redacted_paths"], true);
    let id = body["package"].as_str().unwrap();
    let salt_path = f.t.p().join(format!("disclosures/{id}/salt"));
    let salt = std::fs::read(&salt_path).unwrap();
    assert_eq!(salt.len(), 32);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&salt_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(body["salt_commitment"], sha256_hex(&salt));
    let hidden =
        custodian::package::redact::redact_path(&salt, b"victim-jane-doe/holiday-jane.jpg");
    assert!(contains(&manifest, &hidden));
    assert_eq!(body["manifests"][0]["sha256"], sha256_hex(&manifest));
    // The package verifies, and the evidence still matches by digest.
    let alpha = f.alpha.display().to_string();
    let out = verify_package(&pkg, &["--evidence", &format!("EXH-ALPHA={alpha}")]);
    expect_code(&out, 0);
    let so = String::from_utf8_lossy(&out.stdout);
    assert!(
        so.contains("2 file(s) matched, 0 difference(s) (compared by digest)"),
        "{so}"
    );
    // A changed file is found.
    std::fs::write(f.alpha.join("notes-alpha.txt"), b"changed\n").unwrap();
    let out = verify_package(&pkg, &["--evidence", &alpha]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("evidence-missing") && err.contains("evidence-new"),
        "{err}"
    );
    assert!(err.contains("notes-alpha.txt"), "{err}");
}

#[test]
fn evidence_is_checked_by_path_without_redaction() {
    let f = fixture();
    let pkg = f.package("pkg.tar", &[]);
    let alpha = f.alpha.display().to_string();
    let out = verify_package(&pkg, &["--evidence", &alpha]);
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("compared by path"));
    std::fs::remove_file(f.alpha.join("notes-alpha.txt")).unwrap();
    let out = verify_package(&pkg, &["--evidence", &alpha]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("notes-alpha.txt"), "{}", stderr(&out));
    // Evidence that is not there is an operational error.
    let out = verify_package(&pkg, &["--evidence", "/nonexistent/evidence"]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("/nonexistent/evidence"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn refusals_leave_the_case_and_output_untouched() {
    let f = fixture();
    let ledger_before = std::fs::read(ledger_of(f.t.p())).unwrap();
    let out = f.out("pkg");
    // No authority under the strict policy.
    let o = custodian()
        .arg("package")
        .arg(f.t.p())
        .args([
            "--exhibit",
            "EXH-ALPHA",
            "--for",
            "Defence",
            "--redact-paths",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(key_path(LEAD))
        .output()
        .unwrap();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("authority"), "{}", stderr(&o));
    // An exhibit that does not exist.
    let mut c = custodian();
    c.arg("package")
        .arg(f.t.p())
        .args([
            "--exhibit",
            "EXH-NOPE",
            "--for",
            "Defence",
            "--authority",
            WARRANT,
        ])
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(key_path(LEAD));
    let o = c.output().unwrap();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("EXH-NOPE"));
    // A key that is not a signer of the case.
    let o = custodian()
        .arg("package")
        .arg(f.t.p())
        .args([
            "--exhibit",
            "EXH-ALPHA",
            "--for",
            "Defence",
            "--authority",
            WARRANT,
        ])
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(key_path("intruder"))
        .output()
        .unwrap();
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("not an active signer"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(ledger_of(f.t.p())).unwrap(), ledger_before);
    assert!(!out.exists());
    assert!(
        !f.t.p().join("disclosures").exists()
            || std::fs::read_dir(f.t.p().join("disclosures"))
                .unwrap()
                .next()
                .is_none()
    );
    // An output that exists is never overwritten.
    std::fs::create_dir(&out).unwrap();
    let o = f.package_cmd(&out, &[]).output().unwrap();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("already exists"));
    assert_eq!(std::fs::read(ledger_of(f.t.p())).unwrap(), ledger_before);
}

#[test]
fn package_proofs_check_with_verify_proof_json() {
    // The by-hand route of docs/spec/package.md §7: each proof against
    // the package's checkpoint and allowed_signers, with `verify-proof`.
    let f = fixture();
    let pkg = f.package("pkg", &[]);
    let run = |proof: &Path| {
        let out = custodian()
            .arg("verify-proof")
            .arg(proof)
            .arg("--checkpoint")
            .arg(pkg.join("checkpoint.txt"))
            .arg("--allowed-signers")
            .arg(pkg.join("signers/allowed_signers"))
            .arg("--json")
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), v)
    };
    let (code, v) = run(&pkg.join("proofs/1.json"));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    let bad = f.out("bad-proof.json");
    let text = std::fs::read_to_string(pkg.join("proofs/1.json")).unwrap();
    std::fs::write(&bad, text.replace("\"leaf_index\": 1", "\"leaf_index\": 2")).unwrap();
    let (code, v) = run(&bad);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["code"], "proof-invalid", "{v}");
}

#[test]
fn principal_with_plus_can_sign_checkpoints_and_packages() {
    // Regression: C2SP key names may not hold '+', so such principals could
    // not sign checkpoints; they now sign as NAME with '+' written %2B.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), b"a").unwrap();
    let key = key_path(LEAD);
    ok(custodian()
        .arg("init")
        .arg(&case)
        .args([
            "--case-id",
            "C-PLUS",
            "--title",
            "t",
            "--authority-policy",
            "off",
        ])
        .args(["--principal", "j.doe+lab@example"])
        .arg("--key")
        .arg(&key));
    ok(custodian()
        .arg("acquire")
        .arg(&case)
        .args(["--exhibit", "X1", "-q"])
        .arg("--key")
        .arg(&key)
        .arg(&ev));
    let cp = ok(custodian()
        .arg("checkpoint")
        .arg(&case)
        .arg("--key")
        .arg(&key));
    assert!(cp.contains("— j.doe%2Blab@example "), "{cp}");
    let saved = case.join("checkpoints/2.txt").display().to_string();
    let (code, v) = common::verify_json(&case, &["--expect-checkpoint", &saved]);
    assert_eq!(code, 0, "{v}");
    let pkg = dir.path().join("pkg.tar");
    ok(custodian()
        .arg("package")
        .arg(&case)
        .args(["--exhibit", "X1", "--for", "court"])
        .arg("--out")
        .arg(&pkg)
        .arg("--key")
        .arg(&key));
    let out = verify_package(&pkg, &[]);
    expect_code(&out, 0);
}

#[test]
fn forged_disclosure_without_authority_fails_verify() {
    // The verifier replays custody.disclose like any custody event: under
    // the strict policy an uncovered disclosure is not as recorded.
    let f = fixture();
    f.package("pkg", &[]);
    let mut lines = split_lines(&std::fs::read(ledger_of(f.t.p())).unwrap());
    let last = lines.len() - 1;
    lines[last] = edit_json(&lines[last], |v| {
        v["body"].as_object_mut().unwrap().remove("authority");
    });
    rechain(&mut lines, last);
    std::fs::write(ledger_of(f.t.p()), join_lines(&lines)).unwrap();
    let (code, v) = common::verify_json(f.t.p(), &[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        errors(&v).contains(&("authority-rule".to_string(), Some(last as u64))),
        "{v}"
    );
}

#[test]
fn sharing_both_exhibits_withholds_nothing() {
    let f = fixture();
    let out = f.out("both.tar");
    ok(custodian()
        .arg("package")
        .arg(f.t.p())
        .args(["--exhibit", "EXH-ALPHA", "--exhibit", "EXH-BRAVO-SECRET"])
        .args(["--for", "Court of appeal", "--authority", WARRANT, "--json"])
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(key_path(LEAD)));
    let bravo = f.t.tmp().join("ev-bravo-hidden").display().to_string();
    let (code, v) = verify_json(
        &out,
        &[
            "--evidence",
            &format!("EXH-ALPHA={}", f.alpha.display()),
            "--evidence",
            &format!("EXH-BRAVO-SECRET={bravo}"),
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["withheld"], serde_json::json!([]));
    let entries: Vec<u64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(entries.contains(&f.both_event) && entries.contains(&f.both_authority));
    assert_eq!(v["evidence"].as_array().unwrap().len(), 2);
    // Notes are never given, even when every exhibit is shared.
    let bytes = std::fs::read(&out).unwrap();
    assert!(!contains(&bytes, "Note mentioning the other phone"));
    // Without EXHIBIT=, a plain PATH is ambiguous for two exhibits: usage error.
    let out2 = verify_package(&out, &["--evidence", &bravo]);
    expect_code(&out2, 2);
    assert!(stderr(&out2).contains("EXHIBIT=PATH"), "{}", stderr(&out2));
}

/// A recorded hash-set match names file paths: it is given with its
/// exhibit, but withheld from a package whose paths are redacted.
#[test]
fn hashset_match_is_given_or_withheld_with_redaction() {
    let f = fixture();
    let store = f.t.tmp().join("hashsets");
    let list = f.t.tmp().join("bad.txt");
    std::fs::write(&list, format!("{}\n", sha256_hex(b"jpeg bytes of alpha"))).unwrap();
    ok(custodian()
        .arg("hashset")
        .arg("--hashsets")
        .arg(&store)
        .args(["import", "contraband"])
        .arg(&list)
        .args(["--kind", "known-bad"]));
    ok(custodian()
        .arg("hashset")
        .arg("--hashsets")
        .arg(&store)
        .arg("match")
        .arg(f.t.p())
        .args(["--exhibit", "EXH-ALPHA", "--hashset", "contraband"])
        .arg("--key")
        .arg(key_path(LEAD)));
    let seq = entry_count(f.t.p()) - 1;

    let plain = f.package("plain", &[]);
    let entries = std::fs::read(plain.join("ledger/entries.jsonl")).unwrap();
    assert!(contains(&entries, "exhibit.hashset-match"));
    let (code, v) = verify_json(&plain, &[]);
    assert_eq!(code, 0, "{v}");
    assert!(!v["withheld"].as_array().unwrap().iter().any(|w| w == seq));

    let redacted = f.package("redacted", &["--redact-paths"]);
    for (name, bytes) in files_of(&redacted) {
        assert!(!contains(&bytes, "holiday-jane.jpg"), "{name} names a path");
    }
    let (code, v) = verify_json(&redacted, &[]);
    assert_eq!(code, 0, "{v}");
    let withheld: Vec<u64> = v["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap_or_else(|| w["seq"].as_u64().unwrap()))
        .collect();
    assert!(withheld.contains(&seq), "{v}");
}

/// Issue 17 item 2, as a class: nothing in a redacted package may carry a
/// name from inside the evidence tree — not paths, symlink targets, the
/// length of a target, nor free text such as an OS error that quotes a
/// folder (a symlink loop followed with `--follow-symlinks`). Every byte
/// of the package is searched for every path component of the tree.
#[test]
fn redacted_package_holds_no_name_from_the_tree_in_any_field() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let ev = dir.path().join("ev-root");
    let folder = ev.join("kappa-folder-secret");
    std::fs::create_dir_all(folder.join("omicron-inner")).unwrap();
    std::fs::write(folder.join("omicron-inner/xi-file-secret.txt"), b"xi").unwrap();
    // A loop back to an ancestor: the walker records an error naming it.
    std::os::unix::fs::symlink("..", folder.join("omicron-inner/lambda-loop-secret")).unwrap();
    // A dangling link whose target is a name too; its length is the size.
    std::os::unix::fs::symlink(
        "nu-target-secret-with-a-long-name",
        folder.join("mu-link-secret"),
    )
    .unwrap();
    let key = key_path(LEAD);
    ok(custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "C-1", "--title", "T", "--authority", WARRANT])
        .arg("--key")
        .arg(&key));
    custodian()
        .arg("acquire")
        .arg(&case)
        .args([
            "--exhibit",
            "EXH-1",
            "--description",
            "d",
            "--authority",
            WARRANT,
        ])
        .args(["--follow-symlinks", "-q", "--key"])
        .arg(&key)
        .arg(&ev)
        .output()
        .unwrap();
    let names = [
        "kappa-folder-secret",
        "omicron-inner",
        "xi-file-secret.txt",
        "lambda-loop-secret",
        "mu-link-secret",
        "nu-target-secret-with-a-long-name",
    ];
    // The home manifest does hold them, the error text included: the
    // search below is not vacuous.
    let home: Vec<u8> = files_of(&case.join("manifests"))
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    let home_text = String::from_utf8_lossy(&home);
    for n in names {
        assert!(
            home_text.contains(n),
            "home manifest lacks {n}: {home_text}"
        );
    }
    assert!(home_text.contains("\"error\""), "{home_text}");
    let out = dir.path().join("pkg");
    ok(custodian()
        .arg("package")
        .arg(&case)
        .args(["--exhibit", "EXH-1", "--for", "Defence"])
        .args(["--authority", WARRANT, "--redact-paths", "--out"])
        .arg(&out)
        .arg("--key")
        .arg(&key));
    for (file, bytes) in files_of(&out) {
        for n in names {
            assert!(!contains(&bytes, n), "{file} holds {n:?}");
        }
        // No symlink record keeps the target's length as its size.
        if file.starts_with("manifests/") {
            for line in String::from_utf8_lossy(&bytes).lines().skip(1) {
                let r: Value = serde_json::from_str(line).unwrap();
                if r["type"] == "symlink" && r.get("target").is_some() && r["path"] != "." {
                    assert!(r.get("size").is_none(), "{line}");
                }
                if let Some(e) = r.get("error").and_then(Value::as_str) {
                    assert!(e.starts_with("redacted:"), "{line}");
                }
            }
        }
    }
    expect_code(&verify_package(&out, &[]), 0);
}

// ---------------------------------------------------------------------------
// Disclosure without gaps (format version 2, docs/spec/package.md §5)
// ---------------------------------------------------------------------------

/// Runs `custodian custody EVENT CASE --exhibit …` with `key`, which must
/// succeed.
fn custody_ok(case: &Path, event: &str, exhibits: &[&str], key: &str, args: &[&str]) {
    let mut c = custodian();
    c.args(["custody", event]).arg(case);
    for x in exhibits {
        c.args(["--exhibit", x]);
    }
    ok(c.args(args).arg("--key").arg(key_path(key)));
}

/// The fixture, then both exhibits sealed in one bag, sent together to the
/// analyst, received, and the bag opened for EXH-ALPHA (which unseals
/// EXH-BRAVO-SECRET too).
fn shared_bag() -> Fixture {
    let f = fixture();
    let c = f.t.p();
    custody_ok(
        c,
        "unseal",
        &["EXH-ALPHA"],
        LEAD,
        &["--seal", "SEAL-A-1", "--reason", "rebag"],
    );
    custody_ok(
        c,
        "unseal",
        &["EXH-BRAVO-SECRET"],
        LEAD,
        &["--seal", "SEAL-BRAVO-XYZ", "--reason", "rebag"],
    );
    custody_ok(
        c,
        "seal",
        &["EXH-ALPHA", "EXH-BRAVO-SECRET"],
        LEAD,
        &["--seal", "BAG-BOTH-77"],
    );
    let analyst = key_path("analyst.pub");
    custody_ok(
        c,
        "transfer",
        &["EXH-ALPHA", "EXH-BRAVO-SECRET"],
        LEAD,
        &["--to", analyst.to_str().unwrap(), "--location", "courier"],
    );
    custody_ok(
        c,
        "receipt",
        &["EXH-ALPHA", "EXH-BRAVO-SECRET"],
        "analyst",
        &[],
    );
    custody_ok(
        c,
        "unseal",
        &["EXH-ALPHA"],
        "analyst",
        &[
            "--seal",
            "BAG-BOTH-77",
            "--reason",
            "examination",
            "--authority",
            WARRANT,
        ],
    );
    f
}

fn findings_with(v: &Value, code: &str) -> Vec<Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn a_package_of_one_of_two_exhibits_in_one_bag_gives_its_whole_chain_and_nothing_of_the_other() {
    let f = shared_bag();
    let pkg = f.package("pkg", &[]);
    let (code, v) = verify_json(&pkg, &[]);
    assert_eq!(code, 0, "{v:#}");
    for c in ["chain-hole", "chain-fork", "chain-unlinked"] {
        assert!(findings_with(&v, c).is_empty(), "{c}: {v:#}");
    }
    // Every entry on EXH-ALPHA's chain is given: its acquisition, both
    // seals, both unseals, the transfer, the receipt and the disclosure.
    let given = std::fs::read_to_string(pkg.join("ledger/entries.jsonl")).unwrap();
    let alpha_parts: Vec<String> = given
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["body"]["exhibit"] == "EXH-ALPHA")
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        alpha_parts,
        [
            "exhibit.acquire",
            "custody.seal",
            "custody.location",
            "custody.unseal",
            "custody.seal",
            "custody.transfer",
            "custody.receipt",
            "custody.unseal",
            "custody.disclose"
        ]
    );
    // Nothing of the other exhibit: no id, description, path, seal of its
    // own, nor the digest of its manifest.
    let bravo_manifest = std::fs::read(f.t.p().join("manifests/EXH-BRAVO-SECRET.jsonl")).unwrap();
    let bravo_digest = sha256_hex(&bravo_manifest);
    let mut blobs = files_of(&pkg);
    let tar = f.package("pkg.tar", &[]);
    blobs.push(("pkg.tar".into(), std::fs::read(&tar).unwrap()));
    for (name, bytes) in &blobs {
        for secret in BRAVO_SECRETS.iter().chain([&bravo_digest.as_str()]) {
            assert!(!contains(bytes, secret), "{name} holds {secret:?}");
        }
    }
    // What it does say about the other exhibit: that the bag held two.
    assert!(given.contains("\"covers\":2"), "{given}");
}

#[test]
fn a_package_missing_an_entry_of_the_chain_names_the_hole() {
    let f = shared_bag();
    let pkg = f.package("pkg", &[]);
    // A dishonest packager drops the transfer of EXH-ALPHA.
    let path = pkg.join("ledger/entries.jsonl");
    let given = std::fs::read_to_string(&path).unwrap();
    let transfer = given
        .lines()
        .find(|l| l.contains("\"type\":\"custody.transfer\"") && l.contains("EXH-ALPHA"))
        .unwrap()
        .to_string();
    let seq = serde_json::from_str::<Value>(&transfer).unwrap()["seq"]
        .as_u64()
        .unwrap();
    std::fs::write(&path, given.replace(&format!("{transfer}\n"), "")).unwrap();
    let (code, v) = verify_json(&pkg, &[]);
    assert_eq!(code, 1, "{v:#}");
    let holes = findings_with(&v, "chain-hole");
    assert_eq!(holes.len(), 1, "{v:#}");
    // The hole is found at the receipt, whose prior is the dropped entry.
    assert_eq!(holes[0]["entry"], seq + 2, "{v:#}");
    assert!(
        holes[0]["message"]
            .as_str()
            .unwrap()
            .contains("which the package does not give"),
        "{v:#}"
    );
}

#[test]
fn version_1_entries_naming_a_shared_and_an_unshared_exhibit_need_a_choice() {
    let f = fixture();
    let c = f.t.p();
    // Rewrite the case as custodian 0.1 wrote it: the location event that
    // covers both exhibits is then one signed entry.
    let bytes = std::fs::read(ledger_of(c)).unwrap();
    let lines = split_lines(&bytes);
    let kept: Vec<Vec<u8>> = lines
        .iter()
        .filter(|l| {
            let e: Value = serde_json::from_slice(l).unwrap();
            !e["type"].as_str().unwrap().starts_with("custody.") && e["type"] != "note"
        })
        .cloned()
        .collect();
    std::fs::write(ledger_of(c), join_lines(&kept)).unwrap();
    as_version_1(c);
    let mixed = forge_v1(
        c,
        "custody.location",
        serde_json::json!({"exhibits": ["EXH-ALPHA", "EXH-BRAVO-SECRET"], "location": "Vault 7"}),
    );
    // No choice: refused, naming the entry and the exhibit it would reveal.
    let out = f.package_cmd(&f.out("refused"), &[]).output().unwrap();
    expect_code(&out, 2);
    let e = stderr(&out);
    assert!(
        e.contains(&format!("[{mixed}]")) && e.contains("EXH-BRAVO-SECRET"),
        "{e}"
    );
    assert!(e.contains("--reveal-mixed or --withhold-mixed"), "{e}");
    assert!(!f.out("refused").exists());
    // Withheld: the recipient is told where the hole is, and it fails.
    let pkg = f.package("withheld", &["--withhold-mixed"]);
    let (code, v) = verify_json(&pkg, &[]);
    assert_eq!(code, 1, "{v:#}");
    let holes = findings_with(&v, "chain-hole");
    assert_eq!(holes.len(), 1, "{v:#}");
    assert_eq!(holes[0]["entry"], mixed);
    let d = disclosures(c);
    assert_eq!(d.last().unwrap()["body"]["mixed"], "withhold");
    // Revealed: given whole, the revealed exhibit listed in the signed
    // disclosure; the chain before it is version 1 (a warning).
    let pkg = f.package("revealed", &["--reveal-mixed"]);
    let (code, v) = verify_json(&pkg, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert!(findings_with(&v, "chain-hole").is_empty(), "{v:#}");
    assert_eq!(findings_with(&v, "chain-unlinked").len(), 1, "{v:#}");
    let d = disclosures(c);
    let body = &d.last().unwrap()["body"];
    assert_eq!(body["mixed"], "reveal");
    assert_eq!(body["revealed"], serde_json::json!(["EXH-BRAVO-SECRET"]));
}

/// Appends a version-1 entry of `kind` signed by the lead key.
fn forge_v1(case: &Path, kind: &str, body: Value) -> u64 {
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let lines = split_lines(&bytes);
    let last: custodian::ledger::Entry = serde_json::from_slice(lines.last().unwrap()).unwrap();
    let mut e = custodian::ledger::Entry {
        v: 1,
        seq: last.seq + 1,
        prev: custodian::ledger::entry_hash(lines.last().unwrap()).to_hex(),
        time: last.time.clone(),
        kind: kind.to_string(),
        signer: key(LEAD).fingerprint().clone(),
        tool: fixture_tool(),
        body,
        sig: None,
    };
    e.sign(&key(LEAD)).unwrap();
    let mut out = bytes;
    out.extend_from_slice(&e.line());
    out.push(b'\n');
    std::fs::write(ledger_of(case), out).unwrap();
    e.seq
}
