//! Hostile input and resource bounds (issue 11): ledgers, manifests and hash
//! lists built to exhaust memory, stack or time. Each is fed to the real
//! binary under an address-space cap (`ulimit -v`, 4 GB) and a timeout; the
//! command must end with a clear problem or error (exit 1 or 2), never
//! panic, abort, or be killed. The time and peak RSS (`/usr/bin/time -f %M`)
//! of each run are printed on stderr (`--nocapture`) and recorded in
//! docs/engineering/reliability.md.

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

/// Writes `head`, then a line of `len` bytes of `fill` (streamed, so the
/// test itself stays small), then a newline.
fn write_long_line(file: &Path, head: &[u8], prefix: &[u8], fill: &[u8], len: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(file).unwrap());
    f.write_all(head).unwrap();
    f.write_all(prefix).unwrap();
    let chunk = fill.repeat((1 << 20) / fill.len());
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.write_all(b"\"}\n").unwrap();
    f.flush().unwrap();
}

/// A manifest whose second line holds a 100 MB path: refused after reading
/// at most `MAX_LINE_BYTES` (1 MiB) of it, with an error naming the file and
/// the line; memory stays far below the line's size.
#[test]
fn manifest_record_with_a_hundred_megabyte_path() {
    let dir = tempfile::tempdir().unwrap();
    let good = hostile_manifest(dir.path(), "f");
    let header = split_lines(&std::fs::read(&good).unwrap()).remove(0);
    let mut head = header;
    head.push(b'\n');
    let manifest = dir.path().join("huge-path.jsonl");
    write_long_line(&manifest, &head, b"{\"path\":\"", b"d/", 100 << 20);
    let list = dir.path().join("partner.sha256");
    std::fs::write(&list, format!("{}  f\n", "0".repeat(64))).unwrap();
    let run = capped(
        "diff of a manifest with a 100 MB path",
        &["diff".as_ref(), manifest.as_os_str(), list.as_os_str()],
    );
    assert_clean_failure("diff 100 MB manifest path", &run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{}: line 2:", manifest.display()))
            && run.stderr.contains("line longer than 1048576 bytes"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.peak_rss_kb < 64 << 10,
        "peak RSS {} KB",
        run.peak_rss_kb
    );
}

/// The same bound for the other tools' lists: a sha256sum-style list whose
/// third line is 100 MB long.
#[test]
fn sum_list_with_a_hundred_megabyte_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = hostile_manifest(dir.path(), "f");
    let list = dir.path().join("partner.sha256");
    let head = format!("{0}  a\n{0}  b\n{0}  ", "0".repeat(64));
    write_long_line(&list, head.as_bytes(), b"", b"x", 100 << 20);
    let run = capped(
        "diff of a sum list with a 100 MB line",
        &["diff".as_ref(), good.as_os_str(), list.as_os_str()],
    );
    assert_clean_failure("diff 100 MB sum line", &run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}:3:", list.display()))
            && run.stderr.contains("line longer than 1048576 bytes"),
        "{}",
        run.stderr
    );
    assert!(
        run.peak_rss_kb < 64 << 10,
        "peak RSS {} KB",
        run.peak_rss_kb
    );
}

/// A manifest record nested 100,000 arrays deep: serde_json's depth limit
/// (128) refuses it with an error naming the file and line.
#[test]
fn deeply_nested_manifest_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = hostile_manifest(dir.path(), "f");
    let mut lines = split_lines(&std::fs::read(&good).unwrap());
    lines.truncate(1);
    lines.push(format!("{{\"path\":{}", "[".repeat(100_000)).into_bytes());
    let manifest = dir.path().join("nested.jsonl");
    std::fs::write(&manifest, join_lines(&lines)).unwrap();
    let list = dir.path().join("partner.sha256");
    std::fs::write(&list, format!("{}  f\n", "0".repeat(64))).unwrap();
    let run = capped(
        "diff of a manifest nested 100,000 deep",
        &["diff".as_ref(), manifest.as_os_str(), list.as_os_str()],
    );
    assert_clean_failure("nested manifest", &run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The typed record refuses the first `[` where a string belongs, so
    // the parser never recurses (serde_json's depth limit, 128, would
    // stop it otherwise).
    assert!(
        run.stderr
            .contains(&format!("{}: line 2: invalid JSON", manifest.display())),
        "{}",
        run.stderr
    );
}

