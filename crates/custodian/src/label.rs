//! Printable exhibit and bag labels, and the reference their QR codes carry
//! (docs/spec/label.md, docs/guide/labels.md).
//!
//! An **exhibit label** names the case, the exhibit, its description, its
//! seal and when it was acquired; its QR code holds a reference to the
//! exhibit's `exhibit.acquire` entry. A **bag label** names a seal, when it
//! was applied and every exhibit under it; its QR code holds a reference
//! to the `custody.seal` entry and the exhibits. Anyone holding the case
//! can check a reference read from a label against the verified ledger
//! (`custodian verify CASE --label TEXT`).
//!
//! - [`mod@reference`]: the reference's one written form and its reader
//!   (no feature needed: a verifier reads labels without a typesetter);
//! - [`mod@check`]: the verdict on a reference against a verified ledger;
//! - this module: which labels to make and what each says ([`prepare`]);
//! - with the `pdf` feature, the labels set as PDF, PNG or SVG by the
//!   embedded typesetter (`LabelSet::typeset`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::case::Case;
use crate::ledger::{
    entry_hash, CaseId, CaseState, Entry, EntryHash, ExhibitId, Ledger, LedgerError, RawLedger,
    Report, VerifyOptions,
};

pub mod check;
pub mod reference;
#[cfg(feature = "pdf")]
mod render;

pub use check::{check, Checked, ExhibitNow, SealNow, Verdict};
pub use reference::{BagRef, ExhibitRef, HashPrefix, Reference, ReferenceError};
#[cfg(feature = "pdf")]
pub use render::Size;

/// Why labels could not be made or a reference could not be checked
/// (a reference that does not match is a [`Verdict`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("the ledger does not verify ({}{code}: {message}); labels are made and checked only against a ledger that verifies (run `custodian verify`)", entry.map(|e| format!("entry {e}: ")).unwrap_or_default())]
    NotVerified {
        code: &'static str,
        entry: Option<u64>,
        message: String,
    },
    #[error("{path}: the ledger changed while it was read; run the command again")]
    Changed { path: std::path::PathBuf },
    #[error("the ledger has no case.open entry")]
    NoCase,
    #[error("the case has no exhibit {exhibit}")]
    NoExhibit { exhibit: String },
    #[error("the case has no seal {seal:?}")]
    NoSeal { seal: String },
    #[error("seal {seal:?} was broken at entry {entry}; a bag label is made only for a seal that is intact")]
    SealBroken { seal: String, entry: u64 },
    #[error("no label chosen: name exhibits, seals, or all")]
    NothingChosen,
    #[error("the case has nothing to label (no exhibit, no intact seal)")]
    NothingToLabel,
    #[error("the reference {reference:?} does not fit in a QR code ({message}); label fewer exhibits per bag")]
    Qr { reference: String, message: String },
    #[error("label {index} ({what}) does not fit on a label of size {size}; choose another size (62mm grows with its content)")]
    Overflow {
        index: usize,
        what: String,
        size: &'static str,
    },
    #[cfg(feature = "pdf")]
    #[error(transparent)]
    Typeset(#[from] crate::typeset::TypesetError),
}

/// The lines of a ledger that verifies, with every entry's hash.
pub(crate) struct Lines {
    raw: RawLedger,
    hashes: Vec<EntryHash>,
}

/// The member of an entry that ties it to the line before.
#[derive(Deserialize)]
struct Prev {
    prev: String,
}

impl Lines {
    /// The first `report.entries` lines of `ledger` as it is now, which
    /// must be the lines `report` verified: each line's `prev` is the hash
    /// of the line before and the last has the verified head's hash (a
    /// ledger only grows; any other change since is [`LabelError::Changed`]).
    fn read_verified(ledger: &Ledger, report: &Report) -> Result<Lines, LabelError> {
        let changed = || LabelError::Changed {
            path: ledger.path().to_path_buf(),
        };
        let raw = ledger.read_raw()?;
        let n = usize::try_from(report.entries).map_err(|_| changed())?;
        if raw.lines.len() < n {
            return Err(changed());
        }
        let hashes: Vec<EntryHash> = (0..n).map(|i| entry_hash(raw.line(i))).collect();
        if hashes.last() != report.head.as_ref() {
            return Err(changed());
        }
        for i in 1..n {
            let linked =
                serde_json::from_slice::<Prev>(raw.line(i)).is_ok_and(|p| hashes[i - 1] == p.prev);
            if !linked {
                return Err(changed());
            }
        }
        Ok(Lines { raw, hashes })
    }

