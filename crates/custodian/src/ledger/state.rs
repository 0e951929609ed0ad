//! What a ledger says about its own signers, replayed entry by entry.
//!
//! The same rules decide whether `append` may write an entry and whether
//! `verify` accepts it afterwards, so the two can never disagree.

use std::collections::BTreeMap;

use super::entry::{
    kind, manifest_rel_path, signer_key, validate_exhibit_id, Body, CaseOpen, Entry,
    ExhibitAcquire, HashsetMatch, Role, SignerInfo, SignerRevoke,
};
use super::EntryHash;
use serde::{Deserialize, Serialize};

/// A signer's key kept as its `ssh-ed25519 AAAA…` line.
mod openssh_key {
    use super::SignerKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &SignerKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&k.to_openssh())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignerKey, D::Error> {
        let line = String::deserialize(d)?;
        SignerKey::from_openssh(&line, "a recorded signer").map_err(serde::de::Error::custom)
    }
}
use crate::custody::{Actor, AuthorityPolicy, CustodyState, ExhibitId};
use crate::keys::{Fingerprint, FormatKeyError, SignerKey};

/// One signer as the ledger knows it at some point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signer {
    pub principal: String,
    /// As recorded when the signer was added (version 2), else none.
    pub name: Option<String>,
    pub qualifications: Option<String>,
    pub role: Role,
    #[serde(with = "openssh_key")]
    pub key: SignerKey,
    pub added_seq: u64,
    pub added_time: String,
    /// The revoking entry, once there is one.
    pub revoked: Option<Revocation>,
}

/// The entry that revoked a signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// Sequence number of the revoking entry.
    pub seq: u64,
    /// When it was recorded.
    pub time: String,
    pub reason: String,
}

impl Signer {
    pub fn is_active(&self) -> bool {
        self.revoked.is_none()
    }

    pub fn revoked_reason(&self) -> Option<&str> {
        self.revoked.as_ref().map(|r| r.reason.as_str())
    }

    /// True when the key was revoked by an entry before `seq`.
    pub fn revoked_before(&self, seq: u64) -> bool {
        self.revoked.as_ref().is_some_and(|r| r.seq < seq)
    }

    pub fn is_supervisor(&self) -> bool {
        self.role == Role::Supervisor
    }
}

/// Every signer a ledger (or the disclosed part of one) ever introduced,
/// active or revoked, by fingerprint: the one replay of who could sign
/// when, used by `verify`, `append` and `verify-package` alike.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Signers {
    by_fingerprint: BTreeMap<Fingerprint, Signer>,
}

