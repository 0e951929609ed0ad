//! End-to-end tests of `custodian hashset` (import, list, show, remove,
//! match), `acquire --hashset`, and how reports and `verify` show the
//! recorded matches. Sets come from `fixtures/hashsets/` (see its
//! make_nsrl.py for the NSRL RDSv3 database) or are written in a temporary
//! folder; the store always lives in a temporary folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const LAPTOP: &str = "fixtures/sample/laptop";
const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/hashsets");
/// sha256 of fixtures/sample/laptop/Documents/notes.txt (in known-bad.sha256).
const NOTES_SHA256: &str = "8ed9f11303e6b123014baf9f0aa547a555c13a1ed57cec1b93d2711f95983730";
/// md5 of invoice-2026-03.txt (in notable.md5).
const INVOICE_MD5: &str = "890a11ee81f1ce1dbf8022bc57d8e74e";
/// sha256 of IMG_0001.png (in the NSRL fixture and known-good.txt).
const IMG_SHA256: &str = "bc9854f99dbe38c18f0ae3d55ad8fc7583c03b645fdc7be1ee68524a2888871e";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }
    fn tmp(&self) -> &Path {
        self.dir.path()
    }
    /// `custodian hashset --hashsets STORE ARGS…`
    fn hs(&self, args: &[&str]) -> Output {
        custodian()
            .arg("hashset")
            .arg("--hashsets")
            .arg(self.store())
            .args(args)
            .env_remove("CUSTODIAN_HASHSETS")
            .output()
            .unwrap()
    }
    /// Imports and returns the `--json` description.
    fn import(&self, name: &str, file: &str, kind: &str, extra: &[&str]) -> Value {
        let mut args = vec!["import", name, file, "--kind", kind, "--json"];
        args.extend_from_slice(extra);
        let out = self.hs(&args);
        expect_code(&out, 0);
        serde_json::from_slice(&out.stdout).unwrap()
    }
    /// Writes a source file in the temporary folder.
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.tmp().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
    /// The store's entries (names), hidden ones included.
    fn store_entries(&self) -> Vec<String> {
        let mut v: Vec<String> = match std::fs::read_dir(self.store()) {
            Ok(d) => d
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        v.sort();
        v
    }
    /// A case opened by `lead` under an authority, with the sample laptop
    /// acquired as EXH-001 (no matching).
    fn case(&self) -> PathBuf {
        let case = self.tmp().join("case");
        let out = custodian()
            .arg("init")
            .arg(&case)
            .args(["--case-id", "FR-2026-7", "--title", "Laptop"])
            .args(["--authority", "Warrant 1"])
            .arg("--key")
            .arg(key_path("lead"))
            .output()
            .unwrap();
        expect_code(&out, 0);
        case
    }
    fn acquire(&self, case: &Path, extra: &[&str]) -> Output {
        custodian()
            .arg("acquire")
            .arg(case)
            .args(["--exhibit", "EXH-001", "-q", "--key"])
            .arg(key_path("lead"))
            .args(extra)
            .arg(LAPTOP)
            .env("CUSTODIAN_HASHSETS", self.store())
            .output()
            .unwrap()
    }
    /// Imports the three fixture sets used for matching: `nsrl`
    /// (known-good), `bad` (known-bad, version 2026-03), `notable`.
    fn standard_sets(&self) {
        self.import("nsrl", &format!("{FIX}/nsrl-rds3.db"), "known-good", &[]);
        self.import(
            "bad",
            &format!("{FIX}/known-bad.sha256"),
            "known-bad",
            &["--version", "2026-03"],
        );
        self.import("notable", &format!("{FIX}/notable.md5"), "notable", &[]);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn report(case: &Path, format: &str, extra: &[&str]) -> String {
    let out = custodian()
        .arg("report")
        .arg(case)
        .args(["--format", format, "--generated-at", "2026-01-01T00:00:00Z"])
        .args(extra)
        .output()
        .unwrap();
    expect_code(&out, 0);
    stdout(&out)
}

// ---------------------------------------------------------------------------
// Import, one test per format
// ---------------------------------------------------------------------------

#[test]
fn import_plain_list_dedups_and_records_its_source() {
    let e = Env::new();
    let m = e.import(
        "good",
        &format!("{FIX}/known-good.txt"),
        "known-good",
        &["--version", "v1"],
    );
    assert_eq!(m["kind"], "known-good");
    assert_eq!(m["version"], "v1");
    assert_eq!(m["source"]["format"], "plain");
    assert_eq!(m["source"]["file_name"], "known-good.txt");
    assert_eq!(
        m["source"]["sha256"],
        sha256_hex(&std::fs::read(format!("{FIX}/known-good.txt")).unwrap())
    );
    assert_eq!(m["source"]["digests_read"], 4);
    // four lines, one repeated: three distinct
    assert_eq!(m["algorithms"]["sha256"]["count"], 3);
    let bin = std::fs::read(e.store().join("good/sha256.bin")).unwrap();
    assert_eq!(bin.len(), 3 * 32);
    assert!(bin
        .chunks(32)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| w[0] < w[1]));
    assert_eq!(m["algorithms"]["sha256"]["sha256"], sha256_hex(&bin));
    assert!(m["imported"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn import_plain_64_digit_list_as_blake3() {
    let e = Env::new();
    let m = e.import(
        "b3",
        &format!("{FIX}/known-good.txt"),
        "notable",
        &["--algorithm", "blake3"],
    );
    assert_eq!(m["algorithms"]["blake3"]["count"], 3);
    assert!(m["algorithms"].get("sha256").is_none());
}

#[test]
fn import_sha256sum_and_md5sum_files() {
    let e = Env::new();
    let m = e.import("bad", &format!("{FIX}/known-bad.sha256"), "known-bad", &[]);
    assert_eq!(m["source"]["format"], "sum");
    assert_eq!(m["algorithms"]["sha256"]["count"], 2);
    let m = e.import("notable", &format!("{FIX}/notable.md5"), "notable", &[]);
    assert_eq!(m["source"]["format"], "sum");
    assert_eq!(m["algorithms"]["md5"]["count"], 2);
    // an explicit format that does not fit is refused
    let out = e.hs(&[
        "import",
        "x",
        &format!("{FIX}/notable.md5"),
        "--kind",
        "notable",
        "--format",
        "hashdeep",
    ]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("notable.md5"), "{}", stderr(&out));
}

#[test]
fn import_hashdeep_file() {
    let e = Env::new();
    let m = e.import("hd", &format!("{FIX}/partner.hashdeep"), "notable", &[]);
    assert_eq!(m["source"]["format"], "hashdeep");
    assert_eq!(m["algorithms"]["md5"]["count"], 2);
    assert_eq!(m["algorithms"]["sha256"]["count"], 2);
}

#[test]
fn import_dfxml_regular_files_only() {
    let e = Env::new();
    let m = e.import("dfx", &format!("{FIX}/partner.dfxml"), "notable", &[]);
    assert_eq!(m["source"]["format"], "dfxml");
    assert_eq!(m["algorithms"]["md5"]["count"], 1);
    assert_eq!(m["algorithms"]["sha1"]["count"], 1);
}

#[test]
fn import_csv_by_column_name_and_by_index() {
    let e = Env::new();
    // header "SHA-256", quoted fields with commas, doubled quotes, newlines
    let m = e.import(
        "by-name",
        &format!("{FIX}/partner.csv"),
        "notable",
        &["--column", "sha-256"],
    );
    assert_eq!(m["source"]["format"], "csv");
    assert_eq!(m["algorithms"]["sha256"]["count"], 2);
    let by_index = e.import(
        "by-index",
        &format!("{FIX}/partner.csv"),
        "notable",
        &["--column", "3"],
    );
    assert_eq!(
        by_index["algorithms"]["sha256"]["sha256"],
        m["algorithms"]["sha256"]["sha256"]
    );
    // no header at all, by index
    let f = e.write("nohdr.csv", &format!("x,{NOTES_SHA256}\ny,{IMG_SHA256}\n"));
    let m = e.import("nohdr", &f, "notable", &["--column", "2"]);
    assert_eq!(m["algorithms"]["sha256"]["count"], 2);
    // a missing column name names the header
    let out = e.hs(&[
        "import",
        "x",
        &format!("{FIX}/partner.csv"),
        "--kind",
        "notable",
        "--column",
        "md5",
    ]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("partner.csv:1:") && stderr(&out).contains("SHA-256"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn import_nsrl_rds3_database_with_its_version() {
    let e = Env::new();
    let m = e.import("nsrl", &format!("{FIX}/nsrl-rds3.db"), "known-good", &[]);
    assert_eq!(m["source"]["format"], "nsrl-rds3");
    assert_eq!(m["version"], "2024.12.1");
    // five rows, one file listed under two packages: four distinct each
    assert_eq!(m["source"]["digests_read"], 15);
    for algo in ["sha256", "sha1", "md5"] {
        assert_eq!(m["algorithms"][algo]["count"], 4, "{algo}");
    }
    // --version overrides the database's
    let m = e.import(
        "nsrl2",
        &format!("{FIX}/nsrl-rds3.db"),
        "known-good",
        &["--version", "RDS 2024.12.1 modern minimal"],
    );
    assert_eq!(m["version"], "RDS 2024.12.1 modern minimal");
}

#[test]
fn import_refuses_an_sqlite_database_that_is_not_nsrl() {
    let e = Env::new();
    let path = e.tmp().join("other.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE FILE (name TEXT, md5 TEXT); INSERT INTO FILE VALUES ('a', 'b');",
    )
    .unwrap();
    drop(db);
    let out = e.hs(&[
        "import",
        "x",
        path.to_str().unwrap(),
        "--kind",
        "known-good",
    ]);
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("other.db") && err.contains("not an NSRL RDSv3 database"),
        "{err}"
    );
    assert_eq!(e.store_entries(), Vec::<String>::new());
}

#[test]
fn import_refuses_a_bad_digest_in_an_nsrl_row() {
    let e = Env::new();
    let path = e.tmp().join("bad-nsrl.db");
    std::fs::copy(format!("{FIX}/nsrl-rds3.db"), &path).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute(
        "INSERT INTO FILE VALUES ('XYZ', '2222222222222222222222222222222222222222', '33333333333333333333333333333333', '0', 'f', 1, 1)",
        [],
    )
    .unwrap();
    drop(db);
    let out = e.hs(&[
        "import",
        "n",
        path.to_str().unwrap(),
        "--kind",
        "known-good",
    ]);
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("bad-nsrl.db") && err.contains("table FILE row 6"),
        "{err}"
    );
    assert_eq!(e.store_entries(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// Malformed input: file and line named, exit 2, nothing imported
// ---------------------------------------------------------------------------

fn assert_refused(e: &Env, file: &str, extra: &[&str], needle: &[&str]) {
    let mut args = vec!["import", "broken", file, "--kind", "known-bad"];
    args.extend_from_slice(extra);
    let out = e.hs(&args);
    expect_code(&out, 2);
    let err = stderr(&out);
    for n in needle {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        e.store_entries()
            .iter()
            .all(|n| n != "broken" && !n.starts_with('.')),
        "half-imported: {:?}",
        e.store_entries()
    );
}

#[test]
fn plain_list_with_a_non_hex_line_names_the_line() {
    let e = Env::new();
    let f = e.write(
        "bad.txt",
        &format!("{NOTES_SHA256}\n\n{}zz\n", &IMG_SHA256[..62]),
    );
    assert_refused(&e, &f, &[], &["bad.txt:3:", "not a hex digest"]);
}

#[test]
fn plain_list_with_a_wrong_length_names_the_line() {
    let e = Env::new();
    let f = e.write("short.txt", &format!("{NOTES_SHA256}\nabcdef0123\n"));
    assert_refused(&e, &f, &[], &["short.txt:2:", "10-digit"]);
    // a 64-digit digest where --algorithm md5 was promised
    let f = e.write("md5.txt", &format!("{INVOICE_MD5}\n{NOTES_SHA256}\n"));
    assert_refused(&e, &f, &["--algorithm", "md5"], &["md5.txt:2:", "md5"]);
}

#[test]
fn sum_file_with_a_malformed_line_names_the_line() {
    let e = Env::new();
    let f = e.write(
        "bad.sha256",
        &format!("{NOTES_SHA256}  a.txt\n{IMG_SHA256}  b.txt\n{NOTES_SHA256}x  c.txt\n"),
    );
    assert_refused(&e, &f, &[], &["bad.sha256:3:"]);
    let f = e.write(
        "nosep.sha256",
        &format!("{NOTES_SHA256}  a\n{NOTES_SHA256}\tb\n"),
    );
    assert_refused(&e, &f, &["--format", "sum"], &["nosep.sha256:2:"]);
}

#[test]
fn hashdeep_file_with_a_bad_digest_names_the_line() {
    let e = Env::new();
    let f = e.write(
        "bad.hashdeep",
        "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n1,d41d8cd98f00b204e9800998ecf8427e,a\n1,nothex,b\n",
    );
    assert_refused(&e, &f, &[], &["bad.hashdeep:4:"]);
}

#[test]
fn csv_with_a_bad_cell_names_the_line() {
    let e = Env::new();
    let f = e.write(
        "bad.csv",
        &format!("name,sha256\n\"a, b\",{NOTES_SHA256}\nc,not-a-digest\n"),
    );
    assert_refused(&e, &f, &["--column", "sha256"], &["bad.csv:3:", "column 2"]);
    let f = e.write(
        "empty-cell.csv",
        &format!("name,sha256\na,{NOTES_SHA256}\nb,\n"),
    );
    assert_refused(&e, &f, &["--column", "2"], &["empty-cell.csv:3:", "empty"]);
}

#[test]
fn a_file_without_digests_is_refused() {
    let e = Env::new();
    let f = e.write("empty.txt", "# nothing here\n\n");
    assert_refused(&e, &f, &[], &["empty.txt", "no digest"]);
}

// ---------------------------------------------------------------------------
// list, show, remove, re-import
// ---------------------------------------------------------------------------

#[test]
fn list_show_remove() {
    let e = Env::new();
    e.standard_sets();
    let out = e.hs(&["list"]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("nsrl") && text.contains("2024.12.1"),
        "{text}"
    );
    assert!(text.contains("bad") && text.contains("known-bad"), "{text}");
    let out = e.hs(&["list", "--json"]);
    let names: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["bad", "notable", "nsrl"]);

    let out = e.hs(&["show", "nsrl", "--json"]);
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["check"], "ok");
    assert_eq!(v["algorithms"]["sha1"]["count"], 4);
    let out = e.hs(&["show", "bad"]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("version:  2026-03"),
        "{}",
        stdout(&out)
    );

    let out = e.hs(&["remove", "notable"]);
    expect_code(&out, 0);
    assert_eq!(e.store_entries(), ["bad", "nsrl"]);
    let out = e.hs(&["show", "notable"]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("no hash set named \"notable\""),
        "{}",
        stderr(&out)
    );
    let out = e.hs(&["remove", "notable"]);
    expect_code(&out, 2);
}

#[test]
fn reimport_needs_replace() {
    let e = Env::new();
    e.import("good", &format!("{FIX}/known-good.txt"), "known-good", &[]);
    let out = e.hs(&[
        "import",
        "good",
        &format!("{FIX}/known-bad.sha256"),
        "--kind",
        "known-bad",
    ]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("already exists") && stderr(&out).contains("--replace"),
        "{}",
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&e.hs(&["show", "good", "--json"]).stdout).unwrap();
    assert_eq!(v["kind"], "known-good");
    let m = e.import(
        "good",
        &format!("{FIX}/known-bad.sha256"),
        "known-bad",
        &["--replace"],
    );
    assert_eq!(m["kind"], "known-bad");
    assert_eq!(e.store_entries(), ["good"]);
    let out = e.hs(&[
        "import",
        "../x",
        &format!("{FIX}/known-good.txt"),
        "--kind",
        "notable",
    ]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("invalid hash-set name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn default_store_is_under_xdg_data_home() {
    let e = Env::new();
    let out = custodian()
        .args([
            "hashset",
            "import",
            "g",
            &format!("{FIX}/known-good.txt"),
            "--kind",
            "known-good",
        ])
        .env_remove("CUSTODIAN_HASHSETS")
        .env("XDG_DATA_HOME", e.tmp())
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(e.tmp().join("custodian/hashsets/g/set.json").is_file());
    let out = custodian()
        .args(["hashset", "list"])
        .env("CUSTODIAN_HASHSETS", e.tmp().join("custodian/hashsets"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(stdout(&out).starts_with("g "), "{}", stdout(&out));
}

// ---------------------------------------------------------------------------
// Tampered store
// ---------------------------------------------------------------------------

#[test]
fn tampered_store_file_is_detected() {
    let e = Env::new();
    e.standard_sets();
    let bin = e.store().join("bad/sha256.bin");
    let mut bytes = std::fs::read(&bin).unwrap();
    bytes[5] ^= 1;
    std::fs::write(&bin, &bytes).unwrap();

    let out = e.hs(&["show", "bad"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("bad/sha256.bin"), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&e.hs(&["show", "bad", "--json"]).stdout).unwrap();
    assert_eq!(v["check"], "altered");

    // acquire refuses before hashing or appending anything
    let case = e.case();
    let out = e.acquire(&case, &["--hashset", "bad"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("bad/sha256.bin"), "{}", stderr(&out));
    let log = std::fs::read_to_string(ledger_of(&case)).unwrap();
    assert_eq!(log.lines().count(), 1, "nothing appended");

    // a truncated file, and match
    expect_code(&e.acquire(&case, &[]), 0);
    let nsrl = e.store().join("nsrl/md5.bin");
    let b = std::fs::read(&nsrl).unwrap();
    std::fs::write(&nsrl, &b[..b.len() - 3]).unwrap();
    let out = match_cmd(&e, &case, &["--hashset", "nsrl"]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("nsrl/md5.bin") && stderr(&out).contains("bytes"),
        "{}",
        stderr(&out)
    );
    // an altered set.json (the recorded digest no longer fits its file)
    let meta = e.store().join("notable/set.json");
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("\"count\": 2", "\"count\": 1");
    std::fs::write(&meta, text).unwrap();
    let out = match_cmd(&e, &case, &["--hashset", "notable"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("notable/md5.bin"), "{}", stderr(&out));
}

fn match_cmd(e: &Env, case: &Path, extra: &[&str]) -> Output {
    custodian()
        .args(["hashset", "match"])
        .arg(case)
        .arg("--hashsets")
        .arg(e.store())
        .arg("--key")
        .arg(key_path("lead"))
        .args(extra)
        .output()
        .unwrap()
}

// ---------------------------------------------------------------------------
// Matching, the ledger, reports and verify
// ---------------------------------------------------------------------------

/// The case with EXH-001 acquired and matched against the three sets.
fn matched_case(e: &Env) -> PathBuf {
    e.standard_sets();
    let case = e.case();
    let out = e.acquire(&case, &["--hashsets", e.store().to_str().unwrap()]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("4 file(s), 2 known-good, 2 known-bad/notable match(es) (entry 2)"),
        "{text}"
    );
    case
}

#[test]
fn acquire_records_a_signed_hashset_match_entry() {
    let e = Env::new();
    let case = matched_case(&e);
    let lines = std::fs::read_to_string(ledger_of(&case)).unwrap();
    let entry: Value = serde_json::from_str(lines.lines().nth(2).unwrap()).unwrap();
    assert_eq!(entry["type"], "exhibit.hashset-match");
    let b = &entry["body"];
    assert_eq!(b["exhibit"], "EXH-001");
    assert_eq!(b["files"], 4);
    assert_eq!(b["known_good"], 2);
    let mut good: Vec<&str> = b["known_good_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    good.sort();
    assert_eq!(good, ["Documents/empty.txt", "Pictures/IMG_0001.png"]);
    let sets = b["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 3);
    let bad = sets.iter().find(|s| s["name"] == "bad").unwrap();
    assert_eq!(bad["kind"], "known-bad");
    assert_eq!(bad["version"], "2026-03");
    assert_eq!(
        bad["source_sha256"],
        sha256_hex(&std::fs::read(format!("{FIX}/known-bad.sha256")).unwrap())
    );
    assert_eq!(bad["counts"]["sha256"], 2);
    let matches = b["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 2);
    let kb = matches.iter().find(|m| m["kind"] == "known-bad").unwrap();
    assert_eq!(kb["path"], "Documents/notes.txt");
    assert_eq!(kb["algorithm"], "sha256");
    assert_eq!(kb["digest"], NOTES_SHA256);
    assert_eq!(kb["set"], "bad");
    let nb = matches.iter().find(|m| m["kind"] == "notable").unwrap();
    assert_eq!(nb["digest"], INVOICE_MD5);
    assert_eq!(nb["algorithm"], "md5");

    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["types"]["exhibit.hashset-match"], 1);
}

#[test]
fn verify_lists_hashset_findings() {
    let e = Env::new();
    let case = matched_case(&e);
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"HASH-KNOWN-BAD") && ids.contains(&"HASH-NOTABLE"),
        "{ids:?}"
    );
    // `status` counts the same findings per exhibit as verify lists
    // (issue 17 item 14: it used to show 0 here).
    let for_exhibit = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["exhibits"]
                .as_array()
                .is_some_and(|x| x.iter().any(|x| x == "EXH-001"))
        })
        .count();
    assert!(for_exhibit >= 2);
    let out = assert_cmd::Command::cargo_bin("custodian")
        .unwrap()
        .args(["status", "--json"])
        .arg(&case)
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(status["exhibit"], "EXH-001");
    assert_eq!(status["findings"], for_exhibit, "{status}");
    let kb = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "HASH-KNOWN-BAD")
        .unwrap();
    assert_eq!(kb["entries"], serde_json::json!([2]));
    assert!(kb["message"]
        .as_str()
        .unwrap()
        .contains("Documents/notes.txt"));
    let out = custodian().arg("verify").arg(&case).output().unwrap();
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("finding: [HASH-KNOWN-BAD] file Documents/notes.txt of exhibit EXH-001 is in known-bad hash set bad version 2026-03"),
        "{text}"
    );
    assert!(text.contains("finding: [HASH-NOTABLE]"), "{text}");
    assert!(!text.contains("weaken the chain of custody"), "{text}");
}

#[test]
fn report_shows_known_bad_findings_in_every_format() {
    let e = Env::new();
    let case = matched_case(&e);
    let json: Value = serde_json::from_str(&report(&case, "json", &[])).unwrap();
    let f = json["summary"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "HASH-KNOWN-BAD")
        .expect("HASH-KNOWN-BAD in JSON");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["exhibits"], serde_json::json!(["EXH-001"]));
    assert!(f["explanation"]
        .as_str()
        .unwrap()
        .contains("known contraband"));
    assert_eq!(json["summary"]["custody"], "continuous");
    let x = &json["exhibits"][0];
    assert_eq!(x["hashsets"]["known_good"], 2);
    assert_eq!(x["hashsets"]["matches"], 2);
    assert_eq!(x["hashsets"]["entries"], serde_json::json!([2]));
    let notes = x["file_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "Documents/notes.txt")
        .unwrap();
    assert_eq!(notes["hashsets"], serde_json::json!(["bad (known-bad)"]));

    let md = report(&case, "md", &[]);
    assert!(
        md.contains("| HASH-KNOWN-BAD | high | 2 | EXH-001 |"),
        "{md}"
    );
    assert!(
        md.contains("| HASH-NOTABLE | medium | 2 | EXH-001 |"),
        "{md}"
    );
    assert!(
        md.contains("Documents/notes.txt **IN HASH SET bad (known-bad)**"),
        "{md}"
    );
    let html = report(&case, "html", &[]);
    assert!(html.contains("HASH-KNOWN-BAD") && html.contains("HASH-NOTABLE"));
    assert!(html.contains("IN HASH SET bad (known-bad)"));
}

#[test]
fn report_marks_and_hides_known_good_files() {
    let e = Env::new();
    let case = matched_case(&e);
    let md = report(&case, "md", &[]);
    assert!(md.contains("Pictures/IMG\\_0001.png (known-good)"), "{md}");
    assert!(md.contains("Documents/empty.txt (known-good)"), "{md}");
    assert!(md.contains("| Known-good files | 2 |"), "{md}");
    let json: Value = serde_json::from_str(&report(&case, "json", &[])).unwrap();
    let rows = json["exhibits"][0]["file_list"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().filter(|r| r["known_good"] == true).count(), 2);

    let md = report(&case, "md", &["--hide-known-good"]);
    assert!(!md.contains("IMG\\_0001.png"), "{md}");
    assert!(
        md.contains("| Known-good files | 2 (not listed below) |"),
        "{md}"
    );
    assert!(
        md.contains("2 known-good file(s) of exhibit EXH-001 are not listed (hidden with --hide-known-good)."),
        "{md}"
    );
    let html = report(&case, "html", &["--hide-known-good"]);
    assert!(!html.contains("IMG_0001.png"));
    assert!(html.contains("2 known-good file(s) of exhibit EXH-001 are not listed"));
    let json: Value = serde_json::from_str(&report(&case, "json", &["--hide-known-good"])).unwrap();
    let x = &json["exhibits"][0];
    assert_eq!(x["file_list"].as_array().unwrap().len(), 2);
    assert_eq!(x["hashsets"]["known_good_hidden"], true);
}

#[test]
fn report_without_hashset_entries_has_no_hashset_fields() {
    let e = Env::new();
    let case = e.case();
    expect_code(&e.acquire(&case, &[]), 0);
    let json = report(&case, "json", &[]);
    assert!(
        !json.contains("hashsets") && !json.contains("known_good"),
        "{json}"
    );
    assert!(!report(&case, "md", &[]).contains("Hash sets"));
}

#[test]
fn hashset_match_rerun_adds_an_entry_and_merges_findings() {
    let e = Env::new();
    let case = matched_case(&e);
    let out = match_cmd(&e, &case, &["--hashset", "bad", "--json"]);
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entry"], 3);
    assert_eq!(v["match"]["known_good"], 0);
    assert_eq!(v["match"]["matches"].as_array().unwrap().len(), 1);
    let (_, v) = verify_json(&case, &[]);
    let kb: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "HASH-KNOWN-BAD")
        .collect();
    assert_eq!(kb.len(), 1);
    assert_eq!(kb[0]["entries"], serde_json::json!([2, 3]));
    // unknown exhibit and unknown set
    let out = match_cmd(&e, &case, &["--exhibit", "EXH-404"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("EXH-404"), "{}", stderr(&out));
    let out = match_cmd(&e, &case, &["--hashset", "nope"]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("no hash set named \"nope\""),
        "{}",
        stderr(&out)
    );
    // a key that is not a signer of the case
    let out = custodian()
        .args(["hashset", "match"])
        .arg(&case)
        .arg("--hashsets")
        .arg(e.store())
        .arg("--key")
        .arg(key_path("intruder"))
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(stderr(&out).contains("not a signer"), "{}", stderr(&out));
}

#[test]
fn match_refuses_a_changed_manifest() {
    let e = Env::new();
    e.standard_sets();
    let case = e.case();
    expect_code(&e.acquire(&case, &[]), 0);
    let manifest = case.join("manifests/EXH-001.jsonl");
    let mut text = std::fs::read(&manifest).unwrap();
    text.extend_from_slice(b"\n");
    std::fs::write(&manifest, text).unwrap();
    let out = match_cmd(&e, &case, &[]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("EXH-001.jsonl"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(ledger_of(&case))
            .unwrap()
            .lines()
            .count(),
        2
    );
}

#[test]
fn forged_hashset_match_entry_is_caught_by_verify() {
    let e = Env::new();
    let case = matched_case(&e);
    let mut lines = split_lines(&std::fs::read(ledger_of(&case)).unwrap());
    // the match claims a known-good set as its source: a rule violation
    lines[2] = edit_json(&lines[2], |v| {
        v["body"]["matches"][0]["kind"] = "known-good".into();
    });
    rechain(&mut lines, 2);
    std::fs::write(ledger_of(&case), join_lines(&lines)).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        errors(&v)
            .iter()
            .any(|(c, e)| c == "bad-body" && *e == Some(2)),
        "{v}"
    );
}

// ---------------------------------------------------------------------------
// The library API other code calls
// ---------------------------------------------------------------------------

#[test]
fn library_matcher_answers_from_small_and_large_sets() {
    use custodian::hashing::Algorithm;
    use custodian::hashset::{Kind, Store};
    let e = Env::new();
    e.standard_sets();
    // large enough (> 16 MiB) to be searched on disk through its index
    let n = 600_000u64;
    let mut text = String::with_capacity(n as usize * 65);
    let digest = |i: u64| sha256_hex(&i.to_le_bytes());
    for i in 0..n {
        text.push_str(&digest(i * 2));
        text.push('\n');
    }
    let big = e.write("big.txt", &text);
    e.import("big", &big, "known-good", &[]);

    // one matcher can serve many threads (docs/guide/hashsets.md)
    fn send_sync<T: Send + Sync>() {}
    send_sync::<custodian::hashset::Matcher>();

    let store = Store::open(&e.store()).unwrap();
    let good = store.matcher(&[Kind::KnownGood]).unwrap();
    let names: Vec<&str> = good.sets().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["big", "nsrl"]);
    let raw = |h: &str| hex::decode(h).unwrap();
    assert!(good.contains(Algorithm::Sha256, &raw(IMG_SHA256)).unwrap());
    assert!(!good
        .contains(Algorithm::Sha256, &raw(NOTES_SHA256))
        .unwrap());
    for i in [
        0u64, 1, 2, 127, 128, 129, 511, 512, 299_999, 599_998, 599_999,
    ] {
        let d = raw(&digest(i * 2));
        assert!(good.contains(Algorithm::Sha256, &d).unwrap(), "{i}");
        let absent = raw(&digest(i * 2 + 1));
        assert!(!good.contains(Algorithm::Sha256, &absent).unwrap(), "{i}+1");
    }
    assert!(!good.contains(Algorithm::Sha256, &[0u8; 32]).unwrap());
    assert!(!good.contains(Algorithm::Sha256, &[0xffu8; 32]).unwrap());
    assert!(!good.contains(Algorithm::Blake3, &raw(IMG_SHA256)).unwrap());

    let all = store.matcher(&[]).unwrap();
    let hits = all.lookup(Algorithm::Sha256, &raw(NOTES_SHA256)).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].name.as_str(), hits[0].kind),
        ("bad", Kind::KnownBad)
    );
}
