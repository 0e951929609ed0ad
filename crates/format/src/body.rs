//! The bodies of ledger entries, one type per entry kind, and [`Body`],
//! the typed view of an entry's `body` member.
//!
//! An entry's hash and signature cover its bytes as written, so a reader
//! never re-serialises a parsed body to check it; [`Body::to_entry`] exists
//! for writers, which serialise a body once, when they append it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attachment::{AttachmentAdd, ExhibitImport};
use crate::custody::{Authority, Event, Policy};
use crate::entry::Entry;
use crate::id::{CaseId, ExhibitId, IdError};
use crate::source::{ClockState, HostSystem, SourceDevice};
use crate::sshsig::{Fingerprint, KeyError, SignerKey};
use crate::timestamp::TimestampAttach;

/// A body that does not fit its entry kind, or a value a body field may
/// not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("body of {kind} entry is invalid: {reason}")]
    Invalid { kind: String, reason: String },
    #[error("{kind} is not a custody event type")]
    NotCustody { kind: String },
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("unknown role {given:?}; expected one of supervisor, examiner, evidence-officer, witness, auditor")]
    UnknownRole { given: String },
    #[error("unknown authority policy {given:?}; expected strict, warn or off")]
    UnknownPolicy { given: String },
}

impl BodyError {
    pub(crate) fn invalid(kind: &str, e: impl std::fmt::Display) -> BodyError {
        BodyError::Invalid {
            kind: kind.to_string(),
            reason: e.to_string(),
        }
    }
}

/// Entry types. New types are added with the spec; a verifier of this
/// version checks chain and signature of types it does not know, and warns.
pub mod kind {
    pub const CASE_OPEN: &str = "case.open";
    pub const SIGNER_ADD: &str = "signer.add";
    pub const SIGNER_REVOKE: &str = "signer.revoke";
    pub const NOTE: &str = "note";
    pub const EXHIBIT_ACQUIRE: &str = "exhibit.acquire";
    /// An RFC 3161 timestamp of a checkpoint (docs/guide/timestamps.md).
    pub const TIMESTAMP_ATTACH: &str = "timestamp.attach";
    pub const EXHIBIT_HASHSET_MATCH: &str = "exhibit.hashset-match";
    /// The ciphertext of an encrypted evidence package, recorded after it
    /// was written (docs/spec/package.md §9.2).
    pub const PACKAGE_ENCRYPTED: &str = "package.encrypted";
    /// A file documenting the case or an exhibit, stored by its digest
    /// (docs/spec/ledger.md §7.13).
    pub const ATTACHMENT_ADD: &str = "attachment.add";
    /// The digests an imported acquisition's log states, checked
    /// (docs/spec/ledger.md §7.14).
    pub const EXHIBIT_IMPORT: &str = "exhibit.import";
    pub use crate::custody::kind::*;
    /// Every type this version understands.
    pub const KNOWN: &[&str] = &[
        CASE_OPEN,
        SIGNER_ADD,
        SIGNER_REVOKE,
        NOTE,
        EXHIBIT_ACQUIRE,
        AUTHORITY,
        SEAL,
        UNSEAL,
        LOCATION,
        CHECK_OUT,
        CHECK_IN,
        ANALYSIS,
        TRANSFER,
        RECEIPT,
        RELEASE,
        DISPOSE,
        TIMESTAMP_ATTACH,
        DISCLOSE,
        EXHIBIT_HASHSET_MATCH,
        PACKAGE_ENCRYPTED,
        ATTACHMENT_ADD,
        EXHIBIT_IMPORT,
    ];
}

/// Role of a signer within a case. Supervisors manage signers; everyone else
/// may only append entries in their own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Supervisor,
    Examiner,
    EvidenceOfficer,
    Witness,
    Auditor,
}

