//! OpenSSH Ed25519 keys, SSHSIG signatures and `allowed_signers` lines.
//!
//! We use OpenSSH formats on purpose: any examiner, defence expert or partner
//! agency already has `ssh-keygen`, so every signature in a ledger can be
//! checked with a tool that is not ours (`ssh-keygen -Y verify`).

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ssh_key::{rand_core::OsRng, Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

/// SSHSIG namespace of every ledger entry signature. A signature made for
/// another purpose (git commits, file signing) can never be replayed as a
/// ledger signature, because the namespace is part of the signed data.
pub const LEDGER_NAMESPACE: &str = "custodian-ledger-v1";

/// SSHSIG namespace of detached report signatures (`report --sign`).
pub const REPORT_NAMESPACE: &str = "custodian-report-v1";

/// Errors about keys and signatures, each naming the file or key involved.
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
    #[error("{what}: only ssh-ed25519 keys are supported, found {found}")]
    WrongAlgorithm { what: String, found: String },
    #[error("{path}: wrong passphrase")]
    WrongPassphrase { path: PathBuf },
    #[error("{path}: the key is passphrase-protected; type it at the prompt or set CUSTODIAN_PASSPHRASE")]
    PassphraseNeeded { path: PathBuf },
    #[error("{path}: already exists; refusing to overwrite a key")]
    Exists { path: PathBuf },
    #[error("invalid principal {principal:?}: {reason}")]
    BadPrincipal {
        principal: String,
        reason: &'static str,
    },
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("{0}")]
    Other(String),
}

/// The SHA-256 fingerprint of a public key, in the `SHA256:base64` form
/// printed by `ssh-keygen -l`. It is how the ledger names a signer.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(key: &PublicKey) -> Self {
        Fingerprint(key.fingerprint(HashAlg::Sha256).to_string())
    }

    /// Parses a user-supplied fingerprint, accepting only the `SHA256:` form.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let s = s.trim();
        match s.parse::<ssh_key::Fingerprint>() {
            Ok(f) if f.is_sha256() => Ok(Fingerprint(f.to_string())),
            _ => Err(KeyError::Other(format!(
                "invalid key fingerprint {s:?}: expected SHA256:… as printed by `ssh-keygen -l`"
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that a principal can be written into an `allowed_signers` file
/// unquoted and matched literally by `ssh-keygen -Y verify -I`.
pub fn validate_principal(principal: &str) -> Result<(), KeyError> {
    let bad = |reason| KeyError::BadPrincipal {
        principal: principal.to_string(),
        reason,
    };
    if principal.is_empty() {
        return Err(bad("it is empty"));
    }
    if principal.len() > 256 {
        return Err(bad("it is longer than 256 bytes"));
    }
    if principal.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, ',' | '"' | '*' | '?' | '!' | '#')
    }) {
        return Err(bad(
            "it may not contain white space, control characters or any of , \" * ? ! #",
        ));
    }
    Ok(())
}

/// A public key we accept as a ledger signer: Ed25519 only, so that every
/// signature has one well-understood, deterministic algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerKey {
    key: PublicKey,
    fingerprint: Fingerprint,
    /// The decompressed curve point, computed once per key rather than per
    /// signature.
    verifying: ed25519_dalek::VerifyingKey,
}

