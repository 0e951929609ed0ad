//! Labels set by the embedded typesetter ([`crate::typeset`]): the fixed
//! template `label.typ`, one data file with what each label says, and one
//! QR code (SVG) per label. Values from the case reach the template only as
//! data, never as markup.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Label, LabelBody, LabelError, LabelSet};
use crate::typeset::{Document, Pages, PdfMeta};

/// The template (Typst), shipped inside custodian.
const TEMPLATE: &str = include_str!("label.typ");

/// The label sizes (docs/guide/labels.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 62 mm wide continuous tape (Brother QL and similar), one label per
    /// page, as long as its content (about 100 mm for an exhibit).
    Tape62,
    /// 4 × 6 in (101.6 × 152.4 mm) shipping-label stock, one label per page.
    Label4x6,
    /// A4 sheets of 2 × 4 labels of 99.1 × 67.7 mm (the layout of Avery
    /// L7165 / J8165 sheets), eight labels per page.
    SheetA4,
}

impl Size {
    /// The name `--size` takes.
    pub fn name(self) -> &'static str {
        match self {
            Size::Tape62 => "62mm",
            Size::Label4x6 => "4x6in",
            Size::SheetA4 => "a4",
        }
    }

    fn geometry(self) -> Geometry {
        match self {
            Size::Tape62 => Geometry {
                size: self.name(),
                layout: "tape",
                width: 62.0,
                height: None,
                margin: 3.0,
                font: 8.0,
                small: 6.0,
                mono: 7.0,
                title: 10.0,
                qr: 40.0,
                sheet: None,
                ref_cols: 36,
                desc_chars: 120,
                word_chars: 24,
                bag_rows: usize::MAX,
                row_desc_chars: 40,
            },
            Size::Label4x6 => Geometry {
                size: self.name(),
                layout: "card",
                width: 101.6,
                height: Some(152.4),
                margin: 5.0,
                font: 10.0,
                small: 7.5,
                mono: 9.0,
                title: 14.0,
                qr: 50.0,
                sheet: None,
                ref_cols: 46,
                desc_chars: 200,
                word_chars: 28,
                bag_rows: 5,
                row_desc_chars: 24,
            },
            Size::SheetA4 => Geometry {
                size: self.name(),
                layout: "sheet",
                width: 210.0,
                height: Some(297.0),
                margin: 3.5,
                font: 7.5,
                small: 5.5,
                mono: 6.5,
                title: 8.5,
                qr: 34.0,
                sheet: Some(Sheet {
                    cols: 2,
                    rows: 4,
                    cell_w: 99.1,
                    cell_h: 67.7,
                    left: 4.6,
                    top: 13.1,
                    pitch_x: 101.6,
                    pitch_y: 67.7,
                }),
                ref_cols: 62,
                desc_chars: 90,
                word_chars: 24,
                bag_rows: 3,
                row_desc_chars: 30,
            },
        }
    }
}

/// A size's measures: lengths in millimetres, type in points. The
/// template lays out with the first group; the limits below are applied
/// here, so that the template never meets text it cannot fit in width.
#[derive(Debug, Clone, Serialize)]
struct Geometry {
    size: &'static str,
    /// `tape` (one per page, height grows), `card` (one per page, fixed
    /// height) or `sheet` (a grid of cells).
    layout: &'static str,
    width: f64,
    height: Option<f64>,
    margin: f64,
    font: f64,
    small: f64,
    mono: f64,
    title: f64,
    qr: f64,
    sheet: Option<Sheet>,
    /// Characters of the reference per line (monospace, fits the width).
    #[serde(skip)]
    ref_cols: usize,
    /// Characters of a description before it is cut.
    #[serde(skip)]
    desc_chars: usize,
    /// A longer word (no space) gets break opportunities.
    #[serde(skip)]
    word_chars: usize,
    /// Exhibits listed on a bag label before "and N more".
    #[serde(skip)]
    bag_rows: usize,
    #[serde(skip)]
    row_desc_chars: usize,
}

