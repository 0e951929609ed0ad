//! Typesetting: the PDF, PNG and SVG that custodian writes itself (PDF
//! reports, exhibit labels), offline, with no browser.
//!
//! Built on the Typst compiler used as a library. A document is a fixed
//! Typst template shipped inside custodian plus *data* files (JSON, images)
//! that the template reads with `json(…)` / `image(…)`: values from a case
//! never pass through Typst's markup parser, so a description or a path
//! containing `*`, `#`, `$` or `]` is set as the text it is, never
//! interpreted (a hostile exhibit description cannot restyle or rewrite a
//! report).
//!
//! Everything a document depends on is inside the binary: the template, the
//! data the caller gives, and the DejaVu fonts (`assets/fonts`, licence
//! beside them). No system font, file, clock or package is read, so the
//! same inputs give the same pages on every machine, and — with the
//! document identifier and creation time given by the caller — the same
//! PDF bytes.
//!
//! Characters that DejaVu has no glyph for (CJK, for example) are drawn as
//! blank boxes; the PDF's text layer still holds the characters. The JSON
//! report stays the authoritative text (docs/guide/report-pdf.md).

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The fonts every custodian document is set in (DejaVu 2.37).
const FONTS: &[&[u8]] = &[
    include_bytes!("../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../assets/fonts/DejaVuSans-Oblique.ttf"),
    include_bytes!("../assets/fonts/DejaVuSansMono.ttf"),
    include_bytes!("../assets/fonts/DejaVuSansMono-Bold.ttf"),
];

/// Why a document could not be set.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    /// The template failed to compile or lay out: a defect of custodian's
    /// template (or data it did not expect), never of the case.
    #[error("cannot typeset the {document}: {message}")]
    Compile {
        document: &'static str,
        message: String,
    },
    #[error("cannot write the {document} as PDF: {message}")]
    Pdf {
        document: &'static str,
        message: String,
    },
    #[error("cannot write page {page} of the {document} as PNG: {message}")]
    Png {
        document: &'static str,
        page: usize,
        message: String,
    },
    #[error("the {document} has no page {page}")]
    NoPage { document: &'static str, page: usize },
}

/// A document to set: a template and the files it reads.
pub struct Document {
    /// What it is, for error messages ("PDF report", "label").
    pub name: &'static str,
    /// The Typst template (custodian's own, fixed text).
    pub template: &'static str,
    /// Files the template reads, by the path it names them with
    /// (`/data.json`, `/qr-1.svg`).
    pub files: Vec<(String, Vec<u8>)>,
}

/// A laid-out document: its pages, ready to be written.
pub struct Pages {
    name: &'static str,
    doc: PagedDocument,
}

/// What a PDF says about itself. Given, never read from a clock or made
/// at random: it is what makes the bytes reproducible.
pub struct PdfMeta {
    /// The document identifier (the PDF trailer's `/ID`), e.g. derived from
    /// the digest of what the document renders.
    pub ident: String,
    /// Creation time (UTC).
    pub created: chrono::DateTime<chrono::Utc>,
    /// PDF/A-2b (archival): fonts embedded, XMP metadata, no transparency
    /// groups or encryption.
    pub archival: bool,
}

impl Document {
    /// Compiles and lays out the document.
    pub fn typeset(&self) -> Result<Pages, TypesetError> {
        let world = DocWorld::new(self);
        let warned = typst::compile::<PagedDocument>(&world);
        let doc = warned.output.map_err(|errors| TypesetError::Compile {
            document: self.name,
            message: diagnostics(&errors),
        })?;
        Ok(Pages {
            name: self.name,
            doc,
        })
    }
}

