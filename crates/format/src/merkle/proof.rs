//! Proof files: an inclusion or consistency proof as one JSON object that
//! can be checked without the ledger (docs/spec/transparency.md §6).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{leaf_hash, verify_consistency, verify_inclusion, Hash, MerkleError};

/// The `format` member of every proof file of this version.
pub const PROOF_FORMAT: &str = "custodian-proof-v1";

/// Largest proof file a reader accepts.
pub const MAX_PROOF_BYTES: usize = 1 << 20;

/// Errors from reading a proof file or checking it.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// Not a proof at all (not JSON, no proof `format`, too large): an
    /// operational error, not a proof that fails.
    #[error("{what}: not a custodian proof: {reason}")]
    NotAProof { what: String, reason: String },
    /// A custodian proof whose members are wrong: it does not verify.
    #[error("{what}: malformed proof: {reason}")]
    Malformed { what: String, reason: String },
    #[error("{what}: the proof does not verify: {source}")]
    Invalid {
        what: String,
        #[source]
        source: MerkleError,
    },
}

/// That entry `leaf_index`, whose entry hash is `entry_hash`, is in the
/// tree of `tree_size` entries with root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash,
    pub leaf_index: u64,
    pub entry_hash: Hash,
    pub path: Vec<Hash>,
}

/// That the tree of `new_size` entries with root `new_root` extends the
/// tree of `old_size` entries with root `old_root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub origin: String,
    pub old_size: u64,
    pub old_root: Hash,
    pub new_size: u64,
    pub new_root: Hash,
    pub path: Vec<Hash>,
}

