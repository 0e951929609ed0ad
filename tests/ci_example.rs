//! Runs the nightly CI script documented in `docs/guide/ci.md`
//! (`contrib/ci-nightly.sh`) for real, with the binary under test, on two
//! cases in a temporary folder: the first run passes and stores each
//! case's head; an appended note passes; a ledger cut back by one whole
//! entry (which a plain `verify` accepts) fails naming that case; so do an
//! edited entry, a rollback to an older copy, a rewritten tail and a case
//! that vanished.
//!
//! The script needs `bash` and `jq`; without `jq` these tests say so on
//! stderr and pass (the script itself refuses to run without it).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use common::*;

fn have_jq() -> bool {
    let ok = StdCommand::new("jq")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("jq is not installed: contrib/ci-nightly.sh not tested");
    }
    ok
}

fn script() -> PathBuf {
    root().join("contrib/ci-nightly.sh")
}

fn lead_fp() -> String {
    key("lead").fingerprint().to_string()
}

/// The lab: `cases/` (the case folders) and `state/` (the script's memory).
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cases")).unwrap();
        Lab { dir }
    }

    fn cases(&self) -> PathBuf {
        self.dir.path().join("cases")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn case(&self, name: &str) -> PathBuf {
        self.cases().join(name)
    }

    /// Opens `cases/NAME` with `key`.
    fn open(&self, name: &str, key: &str) -> PathBuf {
        let case = self.case(name);
        custodian()
            .arg("init")
            .arg(&case)
            .args(["--case-id", &format!("FR-LYON-{name}"), "--title", name])
            // The opening authority covers the acquisitions.
            .args(["--authority", "Warrant 26/1187"])
            .arg("--key")
            .arg(key_path(key))
            .assert()
            .code(0);
        case
    }

    /// Runs the script with `CUSTODIAN_TRUST` set to the lead key (unless
    /// `env` overrides it).
    fn run(&self, env: &[(&str, &str)]) -> Output {
        let mut c = StdCommand::new("bash");
        c.arg(script())
            .arg(self.cases())
            .arg(self.state())
            .env("CUSTODIAN", env!("CARGO_BIN_EXE_custodian"))
            .env("CUSTODIAN_TRUST", lead_fp())
            .env_remove("CUSTODIAN_ALLOWED_SIGNERS")
            .env_remove("CUSTODIAN_STRICT")
            .env_remove("CUSTODIAN_FAIL_ON")
            .env_remove("CUSTODIAN_KEY")
            .env_remove("CUSTODIAN_PASSPHRASE");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// `NAME.state` as (head, entries), if present.
    fn stored(&self, name: &str) -> Option<(String, u64)> {
        let text = std::fs::read_to_string(self.state().join(format!("{name}.state"))).ok()?;
        let mut it = text.split_whitespace();
        let head = it.next().unwrap().to_string();
        let size = it.next().unwrap().parse().unwrap();
        assert_eq!(it.next(), None, "{text:?}");
        Some((head, size))
    }
}

fn note(case: &Path, text: &str) {
    custodian()
        .arg("note")
        .arg(case)
        .args(["--text", text])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
}

/// Asserts the exit code, printing the output if wrong; returns stdout.
fn expect(out: &Output, code: i32) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// The script's line about case `name` (exactly one).
fn line_for<'a>(stdout: &'a str, name: &str) -> &'a str {
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|w| w == format!("{name}:"))
        })
        .collect();
    assert_eq!(lines.len(), 1, "one line for {name}: {stdout}");
    lines[0]
}

/// (head, entries) as `custodian verify --json` reports them now.
fn verified(case: &Path) -> (String, u64) {
    let (code, v) = verify_json(case, &["--trust", &lead_fp()]);
    assert_eq!(code, 0, "{v}");
    (
        v["head"].as_str().unwrap().to_string(),
        v["entries"].as_u64().unwrap(),
    )
}

/// Two cases: alpha (an exhibit acquired and a note) and bravo (a note).
fn two_cases(lab: &Lab) -> (PathBuf, PathBuf) {
    let alpha = lab.open("alpha", "lead");
    let ev = lab.dir.path().join("evidence");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("wallet.dat"), b"wallet bytes").unwrap();
    custodian()
        .arg("acquire")
        .arg(&alpha)
        .args(["--exhibit", "EXH-1", "-q"])
        .arg("--key")
        .arg(key_path("lead"))
        .arg(&ev)
        .assert()
        .code(0);
    note(&alpha, "bag 17 sealed");
    let bravo = lab.open("bravo", "lead");
    note(&bravo, "seal intact on arrival");
    (alpha, bravo)
}

