//! `custodian package` and `custodian verify-package`: evidence packages
//! with selective disclosure (docs/spec/package.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::package::{self, BuildOptions, Level, PackageError, VerifyOptions};
use serde_json::json;

use super::args::{KeyArg, TrustArg};
use super::common::{open_case, print_json};
use super::term::{errln, outln};
use super::{EXIT_INVALID, EXIT_OK};

/// `--help` of `package` (the first line is the `-h` summary).
pub const PACKAGE_LONG_ABOUT: &str = "\
Build an evidence package of some exhibits for a partner, a court or the defence.

The package holds the ledger entries that concern the chosen exhibits
(case opening, signers, their acquisition, their custody events, the
authorities whose scope covers only them), their manifests, a signed
checkpoint of the whole ledger, an inclusion proof of every entry given,
the signers' public keys and a README saying how to verify it. Nothing
about other exhibits is given: entries that concern a chosen exhibit and
another one are withheld (only their hash and inclusion proof are given),
notes are left out.

Disclosure is a custody event: before the package is built, a
`custody.disclose` entry naming the recipient, exhibits, authority,
purpose, package id and the digest of every shared manifest is appended
to the ledger (under the strict policy --authority must cover the
exhibits), then a checkpoint including it is signed and saved in
CASE/checkpoints/. With --redact-paths every path in the shared manifests
becomes an HMAC-SHA256 under a random salt kept in
CASE/disclosures/ID/salt; digests stay comparable.

--out X.tar writes a tar archive, any other name a new directory; it
must not exist. Format: docs/spec/package.md.";

// Arguments of `custodian package`; help text: PACKAGE_LONG_ABOUT.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian package cases/0042 --exhibit EXH-001 --for \"Policia Judiciaria (PT)\" \\\n      --authority MLAT-PT-2026-311 --purpose \"MLAT reply\" --out pj-exh001.tar --key ~/.custodian/jdoe\n  custodian package cases/0042 --exhibit EXH-001 --exhibit EXH-003 --for \"Defence counsel\" \\\n      --redact-paths --out defence/ --key ~/.custodian/jdoe"
)]
pub struct PackageArgs {
    /// The case folder.
    pub case: PathBuf,
    /// An exhibit to share (repeatable).
    #[arg(long = "exhibit", value_name = "ID", required = true)]
    pub exhibits: Vec<String>,
    /// Who receives the package (agency, court, counsel …); recorded in the ledger.
    #[arg(long = "for", value_name = "RECIPIENT")]
    pub recipient: String,
    /// Where to write it: NAME.tar for an archive, otherwise a new directory.
    #[arg(long, value_name = "PKG")]
    pub out: PathBuf,
    /// Replace file paths in the shared manifests by salted hashes.
    #[arg(long)]
    pub redact_paths: bool,
    /// Reference of the registered legal authority the disclosure is made under.
    #[arg(long, value_name = "REF")]
    pub authority: Option<String>,
    /// Why the records are shared.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// Record the disclosure even though it breaks an authority rule; the
    /// reason is recorded and the breach becomes a finding.
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    /// Give whole every entry written by format version 1 that names a
    /// shared exhibit together with one not shared (the package then
    /// reveals those other exhibits' ids; the choice is recorded).
    #[arg(long, conflicts_with = "withhold_mixed")]
    pub reveal_mixed: bool,
    /// Withhold those entries instead: the recipient is told exactly where
    /// the shared exhibits' custody has a hole, and `verify-package` fails
    /// there (the choice is recorded).
    #[arg(long)]
    pub withhold_mixed: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArg,
}

