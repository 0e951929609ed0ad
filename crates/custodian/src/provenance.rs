//! Provenance at acquisition: the source-device record an `exhibit.acquire`
//! entry signs, built from what the examiner stated and what custodian
//! read from the source itself (an E01 image's header).
//!
//! The record's types are format types (`custodian_format::source`),
//! re-exported here. This module decides how the two kinds of value meet:
//! a value read from a header (or measured) is recorded with that origin;
//! a value only the examiner gave is recorded as stated; when both are
//! given and differ, neither is dropped: the examiner's value is kept
//! beside the other ([`Sourced::stated`]) and the difference is returned
//! as a [`Disagreement`], which the acquisition reports as a warning.

use std::path::{Component, Path, PathBuf};

pub use custodian_format::source::*;

/// What the examiner stated about the source at acquisition (`acquire
/// --source-kind`, `--make`, `--model`, `--serial`, `--sector-size`,
/// `--sector-count`, `--write-blocker`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatedSource {
    pub kind: Option<SourceKind>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub sector_size: Option<u64>,
    pub sector_count: Option<u64>,
    pub write_blocker: Option<WriteBlocker>,
}

/// A stated value custodian refuses to record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvenanceError {
    #[error("the stated {member} is blank: leave it out to record it as not stated")]
    Blank { member: &'static str },
    #[error("the stated {member} is 0: leave it out to record it as not stated")]
    Zero { member: &'static str },
}

impl StatedSource {
    /// Refuses blank text and zero sizes: "not stated" is said by leaving a
    /// value out, never by an empty one.
    pub fn check(&self) -> Result<(), ProvenanceError> {
        for (member, v) in [
            ("make", &self.make),
            ("model", &self.model),
            ("serial", &self.serial),
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                return Err(ProvenanceError::Blank { member });
            }
        }
        for (member, v) in [
            ("sector size", self.sector_size),
            ("sector count", self.sector_count),
        ] {
            if v == Some(0) {
                return Err(ProvenanceError::Zero { member });
            }
        }
        Ok(())
    }
}

/// A value the examiner stated that differs from the one read from a
/// header or measured. Both are in the record; this is the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The member, in words (`serial`, `sector count` …).
    pub member: &'static str,
    pub stated: String,
    pub recorded: String,
    /// Where `recorded` came from, in words ([`Sourced::origin_words`]).
    pub origin: String,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: the examiner stated {:?}, but {:?} is {}; both are recorded",
            self.member, self.stated, self.recorded, self.origin
        )
    }
}

/// The source-device record of an acquisition: the values `found` in the
/// source (with their origins) and the examiner's `stated` ones, merged
/// member by member; `None` when neither gives anything. Text is compared
/// without its surrounding white space (a header may pad a serial).
pub fn record(
    stated: &StatedSource,
    found: Option<SourceDevice>,
) -> (Option<SourceDevice>, Vec<Disagreement>) {
    let found = found.unwrap_or_default();
    let mut out = Vec::new();
    let text = |a: &String, b: &String| a.trim() == b.trim();
    let record = SourceDevice {
        kind: merge("kind", stated.kind, found.kind, |a, b| a == b, &mut out),
        make: merge("make", stated.make.clone(), found.make, text, &mut out),
        model: merge("model", stated.model.clone(), found.model, text, &mut out),
        serial: merge(
            "serial",
            stated.serial.clone(),
            found.serial,
            text,
            &mut out,
        ),
        sector_size: merge(
            "sector size",
            stated.sector_size,
            found.sector_size,
            |a, b| a == b,
            &mut out,
        ),
        sector_count: merge(
            "sector count",
            stated.sector_count,
            found.sector_count,
            |a, b| a == b,
            &mut out,
        ),
        write_blocker: merge(
            "write-blocker",
            stated.write_blocker.clone(),
            found.write_blocker,
            |a, b| a == b,
            &mut out,
        ),
        imaging: found.imaging,
    };
    ((!record.is_empty()).then_some(record), out)
}

