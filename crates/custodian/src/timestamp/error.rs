//! Why a request, a reply or a token is refused. A token's errors become
//! the reason of the level that fails ([`super::Level::Fail`]), so each
//! names what a reader needs to see which part of the token is wrong: the
//! certificate (by subject), the OID, or the expected and the found value.

use std::path::PathBuf;

use const_oid::ObjectIdentifier;

use super::MAX_FILE_BYTES;

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
    /// A request, reply or CA file larger than [`MAX_FILE_BYTES`]: refused
    /// before it is read.
    #[error("{path}: {len} bytes is too large (at most {MAX_FILE_BYTES})")]
    TooLarge { path: PathBuf, len: u64 },
    #[error("nonce: no randomness: {source}")]
    NoRandomness {
        #[source]
        source: getrandom::Error,
    },
    /// `what` (a file name) is not a request as custodian writes it.
    #[error("{what}: {source}")]
    Request {
        what: String,
        #[source]
        source: RequestError,
    },
    #[error("{path}: not PEM certificates ({source})")]
    NotPem {
        path: PathBuf,
        #[source]
        source: der::Error,
    },
    #[error("{path}: holds no certificate")]
    NoCertificate { path: PathBuf },
    /// A `timestamp.attach` entry records a reply outside `timestamps/`.
    #[error("{rel:?} is not a file in timestamps/")]
    OutsideFolder { rel: String },
}

/// Why bytes are not a TimeStampReq as custodian writes it (SHA-256
/// imprint, an 8-byte nonce).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("not a DER TimeStampReq ({0})")]
    NotDer(#[source] der::Error),
    #[error("imprint algorithm {found} is not SHA-256")]
    ImprintAlgorithm { found: ObjectIdentifier },
    #[error("the imprint is not 32 bytes")]
    ImprintLength { found: usize },
    #[error("the request has no 8-byte nonce")]
    NoNonce,
}

