//! Findings: everything that weakens a chain of custody or the proof that
//! evidence is unchanged, gathered from the ledger check, the manifests, the
//! evidence audit and the custody replay, each with a stable id and a
//! sentence a lawyer understands. The catalogue is `docs/guide/findings.md`.

use chrono::{DateTime, Utc};

use crate::audit::ExhibitAudit;
use crate::custody::Finding;
use crate::ledger::{CaseState, ExhibitId, Report, Severity};

/// One sentence per finding id, for readers who are not examiners.
pub fn explain(id: &str) -> &'static str {
    match id {
        "LED-TAMPERED" => "The ledger is not as it was written: an entry was altered, removed, inserted, reordered or forged, so the custody record cannot be relied on from that entry on.",
        "LED-TORN" => "The ledger ends with an incomplete entry, as left by a crash during writing; it must be repaired and the incomplete bytes examined.",
        "SIG-UNTRUSTED" => "An entry was signed by a key that was not, or was no longer, authorised to sign for this case.",
        "SIG-ROOT-SELF-ASSERTED" => "Nobody outside the ledger confirmed which key opened the case; anyone could have created the whole record with a new key.",
        "SIG-ROOT-UNTRUSTED" => "The key that opened the case is not one the checker was told to trust.",
        "CLK-REGRESSION" => "An entry is dated earlier than the one before it, so at least one signer's clock was wrong.",
        "MAN-MISMATCH" => "A file list recorded at acquisition was changed afterwards; the digests it holds are not the ones that were signed.",
        "MAN-MISSING" => "A file list recorded at acquisition is missing, so the individual files of that exhibit cannot be checked.",
        "EVD-CHANGED" => "A file's content today differs from its content at acquisition.",
        "EVD-MISSING" => "A file present at acquisition is no longer there.",
        "EVD-NEW" => "A file is present today that was not there at acquisition.",
        "EVD-MOVED" => "A file is present with its original content but under another name or folder.",
        "EVD-TYPE-CHANGED" => "An item changed kind since acquisition (for example a file replaced by a link).",
        "EVD-UNREADABLE" => "A file could not be read during this check, so it is not confirmed unchanged.",
        "EVD-UNVERIFIABLE" => "A file could not be read at acquisition, so there is no recorded digest to compare it with.",
        "EVD-NOT-AUDITED" => "The evidence of an exhibit was not compared because its file list does not match the signed record.",
        "EWF-MISMATCH" => "A forensic image's media no longer hash to the digests its imager stored in it (or it could not be read), so the image is not what the imager produced.",
        "IMP-HASH-MISMATCH" => "A digest that the imaging tool's log states for an imported acquisition differs from the digest of the image as custodian read it: the image is not what the log describes, or the log was altered.",
        "ATT-CHANGED" => "A file attached to the case (a photo, a scan, a form, a log) is missing from the case folder or no longer matches the digest recorded when it was attached.",
        "HASH-KNOWN-BAD" => "A file of the exhibit has the same digest as a file in a hash set of known contraband or malicious files; the file is, with near certainty, that known file.",
        "HASH-NOTABLE" => "A file of the exhibit has the same digest as a file in a hash set the investigation marked as notable; it deserves an examiner's attention.",
        "ACQ-UNREADABLE" => "Some files could not be read when the exhibit was acquired; they have no recorded digest.",
        "ACQ-CHANGED-DURING-READ" => "Some files changed while they were being read at acquisition; their digests may not match any single state of the file.",
        "CUS-OVERRIDE" => "An examiner recorded an action that the custody rules would have refused, giving a reason; the reason should be weighed.",
        "CUS-GAP" => "An exhibit spent more than three days in transit between two custodians, a period in which nobody acknowledged holding it.",
        "CUS-TRANSIT" => "An exhibit was handed over but the receiver never signed for it, so nobody has acknowledged holding it.",
        "CUS-CHECKOUT" => "An exhibit was taken out for examination a long time ago and has not been recorded as returned.",
        "CUS-BACKDATED" => "An action was recorded well after it is said to have happened (or dated in the future); the stated time rests on the signer's word.",
        "AUT-MISSING" => "An action that needs a legal authority cites none that is registered in the case.",
        "AUT-SCOPE" => "An action cites a legal authority that does not cover the exhibit concerned.",
        "AUT-EXPIRED" => "An action happened outside the validity period of the legal authority it cites.",
        "TSA-INVALID" => "A trusted timestamp recorded in the case does not verify (its file was replaced, it does not cover this ledger, or the time-stamping authority's signature or certificate fails), so it proves nothing about when the record existed.",
        "TSA-UNVERIFIED" => "A trusted timestamp's signature is sound, but its authority's certificate was not checked against a trusted CA certificate, so who vouches for the time is not established.",
        _ => "See docs/guide/findings.md.",
    }
}

