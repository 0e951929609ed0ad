//! Hostile input and resource bounds (issue 11): ledgers, manifests and hash
//! lists built to exhaust memory, stack or time. Each is fed to the real
//! binary under an address-space cap (`ulimit -v`, 4 GB) and a timeout; the
//! command must end with a clear problem or error (exit 1 or 2), never
//! panic, abort, or be killed. The time and peak RSS (`/usr/bin/time -f %M`)
//! of each run are printed on stderr (`--nocapture`) and recorded in
//! docs/reliability.md.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// Address-space cap for every run, in KiB (`ulimit -v`).
const VMEM_CAP_KB: u64 = 4_000_000;
/// Wall-clock limit for every run, in seconds.
const TIMEOUT_S: u64 = 120;

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    peak_rss_kb: u64,
    seconds: f64,
}

/// Runs the binary with `args` under the caps; `stdout_to` keeps a large
/// output out of the test's memory.
fn capped(what: &str, args: &[&std::ffi::OsStr]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let time_out = dir.path().join("time");
    let mut script = format!(
        "ulimit -v {VMEM_CAP_KB}; exec /usr/bin/time -o '{}' -f '%M %e' timeout -s KILL {TIMEOUT_S} '{}'",
        time_out.display(),
        env!("CARGO_BIN_EXE_custodian")
    );
    for (i, _) in args.iter().enumerate() {
        script.push_str(&format!(" \"${}\"", i + 1));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg("sh")
        .args(args)
        .output()
        .unwrap();
    let time = std::fs::read_to_string(&time_out).unwrap_or_default();
    // /usr/bin/time prints "Command exited with non-zero status N" first.
    let last = time.lines().last().unwrap_or("0 0").to_string();
    let mut it = last.split_whitespace();
    let peak_rss_kb = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let seconds = it.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!(
        "hostile {what}: exit {code}, {seconds:.2} s, peak RSS {} MB, stdout {} bytes, stderr: {}",
        peak_rss_kb / 1024,
        out.stdout.len(),
        stderr
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>()
    );
    Run {
        code,
        stdout: out.stdout,
        stderr,
        peak_rss_kb,
        seconds,
    }
}

/// The run ended by itself with exit 1 or 2, without a panic or abort.
fn assert_clean_failure(what: &str, run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("memory allocation"),
        "{what}: {}",
        run.stderr
    );
    assert!(
        matches!(run.code, 1 | 2),
        "{what}: exit {} (137 = killed by the timeout, 134 = abort); stderr {}",
        run.code,
        run.stderr
    );
    assert!(run.seconds < TIMEOUT_S as f64);
    assert!(run.peak_rss_kb < VMEM_CAP_KB);
}

/// `custodian verify CASE --json` on the fixture ledger followed by `extra`
/// (one or more hostile lines); returns the run and the parsed report.
fn verify_hostile(what: &str, extra: &[u8]) -> (Run, Option<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fixture_bytes();
    bytes.extend_from_slice(extra);
    let case = write_case(dir.path(), &bytes);
    drop(bytes);
    let run = capped(
        what,
        &["verify".as_ref(), case.as_os_str(), "--json".as_ref()],
    );
    assert_clean_failure(what, &run);
    let v = serde_json::from_slice::<Value>(&run.stdout).ok();
    (run, v)
}

/// The error codes of a verify report.
fn codes(v: &Value) -> Vec<String> {
    errors(v).into_iter().map(|(c, _)| c).collect()
}

const FIXTURE_ENTRIES: u64 = 6;

#[test]
fn hundred_megabyte_garbage_line() {
    let mut extra = vec![b'A'; 100 << 20];
    extra.push(b'\n');
    let (run, v) = verify_hostile("100 MB garbage line", &extra);
    assert_eq!(run.code, 1);
    let v = v.expect("one JSON report");
    assert_eq!(
        errors(&v),
        vec![("malformed-json".into(), Some(FIXTURE_ENTRIES))]
    );
}

#[test]
fn hundred_megabyte_note_text() {
    // A well-formed, canonical note whose text is 100 MB (its signature
    // cannot match: the line was built by hand).
    let lines = fixture_lines();
    let last = lines.last().unwrap();
    let e = note_entry(FIXTURE_ENTRIES, last, 30, "x");
    let mut entry = serde_json::to_value(&e).unwrap();
    entry["body"]["text"] = Value::String("N".repeat(100 << 20));
    entry["sig"] = Value::String(parse_entry(last).sig.unwrap());
    let mut extra = custodian::ledger::canonical(&entry);
    drop(entry);
    extra.push(b'\n');
    let (run, v) = verify_hostile("100 MB note text", &extra);
    assert_eq!(run.code, 1);
    let v = v.expect("one JSON report");
    assert_eq!(
        errors(&v),
        vec![("bad-signature".into(), Some(FIXTURE_ENTRIES))]
    );
}

#[test]
fn deeply_nested_json_body() {
    let mut extra = br#"{"body":{"text":"#.to_vec();
    extra.extend(std::iter::repeat_n(b'[', 100_000));
    extra.extend(std::iter::repeat_n(b']', 100_000));
    extra.extend_from_slice(b"}}\n");
    let (run, v) = verify_hostile("100,000 nested [ in a body", &extra);
    assert_eq!(run.code, 1);
    let v = v.expect("one JSON report");
    assert_eq!(
        errors(&v),
        vec![("malformed-json".into(), Some(FIXTURE_ENTRIES))]
    );
}

