//! End-to-end tests of `custodian verify --evidence` (the evidence audit)
//! through the real binary: a case is opened with `fixtures/keys/lead`, a
//! tree built in a temporary folder is acquired, the tree is then changed
//! and `verify --evidence … --json` must report exactly what changed.
//!
//! Every audit checks `evidence[0].counts` field by field (they add up to
//! `examined`), each difference (`status`, `path`, `from`, `expected`,
//! `found`), the `evidence-*` problem codes and the exit code. Digests are
//! compared with the coreutils tools (`sha256sum`, `md5sum`, `sha1sum`),
//! never with this crate's own hashing.

mod common;

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use common::*;
use serde_json::{json, Value};

const EXH: &str = "EXH-1";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn lead_fp() -> String {
    key("lead").fingerprint().to_string()
}

/// `custodian init DIR/NAME` with the lead key; returns the case folder.
fn new_case(dir: &Path, name: &str) -> PathBuf {
    let case = dir.join(name);
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-LYON-2026-118", "--title", "Seized laptop"])
        // The opening authority covers every acquisition.
        .args(["--authority", "Warrant 26/1187"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    case
}

/// `custodian acquire CASE --exhibit ID --key lead -q ARGS… PATHS…`, which
/// must succeed (under the case's opening authority).
fn acquire(case: &Path, id: &str, args: &[&str], paths: &[&Path]) {
    let out = custodian()
        .arg("acquire")
        .arg(case)
        .arg(format!("--exhibit={id}"))
        .arg("--key")
        .arg(key_path("lead"))
        .arg("-q")
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    expect_code(&out, 0);
}

/// Asserts a refused command printed nothing on stdout and exactly one
/// `custodian: error:` line on stderr, and returns that line.
fn one_error_line(out: &Output) -> String {
    expect_code(out, 2);
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("custodian: error: "), "{stderr:?}");
    stderr
}

/// `custodian verify CASE --trust LEAD ARGS…` (raw output).
fn verify(case: &Path, args: &[&str]) -> Output {
    custodian()
        .arg("verify")
        .arg(case)
        .arg("--trust")
        .arg(lead_fp())
        .args(args)
        .output()
        .unwrap()
}

/// `custodian verify CASE --json --trust LEAD --evidence SPEC… ARGS…`.
fn audit(case: &Path, specs: &[String], args: &[&str]) -> (i32, Value) {
    let mut all: Vec<String> = vec!["--trust".into(), lead_fp()];
    for s in specs {
        all.push("--evidence".into());
        all.push(s.clone());
    }
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let (code, v) = verify_json(case, &all);
    // `result` always agrees with the exit code.
    assert_eq!(v["result"] == "valid", code == 0, "{v}");
    (code, v)
}

/// `EXHIBIT=PATH`.
fn at(id: &str, path: &Path) -> String {
    format!("{id}={}", path.display())
}

/// The only audited exhibit of a report.
fn only_audit(v: &Value) -> &Value {
    let ev = v["evidence"].as_array().expect("evidence array");
    assert_eq!(ev.len(), 1, "one exhibit audited: {v}");
    &ev[0]
}

const COUNT_FIELDS: [&str; 8] = [
    "matched",
    "changed",
    "type_changed",
    "missing",
    "new",
    "moved",
    "unreadable",
    "unverifiable",
];

/// Checks every status count of `audit` against `expected` (fields not
/// named must be 0), that they add up to `examined`, which must be
/// `examined`, and that the non-matched ones equal the number of
/// differences listed.
fn assert_counts(audit: &Value, examined: u64, expected: &[(&str, u64)]) {
    let c = &audit["counts"];
    for (k, _) in expected {
        assert!(COUNT_FIELDS.contains(k), "unknown count {k}");
    }
    let mut sum = 0;
    for f in COUNT_FIELDS {
        let want = expected
            .iter()
            .find(|(k, _)| *k == f)
            .map_or(0, |(_, n)| *n);
        let got = c[f].as_u64().unwrap_or_else(|| panic!("counts.{f}: {c}"));
        assert_eq!(got, want, "counts.{f}: {c}");
        sum += got;
    }
    assert_eq!(c["examined"], examined, "counts.examined: {c}");
    assert_eq!(sum, examined, "counts add up to examined: {c}");
    let differences = audit["differences"].as_array().unwrap().len() as u64;
    assert_eq!(
        differences,
        examined - c["matched"].as_u64().unwrap(),
        "one difference per object not matched: {audit}"
    );
}

/// The differences of an audit, each as a JSON object with exactly the
/// fields it has.
fn differences(audit: &Value) -> Vec<Value> {
    audit["differences"].as_array().unwrap().clone()
}

/// The `evidence-*` problems, as (code, path).
fn evidence_problems(v: &Value) -> Vec<(String, String)> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"].as_str().unwrap().starts_with("evidence-"))
        .map(|p| {
            assert_eq!(p["severity"], "error", "{p}");
            (
                p["code"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every problem code, in order.
fn codes(v: &Value) -> Vec<String> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// `ALGO:HEX` from the coreutils tool `TOOL` (e.g. `sha256sum`).
fn tool_digest(algo: &str, tool: &str, path: &Path) -> String {
    let out = StdCommand::new(tool)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} {}", path.display());
    let s = String::from_utf8_lossy(&out.stdout);
    format!("{algo}:{}", s.split_whitespace().next().unwrap())
}

fn sha256sum(path: &Path) -> String {
    tool_digest("sha256", "sha256sum", path)
}

/// Deterministic, non-repeating bytes (an LCG).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// `p` as the audit prints it: `ROOT/REL`.
fn shown(root: &Path, rel: &str) -> String {
    format!("{}/{rel}", root.display())
}

/// A case with one exhibit acquired from `ev`.
struct Setup {
    dir: tempfile::TempDir,
    case: PathBuf,
    ev: PathBuf,
}

impl Setup {
    /// Builds `DIR/ev` with `build`, opens `DIR/case` and acquires `ev` as
    /// EXH-1 with `args`.
    fn new(build: impl FnOnce(&Path), args: &[&str]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let ev = dir.path().join("ev");
        std::fs::create_dir_all(&ev).unwrap();
        build(&ev);
        let case = new_case(dir.path(), "case");
        acquire(&case, EXH, args, &[&ev]);
        Setup { dir, case, ev }
    }

    /// The standard tree, all three default digests.
    fn standard() -> Setup {
        Setup::new(standard_tree, &[])
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.ev.join(rel)
    }

    fn shown(&self, rel: &str) -> String {
        shown(&self.ev, rel)
    }

    /// `verify --json --evidence EXH-1=EV ARGS…`.
    fn audit(&self, args: &[&str]) -> (i32, Value) {
        audit(&self.case, &[at(EXH, &self.ev)], args)
    }
}

/// Objects of the standard tree, in walk order (8 with the root).
const STANDARD: [&str; 8] = [
    ".",
    "docs",
    "docs/invoice.txt",
    "docs/notes.txt",
    "empty.txt",
    "pictures",
    "pictures/img.png",
    "wallet.dat",
];

fn standard_tree(ev: &Path) {
    std::fs::create_dir_all(ev.join("docs")).unwrap();
    std::fs::create_dir_all(ev.join("pictures")).unwrap();
    std::fs::write(ev.join("docs/invoice.txt"), b"Invoice 2026-03: 1 200 EUR\n").unwrap();
    std::fs::write(ev.join("docs/notes.txt"), b"meeting at 9\n").unwrap();
    std::fs::write(ev.join("empty.txt"), b"").unwrap();
    std::fs::write(ev.join("pictures/img.png"), pseudo_random(70_000, 3)).unwrap();
    std::fs::write(ev.join("wallet.dat"), pseudo_random(5_000, 11)).unwrap();
}

const STANDARD_BYTES: u64 = 27 + 13 + 70_000 + 5_000;

/// What an audit must never change about an evidence object: type, size,
/// mode, inode, link count, atime, mtime and ctime (to the nanosecond).
#[derive(Debug, PartialEq, Eq)]
struct ObjectState {
    kind: &'static str,
    size: u64,
    mode: u32,
    ino: u64,
    nlink: u64,
    atime: (i64, i64),
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// Metadata only: contents are read separately ([`evidence_contents`]),
/// after the snapshot, since reading them moves atimes.
fn evidence_snapshot(dir: &Path) -> BTreeMap<PathBuf, ObjectState> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        let t = m.file_type();
        let kind = if t.is_file() {
            "file"
        } else if t.is_symlink() {
            "symlink"
        } else if t.is_dir() {
            "dir"
        } else {
            "special"
        };
        out.insert(
            e.path().to_path_buf(),
            ObjectState {
                kind,
                size: m.len(),
                mode: m.mode(),
                ino: m.ino(),
                nlink: m.nlink(),
                atime: (m.atime(), m.atime_nsec()),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            },
        );
    }
    out
}

/// File contents and link targets under `dir` (read after the metadata
/// snapshot, since reading may move atimes).
fn evidence_contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let t = e.file_type();
        let v = if t.is_file() {
            std::fs::read(e.path()).unwrap()
        } else if t.is_symlink() {
            std::fs::read_link(e.path())
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec()
        } else {
            Vec::new()
        };
        out.insert(e.path().to_path_buf(), v);
    }
    out
}

// ---------------------------------------------------------------------------
// Intact
// ---------------------------------------------------------------------------

#[test]
fn intact_tree_matches_every_object() {
    let s = Setup::standard();
    let (code, v) = s.audit(&["--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["result"], "valid");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["problems"], json!([]));
    let a = only_audit(&v);
    assert_eq!(a["exhibit"], EXH);
    assert_eq!(a["roots"], json!([s.ev.display().to_string()]));
    assert_eq!(a["algorithms"], json!(["sha256"]));
    assert_counts(a, STANDARD.len() as u64, &[("matched", 8)]);
    assert_eq!(a["counts"]["bytes"], STANDARD_BYTES, "every byte re-read");
    assert_eq!(a["differences"], json!([]));

    // The human report says the same, exit 0.
    let out = verify(&s.case, &["--evidence", &at(EXH, &s.ev)]);
    expect_code(&out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "evidence EXH-1: 8 examined: 8 matched, 0 changed, 0 missing, 0 new, 0 moved, 0 type-changed, 0 unreadable, 0 unverifiable"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("VALID"), "{stdout}");
}

#[test]
fn same_result_whatever_the_job_count() {
    let s = Setup::standard();
    std::fs::write(s.p("docs/notes.txt"), b"meeting at 10\n").unwrap();
    std::fs::remove_file(s.p("wallet.dat")).unwrap();
    std::fs::write(s.p("pictures/new.bin"), b"new").unwrap();
    let (c1, v1) = s.audit(&["-j", "1"]);
    assert_eq!(c1, 1);
    for j in ["2", "8"] {
        let (c, v) = s.audit(&["-j", j]);
        assert_eq!(c, 1);
        assert_eq!(v["evidence"], v1["evidence"], "-j {j}");
    }
}

// ---------------------------------------------------------------------------
// One status per change
// ---------------------------------------------------------------------------

#[test]
fn one_changed_byte_is_one_changed_status_with_coreutils_digests() {
    let s = Setup::standard();
    let f = s.p("pictures/img.png");
    let before = sha256sum(&f);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[40_000] ^= 0x01;
    std::fs::write(&f, &bytes).unwrap();
    let after = sha256sum(&f);
    assert_ne!(before, after);

    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["result"], "invalid");
    let a = only_audit(&v);
    assert_counts(a, 8, &[("matched", 7), ("changed", 1)]);
    assert_eq!(
        differences(a),
        [json!({
            "status": "changed",
            "path": s.shown("pictures/img.png"),
            "expected": before,
            "found": after,
        })]
    );
    assert_eq!(
        evidence_problems(&v),
        [("evidence-changed".into(), s.shown("pictures/img.png"))]
    );
    let p = &v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "evidence-changed")
        .unwrap();
    assert_eq!(p["entry"], 1, "the acquire entry: {p}");
    assert_eq!(p["expected"], before);
    assert_eq!(p["found"], after);
    let msg = p["message"].as_str().unwrap();
    assert!(msg.contains(EXH) && msg.contains("img.png"), "{msg}");
    assert_eq!(v["errors"], 1);

    // Human output names it too.
    let out = verify(&s.case, &["--evidence", &at(EXH, &s.ev)]);
    expect_code(&out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error: [evidence-changed]"), "{stdout}");
    assert!(stdout.contains("NOT AS RECORDED"), "{stdout}");

    // Restored byte for byte, it matches again.
    bytes[40_000] ^= 0x01;
    std::fs::write(&f, &bytes).unwrap();
    assert_eq!(s.audit(&[]).0, 0);
}

#[test]
fn deleted_file_is_missing() {
    let s = Setup::standard();
    let recorded = sha256sum(&s.p("docs/notes.txt"));
    std::fs::remove_file(s.p("docs/notes.txt")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 8, &[("matched", 7), ("missing", 1)]);
    assert_eq!(
        differences(a),
        [json!({"status": "missing", "path": s.shown("docs/notes.txt"), "expected": recorded})]
    );
    assert_eq!(
        evidence_problems(&v),
        [("evidence-missing".into(), s.shown("docs/notes.txt"))]
    );
}

#[test]
fn added_file_is_new() {
    let s = Setup::standard();
    std::fs::write(s.p("docs/later.txt"), b"written after seizure\n").unwrap();
    let found = sha256sum(&s.p("docs/later.txt"));
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 9, &[("matched", 8), ("new", 1)]);
    assert_eq!(
        differences(a),
        [json!({"status": "new", "path": s.shown("docs/later.txt"), "found": found})]
    );
    assert_eq!(
        evidence_problems(&v),
        [("evidence-new".into(), s.shown("docs/later.txt"))]
    );

    // A new folder is new too (a folder has no digest: its type is shown).
    std::fs::remove_file(s.p("docs/later.txt")).unwrap();
    std::fs::create_dir(s.p("docs/sub")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 9, &[("matched", 8), ("new", 1)]);
    assert_eq!(
        differences(a),
        [json!({"status": "new", "path": s.shown("docs/sub"), "found": "dir"})]
    );
}

#[test]
fn file_moved_to_another_folder_is_one_moved() {
    let s = Setup::standard();
    let digest = sha256sum(&s.p("docs/notes.txt"));
    std::fs::rename(s.p("docs/notes.txt"), s.p("pictures/renamed.txt")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    // One object examined for the pair, not a missing and a new.
    assert_counts(a, 8, &[("matched", 7), ("moved", 1)]);
    assert_eq!(
        differences(a),
        [json!({
            "status": "moved",
            "path": s.shown("pictures/renamed.txt"),
            "from": s.shown("docs/notes.txt"),
            "expected": digest,
            "found": digest,
        })]
    );
    assert_eq!(
        evidence_problems(&v),
        [("evidence-moved".into(), s.shown("pictures/renamed.txt"))]
    );

    // Into a folder that did not exist: the file is moved, the folder new.
    std::fs::create_dir(s.p("archive")).unwrap();
    std::fs::rename(s.p("pictures/renamed.txt"), s.p("archive/notes.txt")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 9, &[("matched", 7), ("moved", 1), ("new", 1)]);
    // Walk order, moves last.
    assert_eq!(
        differences(a),
        [
            json!({"status": "new", "path": s.shown("archive"), "found": "dir"}),
            json!({
                "status": "moved",
                "path": s.shown("archive/notes.txt"),
                "from": s.shown("docs/notes.txt"),
                "expected": digest,
                "found": digest,
            }),
        ]
    );
}

#[test]
fn every_kind_of_difference_at_once_each_object_one_status() {
    let s = Setup::standard();
    let notes = sha256sum(&s.p("docs/notes.txt"));
    let wallet = sha256sum(&s.p("wallet.dat"));
    let invoice = sha256sum(&s.p("docs/invoice.txt"));
    // changed, missing, new, moved, type-changed.
    std::fs::write(s.p("docs/notes.txt"), b"meeting at 10\n").unwrap();
    let notes_now = sha256sum(&s.p("docs/notes.txt"));
    std::fs::remove_file(s.p("wallet.dat")).unwrap();
    std::fs::write(s.p("aaa-first.txt"), b"sorted first").unwrap();
    let aaa = sha256sum(&s.p("aaa-first.txt"));
    std::fs::rename(s.p("docs/invoice.txt"), s.p("zz-invoice.txt")).unwrap();
    std::fs::remove_file(s.p("empty.txt")).unwrap();
    std::fs::create_dir(s.p("empty.txt")).unwrap();

    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(
        a,
        9,
        &[
            ("matched", 4),
            ("changed", 1),
            ("missing", 1),
            ("new", 1),
            ("moved", 1),
            ("type_changed", 1),
        ],
    );
    // In walk order (same-path comparisons, then missing, then new), moves
    // last.
    assert_eq!(
        differences(a),
        [
            json!({"status": "changed", "path": s.shown("docs/notes.txt"), "expected": notes, "found": notes_now}),
            json!({"status": "type-changed", "path": s.shown("empty.txt"), "expected": "file", "found": "dir"}),
            json!({"status": "missing", "path": s.shown("wallet.dat"), "expected": wallet}),
            json!({"status": "new", "path": s.shown("aaa-first.txt"), "found": aaa}),
            json!({"status": "moved", "path": s.shown("zz-invoice.txt"), "from": s.shown("docs/invoice.txt"), "expected": invoice, "found": invoice}),
        ]
    );
    let mut got: Vec<String> = evidence_problems(&v).into_iter().map(|(c, _)| c).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "evidence-changed",
            "evidence-missing",
            "evidence-moved",
            "evidence-new",
            "evidence-type-changed"
        ]
    );
    assert_eq!(v["errors"], 5);
}

