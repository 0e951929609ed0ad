//! Blinded digest lists, exchanged between two agencies that share a
//! secret key (docs/guide/cross-case.md): HMAC-SHA256(key, digest) of every
//! digest one side holds, sorted and de-duplicated, with nothing else. Each
//! side can tell which of its own files the other holds; an interceptor
//! without the key learns nothing but a count.
//!
//! A list is a header line, then one line of 64 lowercase hex digits per
//! MAC, in strictly ascending order, every line ending in LF:
//!
//! ```text
//! custodian-blinded-digests version=1 mac=hmac-sha256 digest=sha256 count=2
//! 1e18c60af672a9a88fc69f853427d3283774b9f9672a5f83833ea5a463a47ccf
//! 86eddd3ced31776e66cf451d7a04de477874370c975505603baa11fc4b200062
//! ```
//!
//! [`to_bytes`] writes one, [`ListReader`] reads one line by line (so a
//! caller streaming a large file never holds it whole), [`parse`] reads
//! one held in memory. The shared key file is hex digits and an optional
//! final newline ([`BlindingKey::from_key_file`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::manifest::Algorithm;

/// First word of a blinded file's header line.
pub const MAGIC: &str = "custodian-blinded-digests";
/// The only blinded-file version this code reads and writes.
pub const VERSION: u32 = 1;
/// The keyed function, as named in the header.
pub const MAC: &str = "hmac-sha256";
/// Shortest shared key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// Why a shared key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlindingKeyError {
    /// The key file holds something other than hex digits (and one final
    /// newline).
    #[error("a shared key file holds hexadecimal digits only (64 or more), e.g. from `custodian index keygen`")]
    NotHex,
    #[error("the shared key is {bytes} bytes; at least {MIN_KEY_BYTES} random bytes ({} hex digits) are required", MIN_KEY_BYTES * 2)]
    Short { bytes: usize },
}

/// A shared blinding key (at least [`MIN_KEY_BYTES`] bytes).
pub struct BlindingKey(Vec<u8>);

impl std::fmt::Debug for BlindingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlindingKey({} bytes)", self.0.len())
    }
}

impl BlindingKey {
    /// A key from raw bytes; refuses keys shorter than [`MIN_KEY_BYTES`].
    pub fn from_bytes(key: Vec<u8>) -> Result<BlindingKey, BlindingKeyError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(BlindingKeyError::Short { bytes: key.len() });
        }
        Ok(BlindingKey(key))
    }

    /// A key from the bytes of a key file: hexadecimal digits (upper or
    /// lower case) for at least 32 bytes, optionally followed by one
    /// newline (LF or CRLF); nothing else.
    pub fn from_key_file(text: &[u8]) -> Result<BlindingKey, BlindingKeyError> {
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let key = hex::decode(body).map_err(|_| BlindingKeyError::NotHex)?;
        BlindingKey::from_bytes(key)
    }

    /// The bytes of a key file holding `key`: lowercase hex and a newline.
    pub fn key_file(key: &[u8]) -> String {
        format!("{}\n", hex::encode(key))
    }

    /// HMAC-SHA256(key, digest bytes).
    pub fn blind(&self, digest: &[u8]) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        m.update(digest);
        m.finalize().into_bytes().into()
    }
}

/// The header line of a blinded file holding `count` MACs of `algo`
/// digests (without the newline).
pub fn header(algo: Algorithm, count: usize) -> String {
    format!(
        "{MAGIC} version={VERSION} mac={MAC} digest={} count={count}",
        algo.name()
    )
}

/// The algorithm and count of a header line (without its newline), if it
/// is exactly as [`header`] writes it.
pub fn parse_header(text: &str) -> Option<(Algorithm, usize)> {
    let mut w = text.split(' ');
    if w.next()? != MAGIC
        || w.next()? != format!("version={VERSION}")
        || w.next()? != format!("mac={MAC}")
    {
        return None;
    }
    let algo: Algorithm = w.next()?.strip_prefix("digest=")?.parse().ok()?;
    let count = w.next()?.strip_prefix("count=")?;
    if w.next().is_some() || count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The name must be the canonical one, as written by `header`.
    if !text.contains(&format!("digest={} ", algo.name())) {
        return None;
    }
    Some((algo, count.parse().ok()?))
}

