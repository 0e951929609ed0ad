//! Disk full and I/O errors: a failed write must leave the case exactly as
//! it was, say which file failed and why on one line, and leave nothing
//! half-written behind; retrying once the disk has room must succeed.
//!
//! Failures are injected with the debug-build hook `CUSTODIAN_FAULT`
//! (`src/fault.rs`), at the writer, so the real error path runs. One test
//! also fills a real (tmpfs) filesystem when this machine lets it mount one.
//! Recorded in docs/engineering/reliability.md §6.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

fn lead_fp() -> String {
    key("lead").fingerprint().to_string()
}

/// `custodian init DIR/case`, with an authority covering acquisitions.
fn init_case(dir: &Path) -> PathBuf {
    let case = dir.join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FAULT-1", "--title", "Fault injection"])
        .args(["--authority", "Warrant 26/0011"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    case
}

fn evidence(dir: &Path) -> PathBuf {
    let tree = dir.join("evidence");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a.bin"), vec![7u8; 10_000]).unwrap();
    std::fs::write(tree.join("sub/b.txt"), b"b\n").unwrap();
    tree
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn ledger_sha(case: &Path) -> String {
    sha256_hex(&std::fs::read(ledger_of(case)).unwrap())
}

fn note(case: &Path, text: &str, fault: Option<&str>) -> Output {
    let mut c = custodian();
    c.arg("note")
        .arg(case)
        .arg("--text")
        .arg(text)
        .arg("--key")
        .arg(key_path("lead"));
    if let Some(f) = fault {
        c.env("CUSTODIAN_FAULT", f);
    }
    c.output().unwrap()
}

fn acquire(case: &Path, tree: &Path, fault: Option<&str>) -> Output {
    let mut c = custodian();
    c.arg("acquire")
        .arg(case)
        .args(["--exhibit", "EXH-0001"])
        .arg(tree)
        .arg("--key")
        .arg(key_path("lead"));
    if let Some(f) = fault {
        c.env("CUSTODIAN_FAULT", f);
    }
    c.output().unwrap()
}

/// The single stderr line of a failed run; asserts it is one line naming
/// `file` and the OS error.
fn one_line_error(out: &Output, file: &str, os_error: &str) -> String {
    expect_code(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].starts_with("custodian: error: "), "{stderr}");
    assert!(lines[0].contains(file), "names {file}: {stderr}");
    assert!(lines[0].contains(os_error), "says {os_error}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_string()
}

/// `verify --trust LEAD` passes (exit 0, no error).
fn assert_verifies(case: &Path) {
    let (code, v) = verify_json(case, &["--trust", &lead_fp()]);
    assert_eq!(code, 0, "{v}");
    assert!(errors(&v).is_empty(), "{v}");
}

const ENOSPC: &str = "No space left on device";
const EIO: &str = "Input/output error";

/// A note whose append fails: ledger bytes unchanged, no stray file, retry works.
fn failed_append_leaves_ledger_unchanged(fault: &str, os_error: &str) {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let before = ledger_sha(&case);
    let listing = files(&case);
    let out = note(&case, "seized the laptop", Some(fault));
    one_line_error(&out, &ledger_of(&case).display().to_string(), os_error);
    assert_eq!(ledger_sha(&case), before, "the ledger changed");
    assert_eq!(files(&case), listing, "files were added or removed");
    assert_verifies(&case);
    // The disk has room again.
    expect_code(&note(&case, "seized the laptop", None), 0);
    assert_eq!(
        split_lines(&std::fs::read(ledger_of(&case)).unwrap()).len(),
        2
    );
    assert_verifies(&case);
}

#[test]
fn ledger_write_enospc_cuts_the_half_written_line_back() {
    failed_append_leaves_ledger_unchanged("ledger-write:ENOSPC", ENOSPC);
}

#[test]
fn ledger_fsync_eio_cuts_the_written_line_back() {
    failed_append_leaves_ledger_unchanged("ledger-fsync:EIO", EIO);
}

#[test]
fn ledger_write_edquot_is_reported() {
    failed_append_leaves_ledger_unchanged("ledger-write:EDQUOT", "quota exceeded");
}

/// An acquisition whose manifest cannot be written: nothing recorded, no
/// `.tmp` left, and the same exhibit id can be acquired afterwards.
fn failed_manifest_leaves_case_unchanged(fault: &str, os_error: &str) {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let tree = evidence(dir.path());
    let before = ledger_sha(&case);
    let out = acquire(&case, &tree, Some(fault));
    one_line_error(&out, "manifests/EXH-0001.jsonl.tmp", os_error);
    assert_eq!(ledger_sha(&case), before, "the ledger changed");
    assert!(
        files(&case).iter().all(|f| !f.starts_with("manifests/")),
        "a manifest or temporary file was left: {:?}",
        files(&case)
    );
    assert_verifies(&case);
    let retry = acquire(&case, &tree, None);
    expect_code(&retry, 0);
    assert!(
        !String::from_utf8_lossy(&retry.stderr).contains("interrupted"),
        "nothing should have been left to set aside"
    );
    assert!(case.join("manifests/EXH-0001.jsonl").is_file());
    assert_verifies(&case);
}

#[test]
fn manifest_write_enospc_removes_the_temporary_manifest() {
    failed_manifest_leaves_case_unchanged("manifest-write:ENOSPC", ENOSPC);
}

#[test]
fn manifest_fsync_eio_removes_the_temporary_manifest() {
    failed_manifest_leaves_case_unchanged("manifest-fsync:EIO", EIO);
}

/// The manifest is complete but the entry cannot be written: the manifest
/// is moved to `recovered/` (never deleted) and the error says where.
#[test]
fn acquire_whose_entry_fails_sets_the_manifest_aside_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let tree = evidence(dir.path());
    let before = ledger_sha(&case);
    let out = acquire(&case, &tree, Some("ledger-write:ENOSPC"));
    let line = one_line_error(&out, &ledger_of(&case).display().to_string(), ENOSPC);
    assert!(line.contains("nothing was recorded"), "{line}");
    assert!(
        line.contains("recovered/EXH-0001.jsonl.unrecorded."),
        "{line}"
    );
    assert_eq!(ledger_sha(&case), before);
    let listing = files(&case);
    assert!(
        !listing.iter().any(|f| f.starts_with("manifests/")),
        "{listing:?}"
    );
    assert_eq!(
        listing
            .iter()
            .filter(|f| f.starts_with("recovered/EXH-0001.jsonl.unrecorded."))
            .count(),
        1,
        "{listing:?}"
    );
    assert_verifies(&case);
    expect_code(&acquire(&case, &tree, None), 0);
    assert_verifies(&case);
}

fn report(case: &Path, out_file: &Path, fault: Option<&str>) -> Output {
    let mut c = custodian();
    c.arg("report")
        .arg(case)
        .args(["--format", "json", "--trust", &lead_fp()])
        .arg("-o")
        .arg(out_file);
    if let Some(f) = fault {
        c.env("CUSTODIAN_FAULT", f);
    }
    c.output().unwrap()
}

/// A report that cannot be written leaves an earlier report at that path
/// byte for byte, and no temporary file beside it.
fn failed_report_leaves_old_report(fault: &str, os_error: &str) {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let path = out_dir.join("report.json");
    std::fs::write(&path, b"the report given to the court last week\n").unwrap();
    let out = report(&case, &path, Some(fault));
    one_line_error(&out, &path.display().to_string(), os_error);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"the report given to the court last week\n"
    );
    assert_eq!(files(&out_dir), BTreeSet::from(["report.json".to_string()]));
    expect_code(&report(&case, &path, None), 0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(v.is_object());
    assert_eq!(files(&out_dir), BTreeSet::from(["report.json".to_string()]));
}

#[test]
fn report_write_enospc_keeps_the_previous_report() {
    failed_report_leaves_old_report("report-write:ENOSPC", ENOSPC);
}

#[test]
fn report_fsync_eio_keeps_the_previous_report() {
    failed_report_leaves_old_report("report-fsync:EIO", EIO);
}

#[test]
fn checkpoint_write_enospc_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let out = custodian()
        .arg("checkpoint")
        .arg(&case)
        .arg("--key")
        .arg(key_path("lead"))
        .env("CUSTODIAN_FAULT", "checkpoint-write:ENOSPC")
        .output()
        .unwrap();
    one_line_error(&out, "checkpoints/1.txt", ENOSPC);
    let left: Vec<_> = files(&case)
        .into_iter()
        .filter(|f| f.starts_with("checkpoints/"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    custodian()
        .arg("checkpoint")
        .arg(&case)
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    assert!(case.join("checkpoints/1.txt").is_file());
}

/// The hook names only known points and errors; anything else is ignored
/// rather than failing every write.
#[test]
fn unknown_fault_specs_inject_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    expect_code(&note(&case, "a", Some("ledger-write:EWHATEVER")), 0);
    expect_code(&note(&case, "b", Some("disk-write:ENOSPC")), 0);
    assert_verifies(&case);
}

/// Release builds compile the hook out. Checked on a release binary when
/// one has been built (`cargo build --release`); says so and passes
/// otherwise, since the default suite runs debug builds only.
#[test]
fn release_binary_ignores_the_fault_hook() {
    let release = root().join("target/release/custodian");
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_custodian"));
    let fresh = release.metadata().and_then(|m| m.modified()).ok()
        >= debug.metadata().and_then(|m| m.modified()).ok().map(|t| {
            // Built from the same sources if not older than the debug binary
            // by more than a build's time.
            t - std::time::Duration::from_secs(3600)
        });
    if !release.is_file() || !fresh {
        eprintln!(
            "SKIP: no recent {} (run `cargo build --release` to check that it ignores CUSTODIAN_FAULT)",
            release.display()
        );
        return;
    }
    let bytes = std::fs::read(&release).unwrap();
    assert!(
        !bytes.windows(15).any(|w| w == b"CUSTODIAN_FAULT"),
        "the release binary still reads CUSTODIAN_FAULT"
    );
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let out = std::process::Command::new(&release)
        .arg("note")
        .arg(&case)
        .args(["--text", "written despite the hook"])
        .arg("--key")
        .arg(key_path("lead"))
        .env("CUSTODIAN_FAULT", "ledger-write:ENOSPC,ledger-fsync:EIO")
        .env_remove("CUSTODIAN_KEY")
        .env_remove("CUSTODIAN_PASSPHRASE")
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert_verifies(&case);
}

/// Unmounts on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A real full filesystem: a 256 KiB tmpfs, filled up, then notes appended
/// until one finds no room. That append must fail with ENOSPC and leave the
/// ledger as it was; after the filler is removed the retry succeeds.
/// Skips (saying so) where mounting is not permitted.
#[test]
fn real_full_tmpfs_leaves_the_ledger_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    }
    let _guard = Mount(mnt.clone());
    let case = init_case(&mnt);
    // Fill every free block.
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let mut failed = None;
    for i in 0..40 {
        let before = std::fs::read(ledger_of(&case)).unwrap();
        let out = note(&case, &format!("note {i}: {}", "x".repeat(400)), None);
        if out.status.code() == Some(0) {
            continue;
        }
        one_line_error(&out, &ledger_of(&case).display().to_string(), ENOSPC);
        assert_eq!(
            std::fs::read(ledger_of(&case)).unwrap(),
            before,
            "the failed append changed the ledger"
        );
        failed = Some(i);
        break;
    }
    let failed = failed.expect("40 notes of 600 bytes fit in a full filesystem");
    eprintln!("the append of note {failed} found the disk full");
    assert_verifies(&case);
    std::fs::remove_file(&filler).unwrap();
    expect_code(&note(&case, "after making room", None), 0);
    assert_verifies(&case);
}