#[test]
fn duplicate_content_delete_one_copy_is_missing_not_moved() {
    let build = |ev: &Path| {
        std::fs::create_dir_all(ev.join("dup")).unwrap();
        std::fs::write(ev.join("dup/a.bin"), pseudo_random(3000, 5)).unwrap();
        std::fs::write(ev.join("dup/b.bin"), pseudo_random(3000, 5)).unwrap();
        std::fs::write(ev.join("other.txt"), b"other").unwrap();
    };
    // Objects: ., dup, dup/a.bin, dup/b.bin, other.txt.
    for (gone, kept) in [("dup/a.bin", "dup/b.bin"), ("dup/b.bin", "dup/a.bin")] {
        let s = Setup::new(build, &[]);
        let digest = sha256sum(&s.p(gone));
        assert_eq!(digest, sha256sum(&s.p(kept)));
        std::fs::remove_file(s.p(gone)).unwrap();
        let (code, v) = s.audit(&[]);
        assert_eq!(code, 1, "{v}");
        let a = only_audit(&v);
        assert_counts(a, 5, &[("matched", 4), ("missing", 1)]);
        assert_eq!(
            differences(a),
            [json!({"status": "missing", "path": s.shown(gone), "expected": digest})],
            "deleted {gone}"
        );
    }
}

