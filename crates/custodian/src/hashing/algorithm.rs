//! Digest algorithms, sets of them, and the per-file multi-digest state.
//!
//! Every requested digest is fed from the same buffers, so a file is read
//! once however many algorithms are asked for.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

use super::error::HashError;

/// A digest algorithm custodian can compute.
///
/// The declaration order is the `Ord` order, from weakest to strongest:
/// MD5 and SHA-1 are broken for collisions and are kept only because courts
/// and older tools still ask for them; SHA-256, SHA3-256 and BLAKE3 give
/// 128-bit collision resistance (ordered by age of standardisation, so the
/// most widely accepted comes first); SHA-512 gives 256-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha3_256,
    Blake3,
    Sha512,
}

impl Algorithm {
    /// All algorithms, weakest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha3_256,
        Algorithm::Blake3,
        Algorithm::Sha512,
    ];

    /// The stable name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha3_256 => "sha3-256",
            Algorithm::Blake3 => "blake3",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the digest in lowercase hex characters.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha1 => 40,
            Algorithm::Sha256 | Algorithm::Sha3_256 | Algorithm::Blake3 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = HashError;

    /// Accepts the manifest names case-insensitively, plus the common
    /// spellings with a dash or underscore (`sha-256`, `sha3_256`), because
    /// examiners type what their other tools accept.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match norm.as_str() {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "sha3256" => Algorithm::Sha3_256,
            "blake3" => Algorithm::Blake3,
            _ => return Err(HashError::UnknownAlgorithm(s.to_string())),
        })
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A non-empty, sorted (weakest first), duplicate-free set of algorithms.
///
/// Sorted so that manifests and output columns do not depend on the order
/// the user typed them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Algorithm>", into = "Vec<Algorithm>")]
pub struct AlgorithmSet(Vec<Algorithm>);

impl AlgorithmSet {
    /// Builds a set; fails if `algos` is empty.
    pub fn new(algos: impl IntoIterator<Item = Algorithm>) -> Result<Self, HashError> {
        let mut v: Vec<Algorithm> = algos.into_iter().collect();
        v.sort();
        v.dedup();
        if v.is_empty() {
            return Err(HashError::NoAlgorithms);
        }
        Ok(AlgorithmSet(v))
    }

    /// A set of one algorithm.
    pub fn single(a: Algorithm) -> Self {
        AlgorithmSet(vec![a])
    }

    /// The algorithms, weakest first.
    pub fn as_slice(&self) -> &[Algorithm] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, a: Algorithm) -> bool {
        self.0.contains(&a)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: the set is never empty. Present for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The strongest algorithm in the set.
    pub fn strongest(&self) -> Algorithm {
        *self.0.last().expect("AlgorithmSet is never empty")
    }
}

/// The default set, md5+sha1+sha256: what most labs' SOPs and hashdeep
/// known-file lists expect.
impl Default for AlgorithmSet {
    fn default() -> Self {
        AlgorithmSet(vec![Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256])
    }
}

impl FromStr for AlgorithmSet {
    type Err = HashError;

    /// Parses a comma-separated list such as `md5,sha1,sha256`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let algos = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        AlgorithmSet::new(algos)
    }
}

impl fmt::Display for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(a.name())?;
        }
        Ok(())
    }
}

impl TryFrom<Vec<Algorithm>> for AlgorithmSet {
    type Error = HashError;
    fn try_from(v: Vec<Algorithm>) -> Result<Self, HashError> {
        AlgorithmSet::new(v)
    }
}

impl From<AlgorithmSet> for Vec<Algorithm> {
    fn from(s: AlgorithmSet) -> Self {
        s.0
    }
}

/// Digests of one file: algorithm → lowercase hex. Serialised as a JSON
/// object with keys in byte order of the names (canonical JSON order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Digests(BTreeMap<Algorithm, String>);

impl Serialize for Digests {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut v: Vec<(&str, &String)> = self.0.iter().map(|(a, h)| (a.name(), h)).collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        let mut m = s.serialize_map(Some(v.len()))?;
        for (n, h) in v {
            m.serialize_entry(n, h)?;
        }
        m.end()
    }
}

impl Digests {
    /// The lowercase hex digest for `a`, if it was computed.
    pub fn get(&self, a: Algorithm) -> Option<&str> {
        self.0.get(&a).map(String::as_str)
    }