/// Where the cells of a sheet are (millimetres from the page's corner).
#[derive(Debug, Clone, Serialize)]
struct Sheet {
    cols: usize,
    rows: usize,
    cell_w: f64,
    cell_h: f64,
    left: f64,
    top: f64,
    pitch_x: f64,
    pitch_y: f64,
}

/// What the template reads (`/data.json`).
#[derive(Serialize)]
struct Data {
    geometry: Geometry,
    labels: Vec<LabelData>,
}

/// One label as the template shows it: every value is text to set as it
/// is, already cut and made visible.
#[derive(Serialize)]
struct LabelData {
    /// `exhibit` or `bag`.
    kind: &'static str,
    /// Its QR code's file (`/qr-N.svg`).
    qr: String,
    /// The reference in lines that fit the width.
    reference_lines: Vec<String>,
    case: String,
    /// Exhibit labels.
    exhibit: Option<String>,
    description: Option<String>,
    /// The description was cut (the label says the ledger holds it whole).
    cut: bool,
    /// The seal (exhibit label: "not sealed" if none).
    seal: String,
    acquired: Option<String>,
    /// Bag labels.
    sealed: Option<String>,
    rows: Vec<String>,
    /// Exhibits under the seal not listed for want of room.
    more: usize,
    /// How many exhibits are under the seal.
    count: usize,
}

impl LabelSet {
    /// Sets the labels at `size`: one label per page for tape and 4×6,
    /// eight per page on A4. A label that does not fit a fixed size is
    /// [`LabelError::Overflow`].
    pub fn typeset(&self, size: Size) -> Result<Pages, LabelError> {
        let g = size.geometry();
        let mut files = Vec::new();
        let mut labels = Vec::new();
        for (i, label) in self.labels.iter().enumerate() {
            let path = format!("/qr-{}.svg", i + 1);
            files.push((path.clone(), qr_svg(&label.reference.to_string())?));
            labels.push(label_data(label, path, &g));
        }
        let data = Data {
            geometry: g,
            labels,
        };
        let json = serde_json::to_vec(&data).expect("label data serialises");
        files.insert(0, ("/data.json".to_string(), json));
        let doc = Document {
            name: "label",
            template: TEMPLATE,
            files,
        };
        doc.typeset().map_err(|e| self.overflow(e, size))
    }

    /// A template's refusal of a label too long for its size, as
    /// [`LabelError::Overflow`]; any other error as it is.
    fn overflow(&self, e: crate::typeset::TypesetError, size: Size) -> LabelError {
        const MARK: &str = "custodian-label-overflow ";
        let index = e.to_string().split(MARK).nth(1).and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        });
        match index {
            Some(i) => LabelError::Overflow {
                index: i + 1,
                what: self.labels.get(i).map(Label::what).unwrap_or_default(),
                size: size.name(),
            },
            None => e.into(),
        }
    }

    /// What the PDF says about itself: its identifier is made from the
    /// references, its creation time is that of the latest ledger entry
    /// the labels rest on, so the same case and options give the same
    /// bytes.
    pub fn pdf_meta(&self) -> PdfMeta {
        let refs: Vec<String> = self
            .labels
            .iter()
            .map(|l| l.reference.to_string())
            .collect();
        PdfMeta {
            ident: format!("custodian-labels\n{}", refs.join("\n")),
            created: self.rests_on,
            archival: true,
        }
    }
}

/// The QR code of `text` as SVG, one unit per module with the quiet zone
/// of four modules, error correction level M (15 %: a scuffed label
/// still reads).
fn qr_svg(text: &str) -> Result<Vec<u8>, LabelError> {
    use qrcode::{render::svg, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| {
        LabelError::Qr {
            reference: text.to_string(),
            message: e.to_string(),
        }
    })?;
    Ok(code
        .render::<svg::Color>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build()
        .into_bytes())
}

