//! End-to-end tests of encrypted evidence packages: `custodian package
//! --encrypt-to` and `custodian verify-package --identity / --extract`
//! (docs/spec/package.md §9), with interop both ways against the stock
//! `age` tool (Debian package `age`, installed by .ci/run).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const LEAD: &str = "lead";
const ANALYST_PRINCIPAL: &str = "a.silva@pj.lisboa.example";
const WARRANT: &str = "Warrant 26/1187";

fn run(c: &mut assert_cmd::Command) -> Output {
    c.output().unwrap()
}

fn ok(c: &mut assert_cmd::Command) -> String {
    let out = run(c);
    expect_code(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A case with one exhibit, opened by `lead`, with `analyst` (the
/// receiving examiner) as a signer.
fn fixture() -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), b"alpha evidence\n").unwrap();
    let key = key_path(LEAD);
    ok(custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-2026-0042", "--title", "One laptop"])
        .args(["--authority", WARRANT])
        .arg("--key")
        .arg(&key));
    ok(custodian()
        .args(["signer", "add"])
        .arg(&case)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--principal", ANALYST_PRINCIPAL, "--role", "examiner"])
        .arg("--key")
        .arg(&key));
    ok(custodian()
        .arg("acquire")
        .arg(&case)
        .args(["--exhibit", "EXH-1", "--description", "Laptop", "-q"])
        .args(["--authority", WARRANT])
        .arg("--key")
        .arg(&key)
        .arg(&ev));
    TestCase { dir, path: case }
}

fn package_cmd(t: &TestCase, out: &Path, recipients: &[&str]) -> assert_cmd::Command {
    let mut c = custodian();
    c.arg("package")
        .arg(t.p())
        .args(["--exhibit", "EXH-1", "--for", "Policia Judiciaria (PT)"])
        .args(["--authority", WARRANT])
        .arg("--out")
        .arg(out)
        .arg("--key")
        .arg(key_path(LEAD));
    for r in recipients {
        c.arg("--encrypt-to").arg(r);
    }
    c
}

/// Builds an encrypted package at `tmp/name`, returning its path.
fn package(t: &TestCase, name: &str, recipients: &[&str]) -> PathBuf {
    let out = t.tmp().join(name);
    ok(&mut package_cmd(t, &out, recipients));
    out
}

fn verify_cmd(pkg: &Path, identity: &Path) -> assert_cmd::Command {
    let mut c = custodian();
    c.arg("verify-package")
        .arg(pkg)
        .arg("--trust")
        .arg(key(LEAD).fingerprint().as_str())
        .arg("--identity")
        .arg(identity);
    c
}

fn lead_fp() -> String {
    key(LEAD).fingerprint().as_str().to_string()
}

fn analyst_fp() -> String {
    key("analyst").fingerprint().as_str().to_string()
}

/// The public key line of a fixture key, without its comment.
fn pub_line(name: &str) -> String {
    let text = std::fs::read_to_string(key_path(&format!("{name}.pub"))).unwrap();
    let mut w = text.split_whitespace();
    format!("{} {}", w.next().unwrap(), w.next().unwrap())
}

/// A new age identity file made by the stock `age-keygen`; returns its
/// path and its `age1…` recipient.
fn age_identity(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("age-keygen (Debian package age) is installed");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("age-keygen writes the public key")
        .to_string();
    (path, recipient)
}

