//! End-to-end tests of `custodian acquire` and `custodian show` (and the
//! manifest checks of `custodian verify`) through the real binary, on
//! evidence trees built in temporary folders.
//!
//! Digests are compared with the coreutils tools (`sha256sum`, `md5sum`,
//! `sha1sum`, and `b3sum` when installed), never with this crate's own
//! hashing, so a wrong engine cannot agree with itself. Every test asserts
//! exit codes, bytes, counts or digests that a broken build would violate.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use serde_json::Value;

const LEAD: &str = "lead";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `custodian init DIR/NAME` with the lead key; returns the case folder.
fn new_case(dir: &Path, name: &str) -> PathBuf {
    let case = dir.join(name);
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-LYON-2026-118", "--title", "Seized laptop"])
        // The opening authority covers every acquisition (strict policy).
        .args(["--authority", "Warrant 26/1187"])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    case
}

/// Runs `custodian acquire CASE --exhibit ID --key KEY ARGS… PATHS…`.
fn acquire_as(case: &Path, id: &str, key: &str, args: &[&str], paths: &[&Path]) -> Output {
    acquire_within(case, id, key, args, paths, Duration::from_secs(120))
}

/// As [`acquire_as`], failing the test if the run takes longer than `limit`
/// (the child is killed).
fn acquire_within(
    case: &Path,
    id: &str,
    key: &str,
    args: &[&str],
    paths: &[&Path],
    limit: Duration,
) -> Output {
    let mut c = custodian();
    c.arg("acquire")
        .arg(case)
        .arg(format!("--exhibit={id}"))
        .arg("--key")
        .arg(key_path(key))
        .args(args);
    for p in paths {
        c.arg(p);
    }
    c.timeout(limit)
        .output()
        .unwrap_or_else(|e| panic!("acquire did not finish within {limit:?}: {e}"))
}

fn acquire(case: &Path, id: &str, args: &[&str], paths: &[&Path]) -> Output {
    acquire_as(case, id, LEAD, args, paths)
}

/// Asserts a refused command printed exactly one `custodian: error:` line
/// and returns it.
fn one_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("custodian: error: "), "{stderr:?}");
    stderr
}

fn manifest_path(case: &Path, id: &str) -> PathBuf {
    case.join("manifests").join(format!("{id}.jsonl"))
}

/// A manifest's header and records, parsed, plus its raw lines.
struct Manifest {
    header: Value,
    records: Vec<Value>,
    lines: Vec<Vec<u8>>,
}

fn read_manifest(path: &Path) -> Manifest {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.last(), Some(&b'\n'), "manifest ends with a newline");
    let lines = split_lines(&bytes);
    let header: Value = serde_json::from_slice(&lines[0]).unwrap();
    assert_eq!(header["format"], "custodian-manifest");
    let records = lines[1..]
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    Manifest {
        header,
        records,
        lines,
    }
}

impl Manifest {
    /// The record whose (text) path is `p`.
    fn get(&self, p: &str) -> &Value {
        self.records
            .iter()
            .find(|r| r["path"] == p)
            .unwrap_or_else(|| panic!("no record {p:?} in {:#?}", self.records))
    }
}

/// The last ledger entry, parsed.
fn last_entry(case: &Path) -> Value {
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let lines = split_lines(&bytes);
    serde_json::from_slice(lines.last().unwrap()).unwrap()
}

fn entry_count(case: &Path) -> usize {
    split_lines(&std::fs::read(ledger_of(case)).unwrap()).len()
}

/// The first field of `TOOL PATH`'s output (coreutils `*sum` format).
fn tool_digest(tool: &str, path: &Path) -> String {
    let out = StdCommand::new(tool)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} {}", path.display());
    let s = String::from_utf8_lossy(&out.stdout);
    let hex = s.split_whitespace().next().unwrap().to_string();
    // A name with a backslash or newline makes coreutils prefix a '\'.
    hex.trim_start_matches('\\').to_string()
}

fn have_tool(tool: &str) -> bool {
    StdCommand::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Deterministic, non-repeating bytes (an LCG), so that a lost, doubled or
/// reordered buffer changes the digest.
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

/// Every object under `dir` (the folder itself included) with its contents:
/// file bytes, symlink targets, `<dir>` for folders.
fn tree_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let t = e.file_type();
        let v = if t.is_file() {
            std::fs::read(e.path()).unwrap()
        } else if t.is_symlink() {
            let mut v = b"<symlink>".to_vec();
            v.extend_from_slice(std::fs::read_link(e.path()).unwrap().as_os_str().as_bytes());
            v
        } else if t.is_dir() {
            b"<dir>".to_vec()
        } else {
            b"<special>".to_vec()
        };
        out.insert(e.path().to_path_buf(), v);
    }
    out
}

/// What acquisition must never change about an evidence object: type,
/// size, mode, inode, mtime and ctime (to the nanosecond), content hash or
/// link target. Special files are never opened.
#[derive(Debug, PartialEq, Eq)]
struct ObjectState {
    kind: &'static str,
    size: u64,
    mode: u32,
    ino: u64,
    nlink: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    content: String,
}

