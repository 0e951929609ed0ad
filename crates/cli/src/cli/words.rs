//! Library errors said in the command line's words.
//!
//! The library names values (an evidence spec, an examiner, an algorithm)
//! and never the flags that carried them: a program using the library has
//! no flags. Here, and only here, the CLI puts the flag (or the command that
//! fixes the problem) back, so a user reads which argument to change.

use std::error::Error;

use custodian::audit::EvidenceSpecError;
use custodian::hashlist::write::Unsayable;
use custodian::package::PackageError;
use custodian::report::certify::{signer_list, CertifyError};
use custodian::report::ReportError;

/// `cause` as the CLI says it, when the CLI has more to say than the
/// library's own message; `None` keeps the library's message.
pub fn in_cli_words(cause: &(dyn Error + 'static)) -> Option<String> {
    // Wrappers that show their inner error as it is (`transparent`): the
    // inner one is not in the source chain, so it is looked for here.
    let evidence = cause.downcast_ref::<EvidenceSpecError>().or_else(|| {
        match cause.downcast_ref::<PackageError>() {
            Some(PackageError::EvidenceSpec(e)) => Some(e),
            _ => None,
        }
    });
    if let Some(e) = evidence {
        return Some(evidence_spec(e));
    }
    let certification = cause.downcast_ref::<CertifyError>().or_else(|| {
        match cause.downcast_ref::<ReportError>() {
            Some(ReportError::Certify(e)) => Some(e),
            _ => None,
        }
    });
    certification.and_then(certify)
}

/// A name left out of a line-format list, with the formats that list it.
pub fn unsayable(e: &Unsayable) -> String {
    format!("{e} (--format json or dfxml list every name)")
}

fn evidence_spec(e: &EvidenceSpecError) -> String {
    match e {
        EvidenceSpecError::ExhibitNeeded { .. } => e.to_string(),
        _ => format!("--evidence {e}"),
    }
}

fn certify(e: &CertifyError) -> Option<String> {
    Some(match e {
        CertifyError::Blank { what } => format!(
            "--{what} is empty: a certification states it (a signer's qualifications recorded \
             with `signer add --qualifications` are used when none are given)"
        ),
        CertifyError::NotASigner {
            examiner,
            case,
            signers,
        } => format!(
            "--examiner {examiner:?} is neither the principal nor the recorded name of any \
             signer of this case; the certifier must be a signer (list them with `custodian \
             signers {}`): {}",
            case.display(),
            signer_list(signers)
        ),
        // The library's message starts with "examiner NAME".
        CertifyError::Revoked { .. } => format!("--{e}"),
        CertifyError::SeveralKeys { examiner, keys } => format!(
            "--examiner {examiner} has several active keys ({}); say which one certifies by \
             signing the report with it (--sign --key)",
            keys.join(", ")
        ),
        CertifyError::KeyNotASigner { key, case, signers } => format!(
            "the signing key {key} is not a signer of this case, so the case's allowed_signers \
             file cannot check its signature (signers, from `custodian signers {}`: {})",
            case.display(),
            signer_list(signers)
        ),
        CertifyError::KeyNotYetAdded { .. } => format!("{e} (give a later --generated-at)"),
        _ => return None,
    })
}
