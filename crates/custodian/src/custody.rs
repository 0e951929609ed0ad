//! Chain of custody: legal authorities, custody events and the exhibit
//! state machine.
//!
//! Every event is a signed ledger entry. The rules here decide whether an
//! event fits the exhibit's current state, whether the signer may perform it
//! (the holder, or a supervisor) and whether a legal authority covers it. A
//! writer refuses an event that breaks a rule unless the examiner gives an
//! override reason; then the event is recorded and the broken rule becomes a
//! finding (`docs/guide/findings.md`). `docs/guide/custody.md` describes the model.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::Fingerprint;
pub use custodian_format::{is_lower_hex, CaseId, Digest, EntryHash, ExhibitId};

mod later;
mod parts;
pub use later::{Completion, Seal, SealMark, CLOCK_SKEW_SECONDS, TERMINAL};
pub use parts::{EntryFacts, OpenEvent, PartPlace, PartViolation, Parts};

pub use custodian_format::custody::{
    kind, Authority, AuthorityPolicy, Common, Disclosure, Event, EventPart, MixedChoice, Output,
    Policy, Scope, SharedManifest, UnsealCause, AUTHORITY_KINDS,
};

/// Where an exhibit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Acquired and in its holder's custody, not sealed.
    Available,
    Sealed,
    CheckedOut,
    InTransit,
    Released,
    Disposed,
}

impl Status {
    /// Every state, in the order of the state table.
    pub const ALL: [Status; 6] = [
        Status::Available,
        Status::Sealed,
        Status::CheckedOut,
        Status::InTransit,
        Status::Released,
        Status::Disposed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Sealed => "sealed",
            Status::CheckedOut => "checked-out",
            Status::InTransit => "in-transit",
            Status::Released => "released",
            Status::Disposed => "disposed",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Released | Status::Disposed)
    }
}

/// A transfer waiting for its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransfer {
    pub entry: u64,
    pub to: Fingerprint,
    pub sent: String,
    /// The status the exhibit returns to on receipt.
    pub resume: Status,
    /// The id of the version-2 event the transfer is a part of: a receipt
    /// of that event acknowledges each exhibit's own part.
    pub event: Option<String>,
}

/// One exhibit's custody as replayed from the ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExhibitCustody {
    pub status: Status,
    pub holder: Fingerprint,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<PendingTransfer>,
    /// (entry, time, purpose) of an open check-out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<(u64, String, Option<String>)>,
    /// Entries that concern this exhibit, in order (acquisition first).
    pub entries: Vec<u64>,
    /// The entry that broke its seal to unseal another exhibit: it is no
    /// longer sealed ([`ExhibitCustody::shown_status`]), although `status`
    /// and `seal` keep the version-1 view the rules are judged on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_broken: Option<u64>,
    /// When it was acquired (its acquisition entry's time).
    pub acquired: String,
    /// Entry hash of the last entry concerning it (its acquisition or its
    /// latest custody entry): what a version-2 entry's `prior` must be.
    pub head: EntryHash,
}

/// A rule an event broke. With an override it is recorded as a finding;
/// without one a writer refuses and a verifier reports an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// Stable finding id (docs/guide/findings.md).
    pub finding: &'static str,
    pub message: String,
    /// What usually puts it right (a command to run first, the authority
    /// to cite), for a refusal to say before the override; `None` when
    /// nothing but an override records it. Not part of any finding.
    pub fix: Option<String>,
}

fn breach(finding: &'static str, message: impl Into<String>) -> Breach {
    Breach {
        finding,
        message: message.into(),
        fix: None,
    }
}

impl Breach {
    fn fix(mut self, fix: impl Into<String>) -> Breach {
        self.fix = Some(fix.into());
        self
    }
}

/// What usually lets `event` happen to exhibit `x` in state `ex`: the
/// event that must come first (CUS-STATE).
fn state_fix(event: &Event, x: &ExhibitId, ex: &ExhibitCustody) -> Option<String> {
    match ex.status {
        Status::Sealed if allowed_states(event).contains(&Status::Available) => Some(format!(
            "unseal it first (custodian custody unseal CASE --exhibit {x} --seal {} --reason …)",
            ex.seal.as_deref().unwrap_or("SEAL")
        )),
        Status::CheckedOut => Some(format!(
            "check it in first (custodian custody check-in CASE --exhibit {x})"
        )),
        Status::InTransit => Some(format!(
            "the receiver signs the receipt first (custodian custody receipt CASE --exhibit {x}, with the receiver's key)"
        )),
        _ => None,
    }
}

