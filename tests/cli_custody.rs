//! End-to-end tests of the chain of custody through the real binary:
//! `custodian custody …`, `custodian authority …`, `custodian status`,
//! `custodian log --exhibit` and the custody side of `custodian verify`.
//!
//! Every case is built in a temporary folder with the fixture keys (`lead`
//! opens the case as supervisor, `analyst` is added as an examiner,
//! `intruder` is never trusted). Refusals must exit 2 with one error line
//! and leave the ledger's bytes as they were; recorded breaches must show
//! as findings in `status --json` and `verify --json` while `verify` still
//! exits 0; forged entries that break a rule must make `verify` exit 1.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::*;
use custodian::ledger::{entry_hash, Entry};
use serde_json::{json, Value};

const LEAD: &str = "lead";
const ANALYST: &str = "analyst";
const INTRUDER: &str = "intruder";
const ANALYST_PRINCIPAL: &str = "a.silva@pj.lisboa.example";
const LEAD_PRINCIPAL: &str = "j.dupont@cyber.lyon.police.example";
/// The opening authority of cases made by [`opened_case`].
const WARRANT: &str = "Warrant 26/1187";
const LAPTOP: &str = "fixtures/sample/laptop";
const USB: &str = "fixtures/sample/usb-stick";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `custodian init` with the lead key, the given policy, opening authority
/// and jurisdiction FR, then adds the analyst as an examiner.
fn case_with(policy: Option<&str>, authority: Option<&str>) -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case");
    let mut c = custodian();
    c.arg("init")
        .arg(&path)
        .args(["--case-id", "FR-LYON-2026-0042", "--title", "Seized laptop"])
        .args(["--jurisdiction", "FR"]);
    if let Some(a) = authority {
        c.args(["--authority", a]);
    }
    if let Some(p) = policy {
        c.args(["--authority-policy", p]);
    }
    c.arg("--key").arg(key_path(LEAD)).assert().code(0);
    custodian()
        .args(["signer", "add"])
        .arg(&path)
        .arg("--pubkey")
        .arg(key_path("analyst.pub"))
        .args(["--principal", ANALYST_PRINCIPAL, "--role", "examiner"])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    TestCase { dir, path }
}

/// A strict case opened under [`WARRANT`] (which covers every exhibit).
fn opened_case() -> TestCase {
    case_with(None, Some(WARRANT))
}

fn acquire_out(case: &Path, id: &str, key: &str, args: &[&str], path: &str) -> Output {
    custodian()
        .arg("acquire")
        .arg(case)
        .arg(format!("--exhibit={id}"))
        .arg("-q")
        .arg("--key")
        .arg(key_path(key))
        .args(args)
        .arg(path)
        .output()
        .unwrap()
}

/// Acquires `path` as exhibit `id` with the lead key (must succeed).
fn acquire(case: &Path, id: &str, path: &str) {
    expect_code(&acquire_out(case, id, LEAD, &[], path), 0);
}

/// Runs `custodian custody EVENT CASE --exhibit X… --key KEY ARGS…`.
fn custody(case: &Path, event: &str, exhibits: &[&str], key: &str, args: &[&str]) -> Output {
    let mut c = custodian();
    c.arg("custody").arg(event).arg(case);
    for x in exhibits {
        c.arg("--exhibit").arg(x);
    }
    c.arg("--key")
        .arg(key_path(key))
        .args(args)
        .output()
        .unwrap()
}

/// As [`custody`], which must succeed; returns the seq of its first entry
/// (a version-2 event is one entry per exhibit, consecutive).
fn record(case: &Path, event: &str, exhibits: &[&str], key: &str, args: &[&str]) -> u64 {
    let before = entry_count(case);
    let out = custody(case, event, exhibits, key, args);
    expect_code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parts = stdout
        .lines()
        .filter(|l| l.starts_with("appended entry "))
        .count();
    for (i, x) in (0..parts).zip(exhibits) {
        let first = format!("appended entry {} (custody.{event}): {x} ", before + i);
        assert!(stdout.contains(&first), "{first:?} in {stdout}");
    }
    assert!(parts >= exhibits.len(), "one entry per exhibit: {stdout}");
    assert_eq!(entry_count(case), before + parts, "{stdout}");
    before as u64
}

/// Runs `custodian authority add CASE --key KEY ARGS…`.
fn authority_add(case: &Path, key: &str, args: &[&str]) -> Output {
    custodian()
        .args(["authority", "add"])
        .arg(case)
        .arg("--key")
        .arg(key_path(key))
        .args(args)
        .output()
        .unwrap()
}

/// Registers an authority of kind `court-order` issued in FR 100 days ago
/// (its default first day of validity), with `args` giving its validity and scope.
fn register(case: &Path, reference: &str, args: &[&str]) {
    let issued = day(-100);
    let mut all = vec![
        "--reference",
        reference,
        "--kind",
        "court-order",
        "--issuer",
        "Tribunal judiciaire de Lyon",
        "--jurisdiction",
        "FR",
        "--issued",
        &issued,
    ];
    all.extend_from_slice(args);
    expect_code(&authority_add(case, LEAD, &all), 0);
}

fn ledger_bytes(case: &Path) -> Vec<u8> {
    std::fs::read(ledger_of(case)).unwrap()
}

fn entry_count(case: &Path) -> usize {
    split_lines(&ledger_bytes(case)).len()
}

/// Runs `run` expecting a refusal: exit 2, exactly one `custodian: error:`
/// line on stderr, nothing on stdout, and the ledger byte for byte as it
/// was. Returns the error line.
fn refused(case: &Path, run: impl FnOnce() -> Output) -> String {
    let before = ledger_bytes(case);
    let out = run();
    expect_code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("custodian: error: "), "{stderr:?}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        ledger_bytes(case) == before,
        "the ledger changed after a refusal: {stderr}"
    );
    stderr
}

/// A refused custody event; returns the error line.
fn refused_event(case: &Path, event: &str, exhibits: &[&str], key: &str, args: &[&str]) -> String {
    refused(case, || custody(case, event, exhibits, key, args))
}

