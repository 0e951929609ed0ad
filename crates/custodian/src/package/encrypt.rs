//! Encrypted evidence packages (docs/spec/package.md §9): the tar form of
//! a package, encrypted to one or more recipients in the age format
//! (<https://age-encryption.org/v1>) with the `age` crate, streamed both
//! ways so memory stays bounded whatever the package's size.
//!
//! Recipients are `ssh-ed25519` public keys (a file or a line), native
//! `age1…` X25519 recipients, or a case signer named by fingerprint
//! (resolved to the signer's ssh-ed25519 key from the ledger). Identities
//! are an OpenSSH private key (loaded, passphrase included, by the
//! caller's usual key loading and handed here already decrypted) or an
//! age identity file.
//!
//! age stanzas do not name keys: an X25519 stanza is anonymous, an
//! ssh-ed25519 stanza carries a 4-byte tag (the first 4 bytes of SHA-256
//! of the key's SSH wire encoding). [`stanzas`] reads them from a header,
//! without any key, so a receiver who cannot decrypt can be told which
//! case signers the package was for.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::ledger::CaseState;
use crate::Fingerprint;
pub use custodian_format::custody::EncryptedTo;

/// The first line of every age file (the version line of the header).
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// A recipient a package is encrypted to: what the disclosure entry
/// records, and the key age wraps the file key to.
#[derive(Clone)]
pub struct Recipient {
    pub recorded: EncryptedTo,
    key: RecipientKey,
}

#[derive(Clone)]
enum RecipientKey {
    Ssh(age::ssh::Recipient),
    X25519(age::x25519::Recipient),
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient")
            .field("recorded", &self.recorded)
            .finish()
    }
}

impl Recipient {
    fn as_age(&self) -> &dyn age::Recipient {
        match &self.key {
            RecipientKey::Ssh(r) => r,
            RecipientKey::X25519(r) => r,
        }
    }
}

/// Why a recipient or an identity cannot be used, naming what was given.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    #[error("{given}: not an age recipient; give an ssh-ed25519 public key (a file or a line), an age1… recipient or a case signer's SHA256:… fingerprint")]
    NotARecipient { given: String },
    #[error("{given}: {reason}")]
    Invalid { given: String, reason: String },
    #[error("{given}: not a signer of this case")]
    UnknownSigner { given: String },
    #[error("{given}: the key of signer {principal} is {algorithm}, which age cannot encrypt to; give an ssh-ed25519 or age1… recipient")]
    SignerKeyType {
        given: String,
        principal: String,
        algorithm: String,
    },
    #[error("recipient {recipient} is given twice")]
    Twice { recipient: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: not an age identity file or an OpenSSH private key ({reason})", .path.display())]
    NotAnIdentity { path: PathBuf, reason: String },
}

/// Splits `--encrypt-to [AGENCY=]RECIPIENT`: the whole value is the
/// recipient when it is a recipient as it stands (`age1…`, `SHA256:…`,
/// `ssh-…`) or names an existing file; otherwise the text before the first
/// `=` is the stated agency.
pub fn split_agency(spec: &str) -> (Option<String>, String) {
    let is_recipient = |s: &str| {
        let s = s.trim();
        s.starts_with("age1")
            || s.starts_with("SHA256:")
            || s.starts_with("ssh-")
            || Path::new(s).exists()
    };
    if is_recipient(spec) {
        return (None, spec.trim().to_string());
    }
    match spec.split_once('=') {
        Some((agency, r)) if !agency.trim().is_empty() => {
            (Some(agency.trim().to_string()), r.trim().to_string())
        }
        _ => (None, spec.trim().to_string()),
    }
}

