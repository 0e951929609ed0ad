//! End-to-end tests of the ledger commands (`init`, `note`, `signer`,
//! `signers`, `log`, `verify`, `repair`, `key`, `demo`) through the real
//! binary, each in its own temporary folder.
//!
//! Every test asserts specific exit codes, problem codes, entry numbers,
//! counts or bytes, so that none of them can pass on a broken build.

mod common;

use std::path::Path;
use std::process::Command as StdCommand;

use common::*;
use custodian::ledger::{self, kind, Body, Entry, Note, RawLedger, VerifyOptions};
use custodian::{Case, CaseInit, Ledger};
use serde_json::Value;

const LEAD: &str = "j.dupont@cyber.lyon.police.example";
const ANALYST: &str = "a.silva@pj.lisboa.example";

fn lead_fp() -> String {
    key("lead").fingerprint().to_string()
}

fn analyst_fp() -> String {
    key("analyst").fingerprint().to_string()
}

fn intruder_fp() -> String {
    key("intruder").fingerprint().to_string()
}

/// `custodian init DIR/case` with the lead key; returns the case folder.
fn init_case(dir: &Path) -> std::path::PathBuf {
    let case = dir.join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args([
            "--case-id",
            "UK-MET-2026-7",
            "--title",
            "Phone seized at Heathrow",
        ])
        .args(["--jurisdiction", "England and Wales"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    case
}

fn add_analyst(case: &Path, role: &str) {
    custodian()
        .args(["signer", "add"])
        .arg(case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--principal", ANALYST, "--role", role])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
}

fn note(case: &Path, text: &str, key_name: &str) -> assert_cmd::assert::Assert {
    custodian()
        .arg("note")
        .arg(case)
        .args(["--text", text])
        .arg("--key")
        .arg(key_path(key_name))
        .assert()
}

/// Asserts a failed command printed exactly one `custodian: error:` line
/// (and no panic) and returns it.
fn one_error_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("custodian: error: "), "{stderr:?}");
    stderr
}

// ---------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------

#[test]
fn init_note_log_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    add_analyst(&case, "examiner");
    note(&case, "Bag 17 received, seal intact", "lead").code(0);
    // The key may come from the environment.
    custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "Imaging started on write blocker WB-3"])
        .env("CUSTODIAN_KEY", key_path("analyst"))
        .assert()
        .code(0);

    let bytes = std::fs::read(ledger_of(&case)).unwrap();
    let lines = split_lines(&bytes);
    assert_eq!(lines.len(), 4);
    assert_eq!(*bytes.last().unwrap(), b'\n');

    // log: a header and one row per entry, naming principals and summaries.
    let out = custodian().arg("log").arg(&case).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = log.lines().collect();
    assert_eq!(rows.len(), 5, "{log}");
    assert!(rows[0].starts_with("SEQ"));
    assert!(rows[1].starts_with("0 "), "{}", rows[1]);
    assert!(rows[1].contains("case.open") && rows[1].contains(LEAD));
    assert!(rows[1].contains("opened case UK-MET-2026-7 \"Phone seized at Heathrow\""));
    assert!(rows[2].contains("signer.add") && rows[2].contains(LEAD));
    assert!(rows[2].contains(&format!("added signer {ANALYST} (examiner)")));
    assert!(rows[3].contains(LEAD) && rows[3].contains("Bag 17 received, seal intact"));
    assert!(rows[4].contains(ANALYST) && rows[4].contains("Imaging started on write blocker WB-3"));

    // log --json: one object per line with seq and the line's hash.
    let out = custodian()
        .arg("log")
        .arg(&case)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json_lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json_lines.len(), 4);
    for (i, v) in json_lines.iter().enumerate() {
        assert_eq!(v["seq"], i as u64);
        assert_eq!(v["hash"], sha256_hex(&lines[i]));
        assert_eq!(v["entry"]["seq"], i as u64);
        let entry: Value = serde_json::from_slice(&lines[i]).unwrap();
        assert_eq!(v["entry"], entry, "log --json carries the entry as stored");
    }
    assert_eq!(json_lines[0]["principal"], LEAD);
    assert_eq!(json_lines[3]["principal"], ANALYST);
    assert_eq!(json_lines[2]["summary"], "Bag 17 received, seal intact");

    // verify --json, field by field.
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["result"], "valid");
    assert_eq!(v["entries"], 4);
    assert_eq!(v["bytes"], bytes.len() as u64);
    assert_eq!(v["head"], sha256_hex(lines.last().unwrap()));
    assert_eq!(v["root_of_trust"], "self-asserted");
    assert_eq!(
        v["types"],
        serde_json::json!({"case.open": 1, "note": 2, "signer.add": 1})
    );
    assert_eq!(v["signers"], serde_json::json!({"active": 2, "revoked": 0}));
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 1);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["severity"], "warning");
    assert_eq!(problems[0]["code"], "self-asserted-root");
    assert_eq!(problems[0]["entry"], 0);

    // The chain links are the hashes of the previous lines.
    for i in 1..lines.len() {
        let e = parse_entry(&lines[i]);
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.prev, sha256_hex(&lines[i - 1]));
    }

    // With a trusted root, no warning at all; --strict then passes too.
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["root_of_trust"], "trusted");
    assert_eq!(v["warnings"], 0);
    assert_eq!(v["problems"], serde_json::json!([]));

    // --strict without a trusted root fails on the self-asserted warning.
    let (code, v) = verify_json(&case, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(v["result"], "invalid");
    assert_eq!(v["errors"], 0);

    // Trusting another key makes the root untrusted.
    let (code, v) = verify_json(&case, &["--trust", &intruder_fp()]);
    assert_eq!(code, 1);
    assert_eq!(v["root_of_trust"], "untrusted");
    assert_eq!(errors(&v), vec![("untrusted-root".to_string(), Some(0))]);

    // The plain and quiet outputs agree with the exit code.
    custodian()
        .arg("verify")
        .arg(&case)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("result:  VALID"));
    custodian()
        .arg("verify")
        .arg(&case)
        .arg("--quiet")
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn signers_lists_roles_and_revocations() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["principal"], LEAD);
    assert_eq!(rows[0]["role"], "supervisor");
    assert_eq!(rows[0]["fingerprint"], lead_fp());
    assert_eq!(rows[0]["revoked"], Value::Null);
    assert_eq!(rows[1]["principal"], ANALYST);
    assert_eq!(rows[1]["role"], "examiner");
    assert_eq!(rows[1]["added"]["entry"], 1);
    assert_eq!(rows[1]["revoked"]["entry"], 4);
    assert_eq!(rows[1]["revoked"]["reason"], "examiner reassigned");

    // The allowed_signers output is the committed one.
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--allowed-signers")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string(root().join("fixtures/ledger/allowed_signers")).unwrap()
    );

    // And --allowed-signers makes the fixture's root trusted.
    let (code, v) = verify_json(
        &case,
        &[
            "--allowed-signers",
            root()
                .join("fixtures/ledger/allowed_signers")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["root_of_trust"], "trusted");
    assert_eq!(v["signers"], serde_json::json!({"active": 1, "revoked": 1}));
}

