//! Ed25519 batch verification for ledgers, where nearly every signature in
//! a batch is made by the same key.
//!
//! `ed25519_dalek::verify_batch` checks, for random 128-bit `z[i]`,
//!
//! ```text
//! (−∑ z[i]·s[i]) B + ∑ z[i]·R[i] + ∑ (z[i]·H(R[i]‖A[i]‖M[i])) A[i] = 0
//! ```
//!
//! as one multiscalar multiplication of 2n+1 points. When several `A[i]`
//! are the same key, their terms are one: `∑ c[i]·A = (∑ c[i])·A`, the same
//! point, so the multiplication has n+1+k points for k distinct keys (one
//! signer: about half the work). Everything else is exactly what
//! ed25519-dalek 2.2 does: the same transcript (merlin, "ed25519 batch
//! verification", the H(R‖A‖M) then the `s` values), the same `z[i]`, the
//! same canonical-`s` and `R`-decompression checks, the same identity test.
//! So the verdict is the one `ed25519_dalek::verify_batch` gives for the
//! same batch; the tests compare the two on valid, altered and mixed-key
//! batches.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// ed25519-dalek's `ZeroRng`: the transcript RNG is finalised without
/// outside randomness (the `z[i]` are derived from the batch itself).
struct ZeroRng;

impl rand_core::RngCore for ZeroRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, _dest: &mut [u8]) {}
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for ZeroRng {}

/// Whether the batch equation holds for `(message, signature, key)` items.
/// False also when a signature's `s` is not canonical or its `R` does not
/// decompress (as ed25519-dalek).
pub(crate) fn holds(
    items: &[(
        &[u8],
        &ed25519_dalek::Signature,
        &ed25519_dalek::VerifyingKey,
    )],
) -> bool {
    use rand_core::RngCore;
    let mut transcript = merlin::Transcript::new(b"ed25519 batch verification");
    let hrams: Vec<[u8; 64]> = items
        .iter()
        .map(|(m, sig, key)| {
            let mut h = Sha512::new();
            h.update(sig.r_bytes());
            h.update(key.as_bytes());
            h.update(m);
            h.finalize().into()
        })
        .collect();
    for hram in &hrams {
        transcript.append_message(b"hram", hram);
    }
    for (_, sig, _) in items {
        transcript.append_message(b"sig.s", sig.s_bytes());
    }
    let mut rng = transcript.build_rng().finalize(&mut ZeroRng);

    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(items.len() + 2);
    let mut points = Vec::with_capacity(items.len() + 2);
    // One coefficient per distinct key, in order of first appearance.
    let mut keys: Vec<(&[u8; 32], EdwardsPoint, Scalar)> = Vec::new();
    scalars.push(Scalar::ZERO); // −∑ z·s, filled in below
    points.push(Some(ED25519_BASEPOINT_POINT));
    for ((_, sig, key), hram) in items.iter().zip(&hrams) {
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*sig.s_bytes())) else {
            return false;
        };
        let mut buf = [0u8; 16];
        rng.fill_bytes(&mut buf);
        let z = Scalar::from(u128::from_le_bytes(buf));
        b_coefficient += z * s;
        scalars.push(z);
        points.push(CompressedEdwardsY(*sig.r_bytes()).decompress());
        let c = Scalar::from_bytes_mod_order_wide(hram) * z;
        match keys.iter_mut().find(|(k, _, _)| *k == key.as_bytes()) {
            Some((_, _, sum)) => *sum += c,
            None => keys.push((key.as_bytes(), key.to_edwards(), c)),
        }
    }
    scalars[0] = -b_coefficient;
    for (_, point, sum) in keys {
        scalars.push(sum);
        points.push(Some(point));
    }
    EdwardsPoint::optional_multiscalar_mul(scalars, points).is_some_and(|p| p.is_identity())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// Ours and ed25519-dalek's verdicts on the same batch.
    fn both(
        items: &[(
            Vec<u8>,
            ed25519_dalek::Signature,
            ed25519_dalek::VerifyingKey,
        )],
    ) -> (bool, bool) {
        let refs: Vec<(
            &[u8],
            &ed25519_dalek::Signature,
            &ed25519_dalek::VerifyingKey,
        )> = items.iter().map(|(m, s, k)| (m.as_slice(), s, k)).collect();
        let messages: Vec<&[u8]> = items.iter().map(|(m, _, _)| m.as_slice()).collect();
        let sigs: Vec<_> = items.iter().map(|(_, s, _)| *s).collect();
        let keys: Vec<_> = items.iter().map(|(_, _, k)| *k).collect();
        (
            holds(&refs),
            ed25519_dalek::verify_batch(&messages, &sigs, &keys).is_ok(),
        )
    }

    fn batch(
        n: usize,
        signers: &[SigningKey],
    ) -> Vec<(
        Vec<u8>,
        ed25519_dalek::Signature,
        ed25519_dalek::VerifyingKey,
    )> {
        (0..n)
            .map(|i| {
                let k = &signers[i % signers.len()];
                let m = format!("entry {i} of the ledger").into_bytes();
                (m.clone(), k.sign(&m), k.verifying_key())
            })
            .collect()
    }

    #[test]
    fn agrees_with_ed25519_dalek_on_valid_and_altered_batches() {
        for signers in [
            vec![key(1)],
            vec![key(1), key(2)],
            vec![key(1), key(2), key(3)],
        ] {
            for n in [1, 2, 7, 64, 130] {
                let good = batch(n, &signers);
                assert_eq!(
                    both(&good),
                    (true, true),
                    "{n} valid, {} key(s)",
                    signers.len()
                );
                for at in [0, n / 2, n - 1] {
                    // A message changed.
                    let mut bad = good.clone();
                    bad[at].0.push(b'!');
                    assert_eq!(both(&bad), (false, false), "message {at} of {n}");
                    // Another key named for one signature.
                    let mut bad = good.clone();
                    bad[at].2 = key(9).verifying_key();
                    assert_eq!(both(&bad), (false, false), "key {at} of {n}");
                    // A bit of R, then of s, flipped.
                    for byte in [0, 33] {
                        let mut bad = good.clone();
                        let mut b = bad[at].1.to_bytes();
                        b[byte] ^= 1;
                        bad[at].1 = ed25519_dalek::Signature::from_bytes(&b);
                        assert_eq!(both(&bad), (false, false), "byte {byte} of {at}/{n}");
                    }
                    // s not canonical (s + l).
                    let mut bad = good.clone();
                    let mut b = bad[at].1.to_bytes();
                    b[63] |= 0xf0;
                    bad[at].1 = ed25519_dalek::Signature::from_bytes(&b);
                    assert_eq!(both(&bad), (false, false), "non-canonical s {at}/{n}");
                }
            }
        }
        // Two signatures swapped between messages of one key.
        let mut swapped = batch(8, &[key(4)]);
        let s0 = swapped[0].1;
        swapped[0].1 = swapped[1].1;
        swapped[1].1 = s0;
        assert_eq!(both(&swapped), (false, false));
    }
}
