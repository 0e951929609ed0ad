//! `custodian report --appendix inline|separate|auto` end to end: where
//! the complete file lists go, how the report names a separate appendix
//! (file, SHA-256, bytes, rows), and that a signature of the report covers
//! the appendix through that digest.
//!
//! The big case has one exhibit of [`FILES`] small files: more than the
//! 500 rows past which `auto` writes the appendix separately.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const FILES: usize = 1_200;
const LEAD_PRINCIPAL: &str = "j.dupont@cyber.lyon.police.example";
const FORMATS: [&str; 3] = ["json", "md", "html"];

/// A case with one exhibit (EXH-1) of `files` files (`common::files_case`).
fn case_of(files: usize) -> (TestCase, Vec<String>) {
    files_case(files)
}

/// `custodian report CASE --format FORMAT --generated-at … ARGS…`.
fn report(case: &Path, format: &str, args: &[&str]) -> Output {
    report_output(case, format, args)
}

/// Writes the report in `format` to `DIR/r.FORMAT` with `args`; returns
/// its path.
fn report_to_file(c: &TestCase, format: &str, args: &[&str]) -> PathBuf {
    let file = c.tmp().join(format!("r.{format}"));
    let mut all = args.to_vec();
    all.extend(["-o", file.to_str().unwrap()]);
    expect_code(&report(c.p(), format, &all), 0);
    file
}

fn appendix_of(c: &TestCase, format: &str) -> PathBuf {
    c.tmp().join(format!("r.appendix.{format}"))
}

/// The file paths listed in a Markdown or HTML text (the rows of its file
/// tables), in order; in JSON, those of `files` arrays.
fn listed(format: &str, text: &str) -> Vec<String> {
    match format {
        "json" => {
            let v: Value = serde_json::from_str(text).unwrap();
            let mut out = Vec::new();
            collect_paths(&v, &mut out);
            out
        }
        "md" => text
            .lines()
            .filter_map(|l| l.strip_prefix("| f"))
            .map(|l| format!("f{}", l.split(' ').next().unwrap()))
            .collect(),
        _ => text
            .split("<tr><th class=\"mono\" scope=\"row\">")
            .skip(1)
            .map(|r| r.split('<').next().unwrap().to_string())
            .collect(),
    }
}

/// Every `path` of a file row anywhere under `v`.
fn collect_paths(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(p)), Some(_)) = (m.get("path"), m.get("digests")) {
                out.push(p.clone());
            }
            m.values().for_each(|x| collect_paths(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_paths(x, out)),
        _ => {}
    }
}

/// The rows of an exhibit's file list as every path, once each.
fn every_path_once(paths: &[String], got: &[String]) -> bool {
    let mut got = got.to_vec();
    got.sort();
    got.dedup();
    got == paths
}

#[test]
fn auto_writes_a_long_appendix_to_a_separate_file_the_report_names_by_digest() {
    let (c, paths) = case_of(FILES);
    for format in FORMATS {
        let file = report_to_file(&c, format, &[]);
        let appendix = appendix_of(&c, format);
        let bytes = std::fs::read(&appendix)
            .unwrap_or_else(|_| panic!("{format}: no separate appendix written"));
        let sha = sha256_hex(&bytes);
        let main = std::fs::read_to_string(&file).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        // The appendix lists every file, in manifest order.
        assert_eq!(listed(format, &text), paths, "{format}: the appendix rows");
        // The report names it: file, SHA-256, size and rows.
        if format == "json" {
            let v: Value = serde_json::from_str(&main).unwrap();
            let a = &v["appendix"];
            assert_eq!(a["file"], "r.appendix.json");
            assert_eq!(a["sha256"], sha.as_str());
            assert_eq!(a["bytes"], bytes.len() as u64);
            assert_eq!(a["rows"], FILES as u64);
            assert_eq!(a["exhibits"][0]["id"], "EXH-1");
            assert_eq!(a["exhibits"][0]["rows"], FILES as u64);
            assert_eq!(
                v["exhibits"][0]["file_list"],
                serde_json::json!({"appendix": "r.appendix.json", "rows": FILES})
            );
            // The appendix document as specified.
            let d: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(d["version"], v["version"]);
            assert_eq!(d["case_id"], "C-1");
            assert_eq!(d["generated_at"], v["generated_at"]);
            assert_eq!(d["exhibits"][0]["id"], "EXH-1");
            assert_eq!(d["exhibits"][0]["rows"], FILES as u64);
            assert_eq!(
                d["exhibits"][0]["manifest_sha256"],
                v["exhibits"][0]["manifest_sha256"]
            );
            assert_eq!(d["exhibits"][0]["files"].as_array().unwrap().len(), FILES);
        } else {
            assert!(main.contains(&sha), "{format}: the digest is not stated");
            assert!(
                main.contains(&format!("{} bytes, {FILES} rows", bytes.len())),
                "{format}: size and rows are not stated"
            );
            assert!(main.contains(&format!("r.appendix.{format}")), "{format}");
        }
        // The report itself shows the first 25 files only (JSON none).
        let inline = listed(format, &main);
        let expect = if format == "json" { 0 } else { 25 };
        assert_eq!(inline, paths[..expect], "{format}: the rows in the report");
    }
}