/// What an interrupted acquisition left (a complete manifest never
/// recorded, and a half-written `.tmp`) is moved to `recovered/` before the
/// retry, and the retry says so on stderr, one line per file, naming both
/// places.
#[test]
fn retry_names_each_leftover_manifest_it_sets_aside() {
    let dir = tempfile::tempdir().unwrap();
    let case = init_case(dir.path());
    let tree = evidence(dir.path());
    std::fs::create_dir_all(case.join("manifests")).unwrap();
    std::fs::write(case.join("manifests/EXH-0001.jsonl"), b"{\"left\":1}\n").unwrap();
    std::fs::write(case.join("manifests/EXH-0001.jsonl.tmp"), b"{\"half").unwrap();
    let out = acquire(&case, &tree, None);
    expect_code(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let moved: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("left by an interrupted acquisition"))
        .collect();
    assert_eq!(moved.len(), 2, "{stderr}");
    for (line, name) in moved.iter().zip(["EXH-0001.jsonl", "EXH-0001.jsonl.tmp"]) {
        let from = case.join("manifests").join(name);
        assert!(line.starts_with("custodian: "), "{line}");
        assert!(
            line.contains(&format!("{} was left", from.display())),
            "{line}"
        );
        let to = line.rsplit(" moved it to ").next().unwrap();
        assert!(
            to.starts_with(&case.join("recovered").join(name).display().to_string()),
            "{line}"
        );
        let kept = std::fs::read(to).unwrap();
        assert!(
            kept.starts_with(b"{\"left") || kept.starts_with(b"{\"half"),
            "{line}"
        );
    }
    assert_verifies(&case);
}
