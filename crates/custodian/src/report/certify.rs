//! The examiner's certification of a report, and which key may sign one.
//!
//! A court can use a certification only if it names a person the ledger
//! knows: the certifier is resolved to a signer of the case by principal
//! (a name that is no principal is refused, never shown "as typed"), the
//! key that signs the report must be that signer's, and the text says how
//! much was re-examined for this report. Qualifications, place and the
//! certification itself remain the certifier's own statements, and the
//! report marks them so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outline::{see_both, Section};
use crate::audit::ExhibitAudit;
use crate::ledger::{CaseState, ExhibitId, Signer};
use crate::Fingerprint;

/// How the certifier's qualifications are marked everywhere they appear.
pub const QUALIFICATIONS_BASIS: &str = "stated by the certifier";

/// The legal form of the certification's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Declaration {
    /// A declaration under penalty of perjury under the laws of the United
    /// States (28 U.S.C. § 1746), for a certification under FRE 902(13)
    /// and 902(14).
    #[serde(rename = "fre-902-14")]
    Fre90214,
    /// A generic statement with reference to ISO/IEC 27037 and the ACPO
    /// principles.
    #[serde(rename = "iso-27037")]
    Iso27037,
}

impl Declaration {
    /// Its name in `--declaration` and in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Declaration::Fre90214 => "fre-902-14",
            Declaration::Iso27037 => "iso-27037",
        }
    }

    /// The heading shown above the text.
    pub fn title(self) -> &'static str {
        match self {
            Declaration::Fre90214 => "Declaration under 28 U.S.C. § 1746 in support of certification under Federal Rules of Evidence 902(13) and 902(14)",
            Declaration::Iso27037 => "Statement of the examiner with reference to ISO/IEC 27037:2012 and the ACPO Good Practice Guide for Digital Evidence",
        }
    }
}

impl fmt::Display for Declaration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `report --certify` asks for.
#[derive(Debug, Clone)]
pub struct CertifyRequest {
    /// The certifier, as a signer's principal (`--examiner`).
    pub examiner: String,
    /// The certifier's qualifications as they state them.
    pub qualifications: String,
    pub declaration: Declaration,
    /// Where the certification is made.
    pub place: String,
    /// The key that signs the report (`--sign --key`), which must be the
    /// certifier's.
    pub signing_key: Option<Fingerprint>,
}

