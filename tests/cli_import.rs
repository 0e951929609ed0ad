//! End-to-end tests of `custodian import` (docs/guide/import.md): real
//! log formats (the committed samples of fixtures/import/, their digests
//! replaced by those of an image the test makes, and a log written by the
//! real `ewfacquire -l`), every value recorded "as stated in the … log",
//! every logged digest checked against the media, a doctored digest caught
//! as a finding, hostile logs refused with their line named.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use md5::Digest as _;
use serde_json::Value;

const WARRANT: &str = "Warrant 26/1187";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fixture() -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let out = custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-2026-0042", "--title", "Imports"])
        .args(["--authority", WARRANT])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    TestCase { dir, path: case }
}

fn import(case: &Path, tool: &str, log: &Path, images: &[&Path], extra: &[&str]) -> Output {
    let mut c = custodian();
    c.arg("import")
        .arg(case)
        .args(["--exhibit", "IMG-1", "-q", "--from", tool])
        .arg(log);
    for i in images {
        c.arg("--image").arg(i);
    }
    c.args(extra)
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap()
}

/// `n` pseudo-random bytes (a xorshift stream: incompressible, repeatable).
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

struct Digests {
    md5: String,
    sha1: String,
    sha256: String,
}

fn digests(b: &[u8]) -> Digests {
    Digests {
        md5: hex::encode(md5::Md5::digest(b)),
        sha1: hex::encode(sha1::Sha1::digest(b)),
        sha256: sha256_hex(b),
    }
}

