//! `verify --evidence` on E01 exhibits: besides re-hashing the image files,
//! the media stream is re-read, every chunk checked, and the media digests
//! compared with those recorded at acquisition and those stored in the
//! image (docs/guide/interop.md, docs/spec/verify-json.md). Multi-segment images are
//! made with `ewfacquire` (ewf-tools, installed by .ci/run).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const MD5: &str = "ea1191b1a124f0b5289144bb923d5234";
const SHA1: &str = "5f39a4555a681e9333b21104af3a23d9d7903b15";

/// Byte offset in fixtures/ewf/small.E01 of chunk `k`'s data (uncompressed,
/// 32 KiB chunks each followed by a 4-byte Adler-32; the first at 2050).
fn small_chunk_offset(k: usize) -> usize {
    2050 + k * (32768 + 4)
}

/// A new case holding one exhibit per (id, paths).
fn case_with(dir: &Path, exhibits: &[(&str, Vec<PathBuf>)]) -> PathBuf {
    let case = dir.join("case");
    custodian()
        .args(["init", case.to_str().unwrap(), "--case-id", "E01-2"])
        .args(["--title", "images", "--authority", "Warrant 1", "--key"])
        .arg(key_path("lead"))
        .assert()
        .success();
    for (id, paths) in exhibits {
        custodian()
            .args(["acquire", case.to_str().unwrap(), "--exhibit", id, "-q"])
            .arg("--key")
            .arg(key_path("lead"))
            .args(paths)
            .assert()
            .success();
    }
    case
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= 0x5a;
    std::fs::write(path, b).unwrap();
}

/// The problems of a verify --json object with this code.
fn with_code<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == code)
        .collect()
}

/// Runs `ewfacquire` on `size` pseudo-random bytes (incompressible, so the
/// image is uncompressed) or text (`compress`), writing `dir/NAME.E01`…;
/// returns the first segment.
fn ewfacquire(dir: &Path, name: &str, size: usize, segment: &str, compress: bool) -> PathBuf {
    let raw = dir.join(format!("{name}.raw"));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = if compress {
        (0..size)
            .map(|i| b"custodian chunk test line\n"[i % 26])
            .collect()
    } else {
        (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    };
    std::fs::write(&raw, &bytes).unwrap();
    let out = Command::new("ewfacquire")
        .args(["-u", "-q", "-t"])
        .arg(dir.join(name))
        .args(["-c", if compress { "best" } else { "none" }])
        .args([
            "-S",
            segment,
            "-b",
            "64",
            "-C",
            "CASE-7",
            "-D",
            "test image",
        ])
        .args(["-E", "EXH-9", "-e", "J. Doe", "-N", "n", "-f", "encase6"])
        .args(["-d", "sha1"])
        .arg(&raw)
        .output()
        .expect("ewfacquire (ewf-tools) must be installed: .ci/run installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&raw).unwrap();
    dir.join(format!("{name}.E01"))
}

#[test]
fn verify_evidence_rechecks_an_intact_e01() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("good.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &img).unwrap();
    let case = case_with(dir.path(), &[("IMG-1", vec![img.clone()])]);
    let spec = format!("IMG-1={}", img.display());
    let (code, v) = verify_json(&case, &["--evidence", &spec]);
    assert_eq!(code, 0, "{v}");
    let e = &v["evidence"][0]["ewf"][0];
    assert_eq!(e["intact"], true, "{e}");
    assert_eq!(e["image"], img.to_str().unwrap());
    assert_eq!(e["media_size"], 131072);
    assert_eq!(e["chunk_checksums_checked"], true);
    for which in ["recorded", "stored", "computed"] {
        assert_eq!(e[which]["md5"], MD5, "{which}: {e}");
        assert_eq!(e[which]["sha1"], SHA1, "{which}: {e}");
    }
    assert!(e["seconds"].as_f64().unwrap() > 0.0);
    assert!(e["bytes_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(e["problems"], serde_json::json!([]));

    let out = custodian()
        .arg("verify")
        .arg(&case)
        .args(["--evidence", &spec])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "evidence IMG-1: E01 {}: 131072 media bytes in 1 segment(s) re-read in ",
            img.display()
        )) && text.contains(" MiB/s)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "MD5   at acquisition {MD5}, stored in image {MD5}, computed now {MD5}"
        )),
        "{text}"
    );
    assert!(text.contains("verdict: intact"), "{text}");
}

