//! Chain of custody: legal authorities, custody events and the exhibit
//! state machine.
//!
//! Every event is a signed ledger entry. The rules here decide whether an
//! event fits the exhibit's current state, whether the signer may perform it
//! (the holder, or a supervisor) and whether a legal authority covers it. A
//! writer refuses an event that breaks a rule unless the examiner gives an
//! override reason; then the event is recorded and the broken rule becomes a
//! finding (`docs/findings.md`). `docs/custody.md` describes the model.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::Fingerprint;

/// Entry types of custody events.
pub mod kind {
    pub const AUTHORITY: &str = "authority.register";
    pub const SEAL: &str = "custody.seal";
    pub const UNSEAL: &str = "custody.unseal";
    pub const LOCATION: &str = "custody.location";
    pub const CHECK_OUT: &str = "custody.check-out";
    pub const CHECK_IN: &str = "custody.check-in";
    pub const ANALYSIS: &str = "custody.analysis";
    pub const TRANSFER: &str = "custody.transfer";
    pub const RECEIPT: &str = "custody.receipt";
    pub const RELEASE: &str = "custody.release";
    pub const DISPOSE: &str = "custody.dispose";
    /// Records about exhibits were shared in an evidence package
    /// (docs/package-format.md); state-neutral.
    pub const DISCLOSE: &str = "custody.disclose";
    /// The custody event types (not `authority.register`).
    pub const EVENTS: &[&str] = &[
        SEAL, UNSEAL, LOCATION, CHECK_OUT, CHECK_IN, ANALYSIS, TRANSFER, RECEIPT, RELEASE, DISPOSE,
        DISCLOSE,
    ];
}

/// Which events must cite a registered legal authority, chosen at `init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorityPolicy {
    /// Acquisition, analysis and cross-border transfer must cite an
    /// authority that is registered, in scope and valid at the time, or the
    /// writer refuses (an override records it as a finding).
    #[default]
    Strict,
    /// The same checks, but a failure is recorded as a finding, not refused.
    Warn,
    /// No authority checks (cases that do not need them, e.g. internal
    /// incident response). Also what a `case.open` without a policy means.
    Off,
}

impl std::str::FromStr for AuthorityPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "strict" => Ok(AuthorityPolicy::Strict),
            "warn" => Ok(AuthorityPolicy::Warn),
            "off" => Ok(AuthorityPolicy::Off),
            _ => Err(format!(
                "unknown authority policy {s:?}; expected strict, warn or off"
            )),
        }
    }
}

/// Case settings recorded in `case.open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub authority: AuthorityPolicy,
}

/// Body of `authority.register`: a legal instrument later events cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// How events cite it, e.g. `TJ-LYON-26/1187`; unique in the case.
    pub reference: String,
    /// search-warrant, court-order, production-order, mlat, eio,
    /// preservation-request, consent or other.
    pub kind: String,
    /// The issuing body, e.g. "Tribunal judiciaire de Lyon".
    pub issuer: String,
    pub jurisdiction: String,
    /// Dates as `YYYY-MM-DD`; the window is inclusive, in UTC.
    pub issued: String,
    pub valid_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    pub scope: Scope,
}

/// What an authority covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Every exhibit of the case.
    #[serde(default)]
    pub all: bool,
    /// These exhibit ids (which may be acquired later).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exhibits: Vec<String>,
    /// The scope in the instrument's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The instrument kinds an authority may have.
pub const AUTHORITY_KINDS: &[&str] = &[
    "search-warrant",
    "court-order",
    "production-order",
    "mlat",
    "eio",
    "preservation-request",
    "consent",
    "other",
];

/// Fields every custody event carries.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    /// The exhibits concerned (a bag with ten drives is one event).
    pub exhibits: Vec<String>,
    /// When it happened, if earlier than the entry's recording time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Reference of a registered authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// Why the event was recorded although it breaks a rule.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "override")]
    pub override_reason: Option<String>,
}

/// An output of an analysis, identified by digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub name: String,
    pub sha256: String,
}

/// A manifest shared in an evidence package, bound by its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedManifest {
    pub exhibit: String,
    /// Hex SHA-256 of the manifest file as shared (redacted or not).
    pub sha256: String,
    pub bytes: u64,
}