#[test]
fn file_replaced_by_a_symlink_is_type_changed() {
    let s = Setup::standard();
    // Even a link to a file with the very same content.
    std::fs::copy(s.p("docs/notes.txt"), s.dir.path().join("outside.txt")).unwrap();
    std::fs::remove_file(s.p("docs/notes.txt")).unwrap();
    std::os::unix::fs::symlink(s.dir.path().join("outside.txt"), s.p("docs/notes.txt")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 8, &[("matched", 7), ("type_changed", 1)]);
    assert_eq!(
        differences(a),
        [json!({
            "status": "type-changed",
            "path": s.shown("docs/notes.txt"),
            "expected": "file",
            "found": "symlink",
        })]
    );
    assert_eq!(
        evidence_problems(&v),
        [("evidence-type-changed".into(), s.shown("docs/notes.txt"))]
    );
}

#[test]
fn symlink_retargeted_is_changed_and_replaced_by_a_file_is_type_changed() {
    let s = Setup::new(
        |ev| {
            std::fs::write(ev.join("a.txt"), b"a").unwrap();
            std::os::unix::fs::symlink("a.txt", ev.join("link")).unwrap();
        },
        &[],
    );
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 0, "{v}");
    assert_counts(only_audit(&v), 3, &[("matched", 3)]);

    std::fs::remove_file(s.p("link")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", s.p("link")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 3, &[("matched", 2), ("changed", 1)]);
    assert_eq!(
        differences(a),
        [
            json!({"status": "changed", "path": s.shown("link"), "expected": "-> a.txt", "found": "-> ../elsewhere"})
        ]
    );

    std::fs::remove_file(s.p("link")).unwrap();
    std::fs::write(s.p("link"), b"a").unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 3, &[("matched", 2), ("type_changed", 1)]);
    assert_eq!(
        differences(a),
        [
            json!({"status": "type-changed", "path": s.shown("link"), "expected": "symlink", "found": "file"})
        ]
    );
}

