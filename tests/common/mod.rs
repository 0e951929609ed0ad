//! Helpers shared by the integration tests: fixture paths and keys, running
//! the binary, reading `verify --json`, and forging ledger lines through the
//! library (so that a test can build a ledger with exactly one defect).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod sk;
pub mod store;

use custodian::keys::SigningKey;
use custodian::ledger::{entry_hash, kind, Entry, Note, Stamp, Tool};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `fixtures/keys/NAME`.
pub fn key_path(name: &str) -> PathBuf {
    root().join("fixtures/keys").join(name)
}

/// One of the unencrypted fixture keys (lead, analyst, intruder).
pub fn key(name: &str) -> SigningKey {
    SigningKey::load(&key_path(name), || Ok(None)).expect("fixture key loads")
}

/// The committed fixture ledger's bytes.
pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(root().join("fixtures/ledger/ledger.jsonl")).expect("fixture ledger")
}

/// The fixture ledger split into lines (without newlines).
pub fn fixture_lines() -> Vec<Vec<u8>> {
    split_lines(&fixture_bytes())
}

/// Whole lines of `bytes`, without their newlines (a torn tail is dropped).
pub fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push(bytes[start..i].to_vec());
            start = i + 1;
        }
    }
    out
}

/// Moves every entry of the case `days` into the past (re-signed and
/// re-chained with the fixture keys), as if the case had been opened and
/// its exhibits acquired then: events may then be dated back that far
/// without being dated before the case or the exhibit (`CUS-TIME`).
pub fn age_case(case: &Path, days: i64) {
    let mut lines = split_lines(&std::fs::read(ledger_of(case)).unwrap());
    for i in 0..lines.len() {
        let mut e = parse_entry(&lines[i]);
        let t = custodian::time::parse(&e.time).unwrap() - chrono::Duration::days(days);
        e.time = custodian::time::format(t);
        if i > 0 {
            e.prev = entry_hash(&lines[i - 1]).to_hex();
        }
        e.sig = None;
        let k = key_for(&e);
        lines[i] = signed_line(e, &k);
    }
    std::fs::write(ledger_of(case), join_lines(&lines)).unwrap();
}

/// Lines joined, each followed by a newline.
pub fn join_lines(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The binary under test, with the environment it reads cleared.
pub fn custodian() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_custodian"));
    c.env_remove("CUSTODIAN_KEY")
        .env_remove("CUSTODIAN_PASSPHRASE")
        // No test signs through the developer's own ssh-agent.
        .env_remove("SSH_AUTH_SOCK")
        // Appends keep their verified-state records with the build, not
        // in the home folder.
        .env(
            "CUSTODIAN_STATE_DIR",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/custodian-state"),
        )
        .current_dir(root());
    c
}

/// Writes `bytes` as `dir/case/ledger.jsonl` and returns the case folder.
pub fn write_case(dir: &Path, bytes: &[u8]) -> PathBuf {
    let case = dir.join("case");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("ledger.jsonl"), bytes).unwrap();
    case
}

pub fn ledger_of(case: &Path) -> PathBuf {
    case.join("ledger.jsonl")
}

/// Runs `custodian verify CASE --json ARGS…`; returns the exit code and the
/// parsed object (stdout must be exactly one JSON line).
pub fn verify_json(case: &Path, args: &[&str]) -> (i32, Value) {
    let out = custodian()
        .arg("verify")
        .arg(case)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "verify --json prints one line: {stdout:?} / stderr {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    (out.status.code().expect("exit code"), v)
}

/// The problems with severity "error", as (code, entry).
pub fn errors(v: &Value) -> Vec<(String, Option<u64>)> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| (p["code"].as_str().unwrap().to_string(), p["entry"].as_u64()))
        .collect()
}

/// A fixed stamp on the fixture's day, `09:MM:00`.
pub fn stamp(minute: u32) -> Stamp {
    Stamp {
        time: Some(
            custodian::time::parse(&format!("2026-03-02T09:{minute:02}:00.000000Z")).unwrap(),
        ),
        tool: fixture_tool(),
    }
}

pub fn fixture_tool() -> Tool {
    Tool {
        name: "custodian".into(),
        version: "0.1.0".into(),
        exe_sha256: None,
    }
}

/// The format version of the committed fixture ledger: it is a ledger as
/// custodian 0.1 wrote it, which every later version must keep verifying.
pub const FIXTURE_VERSION: u32 = 1;