    /// Every whole line of `raw` (already verified by the caller).
    fn of(raw: RawLedger) -> Lines {
        let hashes = (0..raw.lines.len())
            .map(|i| entry_hash(raw.line(i)))
            .collect();
        Lines { raw, hashes }
    }

    fn hash(&self, seq: u64) -> Option<&EntryHash> {
        usize::try_from(seq).ok().and_then(|i| self.hashes.get(i))
    }

    /// The hash of entry `seq` in hex (a placeholder if there is none,
    /// which a verified ledger's state never names).
    fn hex(&self, seq: u64) -> String {
        self.hash(seq)
            .map_or_else(|| "(no such entry)".into(), EntryHash::to_hex)
    }

    /// The first entry whose hash starts with `prefix`.
    fn find(&self, prefix: &HashPrefix) -> Option<u64> {
        self.hashes
            .iter()
            .position(|h| prefix.matches(h))
            .map(|i| i as u64)
    }

    fn entry(&self, seq: u64) -> Option<Entry> {
        let i = usize::try_from(seq)
            .ok()
            .filter(|i| *i < self.hashes.len())?;
        serde_json::from_slice(self.raw.line(i)).ok()
    }

    /// The type of entry `seq` (`exhibit.acquire` …).
    fn kind(&self, seq: u64) -> Option<String> {
        self.entry(seq).map(|e| e.kind)
    }

    /// When entry `seq` was recorded.
    fn time(&self, seq: u64) -> Option<DateTime<Utc>> {
        self.entry(seq)
            .and_then(|e| crate::time::parse(&e.time).ok())
    }
}

/// Which labels to make.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// An exhibit label for each (in this order).
    pub exhibits: Vec<String>,
    /// Then a bag label for each of these seals.
    pub seals: Vec<String>,
    /// Every exhibit's label (by id), then every intact seal's (by id),
    /// after those named.
    pub all: bool,
}

/// One label's content, as the ledger states it.
#[derive(Debug, Clone)]
pub struct Label {
    pub reference: Reference,
    pub case: CaseId,
    pub body: LabelBody,
}

/// What an exhibit or a bag label says besides the case.
#[derive(Debug, Clone)]
pub enum LabelBody {
    Exhibit {
        exhibit: ExhibitId,
        description: Option<String>,
        /// The seal it is under now.
        seal: Option<String>,
        /// The acquisition entry's time (ledger form, UTC).
        acquired: String,
    },
    Bag {
        seal: String,
        /// When the seal was applied (the event's time, UTC).
        sealed: String,
        /// The exhibits under it, in the reference's order, with their
        /// descriptions.
        exhibits: Vec<(ExhibitId, Option<String>)>,
    },
}

impl Label {
    /// "exhibit EXH-001" or "bag BAG-17", for messages.
    pub fn what(&self) -> String {
        match &self.body {
            LabelBody::Exhibit { exhibit, .. } => format!("exhibit {exhibit}"),
            LabelBody::Bag { seal, .. } => format!("bag {seal}"),
        }
    }
}

/// The labels to print, and the time of the latest ledger entry they rest
/// on (the PDF's creation time: the same case gives the same bytes).
#[derive(Debug, Clone)]
pub struct LabelSet {
    pub labels: Vec<Label>,
    pub rests_on: DateTime<Utc>,
}

