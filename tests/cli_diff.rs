//! `custodian diff`: our manifest against lists written by other tools
//! (run here for real: sha256sum, md5sum, hashdeep, openssl), with the same
//! statuses and counts as the evidence audit.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn custodian() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("custodian").unwrap()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A case with exhibit E1 acquired from `dir/ev`.
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let ev = dir.join("ev");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    std::fs::write(ev.join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(ev.join("sub/b.txt"), b"bravo\n").unwrap();
    std::fs::write(ev.join("c,comma.txt"), b"charlie\n").unwrap();
    std::fs::write(ev.join("m.txt"), b"mike\n").unwrap();
    let case = dir.join("case");
    let key = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fixtures/keys/lead");
    custodian()
        .args([
            "init",
            case.to_str().unwrap(),
            "--case-id",
            "D-1",
            "--title",
            "diff",
            "--authority",
            "Warrant 1",
        ])
        .arg("--key")
        .arg(&key)
        .assert()
        .success();
    custodian()
        .args([
            "acquire",
            case.to_str().unwrap(),
            "--exhibit",
            "E1",
            "--quiet",
        ])
        .arg("--key")
        .arg(&key)
        .arg(&ev)
        .assert()
        .success();
    (case.join("manifests/E1.jsonl"), ev)
}

/// Runs `sh -c CMD` in `dir`, writing stdout to `out`.
fn list(dir: &Path, cmd: &str, out: &Path) {
    let o = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(out, o.stdout).unwrap();
}

fn diff_json(a: &Path, b: &Path, extra: &[&str]) -> (i32, Value) {
    let out = custodian()
        .arg("diff")
        .arg(a)
        .arg(b)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), v)
}

#[test]
fn identical_lists_from_other_tools_match() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = setup(dir.path());
    let sums = dir.path().join("theirs.sha256");
    list(
        dir.path(),
        "find ev -type f -print0 | sort -z | xargs -0 sha256sum",
        &sums,
    );
    let (code, v) = diff_json(&manifest, &sums, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["result"], "matched");
    assert_eq!(v["counts"]["examined"], 4);
    assert_eq!(v["counts"]["matched"], 4);
    assert_eq!(v["algorithms"], serde_json::json!(["sha256"]));
    assert_eq!(v["b"]["stripped_prefix"], "ev/");

    // md5sum lists compare by md5, the only algorithm in common.
    let md5 = dir.path().join("theirs.md5");
    list(
        dir.path(),
        "cd ev && find . -type f -print0 | sort -z | xargs -0 md5sum",
        &md5,
    );
    let (code, v) = diff_json(&manifest, &md5, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["algorithms"], serde_json::json!(["md5"]));

    // BSD tags as openssl writes them.
    let tagged = dir.path().join("theirs.tag");
    list(
        dir.path(),
        "find ev -type f | sort | xargs openssl dgst -sha256",
        &tagged,
    );
    let (code, v) = diff_json(&manifest, &tagged, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["counts"]["matched"], 4);
}

