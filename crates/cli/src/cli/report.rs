//! `custodian report`: the admissibility report.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::audit::{audit_case, resolve_evidence, AuditAlgorithms, ExhibitAudit};
use custodian::keys::{SigningKey, REPORT_NAMESPACE};
use custodian::ledger::VerifyOptions;
use custodian::report::appendix::{self, AppendixMode, Placement};
use custodian::report::certify::{self, CertifyRequest, Declaration};
use custodian::report::signature::{sign_sha512, HashingWriter};
use custodian::report::{self, Options};

use super::args::{OptionalKeyArg, TrustArgs};
use super::common::open_case;
use super::progress::with_bar;
use super::term::errln;
use super::{EXIT_INVALID, EXIT_OK};
use custodian::hashing::HashOptions;

/// The certification templates (`--declaration`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclarationArg {
    /// US: declaration under penalty of perjury (28 U.S.C. § 1746) for a
    /// certification under FRE 902(13) and 902(14).
    #[value(name = "fre-902-14")]
    Fre90214,
    /// Generic statement with reference to ISO/IEC 27037 and the ACPO
    /// principles.
    #[value(name = "iso-27037")]
    Iso27037,
}

impl From<DeclarationArg> for Declaration {
    fn from(d: DeclarationArg) -> Declaration {
        match d {
            DeclarationArg::Fre90214 => Declaration::Fre90214,
            DeclarationArg::Iso27037 => Declaration::Iso27037,
        }
    }
}

/// The output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Md,
    Json,
    /// PDF/A-2b, typeset by custodian itself (no browser); --paper sets
    /// the page size.
    Pdf,
}

/// The page size of a PDF report (`--paper`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PaperArg {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

/// Where the complete file lists go (`--appendix`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendixArg {
    /// In the report: HTML and Markdown end with the complete list of each
    /// exhibit of more than 25 files, JSON lists every file.
    Inline,
    /// In a separate file beside the report (-o report.html gives
    /// report.appendix.html), written first; the report names it by its
    /// SHA-256, size and rows, so --sign covers it too. Needs -o.
    Separate,
    /// Separate when the lists have more than 500 rows (past 20 printed
    /// pages) and the report goes to a file, else inline.
    Auto,
}

impl From<AppendixArg> for AppendixMode {
    fn from(a: AppendixArg) -> AppendixMode {
        match a {
            AppendixArg::Inline => AppendixMode::Inline,
            AppendixArg::Separate => AppendixMode::Separate,
            AppendixArg::Auto => AppendixMode::Auto,
        }
    }
}

