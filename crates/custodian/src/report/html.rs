//! HTML renderer: one self-contained, printable HTML5 page.
//!
//! Everything comes from the [`Report`] model; nothing else (no clock, no
//! environment) is read, so the same model gives the same bytes. The page
//! is built with `maud`, which escapes every interpolated string: file
//! names, messages and descriptions are evidence-derived text and are never
//! trusted as markup. Control and bidi characters in that text are
//! shown as visible escapes (`\u{202e}`: [`crate::text`]), so that a file
//! named `\u{202e}exe.txt` never reads as "txt.exe" (`Visible`).
//! The page has inline CSS only, no script, and a
//! Content-Security-Policy that forbids fetching anything, so opening it
//! makes no network request.
//!
//! The sections are those of the [`outline`], in its order, each with a
//! stable `id` (tests and readers link to them): `case`, `summary`,
//! `exhibits`, `custody`, `verification`, `reliability`, `signers`,
//! `standards`, `certification` (only when certified), `limitations`,
//! `appendix-a` (only when a file list is too long to show whole, or was
//! written to a separate file). The contents and the headings both read
//! the outline's numbers.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Serialize;

use super::outline::{outline, Outline, Section, SectionHead};
use super::{ExhibitSection, FileRow, Report, Timeline, TimelineEvent, INLINE_FILES, NOT_STATED};

/// Opening this page must not fetch anything or run anything.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