// ---------------------------------------------------------------------------
// Refusals and operational errors
// ---------------------------------------------------------------------------

#[test]
fn init_refuses_an_existing_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let before = std::fs::read(ledger_of(&case)).unwrap();
    let out = custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "OTHER", "--title", "Overwrite attempt"])
        .arg("--key")
        .arg(key_path("analyst"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), before);
}

#[test]
fn missing_case_is_an_operational_error_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-case");
    let lead = key_path("lead");
    let lead = lead.to_str().unwrap();
    let m = missing.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["verify", m],
        vec!["verify", m, "--json"],
        vec!["log", m],
        vec!["signers", m],
        vec!["repair", m],
        vec!["note", m, "--text", "x", "--key", lead],
        vec![
            "signer",
            "revoke",
            m,
            "--fingerprint",
            "SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA",
            "--reason",
            "r",
            "--key",
            lead,
        ],
    ];
    for args in commands {
        let out = custodian().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = one_error_line(&out);
        assert!(err.contains("no-such-case"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!missing.exists(), "{args:?} created the case folder");
    }
}

#[test]
fn malformed_json_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = fixture_lines();
    lines[3] = br#"{"body":{"text":"Examination plan"#.to_vec();
    let bytes = join_lines(&lines);
    let case = write_case(dir.path(), &bytes);
    let offset3: usize = lines[..3].iter().map(|l| l.len() + 1).sum();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["result"], "invalid");
    assert_eq!(v["problems"][0]["code"], "malformed-json");
    assert_eq!(v["problems"][0]["entry"], 3);
    assert_eq!(v["problems"][0]["offset"], offset3 as u64);
    assert_eq!(v["problems"][0]["severity"], "error");
    assert!(v["problems"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("entry 3: "));
    // Writers refuse to extend it.
    let out = custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "after damage"])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("entry 3"), "{err}");
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), bytes);
    // log still lists the readable entries and exits 0.
    let out = custodian().arg("log").arg(&case).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unreadable line"));
}

#[test]
fn wrong_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let out = custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "X-1", "--title", "T"])
        .arg("--key")
        .arg(key_path("encrypted"))
        .env("CUSTODIAN_PASSPHRASE", "incorrect horse")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("passphrase"), "{err}");
    assert!(!ledger_of(&case).exists());

    // No passphrase and no terminal: a clear error, not a hang.
    let out = custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "X-1", "--title", "T"])
        .arg("--key")
        .arg(key_path("encrypted"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("CUSTODIAN_PASSPHRASE"), "{err}");

    // The right one works, and the principal comes from the key comment.
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "X-1", "--title", "T"])
        .arg("--key")
        .arg(key_path("encrypted"))
        .env("CUSTODIAN_PASSPHRASE", "correct horse")
        .assert()
        .code(0);
    let line = &split_lines(&std::fs::read(ledger_of(&case)).unwrap())[0];
    let e = parse_entry(line);
    assert_eq!(e.body["signer"]["principal"], "enc@lab.example");
}

#[test]
fn non_key_files_are_refused_as_keys() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let before = fixture_bytes();
    for not_a_key in [
        root().join("fixtures/ledger/ledger.jsonl"),
        key_path("lead.pub"),
        dir.path().join("missing-key"),
    ] {
        let out = custodian()
            .arg("note")
            .arg(&case)
            .args(["--text", "x"])
            .arg("--key")
            .arg(&not_a_key)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", not_a_key.display());
        one_error_line(&out);
        let out = custodian()
            .arg("init")
            .arg(dir.path().join("new"))
            .args(["--case-id", "X", "--title", "T"])
            .arg("--key")
            .arg(&not_a_key)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", not_a_key.display());
        one_error_line(&out);
    }
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), before);
    assert!(!dir.path().join("new/ledger.jsonl").exists());
}

#[test]
fn untrusted_and_revoked_keys_cannot_append() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    for (k, expect) in [
        ("intruder", "not a signer of this case"),
        ("analyst", "was revoked at entry 4"),
    ] {
        let out = custodian()
            .arg("note")
            .arg(&case)
            .args(["--text", "let me in"])
            .arg("--key")
            .arg(key_path(k))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{k}");
        let err = one_error_line(&out);
        assert!(err.contains(expect), "{k}: {err}");
        assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), fixture_bytes());
    }
    // The intruder cannot add itself either.
    let out = custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("intruder.pub"))
        .args([
            "--principal",
            "mallory@nowhere.example",
            "--role",
            "supervisor",
        ])
        .arg("--key")
        .arg(key_path("intruder"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    one_error_line(&out);
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), fixture_bytes());
}