/// Why a reply or the token in it does not pass a level (docs/guide/timestamps.md
/// §4): its structure, its signature, or its certificate chain.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    // Level 1: structure.
    #[error("not a DER TimeStampResp ({0})")]
    NotTimeStampResp(#[source] der::Error),
    /// PKIStatus other than granted: `status` as the TSA sent it, with its
    /// status text, if any.
    #[error("the TSA did not grant the request (PKIStatus {status}){}", text.as_deref().map(|t| format!(" {t}")).unwrap_or_default())]
    NotGranted {
        status: String,
        text: Option<String>,
    },
    #[error("the reply is granted but holds no token")]
    NoToken,
    #[error("the token's content type is {found}, not signedData")]
    ContentType { found: ObjectIdentifier },
    #[error("the token is not a CMS SignedData ({0})")]
    NotSignedData(#[source] der::Error),
    #[error("the signed content type is {found}, not id-ct-TSTInfo")]
    EContentType { found: ObjectIdentifier },
    #[error("the SignedData holds no TSTInfo (detached content)")]
    DetachedContent,
    #[error("the eContent is not an OCTET STRING ({0})")]
    EContentNotOctets(#[source] der::Error),
    #[error("the TSTInfo is malformed ({0})")]
    TstInfo(#[source] der::Error),
    #[error("genTime has tag {found}, not GeneralizedTime")]
    GenTimeTag { found: der::Tag },
    #[error("genTime is not ASCII")]
    GenTimeNotAscii,
    #[error("genTime {found:?} is not YYYYMMDDhhmmss[.fff]Z")]
    GenTimeForm { found: String },
    #[error("the token has {count} signers; RFC 3161 requires exactly one")]
    SignerCount { count: usize },

    // Level 3: the CMS signature and its signed attributes.
    #[error(
        "the token does not hold the TSA's certificate (was the request made without certReq?)"
    )]
    NoSignerCertificate,
    #[error("SHA-1 is not accepted in signatures")]
    Sha1Refused,
    #[error("digest algorithm {oid} is not supported")]
    UnsupportedDigest { oid: ObjectIdentifier },
    #[error("the signer has no signed attributes")]
    NoSignedAttributes,
    #[error("the signed attributes lack {name}")]
    MissingAttribute { name: &'static str },
    #[error("the signed attribute {name} must occur once with one value")]
    RepeatedAttribute { name: &'static str },
    #[error("the {name} attribute is malformed ({source})")]
    MalformedAttribute {
        name: &'static str,
        #[source]
        source: der::Error,
    },
    #[error("the content-type attribute is {found}, not id-ct-TSTInfo")]
    ContentTypeAttribute { found: ObjectIdentifier },
    /// The message-digest attribute (`found`, hex) is not the digest of the
    /// TSTInfo (`expected`, hex) under `algorithm`.
    #[error("the message-digest attribute {found} is not the {algorithm} of the TSTInfo ({expected}): the TSTInfo was altered")]
    MessageDigest {
        algorithm: &'static str,
        expected: String,
        found: String,
    },
    /// `what` (a certificate, the signed attributes) cannot be re-encoded
    /// to the DER its signature covers.
    #[error("{what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: der::Error,
    },
    #[error("the signature over the signed attributes does not verify: {source}")]
    SignedAttributesSignature {
        #[source]
        source: Box<TokenError>,
    },
    /// `attribute`: `signing-certificate-v2` or `signing-certificate`.
    #[error("{attribute} lists no certificate")]
    EssNoCertificate { attribute: &'static str },
    /// `attribute` names the hash, e.g. `signing-certificate (SHA-1)`.
    #[error("the ESS {attribute} hash is not that of the signer certificate")]
    EssHashMismatch { attribute: &'static str },
    #[error("the signed attributes hold no ESS signing-certificate(-v2), which RFC 3161 requires")]
    EssMissing,

    // Signatures, in the token and in certificates.
    #[error("the signer's key is not an RSA key ({0})")]
    NotRsaKey(#[source] spki::Error),
    /// `algorithm`: e.g. `RSA PKCS#1 v1.5`, `RSASSA-PSS`, `ECDSA P-256`.
    #[error("{algorithm} signature mismatch")]
    SignatureMismatch { algorithm: &'static str },
    /// `algorithm` (rsaEncryption, id-ecPublicKey) names no digest, and
    /// none is given by the context (inside a certificate).
    #[error("{algorithm} names no digest")]
    NoDigestNamed { algorithm: &'static str },
    #[error("RSASSA-PSS without parameters")]
    PssNoParameters,
    #[error("malformed RSASSA-PSS parameters ({0})")]
    PssParameters(#[source] der::Error),
    #[error(
        "RSASSA-PSS with a mask generation other than MGF1 over the same hash is not supported"
    )]
    PssMaskGeneration,
    #[error("bad {curve} key ({source})")]
    BadEcKey {
        curve: &'static str,
        #[source]
        source: spki::Error,
    },
    #[error("malformed ECDSA signature ({0})")]
    MalformedEcdsa(#[source] ecdsa::Error),
    #[error("elliptic curve {oid} is not supported (P-256, P-384 are)")]
    UnsupportedCurve { oid: ObjectIdentifier },
    #[error("the key is not an ECDSA key on a named curve")]
    NotNamedCurve,
    #[error("signature algorithm {oid} is not supported")]
    UnsupportedSignatureAlgorithm { oid: ObjectIdentifier },
    #[error("the certificate signature is not whole bytes")]
    CertificateSignatureBits,

    // Level 4: the certificate chain.
    #[error("the TSA certificate has no extendedKeyUsage extension")]
    NoExtendedKeyUsage,
    #[error("the TSA certificate's extendedKeyUsage is not critical")]
    ExtendedKeyUsageNotCritical,
    #[error("the TSA certificate's extendedKeyUsage is malformed ({0})")]
    ExtendedKeyUsageMalformed(#[source] der::Error),
    #[error("the TSA certificate's extendedKeyUsage is not id-kp-timeStamping alone")]
    NotTimeStampingOnly,
    /// Certificate `subject` is not valid at the token's genTime.
    #[error("certificate {subject} is valid from {not_before} to {not_after}, not at genTime {gen_time}")]
    NotValidAt {
        subject: String,
        not_before: String,
        not_after: String,
        gen_time: String,
    },
    /// A CA of `anchors` has the issuer's name of `subject` but its key
    /// does not verify the certificate's signature.
    #[error("certificate {subject} does not verify under the CA of {anchors} that has its issuer's name: {source}")]
    AnchorSignature {
        subject: String,
        anchors: String,
        #[source]
        source: Box<TokenError>,
    },
    #[error("the certificate chain is longer than 8")]
    ChainTooLong,
    #[error(
        "certificate {subject} (issuer {issuer}) does not chain to a certificate of {anchors}"
    )]
    NoIssuer {
        subject: String,
        issuer: String,
        anchors: String,
    },
    #[error("intermediate certificate {subject} is not a CA (basicConstraints)")]
    NotCa { subject: String },
}
