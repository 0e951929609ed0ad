//! Verifying a package offline, without the home case
//! (docs/spec/package.md §6).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    manifest_path, proof_path, read_package, Index, PackageError, PackageFiles, Withheld,
    CHECKPOINT_FILE, ENTRIES_FILE, INDEX_FILE, PACKAGE_FORMAT, PACKAGE_NAMESPACE, SIGNATURE_FILE,
};
use crate::audit::{self, AuditAlgorithms, ExhibitAudit};
use crate::checkpoint::{self, NoteVerifier, SignedCheckpoint};
use crate::custody::Event;
use crate::hashing::{self, Algorithm, HashOptions, ManifestReader, NoProgress};
use crate::keys::{Fingerprint, SignerKey};
use crate::ledger::entry::signer_key;
use crate::ledger::{entry_hash, Body, Entry, Role, FORMAT_VERSION, GENESIS_PREV};
use crate::merkle::proof::Proof;

/// How serious a finding is: errors make the package not as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
}

/// One thing found while verifying a package.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Level,
    /// Stable code (docs/spec/package.md §6).
    pub code: &'static str,
    /// The package file concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The ledger entry concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    pub message: String,
}

/// What `verify-package` is given besides the package.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Fingerprints the case must have been opened with.
    pub trust: Vec<Fingerprint>,
    /// `EXHIBIT=PATH` (repeat for several roots, in order) or a plain
    /// `PATH` when the package shares one exhibit.
    pub evidence: Vec<String>,
    /// Hashing threads for the evidence check (0: one per CPU).
    pub jobs: usize,
}

/// The outcome of verifying a package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub package: Option<String>,
    pub case_id: Option<String>,
    pub recipient: Option<String>,
    pub exhibits: Vec<String>,
    pub redacted_paths: bool,
    /// `seq` of every disclosed entry checked.
    pub entries: Vec<u64>,
    pub withheld: Vec<Withheld>,
    /// Size and base64 root of the checkpoint.
    pub checkpoint: Option<(u64, String)>,
    /// The key that opened the case (entry 0's signer).
    pub root_of_trust: Option<Fingerprint>,
    pub findings: Vec<Finding>,
    /// Evidence compared with the shared manifests (`--evidence`).
    pub evidence: Vec<EvidenceCheck>,
}

/// One exhibit's evidence compared with its shared manifest.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceCheck {
    pub exhibit: String,
    /// `path` (unredacted manifest: by path and digest, as `verify
    /// --evidence`) or `digest` (redacted: the multiset of file digests).
    pub method: &'static str,
    pub matched: u64,
    pub differences: u64,
}

impl PackageReport {
    /// True when no finding is an error.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Level::Error)
    }
}

struct Checker {
    findings: Vec<Finding>,
}

impl Checker {
    fn add(
        &mut self,
        level: Level,
        code: &'static str,
        file: Option<&str>,
        entry: Option<u64>,
        message: String,
    ) {
        let message = match file {
            Some(f) if !message.starts_with(f) => format!("{f}: {message}"),
            _ => message,
        };
        self.findings.push(Finding {
            severity: level,
            code,
            file: file.map(str::to_string),
            entry,
            message,
        });
    }
    fn error(&mut self, code: &'static str, file: &str, entry: Option<u64>, message: String) {
        self.add(Level::Error, code, Some(file), entry, message);
    }
}