#[test]
fn hard_linked_pair_delete_one_link_is_missing() {
    let build = |ev: &Path| {
        std::fs::create_dir_all(ev.join("h")).unwrap();
        std::fs::write(ev.join("h/first"), b"linked content\n").unwrap();
        std::fs::hard_link(ev.join("h/first"), ev.join("h/second")).unwrap();
    };
    // Objects: ., h, h/first, h/second.
    for (gone, kept) in [("h/first", "h/second"), ("h/second", "h/first")] {
        let s = Setup::new(build, &[]);
        let (code, v) = s.audit(&[]);
        assert_eq!(code, 0, "{v}");
        assert_counts(only_audit(&v), 4, &[("matched", 4)]);

        let digest = sha256sum(&s.p(gone));
        std::fs::remove_file(s.p(gone)).unwrap();
        assert_eq!(std::fs::metadata(s.p(kept)).unwrap().nlink(), 1);
        let (code, v) = s.audit(&[]);
        assert_eq!(code, 1, "{v}");
        let a = only_audit(&v);
        assert_counts(a, 4, &[("matched", 3), ("missing", 1)]);
        assert_eq!(
            differences(a),
            [json!({"status": "missing", "path": s.shown(gone), "expected": digest})],
            "deleted {gone}"
        );
    }
}

