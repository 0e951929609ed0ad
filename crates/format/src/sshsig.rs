//! OpenSSH Ed25519 public keys, SSHSIG signatures and `allowed_signers`
//! lines: everything needed to check a custodian signature, nothing that
//! needs a private key file.
//!
//! custodian uses OpenSSH formats on purpose: any examiner, defence expert
//! or partner agency already has `ssh-keygen`, so every signature in a
//! ledger can be checked with a tool that is not ours
//! (`ssh-keygen -Y verify`).
//!
//! Signer keys are Ed25519: plain `ssh-ed25519` keys, and hardware-backed
//! `sk-ssh-ed25519@openssh.com` keys (FIDO2 security keys, OpenSSH
//! PROTOCOL.u2f), whose signatures carry the token's flags and counter.
//! [`SignerKey`] keeps the verifying key in an enum ([`Verifier`]), one
//! variant per key type.
//!
//! Signing goes through [`RawSigner`], which makes the raw signature of an
//! SSH key over given bytes: a private key in memory implements it, and so
//! does an ssh-agent holding the key (`custodian::agent`), so every
//! signature custodian makes (entries, reports, packages, checkpoints) can
//! be made without the private key ever entering custodian's memory.

use std::fmt;

use sha2::{Digest, Sha256};
use ssh_key::{HashAlg, LineEnding, PublicKey, SshSig};

/// SSHSIG namespace of every ledger entry signature. A signature made for
/// another purpose (git commits, file signing) can never be replayed as a
/// ledger signature, because the namespace is part of the signed data.
pub const LEDGER_NAMESPACE: &str = "custodian-ledger-v1";

/// SSHSIG namespace of detached report signatures (`report --sign`).
pub const REPORT_NAMESPACE: &str = "custodian-report-v1";

/// A key, fingerprint, principal or `allowed_signers` line that cannot be
/// used, naming the input (`what`) it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{what}: only ssh-ed25519 and sk-ssh-ed25519@openssh.com keys are supported, found {found}"
    )]
    WrongAlgorithm { what: String, found: String },
    /// A hardware-backed key asked to make a signature it cannot (see
    /// [`SignerKey::require_plain_ed25519`]); the text names the key.
    #[error("{0}")]
    CannotSign(String),
    #[error("{what}: not an OpenSSH public key ({reason})")]
    NotPublicKey { what: String, reason: String },
    #[error("{what}: invalid Ed25519 public key ({reason})")]
    BadEd25519 { what: String, reason: String },
    #[error("invalid key fingerprint {given:?}: expected SHA256:… as printed by `ssh-keygen -l`")]
    BadFingerprint { given: String },
    #[error("invalid principal {principal:?}: {reason}")]
    BadPrincipal {
        principal: String,
        reason: &'static str,
    },
    #[error("{what}:{line}: {reason}")]
    AllowedSigners {
        what: String,
        line: usize,
        reason: &'static str,
    },
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Why a signature does not verify. The texts are part of custodian's
/// output (`verify` prints them per entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("entry has no signature")]
    Missing,
    #[error("signature is not single-line standard base64")]
    NotBase64,
    #[error("signature is not a valid SSHSIG ({0})")]
    NotSshsig(String),
    #[error("signature is not in OpenSSH's canonical SSHSIG encoding")]
    NotCanonical,
    #[error("not an armoured SSH signature ({0})")]
    NotArmoured(String),
    #[error("signature namespace is {found:?}, expected {expected:?}")]
    Namespace { found: String, expected: String },
    #[error("signature was made by a different key than the entry names")]
    OtherKey,
    #[error("signature type is {found}, but the key is {expected}")]
    SignatureType { found: String, expected: String },
    #[error("hardware-key signature without the user-presence flag (flags 0x{flags:02x}, counter {counter}): the token was not touched")]
    NoUserPresence { flags: u8, counter: u32 },
    #[error("signature was not made by {0}")]
    NotMadeBy(Fingerprint),
    #[error("signature does not use SHA-512 with an empty reserved field")]
    HashAlgorithm,
    #[error("invalid Ed25519 signature ({0})")]
    BadEd25519(String),
    #[error("cannot build SSHSIG signed data ({0})")]
    SignedData(String),
    #[error("signature does not verify (the signed bytes or the signature were changed)")]
    DoesNotVerify,
}

impl SignatureError {
    /// The problem code `verify` reports this under (docs/spec/ledger.md
    /// §9): `sk-no-user-presence` for a hardware-key signature made
    /// without a touch, `bad-signature` for everything else.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::NoUserPresence { .. } => "sk-no-user-presence",
            _ => "bad-signature",
        }
    }
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
            _ => Err(KeyError::BadFingerprint {
                given: s.to_string(),
            }),
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

