//! `custodian verify`: check a case's ledger from its bytes alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::audit::{audit_case, resolve_evidence, AuditAlgorithms, ExhibitAudit};
use custodian::custody::Finding;
use custodian::ledger::{RootOfTrust, Severity, VerifyOptions};
use serde_json::json;

use super::args::TrustArgs;
use super::common::{open_case, print_json};
use super::progress::with_bar;
use super::term::{outln, verdictln, Tone};
use super::{EXIT_INVALID, EXIT_OK};
use custodian::hashing::HashOptions;
use custodian::label::Reference;

/// Version of the `verify --json` output object (docs/spec/verify-json.md).
pub const VERIFY_JSON_VERSION: u32 = 1;

/// Verify the case ledger: every line, signature, signer and link.
///
/// Checks that every line parses and is in canonical form, sequence numbers
/// run 0, 1, 2 … without gaps, each entry's prev is the hash of the line
/// before, every signature verifies, every signer was trusted (added and not
/// revoked) when it signed, and timestamps do not go backwards (a warning).
/// Every checkpoint kept in CASE/checkpoints/ must still hold: the ledger
/// still has its entries and gives its root, and a signer of the case
/// signed it (a ledger cut back or rewritten below one fails).
/// With --trust or --allowed-signers, entry 0's key must be one you trust
/// (on a line that allows it at entry 0's time); without, the root of trust
/// is reported as self-asserted (a warning).
///
/// Exit codes: 0 the ledger is as recorded; 1 it is not (the first problem
/// names the entry and why); 2 usage or I/O error (e.g. no such case).
/// Warnings do not change the exit code unless --strict is given; custody
/// findings do not unless --fail-on (or --strict) says so.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian verify cases/2026-0042\n  custodian verify cases/2026-0042 --trust SHA256:4Hn0… --json\n  custodian verify cases/2026-0042 --expect-head $(cat last-head) --quiet\n  custodian verify cases/2026-0042 --label \"$(zbarimg --raw -q EXH-001.png)\""
)]
pub struct VerifyArgs {
    /// The case folder.
    pub case: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A head hash printed by an earlier verify: fail if the ledger no
    /// longer contains that entry (it was truncated or rewritten).
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<String>,
    /// An entry count printed by an earlier verify: fail if the ledger now
    /// has fewer entries.
    #[arg(long, value_name = "N")]
    pub expect_size: Option<u64>,
    /// A checkpoint signed earlier (`custodian checkpoint`): fail unless the
    /// ledger's first SIZE entries still give its root (checkpoint-mismatch,
    /// checkpoint-truncated) and a signer of the case signed it.
    #[arg(long, value_name = "FILE")]
    pub expect_checkpoint: Option<PathBuf>,
    /// PEM file of CA certificates: every attached RFC 3161 timestamp's TSA
    /// certificate must chain to one of them (level 4 of
    /// docs/guide/timestamps.md); without it that level is reported as not checked.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
    /// Re-hash evidence and audit it against its exhibit's manifest:
    /// EXHIBIT=PATH (the evidence is now at PATH; repeat for an exhibit
    /// acquired from several paths) or PATH (an exhibit's recorded path).
    /// Repeatable. Each object gets one status: matched, changed, missing,
    /// new, moved, type-changed, unreadable or unverifiable. An E01 image
    /// whose acquisition recorded its media digests also has its media
    /// re-read, every chunk checked, and the digests compared with those
    /// recorded and those stored in the image (docs/guide/interop.md).
    #[arg(long, value_name = "EXHIBIT=PATH|PATH")]
    pub evidence: Vec<String>,
    /// Audit only these exhibits (repeatable).
    #[arg(long, value_name = "ID", requires = "evidence")]
    pub exhibit: Vec<String>,
    /// The recorded digest to re-compute (default: the strongest recorded).
    #[arg(
        long,
        value_name = "ALGO",
        conflicts_with = "all_algorithms",
        requires = "evidence"
    )]
    pub algorithm: Option<String>,
    /// Re-compute every recorded digest, not only the strongest.
    #[arg(long, requires = "evidence")]
    pub all_algorithms: bool,
    /// Files re-hashed in parallel (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Fail (exit 1) also on custody and authority findings of this
    /// severity or worse: error (only errors; the default), high, medium,
    /// low, or warning (low plus every verification warning). For CI, e.g.
    /// --fail-on high fails on CUS-OVERRIDE and CUS-TRANSIT.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Same as --fail-on warning: treat warnings (clock regression,
    /// self-asserted root of trust, unknown entry types) and every custody
    /// or authority finding as failures.
    #[arg(long)]
    pub strict: bool,
    /// Verify signatures one at a time, exactly as ssh-keygen does, instead
    /// of in faster batches.
    #[arg(long)]
    pub no_batch: bool,
    /// Check a label's reference (the text of its QR code) against the
    /// ledger (docs/spec/label.md): exit 1 if it does not match, or if a
    /// bag label is stale (seal broken, exhibit released); 2 if malformed.
    #[arg(long, value_name = "REFERENCE")]
    pub label: Option<String>,
    /// Print one JSON object (docs/spec/verify-json.md).
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Print nothing; only the exit code tells.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How serious something must be to make `verify` fail (design
/// custody-v2 §4): `error` fails only on errors; `high`, `medium` and `low`
/// also on custody and authority findings of that severity or worse;
/// `warning` is `low` plus every verification warning.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailOn {
    Error,
    High,
    Medium,
    Low,
    Warning,
}

