//! Merkle checkpoints and proofs end to end (docs/spec/transparency.md):
//! `checkpoint`, `checkpoint cosign`, `prove`, `verify-proof` and
//! `verify --expect-checkpoint`, including the tampering each must catch.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use custodian::checkpoint::{origin_for_case, NoteSigner, NoteVerifier, SignedCheckpoint};
use custodian::ledger::RawLedger;
use custodian::merkle::Proof;

const CASE_ID: &str = "FR-LYON-2026-0042";
const LEAD: &str = "j.dupont@cyber.lyon.police.example";

fn allowed_signers() -> PathBuf {
    root().join("fixtures/ledger/allowed_signers")
}

/// `custodian ARGS…`: (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = custodian().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

macro_rules! cli {
    ($($a:expr),* $(,)?) => { run(&[$(std::ffi::OsStr::new(&$a)),*]) };
}

fn checkpoint(case: &Path, key: &str) -> PathBuf {
    let (code, out, err) = cli!("checkpoint", case, "--key", key_path(key));
    assert_eq!(code, 0, "checkpoint: {err}");
    let size = out.lines().nth(1).unwrap();
    case.join("checkpoints").join(format!("{size}.txt"))
}

fn verify_proof(proof: &Path, checkpoints: &[&Path]) -> (i32, String) {
    let mut args: Vec<std::ffi::OsString> = vec!["verify-proof".into(), proof.into()];
    for c in checkpoints {
        args.push("--checkpoint".into());
        args.push(c.into());
    }
    args.push("--allowed-signers".into());
    args.push(allowed_signers().into());
    let out = custodian().args(&args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Replaces the `n`th character of line `line` of a text file by another
/// base64 character.
fn flip_char(path: &Path, line: usize, col: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let mut chars: Vec<char> = lines[line].chars().collect();
    chars[col] = if chars[col] == 'A' { 'B' } else { 'A' };
    lines[line] = chars.into_iter().collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

fn fixture_case(dir: &Path) -> PathBuf {
    write_case(dir, &fixture_bytes())
}

#[test]
fn fixture_checkpoint_regenerates_byte_identically() {
    let committed =
        std::fs::read_to_string(root().join("fixtures/merkle/checkpoint-6.txt")).unwrap();
    // through the library
    let raw = RawLedger::parse(fixture_bytes());
    let lead = key("lead");
    let signer = NoteSigner::new(LEAD, lead.private_key(), "lead").unwrap();
    let mut signed = SignedCheckpoint::new(
        custodian::checkpoint::checkpoint_of_ledger(&raw, CASE_ID, None).unwrap(),
    );
    assert!(signed.sign(&signer).unwrap());
    assert!(!signed.sign(&signer).unwrap(), "signing twice adds nothing");
    assert_eq!(signed.to_text(), committed);
    // through the CLI
    let dir = tempfile::tempdir().unwrap();
    let case = fixture_case(dir.path());
    let (code, out, _) = cli!("checkpoint", case, "--key", key_path("lead"));
    assert_eq!(code, 0);
    assert_eq!(out, committed);
    assert_eq!(
        std::fs::read_to_string(case.join("checkpoints/6.txt")).unwrap(),
        committed
    );
    // again: same file, nothing changes
    let (code, out, _) = cli!("checkpoint", case, "--key", key_path("lead"));
    assert_eq!((code, out.as_str()), (0, committed.as_str()));
    // parses back, verifies with the fixture allowed_signers
    let parsed = SignedCheckpoint::parse(&committed, "checkpoint-6.txt").unwrap();
    assert_eq!(parsed, signed);
    assert_eq!(parsed.checkpoint.origin, origin_for_case(CASE_ID));
    let text = std::fs::read_to_string(allowed_signers()).unwrap();
    let verifiers = NoteVerifier::from_allowed_signers(&text, "allowed_signers").unwrap();
    let check = parsed.verify_signatures(&verifiers);
    assert!(check.is_trusted(), "{}", check.describe());
    assert_eq!(check.verified[0].name, LEAD);
}

#[test]
fn origin_encodes_the_case_id_reversibly() {
    assert_eq!(origin_for_case(CASE_ID), "custodian.case/FR-LYON-2026-0042");
    assert_eq!(
        origin_for_case("PJ 2026/17+a é"),
        "custodian.case/PJ%202026%2F17%2Ba%20%C3%A9"
    );
}

#[test]
fn checkpoint_cosign_prove_and_verify_proof_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let case = fixture_case(dir.path());
    let cp = checkpoint(&case, "lead");
    // cosign by the (since revoked) analyst, checked against the case
    let (code, out, err) = cli!(
        "checkpoint",
        "cosign",
        cp,
        "--key",
        key_path("analyst"),
        "--case",
        case
    );
    assert_eq!(code, 0, "{err}");
    let sigs: Vec<&str> = out.lines().filter(|l| l.starts_with('\u{2014}')).collect();
    assert_eq!(sigs.len(), 2);
    let mut sorted = sigs.clone();
    sorted.sort();
    assert_eq!(sigs, sorted, "signature lines are sorted");
    assert!(sigs[0].starts_with("\u{2014} a.silva@pj.lisboa.example "));
    // cosigning again changes nothing
    let before = std::fs::read(&cp).unwrap();
    let (code, _, _) = cli!(
        "checkpoint",
        "cosign",
        cp,
        "--key",
        key_path("analyst"),
        "--case",
        case
    );
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&cp).unwrap(), before);
    // checkpoint CASE again keeps the cosignature
    checkpoint(&case, "lead");
    assert_eq!(std::fs::read(&cp).unwrap(), before);

    for entry in 0..6 {
        let (code, proof, err) = cli!(
            "prove",
            "inclusion",
            case,
            "--entry",
            entry.to_string(),
            "--checkpoint",
            cp
        );
        assert_eq!(code, 0, "{err}");
        let path = dir.path().join(format!("entry{entry}.proof"));
        std::fs::write(&path, &proof).unwrap();
        let (code, out) = verify_proof(&path, &[&cp]);
        assert_eq!(code, 0, "entry {entry}: {out}");
        assert!(out.contains("VERIFIED"), "{out}");
        let Proof::Inclusion(p) = Proof::parse(&proof, "proof").unwrap() else {
            panic!("not an inclusion proof")
        };
        assert_eq!(p.leaf_index, entry);
        assert_eq!(
            hex::encode(p.entry_hash),
            sha256_hex(&fixture_lines()[entry as usize])
        );
    }
    // an entry outside the tree is a usage error
    let (code, _, _) = cli!(
        "prove",
        "inclusion",
        case,
        "--entry",
        "6",
        "--checkpoint",
        cp
    );
    assert_eq!(code, 2);
    // without a checkpoint: sound, but vouched for by nothing (said so)
    let (code, out) = {
        let out = custodian()
            .args([
                "verify-proof".as_ref(),
                dir.path().join("entry3.proof").as_os_str(),
            ])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    assert_eq!(code, 0);
    assert!(out.contains("not vouched for"), "{out}");
}

#[test]
fn consistency_between_every_pair_of_checkpoints_of_a_growing_case() {
    let dir = tempfile::tempdir().unwrap();
    let lines = fixture_lines();
    let case = write_case(dir.path(), &join_lines(&lines[..1]));
    let mut cps = Vec::new();
    for n in 1..=lines.len() {
        std::fs::write(ledger_of(&case), join_lines(&lines[..n])).unwrap();
        cps.push(checkpoint(&case, "lead"));
    }
    for i in 0..3 {
        let (code, _, err) = cli!(
            "note",
            case,
            "--text",
            format!("later note {i}"),
            "--key",
            key_path("lead")
        );
        assert_eq!(code, 0, "{err}");
        cps.push(checkpoint(&case, "lead"));
    }
    assert_eq!(cps.len(), 9);
    for a in 0..cps.len() {
        for b in a..cps.len() {
            let (code, proof, err) = cli!(
                "prove",
                "consistency",
                case,
                "--from",
                cps[a],
                "--to",
                cps[b]
            );
            assert_eq!(code, 0, "{a}->{b}: {err}");
            let path = dir.path().join(format!("{a}-{b}.proof"));
            std::fs::write(&path, proof).unwrap();
            let (code, out) = verify_proof(&path, &[&cps[a], &cps[b]]);
            assert_eq!(code, 0, "{a}->{b}: {out}");
            assert!(!out.contains("not vouched"), "{out}");
            // a proof checked against checkpoints of other sizes fails
            if b + 1 < cps.len() {
                let (code, _) = verify_proof(&path, &[&cps[b + 1]]);
                assert_eq!(code, 1, "{a}->{b} against {}", b + 1);
            }
        }
    }
    // --to defaults to the ledger now
    let (code, proof, _) = cli!("prove", "consistency", case, "--from", cps[2]);
    assert_eq!(code, 0);
    let Proof::Consistency(p) = Proof::parse(&proof, "p").unwrap() else {
        panic!()
    };
    assert_eq!((p.old_size, p.new_size), (3, 9));
}

/// A proof, a checkpoint and a signature each with one character changed,
/// and a checkpoint only an untrusted key signed: all exit 1.
#[test]
fn tampered_proofs_and_checkpoints_fail() {
    let dir = tempfile::tempdir().unwrap();
    let case = fixture_case(dir.path());
    let cp = checkpoint(&case, "lead");
    let (_, proof, _) = cli!(
        "prove",
        "inclusion",
        case,
        "--entry",
        "2",
        "--checkpoint",
        cp
    );
    let good = dir.path().join("good.proof");
    std::fs::write(&good, &proof).unwrap();
    assert_eq!(verify_proof(&good, &[&cp]).0, 0);

    // a byte of a proof hash (first base64 character of path[0])
    let bad = dir.path().join("bad.proof");
    std::fs::write(&bad, &proof).unwrap();
    let line = proof
        .lines()
        .position(|l| l.trim() == "\"path\": [")
        .unwrap()
        + 1;
    let col = proof.lines().nth(line).unwrap().find('"').unwrap() + 1;
    flip_char(&bad, line, col);
    let (code, out) = verify_proof(&bad, &[&cp]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("proof-invalid"), "{out}");
    // the entry hash
    std::fs::write(
        &bad,
        proof.replace("\"leaf_index\": 2", "\"leaf_index\": 3"),
    )
    .unwrap();
    assert_eq!(verify_proof(&bad, &[&cp]).0, 1);
    // not a proof at all
    std::fs::write(
        &bad,
        "{\"format\":\"custodian-proof-v1\",\"type\":\"inclusion\"}",
    )
    .unwrap();
    assert_eq!(verify_proof(&bad, &[&cp]).0, 1);

    // a byte of the checkpoint's root
    let cp_bad = dir.path().join("root.txt");
    std::fs::copy(&cp, &cp_bad).unwrap();
    flip_char(&cp_bad, 2, 0);
    let (code, out) = verify_proof(&good, &[&cp_bad]);
    assert_eq!(code, 1, "{out}");
    let (code, v) = verify_json(&case, &["--expect-checkpoint", cp_bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    let codes: Vec<String> = errors(&v).into_iter().map(|(c, _)| c).collect();
    assert!(
        codes.contains(&"checkpoint-mismatch".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"checkpoint-signature".to_string()),
        "{codes:?}"
    );

    // a byte of the signature (inside the Ed25519 signature, after the key id)
    let sig_bad = dir.path().join("sig.txt");
    std::fs::copy(&cp, &sig_bad).unwrap();
    let sig_line = std::fs::read_to_string(&sig_bad)
        .unwrap()
        .lines()
        .nth(4)
        .unwrap()
        .to_string();
    flip_char(&sig_bad, 4, sig_line.chars().count() - 20);
    let (code, out) = verify_proof(&good, &[&sig_bad]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("do NOT verify"), "{out}");
    let (code, v) = verify_json(&case, &["--expect-checkpoint", sig_bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v)[0].0, "checkpoint-signature");

    // signed only by a key nobody trusts
    let untrusted = dir.path().join("untrusted.txt");
    std::fs::copy(&cp, &untrusted).unwrap();
    let (code, _, _) = cli!(
        "checkpoint",
        "cosign",
        untrusted,
        "--key",
        key_path("intruder")
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&untrusted).unwrap();
    let only_intruder: String = text
        .lines()
        .filter(|l| !l.contains(LEAD))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&untrusted, only_intruder).unwrap();
    let (code, out) = verify_proof(&good, &[&untrusted]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("mallory@nowhere.example"),
        "unknown key named: {out}"
    );
    let (code, v) = verify_json(&case, &["--expect-checkpoint", untrusted.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v)[0].0, "checkpoint-signature");
    // with the trusted signature too, the unknown one is reported, not counted
    let (code, v) = verify_json(&case, &["--expect-checkpoint", cp.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let (code, _, _) = cli!("checkpoint", "cosign", cp, "--key", key_path("intruder"));
    assert_eq!(code, 0);
    let (code, v) = verify_json(&case, &["--expect-checkpoint", cp.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(v.to_string().contains("checkpoint-unknown-signer"), "{v}");
    // the intruder cannot make a checkpoint of the case
    let (code, _, err) = cli!("checkpoint", case, "--key", key_path("intruder"));
    assert_eq!(code, 2);
    assert!(err.contains("not an active signer"), "{err}");
}

/// Entry 2 rewritten and every later entry re-signed by its own key: the
/// chain and signatures verify, only the checkpoint shows the fork.
#[test]
fn forked_ledger_is_detected_by_expect_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let committed = root().join("fixtures/merkle/checkpoint-6.txt");
    let mut lines = fixture_lines();
    let mut e = parse_entry(&lines[2]);
    e.body["text"] = serde_json::Value::String("a different note".into());
    lines[2] = signed_line(e, &key_for(&parse_entry(&lines[2])));
    rechain(&mut lines, 3);
    let case = write_case(dir.path(), &join_lines(&lines));
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "the fork is a valid ledger on its own: {v}");
    let (code, v) = verify_json(&case, &["--expect-checkpoint", committed.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v), vec![("checkpoint-mismatch".to_string(), None)]);
    // checkpointing the fork refuses to overwrite the saved checkpoint
    let saved = case.join("checkpoints/6.txt");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    std::fs::copy(&committed, &saved).unwrap();
    let (code, _, err) = cli!("checkpoint", case, "--key", key_path("lead"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&committed).unwrap()
    );
    // and no consistency proof can be made from it
    let (code, _, _) = cli!("prove", "consistency", case, "--from", committed);
    assert_eq!(code, 1);

    // the genuine ledger grown by two entries passes
    let case2 = dir.path().join("grown");
    std::fs::create_dir_all(&case2).unwrap();
    std::fs::write(ledger_of(&case2), fixture_bytes()).unwrap();
    for i in 0..2 {
        let (code, _, err) = cli!(
            "note",
            case2,
            "--text",
            format!("n{i}"),
            "--key",
            key_path("lead")
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, v) = verify_json(
        &case2,
        &["--expect-checkpoint", committed.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{v}");
    // truncated to 5 entries
    let short = write_case(
        &dir.path().join("short"),
        &join_lines(&fixture_lines()[..5]),
    );
    let (code, v) = verify_json(
        &short,
        &["--expect-checkpoint", committed.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(errors(&v), vec![("checkpoint-truncated".to_string(), None)]);
    // a file that is not a checkpoint
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello\n").unwrap();
    let (code, v) = verify_json(&case2, &["--expect-checkpoint", junk.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(errors(&v)[0].0, "checkpoint-malformed");
    // a missing one is an operational error
    let out = custodian()
        .arg("verify")
        .arg(&case2)
        .arg("--expect-checkpoint")
        .arg(dir.path().join("nope.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Notes that are not exactly the format are refused with the line named.
#[test]
fn malformed_checkpoints_are_rejected() {
    let good = std::fs::read_to_string(root().join("fixtures/merkle/checkpoint-6.txt")).unwrap();
    assert!(SignedCheckpoint::parse(&good, "cp").is_ok());
    let cases: Vec<(&str, String)> = vec![
        ("no blank line", good.replacen("\n\n", "\n", 1)),
        ("CR", good.replace('\n', "\r\n")),
        ("no final newline", good.trim_end().to_string()),
        ("extension line", good.replacen("=\n\n", "=\nextra\n\n", 1)),
        ("leading zero", good.replacen("\n6\n", "\n06\n", 1)),
        ("negative size", good.replacen("\n6\n", "\n-6\n", 1)),
        ("hyphen not em dash", good.replacen('\u{2014}', "-", 1)),
        (
            "space in origin",
            good.replacen("custodian.case/", "custodian case/", 1),
        ),
        ("short root", good.replacen("jjXy6uJ7", "", 1)),
        (
            "no signature",
            good.split("\n\n").next().unwrap().to_string() + "\n\n",
        ),
        ("bad signature base64", good.replacen(" X2sC", " X2s!", 1)),
        ("empty", String::new()),
    ];
    for (what, text) in cases {
        assert!(
            SignedCheckpoint::parse(&text, what).is_err(),
            "{what} was accepted: {text:?}"
        );
    }
    let e = SignedCheckpoint::parse(&good.replacen("\n6\n", "\n06\n", 1), "cp.txt").unwrap_err();
    assert!(e.to_string().starts_with("cp.txt: line 2:"), "{e}");
}

#[test]
fn malformed_proofs_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let case = fixture_case(dir.path());
    let (code, proof, _) = cli!("prove", "inclusion", case, "--entry", "1");
    assert_eq!(code, 0);
    assert!(Proof::parse(&proof, "p").is_ok());
    for bad in [
        proof.replacen("{", "{\"extra\": 1,", 1),
        proof.replace("custodian-proof-v1", "custodian-proof-v2"),
        proof.replace("\"inclusion\"", "\"exclusion\""),
        proof.replacen("\"tree_size\": 6", "\"tree_size\": -6", 1),
        proof.to_uppercase(),
        "[]".to_string(),
    ] {
        assert!(Proof::parse(&bad, "p").is_err(), "accepted: {bad}");
    }
}

/// The committed example proofs and the size-3 checkpoint regenerate byte
/// for byte and verify; the spec quotes them and the fixture checkpoint.
#[test]
fn committed_examples_regenerate_and_the_spec_quotes_them() {
    let m = root().join("fixtures/merkle");
    let read = |name: &str| std::fs::read_to_string(m.join(name)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = fixture_lines();
    let case = write_case(dir.path(), &join_lines(&lines[..3]));
    let cp3 = checkpoint(&case, "lead");
    assert_eq!(
        std::fs::read_to_string(&cp3).unwrap(),
        read("checkpoint-3.txt")
    );
    std::fs::write(ledger_of(&case), fixture_bytes()).unwrap();
    let cp6 = checkpoint(&case, "lead");
    assert_eq!(
        std::fs::read_to_string(&cp6).unwrap(),
        read("checkpoint-6.txt")
    );
    let (_, inclusion, _) = cli!(
        "prove",
        "inclusion",
        case,
        "--entry",
        "2",
        "--checkpoint",
        cp6
    );
    assert_eq!(inclusion, read("inclusion-2-6.json"));
    let (_, consistency, _) = cli!("prove", "consistency", case, "--from", cp3, "--to", cp6);
    assert_eq!(consistency, read("consistency-3-6.json"));
    let (code, out) = verify_proof(
        &m.join("inclusion-2-6.json"),
        &[&m.join("checkpoint-6.txt")],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = verify_proof(
        &m.join("consistency-3-6.json"),
        &[&m.join("checkpoint-3.txt"), &m.join("checkpoint-6.txt")],
    );
    assert_eq!(code, 0, "{out}");

    let spec = std::fs::read_to_string(root().join("docs/spec/transparency.md")).unwrap();
    for quoted in [read("checkpoint-6.txt"), inclusion, consistency] {
        assert!(
            spec.contains(&quoted),
            "docs/spec/transparency.md quotes:\n{quoted}"
        );
    }
    // the worked examples' roots
    let raw = RawLedger::parse(fixture_bytes());
    let leaves = custodian::merkle::ledger_leaf_hashes(&raw);
    for size in [3, 6] {
        let r = custodian::merkle::root_at(&leaves, size).unwrap();
        assert!(spec.contains(&hex::encode(r)), "root({size}) in the spec");
    }
}

/// The fixture checkpoints' Ed25519 signatures checked by an implementation
/// that is not ours (Python `cryptography`), when it is installed.
#[test]
fn fixture_checkpoint_signatures_verify_with_python_cryptography() {
    let script = r#"
import base64, sys
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    print("skip"); sys.exit(0)
pub = base64.b64decode(open("fixtures/keys/lead.pub").read().split()[1])[-32:]
for f in ["fixtures/merkle/checkpoint-3.txt", "fixtures/merkle/checkpoint-6.txt"]:
    body, sigs = open(f).read().split("\n\n")
    blob = base64.b64decode(sigs.split(" ")[2])
    Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], (body + "\n").encode())
print("ok")
"#;
    let out = match std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(root())
        .output()
    {
        Ok(o) => o,
        Err(_) => return eprintln!("python3 not found: skipped"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    if said.trim() == "skip" {
        eprintln!("python3 cryptography not installed: skipped");
    } else {
        assert_eq!(said.trim(), "ok");
    }
}

/// fixtures/merkle/vectors.json is what the independent Python script
/// computes (the Rust side is checked against the file in src/merkle).
#[test]
fn merkle_vectors_match_the_independent_python_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vectors.json");
    let Ok(status) = std::process::Command::new("python3")
        .arg(root().join("fixtures/merkle/make_vectors.py"))
        .arg(&out)
        .status()
    else {
        return eprintln!("python3 not found: skipped");
    };
    assert!(status.success());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(root().join("fixtures/merkle/vectors.json")).unwrap()
    );
}

/// `cli!` with the fixture lead key appended, asserting exit 0.
fn lead_ok(args: &[&std::ffi::OsStr]) -> String {
    let mut all = args.to_vec();
    let key = key_path("lead");
    all.push("--key".as_ref());
    all.push(key.as_os_str());
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// A real case with an exhibit, two signed checkpoints kept in
/// `checkpoints/` (one from `checkpoint`, one from `package`) and an entry
/// after them.
fn case_with_saved_checkpoints(dir: &Path) -> PathBuf {
    let case = dir.join("case");
    let ev = dir.join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), b"alpha\n").unwrap();
    let os = |s: &str| std::ffi::OsString::from(s);
    let warrant = "Warrant 2026/17";
    lead_ok(&[
        "init".as_ref(),
        case.as_os_str(),
        "--case-id".as_ref(),
        CASE_ID.as_ref(),
        "--title".as_ref(),
        "saved checkpoints".as_ref(),
        "--authority".as_ref(),
        warrant.as_ref(),
    ]);
    lead_ok(&[
        "acquire".as_ref(),
        case.as_os_str(),
        "--exhibit".as_ref(),
        "EXH-1".as_ref(),
        "--authority".as_ref(),
        warrant.as_ref(),
        "-q".as_ref(),
        ev.as_os_str(),
    ]);
    lead_ok(&["checkpoint".as_ref(), case.as_os_str()]);
    let pkg = dir.join("pkg");
    lead_ok(&[
        "package".as_ref(),
        case.as_os_str(),
        "--exhibit".as_ref(),
        "EXH-1".as_ref(),
        "--for".as_ref(),
        "the court".as_ref(),
        "--authority".as_ref(),
        warrant.as_ref(),
        "--out".as_ref(),
        pkg.as_os_str(),
    ]);
    lead_ok(&[
        "note".as_ref(),
        case.as_os_str(),
        "--text".as_ref(),
        &os("after the checkpoints"),
    ]);
    case
}

/// Plain `verify CASE` checks the checkpoints the case keeps (issue 17
/// item 10): a normal case with checkpoints from `checkpoint` and
/// `package` verifies; a ledger cut back below one, or rewritten (forked)
/// under one, does not; a file there that is not a checkpoint, or one no
/// signer of the case signed, is an error naming the file; any other file
/// is a warning.
#[test]
fn verify_checks_the_checkpoints_kept_in_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let case = case_with_saved_checkpoints(dir.path());
    let mut saved: Vec<String> = std::fs::read_dir(case.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    assert_eq!(saved.len(), 2, "{saved:?}");
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["errors"], 0, "{v}");
    let out = custodian().arg("verify").arg(&case).output().unwrap();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("result:  VALID"));

    let full = std::fs::read(ledger_of(&case)).unwrap();
    let lines = split_lines(&full);
    let largest = saved
        .iter()
        .map(|n| n.trim_end_matches(".txt").parse::<usize>().unwrap())
        .max()
        .unwrap();
    // Cut back to one entry below the largest checkpoint: a whole-entry
    // truncation that verified VALID before.
    std::fs::write(ledger_of(&case), join_lines(&lines[..largest - 1])).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    let errs = errors(&v);
    assert!(errs.contains(&("checkpoint-truncated".into(), None)), "{v}");
    assert!(v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["path"] == format!("checkpoints/{largest}.txt")));
    let out = custodian().arg("verify").arg(&case).output().unwrap();
    expect_code(&out, 1);
    // Forked: entry 1 rewritten and every later entry re-linked (`prev`,
    // and the custody `prior` that named it) and re-signed, so the chain
    // and signatures all verify; only the checkpoints tell.
    let mut forked = lines.clone();
    let mut renamed = std::collections::HashMap::new();
    for i in 1..forked.len() {
        let old = custodian::ledger::entry_hash(&forked[i]).to_hex();
        let mut e = parse_entry(&forked[i]);
        if i == 1 {
            e.body["description"] = serde_json::Value::String("another exhibit".into());
        }
        e.prev = custodian::ledger::entry_hash(&forked[i - 1]).to_hex();
        if let Some(new) = e.body["prior"].as_str().and_then(|p| renamed.get(p)) {
            e.body["prior"] = serde_json::Value::String(String::clone(new));
        }
        e.sig = None;
        forked[i] = signed_line(e, &key("lead"));
        renamed.insert(old, custodian::ledger::entry_hash(&forked[i]).to_hex());
    }
    std::fs::write(ledger_of(&case), join_lines(&forked)).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        errors(&v),
        vec![("checkpoint-mismatch".to_string(), None); 2],
        "{v}"
    );
    std::fs::write(ledger_of(&case), &full).unwrap();
    assert_eq!(verify_json(&case, &[]).0, 0);

    // Garbage named as a checkpoint: an error naming the file.
    let junk = case.join("checkpoints/3.txt");
    std::fs::write(&junk, "not a checkpoint\n").unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(errors(&v), vec![("checkpoint-malformed".to_string(), None)]);
    assert_eq!(v["problems"][1]["path"], "checkpoints/3.txt", "{v}");
    // A well-formed checkpoint of this ledger signed by a key that is not
    // a signer of the case.
    let cp = custodian::checkpoint::checkpoint_of_ledger(
        &RawLedger::parse(full.clone()),
        CASE_ID,
        Some(3),
    )
    .unwrap();
    let mut forged = SignedCheckpoint::new(cp);
    let intruder = key("intruder");
    forged
        .sign(&NoteSigner::new(LEAD, intruder.private_key(), "intruder").unwrap())
        .unwrap();
    std::fs::write(&junk, forged.to_text()).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(errors(&v), vec![("checkpoint-signature".to_string(), None)]);
    // A checkpoint named for another size.
    std::fs::copy(case.join("checkpoints").join(&saved[0]), &junk).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(errors(&v), vec![("checkpoint-malformed".to_string(), None)]);
    std::fs::remove_file(&junk).unwrap();
    // Anything else (a crashed write's leftover): a warning, not read.
    std::fs::write(case.join("checkpoints/.9.txt.tmp-1234"), "half").unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert!(v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "checkpoint-stray" && p["severity"] == "warning"));
}