/// A signer as the disclosed signer entries introduce it.
struct KnownSigner {
    key: SignerKey,
    principal: String,
    role: Role,
    revoked_at: Option<u64>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Verifies the package at `path` (a directory or a tar archive). Fails
/// only when the package cannot be read at all; everything found is in the
/// report.
pub fn verify(path: &Path, opts: &VerifyOptions) -> Result<PackageReport, PackageError> {
    let files = read_package(path)?;
    let mut c = Checker {
        findings: Vec::new(),
    };
    let mut report = PackageReport {
        package: None,
        case_id: None,
        recipient: None,
        exhibits: Vec::new(),
        redacted_paths: false,
        entries: Vec::new(),
        withheld: Vec::new(),
        checkpoint: None,
        root_of_trust: None,
        findings: Vec::new(),
        evidence: Vec::new(),
    };
    check(&files, opts, &mut c, &mut report)?;
    report.findings = c.findings;
    Ok(report)
}

fn check(
    files: &PackageFiles,
    opts: &VerifyOptions,
    c: &mut Checker,
    report: &mut PackageReport,
) -> Result<(), PackageError> {
    for (p, why) in &files.irregular {
        c.error("not-regular-file", p, None, why.clone());
    }
    // 1. The index and the files it lists.
    let Some(index_bytes) = files.get(INDEX_FILE) else {
        c.error(
            "index-missing",
            INDEX_FILE,
            None,
            "missing: this is not a custodian package".into(),
        );
        return Ok(());
    };
    let index: Index = match serde_json::from_slice(index_bytes) {
        Ok(i) => i,
        Err(e) => {
            c.error(
                "index-malformed",
                INDEX_FILE,
                None,
                format!("not a package index ({e})"),
            );
            return Ok(());
        }
    };
    if index.format != PACKAGE_FORMAT {
        c.error(
            "index-malformed",
            INDEX_FILE,
            None,
            format!(
                "format is {:?}, this verifier reads {PACKAGE_FORMAT:?}",
                index.format
            ),
        );
        return Ok(());
    }
    report.package = Some(index.package.clone());
    report.case_id = Some(index.case_id.clone());
    report.recipient = Some(index.recipient.clone());
    report.exhibits = index.exhibits.clone();
    report.redacted_paths = index.redacted_paths;
    report.withheld = index.withheld.clone();

    let mut listed = BTreeSet::new();
    for f in &index.files {
        if !listed.insert(f.path.as_str()) || f.path == INDEX_FILE || f.path == SIGNATURE_FILE {
            c.error(
                "index-malformed",
                INDEX_FILE,
                None,
                format!("lists {} twice or lists itself", f.path),
            );
            continue;
        }
        match files.get(&f.path) {
            None => c.error(
                "file-missing",
                &f.path,
                None,
                "listed in package.json but missing".into(),
            ),
            Some(b) => {
                let (sha, len) = (sha256_hex(b), b.len() as u64);
                if sha != f.sha256 || len != f.bytes {
                    c.error(
                        "file-mismatch",
                        &f.path,
                        None,
                        format!(
                            "SHA-256 {sha} ({len} bytes), package.json records {} ({} bytes): the file was changed",
                            f.sha256, f.bytes
                        ),
                    );
                }
            }
        }
    }
    for p in files.files.keys() {
        if p != INDEX_FILE && p != SIGNATURE_FILE && !listed.contains(p.as_str()) {
            c.error(
                "unlisted-file",
                p,
                None,
                "not listed in package.json (added after packaging)".into(),
            );
        }
    }

    // 2. The disclosed entries and the signers they introduce.
    let entries_bytes = files.get(ENTRIES_FILE).unwrap_or_default();
    if files.get(ENTRIES_FILE).is_none() {
        c.error(
            "file-missing",
            ENTRIES_FILE,
            None,
            "missing: no ledger entries".into(),
        );
    }
    let mut entries: Vec<(Entry, &[u8])> = Vec::new();
    let mut lines: Vec<&[u8]> = entries_bytes.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    } else if !entries_bytes.is_empty() {
        c.error(
            "entry-malformed",
            ENTRIES_FILE,
            None,
            "the last line has no newline (truncated?)".into(),
        );
    }
    for (n, line) in lines.iter().enumerate() {
        let e: Entry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                c.error(
                    "entry-malformed",
                    ENTRIES_FILE,
                    None,
                    format!("line {}: not a ledger entry ({err})", n + 1),
                );
                continue;
            }
        };
        if e.line() != *line {
            c.error(
                "not-canonical",
                ENTRIES_FILE,
                Some(e.seq),
                format!("line {} (entry {}): not in canonical form", n + 1, e.seq),
            );
        }
        if e.v != FORMAT_VERSION {
            c.error(
                "entry-malformed",
                ENTRIES_FILE,
                Some(e.seq),
                format!("entry {}: unsupported version {}", e.seq, e.v),
            );
        }
        if let Some((prev, _)) = entries.last() {
            if e.seq <= prev.seq {
                c.error(
                    "entry-order",
                    ENTRIES_FILE,
                    Some(e.seq),
                    format!(
                        "entry {} follows entry {}: entries must be in ascending seq order",
                        e.seq, prev.seq
                    ),
                );
            }
        }
        entries.push((e, line));
    }
    report.entries = entries.iter().map(|(e, _)| e.seq).collect();
    if report.entries != index.entries {
        c.error(
            "index-mismatch",
            ENTRIES_FILE,
            None,
            format!(
                "holds entries {:?}, package.json lists {:?}",
                report.entries, index.entries
            ),
        );
    }

    let mut signers: BTreeMap<Fingerprint, KnownSigner> = BTreeMap::new();
    let mut case_id = None;
    match entries.first() {
        Some((e, _)) if e.seq == 0 && e.prev == GENESIS_PREV => {}
        _ => c.error(
            "bad-genesis",
            ENTRIES_FILE,
            Some(0),
            "entry 0 (case.open) is not the first entry given".into(),
        ),
    }
    let mut prev: Option<(u64, &[u8])> = None;
    for (e, line) in &entries {
        let seq = e.seq;
        if let Some((pseq, pline)) = prev {
            if pseq + 1 == seq && e.prev != entry_hash(pline) {
                c.error(
                    "prev-mismatch",
                    ENTRIES_FILE,
                    Some(seq),
                    format!(
                        "entry {seq}: prev does not hash entry {pseq}, which is given next to it"
                    ),
                );
            }
        }
        prev = Some((seq, line));
        let body = Body::parse(&e.kind, &e.body);
        if let (0, Ok(Body::CaseOpen(o))) = (seq, &body) {
            match signer_key(&o.signer) {
                Ok(k) => {
                    report.root_of_trust = Some(k.fingerprint().clone());
                    signers.insert(
                        k.fingerprint().clone(),
                        KnownSigner {
                            key: k,
                            principal: o.signer.principal.clone(),
                            role: o.signer.role,
                            revoked_at: None,
                        },
                    );
                }
                Err(m) => c.error(
                    "bad-genesis",
                    ENTRIES_FILE,
                    Some(0),
                    format!("entry 0: {m}"),
                ),
            }
            case_id = Some(o.case_id.clone());
        } else if seq == 0 {
            c.error(
                "bad-genesis",
                ENTRIES_FILE,
                Some(0),
                "entry 0 is not a valid case.open".into(),
            );
        }
        // The signer must be known and not revoked, and the signature hold.
        match signers.get(&e.signer) {
            None => c.error(
                "unknown-signer",
                ENTRIES_FILE,
                Some(seq),
                format!(
                    "entry {seq}: signed by {}, which no disclosed signer entry introduces",
                    e.signer
                ),
            ),
            Some(s) if s.revoked_at.is_some_and(|r| r < seq) => c.error(
                "revoked-signer",
                ENTRIES_FILE,
                Some(seq),
                format!(
                    "entry {seq}: signed by {} after it was revoked",
                    s.principal
                ),
            ),
            Some(s) => {
                let signed = e.signed_bytes_from_line(line);
                let r = e
                    .sig
                    .as_deref()
                    .ok_or_else(|| "no signature".to_string())
                    .and_then(|sig| s.key.verify(&signed, sig).map_err(|e| e.to_string()));
                if let Err(m) = r {
                    c.error(
                        "bad-signature",
                        ENTRIES_FILE,
                        Some(seq),
                        format!("entry {seq} ({}): {m}", e.kind),
                    );
                }
            }
        }
        let supervisor = signers
            .get(&e.signer)
            .is_some_and(|s| s.role == Role::Supervisor);
        match body {
            Ok(Body::SignerAdd(a)) => {
                if !supervisor {
                    c.error(
                        "signer-rule",
                        ENTRIES_FILE,
                        Some(seq),
                        format!("entry {seq}: signer.add not signed by a supervisor"),
                    );
                } else if let Ok(k) = signer_key(&a) {
                    signers.insert(
                        k.fingerprint().clone(),
                        KnownSigner {
                            key: k,
                            principal: a.principal.clone(),
                            role: a.role,
                            revoked_at: None,
                        },
                    );
                }
            }
            Ok(Body::SignerRevoke(r)) => {
                if !supervisor && r.fingerprint != e.signer {
                    c.error(
                        "signer-rule",
                        ENTRIES_FILE,
                        Some(seq),
                        format!(
                            "entry {seq}: signer.revoke of another key not signed by a supervisor"
                        ),
                    );
                } else if let Some(s) = signers.get_mut(&r.fingerprint) {
                    s.revoked_at.get_or_insert(seq);
                }
            }
            Err(m) => c.error(
                "bad-body",
                ENTRIES_FILE,
                Some(seq),
                format!("entry {seq}: {m}"),
            ),
            _ => {}
        }
    }
    match (&report.root_of_trust, opts.trust.is_empty()) {
        (Some(root), false) if !opts.trust.contains(root) => c.error(
            "untrusted-root",
            ENTRIES_FILE,
            Some(0),
            format!("the case was opened by {root}, which is not a key given with --trust"),
        ),
        (Some(root), true) => c.add(
            Level::Warning,
            "self-asserted-root",
            Some(ENTRIES_FILE),
            Some(0),
            format!("the case was opened by {root}; give --trust FINGERPRINT (obtained from the lab by another channel) to check it"),
        ),
        _ => {}
    }
    if let Some(id) = &case_id {
        if *id != index.case_id || index.origin != checkpoint::origin_for_case(id) {
            c.error(
                "index-mismatch",
                INDEX_FILE,
                None,
                format!(
                    "case id {:?} / origin {:?} do not match entry 0's case id {id:?}",
                    index.case_id, index.origin
                ),
            );
        }
    }

    // 3. The package signature, by the packager, a signer of the case.
    match (files.get(SIGNATURE_FILE), signers.get(&index.packager)) {
        (None, _) => c.error(
            "signature-missing",
            SIGNATURE_FILE,
            None,
            "missing: package.json is not signed".into(),
        ),
        (Some(_), None) => c.error(
            "bad-package-signature",
            SIGNATURE_FILE,
            None,
            format!(
                "the packager {} is not a signer introduced by the disclosed entries",
                index.packager
            ),
        ),
        (Some(sig), Some(s)) => {
            let r = std::str::from_utf8(sig)
                .map_err(|_| "not text".to_string())
                .and_then(|pem| {
                    s.key
                        .verify_detached(PACKAGE_NAMESPACE, index_bytes, pem)
                        .map_err(|e| e.to_string())
                });
            if let Err(m) = r {
                c.error(
                    "bad-package-signature",
                    SIGNATURE_FILE,
                    None,
                    format!(
                        "does not verify package.json with the packager's key {}: {m}",
                        index.packager
                    ),
                );
            }
        }
    }

    // 4. The checkpoint, signed by a signer of the case.
    let cp = match files.get(CHECKPOINT_FILE).map(std::str::from_utf8) {
        None => {
            c.error(
                "checkpoint-missing",
                CHECKPOINT_FILE,
                None,
                "missing".into(),
            );
            None
        }
        Some(Err(_)) => {
            c.error(
                "checkpoint-malformed",
                CHECKPOINT_FILE,
                None,
                "not UTF-8 text".into(),
            );
            None
        }
        Some(Ok(text)) => match SignedCheckpoint::parse(text, CHECKPOINT_FILE) {
            Err(e) => {
                c.error("checkpoint-malformed", CHECKPOINT_FILE, None, e.to_string());
                None
            }
            Ok(s) => Some(s),
        },
    };
    if let Some(cp) = &cp {
        report.checkpoint = Some((
            cp.checkpoint.size,
            checkpoint::encode_hash(&cp.checkpoint.root),
        ));
        if cp.checkpoint.origin != index.origin {
            c.error(
                "checkpoint-origin",
                CHECKPOINT_FILE,
                None,
                format!(
                    "origin {:?} is not the case's {:?}",
                    cp.checkpoint.origin, index.origin
                ),
            );
        }
        let verifiers: Vec<NoteVerifier> = signers
            .values()
            .filter_map(|s| {
                NoteVerifier::new(&checkpoint::note_key_name(&s.principal), &s.key).ok()
            })
            .collect();
        let check = cp.verify_signatures(&verifiers);
        if !check.is_trusted() {
            c.error(
                "checkpoint-signature",
                CHECKPOINT_FILE,
                None,
                format!("not signed by a signer of the case: {}", check.describe()),
            );
        }
    }

    // 5. An inclusion proof of every entry given or withheld.
    let mut proven: Vec<(u64, [u8; 32], Option<&str>)> = entries
        .iter()
        .map(|(e, line)| (e.seq, Sha256::digest(line).into(), None))
        .collect();
    for w in &index.withheld {
        match hex::decode(&w.entry_hash)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        {
            Some(h) => proven.push((w.seq, h, Some(w.reason.as_str()))),
            None => c.error(
                "index-malformed",
                INDEX_FILE,
                Some(w.seq),
                format!("withheld entry {}: entry_hash is not 64 hex digits", w.seq),
            ),
        }
    }
    for (seq, hash, withheld) in &proven {
        let file = proof_path(*seq);
        let Some(bytes) = files.get(&file) else {
            c.error(
                "proof-missing",
                &file,
                Some(*seq),
                format!("missing: entry {seq} is not proven"),
            );
            continue;
        };
        let proof = std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8".to_string())
            .and_then(|t| Proof::parse(t, &file).map_err(|e| e.to_string()));
        let p = match proof {
            Ok(Proof::Inclusion(p)) => p,
            Ok(_) => {
                c.error(
                    "proof-malformed",
                    &file,
                    Some(*seq),
                    "not an inclusion proof".into(),
                );
                continue;
            }
            Err(m) => {
                c.error("proof-malformed", &file, Some(*seq), m);
                continue;
            }
        };
        if let Some(cp) = &cp {
            let cp = &cp.checkpoint;
            if p.origin != cp.origin || p.tree_size != cp.size || p.root != cp.root {
                c.error(
                    "proof-mismatch",
                    &file,
                    Some(*seq),
                    format!(
                        "speaks of tree {} size {}, not of the checkpoint's (size {})",
                        p.origin, p.tree_size, cp.size
                    ),
                );
            }
        }
        if p.leaf_index != *seq || p.entry_hash != *hash {
            c.error(
                "proof-mismatch",
                &file,
                Some(*seq),
                format!(
                    "proves leaf {} with entry hash {}, not entry {seq} with hash {}",
                    p.leaf_index,
                    hex::encode(p.entry_hash),
                    hex::encode(hash)
                ),
            );
        }
        if let Err(e) = Proof::Inclusion(p).verify(&file) {
            c.error("bad-proof", &file, Some(*seq), e.to_string());
        }
        if let Some(reason) = withheld {
            c.add(Level::Info, "withheld-entry", Some(INDEX_FILE), Some(*seq), format!("entry {seq} concerns a shared exhibit but is withheld ({reason}); its place in the ledger is proven, its content is not given"));
        }
    }

    // 6. The disclosure entry and the manifests it binds.
    let disclosure = entries.iter().find(|(e, _)| e.seq == index.disclosure);
    let mut manifest_ok: BTreeMap<String, bool> = BTreeMap::new();
    match disclosure.map(|(e, _)| (e, Event::parse(&e.kind, &e.body))) {
        Some((
            e,
            Ok(Event::Disclose {
                common,
                disclosure: d,
            }),
        )) => {
            let seq = e.seq;
            if d.package != index.package
                || d.recipient != index.recipient
                || common.exhibits != index.exhibits
                || d.redacted_paths != index.redacted_paths
            {
                c.error("disclosure-mismatch", INDEX_FILE, Some(seq), format!("package id, recipient, exhibits or redaction differ from the disclosure entry {seq}"));
            }
            if e.signer != index.packager {
                c.error(
                    "disclosure-mismatch",
                    INDEX_FILE,
                    Some(seq),
                    format!(
                        "packager {} did not sign the disclosure entry {seq} (signed by {})",
                        index.packager, e.signer
                    ),
                );
            }
            for m in &d.manifests {
                let file = manifest_path(&m.exhibit);
                let Some(bytes) = files.get(&file) else {
                    c.error(
                        "file-missing",
                        &file,
                        Some(seq),
                        format!("the manifest of exhibit {} is missing", m.exhibit),
                    );
                    continue;
                };
                let mut ok = true;
                if sha256_hex(bytes) != m.sha256 || bytes.len() as u64 != m.bytes {
                    ok = false;
                    c.error(
                        "manifest-mismatch",
                        &file,
                        Some(seq),
                        format!("does not match the digest recorded by disclosure entry {seq}"),
                    );
                }
                let acq = entries
                    .iter()
                    .find_map(|(e, _)| match Body::parse(&e.kind, &e.body) {
                        Ok(Body::ExhibitAcquire(a)) if a.exhibit == m.exhibit => Some((e.seq, a)),
                        _ => None,
                    });
                match acq {
                    None => {
                        ok = false;
                        c.error(
                            "acquisition-missing",
                            ENTRIES_FILE,
                            None,
                            format!("the acquisition of exhibit {} is not given", m.exhibit),
                        );
                    }
                    Some((aseq, a)) if !d.redacted_paths && a.manifest.sha256 != m.sha256 => {
                        ok = false;
                        c.error("manifest-mismatch", &file, Some(aseq), format!("does not match the digest recorded when exhibit {} was acquired (entry {aseq})", m.exhibit));
                    }
                    _ => {}
                }
                if let Err(e) = ManifestReader::new(std::io::Cursor::new(bytes), Path::new(&file))
                    .and_then(|r| r.collect::<Result<Vec<_>, _>>())
                {
                    ok = false;
                    c.error("manifest-malformed", &file, None, e.to_string());
                }
                manifest_ok.insert(m.exhibit.clone(), ok);
            }
        }
        Some((e, _)) => c.error(
            "disclosure-mismatch",
            ENTRIES_FILE,
            Some(e.seq),
            format!(
                "entry {} named by package.json is not a valid custody.disclose entry",
                e.seq
            ),
        ),
        None => c.error(
            "disclosure-missing",
            ENTRIES_FILE,
            Some(index.disclosure),
            format!("the disclosure entry {} is not given", index.disclosure),
        ),
    }
    for p in files.files.keys() {
        if let Some(x) = p
            .strip_prefix("manifests/")
            .and_then(|r| r.strip_suffix(".jsonl"))
        {
            if !index.exhibits.iter().any(|e| e == x) {
                c.error(
                    "unlisted-file",
                    p,
                    None,
                    format!("a manifest of exhibit {x}, which the package does not share"),
                );
            }
        }
    }

    // 7. Evidence against the shared manifests.
    if !opts.evidence.is_empty() {
        let plan = evidence_plan(&index.exhibits, &opts.evidence)
            .map_err(|m| super::invalid("--evidence", m))?;
        for (x, roots) in plan {
            let file = manifest_path(&x);
            if !manifest_ok.get(&x).copied().unwrap_or(false) {
                c.error(
                    "evidence-not-audited",
                    &file,
                    None,
                    format!("exhibit {x}: evidence not audited: its manifest is not as recorded"),
                );
                continue;
            }
            let bytes = files.get(&file).unwrap_or_default();
            let checked = if index.redacted_paths {
                audit_by_digest(&x, bytes, &roots, opts.jobs, c)?
            } else {
                audit_by_path(&x, bytes, &roots, opts.jobs, c)?
            };
            report.evidence.push(checked);
        }
    }
    Ok(())
}