fn entries(case: &Path) -> Vec<Value> {
    std::fs::read_to_string(ledger_of(case))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sample(rel: &str) -> String {
    String::from_utf8(std::fs::read(root().join("fixtures/import").join(rel)).unwrap()).unwrap()
}

/// The Guymager sample (a CD-ROM with 24,773 bad sectors, three digests
/// at three stages) with its digests replaced by `d`'s.
fn guymager_log(d: &Digests) -> String {
    sample("guymager/Test01.info")
        .replace("35659ff9fdf25d394622b4e64368d08d", &d.md5)
        .replace("71bd797e6fe66966d9fc96ac6bd83908d4994c79", &d.sha1)
        .replace(
            "1562e71dc3e58e928cd230a312a76b17c979eb884a60e2725676d0e67c681309",
            &d.sha256,
        )
}

/// A raw image of `size` bytes and the dc3dd sample log with its SHA-1
/// replaced by the image's: (image, log, digests).
fn dc3dd_image(t: &TestCase, size: usize, seed: u64) -> (PathBuf, PathBuf, Digests) {
    let media = bytes(size, seed);
    let d = digests(&media);
    let image = t.tmp().join("image.raw");
    std::fs::write(&image, &media).unwrap();
    let log = t.tmp().join("image.log");
    std::fs::write(
        &log,
        sample("dc3dd/image.log").replace("094123df4792b18a1f0f64f1e2fc609028695f85", &d.sha1),
    )
    .unwrap();
    (image, log, d)
}

/// A split raw image of `parts` files in `dir`; returns them and the media.
fn split_image(dir: &Path, parts: usize) -> (Vec<PathBuf>, Vec<u8>) {
    let media = bytes(parts * 40_000 - 123, 7);
    let mut files = Vec::new();
    for (i, chunk) in media.chunks(40_000).enumerate() {
        let p = dir.join(format!("Test01.{i:03}"));
        std::fs::write(&p, chunk).unwrap();
        files.push(p);
    }
    (files, media)
}

#[test]
fn a_guymager_split_raw_import_is_recorded_as_stated_and_every_digest_checked() {
    let t = fixture();
    let (files, media) = split_image(t.tmp(), 3);
    let d = digests(&media);
    let log = t.tmp().join("Test01.info");
    std::fs::write(&log, guymager_log(&d)).unwrap();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = import(
        t.p(),
        "guymager",
        &log,
        &refs,
        &["--source-kind", "physical-disk", "--write-blocker", "none"],
    );
    expect_code(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("acquisition md5 (log line 92): {} matches", d.md5)),
        "{stdout}"
    );
    assert!(stdout.contains("kept as an attachment"), "{stdout}");

    let all = entries(t.p());
    let acquire = &all[1]["body"];
    let import = &all[2]["body"];
    assert_eq!(all[1]["type"], "exhibit.acquire");
    assert_eq!(all[2]["type"], "exhibit.import");
    let sd = &acquire["source_device"];
    assert_eq!(sd["model"]["value"], "DVD+-RW TS-H653G");
    assert_eq!(sd["model"]["origin"], "header");
    assert_eq!(sd["model"]["header_source"], "Guymager log Test01.info");
    assert_eq!(sd["kind"]["origin"], "stated");
    assert_eq!(sd["imaging"]["tool"], "Guymager");
    assert_eq!(sd["imaging"]["tool_version"], "0.8.8-3");
    assert_eq!(sd["imaging"]["hashes"]["sha256"], d.sha256);
    assert_eq!(sd["imaging"]["acquired"][0]["zone"], "unknown");
    assert!(sd["imaging"]["bad_sectors"].as_array().unwrap().len() > 1);
    // The three parts were catalogued as the exhibit's files.
    assert_eq!(acquire["counts"]["files"], 3);

    assert_eq!(import["format"], "guymager");
    assert_eq!(import["acquire"], 1);
    assert_eq!(import["image"]["layout"], "split-raw");
    assert_eq!(import["image"]["media_bytes"], media.len() as u64);
    assert_eq!(import["log"]["encoding"], "UTF-8");
    assert_eq!(
        import["log"]["sha256"],
        sha256_hex(&std::fs::read(&log).unwrap())
    );
    let checks = import["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 9, "three algorithms at three stages");
    assert!(checks.iter().all(|c| c["matched"] == true), "{checks:?}");
    let stages: Vec<&str> = checks
        .iter()
        .map(|c| c["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages[..3],
        ["acquisition", "verification-source", "verification-image"]
    );

    // The log is kept, byte for byte, and verified.
    let kept = t
        .p()
        .join("attachments/sha256")
        .join(import["log"]["sha256"].as_str().unwrap());
    assert_eq!(std::fs::read(kept).unwrap(), std::fs::read(&log).unwrap());
    let (code, v) = verify_json(t.p(), &[]);
    assert_eq!(code, 0, "{v}");

    // The report shows the device fields as stated in the log, every check
    // and the log among the attachments.
    let md = text(&report_output(t.p(), "md", &[]).stdout);
    assert!(
        md.contains("DVD+-RW TS-H653G (as stated in the Guymager log Test01.info)"),
        "{md}"
    );
    assert!(md.contains("Log digests checked"), "{md}");
    assert!(
        md.contains(&format!(
            "verification-image sha256 {} as stated in the log (line 100): matches",
            d.sha256
        )),
        "{md}"
    );
    assert!(md.contains("Test01.info (log, text/plain"), "{md}");
    assert!(
        md.contains("physical-disk (as stated by the examiner)"),
        "{md}"
    );
    let r: Value = serde_json::from_slice(&report_output(t.p(), "json", &[]).stdout).unwrap();
    assert!(
        !r["summary"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "IMP-HASH-MISMATCH"),
        "{}",
        r["summary"]["findings"]
    );
}

#[test]
fn a_doctored_logged_digest_is_recorded_as_a_high_finding() {
    let t = fixture();
    let (files, media) = split_image(t.tmp(), 2);
    let d = digests(&media);
    // One digit of the image verification's SHA-256 changed (line 100).
    let mut doctored = d.sha256.clone();
    let flip = if doctored.ends_with('0') { "1" } else { "0" };
    doctored.replace_range(63.., flip);
    let mut lines: Vec<String> = guymager_log(&d).split('\n').map(str::to_string).collect();
    lines[99] = lines[99].replace(&d.sha256, &doctored);
    let log = t.tmp().join("Test01.info");
    std::fs::write(&log, lines.join("\n")).unwrap();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = import(t.p(), "guymager", &log, &refs, &[]);
    expect_code(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "verification-image sha256 (log line 100): {doctored} DOES NOT MATCH: the media hash to {}",
            d.sha256
        )),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("IMP-HASH-MISMATCH"));
    let checks = entries(t.p())[2]["body"]["checks"].clone();
    let failed: Vec<&Value> = checks
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["matched"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{checks}");
    assert_eq!(failed[0]["line"], 100);
    assert_eq!(failed[0]["computed"], d.sha256);

    // The ledger is sound; the finding is in the report.
    let (code, _) = verify_json(t.p(), &[]);
    assert_eq!(code, 0);
    let r: Value = serde_json::from_slice(&report_output(t.p(), "json", &[]).stdout).unwrap();
    let f: Vec<&Value> = r["summary"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "IMP-HASH-MISMATCH")
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["severity"], "high");
    assert!(f[0]["message"].as_str().unwrap().contains("(line 100)"));
    assert_eq!(f[0]["entries"], serde_json::json!([2]));
}

