//! The case folder: where a case's ledger, manifests and recovered bytes
//! live. The layout is specified in `docs/spec/case-layout.md`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::keys::SigningKey;
use crate::ledger::{
    self, Appended, Body, CaseId, CaseOpen, Ledger, LedgerError, Problem, Report, Role, Severity,
    SignerInfo, Stamp, VerifyOptions,
};

/// File name of the ledger inside a case folder.
pub const LEDGER_FILE: &str = "ledger.jsonl";
/// Folder of per-exhibit manifests.
pub const MANIFESTS_DIR: &str = "manifests";
/// Folder where `repair` puts torn bytes (nothing is ever deleted).
pub const RECOVERED_DIR: &str = "recovered";

/// What `custodian init` records in entry 0.
#[derive(Debug, Clone)]
pub struct CaseInit {
    pub case_id: String,
    pub title: String,
    pub authority: Option<String>,
    /// What the examiner states about `authority` beyond its reference.
    pub authority_details: Option<crate::ledger::AuthorityDetails>,
    pub jurisdiction: Option<String>,
    pub examiner: Option<String>,
    /// Principal of the opening signer (defaults to the key's comment).
    pub principal: Option<String>,
    pub role: Role,
    /// The opening signer's qualifications, as they state them.
    pub qualifications: Option<String>,
    /// Case settings; `None` writes no policy (no authority checks).
    pub policy: Option<crate::custody::Policy>,
}

/// An open case folder.
#[derive(Debug, Clone)]
pub struct Case {
    dir: PathBuf,
    ledger: Ledger,
}

