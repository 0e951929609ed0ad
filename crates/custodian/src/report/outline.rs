//! The report's outline: which sections a report has, in which order, with
//! which number, anchor and title.
//!
//! Every renderer takes its table of contents *and* its headings from
//! [`outline`], and refers to another section only through it
//! ([`Outline::reference`]), so that the contents and the headings cannot
//! disagree and no number is left out. Numbered sections are counted 1..N
//! over the sections the report has; a section a report does not have (the
//! certification without `--certify`, the appendix when every file list is
//! shown whole) takes no number. Appendices are lettered A, B … after the
//! numbered sections. The attached timestamps are a part of the
//! verification (section "Verification"), not a section of their own.

use std::collections::BTreeSet;

use super::Report;

/// A section a report may have, in [`ORDER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Case,
    Summary,
    Exhibits,
    Custody,
    Verification,
    Reliability,
    Signers,
    Standards,
    /// Only with `report --certify`.
    Certification,
    Limitations,
    /// The complete file lists of the exhibits with more files than the
    /// exhibit tables show ([`super::INLINE_FILES`]); only when there is
    /// one, or when the lists were written to a separate file
    /// ([`super::appendix`]).
    FileLists,
}

/// Every section, in the order of the report.
pub const ORDER: [Section; 11] = [
    Section::Case,
    Section::Summary,
    Section::Exhibits,
    Section::Custody,
    Section::Verification,
    Section::Reliability,
    Section::Signers,
    Section::Standards,
    Section::Certification,
    Section::Limitations,
    Section::FileLists,
];

impl Section {
    /// The title, the same in the contents and the heading of every
    /// format.
    pub fn title(self) -> &'static str {
        match self {
            Section::Case => "Case",
            Section::Summary => "Summary of findings",
            Section::Exhibits => "Exhibits",
            Section::Custody => "Chain of custody",
            Section::Verification => "Verification",
            Section::Reliability => "Tool reliability",
            Section::Signers => "Signers",
            Section::Standards => "Standards mapping",
            Section::Certification => "Examiner's certification",
            Section::Limitations => "Limitations",
            Section::FileLists => "Complete file lists",
        }
    }

    /// The anchor of a numbered section (HTML `id`, a PDF destination):
    /// stable, whatever its number. Appendices take `appendix-` and their
    /// letter ([`SectionHead::anchor`]).
    pub(crate) fn anchor(self) -> &'static str {
        match self {
            Section::Case => "case",
            Section::Summary => "summary",
            Section::Exhibits => "exhibits",
            Section::Custody => "custody",
            Section::Verification => "verification",
            Section::Reliability => "reliability",
            Section::Signers => "signers",
            Section::Standards => "standards",
            Section::Certification => "certification",
            Section::Limitations => "limitations",
            Section::FileLists => "appendix",
        }
    }

    /// Whether the section is an appendix (lettered, after the numbered
    /// sections).
    pub fn is_appendix(self) -> bool {
        self == Section::FileLists
    }

    /// Whether every report has the section.
    pub fn always(self) -> bool {
        !matches!(self, Section::Certification | Section::FileLists)
    }

    /// Its number when it is the same in every report: the section is
    /// always there and no section that may be absent comes before it.
    /// The model's own sentences (limitations, standards, the
    /// certification's statement) are written before any renderer runs,
    /// and refer to sections by these numbers only.
    pub fn fixed_number(self) -> Option<u32> {
        let mut n = 0;
        for s in ORDER {
            if !s.always() {
                return None;
            }
            n += 1;
            if s == self {
                return Some(n);
            }
        }
        None
    }

    /// "section N" for [`Section::fixed_number`]; else the section by its
    /// title.
    pub fn see(self) -> String {
        match self.fixed_number() {
            Some(n) => format!("section {n}"),
            None => format!("the section \"{}\"", self.title()),
        }
    }
}

/// "sections 5 and 6" for two sections of [`Section::fixed_number`];
/// else each as [`Section::see`] gives it.
pub fn see_both(a: Section, b: Section) -> String {
    match (a.fixed_number(), b.fixed_number()) {
        (Some(x), Some(y)) => format!("sections {x} and {y}"),
        _ => format!("{} and {}", a.see(), b.see()),
    }
}

/// A section's number: 1, 2 … or an appendix's letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    Section(u32),
    Appendix(char),
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Section(n) => write!(f, "{n}"),
            Number::Appendix(c) => write!(f, "{c}"),
        }
    }
}

/// One entry of the outline: a section this report has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHead {
    pub section: Section,
    pub number: Number,
    /// `case` … `limitations`, `appendix-a` …: an HTML `id`.
    pub anchor: String,
    pub title: &'static str,
    /// Entries under it in the contents: one per exhibit under "Exhibits"
    /// (anchor `exhibit-…`, the exhibit id as title); none elsewhere.
    pub children: Vec<SubHead>,
}

/// An entry under a section in the contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubHead {
    pub anchor: String,
    /// Unescaped (an exhibit id is user text).
    pub title: String,
}

impl SectionHead {
    /// "3" or "Appendix A".
    pub fn label(&self) -> String {
        match self.number {
            Number::Section(n) => n.to_string(),
            Number::Appendix(c) => format!("Appendix {c}"),
        }
    }

    /// The heading: "3. Exhibits", "Appendix A. Complete file lists".
    pub fn heading(&self) -> String {
        format!("{}. {}", self.label(), self.title)
    }
}

/// The sections of one report, numbered, and the anchor of each exhibit.
#[derive(Debug, Clone)]
pub struct Outline {
    heads: Vec<SectionHead>,
    /// (exhibit id, anchor) for every exhibit of `exhibits` and
    /// `timelines`, each anchor unique.
    exhibits: Vec<(String, String)>,
}