/// User-presence flag of a hardware-key signature (OpenSSH PROTOCOL.u2f,
/// `SSH_SK_USER_PRESENCE_REQD`): the token was touched for this signature.
pub const SK_USER_PRESENT: u8 = 0x01;
/// User-verification flag (`SSH_SK_USER_VERIFICATION_REQD`): the token
/// also checked a PIN or biometric.
pub const SK_USER_VERIFIED: u8 = 0x04;

/// The verifying half of a signer key, decoded once per key rather than
/// per signature. One variant per supported key type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verifier {
    Ed25519(ed25519_dalek::VerifyingKey),
    /// `sk-ssh-ed25519@openssh.com`: an Ed25519 key held by a FIDO token,
    /// bound to an application string (`ssh:` unless chosen otherwise).
    SkEd25519 {
        key: ed25519_dalek::VerifyingKey,
        application: String,
    },
}

/// What a hardware-key signature says about how it was made: the token's
/// flags and signature counter (OpenSSH PROTOCOL.u2f). Both are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkDetails {
    pub flags: u8,
    pub counter: u32,
}

impl SkDetails {
    /// The token was touched (user presence).
    pub fn user_present(&self) -> bool {
        self.flags & SK_USER_PRESENT != 0
    }

    /// The token checked a PIN or biometric (user verification).
    pub fn user_verified(&self) -> bool {
        self.flags & SK_USER_VERIFIED != 0
    }
}

/// A public key we accept as a signer: `ssh-ed25519`, or the
/// hardware-backed `sk-ssh-ed25519@openssh.com`, so that every signature
/// has one well-understood, deterministic algorithm underneath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerKey {
    key: PublicKey,
    fingerprint: Fingerprint,
    verifier: Verifier,
}

