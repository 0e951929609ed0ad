//! `custodian timestamp`: RFC 3161 timestamps of checkpoints, made offline
//! (docs/guide/timestamps.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::checkpoint::{check_ledger, write_atomic, VerifiedCase, CHECKPOINTS_DIR};
use custodian::ledger::{kind, Severity};
use custodian::timestamp::{
    check_reply, imprint_of, plan_record, random_nonce, rel_path, AttachError, AttachRefusal,
    Levels, Plan, Request, TrustAnchors,
};

use super::args::KeyArg;
use super::checkpoint::open_verified;
use super::term::{errln, outln};
use super::{EXIT_INVALID, EXIT_OK};

/// The long help of `custodian timestamp`.
pub const LONG_ABOUT: &str = "\
RFC 3161 timestamps of checkpoints, made offline: write a request, attach a reply.

A trusted timestamp makes a third party (a time-stamping authority, TSA) vouch
that a checkpoint of the ledger (docs/spec/transparency.md) existed no later than a
given time. custodian never goes online: `request` writes a TimeStampReq (.tsq)
over the SHA-256 of a checkpoint, which you carry to any RFC 3161 TSA;
`attach` checks the reply (.tsr) against the request and stores it in the
case, recording a `timestamp.attach` entry. `custodian verify --tsa-ca FILE`
and `custodian report --tsa-ca FILE` check every attached token again, at four
levels: structure, imprint and nonce, CMS signature, certificate chain
(docs/guide/timestamps.md).";

/// Make an RFC 3161 timestamp request, or attach a TSA's reply.
///
/// A trusted timestamp makes a third party (a time-stamping authority, TSA)
/// vouch that a checkpoint of the ledger (docs/spec/transparency.md) existed no
/// later than a given time. custodian never goes online: `request` writes a
/// TimeStampReq (.tsq) over the SHA-256 of a checkpoint, which you carry to
/// any RFC 3161 TSA (e.g. `curl --data-binary @FILE.tsq -H 'Content-Type:
/// application/timestamp-query' URL > FILE.tsr` on a connected machine);
/// `attach` checks the reply against the request and stores it in the case,
/// recording a `timestamp.attach` entry. `custodian verify --tsa-ca FILE`
/// and `custodian report` check every attached token again.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian checkpoint cases/0042 --key ~/.custodian/jdoe\n  custodian timestamp request cases/0042 --out /media/usb/0042.tsq\n  custodian timestamp attach cases/0042 /media/usb/0042.tsr --key ~/.custodian/jdoe --tsa-ca tsa-root.pem\n  custodian verify cases/0042 --tsa-ca tsa-root.pem"
)]
pub struct TimestampArgs {
    #[command(subcommand)]
    pub action: TimestampAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum TimestampAction {
    /// Write a TimeStampReq (.tsq) over a checkpoint, to carry to a TSA.
    Request(RequestArgs),
    /// Check a TSA's reply (.tsr) against its request and record it.
    Attach(AttachArgs),
}

/// Write an RFC 3161 TimeStampReq over a checkpoint of the case.
///
/// The request imprints the SHA-256 of the checkpoint body (origin, size,
/// root: docs/guide/timestamps.md §2), with a random nonce and certReq TRUE. It is
/// saved as CASE/timestamps/SIZE-NONCE.tsq (and copied to --out). The
/// checkpoint must match the ledger; without --checkpoint the latest one in
/// CASE/checkpoints/ is used (make one with `custodian checkpoint`).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian timestamp request cases/0042\n  custodian timestamp request cases/0042 --checkpoint cases/0042/checkpoints/6.txt --out 0042-6.tsq\n  openssl ts -query -in 0042-6.tsq -text   # inspect it"
)]
pub struct RequestArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The checkpoint to timestamp (default: the latest in CASE/checkpoints/).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Also write the request here (never overwrites a file).
    #[arg(long, value_name = "FILE.tsq")]
    pub out: Option<PathBuf>,
}

/// Check a TSA's reply against its request and record it in the ledger.
///
/// The reply (a DER TimeStampResp, as `openssl ts -reply` or a TSA over
/// HTTP returns it) must answer a request in CASE/timestamps/ (same nonce),
/// imprint that request's checkpoint, which must still match the ledger,
/// and carry a valid CMS signature by the TSA (levels 1 to 3 of
/// docs/guide/timestamps.md §4). With --tsa-ca, the TSA certificate must also
/// chain to one of its certificates (level 4). A reply that fails is
/// refused (exit 1) and nothing is recorded; one that passes is saved as
/// CASE/timestamps/SIZE-NONCE.tsr and a signed `timestamp.attach` entry
/// records its SHA-256, genTime, TSA, serial and policy.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  custodian timestamp attach cases/0042 0042-6.tsr --key ~/.custodian/jdoe --tsa-ca tsa-root.pem"
)]
pub struct AttachArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The TSA's reply (DER TimeStampResp).
    pub reply: PathBuf,
    #[command(flatten)]
    pub key: KeyArg,
    /// PEM file of CA certificates the TSA certificate must chain to.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

pub fn run(args: TimestampArgs) -> Result<ExitCode> {
    match args.action {
        TimestampAction::Request(a) => run_request(a),
        TimestampAction::Attach(a) => run_attach(a),
    }
}

/// The latest checkpoint of the case: the largest SIZE of checkpoints/SIZE.txt.
fn latest_checkpoint(case_dir: &Path) -> Option<PathBuf> {
    let dir = case_dir.join(CHECKPOINTS_DIR);
    std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let size: u64 = name.strip_suffix(".txt")?.parse().ok()?;
            Some((size, e.path()))
        })
        .max_by_key(|(size, _)| *size)
        .map(|(_, p)| p)
}