/// The bytes of the list of `macs` (sorted and distinct) of `algo`
/// digests: the header, then one lowercase hex line per MAC.
pub fn to_bytes(algo: Algorithm, macs: &[[u8; 32]]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(80 + macs.len() * 65);
    bytes.extend_from_slice(header(algo, macs.len()).as_bytes());
    bytes.push(b'\n');
    for m in macs {
        bytes.extend_from_slice(hex::encode(m).as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// A blinded list, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindedList {
    /// The digest algorithm the partner blinded.
    pub algorithm: Algorithm,
    /// Sorted, distinct.
    pub macs: Vec<[u8; 32]>,
}

/// What is wrong with a blinded list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlindedProblem {
    #[error("no final newline (truncated file?)")]
    NoFinalNewline,
    #[error("not a blinded digest file: the header must read `{MAGIC} version={VERSION} mac={MAC} digest=ALGORITHM count=N`")]
    BadHeader,
    #[error("expected 64 lowercase hexadecimal digits (one HMAC-SHA256)")]
    NotMac,
    #[error("not in strictly ascending order (lines must be sorted and distinct)")]
    NotAscending,
    #[error("empty file, no header")]
    Empty,
    #[error("the header announces {announced} digests but the file holds {found}")]
    Count { announced: usize, found: usize },
}

/// Why a blinded list is refused, and the line (from 1) where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct BlindedError {
    pub line: u64,
    pub problem: BlindedProblem,
}

/// Reads a blinded list line by line: give it each line as read, with its
/// LF, then [`ListReader::finish`].
#[derive(Debug, Default)]
pub struct ListReader {
    line: u64,
    header: Option<(Algorithm, usize)>,
    macs: Vec<[u8; 32]>,
}

impl ListReader {
    pub fn new() -> ListReader {
        ListReader::default()
    }

    /// Checks the next line (`raw`, with its final LF): the first is the
    /// header, every other one MAC greater than the one before.
    pub fn push(&mut self, raw: &[u8]) -> Result<(), BlindedError> {
        self.line += 1;
        let bad = |problem| BlindedError {
            line: self.line,
            problem,
        };
        let Some(line) = raw.strip_suffix(b"\n") else {
            return Err(bad(BlindedProblem::NoFinalNewline));
        };
        if self.header.is_none() {
            let text = std::str::from_utf8(line).unwrap_or("");
            let (algo, count) = parse_header(text).ok_or_else(|| bad(BlindedProblem::BadHeader))?;
            self.header = Some((algo, count));
            self.macs.reserve(count.min(1 << 24));
            return Ok(());
        }
        let mut m = [0u8; 32];
        let lower_hex =
            line.len() == 64 && line.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !lower_hex || hex::decode_to_slice(line, &mut m).is_err() {
            return Err(bad(BlindedProblem::NotMac));
        }
        if self.macs.last().is_some_and(|last| *last >= m) {
            return Err(bad(BlindedProblem::NotAscending));
        }
        self.macs.push(m);
        Ok(())
    }

    /// The list, once every line was given: it has a header and exactly
    /// the number of MACs the header announces.
    pub fn finish(self) -> Result<BlindedList, BlindedError> {
        let Some((algorithm, count)) = self.header else {
            return Err(BlindedError {
                line: 1,
                problem: BlindedProblem::Empty,
            });
        };
        if self.macs.len() != count {
            return Err(BlindedError {
                line: self.line,
                problem: BlindedProblem::Count {
                    announced: count,
                    found: self.macs.len(),
                },
            });
        }
        Ok(BlindedList {
            algorithm,
            macs: self.macs,
        })
    }
}

