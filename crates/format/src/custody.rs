//! Chain of custody as recorded: legal authorities, custody events and
//! their entry bodies. The rules that decide whether an event fits an
//! exhibit's state live in the engine (`custodian::custody`); the model is
//! described in `docs/guide/custody.md`.

use serde::{Deserialize, Serialize};

use crate::body::BodyError;
use crate::id::ExhibitId;
use crate::sshsig::Fingerprint;

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
    /// (docs/spec/package.md); state-neutral.
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
    type Err = BodyError;
    fn from_str(s: &str) -> Result<Self, BodyError> {
        match s {
            "strict" => Ok(AuthorityPolicy::Strict),
            "warn" => Ok(AuthorityPolicy::Warn),
            "off" => Ok(AuthorityPolicy::Off),
            _ => Err(BodyError::UnknownPolicy {
                given: s.to_string(),
            }),
        }
    }
}

/// Case settings recorded in `case.open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub authority: AuthorityPolicy,
    /// How many seconds after its own recording an event may say it
    /// happened (`at`) before it is `CUS-FUTURE` (format version 2; absent:
    /// 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_seconds: Option<u64>,
}

impl Policy {
    /// The allowed skew: the stated one, else the default of 300 seconds.
    pub fn clock_skew(&self) -> u64 {
        self.clock_skew_seconds
            .unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS)
    }
}

/// The clock skew a case allows when its policy states none.
pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 300;

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
    /// Required in version 1; in version 2 absent when the examiner did
    /// not state it: the authority is then valid from `issued`
    /// ([`Authority::valid_from_or_issued`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    pub scope: Scope,
}

impl Authority {
    /// The first day of validity the rules apply: the stated `valid_from`,
    /// else the issue date.
    pub fn valid_from_or_issued(&self) -> &str {
        self.valid_from.as_deref().unwrap_or(&self.issued)
    }
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
    pub exhibits: Vec<ExhibitId>,
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
///
/// In memory the exhibits are always a list. On the wire a version-1 entry
/// names them as `exhibits` (an array); a version-2 entry names its one
/// exhibit as `exhibit` ([`Common::single`]) and carries `event` and
/// `prior` (docs/spec/ledger.md §7.8, docs/spec/custody.md §14).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "CommonWire", into = "CommonWire")]
pub struct Common {
    /// The exhibits concerned: one in a version-2 entry; a version-1 entry
    /// may name several (a bag with ten drives was one entry).
    pub exhibits: Vec<ExhibitId>,
    /// Written as `exhibit` (version 2) rather than `exhibits` (version 1).
    pub single: bool,
    /// When it happened, if earlier than the entry's recording time.
    pub at: Option<String>,
    pub location: Option<String>,
    pub purpose: Option<String>,
    /// Reference of a registered authority.
    pub authority: Option<String>,
    /// The authority was not given by the examiner: the writer cited the
    /// one that covers the event (version 2).
    pub authority_default: bool,
    /// Why the event was recorded although it breaks a rule.
    pub override_reason: Option<String>,
    /// Which part of which multi-exhibit event this entry is (version 2).
    pub event: Option<EventPart>,
    /// Hex entry hash of the previous entry concerning the exhibit: its
    /// acquisition or its previous custody entry (version 2).
    pub prior: Option<String>,
}

/// One entry of a custody event: a version-2 event concerning several
/// exhibits is written as one entry per exhibit, consecutive, tied by a
/// random id, so that each exhibit's part can be disclosed alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPart {
    /// 32 lowercase hex digits, the same in every part.
    pub id: String,
    /// 1-based position of this part.
    pub part: u64,
    /// How many parts (exhibits) the event has.
    pub of: u64,
}

/// Why a version-2 unseal unsealed its exhibit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnsealCause {
    /// This exhibit was taken out of its bag.
    Opened,
    /// The seal it was under was broken to take out another exhibit.
    SharedSeal,
}

/// [`Common`] as written: `exhibits` or `exhibit`, never both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exhibits: Option<Vec<ExhibitId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exhibit: Option<ExhibitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority_default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "override")]
    override_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<EventPart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prior: Option<String>,
}

impl TryFrom<CommonWire> for Common {
    type Error = String;
    fn try_from(w: CommonWire) -> Result<Common, String> {
        let (exhibits, single) = match (w.exhibits, w.exhibit) {
            (Some(list), None) => (list, false),
            (None, Some(one)) => (vec![one], true),
            (Some(_), Some(_)) => return Err("has both `exhibits` and `exhibit`".into()),
            (None, None) => return Err("missing field `exhibits` (or `exhibit`)".into()),
        };
        let authority_default = match w.authority_default {
            None => false,
            Some(true) if w.authority.is_some() => true,
            Some(_) => {
                return Err("`authority_default` is only ever `true`, beside an `authority`".into())
            }
        };
        Ok(Common {
            exhibits,
            single,
            at: w.at,
            location: w.location,
            purpose: w.purpose,
            authority: w.authority,
            authority_default,
            override_reason: w.override_reason,
            event: w.event,
            prior: w.prior,
        })
    }
}