/// Resolves one `--encrypt-to` value against the case's signers (every
/// signer ever added: a fingerprint names a key, revoked or not, and the
/// receiver holds the private key whatever its signing status).
pub fn resolve(spec: &str, state: &CaseState) -> Result<Recipient, RecipientError> {
    let (agency, given) = split_agency(spec);
    let invalid = |reason: String| RecipientError::Invalid {
        given: given.clone(),
        reason,
    };
    if given.starts_with("age1") {
        let r: age::x25519::Recipient = given
            .parse()
            .map_err(|e: &str| invalid(format!("not a valid age1… recipient ({e})")))?;
        return Ok(Recipient {
            recorded: EncryptedTo {
                recipient: r.to_string(),
                agency,
            },
            key: RecipientKey::X25519(r),
        });
    }
    let line = if given.starts_with("SHA256:") {
        let fp = Fingerprint::parse(&given).map_err(|e| invalid(e.to_string()))?;
        let signer = state
            .signers
            .get(&fp)
            .ok_or_else(|| RecipientError::UnknownSigner {
                given: given.clone(),
            })?;
        let algorithm = signer.key.public_key().algorithm();
        if algorithm != ssh_key::Algorithm::Ed25519 {
            return Err(RecipientError::SignerKeyType {
                given,
                principal: signer.principal.clone(),
                algorithm: algorithm.to_string(),
            });
        }
        signer.key.to_openssh()
    } else if given.starts_with("ssh-") {
        given.clone()
    } else if Path::new(&given).is_file() {
        let path = Path::new(&given);
        let text = std::fs::read_to_string(path).map_err(|source| RecipientError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let keys: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        match keys.as_slice() {
            [one] => one.to_string(),
            [] => return Err(invalid("the file holds no public key".into())),
            _ => {
                return Err(invalid(
                    "the file holds more than one line; give one key per --encrypt-to".into(),
                ))
            }
        }
    } else {
        return Err(RecipientError::NotARecipient { given });
    };
    // The key type and its base64 blob; a comment is not recorded.
    let mut words = line.split_whitespace();
    let (Some(kind), Some(blob)) = (words.next(), words.next()) else {
        return Err(invalid("not an OpenSSH public key line".into()));
    };
    if kind != "ssh-ed25519" {
        return Err(invalid(format!(
            "a {kind} key; custodian encrypts packages to ssh-ed25519 and age1… recipients only"
        )));
    }
    let key_line = format!("{kind} {blob}");
    let r: age::ssh::Recipient = key_line
        .parse()
        .map_err(|e| invalid(format!("not a valid ssh-ed25519 public key ({e:?})")))?;
    Ok(Recipient {
        recorded: EncryptedTo {
            recipient: key_line,
            agency,
        },
        key: RecipientKey::Ssh(r),
    })
}

/// Resolves every `--encrypt-to` value; one recipient given twice is
/// refused (it would be recorded twice for one key).
pub fn resolve_all(specs: &[String], state: &CaseState) -> Result<Vec<Recipient>, RecipientError> {
    let mut out: Vec<Recipient> = Vec::new();
    for s in specs {
        let r = resolve(s, state)?;
        if out
            .iter()
            .any(|o| o.recorded.recipient == r.recorded.recipient)
        {
            return Err(RecipientError::Twice {
                recipient: r.recorded.recipient,
            });
        }
        out.push(r);
    }
    Ok(out)
}

/// The 4-byte age tag of an ssh-ed25519 key line (`ssh-ed25519 AAAA…`),
/// base64 without padding as it appears in a stanza; None for another
/// line.
pub fn ssh_tag(key_line: &str) -> Option<String> {
    let mut words = key_line.split_whitespace();
    if words.next()? != "ssh-ed25519" {
        return None;
    }
    let wire = base64::engine::general_purpose::STANDARD
        .decode(words.next()?)
        .ok()?;
    let digest = Sha256::digest(&wire);
    Some(base64::engine::general_purpose::STANDARD_NO_PAD.encode(&digest[..4]))
}

/// The identities a receiver decrypts with, shared by every reader of one
/// package (a member read again for `--evidence` decrypts again).
#[derive(Clone)]
pub struct Identities {
    ids: Arc<Vec<Box<dyn age::Identity + Send + Sync>>>,
    /// What was given, for messages.
    pub what: String,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("what", &self.what)
            .field("count", &self.ids.len())
            .finish()
    }
}

impl Identities {
    /// An OpenSSH private key already loaded (and decrypted) by the
    /// caller's key loading.
    pub fn from_ssh_key(key: &ssh_key::PrivateKey, what: &str) -> Result<Self, RecipientError> {
        let bad = |reason: String| RecipientError::NotAnIdentity {
            path: PathBuf::from(what),
            reason,
        };
        let pem = key
            .to_openssh(ssh_key::LineEnding::LF)
            .map_err(|e| bad(e.to_string()))?;
        let id = age::ssh::Identity::from_buffer(pem.as_bytes(), Some(what.to_string()))
            .map_err(|e| bad(e.to_string()))?;
        if !matches!(id, age::ssh::Identity::Unencrypted(_)) {
            return Err(bad("age cannot use this kind of key".into()));
        }
        Ok(Identities {
            ids: Arc::new(vec![Box::new(id)]),
            what: what.to_string(),
        })
    }