impl FailOn {
    fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low => "low",
            FailOn::Warning => "warning",
        }
    }

    /// Whether `f` makes the run fail: only custody and authority findings
    /// gate (hash-set matches and acquisition notes are facts about the
    /// evidence, reported but never gating).
    fn gates(self, f: &Finding) -> bool {
        if !(f.id.starts_with("CUS-") || f.id.starts_with("AUT-")) {
            return false;
        }
        let needed = match f.severity {
            "critical" | "high" => FailOn::High,
            "medium" => FailOn::Medium,
            _ => FailOn::Low,
        };
        self >= needed
    }
}

/// What one `verify` run found: the ledger report (with checkpoint,
/// timestamp and evidence problems added), the audits and timestamps.
struct Checked {
    case: custodian::Case,
    report: custodian::ledger::Report,
    timestamps: Vec<custodian::timestamp::TokenCheck>,
    audits: Vec<ExhibitAudit>,
}

/// The verdict: the findings, which of them gate, and whether the run passes.
struct Verdict {
    fail_on: FailOn,
    findings: Vec<Finding>,
    gating: Vec<bool>,
    ok: bool,
}

/// What `--label` found: not asked, not checked (the ledger is not as
/// recorded, so no reference can be checked against it), or the verdict.
enum LabelOutcome {
    NotAsked,
    NotChecked(Reference),
    Checked(Box<custodian::label::Checked>),
}

impl LabelOutcome {
    /// A verdict that fails the run: a mismatch or a stale bag label.
    fn fails(&self) -> bool {
        matches!(self, LabelOutcome::Checked(c) if !c.is_genuine())
    }
}

pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    // A malformed reference is refused before anything is read.
    let reference = args
        .label
        .as_deref()
        .map(Reference::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--label: not a label reference: {e}"))?;
    let checked = check(&args)?;
    let mut verdict = judge(&args, &checked.report);
    let label = match reference {
        None => LabelOutcome::NotAsked,
        Some(r) if !checked.report.is_valid() => LabelOutcome::NotChecked(r),
        Some(r) => LabelOutcome::Checked(Box::new(custodian::label::check(
            checked.case.ledger(),
            &checked.report,
            &r,
        )?)),
    };
    verdict.ok &= !label.fails();
    if args.json {
        print_report_json(&args, &checked, &verdict, &label);
    } else if !args.quiet {
        print_human(&checked, &verdict, &label);
    }
    Ok(ExitCode::from(if verdict.ok {
        EXIT_OK
    } else {
        EXIT_INVALID
    }))
}