#[test]
fn supervisor_only_actions_are_refused_to_an_examiner() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    add_analyst(&case, "examiner");
    let before = std::fs::read(ledger_of(&case)).unwrap();
    let out = custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("intruder.pub"))
        .args(["--principal", "m@x.example", "--role", "witness"])
        .arg("--key")
        .arg(key_path("analyst"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("must be signed by a supervisor"), "{err}");
    let out = custodian()
        .args(["signer", "revoke"])
        .arg(&case)
        .args(["--fingerprint", &lead_fp(), "--reason", "coup"])
        .arg("--key")
        .arg(key_path("analyst"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("must be signed by a supervisor"), "{err}");
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), before);

    // An examiner may revoke their own key.
    custodian()
        .args(["signer", "revoke"])
        .arg(&case)
        .args([
            "--fingerprint",
            &analyst_fp(),
            "--reason",
            "leaving the unit",
        ])
        .arg("--key")
        .arg(key_path("analyst"))
        .assert()
        .code(0);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["signers"], serde_json::json!({"active": 1, "revoked": 1}));
}

#[test]
fn revoking_the_last_supervisor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    add_analyst(&case, "examiner");
    let before = std::fs::read(ledger_of(&case)).unwrap();
    let out = custodian()
        .args(["signer", "revoke"])
        .arg(&case)
        .args(["--fingerprint", &lead_fp(), "--reason", "retiring"])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("last active supervisor"), "{err}");
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), before);

    // With a second supervisor, the first may go.
    custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("encrypted.pub"))
        .args(["--principal", "enc@lab.example", "--role", "supervisor"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    custodian()
        .args(["signer", "revoke"])
        .arg(&case)
        .args(["--fingerprint", &lead_fp(), "--reason", "retiring"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    // And the revoked lead can no longer write.
    note(&case, "still here?", "lead").code(2);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["signers"], serde_json::json!({"active": 2, "revoked": 1}));
}

// ---------------------------------------------------------------------------
// Tampering: every class gives exit 1 and names the entry
// ---------------------------------------------------------------------------

/// Verifies `bytes` through the CLI and checks exit 1 and that the first
/// problem is `code` at `entry`. Returns the report.
fn assert_tampered(bytes: &[u8], code: &str, entry: u64) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), bytes);
    let (exit, v) = verify_json(&case, &[]);
    assert_eq!(exit, 1, "{v}");
    assert_eq!(v["result"], "invalid");
    assert_eq!(v["problems"][0]["severity"], "error", "{v}");
    assert_eq!(v["problems"][0]["code"], code, "{v}");
    assert_eq!(v["problems"][0]["entry"], entry, "{v}");
    // Nothing before the tampered entry is blamed.
    for (c, e) in errors(&v) {
        assert!(e.is_none_or(|e| e >= entry), "{c} at {e:?}: {v}");
    }
    v
}

/// A change to an entry's JSON.
type Edit = Box<dyn Fn(&mut Value)>;

/// Each top-level field of entry 2, changed and re-canonicalised so that the
/// only difference is the semantic one.
#[test]
fn every_field_of_an_entry_is_protected() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "body",
            Box::new(|v| v["body"]["text"] = "Bag 17 received, seal BROKEN".into()),
            "bad-signature",
        ),
        (
            "time",
            Box::new(|v| v["time"] = "2026-03-02T09:17:01.000000Z".into()),
            "bad-signature",
        ),
        ("seq", Box::new(|v| v["seq"] = 7.into()), "seq-mismatch"),
        (
            "prev",
            Box::new(|v| {
                let p = v["prev"].as_str().unwrap().to_string();
                let flipped = if p.starts_with('4') { "5" } else { "4" };
                v["prev"] = format!("{flipped}{}", &p[1..]).into();
            }),
            "prev-mismatch",
        ),
        (
            "signer (another case signer)",
            Box::new(|v| v["signer"] = analyst_fp().into()),
            "bad-signature",
        ),
        (
            "signer (a stranger)",
            Box::new(|v| v["signer"] = intruder_fp().into()),
            "unknown-signer",
        ),
        (
            "type",
            Box::new(|v| v["type"] = "exhibit.seal".into()),
            "bad-signature",
        ),
        (
            "tool",
            Box::new(|v| v["tool"]["version"] = "0.1.1".into()),
            "bad-signature",
        ),
        (
            "sig",
            Box::new(|v| {
                let s = v["sig"].as_str().unwrap().to_string();
                // Flip one base64 digit inside the Ed25519 signature bytes.
                let i = s.len() - 20;
                let c = if &s[i..=i] == "A" { "B" } else { "A" };
                v["sig"] = format!("{}{c}{}", &s[..i], &s[i + 1..]).into();
            }),
            "bad-signature",
        ),
        ("v", Box::new(|v| v["v"] = 99.into()), "unsupported-version"),
    ];
    let original = fixture_lines();
    for (field, edit, code) in &cases {
        let mut lines = original.clone();
        lines[2] = edit_json(&original[2], edit);
        assert_ne!(lines[2], original[2], "{field}");
        let v = assert_tampered(&join_lines(&lines), code, 2);
        assert!(
            v["problems"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("entry 2: "),
            "{field}: {v}"
        );
        // With the chain after it re-signed, the defect stays at entry 2.
        if *field != "seq" {
            rechain(&mut lines, 3);
            let v = assert_tampered(&join_lines(&lines), code, 2);
            for (c, e) in errors(&v) {
                assert_eq!(e, Some(2), "{field}: {c} {v}");
            }
        }
    }
}