impl Signers {
    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&Signer> {
        self.by_fingerprint.get(fingerprint)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Fingerprint, &Signer)> {
        self.by_fingerprint.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &Signer> {
        self.by_fingerprint.values()
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    /// Signers whose keys are trusted now.
    pub fn active(&self) -> impl Iterator<Item = (&Fingerprint, &Signer)> {
        self.iter().filter(|(_, s)| s.is_active())
    }

    /// True when `fingerprint` is a signer not revoked so far.
    pub fn is_active(&self, fingerprint: &Fingerprint) -> bool {
        self.get(fingerprint).is_some_and(Signer::is_active)
    }

    /// True when `fingerprint` is a supervisor (active or not).
    pub fn is_supervisor(&self, fingerprint: &Fingerprint) -> bool {
        self.get(fingerprint).is_some_and(Signer::is_supervisor)
    }

    /// Records the key `info` introduces at entry `seq`, replacing any
    /// earlier record of the same key; returns its fingerprint.
    pub fn add(
        &mut self,
        info: &SignerInfo,
        seq: u64,
        time: &str,
    ) -> Result<Fingerprint, FormatKeyError> {
        let key = signer_key(info)?;
        let fingerprint = key.fingerprint().clone();
        self.by_fingerprint.insert(
            fingerprint.clone(),
            Signer {
                principal: info.principal.clone(),
                name: info.name.clone(),
                qualifications: info.qualifications.clone(),
                role: info.role,
                key,
                added_seq: seq,
                added_time: time.to_string(),
                revoked: None,
            },
        );
        Ok(fingerprint)
    }

    /// Records the revocation `rev` at entry `seq`; a key keeps its first
    /// revocation.
    pub fn revoke(&mut self, rev: &SignerRevoke, seq: u64, time: &str) {
        if let Some(s) = self.by_fingerprint.get_mut(&rev.fingerprint) {
            s.revoked.get_or_insert_with(|| Revocation {
                seq,
                time: time.to_string(),
                reason: rev.reason.clone(),
            });
        }
    }

    /// The signers as an OpenSSH `allowed_signers` file (see
    /// [`CaseState::allowed_signers`]).
    pub fn allowed_signers(&self) -> String {
        let mut out = String::new();
        let mut signers: Vec<_> = self.values().collect();
        signers.sort_by_key(|s| s.added_seq);
        for s in signers {
            let mut opts = format!(
                "namespaces=\"{}\",valid-after=\"{}\"",
                crate::keys::SIGNATURE_NAMESPACES.join(","),
                ssh_time(&s.added_time, false)
            );
            if let Some(r) = &s.revoked {
                opts.push_str(&format!(",valid-before=\"{}\"", ssh_time(&r.time, true)));
            }
            out.push_str(&format!(
                "{} {} {}\n",
                s.principal,
                opts,
                s.key.to_openssh()
            ));
        }
        out
    }
}

/// The case as replayed so far. It serialises whole (the verified-state
/// record of `ledger::cache` holds it), so every member round-trips.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaseState {
    pub case: Option<CaseOpen>,
    /// Every signer ever added, active or revoked, by fingerprint.
    pub signers: Signers,
    /// Every exhibit acquired, by id.
    pub exhibits: BTreeMap<ExhibitId, Exhibit>,
    /// Authorities, custody status of every exhibit, recorded breaches.
    pub custody: CustodyState,
    /// Hash-set matches of each exhibit, in ledger order, with their entry.
    pub hashset_matches: BTreeMap<ExhibitId, Vec<(u64, HashsetMatch)>>,
    /// Every package a `custody.disclose` entry recorded, by package id
    /// (docs/spec/package.md §9.2).
    #[serde(default)]
    pub packages: BTreeMap<String, PackageRecord>,
    /// Every attachment an `attachment.add` entry recorded, in ledger
    /// order, with the entry's `seq`.
    #[serde(default)]
    pub attachments: Vec<(u64, custodian_format::attachment::AttachmentAdd)>,
    /// The `exhibit.import` entry of each imported exhibit, with its `seq`.
    #[serde(default)]
    pub imports: BTreeMap<ExhibitId, (u64, custodian_format::attachment::ExhibitImport)>,
    /// The highest format version of the entries so far (a later entry
    /// never has a lower one).
    pub version: u32,
}

/// A disclosed package as the ledger knows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PackageRecord {
    /// `seq` of its disclosure entry (part 1).
    pub disclosure: u64,
    /// The recipients it is encrypted to (empty: not encrypted).
    pub encrypted_to: Vec<custodian_format::custody::EncryptedTo>,
    /// Its ciphertext as recorded by `package.encrypted`: entry `seq`,
    /// lowercase hex SHA-256, size.
    pub ciphertext: Option<(u64, String, u64)>,
}

/// An exhibit as the ledger knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exhibit {
    /// The acquisition entry.
    pub acquired_seq: u64,
    pub acquired_time: String,
    pub acquired_by: Fingerprint,
    pub acquisition: ExhibitAcquire,
}

/// Why an entry is not allowed at its place in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    /// Stable problem code (see `docs/spec/ledger.md`).
    pub code: &'static str,
    pub message: String,
}

fn violation(code: &'static str, message: impl std::fmt::Display) -> RuleViolation {
    RuleViolation {
        code,
        message: message.to_string(),
    }
}

impl CaseState {
    /// Signers whose keys are trusted now, in order of addition.
    pub fn active_signers(&self) -> impl Iterator<Item = (&Fingerprint, &Signer)> {
        self.signers.active()
    }

    /// Checks that `entry` (with parsed `body`) may follow the entries
    /// replayed so far: its signer must be trusted now, and entry types that
    /// change trust carry extra rules.
    pub fn check(&self, entry: &Entry, body: &Body) -> Result<(), RuleViolation> {
        if entry.v < self.version {
            return Err(violation(
                "version-regression",
                format!(
                    "format version {} after an entry of version {}: a ledger never goes back to an older format",
                    entry.v, self.version
                ),
            ));
        }
        if entry.seq == 0 {
            return check_genesis(entry, body);
        }
        self.custody
            .check_part(&facts(entry, body))
            .map_err(|p| violation(p.code, p.message))?;
        if matches!(body, Body::CaseOpen(_)) {
            return Err(violation(
                "bad-genesis",
                format!("a {} entry may only be entry 0", kind::CASE_OPEN),
            ));
        }
        let signer = self.trusted_signer(entry)?;
        match body {
            Body::SignerAdd(info) => {
                check_person(entry, info)?;
                self.check_signer_add(signer, info)
            }
            Body::SignerRevoke(rev) => self.check_signer_revoke(entry, signer, rev),
            Body::ExhibitAcquire(a) => self.check_acquire(entry, a),
            Body::HashsetMatch(m) => check_hashset_match(self, m),
            Body::PackageEncrypted(p) => check_package_encrypted(self, p),
            Body::AttachmentAdd(a) => check_attachment(self, entry.seq, a),
            Body::ExhibitImport(i) => check_import(self, i),
            Body::Authority(a) => {
                if a.valid_from.is_none() && entry.v < 2 {
                    return Err(violation(
                        "bad-body",
                        "authority.register: valid_from is required in format version 1",
                    ));
                }
                self.custody
                    .check_authority(a)
                    .map_err(|e| violation("authority-rule", e))
            }
            Body::Custody(event) => self.check_custody(entry, signer, event),
            _ => Ok(()),
        }
    }

