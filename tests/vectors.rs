//! Named test vectors (in the style of rage's testkit): one ledger file per
//! case in `tests/vectors/`, named after the defect it holds, each derived
//! from the committed fixture ledger `fixtures/ledger/ledger.jsonl`.
//!
//! [`VECTORS`] is the single table of what each file holds and what
//! `custodian verify` must say about it; `tests/vectors/README.md` is
//! generated from it. Entries that need new signatures are signed with the
//! fixture keys through the library; Ed25519 is deterministic, so the files
//! are byte-stable and a rebuild must reproduce them exactly.
//!
//! Regenerate (after a deliberate format change) with
//! `UPDATE_VECTORS=1 cargo test --test vectors`.

mod common;

use std::path::PathBuf;

use common::*;
use custodian::ledger::{self, entry_hash, kind, Body, Entry, Note, RawLedger, VerifyOptions};
use serde_json::json;

/// One named vector and what verifying it must give.
struct Vector {
    /// File name in `tests/vectors/`.
    file: &'static str,
    /// What the file holds.
    what: &'static str,
    /// `verify --json` result: "valid" or "invalid".
    result: &'static str,
    /// First error: (code, entry).
    first_error: Option<(&'static str, Option<u64>)>,
    /// First warning other than self-asserted-root: (code, entry).
    warning: Option<(&'static str, u64)>,
    /// `Some(reason)` when this build gets the vector wrong (a known bug);
    /// the table test skips it and an ignored test checks it.
    bug: Option<&'static str>,
}

const fn ok(file: &'static str, what: &'static str) -> Vector {
    Vector {
        file,
        what,
        result: "valid",
        first_error: None,
        warning: None,
        bug: None,
    }
}

const fn bad(file: &'static str, what: &'static str, code: &'static str, entry: u64) -> Vector {
    Vector {
        file,
        what,
        result: "invalid",
        first_error: Some((code, Some(entry))),
        warning: None,
        bug: None,
    }
}

const VECTORS: &[Vector] = &[
    ok("valid.jsonl", "the fixture ledger as committed (6 entries)"),
    bad("bad_signature.jsonl", "entry 2's note text changed after signing; later entries re-chained", "bad-signature", 2),
    Vector {
        warning: Some(("clock-regression", 3)),
        ..bad("reordered_entries.jsonl", "entries 2 and 3 swapped", "seq-mismatch", 2)
    },
    bad("deleted_entry.jsonl", "entry 2 removed", "seq-mismatch", 2),
    bad("deleted_entry_rechained.jsonl", "entry 2 removed, later entries re-signed to fix the chain", "seq-mismatch", 2),
    Vector {
        warning: Some(("clock-regression", 6)),
        ..bad("replayed_entry.jsonl", "entry 2 appended again at the end", "seq-mismatch", 6)
    },
    bad("duplicated_entry.jsonl", "entry 2 repeated in place", "seq-mismatch", 3),
    bad("torn_tail.jsonl", "the first 100 bytes of a valid entry 6, no newline", "torn-tail", 6),
    bad("not_canonical.jsonl", "entry 3 with one space added (same JSON value, valid signature)", "not-canonical", 3),
    bad("duplicate_member.jsonl", "entry 5 with its \"seq\" member written twice", "not-canonical", 5),
    bad("crlf_line_ending.jsonl", "entry 5 ends with CR LF", "not-canonical", 5),
    bad("blank_line.jsonl", "an empty line inserted before entry 3", "malformed-json", 3),
    bad("malformed_json.jsonl", "entry 3 cut off mid-JSON (newline kept)", "malformed-json", 3),
    bad("revoked_signer.jsonl", "entry 6 signed by the analyst, revoked at entry 4", "revoked-signer", 6),
    bad("unknown_signer.jsonl", "entry 2 re-signed by a key the case never trusted; later entries re-chained", "unknown-signer", 2),
    bad("examiner_adds_signer.jsonl", "entry 4 adds a signer but is signed by an examiner", "signer-rule", 4),
    bad("signer_readded.jsonl", "entry 6 re-adds the revoked analyst key", "signer-rule", 6),
    bad("bad_genesis.jsonl", "a one-entry ledger whose entry 0 is a note", "bad-genesis", 0),
    bad("second_case_open.jsonl", "entry 6 is another case.open", "bad-genesis", 6),
    bad("unsupported_version.jsonl", "entry 6 has \"v\":3, a version this build does not know (validly signed)", "unsupported-version", 6),
    bad("version_regression.jsonl", "entry 6 is a note of version 2, entry 7 one of version 1 (both validly signed)", "version-regression", 7),
    bad("bad_timestamp.jsonl", "entry 6's time lacks the six fractional digits", "bad-timestamp", 6),
    bad("forked_chain.jsonl", "entry 6 links to entry 4 instead of entry 5", "prev-mismatch", 6),
    bad("seq_gap.jsonl", "entry 6 numbered 7", "seq-mismatch", 6),
    bad("bad_body.jsonl", "entry 6 is a note whose body has \"txt\" instead of \"text\"", "bad-body", 6),
    bad("bad_provenance.jsonl", "entry 6 is an exhibit.acquire whose source-device serial has origin \"header\" but names no header (version-2 members, ledger §7.5)", "bad-body", 6),
    bad("bad_attachment.jsonl", "entry 6 is an attachment.add of the case that says it documents entry 6 itself, not an earlier one (ledger §7.13)", "attachment-rule", 6),
    bad("bad_import.jsonl", "entry 6 is an exhibit.import whose check says matched although the logged and computed digests differ (ledger §7.14)", "bad-body", 6),
    bad("unsigned_entry.jsonl", "entry 6 has no sig member", "bad-signature", 6),
    bad("wrong_namespace.jsonl", "entry 6 signed by the lead key in SSHSIG namespace \"git\"", "bad-signature", 6),
    bad("signature_key_mismatch.jsonl", "entry 6 names the lead as signer but is signed by the analyst", "bad-signature", 6),
    Vector {
        file: "clock_regression.jsonl",
        what: "entry 6 dated 10 minutes before entry 5 (validly signed)",
        result: "valid",
        first_error: None,
        warning: Some(("clock-regression", 6)),
        bug: None,
    },
    Vector {
        file: "unknown_type.jsonl",
        what: "entry 6 of type \"exhibit.seal\", which this version does not know",
        result: "valid",
        first_error: None,
        warning: Some(("unknown-type", 6)),
        bug: None,
    },
    Vector {
        file: "empty.jsonl",
        what: "an empty file",
        result: "invalid",
        first_error: Some(("empty-ledger", None)),
        warning: None,
        bug: None,
    },
    Vector {
        file: "malleable_signature.jsonl",
        what: "entry 5's SSHSIG with its public-key length field changed from 0x33 to 0x43 (ssh-keygen rejects it)",
        result: "invalid",
        first_error: Some(("bad-signature", Some(5))),
        warning: None,
        bug: None,
    },
];

fn vectors_dir() -> PathBuf {
    root().join("tests/vectors")
}

/// Appends a signed entry 6 built by `f` from a note by the lead at 09:21.
fn with_entry_6(f: impl FnOnce(&mut Entry) -> Option<&'static str>) -> Vec<u8> {
    let mut lines = fixture_lines();
    let mut e = note_entry(6, &lines[5], 21, "Exhibit 17 returned to the store");
    let signer = f(&mut e);
    let line = match signer {
        Some(name) => signed_line(e, &key(name)),
        None => e.line(),
    };
    lines.push(line);
    join_lines(&lines)
}

fn replace_once(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(line.to_vec()).unwrap();
    assert_eq!(s.matches(from).count(), 1, "{from:?} in {s}");
    s.replacen(from, to, 1).into_bytes()
}

/// Builds the bytes of a vector.
fn build(file: &str) -> Vec<u8> {
    let lines = fixture_lines();
    let mut l = lines.clone();
    match file {
        "valid.jsonl" => fixture_bytes(),
        "bad_signature.jsonl" => {
            l[2] = edit_json(&l[2], |v| {
                v["body"]["text"] = "Bag 17 received, seal BROKEN".into()
            });
            rechain(&mut l, 3);
            join_lines(&l)
        }
        "reordered_entries.jsonl" => {
            l.swap(2, 3);
            join_lines(&l)
        }
        "deleted_entry.jsonl" => {
            l.remove(2);
            join_lines(&l)
        }
        "deleted_entry_rechained.jsonl" => {
            l.remove(2);
            rechain(&mut l, 2);
            join_lines(&l)
        }
        "replayed_entry.jsonl" => {
            l.push(lines[2].clone());
            join_lines(&l)
        }
        "duplicated_entry.jsonl" => {
            l.insert(3, lines[2].clone());
            join_lines(&l)
        }
        "torn_tail.jsonl" => {
            let mut bytes = build("unknown_type.jsonl");
            bytes.truncate(fixture_bytes().len() + 100);
            bytes
        }
        "not_canonical.jsonl" => {
            l[3] = replace_once(&l[3], "{\"body\":", "{ \"body\":");
            rechain(&mut l, 4);
            join_lines(&l)
        }
        "duplicate_member.jsonl" => {
            l[5] = replace_once(&l[5], "{\"body\":", "{\"seq\":5,\"body\":");
            join_lines(&l)
        }
        "crlf_line_ending.jsonl" => {
            l[5].push(b'\r');
            join_lines(&l)
        }
        "blank_line.jsonl" => {
            l.insert(3, Vec::new());
            join_lines(&l)
        }
        "malformed_json.jsonl" => {
            l[3].truncate(60);
            join_lines(&l)
        }
        "revoked_signer.jsonl" => with_entry_6(|e| {
            e.body = json!({"text": "Analyst still writing after revocation"});
            Some("analyst")
        }),
        "unknown_signer.jsonl" => {
            let e = parse_entry(&l[2]);
            l[2] = signed_line(e, &key("intruder"));
            rechain(&mut l, 3);
            join_lines(&l)
        }
        "examiner_adds_signer.jsonl" => {
            let mut l = lines[..4].to_vec();
            let mut e = note_entry(4, &l[3], 19, "");
            e.kind = kind::SIGNER_ADD.into();
            e.body = json!({
                "key": key("intruder").public().to_openssh(),
                "principal": "mallory@nowhere.example",
                "role": "supervisor",
            });
            l.push(signed_line(e, &key("analyst")));
            join_lines(&l)
        }
        "signer_readded.jsonl" => with_entry_6(|e| {
            e.kind = kind::SIGNER_ADD.into();
            e.body = json!({
                "key": key("analyst").public().to_openssh(),
                "principal": "a.silva@pj.lisboa.example",
                "role": "examiner",
            });
            Some("lead")
        }),
        "bad_genesis.jsonl" => {
            let mut e = note_entry(0, b"", 15, "Case opened by a note");
            e.prev = ledger::GENESIS_PREV.into();
            join_lines(&[signed_line(e, &key("lead"))])
        }
        "second_case_open.jsonl" => with_entry_6(|e| {
            let first = parse_entry(&fixture_lines()[0]);
            e.kind = kind::CASE_OPEN.into();
            e.body = first.body;
            Some("lead")
        }),
        "unsupported_version.jsonl" => with_entry_6(|e| {
            e.v = custodian::ledger::FORMAT_VERSION + 1;
            Some("lead")
        }),
        "version_regression.jsonl" => {
            let mut six = note_entry(6, &l[5], 21, "Written by version 2");
            six.v = custodian::ledger::FORMAT_VERSION;
            l.push(signed_line(six, &key("lead")));
            let seven = note_entry(7, &l[6], 22, "Written by version 1 again");
            l.push(signed_line(seven, &key("lead")));
            join_lines(&l)
        }
        "bad_timestamp.jsonl" => with_entry_6(|e| {
            e.time = "2026-03-02T09:21:00Z".into();
            Some("lead")
        }),
        "forked_chain.jsonl" => with_entry_6(|e| {
            e.prev = entry_hash(&fixture_lines()[4]).to_hex();
            Some("lead")
        }),
        "seq_gap.jsonl" => with_entry_6(|e| {
            e.seq = 7;
            Some("lead")
        }),
        "bad_body.jsonl" => with_entry_6(|e| {
            e.body = json!({"txt": "Exhibit 17 returned to the store"});
            Some("lead")
        }),
        "bad_provenance.jsonl" => with_entry_6(|e| {
            e.kind = kind::EXHIBIT_ACQUIRE.to_string();
            e.body = json!({
                "exhibit": "EXH-017",
                "algorithms": ["sha256"],
                "roots": ["disk.E01"],
                "manifest": {"path": "manifests/EXH-017.jsonl", "sha256": "0".repeat(64), "bytes": 0},
                "counts": {"files": 1, "dirs": 0, "symlinks": 0, "special": 0, "bytes": 0,
                           "errors": 0, "skipped": 0, "changed_during_read": 0, "hardlinks": 0},
                "started": "2026-03-02T09:20:00.000000Z",
                "finished": "2026-03-02T09:20:30.000000Z",
                "host": "lab-ws-3",
                "source_device": {"serial": {"value": "S3Z9NB0K123", "origin": "header"}},
                "clock": {"synchronised": null, "method": "none"},
            });
            Some("lead")
        }),
        "bad_attachment.jsonl" => with_entry_6(|e| {
            e.kind = kind::ATTACHMENT_ADD.to_string();
            e.body = json!({
                "sha256": "5".repeat(64),
                "bytes": 1234,
                "media_type": "image/jpeg",
                "name": "seal-bag17.jpg",
                "kind": "photo",
                "description": "Seal 17 intact",
                "entry": 6,
            });
            Some("lead")
        }),
        "bad_import.jsonl" => with_entry_6(|e| {
            e.kind = kind::EXHIBIT_IMPORT.to_string();
            e.body = json!({
                "exhibit": "EXH-017",
                "acquire": 5,
                "format": "guymager",
                "log": {"sha256": "6".repeat(64), "bytes": 4096, "name": "disk.info", "encoding": "UTF-8"},
                "image": {"layout": "raw", "files": ["disk.dd"], "media_bytes": 1048576},
                "checks": [{"algorithm": "md5", "stage": "acquisition", "logged": "a".repeat(32),
                            "computed": "b".repeat(32), "matched": true, "line": 77}],
            });
            Some("lead")
        }),
        "unsigned_entry.jsonl" => with_entry_6(|_| None),
        "wrong_namespace.jsonl" => with_entry_6(|e| {
            let k = ssh_key::PrivateKey::from_openssh(std::fs::read(key_path("lead")).unwrap())
                .unwrap();
            let sig = k
                .sign("git", ssh_key::HashAlg::Sha512, &e.signed_bytes())
                .unwrap();
            e.sig = Some(custodian::keys::encode_signature(&sig).unwrap());
            None
        }),
        "signature_key_mismatch.jsonl" => with_entry_6(|e| {
            e.sign(&key("analyst")).unwrap();
            // Name the lead, keep the analyst's signature over that name.
            e.signer = key("lead").fingerprint().clone();
            let sig = key("analyst").sign(&e.signed_bytes()).unwrap();
            e.sig = Some(sig);
            None
        }),
        "clock_regression.jsonl" => with_entry_6(|e| {
            e.time = custodian::time::format(stamp(10).time.expect("pinned"));
            Some("lead")
        }),
        "unknown_type.jsonl" => with_entry_6(|e| {
            e.kind = "exhibit.seal".into();
            e.body = json!({"exhibit": "17", "seal": "A-000123"});
            Some("lead")
        }),
        "empty.jsonl" => Vec::new(),
        "malleable_signature.jsonl" => {
            l[5] = replace_once(&l[5], "AAAAAQAAADMAAAAL", "AAAAAQAAAEMAAAAL");
            join_lines(&l)
        }
        other => panic!("no recipe for vector {other}"),
    }
}

fn readme() -> String {
    let mut s = String::from(
        "# Ledger test vectors\n\n\
         Generated by `tests/vectors.rs` (`UPDATE_VECTORS=1 cargo test --test vectors`);\n\
         do not edit by hand. Each file is a complete `ledger.jsonl` derived from\n\
         `fixtures/ledger/ledger.jsonl`, named after the one defect it holds; new\n\
         signatures are made with the fixture keys in `fixtures/keys/` and are\n\
         deterministic, so the files are byte-stable.\n\n\
         `custodian verify CASE --json` on a case holding the file must give the\n\
         result below, and its first problem of severity `error` must have the\n\
         code and entry shown. Every file also gets the `self-asserted-root`\n\
         warning (no `--trust` given), not listed here.\n\n\
         | file | holds | result | first error | entry | warning |\n\
         |---|---|---|---|---|---|\n",
    );
    for v in VECTORS {
        let (code, entry) = match v.first_error {
            Some((c, Some(e))) => (format!("`{c}`"), e.to_string()),
            Some((c, None)) => (format!("`{c}`"), "none".to_string()),
            None => ("none".to_string(), "".to_string()),
        };
        let warning = v
            .warning
            .map(|(c, e)| format!("`{c}` at {e}"))
            .unwrap_or_default();
        let what = match v.bug {
            Some(bug) => format!("{} (**known bug**: {bug})", v.what),
            None => v.what.to_string(),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            v.file,
            what.replace('|', "\\|"),
            v.result,
            code,
            entry,
            warning
        ));
    }
    s
}

/// Builds every vector (twice, to show the build is deterministic), writes
/// them with `UPDATE_VECTORS=1`, and checks the committed files match.
#[test]
fn generate_vectors() {
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    let dir = vectors_dir();
    let mut stale = Vec::new();
    for v in VECTORS {
        let bytes = build(v.file);
        assert_eq!(bytes, build(v.file), "{} is not byte-stable", v.file);
        let path = dir.join(v.file);
        if update {
            std::fs::write(&path, &bytes).unwrap();
        }
        match std::fs::read(&path) {
            Ok(committed) if committed == bytes => {}
            _ => stale.push(v.file),
        }
    }
    let readme_path = dir.join("README.md");
    if update {
        std::fs::write(&readme_path, readme()).unwrap();
    }
    if std::fs::read_to_string(&readme_path).ok().as_deref() != Some(readme().as_str()) {
        stale.push("README.md");
    }
    assert!(
        stale.is_empty(),
        "tests/vectors/ is out of date ({stale:?}); rerun with UPDATE_VECTORS=1 if the change is deliberate"
    );
    // No stray files without an expectation.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "README.md" || VECTORS.iter().any(|v| v.file == name),
            "tests/vectors/{name} has no entry in VECTORS"
        );
    }
}