impl SignerKey {
    pub fn new(mut key: PublicKey, what: &str) -> Result<Self, KeyError> {
        let bad = |e: ed25519_dalek::SignatureError| KeyError::BadEd25519 {
            what: what.to_string(),
            reason: e.to_string(),
        };
        let verifier = match key.key_data() {
            ssh_key::public::KeyData::Ed25519(k) => {
                Verifier::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&k.0).map_err(bad)?)
            }
            ssh_key::public::KeyData::SkEd25519(k) => Verifier::SkEd25519 {
                key: ed25519_dalek::VerifyingKey::from_bytes(&k.public_key().0).map_err(bad)?,
                application: k.application().to_string(),
            },
            _ => {
                return Err(KeyError::WrongAlgorithm {
                    what: what.to_string(),
                    found: key.algorithm().to_string(),
                })
            }
        };
        key.set_comment("");
        let fingerprint = Fingerprint::of(&key);
        Ok(SignerKey {
            key,
            fingerprint,
            verifier,
        })
    }

    /// Parses `ssh-ed25519 AAAA… [comment]` or
    /// `sk-ssh-ed25519@openssh.com AAAA… [comment]` (the comment is
    /// dropped).
    pub fn from_openssh(line: &str, what: &str) -> Result<Self, KeyError> {
        let key = PublicKey::from_openssh(line.trim()).map_err(|e| KeyError::NotPublicKey {
            what: what.to_string(),
            reason: e.to_string(),
        })?;
        Self::new(key, what)
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

    /// True for a hardware-backed (`sk-ssh-ed25519@openssh.com`) key.
    pub fn is_hardware(&self) -> bool {
        matches!(self.verifier, Verifier::SkEd25519 { .. })
    }

    /// The OpenSSH key type name (`ssh-ed25519`, `sk-ssh-ed25519@openssh.com`).
    pub fn key_type(&self) -> String {
        self.key.algorithm().to_string()
    }

    /// Checks that this key can make a raw Ed25519 signature over
    /// arbitrary bytes, as C2SP signed notes (checkpoints) need: a
    /// hardware key cannot, because its token signs only its own message
    /// (PROTOCOL.u2f), which a note verifier does not accept.
    pub fn require_plain_ed25519(&self, what: &str, purpose: &'static str) -> Result<(), KeyError> {
        if self.is_hardware() {
            return Err(KeyError::CannotSign(format!(
                "{what}: key {} is a hardware-backed {} key, which cannot sign {purpose} (a security key signs only its own FIDO message, never the raw Ed25519 signature over the note that C2SP signed notes require); use an ssh-ed25519 signer key of the case for it",
                self.fingerprint,
                self.key_type()
            )));
        }
        Ok(())
    }

    /// The raw Ed25519 public key (for signed-note key ids).
    pub fn ed25519_bytes(&self) -> [u8; 32] {
        match &self.verifier {
            Verifier::Ed25519(k) | Verifier::SkEd25519 { key: k, .. } => k.to_bytes(),
        }
    }

    /// Verifies a ledger signature (see [`encode_signature`]) over `msg`.
    pub fn verify(&self, msg: &[u8], sig_b64: &str) -> Result<(), SignatureError> {
        let prepared = self.prepare(msg, sig_b64)?;
        prepared.verify()
    }

    /// Verifies a detached armoured SSHSIG (as `ssh-keygen -Y sign -n
    /// NAMESPACE` writes it) over `msg`: the namespace must be `namespace`
    /// and the signing key this key; a hardware-key signature must carry
    /// the user-presence flag.
    pub fn verify_detached(
        &self,
        namespace: &str,
        msg: &[u8],
        pem: &str,
    ) -> Result<(), SignatureError> {
        let sig = SshSig::from_pem(pem.trim_end())
            .map_err(|e| SignatureError::NotArmoured(e.to_string()))?;
        if sig.namespace() != namespace {
            return Err(SignatureError::Namespace {
                found: sig.namespace().to_string(),
                expected: namespace.to_string(),
            });
        }
        if sig.public_key() != self.key.key_data() {
            return Err(SignatureError::NotMadeBy(self.fingerprint.clone()));
        }
        let signed_data = SshSig::signed_data(namespace, sig.hash_alg(), msg)
            .map_err(|e| SignatureError::SignedData(e.to_string()))?;
        self.prepare_raw(&signed_data, sig.signature())?.verify()
    }

    /// Decodes and checks everything about a ledger signature except the
    /// Ed25519 equation itself (namespace, hash algorithm, embedded key,
    /// signature type, and for a hardware key the user-presence flag), so
    /// that many signatures can then be verified as one batch.
    pub fn prepare(&self, msg: &[u8], sig_b64: &str) -> Result<PreparedSignature, SignatureError> {
        let sig = decode_signature(sig_b64)?;
        if sig.namespace() != LEDGER_NAMESPACE {
            return Err(SignatureError::Namespace {
                found: sig.namespace().to_string(),
                expected: LEDGER_NAMESPACE.to_string(),
            });
        }
        if sig.public_key() != self.key.key_data() {
            return Err(SignatureError::OtherKey);
        }
        if sig.hash_alg() != HashAlg::Sha512 || !sig.reserved().is_empty() {
            return Err(SignatureError::HashAlgorithm);
        }
        let signed_data = SshSig::signed_data(LEDGER_NAMESPACE, HashAlg::Sha512, msg)
            .map_err(|e| SignatureError::SignedData(e.to_string()))?;
        self.prepare_raw(&signed_data, sig.signature())
    }

    /// The token's flags and counter of a ledger signature by a hardware
    /// key (`None` for a plain key or an undecodable signature): what
    /// `custodian log` shows beside the entry. Only meaningful once the
    /// signature has verified.
    pub fn sk_details(&self, sig_b64: &str) -> Option<SkDetails> {
        if !self.is_hardware() {
            return None;
        }
        let sig = decode_signature(sig_b64).ok()?;
        split_sk(sig.signature()).ok().map(|(_, d)| d)
    }

    /// Checks a raw SSH signature (the `signature` of an SSHSIG blob, or
    /// what an agent returns) of this key over `data` up to the Ed25519
    /// equation: its type must be this key's; a hardware-key signature
    /// must have the user-presence flag, and what the token signed is
    /// SHA-256(application) ‖ flags ‖ counter ‖ SHA-256(data)
    /// (PROTOCOL.u2f).
    pub fn prepare_raw(
        &self,
        data: &[u8],
        signature: &ssh_key::Signature,
    ) -> Result<PreparedSignature, SignatureError> {
        let expected = self.key.algorithm();
        if signature.algorithm() != expected {
            return Err(SignatureError::SignatureType {
                found: signature.algorithm().to_string(),
                expected: expected.to_string(),
            });
        }
        match &self.verifier {
            Verifier::Ed25519(key) => Ok(PreparedSignature {
                signed_data: data.to_vec(),
                signature: ed25519_dalek::Signature::from_slice(signature.as_bytes())
                    .map_err(|e| SignatureError::BadEd25519(e.to_string()))?,
                key: *key,
                sk: None,
            }),
            Verifier::SkEd25519 { key, application } => {
                let (sig, details) = split_sk(signature)?;
                if !details.user_present() {
                    return Err(SignatureError::NoUserPresence {
                        flags: details.flags,
                        counter: details.counter,
                    });
                }
                Ok(PreparedSignature {
                    signed_data: sk_signed_message(application, details, data),
                    signature: sig,
                    key: *key,
                    sk: Some(details),
                })
            }
        }
    }
}

/// Splits a `sk-ssh-ed25519@openssh.com` signature into the Ed25519
/// signature and the token's flags and counter.
fn split_sk(
    signature: &ssh_key::Signature,
) -> Result<(ed25519_dalek::Signature, SkDetails), SignatureError> {
    let bytes = signature.as_bytes();
    if bytes.len() != 64 + 5 {
        return Err(SignatureError::BadEd25519(format!(
            "a hardware-key signature holds 69 bytes, found {}",
            bytes.len()
        )));
    }
    let sig = ed25519_dalek::Signature::from_slice(&bytes[..64])
        .map_err(|e| SignatureError::BadEd25519(e.to_string()))?;
    let counter = u32::from_be_bytes([bytes[65], bytes[66], bytes[67], bytes[68]]);
    Ok((
        sig,
        SkDetails {
            flags: bytes[64],
            counter,
        },
    ))
}

