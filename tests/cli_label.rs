//! End-to-end tests of exhibit and bag labels (`custodian label`) and of
//! checking their references (`custodian verify --label`), through the real
//! binary (docs/spec/label.md, docs/guide/labels.md).
//!
//! The QR codes are read back with `zbarimg` (zbar-tools) and must hold
//! exactly the text custodian prints and checks; PDFs are read with
//! `pdftotext` (poppler-utils) and checked with `qpdf --check`. Those tools
//! are installed by `.ci/run`: in CI (`CI` set) a missing one fails the
//! test; elsewhere the test says it skipped that part.
//!
//! The tests that only check references (no typesetting) also run in a
//! build without the `pdf` feature.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

/// A case id with '/', a space and ':', which a reference escapes.
const CASE_ID: &str = "FR/LYON 2026:0042";
/// Its written form in a reference.
const CASE_FIELD: &str = "FR/LYON%202026%3A0042";
const BAG: &str = "BAG 17/A";
const BAG_FIELD: &str = "BAG%2017/A";
const LONG_DESCRIPTION: &str = "Dell Latitude 7440 laptop, serial 7H2K9Q3, seized from the desk \
    in the study at rue X, powered off, battery removed on site, with its charger and a \
    sticker reading 'backup 2025'";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A case opened under a warrant with the lead key, exhibits EXH-LAPTOP
/// (a long description) and EXH-USB sealed together under [`BAG`], and
/// EXH-PHONE (no description) not sealed.
fn sealed_case() -> TestCase {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case");
    custodian()
        .arg("init")
        .arg(&path)
        .args(["--case-id", CASE_ID, "--title", "Seized laptop"])
        .args(["--authority", "Warrant 26/1187"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    acquire(
        &path,
        "EXH-LAPTOP",
        Some(LONG_DESCRIPTION),
        "fixtures/sample/laptop",
    );
    acquire(
        &path,
        "EXH-USB",
        Some("USB stick found in the laptop bag"),
        "fixtures/sample/usb-stick",
    );
    acquire(&path, "EXH-PHONE", None, "fixtures/sample/README.txt");
    let out = custodian()
        .args(["custody", "seal"])
        .arg(&path)
        .args([
            "--exhibit",
            "EXH-LAPTOP",
            "--exhibit",
            "EXH-USB",
            "--seal",
            BAG,
        ])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    TestCase { dir, path }
}

fn acquire(case: &Path, id: &str, description: Option<&str>, evidence: &str) {
    let mut c = custodian();
    c.arg("acquire")
        .arg(case)
        .arg(format!("--exhibit={id}"))
        .arg("-q");
    if let Some(d) = description {
        c.args(["--description", d]);
    }
    let out = c
        .arg("--key")
        .arg(key_path("lead"))
        .arg(evidence)
        .output()
        .unwrap();
    expect_code(&out, 0);
}

/// The hash of the first ledger entry of type `kind` whose body's
/// `member` is `value`, as the first 32 hex digits a reference holds.
fn hash_prefix(case: &Path, kind: &str, member: &str, value: &str) -> String {
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    for line in split_lines(&bytes) {
        let e = parse_entry(&line);
        if e.kind == kind && e.body[member] == value {
            return custodian::ledger::entry_hash(&line).to_hex()[..32].to_string();
        }
    }
    panic!("no {kind} entry with {member} {value}");
}

/// The reference of the laptop's exhibit label, composed by hand from
/// docs/spec/label.md §2.
fn laptop_reference(case: &Path) -> String {
    format!(
        "custodian:x1:{CASE_FIELD}:EXH-LAPTOP:{}",
        hash_prefix(case, "exhibit.acquire", "exhibit", "EXH-LAPTOP")
    )
}

/// The reference of the bag label of [`BAG`].
fn bag_reference(case: &Path) -> String {
    format!(
        "custodian:b1:{CASE_FIELD}:{BAG_FIELD}:{}:EXH-LAPTOP,EXH-USB",
        hash_prefix(case, "custody.seal", "seal", BAG)
    )
}

/// Runs `custodian label CASE ARGS…`.
fn label(case: &Path, args: &[&str]) -> Output {
    custodian()
        .arg("label")
        .arg(case)
        .args(args)
        .output()
        .unwrap()
}

/// `custodian verify CASE --label REFERENCE` (human output).
fn verify_label(case: &Path, reference: &str) -> Output {
    custodian()
        .arg("verify")
        .arg(case)
        .args(["--label", reference])
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Asserts a usage error: exit 2, one line on stderr holding `want`,
/// nothing on stdout.
fn expect_usage_error(out: &Output, want: &str) {
    expect_code(out, 2);
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(want), "{want:?} in {err}");
    assert!(out.stdout.is_empty(), "{}", stdout(out));
}

/// The path of an external tool, or `None` (saying so) when it is not
/// installed outside CI; in CI (`CI` set) a missing tool fails the test.
#[cfg(feature = "pdf")]
fn tool(name: &str, package: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} ({package}) is required in CI: .ci/run installs it"
        );
        eprintln!("skipped: {name} is not installed (apt-get install {package})");
    }
    found
}

