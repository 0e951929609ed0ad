//! The verified-state record (docs/engineering/threat-model.md, "append
//! cache"): an append may start from it only when the ledger is exactly as
//! recorded; anything else is a full verification, and `verify` never
//! reads it.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::{custodian, key_path, root};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A copy of the committed custody case (v2: seals, transfers, parts) and
/// a state folder of its own.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let case = dir.join("case");
    copy_dir(&root().join("fixtures/custody-case"), &case);
    (case, dir.join("state"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn run(state: &Path, args: &[&str]) -> std::process::Output {
    custodian()
        .env("CUSTODIAN_STATE_DIR", state)
        .env_remove("CUSTODIAN_NO_CACHE")
        .args(args)
        .output()
        .unwrap()
}

fn note(state: &Path, case: &Path, text: &str) -> std::process::Output {
    let key = key_path("analyst");
    run(
        state,
        &[
            "note",
            case.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--text",
            text,
        ],
    )
}

/// The one ledger record in the state folder: (its path, the body).
fn record(state: &Path) -> (PathBuf, Value) {
    let dir = state.join("verified");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && !name.starts_with("exe-")
        })
        .collect();
    assert_eq!(found.len(), 1, "one ledger record in {}", dir.display());
    let path = found.remove(0);
    let bytes = std::fs::read(&path).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    (path, serde_json::from_slice(&bytes[nl + 1..]).unwrap())
}

/// Rewrites the record with `edit` applied, re-authenticated with the
/// store's key when `with_key` (someone who can read this user's files).
fn rewrite_record(state: &Path, with_key: bool, edit: impl FnOnce(&mut Value)) {
    let (path, mut body) = record(state);
    let old = std::fs::read(&path).unwrap();
    let old_tag = &old[..old.iter().position(|&b| b == b'\n').unwrap()];
    edit(&mut body);
    let bytes = serde_json::to_vec(&body).unwrap();
    let tag = if with_key {
        let key = std::fs::read(state.join("verified/key")).unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(b"custodian verified-state record\0");
        mac.update(&bytes);
        hex::encode(mac.finalize().into_bytes()).into_bytes()
    } else {
        old_tag.to_vec()
    };
    let mut out = tag;
    out.push(b'\n');
    out.extend_from_slice(&bytes);
    std::fs::write(&path, out).unwrap();
}

/// The state a full verification replays, as the record serialises it.
fn full_replay(case: &Path) -> Value {
    let bytes = std::fs::read(case.join("ledger.jsonl")).unwrap();
    let raw = custodian::ledger::RawLedger::parse(bytes);
    let report = custodian::ledger::verify::verify_raw(&raw, &Default::default());
    assert!(report.is_valid());
    serde_json::to_value(&report.state).unwrap()
}

/// Changes one byte of entry `seq`'s text in place (same size): the line
/// no longer verifies, the file keeps its length.
fn tamper_in_place(case: &Path, seq: usize) {
    let path = case.join("ledger.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    let start = bytes
        .split(|&b| b == b'\n')
        .take(seq)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let line_end = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap();
    let at = start
        + bytes[start..line_end]
            .windows(7)
            .position(|w| w == b"\"time\":")
            .unwrap()
        + 9;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, bytes).unwrap();
}

/// The ledger file's identity as the record names it.
fn identity(case: &Path) -> Value {
    let m = std::fs::metadata(case.join("ledger.jsonl")).unwrap();
    serde_json::json!({
        "dev": m.dev(), "ino": m.ino(), "size": m.size(),
        "mtime": [m.mtime(), m.mtime_nsec()], "ctime": [m.ctime(), m.ctime_nsec()],
    })
}

fn assert_refused(out: &std::process::Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing to append: entry 3"), "{err}");
}

#[test]
fn the_recorded_state_is_the_state_a_full_verification_replays() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    let c = case.to_str().unwrap();
    // A miss (first run: full verification), then hits.
    assert!(note(&state, &case, "first").status.success());
    assert_eq!(record(&state).1["state"], full_replay(&case));
    let analyst = key_path("analyst");
    let k = analyst.to_str().unwrap();
    let steps: [&[&str]; 3] = [
        &[
            "custody",
            "seal",
            c,
            "--exhibit",
            "EXH-USB",
            "--seal",
            "BAG-0019",
            "--key",
            k,
        ],
        &[
            "custody",
            "unseal",
            c,
            "--exhibit",
            "EXH-USB",
            "--seal",
            "BAG-0019",
            "--key",
            k,
            "--reason",
            "imaging",
        ],
        &[
            "custody",
            "check-out",
            c,
            "--exhibit",
            "EXH-USB",
            "--key",
            k,
            "--purpose",
            "imaging",
        ],
    ];
    for args in steps {
        let out = run(&state, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (_, r) = record(&state);
        assert_eq!(r["state"], full_replay(&case), "after {args:?}");
        assert_eq!(r["file"], identity(&case));
    }
}

#[test]
fn a_prefix_changed_in_place_is_verified_whole_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    assert!(note(&state, &case, "recorded").status.success());
    tamper_in_place(&case, 3);
    assert_refused(&note(&state, &case, "after the change"));
}

#[test]
fn a_record_edited_without_the_key_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    assert!(note(&state, &case, "recorded").status.success());
    tamper_in_place(&case, 3);
    // The record now names the changed file exactly, but its tag is the
    // old one: it does not authenticate, the ledger is verified whole.
    let now = identity(&case);
    rewrite_record(&state, false, |r| r["file"] = now);
    assert_refused(&note(&state, &case, "after the change"));
}

#[test]
fn a_record_from_another_binary_or_of_another_head_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    assert!(note(&state, &case, "recorded").status.success());
    tamper_in_place(&case, 3);
    let now = identity(&case);
    rewrite_record(&state, true, |r| {
        r["file"] = now;
        r["tool"] = Value::from("0".repeat(64));
    });
    assert_refused(&note(&state, &case, "another binary"));
    let now = identity(&case);
    rewrite_record(&state, true, |r| {
        r["file"] = now;
        r["head"] = Value::from("1".repeat(64));
    });
    assert_refused(&note(&state, &case, "another head"));
}

#[test]
fn a_record_forged_with_the_key_fools_an_append_but_never_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    assert!(note(&state, &case, "recorded").status.success());
    tamper_in_place(&case, 3);
    let now = identity(&case);
    rewrite_record(&state, true, |r| r["file"] = now);
    // The documented limit: whoever holds this user's key can make the
    // next append skip verification …
    assert!(note(&state, &case, "over the change").status.success());
    // … but verify reads the ledger, never the record.
    let out = run(&state, &["verify", case.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("entry 3"), "{text}");
}

#[test]
fn no_record_is_kept_when_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (case, state) = setup(dir.path());
    let key = key_path("analyst");
    let out = custodian()
        .env("CUSTODIAN_STATE_DIR", &state)
        .env("CUSTODIAN_NO_CACHE", "1")
        .args([
            "note",
            case.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--text",
            "x",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!state.exists());
}