/// Reads and verifies the case's ledger and states the labels `choice`
/// names. Refuses a ledger that does not verify, an exhibit or seal the
/// case does not have, and a seal that was broken.
pub fn prepare(case: &Case, choice: &Choice) -> Result<LabelSet, LabelError> {
    let raw = case.ledger().read_raw()?;
    let report = crate::ledger::verify::verify_raw(&raw, &VerifyOptions::default());
    if let Some(p) = report.errors().next() {
        return Err(LabelError::NotVerified {
            code: p.code,
            entry: p.entry,
            message: p.message.clone(),
        });
    }
    let state = report.state;
    let lines = Lines::of(raw);
    let case_id = state
        .case
        .as_ref()
        .map(|c| c.case_id.clone())
        .ok_or(LabelError::NoCase)?;
    let (exhibits, seals) = chosen(&state, choice)?;
    let mut labels = Vec::new();
    let mut rests_on = Vec::new();
    for x in &exhibits {
        let (label, seqs) = exhibit_label(&state, &lines, &case_id, x)?;
        labels.push(label);
        rests_on.extend(seqs);
    }
    for s in &seals {
        let (label, seqs) = bag_label(&state, &lines, &case_id, s)?;
        labels.push(label);
        rests_on.extend(seqs);
    }
    let rests_on = rests_on
        .into_iter()
        .filter_map(|seq| lines.time(seq))
        .max()
        .unwrap_or_default();
    Ok(LabelSet { labels, rests_on })
}

/// The exhibits and seals to label, each once, in the order of `choice`.
fn chosen(state: &CaseState, choice: &Choice) -> Result<(Vec<String>, Vec<String>), LabelError> {
    let mut exhibits = choice.exhibits.clone();
    let mut seals = choice.seals.clone();
    if choice.all {
        exhibits.extend(state.exhibits.keys().map(|x| x.to_string()));
        seals.extend(
            state
                .custody
                .seals
                .iter()
                .filter(|(_, s)| s.is_intact())
                .map(|(id, _)| id.clone()),
        );
    }
    dedup(&mut exhibits);
    dedup(&mut seals);
    if exhibits.is_empty() && seals.is_empty() {
        return Err(if choice.all {
            LabelError::NothingToLabel
        } else {
            LabelError::NothingChosen
        });
    }
    Ok((exhibits, seals))
}

/// Keeps the first of each value, in order.
fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

/// An exhibit's label and the entries it rests on.
fn exhibit_label(
    state: &CaseState,
    lines: &Lines,
    case: &CaseId,
    x: &str,
) -> Result<(Label, Vec<u64>), LabelError> {
    let no = || LabelError::NoExhibit {
        exhibit: x.to_string(),
    };
    let ex = state.exhibits.get(x).ok_or_else(no)?;
    let hash = lines.hash(ex.acquired_seq).ok_or_else(no)?;
    let id = ex.acquisition.exhibit.clone();
    let custody = state.custody.exhibits.get(x);
    let reference = Reference::Exhibit(ExhibitRef {
        case: case.clone(),
        exhibit: id.clone(),
        hash: HashPrefix::of(hash),
    });
    let mut seqs = vec![ex.acquired_seq];
    seqs.extend(custody.and_then(|c| c.entries.last()));
    let label = Label {
        reference,
        case: case.clone(),
        body: LabelBody::Exhibit {
            exhibit: id,
            description: ex.acquisition.description.clone(),
            seal: custody.and_then(|c| c.shown_seal().map(str::to_string)),
            acquired: ex.acquired_time.clone(),
        },
    };
    Ok((label, seqs))
}

/// A seal's bag label and the entries it rests on.
fn bag_label(
    state: &CaseState,
    lines: &Lines,
    case: &CaseId,
    id: &str,
) -> Result<(Label, Vec<u64>), LabelError> {
    let no = || LabelError::NoSeal {
        seal: id.to_string(),
    };
    let seal = state.custody.seals.get(id).ok_or_else(no)?;
    if let Some(b) = &seal.broken {
        return Err(LabelError::SealBroken {
            seal: id.to_string(),
            entry: b.entry,
        });
    }
    let hash = lines.hash(seal.applied.entry).ok_or_else(no)?;
    let bag = BagRef::new(
        case.clone(),
        id.to_string(),
        HashPrefix::of(hash),
        seal.exhibits.clone(),
    );
    let mut seqs = vec![seal.applied.entry];
    let exhibits = bag
        .exhibits()
        .iter()
        .map(|x| {
            seqs.extend(state.custody.exhibits.get(x).and_then(|c| c.entries.last()));
            let description = state
                .exhibits
                .get(x)
                .and_then(|e| e.acquisition.description.clone());
            (x.clone(), description)
        })
        .collect();
    let label = Label {
        reference: Reference::Bag(bag),
        case: case.clone(),
        body: LabelBody::Bag {
            seal: id.to_string(),
            sealed: seal.applied.time.clone(),
            exhibits,
        },
    };
    Ok((label, seqs))
}
