//! Admissibility reports: one model, several renderers.
//!
//! [`build`] turns a verified case into a [`Report`]: every statement in it
//! about the case is either copied from a signed ledger entry (and names
//! that entry), the result of a check run now, or marked as the examiner's
//! own statement ([`BASIS`]); what the examiner did not state is `null`
//! ("not stated"), never a default that looks like a fact. The JSON form *is* the model
//! (`docs/spec/report-json.md`); Markdown and HTML are rendered from it, so the
//! three can never say different things. Given the same case, flags and
//! generation time, the output is byte-identical.

pub mod appendix;
pub mod attachments;
pub mod certify;
mod files;
pub mod html;
pub mod markdown;
pub mod outline;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod selftest;
pub mod signature;
pub mod standards;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::ExhibitAudit;
use crate::case::Case;
use crate::custody::Finding;
use crate::hashing::ManifestReader;
use crate::ledger::{
    principal_map, Body, CaseId, Entry, EntryHash, ExhibitId, Problem, Report as LedgerReport,
    RootOfTrust,
};
use crate::Fingerprint;

/// Version of the report model (`docs/spec/report-json.md`).
pub const REPORT_VERSION: u32 = 6;

pub use appendix::{AppendixInfo, AppendixMode, Placement};
pub use certify::{CertifyError, CertifyRequest, Declaration};
use files::FileMarks;
pub use files::{FileList, FileRows};
pub use outline::{outline, Outline, Section, SectionHead};

/// Why a report cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Hash(#[from] crate::hashing::HashError),
    #[error(transparent)]
    Certify(#[from] CertifyError),
}

/// What every statement of a report rests on; printed at the top of every
/// rendering. It must stay exactly true: a new section either names its
/// entries, comes from a check made for the report, marks the examiner's
/// statements, or is fixed text.
pub const BASIS: &str = "Every statement about this case is either copied from a signed ledger entry (its number is given), the result of a check made when this report was generated, or marked as the examiner's own statement (\"stated\": the ledger proves who stated it and when, not that it is true). A value the examiner did not give reads \"not stated\". Explanations of findings, the \"not covered\" column of the standards table and the limitations are custodian's fixed text, the same in every report.";

/// How a value the examiner did not give is shown.
pub const NOT_STATED: &str = "not stated";

/// Files listed in the HTML/Markdown exhibit tables; the complete lists
/// of the exhibits with more form the appendix ([`appendix`]). JSON lists
/// every file, unless the appendix was written to a separate file.
pub const INLINE_FILES: usize = 25;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub generated_at: String,
    pub tool: ToolInfo,
    /// [`BASIS`].
    pub basis: String,
    pub case: CaseSection,
    pub summary: Summary,
    pub exhibits: Vec<ExhibitSection>,
    pub timelines: Vec<Timeline>,
    pub verification: Verification,
    /// RFC 3161 timestamps attached to the case (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timestamps: Vec<TimestampRow>,
    /// Files attached to the case and to the reported exhibits, and the
    /// imported logs (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<attachments::AttachmentRow>,
    pub reliability: Reliability,
    pub signers: Vec<SignerRow>,
    pub standards: Vec<StandardRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<Certification>,
    pub limitations: Vec<String>,
    /// The separate file holding the complete file lists, when they were
    /// written there ([`appendix::write_separate`], [`Report::set_appendix`]);
    /// absent when they are in the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appendix: Option<AppendixInfo>,
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
    pub case_id: CaseId,
    pub title: String,
    pub jurisdiction: Option<String>,
    pub examiner: Option<String>,
    pub opened: String,
    pub authority_policy: String,
    /// Whether entry 0 states the policy; when it does not, custodian
    /// applies `off` (no authority checks).
    pub authority_policy_stated: bool,
    /// How far after its recording an event may be dated before it is
    /// `CUS-FUTURE`, in words: the seconds, and whether entry 0 states it.
    pub clock_skew: String,
    pub authorities: Vec<AuthorityRow>,
    /// Entry 0.
    pub entry: u64,
}

/// A legal authority as stated when it was registered. `None` is "not
/// stated": the examiner did not give it (or gave only blanks).
#[derive(Debug, Clone, Serialize)]
pub struct AuthorityRow {
    pub reference: String,
    pub kind: Option<String>,
    pub issuer: Option<String>,
    pub jurisdiction: Option<String>,
    pub issued: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub scope: Option<String>,
    pub entry: u64,
    /// `authority.register`, or `case.open` for the authority the case was
    /// opened under (entry 0 states its reference only).
    pub origin: String,
    /// What custodian's custody rules apply in place of a value that was
    /// not stated (field → value); only for the case-opening authority.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub defaults: BTreeMap<String, String>,
}