/// `status --json`, by exhibit id.
fn status(case: &Path) -> BTreeMap<String, Value> {
    let out = custodian()
        .arg("status")
        .arg(case)
        .arg("--json")
        .output()
        .unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["exhibit"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// `log CASE --exhibit ID --json`, one object per entry.
fn log(case: &Path, exhibit: &str) -> Vec<Value> {
    let out = custodian()
        .arg("log")
        .arg(case)
        .args(["--exhibit", exhibit, "--json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `verify --json`, which must exit 0 with no error; returns its object.
fn verify_valid(case: &Path) -> Value {
    let (code, v) = verify_json(case, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["result"], "valid", "{v:#}");
    assert_eq!(v["errors"], 0, "{v:#}");
    v
}

/// Asserts `verify` exits 0 with `findings == []`.
fn verify_clean(case: &Path) {
    let v = verify_valid(case);
    assert_eq!(v["findings"], json!([]), "{v:#}");
}

/// The findings of `verify --json` as (id, entries, exhibits).
fn findings(case: &Path) -> Vec<(String, Vec<u64>, Vec<String>)> {
    let v = verify_valid(case);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_u64().unwrap())
                    .collect(),
                f["exhibits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// The full finding objects of `verify --json`.
fn finding_objects(case: &Path) -> Vec<Value> {
    verify_valid(case)["findings"].as_array().unwrap().clone()
}

fn fp(name: &str) -> String {
    key(name).fingerprint().to_string()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A time `hours` before now, as RFC 3339 (whole seconds).
fn hours_ago(hours: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A date `days` from today (negative: in the past), `YYYY-MM-DD`.
fn day(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Appends an entry built through the library (correct `seq`, `prev`,
/// time and signature by `key`), bypassing every writer check.
///
/// The entry has the format version of the ledger's last entry; in a
/// version-2 ledger a custody body given the version-1 way (`exhibits`
/// with one exhibit) is reshaped as a version-2 part ([`as_part`]).
fn forge(case: &Path, key_name: &str, kind: &str, body: Value) -> u64 {
    let bytes = ledger_bytes(case);
    let last: Entry = serde_json::from_slice(split_lines(&bytes).last().unwrap()).unwrap();
    let body = if last.v >= 2 {
        as_part(case, kind, body)
    } else {
        body
    };
    forge_raw(case, key_name, kind, body)
}

/// As [`forge`], with the body exactly as given.
fn forge_raw(case: &Path, key_name: &str, kind: &str, body: Value) -> u64 {
    let bytes = ledger_bytes(case);
    let lines = split_lines(&bytes);
    let k = key(key_name);
    let last: Entry = serde_json::from_slice(lines.last().unwrap()).unwrap();
    let mut e = Entry {
        v: last.v,
        seq: lines.len() as u64,
        prev: entry_hash(lines.last().unwrap()).to_hex(),
        time: custodian::time::format(chrono::Utc::now()),
        kind: kind.to_string(),
        signer: k.fingerprint().clone(),
        tool: fixture_tool(),
        body,
        sig: None,
    };
    e.sign(&k).unwrap();
    let mut out = bytes;
    out.extend_from_slice(&e.line());
    out.push(b'\n');
    std::fs::write(ledger_of(case), out).unwrap();
    e.seq
}

/// Asserts `verify` exits 1 and names `code` at entry `seq`.
fn verify_rejects(case: &Path, code: &str, seq: u64) -> Value {
    let (exit, v) = verify_json(case, &[]);
    assert_eq!(exit, 1, "{v:#}");
    assert_eq!(v["result"], "invalid");
    let errs = errors(&v);
    assert!(
        errs.contains(&(code.to_string(), Some(seq))),
        "expected {code} at entry {seq}: {errs:?}"
    );
    v
}

/// The exhibit's status object; panics if absent.
fn st<'a>(s: &'a BTreeMap<String, Value>, x: &str) -> &'a Value {
    s.get(x)
        .unwrap_or_else(|| panic!("no exhibit {x} in {s:#?}"))
}

// ---------------------------------------------------------------------------
// A valid life cycle, every event type once
// ---------------------------------------------------------------------------

#[test]
fn every_event_type_in_a_valid_sequence() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let lead = fp(LEAD);
    let analyst = fp(ANALYST);
    let s = status(c);
    assert_eq!(s.len(), 2);
    let e1 = st(&s, "E1");
    assert_eq!(e1["state"], "available");
    assert_eq!(e1["holder"], lead);
    assert_eq!(e1["holder_principal"], LEAD_PRINCIPAL);
    assert_eq!(e1["entries"], json!([2]));
    assert_eq!(e1["seal"], Value::Null);
    verify_clean(c);

    // seal
    let seal = record(
        c,
        "seal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-0017", "--location", "evidence room 2"],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "sealed");
    assert_eq!(e1["seal"], "BAG-0017");
    assert_eq!(e1["location"], "evidence room 2");
    assert_eq!(e1["holder"], lead);
    assert_eq!(e1["last_entry"], seal);
    assert_eq!(e1["findings"], 0);
    // E2 is untouched by an event on E1.
    assert_eq!(st(&status(c), "E2")["state"], "available");
    verify_clean(c);

    // location (allowed while sealed)
    let moved = record(c, "location", &["E1"], LEAD, &["--location", "safe 4"]);
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "sealed");
    assert_eq!(e1["location"], "safe 4");
    assert_eq!(e1["seal"], "BAG-0017");
    verify_clean(c);

    // unseal with the recorded number
    let unseal = record(
        c,
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-0017", "--reason", "imaging"],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "available");
    assert_eq!(e1["seal"], Value::Null);
    assert_eq!(e1["location"], "safe 4", "location kept when not given");
    verify_clean(c);

    // check-out
    let out = record(
        c,
        "check-out",
        &["E1"],
        LEAD,
        &["--purpose", "imaging", "--location", "lab 1"],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "checked-out");
    assert_eq!(e1["checkout"]["entry"], out);
    assert_eq!(e1["checkout"]["purpose"], "imaging");
    assert!(e1["checkout"]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(e1["location"], "lab 1");
    verify_clean(c);

    // analysis, with an output recorded by digest, under the warrant
    let report = case.dir.path().join("report.txt");
    std::fs::write(&report, b"keyword hits: 3\n").unwrap();
    let analysis = record(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &[
            "--tool",
            "Autopsy",
            "--tool-version",
            "4.21",
            "--description",
            "keyword search",
            "--authority",
            WARRANT,
            "--output",
            report.to_str().unwrap(),
        ],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "checked-out", "analysis keeps the state");
    let entry: Value = serde_json::from_slice(&split_lines(&ledger_bytes(c))[analysis as usize])
        .expect("analysis entry");
    assert_eq!(entry["type"], "custody.analysis");
    assert_eq!(
        entry["body"]["outputs"][0]["sha256"],
        sha256_hex(b"keyword hits: 3\n")
    );
    assert_eq!(entry["body"]["authority"], WARRANT);
    verify_clean(c);

    // check-in
    let back = record(c, "check-in", &["E1"], LEAD, &["--location", "safe 4"]);
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "available");
    assert_eq!(e1["checkout"], Value::Null);
    verify_clean(c);

    // transfer (domestic: no authority needed)
    let transfer = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &[
            "--to",
            key_path("analyst.pub").to_str().unwrap(),
            "--location",
            "courier",
        ],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "in-transit");
    assert_eq!(e1["holder"], lead, "holder unchanged until the receipt");
    assert_eq!(e1["transfer"]["entry"], transfer);
    assert_eq!(e1["transfer"]["to"], analyst);
    assert!(e1["transfer"]["sent"].as_str().unwrap().ends_with('Z'));
    // Until its receipt the transfer is open (a finding, not an error).
    assert_eq!(
        findings(c),
        vec![("CUS-TRANSIT".to_string(), vec![transfer], strings(&["E1"]))]
    );
    assert_eq!(e1["findings"], 1);

    // receipt by the receiver (default: the pending transfer)
    let receipt = record(
        c,
        "receipt",
        &["E1"],
        ANALYST,
        &["--location", "Lisbon store"],
    );
    let e1 = st(&status(c), "E1").clone();
    assert_eq!(e1["state"], "available");
    assert_eq!(e1["holder"], analyst);
    assert_eq!(e1["holder_principal"], ANALYST_PRINCIPAL);
    assert_eq!(e1["transfer"], Value::Null);
    assert_eq!(e1["location"], "Lisbon store");
    verify_clean(c);

    // release by the new holder (an examiner)
    let release = record(
        c,
        "release",
        &["E1"],
        ANALYST,
        &["--to", "the owner, against signature"],
    );
    assert_eq!(st(&status(c), "E1")["state"], "released");
    verify_clean(c);

    // dispose of E2
    let dispose = record(
        c,
        "dispose",
        &["E2"],
        LEAD,
        &[
            "--method",
            "degaussed and shredded",
            "--witness",
            "J. Martin",
        ],
    );
    let s = status(c);
    assert_eq!(st(&s, "E2")["state"], "disposed");
    assert_eq!(st(&s, "E2")["entries"], json!([3, dispose]));
    verify_clean(c);

    // The exhibit's entries, in order, in status and in the log.
    let expected = vec![
        2, seal, moved, unseal, out, analysis, back, transfer, receipt, release,
    ];
    assert_eq!(st(&s, "E1")["entries"], json!(expected));
    assert_eq!(st(&s, "E1")["last_entry"], release);
    let timeline = log(c, "E1");
    let seqs: Vec<u64> = timeline
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, expected);
    let types: Vec<&str> = timeline
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "exhibit.acquire",
            "custody.seal",
            "custody.location",
            "custody.unseal",
            "custody.check-out",
            "custody.analysis",
            "custody.check-in",
            "custody.transfer",
            "custody.receipt",
            "custody.release",
        ]
    );
    let summaries: Vec<&str> = timeline
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries[0].starts_with("acquired exhibit E1"),
        "{summaries:?}"
    );
    assert_eq!(
        &summaries[1..],
        &[
            "E1 sealed under seal BAG-0017 at evidence room 2".to_string(),
            "E1 moved at safe 4".to_string(),
            "E1 unsealed (seal BAG-0017): imaging".to_string(),
            "E1 checked out at lab 1 for imaging".to_string(),
            "E1 analysed with Autopsy 4.21: keyword search".to_string(),
            "E1 checked in at safe 4".to_string(),
            format!("E1 transferred to {ANALYST_PRINCIPAL} at courier"),
            format!("E1 received (transfer at entry {transfer}) at Lisbon store"),
            "E1 released to the owner, against signature".to_string(),
        ]
    );
    let principals: Vec<&str> = timeline
        .iter()
        .map(|e| e["principal"].as_str().unwrap())
        .collect();
    assert_eq!(
        principals[8], ANALYST_PRINCIPAL,
        "the receipt is the analyst's"
    );
    assert_eq!(principals[7], LEAD_PRINCIPAL);
    // Each entry's hash is the hash of its ledger line.
    let lines = split_lines(&ledger_bytes(c));
    for e in &timeline {
        let seq = e["seq"].as_u64().unwrap() as usize;
        assert_eq!(e["hash"], sha256_hex(&lines[seq]));
    }
    let v = verify_valid(c);
    assert_eq!(v["findings"], json!([]));
    assert_eq!(v["types"]["custody.seal"], 1);
    assert_eq!(v["types"]["custody.dispose"], 1);
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

/// The extra arguments each event needs (valid on their own).
fn event_args(event: &str) -> Vec<String> {
    let analyst_pub = key_path("analyst.pub").to_str().unwrap().to_string();
    let v: Vec<&str> = match event {
        "seal" => vec!["--seal", "BAG-2"],
        "unseal" => vec!["--seal", "BAG-1", "--reason", "exam"],
        "location" => vec!["--location", "safe 9"],
        "check-out" => vec!["--purpose", "exam"],
        "check-in" => vec![],
        "analysis" => vec![
            "--tool",
            "T",
            "--tool-version",
            "1",
            "--description",
            "d",
            "--authority",
            WARRANT,
        ],
        "transfer" => vec!["--to", &analyst_pub],
        "receipt" => vec!["--transfer", "1"],
        "release" => vec!["--to", "owner"],
        "dispose" => vec!["--method", "shredded", "--witness", "W"],
        other => panic!("{other}"),
    };
    strings(&v)
}

const EVENTS: &[&str] = &[
    "seal",
    "unseal",
    "location",
    "check-out",
    "check-in",
    "analysis",
    "transfer",
    "receipt",
    "release",
    "dispose",
];

fn refused_with(case: &Path, event: &str, exhibits: &[&str], key: &str, extra: &[&str]) -> String {
    let mut args = event_args(event);
    args.extend(strings(extra));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused_event(case, event, exhibits, key, &args)
}

#[test]
fn events_that_do_not_fit_the_state_are_refused() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);

    let e = refused_event(c, "check-out", &["E1"], LEAD, &["--purpose", "x"]);
    assert!(
        e.contains("exhibit E1 is sealed; it cannot be checked out now"),
        "{e}"
    );
    assert!(e.contains("--override REASON"), "{e}");
    let e = refused_with(c, "analysis", &["E1"], LEAD, &[]);
    assert!(e.contains("is sealed; it cannot be analysed now"), "{e}");
    // The usual fix comes first, the override last (issue 22, item 8).
    let fix = e
        .find("unseal it first (custodian custody unseal CASE --exhibit E1 --seal BAG-1")
        .unwrap_or_else(|| panic!("no unseal advice: {e}"));
    assert!(fix < e.find("--override REASON").unwrap(), "{e}");
    let e = refused_event(
        c,
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-9", "--reason", "r"],
    );
    assert!(
        e.contains("exhibit E1 is under seal BAG-1, not BAG-9"),
        "{e}"
    );
    assert!(e.contains("name the seal it is under, BAG-1"), "{e}");
    let e = refused_event(c, "check-in", &["E1"], LEAD, &[]);
    assert!(e.contains("is sealed; it cannot be checked in now"), "{e}");

    record(
        c,
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-1", "--reason", "exam"],
    );
    let e = refused_event(
        c,
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-1", "--reason", "r"],
    );
    assert!(e.contains("is available; it cannot be unsealed now"), "{e}");
    let e = refused_event(c, "check-in", &["E1"], LEAD, &[]);
    assert!(
        e.contains("is available; it cannot be checked in now"),
        "{e}"
    );

    record(c, "check-out", &["E1"], LEAD, &["--purpose", "exam"]);
    let e = refused_event(c, "check-out", &["E1"], LEAD, &["--purpose", "again"]);
    assert!(
        e.contains("is checked-out; it cannot be checked out now"),
        "{e}"
    );
    let e = refused_with(c, "transfer", &["E1"], LEAD, &[]);
    assert!(
        e.contains("is checked-out; it cannot be transferred"),
        "{e}"
    );
    record(c, "check-in", &["E1"], LEAD, &[]);

    let analyst_pub = key_path("analyst.pub");
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    // In transit nothing but the receipt may happen, even for a supervisor.
    for event in EVENTS.iter().filter(|e| **e != "receipt") {
        let e = refused_with(c, event, &["E1"], LEAD, &[]);
        assert!(e.contains("exhibit E1 is in-transit"), "{event}: {e}");
    }
    record(c, "receipt", &["E1"], ANALYST, &[]);
    let s = status(c);
    assert_eq!(st(&s, "E1")["state"], "available");
    assert_eq!(st(&s, "E1")["holder"], fp(ANALYST));
    // The transfer entry is no longer pending.
    let e = refused_event(
        c,
        "receipt",
        &["E1"],
        ANALYST,
        &["--transfer", &t.to_string()],
    );
    assert!(
        e.contains(&format!("exhibit E1 has no pending transfer at entry {t}")),
        "{e}"
    );
    assert_eq!(status(c), s);
    verify_clean(c);
}

