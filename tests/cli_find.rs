//! `custodian index find`: exhibits by words, end to end.
//!
//! Every query runs against a SQLite index and, at CUSTODIAN_TEST_POSTGRES,
//! a PostgreSQL one (a fresh schema per test, as in tests/cli_index.rs),
//! and the two answers must be the same, byte for byte, in the same order.
//! Without that variable the PostgreSQL side prints a loud skip, unless
//! CUSTODIAN_REQUIRE_POSTGRES=1 (CI), where it fails; built without the
//! cargo feature `postgres` it prints a skip saying so.

mod common;

use std::path::{Path, PathBuf};

use common::{custodian, expect_code, key_path};
use serde_json::Value;

use common::store::{postgres, Store};

/// The stores of a test: SQLite, and PostgreSQL when there is one.
fn stores(dir: &Path, name: &str) -> Vec<Store> {
    let mut v = vec![Store::Sqlite(dir.join("ix.sqlite"))];
    v.extend(postgres("t_find_", name));
    v
}

fn index(store: &Store, args: &[&str]) -> std::process::Output {
    custodian()
        .arg("index")
        .arg("--index")
        .arg(store.location())
        .args(args)
        .output()
        .unwrap()
}

fn lead() -> PathBuf {
    key_path("lead")
}

fn run(args: &[&str]) {
    let out = custodian().args(args).output().unwrap();
    expect_code(&out, 0);
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Opens case `id` in `root/name` and acquires `exhibit` (one small file)
/// with the acquire options `opts`.
fn case_with(root: &Path, name: &str, id: &str, exhibits: &[(&str, &[&str])]) -> PathBuf {
    let case = root.join(name);
    let k = lead();
    run(&[
        "init",
        s(&case),
        "--case-id",
        id,
        "--title",
        "find test",
        "--authority",
        "Warrant 26/1187",
        "--key",
        s(&k),
    ]);
    for (ex, opts) in exhibits {
        let ev = root.join(format!("evidence-{name}-{ex}"));
        std::fs::create_dir_all(&ev).unwrap();
        std::fs::write(ev.join("f.txt"), format!("{name} {ex}\n")).unwrap();
        let mut a = vec!["acquire", s(&case), "--exhibit", ex, "--key", s(&k)];
        a.extend_from_slice(opts);
        a.push(s(&ev));
        run(&a);
    }
    case
}

/// Two verifiable cases and one whose ledger was altered after signing.
fn cases(root: &Path) -> Vec<PathBuf> {
    let k = lead();
    let a = case_with(
        root,
        "a",
        "FR-LYON-1",
        &[
            (
                "EXH-1",
                &[
                    "--description",
                    "Ünïcode laptop from 東京都",
                    "--make",
                    "Samsung",
                    "--model",
                    "Galaxy S21",
                    "--serial",
                    "R58N-12/34",
                ],
            ),
            ("EXH-2", &["--description", "İSTANBUL Straße disk"]),
        ],
    );
    run(&[
        "custody",
        "seal",
        s(&a),
        "--exhibit",
        "EXH-1",
        "--seal",
        "SEAL-2026/0042",
        "--location",
        "Lyon, salle 3",
        "--authority",
        "Warrant 26/1187",
        "--key",
        s(&k),
    ]);
    run(&[
        "custody",
        "seal",
        s(&a),
        "--exhibit",
        "EXH-2",
        "--seal",
        "SEAL-2026/0041",
        "--location",
        "Room 0042",
        "--key",
        s(&k),
    ]);
    let b = case_with(
        root,
        "b",
        "DE-BKA-7",
        &[("EXH-1", &["--make", "SAMSUNG", "--model", "T7 Shield"])],
    );
    run(&[
        "custody",
        "check-out",
        s(&b),
        "--exhibit",
        "EXH-1",
        "--purpose",
        "imaging for the Lyon request",
        "--key",
        s(&k),
    ]);
    // Case c: its acquisition entry is changed after it was signed.
    let c = case_with(
        root,
        "c",
        "XX-TAMPERED-9",
        &[("EXH-1", &["--description", "Samsung zzunsignedzz phone"])],
    );
    let ledger = c.join("ledger.jsonl");
    let bytes = std::fs::read(&ledger).unwrap();
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("zzunsignedzz", "yyunsignedyy");
    std::fs::write(&ledger, text).unwrap();
    vec![a, b, c]
}

/// (exit code, `found` array) of `index find ARGS… --json`.
fn find(store: &Store, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["find", "--json"];
    a.extend_from_slice(args);
    let out = index(store, &a);
    let code = out.status.code().unwrap();
    if code == 2 {
        assert!(out.stdout.is_empty(), "no JSON on an error");
        return (code, Value::Null);
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v["found"].clone())
}

/// (case id, exhibit, field, text) of each text found.
fn rows(found: &Value) -> Vec<(String, String, String, String)> {
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let g = |k: &str| f[k].as_str().unwrap().to_string();
            (g("case_id"), g("exhibit"), g("field"), g("text"))
        })
        .collect()
}

fn row(case: &str, ex: &str, field: &str, text: &str) -> (String, String, String, String) {
    (case.into(), ex.into(), field.into(), text.into())
}

