//! `custodian prove` and `custodian verify-proof`: Merkle inclusion and
//! consistency proofs that can be checked without the ledger
//! (docs/spec/transparency.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use custodian::checkpoint::{
    check_ledger, encode_hash, note_key_name, origin_for_case, NoteError, NoteVerifier,
    SignedCheckpoint, VerifiedCase,
};
use custodian::ledger::{CaseState, RawLedger, Severity};
use custodian::merkle::{self, ConsistencyProof, Hash, InclusionProof, Proof};
use sha2::{Digest, Sha256};

use super::checkpoint::open_verified;
use super::term::{errln, outln};
use super::{EXIT_INVALID, EXIT_OK};

/// Print a Merkle inclusion or consistency proof for a case.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian prove inclusion cases/0042 --entry 3 --checkpoint cases/0042/checkpoints/6.txt > entry3.proof\n  custodian prove consistency cases/0042 --from court/6.txt --to cases/0042/checkpoints/9.txt > 6-9.proof\n  custodian verify-proof entry3.proof --checkpoint court/6.txt --allowed-signers signers.txt"
)]
pub struct ProveArgs {
    #[command(subcommand)]
    pub kind: ProveKind,
}

#[derive(clap::Subcommand, Debug)]
pub enum ProveKind {
    /// Prove that entry N is in the case's tree (of a checkpoint's size).
    Inclusion(InclusionArgs),
    /// Prove that a later checkpoint (or the ledger now) extends an earlier one.
    Consistency(ConsistencyArgs),
}

/// Prove that entry N is in the case's Merkle tree.
///
/// The proof is for the tree of the checkpoint's size with --checkpoint
/// (which must match the ledger), else for the whole ledger now. The
/// ledger must verify. The proof is a JSON object (docs/spec/transparency.md).
#[derive(clap::Args, Debug)]
pub struct InclusionArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The entry (sequence number) to prove.
    #[arg(long, value_name = "N")]
    pub entry: u64,
    /// A checkpoint of this case: prove inclusion in its tree.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
}

/// Prove that the tree of --to (or the ledger now) extends that of --from.
///
/// Both checkpoints must match the ledger, which must verify. The proof is
/// a JSON object (docs/spec/transparency.md).
#[derive(clap::Args, Debug)]
pub struct ConsistencyArgs {
    /// The case folder.
    pub case: PathBuf,
    /// The earlier checkpoint.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The later checkpoint (default: the whole ledger now).
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,
}