#[test]
fn nothing_may_happen_after_release_or_disposal() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    record(c, "release", &["E1"], LEAD, &["--to", "owner"]);
    record(c, "seal", &["E2"], LEAD, &["--seal", "BAG-1"]);
    record(
        c,
        "dispose",
        &["E2"],
        LEAD,
        &["--method", "shredded", "--witness", "W"],
    );
    for (x, state) in [("E1", "released"), ("E2", "disposed")] {
        for event in EVENTS {
            // Refused, and an override does not help (CUS-TERMINAL).
            for extra in [&[][..], &["--override", "owner brought it back"][..]] {
                let e = refused_with(c, event, &[x], LEAD, extra);
                assert!(
                    e.contains(&format!(
                        "exhibit {x} was {state}; nothing but a disclosure may follow (no override excuses it) [CUS-TERMINAL]"
                    )),
                    "{event} on {x} {extra:?}: {e}"
                );
            }
        }
    }
    let s = status(c);
    assert_eq!(st(&s, "E1")["state"], "released");
    assert_eq!(st(&s, "E2")["state"], "disposed");
    assert_eq!(st(&s, "E2")["seal"], "BAG-1", "disposed in its bag");
    verify_clean(c);
}

#[test]
fn only_the_holder_or_a_supervisor_may_act() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    // The analyst (examiner) does not hold E1.
    let e = refused_event(c, "check-out", &["E1"], ANALYST, &["--purpose", "x"]);
    assert!(
        e.contains(&format!(
            "exhibit E1 is held by {}; only its holder or a supervisor may do this",
            fp(LEAD)
        )),
        "{e}"
    );
    refused_event(c, "seal", &["E1"], ANALYST, &["--seal", "B"]);
    refused_event(c, "location", &["E1"], ANALYST, &["--location", "home"]);
    refused_event(c, "release", &["E1"], ANALYST, &["--to", "x"]);
    // The intruder is no signer at all.
    let e = refused_event(c, "seal", &["E1"], INTRUDER, &["--seal", "B"]);
    assert!(e.contains("not a signer of this case"), "{e}");

    // Hand E1 to the analyst: now the analyst may act …
    let analyst_pub = key_path("analyst.pub");
    record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    record(c, "receipt", &["E1"], ANALYST, &[]);
    record(c, "check-out", &["E1"], ANALYST, &["--purpose", "exam"]);
    record(c, "check-in", &["E1"], ANALYST, &[]);
    // … but the lead, a supervisor who no longer holds it, needs a
    // recorded reason (issue 16: the holder rule as written) …
    let e = refused_event(c, "seal", &["E1"], LEAD, &["--seal", "BAG-7"]);
    assert!(
        e.contains(&format!(
            "exhibit E1 is held by {}; a supervisor acting on it needs a recorded reason [CUS-HOLDER]",
            fp(ANALYST)
        )),
        "{e}"
    );
    assert!(e.contains("--override REASON"), "{e}");
    // … and with one the act is recorded as a high finding.
    let seal = record(
        c,
        "seal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-7", "--override", "analyst off sick"],
    );
    let s = status(c);
    assert_eq!(
        st(&s, "E1")["holder"],
        fp(ANALYST),
        "a supervisor's act keeps the holder"
    );
    assert_eq!(st(&s, "E1")["state"], "sealed");
    assert_eq!(
        findings(c),
        vec![("CUS-OVERRIDE".to_string(), vec![seal], strings(&["E1"]))]
    );
    let fs = finding_objects(c);
    assert!(fs[0]["message"].as_str().unwrap().ends_with("[CUS-HOLDER]"));
    assert_eq!(fs[0]["severity"], "high");
}

#[test]
fn receipts_must_match_a_pending_transfer_to_their_signer() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    // No pending transfer: the default lookup fails …
    let e = refused_event(c, "receipt", &["E1"], ANALYST, &[]);
    assert!(
        e.contains("exhibit E1 has no pending transfer; give --transfer SEQ"),
        "{e}"
    );
    // … and an explicit one names no transfer.
    let e = refused_event(c, "receipt", &["E1"], ANALYST, &["--transfer", "2"]);
    assert!(
        e.contains("exhibit E1 has no pending transfer at entry 2"),
        "{e}"
    );

    let analyst_pub = key_path("analyst.pub");
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    // The sender (a supervisor) cannot sign the receiver's receipt.
    let e = refused_event(c, "receipt", &["E1"], LEAD, &[]);
    assert!(
        e.contains(&format!(
            "exhibit E1 was transferred to {}, not to the signer {}",
            fp(ANALYST),
            fp(LEAD)
        )),
        "{e}"
    );
    // The intruder is not a signer.
    let e = refused_event(c, "receipt", &["E1"], INTRUDER, &[]);
    assert!(e.contains("not a signer"), "{e}");
    // A wrong transfer seq.
    let wrong = (t - 1).to_string();
    let e = refused_event(c, "receipt", &["E1"], ANALYST, &["--transfer", &wrong]);
    assert!(
        e.contains(&format!("has no pending transfer at entry {wrong}")),
        "{e}"
    );
    // E2 is not in transit: a receipt for both is refused as a whole.
    let e = refused_event(c, "receipt", &["E1", "E2"], ANALYST, &[]);
    assert!(e.contains("exhibit E2 has no pending transfer"), "{e}");
    assert_eq!(st(&status(c), "E1")["state"], "in-transit");
    // The right one.
    let r = record(
        c,
        "receipt",
        &["E1"],
        ANALYST,
        &["--transfer", &t.to_string()],
    );
    assert_eq!(st(&status(c), "E1")["entries"], json!([2, t, r]));
    verify_clean(c);
}

#[test]
fn malformed_events_are_refused_even_with_an_override() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    for extra in [&[][..], &["--override", "the bag was relabelled"][..]] {
        let mut seal = vec!["--seal", "B"];
        seal.extend_from_slice(extra);
        let e = refused_event(c, "seal", &["NOPE"], LEAD, &seal);
        assert!(
            e.contains("exhibit NOPE has not been acquired in this case"),
            "{e}"
        );
        let e = refused_event(c, "seal", &["E1", "E1"], LEAD, &seal);
        assert!(e.contains("exhibit E1 is named twice"), "{e}");
        // Transfer to oneself.
        let lead_pub = key_path("lead.pub");
        let mut to_self = vec!["--to", lead_pub.to_str().unwrap()];
        to_self.extend_from_slice(extra);
        let e = refused_event(c, "transfer", &["E1"], LEAD, &to_self);
        assert!(
            e.contains("an exhibit cannot be transferred to its sender"),
            "{e}"
        );
        let lead_fp = fp(LEAD);
        let mut to_self_fp = vec!["--to", lead_fp.as_str()];
        to_self_fp.extend_from_slice(extra);
        refused_event(c, "transfer", &["E1"], LEAD, &to_self_fp);
        // A bad time.
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-03-02 09:15"] {
            let mut at = vec!["--seal", "B", "--at", bad];
            at.extend_from_slice(extra);
            let e = refused_event(c, "seal", &["E1"], LEAD, &at);
            assert!(e.contains("--at"), "{bad}: {e}");
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }
    // An override needs a reason.
    let e = refused_event(c, "check-in", &["E1"], LEAD, &["--override", "  "]);
    assert!(e.contains("an override needs a reason"), "{e}");
    // Location and check-out need their detail.
    let e = refused_event(c, "location", &["E1"], LEAD, &[]);
    assert!(e.contains("needs --location"), "{e}");
    let e = refused_event(c, "check-out", &["E1"], LEAD, &[]);
    assert!(e.contains("needs --purpose"), "{e}");
    // An analysis output that does not exist.
    let e = refused_with(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &["--output", "/no/such/report"],
    );
    assert!(e.contains("/no/such/report"), "{e}");
    assert_eq!(st(&status(c), "E1")["entries"], json!([2]));
    verify_clean(c);
}

