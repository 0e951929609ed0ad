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

use std::fs;
use std::path::{Path, PathBuf};

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo, SignerInfos};
use const_oid::db::{rfc5280, rfc5911, rfc5912};
use const_oid::ObjectIdentifier;
use der::asn1::{Int, OctetString};
use der::{Any, Decode, Encode, Sequence, Tagged};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};
use x509_cert::ext::Extensions;
use x509_cert::Certificate;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::checkpoint::{encode_hash, Checkpoint};
pub use custodian_format::timestamp::TimestampAttach;

mod attach;
pub use attach::{
    check_reply, plan_record, AttachError, AttachRefusal, PendingAttach, Plan, ReplyCheck,
};

/// Folder of a case holding timestamp requests and replies.
pub const TIMESTAMPS_DIR: &str = "timestamps";

/// Upper bound on a request, reply or CA file read, against hostile input.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Errors from making, reading or storing requests and replies, each naming
/// the file involved.
#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
}

fn invalid(what: impl Into<String>, reason: impl Into<String>) -> TimestampError {
    TimestampError::Invalid {
        what: what.into(),
        reason: reason.into(),
    }
}

/// Reads a file of at most [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, TimestampError> {
    let io = |source| TimestampError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(invalid(
            path.display().to_string(),
            format!("{len} bytes is too large (at most {MAX_FILE_BYTES})"),
        ));
    }
    // Replies are named on the command line too: links followed, but only
    // a regular file is read (a FIFO would block, a device never end).
    crate::fsutil::read_regular(path, true).map_err(io)
}

/// What a timestamp covers: SHA-256 of the checkpoint's note body (the
/// three lines origin, size, root, each with its LF).
pub fn imprint_of(checkpoint: &Checkpoint) -> [u8; 32] {
    Sha256::digest(checkpoint.body().as_bytes()).into()
}

/// A nonce of 8 bytes whose first byte is 0x40..=0x7F: a positive INTEGER
/// always encoded in exactly 8 bytes (62 random bits).
pub fn random_nonce() -> Result<[u8; 8], TimestampError> {
    let mut n = [0u8; 8];
    getrandom::getrandom(&mut n).map_err(|e| invalid("nonce", format!("no randomness: {e}")))?;
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
    /// any other request is refused.
    pub fn from_der(bytes: &[u8], what: &str) -> Result<Request, TimestampError> {
        let req = TimeStampReq::from_der(bytes)
            .map_err(|e| invalid(what, format!("not a DER TimeStampReq ({e})")))?;
        if req.message_imprint.hash_algorithm.oid != rfc5912::ID_SHA_256 {
            return Err(invalid(
                what,
                format!(
                    "imprint algorithm {} is not SHA-256",
                    req.message_imprint.hash_algorithm.oid
                ),
            ));
        }
        let imprint: [u8; 32] = req
            .message_imprint
            .hashed_message
            .as_bytes()
            .try_into()
            .map_err(|_| invalid(what, "the imprint is not 32 bytes"))?;
        let nonce: [u8; 8] = req
            .nonce
            .as_ref()
            .map(|n| n.as_bytes())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| invalid(what, "the request has no 8-byte nonce"))?;
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

/// The outcome of one verification level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "detail", rename_all = "kebab-case")]
pub enum Level {
    Pass(String),
    Fail(String),
    NotChecked(String),
}

impl Level {
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

/// What a token says, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// genTime as `YYYY-MM-DDTHH:MM:SS[.f…]Z`.
    pub gen_time: Option<String>,
    /// The TSA's name: TSTInfo's `tsa` field, else the signer certificate's
    /// subject (RFC 4514 string).
    pub tsa: Option<String>,
    /// serialNumber, lowercase hex of its DER content bytes.
    pub serial: Option<String>,
    /// The policy OID, dotted.
    pub policy: Option<String>,
    /// Hex of the imprint and nonce found in the TSTInfo.
    pub imprint: Option<String>,
    pub nonce: Option<String>,
}

/// The result of checking a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub info: TokenInfo,
    pub levels: Levels,
}

/// Trust anchors for level 4: the certificates of a PEM file.
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    pub certs: Vec<Certificate>,
    pub what: String,
}

impl TrustAnchors {
    /// Reads every `CERTIFICATE` block of a PEM file (at least one).
    pub fn read(path: &Path) -> Result<TrustAnchors, TimestampError> {
        let what = path.display().to_string();
        let bytes = read_bounded(path)?;
        let certs = Certificate::load_pem_chain(&bytes)
            .map_err(|e| invalid(&what, format!("not PEM certificates ({e})")))?;
        if certs.is_empty() {
            return Err(invalid(&what, "holds no certificate"));
        }
        Ok(TrustAnchors { certs, what })
    }
}

/// TSTInfo (RFC 3161 §2.4.2) as `x509_tsp::TstInfo`, except that genTime
/// is read by [`GenTime::parse`]: RFC 3161 allows fractions of a second
/// there, which the DER GeneralizedTime type of the `der` crate refuses.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: TspVersion,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