/// `--evidence` specs → (exhibit, roots).
fn evidence_plan(
    exhibits: &[String],
    specs: &[String],
) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let mut plan: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for spec in specs {
        let (x, path) = match spec.split_once('=') {
            Some((x, p)) if exhibits.iter().any(|e| e == x) => (x.to_string(), PathBuf::from(p)),
            _ if exhibits.len() == 1 => (exhibits[0].clone(), PathBuf::from(spec)),
            _ => {
                return Err(format!(
                    "{spec}: give EXHIBIT=PATH with an exhibit of the package ({})",
                    exhibits.join(", ")
                ))
            }
        };
        match plan.iter_mut().find(|(e, _)| *e == x) {
            Some((_, roots)) => roots.push(path),
            None => plan.push((x, vec![path])),
        }
    }
    Ok(plan)
}

/// Audits like `verify --evidence`: by path and digest (unredacted).
fn audit_by_path(
    x: &str,
    manifest: &[u8],
    roots: &[PathBuf],
    jobs: usize,
    c: &mut Checker,
) -> Result<EvidenceCheck, PackageError> {
    // audit_exhibit reads a manifest file: give it a private copy, under a
    // new random name (never following or clobbering an existing file).
    let tmp = private_copy(manifest)?;
    let result = audit::audit_exhibit(
        x,
        &tmp,
        roots,
        AuditAlgorithms::Strongest,
        jobs,
        Vec::new(),
        &NoProgress,
    );
    let _ = std::fs::remove_file(&tmp);
    let a: ExhibitAudit =
        result.map_err(|e| super::invalid(format!("exhibit {x}"), e.to_string()))?;
    for d in &a.differences {
        let msg = d.describe(x);
        c.add(
            Level::Error,
            audit::evidence_code(d.status),
            None,
            None,
            msg,
        );
    }
    Ok(EvidenceCheck {
        exhibit: x.to_string(),
        method: "path",
        matched: a.counts.matched,
        differences: a.differences.len() as u64,
    })
}

