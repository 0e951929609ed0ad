//! Record injection through file names (issue 17, item 1). A seized disk
//! is written by the suspect: no file name, in any format `custodian hash`
//! writes, may produce more or other records than the files that exist.
//!
//! A tree of hostile names (line feed, carriage return, backslash, comma,
//! quotes, leading and trailing space, tab, a `*` prefix, non-UTF-8 bytes,
//! and names that are whole fake records of each format) is hashed in every
//! format; each output is read back by `diff` (against the JSON manifest),
//! by `hashset import`, by the library's list reader and by the format's
//! own checker (`sha256sum -c` and siblings, `b3sum --check`, `hashdeep -a
//! -k`, `xmllint`). Each must see exactly one record per file, with the
//! exact name and digests; a name the format cannot carry (hashdeep: line
//! feed, carriage return; b3sum: carriage return, non-UTF-8) is left out,
//! named on one stderr line, and the run exits 1.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command as StdCommand, Output};

use common::*;
use custodian::hashing::Algorithm;
use custodian::hashlist::write::{display_name, LineFormat};
use custodian::hashlist::HashList;
use md5::Digest as _;
use serde_json::Value;

const Z32: &str = "00000000000000000000000000000000";
const Z40: &str = "0000000000000000000000000000000000000000";
const Z64: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// File paths below `ev/`; a `/` separates folders.
fn hostile_names() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b"plain.txt"[..],
        b"new\nline",
        b"carriage\rreturn",
        b"ends-in-cr\r",
        b"back\\slash\\n",
        b"com,ma,",
        b"quo\"te's",
        b" leading-space",
        b"trailing-space ",
        b"tab\there",
        b"*star",
        b"latin1-\xe9\xff",
        b"(paren) = x",
        "\u{202e}exe.txt".as_bytes(),
        b"sub dir/nested\nname",
        b"sub dir/plain nested",
    ]
    .iter()
    .map(|n| n.to_vec())
    .collect();
    // Whole fake records, each with digests "the suspect chose".
    for fake in [
        format!("x\n10,{Z32},{Z40},{Z64},planted"),
        format!("x\n10,{Z32},{Z40},{Z64},planted\r"),
        format!("x\n{Z64}  planted"),
        format!("x\n\\{Z64}  planted\\n"),
        format!("x\nSHA256 (planted) = {Z64}"),
        "x\"}\n{\"path\":\"planted\",\"root\":0,\"type\":\"file\"}".to_string(),
        // Folders whose names join into closing tags (a name holds no `/`).
        format!("x<\u{2f}filename><hashdigest type=\"md5\">{Z32}<\u{2f}hashdigest><\u{2f}fileobject><fileobject><filename>planted"),
    ] {
        v.push(fake.into_bytes());
    }
    v
}

/// A temporary `ev/` holding every hostile name, each with its own content.
struct Tree {
    dir: tempfile::TempDir,
    /// Name below `ev/` → content.
    files: BTreeMap<Vec<u8>, Vec<u8>>,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut files = BTreeMap::new();
    for (i, name) in hostile_names().into_iter().enumerate() {
        let content = format!("content of file {i}\n").into_bytes();
        let path = ev.join(OsStr::from_bytes(&name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &content).unwrap();
        files.insert(name, content);
    }
    Tree { dir, files }
}

/// One output format of `custodian hash`.
struct Format {
    label: &'static str,
    args: &'static [&'static str],
    /// The format's algorithms, as `hashset import` counts them.
    algorithms: &'static [Algorithm],
    /// The line convention, when the format has names it cannot carry.
    lines: Option<LineFormat>,
    /// `--assume`/`--algorithm` for readers of untagged 64-digit digests.
    assume: Option<&'static str>,
}