    /// The entry's signer, if it is a signer of the case not revoked.
    fn trusted_signer(&self, entry: &Entry) -> Result<&Signer, RuleViolation> {
        let Some(signer) = self.signers.get(&entry.signer) else {
            return Err(violation(
                "unknown-signer",
                format!("signer {} is not a signer of this case", entry.signer),
            ));
        };
        if let Some(Revocation { seq, time, reason }) = &signer.revoked {
            return Err(violation(
                "revoked-signer",
                format!(
                    "signer {} ({}) was revoked at entry {seq} ({time}: {reason})",
                    entry.signer, signer.principal
                ),
            ));
        }
        Ok(signer)
    }

    /// `signer.add`: by a supervisor, a valid key and principal, never a
    /// key added before (a revoked key cannot return).
    fn check_signer_add(&self, signer: &Signer, info: &SignerInfo) -> Result<(), RuleViolation> {
        require_supervisor(signer, kind::SIGNER_ADD)?;
        let key = signer_key(info).map_err(|e| violation("bad-body", e))?;
        crate::keys::validate_principal(&info.principal)
            .map_err(|e| violation("bad-body", e.to_string()))?;
        let Some(existing) = self.signers.get(key.fingerprint()) else {
            return Ok(());
        };
        Err(violation(
            "signer-rule",
            format!(
                "key {} was already added at entry {} ({}){}",
                key.fingerprint(),
                existing.added_seq,
                existing.principal,
                if existing.is_active() {
                    ""
                } else {
                    " and revoked; a revoked key cannot return"
                }
            ),
        ))
    }

    /// `signer.revoke`: of oneself, or by a supervisor; of an active
    /// signer; with a reason.
    fn check_signer_revoke(
        &self,
        entry: &Entry,
        signer: &Signer,
        rev: &SignerRevoke,
    ) -> Result<(), RuleViolation> {
        if rev.fingerprint != entry.signer {
            require_supervisor(signer, kind::SIGNER_REVOKE)?;
        }
        match self.signers.get(&rev.fingerprint) {
            None => {
                return Err(violation(
                    "signer-rule",
                    format!(
                        "cannot revoke {}: not a signer of this case",
                        rev.fingerprint
                    ),
                ))
            }
            Some(t) if !t.is_active() => {
                return Err(violation(
                    "signer-rule",
                    format!("cannot revoke {}: already revoked", rev.fingerprint),
                ))
            }
            Some(_) => {}
        }
        if rev.reason.trim().is_empty() {
            return Err(violation("bad-body", "a revocation needs a reason"));
        }
        Ok(())
    }

    /// `exhibit.acquire`: a new, valid exhibit id, its manifest at the
    /// fixed path with a well-formed digest, and no unexcused breach.
    fn check_acquire(&self, entry: &Entry, a: &ExhibitAcquire) -> Result<(), RuleViolation> {
        validate_exhibit_id(&a.exhibit).map_err(|e| violation("bad-body", e))?;
        if let Some(x) = self.exhibits.get(&a.exhibit) {
            return Err(violation(
                "exhibit-rule",
                format!(
                    "exhibit {} was already acquired at entry {}",
                    a.exhibit, x.acquired_seq
                ),
            ));
        }
        if a.manifest.path != manifest_rel_path(&a.exhibit) {
            return Err(violation(
                "bad-body",
                format!(
                    "the manifest of exhibit {} must be {}, not {:?}",
                    a.exhibit,
                    manifest_rel_path(&a.exhibit),
                    a.manifest.path
                ),
            ));
        }
        if !is_hex64(&a.manifest.sha256) {
            return Err(violation(
                "bad-body",
                "the manifest sha256 is not 64 lowercase hex digits",
            ));
        }
        let breaches = self.acquisition_breaches(entry, a);
        self.refuse_unexcused(&breaches, a.override_reason.as_deref())
    }

    /// The custody breaches an acquisition would record.
    fn acquisition_breaches(
        &self,
        entry: &Entry,
        a: &ExhibitAcquire,
    ) -> Vec<crate::custody::Breach> {
        self.custody
            .acquisition_breach(&a.exhibit, a.authority.as_deref(), event_time(entry, None))
            .into_iter()
            .collect()
    }