/// What a FIDO token signs for OpenSSH (PROTOCOL.u2f, "SSH U2F
/// signatures"): SHA-256(application) ‖ flags ‖ counter (big-endian
/// uint32) ‖ SHA-256(data), 69 bytes.
pub fn sk_signed_message(application: &str, details: SkDetails, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(69);
    out.extend_from_slice(&Sha256::digest(application.as_bytes()));
    out.push(details.flags);
    out.extend_from_slice(&details.counter.to_be_bytes());
    out.extend_from_slice(&Sha256::digest(data));
    out
}

/// A ledger signature decoded and checked up to the Ed25519 verification
/// proper (see [`SignerKey::prepare`]).
#[derive(Debug, Clone)]
pub struct PreparedSignature {
    signed_data: Vec<u8>,
    signature: ed25519_dalek::Signature,
    key: ed25519_dalek::VerifyingKey,
    sk: Option<SkDetails>,
}

impl PreparedSignature {
    /// Verifies this one signature the way OpenSSH does.
    pub fn verify(&self) -> Result<(), SignatureError> {
        use ed25519_dalek::Verifier;
        self.key
            .verify(&self.signed_data, &self.signature)
            .map_err(|_| SignatureError::DoesNotVerify)
    }

    /// The token's flags and counter, for a hardware-key signature.
    pub fn sk_details(&self) -> Option<SkDetails> {
        self.sk
    }
}

/// Verifies many signatures, about twice as fast per core as one by one,
/// and faster still when they share a key, as a ledger's do: the batch
/// equation is ed25519-dalek's, with one term per distinct key
/// (crate::ed25519_batch), which halves the work for one signer.
///
/// A batch either passes as a whole or is re-checked signature by signature
/// to name the failures, so the result for each item is what
/// [`PreparedSignature::verify`] alone would say, except for one case a
/// verifier should know: Ed25519 batch verification may accept a signature
/// that its own key holder deliberately built with small-order components,
/// which single verification rejects. Such a signature can only be made with
/// the private key; `custodian verify --no-batch` checks one by one.
pub fn verify_batch(items: &[&PreparedSignature]) -> Vec<Result<(), SignatureError>> {
    let batch: Vec<_> = items
        .iter()
        .map(|p| (p.signed_data.as_slice(), &p.signature, &p.key))
        .collect();
    if crate::ed25519_batch::holds(&batch) {
        return vec![Ok(()); items.len()];
    }
    items.iter().map(|p| p.verify()).collect()
}

/// Makes raw SSH signatures with one key: the `signature` field of an
/// SSHSIG blob over given bytes (for `ssh-ed25519`, the Ed25519 signature
/// of exactly those bytes; for a hardware key, the token's signature with
/// its flags and counter). A private key in memory implements it; so does
/// an ssh-agent that holds the key, which is how custodian signs without
/// ever holding the private key.
pub trait RawSigner {
    /// The public key the signatures verify with.
    fn key_data(&self) -> &ssh_key::public::KeyData;
    /// Signs `data` as SSH signs it for this key type.
    fn sign_raw(&self, data: &[u8]) -> Result<ssh_key::Signature, KeyError>;
}

impl RawSigner for ssh_key::PrivateKey {
    fn key_data(&self) -> &ssh_key::public::KeyData {
        self.public_key().key_data()
    }