/// One byte of an uncompressed chunk altered after acquisition: the file
/// no longer matches its manifest, and the media check names the chunk,
/// its media bytes and sectors (as ewfverify does), the segment and file
/// offset, and why (its Adler-32), then the digests that no longer match.
#[test]
fn verify_evidence_names_the_altered_chunk_of_an_e01() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &img).unwrap();
    let case = case_with(dir.path(), &[("IMG-1", vec![img.clone()])]);
    flip(&img, small_chunk_offset(2) + 12_345);
    let spec = format!("IMG-1={}", img.display());
    let (code, v) = verify_json(&case, &["--evidence", &spec]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["result"], "invalid");
    assert_eq!(with_code(&v, "evidence-changed").len(), 1, "{v}");
    let chunk = with_code(&v, "evidence-ewf-chunk");
    assert_eq!(chunk.len(), 1, "{v}");
    let msg = chunk[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "exhibit IMG-1: E01 image {0}: chunk 2 (media bytes 65536..98304, sectors 128-191) in segment {0} at file offset {1}: uncompressed chunk checksum mismatch: Adler-32 stored ",
            img.display(),
            small_chunk_offset(2)
        )),
        "{msg}"
    );
    assert_eq!(chunk[0]["severity"], "error");
    let digests: Vec<&str> = with_code(&v, "evidence-ewf-digest")
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        digests
            .iter()
            .any(|m| m.contains(&format!(", computed at acquisition {MD5}"))),
        "{digests:?}"
    );
    assert!(
        digests
            .iter()
            .any(|m| m.contains(&format!(", stored in the image {SHA1}"))),
        "{digests:?}"
    );
    let e = &v["evidence"][0]["ewf"][0];
    assert_eq!(e["intact"], false);
    assert_eq!(e["chunk_faults"][0]["chunk"], 2);
    assert_eq!(e["chunk_faults"][0]["first_sector"], 128);
    assert_eq!(e["chunk_faults"][0]["last_sector"], 191);
    assert_ne!(e["computed"]["md5"], MD5);
    assert_eq!(e["recorded"]["md5"], MD5);
    // Text: never a bare failure.
    let out = custodian()
        .arg("verify")
        .arg(&case)
        .args(["--evidence", &spec])
        .output()
        .unwrap();
    expect_code(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("verdict: NOT AS RECORDED: ")
            && text.contains("[evidence-ewf-chunk]")
            && text.contains("chunk 2 (media bytes 65536..98304, sectors 128-191)"),
        "{text}"
    );
    // ewfverify locates the same sectors.
    let out = Command::new("ewfverify")
        .arg("-q")
        .arg(&img)
        .output()
        .expect("ewfverify (ewf-tools) must be installed: .ci/run installs it");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("at sector(s): 128 - 191 (number: 64)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A truncated segment: the image's chunk table is gone; the check says
/// so, with the segment's size, and fails (exit 1), never exit 2.
#[test]
fn verify_evidence_reports_a_truncated_e01_segment() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &img).unwrap();
    let case = case_with(dir.path(), &[("IMG-1", vec![img.clone()])]);
    let bytes = std::fs::read(&img).unwrap();
    std::fs::write(&img, &bytes[..100_000]).unwrap();
    let spec = format!("IMG-1={}", img.display());
    let (code, v) = verify_json(&case, &["--evidence", &spec]);
    assert_eq!(code, 1, "{v}");
    let p = with_code(&v, "evidence-ewf-unreadable");
    assert_eq!(p.len(), 1, "{v}");
    let msg = p[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            "{}: the chunk tables list 0 chunk(s) of 32768 bytes, but the volume section says 131072 media bytes: a segment file is truncated or missing (segments: {} (100000 bytes))",
            img.display(),
            img.display()
        )),
        "{msg}"
    );
    // ewf-verify says the same, exit 1 (damaged), not 2.
    let out = custodian().arg("ewf-verify").arg(&img).output().unwrap();
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a segment file is truncated"));
}

/// An image damaged before acquisition, unchanged since: its problems were
/// recorded (finding EWF-MISMATCH) and are warnings now, not new errors.
#[test]
fn verify_evidence_on_an_e01_damaged_before_acquisition_warns() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &img).unwrap();
    flip(&img, small_chunk_offset(0) + 7);
    let case = case_with(dir.path(), &[("IMG-1", vec![img.clone()])]);
    let spec = format!("IMG-1={}", img.display());
    let (code, v) = verify_json(&case, &["--evidence", &spec]);
    assert_eq!(code, 0, "{v}");
    let p = with_code(&v, "evidence-ewf-chunk");
    assert_eq!(p.len(), 1, "{v}");
    assert_eq!(p[0]["severity"], "warning");
    assert!(p[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("(already so at acquisition: finding EWF-MISMATCH)"));
    assert_eq!(v["evidence"][0]["ewf"][0]["damaged_at_acquisition"], true);
    let (code, _) = verify_json(&case, &["--evidence", &spec, "--strict"]);
    assert_eq!(code, 1);
}