#[test]
fn nul_bytes_raw_and_escaped() {
    // Raw NUL bytes: not JSON.
    let (run, v) = verify_hostile("raw NUL bytes", b"{\"v\":1,\0\0\0\"seq\":6}\n");
    assert_eq!(run.code, 1);
    assert_eq!(codes(&v.unwrap()), vec!["malformed-json".to_string()]);
    // An escaped NUL in a note: valid JSON; canonical; the signature fails.
    let lines = fixture_lines();
    let e = note_entry(FIXTURE_ENTRIES, lines.last().unwrap(), 30, "a\u{0}b");
    let mut line = signed_line(e, &key("lead"));
    line = edit_json(&line, |v| {
        v["body"]["text"] = Value::String("a\u{0}c".into())
    });
    line.push(b'\n');
    let (run, v) = verify_hostile("escaped NUL in a note", &line);
    assert_eq!(run.code, 1);
    assert_eq!(codes(&v.unwrap()), vec!["bad-signature".to_string()]);
}

#[test]
fn invalid_utf8_in_the_ledger() {
    let lines = fixture_lines();
    let e = note_entry(FIXTURE_ENTRIES, lines.last().unwrap(), 30, "caf\u{e9}");
    let line = signed_line(e, &key("lead"));
    // Replace the two bytes of "é" (C3 A9) by invalid UTF-8 (FF FE).
    let pos = line.windows(2).position(|w| w == [0xc3, 0xa9]).unwrap();
    let mut bad = line.clone();
    bad[pos] = 0xff;
    bad[pos + 1] = 0xfe;
    bad.push(b'\n');
    let (run, v) = verify_hostile("invalid UTF-8 in a line", &bad);
    assert_eq!(run.code, 1);
    assert_eq!(codes(&v.unwrap()), vec!["malformed-json".to_string()]);
}

#[test]
fn a_hundred_thousand_tiny_garbage_lines() {
    let extra = b"x\n".repeat(100_000);
    let (run, v) = verify_hostile("100,000 garbage lines", &extra);
    assert_eq!(run.code, 1);
    let errs = errors(&v.expect("one JSON report"));
    assert!(!errs.is_empty());
    // At most 1,000 listed, then one summary problem counting the rest.
    assert!(errs.len() <= 1001, "{} problems listed", errs.len());
    assert!(errs
        .iter()
        .all(|(c, _)| c == "malformed-json" || c == "too-many-problems"));
    assert!(errs.iter().any(|(c, _)| c == "too-many-problems"));
}

/// A 2 MB ledger of 1,000,000 garbage lines once made `verify --json`
/// report one problem per line (1.7 GB peak RSS, a 153 MB report). Problems
/// are now capped at 1,000 plus one `too-many-problems` summary.
#[test]
fn a_million_tiny_garbage_lines() {
    let extra = b"x\n".repeat(1_000_000);
    let (run, v) = verify_hostile("1,000,000 garbage lines", &extra);
    assert_eq!(run.code, 1);
    let errs = errors(&v.expect("one JSON report"));
    assert!(errs
        .iter()
        .all(|(c, _)| c == "malformed-json" || c == "too-many-problems"));
    eprintln!("  {} error problems reported", errs.len());
    assert!(
        run.stdout.len() < 1 << 20,
        "report of {} bytes",
        run.stdout.len()
    );
    assert!(
        run.peak_rss_kb < 256 * 1024,
        "peak RSS {} KB",
        run.peak_rss_kb
    );
}

/// A manifest taken from a real acquisition, with one record's path
/// replaced by `path`; returns the file.
fn hostile_manifest(dir: &Path, path: &str) -> std::path::PathBuf {
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("f"), b"evidence\n").unwrap();
    let out = custodian()
        .args(["hash", "-r", "--format", "json"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut lines = split_lines(&out.stdout);
    let i = lines
        .iter()
        .position(|l| parse_json(l)["path"] == "f")
        .expect("a record for f");
    lines[i] = edit_json(&lines[i], |v| v["path"] = Value::String(path.into()));
    let file = dir.join("hostile.jsonl");
    std::fs::write(&file, join_lines(&lines)).unwrap();
    file
}

fn parse_json(line: &[u8]) -> Value {
    serde_json::from_slice(line).unwrap_or(Value::Null)
}

#[test]
fn manifest_record_with_a_ten_megabyte_path() {
    let dir = tempfile::tempdir().unwrap();
    let long = "d/".repeat(5 << 20);
    let manifest = hostile_manifest(dir.path(), &long);
    // A sha256sum-style list holding the same 10 MB path.
    let list = dir.path().join("partner.sha256");
    std::fs::write(&list, format!("{}  {long}\n", "0".repeat(64))).unwrap();
    let run = capped(
        "diff of a manifest with a 10 MB path",
        &["diff".as_ref(), manifest.as_os_str(), list.as_os_str()],
    );
    assert_clean_failure("diff 10 MB path", &run);
}
