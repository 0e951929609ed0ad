//! `custodian report --format pdf` end to end, read back with the tools a
//! court clerk or a defence expert would use: poppler's `pdftotext`,
//! `pdfinfo` and `pdftoppm`, and `qpdf --check`.
//!
//! The fixture case (`fixtures/custody-case`: two exhibits, a seal, a
//! transfer, an analysis, one finding without `--trust`) must give a PDF
//! whose page 1 carries the case and the three verdicts, whose every page
//! has the case id, "page X of Y" and the model digest in its footer,
//! that names every exhibit and every finding, has the sections of the
//! outline in order with the same numbers as the Markdown, renders to
//! non-blank pages, and is the same bytes when rendered twice.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// Pages of the fixture case's PDF report on A4 (a change of layout that
/// changes it is deliberate: update it with the sample in
/// fixtures/reports/).
const FIXTURE_PAGES: usize = 8;

fn case() -> std::path::PathBuf {
    root().join("fixtures/custody-case")
}

/// `custodian report CASE --format FORMAT --generated-at … ARGS…`.
fn report(case: &Path, format: &str, args: &[&str]) -> Output {
    report_output(case, format, args)
}

/// The PDF report of `case` written to DIR/name, and its bytes.
fn pdf(case: &Path, dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out_path = dir.join(name);
    let mut all = vec!["-o", out_path.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = report(case, "pdf", &all);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&out_path).unwrap()
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils, qpdf) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of each page (pdftotext separates pages with form feeds).
fn pages(file: &Path) -> Vec<String> {
    let text = tool("pdftotext", &["-layout", file.to_str().unwrap(), "-"]);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

#[test]
fn page_one_footers_exhibits_findings_and_digest() {
    let dir = tempfile::tempdir().unwrap();
    pdf(&case(), dir.path(), "r.pdf", &[]);
    let file = dir.path().join("r.pdf");
    let pages = pages(&file);
    assert_eq!(pages.len(), FIXTURE_PAGES, "pages of the fixture case");

    let json: serde_json::Value =
        serde_json::from_slice(&report(&case(), "json", &["--appendix", "inline"]).stdout).unwrap();
    let case_id = json["case"]["case_id"].as_str().unwrap();

    // Page 1: the case and the three verdicts, in words and values.
    let first = &pages[0];
    assert!(first.contains(case_id), "{first}");
    for (label, kind) in [
        ("Ledger", "ledger"),
        ("Evidence", "evidence"),
        ("Chain of custody", "custody"),
    ] {
        let value = json["summary"][kind].as_str().unwrap();
        assert!(
            first.contains(&format!("{label}:")) && first.contains(&format!("{kind}: {value}")),
            "page 1 states the {kind} verdict {value}:\n{first}"
        );
    }
    // Every finding on page 1, by id.
    let findings = json["summary"]["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "the fixture case has a finding");
    for f in findings {
        assert!(first.contains(f["id"].as_str().unwrap()), "{first}");
    }

    // Every page's footer: case, page X of Y, the model digest's prefix,
    // which is the SHA-256 of the inline JSON report.
    let digest = sha256_hex(&report(&case(), "json", &["--appendix", "inline"]).stdout);
    for (i, p) in pages.iter().enumerate() {
        let footer = format!("Case {case_id} — page {} of {}", i + 1, pages.len());
        assert!(p.contains(&footer), "page {}: no footer {footer:?}", i + 1);
        assert!(
            p.contains(&format!("report model SHA-256 {}", &digest[..16])),
            "page {}: no model digest",
            i + 1
        );
    }
    assert!(pages[0].contains(&digest), "page 1 gives the whole digest");

    // Every exhibit is in the body.
    let all = pages.join("\n");
    for x in json["exhibits"].as_array().unwrap() {
        let id = x["id"].as_str().unwrap();
        assert!(all.contains(&format!("Exhibit {id}")), "exhibit {id}");
        for f in x["file_list"].as_array().unwrap() {
            assert!(all.contains(f["path"].as_str().unwrap()), "file {f}");
        }
    }
}

/// The headings of the Markdown report ("## 3. Exhibits"), in order.
fn markdown_headings(md: &str) -> Vec<String> {
    md.lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter(|h| {
            h.chars().next().is_some_and(|c| c.is_ascii_digit()) || h.starts_with("Appendix")
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn sections_agree_with_the_markdown_with_and_without_certification() {
    let certify: &[&str] = &[
        "--certify",
        "--examiner",
        "j.dupont@cyber.lyon.police.example",
        "--qualifications",
        "GCFA",
        "--declaration",
        "fre-902-14",
        "--place",
        "Lyon, France",
    ];
    for extra in [&[][..], certify] {
        let dir = tempfile::tempdir().unwrap();
        pdf(&case(), dir.path(), "r.pdf", extra);
        let text = pages(&dir.path().join("r.pdf")).join("\n");
        let md = String::from_utf8(report(&case(), "md", extra).stdout).unwrap();
        let heads = markdown_headings(&md);
        assert!(heads.len() >= 9, "{heads:?}");
        if !extra.is_empty() {
            assert!(
                heads
                    .iter()
                    .any(|h| h.ends_with("Examiner's certification")),
                "{heads:?}"
            );
        }
        // Each heading appears in the contents and again as a heading, in
        // the Markdown's order.
        let mut at = 0;
        for h in &heads {
            let in_contents = text
                .find(h.as_str())
                .unwrap_or_else(|| panic!("{h} not in PDF"));
            assert!(in_contents < text.len());
            let pos = text[at..]
                .find(h.as_str())
                .unwrap_or_else(|| panic!("{h} out of order in the PDF"));
            at += pos + h.len();
        }
        let body_start = text.find("Contents").unwrap();
        for h in &heads {
            assert_eq!(
                text[body_start..].matches(h.as_str()).count(),
                2,
                "{h}: once in the contents, once as the heading"
            );
        }
    }
}

#[test]
fn the_same_case_gives_the_same_bytes_and_the_time_is_the_generation_time() {
    let dir = tempfile::tempdir().unwrap();
    let a = pdf(&case(), dir.path(), "a.pdf", &[]);
    let b = pdf(&case(), dir.path(), "b.pdf", &[]);
    assert!(a.starts_with(b"%PDF-"));
    assert!(a == b, "two renderings differ");
    let info = tool(
        "pdfinfo",
        &["-isodates", dir.path().join("a.pdf").to_str().unwrap()],
    );
    assert!(info.contains(&REPORT_TIME[..19]), "{info}");
    assert!(info.contains("595.276 x 841.89"), "A4 by default: {info}");
    // PDF/A-2b declared in the XMP metadata.
    let meta = tool(
        "pdfinfo",
        &["-meta", dir.path().join("a.pdf").to_str().unwrap()],
    );
    assert!(
        meta.contains("<pdfaid:part>2</pdfaid:part>")
            && meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{meta}"
    );
    tool(
        "qpdf",
        &["--check", dir.path().join("a.pdf").to_str().unwrap()],
    );

    let letter = pdf(&case(), dir.path(), "l.pdf", &["--paper", "letter"]);
    assert_ne!(letter, a);
    let info = tool("pdfinfo", &[dir.path().join("l.pdf").to_str().unwrap()]);
    assert!(info.contains("612 x 792"), "US Letter: {info}");
}

/// Pages rendered by pdftoppm (grey, 20 ppi) are not blank: a share of
/// their pixels is dark (about one line of text at least).
#[test]
fn every_page_renders_with_ink_on_it() {
    let dir = tempfile::tempdir().unwrap();
    pdf(&case(), dir.path(), "r.pdf", &[]);
    let prefix = dir.path().join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "20",
            "-gray",
            dir.path().join("r.pdf").to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut images: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    images.sort();
    assert_eq!(images.len(), FIXTURE_PAGES);
    for img in images {
        let bytes = std::fs::read(&img).unwrap();
        // P5 header: magic, width, height, maxval, then one byte a pixel.
        let mut fields = 0;
        let mut i = 0;
        while fields < 4 {
            while bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            while !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            fields += 1;
        }
        let pixels = &bytes[i + 1..];
        // A line of small text at 20 ppi darkens about 0.1% of a page.
        let dark = pixels.iter().filter(|&&p| p < 200).count();
        assert!(
            dark * 1000 > pixels.len(),
            "{}: {dark} dark pixels of {}: a near-blank page",
            img.display(),
            pixels.len()
        );
    }
}

/// A value from the case is printed as written: Typst markup or code in an
/// exhibit description is neither interpreted nor able to break the PDF.
#[test]
fn markup_in_case_values_is_printed_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let hostile = "= Not a heading #panic(\"x\") *not bold* $x^2$ ] ) } // end";
    let out = custodian()
        .arg("init")
        .arg(&case)
        .args([
            "--case-id",
            "C-#1",
            "--title",
            "#set page(width: 1pt)",
            "--authority",
            "W-1",
        ])
        .arg("--key")
        .arg(key_path("lead"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let ev = dir.path().join("ev.txt");
    std::fs::write(&ev, "evidence\n").unwrap();
    let out = custodian()
        .arg("acquire")
        .arg(&case)
        .args(["--exhibit=EXH-1", "-q", "--description", hostile])
        .arg("--key")
        .arg(key_path("lead"))
        .arg(&ev)
        .output()
        .unwrap();
    expect_code(&out, 0);
    pdf(&case, dir.path(), "r.pdf", &[]);
    let text = pages(&dir.path().join("r.pdf")).join("\n");
    assert!(text.contains("#set page(width: 1pt)"), "{text}");
    assert!(
        text.contains("= Not a heading #panic(\"x\") *not bold* $x^2$"),
        "{text}"
    );
    let info = tool("pdfinfo", &[dir.path().join("r.pdf").to_str().unwrap()]);
    assert!(info.contains("595.276 x 841.89"), "{info}");
}

#[test]
fn a_pdf_to_standard_output_is_written_to_the_pipe() {
    // Standard output here is a pipe: the PDF is written to it.
    let out = report(&case(), "pdf", &[]);
    assert!(
        out.stdout.starts_with(b"%PDF-"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Past 500 rows the file lists go to `NAME.appendix.pdf`: the report
/// states its SHA-256 (which is the file's), every page of the appendix
/// has the footer, and it lists every path; `--appendix inline` keeps
/// them in the report.
#[test]
fn a_long_file_list_goes_to_a_separate_pdf_named_by_its_digest() {
    let (c, paths) = files_case(600);
    pdf(c.p(), c.tmp(), "r.pdf", &[]);
    let appendix = c.tmp().join("r.appendix.pdf");
    let bytes = std::fs::read(&appendix).expect("auto writes the appendix separately");
    let digest = sha256_hex(&bytes);
    let main = pages(&c.tmp().join("r.pdf")).join("\n");
    let flat: String = main.split_whitespace().collect();
    assert!(
        flat.contains(&digest),
        "the report states the appendix's SHA-256"
    );
    assert!(main.contains("r.appendix.pdf"));
    assert!(
        !main.contains(&paths[599]),
        "the 600th file is not in the report"
    );

    let model = sha256_hex(&report(c.p(), "json", &["--appendix", "inline"]).stdout);
    let ap = pages(&appendix);
    assert!(ap.len() > 1);
    for (i, p) in ap.iter().enumerate() {
        let footer = format!("Case C-1 — page {} of {}", i + 1, ap.len());
        assert!(p.contains(&footer), "appendix page {}: {footer:?}", i + 1);
        assert!(
            p.contains(&model[..16]),
            "appendix page {}: model digest",
            i + 1
        );
    }
    let text = ap.join("\n");
    for p in &paths {
        assert!(text.contains(p.as_str()), "{p} is in the appendix");
    }
    tool("qpdf", &["--check", appendix.to_str().unwrap()]);
    let again = pdf(c.p(), c.tmp(), "again.pdf", &[]);
    assert_eq!(
        sha256_hex(&std::fs::read(c.tmp().join("again.appendix.pdf")).unwrap()),
        digest,
        "the appendix is reproducible too"
    );
    assert!(!again.is_empty());

    pdf(c.p(), c.tmp(), "inline.pdf", &["--appendix", "inline"]);
    assert!(!c.tmp().join("inline.appendix.pdf").exists());
    let inline = pages(&c.tmp().join("inline.pdf")).join("\n");
    assert!(inline.contains(&paths[599]) && inline.contains("Complete file lists"));
}

/// Inline file lists past what a PDF typesets in bounded memory are
/// refused in one line naming the way out; the default writes them to the
/// separate appendix instead.
#[test]
fn too_many_inline_rows_for_a_pdf_are_refused_with_the_fix() {
    let (c, _) = files_case(5_001);
    let out_path = c.tmp().join("r.pdf");
    let out = report(
        c.p(),
        "pdf",
        &["--appendix", "inline", "-o", out_path.to_str().unwrap()],
    );
    expect_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("5001") && err.contains("--appendix separate"),
        "{err}"
    );
    assert!(!out_path.exists());
    pdf(c.p(), c.tmp(), "r.pdf", &[]);
    assert!(c.tmp().join("r.appendix.pdf").exists());
}