/// CMS SignedData (RFC 5652 §5.1) as `cms::signed_data::SignedData`,
/// except that the certificates are read as a sequence: a SET OF that
/// repeats a certificate or is not sorted (as `openssl ts -reply` writes
/// when its `certs` file holds the signer certificate) is still read. The
/// certificates are not signed, so their order carries no meaning; the
/// signed attributes keep the strict DER SET OF of the `cms` crate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SignedData {
    version: cms::content_info::CmsVersion,
    digest_algorithms: Any,
    encap_content_info: EncapsulatedContentInfo,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    certificates: Option<Vec<CertificateChoices>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    crls: Option<Vec<Any>>,
    signer_infos: SignerInfos,
}

/// A TSTInfo genTime: whole seconds since 1970 and the fraction digits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GenTime {
    secs: i64,
    fraction: String,
}

impl GenTime {
    /// `YYYYMMDDhhmmss[.f…]Z` (RFC 3161 §2.4.2: UTC, no trailing zero in
    /// the fraction, no lone dot).
    fn parse(any: &Any) -> Result<GenTime, String> {
        if any.tag() != der::Tag::GeneralizedTime {
            return Err(format!(
                "genTime has tag {}, not GeneralizedTime",
                any.tag()
            ));
        }
        let text = std::str::from_utf8(any.value()).map_err(|_| "genTime is not ASCII")?;
        let bad = || format!("genTime {text:?} is not YYYYMMDDhhmmss[.fff]Z");
        let body = text.strip_suffix('Z').ok_or_else(bad)?;
        let (whole, fraction) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.len() != 14
            || !digits(whole)
            || !digits(fraction)
            || (body.contains('.') && (fraction.is_empty() || fraction.ends_with('0')))
        {
            return Err(bad());
        }
        let t = chrono::NaiveDateTime::parse_from_str(whole, "%Y%m%d%H%M%S").map_err(|_| bad())?;
        Ok(GenTime {
            secs: t.and_utc().timestamp(),
            fraction: fraction.to_string(),
        })
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f…]Z`.
    fn text(&self) -> String {
        let whole = chrono::DateTime::<chrono::Utc>::from_timestamp(self.secs, 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_else(|| format!("{} s after 1970", self.secs));
        if self.fraction.is_empty() {
            format!("{whole}Z")
        } else {
            format!("{whole}.{}Z", self.fraction)
        }
    }
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
    let parsed = match parse_token(reply) {
        Ok(p) => p,
        Err(reason) => {
            out.levels.structure = Level::Fail(reason);
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
    out.levels.imprint = check_imprint(tst, imprint, nonce);

    // Level 3.
    let signer = find_signer_cert(&parsed.signed, &parsed.signer_info);
    if let Some(tsa) = &tst.tsa {
        out.info.tsa = Some(general_name_text(tsa));
    } else if let Ok(cert) = &signer {
        out.info.tsa = Some(cert.tbs_certificate.subject.to_string());
    }
    out.levels.signature = match &signer {
        Err(e) => Level::Fail(e.clone()),
        Ok(cert) => match check_signature(&parsed, cert) {
            Ok(desc) => Level::Pass(desc),
            Err(e) => Level::Fail(e),
        },
    };

    // Level 4.
    out.levels.chain = match (anchors, &signer) {
        (None, _) => Level::NotChecked("no CA given (--tsa-ca)".into()),
        (Some(_), Err(_)) => Level::NotChecked("no signer certificate in the token".into()),
        (Some(a), Ok(cert)) => match check_chain(cert, &parsed.signed, a, &parsed.gen_time) {
            Ok(desc) => Level::Pass(desc),
            Err(e) => Level::Fail(e),
        },
    };
    out
}

/// The nonce of a reply's TSTInfo (hex), to find the request it answers.
/// Fails with the level-1 reason when the reply cannot be read.
pub fn reply_nonce(reply: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let p = parse_token(reply)?;
    Ok(p.tst.nonce.map(|n| n.as_bytes().to_vec()))
}

/// A reply decoded down to its TSTInfo.
struct Parsed {
    status: &'static str,
    signed: SignedData,
    signer_info: SignerInfo,
    /// The eContent octets: the DER TSTInfo that was digested.
    econtent: Vec<u8>,
    tst: TstInfo,
    gen_time: GenTime,
}

fn parse_token(reply: &[u8]) -> Result<Parsed, String> {
    let resp =
        TimeStampResp::from_der(reply).map_err(|e| format!("not a DER TimeStampResp ({e})"))?;
    use cmpv2::status::PkiStatus;
    let status = match resp.status.status {
        PkiStatus::Accepted => "granted",
        PkiStatus::GrantedWithMods => "grantedWithMods",
        other => {
            let text = resp
                .status
                .status_string
                .as_ref()
                .map(|t| {
                    t.iter()
                        .map(|s| s.as_str().to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            return Err(
                format!("the TSA did not grant the request (PKIStatus {other:?}) {text}")
                    .trim_end()
                    .to_string(),
            );
        }
    };
    let token: ContentInfo = resp
        .time_stamp_token
        .ok_or("the reply is granted but holds no token")?;
    if token.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(format!(
            "the token's content type is {}, not signedData",
            token.content_type
        ));
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the token is not a CMS SignedData ({e})"))?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(format!(
            "the signed content type is {}, not id-ct-TSTInfo",
            signed.encap_content_info.econtent_type
        ));
    }
    let econtent: OctetString = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the SignedData holds no TSTInfo (detached content)")?
        .decode_as()
        .map_err(|e| format!("the eContent is not an OCTET STRING ({e})"))?;
    let econtent = econtent.as_bytes().to_vec();
    let tst =
        TstInfo::from_der(&econtent).map_err(|e| format!("the TSTInfo is malformed ({e})"))?;
    let gen_time = GenTime::parse(&tst.gen_time)?;
    if signed.signer_infos.0.len() != 1 {
        return Err(format!(
            "the token has {} signers; RFC 3161 requires exactly one",
            signed.signer_infos.0.len()
        ));
    }
    let signer_info = signed.signer_infos.0.get(0).cloned().ok_or("no signer")?;
    Ok(Parsed {
        status,
        signed,
        signer_info,
        econtent,
        tst,
        gen_time,
    })
}

fn check_imprint(tst: &TstInfo, imprint: &[u8; 32], nonce: &[u8]) -> Level {
    let mi = &tst.message_imprint;
    if mi.hash_algorithm.oid != rfc5912::ID_SHA_256 {
        return Level::Fail(format!(
            "the token imprints with {}, but SHA-256 was asked for",
            mi.hash_algorithm.oid
        ));
    }
    if mi.hashed_message.as_bytes() != imprint {
        return Level::Fail(format!(
            "the token's imprint {} is not the checkpoint's SHA-256 {}: it timestamps something else",
            hex::encode(mi.hashed_message.as_bytes()),
            hex::encode(imprint)
        ));
    }
    match &tst.nonce {
        None => Level::Fail("the token has no nonce, but the request had one".into()),
        Some(n) if n.as_bytes() != nonce => Level::Fail(format!(
            "the token's nonce {} is not the request's {}: it answers another request",
            hex::encode(n.as_bytes()),
            hex::encode(nonce)
        )),
        Some(_) => Level::Pass(format!(
            "imprint {} and nonce {} are the request's",
            hex::encode(imprint),
            hex::encode(nonce)
        )),
    }
}

fn general_name_text(name: &GeneralName) -> String {
    match name {
        GeneralName::DirectoryName(n) => n.to_string(),
        GeneralName::DnsName(s) => s.to_string(),
        GeneralName::Rfc822Name(s) => s.to_string(),
        GeneralName::UniformResourceIdentifier(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

fn certificates(signed: &SignedData) -> Vec<Certificate> {
    signed
        .certificates
        .as_ref()
        .map(|set| {
            set.iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
        .map(|o| o.as_bytes().to_vec())
}

fn find_signer_cert(signed: &SignedData, si: &SignerInfo) -> Result<Certificate, String> {
    let certs = certificates(signed);
    let found = certs.into_iter().find(|c| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            subject_key_id(c).as_deref() == Some(ski.0.as_bytes())
        }
    });
    found.ok_or_else(|| {
        "the token does not hold the TSA's certificate (was the request made without certReq?)"
            .to_string()
    })
}

/// A digest algorithm custodian accepts in signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: &ObjectIdentifier) -> Result<Hash, String> {
        match *oid {
            rfc5912::ID_SHA_256 => Ok(Hash::Sha256),
            rfc5912::ID_SHA_384 => Ok(Hash::Sha384),
            rfc5912::ID_SHA_512 => Ok(Hash::Sha512),
            rfc5912::ID_SHA_1 => Err("SHA-1 is not accepted in signatures".into()),
            other => Err(format!("digest algorithm {other} is not supported")),
        }
    }
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
    /// The DER DigestInfo prefix of PKCS#1 v1.5 (RFC 8017 §9.2 note 1).
    fn pkcs1_prefix(self) -> Vec<u8> {
        let (last, len) = match self {
            Hash::Sha256 => (0x01, 0x20),
            Hash::Sha384 => (0x02, 0x30),
            Hash::Sha512 => (0x03, 0x40),
        };
        vec![
            0x30,
            0x11 + len,
            0x30,
            0x0d,
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            last,
            0x05,
            0x00,
            0x04,
            len,
        ]
    }
}

/// ESS ESSCertID (RFC 2634 §5.4.1).
#[derive(Clone, Debug, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// ESS SigningCertificate (RFC 2634 §5.4).
#[derive(Clone, Debug, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// ESS ESSCertIDv2 (RFC 5035 §4): hashAlgorithm DEFAULT id-sha256.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// ESS SigningCertificateV2 (RFC 5035 §3).
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

fn single_attr<'a>(
    si: &'a SignerInfo,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<&'a Any, String> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or("the signer has no signed attributes")?;
    let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
    match found.as_slice() {
        [a] if a.values.len() == 1 => Ok(a.values.get(0).expect("one value")),
        [] => Err(format!("the signed attributes lack {name}")),
        _ => Err(format!(
            "the signed attribute {name} must occur once with one value"
        )),
    }
}

fn check_signature(p: &Parsed, cert: &Certificate) -> Result<String, String> {
    let si = &p.signer_info;
    let hash = Hash::from_oid(&si.digest_alg.oid)?;
    // content-type attribute.
    let ct: ObjectIdentifier = single_attr(si, rfc5911::ID_CONTENT_TYPE, "content-type")?
        .decode_as()
        .map_err(|e| format!("the content-type attribute is malformed ({e})"))?;
    if ct != ID_CT_TST_INFO {
        return Err(format!(
            "the content-type attribute is {ct}, not id-ct-TSTInfo"
        ));
    }
    // message-digest attribute.
    let md: OctetString = single_attr(si, rfc5911::ID_MESSAGE_DIGEST, "message-digest")?
        .decode_as()
        .map_err(|e| format!("the message-digest attribute is malformed ({e})"))?;
    let digest = hash.digest(&p.econtent);
    if md.as_bytes() != digest.as_slice() {
        return Err(format!(
            "the message-digest attribute {} is not the {} of the TSTInfo ({}): the TSTInfo was altered",
            hex::encode(md.as_bytes()),
            hash.name(),
            hex::encode(&digest)
        ));
    }
    // ESS signing certificate (v2 preferred, else v1).
    let cert_der = cert
        .to_der()
        .map_err(|e| format!("signer certificate: {e}"))?;
    let ess = check_ess(si, &cert_der)?;
    // The signature over the DER SET OF signed attributes.
    let signed_attrs = si
        .signed_attrs
        .as_ref()
        .expect("checked above")
        .to_der()
        .map_err(|e| format!("signed attributes: {e}"))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let alg = verify_signature(
        spki,
        &si.signature_algorithm,
        Some(hash),
        &signed_attrs,
        si.signature.as_bytes(),
    )
    .map_err(|e| format!("the signature over the signed attributes does not verify: {e}"))?;
    Ok(format!(
        "{alg} signature by {} valid; message-digest and content-type match; {ess}",
        cert.tbs_certificate.subject
    ))
}

fn check_ess(si: &SignerInfo, cert_der: &[u8]) -> Result<String, String> {
    let attrs = si.signed_attrs.as_ref().ok_or("no signed attributes")?;
    let has = |oid| attrs.iter().any(|a| a.oid == oid);
    if has(rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2) {
        let v2: SigningCertificateV2 = single_attr(
            si,
            rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
            "signing-certificate-v2",
        )?
        .decode_as()
        .map_err(|e| format!("the signing-certificate-v2 attribute is malformed ({e})"))?;
        let first = v2
            .certs
            .first()
            .ok_or("signing-certificate-v2 lists no certificate")?;
        let h = match &first.hash_algorithm {
            None => Hash::Sha256,
            Some(a) => Hash::from_oid(&a.oid)?,
        };
        if first.cert_hash.as_bytes() != h.digest(cert_der).as_slice() {
            return Err(
                "the ESS signing-certificate-v2 hash is not that of the signer certificate".into(),
            );
        }
        Ok(format!(
            "ESS signing-certificate-v2 ({}) names the signer certificate",
            h.name()
        ))
    } else if has(rfc5911::ID_AA_SIGNING_CERTIFICATE) {
        let v1: SigningCertificate = single_attr(
            si,
            rfc5911::ID_AA_SIGNING_CERTIFICATE,
            "signing-certificate",
        )?
        .decode_as()
        .map_err(|e| format!("the signing-certificate attribute is malformed ({e})"))?;
        let first = v1
            .certs
            .first()
            .ok_or("signing-certificate lists no certificate")?;
        let sha1 = <sha1::Sha1 as Digest>::digest(cert_der);
        if first.cert_hash.as_bytes() != sha1.as_slice() {
            return Err(
                "the ESS signing-certificate (SHA-1) hash is not that of the signer certificate"
                    .into(),
            );
        }
        Ok("ESS signing-certificate (SHA-1) names the signer certificate".into())
    } else {
        Err(
            "the signed attributes hold no ESS signing-certificate(-v2), which RFC 3161 requires"
                .into(),
        )
    }
}

/// Verifies `signature` over `message` with the key of `spki`. `digest`
/// is the SignerInfo's digest algorithm (for rsaEncryption, which does not
/// name one); `None` inside certificates. Returns the algorithm's name.
fn verify_signature(
    spki: &spki::SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest: Option<Hash>,
    message: &[u8],
    signature: &[u8],
) -> Result<String, String> {
    let spki_der = spki.to_der().map_err(|e| e.to_string())?;
    let rsa_key = || {
        use rsa::pkcs8::DecodePublicKey;
        rsa::RsaPublicKey::from_public_key_der(&spki_der)
            .map_err(|e| format!("the signer's key is not an RSA key ({e})"))
    };
    let pkcs1 = |h: Hash| -> Result<String, String> {
        let key = rsa_key()?;
        let scheme = rsa::Pkcs1v15Sign {
            hash_len: Some(h.digest(b"").len()),
            prefix: h.pkcs1_prefix().into_boxed_slice(),
        };
        key.verify(scheme, &h.digest(message), signature)
            .map_err(|_| "RSA PKCS#1 v1.5 signature mismatch".to_string())?;
        Ok(format!("RSA PKCS#1 v1.5 {}", h.name()))
    };
    match alg.oid {
        rfc5912::RSA_ENCRYPTION => pkcs1(digest.ok_or("rsaEncryption names no digest")?),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => pkcs1(Hash::Sha256),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => pkcs1(Hash::Sha384),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => pkcs1(Hash::Sha512),
        rfc5912::ID_RSASSA_PSS => {
            let params = alg
                .parameters
                .as_ref()
                .ok_or("RSASSA-PSS without parameters")?
                .to_der()
                .map_err(|e| e.to_string())?;
            let params = rsa::pkcs1::RsaPssParams::from_der(&params)
                .map_err(|e| format!("malformed RSASSA-PSS parameters ({e})"))?;
            let h = Hash::from_oid(&params.hash.oid)?;
            let mgf_hash = params
                .mask_gen
                .parameters
                .as_ref()
                .map(|p| p.oid)
                .unwrap_or(rfc5912::ID_SHA_1);
            if params.mask_gen.oid != rfc5912::ID_MGF_1 || Hash::from_oid(&mgf_hash)? != h {
                return Err("RSASSA-PSS with a mask generation other than MGF1 over the same hash is not supported".into());
            }
            let salt = params.salt_len as usize;
            let scheme = match h {
                Hash::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt),
                Hash::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt),
                Hash::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt),
            };
            rsa_key()?
                .verify(scheme, &h.digest(message), signature)
                .map_err(|_| "RSASSA-PSS signature mismatch".to_string())?;
            Ok(format!("RSASSA-PSS {}", h.name()))
        }
        rfc5912::ECDSA_WITH_SHA_256 => {
            ecdsa_verify(&spki_der, spki, Hash::Sha256, message, signature)
        }
        rfc5912::ECDSA_WITH_SHA_384 => {
            ecdsa_verify(&spki_der, spki, Hash::Sha384, message, signature)
        }
        rfc5912::ECDSA_WITH_SHA_512 => {
            ecdsa_verify(&spki_der, spki, Hash::Sha512, message, signature)
        }
        rfc5912::ID_EC_PUBLIC_KEY => ecdsa_verify(
            &spki_der,
            spki,
            digest.ok_or("id-ecPublicKey names no digest")?,
            message,
            signature,
        ),
        other => Err(format!("signature algorithm {other} is not supported")),
    }
}

fn ecdsa_verify(
    spki_der: &[u8],
    spki: &spki::SubjectPublicKeyInfoOwned,
    h: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<String, String> {
    use ecdsa::signature::hazmat::PrehashVerifier;
    use spki::DecodePublicKey;
    let curve: Option<ObjectIdentifier> = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok());
    let prehash = h.digest(message);
    match curve {
        Some(rfc5912::SECP_256_R_1) => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                .map_err(|e| format!("bad P-256 key ({e})"))?;
            let sig = p256::ecdsa::Signature::from_der(signature)
                .map_err(|e| format!("malformed ECDSA signature ({e})"))?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| "ECDSA P-256 signature mismatch".to_string())?;
            Ok(format!("ECDSA P-256 {}", h.name()))
        }
        Some(rfc5912::SECP_384_R_1) => {
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                .map_err(|e| format!("bad P-384 key ({e})"))?;
            let sig = p384::ecdsa::Signature::from_der(signature)
                .map_err(|e| format!("malformed ECDSA signature ({e})"))?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| "ECDSA P-384 signature mismatch".to_string())?;
            Ok(format!("ECDSA P-384 {}", h.name()))
        }
        Some(other) => Err(format!(
            "elliptic curve {other} is not supported (P-256, P-384 are)"
        )),
        None => Err("the key is not an ECDSA key on a named curve".into()),
    }
}

fn extension(cert: &Certificate, oid: ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
}

fn valid_at(cert: &Certificate, at: &GenTime) -> Result<(), String> {
    let v = &cert.tbs_certificate.validity;
    let secs = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    // A fraction of a second after notAfter's second is past it.
    let after_end =
        at.secs > secs(v.not_after) || (at.secs == secs(v.not_after) && !at.fraction.is_empty());
    if at.secs < secs(v.not_before) || after_end {
        return Err(format!(
            "certificate {} is valid from {} to {}, not at genTime {}",
            cert.tbs_certificate.subject,
            v.not_before,
            v.not_after,
            at.text()
        ));
    }
    Ok(())
}

fn check_cert_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let tbs = cert.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or("the certificate signature is not whole bytes")?;
    verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        sig,
    )
    .map(|_| ())
}

fn check_chain(
    tsa: &Certificate,
    signed: &SignedData,
    anchors: &TrustAnchors,
    gen_time: &GenTime,
) -> Result<String, String> {
    // The TSA certificate: exactly one EKU extension, critical, holding
    // only id-kp-timeStamping (RFC 3161 §2.3).
    let eku = extension(tsa, rfc5280::ID_CE_EXT_KEY_USAGE)
        .ok_or("the TSA certificate has no extendedKeyUsage extension")?;
    if !eku.critical {
        return Err("the TSA certificate's extendedKeyUsage is not critical".into());
    }
    let usages = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())
        .map_err(|e| format!("the TSA certificate's extendedKeyUsage is malformed ({e})"))?;
    if usages.0 != [rfc5280::ID_KP_TIME_STAMPING] {
        return Err(
            "the TSA certificate's extendedKeyUsage is not id-kp-timeStamping alone".into(),
        );
    }
    let pool = certificates(signed);
    let mut chain = vec![tsa.clone()];
    let mut names = vec![tsa.tbs_certificate.subject.to_string()];
    loop {
        let cur = chain.last().expect("non-empty").clone();
        valid_at(&cur, gen_time)?;
        // Is it signed by a trust anchor?
        let mut anchor_err = None;
        for a in anchors
            .certs
            .iter()
            .filter(|a| a.tbs_certificate.subject == cur.tbs_certificate.issuer)
        {
            match check_cert_signature(&cur, a) {
                Ok(()) => {
                    if *a != cur {
                        valid_at(a, gen_time)?;
                        names.push(a.tbs_certificate.subject.to_string());
                    }
                    return Ok(format!(
                        "chain {} ends at a certificate of {}, all valid at genTime; critical EKU id-kp-timeStamping",
                        names.join(" <- "),
                        anchors.what
                    ));
                }
                Err(e) => anchor_err = Some(e),
            }
        }
        if let Some(e) = anchor_err {
            return Err(format!(
                "certificate {} does not verify under the CA of {} that has its issuer's name: {e}",
                cur.tbs_certificate.subject, anchors.what
            ));
        }
        if chain.len() > 8 {
            return Err("the certificate chain is longer than 8".into());
        }
        // An intermediate carried in the token.
        let next = pool.iter().find(|c| {
            c.tbs_certificate.subject == cur.tbs_certificate.issuer
                && !chain.contains(c)
                && check_cert_signature(&cur, c).is_ok()
        });
        let Some(next) = next else {
            return Err(format!(
                "certificate {} (issuer {}) does not chain to a certificate of {}",
                cur.tbs_certificate.subject, cur.tbs_certificate.issuer, anchors.what
            ));
        };
        let is_ca = extension(next, rfc5280::ID_CE_BASIC_CONSTRAINTS)
            .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
            .map(|b| b.ca)
            .unwrap_or(false);
        if !is_ca {
            return Err(format!(
                "intermediate certificate {} is not a CA (basicConstraints)",
                next.tbs_certificate.subject
            ));
        }
        names.push(next.tbs_certificate.subject.to_string());
        chain.push(next.clone());
    }
}

/// One attached token as `verify` sees it now.
#[derive(Debug, Clone, Serialize)]
pub struct TokenCheck {
    /// Sequence number of the `timestamp.attach` entry.
    pub entry: u64,
    pub reply: String,
    pub size: u64,
    pub root: String,
    pub gen_time: String,
    pub tsa: String,
    pub serial: String,
    pub policy: String,
    /// `verified`, `unverified-chain` or `invalid`.
    pub verdict: &'static str,
    /// Why the token cannot be relied on, if it cannot (file, checkpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub levels: Option<Levels>,
}

/// Problem codes `verify` reports for attached tokens.
pub mod code {
    pub const FILE: &str = "timestamp-file";
    pub const CHECKPOINT: &str = "timestamp-checkpoint";
    pub const INVALID: &str = "timestamp-invalid";
}

/// Checks every `timestamp.attach` entry of a ledger: the reply file is the
/// one recorded (SHA-256), the checkpoint it names is the ledger's (same
/// origin, and the first SIZE entries give ROOT), and the token passes
/// levels 1-3 (and 4 with `anchors`) against that checkpoint and the
/// recorded nonce. Returns one [`TokenCheck`] per entry and the problems.
pub fn check_case(
    case_dir: &Path,
    raw: &crate::ledger::RawLedger,
    case_id: Option<&str>,
    anchors: Option<&TrustAnchors>,
) -> (Vec<TokenCheck>, Vec<crate::ledger::Problem>) {
    use crate::ledger::{Entry, Problem, Severity};
    let mut checks = Vec::new();
    let mut problems = Vec::new();
    let leaves = crate::merkle::ledger_leaf_hashes(raw);
    for i in 0..raw.lines.len() {
        let Ok(entry) = serde_json::from_slice::<Entry>(raw.line(i)) else {
            continue;
        };
        if entry.kind != crate::ledger::kind::TIMESTAMP_ATTACH {
            continue;
        }
        let Ok(body) = serde_json::from_value::<TimestampAttach>(entry.body.clone()) else {
            continue; // the ledger check reports an invalid body
        };
        let mut tc = TokenCheck {
            entry: entry.seq,
            reply: body.reply.clone(),
            size: body.size,
            root: body.root.clone(),
            gen_time: body.gen_time.clone(),
            tsa: body.tsa.clone(),
            serial: body.serial.clone(),
            policy: body.policy.clone(),
            verdict: "invalid",
            problem: None,
            levels: None,
        };
        let ledger = LedgerView {
            leaves: &leaves,
            case_id,
        };
        let Some(outcome) = check_token(case_dir, entry.seq, &body, ledger, anchors, &mut tc)
        else {
            continue;
        };
        if let Err(p) = outcome {
            tc.problem = Some(p.message.clone());
            problems.push(Problem {
                severity: Severity::Error,
                code: p.code,
                entry: Some(entry.seq),
                offset: Some(raw.lines[i].0),
                path: p.path,
                expected: p.expected,
                found: p.found,
                message: p.message,
            });
        }
        checks.push(tc);
    }
    (checks, problems)
}

/// What [`check_token`] needs of the ledger: its leaf hashes and case id.
#[derive(Clone, Copy)]
struct LedgerView<'a> {
    leaves: &'a [crate::merkle::Hash],
    case_id: Option<&'a str>,
}

/// Why one attached token cannot be relied on, before it is placed in the
/// ledger as a [`crate::ledger::Problem`].
struct TokenProblem {
    code: &'static str,
    path: Option<String>,
    expected: Option<String>,
    found: Option<String>,
    message: String,
}

impl TokenProblem {
    fn new(code: &'static str, path: Option<&str>, message: String) -> TokenProblem {
        TokenProblem {
            code,
            path: path.map(str::to_string),
            expected: None,
            found: None,
            message,
        }
    }
}

/// Checks one attached token (entry `seq`), filling in `tc`'s verdict and
/// levels. `None`: the body names no checkpoint to check against (the
/// ledger check reports it); otherwise the first problem, if any.
fn check_token(
    case_dir: &Path,
    seq: u64,
    body: &TimestampAttach,
    ledger: LedgerView,
    anchors: Option<&TrustAnchors>,
    tc: &mut TokenCheck,
) -> Option<Result<(), TokenProblem>> {
    // The checkpoint must be this ledger's.
    if let Some(m) = checkpoint_problem(seq, body, ledger) {
        return Some(Err(TokenProblem::new(code::CHECKPOINT, None, m)));
    }
    let checkpoint = body.checkpoint().ok()?;
    let imprint = imprint_of(&checkpoint);
    if hex::encode(imprint) != body.imprint {
        return Some(Err(TokenProblem {
            expected: Some(hex::encode(imprint)),
            found: Some(body.imprint.clone()),
            ..TokenProblem::new(
                code::CHECKPOINT,
                None,
                format!(
                    "entry {seq}: the recorded imprint {} is not the SHA-256 of the checkpoint body",
                    body.imprint
                ),
            )
        }));
    }
    // The reply file must be the one recorded.
    let bytes = match reply_bytes(case_dir, seq, body) {
        Ok(b) => b,
        Err(p) => return Some(Err(p)),
    };
    let nonce = hex::decode(&body.nonce).unwrap_or_default();
    let checked = check_response(&bytes, &imprint, &nonce, anchors);
    tc.verdict = checked.levels.verdict();
    let outcome = match checked.levels.first_failure() {
        Some(why) => Err(TokenProblem::new(
            code::INVALID,
            Some(&body.reply),
            format!(
                "timestamp reply {} (entry {seq}) does not verify: {why}",
                body.reply
            ),
        )),
        None => Ok(()),
    };
    tc.levels = Some(checked.levels);
    Some(outcome)
}

/// Why the checkpoint a token names is not this ledger's, if it is not:
/// a bad root, another case's origin, more entries than the ledger has, or
/// a root the ledger's first SIZE entries do not give.
fn checkpoint_problem(seq: u64, body: &TimestampAttach, ledger: LedgerView) -> Option<String> {
    let leaves = ledger.leaves;
    let cp_root = crate::checkpoint::decode_hash(&body.root);
    let expected_origin = ledger.case_id.map(crate::checkpoint::origin_for_case);
    let ledger_root = (body.size <= leaves.len() as u64)
        .then(|| crate::merkle::root(&leaves[..body.size as usize]));
    match (&cp_root, &ledger_root) {
        (Err(e), _) => Some(format!("entry {seq}: checkpoint root {e}")),
        _ if expected_origin.as_deref().is_some_and(|o| o != body.origin) => Some(format!(
            "entry {seq}: the timestamped checkpoint is of {:?}, not of this case",
            body.origin
        )),
        (_, None) => Some(format!(
            "entry {seq}: the timestamped checkpoint has size {}, but the ledger has only {} entries",
            body.size,
            leaves.len()
        )),
        (Ok(r), Some(l)) if r != l => Some(format!(
            "entry {seq}: the timestamped checkpoint of size {} has root {}, but the ledger's first {} entries give {}: the ledger was rewritten",
            body.size, body.root, body.size, encode_hash(l)
        )),
        _ => None,
    }
}

/// The bytes of the reply a token's entry records, checked to stay inside
/// `timestamps/` and to have the recorded SHA-256.
fn reply_bytes(case_dir: &Path, seq: u64, body: &TimestampAttach) -> Result<Vec<u8>, TokenProblem> {
    let path = case_dir.join(&body.reply);
    let bytes = safe_rel(&body.reply)
        .and_then(|_| read_bounded(&path).map_err(|e| e.to_string()))
        .map_err(|e| {
            TokenProblem::new(
                code::FILE,
                Some(&body.reply),
                format!(
                    "timestamp reply {} (entry {seq}) cannot be read: {e}",
                    body.reply
                ),
            )
        })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    if sha != body.reply_sha256 {
        return Err(TokenProblem {
            expected: Some(body.reply_sha256.clone()),
            found: Some(sha),
            ..TokenProblem::new(
                code::FILE,
                Some(&body.reply),
                format!(
                    "timestamp reply {} is not the file attached in entry {seq} (its SHA-256 differs): it was replaced or altered",
                    body.reply
                ),
            )
        });
    }
    Ok(bytes)
}

/// A recorded relative path must stay inside `timestamps/`.
fn safe_rel(rel: &str) -> Result<(), String> {
    let ok = rel.starts_with("timestamps/")
        && !rel.contains("..")
        && !rel.contains('\\')
        && rel.matches('/').count() == 1;
    if ok {
        Ok(())
    } else {
        Err(format!("{rel:?} is not a file in timestamps/"))
    }
}

/// A `TSA-UNVERIFIED` finding for each token whose levels 1-3 hold but whose
/// certificate chain was not checked (no CA given). Failed tokens already
/// give `TSA-INVALID` through their problems.
pub fn unverified_findings(checks: &[TokenCheck]) -> Vec<crate::custody::Finding> {
    checks
        .iter()
        .filter(|t| t.verdict == "unverified-chain")
        .map(|t| crate::custody::Finding {
            id: "TSA-UNVERIFIED",
            severity: "low",
            entries: vec![t.entry],
            exhibits: Vec::new(),
            message: format!(
                "timestamp {} (entry {}) by {}: the TSA certificate was not checked against a CA (give --tsa-ca)",
                t.reply, t.entry, t.tsa
            ),
        })
        .collect()
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
        let tst = parse_token(&good).unwrap().econtent;
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
    fn gen_time_allows_fractions_as_rfc_3161_does() {
        let gt = |s: &str| {
            GenTime::parse(&Any::new(der::Tag::GeneralizedTime, s.as_bytes().to_vec()).unwrap())
        };
        let t = gt("20261125193907Z").unwrap();
        assert_eq!(t.text(), "2026-11-25T19:39:07Z");
        assert_eq!(t.secs, 1795635547);
        assert_eq!(
            gt("20261125193907.123Z").unwrap().text(),
            "2026-11-25T19:39:07.123Z"
        );
        for bad in [
            "20261125193907",
            "20261125193907.Z",
            "20261125193907.120Z",
            "2026112519390Z",
            "20261325193907Z",
            "20261125193907+0100",
        ] {
            assert!(gt(bad).is_err(), "{bad}");
        }
        let utc = Any::new(der::Tag::UtcTime, b"261125193907Z".to_vec()).unwrap();
        assert!(GenTime::parse(&utc).is_err());
    }

    #[test]
    fn nonces_are_positive_8_byte_integers() {
        for _ in 0..64 {
            let n = random_nonce().unwrap();
            assert!((0x40..=0x7f).contains(&n[0]));
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

    /// openssl ts cannot make RSASSA-PSS tokens, so PSS is checked here on
    /// a signature made with the `rsa` crate, with the parameters spelt out
    /// as a TSA would (SHA-256, MGF1-SHA-256, salt 32, trailer 1).
    #[test]
    fn rsassa_pss_signatures_verify_and_altered_ones_do_not() {
        use rsa::pkcs1::{RsaPssParams, TrailerField};
        use rsa::pkcs8::EncodePublicKey;
        use spki::{AlgorithmIdentifier, AlgorithmIdentifierRef};
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let spki_der = key.to_public_key().to_public_key_der().unwrap();
        let spki = spki::SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).unwrap();
        let msg = b"signed attributes";
        let sig = key
            .sign_with_rng(
                &mut rng,
                rsa::Pss::new_with_salt::<Sha256>(32),
                &Sha256::digest(msg),
            )
            .unwrap();
        let sha256 = AlgorithmIdentifierRef {
            oid: rfc5912::ID_SHA_256,
            parameters: Some(der::asn1::AnyRef::NULL),
        };
        let params = RsaPssParams {
            hash: sha256,
            mask_gen: AlgorithmIdentifier {
                oid: rfc5912::ID_MGF_1,
                parameters: Some(sha256),
            },
            salt_len: 32,
            trailer_field: TrailerField::BC,
        };
        let alg = AlgorithmIdentifierOwned {
            oid: rfc5912::ID_RSASSA_PSS,
            parameters: Some(Any::from_der(&params.to_der().unwrap()).unwrap()),
        };
        assert_eq!(
            verify_signature(&spki, &alg, None, msg, &sig).unwrap(),
            "RSASSA-PSS SHA-256"
        );
        assert!(verify_signature(&spki, &alg, None, b"other", &sig).is_err());
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(verify_signature(&spki, &alg, None, msg, &bad).is_err());
        // The same key under PKCS#1 v1.5 does not accept a PSS signature.
        let v15 = AlgorithmIdentifierOwned {
            oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: None,
        };
        assert!(verify_signature(&spki, &v15, None, msg, &sig).is_err());
    }

    #[test]
    fn recorded_paths_stay_in_the_timestamps_folder() {
        assert!(safe_rel("timestamps/6-4142434445464748.tsr").is_ok());
        for bad in [
            "../x.tsr",
            "timestamps/../ledger.jsonl",
            "/etc/passwd",
            "timestamps/a/b.tsr",
            "x.tsr",
        ] {
            assert!(safe_rel(bad).is_err(), "{bad}");
        }
    }
}