impl SignerKey {
    pub fn new(mut key: PublicKey, what: &str) -> Result<Self, KeyError> {
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(KeyError::WrongAlgorithm {
                what: what.to_string(),
                found: key.algorithm().to_string(),
            });
        }
        key.set_comment("");
        let fingerprint = Fingerprint::of(&key);
        let bytes = key.key_data().ed25519().map(|k| k.0).unwrap_or_default();
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|e| KeyError::Other(format!("{what}: invalid Ed25519 public key ({e})")))?;
        Ok(SignerKey {
            key,
            fingerprint,
            verifying,
        })
    }

    /// Parses `ssh-ed25519 AAAA… [comment]` (the comment is dropped).
    pub fn from_openssh(line: &str, what: &str) -> Result<Self, KeyError> {
        let key = PublicKey::from_openssh(line.trim())
            .map_err(|e| KeyError::Other(format!("{what}: not an OpenSSH public key ({e})")))?;
        Self::new(key, what)
    }

    /// Reads a `.pub` file, or the public half of a private key file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
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
            return Self::new(private.public_key().clone(), &what);
        }
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let key = PublicKey::from_openssh(first.trim()).map_err(|e| KeyError::NotPublicKey {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::new(key, &what)
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// `ssh-ed25519 AAAA…` without a comment: the form stored in the ledger.
    pub fn to_openssh(&self) -> String {
        self.key
            .to_openssh()
            .expect("encoding an Ed25519 public key cannot fail")
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Verifies a ledger signature (see [`encode_signature`]) over `msg`.
    pub fn verify(&self, msg: &[u8], sig_b64: &str) -> Result<(), String> {
        let prepared = self.prepare(msg, sig_b64)?;
        prepared.verify()
    }

    /// Verifies a detached armoured SSHSIG (as `ssh-keygen -Y sign -n
    /// NAMESPACE` writes it, or [`SigningKey::sign_detached`]) over `msg`:
    /// the namespace must be `namespace` and the signing key this key.
    pub fn verify_detached(&self, namespace: &str, msg: &[u8], pem: &str) -> Result<(), String> {
        let sig = SshSig::from_pem(pem.trim_end())
            .map_err(|e| format!("not an armoured SSH signature ({e})"))?;
        if sig.namespace() != namespace {
            return Err(format!(
                "signature namespace is {:?}, expected {namespace:?}",
                sig.namespace()
            ));
        }
        if sig.public_key() != self.key.key_data() {
            return Err(format!("signature was not made by {}", self.fingerprint));
        }
        self.key.verify(namespace, msg, &sig).map_err(|_| {
            "signature does not verify (the signed bytes or the signature were changed)".to_string()
        })
    }

    /// Decodes and checks everything about a ledger signature except the
    /// Ed25519 equation itself (namespace, hash algorithm, embedded key), so
    /// that many signatures can then be verified as one batch.
    pub fn prepare(&self, msg: &[u8], sig_b64: &str) -> Result<PreparedSignature, String> {
        let sig = decode_signature(sig_b64)?;
        if sig.namespace() != LEDGER_NAMESPACE {
            return Err(format!(
                "signature namespace is {:?}, expected {LEDGER_NAMESPACE:?}",
                sig.namespace()
            ));
        }
        if sig.public_key() != self.key.key_data() {
            return Err("signature was made by a different key than the entry names".into());
        }
        if sig.hash_alg() != HashAlg::Sha512 || !sig.reserved().is_empty() {
            return Err("signature does not use SHA-512 with an empty reserved field".into());
        }
        let signature = ed25519_dalek::Signature::from_slice(sig.signature_bytes())
            .map_err(|e| format!("invalid Ed25519 signature ({e})"))?;
        let signed_data = SshSig::signed_data(LEDGER_NAMESPACE, HashAlg::Sha512, msg)
            .map_err(|e| format!("cannot build SSHSIG signed data ({e})"))?;
        Ok(PreparedSignature {
            signed_data,
            signature,
            key: self.verifying,
        })
    }
}

/// A ledger signature decoded and checked up to the Ed25519 verification
/// proper (see [`SignerKey::prepare`]).
#[derive(Debug, Clone)]
pub struct PreparedSignature {
    signed_data: Vec<u8>,
    signature: ed25519_dalek::Signature,
    key: ed25519_dalek::VerifyingKey,
}

impl PreparedSignature {
    /// Verifies this one signature the way OpenSSH does.
    pub fn verify(&self) -> Result<(), String> {
        use ed25519_dalek::Verifier;
        self.key
            .verify(&self.signed_data, &self.signature)
            .map_err(|_| {
                "signature does not verify (the signed bytes or the signature were changed)"
                    .to_string()
            })
    }
}

/// Verifies many signatures, about twice as fast per core as one by one.
///
/// A batch either passes as a whole or is re-checked signature by signature
/// to name the failures, so the result for each item is what
/// [`PreparedSignature::verify`] alone would say, except for one case a
/// verifier should know: Ed25519 batch verification may accept a signature
/// that its own key holder deliberately built with small-order components,
/// which single verification rejects. Such a signature can only be made with
/// the private key; `custodian verify --no-batch` checks one by one.
pub fn verify_batch(items: &[&PreparedSignature]) -> Vec<Result<(), String>> {
    let messages: Vec<&[u8]> = items.iter().map(|p| p.signed_data.as_slice()).collect();
    let signatures: Vec<_> = items.iter().map(|p| p.signature).collect();
    let keys: Vec<_> = items.iter().map(|p| p.key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return vec![Ok(()); items.len()];
    }
    items.iter().map(|p| p.verify()).collect()
}

/// A private key ready to sign ledger entries. It lives only in memory; the
/// library never writes a private key anywhere but where `key new` is told.
pub struct SigningKey {
    private: PrivateKey,
    public: SignerKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.public.fingerprint)
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
        let bytes = fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
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
        Ok(SigningKey { private, public })
    }

    /// Generates a fresh Ed25519 key whose comment is `principal`.
    pub fn generate(principal: &str) -> Result<Self, KeyError> {
        validate_principal(principal)?;
        let mut private = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .map_err(|e| KeyError::Other(format!("key generation failed: {e}")))?;
        private.set_comment(principal);
        let public = SignerKey::new(private.public_key().clone(), "generated key")?;
        Ok(SigningKey { private, public })
    }

    /// Writes `path` (mode 0600, optionally passphrase-protected with
    /// OpenSSH's bcrypt-pbkdf + aes256-ctr) and `path.pub`, refusing to
    /// overwrite either.
    pub fn write(&self, path: &Path, passphrase: Option<&str>) -> Result<PathBuf, KeyError> {
        let pub_path = pub_path_for(path);
        for p in [path, pub_path.as_path()] {
            if p.symlink_metadata().is_ok() {
                return Err(KeyError::Exists {
                    path: p.to_path_buf(),
                });
            }
        }
        let encoded = match passphrase {
            Some(pass) => self
                .private
                .encrypt(&mut OsRng, pass.as_bytes())
                .and_then(|k| k.to_openssh(LineEnding::LF)),
            None => self.private.to_openssh(LineEnding::LF),
        }
        .map_err(|e| KeyError::Other(format!("encoding the private key failed: {e}")))?;
        write_new_file(path, encoded.as_bytes(), 0o600)?;
        let mut public_line = self.private.public_key().clone();
        public_line.set_comment(self.private.comment());
        let public_text = public_line
            .to_openssh()
            .map_err(|e| KeyError::Other(format!("encoding the public key failed: {e}")))?;
        write_new_file(&pub_path, format!("{public_text}\n").as_bytes(), 0o644)?;
        Ok(pub_path)
    }

    pub fn public(&self) -> &SignerKey {
        &self.public
    }

    /// The decrypted OpenSSH private key, for signers of other formats
    /// (C2SP signed notes for checkpoints) that need the raw Ed25519 key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.public.fingerprint
    }

    /// The key's comment; by our convention (and ssh-keygen's `-C`), the
    /// signer's principal.
    pub fn comment(&self) -> &str {
        self.private.comment()
    }

    /// A detached OpenSSH signature file (armoured SSHSIG) of `msg` under
    /// `namespace`, as `ssh-keygen -Y sign -n NAMESPACE` writes it.
    pub fn sign_detached(&self, namespace: &str, msg: &[u8]) -> Result<String, KeyError> {
        self.private
            .sign(namespace, HashAlg::Sha512, msg)
            .and_then(|sig| sig.to_pem(LineEnding::LF))
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Signs `msg` as a ledger entry: an SSHSIG with namespace
    /// [`LEDGER_NAMESPACE`] and SHA-512 message hash, returned as the
    /// single-line base64 of the SSHSIG blob.
    pub fn sign(&self, msg: &[u8]) -> Result<String, KeyError> {
        let sig = self
            .private
            .sign(LEDGER_NAMESPACE, HashAlg::Sha512, msg)
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        encode_signature(&sig)
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

const PEM_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const PEM_END: &str = "-----END SSH SIGNATURE-----";

/// The ledger stores an SSHSIG as the base64 of its binary blob on one line
/// (the armour's body with line breaks removed), which keeps entries on one
/// JSON line. [`signature_to_pem`] restores the file `ssh-keygen` reads.
pub fn encode_signature(sig: &SshSig) -> Result<String, KeyError> {
    let pem = sig
        .to_pem(LineEnding::LF)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    Ok(pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>())
}

/// Re-armours a ledger signature exactly as `ssh-keygen -Y sign` writes it
/// (70-column lines), for `ssh-keygen -Y verify -s FILE`.
pub fn signature_to_pem(sig_b64: &str) -> String {
    let mut out = String::with_capacity(sig_b64.len() + 80);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    let bytes = sig_b64.as_bytes();
    for chunk in bytes.chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(PEM_END);
    out.push('\n');
    out
}

fn decode_signature(sig_b64: &str) -> Result<SshSig, String> {
    use base64::Engine as _;
    use ssh_encoding::{Decode, Encode};
    // The standard engine is strict: padding required, no stray bits, so a
    // blob has exactly one base64 spelling.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .map_err(|_| "signature is not single-line standard base64".to_string())?;
    let mut reader: &[u8] = &bytes;
    let sig = SshSig::decode(&mut reader)
        .map_err(|e| format!("signature is not a valid SSHSIG ({e})"))?;
    // The blob must be the one encoding of what it decodes to: a decoder
    // that tolerated slack in length fields or trailing bytes would accept
    // many spellings of one signature, changing the entry's hash at will.
    let mut again = Vec::with_capacity(bytes.len());
    if !reader.is_empty() || sig.encode(&mut again).is_err() || again != bytes {
        return Err("signature is not in OpenSSH's canonical SSHSIG encoding".into());
    }
    Ok(sig)
}

/// One line of an OpenSSH `allowed_signers` file that names a key.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    pub principals: String,
    pub key: SignerKey,
}

/// Parses an `allowed_signers` file: `principals [options] keytype base64
/// [comment]`, skipping blank lines, comments and non-Ed25519 keys is *not*
/// done silently: a line we cannot read is an error naming its number.
pub fn parse_allowed_signers(text: &str, what: &str) -> Result<Vec<AllowedSigner>, KeyError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: String| KeyError::Other(format!("{what}:{}: {reason}", i + 1));
        let tokens = split_allowed_signers_line(line);
        let pos = tokens
            .iter()
            .position(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-"))
            .ok_or_else(|| err("no key type found".into()))?;
        if pos == 0 || tokens.len() < pos + 2 {
            return Err(err(
                "expected: principals [options] key-type base64-key".into()
            ));
        }
        let key_line = format!("{} {}", tokens[pos], tokens[pos + 1]);
        let key = SignerKey::from_openssh(&key_line, &format!("{what}:{}", i + 1))?;
        out.push(AllowedSigner {
            principals: tokens[0].clone(),
            key,
        });
    }
    Ok(out)
}

