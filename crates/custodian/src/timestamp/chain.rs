//! Who signed a token: the signer certificate it carries, the CMS
//! signature over its signed attributes with the ESS signing-certificate
//! binding (level 3), and the chain from that certificate to a given CA,
//! valid at genTime, with the time-stamping key usage (level 4).

use std::path::Path;

use cms::signed_data::{SignerIdentifier, SignerInfo};
use const_oid::db::{rfc5280, rfc5911, rfc5912};
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};
use x509_cert::Certificate;

use super::token::{GenTime, Parsed, SignedData};
use super::{read_bounded, TimestampError, TokenError, ID_CT_TST_INFO};

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
        let certs =
            Certificate::load_pem_chain(&bytes).map_err(|source| TimestampError::NotPem {
                path: path.to_path_buf(),
                source,
            })?;
        if certs.is_empty() {
            return Err(TimestampError::NoCertificate {
                path: path.to_path_buf(),
            });
        }
        Ok(TrustAnchors { certs, what })
    }
}

/// The certificates a token carries.
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
    extension(cert, rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
        .map(|o| o.as_bytes().to_vec())
}

/// The certificate among those the token carries that the SignerInfo
/// names (by issuer and serial number, or by subject key identifier).
pub(super) fn find_signer_cert(
    signed: &SignedData,
    si: &SignerInfo,
) -> Result<Certificate, TokenError> {
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
    found.ok_or(TokenError::NoSignerCertificate)
}

/// A digest algorithm custodian accepts in signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(oid: &ObjectIdentifier) -> Result<Hash, TokenError> {
        match *oid {
            rfc5912::ID_SHA_256 => Ok(Hash::Sha256),
            rfc5912::ID_SHA_384 => Ok(Hash::Sha384),
            rfc5912::ID_SHA_512 => Ok(Hash::Sha512),
            rfc5912::ID_SHA_1 => Err(TokenError::Sha1Refused),
            other => Err(TokenError::UnsupportedDigest { oid: other }),
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

/// The one value of the signed attribute `oid` (called `name` in errors),
/// which must occur exactly once.
fn single_attr<'a>(
    si: &'a SignerInfo,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<&'a Any, TokenError> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TokenError::NoSignedAttributes)?;
    let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
    match found.as_slice() {
        [a] if a.values.len() == 1 => Ok(a.values.get(0).expect("one value")),
        [] => Err(TokenError::MissingAttribute { name }),
        _ => Err(TokenError::RepeatedAttribute { name }),
    }
}

/// The signed attribute `oid` decoded as `T`.
fn decode_attr<'a, T: der::Choice<'a> + der::DecodeValue<'a>>(
    si: &'a SignerInfo,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<T, TokenError> {
    single_attr(si, oid, name)?
        .decode_as()
        .map_err(|source| TokenError::MalformedAttribute { name, source })
}

/// Level 3: the content-type and message-digest attributes, the ESS
/// signing certificate and the signature over the signed attributes.
/// Returns what was checked, in words.
pub(super) fn check_signature(p: &Parsed, cert: &Certificate) -> Result<String, TokenError> {
    let si = &p.signer_info;
    let hash = Hash::from_oid(&si.digest_alg.oid)?;
    let ct: ObjectIdentifier = decode_attr(si, rfc5911::ID_CONTENT_TYPE, "content-type")?;
    if ct != ID_CT_TST_INFO {
        return Err(TokenError::ContentTypeAttribute { found: ct });
    }
    let md: OctetString = decode_attr(si, rfc5911::ID_MESSAGE_DIGEST, "message-digest")?;
    let digest = hash.digest(&p.econtent);
    if md.as_bytes() != digest.as_slice() {
        return Err(TokenError::MessageDigest {
            algorithm: hash.name(),
            expected: hex::encode(&digest),
            found: hex::encode(md.as_bytes()),
        });
    }
    let encode = |what| move |source| TokenError::Encode { what, source };
    let cert_der = cert.to_der().map_err(encode("signer certificate"))?;
    let ess = check_ess(si, &cert_der)?;
    // The signature over the DER SET OF signed attributes.
    let signed_attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TokenError::NoSignedAttributes)?
        .to_der()
        .map_err(encode("signed attributes"))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let alg = verify_signature(
        spki,
        &si.signature_algorithm,
        Some(hash),
        &signed_attrs,
        si.signature.as_bytes(),
    )
    .map_err(|e| TokenError::SignedAttributesSignature {
        source: Box::new(e),
    })?;
    Ok(format!(
        "{alg} signature by {} valid; message-digest and content-type match; {ess}",
        cert.tbs_certificate.subject
    ))
}

