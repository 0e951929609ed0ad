//! RFC 3161 trusted timestamps of signed checkpoints, made offline.
//!
//! A checkpoint (docs/spec/transparency.md §3) says "the first SIZE entries of
//! case ORIGIN have Merkle root ROOT". A time-stamping authority (TSA)
//! countersigns its SHA-256 with a time: a third party then vouches that
//! the ledger's first SIZE entries existed, as they are, no later than that
//! time. custodian never talks to a TSA: [`Request`] writes a
//! `TimeStampReq` to be carried to one, and [`check_response`] checks the
//! reply the examiner brings back, at four levels reported separately
//! ([`Levels`]). The format and the checks are specified in
//! docs/guide/timestamps.md.
//!
//! The module is split by what each part reads: `request` the
//! TimeStampReq, `token` the reply and its TSTInfo (levels 1 and 2),
//! `chain` the signature and certificates (levels 3 and 4), `check` a
//! case's attached tokens against its ledger, `attach` recording a reply.
//! Their errors are [`TimestampError`] (files) and [`TokenError`] (what a
//! level found wrong); everything public is re-exported here.

use std::fs;
use std::path::Path;

use const_oid::ObjectIdentifier;
use serde::{Deserialize, Serialize};

pub use custodian_format::timestamp::TimestampAttach;

mod attach;
mod chain;
mod check;
mod error;
mod request;
mod token;

pub use attach::{
    check_reply, plan_record, AttachError, AttachRefusal, PendingAttach, Plan, ReplyCheck,
};
pub use chain::TrustAnchors;
pub use check::{check_case, code, unverified_findings, TokenCheck};
pub use error::{RequestError, TimestampError, TokenError};
pub use request::{find_request, imprint_of, random_nonce, rel_path, Request};
pub use token::{reply_nonce, TokenInfo};

/// Folder of a case holding timestamp requests and replies.
pub const TIMESTAMPS_DIR: &str = "timestamps";

/// Upper bound on a request, reply or CA file read, against hostile input.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Reads a file of at most [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, TimestampError> {
    let io = |source| TimestampError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(TimestampError::TooLarge {
            path: path.to_path_buf(),
            len,
        });
    }
    // Replies are named on the command line too: links followed, but only
    // a regular file is read (a FIFO would block, a device never end).
    crate::fsutil::read_regular(path, true).map_err(io)
}

/// The outcome of one verification level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "detail", rename_all = "kebab-case")]
pub enum Level {
    Pass(String),
    Fail(String),
    NotChecked(String),
}

impl Level {
    /// A check's outcome: its description if it passed, its error's words
    /// if not.
    fn of(result: Result<String, TokenError>) -> Level {
        match result {
            Ok(desc) => Level::Pass(desc),
            Err(e) => Level::Fail(e.to_string()),
        }
    }
    pub fn is_fail(&self) -> bool {
        matches!(self, Level::Fail(_))
    }
    pub fn is_pass(&self) -> bool {
        matches!(self, Level::Pass(_))
    }
    pub fn detail(&self) -> &str {
        match self {
            Level::Pass(s) | Level::Fail(s) | Level::NotChecked(s) => s,
        }
    }
    pub fn word(&self) -> &'static str {
        match self {
            Level::Pass(_) => "pass",
            Level::Fail(_) => "FAIL",
            Level::NotChecked(_) => "not checked",
        }
    }
}

/// The four levels of docs/guide/timestamps.md §4, each reported on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    /// Level 1: a TimeStampResp, PKIStatus granted, a token holding a
    /// SignedData whose content is a TSTInfo.
    pub structure: Level,
    /// Level 2: message imprint and nonce are those of the request.
    pub imprint: Level,
    /// Level 3: the CMS signature, signed attributes and ESS signing
    /// certificate.
    pub signature: Level,
    /// Level 4: the TSA certificate chains to a given CA, valid at genTime,
    /// with critical EKU id-kp-timeStamping.
    pub chain: Level,
}