#[test]
fn strict_policy_refuses_events_without_a_covering_authority() {
    // Opened without --authority: nothing covers an acquisition.
    let case = case_with(None, None);
    let c = case.p();
    let e = refused(c, || acquire_out(c, "E1", LEAD, &[], LAPTOP));
    assert!(e.contains("no legal authority is cited"), "{e}");
    assert!(e.contains("--override"), "{e}");
    // Nothing is registered: the fix is to register one.
    assert!(
        e.contains("register an authority that covers it (custodian authority add)"),
        "{e}"
    );
    assert!(!c.join("manifests/E1.jsonl").exists(), "no manifest kept");
    let e = refused(c, || {
        acquire_out(c, "E1", LEAD, &["--authority", "TJ-1"], LAPTOP)
    });
    assert!(e.contains("authority \"TJ-1\" is not registered"), "{e}");

    register(
        c,
        "TJ-1",
        &["--scope-exhibit", "E1", "--scope-exhibit", "E2"],
    );
    register(
        c,
        "TJ-OLD",
        &[
            "--valid-from",
            &day(-100),
            "--valid-until",
            &day(-10),
            "--scope-all",
        ],
    );
    register(c, "TJ-LATER", &["--valid-from", &day(10), "--scope-all"]);
    expect_code(
        &acquire_out(c, "E1", LEAD, &["--authority", "TJ-1"], LAPTOP),
        0,
    );
    expect_code(
        &acquire_out(c, "E2", LEAD, &["--authority", "TJ-1"], USB),
        0,
    );
    // As if acquired a month ago, so that an event may be dated 20 days back.
    age_case(c, 30);
    // Out of scope, expired, not yet valid.
    let e = refused(c, || {
        acquire_out(c, "E3", LEAD, &["--authority", "TJ-1"], USB)
    });
    assert!(
        e.contains("authority TJ-1 does not cover exhibit E3"),
        "{e}"
    );
    let e = refused(c, || {
        acquire_out(c, "E3", LEAD, &["--authority", "TJ-OLD"], USB)
    });
    assert!(
        e.contains(&format!("authority TJ-OLD is valid from {} to", day(-100))),
        "{e}"
    );
    let e = refused(c, || {
        acquire_out(c, "E3", LEAD, &["--authority", "TJ-LATER"], USB)
    });
    assert!(e.contains("authority TJ-LATER is valid from"), "{e}");
    assert!(e.contains("(open)"), "{e}");

    // Analysis needs an authority.
    let analysis = |auth: Option<&str>, exhibits: &[&str]| {
        let mut a = vec!["--tool", "T", "--tool-version", "1", "--description", "d"];
        if let Some(r) = auth {
            a.extend_from_slice(&["--authority", r]);
        }
        custody(c, "analysis", exhibits, LEAD, &a)
    };
    let e = refused(c, || analysis(Some("NOPE-9"), &["E1"]));
    assert!(e.contains("authority \"NOPE-9\" is not registered"), "{e}");
    let e = refused(c, || analysis(Some("TJ-OLD"), &["E1"]));
    assert!(e.contains("is valid from"), "{e}");
    let e = refused(c, || analysis(Some("TJ-LATER"), &["E1"]));
    assert!(e.contains("is valid from"), "{e}");
    expect_code(&analysis(Some("TJ-1"), &["E1", "E2"]), 0);
    // Given none, the writer cites the registered authority that covers
    // the event (design custody-v2 §3).
    let out = analysis(None, &["E1"]);
    expect_code(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("authority: TJ-1"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        log(c, "E1").last().unwrap()["entry"]["body"]["authority"],
        "TJ-1"
    );
    // An authority valid on the day given by --at covers a backdated event.
    let backdated = hours_ago(24 * 20);
    let out = custody(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &[
            "--tool",
            "T",
            "--tool-version",
            "1",
            "--description",
            "d",
            "--authority",
            "TJ-OLD",
            "--at",
            &backdated,
        ],
    );
    expect_code(&out, 0);

    // A cross-border transfer needs one; a domestic one does not.
    let analyst_pub = key_path("analyst.pub");
    let to = analyst_pub.to_str().unwrap();
    let e = refused_event(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &[
            "--to",
            to,
            "--to-jurisdiction",
            "PT",
            "--authority",
            "TJ-OLD",
        ],
    );
    assert!(e.contains("is valid from"), "{e}");
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", to, "--to-jurisdiction", "FR"],
    );
    record(
        c,
        "receipt",
        &["E1"],
        ANALYST,
        &["--transfer", &t.to_string()],
    );
    record(
        c,
        "transfer",
        &["E1"],
        ANALYST,
        &[
            "--to",
            key_path("lead.pub").to_str().unwrap(),
            "--to-jurisdiction",
            "PT",
            "--authority",
            "TJ-1",
        ],
    );
    // A cited authority must exist even where none is needed.
    let e = refused_event(
        c,
        "seal",
        &["E2"],
        LEAD,
        &["--seal", "B", "--authority", "NOPE-9"],
    );
    assert!(e.contains("authority \"NOPE-9\" is not registered"), "{e}");
    // The backdated analysis is the only finding (CUS-BACKDATED), and the
    // open transfer.
    let ids: Vec<String> = findings(c).into_iter().map(|f| f.0).collect();
    assert_eq!(ids, ["CUS-BACKDATED", "CUS-TRANSIT"]);
}

#[test]
fn bad_authorities_are_refused() {
    let case = opened_case();
    let c = case.p();
    register(c, "TJ-1", &["--scope-all"]);
    let base = |reference: &'static str, kind: &'static str| -> Vec<&'static str> {
        vec![
            "--reference",
            reference,
            "--kind",
            kind,
            "--issuer",
            "TJ Lyon",
            "--jurisdiction",
            "FR",
            "--scope-all",
        ]
    };
    let add = |extra: &[&str], reference: &'static str, kind: &'static str| {
        let mut a = base(reference, kind);
        a.extend_from_slice(extra);
        let a: Vec<String> = strings(&a);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        authority_add(c, LEAD, &a)
    };
    let e = refused(c, || {
        add(&["--issued", "2026-02-01"], "TJ-1", "court-order")
    });
    assert!(
        e.contains("authority TJ-1 was already registered at entry 2"),
        "{e}"
    );
    let e = refused(c, || add(&["--issued", "2026-02-01"], "TJ-2", "hunch"));
    assert!(e.contains("unknown authority kind \"hunch\""), "{e}");
    assert!(e.contains("search-warrant"), "{e}");
    for bad in ["2026-02-30", "01/02/2026", "2026-02-01T00:00:00Z", ""] {
        let e = refused(c, || add(&["--issued", bad], "TJ-2", "court-order"));
        assert!(e.contains("invalid date"), "{bad:?}: {e}");
        assert!(e.contains("expected YYYY-MM-DD"), "{bad:?}: {e}");
        let e = refused(c, || {
            add(
                &["--issued", "2026-02-01", "--valid-until", bad],
                "TJ-2",
                "court-order",
            )
        });
        assert!(e.contains("invalid date"), "{bad:?}: {e}");
    }
    let e = refused(c, || {
        add(
            &[
                "--issued",
                "2026-02-01",
                "--valid-from",
                "2026-03-01",
                "--valid-until",
                "2026-02-28",
            ],
            "TJ-2",
            "court-order",
        )
    });
    assert!(e.contains("valid_until is before valid_from"), "{e}");
    let e = refused(c, || add(&["--issued", "2026-02-01"], " ", "court-order"));
    assert!(e.contains("needs a reference"), "{e}");
    // Neither --scope-all nor --scope-exhibit.
    let e = refused(c, || {
        authority_add(
            c,
            LEAD,
            &[
                "--reference",
                "TJ-3",
                "--kind",
                "eio",
                "--issuer",
                "x",
                "--jurisdiction",
                "FR",
                "--issued",
                "2026-02-01",
            ],
        )
    });
    assert!(
        e.contains("--scope-all or at least one --scope-exhibit"),
        "{e}"
    );
    // The intruder cannot register one.
    let e = refused(c, || {
        authority_add(
            c,
            INTRUDER,
            &[
                "--reference",
                "TJ-4",
                "--kind",
                "eio",
                "--issuer",
                "x",
                "--jurisdiction",
                "FR",
                "--issued",
                "2026-02-01",
                "--scope-all",
            ],
        )
    });
    assert!(e.contains("not a signer"), "{e}");
    // The list shows the opening authority and TJ-1, nothing refused.
    let out = custodian()
        .args(["authority", "list"])
        .arg(c)
        .arg("--json")
        .output()
        .unwrap();
    expect_code(&out, 0);
    let listed: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refs: Vec<&str> = listed
        .iter()
        .map(|v| v["authority"]["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["TJ-1", WARRANT]);
    assert_eq!(listed[0]["entry"], 2);
    // Its first day was not stated: none is recorded, the issue date applies.
    assert_eq!(listed[0]["authority"]["valid_from"], Value::Null);
    assert_eq!(listed[0]["authority"]["issued"], day(-100));
    assert_eq!(listed[1]["entry"], 0);
    assert_eq!(listed[1]["authority"]["scope"]["all"], true);
    verify_clean(c);
}

// ---------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------

#[test]
fn overrides_record_refused_events_as_findings() {
    let case = case_with(None, None);
    let c = case.p();
    // An acquisition without authority, by override.
    let out = acquire_out(
        c,
        "E1",
        LEAD,
        &["--override", "urgent: device wiping"],
        LAPTOP,
    );
    expect_code(&out, 0);
    // An analysis without authority (the exhibit is available).
    let over = |event: &str, exhibits: &[&str], key: &str, args: &[&str], reason: &str| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--override", reason]);
        let before = entry_count(c);
        let out = custody(c, event, exhibits, key, &a);
        expect_code(&out, 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("recorded with --override"), "{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("[OVERRIDE]"));
        before as u64
    };
    let analysis = over(
        "analysis",
        &["E1"],
        LEAD,
        &[
            "--tool",
            "T",
            "--tool-version",
            "1",
            "--description",
            "triage",
        ],
        "warrant on its way",
    );
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);
    // Check-out while sealed, by an examiner who does not hold it: two
    // rules broken, two findings on one entry.
    let checkout = over(
        "check-out",
        &["E1"],
        ANALYST,
        &["--purpose", "exam"],
        "lead on leave",
    );
    // An unseal with the wrong number, after a check-in.
    record(c, "check-in", &["E1"], LEAD, &[]);
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-3"]);
    let unseal = over(
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-2", "--reason", "exam"],
        "bag found resealed as BAG-2",
    );
    record(c, "release", &["E1"], LEAD, &["--to", "owner"]);
    // An event after release is refused even with an override.
    let e = refused_event(
        c,
        "location",
        &["E1"],
        LEAD,
        &[
            "--location",
            "returned shelf",
            "--override",
            "owner left it",
        ],
    );
    assert!(e.contains("[CUS-TERMINAL]"), "{e}");

    let s = status(c);
    let e1 = st(&s, "E1");
    assert_eq!(e1["state"], "released");
    let fs = finding_objects(c);
    let got: Vec<(String, Vec<u64>, Vec<String>)> = findings(c);
    assert_eq!(
        got,
        vec![
            ("CUS-OVERRIDE".to_string(), vec![2], strings(&["E1"])),
            ("CUS-OVERRIDE".to_string(), vec![analysis], strings(&["E1"])),
            ("CUS-OVERRIDE".to_string(), vec![checkout], strings(&["E1"])),
            ("CUS-OVERRIDE".to_string(), vec![checkout], strings(&["E1"])),
            ("CUS-OVERRIDE".to_string(), vec![unseal], strings(&["E1"])),
        ],
        "{fs:#?}"
    );
    assert_eq!(e1["findings"], got.len());
    let messages: Vec<&str> = fs.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        messages[0].contains("urgent: device wiping"),
        "{messages:?}"
    );
    assert!(messages[0].ends_with("[AUT-MISSING]"), "{messages:?}");
    assert!(messages[1].ends_with("[AUT-MISSING]"), "{messages:?}");
    assert!(messages[2].ends_with("[CUS-STATE]"), "{messages:?}");
    assert!(messages[3].ends_with("[CUS-HOLDER]"), "{messages:?}");
    assert!(messages[3].contains("lead on leave"), "{messages:?}");
    assert!(messages[4].ends_with("[CUS-SEAL]"), "{messages:?}");
    assert!(fs.iter().all(|f| f["severity"] == "high"));
    // The reason is in the signed entry and in the log.
    let timeline = log(c, "E1");
    let co = timeline
        .iter()
        .find(|e| e["seq"] == checkout)
        .expect("check-out in the log");
    assert_eq!(co["entry"]["body"]["override"], "lead on leave");
    assert!(co["summary"].as_str().unwrap().ends_with("[OVERRIDE]"));
    // The human status lists them.
    let out = custodian().arg("status").arg(c).output().unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("[CUS-OVERRIDE]").count(), got.len(), "{text}");
}

#[test]
fn an_override_on_an_event_that_fits_gives_no_finding() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    record(
        c,
        "seal",
        &["E1"],
        LEAD,
        &["--seal", "B", "--override", "just in case"],
    );
    assert_eq!(st(&status(c), "E1")["findings"], 0);
    verify_clean(c);
}

// ---------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------