/// Check a proof made by `custodian prove`, without the ledger.
///
/// Recomputes the proof's hashes up to the root(s) it states. With
/// --checkpoint (repeatable; one for an inclusion proof, up to two for a
/// consistency proof) each checkpoint must be for the same origin, state
/// one of the proof's (size, root) pairs, and be signed by a key of
/// --allowed-signers (signatures by other keys are listed, never counted).
/// Without a checkpoint the roots are vouched for by nothing: the proof is
/// only shown to be internally sound.
///
/// Exit codes: 0 the proof holds; 1 it does not (or a checkpoint does not
/// match or is not signed by a trusted key); 2 usage or I/O error.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian verify-proof entry3.proof --checkpoint 6.txt --allowed-signers signers.txt\n  custodian verify-proof 6-9.proof --checkpoint 6.txt --checkpoint 9.txt --allowed-signers signers.txt"
)]
pub struct VerifyProofArgs {
    /// The proof file.
    pub proof: PathBuf,
    /// A signed checkpoint the proof must lead to (repeatable).
    #[arg(long, value_name = "FILE", requires = "allowed_signers")]
    pub checkpoint: Vec<PathBuf>,
    /// OpenSSH allowed_signers file of the keys trusted to sign checkpoints
    /// (`custodian signers CASE --allowed-signers` prints one); only lines
    /// whose namespaces= allows custodian-ledger-v1 count
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Print nothing; only the exit code tells.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the result as one JSON object: `valid`, `proof`, `lines` (what
    /// the text output says), `errors` and `warnings` (each `{code, message}`).
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
}

pub fn run(args: ProveArgs) -> Result<ExitCode> {
    match args.kind {
        ProveKind::Inclusion(a) => run_inclusion(a),
        ProveKind::Consistency(a) => run_consistency(a),
    }
}

/// The case's verified ledger, its state, leaves and origin; Err(exit code)
/// after printing why when it does not verify.
struct Loaded {
    raw: RawLedger,
    state: CaseState,
    leaves: Vec<Hash>,
    origin: String,
}

fn load(case_dir: &Path) -> Result<std::result::Result<Loaded, ExitCode>> {
    let verified = match open_verified(case_dir)? {
        Ok(v) => v,
        Err(code) => return Ok(Err(code)),
    };
    let origin = origin_for_case(&verified.case_id()?);
    let VerifiedCase { raw, state, .. } = verified;
    let leaves = merkle::ledger_leaf_hashes(&raw);
    Ok(Ok(Loaded {
        raw,
        state,
        leaves,
        origin,
    }))
}

/// Reads a checkpoint and checks it against the ledger; None (after
/// printing the problems) if it does not match.
fn matching_checkpoint(l: &Loaded, path: &Path) -> Result<Option<SignedCheckpoint>> {
    let signed = custodian::checkpoint::read_checkpoint(path)?;
    let what = path.display().to_string();
    let mut ok = true;
    for p in check_ledger(&l.raw, &l.state, &signed, &what) {
        let sev = match p.severity {
            Severity::Error => {
                ok = false;
                "error"
            }
            Severity::Warning => "warning",
        };
        errln!("custodian: {sev}: [{}] {}", p.code, p.message);
    }
    Ok(ok.then_some(signed))
}

fn run_inclusion(args: InclusionArgs) -> Result<ExitCode> {
    let l = match load(&args.case)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let size = match &args.checkpoint {
        Some(path) => match matching_checkpoint(&l, path)? {
            Some(cp) => cp.checkpoint.size,
            None => return Ok(ExitCode::from(EXIT_INVALID)),
        },
        None => l.leaves.len() as u64,
    };
    if args.entry >= size {
        anyhow::bail!(
            "--entry {}: the tree has {size} entries (0 to {})",
            args.entry,
            size.saturating_sub(1)
        );
    }
    let entry_hash: Hash = Sha256::digest(l.raw.line(args.entry as usize)).into();
    let proof = Proof::Inclusion(InclusionProof {
        origin: l.origin.clone(),
        tree_size: size,
        root: merkle::root_at(&l.leaves, size)?,
        leaf_index: args.entry,
        entry_hash,
        path: merkle::inclusion_proof(&l.leaves, args.entry, size)?,
    });
    print!("{}", proof.to_json());
    Ok(ExitCode::from(EXIT_OK))
}

fn run_consistency(args: ConsistencyArgs) -> Result<ExitCode> {
    let l = match load(&args.case)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let Some(from) = matching_checkpoint(&l, &args.from)? else {
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    let new_size = match &args.to {
        Some(path) => match matching_checkpoint(&l, path)? {
            Some(cp) => cp.checkpoint.size,
            None => return Ok(ExitCode::from(EXIT_INVALID)),
        },
        None => l.leaves.len() as u64,
    };
    let old_size = from.checkpoint.size;
    if old_size > new_size {
        anyhow::bail!("--from has {old_size} entries, more than the {new_size} of --to: swap them");
    }
    let proof = Proof::Consistency(ConsistencyProof {
        origin: l.origin.clone(),
        old_size,
        old_root: from.checkpoint.root,
        new_size,
        new_root: merkle::root_at(&l.leaves, new_size)?,
        path: merkle::consistency_proof(&l.leaves, old_size, new_size)?,
    });
    print!("{}", proof.to_json());
    Ok(ExitCode::from(EXIT_OK))
}

pub fn run_verify(args: VerifyProofArgs) -> Result<ExitCode> {
    let what = args.proof.display().to_string();
    let text = read_proof_file(&args.proof).with_context(|| format!("cannot read {what}"))?;
    let lines = std::cell::RefCell::new(Vec::<String>::new());
    let say = |s: String| {
        if args.json {
            lines.borrow_mut().push(s);
        } else if !args.quiet {
            outln!("{s}");
        }
    };
    let finish = |valid: bool| {
        if args.json {
            print_proof_json(&what, valid, &lines.borrow());
        }
        Ok(ExitCode::from(if valid { EXIT_OK } else { EXIT_INVALID }))
    };
    let fail = |s: String| {
        say(s);
        say("result:  NOT VERIFIED".to_string());
        finish(false)
    };
    let proof = match Proof::parse(&text, &what) {
        Ok(p) => p,
        // Not a proof at all: an operational error (exit 2), as for a
        // file that cannot be read. A proof that is wrong does not verify.
        Err(e @ custodian::merkle::ProofError::NotAProof { .. }) => return Err(e.into()),
        Err(e) => return fail(format!("error: [proof-malformed] {e}")),
    };
    let verifiers = read_verifiers(args.allowed_signers.as_deref())?;
    // Read every checkpoint before judging anything, so that an unreadable
    // file is an operational error (exit 2) whatever the proof says.
    let checkpoints = read_checkpoints(&args.checkpoint)?;
    match &proof {
        Proof::Inclusion(p) => say(format!(
            "proof:   inclusion of entry {} ({}) in the tree of {} entries of {}",
            p.leaf_index,
            hex::encode(p.entry_hash),
            p.tree_size,
            p.origin
        )),
        Proof::Consistency(p) => say(format!(
            "proof:   consistency of {} entries with {} entries of {}",
            p.old_size, p.new_size, p.origin
        )),
    }
    if let Err(e) = proof.verify(&what) {
        return fail(format!("error: [proof-invalid] {e}"));
    }
    let trees = proof.trees();
    let mut vouched = vec![false; trees.len()];
    for (cp_what, parsed) in checkpoints {
        let signed = match parsed {
            Ok(s) => s,
            Err(e) => return fail(format!("error: [checkpoint-malformed] {e}")),
        };
        let cp = &signed.checkpoint;
        if cp.origin != proof.origin() {
            return fail(format!(
                "error: [checkpoint-mismatch] {cp_what} is for {:?}, the proof for {:?}",
                cp.origin,
                proof.origin()
            ));
        }
        let matching: Vec<usize> = (0..trees.len())
            .filter(|&i| trees[i] == (cp.size, cp.root))
            .collect();
        if matching.is_empty() {
            return fail(format!(
                "error: [checkpoint-mismatch] {cp_what} states size {} root {}, which the proof does not lead to",
                cp.size,
                encode_hash(&cp.root)
            ));
        }
        let check = signed.verify_signatures(&verifiers);
        if !check.is_trusted() {
            return fail(format!(
                "error: [checkpoint-signature] {cp_what}: {}",
                check.describe()
            ));
        }
        if !check.unknown.is_empty() {
            say(format!(
                "warning: [checkpoint-unknown-signer] {cp_what}: {}",
                check.describe()
            ));
        }
        say(format!(
            "checkpoint: {cp_what}: size {}, {}",
            cp.size,
            check.describe()
        ));
        for i in matching {
            vouched[i] = true;
        }
    }
    for ((size, root), v) in trees.iter().zip(&vouched) {
        if !v {
            say(format!(
                "note:    the root of size {size} ({}) is not vouched for by a signed checkpoint: the proof only shows it is internally sound",
                encode_hash(root)
            ));
        }
    }
    say("result:  VERIFIED: the proof holds".to_string());
    finish(true)
}

/// The keys of an allowed_signers file that checkpoint signatures are
/// checked against (none without one). The file is read bounded, and only
/// lines whose `namespaces=` allows the ledger namespace count: a
/// checkpoint is a statement about a ledger, and a key trusted for git
/// signatures is not trusted for it. A checkpoint carries no time, so a
/// line's validity window cannot be applied to it (a checkpoint signed by
/// a key later revoked is accepted, docs/spec/transparency.md §1).
fn read_verifiers(path: Option<&Path>) -> Result<Vec<NoteVerifier>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = super::args::read_allowed_signers(path)?;
    let what = path.display().to_string();
    let mut verifiers = Vec::new();
    let mut listed = 0;
    for s in custodian::keys::parse_allowed_signers(&text, &what)? {
        listed += 1;
        if s.namespaces
            .as_ref()
            .is_some_and(|ns| !ns.iter().any(|n| n == custodian::keys::LEDGER_NAMESPACE))
        {
            continue;
        }
        // A hardware-backed key never signs a checkpoint (NoteSigner).
        if s.key.is_hardware() {
            continue;
        }
        for p in s.principals.split(',').filter(|p| !p.is_empty()) {
            verifiers.push(NoteVerifier::new(&note_key_name(p), &s.key)?);
        }
    }
    if listed == 0 {
        anyhow::bail!("{}: lists no keys", path.display());
    }
    if verifiers.is_empty() {
        anyhow::bail!(
            "{}: no key in it may sign in the namespace {} (each line's namespaces= excludes it)",
            path.display(),
            custodian::keys::LEDGER_NAMESPACE
        );
    }
    Ok(verifiers)
}

/// A checkpoint file's name and what parsing it gave.
type ReadCheckpoint = (String, std::result::Result<SignedCheckpoint, NoteError>);

/// Each checkpoint file read and parsed (a file that cannot be read is an
/// error; one that does not parse is judged later, with the proof).
fn read_checkpoints(paths: &[PathBuf]) -> Result<Vec<ReadCheckpoint>> {
    let mut checkpoints = Vec::new();
    for path in paths {
        let cp_what = path.display().to_string();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {cp_what}"))?;
        checkpoints.push((cp_what.clone(), SignedCheckpoint::parse(&text, &cp_what)));
    }
    Ok(checkpoints)
}

/// `verify-proof --json`: one object with the text lines, and the errors
/// and warnings among them as `{code, message}`.
fn print_proof_json(proof: &str, valid: bool, lines: &[String]) {
    let coded = |prefix: &str| -> Vec<serde_json::Value> {
        lines
            .iter()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|rest| {
                let (code, message) = rest
                    .strip_prefix('[')
                    .and_then(|r| r.split_once("] "))
                    .unwrap_or(("", rest));
                serde_json::json!({"code": code, "message": message})
            })
            .collect()
    };
    super::common::print_json(&serde_json::json!({
        "proof": proof,
        "valid": valid,
        "errors": coded("error: "),
        "warnings": coded("warning: "),
        "lines": lines,
    }));
}

/// Reads a proof file, a regular file of at most one byte more than a
/// proof may be (so that `Proof::parse` names the limit), never more: a
/// device or a huge file must not fill memory.
fn read_proof_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    custodian::fsutil::open_regular(path, true)?
        .take(custodian::merkle::MAX_PROOF_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}
