//! What the binary says about itself and about its commands: the
//! `--version` line and `version --json` (the build's commit, features and
//! executable SHA-256, for tool-validation records), shell completion
//! scripts and man pages. That completions and man pages cover every
//! subcommand is checked against the clap definition itself by the unit
//! tests in crates/cli/src/cli/shell.rs; these run the real binary.

mod common;

use std::process::Command as StdCommand;

use common::*;
use serde_json::Value;

fn stdout_of(args: &[&str]) -> String {
    let out = custodian().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The features this test (and so the binary) was built with, as listed.
fn built_features() -> Vec<&'static str> {
    let mut f = Vec::new();
    if cfg!(feature = "pdf") {
        f.push("pdf");
    }
    if cfg!(feature = "postgres") {
        f.push("postgres");
    }
    f
}

fn version_json() -> Value {
    serde_json::from_str(&stdout_of(&["version", "--json"])).unwrap()
}

#[test]
fn version_line_has_commit_and_features() {
    let line = stdout_of(&["--version"]);
    let prefix = format!("custodian {} (commit ", env!("CARGO_PKG_VERSION"));
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{line:?}"));
    let (commit, rest) = rest.split_once(", features: ").expect("features");
    assert!(
        commit == "not recorded" || is_hex(commit, 12),
        "commit {commit:?}"
    );
    let features = built_features();
    let want = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    assert_eq!(rest, format!("{want})\n"));
    // The short commit is the start of the full one.
    match version_json()["commit"].as_str() {
        Some(full) => assert!(full.starts_with(commit), "{full} vs {commit}"),
        None => assert_eq!(commit, "not recorded"),
    }
}

#[test]
fn version_json_names_this_build() {
    let v = version_json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "commit",
            "exe_sha256",
            "features",
            "name",
            "platform",
            "version"
        ]
    );
    assert_eq!(v["name"], "custodian");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["features"], serde_json::json!(built_features()));
    assert!(!v["platform"].as_str().unwrap().is_empty());
    let exe = std::fs::read(env!("CARGO_BIN_EXE_custodian")).unwrap();
    assert_eq!(v["exe_sha256"], sha256_hex(&exe));
    let commit = &v["commit"];
    assert!(
        commit.is_null() || is_hex(commit.as_str().unwrap(), 40),
        "{commit}"
    );
    // Built from this checkout: the commit is its HEAD (skipped where git
    // or the checkout is missing, e.g. a source tarball).
    let head = StdCommand::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output();
    if let Ok(out) = head {
        if out.status.success() && !commit.is_null() {
            assert_eq!(
                commit.as_str().unwrap(),
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
    }
}

#[test]
fn version_text_says_the_same_as_json() {
    let v = version_json();
    let text = stdout_of(&["version"]);
    let features = built_features();
    let features = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    let want = format!(
        "name: custodian\nversion: {}\ncommit: {}\nfeatures: {features}\nplatform: {}\nexe_sha256: {}\n",
        v["version"].as_str().unwrap(),
        v["commit"].as_str().unwrap_or("not recorded"),
        v["platform"].as_str().unwrap(),
        v["exe_sha256"].as_str().unwrap(),
    );
    assert_eq!(text, want);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for sub in ["verify", "verify-package", "completions", "man", "version"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    custodian().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    let out = stdout_of(&["man", "--dir", target.to_str().unwrap()]);
    let mut listed: Vec<String> = out
        .lines()
        .map(|l| l.strip_prefix("wrote ").expect(l).to_string())
        .collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    for page in [
        "custodian.1",
        "custodian-report.1",
        "custodian-version.1",
        "custodian-index-add.1",
    ] {
        let text = std::fs::read_to_string(target.join(page)).unwrap();
        assert!(text.contains(".TH "), "{page}");
    }
    assert!(!target.join("custodian-help.1").exists());
}