#[test]
fn warn_policy_records_authority_breaches_as_findings() {
    let case = case_with(Some("warn"), None);
    let c = case.p();
    // No authority at all: recorded, AUT-MISSING.
    expect_code(&acquire_out(c, "E1", LEAD, &[], LAPTOP), 0);
    register(c, "TJ-9", &["--scope-exhibit", "E9"]);
    register(
        c,
        "TJ-OLD",
        &[
            "--valid-from",
            &day(-100),
            "--valid-until",
            &day(-1),
            "--scope-all",
        ],
    );
    let analysis = |auth: &str| {
        record(
            c,
            "analysis",
            &["E1"],
            LEAD,
            &[
                "--tool",
                "T",
                "--tool-version",
                "1",
                "--description",
                "d",
                "--authority",
                auth,
            ],
        )
    };
    let scope = analysis("TJ-9");
    let expired = analysis("TJ-OLD");
    let unregistered = analysis("NOPE");
    let analyst_pub = key_path("analyst.pub");
    let border = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &[
            "--to",
            analyst_pub.to_str().unwrap(),
            "--to-jurisdiction",
            "PT",
        ],
    );
    record(c, "receipt", &["E1"], ANALYST, &[]);
    let e1 = strings(&["E1"]);
    assert_eq!(
        findings(c),
        vec![
            ("AUT-MISSING".to_string(), vec![1 + 1], e1.clone()),
            ("AUT-SCOPE".to_string(), vec![scope], e1.clone()),
            ("AUT-EXPIRED".to_string(), vec![expired], e1.clone()),
            ("AUT-MISSING".to_string(), vec![unregistered], e1.clone()),
            ("AUT-MISSING".to_string(), vec![border], e1.clone()),
        ]
    );
    assert_eq!(st(&status(c), "E1")["findings"], 5);
    // Custody rules are still enforced under warn.
    let e = refused_event(c, "check-in", &["E1"], ANALYST, &[]);
    assert!(e.contains("cannot be checked in now"), "{e}");
}

#[test]
fn off_policy_needs_no_authority_and_gives_no_findings() {
    let case = case_with(Some("off"), None);
    let c = case.p();
    expect_code(&acquire_out(c, "E1", LEAD, &[], LAPTOP), 0);
    record(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &["--tool", "T", "--tool-version", "1", "--description", "d"],
    );
    let analyst_pub = key_path("analyst.pub");
    record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &[
            "--to",
            analyst_pub.to_str().unwrap(),
            "--to-jurisdiction",
            "PT",
        ],
    );
    record(c, "receipt", &["E1"], ANALYST, &[]);
    assert_eq!(st(&status(c), "E1")["findings"], 0);
    verify_clean(c);
    // Custody rules still hold.
    refused_event(c, "check-in", &["E1"], ANALYST, &[]);
}

// ---------------------------------------------------------------------------
// Several exhibits in one event
// ---------------------------------------------------------------------------

#[test]
fn one_event_may_cover_several_exhibits() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    acquire(c, "E3", USB);
    let seal = record(
        c,
        "seal",
        &["E1", "E2"],
        LEAD,
        &["--seal", "BAG-17", "--location", "room 2"],
    );
    assert_eq!(
        entry_count(c),
        seal as usize + 2,
        "one entry per exhibit in the bag"
    );
    let s = status(c);
    for (i, x) in ["E1", "E2"].into_iter().enumerate() {
        assert_eq!(st(&s, x)["state"], "sealed");
        assert_eq!(st(&s, x)["seal"], "BAG-17");
        assert_eq!(st(&s, x)["last_entry"], seal + i as u64);
    }
    assert_eq!(st(&s, "E3")["state"], "available");
    // One exhibit that does not fit refuses the whole event.
    let e = refused_event(c, "check-out", &["E3", "E1"], LEAD, &["--purpose", "x"]);
    assert!(e.contains("exhibit E1 is sealed"), "{e}");
    assert_eq!(status(c), s);

    let analyst_pub = key_path("analyst.pub");
    let t = record(
        c,
        "transfer",
        &["E1", "E2", "E3"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    let s = status(c);
    for (i, x) in ["E1", "E2", "E3"].into_iter().enumerate() {
        assert_eq!(st(&s, x)["state"], "in-transit", "{x}");
        assert_eq!(st(&s, x)["transfer"]["entry"], t + i as u64, "{x}");
        assert_eq!(st(&s, x)["transfer"]["to"], fp(ANALYST), "{x}");
    }
    let r = record(
        c,
        "receipt",
        &["E1", "E2", "E3"],
        ANALYST,
        &["--location", "Lisbon"],
    );
    let s = status(c);
    for (i, x) in ["E1", "E2", "E3"].into_iter().enumerate() {
        assert_eq!(st(&s, x)["holder"], fp(ANALYST), "{x}");
        assert_eq!(st(&s, x)["transfer"], Value::Null, "{x}");
        assert_eq!(st(&s, x)["location"], "Lisbon", "{x}");
        assert_eq!(st(&s, x)["last_entry"], r + i as u64, "{x}");
    }
    // Each returns to its state before the transfer.
    assert_eq!(st(&s, "E1")["state"], "sealed");
    assert_eq!(st(&s, "E2")["state"], "sealed");
    assert_eq!(st(&s, "E2")["seal"], "BAG-17");
    assert_eq!(st(&s, "E3")["state"], "available");
    assert_eq!(st(&s, "E2")["entries"], json!([3, seal + 1, t + 1, r + 1]));
    assert_eq!(st(&s, "E3")["entries"], json!([4, t + 2, r + 2]));
    // Each part names its own exhibit's transfer, and says it is one of
    // three.
    let e3 = &log(c, "E3")[2];
    assert_eq!(
        e3["summary"].as_str().unwrap(),
        format!("E3 received (transfer at entry {}) at Lisbon", t + 2)
    );
    assert_eq!(e3["entry"]["body"]["event"]["part"], 3);
    assert_eq!(e3["entry"]["body"]["event"]["of"], 3);
    verify_clean(c);
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

#[test]
fn backdated_events_are_recorded_and_flagged() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    age_case(c, 5);
    // An hour earlier is ordinary.
    let recent = hours_ago(1);
    record(
        c,
        "location",
        &["E2"],
        LEAD,
        &["--location", "a", "--at", &recent],
    );
    verify_clean(c);
    // Two days earlier is recorded and flagged.
    let two_days = hours_ago(48);
    let seal = record(
        c,
        "seal",
        &["E1", "E2"],
        LEAD,
        &["--seal", "BAG-1", "--at", &two_days],
    );
    let entry = &log(c, "E1")[1];
    assert_eq!(entry["seq"], seal);
    assert_eq!(
        entry["time"].as_str().unwrap()[..19],
        two_days[..19],
        "the log shows when it happened"
    );
    assert_ne!(entry["time"], entry["recorded"]);
    // Hours in the future is refused (CUS-FUTURE) unless overridden, and
    // then a high finding besides the low one.
    let future = (chrono::Utc::now() + chrono::Duration::hours(5))
        .format("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string();
    let e = refused_event(
        c,
        "location",
        &["E2"],
        LEAD,
        &["--location", "b", "--at", &future],
    );
    assert!(e.contains("[CUS-FUTURE]"), "{e}");
    let later = record(
        c,
        "location",
        &["E2"],
        LEAD,
        &[
            "--location",
            "b",
            "--at",
            &future,
            "--override",
            "clock of the van",
        ],
    );
    let fs = finding_objects(c);
    assert_eq!(
        findings(c),
        vec![
            ("CUS-BACKDATED".to_string(), vec![seal], strings(&["E1"])),
            (
                "CUS-BACKDATED".to_string(),
                vec![seal + 1],
                strings(&["E2"])
            ),
            ("CUS-OVERRIDE".to_string(), vec![later], strings(&["E2"])),
            ("CUS-BACKDATED".to_string(), vec![later], strings(&["E2"])),
        ]
    );
    assert!(fs[2]["message"].as_str().unwrap().ends_with("[CUS-FUTURE]"));
    assert_eq!(fs[2]["severity"], "high");
    let fs: Vec<&Value> = fs.iter().filter(|f| f["id"] != "CUS-OVERRIDE").collect();
    assert!(
        fs[0]["message"].as_str().unwrap().contains("hours before"),
        "{fs:#?}"
    );
    assert!(
        fs[2]["message"].as_str().unwrap().contains("after"),
        "{fs:#?}"
    );
    assert!(fs.iter().all(|f| f["severity"] == "low"));
    let s = status(c);
    assert_eq!(st(&s, "E1")["findings"], 1);
    assert_eq!(st(&s, "E2")["findings"], 3);
    // A bad time.
    let e = refused_event(
        c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "c", "--at", "2 days ago"],
    );
    assert!(e.contains("--at \"2 days ago\""), "{e}");
}

#[test]
fn a_transfer_never_received_is_a_transit_finding() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let analyst_pub = key_path("analyst.pub");
    let t = record(
        c,
        "transfer",
        &["E1", "E2"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    assert_eq!(
        findings(c),
        vec![
            ("CUS-TRANSIT".to_string(), vec![t], strings(&["E1"])),
            ("CUS-TRANSIT".to_string(), vec![t + 1], strings(&["E2"])),
        ]
    );
    let fs = finding_objects(c);
    assert!(
        fs[0]["message"]
            .as_str()
            .unwrap()
            .contains("its receipt was never signed"),
        "{fs:#?}"
    );
    assert_eq!(st(&status(c), "E1")["findings"], 1);
    // The human status says who it is waiting for.
    let out = custodian().arg("status").arg(c).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "(in transit to {ANALYST_PRINCIPAL} since entry {t})"
        )),
        "{text}"
    );
    // Once received, the finding is gone.
    record(c, "receipt", &["E1", "E2"], ANALYST, &[]);
    verify_clean(c);
}

// ---------------------------------------------------------------------------
// Forged entries: verify replays the same rules
// ---------------------------------------------------------------------------

/// A case with E1 (held by the lead) and the analyst as examiner.
fn forgery_base() -> TestCase {
    let case = opened_case();
    acquire(case.p(), "E1", LAPTOP);
    verify_clean(case.p());
    case
}

fn plain(exhibits: &[&str]) -> Value {
    json!({ "exhibits": exhibits })
}

#[test]
fn forged_check_out_by_the_intruder_fails_verify() {
    let case = forgery_base();
    let mut body = plain(&["E1"]);
    body["purpose"] = json!("exfiltration");
    let seq = forge(case.p(), INTRUDER, "custody.check-out", body);
    let v = verify_rejects(case.p(), "unknown-signer", seq);
    assert!(
        v["problems"].to_string().contains(&fp(INTRUDER)),
        "names the signer: {v:#}"
    );
}