/// Custody state of the whole case.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustodyState {
    pub policy: AuthorityPolicy,
    /// The case's jurisdiction (from `case.open`).
    pub jurisdiction: Option<String>,
    pub authorities: BTreeMap<String, (u64, Authority)>,
    pub exhibits: BTreeMap<ExhibitId, ExhibitCustody>,
    /// Every seal ever applied, by id.
    pub seals: BTreeMap<String, Seal>,
    /// When the case was opened (entry 0's time).
    pub opened: Option<String>,
    /// Rules broken by recorded events (overrides, tolerated authority
    /// breaches), in ledger order.
    pub recorded_breaches: Vec<Finding>,
    /// The parts of version-2 events.
    pub parts: Parts,
    /// How far in the future of its recording an event may be dated
    /// (`case.open`'s policy; [`CLOCK_SKEW_SECONDS`] when it states none).
    pub clock_skew_seconds: Option<i64>,
}

/// A weakness in the chain of custody, for reports (`docs/guide/findings.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `CUS-OVERRIDE`.
    pub id: &'static str,
    pub severity: &'static str,
    /// The entries it rests on.
    pub entries: Vec<u64>,
    pub exhibits: Vec<ExhibitId>,
    pub message: String,
}

/// A [`Finding`] as read back (from the verified-state record).
#[derive(Deserialize)]
struct FindingRead {
    id: String,
    severity: String,
    entries: Vec<u64>,
    exhibits: Vec<ExhibitId>,
    message: String,
}

impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = FindingRead::deserialize(d)?;
        Ok(Finding {
            id: crate::intern::intern(&f.id),
            severity: crate::intern::intern(&f.severity),
            entries: f.entries,
            exhibits: f.exhibits,
            message: f.message,
        })
    }
}

/// A disclosure body that breaks a rule holding whatever the case state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureRuleError {
    #[error("a disclosure needs a recipient")]
    NoRecipient,
    #[error("a disclosure needs a package id")]
    NoPackage,
    #[error("a disclosure must list one manifest per exhibit, in the order of exhibits (of the event's parts, in version 2)")]
    ManifestsNotExhibits,
    #[error("manifest of exhibit {exhibit}: sha256 must be 64 lowercase hex digits")]
    ManifestDigest { exhibit: ExhibitId },
    #[error("salt_commitment must be 64 lowercase hex digits")]
    SaltCommitment,
    #[error("a disclosure with redacted paths needs a salt_commitment")]
    NoSaltCommitment,
    #[error("a disclosure without redacted paths has no salt_commitment")]
    UnneededSaltCommitment,
    #[error("attachment {name:?} of the disclosure: sha256 must be 64 lowercase hex digits and the name not empty")]
    AttachmentDigest { name: String },
}

/// Whether `s` is 64 lowercase hex digits (a SHA-256 as custodian writes it).
fn is_hex64(s: &str) -> bool {
    is_lower_hex(s, 64)
}

/// The rules of a disclosure body that hold whatever the case state.
fn check_disclosure(d: &Disclosure, common: &Common) -> Result<(), DisclosureRuleError> {
    use DisclosureRuleError as E;
    if d.recipient.trim().is_empty() {
        return Err(E::NoRecipient);
    }
    if d.package.trim().is_empty() {
        return Err(E::NoPackage);
    }
    let listed: Vec<&ExhibitId> = d.manifests.iter().map(|m| &m.exhibit).collect();
    let in_order = match &common.event {
        // A version-2 part lists every exhibit of the event; its own at
        // its part's place.
        Some(p) => {
            listed.len() as u64 == p.of
                && usize::try_from(p.part - 1)
                    .ok()
                    .and_then(|i| listed.get(i))
                    .is_some_and(|x| Some(*x) == common.exhibits.first())
        }
        None => listed == common.exhibits.iter().collect::<Vec<_>>(),
    };
    if !in_order {
        return Err(E::ManifestsNotExhibits);
    }
    if let Some(m) = d.manifests.iter().find(|m| !is_hex64(&m.sha256)) {
        return Err(E::ManifestDigest {
            exhibit: m.exhibit.clone(),
        });
    }
    if let Some(a) = d
        .attachments
        .iter()
        .find(|a| !is_hex64(&a.sha256) || a.name.is_empty())
    {
        return Err(E::AttachmentDigest {
            name: a.name.clone(),
        });
    }
    match (&d.salt_commitment, d.redacted_paths) {
        (Some(s), true) if is_hex64(s) => Ok(()),
        (None, false) => Ok(()),
        (Some(_), true) => Err(E::SaltCommitment),
        (None, true) => Err(E::NoSaltCommitment),
        (Some(_), false) => Err(E::UnneededSaltCommitment),
    }
}