#[test]
fn raw_byte_flips_are_detected_through_the_cli() {
    let original = fixture_lines();
    let flip = |from: &[u8], to: &[u8]| {
        let mut lines = original.clone();
        let s = String::from_utf8(lines[2].clone()).unwrap();
        let t = s.replacen(
            std::str::from_utf8(from).unwrap(),
            std::str::from_utf8(to).unwrap(),
            1,
        );
        assert_ne!(s, t);
        assert_eq!(s.len(), t.len());
        lines[2] = t.into_bytes();
        join_lines(&lines)
    };
    // A letter of the note text.
    assert_tampered(&flip(b"Bag 17", b"Bag 18"), "bad-signature", 2);
    // A digit of the time.
    assert_tampered(&flip(b"09:17:00", b"09:17:09"), "bad-signature", 2);
    // The sequence number.
    assert_tampered(&flip(b"\"seq\":2", b"\"seq\":3"), "seq-mismatch", 2);
    // The JSON structure itself.
    assert_tampered(&flip(b"{\"text\"", b"[\"text\""), "malformed-json", 2);
    // A member name.
    assert_tampered(&flip(b"\"tool\"", b"\"toil\""), "bad-field", 2);
    // Same value, other spelling: "B" as \u0042 is longer, so do it apart.
    let mut lines = original.clone();
    lines[2] = String::from_utf8(lines[2].clone())
        .unwrap()
        .replacen("Bag 17", "\\u0042ag 17", 1)
        .into_bytes();
    assert_tampered(&join_lines(&lines), "not-canonical", 2);
}

/// Flips each of two bits at every byte of entry 2's line and verifies
/// through the library; returns, per flip, the first error's entry (None if
/// the ledger verified).
fn bit_flips_of_entry_2(ledger_len: usize) -> Vec<(u8, usize, Option<u64>)> {
    let original = fixture_lines();
    let mut out = Vec::new();
    for bit in [0x01u8, 0x20] {
        for pos in 0..original[2].len() {
            let mut lines = original[..ledger_len].to_vec();
            lines[2][pos] ^= bit;
            let raw = RawLedger::parse(join_lines(&lines));
            let report = ledger::verify::verify_raw(&raw, &VerifyOptions::default());
            out.push((bit, pos, report.errors().next().and_then(|p| p.entry)));
        }
    }
    out
}

/// Every single-bit change anywhere in entry 2's line makes the ledger
/// invalid, and nothing before entry 2 is blamed.
#[test]
fn every_bit_flip_in_a_line_is_detected() {
    for (bit, pos, first) in bit_flips_of_entry_2(6) {
        let first = first.unwrap_or_else(|| panic!("flip {bit:#x} at byte {pos} not detected"));
        assert!(
            first == 2 || first == 3,
            "flip {bit:#x} at byte {pos} blamed on {first}"
        );
    }
}

/// The same, stricter: the flipped line itself is blamed, also when it is
/// the head (no later entry whose prev would catch it).
#[test]
fn every_bit_flip_in_a_line_is_blamed_on_that_line() {
    let bad: Vec<_> = bit_flips_of_entry_2(3)
        .into_iter()
        .filter(|(_, _, first)| *first != Some(2))
        .collect();
    assert!(bad.is_empty(), "flips not blamed on entry 2: {bad:?}");
}

/// Regression for the malleability above, on the head entry: the public-key
/// blob length inside the SSHSIG is changed from 0x33 to 0x43 (base64 `ADMA`
/// to `AEMA`). ssh-keygen rejects the result; custodian must too.
#[test]
fn malleable_signature_encoding_is_rejected() {
    let mut lines = fixture_lines();
    let s = String::from_utf8(lines[5].clone()).unwrap();
    assert_eq!(s.matches("AAAAAQAAADMAAAAL").count(), 1);
    lines[5] = s
        .replacen("AAAAAQAAADMAAAAL", "AAAAAQAAAEMAAAAL", 1)
        .into_bytes();
    // ssh-keygen, given the same entry, rejects the altered signature.
    let dir = tempfile::tempdir().unwrap();
    let e = parse_entry(&lines[5]);
    let out = ssh_keygen_verify(
        dir.path(),
        &root().join("fixtures/ledger/allowed_signers"),
        LEAD,
        e.sig.as_deref().unwrap(),
        &canonical_without_sig(&lines[5]),
        Some("20260302092000Z"),
    );
    assert!(!out.status.success(), "ssh-keygen accepted it");
    let v = assert_tampered(&join_lines(&lines), "bad-signature", 5);
    assert_eq!(errors(&v), vec![("bad-signature".to_string(), Some(5))]);
}

#[test]
fn deleted_swapped_and_replayed_lines() {
    let original = fixture_lines();
    // Deleted.
    let mut lines = original.clone();
    lines.remove(2);
    assert_tampered(&join_lines(&lines), "seq-mismatch", 2);
    // Deleted, with the following entries re-signed to paper over it: the
    // sequence numbers still give it away.
    rechain(&mut lines, 2);
    let v = assert_tampered(&join_lines(&lines), "seq-mismatch", 2);
    assert_eq!(errors(&v), vec![("seq-mismatch".to_string(), Some(2))]);
    // Swapped.
    let mut lines = original.clone();
    lines.swap(2, 3);
    let v = assert_tampered(&join_lines(&lines), "seq-mismatch", 2);
    assert!(errors(&v).contains(&("prev-mismatch".to_string(), Some(2))));
    // Duplicated in place.
    let mut lines = original.clone();
    lines.insert(3, original[2].clone());
    assert_tampered(&join_lines(&lines), "seq-mismatch", 3);
    // Replayed at the end.
    let mut lines = original.clone();
    lines.push(original[2].clone());
    let v = assert_tampered(&join_lines(&lines), "seq-mismatch", 6);
    assert_eq!(
        errors(&v),
        vec![
            ("seq-mismatch".to_string(), Some(6)),
            ("prev-mismatch".to_string(), Some(6))
        ]
    );
}