#[test]
fn forged_check_out_by_an_examiner_who_does_not_hold_it_fails_verify() {
    let case = forgery_base();
    let mut body = plain(&["E1"]);
    body["purpose"] = json!("exam");
    let seq = forge(case.p(), ANALYST, "custody.check-out", body);
    let v = verify_rejects(case.p(), "custody-rule", seq);
    assert!(v["problems"].to_string().contains("is held by"), "{v:#}");
}

#[test]
fn forged_receipt_by_the_wrong_key_fails_verify() {
    let case = forgery_base();
    let c = case.p();
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", key_path("analyst.pub").to_str().unwrap()],
    );
    let mut body = plain(&["E1"]);
    body["transfer"] = json!(t);
    let seq = forge(c, LEAD, "custody.receipt", body);
    let v = verify_rejects(c, "custody-rule", seq);
    assert!(
        v["problems"].to_string().contains("not to the signer"),
        "{v:#}"
    );
}

#[test]
fn forged_events_that_break_state_or_seal_rules_fail_verify() {
    // Check-out while sealed.
    let case = forgery_base();
    let c = case.p();
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);
    let mut body = plain(&["E1"]);
    body["purpose"] = json!("exam");
    let seq = forge(c, LEAD, "custody.check-out", body);
    verify_rejects(c, "custody-rule", seq);

    // Unseal with another number.
    let case = forgery_base();
    let c = case.p();
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);
    let mut body = plain(&["E1"]);
    body["seal"] = json!("BAG-2");
    body["reason"] = json!("exam");
    let seq = forge(c, LEAD, "custody.unseal", body);
    verify_rejects(c, "custody-rule", seq);

    // An event on an exhibit never acquired.
    let case = forgery_base();
    let c = case.p();
    let mut body = plain(&["E404"]);
    body["seal"] = json!("B");
    let seq = forge(c, LEAD, "custody.seal", body);
    verify_rejects(c, "custody-rule", seq);
}

#[test]
fn forged_analysis_without_authority_fails_verify() {
    let case = forgery_base();
    let c = case.p();
    let mut body = plain(&["E1"]);
    body["tool"] = json!("T");
    body["tool_version"] = json!("1");
    body["description"] = json!("d");
    body["outputs"] = json!([]);
    let seq = forge(c, LEAD, "custody.analysis", body.clone());
    verify_rejects(c, "authority-rule", seq);

    // The same body with an override is as recorded (and a finding).
    let case = forgery_base();
    let c = case.p();
    body["override"] = json!("urgent");
    let seq = forge(c, LEAD, "custody.analysis", body);
    assert_eq!(
        findings(c),
        vec![("CUS-OVERRIDE".to_string(), vec![seq], strings(&["E1"]))]
    );
}

#[test]
fn forged_authority_with_a_bad_kind_fails_verify() {
    let case = forgery_base();
    let c = case.p();
    let body = json!({
        "reference": "X-1", "kind": "hunch", "issuer": "me", "jurisdiction": "FR",
        "issued": "2026-01-01", "valid_from": "2026-01-01", "scope": {"all": true}
    });
    let seq = forge(c, LEAD, "authority.register", body);
    verify_rejects(c, "authority-rule", seq);
}

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

#[test]
fn demo_runs_the_cross_border_life_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let out = custodian()
        .arg("demo")
        .arg("--dir")
        .arg(&d)
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("VALID"));
    let c = d.join("case");
    let s = status(&c);
    assert_eq!(s.len(), 2);
    let e1 = st(&s, "EXH-001");
    // Bag 17 was opened in Lisbon for the USB stick: the laptop came out of
    // it too and was resealed in bag 18 (issue 16: a seal covers a set).
    assert_eq!(e1["state"], "sealed");
    assert_eq!(e1["seal"], "BAG-0018");
    assert_eq!(e1["holder_principal"], ANALYST_PRINCIPAL);
    assert!(
        e1["location"].as_str().unwrap().contains("Lisbon"),
        "{e1:#}"
    );
    assert_eq!(e1["findings"], 0);
    let e2 = st(&s, "EXH-002");
    assert_eq!(e2["state"], "released");
    assert_eq!(e2["holder_principal"], ANALYST_PRINCIPAL);
    assert_eq!(e2["findings"], 0);
    let types: Vec<String> = log(&c, "EXH-002")
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "exhibit.acquire",
            "custody.seal",
            "custody.transfer",
            "custody.receipt",
            "custody.unseal",
            "custody.analysis",
            "custody.release",
        ]
    );
    let laptop = log(&c, "EXH-001");
    let unseal = laptop
        .iter()
        .find(|e| e["type"] == "custody.unseal")
        .expect("the laptop's log shows bag 17 opened");
    // Bag 17 was opened for the USB stick; the laptop, in the same bag,
    // has its own part of the unseal event saying so.
    let body = &unseal["entry"]["body"];
    assert_eq!(body["exhibit"], "EXH-001");
    assert_eq!(body["cause"], "shared-seal");
    assert_eq!(body["covers"], 2);
    assert_eq!(body["event"]["of"], 2);
    let transfer = &laptop[2];
    assert_eq!(transfer["entry"]["body"]["to_jurisdiction"], "PT");
    assert_eq!(transfer["entry"]["body"]["authority"], "MLAT-PT-2026-311");
    verify_clean(&c);
}

// ---------------------------------------------------------------------------
// Bugs found (ignored until fixed)
// ---------------------------------------------------------------------------

/// docs/guide/custody.md: "Check-outs open for 30 days or more are reported as
/// overdue (`CUS-CHECKOUT`)", and `--at` is when the event happened. A
/// check-out recorded with `--at` 40 days ago is open for 40 days, but the
/// state keeps the recording time, so it is not reported (and `status`
/// shows the recording time as the check-out time).
#[test]
fn backdated_check_out_past_the_limit_is_overdue() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    age_case(c, 60);
    let at = hours_ago(24 * 40);
    let seq = record(
        c,
        "check-out",
        &["E1"],
        LEAD,
        &["--purpose", "x", "--at", &at],
    );
    let ids: Vec<(String, Vec<u64>, Vec<String>)> = findings(c);
    assert!(
        ids.contains(&("CUS-CHECKOUT".to_string(), vec![seq], strings(&["E1"]))),
        "{ids:?}"
    );
    assert_eq!(
        st(&status(c), "E1")["checkout"]["time"].as_str().unwrap()[..19],
        at[..19]
    );
}

/// docs/guide/custody.md (Overrides): "Overrides cannot excuse malformed events
/// (an unknown exhibit, a receipt naming no transfer, a bad date): those are
/// always refused." A receipt naming an entry that is no transfer is
/// accepted with --override; worse, it turns a sealed exhibit into
/// `available` while its seal number stays recorded, without any unseal.
#[test]
fn receipt_naming_no_transfer_is_refused_even_with_an_override() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    let seal = record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);
    let before = status(c);
    let out = custody(
        c,
        "receipt",
        &["E1"],
        ANALYST,
        &[
            "--transfer",
            &seal.to_string(),
            "--override",
            "paperwork lost",
        ],
    );
    let s = status(c);
    // Whatever the decision, a sealed exhibit must not become available
    // with a seal number still on it.
    assert!(
        !(st(&s, "E1")["state"] == "available" && st(&s, "E1")["seal"] != Value::Null),
        "{:#}",
        st(&s, "E1")
    );
    expect_code(&out, 2);
    assert_eq!(s, before);
}

/// The help says a transfer hands exhibits "over to another signer", and a
/// receipt can only be signed by the receiver with a key of the case. A
/// transfer to a key that is not a signer of the case is accepted, leaving
/// the exhibit in transit to someone who can never sign for it.
#[test]
fn transfer_to_a_key_that_is_not_a_signer_is_refused() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    let intruder_pub = key_path("intruder.pub");
    let e = refused_event(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", intruder_pub.to_str().unwrap()],
    );
    assert!(e.contains("not a signer"), "{e}");
}

/// Authority dates are specified as `YYYY-MM-DD` (docs/guide/custody.md, the
/// `Authority` doc comment, the error message "expected YYYY-MM-DD"), but
/// chrono's `%Y-%m-%d` also accepts unpadded fields, so `2026-2-1` is
/// recorded as is: the same day then has two spellings in signed entries,
/// and an independent verifier comparing strings disagrees.
#[test]
fn unpadded_authority_dates_are_refused() {
    let case = opened_case();
    let c = case.p();
    for (issued, until) in [("2026-2-1", "2026-12-31"), ("2026-02-01", "2026-12-3")] {
        let e = refused(c, || {
            authority_add(
                c,
                LEAD,
                &[
                    "--reference",
                    "TJ-2",
                    "--kind",
                    "court-order",
                    "--issuer",
                    "TJ Lyon",
                    "--jurisdiction",
                    "FR",
                    "--issued",
                    issued,
                    "--valid-until",
                    until,
                    "--scope-all",
                ],
            )
        });
        assert!(e.contains("expected YYYY-MM-DD"), "{e}");
    }
}