/// What a `custody.disclose` event records besides the common fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// Who receives the package (agency, court, defence counsel …).
    pub recipient: String,
    /// The package id, also in the package's `package.json`.
    pub package: String,
    /// Whether file paths in the shared manifests are salted hashes.
    pub redacted_paths: bool,
    /// One per exhibit, in the order of `exhibits`.
    pub manifests: Vec<SharedManifest>,
    /// Hex SHA-256 of the redaction salt; present exactly when
    /// `redacted_paths`. The salt itself stays in the home case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt_commitment: Option<String>,
}

/// A custody event: its type and body.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Seal {
        common: Common,
        seal: String,
    },
    Unseal {
        common: Common,
        seal: String,
        reason: String,
    },
    Location {
        common: Common,
    },
    CheckOut {
        common: Common,
    },
    CheckIn {
        common: Common,
    },
    Analysis {
        common: Common,
        tool: String,
        tool_version: String,
        description: String,
        outputs: Vec<Output>,
    },
    Transfer {
        common: Common,
        to: Fingerprint,
        to_jurisdiction: Option<String>,
    },
    Receipt {
        common: Common,
        transfer: u64,
    },
    Release {
        common: Common,
        to: String,
    },
    Dispose {
        common: Common,
        method: String,
        witness: String,
    },
    Disclose {
        common: Common,
        disclosure: Disclosure,
    },
}

macro_rules! body_struct {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            #[serde(flatten)]
            common: Common,
            $($field: $ty,)*
        }
    };
}

body_struct!(SealBody { seal: String });
body_struct!(UnsealBody {
    seal: String,
    reason: String
});
body_struct!(PlainBody {});
body_struct!(AnalysisBody { tool: String, tool_version: String, description: String, outputs: Vec<Output> });
body_struct!(ReleaseBody { to: String });
body_struct!(DisposeBody {
    method: String,
    witness: String
});
body_struct!(ReceiptBody { transfer: u64 });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscloseBody {
    #[serde(flatten)]
    common: Common,
    #[serde(flatten)]
    disclosure: Disclosure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    #[serde(flatten)]
    common: Common,
    to: Fingerprint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_jurisdiction: Option<String>,
}

impl Event {
    /// Parses the body of a custody entry of type `kind`.
    pub fn parse(kind: &str, body: &serde_json::Value) -> Result<Event, String> {
        fn de<T: for<'de> Deserialize<'de>>(
            kind: &str,
            body: &serde_json::Value,
        ) -> Result<T, String> {
            T::deserialize(body).map_err(|e| format!("body of {kind} entry is invalid: {e}"))
        }
        Ok(match kind {
            kind::SEAL => {
                let b: SealBody = de(kind, body)?;
                Event::Seal {
                    common: b.common,
                    seal: b.seal,
                }
            }
            kind::UNSEAL => {
                let b: UnsealBody = de(kind, body)?;
                Event::Unseal {
                    common: b.common,
                    seal: b.seal,
                    reason: b.reason,
                }
            }
            kind::LOCATION => Event::Location {
                common: de::<PlainBody>(kind, body)?.common,
            },
            kind::CHECK_OUT => Event::CheckOut {
                common: de::<PlainBody>(kind, body)?.common,
            },
            kind::CHECK_IN => Event::CheckIn {
                common: de::<PlainBody>(kind, body)?.common,
            },
            kind::ANALYSIS => {
                let b: AnalysisBody = de(kind, body)?;
                Event::Analysis {
                    common: b.common,
                    tool: b.tool,
                    tool_version: b.tool_version,
                    description: b.description,
                    outputs: b.outputs,
                }
            }
            kind::TRANSFER => {
                let b: TransferBody = de(kind, body)?;
                Event::Transfer {
                    common: b.common,
                    to: b.to,
                    to_jurisdiction: b.to_jurisdiction,
                }
            }
            kind::RECEIPT => {
                let b: ReceiptBody = de(kind, body)?;
                Event::Receipt {
                    common: b.common,
                    transfer: b.transfer,
                }
            }
            kind::RELEASE => {
                let b: ReleaseBody = de(kind, body)?;
                Event::Release {
                    common: b.common,
                    to: b.to,
                }
            }
            kind::DISPOSE => {
                let b: DisposeBody = de(kind, body)?;
                Event::Dispose {
                    common: b.common,
                    method: b.method,
                    witness: b.witness,
                }
            }
            kind::DISCLOSE => {
                let b: DiscloseBody = de(kind, body)?;
                Event::Disclose {
                    common: b.common,
                    disclosure: b.disclosure,
                }
            }
            other => return Err(format!("{other} is not a custody event type")),
        })
    }