#[test]
fn truncated_tail_mid_line_is_torn_at_the_right_offset() {
    let bytes = fixture_bytes();
    let lines = fixture_lines();
    let offset5: usize = lines[..5].iter().map(|l| l.len() + 1).sum();
    let cut = &bytes[..offset5 + 40];
    let v = assert_tampered(cut, "torn-tail", 5);
    assert_eq!(v["problems"][0]["offset"], offset5 as u64);
    assert_eq!(
        v["problems"][0]["message"],
        format!(
            "torn final line at byte offset {offset5} (40 bytes without a newline); `custodian repair` moves it aside"
        )
    );
    assert_eq!(v["entries"], 5);
    assert_eq!(v["head"], sha256_hex(&lines[4]));
    assert_eq!(errors(&v).len(), 1);
}

#[test]
fn entry_resigned_by_an_untrusted_key_is_an_unknown_signer() {
    let mut lines = fixture_lines();
    let mut forged: Entry = parse_entry(&lines[2]);
    forged.body = serde_json::to_value(Note {
        text: "Bag 17 received, seal intact (nothing else found)".into(),
    })
    .unwrap();
    lines[2] = signed_line(forged, &key("intruder"));
    assert_eq!(parse_entry(&lines[2]).signer.to_string(), intruder_fp());
    rechain(&mut lines, 3);
    let v = assert_tampered(&join_lines(&lines), "unknown-signer", 2);
    assert_eq!(errors(&v), vec![("unknown-signer".to_string(), Some(2))]);
    assert!(v["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&intruder_fp()));
}

#[test]
fn entry_signed_by_a_revoked_key_after_revocation() {
    let mut lines = fixture_lines();
    let mut e = note_entry(6, &lines[5], 21, "Analyst still writing after revocation");
    e.signer = key("analyst").fingerprint().clone();
    lines.push(signed_line(e, &key("analyst")));
    let v = assert_tampered(&join_lines(&lines), "revoked-signer", 6);
    assert_eq!(errors(&v), vec![("revoked-signer".to_string(), Some(6))]);
    assert!(v["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked at entry 4"));
}

#[test]
fn whole_entry_truncation_needs_expect_head_or_size() {
    let dir = tempfile::tempdir().unwrap();
    let lines = fixture_lines();
    let old_head = sha256_hex(&lines[5]);
    let case = write_case(dir.path(), &join_lines(&lines[..5]));
    // What a verifier cannot see on its own: a cleanly cut ledger is valid.
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 5);
    // With what an earlier verify printed, it is caught.
    let (code, v) = verify_json(&case, &["--expect-head", &old_head]);
    assert_eq!(code, 1);
    assert_eq!(
        errors(&v),
        vec![("expected-head-missing".to_string(), None)]
    );
    let (code, v) = verify_json(&case, &["--expect-head", &old_head.to_uppercase()]);
    assert_eq!(code, 1, "{v}");
    let (code, v) = verify_json(&case, &["--expect-size", "6"]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), vec![("expected-size".to_string(), None)]);
    // An older head and a smaller size are still satisfied.
    let (code, v) = verify_json(
        &case,
        &[
            "--expect-head",
            &sha256_hex(&lines[3]),
            "--expect-size",
            "5",
        ],
    );
    assert_eq!(code, 0, "{v}");
}

// ---------------------------------------------------------------------------
// Torn tail and repair
// ---------------------------------------------------------------------------

#[test]
fn torn_tail_blocks_appends_until_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let old = fixture_bytes();
    let garbage = b"{\"body\":{\"text\":\"half-writ\xc3";
    let mut torn = old.clone();
    torn.extend_from_slice(garbage);
    std::fs::write(ledger_of(&case), &torn).unwrap();

    let out = custodian().arg("verify").arg(&case).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("torn final line at byte offset {}", old.len())),
        "{stdout}"
    );
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1);
    assert_eq!(v["problems"][0]["code"], "torn-tail");
    assert_eq!(v["problems"][0]["entry"], 6);
    assert_eq!(v["problems"][0]["offset"], old.len() as u64);
    assert_eq!(v["bytes"], torn.len() as u64);

    // Appending is refused and changes nothing.
    let out = custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "on top of a torn line"])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains(&format!("torn final line at byte offset {}", old.len())));
    assert!(err.contains("custodian repair"), "{err}");
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), torn);

    // Repair moves exactly the torn bytes aside.
    let out = custodian().arg("repair").arg(&case).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "moved {} torn byte(s) from offset {}",
            garbage.len(),
            old.len()
        )),
        "{stdout}"
    );
    let recovered: Vec<_> = std::fs::read_dir(case.join("recovered"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(recovered.len(), 1);
    let name = recovered[0].file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("ledger.torn-at-{}.", old.len())),
        "{name}"
    );
    assert_eq!(std::fs::read(&recovered[0]).unwrap(), garbage);
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), old);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");

    // Nothing more to repair; the side file is kept.
    custodian()
        .arg("repair")
        .arg(&case)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("nothing to repair"));
    assert_eq!(
        std::fs::read_dir(case.join("recovered")).unwrap().count(),
        1
    );
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), old);

    // And appending works again.
    note(&case, "after repair", "lead").code(0);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 7);
}

// ---------------------------------------------------------------------------
// Concurrent appenders
// ---------------------------------------------------------------------------

