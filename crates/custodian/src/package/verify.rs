//! Verifying a package offline, without the home case
//! (docs/spec/package.md §6).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::stream::{Tally, CHUNK};
use super::{
    manifest_path, proof_path, read_package_with, Index, Member, PackageError, PackageFiles,
    Withheld, CHECKPOINT_FILE, ENTRIES_FILE, INDEX_FILE, PACKAGE_NAMESPACE, README_FILE,
    SIGNATURE_FILE, SIGNERS_FILE,
};
use crate::audit::{self, AuditAlgorithms, EvidenceScope, ExhibitAudit};
use crate::checkpoint::{self, NoteVerifier, SignedCheckpoint};
use crate::custody::Event;
use crate::hashing::{self, Algorithm, HashOptions, ManifestReader, NoProgress};
use crate::keys::{Fingerprint, SignerKey};
use crate::ledger::state::Signers;
use crate::ledger::{entry_hash, Body, CaseId, Entry, ExhibitId, FORMAT_VERSION, GENESIS_PREV};
use crate::merkle::proof::{InclusionProof, Proof};
use custodian_format::OLDEST_FORMAT_VERSION;

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
    /// Identities to decrypt an age-encrypted package with.
    pub identities: Option<super::encrypt::Identities>,
    /// A new folder to extract the package into, written only when the
    /// package is as recorded (docs/spec/package.md §9.3).
    pub extract: Option<PathBuf>,
}

/// The outcome of verifying a package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub package: Option<String>,
    pub case_id: Option<CaseId>,
    pub recipient: Option<String>,
    pub exhibits: Vec<ExhibitId>,
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
    /// For an age-encrypted package: SHA-256 and size of the ciphertext,
    /// to compare with its `package.encrypted` entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<super::encrypt::Ciphertext>,
    /// The folder the package was extracted into (`--extract`), only when
    /// it is as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted: Option<PathBuf>,
}

/// One exhibit's evidence compared with its shared manifest.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceCheck {
    pub exhibit: ExhibitId,
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

    /// Whether what was given is a package at all: it has a `package.json`
    /// to judge (docs/spec/package.md §6). An empty file, random bytes or a
    /// folder without one is not a package that fails, it is not a package
    /// (an operational error, exit 2, not "not as recorded").
    pub fn is_package(&self) -> bool {
        !self.findings.iter().any(|f| f.code == "index-missing")
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

/// Verifies the package at `path` (a directory or a tar archive). Fails
/// only when the package cannot be read at all; everything found is in the
/// report.
pub fn verify(path: &Path, opts: &VerifyOptions) -> Result<PackageReport, PackageError> {
    let Some(dest) = &opts.extract else {
        return verify_read(path, opts, None);
    };
    // Extracted under a temporary name next to the destination, renamed
    // only when the package is as recorded: nothing is left otherwise.
    if dest.symlink_metadata().is_ok() {
        return Err(PackageError::OutputExists {
            path: dest.clone(),
            appeared: false,
        });
    }
    let name = dest
        .file_name()
        .ok_or_else(|| PackageError::NotAFileName { path: dest.clone() })?
        .to_string_lossy()
        .into_owned();
    let tmp = dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut report = match verify_read(path, opts, Some(tmp.clone())) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if report.is_valid() && report.is_package() && dest.symlink_metadata().is_err() {
        if let Err(e) = std::fs::rename(&tmp, dest) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(super::io_err(dest)(e));
        }
        report.extracted = Some(dest.clone());
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(report)
}

fn verify_read(
    path: &Path,
    opts: &VerifyOptions,
    extract: Option<PathBuf>,
) -> Result<PackageReport, PackageError> {
    let read = super::ReadOptions {
        identities: opts.identities.clone(),
        extract,
    };
    let files = read_package_with(path, &read)?;
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
        ciphertext: files.ciphertext.clone(),
        extracted: None,
    };
    check(&files, opts, &mut c, &mut report)?;
    report.findings = c.findings;
    Ok(report)
}

/// A disclosed entry with the line it was read from.
type Disclosed<'a> = (Entry, &'a [u8]);