    /// An age identity file (`AGE-SECRET-KEY-1…` lines, `#` comments).
    pub fn from_age_file(path: &Path) -> Result<Self, RecipientError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipientError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: String| RecipientError::NotAnIdentity {
            path: path.to_path_buf(),
            reason,
        };
        let mut ids: Vec<Box<dyn age::Identity + Send + Sync>> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let id: age::x25519::Identity = line.parse().map_err(|_| {
                bad("a line is neither a comment nor an AGE-SECRET-KEY-1… key".into())
            })?;
            ids.push(Box::new(id));
        }
        if ids.is_empty() {
            return Err(bad("no AGE-SECRET-KEY-1… key in it".into()));
        }
        Ok(Identities {
            ids: Arc::new(ids),
            what: path.display().to_string(),
        })
    }

    fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.ids.iter().map(|b| b.as_ref() as &dyn age::Identity)
    }

    /// A decrypting reader of the age file `input`.
    pub(super) fn decrypt<R: Read>(
        &self,
        input: R,
    ) -> Result<age::stream::StreamReader<R>, age::DecryptError> {
        age::Decryptor::new(input)?.decrypt(self.iter())
    }
}

/// True when the file at `path` starts with the age header's version line.
pub fn is_age_file(path: &Path) -> io::Result<bool> {
    if !path.is_file() {
        return Ok(false);
    }
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; AGE_MAGIC.len()];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n == head.len() && head == AGE_MAGIC)
}

/// One recipient stanza of an age header: its type and, for
/// ssh-ed25519, its tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stanza {
    pub kind: String,
    pub tag: Option<String>,
}

/// The recipient stanzas of the age file at `path` (the `-> TYPE ARGS`
/// lines of its header, read as text up to the `---` MAC line; no key is
/// used), without age's "grease" stanzas. Empty when the header cannot be
/// read.
pub fn stanzas(path: &Path) -> Vec<Stanza> {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // A header is small; stop reading after 1 MiB whatever it holds.
    for line in io::BufReader::new(f.take(1 << 20)).split(b'\n') {
        let Ok(line) = line else { break };
        if line.starts_with(b"---") {
            break;
        }
        let Some(rest) = line.strip_prefix(b"-> ") else {
            continue;
        };
        let text = String::from_utf8_lossy(rest);
        let mut args = text.split(' ');
        let kind = args.next().unwrap_or_default().to_string();
        // age writes random "grease" stanzas (type ending in `-grease`)
        // that no identity opens: they are not recipients.
        if kind.ends_with("-grease") {
            continue;
        }
        let tag = (kind == "ssh-ed25519")
            .then(|| args.next().map(str::to_string))
            .flatten();
        out.push(Stanza { kind, tag });
    }
    out
}

/// Who an encrypted package was made for, as far as a receiver who cannot
/// open it can tell from its header and their copy of the case ledger.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Intended {
    /// The package id and recipients the ledger records for this very
    /// ciphertext (a `package.encrypted` entry with its SHA-256).
    pub recorded: Option<(String, Vec<EncryptedTo>)>,
    /// Case signers (principal, fingerprint) whose ssh-ed25519 tag is
    /// the tag of a stanza. A tag is 4 bytes: a match says the package
    /// was very probably made for that key, not that it certainly was.
    pub signers: Vec<(String, Fingerprint)>,
}

/// What the case `state` says about who can open the age file at `path`
/// with recipient stanzas `stanzas`.
pub fn intended(path: &Path, stanzas: &[Stanza], state: &CaseState) -> io::Result<Intended> {
    let mut f = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    io::copy(&mut f, &mut sha)?;
    let sha256 = hex::encode(sha.finalize());
    let recorded = state
        .packages
        .iter()
        .find(|(_, r)| matches!(&r.ciphertext, Some((_, s, _)) if *s == sha256))
        .map(|(id, r)| (id.clone(), r.encrypted_to.clone()));
    let tags: Vec<&str> = stanzas.iter().filter_map(|s| s.tag.as_deref()).collect();
    let signers = state
        .signers
        .iter()
        .filter(|(_, s)| ssh_tag(&s.key.to_openssh()).is_some_and(|t| tags.contains(&t.as_str())))
        .map(|(fp, s)| (s.principal.clone(), fp.clone()))
        .collect();
    Ok(Intended { recorded, signers })
}

