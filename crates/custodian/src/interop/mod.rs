//! Interoperability with other forensic tools' formats
//! (`docs/guide/interop.md` documents every mapping).
//!
//! - [`dfxml`]: Digital Forensics XML 1.x, written by `custodian hash
//!   --format dfxml` and `custodian export dfxml`, and read back as a hash
//!   list by `custodian diff`.
//! - [`case_uco`]: a CASE 1.x / UCO 1.x JSON-LD graph of a case: the
//!   investigation, its exhibits and their digests, and every acquisition
//!   and custody event with its performer and provenance.
//! - [`ewf`]: Expert Witness Format (`.E01`) images: the media stream is
//!   re-hashed and compared with the digests the imager stored; what its
//!   header sections say about the acquisition is read by [`ewf_header`].
//!
//! Exports read a case only after it verifies: a ledger or manifest that is
//! not as recorded is refused ([`ExportError::NotAsRecorded`]), so an export
//! never carries forward data the ledger no longer vouches for.

pub mod case_uco;
pub mod dfxml;
pub mod ewf;
pub mod ewf_header;

use std::path::PathBuf;

use crate::case::Case;
use crate::ledger::{LedgerError, Report, VerifyOptions};

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The case does not verify; nothing was exported.
    #[error("case {case} is not as recorded ({count} problem(s); first: {first}); run `custodian verify` — nothing was exported", case = .case.display())]
    NotAsRecorded {
        case: PathBuf,
        count: usize,
        first: String,
    },
    #[error("case {case} has no exhibit {exhibit:?} (exhibits: {known})", case = .case.display())]
    NoSuchExhibit {
        case: PathBuf,
        exhibit: String,
        known: String,
    },
    #[error("manifest {path} of exhibit {exhibit}: {source}", path = .path.display())]
    Manifest {
        exhibit: String,
        path: PathBuf,
        #[source]
        source: crate::hashing::HashError,
    },
    #[error("writing the export: {0}")]
    Output(#[source] std::io::Error),
}

/// Verifies `case` (ledger and manifests) and returns the report, or
/// [`ExportError::NotAsRecorded`] if anything is not as recorded.
pub fn verified(case: &Case) -> Result<Report, ExportError> {
    let report = case.verify(&VerifyOptions::default())?;
    if !report.is_valid() {
        let errors: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.severity == crate::ledger::Severity::Error)
            .collect();
        return Err(ExportError::NotAsRecorded {
            case: case.dir().to_path_buf(),
            count: errors.len(),
            first: errors
                .first()
                .map(|p| p.message.clone())
                .unwrap_or_default(),
        });
    }
    Ok(report)
}

/// Checks that every id in `wanted` is an exhibit of the case.
pub(crate) fn check_exhibits(
    case: &Case,
    report: &Report,
    wanted: &[String],
) -> Result<(), ExportError> {
    for id in wanted {
        if !report.state.exhibits.contains_key(id.as_str()) {
            return Err(ExportError::NoSuchExhibit {
                case: case.dir().to_path_buf(),
                exhibit: id.clone(),
                known: report
                    .state
                    .exhibits
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(())
}
