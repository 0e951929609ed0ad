//! Identifiers as types: a case id, an exhibit id, an entry hash and a
//! file digest are different things even when all are strings on the wire,
//! and a function that takes one should not accept another.
//!
//! Two rules keep verdicts unchanged by the typing:
//!
//! - **Reading is as written.** [`CaseId`] and [`ExhibitId`] deserialise
//!   whatever string the entry holds, so a malformed identifier in a
//!   ledger is reported by the rule that names it (`bad-body`, with the
//!   entry's seq), not lost in a parse failure. Hash members that a
//!   verifier must report as findings (`prev`, `prior`) stay strings on the
//!   wire for the same reason and are compared with [`EntryHash`] values.
//! - **Writing is checked.** Values that come from a user go through
//!   [`ExhibitId::parse`] / [`CaseId::parse`], the same checks a verifier
//!   applies.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::manifest::Algorithm;

/// An identifier given by the user is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error(
        "invalid exhibit id {given:?}: use 1 to 64 letters, digits, '.', '_' or '-', \
         not starting with '.'"
    )]
    Exhibit { given: String },
    #[error("the case id is empty")]
    EmptyCase,
    #[error("{what} {given:?} is not {len} lowercase hex digits")]
    Hex {
        what: &'static str,
        given: String,
        len: usize,
    },
}

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The identifier as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a string without checking it: for a value read from
            /// a signed entry or file (the verifier's rules judge it, see
            /// the module documentation) or one only looked up in a case
            /// (an id the case does not hold is refused there).
            pub fn unchecked(s: impl Into<String>) -> Self {
                $name(s.into())
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<std::path::Path> for $name {
            fn as_ref(&self) -> &std::path::Path {
                std::path::Path::new(&self.0)
            }
        }
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        /// Debug output is the string's, so messages that list ids read
        /// the same as when they were strings.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

string_id! {
    /// A case's identifier (`case.open` `case_id`), as the agency numbers
    /// the case. Free text apart from being non-empty: agencies' numbering
    /// differs, and the id is only ever compared, never used as a path.
    CaseId
}

string_id! {
    /// An exhibit's identifier, unique in its case. It names the exhibit's
    /// manifest file (`manifests/ID.jsonl`), so it is kept to what is a
    /// safe file name everywhere.
    ExhibitId
}

impl CaseId {
    /// Checks a case id given by a user.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.trim().is_empty() {
            return Err(IdError::EmptyCase);
        }
        Ok(CaseId(s.to_string()))
    }
}

impl ExhibitId {
    /// Checks an exhibit id given by a user (or read from a signed entry,
    /// where the ledger rules apply the same check): 1 to 64 letters,
    /// digits, `.`, `_` or `-`, not starting with `.`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(ExhibitId(s.to_string()))
        } else {
            Err(IdError::Exhibit {
                given: s.to_string(),
            })
        }
    }

    /// The manifest path this exhibit's acquisition writes, relative to the
    /// case folder.
    pub fn manifest_rel_path(&self) -> String {
        format!("manifests/{}.jsonl", self.0)
    }
}

/// True when `s` is exactly `len` lowercase hex digits: the only form of a
/// digest or entry hash custodian writes or accepts.
pub fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 of an entry's line: what the next entry's `prev`, a custody
/// entry's `prior`, a checkpoint's tree and a package's chain refer to.
/// Written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryHash(pub [u8; 32]);

impl EntryHash {
    /// `prev` of entry 0: there is no previous entry.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);

    /// Parses 64 lowercase hex digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::Hex {
            what: "entry hash",
            given: s.to_string(),
            len: 64,
        };
        if !is_lower_hex(s, 64) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
        Ok(EntryHash(out))
    }

    /// The lowercase hex form, as written in entries.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", self.to_hex())
    }
}

impl From<EntryHash> for String {
    fn from(h: EntryHash) -> String {
        h.to_hex()
    }
}

/// Compares with a hash as written (a `prev` or `prior` member): equal only
/// when the text is exactly this hash's lowercase hex form.
impl PartialEq<str> for EntryHash {
    fn eq(&self, other: &str) -> bool {
        let mut text = [0u8; 64];
        hex::encode_to_slice(self.0, &mut text).expect("32 bytes are 64 hex digits");
        other.as_bytes() == text
    }
}
impl PartialEq<String> for EntryHash {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}
impl PartialEq<&str> for EntryHash {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}
impl PartialEq<EntryHash> for String {
    fn eq(&self, other: &EntryHash) -> bool {
        *other == **self
    }
}
impl PartialEq<EntryHash> for str {
    fn eq(&self, other: &EntryHash) -> bool {
        *other == *self
    }
}

impl Serialize for EntryHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for EntryHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EntryHash::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A file digest: which algorithm and the digest's bytes. Manifests and
/// hash sets write it as lowercase hex beside the algorithm's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    pub algorithm: Algorithm,
    pub bytes: Vec<u8>,
}

impl Digest {
    /// Parses a digest written as lowercase hex of the algorithm's length.
    pub fn parse(algorithm: Algorithm, hex_text: &str) -> Result<Self, IdError> {
        let len = algorithm.hex_len();
        let bad = || IdError::Hex {
            what: algorithm.name(),
            given: hex_text.to_string(),
            len,
        };
        if !is_lower_hex(hex_text, len) {
            return Err(bad());
        }
        let bytes = hex::decode(hex_text).map_err(|_| bad())?;
        Ok(Digest { algorithm, bytes })
    }

    /// The lowercase hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

impl fmt::Display for Digest {
    /// `algorithm:hex`, the form findings and reports quote.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhibit_ids_are_checked_when_given_and_kept_when_read() {
        assert!(ExhibitId::parse("EX-01.a_b").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", "é", &"x".repeat(65)] {
            assert!(ExhibitId::parse(bad).is_err(), "{bad:?}");
        }
        let read: ExhibitId = serde_json::from_str("\"../escape\"").unwrap();
        assert_eq!(read, "../escape");
        assert!(ExhibitId::parse(&read).is_err());
        assert_eq!(
            ExhibitId::parse("EX1").unwrap().manifest_rel_path(),
            "manifests/EX1.jsonl"
        );
    }

    #[test]
    fn case_ids_must_not_be_blank() {
        assert_eq!(CaseId::parse("  "), Err(IdError::EmptyCase));
        assert_eq!(CaseId::parse("2026/42 Lyon").unwrap(), "2026/42 Lyon");
    }

    #[test]
    fn entry_hashes_equal_only_their_exact_lowercase_text() {
        let h = EntryHash([0xab; 32]);
        let text = "ab".repeat(32);
        assert_eq!(h, text);
        assert_ne!(h, text.to_uppercase());
        assert_ne!(h, "ab".repeat(31));
        assert_eq!(EntryHash::parse(&text).unwrap(), h);
        assert!(EntryHash::parse(&text.to_uppercase()).is_err());
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{text}\""));
    }

    #[test]
    fn digests_have_their_algorithms_length() {
        let d = Digest::parse(Algorithm::Md5, &"0f".repeat(16)).unwrap();
        assert_eq!(d.to_string(), format!("md5:{}", "0f".repeat(16)));
        assert!(Digest::parse(Algorithm::Sha256, &"0f".repeat(16)).is_err());
        assert!(Digest::parse(Algorithm::Md5, &"0F".repeat(16)).is_err());
    }
}
