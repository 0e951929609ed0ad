//! Helpers shared by subcommands: loading keys, opening cases, output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use custodian::keys::{KeyError, SigningKey};
use custodian::Case;

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
    #[arg(long, env = "CUSTODIAN_KEY", value_name = "KEYFILE")]
    pub key: PathBuf,
}

impl KeyArg {
    pub fn load(&self) -> Result<SigningKey> {
        load_signing_key(&self.key)
    }
}

/// Loads a private key, asking for its passphrase only if it is encrypted.
pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
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

/// Opens a case folder, naming it in any error.
pub fn open_case(dir: &Path) -> Result<Case> {
    Case::open(dir).with_context(|| format!("cannot open case {}", dir.display()))
}

/// Prints one line of JSON to stdout.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string(value).expect("JSON value serialises")
    );
}

/// The keys a case must have been opened with, from `--trust` fingerprints
/// and an `--allowed-signers` file. An allowed_signers file that lists no
/// key is an error: it would silently trust nothing.
pub fn trusted_roots(
    trust: &[String],
    allowed_signers: Option<&Path>,
) -> Result<Vec<custodian::Fingerprint>> {
    let mut roots = Vec::new();
    for t in trust {
        roots.push(custodian::Fingerprint::parse(t)?);
    }
    if let Some(path) = allowed_signers {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let listed = custodian::keys::parse_allowed_signers(&text, &path.display().to_string())?;
        if listed.is_empty() {
            anyhow::bail!("{}: lists no keys", path.display());
        }
        roots.extend(listed.into_iter().map(|s| s.key.fingerprint().clone()));
    }
    Ok(roots)
}