#[test]
fn each_status_against_a_changed_sha256sum_list() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, ev) = setup(dir.path());
    std::fs::write(ev.join("a.txt"), b"ALPHA\n").unwrap();
    std::fs::remove_file(ev.join("sub/b.txt")).unwrap();
    std::fs::write(ev.join("new.txt"), b"november\n").unwrap();
    std::fs::rename(ev.join("m.txt"), ev.join("sub/m-moved.txt")).unwrap();
    let sums = dir.path().join("theirs.sha256");
    list(
        dir.path(),
        "find ev -type f -print0 | sort -z | xargs -0 sha256sum",
        &sums,
    );
    let (code, v) = diff_json(&manifest, &sums, &[]);
    assert_eq!(code, 1, "{v}");
    let c = &v["counts"];
    assert_eq!(
        (
            c["examined"].as_u64(),
            c["matched"].as_u64(),
            c["changed"].as_u64()
        ),
        (Some(5), Some(1), Some(1))
    );
    assert_eq!(
        (
            c["missing"].as_u64(),
            c["new"].as_u64(),
            c["moved"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let status_of = |path: &str| {
        v["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path)
            .map(|d| d["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of("a.txt").as_deref(), Some("changed"));
    assert_eq!(status_of("sub/b.txt").as_deref(), Some("missing"));
    assert_eq!(status_of("new.txt").as_deref(), Some("new"));
    assert_eq!(status_of("sub/m-moved.txt").as_deref(), Some("moved"));
    let moved = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "moved")
        .unwrap();
    assert_eq!(moved["from"], "m.txt");
    // Exit code and quiet mode.
    custodian()
        .arg("diff")
        .arg(&manifest)
        .arg(&sums)
        .arg("--quiet")
        .assert()
        .code(1)
        .stdout("");
}

#[test]
fn hashdeep_files_with_commas_in_names() {
    if !have("hashdeep") {
        eprintln!("skipped: hashdeep is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = setup(dir.path());
    let hd = dir.path().join("theirs.hashdeep");
    list(dir.path(), "hashdeep -c md5,sha256 -r ev", &hd);
    let (code, v) = diff_json(&manifest, &hd, &["--all-algorithms"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["algorithms"], serde_json::json!(["md5", "sha256"]));
    assert_eq!(v["counts"]["matched"], 4);
    assert_eq!(v["b"]["format"], "hashdeep");
}

#[test]
fn unreadable_or_incompatible_lists_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = setup(dir.path());
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "this is not a hash list\n").unwrap();
    let out = custodian()
        .arg("diff")
        .arg(&manifest)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.txt:1"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // No algorithm in common: a sha1-only list against an sha256-only one.
    let s1 = dir.path().join("x.sha1");
    std::fs::write(&s1, format!("{}  a.txt\n", "0".repeat(40))).unwrap();
    let s2 = dir.path().join("x.sha256");
    std::fs::write(&s2, format!("{}  a.txt\n", "0".repeat(64))).unwrap();
    let out = custodian().arg("diff").arg(&s1).arg(&s2).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no digest algorithm in common"));
    custodian()
        .arg("diff")
        .arg(&manifest)
        .arg(dir.path().join("nope"))
        .assert()
        .code(2);
}

#[test]
fn escaped_names_in_sum_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("back\\slash\nnew"), b"x").unwrap();
    let sums = dir.path().join("s.sha256");
    list(dir.path(), "sha256sum ev/*", &sums);
    assert!(
        std::fs::read(&sums).unwrap().starts_with(b"\\"),
        "coreutils escapes the line"
    );
    let sums2 = dir.path().join("s2.sha256");
    list(dir.path(), "cd ev && sha256sum *", &sums2);
    let (code, v) = diff_json(&sums, &sums2, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["counts"]["matched"], 1);
}

/// A manifest whose lines are well-formed JSON but say impossible things
/// (a root the header does not list, `path_b64` that is not base64, a
/// digest that is not hex of its algorithm's length, an algorithm the
/// header does not list) is refused with its line, never compared
/// (issue 17 item 11).
#[test]
fn malformed_manifest_records_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let header = r#"{"algorithms":["sha256"],"follow_symlinks":false,"format":"custodian-manifest","roots":[{"path":"ev"}],"tool":"custodian 0.1.0","version":1}"#;
    let good = r#"{"digests":{"sha256":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},"path":"a","root":0,"size":3,"type":"file"}"#;
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, format!("{header}\n{good}\n")).unwrap();
    let (code, _) = diff_json(&other, &other, &[]);
    assert_eq!(code, 0, "the well-formed manifest compares");
    for (what, line, words) in [
        (
            "root out of range",
            good.replace("\"root\":0", "\"root\":7"),
            "root 7 is not in the header",
        ),
        (
            "bad path_b64",
            good.replace("\"path\":\"a\",", "\"path\":\"a\",\"path_b64\":\"!!\","),
            "path_b64 is not standard base64",
        ),
        (
            "digest zz",
            good.replace(
                "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
                "zz",
            ),
            "sha256 digest is not 64 lowercase hex",
        ),
        (
            "unlisted algorithm",
            good.replace(
                "{\"sha256\"",
                "{\"md5\":\"900150983cd24fb0d6963f7d28e17f72\",\"sha256\"",
            ),
            "md5 digest, which the header does not list",
        ),
    ] {
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, format!("{header}\n{line}\n")).unwrap();
        let out = custodian()
            .arg("diff")
            .arg(&bad)
            .arg(&other)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains("line 2") && err.contains(words),
            "{what}: {err}"
        );
    }
}

/// The set of differences of a `diff --json` object with the two lists'
/// roles swapped back (missing and new, expected and found, A and B), so
/// that `diff A B` and `diff B A` compare equal when the verdict is
/// symmetric.
fn normalised(v: &Value, swapped: bool) -> Vec<String> {
    let mut out: Vec<String> = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let status = d["status"].as_str().unwrap();
            let (status, expected, found) = match (swapped, status) {
                (true, "missing") => ("new", &d["found"], &d["expected"]),
                (true, "new") => ("missing", &d["found"], &d["expected"]),
                (true, s) => (s, &d["found"], &d["expected"]),
                (false, s) => (s, &d["expected"], &d["found"]),
            };
            format!("{status} {} {expected} {found}", d["path"])
        })
        .collect();
    for d in v["duplicates"].as_array().unwrap() {
        let side = match (swapped, d["list"].as_str().unwrap()) {
            (true, "a") | (false, "b") => "b",
            _ => "a",
        };
        out.push(format!("duplicate {side} {} {}", d["path"], d["lines"]));
    }
    out.sort();
    out
}