/// Checks a verify --json object against a vector's expectations.
fn check(v: &Vector, exit: i32, out: &serde_json::Value) -> Result<(), String> {
    let first_error = out["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["severity"] == "error")
        .map(|p| (p["code"].as_str().unwrap().to_string(), p["entry"].as_u64()));
    let warning = out["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["severity"] == "warning" && p["code"] != "self-asserted-root")
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_string(),
                p["entry"].as_u64().unwrap(),
            )
        });
    let expected_exit = if v.result == "valid" { 0 } else { 1 };
    let want_err = v.first_error.map(|(c, e)| (c.to_string(), e));
    let want_warn = v.warning.map(|(c, e)| (c.to_string(), e));
    if exit != expected_exit
        || out["result"] != v.result
        || first_error != want_err
        || warning != want_warn
    {
        return Err(format!(
            "{}: expected exit {expected_exit} {} {want_err:?} {want_warn:?}, got exit {exit} {} {first_error:?} {warning:?}\n{out}",
            v.file, v.result, out["result"]
        ));
    }
    Ok(())
}

/// Every committed vector, through the binary (`verify --json` on a case
/// folder holding the file).
#[test]
fn vectors_verify_as_expected_cli() {
    let mut failures = Vec::new();
    for v in VECTORS.iter().filter(|v| v.bug.is_none()) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(vectors_dir().join(v.file)).unwrap();
        let case = write_case(dir.path(), &bytes);
        let (exit, out) = verify_json(&case, &[]);
        assert_eq!(out["bytes"], bytes.len() as u64, "{}", v.file);
        if let Err(e) = check(v, exit, &out) {
            failures.push(e);
        }
        // A valid vector with a warning fails under --strict.
        if v.result == "valid" {
            let (exit, _) = verify_json(&case, &["--strict"]);
            assert_eq!(exit, 1, "{} under --strict", v.file);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The same through the library, which must agree with the binary.
#[test]
fn vectors_verify_as_expected_library() {
    for v in VECTORS.iter().filter(|v| v.bug.is_none()) {
        let dir = tempfile::tempdir().unwrap();
        let case = write_case(
            dir.path(),
            &std::fs::read(vectors_dir().join(v.file)).unwrap(),
        );
        let ledger = custodian::Ledger::open(&ledger_of(&case)).unwrap();
        let report = ledger::verify(&ledger, &VerifyOptions::default()).unwrap();
        assert_eq!(
            report.is_valid(),
            v.result == "valid",
            "{}: {:?}",
            v.file,
            report.problems
        );
        let first = report.errors().next().map(|p| (p.code, p.entry));
        assert_eq!(first, v.first_error, "{}: {:?}", v.file, report.problems);
        // verify_raw on the bytes gives the same problems.
        let raw = RawLedger::parse(std::fs::read(ledger_of(&case)).unwrap());
        let again = ledger::verify::verify_raw(&raw, &VerifyOptions::default());
        assert_eq!(
            format!("{:?}", again.problems),
            format!("{:?}", report.problems),
            "{}",
            v.file
        );
    }
}

/// Tries to append a note to each vector through the library; returns the
/// files where the append was accepted. A refused append must leave the
/// file unchanged.
fn accepted_appends(vectors: &[&Vector]) -> Vec<&'static str> {
    let k = key("lead");
    let mut accepted = Vec::new();
    for v in vectors {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(vectors_dir().join(v.file)).unwrap();
        let case = write_case(dir.path(), &bytes);
        let opened = custodian::Case::open(&case).unwrap();
        let res = opened.append_at(
            &k,
            &Body::Note(Note {
                text: "appended to a damaged ledger".into(),
            }),
            &stamp(30),
        );
        if res.is_ok() {
            accepted.push(v.file);
        } else {
            assert_eq!(
                std::fs::read(ledger_of(&case)).unwrap(),
                bytes,
                "{}",
                v.file
            );
        }
    }
    accepted
}

/// A writer never signs on top of a ledger that `verify` rejects (its new
/// entry would vouch for the damage): every invalid vector is refused, and
/// the refused file is left byte for byte as it was.
#[test]
fn appends_to_any_invalid_vector_are_refused() {
    let invalid: Vec<&Vector> = VECTORS.iter().filter(|v| v.result == "invalid").collect();
    assert!(invalid.len() >= 20);
    assert_eq!(accepted_appends(&invalid), Vec::<&str>::new());
}