#[test]
fn a_dc3dd_raw_import_checks_the_logged_digest() {
    let t = fixture();
    let (image, log, d) = dc3dd_image(&t, 65_536, 11);
    let out = import(t.p(), "dc3dd", &log, &[&image], &[]);
    expect_code(&out, 0);
    let body = entries(t.p())[2]["body"].clone();
    assert_eq!(body["image"]["layout"], "raw");
    let checks = body["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    assert!(checks
        .iter()
        .all(|c| c["algorithm"] == "sha1" && c["matched"] == true));
    assert!(checks.iter().any(|c| c["stage"] == "acquisition"));
    // The raw image's own digest in the acquisition entry is the media's.
    assert_eq!(entries(t.p())[1]["body"]["digests"]["sha1"], d.sha1);
    // The time as dc3dd states it, with its zone.
    let acquired = &entries(t.p())[1]["body"]["source_device"]["imaging"]["acquired"][0];
    assert_eq!(acquired["zone"], "-04:00", "{acquired}");

    // The same exhibit id again: refused before any image is read, nothing
    // more recorded.
    let n = entries(t.p()).len();
    let out = import(t.p(), "dc3dd", &log, &[&image, &image], &[]);
    expect_code(&out, 2);
    assert!(text(&out.stderr).contains("IMG-1"), "{}", text(&out.stderr));
    assert_eq!(entries(t.p()).len(), n);
}

/// The FTK Imager sample (a SanDisk USB stick, E01) re-pointed at the
/// committed small.E01, whose media digests fixtures/ewf/README.md gives.
#[test]
fn an_ftk_imager_utf16_log_of_an_e01_imports_with_its_device_fields() {
    const MD5: &str = "ea1191b1a124f0b5289144bb923d5234";
    const SHA1: &str = "5f39a4555a681e9333b21104af3a23d9d7903b15";
    let t = fixture();
    let txt = sample("ftk/recipe_usb.E01.txt")
        .replace("3e6daf20ce837abc27c6841d379eae66", MD5)
        .replace("20f3565203bccc47cbf6045aead1ac7fc2a10d39", SHA1);
    let body = txt.trim_start_matches('\u{feff}');
    let mut utf16 = vec![0xff, 0xfe];
    for u in body.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let log = t.tmp().join("small.E01.txt");
    std::fs::write(&log, utf16).unwrap();
    let image = t.tmp().join("small.E01");
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &image).unwrap();
    let out = import(t.p(), "ftk", &log, &[&image], &[]);
    expect_code(&out, 0);
    let all = entries(t.p());
    let sd = &all[1]["body"]["source_device"];
    assert_eq!(sd["model"]["value"], "SanDisk Cruzer Blade USB Device");
    assert_eq!(sd["serial"]["value"], "0875920F047172B7");
    assert_eq!(
        sd["serial"]["header_source"],
        "FTK Imager log small.E01.txt"
    );
    assert_eq!(sd["sector_size"]["value"], 512);
    assert_eq!(sd["sector_count"]["value"], 7_856_127);
    assert_eq!(sd["imaging"]["examiner"], "You!");
    // The image's own header values stay in `ewf`, checked as for any E01.
    assert_eq!(all[1]["body"]["ewf"][0]["computed_md5"], MD5);
    let import = &all[2]["body"];
    assert_eq!(import["image"]["layout"], "ewf");
    assert_eq!(import["log"]["encoding"], "UTF-16LE");
    let checks = import["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4, "{checks:?}");
    assert!(checks.iter().all(|c| c["matched"] == true), "{checks:?}");
    let html = text(&report_output(t.p(), "html", &[]).stdout);
    assert!(html.contains("0875920F047172B7 (as stated in the FTK Imager log small.E01.txt)"));
}