    fn sign_raw(&self, data: &[u8]) -> Result<ssh_key::Signature, KeyError> {
        use ed25519_dalek::Signer;
        self.try_sign(data)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

/// An SSHSIG of `msg` under `namespace` with SHA-512, signed by `signer`,
/// as `ssh-keygen -Y sign -n NAMESPACE` makes it. The signature is checked
/// against `key` before it is returned (an agent or token that answered
/// with a wrong signature, or a hardware-key signature without user
/// presence, is refused here rather than written into a ledger).
pub fn sshsig_sign<S: RawSigner + ?Sized>(
    signer: &S,
    key: &SignerKey,
    namespace: &str,
    msg: &[u8],
) -> Result<SshSig, KeyError> {
    let signed = SshSig::signed_data(namespace, HashAlg::Sha512, msg)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    sshsig_from_signed_data(signer, key, namespace, &signed)
}

/// As [`sshsig_sign`], given the SSHSIG signed data already built (the
/// caller hashed a message too large to hold).
pub fn sshsig_from_signed_data<S: RawSigner + ?Sized>(
    signer: &S,
    key: &SignerKey,
    namespace: &str,
    signed: &[u8],
) -> Result<SshSig, KeyError> {
    let signature = signer.sign_raw(signed)?;
    key.prepare_raw(signed, &signature)
        .and_then(|p| p.verify())
        .map_err(|e| {
            KeyError::Sign(format!(
                "the signature made with {} does not verify: {e}",
                key.fingerprint()
            ))
        })?;
    SshSig::new(
        key.public_key().key_data().clone(),
        namespace,
        HashAlg::Sha512,
        signature,
    )
    .map_err(|e| KeyError::Sign(e.to_string()))
}

/// Something that can sign ledger entries: an SSHSIG over the message with
/// namespace [`LEDGER_NAMESPACE`] and SHA-512, as the single-line base64 of
/// the SSHSIG blob ([`encode_signature`]). The engine's signing key
/// implements it, whether the private key is in memory or in an agent.
pub trait EntrySigner {
    fn fingerprint(&self) -> &Fingerprint;
    fn sign(&self, msg: &[u8]) -> Result<String, KeyError>;
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

fn decode_signature(sig_b64: &str) -> Result<SshSig, SignatureError> {
    use base64::Engine as _;
    use ssh_encoding::{Decode, Encode};
    // The standard engine is strict: padding required, no stray bits, so a
    // blob has exactly one base64 spelling.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .map_err(|_| SignatureError::NotBase64)?;
    let mut reader: &[u8] = &bytes;
    let sig = SshSig::decode(&mut reader).map_err(|e| SignatureError::NotSshsig(e.to_string()))?;
    // The blob must be the one encoding of what it decodes to: a decoder
    // that tolerated slack in length fields or trailing bytes would accept
    // many spellings of one signature, changing the entry's hash at will.
    let mut again = Vec::with_capacity(bytes.len());
    if !reader.is_empty() || sig.encode(&mut again).is_err() || again != bytes {
        return Err(SignatureError::NotCanonical);
    }
    Ok(sig)
}

/// One line of an OpenSSH `allowed_signers` file that names a key, with
/// the restrictions `ssh-keygen -Y verify` applies to it (sshd(8)
/// "ALLOWED SIGNERS"). A line that trusts a key only for some namespaces
/// or for a time window must be honoured the same way here, or a file
/// written for git or for a key that has since expired would be trusted
/// for a ledger.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The line's number in its file (from 1), for messages.
    pub line: usize,
    pub principals: String,
    pub key: SignerKey,
    /// `namespaces="a,b"`: the only SSHSIG namespaces the key may sign in;
    /// `None` when the line does not restrict them.
    pub namespaces: Option<Vec<String>>,
    /// `valid-after`: signatures made before this are not accepted.
    pub valid_after: Option<chrono::DateTime<chrono::Utc>>,
    /// `valid-before`: signatures made after this are not accepted.
    pub valid_before: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why an `allowed_signers` line does not admit a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotPermitted {
    #[error("the line allows only the namespaces {allowed}, not {namespace}")]
    Namespace { namespace: String, allowed: String },
    #[error("the line is valid only after {valid_after}")]
    TooEarly { valid_after: String },
    #[error("the line is valid only before {valid_before}")]
    TooLate { valid_before: String },
}

impl AllowedSigner {
    /// Whether `ssh-keygen -Y verify -n NAMESPACE -Overify-time=AT` would
    /// accept this line for a signature made at `at` (the entry's own time,
    /// not the verifier's clock, so the verdict does not depend on when it
    /// is checked).
    pub fn permits(
        &self,
        namespace: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), NotPermitted> {
        if let Some(ns) = &self.namespaces {
            if !ns.iter().any(|n| n == namespace) {
                return Err(NotPermitted::Namespace {
                    namespace: namespace.to_string(),
                    allowed: ns.join(","),
                });
            }
        }
        if let Some(after) = self.valid_after {
            if at < after {
                return Err(NotPermitted::TooEarly {
                    valid_after: after.to_rfc3339(),
                });
            }
        }
        if let Some(before) = self.valid_before {
            // ssh-keygen accepts a signature made at exactly valid-before
            // (OpenSSH 9.x: the window is inclusive at both ends).
            if at > before {
                return Err(NotPermitted::TooLate {
                    valid_before: before.to_rfc3339(),
                });
            }
        }
        Ok(())
    }
}

/// Largest `allowed_signers` file read (`--allowed-signers /dev/zero` must
/// not grow without limit): 1 MiB is tens of thousands of keys.
pub const MAX_ALLOWED_SIGNERS_BYTES: u64 = 1 << 20;

/// The options of one line, as OpenSSH defines them. Anything else —
/// `cert-authority` (custodian trusts plain keys, not CAs), an unknown
/// option, a time without `Z` (ssh-keygen would read it in the verifying
/// machine's time zone) — is refused rather than ignored.
fn parse_signer_options(options: &str) -> Result<SignerOptions, &'static str> {
    let mut namespaces = None;
    let mut after = None;
    let mut before = None;
    for opt in split_options(options)? {
        let (name, value) = match opt.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v)?)),
            None => (opt.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", _) => {
                return Err("cert-authority lines are not supported: custodian trusts plain keys, not certificate authorities")
            }
            ("namespaces", Some(v)) if namespaces.is_none() => {
                namespaces = Some(v.split(',').map(str::to_string).collect())
            }
            ("valid-after", Some(v)) if after.is_none() => after = Some(parse_ssh_time(&v)?),
            ("valid-before", Some(v)) if before.is_none() => before = Some(parse_ssh_time(&v)?),
            ("namespaces" | "valid-after" | "valid-before", Some(_)) => {
                return Err("an option is given twice")
            }
            ("namespaces" | "valid-after" | "valid-before", None) => {
                return Err("an option needs a value (name=\"value\")")
            }
            _ => return Err("unknown option (OpenSSH allows cert-authority, namespaces, valid-after, valid-before)"),
        }
    }
    Ok((namespaces, after, before))
}

