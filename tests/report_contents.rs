//! The contents of a report and its headings come from one outline
//! (`custodian::report::outline`): in Markdown and HTML, with and without
//! the certification and the appendix, every entry of the contents is a
//! heading of the report with the same number and title, in the same
//! order, numbered 1..N without a hole, appendices lettered A, B … after
//! them. Each output is parsed, so a renderer that numbers a heading by
//! itself fails here.
//!
//! Regression: with `--certify` the HTML contents read "9 Certification,
//! 10 Limitations, 11 Appendix" (the list's own counter) while the headings
//! read "9. Limitations" and left the certification unnumbered; the
//! Markdown put the certification under section 8 and left the appendix
//! out of its contents.

mod common;

use std::path::Path;

use common::*;

const GENERATED_AT: &str = REPORT_TIME;

/// The certification of the fixture case's lead examiner.
const CERTIFY: &[&str] = &[
    "--certify",
    "--examiner",
    "j.dupont@cyber.lyon.police.example",
    "--qualifications",
    "GCFA",
    "--declaration",
    "iso-27037",
    "--place",
    "Lyon, France",
];

/// The contents of a report without certification or appendix.
const PLAIN: &[&str] = &[
    "1 Case",
    "2 Summary of findings",
    "3 Exhibits",
    "4 Chain of custody",
    "5 Verification",
    "6 Tool reliability",
    "7 Signers",
    "8 Standards mapping",
    "9 Limitations",
];

/// The contents of a certified report.
const CERTIFIED: &[&str] = &[
    "1 Case",
    "2 Summary of findings",
    "3 Exhibits",
    "4 Chain of custody",
    "5 Verification",
    "6 Tool reliability",
    "7 Signers",
    "8 Standards mapping",
    "9 Examiner's certification",
    "10 Limitations",
];

/// One entry: its label ("3", "Appendix A") and title.
type Entry = (String, String);

fn report(case: &Path, format: &str, args: &[&str]) -> String {
    let out = report_output(case, format, args);
    expect_code(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

/// "Appendix A Complete file lists" or "10 Limitations" as (label, title).
fn split_entry(text: &str) -> Entry {
    let words = if text.starts_with("Appendix ") { 2 } else { 1 };
    let mut parts = text.splitn(words + 1, ' ');
    let label: Vec<&str> = parts.by_ref().take(words).collect();
    (label.join(" "), parts.next().unwrap_or("").to_string())
}

/// "10. Limitations" or "Appendix A. Complete file lists" as (label,
/// title).
fn split_heading(text: &str) -> Entry {
    let (label, title) = text
        .split_once(". ")
        .unwrap_or_else(|| panic!("heading {text:?} has no number"));
    (label.to_string(), title.to_string())
}

/// The Markdown contents line, entry by entry.
fn md_contents(md: &str) -> Vec<Entry> {
    let line = md
        .lines()
        .find_map(|l| l.strip_prefix("Contents: "))
        .expect("a contents line");
    line.split(" · ")
        .map(|e| split_entry(&unescape(e)))
        .collect()
}

/// The Markdown sections: every `## ` heading.
fn md_headings(md: &str) -> Vec<Entry> {
    md.lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| split_heading(&unescape(h)))
        .collect()
}

/// The top-level entries of the HTML contents (`nav.toc`): (anchor,
/// text); the exhibits listed under "Exhibits" are left out.
fn html_contents(html: &str) -> Vec<(String, String)> {
    let start = html.find("<nav class=\"toc\"").expect("a contents");
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    let mut depth = 0;
    let mut out = Vec::new();
    let mut rest = nav;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if rest.starts_with("<ol") {
            depth += 1;
        } else if rest.starts_with("</ol") {
            depth -= 1;
        } else if depth == 1 && rest.starts_with("<a href=\"#") {
            let anchor = &rest[10..rest.find("\">").unwrap()];
            let text = &rest[rest.find("\">").unwrap() + 2..rest.find("</a>").unwrap()];
            out.push((anchor.to_string(), unescape(text)));
        }
        rest = &rest[1..];
    }
    out
}