    pub fn insert(&mut self, a: Algorithm, hex: String) {
        self.0.insert(a, hex);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (algorithm, hex) pairs, weakest first.
    pub fn iter(&self) -> impl Iterator<Item = (Algorithm, &str)> {
        self.0.iter().map(|(a, h)| (*a, h.as_str()))
    }
}

/// Running state of one algorithm.
pub(crate) enum OneHasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Sha3_256(sha3::Sha3_256),
    Blake3(Box<blake3::Hasher>),
}

impl OneHasher {
    pub(crate) fn new(a: Algorithm) -> Self {
        match a {
            Algorithm::Md5 => OneHasher::Md5(md5::Md5::new()),
            Algorithm::Sha1 => OneHasher::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => OneHasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => OneHasher::Sha512(sha2::Sha512::new()),
            Algorithm::Sha3_256 => OneHasher::Sha3_256(sha3::Sha3_256::new()),
            Algorithm::Blake3 => OneHasher::Blake3(Box::new(blake3::Hasher::new())),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            OneHasher::Md5(h) => h.update(data),
            OneHasher::Sha1(h) => h.update(data),
            OneHasher::Sha256(h) => h.update(data),
            OneHasher::Sha512(h) => h.update(data),
            OneHasher::Sha3_256(h) => h.update(data),
            OneHasher::Blake3(h) => {
                h.update(data);
            }
        }
    }

    /// Like `update`, for big chunks of a big file: BLAKE3 is a tree hash
    /// and can spread one chunk over all cores, which is how b3sum is fast.
    pub(crate) fn update_large(&mut self, data: &[u8]) {
        match self {
            OneHasher::Blake3(h) => {
                h.update_rayon(data);
            }
            other => other.update(data),
        }
    }

    pub(crate) fn finalize(self) -> String {
        match self {
            OneHasher::Md5(h) => hex::encode(h.finalize()),
            OneHasher::Sha1(h) => hex::encode(h.finalize()),
            OneHasher::Sha256(h) => hex::encode(h.finalize()),
            OneHasher::Sha512(h) => hex::encode(h.finalize()),
            OneHasher::Sha3_256(h) => hex::encode(h.finalize()),
            OneHasher::Blake3(h) => h.finalize().to_hex().to_string(),
        }
    }
}

/// All requested algorithms fed from the same buffer, one after another;
/// used for files too small to be worth a thread per algorithm.
pub(crate) struct MultiHasher(Vec<(Algorithm, OneHasher)>);

impl MultiHasher {
    pub(crate) fn new(algos: &AlgorithmSet) -> Self {
        MultiHasher(algos.iter().map(|a| (a, OneHasher::new(a))).collect())
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        for (_, h) in &mut self.0 {
            h.update(data);
        }
    }

    pub(crate) fn finalize(self) -> Digests {
        let mut d = Digests::default();
        for (a, h) in self.0 {
            d.insert(a, h.finalize());
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers for "abc" (FIPS 180-2, FIPS 202, RFC 1321, BLAKE3 spec).
    const ABC: [(Algorithm, &str); 6] = [
        (Algorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
        (Algorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            Algorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            Algorithm::Sha3_256,
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        ),
        (
            Algorithm::Blake3,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
        ),
        (
            Algorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];

    #[test]
    fn known_answers_for_abc() {
        let set = AlgorithmSet::new(Algorithm::ALL).unwrap();
        let mut m = MultiHasher::new(&set);
        m.update(b"a");
        m.update(b"bc");
        let d = m.finalize();
        for (a, want) in ABC {
            assert_eq!(d.get(a), Some(want), "{a}");
            assert_eq!(want.len(), a.hex_len(), "{a}");
            let mut one = OneHasher::new(a);
            one.update_large(b"abc");
            assert_eq!(one.finalize(), want, "{a} via update_large");
        }
    }

    #[test]
    fn parse_sorts_dedups_and_rejects() {
        let s: AlgorithmSet = "SHA256, md5,sha-256,sha3_256".parse().unwrap();
        assert_eq!(s.to_string(), "md5,sha256,sha3-256");
        assert_eq!(s.strongest(), Algorithm::Sha3_256);
        assert!(matches!(
            "md5,crc32".parse::<AlgorithmSet>(),
            Err(HashError::UnknownAlgorithm(x)) if x == "crc32"
        ));
        assert!(matches!(
            "".parse::<AlgorithmSet>(),
            Err(HashError::NoAlgorithms)
        ));
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
        }
        assert_eq!(AlgorithmSet::default().to_string(), "md5,sha1,sha256");
    }
}