impl From<Common> for CommonWire {
    fn from(c: Common) -> CommonWire {
        let (exhibits, exhibit) = match (c.single, c.exhibits.as_slice()) {
            (true, [one]) => (None, Some(one.clone())),
            _ => (Some(c.exhibits), None),
        };
        CommonWire {
            exhibits,
            exhibit,
            at: c.at,
            location: c.location,
            purpose: c.purpose,
            authority: c.authority,
            authority_default: c.authority_default.then_some(true),
            override_reason: c.override_reason,
            event: c.event,
            prior: c.prior,
        }
    }
}

impl Common {
    /// Whether the entry uses a member that only version 2 defines.
    pub fn has_v2_members(&self) -> bool {
        self.single || self.authority_default || self.event.is_some() || self.prior.is_some()
    }
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
    pub exhibit: ExhibitId,
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
    /// What the packager chose for version-1 entries that name a shared
    /// and an unshared exhibit at once (format version 2; absent when the
    /// ledger has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed: Option<MixedChoice>,
    /// With `mixed: reveal`, the exhibits not shared that those entries
    /// name, and so reveal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revealed: Vec<ExhibitId>,
    /// The age recipients the package is encrypted to, in the order given
    /// (absent: the package is not encrypted). Added with encrypted
    /// packages (docs/spec/package.md §9); a build that predates them
    /// reads an entry holding it as `bad-body`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encrypted_to: Vec<EncryptedTo>,
    /// The attached files the package carries (`package --attachments`),
    /// in ledger order (absent: none). Added with attachments
    /// (docs/spec/package.md §10); a build that predates them reads an
    /// entry holding it as `bad-body`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<SharedAttachment>,
}

/// One attached file a package carries, as its disclosure records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedAttachment {
    /// Lowercase hex SHA-256 of the file (its name in the package).
    pub sha256: String,
    /// Its name when attached.
    pub name: String,
    /// `seq` of the entry recording it (`attachment.add`, or
    /// `exhibit.import` for an imported log).
    pub entry: u64,
}

/// One recipient an encrypted package is made for, as recorded in its
/// `custody.disclose` entry (docs/spec/package.md §9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTo {
    /// The age recipient: `ssh-ed25519 AAAA…` (no comment) or `age1…`.
    pub recipient: String,
    /// The agency the examiner stated for this recipient; absent: not
    /// stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

/// What a package does with a version-1 entry naming a shared and an
/// unshared exhibit: its signature covers both, so it is given whole or
/// not at all (docs/spec/package.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MixedChoice {
    /// Given whole; the unshared exhibits it names are listed.
    Reveal,
    /// Withheld (hash and proof only); the shared exhibit's custody has a
    /// hole there, which `verify-package` reports.
    Withhold,
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
        /// Version 2: why this exhibit was unsealed.
        cause: Option<UnsealCause>,
        /// Version 2: how many exhibits the seal covered when it was broken.
        covers: Option<u64>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsealBody {
    #[serde(flatten)]
    common: Common,
    seal: String,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cause: Option<UnsealCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    covers: Option<u64>,
}
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
    pub fn parse(kind: &str, body: &serde_json::Value) -> Result<Event, BodyError> {
        fn de<T: for<'de> Deserialize<'de>>(
            kind: &str,
            body: &serde_json::Value,
        ) -> Result<T, BodyError> {
            T::deserialize(body).map_err(|e| BodyError::invalid(kind, e))
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
                    cause: b.cause,
                    covers: b.covers,
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
            other => {
                return Err(BodyError::NotCustody {
                    kind: other.to_string(),
                })
            }
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
                cause,
                covers,
            } => (
                kind::UNSEAL,
                v(serde_json::to_value(UnsealBody {
                    common,
                    seal,
                    reason,
                    cause,
                    covers,
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

    /// The common part, for a writer completing an event before it signs
    /// it (the exhibits a broken seal covers, the default authority).
    pub fn common_mut(&mut self) -> &mut Common {
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
            Event::Unseal {
                seal,
                reason,
                cause: Some(UnsealCause::SharedSeal),
                ..
            } => s.push_str(&format!(
                " (seal {seal}, broken to take out another exhibit under it): {reason}"
            )),
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
            Event::Disclose { disclosure: d, .. } => {
                s.push_str(&format!(
                    " to {} in package {}{}",
                    d.recipient,
                    d.package,
                    if d.redacted_paths {
                        " (paths redacted)"
                    } else {
                        ""
                    }
                ));
                if !d.encrypted_to.is_empty() {
                    let who: Vec<&str> = d
                        .encrypted_to
                        .iter()
                        .map(|r| r.agency.as_deref().unwrap_or("agency not stated"))
                        .collect();
                    s.push_str(&format!(
                        ", encrypted to {} recipient(s) ({})",
                        who.len(),
                        who.join("; ")
                    ));
                }
                if !d.attachments.is_empty() {
                    s.push_str(&format!(", with {} attached file(s)", d.attachments.len()));
                }
            }
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