/// An unsigned note entry following `prev_line` at `seq`, of the fixture
/// ledger's format version.
pub fn note_entry(seq: u64, prev_line: &[u8], minute: u32, text: &str) -> Entry {
    Entry {
        v: FIXTURE_VERSION,
        seq,
        prev: entry_hash(prev_line).to_hex(),
        time: custodian::time::format(stamp(minute).time.expect("pinned")),
        kind: kind::NOTE.to_string(),
        signer: key("lead").fingerprint().clone(),
        tool: fixture_tool(),
        body: serde_json::to_value(Note { text: text.into() }).unwrap(),
        sig: None,
    }
}

/// Signs `entry` with `key` and returns its line.
pub fn signed_line(mut entry: Entry, key: &SigningKey) -> Vec<u8> {
    entry.sign(key).unwrap();
    entry.line()
}

pub fn parse_entry(line: &[u8]) -> Entry {
    serde_json::from_slice(line).expect("line parses as an entry")
}

/// The fixture key whose fingerprint signed `entry`.
pub fn key_for(entry: &Entry) -> SigningKey {
    for name in ["lead", "analyst", "intruder"] {
        let k = key(name);
        if k.fingerprint() == &entry.signer {
            return k;
        }
    }
    panic!("no fixture key for {}", entry.signer)
}

/// Re-links lines `from..` to the line before each (fixing `prev`) and
/// re-signs them with the fixture key that signed them, so that a defect
/// planted before `from` is the only one left.
pub fn rechain(lines: &mut [Vec<u8>], from: usize) {
    for i in from.max(1)..lines.len() {
        let mut e = parse_entry(&lines[i]);
        e.prev = entry_hash(&lines[i - 1]).to_hex();
        let k = key_for(&e);
        lines[i] = signed_line(e, &k);
    }
}

/// The line with its JSON re-serialised canonically after `edit`.
pub fn edit_json(line: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(line).unwrap();
    edit(&mut v);
    custodian::ledger::canonical(&v)
}

/// Asserts a run exited with `code`, printing its output if not.
pub fn expect_code(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A case in a temporary folder (kept alive with it).
pub struct TestCase {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestCase {
    /// The case folder.
    pub fn p(&self) -> &Path {
        &self.path
    }

    /// The temporary folder holding the case (for evidence, keys, output).
    pub fn tmp(&self) -> &Path {
        self.dir.path()
    }
}

/// The generation time the report tests pin (`--generated-at`).
pub const REPORT_TIME: &str = "2026-03-02T10:00:00Z";

/// `custodian report CASE --format FORMAT --generated-at REPORT_TIME
/// ARGS…`, with nothing from the environment that changes a report.
pub fn report_output(case: &Path, format: &str, args: &[&str]) -> std::process::Output {
    custodian()
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("CUSTODIAN_SELFTEST_CORRUPT")
        .arg("report")
        .arg(case)
        .args(["--format", format, "--generated-at", REPORT_TIME])
        .args(args)
        .output()
        .unwrap()
}

/// A case (id `C-1`) with one exhibit, EXH-1, of `files` small files
/// (`f00000.txt` …), opened and acquired with the lead key; the paths of
/// the files as reports list them.
pub fn files_case(files: usize) -> (TestCase, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case");
    let out = custodian()
        .arg("init")
        .arg(&path)
        .args(["--case-id", "C-1", "--title", "Files", "--authority", "W-1"])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let ev = dir.path().join("evidence");
    std::fs::create_dir_all(&ev).unwrap();
    let mut paths = Vec::new();
    for i in 0..files {
        let name = format!("f{i:05}.txt");
        std::fs::write(ev.join(&name), format!("{i}\n")).unwrap();
        paths.push(name);
    }
    let out = custodian()
        .arg("acquire")
        .arg(&path)
        .args(["--exhibit=EXH-1", "-q"])
        .arg("--key")
        .arg(key_path("lead"))
        .arg(&ev)
        .output()
        .unwrap();
    expect_code(&out, 0);
    (TestCase { dir, path }, paths)
}

/// The fixture keys, by name, for re-signing a ledger.
const KEY_NAMES: &[&str] = &["lead", "analyst", "intruder"];

/// The fixture key that signed `e`.
fn signing_key_of<'a>(keys: &'a [SigningKey], e: &Entry) -> &'a SigningKey {
    keys.iter()
        .find(|k| k.fingerprint() == &e.signer)
        .expect("signed by a fixture key")
}

