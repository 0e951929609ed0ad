//! Known-answer tests run each time a report is generated, so the report
//! itself shows that the digest and signature code of *this* executable
//! gives the published answers (what a court weighs as "a tested method with
//! a known error rate").

use serde::Serialize;

use crate::hashing::{hash_reader, Algorithm, AlgorithmSet};

/// One known-answer test and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    pub name: String,
    /// Where the vector comes from.
    pub source: String,
    pub expected: String,
    pub computed: String,
    pub passed: bool,
}

/// Digest vectors: the message "abc" (FIPS 180-4, FIPS 202, RFC 1321, and
/// the BLAKE3 reference implementation).
const DIGESTS: &[(Algorithm, &str, &str)] = &[
    (Algorithm::Md5, "RFC 1321 A.5", "900150983cd24fb0d6963f7d28e17f72"),
    (Algorithm::Sha1, "FIPS 180-4 example", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    (
        Algorithm::Sha256,
        "FIPS 180-4 example",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        Algorithm::Sha512,
        "FIPS 180-4 example",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    (
        Algorithm::Sha3_256,
        "FIPS 202 example",
        "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
    ),
    (
        Algorithm::Blake3,
        "BLAKE3 reference",
        "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    ),
];

/// RFC 8032 §7.1, test 1 (empty message).
const ED25519_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const ED25519_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const ED25519_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/// Debug builds only: `CUSTODIAN_SELFTEST_CORRUPT=NAME` alters the expected
/// value of test NAME, to prove that a failing self-test shows in reports.
fn corrupted(name: &str, expected: &str) -> String {
    #[cfg(debug_assertions)]
    if std::env::var("CUSTODIAN_SELFTEST_CORRUPT").is_ok_and(|v| v == name) {
        let mut s = expected.to_string();
        let last = if s.ends_with('0') { '1' } else { '0' };
        s.pop();
        s.push(last);
        return s;
    }
    let _ = name;
    expected.to_string()
}

/// Runs every known-answer test.
pub fn run() -> Vec<SelfTest> {
    let mut out = Vec::new();
    for (algo, source, expected) in DIGESTS {
        let name = algo.name();
        let expected = corrupted(name, expected);
        let computed = hash_reader(&b"abc"[..], &AlgorithmSet::single(*algo))
            .ok()
            .and_then(|d| d.get(*algo).map(str::to_string))
            .unwrap_or_default();
        out.push(SelfTest {
            name: format!("{name}(\"abc\")"),
            source: (*source).into(),
            passed: computed == expected,
            expected,
            computed,
        });
    }
    out.extend(ed25519());
    out
}

fn ed25519() -> Vec<SelfTest> {
    use ed25519_dalek::{Signer, Verifier};
    let secret: [u8; 32] = hex::decode(ED25519_SECRET)
        .ok()
        .and_then(|v| v.try_into().ok())
        .unwrap_or([0; 32]);
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    let expected_pub = corrupted("ed25519-public", ED25519_PUBLIC);
    let public = hex::encode(key.verifying_key().to_bytes());
    let expected_sig = corrupted("ed25519-sign", ED25519_SIGNATURE);
    let signature = key.sign(b"");
    let computed_sig = hex::encode(signature.to_bytes());
    let verifies = key.verifying_key().verify(b"", &signature).is_ok();
    let rejects = key.verifying_key().verify(b"x", &signature).is_err();
    let source = "RFC 8032 section 7.1, test 1".to_string();
    vec![
        SelfTest {
            name: "ed25519 public key from secret".into(),
            source: source.clone(),
            passed: public == expected_pub,
            expected: expected_pub,
            computed: public,
        },
        SelfTest {
            name: "ed25519 signature of the empty message".into(),
            source: source.clone(),
            passed: computed_sig == expected_sig,
            expected: expected_sig,
            computed: computed_sig,
        },
        SelfTest {
            name: "ed25519 verification (accepts the signature, rejects an altered message)".into(),
            source,
            expected: "accept, reject".into(),
            computed: format!(
                "{}, {}",
                if verifies { "accept" } else { "reject" },
                if rejects { "reject" } else { "accept" }
            ),
            passed: verifies && rejects,
        },
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_self_test_passes() {
        for t in super::run() {
            assert!(t.passed, "{t:?}");
        }
    }
}
