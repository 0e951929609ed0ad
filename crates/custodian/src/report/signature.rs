//! The report's detached signature, computed while the report is written.
//!
//! An SSHSIG signs the SHA-512 of the message, not the message itself
//! (PROTOCOL.sshsig), so a report written as a stream is signed from the
//! digest a [`HashingWriter`] takes of exactly the bytes written: the
//! report is never held whole to be signed. [`sign_sha512`] gives the same
//! signature file, byte for byte, as [`SigningKey::sign_detached`] of the
//! whole report (Ed25519 signatures are deterministic; a test checks it).

use std::io::{self, Write};

use sha2::{Digest, Sha512};
use ssh_key::LineEnding;

use crate::keys::{KeyError, SigningKey};

/// A writer that passes everything to `inner` and takes the SHA-512 of
/// what `inner` accepted.
pub struct HashingWriter<W> {
    inner: W,
    hash: Sha512,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: Sha512::new(),
        }
    }

    /// The SHA-512 of every byte written.
    pub fn sha512(self) -> [u8; 64] {
        self.hash.finalize().into()
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A detached OpenSSH signature file (armoured SSHSIG, namespace
/// `namespace`, hash sha512) of the message whose SHA-512 is `sha512`: what
/// `ssh-keygen -Y sign -n NAMESPACE` writes for that message.
pub fn sign_sha512(
    key: &SigningKey,
    namespace: &str,
    sha512: &[u8; 64],
) -> Result<String, KeyError> {
    let fail = |e: String| KeyError::from(custodian_format::sshsig::KeyError::Sign(e));
    if namespace.is_empty() {
        return Err(fail("empty namespace".into()));
    }
    // PROTOCOL.sshsig: "SSHSIG", then namespace, reserved, hash algorithm
    // and H(message), each as an SSH string.
    let mut signed = b"SSHSIG".to_vec();
    for field in [namespace.as_bytes(), b"", b"sha512", sha512] {
        signed.extend_from_slice(&(field.len() as u32).to_be_bytes());
        signed.extend_from_slice(field);
    }
    let sig = custodian_format::sshsig::sshsig_from_signed_data(
        key.signer(),
        key.public(),
        namespace,
        &signed,
    )?;
    sig.to_pem(LineEnding::LF).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_the_digest_taken_while_writing_equals_signing_the_whole() {
        let key = SigningKey::generate("t@example").unwrap();
        let text = "a report\n".repeat(10_000);
        let mut w = HashingWriter::new(Vec::new());
        for chunk in text.as_bytes().chunks(777) {
            w.write_all(chunk).unwrap();
        }
        let sha512 = w.sha512();
        assert_eq!(
            sign_sha512(&key, "custodian-report-v1", &sha512).unwrap(),
            key.sign_detached("custodian-report-v1", text.as_bytes())
                .unwrap()
        );
    }
}