/// Write the admissibility report of a case: HTML, Markdown, JSON or PDF.
///
/// The report verifies the case now (ledger, manifests, and with --evidence
/// the evidence itself) and states: the case and its legal authorities; a
/// verdict and every finding that weakens the chain of custody, each with a
/// stable id, the entries it rests on and a plain explanation; each
/// exhibit's acquisition, digests and current custody; every exhibit's
/// custody timeline; what was verified and how a third party repeats it;
/// known-answer self-tests of the digest and signature code; the signers; a
/// mapping to ISO/IEC 27037, ACPO and FRE 902(14); and what the report does
/// not prove.
///
/// --certify adds the certification of a signer of the case, named by
/// principal (`custodian signers CASE` lists them), with the qualifications
/// they state, a template (--declaration) and the place; with --sign the
/// report must be signed with that signer's key. The certification says the
/// evidence is unchanged only for exhibits re-hashed for this report with
/// every recorded algorithm (--evidence … --all-algorithms); otherwise it
/// certifies the records only, and says so.
///
/// --sign writes FILE.sig and prints the commands that check it with
/// OpenSSH alone, using the allowed_signers file `custodian signers
/// --allowed-signers` writes. JSON is the model (docs/spec/report-json.md); HTML, Markdown and
/// PDF are rendered from it. The PDF (PDF/A-2b, typeset by custodian, no
/// browser) has the verdicts on page 1 and "Case — page X of Y" with the
/// model's SHA-256 in every footer (docs/guide/report-pdf.md). The same
/// case, flags and generation time give byte-identical output.
///
/// The exhibit tables show each exhibit's first 25 files; the complete
/// lists of longer exhibits are the appendix. With --appendix separate
/// (or auto, past 500 rows) the appendix is written first, to FILE's
/// name with .appendix before its extension, and the report states its
/// SHA-256, size and number of rows: a signature of the report covers the
/// appendix through that digest.
///
/// Exit code: 0 if everything checked is as recorded, 1 if not (the report
/// is written either way), 2 on usage or I/O errors.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian report cases/0042 --format html -o report.html\n  custodian report cases/0042 --format json --evidence EXH-001=/mnt/evidence/ssd.img\n  SOURCE_DATE_EPOCH=1767225600 custodian report cases/0042 --format md -o report.md\n  custodian report cases/0042 --format pdf --paper letter -o report.pdf\n  custodian report cases/0042 -o report.html --evidence EXH-001=/mnt/ssd.img --all-algorithms \\\n      --certify --examiner j.doe@cyber.police.example --declaration fre-902-14 \\\n      --qualifications \"GCFA; 8 years in digital forensics\" --place \"Lyon, France\" \\\n      --sign --key ~/.custodian/jdoe   # prints the ssh-keygen command that checks report.html.sig",
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
    /// Page size of a PDF report.
    #[arg(long, value_enum, default_value = "a4")]
    pub paper: PaperArg,
    /// Where the complete file lists go: in the report, or in a separate
    /// file beside it.
    #[arg(long, value_enum, value_name = "WHERE", default_value = "auto")]
    pub appendix: AppendixArg,
    /// Re-hash evidence and include the audit: EXHIBIT=PATH or PATH
    /// (repeatable; see `custodian verify --evidence`).
    #[arg(long, value_name = "EXHIBIT=PATH|PATH")]
    pub evidence: Vec<String>,
    /// Re-hash the evidence with every algorithm recorded at acquisition
    /// (default: the strongest only). A certification says the evidence
    /// is unchanged only when this was done.
    #[arg(long, requires = "evidence")]
    pub all_algorithms: bool,
    /// Report only on these exhibits (repeatable).
    #[arg(long, value_name = "ID")]
    pub exhibit: Vec<String>,
    /// The generation time to print (RFC 3339). Default: SOURCE_DATE_EPOCH
    /// if set, else now. The only thing that varies between two runs.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Add the certification of a signer of the case, to be signed by hand.
    #[arg(long, requires_all = ["examiner", "declaration", "place"])]
    pub certify: bool,
    /// The certifier: a signer's principal or recorded name, as `custodian
    /// signers CASE` lists them (any other name is refused).
    #[arg(long, value_name = "PRINCIPAL", requires = "certify")]
    pub examiner: Option<String>,
    /// The certifier's qualifications, in their own words (shown as
    /// stated by the certifier); default: those recorded with their signer
    /// entry.
    #[arg(long, value_name = "TEXT", requires = "certify")]
    pub qualifications: Option<String>,
    /// The certification's legal form.
    #[arg(long, value_enum, value_name = "TEMPLATE", requires = "certify")]
    pub declaration: Option<DeclarationArg>,
    /// Where the certification is made, e.g. "Lyon, France".
    #[arg(long, value_name = "TEXT", requires = "certify")]
    pub place: Option<String>,
    /// Write a detached SSHSIG signature of the report to FILE.sig
    /// (namespace custodian-report-v1) with the key of a signer of the
    /// case, and print the ssh-keygen command that checks it.
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
    let appendix_mode = AppendixMode::from(args.appendix);
    appendix_mode.check(args.output.is_some())?;
    if args.format == Format::Pdf {
        pdf::available()?;
        if args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            bail!(
                "a PDF report is not written to a terminal: give -o FILE (or redirect the output)"
            );
        }
    }
    let generated_at = generation_time(&args.generated_at)?.unwrap_or_else(custodian::time::now);
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
    // As `verify`: the checkpoints the case keeps must still hold.
    let saved = custodian::checkpoint::check_saved(case.dir(), case.ledger(), &ledger.state)?;
    ledger.problems.extend(saved);
    for x in &args.exhibit {
        if !ledger.state.exhibits.contains_key(x.as_str()) {
            bail!("--exhibit {x}: the case has no such exhibit");
        }
    }
    // Who signs and who certifies is settled before any evidence is read.
    let signing = signing_key(&args, &case, &ledger, generated_at)?;
    let certify = certify_request(&args, signing.as_ref().map(|(k, _)| k));
    if let Some(req) = &certify {
        certify::resolve_certifier(&ledger.state, case.dir(), req)?;
    }
    let audits = audit_evidence(&args, &case, &mut ledger)?;
    let timestamps = super::timestamp::check_attached(&case, &mut ledger, tsa_ca.as_ref())?;
    let opts = Options {
        timestamps,
        generated_at: Some(generated_at),
        exhibits: args.exhibit.clone(),
        certify,
        hide_known_good: args.hide_known_good,
    };
    let mut model = report::build(&case, &ledger, &audits, &opts)?;
    // The appendix first: the report states its digest.
    let placement = appendix_mode.resolve(&model, args.output.is_some())?;
    if args.format == Format::Pdf && placement == Placement::Inline {
        pdf::check_inline(&model)?;
    }
    // The PDF's model digest, one pass over the rows for report and appendix.
    let pdf_opts = match args.format {
        Format::Pdf => Some(pdf::options(&model, args.paper)?),
        _ => None,
    };
    if let (Placement::Separate, Some(path)) = (placement, &args.output) {
        let info = write_appendix(&model, path, args.format, pdf_opts.as_ref())?;
        model.set_appendix(info);
    }
    // Written as it is rendered (file lists read from the manifests on the
    // way), never held whole: see docs/engineering/performance.md, Reports.
    let render = |w: &mut dyn Write| match args.format {
        Format::Json => report::write_json(&model, w),
        Format::Md => report::markdown::write(&model, w),
        Format::Html => report::html::write(&model, w),
        Format::Pdf => pdf::write(&model, pdf_opts.as_ref(), w),
    };
    match &args.output {
        None => {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
            render(&mut out)?;
            out.flush()?;
        }
        Some(path) => {
            // The signature is of the bytes written, hashed on the way.
            let mut sha512 = None;
            write_atomically(path, |w| {
                if signing.is_none() {
                    return render(w);
                }
                let mut w = HashingWriter::new(w);
                render(&mut w)?;
                sha512 = Some(w.sha512());
                Ok(())
            })?;
            errln!("custodian: wrote {}", path.display());
            if let (Some((key, principal)), Some(sha512)) = (&signing, &sha512) {
                sign(&args.case, path, key, principal, generated_at, sha512)?;
            }
        }
    }
    let valid = ledger.is_valid() && audits.iter().all(|a| a.is_intact());
    Ok(ExitCode::from(if valid { EXIT_OK } else { EXIT_INVALID }))
}