impl Role {
    pub const ALL: &[Role] = &[
        Role::Supervisor,
        Role::Examiner,
        Role::EvidenceOfficer,
        Role::Witness,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supervisor => "supervisor",
            Role::Examiner => "examiner",
            Role::EvidenceOfficer => "evidence-officer",
            Role::Witness => "witness",
            Role::Auditor => "auditor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = BodyError;
    fn from_str(s: &str) -> Result<Self, BodyError> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| BodyError::UnknownRole {
                given: s.to_string(),
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signer as introduced by `case.open` or `signer.add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerInfo {
    pub principal: String,
    pub role: Role,
    /// `ssh-ed25519 AAAA…`, no comment.
    pub key: String,
    /// The person's name as it should appear in reports (format version 2;
    /// their own or their supervisor's statement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The qualifications the person states (format version 2), shown as
    /// their statement wherever they certify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifications: Option<String>,
}

/// Body of `case.open` (entry 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseOpen {
    pub case_id: CaseId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    /// The opening signer, the case's first root of trust.
    pub signer: SignerInfo,
    /// Case settings; absent means no authority checks (policy `off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// What the examiner stated about `authority` beyond its reference
    /// (format version 2); absent members are not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_details: Option<Box<AuthorityDetails>>,
}

/// The authority a case is opened under, as stated at `init` (format
/// version 2). Its reference is `case.open`'s `authority`; it always covers
/// the whole case. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityDetails {
    /// One of the authority kinds of `authority.register`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The instrument's jurisdiction, when it differs from the case's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The scope in the instrument's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl AuthorityDetails {
    /// Every stated member, by its name, for the rules and the report.
    pub fn stated(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("kind", self.kind.as_deref()),
            ("issuer", self.issuer.as_deref()),
            ("jurisdiction", self.jurisdiction.as_deref()),
            ("issued", self.issued.as_deref()),
            ("valid_from", self.valid_from.as_deref()),
            ("valid_until", self.valid_until.as_deref()),
            ("scope", self.scope.as_deref()),
        ]
    }
}

/// Body of `signer.add`.
pub type SignerAdd = SignerInfo;

/// Body of `signer.revoke`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerRevoke {
    pub fingerprint: Fingerprint,
    pub reason: String,
}

/// Body of `note`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
}

/// The manifest an acquisition wrote, bound to the ledger by its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRef {
    /// Path relative to the case folder, `/`-separated, e.g.
    /// `manifests/EXH-001.jsonl`.
    pub path: String,
    /// Hex SHA-256 of the manifest file's bytes.
    pub sha256: String,
    /// Size of the manifest file.
    pub bytes: u64,
}

/// What an acquisition met, as counted in its manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcquisitionCounts {
    /// Regular files listed (hard-link repeats included).
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// FIFOs, sockets, devices: listed, never read.
    pub special: u64,
    /// Bytes read and hashed.
    pub bytes: u64,
    /// Objects that could not be read (each has an `error` in the manifest).
    pub errors: u64,
    /// Objects deliberately not examined (e.g. the case folder itself).
    pub skipped: u64,
    /// Files whose size or times changed while they were being read.
    pub changed_during_read: u64,
    /// Paths that are hard links to a file listed earlier.
    pub hardlinks: u64,
}

/// Body of `exhibit.acquire`: an exhibit catalogued with strong hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExhibitAcquire {
    /// The exhibit's identifier, unique in the case.
    pub exhibit: ExhibitId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the exhibit came from (device, seizure place, owner …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Legal authority for the acquisition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// Digest algorithms computed for every file, e.g. `["md5","sha1","sha256"]`.
    pub algorithms: Vec<String>,
    /// The paths acquired, as given on the command line.
    pub roots: Vec<String>,
    pub manifest: ManifestRef,
    pub counts: AcquisitionCounts,
    /// When hashing started and finished (ledger time form).
    pub started: String,
    pub finished: String,
    /// Host name of the acquiring machine.
    pub host: String,
    /// For an exhibit that is one regular file: that file's digests
    /// (algorithm name → hex), so reports can show them without the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests: Option<BTreeMap<String, String>>,
    /// For each acquired path that is an E01/EWF image: what the image says
    /// about itself and whether its media still hash to the digests it
    /// stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ewf: Vec<EwfImage>,
    /// Why the acquisition was recorded although it breaks a rule (e.g. no
    /// authority covers it); becomes a finding.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "override")]
    pub override_reason: Option<String>,
    /// Version 2: the device the exhibit was acquired from, each value
    /// with its origin (absent in entries written before 0.2: not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_device: Option<SourceDevice>,
    /// Version 2: the acquiring machine's clock synchronisation, as the
    /// system reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockState>,
    /// Version 2: the acquiring machine's name, operating system and
    /// kernel (`host` keeps the bare host name, as in version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_system: Option<HostSystem>,
}