/// A list that names a path twice (issue 17 item 6): the duplicate is
/// reported with both line numbers, never collapsed, and the verdict
/// (exit code and the set of differences) is the same whichever list is
/// given first; in text and JSON, for sum, hashdeep and manifest lists.
#[test]
fn duplicate_paths_are_reported_and_the_verdict_is_symmetric() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hex = |c: char| c.to_string().repeat(64);
    let (a, b, c) = (hex('a'), hex('b'), hex('c'));
    let write = |name: &str, text: String| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // x.txt twice in one list, with different digests, one of which is
    // the other list's: first-wins on one side and last-wins on the other
    // used to give "matched" in one order and "changed" in the other.
    let twice = write(
        "twice.sha256",
        format!("{a}  x.txt\n{c}  y.txt\n{b}  x.txt\n"),
    );
    let once = write("once.sha256", format!("{b}  x.txt\n{c}  y.txt\n"));
    let last = write("last.sha256", format!("{a}  x.txt\n{c}  y.txt\n"));
    // The same digest twice (`./x.txt` is `x.txt`): still reported.
    let same = write(
        "same.sha256",
        format!("{b}  x.txt\n{c}  y.txt\n{b}  ./x.txt\n"),
    );
    // Duplicates on both sides, and a duplicated path only one list has.
    let both = write(
        "both.sha256",
        format!("{b}  x.txt\n{b}  x.txt\n{c}  z.txt\n{a}  z.txt\n"),
    );
    let pairs = [
        (&twice, &once),
        (&twice, &last),
        (&same, &once),
        (&both, &twice),
        (&both, &once),
    ];
    for (l, r) in pairs {
        let (code_lr, v_lr) = diff_json(l, r, &[]);
        let (code_rl, v_rl) = diff_json(r, l, &[]);
        assert_eq!(code_lr, 1, "{v_lr}");
        assert_eq!(code_rl, code_lr, "{v_lr}\n{v_rl}");
        assert_eq!(v_lr["result"], "different");
        assert_eq!(
            normalised(&v_lr, false),
            normalised(&v_rl, true),
            "{l:?} {r:?}"
        );
        assert_eq!(
            v_lr["counts"]["matched"], v_rl["counts"]["matched"],
            "{v_lr}\n{v_rl}"
        );
    }
    // The duplicate names its lines, list and whether the digests agree.
    let (_, v) = diff_json(&twice, &once, &[]);
    assert_eq!(
        v["duplicates"],
        serde_json::json!([{"list": "a", "path": "x.txt", "position": "line", "lines": [1, 3], "same_digests": false}])
    );
    assert_eq!(v["differences"][0]["status"], "changed", "{v}");
    let (_, v) = diff_json(&once, &same, &[]);
    assert_eq!(v["duplicates"][0]["list"], "b");
    assert_eq!(v["duplicates"][0]["same_digests"], true);
    assert_eq!(v["counts"]["matched"], 2, "{v}");
    // In text: one line per duplicate, naming the path, the list and the
    // lines; exit 1 either way round.
    for (l, r, side) in [(&twice, &once, "A"), (&once, &twice, "B")] {
        let out = custodian().arg("diff").arg(l).arg(r).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!(
                "duplicate    x.txt is listed 2 times in {side} (lines 1, 3)"
            )),
            "{text}"
        );
    }
    // Hashdeep and manifest lists are read the same way.
    let hd = write(
        "twice.hashdeep",
        format!("%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n## x\n1,{a},/ev/x.txt\n1,{c},/ev/y.txt\n1,{b},/ev/x.txt\n"),
    );
    let (code, v) = diff_json(&hd, &once, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["duplicates"][0]["lines"], serde_json::json!([4, 6]));
    let header = r#"{"algorithms":["sha256"],"follow_symlinks":false,"format":"custodian-manifest","roots":[{"path":"ev"}],"tool":"custodian 0.1.0","version":1}"#;
    let rec = |path: &str, digest: &str| {
        format!(
            r#"{{"digests":{{"sha256":"{digest}"}},"path":"{path}","root":0,"size":1,"type":"file"}}"#
        )
    };
    let manifest = write(
        "twice.jsonl",
        format!(
            "{header}\n{}\n{}\n{}\n",
            rec("x.txt", &b),
            rec("y.txt", &c),
            rec("x.txt", &a)
        ),
    );
    let (code, v) = diff_json(&once, &manifest, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["duplicates"][0]["list"], "b");
    assert_eq!(v["duplicates"][0]["lines"], serde_json::json!([2, 4]));
    let (code2, v2) = diff_json(&manifest, &once, &[]);
    assert_eq!(code2, 1);
    assert_eq!(normalised(&v, false), normalised(&v2, true));
}