/// The texts of every QR code `zbarimg` finds in `image`, sorted.
#[cfg(feature = "pdf")]
fn decode_qr(zbarimg: &Path, image: &Path) -> Vec<String> {
    let out = std::process::Command::new(zbarimg)
        .args(["--raw", "-q"])
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zbarimg {}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut texts: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    texts.sort();
    texts
}

/// `verify --json --label REFERENCE`: exit code and the `label` member.
fn verify_label_json(case: &Path, reference: &str) -> (i32, Value) {
    let (code, v) = verify_json(case, &["--label", reference]);
    assert_eq!(
        v["result"],
        if code == 0 { "valid" } else { "invalid" },
        "{v}"
    );
    (code, v["label"].clone())
}

// ---------------------------------------------------------------------------
// Labels: rendering, QR codes, PDF
// ---------------------------------------------------------------------------

#[cfg(feature = "pdf")]
#[test]
fn an_exhibit_label_s_qr_code_holds_exactly_the_reference_custodian_checks() {
    let case = sealed_case();
    let png = case.tmp().join("laptop.png");
    let out = label(
        case.p(),
        &["--exhibit", "EXH-LAPTOP", "-o", png.to_str().unwrap()],
    );
    expect_code(&out, 0);
    let printed = stdout(&out);
    let reference = laptop_reference(case.p());
    assert_eq!(printed, format!("{reference}\n"));
    assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    // 62 mm at 300 ppi.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 732);
    let Some(zbarimg) = tool("zbarimg", "zbar-tools") else {
        return;
    };
    let decoded = decode_qr(&zbarimg, &png);
    assert_eq!(decoded, [reference.as_str()]);
    // What the QR code holds is what verify checks, and it is genuine.
    let out = verify_label(case.p(), &decoded[0]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("label:   GENUINE: it names exhibit EXH-LAPTOP"),
        "{text}"
    );
    assert!(text.contains("exhibit: EXH-LAPTOP"), "{text}");
    assert!(text.contains("sealed (seal \"BAG 17/A\")"), "{text}");
    assert!(text.contains("the label is genuine"), "{text}");
}