/// An E01/EWF image met during an acquisition: its own metadata, the media
/// digests it stores, and those computed from its media now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EwfImage {
    /// The acquired path, as given.
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition_software: Option<String>,
    /// Version 2: the header's notes, as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_sha1: Option<String>,
    /// Why the media do not match what the image stores, or why it could not
    /// be read; empty when it verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// Body of `exhibit.hashset-match`: an exhibit's files looked up in hash
/// sets (docs/guide/hashsets.md), and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashsetMatch {
    pub exhibit: ExhibitId,
    /// The sets looked in.
    pub sets: Vec<HashsetUsed>,
    /// Regular files of the manifest that were looked up.
    pub files: u64,
    /// Files found in at least one known-good set.
    pub known_good: u64,
    /// Their paths, as the manifest lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_good_paths: Vec<String>,
    /// Every (file, set) match against a known-bad or notable set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<HashsetHit>,
}

/// A set as it was when it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashsetUsed {
    pub name: String,
    /// `known-good`, `known-bad` or `notable`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// SHA-256 of the file the set was imported from.
    pub source_sha256: String,
    /// When it was imported.
    pub imported: String,
    /// Distinct digests per algorithm.
    pub counts: BTreeMap<String, u64>,
}

/// One file found in a known-bad or notable set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashsetHit {
    /// The file's path, as the manifest lists it.
    pub path: String,
    pub algorithm: String,
    /// Lowercase hex digest that matched.
    pub digest: String,
    /// The set's name.
    pub set: String,
    /// The set's kind.
    pub kind: String,
}

/// Body of `package.encrypted`: the ciphertext of an encrypted evidence
/// package as written. The `custody.disclose` entry inside the package
/// cannot hold it (age encryption is randomised and the entry is inside
/// what is encrypted), so it follows the disclosure, appended once the
/// ciphertext exists (docs/spec/package.md §9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageEncrypted {
    /// The package id, as in the disclosure entry and `package.json`.
    pub package: String,
    /// `seq` of the disclosure entry (part 1) recording the package and
    /// its recipients.
    pub disclosure: u64,
    /// Lowercase hex SHA-256 of the whole age file, as written.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Checks an exhibit identifier: it names a manifest file, so it is kept to
/// letters, digits, `.`, `_` and `-` (not starting with `.`), at most 64.
pub fn validate_exhibit_id(id: &str) -> Result<ExhibitId, BodyError> {
    Ok(ExhibitId::parse(id)?)
}

/// The manifest path an exhibit's acquisition writes, relative to the case.
pub fn manifest_rel_path(exhibit: &str) -> String {
    format!("manifests/{exhibit}.jsonl")
}

/// A parsed body of a type this version understands.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    CaseOpen(CaseOpen),
    SignerAdd(SignerAdd),
    SignerRevoke(SignerRevoke),
    Note(Note),
    ExhibitAcquire(Box<ExhibitAcquire>),
    Authority(Box<Authority>),
    Custody(Box<Event>),
    TimestampAttach(Box<TimestampAttach>),
    HashsetMatch(Box<HashsetMatch>),
    PackageEncrypted(Box<PackageEncrypted>),
    AttachmentAdd(Box<AttachmentAdd>),
    ExhibitImport(Box<ExhibitImport>),
    /// A type this version does not know; chain and signature still checked.
    Unknown,
}