/// Writes the appendix of the report `model` beside `report_path`, in
/// `format`, and prints where; returns what the report states about it.
fn write_appendix(
    model: &report::Report,
    report_path: &std::path::Path,
    format: Format,
    pdf_opts: Option<&pdf::Options>,
) -> Result<appendix::AppendixInfo> {
    type Writer<'a> = Box<dyn FnOnce(&report::Report, &mut dyn Write) -> std::io::Result<()> + 'a>;
    let (ext, write): (_, Writer) = match format {
        Format::Json => ("json", Box::new(appendix::write_json)),
        Format::Md => ("md", Box::new(report::markdown::write_appendix)),
        Format::Html => ("html", Box::new(report::html::write_appendix)),
        Format::Pdf => ("pdf", Box::new(|r, w| pdf::write_appendix(r, pdf_opts, w))),
    };
    let path = appendix::path_for(report_path, ext);
    let info = appendix::write_separate(model, &path, write)?;
    errln!(
        "custodian: wrote {} (the appendix: {} rows, SHA-256 {})",
        path.display(),
        info.rows,
        info.sha256
    );
    Ok(info)
}

/// The key of `--sign` and its signer's principal: a signer of the case,
/// not revoked, added before the generation time (so that the case's
/// allowed_signers file admits the signature); none without `--sign`.
fn signing_key(
    args: &ReportArgs,
    case: &custodian::Case,
    ledger: &custodian::ledger::Report,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(SigningKey, String)>> {
    if !args.sign {
        return Ok(None);
    }
    let key = args.key.load()?.context("--sign needs --key")?;
    let signer = certify::report_signer(&ledger.state, case.dir(), key.fingerprint(), at)?;
    let principal = signer.principal.clone();
    Ok(Some((key, principal)))
}

/// The certification asked for, if any (clap makes --certify come with
/// every value it needs).
fn certify_request(args: &ReportArgs, signing: Option<&SigningKey>) -> Option<CertifyRequest> {
    if !args.certify {
        return None;
    }
    Some(CertifyRequest {
        examiner: args.examiner.clone().unwrap_or_default(),
        qualifications: args.qualifications.clone().unwrap_or_default(),
        declaration: args.declaration.unwrap_or(DeclarationArg::Iso27037).into(),
        place: args.place.clone().unwrap_or_default(),
        signing_key: signing.map(|k| k.fingerprint().clone()),
    })
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
        plan.retain(|(id, _)| args.exhibit.iter().any(|x| x == id));
    }
    let roots: Vec<PathBuf> = plan.iter().flat_map(|(_, r)| r.clone()).collect();
    Ok(with_bar(&roots, &HashOptions::default(), false, |bar| {
        audit_case(
            case,
            ledger,
            plan,
            if args.all_algorithms {
                AuditAlgorithms::All
            } else {
                AuditAlgorithms::Strongest
            },
            args.jobs,
            bar,
        )
    })?)
}