/// [`intended`] with the state of the case folder `case` (the receiver's
/// copy of the case, read, never written).
pub fn intended_in_case(
    path: &Path,
    stanzas: &[Stanza],
    case: &Path,
) -> Result<Intended, super::PackageError> {
    let case = crate::case::Case::open(case)?;
    let raw = case.ledger().read_raw()?;
    let state =
        crate::ledger::verify::verify_raw(&raw, &crate::ledger::VerifyOptions::default()).state;
    intended(path, stanzas, &state).map_err(super::io_err(path))
}

/// The ciphertext as written: lowercase hex SHA-256 and size of the whole
/// age file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ciphertext {
    pub sha256: String,
    pub bytes: u64,
}

/// A writer that hashes and counts what passes through it to `inner`.
pub(super) struct HashingWriter<W> {
    pub(super) inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(super) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    pub(super) fn finish(self) -> (W, Ciphertext) {
        (
            self.inner,
            Ciphertext {
                sha256: hex::encode(self.sha.finalize()),
                bytes: self.bytes,
            },
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts the ciphertext as age reads it; the
/// [`CiphertextTally`] handle reads the result once age is done.
pub(super) struct CountingReader<R> {
    inner: R,
    tally: CiphertextTally,
}

/// The running SHA-256 and size of a [`CountingReader`].
#[derive(Clone)]
pub(super) struct CiphertextTally(std::rc::Rc<std::cell::RefCell<(Sha256, u64)>>);

impl CiphertextTally {
    pub(super) fn finish(&self) -> Ciphertext {
        let (sha, bytes) = &*self.0.borrow();
        Ciphertext {
            sha256: hex::encode(sha.clone().finalize()),
            bytes: *bytes,
        }
    }
}

impl<R: Read> CountingReader<R> {
    pub(super) fn new(inner: R) -> Self {
        CountingReader {
            inner,
            tally: CiphertextTally(Default::default()),
        }
    }

    pub(super) fn tally(&self) -> CiphertextTally {
        self.tally.clone()
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.tally.0.borrow_mut();
        t.0.update(&buf[..n]);
        t.1 += n as u64;
        Ok(n)
    }
}

/// Wraps an age stream reader: the first decryption error it gave is
/// kept (the tar reader turns errors into its own), so a damaged
/// ciphertext is told apart from a damaged archive.
pub(super) struct Watched<R> {
    pub(super) inner: R,
    pub(super) error: Option<io::Error>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                if self.error.is_none() && e.kind() != io::ErrorKind::Interrupted {
                    self.error = Some(io::Error::new(e.kind(), e.to_string()));
                }
                Err(e)
            }
        }
    }
}

/// Starts an age stream to `output`, encrypted to `recipients`.
pub(super) fn encrypt_to<W: Write>(
    recipients: &[Recipient],
    output: W,
) -> io::Result<age::stream::StreamWriter<W>> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(Recipient::as_age))
        .map_err(|e| io::Error::other(e.to_string()))?;
    enc.wrap_output(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_is_split_only_where_the_value_is_not_a_recipient() {
        assert_eq!(
            split_agency("Policia Judiciaria=age1abc"),
            (Some("Policia Judiciaria".into()), "age1abc".into())
        );
        assert_eq!(split_agency("age1abc"), (None, "age1abc".into()));
        assert_eq!(
            split_agency("SHA256:abc=def"),
            (None, "SHA256:abc=def".into())
        );
    }

    /// The tag of a key is what age writes in its stanza.
    #[test]
    fn ssh_tag_is_the_stanza_tag_age_writes() {
        let key = ssh_key::PrivateKey::random(
            &mut ssh_key::rand_core::OsRng,
            ssh_key::Algorithm::Ed25519,
        )
        .unwrap();
        let line = key.public_key().to_openssh().unwrap();
        let r = resolve(&line, &CaseState::default()).unwrap();
        let mut out = Vec::new();
        let mut w = encrypt_to(std::slice::from_ref(&r), &mut out).unwrap();
        w.write_all(b"hello").unwrap();
        w.finish().unwrap();
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.age");
        std::fs::write(&p, &out).unwrap();
        assert!(is_age_file(&p).unwrap());
        assert_eq!(
            stanzas(&p),
            vec![Stanza {
                kind: "ssh-ed25519".into(),
                tag: ssh_tag(&line)
            }]
        );
        let ids = Identities::from_ssh_key(&key, "k").unwrap();
        let mut plain = Vec::new();
        ids.decrypt(out.as_slice())
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"hello");
    }
}