    /// A custody event: a transfer only to an active signer (who must sign
    /// the receipt), the custody rules, and no unexcused breach.
    fn check_custody(
        &self,
        entry: &Entry,
        signer: &Signer,
        event: &crate::custody::Event,
    ) -> Result<(), RuleViolation> {
        let actor = Actor {
            signer: &entry.signer,
            supervisor: signer.is_supervisor(),
        };
        let when = event_time(entry, event.common().at.as_deref());
        if entry.v >= 2 {
            // First of the custody rules of a version-2 entry (§14.6).
            self.custody
                .check_covers(event)
                .map_err(|p| violation(p.code, p.message))?;
        }
        if let crate::custody::Event::Transfer { to, .. } = event {
            if !self.signers.is_active(to) {
                return Err(violation(
                    "custody-rule",
                    format!(
                        "{to} is not a signer of this case (or was revoked), so could never sign the receipt; add them with `custodian signer add` first"
                    ),
                ));
            }
        }
        let mut breaches = self
            .custody
            .check_event(event, actor, when)
            .map_err(|e| violation("custody-rule", e))?;
        if entry.v >= 2 {
            // Version 2 holds its entries to the rules that are findings
            // for version-1 entries (docs/spec/custody.md §14).
            check_seal_id(event)?;
            let later = self
                .custody
                .later_breaches(event, actor, when, recorded_time(entry));
            terminal_refusal(&later)?;
            breaches.extend(later);
        }
        self.refuse_unexcused(&breaches, event.common().override_reason.as_deref())
    }

    /// A custody event on a released or disposed exhibit, which a writer
    /// refuses first whatever else is wrong with it (a verifier reaches
    /// the same verdict in the order of `docs/spec/custody.md` §14.6).
    pub fn check_not_terminal(&self, entry: &Entry, body: &Body) -> Result<(), RuleViolation> {
        let (Body::Custody(event), Some(signer)) = (body, self.signers.get(&entry.signer)) else {
            return Ok(());
        };
        let actor = Actor {
            signer: &entry.signer,
            supervisor: signer.is_supervisor(),
        };
        let when = event_time(entry, event.common().at.as_deref());
        let later = self
            .custody
            .later_breaches(event, actor, when, recorded_time(entry));
        terminal_refusal(&later)
    }

    /// Breaches are acceptable only with an override reason, or when the
    /// case policy tolerates them (authority breaches under `warn`).
    fn refuse_unexcused(
        &self,
        breaches: &[crate::custody::Breach],
        override_reason: Option<&str>,
    ) -> Result<(), RuleViolation> {
        if override_reason.is_some_and(|r| !r.trim().is_empty()) {
            return Ok(());
        }
        match breaches.iter().find(|b| !self.custody.tolerated(b)) {
            Some(b) => Err(violation(
                if b.finding.starts_with("AUT-") {
                    "authority-rule"
                } else {
                    "custody-rule"
                },
                match &b.fix {
                    Some(fix) => format!(
                        "{} [{}]: {fix}; or give --override REASON to record it anyway as a finding",
                        b.message, b.finding
                    ),
                    None => format!(
                        "{} [{}] (give --override REASON to record it anyway as a finding)",
                        b.message, b.finding
                    ),
                },
            )),
            None => Ok(()),
        }
    }

    /// Applies an entry that passed [`CaseState::check`]; `hash` is its
    /// entry hash (a version-2 custody entry names it as `prior`).
    pub fn apply(&mut self, entry: &Entry, hash: &EntryHash, body: &Body) {
        self.version = self.version.max(entry.v);
        match body {
            Body::CaseOpen(open) => self.apply_case_open(entry, open),
            Body::SignerAdd(info) => {
                // A key that does not parse was refused by `check`.
                let _ = self.signers.add(info, entry.seq, &entry.time);
            }
            Body::SignerRevoke(rev) => self.signers.revoke(rev, entry.seq, &entry.time),
            Body::ExhibitAcquire(a) => self.apply_acquire(entry, hash, a),
            Body::Authority(a) => self.custody.register(a, entry.seq),
            Body::Custody(event) => self.apply_custody(entry, hash, body, event),
            Body::HashsetMatch(m) => self
                .hashset_matches
                .entry(m.exhibit.clone())
                .or_default()
                .push((entry.seq, (**m).clone())),
            Body::PackageEncrypted(p) => {
                if let Some(r) = self.packages.get_mut(&p.package) {
                    r.ciphertext = Some((entry.seq, p.sha256.clone(), p.bytes));
                }
            }
            Body::AttachmentAdd(a) => self.attachments.push((entry.seq, (**a).clone())),
            Body::ExhibitImport(i) => {
                self.imports
                    .insert(i.exhibit.clone(), (entry.seq, (**i).clone()));
            }
            Body::Note(_) | Body::TimestampAttach(_) | Body::Unknown => {}
        }
    }

    /// `case.open`: the first signer, the authority policy, the
    /// jurisdiction and the opening authority.
    fn apply_case_open(&mut self, entry: &Entry, open: &CaseOpen) {
        // A key that does not parse was refused by `check`.
        let _ = self.signers.add(&open.signer, entry.seq, &entry.time);
        self.custody.policy = open
            .policy
            .map(|p| p.authority)
            .unwrap_or(AuthorityPolicy::Off);
        self.custody.clock_skew_seconds = open
            .policy
            .and_then(|p| p.clock_skew_seconds)
            .and_then(|s| i64::try_from(s).ok());
        self.custody.jurisdiction = open.jurisdiction.clone();
        self.custody.opened = Some(entry.time.clone());
        if let Some(a) = &open.authority {
            self.custody.register_opening(
                a,
                open.authority_details.as_deref(),
                open.jurisdiction.as_deref(),
                &entry.time,
            );
        }
        self.case = Some(open.clone());
    }

