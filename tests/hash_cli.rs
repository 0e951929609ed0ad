//! End-to-end tests of `custodian hash`, checked against the tools it
//! replaces (coreutils *sum, b3sum, hashdeep) and against hostile trees.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use custodian::hashing::{
    hash_tree, Algorithm, AlgorithmSet, FileKind, HashOptions, ManifestReader, Progress, Record,
};

fn custodian() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodian"));
    // A FIFO that got opened would hang; fail instead.
    c.timeout(Duration::from_secs(60));
    c
}

/// Runs a reference tool in `dir` and returns its stdout.
fn tool(dir: &Path, prog: &str, args: &[&OsStr]) -> Vec<u8> {
    let out = StdCommand::new(prog)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {prog}: {e}"));
    assert!(
        out.status.success(),
        "{prog} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Deterministic pseudo-random bytes (no crate needed).
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn records(stdout: &[u8]) -> Vec<Record> {
    ManifestReader::new(stdout, Path::new("<stdout>"))
        .expect("header")
        .map(|r| r.expect("record"))
        .collect()
}

fn find<'a>(recs: &'a [Record], path: &[u8]) -> &'a Record {
    recs.iter()
        .find(|r| &*r.path_bytes() == path)
        .unwrap_or_else(|| panic!("no record for {:?}", String::from_utf8_lossy(path)))
}

#[test]
fn digests_equal_coreutils_and_b3sum() {
    let t = tempfile::tempdir().unwrap();
    // Empty, tiny, more than one 256 KiB buffer, odd-sized, and big enough
    // (>= 8 MiB) to take the threaded pipeline across several chunks.
    let files: [(&str, usize); 6] = [
        ("empty", 0),
        ("abc", 3),
        ("multi", 600 << 10),
        ("odd", 1_000_003),
        ("chunk-edge", 2 << 20),
        ("big", (9 << 20) + 13),
    ];
    for (i, (name, len)) in files.iter().enumerate() {
        let data = if *name == "abc" {
            b"abc".to_vec()
        } else {
            bytes(*len, i as u64)
        };
        fs::write(t.path().join(name), data).unwrap();
    }
    let names: Vec<&OsStr> = files.iter().map(|(n, _)| OsStr::new(n)).collect();
    for (algo, reference) in [
        ("md5", "md5sum"),
        ("sha1", "sha1sum"),
        ("sha256", "sha256sum"),
        ("sha512", "sha512sum"),
        ("blake3", "b3sum"),
    ] {
        let want = tool(t.path(), reference, &names);
        for jobs in ["1", "2"] {
            let got = custodian()
                .current_dir(t.path())
                .args(["hash", "--format", "sum", "-c", algo, "-j", jobs])
                .args(&names)
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{algo} -j {jobs}"
            );
        }
    }
    // All algorithms at once (one read) give the same digests as one at a time.
    let all = custodian()
        .current_dir(t.path())
        .args([
            "hash",
            "--format",
            "json",
            "-c",
            "md5,sha1,sha256,sha512,blake3,sha3-256",
        ])
        .args(&names)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = records(&all);
    let big = recs.iter().find(|r| r.root == 5).unwrap();
    let want = String::from_utf8(tool(t.path(), "sha256sum", &[OsStr::new("big")])).unwrap();
    assert_eq!(big.digests.get(Algorithm::Sha256), Some(&want[..64]));
    let want = String::from_utf8(tool(t.path(), "md5sum", &[OsStr::new("big")])).unwrap();
    assert_eq!(big.digests.get(Algorithm::Md5), Some(&want[..32]));
    assert_eq!(big.digests.iter().count(), 6);
}

#[test]
fn sha256sum_check_accepts_output_with_hostile_names() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("ev");
    fs::create_dir_all(d.join("sub dir")).unwrap();
    fs::write(d.join("plain"), b"plain").unwrap();
    fs::write(d.join("new\nline\\back"), b"nl").unwrap();
    fs::write(d.join("tab\there"), b"tab").unwrap();
    fs::write(d.join("sub dir/cr\rname"), b"cr").unwrap();
    fs::write(d.join(OsStr::from_bytes(b"latin1-\xe9")), b"l1").unwrap();
    let out = custodian()
        .current_dir(t.path())
        .args(["hash", "-r", "ev"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // The escaped form, exactly as GNU coreutils writes it.
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("  ev/new\\nline\\\\back\n"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with('\\')).count(), 2);
    fs::write(t.path().join("SUMS"), &out).unwrap();
    let check = tool(
        t.path(),
        "sha256sum",
        &[OsStr::new("-c"), OsStr::new("SUMS")],
    );
    assert_eq!(
        String::from_utf8_lossy(&check).matches(": OK").count(),
        5,
        "{}",
        String::from_utf8_lossy(&check)
    );
}