/// Splits on white space outside double quotes (options may quote values).
fn split_allowed_signers_line(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn principals_are_checked() {
        assert!(validate_principal("j.doe@cyber.police.example").is_ok());
        for bad in ["", "a b", "a,b", "a\"b", "a*"] {
            assert!(validate_principal(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pem_round_trip() {
        let key = SigningKey::generate("t@example").unwrap();
        let sig = key.sign(b"x").unwrap();
        let pem = signature_to_pem(&sig);
        assert!(pem.starts_with(PEM_BEGIN));
        assert!(pem.lines().all(|l| l.len() <= 70 || l.starts_with("-----")));
        assert_eq!(
            SshSig::from_pem(&pem).unwrap().namespace(),
            LEDGER_NAMESPACE
        );
    }

    #[test]
    fn allowed_signers_lines() {
        let key = SigningKey::generate("t@example").unwrap();
        let text = format!(
            "# comment\n\nt@example namespaces=\"custodian-ledger-v1\",valid-after=\"20260101\" {} c\n",
            key.public().to_openssh()
        );
        let parsed = parse_allowed_signers(&text, "f").unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].principals, "t@example");
        assert_eq!(parsed[0].key.fingerprint(), key.fingerprint());
        assert!(parse_allowed_signers("x y\n", "f").is_err());
    }
}