/// The ESS signing-certificate attribute (v2 preferred, else v1) names
/// the signer certificate by its hash.
fn check_ess(si: &SignerInfo, cert_der: &[u8]) -> Result<String, TokenError> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TokenError::NoSignedAttributes)?;
    let has = |oid| attrs.iter().any(|a| a.oid == oid);
    if has(rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2) {
        let attribute = "signing-certificate-v2";
        let v2: SigningCertificateV2 =
            decode_attr(si, rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2, attribute)?;
        let first = v2
            .certs
            .first()
            .ok_or(TokenError::EssNoCertificate { attribute })?;
        let h = match &first.hash_algorithm {
            None => Hash::Sha256,
            Some(a) => Hash::from_oid(&a.oid)?,
        };
        if first.cert_hash.as_bytes() != h.digest(cert_der).as_slice() {
            return Err(TokenError::EssHashMismatch { attribute });
        }
        Ok(format!(
            "ESS signing-certificate-v2 ({}) names the signer certificate",
            h.name()
        ))
    } else if has(rfc5911::ID_AA_SIGNING_CERTIFICATE) {
        let attribute = "signing-certificate";
        let v1: SigningCertificate =
            decode_attr(si, rfc5911::ID_AA_SIGNING_CERTIFICATE, attribute)?;
        let first = v1
            .certs
            .first()
            .ok_or(TokenError::EssNoCertificate { attribute })?;
        let sha1 = <sha1::Sha1 as Digest>::digest(cert_der);
        if first.cert_hash.as_bytes() != sha1.as_slice() {
            return Err(TokenError::EssHashMismatch {
                attribute: "signing-certificate (SHA-1)",
            });
        }
        Ok("ESS signing-certificate (SHA-1) names the signer certificate".into())
    } else {
        Err(TokenError::EssMissing)
    }
}

/// Verifies `signature` over `message` with the key of `spki`. `digest`
/// is the SignerInfo's digest algorithm (for rsaEncryption, which does not
/// name one); `None` inside certificates. Returns the algorithm's name.
pub(super) fn verify_signature(
    spki: &spki::SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest: Option<Hash>,
    message: &[u8],
    signature: &[u8],
) -> Result<String, TokenError> {
    let spki_der = spki.to_der().map_err(|source| TokenError::Encode {
        what: "the signer's key",
        source,
    })?;
    let key = SignerKey {
        spki,
        der: &spki_der,
    };
    let named = |algorithm| digest.ok_or(TokenError::NoDigestNamed { algorithm });
    match alg.oid {
        rfc5912::RSA_ENCRYPTION => key.pkcs1(named("rsaEncryption")?, message, signature),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => key.pkcs1(Hash::Sha256, message, signature),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => key.pkcs1(Hash::Sha384, message, signature),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => key.pkcs1(Hash::Sha512, message, signature),
        rfc5912::ID_RSASSA_PSS => key.pss(alg, message, signature),
        rfc5912::ECDSA_WITH_SHA_256 => key.ecdsa(Hash::Sha256, message, signature),
        rfc5912::ECDSA_WITH_SHA_384 => key.ecdsa(Hash::Sha384, message, signature),
        rfc5912::ECDSA_WITH_SHA_512 => key.ecdsa(Hash::Sha512, message, signature),
        rfc5912::ID_EC_PUBLIC_KEY => key.ecdsa(named("id-ecPublicKey")?, message, signature),
        other => Err(TokenError::UnsupportedSignatureAlgorithm { oid: other }),
    }
}

/// A public key as a certificate gives it, and its DER.
struct SignerKey<'a> {
    spki: &'a spki::SubjectPublicKeyInfoOwned,
    der: &'a [u8],
}

