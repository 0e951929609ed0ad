//! Argument groups shared by several subcommands, flattened where used
//! (`#[command(flatten)]`), so that a flag means the same thing, reads the
//! same environment variable and has the same help everywhere:
//!
//! - [`KeyArg`]: `--key`, the signing key of a command that appends;
//! - [`OptionalKeyArg`]: `--key` when only another flag signs (`report
//!   --sign`, `index match-blinded --record`);
//! - [`TrustArgs`] (`--trust`, `--allowed-signers`) and [`TrustArg`]
//!   (`--trust` alone): the keys a case must have been opened with.
//!
//! Every argument read from the environment sets `hide_env_values`: `--help`
//! names the variable but never prints its value.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use custodian::keys::{KeyError, SigningKey, TrustedRoot};
use custodian::Fingerprint;

/// Environment variable naming the signing key (`--key`).
pub const KEY_ENV: &str = "CUSTODIAN_KEY";
/// Environment variable holding a key passphrase for scripts.
pub const PASSPHRASE_ENV: &str = "CUSTODIAN_PASSPHRASE";

/// The signing key of a command that appends to a ledger.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyArg {
    /// OpenSSH ed25519 private key to sign with (or set CUSTODIAN_KEY).
    ///
    /// Keys made by `custodian key new` or `ssh-keygen -t ed25519` both work.
    /// An encrypted key's passphrase is read from CUSTODIAN_PASSPHRASE or
    /// asked for on the terminal. The private key never enters the case folder.
    #[arg(long, env = KEY_ENV, hide_env_values = true, value_name = "KEYFILE")]
    pub key: PathBuf,
}

impl KeyArg {
    pub fn load(&self) -> Result<SigningKey> {
        load_signing_key(&self.key)
    }
}

/// A signing key needed only when another flag asks for a signature. The
/// command names that flag in the help, e.g. with
/// `#[command(mut_arg("key", |a| a.help("The signing key for --sign (or CUSTODIAN_KEY)")))]`,
/// and makes the flag require `key`.
#[derive(clap::Args, Debug, Clone)]
pub struct OptionalKeyArg {
    /// OpenSSH ed25519 private key to sign with (or set CUSTODIAN_KEY).
    #[arg(long, env = KEY_ENV, hide_env_values = true, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
}

impl OptionalKeyArg {
    /// The key, if one was given (`--key` or CUSTODIAN_KEY).
    pub fn load(&self) -> Result<Option<SigningKey>> {
        self.key.as_deref().map(load_signing_key).transpose()
    }
}

/// Loads a private key, asking for its passphrase only if it is encrypted:
/// from CUSTODIAN_PASSPHRASE, else on the terminal, else (no terminal) it
/// fails saying how to give one.
fn load_signing_key(path: &Path) -> Result<SigningKey> {
    Ok(SigningKey::load(path, || {
        if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
            return Ok(Some(p));
        }
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
            .map(Some)
            .map_err(|e| KeyError::PassphraseRead {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    })?)
}

/// `--trust` alone, for commands that have no `--allowed-signers`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrustArg {
    /// Fingerprint of a key the case must have been opened with (repeatable).
    #[arg(long, value_name = "SHA256:…")]
    pub trust: Vec<String>,
}

impl TrustArg {
    /// The fingerprints given (none: the root of trust is self-asserted).
    pub fn roots(&self) -> Result<Vec<Fingerprint>> {
        self.trust
            .iter()
            .map(|t| Ok(Fingerprint::parse(t)?))
            .collect()
    }
}

/// The root of trust of a ledger: the keys its entry 0 may be signed by.
#[derive(clap::Args, Debug, Clone)]
pub struct TrustArgs {
    #[command(flatten)]
    pub trust: TrustArg,
    /// An OpenSSH allowed_signers file; entry 0's key must be listed in it,
    /// on a line whose namespaces= and valid-after/valid-before allow it
    /// for a ledger at entry 0's time (as ssh-keygen -Y verify would)
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

impl TrustArgs {
    /// The fingerprints given and the lines of the allowed_signers file
    /// (none: the root of trust is self-asserted).
    pub fn roots(&self) -> Result<Vec<TrustedRoot>> {
        // A fingerprint given alone is trusted without limits.
        let mut roots: Vec<TrustedRoot> = self
            .trust
            .roots()?
            .into_iter()
            .map(TrustedRoot::from)
            .collect();
        if let Some(path) = &self.allowed_signers {
            roots.extend(allowed_signer_roots(path)?);
        }
        Ok(roots)
    }
}

/// Every line of an `--allowed-signers` file as a root of trust with its
/// limits (namespaces, validity window), which the verifier applies at
/// entry 0's time. A file that lists no key, or no key that may sign a
/// ledger at all, is an error: it would silently trust nothing.
fn allowed_signer_roots(path: &Path) -> Result<Vec<TrustedRoot>> {
    let text = read_allowed_signers(path)?;
    let what = path.display().to_string();
    let listed = custodian::keys::parse_allowed_signers(&text, &what)?;
    if listed.is_empty() {
        anyhow::bail!("{}: lists no keys", path.display());
    }
    // A file whose every line is restricted to other namespaces (a git
    // signing file) is not a file of ledger keys at all.
    let for_ledgers = |s: &custodian::keys::AllowedSigner| {
        s.namespaces
            .as_ref()
            .is_none_or(|ns| ns.iter().any(|n| n == custodian::keys::LEDGER_NAMESPACE))
    };
    if !listed.iter().any(for_ledgers) {
        anyhow::bail!(
            "{}: no key in it may sign in the namespace {} (each line's namespaces= excludes it)",
            path.display(),
            custodian::keys::LEDGER_NAMESPACE
        );
    }
    Ok(listed
        .into_iter()
        .map(|s| TrustedRoot::from_allowed_signer(s, &what))
        .collect())
}

/// Reads an allowed_signers file, at most
/// [`custodian::keys::MAX_ALLOWED_SIGNERS_BYTES`] (`--allowed-signers
/// /dev/zero` must fail, not fill memory).
pub fn read_allowed_signers(path: &Path) -> Result<String> {
    use std::io::Read;
    let max = custodian::keys::MAX_ALLOWED_SIGNERS_BYTES;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        anyhow::bail!(
            "{}: larger than {max} bytes; not an allowed_signers file",
            path.display()
        );
    }
    String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8 text", path.display()))
}
