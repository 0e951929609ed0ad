//! `custodian index`: the cross-case index and blinded matching, end to end.
//!
//! Every test written as `fn NAME(store: &Store)` runs twice, once against a
//! SQLite file and once against PostgreSQL (a fresh schema per test, at
//! CUSTODIAN_TEST_POSTGRES). Without that variable the PostgreSQL variants
//! print a loud skip, unless CUSTODIAN_REQUIRE_POSTGRES=1 (CI), where they
//! fail. Built without the cargo feature `postgres` (`cargo test
//! --no-default-features`), they print a skip saying so whatever the
//! variables, and a postgres:// index is checked to be refused clearly.

mod common;

use std::path::{Path, PathBuf};

use common::{custodian, expect_code, key_path, sha256_hex};
use serde_json::Value;

use common::store::{postgres, Store};

fn sqlite(dir: &Path, name: &str) -> Store {
    Store::Sqlite(dir.join(format!("{name}.sqlite")))
}

/// `#[test]` functions for both backends.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                let t = tempfile::tempdir().unwrap();
                super::$name(&super::sqlite(t.path(), "ix"));
            }
            #[test]
            fn postgres() {
                if let Some(s) = super::postgres("t_", stringify!($name)) {
                    super::$name(&s);
                }
            }
        }
    };
}

/// Runs `custodian index --index STORE ARGS…`.
fn index(store: &Store, args: &[&str]) -> std::process::Output {
    custodian()
        .arg("index")
        .arg("--index")
        .arg(store.location())
        .args(args)
        .output()
        .unwrap()
}

/// Like [`index`] with `--json`, expecting `code`; the parsed object.
fn index_json(store: &Store, args: &[&str], code: i32) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = index(store, &a);
    expect_code(&out, code);
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lead() -> String {
    key_path("lead").display().to_string()
}

/// Makes a case `name` under `root` and acquires each `(exhibit, files)`
/// (file name → content) as one folder.
fn make_case(root: &Path, name: &str, exhibits: &[(&str, &[(&str, &str)])]) -> PathBuf {
    let case = root.join(name);
    let out = custodian()
        .args(["init", case.to_str().unwrap(), "--case-id"])
        .arg(format!("CASE-{name}"))
        .args(["--title", "index test", "--authority", "Warrant 1", "--key"])
        .arg(lead())
        .output()
        .unwrap();
    expect_code(&out, 0);
    for (ex, files) in exhibits {
        acquire(root, &case, ex, files);
    }
    case
}

fn acquire(root: &Path, case: &Path, ex: &str, files: &[(&str, &str)]) {
    let name = case.file_name().unwrap().to_str().unwrap();
    let ev = root.join(format!("evidence-{name}-{ex}"));
    std::fs::create_dir_all(&ev).unwrap();
    for (f, content) in files {
        std::fs::write(ev.join(f), content).unwrap();
    }
    let out = custodian()
        .arg("acquire")
        .arg(case)
        .args(["--exhibit", ex, "--key"])
        .arg(lead())
        .arg(&ev)
        .output()
        .unwrap();
    expect_code(&out, 0);
}

const SHARED: &str = "the same contraband image bytes\n";