impl Case {
    /// Creates the case folder (if needed) and its ledger, whose entry 0
    /// opens the case with `key` as the first trusted signer. Refuses when a
    /// ledger already exists there.
    pub fn create(
        dir: &Path,
        init: &CaseInit,
        key: &SigningKey,
        stamp: &Stamp,
    ) -> Result<(Case, Appended), LedgerError> {
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| LedgerError::Io { path: p, source }
        };
        let ledger_path = dir.join(LEDGER_FILE);
        if ledger_path.symlink_metadata().is_ok() {
            return Err(LedgerError::Exists { path: ledger_path });
        }
        let principal = crate::keys::principal_or_comment(init.principal.as_deref(), key.comment())
            .ok_or(LedgerError::NoPrincipal)?;
        crate::keys::validate_principal(&principal).map_err(crate::keys::KeyError::from)?;
        let non_empty = |what: &'static str, s: &str| {
            if s.trim().is_empty() {
                Err(LedgerError::Blank { what })
            } else {
                Ok(())
            }
        };
        let case_id = CaseId::parse(&init.case_id).map_err(|_| LedgerError::Blank {
            what: "the case id",
        })?;
        non_empty("the title", &init.title)?;
        fs::create_dir_all(dir).map_err(io(dir))?;
        let open = CaseOpen {
            case_id,
            title: init.title.clone(),
            authority: init.authority.clone(),
            jurisdiction: init.jurisdiction.clone(),
            examiner: init.examiner.clone(),
            signer: SignerInfo {
                principal,
                role: init.role,
                key: key.public().to_openssh(),
                // The opening examiner is the opening signer.
                name: init.examiner.clone(),
                qualifications: init.qualifications.clone(),
            },
            policy: init.policy,
            authority_details: init.authority_details.clone().map(Box::new),
        };
        let (ledger, appended) = Ledger::create(&ledger_path, key, &open, stamp)?;
        Ok((
            Case {
                dir: dir.to_path_buf(),
                ledger,
            },
            appended,
        ))
    }

    /// Opens an existing case folder.
    pub fn open(dir: &Path) -> Result<Case, LedgerError> {
        let ledger = Ledger::open(&dir.join(LEDGER_FILE))?;
        Ok(Case {
            dir: dir.to_path_buf(),
            ledger,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Signs `body` with `key` and appends it to the case's ledger, at the
    /// time the append holds the ledger lock. This is the one way to write
    /// an entry: under the lock the ledger is verified, the rules of the
    /// case (trusted signer, custody, authority) are checked against the
    /// typed body, and one line is written and fsynced (see
    /// [`Ledger`] for what a failed append leaves).
    pub fn append(&self, key: &SigningKey, body: &Body) -> Result<Appended, LedgerError> {
        self.ledger.append(key, body, &Stamp::now())
    }

    /// Records a custody event as a writer must (`docs/spec/custody.md`
    /// §13, §14): an unseal also names every exhibit still under the seal
    /// it breaks, and an event given without an authority cites the most
    /// recently registered one that covers it (saying it was a default);
    /// then it is appended as one entry per exhibit, all or none. Says
    /// what was added.
    pub fn record_custody(
        &self,
        key: &SigningKey,
        event: crate::custody::Event,
    ) -> Result<(Vec<Appended>, crate::custody::Completion), LedgerError> {
        self.record_custody_at(key, event, &Stamp::now())
    }

    /// [`Case::record_custody`] with an explicit time and tool, for
    /// fixtures and tests that need byte-identical ledgers.
    pub fn record_custody_at(
        &self,
        key: &SigningKey,
        mut event: crate::custody::Event,
        stamp: &Stamp,
    ) -> Result<(Vec<Appended>, crate::custody::Completion), LedgerError> {
        let state = self.ledger.state()?;
        let when = event
            .common()
            .at
            .as_deref()
            .and_then(|a| crate::time::parse(a).ok())
            .unwrap_or_else(|| crate::time::parse(&stamp.time()).unwrap_or_default());
        self.check_named(&state, &event)?;
        let completion = state.custody.complete(&mut event, when);
        let appended = self.append_parts(key, &state, &event, &completion, stamp)?;
        Ok((appended, completion))
    }

    /// Appends `event` as it is (no seal or authority completion), one
    /// entry per exhibit: a disclosure cites only the authority the
    /// examiner gave.
    pub fn append_event(
        &self,
        key: &SigningKey,
        event: &crate::custody::Event,
    ) -> Result<Vec<Appended>, LedgerError> {
        let state = self.ledger.state()?;
        self.check_named(&state, event)?;
        let done = crate::custody::Completion::default();
        self.append_parts(key, &state, event, &done, &Stamp::now())
    }

    /// The exhibits of a whole event, checked before it is split into
    /// one entry per exhibit (a name given twice would otherwise be two
    /// parts, an empty list no entry at all).
    fn check_named(
        &self,
        state: &ledger::CaseState,
        event: &crate::custody::Event,
    ) -> Result<(), LedgerError> {
        state
            .custody
            .check_named(event)
            .map_err(|e| LedgerError::Refused {
                path: self.ledger.path().to_path_buf(),
                violation: ledger::RuleViolation {
                    code: "custody-rule",
                    message: e.to_string(),
                },
            })
    }

    fn append_parts(
        &self,
        key: &SigningKey,
        state: &ledger::CaseState,
        event: &crate::custody::Event,
        done: &crate::custody::Completion,
        stamp: &Stamp,
    ) -> Result<Vec<Appended>, LedgerError> {
        let bodies: Vec<Body> = state
            .custody
            .split_into_parts(event, done)
            .into_iter()
            .map(|e| Body::Custody(Box::new(e)))
            .collect();
        self.ledger.append_all(key, &bodies, stamp)
    }

    /// [`Case::append`] with an explicit time and tool, for fixtures and
    /// tests that need byte-identical ledgers.
    pub fn append_at(
        &self,
        key: &SigningKey,
        body: &Body,
        stamp: &Stamp,
    ) -> Result<Appended, LedgerError> {
        self.ledger.append(key, body, stamp)
    }

    /// Checks, without writing anything, that `key` could append `body`
    /// now; long operations call this before the work (see
    /// [`Ledger`]'s append rules). The append checks again under its lock.
    pub fn preflight(&self, key: &SigningKey, body: &Body) -> Result<(), LedgerError> {
        self.ledger.preflight(key, body)
    }

    pub fn manifests_dir(&self) -> PathBuf {
        self.dir.join(MANIFESTS_DIR)
    }

    pub fn recovered_dir(&self) -> PathBuf {
        self.dir.join(RECOVERED_DIR)
    }

    /// Verifies the ledger (see [`ledger::verify()`]) and every manifest it
    /// references: each must exist and hash to the SHA-256 recorded in its
    /// signed acquisition entry. Manifests no entry references are reported
    /// as warnings (`orphan-manifest`).
    pub fn verify(&self, opts: &VerifyOptions) -> Result<Report, LedgerError> {
        let mut report = ledger::verify(&self.ledger, opts)?;
        let mut problems = Vec::new();
        for (id, ex) in &report.state.exhibits {
            let m = &ex.acquisition.manifest;
            let path = self.dir.join(&m.path);
            let problem =
                |code, expected: Option<String>, found: Option<String>, message: String| Problem {
                    severity: Severity::Error,
                    code,
                    entry: Some(ex.acquired_seq),
                    offset: None,
                    path: Some(m.path.clone()),
                    expected,
                    found,
                    message,
                };
            match sha256_file(&path) {
                Ok((digest, _)) if digest == m.sha256 => {}
                Ok((digest, size)) => problems.push(problem(
                    "manifest-mismatch",
                    Some(m.sha256.clone()),
                    Some(digest.clone()),
                    format!(
                        "manifest {} of exhibit {id} has SHA-256 {digest} ({size} bytes), but entry {} recorded {} ({} bytes): it was changed after acquisition",
                        m.path, ex.acquired_seq, m.sha256, m.bytes
                    ),
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(problem(
                    "manifest-missing",
                    Some(m.sha256.clone()),
                    None,
                    format!("manifest {} of exhibit {id} (entry {}) is missing", m.path, ex.acquired_seq),
                )),
                Err(e) => problems.push(problem(
                    "manifest-unreadable",
                    Some(m.sha256.clone()),
                    None,
                    format!("manifest {} of exhibit {id} cannot be read: {e}", m.path),
                )),
            }
        }
        if let Ok(dir) = fs::read_dir(self.manifests_dir()) {
            let mut names: Vec<String> = dir
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let rel = format!("{MANIFESTS_DIR}/{name}");
                let referenced = report
                    .state
                    .exhibits
                    .values()
                    .any(|x| x.acquisition.manifest.path == rel);
                if !referenced {
                    problems.push(Problem {
                        severity: Severity::Warning,
                        code: "orphan-manifest",
                        entry: None,
                        offset: None,
                        path: Some(rel.clone()),
                        expected: None,
                        found: None,
                        message: format!("{rel} is not referenced by any ledger entry"),
                    });
                }
            }
        }
        problems.extend(self.attachment_problems(&report.state));
        report.problems.extend(problems);
        Ok(report)
    }

    /// Each recorded attachment (and imported log) whose stored copy is
    /// missing, unreadable or does not hash to its recorded digest; one
    /// problem per stored file, naming the first entry that records it.
    fn attachment_problems(&self, state: &ledger::CaseState) -> Vec<Problem> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for (seq, a) in state.recorded_attachments() {
            if !seen.insert(a.sha256.clone()) {
                continue;
            }
            let rel = custodian_format::attachment::attachment_rel_path(&a.sha256);
            let (code, found, message) =
                match check_stored(&self.dir, &a.sha256, a.bytes) {
                    StoredCheck::Intact => continue,
                    StoredCheck::Missing => (
                        "attachment-missing",
                        None,
                        format!(
                            "attachment {} ({}) recorded by entry {seq} is missing from the case folder ({rel})",
                            a.name, a.kind
                        ),
                    ),
                    StoredCheck::Changed { found, bytes } => (
                        "attachment-changed",
                        Some(found.clone()),
                        format!(
                            "attachment {} ({}) recorded by entry {seq} has changed: {rel} now has SHA-256 {found} ({bytes} bytes), the entry recorded {} ({} bytes)",
                            a.name, a.kind, a.sha256, a.bytes
                        ),
                    ),
                    StoredCheck::Unreadable(e) => (
                        "attachment-unreadable",
                        None,
                        format!(
                            "attachment {} ({}) recorded by entry {seq} cannot be read at {rel}: {e}",
                            a.name, a.kind
                        ),
                    ),
                };
            out.push(Problem {
                severity: Severity::Error,
                code,
                entry: Some(seq),
                offset: None,
                path: Some(rel),
                expected: Some(a.sha256.clone()),
                found,
                message,
            });
        }
        out
    }

    /// Moves a torn final ledger line aside (see [`Ledger::repair`]).
    pub fn repair(&self) -> Result<Option<ledger::Repaired>, LedgerError> {
        self.ledger.repair(&self.recovered_dir())
    }
}

/// What `verify` finds of a stored attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredCheck {
    Intact,
    Missing,
    /// It hashes to `found` (or has another size).
    Changed {
        found: String,
        bytes: u64,
    },
    Unreadable(String),
}

/// Re-hashes the stored copy of the attachment `sha256` of `bytes` bytes.
pub fn check_stored(case_dir: &Path, sha256: &str, bytes: u64) -> StoredCheck {
    let path = case_dir.join(custodian_format::attachment::attachment_rel_path(sha256));
    match sha256_file(&path) {
        Ok((found, n)) if found == sha256 && n == bytes => StoredCheck::Intact,
        Ok((found, n)) => StoredCheck::Changed { found, bytes: n },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StoredCheck::Missing,
        Err(e) => StoredCheck::Unreadable(e.to_string()),
    }
}

/// Streams a file through SHA-256, returning the hex digest and the size.
/// A file of the case folder (a manifest): links are not followed, and it
/// must be a regular file ([`crate::fsutil::open_regular`]).
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    sha256_of(crate::fsutil::open_regular(path, false)?)
}

/// As [`sha256_file`], for a file the user named (links followed; still a
/// regular file, so a FIFO or a device cannot hang or flood the read).
pub fn sha256_user_file(path: &Path) -> std::io::Result<(String, u64)> {
    sha256_of(crate::fsutil::open_regular(path, true)?)
}

fn sha256_of(mut f: fs::File) -> std::io::Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((hex::encode(h.finalize()), n))
}