fn assert_notes_once(ledger_path: &Path, expected: &[String], entries: u64) {
    let ledger = Ledger::open(ledger_path).unwrap();
    let report = ledger::verify(&ledger, &VerifyOptions::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.problems);
    assert_eq!(report.entries, entries);
    assert_eq!(report.types.get("note").copied(), Some(entries - 1));
    let mut seen = std::collections::HashMap::new();
    for item in ledger.entries().unwrap() {
        let (e, _) = item.unwrap();
        if e.kind == kind::NOTE {
            *seen
                .entry(e.body["text"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    assert_eq!(seen.len(), expected.len());
    for t in expected {
        assert_eq!(seen.get(t), Some(&1), "{t}");
    }
}

#[test]
fn concurrent_library_appenders_never_fork_the_chain() {
    const THREADS: usize = 2;
    const PER_THREAD: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let init = CaseInit {
        case_id: "CONC-1".into(),
        title: "Concurrency".into(),
        authority: None,
        authority_details: None,
        jurisdiction: None,
        examiner: None,
        principal: None,
        role: custodian::ledger::Role::Supervisor,
        qualifications: None,
        policy: None,
    };
    let (case, _) = Case::create(dir.path(), &init, &key("lead"), &stamp(0)).unwrap();
    let path = case.dir().to_path_buf();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                // A separate handle (and open file description per append).
                let case = Case::open(&path).unwrap();
                let k = key("lead");
                for i in 0..PER_THREAD {
                    let text = format!("thread {t} note {i}");
                    case.append(&k, &Body::Note(Note { text })).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let expected: Vec<String> = (0..THREADS)
        .flat_map(|t| (0..PER_THREAD).map(move |i| format!("thread {t} note {i}")))
        .collect();
    assert_notes_once(
        case.ledger().path(),
        &expected,
        (THREADS * PER_THREAD + 1) as u64,
    );
}

#[test]
fn concurrent_cli_appenders_never_fork_the_chain() {
    const PROCS: usize = 2;
    const PER_PROC: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let handles: Vec<_> = (0..PROCS)
        .map(|p| {
            let case = case.clone();
            std::thread::spawn(move || {
                for i in 0..PER_PROC {
                    custodian()
                        .arg("note")
                        .arg(&case)
                        .args(["--text", &format!("process {p} note {i}")])
                        .arg("--key")
                        .arg(key_path("lead"))
                        .assert()
                        .code(0);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let expected: Vec<String> = (0..PROCS)
        .flat_map(|p| (0..PER_PROC).map(move |i| format!("process {p} note {i}")))
        .collect();
    assert_notes_once(&ledger_of(&case), &expected, (PROCS * PER_PROC + 1) as u64);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], (PROCS * PER_PROC + 1) as u64);
}

// ---------------------------------------------------------------------------
// ssh-keygen interoperability
// ---------------------------------------------------------------------------

fn ssh_keygen() -> StdCommand {
    StdCommand::new("ssh-keygen")
}

/// The bytes an entry's signature covers, rebuilt without the library: the
/// line's JSON without `sig`, keys sorted (serde_json's default map is a
/// BTreeMap), compact separators.
fn canonical_without_sig(line: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Map<String, Value> = serde_json::from_slice(line).unwrap();
    v.remove("sig").expect("entry has a sig");
    serde_json::to_vec(&v).unwrap()
}

/// `ssh-keygen -Y sign` armour around a single-line base64 SSHSIG.
fn armour(sig_b64: &str) -> String {
    let mut out = String::from("-----BEGIN SSH SIGNATURE-----\n");
    for chunk in sig_b64.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END SSH SIGNATURE-----\n");
    out
}

fn ssh_keygen_verify(
    dir: &Path,
    allowed: &Path,
    principal: &str,
    sig_b64: &str,
    msg: &[u8],
    verify_time: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    let sig = dir.join("entry.sig");
    std::fs::write(&sig, armour(sig_b64)).unwrap();
    let mut cmd = ssh_keygen();
    cmd.args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", "custodian-ledger-v1", "-s"])
        .arg(&sig);
    if let Some(t) = verify_time {
        cmd.args(["-O", &format!("verify-time={t}")]);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ssh-keygen is installed");
    // ssh-keygen may reject a malformed signature and exit before reading
    // the message: a closed pipe then is its verdict, not a test failure.
    match child.stdin.take().unwrap().write_all(msg) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("writing to ssh-keygen: {e}"),
    }
    child.wait_with_output().unwrap()
}

#[test]
fn ssh_keygen_verifies_entry_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    note(&case, "Signed for ssh-keygen: é ✓ \u{1}", "lead").code(0);
    let lines = split_lines(&std::fs::read(ledger_of(&case)).unwrap());
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--allowed-signers")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(&allowed, &out.stdout).unwrap();

    for line in &lines {
        let e = parse_entry(line);
        let msg = canonical_without_sig(line);
        assert_eq!(msg, e.signed_bytes(), "our canonical bytes are JCS");
        let sig = e.sig.as_deref().unwrap();
        let out = ssh_keygen_verify(dir.path(), &allowed, LEAD, sig, &msg, None);
        assert!(
            out.status.success(),
            "ssh-keygen rejected entry {}: {}",
            e.seq,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(LEAD));
        // One flipped message byte is rejected.
        let mut bad = msg.clone();
        let i = bad.len() / 2;
        bad[i] ^= 0x01;
        let out = ssh_keygen_verify(dir.path(), &allowed, LEAD, sig, &bad, None);
        assert!(!out.status.success(), "flipped byte accepted");
        // Another principal is rejected.
        let out = ssh_keygen_verify(dir.path(), &allowed, ANALYST, sig, &msg, None);
        assert!(!out.status.success(), "wrong principal accepted");
    }
}

#[test]
fn ssh_keygen_applies_the_fixture_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = root().join("fixtures/ledger/allowed_signers");
    let lines = fixture_lines();
    // Entry 3 was signed by the analyst at 09:18, before revocation at 09:19.
    let e = parse_entry(&lines[3]);
    let msg = canonical_without_sig(&lines[3]);
    let sig = e.sig.as_deref().unwrap();
    let ok = ssh_keygen_verify(
        dir.path(),
        &allowed,
        ANALYST,
        sig,
        &msg,
        Some("20260302091800Z"),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let late = ssh_keygen_verify(
        dir.path(),
        &allowed,
        ANALYST,
        sig,
        &msg,
        Some("20260302092000Z"),
    );
    assert!(
        !late.status.success(),
        "revoked key accepted after revocation"
    );
    // Every fixture entry verifies with ssh-keygen at its own time.
    for line in &lines {
        let e = parse_entry(line);
        let principal = if e.signer.to_string() == lead_fp() {
            LEAD
        } else {
            ANALYST
        };
        let t = custodian::time::parse(&e.time)
            .unwrap()
            .format("%Y%m%d%H%M%SZ")
            .to_string();
        let out = ssh_keygen_verify(
            dir.path(),
            &allowed,
            principal,
            e.sig.as_deref().unwrap(),
            &canonical_without_sig(line),
            Some(&t),
        );
        assert!(
            out.status.success(),
            "entry {}: {}",
            e.seq,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn ssh_keygen_key_opens_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("examiner_key");
    let st = ssh_keygen()
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "k.ito@npa.example",
            "-f",
        ])
        .arg(&k)
        .status()
        .unwrap();
    assert!(st.success());
    let case = dir.path().join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "JP-1", "--title", "Drive image"])
        .arg("--key")
        .arg(&k)
        .assert()
        .code(0);
    let e = parse_entry(&split_lines(&std::fs::read(ledger_of(&case)).unwrap())[0]);
    assert_eq!(e.body["signer"]["principal"], "k.ito@npa.example");
    let pubkey = std::fs::read_to_string(custodian::keys::pub_path_for(&k)).unwrap();
    let stored = e.body["signer"]["key"].as_str().unwrap();
    assert!(pubkey.starts_with(stored), "{pubkey} vs {stored}");
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    // An RSA key made by ssh-keygen is refused (ed25519 only).
    let rsa = dir.path().join("rsa_key");
    let st = ssh_keygen()
        .args([
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-N",
            "",
            "-C",
            "r@x.example",
            "-f",
        ])
        .arg(&rsa)
        .status()
        .unwrap();
    assert!(st.success());
    let out = custodian()
        .arg("init")
        .arg(dir.path().join("rsa-case"))
        .args(["--case-id", "R", "--title", "T"])
        .arg("--key")
        .arg(&rsa)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("ed25519"), "{err}");
}

/// `custodian key new --out K --principal p.rossi@gdf.example --no-passphrase`.
fn new_key(k: &Path) -> std::process::Output {
    custodian()
        .args(["key", "new", "--out"])
        .arg(k)
        .args(["--principal", "p.rossi@gdf.example", "--no-passphrase"])
        .output()
        .unwrap()
}

#[test]
fn custodian_key_loads_in_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("new_key");
    let out = new_key(&k);
    assert_eq!(out.status.code(), Some(0));
    let new_stdout = String::from_utf8(out.stdout).unwrap();
    let ssh = ssh_keygen().arg("-l").arg("-f").arg(&k).output().unwrap();
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    let ssh_line = String::from_utf8(ssh.stdout).unwrap();
    let show = custodian().args(["key", "show"]).arg(&k).output().unwrap();
    assert_eq!(show.status.code(), Some(0));
    let show_line = String::from_utf8(show.stdout).unwrap();
    let fp = |s: &str| s.split_whitespace().nth(1).unwrap().to_string();
    assert!(fp(&ssh_line).starts_with("SHA256:"));
    assert_eq!(fp(&ssh_line), fp(&show_line));
    assert_eq!(
        ssh_line, show_line,
        "key show prints what ssh-keygen -l prints"
    );
    assert_eq!(
        new_stdout,
        format!("{} p.rossi@gdf.example\n", fp(&ssh_line))
    );
    // And the .pub file the same.
    let ssh = ssh_keygen()
        .arg("-l")
        .arg("-f")
        .arg(custodian::keys::pub_path_for(&k))
        .output()
        .unwrap();
    assert_eq!(fp(&String::from_utf8(ssh.stdout).unwrap()), fp(&show_line));
    // Private key mode is 0600.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // key new refuses to overwrite.
    let before = std::fs::read(&k).unwrap();
    let out = new_key(&k);
    assert_eq!(out.status.code(), Some(2));
    one_error_line(&out);
    assert_eq!(std::fs::read(&k).unwrap(), before);
}

/// `key new` into a folder that does not exist makes it, owner-only.
#[test]
fn a_new_key_gets_its_folder_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("keys/lyon/lead");
    let out = new_key(&k);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(k.is_file());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("keys/lyon")), 0o700);
    assert!(String::from_utf8_lossy(&out.stderr).contains("created folder"));
}