fn label_data(label: &Label, qr: String, g: &Geometry) -> LabelData {
    let mut d = LabelData {
        kind: "exhibit",
        qr,
        reference_lines: reference_lines(&label.reference.to_string(), g.ref_cols),
        case: shown(&label.case, g),
        exhibit: None,
        description: None,
        cut: false,
        seal: String::new(),
        acquired: None,
        sealed: None,
        rows: Vec::new(),
        more: 0,
        count: 0,
    };
    match &label.body {
        LabelBody::Exhibit {
            exhibit,
            description,
            seal,
            acquired,
        } => {
            let (text, cut) = match description {
                Some(s) => cut_to(&crate::text::visible(s), g.desc_chars),
                None => ("not stated".to_string(), false),
            };
            d.exhibit = Some(exhibit.to_string());
            d.description = Some(breakable(&text, g.word_chars));
            d.cut = cut;
            d.seal = seal
                .as_deref()
                .map_or_else(|| "not sealed".to_string(), |s| shown(s, g));
            d.acquired = Some(utc(acquired));
        }
        LabelBody::Bag {
            seal,
            sealed,
            exhibits,
        } => {
            d.kind = "bag";
            d.seal = shown(seal, g);
            d.sealed = Some(utc(sealed));
            d.count = exhibits.len();
            // With one row to spare for "and N more", all fit or the last
            // row says how many did not.
            let listed = if exhibits.len() <= g.bag_rows {
                exhibits.len()
            } else {
                g.bag_rows.saturating_sub(1)
            };
            d.rows = exhibits[..listed]
                .iter()
                .map(|(x, desc)| match desc {
                    Some(s) => {
                        let (s, _) = cut_to(&crate::text::visible(s), g.row_desc_chars);
                        breakable(&format!("{x} \u{2014} {s}"), g.word_chars)
                    }
                    None => x.to_string(),
                })
                .collect();
            d.more = exhibits.len() - listed;
        }
    }
    d
}

/// Ledger text as a label shows it: hidden characters made visible
/// ([`crate::text::visible`]) and long words breakable.
fn shown(s: &str, g: &Geometry) -> String {
    breakable(&crate::text::visible(s), g.word_chars)
}

/// `s` cut to `max` characters with an ellipsis, and whether it was cut.
fn cut_to(s: &str, max: usize) -> (String, bool) {
    if s.chars().count() <= max {
        return (s.to_string(), false);
    }
    let kept: String = s.chars().take(max.saturating_sub(1)).collect();
    (format!("{}\u{2026}", kept.trim_end()), true)
}

/// Words longer than `max` characters get a zero-width space every `max`
/// characters, where the typesetter may break a line (it breaks only
/// between words otherwise, and a long id would run off the label).
fn breakable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        if c.is_whitespace() {
            run = 0;
        } else {
            if run == max {
                out.push('\u{200B}');
                run = 0;
            }
            run += 1;
        }
        out.push(c);
    }
    out
}

/// A ledger time as a label prints it: `2026-03-14 09:12:33 UTC`.
fn utc(time: &str) -> String {
    match crate::time::parse(time) {
        Ok(t) => format_utc(t),
        Err(_) => crate::text::visible(time).into_owned(),
    }
}