/// The finding id for a `verify` problem code.
pub fn id_for_problem(code: &str) -> &'static str {
    match code {
        "torn-tail" | "event-torn" => "LED-TORN",
        "unknown-signer" | "revoked-signer" => "SIG-UNTRUSTED",
        "self-asserted-root" => "SIG-ROOT-SELF-ASSERTED",
        "untrusted-root" => "SIG-ROOT-UNTRUSTED",
        "clock-regression" => "CLK-REGRESSION",
        "manifest-mismatch" | "manifest-unreadable" => "MAN-MISMATCH",
        "manifest-missing" => "MAN-MISSING",
        "evidence-changed" => "EVD-CHANGED",
        "evidence-missing" => "EVD-MISSING",
        "evidence-new" => "EVD-NEW",
        "evidence-moved" => "EVD-MOVED",
        "evidence-type-changed" => "EVD-TYPE-CHANGED",
        "evidence-unreadable" => "EVD-UNREADABLE",
        "evidence-unverifiable" => "EVD-UNVERIFIABLE",
        "evidence-not-audited" => "EVD-NOT-AUDITED",
        c if c.starts_with("timestamp-") => "TSA-INVALID",
        "attachment-missing" | "attachment-changed" | "attachment-unreadable" => "ATT-CHANGED",
        "evidence-ewf-chunk" | "evidence-ewf-digest" | "evidence-ewf-unreadable" => "EWF-MISMATCH",
        _ => "LED-TAMPERED",
    }
}

fn severity_for_problem(p: &crate::ledger::Problem) -> &'static str {
    match (p.severity, p.code) {
        (_, "self-asserted-root") => "medium",
        (Severity::Warning, _) => "low",
        (Severity::Error, c) if c.starts_with("evidence-") || c.starts_with("manifest-") => "high",
        (Severity::Error, c) if c.starts_with("timestamp-") || c.starts_with("attachment-") => {
            "high"
        }
        (Severity::Error, _) => "critical",
    }
}

/// Every finding of a verified case, in a stable order: ledger and signer
/// problems, manifests and evidence, acquisitions, then custody (in ledger
/// order). `now` dates the open-ended ones (overdue check-outs) so that a
/// report with a fixed generation time is reproducible.
pub fn collect(report: &Report, _audits: &[ExhibitAudit], now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &report.problems {
        if p.code == "unknown-type" || p.code == "orphan-manifest" {
            continue;
        }
        // Manifest and evidence problems name the acquisition entry.
        let about_exhibit = p.code.starts_with("evidence-") || p.code.starts_with("manifest-");
        let exhibits: Vec<ExhibitId> = match p.entry {
            Some(seq) if about_exhibit => report
                .state
                .exhibits
                .iter()
                .filter(|(_, x)| x.acquired_seq == seq)
                .map(|(id, _)| id.clone())
                .collect(),
            _ => Vec::new(),
        };
        out.push(Finding {
            id: id_for_problem(p.code),
            severity: severity_for_problem(p),
            entries: p.entry.into_iter().collect(),
            exhibits,
            message: p.message.clone(),
        });
    }
    out.extend(recorded(&report.state, now));
    out
}