/// Writes `bytes` to a new file of the temporary folder (random name,
/// mode 0600, created exclusively) and returns its path.
fn private_copy(bytes: &[u8]) -> Result<PathBuf, PackageError> {
    use ssh_key::rand_core::RngCore;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut r = [0u8; 8];
    ssh_key::rand_core::OsRng.fill_bytes(&mut r);
    let path = std::env::temp_dir().join(format!("custodian-package-{}.jsonl", hex::encode(r)));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(super::io_err(&path))?;
    if let Err(e) = f.write_all(bytes) {
        let _ = std::fs::remove_file(&path);
        return Err(super::io_err(&path)(e));
    }
    Ok(path)
}

/// With redacted paths, names cannot be compared: every regular file's
/// strongest digest is, as a multiset (docs/spec/package.md §5).
fn audit_by_digest(
    x: &str,
    manifest: &[u8],
    roots: &[PathBuf],
    jobs: usize,
    c: &mut Checker,
) -> Result<EvidenceCheck, PackageError> {
    let file = manifest_path(x);
    let reader = ManifestReader::new(std::io::Cursor::new(manifest), Path::new(&file))?;
    let algo: Algorithm = reader.header().algorithms.strongest();
    let mut recorded: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in reader {
        let r = r?;
        if r.kind == hashing::FileKind::File && r.hardlink_of.is_none() {
            if let Some(d) = r.digests.get(algo) {
                recorded
                    .entry(d.to_string())
                    .or_default()
                    .push(r.path.clone());
            }
        }
    }
    for root in roots {
        if let Err(e) = root.symlink_metadata() {
            return Err(super::io_err(root)(e));
        }
    }
    let opts = HashOptions {
        algorithms: hashing::AlgorithmSet::single(algo),
        jobs,
        ..HashOptions::default()
    };
    let mut found: Vec<(String, String)> = Vec::new();
    hashing::hash_tree(
        roots,
        &opts,
        &mut |r| {
            if r.kind == hashing::FileKind::File && r.hardlink_of.is_none() {
                if let Some(d) = r.digests.get(algo) {
                    let shown = roots
                        .get(r.root as usize)
                        .map(|p| p.join(&r.path).display().to_string())
                        .unwrap_or(r.path.clone());
                    found.push((d.to_string(), shown));
                }
            }
            Ok(())
        },
        &NoProgress,
    )?;
    let (mut matched, mut differences) = (0u64, 0u64);
    for (d, shown) in found {
        match recorded.get_mut(&d).and_then(|v| v.pop()) {
            Some(_) => matched += 1,
            None => {
                differences += 1;
                c.add(
                    Level::Error,
                    "evidence-new",
                    None,
                    None,
                    format!("exhibit {x}: {shown}: new, {algo}:{d} is recorded for no file"),
                );
            }
        }
    }
    for (d, names) in recorded {
        for n in names {
            differences += 1;
            c.add(Level::Error, "evidence-missing", None, None, format!("exhibit {x}: file {n} (redacted name), {algo}:{d}: missing, no file has this digest"));
        }
    }
    Ok(EvidenceCheck {
        exhibit: x.to_string(),
        method: "digest",
        matched,
        differences,
    })
}
