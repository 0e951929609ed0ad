//! Provenance at acquisition (issue 16 item 8, issue 17 item 15;
//! docs/design/custody-v2.md §6 and §7): the source-device record with the
//! origin of every value, the E01 header values as found (the raw
//! acquisition date, its zone unknown), a stated value that disagrees with
//! the header kept beside it, the clock's synchronisation as the system
//! reports it (never invented), the host's system, the absolute roots (and
//! their redaction in packages), and entries written before all this still
//! verifying and reading "not stated".

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const LEAD: &str = "lead";
const WARRANT: &str = "Warrant 26/1187";

/// `custodian init DIR/case` with the lead key; returns the case folder.
fn new_case(dir: &Path) -> PathBuf {
    let case = dir.join("case");
    custodian()
        .arg("init")
        .arg(&case)
        .args(["--case-id", "FR-2026-0042", "--title", "Seized disk"])
        .args(["--authority", WARRANT, "--key"])
        .arg(key_path(LEAD))
        .assert()
        .code(0);
    case
}

/// `custodian acquire CASE --exhibit ID -q ARGS… PATHS…` run in `cwd`
/// with the extra environment `env`.
fn acquire_in(
    cwd: &Path,
    case: &Path,
    id: &str,
    args: &[&str],
    paths: &[&Path],
    env: &[(&str, &str)],
) -> Output {
    let mut c = custodian();
    c.current_dir(cwd)
        .arg("acquire")
        .arg(case)
        .args(["--exhibit", id, "-q", "--key"])
        .arg(key_path(LEAD))
        .args(args)
        .args(paths);
    for (k, v) in env {
        c.env(k, v);
    }
    c.timeout(Duration::from_secs(120)).output().unwrap()
}

fn acquire(case: &Path, id: &str, args: &[&str], paths: &[&Path]) -> Output {
    acquire_in(&root(), case, id, args, paths, &[])
}

/// The body of the `exhibit.acquire` entry of exhibit `id`.
fn acquisition(case: &Path, id: &str) -> Value {
    let text = std::fs::read_to_string(ledger_of(case)).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "exhibit.acquire" && e["body"]["exhibit"] == id)
        .unwrap_or_else(|| panic!("no acquisition of {id}"))["body"]
        .clone()
}