/// The findings recorded in the ledger itself, as opposed to problems found
/// by checking it: acquisitions with unreadable, changing or damaged
/// (E01) evidence, files found in known-bad or notable hash sets, and
/// custody findings, as of `now`.
pub fn recorded(state: &CaseState, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, x) in &state.exhibits {
        let c = &x.acquisition.counts;
        if c.errors > 0 {
            out.push(Finding {
                id: "ACQ-UNREADABLE",
                severity: "medium",
                entries: vec![x.acquired_seq],
                exhibits: vec![id.clone()],
                message: format!(
                    "{} object(s) of exhibit {id} could not be read at acquisition",
                    c.errors
                ),
            });
        }
        for img in &x.acquisition.ewf {
            for problem in &img.problems {
                out.push(Finding {
                    id: "EWF-MISMATCH",
                    severity: "high",
                    entries: vec![x.acquired_seq],
                    exhibits: vec![id.clone()],
                    message: format!("E01 image {} of exhibit {id}: {problem}", img.image),
                });
            }
        }
        if c.changed_during_read > 0 {
            out.push(Finding {
                id: "ACQ-CHANGED-DURING-READ",
                severity: "high",
                entries: vec![x.acquired_seq],
                exhibits: vec![id.clone()],
                message: format!(
                    "{} file(s) of exhibit {id} changed while they were being read at acquisition",
                    c.changed_during_read
                ),
            });
        }
    }
    out.extend(import_findings(state));
    out.extend(hashset_findings(state));
    out.extend(state.custody.recorded_breaches.iter().cloned());
    out.extend(state.custody.open_findings(now));
    out
}

/// One high finding per digest an imported acquisition's log states that
/// the image, as custodian read it at import, does not have.
pub fn import_findings(state: &CaseState) -> Vec<Finding> {
    let mut out = Vec::new();
    for (exhibit, (seq, i)) in &state.imports {
        for c in i.checks.iter().filter(|c| !c.matched) {
            out.push(Finding {
                id: "IMP-HASH-MISMATCH",
                severity: "high",
                entries: vec![*seq],
                exhibits: vec![exhibit.clone()],
                message: format!(
                    "the {} log {} states {} {} {} (line {}), but {}",
                    custodian_format::attachment::import_tool_name(&i.format),
                    i.log.name,
                    c.stage,
                    c.algorithm,
                    c.logged,
                    c.line,
                    match &c.computed {
                        Some(h) => format!("the image of exhibit {exhibit} hashes to {h}"),
                        None => format!(
                            "the image of exhibit {exhibit} could not be read to check it ({})",
                            i.image.problem.as_deref().unwrap_or("reason not recorded")
                        ),
                    }
                ),
            });
        }
    }
    out
}

/// One finding per file found in a known-bad or notable hash set, by
/// exhibit; a match recorded again by a later `exhibit.hashset-match` entry
/// (same file, set, algorithm and digest) adds that entry to the finding.
pub fn hashset_findings(state: &crate::ledger::CaseState) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut seen: std::collections::HashMap<(ExhibitId, String, String, String, String), usize> =
        std::collections::HashMap::new();
    for (exhibit, runs) in &state.hashset_matches {
        for (seq, m) in runs {
            for hit in &m.matches {
                let key = (
                    exhibit.clone(),
                    hit.path.clone(),
                    hit.set.clone(),
                    hit.algorithm.clone(),
                    hit.digest.clone(),
                );
                if let Some(&i) = seen.get(&key) {
                    if !out[i].entries.contains(seq) {
                        out[i].entries.push(*seq);
                    }
                    continue;
                }
                let (id, severity) = match hit.kind.as_str() {
                    "known-bad" => ("HASH-KNOWN-BAD", "high"),
                    _ => ("HASH-NOTABLE", "medium"),
                };
                let version = m
                    .sets
                    .iter()
                    .find(|s| s.name == hit.set)
                    .and_then(|s| s.version.as_deref())
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default();
                seen.insert(key, out.len());
                out.push(Finding {
                    id,
                    severity,
                    entries: vec![*seq],
                    exhibits: vec![exhibit.clone()],
                    message: format!(
                        "file {} of exhibit {exhibit} is in {} hash set {}{version} ({} {})",
                        hit.path, hit.kind, hit.set, hit.algorithm, hit.digest
                    ),
                });
            }
        }
    }
    out
}
