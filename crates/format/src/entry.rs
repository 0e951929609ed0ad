//! Ledger entries: the envelope every entry shares, its canonical bytes
//! and its hash.
//!
//! The normative description is `docs/spec/ledger.md`; this module is its
//! implementation and must be changed only together with it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::id::EntryHash;
use crate::sshsig::{EntrySigner, Fingerprint, KeyError, SignatureError, SignerKey};

/// The ledger format version this build writes. It reads every version
/// from [`OLDEST_FORMAT_VERSION`] to this one; a ledger may hold entries of
/// several versions, never a lower after a higher (docs/spec/ledger.md §2).
pub const FORMAT_VERSION: u32 = 2;

/// The oldest ledger format version this build reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// `prev` of entry 0: there is no previous entry.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which program wrote an entry. Courts ask "what tool, which version?";
/// `exe_sha256` pins the exact executable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe_sha256: Option<String>,
}

/// One ledger entry. On disk each entry is one line: the RFC 8785 canonical
/// JSON of this object, signature included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Format version, [`FORMAT_VERSION`].
    pub v: u32,
    /// Position in the ledger: 0, 1, 2, … without gaps.
    pub seq: u64,
    /// Hex SHA-256 of the previous entry's line (see [`entry_hash`]).
    pub prev: String,
    /// When the entry was recorded, in the form of [`crate::time`].
    pub time: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Fingerprint of the key that signed the entry.
    pub signer: Fingerprint,
    pub tool: Tool,
    /// Type-specific content.
    pub body: Value,
    /// Base64 SSHSIG over [`Entry::signed_bytes`]; absent only while building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

impl Entry {
    /// The bytes that are signed: the canonical JSON of the entry without
    /// its `sig` member.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.sig = None;
        canonical(&unsigned)
    }

    /// The line written to the ledger (without the newline).
    pub fn line(&self) -> Vec<u8> {
        canonical(self)
    }

    /// Signs the entry in place, setting `signer` and `sig`.
    pub fn sign<S: EntrySigner + ?Sized>(&mut self, key: &S) -> Result<(), KeyError> {
        self.signer = key.fingerprint().clone();
        self.sig = None;
        let sig = key.sign(&self.signed_bytes())?;
        self.sig = Some(sig);
        Ok(())
    }

    /// The signed bytes cut out of the entry's own canonical line: the line
    /// without its `,"sig":"…"` member. Equal to [`Entry::signed_bytes`]
    /// when `line` is the canonical form of `self` (the caller must have
    /// checked that), and much cheaper than re-serialising.
    ///
    /// The top-level `sig` member is the last `,"sig":"` in the line: members
    /// after it (`signer`, `time`, `tool`, `type`, `v`) cannot contain one,
    /// and in canonical JSON a quote inside a string is always escaped.
    pub fn signed_bytes_from_line(&self, line: &[u8]) -> Vec<u8> {
        let Some(sig) = self.sig.as_deref() else {
            return self.signed_bytes();
        };
        // The last `,"sig":"` (found by a backward scan for its comma: the
        // members after it are short), then the value and its closing quote.
        const KEY: &[u8] = b",\"sig\":\"";
        let at = (0..line.len().saturating_sub(KEY.len() - 1))
            .rev()
            .find(|&i| line[i] == b',' && line[i..].starts_with(KEY));
        let end = at.map(|at| at + KEY.len() + sig.len());
        match (at, end) {
            (Some(at), Some(end))
                if line[at + KEY.len()..].starts_with(sig.as_bytes())
                    && line.get(end) == Some(&b'"') =>
            {
                let mut out = Vec::with_capacity(line.len() - (end + 1 - at));
                out.extend_from_slice(&line[..at]);
                out.extend_from_slice(&line[end + 1..]);
                out
            }
            _ => self.signed_bytes(),
        }
    }

    /// Checks the entry's signature with `key`.
    pub fn verify_signature(&self, key: &SignerKey) -> Result<(), SignatureError> {
        let sig = self.sig.as_deref().ok_or(SignatureError::Missing)?;
        key.verify(&self.signed_bytes(), sig)
    }
}

/// RFC 8785 canonical JSON of a value.
pub fn canonical<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Our entries hold only strings, integers, booleans, arrays and objects,
    // for which serialisation cannot fail.
    serde_jcs::to_vec(value).expect("canonical JSON serialisation of a ledger value")
}

