//! Signing keys (a private key file, or a key held by an SSH agent), and
//! the re-export of the public-key and signature types of
//! `custodian_format::sshsig`.
//!
//! We use OpenSSH formats on purpose: any examiner, defence expert or partner
//! agency already has `ssh-keygen`, so every signature in a ledger can be
//! checked with a tool that is not ours (`ssh-keygen -Y verify`).

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ssh_key::{rand_core::OsRng, Algorithm, LineEnding, PrivateKey, PublicKey};

pub use custodian_format::sshsig::{
    encode_signature, parse_allowed_signers, signature_to_pem, sshsig_from_signed_data,
    sshsig_sign, validate_principal, verify_batch, AllowedSigner, EntrySigner, Fingerprint,
    KeyError as FormatKeyError, PreparedSignature, RawSigner, SignatureError, SignerKey, SkDetails,
    LEDGER_NAMESPACE, MAX_ALLOWED_SIGNERS_BYTES, REPORT_NAMESPACE,
};

use crate::agent::{AgentError, AgentKey};

/// SSHSIG namespace of the detached signature of a package's `package.json`
/// (`docs/spec/package.md`).
pub use custodian_format::package::PACKAGE_NAMESPACE;

/// Every SSHSIG namespace custodian signs in. The `allowed_signers` file
/// custodian writes lists each key for all of them, so that every
/// signature custodian makes (entries, reports, packages) is checked with
/// that one file and `ssh-keygen -Y verify -n NAMESPACE`; the namespace
/// still keeps a signature of one kind from passing as another.
pub const SIGNATURE_NAMESPACES: [&str; 3] = [LEDGER_NAMESPACE, REPORT_NAMESPACE, PACKAGE_NAMESPACE];

/// Errors about key files and signing, each naming the file or key
/// involved.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an OpenSSH private key ({reason})")]
    NotPrivateKey { path: PathBuf, reason: String },
    #[error("{path}: not an OpenSSH public key ({reason})")]
    NotPublicKey { path: PathBuf, reason: String },
    #[error("{path}: this is a public key; signing needs the private key{}", match .private { Some(p) => format!(" (probably {} beside it)", p.display()), None => String::new() })]
    PublicNotPrivate {
        path: PathBuf,
        /// The private key file next to it, when one exists.
        private: Option<PathBuf>,
    },
    #[error("{path}: larger than {max} bytes; not a key file")]
    TooLarge { path: PathBuf, max: u64 },
    #[error("{path}: wrong passphrase")]
    WrongPassphrase { path: PathBuf },
    #[error("{path}: the key is passphrase-protected; type it at the prompt or set CUSTODIAN_PASSPHRASE")]
    PassphraseNeeded { path: PathBuf },
    #[error("{path}: reading the passphrase: {reason}")]
    PassphraseRead { path: PathBuf, reason: String },
    #[error("{path}: already exists; refusing to overwrite a key")]
    Exists { path: PathBuf },
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("encoding {0} failed")]
    Encode(String),
    #[error(transparent)]
    Format(#[from] FormatKeyError),
    /// Boxed: every error that can carry a key error stays small.
    #[error(transparent)]
    Agent(Box<AgentError>),
    #[error("key {fingerprint} is held by an SSH agent: there is no private key to write")]
    NoPrivateKey { fingerprint: Fingerprint },
}

impl From<AgentError> for KeyError {
    fn from(e: AgentError) -> Self {
        KeyError::Agent(Box::new(e))
    }
}

