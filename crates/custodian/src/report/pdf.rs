//! The report as PDF (PDF/A-2b), typeset by custodian itself ([`crate::typeset`]).
//!
//! The PDF renders the same model as every other format. Page 1 carries the
//! case, the three verdicts and the findings; the contents follow; every
//! page's footer names the case, the page ("page X of Y") and the first 16
//! hex digits of the model's SHA-256 ([`model_sha256`]), so a loose page
//! can be matched to its report and the report to its JSON form. The file
//! lists are the appendix, one compact monospace block per file, or a
//! separate PDF ([`write_appendix`]) under the rule every format follows
//! ([`super::appendix`]).
//!
//! Values reach the Typst template only as JSON data (see [`crate::typeset`]):
//! a description containing markup is printed as written. Given the same
//! model, paper and generation time, the bytes are the same: the document
//! identifier is the model's digest and the creation date the generation
//! time.

use std::io::{self, Write};

use serde::Serialize;

use super::outline::outline;
use super::{ExhibitSection, FileRow, Report, Summary, TimelineEvent, Verification, NOT_STATED};
use crate::typeset::{Document, Listing, ListingLine, PdfMeta, TypesetError};

/// The main report's template.
const TEMPLATE: &str = include_str!("pdf.typ");

/// The paper a PDF is set on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paper {
    #[default]
    A4,
    UsLetter,
}

impl Paper {
    /// Width and height in points.
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::UsLetter => (612.0, 792.0),
        }
    }

    fn typst_name(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::UsLetter => "us-letter",
        }
    }
}