type DateTimeUtc = chrono::DateTime<chrono::Utc>;
/// `namespaces`, `valid-after`, `valid-before` of one line.
type SignerOptions = (
    Option<Vec<String>>,
    Option<DateTimeUtc>,
    Option<DateTimeUtc>,
);

/// Splits the options token on commas outside double quotes.
fn split_options(options: &str) -> Result<Vec<&str>, &'static str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in options.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&options[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated quote in the options");
    }
    out.push(&options[start..]);
    if out.iter().any(|o| o.is_empty()) {
        return Err("empty option");
    }
    Ok(out)
}

fn unquote(v: &str) -> Result<String, &'static str> {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => Ok(inner.to_string()),
        Some(_) => Err("a quote inside an option value"),
        None if !v.contains('"') => Ok(v.to_string()),
        None => Err("a badly quoted option value"),
    }
}

/// `YYYYMMDD[HHMM[SS]]Z`, as sshd(8) describes the validity options. The
/// `Z` (UTC) is required: without it ssh-keygen reads the time in the
/// verifying machine's own time zone, so two verifiers could disagree.
fn parse_ssh_time(v: &str) -> Result<DateTimeUtc, &'static str> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    let Some(digits) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) else {
        return Err("a validity time without Z would be read in the verifier's local time zone: write it in UTC with a Z suffix (e.g. 20260301Z)");
    };
    let bad = "a validity time must be YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS followed by Z";
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad);
    }
    let num = |r: std::ops::Range<usize>| digits[r].parse::<u32>().map_err(|_| bad);
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?).ok_or(bad)?;
    let (h, m, s) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    let time = NaiveTime::from_hms_opt(h, m, s).ok_or(bad)?;
    Ok(NaiveDateTime::new(date, time).and_utc())
}

