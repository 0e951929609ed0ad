//! Checking a label's reference against a ledger that verifies
//! (docs/spec/label.md §3): does it name this case, and the acquisition of
//! this exhibit, or the application of this seal to exactly these
//! exhibits; and is what a bag label claims still so.

use serde::Serialize;

use super::reference::{BagRef, ExhibitRef, HashPrefix, Reference};
use super::{LabelError, Lines};
use crate::custody::{Seal, Status};
use crate::ledger::{CaseState, ExhibitId, Ledger, Report};

/// The outcome of checking one reference.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The reference, in its written form.
    pub reference: String,
    /// `"exhibit"` or `"bag"`.
    pub kind: &'static str,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The exhibits the reference names that the case holds, as they are
    /// now.
    pub exhibits: Vec<ExhibitNow>,
    /// For a bag reference, the seal it names, if the case has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<SealNow>,
}

/// What the reference is, against the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// It names what the ledger recorded, and (for a bag) the seal is
    /// intact with every exhibit under it still in custody.
    Genuine,
    /// A bag reference that names what the ledger recorded, but the ledger
    /// has since recorded what makes the bag no longer so: the seal broken,
    /// an exhibit released or disposed. Each reason is one sentence.
    Stale { reasons: Vec<String> },
    /// It does not name what this ledger recorded: another case, an
    /// exhibit or seal the case does not have, another entry, other
    /// exhibits.
    Mismatch { reason: String },
}

impl Checked {
    /// Genuine and current.
    pub fn is_genuine(&self) -> bool {
        self.verdict == Verdict::Genuine
    }
}

/// An exhibit as the ledger has it now.
#[derive(Debug, Clone, Serialize)]
pub struct ExhibitNow {
    pub exhibit: ExhibitId,
    pub description: Option<String>,
    /// The `exhibit.acquire` entry: its seq, time and whole hash.
    pub acquired_entry: u64,
    pub acquired_time: String,
    pub acquisition_hash: String,
    /// `available`, `sealed`, `checked-out`, `in-transit`, `released`,
    /// `disposed` (as `custodian status` shows it).
    pub status: &'static str,
    /// The holder's key fingerprint and, when the ledger names them, their
    /// principal.
    pub holder: String,
    pub holder_principal: Option<String>,
    pub location: Option<String>,
    /// The seal it is under now (none once broken).
    pub seal: Option<String>,
}

/// A seal as the ledger has it now.
#[derive(Debug, Clone, Serialize)]
pub struct SealNow {
    pub seal: String,
    /// The entry that applied it: seq, time (the event's) and whole hash.
    pub applied_entry: u64,
    pub applied_time: String,
    pub applied_hash: String,
    /// The exhibits sealed under it, in ascending order.
    pub exhibits: Vec<ExhibitId>,
    /// The entry that broke it, if one did.
    pub broken_entry: Option<u64>,
    pub broken_time: Option<String>,
}

/// Checks `reference` against the ledger whose verification is `report`
/// (which must be valid: run `Case::verify` first). The ledger's lines are
/// read again for the entry hashes, and must be the lines `report`
/// verified (the same chain up to the same head), else
/// [`LabelError::Changed`].
pub fn check(
    ledger: &Ledger,
    report: &Report,
    reference: &Reference,
) -> Result<Checked, LabelError> {
    if let Some(p) = report.errors().next() {
        return Err(LabelError::NotVerified {
            code: p.code,
            entry: p.entry,
            message: p.message.clone(),
        });
    }
    let lines = Lines::read_verified(ledger, report)?;
    Ok(judge(&report.state, &lines, reference))
}

/// The verdict on `reference` for a verified ledger's state and lines.
pub(super) fn judge(state: &CaseState, lines: &Lines, reference: &Reference) -> Checked {
    // A label of another case says nothing about this case's exhibits,
    // whatever their ids.
    if let Some(verdict) = other_case(state, reference) {
        return Checked {
            reference: reference.to_string(),
            kind: reference.kind(),
            verdict,
            exhibits: Vec::new(),
            seal: None,
        };
    }
    let (verdict, exhibits, seal) = match reference {
        Reference::Exhibit(x) => {
            let verdict = judge_exhibit(state, lines, x);
            let now = exhibit_now(state, lines, &x.exhibit).into_iter().collect();
            (verdict, now, None)
        }
        Reference::Bag(b) => {
            let verdict = judge_bag(state, lines, b);
            let now = b
                .exhibits()
                .iter()
                .filter_map(|x| exhibit_now(state, lines, x))
                .collect();
            (verdict, now, seal_now(state, lines, &b.seal))
        }
    };
    Checked {
        reference: reference.to_string(),
        kind: reference.kind(),
        verdict,
        exhibits,
        seal,
    }
}

fn mismatch(reason: String) -> Verdict {
    Verdict::Mismatch { reason }
}