const EMPTY_SHA256: &str =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn empty_files_match_and_their_changes_are_reported() {
    let build = |ev: &Path| {
        std::fs::write(ev.join("e1"), b"").unwrap();
        std::fs::write(ev.join("e2"), b"").unwrap();
        std::fs::write(ev.join("full"), b"content").unwrap();
    };
    // Objects: ., e1, e2, full.
    let s = Setup::new(build, &[]);
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 4, &[("matched", 4)]);
    assert_eq!(a["counts"]["bytes"], 7);
    assert_eq!(sha256sum(&s.p("e1")), EMPTY_SHA256);

    // An empty file gaining a byte, a full one truncated to nothing.
    let full = sha256sum(&s.p("full"));
    std::fs::write(s.p("e1"), b"x").unwrap();
    std::fs::write(s.p("full"), b"").unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 4, &[("matched", 2), ("changed", 2)]);
    assert_eq!(
        differences(a),
        [
            json!({"status": "changed", "path": s.shown("e1"), "expected": EMPTY_SHA256, "found": sha256sum(&s.p("e1"))}),
            json!({"status": "changed", "path": s.shown("full"), "expected": full, "found": EMPTY_SHA256}),
        ]
    );

    // One of two empty files deleted: missing, not paired with the other.
    let s = Setup::new(build, &[]);
    std::fs::remove_file(s.p("e1")).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 4, &[("matched", 3), ("missing", 1)]);
    assert_eq!(
        differences(a),
        [json!({"status": "missing", "path": s.shown("e1"), "expected": EMPTY_SHA256})]
    );
}

// ---------------------------------------------------------------------------
// Where the evidence is: --evidence EXHIBIT=PATH and PATH
// ---------------------------------------------------------------------------

#[test]
fn evidence_copied_elsewhere_is_audited_at_its_new_path() {
    let s = Setup::standard();
    let moved = s.dir.path().join("storage/2026/ev-copy");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    let st = StdCommand::new("cp")
        .arg("-a")
        .arg(&s.ev)
        .arg(&moved)
        .status()
        .unwrap();
    assert!(st.success());
    // The original is gone: only the copy can be what is audited.
    std::fs::remove_dir_all(&s.ev).unwrap();

    let (code, v) = audit(&s.case, &[at(EXH, &moved)], &["--strict"]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_eq!(a["roots"], json!([moved.display().to_string()]));
    assert_counts(a, 8, &[("matched", 8)]);
    assert_eq!(a["counts"]["bytes"], STANDARD_BYTES);

    // Differences are named at the new path.
    std::fs::write(moved.join("docs/notes.txt"), b"x").unwrap();
    let (code, v) = audit(&s.case, &[at(EXH, &moved)], &[]);
    assert_eq!(code, 1, "{v}");
    let d = differences(only_audit(&v));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["path"], shown(&moved, "docs/notes.txt"));
}