/// The steps of docs/spec/package.md §6, in order.
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
    let Some((index, index_bytes)) = read_index(files, c) else {
        return Ok(());
    };
    report.package = Some(index.package.clone());
    report.case_id = Some(index.case_id.clone());
    report.recipient = Some(index.recipient.clone());
    report.exhibits = index.exhibits.clone();
    report.redacted_paths = index.redacted_paths;
    report.withheld = index.withheld.clone();
    check_listed_files(files, &index, c);

    // 2. The disclosed entries and the signers they introduce.
    let entries = read_entries(files, c);
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
    let replay = replay_signers(&entries, c);
    report.root_of_trust = replay.root.clone();
    check_root_of_trust(report.root_of_trust.as_ref(), opts, c);
    check_case_id(replay.case_id.as_deref(), &index, c);

    // 3. The package signature, by the packager, a signer of the case.
    check_package_signature(files, &index, index_bytes, &replay.signers, c);

    // 4. The checkpoint, signed by a signer of the case.
    let cp = read_checkpoint(files, c);
    if let Some(cp) = &cp {
        report.checkpoint = Some((
            cp.checkpoint.size,
            checkpoint::encode_hash(&cp.checkpoint.root),
        ));
        check_checkpoint(cp, &index, &replay.signers, c);
    }

    // 5. An inclusion proof of every entry given or withheld.
    for (seq, hash, withheld) in proven_entries(&entries, &index, c) {
        check_proof(files, seq, &hash, withheld, cp.as_ref(), c);
    }

    // 6. The disclosure entry and the manifests it binds.
    let manifest_ok = check_disclosure(files, &index, &entries, c);
    check_unlisted_manifests(files, &index, c);
    check_attachments(files, &index, &entries, c);
    // 6b. Each shared exhibit's custody chain is complete.
    for p in super::chain::check(&index, &entries) {
        let level = if p.error {
            Level::Error
        } else {
            Level::Warning
        };
        c.add(level, p.code, Some(p.file), p.entry, p.message);
    }

    // 7. Evidence against the shared manifests.
    if !opts.evidence.is_empty() {
        check_evidence(files, &index, opts, &manifest_ok, c, report)?;
    }
    Ok(())
}

/// Step 1: `package.json`, parsed and of the format this verifier reads.
fn read_index<'a>(files: &'a PackageFiles, c: &mut Checker) -> Option<(Index, &'a [u8])> {
    let Some(index_bytes) = files.get(INDEX_FILE) else {
        // Members of a package's layout without its index: a damaged
        // (truncated, cut) package, which does not verify; with none of
        // them, not a package at all.
        let layout = files.paths().any(|p| {
            [ENTRIES_FILE, CHECKPOINT_FILE, SIGNERS_FILE, README_FILE].contains(&p)
                || custodian_format::package::LAYOUT_DIRS
                    .iter()
                    .any(|d| p.starts_with(&format!("{d}/")))
        });
        if layout {
            c.error(
                "index-lost",
                INDEX_FILE,
                None,
                "missing, although the package's other members are there: the package is damaged or incomplete".into(),
            );
        } else {
            c.error(
                "index-missing",
                INDEX_FILE,
                None,
                "missing: this is not a custodian package".into(),
            );
        }
        return None;
    };
    match Index::parse(index_bytes) {
        Ok(index) => Some((index, index_bytes)),
        Err(e) => {
            c.error("index-malformed", INDEX_FILE, None, e.to_string());
            None
        }
    }
}