/// Writes a detached SSHSIG signature of the report at `path` (the SHA-512
/// of its bytes is `sha512`) to `path.sig`, and prints the commands that check it with
/// OpenSSH alone: the case's allowed_signers file as `custodian signers
/// --allowed-signers` writes it, and `ssh-keygen -Y verify` with the
/// signer's principal and the report's generation time (which the report
/// states, inside the signed bytes) as the time the key must have been
/// trusted. They are printed to be run as they are, from the directory
/// custodian was run in.
fn sign(
    case: &std::path::Path,
    path: &std::path::Path,
    key: &SigningKey,
    principal: &str,
    at: chrono::DateTime<chrono::Utc>,
    sha512: &[u8; 64],
) -> Result<()> {
    let sig = sign_sha512(key, REPORT_NAMESPACE, sha512)?;
    let mut sig_path = path.as_os_str().to_os_string();
    sig_path.push(".sig");
    let sig_path = PathBuf::from(sig_path);
    write_atomically(&sig_path, |w| w.write_all(sig.as_bytes()))?;
    let q = |p: &std::path::Path| sh_quote(&p.to_string_lossy());
    errln!(
        "custodian: wrote {} (signed by {principal}, {})",
        sig_path.display(),
        key.fingerprint()
    );
    errln!("custodian: check it with OpenSSH alone:");
    errln!(
        "  custodian signers {} --allowed-signers > allowed_signers",
        q(case)
    );
    errln!(
        "  ssh-keygen -Y verify -f allowed_signers -I {} -n {REPORT_NAMESPACE} -O verify-time={} -s {} < {}",
        sh_quote(principal),
        certify::ssh_verify_time(at),
        q(&sig_path),
        q(path),
    );
    Ok(())
}

/// `s` as one word for a POSIX shell: unchanged when it holds only
/// characters no shell treats specially, else in single quotes.
fn sh_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Writes what `fill` writes through a temporary file, fsynced, then
/// renamed (see [`custodian::fsutil::write_atomic_with`]): a reader never
/// sees half a report, and a failed write leaves no temporary file.
fn write_atomically(
    path: &std::path::Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    use custodian::fault::Point;
    Ok(custodian::fsutil::write_atomic_with(
        path,
        (Point::ReportWrite, Point::ReportFsync),
        fill,
    )?)
}

#[cfg(test)]
mod tests {
    use super::{sh_quote, AppendixArg};