#[test]
fn both_stores_find_the_same_exhibits_by_words() {
    let t = tempfile::tempdir().unwrap();
    let dirs = cases(t.path());
    let stores = stores(t.path(), "same");
    let mut add = vec!["add"];
    add.extend(dirs.iter().map(|d| s(d)));
    for st in &stores {
        // The altered case is skipped (exit 1), the others indexed.
        let out = index(st, &add);
        expect_code(&out, 1);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("case skipped: the ledger does not verify"),
            "{err}"
        );
    }

    let queries: &[&[&str]] = &[
        &["SEAL-2026/0042"],
        &["seal-2026/0042"],
        &["Ünïcode"],
        &["ünïcode"],
        &["u\u{308}ni\u{308}code"],
        &["東京"],
        &["都"],
        &["samsung"],
        &["Sams*", "lyon"],
        &["galaxy s21"],
        &["\"S21 Galaxy\""],
        &["istanbul"],
        &["İstanbul"],
        &["i\u{307}stanbul"],
        &["STRASSE"],
        &["straße"],
        &["0042"],
        &["26/1187"],
        &["j.dupont@cyber.lyon.police.example"],
        &["zzunsignedzz"],
        &["yyunsignedyy"],
        &["nothing-of-the-sort"],
        &["/-/"],
        &["\"unclosed"],
    ];
    let mut answers: Vec<Vec<(i32, Value)>> = Vec::new();
    for st in &stores {
        answers.push(queries.iter().map(|q| find(st, q)).collect());
    }
    // Every store gives the same answer to every query.
    for other in &answers[1..] {
        for (i, q) in queries.iter().enumerate() {
            assert_eq!(other[i], answers[0][i], "query {q:?}");
        }
    }
    let a = &answers[0];
    let at = |q: &[&str]| -> &(i32, Value) {
        let i = queries.iter().position(|x| *x == q).unwrap();
        &a[i]
    };

    // Punctuation-heavy seal ids: a phrase of three words, in one text.
    let seal = vec![row("FR-LYON-1", "EXH-1", "seal", "SEAL-2026/0042")];
    assert_eq!(at(&["SEAL-2026/0042"]).0, 0);
    assert_eq!(rows(&at(&["SEAL-2026/0042"]).1), seal);
    assert_eq!(rows(&at(&["seal-2026/0042"]).1), seal);
    let f = &at(&["SEAL-2026/0042"]).1[0];
    assert_eq!(f["seq"], 3, "{f}");
    assert_eq!(f["entry"].as_str().unwrap().len(), 64);
    // The word 0042 alone is in both exhibits' texts.
    assert_eq!(
        rows(&at(&["0042"]).1),
        [
            row("FR-LYON-1", "EXH-1", "seal", "SEAL-2026/0042"),
            row("FR-LYON-1", "EXH-2", "location", "Room 0042"),
        ]
    );

    // Non-ASCII: case-folded and normalised, composed or not.
    let unicode = vec![row(
        "FR-LYON-1",
        "EXH-1",
        "description",
        "Ünïcode laptop from 東京都",
    )];
    for q in [&["Ünïcode"][..], &["ünïcode"], &["u\u{308}ni\u{308}code"]] {
        assert_eq!(rows(&at(q).1), unicode, "{q:?}");
    }
    // CJK: each ideograph is a word; 東京 is a phrase of two.
    assert_eq!(rows(&at(&["東京"]).1), unicode);
    assert_eq!(rows(&at(&["都"]).1), unicode);
    // The defined fold: İ is i + U+0307, ß stays ß.
    assert_eq!(at(&["istanbul"]).0, 1);
    let istanbul = vec![row(
        "FR-LYON-1",
        "EXH-2",
        "description",
        "İSTANBUL Straße disk",
    )];
    assert_eq!(rows(&at(&["İstanbul"]).1), istanbul);
    assert_eq!(rows(&at(&["i\u{307}stanbul"]).1), istanbul);
    assert_eq!(at(&["STRASSE"]).0, 1);
    assert_eq!(rows(&at(&["straße"]).1), istanbul);

    // Several cases, in case-id order; AND within an exhibit; prefixes.
    assert_eq!(
        rows(&at(&["samsung"]).1),
        [
            row("DE-BKA-7", "EXH-1", "device.make", "SAMSUNG"),
            row("FR-LYON-1", "EXH-1", "device.make", "Samsung"),
        ]
    );
    let and = rows(&at(&["Sams*", "lyon"]).1);
    assert_eq!(and.len(), 4, "{and:?}");
    assert_eq!(and[0], row("DE-BKA-7", "EXH-1", "device.make", "SAMSUNG"));
    assert_eq!(
        and[1],
        row(
            "DE-BKA-7",
            "EXH-1",
            "purpose",
            "imaging for the Lyon request"
        )
    );
    assert_eq!(and[2], row("FR-LYON-1", "EXH-1", "device.make", "Samsung"));
    assert_eq!(
        and[3],
        row("FR-LYON-1", "EXH-1", "location", "Lyon, salle 3")
    );
    // One argument with a space is a phrase; its words in another order
    // are not.
    assert_eq!(
        rows(&at(&["galaxy s21"]).1),
        [row("FR-LYON-1", "EXH-1", "device.model", "Galaxy S21")]
    );
    assert_eq!(at(&["\"S21 Galaxy\""]).0, 1);
    // Authority references and holders.
    let auth = rows(&at(&["26/1187"]).1);
    assert!(
        auth.iter()
            .any(|r| *r == row("FR-LYON-1", "EXH-1", "authority", "Warrant 26/1187")),
        "{auth:?}"
    );
    assert_eq!(
        rows(&at(&["j.dupont@cyber.lyon.police.example"]).1),
        [row(
            "DE-BKA-7",
            "EXH-1",
            "holder",
            "j.dupont@cyber.lyon.police.example"
        )]
    );

    // The unverifiable ledger fed nothing, neither its signed nor its
    // altered words.
    assert_eq!(at(&["zzunsignedzz"]).0, 1);
    assert_eq!(at(&["yyunsignedyy"]).0, 1);
    assert!(rows(&at(&["samsung"]).1)
        .iter()
        .all(|r| r.0 != "XX-TAMPERED-9"));
    // Nothing found: exit 1, an empty list.
    assert_eq!(at(&["nothing-of-the-sort"]).0, 1);
    assert_eq!(at(&["nothing-of-the-sort"]).1, Value::Array(vec![]));
    // No words, an unclosed quote: exit 2.
    assert_eq!(at(&["/-/"]).0, 2);
    assert_eq!(at(&["\"unclosed"]).0, 2);
}