/// A proof file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    Inclusion(InclusionProof),
    Consistency(ConsistencyProof),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionWire {
    format: String,
    #[serde(rename = "type")]
    kind: String,
    origin: String,
    tree_size: u64,
    root: String,
    leaf_index: u64,
    entry_hash: String,
    path: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyWire {
    format: String,
    #[serde(rename = "type")]
    kind: String,
    origin: String,
    old_size: u64,
    old_root: String,
    new_size: u64,
    new_root: String,
    path: Vec<String>,
}

fn b64(h: &Hash) -> String {
    B64.encode(h)
}

impl Proof {
    /// The proof file: one JSON object, pretty-printed, ending in LF.
    pub fn to_json(&self) -> String {
        let text = match self {
            Proof::Inclusion(p) => serde_json::to_string_pretty(&InclusionWire {
                format: PROOF_FORMAT.into(),
                kind: "inclusion".into(),
                origin: p.origin.clone(),
                tree_size: p.tree_size,
                root: b64(&p.root),
                leaf_index: p.leaf_index,
                entry_hash: hex::encode(p.entry_hash),
                path: p.path.iter().map(b64).collect(),
            }),
            Proof::Consistency(p) => serde_json::to_string_pretty(&ConsistencyWire {
                format: PROOF_FORMAT.into(),
                kind: "consistency".into(),
                origin: p.origin.clone(),
                old_size: p.old_size,
                old_root: b64(&p.old_root),
                new_size: p.new_size,
                new_root: b64(&p.new_root),
                path: p.path.iter().map(b64).collect(),
            }),
        }
        .expect("a proof serialises");
        text + "\n"
    }

    /// Parses a proof file; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Proof, ProofError> {
        let bad = |reason: String| ProofError::Malformed {
            what: what.to_string(),
            reason,
        };
        let not_a_proof = |reason: String| ProofError::NotAProof {
            what: what.to_string(),
            reason,
        };
        if text.len() > MAX_PROOF_BYTES {
            return Err(not_a_proof("larger than 1 MiB".into()));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| not_a_proof(format!("not JSON ({e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(PROOF_FORMAT) {
            return Err(not_a_proof(format!("\"format\" is not {PROOF_FORMAT:?}")));
        }
        let hash = |name: &str, s: &str| -> Result<Hash, ProofError> {
            crate::checkpoint::decode_hash(s).map_err(|e| bad(format!("{name}: {e}")))
        };
        let path = |v: &[String]| -> Result<Vec<Hash>, ProofError> {
            v.iter()
                .enumerate()
                .map(|(i, s)| hash(&format!("path[{i}]"), s))
                .collect()
        };
        match value.get("type").and_then(|t| t.as_str()) {
            Some("inclusion") => {
                let w: InclusionWire =
                    serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
                let entry = hex::decode(&w.entry_hash)
                    .ok()
                    .filter(|_| w.entry_hash.bytes().all(|b| !b.is_ascii_uppercase()))
                    .and_then(|b| Hash::try_from(b).ok())
                    .ok_or_else(|| bad("entry_hash: not 64 lowercase hex digits".into()))?;
                Ok(Proof::Inclusion(InclusionProof {
                    origin: w.origin,
                    tree_size: w.tree_size,
                    root: hash("root", &w.root)?,
                    leaf_index: w.leaf_index,
                    entry_hash: entry,
                    path: path(&w.path)?,
                }))
            }
            Some("consistency") => {
                let w: ConsistencyWire =
                    serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
                Ok(Proof::Consistency(ConsistencyProof {
                    origin: w.origin,
                    old_size: w.old_size,
                    old_root: hash("old_root", &w.old_root)?,
                    new_size: w.new_size,
                    new_root: hash("new_root", &w.new_root)?,
                    path: path(&w.path)?,
                }))
            }
            _ => Err(bad(
                "\"type\" is neither \"inclusion\" nor \"consistency\"".into()
            )),
        }
    }

    pub fn origin(&self) -> &str {
        match self {
            Proof::Inclusion(p) => &p.origin,
            Proof::Consistency(p) => &p.origin,
        }
    }

    /// The (size, root) pairs the proof speaks about: one for an inclusion
    /// proof, old then new for a consistency proof.
    pub fn trees(&self) -> Vec<(u64, Hash)> {
        match self {
            Proof::Inclusion(p) => vec![(p.tree_size, p.root)],
            Proof::Consistency(p) => vec![(p.old_size, p.old_root), (p.new_size, p.new_root)],
        }
    }

    /// Checks the proof's hashes against the roots it states. This shows the
    /// proof is internally sound; the roots themselves are only worth what
    /// vouches for them (a signed checkpoint).
    pub fn verify(&self, what: &str) -> Result<(), ProofError> {
        let r = match self {
            Proof::Inclusion(p) => verify_inclusion(
                &leaf_hash(&p.entry_hash),
                p.leaf_index,
                p.tree_size,
                &p.path,
                &p.root,
            ),
            Proof::Consistency(p) => {
                verify_consistency(p.old_size, p.new_size, &p.path, &p.old_root, &p.new_root)
            }
        };
        r.map_err(|source| ProofError::Invalid {
            what: what.to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every proof file parses back to itself; arbitrary JSON-ish text
        /// never panics the parser.
        #[test]
        fn proofs_round_trip(size in any::<u64>(), index in any::<u64>(), h in any::<[u8; 32]>(), n in 0usize..40) {
            let p = Proof::Inclusion(InclusionProof {
                origin: "custodian.case/x".into(), tree_size: size, root: h,
                leaf_index: index, entry_hash: h, path: vec![h; n],
            });
            prop_assert_eq!(Proof::parse(&p.to_json(), "t").unwrap(), p.clone());
            let c = Proof::Consistency(ConsistencyProof {
                origin: "custodian.case/x".into(), old_size: index, old_root: h,
                new_size: size, new_root: h, path: vec![h; n],
            });
            prop_assert_eq!(Proof::parse(&c.to_json(), "t").unwrap(), c.clone());
            // verifying arbitrary numbers never panics
            let _ = p.verify("t");
            let _ = c.verify("t");
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = Proof::parse(&text, "t");
        }
    }
}