    /// The event as an entry type and body, for appending.
    pub fn to_entry(&self) -> (&'static str, serde_json::Value) {
        let v = |x: serde_json::Result<serde_json::Value>| x.expect("custody body serialises");
        match self.clone() {
            Event::Seal { common, seal } => (
                kind::SEAL,
                v(serde_json::to_value(SealBody { common, seal })),
            ),
            Event::Unseal {
                common,
                seal,
                reason,
            } => (
                kind::UNSEAL,
                v(serde_json::to_value(UnsealBody {
                    common,
                    seal,
                    reason,
                })),
            ),
            Event::Location { common } => (
                kind::LOCATION,
                v(serde_json::to_value(PlainBody { common })),
            ),
            Event::CheckOut { common } => (
                kind::CHECK_OUT,
                v(serde_json::to_value(PlainBody { common })),
            ),
            Event::CheckIn { common } => (
                kind::CHECK_IN,
                v(serde_json::to_value(PlainBody { common })),
            ),
            Event::Analysis {
                common,
                tool,
                tool_version,
                description,
                outputs,
            } => (
                kind::ANALYSIS,
                v(serde_json::to_value(AnalysisBody {
                    common,
                    tool,
                    tool_version,
                    description,
                    outputs,
                })),
            ),
            Event::Transfer {
                common,
                to,
                to_jurisdiction,
            } => (
                kind::TRANSFER,
                v(serde_json::to_value(TransferBody {
                    common,
                    to,
                    to_jurisdiction,
                })),
            ),
            Event::Receipt { common, transfer } => (
                kind::RECEIPT,
                v(serde_json::to_value(ReceiptBody { common, transfer })),
            ),
            Event::Release { common, to } => (
                kind::RELEASE,
                v(serde_json::to_value(ReleaseBody { common, to })),
            ),
            Event::Dispose {
                common,
                method,
                witness,
            } => (
                kind::DISPOSE,
                v(serde_json::to_value(DisposeBody {
                    common,
                    method,
                    witness,
                })),
            ),
            Event::Disclose { common, disclosure } => (
                kind::DISCLOSE,
                v(serde_json::to_value(DiscloseBody { common, disclosure })),
            ),
        }
    }

    pub fn common(&self) -> &Common {
        match self {
            Event::Seal { common, .. }
            | Event::Unseal { common, .. }
            | Event::Location { common }
            | Event::CheckOut { common }
            | Event::CheckIn { common }
            | Event::Analysis { common, .. }
            | Event::Transfer { common, .. }
            | Event::Receipt { common, .. }
            | Event::Release { common, .. }
            | Event::Dispose { common, .. }
            | Event::Disclose { common, .. } => common,
        }
    }

    /// A short verb for timelines.
    pub fn verb(&self) -> &'static str {
        match self {
            Event::Seal { .. } => "sealed",
            Event::Unseal { .. } => "unsealed",
            Event::Location { .. } => "moved",
            Event::CheckOut { .. } => "checked out",
            Event::CheckIn { .. } => "checked in",
            Event::Analysis { .. } => "analysed",
            Event::Transfer { .. } => "transferred",
            Event::Receipt { .. } => "received",
            Event::Release { .. } => "released",
            Event::Dispose { .. } => "disposed of",
            Event::Disclose { .. } => "disclosed",
        }
    }

    /// One line for `log`.
    pub fn summary(&self) -> String {
        let c = self.common();
        let mut s = format!("{} {}", c.exhibits.join(", "), self.verb());
        match self {
            Event::Seal { seal, .. } => s.push_str(&format!(" under seal {seal}")),
            Event::Unseal { seal, reason, .. } => s.push_str(&format!(" (seal {seal}): {reason}")),
            Event::Analysis {
                tool,
                tool_version,
                description,
                ..
            } => s.push_str(&format!(" with {tool} {tool_version}: {description}")),
            Event::Transfer { to, .. } => s.push_str(&format!(" to {to}")),
            Event::Receipt { transfer, .. } => {
                s.push_str(&format!(" (transfer at entry {transfer})"))
            }
            Event::Release { to, .. } => s.push_str(&format!(" to {to}")),
            Event::Dispose {
                method, witness, ..
            } => s.push_str(&format!(" by {method}, witnessed by {witness}")),
            Event::Disclose { disclosure: d, .. } => s.push_str(&format!(
                " to {} in package {}{}",
                d.recipient,
                d.package,
                if d.redacted_paths {
                    " (paths redacted)"
                } else {
                    ""
                }
            )),
            _ => {}
        }
        if let Some(l) = &c.location {
            s.push_str(&format!(" at {l}"));
        }
        if let Some(p) = &c.purpose {
            s.push_str(&format!(" for {p}"));
        }
        if c.override_reason.is_some() {
            s.push_str(" [OVERRIDE]");
        }
        s
    }
}