/// Step 1: every listed file present with its recorded digest and size,
/// and no file that is not listed.
fn check_listed_files(files: &PackageFiles, index: &Index, c: &mut Checker) {
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
        let Some(m) = files.member(&f.path) else {
            c.error(
                "file-missing",
                &f.path,
                None,
                "listed in package.json but missing".into(),
            );
            continue;
        };
        let (sha, len) = (&m.sha256, m.bytes);
        if *sha != f.sha256 || len != f.bytes {
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
    for p in files.paths() {
        if p != INDEX_FILE && p != SIGNATURE_FILE && !listed.contains(p) {
            c.error(
                "unlisted-file",
                p,
                None,
                "not listed in package.json (added after packaging)".into(),
            );
        }
    }
}

/// Step 2: the lines of `entries.jsonl`, each a canonical entry of this
/// format version, in ascending order.
fn read_entries<'a>(files: &'a PackageFiles, c: &mut Checker) -> Vec<Disclosed<'a>> {
    let entries_bytes = files.get(ENTRIES_FILE).unwrap_or_default();
    if files.get(ENTRIES_FILE).is_none() {
        c.error(
            "file-missing",
            ENTRIES_FILE,
            None,
            "missing: no ledger entries".into(),
        );
    }
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
    let mut entries: Vec<Disclosed<'a>> = Vec::new();
    for (n, line) in lines.into_iter().enumerate() {
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
        check_entry_form(&e, line, n + 1, entries.last().map(|(p, _)| p.seq), c);
        entries.push((e, line));
    }
    entries
}

/// Step 2: one entry on its own: canonical, of this format version, after
/// the entry before it (`prev_seq`).
fn check_entry_form(
    e: &Entry,
    line: &[u8],
    line_no: usize,
    prev_seq: Option<u64>,
    c: &mut Checker,
) {
    if e.line() != *line {
        c.error(
            "not-canonical",
            ENTRIES_FILE,
            Some(e.seq),
            format!("line {line_no} (entry {}): not in canonical form", e.seq),
        );
    }
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&e.v) {
        c.error(
            "entry-malformed",
            ENTRIES_FILE,
            Some(e.seq),
            format!("entry {}: unsupported version {}", e.seq, e.v),
        );
    }
    if let Some(prev) = prev_seq {
        if e.seq <= prev {
            c.error(
                "entry-order",
                ENTRIES_FILE,
                Some(e.seq),
                format!(
                    "entry {} follows entry {prev}: entries must be in ascending seq order",
                    e.seq
                ),
            );
        }
    }
}

/// What the disclosed entries say about the case's signers.
struct SignerReplay {
    /// The ledger's signer state, as far as the disclosed entries show it.
    signers: Signers,
    /// The key that opened the case (entry 0's signer).
    root: Option<Fingerprint>,
    /// Entry 0's case id.
    case_id: Option<CaseId>,
}

/// Step 2: replays the disclosed entries in order: the chain between
/// neighbours, entry 0, each entry's signer and signature, and the signer
/// entries, which change who may sign what follows.
fn replay_signers(entries: &[Disclosed<'_>], c: &mut Checker) -> SignerReplay {
    let mut replay = SignerReplay {
        signers: Signers::default(),
        root: None,
        case_id: None,
    };
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
    for (e, line) in entries {
        check_neighbour_chain(e, prev, c);
        prev = Some((e.seq, line));
        let body = Body::parse(&e.kind, &e.body);
        if e.seq == 0 {
            replay.genesis(e, body.as_ref().ok(), c);
        }
        check_entry_signer(&replay.signers, e, line, c);
        match body {
            Ok(body) => replay.apply_signer_entry(e, &body, c),
            Err(m) => c.error(
                "bad-body",
                ENTRIES_FILE,
                Some(e.seq),
                format!("entry {}: {m}", e.seq),
            ),
        }
    }
    replay
}

/// Step 2: an entry given next to the one before it in the ledger must
/// name that entry's hash as `prev`.
fn check_neighbour_chain(e: &Entry, prev: Option<(u64, &[u8])>, c: &mut Checker) {
    let Some((pseq, pline)) = prev else {
        return;
    };
    let seq = e.seq;
    if pseq + 1 == seq && e.prev != entry_hash(pline) {
        c.error(
            "prev-mismatch",
            ENTRIES_FILE,
            Some(seq),
            format!("entry {seq}: prev does not hash entry {pseq}, which is given next to it"),
        );
    }
}

/// Step 2: the signer must be known and not revoked, and the signature
/// hold.
fn check_entry_signer(signers: &Signers, e: &Entry, line: &[u8], c: &mut Checker) {
    let seq = e.seq;
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
        Some(s) if s.revoked_before(seq) => c.error(
            "revoked-signer",
            ENTRIES_FILE,
            Some(seq),
            format!(
                "entry {seq}: signed by {} after it was revoked",
                s.principal
            ),
        ),
        Some(s) => {
            if let Some(m) = signature_failure(&s.key, e, line) {
                c.error(
                    "bad-signature",
                    ENTRIES_FILE,
                    Some(seq),
                    format!("entry {seq} ({}): {m}", e.kind),
                );
            }
        }
    }
}

