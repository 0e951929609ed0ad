//! `custodian report`: the admissibility report.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::audit::{audit_case, resolve_evidence, AuditAlgorithms, ExhibitAudit};
use custodian::keys::{SigningKey, REPORT_NAMESPACE};
use custodian::ledger::VerifyOptions;
use custodian::report::{self, Options};

use super::args::{OptionalKeyArg, TrustArgs};
use super::common::open_case;
use super::progress::with_bar;
use super::{EXIT_INVALID, EXIT_OK};
use custodian::hashing::HashOptions;

/// The output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Md,
    Json,
}

/// Write the admissibility report of a case: HTML, Markdown or JSON.
///
/// The report verifies the case now (ledger, manifests, and with --evidence
/// the evidence itself) and states: the case and its legal authorities; a
/// verdict and every finding that weakens the chain of custody, each with a
/// stable id, the entries it rests on and a plain explanation; each
/// exhibit's acquisition, digests and current custody; every exhibit's
/// custody timeline; what was verified and how a third party repeats it;
/// known-answer self-tests of the digest and signature code; the signers; a
/// mapping to ISO/IEC 27037, ACPO and FRE 902(14); and what the report does
/// not prove. JSON is the model (docs/spec/report-json.md); HTML and Markdown are
/// rendered from it. The same case, flags and generation time give
/// byte-identical output.
///
/// Exit code: 0 if everything checked is as recorded, 1 if not (the report
/// is written either way), 2 on usage or I/O errors.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian report cases/0042 --format html -o report.html\n  custodian report cases/0042 --format json --evidence EXH-001=/mnt/evidence/ssd.img\n  SOURCE_DATE_EPOCH=1767225600 custodian report cases/0042 --format md -o report.md --sign --key ~/.custodian/jdoe",
    mut_arg("key", |a| a.help("The signing key for --sign (or CUSTODIAN_KEY)"))
)]
pub struct ReportArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Re-hash evidence and include the audit: EXHIBIT=PATH or PATH
    /// (repeatable; see `custodian verify --evidence`).
    #[arg(long, value_name = "EXHIBIT=PATH|PATH")]
    pub evidence: Vec<String>,
    /// Report only on these exhibits (repeatable).
    #[arg(long, value_name = "ID")]
    pub exhibit: Vec<String>,
    /// The generation time to print (RFC 3339). Default: SOURCE_DATE_EPOCH
    /// if set, else now. The only thing that varies between two runs.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Add an examiner's certification block for signature.
    #[arg(long, requires = "examiner")]
    pub certify: bool,
    /// The certifying examiner's name (or principal).
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,
    /// Write a detached SSHSIG signature of the report to FILE.sig
    /// (namespace custodian-report-v1; check with ssh-keygen -Y verify).
    #[arg(long, requires_all = ["output", "key"])]
    pub sign: bool,
    #[command(flatten)]
    pub key: OptionalKeyArg,
    /// Leave files found in known-good hash sets (recorded by
    /// `custodian hashset match` or `acquire --hashset`) out of the file
    /// tables; the report states how many were hidden.
    #[arg(long)]
    pub hide_known_good: bool,
    /// Files re-hashed in parallel (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// PEM file of CA certificates for the attached RFC 3161 timestamps
    /// (level 4 of docs/guide/timestamps.md; without it: not checked).
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