/// Largest key file read. An OpenSSH private key is a few hundred bytes;
/// `--key /dev/zero` must fail at once, not fill memory.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Reads a key file, bounded by [`MAX_KEY_FILE_BYTES`].
fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    use std::io::Read;
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    fs::File::open(path)
        .map_err(io)?
        .take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyError::TooLarge {
            path: path.to_path_buf(),
            max: MAX_KEY_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// An OpenSSH public key line (`ssh-ed25519 AAAA… comment`, or any other
/// `ssh-`/`ecdsa-`/`sk-` type): given where a private key belongs, it is
/// named for what it is instead of failing deep in a PEM parser.
fn looks_like_public_key(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let first = text.split_whitespace().next().unwrap_or("");
    ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .any(|p| first.starts_with(p))
}

/// The principal a new signer is recorded under: the one given, else the
/// key's comment (where `key new --principal` writes it). `init` and
/// `signer add` both follow this one rule. `None`: neither is there, and
/// the caller asks for `--principal`.
pub fn principal_or_comment(given: Option<&str>, comment: &str) -> Option<String> {
    match given {
        Some(p) => Some(p.to_string()),
        None if !comment.trim().is_empty() => Some(comment.trim().to_string()),
        None => None,
    }
}

/// Reads a `.pub` file, or the public half of a private key file.
pub fn read_signer_key(path: &Path) -> Result<SignerKey, KeyError> {
    read_signer_key_and_comment(path).map(|(key, _)| key)
}

/// As [`read_signer_key`], with the key's comment: `key new --principal`
/// writes the principal there, so it is what `signer add` and `init` use
/// when no principal is given.
pub fn read_signer_key_and_comment(path: &Path) -> Result<(SignerKey, String), KeyError> {
    let text = String::from_utf8(read_key_file(path)?).map_err(|_| KeyError::NotPublicKey {
        path: path.to_path_buf(),
        reason: "not UTF-8 text".into(),
    })?;
    let what = path.display().to_string();
    if text
        .trim_start()
        .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
    {
        let private =
            PrivateKey::from_openssh(text.as_bytes()).map_err(|e| KeyError::NotPrivateKey {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let comment = private.comment().to_string();
        return Ok((
            SignerKey::new(private.public_key().clone(), &what)?,
            comment,
        ));
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let key = PublicKey::from_openssh(first.trim()).map_err(|e| KeyError::NotPublicKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let comment = key.comment().to_string();
    Ok((SignerKey::new(key, &what)?, comment))
}

/// Where the private half of a signing key is: decrypted in memory (a key
/// file), or in an SSH agent, which signs on request and never hands the
/// key out. Both make the same signatures ([`RawSigner`]).
#[derive(Clone)]
pub enum KeyBackend {
    File(Box<PrivateKey>),
    Agent(AgentKey),
}

impl KeyBackend {
    /// The private key itself, when it was loaded from a file: what age
    /// needs to decrypt (an agent signs but cannot decrypt).
    pub fn file_key(&self) -> Option<&PrivateKey> {
        match self {
            KeyBackend::File(k) => Some(k),
            KeyBackend::Agent(_) => None,
        }
    }
}

impl fmt::Debug for KeyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyBackend::File(_) => f.write_str("KeyBackend::File(..)"),
            KeyBackend::Agent(a) => write!(f, "KeyBackend::Agent({})", a.socket().display()),
        }
    }
}

impl RawSigner for KeyBackend {
    fn key_data(&self) -> &ssh_key::public::KeyData {
        match self {
            KeyBackend::File(k) => k.public_key().key_data(),
            KeyBackend::Agent(a) => a.key_data(),
        }
    }

    fn sign_raw(&self, data: &[u8]) -> Result<ssh_key::Signature, FormatKeyError> {
        match self {
            KeyBackend::File(k) => k.sign_raw(data),
            KeyBackend::Agent(a) => a
                .sign(data)
                .map_err(|e| FormatKeyError::Sign(e.to_string())),
        }
    }
}

/// A key ready to sign ledger entries, reports, packages and checkpoints.
/// A key file's private key lives only in memory (the library never writes
/// one anywhere but where `key new` is told); an agent's never enters it.
pub struct SigningKey {
    backend: KeyBackend,
    public: SignerKey,
    comment: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.public.fingerprint())
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads an OpenSSH private key. `passphrase` is called only when the
    /// key is encrypted, so unencrypted keys never trigger a prompt.
    pub fn load(
        path: &Path,
        passphrase: impl FnOnce() -> Result<Option<String>, KeyError>,
    ) -> Result<Self, KeyError> {
        let bytes = read_key_file(path)?;
        if looks_like_public_key(&bytes) {
            let private = path
                .to_str()
                .and_then(|p| p.strip_suffix(".pub"))
                .map(PathBuf::from)
                .filter(|p| p.is_file());
            return Err(KeyError::PublicNotPrivate {
                path: path.to_path_buf(),
                private,
            });
        }
        let mut private =
            PrivateKey::from_openssh(&bytes).map_err(|e| KeyError::NotPrivateKey {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if private.is_encrypted() {
            let pass = passphrase()?.ok_or_else(|| KeyError::PassphraseNeeded {
                path: path.to_path_buf(),
            })?;
            private = private
                .decrypt(pass.as_bytes())
                .map_err(|_| KeyError::WrongPassphrase {
                    path: path.to_path_buf(),
                })?;
        }
        let public = SignerKey::new(private.public_key().clone(), &path.display().to_string())?;
        Ok(SigningKey {
            comment: private.comment().to_string(),
            backend: KeyBackend::File(Box::new(private)),
            public,
        })
    }

    /// The key `fingerprint` held by the SSH agent listening at `socket`
    /// (`SSH_AUTH_SOCK`). Fails, naming the fingerprint, when the agent
    /// cannot be reached, is locked, or does not hold the key.
    pub fn from_agent(socket: &Path, fingerprint: &Fingerprint) -> Result<Self, KeyError> {
        let agent = AgentKey::find(socket, fingerprint)?;
        let public = SignerKey::new(
            PublicKey::from(agent.key_data().clone()),
            &format!("key {fingerprint} in the SSH agent"),
        )?;
        Ok(SigningKey {
            comment: agent.comment().to_string(),
            backend: KeyBackend::Agent(agent),
            public,
        })
    }

    /// Generates a fresh Ed25519 key whose comment is `principal`.
    pub fn generate(principal: &str) -> Result<Self, KeyError> {
        validate_principal(principal)?;
        let mut private = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        private.set_comment(principal);
        let public = SignerKey::new(private.public_key().clone(), "generated key")?;
        Ok(SigningKey {
            comment: principal.to_string(),
            backend: KeyBackend::File(Box::new(private)),
            public,
        })
    }

    /// Writes `path` (mode 0600, optionally passphrase-protected with
    /// OpenSSH's bcrypt-pbkdf + aes256-ctr) and `path.pub`, refusing to
    /// overwrite either.
    pub fn write(&self, path: &Path, passphrase: Option<&str>) -> Result<PathBuf, KeyError> {
        let KeyBackend::File(private) = &self.backend else {
            return Err(KeyError::NoPrivateKey {
                fingerprint: self.fingerprint().clone(),
            });
        };
        let pub_path = pub_path_for(path);
        for p in [path, pub_path.as_path()] {
            if p.symlink_metadata().is_ok() {
                return Err(KeyError::Exists {
                    path: p.to_path_buf(),
                });
            }
        }
        let encoded = match passphrase {
            Some(pass) => private
                .encrypt(&mut OsRng, pass.as_bytes())
                .and_then(|k| k.to_openssh(LineEnding::LF)),
            None => private.to_openssh(LineEnding::LF),
        }
        .map_err(|e| KeyError::Encode(format!("the private key: {e}")))?;
        write_new_file(path, encoded.as_bytes(), 0o600)?;
        let mut public_line = private.public_key().clone();
        public_line.set_comment(private.comment());
        let public_text = public_line
            .to_openssh()
            .map_err(|e| KeyError::Encode(format!("the public key: {e}")))?;
        write_new_file(&pub_path, format!("{public_text}\n").as_bytes(), 0o644)?;
        Ok(pub_path)
    }

    pub fn public(&self) -> &SignerKey {
        &self.public
    }

    /// What signs: the decrypted private key, or the agent holding it.
    /// Signers of other formats (C2SP signed notes for checkpoints) take
    /// it (`NoteSigner::new`); [`SigningKey::signer`] is the same.
    pub fn private_key(&self) -> &KeyBackend {
        &self.backend
    }

    /// What signs (see [`KeyBackend`]).
    pub fn signer(&self) -> &KeyBackend {
        &self.backend
    }

    /// True when the key is held by an SSH agent.
    pub fn is_agent(&self) -> bool {
        matches!(self.backend, KeyBackend::Agent(_))
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        self.public.fingerprint()
    }

    /// The key's comment; by our convention (and ssh-keygen's `-C`), the
    /// signer's principal. For an agent key, the comment the agent lists.
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// A detached OpenSSH signature file (armoured SSHSIG) of `msg` under
    /// `namespace`, as `ssh-keygen -Y sign -n NAMESPACE` writes it.
    pub fn sign_detached(&self, namespace: &str, msg: &[u8]) -> Result<String, KeyError> {
        sshsig_sign(&self.backend, &self.public, namespace, msg)?
            .to_pem(LineEnding::LF)
            .map_err(|e| FormatKeyError::Sign(e.to_string()).into())
    }

    /// Signs `msg` as a ledger entry: an SSHSIG with namespace
    /// [`LEDGER_NAMESPACE`] and SHA-512 message hash, returned as the
    /// single-line base64 of the SSHSIG blob.
    pub fn sign(&self, msg: &[u8]) -> Result<String, FormatKeyError> {
        encode_signature(&sshsig_sign(
            &self.backend,
            &self.public,
            LEDGER_NAMESPACE,
            msg,
        )?)
    }
}

/// A key the verifier trusts to have opened a case (signed entry 0), and
/// the limits it is trusted within. A fingerprint given with `--trust`
/// has none; a key from an `allowed_signers` line keeps that line's
/// `namespaces` and `valid-after`/`valid-before`, checked against entry
/// 0's own time as `ssh-keygen -Y verify -n custodian-ledger-v1
/// -Overify-time=TIME` would: a line for git signatures, or one whose
/// window does not hold the moment the case was opened, does not make the
/// root trusted.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub fingerprint: Fingerprint,
    /// The `allowed_signers` line the key comes from and where it is
    /// (`FILE line N`); `None` for a fingerprint given alone.
    pub line: Option<(String, AllowedSigner)>,
}

impl From<Fingerprint> for TrustedRoot {
    fn from(fingerprint: Fingerprint) -> Self {
        TrustedRoot {
            fingerprint,
            line: None,
        }
    }
}

impl TrustedRoot {
    /// The key of an `allowed_signers` line of the file `what`.
    pub fn from_allowed_signer(signer: AllowedSigner, what: &str) -> Self {
        TrustedRoot {
            fingerprint: signer.key.fingerprint().clone(),
            line: Some((format!("{what} line {}", signer.line), signer)),
        }
    }

    /// Whether this vouches for a ledger opened at `at` (entry 0's time;
    /// `None` when it cannot be read): the line, if any, allows the ledger
    /// namespace and its validity window holds `at`. The error names the
    /// line and what it allows.
    pub fn permits_root(&self, at: Option<chrono::DateTime<chrono::Utc>>) -> Result<(), String> {
        let Some((source, line)) = &self.line else {
            return Ok(());
        };
        let windowed = line.valid_after.is_some() || line.valid_before.is_some();
        let checked = match at {
            Some(t) => line.permits(LEDGER_NAMESPACE, t),
            None if windowed => {
                return Err(format!(
                    "{source} has a validity window ({}), which cannot be checked against entry 0's unreadable time",
                    window(line)
                ))
            }
            // No window: only the namespace decides, whatever the time.
            None => line.permits(LEDGER_NAMESPACE, chrono::DateTime::UNIX_EPOCH),
        };
        checked.map_err(|e| match e {
            custodian_format::sshsig::NotPermitted::Namespace { .. } => format!("{source}: {e}"),
            _ => format!("{source} trusts the key only {}", window(line)),
        })
    }
}

/// A line's validity window in words: `from A`, `until B`, `from A until B`
/// (both ends included, as ssh-keygen applies them).
fn window(line: &AllowedSigner) -> String {
    let t = |d: &chrono::DateTime<chrono::Utc>| custodian_format::time::format(*d);
    match (&line.valid_after, &line.valid_before) {
        (Some(a), Some(b)) => format!("from {} until {}", t(a), t(b)),
        (Some(a), None) => format!("from {}", t(a)),
        (None, Some(b)) => format!("until {}", t(b)),
        (None, None) => "at any time".into(),
    }
}

/// `key.pub` next to `key`, as ssh-keygen names it.
pub fn pub_path_for(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

impl EntrySigner for SigningKey {
    fn fingerprint(&self) -> &Fingerprint {
        SigningKey::fingerprint(self)
    }

    fn sign(&self, msg: &[u8]) -> Result<String, FormatKeyError> {
        SigningKey::sign(self, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::SshSig;

    #[test]
    fn the_principal_is_the_one_given_else_the_key_comment() {
        assert_eq!(
            principal_or_comment(Some("a@x"), "b@y").as_deref(),
            Some("a@x")
        );
        assert_eq!(principal_or_comment(None, " b@y\n").as_deref(), Some("b@y"));
        assert_eq!(principal_or_comment(None, "  "), None);
    }

    #[test]
    fn sign_verify_round_trip_and_wrong_message() {
        let key = SigningKey::generate("t@example").unwrap();
        let sig = key.sign(b"hello").unwrap();
        key.public().verify(b"hello", &sig).unwrap();
        assert!(key.public().verify(b"hellp", &sig).is_err());
        let other = SigningKey::generate("u@example").unwrap();
        assert!(other.public().verify(b"hello", &sig).is_err());
    }

    #[test]
    fn pem_round_trip() {
        let key = SigningKey::generate("t@example").unwrap();
        let sig = key.sign(b"x").unwrap();
        let pem = signature_to_pem(&sig);
        assert!(pem.starts_with("-----BEGIN SSH SIGNATURE-----"));
        assert!(pem.lines().all(|l| l.len() <= 70 || l.starts_with("-----")));
        assert_eq!(
            SshSig::from_pem(&pem).unwrap().namespace(),
            LEDGER_NAMESPACE
        );
    }

    #[test]
    fn a_trusted_root_is_judged_at_entry_0s_time() {
        let key = SigningKey::generate("t@example").unwrap();
        let line = |options: &str| {
            let text = format!("t@example {options} {}\n", key.public().to_openssh());
            let s = parse_allowed_signers(&text, "f").unwrap().remove(0);
            TrustedRoot::from_allowed_signer(s, "f")
        };
        let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let window = line(r#"valid-after="20260301Z",valid-before="20260302Z""#);
        assert!(window.permits_root(at("2026-03-01T00:00:00Z")).is_ok());
        assert!(window.permits_root(at("2026-03-02T00:00:00Z")).is_ok());
        let late = window.permits_root(at("2026-03-02T00:00:01Z")).unwrap_err();
        assert!(
            late.starts_with("f line 1 trusts the key only from 2026-03-01"),
            "{late}"
        );
        assert!(window.permits_root(None).is_err(), "an unreadable time");
        let git = line(r#"namespaces="git""#);
        let e = git.permits_root(at("2026-03-01T00:00:00Z")).unwrap_err();
        assert!(e.contains("git") && e.contains(LEDGER_NAMESPACE), "{e}");
        assert!(line("").permits_root(None).is_ok());
        let plain = TrustedRoot::from(key.fingerprint().clone());
        assert!(plain.permits_root(None).is_ok());
    }

    #[test]
    fn allowed_signers_lines() {
        let key = SigningKey::generate("t@example").unwrap();
        let text = format!(
            "# comment\n\nt@example namespaces=\"custodian-ledger-v1\",valid-after=\"20260101Z\" {} c\n",
            key.public().to_openssh()
        );
        let parsed = parse_allowed_signers(&text, "f").unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].principals, "t@example");
        assert_eq!(parsed[0].key.fingerprint(), key.fingerprint());
        assert!(parse_allowed_signers("x y\n", "f").is_err());
    }
}
