//! Signed checkpoints of a case's Merkle tree: C2SP `tlog-checkpoint`
//! bodies signed as C2SP `signed-note`s with Ed25519 note signatures.
//!
//! A checkpoint says "the first SIZE entries of case ORIGIN have Merkle root
//! ROOT", signed by one or more of the case's signers. Kept by a court, a
//! partner agency or a CI job, it pins the ledger's history: a later ledger
//! must extend it (a consistency proof, or `verify --expect-checkpoint`), so
//! rewriting an early entry and re-signing every later one is detected.
//! The format is specified in docs/spec/transparency.md.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use ssh_key::PublicKey;

use crate::merkle::Hash;
use crate::sshsig::{parse_allowed_signers, Fingerprint, KeyError, RawSigner, SignerKey};

/// Origins of custodian checkpoints start with this, followed by the
/// percent-encoded case id (see [`origin_for_case`]).
pub const ORIGIN_PREFIX: &str = "custodian.case/";

/// Upper bounds on what a reader accepts, so hostile input cannot make it
/// allocate without limit.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
pub const MAX_SIGNATURES: usize = 100;

/// Signature type byte of Ed25519 note signatures (C2SP signed-note).
const ED25519_TYPE: u8 = 0x01;

/// Errors from parsing, signing or checking signed notes and checkpoints,
/// each naming the input and line involved.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("{what}: line {line}: {reason}")]
    Malformed {
        what: String,
        line: usize,
        reason: String,
    },
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
    #[error("invalid note key name {name:?}: {reason}")]
    BadKeyName { name: String, reason: &'static str },
    #[error("{what}: already signed by {name} with a different signature")]
    DuplicateSigner { what: String, name: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A hash written as base64 that is not exactly 32 bytes in canonical
/// standard base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashTextError {
    #[error("{text:?} is not standard base64 ({reason})")]
    NotBase64 { text: String, reason: String },
    #[error("{text:?} holds {len} bytes, not 32")]
    WrongLength { text: String, len: usize },
    #[error("{text:?} is not canonical base64")]
    NotCanonical { text: String },
}

/// The checkpoint origin of a case: [`ORIGIN_PREFIX`] followed by the case
/// id with every byte outside `A-Z a-z 0-9 - . _ ~` written as `%XX`
/// (uppercase hex), so the origin never holds a space, a `+` or a `/` of
/// the case id, and maps back to exactly one case id.
pub fn origin_for_case(case_id: &str) -> String {
    let mut out = String::from(ORIGIN_PREFIX);
    for b in case_id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A checkpoint body: origin, tree size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note body: three lines, each ending in LF.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a note body (the text up to and including the LF before the
    /// blank line). Extension lines are not accepted.
    pub fn parse_body(body: &str, what: &str) -> Result<Checkpoint, NoteError> {
        let bad = |line: usize, reason: String| NoteError::Malformed {
            what: what.to_string(),
            line,
            reason,
        };
        let Some(text) = body.strip_suffix('\n') else {
            return Err(bad(
                1,
                "the checkpoint body does not end with a newline".into(),
            ));
        };
        let lines: Vec<&str> = text.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad(
                lines.len() + 1,
                "a checkpoint needs an origin, a tree size and a root hash line".into(),
            ));
        }
        if lines.len() > 3 {
            return Err(bad(
                4,
                "extension lines are not part of custodian checkpoints".into(),
            ));
        }
        let origin = lines[0];
        if origin.is_empty() || origin.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(bad(
                1,
                format!("origin {origin:?} is empty or holds a space or +"),
            ));
        }
        let size_text = lines[1];
        let size = match size_text.parse::<u64>() {
            Ok(n)
                if size_text.bytes().all(|b| b.is_ascii_digit())
                    && (size_text == "0" || !size_text.starts_with('0')) =>
            {
                n
            }
            _ => {
                return Err(bad(
                    2,
                    format!(
                        "tree size {size_text:?} is not a decimal number without leading zeros"
                    ),
                ))
            }
        };
        let root = decode_hash(lines[2]).map_err(|e| bad(3, e.to_string()))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// Decodes standard, padded base64 of exactly 32 bytes, canonical only.
pub fn decode_hash(text: &str) -> Result<Hash, HashTextError> {
    let bytes = B64.decode(text).map_err(|e| HashTextError::NotBase64 {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    let hash: Hash = bytes
        .try_into()
        .map_err(|b: Vec<u8>| HashTextError::WrongLength {
            text: text.to_string(),
            len: b.len(),
        })?;
    if B64.encode(hash) != text {
        return Err(HashTextError::NotCanonical {
            text: text.to_string(),
        });
    }
    Ok(hash)
}

/// Standard padded base64 of a hash.
pub fn encode_hash(hash: &Hash) -> String {
    B64.encode(hash)
}

/// The signed-note key name of a signer: its principal, with every `+`
/// (which C2SP key names may not hold, e.g. `j.doe+lab@example`) written as
/// `%2B`. Verification matches (name, key id, key), so the rare principal
/// that already holds `%2B` cannot be confused with another key.
pub fn note_key_name(principal: &str) -> String {
    principal.replace('+', "%2B")
}

/// Checks a signed-note key name: non-empty, no Unicode white space, no `+`.
pub fn validate_key_name(name: &str) -> Result<(), NoteError> {
    let bad = |reason| NoteError::BadKeyName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(bad("it may hold neither white space nor +"));
    }
    Ok(())
}

/// The C2SP signed-note key id of an Ed25519 key: the first four bytes of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
pub fn ed25519_key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, ED25519_TYPE]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// One signature line: `— NAME BASE64(key id ‖ signature)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    /// The signature bytes after the key id (64 for Ed25519).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line, without its LF.
    pub fn line(&self) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}", self.name, B64.encode(blob))
    }

    /// The key id as 8 lowercase hex digits, for messages.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }
}