fn evidence_snapshot(dir: &Path) -> BTreeMap<PathBuf, ObjectState> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        let t = m.file_type();
        let (kind, content) = if t.is_file() {
            ("file", sha256_hex(&std::fs::read(e.path()).unwrap()))
        } else if t.is_symlink() {
            let target = std::fs::read_link(e.path()).unwrap();
            ("symlink", hex::encode(target.as_os_str().as_bytes()))
        } else if t.is_dir() {
            ("dir", String::new())
        } else {
            ("special", String::new())
        };
        out.insert(
            e.path().to_path_buf(),
            ObjectState {
                kind,
                size: m.len(),
                mode: m.mode(),
                ino: m.ino(),
                nlink: m.nlink(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
                content,
            },
        );
    }
    out
}

/// Runs `custodian show CASE --exhibit ID ARGS…`.
fn show(case: &Path, id: &str, args: &[&str]) -> Output {
    custodian()
        .arg("show")
        .arg(case)
        .arg(format!("--exhibit={id}"))
        .args(args)
        .output()
        .unwrap()
}

fn lead_fp() -> String {
    key(LEAD).fingerprint().to_string()
}

/// The problems of a `verify --json` report with `code`.
fn problems_with<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == code)
        .collect()
}

// ---------------------------------------------------------------------------
// Digests, counts, the entry
// ---------------------------------------------------------------------------

/// Sizes that take each path of the engine: empty, one small read, several
/// 256 KiB buffers (3 MiB + 7), and the multi-threaded pipeline for files of
/// 8 MiB and more (20 MiB + 13, not a multiple of the 2 MiB chunk).
#[test]
fn digests_equal_coreutils_for_every_size_and_entry_binds_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("sub/deeper")).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty.bin", Vec::new()),
        ("small.txt", b"Invoice 2026-03: 1 200 EUR\n".to_vec()),
        ("sub/multi.bin", pseudo_random((3 << 20) + 7, 1)),
        ("sub/deeper/large.bin", pseudo_random((20 << 20) + 13, 2)),
    ];
    for (p, data) in &files {
        std::fs::write(ev.join(p), data).unwrap();
    }

    let out = acquire(
        &case,
        "EXH-001",
        &[
            "--description",
            "USB stick, blue",
            "--source",
            "Seized at rue X, bag 17",
            "--authority",
            "Warrant 26/1187",
            "--quiet",
        ],
        &[&ev],
    );
    expect_code(&out, 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mpath = manifest_path(&case, "EXH-001");
    let m = read_manifest(&mpath);
    assert_eq!(
        m.header["algorithms"],
        serde_json::json!(["md5", "sha1", "sha256"])
    );
    for (p, data) in &files {
        let r = m.get(p);
        assert_eq!(r["type"], "file", "{p}");
        assert_eq!(r["size"], data.len() as u64, "{p}");
        assert!(r.get("error").is_none(), "{p}: {r}");
        let d = r["digests"].as_object().unwrap();
        assert_eq!(
            d.keys().collect::<Vec<_>>(),
            ["md5", "sha1", "sha256"],
            "{p}"
        );
        for (algo, tool) in [
            ("md5", "md5sum"),
            ("sha1", "sha1sum"),
            ("sha256", "sha256sum"),
        ] {
            assert_eq!(
                d[algo].as_str().unwrap(),
                tool_digest(tool, &ev.join(p)),
                "{algo} of {p} ({} bytes)",
                data.len()
            );
        }
    }
    // Well-known constants, so the comparison cannot be vacuous.
    assert_eq!(
        m.get("empty.bin")["digests"]["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        m.get("empty.bin")["digests"]["md5"],
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    // Folders: the root, sub, sub/deeper.
    let dirs: Vec<&str> = m
        .records
        .iter()
        .filter(|r| r["type"] == "dir")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(dirs, [".", "sub", "sub/deeper"]);
    assert_eq!(m.records.len(), 7);

    // The entry binds the manifest's exact bytes.
    let bytes = std::fs::read(&mpath).unwrap();
    let e = last_entry(&case);
    assert_eq!(e["type"], "exhibit.acquire");
    assert_eq!(e["seq"], 1);
    let b = &e["body"];
    assert_eq!(b["exhibit"], "EXH-001");
    assert_eq!(b["description"], "USB stick, blue");
    assert_eq!(b["source"], "Seized at rue X, bag 17");
    assert_eq!(b["authority"], "Warrant 26/1187");
    assert_eq!(
        b["algorithms"],
        serde_json::json!(["md5", "sha1", "sha256"])
    );
    assert_eq!(b["roots"], serde_json::json!([ev.display().to_string()]));
    assert_eq!(b["manifest"]["path"], "manifests/EXH-001.jsonl");
    assert_eq!(b["manifest"]["sha256"], sha256_hex(&bytes));
    assert_eq!(b["manifest"]["sha256"], tool_digest("sha256sum", &mpath));
    assert_eq!(b["manifest"]["bytes"], bytes.len() as u64);
    let total: u64 = files.iter().map(|(_, d)| d.len() as u64).sum();
    assert_eq!(
        b["counts"],
        serde_json::json!({
            "files": 4, "dirs": 3, "symlinks": 0, "special": 0, "bytes": total,
            "errors": 0, "skipped": 0, "changed_during_read": 0, "hardlinks": 0
        })
    );
    let sizes: u64 = m
        .records
        .iter()
        .filter(|r| r["type"] == "file")
        .map(|r| r["size"].as_u64().unwrap())
        .sum();
    assert_eq!(b["counts"]["bytes"], sizes);
    assert!(
        b.get("digests").is_none(),
        "a folder exhibit has no digests: {b}"
    );
    assert!(!b["host"].as_str().unwrap().is_empty());
    assert!(b["started"].as_str().unwrap() <= b["finished"].as_str().unwrap());

    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("sha256 {}", sha256_hex(&bytes))),
        "{stdout}"
    );

    // The whole case verifies, manifest included.
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn single_file_exhibit_carries_its_digests_in_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let img = dir.path().join("laptop.img");
    std::fs::write(&img, pseudo_random((1 << 20) + 3, 7)).unwrap();

    let out = acquire(&case, "IMG-1", &["-q"], &[&img]);
    expect_code(&out, 0);
    let b = &last_entry(&case)["body"];
    let want = serde_json::json!({
        "md5": tool_digest("md5sum", &img),
        "sha1": tool_digest("sha1sum", &img),
        "sha256": tool_digest("sha256sum", &img),
    });
    assert_eq!(b["digests"], want);
    assert_eq!(b["counts"]["files"], 1);
    assert_eq!(b["counts"]["dirs"], 0);
    assert_eq!(b["counts"]["bytes"], (1 << 20) + 3);
    // The root itself is the one record, at path ".".
    let m = read_manifest(&manifest_path(&case, "IMG-1"));
    assert_eq!(m.records.len(), 1);
    assert_eq!(m.records[0]["path"], ".");
    assert_eq!(m.records[0]["digests"], want);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("sha256: {}", want["sha256"].as_str().unwrap())),
        "{stdout}"
    );

    // Two files are not a single-file exhibit.
    let other = dir.path().join("other.img");
    std::fs::write(&other, b"x").unwrap();
    expect_code(&acquire(&case, "IMG-2", &["-q"], &[&img, &other]), 0);
    let b = &last_entry(&case)["body"];
    assert!(b.get("digests").is_none(), "{b}");
    assert_eq!(b["counts"]["files"], 2);
}