/// Why a certification or a report signature is refused. Each names what
/// to do instead.
#[derive(Debug, thiserror::Error)]
pub enum CertifyError {
    #[error("the {what} is empty: a certification states it (the qualifications recorded when the signer was added are used when none are given)")]
    Blank { what: &'static str },
    #[error("examiner {examiner:?} is neither the principal nor the recorded name of any signer of case {}; the certifier must be a signer: {}", .case.display(), signer_list(.signers))]
    NotASigner {
        examiner: String,
        case: PathBuf,
        signers: Vec<String>,
    },
    #[error("examiner {examiner}: every key of this signer has been revoked ({}); a revoked key cannot certify (active signers: {})", .keys.join(", "), signer_list(.signers))]
    Revoked {
        examiner: String,
        keys: Vec<String>,
        signers: Vec<String>,
    },
    #[error("examiner {examiner} has several active keys ({}); the report must be signed with the one that certifies", .keys.join(", "))]
    SeveralKeys { examiner: String, keys: Vec<String> },
    #[error("the signing key {key} is not the examiner's: {examiner} holds {}; a certified report is signed with the certifier's own key", .keys.join(", "))]
    NotExaminersKey {
        key: Fingerprint,
        examiner: String,
        keys: Vec<String>,
    },
    #[error("the signing key {key} is not a signer of this case, so the case's allowed_signers file cannot check its signature (signers of case {}: {})", .case.display(), signer_list(.signers))]
    KeyNotASigner {
        key: Fingerprint,
        case: PathBuf,
        signers: Vec<String>,
    },
    #[error("the signing key {key} ({principal}) was revoked at entry {seq}: it can no longer sign for this case")]
    KeyRevoked {
        key: Fingerprint,
        principal: String,
        seq: u64,
    },
    #[error("the report's generation time {at} is before the signing key {key} ({principal}) was added at entry {seq} ({added}); ssh-keygen would reject the signature")]
    KeyNotYetAdded {
        key: Fingerprint,
        principal: String,
        at: String,
        seq: u64,
        added: String,
    },
}

/// Signers as an error lists them: `a; b`, or `none`.
pub fn signer_list(signers: &[String]) -> String {
    if signers.is_empty() {
        "none".into()
    } else {
        signers.join("; ")
    }
}

/// Every signer of the case, in the order added, as `principal (role,
/// fingerprint[, revoked])`: what an error shows to choose from.
fn signers_of(state: &CaseState) -> Vec<String> {
    let mut signers: Vec<_> = state.signers.iter().collect();
    signers.sort_by_key(|(_, s)| s.added_seq);
    signers
        .into_iter()
        .map(|(fp, s)| {
            format!(
                "{} ({}, {}{})",
                s.principal,
                s.role,
                fp,
                if s.is_active() { "" } else { ", revoked" }
            )
        })
        .collect()
}

/// The signer `req.examiner` names, by principal: their active key (the
/// signing key when one is given, which must be theirs).
pub fn resolve_certifier<'a>(
    state: &'a CaseState,
    case_dir: &Path,
    req: &CertifyRequest,
) -> Result<(Fingerprint, &'a Signer), CertifyError> {
    for (what, value) in [("examiner", &req.examiner), ("place", &req.place)] {
        if value.trim().is_empty() {
            return Err(CertifyError::Blank { what });
        }
    }
    let mut keys: Vec<(&Fingerprint, &Signer)> = state
        .signers
        .iter()
        .filter(|(_, s)| {
            s.principal == req.examiner || s.name.as_deref() == Some(req.examiner.as_str())
        })
        .collect();
    if keys.is_empty() {
        return Err(CertifyError::NotASigner {
            examiner: req.examiner.clone(),
            case: case_dir.to_path_buf(),
            signers: signers_of(state),
        });
    }
    let all: Vec<String> = keys.iter().map(|(fp, _)| fp.to_string()).collect();
    keys.retain(|(_, s)| s.is_active());
    if keys.is_empty() {
        return Err(CertifyError::Revoked {
            examiner: req.examiner.clone(),
            keys: all,
            signers: signers_of(state)
                .into_iter()
                .filter(|s| !s.ends_with(", revoked)"))
                .collect(),
        });
    }
    if req.qualifications.trim().is_empty() && keys.iter().all(|(_, s)| s.qualifications.is_none())
    {
        return Err(CertifyError::Blank {
            what: "qualifications",
        });
    }
    match (&req.signing_key, keys.as_slice()) {
        (Some(k), _) => keys
            .iter()
            .find(|(fp, _)| *fp == k)
            .map(|(fp, s)| ((*fp).clone(), *s))
            .ok_or_else(|| CertifyError::NotExaminersKey {
                key: k.clone(),
                examiner: req.examiner.clone(),
                keys: keys.iter().map(|(fp, _)| fp.to_string()).collect(),
            }),
        (None, [(fp, s)]) => Ok(((*fp).clone(), *s)),
        (None, _) => Err(CertifyError::SeveralKeys {
            examiner: req.examiner.clone(),
            keys: keys.iter().map(|(fp, _)| fp.to_string()).collect(),
        }),
    }
}

/// The signer whose `key` signs a report generated at `at`. The key must
/// be a signer of the case, not revoked, and already added at `at`: the
/// window the case's `allowed_signers` file gives it, so that the
/// signature verifies with that file and `-O verify-time` = `at`.
pub fn report_signer<'a>(
    state: &'a CaseState,
    case_dir: &Path,
    key: &Fingerprint,
    at: DateTime<Utc>,
) -> Result<&'a Signer, CertifyError> {
    let signer = state
        .signers
        .get(key)
        .ok_or_else(|| CertifyError::KeyNotASigner {
            key: key.clone(),
            case: case_dir.to_path_buf(),
            signers: signers_of(state),
        })?;
    if let Some(r) = &signer.revoked {
        return Err(CertifyError::KeyRevoked {
            key: key.clone(),
            principal: signer.principal.clone(),
            seq: r.seq,
        });
    }
    let added = crate::time::parse(&signer.added_time).ok();
    // allowed_signers' valid-after is the whole second of the adding entry.
    if added.is_some_and(|t| at.timestamp() < t.timestamp()) {
        return Err(CertifyError::KeyNotYetAdded {
            key: key.clone(),
            principal: signer.principal.clone(),
            at: crate::time::format(at),
            seq: signer.added_seq,
            added: signer.added_time.clone(),
        });
    }
    Ok(signer)
}