#[cfg(feature = "pdf")]
#[test]
fn bag_labels_and_a4_sheets_decode_to_the_printed_references() {
    let case = sealed_case();
    let Some(zbarimg) = tool("zbarimg", "zbar-tools") else {
        return;
    };
    let bag = case.tmp().join("bag.png");
    let out = label(
        case.p(),
        &["--bag", BAG, "--size", "4x6in", "-o", bag.to_str().unwrap()],
    );
    expect_code(&out, 0);
    let reference = bag_reference(case.p());
    assert_eq!(stdout(&out), format!("{reference}\n"));
    assert_eq!(decode_qr(&zbarimg, &bag), [reference.as_str()]);
    let (code, l) = verify_label_json(case.p(), &reference);
    assert_eq!(code, 0, "{l}");
    assert_eq!(l["verdict"], "genuine");
    assert_eq!(l["kind"], "bag");
    assert_eq!(l["seal"]["seal"], BAG);
    assert_eq!(l["exhibits"].as_array().unwrap().len(), 2);
    assert_eq!(l["exhibits"][0]["status"], "sealed");

    // Every label of the case on one A4 sheet (3 exhibits, 1 bag), read at
    // a lower resolution: every code on the page decodes.
    let sheet = case.tmp().join("sheet.png");
    let out = label(
        case.p(),
        &[
            "--all",
            "--size",
            "a4",
            "--ppi",
            "200",
            "-o",
            sheet.to_str().unwrap(),
        ],
    );
    expect_code(&out, 0);
    let mut printed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(printed.len(), 4, "{printed:?}");
    printed.sort();
    assert_eq!(decode_qr(&zbarimg, &sheet), printed);
    for r in &printed {
        expect_code(&verify_label(case.p(), r), 0);
    }
}

#[cfg(feature = "pdf")]
#[test]
fn several_png_pages_are_numbered_files() {
    let case = sealed_case();
    let out_path = case.tmp().join("tape.png");
    let out = label(
        case.p(),
        &[
            "--exhibit",
            "EXH-USB",
            "--bag",
            BAG,
            "-o",
            out_path.to_str().unwrap(),
        ],
    );
    expect_code(&out, 0);
    assert!(!out_path.exists());
    assert_eq!(stdout(&out).lines().count(), 2);
    for n in 1..=2 {
        let page = case.tmp().join(format!("tape-{n}.png"));
        assert!(std::fs::read(&page).unwrap().starts_with(b"\x89PNG"));
        if let Some(zbarimg) = tool("zbarimg", "zbar-tools") {
            let decoded = decode_qr(&zbarimg, &page);
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0], stdout(&out).lines().nth(n - 1).unwrap());
        }
    }
}

#[cfg(feature = "pdf")]
#[test]
fn a_pdf_label_sheet_holds_the_text_and_is_the_same_bytes_every_time() {
    let case = sealed_case();
    let a = case.tmp().join("a.pdf");
    let b = case.tmp().join("b.pdf");
    for p in [&a, &b] {
        let out = label(
            case.p(),
            &["--all", "--size", "a4", "-o", p.to_str().unwrap()],
        );
        expect_code(&out, 0);
    }
    let bytes = std::fs::read(&a).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(bytes, std::fs::read(&b).unwrap(), "same case, same bytes");
    // Another size is another document.
    let c = case.tmp().join("c.pdf");
    expect_code(
        &label(
            case.p(),
            &["--all", "--size", "62mm", "-o", c.to_str().unwrap()],
        ),
        0,
    );
    assert_ne!(bytes, std::fs::read(&c).unwrap());
    if let Some(qpdf) = tool("qpdf", "qpdf") {
        let out = std::process::Command::new(qpdf)
            .arg("--check")
            .arg(&a)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let Some(pdftotext) = tool("pdftotext", "poppler-utils") else {
        return;
    };
    let out = std::process::Command::new(pdftotext)
        .arg(&a)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        CASE_ID,
        "EXH-LAPTOP",
        "EXH-USB",
        "EXH-PHONE",
        BAG,
        "not stated",
        "not sealed",
        "EVIDENCE BAG",
        "the ledger holds the whole text",
    ] {
        assert!(text.contains(want), "{want:?} in the PDF's text:\n{text}");
    }
    // The long description is cut, with an ellipsis.
    assert!(text.contains('\u{2026}'), "{text}");
    assert!(!text.contains("backup 2025"), "{text}");
}

#[cfg(feature = "pdf")]
#[test]
fn svg_labels_are_svg() {
    let case = sealed_case();
    let svg = case.tmp().join("x.svg");
    let out = label(
        case.p(),
        &["--exhibit", "EXH-PHONE", "-o", svg.to_str().unwrap()],
    );
    expect_code(&out, 0);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..40.min(text.len())]);
    // --format wins over the extension.
    let other = case.tmp().join("x.out");
    let out = label(
        case.p(),
        &[
            "--exhibit",
            "EXH-PHONE",
            "--format",
            "svg",
            "-o",
            other.to_str().unwrap(),
        ],
    );
    expect_code(&out, 0);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), text);
}