#[test]
fn encrypted_custodian_key_decrypts_in_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("enc_key");
    custodian()
        .args(["key", "new", "--out"])
        .arg(&k)
        .args(["--principal", "m.novak@policie.example"])
        .env("CUSTODIAN_PASSPHRASE", "vltava 1357")
        .assert()
        .code(0);
    // ssh-keygen -y with the right passphrase prints the public key.
    let out = ssh_keygen()
        .args(["-y", "-P", "vltava 1357", "-f"])
        .arg(&k)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let derived = String::from_utf8(out.stdout).unwrap();
    let pubfile = std::fs::read_to_string(custodian::keys::pub_path_for(&k)).unwrap();
    let key_part = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(key_part(&derived), key_part(&pubfile));
    // With a wrong one it fails, so the key really is encrypted.
    let out = ssh_keygen()
        .args(["-y", "-P", "wrong", "-f"])
        .arg(&k)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // And custodian signs with it given the passphrase.
    let case = dir.path().join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "CZ-1", "--title", "T"])
        .arg("--key")
        .arg(&k)
        .env("CUSTODIAN_PASSPHRASE", "vltava 1357")
        .assert()
        .code(0);
}

// ---------------------------------------------------------------------------
// demo
// ---------------------------------------------------------------------------

#[test]
fn demo_builds_a_case_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = custodian()
        .arg("demo")
        .arg("--dir")
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("VALID"));
    let case = demo.join("case");
    let allowed = demo.join("allowed_signers");
    let (code, v) = verify_json(&case, &["--allowed-signers", allowed.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["root_of_trust"], "trusted");
    // case.open, signer.add, two acquisitions, seal (one bag, one entry
    // per exhibit), the seal record attached, MLAT, transfer (two),
    // receipt (two), unseal (of both: one bag, two), reseal of the laptop,
    // analysis, release, the disclosure of the laptop in the encrypted
    // package and its package.encrypted entry.
    assert_eq!(v["entries"], 19);
    assert_eq!(v["types"]["attachment.add"], 1);
    assert_eq!(v["types"]["custody.disclose"], 1);
    assert_eq!(v["types"]["package.encrypted"], 1);
    // Decrypted with the Lisbon examiner's key and extracted.
    assert!(demo.join("exh001-for-lisbon.tar.age").is_file());
    assert!(demo.join("received-exh001/package.json").is_file());
    assert_eq!(v["types"]["exhibit.acquire"], 2);
    assert_eq!(v["types"]["custody.seal"], 3);
    assert_eq!(v["types"]["custody.receipt"], 2);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["problems"], serde_json::json!([]));
    // The report as HTML and, with the typesetter, as PDF; both named.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(demo.join("report.html").is_file());
    if cfg!(feature = "pdf") {
        let pdf = std::fs::read(demo.join("report.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(
            stdout.contains(&demo.join("report.pdf").display().to_string()),
            "{stdout}"
        );
    }
    // The folder is marked as a demo; run again, the demo replaces it.
    assert!(demo.join(".custodian-demo").is_file());
    let stray = demo.join("left-over.txt");
    std::fs::write(&stray, "from the first run").unwrap();
    let out = custodian()
        .arg("demo")
        .arg("--dir")
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stray.exists(),
        "the previous demo is replaced, not added to"
    );
    assert!(demo.join("case").is_dir());
    assert!(String::from_utf8_lossy(&out.stdout).contains("replacing the previous demo"));
}

