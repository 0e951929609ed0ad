//! RFC 9162 (Certificate Transparency v2) Merkle tree over a ledger's
//! entry hashes, with inclusion and consistency proofs.
//!
//! Leaf *i* of a case's tree is the 32 raw bytes of the entry hash of ledger
//! line *i* (docs/spec/ledger.md §5). Hashing follows RFC 9162 §2.1.1:
//! a leaf hashes as SHA-256(0x00 ‖ leaf), an interior node as
//! SHA-256(0x01 ‖ left ‖ right), the empty tree as SHA-256(""), and a tree of
//! n > 1 leaves splits at k, the largest power of two smaller than n.
//! The normative description, with worked examples, is docs/spec/transparency.md.
//!
//! The tree functions take *leaf hashes* (already prefixed with 0x00 and
//! hashed, see [`leaf_hash`]); [`line_leaf_hashes`] computes them for the
//! lines of a ledger. Proof verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 literally and
//! never panic on hostile input.

use sha2::{Digest, Sha256};

pub mod proof;

pub use proof::{ConsistencyProof, InclusionProof, Proof, ProofError, MAX_PROOF_BYTES};

/// A SHA-256 output: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Errors from building or checking a proof. Each says which sizes, index or
/// hashes were involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size} is larger than the {available} leaves available")]
    SizeOutOfRange { size: u64, available: u64 },
    #[error("a consistency proof needs old size {old} <= new size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes for these sizes ({found} hashes)")]
    WrongProofLength { found: usize },
    #[error(
        "the proof does not lead to the {which} root: expected {expected}, computed {computed}"
    )]
    RootMismatch {
        which: &'static str,
        expected: String,
        computed: String,
    },
    #[error(
        "trees of equal size {size} must have equal roots and an empty proof (roots {old} and {new})"
    )]
    EqualSizeMismatch { size: u64, old: String, new: String },
}

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 leaf hash: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    h.finalize().into()
}

/// RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The leaf hashes of a ledger's lines (each without its newline): leaf *i*
/// is the raw SHA-256 of whole line *i* (its entry hash). A torn tail is
/// not a line and not a leaf.
pub fn line_leaf_hashes<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Vec<Hash> {
    lines
        .into_iter()
        .map(|line| leaf_hash(&Sha256::digest(line)))
        .collect()
}

/// The root of a tree that grows one leaf at a time, in O(log n) memory:
/// the roots of its complete left subtrees (the "compact range"). A reader
/// streaming a ledger of any size can thus compute MTH at any size it
/// passes without holding every leaf. Gives the same roots as [`root`].
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    /// (size, root) of each complete subtree, largest first; sizes are
    /// decreasing powers of two, the binary digits of `len`.
    subtrees: Vec<(u64, Hash)>,
    len: u64,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Leaves pushed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(size, left)) = self.subtrees.last() {
            if size != node.0 {
                break;
            }
            self.subtrees.pop();
            node = (size * 2, node_hash(&left, &node.1));
        }
        self.subtrees.push(node);
        self.len += 1;
    }

    /// MTH of the leaves pushed so far: the subtrees folded from the right
    /// (RFC 9162 splits at the largest power of two, which is the leftmost
    /// subtree, recursively).
    pub fn root(&self) -> Hash {
        let mut it = self.subtrees.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(&(_, last)) => it.fold(last, |right, (_, left)| node_hash(left, &right)),
        }
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH(D\[n\]) over leaf hashes (RFC 9162 §2.1.1).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The root of the first `size` leaves.
pub fn root_at(leaves: &[Hash], size: u64) -> Result<Hash, MerkleError> {
    Ok(root(prefix(leaves, size)?))
}

fn prefix(leaves: &[Hash], size: u64) -> Result<&[Hash], MerkleError> {
    let available = leaves.len() as u64;
    if size > available {
        return Err(MerkleError::SizeOutOfRange { size, available });
    }
    Ok(&leaves[..size as usize])
}

/// PATH(index, D\[size\]): the inclusion proof of leaf `index` in the tree of
/// the first `size` leaves (RFC 9162 §2.1.3.1), from the leaf upwards.
pub fn inclusion_proof(leaves: &[Hash], index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
    let tree = prefix(leaves, size)?;
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(index as usize, tree, &mut proof);
    Ok(proof)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root(&d[..k]));
    }
}

/// PROOF(old, D\[new\]): the consistency proof between the trees of the first
/// `old` and the first `new` leaves (RFC 9162 §2.1.4.1). Empty when
/// `old` is 0 or equal to `new`.
pub fn consistency_proof(leaves: &[Hash], old: u64, new: u64) -> Result<Vec<Hash>, MerkleError> {
    let tree = prefix(leaves, new)?;
    if old > new {
        return Err(MerkleError::SizesOutOfOrder { old, new });
    }
    let mut proof = Vec::new();
    if old > 0 && old < new {
        subproof(old as usize, tree, true, &mut proof);
    }
    Ok(proof)
}

fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !complete {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], complete, out);
        out.push(root(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root(&d[..k]));
    }
}

/// Lowercase hex of a hash, for messages.
pub fn hex32(h: &Hash) -> String {
    hex::encode(h)
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` (a leaf
/// hash) is leaf `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(MerkleError::WrongProofLength { found: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::WrongProofLength { found: proof.len() });
    }
    if &r != root {
        return Err(MerkleError::RootMismatch {
            which: "tree",
            expected: hex32(root),
            computed: hex32(&r),
        });
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): that the tree of `new`
/// leaves with root `new_root` extends the tree of `old` leaves with root
/// `old_root`. For `old` = 0 the proof must be empty and `old_root` the
/// empty root; for `old` = `new` the proof must be empty and the roots equal.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), MerkleError> {
    if old > new {
        return Err(MerkleError::SizesOutOfOrder { old, new });
    }
    if old == 0 {
        if !proof.is_empty() {
            return Err(MerkleError::WrongProofLength { found: proof.len() });
        }
        if old_root != &empty_root() {
            return Err(MerkleError::RootMismatch {
                which: "old (empty)",
                expected: hex32(&empty_root()),
                computed: hex32(old_root),
            });
        }
        return Ok(());
    }
    if old == new {
        if !proof.is_empty() || old_root != new_root {
            return Err(MerkleError::EqualSizeMismatch {
                size: old,
                old: hex32(old_root),
                new: hex32(new_root),
            });
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(MerkleError::WrongProofLength { found: 0 });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(MerkleError::WrongProofLength { found: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::WrongProofLength { found: proof.len() });
    }
    if &fr != old_root {
        return Err(MerkleError::RootMismatch {
            which: "old",
            expected: hex32(old_root),
            computed: hex32(&fr),
        });
    }
    if &sr != new_root {
        return Err(MerkleError::RootMismatch {
            which: "new",
            expected: hex32(new_root),
            computed: hex32(&sr),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn frontier_roots_equal_the_recursive_roots_at_every_size() {
        let leaves: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            f.push(*leaf);
            assert_eq!(f.len(), i as u64 + 1);
            assert_eq!(f.root(), root(&leaves[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn split_is_largest_power_of_two_below() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (64, 32),
            (65, 64),
        ] {
            assert_eq!(split(n), k, "n = {n}");
        }
    }

    #[test]
    fn bad_sizes_are_errors_not_panics() {
        let l = leaves(4);
        assert!(inclusion_proof(&l, 4, 4).is_err());
        assert!(inclusion_proof(&l, 0, 5).is_err());
        assert!(consistency_proof(&l, 3, 2).is_err());
        assert!(consistency_proof(&l, 1, 5).is_err());
        let r = root(&l);
        assert!(verify_inclusion(&l[0], 0, 0, &[], &r).is_err());
        assert!(verify_inclusion(&l[0], u64::MAX, u64::MAX, &[], &r).is_err());
        assert!(verify_consistency(5, 4, &[], &r, &r).is_err());
        assert!(verify_consistency(u64::MAX, u64::MAX, &[r], &r, &r).is_err());
        assert!(verify_consistency(1, u64::MAX, &[r; 70], &r, &r).is_err());
        assert!(verify_consistency(0, 4, &[], &empty_root(), &r).is_ok());
        assert!(verify_consistency(0, 4, &[r], &empty_root(), &r).is_err());
    }

    fn unhex(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    fn unhex_all(v: &serde_json::Value) -> Vec<Hash> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect()
    }

    /// fixtures/merkle/vectors.json, computed by an independent Python
    /// implementation (fixtures/merkle/make_vectors.py): every root,
    /// inclusion proof and consistency proof over the CT reference leaves.
    #[test]
    fn matches_the_committed_vectors() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../../fixtures/merkle/vectors.json")).unwrap();
        let l: Vec<Hash> = v["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| leaf_hash(&hex::decode(x.as_str().unwrap()).unwrap()))
            .collect();
        assert_eq!(l, unhex_all(&v["leaf_hashes"]));
        for r in v["roots"].as_array().unwrap() {
            let n = r["size"].as_u64().unwrap();
            assert_eq!(
                root_at(&l, n).unwrap(),
                unhex(r["root"].as_str().unwrap()),
                "size {n}"
            );
        }
        let mut count = 0;
        for t in v["inclusion"].as_array().unwrap() {
            let (n, i) = (t["size"].as_u64().unwrap(), t["index"].as_u64().unwrap());
            let want = unhex_all(&t["path"]);
            assert_eq!(
                inclusion_proof(&l, i, n).unwrap(),
                want,
                "inclusion {i} in {n}"
            );
            verify_inclusion(&l[i as usize], i, n, &want, &root_at(&l, n).unwrap()).unwrap();
            count += 1;
        }
        assert_eq!(count, 36);
        count = 0;
        for t in v["consistency"].as_array().unwrap() {
            let (m, n) = (t["old"].as_u64().unwrap(), t["new"].as_u64().unwrap());
            let want = unhex_all(&t["proof"]);
            assert_eq!(
                consistency_proof(&l, m, n).unwrap(),
                want,
                "consistency {m} -> {n}"
            );
            let (a, b) = (root_at(&l, m).unwrap(), root_at(&l, n).unwrap());
            verify_consistency(m, n, &want, &a, &b).unwrap();
            count += 1;
        }
        assert_eq!(count, 45);
    }

    /// Values published with Certificate Transparency's reference tests
    /// (the same leaves), pinned here independently of the fixture file.
    #[test]
    fn certificate_transparency_reference_values() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../../fixtures/merkle/vectors.json")).unwrap();
        let l: Vec<Hash> = v["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| leaf_hash(&hex::decode(x.as_str().unwrap()).unwrap()))
            .collect();
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, r) in roots.iter().enumerate() {
            assert_eq!(hex32(&root_at(&l, n as u64).unwrap()), *r, "size {n}");
        }
        let hx = |p: Vec<Hash>| p.iter().map(hex32).collect::<Vec<_>>();
        assert_eq!(
            hx(inclusion_proof(&l, 0, 8).unwrap()),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert_eq!(
            hx(consistency_proof(&l, 1, 8).unwrap()),
            hx(inclusion_proof(&l, 0, 8).unwrap())
        );
        assert_eq!(
            hx(consistency_proof(&l, 6, 8).unwrap()),
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every inclusion proof for every index < n ≤ 64 verifies, and
        /// flipping any one bit of the proof, leaf or root breaks it.
        #[test]
        fn inclusion_proofs_verify_and_tampering_fails(
            n in 1usize..=64, pick in any::<prop::sample::Index>(), bit in 0usize..256,
        ) {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = inclusion_proof(&l, i as u64, n as u64).unwrap();
                prop_assert!(verify_inclusion(&l[i], i as u64, n as u64, &p, &r).is_ok());
                // wrong index (a wrong size can verify: the size is bound by
                // the signed checkpoint, not by the proof)
                if n > 1 {
                    let j = (i + 1) % n;
                    prop_assert!(verify_inclusion(&l[i], j as u64, n as u64, &p, &r).is_err());
                }
                let mut bad_root = r;
                bad_root[bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(&l[i], i as u64, n as u64, &p, &bad_root).is_err());
                let mut bad_leaf = l[i];
                bad_leaf[bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(&bad_leaf, i as u64, n as u64, &p, &r).is_err());
                if !p.is_empty() {
                    let mut bad = p.clone();
                    let k = pick.index(bad.len());
                    bad[k][bit / 8] ^= 1 << (bit % 8);
                    prop_assert!(verify_inclusion(&l[i], i as u64, n as u64, &bad, &r).is_err());
                    prop_assert!(verify_inclusion(&l[i], i as u64, n as u64, &p[1..], &r).is_err());
                }
                let mut longer = p.clone();
                longer.push(r);
                prop_assert!(verify_inclusion(&l[i], i as u64, n as u64, &longer, &r).is_err());
            }
        }

        /// Every consistency proof m ≤ n ≤ 64 verifies, and flipping any one
        /// bit of the proof or either root breaks it.
        #[test]
        fn consistency_proofs_verify_and_tampering_fails(
            n in 1usize..=64, pick in any::<prop::sample::Index>(), bit in 0usize..256,
        ) {
            let l = leaves(n);
            let new_root = root(&l);
            for m in 0..=n {
                let old_root = root(&l[..m]);
                let p = consistency_proof(&l, m as u64, n as u64).unwrap();
                prop_assert!(
                    verify_consistency(m as u64, n as u64, &p, &old_root, &new_root).is_ok(),
                    "m = {}, n = {}", m, n
                );
                let flip = |h: &Hash| { let mut h = *h; h[bit / 8] ^= 1 << (bit % 8); h };
                if m > 0 {
                    prop_assert!(verify_consistency(m as u64, n as u64, &p, &flip(&old_root), &new_root).is_err());
                    prop_assert!(verify_consistency(m as u64, n as u64, &p, &old_root, &flip(&new_root)).is_err());
                }
                if !p.is_empty() {
                    let mut bad = p.clone();
                    let k = pick.index(bad.len());
                    bad[k] = flip(&bad[k]);
                    prop_assert!(verify_consistency(m as u64, n as u64, &bad, &old_root, &new_root).is_err());
                    prop_assert!(verify_consistency(m as u64, n as u64, &p[1..], &old_root, &new_root).is_err());
                    let mut longer = p.clone();
                    longer.push(new_root);
                    prop_assert!(verify_consistency(m as u64, n as u64, &longer, &old_root, &new_root).is_err());
                }
                if m > 0 && m < n {
                    // the old tree of a different size
                    prop_assert!(verify_consistency(m as u64 + 1, n as u64, &p, &old_root, &new_root).is_err()
                        || root(&l[..m + 1]) == old_root);
                }
            }
        }
    }
}