#[cfg(feature = "pdf")]
#[test]
fn label_refusals_are_one_line() {
    let case = sealed_case();
    let out_path = case.tmp().join("x.pdf");
    let o = out_path.to_str().unwrap();
    expect_usage_error(&label(case.p(), &["-o", o]), "no label chosen");
    expect_usage_error(
        &label(case.p(), &["--exhibit", "EXH-NONE", "-o", o]),
        "the case has no exhibit EXH-NONE",
    );
    expect_usage_error(
        &label(case.p(), &["--bag", "BAG-NONE", "-o", o]),
        "the case has no seal \"BAG-NONE\"",
    );
    expect_usage_error(
        &label(case.p(), &["--all", "-o", "labels.txt"]),
        "give --format pdf, png or svg",
    );
    assert!(!out_path.exists());
}

#[cfg(feature = "pdf")]
#[test]
fn a_label_too_long_for_a_fixed_size_is_refused_and_the_tape_grows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case");
    let long_id = "CASE-".repeat(80);
    custodian()
        .arg("init")
        .arg(&path)
        .args(["--case-id", &long_id, "--title", "t", "--authority", "W"])
        .arg("--key")
        .arg(key_path("lead"))
        .assert()
        .code(0);
    acquire(&path, "EXH-1", None, "fixtures/sample/README.txt");
    let o = dir.path().join("x.pdf");
    let out = label(&path, &["--all", "--size", "a4", "-o", o.to_str().unwrap()]);
    expect_usage_error(
        &out,
        "label 1 (exhibit EXH-1) does not fit on a label of size a4",
    );
    assert!(!o.exists());
    let out = label(
        &path,
        &["--all", "--size", "62mm", "-o", o.to_str().unwrap()],
    );
    expect_code(&out, 0);
}

#[cfg(feature = "pdf")]
#[test]
fn a_stale_bag_label_fails_and_a_broken_seal_gets_no_new_bag_label() {
    let case = sealed_case();
    let reference = bag_reference(case.p());
    let out = custodian()
        .args(["custody", "unseal"])
        .arg(case.p())
        .args([
            "--exhibit",
            "EXH-USB",
            "--seal",
            BAG,
            "--reason",
            "examination",
        ])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let out = verify_label(case.p(), &reference);
    expect_code(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("label:   STALE:"), "{text}");
    assert!(text.contains("was broken at entry"), "{text}");
    assert!(
        text.contains("result:  NOT AS RECORDED: the label is stale"),
        "{text}"
    );
    let (code, l) = verify_label_json(case.p(), &reference);
    assert_eq!(code, 1);
    assert_eq!(l["verdict"], "stale");
    assert!(
        l["reasons"][0].as_str().unwrap().contains("was broken"),
        "{l}"
    );
    // The exhibit labels stay genuine: they name acquisitions.
    expect_code(&verify_label(case.p(), &laptop_reference(case.p())), 0);
    let o = case.tmp().join("bag.pdf");
    expect_usage_error(
        &label(case.p(), &["--bag", BAG, "-o", o.to_str().unwrap()]),
        "was broken at entry",
    );
}

#[cfg(feature = "pdf")]
#[test]
fn no_label_is_made_from_a_ledger_that_does_not_verify() {
    let case = sealed_case();
    tamper(case.p());
    let o = case.tmp().join("x.pdf");
    let out = label(case.p(), &["--all", "-o", o.to_str().unwrap()]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("the ledger does not verify"),
        "{}",
        stderr(&out)
    );
    assert!(!o.exists());
}

// ---------------------------------------------------------------------------
// verify --label (no typesetting needed)
// ---------------------------------------------------------------------------