/// `custodian report CASE --format FORMAT` at a pinned time.
fn report(case: &Path, format: &str) -> String {
    let out = custodian()
        .arg("report")
        .arg(case)
        .args(["--format", format, "--generated-at", "2026-12-01T10:00:00Z"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

fn report_json(case: &Path) -> Value {
    serde_json::from_str(&report(case, "json")).unwrap()
}

/// A small evidence folder `dir/NAME` with one file.
fn evidence(dir: &Path, name: &str) -> PathBuf {
    let ev = dir.join(name);
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("notes.txt"), b"meeting at 9\n").unwrap();
    ev
}

/// The committed EnCase 6 fixture (fixtures/ewf/README.md) copied to
/// `dir/NAME`.
fn fixture_e01(dir: &Path, name: &str) -> PathBuf {
    let img = dir.join(name);
    std::fs::copy(root().join("fixtures/ewf/small.E01"), &img).unwrap();
    img
}

/// Rewrites, in place, every `header2` section of a one-segment EWF v1
/// image so that its "main" table gives these values (code → value). The
/// new zlib stream must fit in the old section (it is padded with zeros;
/// libewf and custodian read the stream and ignore what follows), so the
/// callers shorten other values to make room.
fn set_header2(image: &Path, values: &[(&str, &str)]) {
    use flate2::{write::ZlibEncoder, Compression};
    let mut b = std::fs::read(image).unwrap();
    let mut off = 13usize;
    loop {
        let d = &b[off..off + 76];
        let kind: Vec<u8> = d[..16].iter().copied().take_while(|c| *c != 0).collect();
        let next = u64::from_le_bytes(d[16..24].try_into().unwrap()) as usize;
        let size = u64::from_le_bytes(d[24..32].try_into().unwrap()) as usize;
        if kind == b"header2" {
            let data = off + 76..off + size;
            let mut text = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::ZlibDecoder::new(&b[data.clone()]),
                &mut text,
            )
            .unwrap();
            let units: Vec<u16> = text[2..]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let text = String::from_utf16(&units).unwrap();
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let at = lines.iter().position(|l| l == "main").unwrap();
            let names: Vec<String> = lines[at + 1].split('\t').map(str::to_string).collect();
            let mut vals: Vec<String> = lines[at + 2].split('\t').map(str::to_string).collect();
            for (code, value) in values {
                let i = names.iter().position(|n| n == code).unwrap();
                vals[i] = value.to_string();
            }
            lines[at + 2] = vals.join("\t");
            let mut utf16 = vec![0xff, 0xfe];
            for u in lines.join("\n").encode_utf16() {
                utf16.extend_from_slice(&u.to_le_bytes());
            }
            let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
            z.write_all(&utf16).unwrap();
            let new = z.finish().unwrap();
            assert!(new.len() <= data.len(), "{} > {}", new.len(), data.len());
            b[data.clone()].fill(0);
            b[data.start..data.start + new.len()].copy_from_slice(&new);
        }
        if kind == b"next" || kind == b"done" || next <= off {
            break;
        }
        off = next;
    }
    std::fs::write(image, b).unwrap();
}

fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every file under `dir`, with its bytes.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// ---------------------------------------------------------------------------
// Stated values
// ---------------------------------------------------------------------------

#[test]
fn stated_values_are_signed_and_reported_as_stated() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let ev = evidence(dir.path(), "ev");
    let out = acquire(
        &case,
        "EXH-1",
        &[
            "--source-kind",
            "physical-disk",
            "--make",
            "Samsung",
            "--model",
            "SSD 860 EVO 500GB",
            "--serial",
            "S3Z9NB0K123456X",
            "--sector-size",
            "512",
            "--sector-count",
            "976773168",
            "--write-blocker",
            "Tableau T35u:000ECC00FF12",
        ],
        &[&ev],
    );
    expect_code(&out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("    serial: S3Z9NB0K123456X (as stated by the examiner)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "    write-blocker: Tableau T35u, serial 000ECC00FF12 (as stated by the examiner)"
        ),
        "{stdout}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let d = &acquisition(&case, "EXH-1")["source_device"];
    let stated = |v: Value| serde_json::json!({"value": v, "origin": "stated"});
    assert_eq!(d["kind"], stated("physical-disk".into()));
    assert_eq!(d["make"], stated("Samsung".into()));
    assert_eq!(d["model"], stated("SSD 860 EVO 500GB".into()));
    assert_eq!(d["serial"], stated("S3Z9NB0K123456X".into()));
    assert_eq!(d["sector_size"], stated(512.into()));
    assert_eq!(d["sector_count"], stated(976773168u64.into()));
    assert_eq!(
        d["write_blocker"],
        stated(serde_json::json!({"model": "Tableau T35u", "serial": "000ECC00FF12"}))
    );
    assert!(d.get("imaging").is_none(), "{d}");

    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    let r = report_json(&case);
    assert_eq!(r["exhibits"][0]["provenance"]["source_device"], *d);
    let md = report(&case, "md");
    for row in [
        "| Source kind | physical-disk (as stated by the examiner) |",
        "| Source make | Samsung (as stated by the examiner) |",
        "| Source serial | S3Z9NB0K123456X (as stated by the examiner) |",
        "| Source sector count | 976773168 (as stated by the examiner) |",
        "| Write-blocker | Tableau T35u, serial 000ECC00FF12 (as stated by the examiner) |",
    ] {
        assert!(md.contains(row), "no {row:?} in\n{md}");
    }
    let html = report(&case, "html");
    assert!(html.contains("S3Z9NB0K123456X (as stated by the examiner)"));
    assert!(html.contains("provenance, as recorded by acquisition entry 1"));

    // "none" is a statement too; a blank value or an unknown kind is not.
    let ev2 = evidence(dir.path(), "ev2");
    expect_code(
        &acquire(&case, "EXH-2", &["--write-blocker", "none"], &[&ev2]),
        0,
    );
    assert_eq!(
        acquisition(&case, "EXH-2")["source_device"],
        serde_json::json!({"write_blocker": {"value": "none", "origin": "stated"}})
    );
    let lines_before = std::fs::read_to_string(ledger_of(&case)).unwrap();
    for bad in [
        &["--serial", " "][..],
        &["--source-kind", "usb-stick"],
        &["--write-blocker", ":1"],
        &["--sector-size", "0"],
    ] {
        let out = acquire(&case, "EXH-3", bad, &[&ev2]);
        expect_code(&out, 2);
    }
    assert_eq!(
        std::fs::read_to_string(ledger_of(&case)).unwrap(),
        lines_before,
        "a refused acquisition appends nothing"
    );
    // Nothing stated, nothing read: no record at all, "not stated" shown.
    let ev3 = evidence(dir.path(), "ev3");
    expect_code(&acquire(&case, "EXH-3", &[], &[&ev3]), 0);
    assert!(acquisition(&case, "EXH-3").get("source_device").is_none());
    let md = report(&case, "md");
    assert!(md.contains("| Source serial | not stated |"), "{md}");
}

// ---------------------------------------------------------------------------
// E01 header values
// ---------------------------------------------------------------------------

#[test]
fn e01_header_values_are_recorded_as_found_with_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let img = fixture_e01(dir.path(), "disk.E01");
    let out = acquire_in(
        dir.path(),
        &case,
        "IMG-1",
        &["--source-kind", "physical-disk"],
        &[Path::new("disk.E01")],
        &[],
    );
    expect_code(&out, 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("    notes: custodian test fixture"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "acquired: \"2026 11 25 18 13 41\" (header m) = 2026-11-25T18:13:41, zone unknown"
        ),
        "{stdout}"
    );
    let body = acquisition(&case, "IMG-1");
    let d = &body["source_device"];
    assert_eq!(
        d["sector_size"],
        serde_json::json!({"value": 512, "origin": "header", "header_source": "EWF volume section of disk.E01"})
    );
    assert_eq!(d["sector_count"]["value"], 256);
    assert_eq!(d["sector_count"]["origin"], "header");
    assert_eq!(d["kind"]["origin"], "stated");
    // The fixture's header2 leaves model and serial empty: not stated.
    assert!(d.get("serial").is_none() && d.get("model").is_none(), "{d}");
    let i = &d["imaging"];
    assert_eq!(i["source"], "EWF header of disk.E01");
    // The date exactly as the header section stores it, with no zone, and
    // header2's POSIX time, which is UTC.
    assert_eq!(
        i["acquired"][0],
        serde_json::json!({"field": "header m", "raw": "2026 11 25 18 13 41",
                           "rfc3339": "2026-11-25T18:13:41", "zone": "unknown"})
    );
    assert_eq!(i["acquired"][1]["field"], "header2 m");
    assert_eq!(i["acquired"][1]["zone"], "UTC");
    for (k, want) in [
        ("notes", "custodian test fixture"),
        ("examiner", "J. Doe"),
        ("case_number", "CASE-0042"),
        ("evidence_number", "EXH-001"),
        ("description", "USB stick fixture"),
        ("tool_version", "20140813"),
        ("tool_os", "Linux"),
    ] {
        assert_eq!(i[k], want, "{k}: {i}");
    }
    assert_eq!(i["hashes"]["md5"], "ea1191b1a124f0b5289144bb923d5234");
    assert_eq!(body["ewf"][0]["notes"], "custodian test fixture");
    assert_eq!(body["ewf"][0]["acquisition_date"], "2026 11 25 18 13 41");

    let md = report(&case, "md");
    assert!(
        md.contains(
            "| Source sector size | 512 (as stated in the EWF volume section of disk.E01) |"
        ),
        "{md}"
    );
    assert!(md.contains("zone unknown (the record states none)"), "{md}");
    assert!(md.contains("notes custodian test fixture"), "{md}");
    let show = custodian()
        .arg("show")
        .arg(&case)
        .args(["--exhibit", "IMG-1"])
        .output()
        .unwrap();
    expect_code(&show, 0);
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(text.contains("    notes: custodian test fixture"), "{text}");
    assert!(text.contains("zone unknown"), "{text}");
    drop(img);
}

