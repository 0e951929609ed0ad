//! Admissibility reports: one model, several renderers.
//!
//! [`build`] turns a verified case into a [`Report`]: every statement in it
//! is either copied from a signed ledger entry (and names that entry) or the
//! result of a check run now. The JSON form *is* the model
//! (`docs/spec/report-json.md`); Markdown and HTML are rendered from it, so the
//! three can never say different things. Given the same case, flags and
//! generation time, the output is byte-identical.

pub mod html;
pub mod markdown;
pub mod selftest;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::ExhibitAudit;
use crate::case::Case;
use crate::custody::Finding;
use crate::hashing::ManifestReader;
use crate::ledger::{principal_map, Body, Entry, Problem, Report as LedgerReport, RootOfTrust};
use crate::Fingerprint;

/// Version of the report model (`docs/spec/report-json.md`).
pub const REPORT_VERSION: u32 = 1;

/// Files listed inline in the HTML/Markdown exhibit tables before the rest
/// goes to the appendix. JSON always lists every file.
pub const INLINE_FILES: usize = 25;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub generated_at: String,
    pub tool: ToolInfo,
    pub case: CaseSection,
    pub summary: Summary,
    pub exhibits: Vec<ExhibitSection>,
    pub timelines: Vec<Timeline>,
    pub verification: Verification,
    /// RFC 3161 timestamps attached to the case (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timestamps: Vec<TimestampRow>,
    pub reliability: Reliability,
    pub signers: Vec<SignerRow>,
    pub standards: Vec<StandardRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<Certification>,
    pub limitations: Vec<String>,
}

