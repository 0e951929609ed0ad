//! `custodian signer add|revoke` and `custodian signers`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use custodian::ledger::{self, Body, Role, SignerInfo, SignerRevoke};
use custodian::Fingerprint;
use serde_json::json;

use super::args::KeyArg;
use super::common::{open_case, print_json};
use super::term::{errln, outln};

#[derive(clap::Args, Debug)]
pub struct SignerArgs {
    #[command(subcommand)]
    pub command: SignerCommand,
}

#[derive(Subcommand, Debug)]
pub enum SignerCommand {
    /// Trust another key to sign entries in this case (supervisors only).
    #[command(
        after_help = "Example:\n  custodian signer add cases/2026-0042 --pubkey analyst.pub \\\n      --principal a.silva@pj.example --role examiner --key ~/.custodian/jdoe"
    )]
    Add {
        /// The case folder.
        case: PathBuf,
        /// The new signer's public key (.pub file, or a private key file).
        #[arg(long, value_name = "FILE")]
        pubkey: PathBuf,
        /// The new signer's principal, e.g. a.silva@pj.example (default:
        /// the key's comment, as for `init`; `key new --principal` writes it).
        #[arg(long, value_name = "NAME")]
        principal: Option<String>,
        /// The new signer's role: supervisor, examiner, evidence-officer,
        /// witness or auditor.
        #[arg(long, value_name = "ROLE")]
        role: Role,
        /// The person's name as it should appear in reports (a report's
        /// --examiner may name them by it).
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// The qualifications the person states (recorded as their
        /// statement; a certification can quote them).
        #[arg(long, value_name = "TEXT")]
        qualifications: Option<String>,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Stop trusting a key from now on (supervisors, or a signer revoking
    /// their own key). Entries it signed before stay valid.
    Revoke {
        /// The case folder.
        case: PathBuf,
        /// The key to revoke, as SHA256:… (see `custodian signers`).
        #[arg(long, value_name = "SHA256:…")]
        fingerprint: String,
        /// Why, e.g. "laptop stolen 2026-11-20" or "left the unit".
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        key: KeyArg,
    },
}

pub fn run(args: SignerArgs) -> Result<ExitCode> {
    let (case_dir, body, key) = match args.command {
        SignerCommand::Add {
            case,
            pubkey,
            principal,
            role,
            name,
            qualifications,
            key,
        } => {
            let (new, comment) = custodian::keys::read_signer_key_and_comment(&pubkey)?;
            let Some(principal) =
                custodian::keys::principal_or_comment(principal.as_deref(), &comment)
            else {
                anyhow::bail!(
                    "{}: the key has no comment to use as its principal; pass --principal",
                    pubkey.display()
                );
            };
            custodian::keys::validate_principal(&principal)?;
            let body = SignerInfo {
                principal,
                role,
                key: new.to_openssh(),
                name,
                qualifications,
            };
            (case, Body::SignerAdd(body), key)
        }
        SignerCommand::Revoke {
            case,
            fingerprint,
            reason,
            key,
        } => {
            let body = SignerRevoke {
                fingerprint: Fingerprint::parse(&fingerprint)?,
                reason,
            };
            (case, Body::SignerRevoke(body), key)
        }
    };
    let case = open_case(&case_dir)?;
    let signing = key.load()?;
    let appended = case
        .append(&signing, &body)
        .with_context(|| format!("cannot append to case {}", case_dir.display()))?;
    outln!(
        "appended entry {} ({}): {}",
        appended.entry.seq,
        appended.entry.kind,
        appended.entry.summary()
    );
    outln!("head: {}", appended.hash);
    Ok(ExitCode::SUCCESS)
}

/// List the case's signers, or print them as an OpenSSH allowed_signers file.
///
/// Signers are replayed from the ledger's valid entries. Each is shown with
/// its validity window (from the entry that added it until the one that
/// revoked it, with their times: the entries it may sign) and, for a
/// hardware-backed security key, its key type. With
/// --allowed-signers the output can be fed to `ssh-keygen -Y verify -f` for
/// every signature custodian makes: each line allows custodian's namespaces
/// (custodian-ledger-v1 for entries, custodian-report-v1 for reports,
/// custodian-package-v1 for packages) and only the period the key was
/// trusted (check a signature made before a revocation with
/// -O verify-time=…Z, the time it was made).
#[derive(clap::Args, Debug)]
pub struct SignersArgs {
    /// The case folder.
    pub case: PathBuf,
    /// Print an OpenSSH allowed_signers file instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub allowed_signers: bool,
    /// Print JSON Lines, one signer per line.
    #[arg(long)]
    pub json: bool,
}

pub fn run_list(args: SignersArgs) -> Result<ExitCode> {
    let case = open_case(&args.case)?;
    let report = ledger::verify(case.ledger(), &ledger::VerifyOptions::default())
        .with_context(|| format!("cannot read case {}", args.case.display()))?;
    let state = &report.state;
    if args.allowed_signers {
        print!("{}", state.allowed_signers());
        return Ok(ExitCode::SUCCESS);
    }
    let mut signers: Vec<_> = state.signers.iter().collect();
    signers.sort_by_key(|(_, s)| s.added_seq);
    if args.json {
        for (fp, s) in signers {
            print_json(&json!({
                "principal": s.principal,
                "name": s.name,
                "qualifications": s.qualifications,
                "role": s.role,
                "fingerprint": fp,
                "key": s.key.to_openssh(),
                "key_type": s.key.key_type(),
                "hardware": s.key.is_hardware(),
                "added": {"entry": s.added_seq, "time": s.added_time},
                "valid": {
                    "from": {"entry": s.added_seq, "time": s.added_time},
                    "until": s.revoked.as_ref().map(|r| json!({"entry": r.seq, "time": r.time})),
                },
                "revoked": s.revoked.as_ref().map(|r| json!({"entry": r.seq, "time": r.time, "reason": r.reason})),
            }));
        }
    } else {
        // A fingerprint is 50 characters: never cut.
        let principals = signers.iter().map(|(_, s)| s.principal.as_str());
        let columns =
            super::term::Columns(vec![super::term::width_of(principals, 9, 48), 17, 50, 6]);
        outln!(
            "{}",
            columns.line(&["PRINCIPAL", "ROLE", "FINGERPRINT", "ADDED", "STATUS"])
        );
        for (fp, s) in signers {
            let status = match &s.revoked {
                None => "active".to_string(),
                Some(r) => format!("revoked at entry {}: {}", r.seq, r.reason),
            };
            outln!(
                "{}",
                columns.line(&[
                    &s.principal,
                    &s.role.to_string(),
                    &fp.to_string(),
                    &s.added_seq.to_string(),
                    &status
                ])
            );
            outln!("  valid: {}", validity_window(s));
            if s.key.is_hardware() {
                outln!(
                    "  key: {} (hardware-backed security key: signs entries, not checkpoints or packages)",
                    s.key.key_type()
                );
            }
            if let Some(name) = &s.name {
                outln!("  name: {name}");
            }
            if let Some(q) = &s.qualifications {
                outln!("  qualifications (as they state them): {q}");
            }
        }
    }
    if !report.is_valid() {
        errln!("custodian: warning: the ledger does not verify; signers are listed from its valid entries only (run `custodian verify`)");
    }
    Ok(ExitCode::SUCCESS)
}

/// The entries a key may sign, in words: a key added by entry A signs the
/// entries after A (the opening key signs entry 0 itself); one revoked by
/// entry R signs nothing after R (docs/spec/ledger.md §8).
fn validity_window(s: &ledger::Signer) -> String {
    let from = format!("from entry {} ({})", s.added_seq, s.added_time);
    match &s.revoked {
        None => format!("{from}, still active"),
        Some(r) => format!("{from} until entry {} ({}), revoked", r.seq, r.time),
    }
}