/// Parses an `allowed_signers` file: `principals [options] keytype base64
/// [comment]`, skipping blank lines and comments; a line we cannot read is
/// an error naming its number (never skipped silently).
pub fn parse_allowed_signers(text: &str, what: &str) -> Result<Vec<AllowedSigner>, KeyError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason| KeyError::AllowedSigners {
            what: what.to_string(),
            line: i + 1,
            reason,
        };
        if line.matches('"').count() % 2 == 1 {
            return Err(err("unterminated quote"));
        }
        let tokens = split_allowed_signers_line(line);
        let pos = tokens
            .iter()
            .position(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-"))
            .ok_or_else(|| err("no key type found"))?;
        if pos == 0 || tokens.len() < pos + 2 {
            return Err(err("expected: principals [options] key-type base64-key"));
        }
        let (namespaces, valid_after, valid_before) = match pos {
            1 => (None, None, None),
            2 => parse_signer_options(&tokens[1]).map_err(err)?,
            _ => return Err(err("expected: principals [options] key-type base64-key")),
        };
        let key_line = format!("{} {}", tokens[pos], tokens[pos + 1]);
        let key = SignerKey::from_openssh(&key_line, &format!("{what}:{}", i + 1))?;
        out.push(AllowedSigner {
            line: i + 1,
            principals: tokens[0].clone(),
            key,
            namespaces,
            valid_after,
            valid_before,
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
    use ssh_key::Algorithm;

    #[test]
    fn principals_are_checked() {
        assert!(validate_principal("j.doe@cyber.police.example").is_ok());
        for bad in ["", "a b", "a,b", "a\"b", "a*"] {
            assert!(validate_principal(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pem_armour_has_70_column_lines() {
        let pem = signature_to_pem(&"A".repeat(150));
        assert!(pem.starts_with(PEM_BEGIN));
        assert_eq!(pem.lines().nth(1).unwrap().len(), 70);
        assert!(pem.lines().all(|l| l.len() <= 70 || l.starts_with("-----")));
    }

    #[test]
    fn malformed_allowed_signers_lines_are_named() {
        assert_eq!(
            parse_allowed_signers("# c\n\nx y\n", "f").unwrap_err(),
            KeyError::AllowedSigners {
                what: "f".into(),
                line: 3,
                reason: "no key type found"
            }
        );
    }

    fn line(options: &str) -> String {
        // The RFC 8032 test 1 public key, as an OpenSSH line.
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
        format!("p@example {options} {key}\n")
    }

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().into()
    }

    #[test]
    fn allowed_signers_options_are_honoured_like_ssh_keygen() {
        let p = &parse_allowed_signers(
            &line(r#"namespaces="git,custodian-ledger-v1",valid-after="20260301Z",valid-before="202604011200Z""#),
            "f",
        )
        .unwrap()[0];
        assert!(p
            .permits(LEDGER_NAMESPACE, at("2026-03-15T00:00:00Z"))
            .is_ok());
        assert!(matches!(
            p.permits(REPORT_NAMESPACE, at("2026-03-15T00:00:00Z")),
            Err(NotPermitted::Namespace { .. })
        ));
        assert!(matches!(
            p.permits(LEDGER_NAMESPACE, at("2026-02-28T23:59:59Z")),
            Err(NotPermitted::TooEarly { .. })
        ));
        // valid-before is inclusive, as ssh-keygen applies it.
        assert!(p
            .permits(LEDGER_NAMESPACE, at("2026-04-01T12:00:00Z"))
            .is_ok());
        assert!(matches!(
            p.permits(LEDGER_NAMESPACE, at("2026-04-01T12:00:01Z")),
            Err(NotPermitted::TooLate { .. })
        ));
        // A git-only line does not admit a ledger signature.
        let git = &parse_allowed_signers(&line(r#"namespaces="git""#), "f").unwrap()[0];
        assert!(git
            .permits(LEDGER_NAMESPACE, at("2026-03-15T00:00:00Z"))
            .is_err());
        // No options: no restriction.
        let plain = &parse_allowed_signers(&line("").replace("  ", " "), "f").unwrap()[0];
        assert!(plain
            .permits("anything", at("1999-01-01T00:00:00Z"))
            .is_ok());
    }

    #[test]
    fn unsupported_allowed_signers_options_are_refused_not_ignored() {
        for (options, words) in [
            ("cert-authority", "cert-authority"),
            (
                r#"cert-authority,namespaces="custodian-ledger-v1""#,
                "cert-authority",
            ),
            ("no-touch-required", "unknown option"),
            (r#"valid-after="20260301""#, "without Z"),
            (r#"valid-after="2026-03-01Z""#, "YYYYMMDD"),
            (r#"valid-after="20261301Z""#, "YYYYMMDD"),
            (r#"namespaces="a",namespaces="b""#, "twice"),
            (r#"namespaces="a"#, "quote"),
            ("namespaces", "needs a value"),
        ] {
            let e = parse_allowed_signers(&line(options), "f")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("f:1: ") && e.contains(words),
                "{options}: {e}"
            );
        }
    }

    /// A security key in software: what a FIDO token makes for OpenSSH.
    struct SoftSk {
        key: ed25519_dalek::SigningKey,
        public: SignerKey,
        application: &'static str,
    }

    fn soft_sk(seed: u8, application: &'static str) -> SoftSk {
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let data = ssh_key::public::KeyData::SkEd25519(ssh_key::public::SkEd25519::new(
            ssh_key::public::Ed25519PublicKey(key.verifying_key().to_bytes()),
            application,
        ));
        let public = SignerKey::new(PublicKey::from(data), "sk").unwrap();
        SoftSk {
            key,
            public,
            application,
        }
    }

    impl SoftSk {
        fn sign(&self, data: &[u8], flags: u8, counter: u32) -> ssh_key::Signature {
            use ed25519_dalek::Signer;
            let details = SkDetails { flags, counter };
            let msg = sk_signed_message(self.application, details, data);
            let mut bytes = self.key.sign(&msg).to_bytes().to_vec();
            bytes.push(flags);
            bytes.extend_from_slice(&counter.to_be_bytes());
            ssh_key::Signature::new(Algorithm::SkEd25519, bytes).unwrap()
        }

        fn ledger_sig(&self, msg: &[u8], flags: u8, counter: u32) -> String {
            let signed = SshSig::signed_data(LEDGER_NAMESPACE, HashAlg::Sha512, msg).unwrap();
            let sig = SshSig::new(
                self.public.public_key().key_data().clone(),
                LEDGER_NAMESPACE,
                HashAlg::Sha512,
                self.sign(&signed, flags, counter),
            )
            .unwrap();
            encode_signature(&sig).unwrap()
        }
    }

    #[test]
    fn sk_keys_are_signer_keys_with_their_type() {
        let sk = soft_sk(1, "ssh:");
        assert!(sk.public.is_hardware());
        assert_eq!(sk.public.key_type(), "sk-ssh-ed25519@openssh.com");
        let again = SignerKey::from_openssh(&sk.public.to_openssh(), "x").unwrap();
        assert_eq!(again, sk.public);
        let e = sk
            .public
            .require_plain_ed25519("k", "checkpoints")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot sign checkpoints") && e.contains("ssh-ed25519"),
            "{e}"
        );
    }

    #[test]
    fn sk_signatures_need_user_presence_and_bind_flags_counter_and_application() {
        let sk = soft_sk(2, "ssh:");
        let msg = b"an entry";
        // Touched; touched and PIN-verified.
        for flags in [0x01, 0x05] {
            let sig = sk.ledger_sig(msg, flags, 41);
            assert_eq!(sk.public.verify(msg, &sig), Ok(()));
            let d = sk.public.sk_details(&sig).unwrap();
            assert_eq!((d.flags, d.counter), (flags, 41));
            assert!(d.user_present());
            assert_eq!(d.user_verified(), flags & 0x04 != 0);
        }
        // Not touched: its own error, with flags and counter.
        for flags in [0x00, 0x04] {
            let e = sk
                .public
                .verify(msg, &sk.ledger_sig(msg, flags, 7))
                .unwrap_err();
            assert_eq!(e, SignatureError::NoUserPresence { flags, counter: 7 });
            assert_eq!(e.code(), "sk-no-user-presence");
        }
        // The flags, the counter and the message are signed.
        let good = sk.ledger_sig(msg, 0x01, 5);
        assert!(sk.public.verify(b"another entry", &good).is_err());
        let blob = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(&good)
                .unwrap()
        };
        for (at, value) in [(blob.len() - 5, 0x05u8), (blob.len() - 1, 6)] {
            let mut bad = blob.clone();
            bad[at] = value;
            let bad = {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(bad)
            };
            assert_eq!(
                sk.public.verify(msg, &bad),
                Err(SignatureError::DoesNotVerify)
            );
        }
        // Another application: another key, whatever the Ed25519 point.
        let other_app = soft_sk(2, "ssh:custodian");
        assert_ne!(other_app.public.fingerprint(), sk.public.fingerprint());
        assert_eq!(
            other_app.public.verify(msg, &good),
            Err(SignatureError::OtherKey)
        );
        // Batches give the same verdicts.
        let ok = sk.public.prepare(msg, &good).unwrap();
        assert_eq!(verify_batch(&[&ok, &ok]), vec![Ok(()), Ok(())]);
    }

    #[test]
    fn a_signature_of_another_type_than_the_key_is_refused() {
        // An sk key's token signature presented under a plain Ed25519 key
        // of the same point, and the other way round, as OpenSSH refuses.
        let sk = soft_sk(3, "ssh:");
        let plain = SignerKey::new(
            PublicKey::from(ssh_key::public::KeyData::Ed25519(
                ssh_key::public::Ed25519PublicKey(sk.key.verifying_key().to_bytes()),
            )),
            "plain",
        )
        .unwrap();
        let token_sig = sk.sign(b"data", 0x01, 1);
        assert!(matches!(
            plain.prepare_raw(b"data", &token_sig),
            Err(SignatureError::SignatureType { .. })
        ));
        let raw = {
            use ed25519_dalek::Signer;
            ssh_key::Signature::new(Algorithm::Ed25519, sk.key.sign(b"data").to_bytes().to_vec())
                .unwrap()
        };
        assert!(matches!(
            sk.public.prepare_raw(b"data", &raw),
            Err(SignatureError::SignatureType { .. })
        ));
    }

    #[test]
    fn openssh_regression_vector_verifies() {
        // OpenSSH's regress/unittests/sshsig/testdata (fixtures/sk/openssh):
        // made by ssh-keygen -Y sign with OpenSSH's software token.
        let public = include_str!("../../../fixtures/sk/openssh/ed25519_sk.pub");
        let pem = include_str!("../../../fixtures/sk/openssh/ed25519_sk.sig");
        let data = include_bytes!("../../../fixtures/sk/openssh/signed-data");
        let key = SignerKey::from_openssh(public, "ed25519_sk.pub").unwrap();
        assert_eq!(key.verify_detached("unittest", data, pem), Ok(()));
        assert!(key.verify_detached("unittest", b"other", pem).is_err());
        assert!(matches!(
            key.verify_detached("git", data, pem),
            Err(SignatureError::Namespace { .. })
        ));
    }

    #[test]
    fn non_canonical_base64_is_refused() {
        assert_eq!(
            decode_signature("not base64!").unwrap_err(),
            SignatureError::NotBase64
        );
    }
}