/// A checkpoint with its signature lines, in the order of the file
/// (sorted by line text when written by custodian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signatures: Vec<NoteSignature>,
}

impl SignedCheckpoint {
    /// An unsigned checkpoint; add signatures with [`Self::sign`].
    pub fn new(checkpoint: Checkpoint) -> Self {
        SignedCheckpoint {
            checkpoint,
            signatures: Vec::new(),
        }
    }

    /// Parses a signed note holding a checkpoint: the body, one blank line,
    /// then one or more signature lines, every line ending in LF.
    pub fn parse(text: &str, what: &str) -> Result<Self, NoteError> {
        let malformed = |line: usize, reason: String| NoteError::Malformed {
            what: what.to_string(),
            line,
            reason,
        };
        if text.len() > MAX_NOTE_BYTES {
            return Err(NoteError::Invalid {
                what: what.to_string(),
                reason: "too large for a checkpoint".into(),
            });
        }
        if text.contains('\r') {
            return Err(malformed(1, "carriage return (CR) in a note".into()));
        }
        let Some(split) = text.rfind("\n\n") else {
            return Err(malformed(
                text.lines().count().max(1),
                "no blank line before the signatures: this is not a signed note".into(),
            ));
        };
        let body = &text[..split + 1];
        let checkpoint = Checkpoint::parse_body(body, what)?;
        let first_sig_line = body.matches('\n').count() + 2;
        let sigs = &text[split + 2..];
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(malformed(
                first_sig_line,
                "the signature block does not end with a newline".into(),
            ));
        };
        let mut signatures = Vec::new();
        for (i, line) in sigs.split('\n').enumerate() {
            let n = first_sig_line + i;
            if signatures.len() == MAX_SIGNATURES {
                return Err(malformed(
                    n,
                    format!("more than {MAX_SIGNATURES} signatures"),
                ));
            }
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(malformed(
                    n,
                    "a signature line starts with an em dash (U+2014) and a space".into(),
                ));
            };
            let Some((name, b64)) = rest.split_once(' ') else {
                return Err(malformed(n, "expected `— NAME SIGNATURE`".into()));
            };
            validate_key_name(name).map_err(|e| malformed(n, e.to_string()))?;
            let blob = B64
                .decode(b64)
                .ok()
                .filter(|b| B64.encode(b) == b64)
                .ok_or_else(|| {
                    malformed(n, "the signature is not canonical standard base64".into())
                })?;
            if blob.len() < 5 {
                return Err(malformed(n, "the signature is shorter than 5 bytes".into()));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_id: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        Ok(SignedCheckpoint {
            checkpoint,
            signatures,
        })
    }