/// A log written by the real ewfacquire (`-l`), of an image it made.
#[test]
fn a_real_ewfacquire_log_imports_and_matches() {
    let t = fixture();
    let raw = t.tmp().join("source.raw");
    // Whole sectors: the 2014 ewfacquire makes an image of a source that
    // ends mid-sector that its own ewfverify refuses (and so does custodian).
    std::fs::write(&raw, bytes(586 * 512, 3)).unwrap();
    let log = t.tmp().join("acquiry.log");
    let out = Command::new("ewfacquire")
        .args(["-u", "-q", "-t"])
        .arg(t.tmp().join("usb"))
        .args(["-c", "none", "-d", "sha256", "-l"])
        .arg(&log)
        .arg(&raw)
        .output()
        .expect("ewfacquire (ewf-tools) must be installed: .ci/run installs it");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let image = t.tmp().join("usb.E01");
    let out = import(t.p(), "ewfacquire", &log, &[&image], &[]);
    expect_code(&out, 0);
    let import = &entries(t.p())[2]["body"];
    let algos: Vec<&str> = import["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["algorithm"].as_str().unwrap())
        .collect();
    assert!(algos.contains(&"md5"), "{import}");
    assert!(algos.contains(&"sha256"), "{import}");
    assert!(
        import["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["matched"] == true),
        "{import}"
    );
    let media = std::fs::read(&raw).unwrap();
    let sha = import["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["algorithm"] == "sha256")
        .unwrap()["computed"]
        .clone();
    assert_eq!(sha, sha256_hex(&media));
}

#[test]
fn hostile_logs_are_refused_with_their_line_and_nothing_is_recorded() {
    let t = fixture();
    let image = t.tmp().join("image.raw");
    std::fs::write(&image, bytes(4096, 5)).unwrap();
    let cases = [
        (
            "guymager",
            "guymager/hostile/evidence1-truncated.info",
            "line ",
        ),
        (
            "ftk",
            "ftk/hostile/recipe_usb-serial-twice.E01.txt",
            "line 27",
        ),
        (
            "ewfacquire",
            "ewfacquire/hostile/files-data-md5-31-digits.console.txt",
            "line 15",
        ),
        // A log of another tool.
        ("guymager", "dc3dd/image.log", "not a Guymager log"),
        ("dc3dd", "ftk/recipe_usb.E01.txt", ""),
    ];
    for (tool, rel, want) in cases {
        let out = import(
            t.p(),
            tool,
            &root().join("fixtures/import").join(rel),
            &[&image],
            &[],
        );
        expect_code(&out, 2);
        let err = text(&out.stderr);
        assert!(err.contains(want), "{rel}: {err}");
        assert!(err.contains("nothing was recorded"), "{rel}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(entries(t.p()).len(), 1, "{rel}: nothing recorded");
        assert!(!t.p().join("attachments").exists(), "{rel}: nothing stored");
    }
    let good = root().join("fixtures/import/dc3dd/image.log");
    for (args, want) in [
        (
            vec!["--from", "nosuch", good.to_str().unwrap()],
            "unknown log format",
        ),
        (
            vec!["--from", "dc3dd", "/nonexistent/x.log"],
            "No such file",
        ),
    ] {
        let out = custodian()
            .arg("import")
            .arg(t.p())
            .args(["--exhibit", "IMG-1", "--image"])
            .arg(&image)
            .args(&args)
            .arg("--key")
            .arg(key_path("lead"))
            .output()
            .unwrap();
        expect_code(&out, 2);
        assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));
    }
    // The images refused with exit 2 and a message saying why.
    let refused = |images: &[&Path], why: &str| {
        let out = import(t.p(), "dc3dd", &good, images, &[]);
        expect_code(&out, 2);
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
    };
    // Two E01 paths, a missing image: refused.
    let e01 = root().join("fixtures/ewf/small.E01");
    refused(&[&e01, &e01], "first segment");
    // An E01 segment under another name, an EWF2 image: not hashed as raw.
    let renamed = t.tmp().join("disk.img");
    std::fs::copy(&e01, &renamed).unwrap();
    refused(&[&renamed], "first segment");
    let ewf2 = t.tmp().join("disk.Ex01");
    let mut b = b"EVF2\x0d\x0a\x81\x00".to_vec();
    b.extend_from_slice(&[0u8; 100]);
    std::fs::write(&ewf2, b).unwrap();
    refused(&[&ewf2], "EWF version 2");
    let out = import(t.p(), "dc3dd", &good, &[&t.tmp().join("gone.raw")], &[]);
    expect_code(&out, 2);
    assert_eq!(entries(t.p()).len(), 1);
}

#[test]
fn an_import_log_travels_in_a_package_only_with_attachments() {
    let t = fixture();
    let (image, log, _) = dc3dd_image(&t, 8192, 13);
    expect_code(&import(t.p(), "dc3dd", &log, &[&image], &[]), 0);
    let log_sha = sha256_hex(&std::fs::read(&log).unwrap());
    for (name, extra, carried) in [
        ("plain", vec![], false),
        ("with", vec!["--attachments"], true),
    ] {
        let pkg = t.tmp().join(name);
        let out = custodian()
            .arg("package")
            .arg(t.p())
            .args([
                "--exhibit",
                "IMG-1",
                "--for",
                "Defence",
                "--authority",
                WARRANT,
            ])
            .args(&extra)
            .arg("--out")
            .arg(&pkg)
            .arg("--key")
            .arg(key_path("lead"))
            .output()
            .unwrap();
        expect_code(&out, 0);
        assert_eq!(
            pkg.join("attachments/sha256").join(&log_sha).exists(),
            carried,
            "{name}"
        );
        let index: Value =
            serde_json::from_slice(&std::fs::read(pkg.join("package.json")).unwrap()).unwrap();
        // The import entry goes with its exhibit either way.
        assert!(
            index["entries"]
                .as_array()
                .unwrap()
                .contains(&Value::from(2)),
            "{index}"
        );
        let out = custodian()
            .arg("verify-package")
            .arg(&pkg)
            .output()
            .unwrap();
        expect_code(&out, 0);
    }
}