#[test]
fn hashdeep_audit_accepts_known_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("ev");
    fs::create_dir_all(d.join("a/b")).unwrap();
    fs::write(d.join("one"), b"1").unwrap();
    fs::write(d.join("a/two"), bytes(70_000, 2)).unwrap();
    fs::write(d.join("a/b/three"), bytes(9 << 20, 3)).unwrap();
    fs::write(d.join("a/b/empty"), b"").unwrap();
    let known = custodian()
        .current_dir(t.path())
        .args(["hash", "-r", "--format", "hashdeep", "ev"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(known.clone()).unwrap();
    assert!(text.starts_with("%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n"));
    fs::write(t.path().join("known.txt"), &known).unwrap();
    let out = StdCommand::new("hashdeep")
        .current_dir(t.path())
        .args(["-r", "-a", "-k", "known.txt", "ev"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hashdeep audit: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Audit passed"));
    // And hashdeep's own listing has the same lines, modulo order/comments.
    let theirs = tool(
        t.path(),
        "hashdeep",
        &[
            OsStr::new("-c"),
            OsStr::new("md5,sha1,sha256"),
            OsStr::new("-r"),
            OsStr::new("ev"),
        ],
    );
    let body = |s: &str| {
        let mut v: Vec<String> = s
            .lines()
            .filter(|l| !l.starts_with("%%%%") && !l.starts_with("##"))
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(body(&text), body(&String::from_utf8_lossy(&theirs)));
}

#[test]
fn symlink_loops_are_recorded_and_the_run_finishes() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("sub/f"), b"f").unwrap();
    symlink("..", d.join("sub/up")).unwrap(); // directory loop
    symlink("loop2", d.join("loop1")).unwrap(); // link loop
    symlink("loop1", d.join("loop2")).unwrap();
    symlink("sub/f", d.join("to-f")).unwrap();
    let out = custodian()
        .args(["hash", "-r", "--format", "json", "--follow-symlinks"])
        .arg(d)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let recs = records(&out.stdout);
    let up = find(&recs, b"sub/up");
    assert_eq!(up.kind, FileKind::Dir);
    assert!(
        up.error.as_deref().unwrap().contains("filesystem loop"),
        "{up:?}"
    );
    assert_eq!(up.target.as_deref(), Some(".."));
    let l1 = find(&recs, b"loop1");
    assert_eq!(l1.kind, FileKind::Symlink);
    assert_eq!(l1.target.as_deref(), Some("loop2"));
    assert!(l1.error.as_deref().unwrap().contains("symbolic links"));
    // A good link is followed and hashed; the loop was not descended.
    let to_f = find(&recs, b"to-f");
    assert_eq!(to_f.kind, FileKind::File);
    assert!(to_f.digests.get(Algorithm::Sha256).is_some());
    assert!(!recs.iter().any(|r| r.path.starts_with("sub/up/")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("loop1: Too many levels of symbolic links"),
        "{stderr}"
    );

    // Without --follow-symlinks the links are recorded with their targets.
    let out = custodian()
        .args(["hash", "-r", "--format", "json"])
        .arg(d)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = records(&out);
    let up = find(&recs, b"sub/up");
    assert_eq!(
        (up.kind, up.target.as_deref()),
        (FileKind::Symlink, Some(".."))
    );
    assert!(up.error.is_none());
}

#[test]
fn fifo_is_recorded_not_opened() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("pipe");
    let st = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    fs::write(t.path().join("after"), b"x").unwrap();
    let out = custodian()
        .args(["hash", "-r", "--format", "json"])
        .arg(t.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = records(&out);
    let r = find(&recs, b"pipe");
    assert_eq!(r.kind, FileKind::Fifo);
    assert!(r.digests.is_empty() && r.error.is_none());
    assert!(find(&recs, b"after").digests.get(Algorithm::Md5).is_some());
    // Named directly: an error line, never a hang.
    custodian()
        .args(["hash"])
        .arg(&fifo)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("not a regular file (fifo)"));
}

#[test]
fn unreadable_paths_are_errors_and_the_run_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(d.join("good"), b"abc").unwrap();
    symlink("does-not-exist", d.join("dangling")).unwrap();
    let out = custodian()
        .current_dir(d)
        .args(["hash", "-r", "--follow-symlinks", "."])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ./good\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "custodian: ./dangling: No such file or directory (os error 2)\n"
    );
    // A folder without -r, and a missing file: errors, other files still hashed.
    custodian()
        .current_dir(d)
        .args(["hash", "missing", ".", "good"])
        .assert()
        .code(1)
        .stdout("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  good\n")
        .stderr(
            "custodian: missing: No such file or directory (os error 2)\n\
             custodian: .: Is a directory\n",
        );

    // Permission errors only show when not root (root reads everything).
    if StdCommand::new("id").arg("-u").output().unwrap().stdout == b"0\n" {
        eprintln!("skipping chmod 000 case: running as root, which bypasses permissions");
        return;
    }
    let locked = d.join("locked");
    fs::write(&locked, b"secret").unwrap();
    fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    custodian()
        .arg("hash")
        .arg(&locked)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("Permission denied"));
}