impl Levels {
    /// The one-word verdict: `verified` (all four pass), `unverified-chain`
    /// (levels 1-3 pass, level 4 not checked), `invalid` (any level fails).
    pub fn verdict(&self) -> &'static str {
        let all = [&self.structure, &self.imprint, &self.signature, &self.chain];
        if all.iter().any(|l| l.is_fail()) {
            "invalid"
        } else if all.iter().all(|l| l.is_pass()) {
            "verified"
        } else if self.structure.is_pass() && self.imprint.is_pass() && self.signature.is_pass() {
            "unverified-chain"
        } else {
            "invalid"
        }
    }

    /// The first failing level's reason, if any.
    pub fn first_failure(&self) -> Option<String> {
        [
            ("level 1 (structure)", &self.structure),
            ("level 2 (imprint)", &self.imprint),
            ("level 3 (signature)", &self.signature),
            ("level 4 (certificate chain)", &self.chain),
        ]
        .into_iter()
        .find(|(_, l)| l.is_fail())
        .map(|(n, l)| format!("{n}: {}", l.detail()))
    }
}

/// The result of checking a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub info: TokenInfo,
    pub levels: Levels,
}

/// Checks a TimeStampResp (`reply`, DER) against what was asked:
/// `imprint` (SHA-256 of the checkpoint body) and `nonce`. Level 4 is
/// checked only with `anchors`. Never fails: every defect is a level's
/// reason.
pub fn check_response(
    reply: &[u8],
    imprint: &[u8; 32],
    nonce: &[u8],
    anchors: Option<&TrustAnchors>,
) -> Checked {
    let skipped = |why: &str| Level::NotChecked(why.to_string());
    let mut out = Checked {
        info: TokenInfo::default(),
        levels: Levels {
            structure: Level::Fail(String::new()),
            imprint: skipped("the token could not be read"),
            signature: skipped("the token could not be read"),
            chain: skipped("the token could not be read"),
        },
    };
    let parsed = match token::parse_token(reply) {
        Ok(p) => p,
        Err(reason) => {
            out.levels.structure = Level::Fail(reason.to_string());
            return out;
        }
    };
    let tst = &parsed.tst;
    out.info = TokenInfo {
        gen_time: Some(parsed.gen_time.text()),
        tsa: None,
        serial: Some(hex::encode(tst.serial_number.as_bytes())),
        policy: Some(tst.policy.to_string()),
        imprint: Some(hex::encode(tst.message_imprint.hashed_message.as_bytes())),
        nonce: tst.nonce.as_ref().map(|n| hex::encode(n.as_bytes())),
    };
    out.levels.structure = Level::Pass(format!(
        "PKIStatus {}, SignedData with a TSTInfo",
        parsed.status
    ));

    // Level 2.
    out.levels.imprint = token::check_imprint(tst, imprint, nonce);

    // Level 3.
    let signer = chain::find_signer_cert(&parsed.signed, &parsed.signer_info);
    if let Some(tsa) = &tst.tsa {
        out.info.tsa = Some(token::general_name_text(tsa));
    } else if let Ok(cert) = &signer {
        out.info.tsa = Some(cert.tbs_certificate.subject.to_string());
    }
    out.levels.signature = match &signer {
        Err(e) => Level::Fail(e.to_string()),
        Ok(cert) => Level::of(chain::check_signature(&parsed, cert)),
    };

    // Level 4.
    out.levels.chain = match (anchors, &signer) {
        (None, _) => Level::NotChecked("no TSA CA certificate was given".into()),
        (Some(_), Err(_)) => Level::NotChecked("no signer certificate in the token".into()),
        (Some(a), Ok(cert)) => Level::of(chain::check_chain(
            cert,
            &parsed.signed,
            a,
            &parsed.gen_time,
        )),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/timestamps/{name}",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
        ))
        .unwrap()
    }

    fn fixture_anchors() -> TrustAnchors {
        TrustAnchors::read(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("fixtures/timestamps/tsa-ca.pem"),
        )
        .unwrap()
    }

    const FIXTURE_IMPRINT: &str =
        "129580eab7bd704296522e00251293cd3ff92a2feb3bab46fb1b44f789718696";

    /// The committed openssl token (fixtures/timestamps) passes all four
    /// levels, and the fields read from it are the ones openssl prints.
    #[test]
    fn fixture_token_is_verified_at_every_level() {
        let imprint: [u8; 32] = hex::decode(FIXTURE_IMPRINT).unwrap().try_into().unwrap();
        let req = Request::from_der(&fixture("6-4142434445464748.tsq"), "tsq").unwrap();
        assert_eq!(req.imprint, imprint);
        let c = check_response(
            &fixture("6-4142434445464748.tsr"),
            &imprint,
            b"ABCDEFGH",
            Some(&fixture_anchors()),
        );
        assert_eq!(c.levels.verdict(), "verified", "{:?}", c.levels);
        assert_eq!(c.info.serial.as_deref(), Some("2b"));
        assert_eq!(c.info.policy.as_deref(), Some("1.2.3.4.1"));
        assert_eq!(
            c.info.tsa.as_deref(),
            Some("CN=Fixture TSA,O=custodian test fixtures")
        );
        assert!(c.info.gen_time.unwrap().ends_with('Z'));
        // Another nonce or imprint: level 2 fails, the signature still holds.
        let c = check_response(
            &fixture("6-4142434445464748.tsr"),
            &imprint,
            b"ABCDEFGI",
            None,
        );
        assert!(c.levels.imprint.is_fail() && c.levels.signature.is_pass());
        let c = check_response(
            &fixture("6-4142434445464748.tsr"),
            &[0; 32],
            b"ABCDEFGH",
            None,
        );
        assert!(c.levels.imprint.is_fail());
    }

    /// Every single-byte change and every truncation of the fixture token
    /// is handled without a panic; none of the TSTInfo or signature bytes
    /// can change without the token failing.
    #[test]
    fn every_flipped_byte_and_truncation_of_the_fixture_is_handled() {
        let imprint: [u8; 32] = hex::decode(FIXTURE_IMPRINT).unwrap().try_into().unwrap();
        let good = fixture("6-4142434445464748.tsr");
        let anchors = fixture_anchors();
        let tst = token::parse_token(&good).ok().unwrap().econtent;
        let tst_at = good.windows(tst.len()).position(|w| w == tst).unwrap();
        let sig_from = good.len() - 256;
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x01;
            let c = check_response(&b, &imprint, b"ABCDEFGH", Some(&anchors));
            let signed = (tst_at..tst_at + tst.len()).contains(&i) || i >= sig_from;
            if signed {
                assert_ne!(c.levels.verdict(), "verified", "byte {i} flipped");
            }
        }
        for n in 0..good.len() {
            let c = check_response(&good[..n], &imprint, b"ABCDEFGH", Some(&anchors));
            assert!(c.levels.structure.is_fail(), "cut at {n}");
        }
    }

    #[test]
    fn verdict_never_counts_an_unchecked_chain_as_verified() {
        let pass = || Level::Pass(String::new());
        let mut l = Levels {
            structure: pass(),
            imprint: pass(),
            signature: pass(),
            chain: Level::NotChecked("no CA".into()),
        };
        assert_eq!(l.verdict(), "unverified-chain");
        l.chain = pass();
        assert_eq!(l.verdict(), "verified");
        l.signature = Level::Fail("x".into());
        assert_eq!(l.verdict(), "invalid");
        assert!(l.first_failure().unwrap().starts_with("level 3"));
    }

    #[test]
    fn hostile_bytes_fail_level_1_without_panicking() {
        for bytes in [
            &b""[..],
            b"\x30",
            b"\x30\x80\x00\x00",
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            let c = check_response(bytes, &[0; 32], &[1; 8], None);
            assert!(c.levels.structure.is_fail());
            assert_eq!(c.levels.verdict(), "invalid");
        }
    }
}