const CSS: &str = r#"
:root { --fg:#111; --muted:#555; --line:#bbb; --head:#eef1f5;
  --ok-bg:#e4f4e6; --ok-fg:#0b4d17; --bad-bg:#fde4e1; --bad-fg:#7a1207;
  --warn-bg:#fff4d6; --warn-fg:#5c4300; }
* { box-sizing: border-box; }
html { font-family: "Liberation Serif", "Times New Roman", Georgia, serif; font-size: 16px; color: var(--fg); background: #fff; }
body { margin: 0 auto; max-width: 68rem; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.8rem; margin: 0 0 .3rem; }
h2 { font-size: 1.4rem; border-bottom: 2px solid var(--fg); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
header.report { border-bottom: 3px double var(--fg); padding-bottom: .8rem; margin-bottom: 1rem; }
header.report p { margin: .15rem 0; }
.muted, caption { color: var(--muted); }
nav.toc ol { columns: 2; margin: .3rem 0; list-style: none; padding-left: 0; }
nav.toc ol ol { columns: 1; padding-left: 1.5rem; }
code, pre, .digest, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; font-size: .85em; }
.digest, .mono { overflow-wrap: anywhere; word-break: break-all; }
pre { background: #f5f5f5; border: 1px solid var(--line); padding: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-style: italic; padding: .2rem 0; caption-side: top; }
th, td { border: 1px solid var(--line); padding: .25rem .4rem; vertical-align: top; text-align: left; overflow-wrap: break-word; }
thead th { background: var(--head); }
th[scope=row] { background: var(--head); font-weight: 600; }
table.kv th[scope=row] { width: 14rem; }
td.msg { overflow-wrap: anywhere; }
td.explain { width: 30%; }
td.num, th.num { text-align: right; white-space: nowrap; }
ul.digests { list-style: none; margin: 0; padding: 0; }
.verdicts { display: flex; flex-wrap: wrap; gap: .8rem; margin: .8rem 0 1.2rem; }
.verdict { flex: 1 1 14rem; border: 3px solid; border-radius: 4px; padding: .6rem .8rem; }
.verdict .label { display: block; font-size: .85rem; text-transform: uppercase; letter-spacing: .05em; }
.verdict .value { display: block; font-size: 1.35rem; font-weight: 700; }
.verdict p { margin: .3rem 0 0; font-size: .9rem; }
.ok { background: var(--ok-bg); color: var(--ok-fg); border-color: var(--ok-fg); }
.bad { background: var(--bad-bg); color: var(--bad-fg); border-color: var(--bad-fg); }
.warn { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-fg); }
td.ok, td.bad, td.warn, tr.override td { font-weight: 600; }
tr.override td { background: var(--warn-bg); }
.sev-critical, .sev-high { font-weight: 700; }
.notice { border-left: 4px solid; padding: .4rem .8rem; margin: .8rem 0; }
article.exhibit { border-top: 1px solid var(--line); }
.signature-lines { display: flex; gap: 2rem; margin-top: 2.5rem; }
.signature-lines div { flex: 1; border-top: 1px solid var(--fg); padding-top: .2rem; }
@page { size: A4; margin: 15mm 12mm 18mm; }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav.toc ol { columns: 1; }
  section.major { break-before: page; page-break-before: always; }
  h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
  tr, .verdict, .notice, .signature-lines, dl div { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  pre { white-space: pre-wrap; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Renders the report as one self-contained HTML page, in memory (see
/// [`write()`]).
pub fn render(report: &Report) -> std::io::Result<String> {
    let mut out = Vec::new();
    write(report, &mut out)?;
    String::from_utf8(out).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Where the rows of an appendix table go in the page built by maud
/// ([`appendix_tables`]): they are read from the manifest and written in
/// its place. maud escapes `<` in every value, so no value can contain it.
const FILE_ROWS: &str = "<!--custodian:file-rows-->";

/// Text of the page buffered before it is written.
const CHUNK: usize = 64 * 1024;

/// Writes the report as one self-contained HTML page to `w` (which should
/// be buffered). The page is built by maud except the rows of the
/// appendix, which are read from each exhibit's manifest while they are
/// written, so that memory does not grow with the number of files.
pub fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let o = outline(report);
    let long: Vec<&ExhibitSection> = match report.appendix {
        Some(_) => Vec::new(),
        None => super::appendix::exhibits(report).collect(),
    };
    write_page(page(report, &o), &long, w)
}

/// Writes the appendix of the report as an HTML page of its own, for a
/// separate file ([`super::appendix::write_separate`]): the complete file
/// list of every exhibit of [`super::appendix::exhibits`], read from the
/// manifests as they are written.
pub fn write_appendix(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let o = outline(report);
    let long: Vec<&ExhibitSection> = super::appendix::exhibits(report).collect();
    write_page(appendix_page(report, &o), &long, w)
}

/// Writes `page`, made visible ([`Visible`]), with the rows of the
/// exhibits `long` (one after another) at its [`FILE_ROWS`] markers.
fn write_page(
    page: Markup,
    long: &[&ExhibitSection],
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let page = page.into_string();
    let mut visible = Visible::default();
    let mut out = String::new();
    let mut parts = page.split(FILE_ROWS);
    if let Some(head) = parts.next() {
        visible.push(head, &mut out);
    }
    for (i, part) in parts.enumerate() {
        let Some(x) = long.get(i) else {
            return Err(std::io::Error::other(
                "internal error: a file-row marker without its exhibit",
            ));
        };
        let mut rows = x.file_list.rows();
        for f in &mut rows {
            visible.push(&file_row(&f).into_string(), &mut out);
            if out.len() >= CHUNK {
                w.write_all(out.as_bytes())?;
                out.clear();
            }
        }
        rows.finish()?;
        visible.push(part, &mut out);
    }
    out.push('\n');
    w.write_all(out.as_bytes())
}

/// The page as maud builds it, with [`FILE_ROWS`] where the rows of each
/// appendix table go: one part per section of the outline `o`.
fn page(report: &Report, o: &Outline) -> Markup {
    let title = format!(
        "Admissibility report: case {} ({})",
        report.case.case_id, report.case.title
    );
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ (report.tool.name) " " (report.tool.version) };
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.report {
                    h1 { "Admissibility report" }
                    p { strong { "Case " (report.case.case_id) } ": " (report.case.title) }
                    p {
                        "Generated " time datetime=(report.generated_at) { (report.generated_at) }
                        " by " (report.tool.name) " " (report.tool.version)
                        " (report model version " (report.version) ")."
                    }
                    p.basis { (report.basis) }
                }
                (toc(o))
                main {
                    @for h in o.heads() {
                        (section(report, o, h))
                    }
                }
                footer {
                    p.muted {
                        "End of report for case " (report.case.case_id) ", generated "
                        (report.generated_at) " by " (report.tool.name) " " (report.tool.version) "."
                    }
                }
            }
        }
    }
}

/// The section `h` of the outline `o`.
fn section(report: &Report, o: &Outline, h: &SectionHead) -> Markup {
    match h.section {
        Section::Case => case_section(report, h),
        Section::Summary => summary_section(report, h, o),
        Section::Exhibits => exhibits_section(report, h, o),
        Section::Custody => custody_section(report, h, o),
        Section::Verification => verification_section(report, h),
        Section::Reliability => reliability_section(report, h, o),
        Section::Signers => signers_section(report, h),
        Section::Standards => standards_section(report, h),
        Section::Certification => certification_section(report, h),
        Section::Limitations => limitations_section(report, h),
        Section::FileLists => appendix_section(report, h, o),
    }
}

/// The separate appendix as a page of its own: a header naming the
/// report, then each exhibit's complete file list ([`FILE_ROWS`] where the
/// rows go).
fn appendix_page(report: &Report, o: &Outline) -> Markup {
    let label = o.appendix_label(Section::FileLists);
    let heading = format!("{label}. {}", Section::FileLists.title());
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ (report.tool.name) " " (report.tool.version) };
                title { (heading) " of the admissibility report of case " (report.case.case_id) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.report {
                    h1 { (heading) }
                    p { "To the admissibility report of " strong { "case " (report.case.case_id) } ": " (report.case.title) }
                    p {
                        "Generated " time datetime=(report.generated_at) { (report.generated_at) }
                        " by " (report.tool.name) " " (report.tool.version)
                        " (report model version " (report.version) "). The report names this file by its SHA-256, size and number of rows."
                    }
                }
                main {
                    (appendix_tables(report, o, 2))
                }
            }
        }
    }
}

/// The rendered page with every character of [`crate::text::is_hidden`]
/// written as its visible escape, wherever it came from (a value added to
/// the page later is covered too). The page's own line breaks are kept:
/// those of the style sheet and of the `pre` block (whose commands are made
/// visible one by one before they are joined). maud escapes `<` in every
/// value, so each `<` in the page starts a tag of the template.
///
/// The page is given in pieces, each whole tags (maud's output, or a row of
/// Appendix A); whether the next piece starts inside `style` or `pre` is
/// carried from one to the next.
#[derive(Debug, Default)]
struct Visible {
    in_style: bool,
    in_pre: bool,
}

impl Visible {
    /// Appends `page`, made visible, to `out`.
    fn push(&mut self, page: &str, out: &mut String) {
        out.reserve(page.len());
        for (i, c) in page.char_indices() {
            if c == '<' {
                let rest = &page[i..];
                if rest.starts_with("<style") {
                    self.in_style = true;
                } else if rest.starts_with("</style>") {
                    self.in_style = false;
                } else if rest.starts_with("<pre") {
                    self.in_pre = true;
                } else if rest.starts_with("</pre>") {
                    self.in_pre = false;
                }
            }
            let keep = self.in_style || (self.in_pre && c == '\n');
            if !keep && crate::text::is_hidden(c) {
                crate::text::push_escape(out, c);
            } else {
                out.push(c);
            }
        }
    }
}