    /// `exhibit.acquire`: its breaches, its custody and the exhibit itself.
    fn apply_acquire(&mut self, entry: &Entry, hash: &EntryHash, a: &ExhibitAcquire) {
        let breaches = self.acquisition_breaches(entry, a);
        let exhibits = [a.exhibit.clone()];
        self.custody.record_breaches(
            entry.seq,
            &exhibits,
            &breaches,
            a.override_reason.as_deref(),
        );
        self.custody
            .acquired(&a.exhibit, entry.seq, &entry.signer, &entry.time, hash);
        self.exhibits.insert(
            a.exhibit.clone(),
            Exhibit {
                acquired_seq: entry.seq,
                acquired_time: entry.time.clone(),
                acquired_by: entry.signer.clone(),
                acquisition: a.clone(),
            },
        );
    }

    /// A custody event: its breaches, a back-dating finding, and the new
    /// custody status.
    fn apply_custody(
        &mut self,
        entry: &Entry,
        hash: &EntryHash,
        body: &Body,
        event: &crate::custody::Event,
    ) {
        if let crate::custody::Event::Disclose { disclosure: d, .. } = event {
            // Every part carries the same disclosure: the first names it.
            self.packages
                .entry(d.package.clone())
                .or_insert_with(|| PackageRecord {
                    disclosure: entry.seq,
                    encrypted_to: d.encrypted_to.clone(),
                    ciphertext: None,
                });
        }
        let actor = Actor {
            signer: &entry.signer,
            supervisor: self.signers.is_supervisor(&entry.signer),
        };
        let when = event_time(entry, event.common().at.as_deref());
        let breaches = self
            .custody
            .check_event(event, actor, when)
            .unwrap_or_default();
        self.custody.record_breaches(
            entry.seq,
            &event.common().exhibits,
            &breaches,
            event.common().override_reason.as_deref(),
        );
        let later = self
            .custody
            .later_breaches(event, actor, when, recorded_time(entry));
        self.custody.record_later(
            entry.seq,
            &event.common().exhibits,
            &later,
            event.common().override_reason.as_deref(),
        );
        if let Some(finding) = backdated(entry, event) {
            self.custody.recorded_breaches.push(finding);
        }
        self.custody
            .apply_entry(&facts(entry, body), &entry.time, hash);
    }
}

/// The largest clock skew a case may allow: one day. Beyond it an event
/// dated in the future would hardly be a finding at all.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 86_400;

/// What entry 0 states about its authority (format version 2): only
/// beside a reference, only in version 2, no blank member, a known kind,
/// dates as `YYYY-MM-DD`, and a validity that does not end before it starts.
fn check_opening_authority(entry: &Entry, open: &CaseOpen) -> Result<(), RuleViolation> {
    let Some(d) = &open.authority_details else {
        return Ok(());
    };
    let bad = |m: String| Err(violation("bad-body", m));
    if open.authority.is_none() {
        return bad("authority_details without an authority reference".into());
    }
    if entry.v < 2 {
        return bad(format!(
            "authority_details is a member of format version 2, not of version {}",
            entry.v
        ));
    }
    for (what, value) in d.stated() {
        if value.is_some_and(|v| v.trim().is_empty()) {
            return bad(format!(
                "the opening authority's {what}, when given, is not blank"
            ));
        }
    }
    if let Some(k) = &d.kind {
        if !crate::custody::AUTHORITY_KINDS.contains(&k.as_str()) {
            return bad(
                crate::custody::AuthorityRuleError::UnknownKind { kind: k.clone() }.to_string(),
            );
        }
    }
    let date = |v: &Option<String>| -> Result<Option<chrono::NaiveDate>, RuleViolation> {
        v.as_deref()
            .map(crate::custody::parse_date)
            .transpose()
            .map_err(|e| violation("bad-body", e))
    };
    let (issued, from, until) = (
        date(&d.issued)?,
        date(&d.valid_from)?,
        date(&d.valid_until)?,
    );
    if let (Some(start), Some(end)) = (from.or(issued), until) {
        if end < start {
            return bad("the opening authority's valid_until is before it starts".into());
        }
    }
    Ok(())
}