/// Reads a whole blinded list held in memory.
pub fn parse(bytes: &[u8]) -> Result<BlindedList, BlindedError> {
    let mut reader = ListReader::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        reader.push(line)?;
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blinding_is_hmac_sha256_of_the_digest_bytes() {
        // The worked example of docs/guide/cross-case.md, computed with openssl.
        let key = BlindingKey::from_bytes(vec![0x0b; 32]).unwrap();
        let d = hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            .unwrap();
        // printf abc | openssl dgst -sha256 -binary |
        //   openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b…0b (32 bytes)
        assert_eq!(
            hex::encode(key.blind(&d)),
            "1e18c60af672a9a88fc69f853427d3283774b9f9672a5f83833ea5a463a47ccf"
        );
        assert_eq!(
            BlindingKey::from_bytes(vec![1; 31]).unwrap_err(),
            BlindingKeyError::Short { bytes: 31 }
        );
    }

    /// The worked example of docs/guide/cross-case.md, byte for byte:
    /// `abc` and the empty file, blinded with 32 bytes of 0x0b.
    #[test]
    fn the_documented_list_is_what_is_written() {
        use sha2::Digest;
        let key =
            BlindingKey::from_key_file(BlindingKey::key_file(&[0x0b; 32]).as_bytes()).unwrap();
        let mut macs: Vec<[u8; 32]> = [&b"abc"[..], b""]
            .iter()
            .map(|f| key.blind(&Sha256::digest(f)))
            .collect();
        macs.sort_unstable();
        assert_eq!(
            String::from_utf8(to_bytes(Algorithm::Sha256, &macs)).unwrap(),
            "custodian-blinded-digests version=1 mac=hmac-sha256 digest=sha256 count=2\n\
             1e18c60af672a9a88fc69f853427d3283774b9f9672a5f83833ea5a463a47ccf\n\
             86eddd3ced31776e66cf451d7a04de477874370c975505603baa11fc4b200062\n"
        );
    }

    #[test]
    fn key_files_are_hex_and_one_newline() {
        let text = BlindingKey::key_file(&[0x0b; 32]);
        assert_eq!(text, format!("{}\n", "0b".repeat(32)));
        let key = BlindingKey::from_key_file(text.as_bytes()).unwrap();
        assert_eq!(key.0, vec![0x0b; 32]);
        let crlf = format!("{}\r\n", "0B".repeat(32));
        assert!(BlindingKey::from_key_file(crlf.as_bytes()).is_ok());
        for bad in ["", "0b\n\n", "zz"] {
            assert!(
                BlindingKey::from_key_file(bad.as_bytes()).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            BlindingKey::from_key_file(b"0b0b\n").unwrap_err(),
            BlindingKeyError::Short { bytes: 2 }
        );
    }

    #[test]
    fn headers_parse_strictly() {
        let h = header(Algorithm::Sha256, 3);
        assert_eq!(parse_header(&h), Some((Algorithm::Sha256, 3)));
        assert_eq!(parse_header(&format!("{h} extra")), None);
        assert_eq!(parse_header(&h.replace("version=1", "version=2")), None);
        assert_eq!(parse_header(&h.replace("sha256 ", "SHA-256 ")), None);
        assert_eq!(parse_header(&h.replace("count=3", "count=-3")), None);
    }

    /// What is written reads back; each defect is named with its line.
    #[test]
    fn lists_round_trip_and_defects_name_their_line() {
        let (lo, hi) = ([0x11; 32], [0xee; 32]);
        let bytes = to_bytes(Algorithm::Sha256, &[lo, hi]);
        let list = parse(&bytes).unwrap();
        assert_eq!(list.algorithm, Algorithm::Sha256);
        assert_eq!(list.macs, [lo, hi]);
        let err = |b: &[u8]| parse(b).unwrap_err();
        let swapped = to_bytes(Algorithm::Sha256, &[hi, lo]);
        assert_eq!(
            err(&swapped),
            BlindedError {
                line: 3,
                problem: BlindedProblem::NotAscending
            }
        );
        assert_eq!(err(&bytes[..bytes.len() - 1]).line, 3);
        assert_eq!(err(b"").problem, BlindedProblem::Empty);
        let mut short = to_bytes(Algorithm::Sha256, &[lo, hi]);
        short.truncate(short.len() - 65);
        assert_eq!(
            err(&short).to_string(),
            "line 2: the header announces 2 digests but the file holds 1"
        );
    }
}
