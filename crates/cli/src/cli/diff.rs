//! `custodian diff`: compare two hash lists without touching evidence.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::audit::{compare_lists, AuditAlgorithms};
use custodian::hashing::Algorithm;
use custodian::hashlist::HashList;
use serde_json::json;

use super::common::print_json;
use super::term::outln;
use super::{EXIT_INVALID, EXIT_OK};

/// Compare two hash lists, e.g. our manifest against a partner agency's list.
///
/// A and B may each be a custodian manifest (CASE/manifests/ID.jsonl), the
/// output of `custodian hash --format json`, a hashdeep file, a
/// sha256sum/md5sum/sha1sum/sha512sum file, or BSD-tagged lines
/// (`SHA256 (name) = …`). Files are matched by path after removing each
/// list's common folder prefix (so lists made from different mount points
/// compare), and by the strongest digest both lists hold. Each file gets one
/// status: matched, changed, missing (in A, not in B), new (in B, not in A),
/// moved (missing at one path, same digest at another). No evidence is read.
/// A path a list names more than once is reported as a duplicate (with
/// the lines naming it) and never collapsed: it matches only if every
/// record of it, in both lists, gives the same digest, and any duplicate
/// makes the lists not match. The verdict is the same in either order.
///
/// Exit codes: 0 every file matched, 1 some did not (or a list names a
/// path twice), 2 a list could not be read.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian diff cases/0042/manifests/EXH-001.jsonl partner-list.sha256\n  custodian diff ours.hashdeep theirs.hashdeep --algorithm md5 --json"
)]
pub struct DiffArgs {
    /// The reference list (what was recorded).
    pub a: PathBuf,
    /// The list to check against it.
    pub b: PathBuf,
    /// Compare this digest (default: the strongest both lists hold).
    #[arg(long, value_name = "ALGO", conflicts_with = "all_algorithms")]
    pub algorithm: Option<String>,
    /// Compare every digest both lists hold.
    #[arg(long)]
    pub all_algorithms: bool,
    /// The algorithm of untagged 64-hex-digit `*sum` lines (sha256 by
    /// default; b3sum and sha3-256sum lists need this).
    #[arg(long, value_name = "ALGO")]
    pub assume: Option<String>,
    /// Print one JSON object (same statuses and counts as `verify --evidence`).
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Print nothing; only the exit code tells.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let assume: Option<Algorithm> = args.assume.as_deref().map(str::parse).transpose()?;
    let a = HashList::load(&args.a, assume)
        .with_context(|| format!("cannot read {}", args.a.display()))?;
    let b = HashList::load(&args.b, assume)
        .with_context(|| format!("cannot read {}", args.b.display()))?;
    let algorithms = match (&args.algorithm, args.all_algorithms) {
        (_, true) => AuditAlgorithms::All,
        (Some(x), false) => AuditAlgorithms::One(x.parse()?),
        (None, false) => AuditAlgorithms::Strongest,
    };
    let cmp = compare_lists(&a, &b, algorithms).map_err(anyhow::Error::msg)?;
    let same = cmp.is_same();
    if args.json {
        print_json(&json!({
            "version": 1,
            "result": if same { "matched" } else { "different" },
            "a": {"path": a.source, "format": a.format.name(), "files": a.files.len(), "stripped_prefix": a.stripped_prefix},
            "b": {"path": b.source, "format": b.format.name(), "files": b.files.len(), "stripped_prefix": b.stripped_prefix},
            "algorithms": cmp.algorithms,
            "counts": cmp.counts,
            "differences": cmp.differences,
            "duplicates": cmp.duplicates,
        }));
    } else if !args.quiet {
        for (label, l) in [("A", &a), ("B", &b)] {
            outln!(
                "{label}: {} ({}, {} files{})",
                l.source.display(),
                l.format.name(),
                l.files.len(),
                if l.stripped_prefix.is_empty() {
                    String::new()
                } else {
                    format!(", prefix {:?} removed", l.stripped_prefix)
                }
            );
        }
        for d in &cmp.differences {
            let detail = match (&d.from, &d.expected, &d.found) {
                (Some(from), _, _) => format!("(from {from})"),
                (None, Some(e), Some(f)) => format!("(A {e}, B {f})"),
                (None, Some(e), None) => format!("(A {e})"),
                (None, None, Some(f)) => format!("(B {f})"),
                _ => String::new(),
            };
            outln!("{:<12} {} {detail}", d.status.as_str(), d.path);
        }
        for d in &cmp.duplicates {
            outln!("{:<12} {}", "duplicate", d.describe());
        }
        let c = &cmp.counts;
        outln!(
            "{} compared by {}: {} matched, {} changed, {} missing, {} new, {} moved{}",
            c.examined,
            cmp.algorithms.join("+"),
            c.matched,
            c.changed,
            c.missing,
            c.new,
            c.moved,
            if c.unverifiable > 0 {
                format!(", {} without a common digest", c.unverifiable)
            } else {
                String::new()
            }
        );
        if !cmp.duplicates.is_empty() {
            outln!(
                "{} path(s) listed more than once: the lists do not match (each record of such a path was compared)",
                cmp.duplicates.len()
            );
        }
    }
    Ok(ExitCode::from(if same { EXIT_OK } else { EXIT_INVALID }))
}