/// Verifies the ledger, the checkpoint and timestamps, and the evidence.
fn check(args: &VerifyArgs) -> Result<Checked> {
    let trusted_roots = args.trust.roots()?;
    let tsa_ca = args
        .tsa_ca
        .as_deref()
        .map(custodian::timestamp::TrustAnchors::read)
        .transpose()?;
    let case = open_case(&args.case)?;
    let opts = VerifyOptions {
        trusted_roots,
        expect_head: args.expect_head.clone(),
        expect_size: args.expect_size,
        no_batch: args.no_batch,
    };
    let mut report = case
        .verify(&opts)
        .with_context(|| format!("cannot verify case {}", args.case.display()))?;
    // The checkpoints the case keeps pin its history too (issue 17 item 10).
    let saved = custodian::checkpoint::check_saved(case.dir(), case.ledger(), &report.state)?;
    report.problems.extend(saved);
    if let Some(path) = &args.expect_checkpoint {
        let found = custodian::checkpoint::expect_checkpoint(case.ledger(), &report.state, path)?;
        report.problems.extend(found);
    }
    let timestamps = super::timestamp::check_attached(&case, &mut report, tsa_ca.as_ref())?;
    let audits = audit_evidence(args, &case, &mut report)?;
    Ok(Checked {
        case,
        report,
        timestamps,
        audits,
    })
}

/// The threshold (`--strict` is `--fail-on warning`), the findings and
/// whether the run passes.
fn judge(args: &VerifyArgs, report: &custodian::ledger::Report) -> Verdict {
    let fail_on = if args.strict {
        FailOn::Warning
    } else {
        args.fail_on
    };
    let findings = custodian::findings::recorded(&report.state, chrono::Utc::now());
    let gating: Vec<bool> = findings.iter().map(|f| fail_on.gates(f)).collect();
    let warned = fail_on == FailOn::Warning && report.warnings().next().is_some();
    let ok = report.is_valid() && !warned && !gating.contains(&true);
    Verdict {
        fail_on,
        findings,
        gating,
        ok,
    }
}

/// The one JSON object of `--json` (docs/spec/verify-json.md).
fn print_report_json(args: &VerifyArgs, c: &Checked, v: &Verdict, label: &LabelOutcome) {
    let report = &c.report;
    let active = report.state.active_signers().count();
    let findings: Vec<_> = v
        .findings
        .iter()
        .zip(&v.gating)
        .map(|(f, gating)| {
            let mut o = serde_json::to_value(f).expect("a finding serialises");
            o["gating"] = json!(gating);
            o
        })
        .collect();
    let mut out = json!({
        "version": VERIFY_JSON_VERSION,
        "result": if v.ok { "valid" } else { "invalid" },
        "case": args.case,
        "case_id": report.state.case.as_ref().map(|c| &c.case_id),
        "ledger": c.case.ledger().path(),
        "entries": report.entries,
        "bytes": report.bytes,
        "head": report.head,
        "root_of_trust": report.root_of_trust,
        "types": report.types,
        "signers": {"active": active, "revoked": report.state.signers.len() - active},
        "errors": report.errors().count(),
        "warnings": report.warnings().count(),
        "strict": args.strict,
        "fail_on": v.fail_on.as_str(),
        "problems": report.problems,
        "evidence": c.audits,
        "findings": findings,
        "timestamps": c.timestamps,
    });
    match label {
        LabelOutcome::NotAsked => {}
        LabelOutcome::NotChecked(r) => {
            out["label"] = json!({
                "reference": r.to_string(),
                "kind": r.kind(),
                "verdict": "not-checked",
                "reason": "the ledger is not as recorded",
            });
        }
        LabelOutcome::Checked(l) => {
            out["label"] = serde_json::to_value(l).expect("a label check serialises");
        }
    }
    print_json(&out);
}

/// The human summary: the ledger, the evidence and timestamps, then the
/// problems, findings and result.
fn print_human(c: &Checked, v: &Verdict, label: &LabelOutcome) {
    let report = &c.report;
    let types: Vec<String> = report
        .types
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    outln!("ledger:  {}", c.case.ledger().path().display());
    if let Some(c) = &report.state.case {
        outln!("case:    {} \"{}\"", c.case_id, c.title);
    }
    outln!(
        "entries: {} ({}), {} bytes",
        report.entries,
        types.join(", "),
        report.bytes
    );
    let active = report.state.active_signers().count();
    let revoked = report.state.signers.len() - active;
    outln!("signers: {active} active, {revoked} revoked");
    outln!(
        "trust:   {}",
        match report.root_of_trust {
            RootOfTrust::Trusted => "entry 0's key is one you trust",
            RootOfTrust::SelfAsserted => "self-asserted (no --trust or --allowed-signers given)",
            RootOfTrust::Untrusted => "UNTRUSTED: entry 0's key is not one you trust",
        }
    );
    if let Some(h) = &report.head {
        outln!("head:    {h} (size {})", report.entries);
    }
    print_checks(&c.audits, &c.timestamps);
    print_label(label);
    print_outcome(report, v, label);
}