#[test]
fn inline_keeps_every_row_in_the_report_and_writes_no_appendix_file() {
    let (c, paths) = case_of(FILES);
    for format in FORMATS {
        let file = report_to_file(&c, format, &["--appendix", "inline"]);
        assert!(
            !appendix_of(&c, format).exists(),
            "{format}: an appendix file with --appendix inline"
        );
        let main = std::fs::read_to_string(&file).unwrap();
        assert!(
            every_path_once(&paths, &listed(format, &main)),
            "{format}: not every file is in the report"
        );
        if format == "json" {
            let v: Value = serde_json::from_str(&main).unwrap();
            assert!(v.get("appendix").is_none());
            assert_eq!(
                v["exhibits"][0]["file_list"].as_array().unwrap().len(),
                FILES
            );
        }
        // To standard output, auto is inline: the same bytes.
        let out = report(c.p(), format, &[]);
        expect_code(&out, 0);
        assert!(
            out.stdout == main.as_bytes(),
            "{format}: auto to standard output is not the inline report"
        );
    }
}

#[test]
fn separate_to_standard_output_is_refused_in_one_line() {
    let (c, _) = case_of(3);
    let out = report(c.p(), "html", &["--appendix", "separate"]);
    expect_code(&out, 2);
    assert!(out.stdout.is_empty(), "a report was written");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("-o FILE") && err.contains("--appendix inline"),
        "the error does not name the fix: {err}"
    );
}

#[test]
fn a_small_case_under_auto_writes_no_appendix_file() {
    let (c, paths) = case_of(30);
    for format in FORMATS {
        let file = report_to_file(&c, format, &[]);
        assert!(!appendix_of(&c, format).exists(), "{format}");
        let main = std::fs::read_to_string(&file).unwrap();
        assert!(!main.contains("r.appendix."), "{format}");
        assert!(every_path_once(&paths, &listed(format, &main)), "{format}");
    }
}

/// Asked for explicitly, the separate file is written even when every
/// list is short: it lists no exhibit, and the report says so.
#[test]
fn separate_for_short_lists_writes_an_appendix_of_no_exhibit() {
    let (c, _) = case_of(3);
    let file = report_to_file(&c, "json", &["--appendix", "separate"]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(v["appendix"]["rows"], 0);
    assert_eq!(v["appendix"]["exhibits"], serde_json::json!([]));
    // The exhibit's list is complete in the report.
    assert_eq!(v["exhibits"][0]["file_list"].as_array().unwrap().len(), 3);
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(appendix_of(&c, "json")).unwrap()).unwrap();
    assert_eq!(d["exhibits"], serde_json::json!([]));
}

/// The commands `report --sign` prints to check the signature.
fn printed_check(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let (_, after) = text
        .split_once("check it with OpenSSH alone:\n")
        .unwrap_or_else(|| panic!("no check printed: {text}"));
    after
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `script` with sh in `dir`, custodian on PATH; output and success.
fn run_sh(dir: &Path, script: &str) -> (String, bool) {
    let bin = Path::new(env!("CARGO_BIN_EXE_custodian")).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    (
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        out.status.success(),
    )
}

/// A signed report states its appendix's SHA-256 inside the signed bytes:
/// the signature still verifies after the appendix is altered, and the
/// altered appendix's digest is not the one the signed report states.
#[test]
fn a_signed_report_covers_its_appendix_by_digest() {
    let (c, _) = case_of(FILES);
    let key = c.tmp().join("lead.key");
    std::fs::copy(key_path("lead"), &key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = custodian()
        .current_dir(c.tmp())
        .env_remove("SOURCE_DATE_EPOCH")
        .args([
            "report", "case", "--format", "json", "-o", "r.json", "--sign",
        ])
        .args(["--key", "lead.key"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let check = printed_check(&out.stderr);
    assert!(check.contains(LEAD_PRINCIPAL), "{check}");
    let (said, ok) = run_sh(c.tmp(), &check);
    assert!(ok, "the signature does not verify:\n{check}\n{said}");

    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(c.tmp().join("r.json")).unwrap()).unwrap();
    let stated = v["appendix"]["sha256"].as_str().unwrap().to_string();
    let appendix = appendix_of(&c, "json");
    assert_eq!(sha256_hex(&std::fs::read(&appendix).unwrap()), stated);

    // One digest of one file changed in the appendix.
    let text = std::fs::read_to_string(&appendix).unwrap();
    let d: Value = serde_json::from_str(&text).unwrap();
    let digest = d["exhibits"][0]["files"][7]["digests"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = digest.replacen(&digest[..1], if &digest[..1] == "0" { "1" } else { "0" }, 1);
    std::fs::write(&appendix, text.replacen(&digest, &forged, 1)).unwrap();

    let (said, ok) = run_sh(c.tmp(), &check);
    assert!(ok, "the report's own signature must still verify: {said}");
    assert_ne!(
        sha256_hex(&std::fs::read(&appendix).unwrap()),
        stated,
        "the altered appendix has the digest the signed report states"
    );
}