/// The HTML sections: each `<section … id="ID">` of `main` and the text
/// of the `h2` that must open it.
fn html_headings(html: &str) -> Vec<(String, String)> {
    let start = html.find("<main>").expect("a main element");
    let main = &html[start..];
    main.match_indices("<section")
        .map(|(i, _)| {
            let tag = &main[i..i + main[i..].find('>').unwrap() + 1];
            let id = tag
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("a section without id: {tag}"));
            let after = &main[i + tag.len()..];
            assert!(
                after.starts_with("<h2>"),
                "section {id} does not open with its heading"
            );
            let text = &after[4..after.find("</h2>").unwrap()];
            (id.to_string(), unescape(text))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Numbered 1..N in order, then lettered A, B … in order.
fn assert_consecutive(what: &str, entries: &[Entry]) {
    let mut number = 0;
    let mut letter = b'A' - 1;
    for (label, title) in entries {
        match label.strip_prefix("Appendix ") {
            Some(l) => {
                letter += 1;
                assert_eq!(
                    l,
                    char::from(letter).to_string(),
                    "{what}: appendix {title:?} is lettered {l}"
                );
            }
            None => {
                number += 1;
                assert_eq!(
                    letter,
                    b'A' - 1,
                    "{what}: section {label} after an appendix"
                );
                assert_eq!(
                    label,
                    &number.to_string(),
                    "{what}: section {title:?} is numbered {label}, expected {number}"
                );
            }
        }
    }
}

/// Checks that the contents and the headings of the report agree, in
/// both formats, and returns the contents as "LABEL TITLE".
fn contents_of(case: &Path, args: &[&str]) -> Vec<String> {
    let md = report(case, "md", args);
    let contents = md_contents(&md);
    let headings = md_headings(&md);
    assert_eq!(
        contents, headings,
        "Markdown: the contents are not the headings"
    );
    assert_consecutive("Markdown", &contents);

    let html = report(case, "html", args);
    let toc = html_contents(&html);
    let sections = html_headings(&html);
    assert_eq!(toc, sections, "HTML: the contents are not the sections");
    let entries: Vec<Entry> = toc.iter().map(|(_, t)| split_heading(t)).collect();
    assert_consecutive("HTML", &entries);
    assert_eq!(
        entries, contents,
        "HTML and Markdown have different contents"
    );
    contents
        .iter()
        .map(|(label, title)| format!("{label} {title}"))
        .collect()
}

fn fixture_case() -> std::path::PathBuf {
    root().join("fixtures/ledger")
}

#[test]
fn contents_and_headings_agree_without_certification() {
    assert_eq!(contents_of(&fixture_case(), &[]), PLAIN);
}

#[test]
fn contents_and_headings_agree_with_certification() {
    assert_eq!(contents_of(&fixture_case(), CERTIFY), CERTIFIED);
}

/// A case with one exhibit of `files` files (`common::files_case`).
fn case_of(files: usize) -> TestCase {
    files_case(files).0
}

#[test]
fn the_appendix_is_lettered_after_the_last_numbered_section() {
    let c = case_of(30);
    let appendix = "Appendix A Complete file lists".to_string();
    let mut plain: Vec<String> = PLAIN.iter().map(|s| s.to_string()).collect();
    plain.push(appendix.clone());
    assert_eq!(contents_of(c.p(), &[]), plain);
    let mut certified: Vec<String> = CERTIFIED.iter().map(|s| s.to_string()).collect();
    certified.push(appendix);
    assert_eq!(contents_of(c.p(), CERTIFY), certified);
}

/// With the file lists in a separate file, the report keeps its appendix
/// section (it names the file), numbered the same way.
#[test]
fn a_separate_appendix_keeps_its_place_in_the_contents() {
    let c = case_of(30);
    for format in ["md", "html"] {
        let file = c.tmp().join(format!("r.{format}"));
        let out = custodian()
            .arg("report")
            .arg(c.p())
            .args(["--format", format, "--generated-at", GENERATED_AT])
            .args(["--appendix", "separate", "-o"])
            .arg(&file)
            .output()
            .unwrap();
        expect_code(&out, 0);
        let text = std::fs::read_to_string(&file).unwrap();
        let (contents, headings) = if format == "md" {
            (md_contents(&text), md_headings(&text))
        } else {
            let toc = html_contents(&text);
            assert_eq!(toc, html_headings(&text), "{format}");
            let e: Vec<Entry> = toc.iter().map(|(_, t)| split_heading(t)).collect();
            (e.clone(), e)
        };
        assert_eq!(contents, headings, "{format}");
        assert_consecutive(format, &contents);
        assert_eq!(
            contents.last().unwrap(),
            &("Appendix A".to_string(), "Complete file lists".to_string()),
            "{format}"
        );
        assert!(text.contains("r.appendix."), "{format}: the file is named");
    }
}