/// A transfer received more than 72 hours after it was sent is a custody
/// gap (CUS-GAP) naming both entries; a prompt receipt is not.
#[test]
fn late_receipt_is_a_custody_gap() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let analyst_pub = key_path("analyst.pub");
    age_case(c, 10);
    let sent = hours_ago(5 * 24);
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap(), "--at", &sent],
    );
    let r = record(c, "receipt", &["E1"], ANALYST, &[]);
    let t2 = record(
        c,
        "transfer",
        &["E2"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    record(c, "receipt", &["E2"], ANALYST, &[]);
    let all = finding_objects(c);
    let gaps: Vec<&Value> = all.iter().filter(|f| f["id"] == "CUS-GAP").collect();
    let v = json!(all);
    assert_eq!(gaps.len(), 1, "{v}");
    assert_eq!(gaps[0]["entries"], json!([t, r]));
    assert_eq!(gaps[0]["exhibits"], json!(["E1"]));
    assert!(!gaps[0]["entries"].as_array().unwrap().contains(&json!(t2)));
}

// ---------------------------------------------------------------------------
// Issue 16: custody that survives cross-examination (design custody-v2 §3,
// docs/spec/custody.md §13)
// ---------------------------------------------------------------------------

/// `custodian report CASE --format json`, exit 0.
fn report_json(case: &Path) -> Value {
    let out = custodian()
        .env_remove("SOURCE_DATE_EPOCH")
        .arg("report")
        .arg(case)
        .args(["--format", "json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The human `status` and `log --exhibit` text.
fn text_of(case: &Path, args: &[&str]) -> String {
    let out = custodian().args(args).arg(case).output().unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn unsealing_one_exhibit_of_a_shared_seal_unseals_every_exhibit_under_it() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let seal = record(c, "seal", &["E1", "E2"], LEAD, &["--seal", "BAG-1"]);
    // The writer names E2 too, and says so.
    let out = custody(
        c,
        "unseal",
        &["E1"],
        LEAD,
        &["--seal", "BAG-1", "--reason", "examination"],
    );
    expect_code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("also unsealed (under the same seal): E2"),
        "{stdout}"
    );
    // Two parts of one seal event, two of one unseal event: E1 opened, E2
    // unsealed because it shared the seal.
    let unseal = seal + 2;
    let timeline = log(c, "E2");
    let last = timeline.last().unwrap();
    assert_eq!(last["seq"], unseal + 1);
    let body = &last["entry"]["body"];
    assert_eq!(body["exhibit"], "E2");
    assert_eq!(body["cause"], "shared-seal");
    assert_eq!(body["covers"], 2);
    assert_eq!(body["event"]["part"], 2);
    assert_eq!(body["event"]["of"], 2);
    assert_eq!(
        log(c, "E1").last().unwrap()["entry"]["body"]["cause"],
        "opened"
    );
    let s = status(c);
    for x in ["E1", "E2"] {
        assert_eq!(st(&s, x)["state"], "available", "{x}");
        assert_eq!(st(&s, x)["seal"], Value::Null, "{x}");
    }
    // The seal's life: applied (when, by whom, covering what), broken
    // (when, by whom, for which exhibit).
    let text = text_of(c, &["status"]);
    assert!(
        text.contains(&format!(
            "seal BAG-1: applied {}",
            log(c, "E1")[1]["time"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "by {LEAD_PRINCIPAL} (entry {seal}) covering E1, E2; broken"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("by {LEAD_PRINCIPAL} (entry {unseal}) for E1, E2")),
        "{text}"
    );
    let text = text_of(c, &["log", "--exhibit", "E2"]);
    assert!(text.contains("seal BAG-1: applied"), "{text}");
    assert!(text.contains("now: available"), "{text}");
    verify_clean(c);

    // "Found intact" afterwards is refused; with an override it is a high
    // finding.
    let e = refused_event(
        c,
        "unseal",
        &["E2"],
        LEAD,
        &["--seal", "BAG-1", "--reason", "found intact"],
    );
    assert!(e.contains("--override REASON"), "{e}");
    let again = record(
        c,
        "unseal",
        &["E2"],
        LEAD,
        &[
            "--seal",
            "BAG-1",
            "--reason",
            "found intact",
            "--override",
            "entered from the bag label",
        ],
    );
    let fs = finding_objects(c);
    let rules: Vec<&str> = fs
        .iter()
        .map(|f| f["message"].as_str().unwrap().rsplit('[').next().unwrap())
        .collect();
    assert_eq!(rules, ["CUS-STATE]", "CUS-SEAL-BROKEN]"], "{fs:#?}");
    assert!(fs.iter().all(|f| f["id"] == "CUS-OVERRIDE"
        && f["severity"] == "high"
        && f["entries"] == json!([again])));
    // A seal id is used once.
    let e = refused_event(c, "seal", &["E1"], LEAD, &["--seal", "BAG-1"]);
    assert!(e.contains("[CUS-SEAL-REUSED]"), "{e}");
    record(c, "seal", &["E1"], LEAD, &["--seal", "BAG-2"]);
}

#[test]
fn an_old_ledger_with_a_seal_broken_for_one_exhibit_shows_the_other_unsealed() {
    // As custodian 0.1 wrote it (format version 1): one seal entry for
    // both, and the unseal names E1 only.
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    as_version_1(c);
    let seal = forge(
        c,
        LEAD,
        "custody.seal",
        json!({"exhibits": ["E1", "E2"], "seal": "BAG-1"}),
    );
    let unseal = forge(
        c,
        LEAD,
        "custody.unseal",
        json!({"exhibits": ["E1"], "seal": "BAG-1", "reason": "examination"}),
    );
    // Still valid (design principle 2), with a medium finding on E2.
    assert_eq!(
        findings(c),
        vec![(
            "CUS-SEAL-SHARED".to_string(),
            vec![seal, unseal],
            strings(&["E2"])
        )]
    );
    let f = &finding_objects(c)[0];
    assert_eq!(f["severity"], "medium");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("E2 is no longer sealed"),
        "{f}"
    );
    let s = status(c);
    assert_eq!(st(&s, "E2")["state"], "available");
    assert_eq!(st(&s, "E2")["seal"], Value::Null);
    assert_eq!(st(&s, "E2")["seal_broken_at"], unseal);
    assert_eq!(st(&s, "E2")["findings"], 1);
    let seqs: Vec<u64> = log(c, "E2")
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.last(), Some(&unseal), "E2's log shows its bag opened");
    let text = text_of(c, &["log", "--exhibit", "E2"]);
    assert!(text.contains("now: available"), "{text}");
    assert!(text.contains("; broken"), "{text}");
    let text = text_of(c, &["status"]);
    assert!(text.contains("[CUS-SEAL-SHARED]"), "{text}");
    // The report: E2 not sealed, the unseal in its timeline, the finding.
    let r = report_json(c);
    let e2 = r["exhibits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "E2")
        .unwrap_or_else(|| panic!("{:#}", r["exhibits"]));
    assert_eq!(e2["state"], "available", "{e2:#}");
    assert_eq!(e2["seal"], Value::Null, "{e2:#}");
    let t = r["timelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["exhibit"] == "E2")
        .unwrap();
    assert_eq!(
        t["events"].as_array().unwrap().last().unwrap()["entry"],
        unseal
    );
    assert!(r["summary"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "CUS-SEAL-SHARED"));
}

#[test]
fn a_seal_needs_an_id() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    for blank in ["", "   "] {
        let e = refused_event(c, "seal", &["E1"], LEAD, &["--seal", blank]);
        assert!(e.contains("a seal needs a non-blank id"), "{e}");
        let e = refused_event(
            c,
            "seal",
            &["E1"],
            LEAD,
            &["--seal", blank, "--override", "no bag"],
        );
        assert!(e.contains("a seal needs a non-blank id"), "{e}");
    }
}

#[test]
fn events_dated_before_the_exhibit_or_far_ahead_are_refused_unless_overridden() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    let before = hours_ago(2);
    let e = refused_event(
        c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "safe", "--at", &before],
    );
    assert!(e.contains("[CUS-TIME]"), "{e}");
    assert!(e.contains("before the case was opened"), "{e}");
    let early = record(
        c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "safe", "--at", &before, "--override", "clock"],
    );
    let ahead = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    let e = refused_event(
        c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "safe", "--at", &ahead],
    );
    assert!(e.contains("[CUS-FUTURE]"), "{e}");
    let fs = finding_objects(c);
    assert_eq!(
        findings(c),
        vec![("CUS-OVERRIDE".to_string(), vec![early], strings(&["E1"]))]
    );
    assert!(fs[0]["message"].as_str().unwrap().ends_with("[CUS-TIME]"));
    assert_eq!(fs[0]["severity"], "high");
}

#[test]
fn without_a_covering_authority_none_is_cited() {
    // No authority registered: an analysis given none is refused as before.
    let case = case_with(None, None);
    let c = case.p();
    expect_code(
        &acquire_out(c, "E1", LEAD, &["--override", "urgent"], LAPTOP),
        0,
    );
    let e = refused_event(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &["--tool", "T", "--tool-version", "1", "--description", "d"],
    );
    assert!(e.contains("no legal authority is cited"), "{e}");
    // A seal (which needs none) cites none either.
    let out = custody(c, "seal", &["E1"], LEAD, &["--seal", "B-1"]);
    expect_code(&out, 0);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("authority:"));
    assert_eq!(
        log(c, "E1").last().unwrap()["entry"]["body"].get("authority"),
        None
    );
}

#[test]
fn fail_on_gates_ci_on_custody_findings() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let analyst_pub = key_path("analyst.pub");
    // An open transfer (CUS-TRANSIT, high) and an override (CUS-OVERRIDE,
    // high).
    let t = record(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    let o = record(
        c,
        "check-out",
        &["E2"],
        ANALYST,
        &["--purpose", "x", "--override", "lead away"],
    );
    let expect = |args: &[&str], code: i32| {
        let (exit, v) = verify_json(c, args);
        assert_eq!(exit, code, "{args:?}: {v:#}");
        assert_eq!(v["result"], if code == 0 { "valid" } else { "invalid" });
        v
    };
    // Plain verify (and --fail-on error): the ledger is as recorded.
    let v = expect(&[], 0);
    assert_eq!(v["fail_on"], "error");
    let fs = v["findings"].as_array().unwrap();
    assert_eq!(fs.len(), 2, "{v:#}");
    assert!(fs
        .iter()
        .all(|f| f["gating"] == false && f["severity"] == "high"));
    expect(&["--fail-on", "error"], 0);
    // --fail-on high (and stricter) fails on both, and says which.
    for level in ["high", "medium", "low", "warning"] {
        let v = expect(&["--fail-on", level], 1);
        assert_eq!(v["fail_on"], level);
        assert_eq!(v["errors"], 0);
        let gating: Vec<(String, u64)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["gating"] == true)
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["entries"][0].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            gating,
            [
                ("CUS-OVERRIDE".to_string(), o),
                ("CUS-TRANSIT".to_string(), t)
            ],
            "{level}"
        );
    }
    // --strict is --fail-on warning: it now fails on findings too.
    let v = expect(&["--strict"], 1);
    assert_eq!(v["fail_on"], "warning");
    // The human output names what failed the run.
    let out = custodian()
        .arg("verify")
        .arg(c)
        .args(["--fail-on", "high"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("finding: [CUS-TRANSIT] (high)"), "{text}");
    assert!(
        text.contains("result:  FAILED: 2 finding(s) at or above --fail-on high"),
        "{text}"
    );
    let e = custodian()
        .arg("verify")
        .arg(c)
        .args(["--fail-on", "severe"])
        .output()
        .unwrap();
    expect_code(&e, 2);
}

#[test]
fn fail_on_medium_but_not_high_for_a_shared_seal() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    as_version_1(c);
    forge(
        c,
        LEAD,
        "custody.seal",
        json!({"exhibits": ["E1", "E2"], "seal": "BAG-1"}),
    );
    forge(
        c,
        LEAD,
        "custody.unseal",
        json!({"exhibits": ["E1"], "seal": "BAG-1", "reason": "examination"}),
    );
    assert_eq!(verify_json(c, &["--fail-on", "high"]).0, 0);
    let (code, v) = verify_json(c, &["--fail-on", "medium"]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["findings"][0]["id"], "CUS-SEAL-SHARED");
    assert_eq!(v["findings"][0]["severity"], "medium");
    assert_eq!(v["findings"][0]["gating"], true);
}