/// The contents: every section of the outline, numbered as its heading
/// is, with the exhibits under "Exhibits". The numbers are text, not the
/// list's own counter (which could not letter an appendix).
fn toc(o: &Outline) -> Markup {
    html! {
        nav.toc aria-label="Table of contents" {
            h2 { "Contents" }
            ol {
                @for h in o.heads() {
                    li {
                        a href={ "#" (h.anchor) } { (h.heading()) }
                        @if !h.children.is_empty() {
                            ol {
                                @for c in &h.children {
                                    li { a href={ "#" (c.anchor) } { (c.title) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Case
// ---------------------------------------------------------------------------

fn case_section(report: &Report, h: &SectionHead) -> Markup {
    let c = &report.case;
    html! {
        section id=(h.anchor) {
            h2 { (h.heading()) }
            table.kv {
                caption { "The case as opened in ledger entry " (c.entry) }
                tbody {
                    (row("Case id", html! { (c.case_id) }))
                    (row("Title (stated)", html! { (c.title) }))
                    (row("Jurisdiction (stated)", html! { (stated(&c.jurisdiction)) }))
                    (row("Examiner (stated)", html! { (stated(&c.examiner)) }))
                    (row("Opened", html! { (c.opened) }))
                    (row("Events may be dated after their recording by", html! { (c.clock_skew) }))
                    (row("Authority policy", html! {
                        (c.authority_policy) " — " (policy_words(&c.authority_policy))
                        @if !c.authority_policy_stated { " (not stated in entry 0: custodian then checks no legal authority)" }
                    }))
                }
            }
            h3 { "Legal authorities" }
            @if c.authorities.is_empty() {
                p { "No legal authority is registered in this case." }
            } @else {
                table {
                    caption { "Legal authorities registered in the ledger: every field as stated by the examiner in the entry given; the authority the case was opened under states a reference only" }
                    thead {
                        tr {
                            th scope="col" { "Reference" }
                            th scope="col" { "Kind" }
                            th scope="col" { "Issuer" }
                            th scope="col" { "Jurisdiction" }
                            th scope="col" { "Issued" }
                            th scope="col" { "Valid" }
                            th scope="col" { "Scope" }
                            th scope="col" class="num" { "Entry" }
                        }
                    }
                    tbody {
                        @for a in &c.authorities {
                            tr {
                                th scope="row" { (a.reference) }
                                @for cell in a.cells() {
                                    td { (cell) }
                                }
                                td.num { (a.entry) " " span.muted { "(" (a.origin) ")" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn policy_words(policy: &str) -> &'static str {
    match policy {
        "strict" => "actions without a covering legal authority are refused unless overridden",
        "warn" => "actions without a covering legal authority are recorded as findings",
        "off" => "legal authority is not checked",
        _ => "see docs/guide/custody.md",
    }
}

// ---------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------

fn verdict_box(label: &str, kind: &str, value: &str, extra: Markup) -> Markup {
    let (class, headline, sentence) = super::verdict(kind, value);
    let mark = match class {
        "ok" => "✔",
        "bad" => "✘",
        _ => "⚠",
    };
    html! {
        div class={ "verdict " (class) } data-verdict=(value) {
            span.label { (label) }
            span.value { span aria-hidden="true" { (mark) " " } (headline) }
            p { (sentence) " " span.muted { "(" (kind) ": " code { (value) } ")" } }
            (extra)
        }
    }
}

fn summary_section(report: &Report, h: &SectionHead, o: &Outline) -> Markup {
    let s = &report.summary;
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            div.verdicts {
                (verdict_box("Ledger", "ledger", &s.ledger, html! {}))
                (verdict_box("Evidence", "evidence", &s.evidence, html! {
                    @if !s.audited.is_empty() {
                        p { "Re-hashed for this report: " (s.audited.join(", ")) "." }
                    }
                    @if !s.not_audited.is_empty() {
                        p { strong { "Not re-hashed: " } (s.not_audited.join(", ")) "." }
                    }
                }))
                (verdict_box("Chain of custody", "custody", &s.custody, html! {
                    @if report.case.authority_policy == "off" {
                        p { strong { "Legal authorities were not checked" } " (authority policy off): the absence of authority findings says nothing about them." }
                    }
                }))
            }
            @if !report.reliability.all_passed {
                p.notice.bad {
                    strong { "Self-test failure: " }
                    "at least one known-answer self-test of this executable FAILED (" (o.reference(Section::Reliability)) "). Its digests and signature checks cannot be relied on."
                }
            }
            @if s.findings.is_empty() {
                p { "No findings." }
            } @else {
                p { (s.findings.len()) " finding(s), each with a stable id (docs/guide/findings.md)." }
                table {
                    caption { "Findings: everything that weakens the chain of custody or the proof that the evidence is unchanged" }
                    thead {
                        tr {
                            th scope="col" { "Id" }
                            th scope="col" { "Severity" }
                            th scope="col" { "Entries" }
                            th scope="col" { "Exhibits" }
                            th scope="col" { "What happened" }
                            th scope="col" { "What it means" }
                        }
                    }
                    tbody {
                        @for f in &s.findings {
                            tr {
                                th scope="row" { code { (f.id) } }
                                td class={ "sev-" (f.severity) } { (f.severity) }
                                td { (join_nums(&f.entries)) }
                                td { (f.exhibits.join(", ")) }
                                td.msg { (f.message) }
                                td.explain { (f.explanation) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Exhibits
// ---------------------------------------------------------------------------

fn exhibits_section(report: &Report, h: &SectionHead, o: &Outline) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            @if report.exhibits.is_empty() {
                p { "No exhibit is covered by this report." }
            }
            @for x in &report.exhibits {
                (exhibit(report, x, o))
            }
        }
    }
}

/// One exhibit: its acquisition and custody facts, its files (the first
/// [`INLINE_FILES`], the rest in the appendix) and the evidence audit run
/// for this report, if any.
fn exhibit(report: &Report, x: &ExhibitSection, o: &Outline) -> Markup {
    html! {
        article.exhibit id={ "exhibit-" (o.exhibit_anchor(&x.id)) } {
            h3 { "Exhibit " (x.id) }
            (exhibit_facts(x))
            (exhibit_provenance(x, &report.tool))
            (exhibit_files(report, x, o))
            @if let Some(a) = &x.audit {
                (exhibit_audit(x, a))
            }
        }
    }
}

/// The key/value table of an exhibit: what was acquired, from where, by
/// whom, how, with which manifest, where it is now, what the hash sets
/// said, and a single file's digests.
fn exhibit_facts(x: &ExhibitSection) -> Markup {
    html! {
        table.kv {
            caption { "Exhibit " (x.id) ": acquisition (ledger entry " (x.acquired_entry) ") and current custody" }
            tbody {
                (row("Description (stated)", html! { (stated(&x.description)) }))
                (row("Source (stated)", html! { (stated(&x.source)) }))
                (row("Legal authority cited in the entry", html! { (stated(&x.authority)) }))
                (row("Acquired by", html! { (x.acquired_by) br; code.digest { (x.acquired_by_fingerprint) } }))
                (row("Acquisition started", html! { (x.started) }))
                (row("Acquisition finished", html! { (x.finished) }))
                (row("Algorithms", html! { (x.algorithms.join(", ")) }))
                (row("Acquired paths", html! {
                    @for (i, r) in x.roots.iter().enumerate() {
                        @if i > 0 { br; }
                        span.mono { (r) }
                    }
                }))
                (row("Files", html! { (x.files) }))
                (row("Bytes", html! { (bytes(x.bytes)) }))
                (row("Read errors", html! { (x.errors) }))
                (row("Manifest", html! { span.mono { (x.manifest_path) } }))
                (row("Manifest SHA-256", html! { code.digest { (x.manifest_sha256) } }))
                (row("State", html! { (x.state) }))
                (row("Holder", html! { (x.holder) }))
                (row("Location (stated)", html! { (stated(&x.location)) }))
                (row("Seal (stated)", html! { (x.seal.as_deref().unwrap_or("none")) }))
                @if let Some(h) = &x.hashsets {
                    (hashset_rows(h))
                }
                @if !x.digests.is_empty() {
                    (row("Digests (single file)", html! {
                        ul.digests {
                            @for (algo, d) in &x.digests {
                                li { (algo) ": " code.digest { (d) } }
                            }
                        }
                    }))
                }
            }
        }
    }
}

/// An exhibit's provenance: the source device (each value with where it
/// came from, "not stated" when nothing records it), what the imaging
/// program recorded, the acquiring host, paths and clock, and the
/// acquiring executable beside the one that generated this report.
fn exhibit_provenance(x: &ExhibitSection, report_tool: &super::ToolInfo) -> Markup {
    html! {
        table.kv.provenance {
            caption { "Exhibit " (x.id) ": provenance, as recorded by acquisition entry " (x.acquired_entry) " (\"not stated\": the entry does not record it)" }
            tbody {
                @for r in x.provenance.rows(&x.host) {
                    tr {
                        th scope="row" { (r.label) }
                        @if r.attention {
                            td.warn { (r.text) }
                        } @else {
                            td { (r.text) }
                        }
                    }
                }
                (row("Acquired with", html! {
                    (x.acquired_with.name) " " (x.acquired_with.version) br;
                    "executable SHA-256 "
                    @match &x.acquired_with.exe_sha256 {
                        Some(h) => { code.digest { (h) } }
                        None => { "not recorded" }
                    }
                    br; span.muted { "as signed in entry " (x.acquired_entry) "; source commit not recorded" }
                }))
                (row("Report generated with", html! {
                    (report_tool.name) " " (report_tool.version) br;
                    "executable SHA-256 "
                    @match &report_tool.exe_sha256 {
                        Some(h) => { code.digest { (h) } }
                        None => { "not recorded" }
                    }
                }))
                tr {
                    th scope="row" { "Binaries" }
                    td class=(match x.binary_match.as_str() { "same" => "ok", _ => "warn" }) data-binary=(x.binary_match) {
                        (x.binary_match_words())
                    }
                }
            }
        }
    }
}

/// The hash-set rows of an exhibit's table: the sets used (each with the
/// SHA-256 of its source, which identifies it), the entries, the counts.
fn hashset_rows(h: &super::HashsetSummary) -> Markup {
    html! {
        (row("Hash sets", html! {
            ul {
                @for s in &h.sets {
                    li {
                        (s.name) " (" (s.kind)
                        @if let Some(v) = &s.version { ", version " (v) }
                        ", source SHA-256 " code.digest { (s.source_sha256) } ")"
                    }
                }
            }
            "Ledger entries " (join_nums(&h.entries))
        }))
        (row("Known-good files", html! {
            (h.known_good)
            @if h.known_good_hidden { " (not listed below)" }
        }))
        (row("Known-bad or notable matches", html! { (h.matches) }))
    }
}

/// The first [`INLINE_FILES`] files of an exhibit with a link to the rest
/// (in the appendix, or the separate file the appendix names), and how
/// many known-good files were hidden.
fn exhibit_files(report: &Report, x: &ExhibitSection, o: &Outline) -> Markup {
    let (appendix, target) = match (o.get(Section::FileLists), &report.appendix) {
        (Some(h), Some(_)) => (h.label(), h.anchor.clone()),
        (Some(h), None) => (h.label(), format!("appendix-{}", o.exhibit_anchor(&x.id))),
        (None, _) => (o.reference(Section::FileLists), String::new()),
    };
    let more = x.file_list.len().saturating_sub(INLINE_FILES);
    html! {
        h4 { "Files" }
        @if x.file_list.is_empty() && !x.hashsets.as_ref().is_some_and(|h| h.known_good_hidden && h.known_good > 0) {
            p { "The manifest lists no regular file." }
        } @else if x.file_list.is_empty() {
        } @else {
            (file_table(
                html! { @for f in x.file_list.first() { (file_row(f)) } },
                &html! {
                    "Files of exhibit " (x.id)
                    @if more > 0 { ": the first " (INLINE_FILES) " of " (x.file_list.len()) }
                    @else { " (" (x.file_list.len()) ")" }
                },
            ))
            @if more > 0 {
                p.notice.warn {
                    (more) " more files in "
                    a href={ "#" (target) } { (appendix) }
                    @if let Some(a) = &report.appendix { ", the separate file " span.mono { (a.file) } }
                    "."
                }
            }
        }
        @if let Some(h) = x.hashsets.as_ref().filter(|h| h.known_good_hidden) {
            p.notice {
                (h.known_good) " known-good file(s) of exhibit " (x.id)
                " are not listed (hidden with --hide-known-good)."
            }
        }
    }
}

/// The evidence audit run for this report: its result, its counts, and
/// every object that differs from the manifest.
fn exhibit_audit(x: &ExhibitSection, a: &crate::audit::ExhibitAudit) -> Markup {
    let c = &a.counts;
    html! {
        h4 { "Evidence audit for this report" }
        p {
            "Re-hashed now: " span.mono { (a.roots.join(", ")) }
            " (" (a.algorithms.join(", ")) "). Result: "
            @if a.is_intact() { strong { "every object matched" } }
            @else { strong { "NOT INTACT: " (a.counts.examined - a.counts.matched) " object(s) differ" } }
            "."
        }
        table {
            caption { "Audit counts for exhibit " (x.id) }
            thead {
                tr {
                    th scope="col" { "Examined" }
                    th scope="col" { "Matched" }
                    th scope="col" { "Changed" }
                    th scope="col" { "Type changed" }
                    th scope="col" { "Missing" }
                    th scope="col" { "New" }
                    th scope="col" { "Moved" }
                    th scope="col" { "Unreadable" }
                    th scope="col" { "Unverifiable" }
                    th scope="col" { "Bytes read" }
                }
            }
            tbody {
                tr {
                    td.num { (c.examined) }
                    td.num { (c.matched) }
                    td.num { (c.changed) }
                    td.num { (c.type_changed) }
                    td.num { (c.missing) }
                    td.num { (c.new) }
                    td.num { (c.moved) }
                    td.num { (c.unreadable) }
                    td.num { (c.unverifiable) }
                    td.num { (c.bytes) }
                }
            }
        }
        @if !a.differences.is_empty() {
            table {
                caption { "Differences between the evidence now and its manifest (exhibit " (x.id) ")" }
                thead {
                    tr {
                        th scope="col" { "Status" }
                        th scope="col" { "Path" }
                        th scope="col" { "Recorded path" }
                        th scope="col" { "Expected" }
                        th scope="col" { "Found" }
                    }
                }
                tbody {
                    @for d in &a.differences {
                        tr {
                            th scope="row" { (d.status.as_str()) }
                            td.mono { (d.path) }
                            td.mono { (d.from.as_deref().unwrap_or("")) }
                            td { code.digest { (d.expected.as_deref().unwrap_or("")) } }
                            td { code.digest { (d.found.as_deref().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
    }
}

/// A table of files: `rows` (made by [`file_row`]) under `caption`.
fn file_table(rows: Markup, caption: &Markup) -> Markup {
    html! {
        table.files {
            caption { (caption) }
            thead {
                tr {
                    th scope="col" { "Path" }
                    th scope="col" class="num" { "Size (bytes)" }
                    th scope="col" { "Digests" }
                }
            }
            tbody { (rows) }
        }
    }
}

/// One file: its path and marks, its size, its digests.
fn file_row(f: &FileRow) -> Markup {
    html! {
                    tr {
                        th.mono scope="row" {
                            (f.path)
                            @if f.known_good { " " span.known-good { "(known-good)" } }
                            @for h in &f.hashsets { " " strong.hashset-hit { "IN HASH SET " (h) } }
                        }
                        td.num {
                            @match f.size { Some(s) => { (s) } None => { "—" } }
                        }
                        td {
                            @if let Some(e) = &f.error {
                                strong { "Unreadable at acquisition: " } (e)
                            }
                            ul.digests {
                                @for (algo, d) in &f.digests {
                                    li { (algo) ": " code.digest { (d) } }
                                }
                            }
                        }
                    }
    }
}

// ---------------------------------------------------------------------------
// Custody
// ---------------------------------------------------------------------------

fn custody_section(report: &Report, h: &SectionHead, o: &Outline) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            p {
                "Every signed ledger entry about each exhibit, in ledger order. "
                "Times are when the event happened: marked \"stated\" when the signer gave it (--at), else when the entry was recorded (for an acquisition, when hashing started); the recording time is shown when it differs. "
                "Rows marked OVERRIDE record an action the custody rules would have refused."
            }
            @if report.timelines.is_empty() {
                p { "No exhibit has a custody record in this report." }
            }
            @for t in &report.timelines {
                (timeline(t, o.exhibit_anchor(&t.exhibit)))
            }
            (attachments_table(&report.attachments))
        }
    }
}

/// The photos, scans, forms and logs attached to the case and to the
/// reported exhibits: images as thumbnails embedded in the page (no file
/// is fetched), every file with its digest and the state of its stored
/// copy.
fn attachments_table(rows: &[super::attachments::AttachmentRow]) -> Markup {
    html! {
        h3 id="attachments" { "Attachments" }
        @if rows.is_empty() {
            p { "No file is attached to the case or to the exhibits of this report." }
        } @else {
            p {
                "Files that document the custody (photos, scans, forms, imported logs), each stored in the case folder under its SHA-256 and recorded in a signed entry. "
                "What the description says is the examiner's statement; what a photo's EXIF says is the file's statement, as found in it. "
                "Thumbnails are reduced copies made for this report; the stored file is the original."
            }
            table.attachments {
                caption { "Attachments (" (rows.len()) ")" }
                thead {
                    tr {
                        th scope="col" class="num" { "Entry" }
                        th scope="col" { "Image" }
                        th scope="col" { "File" }
                        th scope="col" { "Documents (stated)" }
                        th scope="col" { "Digest and stored copy" }
                    }
                }
                tbody {
                    @for a in rows {
                        tr {
                            th.num scope="row" { (a.entry) }
                            td {
                                @if let Some(t) = &a.thumbnail {
                                    img src=(t) alt={ "thumbnail of " (a.name) } style="max-width:240px;max-height:240px";
                                } @else if a.media_type.starts_with("image/") {
                                    span.muted { "no thumbnail (the image could not be decoded, or is over 64 MiB)" }
                                }
                            }
                            td {
                                (a.name) br;
                                span.muted { (a.kind) ", " (a.media_type) ", " (bytes(a.bytes)) }
                                @if let Some(x) = a.exif_words() { br; (x) }
                            }
                            td { (a.about_words()) }
                            td class=(if a.stored == "intact" { "ok" } else { "bad" }) {
                                code.digest { (a.sha256) } br; (a.stored_words())
                            }
                        }
                    }
                }
            }
        }
    }
}

fn timeline(t: &Timeline, anchor: &str) -> Markup {
    html! {
        h3 id={ "custody-" (anchor) } { "Exhibit " (t.exhibit) }
        table.timeline {
            caption { "Custody timeline of exhibit " (t.exhibit) " (" (t.events.len()) " entries)" }
            thead {
                tr {
                    th scope="col" { "Time" }
                    th scope="col" class="num" { "Entry" }
                    th scope="col" { "Who" }
                    th scope="col" { "What" }
                    th scope="col" { "Where (stated)" }
                    th scope="col" { "Why (stated)" }
                    th scope="col" { "Authority cited" }
                    th scope="col" { "Override" }
                }
            }
            tbody {
                @for e in &t.events {
                    (timeline_row(e))
                }
            }
        }
    }
}

fn timeline_row(e: &TimelineEvent) -> Markup {
    html! {
        tr.override[e.override_reason.is_some()] {
            td {
                (e.time)
                @if e.time_stated { " (stated)" }
                @if e.recorded != e.time {
                    br; span.muted { "recorded " (e.recorded) }
                }
            }
            th.num scope="row" { (e.entry) }
            td { (e.who) br; code.digest { (e.fingerprint) } }
            td { code { (e.kind) } br; (e.what) }
            td { (e.location.as_deref().unwrap_or("")) }
            td { (e.purpose.as_deref().unwrap_or("")) }
            td { (e.authority_words()) }
            td {
                @if let Some(r) = &e.override_reason {
                    strong { "OVERRIDE: " } (r)
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// What was checked now, the ledger's result and problems, the attached
/// timestamps, and the commands a third party runs to repeat it.
fn verification_section(report: &Report, h: &SectionHead) -> Markup {
    let v = &report.verification;
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            h3 { "What was checked when this report was generated" }
            ul {
                @for c in &v.checked { li { (c) } }
            }
            (ledger_result(v))
            p.muted {
                "Record the head hash: a later check with "
                code { "--expect-head" }
                " proves that nothing was removed from the ledger after this report."
            }
            h3 { "Problems" }
            @if v.problems.is_empty() {
                p { "No problem was found." }
            } @else {
                (problems_table(&v.problems))
            }
            @if !report.timestamps.is_empty() {
                (timestamps_table(&report.timestamps))
            }
            h3 { "How a third party repeats these checks" }
            pre { code { (v.commands.iter().map(|c| crate::text::visible(c)).collect::<Vec<_>>().join("\n")) } }
        }
    }
}

/// The ledger verification's result: valid or not, size, head hash, and
/// the root of trust in words.
fn ledger_result(v: &super::Verification) -> Markup {
    let root = serde_name(&v.root_of_trust);
    let (root_class, root_words) = match root.as_str() {
        "trusted" => (
            "ok",
            "trusted: the key that opened the case is one the checker was told to trust",
        ),
        "untrusted" => (
            "bad",
            "UNTRUSTED: the key that opened the case is not one the checker was told to trust",
        ),
        _ => (
            "warn",
            "self-asserted: nobody outside the ledger confirmed which key opened the case",
        ),
    };
    let ok = v.ledger_result == "valid";
    html! {
        table.kv {
            caption { "Result of the ledger verification" }
            tbody {
                tr {
                    th scope="row" { "Ledger" }
                    td class=(if ok { "ok" } else { "bad" }) {
                        @if ok { "VALID: every check passed" } @else { "INVALID: see the problems below" }
                    }
                }
                (row("Entries", html! { (v.entries) }))
                (row("Size", html! { (bytes(v.bytes)) }))
                (row("Head hash", html! {
                    @match &v.head {
                        Some(h) => { code.digest { (h) } }
                        None => { "(empty ledger)" }
                    }
                }))
                tr {
                    th scope="row" { "Root of trust" }
                    td class=(root_class) { (root_words) }
                }
            }
        }
    }
}

/// Every problem the ledger verification reported, with where it is and,
/// for a digest mismatch, what was expected and found.
fn problems_table(problems: &[crate::ledger::Problem]) -> Markup {
    html! {
        table {
            caption { "Problems reported by the ledger verification" }
            thead {
                tr {
                    th scope="col" { "Severity" }
                    th scope="col" { "Code" }
                    th scope="col" class="num" { "Entry" }
                    th scope="col" class="num" { "Offset" }
                    th scope="col" { "Path" }
                    th scope="col" { "Message" }
                }
            }
            tbody {
                @for p in problems {
                    @let sev = serde_name(&p.severity);
                    tr {
                        td class=(if sev == "error" { "bad" } else { "warn" }) { (sev) }
                        th scope="row" { code { (p.code) } }
                        td.num { (opt_num(p.entry)) }
                        td.num { (opt_num(p.offset)) }
                        td.mono { (p.path.as_deref().unwrap_or("")) }
                        td.msg {
                            (p.message)
                            @if let Some(e) = &p.expected {
                                br; "expected: " code.digest { (e) }
                            }
                            @if let Some(f) = &p.found {
                                br; "found: " code.digest { (f) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The attached RFC 3161 timestamps, each with its verdict and the check
/// of every level.
fn timestamps_table(timestamps: &[super::TimestampRow]) -> Markup {
    html! {
        h3 { "Trusted timestamps (RFC 3161)" }
        table {
            caption { "Timestamps by time-stamping authorities attached to the case, checked now" }
            thead {
                tr {
                    th scope="col" class="num" { "Entry" }
                    th scope="col" { "genTime" }
                    th scope="col" { "TSA" }
                    th scope="col" { "Serial" }
                    th scope="col" { "Covers" }
                    th scope="col" { "Verdict" }
                }
            }
            tbody {
                @for t in timestamps {
                    tr {
                        td.num { (t.entry) }
                        td { (t.gen_time) }
                        td { (t.tsa) }
                        td.mono { (t.serial) }
                        td { (t.covers) }
                        td class=(match t.verdict.as_str() { "verified" => "ok", "unverified-chain" => "warn", _ => "bad" }) {
                            (t.verdict)
                            @for d in &t.details { br; (d) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reliability
// ---------------------------------------------------------------------------

fn reliability_section(report: &Report, h: &SectionHead, o: &Outline) -> Markup {
    let r = &report.reliability;
    let t = &report.tool;
    let failed = r.selftests.iter().filter(|s| !s.passed).count();
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            @if r.all_passed {
                p.notice.ok { "All " (r.selftests.len()) " known-answer self-tests PASSED when this report was generated." }
            } @else {
                p.notice.bad {
                    strong { "SELF-TEST FAILURE: " }
                    (failed) " of " (r.selftests.len())
                    " known-answer self-tests FAILED when this report was generated: this executable does not give the published answers, and its results must not be relied on."
                }
            }
            table {
                caption { "Known-answer self-tests run by this executable when the report was generated" }
                thead {
                    tr {
                        th scope="col" { "Test" }
                        th scope="col" { "Source of the vector" }
                        th scope="col" { "Expected" }
                        th scope="col" { "Computed" }
                        th scope="col" { "Result" }
                    }
                }
                tbody {
                    @for s in &r.selftests {
                        tr {
                            th scope="row" { (s.name) }
                            td { (s.source) }
                            td { code.digest { (s.expected) } }
                            td { code.digest { (s.computed) } }
                            td class=(if s.passed { "ok" } else { "bad" }) {
                                @if s.passed { "PASS" } @else { "FAIL" }
                            }
                        }
                    }
                }
            }
            table.kv {
                caption { "The program that generated this report (the programs that acquired the exhibits are named in " (o.reference(Section::Exhibits)) ")" }
                tbody {
                    (row("Tool", html! { (t.name) }))
                    (row("Version", html! { (t.version) }))
                    (row("Source commit", html! { "not recorded" }))
                    (row("Platform", html! { (t.platform) }))
                    (row("Executable SHA-256", html! {
                        @match &t.exe_sha256 {
                            Some(h) => { code.digest { (h) } }
                            None => { "(could not be computed)" }
                        }
                    }))
                    (row("Specification", html! { (r.spec) }))
                    (row("Independent verifier", html! { (r.independent_verifier) }))
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Signers, standards, certification, limitations
// ---------------------------------------------------------------------------

fn signers_section(report: &Report, h: &SectionHead) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            @if report.signers.is_empty() {
                p { "No signer is recorded." }
            } @else {
                table {
                    caption { "Keys authorised to sign entries of this case. Principals and roles are as stated when each key was added; a role limits what the key may record and is not a qualification." }
                    thead {
                        tr {
                            th scope="col" { "Principal (stated)" }
                            th scope="col" { "Role (stated)" }
                            th scope="col" { "Key fingerprint" }
                            th scope="col" class="num" { "Added (entry)" }
                            th scope="col" { "Added" }
                            th scope="col" { "Revoked" }
                        }
                    }
                    tbody {
                        @for s in &report.signers {
                            tr {
                                th scope="row" { (s.principal) }
                                td { (s.role) }
                                td { code.digest { (s.fingerprint) } }
                                td.num { (s.added_entry) }
                                td { (s.added) }
                                td { (s.revoked.as_deref().unwrap_or("no")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn standards_section(report: &Report, h: &SectionHead) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            table {
                caption { (super::standards::CAPTION) }
                thead {
                    tr {
                        th scope="col" { "Framework" }
                        th scope="col" { "Principle" }
                        th scope="col" { "Proven by the ledger or a check for this report" }
                        th scope="col" { "Only the examiner's statement" }
                        th scope="col" { "Not covered by custodian" }
                    }
                }
                tbody {
                    @for s in &report.standards {
                        tr {
                            td { (s.framework) }
                            th scope="row" { (s.principle) }
                            td { (s.proven) }
                            td { (s.stated) }
                            td { (s.not_covered) }
                        }
                    }
                }
            }
        }
    }
}

fn certification_section(report: &Report, h: &SectionHead) -> Markup {
    html! {
        @if let Some(c) = &report.certification {
            section.major id=(h.anchor) {
                h2 { (h.heading()) }
                p.muted { "The certifier is a signer of the case, identified from the ledger; the qualifications, the place and the statement are the certifier's own, to be signed by hand." }
                table.kv {
                    caption { "Certifying examiner" }
                    tbody {
                        (row("Certifier (principal, from the ledger)", html! { (c.principal) }))
                        (row("Key fingerprint", html! { code.digest { (c.fingerprint) } }))
                        (row("Role", html! { (c.role) " (entry " (c.signer_entry) ")" }))
                        (row("Qualifications", html! { (c.qualifications) " " span.muted { "(" (c.qualifications_basis) ")" } }))
                        (row("Declaration", html! { (c.declaration_title) " " code { (c.declaration.as_str()) } }))
                        (row("Date", html! { (c.date) }))
                        (row("Place", html! { (c.place) " " span.muted { "(stated by the certifier)" } }))
                        (row("Evidence", html! { (super::certify::evidence_examined_label(&c.evidence_examined)) }))
                    }
                }
                h3 { (c.declaration_title) }
                @for para in c.statement.split("\n\n") {
                    p.statement { (para) }
                }
                div.signature-lines {
                    div { "Signature" }
                    div { "Date" }
                }
            }
        }
    }
}

fn limitations_section(report: &Report, h: &SectionHead) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            p { "This report does not prove:" }
            ul {
                @for l in &report.limitations { li { (l) } }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Appendix
// ---------------------------------------------------------------------------

/// The appendix: the complete file lists cut short in the exhibits
/// section; or, when they were written to a separate file, which file,
/// with its digest.
fn appendix_section(report: &Report, h: &SectionHead, o: &Outline) -> Markup {
    html! {
        section.major id=(h.anchor) {
            h2 { (h.heading()) }
            @match &report.appendix {
                Some(a) => {
                    p.notice { (a.sentences()) }
                }
                None => {
                    (appendix_tables(report, o, 3))
                }
            }
        }
    }
}

/// The complete file list of each exhibit of the appendix under a
/// heading of `level` (2 or 3), with [`FILE_ROWS`] where its rows go.
fn appendix_tables(report: &Report, o: &Outline, level: u8) -> Markup {
    let long: Vec<&ExhibitSection> = super::appendix::exhibits(report).collect();
    html! {
        @if long.is_empty() {
            p { "No exhibit has more than " (INLINE_FILES) " files: every file is listed in " (o.reference(Section::Exhibits)) " of the report." }
        } @else {
            p {
                "Every regular file of each exhibit with more than " (INLINE_FILES)
                " files, with the digests recorded at acquisition."
            }
        }
        @for x in long {
            @let id = format!("appendix-{}", o.exhibit_anchor(&x.id));
            @if level == 2 {
                h2 id=(id) { "Exhibit " (x.id) }
            } @else {
                h3 id=(id) { "Exhibit " (x.id) }
            }
            (file_table(PreEscaped(FILE_ROWS.to_string()), &html! {
                "All " (x.file_list.len()) " files of exhibit " (x.id)
            }))
        }
    }
}

// ---------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------

/// A two-column row: the label as a row header.
fn row(label: &str, value: Markup) -> Markup {
    html! {
        tr { th scope="row" { (label) } td { (value) } }
    }
}

/// An examiner's statement, or "not stated".
fn stated(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or(NOT_STATED)
}

fn opt_num(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn join_nums(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

/// Exact byte count, with a binary-unit approximation for readers.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{n} bytes ({v:.1} {})", UNITS[u])
}

/// The JSON spelling of a unit enum (so HTML and JSON use the same words).
fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_exact_then_approximate() {
        assert_eq!(bytes(12), "12 bytes");
        assert_eq!(bytes(2048), "2048 bytes (2.0 KiB)");
    }

    #[test]
    fn every_verdict_value_has_words() {
        for (k, v) in [
            ("ledger", "intact"),
            ("ledger", "not-as-recorded"),
            ("evidence", "intact"),
            ("evidence", "changed"),
            ("evidence", "not-checked"),
            ("custody", "continuous"),
            ("custody", "findings"),
        ] {
            assert_ne!(crate::report::verdict(k, v).1, "Unknown", "{k}={v}");
        }
    }
}