fn format_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The reference in lines of at most `cols` characters, broken after a
/// `:` or `,` where a field fits, else within it. A person types the lines
/// as one.
fn reference_lines(text: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for tok in text.split_inclusive([':', ',']) {
        if cur.len() + tok.len() <= cols {
            cur.push_str(tok);
            continue;
        }
        if !cur.is_empty() && tok.len() <= cols {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(tok);
            continue;
        }
        for c in tok.chars() {
            if cur.len() == cols {
                lines.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::{ExhibitRef, HashPrefix, Reference};
    use crate::ledger::{CaseId, EntryHash, ExhibitId};

    fn exhibit(case: &str, i: usize, description: &str) -> Label {
        let id = ExhibitId::parse(&format!("EXH-{i:03}")).unwrap();
        let case = CaseId::parse(case).unwrap();
        Label {
            reference: Reference::Exhibit(ExhibitRef {
                case: case.clone(),
                exhibit: id.clone(),
                hash: HashPrefix::of(&EntryHash([i as u8; 32])),
            }),
            case,
            body: LabelBody::Exhibit {
                exhibit: id,
                description: Some(description.to_string()),
                seal: None,
                acquired: "2026-03-14T09:12:33.000000Z".into(),
            },
        }
    }

    fn set(labels: Vec<Label>) -> LabelSet {
        LabelSet {
            labels,
            rests_on: DateTime::from_timestamp(1_773_479_553, 0).unwrap(),
        }
    }

    #[test]
    fn each_size_sets_one_label_a_page_or_eight_to_a_sheet() {
        let nine = set((0..9).map(|i| exhibit("2026-0042", i, "laptop")).collect());
        assert_eq!(nine.typeset(Size::Tape62).unwrap().len(), 9);
        assert_eq!(nine.typeset(Size::Label4x6).unwrap().len(), 9);
        assert_eq!(nine.typeset(Size::SheetA4).unwrap().len(), 2);
        let pages = nine.typeset(Size::SheetA4).unwrap();
        let (a, b) = (
            pages.pdf(&nine.pdf_meta()).unwrap(),
            pages.pdf(&nine.pdf_meta()).unwrap(),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn ledger_text_is_set_as_text_never_as_markup() {
        let hostile = "= Heading #panic(\"x\") *bold* $x$ ] [ \u{202e}exe.txt \u{1b}[2J";
        let s = set(vec![exhibit(hostile, 1, hostile)]);
        for size in [Size::Tape62, Size::Label4x6, Size::SheetA4] {
            let pages = s.typeset(size).unwrap();
            assert_eq!(pages.len(), 1, "{}", size.name());
        }
    }

    #[test]
    fn a_label_too_long_for_its_size_is_refused_naming_it() {
        let long = "CASE-".repeat(80);
        let s = set(vec![exhibit("short", 1, "x"), exhibit(&long, 2, "x")]);
        for size in [Size::Label4x6, Size::SheetA4] {
            match s.typeset(size) {
                Err(LabelError::Overflow {
                    index,
                    what,
                    size: name,
                }) => {
                    assert_eq!(
                        (index, what.as_str(), name),
                        (2, "exhibit EXH-002", size.name())
                    );
                }
                Err(e) => panic!("{}: {e}", size.name()),
                Ok(_) => panic!("{}: typeset", size.name()),
            }
        }
        assert_eq!(s.typeset(Size::Tape62).unwrap().len(), 2);
    }

    #[test]
    fn a_reference_is_broken_after_its_separators_and_joins_back() {
        let r = "custodian:x1:FR-LYON-2026-0117:EXH-LAPTOP:82d448c6bcc07cd6cb7bfbe30eb7b76f";
        let lines = reference_lines(r, 36);
        assert_eq!(
            lines,
            [
                "custodian:x1:FR-LYON-2026-0117:",
                "EXH-LAPTOP:",
                "82d448c6bcc07cd6cb7bfbe30eb7b76f"
            ]
        );
        for cols in [5, 10, 17, 36, 80] {
            let lines = reference_lines(r, cols);
            assert_eq!(lines.concat(), r, "{cols}");
            assert!(lines.iter().all(|l| l.len() <= cols), "{cols}: {lines:?}");
        }
    }

    #[test]
    fn descriptions_are_cut_with_an_ellipsis_and_long_words_break() {
        assert_eq!(cut_to("short", 10), ("short".to_string(), false));
        let (s, cut) = cut_to("a description that goes on", 10);
        assert!(cut);
        assert_eq!(s, "a descrip\u{2026}");
        assert_eq!(s.chars().count(), 10);
        assert_eq!(breakable("ab cdefg", 3), "ab cde\u{200B}fg");
        assert_eq!(
            utc("2026-12-07T15:55:45.274064Z"),
            "2026-12-07 15:55:45 UTC"
        );
    }

    #[test]
    fn every_size_has_room_for_a_written_reference_line() {
        for size in [Size::Tape62, Size::Label4x6, Size::SheetA4] {
            let g = size.geometry();
            // DejaVu Sans Mono advances 0.602 em; one point is 0.3528 mm.
            let inner = match &g.sheet {
                Some(s) => s.cell_w - 2.0 * g.margin,
                None => g.width - 2.0 * g.margin,
            };
            let needed = g.ref_cols as f64 * 0.602 * g.mono * 0.3528;
            assert!(needed < inner, "{}: {needed} mm > {inner} mm", g.size);
        }
    }
}