/// Changes the laptop's description in its acquisition entry without
/// re-signing it: the ledger no longer verifies.
fn tamper(case: &Path) {
    let bytes = std::fs::read(ledger_of(case)).unwrap();
    let mut lines = split_lines(&bytes);
    for line in &mut lines {
        if parse_entry(line).body["exhibit"] == "EXH-LAPTOP" {
            *line = edit_json(line, |v| {
                v["body"]["description"] = "a different laptop".into()
            });
            break;
        }
    }
    std::fs::write(ledger_of(case), join_lines(&lines)).unwrap();
}

#[test]
fn references_that_do_not_match_the_ledger_fail_with_exit_1() {
    let case = sealed_case();
    let good = laptop_reference(case.p());
    let (code, l) = verify_label_json(case.p(), &good);
    assert_eq!((code, l["verdict"].as_str()), (0, Some("genuine")), "{l}");
    assert_eq!(l["reference"], good.as_str());
    assert_eq!(l["exhibits"][0]["description"], LONG_DESCRIPTION);
    assert_eq!(
        l["exhibits"][0]["acquisition_hash"].as_str().unwrap()[..32],
        good[good.len() - 32..]
    );

    // One hex digit of the hash changed.
    let mut wrong = good.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    // Another case's id; an exhibit the case does not have; the USB's hash
    // under the laptop's id.
    let other_case = good.replace(CASE_FIELD, "FR-LYON-2026-0043");
    let no_exhibit = good.replace("EXH-LAPTOP", "EXH-TABLET");
    let usb_hash = good.replace(
        &good[good.len() - 32..],
        &hash_prefix(case.p(), "exhibit.acquire", "exhibit", "EXH-USB"),
    );
    // A bag reference cut after its first exhibit still reads, and lists
    // fewer exhibits than the seal covers.
    let bag = bag_reference(case.p());
    let cut_bag = bag.trim_end_matches(",EXH-USB").to_string();
    for (reference, want) in [
        (&wrong, "names no entry of this ledger"),
        (&other_case, "the label names case \"FR-LYON-2026-0043\""),
        (&no_exhibit, "the case has no exhibit EXH-TABLET"),
        (&usb_hash, "(exhibit.acquire)"),
        (
            &cut_bag,
            "the label lists EXH-LAPTOP; seal \"BAG 17/A\" was applied to EXH-LAPTOP, EXH-USB",
        ),
    ] {
        let out = verify_label(case.p(), reference);
        expect_code(&out, 1);
        let text = stdout(&out);
        assert!(text.contains("label:   MISMATCH: "), "{reference}: {text}");
        assert!(text.contains(want), "{reference}: {want:?} in {text}");
        assert!(
            text.contains("result:  NOT AS RECORDED: the label does not match the ledger"),
            "{text}"
        );
        let (code, l) = verify_label_json(case.p(), reference);
        assert_eq!(code, 1);
        assert_eq!(l["verdict"], "mismatch", "{l}");
        assert!(l["reason"].as_str().unwrap().contains(want), "{l}");
    }
    // Another case's label lists none of this case's exhibits.
    let (_, l) = verify_label_json(case.p(), &other_case);
    assert_eq!(l["exhibits"], serde_json::json!([]));
}

