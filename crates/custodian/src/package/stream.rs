//! Streaming a package's large members: a reader that hashes and counts
//! what passes through it, so a manifest of many GiB is checked, copied or
//! written with a fixed buffer instead of being held in memory
//! (docs/engineering/performance.md, "Packages").

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Buffer of one read when a member is streamed: large enough that a
/// multi-GiB manifest costs few system calls, small against the 64 MB
/// a verifier may use.
pub(super) const CHUNK: usize = 256 << 10;

/// Wraps a reader: the SHA-256 and length of every byte read through it,
/// and the first error its source gave (so a caller can tell a damaged
/// source from a problem in what was read).
pub(super) struct Tally<R> {
    inner: R,
    sha: Sha256,
    bytes: u64,
    error: Option<io::Error>,
}

impl<R: Read> Tally<R> {
    pub(super) fn new(inner: R) -> Self {
        Tally {
            inner,
            sha: Sha256::new(),
            bytes: 0,
            error: None,
        }
    }

    /// Reads what is left, to the end, through the tally.
    pub(super) fn drain(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; CHUNK];
        while self.read(&mut buf)? > 0 {}
        Ok(())
    }

    /// The first error the source gave, if any (taken).
    pub(super) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Lowercase hex SHA-256 and length of everything read.
    pub(super) fn finish(self) -> (String, u64) {
        (hex::encode(self.sha.finalize()), self.bytes)
    }
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.sha.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                if self.error.is_none() && e.kind() != io::ErrorKind::Interrupted {
                    self.error = Some(io::Error::new(e.kind(), e.to_string()));
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_hashes_and_counts_what_passes() {
        let data = vec![7u8; CHUNK * 2 + 3];
        let mut t = Tally::new(std::io::Cursor::new(&data));
        let mut first = [0u8; 10];
        t.read_exact(&mut first).unwrap();
        t.drain().unwrap();
        assert!(t.take_error().is_none());
        let (sha, n) = t.finish();
        assert_eq!(n, data.len() as u64);
        assert_eq!(sha, hex::encode(Sha256::digest(&data)));
    }
}