/// Three cases: `SHARED` is in A (as a.jpg) and C (as renamed.jpg) only;
/// `dup` is in two exhibits of A only (not a cross-case link); B shares
/// nothing.
fn three_cases(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let a = make_case(
        root,
        "A",
        &[
            (
                "EXH-1",
                &[("a.jpg", SHARED), ("dup.txt", "dup"), ("a-only.txt", "aaa")],
            ),
            ("EXH-2", &[("dup-again.txt", "dup")]),
        ],
    );
    let b = make_case(
        root,
        "B",
        &[("EXH-1", &[("b.txt", "bbb"), ("b2.txt", "b2")])],
    );
    let c = make_case(
        root,
        "C",
        &[("EXH-7", &[("renamed.jpg", SHARED), ("c.txt", "ccc")])],
    );
    (a, b, c)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn links_between_three_cases(store: &Store) {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = three_cases(t.path());
    let v = index_json(store, &["add", s(&a), s(&b), s(&c)], 0);
    assert_eq!(v["indexed"], 4, "{v}");
    assert_eq!(v["files"], 8);
    assert_eq!(v["totals"]["cases"], 3);

    let l = index_json(store, &["links"], 0);
    let links = l["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{l}");
    assert_eq!(links[0]["a"]["case_id"], "CASE-A");
    assert_eq!(links[0]["a"]["exhibit"], "EXH-1");
    assert_eq!(links[0]["b"]["case_id"], "CASE-C");
    assert_eq!(links[0]["b"]["exhibit"], "EXH-7");
    assert_eq!(links[0]["shared"], 1);
    let files = l["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["digest"], sha256_hex(SHARED.as_bytes()));
    assert_eq!(files[0]["cases"], 2);
    let paths: Vec<&str> = files[0]["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(
        paths[0].ends_with("/a.jpg") && paths[1].ends_with("/renamed.jpg"),
        "{paths:?}"
    );

    // Per case: B has no links; A by folder or by case id has one.
    assert_eq!(
        index_json(store, &["links", s(&b)], 0)["links"],
        serde_json::json!([])
    );
    assert_eq!(
        index_json(store, &["links", "CASE-A"], 0)["links"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        index_json(store, &["links", s(&c)], 0)["files"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = index(store, &["links", "CASE-NOPE"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("CASE-NOPE"), "{}", stderr(&out));

    // Search: the shared digest is in two cases; the in-case duplicate in one.
    let sr = index_json(store, &["search", &sha256_hex(SHARED.as_bytes())], 0);
    assert_eq!(sr["hits"].as_array().unwrap().len(), 2);
    assert_eq!(sr["cases"], 2);
    let md5_dup = "sha1:".to_string() + &hex_sha1(b"dup");
    let sr = index_json(store, &["search", &md5_dup, &"0".repeat(64)], 0);
    assert_eq!(sr["hits"].as_array().unwrap().len(), 2);
    assert_eq!(sr["cases"], 1);
    assert_eq!(sr["not_found"].as_array().unwrap().len(), 1);

    // Known good: a sha256sum-style list holding the shared file's digest.
    let good = t.path().join("known-good.sha256");
    std::fs::write(
        &good,
        format!("{}  whatever.jpg\n", sha256_hex(SHARED.as_bytes())),
    )
    .unwrap();
    let l = index_json(store, &["links", "--known-good", s(&good)], 0);
    assert_eq!(l["links"], serde_json::json!([]), "{l}");
    assert_eq!(l["known_good"], 1);

    // The same digest as a known-good set of a hash-set store filters the
    // same way; a known-bad set holding it filters nothing.
    let hs = t.path().join("hashsets");
    for (name, kind) in [("bad", "known-bad"), ("good", "known-good")] {
        let out = custodian()
            .arg("hashset")
            .arg("--hashsets")
            .arg(&hs)
            .args(["import", name, s(&good), "--kind", kind])
            .output()
            .unwrap();
        expect_code(&out, 0);
        if name == "bad" {
            let l = index_json(store, &["links", "--hashsets", s(&hs)], 0);
            assert_eq!(l["known_good"], 0, "{l}");
            assert_ne!(l["links"], serde_json::json!([]), "{l}");
        }
    }
    let l = index_json(store, &["links", "--hashsets", s(&hs)], 0);
    assert_eq!(l["links"], serde_json::json!([]), "{l}");
    assert_eq!(l["known_good"], 1);

    // Human output names the linked exhibits.
    let out = index(store, &["links", "--no-files"]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("CASE-A EXH-1  <->  CASE-C EXH-7: 1 shared file(s)"),
        "{}",
        stdout(&out)
    );
}
both!(links_between_three_cases);

fn hex_sha1(b: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(b))
}

fn incremental_and_idempotent(store: &Store) {
    let t = tempfile::tempdir().unwrap();
    let (a, b, _) = three_cases(t.path());
    let first = index_json(store, &["add", s(&a), s(&b)], 0);
    assert_eq!(
        (first["indexed"].as_u64(), first["unchanged"].as_u64()),
        (Some(3), Some(0))
    );
    let totals = first["totals"].clone();

    let out = index(store, &["add", s(&a), s(&b)]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert_eq!(
        text.matches("unchanged (manifest already indexed), skipped")
            .count(),
        3,
        "{text}"
    );
    assert!(text.contains("indexed 0 exhibit(s)"), "{text}");
    let again = index_json(store, &["add", s(&a), s(&b)], 0);
    assert_eq!(again["totals"], totals, "re-indexing changes nothing");
    assert_eq!(again["unchanged"], 3);

    // A note does not change any manifest; a new exhibit is picked up.
    let out = custodian()
        .args(["note", s(&b), "--text", "seal checked", "--key"])
        .arg(lead())
        .output()
        .unwrap();
    expect_code(&out, 0);
    acquire(
        t.path(),
        &b,
        "EXH-9",
        &[("late.txt", "late"), ("late2.txt", "late2")],
    );
    let v = index_json(store, &["add", s(&a), s(&b)], 0);
    assert_eq!(v["indexed"], 1, "{v}");
    assert_eq!(v["unchanged"], 3);
    assert_eq!(v["cases"][1]["exhibits"]["EXH-9"]["outcome"], "indexed");
    assert_eq!(v["cases"][1]["exhibits"]["EXH-9"]["files"], 2);
    assert_eq!(v["totals"]["files"], totals["files"].as_u64().unwrap() + 2);
    assert_eq!(v["totals"]["exhibits"], 4);
    let stats = index_json(store, &["stats"], 0);
    assert_eq!(stats["files"], v["totals"]["files"]);
}
both!(incremental_and_idempotent);

fn tampered_cases_are_not_indexed(store: &Store) {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = three_cases(t.path());
    // B's ledger: one changed byte in entry 1 (its signature no longer holds).
    let lp = b.join("ledger.jsonl");
    let text = std::fs::read_to_string(&lp).unwrap();
    std::fs::write(&lp, text.replacen("\"EXH-1\"", "\"EXH-X\"", 1)).unwrap();
    // C's manifest: a digest edited after acquisition.
    let mp = c.join("manifests/EXH-7.jsonl");
    let m = std::fs::read_to_string(&mp).unwrap();
    let d = sha256_hex(b"ccc");
    assert!(m.contains(&d));
    std::fs::write(&mp, m.replace(&d, &sha256_hex(b"planted"))).unwrap();
    // A folder that is no case at all.
    let not_a_case = t.path().join("not-a-case");
    std::fs::create_dir(&not_a_case).unwrap();

    let out = index(store, &["add", s(&a), s(&b), s(&c)]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: case skipped: the ledger does not verify",
            b.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("EXH-7: not indexed: manifest")
            && err.contains("EXH-7.jsonl")
            && err.contains("changed after acquisition"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("EXH-1: indexed"),
        "A is still indexed"
    );
    let st = index_json(store, &["stats"], 0);
    assert_eq!(st["exhibits"], 2, "only A's exhibits: {st}");
    let sr = index_json(
        store,
        &["search", &sha256_hex(b"planted"), &sha256_hex(b"bbb")],
        0,
    );
    assert_eq!(sr["hits"], serde_json::json!([]));

    // A torn manifest (last line cut) is skipped the same way.
    std::fs::write(&mp, &m[..m.len() - 5]).unwrap();
    let out = index(store, &["add", s(&c)]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("EXH-7"), "{}", stderr(&out));

    // An unreadable case: exit 2, named, and the others still indexed.
    let out = index(store, &["add", s(&not_a_case), s(&a)]);
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("not-a-case") && err.contains("no ledger found"),
        "{err}"
    );
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
}
both!(tampered_cases_are_not_indexed);

fn blinded_exchange(store_ours: &Store, store_theirs: &Store) {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = three_cases(t.path());
    expect_code(&index(store_ours, &["add", s(&a), s(&b)]), 0);
    expect_code(&index(store_theirs, &["add", s(&c)]), 0);
    let key = t.path().join("exchange.key");
    let out = index(store_ours, &["keygen", "--out", s(&key)]);
    expect_code(&out, 0);
    let k = std::fs::read_to_string(&key).unwrap();
    assert_eq!(k.len(), 65);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    expect_code(&index(store_ours, &["keygen", "--out", s(&key)]), 2);

    let theirs = t.path().join("theirs.blinded");
    let e = index_json(
        store_theirs,
        &["export-blinded", "--key-file", s(&key), "--out", s(&theirs)],
        0,
    );
    assert_eq!(e["count"], 2);
    let bytes = std::fs::read(&theirs).unwrap();
    assert_eq!(e["sha256"], sha256_hex(&bytes));
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "custodian-blinded-digests version=1 mac=hmac-sha256 digest=sha256 count=2"
    );
    assert!(lines[1] < lines[2]);
    // Nothing identifying: no path, case, exhibit or plain digest.
    for needle in [
        "renamed",
        "c.txt",
        "CASE-C",
        "EXH-7",
        "evidence",
        &sha256_hex(SHARED.as_bytes()),
        &sha256_hex(b"ccc"),
        &hex_sha1(SHARED.as_bytes()),
        t.path().to_str().unwrap(),
    ] {
        assert!(!text.contains(needle), "blinded file leaks {needle}");
    }
    // Refuses to overwrite.
    let out = index(
        store_theirs,
        &["export-blinded", "--key-file", s(&key), "--out", s(&theirs)],
    );
    expect_code(&out, 2);
    assert!(stderr(&out).contains("already exists"));

    // We match: exactly A's a.jpg, nothing else.
    let m = index_json(
        store_ours,
        &["match-blinded", s(&theirs), "--key-file", s(&key)],
        0,
    );
    assert_eq!(m["matched"], 1, "{m}");
    assert_eq!(m["compared"], 5, "distinct digests of A and B");
    let hits = m["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["case_id"], "CASE-A");
    assert_eq!(hits[0]["exhibit"], "EXH-1");
    assert!(hits[0]["path"].as_str().unwrap().ends_with("/a.jpg"));
    assert_eq!(hits[0]["digest"], sha256_hex(SHARED.as_bytes()));

    // Another key finds nothing.
    let other = t.path().join("other.key");
    std::fs::write(&other, "ab".repeat(32)).unwrap();
    let m2 = index_json(
        store_ours,
        &["match-blinded", s(&theirs), "--key-file", s(&other)],
        0,
    );
    assert_eq!(m2["matched"], 0);

    // Recorded as a signed note in A only.
    let b_before = std::fs::read(b.join("ledger.jsonl")).unwrap();
    let r = index_json(
        store_ours,
        &[
            "match-blinded",
            s(&theirs),
            "--key-file",
            s(&key),
            "--record",
            "--partner",
            "BKA Wiesbaden",
            "--key",
            &lead(),
        ],
        0,
    );
    assert_eq!(r["recorded"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["recorded"][0]["case_id"], "CASE-A");
    assert_eq!(std::fs::read(b.join("ledger.jsonl")).unwrap(), b_before);
    let (code, v) = common::verify_json(&a, &[]);
    assert_eq!(code, 0, "{v}");
    let ledger = std::fs::read_to_string(a.join("ledger.jsonl")).unwrap();
    let last: Value = serde_json::from_str(ledger.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "note");
    let note = last["body"]["text"].as_str().unwrap();
    assert!(
        note.contains("BKA Wiesbaden")
            && note.contains(&sha256_hex(&bytes))
            && note.contains("exhibit EXH-1 (1 file(s))")
            && note.contains("1 distinct file content(s)"),
        "{note}"
    );
}

mod blinded_exchange {
    #[test]
    fn sqlite() {
        let t = tempfile::tempdir().unwrap();
        super::blinded_exchange(
            &super::sqlite(t.path(), "ours"),
            &super::sqlite(t.path(), "theirs"),
        );
    }
    #[test]
    fn postgres() {
        // Ours in PostgreSQL, theirs in SQLite: the file format is the
        // interface, not the store.
        if let Some(s) = super::postgres("t_", "blinded_exchange") {
            let t = tempfile::tempdir().unwrap();
            super::blinded_exchange(&s, &super::sqlite(t.path(), "theirs"));
        }
    }
}

#[test]
fn identical_results_on_sqlite_and_postgres() {
    let Some(pg) = postgres("t_", "identical") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let lite = sqlite(t.path(), "ix");
    let (a, b, c) = three_cases(t.path());
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("index");
        v
    };
    for args in [
        vec!["add", s(&a), s(&b), s(&c)],
        vec!["add", s(&a), s(&b), s(&c)],
        vec!["links"],
        vec!["links", "CASE-C"],
        vec!["stats"],
    ] {
        let x = strip(index_json(&lite, &args, 0));
        let y = strip(index_json(&pg, &args, 0));
        assert_eq!(x, y, "{args:?}");
    }
    let digests = [
        sha256_hex(SHARED.as_bytes()),
        format!("sha1:{}", hex_sha1(b"dup")),
        sha256_hex(b"bbb"),
    ];
    let mut args = vec!["search"];
    args.extend(digests.iter().map(String::as_str));
    assert_eq!(
        strip(index_json(&lite, &args, 0)),
        strip(index_json(&pg, &args, 0))
    );
    let key = t.path().join("k");
    std::fs::write(&key, "01".repeat(40)).unwrap();
    let (o1, o2) = (t.path().join("1.b"), t.path().join("2.b"));
    expect_code(
        &index(
            &lite,
            &["export-blinded", "--key-file", s(&key), "--out", s(&o1)],
        ),
        0,
    );
    expect_code(
        &index(
            &pg,
            &["export-blinded", "--key-file", s(&key), "--out", s(&o2)],
        ),
        0,
    );
    assert_eq!(std::fs::read(&o1).unwrap(), std::fs::read(&o2).unwrap());
}

#[test]
fn bad_key_files_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let store = sqlite(t.path(), "ix");
    let out_file = t.path().join("out.blinded");
    for (name, content, says) in [
        ("short.key", "ab".repeat(31) + "\n", "31 bytes"),
        ("empty.key", String::new(), "0 bytes"),
        (
            "text.key",
            "correct horse battery staple correct horse battery staple!!!!!!\n".into(),
            "hexadecimal",
        ),
    ] {
        let k = t.path().join(name);
        std::fs::write(&k, content).unwrap();
        let out = index(
            &store,
            &["export-blinded", "--key-file", s(&k), "--out", s(&out_file)],
        );
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out_file.exists());
    }
    let out = index(
        &store,
        &[
            "export-blinded",
            "--key-file",
            s(&t.path().join("missing.key")),
            "--out",
            s(&out_file),
        ],
    );
    expect_code(&out, 2);
    assert!(stderr(&out).contains("missing.key"));
}

#[test]
fn bad_blinded_files_name_the_line() {
    let t = tempfile::tempdir().unwrap();
    let store = sqlite(t.path(), "ix");
    let key = t.path().join("k");
    std::fs::write(&key, "cd".repeat(32) + "\n").unwrap();
    let h = "custodian-blinded-digests version=1 mac=hmac-sha256 digest=sha256";
    let (lo, hi) = ("1".repeat(64), "f".repeat(64));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong-header",
            format!(
                "custodian-blinded-digests version=2 mac=hmac-sha256 digest=sha256 count=1\n{lo}\n"
            ),
            ":1:",
        ),
        ("plain-list", format!("{lo}  file.txt\n"), ":1:"),
        (
            "uppercase",
            format!("{h} count=2\n{lo}\n{}\n", hi.to_uppercase()),
            ":3:",
        ),
        ("short-line", format!("{h} count=2\n{lo}\nabc\n"), ":3:"),
        ("unsorted", format!("{h} count=2\n{hi}\n{lo}\n"), ":3:"),
        ("duplicate", format!("{h} count=2\n{lo}\n{lo}\n"), ":3:"),
        ("count", format!("{h} count=3\n{lo}\n{hi}\n"), "announces 3"),
        ("torn", format!("{h} count=2\n{lo}\n{}", &hi[..10]), ":3:"),
        ("empty", String::new(), ":1:"),
    ];
    for (name, content, says) in cases {
        let f = t.path().join(format!("{name}.blinded"));
        std::fs::write(&f, content).unwrap();
        let out = index(&store, &["match-blinded", s(&f), "--key-file", s(&key)]);
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{name}.blinded")) && err.contains(says),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A good one for contrast.
    let f = t.path().join("good.blinded");
    std::fs::write(&f, format!("{h} count=2\n{lo}\n{hi}\n")).unwrap();
    expect_code(
        &index(&store, &["match-blinded", s(&f), "--key-file", s(&key)]),
        0,
    );
}

#[cfg(feature = "postgres")]
#[test]
fn unreachable_postgres_is_one_clear_line() {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let out = custodian()
        .args([
            "index",
            "--index",
            "postgres://custodian:hunter2@127.0.0.1:1/x",
            "stats",
        ])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("PostgreSQL server postgres://custodian@127.0.0.1:1/x"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2"),
        "the password is not printed: {err}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    let out = custodian()
        .args(["index", "--index", "postgres://x@[::1/y", "stats"])
        .output()
        .unwrap();
    expect_code(&out, 2);
}

/// Without the feature a postgres:// index is one line naming the feature,
/// exit 2, without the password, and nothing is made on disk.
#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_without_the_feature_is_one_clear_line() {
    let t = tempfile::tempdir().unwrap();
    for url in [
        "postgres://custodian:hunter2@127.0.0.1:1/x",
        "postgresql://custodian:hunter2@db.lab/index",
    ] {
        let out = custodian()
            .current_dir(t.path())
            .args(["index", "--index", url, "stats"])
            .output()
            .unwrap();
        expect_code(&out, 2);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(
                "this custodian was built without PostgreSQL support (cargo feature `postgres`)"
            ),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0);
}

#[test]
fn usage_errors() {
    let t = tempfile::tempdir().unwrap();
    let store = sqlite(t.path(), "ix");
    let f = t.path().join("f");
    // --record needs --partner and --key.
    let out = index(
        &store,
        &["match-blinded", s(&f), "--key-file", s(&f), "--record"],
    );
    expect_code(&out, 2);
    assert!(stderr(&out).contains("--partner"), "{}", stderr(&out));
    let out = index(&store, &["search", "xyz"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("\"xyz\""), "{}", stderr(&out));
    let missing = t.path().join("no-such-store");
    let out = index(&store, &["links", "--hashsets", s(&missing)]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("no-such-store"), "{}", stderr(&out));
    // An index file that is not SQLite is named.
    let bogus = t.path().join("bogus.sqlite");
    std::fs::write(&bogus, vec![b'x'; 4096]).unwrap();
    let out = custodian()
        .args(["index", "--index", s(&bogus), "stats"])
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert!(stderr(&out).contains("bogus.sqlite"), "{}", stderr(&out));
}

/// Regression: `--help` printed the value of CUSTODIAN_INDEX, and a
/// PostgreSQL URL there holds a password.
#[test]
fn help_does_not_show_the_index_from_the_environment() {
    for args in [
        &["index", "--help"][..],
        &["index", "search", "--help"],
        &["index", "search", "-h"],
        &["index", "add", "--help"],
        &["index", "match-blinded", "--help"],
    ] {
        let out = custodian()
            .env("CUSTODIAN_INDEX", "postgres://u:secret@127.0.0.1/db")
            .args(args)
            .output()
            .unwrap();
        expect_code(&out, 0);
        let text = stdout(&out);
        assert!(text.contains("[env: CUSTODIAN_INDEX]"), "{args:?}: {text}");
        assert!(!text.contains("secret"), "{args:?}: {text}");
    }
}

#[test]
fn default_index_location_follows_xdg_data_home() {
    let t = tempfile::tempdir().unwrap();
    let out = custodian()
        .env_remove("CUSTODIAN_INDEX")
        .env("XDG_DATA_HOME", t.path())
        .args(["index", "stats"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(t.path().join("custodian/index.sqlite").is_file());
    // CUSTODIAN_INDEX wins over the default.
    let ix = t.path().join("env.sqlite");
    let out = custodian()
        .env("CUSTODIAN_INDEX", &ix)
        .args(["index", "stats"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(ix.is_file());
}

/// Regression: an index written by an older custodian (schema 1 indexed
/// the digest blobs; schema 2 indexes 8-byte integer keys) is refused
/// before anything is changed, with a message naming the file and saying
/// how to rebuild it.
#[test]
fn an_index_of_schema_version_1_is_refused_with_how_to_rebuild() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("old.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema', '1');
             CREATE TABLE files (exhibit_ref INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER,
               md5 BLOB, sha1 BLOB, sha256 BLOB, sha3_256 BLOB, blake3 BLOB, sha512 BLOB);",
        )
        .unwrap();
    }
    let store = sqlite(t.path(), "old");
    for args in [&["stats"][..], &["search", &"ab".repeat(32)]] {
        let out = index(&store, args);
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        assert!(err.contains("schema version 1"), "{err}");
        assert!(err.contains("custodian index add"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    // Nothing was added to the old file.
    let c = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = c
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 3, "meta, its primary-key index, files");

    // A version this custodian does not know is refused too.
    c.execute("UPDATE meta SET value = '99'", []).unwrap();
    drop(c);
    let out = index(&store, &["stats"]);
    expect_code(&out, 2);
    assert!(
        stderr(&out).contains("schema version 99, this custodian knows version 4"),
        "{}",
        stderr(&out)
    );
}

/// Schema change: a PostgreSQL index of schema 1 (with a foreign key from
/// `files` to `exhibits`, which cost about 9 µs per row loaded) is
/// migrated in place to schema 2 when opened, and on to schema 3 (the
/// words of exhibits): the rows it held are kept and found, the key is
/// gone, the version reads 3, and loading goes on.
#[cfg(feature = "postgres")]
#[test]
fn a_postgres_index_of_schema_1_is_migrated_in_place() {
    let Some(pg) = postgres("t_", "migrate") else {
        return;
    };
    let Store::Pg { url, .. } = &pg else {
        unreachable!()
    };
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = three_cases(t.path());
    let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
    // Schema 1 as custodian wrote it, with one file row.
    db.batch_execute(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE cases (id BIGSERIAL PRIMARY KEY, case_key TEXT NOT NULL UNIQUE,
           case_id TEXT NOT NULL, dir TEXT NOT NULL);
         CREATE TABLE exhibits (id BIGSERIAL PRIMARY KEY, case_ref BIGINT NOT NULL REFERENCES cases(id),
           exhibit TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, acquired_seq BIGINT NOT NULL,
           files BIGINT NOT NULL, indexed_at TEXT NOT NULL, UNIQUE (case_ref, exhibit));
         CREATE TABLE files (exhibit_ref BIGINT NOT NULL REFERENCES exhibits(id), path TEXT NOT NULL,
           size BIGINT, md5 BYTEA, sha1 BYTEA, sha256 BYTEA, sha3_256 BYTEA, blake3 BYTEA, sha512 BYTEA);
         INSERT INTO meta VALUES ('schema', '1');
         INSERT INTO cases (case_key, case_id, dir) VALUES ('old', 'CASE-old', '/cases/old');
         INSERT INTO exhibits (case_ref, exhibit, manifest_sha256, acquired_seq, files, indexed_at)
           VALUES (1, 'E1', '00', 1, 1, '2026-01-01T00:00:00Z');",
    )
    .unwrap();
    db.execute(
        "INSERT INTO files (exhibit_ref, path, size, sha256) VALUES (1, '/old/x', 3, $1)",
        &[&sha256_hex(b"bbb")
            .as_bytes()
            .chunks(2)
            .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
            .collect::<Vec<u8>>()],
    )
    .unwrap();
    let v = index_json(&pg, &["add", s(&a), s(&b), s(&c)], 0);
    assert!(v.is_object());
    let version: String = db
        .query_one("SELECT value FROM meta WHERE key = 'schema'", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "3");
    let fks: i64 = db
        .query_one(
            "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = to_regclass('files') AND contype = 'f'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(fks, 0, "the foreign key of files is gone");
    // The old row and the new ones are found alike.
    let found = index_json(&pg, &["search", &sha256_hex(b"bbb")], 0);
    let cases: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(cases, ["CASE-B", "CASE-old"], "{found}");
}