const FORMATS: &[Format] = &[
    Format {
        label: "sha256sum",
        args: &["--format", "sha256sum"],
        algorithms: &[Algorithm::Sha256],
        lines: Some(LineFormat::Gnu),
        assume: None,
    },
    Format {
        label: "md5sum",
        args: &["--format", "md5sum"],
        algorithms: &[Algorithm::Md5],
        lines: Some(LineFormat::Gnu),
        assume: None,
    },
    Format {
        label: "sha1sum",
        args: &["--format", "sha1sum"],
        algorithms: &[Algorithm::Sha1],
        lines: Some(LineFormat::Gnu),
        assume: None,
    },
    Format {
        label: "sha512sum",
        args: &["--format", "sum", "-c", "sha512"],
        algorithms: &[Algorithm::Sha512],
        lines: Some(LineFormat::Gnu),
        assume: None,
    },
    Format {
        label: "b3sum",
        args: &["--format", "sum", "-c", "blake3"],
        algorithms: &[Algorithm::Blake3],
        lines: Some(LineFormat::B3sum),
        assume: Some("blake3"),
    },
    Format {
        label: "hashdeep",
        args: &["--format", "hashdeep"],
        algorithms: &[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256],
        lines: Some(LineFormat::Hashdeep),
        assume: None,
    },
    Format {
        label: "dfxml",
        args: &["--format", "dfxml"],
        algorithms: &[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256],
        lines: None,
        assume: None,
    },
    Format {
        label: "json",
        args: &["--format", "json"],
        algorithms: &[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256],
        lines: None,
        assume: None,
    },
];

impl Format {
    /// Whether the format leaves `name` (as written, `ev/…`) out.
    fn refuses(&self, name: &[u8]) -> bool {
        self.lines.is_some_and(|l| l.refuses(name).is_some())
    }
}

fn hex_digest(a: Algorithm, data: &[u8]) -> String {
    match a {
        Algorithm::Md5 => hex::encode(md5::Md5::digest(data)),
        Algorithm::Sha1 => hex::encode(sha1::Sha1::digest(data)),
        Algorithm::Sha256 => hex::encode(sha2::Sha256::digest(data)),
        Algorithm::Sha512 => hex::encode(sha2::Sha512::digest(data)),
        Algorithm::Blake3 => blake3::hash(data).to_hex().to_string(),
        other => panic!("{other:?} not used here"),
    }
}

fn run(dir: &Path, args: &[&OsStr]) -> Output {
    custodian().current_dir(dir).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every stderr line is `custodian: PATH: …` for one left-out name, with
/// the name escaped; exactly the refused names appear.
fn check_refusals(f: &Format, out: &Output, refused: &[Vec<u8>]) {
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), refused.len(), "{}: stderr {err}", f.label);
    for name in refused {
        let want = format!(
            "custodian: {}: left out of the {} list",
            display_name(name),
            f.lines.unwrap().name()
        );
        assert!(
            lines.iter().any(|l| l.starts_with(&want)),
            "{}: no line {want:?} in {err}",
            f.label
        );
    }
    for l in &lines {
        assert!(
            !l.contains('\r') && !l.contains('\u{202e}'),
            "{}: raw control in {l:?}",
            f.label
        );
    }
    let code = if refused.is_empty() { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(code), "{}: {err}", f.label);
}

/// The list read back by the library (what `diff` uses): exactly the
/// expected names, each once, with the digests of its content.
fn check_parsed(f: &Format, list: &Path, expect: &BTreeMap<Vec<u8>, Vec<u8>>) {
    let assume = f.assume.map(|a| a.parse().unwrap());
    let parsed = HashList::load(list, assume).unwrap_or_else(|e| panic!("{}: {e}", f.label));
    let names: Vec<&[u8]> = parsed.files.iter().map(|x| x.path.as_slice()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    let want: Vec<&[u8]> = expect.keys().map(Vec::as_slice).collect();
    assert_eq!(
        sorted,
        want,
        "{}: names read back differ ({} read, {} expected)",
        f.label,
        names.len(),
        want.len()
    );
    for file in &parsed.files {
        let content = &expect[&file.path];
        for a in f.algorithms {
            assert_eq!(
                file.digests.get(*a),
                Some(hex_digest(*a, content).as_str()),
                "{}: {a:?} of {:?}",
                f.label,
                file.display()
            );
        }
    }
}

/// `hashset import` counts one digest per file and algorithm, and the
/// suspect's all-zero digests are not among them.
fn check_import(f: &Format, dir: &Path, list: &Path, files: usize) {
    let mut args: Vec<&OsStr> = ["hashset", "--hashsets", "store", "import"]
        .iter()
        .map(OsStr::new)
        .collect();
    let name = format!("set-{}-{files}", f.label);
    args.extend([OsStr::new(&name), list.as_os_str()]);
    args.extend(["--kind", "known-good", "--json"].map(OsStr::new));
    if let Some(a) = f.assume {
        args.extend([OsStr::new("--algorithm"), OsStr::new(a)]);
    }
    let out = run(dir, &args);
    expect_code(&out, 0);
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        meta["source"]["digests_read"],
        (files * f.algorithms.len()) as u64,
        "{}: {meta}",
        f.label
    );
    for a in f.algorithms {
        assert_eq!(
            meta["algorithms"][a.name()]["count"],
            files as u64,
            "{}: {a:?} {meta}",
            f.label
        );
    }
}