/// Where an exhibit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingTransfer {
    pub entry: u64,
    pub to: Fingerprint,
    pub sent: String,
    /// The status the exhibit returns to on receipt.
    #[serde(skip)]
    pub resume: Status,
}

/// One exhibit's custody as replayed from the ledger.
#[derive(Debug, Clone, Serialize)]
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
}

/// A rule an event broke. With an override it is recorded as a finding;
/// without one a writer refuses and a verifier reports an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// Stable finding id (docs/findings.md).
    pub finding: &'static str,
    pub message: String,
}

fn breach(finding: &'static str, message: impl Into<String>) -> Breach {
    Breach {
        finding,
        message: message.into(),
    }
}

/// Custody state of the whole case.
#[derive(Debug, Clone, Default)]
pub struct CustodyState {
    pub policy: AuthorityPolicy,
    /// The case's jurisdiction (from `case.open`).
    pub jurisdiction: Option<String>,
    pub authorities: BTreeMap<String, (u64, Authority)>,
    pub exhibits: BTreeMap<String, ExhibitCustody>,
    /// Rules broken by recorded events (overrides, tolerated authority
    /// breaches), in ledger order.
    pub recorded_breaches: Vec<Finding>,
}

/// A weakness in the chain of custody, for reports (`docs/findings.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `CUS-OVERRIDE`.
    pub id: &'static str,
    pub severity: &'static str,
    /// The entries it rests on.
    pub entries: Vec<u64>,
    pub exhibits: Vec<String>,
    pub message: String,
}