#[test]
fn nightly_script_passes_growth_and_fails_truncation_and_edits() {
    if !have_jq() {
        return;
    }
    let lab = Lab::new();
    let (alpha, bravo) = two_cases(&lab);

    // First run: both pass, heads and sizes stored.
    let stdout = expect(&lab.run(&[]), 0);
    for (name, case) in [("alpha", &alpha), ("bravo", &bravo)] {
        let (head, size) = verified(case);
        assert_eq!(lab.stored(name), Some((head.clone(), size)), "{name}");
        let line = line_for(&stdout, name);
        assert!(line.starts_with("ok "), "{line}");
        assert!(line.contains(&head), "{line}");
    }
    assert_eq!(lab.stored("alpha").unwrap().1, 3);
    assert!(
        stdout.contains("2 case(s) checked, 0 not as recorded"),
        "{stdout}"
    );

    // A note appended: still passes, the state follows the ledger.
    let before_note = std::fs::read(ledger_of(&alpha)).unwrap();
    note(&alpha, "handed to lab 3");
    let stdout = expect(&lab.run(&[]), 0);
    let now = verified(&alpha);
    assert_eq!(now.1, 4);
    assert_eq!(lab.stored("alpha"), Some(now.clone()));
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");
    let full = std::fs::read(ledger_of(&alpha)).unwrap();

    // Cut back by one whole entry: a valid ledger to a plain verify ...
    std::fs::write(ledger_of(&alpha), &before_note).unwrap();
    let (code, v) = verify_json(&alpha, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "a clean cut verifies on its own: {v}");
    // ... but not to the nightly run, which names the case.
    let out = lab.run(&[]);
    let stdout = expect(&out, 1);
    let line = line_for(&stdout, "alpha");
    assert!(line.starts_with("FAIL  alpha: "), "{line}");
    assert!(line.contains("expected-head-missing"), "{line}");
    assert!(line.contains("expected-size"), "{line}");
    assert!(line_for(&stdout, "bravo").starts_with("ok "), "{stdout}");
    assert!(stdout.contains("1 not as recorded"), "{stdout}");
    // The baseline is kept, so the next run fails again.
    assert_eq!(lab.stored("alpha"), Some(now.clone()));
    let stdout = expect(&lab.run(&[]), 1);
    assert!(line_for(&stdout, "alpha").starts_with("FAIL"), "{stdout}");

    // The missing entry put back: passes again.
    std::fs::write(ledger_of(&alpha), &full).unwrap();
    assert_eq!(verified(&alpha), now);
    expect(&lab.run(&[]), 0);

    // An edited entry in bravo: fails naming bravo, alpha is fine.
    let bytes = std::fs::read(ledger_of(&bravo)).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("seal intact on arrival"));
    let edited = text.replace("seal intact on arrival", "seal broken on arrival");
    std::fs::write(ledger_of(&bravo), edited).unwrap();
    let stdout = expect(&lab.run(&[]), 1);
    let line = line_for(&stdout, "bravo");
    assert!(line.starts_with("FAIL  bravo: "), "{line}");
    assert!(line.contains("bad-signature"), "{line}");
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");
}

#[test]
fn nightly_script_fails_rollback_rewrite_and_vanished_case() {
    if !have_jq() {
        return;
    }
    let lab = Lab::new();
    let (alpha, bravo) = two_cases(&lab);
    let old_alpha = std::fs::read(ledger_of(&alpha)).unwrap();
    note(&alpha, "second note");
    expect(&lab.run(&[]), 0);

    // Rollback: the whole ledger replaced by an older copy of itself.
    let current = std::fs::read(ledger_of(&alpha)).unwrap();
    std::fs::write(ledger_of(&alpha), &old_alpha).unwrap();
    let stdout = expect(&lab.run(&[]), 1);
    assert!(
        line_for(&stdout, "alpha").starts_with("FAIL  alpha: "),
        "{stdout}"
    );
    std::fs::write(ledger_of(&alpha), &current).unwrap();
    expect(&lab.run(&[]), 0);

    // Rewrite: the last entry replaced by another, validly signed one. The
    // size is the same, the recorded head is gone.
    let (head, size) = lab.stored("bravo").unwrap();
    let lines = split_lines(&std::fs::read(ledger_of(&bravo)).unwrap());
    std::fs::write(ledger_of(&bravo), join_lines(&lines[..lines.len() - 1])).unwrap();
    note(&bravo, "a different story");
    let (new_head, new_size) = verified(&bravo);
    assert_eq!(new_size, size);
    assert_ne!(new_head, head);
    let stdout = expect(&lab.run(&[]), 1);
    let line = line_for(&stdout, "bravo");
    assert!(line.starts_with("FAIL  bravo: "), "{line}");
    assert!(line.contains("expected-head-missing"), "{line}");
    assert!(!line.contains("expected-size"), "{line}");
    assert_eq!(lab.stored("bravo"), Some((head, size)), "baseline kept");

    // A case that vanished from the folder fails too.
    std::fs::remove_dir_all(&bravo).unwrap();
    let stdout = expect(&lab.run(&[]), 1);
    let line = line_for(&stdout, "bravo");
    assert!(line.starts_with("FAIL  bravo: "), "{line}");
    assert!(line.contains("gone"), "{line}");
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");
}