/// `custodian diff MANIFEST LIST`: every written file matched, every
/// left-out one missing, nothing new, changed or moved.
fn check_diff(f: &Format, dir: &Path, list: &Path, written: usize, refused: usize) {
    let mut args: Vec<&OsStr> = ["diff", "manifest.jsonl"].map(OsStr::new).to_vec();
    args.extend([list.as_os_str(), OsStr::new("--json")]);
    if let Some(a) = f.assume {
        args.extend([OsStr::new("--assume"), OsStr::new(a)]);
    }
    let out = run(dir, &args);
    expect_code(&out, if refused == 0 { 0 } else { 1 });
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["counts"];
    assert_eq!(v["b"]["files"], written as u64, "{}: {v}", f.label);
    assert_eq!(c["matched"], written as u64, "{}: {v}", f.label);
    assert_eq!(c["missing"], refused as u64, "{}: {v}", f.label);
    for k in ["new", "changed", "moved"] {
        assert_eq!(c[k], 0, "{}: {k} {v}", f.label);
    }
}

/// The format's own checker reads every record we wrote, and only those.
fn check_stock_tool(f: &Format, dir: &Path, list: &Path, written: usize, refused: usize) {
    let checker = match f.label {
        "sha256sum" | "md5sum" | "sha1sum" | "sha512sum" => Some(
            StdCommand::new(f.label)
                .arg("-c")
                .arg(list)
                .current_dir(dir)
                .output(),
        ),
        "b3sum" => Some(
            StdCommand::new("b3sum")
                .arg("--check")
                .arg(list)
                .current_dir(dir)
                .output(),
        ),
        "hashdeep" => Some(
            StdCommand::new("hashdeep")
                .args(["-r", "-a", "-vv", "-k"])
                .arg(list)
                .arg("ev")
                .current_dir(dir)
                .output(),
        ),
        "dfxml" => {
            let out = StdCommand::new("xmllint")
                .args(["--xpath", "count(//*[local-name()='fileobject'])"])
                .arg(list)
                .output()
                .unwrap();
            assert!(out.status.success(), "xmllint: {}", text(&out.stderr));
            assert_eq!(text(&out.stdout).trim(), written.to_string());
            None
        }
        _ => None,
    };
    let Some(out) = checker else { return };
    let out = out.unwrap_or_else(|e| panic!("{}: {e}", f.label));
    let so = text(&out.stdout);
    if f.label == "hashdeep" {
        let stat = |k: &str| -> String {
            so.lines()
                .find_map(|l| l.trim().strip_prefix(k))
                .unwrap_or_else(|| panic!("no {k:?} in {so}"))
                .trim()
                .to_string()
        };
        assert_eq!(stat("Files matched:"), written.to_string(), "{so}");
        assert_eq!(stat("Files moved:"), "0", "{so}");
        assert_eq!(stat("Known files not found:"), "0", "{so}");
        assert_eq!(stat("New files found:"), refused.to_string(), "{so}");
        assert_eq!(out.status.success(), refused == 0, "{so}");
        return;
    }
    assert!(
        out.status.success(),
        "{} -c: {so}{}",
        f.label,
        text(&out.stderr)
    );
    assert_eq!(
        so.lines().filter(|l| l.ends_with(": OK")).count(),
        written,
        "{}: {so}",
        f.label
    );
    assert!(!so.contains("FAILED"), "{}: {so}", f.label);
}