/// Why `e`'s signature does not verify with `key`, if it does not.
fn signature_failure(key: &SignerKey, e: &Entry, line: &[u8]) -> Option<String> {
    let Some(sig) = e.sig.as_deref() else {
        return Some("no signature".to_string());
    };
    let signed = e.signed_bytes_from_line(line);
    key.verify(&signed, sig).err().map(|e| e.to_string())
}

impl SignerReplay {
    /// Entry 0: a `case.open`, whose signer becomes the root of trust.
    fn genesis(&mut self, e: &Entry, body: Option<&Body>, c: &mut Checker) {
        let Some(Body::CaseOpen(o)) = body else {
            c.error(
                "bad-genesis",
                ENTRIES_FILE,
                Some(0),
                "entry 0 is not a valid case.open".into(),
            );
            return;
        };
        match self.signers.add(&o.signer, e.seq, &e.time) {
            Ok(fp) => self.root = Some(fp),
            Err(m) => c.error(
                "bad-genesis",
                ENTRIES_FILE,
                Some(0),
                format!("entry 0: {m}"),
            ),
        }
        self.case_id = Some(o.case_id.clone());
    }

    /// `signer.add` and `signer.revoke`: by a supervisor (a revocation may
    /// also be of one's own key).
    fn apply_signer_entry(&mut self, e: &Entry, body: &Body, c: &mut Checker) {
        let seq = e.seq;
        let supervisor = self.signers.is_supervisor(&e.signer);
        match body {
            Body::SignerAdd(_) if !supervisor => c.error(
                "signer-rule",
                ENTRIES_FILE,
                Some(seq),
                format!("entry {seq}: signer.add not signed by a supervisor"),
            ),
            Body::SignerAdd(a) => {
                // A key that does not parse introduces no signer; the
                // entries it signs are then reported as unknown-signer.
                let _ = self.signers.add(a, seq, &e.time);
            }
            Body::SignerRevoke(r) if !supervisor && r.fingerprint != e.signer => c.error(
                "signer-rule",
                ENTRIES_FILE,
                Some(seq),
                format!("entry {seq}: signer.revoke of another key not signed by a supervisor"),
            ),
            Body::SignerRevoke(r) => self.signers.revoke(r, seq, &e.time),
            _ => {}
        }
    }
}