impl Body {
    /// Parses `body` according to `kind`, naming the type on failure.
    pub fn parse(kind: &str, body: &Value) -> Result<Body, BodyError> {
        fn de<T: for<'de> Deserialize<'de>>(kind: &str, body: &Value) -> Result<T, BodyError> {
            T::deserialize(body).map_err(|e| BodyError::invalid(kind, e))
        }
        Ok(match kind {
            kind::CASE_OPEN => Body::CaseOpen(de(kind, body)?),
            kind::SIGNER_ADD => Body::SignerAdd(de(kind, body)?),
            kind::SIGNER_REVOKE => Body::SignerRevoke(de(kind, body)?),
            kind::NOTE => Body::Note(de(kind, body)?),
            kind::EXHIBIT_ACQUIRE => Body::ExhibitAcquire(Box::new(de(kind, body)?)),
            kind::AUTHORITY => Body::Authority(Box::new(de(kind, body)?)),
            kind::TIMESTAMP_ATTACH => Body::TimestampAttach(Box::new(de(kind, body)?)),
            kind::EXHIBIT_HASHSET_MATCH => Body::HashsetMatch(Box::new(de(kind, body)?)),
            kind::PACKAGE_ENCRYPTED => Body::PackageEncrypted(Box::new(de(kind, body)?)),
            kind::ATTACHMENT_ADD => Body::AttachmentAdd(Box::new(de(kind, body)?)),
            kind::EXHIBIT_IMPORT => Body::ExhibitImport(Box::new(de(kind, body)?)),
            k if kind::EVENTS.contains(&k) => Body::Custody(Box::new(Event::parse(k, body)?)),
            _ => Body::Unknown,
        })
    }
}

impl Body {
    /// The entry kind and the JSON body a writer appends for this body;
    /// `None` for [`Body::Unknown`], which only a reader can meet.
    pub fn to_entry(&self) -> Option<(&'static str, Value)> {
        fn v<T: Serialize>(x: &T) -> Value {
            serde_json::to_value(x).expect("entry bodies serialise")
        }
        Some(match self {
            Body::CaseOpen(b) => (kind::CASE_OPEN, v(b)),
            Body::SignerAdd(b) => (kind::SIGNER_ADD, v(b)),
            Body::SignerRevoke(b) => (kind::SIGNER_REVOKE, v(b)),
            Body::Note(b) => (kind::NOTE, v(b)),
            Body::ExhibitAcquire(b) => (kind::EXHIBIT_ACQUIRE, v(b)),
            Body::Authority(b) => (kind::AUTHORITY, v(b)),
            Body::Custody(e) => e.to_entry(),
            Body::TimestampAttach(b) => (kind::TIMESTAMP_ATTACH, v(b)),
            Body::HashsetMatch(b) => (kind::EXHIBIT_HASHSET_MATCH, v(b)),
            Body::PackageEncrypted(b) => (kind::PACKAGE_ENCRYPTED, v(b)),
            Body::AttachmentAdd(b) => (kind::ATTACHMENT_ADD, v(b)),
            Body::ExhibitImport(b) => (kind::EXHIBIT_IMPORT, v(b)),
            Body::Unknown => return None,
        })
    }
}

/// Parses a signer's stored key, checking it is Ed25519.
pub fn signer_key(info: &SignerInfo) -> Result<SignerKey, KeyError> {
    SignerKey::from_openssh(&info.key, &format!("key of {}", info.principal))
}