#[test]
fn every_format_round_trips_hostile_names_through_diff_import_and_stock_tools() {
    let t = tree();
    let dir = t.dir.path();
    // The reference: a manifest with every algorithm any format writes.
    let manifest = run(
        dir,
        &[
            "hash",
            "-r",
            "--format",
            "json",
            "-c",
            "md5,sha1,sha256,sha512,blake3",
            "ev",
        ]
        .map(OsStr::new),
    );
    expect_code(&manifest, 0);
    std::fs::write(dir.join("manifest.jsonl"), &manifest.stdout).unwrap();
    for f in FORMATS {
        let mut args: Vec<&OsStr> = ["hash", "-r"].map(OsStr::new).to_vec();
        args.extend(f.args.iter().map(OsStr::new));
        args.push(OsStr::new("ev"));
        let out = run(dir, &args);
        let list = dir.join(format!("list.{}", f.label));
        std::fs::write(&list, &out.stdout).unwrap();
        let ev_name = |n: &[u8]| [b"ev/".as_slice(), n].concat();
        let refused: Vec<Vec<u8>> = t
            .files
            .keys()
            .map(|n| ev_name(n))
            .filter(|n| f.refuses(n))
            .collect();
        check_refusals(f, &out, &refused);
        let expect: BTreeMap<Vec<u8>, Vec<u8>> = t
            .files
            .iter()
            .filter(|(n, _)| !f.refuses(&ev_name(n)))
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        check_parsed(f, &list, &expect);
        check_diff(f, dir, &list, expect.len(), refused.len());
        if f.label != "json" {
            check_import(f, dir, &list, expect.len());
        }
        check_stock_tool(f, dir, &list, expect.len(), refused.len());
    }
    // What the issue reported: hashdeep and b3sum leave names out, the
    // others carry every one.
    let refused_by = |label: &str| {
        let f = FORMATS.iter().find(|f| f.label == label).unwrap();
        t.files.keys().filter(|n| f.refuses(n)).count()
    };
    assert_eq!(refused_by("hashdeep"), 10);
    assert_eq!(refused_by("b3sum"), 4);
    assert_eq!(refused_by("sha256sum"), 0);
}

/// Names given one by one (no folder prefix), so a name's first byte is
/// the first byte of the name field (`*star`, ` leading-space`).
#[test]
fn names_given_directly_round_trip_through_list_readers_and_stock_tools() {
    let t = tree();
    let ev = t.dir.path().join("ev");
    let top: BTreeMap<Vec<u8>, Vec<u8>> = t
        .files
        .iter()
        .filter(|(n, _)| !n.contains(&b'/'))
        .map(|(n, c)| (n.clone(), c.clone()))
        .collect();
    for f in FORMATS.iter().filter(|f| f.label != "json") {
        let mut args: Vec<&OsStr> = vec![OsStr::new("hash")];
        args.extend(f.args.iter().map(OsStr::new));
        args.extend(top.keys().map(|n| OsStr::from_bytes(n)));
        let out = run(&ev, &args);
        let list = t.dir.path().join(format!("direct.{}", f.label));
        std::fs::write(&list, &out.stdout).unwrap();
        let refused: Vec<Vec<u8>> = top
            .keys()
            .filter(|n| f.refuses(n) || (f.label == "hashdeep" && f.refuses(&abs(&ev, n))))
            .cloned()
            .collect();
        check_refusals(f, &out, &refused);
        let expect: BTreeMap<Vec<u8>, Vec<u8>> = top
            .iter()
            .filter(|(n, _)| !refused.contains(n))
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        check_parsed(f, &list, &expect);
        check_import(f, t.dir.path(), &list, expect.len());
        if f.label != "hashdeep" {
            // hashdeep walks the folder in the audit; the tree test covers it.
            check_stock_tool(f, &ev, &list, expect.len(), refused.len());
        }
    }
}

fn abs(dir: &Path, name: &[u8]) -> Vec<u8> {
    [dir.as_os_str().as_bytes(), b"/", name].concat()
}

/// The header of a hashdeep file names the folder and command: a folder
/// or argument holding a line feed must not start a record there.
#[test]
fn hashdeep_header_comments_cannot_start_a_record() {
    let t = tempfile::tempdir().unwrap();
    let planted = format!("cwd\n10,{Z32},{Z40},{Z64},planted");
    let cwd = t.path().join(&planted);
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(cwd.join("a"), b"a").unwrap();
    let arg = format!("a\n10,{Z32},{Z40},{Z64},planted-by-arg");
    std::fs::write(cwd.join(&arg), b"b").unwrap();
    let out = run(
        &cwd,
        &["hash", "--format", "hashdeep", "a", &arg].map(OsStr::new),
    );
    // Every name is absolute and holds the folder's line feed: all left out.
    expect_code(&out, 1);
    let list = t.path().join("list");
    std::fs::write(&list, &out.stdout).unwrap();
    let parsed = HashList::load(&list, None).unwrap();
    assert!(parsed.files.is_empty(), "{:?}", parsed.files);
    assert_eq!(
        text(&out.stdout).lines().count(),
        5,
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        text(&out.stderr).lines().count(),
        2,
        "{}",
        text(&out.stderr)
    );
}