/// A signer's recorded name and qualifications (format version 2) are not
/// blank when given, and only a version-2 entry gives them.
fn check_person(entry: &Entry, info: &SignerInfo) -> Result<(), RuleViolation> {
    for (what, value) in [
        ("name", &info.name),
        ("qualifications", &info.qualifications),
    ] {
        match value {
            Some(_) if entry.v < 2 => {
                return Err(violation(
                    "bad-body",
                    format!(
                        "a signer's {what} is a member of format version 2, not of version {}",
                        entry.v
                    ),
                ))
            }
            Some(v) if v.trim().is_empty() => {
                return Err(violation(
                    "bad-body",
                    format!("a signer's {what}, when given, is not blank"),
                ))
            }
            _ => {}
        }
    }
    // Hardware-backed keys came with format version 2 (ledger.md §6.1): a
    // version-1 entry is judged by version 1's rule, ssh-ed25519 only.
    if entry.v < 2 && info.key.split_whitespace().next() == Some(SK_ED25519_KEY_TYPE) {
        return Err(violation(
            "bad-body",
            format!(
                "a {SK_ED25519_KEY_TYPE} signer key is a member of format version 2, not of version {}",
                entry.v
            ),
        ));
    }
    Ok(())
}

/// The OpenSSH type name of hardware-backed Ed25519 keys.
const SK_ED25519_KEY_TYPE: &str = "sk-ssh-ed25519@openssh.com";

/// `CUS-TERMINAL` among `breaches`: refused, whatever `override` says.
fn terminal_refusal(breaches: &[crate::custody::Breach]) -> Result<(), RuleViolation> {
    match breaches
        .iter()
        .find(|b| b.finding == crate::custody::TERMINAL)
    {
        Some(b) => Err(violation(
            "custody-rule",
            format!("{} (no override excuses it) [{}]", b.message, b.finding),
        )),
        None => Ok(()),
    }
}

/// A seal id is not blank.
fn check_seal_id(event: &crate::custody::Event) -> Result<(), RuleViolation> {
    match event {
        crate::custody::Event::Seal { seal, .. } | crate::custody::Event::Unseal { seal, .. }
            if seal.trim().is_empty() =>
        {
            Err(violation("custody-rule", "a seal needs a non-blank id"))
        }
        _ => Ok(()),
    }
}

/// What the custody rules of version-2 parts need to know of an entry.
fn facts<'a>(entry: &'a Entry, body: &'a Body) -> crate::custody::EntryFacts<'a> {
    crate::custody::EntryFacts {
        v: entry.v,
        seq: entry.seq,
        kind: &entry.kind,
        signer: &entry.signer,
        body: &entry.body,
        event: match body {
            Body::Custody(event) => Some(event),
            _ => None,
        },
    }
}

/// Entry 0: a `case.open` signed by the key it opens the case for.
fn check_genesis(entry: &Entry, body: &Body) -> Result<(), RuleViolation> {
    let Body::CaseOpen(open) = body else {
        return Err(violation(
            "bad-genesis",
            format!(
                "entry 0 must be of type {}, found {}",
                kind::CASE_OPEN,
                entry.kind
            ),
        ));
    };
    let key = signer_key(&open.signer).map_err(|e| violation("bad-body", e))?;
    // The opening signer's principal obeys the rule of every other signer's
    // (§7.2): `init` refuses others, and `signers --allowed-signers` must
    // be able to write it unquoted.
    check_person(entry, &open.signer)?;
    check_opening_authority(entry, open)?;
    if let Some(skew) = open.policy.and_then(|p| p.clock_skew_seconds) {
        if entry.v < 2 {
            return Err(violation(
                "bad-body",
                "policy.clock_skew_seconds is a member of format version 2",
            ));
        }
        if skew > MAX_CLOCK_SKEW_SECONDS {
            return Err(violation(
                "bad-body",
                format!("policy.clock_skew_seconds is {skew}; at most {MAX_CLOCK_SKEW_SECONDS} (one day)"),
            ));
        }
    }
    crate::keys::validate_principal(&open.signer.principal)
        .map_err(|e| violation("bad-body", e.to_string()))?;
    if key.fingerprint() != &entry.signer {
        return Err(violation(
            "bad-genesis",
            format!(
                "entry 0 is signed by {} but opens the case for {}",
                entry.signer,
                key.fingerprint()
            ),
        ));
    }
    Ok(())
}

/// `CUS-BACKDATED` when a custody event says it happened more than
/// [`crate::custody::BACKDATE_HOURS`] before it was recorded, or after.
fn backdated(entry: &Entry, event: &crate::custody::Event) -> Option<crate::custody::Finding> {
    let at_text = event.common().at.as_deref()?;
    let at = crate::time::parse(at_text).ok()?;
    let recorded = crate::time::parse(&entry.time).ok()?;
    let hours = (recorded - at).num_hours();
    if hours <= crate::custody::BACKDATE_HOURS && at <= recorded {
        return None;
    }
    Some(crate::custody::Finding {
        id: "CUS-BACKDATED",
        severity: "low",
        entries: vec![entry.seq],
        exhibits: event.common().exhibits.clone(),
        message: format!(
            "the event is said to have happened at {}, {} the entry was recorded ({})",
            at_text,
            if at > recorded {
                "after".to_string()
            } else {
                format!("{hours} hours before")
            },
            entry.time
        ),
    })
}