#[test]
fn recorded_path_selects_the_exhibit() {
    let s = Setup::standard();
    let (code, v) = audit(&s.case, &[s.ev.display().to_string()], &["--strict"]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_eq!(a["exhibit"], EXH);
    assert_counts(a, 8, &[("matched", 8)]);

    // Another spelling of the same folder selects it too.
    let dotted = s.ev.join("docs/..");
    let (code, v) = audit(&s.case, &[dotted.display().to_string()], &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(only_audit(&v)["exhibit"], EXH);

    // And it reports changes like EXHIBIT=PATH does.
    std::fs::remove_file(s.p("wallet.dat")).unwrap();
    let (code, v) = audit(&s.case, &[s.ev.display().to_string()], &[]);
    assert_eq!(code, 1, "{v}");
    assert_counts(only_audit(&v), 8, &[("matched", 7), ("missing", 1)]);
}

#[test]
fn unknown_exhibit_or_unrecorded_path_is_a_usage_error() {
    let s = Setup::standard();
    let ledger_before = std::fs::read(ledger_of(&s.case)).unwrap();

    let out = verify(&s.case, &["--json", "--evidence", &at("EXH-404", &s.ev)]);
    let e = one_error_line(&out);
    assert!(e.contains("EXH-404"), "{e}");

    // A folder that exists but no exhibit was acquired from.
    let other = s.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let out = verify(
        &s.case,
        &["--json", "--evidence", &other.display().to_string()],
    );
    let e = one_error_line(&out);
    assert!(e.contains(&other.display().to_string()), "{e}");
    assert!(e.contains("no exhibit"), "{e}");

    // A sub-folder of the acquired tree is not the acquired path.
    let out = verify(&s.case, &["--evidence", &s.p("docs").display().to_string()]);
    one_error_line(&out);

    // A path that does not exist at all.
    let out = verify(
        &s.case,
        &[
            "--evidence",
            &s.dir.path().join("nope").display().to_string(),
        ],
    );
    one_error_line(&out);

    // An algorithm the manifest does not hold, or that does not exist.
    let out = verify(
        &s.case,
        &[
            "--json",
            "--evidence",
            &at(EXH, &s.ev),
            "--algorithm",
            "blake3",
        ],
    );
    let e = one_error_line(&out);
    assert!(e.contains("blake3"), "{e}");
    let out = verify(
        &s.case,
        &["--evidence", &at(EXH, &s.ev), "--algorithm", "crc32"],
    );
    one_error_line(&out);

    // Two paths for an exhibit acquired from one.
    let out = verify(
        &s.case,
        &["--evidence", &at(EXH, &s.ev), "--evidence", &at(EXH, &s.ev)],
    );
    one_error_line(&out);

    assert_eq!(std::fs::read(ledger_of(&s.case)).unwrap(), ledger_before);
}

/// `--evidence EXHIBIT=PATH` where PATH does not exist is a mistyped path,
/// not proof that the evidence vanished.
#[test]
fn nonexistent_evidence_path_for_an_exhibit_is_a_usage_error() {
    let s = Setup::standard();
    let nope = s.dir.path().join("evidnce-typo");
    let out = verify(&s.case, &["--json", "--evidence", &at(EXH, &nope)]);
    let e = one_error_line(&out);
    assert!(e.contains(&nope.display().to_string()), "{e}");
}

/// Two exhibits, A intact and B changed.
fn two_exhibits() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("laptop");
    let b = dir.path().join("usb");
    std::fs::create_dir_all(a.join("Documents")).unwrap();
    std::fs::write(a.join("Documents/notes.txt"), b"notes").unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("wallet.dat"), pseudo_random(2000, 9)).unwrap();
    let case = new_case(dir.path(), "case");
    acquire(&case, "EXH-A", &[], &[&a]);
    acquire(&case, "EXH-B", &[], &[&b]);
    std::fs::write(b.join("wallet.dat"), b"emptied").unwrap();
    (dir, case, a, b)
}