#[test]
fn chosen_algorithms_are_the_only_ones_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    let names = ["a.txt", "mid.bin", "big.bin"];
    std::fs::write(ev.join(names[0]), b"abc").unwrap();
    std::fs::write(ev.join(names[1]), pseudo_random(700_001, 3)).unwrap();
    // Above the pipeline threshold, so BLAKE3's large-input path runs too.
    std::fs::write(ev.join(names[2]), pseudo_random((9 << 20) + 1, 4)).unwrap();

    expect_code(
        &acquire(&case, "E", &["-q", "-c", "sha256,blake3"], &[&ev]),
        0,
    );
    let m = read_manifest(&manifest_path(&case, "E"));
    assert_eq!(
        m.header["algorithms"],
        serde_json::json!(["sha256", "blake3"])
    );
    assert_eq!(
        last_entry(&case)["body"]["algorithms"],
        serde_json::json!(["sha256", "blake3"])
    );
    let b3 = have_tool("b3sum");
    if !b3 {
        eprintln!(
            "b3sum is not installed: BLAKE3 digests are checked for presence and length only"
        );
    }
    for n in names {
        let d = m.get(n)["digests"].as_object().unwrap();
        assert_eq!(
            d.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            BTreeSet::from(["blake3", "sha256"]),
            "{n}"
        );
        assert_eq!(d["sha256"], tool_digest("sha256sum", &ev.join(n)), "{n}");
        assert_eq!(d["blake3"].as_str().unwrap().len(), 64);
        if b3 {
            assert_eq!(d["blake3"], tool_digest("b3sum", &ev.join(n)), "{n}");
        }
    }
    // BLAKE3("abc"), from the reference implementation's test vectors.
    assert_eq!(
        m.get("a.txt")["digests"]["blake3"],
        "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
    );
}

// ---------------------------------------------------------------------------
// Refusals: exit 2, one line, nothing written
// ---------------------------------------------------------------------------

/// Runs an acquisition expected to be refused and checks that not one byte
/// under the case folder changed. Returns the error line.
fn refused(case: &Path, id: &str, key: &str, args: &[&str], paths: &[&Path]) -> String {
    let before = tree_bytes(case);
    let out = acquire_as(case, id, key, args, paths);
    expect_code(&out, 2);
    let line = one_error_line(&out);
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = tree_bytes(case);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file created or removed under the case ({line})"
    );
    assert!(before == after, "the case's bytes changed ({line})");
    line
}

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("f"), b"evidence").unwrap();
    let missing = dir.path().join("no-such-path");

    // Before any acquisition there is no manifests/ folder at all: a
    // refusal must not create it.
    let e = refused(&case, "E1", LEAD, &[], &[&ev, &missing]);
    assert!(e.contains("no-such-path"), "{e}");
    assert!(!case.join("manifests").exists());

    let too_long = "A".repeat(65);
    for id in ["../x", "a/b", "", &too_long, ".hidden", "a b"] {
        let e = refused(&case, id, LEAD, &[], &[&ev]);
        assert!(e.contains("invalid exhibit id"), "{id:?}: {e}");
    }
    assert!(!dir.path().join("x.jsonl").exists());

    let e = refused(&case, "E1", LEAD, &["-c", "sha256,crc32"], &[&ev]);
    assert!(e.contains("crc32"), "{e}");

    let e = refused(&case, "E1", "intruder", &[], &[&ev]);
    assert!(e.contains("not a signer"), "{e}");
    assert!(!case.join("manifests").exists());

    // 64 characters is the limit, and is accepted.
    let long = "A".repeat(64);
    expect_code(&acquire(&case, &long, &["-q"], &[&ev]), 0);
    assert!(manifest_path(&case, &long).is_file());

    // A duplicate id, once acquired: the first manifest stays as it was.
    expect_code(&acquire(&case, "E1", &["-q"], &[&ev]), 0);
    let first = std::fs::read(manifest_path(&case, "E1")).unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("g"), b"different").unwrap();
    let e = refused(&case, "E1", LEAD, &[], &[&other]);
    assert!(e.contains("already acquired at entry"), "{e}");
    assert_eq!(std::fs::read(manifest_path(&case, "E1")).unwrap(), first);
    // The later checks also hold with manifests/ present.
    refused(&case, "E9", LEAD, &[], &[&missing]);
    refused(&case, "E9", "intruder", &[], &[&ev]);
    refused(&case, "E9", LEAD, &["-c", "md4"], &[&ev]);
    assert_eq!(entry_count(&case), 3);
}

