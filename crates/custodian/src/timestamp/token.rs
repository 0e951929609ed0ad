//! Reading a TSA's reply down to its TSTInfo (level 1), what the token
//! says ([`TokenInfo`], genTime), and whether it answers the request: its
//! message imprint and nonce (level 2).

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerInfo, SignerInfos};
use const_oid::db::{rfc5911, rfc5912};
use const_oid::ObjectIdentifier;
use der::asn1::{Int, OctetString};
use der::{Any, Decode, Sequence, Tagged};
use serde::{Deserialize, Serialize};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;
use x509_tsp::{Accuracy, MessageImprint, TimeStampResp, TspVersion};

use super::{Level, TokenError, ID_CT_TST_INFO};

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

/// TSTInfo (RFC 3161 §2.4.2) as `x509_tsp::TstInfo`, except that genTime
/// is read by [`GenTime::parse`]: RFC 3161 allows fractions of a second
/// there, which the DER GeneralizedTime type of the `der` crate refuses.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(super) struct TstInfo {
    pub(super) version: TspVersion,
    pub(super) policy: ObjectIdentifier,
    pub(super) message_imprint: MessageImprint,
    pub(super) serial_number: Int,
    pub(super) gen_time: Any,
    #[asn1(optional = "true")]
    pub(super) accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub(super) ordering: bool,
    #[asn1(optional = "true")]
    pub(super) nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(super) tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(super) extensions: Option<Extensions>,
}

/// CMS SignedData (RFC 5652 §5.1) as `cms::signed_data::SignedData`,
/// except that the certificates are read as a sequence: a SET OF that
/// repeats a certificate or is not sorted (as `openssl ts -reply` writes
/// when its `certs` file holds the signer certificate) is still read. The
/// certificates are not signed, so their order carries no meaning; the
/// signed attributes keep the strict DER SET OF of the `cms` crate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(super) struct SignedData {
    pub(super) version: cms::content_info::CmsVersion,
    pub(super) digest_algorithms: Any,
    pub(super) encap_content_info: EncapsulatedContentInfo,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(super) certificates: Option<Vec<CertificateChoices>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(super) crls: Option<Vec<Any>>,
    pub(super) signer_infos: SignerInfos,
}

/// A TSTInfo genTime: whole seconds since 1970 and the fraction digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GenTime {
    pub(super) secs: i64,
    pub(super) fraction: String,
}

impl GenTime {
    /// `YYYYMMDDhhmmss[.f…]Z` (RFC 3161 §2.4.2: UTC, no trailing zero in
    /// the fraction, no lone dot).
    pub(super) fn parse(any: &Any) -> Result<GenTime, TokenError> {
        if any.tag() != der::Tag::GeneralizedTime {
            return Err(TokenError::GenTimeTag { found: any.tag() });
        }
        let text = std::str::from_utf8(any.value()).map_err(|_| TokenError::GenTimeNotAscii)?;
        let bad = || TokenError::GenTimeForm {
            found: text.to_string(),
        };
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
    pub(super) fn text(&self) -> String {
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

/// The nonce of a reply's TSTInfo (hex), to find the request it answers.
/// Fails with the level-1 reason when the reply cannot be read.
pub fn reply_nonce(reply: &[u8]) -> Result<Option<Vec<u8>>, TokenError> {
    let p = parse_token(reply)?;
    Ok(p.tst.nonce.map(|n| n.as_bytes().to_vec()))
}

/// A reply decoded down to its TSTInfo.
pub(super) struct Parsed {
    pub(super) status: &'static str,
    pub(super) signed: SignedData,
    pub(super) signer_info: SignerInfo,
    /// The eContent octets: the DER TSTInfo that was digested.
    pub(super) econtent: Vec<u8>,
    pub(super) tst: TstInfo,
    pub(super) gen_time: GenTime,
}

/// Level 1: a TimeStampResp, granted, holding a SignedData with one signer
/// whose content is a TSTInfo with a well-formed genTime.
pub(super) fn parse_token(reply: &[u8]) -> Result<Parsed, TokenError> {
    let resp = TimeStampResp::from_der(reply).map_err(TokenError::NotTimeStampResp)?;
    let status = granted(&resp)?;
    let token: ContentInfo = resp.time_stamp_token.ok_or(TokenError::NoToken)?;
    if token.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(TokenError::ContentType {
            found: token.content_type,
        });
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(TokenError::NotSignedData)?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(TokenError::EContentType {
            found: signed.encap_content_info.econtent_type,
        });
    }
    let econtent: OctetString = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(TokenError::DetachedContent)?
        .decode_as()
        .map_err(TokenError::EContentNotOctets)?;
    let econtent = econtent.as_bytes().to_vec();
    let tst = TstInfo::from_der(&econtent).map_err(TokenError::TstInfo)?;
    let gen_time = GenTime::parse(&tst.gen_time)?;
    let count = signed.signer_infos.0.len();
    let signer_info = match signed.signer_infos.0.get(0) {
        Some(si) if count == 1 => si.clone(),
        _ => return Err(TokenError::SignerCount { count }),
    };
    Ok(Parsed {
        status,
        signed,
        signer_info,
        econtent,
        tst,
        gen_time,
    })
}

/// The PKIStatus word of a granted reply; a refusal names the status and
/// the TSA's text.
fn granted(resp: &TimeStampResp) -> Result<&'static str, TokenError> {
    use cmpv2::status::PkiStatus;
    match resp.status.status {
        PkiStatus::Accepted => Ok("granted"),
        PkiStatus::GrantedWithMods => Ok("grantedWithMods"),
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
                .map(|t| t.trim_end().to_string())
                .filter(|t| !t.is_empty());
            Err(TokenError::NotGranted {
                status: format!("{other:?}"),
                text,
            })
        }
    }
}

/// Level 2: the token imprints the checkpoint with SHA-256 and carries the
/// request's nonce.
pub(super) fn check_imprint(tst: &TstInfo, imprint: &[u8; 32], nonce: &[u8]) -> Level {
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

/// A TSTInfo `tsa` name as text.
pub(super) fn general_name_text(name: &GeneralName) -> String {
    match name {
        GeneralName::DirectoryName(n) => n.to_string(),
        GeneralName::DnsName(s) => s.to_string(),
        GeneralName::Rfc822Name(s) => s.to_string(),
        GeneralName::UniformResourceIdentifier(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let err = gt(bad).unwrap_err();
            assert!(
                matches!(&err, TokenError::GenTimeForm { found } if found == bad),
                "{bad}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("genTime {bad:?} is not YYYYMMDDhhmmss[.fff]Z")
            );
        }
        let utc = Any::new(der::Tag::UtcTime, b"261125193907Z".to_vec()).unwrap();
        assert!(matches!(
            GenTime::parse(&utc),
            Err(TokenError::GenTimeTag {
                found: der::Tag::UtcTime
            })
        ));
    }

    /// The level-1 reasons read as they did when they were strings.
    #[test]
    fn refusal_messages_name_the_status_and_the_tsa_text() {
        let refused = TokenError::NotGranted {
            status: "Rejection".into(),
            text: Some("bad request".into()),
        };
        assert_eq!(
            refused.to_string(),
            "the TSA did not grant the request (PKIStatus Rejection) bad request"
        );
        let refused = TokenError::NotGranted {
            status: "Rejection".into(),
            text: None,
        };
        assert_eq!(
            refused.to_string(),
            "the TSA did not grant the request (PKIStatus Rejection)"
        );
        assert_eq!(
            TokenError::SignerCount { count: 2 }.to_string(),
            "the token has 2 signers; RFC 3161 requires exactly one"
        );
    }
}