impl SignerKey<'_> {
    fn rsa(&self) -> Result<rsa::RsaPublicKey, TokenError> {
        use rsa::pkcs8::DecodePublicKey;
        rsa::RsaPublicKey::from_public_key_der(self.der).map_err(TokenError::NotRsaKey)
    }

    fn pkcs1(&self, h: Hash, message: &[u8], signature: &[u8]) -> Result<String, TokenError> {
        let scheme = rsa::Pkcs1v15Sign {
            hash_len: Some(h.digest(b"").len()),
            prefix: h.pkcs1_prefix().into_boxed_slice(),
        };
        self.rsa()?
            .verify(scheme, &h.digest(message), signature)
            .map_err(|_| TokenError::SignatureMismatch {
                algorithm: "RSA PKCS#1 v1.5",
            })?;
        Ok(format!("RSA PKCS#1 v1.5 {}", h.name()))
    }

    /// RSASSA-PSS with MGF1 over the same hash as the message's.
    fn pss(
        &self,
        alg: &AlgorithmIdentifierOwned,
        message: &[u8],
        signature: &[u8],
    ) -> Result<String, TokenError> {
        let params = alg
            .parameters
            .as_ref()
            .ok_or(TokenError::PssNoParameters)?
            .to_der()
            .map_err(TokenError::PssParameters)?;
        let params =
            rsa::pkcs1::RsaPssParams::from_der(&params).map_err(TokenError::PssParameters)?;
        let h = Hash::from_oid(&params.hash.oid)?;
        let mgf_hash = params
            .mask_gen
            .parameters
            .as_ref()
            .map(|p| p.oid)
            .unwrap_or(rfc5912::ID_SHA_1);
        if params.mask_gen.oid != rfc5912::ID_MGF_1 || Hash::from_oid(&mgf_hash)? != h {
            return Err(TokenError::PssMaskGeneration);
        }
        let salt = params.salt_len as usize;
        let scheme = match h {
            Hash::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt),
            Hash::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt),
            Hash::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt),
        };
        self.rsa()?
            .verify(scheme, &h.digest(message), signature)
            .map_err(|_| TokenError::SignatureMismatch {
                algorithm: "RSASSA-PSS",
            })?;
        Ok(format!("RSASSA-PSS {}", h.name()))
    }

    /// ECDSA on P-256 or P-384 over the `h` digest of `message`.
    fn ecdsa(&self, h: Hash, message: &[u8], signature: &[u8]) -> Result<String, TokenError> {
        use ecdsa::signature::hazmat::PrehashVerifier;
        use spki::DecodePublicKey;
        let curve: Option<ObjectIdentifier> = self
            .spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok());
        let prehash = h.digest(message);
        let mismatch = |curve| move |_| TokenError::SignatureMismatch { algorithm: curve };
        let bad_key = |curve| move |source| TokenError::BadEcKey { curve, source };
        let name = match curve {
            Some(rfc5912::SECP_256_R_1) => {
                let key = p256::ecdsa::VerifyingKey::from_public_key_der(self.der)
                    .map_err(bad_key("P-256"))?;
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(TokenError::MalformedEcdsa)?;
                key.verify_prehash(&prehash, &sig)
                    .map_err(mismatch("ECDSA P-256"))?;
                "ECDSA P-256"
            }
            Some(rfc5912::SECP_384_R_1) => {
                let key = p384::ecdsa::VerifyingKey::from_public_key_der(self.der)
                    .map_err(bad_key("P-384"))?;
                let sig = p384::ecdsa::Signature::from_der(signature)
                    .map_err(TokenError::MalformedEcdsa)?;
                key.verify_prehash(&prehash, &sig)
                    .map_err(mismatch("ECDSA P-384"))?;
                "ECDSA P-384"
            }
            Some(other) => return Err(TokenError::UnsupportedCurve { oid: other }),
            None => return Err(TokenError::NotNamedCurve),
        };
        Ok(format!("{name} {}", h.name()))
    }
}

fn extension(cert: &Certificate, oid: ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
}

/// The certificate is valid at genTime (a fraction of a second after
/// notAfter's second is past it).
fn valid_at(cert: &Certificate, at: &GenTime) -> Result<(), TokenError> {
    let v = &cert.tbs_certificate.validity;
    let secs = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let after_end =
        at.secs > secs(v.not_after) || (at.secs == secs(v.not_after) && !at.fraction.is_empty());
    if at.secs < secs(v.not_before) || after_end {
        return Err(TokenError::NotValidAt {
            subject: cert.tbs_certificate.subject.to_string(),
            not_before: v.not_before.to_string(),
            not_after: v.not_after.to_string(),
            gen_time: at.text(),
        });
    }
    Ok(())
}

fn check_cert_signature(cert: &Certificate, issuer: &Certificate) -> Result<(), TokenError> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|source| TokenError::Encode {
            what: "certificate",
            source,
        })?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or(TokenError::CertificateSignatureBits)?;
    verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &tbs,
        sig,
    )
    .map(|_| ())
}

/// The TSA certificate has exactly one EKU extension, critical, holding
/// only id-kp-timeStamping (RFC 3161 §2.3).
fn check_time_stamping_usage(tsa: &Certificate) -> Result<(), TokenError> {
    let eku = extension(tsa, rfc5280::ID_CE_EXT_KEY_USAGE).ok_or(TokenError::NoExtendedKeyUsage)?;
    if !eku.critical {
        return Err(TokenError::ExtendedKeyUsageNotCritical);
    }
    let usages = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())
        .map_err(TokenError::ExtendedKeyUsageMalformed)?;
    if usages.0 != [rfc5280::ID_KP_TIME_STAMPING] {
        return Err(TokenError::NotTimeStampingOnly);
    }
    Ok(())
}