#[test]
fn revoked_key_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("f"), b"evidence").unwrap();
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
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    // The examiner may acquire while trusted …
    expect_code(&acquire_as(&case, "BEFORE", "analyst", &["-q"], &[&ev]), 0);
    custodian()
        .args(["signer", "revoke"])
        .arg(&case)
        .args(["--fingerprint", &key("analyst").fingerprint().to_string()])
        .args(["--reason", "laptop stolen"])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    // … and not after revocation.
    let e = refused(&case, "AFTER", "analyst", &[], &[&ev]);
    assert!(e.contains("revoked"), "{e}");
    assert!(!manifest_path(&case, "AFTER").exists());
    assert_eq!(entry_count(&case), 4);
}

/// The missing-path message repeats the OS error: `nope: No such file or
/// directory (os error 2): No such file or directory (os error 2)`, because
/// `AcquireError::Path` both prints `{source}` and returns it as its
/// `source()`, and the CLI prints the whole chain.
#[test]
fn missing_path_error_names_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let missing = dir.path().join("nope");
    let e = refused(&case, "E1", LEAD, &[], &[&missing]);
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
}

// ---------------------------------------------------------------------------
// The case folder inside the acquired tree
// ---------------------------------------------------------------------------

#[test]
fn case_folder_inside_the_tree_is_skipped_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("docs")).unwrap();
    std::fs::write(ev.join("docs/a.txt"), b"alpha").unwrap();
    let case = new_case(&ev, "case");

    let out = acquire(&case, "SELF", &[], &[&ev]);
    expect_code(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("case: skipped (excluded)"), "{stderr}");
    let m = read_manifest(&manifest_path(&case, "SELF"));
    let c = m.get("case");
    assert_eq!(c["type"], "dir");
    assert_eq!(c["skipped"], "excluded");
    assert!(c.get("digests").is_none());
    for r in &m.records {
        let p = r["path"].as_str().unwrap();
        assert!(!p.starts_with("case/"), "descended into the case: {p}");
        assert!(
            !p.contains("ledger.jsonl") && !p.contains("manifests"),
            "{p}"
        );
    }
    let paths: Vec<&str> = m
        .records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".", "case", "docs", "docs/a.txt"]);
    let counts = &last_entry(&case)["body"]["counts"];
    assert_eq!(counts["skipped"], 1);
    assert_eq!(counts["files"], 1);
    assert_eq!(counts["bytes"], 5);
    assert_eq!(counts["errors"], 0);
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");

    // Given through another spelling of the path, it is still recognised.
    let dotted = ev.join("docs/..");
    expect_code(&acquire(&case, "SELF2", &["-q"], &[&dotted]), 0);
    let m = read_manifest(&manifest_path(&case, "SELF2"));
    assert_eq!(m.get("case")["skipped"], "excluded");
    assert_eq!(m.records.len(), 4);
}

// ---------------------------------------------------------------------------
// Hostile trees
// ---------------------------------------------------------------------------

