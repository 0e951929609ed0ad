//! The custody vectors (`fixtures/vectors/custody/`): one ledger per rule of
//! `docs/spec/custody.md`. `custodian verify` and the independent verifier
//! `contrib/verify-ledger.py` (written from the spec) must both give each
//! vector's expected result, errors and findings, so the spec is shown to
//! be enough for a third party to reach custodian's verdict.
//!
//! The vectors, `expected.json` and the README are built by
//! `fixtures/vectors/custody/generate.rs` (included below); rewrite them
//! with `UPDATE_CUSTODY_VECTORS=1`.

#[path = "../fixtures/vectors/custody/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;

use generate::{Vector, MANIFESTS, VECTORS};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn dir() -> PathBuf {
    root().join("fixtures/vectors/custody")
}

/// The lead key's fingerprint: entry 0 of every vector.
const LEAD: &str = "SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA";

fn updating() -> bool {
    std::env::var_os("UPDATE_CUSTODY_VECTORS").is_some()
}

/// Compares `path` with `bytes`, or writes it when updating.
fn check_file(path: &Path, bytes: &[u8], stale: &mut Vec<String>) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    } else if std::fs::read(path).ok().as_deref() != Some(bytes) {
        stale.push(path.display().to_string());
    }
}

#[test]
fn vectors_are_what_the_generator_builds() {
    let mut stale = Vec::new();
    for v in VECTORS {
        let bytes = generate::build(&root(), v);
        check_file(&dir().join(format!("{}.jsonl", v.name)), &bytes, &mut stale);
    }
    for x in MANIFESTS {
        let path = dir().join(format!("manifests/{x}.jsonl"));
        check_file(&path, &generate::manifest_bytes(x), &mut stale);
    }
    check_file(
        &dir().join("expected.json"),
        generate::expected_json().as_bytes(),
        &mut stale,
    );
    check_file(
        &dir().join("README.md"),
        generate::readme().as_bytes(),
        &mut stale,
    );
    assert!(
        stale.is_empty(),
        "not what generate.rs builds (rerun with UPDATE_CUSTODY_VECTORS=1 after a deliberate change): {stale:?}"
    );
}

#[test]
fn every_vector_file_has_an_expectation() {
    if updating() {
        return; // the files are being rewritten; run again without the variable
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap())
            .unwrap();
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".jsonl") {
            files.push(name);
        }
    }
    files.sort();
    let without: Vec<&String> = files.iter().filter(|f| expected.get(f).is_none()).collect();
    assert!(
        without.is_empty(),
        "vectors without an expectation: {without:?}"
    );
    let listed = expected.as_object().unwrap();
    assert_eq!(
        listed.len(),
        files.len(),
        "expected.json lists missing files"
    );
    assert_eq!(listed.len(), VECTORS.len());
    // Good and bad vectors both exist for every kind of problem code.
    assert!(VECTORS.iter().any(|v| v.valid()));
    for code in ["custody-rule", "authority-rule"] {
        assert!(
            VECTORS
                .iter()
                .any(|v| v.errors.iter().any(|e| e.starts_with(code))),
            "{code}"
        );
    }
}

/// A finding in full: id, severity, entries, exhibits, rule.
type FindingDetail = (String, String, Vec<u64>, Vec<String>, String);

/// What a verifier said about a vector, in the vectors' notation.
#[derive(Debug, PartialEq)]
struct Verdict {
    exit: i32,
    result: String,
    errors: Vec<String>,
    findings: Vec<String>,
    /// Findings in full (id, severity, entries, exhibits, rule), for
    /// comparing the two verifiers beyond what `expected.json` says.
    detail: Vec<FindingDetail>,
}

