//! Which ledger entries a package discloses, withholds or leaves out.

use std::collections::BTreeSet;

use crate::ledger::{Body, Entry, ExhibitId};

/// What a package does with one ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Share {
    /// Given in full, with its inclusion proof.
    Disclose,
    /// It concerns a shared exhibit and another one: only its `seq`, entry
    /// hash and inclusion proof are given, with this reason.
    Withhold(&'static str),
    /// Not mentioned at all (notes, other exhibits' entries).
    Omit,
}

/// Reason given for a withheld custody event.
pub const WITHHELD_EVENT: &str = "the event also concerns exhibits that are not shared";
/// Reason given for a withheld authority.
pub const WITHHELD_AUTHORITY: &str =
    "the authority's scope also names exhibits that are not shared";

/// Reason given for a withheld hash-set match under `--redact-paths`.
pub const WITHHELD_PATHS: &str = "the entry names file paths and the package redacts paths";

/// Reason given for an attachment entry whose file the package does not
/// carry (written without `--attachments`).
pub const WITHHELD_ATTACHMENT: &str =
    "the attachment was not shared (the package was written without --attachments)";

/// The rule of docs/spec/package.md §3: the case opening and every
/// signer entry are disclosed; an acquisition, custody event or authority
/// is disclosed when every exhibit it names is shared (an authority whose
/// scope is the whole case too), withheld when it names a shared exhibit
/// and another one, and left out otherwise; notes and types this version
/// does not know are left out.
///
/// With `reveal_mixed`, a version-1 custody entry naming shared and
/// unshared exhibits is disclosed whole instead of withheld. An attachment
/// of the case or of a shared exhibit is disclosed with `attachments`
/// (the package then carries its file) and withheld without; an import's
/// check goes with its exhibit.
pub fn classify(
    entry: &Entry,
    chosen: &BTreeSet<ExhibitId>,
    redacted_paths: bool,
    reveal_mixed: bool,
    attachments: bool,
) -> Share {
    let by_exhibits = |names: &[ExhibitId], reason| {
        let shared = names.iter().filter(|x| chosen.contains(*x)).count();
        if shared == 0 {
            Share::Omit
        } else if shared == names.len() {
            Share::Disclose
        } else {
            Share::Withhold(reason)
        }
    };
    match Body::parse(&entry.kind, &entry.body) {
        Ok(Body::CaseOpen(_) | Body::SignerAdd(_) | Body::SignerRevoke(_)) => Share::Disclose,
        Ok(Body::ExhibitAcquire(a)) => {
            if chosen.contains(&a.exhibit) {
                Share::Disclose
            } else {
                Share::Omit
            }
        }
        Ok(Body::Authority(a)) => {
            if a.scope.all {
                Share::Disclose
            } else {
                by_exhibits(&a.scope.exhibits, WITHHELD_AUTHORITY)
            }
        }
        Ok(Body::Custody(ev)) => match by_exhibits(&ev.common().exhibits, WITHHELD_EVENT) {
            Share::Withhold(_) if reveal_mixed => Share::Disclose,
            share => share,
        },
        // A hash-set match names files by path: given with the exhibit,
        // withheld when the package redacts paths.
        Ok(Body::HashsetMatch(m)) if chosen.contains(&m.exhibit) => {
            if redacted_paths {
                Share::Withhold(WITHHELD_PATHS)
            } else {
                Share::Disclose
            }
        }
        Ok(Body::HashsetMatch(_)) => Share::Omit,
        Ok(Body::ExhibitImport(i)) if chosen.contains(&i.exhibit) => Share::Disclose,
        Ok(Body::ExhibitImport(_)) => Share::Omit,
        Ok(Body::AttachmentAdd(a)) => match &a.exhibit {
            Some(x) if !chosen.contains(x) => Share::Omit,
            _ if attachments => Share::Disclose,
            _ => Share::Withhold(WITHHELD_ATTACHMENT),
        },
        // A timestamp covers an older checkpoint of the whole case; the
        // package carries its own checkpoint, so the token is not shared.
        Ok(
            Body::Note(_) | Body::TimestampAttach(_) | Body::PackageEncrypted(_) | Body::Unknown,
        )
        | Err(_) => Share::Omit,
    }
}

/// The exhibits not in `chosen` that a custody entry naming some of
/// `chosen` also names: non-empty only for a version-1 entry (a version-2
/// entry names one exhibit).
pub fn mixed_with(entry: &Entry, chosen: &BTreeSet<ExhibitId>) -> Vec<ExhibitId> {
    let Ok(Body::Custody(ev)) = Body::parse(&entry.kind, &entry.body) else {
        return Vec::new();
    };
    let named = &ev.common().exhibits;
    if !named.iter().any(|x| chosen.contains(x)) {
        return Vec::new();
    }
    named
        .iter()
        .filter(|x| !chosen.contains(*x))
        .cloned()
        .collect()
}