/// The ledger's entries, parsed.
fn entries(case: &Path) -> Vec<Value> {
    std::fs::read_to_string(ledger_of(case))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn file_sha256(p: &Path) -> String {
    sha256_hex(&std::fs::read(p).unwrap())
}

/// Round trip to an ssh-ed25519 key file: the receiving examiner's key
/// decrypts and verifies, --extract writes a folder package that
/// verifies again, and the ledger records the recipient in the
/// disclosure and the ciphertext's digest in a `package.encrypted` entry
/// that matches the file's sha256 (which `verify-package` prints).
#[test]
fn ssh_recipient_round_trip_records_recipients_and_ciphertext() {
    let t = fixture();
    let pub_file = key_path("analyst.pub");
    let pkg = package(
        &t,
        "p.tar.age",
        &[&format!("Policia Judiciaria (PT)={}", pub_file.display())],
    );
    let bytes = std::fs::read(&pkg).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    let sha = file_sha256(&pkg);

    // The ledger: the disclosure names the recipient and agency, the next
    // entry the ciphertext, and the ledger still verifies.
    let es = entries(t.p());
    let disclose = es
        .iter()
        .rev()
        .find(|e| e["type"] == "custody.disclose")
        .unwrap();
    assert_eq!(
        disclose["body"]["encrypted_to"],
        serde_json::json!([{"recipient": pub_line("analyst"), "agency": "Policia Judiciaria (PT)"}])
    );
    let last = es.last().unwrap();
    assert_eq!(last["type"], "package.encrypted");
    assert_eq!(last["body"]["sha256"], sha.as_str());
    assert_eq!(last["body"]["bytes"], bytes.len() as u64);
    assert_eq!(last["body"]["disclosure"], disclose["seq"]);
    assert_eq!(last["body"]["package"], disclose["body"]["package"]);
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 0, "{v}");
    // The log says it was encrypted; the report's timeline names the
    // agency.
    let log = ok(custodian().arg("log").arg(t.p()));
    assert!(log.contains("encrypted to 1 recipient(s)"), "{log}");
    let md = String::from_utf8(report_output(t.p(), "md", &[]).stdout).unwrap();
    assert!(
        md.contains("encrypted to 1 recipient(s) (Policia Judiciaria (PT))"),
        "{md}"
    );

    // Decrypted by the receiving examiner's key, verified, extracted.
    let dir = t.tmp().join("extracted");
    let out = ok(verify_cmd(&pkg, &key_path("analyst"))
        .arg("--extract")
        .arg(&dir));
    assert!(out.contains("package is as recorded"), "{out}");
    assert!(out.contains(&format!("ciphertext SHA-256 {sha}")), "{out}");
    assert!(dir.join("package.json").is_file());
    ok(custodian()
        .arg("verify-package")
        .arg(&dir)
        .args(["--trust", &lead_fp()]));
    // --json carries the ciphertext too.
    let out = ok(verify_cmd(&pkg, &key_path("analyst")).arg("--json"));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ciphertext"]["sha256"], sha.as_str());
    assert_eq!(v["valid"], true);
}

/// A native age1 recipient with an age identity file; the agency is
/// recorded as stated.
#[test]
fn age1_recipient_round_trip() {
    let t = fixture();
    let (id, recipient) = age_identity(t.tmp(), "age.key");
    let pkg = package(&t, "p.tar.age", &[&format!("Court of Lyon={recipient}")]);
    let out = ok(&mut verify_cmd(&pkg, &id));
    assert!(out.contains("package is as recorded"), "{out}");
    let es = entries(t.p());
    let disclose = es
        .iter()
        .rev()
        .find(|e| e["type"] == "custody.disclose")
        .unwrap();
    assert_eq!(
        disclose["body"]["encrypted_to"][0]["recipient"],
        recipient.as_str()
    );
    assert_eq!(
        disclose["body"]["encrypted_to"][0]["agency"],
        "Court of Lyon"
    );
}

/// A case signer named by fingerprint: resolved to their ssh-ed25519 key
/// from the ledger.
#[test]
fn signer_fingerprint_recipient_round_trip() {
    let t = fixture();
    let pkg = package(&t, "p.tar.age", &[&analyst_fp()]);
    let es = entries(t.p());
    let disclose = es
        .iter()
        .rev()
        .find(|e| e["type"] == "custody.disclose")
        .unwrap();
    assert_eq!(
        disclose["body"]["encrypted_to"],
        serde_json::json!([{"recipient": pub_line("analyst")}])
    );
    let out = ok(&mut verify_cmd(&pkg, &key_path("analyst")));
    assert!(out.contains("package is as recorded"), "{out}");
    // A fingerprint that is no signer of the case is refused, before
    // anything is recorded.
    let n = entries(t.p()).len();
    let out = run(&mut package_cmd(
        &t,
        &t.tmp().join("q.tar.age"),
        &[key("intruder").fingerprint().as_str()],
    ));
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("not a signer of this case"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(t.p()).len(), n);
}