#[test]
fn hostile_tree_is_recorded_without_following_or_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let outside = dir.path().join("outside-secret.txt");
    std::fs::write(&outside, b"not evidence").unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    std::fs::create_dir_all(ev.join("empty")).unwrap();
    std::fs::write(ev.join("a"), b"abc").unwrap();
    std::os::unix::fs::symlink(&outside, ev.join("out-link")).unwrap();
    std::os::unix::fs::symlink("loop2", ev.join("loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", ev.join("loop2")).unwrap();
    std::os::unix::fs::symlink("..", ev.join("sub/up")).unwrap();
    let fifo = ev.join("fifo");
    let st = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let raw: &[u8] = b"caf\xe9-\xff.txt";
    std::fs::write(ev.join(OsStr::from_bytes(raw)), b"latin-1 name").unwrap();
    let odd = "new\nline\ttab\\back";
    std::fs::write(ev.join(odd), b"odd name").unwrap();
    std::fs::hard_link(ev.join("a"), ev.join("sub/a-again")).unwrap();

    // Without --follow-symlinks. A FIFO that the engine opened for reading
    // would block forever (nobody writes to it).
    let t = Instant::now();
    let out = acquire_within(
        &case,
        "HOSTILE",
        LEAD,
        &["-q"],
        &[&ev],
        Duration::from_secs(10),
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    expect_code(&out, 0);
    let mpath = manifest_path(&case, "HOSTILE");
    let m = read_manifest(&mpath);

    let l = m.get("out-link");
    assert_eq!(l["type"], "symlink");
    assert_eq!(l["target"], outside.display().to_string());
    assert!(
        l.get("digests").is_none() && l.get("error").is_none(),
        "{l}"
    );
    for r in &m.records {
        assert_ne!(
            r["digests"]["sha256"],
            sha256_hex(b"not evidence"),
            "a symlink was followed out of the tree: {r}"
        );
    }
    assert_eq!(m.get("loop1")["target"], "loop2");
    assert_eq!(m.get("loop1")["type"], "symlink");
    assert_eq!(m.get("sub/up")["type"], "symlink");

    let f = m.get("fifo");
    assert_eq!(f["type"], "fifo");
    assert!(
        f.get("digests").is_none() && f.get("error").is_none(),
        "{f}"
    );

    // The non-UTF-8 name: lossy text plus the exact bytes in base64.
    let r = m
        .records
        .iter()
        .find(|r| r.get("path_b64").is_some())
        .expect("a record with path_b64");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(r["path_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, raw);
    assert_eq!(r["path"], String::from_utf8_lossy(raw).as_ref());
    assert_eq!(
        r["digests"]["sha256"],
        tool_digest("sha256sum", &ev.join(OsStr::from_bytes(raw)))
    );
    assert_eq!(
        m.records
            .iter()
            .filter(|r| r.get("path_b64").is_some())
            .count(),
        1,
        "only the non-UTF-8 name carries path_b64"
    );

    // Newline, tab, backslash: escaped in JSON, exact after parsing, and
    // the manifest still has one line per record.
    let o = m.get(odd);
    assert!(o.get("path_b64").is_none());
    assert_eq!(o["digests"]["sha256"], sha256_hex(b"odd name"));
    let bytes = std::fs::read(&mpath).unwrap();
    assert_eq!(
        bytes.iter().filter(|b| **b == b'\n').count(),
        m.records.len() + 1
    );

    // Hard links: both listed, the second points at the first and has the
    // same digests, and its bytes are counted once.
    let first = m.get("a");
    let second = m.get("sub/a-again");
    assert!(first.get("hardlink_of").is_none());
    assert_eq!(
        second["hardlink_of"],
        serde_json::json!({"root": 0, "path": "a"})
    );
    assert_eq!(second["digests"], first["digests"]);
    assert_eq!(first["digests"]["md5"], "900150983cd24fb0d6963f7d28e17f72");

    let e = m.get("empty");
    assert_eq!(e["type"], "dir");
    assert!(e.get("error").is_none());
    assert!(!m
        .records
        .iter()
        .any(|r| r["path"].as_str().unwrap().starts_with("empty/")));

    let c = &last_entry(&case)["body"]["counts"];
    assert_eq!(
        *c,
        serde_json::json!({
            "files": 4, "dirs": 3, "symlinks": 4, "special": 1,
            "bytes": 3 + 12 + 8, "errors": 0, "skipped": 0,
            "changed_during_read": 0, "hardlinks": 1
        })
    );

    // With --follow-symlinks: loops are detected and recorded, the run
    // finishes and is still recorded (not --strict).
    let t = Instant::now();
    let out = acquire_within(
        &case,
        "FOLLOW",
        LEAD,
        &["--follow-symlinks"],
        &[&ev],
        Duration::from_secs(10),
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    expect_code(&out, 0);
    let m = read_manifest(&manifest_path(&case, "FOLLOW"));
    assert_eq!(m.header["follow_symlinks"], true);
    for p in ["loop1", "loop2"] {
        let r = m.get(p);
        assert!(
            r["error"].as_str().unwrap().contains("symbolic links"),
            "{p}: {r}"
        );
        assert!(r.get("digests").is_none());
    }
    let up = m.get("sub/up");
    assert_eq!(up["type"], "dir");
    assert!(
        up["error"].as_str().unwrap().contains("filesystem loop"),
        "{up}"
    );
    assert!(!m
        .records
        .iter()
        .any(|r| r["path"].as_str().unwrap().starts_with("sub/up/")));
    // Followed out of the tree, as asked: the target's content is hashed.
    assert_eq!(
        m.get("out-link")["digests"]["sha256"],
        sha256_hex(b"not evidence")
    );
    assert_eq!(m.get("fifo")["type"], "fifo");
    let errs = m
        .records
        .iter()
        .filter(|r| r.get("error").is_some())
        .count();
    assert_eq!(errs, 3);
    assert_eq!(last_entry(&case)["body"]["counts"]["errors"], 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("custodian: "))
            .count(),
        3,
        "one line per unreadable object: {stderr}"
    );
    assert!(
        stderr.contains("/loop1: Too many levels of symbolic links"),
        "{stderr}"
    );

    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
}

// ---------------------------------------------------------------------------
// --strict
// ---------------------------------------------------------------------------

#[test]
fn strict_refuses_an_acquisition_with_an_unreadable_object() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("ok.txt"), b"fine").unwrap();
    // Root reads everything, so the unreadable object is a dangling link
    // that --follow-symlinks has to open.
    std::os::unix::fs::symlink("vanished.txt", ev.join("dangling")).unwrap();
    let ledger_before = std::fs::read(ledger_of(&case)).unwrap();

    let out = acquire(
        &case,
        "STRICT",
        &["--strict", "--follow-symlinks", "-q"],
        &[&ev],
    );
    expect_code(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("1 object(s) could not be read"), "{stderr}");
    assert!(stderr.contains("--strict"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(ledger_of(&case)).unwrap(), ledger_before);
    assert!(!manifest_path(&case, "STRICT").exists());
    let listed: Vec<_> = std::fs::read_dir(case.join("manifests"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(listed.is_empty(), "left in manifests/: {listed:?}");

    // Kept aside in recovered/, named after the exhibit, complete.
    let kept: Vec<PathBuf> = std::fs::read_dir(case.join("recovered"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("STRICT.jsonl.unrecorded."), "{name}");
    assert!(stderr.contains(&name), "the message says where: {stderr}");
    let m = read_manifest(&kept[0]);
    let d = m.get("dangling");
    assert!(d["error"].as_str().unwrap().contains("No such file"), "{d}");
    assert_eq!(d["target"], "vanished.txt");
    assert_eq!(m.get("ok.txt")["digests"]["sha256"], sha256_hex(b"fine"));

    // Nothing recorded: the case verifies, no orphan, the id is still free.
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 1);
    expect_code(&acquire(&case, "STRICT", &["--strict", "-q"], &[&ev]), 0);
    assert_eq!(last_entry(&case)["body"]["counts"]["errors"], 0);
    // Without --strict the same unreadable object is recorded, exit 0.
    let out = acquire(&case, "LAX", &["--follow-symlinks"], &[&ev]);
    expect_code(&out, 0);
    assert_eq!(last_entry(&case)["body"]["counts"]["errors"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("dangling: No such file"));
}

// ---------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------

/// A tree with enough files that parallel workers finish out of order.
fn busy_tree(ev: &Path, with_symlink: bool) {
    for d in 0..6 {
        let sub = ev.join(format!("d{d}")).join("inner");
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..40u64 {
            let len = ((f * 7919 + d * 131) % 600_000) as usize;
            let data = pseudo_random(len, f + 100 * d);
            let parent = if f % 2 == 0 {
                sub.parent().unwrap()
            } else {
                &sub
            };
            std::fs::write(parent.join(format!("f{f:03}")), data).unwrap();
        }
    }
    std::fs::write(ev.join("big.bin"), pseudo_random((9 << 20) + 5, 9)).unwrap();
    std::fs::write(ev.join("Z-upper"), b"sorts before lower-case").unwrap();
    std::fs::hard_link(ev.join("big.bin"), ev.join("d0/big-link")).unwrap();
    if with_symlink {
        std::os::unix::fs::symlink("d1/f001", ev.join("link")).unwrap();
    }
}

fn strip_atime(line: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(line).unwrap();
    v.as_object_mut().unwrap().remove("atime");
    v
}

#[test]
fn same_tree_gives_identical_records_whatever_the_job_count() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    busy_tree(&ev, true);
    let mut manifests = Vec::new();
    for (name, jobs) in [("one", "1"), ("two", "2"), ("eight", "8")] {
        let case = new_case(dir.path(), name);
        expect_code(&acquire(&case, "E", &["-q", "-j", jobs], &[&ev]), 0);
        manifests.push(read_manifest(&manifest_path(&case, "E")));
    }
    let base = &manifests[0];
    assert_eq!(base.records.len(), 1 + 6 * 2 + 240 + 4);
    // Siblings sorted by raw bytes, depth-first.
    let paths: Vec<&str> = base
        .records
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths[..4], [".", "Z-upper", "big.bin", "d0"]);
    assert_eq!(paths.last(), Some(&"link"));
    for m in &manifests[1..] {
        assert_eq!(m.lines[0], base.lines[0], "headers differ");
        assert_eq!(m.lines.len(), base.lines.len());
        for (a, b) in base.lines[1..].iter().zip(&m.lines[1..]) {
            let ra: Value = serde_json::from_slice(a).unwrap();
            if ra["type"] == "symlink" {
                // readlink(2) updates a symlink's atime and O_NOATIME
                // cannot prevent it, so only the atime may differ.
                assert_eq!(strip_atime(a), strip_atime(b));
            } else {
                // Files and folders are opened with O_NOATIME: identical
                // to the byte, atime included.
                assert_eq!(
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(b),
                    "record differs between runs"
                );
            }
        }
    }
}

#[test]
fn same_tree_without_symlinks_gives_the_same_manifest_digest() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    busy_tree(&ev, false);
    let a = new_case(dir.path(), "a");
    let b = new_case(dir.path(), "b");
    expect_code(&acquire(&a, "E", &["-q", "-j", "1"], &[&ev]), 0);
    expect_code(&acquire(&b, "E", &["-q", "-j", "2"], &[&ev]), 0);
    let ma = std::fs::read(manifest_path(&a, "E")).unwrap();
    let mb = std::fs::read(manifest_path(&b, "E")).unwrap();
    assert!(ma == mb, "manifests differ");
    assert_eq!(
        last_entry(&a)["body"]["manifest"],
        last_entry(&b)["body"]["manifest"]
    );
    assert_eq!(
        last_entry(&a)["body"]["counts"],
        last_entry(&b)["body"]["counts"]
    );
}

// ---------------------------------------------------------------------------
// Evidence is not modified
// ---------------------------------------------------------------------------

#[test]
fn acquisition_does_not_modify_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    busy_tree(&ev, true);
    let fifo = ev.join("fifo");
    assert!(StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::create_dir_all(ev.join("empty")).unwrap();
    let before = evidence_snapshot(&ev);
    assert!(before.len() > 250);

    expect_code(&acquire(&case, "E", &["-q"], &[&ev]), 0);
    expect_code(
        &acquire(
            &case,
            "F",
            &["-q", "--follow-symlinks", "-c", "sha512,blake3,sha3-256"],
            &[&ev],
        ),
        0,
    );

    let after = evidence_snapshot(&ev);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "objects added to or removed from the evidence"
    );
    for (p, s) in &before {
        assert_eq!(Some(s), after.get(p), "{} changed", p.display());
    }
}

/// Access times of `paths` (stat only: listing a folder would itself
/// update its atime).
fn atimes(paths: &[PathBuf]) -> BTreeMap<PathBuf, (i64, i64)> {
    paths
        .iter()
        .map(|p| {
            let m = p.symlink_metadata().unwrap();
            (p.clone(), (m.atime(), m.atime_nsec()))
        })
        .collect()
}

/// Files and folders are opened with O_NOATIME, so acquisition leaves their
/// access times alone. (Symlinks are not covered: readlink(2) updates a
/// link's atime and no open flag prevents it.)
#[test]
fn acquisition_keeps_access_times_of_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    busy_tree(&ev, false);
    std::fs::create_dir_all(ev.join("empty")).unwrap();
    let paths: Vec<PathBuf> = walkdir::WalkDir::new(&ev)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    // Access times older than mtime, set after the listing above: under
    // relatime (the Linux default) an ordinary read or listing now updates
    // them, so an engine that does not use O_NOATIME shows. From here on
    // nothing but custodian reads or lists the tree.
    let touched = StdCommand::new("touch")
        .args(["-a", "-d", "2001-02-03 04:05:06"])
        .args(&paths)
        .status()
        .unwrap();
    assert!(touched.success());
    let before = atimes(&paths);
    assert!(before.values().all(|t| *t == before[&ev]));

    expect_code(&acquire(&case, "E", &["-q"], &[&ev]), 0);
    let after = atimes(&paths);

    // Does this filesystem update atimes at all? A plain read tells.
    let probe = ev.join("d0/f000");
    let _ = std::fs::read(&probe).unwrap();
    let m = probe.symlink_metadata().unwrap();
    if (m.atime(), m.atime_nsec()) == before[&probe] {
        eprintln!("SKIPPED: this filesystem does not update access times (noatime?), so their preservation cannot be observed");
        return;
    }
    assert_eq!(before.len(), after.len());
    for (p, t) in &before {
        assert_eq!(Some(t), after.get(p), "atime of {} changed", p.display());
    }
}