/// One member: the found value (its origin kept), the stated one beside it
/// when they differ, else whichever exists.
fn merge<T: Clone + ToString>(
    member: &'static str,
    stated: Option<T>,
    found: Option<Sourced<T>>,
    same: impl Fn(&T, &T) -> bool,
    disagreements: &mut Vec<Disagreement>,
) -> Option<Sourced<T>> {
    match (stated, found) {
        (None, found) => found,
        (Some(s), None) => Some(Sourced::stated(s)),
        (Some(s), Some(f)) if same(&s, &f.value) => Some(f),
        (Some(s), Some(mut f)) => {
            disagreements.push(Disagreement {
                member,
                stated: s.to_string(),
                recorded: f.value.to_string(),
                origin: f.origin_words(),
            });
            f.stated = Some(s);
            Some(f)
        }
    }
}

/// The absolute path of an acquisition root, canonical: symbolic links are
/// resolved in every component but the last (a root that is itself a
/// link is what `acquire` records, not its target). `None` when the
/// folder holding it cannot be resolved.
pub fn absolute_root(root: &Path) -> Option<PathBuf> {
    match root.components().next_back() {
        Some(Component::Normal(name)) => {
            let parent = root.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = match parent {
                Some(p) => p.canonicalize().ok()?,
                None => std::env::current_dir().ok()?.canonicalize().ok()?,
            };
            Some(dir.join(name))
        }
        // `.`, `..`, `/`: a folder, resolved as a whole.
        _ => root.canonicalize().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(v: &str) -> Option<Sourced<String>> {
        Some(Sourced::header(
            v.to_string(),
            "EWF header2 section of d.E01",
        ))
    }

    #[test]
    fn stated_and_found_values_meet_without_loss() {
        let stated = StatedSource {
            kind: Some(SourceKind::PhysicalDisk),
            serial: Some("S3Z9-STATED".into()),
            model: Some(" Samsung 860 ".into()),
            sector_count: Some(256),
            ..StatedSource::default()
        };
        let found = SourceDevice {
            serial: header("S3Z9-HEADER"),
            model: header("Samsung 860"),
            sector_count: Some(Sourced::header(256, "EWF volume section of d.E01")),
            ..SourceDevice::default()
        };
        let (rec, dis) = record(&stated, Some(found));
        let rec = rec.unwrap();
        assert_eq!(rec.kind.as_ref().unwrap().origin, Origin::Stated);
        let serial = rec.serial.unwrap();
        assert_eq!(serial.value, "S3Z9-HEADER");
        assert_eq!(serial.origin, Origin::Header);
        assert_eq!(serial.stated.as_deref(), Some("S3Z9-STATED"));
        // Agreeing values keep the header's origin and no second copy.
        let model = rec.model.unwrap();
        assert_eq!((model.origin, model.stated), (Origin::Header, None));
        assert_eq!(rec.sector_count.unwrap().stated, None);
        assert_eq!(dis.len(), 1);
        assert_eq!(
            dis[0].to_string(),
            "serial: the examiner stated \"S3Z9-STATED\", but \"S3Z9-HEADER\" is as stated in the EWF header2 section of d.E01; both are recorded"
        );
    }

    #[test]
    fn nothing_given_is_no_record() {
        assert_eq!(record(&StatedSource::default(), None), (None, vec![]));
        assert!(StatedSource {
            make: Some("  ".into()),
            ..StatedSource::default()
        }
        .check()
        .is_err());
        assert!(StatedSource {
            sector_size: Some(0),
            ..StatedSource::default()
        }
        .check()
        .is_err());
    }

    #[test]
    fn absolute_roots_name_a_link_not_its_target() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("dir")).unwrap();
        std::os::unix::fs::symlink("dir", real.join("link")).unwrap();
        assert_eq!(absolute_root(&real.join("link")), Some(real.join("link")));
        assert_eq!(absolute_root(&real.join("dir/..")), Some(real.clone()));
        assert_eq!(absolute_root(&real.join("missing/x")), None);
    }
}