fn generation_time(given: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    if let Some(t) = given {
        let t = chrono::DateTime::parse_from_rfc3339(t)
            .with_context(|| format!("--generated-at {t:?}: expected an RFC 3339 time"))?;
        return Ok(Some(t.with_timezone(&chrono::Utc)));
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .with_context(|| format!("SOURCE_DATE_EPOCH={s:?} is not a number of seconds"))?;
            Ok(chrono::DateTime::from_timestamp(secs, 0))
        }
        Err(_) => Ok(None),
    }
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let generated_at = generation_time(&args.generated_at)?;
    let trusted_roots = args.trust.roots()?;
    let tsa_ca = args
        .tsa_ca
        .as_deref()
        .map(custodian::timestamp::TrustAnchors::read)
        .transpose()?;
    let case = open_case(&args.case)?;
    let mut ledger = case
        .verify(&VerifyOptions {
            trusted_roots,
            ..VerifyOptions::default()
        })
        .with_context(|| format!("cannot verify case {}", args.case.display()))?;
    for x in &args.exhibit {
        if !ledger.state.exhibits.contains_key(x) {
            bail!("--exhibit {x}: the case has no such exhibit");
        }
    }
    let audits = audit_evidence(&args, &case, &mut ledger)?;
    let timestamps = super::timestamp::check_attached(&case, &mut ledger, tsa_ca.as_ref())?;
    let opts = Options {
        timestamps,
        generated_at,
        exhibits: args.exhibit.clone(),
        certify: if args.certify {
            args.examiner.clone()
        } else {
            None
        },
        hide_known_good: args.hide_known_good,
    };
    let model = report::build(&case, &ledger, &audits, &opts)?;
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&model)?),
        Format::Md => report::markdown::render(&model),
        Format::Html => report::html::render(&model),
    };
    match &args.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            write_atomically(path, text.as_bytes())?;
            eprintln!("custodian: wrote {}", path.display());
            if args.sign {
                let key = args.key.load()?.context("--sign needs --key")?;
                sign(path, &key, &text)?;
            }
        }
    }
    let valid = ledger.is_valid() && audits.iter().all(|a| a.is_intact());
    Ok(ExitCode::from(if valid { EXIT_OK } else { EXIT_INVALID }))
}

/// Re-hashes the evidence named by `--evidence` (only of the `--exhibit`s
/// reported on, when given), with a progress bar; none without it.
fn audit_evidence(
    args: &ReportArgs,
    case: &custodian::Case,
    ledger: &mut custodian::ledger::Report,
) -> Result<Vec<ExhibitAudit>> {
    if args.evidence.is_empty() {
        return Ok(Vec::new());
    }
    let mut plan =
        resolve_evidence(&ledger.state.exhibits, &args.evidence).map_err(anyhow::Error::msg)?;
    if !args.exhibit.is_empty() {
        plan.retain(|(id, _)| args.exhibit.contains(id));
    }
    let roots: Vec<PathBuf> = plan.iter().flat_map(|(_, r)| r.clone()).collect();
    Ok(with_bar(&roots, &HashOptions::default(), false, |bar| {
        audit_case(
            case,
            ledger,
            plan,
            AuditAlgorithms::Strongest,
            args.jobs,
            bar,
        )
    })?)
}

/// Writes a detached SSHSIG signature of the report at `path` (its bytes
/// are `text`) to `path.sig`, and says how to check it with ssh-keygen.
fn sign(path: &std::path::Path, key: &SigningKey, text: &str) -> Result<()> {
    let sig = key.sign_detached(REPORT_NAMESPACE, text.as_bytes())?;
    let mut sig_path = path.as_os_str().to_os_string();
    sig_path.push(".sig");
    let sig_path = PathBuf::from(sig_path);
    write_atomically(&sig_path, sig.as_bytes())?;
    eprintln!(
        "custodian: wrote {} (check: ssh-keygen -Y verify -f allowed_signers -I {} -n {REPORT_NAMESPACE} -s {} < {})",
        sig_path.display(),
        key.comment(),
        sig_path.display(),
        path.display()
    );
    Ok(())
}

/// Writes through a temporary file, fsynced, then renamed (see
/// [`custodian::fsutil::write_atomic`]): a reader never sees half a report,
/// and a failed write leaves no temporary file.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use custodian::fault::Point;
    Ok(custodian::fsutil::write_atomic(
        path,
        bytes,
        (Point::ReportWrite, Point::ReportFsync),
    )?)
}