/// The program that produced the report.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// SHA-256 of the executable that generated the report.
    pub exe_sha256: Option<String>,
    /// Target platform of the build.
    pub platform: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseSection {
    pub case_id: String,
    pub title: String,
    pub jurisdiction: Option<String>,
    pub examiner: Option<String>,
    pub opened: String,
    pub authority_policy: String,
    pub authorities: Vec<AuthorityRow>,
    /// Entry 0.
    pub entry: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthorityRow {
    pub reference: String,
    pub kind: String,
    pub issuer: String,
    pub jurisdiction: String,
    pub issued: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub scope: String,
    pub entry: u64,
}

/// The verdict and every finding.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `intact` or `not-as-recorded`.
    pub ledger: String,
    /// `intact`, `changed` or `not-checked`, for the exhibits in
    /// `audited`; the exhibits in `not_audited` were not re-hashed.
    pub evidence: String,
    pub audited: Vec<String>,
    pub not_audited: Vec<String>,
    /// `continuous` or `findings`.
    pub custody: String,
    pub findings: Vec<FindingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub id: String,
    pub severity: String,
    pub entries: Vec<u64>,
    pub exhibits: Vec<String>,
    /// What happened, specifically.
    pub message: String,
    /// What this kind of finding means, for a lawyer.
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExhibitSection {
    pub id: String,
    pub description: Option<String>,
    pub source: Option<String>,
    pub authority: Option<String>,
    pub acquired_entry: u64,
    pub acquired_by: String,
    pub acquired_by_fingerprint: Fingerprint,
    pub started: String,
    pub finished: String,
    pub tool_version: String,
    pub host: String,
    pub algorithms: Vec<String>,
    pub roots: Vec<String>,
    pub files: u64,
    pub bytes: u64,
    pub errors: u64,
    /// Files that changed while they were being read at acquisition.
    pub changed_during_read: u64,
    pub manifest_path: String,
    pub manifest_sha256: String,
    pub state: String,
    pub holder: String,
    pub location: Option<String>,
    pub seal: Option<String>,
    /// For a single-file exhibit, that file's digests.
    pub digests: BTreeMap<String, String>,
    /// Every regular file in the manifest (path, size, digests).
    pub file_list: Vec<FileRow>,
    /// The evidence audit run for this report, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<ExhibitAudit>,
    /// Recorded hash-set matches (`exhibit.hashset-match`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashsets: Option<HashsetSummary>,
}

/// What the ledger records about an exhibit's files and hash sets.
#[derive(Debug, Clone, Serialize)]
pub struct HashsetSummary {
    /// The `exhibit.hashset-match` entries.
    pub entries: Vec<u64>,
    /// Every set used by those entries (name, kind, version, source SHA-256,
    /// import time, counts), once per name and source.
    pub sets: Vec<crate::ledger::HashsetUsed>,
    /// Regular files found in a known-good set by any of those entries.
    pub known_good: u64,
    /// Whether known-good files were left out of `file_list`
    /// (`report --hide-known-good`).
    pub known_good_hidden: bool,
    /// Known-bad and notable matches (each is also a finding).
    pub matches: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub path: String,
    pub size: Option<u64>,
    pub digests: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Found in a known-good hash set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub known_good: bool,
    /// Known-bad or notable sets holding the file, as `NAME (KIND)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashsets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub exhibit: String,
    pub events: Vec<TimelineEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub entry: u64,
    /// When it happened (`at`, else when recorded).
    pub time: String,
    pub recorded: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub who: String,
    pub fingerprint: Fingerprint,
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// What was checked when the report was generated.
    pub checked: Vec<String>,
    /// `valid` or `invalid`.
    pub ledger_result: String,
    pub entries: u64,
    pub bytes: u64,
    pub head: Option<String>,
    pub root_of_trust: RootOfTrust,
    pub problems: Vec<Problem>,
    /// Commands a third party runs to repeat the checks.
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reliability {
    pub selftests: Vec<selftest::SelfTest>,
    pub all_passed: bool,
    pub spec: String,
    pub independent_verifier: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignerRow {
    pub principal: String,
    pub role: String,
    pub fingerprint: Fingerprint,
    pub added_entry: u64,
    pub added: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StandardRow {
    pub framework: String,
    pub principle: String,
    pub how: String,
    pub in_this_case: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Certification {
    pub examiner: String,
    pub principal: Option<String>,
    pub fingerprint: Option<Fingerprint>,
    pub statement: String,
}

/// One attached RFC 3161 timestamp as checked for the report.
#[derive(Debug, Clone, Serialize)]
pub struct TimestampRow {
    /// The `timestamp.attach` entry.
    pub entry: u64,
    pub gen_time: String,
    pub tsa: String,
    pub serial: String,
    pub policy: String,
    /// What the token covers, in words.
    pub covers: String,
    /// The reply file, relative to the case.
    pub reply: String,
    /// `verified`, `unverified-chain` or `invalid` (docs/guide/timestamps.md §4).
    pub verdict: String,
    /// One line per level, or why the token could not be checked.
    pub details: Vec<String>,
}

/// What to put in a report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The generation time (from `--generated-at` or `SOURCE_DATE_EPOCH`).
    pub generated_at: Option<DateTime<Utc>>,
    /// Only these exhibits (all when empty).
    pub exhibits: Vec<String>,
    /// Add an examiner's certification block for this name.
    pub certify: Option<String>,
    /// Attached timestamps as checked by [`crate::timestamp::check_case`]
    /// (whose problems the caller added to the ledger report).
    pub timestamps: Vec<crate::timestamp::TokenCheck>,
    /// Leave files found in known-good hash sets out of the file tables
    /// (their number is stated).
    pub hide_known_good: bool,
}

/// Builds the report of a case from its verification (`ledger` must come
/// from [`Case::verify`], with any evidence audits already run).
///
/// Each section is one step of [`Builder`]; the steps share the entries
/// read once from the ledger and the names of their signers.
pub fn build(
    case: &Case,
    ledger: &LedgerReport,
    audits: &[ExhibitAudit],
    opts: &Options,
) -> Result<Report, crate::hashing::HashError> {
    let b = Builder::new(case, ledger, audits, opts)?;
    let case_section = b.case_section();
    let summary = b.summary();
    let exhibits = b.exhibits();
    let timelines = b.timelines();
    let verification = b.verification();
    let timestamps = b.timestamp_rows();
    let reliability = reliability();
    let signers = b.signers();
    let standards = standards(ledger, &exhibits, audits);
    let certification = b.certification(&signers, &case_section.case_id);

    Ok(Report {
        version: REPORT_VERSION,
        generated_at: crate::time::format(b.now),
        tool: tool_info(),
        case: case_section,
        summary,
        exhibits,
        timelines,
        verification,
        timestamps,
        reliability,
        signers,
        standards,
        certification,
        limitations: limitations(audits.is_empty()),
    })
}

/// What every step of [`build`] reads: the inputs, the generation time,
/// the ledger's entries (read once) and the principal of every signer key.
struct Builder<'a> {
    case: &'a Case,
    ledger: &'a LedgerReport,
    audits: &'a [ExhibitAudit],
    opts: &'a Options,
    now: DateTime<Utc>,
    entries: Vec<Entry>,
    names: HashMap<Fingerprint, String>,
}

impl<'a> Builder<'a> {
    /// Reads the ledger's entries (skipping any that do not parse: the
    /// verification already reported them) and maps keys to principals.
    fn new(
        case: &'a Case,
        ledger: &'a LedgerReport,
        audits: &'a [ExhibitAudit],
        opts: &'a Options,
    ) -> Result<Self, crate::hashing::HashError> {
        let now = opts.generated_at.unwrap_or_else(crate::time::now);
        let entries: Vec<Entry> = case
            .ledger()
            .entries()
            .map_err(|e| crate::hashing::HashError::Manifest {
                path: case.ledger().path().to_path_buf(),
                line: 0,
                message: e.to_string(),
            })?
            .into_iter()
            .filter_map(|e| e.ok().map(|(e, _)| e))
            .collect();
        let names = principal_map(entries.iter());
        Ok(Builder {
            case,
            ledger,
            audits,
            opts,
            now,
            entries,
            names,
        })
    }

    /// The principal a key was added with, else the fingerprint itself.
    fn who(&self, fp: &Fingerprint) -> String {
        self.names
            .get(fp)
            .cloned()
            .unwrap_or_else(|| fp.to_string())
    }

    /// Whether the report covers exhibit `id` (`--exhibit`; all when none).
    fn selected(&self, id: &str) -> bool {
        self.opts.exhibits.is_empty() || self.opts.exhibits.iter().any(|x| x == id)
    }

    /// The entry with sequence number `seq`, if it was readable.
    fn entry(&self, seq: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.seq == seq)
    }

    /// Whether the ledger (and its manifests) is as recorded. Evidence
    /// problems are left out: the ledger can be intact while the evidence
    /// has changed, and the two verdicts are kept apart.
    fn ledger_intact(&self) -> bool {
        !self.ledger.problems.iter().any(|p| {
            p.severity == crate::ledger::Severity::Error && !p.code.starts_with("evidence-")
        })
    }

    /// The case as opened in entry 0 and every registered authority.
    fn case_section(&self) -> CaseSection {
        let state = &self.ledger.state;
        let open = state.case.clone();
        CaseSection {
            case_id: open.as_ref().map(|c| c.case_id.clone()).unwrap_or_default(),
            title: open.as_ref().map(|c| c.title.clone()).unwrap_or_default(),
            jurisdiction: open.as_ref().and_then(|c| c.jurisdiction.clone()),
            examiner: open.as_ref().and_then(|c| c.examiner.clone()),
            opened: self
                .entries
                .first()
                .map(|e| e.time.clone())
                .unwrap_or_default(),
            authority_policy: format!("{:?}", state.custody.policy).to_lowercase(),
            authorities: state
                .custody
                .authorities
                .iter()
                .map(|(r, (seq, a))| authority_row(r, *seq, a))
                .collect(),
            entry: 0,
        }
    }

    /// The findings about the selected exhibits (and the case as a whole),
    /// then those of the attached timestamps.
    fn findings(&self) -> Vec<Finding> {
        let mut findings: Vec<Finding> =
            crate::findings::collect(self.ledger, self.audits, self.now)
                .into_iter()
                .filter(|f| f.exhibits.is_empty() || f.exhibits.iter().any(|x| self.selected(x)))
                .collect();
        findings.extend(crate::timestamp::unverified_findings(&self.opts.timestamps));
        findings
    }

    /// The three verdicts (ledger, evidence, custody) and every finding.
    fn summary(&self) -> Summary {
        let (ledger, audits) = (self.ledger, self.audits);
        let findings = self.findings();
        let evidence_verdict = if audits.is_empty() {
            "not-checked"
        } else if audits.iter().all(|a| a.is_intact())
            && !ledger
                .problems
                .iter()
                .any(|p| p.code == "evidence-not-audited")
        {
            "intact"
        } else {
            "changed"
        };
        let custody_findings = findings
            .iter()
            .any(|f| f.id.starts_with("CUS-") || f.id.starts_with("AUT-"));
        Summary {
            ledger: if self.ledger_intact() {
                "intact"
            } else {
                "not-as-recorded"
            }
            .into(),
            evidence: evidence_verdict.into(),
            audited: audits.iter().map(|a| a.exhibit.clone()).collect(),
            not_audited: ledger
                .state
                .exhibits
                .keys()
                .filter(|id| self.selected(id) && !audits.iter().any(|a| &a.exhibit == *id))
                .cloned()
                .collect(),
            custody: if custody_findings {
                "findings"
            } else {
                "continuous"
            }
            .into(),
            findings: findings.iter().map(finding_row).collect(),
        }
    }

    /// One section per selected exhibit, in id order.
    fn exhibits(&self) -> Vec<ExhibitSection> {
        self.ledger
            .state
            .exhibits
            .iter()
            .filter(|(id, _)| self.selected(id))
            .map(|(id, x)| self.exhibit(id, x))
            .collect()
    }

    /// An exhibit: its acquisition as signed, its custody now, its files
    /// (marked with any hash-set matches), and the audit run for the report.
    fn exhibit(&self, id: &str, x: &crate::ledger::Exhibit) -> ExhibitSection {
        let state = &self.ledger.state;
        let a = &x.acquisition;
        let custody = state.custody.exhibits.get(id);
        let mut file_list = file_rows(&self.case.dir().join(&a.manifest.path));
        let hashsets = state
            .hashset_matches
            .get(id)
            .map(|runs| hashset_summary(runs, &mut file_list, self.opts.hide_known_good));
        ExhibitSection {
            id: id.to_string(),
            description: a.description.clone(),
            source: a.source.clone(),
            authority: a.authority.clone(),
            acquired_entry: x.acquired_seq,
            acquired_by: self.who(&x.acquired_by),
            acquired_by_fingerprint: x.acquired_by.clone(),
            started: a.started.clone(),
            finished: a.finished.clone(),
            tool_version: self
                .entry(x.acquired_seq)
                .map(|e| format!("{} {}", e.tool.name, e.tool.version))
                .unwrap_or_default(),
            host: a.host.clone(),
            algorithms: a.algorithms.clone(),
            roots: a.roots.clone(),
            files: a.counts.files,
            bytes: a.counts.bytes,
            errors: a.counts.errors,
            changed_during_read: a.counts.changed_during_read,
            manifest_path: a.manifest.path.clone(),
            manifest_sha256: a.manifest.sha256.clone(),
            state: custody
                .map(|c| c.status.as_str().to_string())
                .unwrap_or_default(),
            holder: custody.map(|c| self.who(&c.holder)).unwrap_or_default(),
            location: custody.and_then(|c| c.location.clone()),
            seal: custody.and_then(|c| c.seal.clone()),
            digests: a.digests.clone().unwrap_or_default(),
            file_list,
            audit: self.audits.iter().find(|au| au.exhibit == id).cloned(),
            hashsets,
        }
    }

    /// The custody timeline of every selected exhibit, in id order.
    fn timelines(&self) -> Vec<Timeline> {
        self.ledger
            .state
            .custody
            .exhibits
            .iter()
            .filter(|(id, _)| self.selected(id))
            .map(|(id, c)| Timeline {
                exhibit: id.clone(),
                events: c
                    .entries
                    .iter()
                    .filter_map(|seq| self.entry(*seq))
                    .map(|e| self.timeline_event(e))
                    .collect(),
            })
            .collect()
    }

    /// One entry of a timeline: when it happened (the stated time of a
    /// custody event, the start of an acquisition, else when recorded),
    /// who signed it, and the where, why, authority and override stated.
    fn timeline_event(&self, e: &Entry) -> TimelineEvent {
        let what = crate::ledger::timeline_line(e, &self.names);
        let (time, location, purpose, authority, override_reason) =
            match Body::parse(&e.kind, &e.body) {
                Ok(Body::Custody(ev)) => {
                    let c = ev.common();
                    (
                        c.at.clone().unwrap_or_else(|| e.time.clone()),
                        c.location.clone(),
                        c.purpose.clone(),
                        c.authority.clone(),
                        c.override_reason.clone(),
                    )
                }
                Ok(Body::ExhibitAcquire(a)) => (
                    a.started.clone(),
                    None,
                    None,
                    a.authority.clone(),
                    a.override_reason.clone(),
                ),
                _ => (e.time.clone(), None, None, None, None),
            };
        TimelineEvent {
            entry: e.seq,
            time,
            recorded: e.time.clone(),
            kind: e.kind.clone(),
            who: self.who(&e.signer),
            fingerprint: e.signer.clone(),
            what,
            location,
            purpose,
            authority,
            override_reason,
        }
    }

    /// What was checked now, the ledger's result and problems, and the
    /// commands a third party runs to repeat every check.
    fn verification(&self) -> Verification {
        let ledger = self.ledger;
        let root_fp = self
            .entries
            .first()
            .map(|e| e.signer.to_string())
            .unwrap_or_default();
        let mut verification = Verification {
            checked: self.checked(),
            ledger_result: if self.ledger_intact() { "valid" } else { "invalid" }.into(),
            entries: ledger.entries,
            bytes: ledger.bytes,
            head: ledger.head.clone(),
            root_of_trust: ledger.root_of_trust.clone(),
            problems: ledger.problems.clone(),
            commands: vec![
                format!("custodian verify CASE --trust {root_fp} --expect-head {}", ledger.head.clone().unwrap_or_default()),
                "custodian verify CASE --evidence EXHIBIT=PATH   # re-hash and compare the evidence".into(),
                "custodian signers CASE --allowed-signers > allowed_signers".into(),
                "python3 contrib/verify-ledger.py CASE/ledger.jsonl --trust ".to_string() + &root_fp + "   # independent verifier",
                "ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n custodian-ledger-v1 -s entry.sig < entry.msg   # one entry, see docs/spec/ledger.md §11".into(),
                "sha256sum CASE/manifests/EXHIBIT.jsonl   # must equal the manifest digest in the exhibit's entry".into(),
            ],
        };
        for t in &self.opts.timestamps {
            let q = t.reply.strip_suffix(".tsr").unwrap_or(&t.reply);
            verification.commands.push(format!(
                "openssl ts -verify -in CASE/{} -queryfile CASE/{q}.tsq -CAfile TSA-CA.pem   # timestamp of entry {}, see docs/guide/timestamps.md",
                t.reply, t.entry
            ));
        }
        verification
    }

    /// Every check run for this report, in words: the ledger, the
    /// manifests, each evidence audit (or that there was none), each token.
    fn checked(&self) -> Vec<String> {
        let mut checked = vec![
            format!(
                "every entry of the ledger ({} entries): canonical form, sequence, hash chain, signatures, signer authorisation, custody and authority rules",
                self.ledger.entries
            ),
            "every exhibit manifest against the SHA-256 recorded in its signed acquisition entry".to_string(),
        ];
        for a in self.audits {
            checked.push(format!(
                "the evidence of exhibit {} at {}, re-hashed now ({}) and compared file by file with its manifest",
                a.exhibit,
                a.roots.join(", "),
                a.algorithms.join("+")
            ));
        }
        if self.audits.is_empty() {
            checked.push(
                "the evidence itself was NOT re-hashed for this report (no --evidence given)"
                    .into(),
            );
        }
        for t in &self.opts.timestamps {
            checked.push(format!(
                "the RFC 3161 timestamp {} (entry {}): its file, the checkpoint it covers against the ledger, and its token at four levels",
                t.reply, t.entry
            ));
        }
        checked
    }

    /// The attached timestamps as checked by the caller.
    fn timestamp_rows(&self) -> Vec<TimestampRow> {
        self.opts.timestamps.iter().map(timestamp_row).collect()
    }

    /// Every signer ever added, in the order they were added.
    fn signers(&self) -> Vec<SignerRow> {
        let mut signers: Vec<SignerRow> = self
            .ledger
            .state
            .signers
            .iter()
            .map(|(fp, s)| SignerRow {
                principal: s.principal.clone(),
                role: s.role.to_string(),
                fingerprint: fp.clone(),
                added_entry: s.added_seq,
                added: s.added_time.clone(),
                revoked: s
                    .revoked
                    .as_ref()
                    .map(|r| format!("entry {} ({}): {}", r.seq, r.time, r.reason)),
            })
            .collect();
        signers.sort_by_key(|s| s.added_entry);
        signers
    }

    /// The examiner's certification block (`--certify NAME`), naming their
    /// key when NAME is one of the `signers`.
    fn certification(&self, signers: &[SignerRow], case_id: &str) -> Option<Certification> {
        let name = self.opts.certify.as_ref()?;
        let signer = signers.iter().find(|s| s.principal == *name);
        Some(Certification {
            examiner: name.clone(),
            principal: signer.map(|s| s.principal.clone()),
            fingerprint: signer.map(|s| s.fingerprint.clone()),
            statement: format!(
                "I, {name}, certify that the data identified in this report by its hash values was acquired and preserved as recorded in the signed ledger of case {}, that the ledger and manifests were verified on {} with the results stated above, and that the hash values disclosed here allow any party to verify the data independently.",
                case_id,
                crate::time::format(self.now)
            ),
        })
    }
}

/// A registered legal authority, its scope in words.
fn authority_row(reference: &str, seq: u64, a: &crate::custody::Authority) -> AuthorityRow {
    AuthorityRow {
        reference: reference.to_string(),
        kind: a.kind.clone(),
        issuer: a.issuer.clone(),
        jurisdiction: a.jurisdiction.clone(),
        issued: a.issued.clone(),
        valid_from: a.valid_from.clone(),
        valid_until: a.valid_until.clone(),
        scope: if a.scope.all {
            "all exhibits".into()
        } else {
            a.scope.exhibits.join(", ")
        } + &a
            .scope
            .description
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default(),
        entry: seq,
    }
}

/// A finding with the plain explanation of its kind, for a lawyer.
fn finding_row(f: &Finding) -> FindingRow {
    FindingRow {
        id: f.id.to_string(),
        severity: f.severity.to_string(),
        entries: f.entries.clone(),
        exhibits: f.exhibits.clone(),
        message: f.message.clone(),
        explanation: crate::findings::explain(f.id).to_string(),
    }
}

/// Every regular file of the manifest at `path`, with its digests. A
/// manifest that cannot be read gives no rows: its problem is already in
/// the verification.
fn file_rows(path: &std::path::Path) -> Vec<FileRow> {
    let Ok(reader) = ManifestReader::open(path) else {
        return Vec::new();
    };
    reader
        .flatten()
        .filter(|r| r.kind == crate::hashing::FileKind::File)
        .map(|r| FileRow {
            path: r.path.clone(),
            size: r.size,
            digests: r
                .digests
                .iter()
                .map(|(a, h)| (a.name().to_string(), h.to_string()))
                .collect(),
            error: r.error.clone(),
            known_good: false,
            hashsets: Vec::new(),
        })
        .collect()
}

/// An attached timestamp: what it covers in words and its check, one line
/// per level (or why it could not be checked).
fn timestamp_row(t: &crate::timestamp::TokenCheck) -> TimestampRow {
    TimestampRow {
        entry: t.entry,
        gen_time: t.gen_time.clone(),
        tsa: t.tsa.clone(),
        serial: t.serial.clone(),
        policy: t.policy.clone(),
        covers: format!(
            "checkpoint of the first {} ledger entries (Merkle root {})",
            t.size, t.root
        ),
        reply: t.reply.clone(),
        verdict: t.verdict.to_string(),
        details: match &t.levels {
            Some(l) => vec![
                format!(
                    "level 1 structure: {}: {}",
                    l.structure.word(),
                    l.structure.detail()
                ),
                format!(
                    "level 2 imprint: {}: {}",
                    l.imprint.word(),
                    l.imprint.detail()
                ),
                format!(
                    "level 3 signature: {}: {}",
                    l.signature.word(),
                    l.signature.detail()
                ),
                format!("level 4 chain: {}: {}", l.chain.word(), l.chain.detail()),
            ],
            None => t.problem.iter().cloned().collect(),
        },
    }
}

/// The known-answer self-tests, run now, and where the method is
/// published.
fn reliability() -> Reliability {
    let selftests = selftest::run();
    Reliability {
        all_passed: selftests.iter().all(|t| t.passed),
        selftests,
        spec: "docs/spec/ledger.md (ledger), docs/spec/manifest.md (manifests): published so that anyone can re-verify without custodian".into(),
        independent_verifier: "contrib/verify-ledger.py: a verifier written from the specification alone (Python standard library + OpenSSH ssh-keygen)".into(),
    }
}

/// Marks the files of `file_list` found in hash sets by the recorded
/// `runs` (and drops the known-good ones if `hide`), and sums them up.
fn hashset_summary(
    runs: &[(u64, crate::ledger::HashsetMatch)],
    file_list: &mut Vec<FileRow>,
    hide: bool,
) -> HashsetSummary {
    use std::collections::{BTreeSet, HashMap, HashSet};
    let good: HashSet<&str> = runs
        .iter()
        .flat_map(|(_, m)| m.known_good_paths.iter().map(String::as_str))
        .collect();
    let mut hits: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut matches = BTreeSet::new();
    for (_, m) in runs {
        for h in &m.matches {
            hits.entry(h.path.as_str())
                .or_default()
                .insert(format!("{} ({})", h.set, h.kind));
            matches.insert((&h.path, &h.set, &h.algorithm, &h.digest));
        }
    }
    let mut sets: Vec<crate::ledger::HashsetUsed> = Vec::new();
    for (_, m) in runs {
        for s in &m.sets {
            if !sets
                .iter()
                .any(|x| x.name == s.name && x.source_sha256 == s.source_sha256)
            {
                sets.push(s.clone());
            }
        }
    }
    let mut known_good = 0;
    for f in file_list.iter_mut() {
        if good.contains(f.path.as_str()) {
            f.known_good = true;
            known_good += 1;
        }
        if let Some(h) = hits.get(f.path.as_str()) {
            f.hashsets = h.iter().cloned().collect();
        }
    }
    if hide {
        file_list.retain(|f| !f.known_good);
    }
    HashsetSummary {
        entries: runs.iter().map(|(seq, _)| *seq).collect(),
        sets,
        known_good,
        known_good_hidden: hide,
        matches: matches.len() as u64,
    }
}

fn tool_info() -> ToolInfo {
    let t = crate::ledger::entry::current_tool();
    ToolInfo {
        name: t.name,
        version: t.version,
        exe_sha256: t.exe_sha256,
        platform: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
    }
}

fn standards(
    ledger: &LedgerReport,
    exhibits: &[ExhibitSection],
    audits: &[ExhibitAudit],
) -> Vec<StandardRow> {
    let n = ledger.entries;
    let algos: std::collections::BTreeSet<&str> = exhibits
        .iter()
        .flat_map(|e| e.algorithms.iter().map(String::as_str))
        .collect();
    let algos = algos.into_iter().collect::<Vec<_>>().join(", ");
    let ex = exhibits.len();
    let audited = if audits.is_empty() {
        "not re-hashed for this report".to_string()
    } else {
        format!("{} exhibit(s) re-hashed for this report", audits.len())
    };
    let row = |f: &str, p: &str, how: &str, here: String| StandardRow {
        framework: f.into(),
        principle: p.into(),
        how: how.into(),
        in_this_case: here,
    };
    vec![
        row("ISO/IEC 27037", "Auditability", "Every action is a signed, hash-chained ledger entry naming who, when, where, why and under what authority.", format!("{n} entries, verified now")),
        row("ISO/IEC 27037", "Repeatability", "Digests are recomputed by re-running the same published algorithms on the same data.", format!("algorithms: {algos}; {audited}")),
        row("ISO/IEC 27037", "Reproducibility", "The ledger and manifest formats are published; an independent verifier (contrib/verify-ledger.py) and stock tools (sha256sum, ssh-keygen) reproduce the checks.", "commands in the Verification section".into()),
        row("ISO/IEC 27037", "Justifiability", "Each acquisition, analysis and cross-border transfer cites a registered legal authority (policy chosen at case opening).", format!("{} authorit(y/ies) registered", ledger.state.custody.authorities.len())),
        row("ISO/IEC 27037", "Identification and collection", "Exhibits are registered with description, source and authority at acquisition.", format!("{ex} exhibit(s)")),
        row("ISO/IEC 27037", "Acquisition", "Files are read once, read-only, with all digests computed from the same bytes; unreadable and changing files are recorded.", format!("{} file(s)", exhibits.iter().map(|e| e.files).sum::<u64>())),
        row("ISO/IEC 27037", "Preservation", "Seals, locations, check-outs, transfers and receipts are recorded; the evidence can be re-hashed against its manifest at any time.", audited.clone()),
        row("ACPO", "1. No action should change data", "Evidence is opened read-only (O_NOATIME where permitted) and never written; acquisition and audits only read.", "see the acquisition tool and host in each exhibit".into()),
        row("ACPO", "2. Competence to access original data", "Each signer is named with a role; only trusted keys may sign.", format!("{} signer(s)", ledger.state.signers.len())),
        row("ACPO", "3. Audit trail that a third party can follow", "The ledger is the audit trail; its format is public and verifiable offline.", format!("head {}", ledger.head.clone().unwrap_or_default())),
        row("ACPO", "4. Responsibility of the officer in charge", "The case is opened by a supervisor key; holders and transfers are explicit.", "see Signers and the custody timelines".into()),
        row("FRE 902(14)", "The data is exactly identified", "Each file is identified by its digests in a signed manifest.", format!("algorithms: {algos}")),
        row("FRE 902(14)", "The person verifying is qualified", "Signers are named with roles; the certification block names the examiner.", "see Signers and Certification".into()),
        row("FRE 902(14)", "The tool and method are reliable", "Known-answer self-tests run at report time; published specification; independent verifier.", "see Tool reliability".into()),
        row("FRE 902(14)", "The hash values matched", "Evidence audit compares today's digests with those recorded at acquisition.", audited),
        row("FRE 902(14)", "The hash values are disclosed", "Every digest is listed in this report (JSON: complete; HTML/Markdown: appendix).", format!("{ex} exhibit(s) listed")),
    ]
}

fn limitations(not_audited: bool) -> Vec<String> {
    let mut out = vec![
        "This report cannot show that the original media matched what was acquired before the acquisition began; it starts from the digests recorded at acquisition.".to_string(),
        "It cannot show that signers told the truth: seal numbers, locations, purposes and times are their signed statements, attributable and unalterable, not independently observed facts.".to_string(),
        "Entry times come from the signers' clocks; they are not anchored by a trusted timestamp authority, so the order of entries is proven but their absolute times are not.".to_string(),
        "It cannot show that a signer's private key was used only by that signer.".to_string(),
        "A ledger cut back to an earlier entry still verifies on its own; only a head hash recorded earlier (printed in this report) shows that nothing was removed afterwards.".to_string(),
        "MD5 and SHA-1 are listed for interoperability with older tools; they are not collision-resistant, and conclusions rest on SHA-256 or stronger.".to_string(),
    ];
    if not_audited {
        out.push("The evidence itself was not re-hashed for this report: nothing here shows that the evidence on disk today still matches its manifest.".into());
    } else {
        out.push("Evidence not named in the audits above, and any evidence outside the audited paths, was not re-hashed for this report.".into());
    }
    out
}