pub fn run(args: PackageArgs) -> Result<ExitCode> {
    if args.out.symlink_metadata().is_ok() {
        anyhow::bail!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        );
    }
    let case = open_case(&args.case)?;
    let key = args.key.load()?;
    let opts = BuildOptions {
        exhibits: args.exhibits.clone(),
        recipient: args.recipient.clone(),
        authority: args.authority.clone(),
        purpose: args.purpose.clone(),
        override_reason: args.override_reason.clone(),
        redact_paths: args.redact_paths,
        mixed: match (args.reveal_mixed, args.withhold_mixed) {
            (true, _) => Some(custodian::custody::MixedChoice::Reveal),
            (_, true) => Some(custodian::custody::MixedChoice::Withhold),
            _ => None,
        },
    };
    let built = match package::build(&case, &key, &opts) {
        // The engine names no flags; say which one to fix.
        Err(e @ PackageError::BlankRecipient) => Err(anyhow::anyhow!("--for: {e}")),
        Err(PackageError::NoExhibits) => {
            Err(anyhow::anyhow!("--exhibit: name at least one exhibit"))
        }
        Err(e @ PackageError::MixedEntries { .. }) => Err(anyhow::anyhow!(
            "{e}\nhint: give --reveal-mixed or --withhold-mixed"
        )),
        built => built.map_err(anyhow::Error::from),
    }
    .with_context(|| format!("cannot build a package of case {}", args.case.display()))?;
    package::write_package(&args.out, &built.files).with_context(|| {
        format!(
            "disclosure entry {} was recorded but the package could not be written; run the command again",
            built.index.disclosure
        )
    })?;
    let i = &built.index;
    if args.json {
        print_json(&json!({
            "package": i.package,
            "out": args.out.display().to_string(),
            "case_id": i.case_id,
            "recipient": i.recipient,
            "exhibits": i.exhibits,
            "disclosure": i.disclosure,
            "entries": i.entries,
            "withheld": i.withheld,
            "redacted_paths": i.redacted_paths,
            "checkpoint": built.checkpoint_path.display().to_string(),
            "salt": built.salt_path.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        outln!(
            "package {} of exhibit(s) {} for {} written to {}",
            i.package,
            i.exhibits.join(", "),
            i.recipient,
            args.out.display()
        );
        outln!(
            "disclosure recorded as entry {}; {} entr{} disclosed, {} withheld; checkpoint {}",
            i.disclosure,
            i.entries.len(),
            if i.entries.len() == 1 { "y" } else { "ies" },
            i.withheld.len(),
            built.checkpoint_path.display()
        );
        if let Some(s) = &built.salt_path {
            outln!(
                "redaction salt kept in {} (keep it; never share it)",
                s.display()
            );
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `--help` of `verify-package`.
pub const VERIFY_LONG_ABOUT: &str = "\
Verify an evidence package offline (exit 0 as recorded, 1 not, 2 error).

Checks, without the home case: every file against the signed index
package.json (and that no file was added or removed), the index's
signature by the packager, each disclosed entry's signature by a signer
the disclosed entries introduce, an inclusion proof of every given and
withheld entry against the checkpoint, the checkpoint's signature by a
signer of the case, the disclosure entry, and each manifest's digest
against the disclosure and acquisition entries. Withheld entries are
reported for information. With --trust the case must have been opened
by that key (get the fingerprint from the lab by another channel).

--evidence compares evidence with the shared manifests, like `verify
--evidence`: EXHIBIT=PATH (repeat for each root of an exhibit acquired
from several paths, in order), or PATH when the package shares one
exhibit. With redacted paths, files are matched by digest only.";

// Arguments of `custodian verify-package`; help text: VERIFY_LONG_ABOUT.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian verify-package pj-exh001.tar --trust SHA256:0vX…\n  custodian verify-package defence/ --trust SHA256:0vX… --evidence EXH-001=/mnt/copy --json"
)]
pub struct VerifyPackageArgs {
    /// The package: a directory or a .tar archive.
    pub package: PathBuf,
    #[command(flatten)]
    pub trust: TrustArg,
    /// Compare evidence with the shared manifests: EXHIBIT=PATH or PATH (repeatable).
    #[arg(long, value_name = "[EXHIBIT=]PATH")]
    pub evidence: Vec<String>,
    /// Hashing threads for --evidence (default: one per CPU).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run_verify(args: VerifyPackageArgs) -> Result<ExitCode> {
    let trust = args.trust.roots()?;
    let opts = VerifyOptions {
        trust,
        evidence: args.evidence.clone(),
        jobs: args.jobs,
    };
    let report = package::verify(&args.package, &opts)
        .with_context(|| format!("cannot verify package {}", args.package.display()))?;
    let valid = report.is_valid();
    if !report.is_package() {
        let why = report
            .findings
            .iter()
            .filter(|f| f.severity == Level::Error)
            .map(|f| match &f.file {
                Some(file) if !f.message.starts_with(file.as_str()) => {
                    format!("{file}: {}", f.message)
                }
                _ => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        anyhow::bail!(
            "{}: not a custodian package ({why})",
            args.package.display()
        );
    }
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        v["valid"] = json!(valid);
        print_json(&v);
    } else {
        for f in &report.findings {
            let level = match f.severity {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info => "info",
            };
            errln!("custodian: {level}: [{}] {}", f.code, f.message);
        }
        let cp = report
            .checkpoint
            .as_ref()
            .map(|(s, r)| format!("checkpoint of {s} entries (root {r})"))
            .unwrap_or_else(|| "no checkpoint".into());
        outln!(
            "package {}: case {}, exhibit(s) {}, for {}: {} entr{} disclosed, {} withheld, {cp}",
            report.package.as_deref().unwrap_or("?"),
            report.case_id.as_deref().unwrap_or("?"),
            report.exhibits.join(", "),
            report.recipient.as_deref().unwrap_or("?"),
            report.entries.len(),
            if report.entries.len() == 1 {
                "y"
            } else {
                "ies"
            },
            report.withheld.len(),
        );
        for e in &report.evidence {
            outln!(
                "evidence of {}: {} file(s) matched, {} difference(s) (compared by {})",
                e.exhibit,
                e.matched,
                e.differences,
                e.method
            );
        }
        outln!(
            "{}",
            if valid {
                "package is as recorded"
            } else {
                "package is NOT as recorded"
            }
        );
    }
    Ok(ExitCode::from(if valid { EXIT_OK } else { EXIT_INVALID }))
}