impl Pages {
    /// How many pages.
    pub fn len(&self) -> usize {
        self.doc.pages().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The document as one PDF.
    pub fn pdf(&self, meta: &PdfMeta) -> Result<Vec<u8>, TypesetError> {
        let pdf_err = |message: String| TypesetError::Pdf {
            document: self.name,
            message,
        };
        let standards = if meta.archival {
            typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_2b])
                .map_err(|e| pdf_err(e.message().to_string()))?
        } else {
            typst_pdf::PdfStandards::default()
        };
        let options = typst_pdf::PdfOptions {
            ident: Smart::Custom(meta.ident.clone()),
            creator: Smart::Custom(Some(format!("custodian {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(typst_pdf::Timestamp::new_utc(datetime(meta.created))),
            standards,
            ..typst_pdf::PdfOptions::default()
        };
        typst_pdf::pdf(&self.doc, &options).map_err(|e| pdf_err(diagnostics(&e)))
    }

    /// Page `page` (from 0) as a PNG image at `ppi` pixels per inch.
    pub fn png(&self, page: usize, ppi: f32) -> Result<Vec<u8>, TypesetError> {
        let p = self.page(page)?;
        let opts = typst_render::RenderOptions {
            pixel_per_pt: (f64::from(ppi) / 72.0).into(),
            render_bleed: false,
        };
        let pixmap = typst_render::render(p, &opts);
        pixmap.encode_png().map_err(|e| TypesetError::Png {
            document: self.name,
            page,
            message: e.to_string(),
        })
    }

    /// Page `page` (from 0) as an SVG image (text as outlines, fonts not
    /// needed to view it).
    pub fn svg(&self, page: usize) -> Result<String, TypesetError> {
        let opts = typst_svg::SvgOptions {
            render_bleed: false,
            pretty: false,
        };
        Ok(typst_svg::svg(self.page(page)?, &opts))
    }

    fn page(&self, page: usize) -> Result<&typst_layout::Page, TypesetError> {
        self.doc.pages().get(page).ok_or(TypesetError::NoPage {
            document: self.name,
            page,
        })
    }
}

/// The errors of a failed compilation, one line.
fn diagnostics(d: &[SourceDiagnostic]) -> String {
    let msgs: Vec<String> = d
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.to_string())
        .collect();
    if msgs.is_empty() {
        "unknown error".to_owned()
    } else {
        msgs.join("; ")
    }
}

fn datetime(t: chrono::DateTime<chrono::Utc>) -> Datetime {
    use chrono::{Datelike, Timelike};
    // Every field is in range by construction of a chrono time (years of
    // custodian's times are four-digit).
    Datetime::from_ymd_hms(
        t.year(),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_else(|| Datetime::from_ymd(1970, 1, 1).expect("a valid date"))
}

/// The fonts and the standard library, made once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = FONTS
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        Shared {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

/// The world a document is compiled in: its template as `/main.typ`, its
/// files, the embedded fonts, and no clock (`datetime.today()` fails).
struct DocWorld {
    main: FileId,
    source: Source,
    files: HashMap<FileId, Bytes>,
}

fn file_id(path: &str) -> FileId {
    // Paths are custodian's own constants or made by custodian from
    // numbers; a path Typst refuses is a defect caught by the tests.
    let vpath = VirtualPath::new(path).expect("a valid virtual path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl DocWorld {
    fn new(doc: &Document) -> Self {
        let main = file_id("/main.typ");
        let files = doc
            .files
            .iter()
            .map(|(path, bytes)| (file_id(path), Bytes::new(bytes.clone())))
            .collect();
        DocWorld {
            main,
            source: Source::new(main, doc.template.to_owned()),
            files,
        }
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.source.clone()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::Other(Some("not part of the document".into())))
    }

    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

/// A long listing (one file a line, thousands of pages) set directly in
/// monospace type, page after page, without the Typst layout engine: its
/// memory grows with the PDF written, not with a layout of every line
/// (Typst held about 30 KB a line). Lines are cut to [`Listing::columns`]
/// characters by the caller; each page has a header line and a footer
/// ("FOOTER — page X of Y", and `footer_right`).
///
/// Lines are pushed twice: once to a [`PageCount`] (how many pages), then
/// to the [`ListingWriter`] that draws them, so every footer's "of Y" is
/// known before the first page is drawn and the rows are never held.
pub struct Listing {
    /// Page width and height in points.
    pub size: (f32, f32),
    /// What it is, for error messages.
    pub name: &'static str,
    /// Printed at the top of every page.
    pub header: String,
    /// Printed at the foot of every page, left, before "page X of Y".
    pub footer: String,
    /// Printed at the foot of every page, right.
    pub footer_right: String,
}

/// One line of a [`Listing`].
pub enum ListingLine {
    /// Monospace text, at most [`Listing::columns`] characters.
    Text(String),
    /// A heading in bold: it starts a block, so it is never the last line
    /// of a page.
    Heading(String),
    Blank,
}

const LISTING_MARGIN: f32 = 42.0;
const LISTING_SIZE: f32 = 6.5;
const LISTING_LEADING: f32 = 8.0;
/// DejaVu Sans Mono advances 1233/2048 em per character.
const MONO_ADVANCE: f32 = 1233.0 / 2048.0;

impl Listing {
    /// Characters on one line.
    pub fn columns(&self) -> usize {
        ((self.size.0 - 2.0 * LISTING_MARGIN) / (LISTING_SIZE * MONO_ADVANCE)) as usize
    }

    fn lines_per_page(&self) -> usize {
        ((self.size.1 - 2.0 * LISTING_MARGIN - 2.0 * LISTING_LEADING) / LISTING_LEADING) as usize
    }

    /// Counts the pages of the lines pushed to it.
    pub fn count(&self) -> PageCount {
        PageCount {
            per_page: self.lines_per_page(),
            on_page: 0,
            pages: 1,
        }
    }

    /// Draws the lines pushed to it on `pages` pages (from
    /// [`PageCount::pages`] of the same lines).
    pub fn writer(&self, meta: &PdfMeta, pages: usize) -> Result<ListingWriter<'_>, TypesetError> {
        use krilla::text::Font;
        let err = |message: &str| TypesetError::Pdf {
            document: self.name,
            message: message.to_owned(),
        };
        let font = |i: usize| Font::new(FONTS[i].into(), 0).ok_or_else(|| err("unreadable font"));
        let settings = krilla::page::PageSettings::from_wh(self.size.0, self.size.1)
            .ok_or_else(|| err("bad page size"))?;
        let mut doc =
            krilla::Document::new_with(listing_settings(meta.archival).map_err(|e| err(&e))?);
        doc.set_metadata(listing_metadata(meta, &self.header));
        Ok(ListingWriter {
            listing: self,
            doc,
            settings,
            fonts: [font(0)?, font(3)?, font(4)?],
            count: self.count(),
            buf: Vec::with_capacity(self.lines_per_page()),
            drawn: 0,
            pages,
        })
    }
}

/// Pages a listing takes: see [`Listing::count`].
pub struct PageCount {
    per_page: usize,
    on_page: usize,
    pages: usize,
}

impl PageCount {
    /// Takes one line; returns whether it starts a new page.
    pub fn push(&mut self, line: &ListingLine) -> bool {
        let heading = matches!(line, ListingLine::Heading(_));
        // A heading needs a line after it on the same page.
        let full = self.on_page >= self.per_page || (heading && self.on_page + 1 >= self.per_page);
        if full {
            self.pages += 1;
            self.on_page = 0;
        }
        self.on_page += 1;
        full
    }

    pub fn pages(&self) -> usize {
        self.pages
    }
}

/// Draws a [`Listing`] one page at a time: see [`Listing::writer`].
pub struct ListingWriter<'l> {
    listing: &'l Listing,
    doc: krilla::Document,
    settings: krilla::page::PageSettings,
    /// Sans, mono, mono bold.
    fonts: [krilla::text::Font; 3],
    count: PageCount,
    buf: Vec<ListingLine>,
    drawn: usize,
    pages: usize,
}

impl ListingWriter<'_> {
    pub fn push(&mut self, line: ListingLine) {
        if self.count.push(&line) {
            self.page();
        }
        self.buf.push(line);
    }

    /// The PDF. Fails if the lines took another number of pages than the
    /// writer was made for: a footer's "of Y" never lies.
    pub fn finish(mut self) -> Result<Vec<u8>, TypesetError> {
        self.page();
        if self.drawn != self.pages {
            return Err(TypesetError::Pdf {
                document: self.listing.name,
                message: format!("{} pages drawn, {} counted", self.drawn, self.pages),
            });
        }
        self.doc.finish().map_err(|e| TypesetError::Pdf {
            document: self.listing.name,
            message: format!("{e:?}"),
        })
    }

    /// Draws the buffered lines as the next page.
    fn page(&mut self) {
        use krilla::geom::Point;
        use krilla::text::TextDirection;
        let l = self.listing;
        self.drawn += 1;
        let mut page = self.doc.start_page_with(self.settings.clone());
        let mut s = page.surface();
        let [sans, mono, bold] = &self.fonts;
        let mut text = |font: &krilla::text::Font, size: f32, x: f32, y: f32, t: &str| {
            s.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                t,
                false,
                TextDirection::Auto,
            );
        };
        let mut y = LISTING_MARGIN;
        text(sans, 7.5, LISTING_MARGIN, y, &l.header);
        y += 2.0 * LISTING_LEADING;
        for line in self.buf.drain(..) {
            match &line {
                ListingLine::Text(t) => text(mono, LISTING_SIZE, LISTING_MARGIN, y, t),
                ListingLine::Heading(t) => text(bold, 7.0, LISTING_MARGIN, y, t),
                ListingLine::Blank => {}
            }
            y += LISTING_LEADING;
        }
        let foot = l.size.1 - LISTING_MARGIN + 14.0;
        let left = format!("{} — page {} of {}", l.footer, self.drawn, self.pages);
        text(sans, 7.0, LISTING_MARGIN, foot, &left);
        // DejaVu Sans digits and letters average about 0.55 em.
        let right = l.footer_right.chars().count() as f32 * 7.0 * 0.55;
        text(
            sans,
            7.0,
            l.size.0 - LISTING_MARGIN - right,
            foot,
            &l.footer_right,
        );
        s.finish();
        page.finish();
    }
}