#[test]
fn a_stated_value_that_disagrees_with_the_header_is_kept_beside_it_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let img = fixture_e01(dir.path(), "disk.E01");
    // The device's model and serial as an EnCase imager writes them in
    // header2 (notes and description shortened to make room in place).
    set_header2(
        &img,
        &[
            ("md", "SSD 860"),
            ("sn", "S3Z9NB0K123"),
            ("a", "USB"),
            ("t", "n"),
        ],
    );
    if have("ewfinfo") {
        // libewf reads the same values from the same bytes.
        let info = std::process::Command::new("ewfinfo")
            .arg(&img)
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("Serial number:\t\tS3Z9NB0K123"), "{info}");
        assert!(info.contains("Model:\t\t\tSSD 860"), "{info}");
    }
    let out = acquire_in(
        dir.path(),
        &case,
        "IMG-1",
        &[
            "--serial",
            "S3Z9NB0K999",
            "--model",
            "SSD 860",
            "--sector-count",
            "999",
        ],
        &[Path::new("disk.E01")],
        &[],
    );
    expect_code(&out, 0);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("custodian: warning: exhibit IMG-1: serial: the examiner stated \"S3Z9NB0K999\", but \"S3Z9NB0K123\" is as stated in the EWF header2 section of disk.E01; both are recorded"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sector count: the examiner stated \"999\", but \"256\" is as stated in the EWF volume section of disk.E01"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        2,
        "the agreeing model is no warning: {stderr}"
    );
    let d = &acquisition(&case, "IMG-1")["source_device"];
    assert_eq!(
        d["serial"],
        serde_json::json!({"value": "S3Z9NB0K123", "origin": "header",
                           "header_source": "EWF header2 section of disk.E01",
                           "stated": "S3Z9NB0K999"})
    );
    assert_eq!(
        d["model"],
        serde_json::json!({"value": "SSD 860", "origin": "header",
                           "header_source": "EWF header2 section of disk.E01"})
    );
    assert_eq!(d["sector_count"]["stated"], 999);
    let md = report(&case, "md");
    assert!(
        md.contains("| Source serial | S3Z9NB0K123 (as stated in the EWF header2 section of disk.E01); the examiner stated S3Z9NB0K999, which differs |"),
        "{md}"
    );
    let html = report(&case, "html");
    assert!(
        html.contains("<td class=\"warn\">S3Z9NB0K123 (as stated in the EWF header2 section of disk.E01); the examiner stated S3Z9NB0K999, which differs</td>"),
        "{html}"
    );
    // ewf-verify prints them, with the check's start and end times.
    let out = custodian().arg("ewf-verify").arg(&img).output().unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("device serial:    S3Z9NB0K123"), "{text}");
    assert!(text.contains("notes:            n\n"), "{text}");
    for label in ["check started:    ", "check completed:  "] {
        let line = text.lines().find(|l| l.starts_with(label)).unwrap();
        custodian::time::parse(&line[label.len()..]).unwrap();
    }
    let out = custodian()
        .args(["ewf-verify", "--json"])
        .arg(&img)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (s, f) = (
        custodian::time::parse(v["started"].as_str().unwrap()).unwrap(),
        custodian::time::parse(v["finished"].as_str().unwrap()).unwrap(),
    );
    assert!(s <= f);
    assert_eq!(v["header"]["header2"]["sn"], "S3Z9NB0K123");
    assert!(
        v["header"]["header2"].get("p").is_none(),
        "no password hash: {v}"
    );
}