    /// The help of `--appendix` states the library's numbers.
    #[test]
    fn the_appendix_help_gives_the_numbers_the_library_applies() {
        use clap::ValueEnum;
        let help = |a: AppendixArg| {
            a.to_possible_value()
                .and_then(|v| v.get_help().map(|h| h.to_string()))
                .unwrap_or_default()
        };
        let rows = custodian::report::appendix::AUTO_SEPARATE_ROWS;
        let rows = format!("{},{:03}", rows / 1000, rows % 1000);
        let rows = rows.trim_start_matches("0,");
        assert!(
            help(AppendixArg::Auto).contains(rows),
            "{}",
            help(AppendixArg::Auto)
        );
        let inline = custodian::report::INLINE_FILES.to_string();
        assert!(help(AppendixArg::Inline).contains(&inline));
    }

    #[test]
    fn printed_paths_are_one_shell_word() {
        assert_eq!(sh_quote("cases/0042"), "cases/0042");
        assert_eq!(sh_quote("j.doe@x.example"), "j.doe@x.example");
        assert_eq!(sh_quote("my case"), "'my case'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote("$(rm -rf)"), "'$(rm -rf)'");
        assert_eq!(sh_quote(""), "''");
    }
}

/// The PDF report, typeset by the library (feature `pdf`), or a refusal
/// naming the feature when this build has none.
mod pdf {
    use std::io::{self, Write};

    use custodian::report::Report;

    use super::PaperArg;

    /// The library's PDF options (paper, the model's digest); none in a
    /// build without the typesetter.
    #[cfg(feature = "pdf")]
    pub use custodian::report::pdf::PdfOptions as Options;
    #[cfg(not(feature = "pdf"))]
    pub struct Options;

    #[cfg(feature = "pdf")]
    pub fn options(model: &Report, p: PaperArg) -> io::Result<Options> {
        use custodian::report::pdf::Paper;
        let paper = match p {
            PaperArg::A4 => Paper::A4,
            PaperArg::Letter => Paper::UsLetter,
        };
        Options::new(model, paper)
    }

    /// `opts` are those [`options`] made for `model`: always given for PDF.
    #[cfg(feature = "pdf")]
    pub fn write(model: &Report, opts: Option<&Options>, w: &mut dyn Write) -> io::Result<()> {
        let opts = opts.ok_or_else(|| io::Error::other("PDF options not made"))?;
        Ok(custodian::report::pdf::write(model, opts, w)?)
    }

    #[cfg(feature = "pdf")]
    pub fn write_appendix(
        model: &Report,
        opts: Option<&Options>,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        let opts = opts.ok_or_else(|| io::Error::other("PDF options not made"))?;
        Ok(custodian::report::pdf::write_appendix(model, opts, w)?)
    }

    #[cfg(not(feature = "pdf"))]
    pub fn options(_: &Report, _: PaperArg) -> io::Result<Options> {
        Err(io::Error::other(UNAVAILABLE))
    }

    #[cfg(not(feature = "pdf"))]
    pub fn write(_: &Report, _: Option<&Options>, _: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other(UNAVAILABLE))
    }

    #[cfg(not(feature = "pdf"))]
    pub fn write_appendix(_: &Report, _: Option<&Options>, _: &mut dyn Write) -> io::Result<()> {
        Err(io::Error::other(UNAVAILABLE))
    }

    /// Refuses a PDF whose inline file lists are too long to typeset in
    /// bounded memory, naming the options that put them in the separate
    /// appendix.
    pub fn check_inline(model: &Report) -> anyhow::Result<()> {
        #[cfg(feature = "pdf")]
        {
            let rows = custodian::report::appendix::rows(model);
            let most = custodian::report::pdf::INLINE_PDF_ROWS;
            if rows > most {
                anyhow::bail!(
                    "--appendix inline: a PDF report typesets at most {most} file rows inline \
                     (this one has {rows}); use -o FILE with --appendix separate or auto, which \
                     write them to FILE's .appendix.pdf"
                );
            }
        }
        let _ = model;
        Ok(())
    }

    /// Refuses before any work when this build cannot write PDF.
    pub fn available() -> anyhow::Result<()> {
        #[cfg(not(feature = "pdf"))]
        anyhow::bail!(UNAVAILABLE);
        #[cfg(feature = "pdf")]
        Ok(())
    }

    #[cfg(not(feature = "pdf"))]
    const UNAVAILABLE: &str =
        "PDF reports need custodian built with the `pdf` feature (on by default)";
}