/// The verdict and every finding.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `intact` or `not-as-recorded`.
    pub ledger: String,
    /// `intact`, `changed` or `not-checked`, for the exhibits in
    /// `audited`; the exhibits in `not_audited` were not re-hashed.
    pub evidence: String,
    pub audited: Vec<ExhibitId>,
    pub not_audited: Vec<ExhibitId>,
    /// `continuous` or `findings`.
    pub custody: String,
    pub findings: Vec<FindingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub id: String,
    pub severity: String,
    pub entries: Vec<u64>,
    pub exhibits: Vec<ExhibitId>,
    /// What happened, specifically.
    pub message: String,
    /// What this kind of finding means, for a lawyer.
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExhibitSection {
    pub id: ExhibitId,
    pub description: Option<String>,
    pub source: Option<String>,
    pub authority: Option<String>,
    pub acquired_entry: u64,
    pub acquired_by: String,
    pub acquired_by_fingerprint: Fingerprint,
    pub started: String,
    pub finished: String,
    pub tool_version: String,
    /// The program that acquired the exhibit, as signed in its acquisition
    /// entry (`tool` of the entry).
    pub acquired_with: AcquiringTool,
    /// Whether `acquired_with.exe_sha256` equals `tool.exe_sha256`:
    /// `same`, `different`, or `unknown` (either digest not recorded).
    pub binary_match: String,
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
    /// Every regular file in the manifest (path, size, digests), read
    /// from the manifest when it is written out (see [`FileList`]); in
    /// JSON a reference to the separate appendix when the rows are there.
    pub file_list: FileList,
    /// The evidence audit run for this report, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<ExhibitAudit>,
    /// Recorded hash-set matches (`exhibit.hashset-match`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashsets: Option<HashsetSummary>,
    /// Where the exhibit came from and on what it was acquired.
    pub provenance: Provenance,
}

/// An exhibit's provenance as its acquisition recorded it: the source
/// device (each value with its origin), the acquiring machine, the
/// absolute paths acquired, the clock. Each member is `null` when the
/// acquisition does not record it ("not stated": entries written before
/// custodian 0.2 record none of them). The acquiring binary is
/// [`ExhibitSection::acquired_with`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provenance {
    /// The source-device record as signed.
    pub source_device: Option<crate::provenance::SourceDevice>,
    /// The acquiring machine's name, operating system and kernel.
    pub host_system: Option<crate::provenance::HostSystem>,
    /// The absolute path of each acquired root, from the manifest the
    /// entry binds (manifest version 2).
    pub roots_absolute: Option<Vec<String>>,
    /// The clock's synchronisation at acquisition; its `synchronised` is
    /// null when it could not be determined.
    pub clock: Option<crate::provenance::ClockState>,
    /// For an imported acquisition: the `exhibit.import` entry's `seq` and
    /// body (each digest the tool's log states, checked at import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<(u64, custodian_format::attachment::ExhibitImport)>,
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
    pub exhibit: ExhibitId,
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
    /// `time` is the signer's statement (`at`), not when it was recorded.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub time_stated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// The examiner gave no authority: the writer cited the one covering
    /// the event (format version 2 records it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub authority_default: bool,
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