/// `YYYYMMDDHHMMSSZ`, the form of `ssh-keygen -O verify-time=` (with the
/// `Z`, or ssh-keygen reads it in the local time zone).
pub fn ssh_verify_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%SZ").to_string()
}

/// How much of the evidence was re-examined for the certification:
/// `all-algorithms` (every reported exhibit re-hashed with every algorithm
/// recorded at its acquisition), `partly` or `not-re-examined`.
pub fn evidence_examined(
    audits: &[ExhibitAudit],
    recorded: &BTreeMap<ExhibitId, Vec<String>>,
    not_audited: &[ExhibitId],
) -> &'static str {
    if audits.is_empty() {
        "not-re-examined"
    } else if not_audited.is_empty() && audits.iter().all(|a| all_algorithms(a, recorded)) {
        "all-algorithms"
    } else {
        "partly"
    }
}

/// [`evidence_examined`] in words, for the HTML and Markdown tables.
pub fn evidence_examined_label(value: &str) -> &'static str {
    match value {
        "all-algorithms" => "re-hashed for this report with every algorithm recorded at acquisition, for every exhibit reported on",
        "partly" => "re-hashed for this report only in part (some exhibits, or not every recorded algorithm): see the statement",
        _ => "not re-examined for this report: the records only are certified",
    }
}

/// Whether `a` re-hashed every algorithm recorded at the exhibit's
/// acquisition.
fn all_algorithms(a: &ExhibitAudit, recorded: &BTreeMap<ExhibitId, Vec<String>>) -> bool {
    recorded
        .get(&a.exhibit)
        .is_some_and(|r| r.iter().all(|x| a.algorithms.contains(x)))
}

/// The facts a certification states, from the ledger and this report.
pub struct Facts<'a> {
    pub principal: &'a str,
    pub fingerprint: &'a Fingerprint,
    pub role: &'a str,
    pub signer_entry: u64,
    pub case_id: &'a str,
    /// The generation time, ledger form.
    pub when: &'a str,
    /// The tool that generated the report, `name version`.
    pub tool: &'a str,
    pub audits: &'a [ExhibitAudit],
    /// The algorithms recorded at each exhibit's acquisition.
    pub recorded: &'a BTreeMap<ExhibitId, Vec<String>>,
    pub not_audited: &'a [ExhibitId],
}

/// The certification's text, paragraphs separated by a blank line: who
/// certifies (with the qualifications they state), what the records are
/// and that they were verified, what was re-examined of the evidence, and
/// the template's closing with date and place.
pub fn statement(req: &CertifyRequest, f: &Facts, date: &str) -> String {
    let mut paragraphs = Vec::new();
    paragraphs.push(match req.declaration {
        Declaration::Fre90214 => format!("I, {}, declare as follows.", f.principal),
        Declaration::Iso27037 => format!("I, {}, state as follows.", f.principal),
    });
    paragraphs.push(format!(
        "My qualifications, as I state them: {}. I hold the signing key {}, added as a signer of case {} by ledger entry {} with the role {}.",
        req.qualifications.trim().trim_end_matches('.'),
        f.fingerprint,
        f.case_id,
        f.signer_entry,
        f.role
    ));
    paragraphs.push(records_paragraph(req.declaration, f));
    paragraphs.push(evidence_paragraph(f));
    paragraphs.push(match req.declaration {
        Declaration::Fre90214 => format!(
            "I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct. Executed on {date} at {}.",
            req.place.trim()
        ),
        Declaration::Iso27037 => format!(
            "This statement is true to the best of my knowledge and belief. Made on {date} at {}.",
            req.place.trim()
        ),
    });
    paragraphs.join("\n\n")
}