#[test]
fn several_e01_images_are_not_merged_into_one_device() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let a = fixture_e01(dir.path(), "a.E01");
    let b = fixture_e01(dir.path(), "b.E01");
    let out = acquire(&case, "IMG-2", &["--serial", "X1"], &[&a, &b]);
    expect_code(&out, 0);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("2 E01 images in one exhibit: their header values"),
        "{stderr}"
    );
    let body = acquisition(&case, "IMG-2");
    assert_eq!(
        body["source_device"],
        serde_json::json!({"serial": {"value": "X1", "origin": "stated"}})
    );
    for i in 0..2 {
        assert_eq!(body["ewf"][i]["notes"], "custodian test fixture");
    }
}

// ---------------------------------------------------------------------------
// Clock, host, absolute roots
// ---------------------------------------------------------------------------

/// A folder holding an executable `chronyc` running `script` (sh).
fn fake_chronyc(dir: &Path, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let p = bin.join("chronyc");
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_clock_is_recorded_as_the_system_reports_it_and_never_invented() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let ev = evidence(dir.path(), "ev");
    let cwd = root();

    // Whatever this machine has: a method, and a verdict only with one.
    expect_code(&acquire(&case, "EXH-1", &[], &[&ev]), 0);
    let c = &acquisition(&case, "EXH-1")["clock"];
    let method = c["method"].as_str().unwrap();
    assert!(
        ["chronyc tracking", "timedatectl", "adjtimex", "none"].contains(&method),
        "{c}"
    );
    assert_eq!(c["synchronised"].is_null(), method == "none", "{c}");

    // A machine with none of the probes: not known, said so, and shown so.
    let out = acquire_in(
        &cwd,
        &case,
        "EXH-2",
        &[],
        &[&ev],
        &[("CUSTODIAN_CLOCK_PROBE", "off")],
    );
    expect_code(&out, 0);
    let c = &acquisition(&case, "EXH-2")["clock"];
    assert_eq!(c["synchronised"], Value::Null);
    assert_eq!(c["method"], "none");
    assert!(
        c.get("source").is_none() && c.get("offset_ms").is_none(),
        "{c}"
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("  clock: clock synchronisation not known: CUSTODIAN_CLOCK_PROBE=off"));
    let r = report_json(&case);
    let x = r["exhibits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "EXH-2")
        .unwrap();
    assert_eq!(x["provenance"]["clock"]["synchronised"], Value::Null);
    let md = report(&case, "md");
    assert!(
        md.contains("| Clock at acquisition | clock synchronisation not known: CUSTODIAN\\_CLOCK\\_PROBE=off"),
        "{md}"
    );

    // chrony's own words: synchronised, to what, and by how much.
    let bin = fake_chronyc(
        dir.path(),
        "[ \"$1\" = -n ] && [ \"$2\" = tracking ] || exit 3\n\
         echo 'Reference ID    : C0000201 (192.0.2.1)'\n\
         echo 'System time     : 0.001600000 seconds fast of NTP time'\n\
         echo 'Leap status     : Normal'",
    );
    let path = path_with(&bin);
    let env = [
        ("CUSTODIAN_CLOCK_PROBE", "chronyc"),
        ("PATH", path.as_str()),
    ];
    expect_code(&acquire_in(&cwd, &case, "EXH-3", &[], &[&ev], &env), 0);
    assert_eq!(
        acquisition(&case, "EXH-3")["clock"],
        serde_json::json!({"synchronised": true, "source": "192.0.2.1", "offset_ms": 2,
                           "method": "chronyc tracking", "detail": "leap status Normal"})
    );

    // A probe that hangs is stopped: the acquisition goes on, the clock
    // is not known, and the time it cost is bounded.
    let bin = fake_chronyc(&dir.path().join("hang"), "sleep 60");
    let path = path_with(&bin);
    let env = [
        ("CUSTODIAN_CLOCK_PROBE", "chronyc"),
        ("PATH", path.as_str()),
    ];
    let t = Instant::now();
    expect_code(&acquire_in(&cwd, &case, "EXH-4", &[], &[&ev], &env), 0);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    let c = &acquisition(&case, "EXH-4")["clock"];
    assert_eq!(c["synchronised"], Value::Null, "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("chronyc: no answer within 2 s"),
        "{c}"
    );
}

#[test]
fn the_host_system_and_the_absolute_roots_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    evidence(dir.path(), "ev");
    // Given relative, from the folder above it.
    let out = acquire_in(dir.path(), &case, "EXH-1", &[], &[Path::new("ev")], &[]);
    expect_code(&out, 0);
    let body = acquisition(&case, "EXH-1");
    assert_eq!(body["roots"], serde_json::json!(["ev"]));
    let h = &body["host_system"];
    assert_eq!(h["name"], body["host"]);
    assert!(!h["kernel"].as_str().unwrap().is_empty(), "{h}");
    let abs = dir.path().canonicalize().unwrap().join("ev");
    let manifest = std::fs::read_to_string(case.join("manifests/EXH-1.jsonl")).unwrap();
    let header: Value = serde_json::from_str(manifest.lines().next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(
        header["roots"],
        serde_json::json!([{"path": "ev", "abs": abs.to_str().unwrap()}])
    );
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 0, "{v}");
    let r = report_json(&case);
    assert_eq!(
        r["exhibits"][0]["provenance"]["roots_absolute"],
        serde_json::json!([abs.to_str().unwrap()])
    );
    assert_eq!(r["exhibits"][0]["provenance"]["host_system"], *h);
    let md = report(&case, "md");
    assert!(
        md.contains(&format!("| Absolute paths acquired | {} |", abs.display())),
        "{md}"
    );
    // `hash` writes version-1 manifests, as before: only acquisitions
    // record where their roots were.
    let out = custodian()
        .args(["hash", "--format", "json", "-q"])
        .arg(dir.path().join("ev/notes.txt"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let first = String::from_utf8(out.stdout).unwrap();
    assert!(
        first.lines().next().unwrap().ends_with("\"version\":1}"),
        "{first}"
    );
}

#[test]
fn a_redacted_package_holds_no_component_of_the_absolute_roots() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let parent = dir.path().join("sigma-parent-secret");
    let ev = evidence(&parent, "omega-root-secret");
    // `.` from inside the evidence: the entry's roots name nothing.
    let out = acquire_in(
        &ev,
        &case,
        "EXH-1",
        &["--authority", WARRANT],
        &[Path::new(".")],
        &[],
    );
    expect_code(&out, 0);
    let tmp_name = dir
        .path()
        .canonicalize()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let names = [
        tmp_name.as_str(),
        "sigma-parent-secret",
        "omega-root-secret",
    ];
    // The home manifest holds them: the search below is not vacuous.
    let home = std::fs::read(case.join("manifests/EXH-1.jsonl")).unwrap();
    for n in names {
        assert!(contains(&home, n), "home manifest lacks {n}");
    }
    let pkg = dir.path().join("pkg");
    let out = custodian()
        .arg("package")
        .arg(&case)
        .args(["--exhibit", "EXH-1", "--for", "Defence"])
        .args(["--authority", WARRANT, "--redact-paths", "--out"])
        .arg(&pkg)
        .arg("--key")
        .arg(key_path(LEAD))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let files = files_of(&pkg);
    assert!(files.iter().any(|(f, _)| f.starts_with("manifests/")));
    for (file, bytes) in &files {
        for n in names {
            assert!(!contains(bytes, n), "{file} holds {n:?}");
        }
    }
    let out = custodian()
        .arg("verify-package")
        .arg(&pkg)
        .args(["--trust", key(LEAD).fingerprint().as_str()])
        .output()
        .unwrap();
    expect_code(&out, 0);
}

// ---------------------------------------------------------------------------
// Entries written before provenance
// ---------------------------------------------------------------------------

/// Turns the acquisition (entry 1, the last) of `case` into what an older
/// custodian wrote: no source-device record, clock or host system in the
/// entry, a version-1 manifest without absolute roots; the manifest's
/// digest and the signature are made anew, as that writer made them.
fn as_written_before_provenance(case: &Path, id: &str) {
    let mpath = case.join(format!("manifests/{id}.jsonl"));
    let text = std::fs::read_to_string(&mpath).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["version"] = 1.into();
    for r in header["roots"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("abs");
    }
    lines[0] = String::from_utf8(custodian::ledger::canonical(&header)).unwrap();
    let manifest = lines.join("\n") + "\n";
    std::fs::write(&mpath, &manifest).unwrap();
    let mut ledger = split_lines(&std::fs::read(ledger_of(case)).unwrap());
    let last = ledger.len() - 1;
    let line = edit_json(&ledger[last], |e| {
        let b = e["body"].as_object_mut().unwrap();
        for m in ["source_device", "clock", "host_system"] {
            assert!(b.remove(m).is_some() || m == "source_device");
        }
        b["manifest"]["sha256"] = sha256_hex(manifest.as_bytes()).into();
        b["manifest"]["bytes"] = manifest.len().into();
    });
    ledger[last] = line;
    rechain(&mut ledger, last);
    std::fs::write(ledger_of(case), join_lines(&ledger)).unwrap();
}

#[test]
fn acquisitions_written_before_provenance_verify_and_read_not_stated() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let ev = evidence(dir.path(), "ev");
    expect_code(&acquire(&case, "EXH-1", &[], &[&ev]), 0);
    as_written_before_provenance(&case, "EXH-1");
    let body = acquisition(&case, "EXH-1");
    for m in ["source_device", "clock", "host_system"] {
        assert!(body.get(m).is_none(), "{m}: {body}");
    }
    let (code, v) = verify_json(&case, &["--trust", key(LEAD).fingerprint().as_str()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["problems"], serde_json::json!([]));

    let r = report_json(&case);
    let p = &r["exhibits"][0]["provenance"];
    for m in ["source_device", "host_system", "roots_absolute", "clock"] {
        assert_eq!(p[m], Value::Null, "{m}: {p}");
    }
    let md = report(&case, "md");
    for row in [
        "| Source kind | not stated |",
        "| Source serial | not stated |",
        "| Write-blocker | not stated |",
        "| Absolute paths acquired | not stated (the manifest records the paths as given only) |",
        "| Clock at acquisition | not stated |",
        "operating system and kernel not stated |",
    ] {
        assert!(md.contains(row), "no {row:?} in\n{md}");
    }
    let html = report(&case, "html");
    assert!(
        html.contains("<th scope=\"row\">Clock at acquisition</th><td>not stated</td>"),
        "{html}"
    );
    let out = custodian()
        .arg("show")
        .arg(&case)
        .args(["--exhibit", "EXH-1"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "  clock: not stated",
        "  absolute paths: not stated",
        "    kind: not stated",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // The committed version-1 custody vectors hold acquisitions written by
    // custodian 0.1.0: their bodies still parse, with nothing recorded.
    let vectors = root().join("fixtures/vectors/custody");
    let mut seen = 0;
    for f in std::fs::read_dir(vectors).unwrap() {
        let path = f.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        // (Vector files also hold comment lines and deliberately bad
        // bodies: only well-formed acquisitions are counted.)
        for line in text.lines().filter(|l| l.contains("\"exhibit.acquire\"")) {
            let Ok(e) = serde_json::from_str::<custodian::ledger::Entry>(line) else {
                continue;
            };
            if let Ok(custodian::ledger::Body::ExhibitAcquire(a)) =
                custodian::ledger::Body::parse(&e.kind, &e.body)
            {
                assert!(a.source_device.is_none() && a.clock.is_none());
                assert!(a.host_system.is_none());
                seen += 1;
            }
        }
    }
    assert!(seen > 10, "{seen}");
}

// ---------------------------------------------------------------------------
// CASE/UCO
// ---------------------------------------------------------------------------

#[test]
fn case_uco_maps_the_source_device_write_blocker_and_host() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let img = fixture_e01(dir.path(), "disk.E01");
    set_header2(&img, &[("sn", "S3Z9NB0K123"), ("a", "U"), ("t", "n")]);
    let out = acquire(
        &case,
        "IMG-1",
        &[
            "--source-kind",
            "physical-disk",
            "--make",
            "Samsung",
            "--write-blocker",
            "Tableau T35u:000ECC",
        ],
        &[&img],
    );
    expect_code(&out, 0);
    let j = dir.path().join("case.jsonld");
    let out = custodian()
        .args(["export", "case-uco"])
        .arg(&case)
        .arg("-o")
        .arg(&j)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let doc: Value = serde_json::from_slice(&std::fs::read(&j).unwrap()).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    let by_id = |id: &Value| graph.iter().find(|n| n["@id"] == *id).unwrap();
    let typed = |t: &str| -> Vec<&Value> { graph.iter().filter(|n| n["@type"] == t).collect() };
    let action = typed("case-investigation:InvestigativeAction")
        .into_iter()
        .find(|a| a["uco-core:name"] == "exhibit.acquire")
        .unwrap();
    let device = by_id(&action["uco-action:object"][0]["@id"]);
    assert_eq!(device["@type"], "uco-observable:Device");
    let desc = device["uco-core:description"].as_str().unwrap();
    assert!(
        desc.contains("serial S3Z9NB0K123 (as stated in the EWF header2 section of"),
        "{desc}"
    );
    assert!(
        desc.contains("make Samsung (as stated by the examiner)"),
        "{desc}"
    );
    let facets: Vec<&Value> = device["uco-core:hasFacet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| by_id(&f["@id"]))
        .collect();
    let df = facets
        .iter()
        .find(|f| f["@type"] == "uco-observable:DeviceFacet")
        .unwrap();
    assert_eq!(df["uco-observable:serialNumber"], "S3Z9NB0K123");
    assert_eq!(df["uco-observable:deviceType"], "physical-disk");
    assert_eq!(
        by_id(&df["uco-observable:manufacturer"]["@id"])["uco-core:name"],
        "Samsung"
    );
    let medium = facets
        .iter()
        .find(|f| f["@type"] == "uco-observable:StorageMediumFacet")
        .unwrap();
    assert_eq!(
        medium["uco-observable:totalStorageCapacityInBytes"]["@value"],
        131072
    );
    let blocker = action["uco-action:instrument"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| by_id(&i["@id"]))
        .find(|n| n["@type"] == "uco-observable:WriteBlocker")
        .unwrap();
    assert_eq!(blocker["uco-core:name"], "Tableau T35u");
    let host = by_id(&action["uco-action:environment"]["@id"]);
    assert_eq!(host["@type"], "uco-observable:Computer");
    if let Some(cv) = std::env::var("CASE_VALIDATE")
        .ok()
        .or_else(|| have_on_path("case_validate").then(|| "case_validate".to_string()))
    {
        let out = std::process::Command::new(&cv)
            .args(["--built-version", "case-1.4.0"])
            .arg(&j)
            .output()
            .unwrap_or_else(|e| panic!("{cv}: {e}"));
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "case_validate:\n{report}");
        assert!(
            report.contains("Conforms: True") && !report.contains("Severity"),
            "{report}"
        );
    }
}

fn have_on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// A record whose origins break the rules (a header value that names no
/// header) is not a body custodian writes: `bad-body`, named by entry.
#[test]
fn a_source_device_that_breaks_the_origin_rules_is_a_bad_body() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let ev = evidence(dir.path(), "ev");
    expect_code(&acquire(&case, "EXH-1", &["--serial", "S1"], &[&ev]), 0);
    let mut ledger = split_lines(&std::fs::read(ledger_of(&case)).unwrap());
    ledger[1] = edit_json(&ledger[1], |e| {
        e["body"]["source_device"]["serial"]["origin"] = "header".into();
    });
    rechain(&mut ledger, 1);
    std::fs::write(ledger_of(&case), join_lines(&ledger)).unwrap();
    let (code, v) = verify_json(&case, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(errors(&v), vec![("bad-body".to_string(), Some(1))], "{v}");
    // The independent verifier, written from the spec, agrees.
    let (code, v) = python_verify(&case);
    assert_eq!(code, 1, "{v}");
    let codes: Vec<(&str, u64)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| {
            (
                p["code"].as_str().unwrap(),
                p["entry"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    assert_eq!(codes, vec![("bad-body", 1)], "{v}");
}

/// `contrib/verify-ledger.py CASE/ledger.jsonl --json`: exit code and
/// output.
fn python_verify(case: &Path) -> (i32, Value) {
    let out = std::process::Command::new("python3")
        .arg(root().join("contrib/verify-ledger.py"))
        .arg(ledger_of(case))
        .arg("--json")
        .output()
        .expect("python3 runs (CI installs it)");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), v)
}

/// Every member this version writes passes the independent verifier too.
#[test]
fn the_independent_verifier_accepts_every_provenance_member() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let img = fixture_e01(dir.path(), "disk.E01");
    set_header2(&img, &[("sn", "S3Z9NB0K123"), ("a", "U"), ("t", "n")]);
    let out = acquire(
        &case,
        "IMG-1",
        &[
            "--source-kind",
            "physical-disk",
            "--make",
            "Samsung",
            "--serial",
            "OTHER",
            "--write-blocker",
            "none",
        ],
        &[&img],
    );
    expect_code(&out, 0);
    let body = acquisition(&case, "IMG-1");
    assert!(
        body["source_device"]["serial"]["stated"].is_string(),
        "{body}"
    );
    let (code, v) = python_verify(&case);
    assert_eq!(code, 0, "{v}");
}

/// An image header is written by whoever made the image: escape sequences
/// and bidi overrides in it reach neither the terminal (escaped in
/// `acquire`, `show` and `ewf-verify` text) nor change the signed value.
#[test]
fn hostile_header_text_is_escaped_on_the_terminal_and_signed_as_found() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(dir.path());
    let img = fixture_e01(dir.path(), "disk.E01");
    let hostile = "S1\u{1b}[2J\u{202e}exe.txt";
    set_header2(&img, &[("sn", hostile), ("a", "U"), ("t", "n")]);
    let out = acquire(&case, "IMG-1", &["--serial", "S2"], &[&img]);
    expect_code(&out, 0);
    let show = custodian()
        .arg("show")
        .arg(&case)
        .args(["--exhibit", "IMG-1"])
        .output()
        .unwrap();
    let verify = custodian().arg("ewf-verify").arg(&img).output().unwrap();
    for (what, bytes) in [
        ("acquire stdout", &out.stdout),
        ("acquire stderr", &out.stderr),
        ("show", &show.stdout),
        ("ewf-verify", &verify.stdout),
    ] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{what}: {text:?}"
        );
        assert!(
            text.contains("S1\\u{1b}[2J\\u{202e}exe.txt"),
            "{what}: {text}"
        );
    }
    assert_eq!(
        acquisition(&case, "IMG-1")["source_device"]["serial"]["value"],
        hostile
    );
}
