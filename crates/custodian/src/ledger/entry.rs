//! Ledger entries: the fields, their canonical bytes and their hashes.
//!
//! The normative description is `docs/ledger-format.md`; this module is its
//! implementation and must be changed only together with it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::keys::{Fingerprint, SignerKey, SigningKey};

/// The ledger format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// `prev` of entry 0: there is no previous entry.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Entry types. New types are added with the spec; a verifier of this
/// version checks chain and signature of types it does not know, and warns.
pub mod kind {
    pub const CASE_OPEN: &str = "case.open";
    pub const SIGNER_ADD: &str = "signer.add";
    pub const SIGNER_REVOKE: &str = "signer.revoke";
    pub const NOTE: &str = "note";
    pub const EXHIBIT_ACQUIRE: &str = "exhibit.acquire";
    /// An RFC 3161 timestamp of a checkpoint (docs/timestamps.md).
    pub const TIMESTAMP_ATTACH: &str = "timestamp.attach";
    pub const EXHIBIT_HASHSET_MATCH: &str = "exhibit.hashset-match";
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
    ];
}

/// Which program wrote an entry. Courts ask "what tool, which version?";
/// `exe_sha256` pins the exact executable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe_sha256: Option<String>,
}

impl Tool {
    /// This program, with the SHA-256 of the running executable (computed
    /// once per process).
    pub fn current() -> Tool {
        static EXE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let exe = EXE.get_or_init(|| {
            let path = std::env::current_exe().ok()?;
            let mut f = std::fs::File::open(path).ok()?;
            let mut h = Sha256::new();
            std::io::copy(&mut f, &mut h).ok()?;
            Some(hex::encode(h.finalize()))
        });
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            exe_sha256: exe.clone(),
        }
    }
}

/// One ledger entry. On disk each entry is one line: the RFC 8785 canonical
/// JSON of this object, signature included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Format version, [`FORMAT_VERSION`].
    pub v: u32,
    /// Position in the ledger: 0, 1, 2, … without gaps.
    pub seq: u64,
    /// Hex SHA-256 of the previous entry's line (see [`entry_hash`]).
    pub prev: String,
    /// When the entry was recorded, in the form of [`crate::time`].
    pub time: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Fingerprint of the key that signed the entry.
    pub signer: Fingerprint,
    pub tool: Tool,
    /// Type-specific content.
    pub body: Value,
    /// Base64 SSHSIG over [`Entry::signed_bytes`]; absent only while building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

impl Entry {
    /// The bytes that are signed: the canonical JSON of the entry without
    /// its `sig` member.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.sig = None;
        canonical(&unsigned)
    }

    /// The line written to the ledger (without the newline).
    pub fn line(&self) -> Vec<u8> {
        canonical(self)
    }

    /// Signs the entry in place, setting `signer` and `sig`.
    pub fn sign(&mut self, key: &SigningKey) -> Result<(), crate::keys::KeyError> {
        self.signer = key.fingerprint().clone();
        self.sig = None;
        let sig = key.sign(&self.signed_bytes())?;
        self.sig = Some(sig);
        Ok(())
    }

    /// The signed bytes cut out of the entry's own canonical line: the line
    /// without its `,"sig":"…"` member. Equal to [`Entry::signed_bytes`]
    /// when `line` is the canonical form of `self` (the caller must have
    /// checked that), and much cheaper than re-serialising.
    ///
    /// The top-level `sig` member is the last `,"sig":"` in the line: members
    /// after it (`signer`, `time`, `tool`, `type`, `v`) cannot contain one,
    /// and in canonical JSON a quote inside a string is always escaped.
    pub fn signed_bytes_from_line(&self, line: &[u8]) -> Vec<u8> {
        let Some(sig) = self.sig.as_deref() else {
            return self.signed_bytes();
        };
        let needle = format!(",\"sig\":\"{sig}\"");
        let needle = needle.as_bytes();
        match line.windows(needle.len()).rposition(|w| w == needle) {
            Some(at) => {
                let mut out = Vec::with_capacity(line.len() - needle.len());
                out.extend_from_slice(&line[..at]);
                out.extend_from_slice(&line[at + needle.len()..]);
                out
            }
            None => self.signed_bytes(),
        }
    }

    /// Checks the entry's signature with `key`.
    pub fn verify_signature(&self, key: &SignerKey) -> Result<(), String> {
        let sig = self.sig.as_deref().ok_or("entry has no signature")?;
        key.verify(&self.signed_bytes(), sig)
    }
}

/// RFC 8785 canonical JSON of a value.
pub fn canonical<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Our entries hold only strings, integers, booleans, arrays and objects,
    // for which serialisation cannot fail.
    serde_jcs::to_vec(value).expect("canonical JSON serialisation of a ledger value")
}