/// Rewrites the case's ledger as custodian 0.1 wrote it (format version
/// 1): every entry re-signed with `v: 1` and re-chained. For tests of how
/// older ledgers keep their verdict; the ledger must hold no version-2
/// custody entry yet, and only fixture keys may have signed it.
pub fn as_version_1(case: &Path) {
    let keys: Vec<SigningKey> = KEY_NAMES.iter().map(|n| key(n)).collect();
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let mut out = Vec::new();
    let mut prev = custodian::ledger::GENESIS_PREV.to_string();
    for line in split_lines(&bytes) {
        let mut e: Entry = serde_json::from_slice(&line).unwrap();
        assert!(
            !(e.kind.starts_with("custody.") && e.body.get("exhibit").is_some()),
            "entry {} is a version-2 custody part",
            e.seq
        );
        e.v = 1;
        e.prev = prev;
        // A signer's name and qualifications are version-2 members.
        let strip = |person: &mut Value| {
            if let Some(map) = person.as_object_mut() {
                if map.contains_key("principal") {
                    map.remove("name");
                    map.remove("qualifications");
                }
            }
        };
        strip(&mut e.body);
        // Version 1 states an authority's first day always.
        if e.kind == "authority.register" && e.body.get("valid_from").is_none() {
            e.body["valid_from"] = e.body["issued"].clone();
        }
        if let Some(map) = e.body.as_object_mut() {
            if map.contains_key("case_id") {
                map.remove("authority_details");
            }
        }
        if let Some(signer) = e.body.get_mut("signer") {
            strip(signer);
        }
        e.sign(signing_key_of(&keys, &e)).unwrap();
        let l = e.line();
        prev = entry_hash(&l).to_hex();
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    std::fs::write(ledger_of(case), out).unwrap();
}

/// A custody body written the version-1 way (`exhibits` with one exhibit)
/// reshaped as a version-2 writer would write it to follow the case's
/// ledger now: `exhibit`, a one-part `event` and `prior`; an unseal says
/// it opened the bag and what the seal covers. Other bodies are returned
/// as they are.
pub fn as_part(case: &Path, kind: &str, mut body: Value) -> Value {
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let raw = custodian::ledger::RawLedger::parse(bytes);
    let state = custodian::ledger::verify::verify_raw(&raw, &Default::default()).state;
    let prev = entry_hash(raw.line(raw.lines.len() - 1)).to_hex();
    let Some(obj) = body.as_object_mut() else {
        return body;
    };
    let one = match obj.get("exhibits").and_then(Value::as_array) {
        Some(xs) if kind.starts_with("custody.") && xs.len() == 1 => xs[0].clone(),
        _ => return body,
    };
    obj.remove("exhibits");
    let x = one.as_str().unwrap_or_default().to_string();
    obj.insert("exhibit".into(), one);
    let head = state
        .custody
        .exhibits
        .get(x.as_str())
        .map(|e| e.head.to_hex());
    obj.insert(
        "prior".into(),
        Value::from(head.unwrap_or_else(|| "0".repeat(64))),
    );
    let id = hex::encode(&Sha256::digest(prev.as_bytes())[..16]);
    obj.insert(
        "event".into(),
        serde_json::json!({"id": id, "part": 1, "of": 1}),
    );
    if kind == "custody.unseal" {
        let seal = obj.get("seal").and_then(Value::as_str).unwrap_or_default();
        let covers = state.custody.under_seal(seal).len();
        obj.entry("cause").or_insert_with(|| Value::from("opened"));
        obj.entry("covers").or_insert_with(|| Value::from(covers));
    }
    body
}

/// Rewrites the case's ledger as if every entry had been written by
/// [`fixture_tool`] (custodian 0.1.0, no executable digest): each entry is
/// re-signed with the fixture key that signed it, re-chained, and its
/// `prior` (format version 2) follows the new hashes. For committed sample
/// cases whose reports must not depend on the build that made them.
pub fn pin_tool(case: &Path) {
    let keys: Vec<SigningKey> = KEY_NAMES.iter().map(|n| key(n)).collect();
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let mut renamed = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut prev = custodian::ledger::GENESIS_PREV.to_string();
    for line in split_lines(&bytes) {
        let mut e: Entry = serde_json::from_slice(&line).unwrap();
        e.tool = fixture_tool();
        e.prev = prev;
        if let Some(p) = e.body.get("prior").and_then(Value::as_str) {
            let new = renamed.get(p).cloned().unwrap_or_else(|| p.to_string());
            e.body["prior"] = Value::from(new);
        }
        e.sign(signing_key_of(&keys, &e)).unwrap();
        let l = e.line();
        prev = entry_hash(&l).to_hex();
        renamed.insert(entry_hash(&line).to_hex(), prev.clone());
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    std::fs::write(ledger_of(case), out).unwrap();
}

/// Compares a report with the committed `fixtures/reports/FILE`, or
/// rewrites it when `UPDATE_SNAPSHOTS` is set (then review the diff).
pub fn check_report_snapshot(format: &str, file: &str, text: &str) {
    let path = root().join("fixtures/reports").join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{format} report differs from {} (regenerate with UPDATE_SNAPSHOTS=1 and review the diff)",
        path.display()
    );
}