/// Step 2: entry 0's key checked against `--trust`, or said to be
/// self-asserted.
fn check_root_of_trust(root: Option<&Fingerprint>, opts: &VerifyOptions, c: &mut Checker) {
    match (root, opts.trust.is_empty()) {
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
}

/// Step 2: the index names the case entry 0 opened, and its origin.
fn check_case_id(case_id: Option<&str>, index: &Index, c: &mut Checker) {
    let Some(id) = case_id else {
        return;
    };
    if id != index.case_id || index.origin != checkpoint::origin_for_case(id) {
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

/// Step 3: `package.sig` verifies `package.json` with the packager's key,
/// the packager being a signer the disclosed entries introduce.
fn check_package_signature(
    files: &PackageFiles,
    index: &Index,
    index_bytes: &[u8],
    signers: &Signers,
    c: &mut Checker,
) {
    let Some(sig) = files.get(SIGNATURE_FILE) else {
        c.error(
            "signature-missing",
            SIGNATURE_FILE,
            None,
            "missing: package.json is not signed".into(),
        );
        return;
    };
    let Some(s) = signers.get(&index.packager) else {
        c.error(
            "bad-package-signature",
            SIGNATURE_FILE,
            None,
            format!(
                "the packager {} is not a signer introduced by the disclosed entries",
                index.packager
            ),
        );
        return;
    };
    let failure = match std::str::from_utf8(sig) {
        Err(_) => Some("not text".to_string()),
        Ok(pem) => s
            .key
            .verify_detached(PACKAGE_NAMESPACE, index_bytes, pem)
            .err()
            .map(|e| e.to_string()),
    };
    if let Some(m) = failure {
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

/// Step 4: the checkpoint file, parsed.
fn read_checkpoint(files: &PackageFiles, c: &mut Checker) -> Option<SignedCheckpoint> {
    match files.get(CHECKPOINT_FILE).map(std::str::from_utf8) {
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
    }
}

/// Step 4: the checkpoint is of the case's log and signed by a signer of
/// the case (active or since revoked: it may predate the revocation).
fn check_checkpoint(cp: &SignedCheckpoint, index: &Index, signers: &Signers, c: &mut Checker) {
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
        .filter_map(|s| NoteVerifier::new(&checkpoint::note_key_name(&s.principal), &s.key).ok())
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

/// Step 5: (seq, entry hash, reason withheld) of every entry to prove:
/// those given, then those withheld.
fn proven_entries<'a>(
    entries: &[Disclosed<'_>],
    index: &'a Index,
    c: &mut Checker,
) -> Vec<(u64, [u8; 32], Option<&'a str>)> {
    let mut proven: Vec<(u64, [u8; 32], Option<&str>)> = entries
        .iter()
        .map(|(e, line)| (e.seq, Sha256::digest(line).into(), None))
        .collect();
    for w in &index.withheld {
        match w.hash() {
            Some(h) => proven.push((w.seq, h, Some(w.reason.as_str()))),
            None => c.error(
                "index-malformed",
                INDEX_FILE,
                Some(w.seq),
                format!("withheld entry {}: entry_hash is not 64 hex digits", w.seq),
            ),
        }
    }
    proven
}

/// Step 5: the inclusion proof of entry `seq` (with hash `hash`) in the
/// checkpoint's tree.
fn check_proof(
    files: &PackageFiles,
    seq: u64,
    hash: &[u8; 32],
    withheld: Option<&str>,
    cp: Option<&SignedCheckpoint>,
    c: &mut Checker,
) {
    let file = proof_path(seq);
    let Some(p) = read_inclusion_proof(files, &file, seq, c) else {
        return;
    };
    if let Some(cp) = cp {
        let cp = &cp.checkpoint;
        if p.origin != cp.origin || p.tree_size != cp.size || p.root != cp.root {
            c.error(
                "proof-mismatch",
                &file,
                Some(seq),
                format!(
                    "speaks of tree {} size {}, not of the checkpoint's (size {})",
                    p.origin, p.tree_size, cp.size
                ),
            );
        }
    }
    if p.leaf_index != seq || p.entry_hash != *hash {
        c.error(
            "proof-mismatch",
            &file,
            Some(seq),
            format!(
                "proves leaf {} with entry hash {}, not entry {seq} with hash {}",
                p.leaf_index,
                hex::encode(p.entry_hash),
                hex::encode(hash)
            ),
        );
    }
    if let Err(e) = Proof::Inclusion(p).verify(&file) {
        c.error("bad-proof", &file, Some(seq), e.to_string());
    }
    if let Some(reason) = withheld {
        c.add(Level::Info, "withheld-entry", Some(INDEX_FILE), Some(seq), format!("entry {seq} concerns a shared exhibit but is withheld ({reason}); its place in the ledger is proven, its content is not given"));
    }
}

/// Step 5: the proof file of entry `seq`, if present and an inclusion
/// proof.
fn read_inclusion_proof(
    files: &PackageFiles,
    file: &str,
    seq: u64,
    c: &mut Checker,
) -> Option<InclusionProof> {
    let Some(bytes) = files.get(file) else {
        c.error(
            "proof-missing",
            file,
            Some(seq),
            format!("missing: entry {seq} is not proven"),
        );
        return None;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        c.error("proof-malformed", file, Some(seq), "not UTF-8".to_string());
        return None;
    };
    match Proof::parse(text, file) {
        Ok(Proof::Inclusion(p)) => Some(p),
        Ok(_) => {
            c.error(
                "proof-malformed",
                file,
                Some(seq),
                "not an inclusion proof".into(),
            );
            None
        }
        Err(e) => {
            c.error("proof-malformed", file, Some(seq), e.to_string());
            None
        }
    }
}

/// Step 6: the entry package.json names as the disclosure is a
/// `custody.disclose` matching the index, and binds every shared manifest.
/// Returns, per exhibit, whether its manifest is as recorded.
fn check_disclosure(
    files: &PackageFiles,
    index: &Index,
    entries: &[Disclosed<'_>],
    c: &mut Checker,
) -> BTreeMap<ExhibitId, bool> {
    let mut manifest_ok: BTreeMap<ExhibitId, bool> = BTreeMap::new();
    let disclosure = entries.iter().find(|(e, _)| e.seq == index.disclosure);
    let Some((e, _)) = disclosure else {
        c.error(
            "disclosure-missing",
            ENTRIES_FILE,
            Some(index.disclosure),
            format!("the disclosure entry {} is not given", index.disclosure),
        );
        return manifest_ok;
    };
    let Ok(Event::Disclose { disclosure: d, .. }) = Event::parse(&e.kind, &e.body) else {
        c.error(
            "disclosure-mismatch",
            ENTRIES_FILE,
            Some(e.seq),
            format!(
                "entry {} named by package.json is not a valid custody.disclose entry",
                e.seq
            ),
        );
        return manifest_ok;
    };
    let seq = e.seq;
    // The exhibits of the disclosure: its manifests, one per exhibit, in
    // order (a version-2 part names only its own exhibit).
    let disclosed: Vec<&ExhibitId> = d.manifests.iter().map(|m| &m.exhibit).collect();
    if d.package != index.package
        || d.recipient != index.recipient
        || disclosed != index.exhibits.iter().collect::<Vec<_>>()
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
        if let Some(ok) = check_disclosed_manifest(files, entries, seq, m, d.redacted_paths, c) {
            manifest_ok.insert(m.exhibit.clone(), ok);
        }
    }
    manifest_ok
}

/// Step 6: one manifest the disclosure entry `seq` binds: present, with
/// the digest recorded there (and, unredacted, at acquisition), and
/// readable as a manifest. `None` when it is missing.
fn check_disclosed_manifest(
    files: &PackageFiles,
    entries: &[Disclosed<'_>],
    seq: u64,
    m: &crate::custody::SharedManifest,
    redacted_paths: bool,
    c: &mut Checker,
) -> Option<bool> {
    let file = manifest_path(&m.exhibit);
    let Some(member) = files.member(&file) else {
        c.error(
            "file-missing",
            &file,
            Some(seq),
            format!("the manifest of exhibit {} is missing", m.exhibit),
        );
        return None;
    };
    let mut ok = true;
    if member.sha256 != m.sha256 || member.bytes != m.bytes {
        ok = false;
        c.error(
            "manifest-mismatch",
            &file,
            Some(seq),
            format!("does not match the digest recorded by disclosure entry {seq}"),
        );
    }
    match acquisition_of(entries, &m.exhibit) {
        None => {
            ok = false;
            c.error(
                "acquisition-missing",
                ENTRIES_FILE,
                None,
                format!("the acquisition of exhibit {} is not given", m.exhibit),
            );
        }
        Some((aseq, a)) if !redacted_paths && a.manifest.sha256 != m.sha256 => {
            ok = false;
            c.error("manifest-mismatch", &file, Some(aseq), format!("does not match the digest recorded when exhibit {} was acquired (entry {aseq})", m.exhibit));
        }
        _ => {}
    }
    // Read as far as its first problem while the package was read.
    if let Some(problem) = &member.manifest_problem {
        ok = false;
        c.error("manifest-malformed", &file, None, problem.clone());
    }
    Some(ok)
}

/// The disclosed acquisition entry of `exhibit`, with its seq.
fn acquisition_of(
    entries: &[Disclosed<'_>],
    exhibit: &str,
) -> Option<(u64, Box<crate::ledger::ExhibitAcquire>)> {
    entries
        .iter()
        .find_map(|(e, _)| match Body::parse(&e.kind, &e.body) {
            Ok(Body::ExhibitAcquire(a)) if a.exhibit == exhibit => Some((e.seq, a)),
            _ => None,
        })
}

/// Step 6: no manifest of an exhibit the package does not share.
fn check_unlisted_manifests(files: &PackageFiles, index: &Index, c: &mut Checker) {
    for p in files.paths() {
        let Some(x) = p
            .strip_prefix("manifests/")
            .and_then(|r| r.strip_suffix(".jsonl"))
        else {
            continue;
        };
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

/// Step 6c: the attachments the disclosure lists are carried, each named
/// by its SHA-256 and recorded by the disclosed entry it names; nothing
/// else is under `attachments/` (docs/spec/package.md §10).
fn check_attachments(
    files: &PackageFiles,
    index: &Index,
    entries: &[Disclosed<'_>],
    c: &mut Checker,
) {
    let listed = entries
        .iter()
        .find(|(e, _)| e.seq == index.disclosure)
        .and_then(|(e, _)| match Event::parse(&e.kind, &e.body) {
            Ok(Event::Disclose { disclosure, .. }) => Some(disclosure.attachments),
            _ => None,
        })
        .unwrap_or_default();
    let mut names = std::collections::BTreeSet::new();
    for a in &listed {
        let rel = custodian_format::attachment::attachment_rel_path(&a.sha256);
        names.insert(rel.clone());
        match index.files.iter().find(|f| f.path == rel) {
            None => c.error(
                "file-missing",
                &rel,
                Some(index.disclosure),
                format!(
                    "attachment {} listed by the disclosure is not in the package",
                    a.name
                ),
            ),
            Some(f) if f.sha256 != a.sha256 => c.error(
                "attachment-mismatch",
                &rel,
                Some(index.disclosure),
                format!(
                    "holds SHA-256 {}, not the {} its name and the disclosure give",
                    f.sha256, a.sha256
                ),
            ),
            Some(_) => {}
        }
        let recorded = entries.iter().any(|(e, _)| {
            e.seq == a.entry
                && match Body::parse(&e.kind, &e.body) {
                    Ok(Body::AttachmentAdd(x)) => x.sha256 == a.sha256,
                    Ok(Body::ExhibitImport(x)) => x.log.sha256 == a.sha256,
                    _ => false,
                }
        });
        if !recorded {
            c.error(
                "attachment-unrecorded",
                &rel,
                Some(a.entry),
                format!(
                    "attachment {} is not recorded by a disclosed entry {} of this digest",
                    a.name, a.entry
                ),
            );
        }
    }
    for p in files.paths() {
        if p.starts_with("attachments/") && !names.contains(p) {
            c.error(
                "unlisted-file",
                p,
                None,
                "an attachment the disclosure entry does not list".into(),
            );
        }
    }
}

/// Step 7: the evidence given with `--evidence`, audited against each
/// exhibit's shared manifest if that manifest is as recorded.
fn check_evidence(
    files: &PackageFiles,
    index: &Index,
    opts: &VerifyOptions,
    manifest_ok: &BTreeMap<ExhibitId, bool>,
    c: &mut Checker,
    report: &mut PackageReport,
) -> Result<(), PackageError> {
    let plan = audit::resolve_evidence_in(EvidenceScope::Package(&index.exhibits), &opts.evidence)?;
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
        let Some(member) = files.member(&file) else {
            continue;
        };
        let checked = if index.redacted_paths {
            audit_by_digest(&x, member, &roots, opts.jobs, c)?
        } else {
            audit_by_path(&x, member, &roots, opts.jobs, c)?
        };
        report.evidence.extend(checked);
    }
    Ok(())
}

/// A manifest read a second time (for the evidence check) that is not
/// what was verified: the package changed while it was being verified.
fn changed_since_read(c: &mut Checker, file: &str, (sha, bytes): (String, u64)) {
    c.error(
        "file-mismatch",
        file,
        None,
        format!("SHA-256 {sha} ({bytes} bytes) when read again: the file changed while the package was being verified; evidence not audited"),
    );
}

/// Audits like `verify --evidence`: by path and digest (unredacted).
/// `None` when the manifest changed since it was verified.
fn audit_by_path(
    x: &ExhibitId,
    manifest: &Member,
    roots: &[PathBuf],
    jobs: usize,
    c: &mut Checker,
) -> Result<Option<EvidenceCheck>, PackageError> {
    // audit_exhibit reads a manifest file: give it a private copy, under a
    // new random name (never following or clobbering an existing file),
    // streamed from the package and checked to be the bytes verified.
    let file = manifest_path(x);
    let (tmp, read) = private_copy(manifest, &file)?;
    if read.0 != manifest.sha256 || read.1 != manifest.bytes {
        let _ = std::fs::remove_file(&tmp);
        changed_since_read(c, &file, read);
        return Ok(None);
    }
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
    let a: ExhibitAudit = result.map_err(|source| PackageError::Audit {
        exhibit: x.to_string(),
        source,
    })?;
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
    Ok(Some(EvidenceCheck {
        exhibit: x.clone(),
        method: "path",
        matched: a.counts.matched,
        differences: a.differences.len() as u64,
    }))
}

/// Copies `manifest` (package member `file`) to a new file of the
/// temporary folder (random name, mode 0600, created exclusively);
/// returns its path and the SHA-256 and size of what was copied.
fn private_copy(manifest: &Member, file: &str) -> Result<(PathBuf, (String, u64)), PackageError> {
    use ssh_key::rand_core::RngCore;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut r = [0u8; 8];
    ssh_key::rand_core::OsRng.fill_bytes(&mut r);
    let path = std::env::temp_dir().join(format!("custodian-package-{}.jsonl", hex::encode(r)));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(super::io_err(&path))?;
    let mut src = Tally::new(manifest.open().map_err(super::io_err(Path::new(file)))?);
    let mut w = std::io::BufWriter::with_capacity(CHUNK, f);
    let copied = std::io::copy(&mut src, &mut w).and_then(|_| w.flush());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&path);
        return Err(match src.take_error() {
            Some(e) => super::io_err(Path::new(file))(e),
            None => super::io_err(&path)(e),
        });
    }
    Ok((path, src.finish()))
}

/// With redacted paths, names cannot be compared: every regular file's
/// strongest digest is, as a multiset (docs/spec/package.md §5).
fn audit_by_digest(
    x: &ExhibitId,
    manifest: &Member,
    roots: &[PathBuf],
    jobs: usize,
    c: &mut Checker,
) -> Result<Option<EvidenceCheck>, PackageError> {
    let file = manifest_path(x);
    let mut src = Tally::new(manifest.open().map_err(super::io_err(Path::new(&file)))?);
    let (algo, mut recorded) = recorded_digests(&mut src, &file)?;
    src.drain().map_err(super::io_err(Path::new(&file)))?;
    let read = src.finish();
    if read.0 != manifest.sha256 || read.1 != manifest.bytes {
        changed_since_read(c, &file, read);
        return Ok(None);
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
    Ok(Some(EvidenceCheck {
        exhibit: x.clone(),
        method: "digest",
        matched,
        differences,
    }))
}

/// The strongest algorithm of the manifest read from `src` (package file
/// `file`), and the names of its regular files (hard-link repeats
/// excluded) by their digest in it.
fn recorded_digests(
    src: impl std::io::Read,
    file: &str,
) -> Result<(Algorithm, BTreeMap<String, Vec<String>>), PackageError> {
    let input = std::io::BufReader::with_capacity(CHUNK, src);
    let reader = ManifestReader::new(input, Path::new(file))?;
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
    Ok((algo, recorded))
}