    /// The whole signed note as text.
    pub fn to_text(&self) -> String {
        let mut s = self.checkpoint.body();
        s.push('\n');
        for sig in &self.signatures {
            s.push_str(&sig.line());
            s.push('\n');
        }
        s
    }

    /// Adds `signer`'s signature and sorts the lines. Returns false if the
    /// very same signature was already there (Ed25519 is deterministic, so
    /// signing twice gives the same line).
    pub fn sign(&mut self, signer: &NoteSigner) -> Result<bool, NoteError> {
        let sig = signer.sign(&self.checkpoint.body())?;
        if let Some(old) = self
            .signatures
            .iter()
            .find(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            if *old == sig {
                return Ok(false);
            }
            return Err(NoteError::DuplicateSigner {
                what: self.checkpoint.origin.clone(),
                name: sig.name,
            });
        }
        self.signatures.push(sig);
        self.signatures.sort_by_key(|s| s.line());
        Ok(true)
    }

    /// Checks every signature line against `verifiers` (see
    /// [`SignatureCheck`]).
    pub fn verify_signatures(&self, verifiers: &[NoteVerifier]) -> SignatureCheck {
        use ed25519_dalek::Verifier;
        let body = self.checkpoint.body();
        let mut check = SignatureCheck::default();
        for sig in &self.signatures {
            let known = verifiers
                .iter()
                .find(|v| v.name == sig.name && v.key_id == sig.key_id);
            match known {
                None => check.unknown.push(sig.clone()),
                Some(v) => {
                    let ok = ed25519_dalek::Signature::from_slice(&sig.signature)
                        .map(|s| v.key.verify(body.as_bytes(), &s).is_ok())
                        .unwrap_or(false);
                    if ok {
                        check.verified.push(v.clone());
                    } else {
                        check.failed.push(sig.clone());
                    }
                }
            }
        }
        check
    }
}

/// The outcome of checking a checkpoint's signature lines.
#[derive(Debug, Clone, Default)]
pub struct SignatureCheck {
    /// Known keys whose signature verifies.
    pub verified: Vec<NoteVerifier>,
    /// Lines naming a known key whose signature does not verify.
    pub failed: Vec<NoteSignature>,
    /// Lines whose name and key id match no key the verifier knows: they
    /// vouch for nothing and are reported, never accepted.
    pub unknown: Vec<NoteSignature>,
}

impl SignatureCheck {
    /// True when at least one known key signed and no known key's
    /// signature failed.
    pub fn is_trusted(&self) -> bool {
        !self.verified.is_empty() && self.failed.is_empty()
    }