/// The case the ledger opens, if the reference names another.
fn other_case(state: &CaseState, reference: &Reference) -> Option<Verdict> {
    let ours = state.case.as_ref().map(|c| &c.case_id);
    if ours == Some(reference.case()) {
        return None;
    }
    Some(mismatch(format!(
        "the label names case {:?}; this ledger is case {:?}",
        reference.case().as_str(),
        ours.map_or("(none)", |c| c.as_str())
    )))
}

/// Which entry, if any, a prefix names, for a mismatch's reason.
fn named_entry(lines: &Lines, hash: &HashPrefix) -> String {
    match lines.find(hash) {
        Some(seq) => format!(
            "entry {seq} ({})",
            lines.kind(seq).unwrap_or_else(|| "unreadable".into())
        ),
        None => "no entry of this ledger".to_string(),
    }
}

fn judge_exhibit(state: &CaseState, lines: &Lines, x: &ExhibitRef) -> Verdict {
    let Some(ex) = state.exhibits.get(&x.exhibit) else {
        return mismatch(format!("the case has no exhibit {}", x.exhibit));
    };
    let seq = ex.acquired_seq;
    if lines.hash(seq).is_some_and(|h| x.hash.matches(h)) {
        return Verdict::Genuine;
    }
    mismatch(format!(
        "exhibit {} was acquired at entry {seq}, whose hash is {}; the label's hash {} names {}",
        x.exhibit,
        lines.hex(seq),
        x.hash,
        named_entry(lines, &x.hash)
    ))
}

fn judge_bag(state: &CaseState, lines: &Lines, b: &BagRef) -> Verdict {
    let Some(seal) = state.custody.seals.get(&b.seal) else {
        return mismatch(format!("the case has no seal {:?}", b.seal));
    };
    let seq = seal.applied.entry;
    if !lines.hash(seq).is_some_and(|h| b.hash.matches(h)) {
        return mismatch(format!(
            "seal {:?} was applied at entry {seq}, whose hash is {}; the label's hash {} names {}",
            b.seal,
            lines.hex(seq),
            b.hash,
            named_entry(lines, &b.hash)
        ));
    }
    let mut sealed = seal.exhibits.clone();
    sealed.sort();
    if sealed != b.exhibits() {
        return mismatch(format!(
            "the label lists {}; seal {:?} was applied to {}",
            b.exhibits().join(", "),
            b.seal,
            sealed.join(", ")
        ));
    }
    let reasons = stale_reasons(state, b, seal);
    if reasons.is_empty() {
        Verdict::Genuine
    } else {
        Verdict::Stale { reasons }
    }
}

/// What the ledger recorded after the seal that the bag label does not
/// show: the seal broken, an exhibit no longer under it, released or
/// disposed.
fn stale_reasons(state: &CaseState, b: &BagRef, seal: &Seal) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(broken) = &seal.broken {
        out.push(format!(
            "seal {:?} was broken at entry {} ({})",
            b.seal, broken.entry, broken.time
        ));
    }
    for x in b.exhibits() {
        let Some(ex) = state.custody.exhibits.get(x) else {
            continue;
        };
        if ex.status.is_terminal() {
            out.push(format!("exhibit {x} was {}", ex.status.as_str()));
        } else if seal.broken.is_none() && ex.shown_seal() != Some(b.seal.as_str()) {
            out.push(format!("exhibit {x} is no longer under seal {:?}", b.seal));
        }
    }
    out
}

fn exhibit_now(state: &CaseState, lines: &Lines, x: &ExhibitId) -> Option<ExhibitNow> {
    let ex = state.exhibits.get(x)?;
    let custody = state.custody.exhibits.get(x);
    let holder = custody.map(|c| &c.holder);
    Some(ExhibitNow {
        exhibit: x.clone(),
        description: ex.acquisition.description.clone(),
        acquired_entry: ex.acquired_seq,
        acquired_time: ex.acquired_time.clone(),
        acquisition_hash: lines.hex(ex.acquired_seq),
        status: custody
            .map_or(Status::Available, |c| c.shown_status())
            .as_str(),
        holder: holder.map(|h| h.to_string()).unwrap_or_default(),
        holder_principal: holder
            .and_then(|h| state.signers.get(h))
            .map(|s| s.principal.clone()),
        location: custody.and_then(|c| c.location.clone()),
        seal: custody.and_then(|c| c.shown_seal().map(str::to_string)),
    })
}

fn seal_now(state: &CaseState, lines: &Lines, id: &str) -> Option<SealNow> {
    let s = state.custody.seals.get(id)?;
    let mut exhibits = s.exhibits.clone();
    exhibits.sort();
    Some(SealNow {
        seal: id.to_string(),
        applied_entry: s.applied.entry,
        applied_time: s.applied.time.clone(),
        applied_hash: lines.hex(s.applied.entry),
        exhibits,
        broken_entry: s.broken.as_ref().map(|b| b.entry),
        broken_time: s.broken.as_ref().map(|b| b.time.clone()),
    })
}
