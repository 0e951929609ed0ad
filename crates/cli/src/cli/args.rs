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
    /// OpenSSH ed25519 private key to sign with, or agent:SHA256:… for a
    /// key held by ssh-agent (or set CUSTODIAN_KEY).
    ///
    /// Keys made by `custodian key new` or `ssh-keygen -t ed25519` both work.
    /// An encrypted key's passphrase is read from CUSTODIAN_PASSPHRASE or
    /// asked for on the terminal (three tries). The private key never enters
    /// the case folder. With agent:FINGERPRINT (as `ssh-add -l` prints it)
    /// the agent at SSH_AUTH_SOCK signs and the private key never enters
    /// custodian; a security key (sk-ssh-ed25519) signs entries this way.
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
    /// OpenSSH ed25519 private key to sign with, or agent:SHA256:… for a
    /// key held by ssh-agent (or set CUSTODIAN_KEY).
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
/// from CUSTODIAN_PASSPHRASE (one try), else on the terminal (three tries,
/// as ssh does), else (no terminal) it fails saying how to give one.
fn load_signing_key(path: &Path) -> Result<SigningKey> {
    if let Some(fingerprint) = path.to_str().and_then(|p| p.strip_prefix(AGENT_PREFIX)) {
        return load_agent_key(fingerprint);
    }
    let from_env = std::env::var(PASSPHRASE_ENV).ok();
    let interactive = from_env.is_none() && std::io::stdin().is_terminal();
    let tries = if interactive { PASSPHRASE_TRIES } else { 1 };
    Ok(load_with_tries(path, tries, |attempt| {
        if let Some(p) = &from_env {
            return Ok(Some(p.clone()));
        }
        if !interactive {
            return Ok(None);
        }
        if attempt > 1 {
            eprintln!("custodian: wrong passphrase");
        }
        rpassword::prompt_password(passphrase_prompt(path, attempt, tries))
            .map(Some)
            .map_err(|e| KeyError::PassphraseRead {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
    })?)
}

/// `--key agent:FINGERPRINT`: the key is in the SSH agent at
/// SSH_AUTH_SOCK. (A key file whose name starts with `agent:` is reached
/// as `./agent:…`.)
pub const AGENT_PREFIX: &str = "agent:";

/// Environment variable of the SSH agent's socket, as ssh(1) uses it.
pub const AUTH_SOCK_ENV: &str = "SSH_AUTH_SOCK";

/// The key `fingerprint` held by the SSH agent at SSH_AUTH_SOCK.
fn load_agent_key(fingerprint: &str) -> Result<SigningKey> {
    let fingerprint = Fingerprint::parse(fingerprint)?;
    let socket = std::env::var_os(AUTH_SOCK_ENV)
        .filter(|s| !s.is_empty())
        .with_context(|| {
            format!(
                "--key agent:{fingerprint}: {AUTH_SOCK_ENV} is not set, so there is no SSH agent to ask (start one with `eval $(ssh-agent)` and `ssh-add` the key)"
            )
        })?;
    Ok(SigningKey::from_agent(Path::new(&socket), &fingerprint)?)
}

/// Loads the key at `path`, taking its passphrase (if it is encrypted)
/// from `ask(attempt)`, asked again while it is wrong, up to `tries` times.
/// `ask` is the terminal or the environment; the tests give a script.
fn load_with_tries(
    path: &Path,
    tries: u32,
    mut ask: impl FnMut(u32) -> Result<Option<String>, KeyError>,
) -> Result<SigningKey, KeyError> {
    with_tries(tries, |attempt| SigningKey::load(path, || ask(attempt)))
}

/// The terminal prompt; with more than one try it says which this is.
fn passphrase_prompt(path: &Path, attempt: u32, tries: u32) -> String {
    if tries > 1 {
        format!(
            "Passphrase for {} (try {attempt} of {tries}): ",
            path.display()
        )
    } else {
        format!("Passphrase for {}: ", path.display())
    }
}

/// How many times a passphrase typed at a terminal may be wrong.
const PASSPHRASE_TRIES: u32 = 3;

/// Calls `load(attempt)` for attempts 1..=`tries` while the passphrase is
/// wrong; any other outcome ends the loop.
fn with_tries<T>(
    tries: u32,
    mut load: impl FnMut(u32) -> Result<T, KeyError>,
) -> Result<T, KeyError> {
    let mut attempt = 1;
    loop {
        match load(attempt) {
            Err(KeyError::WrongPassphrase { .. }) if attempt < tries => attempt += 1,
            other => return other,
        }
    }
}

#[cfg(test)]
mod passphrase_tests {
    use super::*;

    /// The fixture key encrypted with "correct horse".
    fn encrypted_key() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/keys/encrypted"
        ))
    }

    /// A passphrase source that answers from `script`, counting the asks.
    fn scripted<'a>(
        script: &'a [&'a str],
        asked: &'a mut Vec<u32>,
    ) -> impl FnMut(u32) -> Result<Option<String>, KeyError> + 'a {
        move |attempt| {
            asked.push(attempt);
            Ok(script.get(asked.len() - 1).map(|s| s.to_string()))
        }
    }

    #[test]
    fn a_real_key_is_unlocked_on_the_second_try() {
        let mut asked = Vec::new();
        let key = load_with_tries(
            &encrypted_key(),
            PASSPHRASE_TRIES,
            scripted(&["wrong", "correct horse", "unused"], &mut asked),
        );
        assert!(key.is_ok(), "{:?}", key.err());
        assert_eq!(asked, vec![1, 2]);
    }

    #[test]
    fn three_wrong_passphrases_end_with_the_error() {
        let mut asked = Vec::new();
        let got = load_with_tries(
            &encrypted_key(),
            PASSPHRASE_TRIES,
            scripted(&["a", "b", "c", "correct horse"], &mut asked),
        );
        assert!(
            matches!(got, Err(KeyError::WrongPassphrase { .. })),
            "{:?}",
            got.err()
        );
        assert_eq!(asked, vec![1, 2, 3]);
        // From the environment: one try only.
        let mut asked = Vec::new();
        let got = load_with_tries(
            &encrypted_key(),
            1,
            scripted(&["a", "correct horse"], &mut asked),
        );
        assert!(matches!(got, Err(KeyError::WrongPassphrase { .. })));
        assert_eq!(asked, vec![1]);
    }

    #[test]
    fn the_prompt_says_which_try() {
        let p = Path::new("k");
        assert_eq!(
            passphrase_prompt(p, 2, 3),
            "Passphrase for k (try 2 of 3): "
        );
        assert_eq!(passphrase_prompt(p, 1, 1), "Passphrase for k: ");
    }

    fn wrong() -> KeyError {
        KeyError::WrongPassphrase { path: "k".into() }
    }

    #[test]
    fn a_wrong_passphrase_is_asked_again_up_to_the_limit() {
        let mut calls = 0;
        let got = with_tries(3, |a| {
            calls += 1;
            if a < 3 {
                Err(wrong())
            } else {
                Ok(a)
            }
        });
        assert_eq!(got.unwrap(), 3);
        assert_eq!(calls, 3);
        let mut calls = 0;
        let got: Result<u32, _> = with_tries(3, |_| {
            calls += 1;
            Err(wrong())
        });
        assert!(matches!(got, Err(KeyError::WrongPassphrase { .. })));
        assert_eq!(calls, 3);
        // One try only from the environment; other errors end at once.
        let mut calls = 0;
        let _ = with_tries::<u32>(1, |_| {
            calls += 1;
            Err(wrong())
        });
        assert_eq!(calls, 1);
        let mut calls = 0;
        let _ = with_tries::<u32>(3, |_| {
            calls += 1;
            Err(KeyError::PassphraseNeeded { path: "k".into() })
        });
        assert_eq!(calls, 1);
    }
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