// ---------------------------------------------------------------------------
// verify: manifest tampering
// ---------------------------------------------------------------------------

fn acquired_case(dir: &Path) -> (PathBuf, PathBuf) {
    let case = new_case(dir, "case");
    let ev = dir.join("ev");
    std::fs::create_dir_all(ev.join("docs")).unwrap();
    std::fs::write(ev.join("docs/notes.txt"), b"meeting at 9\n").unwrap();
    std::fs::write(ev.join("wallet.dat"), pseudo_random(5000, 11)).unwrap();
    expect_code(&acquire(&case, "EXH-7", &["-q"], &[&ev]), 0);
    (case, ev)
}

#[test]
fn one_changed_byte_in_a_manifest_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _ev) = acquired_case(dir.path());
    let mpath = manifest_path(&case, "EXH-7");
    let good = std::fs::read(&mpath).unwrap();
    let recorded = sha256_hex(&good);
    let (code, _) = verify_json(&case, &["--trust", &lead_fp()]);
    assert_eq!(code, 0);

    // One hex digit of one digest changed: still a well-formed manifest.
    let mut bad = good.clone();
    let text = String::from_utf8(good.clone()).unwrap();
    let at = text.find("\"sha256\":\"").unwrap() + 10;
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&mpath, &bad).unwrap();

    let (code, v) = verify_json(&case, &["--trust", &lead_fp()]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["result"], "invalid");
    assert_eq!(errors(&v), vec![("manifest-mismatch".to_string(), Some(1))]);
    let p = problems_with(&v, "manifest-mismatch")[0];
    assert_eq!(p["path"], "manifests/EXH-7.jsonl");
    assert_eq!(p["expected"], recorded);
    assert_eq!(p["found"], sha256_hex(&bad));
    assert!(p["message"].as_str().unwrap().contains("EXH-7"), "{p}");

    // The human report says it too, with exit 1.
    let out = custodian().arg("verify").arg(&case).output().unwrap();
    expect_code(&out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error: [manifest-mismatch]"), "{stdout}");
    assert!(stdout.contains("NOT AS RECORDED"), "{stdout}");

    // Restored, it verifies again.
    std::fs::write(&mpath, &good).unwrap();
    assert_eq!(verify_json(&case, &["--trust", &lead_fp()]).0, 0);
}