/// What is certified about the records, in the template's terms.
fn records_paragraph(declaration: Declaration, f: &Facts) -> String {
    let mut s = format!(
        "I certify that the records identified in this report (the signed ledger of case {} and its manifests) were verified on {} with the results stated above, and that the hash values disclosed here allow any party to verify the data independently.",
        f.case_id, f.when
    );
    s += &match declaration {
        Declaration::Fre90214 => format!(
            " The records were generated by an electronic process, {}, whose checks and self-tests are stated in {} (Federal Rules of Evidence 902(13)); the data copied from each exhibit is identified by the hash values stated in this report, a process of digital identification (Rule 902(14)).",
            f.tool,
            see_both(Section::Verification, Section::Reliability)
        ),
        Declaration::Iso27037 => format!(
            " The processes applied to the evidence are recorded in the signed ledger, which is their audit trail, and the checks of {} can be repeated by an independent third party, who should reach the same result (ACPO principle 3; ISO/IEC 27037:2012, repeatability and reproducibility). The records were generated by {}.",
            Section::Verification.see(),
            f.tool
        ),
    };
    s
}

/// What is certified about the evidence. The records are always what is
/// certified; the evidence is said to be unchanged only where it was
/// re-hashed for this report with every algorithm recorded at acquisition
/// and matched, said to differ where it did not, said to have matched
/// only the algorithms re-hashed where those were not all of them, and
/// said plainly not to have been re-examined otherwise.
pub fn evidence_paragraph(f: &Facts) -> String {
    let mut s = String::new();
    let group = |keep: &dyn Fn(&ExhibitAudit) -> bool| -> Vec<&ExhibitAudit> {
        f.audits.iter().filter(|a| keep(a)).collect()
    };
    let full = |a: &ExhibitAudit| all_algorithms(a, f.recorded);
    let intact = group(&|a| a.is_intact() && full(a));
    let partly = group(&|a| a.is_intact() && !full(a));
    let changed = group(&|a| !a.is_intact());
    let named = |v: &[&ExhibitAudit]| {
        v.iter()
            .map(|a| format!("{} ({})", a.exhibit, a.algorithms.join("+")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !intact.is_empty() {
        s += &format!(
            " The evidence of exhibit(s) {} was re-hashed for this report with every algorithm recorded at acquisition and matched the hash values recorded then: it is unchanged since then.",
            named(&intact)
        );
    }
    for a in &partly {
        let recorded = f.recorded.get(&a.exhibit).cloned().unwrap_or_default();
        let others: Vec<&str> = recorded
            .iter()
            .filter(|r| !a.algorithms.contains(r))
            .map(String::as_str)
            .collect();
        s += &format!(
            " The evidence of exhibit {} was re-hashed for this report with {} only (recorded at acquisition: {}) and matched the {} values recorded at acquisition; {} not re-computed, so for this exhibit I certify the records and this check only.",
            a.exhibit,
            a.algorithms.join(", "),
            recorded.join(", "),
            a.algorithms.join(" and "),
            match others.as_slice() {
                [one] => format!("{one} was"),
                many => format!("{} were", many.join(", ")),
            }
        );
    }
    if !changed.is_empty() {
        s += &format!(
            " The evidence of exhibit(s) {} was re-hashed for this report and does NOT match the hash values recorded at acquisition (see the findings).",
            named(&changed)
        );
    }
    if f.audits.is_empty() {
        s += " The evidence itself was not re-examined for this report: I certify the records only, not the present state of the evidence.";
    } else if !f.not_audited.is_empty() {
        s += &format!(
            " The evidence of exhibit(s) {} was not re-examined for this report: for it, I certify the records only.",
            f.not_audited.join(", ")
        );
    }
    s.trim_start().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditCounts;

    fn audit(exhibit: &str, intact: bool, algorithms: &[&str]) -> ExhibitAudit {
        ExhibitAudit {
            exhibit: ExhibitId::unchecked(exhibit),
            roots: vec!["/ev".into()],
            algorithms: algorithms.iter().map(|a| a.to_string()).collect(),
            counts: AuditCounts {
                examined: 2,
                matched: if intact { 2 } else { 1 },
                ..AuditCounts::default()
            },
            differences: Vec::new(),
            ewf: Vec::new(),
        }
    }

    fn recorded() -> BTreeMap<ExhibitId, Vec<String>> {
        ["E1", "E2", "E3", "E4"]
            .iter()
            .map(|x| {
                (
                    ExhibitId::unchecked(*x),
                    vec!["sha1".into(), "sha256".into()],
                )
            })
            .collect()
    }

    fn paragraph(audits: &[ExhibitAudit], not_audited: &[ExhibitId]) -> String {
        let fp = Fingerprint::parse("SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA").unwrap();
        let recorded = recorded();
        evidence_paragraph(&Facts {
            principal: "j@x",
            fingerprint: &fp,
            role: "examiner",
            signer_entry: 0,
            case_id: "C-1",
            when: "T",
            tool: "custodian 0",
            audits,
            recorded: &recorded,
            not_audited,
        })
    }

    #[test]
    fn a_certification_without_audits_certifies_the_records_only() {
        let s = paragraph(&[], &[ExhibitId::unchecked("E1")]);
        assert!(!s.contains("preserved") && !s.contains("unchanged"), "{s}");
        assert!(
            s.contains("not re-examined") && s.contains("records only"),
            "{s}"
        );
        assert_eq!(
            evidence_examined(&[], &recorded(), &[ExhibitId::unchecked("E1")]),
            "not-re-examined"
        );
    }

    #[test]
    fn a_certification_says_unchanged_only_of_what_matched_with_every_algorithm() {
        let audits = [
            audit("E1", true, &["sha1", "sha256"]),
            audit("E2", false, &["sha256"]),
            audit("E4", true, &["sha256"]),
        ];
        let s = paragraph(&audits, &[ExhibitId::unchecked("E3")]);
        assert!(
            s.contains("exhibit(s) E1 (sha1+sha256) was re-hashed for this report with every algorithm recorded at acquisition and matched"),
            "{s}"
        );
        assert!(
            s.contains("exhibit(s) E2 (sha256) was re-hashed for this report and does NOT match"),
            "{s}"
        );
        assert!(
            s.contains("exhibit E4 was re-hashed for this report with sha256 only (recorded at acquisition: sha1, sha256)"),
            "{s}"
        );
        assert_eq!(s.matches("unchanged").count(), 1, "{s}");
        assert!(s.contains("exhibit(s) E3 was not re-examined"), "{s}");
        assert_eq!(
            evidence_examined(&audits, &recorded(), &[ExhibitId::unchecked("E3")]),
            "partly"
        );
        let all = [audit("E1", true, &["sha1", "sha256"])];
        assert_eq!(evidence_examined(&all, &recorded(), &[]), "all-algorithms");
    }

    #[test]
    fn the_declaration_names_its_law_date_and_place() {
        let fp = Fingerprint::parse("SHA256:PdMNSBekvNswrkFc75VlU5a+MULKjNequ3XBBe/CiGA").unwrap();
        let recorded = recorded();
        let facts = Facts {
            principal: "j@x",
            fingerprint: &fp,
            role: "supervisor",
            signer_entry: 0,
            case_id: "C-1",
            when: "T",
            tool: "custodian 0",
            audits: &[],
            recorded: &recorded,
            not_audited: &[],
        };
        let mut req = CertifyRequest {
            examiner: "j@x".into(),
            qualifications: "GCFA, 8 years".into(),
            declaration: Declaration::Fre90214,
            place: "Lyon, France".into(),
            signing_key: None,
        };
        let s = statement(&req, &facts, "2026-01-01");
        assert!(s.starts_with("I, j@x, declare as follows."), "{s}");
        assert!(
            s.contains("My qualifications, as I state them: GCFA, 8 years."),
            "{s}"
        );
        assert!(s.ends_with("I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct. Executed on 2026-01-01 at Lyon, France."), "{s}");
        req.declaration = Declaration::Iso27037;
        let s = statement(&req, &facts, "2026-01-01");
        assert!(s.contains("ACPO principle 3"), "{s}");
        assert!(!s.contains("perjury"), "{s}");
    }
}