fn listing_settings(archival: bool) -> Result<krilla::SerializeSettings, String> {
    use krilla::configure::{Archival, ConfigurationBuilder};
    let mut b = ConfigurationBuilder::new();
    if archival {
        b = b.with_archival_validator(Archival::A2_B);
    }
    Ok(krilla::SerializeSettings {
        configuration: b.finish().map_err(|e| format!("{e:?}"))?,
        enable_tagging: false,
        ..krilla::SerializeSettings::default()
    })
}

fn listing_metadata(meta: &PdfMeta, title: &str) -> krilla::metadata::Metadata {
    use chrono::{Datelike, Timelike};
    let t = meta.created;
    let date = krilla::metadata::DateTime::new(t.year() as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    krilla::metadata::Metadata::new()
        .title(title.to_owned())
        .creator(format!("custodian {}", env!("CARGO_PKG_VERSION")))
        .creation_date(date)
        .document_id(meta.ident.clone())
        .language("en".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(template: &'static str, data: &str) -> Document {
        Document {
            name: "test document",
            template,
            files: vec![("/data.json".to_owned(), data.as_bytes().to_vec())],
        }
    }

    const T: &str = r#"#set page(paper: "a4")
#set text(font: "DejaVu Sans")
#let d = json("/data.json")
#d.text"#;

    fn meta() -> PdfMeta {
        PdfMeta {
            ident: "test".to_owned(),
            created: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            archival: true,
        }
    }

    #[test]
    fn the_same_document_gives_the_same_pdf_bytes() {
        let a = doc(T, r#"{"text": "Exhibit EXH-001"}"#).typeset().unwrap();
        let b = doc(T, r#"{"text": "Exhibit EXH-001"}"#).typeset().unwrap();
        let (pa, pb) = (a.pdf(&meta()).unwrap(), b.pdf(&meta()).unwrap());
        assert!(pa.starts_with(b"%PDF-"));
        assert_eq!(pa, pb);
        let c = doc(T, r#"{"text": "Exhibit EXH-002"}"#).typeset().unwrap();
        assert_ne!(pa, c.pdf(&meta()).unwrap());
    }

    #[test]
    fn data_is_set_as_text_never_as_markup() {
        // Markup in a value would make a heading or evaluate code; as data it
        // is one line of text.
        let p = doc(T, r##"{"text": "= Heading #panic(\"x\") *bold*"}"##)
            .typeset()
            .unwrap();
        assert_eq!(p.len(), 1);
        let svg = p.svg(0).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(p.png(0, 36.0).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn a_template_error_is_an_error_naming_the_document() {
        let e = doc("#panic(\"broken\")", "{}").typeset().err().unwrap();
        let msg = e.to_string();
        assert!(
            msg.contains("test document") && msg.contains("broken"),
            "{msg}"
        );
        let p = doc(T, r#"{"text": "x"}"#).typeset().unwrap();
        assert!(matches!(p.png(3, 72.0), Err(TypesetError::NoPage { .. })));
    }

    #[test]
    fn no_clock_is_read() {
        let e = doc("#datetime.today()", "{}").typeset().err().unwrap();
        assert!(e.to_string().contains("cannot typeset"), "{e}");
    }
}