/// A compressed image: a byte altered inside a chunk's zlib stream is
/// reported as that chunk failing to decompress.
#[test]
fn ewf_verify_names_a_damaged_compressed_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let img = ewfacquire(dir.path(), "comp", 200 * 512, "1M", true);
    let out = custodian().arg("ewf-verify").arg(&img).output().unwrap();
    expect_code(&out, 0);
    // Find chunk 1's data: it is compressed, so its size on disk is small;
    // alter a byte in the middle of the file's chunk area and let the tool
    // name whichever chunk holds it.
    let json = custodian()
        .args(["ewf-verify", "--json"])
        .arg(&img)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["chunks"], 4, "{v}");
    let len = std::fs::metadata(&img).unwrap().len() as usize;
    let bad = dir.path().join("bad.E01");
    std::fs::copy(&img, &bad).unwrap();
    flip(&bad, len / 2);
    let out = custodian().arg("ewf-verify").arg(&bad).output().unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("compressed chunk does not decompress (")
            && err.contains("its zlib data or checksum was altered")
            && err.contains("unreadable chunk(s) hashed as zeros"),
        "{err}"
    );
    let out = Command::new("ewfverify")
        .arg("-q")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Same chunk as ewfverify's sector range.
    let theirs = String::from_utf8_lossy(&out.stdout);
    let sectors = theirs
        .lines()
        .find_map(|l| l.trim().strip_prefix("at sector(s): "))
        .and_then(|l| l.split(" (").next())
        .map(|r| r.replace(" - ", "-"))
        .unwrap_or_else(|| panic!("{theirs}"));
    assert!(
        err.contains(&format!("sectors {sectors})")),
        "{err}\n{theirs}"
    );
}

/// A three-segment image (E01, E02, E03; 1 MiB segments, a last chunk
/// shorter than the others): acquired as three paths, verified intact;
/// a byte altered in E02 is located in E02; a missing E02 is named.
#[test]
fn verify_evidence_reads_multi_segment_e01() {
    let dir = tempfile::tempdir().unwrap();
    let size = 2 * 1024 * 1024 + 100 * 512;
    let first = ewfacquire(dir.path(), "seg", size, "1M", false);
    let segs: Vec<PathBuf> = ["E01", "E02", "E03"]
        .iter()
        .map(|e| first.with_extension(e))
        .collect();
    for s in &segs {
        assert!(s.exists(), "ewfacquire made no {}", s.display());
    }
    let case = case_with(dir.path(), &[("DISK", segs.clone())]);
    let ledger = std::fs::read_to_string(case.join("ledger.jsonl")).unwrap();
    assert!(
        ledger.contains("\"media_size\":2148352") && !ledger.contains("\"problems\""),
        "{ledger}"
    );
    let specs: Vec<String> = segs
        .iter()
        .map(|s| format!("DISK={}", s.display()))
        .collect();
    let mut args: Vec<&str> = Vec::new();
    for s in &specs {
        args.extend(["--evidence", s.as_str()]);
    }
    let (code, v) = verify_json(&case, &args);
    assert_eq!(code, 0, "{v}");
    let e = &v["evidence"][0]["ewf"][0];
    assert_eq!(e["intact"], true, "{e}");
    assert_eq!(e["segments"].as_array().unwrap().len(), 3, "{e}");
    assert_eq!(e["media_size"], size);

    // A byte of E02's chunk data.
    let e02 = std::fs::read(&segs[1]).unwrap();
    let saved = e02.clone();
    flip(&segs[1], e02.len() / 2);
    let (code, v) = verify_json(&case, &args);
    assert_eq!(code, 1, "{v}");
    let chunk = with_code(&v, "evidence-ewf-chunk");
    assert_eq!(chunk.len(), 1, "{v}");
    let msg = chunk[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!(
            " in segment {} at file offset ",
            segs[1].display()
        )) && msg.contains("Adler-32 stored"),
        "{msg}"
    );
    std::fs::write(&segs[1], &saved).unwrap();

    // A stray copy of segment 1 next to the image is named, not guessed at.
    let stray = first.with_extension("E99");
    std::fs::copy(&segs[0], &stray).unwrap();
    let out = custodian().arg("ewf-verify").arg(&first).output().unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{} and {} both say they are segment 1",
            segs[0].display(),
            stray.display()
        )),
        "{err}"
    );
    std::fs::remove_file(&stray).unwrap();

    // E02 gone.
    std::fs::remove_file(&segs[1]).unwrap();
    let out = custodian()
        .args(["ewf-verify"])
        .arg(&first)
        .output()
        .unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: segment 2 of the image is missing (found segments 1 {}, 3 {})",
            first.display(),
            segs[0].display(),
            segs[2].display()
        )),
        "{err}"
    );
}