#[test]
fn non_utf8_name_round_trips_through_json() {
    let t = tempfile::tempdir().unwrap();
    let raw: &[u8] = b"caf\xe9 \xff\n\\\ttab";
    fs::write(t.path().join(OsStr::from_bytes(raw)), b"abc").unwrap();
    let out = custodian()
        .args(["hash", "-r", "--format", "json"])
        .arg(t.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let recs = records(&out);
    let r = find(&recs, raw);
    assert!(r.path_b64.is_some());
    assert_eq!(
        r.digests.get(Algorithm::Sha1),
        Some("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    // The recorded bytes name the real file.
    let p = t.path().join(OsStr::from_bytes(&r.path_bytes()));
    assert_eq!(fs::read(p).unwrap(), b"abc");
}

/// Builds a tree with nested folders, many small files, a big one and a
/// hard link; symlinks are left out because readlink(2) updates a link's
/// atime on relatime mounts (see docs/spec/manifest.md).
fn busy_tree(root: &Path) {
    for i in 0..40 {
        let d = root.join(format!("d{}", i % 7)).join(format!("e{}", i % 3));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(format!("f{i}")), bytes(i * 997, i as u64)).unwrap();
    }
    fs::write(root.join("big"), bytes((8 << 20) + 1, 99)).unwrap();
    fs::hard_link(root.join("big"), root.join("d0/big-link")).unwrap();
    fs::create_dir(root.join("empty-dir")).unwrap();
}

#[test]
fn manifest_bytes_are_identical_across_runs_and_jobs() {
    let t = tempfile::tempdir().unwrap();
    busy_tree(t.path());
    let run = |jobs: &str| {
        custodian()
            .current_dir(t.path())
            .args(["hash", "-r", "--format", "json", "-j", jobs, "."])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = run("1");
    assert_eq!(first, run("1"));
    assert_eq!(first, run("2"));
    assert_eq!(first, run("8"));
    // Depth-first, siblings by bytes: "big" < "d0" < "d0/big-link" < "d0/e0".
    let recs = records(&first);
    let order: Vec<&str> = recs.iter().take(4).map(|r| r.path.as_str()).collect();
    assert_eq!(order, [".", "big", "d0", "d0/big-link"]);
    assert_eq!(recs.len(), 1 + 1 + 1 + 7 + 7 * 3 + 40 + 1);
}

#[test]
fn hashing_leaves_access_times_alone() {
    let t = tempfile::tempdir().unwrap();
    busy_tree(t.path());
    // Old atimes: relatime would update them on any plain read or listing.
    let st = StdCommand::new("find")
        .arg(t.path())
        .args([
            "-exec",
            "touch",
            "-a",
            "-h",
            "-d",
            "2001-02-03 04:05:06",
            "{}",
            "+",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    custodian()
        .args(["hash", "-r", "--format", "json", "-c", "sha256"])
        .arg(t.path())
        .assert()
        .success();
    let st = fs::metadata(t.path().join("d3/e1/f10")).unwrap();
    assert_eq!(st.atime(), 981_173_106, "file atime changed");
    let st = fs::metadata(t.path().join("d3/e1")).unwrap();
    assert_eq!(st.atime(), 981_173_106, "folder atime changed");
    let st = fs::metadata(t.path().join("big")).unwrap();
    assert_eq!(st.atime(), 981_173_106, "big file atime changed");
}

#[derive(Default)]
struct Count {
    bytes: AtomicU64,
}
impl Progress for Count {
    fn bytes_hashed(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// Every record of a walk of `root`, in order, and its summary.
fn walk(
    root: &Path,
    opts: &HashOptions,
    progress: &dyn Progress,
) -> (Vec<Record>, custodian::hashing::Summary) {
    let mut recs = Vec::new();
    let summary = hash_tree(
        &[root.to_path_buf()],
        opts,
        &mut |r| {
            recs.push(r);
            Ok(())
        },
        progress,
    )
    .unwrap();
    (recs, summary)
}

#[test]
fn hard_links_are_listed_each_and_read_once() {
    let t = tempfile::tempdir().unwrap();
    busy_tree(t.path());
    let count = Count::default();
    let opts = HashOptions {
        algorithms: AlgorithmSet::single(Algorithm::Sha256),
        jobs: 2,
        ..HashOptions::default()
    };
    let (recs, summary) = walk(t.path(), &opts, &count);
    let big = find(&recs, b"big");
    let link = find(&recs, b"d0/big-link");
    assert_eq!(
        link.hardlink_of.as_ref().map(|p| p.path.as_str()),
        Some("big")
    );
    assert!(big.hardlink_of.is_none());
    assert_eq!(link.digests, big.digests);
    assert!(!big.digests.is_empty());
    assert_eq!(summary.hardlinks, 1);
    let all_sizes: u64 = recs
        .iter()
        .filter(|r| r.kind == FileKind::File && r.hardlink_of.is_none())
        .map(|r| r.size.unwrap())
        .sum();
    // Read once: the link's 8 MiB are not read a second time.
    assert_eq!(count.bytes.load(Ordering::Relaxed), all_sizes);
    assert_eq!(summary.bytes, all_sizes);

    // The side-thread count for the progress bar agrees with the run.
    let totals =
        custodian::hashing::scan_totals(&[t.path().to_path_buf()], &opts, &AtomicBool::new(false));
    assert_eq!((totals.files, totals.bytes), (summary.files, summary.bytes));
}

#[test]
fn file_growing_while_read_is_flagged() {
    let t = tempfile::tempdir().unwrap();
    let p: PathBuf = t.path().join("growing");
    fs::write(&p, bytes(64 << 20, 5)).unwrap();
    let stop = AtomicBool::new(false);
    let mut recs = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut f = fs::OpenOptions::new().append(true).open(&p).unwrap();
            while !stop.load(Ordering::Relaxed) {
                std::io::Write::write_all(&mut f, b"more").unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        let opts = HashOptions {
            algorithms: "md5,sha1,sha256,sha3-256".parse().unwrap(),
            ..HashOptions::default()
        };
        let res = hash_tree(
            std::slice::from_ref(&p),
            &opts,
            &mut |r| {
                recs.push(r);
                Ok(())
            },
            &custodian::hashing::NoProgress,
        );
        // Stop the writer before any assertion can unwind past it.
        stop.store(true, Ordering::Relaxed);
        res.unwrap();
    });
    assert!(recs[0].changed_during_read, "{:?}", recs[0]);
}

#[test]
fn closed_pipe_exits_quietly() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        fs::write(t.path().join(format!("f{i:04}")), b"x").unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_custodian");
    let out = StdCommand::new("bash")
        .arg("-c")
        .arg(format!(
            "'{bin}' hash -r . | head -n 1; echo \"status=${{PIPESTATUS[0]}}\""
        ))
        .current_dir(t.path())
        .output()
        .unwrap();
    // Like cat and sha256sum, custodian stops silently on SIGPIPE (the
    // shell reports 128 + 13); either way nothing reaches stderr.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("status=141\n") || stdout.ends_with("status=0\n"),
        "{stdout}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn conflicting_format_and_algorithms_is_a_usage_error() {
    custodian()
        .args(["hash", "--format", "sha256sum", "-c", "md5", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("sha256 only"));
    custodian()
        .args(["hash", "--format", "hashdeep", "-c", "blake3", "x"])
        .assert()
        .code(2);
    custodian()
        .args(["hash", "-c", "crc32", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown digest algorithm"));
}

/// The walk keeps the folders of its path open to look entries up in them,
/// but only the shallowest ones: a tree deeper than the process may open
/// descriptors is still hashed whole, by path below that depth.
#[test]
fn a_tree_deeper_than_the_descriptor_limit_is_hashed_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let mut deep = tmp.path().join("t");
    for _ in 0..300 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("bottom"), b"at the bottom\n").unwrap();
    fs::write(tmp.path().join("t/d/top"), b"near the top\n").unwrap();
    let out = StdCommand::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 128 && exec "$0" hash -r --format json t"#)
        .arg(env!("CARGO_BIN_EXE_custodian"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("\"error\""),
        "{}",
        &text[..text.len().min(2000)]
    );
    let sha = |b: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b));
    for (name, body) in [
        ("bottom", &b"at the bottom\n"[..]),
        ("top", b"near the top\n"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("/{name}\"")))
            .unwrap_or_else(|| panic!("no record of {name}"));
        assert!(line.contains(&sha(body)), "{line}");
    }
    // Every folder has its record: the whole depth was walked.
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\"type\":\"dir\""))
            .count(),
        301
    );
}

/// Regular files are read without an lstat first when the folder listing
/// says what they are, but not when a regular file is excluded: it (and
/// any hard link of it) must be recognised before it is opened.
#[test]
fn an_excluded_regular_file_and_its_hard_links_are_never_read() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir(t.path().join("d")).unwrap();
    fs::write(t.path().join("a"), vec![1u8; 1000]).unwrap();
    fs::write(t.path().join("b"), vec![2u8; 50_000]).unwrap();
    fs::hard_link(t.path().join("b"), t.path().join("d/c")).unwrap();
    fs::write(t.path().join("d/e"), vec![3u8; 7]).unwrap();
    // Looked up first, a hard link is still read once, and named.
    fs::hard_link(t.path().join("a"), t.path().join("d/a2")).unwrap();
    let count = Count::default();
    let opts = HashOptions {
        algorithms: AlgorithmSet::single(Algorithm::Sha256),
        jobs: 2,
        exclude: vec![t.path().join("b")],
        ..HashOptions::default()
    };
    let (recs, _) = walk(t.path(), &opts, &count);
    for skipped in [&b"b"[..], b"d/c"] {
        let r = find(&recs, skipped);
        assert_eq!(r.skipped.as_deref(), Some("excluded"));
        assert!(r.digests.is_empty());
        assert_eq!(r.size, Some(50_000), "metadata from the lookup");
    }
    assert!(!find(&recs, b"a").digests.is_empty());
    let link = find(&recs, b"d/a2");
    assert_eq!(
        link.hardlink_of.as_ref().map(|p| p.path.as_str()),
        Some("a")
    );
    assert_eq!(link.digests, find(&recs, b"a").digests);
    assert_eq!(count.bytes.load(Ordering::Relaxed), 1007);
}

/// Files read without an lstat first still get every metadata field, from
/// the fstat of what was read, exactly as a lookup would give them.
#[test]
fn files_read_without_a_lookup_carry_the_same_metadata() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("f"), b"contents").unwrap();
    let (recs, _) = walk(
        t.path(),
        &HashOptions::default(),
        &custodian::hashing::NoProgress,
    );
    let r = find(&recs, b"f");
    let m = fs::symlink_metadata(t.path().join("f")).unwrap();
    assert_eq!(r.size, Some(8));
    assert_eq!(r.ino.as_deref(), Some(m.ino().to_string().as_str()));
    assert_eq!(r.dev.as_deref(), Some(m.dev().to_string().as_str()));
    assert_eq!(r.nlink, Some(1));
    assert_eq!(r.uid, Some(m.uid()));
    assert_eq!(
        r.mode.as_deref(),
        Some(format!("{:04o}", m.mode() & 0o7777).as_str())
    );
    assert!(r.mtime.is_some() && r.ctime.is_some() && r.atime.is_some());
    assert!(r.error.is_none() && !r.changed_during_read);
}