/// The hash that the next entry's `prev` holds: hex SHA-256 of the entry's
/// whole line (signature included, newline excluded), so signatures are
/// chained too.
pub fn entry_hash(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; expected one of {}", names.join(", "))
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
}

/// Body of `case.open` (entry 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseOpen {
    pub case_id: String,
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
    pub policy: Option<crate::custody::Policy>,
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
    pub exhibit: String,
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
    pub digests: Option<std::collections::BTreeMap<String, String>>,
    /// For each acquired path that is an E01/EWF image: what the image says
    /// about itself and whether its media still hash to the digests it
    /// stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ewf: Vec<EwfImage>,
    /// Why the acquisition was recorded although it breaks a rule (e.g. no
    /// authority covers it); becomes a finding.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "override")]
    pub override_reason: Option<String>,
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
/// sets (docs/hashsets.md), and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashsetMatch {
    pub exhibit: String,
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
    pub counts: std::collections::BTreeMap<String, u64>,
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

/// Checks an exhibit identifier: it names a manifest file, so it is kept to
/// letters, digits, `.`, `_` and `-` (not starting with `.`), at most 64.
pub fn validate_exhibit_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid exhibit id {id:?}: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
        ))
    }
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
    Authority(Box<crate::custody::Authority>),
    Custody(Box<crate::custody::Event>),
    TimestampAttach(Box<crate::timestamp::TimestampAttach>),
    HashsetMatch(Box<HashsetMatch>),
    /// A type this version does not know; chain and signature still checked.
    Unknown,
}

impl Body {
    /// Parses `body` according to `kind`, naming the type on failure.
    pub fn parse(kind: &str, body: &Value) -> Result<Body, String> {
        fn de<T: for<'de> Deserialize<'de>>(kind: &str, body: &Value) -> Result<T, String> {
            T::deserialize(body).map_err(|e| format!("body of {kind} entry is invalid: {e}"))
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
            k if kind::EVENTS.contains(&k) => {
                Body::Custody(Box::new(crate::custody::Event::parse(k, body)?))
            }
            _ => Body::Unknown,
        })
    }
}

/// Parses a signer's stored key, checking it is Ed25519.
pub fn signer_key(info: &SignerInfo) -> Result<SignerKey, String> {
    SignerKey::from_openssh(&info.key, &format!("key of {}", info.principal))
        .map_err(|e| e.to_string())
}

impl Entry {
    /// A one-line human summary of the entry, for `custodian log`.
    pub fn summary(&self) -> String {
        let clip = |s: &str, n: usize| {
            let one_line: String = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
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
                a.valid_from,
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
            Ok(Body::Unknown) => format!("({} entry)", self.kind),
            Err(_) => "(invalid body)".to_string(),
        }
    }
}

/// The entry in one line for a custody timeline: the full (unclipped)
/// event sentence for custody events, with every signer fingerprint
/// replaced by its principal from `names` (see [`principal_map`]).
pub fn timeline_line(
    entry: &Entry,
    names: &std::collections::HashMap<Fingerprint, String>,
) -> String {
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
) -> std::collections::HashMap<Fingerprint, String> {
    let mut map = std::collections::HashMap::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_and_escapes_minimally() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":"é\n\u0001","c":[true,null]}"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            "{\"a\":\"é\\n\\u0001\",\"b\":1,\"c\":[true,null]}"
        );
    }

    #[test]
    fn signed_bytes_cut_from_the_line_equal_the_canonical_ones() {
        let key = crate::keys::SigningKey::generate("t@example").unwrap();
        let mut e = Entry {
            v: 1,
            seq: 3,
            prev: GENESIS_PREV.into(),
            time: "2026-01-01T00:00:00.000000Z".into(),
            kind: "note".into(),
            signer: key.fingerprint().clone(),
            tool: Tool {
                name: "t".into(),
                version: "1".into(),
                exe_sha256: None,
            },
            body: serde_json::json!({"text": "x", "sig": "decoy", "n": {"a": 1, "sig": "decoy2"}}),
            sig: None,
        };
        e.sign(&key).unwrap();
        assert_eq!(e.signed_bytes_from_line(&e.line()), e.signed_bytes());
    }

    /// RFC 8785 §3.2.3 sorts by UTF-16 code units, not code points.
    #[test]
    fn canonical_sorts_by_utf16() {
        let v: Value = serde_json::from_str(r#"{"\ud83d\ude00":1,"\ufb33":2}"#).unwrap();
        let s = String::from_utf8(canonical(&v)).unwrap();
        assert!(
            s.find('\u{1F600}').unwrap() < s.find('\u{FB33}').unwrap(),
            "{s}"
        );
    }
}