/// The largest integer a ledger line may hold: 2^53 − 1, the I-JSON range
/// (RFC 7493 §2.2) inside which every JSON implementation reads integers
/// exactly. Outside it, two verifiers could read different numbers from
/// the same bytes (one as an exact integer, another rounded to a double),
/// so such a line is not canonical whatever its spelling.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Whether `line` is the one canonical spelling of `value` (which was
/// parsed from it): RFC 8785 bytes equal, and every number an integer in
/// ±[`MAX_SAFE_INTEGER`] (version 1 has no fractions or exponents).
pub fn is_canonical_line(value: &serde_json::Value, line: &[u8]) -> bool {
    numbers_are_safe_integers(value) && canonical(value) == line
}

fn numbers_are_safe_integers(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u <= MAX_SAFE_INTEGER
            } else if let Some(i) = n.as_i64() {
                i.unsigned_abs() <= MAX_SAFE_INTEGER
            } else {
                false
            }
        }
        Value::Array(a) => a.iter().all(numbers_are_safe_integers),
        Value::Object(o) => o.values().all(numbers_are_safe_integers),
        _ => true,
    }
}

/// The hash that the next entry's `prev` holds: hex SHA-256 of the entry's
/// whole line (signature included, newline excluded), so signatures are
/// chained too.
pub fn entry_hash(line: &[u8]) -> EntryHash {
    EntryHash(Sha256::digest(line).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_outside_the_safe_range_are_never_canonical() {
        for (text, ok) in [
            ("{\"a\":9007199254740991}", true),
            ("{\"a\":-9007199254740991}", true),
            ("{\"a\":0}", true),
            ("{\"a\":9007199254740992}", false),
            ("{\"a\":-9007199254740992}", false),
            ("{\"a\":1152921504606846976}", false),
            ("{\"a\":100000000000000000000}", false),
            ("{\"a\":[1,{\"b\":18446744073709551616}]}", false),
            ("{\"a\":1.5}", false),
        ] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(is_canonical_line(&v, text.as_bytes()), ok, "{text}");
        }
    }
    use crate::sshsig::{encode_signature, EntrySigner, Fingerprint, KeyError, LEDGER_NAMESPACE};

    /// An in-memory Ed25519 key, for tests only (the format crate has no
    /// key files).
    struct TestSigner(ssh_key::PrivateKey, Fingerprint);

    impl TestSigner {
        fn new() -> TestSigner {
            let k = ssh_key::PrivateKey::random(
                &mut ssh_key::rand_core::OsRng,
                ssh_key::Algorithm::Ed25519,
            )
            .unwrap();
            let fp = Fingerprint::of(k.public_key());
            TestSigner(k, fp)
        }
    }

    impl EntrySigner for TestSigner {
        fn fingerprint(&self) -> &Fingerprint {
            &self.1
        }
        fn sign(&self, msg: &[u8]) -> Result<String, KeyError> {
            let sig = self
                .0
                .sign(LEDGER_NAMESPACE, ssh_key::HashAlg::Sha512, msg)
                .map_err(|e| KeyError::Sign(e.to_string()))?;
            encode_signature(&sig)
        }
    }

    #[test]
    fn canonical_sorts_keys_and_escapes_minimally() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":"é\n\u0001","c":[true,null]}"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            "{\"a\":\"é\\n\\u0001\",\"b\":1,\"c\":[true,null]}"
        );
    }

    #[test]
    fn signed_bytes_cut_from_the_line_equal_the_canonical_ones() {
        let key = TestSigner::new();
        let mut e = Entry {
            v: 1,
            seq: 3,
            prev: GENESIS_PREV.into(),
            time: "2026-01-01T00:00:00.000000Z".into(),
            kind: "note".into(),
            signer: key.fingerprint().clone(),
            tool: Tool {
                name: "t".into(),
                version: "1".into(),
                exe_sha256: None,
            },
            body: serde_json::json!({"text": "x", "sig": "decoy", "n": {"a": 1, "sig": "decoy2"}}),
            sig: None,
        };
        e.sign(&key).unwrap();
        assert_eq!(e.signed_bytes_from_line(&e.line()), e.signed_bytes());
        let public = crate::sshsig::SignerKey::new(key.0.public_key().clone(), "t").unwrap();
        e.verify_signature(&public).unwrap();
    }

    /// RFC 8785 §3.2.3 sorts by UTF-16 code units, not code points.
    #[test]
    fn canonical_sorts_by_utf16() {
        let v: Value = serde_json::from_str(r#"{"\ud83d\ude00":1,"\ufb33":2}"#).unwrap();
        let s = String::from_utf8(canonical(&v)).unwrap();
        assert!(
            s.find('\u{1F600}').unwrap() < s.find('\u{FB33}').unwrap(),
            "{s}"
        );
    }
}