/// The states from which `event` may move an exhibit.
fn allowed_states(event: &Event) -> &'static [Status] {
    match event {
        Event::Seal { .. } => &[Status::Available],
        Event::Unseal { .. } => &[Status::Sealed],
        Event::Location { .. } => &[Status::Available, Status::Sealed, Status::CheckedOut],
        Event::CheckOut { .. } => &[Status::Available],
        Event::CheckIn { .. } => &[Status::CheckedOut],
        Event::Analysis { .. } => &[Status::Available, Status::CheckedOut],
        Event::Transfer { .. } => &[Status::Available, Status::Sealed],
        Event::Receipt { .. } => &[Status::InTransit],
        Event::Release { .. } | Event::Dispose { .. } => &[Status::Available, Status::Sealed],
        // Sharing records does not touch the exhibit: any state.
        Event::Disclose { .. } => &Status::ALL,
    }
}

/// The rules of an event's own details that no override excuses: output
/// digests of an analysis, the body of a disclosure.
fn check_event_body(event: &Event) -> Result<(), EventRuleError> {
    match event {
        Event::Analysis { outputs, .. } => {
            if let Some(o) = outputs.iter().find(|o| !is_hex64(&o.sha256)) {
                return Err(EventRuleError::OutputDigest {
                    name: o.name.clone(),
                });
            }
            Ok(())
        }
        Event::Disclose { disclosure, common } => Ok(check_disclosure(disclosure, common)?),
        _ => Ok(()),
    }
}

/// A transfer received more than this many hours after it was sent is a
/// custody gap: nobody acknowledged holding the exhibit in between.
pub const GAP_HOURS: i64 = 72;

/// An event whose `at` lies more than this before its recording is flagged.
pub const BACKDATE_HOURS: i64 = 24;

/// Days after which an open check-out is reported as overdue.
pub const OVERDUE_DAYS: i64 = 30;

/// Who is acting: the entry's signer and whether they are a supervisor.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub signer: &'a Fingerprint,
    pub supervisor: bool,
}

/// A date not written `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {given:?}: expected YYYY-MM-DD")]
pub struct BadDate {
    pub given: String,
}

/// Why an `authority.register` entry is refused (no override excuses it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityRuleError {
    #[error("an authority needs a reference")]
    NoReference,
    #[error("authority {reference} was already registered at entry {seq}")]
    AlreadyRegistered { reference: String, seq: u64 },
    #[error("unknown authority kind {kind:?}; expected one of {}", AUTHORITY_KINDS.join(", "))]
    UnknownKind { kind: String },
    #[error(transparent)]
    Date(#[from] BadDate),
    #[error("valid_until is before valid_from")]
    EndsBeforeStart,
    #[error("an authority's scope must name exhibits or be all")]
    EmptyScope,
}