/// Checkpoints are read whole, so their size is capped (1 MiB, 100
/// signature lines): a larger file is refused before it is parsed, as a
/// `checkpoint-malformed` problem (exit 1, like any checkpoint that does
/// not hold).
#[test]
fn oversized_checkpoint_and_too_many_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let good = std::fs::read_to_string(root().join("fixtures/merkle/checkpoint-6.txt")).unwrap();
    let sig = good.lines().last().unwrap().to_string();
    let big = dir.path().join("big.txt");
    std::fs::write(&big, format!("{good}{}\n", "x".repeat(2 << 20))).unwrap();
    let run = capped(
        "verify --expect-checkpoint of a 2 MiB checkpoint",
        &[
            "verify".as_ref(),
            case.as_os_str(),
            "--expect-checkpoint".as_ref(),
            big.as_os_str(),
        ],
    );
    assert_clean_failure("2 MiB checkpoint", &run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("[checkpoint-malformed]")
            && out.contains("big.txt: 2097366 bytes is too large"),
        "{out}"
    );
    let many = dir.path().join("many.txt");
    std::fs::write(&many, format!("{good}{}", format!("{sig}\n").repeat(101))).unwrap();
    let run = capped(
        "verify --expect-checkpoint with 102 signature lines",
        &[
            "verify".as_ref(),
            case.as_os_str(),
            "--expect-checkpoint".as_ref(),
            many.as_os_str(),
        ],
    );
    assert_clean_failure("102 signatures", &run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("many.txt: line 105: more than 100 signatures"),
        "{out}"
    );
}

/// Proof files are capped at 1 MiB (a proof for 2^64 entries is 64
/// hashes): a larger file is not a proof, an operational error, exit 2
/// (docs/guide/ci.md, "Exit codes"), and it is never read whole.
#[test]
fn oversized_proof_file() {
    let dir = tempfile::tempdir().unwrap();
    let proof = std::fs::read_to_string(root().join("fixtures/merkle/inclusion-2-6.json")).unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, format!("{proof}{}", " ".repeat(2 << 20))).unwrap();
    let run = capped(
        "verify-proof of a 2 MiB proof",
        &["verify-proof".as_ref(), big.as_os_str()],
    );
    assert_clean_failure("2 MiB proof", &run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("big.json: not a custodian proof: larger than 1 MiB"),
        "{}",
        run.stderr
    );
}

