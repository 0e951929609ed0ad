//! Digest algorithms and the per-file multi-digest state.
//!
//! The algorithm names, sets and digest maps are format types
//! (`custodian_format::manifest`); this module computes them. Every
//! requested digest is fed from the same buffers, so a file is read once
//! however many algorithms are asked for.

use sha2::Digest as _;

pub use custodian_format::manifest::{Algorithm, AlgorithmError, AlgorithmSet, Digests};

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
        Self::of(algos.as_slice())
    }

    /// Any list of algorithms, none included.
    pub(crate) fn of(algos: &[Algorithm]) -> Self {
        MultiHasher(algos.iter().map(|&a| (a, OneHasher::new(a))).collect())
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
            Err(AlgorithmError::Unknown(x)) if x == "crc32"
        ));
        assert!(matches!(
            "".parse::<AlgorithmSet>(),
            Err(AlgorithmError::Empty)
        ));
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
        }
        assert_eq!(AlgorithmSet::default().to_string(), "md5,sha1,sha256");
    }
}