fn is_hex64(s: &str) -> bool {
    crate::custody::is_lower_hex(s, 64)
}

impl CaseState {
    /// An extra guard for writers only (verify does not need it): refuse to
    /// revoke the last active supervisor, which would leave a case in which
    /// nobody can ever add a signer again.
    pub fn check_keeps_a_supervisor(&self, body: &Body) -> Result<(), RuleViolation> {
        if let Body::SignerRevoke(rev) = body {
            let remaining = self
                .active_signers()
                .filter(|(fp, s)| s.role == Role::Supervisor && **fp != rev.fingerprint)
                .count();
            let target_is_supervisor = self.signers.is_supervisor(&rev.fingerprint);
            if target_is_supervisor && remaining == 0 {
                return Err(violation(
                    "signer-rule",
                    format!(
                        "refusing to revoke {}: it is the last active supervisor; add another supervisor first",
                        rev.fingerprint
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl CaseState {
    /// Every attachment the ledger records for the case and its exhibits,
    /// as (entry seq, body), and each imported log as an attachment of kind
    /// `log` (recorded by its `exhibit.import` entry, documenting the
    /// acquisition): what `verify` checks in the case folder, what reports
    /// list and what packages carry, in ledger order.
    pub fn recorded_attachments(&self) -> Vec<(u64, custodian_format::attachment::AttachmentAdd)> {
        use custodian_format::attachment::{import_tool_name, AttachmentAdd, AttachmentKind};
        let mut out = self.attachments.clone();
        for (seq, i) in self.imports.values() {
            out.push((
                *seq,
                AttachmentAdd {
                    sha256: i.log.sha256.clone(),
                    bytes: i.log.bytes,
                    media_type: "text/plain".into(),
                    name: i.log.name.clone(),
                    kind: AttachmentKind::Log,
                    description: Some(format!(
                        "the {} log imported with exhibit {}",
                        import_tool_name(&i.format),
                        i.exhibit
                    )),
                    exhibit: Some(i.exhibit.clone()),
                    entry: Some(i.acquire),
                    exif: None,
                },
            ));
        }
        out.sort_by_key(|(seq, _)| *seq);
        out
    }
}

/// `attachment.add`: a well-formed body about the case or an acquired
/// exhibit, documenting (if it says so) an earlier entry.
fn check_attachment(
    state: &CaseState,
    seq: u64,
    a: &custodian_format::attachment::AttachmentAdd,
) -> Result<(), RuleViolation> {
    a.check()
        .map_err(|e| violation("bad-body", format!("attachment.add: {e}")))?;
    if let Some(ex) = &a.exhibit {
        if !state.exhibits.contains_key(ex) {
            return Err(violation(
                "exhibit-rule",
                format!("exhibit {ex} was not acquired"),
            ));
        }
    }
    if let Some(n) = a.entry {
        if n >= seq {
            return Err(violation(
                "attachment-rule",
                format!("an attachment can document only an earlier entry, not entry {n}"),
            ));
        }
    }
    Ok(())
}

/// `exhibit.import`: a well-formed body naming an acquired exhibit and its
/// acquisition entry, once per exhibit.
fn check_import(
    state: &CaseState,
    i: &custodian_format::attachment::ExhibitImport,
) -> Result<(), RuleViolation> {
    i.check()
        .map_err(|e| violation("bad-body", format!("exhibit.import: {e}")))?;
    let Some(ex) = state.exhibits.get(&i.exhibit) else {
        return Err(violation(
            "exhibit-rule",
            format!("exhibit {} was not acquired", i.exhibit),
        ));
    };
    if ex.acquired_seq != i.acquire {
        return Err(violation(
            "import-rule",
            format!(
                "exhibit {} was acquired by entry {}, not {}",
                i.exhibit, ex.acquired_seq, i.acquire
            ),
        ));
    }
    if let Some((seq, _)) = state.imports.get(&i.exhibit) {
        return Err(violation(
            "import-rule",
            format!("exhibit {} was already imported by entry {seq}", i.exhibit),
        ));
    }
    Ok(())
}

/// `package.encrypted`: a package an earlier disclosure entry (part 1)
/// recorded as encrypted, recorded once, with a lowercase hex SHA-256.
fn check_package_encrypted(
    state: &CaseState,
    p: &custodian_format::body::PackageEncrypted,
) -> Result<(), RuleViolation> {
    let bad = |code, msg: String| Err(violation(code, msg));
    let Some(r) = state.packages.get(&p.package) else {
        return bad(
            "package-rule",
            format!("package {} has no disclosure entry", p.package),
        );
    };
    if r.disclosure != p.disclosure {
        return bad(
            "package-rule",
            format!(
                "package {} was disclosed by entry {}, not {}",
                p.package, r.disclosure, p.disclosure
            ),
        );
    }
    if r.encrypted_to.is_empty() {
        return bad(
            "package-rule",
            format!("package {} was not disclosed as encrypted", p.package),
        );
    }
    if let Some((seq, _, _)) = &r.ciphertext {
        return bad(
            "package-rule",
            format!(
                "the ciphertext of package {} was already recorded by entry {seq}",
                p.package
            ),
        );
    }
    if !custodian_format::is_lower_hex(&p.sha256, 64) {
        return bad(
            "bad-body",
            "package.encrypted: sha256 must be 64 lowercase hex digits".into(),
        );
    }
    Ok(())
}

/// `exhibit.hashset-match`: an acquired exhibit, at least one set with a
/// known kind, lowercase hex digests of the right length, and every match
/// naming a listed set of the kind it states.
fn check_hashset_match(state: &CaseState, m: &HashsetMatch) -> Result<(), RuleViolation> {
    if !state.exhibits.contains_key(&m.exhibit) {
        return Err(violation(
            "exhibit-rule",
            format!("exhibit {} was not acquired", m.exhibit),
        ));
    }
    let bad = |msg: String| violation("bad-body", msg);
    let kinds = ["known-good", "known-bad", "notable"];
    if m.sets.is_empty() {
        return Err(bad("a hash-set match names no set".into()));
    }
    for s in &m.sets {
        if !kinds.contains(&s.kind.as_str()) {
            return Err(bad(format!(
                "hash set {} has unknown kind {:?}",
                s.name, s.kind
            )));
        }
    }
    if m.known_good > m.files || m.known_good_paths.len() as u64 != m.known_good {
        return Err(bad(format!(
            "known_good is {} but {} path(s) are listed among {} file(s)",
            m.known_good,
            m.known_good_paths.len(),
            m.files
        )));
    }
    for hit in &m.matches {
        if !m
            .sets
            .iter()
            .any(|s| s.name == hit.set && s.kind == hit.kind)
            || hit.kind == "known-good"
        {
            return Err(bad(format!(
                "match of {} names set {} ({}), which is not a listed known-bad or notable set",
                hit.path, hit.set, hit.kind
            )));
        }
        let hex_ok = hit
            .algorithm
            .parse::<crate::hashing::Algorithm>()
            .is_ok_and(|a| {
                a.name() == hit.algorithm && crate::custody::is_lower_hex(&hit.digest, a.hex_len())
            });
        if !hex_ok {
            return Err(bad(format!(
                "match of {}: {:?} is not a lowercase {} digest",
                hit.path, hit.digest, hit.algorithm
            )));
        }
    }
    Ok(())
}

/// When an entry was recorded (the epoch if its time is unreadable).
fn recorded_time(entry: &Entry) -> chrono::DateTime<chrono::Utc> {
    crate::time::parse(&entry.time).unwrap_or_default()
}

/// When an event happened: its `at` if given, else when it was recorded.
fn event_time(entry: &Entry, at: Option<&str>) -> chrono::DateTime<chrono::Utc> {
    at.and_then(|a| crate::time::parse(a).ok())
        .or_else(|| crate::time::parse(&entry.time).ok())
        .unwrap_or_default()
}

fn require_supervisor(signer: &Signer, what: &str) -> Result<(), RuleViolation> {
    if signer.role != Role::Supervisor {
        return Err(violation(
            "signer-rule",
            format!(
                "{what} must be signed by a supervisor; {} is {}",
                signer.principal, signer.role
            ),
        ));
    }
    Ok(())
}

impl CaseState {
    /// The case's signers as an OpenSSH `allowed_signers` file, restricted
    /// to custodian's signature namespaces (ledger, report, package:
    /// [`crate::keys::SIGNATURE_NAMESPACES`], so one file checks every
    /// signature custodian makes) and to the time each key was trusted, so
    /// that `ssh-keygen -Y verify -O verify-time=…` applies the ledger's own
    /// signer rules. Revoked keys are kept (their old entries stay
    /// verifiable) with `valid-before` set to the last whole second before
    /// the revocation (ssh-keygen accepts a signature checked at exactly
    /// `valid-before`).
    pub fn allowed_signers(&self) -> String {
        self.signers.allowed_signers()
    }
}

/// `YYYYMMDDHHMMSSZ` as OpenSSH's allowed_signers options take it: the
/// time cut down to its whole second, or with `before` the last whole
/// second strictly before it (ssh-keygen's `valid-before` is inclusive:
/// it accepts a signature checked at exactly that second).
fn ssh_time(ledger_time: &str, before: bool) -> String {
    match crate::time::parse(ledger_time) {
        Ok(t) => {
            let whole = t.timestamp();
            let second = if before && t.timestamp_subsec_micros() == 0 {
                whole - 1
            } else {
                whole
            };
            chrono::DateTime::from_timestamp(second, 0)
                .unwrap_or(t)
                .format("%Y%m%d%H%M%SZ")
                .to_string()
        }
        Err(_) => "19700101000000Z".to_string(),
    }
}