#[test]
fn missing_manifest_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _ev) = acquired_case(dir.path());
    let mpath = manifest_path(&case, "EXH-7");
    let recorded = sha256_hex(&std::fs::read(&mpath).unwrap());
    std::fs::remove_file(&mpath).unwrap();
    let (code, v) = verify_json(&case, &["--trust", &lead_fp()]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(errors(&v), vec![("manifest-missing".to_string(), Some(1))]);
    let p = problems_with(&v, "manifest-missing")[0];
    assert_eq!(p["path"], "manifests/EXH-7.jsonl");
    assert_eq!(p["expected"], recorded);
    assert_eq!(p["found"], Value::Null);
}

#[test]
fn stray_manifest_is_an_orphan_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _ev) = acquired_case(dir.path());
    let stray = case.join("manifests/X.jsonl");
    std::fs::copy(manifest_path(&case, "EXH-7"), &stray).unwrap();

    let (code, v) = verify_json(&case, &["--trust", &lead_fp()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 1);
    let p = problems_with(&v, "orphan-manifest");
    assert_eq!(p.len(), 1, "{v}");
    assert_eq!(p[0]["severity"], "warning");
    assert_eq!(p[0]["path"], "manifests/X.jsonl");

    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["result"], "invalid");

    std::fs::remove_file(&stray).unwrap();
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
}