impl Entry {
    /// A one-line human summary of the entry, for `custodian log`. Line
    /// breaks and tabs in ledger text fold into spaces; every other control
    /// or bidi character is kept, for the front end to show as a visible
    /// escape (`custodian::text`) rather than lose it.
    pub fn summary(&self) -> String {
        let clip = |s: &str, n: usize| {
            let one_line: String = s
                .chars()
                .map(|c| {
                    if matches!(c, '\n' | '\r' | '\t') {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            if one_line.chars().count() > n {
                format!("{}…", one_line.chars().take(n).collect::<String>())
            } else {
                one_line
            }
        };
        match Body::parse(&self.kind, &self.body) {
            Ok(Body::CaseOpen(o)) => format!(
                "opened case {} \"{}\"{}",
                clip(&o.case_id, 40),
                clip(&o.title, 60),
                o.authority
                    .as_deref()
                    .map(|a| format!(" under {}", clip(a, 40)))
                    .unwrap_or_default()
            ),
            Ok(Body::SignerAdd(a)) => {
                format!("added signer {} ({})", clip(&a.principal, 60), a.role)
            }
            Ok(Body::SignerRevoke(r)) => {
                format!("revoked signer {}: {}", r.fingerprint, clip(&r.reason, 60))
            }
            Ok(Body::Note(n)) => clip(&n.text, 80),
            Ok(Body::ExhibitAcquire(a)) => format!(
                "acquired exhibit {}: {} file(s), {} byte(s), {} error(s)",
                a.exhibit, a.counts.files, a.counts.bytes, a.counts.errors
            ),
            Ok(Body::Authority(a)) => format!(
                "registered {} {} ({}, {}), valid {} to {}",
                a.kind,
                clip(&a.reference, 40),
                clip(&a.issuer, 40),
                a.jurisdiction,
                a.valid_from_or_issued(),
                a.valid_until.as_deref().unwrap_or("(open)")
            ),
            Ok(Body::Custody(e)) => clip(&e.summary(), 120),
            Ok(Body::TimestampAttach(t)) => format!(
                "attached an RFC 3161 timestamp of checkpoint {}: {} by {}, serial {}",
                t.size,
                t.gen_time,
                clip(&t.tsa, 60),
                t.serial
            ),
            Ok(Body::HashsetMatch(m)) => format!(
                "matched exhibit {} against {} hash set(s): {} of {} file(s) known-good, {} known-bad/notable match(es)",
                m.exhibit,
                m.sets.len(),
                m.known_good,
                m.files,
                m.matches.len()
            ),
            Ok(Body::PackageEncrypted(p)) => format!(
                "encrypted package {} (disclosure {}): {} byte(s), SHA-256 {}",
                clip(&p.package, 40),
                p.disclosure,
                p.bytes,
                clip(&p.sha256, 64)
            ),
            Ok(Body::AttachmentAdd(a)) => format!(
                "attached {} {} ({}, {} byte(s), SHA-256 {}) to {}{}",
                a.kind,
                clip(&a.name, 60),
                clip(&a.media_type, 40),
                a.bytes,
                clip(&a.sha256, 64),
                a.exhibit
                    .as_ref()
                    .map_or_else(|| "the case".to_string(), |e| format!("exhibit {e}")),
                a.description
                    .as_deref()
                    .map(|d| format!(": {}", clip(d, 60)))
                    .unwrap_or_default()
            ),
            Ok(Body::ExhibitImport(i)) => {
                let failed = i.checks.iter().filter(|c| !c.matched).count();
                format!(
                    "imported exhibit {} from a {} log {}: {} logged digest(s) checked, {}",
                    i.exhibit,
                    clip(&i.format, 20),
                    clip(&i.log.name, 60),
                    i.checks.len(),
                    if failed == 0 {
                        "all match".to_string()
                    } else {
                        format!("{failed} DO NOT MATCH")
                    }
                )
            }
            Ok(Body::Unknown) => format!("({} entry)", self.kind),
            Err(_) => "(invalid body)".to_string(),
        }
    }
}

/// The entry in one line for a custody timeline: the full (unclipped)
/// event sentence for custody events, with every signer fingerprint
/// replaced by its principal from `names` (see [`principal_map`]).
pub fn timeline_line(entry: &Entry, names: &HashMap<Fingerprint, String>) -> String {
    let mut line = match Body::parse(&entry.kind, &entry.body) {
        Ok(Body::Custody(ev)) => ev.summary(),
        _ => entry.summary(),
    };
    for (fp, name) in names {
        line = line.replace(fp.as_str(), name);
    }
    line
}

/// Fingerprint → principal for every signer any entry introduces, valid or
/// not, so that a listing of a damaged ledger can still name people.
pub fn principal_map<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
) -> HashMap<Fingerprint, String> {
    let mut map = HashMap::new();
    for e in entries {
        let info = match Body::parse(&e.kind, &e.body) {
            Ok(Body::CaseOpen(o)) => o.signer,
            Ok(Body::SignerAdd(a)) => a,
            _ => continue,
        };
        if let Ok(k) = signer_key(&info) {
            map.entry(k.fingerprint().clone()).or_insert(info.principal);
        }
    }
    map
}