/// Two recipients: each can decrypt on their own; an encrypted OpenSSH key
/// is unlocked with CUSTODIAN_PASSPHRASE.
#[test]
fn two_recipients_each_decrypt() {
    let t = fixture();
    let (id, recipient) = age_identity(t.tmp(), "age.key");
    let enc_pub = key_path("encrypted.pub");
    let pkg = package(
        &t,
        "p.tar.age",
        &[&enc_pub.display().to_string(), &recipient],
    );
    let out = ok(&mut verify_cmd(&pkg, &id));
    assert!(out.contains("package is as recorded"), "{out}");
    let out =
        ok(verify_cmd(&pkg, &key_path("encrypted")).env("CUSTODIAN_PASSPHRASE", "correct horse"));
    assert!(out.contains("package is as recorded"), "{out}");
    // A wrong passphrase is an error about the key, not the package.
    let out = run(verify_cmd(&pkg, &key_path("encrypted")).env("CUSTODIAN_PASSPHRASE", "wrong"));
    expect_code(&out, 2);
}

/// The wrong identity: exit 2, "not encrypted to this identity"; with the
/// receiver's copy of the case, the recorded recipients and the case
/// signers whose ssh-ed25519 tag matches are named.
#[test]
fn wrong_identity_names_the_recipients_from_the_case() {
    let t = fixture();
    let pkg = package(&t, "p.tar.age", &[&analyst_fp()]);
    let out = run(&mut verify_cmd(&pkg, &key_path("intruder")));
    expect_code(&out, 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not encrypted to this identity"), "{err}");
    assert!(err.contains(&pkg.display().to_string()), "{err}");
    assert!(err.contains("ssh-ed25519 (tag "), "{err}");
    assert!(err.contains("--case"), "{err}");

    let out = run(verify_cmd(&pkg, &key_path("intruder"))
        .arg("--case")
        .arg(t.p()));
    expect_code(&out, 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&pub_line("analyst")), "{err}");
    assert!(err.contains(ANALYST_PRINCIPAL), "{err}");
    assert!(err.contains(&analyst_fp()), "{err}");

    // Without --identity: exit 2, saying what to give.
    let out = run(custodian().arg("verify-package").arg(&pkg));
    expect_code(&out, 2);
    assert!(stderr(&out).contains("--identity"), "{}", stderr(&out));
}

/// A truncated ciphertext: exit 1 (age's authentication), one line naming
/// the file, nothing extracted.
#[test]
fn truncated_ciphertext_fails_and_extracts_nothing() {
    let t = fixture();
    let pkg = package(&t, "p.tar.age", &[&analyst_fp()]);
    let bytes = std::fs::read(&pkg).unwrap();
    for cut in [100, bytes.len() / 2] {
        let bad = t.tmp().join(format!("cut-{cut}.tar.age"));
        std::fs::write(&bad, &bytes[..bytes.len() - cut]).unwrap();
        let dir = t.tmp().join(format!("x-{cut}"));
        let out = run(verify_cmd(&bad, &key_path("analyst"))
            .arg("--extract")
            .arg(&dir));
        expect_code(&out, 1);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&bad.display().to_string()), "{err}");
        assert!(err.contains("nothing was extracted"), "{err}");
        assert!(dir.symlink_metadata().is_err(), "nothing extracted");
        // No temporary folder is left either.
        let left: Vec<_> = std::fs::read_dir(t.tmp())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// A flipped byte, in the payload or in the header: exit 1, nothing