#[test]
fn later_custody_entries_are_found_after_the_next_add() {
    let t = tempfile::tempdir().unwrap();
    let a = case_with(t.path(), "a", "FR-LYON-2", &[("EXH-1", &[])]);
    for st in &stores(t.path(), "later") {
        expect_code(&index(st, &["add", s(&a)]), 0);
        assert_eq!(find(st, &["SEAL-77"]).0, 1);
    }
    run(&[
        "custody",
        "seal",
        s(&a),
        "--exhibit",
        "EXH-1",
        "--seal",
        "SEAL-77",
        "--key",
        s(&lead()),
    ]);
    for st in &stores(t.path(), "later2") {
        expect_code(&index(st, &["add", s(&a)]), 0);
        // The manifest is unchanged; the words are refreshed all the same.
        expect_code(&index(st, &["add", s(&a)]), 0);
        let (code, found) = find(st, &["SEAL-77"]);
        assert_eq!(code, 0);
        assert_eq!(rows(&found), [row("FR-LYON-2", "EXH-1", "seal", "SEAL-77")]);
    }
}

#[test]
fn text_output_names_case_exhibit_field_and_entry() {
    let t = tempfile::tempdir().unwrap();
    let a = case_with(
        t.path(),
        "a",
        "FR-LYON-3",
        &[("EXH-9", &["--serial", "SN-0042/X"])],
    );
    let st = Store::Sqlite(t.path().join("ix.sqlite"));
    expect_code(&index(&st, &["add", s(&a)]), 0);
    let out = index(&st, &["find", "sn-0042/x"]);
    expect_code(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("FR-LYON-3 EXH-9  device.serial: SN-0042/X  (entry 1 "),
        "{text}"
    );
    assert!(
        text.contains("1 text(s) in 1 exhibit(s) of 1 case(s)"),
        "{text}"
    );
    let out = index(&st, &["find", "absent"]);
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing found in"));
    let out = index(&st, &["find", "/-/"]);
    expect_code(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no words to find"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Schema change: a PostgreSQL index of schema 2 (before the words of
/// exhibits) is migrated to 3 in place when opened, its rows kept; its
/// cases are found by words after their next `index add`.
#[cfg(feature = "postgres")]
#[test]
fn a_postgres_index_of_schema_2_is_migrated_in_place() {
    let t = tempfile::tempdir().unwrap();
    let Some(st) = postgres("t_find_", "migrate") else {
        return;
    };
    let a = case_with(
        t.path(),
        "a",
        "FR-LYON-4",
        &[("EXH-1", &["--make", "Samsung"])],
    );
    expect_code(&index(&st, &["add", s(&a)]), 0);
    let Store::Pg { url, .. } = &st else {
        unreachable!()
    };
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    // What a schema-2 index is: no words tables, version 2.
    c.batch_execute(
        "DROP TABLE tokens; DROP TABLE texts; UPDATE meta SET value = '2' WHERE key = 'schema'",
    )
    .unwrap();
    let out = index(&st, &["stats", "--json"]);
    expect_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"], 1, "{v}");
    let version: String = c
        .query_one("SELECT value FROM meta WHERE key = 'schema'", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, "3");
    assert_eq!(find(&st, &["samsung"]).0, 1);
    // The manifest is unchanged; the words are written all the same.
    expect_code(&index(&st, &["add", s(&a)]), 0);
    assert_eq!(
        rows(&find(&st, &["samsung"]).1),
        [row("FR-LYON-4", "EXH-1", "device.make", "Samsung")]
    );
}