/// `custodian demo` builds in ./custodian-demo by default, and never
/// deletes or writes into a folder it did not make (issue 22 item 6).
#[test]
fn demo_defaults_to_a_local_folder_and_refuses_a_foreign_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = custodian()
        .arg("demo")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let demo = dir.path().join("custodian-demo");
    assert!(demo.join(".custodian-demo").is_file());
    assert!(demo.join("case").is_dir());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("custodian-demo"), "{stdout}");
    // A foreign non-empty folder, default or --dir: refused, untouched.
    for (cwd, args) in [
        (dir.path().join("other"), vec![]),
        (dir.path().to_path_buf(), vec!["--dir", "mine"]),
    ] {
        let foreign = if args.is_empty() {
            cwd.join("custodian-demo")
        } else {
            cwd.join("mine")
        };
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let out = custodian()
            .arg("demo")
            .args(&args)
            .current_dir(&cwd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = one_error_line(&out);
        assert!(err.contains("not a custodian demo folder"), "{err}");
        let name = foreign.file_name().unwrap().to_string_lossy().to_string();
        assert!(err.contains(&format!("{name} already exists")), "{err}");
        let left: Vec<_> = std::fs::read_dir(&foreign)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("notes.txt")]);
    }
}

/// Entry 0's principal obeys the same rule as every other signer's
/// (issue 17 item 16): a hand-made ledger whose first principal holds
/// white space is `bad-body` in custodian and in the independent verifier,
/// where it used to verify (and `signers --allowed-signers` then printed a
/// line ssh-keygen rejects).
#[test]
fn entry_zero_principal_follows_the_principal_rule() {
    let first = fixture_lines().remove(0);
    let edited = edit_json(&first, |v| {
        v["body"]["signer"]["principal"] = "Martin Keller".into();
    });
    let line = signed_line(parse_entry(&edited), &key("lead"));
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &join_lines(&[line]));
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        errors(&v).contains(&("bad-body".to_string(), Some(0))),
        "{v}"
    );
    let py = std::process::Command::new("python3")
        .arg(root().join("contrib/verify-ledger.py"))
        .arg(ledger_of(&case))
        .output()
        .unwrap();
    assert_eq!(py.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&py.stdout).contains("[bad-body] entry 0"),
        "{py:?}"
    );
}

#[test]
fn signer_add_takes_the_principal_from_the_key_comment_like_init() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "P-1", "--title", "principals"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--role", "examiner"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    let out = custodian()
        .arg("signers")
        .arg(&case)
        .arg("--json")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("\"principal\":\"a.silva@pj.lisboa.example\"")),
        "{text}"
    );
    // A key without a comment: the principal must be given.
    let bare = dir.path().join("bare.pub");
    let line = std::fs::read_to_string(key_path("intruder.pub")).unwrap();
    let mut parts = line.split_whitespace();
    let (alg, b64) = (parts.next().unwrap(), parts.next().unwrap());
    std::fs::write(&bare, format!("{alg} {b64}\n")).unwrap();
    let out = custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(&bare)
        .args(["--role", "witness"])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out);
    assert!(err.contains("pass --principal"), "{err}");
    assert!(err.contains("bare.pub"), "{err}");
}