fn verdict(exit: i32, v: &Value, rule_of: impl Fn(&Value) -> String) -> Verdict {
    let errors = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| format!("{}@{}", p["code"].as_str().unwrap(), p["entry"]))
        .collect();
    let mut findings = Vec::new();
    let mut detail = Vec::new();
    for f in v["findings"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap().to_string();
        let entries: Vec<u64> = f["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_u64().unwrap())
            .collect();
        let exhibits: Vec<String> = f["exhibits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect();
        let rule = rule_of(f);
        let list: Vec<String> = entries.iter().map(u64::to_string).collect();
        let shown = if id == "CUS-OVERRIDE" {
            format!("{id}[{rule}]@{}", list.join(","))
        } else {
            format!("{id}@{}", list.join(","))
        };
        findings.push(shown);
        detail.push((
            id,
            f["severity"].as_str().unwrap().to_string(),
            entries,
            exhibits,
            rule,
        ));
    }
    Verdict {
        exit,
        result: v["result"].as_str().unwrap().to_string(),
        errors,
        findings,
        detail,
    }
}

/// The rule a custodian finding names at the end of its message (`[RULE]`).
fn rule_in_message(f: &Value) -> String {
    let m = f["message"].as_str().unwrap();
    match (m.rfind('['), m.ends_with(']')) {
        (Some(i), true) => m[i + 1..m.len() - 1].to_string(),
        _ => String::new(),
    }
}

/// A case folder holding the vector and the manifests it cites.
fn case_for(v: &Vector, tmp: &Path) -> PathBuf {
    let case = tmp.join(v.name);
    std::fs::create_dir_all(case.join("manifests")).unwrap();
    let ledger = std::fs::read(dir().join(format!("{}.jsonl", v.name))).unwrap();
    let text = String::from_utf8_lossy(&ledger);
    for x in MANIFESTS {
        if text.contains(&format!("\"path\":\"manifests/{x}.jsonl\"")) {
            std::fs::copy(
                dir().join(format!("manifests/{x}.jsonl")),
                case.join(format!("manifests/{x}.jsonl")),
            )
            .unwrap();
        }
    }
    std::fs::write(case.join("ledger.jsonl"), ledger).unwrap();
    case
}

fn custodian_verdict(case: &Path) -> Verdict {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_custodian"))
        .arg("verify")
        .arg(case)
        .args(["--json", "--trust", LEAD])
        .env_remove("CUSTODIAN_KEY")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("verify --json prints JSON");
    verdict(out.status.code().unwrap(), &v, rule_in_message)
}

fn python_verdict(case: &Path) -> Verdict {
    let out = Command::new("python3")
        .arg(root().join("contrib/verify-ledger.py"))
        .arg(case.join("ledger.jsonl"))
        .args(["--json", "--trust", LEAD])
        .output()
        .expect("python3 runs (CI installs it)");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify-ledger.py --json prints JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    verdict(out.status.code().unwrap(), &v, |f| {
        f["rule"].as_str().unwrap_or_default().to_string()
    })
}

#[test]
fn custodian_and_the_independent_verifier_agree_on_every_vector() {
    if updating() {
        return; // the files are being rewritten; run again without the variable
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for v in VECTORS {
        let case = case_for(v, tmp.path());
        let ours = custodian_verdict(&case);
        let theirs = python_verdict(&case);
        let expected_result = if v.valid() { "valid" } else { "invalid" };
        let expected = (
            if v.valid() { 0 } else { 1 },
            expected_result.to_string(),
            v.errors.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            v.findings.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        for (who, got) in [("custodian", &ours), ("verify-ledger.py", &theirs)] {
            let seen = (
                got.exit,
                got.result.clone(),
                got.errors.clone(),
                got.findings.clone(),
            );
            if seen != expected {
                failures.push(format!(
                    "{}: {who} says {seen:?}, expected {expected:?}",
                    v.name
                ));
            }
        }
        if ours.detail != theirs.detail {
            failures.push(format!(
                "{}: findings differ in detail:\n  custodian {:?}\n  python    {:?}",
                v.name, ours.detail, theirs.detail
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
