//! The standards table: how custodian's records *address* each principle
//! of ISO/IEC 27037, the ACPO guidelines, NIST SP 800-86, FRE 901, 902(13)
//! and 902(14) and the Budapest Convention. Never "meets" or "complies":
//! each row says three separate things, so that a reader can weigh them
//! apart:
//!
//! - `proven`: what the signed ledger or a check made for this report
//!   establishes, computed from this report's own results (a check that was
//!   not run says "nothing");
//! - `stated`: what rests only on the examiner's own statement (role
//!   strings, seal numbers, locations, purposes, authority details …);
//! - `not_covered`: what custodian does not address at all (custodian's
//!   fixed text, the same in every report).

use super::{Report, Section, StandardRow};

/// The caption of the table, shared by the HTML and Markdown renderers.
pub const CAPTION: &str = "How custodian's records address ISO/IEC 27037, the ACPO principles, NIST SP 800-86, FRE 901(b)(9), 902(13) and 902(14) and the Budapest Convention. Each row separates what the ledger or a check made for this report proves, what is only the examiner's statement, and what custodian does not cover. Addressing a principle is not complying with it: that is for the court.";

/// What the certification rests on that is only the certifier's word:
/// who the certifier is comes from the ledger, what they state does not.
fn certifier(r: &Report) -> String {
    match &r.certification {
        Some(c) => format!(
            "the certification by {} (a signer of the case, key {}) and the qualifications the certifier states",
            c.principal, c.fingerprint
        ),
        None => "nothing: no certification was made for this report (report --certify)".into(),
    }
}

/// What ACPO principle 2 rests on that is only someone's statement.
fn competence_stated(r: &Report) -> String {
    let roles = "principals and role strings are the statement of whoever added the key; a role is not a qualification";
    match &r.certification {
        Some(c) => format!(
            "{roles}; the qualifications {} states in the certification",
            c.principal
        ),
        None => roles.into(),
    }
}

/// The words used when a column has nothing to say.
const NOTHING: &str = "nothing";

/// What this report's checks and ledger give, in the few phrases the rows
/// share.
struct Facts {
    valid: bool,
    ledger: String,
    evidence: String,
    audited: bool,
    algorithms: String,
    policy: String,
}

impl Facts {
    fn of(r: &Report) -> Facts {
        let algorithms: std::collections::BTreeSet<&str> = r
            .exhibits
            .iter()
            .flat_map(|e| e.algorithms.iter().map(String::as_str))
            .collect();
        let root = match serde_json::to_value(&r.verification.root_of_trust) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        };
        let ledger = if r.verification.ledger_result == "valid" {
            format!(
                "the {} ledger entries were verified for this report (signatures by keys authorised in the ledger, hash chain, custody rules) and are as signed{}",
                r.verification.entries,
                if root == "trusted" {
                    ", from a case-opening key confirmed from outside the ledger (--trust)"
                } else {
                    "; the case-opening key was NOT confirmed from outside the ledger, so its holder could have rewritten the whole ledger"
                }
            )
        } else {
            format!(
                "the ledger verification made for this report FAILED ({} problem(s), {}): the entries cannot be relied on as signed",
                r.verification.problems.len(),
                Section::Verification.see()
            )
        };
        let s = &r.summary;
        let evidence = match s.evidence.as_str() {
            "not-checked" => {
                "nothing about the evidence itself: it was not re-hashed for this report"
                    .to_string()
            }
            verdict => format!(
                "the evidence of {} was re-hashed for this report and {} its manifest{}",
                s.audited.join(", "),
                if verdict == "intact" {
                    "matches"
                } else {
                    "does NOT match"
                },
                if s.not_audited.is_empty() {
                    String::new()
                } else {
                    format!("; {} was not re-hashed", s.not_audited.join(", "))
                }
            ),
        };
        Facts {
            valid: r.verification.ledger_result == "valid",
            ledger,
            audited: s.evidence != "not-checked",
            evidence,
            algorithms: if algorithms.is_empty() {
                "none".into()
            } else {
                algorithms.into_iter().collect::<Vec<_>>().join(", ")
            },
            policy: r.case.authority_policy.clone(),
        }
    }

    /// `proven` when the ledger verified; else that nothing the ledger
    /// holds can be relied on.
    fn if_valid(&self, proven: String) -> String {
        if self.valid {
            proven
        } else {
            format!("nothing that rests on the ledger: its verification made for this report FAILED ({})", Section::Verification.see())
        }
    }

    /// What the authority check proves under the case's policy.
    fn authority(&self, r: &Report) -> String {
        let aut = r
            .summary
            .findings
            .iter()
            .filter(|f| f.id.starts_with("AUT-"))
            .count();
        if !self.valid {
            return self.if_valid(String::new());
        }
        if self.policy == "off" {
            return "nothing: the case's authority policy is \"off\", so the citations of legal authorities were not checked".into();
        }
        format!(
            "each acquisition, analysis, disclosure and cross-border transfer was checked (policy \"{}\") to cite an authority registered in the ledger, in scope and in date; {} authority finding(s); {} authorit(y/ies) registered",
            self.policy,
            aut,
            r.case.authorities.len()
        )
    }
}