/// Level 4: the TSA certificate has the time-stamping usage and chains,
/// through intermediates the token carries, to a certificate of
/// `anchors`, every certificate valid at genTime.
pub(super) fn check_chain(
    tsa: &Certificate,
    signed: &SignedData,
    anchors: &TrustAnchors,
    gen_time: &GenTime,
) -> Result<String, TokenError> {
    check_time_stamping_usage(tsa)?;
    let pool = certificates(signed);
    let mut chain = vec![tsa.clone()];
    let mut names = vec![tsa.tbs_certificate.subject.to_string()];
    loop {
        let cur = chain.last().expect("non-empty").clone();
        valid_at(&cur, gen_time)?;
        if let Some(anchor) = anchor_of(&cur, anchors)? {
            if *anchor != cur {
                valid_at(anchor, gen_time)?;
                names.push(anchor.tbs_certificate.subject.to_string());
            }
            return Ok(format!(
                "chain {} ends at a certificate of {}, all valid at genTime; critical EKU id-kp-timeStamping",
                names.join(" <- "),
                anchors.what
            ));
        }
        if chain.len() > 8 {
            return Err(TokenError::ChainTooLong);
        }
        let next = intermediate_of(&cur, &pool, &chain, anchors)?;
        names.push(next.tbs_certificate.subject.to_string());
        chain.push(next.clone());
    }
}

/// The trust anchor that signed `cur`, if one did. An anchor with the
/// issuer's name whose key does not verify the signature is an error.
fn anchor_of<'a>(
    cur: &Certificate,
    anchors: &'a TrustAnchors,
) -> Result<Option<&'a Certificate>, TokenError> {
    let mut anchor_err = None;
    for a in anchors
        .certs
        .iter()
        .filter(|a| a.tbs_certificate.subject == cur.tbs_certificate.issuer)
    {
        match check_cert_signature(cur, a) {
            Ok(()) => return Ok(Some(a)),
            Err(e) => anchor_err = Some(e),
        }
    }
    match anchor_err {
        Some(e) => Err(TokenError::AnchorSignature {
            subject: cur.tbs_certificate.subject.to_string(),
            anchors: anchors.what.clone(),
            source: Box::new(e),
        }),
        None => Ok(None),
    }
}

/// The CA certificate of the token's `pool` that signed `cur` and is not
/// yet in `chain`.
fn intermediate_of<'a>(
    cur: &Certificate,
    pool: &'a [Certificate],
    chain: &[Certificate],
    anchors: &TrustAnchors,
) -> Result<&'a Certificate, TokenError> {
    let next = pool.iter().find(|c| {
        c.tbs_certificate.subject == cur.tbs_certificate.issuer
            && !chain.contains(c)
            && check_cert_signature(cur, c).is_ok()
    });
    let Some(next) = next else {
        return Err(TokenError::NoIssuer {
            subject: cur.tbs_certificate.subject.to_string(),
            issuer: cur.tbs_certificate.issuer.to_string(),
            anchors: anchors.what.clone(),
        });
    };
    let is_ca = extension(next, rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .map(|b| b.ca)
        .unwrap_or(false);
    if !is_ca {
        return Err(TokenError::NotCa {
            subject: next.tbs_certificate.subject.to_string(),
        });
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(
            verify_signature(&spki, &alg, None, b"other", &sig),
            Err(TokenError::SignatureMismatch {
                algorithm: "RSASSA-PSS"
            })
        ));
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(verify_signature(&spki, &alg, None, msg, &bad).is_err());
        // The same key under PKCS#1 v1.5 does not accept a PSS signature.
        let v15 = AlgorithmIdentifierOwned {
            oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: None,
        };
        let err = verify_signature(&spki, &v15, None, msg, &sig).unwrap_err();
        assert_eq!(err.to_string(), "RSA PKCS#1 v1.5 signature mismatch");
        // rsaEncryption names no digest: inside a certificate there is none.
        let bare = AlgorithmIdentifierOwned {
            oid: rfc5912::RSA_ENCRYPTION,
            parameters: None,
        };
        assert_eq!(
            verify_signature(&spki, &bare, None, msg, &sig)
                .unwrap_err()
                .to_string(),
            "rsaEncryption names no digest"
        );
    }

    #[test]
    fn digest_algorithms_are_named_by_oid_when_refused() {
        assert!(matches!(
            Hash::from_oid(&rfc5912::ID_SHA_1),
            Err(TokenError::Sha1Refused)
        ));
        let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        assert_eq!(
            Hash::from_oid(&md5).unwrap_err().to_string(),
            "digest algorithm 1.2.840.113549.2.5 is not supported"
        );
    }
}