#[test]
fn exhibit_flag_limits_which_exhibits_are_audited() {
    let (_dir, case, a, b) = two_exhibits();
    let both = [at("EXH-A", &a), at("EXH-B", &b)];

    let (code, v) = audit(&case, &both, &[]);
    assert_eq!(code, 1, "{v}");
    let ev = v["evidence"].as_array().unwrap();
    let ids: Vec<&str> = ev.iter().map(|e| e["exhibit"].as_str().unwrap()).collect();
    assert_eq!(ids, ["EXH-A", "EXH-B"]);
    assert_counts(&ev[0], 3, &[("matched", 3)]);
    assert_counts(&ev[1], 2, &[("matched", 1), ("changed", 1)]);

    let (code, v) = audit(&case, &both, &["--exhibit", "EXH-A"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(only_audit(&v)["exhibit"], "EXH-A");
    assert!(evidence_problems(&v).is_empty(), "{v}");

    let (code, v) = audit(&case, &both, &["--exhibit", "EXH-B"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(only_audit(&v)["exhibit"], "EXH-B");
    assert_eq!(
        evidence_problems(&v),
        [("evidence-changed".into(), shown(&b, "wallet.dat"))]
    );

    let (code, v) = audit(&case, &both, &["--exhibit", "EXH-A", "--exhibit", "EXH-B"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["evidence"].as_array().unwrap().len(), 2);

    // Recorded paths work the same way.
    let paths = [a.display().to_string(), b.display().to_string()];
    let (code, v) = audit(&case, &paths, &["--exhibit", "EXH-A"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(only_audit(&v)["exhibit"], "EXH-A");
}

/// A typo in `--exhibit` must not turn an audit into "nothing audited,
/// valid": a CI job would go green without having looked at any evidence.
#[test]
fn exhibit_flag_naming_no_selected_exhibit_is_a_usage_error() {
    let (_dir, case, a, b) = two_exhibits();
    let both = [at("EXH-A", &a), at("EXH-B", &b)];
    let mut args = vec!["--json".to_string()];
    for s in &both {
        args.push("--evidence".into());
        args.push(s.clone());
    }
    args.extend(["--exhibit".to_string(), "EXH-TYPO".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = verify(&case, &args);
    let e = one_error_line(&out);
    assert!(e.contains("EXH-TYPO"), "{e}");

    // An exhibit of the case that --evidence did not select.
    let out = verify(
        &case,
        &["--evidence", &at("EXH-A", &a), "--exhibit", "EXH-B"],
    );
    let e = one_error_line(&out);
    assert!(e.contains("EXH-B"), "{e}");
}

// ---------------------------------------------------------------------------
// Algorithms
// ---------------------------------------------------------------------------

#[test]
fn default_is_the_strongest_recorded_algorithm() {
    let s = Setup::standard();
    let (_, v) = s.audit(&[]);
    assert_eq!(only_audit(&v)["algorithms"], json!(["sha256"]));

    // md5 and sha1 recorded: sha1 is the strongest.
    let s = Setup::new(standard_tree, &["--algorithms", "md5,sha1"]);
    std::fs::write(s.p("docs/notes.txt"), b"meeting at 10\n").unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_eq!(a["algorithms"], json!(["sha1"]));
    let f = s.p("docs/notes.txt");
    assert_eq!(
        differences(a)[0]["found"],
        tool_digest("sha1", "sha1sum", &f)
    );
}

#[test]
fn algorithm_md5_rechecks_the_recorded_md5() {
    let s = Setup::standard();
    let f = s.p("wallet.dat");
    let md5_before = tool_digest("md5", "md5sum", &f);
    let (code, v) = s.audit(&["--algorithm", "md5"]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_eq!(a["algorithms"], json!(["md5"]));
    assert_counts(a, 8, &[("matched", 8)]);

    let mut bytes = std::fs::read(&f).unwrap();
    bytes[0] ^= 0x80;
    std::fs::write(&f, &bytes).unwrap();
    let (code, v) = s.audit(&["--algorithm", "md5"]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 8, &[("matched", 7), ("changed", 1)]);
    assert_eq!(
        differences(a),
        [json!({
            "status": "changed",
            "path": s.shown("wallet.dat"),
            "expected": md5_before,
            "found": tool_digest("md5", "md5sum", &f),
        })]
    );

    // An algorithm not recorded is refused, not silently replaced.
    let s = Setup::new(standard_tree, &["--algorithms", "sha256"]);
    let out = verify(
        &s.case,
        &[
            "--json",
            "--evidence",
            &at(EXH, &s.ev),
            "--algorithm",
            "md5",
        ],
    );
    let e = one_error_line(&out);
    assert!(e.contains("md5"), "{e}");
}

#[test]
fn all_algorithms_rechecks_every_recorded_digest() {
    let s = Setup::standard();
    let (code, v) = s.audit(&["--all-algorithms"]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_eq!(a["algorithms"], json!(["md5", "sha1", "sha256"]));
    assert_counts(a, 8, &[("matched", 8)]);

    let f = s.p("docs/invoice.txt");
    let digests = |f: &Path| {
        [
            tool_digest("md5", "md5sum", f),
            tool_digest("sha1", "sha1sum", f),
            tool_digest("sha256", "sha256sum", f),
        ]
        .join(" ")
    };
    let before = digests(&f);
    std::fs::write(&f, b"Invoice 2026-03: 9 200 EUR\n").unwrap();
    let (code, v) = s.audit(&["--all-algorithms"]);
    assert_eq!(code, 1, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 8, &[("matched", 7), ("changed", 1)]);
    assert_eq!(
        differences(a),
        [json!({
            "status": "changed",
            "path": s.shown("docs/invoice.txt"),
            "expected": before,
            "found": digests(&f),
        })]
    );

    // With only the two recorded, both are listed.
    let s = Setup::new(standard_tree, &["--algorithms", "sha1,sha256"]);
    let (code, v) = s.audit(&["--all-algorithms"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(only_audit(&v)["algorithms"], json!(["sha1", "sha256"]));
}

// ---------------------------------------------------------------------------
// A manifest that does not match the ledger
// ---------------------------------------------------------------------------

#[test]
fn tampered_manifest_is_reported_and_its_evidence_not_audited() {
    let s = Setup::standard();
    let mpath = s.case.join("manifests").join(format!("{EXH}.jsonl"));
    let good = std::fs::read(&mpath).unwrap();
    // Forge the manifest to agree with a forged file: change one digest.
    let mut bad = good.clone();
    let text = String::from_utf8(good.clone()).unwrap();
    let at_ = text.find("\"sha256\":\"").unwrap() + 10;
    bad[at_] = if bad[at_] == b'0' { b'1' } else { b'0' };
    std::fs::write(&mpath, &bad).unwrap();
    std::fs::write(s.p("docs/notes.txt"), b"forged").unwrap();

    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        errors(&v),
        vec![
            ("manifest-mismatch".to_string(), Some(1)),
            ("evidence-not-audited".to_string(), Some(1)),
        ]
    );
    let p = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "evidence-not-audited")
        .unwrap();
    assert_eq!(p["path"], format!("manifests/{EXH}.jsonl"));
    assert!(p["message"].as_str().unwrap().contains(EXH), "{p}");
    // Nothing was compared against the forged manifest.
    assert_eq!(v["evidence"], json!([]), "{v}");

    // A missing manifest: the same, and still exit 1 (not an I/O error).
    std::fs::remove_file(&mpath).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        codes(&v),
        ["manifest-missing", "evidence-not-audited"],
        "{v}"
    );

    // Restored, the audit runs and finds the changed file.
    std::fs::write(&mpath, &good).unwrap();
    let (code, v) = s.audit(&[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(codes(&v), ["evidence-changed"]);
}

// ---------------------------------------------------------------------------
// The case folder inside the tree
// ---------------------------------------------------------------------------

#[test]
fn case_folder_inside_the_audited_tree_is_not_new() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("docs")).unwrap();
    std::fs::write(ev.join("docs/a.txt"), b"alpha").unwrap();
    let case = new_case(&ev, "case");
    acquire(&case, EXH, &[], &[&ev]);

    // Objects: ., docs, docs/a.txt; the case folder (skipped at
    // acquisition and now) is not evidence and is not counted.
    let (code, v) = audit(&case, &[at(EXH, &ev)], &["--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_counts(only_audit(&v), 3, &[("matched", 3)]);

    // The case grows (a note, a stray file): still nothing new.
    custodian()
        .arg("note")
        .arg(&case)
        .args(["--text", "seal intact"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    std::fs::write(case.join("scratch.txt"), b"analyst scratch").unwrap();
    let (code, v) = audit(&case, &[ev.display().to_string()], &[]);
    assert_eq!(code, 0, "{v}");
    let a = only_audit(&v);
    assert_counts(a, 3, &[("matched", 3)]);
    assert_eq!(a["counts"]["bytes"], 5, "nothing inside the case re-read");
}

/// A case kept outside the tree at acquisition and moved into it later
/// (e.g. evidence and case copied together to new storage) is still the
/// case, not evidence.
#[test]
fn case_folder_moved_into_the_tree_later_is_not_new() {
    let s = Setup::standard();
    let case = s.ev.join("case");
    std::fs::rename(&s.case, &case).unwrap();
    let (code, v) = audit(&case, &[at(EXH, &s.ev)], &[]);
    assert_eq!(code, 0, "{v}");
    // Every recorded object matches; the case folder is not counted.
    assert_counts(only_audit(&v), 8, &[("matched", 8)]);
}

// ---------------------------------------------------------------------------
// The audit only reads
// ---------------------------------------------------------------------------

#[test]
fn audit_does_not_modify_the_evidence() {
    let s = Setup::new(
        |ev| {
            standard_tree(ev);
            std::os::unix::fs::symlink("docs/notes.txt", ev.join("link")).unwrap();
            std::fs::hard_link(ev.join("wallet.dat"), ev.join("wallet-link.dat")).unwrap();
        },
        &[],
    );
    // Some differences, so every code path runs.
    std::fs::write(s.p("docs/notes.txt"), b"changed").unwrap();
    std::fs::write(s.p("new.bin"), pseudo_random(300_000, 4)).unwrap();
    // Atimes in the past, so that any read would move them (relatime).
    for e in walkdir::WalkDir::new(&s.ev).contents_first(true) {
        let e = e.unwrap();
        if !e.file_type().is_symlink() {
            let f = std::fs::File::open(e.path()).unwrap();
            f.set_times(std::fs::FileTimes::new().set_accessed(
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
            ))
            .unwrap();
        }
    }
    let contents = evidence_contents(&s.ev);
    let before = evidence_snapshot(&s.ev);
    for args in [&["-j", "1"][..], &["-j", "4", "--all-algorithms"][..]] {
        let (code, _) = s.audit(args);
        assert_eq!(code, 1);
        let out = verify(&s.case, &["--evidence", &at(EXH, &s.ev)]);
        expect_code(&out, 1);
    }
    let after = evidence_snapshot(&s.ev);
    for (p, b) in &before {
        assert_eq!(Some(b), after.get(p), "{} changed", p.display());
    }
    assert_eq!(before.len(), after.len(), "objects added or removed");
    assert_eq!(evidence_contents(&s.ev), contents);
}

// ---------------------------------------------------------------------------
// --quiet
// ---------------------------------------------------------------------------

#[test]
fn quiet_prints_nothing_and_the_exit_code_tells() {
    let s = Setup::standard();
    let spec = at(EXH, &s.ev);
    let out = verify(&s.case, &["--quiet", "--evidence", &spec]);
    expect_code(&out, 0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");

    std::fs::write(s.p("empty.txt"), b"no longer empty").unwrap();
    for q in ["--quiet", "-q"] {
        let out = verify(&s.case, &[q, "--evidence", &spec]);
        expect_code(&out, 1);
        assert!(out.stdout.is_empty(), "{q}: {out:?}");
        assert!(out.stderr.is_empty(), "{q}: {out:?}");
    }
}