/// Why a PDF report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(transparent)]
    Typeset(#[from] TypesetError),
    #[error("cannot read the file lists for the PDF report: {0}")]
    Rows(#[from] super::files::ManifestChanged),
    #[error("a PDF report with {rows} file rows inline would take about {mib} MiB of memory to typeset (more than {INLINE_PDF_ROWS} rows): write the file lists to the separate appendix", mib = rows * 33 / 1024)]
    TooLong { rows: u64 },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The most file rows a PDF report typesets inline. The Typst layout
/// engine holds about 32 KB a row until the PDF is written (3.2 GB for
/// 100,000 rows, measured); past this the rows must go to the separate
/// appendix, which is drawn page by page ([`write_appendix`]).
pub const INLINE_PDF_ROWS: u64 = 5_000;

impl From<PdfError> for io::Error {
    fn from(e: PdfError) -> io::Error {
        match e {
            PdfError::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// The SHA-256 of the report's JSON model with its file lists inline: the
/// bytes [`super::write_json`] writes for [`Report::inline_form`], which
/// are what `custodian report --format json --appendix inline` prints for
/// the same case, options and generation time. Inline whatever the
/// placement, so that the PDF, its separate appendix and the JSON report
/// all name one digest. Streamed: the file lists are read from the
/// manifests, not held.
pub fn model_sha256(report: &Report) -> io::Result<String> {
    let mut sink = io::sink();
    let mut m = super::appendix::Measuring::new(&mut sink);
    super::write_json(&report.inline_form(), &mut m)?;
    Ok(m.finish().0)
}

/// How a report is set as PDF: the paper, and the model's digest that
/// every page names ([`model_sha256`], one pass over every file row, made
/// once for the report and its separate appendix).
#[derive(Debug, Clone)]
pub struct PdfOptions {
    pub paper: Paper,
    model_sha256: String,
}

impl PdfOptions {
    /// The options for `report` on `paper`. The digest is of the inline
    /// form, so it holds before and after the appendix is written
    /// separately ([`Report::set_appendix`]).
    pub fn new(report: &Report, paper: Paper) -> io::Result<Self> {
        Ok(PdfOptions {
            paper,
            model_sha256: model_sha256(report)?,
        })
    }
}

/// Writes the report as one PDF to `w`.
pub fn write(report: &Report, opts: &PdfOptions, w: &mut dyn Write) -> Result<(), PdfError> {
    let rows = super::appendix::rows(report);
    if report.appendix.is_none() && rows > INLINE_PDF_ROWS {
        return Err(PdfError::TooLong { rows });
    }
    let digest = &opts.model_sha256;
    let data = Data::of(report, opts.paper, digest)?;
    let doc = Document {
        name: "PDF report",
        template: TEMPLATE,
        files: vec![(
            "/data.json".to_owned(),
            serde_json::to_vec(&data).map_err(io::Error::other)?,
        )],
    };
    let pdf = doc.typeset()?.pdf(&meta(report, digest))?;
    w.write_all(&pdf)?;
    Ok(())
}

/// Writes the report's separate appendix (the complete file lists of
/// [`super::appendix::exhibits`]) as a PDF to `w`: the writer that
/// [`super::appendix::write_separate`] is given for PDF reports.
///
/// Set as a [`Listing`] (monospace lines drawn page by page), not by the
/// Typst layout engine, so that its memory does not grow with the rows:
/// the rows are read from the manifests twice, once to count the pages
/// (every footer says "page X of Y"), once to draw them.
pub fn write_appendix(
    report: &Report,
    opts: &PdfOptions,
    w: &mut dyn Write,
) -> Result<(), PdfError> {
    let digest = &opts.model_sha256;
    let listing = Listing {
        size: opts.paper.size(),
        name: "PDF appendix",
        header: format!(
            "Complete file lists: appendix of the admissibility report of case {}, generated {}",
            report.case.case_id, report.generated_at
        ),
        footer: format!("Case {}", report.case.case_id),
        footer_right: format!("report model SHA-256 {}…", &digest[..16]),
    };
    let mut count = listing.count();
    appendix_lines(report, listing.columns(), &mut |l| {
        count.push(&l);
    })?;
    let mut meta = meta(report, digest);
    meta.ident.push_str("-appendix");
    let mut out = listing.writer(&meta, count.pages())?;
    appendix_lines(report, listing.columns(), &mut |l| out.push(l))?;
    w.write_all(&out.finish()?)?;
    Ok(())
}

/// The lines of the separate appendix, given one at a time to `line`.
fn appendix_lines(
    report: &Report,
    columns: usize,
    line: &mut dyn FnMut(ListingLine),
) -> Result<(), PdfError> {
    let intro = "This file is the separate appendix of the report named above, which states this file's SHA-256, size and number of rows: a file whose SHA-256 differs is not the one written with that report. Each file is listed as its exhibit's manifest records it (the manifest's SHA-256 is signed in the acquisition entry): with one algorithm, the digest, the size in bytes and the path on one line; with several, the size and the path, then one line per digest.";
    for l in wrap(intro, columns, 0) {
        line(ListingLine::Text(l));
    }
    for x in super::appendix::exhibits(report) {
        line(ListingLine::Blank);
        line(ListingLine::Heading(format!(
            "Exhibit {}: {} files ({})",
            x.id,
            x.file_list.len(),
            x.algorithms.join(", ")
        )));
        let mut rows = x.file_list.rows();
        for f in rows.by_ref() {
            for l in file_text(&file_line(&f, &x.algorithms), columns) {
                line(ListingLine::Text(l));
            }
        }
        rows.finish()?;
    }
    Ok(())
}

/// One file of the appendix as lines of at most `columns` characters:
/// `DIGEST SIZE PATH` with one digest, else `SIZE PATH` and a line per
/// digest; a long path continues on indented lines; then any notes.
fn file_text(f: &FileLine, columns: usize) -> Vec<String> {
    let mut out = if let [one] = f.digests.as_slice() {
        wrap(&format!("{one} {} {}", f.size, f.path), columns, 4)
    } else {
        let mut v = wrap(&format!("{} {}", f.size, f.path), columns, 13);
        v.extend(f.digests.iter().map(|d| format!("  {d}")));
        v
    };
    if !f.notes.is_empty() {
        out.extend(wrap(&format!("  {}", f.notes.join("; ")), columns, 4));
    }
    out
}

/// `text` cut into lines of at most `columns` characters, the lines after
/// the first indented by `indent` spaces. Cut anywhere (paths and digests
/// have no spaces to break at); no character is dropped.
fn wrap(text: &str, columns: usize, indent: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() || out.is_empty() {
        let room = if out.is_empty() {
            columns
        } else {
            columns.saturating_sub(indent).max(1)
        };
        let end = (at + room).min(chars.len());
        let pad = if out.is_empty() { 0 } else { indent };
        out.push(format!(
            "{}{}",
            " ".repeat(pad),
            chars[at..end].iter().collect::<String>()
        ));
        at = end;
    }
    out
}

/// What the PDF says about itself: the model's digest as its identifier,
/// the generation time as its creation date.
fn meta(report: &Report, digest: &str) -> PdfMeta {
    let created = chrono::DateTime::parse_from_rfc3339(&report.generated_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    PdfMeta {
        ident: format!("custodian-report-{digest}"),
        created,
        archival: true,
    }
}

/// The template's data: the model's sections (file lists left out: they
/// are streamed into `files`), the outline and the verdicts in words.
#[derive(Serialize)]
struct Data<'a> {
    paper: &'static str,
    not_stated: &'static str,
    model_sha256: &'a str,
    generated_at: &'a str,
    tool: &'a super::ToolInfo,
    basis: &'a str,
    case: &'a super::CaseSection,
    verdicts: Vec<VerdictWords>,
    summary: &'a Summary,
    exhibits: Vec<ExhibitView<'a>>,
    timelines: Vec<TimelineView<'a>>,
    verification: &'a Verification,
    timestamps: &'a [super::TimestampRow],
    attachments: Vec<AttachmentView<'a>>,
    reliability: &'a super::Reliability,
    signers: &'a [super::SignerRow],
    standards: &'a [super::StandardRow],
    certification: Option<&'a super::Certification>,
    limitations: &'a [String],
    sections: Vec<SectionView>,
    /// The separate appendix, when the file lists went there.
    appendix: Option<&'a super::appendix::AppendixInfo>,
    /// The file lists printed in this PDF's appendix (none when separate).
    files: Vec<FileListView>,
}

/// An attachment as the PDF lists it (no thumbnail: the HTML report has
/// them).
#[derive(Serialize)]
struct AttachmentView<'a> {
    entry: u64,
    name: &'a str,
    kind: &'a str,
    media_type: &'a str,
    bytes: u64,
    sha256: &'a str,
    about: String,
    exif: Option<String>,
    stored: String,
    stored_ok: bool,
}

#[derive(Serialize)]
struct VerdictWords {
    label: &'static str,
    kind: &'static str,
    value: String,
    class: &'static str,
    headline: &'static str,
    sentence: &'static str,
}

#[derive(Serialize)]
struct SectionView {
    key: &'static str,
    heading: String,
    anchor: String,
}

#[derive(Serialize)]
struct ExhibitView<'a> {
    x: ExhibitFacts<'a>,
    provenance: Vec<super::ProvenanceRow>,
    binary_match_words: &'static str,
    /// How many files the exhibit lists, and the first of them
    /// ([`super::INLINE_FILES`]); the rest are in the appendix.
    listed: usize,
    first: Vec<FileLine>,
}

/// An exhibit's section without its file list (serialised by reference).
#[derive(Serialize)]
struct ExhibitFacts<'a> {
    id: &'a str,
    description: &'a Option<String>,
    source: &'a Option<String>,
    authority: &'a Option<String>,
    acquired_entry: u64,
    acquired_by: &'a str,
    acquired_by_fingerprint: String,
    started: &'a str,
    finished: &'a str,
    acquired_with: &'a super::AcquiringTool,
    host: &'a str,
    algorithms: &'a [String],
    roots: &'a [String],
    files: u64,
    bytes: u64,
    errors: u64,
    changed_during_read: u64,
    manifest_path: &'a str,
    manifest_sha256: &'a str,
    state: &'a str,
    holder: &'a str,
    location: &'a Option<String>,
    seal: &'a Option<String>,
    digests: &'a std::collections::BTreeMap<String, String>,
    audit: &'a Option<crate::audit::ExhibitAudit>,
    hashsets: &'a Option<super::HashsetSummary>,
}

#[derive(Serialize)]
struct TimelineView<'a> {
    exhibit: &'a str,
    events: Vec<EventView<'a>>,
}

#[derive(Serialize)]
struct EventView<'a> {
    #[serde(flatten)]
    e: &'a TimelineEvent,
    authority_words: String,
}