/// The label's reference, the verdict on it and each exhibit it names as
/// the ledger has it now.
fn print_label(label: &LabelOutcome) {
    use custodian::label::Verdict as V;
    let l = match label {
        LabelOutcome::NotAsked => return,
        LabelOutcome::NotChecked(r) => {
            outln!("label:   {r}");
            outln!("label:   NOT CHECKED: the ledger is not as recorded");
            return;
        }
        LabelOutcome::Checked(l) => l,
    };
    outln!("label:   {}", l.reference);
    let named = label_names(l);
    match &l.verdict {
        V::Genuine => outln!("label:   GENUINE: it names {named}"),
        V::Stale { reasons } => outln!(
            "label:   STALE: it names {named}; since then {}",
            reasons.join("; ")
        ),
        V::Mismatch { reason } => outln!("label:   MISMATCH: {reason}"),
    }
    for x in &l.exhibits {
        let holder = x.holder_principal.as_deref().unwrap_or(&x.holder);
        let mut line = format!(
            "exhibit: {} {:?}: {}",
            x.exhibit,
            x.description.as_deref().unwrap_or("(no description)"),
            x.status
        );
        if let Some(s) = &x.seal {
            line.push_str(&format!(" (seal {s:?})"));
        }
        line.push_str(&format!(", held by {holder}"));
        if let Some(loc) = &x.location {
            line.push_str(&format!(", at {loc}"));
        }
        outln!("{line}");
    }
}

/// What a label names, in words: the exhibit and its acquisition, or the
/// seal, its application and its exhibits.
fn label_names(l: &custodian::label::Checked) -> String {
    if let Some(s) = &l.seal {
        return format!(
            "seal {:?} applied at entry {} ({}) to {}",
            s.seal,
            s.applied_entry,
            s.applied_time,
            s.exhibits.join(", ")
        );
    }
    match l.exhibits.first() {
        Some(x) => format!(
            "exhibit {} acquired at entry {} ({})",
            x.exhibit, x.acquired_entry, x.acquired_time
        ),
        None => "nothing in this case".to_string(),
    }
}

/// One line per evidence audit (with its E01 re-checks) and per timestamp.
fn print_checks(audits: &[ExhibitAudit], timestamps: &[custodian::timestamp::TokenCheck]) {
    for a in audits {
        let c = &a.counts;
        outln!(
            "evidence {}: {} examined: {} matched, {} changed, {} missing, {} new, {} moved, {} type-changed, {} unreadable, {} unverifiable ({} bytes re-hashed, {})",
            a.exhibit, c.examined, c.matched, c.changed, c.missing, c.new, c.moved, c.type_changed, c.unreadable, c.unverifiable, c.bytes, a.algorithms.join("+")
        );
        for e in &a.ewf {
            print_ewf_recheck(&a.exhibit, e);
        }
    }
    for t in timestamps {
        outln!(
            "timestamp entry {}: checkpoint {} at {} by {} (serial {}): {}",
            t.entry,
            t.size,
            t.gen_time,
            t.tsa,
            t.serial,
            t.verdict
        );
        if let Some(levels) = &t.levels {
            super::timestamp::print_levels(levels, "  ");
        }
    }
}