fn run_request(args: RequestArgs) -> Result<ExitCode> {
    let VerifiedCase { raw, state, .. } = match open_verified(&args.case)? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    let cp_path = match &args.checkpoint {
        Some(p) => p.clone(),
        None => latest_checkpoint(&args.case).with_context(|| {
            format!(
                "{}: the case has no checkpoint to timestamp; make one first with `custodian checkpoint {} --key KEY`",
                args.case.join(CHECKPOINTS_DIR).display(),
                args.case.display()
            )
        })?,
    };
    let what = cp_path.display().to_string();
    let signed = custodian::checkpoint::read_checkpoint(&cp_path)?;
    let problems = check_ledger(&raw, &state, &signed, &what);
    let mut bad = false;
    for p in problems.iter().filter(|p| p.severity == Severity::Error) {
        errln!("custodian: [{}] {}", p.code, p.message);
        bad = true;
    }
    if bad {
        errln!(
            "custodian: {what}: not timestamped: the checkpoint does not match case {}",
            args.case.display()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let cp = &signed.checkpoint;
    let req = Request {
        imprint: imprint_of(cp),
        nonce: random_nonce()?,
    };
    let der = req.to_der();
    if let Some(out) = &args.out {
        if out.exists() {
            bail!(
                "{}: already exists; refusing to overwrite it",
                out.display()
            );
        }
    }
    let rel = rel_path(&req.file_stem(cp.size), "tsq");
    let path = args.case.join(&rel);
    write_atomic(&path, &der)?;
    if let Some(out) = &args.out {
        write_atomic(out, &der)?;
    }
    outln!(
        "checkpoint: {} (size {}, root {})",
        what,
        cp.size,
        custodian::checkpoint::encode_hash(&cp.root)
    );
    outln!("imprint:    sha256 {}", hex::encode(req.imprint));
    outln!("nonce:      {}", hex::encode(req.nonce));
    outln!("request:    {}", path.display());
    if let Some(out) = &args.out {
        outln!("copy:       {}", out.display());
    }
    errln!(
        "custodian: carry the request to a TSA, then: custodian timestamp attach {} REPLY.tsr --key KEY",
        args.case.display()
    );
    Ok(ExitCode::from(EXIT_OK))
}

/// Prints the four levels, one line each.
pub(super) fn print_levels(levels: &Levels, indent: &str) {
    for (name, l) in [
        ("1 structure", &levels.structure),
        ("2 imprint  ", &levels.imprint),
        ("3 signature", &levels.signature),
        ("4 chain    ", &levels.chain),
    ] {
        outln!("{indent}level {name}: {}: {}", l.word(), l.detail());
    }
}

fn run_attach(args: AttachArgs) -> Result<ExitCode> {
    let refuse = |why: &AttachRefusal| -> Result<ExitCode> {
        errln!("custodian: {}: not attached: {why}", args.reply.display());
        Ok(ExitCode::from(EXIT_INVALID))
    };
    let anchors = args.tsa_ca.as_deref().map(TrustAnchors::read).transpose()?;
    let verified = match open_verified(&args.case)? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    let case_id = verified.case_id()?;
    let check = match check_reply(&verified, &case_id, &args.reply, anchors.as_ref()) {
        Ok(c) => c,
        Err(AttachError::Refused(why)) => return refuse(&why),
        Err(e) => return Err(e.into()),
    };
    outln!("reply:   {}", args.reply.display());
    print_levels(&check.checked.levels, "  ");
    let pending = match plan_record(&verified, &check) {
        Ok(Plan::Record(p)) => p,
        Ok(Plan::AlreadyAttached { reply_rel }) => {
            outln!("already attached: {reply_rel}");
            return Ok(ExitCode::from(EXIT_OK));
        }
        Err(AttachError::Refused(why)) => return refuse(&why),
        Err(e) => return Err(e.into()),
    };
    let key = args.key.load()?;
    let appended = pending
        .record(&verified.case, &key)
        .with_context(|| format!("cannot append to case {}", args.case.display()))?;
    let info = &check.checked.info;
    outln!(
        "attached {}: checkpoint {} timestamped at {} by {} (serial {}, verdict {})",
        pending.reply_rel,
        check.checkpoint.size,
        info.gen_time.as_deref().unwrap_or("?"),
        info.tsa.as_deref().unwrap_or("?"),
        info.serial.as_deref().unwrap_or("?"),
        check.checked.levels.verdict()
    );
    outln!(
        "appended entry {} ({})",
        appended.entry.seq,
        kind::TIMESTAMP_ATTACH
    );
    outln!("head: {}", appended.hash);
    Ok(ExitCode::from(EXIT_OK))
}

/// Checks every attached token of a verified case (`verify`, `report`),
/// adding its problems to the report.
pub(super) fn check_attached(
    case: &custodian::Case,
    report: &mut custodian::ledger::Report,
    anchors: Option<&TrustAnchors>,
) -> Result<Vec<custodian::timestamp::TokenCheck>> {
    // The ledger was streamed once by the verification; it is streamed
    // again (twice: the attach entries, then the tree's roots) only when it
    // holds timestamps to check against its tree.
    if !report
        .types
        .contains_key(custodian::ledger::kind::TIMESTAMP_ATTACH)
    {
        return Ok(Vec::new());
    }
    let ledger = case.ledger();
    let case_id = report.state.case.as_ref().map(|c| c.case_id.clone());
    let (checks, problems) = custodian::timestamp::check_case(
        case.dir(),
        |each| ledger.for_each_line(each),
        case_id.as_deref(),
        anchors,
    )
    .with_context(|| format!("cannot read case {}", case.dir().display()))?;
    report.problems.extend(problems);
    Ok(checks)
}