#[derive(Serialize)]
struct FileListView {
    id: String,
    algorithms: Vec<String>,
    rows: Vec<FileLine>,
}

/// One file as the compact appendix prints it.
#[derive(Serialize)]
struct FileLine {
    path: String,
    size: String,
    /// `algorithm digest`, one per algorithm of the exhibit.
    digests: Vec<String>,
    /// Read error, hash-set marks.
    notes: Vec<String>,
}

impl<'a> Data<'a> {
    fn of(r: &'a Report, paper: Paper, digest: &'a str) -> Result<Self, PdfError> {
        let o = outline(r);
        let sections = o
            .heads()
            .iter()
            .map(|h| SectionView {
                key: h.section.anchor(),
                heading: h.heading(),
                anchor: h.anchor.clone(),
            })
            .collect();
        let s = &r.summary;
        let verdicts = vec![
            verdict_words("Ledger", "ledger", &s.ledger),
            verdict_words("Evidence", "evidence", &s.evidence),
            verdict_words("Chain of custody", "custody", &s.custody),
        ];
        // A separate appendix holds the lists; else they are printed here.
        let files = if r.appendix.is_some() {
            Vec::new()
        } else {
            super::appendix::exhibits(r)
                .map(file_list)
                .collect::<Result<_, _>>()?
        };
        Ok(Data {
            paper: paper.typst_name(),
            not_stated: NOT_STATED,
            model_sha256: digest,
            generated_at: &r.generated_at,
            tool: &r.tool,
            basis: &r.basis,
            case: &r.case,
            verdicts,
            summary: s,
            exhibits: r.exhibits.iter().map(exhibit_view).collect(),
            timelines: r
                .timelines
                .iter()
                .map(|t| TimelineView {
                    exhibit: &t.exhibit,
                    events: t
                        .events
                        .iter()
                        .map(|e| EventView {
                            e,
                            authority_words: e.authority_words(),
                        })
                        .collect(),
                })
                .collect(),
            verification: &r.verification,
            timestamps: &r.timestamps,
            attachments: r
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    entry: a.entry,
                    name: &a.name,
                    kind: &a.kind,
                    media_type: &a.media_type,
                    bytes: a.bytes,
                    sha256: &a.sha256,
                    about: a.about_words(),
                    exif: a.exif_words(),
                    stored: a.stored_words(),
                    stored_ok: a.stored == "intact",
                })
                .collect(),
            reliability: &r.reliability,
            signers: &r.signers,
            standards: &r.standards,
            certification: r.certification.as_ref(),
            limitations: &r.limitations,
            sections,
            appendix: r.appendix.as_ref(),
            files,
        })
    }
}