/// The problems, the findings (those that fail the run by name) and the
/// result line.
fn print_outcome(report: &custodian::ledger::Report, v: &Verdict, label: &LabelOutcome) {
    for p in &report.problems {
        let sev = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        outln!("{sev}: [{}] {}", p.code, p.message);
    }
    // Hash-set matches are facts about the evidence, not custody
    // weaknesses: each is listed on its own line.
    let (hash_findings, other): (Vec<_>, Vec<_>) =
        v.findings.iter().partition(|f| f.id.starts_with("HASH-"));
    for f in &hash_findings {
        outln!("finding: [{}] {}", f.id, f.message);
    }
    let gating: Vec<&Finding> = v
        .findings
        .iter()
        .zip(&v.gating)
        .filter_map(|(f, g)| g.then_some(f))
        .collect();
    for f in &gating {
        outln!("finding: [{}] ({}) {}", f.id, f.severity, f.message);
    }
    if !other.is_empty() && gating.is_empty() {
        outln!(
            "custody: {} finding(s) that weaken the chain of custody (see `custodian status`); they do not make the ledger invalid",
            other.len()
        );
    }
    let (errors, warnings) = (report.errors().count(), report.warnings().count());
    if v.ok {
        let genuine = match label {
            LabelOutcome::Checked(_) => "; the label is genuine",
            _ => "",
        };
        verdictln!(
            Tone::Good,
            "result:  VALID: the ledger is as recorded ({warnings} warning(s)){genuine}"
        );
    } else if let Some(first) = report.errors().next() {
        verdictln!(
            Tone::Bad,
            "result:  NOT AS RECORDED: {errors} error(s); first: {}",
            first.message
        );
    } else if let Some(why) = label_failure(label) {
        verdictln!(Tone::Bad, "result:  NOT AS RECORDED: {why}");
    } else if !gating.is_empty() {
        verdictln!(
            Tone::Bad,
            "result:  FAILED: {} finding(s) at or above --fail-on {}",
            gating.len(),
            v.fail_on.as_str()
        );
    } else {
        verdictln!(
            Tone::Bad,
            "result:  NOT AS RECORDED: {warnings} warning(s) under --strict"
        );
    }
}

/// Why the label fails the run, if it does.
fn label_failure(label: &LabelOutcome) -> Option<&'static str> {
    use custodian::label::Verdict as V;
    match label {
        LabelOutcome::Checked(l) => match l.verdict {
            V::Genuine => None,
            V::Stale { .. } => Some("the label is stale: the bag is no longer as it says"),
            V::Mismatch { .. } => Some("the label does not match the ledger"),
        },
        _ => None,
    }
}

/// Runs the `--evidence` audits, adding one problem per difference.
fn audit_evidence(
    args: &VerifyArgs,
    case: &custodian::Case,
    report: &mut custodian::ledger::Report,
) -> Result<Vec<ExhibitAudit>> {
    if args.evidence.is_empty() {
        return Ok(Vec::new());
    }
    let algorithms = match (&args.algorithm, args.all_algorithms) {
        (_, true) => AuditAlgorithms::All,
        (Some(a), false) => AuditAlgorithms::One(a.parse()?),
        (None, false) => AuditAlgorithms::Strongest,
    };
    let mut plan =
        resolve_evidence(&report.state.exhibits, &args.evidence).map_err(anyhow::Error::msg)?;
    if !args.exhibit.is_empty() {
        if let Some(x) = args
            .exhibit
            .iter()
            .find(|x| !plan.iter().any(|(id, _)| id == *x))
        {
            anyhow::bail!(
                "--exhibit {x}: not among the exhibits selected by --evidence ({})",
                plan.iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        plan.retain(|(id, _)| args.exhibit.iter().any(|x| x == id));
    }
    let roots: Vec<std::path::PathBuf> = plan.iter().flat_map(|(_, r)| r.clone()).collect();
    let audits = with_bar(
        &roots,
        &HashOptions::default(),
        args.quiet || args.json,
        |bar| audit_case(case, report, plan, algorithms, args.jobs, bar),
    );
    Ok(audits?)
}

/// The E01 media re-check of one image, for humans: what was read, how
/// fast, the three pairs of digests, and the verdict with its reason.
fn print_ewf_recheck(exhibit: &str, e: &custodian::interop::ewf::EwfRecheck) {
    let d = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    outln!(
        "evidence {exhibit}: E01 {}: {} media bytes in {} segment(s) re-read in {:.3} s ({:.1} MiB/s)",
        e.image.display(),
        e.media_size.map_or("?".into(), |m| m.to_string()),
        e.segments.len(),
        e.seconds,
        e.bytes_per_second / (1 << 20) as f64
    );
    for (name, rec, st, now) in [
        ("MD5  ", &e.recorded.md5, &e.stored.md5, &e.computed.md5),
        ("SHA-1", &e.recorded.sha1, &e.stored.sha1, &e.computed.sha1),
    ] {
        outln!(
            "  {name} at acquisition {}, stored in image {}, computed now {}",
            d(rec),
            d(st),
            d(now)
        );
    }
    let verdict = if e.intact {
        "intact (media match the acquisition's and the image's digests; every chunk checks)"
            .to_string()
    } else if let Some(p) = e.problems.first() {
        format!("NOT AS RECORDED: {}", p.message)
    } else {
        "NOT AS RECORDED".to_string()
    };
    outln!("  verdict: {verdict}");
}
