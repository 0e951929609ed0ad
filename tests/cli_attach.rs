//! End-to-end tests of attachments: `custodian attach`, the check of every
//! stored copy by `verify`, attachments in reports and in packages
//! (docs/guide/attachments.md, docs/spec/ledger.md §7.13,
//! docs/spec/package.md §10).

mod common;
#[path = "common/photo.rs"]
mod photo;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const WARRANT: &str = "Warrant 26/1187";

fn run(c: &mut assert_cmd::Command) -> Output {
    c.output().unwrap()
}

fn ok(c: &mut assert_cmd::Command) -> String {
    let out = run(c);
    expect_code(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A case with two exhibits, EXH-1 and EXH-2, opened by `lead`.
fn fixture() -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    ok(custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-2026-0042", "--title", "Attachments"])
        .args(["--authority", WARRANT])
        .arg("--key")
        .arg(key_path("lead")));
    for (x, body) in [("EXH-1", "alpha"), ("EXH-2", "beta")] {
        let ev = dir.path().join(format!("ev-{x}"));
        std::fs::create_dir_all(&ev).unwrap();
        std::fs::write(ev.join("a.txt"), body).unwrap();
        ok(custodian()
            .arg("acquire")
            .arg(&case)
            .args(["--exhibit", x, "-q"])
            .arg("--key")
            .arg(key_path("lead"))
            .arg(&ev));
    }
    TestCase { dir, path: case }
}

fn attach(case: &Path, file: &Path, args: &[&str]) -> Output {
    custodian()
        .arg("attach")
        .arg(case)
        .arg(file)
        .args(args)
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap()
}

fn seal_photo(t: &TestCase, name: &str, gps: bool) -> (PathBuf, Vec<u8>) {
    let bytes = photo::jpeg(
        64,
        48,
        Some(&photo::Exif {
            make: "Canon",
            model: "EOS 250D",
            taken: "2026:03:01 14:05:09",
            offset: Some("+01:00"),
            gps,
        }),
    );
    let p = t.tmp().join(name);
    std::fs::write(&p, &bytes).unwrap();
    (p, bytes)
}

fn entries(case: &Path) -> Vec<Value> {
    std::fs::read_to_string(ledger_of(case))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stored(case: &Path, bytes: &[u8]) -> PathBuf {
    case.join("attachments/sha256").join(sha256_hex(bytes))
}

#[test]
fn a_photo_is_stored_as_given_and_its_exif_recorded_as_found() {
    let t = fixture();
    // Named .pdf: the media type comes from the content.
    let (p, bytes) = seal_photo(&t, "seal-bag17.pdf", true);
    let out = attach(
        t.p(),
        &p,
        &[
            "--exhibit",
            "EXH-1",
            "--kind",
            "photo",
            "--description",
            "Seal 0042-17 intact",
            "--entry",
            "1",
        ],
    );
    expect_code(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("attached seal-bag17.pdf (photo, image/jpeg,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("captured: \"2026:03:01 14:05:09\" (EXIF DateTimeOriginal) = 2026-03-01T14:05:09+01:00 (+01:00) (as found in the file)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("camera: Canon EOS 250D (as found in the file)"),
        "{stdout}"
    );
    assert!(stdout.contains("GPS position"), "{stdout}");

    // Byte for byte, read-only, under its digest.
    let s = stored(t.p(), &bytes);
    assert_eq!(std::fs::read(&s).unwrap(), bytes);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&s).unwrap().permissions().mode() & 0o777,
        0o444
    );

    let e = entries(t.p()).pop().unwrap();
    assert_eq!(e["type"], "attachment.add");
    let b = &e["body"];
    assert_eq!(b["sha256"], sha256_hex(&bytes));
    assert_eq!(b["bytes"], bytes.len() as u64);
    assert_eq!(b["media_type"], "image/jpeg");
    assert_eq!(b["name"], "seal-bag17.pdf");
    assert_eq!(b["kind"], "photo");
    assert_eq!(b["exhibit"], "EXH-1");
    assert_eq!(b["entry"], 1);
    assert_eq!(b["exif"]["camera_make"], "Canon");
    assert_eq!(b["exif"]["camera_model"], "EOS 250D");
    assert_eq!(b["exif"]["gps"], true);
    assert_eq!(b["exif"]["captured"]["zone"], "+01:00");
    assert_eq!(b["exif"]["captured"]["raw"], "2026:03:01 14:05:09");
    // The position itself is not in the ledger.
    assert!(!e.to_string().contains("\"N\""));

    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_photo_without_zone_says_unknown_and_one_without_exif_records_none() {
    let t = fixture();
    let bytes = photo::jpeg(
        16,
        16,
        Some(&photo::Exif {
            make: "Apple",
            model: "iPhone 12",
            taken: "2026:03:01 09:00:00",
            offset: None,
            gps: false,
        }),
    );
    let p = t.tmp().join("device.jpg");
    std::fs::write(&p, &bytes).unwrap();
    expect_code(&attach(t.p(), &p, &["--case", "--kind", "photo"]), 0);
    let b = entries(t.p()).pop().unwrap()["body"].clone();
    assert_eq!(b["exif"]["captured"]["zone"], "unknown");
    assert_eq!(b["exif"]["captured"]["rfc3339"], "2026-03-01T09:00:00");
    assert_eq!(b["exif"]["gps"], false);
    assert!(b.get("exhibit").is_none(), "case-level: {b}");
    assert!(b.get("description").is_none(), "not stated: {b}");

    let plain = t.tmp().join("warrant.txt");
    std::fs::write(&plain, "Search warrant 26/1187\n").unwrap();
    expect_code(
        &attach(
            t.p(),
            &plain,
            &["--case", "--kind", "scan", "--description", "Warrant"],
        ),
        0,
    );
    let b = entries(t.p()).pop().unwrap()["body"].clone();
    assert_eq!(b["media_type"], "text/plain");
    assert!(b.get("exif").is_none(), "{b}");
}

#[test]
fn the_same_content_is_stored_once() {
    let t = fixture();
    let (p, bytes) = seal_photo(&t, "a.jpg", false);
    expect_code(
        &attach(t.p(), &p, &["--exhibit", "EXH-1", "--kind", "photo"]),
        0,
    );
    let q = t.tmp().join("copy.jpg");
    std::fs::write(&q, &bytes).unwrap();
    let out = attach(t.p(), &q, &["--exhibit", "EXH-2", "--kind", "photo"]);
    expect_code(&out, 0);
    assert!(text(&out.stdout).contains("already stored"));
    let n = std::fs::read_dir(t.p().join("attachments/sha256"))
        .unwrap()
        .count();
    assert_eq!(n, 1);
}

#[test]
fn what_cannot_be_attached_is_refused_and_nothing_recorded() {
    let t = fixture();
    let before = entries(t.p()).len();
    let (photo_path, _) = seal_photo(&t, "p.jpg", false);
    let link = t.tmp().join("link.jpg");
    std::os::unix::fs::symlink(&photo_path, &link).unwrap();
    let fifo = t.tmp().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let big = t.tmp().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(512 * 1024 * 1024 + 1)
        .unwrap();
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (link, vec!["--case"], "symbolic link"),
        (t.tmp().to_path_buf(), vec!["--case"], "a folder"),
        (fifo, vec!["--case"], "a FIFO"),
        (big, vec!["--case"], "over the 512 MiB attachment limit"),
        (t.tmp().join("missing.jpg"), vec!["--case"], "No such file"),
        (
            photo_path.clone(),
            vec!["--exhibit", "EXH-9"],
            "EXH-9 was not acquired",
        ),
        (photo_path.clone(), vec!["--exhibit", "../x"], "exhibit"),
        (
            photo_path.clone(),
            vec!["--case", "--entry", "99"],
            "earlier entry",
        ),
        (
            photo_path.clone(),
            vec!["--case", "--description", " "],
            "blank",
        ),
    ];
    for (file, args, want) in cases {
        let mut a = args.clone();
        a.extend(["--kind", "photo"]);
        let out = attach(t.p(), &file, &a);
        expect_code(&out, 2);
        let err = text(&out.stderr);
        assert!(err.contains(want), "{}: {err}", file.display());
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(entries(t.p()).len(), before);
    // Neither --case nor --exhibit: usage error.
    expect_code(&attach(t.p(), &photo_path, &["--kind", "photo"]), 2);
    expect_code(
        &attach(t.p(), &photo_path, &["--case", "--kind", "selfie"]),
        2,
    );
}

#[test]
fn verify_finds_a_changed_or_missing_stored_copy() {
    let t = fixture();
    let (p, bytes) = seal_photo(&t, "seal.jpg", false);
    expect_code(
        &attach(t.p(), &p, &["--exhibit", "EXH-1", "--kind", "photo"]),
        0,
    );
    let s = stored(t.p(), &bytes);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut changed = bytes.clone();
    let last = changed.len() - 3;
    changed[last] ^= 0x01;
    std::fs::write(&s, &changed).unwrap();
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 1, "{v}");
    let errs = errors(&v);
    assert!(
        errs.contains(&("attachment-changed".to_string(), Some(3))),
        "{errs:?}"
    );
    std::fs::remove_file(&s).unwrap();
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 1);
    assert!(errors(&v).contains(&("attachment-missing".to_string(), Some(3))));

    // The report says so as a finding.
    let out = report_output(t.p(), "json", &[]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["summary"]["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|f| f["id"] == "ATT-CHANGED" && f["severity"] == "high"),
        "{f:?}"
    );
    assert_eq!(r["attachments"][0]["stored"], "attachment-missing");
}

#[test]
fn reports_list_attachments_and_the_html_shows_thumbnails_inline() {
    let t = fixture();
    let (p, bytes) = seal_photo(&t, "seal.jpg", true);
    expect_code(
        &attach(
            t.p(),
            &p,
            &[
                "--exhibit",
                "EXH-1",
                "--kind",
                "photo",
                "--description",
                "Seal intact",
            ],
        ),
        0,
    );
    let scan = t.tmp().join("form.txt");
    std::fs::write(&scan, "Seizure form\n").unwrap();
    expect_code(
        &attach(t.p(), &scan, &["--exhibit", "EXH-2", "--kind", "form"]),
        0,
    );

    let html = text(&report_output(t.p(), "html", &[]).stdout);
    assert!(
        html.contains("<img src=\"data:image/jpeg;base64,"),
        "thumbnail"
    );
    assert!(html.contains("img-src data:"), "the CSP stays strict");
    assert!(!html.contains("src=\"attachments/"), "nothing is fetched");
    assert!(html.contains("Seal intact"));
    assert!(html.contains(&sha256_hex(&bytes)));
    assert!(html.contains("as found in the file: captured"));

    let md = text(&report_output(t.p(), "md", &[]).stdout);
    assert!(md.contains("### Attachments"), "{md}");
    assert!(md.contains("seal.jpg (photo, image/jpeg"), "{md}");
    assert!(md.contains("exhibit EXH-2: not stated"), "{md}");

    // Only the reported exhibit's attachments (and the case's).
    let out = report_output(t.p(), "json", &["--exhibit", "EXH-2"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = r["attachments"].as_array().unwrap();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["name"], "form.txt");
    assert_eq!(a[0]["stored"], "intact");
    assert!(a[0].get("thumbnail").is_none(), "thumbnails are HTML only");

    // Deterministic.
    let again = text(&report_output(t.p(), "html", &[]).stdout);
    assert_eq!(html, again);

    // The PDF lists them too (read back with poppler's pdftotext).
    let pdf = t.tmp().join("r.pdf");
    let out = custodian()
        .arg("report")
        .arg(t.p())
        .args(["--format", "pdf", "--generated-at", REPORT_TIME, "--output"])
        .arg(&pdf)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed: .ci/run installs it");
    let pdf_text = text(&out.stdout);
    assert!(pdf_text.contains("Attachments"), "{pdf_text}");
    assert!(pdf_text.contains("seal.jpg"), "{pdf_text}");
    assert!(pdf_text.contains("form.txt"), "{pdf_text}");
    assert!(pdf_text.contains("stored copy intact"), "{pdf_text}");
}

fn package(t: &TestCase, out: &Path, extra: &[&str]) -> Output {
    custodian()
        .arg("package")
        .arg(t.p())
        .args([
            "--exhibit",
            "EXH-1",
            "--for",
            "Defence",
            "--authority",
            WARRANT,
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap()
}

fn verify_package(pkg: &Path) -> (i32, Value) {
    let out = custodian()
        .arg("verify-package")
        .arg(pkg)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), v)
}

fn package_errors(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn packages_carry_attachments_only_when_asked_and_record_which() {
    let t = fixture();
    let (p, bytes) = seal_photo(&t, "seal.jpg", true);
    expect_code(
        &attach(t.p(), &p, &["--exhibit", "EXH-1", "--kind", "photo"]),
        0,
    );
    let other = t.tmp().join("other.txt");
    std::fs::write(&other, "about exhibit 2 only\n").unwrap();
    expect_code(
        &attach(t.p(), &other, &["--exhibit", "EXH-2", "--kind", "form"]),
        0,
    );
    let rel = format!("attachments/sha256/{}", sha256_hex(&bytes));

    // Without --attachments: the entry is withheld, no file is carried.
    let plain = t.tmp().join("plain");
    expect_code(&package(&t, &plain, &[]), 0);
    assert!(!plain.join("attachments").exists());
    let index: Value =
        serde_json::from_slice(&std::fs::read(plain.join("package.json")).unwrap()).unwrap();
    let withheld = index["withheld"].as_array().unwrap();
    assert!(
        withheld
            .iter()
            .any(|w| w["seq"] == 3 && w["reason"].as_str().unwrap().contains("--attachments")),
        "{withheld:?}"
    );
    let (code, v) = verify_package(&plain);
    assert_eq!(code, 0, "{v}");

    // With it: listed first, carried, recorded in the disclosure.
    let with = t.tmp().join("with");
    let out = package(&t, &with, &["--attachments"]);
    expect_code(&out, 0);
    let err = text(&out.stderr);
    assert!(err.contains("will carry 1 attachment(s)"), "{err}");
    assert!(err.contains("seal.jpg (photo, image/jpeg"), "{err}");
    assert!(err.contains("HOLDS A GPS POSITION"), "{err}");
    assert!(
        !err.contains("other.txt"),
        "EXH-2's attachment is not shared: {err}"
    );
    assert_eq!(std::fs::read(with.join(&rel)).unwrap(), bytes);
    let disclosure = entries(t.p())
        .into_iter()
        .rev()
        .find(|e| e["type"] == "custody.disclose")
        .unwrap();
    assert_eq!(
        disclosure["body"]["attachments"],
        serde_json::json!([{"entry": 3, "name": "seal.jpg", "sha256": sha256_hex(&bytes)}])
    );
    let (code, v) = verify_package(&with);
    assert_eq!(code, 0, "{v}");
    // The timeline says so.
    let log = ok(custodian().arg("log").arg(t.p()));
    assert!(log.contains("with 1 attached file(s)"), "{log}");

    // A changed attachment, an extra one: caught.
    let changed = t.tmp().join("changed");
    copy_dir(&with, &changed);
    std::fs::write(changed.join(&rel), b"not the photo").unwrap();
    let (code, v) = verify_package(&changed);
    assert_eq!(code, 1, "{v}");
    assert!(
        package_errors(&v).contains(&"file-mismatch".to_string()),
        "{v}"
    );
    let extra = t.tmp().join("extra");
    copy_dir(&with, &extra);
    std::fs::write(extra.join("attachments/sha256").join("0".repeat(64)), b"x").unwrap();
    let (code, v) = verify_package(&extra);
    assert_eq!(code, 1, "{v}");
    assert!(
        package_errors(&v).contains(&"unlisted-file".to_string()),
        "{v}"
    );

    // A stored copy that changed is refused before anything is recorded.
    let s = stored(t.p(), &bytes);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&s, b"tampered").unwrap();
    let n = entries(t.p()).len();
    let out = package(&t, &t.tmp().join("refused"), &["--attachments"]);
    expect_code(&out, 2);
    assert!(
        text(&out.stderr).contains("does not match the digest"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(entries(t.p()).len(), n);
}

fn copy_dir(from: &Path, to: &Path) {
    assert!(std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success());
    assert!(std::process::Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(to)
        .status()
        .unwrap()
        .success());
}