/// One row.
fn row(framework: &str, principle: &str, proven: String, stated: &str, not: &str) -> StandardRow {
    StandardRow {
        framework: framework.into(),
        principle: principle.into(),
        proven,
        stated: stated.into(),
        not_covered: not.into(),
    }
}

/// Every row, computed from the rest of the report.
pub fn rows(r: &Report) -> Vec<StandardRow> {
    let f = Facts::of(r);
    let mut out = iso_27037(r, &f);
    out.extend(acpo(r, &f));
    out.extend(nist_fre_budapest(r, &f));
    out
}

fn iso_27037(r: &Report, f: &Facts) -> Vec<StandardRow> {
    const ISO: &str = "ISO/IEC 27037";
    let files: u64 = r.exhibits.iter().map(|e| e.files).sum();
    let errors: u64 = r.exhibits.iter().map(|e| e.errors).sum();
    let changing: u64 = r.exhibits.iter().map(|e| e.changed_during_read).sum();
    vec![
        row(ISO, "Auditability", format!("{}; each entry shows which key recorded the action, and in which order", f.ledger),
            "what each entry says happened: locations, purposes, seal numbers, reasons, and times given with --at",
            "actions that were never recorded; the correctness of recording times (the signers' own clocks)"),
        row(ISO, "Repeatability", if f.audited || !f.valid { f.evidence.clone() } else { format!("{}; the manifests match the digests signed in their acquisition entries", f.evidence) },
            NOTHING,
            &format!("repetition by another party or with another tool ({} gives the commands)", Section::Verification.see())),
        row(ISO, "Reproducibility", format!("the known-answer self-tests of the executable that generated this report {}", if r.reliability.all_passed { "passed" } else { "FAILED" }),
            NOTHING,
            &format!("whether anyone has reproduced the checks with the independent verifier or the commands of {}; custodian only publishes them", Section::Verification.see())),
        row(ISO, "Justifiability", f.authority(r),
            "every authority's reference, kind, issuer, dates and scope, as typed when it was registered (the case-opening authority is a reference only)",
            "whether an instrument exists, was lawfully issued, or permits the action in law"),
        row(ISO, "Identification and collection", f.if_valid(format!("{} exhibit(s), each identified by the digests (algorithms: {}) of every file in a manifest whose SHA-256 is signed", r.exhibits.len(), f.algorithms)),
            "each exhibit's description and source",
            "device make, model and serial number; that the source is what its description says"),
        row(ISO, "Acquisition", f.if_valid(format!("what the acquiring program recorded: {files} file(s) read, {errors} unreadable, {changing} changed while being read, every digest of a file computed from the same bytes; the acquiring executable's digest where recorded ({})", Section::Exhibits.see())),
            NOTHING,
            "write blockers; the state of the source before acquisition; unallocated space (custodian hashes files, or an image file as a whole)"),
        row(ISO, "Preservation", f.evidence.clone(),
            "seals, locations, check-outs, transfers and receipts: the ledger proves who recorded them and when, not the physical facts",
            "storage conditions; the physical state of seals and bags"),
    ]
}