    /// One sentence for humans on what was found.
    pub fn describe(&self) -> String {
        let names = |v: &[NoteSignature]| {
            v.iter()
                .map(|s| format!("{} (key id {})", s.name, s.key_id_hex()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.verified.is_empty() {
            parts.push(format!(
                "signed by {}",
                self.verified
                    .iter()
                    .map(|v| format!("{} ({})", v.name, v.fingerprint))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            parts.push("no signature by a trusted key".to_string());
        }
        if !self.failed.is_empty() {
            parts.push(format!(
                "signature(s) that do NOT verify: {}",
                names(&self.failed)
            ));
        }
        if !self.unknown.is_empty() {
            parts.push(format!(
                "signature(s) by unknown keys, not checked: {}",
                names(&self.unknown)
            ));
        }
        parts.join("; ")
    }
}

/// A key that may sign checkpoints, with its note key name (the signer's
/// principal). The key is anything that makes raw SSH signatures
/// ([`RawSigner`]): a private key in memory, or an ssh-agent holding it.
/// Only `ssh-ed25519` keys can: a C2SP Ed25519 note signature (type 0x01)
/// is the raw Ed25519 signature of the note text, which is exactly what an
/// `ssh-ed25519` key (and an agent holding one) makes of any bytes, and
/// what a hardware-backed `sk-ssh-ed25519@openssh.com` key never makes.
pub struct NoteSigner {
    name: String,
    signer: Arc<dyn RawSigner + Send + Sync>,
    public: ed25519_dalek::VerifyingKey,
    fingerprint: Fingerprint,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer from a key that signs (a decrypted OpenSSH private key, or
    /// a handle on an agent that holds one). A hardware-backed key is
    /// refused, naming the key and that an `ssh-ed25519` key is needed.
    pub fn new<K>(name: &str, key: &K, what: &str) -> Result<Self, NoteError>
    where
        K: RawSigner + Clone + Send + Sync + 'static,
    {
        validate_key_name(name)?;
        let public = SignerKey::new(PublicKey::from(key.key_data().clone()), what)?;
        public.require_plain_ed25519(what, "checkpoints (nor packages, which carry one)")?;
        let verifying =
            ed25519_dalek::VerifyingKey::from_bytes(&public.ed25519_bytes()).map_err(|e| {
                NoteError::Invalid {
                    what: what.to_string(),
                    reason: format!("invalid Ed25519 public key ({e})"),
                }
            })?;
        Ok(NoteSigner {
            name: name.to_string(),
            signer: Arc::new(key.clone()),
            public: verifying,
            fingerprint: public.fingerprint().clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        let public = self.public;
        NoteVerifier {
            name: self.name.clone(),
            key_id: ed25519_key_id(&self.name, public.as_bytes()),
            key: public,
            fingerprint: self.fingerprint.clone(),
        }
    }

    /// Signs a note body (Ed25519 over its bytes). The signature is
    /// checked before it is returned, so a key or agent that answers with
    /// anything else is an error, never a bad line in a checkpoint.
    pub fn sign(&self, body: &str) -> Result<NoteSignature, NoteError> {
        use ed25519_dalek::Verifier;
        let fail = |reason: String| NoteError::Invalid {
            what: format!("signing with key {}", self.fingerprint),
            reason,
        };
        let raw = self.signer.sign_raw(body.as_bytes())?;
        if raw.algorithm() != ssh_key::Algorithm::Ed25519 {
            return Err(fail(format!(
                "the key answered with a {} signature, not ssh-ed25519",
                raw.algorithm()
            )));
        }
        let signature = ed25519_dalek::Signature::from_slice(raw.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
        self.public
            .verify(body.as_bytes(), &signature)
            .map_err(|_| fail("the signature does not verify with the key".into()))?;
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: ed25519_key_id(&self.name, self.public.as_bytes()),
            signature: signature.to_bytes().to_vec(),
        })
    }
}

/// A public key trusted to sign checkpoints, under a note key name.
#[derive(Debug, Clone)]
pub struct NoteVerifier {
    pub name: String,
    pub key_id: [u8; 4],
    pub key: ed25519_dalek::VerifyingKey,
    pub fingerprint: Fingerprint,
}

impl NoteVerifier {
    pub fn new(name: &str, key: &SignerKey) -> Result<Self, NoteError> {
        validate_key_name(name)?;
        let raw = key
            .public_key()
            .key_data()
            .ed25519()
            .map(|k| k.0)
            .ok_or_else(|| KeyError::WrongAlgorithm {
                what: name.to_string(),
                found: key.public_key().algorithm().to_string(),
            })?;
        let verifying =
            ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|e| NoteError::Invalid {
                what: name.to_string(),
                reason: format!("invalid Ed25519 public key ({e})"),
            })?;
        Ok(NoteVerifier {
            name: name.to_string(),
            key_id: ed25519_key_id(name, &raw),
            key: verifying,
            fingerprint: key.fingerprint().clone(),
        })
    }

    /// The key in the C2SP verifier-key form `NAME+KEYID+BASE64(0x01 ‖ key)`
    /// that other signed-note implementations (Go's `golang.org/x/mod/sumdb/note`) read.
    pub fn vkey(&self) -> String {
        let mut blob = vec![ED25519_TYPE];
        blob.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            B64.encode(blob)
        )
    }

    /// Every (principal, key) of an OpenSSH `allowed_signers` file; a line
    /// listing several comma-separated principals gives one verifier each.
    pub fn from_allowed_signers(text: &str, what: &str) -> Result<Vec<NoteVerifier>, NoteError> {
        let mut out = Vec::new();
        for s in parse_allowed_signers(text, what)? {
            // A hardware-backed key never signs a note (see NoteSigner).
            if s.key.is_hardware() {
                continue;
            }
            for p in s.principals.split(',').filter(|p| !p.is_empty()) {
                out.push(NoteVerifier::new(&note_key_name(p), &s.key)?);
            }
        }
        Ok(out)
    }
}

/// `a`'s signature lines plus those of `b` it lacks, sorted; the bodies
/// must be equal.
pub fn merge_signatures(
    a: &SignedCheckpoint,
    b: &SignedCheckpoint,
) -> Result<SignedCheckpoint, NoteError> {
    let mut out = a.clone();
    for s in &b.signatures {
        match out
            .signatures
            .iter()
            .find(|o| o.name == s.name && o.key_id == s.key_id)
        {
            Some(o) if o == s => {}
            Some(_) => {
                return Err(NoteError::DuplicateSigner {
                    what: a.checkpoint.origin.clone(),
                    name: s.name.clone(),
                })
            }
            None => out.signatures.push(s.clone()),
        }
    }
    out.signatures.sort_by_key(|s| s.line());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    #[test]
    fn key_id_is_the_c2sp_construction() {
        // fixtures/keys/lead, computed independently in docs/spec/transparency.md §3.4
        let public: [u8; 32] =
            hex::decode("2dff1da16517399044a86c8e8e83675122247176c122d93723086e6030518877")
                .unwrap()
                .try_into()
                .unwrap();
        assert_eq!(
            hex::encode(ed25519_key_id(
                "j.dupont@cyber.lyon.police.example",
                &public
            )),
            "5f6b02b8"
        );
    }

    #[test]
    fn key_names_follow_signed_note() {
        assert!(validate_key_name("a.silva@pj.lisboa.example").is_ok());
        for bad in ["", "a b", "a+b", "a\u{00a0}b", "a\tb"] {
            assert!(validate_key_name(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Every checkpoint body parses back to itself.
        #[test]
        fn body_round_trips(id in "\\PC{1,40}", size in any::<u64>(), root in any::<[u8; 32]>()) {
            let cp = Checkpoint { origin: origin_for_case(&id), size, root };
            prop_assert_eq!(Checkpoint::parse_body(&cp.body(), "t").unwrap(), cp);
        }

        /// Arbitrary text never panics the parser; whatever it accepts
        /// re-serialises to the same text.
        #[test]
        fn parse_never_panics(text in "(custodian.case/x\n[0-9]{1,3}\n[A-Za-z0-9+/=]{0,46}\n\n)?(\u{2014} [a-z+ ]{0,6} [A-Za-z0-9+/=]{0,100}\n){0,3}\\PC{0,20}") {
            if let Ok(s) = SignedCheckpoint::parse(&text, "t") {
                prop_assert_eq!(s.to_text(), text);
            }
        }

        /// Flipping any bit of a signed body makes the signature fail.
        #[test]
        fn signatures_bind_the_body(seed in any::<[u8; 32]>(), size in 1u64..1000, bit in 0usize..256) {
            let key = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&seed));
            let signer = NoteSigner::new("t@example", &key, "t").unwrap();
            let mut signed = SignedCheckpoint::new(Checkpoint { origin: origin_for_case("c"), size, root: [7; 32] });
            signed.sign(&signer).unwrap();
            let verifiers = [signer.verifier()];
            prop_assert!(signed.verify_signatures(&verifiers).is_trusted());
            let reparsed = SignedCheckpoint::parse(&signed.to_text(), "t").unwrap();
            prop_assert!(reparsed.verify_signatures(&verifiers).is_trusted());
            let mut bad = signed.clone();
            bad.checkpoint.root[bit / 8] ^= 1 << (bit % 8);
            let check = bad.verify_signatures(&verifiers);
            prop_assert!(!check.is_trusted());
            prop_assert_eq!(check.failed.len(), 1);
            let mut bad = signed.clone();
            bad.signatures[0].signature[bit / 8 % 64] ^= 1 << (bit % 8);
            prop_assert!(!bad.verify_signatures(&verifiers).is_trusted());
        }
    }
}