#[test]
fn an_event_cut_short_by_a_crash_is_named_and_repair_moves_it_aside() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    let before = ledger_bytes(c);
    let seal = record(c, "seal", &["E1", "E2"], LEAD, &["--seal", "BAG-9"]);
    // A crash after part 1 reached the disk, before part 2.
    let bytes = ledger_bytes(c);
    let lines = split_lines(&bytes);
    let part1 = lines[seal as usize].clone();
    std::fs::write(ledger_of(c), join_lines(&lines[..=seal as usize])).unwrap();
    let (exit, v) = verify_json(c, &[]);
    assert_eq!(exit, 1, "{v:#}");
    assert_eq!(errors(&v), vec![("event-torn".to_string(), Some(seal))]);
    // A writer refuses to extend it …
    let e = refused_event(c, "location", &["E1"], LEAD, &["--location", "x"]);
    assert!(e.contains("event-torn"), "{e}");
    // … until repair moves the cut event aside, nothing deleted.
    let out = custodian().arg("repair").arg(c).output().unwrap();
    expect_code(&out, 0);
    assert_eq!(ledger_bytes(c), before);
    let side: Vec<_> = std::fs::read_dir(c.join("recovered"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(side, vec![[part1, b"\n".to_vec()].concat()]);
    verify_clean(c);
}

#[test]
fn version_2_parts_are_consecutive_and_chained() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    acquire(c, "E2", USB);
    record(c, "seal", &["E1", "E2"], LEAD, &["--seal", "BAG-3"]);
    let bytes = ledger_bytes(c);
    let lines = split_lines(&bytes);
    let n = lines.len();
    // Swapping the two parts breaks the order of the event.
    let mut swapped = lines.clone();
    swapped.swap(n - 2, n - 1);
    let dir = tempfile::tempdir().unwrap();
    let other = write_case(dir.path(), &join_lines(&swapped));
    let (exit, v) = verify_json(&other, &[]);
    assert_eq!(exit, 1, "{v:#}");
    assert!(errors(&v).iter().any(|(c, _)| c == "seq-mismatch"), "{v:#}");
    // A forged entry whose prior is not the exhibit's last entry.
    let seq = forge(
        c,
        LEAD,
        "custody.location",
        json!({"exhibits": ["E1"], "location": "room 4"}),
    );
    verify_clean(c);
    let bytes = ledger_bytes(c);
    let mut lines = split_lines(&bytes);
    lines.pop();
    std::fs::write(ledger_of(c), join_lines(&lines)).unwrap();
    let mut body = as_part(
        c,
        "custody.location",
        json!({"exhibits": ["E1"], "location": "room 4"}),
    );
    body["prior"] = Value::from(entry_hash(&lines[2]).to_hex());
    let again = forge_raw(c, LEAD, "custody.location", body);
    assert_eq!(again, seq);
    let v = verify_rejects(c, "prior-mismatch", seq);
    assert!(v["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("previous entry concerning exhibit E1"));
}

#[test]
fn the_opening_authority_is_recorded_as_stated_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("case");
    let yesterday = day(-1);
    custodian()
        .arg("init")
        .arg(&c)
        .args(["--case-id", "FR-LYON-2026-0042", "--title", "Seized laptop"])
        .args(["--jurisdiction", "FR", "--authority", WARRANT])
        .args(["--authority-kind", "search-warrant"])
        .args(["--authority-issuer", "Tribunal judiciaire de Lyon"])
        .args(["--authority-issued", &day(-10)])
        .args(["--authority-valid-until", &yesterday])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    let entry0: Value = serde_json::from_slice(&split_lines(&ledger_bytes(&c))[0]).unwrap();
    let d = &entry0["body"]["authority_details"];
    assert_eq!(d["kind"], "search-warrant");
    assert_eq!(d["issuer"], "Tribunal judiciaire de Lyon");
    assert_eq!(d["valid_until"], yesterday.as_str());
    assert!(d.get("valid_from").is_none(), "nothing invented: {d}");
    // The rules apply what was stated: it expired yesterday.
    let out = custodian()
        .arg("acquire")
        .arg(&c)
        .args(["--exhibit", "E1", "--authority", WARRANT, "-q"])
        .arg("--key")
        .arg(key_path(LEAD))
        .arg(root().join(LAPTOP))
        .output()
        .unwrap();
    expect_code(&out, 2);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("AUT-EXPIRED"), "{e}");
    // The report shows what was stated, and "not stated" for the rest.
    let v = report_json(&c);
    let a = &v["case"]["authorities"][0];
    assert_eq!(a["kind"], "search-warrant");
    assert_eq!(a["issuer"], "Tribunal judiciaire de Lyon");
    assert_eq!(a["jurisdiction"], Value::Null);
    // A kind that is not a kind is refused before anything is written.
    let bad = dir.path().join("bad");
    let out = custodian()
        .arg("init")
        .arg(&bad)
        .args(["--case-id", "X", "--title", "t", "--authority", WARRANT])
        .args(["--authority-kind", "hunch"])
        .arg("--key")
        .arg(key_path(LEAD))
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(!bad.join("ledger.jsonl").exists());
}

#[test]
fn the_case_policy_sets_the_clock_skew_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("case");
    custodian()
        .arg("init")
        .arg(&c)
        .args([
            "--case-id",
            "X-1",
            "--title",
            "t",
            "--authority-policy",
            "off",
        ])
        .args(["--clock-skew", "3600"])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    let entry0: Value = serde_json::from_slice(&split_lines(&ledger_bytes(&c))[0]).unwrap();
    assert_eq!(entry0["body"]["policy"]["clock_skew_seconds"], 3600);
    acquire(&c, "E1", LAPTOP);
    // Half an hour ahead is within the hour the case allows …
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    record(
        &c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "a", "--at", &soon],
    );
    // … two hours is not.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let e = refused_event(
        &c,
        "location",
        &["E1"],
        LEAD,
        &["--location", "b", "--at", &later],
    );
    assert!(
        e.contains("[CUS-FUTURE]") && e.contains("the case allows 3600"),
        "{e}"
    );
    let v = report_json(&c);
    assert_eq!(v["case"]["clock_skew"], "3600 seconds (stated in entry 0)");
    // More than a day is refused at init.
    let out = custodian()
        .arg("init")
        .arg(dir.path().join("wide"))
        .args(["--case-id", "X-2", "--title", "t", "--clock-skew", "86401"])
        .arg("--key")
        .arg(key_path(LEAD))
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 86400"));
}

#[test]
fn an_authority_without_a_stated_first_day_records_none_and_applies_the_issue_date() {
    let case = opened_case();
    let c = case.p();
    let issued = day(-3);
    let out = authority_add(
        c,
        LEAD,
        &[
            "--reference",
            "ORD-7",
            "--kind",
            "court-order",
            "--issuer",
            "TJ Lyon",
            "--jurisdiction",
            "FR",
            "--issued",
            &issued,
            "--scope-all",
        ],
    );
    expect_code(&out, 0);
    let last = split_lines(&ledger_bytes(c)).pop().unwrap();
    let e: Value = serde_json::from_slice(&last).unwrap();
    assert_eq!(e["type"], "authority.register");
    assert!(
        e["body"].get("valid_from").is_none(),
        "nothing invented: {e}"
    );
    // The report says it was not stated, and what the rules apply.
    let v = report_json(c);
    let a = v["case"]["authorities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["reference"] == "ORD-7")
        .unwrap()
        .clone();
    assert_eq!(a["valid_from"], Value::Null);
    let md = custodian()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["report"])
        .arg(c)
        .args(["--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains(&format!(
            "not stated (the rules apply the issue date: from {issued}, no end date)"
        )),
        "{md}"
    );
    // An acquisition dated before the issue date is not covered by it.
    acquire(c, "E1", LAPTOP);
    let early = hours_ago(24 * 5);
    let e = refused_event(
        c,
        "analysis",
        &["E1"],
        LEAD,
        &[
            "--tool",
            "t",
            "--tool-version",
            "1",
            "--description",
            "d",
            "--authority",
            "ORD-7",
            "--at",
            &early,
        ],
    );
    assert!(
        e.contains("AUT-EXPIRED") || e.contains("is valid from"),
        "{e}"
    );
}

#[test]
fn a_transfer_names_the_receiver_by_principal_and_key() {
    let case = opened_case();
    let c = case.p();
    acquire(c, "E1", LAPTOP);
    let analyst_pub = key_path("analyst.pub");
    let out = custody(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", analyst_pub.to_str().unwrap()],
    );
    expect_code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "E1 transferred to {ANALYST_PRINCIPAL} ({})",
            fp(ANALYST)
        )),
        "{stdout}"
    );
}

#[test]
fn a_single_file_exhibit_is_shown_by_its_own_path() {
    let case = opened_case();
    let c = case.p();
    let file = "fixtures/sample/usb-stick/wallet.dat";
    acquire(c, "E1", file);
    let out = custodian()
        .args(["show"])
        .arg(c)
        .args(["--exhibit", "E1"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!(" {file}\n")), "{text}");
    assert!(!text.contains(&format!("{file}/.")), "{text}");
    let v = report_json(c);
    let rows = v["exhibits"][0]["file_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rows.iter().any(|r| r["path"] == file),
        "{}",
        v["exhibits"][0]
    );
}

/// A refusal for an authority that does not cover names the registered
/// ones that would, before the override.
#[test]
fn an_authority_refusal_names_the_authorities_that_would_cover() {
    let case = case_with(None, None);
    let c = case.p();
    register(c, "TJ-1", &["--scope-exhibit", "E1"]);
    register(c, "TJ-ALL", &["--scope-all"]);
    let e = refused(c, || {
        acquire_out(c, "E3", LEAD, &["--authority", "TJ-1"], USB)
    });
    assert!(
        e.contains("authority TJ-1 does not cover exhibit E3"),
        "{e}"
    );
    let fix = e
        .find("cite a registered authority that covers it: \"TJ-ALL\"")
        .unwrap_or_else(|| panic!("no covering authority named: {e}"));
    assert!(!e.contains("\"TJ-1\" or"), "TJ-1 does not cover E3: {e}");
    assert!(fix < e.find("--override REASON").unwrap(), "{e}");
}

/// A receiver with a recorded name is shown by principal, name and key
/// (issue 22 item 4).
#[test]
fn a_transfer_names_the_receiver_by_recorded_name_too() {
    let case = opened_case();
    let c = case.p();
    custodian()
        .args(["signer", "add"])
        .arg(c)
        .arg("--pubkey")
        .arg(key_path("intruder.pub"))
        .args(["--principal", "i.duarte@pj.lisboa.example"])
        .args(["--role", "evidence-officer", "--name", "Inês Duarte"])
        .arg("--key")
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    acquire(c, "E1", LAPTOP);
    let receiver = key_path("intruder.pub");
    let out = custody(
        c,
        "transfer",
        &["E1"],
        LEAD,
        &["--to", receiver.to_str().unwrap()],
    );
    expect_code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "E1 transferred to i.duarte@pj.lisboa.example (Inês Duarte, {})",
            fp("intruder")
        )),
        "{stdout}"
    );
}