#[test]
fn nightly_script_requires_a_root_of_trust_and_checks_it() {
    if !have_jq() {
        return;
    }
    let lab = Lab::new();
    lab.open("alpha", "lead");

    // No root of trust: refused, nothing stored.
    let out = lab.run(&[("CUSTODIAN_TRUST", "")]);
    expect(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CUSTODIAN_TRUST"), "{stderr}");
    assert_eq!(lab.stored("alpha"), None);

    // An allowed_signers file works as well as a fingerprint.
    let signers = lab.dir.path().join("allowed_signers");
    let public = std::fs::read_to_string(key_path("lead.pub")).unwrap();
    let mut parts = public.split_whitespace();
    let (algo, blob) = (parts.next().unwrap(), parts.next().unwrap());
    std::fs::write(&signers, format!("lead@lab.example {algo} {blob}\n")).unwrap();
    let signers_s = signers.display().to_string();
    let stdout = expect(
        &lab.run(&[
            ("CUSTODIAN_TRUST", ""),
            ("CUSTODIAN_ALLOWED_SIGNERS", &signers_s),
        ]),
        0,
    );
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");

    // A case opened by a key nobody trusts fails, the others pass.
    lab.open("rogue", "intruder");
    let stdout = expect(&lab.run(&[]), 1);
    let line = line_for(&stdout, "rogue");
    assert!(line.starts_with("FAIL  rogue: "), "{line}");
    assert!(line.contains("untrusted-root"), "{line}");
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");
    assert_eq!(
        lab.stored("rogue"),
        None,
        "an untrusted case is no baseline"
    );

    // A folder that is not a case is ignored; a state file that cannot be
    // read is an operational error (exit 2 when nothing else failed), and
    // is not overwritten.
    std::fs::remove_dir_all(lab.case("rogue")).unwrap();
    std::fs::create_dir_all(lab.cases().join("scratch")).unwrap();
    let state = lab.state().join("alpha.state");
    std::fs::write(&state, "garbage\n").unwrap();
    let stdout = expect(&lab.run(&[]), 2);
    let line = line_for(&stdout, "alpha");
    assert!(line.starts_with("ERROR alpha: "), "{line}");
    assert!(line.contains("state"), "{line}");
    assert!(!stdout.contains("scratch"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "garbage\n");
}

/// The workflow in docs/guide/ci.md runs this very script, nightly.
#[test]
fn documented_workflow_runs_the_script_on_a_schedule() {
    let doc = std::fs::read_to_string(root().join("docs/guide/ci.md")).unwrap();
    let start = doc
        .find("```yaml\n")
        .expect("a yaml block in docs/guide/ci.md")
        + 8;
    let yaml = &doc[start..start + doc[start..].find("```").unwrap()];
    for needle in [
        "schedule:",
        "cron:",
        "contrib/ci-nightly.sh",
        "CUSTODIAN_ALLOWED_SIGNERS",
        "STATE_DIR",
    ] {
        assert!(yaml.contains(needle), "workflow lacks {needle}:\n{yaml}");
    }
    assert!(!yaml.contains('\t'), "YAML forbids tabs");
    let script = std::fs::read_to_string(script()).unwrap();
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("set -euo pipefail"));
}

/// docs/guide/ci.md's workflow: `CUSTODIAN_STRICT=0`, `CUSTODIAN_FAIL_ON=high`.
/// A transfer never received (CUS-TRANSIT, high) fails the case and its
/// FAIL line names the finding; the default threshold lets it pass.
#[test]
fn nightly_fails_on_high_custody_findings_when_asked() {
    if !have_jq() {
        return;
    }
    let lab = Lab::new();
    let case = lab.open("alpha", "lead");
    let ev = lab.dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), b"alpha\n").unwrap();
    custodian()
        .arg("acquire")
        .arg(&case)
        .args(["--exhibit", "EXH-001"])
        .arg("--key")
        .arg(key_path("lead"))
        .arg(&ev)
        .assert()
        .code(0);
    custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--principal", "a@example", "--role", "examiner"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    custodian()
        .args(["custody", "transfer"])
        .arg(&case)
        .args(["--exhibit", "EXH-001", "--to"])
        .arg(key_path("analyst.pub"))
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    let stdout = expect(&lab.run(&[("CUSTODIAN_STRICT", "0")]), 0);
    assert!(line_for(&stdout, "alpha").starts_with("ok "), "{stdout}");
    let out = lab.run(&[("CUSTODIAN_STRICT", "0"), ("CUSTODIAN_FAIL_ON", "high")]);
    let stdout = expect(&out, 1);
    let line = line_for(&stdout, "alpha");
    assert!(line.starts_with("FAIL  alpha: "), "{line}");
    assert!(line.contains("[CUS-TRANSIT] (high)"), "{line}");
}