impl TimelineEvent {
    /// The authority as a table cell: the reference, and that it was a
    /// default when the entry says so.
    pub fn authority_words(&self) -> String {
        match (&self.authority, self.authority_default) {
            (Some(a), true) => format!("{a} (by default: none was given)"),
            (Some(a), false) => a.clone(),
            (None, _) => String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// What was checked when the report was generated.
    pub checked: Vec<String>,
    /// `valid` or `invalid`.
    pub ledger_result: String,
    pub entries: u64,
    pub bytes: u64,
    pub head: Option<EntryHash>,
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

/// How custodian's records address one principle (see [`standards`]).
#[derive(Debug, Clone, Serialize)]
pub struct StandardRow {
    pub framework: String,
    pub principle: String,
    /// What the ledger or a check made for this report proves.
    pub proven: String,
    /// What rests only on the examiner's statement.
    pub stated: String,
    /// What custodian does not cover (fixed text).
    pub not_covered: String,
}

/// The program named in a signed entry's `tool`.
#[derive(Debug, Clone, Serialize)]
pub struct AcquiringTool {
    pub name: String,
    pub version: String,
    /// SHA-256 of the executable, when the entry records it.
    pub exe_sha256: Option<String>,
}

/// The examiner's certification (`report --certify`). Who certifies is
/// copied from the ledger (the signer named by `--examiner`); the
/// qualifications, the place and the statement are the certifier's own.
#[derive(Debug, Clone, Serialize)]
pub struct Certification {
    /// `--examiner` as given: a signer's principal.
    pub examiner: String,
    /// The certifier, from the ledger.
    pub principal: String,
    pub fingerprint: Fingerprint,
    pub role: String,
    /// The entry that added the certifier's key.
    pub signer_entry: u64,
    /// As the certifier states them (`--qualifications`).
    pub qualifications: String,
    /// [`certify::QUALIFICATIONS_BASIS`].
    pub qualifications_basis: String,
    /// The template: `fre-902-14` or `iso-27037`.
    pub declaration: Declaration,
    /// The template's heading.
    pub declaration_title: String,
    /// The generation date, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Where the certification is made (`--place`), as stated.
    pub place: String,
    /// `all-algorithms`, `partly` or `not-re-examined`
    /// ([`certify::evidence_examined`]).
    pub evidence_examined: String,
    /// The text to be signed, paragraphs separated by a blank line.
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

/// Writes the report as JSON: the model itself, pretty-printed, then a
/// line feed. Each exhibit's file list is read from its manifest while it
/// is written ([`FileList`]).
pub fn write_json(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write;
    // serde_json writes many small pieces: buffered here, they are not
    // each a call through `dyn Write`.
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, w);
    serde_json::to_writer_pretty(&mut w, report)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// What to put in a report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The generation time (from `--generated-at` or `SOURCE_DATE_EPOCH`).
    pub generated_at: Option<DateTime<Utc>>,
    /// Only these exhibits (all when empty).
    pub exhibits: Vec<String>,
    /// Add the certification of a signer of the case (`--certify`).
    pub certify: Option<CertifyRequest>,
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
/// Each section is one step of `Builder`; the steps share the entries
/// read once from the ledger and the names of their signers.
pub fn build(
    case: &Case,
    ledger: &LedgerReport,
    audits: &[ExhibitAudit],
    opts: &Options,
) -> Result<Report, ReportError> {
    let b = Builder::new(case, ledger, audits, opts)?;
    let tool = tool_info();
    let case_section = b.case_section();
    let summary = b.summary();
    let exhibits = b.exhibits(&tool);
    let timelines = b.timelines();
    let verification = b.verification();
    let timestamps = b.timestamp_rows();
    let attachments = attachments::rows(
        case.dir(),
        &ledger.state,
        &ledger.problems,
        &|id: &ExhibitId| b.selected(id),
    );
    let reliability = reliability();
    let signers = b.signers();
    let certification = b.certification(&tool, &exhibits, &case_section.case_id, &summary)?;

    let mut report = Report {
        version: REPORT_VERSION,
        generated_at: crate::time::format(b.now),
        tool,
        basis: BASIS.into(),
        case: case_section,
        summary,
        exhibits,
        timelines,
        verification,
        timestamps,
        attachments,
        reliability,
        signers,
        standards: Vec::new(),
        certification,
        limitations: limitations(audits.is_empty(), !opts.timestamps.is_empty()),
        appendix: None,
    };
    report.standards = standards::rows(&report);
    Ok(report)
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
            authority_policy_stated: open.as_ref().is_some_and(|c| c.policy.is_some()),
            clock_skew: match state.custody.clock_skew_seconds {
                Some(s) => format!("{s} seconds (stated in entry 0)"),
                None => format!(
                    "{} seconds (custodian's default: entry 0 states none)",
                    crate::custody::CLOCK_SKEW_SECONDS
                ),
            },
            authorities: state
                .custody
                .authorities
                .iter()
                .map(|(r, (seq, a))| {
                    let details = open.as_ref().and_then(|c| c.authority_details.as_deref());
                    authority_row(r, *seq, a, details)
                })
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

    /// One section per selected exhibit, in id order; `tool` is the
    /// program generating the report, compared with each acquiring one.
    fn exhibits(&self, tool: &ToolInfo) -> Vec<ExhibitSection> {
        self.ledger
            .state
            .exhibits
            .iter()
            .filter(|(id, _)| self.selected(id))
            .map(|(id, x)| self.exhibit(id, x, tool))
            .collect()
    }

    /// An exhibit: its acquisition as signed, its custody now, its files
    /// (marked with any hash-set matches), and the audit run for the report.
    fn exhibit(
        &self,
        id: &ExhibitId,
        x: &crate::ledger::Exhibit,
        tool: &ToolInfo,
    ) -> ExhibitSection {
        let state = &self.ledger.state;
        let a = &x.acquisition;
        let custody = state.custody.exhibits.get(id);
        let runs = state.hashset_matches.get(id);
        // Known-good files are hidden only where hash sets were matched.
        let hide = runs.is_some() && self.opts.hide_known_good;
        let marks = runs.map(|r| FileMarks::of(r)).unwrap_or_default();
        let (file_list, known_good) =
            FileList::read(self.case.dir().join(&a.manifest.path), marks, hide);
        let hashsets = runs.map(|runs| hashset_summary(runs, known_good, hide));
        let acquired_with = self
            .entry(x.acquired_seq)
            .map(|e| AcquiringTool {
                name: e.tool.name.clone(),
                version: e.tool.version.clone(),
                exe_sha256: e.tool.exe_sha256.clone(),
            })
            .unwrap_or(AcquiringTool {
                name: String::new(),
                version: String::new(),
                exe_sha256: None,
            });
        let binary_match = binary_match(
            acquired_with.exe_sha256.as_deref(),
            tool.exe_sha256.as_deref(),
        );
        ExhibitSection {
            id: id.clone(),
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
            acquired_with,
            binary_match: binary_match.into(),
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
                .map(|c| c.shown_status().as_str().to_string())
                .unwrap_or_default(),
            holder: custody.map(|c| self.who(&c.holder)).unwrap_or_default(),
            location: custody.and_then(|c| c.location.clone()),
            seal: custody.and_then(|c| c.shown_seal().map(str::to_string)),
            digests: a.digests.clone().unwrap_or_default(),
            file_list,
            audit: self.audits.iter().find(|au| au.exhibit == *id).cloned(),
            hashsets,
            provenance: Provenance {
                source_device: a.source_device.clone(),
                host_system: a.host_system.clone(),
                roots_absolute: absolute_roots(&self.case.dir().join(&a.manifest.path)),
                clock: a.clock.clone(),
                import: self.ledger.state.imports.get(id).cloned(),
            },
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
        let mut time_stated = false;
        let mut authority_default = false;
        let (time, location, purpose, authority, override_reason) =
            match Body::parse(&e.kind, &e.body) {
                Ok(Body::Custody(ev)) => {
                    let c = ev.common();
                    time_stated = c.at.is_some();
                    authority_default = c.authority_default;
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
            time_stated,
            location,
            purpose,
            authority,
            authority_default,
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
            head: ledger.head,
            root_of_trust: ledger.root_of_trust.clone(),
            problems: ledger.problems.clone(),
            commands: vec![
                format!("custodian verify CASE --trust {root_fp} --expect-head {}", ledger.head.map(|h| h.to_hex()).unwrap_or_default()),
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

    /// The certification (`--certify`): the certifier resolved to a
    /// signer of the case by principal (or refused), with the text of the
    /// chosen template (see [`certify::statement`]).
    fn certification(
        &self,
        tool: &ToolInfo,
        exhibits: &[ExhibitSection],
        case_id: &str,
        summary: &Summary,
    ) -> Result<Option<Certification>, CertifyError> {
        let Some(req) = &self.opts.certify else {
            return Ok(None);
        };
        let (fingerprint, signer) =
            certify::resolve_certifier(&self.ledger.state, self.case.dir(), req)?;
        // Qualifications given now, else those the signer's record states.
        let mut req = req.clone();
        let basis = match (&signer.qualifications, req.qualifications.trim().is_empty()) {
            (Some(q), true) => {
                req.qualifications = q.clone();
                format!(
                    "stated by the certifier when added as a signer (ledger entry {})",
                    signer.added_seq
                )
            }
            _ => certify::QUALIFICATIONS_BASIS.to_string(),
        };
        let req = &req;
        let recorded: BTreeMap<ExhibitId, Vec<String>> = exhibits
            .iter()
            .map(|x| (x.id.clone(), x.algorithms.clone()))
            .collect();
        let when = crate::time::format(self.now);
        let date = self.now.format("%Y-%m-%d").to_string();
        let role = signer.role.to_string();
        let tool = format!("{} {}", tool.name, tool.version);
        let facts = certify::Facts {
            principal: &signer.principal,
            fingerprint: &fingerprint,
            role: &role,
            signer_entry: signer.added_seq,
            case_id,
            when: &when,
            tool: &tool,
            audits: self.audits,
            recorded: &recorded,
            not_audited: &summary.not_audited,
        };
        Ok(Some(Certification {
            examiner: req.examiner.clone(),
            principal: signer.principal.clone(),
            fingerprint: fingerprint.clone(),
            role: role.clone(),
            signer_entry: signer.added_seq,
            qualifications: req.qualifications.trim().to_string(),
            qualifications_basis: basis,
            declaration: req.declaration,
            declaration_title: req.declaration.title().into(),
            date: date.clone(),
            place: req.place.trim().to_string(),
            evidence_examined: certify::evidence_examined(
                self.audits,
                &recorded,
                &summary.not_audited,
            )
            .into(),
            statement: certify::statement(req, &facts, &date),
        }))
    }
}

/// `same`, `different` or `unknown`: whether the acquiring executable
/// (its digest as signed) is the one generating the report.
fn binary_match(acquiring: Option<&str>, reporting: Option<&str>) -> &'static str {
    match (acquiring, reporting) {
        (Some(a), Some(r)) if a.eq_ignore_ascii_case(r) => "same",
        (Some(_), Some(_)) => "different",
        _ => "unknown",
    }
}

/// A registered legal authority, its scope in words; blanks are "not
/// stated".
///
/// The authority a case was opened under (registered by entry 0) states a
/// reference only: the engine fills in its other fields so that the
/// custody rules can apply it (kind "other", an issuer placeholder, issued
/// and valid from the opening day, the whole case). Those are not the
/// examiner's statements, so they are shown as not stated, with the valid
/// date and scope the rules apply as `defaults`.
///
/// Since format version 2 entry 0 may state more (`details`): each member
/// stated there is shown as stated; the others as above.
fn authority_row(
    reference: &str,
    seq: u64,
    a: &crate::custody::Authority,
    details: Option<&crate::ledger::AuthorityDetails>,
) -> AuthorityRow {
    let scope = if a.scope.all {
        "all exhibits".to_string()
    } else {
        a.scope.exhibits.join(", ")
    } + &a
        .scope
        .description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    if seq == 0 {
        let d = details.cloned().unwrap_or_default();
        let mut defaults = BTreeMap::new();
        if d.valid_from.is_none() {
            defaults.insert(
                "valid_from".to_string(),
                a.valid_from_or_issued().to_string(),
            );
        }
        if d.scope.is_none() {
            defaults.insert("scope".to_string(), scope);
        }
        return AuthorityRow {
            reference: reference.to_string(),
            kind: d.kind,
            issuer: d.issuer,
            jurisdiction: d.jurisdiction,
            issued: d.issued,
            valid_from: d.valid_from,
            valid_until: d.valid_until,
            scope: d.scope.map(|s| format!("all exhibits ({s})")),
            entry: 0,
            origin: "case.open".into(),
            defaults,
        };
    }
    AuthorityRow {
        reference: reference.to_string(),
        kind: stated(&a.kind),
        issuer: stated(&a.issuer),
        jurisdiction: stated(&a.jurisdiction),
        issued: stated(&a.issued),
        valid_from: a.valid_from.as_deref().and_then(stated),
        valid_until: a.valid_until.as_deref().and_then(stated),
        scope: stated(&scope),
        entry: seq,
        origin: "authority.register".into(),
        // Not stated (version 2): the rules apply the issue date.
        defaults: match &a.valid_from {
            None => BTreeMap::from([("valid_from_issued".to_string(), a.issued.clone())]),
            Some(_) => BTreeMap::new(),
        },
    }
}

impl AuthorityRow {
    /// The cells shown for it (kind, issuer, jurisdiction, issued, valid,
    /// scope), unescaped, with "not stated" and the defaults the custody
    /// rules apply spelled out; shared by the renderers.
    pub fn cells(&self) -> [String; 6] {
        let shown = |v: &Option<String>, field: &str| match (v, self.defaults.get(field)) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => format!("{NOT_STATED} (by default from the case opening: {d})"),
            (None, None) => NOT_STATED.to_string(),
        };
        let until = |stated: &str, none: &str| {
            self.valid_until
                .as_deref()
                .map(|u| format!("until {u}{stated}"))
                .unwrap_or_else(|| none.into())
        };
        let valid = match (
            &self.valid_from,
            self.defaults.get("valid_from"),
            self.defaults.get("valid_from_issued"),
        ) {
            (None, Some(d), _) => format!(
                "{NOT_STATED} (by default from the case opening: from {d}, {})",
                until(" as stated", "no end date")
            ),
            (None, None, Some(d)) => format!(
                "{NOT_STATED} (the rules apply the issue date: from {d}, {})",
                until("", "no end date")
            ),
            _ => format!(
                "from {} {}",
                self.valid_from.as_deref().unwrap_or(NOT_STATED),
                until("", "(no end date)")
            ),
        };
        [
            shown(&self.kind, "kind"),
            shown(&self.issuer, "issuer"),
            shown(&self.jurisdiction, "jurisdiction"),
            shown(&self.issued, "issued"),
            valid,
            shown(&self.scope, "scope"),
        ]
    }
}

impl ExhibitSection {
    /// The acquiring program in words: name, version and executable digest.
    pub fn acquired_with_words(&self) -> String {
        let t = &self.acquired_with;
        format!(
            "{} {}, executable SHA-256 {} (as signed in entry {}; source commit not recorded)",
            t.name,
            t.version,
            t.exe_sha256.as_deref().unwrap_or("not recorded"),
            self.acquired_entry
        )
    }

    /// Whether the acquiring and the report-time executables are the same,
    /// in one sentence.
    pub fn binary_match_words(&self) -> &'static str {
        match self.binary_match.as_str() {
            "same" => "The same executable (identical SHA-256) acquired this exhibit and generated this report.",
            "different" => "DIFFERENT executables acquired this exhibit and generated this report. This is not a defect by itself (a different build or version); the acquiring executable's SHA-256 above lets another party obtain and check that exact build.",
            _ => "Cannot be compared: the SHA-256 of the acquiring or of the report-time executable is not recorded.",
        }
    }
}

/// One row of an exhibit's provenance, as every rendering shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvenanceRow {
    pub label: String,
    /// Unescaped.
    pub text: String,
    /// Worth a reader's attention: a stated value that differs from the
    /// recorded one, a clock not synchronised or not known.
    pub attention: bool,
}

impl Provenance {
    /// The rows every rendering shows: each device member with its origin
    /// ("not stated" when absent), what the imaging program recorded, the
    /// acquiring host (`host`, the bare name every entry records, when the
    /// system is not recorded), the absolute paths and the clock.
    pub fn rows(&self, host: &str) -> Vec<ProvenanceRow> {
        let row = |label: &str, text: String, attention: bool| ProvenanceRow {
            label: label.to_string(),
            text,
            attention,
        };
        let device = self.source_device.clone().unwrap_or_default();
        let mut rows: Vec<ProvenanceRow> = device
            .members()
            .into_iter()
            .map(|(name, v)| {
                let label = match name {
                    "write-blocker" => "Write-blocker".to_string(),
                    _ => format!("Source {name}"),
                };
                let attention = v.as_ref().is_some_and(|v| v.stated.is_some());
                let text = v
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| NOT_STATED.into());
                row(&label, text, attention)
            })
            .collect();
        if let Some(i) = &device.imaging {
            rows.push(row("Imaging record", imaging_words(i), false));
        }
        if let Some((seq, i)) = &self.import {
            let attention = i.checks.iter().any(|c| !c.matched);
            rows.push(row("Log digests checked", import_words(*seq, i), attention));
        }
        rows.push(row("Acquiring host", self.host_words(host), false));
        rows.push(row(
            "Absolute paths acquired",
            self.roots_absolute
                .as_ref()
                .map(|r| r.join(", "))
                .unwrap_or_else(|| {
                    format!("{NOT_STATED} (the manifest records the paths as given only)")
                }),
            false,
        ));
        let (clock, unsure) = match &self.clock {
            Some(c) => (c.to_string(), c.synchronised != Some(true)),
            None => (NOT_STATED.to_string(), false),
        };
        rows.push(row("Clock at acquisition", clock, unsure));
        rows
    }

    /// The acquiring machine: the bare `host` name recorded by every entry,
    /// with the operating system and kernel when recorded.
    fn host_words(&self, host: &str) -> String {
        match &self.host_system {
            Some(h) => format!(
                "{}; operating system {}; kernel {} (as read from the system at acquisition)",
                h.name,
                h.os.as_deref().unwrap_or(NOT_STATED),
                h.kernel.as_deref().unwrap_or(NOT_STATED)
            ),
            None => format!("{host}; operating system and kernel {NOT_STATED}"),
        }
    }
}

/// What an imaging program recorded, in one paragraph: every value as
/// found, "not stated" for what it does not give.
fn imaging_words(i: &crate::provenance::ImagingRecord) -> String {
    let or_not = |v: &Option<String>| v.clone().unwrap_or_else(|| NOT_STATED.into());
    let mut parts = vec![format!("as found in the {}", i.source)];
    if i.acquired.is_empty() {
        parts.push(format!("acquisition date {NOT_STATED}"));
    }
    for t in &i.acquired {
        parts.push(format!("acquired {t}"));
    }
    for t in &i.finished {
        parts.push(format!("finished {t}"));
    }
    parts.push(format!(
        "program name {}, version {}, running on {}",
        or_not(&i.tool),
        or_not(&i.tool_version),
        or_not(&i.tool_os)
    ));
    parts.push(format!("examiner {}", or_not(&i.examiner)));
    parts.push(format!("case number {}", or_not(&i.case_number)));
    parts.push(format!("evidence number {}", or_not(&i.evidence_number)));
    parts.push(format!("description {}", or_not(&i.description)));
    parts.push(format!("notes {}", or_not(&i.notes)));
    if !i.bad_sectors.is_empty() {
        let ranges: Vec<String> = i
            .bad_sectors
            .iter()
            .map(|r| format!("{}+{}", r.first, r.count))
            .collect();
        parts.push(format!(
            "sectors unreadable at acquisition {}",
            ranges.join(", ")
        ));
    }
    for (algo, hex) in &i.hashes {
        parts.push(format!("{algo} as stored {hex}"));
    }
    parts.join("; ")
}

/// Each digest an imported acquisition's log states, beside the one
/// custodian computed from the media at import.
fn import_words(seq: u64, i: &custodian_format::attachment::ExhibitImport) -> String {
    let tool = custodian_format::attachment::import_tool_name(&i.format);
    let mut parts = vec![format!(
        "entry {seq}: the media of the image ({}, {} file(s), {} bytes) were hashed at import and compared with the {tool} log {} (SHA-256 {}, kept as an attachment)",
        i.image.layout,
        i.image.files.len(),
        i.image.media_bytes,
        i.log.name,
        i.log.sha256
    )];
    if i.checks.is_empty() {
        parts.push("the log states no digest".into());
    }
    for c in &i.checks {
        let verdict = match (&c.computed, c.matched) {
            (_, true) => "matches".to_string(),
            (Some(h), false) => format!("DOES NOT MATCH the media, which hash to {h}"),
            (None, false) => format!(
                "NOT CHECKED: the media could not be read ({})",
                i.image.problem.as_deref().unwrap_or(NOT_STATED)
            ),
        };
        parts.push(format!(
            "{} {} {} as stated in the log (line {}): {verdict}",
            c.stage, c.algorithm, c.logged, c.line
        ));
    }
    parts.join("; ")
}

/// A stated value, or `None` ("not stated") when blank.
fn stated(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
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

/// The absolute root paths the manifest at `path` records (version 2), as
/// text; `None` when it records none or cannot be read (its problem is
/// then in the verification).
fn absolute_roots(path: &std::path::Path) -> Option<Vec<String>> {
    let reader = ManifestReader::open(path).ok()?;
    let abs: Vec<String> = reader
        .header()
        .roots
        .iter()
        .filter_map(|r| {
            r.abs_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
        .collect();
    (!abs.is_empty()).then_some(abs)
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

/// What the recorded hash-set `runs` say about an exhibit: the entries,
/// the sets used, `known_good` (counted while its file list was read) and
/// the distinct known-bad or notable matches.
fn hashset_summary(
    runs: &[(u64, crate::ledger::HashsetMatch)],
    known_good: u64,
    hide: bool,
) -> HashsetSummary {
    use std::collections::BTreeSet;
    let mut matches = BTreeSet::new();
    for (_, m) in runs {
        for h in &m.matches {
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

fn limitations(not_audited: bool, timestamped: bool) -> Vec<String> {
    let mut out = vec![
        "This report cannot show that the original media matched what was acquired before the acquisition began; it starts from the digests recorded at acquisition.".to_string(),
        "It cannot show that signers told the truth: seal numbers, locations, purposes and times are their signed statements, attributable and unalterable, not independently observed facts.".to_string(),
        if timestamped {
            format!("Entry times come from the signers' clocks. An RFC 3161 timestamp ({}), where verified, proves only that the entries it covers existed at its time; the order of entries is proven, the absolute time of each is not.", Section::Verification.see())
        } else {
            "Entry times come from the signers' clocks; they are not anchored by a trusted timestamp authority, so the order of entries is proven but their absolute times are not.".to_string()
        },
        "It cannot show that a signer's private key was used only by that signer.".to_string(),
        "A ledger cut back to an earlier entry still verifies on its own; only a head hash recorded earlier (printed in this report) shows that nothing was removed afterwards.".to_string(),
        "MD5 and SHA-1 are listed for interoperability with older tools; they are not collision-resistant, and conclusions rest on SHA-256 or stronger.".to_string(),
        "An authority cited by an acquisition may be custodian's default (the authority the case was opened under) rather than one the examiner named: the ledger does not record which.".to_string(),
        "It cannot show anyone's competence or qualifications: roles are strings given when a key was added, and a certifier's qualifications are as the certifier states them.".to_string(),
        "A source device's kind, make, model, serial and write-blocker are as the examiner stated them or as the imaging program wrote them in the image's header (each value says which); custodian does not read them from the device. A clock's synchronisation is what the acquiring system reported when the acquisition started, not a check of its time against a reference.".to_string(),
        "Neither the executable that generated this report nor the ones that acquired the exhibits record the source commit they were built from; each is identified by its version and, where recorded, the SHA-256 of the executable, which lets another party obtain and check that exact build.".to_string(),
    ];
    if not_audited {
        out.push("The evidence itself was not re-hashed for this report: nothing here shows that the evidence on disk today still matches its manifest.".into());
    } else {
        out.push("Evidence not named in the audits above, and any evidence outside the audited paths, was not re-hashed for this report.".into());
    }
    out
}

/// (class: `ok`, `bad` or `warn`; headline; sentence) for one verdict,
/// the same words in every format that spells verdicts out.
pub(crate) fn verdict(kind: &str, value: &str) -> (&'static str, &'static str, &'static str) {
    match (kind, value) {
        ("ledger", "intact") => (
            "ok",
            "Intact",
            "Every ledger entry is as it was signed: nothing was altered, inserted, reordered or removed before the last entry. Entries removed from the end show only against a head hash recorded earlier (see Limitations).",
        ),
        ("ledger", "not-as-recorded") => (
            "bad",
            "Not as recorded",
            "The ledger is not as it was written; see the problems under Verification.",
        ),
        ("evidence", "intact") => (
            "ok",
            "Intact",
            "The evidence re-hashed for this report matches the digests recorded at acquisition.",
        ),
        ("evidence", "changed") => (
            "bad",
            "Changed",
            "The evidence today does not match what was recorded at acquisition; see the findings below.",
        ),
        ("evidence", "not-checked") => (
            "warn",
            "Not checked",
            "The evidence itself was not re-hashed for this report.",
        ),
        ("custody", "continuous") => (
            "ok",
            "Continuous",
            "No custody or legal-authority finding.",
        ),
        ("custody", "findings") => (
            "warn",
            "Findings",
            "The custody record has gaps or exceptions to weigh; see the findings below.",
        ),
        _ => ("warn", "Unknown", "See docs/spec/report-json.md."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_compared_only_when_both_digests_are_known() {
        assert_eq!(binary_match(Some("AB"), Some("ab")), "same");
        assert_eq!(binary_match(Some("ab"), Some("cd")), "different");
        assert_eq!(binary_match(None, Some("cd")), "unknown");
        assert_eq!(binary_match(Some("ab"), None), "unknown");
    }

    #[test]
    fn the_opening_authority_states_its_reference_only() {
        let mut s = crate::custody::CustodyState::default();
        s.register_opening("W-1", None, Some("FR"), "2026-03-02T09:15:00.000000Z");
        let (seq, a) = &s.authorities["W-1"];
        let row = authority_row("W-1", *seq, a, None);
        assert_eq!(row.origin, "case.open");
        assert!(row.kind.is_none() && row.issuer.is_none() && row.issued.is_none());
        assert!(row.jurisdiction.is_none() && row.valid_from.is_none() && row.scope.is_none());
        let cells = row.cells();
        assert_eq!(cells[0], NOT_STATED);
        assert_eq!(cells[1], NOT_STATED);
        assert!(
            cells[4].contains("by default from the case opening: from 2026-03-02"),
            "{}",
            cells[4]
        );
        assert!(
            cells[5].contains("by default from the case opening: all exhibits"),
            "{}",
            cells[5]
        );
    }

    #[test]
    fn the_opening_authority_shows_what_was_stated_and_defaults_the_rest() {
        let d = crate::ledger::AuthorityDetails {
            kind: Some("search-warrant".into()),
            issued: Some("2026-03-01".into()),
            valid_until: Some("2026-04-01".into()),
            ..Default::default()
        };
        let mut s = crate::custody::CustodyState::default();
        s.register_opening("W-1", Some(&d), None, "2026-03-02T09:15:00.000000Z");
        let (seq, a) = &s.authorities["W-1"];
        assert_eq!(a.valid_until.as_deref(), Some("2026-04-01"));
        let row = authority_row("W-1", *seq, a, Some(&d));
        let cells = row.cells();
        assert_eq!(cells[0], "search-warrant");
        assert_eq!(cells[1], NOT_STATED);
        assert_eq!(cells[3], "2026-03-01");
        assert!(
            cells[4].contains("by default from the case opening"),
            "{}",
            cells[4]
        );
        assert!(cells[4].contains("until 2026-04-01"), "{}", cells[4]);
    }

    #[test]
    fn a_registered_authority_shows_blank_fields_as_not_stated() {
        let mut s = crate::custody::CustodyState::default();
        s.register_opening("W-1", None, None, "2026-03-02T09:15:00.000000Z");
        let mut a = s.authorities["W-1"].1.clone();
        a.issuer = "  ".into();
        a.kind = "court-order".into();
        let row = authority_row("W-1", 3, &a, None);
        assert_eq!(row.origin, "authority.register");
        assert_eq!(row.kind.as_deref(), Some("court-order"));
        assert!(row.issuer.is_none());
        assert!(row.defaults.is_empty());
        assert_eq!(row.cells()[1], NOT_STATED);
    }
}