fn verdict_words(label: &'static str, kind: &'static str, value: &str) -> VerdictWords {
    let (class, headline, sentence) = super::verdict(kind, value);
    VerdictWords {
        label,
        kind,
        value: value.to_owned(),
        class,
        headline,
        sentence,
    }
}

fn exhibit_view(x: &ExhibitSection) -> ExhibitView<'_> {
    ExhibitView {
        x: ExhibitFacts {
            id: &x.id,
            description: &x.description,
            source: &x.source,
            authority: &x.authority,
            acquired_entry: x.acquired_entry,
            acquired_by: &x.acquired_by,
            acquired_by_fingerprint: x.acquired_by_fingerprint.to_string(),
            started: &x.started,
            finished: &x.finished,
            acquired_with: &x.acquired_with,
            host: &x.host,
            algorithms: &x.algorithms,
            roots: &x.roots,
            files: x.files,
            bytes: x.bytes,
            errors: x.errors,
            changed_during_read: x.changed_during_read,
            manifest_path: &x.manifest_path,
            manifest_sha256: &x.manifest_sha256,
            state: &x.state,
            holder: &x.holder,
            location: &x.location,
            seal: &x.seal,
            digests: &x.digests,
            audit: &x.audit,
            hashsets: &x.hashsets,
        },
        provenance: x.provenance.rows(&x.host),
        binary_match_words: x.binary_match_words(),
        listed: x.file_list.len(),
        first: x
            .file_list
            .first()
            .iter()
            .map(|f| file_line(f, &x.algorithms))
            .collect(),
    }
}

/// The complete file list of one exhibit, read from its manifest.
fn file_list(x: &ExhibitSection) -> Result<FileListView, PdfError> {
    let mut rows = Vec::with_capacity(x.file_list.len());
    let mut it = x.file_list.rows();
    for f in it.by_ref() {
        rows.push(file_line(&f, &x.algorithms));
    }
    it.finish()?;
    Ok(FileListView {
        id: x.id.to_string(),
        algorithms: x.algorithms.clone(),
        rows,
    })
}

/// Hex digits of an algorithm's digest, so that a missing one keeps the
/// column.
fn digest_width(algorithm: &str) -> usize {
    algorithm
        .parse::<crate::hashing::Algorithm>()
        .map_or(0, |a| a.hex_len().min(DIGEST_LINE))
}

/// Hex digits on one line of a file list: a SHA-512 takes two.
const DIGEST_LINE: usize = 64;

fn file_line(f: &FileRow, algorithms: &[String]) -> FileLine {
    let mut digests = Vec::new();
    for a in algorithms {
        match f.digests.get(a) {
            Some(d) => {
                for (i, part) in d.as_bytes().chunks(DIGEST_LINE).enumerate() {
                    let label = if i == 0 { a.as_str() } else { "" };
                    digests.push(format!("{label:<6} {}", String::from_utf8_lossy(part)));
                }
            }
            None => digests.push(format!("{a:<6} {:<1$}", "(none)", digest_width(a))),
        }
    }
    let mut notes = Vec::new();
    if let Some(e) = &f.error {
        notes.push(format!("read error: {e}"));
    }
    if f.known_good {
        notes.push("known-good".to_owned());
    }
    notes.extend(f.hashsets.iter().map(|h| format!("in {h}")));
    FileLine {
        path: f.path.clone(),
        size: f
            .size
            .map_or_else(|| format!("{:>12}", "-"), |n| format!("{n:>12}")),
        digests,
        notes,
    }
}
