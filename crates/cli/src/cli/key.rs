//! `custodian key`: make and inspect OpenSSH signing keys.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use custodian::SigningKey;

use super::args::PASSPHRASE_ENV;
use super::term::{errln, outln};

#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub command: KeyCommand,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Make a new ed25519 signing key (OpenSSH format) and its .pub file.
    ///
    /// The private key is passphrase-protected unless --no-passphrase is
    /// given; the passphrase is asked for twice on the terminal, or taken from
    /// CUSTODIAN_PASSPHRASE. The key works with ssh-keygen as it is.
    #[command(
        after_help = "Example:\n  custodian key new --out ~/.custodian/jdoe --principal j.doe@cyber.police.example"
    )]
    New {
        /// Where to write the private key; the public key goes to PATH.pub.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Who the key belongs to, e.g. j.doe@cyber.police.example (stored as
        /// the key comment and used as the principal in allowed_signers).
        #[arg(long, value_name = "NAME")]
        principal: String,
        /// Write the private key unencrypted (for test and demo keys only).
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Print a key's fingerprint (SHA256:…, as `ssh-keygen -l` prints it).
    Show {
        /// A private key or a .pub file.
        path: PathBuf,
    },
}

pub fn run(args: KeyArgs) -> Result<ExitCode> {
    match args.command {
        KeyCommand::New {
            out,
            principal,
            no_passphrase,
        } => {
            let passphrase = if no_passphrase {
                None
            } else {
                Some(new_passphrase()?)
            };
            let key = SigningKey::generate(&principal)?;
            make_key_folder(&out)?;
            let pub_path = key
                .write(&out, passphrase.as_deref())
                .with_context(|| format!("cannot write key {}", out.display()))?;
            outln!("{} {}", key.fingerprint(), principal);
            errln!(
                "custodian: wrote private key {} ({}) and public key {}",
                out.display(),
                if no_passphrase {
                    "UNENCRYPTED"
                } else {
                    "passphrase-protected"
                },
                pub_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Show { path } => {
            let key = custodian::keys::read_signer_key(&path)?;
            // The comment of a private key is inside its (maybe encrypted)
            // body; like ssh-keygen, take it from the .pub file beside it.
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let pub_text = if text.trim_start().starts_with("-----BEGIN") {
                std::fs::read_to_string(custodian::keys::pub_path_for(&path)).unwrap_or_default()
            } else {
                text
            };
            let comment = pub_text
                .split_whitespace()
                .nth(2)
                .unwrap_or("no comment")
                .to_string();
            outln!("256 {} {} (ED25519)", key.fingerprint(), comment);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn new_passphrase() -> Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if p.is_empty() {
            bail!("{PASSPHRASE_ENV} is empty; use --no-passphrase for an unencrypted key");
        }
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for a passphrase: set {PASSPHRASE_ENV} or pass --no-passphrase");
    }
    let a = rpassword::prompt_password("New passphrase: ")?;
    let b = rpassword::prompt_password("Same passphrase again: ")?;
    if a != b {
        bail!("the passphrases do not match");
    }
    if a.is_empty() {
        bail!("empty passphrase; use --no-passphrase for an unencrypted key");
    }
    Ok(a)
}

/// Creates the folder a new key goes into when it does not exist yet,
/// readable by its owner only (0700, like ~/.ssh), and says so; an
/// existing folder is left as it is.
fn make_key_folder(out: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .with_context(|| format!("cannot create the key folder {}", parent.display()))?;
    errln!("custodian: created folder {} (mode 700)", parent.display());
    Ok(())
}