/// The outline of `report`: what every renderer numbers its contents and
/// headings by.
pub fn outline(report: &Report) -> Outline {
    let exhibits = exhibit_anchors(report);
    let mut heads = Vec::new();
    let (mut number, mut letter) = (0, b'A');
    for section in ORDER {
        if !has(report, section) {
            continue;
        }
        let (number, anchor) = if section.is_appendix() {
            let c = char::from(letter);
            letter += 1;
            (
                Number::Appendix(c),
                format!("appendix-{}", c.to_ascii_lowercase()),
            )
        } else {
            number += 1;
            (Number::Section(number), section.anchor().to_string())
        };
        let children = match section {
            Section::Exhibits => report
                .exhibits
                .iter()
                .map(|x| SubHead {
                    anchor: format!("exhibit-{}", find(&exhibits, &x.id)),
                    title: x.id.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        heads.push(SectionHead {
            section,
            number,
            anchor,
            title: section.title(),
            children,
        });
    }
    Outline { heads, exhibits }
}

/// Whether `report` has `section`.
fn has(report: &Report, section: Section) -> bool {
    match section {
        Section::Certification => report.certification.is_some(),
        Section::FileLists => {
            report.appendix.is_some() || super::appendix::exhibits(report).next().is_some()
        }
        _ => true,
    }
}

impl Outline {
    /// The sections of the report, in order.
    pub fn heads(&self) -> &[SectionHead] {
        &self.heads
    }

    /// The head of `section`, if the report has it.
    pub fn get(&self, section: Section) -> Option<&SectionHead> {
        self.heads.iter().find(|h| h.section == section)
    }

    /// How the text refers to `section`: "section 3", "Appendix A"; the
    /// title when the report does not have it.
    pub fn reference(&self, section: Section) -> String {
        match self.get(section) {
            Some(h) if section.is_appendix() => h.label(),
            Some(h) => format!("section {}", h.label()),
            None => format!("the section \"{}\"", section.title()),
        }
    }

    /// The label of appendix `section` ("Appendix A"): the one it has, or
    /// when the report does not have it, the one it would have (its file
    /// may be written before the report names it: [`super::appendix`]).
    pub fn appendix_label(&self, section: Section) -> String {
        if let Some(h) = self.get(section) {
            return h.label();
        }
        let position = |s: Section| ORDER.iter().position(|x| *x == s);
        let before = self
            .heads
            .iter()
            .filter(|h| h.section.is_appendix() && position(h.section) < position(section))
            .count();
        let letter = (b'A'..=b'Z').nth(before).map(char::from).unwrap_or('Z');
        format!("Appendix {letter}")
    }

    /// The anchor of exhibit `id` (without a prefix: the HTML prefixes it
    /// with `exhibit-`, `custody-` or `appendix-`): its id with every
    /// character but ASCII letters, digits, `-`, `_` and `.` as `_`, made
    /// unique with `-2`, `-3` …
    pub fn exhibit_anchor(&self, id: &str) -> &str {
        find(&self.exhibits, id)
    }
}

fn find<'a>(anchors: &'a [(String, String)], id: &str) -> &'a str {
    anchors
        .iter()
        .find(|(x, _)| x == id)
        .map(|(_, a)| a.as_str())
        .unwrap_or("exhibits")
}

/// A unique, attribute-safe anchor per exhibit (exhibit ids are user text).
fn exhibit_anchors(report: &Report) -> Vec<(String, String)> {
    let mut used = BTreeSet::new();
    let mut out: Vec<(String, String)> = Vec::new();
    let ids = report
        .exhibits
        .iter()
        .map(|e| e.id.as_str())
        .chain(report.timelines.iter().map(|t| t.exhibit.as_str()));
    for id in ids {
        if out.iter().any(|(x, _)| x == id) {
            continue;
        }
        let base: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut anchor = base.clone();
        let mut n = 2;
        while !used.insert(anchor.clone()) {
            anchor = format!("{base}-{n}");
            n += 1;
        }
        out.push((id.to_string(), anchor));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sections_every_report_has_come_first_and_keep_their_numbers() {
        let fixed: Vec<(Section, u32)> = ORDER
            .iter()
            .filter_map(|s| s.fixed_number().map(|n| (*s, n)))
            .collect();
        assert_eq!(fixed.len(), 8);
        for (i, (s, n)) in fixed.iter().enumerate() {
            assert_eq!(ORDER[i], *s);
            assert_eq!(*n, i as u32 + 1);
        }
        assert_eq!(Section::Verification.see(), "section 5");
        assert_eq!(Section::Certification.fixed_number(), None);
        assert_eq!(Section::Limitations.fixed_number(), None);
        assert!(ORDER.iter().all(|s| !s.is_appendix() || !s.always()));
        // Appendices come after every numbered section.
        let first_appendix = ORDER.iter().position(|s| s.is_appendix()).unwrap();
        assert!(ORDER[first_appendix..].iter().all(|s| s.is_appendix()));
    }

    #[test]
    fn heads_read_the_same_in_contents_and_headings() {
        let h = SectionHead {
            section: Section::FileLists,
            number: Number::Appendix('A'),
            anchor: "appendix-a".into(),
            title: Section::FileLists.title(),
            children: Vec::new(),
        };
        assert_eq!(h.label(), "Appendix A");
        assert_eq!(h.heading(), "Appendix A. Complete file lists");
        let h = SectionHead {
            section: Section::Limitations,
            number: Number::Section(10),
            anchor: "limitations".into(),
            title: Section::Limitations.title(),
            children: Vec::new(),
        };
        assert_eq!(h.heading(), "10. Limitations");
    }
}
