//! `custodian package` and `custodian verify-package`: evidence packages
//! with selective disclosure (docs/spec/package.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use custodian::package::{self, BuildOptions, Level, PackageError, VerifyOptions};
use serde_json::json;

use super::args::{KeyArg, TrustArg};
use super::common::{open_case, print_json, sanitize};
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
must not exist. Format: docs/spec/package.md.

--encrypt-to (repeatable) writes the tar archive encrypted in the age
format to each recipient (--out must end in .age, e.g. pj.tar.age): an
ssh-ed25519 public key (a .pub file or the line itself), an age1…
recipient, or a case signer's SHA256:… fingerprint. AGENCY=RECIPIENT
states whose key it is. The disclosure entry records the recipients; a
package.encrypted entry then records the ciphertext's SHA-256 and size.
Stock `age -d -i KEY` decrypts it to the plain tar.";

// Arguments of `custodian package`; help text: PACKAGE_LONG_ABOUT.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian package cases/0042 --exhibit EXH-001 --for \"Policia Judiciaria (PT)\" \\\n      --authority MLAT-PT-2026-311 --purpose \"MLAT reply\" --out pj-exh001.tar --key ~/.custodian/jdoe\n  custodian package cases/0042 --exhibit EXH-001 --for \"Policia Judiciaria (PT)\" \\\n      --encrypt-to \"Policia Judiciaria (PT)=pj-examiner.pub\" --out pj-exh001.tar.age --key ~/.custodian/jdoe\n  custodian package cases/0042 --exhibit EXH-001 --exhibit EXH-003 --for \"Defence counsel\" \\\n      --redact-paths --out defence/ --key ~/.custodian/jdoe"
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
    /// Carry the files attached to the case and to the shared exhibits
    /// (photos, scans, forms, imported logs): each is listed on stderr
    /// before it is included, and the disclosure entry records which were
    /// sent. Without it their entries are withheld. Photos can hold GPS
    /// positions and serial numbers; case scans can name other exhibits.
    #[arg(long)]
    pub attachments: bool,
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
    /// Encrypt the package (age) to this recipient (repeatable):
    /// ssh-ed25519 key file or line, age1…, or a signer's SHA256:….
    #[arg(long = "encrypt-to", value_name = "[AGENCY=]RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub key: KeyArg,
}

/// True when `out` ends in `.age` (any case): the name of an encrypted
/// package.
fn is_age_name(out: &std::path::Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("age"))
}

/// Lists on stderr, before anything is written, every attachment a
/// package of `exhibits` will carry, with what it is and what it may
/// reveal.
fn list_attachments(case: &custodian::Case, exhibits: &[String]) -> Result<()> {
    // The case as a writer reads it (its verified-state record when the
    // ledger is unchanged): `package::build` verifies everything next.
    let state = case
        .ledger()
        .state()
        .with_context(|| format!("cannot read case {}", case.dir().display()))?;
    let ids: Vec<custodian::ledger::ExhibitId> = exhibits
        .iter()
        .filter_map(|x| custodian::ledger::validate_exhibit_id(x).ok())
        .collect();
    let list = package::attachments_to_share(&state, &ids);
    if list.is_empty() {
        errln!("custodian: --attachments: no file is attached to the case or to these exhibits");
        return Ok(());
    }
    errln!(
        "custodian: the package will carry {} attachment(s):",
        list.len()
    );
    for (seq, a) in &list {
        errln!(
            "  entry {seq}: {} ({}, {}, {} bytes) about {}: {}{}",
            sanitize(&a.name),
            a.kind,
            a.media_type,
            a.bytes,
            a.exhibit
                .as_ref()
                .map_or_else(|| "the case".to_string(), |e| format!("exhibit {e}")),
            sanitize(
                a.description
                    .as_deref()
                    .unwrap_or(custodian::report::NOT_STATED)
            ),
            if a.exif.as_ref().is_some_and(|x| x.gps) {
                "; HOLDS A GPS POSITION"
            } else {
                ""
            }
        );
    }
    Ok(())
}