fn acpo(r: &Report, f: &Facts) -> Vec<StandardRow> {
    const ACPO: &str = "ACPO";
    let opener = r
        .signers
        .iter()
        .find(|s| s.added_entry == 0)
        .map(|s| format!("{} (role \"{}\", entry 0)", s.principal, s.role))
        .unwrap_or_else(|| "not recorded".into());
    vec![
        row(ACPO, "1. No action should change data",
            if f.audited { format!("{}: reads by custodian did not change the content of what was re-hashed", f.evidence) } else { f.evidence.clone() },
            NOTHING,
            "changes before acquisition or by other programs; file-system metadata such as access times (custodian asks for O_NOATIME where permitted, which this report does not check)"),
        row(ACPO, "2. Competence to access original data",
            f.if_valid(format!("which key signed each action, and the role each key was given in a signed entry ({} signer(s), {}); roles limit what a key may record", r.signers.len(), Section::Signers.see())),
            &competence_stated(r),
            "anyone's competence, training or qualifications: custodian checks none (a certifier's qualifications are as the certifier states them)"),
        row(ACPO, "3. Audit trail that a third party can follow",
            format!("{}; head hash {}", f.ledger, r.verification.head.map_or_else(|| "none".into(), |h| h.to_hex())),
            "the content of each entry (see Auditability)",
            "whether a third party has examined the trail and reached the same result"),
        row(ACPO, "4. Responsibility of the officer in charge",
            f.if_valid(format!("which key opened the case: {opener}; who held each exhibit at each step, by the custody rules ({})", Section::Custody.see())),
            "that the holder of that key is the officer in charge",
            "responsibility in law; adherence to the law"),
    ]
}

fn nist_fre_budapest(r: &Report, f: &Facts) -> Vec<StandardRow> {
    let selftests = if r.reliability.all_passed {
        "passed"
    } else {
        "FAILED"
    };
    let binaries = binaries(r);
    vec![
        row("NIST SP 800-86", "Collection, examination, analysis, reporting",
            format!("collection: what was acquired, when, by which key, with which digests; reporting: this report; {}", f.ledger),
            "the descriptions in custody analysis entries",
            "examination and analysis of the data: custodian records that an analysis was made and the digests of its outputs, not what it found or whether it was sound"),
        row("FRE 901(b)(9)", "A process or system that produces an accurate result",
            format!("the known-answer self-tests of the executable that generated this report {selftests} ({}); {binaries}", Section::Reliability.see()),
            NOTHING,
            "the accuracy of an acquiring executable other than the one that generated this report (not tested here); the testimony of a witness about the process"),
        row("FRE 902(13)", "Records generated by an electronic process or system",
            format!("{}; the program that wrote each entry is named in it", f.ledger),
            &certifier(r),
            "whether the certifier is qualified and the declaration's legal sufficiency; the notice to the adverse party (Rule 902(11))"),
        row("FRE 902(14)", "Data identified by a process of digital identification",
            f.if_valid(format!("every file's digests (algorithms: {}) at acquisition, in signed manifests, {}; {}", f.algorithms, listed(r), f.evidence)),
            &certifier(r),
            "whether the certifier is qualified and the declaration's legal sufficiency; the notice to the adverse party (Rule 902(11))"),
        row("Budapest Convention (ETS No. 185)", "Procedural powers and mutual assistance (Articles 16-21, 29-35)",
            f.authority(r),
            "every authority's reference, kind, issuer, dates and scope; the destination jurisdictions of transfers",
            "whether national law or a mutual-assistance request permitted the action"),
    ]
}

/// Whether the exhibits were acquired by the executable that generated
/// this report, in one phrase.
fn binaries(r: &Report) -> String {
    let count = |v: &str| r.exhibits.iter().filter(|e| e.binary_match == v).count();
    let (same, different, unknown) = (count("same"), count("different"), count("unknown"));
    if r.exhibits.is_empty() {
        return "no exhibit was acquired".into();
    }
    format!("{same} exhibit(s) acquired by this same executable, {different} by a different build (its digest is given), {unknown} by an executable whose digest is not recorded ({})", Section::Exhibits.see())
}

/// Whether every file's digests are listed in this report.
fn listed(r: &Report) -> String {
    let hidden: u64 = r
        .exhibits
        .iter()
        .filter_map(|e| e.hashsets.as_ref())
        .filter(|h| h.known_good_hidden)
        .map(|h| h.known_good)
        .sum();
    if hidden == 0 {
        "all listed in this report".into()
    } else {
        format!("listed in this report except {hidden} known-good file(s) hidden with --hide-known-good (their digests are in the manifests)")
    }
}