/// Why a custody event is refused whatever the override: it is malformed,
/// or names an exhibit, a transfer or a holder that does not fit the case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRuleError {
    #[error("a custody event must name at least one exhibit")]
    NoExhibit,
    #[error("exhibit {exhibit} is named twice")]
    NamedTwice { exhibit: ExhibitId },
    #[error("exhibit {exhibit} has not been acquired in this case")]
    NotAcquired { exhibit: ExhibitId },
    #[error(transparent)]
    At(#[from] crate::time::TimeError),
    #[error("an override needs a reason")]
    EmptyOverride,
    #[error("an exhibit cannot be transferred to its sender")]
    TransferToSender,
    #[error("exhibit {exhibit} has no pending transfer at entry {transfer}")]
    NoSuchTransfer { exhibit: ExhibitId, transfer: u64 },
    #[error("exhibit {exhibit} is already held by {to}")]
    AlreadyHeld { exhibit: ExhibitId, to: Fingerprint },
    #[error("output {name:?}: sha256 must be 64 lowercase hex digits")]
    OutputDigest { name: String },
    #[error(transparent)]
    Disclosure(#[from] DisclosureRuleError),
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<NaiveDate, BadDate> {
    let bad = || BadDate {
        given: s.to_string(),
    };
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?;
    // One spelling per date: 2026-02-01, never 2026-2-1.
    if d.format("%Y-%m-%d").to_string() != s {
        return Err(bad());
    }
    Ok(d)
}

/// An exhibit with no transfer awaiting a receipt, so a receipt must name
/// the transfer it acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("exhibit {exhibit} has no pending transfer")]
pub struct NoPendingTransfer {
    pub exhibit: ExhibitId,
}

impl CustodyState {
    /// The entry of the transfer of `exhibit` that awaits a receipt: what a
    /// receipt acknowledges when it names no transfer.
    pub fn pending_transfer(&self, exhibit: &str) -> Result<u64, NoPendingTransfer> {
        self.exhibits
            .get(exhibit)
            .and_then(|x| x.transfer.as_ref())
            .map(|t| t.entry)
            .ok_or_else(|| NoPendingTransfer {
                exhibit: ExhibitId::unchecked(exhibit),
            })
    }

    /// Records breaches of an accepted entry as findings.
    pub fn record_breaches(
        &mut self,
        seq: u64,
        exhibits: &[ExhibitId],
        breaches: &[Breach],
        override_reason: Option<&str>,
    ) {
        for b in breaches {
            let (id, message) = match override_reason {
                Some(r) => (
                    "CUS-OVERRIDE",
                    format!("recorded by override ({r}) although {}", b.message),
                ),
                None => (b.finding, b.message.clone()),
            };
            self.recorded_breaches.push(Finding {
                id,
                severity: "high",
                entries: vec![seq],
                exhibits: exhibits.to_vec(),
                message: format!("{message} [{}]", b.finding),
            });
        }
    }

    /// Findings that follow from the current state: transfers never
    /// received and check-outs open for [`OVERDUE_DAYS`] or more, as of `now`.
    pub fn open_findings(&self, now: DateTime<Utc>) -> Vec<Finding> {
        let mut out = Vec::new();
        for (x, ex) in &self.exhibits {
            if let Some(t) = &ex.transfer {
                out.push(Finding {
                    id: "CUS-TRANSIT",
                    severity: "high",
                    entries: vec![t.entry],
                    exhibits: vec![x.clone()],
                    message: format!(
                        "exhibit {x} was transferred to {} at {} and its receipt was never signed",
                        t.to, t.sent
                    ),
                });
            }
            if let Some((seq, time, purpose)) = &ex.checkout {
                let days = crate::time::parse(time)
                    .map(|t| (now - t).num_days())
                    .unwrap_or(0);
                if days >= OVERDUE_DAYS {
                    out.push(Finding {
                        id: "CUS-CHECKOUT",
                        severity: "medium",
                        entries: vec![*seq],
                        exhibits: vec![x.clone()],
                        message: format!(
                            "exhibit {x} was checked out at {time}{} and has not been checked in for {days} days",
                            purpose.as_deref().map(|p| format!(" for {p}")).unwrap_or_default()
                        ),
                    });
                }
            }
        }
        out
    }

    /// Checks an `authority.register` entry.
    pub fn check_authority(&self, a: &Authority) -> Result<(), AuthorityRuleError> {
        if a.reference.trim().is_empty() {
            return Err(AuthorityRuleError::NoReference);
        }
        if let Some((seq, _)) = self.authorities.get(&a.reference) {
            return Err(AuthorityRuleError::AlreadyRegistered {
                reference: a.reference.clone(),
                seq: *seq,
            });
        }
        if !AUTHORITY_KINDS.contains(&a.kind.as_str()) {
            return Err(AuthorityRuleError::UnknownKind {
                kind: a.kind.clone(),
            });
        }
        for d in [
            Some(&a.issued),
            a.valid_from.as_ref(),
            a.valid_until.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            parse_date(d)?;
        }
        if let Some(until) = &a.valid_until {
            if parse_date(until)? < parse_date(a.valid_from_or_issued())? {
                return Err(AuthorityRuleError::EndsBeforeStart);
            }
        }
        if !a.scope.all && a.scope.exhibits.is_empty() {
            return Err(AuthorityRuleError::EmptyScope);
        }
        Ok(())
    }

    /// Whether `reference` covers `exhibits` at `when`; the breach if not,
    /// naming the registered authorities that would.
    pub fn authority_covers(
        &self,
        reference: Option<&str>,
        exhibits: &[ExhibitId],
        when: DateTime<Utc>,
    ) -> Option<Breach> {
        let b = self.authority_breach_of(reference, exhibits, when)?;
        let covering: Vec<&str> = self
            .authorities
            .keys()
            .filter(|r| self.authority_breach_of(Some(r), exhibits, when).is_none())
            .map(String::as_str)
            .collect();
        Some(if covering.is_empty() {
            b.fix("register an authority that covers it (custodian authority add)")
        } else {
            b.fix(format!(
                "cite a registered authority that covers it: {}",
                covering
                    .iter()
                    .map(|r| format!("{r:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
        })
    }

    fn authority_breach_of(
        &self,
        reference: Option<&str>,
        exhibits: &[ExhibitId],
        when: DateTime<Utc>,
    ) -> Option<Breach> {
        let Some(reference) = reference else {
            return Some(breach("AUT-MISSING", "no legal authority is cited"));
        };
        let Some((_, a)) = self.authorities.get(reference) else {
            return Some(breach(
                "AUT-MISSING",
                format!("authority {reference:?} is not registered in this case"),
            ));
        };
        let day = when.date_naive();
        let from = parse_date(a.valid_from_or_issued()).ok();
        let until = a.valid_until.as_deref().and_then(|u| parse_date(u).ok());
        if from.is_some_and(|f| day < f) || until.is_some_and(|u| day > u) {
            return Some(breach(
                "AUT-EXPIRED",
                format!(
                    "authority {reference} is valid from {} to {}, not on {day}",
                    a.valid_from_or_issued(),
                    a.valid_until.as_deref().unwrap_or("(open)")
                ),
            ));
        }
        if !a.scope.all {
            if let Some(x) = exhibits.iter().find(|x| !a.scope.exhibits.contains(x)) {
                return Some(breach(
                    "AUT-SCOPE",
                    format!("authority {reference} does not cover exhibit {x}"),
                ));
            }
        }
        None
    }

    /// The authority breach of an acquisition under the case policy, if any.
    pub fn acquisition_breach(
        &self,
        exhibit: &ExhibitId,
        authority: Option<&str>,
        when: DateTime<Utc>,
    ) -> Option<Breach> {
        if self.policy == AuthorityPolicy::Off {
            return None;
        }
        self.authority_covers(authority, std::slice::from_ref(exhibit), when)
    }

    /// Checks a custody event at time `when` (its `at`, else the entry
    /// time). Returns the rules it breaks (empty when it fits) or a hard
    /// error that no override can excuse (unknown exhibit, malformed body).
    pub fn check_event(
        &self,
        event: &Event,
        actor: Actor,
        when: DateTime<Utc>,
    ) -> Result<Vec<Breach>, EventRuleError> {
        self.check_well_formed(event, actor)?;
        let c = event.common();
        let mut breaches = Vec::new();
        for x in &c.exhibits {
            self.check_exhibit(event, actor, x, &mut breaches)?;
        }
        check_event_body(event)?;
        breaches.extend(self.authority_breach(event, when));
        Ok(breaches)
    }

    /// The rules of an event's common part that no override excuses: named
    /// exhibits, each once and acquired; a valid `at`; a non-blank override
    /// reason; no transfer to oneself.
    fn check_well_formed(&self, event: &Event, actor: Actor) -> Result<(), EventRuleError> {
        let c = event.common();
        self.check_named(event)?;
        if let Some(at) = &c.at {
            crate::time::parse(at)?;
        }
        if let Some(reason) = &c.override_reason {
            if reason.trim().is_empty() {
                return Err(EventRuleError::EmptyOverride);
            }
        }
        if let Event::Transfer { to, .. } = event {
            if to == actor.signer {
                return Err(EventRuleError::TransferToSender);
            }
        }
        Ok(())
    }

    /// The state, holder, receipt and seal rules for exhibit `x`: breaches
    /// are added to `breaches`; a receipt of no pending transfer, or a
    /// transfer to the holder, is a hard error.
    fn check_exhibit(
        &self,
        event: &Event,
        actor: Actor,
        x: &ExhibitId,
        breaches: &mut Vec<Breach>,
    ) -> Result<(), EventRuleError> {
        let ex = &self.exhibits[x];
        if !allowed_states(event).contains(&ex.status) {
            let mut b = breach(
                "CUS-STATE",
                format!(
                    "exhibit {x} is {}; it cannot be {} now",
                    ex.status.as_str(),
                    event.verb()
                ),
            );
            b.fix = state_fix(event, x, ex);
            breaches.push(b);
        }
        match event {
            Event::Receipt { transfer, .. } => match &ex.transfer {
                Some(t) if t.entry == *transfer => {
                    if &t.to != actor.signer {
                        breaches.push(
                            breach(
                                "CUS-RECEIPT",
                                format!(
                                    "exhibit {x} was transferred to {}, not to the signer {}",
                                    t.to, actor.signer
                                ),
                            )
                            .fix(format!(
                                "the receipt is signed with the receiver's key ({})",
                                t.to
                            )),
                        );
                    }
                }
                // No override can make a receipt of nothing meaningful.
                _ => {
                    return Err(EventRuleError::NoSuchTransfer {
                        exhibit: x.clone(),
                        transfer: *transfer,
                    })
                }
            },
            Event::Transfer { to, .. } if &ex.holder == to => {
                return Err(EventRuleError::AlreadyHeld {
                    exhibit: x.clone(),
                    to: to.clone(),
                });
            }
            // Disclosing records is not handling the exhibit: any
            // active signer may do it (the authority rule applies).
            Event::Disclose { .. } => {}
            _ => {
                if &ex.holder != actor.signer && !actor.supervisor {
                    breaches.push(
                        breach(
                            "CUS-HOLDER",
                            format!("exhibit {x} is held by {}; only its holder or a supervisor may do this", ex.holder),
                        )
                        .fix(format!(
                            "sign with the holder's key ({}) or a supervisor's, or have the holder transfer it to you first (custodian custody transfer)",
                            ex.holder
                        )),
                    );
                }
            }
        }
        if let Event::Unseal { seal, .. } = event {
            if let Some(under) = ex.seal.as_deref().filter(|s| s != seal) {
                breaches.push(
                    breach(
                        "CUS-SEAL",
                        format!("exhibit {x} is under seal {under}, not {seal}"),
                    )
                    .fix(format!("name the seal it is under, {under}")),
                );
            }
        }
        Ok(())
    }

    /// The exhibits an event names: at least one, each once, each acquired.
    /// A writer checks this on the whole event before it splits it into
    /// one entry per exhibit.
    pub fn check_named(&self, event: &Event) -> Result<(), EventRuleError> {
        let c = event.common();
        if c.exhibits.is_empty() {
            return Err(EventRuleError::NoExhibit);
        }
        let mut seen = std::collections::BTreeSet::new();
        for x in &c.exhibits {
            if !seen.insert(x) {
                return Err(EventRuleError::NamedTwice { exhibit: x.clone() });
            }
            if !self.exhibits.contains_key(x) {
                return Err(EventRuleError::NotAcquired { exhibit: x.clone() });
            }
        }
        Ok(())
    }

    /// The authority rule: analyses, disclosures and transfers across a
    /// border need a covering authority under the case policy; any event
    /// that cites an authority must cite a registered one.
    fn authority_breach(&self, event: &Event, when: DateTime<Utc>) -> Option<Breach> {
        let c = event.common();
        let needs_authority = match event {
            Event::Analysis { .. } | Event::Disclose { .. } => true,
            Event::Transfer {
                to_jurisdiction, ..
            } => {
                let norm = |j: Option<&str>| j.map(|j| j.trim().to_lowercase());
                to_jurisdiction.is_some()
                    && norm(to_jurisdiction.as_deref()) != norm(self.jurisdiction.as_deref())
            }
            _ => false,
        };
        if needs_authority && self.policy != AuthorityPolicy::Off {
            return self.authority_covers(c.authority.as_deref(), &c.exhibits, when);
        }
        // A cited authority must exist even where none is required.
        match &c.authority {
            Some(r) if !self.authorities.contains_key(r) => Some(breach(
                "AUT-MISSING",
                format!("authority {r:?} is not registered in this case"),
            )),
            _ => None,
        }
    }

    /// Whether breaches may be recorded without an override under the
    /// case policy (authority breaches under `warn`).
    pub fn tolerated(&self, b: &Breach) -> bool {
        self.policy == AuthorityPolicy::Warn && b.finding.starts_with("AUT-")
    }

    /// Registers a new exhibit after its acquisition.
    pub fn acquired(
        &mut self,
        exhibit: &ExhibitId,
        seq: u64,
        holder: &Fingerprint,
        time: &str,
        hash: &EntryHash,
    ) {
        self.exhibits.insert(
            exhibit.clone(),
            ExhibitCustody {
                status: Status::Available,
                holder: holder.clone(),
                location: None,
                seal: None,
                transfer: None,
                checkout: None,
                entries: vec![seq],
                seal_broken: None,
                acquired: time.to_string(),
                head: *hash,
            },
        );
    }

    /// Applies an event that was accepted (possibly with an override), as
    /// a version-1 entry (tests and replays that have no entry hash).
    pub fn apply(&mut self, event: &Event, seq: u64, recorded: &str, signer: &Fingerprint) {
        self.apply_event(event, seq, recorded, signer, None);
    }

    /// Applies an accepted custody entry: the event, where the parts of a
    /// version-2 event stand, and each named exhibit's head (its `prior`
    /// for the next entry).
    pub fn apply_entry(&mut self, e: &EntryFacts, recorded: &str, hash: &EntryHash) {
        let Some(event) = e.event else {
            return;
        };
        let part = self.enter_part(e);
        self.apply_event(event, e.seq, recorded, e.signer, part.as_ref());
        for x in &event.common().exhibits {
            if let Some(ex) = self.exhibits.get_mut(x) {
                ex.head = *hash;
            }
        }
    }

    /// The seals an unseal breaks: the one it names and each named
    /// exhibit's own. A version-2 event breaks the seal it names once, with
    /// its last part (marked with its first), for all its parts: that one
    /// comes back separately with the exhibits the event named.
    #[allow(clippy::type_complexity)]
    fn broken_seals(
        &self,
        event: &Event,
        part: Option<&PartPlace>,
        mark: &SealMark,
    ) -> (Vec<String>, Option<(String, Vec<ExhibitId>, SealMark)>) {
        let mut broken: Vec<String> = Vec::new();
        let mut named_seal = None;
        let Event::Unseal { seal, .. } = event else {
            return (broken, named_seal);
        };
        match part {
            Some(PartPlace {
                first_seq,
                completed: Some(named),
                ..
            }) => {
                let first = SealMark {
                    entry: *first_seq,
                    ..mark.clone()
                };
                named_seal = Some((seal.clone(), named.clone(), first));
            }
            Some(_) => {}
            None => broken.push(seal.clone()),
        }
        for x in &event.common().exhibits {
            if let Some(s) = self.exhibits.get(x).and_then(|e| e.seal.clone()) {
                if !broken.contains(&s) && &s != seal {
                    broken.push(s);
                }
            }
        }
        (broken, named_seal)
    }

    fn apply_event(
        &mut self,
        event: &Event,
        seq: u64,
        recorded: &str,
        signer: &Fingerprint,
        part: Option<&PartPlace>,
    ) {
        let c = event.common();
        // When it happened: the event's `at`, else its recording time.
        let time = c.at.as_deref().unwrap_or(recorded);
        let mark = SealMark {
            entry: seq,
            signer: signer.clone(),
            time: time.to_string(),
        };
        let (broken, named_seal) = self.broken_seals(event, part, &mark);
        let mut gaps = Vec::new();
        for x in &c.exhibits {
            let Some(ex) = self.exhibits.get_mut(x) else {
                continue;
            };
            ex.entries.push(seq);
            if let Some(l) = &c.location {
                ex.location = Some(l.clone());
            }
            match event {
                Event::Seal { seal, .. } => {
                    ex.status = Status::Sealed;
                    ex.seal = Some(seal.clone());
                    ex.seal_broken = None;
                }
                Event::Unseal { .. } => {
                    ex.status = Status::Available;
                    ex.seal = None;
                    ex.seal_broken = None;
                }
                Event::Location { .. } | Event::Analysis { .. } | Event::Disclose { .. } => {}
                Event::CheckOut { .. } => {
                    ex.status = Status::CheckedOut;
                    ex.checkout = Some((seq, time.to_string(), c.purpose.clone()));
                }
                Event::CheckIn { .. } => {
                    ex.status = Status::Available;
                    ex.checkout = None;
                }
                Event::Transfer { to, .. } => {
                    let resume = if ex.status == Status::Sealed {
                        Status::Sealed
                    } else {
                        Status::Available
                    };
                    ex.transfer = Some(PendingTransfer {
                        entry: seq,
                        to: to.clone(),
                        sent: time.to_string(),
                        resume,
                        event: part.map(|p| p.id.clone()),
                    });
                    ex.status = Status::InTransit;
                }
                Event::Receipt { .. } => {
                    if let Some(t) = &ex.transfer {
                        let hours = match (crate::time::parse(&t.sent), crate::time::parse(time)) {
                            (Ok(sent), Ok(got)) => (got - sent).num_hours(),
                            _ => 0,
                        };
                        if hours > GAP_HOURS {
                            gaps.push(Finding {
                                id: "CUS-GAP",
                                severity: "medium",
                                entries: vec![t.entry, seq],
                                exhibits: vec![x.clone()],
                                message: format!(
                                    "exhibit {x} was in transit for {hours} hours (sent {}, received {time}) with nobody acknowledging custody",
                                    t.sent
                                ),
                            });
                        }
                    }
                    ex.status = ex.transfer.as_ref().map_or(Status::Available, |t| t.resume);
                    ex.transfer = None;
                    ex.holder = signer.clone();
                }
                Event::Release { .. } => ex.status = Status::Released,
                Event::Dispose { .. } => ex.status = Status::Disposed,
            }
        }
        self.recorded_breaches.extend(gaps);
        match event {
            Event::Seal { seal, .. } => self.apply_seal(seal, &c.exhibits, mark),
            Event::Unseal { .. } => {
                self.apply_unseal(&broken, &c.exhibits, mark);
                if let Some((seal, named, first)) = named_seal {
                    self.apply_unseal(&[seal], &named, first);
                }
            }
            _ => {}
        }
    }

    /// Registers the authority a case was opened under (`case.open`'s
    /// `authority` text) as its reference, covering every exhibit, with
    /// what the examiner stated about it (`details`, version 2). What was
    /// not stated gets the value the rules need: kind `other`, valid from
    /// the opening day with no end (the report shows those as not stated).
    pub fn register_opening(
        &mut self,
        reference: &str,
        details: Option<&crate::ledger::AuthorityDetails>,
        jurisdiction: Option<&str>,
        opened: &str,
    ) {
        let day = opened.get(..10).unwrap_or(opened).to_string();
        let d = details.cloned().unwrap_or_default();
        let a = Authority {
            reference: reference.to_string(),
            kind: d.kind.unwrap_or_else(|| "other".into()),
            issuer: d
                .issuer
                .unwrap_or_else(|| "(as stated when the case was opened)".into()),
            jurisdiction: d
                .jurisdiction
                .or(jurisdiction.map(str::to_string))
                .unwrap_or_default(),
            issued: d.issued.unwrap_or_else(|| day.clone()),
            valid_from: Some(d.valid_from.unwrap_or(day)),
            valid_until: d.valid_until,
            scope: Scope {
                all: true,
                exhibits: Vec::new(),
                description: Some(d.scope.unwrap_or_else(|| "the whole case".into())),
            },
        };
        self.authorities.insert(a.reference.clone(), (0, a));
    }

    /// Registers an authority.
    pub fn register(&mut self, a: &Authority, seq: u64) {
        self.authorities
            .insert(a.reference.clone(), (seq, a.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disclose(exhibits: &[&str], redacted: bool, commitment: Option<&str>) -> Event {
        Event::Disclose {
            common: Common {
                exhibits: exhibits.iter().map(|x| ExhibitId::unchecked(*x)).collect(),
                authority: Some("W".into()),
                ..Common::default()
            },
            disclosure: Disclosure {
                recipient: "court".into(),
                package: "pkg-0123456789abcdef".into(),
                redacted_paths: redacted,
                manifests: exhibits
                    .iter()
                    .map(|x| SharedManifest {
                        exhibit: ExhibitId::unchecked(*x),
                        sha256: "a".repeat(64),
                        bytes: 1,
                    })
                    .collect(),
                salt_commitment: commitment.map(str::to_string),
                mixed: None,
                revealed: Vec::new(),
                encrypted_to: Vec::new(),
                attachments: Vec::new(),
            },
        }
    }

    fn state_with(status: Status) -> (CustodyState, Fingerprint) {
        let holder =
            Fingerprint::parse("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let mut s = CustodyState::default();
        s.register_opening("W", None, None, "2026-01-01T00:00:00Z");
        s.acquired(
            &ExhibitId::unchecked("X"),
            1,
            &holder,
            "2026-01-01T00:00:00Z",
            &EntryHash::GENESIS,
        );
        s.exhibits.get_mut("X").unwrap().status = status;
        (s, holder)
    }

    #[test]
    fn disclosure_round_trips_and_is_allowed_in_every_state_by_any_signer() {
        let ev = disclose(&["X"], true, Some(&"b".repeat(64)));
        let (kind, body) = ev.to_entry();
        assert_eq!(kind, kind::DISCLOSE);
        assert_eq!(Event::parse(kind, &body).unwrap(), ev);
        let other =
            Fingerprint::parse("SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA").unwrap();
        for status in Status::ALL {
            let (mut s, _) = state_with(status);
            s.policy = AuthorityPolicy::Strict;
            let actor = Actor {
                signer: &other,
                supervisor: false,
            };
            let breaches = s.check_event(&ev, actor, Utc::now()).unwrap();
            assert!(breaches.is_empty(), "{status:?}: {breaches:?}");
            s.apply(&ev, 2, "2026-01-02T00:00:00Z", &other);
            assert_eq!(s.exhibits["X"].status, status, "state-neutral");
            assert_ne!(&s.exhibits["X"].holder, &other);
        }
    }

    #[test]
    fn disclosure_body_rules() {
        let (s, holder) = state_with(Status::Available);
        let actor = Actor {
            signer: &holder,
            supervisor: false,
        };
        let check = |ev: &Event| s.check_event(ev, actor, Utc::now());
        assert!(check(&disclose(&["X"], true, None)).is_err());
        assert!(check(&disclose(&["X"], false, Some(&"b".repeat(64)))).is_err());
        assert!(check(&disclose(&["X"], true, Some("short"))).is_err());
        let mut ev = disclose(&["X"], false, None);
        if let Event::Disclose { disclosure, .. } = &mut ev {
            disclosure.manifests.clear();
        }
        let err = check(&ev).unwrap_err();
        assert_eq!(
            err,
            EventRuleError::Disclosure(DisclosureRuleError::ManifestsNotExhibits)
        );
        assert!(err.to_string().contains("one manifest per exhibit"));
        // Under the strict policy the authority rule applies.
        let mut strict = s.clone();
        strict.policy = AuthorityPolicy::Strict;
        let mut ev = disclose(&["X"], false, None);
        if let Event::Disclose { common, .. } = &mut ev {
            common.authority = None;
        }
        let b = strict.check_event(&ev, actor, Utc::now()).unwrap();
        assert_eq!(b[0].finding, "AUT-MISSING");
    }
}