pub fn run(args: PackageArgs) -> Result<ExitCode> {
    if args.out.symlink_metadata().is_ok() {
        anyhow::bail!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        );
    }
    // Encryption applies to the tar form only (docs/spec/package.md §9).
    match (args.encrypt_to.is_empty(), is_age_name(&args.out)) {
        (false, false) => anyhow::bail!(
            "--out {}: an encrypted package is one age file; name it NAME.tar.age",
            args.out.display()
        ),
        (true, true) => anyhow::bail!(
            "--out {}: a .age name is for an encrypted package; give --encrypt-to",
            args.out.display()
        ),
        _ => {}
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
        encrypt_to: args.encrypt_to.clone(),
        attachments: args.attachments,
    };
    if args.attachments {
        list_attachments(&case, &args.exhibits)?;
    }
    let built = match package::build(&case, &key, &opts) {
        // The engine names no flags; say which one to fix.
        Err(e @ PackageError::BlankRecipient) => Err(anyhow::anyhow!("--for: {e}")),
        Err(PackageError::NoExhibits) => {
            Err(anyhow::anyhow!("--exhibit: name at least one exhibit"))
        }
        Err(e @ PackageError::MixedEntries { .. }) => Err(anyhow::anyhow!(
            "{e}\nhint: give --reveal-mixed or --withhold-mixed"
        )),
        Err(PackageError::Recipient(e)) => Err(anyhow::anyhow!("--encrypt-to {e}")),
        built => built.map_err(anyhow::Error::from),
    }
    .with_context(|| format!("cannot build a package of case {}", args.case.display()))?;
    let not_written = || {
        format!(
            "disclosure entry {} was recorded but the package could not be written; run the command again",
            built.index.disclosure
        )
    };
    let encrypted = if built.recipients.is_empty() {
        package::write_package(&args.out, &built.files).with_context(not_written)?;
        None
    } else {
        let ct = package::write_encrypted(&args.out, &built.files, &built.recipients)
            .with_context(not_written)?;
        let rec = package::record_ciphertext(&case, &key, &built, &ct).with_context(|| {
            format!(
                "{} was written (SHA-256 {}, {} bytes) but its package.encrypted entry could not be recorded",
                args.out.display(),
                ct.sha256,
                ct.bytes
            )
        })?;
        Some((ct, rec.entry.seq))
    };
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
            "encrypted_to": built.recipients.iter().map(|r| &r.recorded).collect::<Vec<_>>(),
            "ciphertext": encrypted.as_ref().map(|(ct, seq)| json!({
                "sha256": ct.sha256,
                "bytes": ct.bytes,
                "entry": seq,
            })),
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
        if let Some((ct, seq)) = &encrypted {
            outln!(
                "encrypted (age) to {} recipient(s): {}",
                built.recipients.len(),
                built
                    .recipients
                    .iter()
                    .map(|r| match &r.recorded.agency {
                        Some(a) => format!("{} ({a})", r.recorded.recipient),
                        None => r.recorded.recipient.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            outln!(
                "ciphertext SHA-256 {} ({} bytes) recorded as entry {seq}",
                ct.sha256,
                ct.bytes
            );
        }
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
exhibit. With redacted paths, files are matched by digest only.

An age-encrypted package (NAME.tar.age) is decrypted on the fly with
--identity: an OpenSSH private key (its passphrase from
CUSTODIAN_PASSPHRASE or the terminal) or an age identity file. The
ciphertext's SHA-256 is printed, to compare with the package.encrypted
entry of the home ledger. A package encrypted to other keys exits 2
(--case names who it was for from your copy of the case); a damaged or
altered ciphertext exits 1. --extract DIR writes the package's files
into the new folder DIR, only if it is as recorded.";

// Arguments of `custodian verify-package`; help text: VERIFY_LONG_ABOUT.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian verify-package pj-exh001.tar --trust SHA256:0vX…\n  custodian verify-package pj.tar.age --identity ~/.ssh/id_ed25519 --trust SHA256:0vX… --extract pj/\n  custodian verify-package defence/ --trust SHA256:0vX… --evidence EXH-001=/mnt/copy --json"
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
    /// Decrypt an encrypted package with this OpenSSH private key or age identity file.
    #[arg(long, value_name = "KEYFILE")]
    pub identity: Option<PathBuf>,
    /// Write the package's files into this new folder, only if it is as recorded.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Your copy of the case, to name who a package you cannot open was encrypted to.
    #[arg(long, value_name = "CASE")]
    pub case: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Loads `--identity`: an OpenSSH private key through the usual key
/// loading (passphrase included), else an age identity file.
fn load_identity(path: &std::path::Path) -> Result<package::encrypt::Identities> {
    let text = std::fs::read(path)
        .with_context(|| format!("--identity {}: cannot read it", path.display()))?;
    let what = path.display().to_string();
    if text
        .windows(b"BEGIN OPENSSH PRIVATE KEY".len())
        .any(|w| w == b"BEGIN OPENSSH PRIVATE KEY")
    {
        let key = KeyArg {
            key: path.to_path_buf(),
        }
        .load()
        .with_context(|| format!("--identity {what}"))?;
        let Some(private) = key.signer().file_key() else {
            bail!("--identity {what}: a key held by ssh-agent cannot decrypt (age needs the private key); give the key file");
        };
        return Ok(package::encrypt::Identities::from_ssh_key(private, &what)?);
    }
    package::encrypt::Identities::from_age_file(path).context("--identity")
}

/// The one-line error for a package not encrypted to the identity given:
/// its recipient stanzas, and who it was for where the receiver's copy
/// of the case says.
fn not_for_this_identity(
    args: &VerifyPackageArgs,
    identity: &str,
    stanzas: &[package::encrypt::Stanza],
) -> anyhow::Error {
    let kinds = stanzas
        .iter()
        .map(|s| match &s.tag {
            Some(t) => format!("{} (tag {t})", s.kind),
            None if s.kind == "X25519" => "X25519 (anonymous)".to_string(),
            None => s.kind.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut msg = format!(
        "{}: not encrypted to this identity ({identity}); its recipients: {}",
        args.package.display(),
        if kinds.is_empty() {
            "none readable".into()
        } else {
            kinds
        }
    );
    match &args.case {
        None => msg.push_str(
            "; who they are cannot be named without a copy of the case ledger (give --case CASE)",
        ),
        Some(case) => match package::encrypt::intended_in_case(&args.package, stanzas, case) {
            Err(e) => msg.push_str(&format!("; the case could not be read ({e})")),
            Ok(i) => {
                match &i.recorded {
                    Some((id, to)) => msg.push_str(&format!(
                        "; the ledger of case {} records this ciphertext as package {id}, encrypted to: {}",
                        case.display(),
                        to.iter()
                            .map(|r| match &r.agency {
                                Some(a) => format!("{} ({a})", r.recipient),
                                None => r.recipient.clone(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    None => msg.push_str(&format!(
                        "; the ledger of case {} has no package.encrypted entry with this ciphertext's SHA-256, so its recipients cannot be named",
                        case.display()
                    )),
                }
                if i.signers.is_empty() {
                    msg.push_str("; no case signer's ssh-ed25519 tag matches");
                } else {
                    msg.push_str(&format!(
                        "; case signers whose ssh-ed25519 tag matches: {}",
                        i.signers
                            .iter()
                            .map(|(p, fp)| format!("{p} ({fp})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        },
    }
    anyhow::anyhow!(msg)
}

pub fn run_verify(args: VerifyPackageArgs) -> Result<ExitCode> {
    let trust = args.trust.roots()?;
    let identities = args.identity.as_deref().map(load_identity).transpose()?;
    let opts = VerifyOptions {
        trust,
        evidence: args.evidence.clone(),
        jobs: args.jobs,
        identities,
        extract: args.extract.clone(),
    };
    let report = match package::verify(&args.package, &opts) {
        Ok(r) => r,
        Err(PackageError::NotForThisIdentity {
            identity, stanzas, ..
        }) => return Err(not_for_this_identity(&args, &identity, &stanzas)),
        Err(e @ PackageError::Ciphertext { .. }) => {
            errln!(
                "custodian: error: {}{}",
                e,
                if args.extract.is_some() {
                    "; nothing was extracted"
                } else {
                    ""
                }
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Err(e @ PackageError::Encrypted { .. }) => return Err(e.into()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot verify package {}", args.package.display()))
        }
    };
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
        if let Some(ct) = &report.ciphertext {
            outln!(
                "ciphertext SHA-256 {} ({} bytes): compare with the package.encrypted entry of the home ledger",
                ct.sha256,
                ct.bytes
            );
        }
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
        if let Some(dir) = &args.extract {
            match &report.extracted {
                Some(d) => outln!("extracted into {}", d.display()),
                None => outln!(
                    "nothing extracted into {}: the package is not as recorded",
                    dir.display()
                ),
            }
        }
    }
    Ok(ExitCode::from(if valid { EXIT_OK } else { EXIT_INVALID }))
}
