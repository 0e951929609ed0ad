//! The RFC 3161 TimeStampReq custodian writes over a checkpoint, and where
//! a case keeps it (docs/guide/timestamps.md §2).

use std::fs;
use std::path::Path;

use const_oid::db::rfc5912;
use der::asn1::{Int, OctetString};
use der::{Any, Decode, Encode};
use sha2::{Digest, Sha256};
use x509_tsp::{MessageImprint, TimeStampReq, TspVersion};

use super::{RequestError, TimestampError, TIMESTAMPS_DIR};
use crate::checkpoint::Checkpoint;

/// What a timestamp covers: SHA-256 of the checkpoint's note body (the
/// three lines origin, size, root, each with its LF).
pub fn imprint_of(checkpoint: &Checkpoint) -> [u8; 32] {
    Sha256::digest(checkpoint.body().as_bytes()).into()
}

/// A nonce of 8 bytes whose first byte is 0x40..=0x7F: a positive INTEGER
/// always encoded in exactly 8 bytes (62 random bits).
pub fn random_nonce() -> Result<[u8; 8], TimestampError> {
    let mut n = [0u8; 8];
    getrandom::getrandom(&mut n).map_err(|source| TimestampError::NoRandomness { source })?;
    n[0] = (n[0] & 0x3F) | 0x40;
    Ok(n)
}

/// A time-stamp request over a checkpoint, as custodian writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub imprint: [u8; 32],
    pub nonce: [u8; 8],
}

impl Request {
    /// DER of the TimeStampReq: version 1, SHA-256 imprint (parameters
    /// NULL), no policy, the nonce, certReq TRUE, no extensions.
    pub fn to_der(&self) -> Vec<u8> {
        let req = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: spki::AlgorithmIdentifier {
                    oid: rfc5912::ID_SHA_256,
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new(self.imprint.to_vec()).expect("32 bytes"),
            },
            req_policy: None,
            nonce: Some(Int::new(&self.nonce).expect("8-byte positive integer")),
            cert_req: true,
            extensions: None,
        };
        req.to_der().expect("a TimeStampReq encodes")
    }

    /// Parses a request as custodian writes it (SHA-256 imprint, a nonce);
    /// any other request is refused. `what` names it in the error.
    pub fn from_der(bytes: &[u8], what: &str) -> Result<Request, TimestampError> {
        Request::parse(bytes).map_err(|source| TimestampError::Request {
            what: what.to_string(),
            source,
        })
    }

    fn parse(bytes: &[u8]) -> Result<Request, RequestError> {
        let req = TimeStampReq::from_der(bytes).map_err(RequestError::NotDer)?;
        let mi = &req.message_imprint;
        if mi.hash_algorithm.oid != rfc5912::ID_SHA_256 {
            return Err(RequestError::ImprintAlgorithm {
                found: mi.hash_algorithm.oid,
            });
        }
        let hashed = mi.hashed_message.as_bytes();
        let imprint: [u8; 32] = hashed.try_into().map_err(|_| RequestError::ImprintLength {
            found: hashed.len(),
        })?;
        let nonce: [u8; 8] = req
            .nonce
            .as_ref()
            .map(|n| n.as_bytes())
            .and_then(|b| b.try_into().ok())
            .ok_or(RequestError::NoNonce)?;
        Ok(Request { imprint, nonce })
    }

    /// The file name of this request in `timestamps/`: `SIZE-NONCE.tsq`.
    pub fn file_stem(&self, size: u64) -> String {
        format!("{size}-{}", hex::encode(self.nonce))
    }
}

/// Path of a request (`ext` = `tsq`) or reply (`tsr`) relative to the case.
pub fn rel_path(stem: &str, ext: &str) -> String {
    format!("{TIMESTAMPS_DIR}/{stem}.{ext}")
}

/// Finds the request in `case_dir/timestamps/` with this nonce:
/// `SIZE-NONCE.tsq`. Returns (size, relative path).
pub fn find_request(case_dir: &Path, nonce: &[u8]) -> Option<(u64, String)> {
    let suffix = format!("-{}.tsq", hex::encode(nonce));
    let dir = case_dir.join(TIMESTAMPS_DIR);
    for e in fs::read_dir(&dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(size) = name.strip_suffix(&suffix) {
            if let Ok(size) = size.parse::<u64>() {
                return Some((size, rel_path(&name[..name.len() - 4], "tsq")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/guide/timestamps.md §2: the request over
    /// fixtures/merkle/checkpoint-6.txt with nonce 4142434445464748.
    #[test]
    fn request_of_the_fixture_checkpoint_is_the_documented_der() {
        let text = std::fs::read_to_string(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/fixtures/merkle/checkpoint-6.txt"
        ))
        .unwrap();
        let cp = crate::checkpoint::SignedCheckpoint::parse(&text, "checkpoint-6.txt")
            .unwrap()
            .checkpoint;
        let imprint = imprint_of(&cp);
        assert_eq!(
            hex::encode(imprint),
            "129580eab7bd704296522e00251293cd3ff92a2feb3bab46fb1b44f789718696"
        );
        let req = Request {
            imprint,
            nonce: *b"ABCDEFGH",
        };
        let der = req.to_der();
        assert_eq!(
            hex::encode(&der),
            "30430201013031300d060960864801650304020105000420\
             129580eab7bd704296522e00251293cd3ff92a2feb3bab46fb1b44f789718696\
             020841424344454647480101ff"
        );
        assert_eq!(Request::from_der(&der, "t").unwrap(), req);
        assert_eq!(req.file_stem(6), "6-4142434445464748");
    }

    /// A request that is not custodian's is refused, naming the file and
    /// what is wrong with it.
    #[test]
    fn other_requests_are_refused_by_name() {
        let err = Request::from_der(b"junk", "x.tsq").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.tsq: not a DER TimeStampReq ("),
            "{err}"
        );
        let other = |oid, hash: &[u8], nonce: Option<&[u8]>| {
            TimeStampReq {
                version: TspVersion::V1,
                message_imprint: MessageImprint {
                    hash_algorithm: spki::AlgorithmIdentifier {
                        oid,
                        parameters: None,
                    },
                    hashed_message: OctetString::new(hash.to_vec()).unwrap(),
                },
                req_policy: None,
                nonce: nonce.map(|n| Int::new(n).unwrap()),
                cert_req: true,
                extensions: None,
            }
            .to_der()
            .unwrap()
        };
        let sha1 = other(rfc5912::ID_SHA_1, &[1; 20], Some(b"ABCDEFGH"));
        let err = Request::from_der(&sha1, "y.tsq").unwrap_err();
        assert!(
            matches!(
                &err,
                TimestampError::Request {
                    source: RequestError::ImprintAlgorithm { found },
                    ..
                } if *found == rfc5912::ID_SHA_1
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "y.tsq: imprint algorithm 1.3.14.3.2.26 is not SHA-256"
        );
        let short = other(rfc5912::ID_SHA_256, &[1; 20], Some(b"ABCDEFGH"));
        assert_eq!(
            Request::from_der(&short, "z.tsq").unwrap_err().to_string(),
            "z.tsq: the imprint is not 32 bytes"
        );
        let no_nonce = other(rfc5912::ID_SHA_256, &[1; 32], None);
        assert_eq!(
            Request::from_der(&no_nonce, "n.tsq")
                .unwrap_err()
                .to_string(),
            "n.tsq: the request has no 8-byte nonce"
        );
    }

    #[test]
    fn nonces_are_positive_8_byte_integers() {
        for _ in 0..64 {
            let n = random_nonce().unwrap();
            assert!((0x40..=0x7f).contains(&n[0]));
        }
    }
}