/// A public key, an endless device or a large file given as `--key` is
/// named for what it is in one line (issue 17 item 12), never read without
/// bound and never reported as a PEM parser's complaint.
#[test]
fn wrong_kinds_of_key_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    // A copy of the lead key pair, so "beside it" can be checked.
    let private = dir.path().join("jdoe");
    std::fs::copy(key_path("lead"), &private).unwrap();
    std::fs::copy(key_path("lead.pub"), dir.path().join("jdoe.pub")).unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'A'; 200_000]).unwrap();
    let init = |key: &Path| {
        let out = custodian()
            .arg("init")
            .arg(&case)
            .args(["--case-id", "C-1", "--title", "t"])
            .arg("--key")
            .arg(key)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = init(&dir.path().join("jdoe.pub"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is a public key"), "{err}");
    assert!(err.contains(&private.display().to_string()), "{err}");
    assert!(!err.contains("PEM"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let (code, err) = init(Path::new("/dev/zero"));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("not a key file"),
        "{err}"
    );
    let (code, err) = init(&big);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a key file"), "{err}");
    assert!(!case.join("ledger.jsonl").exists());
}

/// A case folder that passed through hostile hands (issue 17 item 3): a
/// manifest replaced by a FIFO or by a link to an endless device, the
/// ledger itself a FIFO, a `manifests` folder that is a link out of the
/// case. Every command ends promptly with a clear problem, reads nothing
/// through a link, and writes nothing outside the case.
#[test]
fn hostile_case_folder_files_never_hang_or_lead_outside() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("a.txt"), b"a").unwrap();
    let key = key_path("lead");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("timeout")
            .arg("30")
            .arg(env!("CARGO_BIN_EXE_custodian"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let c = case.as_os_str();
    let (code, out) = run(&[
        &os("init"),
        c,
        &os("--case-id"),
        &os("C-1"),
        &os("--title"),
        &os("t"),
        &os("--authority"),
        &os("W-1"),
        &os("--key"),
        key.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&[
        &os("acquire"),
        c,
        &os("--exhibit"),
        &os("EXH-1"),
        &os("--authority"),
        &os("W-1"),
        &os("-q"),
        &os("--key"),
        key.as_os_str(),
        ev.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    let manifest = case.join("manifests/EXH-1.jsonl");
    let saved = std::fs::read(&manifest).unwrap();
    let commands: [&[&str]; 4] = [
        &["verify"],
        &["show", "--exhibit", "EXH-1"],
        &["report", "--format", "json"],
        &["verify", "--evidence", "EXH-1="],
    ];
    let replace = |how: &str| {
        std::fs::remove_file(&manifest).ok();
        match how {
            "fifo" => {
                let status = Command::new("mkfifo").arg(&manifest).status().unwrap();
                assert!(status.success());
            }
            _ => std::os::unix::fs::symlink("/dev/zero", &manifest).unwrap(),
        }
    };
    for how in ["fifo", "link to /dev/zero"] {
        replace(how);
        for args in commands {
            let mut full: Vec<std::ffi::OsString> = vec![os(args[0]), case.clone().into()];
            for a in &args[1..] {
                full.push(if *a == "EXH-1=" {
                    os(&format!("EXH-1={}", ev.display()))
                } else {
                    os(a)
                });
            }
            let refs: Vec<&std::ffi::OsStr> = full.iter().map(|s| s.as_os_str()).collect();
            let (code, out) = run(&refs);
            assert!(
                code == 1 || code == 2,
                "{how}: {args:?} exit {code} (124 = hung): {out}"
            );
            assert!(!out.contains("panicked"), "{how}: {args:?}: {out}");
        }
    }
    std::fs::remove_file(&manifest).unwrap();
    std::fs::write(&manifest, &saved).unwrap();
    // The ledger itself a FIFO: verify stops at once, naming it.
    let ledger = case.join("ledger.jsonl");
    let kept = std::fs::read(&ledger).unwrap();
    std::fs::remove_file(&ledger).unwrap();
    assert!(Command::new("mkfifo")
        .arg(&ledger)
        .status()
        .unwrap()
        .success());
    let (code, out) = run(&[&os("verify"), c]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("ledger.jsonl") && out.contains("FIFO"),
        "{out}"
    );
    std::fs::remove_file(&ledger).unwrap();
    std::fs::write(&ledger, &kept).unwrap();
    // A `manifests` folder that links out of the case: acquire refuses and
    // writes nothing there.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::rename(case.join("manifests"), dir.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(&outside, case.join("manifests")).unwrap();
    let (code, out) = run(&[
        &os("acquire"),
        c,
        &os("--exhibit"),
        &os("EXH-2"),
        &os("--authority"),
        &os("W-1"),
        &os("-q"),
        &os("--key"),
        key.as_os_str(),
        ev.as_os_str(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a real folder"), "{out}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// `--allowed-signers` honours what each line allows (issue 17 item 5): a
/// key trusted only for git signatures does not vouch for a ledger, a
/// `cert-authority` line is refused rather than ignored, and the file's
/// size is bounded.
#[test]
fn allowed_signers_lines_are_honoured_not_just_their_keys() {
    let case = root().join("fixtures/ledger");
    let lead = std::fs::read_to_string(key_path("lead.pub")).unwrap();
    let lead_key: Vec<&str> = lead.split_whitespace().take(2).collect();
    let lead_key = lead_key.join(" ");
    let dir = tempfile::tempdir().unwrap();
    let verify_with = |text: &str| {
        let f = dir.path().join("allowed");
        std::fs::write(&f, text).unwrap();
        let out = custodian()
            .arg("verify")
            .arg(&case)
            .arg("--allowed-signers")
            .arg(&f)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    };
    // The fixture's own lines: trusted.
    let (code, out) = verify_with(&std::fs::read_to_string(case.join("allowed_signers")).unwrap());
    assert_eq!(code, 0, "{out}");
    // The same key, but only for git: not a root of trust for a ledger.
    let (code, out) = verify_with(&format!("j@x namespaces=\"git\" {lead_key}\n"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("namespace custodian-ledger-v1"), "{out}");
    // A certificate authority line is refused, not read as a plain key.
    let (code, out) = verify_with(&format!("*@x cert-authority {lead_key}\n"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cert-authority"), "{out}");
    // Unbounded input is refused at once.
    let out = custodian()
        .arg("verify")
        .arg(&case)
        .args(["--allowed-signers", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than"));
}

/// `-j` with an absurd value neither panics nor aborts (issue 17 item 9):
/// the engine caps the threads at `custodian::hashing::MAX_JOBS`.
#[test]
fn absurd_job_counts_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    for j in ["20000", "18446744073709551615"] {
        let out = custodian()
            .args(["hash", "-r", "-j", j])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "-j {j}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"));
    }
}

/// One rule for every command that reads a file it then judges (issue 17
/// item 18): a file that is not of that kind at all (empty, random bytes,
/// another JSON) is an operational error, exit 2; a well-formed one that
/// does not verify is exit 1.
#[test]
fn garbage_is_an_operational_error_and_a_wrong_proof_is_not_verified() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.path().join("random");
    std::fs::write(
        &random,
        (0..300u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let other_json = dir.path().join("other.json");
    std::fs::write(&other_json, b"{\"hello\":1}").unwrap();
    let wrong = dir.path().join("wrong.json");
    std::fs::write(
        &wrong,
        b"{\"format\":\"custodian-proof-v1\",\"type\":\"inclusion\"}",
    )
    .unwrap();
    let code = |cmd: &str, f: &Path| {
        custodian()
            .arg(cmd)
            .arg(f)
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    };
    for f in [&empty, &random, &other_json] {
        assert_eq!(code("verify-proof", f), 2, "verify-proof {}", f.display());
        assert_eq!(
            code("verify-package", f),
            2,
            "verify-package {}",
            f.display()
        );
    }
    assert_eq!(code("verify-proof", &wrong), 1);
}

/// A package member larger than its place in the layout allows is refused
/// before it is read (issue 17 item 8): a 3 GiB sparse `package.json` costs
/// no memory; a folder the layout does not have is refused too.
#[test]
fn oversized_package_members_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("evil-folder")).unwrap();
    let index = std::fs::File::create(pkg.join("package.json")).unwrap();
    index.set_len(3 << 30).unwrap();
    let run = capped(
        "verify-package with a 3 GiB package.json",
        &["verify-package".as_ref(), pkg.as_os_str()],
    );
    assert_clean_failure("3 GiB package.json", &run);
    assert!(run.peak_rss_kb < 200_000, "{} KiB", run.peak_rss_kb);
    assert!(
        run.stderr.contains("package.json") && run.stderr.contains("more than"),
        "{}",
        run.stderr
    );
    // A folder outside the layout, in an otherwise empty package.
    let pkg2 = dir.path().join("pkg2");
    std::fs::create_dir_all(pkg2.join("evil-folder")).unwrap();
    std::fs::write(pkg2.join("package.json"), b"{}").unwrap();
    let out = custodian()
        .arg("verify-package")
        .arg(&pkg2)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("evil-folder") && err.contains("layout"),
        "{err}"
    );
}

/// `--allowed-signers` judges entry 0 as `ssh-keygen -Y verify -n
/// custodian-ledger-v1 -Overify-time=TIME` would at entry 0's own time
/// (issue 17 item 5): a line restricted to other namespaces, or whose
/// validity window does not hold that time, does not make the root
/// trusted; a window that holds it does, and so does the file custodian
/// itself writes.
#[test]
fn allowed_signers_windows_and_namespaces_are_judged_at_entry_0s_time() {
    // Entry 0 of the fixture is signed by lead at 2026-03-02T09:15:00Z.
    let case = root().join("fixtures/ledger");
    let key_of = |name: &str| {
        let text = std::fs::read_to_string(key_path(&format!("{name}.pub"))).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (lead, analyst) = (key_of("lead"), key_of("analyst"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("allowed_signers");
    let verify_with = |text: &str| {
        std::fs::write(&file, text).unwrap();
        verify_json(&case, &["--allowed-signers", file.to_str().unwrap()])
    };
    let untrusted = |text: &str, words: &[&str]| {
        let (code, v) = verify_with(text);
        assert_eq!(code, 1, "{text}: {v}");
        assert_eq!(v["root_of_trust"], "untrusted", "{text}");
        let p = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "untrusted-root")
            .unwrap_or_else(|| panic!("{text}: no untrusted-root: {v}"));
        let msg = p["message"].as_str().unwrap();
        for w in words {
            assert!(msg.contains(w), "{text}: {msg:?} lacks {w:?}");
        }
    };

    // The file custodian writes for the case: trusted.
    let written = custodian()
        .args(["signers", "--allowed-signers"])
        .arg(&case)
        .output()
        .unwrap();
    expect_code(&written, 0);
    let (code, v) = verify_with(&String::from_utf8(written.stdout).unwrap());
    assert_eq!((code, &v["root_of_trust"]), (0, &"trusted".into()), "{v}");
    // A window that holds entry 0's time (both ends inclusive): trusted.
    for window in [
        r#"valid-after="20260301Z",valid-before="20260303Z""#,
        r#"valid-after="20260302091500Z""#,
        r#"valid-before="20260302091500Z""#,
    ] {
        let (code, v) = verify_with(&format!("j@x {window} {lead}\n"));
        assert_eq!(
            (code, &v["root_of_trust"]),
            (0, &"trusted".into()),
            "{window}: {v}"
        );
    }
    // Expired before the case was opened.
    untrusted(
        &format!("j@x valid-before=\"20260302091459Z\" {lead}\n"),
        &["2026-03-02T09:15:00", "line 1", "until 2026-03-02T09:14:59"],
    );
    // Valid only from after the case was opened.
    untrusted(
        &format!("j@x valid-after=\"20260302091501Z\" {lead}\n"),
        &["line 1", "from 2026-03-02T09:15:01"],
    );
    // Lead trusted for git signatures only (analyst for ledgers): the
    // file vouches for ledgers, but not by lead.
    untrusted(
        &format!("j@x namespaces=\"git\" {lead}\na@x {analyst}\n"),
        &["line 1", "git", "custodian-ledger-v1"],
    );
    // The same key on a second line that allows it: trusted.
    let (code, v) = verify_with(&format!(
        "j@x namespaces=\"git\" {lead}\nj@x namespaces=\"custodian-ledger-v1\" {lead}\n"
    ));
    assert_eq!((code, &v["root_of_trust"]), (0, &"trusted".into()), "{v}");
    // A certificate authority, or an option custodian does not know, is
    // refused naming the line (exit 2), never ignored.
    for (line, at, words) in [
        (
            format!("a@x {analyst}\n*@x cert-authority {lead}\n"),
            ":2:",
            "cert-authority",
        ),
        (
            format!("j@x no-touch-required {lead}\n"),
            ":1:",
            "unknown option",
        ),
    ] {
        std::fs::write(&file, &line).unwrap();
        let out = custodian()
            .arg("verify")
            .arg(&case)
            .arg("--allowed-signers")
            .arg(&file)
            .output()
            .unwrap();
        expect_code(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words) && err.contains(at), "{err}");
    }
}

/// `verify-proof --allowed-signers` reads the file bounded and counts only
/// lines that may sign for ledgers (issue 17 item 5).
#[test]
fn verify_proof_honours_allowed_signers_namespaces_and_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &fixture_bytes());
    let proof = dir.path().join("p.proof");
    let cp = root().join("fixtures/merkle/checkpoint-6.txt");
    let out = custodian()
        .args(["prove", "inclusion"])
        .arg(&case)
        .args(["--entry", "2", "--checkpoint"])
        .arg(&cp)
        .output()
        .unwrap();
    expect_code(&out, 0);
    std::fs::write(&proof, &out.stdout).unwrap();
    let lead = std::fs::read_to_string(key_path("lead.pub")).unwrap();
    let lead: String = lead
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let principal = "j.dupont@cyber.lyon.police.example";
    let run = |allowed: &Path| {
        custodian()
            .arg("verify-proof")
            .arg(&proof)
            .arg("--checkpoint")
            .arg(&cp)
            .arg("--allowed-signers")
            .arg(allowed)
            .output()
            .unwrap()
    };
    let file = dir.path().join("allowed");
    // The lead's key for ledgers: the checkpoint is vouched for.
    std::fs::write(
        &file,
        format!("{principal} namespaces=\"custodian-ledger-v1\" {lead}\n"),
    )
    .unwrap();
    expect_code(&run(&file), 0);
    // For git only: no key of the file may vouch for a ledger.
    std::fs::write(&file, format!("{principal} namespaces=\"git\" {lead}\n")).unwrap();
    let out = run(&file);
    expect_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("namespace custodian-ledger-v1"));
    // Unbounded input is refused at once.
    let out = run(Path::new("/dev/zero"));
    expect_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than"));
}