/// extracted.
#[test]
fn flipped_byte_fails() {
    let t = fixture();
    let pkg = package(&t, "p.tar.age", &[&analyst_fp()]);
    let bytes = std::fs::read(&pkg).unwrap();
    let header_end = bytes.windows(4).position(|w| w == b"\n---").unwrap();
    for at in [bytes.len() - 20, bytes.len() / 2, header_end + 6] {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let bad = t.tmp().join(format!("flip-{at}.tar.age"));
        std::fs::write(&bad, &b).unwrap();
        let dir = t.tmp().join(format!("x-{at}"));
        let out = run(verify_cmd(&bad, &key_path("analyst"))
            .arg("--extract")
            .arg(&dir));
        expect_code(&out, 1);
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(dir.symlink_metadata().is_err());
    }
}

/// Stock `age -d -i KEY` decrypts custodian's output to the tar custodian
/// encrypted: a package that verifies, with the same members as
/// --extract writes.
#[test]
fn stock_age_decrypts_custodian_output() {
    let t = fixture();
    let pkg = package(
        &t,
        "p.tar.age",
        &[&key_path("analyst.pub").display().to_string()],
    );
    let plain = t.tmp().join("plain.tar");
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key_path("analyst"))
        .arg("-o")
        .arg(&plain)
        .arg(&pkg)
        .output()
        .expect("age (Debian package age) is installed");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ok(custodian()
        .arg("verify-package")
        .arg(&plain)
        .args(["--trust", &lead_fp()]));
    assert!(out.contains("package is as recorded"), "{out}");
    // The same members, byte for byte, as custodian's own decryption.
    let dir = t.tmp().join("x");
    ok(verify_cmd(&pkg, &key_path("analyst"))
        .arg("--extract")
        .arg(&dir));
    let mut a = tar::Archive::new(std::fs::File::open(&plain).unwrap());
    let mut n = 0;
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let rel = e.path().unwrap().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        assert_eq!(
            std::fs::read(dir.join(&rel)).unwrap(),
            data,
            "{}",
            rel.display()
        );
        n += 1;
    }
    assert!(n > 5);
}

/// A custodian tar encrypted by stock `age -R recipients` verifies with
/// --identity (to an ssh-ed25519 key and to an age1 recipient).
#[test]
fn stock_age_encrypted_package_verifies() {
    let t = fixture();
    let plain = t.tmp().join("plain.tar");
    ok(custodian()
        .arg("package")
        .arg(t.p())
        .args(["--exhibit", "EXH-1", "--for", "Court"])
        .args(["--authority", WARRANT])
        .arg("--out")
        .arg(&plain)
        .arg("--key")
        .arg(key_path(LEAD)));
    let (id, recipient) = age_identity(t.tmp(), "age.key");
    let recipients = t.tmp().join("recipients.txt");
    std::fs::write(
        &recipients,
        format!("{}\n{recipient}\n", pub_line("analyst")),
    )
    .unwrap();
    let enc = t.tmp().join("stock.tar.age");
    let out = std::process::Command::new("age")
        .arg("-R")
        .arg(&recipients)
        .arg("-o")
        .arg(&enc)
        .arg(&plain)
        .output()
        .expect("age (Debian package age) is installed");
    assert!(out.status.success(), "{}", stderr(&out));
    for identity in [key_path("analyst"), id] {
        let out = ok(&mut verify_cmd(&enc, &identity));
        assert!(out.contains("package is as recorded"), "{out}");
        assert!(
            out.contains(&format!("ciphertext SHA-256 {}", file_sha256(&enc))),
            "{out}"
        );
    }
}

/// Usage: --encrypt-to needs a .age name, and a .age name needs
/// --encrypt-to; nothing is recorded either way.
#[test]
fn encrypt_to_needs_an_age_name() {
    let t = fixture();
    let n = entries(t.p()).len();
    let out = run(&mut package_cmd(
        &t,
        &t.tmp().join("p.tar"),
        &[&analyst_fp()],
    ));
    expect_code(&out, 2);
    assert!(stderr(&out).contains(".tar.age"), "{}", stderr(&out));
    let out = run(&mut package_cmd(&t, &t.tmp().join("p.tar.age"), &[]));
    expect_code(&out, 2);
    let out = run(&mut package_cmd(
        &t,
        &t.tmp().join("p.tar.age"),
        &["not-a-recipient"],
    ));
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("not an age recipient"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(t.p()).len(), n);
}