#[test]
fn malformed_references_are_usage_errors_in_one_line() {
    let case = sealed_case();
    let good = laptop_reference(case.p());
    // Cut inside the hash: fewer than 128 bits is not a reference.
    let cut = &good[..good.len() - 1];
    for (reference, want) in [
        (cut, "is not 32 to 64 lowercase hex digits"),
        ("custodian:x1:foo", "an exhibit reference has 5 fields"),
        (
            "https://example.org/EXH-1",
            "does not start with \"custodian:\"",
        ),
        (
            &good.replace("custodian:x1", "custodian:x9"),
            "unknown reference kind \"x9\"",
        ),
        (&good.replace("%20", " "), "not allowed"),
        ("", "the reference is empty"),
    ] {
        let out = verify_label(case.p(), reference);
        expect_usage_error(&out, "--label: not a label reference: ");
        assert!(
            stderr(&out).contains(want),
            "{reference:?}: {want:?} in {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_label_is_not_checked_against_a_ledger_that_does_not_verify() {
    let case = sealed_case();
    let reference = laptop_reference(case.p());
    tamper(case.p());
    let out = verify_label(case.p(), &reference);
    expect_code(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("label:   NOT CHECKED: the ledger is not as recorded"),
        "{text}"
    );
    assert!(text.contains("result:  NOT AS RECORDED"), "{text}");
    let (code, l) = verify_label_json(case.p(), &reference);
    assert_eq!(code, 1);
    assert_eq!(l["verdict"], "not-checked");
    assert_eq!(l["reference"], reference.as_str());
}

/// The worked examples of docs/spec/label.md §2.4 and §3.4, checked against
/// the committed custody case they were computed from.
#[test]
fn the_worked_examples_of_the_spec_hold_against_the_committed_case() {
    let case = root().join("fixtures/custody-case");
    for (reference, code, verdict) in [
        (
            "custodian:x1:FR-LYON-2026-0117:EXH-LAPTOP:82d448c6bcc07cd6cb7bfbe30eb7b76f",
            0,
            "genuine",
        ),
        (
            "custodian:b1:FR-LYON-2026-0117:BAG-0018:9c2d3ae23edf49f9c522e7d32ca544b3:EXH-LAPTOP",
            0,
            "genuine",
        ),
        (
            "custodian:b1:FR-LYON-2026-0117:BAG-0017:b1f1e75f99b4889a87dedcd29ea4795d:EXH-LAPTOP,EXH-USB",
            1,
            "stale",
        ),
        (
            "custodian:x1:FR-LYON-2026-0117:EXH-LAPTOP:60ccbbc34f4a0e3cf5873f60c72e0e26",
            1,
            "mismatch",
        ),
    ] {
        let (got, l) = verify_label_json(&case, reference);
        assert_eq!((got, l["verdict"].as_str()), (code, Some(verdict)), "{reference}: {l}");
    }
}

/// Built without the `pdf` feature, `label` is refused in one line naming
/// the feature (and `verify --label` works, as the tests above show).
#[cfg(not(feature = "pdf"))]
#[test]
fn without_the_pdf_feature_label_is_refused_naming_it() {
    let case = sealed_case();
    let o = case.tmp().join("x.pdf");
    let out = label(case.p(), &["--all", "-o", o.to_str().unwrap()]);
    expect_usage_error(&out, "cargo feature `pdf`");
    assert!(!o.exists());
}

/// The sample labels of the committed custody case, shown in
/// docs/guide/labels.md: regenerated and compared byte for byte (the same
/// case gives the same bytes), or rewritten when `UPDATE_SNAPSHOTS` is set
/// (then look at them and review the diff).
#[cfg(feature = "pdf")]
#[test]
fn the_sample_labels_of_the_committed_case_are_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let case = root().join("fixtures/custody-case");
    for (args, file) in [
        (
            &["--exhibit", "EXH-LAPTOP", "--ppi", "200"][..],
            "custody-case-62mm.png",
        ),
        (&["--all", "--size", "a4"][..], "custody-case-a4.pdf"),
    ] {
        let out_path = dir.path().join(file);
        let out = label(&case, &[args, &["-o", out_path.to_str().unwrap()]].concat());
        expect_code(&out, 0);
        let made = std::fs::read(&out_path).unwrap();
        let committed = root().join("fixtures/labels").join(file);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&committed, &made).unwrap();
        }
        assert!(
            std::fs::read(&committed).unwrap_or_default() == made,
            "{} differs from what custodian makes now (regenerate with UPDATE_SNAPSHOTS=1 and look at it)",
            committed.display()
        );
    }
    if let Some(zbarimg) = tool("zbarimg", "zbar-tools") {
        let png = root().join("fixtures/labels/custody-case-62mm.png");
        assert_eq!(
            decode_qr(&zbarimg, &png),
            ["custodian:x1:FR-LYON-2026-0117:EXH-LAPTOP:82d448c6bcc07cd6cb7bfbe30eb7b76f"]
        );
    }
}