/// The rules of a disclosure body that hold whatever the case state.
fn check_disclosure(d: &Disclosure, exhibits: &[String]) -> Result<(), String> {
    let hex64 =
        |s: &str| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if d.recipient.trim().is_empty() {
        return Err("a disclosure needs a recipient".into());
    }
    if d.package.trim().is_empty() {
        return Err("a disclosure needs a package id".into());
    }
    let listed: Vec<&String> = d.manifests.iter().map(|m| &m.exhibit).collect();
    if listed != exhibits.iter().collect::<Vec<_>>() {
        return Err(
            "a disclosure must list one manifest per exhibit, in the order of exhibits".into(),
        );
    }
    if let Some(m) = d.manifests.iter().find(|m| !hex64(&m.sha256)) {
        return Err(format!(
            "manifest of exhibit {}: sha256 must be 64 lowercase hex digits",
            m.exhibit
        ));
    }
    match (&d.salt_commitment, d.redacted_paths) {
        (Some(s), true) if hex64(s) => Ok(()),
        (None, false) => Ok(()),
        (Some(_), true) => Err("salt_commitment must be 64 lowercase hex digits".into()),
        (None, true) => Err("a disclosure with redacted paths needs a salt_commitment".into()),
        (Some(_), false) => {
            Err("a disclosure without redacted paths has no salt_commitment".into())
        }
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

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("invalid date {s:?}: expected YYYY-MM-DD");
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?;
    // One spelling per date: 2026-02-01, never 2026-2-1.
    if d.format("%Y-%m-%d").to_string() != s {
        return Err(bad());
    }
    Ok(d)
}

impl CustodyState {
    /// Records breaches of an accepted entry as findings.
    pub fn record_breaches(
        &mut self,
        seq: u64,
        exhibits: &[String],
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
    pub fn check_authority(&self, a: &Authority) -> Result<(), String> {
        if a.reference.trim().is_empty() {
            return Err("an authority needs a reference".into());
        }
        if let Some((seq, _)) = self.authorities.get(&a.reference) {
            return Err(format!(
                "authority {} was already registered at entry {seq}",
                a.reference
            ));
        }
        if !AUTHORITY_KINDS.contains(&a.kind.as_str()) {
            return Err(format!(
                "unknown authority kind {:?}; expected one of {}",
                a.kind,
                AUTHORITY_KINDS.join(", ")
            ));
        }
        for d in [Some(&a.issued), Some(&a.valid_from), a.valid_until.as_ref()]
            .into_iter()
            .flatten()
        {
            parse_date(d)?;
        }
        if let Some(until) = &a.valid_until {
            if parse_date(until)? < parse_date(&a.valid_from)? {
                return Err("valid_until is before valid_from".into());
            }
        }
        if !a.scope.all && a.scope.exhibits.is_empty() {
            return Err("an authority's scope must name exhibits or be all".into());
        }
        Ok(())
    }

    /// Whether `reference` covers `exhibits` at `when`; the breach if not.
    pub fn authority_covers(
        &self,
        reference: Option<&str>,
        exhibits: &[String],
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
        let from = parse_date(&a.valid_from).ok();
        let until = a.valid_until.as_deref().and_then(|u| parse_date(u).ok());
        if from.is_some_and(|f| day < f) || until.is_some_and(|u| day > u) {
            return Some(breach(
                "AUT-EXPIRED",
                format!(
                    "authority {reference} is valid from {} to {}, not on {day}",
                    a.valid_from,
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
        exhibit: &str,
        authority: Option<&str>,
        when: DateTime<Utc>,
    ) -> Option<Breach> {
        if self.policy == AuthorityPolicy::Off {
            return None;
        }
        self.authority_covers(authority, &[exhibit.to_string()], when)
    }

    /// Checks a custody event at time `when` (its `at`, else the entry
    /// time). Returns the rules it breaks (empty when it fits) or a hard
    /// error that no override can excuse (unknown exhibit, malformed body).
    pub fn check_event(
        &self,
        event: &Event,
        actor: Actor,
        when: DateTime<Utc>,
    ) -> Result<Vec<Breach>, String> {
        let c = event.common();
        if c.exhibits.is_empty() {
            return Err("a custody event must name at least one exhibit".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for x in &c.exhibits {
            if !seen.insert(x) {
                return Err(format!("exhibit {x} is named twice"));
            }
            if !self.exhibits.contains_key(x) {
                return Err(format!("exhibit {x} has not been acquired in this case"));
            }
        }
        if let Some(at) = &c.at {
            crate::time::parse(at)?;
        }
        if let Some(reason) = &c.override_reason {
            if reason.trim().is_empty() {
                return Err("an override needs a reason".into());
            }
        }
        if let Event::Transfer { to, .. } = event {
            if to == actor.signer {
                return Err("an exhibit cannot be transferred to its sender".into());
            }
        }
        let mut breaches = Vec::new();
        for x in &c.exhibits {
            let ex = &self.exhibits[x];
            let allowed: &[Status] = match event {
                Event::Seal { .. } => &[Status::Available],
                Event::Unseal { .. } => &[Status::Sealed],
                Event::Location { .. } => &[Status::Available, Status::Sealed, Status::CheckedOut],
                Event::CheckOut { .. } => &[Status::Available],
                Event::CheckIn { .. } => &[Status::CheckedOut],
                Event::Analysis { .. } => &[Status::Available, Status::CheckedOut],
                Event::Transfer { .. } => &[Status::Available, Status::Sealed],
                Event::Receipt { .. } => &[Status::InTransit],
                Event::Release { .. } | Event::Dispose { .. } => {
                    &[Status::Available, Status::Sealed]
                }
                // Sharing records does not touch the exhibit: any state.
                Event::Disclose { .. } => &[
                    Status::Available,
                    Status::Sealed,
                    Status::CheckedOut,
                    Status::InTransit,
                    Status::Released,
                    Status::Disposed,
                ],
            };
            if !allowed.contains(&ex.status) {
                breaches.push(breach(
                    "CUS-STATE",
                    format!(
                        "exhibit {x} is {}; it cannot be {} now",
                        ex.status.as_str(),
                        event.verb()
                    ),
                ));
            }
            match event {
                Event::Receipt { transfer, .. } => match &ex.transfer {
                    Some(t) if t.entry == *transfer => {
                        if &t.to != actor.signer {
                            breaches.push(breach(
                                "CUS-RECEIPT",
                                format!(
                                    "exhibit {x} was transferred to {}, not to the signer {}",
                                    t.to, actor.signer
                                ),
                            ));
                        }
                    }
                    // No override can make a receipt of nothing meaningful.
                    _ => {
                        return Err(format!(
                            "exhibit {x} has no pending transfer at entry {transfer}"
                        ))
                    }
                },
                Event::Transfer { to, .. } if &ex.holder == to => {
                    return Err(format!("exhibit {x} is already held by {to}"));
                }
                // Disclosing records is not handling the exhibit: any
                // active signer may do it (the authority rule applies).
                Event::Disclose { .. } => {}
                _ => {
                    if &ex.holder != actor.signer && !actor.supervisor {
                        breaches.push(breach(
                            "CUS-HOLDER",
                            format!("exhibit {x} is held by {}; only its holder or a supervisor may do this", ex.holder),
                        ));
                    }
                }
            }
            if let Event::Unseal { seal, .. } = event {
                if ex.seal.as_deref().is_some_and(|s| s != seal) {
                    breaches.push(breach(
                        "CUS-SEAL",
                        format!(
                            "exhibit {x} is under seal {}, not {seal}",
                            ex.seal.as_deref().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        if let Event::Analysis { outputs, .. } = event {
            for o in outputs {
                if o.sha256.len() != 64
                    || !o
                        .sha256
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                {
                    return Err(format!(
                        "output {:?}: sha256 must be 64 lowercase hex digits",
                        o.name
                    ));
                }
            }
        }
        if let Event::Disclose { disclosure: d, .. } = event {
            check_disclosure(d, &c.exhibits)?;
        }
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
            if let Some(b) = self.authority_covers(c.authority.as_deref(), &c.exhibits, when) {
                breaches.push(b);
            }
        } else if let Some(r) = &c.authority {
            // A cited authority must exist even where none is required.
            if !self.authorities.contains_key(r) {
                breaches.push(breach(
                    "AUT-MISSING",
                    format!("authority {r:?} is not registered in this case"),
                ));
            }
        }
        Ok(breaches)
    }

    /// Whether breaches may be recorded without an override under the
    /// case policy (authority breaches under `warn`).
    pub fn tolerated(&self, b: &Breach) -> bool {
        self.policy == AuthorityPolicy::Warn && b.finding.starts_with("AUT-")
    }

    /// Registers a new exhibit after its acquisition.
    pub fn acquired(&mut self, exhibit: &str, seq: u64, holder: &Fingerprint) {
        self.exhibits.insert(
            exhibit.to_string(),
            ExhibitCustody {
                status: Status::Available,
                holder: holder.clone(),
                location: None,
                seal: None,
                transfer: None,
                checkout: None,
                entries: vec![seq],
            },
        );
    }

    /// Applies an event that was accepted (possibly with an override).
    pub fn apply(&mut self, event: &Event, seq: u64, recorded: &str, signer: &Fingerprint) {
        let c = event.common();
        // When it happened: the event's `at`, else its recording time.
        let time = c.at.as_deref().unwrap_or(recorded);
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
                }
                Event::Unseal { .. } => {
                    ex.status = Status::Available;
                    ex.seal = None;
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
    }

    /// Registers the authority a case was opened under (`case.open`'s
    /// `authority` text) as its reference: kind `other`, covering every
    /// exhibit, valid from the opening day with no end.
    pub fn register_opening(&mut self, reference: &str, jurisdiction: Option<&str>, opened: &str) {
        let day = opened.get(..10).unwrap_or(opened).to_string();
        let a = Authority {
            reference: reference.to_string(),
            kind: "other".into(),
            issuer: "(as stated when the case was opened)".into(),
            jurisdiction: jurisdiction.unwrap_or_default().to_string(),
            issued: day.clone(),
            valid_from: day,
            valid_until: None,
            scope: Scope {
                all: true,
                exhibits: Vec::new(),
                description: Some("the whole case".into()),
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
                exhibits: exhibits.iter().map(|x| x.to_string()).collect(),
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
                        exhibit: x.to_string(),
                        sha256: "a".repeat(64),
                        bytes: 1,
                    })
                    .collect(),
                salt_commitment: commitment.map(str::to_string),
            },
        }
    }

    fn state_with(status: Status) -> (CustodyState, Fingerprint) {
        let holder =
            Fingerprint::parse("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let mut s = CustodyState::default();
        s.register_opening("W", None, "2026-01-01T00:00:00Z");
        s.acquired("X", 1, &holder);
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
        for status in [
            Status::Available,
            Status::Sealed,
            Status::CheckedOut,
            Status::InTransit,
            Status::Released,
            Status::Disposed,
        ] {
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
        assert!(check(&ev).unwrap_err().contains("one manifest per exhibit"));
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