/// Without `--evidence`, `verify` checks the ledger and the manifests, not
/// the evidence (which may not even be mounted): a changed evidence file
/// goes unnoticed until `verify --evidence` compares the disk with the
/// manifest (tests/cli_verify_evidence.rs).
#[test]
fn changed_evidence_does_not_affect_verify_without_evidence_audit() {
    let dir = tempfile::tempdir().unwrap();
    let (case, ev) = acquired_case(dir.path());
    std::fs::write(ev.join("docs/notes.txt"), b"meeting at 10\n").unwrap();
    std::fs::write(ev.join("new-file"), b"added later").unwrap();
    let (code, v) = verify_json(&case, &["--trust", &lead_fp(), "--strict"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["problems"], serde_json::json!([]));
    // The manifest still holds what was acquired.
    let m = read_manifest(&manifest_path(&case, "EXH-7"));
    assert_eq!(
        m.get("docs/notes.txt")["digests"]["sha256"],
        sha256_hex(b"meeting at 9\n")
    );
}

// ---------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------

#[test]
fn show_lists_every_object_and_json_matches_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (case, ev) = acquired_case(dir.path());
    let m = read_manifest(&manifest_path(&case, "EXH-7"));

    let out = show(&case, "EXH-7", &[]);
    expect_code(&out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    // The exhibit line, its provenance (indented, issue 16 item 8), then
    // one row per object.
    let provenance: Vec<&str> = lines[1..]
        .iter()
        .copied()
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(provenance[0], "  source device:", "{stdout}");
    assert!(provenance.contains(&"    serial: not stated"), "{stdout}");
    assert!(
        provenance
            .iter()
            .any(|l| l.starts_with("  absolute paths: /")),
        "{stdout}"
    );
    let rows: Vec<&str> = std::iter::once(lines[0])
        .chain(lines[1 + provenance.len()..].iter().copied())
        .collect();
    assert_eq!(rows.len(), 1 + m.records.len(), "{stdout}");
    assert!(rows[0].starts_with("exhibit EXH-7 (entry 1"), "{}", rows[0]);
    assert!(rows[0].contains("2 file(s), 5013 byte(s)"), "{}", rows[0]);
    for (name, data) in [
        ("docs/notes.txt", b"meeting at 9\n".to_vec()),
        ("wallet.dat", pseudo_random(5000, 11)),
    ] {
        let path = ev.join(name);
        let row = rows
            .iter()
            .find(|r| r.ends_with(&format!("{}/{name}", ev.display())))
            .unwrap_or_else(|| panic!("no row for {name}: {stdout}"));
        assert!(row.starts_with("file"), "{row}");
        assert!(row.contains(&format!(" {} ", data.len())), "{row}");
        for (algo, tool) in [
            ("md5", "md5sum"),
            ("sha1", "sha1sum"),
            ("sha256", "sha256sum"),
        ] {
            let want = format!("{algo}:{}", tool_digest(tool, &path));
            assert!(row.contains(&want), "{row} lacks {want}");
        }
    }

    let out = show(&case, "EXH-7", &["--json"]);
    expect_code(&out, 0);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("show --json line parses"))
        .collect();
    assert_eq!(lines, m.records);

    // Unknown exhibit: exit 2.
    let out = show(&case, "EXH-8", &[]);
    expect_code(&out, 2);
    assert!(one_error_line(&out).contains("no exhibit"));
}

#[test]
fn show_preserves_raw_names() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path(), "case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    let raw: &[u8] = b"\xff\xfe-name";
    std::fs::write(ev.join(OsStr::from_bytes(raw)), b"x").unwrap();
    expect_code(&acquire(&case, "RAW", &["-q"], &[&ev]), 0);
    let out = show(&case, "RAW", &["--json"]);
    expect_code(&out, 0);
    let v: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let r = v.iter().find(|r| r.get("path_b64").is_some()).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(r["path_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, raw);
}

#[test]
fn show_refuses_a_tampered_or_missing_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (case, _ev) = acquired_case(dir.path());
    let mpath = manifest_path(&case, "EXH-7");
    let good = std::fs::read(&mpath).unwrap();
    let mut bad = good.clone();
    // Flip "meeting at 9" size-preserving: change one digest digit.
    let text = String::from_utf8(good.clone()).unwrap();
    let at = text.rfind("\"md5\":\"").unwrap() + 7;
    bad[at] = if bad[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(&mpath, &bad).unwrap();

    for args in [&[][..], &["--json"][..]] {
        let out = show(&case, "EXH-7", args);
        expect_code(&out, 2);
        assert!(
            out.stdout.is_empty(),
            "nothing listed from a tampered manifest"
        );
        let e = one_error_line(&out);
        assert!(e.contains("does not match its ledger entry 1"), "{e}");
        assert!(e.contains(&sha256_hex(&bad)), "{e}");
    }

    std::fs::remove_file(&mpath).unwrap();
    let out = show(&case, "EXH-7", &[]);
    expect_code(&out, 2);
    assert!(one_error_line(&out).contains("cannot read manifest"));
    assert!(out.stdout.is_empty());

    std::fs::write(&mpath, &good).unwrap();
    expect_code(&show(&case, "EXH-7", &[]), 0);
}
