//! `custodian checkpoint`: sign (or cosign) a checkpoint of a case's
//! Merkle tree (docs/spec/transparency.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::checkpoint::{
    check_ledger, save, write_atomic, CheckpointError, NoteSigner, OpenVerifiedError,
    SignedCheckpoint, VerifiedCase,
};
use custodian::ledger::Severity;

use super::args::KeyArg;
use super::term::errln;
use super::{EXIT_INVALID, EXIT_OK};

/// Sign a checkpoint of the case's Merkle tree (or cosign one).
///
/// A checkpoint states "the first SIZE entries of this case have Merkle root
/// ROOT" (RFC 9162 tree over the entry hashes) and is signed by a signer of
/// the case as a C2SP signed note. Give it to someone outside the lab (the
/// court, the defence, a partner agency): any later ledger must extend it,
/// which `custodian verify --expect-checkpoint` and `custodian prove
/// consistency` show.
///
/// `checkpoint CASE` verifies the ledger, signs a checkpoint of all its
/// entries with --key (which must be an active signer; the note key name is
/// its principal in the ledger), saves it as CASE/checkpoints/SIZE.txt and
/// prints it. An existing checkpoint of the same size must be identical
/// apart from its signatures (they are merged); a different one is refused
/// (exit 1): the ledger's history changed since it was signed.
///
/// `checkpoint cosign FILE` adds another signature line to a checkpoint file
/// (sorted, no duplicates). Format: docs/spec/transparency.md.
#[derive(clap::Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  custodian checkpoint cases/0042 --key ~/.custodian/jdoe\n  custodian checkpoint cosign cases/0042/checkpoints/6.txt --key analyst --case cases/0042\n  custodian verify cases/0042 --expect-checkpoint court/6.txt"
)]
pub struct CheckpointArgs {
    #[command(subcommand)]
    pub action: Option<CheckpointAction>,
    /// The case folder.
    #[arg(required = true)]
    pub case: Option<PathBuf>,
    // Required (KeyArg.key is not optional), but not with `cosign`:
    // subcommand_negates_reqs.
    #[command(flatten)]
    pub key: Option<KeyArg>,
}

#[derive(clap::Subcommand, Debug)]
pub enum CheckpointAction {
    /// Add a signature line to a checkpoint file.
    Cosign(CosignArgs),
}

/// Add your signature to a checkpoint file (in place).
///
/// The signature line is added in sorted order; signing twice changes
/// nothing (Ed25519 signatures are deterministic). With --case the
/// checkpoint is first checked against that case's ledger and the key
/// name is the key's principal there.
#[derive(clap::Args, Debug)]
pub struct CosignArgs {
    /// The checkpoint file.
    pub file: PathBuf,
    #[command(flatten)]
    pub key: KeyArg,
    /// Check the checkpoint against this case first (recommended).
    #[arg(long, value_name = "CASE")]
    pub case: Option<PathBuf>,
    /// The note key name (default: the key's principal in --case, else
    /// the key file's comment).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(args: CheckpointArgs) -> Result<ExitCode> {
    if let Some(CheckpointAction::Cosign(c)) = args.action {
        return run_cosign(c);
    }
    let (Some(case_dir), Some(key)) = (args.case, args.key) else {
        anyhow::bail!("checkpoint needs a CASE and --key");
    };
    let verified = match open_verified(&case_dir)? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    let case_id = verified.case_id()?;
    let VerifiedCase { raw, state, .. } = verified;
    let signing = key.load()?;
    let key = key.key;
    let public = signing.public();
    let signer = state
        .signers
        .get(public.fingerprint())
        .filter(|s| s.is_active())
        .with_context(|| {
            format!(
                "{}: key {} is not an active signer of case {case_id}",
                key.display(),
                public.fingerprint()
            )
        })?;
    let note_signer = NoteSigner::new(
        &custodian::checkpoint::note_key_name(&signer.principal),
        signing.signer(),
        &key.display().to_string(),
    )?;
    let mut signed = SignedCheckpoint::new(custodian::checkpoint::checkpoint_of_ledger(
        &raw, &case_id, None,
    )?);
    signed.sign(&note_signer)?;
    match save(&case_dir, &signed) {
        Ok((path, saved)) => {
            print!("{}", saved.to_text());
            errln!("custodian: checkpoint saved as {}", path.display());
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(e @ CheckpointError::Conflict { .. }) => {
            errln!("custodian: checkpoint-mismatch: {e}");
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(e) => Err(e.into()),
    }
}

fn run_cosign(args: CosignArgs) -> Result<ExitCode> {
    let mut signed = custodian::checkpoint::read_checkpoint(&args.file)?;
    let signing = args.key.load()?;
    let what = args.key.key.display().to_string();
    let mut name = args.name.clone();
    if let Some(case_dir) = &args.case {
        let VerifiedCase { raw, state, .. } = match open_verified(case_dir)? {
            Ok(v) => v,
            Err(code) => return Ok(code),
        };
        let problems = check_ledger(&raw, &state, &signed, &args.file.display().to_string());
        let mut bad = false;
        for p in problems.iter().filter(|p| p.severity == Severity::Error) {
            errln!("custodian: [{}] {}", p.code, p.message);
            bad = true;
        }
        if bad {
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        if name.is_none() {
            name = state
                .signers
                .get(signing.fingerprint())
                .map(|s| custodian::checkpoint::note_key_name(&s.principal));
        }
    }
    let name = match name {
        Some(n) => n,
        None if !signing.comment().is_empty() => signing.comment().to_string(),
        None => anyhow::bail!(
            "{what}: the key has no comment to use as its name; give --name or --case"
        ),
    };
    let signer = NoteSigner::new(&name, signing.signer(), &what)?;
    if signed.sign(&signer)? {
        write_atomic(&args.file, signed.to_text().as_bytes())?;
        errln!(
            "custodian: {}: signature by {name} added",
            args.file.display()
        );
    } else {
        errln!(
            "custodian: {}: already signed by {name}",
            args.file.display()
        );
    }
    print!("{}", signed.to_text());
    Ok(ExitCode::from(EXIT_OK))
}

/// Opens a case and verifies its ledger (see
/// [`custodian::checkpoint::open_verified`]). When the ledger does not
/// verify, says why on stderr and gives the exit code (1) instead.
pub(super) fn open_verified(
    case_dir: &std::path::Path,
) -> Result<std::result::Result<VerifiedCase, ExitCode>> {
    match custodian::checkpoint::open_verified(case_dir) {
        Ok(v) => Ok(Ok(v)),
        Err(OpenVerifiedError::NotVerified(e)) => {
            errln!("custodian: {}: {e}", case_dir.display());
            Ok(Err(ExitCode::from(EXIT_INVALID)))
        }
        Err(OpenVerifiedError::Open(e)) => {
            Err(e).with_context(|| format!("cannot open case {}", case_dir.display()))
        }
        Err(OpenVerifiedError::Read(e)) => {
            Err(e).with_context(|| format!("cannot read case {}", case_dir.display()))
        }
    }
}
